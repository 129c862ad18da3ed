//! `audit list`: the audit trail of an organisation.

use aether365_actors::audit::{self, AuditFilter};
use aether365_actors::directory;
use chrono::{DateTime, Duration, Utc};
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use super::{CliError, print_json};

/// `aether365 audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit rows, newest first.
    List {
        /// Organisation name or id.
        #[arg(long)]
        org: String,
        /// Only this token's rows (numeric id).
        #[arg(long)]
        token: Option<i64>,
        /// Only rows since this time: RFC 3339 (2026-11-01T00:00:00Z) or a duration back (30m, 24h, 7d).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[arg(long)]
        json: bool,
    },
}

/// Parses `--since`: RFC 3339, or a number followed by m, h or d.
fn parse_since(text: &str) -> Result<DateTime<Utc>, CliError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let amount: i64 = number.parse().map_err(|_| {
        CliError::Invalid(format!(
            "--since {text:?}: use RFC 3339 (2026-11-01T00:00:00Z) or a duration like 30m, 24h, 7d"
        ))
    })?;
    let span = match unit {
        "m" => Duration::minutes(amount),
        "h" => Duration::hours(amount),
        "d" => Duration::days(amount),
        _ => {
            return Err(CliError::Invalid(format!(
                "--since {text:?}: the unit must be m, h or d"
            )));
        }
    };
    Ok(Utc::now() - span)
}

pub async fn run(db: &DatabaseConnection, cmd: AuditCommand) -> Result<(), CliError> {
    let AuditCommand::List {
        org,
        token,
        since,
        limit,
        json,
    } = cmd;
    let org = directory::find_organisation(db, &org).await?;
    let since = since.as_deref().map(parse_since).transpose()?;
    let rows = audit::list(
        db,
        &AuditFilter {
            organisation_id: org.id,
            token_id: token,
            since,
            limit,
        },
    )
    .await?;
    if json {
        return print_json(&rows.iter().map(audit::AuditRow::of).collect::<Vec<_>>());
    }
    for r in rows {
        println!(
            "{}  {:<6} {:<24} {:<22} {:<16} {:<7} {}",
            r.created_at.format("%Y-%m-%d %H:%M:%S"),
            r.actor_kind,
            r.actor_label.as_deref().unwrap_or("-"),
            r.action,
            r.tool.as_deref().unwrap_or("-"),
            r.outcome,
            r.client_addr.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_rfc3339_and_durations() {
        assert!(parse_since("2026-11-01T00:00:00Z").is_ok());
        let day = parse_since("1d").unwrap();
        assert!((Utc::now() - day - Duration::days(1)).num_seconds().abs() < 5);
        assert!(parse_since("yesterday").is_err());
        assert!(parse_since("5w").is_err());
    }
}
