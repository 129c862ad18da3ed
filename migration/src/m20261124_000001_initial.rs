//! The initial schema: organisations, users, tenants, snapshots, scans, findings, tokens,
//! audit log and reports, with the indexes the MCP reads need.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrganisationId,
    Email,
    PasswordHash,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    OrganisationId,
    DisplayName,
    MicrosoftTenantId,
    PrimaryDomain,
    VerifiedDomains,
    ConnectedAt,
}

#[derive(DeriveIden)]
enum ConfigSnapshots {
    Table,
    Id,
    OrganisationId,
    TenantId,
    CollectedAt,
    Source,
    Data,
}

#[derive(DeriveIden)]
enum Scans {
    Table,
    Id,
    OrganisationId,
    TenantId,
    Kind,
    Origin,
    RequestedByUserId,
    RequestedByTokenId,
    AiPilot,
    Status,
    ProgressDone,
    ProgressTotal,
    SnapshotId,
    CreatedAt,
    StartedAt,
    FinishedAt,
    Score,
    PassCount,
    FailCount,
    ManualCount,
    ErrorCount,
    NotApplicableCount,
    CriticalCount,
    HighCount,
    MediumCount,
    LowCount,
    InfoCount,
    Summary,
    Error,
}

#[derive(DeriveIden)]
enum Findings {
    Table,
    Id,
    OrganisationId,
    TenantId,
    ScanId,
    CheckId,
    Title,
    Service,
    Severity,
    SeverityRank,
    Status,
    CisSection,
    CisVersion,
    ScubaIds,
    NistControls,
    IsoControls,
    Frameworks,
    Message,
    Evidence,
    Rationale,
    Remediation,
    RemediationUrl,
}

#[derive(DeriveIden)]
enum McpTokens {
    Table,
    Id,
    OrganisationId,
    Label,
    LookupId,
    SecretHash,
    TenantScope,
    CreatedByUserId,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OrganisationId,
    ActorKind,
    ActorId,
    ActorLabel,
    Action,
    McpMethod,
    Tool,
    TargetIds,
    Outcome,
    Detail,
    ClientAddr,
    UserAgent,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    OrganisationId,
    TenantId,
    Audience,
    Framework,
    Title,
    Markdown,
    RequestedByTokenId,
    CreatedAt,
}

fn foreign_key(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create()
        .name(name)
        .table(table)
        .if_not_exists()
        .take();
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Organisations::Id))
                    .col(string_uniq(Organisations::Name))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Users::Id))
                    .col(big_integer(Users::OrganisationId))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::PasswordHash))
                    .col(string(Users::Role))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        Users::Table,
                        Users::OrganisationId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Tenants::Id))
                    .col(big_integer(Tenants::OrganisationId))
                    .col(string(Tenants::DisplayName))
                    .col(string(Tenants::MicrosoftTenantId))
                    .col(string(Tenants::PrimaryDomain))
                    .col(json(Tenants::VerifiedDomains))
                    .col(timestamp_with_time_zone(Tenants::ConnectedAt))
                    .foreign_key(&mut foreign_key(
                        Tenants::Table,
                        Tenants::OrganisationId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_tenants_org_name",
                    Tenants::Table,
                    &["organisation_id", "display_name"],
                )
                .unique()
                .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConfigSnapshots::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ConfigSnapshots::Id))
                    .col(big_integer(ConfigSnapshots::OrganisationId))
                    .col(big_integer(ConfigSnapshots::TenantId))
                    .col(timestamp_with_time_zone(ConfigSnapshots::CollectedAt))
                    .col(string(ConfigSnapshots::Source))
                    .col(json(ConfigSnapshots::Data))
                    .foreign_key(&mut foreign_key(
                        ConfigSnapshots::Table,
                        ConfigSnapshots::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_snapshots_tenant_time",
                ConfigSnapshots::Table,
                &["tenant_id", "collected_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Scans::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Scans::Id))
                    .col(big_integer(Scans::OrganisationId))
                    .col(big_integer(Scans::TenantId))
                    .col(string(Scans::Kind))
                    .col(string(Scans::Origin))
                    .col(big_integer_null(Scans::RequestedByUserId))
                    .col(big_integer_null(Scans::RequestedByTokenId))
                    .col(boolean(Scans::AiPilot).default(false))
                    .col(string(Scans::Status))
                    .col(integer(Scans::ProgressDone).default(0))
                    .col(integer(Scans::ProgressTotal).default(0))
                    .col(big_integer_null(Scans::SnapshotId))
                    .col(timestamp_with_time_zone(Scans::CreatedAt))
                    .col(timestamp_with_time_zone_null(Scans::StartedAt))
                    .col(timestamp_with_time_zone_null(Scans::FinishedAt))
                    .col(double_null(Scans::Score))
                    .col(integer(Scans::PassCount).default(0))
                    .col(integer(Scans::FailCount).default(0))
                    .col(integer(Scans::ManualCount).default(0))
                    .col(integer(Scans::ErrorCount).default(0))
                    .col(integer(Scans::NotApplicableCount).default(0))
                    .col(integer(Scans::CriticalCount).default(0))
                    .col(integer(Scans::HighCount).default(0))
                    .col(integer(Scans::MediumCount).default(0))
                    .col(integer(Scans::LowCount).default(0))
                    .col(integer(Scans::InfoCount).default(0))
                    .col(json_null(Scans::Summary))
                    .col(text_null(Scans::Error))
                    .foreign_key(&mut foreign_key(
                        Scans::Table,
                        Scans::TenantId,
                        Tenants::Table,
                        Tenants::Id,
                    ))
                    .take(),
            )
            .await?;
        // Latest completed scan per tenant, and scans by tenant and time.
        manager
            .create_index(index(
                "ix_scans_tenant_status_time",
                Scans::Table,
                &["tenant_id", "status", "finished_at"],
            ))
            .await?;
        // At most one queued or running scan per tenant and kind, even across instances.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS ux_scans_one_active ON scans (tenant_id, kind) \
                 WHERE status IN ('queued', 'running')",
            )
            .await?;
        manager
            .create_index(index(
                "ix_scans_tenant_created",
                Scans::Table,
                &["tenant_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_scans_org_created",
                Scans::Table,
                &["organisation_id", "created_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Findings::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Findings::Id))
                    .col(big_integer(Findings::OrganisationId))
                    .col(big_integer(Findings::TenantId))
                    .col(big_integer(Findings::ScanId))
                    .col(string(Findings::CheckId))
                    .col(string(Findings::Title))
                    .col(string(Findings::Service))
                    .col(string(Findings::Severity))
                    .col(integer(Findings::SeverityRank))
                    .col(string(Findings::Status))
                    .col(string_null(Findings::CisSection))
                    .col(string_null(Findings::CisVersion))
                    .col(string_null(Findings::ScubaIds))
                    .col(string_null(Findings::NistControls))
                    .col(string_null(Findings::IsoControls))
                    .col(json(Findings::Frameworks))
                    .col(text(Findings::Message))
                    .col(json(Findings::Evidence))
                    .col(text(Findings::Rationale))
                    .col(text(Findings::Remediation))
                    .col(string(Findings::RemediationUrl))
                    .foreign_key(&mut foreign_key(
                        Findings::Table,
                        Findings::ScanId,
                        Scans::Table,
                        Scans::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_findings_scan_status_severity",
                Findings::Table,
                &["scan_id", "status", "severity_rank"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_findings_scan_service",
                Findings::Table,
                &["scan_id", "service"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_findings_tenant_check",
                Findings::Table,
                &["tenant_id", "check_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(McpTokens::Table)
                    .if_not_exists()
                    .col(big_pk_auto(McpTokens::Id))
                    .col(big_integer(McpTokens::OrganisationId))
                    .col(string(McpTokens::Label))
                    .col(string_uniq(McpTokens::LookupId))
                    .col(string(McpTokens::SecretHash))
                    .col(json_null(McpTokens::TenantScope))
                    .col(big_integer_null(McpTokens::CreatedByUserId))
                    .col(timestamp_with_time_zone(McpTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(McpTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(McpTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(McpTokens::RevokedAt))
                    .foreign_key(&mut foreign_key(
                        McpTokens::Table,
                        McpTokens::OrganisationId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_tokens_org",
                McpTokens::Table,
                &["organisation_id", "created_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditLog::Id))
                    .col(big_integer_null(AuditLog::OrganisationId))
                    .col(string(AuditLog::ActorKind))
                    .col(big_integer_null(AuditLog::ActorId))
                    .col(string_null(AuditLog::ActorLabel))
                    .col(string(AuditLog::Action))
                    .col(string_null(AuditLog::McpMethod))
                    .col(string_null(AuditLog::Tool))
                    .col(json(AuditLog::TargetIds))
                    .col(string(AuditLog::Outcome))
                    .col(text_null(AuditLog::Detail))
                    .col(string_null(AuditLog::ClientAddr))
                    .col(string_null(AuditLog::UserAgent))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_audit_org_time",
                AuditLog::Table,
                &["organisation_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_audit_actor_time",
                AuditLog::Table,
                &["actor_id", "created_at"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Reports::Id))
                    .col(big_integer(Reports::OrganisationId))
                    .col(big_integer_null(Reports::TenantId))
                    .col(string(Reports::Audience))
                    .col(string_null(Reports::Framework))
                    .col(string(Reports::Title))
                    .col(text(Reports::Markdown))
                    .col(big_integer_null(Reports::RequestedByTokenId))
                    .col(timestamp_with_time_zone(Reports::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        Reports::Table,
                        Reports::OrganisationId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Reports::Table.into_iden(),
            AuditLog::Table.into_iden(),
            McpTokens::Table.into_iden(),
            Findings::Table.into_iden(),
            Scans::Table.into_iden(),
            ConfigSnapshots::Table.into_iden(),
            Tenants::Table.into_iden(),
            Users::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
