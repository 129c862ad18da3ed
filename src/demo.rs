//! The Contoso demo organisation: two tenants built from the ScubaGear sample export, a
//! dashboard user, and six months of weekly compliance scans produced by the real engine over
//! snapshots whose settings are switched off and on over time (`aether365_engine::variations`).
//! No score or finding is invented: each one is the engine's verdict on a stored snapshot.

use aether365_actors::TenantScope;
use aether365_actors::directory::{self, DirectoryError, NewTenant};
use aether365_actors::scans::{
    self, CompletedScan, ScanError, ScanInput, ScanKind, ScanOrigin, SnapshotSource,
};
use aether365_actors::tokens::{self, Expiry, IssuedToken, TokenError};
use aether365_engine::{Snapshot, evaluate_all, variations};
use chrono::{Duration, Utc};
use sea_orm::DatabaseConnection;

/// The ScubaGear sample export (CC0), shipped in the binary so the demo works anywhere.
const SAMPLE_EXPORT: &[u8] = include_bytes!("../fixtures/scubagear/ProviderSettingsExport.json");
/// The anonymised tenant name in the sample, replaced by each demo tenant's own.
const SAMPLE_TENANT_NAME: &str = "tqhjy";

/// The demo organisation's name.
pub const DEMO_ORG: &str = "Contoso";
/// The demo dashboard login.
pub const DEMO_USER: &str = "admin@contoso.example";
/// Weekly scans of history per tenant.
pub const HISTORY_WEEKS: i64 = 26;

/// Errors while building the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("the bundled sample export is unreadable: {0}")]
    Sample(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// A demo tenant: its name, and the name replacing the sample's in its domains.
struct DemoTenant {
    display_name: &'static str,
    domain_label: &'static str,
    microsoft_tenant_id: &'static str,
}

const TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        display_name: "Contoso Production",
        domain_label: "contoso",
        microsoft_tenant_id: "3c19c757-3b55-411f-b03f-2bcc514a598d",
    },
    DemoTenant {
        display_name: "Contoso EU",
        domain_label: "contosoeu",
        microsoft_tenant_id: "8f2d6a41-5c1e-4b7a-9e3d-0a6b7c8d9e10",
    },
];

/// The settings a live collection adds beside ScubaGear's keys (the snapshot's `aether365`
/// section), as the Microsoft 365 stand-in's sample tenant serves them: without them the demo
/// could decide only what a plain ScubaGear export carries.
const AETHER365_PARTS: [&[u8]; 6] = [
    include_bytes!("../fixtures/aether365/directory.json"),
    include_bytes!("../fixtures/aether365/entra-settings.json"),
    include_bytes!("../fixtures/aether365/exchange-cis.json"),
    include_bytes!("../fixtures/aether365/exchange-protection.json"),
    include_bytes!("../fixtures/aether365/fabric-tenant-settings.json"),
    include_bytes!("../fixtures/aether365/security-suite.json"),
];

/// The sample export rewritten for one demo tenant, with the `aether365` section a live
/// collection of the sample tenant writes, its reads recorded as successful.
fn tenant_snapshot(label: &str) -> Result<Snapshot, DemoError> {
    let text = std::str::from_utf8(SAMPLE_EXPORT).map_err(|e| DemoError::Sample(e.to_string()))?;
    let text = text
        .trim_start_matches('\u{feff}')
        .replace(SAMPLE_TENANT_NAME, label);
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| DemoError::Sample(e.to_string()))?;
    let mut section = serde_json::Map::new();
    for part in AETHER365_PARTS {
        let part: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(part).map_err(|e| DemoError::Sample(e.to_string()))?;
        section.extend(part);
    }
    let Some(export) = value.as_object_mut() else {
        return Err(DemoError::Sample(
            "the sample export is not an object".into(),
        ));
    };
    aether365_engine::snapshot::add_live_section(export, section);
    Snapshot::from_value(value).map_err(|e| DemoError::Sample(e.to_string()))
}

/// When each configuration change was in force, per demo tenant: `(tenant, variation, from
/// week, until week)`, weeks counted from the oldest scan (0) to the current one
/// ([`HISTORY_WEEKS`]), `until` exclusive. Improvements are adopted for good; regressions come
/// and go, so every movement of a score has a cause one can name.
const SCHEDULE: &[(usize, &str, i64, i64)] = &[
    (0, "restrict_app_registration", 3, i64::MAX),
    (0, "disable_legacy_auth_block", 5, 7),
    (0, "complete_auth_methods_migration", 8, i64::MAX),
    (0, "enable_smtp_auth", 10, 13),
    (0, "expire_guest_access", 12, i64::MAX),
    (0, "allow_anyone_links", 14, 18),
    (0, "block_anonymous_meeting_join", 16, i64::MAX),
    (0, "disable_audit_log", 19, 20),
    (0, "create_power_platform_dlp", 20, i64::MAX),
    (0, "open_teams_external_access", 22, 24),
    (0, "weaken_dmarc", 24, i64::MAX),
    (0, "enforce_phishing_resistant_mfa", 26, i64::MAX),
    (0, "enable_auto_forwarding", 26, i64::MAX),
    (1, "allow_environment_creation", 0, 15),
    (1, "disable_mailbox_audit", 0, 9),
    (1, "open_teams_external_access", 0, 21),
    (1, "complete_auth_methods_migration", 6, i64::MAX),
    (1, "disable_mfa_all_users", 11, 14),
    (1, "disable_safe_attachments_spo", 17, 25),
    (1, "block_anonymous_meeting_join", 19, i64::MAX),
    (1, "allow_anyone_links", 23, i64::MAX),
    (1, "restrict_app_registration", 25, i64::MAX),
];

/// The variations in force in `week` for demo tenant number `tenant`.
pub fn active_variations(tenant: usize, week: i64) -> Vec<&'static str> {
    SCHEDULE
        .iter()
        .filter(|(t, _, from, until)| *t == tenant && (*from..*until).contains(&week))
        .map(|(_, name, _, _)| *name)
        .collect()
}

/// What `ensure` did.
pub struct DemoOutcome {
    pub organisation_id: i64,
    pub created: bool,
    /// The dashboard password, only when the user was created now.
    pub password: Option<String>,
}

/// Creates the demo organisation with its history unless it exists.
pub async fn ensure(db: &DatabaseConnection) -> Result<DemoOutcome, DemoError> {
    if let Ok(org) = directory::find_organisation(db, DEMO_ORG).await {
        return Ok(DemoOutcome {
            organisation_id: org.id,
            created: false,
            password: None,
        });
    }
    let password = random_password();
    let txn = aether365_actors::db::begin_write(db).await?;
    let org = directory::create_organisation(&txn, DEMO_ORG).await?;
    directory::create_user(&txn, org.id, DEMO_USER, &password, "owner").await?;
    let now = Utc::now();
    for (index, spec) in TENANTS.iter().enumerate() {
        let base = tenant_snapshot(spec.domain_label)?;
        let tenant = directory::add_tenant(
            &txn,
            org.id,
            NewTenant {
                display_name: spec.display_name.to_string(),
                microsoft_tenant_id: Some(spec.microsoft_tenant_id.to_string()),
                domains: base.domains(),
            },
        )
        .await?;
        for week in 0..=HISTORY_WEEKS {
            let at = now - Duration::weeks(HISTORY_WEEKS - week) - Duration::hours(index as i64);
            let mut snapshot = base.clone();
            variations::apply(&mut snapshot, &active_variations(index, week));
            let stored = directory::import_snapshot(
                &txn,
                &tenant,
                &snapshot,
                SnapshotSource::Sample,
                Some(at),
            )
            .await?;
            let findings = evaluate_all(&snapshot);
            scans::persist_completed_scan(
                &txn,
                CompletedScan {
                    organisation_id: org.id,
                    tenant_id: tenant.id,
                    kind: ScanKind::Compliance,
                    origin: ScanOrigin::Sample,
                    snapshot_id: Some(stored.id),
                    input: Some(ScanInput::of_snapshot(
                        stored.id,
                        SnapshotSource::Sample,
                        at,
                        None,
                    )),
                    findings,
                    started_at: at - Duration::seconds(42),
                    finished_at: at,
                },
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(DemoOutcome {
        organisation_id: org.id,
        created: true,
        password: Some(password),
    })
}

/// Issues a fresh 90-day token for the demo organisation.
pub async fn issue_token(
    db: &DatabaseConnection,
    key: &tokens::TokenKey,
    organisation_id: i64,
    label: &str,
) -> Result<IssuedToken, DemoError> {
    Ok(tokens::create_token(
        db,
        key,
        organisation_id,
        label,
        Expiry::Days90,
        TenantScope::All,
        None,
    )
    .await?)
}

/// A random 20-character password (no look-alike characters).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..20)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The Claude Desktop and Cursor configurations for a server at `public_url` and a token.
/// Claude Desktop's bridge, mcp-remote, speaks Streamable HTTP to `/mcp`; `/sse` (HTTP+SSE,
/// deprecated in 2026-07-28) stays served for older bridges.
pub fn client_config_values(
    public_url: &str,
    token: &str,
) -> (serde_json::Value, serde_json::Value) {
    let base = public_url.trim_end_matches('/');
    let claude = serde_json::json!({
        "mcpServers": {"aether365": {
            "command": "npx",
            "args": ["-y", "mcp-remote", format!("{base}/mcp"), "--header", "Authorization:${AETHER365_AUTH}"],
            "env": {"AETHER365_AUTH": format!("Bearer {token}")}
        }}
    });
    let cursor = serde_json::json!({
        "mcpServers": {"aether365": {
            "url": format!("{base}/mcp"),
            "headers": {"Authorization": format!("Bearer {token}")}
        }}
    });
    (claude, cursor)
}

/// Ready-to-paste client configurations for a server at `public_url` and a token.
pub fn client_configs(public_url: &str, token: &str) -> String {
    let (claude, cursor) = client_config_values(public_url, token);
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    format!(
        "Claude Desktop (claude_desktop_config.json):\n{}\n(An older mcp-remote without Streamable HTTP: use {}/sse instead of /mcp.)\n\nCursor (~/.cursor/mcp.json):\n{}\n",
        pretty(&claude),
        public_url.trim_end_matches('/'),
        pretty(&cursor)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use aether365_engine::Status;

    #[test]
    fn the_schedule_names_only_real_variations() {
        for (_, name, from, until) in SCHEDULE {
            assert!(variations::names().contains(name), "{name}");
            assert!(from < until);
        }
        assert!(active_variations(0, HISTORY_WEEKS).contains(&"enable_auto_forwarding"));
        assert!(active_variations(0, 0).is_empty());
    }

    #[test]
    fn every_settings_fixture_is_in_the_demo() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/aether365");
        let files = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "json")
            })
            .count();
        assert_eq!(files, AETHER365_PARTS.len());
    }

    #[test]
    fn the_demo_decides_what_a_live_collection_decides() {
        let snapshot = tenant_snapshot("contoso").unwrap();
        let errors: Vec<String> = evaluate_all(&snapshot)
            .into_iter()
            .filter(|f| f.status == Status::Error)
            .map(|f| format!("{}: {}", f.check_id, f.message))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
