//! Dashboard login sessions (the hash of the cookie's session id, its user and expiry), and
//! the index that counts a client address's recent failed sign-ins in the audit log.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DashboardSessions {
    Table,
    IdHash,
    UserId,
    OrganisationId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Action,
    ClientAddr,
    CreatedAt,
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
                    .table(DashboardSessions::Table)
                    .if_not_exists()
                    .col(string(DashboardSessions::IdHash).primary_key())
                    .col(big_integer(DashboardSessions::UserId))
                    .col(big_integer(DashboardSessions::OrganisationId))
                    .col(timestamp_with_time_zone(DashboardSessions::CreatedAt))
                    .col(timestamp_with_time_zone(DashboardSessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(DashboardSessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DashboardSessions::Table, DashboardSessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(DashboardSessions::Table, DashboardSessions::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_dashboard_sessions_user")
                    .table(DashboardSessions::Table)
                    .col(DashboardSessions::UserId)
                    .if_not_exists()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_action_addr_time")
                    .table(AuditLog::Table)
                    .col(AuditLog::Action)
                    .col(AuditLog::ClientAddr)
                    .col(AuditLog::CreatedAt)
                    .if_not_exists()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_audit_action_addr_time")
                    .table(AuditLog::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(
                Table::drop()
                    .table(DashboardSessions::Table)
                    .if_exists()
                    .take(),
            )
            .await
    }
}
