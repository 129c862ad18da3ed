//! `demo`: the Contoso demo organisation, a fresh token and client configurations.

use aether365_actors::tokens::TokenKey;
use clap::Args;
use sea_orm::DatabaseConnection;

use super::CliError;
use crate::demo;

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The URL clients reach the server at, for the printed configurations.
    #[arg(
        long,
        env = "AETHER365_PUBLIC_URL",
        default_value = "http://127.0.0.1:8365"
    )]
    pub public_url: String,
    /// Print JSON for scripts: {"token", "organisation_id", "claude_desktop", "cursor", "dashboard_user"}.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(
    db: &DatabaseConnection,
    key_file: &std::path::Path,
    args: DemoArgs,
) -> Result<(), CliError> {
    let key = TokenKey::load_or_create(key_file)?;
    let outcome = prepare(db).await?;
    let issued = demo::issue_token(db, &key, outcome.organisation_id, "demo assistant")
        .await
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    if args.json {
        let (claude, cursor) = demo::client_config_values(&args.public_url, &issued.token);
        return super::print_json(&serde_json::json!({
            "token": issued.token,
            "token_id": issued.record.id,
            "organisation_id": outcome.organisation_id,
            "claude_desktop": claude,
            "cursor": cursor,
            "dashboard_user": demo::DEMO_USER,
            "dashboard_password": outcome.password,
        }));
    }
    println!("MCP token (shown once): {}\n", issued.token);
    println!("{}", demo::client_configs(&args.public_url, &issued.token));
    match outcome.password {
        Some(password) => println!("Dashboard login: {} / {password}", demo::DEMO_USER),
        None => println!(
            "Dashboard login: {} (password printed when the demo was first created)",
            demo::DEMO_USER
        ),
    }
    Ok(())
}

/// Creates the demo organisation if absent, reporting what happened on stderr.
pub async fn prepare(db: &DatabaseConnection) -> Result<demo::DemoOutcome, CliError> {
    let outcome = demo::ensure(db)
        .await
        .map_err(|e| CliError::Invalid(format!("cannot create the demo: {e}")))?;
    if outcome.created {
        eprintln!(
            "created the demo organisation {} with {} weeks of scan history",
            demo::DEMO_ORG,
            demo::HISTORY_WEEKS
        );
    }
    Ok(outcome)
}
