//! `token` commands: create (shown once), list, revoke.

use aether365_actors::TenantScope;
use aether365_actors::directory;
use aether365_actors::tokens::{self, Expiry};
use aether365_entities::mcp_token;
use chrono::Utc;
use clap::Subcommand;
use sea_orm::DatabaseConnection;

use super::{CliError, print_json};

/// `aether365 token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once and never again.
    Create {
        /// Organisation name or id.
        #[arg(long)]
        org: String,
        /// What the token is for, e.g. "Claude Desktop on Alice's laptop".
        #[arg(long)]
        label: String,
        /// 90d, 1y or never.
        #[arg(long, default_value = "90d")]
        expires: Expiry,
        /// Limit the token to this tenant (id, name or domain); repeat for several. Default: every tenant.
        #[arg(long = "tenant")]
        tenants: Vec<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// List an organisation's tokens (never their secrets).
    List {
        #[arg(long)]
        org: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token at once; open sessions using it are closed.
    Revoke {
        /// The token's numeric id (see `token list`).
        id: i64,
    },
}

/// Token metadata as shown by `token list`.
pub fn token_json(t: &mcp_token::Model) -> serde_json::Value {
    let status = if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at.is_some_and(|e| e <= Utc::now()) {
        "expired"
    } else {
        "active"
    };
    serde_json::json!({
        "id": t.id,
        "label": t.label,
        "lookup_id": t.lookup_id,
        "tenant_scope": t.tenant_scope.clone().unwrap_or(serde_json::Value::String("all".into())),
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
        "status": status,
    })
}

pub async fn run(
    db: &DatabaseConnection,
    key_file: &std::path::Path,
    cmd: TokenCommand,
) -> Result<(), CliError> {
    match cmd {
        TokenCommand::Create {
            org,
            label,
            expires,
            tenants,
            json,
        } => {
            let org = directory::find_organisation(db, &org).await?;
            let mut ids = Vec::new();
            for t in &tenants {
                ids.push(directory::find_tenant(db, Some(org.id), t).await?.id);
            }
            let scope = if ids.is_empty() {
                TenantScope::All
            } else {
                TenantScope::Only(ids)
            };
            let key = tokens::TokenKey::load_or_create(key_file)?;
            let issued =
                tokens::create_token(db, &key, org.id, &label, expires, scope, None).await?;
            if json {
                let mut value = token_json(&issued.record);
                value["token"] = serde_json::Value::String(issued.token);
                print_json(&value)?;
            } else {
                println!("{}", issued.token);
                eprintln!(
                    "token {} ({}) created; copy it now: it is not shown again",
                    issued.record.id, issued.record.label
                );
            }
        }
        TokenCommand::List { org, json } => {
            let org = directory::find_organisation(db, &org).await?;
            let list = tokens::list_tokens(db, org.id).await?;
            if json {
                print_json(&list.iter().map(token_json).collect::<Vec<_>>())?;
            } else {
                println!(
                    "{:>4}  {:<28} {:<8} {:<20} {:<20} LAST USED",
                    "ID", "LABEL", "STATUS", "CREATED", "EXPIRES"
                );
                for t in &list {
                    let v = token_json(t);
                    println!(
                        "{:>4}  {:<28} {:<8} {:<20} {:<20} {}",
                        t.id,
                        t.label,
                        v["status"].as_str().unwrap_or(""),
                        t.created_at.format("%Y-%m-%d %H:%M"),
                        t.expires_at
                            .map(|e| e.format("%Y-%m-%d").to_string())
                            .unwrap_or_else(|| "never".into()),
                        t.last_used_at
                            .map(|e| e.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "never used".into()),
                    );
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let token = tokens::revoke_token(db, None, id).await?;
            println!("revoked token {} ({})", token.id, token.label);
        }
    }
    Ok(())
}
