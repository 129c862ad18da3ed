//! The `aether365` command line: every command takes `--database-url`.

mod admin;
mod audit;
mod check;
mod demo;
mod microsoft;
mod scan;
mod serve;
mod token;

use std::path::PathBuf;
use std::time::Duration;

use aether365_actors::audit::AuditError;
use aether365_actors::db::{self, DEFAULT_DATABASE_URL, DbError};
use aether365_actors::directory::DirectoryError;
use aether365_actors::scans::ScanError;
use aether365_actors::tokens::{TokenError, TokenKey};
use clap::{Parser, Subcommand};
use sea_orm::DatabaseConnection;

/// aether365: Microsoft 365 security posture for AI assistants, over MCP, read-only.
#[derive(Debug, Parser)]
#[command(name = "aether365", version, about)]
pub struct Cli {
    /// Database: sqlite://FILE?mode=rwc (embedded default) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "AETHER365_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// The key file of token digests (created with mode 0600 if absent); default
    /// `aether365.token-key` beside the SQLite database, else in the working directory.
    #[arg(long, global = true, env = "AETHER365_TOKEN_KEY_FILE")]
    pub token_key_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server and the REST API.
    Serve(Box<serve::ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the Contoso demo organisation (if absent) and print a fresh token and client configurations.
    Demo(demo::DemoArgs),
    /// Organisations.
    #[command(subcommand)]
    Org(admin::OrgCommand),
    /// Dashboard users.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Connected Microsoft 365 tenants.
    #[command(subcommand)]
    Tenant(Box<admin::TenantCommand>),
    /// Headless MCP tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Scans.
    #[command(subcommand)]
    Scan(scan::ScanCommand),
    /// Print the findings of a scan.
    Findings(scan::FindingsArgs),
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Evaluate a ScubaGear ProviderSettingsExport.json offline (no database, no server).
    Check(check::CheckArgs),
}

/// Errors of the command line; each prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    People(#[from] aether365_actors::people::PeopleError),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("cannot read {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Query(#[from] sea_orm::DbErr),
    #[error("server error: {0}")]
    Server(String),
}

/// Starts `tracing` output on stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
        .ok();
}

/// Opens and migrates the database named on the command line.
async fn open_db(url: &str) -> Result<DatabaseConnection, CliError> {
    Ok(db::open(url).await?)
}

/// Runs one command.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let url = cli.database_url.as_str();
    let key_file = cli
        .token_key_file
        .clone()
        .unwrap_or_else(|| TokenKey::default_path(url));
    match cli.command {
        Command::Serve(args) => serve::run(url, &key_file, *args).await,
        Command::Migrate => {
            let db = db::connect(url).await?;
            db::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo(args) => demo::run(&open_db(url).await?, &key_file, args).await,
        Command::Org(cmd) => admin::org(&open_db(url).await?, cmd).await,
        Command::User(cmd) => admin::user(&open_db(url).await?, cmd).await,
        Command::Tenant(cmd) => admin::tenant(&open_db(url).await?, *cmd).await,
        Command::Token(cmd) => token::run(&open_db(url).await?, &key_file, cmd).await,
        Command::Scan(cmd) => scan::run(&open_db(url).await?, cmd).await,
        Command::Findings(args) => scan::findings(&open_db(url).await?, args).await,
        Command::Audit(cmd) => audit::run(&open_db(url).await?, cmd).await,
        Command::Check(args) => check::run(args),
    }
}

/// Reads a whole file, naming it in the error.
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Prints a value as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Invalid(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Parses `250ms`, `2s` or a plain number of milliseconds.
pub fn humantime_ms(text: &str) -> Result<Duration, String> {
    let err = || format!("{text:?} is not a duration: use 250ms, 2s or a number of milliseconds");
    if let Some(ms) = text.strip_suffix("ms") {
        return ms
            .trim()
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| err());
    }
    if let Some(s) = text.strip_suffix('s') {
        return s.trim().parse().map(Duration::from_secs).map_err(|_| err());
    }
    text.trim()
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| err())
}
