//! Live collection: how a tenant is connected (admin consent), what each configuration snapshot
//! was made from (per-service outcome), what each scan evaluated (its input), and the single-use
//! `state` values of the admin-consent flow.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    InitialDomain,
    ConsentedAt,
    Licences,
}

#[derive(DeriveIden)]
enum ConfigSnapshots {
    Table,
    Services,
}

#[derive(DeriveIden)]
enum Scans {
    Table,
    Input,
}

#[derive(DeriveIden)]
enum ConsentRequests {
    Table,
    StateHash,
    OrganisationId,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let tenant_columns = [
            string_null(Tenants::InitialDomain),
            timestamp_with_time_zone_null(Tenants::ConsentedAt),
            json_null(Tenants::Licences),
        ];
        for column in tenant_columns {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ConfigSnapshots::Table)
                    .add_column(json_null(ConfigSnapshots::Services))
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Scans::Table)
                    .add_column(json_null(Scans::Input))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConsentRequests::Table)
                    .if_not_exists()
                    .col(string(ConsentRequests::StateHash).primary_key())
                    .col(big_integer(ConsentRequests::OrganisationId))
                    .col(big_integer_null(ConsentRequests::UserId))
                    .col(timestamp_with_time_zone(ConsentRequests::CreatedAt))
                    .col(timestamp_with_time_zone(ConsentRequests::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ConsentRequests::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConsentRequests::Table, ConsentRequests::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(ConsentRequests::Table)
                    .if_exists()
                    .take(),
            )
            .await?;
        for (table, column) in [
            (Scans::Table.into_iden(), Scans::Input.into_iden()),
            (
                ConfigSnapshots::Table.into_iden(),
                ConfigSnapshots::Services.into_iden(),
            ),
            (Tenants::Table.into_iden(), Tenants::Licences.into_iden()),
            (Tenants::Table.into_iden(), Tenants::ConsentedAt.into_iden()),
            (
                Tenants::Table.into_iden(),
                Tenants::InitialDomain.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).take())
                .await?;
        }
        Ok(())
    }
}
