//! Sign in with Microsoft (issue 23): the pending sign-ins (the hash of each single-use `state`,
//! bound to the browser that started it, with its PKCE verifier and nonce) and the Entra
//! identity (tenant id + object id) linked to a dashboard user after the first sign-in.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MicrosoftSignIns {
    Table,
    StateHash,
    BrowserHash,
    PkceVerifier,
    Nonce,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum EntraIdentities {
    Table,
    Id,
    UserId,
    OrganisationId,
    MicrosoftTenantId,
    ObjectId,
    LinkedAt,
}

#[derive(DeriveIden)]
enum Users {
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
                    .table(MicrosoftSignIns::Table)
                    .if_not_exists()
                    .col(string(MicrosoftSignIns::StateHash).primary_key())
                    .col(string(MicrosoftSignIns::BrowserHash))
                    .col(string(MicrosoftSignIns::PkceVerifier))
                    .col(string(MicrosoftSignIns::Nonce))
                    .col(timestamp_with_time_zone(MicrosoftSignIns::CreatedAt))
                    .col(timestamp_with_time_zone(MicrosoftSignIns::ExpiresAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_microsoft_sign_ins_expires")
                    .table(MicrosoftSignIns::Table)
                    .col(MicrosoftSignIns::ExpiresAt)
                    .if_not_exists()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EntraIdentities::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EntraIdentities::Id))
                    .col(big_integer_uniq(EntraIdentities::UserId))
                    .col(big_integer(EntraIdentities::OrganisationId))
                    .col(string(EntraIdentities::MicrosoftTenantId))
                    .col(string(EntraIdentities::ObjectId))
                    .col(timestamp_with_time_zone(EntraIdentities::LinkedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EntraIdentities::Table, EntraIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EntraIdentities::Table, EntraIdentities::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_entra_identities_tenant_object")
                    .table(EntraIdentities::Table)
                    .col(EntraIdentities::MicrosoftTenantId)
                    .col(EntraIdentities::ObjectId)
                    .unique()
                    .if_not_exists()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(EntraIdentities::Table)
                    .if_exists()
                    .take(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(MicrosoftSignIns::Table)
                    .if_exists()
                    .take(),
            )
            .await
    }
}
