//! OAuth 2.1 authorization server (issue 23): registered clients, authorization codes, and
//! the access and refresh tokens of each grant. A grant is an `mcp_tokens` row (label, tenant
//! scope, revocation), so it behaves like a headless token everywhere. Codes and tokens are
//! stored only as keyed digests.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Id,
    ClientId,
    ClientName,
    RedirectUris,
    RegisteredFrom,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthCodes {
    Table,
    Id,
    CodeHash,
    ClientId,
    RedirectUri,
    CodeChallenge,
    Resource,
    Scope,
    OrganisationId,
    UserId,
    TenantScope,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    GrantId,
}

#[derive(DeriveIden)]
enum OauthTokens {
    Table,
    Id,
    Kind,
    LookupId,
    SecretHash,
    GrantId,
    ClientId,
    Resource,
    Scope,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum McpTokens {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthClients::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OauthClients::Id))
                    .col(string_uniq(OauthClients::ClientId))
                    .col(string(OauthClients::ClientName))
                    .col(json(OauthClients::RedirectUris))
                    .col(string_null(OauthClients::RegisteredFrom))
                    .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_oauth_clients_registered_from")
                    .table(OauthClients::Table)
                    .col(OauthClients::RegisteredFrom)
                    .col(OauthClients::CreatedAt)
                    .if_not_exists()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthCodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OauthCodes::Id))
                    .col(string_uniq(OauthCodes::CodeHash))
                    .col(string(OauthCodes::ClientId))
                    .col(string(OauthCodes::RedirectUri))
                    .col(string(OauthCodes::CodeChallenge))
                    .col(string(OauthCodes::Resource))
                    .col(string(OauthCodes::Scope))
                    .col(big_integer(OauthCodes::OrganisationId))
                    .col(big_integer(OauthCodes::UserId))
                    .col(json_null(OauthCodes::TenantScope))
                    .col(timestamp_with_time_zone(OauthCodes::CreatedAt))
                    .col(timestamp_with_time_zone(OauthCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthCodes::UsedAt))
                    .col(big_integer_null(OauthCodes::GrantId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OauthCodes::Table, OauthCodes::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OauthTokens::Id))
                    .col(string(OauthTokens::Kind))
                    .col(string_uniq(OauthTokens::LookupId))
                    .col(string(OauthTokens::SecretHash))
                    .col(big_integer(OauthTokens::GrantId))
                    .col(string(OauthTokens::ClientId))
                    .col(string(OauthTokens::Resource))
                    .col(string(OauthTokens::Scope))
                    .col(timestamp_with_time_zone(OauthTokens::CreatedAt))
                    .col(timestamp_with_time_zone(OauthTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OauthTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(OauthTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OauthTokens::Table, OauthTokens::GrantId)
                            .to(McpTokens::Table, McpTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_oauth_tokens_grant")
                    .table(OauthTokens::Table)
                    .col(OauthTokens::GrantId)
                    .if_not_exists()
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OauthTokens::Table.into_iden(),
            OauthCodes::Table.into_iden(),
            OauthClients::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
