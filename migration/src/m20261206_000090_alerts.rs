//! Alerts: destinations (webhook, Teams, Slack, e-mail) and rules per organisation, and the
//! durable outbox of deliveries (`alert_deliveries`, one row per rule, destination and scan,
//! claimed by the dispatchers with a compare-and-set lease).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertDestinations {
    Table,
    Id,
    OrganisationId,
    Name,
    Kind,
    Target,
    Settings,
    Secret,
    CreatedByUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    OrganisationId,
    Name,
    Trigger,
    MinSeverity,
    ScoreDrop,
    DestinationIds,
    Enabled,
    CreatedByUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AlertDeliveries {
    Table,
    Id,
    OrganisationId,
    RuleId,
    DestinationId,
    ScanId,
    TenantId,
    DedupeKey,
    Event,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseExpiresAt,
    LastError,
    CreatedAt,
    DeliveredAt,
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
                    .table(AlertDestinations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertDestinations::Id))
                    .col(big_integer(AlertDestinations::OrganisationId))
                    .col(string(AlertDestinations::Name))
                    .col(string(AlertDestinations::Kind))
                    .col(text(AlertDestinations::Target))
                    .col(json_null(AlertDestinations::Settings))
                    .col(text_null(AlertDestinations::Secret))
                    .col(big_integer_null(AlertDestinations::CreatedByUserId))
                    .col(timestamp_with_time_zone(AlertDestinations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertDestinations::Table, AlertDestinations::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertRules::Id))
                    .col(big_integer(AlertRules::OrganisationId))
                    .col(string(AlertRules::Name))
                    .col(string(AlertRules::Trigger))
                    .col(string_null(AlertRules::MinSeverity))
                    .col(double_null(AlertRules::ScoreDrop))
                    .col(json(AlertRules::DestinationIds))
                    .col(boolean(AlertRules::Enabled))
                    .col(big_integer_null(AlertRules::CreatedByUserId))
                    .col(timestamp_with_time_zone(AlertRules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertRules::Table, AlertRules::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertDeliveries::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AlertDeliveries::Id))
                    .col(big_integer(AlertDeliveries::OrganisationId))
                    .col(big_integer_null(AlertDeliveries::RuleId))
                    .col(big_integer(AlertDeliveries::DestinationId))
                    .col(big_integer_null(AlertDeliveries::ScanId))
                    .col(big_integer_null(AlertDeliveries::TenantId))
                    .col(string_uniq(AlertDeliveries::DedupeKey))
                    .col(json(AlertDeliveries::Event))
                    .col(string(AlertDeliveries::Status))
                    .col(integer(AlertDeliveries::Attempts))
                    .col(timestamp_with_time_zone(AlertDeliveries::NextAttemptAt))
                    .col(string_null(AlertDeliveries::LeaseOwner))
                    .col(timestamp_with_time_zone_null(
                        AlertDeliveries::LeaseExpiresAt,
                    ))
                    .col(text_null(AlertDeliveries::LastError))
                    .col(timestamp_with_time_zone(AlertDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(AlertDeliveries::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertDeliveries::Table, AlertDeliveries::DestinationId)
                            .to(AlertDestinations::Table, AlertDestinations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_alert_deliveries_due")
                    .table(AlertDeliveries::Table)
                    .col(AlertDeliveries::Status)
                    .col(AlertDeliveries::NextAttemptAt)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_alert_deliveries_organisation")
                    .table(AlertDeliveries::Table)
                    .col(AlertDeliveries::OrganisationId)
                    .col(AlertDeliveries::Id)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AlertDeliveries::Table.into_iden(),
            AlertRules::Table.into_iden(),
            AlertDestinations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
