//! `org`, `user` and `tenant` commands.

use std::io::Read;
use std::path::PathBuf;

use aether365_actors::audit::{self, ActorKind, AuditEvent};
use aether365_actors::consent;
use aether365_actors::directory::{self, ConsentedTenant, NewTenant};
use aether365_actors::people;
use aether365_actors::scans::SnapshotSource;
use aether365_engine::check_export;
use clap::{Args, Subcommand};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::microsoft::MicrosoftArgs;
use super::{CliError, print_json, read_file};

/// `aether365 org …`
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Create {
        /// Its name (unique).
        name: String,
    },
    /// List organisations.
    List {
        #[arg(long)]
        json: bool,
    },
}

/// `aether365 user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a dashboard user; the password is read from standard input.
    Create {
        /// Organisation name or id.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// owner, admin or viewer.
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// Set a dashboard user's role, audited as the operator. Restores an owner when none is
    /// left; refuses to take the last owner's role. Lowering someone to viewer revokes the MCP
    /// tokens they created.
    SetRole {
        /// Organisation name or id.
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// owner, admin or viewer.
        role: String,
    },
}

/// `aether365 tenant …`
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Connect a Microsoft 365 tenant.
    Add(TenantAddArgs),
    /// List the tenants of an organisation.
    List {
        #[arg(long)]
        org: String,
        #[arg(long)]
        json: bool,
    },
    /// Import a ScubaGear ProviderSettingsExport.json as the tenant's configuration snapshot.
    ImportConfig {
        /// Tenant id, name or primary domain.
        tenant: String,
        /// The export file (UTF-8, with or without a byte order mark).
        file: PathBuf,
        /// Organisation name or id, when the tenant name is ambiguous.
        #[arg(long)]
        org: Option<String>,
    },
    /// Connect a tenant that has already granted admin consent to the Entra application:
    /// reads its name, domains and licences app-only; its scans then collect live.
    Connect {
        /// Organisation name or id.
        #[arg(long)]
        org: String,
        /// The tenant's Microsoft Entra tenant id (a GUID).
        #[arg(long)]
        microsoft_tenant_id: String,
        #[command(flatten)]
        microsoft: MicrosoftArgs,
    },
    /// Check, per permission and endpoint, what the tenant answers and what is missing.
    TestConnection {
        /// Tenant id, name or primary domain.
        tenant: String,
        /// Organisation name or id, when the tenant name is ambiguous.
        #[arg(long)]
        org: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        microsoft: MicrosoftArgs,
    },
}

/// Arguments of `tenant add`.
#[derive(Debug, Args)]
pub struct TenantAddArgs {
    /// Organisation name or id.
    #[arg(long)]
    org: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// Verified domain; repeat for several; the first is the primary domain.
    #[arg(long = "domain", required = true)]
    domains: Vec<String>,
    /// The Microsoft Entra tenant id (GUID).
    #[arg(long)]
    microsoft_tenant_id: Option<String>,
}

pub async fn org(db: &DatabaseConnection, cmd: OrgCommand) -> Result<(), CliError> {
    match cmd {
        OrgCommand::Create { name } => {
            let org = directory::create_organisation(db, &name).await?;
            println!("created organisation {} (id {})", org.name, org.id);
        }
        OrgCommand::List { json } => {
            let orgs = aether365_entities::organisation::Entity::find()
                .order_by_asc(aether365_entities::organisation::Column::Id)
                .all(db)
                .await?;
            if json {
                let rows: Vec<_> = orgs
                    .iter()
                    .map(|o| serde_json::json!({"id": o.id, "name": o.name, "created_at": o.created_at}))
                    .collect();
                print_json(&rows)?;
            } else {
                for o in orgs {
                    println!("{:>4}  {}", o.id, o.name);
                }
            }
        }
    }
    Ok(())
}

pub async fn user(db: &DatabaseConnection, cmd: UserCommand) -> Result<(), CliError> {
    match cmd {
        UserCommand::Create { org, email, role } => {
            let org = directory::find_organisation(db, &org).await?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| {
                    CliError::Invalid(format!("cannot read the password from stdin: {e}"))
                })?;
            let password = password.trim_end_matches(['\r', '\n']);
            let user = directory::create_user(db, org.id, &email, password, &role).await?;
            println!(
                "created user {} ({}) in {} (id {})",
                user.email, user.role, org.name, user.id
            );
        }
        UserCommand::SetRole { org, email, role } => {
            let org = directory::find_organisation(db, &org).await?;
            let person = people::find_by_email(db, org.id, &email).await?;
            let operator = AuditEvent::new(ActorKind::Cli, "person.role");
            let change = people::set_role(db, org.id, person.id, &role, None, &operator).await?;
            println!(
                "{} in {}: {} -> {role}",
                person.email, org.name, change.before.role
            );
            if !change.revoked_tokens.is_empty() {
                println!(
                    "revoked the {} MCP token(s) they created (running servers notice within their poll interval)",
                    change.revoked_tokens.len()
                );
            }
        }
    }
    Ok(())
}

pub async fn tenant(db: &DatabaseConnection, cmd: TenantCommand) -> Result<(), CliError> {
    match cmd {
        TenantCommand::Add(args) => {
            let org = directory::find_organisation(db, &args.org).await?;
            let tenant = directory::add_tenant(
                db,
                org.id,
                NewTenant {
                    display_name: args.name,
                    microsoft_tenant_id: args.microsoft_tenant_id,
                    domains: args.domains,
                },
            )
            .await?;
            println!(
                "connected tenant {} ({}) to {} (id {})",
                tenant.display_name, tenant.primary_domain, org.name, tenant.id
            );
        }
        TenantCommand::List { org, json } => {
            let org = directory::find_organisation(db, &org).await?;
            let tenants = directory::list_tenants(db, org.id).await?;
            if json {
                let rows: Vec<_> = tenants
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id, "name": t.display_name, "primary_domain": t.primary_domain,
                            "microsoft_tenant_id": t.microsoft_tenant_id, "domains": t.verified_domains,
                            "connected_at": t.connected_at,
                        })
                    })
                    .collect();
                print_json(&rows)?;
            } else {
                for t in tenants {
                    println!("{:>4}  {:<30} {}", t.id, t.display_name, t.primary_domain);
                }
            }
        }
        TenantCommand::Connect {
            org,
            microsoft_tenant_id,
            microsoft,
        } => {
            let org = directory::find_organisation(db, &org).await?;
            let collector = microsoft.require_collector()?;
            let wanted = microsoft_tenant_id.trim().to_ascii_lowercase();
            if !aether365_collector::host::is_guid(&wanted) {
                return Err(CliError::Invalid(format!(
                    "{microsoft_tenant_id:?} is not a Microsoft Entra tenant id (a GUID)"
                )));
            }
            let info = collector.tenant_info(&wanted).await.map_err(|e| {
                CliError::Invalid(format!("cannot read tenant {wanted}: {}", e.reason()))
            })?;
            let now = chrono::Utc::now();
            let tenant = directory::connect_tenant(
                db,
                org.id,
                ConsentedTenant::from_info(wanted, info),
                now,
            )
            .await?;
            // The operator's own act, without a Microsoft sign-in: audited as such, and told to
            // the other organisations that have this tenant.
            let operator = operator_name();
            let event = AuditEvent::new(ActorKind::Cli, "tenant.connect")
                .organisation(org.id)
                .actor_label(operator.clone())
                .target(tenant.id)
                .detail(format!(
                    "operator {operator} connected Microsoft tenant {} at the command line \
                     (aether365 tenant connect), without an administrator's sign-in",
                    tenant.microsoft_tenant_id
                ));
            audit::write_one(db, AuditEvent { at: now, ..event }).await?;
            consent::tell_other_organisations(
                db,
                &tenant,
                &format!("the aether365 operator ({operator}) at the command line"),
                now,
            )
            .await
            .map_err(|e| CliError::Invalid(e.to_string()))?;
            println!(
                "connected tenant {} ({}, {}): its compliance scans now collect live",
                tenant.id, tenant.display_name, tenant.microsoft_tenant_id
            );
        }
        TenantCommand::TestConnection {
            tenant,
            org,
            json,
            microsoft,
        } => {
            let org_id = match org {
                Some(org) => Some(directory::find_organisation(db, &org).await?.id),
                None => None,
            };
            let tenant = directory::find_tenant(db, org_id, &tenant).await?;
            let collector = microsoft.require_collector()?;
            let probes = collector
                .test_connection(&aether365_actors::scans::target_of(&tenant))
                .await;
            // Teams is optional (read only from Tenant Configuration Management snapshots an
            // administrator made, else from an import), and Power BI has no Fabric host in some
            // clouds: neither makes the connection test fail.
            let unavailable = |p: &aether365_collector::Probe| {
                (p.service == aether365_collector::CollectedService::Teams && !p.ok)
                    || (p.service == aether365_collector::CollectedService::PowerBi
                        && p.remedy.is_none()
                        && !p.ok)
            };
            let missing = probes.iter().filter(|p| !p.ok && !unavailable(p)).count();
            if json {
                print_json(&probes)?;
            } else {
                for p in &probes {
                    println!(
                        "{:<4} {:<24} {:<44} {:<36} {}",
                        match (p.ok, unavailable(p)) {
                            (true, _) => "ok",
                            (false, true) => "n/a",
                            (false, false) => "FAIL",
                        },
                        p.service.label(),
                        p.permission,
                        p.endpoint,
                        p.detail
                    );
                }
                let checked = probes.iter().filter(|p| !unavailable(p)).count();
                println!("{} of {checked} endpoints answered", checked - missing);
            }
            if missing > 0 {
                // The advice fits each failure: a redirect, a 5xx or a refused kind of token is
                // not a missing permission.
                let mut remedies: Vec<aether365_collector::Remedy> = Vec::new();
                for r in probes
                    .iter()
                    .filter(|p| !unavailable(p))
                    .filter_map(|p| p.remedy)
                {
                    if !remedies.contains(&r) {
                        remedies.push(r);
                    }
                }
                let advice: Vec<&str> = remedies.iter().map(|r| r.advice()).collect();
                return Err(CliError::Invalid(format!(
                    "{missing} endpoint(s) did not answer: {}",
                    advice.join("; ")
                )));
            }
        }
        TenantCommand::ImportConfig { tenant, file, org } => {
            let org_id = match org {
                Some(org) => Some(directory::find_organisation(db, &org).await?.id),
                None => None,
            };
            let tenant = directory::find_tenant(db, org_id, &tenant).await?;
            let bytes = read_file(&file)?;
            let checked = check_export(bytes).map_err(|e| CliError::File {
                path: file.clone(),
                reason: e.to_string(),
            })?;
            let stored =
                directory::store_export(db, &tenant, checked, SnapshotSource::Import).await?;
            println!(
                "imported configuration snapshot {} for tenant {}",
                stored.id, tenant.display_name
            );
        }
    }
    Ok(())
}

/// Who runs the command: `AETHER365_OPERATOR`, else the login name (`USER`, `LOGNAME`,
/// `USERNAME`), else `operator`.
fn operator_name() -> String {
    ["AETHER365_OPERATOR", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "operator".to_string())
}
