//! The Contoso demo organisation: two tenants built from the ScubaGear sample export, a
//! dashboard user, and six months of weekly compliance scans produced by the real engine over
//! snapshots whose settings are switched off and on over time (`aether365_engine::variations`).
//! No score or finding is invented: each one is the engine's verdict on a stored snapshot.

use aether365_actors::directory::{self, DirectoryError, NewTenant};
use aether365_actors::scans::{self, CompletedScan, ScanError, ScanKind, ScanOrigin};
use aether365_actors::tokens::{self, Expiry, IssuedToken, TokenError};
use aether365_actors::TenantScope;
use aether365_engine::{Snapshot, evaluate_all, variations};
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

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

/// A demo tenant: its name, the name replacing the sample's, and the settings it always has changed.
struct DemoTenant {
    display_name: &'static str,
    domain_label: &'static str,
    microsoft_tenant_id: &'static str,
    permanent: &'static [&'static str],
}

const TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        display_name: "Contoso Production",
        domain_label: "contoso",
        microsoft_tenant_id: "3c19c757-3b55-411f-b03f-2bcc514a598d",
        permanent: &[],
    },
    DemoTenant {
        display_name: "Contoso EU",
        domain_label: "contosoeu",
        microsoft_tenant_id: "8f2d6a41-5c1e-4b7a-9e3d-0a6b7c8d9e10",
        permanent: &[],
    },
];

/// The sample export rewritten for one demo tenant.
fn tenant_snapshot(label: &str) -> Result<Snapshot, DemoError> {
    let text = std::str::from_utf8(SAMPLE_EXPORT).map_err(|e| DemoError::Sample(e.to_string()))?;
    let text = text.trim_start_matches('\u{feff}').replace(SAMPLE_TENANT_NAME, label);
    Snapshot::from_bytes(text.as_bytes()).map_err(|e| DemoError::Sample(e.to_string()))
}

/// Which variations are switched on in `week` (0 = oldest) for tenant number `tenant`.
///
/// Each variation is on for a window of weeks that depends on its position in the catalogue
/// and on the tenant, so scores drift, regress and recover for reasons one can point at.
pub fn active_variations(tenant: usize, week: i64) -> Vec<&'static str> {
    variations::names()
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let i = *i as i64 + tenant as i64 * 3;
            let start = (i * 7) % (HISTORY_WEEKS - 4);
            let length = 3 + (i * 5) % 9;
            week >= start && week < start + length
        })
        .map(|(_, name)| *name)
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
    let txn = db.begin().await?;
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
            let mut toggles: Vec<&str> = spec.permanent.to_vec();
            toggles.extend(active_variations(index, week));
            variations::apply(&mut snapshot, &toggles);
            let stored =
                directory::import_snapshot(&txn, &tenant, &snapshot, "collector", Some(at)).await?;
            let findings = evaluate_all(&snapshot);
            scans::persist_completed_scan(
                &txn,
                CompletedScan {
                    organisation_id: org.id,
                    tenant_id: tenant.id,
                    kind: ScanKind::Compliance,
                    origin: ScanOrigin::Schedule,
                    snapshot_id: Some(stored.id),
                    findings,
                    started_at: at,
                    finished_at: at + Duration::seconds(42),
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
    organisation_id: i64,
    label: &str,
) -> Result<IssuedToken, DemoError> {
    Ok(tokens::create_token(db, organisation_id, label, Expiry::Days90, TenantScope::All, None).await?)
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    (0..20)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Ready-to-paste client configurations for a server at `public_url` and a token.
pub fn client_configs(public_url: &str, token: &str) -> String {
    let base = public_url.trim_end_matches('/');
    let claude = serde_json::json!({
        "mcpServers": {"aether365": {
            "command": "npx",
            "args": ["-y", "mcp-remote", format!("{base}/sse"), "--header", "Authorization:${AETHER365_AUTH}"],
            "env": {"AETHER365_AUTH": format!("Bearer {token}")}
        }}
    });
    let cursor = serde_json::json!({
        "mcpServers": {"aether365": {
            "url": format!("{base}/mcp"),
            "headers": {"Authorization": format!("Bearer {token}")}
        }}
    });
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    format!(
        "Claude Desktop (claude_desktop_config.json):\n{}\n\nCursor (~/.cursor/mcp.json):\n{}\n",
        pretty(&claude),
        pretty(&cursor)
    )
}
