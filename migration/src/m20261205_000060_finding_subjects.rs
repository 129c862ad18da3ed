//! `findings.subjects`: the names read from the tenant that a finding's message is about, kept
//! apart from the message (JSON array of strings). NULL for findings stored before: their
//! message may quote tenant names, so the answers show it fenced as tenant data.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Findings {
    Table,
    Subjects,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Findings::Table)
                    .add_column(ColumnDef::new(Findings::Subjects).json().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Findings::Table)
                    .drop_column(Findings::Subjects)
                    .to_owned(),
            )
            .await
    }
}
