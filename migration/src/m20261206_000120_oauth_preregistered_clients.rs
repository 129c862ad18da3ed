//! Pre-registered OAuth clients (issue 23): an owner or admin registers a public client in the
//! dashboard (Settings > MCP). Such a client belongs to that organisation (only its people see
//! it, delete it or authorize it) and remembers who created it. Clients registered by Dynamic
//! Client Registration or named by a metadata document keep both columns empty.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    OrganisationId,
    CreatedBy,
}

const INDEX: &str = "idx_oauth_clients_organisation";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for mut column in [
            big_integer_null(OauthClients::OrganisationId),
            big_integer_null(OauthClients::CreatedBy),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OauthClients::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(OauthClients::Table)
                    .col(OauthClients::OrganisationId)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(OauthClients::Table)
                    .to_owned(),
            )
            .await?;
        for column in [OauthClients::CreatedBy, OauthClients::OrganisationId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OauthClients::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
