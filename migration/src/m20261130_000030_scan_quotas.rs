//! Concurrent-scan quotas count the queued and running scans of a token and of an
//! organisation at every start: partial indexes keep those counts to the active rows.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS ix_scans_active_org ON scans (organisation_id) \
             WHERE status IN ('queued', 'running')",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS ix_scans_active_token ON scans (requested_by_token_id) \
             WHERE status IN ('queued', 'running')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_scans_active_token")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_scans_active_org")
            .await?;
        Ok(())
    }
}
