//! Several instances on one database: scan leases (owner and expiry, renewed by a heartbeat),
//! the rows that carry cluster messages too large for a PostgreSQL `NOTIFY`, and (PostgreSQL
//! only) the channel function and the trigger that announce token revocations.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Scans {
    Table,
    LeaseOwner,
    LeaseExpiresAt,
}

#[derive(DeriveIden)]
enum ClusterMessages {
    Table,
    Id,
    Payload,
    CreatedAt,
}

/// The `NOTIFY` channel of this database and schema (schemas share channels otherwise).
const CHANNEL_FUNCTION: &str = "CREATE OR REPLACE FUNCTION aether365_channel() RETURNS text \
    LANGUAGE sql STABLE AS $$ SELECT 'aether365_' || left(md5(current_database() || '.' || current_schema()), 20) $$";

/// Announces a revoked (or deleted) token to every instance.
const REVOKE_FUNCTION: &str = "CREATE OR REPLACE FUNCTION aether365_token_revoked() RETURNS trigger \
    LANGUAGE plpgsql AS $$ BEGIN \
      IF TG_OP = 'DELETE' THEN \
        PERFORM pg_notify(aether365_channel(), json_build_object('revoked', json_build_object('token_id', OLD.id))::text); \
        RETURN OLD; \
      END IF; \
      IF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN \
        PERFORM pg_notify(aether365_channel(), json_build_object('revoked', json_build_object('token_id', NEW.id))::text); \
      END IF; \
      RETURN NEW; \
    END $$";

const REVOKE_TRIGGER: &str = "CREATE TRIGGER mcp_tokens_revoked AFTER UPDATE OF revoked_at OR DELETE \
    ON mcp_tokens FOR EACH ROW EXECUTE FUNCTION aether365_token_revoked()";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            string_null(Scans::LeaseOwner),
            timestamp_with_time_zone_null(Scans::LeaseExpiresAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Scans::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ClusterMessages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ClusterMessages::Id))
                    .col(text(ClusterMessages::Payload))
                    .col(timestamp_with_time_zone(ClusterMessages::CreatedAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared(CHANNEL_FUNCTION).await?;
            db.execute_unprepared(REVOKE_FUNCTION).await?;
            db.execute_unprepared(REVOKE_TRIGGER).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS mcp_tokens_revoked ON mcp_tokens")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS aether365_token_revoked()")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS aether365_channel()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ClusterMessages::Table).to_owned())
            .await?;
        for column in [Scans::LeaseOwner, Scans::LeaseExpiresAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Scans::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
