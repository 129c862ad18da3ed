//! Consent proof (issue 20, item 1): a consent request is bound to the browser that started it
//! and carries what the OpenID Connect sign-in that proves the administrator needs: the hash of
//! the browser-binding cookie, the PKCE verifier and the nonce (both sent to Microsoft, so kept
//! as they are), and the tenant the admin-consent step named (only compared with the ID token's
//! `tid`, never trusted on its own).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsentRequests {
    Table,
    BrowserHash,
    PkceVerifier,
    Nonce,
    ClaimedTenant,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Requests issued before this migration have no binding: they can no longer finish.
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string_null(ConsentRequests::BrowserHash),
            string_null(ConsentRequests::PkceVerifier),
            string_null(ConsentRequests::Nonce),
            string_null(ConsentRequests::ClaimedTenant),
        ];
        for column in columns {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(ConsentRequests::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ConsentRequests::ClaimedTenant,
            ConsentRequests::Nonce,
            ConsentRequests::PkceVerifier,
            ConsentRequests::BrowserHash,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ConsentRequests::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
