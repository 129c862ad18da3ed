//! Scheduled scans (`scan_schedules`, one per tenant; `next_run_at` is the occurrence the
//! instances compete for with a compare-and-set) and each completed scan's drift against the
//! previous comparable scan (`scans.drift`, JSON).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScanSchedules {
    Table,
    Id,
    OrganisationId,
    TenantId,
    Cadence,
    TimeOfDay,
    Weekday,
    TimeZone,
    Cron,
    Compliance,
    Exposure,
    Enabled,
    NextRunAt,
    LastRunAt,
    LastOutcome,
    LastScanId,
    UpdatedByUserId,
    UpdatedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Scans {
    Table,
    Drift,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScanSchedules::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ScanSchedules::Id))
                    .col(big_integer(ScanSchedules::OrganisationId))
                    .col(big_integer_uniq(ScanSchedules::TenantId))
                    .col(string(ScanSchedules::Cadence))
                    .col(string_null(ScanSchedules::TimeOfDay))
                    .col(string_null(ScanSchedules::Weekday))
                    .col(string(ScanSchedules::TimeZone))
                    .col(string_null(ScanSchedules::Cron))
                    .col(boolean(ScanSchedules::Compliance))
                    .col(boolean(ScanSchedules::Exposure))
                    .col(boolean(ScanSchedules::Enabled))
                    .col(timestamp_with_time_zone_null(ScanSchedules::NextRunAt))
                    .col(timestamp_with_time_zone_null(ScanSchedules::LastRunAt))
                    .col(string_null(ScanSchedules::LastOutcome))
                    .col(big_integer_null(ScanSchedules::LastScanId))
                    .col(big_integer_null(ScanSchedules::UpdatedByUserId))
                    .col(timestamp_with_time_zone(ScanSchedules::UpdatedAt))
                    .col(timestamp_with_time_zone(ScanSchedules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScanSchedules::Table, ScanSchedules::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scan_schedules_due")
                    .table(ScanSchedules::Table)
                    .col(ScanSchedules::NextRunAt)
                    .take(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Scans::Table)
                    .add_column(ColumnDef::new(Scans::Drift).json().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Scans::Table)
                    .drop_column(Scans::Drift)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ScanSchedules::Table).to_owned())
            .await
    }
}
