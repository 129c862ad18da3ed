//! `serve`: the MCP server and REST API.

use std::net::SocketAddr;
use std::time::Duration;

use aether365_actors::alerts::DispatcherConfig;
use aether365_actors::cluster::default_instance_id;
use aether365_actors::db;
use aether365_actors::outbound::OutboundPolicy;
use aether365_actors::scans::{ReleaseLeases, ScanConfig, ScanQuota};
use aether365_actors::schedule::SchedulerConfig;
use aether365_actors::system::{Backend, BackendConfig};
use aether365_actors::tokens::{TokenKey, TokenValidatorConfig};
use clap::Args;

use super::CliError;
use super::humantime_ms;
use super::microsoft::{DnsArgs, MicrosoftArgs};
use crate::demo;
use crate::http::quota::QuotaConfig;
use crate::http::{Application, ServerConfig};

/// Arguments of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AETHER365_BIND", default_value = "127.0.0.1:8365")]
    pub bind: SocketAddr,
    /// The URL clients reach this server at (behind a proxy, say); shown in client configurations.
    #[arg(long, env = "AETHER365_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Extra allowed browser origins (localhost is always allowed); comma-separated.
    #[arg(
        long = "allowed-origin",
        env = "AETHER365_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// A reverse proxy (address or network, e.g. 10.0.0.0/8) whose `Forwarded` and
    /// `X-Forwarded-Host`/`-Proto` headers are believed; repeat for several (comma-separated in
    /// the variable). From other peers only `Host` counts.
    #[arg(
        long = "trusted-proxy",
        env = "AETHER365_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<crate::http::TrustedProxy>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "AETHER365_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Time an authenticated client has to send a whole request body, e.g. 30s.
    #[arg(long, env = "AETHER365_BODY_TIMEOUT", value_parser = humantime_ms, default_value = "30s")]
    pub body_timeout: Duration,
    /// Connections served at once (more wait in the kernel's queue).
    #[arg(long, env = "AETHER365_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Requests from one address still being authenticated at once (more get 429).
    #[arg(
        long,
        env = "AETHER365_MAX_UNAUTHENTICATED_PER_ADDR",
        default_value_t = 256
    )]
    pub max_unauthenticated_per_addr: usize,
    /// MCP calls per second and token (each call of a batch counts); more get 429.
    #[arg(long, env = "AETHER365_TOKEN_CALLS_PER_SECOND", default_value_t = 200)]
    pub token_calls_per_second: u32,
    /// MCP calls per second and organisation, all its tokens together.
    #[arg(
        long,
        env = "AETHER365_ORGANISATION_CALLS_PER_SECOND",
        default_value_t = 1000
    )]
    pub organisation_calls_per_second: u32,
    /// Calls one JSON-RPC batch may hold.
    #[arg(long, env = "AETHER365_MAX_BATCH", default_value_t = 100)]
    pub max_batch: usize,
    /// Scans one MCP token may have queued or running at once (counted in the database,
    /// across instances); `start_scan` beyond it answers a tool error.
    #[arg(long, env = "AETHER365_TOKEN_CONCURRENT_SCANS", default_value_t = 4)]
    pub token_concurrent_scans: u32,
    /// Scans one organisation may have queued or running at once, from MCP and the
    /// dashboard together; the dashboard beyond it answers 429.
    #[arg(
        long,
        env = "AETHER365_ORGANISATION_CONCURRENT_SCANS",
        default_value_t = 16
    )]
    pub organisation_concurrent_scans: u32,
    /// Interval of keep-alive comments on idle SSE streams, e.g. 15s.
    #[arg(long, env = "AETHER365_KEEP_ALIVE", value_parser = humantime_ms, default_value = "15s")]
    pub keep_alive: Duration,
    /// Create the Contoso demo organisation first, if absent.
    #[arg(long)]
    pub demo: bool,
    /// Failed authentications allowed per client address per minute; beyond it the address is
    /// refused (429) until its oldest failure is a minute old.
    #[arg(long, env = "AETHER365_AUTH_FAILURES_PER_MINUTE", default_value_t = 10)]
    pub auth_failures_per_minute: u32,
    /// Scans this instance runs at once.
    #[arg(long, env = "AETHER365_SCAN_CONCURRENCY", default_value_t = 4)]
    pub scan_concurrency: usize,
    #[command(flatten)]
    pub dns: DnsArgs,
    /// This instance's id among those sharing the database (it owns scan leases); default:
    /// host name and process id.
    #[arg(long, env = "AETHER365_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// How long a scan lease lasts unless renewed; another instance re-runs a scan whose
    /// instance died this long after its last heartbeat, e.g. 30s.
    #[arg(long, env = "AETHER365_SCAN_LEASE", value_parser = humantime_ms, default_value = "30s")]
    pub scan_lease: Duration,
    /// How long an alert delivery an instance claimed stays its own; another instance sends
    /// the alert of an instance that died this long after the claim, e.g. 60s. At least 25s
    /// (longer than the longest send). A restart under the same `--instance-id` frees its
    /// claims at once.
    #[arg(long, env = "AETHER365_ALERT_LEASE", value_parser = humantime_ms, default_value = "120s")]
    pub alert_lease: Duration,
    /// How often due scan schedules are looked for (each occurrence starts once, on one
    /// instance), e.g. 30s.
    #[arg(long, env = "AETHER365_SCHEDULE_TICK", value_parser = humantime_ms, default_value = "30s")]
    pub schedule_tick: Duration,
    /// Tests only: let requests to addresses others chose (alert webhooks and SMTP servers,
    /// OAuth client metadata documents) reach loopback addresses, over plain http or SMTP too.
    /// Private and link-local addresses stay refused. Never in production.
    #[arg(long, env = "AETHER365_ALLOW_LOOPBACK_DESTINATIONS")]
    pub allow_loopback_destinations: bool,
    /// Tests only, with --allow-loopback-destinations: a PEM file of certificate authorities
    /// trusted, besides the public roots, by requests to addresses others chose (a test's
    /// loopback https server serving a client metadata document). Never in production.
    #[arg(
        long,
        env = "AETHER365_EXTRA_ROOT_CA",
        value_name = "FILE",
        requires = "allow_loopback_destinations"
    )]
    pub extra_root_ca: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub microsoft: MicrosoftArgs,
    /// Serve the fixture tools, resources and prompts of the MCP conformance suite. Only in
    /// builds with the `conformance` cargo feature (tests); a release build has no such flag.
    #[cfg(feature = "conformance")]
    #[arg(long, hide = true)]
    pub conformance_fixtures: bool,
    /// Benchmarks only (`bench` builds): treat every request as the demo organisation's newest
    /// live token, without a bearer. Refused unless bound to loopback.
    #[cfg(feature = "bench")]
    #[arg(long)]
    pub bench_no_auth: bool,
}

/// The principal `--bench-no-auth` stands in for every caller.
#[cfg(feature = "bench")]
async fn bench_principal(
    db: &sea_orm::DatabaseConnection,
    args: &ServeArgs,
) -> Result<Option<aether365_actors::Principal>, CliError> {
    if !args.bench_no_auth {
        return Ok(None);
    }
    if !args.bind.ip().is_loopback() {
        return Err(CliError::Invalid(
            "--bench-no-auth needs a loopback --bind address".into(),
        ));
    }
    let org = aether365_actors::directory::find_organisation(db, demo::DEMO_ORG).await?;
    let token = aether365_actors::tokens::list_tokens(db, org.id)
        .await?
        .into_iter()
        .find(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > chrono::Utc::now()))
        .ok_or_else(|| CliError::Invalid("no live demo token: run `aether365 demo`".into()))?;
    let principal = aether365_actors::Principal {
        organisation_id: token.organisation_id,
        token_id: token.id,
        token_label: token.label.clone(),
        tenant_scope: aether365_actors::tokens::scope_of(&token)?,
    };
    tracing::warn!(
        token_id = token.id,
        "benchmark mode: authentication is OFF, every request acts as this token"
    );
    eprintln!(
        "WARNING: --bench-no-auth: authentication is off (token {})",
        token.id
    );
    Ok(Some(principal))
}

pub async fn run(
    database_url: &str,
    key_file: &std::path::Path,
    args: ServeArgs,
) -> Result<(), CliError> {
    let min_alert_lease = DispatcherConfig::default().min_lease();
    if args.alert_lease < min_alert_lease {
        return Err(CliError::Invalid(format!(
            "--alert-lease must be at least {} s (longer than the longest alert send)",
            min_alert_lease.as_secs()
        )));
    }
    // Test settings are checked before anything else is opened or printed.
    let extra_roots = match &args.extra_root_ca {
        // clap enforces it too; an environment variable set alone must not slip through.
        Some(_) if !args.allow_loopback_destinations => {
            return Err(CliError::Invalid(
                "--extra-root-ca is a test setting: it needs --allow-loopback-destinations".into(),
            ));
        }
        Some(path) => {
            let roots = aether365_actors::outbound::load_extra_roots(path)
                .map_err(|e| CliError::Invalid(e.to_string()))?;
            tracing::warn!(
                file = %path.display(),
                "--extra-root-ca: outbound requests trust extra certificate authorities (tests only)"
            );
            eprintln!(
                "WARNING: --extra-root-ca {}: outbound requests trust {} extra certificate authorit{} (tests only)",
                path.display(),
                roots.len(),
                if roots.len() == 1 { "y" } else { "ies" }
            );
            roots
        }
        None => Vec::new(),
    };
    let db = db::open(database_url).await?;
    let token_key = TokenKey::load_or_create(key_file)?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind));
    if args.demo {
        let outcome = super::demo::prepare(&db).await?;
        if outcome.created {
            let issued =
                demo::issue_token(&db, &token_key, outcome.organisation_id, "demo assistant")
                    .await
                    .map_err(|e| CliError::Invalid(e.to_string()))?;
            println!("MCP token (shown once): {}\n", issued.token);
            println!("{}", demo::client_configs(&public_url, &issued.token));
            if let Some(password) = outcome.password {
                println!("Dashboard login: {} / {password}", demo::DEMO_USER);
            }
        } else {
            eprintln!("demo organisation present; run `aether365 demo` for a fresh token");
        }
    }
    let collector = args.microsoft.collector()?;
    match &collector {
        Some(c) => eprintln!("live collection on: {c:?}"),
        None => eprintln!(
            "live collection off (no AETHER365_ENTRA_CLIENT_ID): compliance scans evaluate imported configurations"
        ),
    }
    let instance_id = args
        .instance_id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .unwrap_or_else(default_instance_id);
    let config = BackendConfig {
        tokens: TokenValidatorConfig {
            key: token_key,
            failure_limit: args.auth_failures_per_minute.max(1),
            failure_window: Duration::from_secs(60),
            ..TokenValidatorConfig::default()
        },
        instance_id: instance_id.clone(),
        scans: ScanConfig {
            max_concurrent: args.scan_concurrency.max(1),
            lease_ttl: args.scan_lease.max(Duration::from_secs(1)),
            collector: collector.clone(),
            dns: args.dns.config(),
            quota: ScanQuota {
                per_token: args.token_concurrent_scans.max(1),
                per_organisation: args.organisation_concurrent_scans.max(1),
            },
            ..ScanConfig::default()
        },
        schedules: SchedulerConfig {
            tick: args.schedule_tick.max(Duration::from_secs(1)),
            enabled: true,
        },
        alerts: DispatcherConfig {
            policy: OutboundPolicy {
                allow_loopback: args.allow_loopback_destinations,
                extra_roots: extra_roots.clone(),
                ..OutboundPolicy::default()
            },
            public_url: public_url.clone(),
            lease: args.alert_lease,
            ..DispatcherConfig::default()
        },
        ..BackendConfig::default()
    };
    if args.allow_loopback_destinations {
        tracing::warn!(
            "--allow-loopback-destinations: alerts and client metadata documents may reach loopback addresses over plain http or SMTP (tests only)"
        );
        eprintln!(
            "WARNING: --allow-loopback-destinations: alerts and client metadata documents may reach loopback addresses (tests only)"
        );
    }
    #[cfg(feature = "bench")]
    let bench_principal = bench_principal(&db, &args).await?;
    // Fail before any actor starts when the address is taken: actors stopped by a failed start
    // would otherwise be restarted as the runtime goes away.
    drop(
        std::net::TcpListener::bind(args.bind)
            .map_err(|e| CliError::Server(format!("cannot bind {}: {e}", args.bind)))?,
    );
    let backend = Backend::start(db, config);
    let app = Application::build(
        ServerConfig {
            bind: args.bind,
            public_url: args.public_url.clone(),
            allowed_origins: args.allowed_origins,
            trusted_proxies: args.trusted_proxies,
            max_body_bytes: args.max_body_bytes,
            body_timeout: args.body_timeout,
            max_connections: args.max_connections,
            max_unauthenticated_per_addr: args.max_unauthenticated_per_addr,
            quotas: QuotaConfig {
                token_calls_per_second: args.token_calls_per_second,
                organisation_calls_per_second: args.organisation_calls_per_second,
                max_batch: args.max_batch,
            },
            keep_alive: args.keep_alive,
            #[cfg(feature = "conformance")]
            conformance_fixtures: args.conformance_fixtures,
            #[cfg(not(feature = "conformance"))]
            conformance_fixtures: false,
            allow_loopback_destinations: args.allow_loopback_destinations,
            extra_root_certificates: extra_roots,
            #[cfg(feature = "bench")]
            bench_principal,
        },
        backend.clone(),
    )
    .map_err(|e| CliError::Server(e.to_string()))?;
    eprintln!(
        "aether365 instance {instance_id} listening on {} (MCP: {public_url}/mcp, legacy SSE: {public_url}/sse)",
        app.port()
    );
    let result = app.run_until_stopped().await;
    // Stopped accepting and closed the streams: give running scans back to the cluster
    // (another instance claims them at once), then drain the audit writer.
    match backend.scans.send(ReleaseLeases).await {
        Ok(Ok(released)) => tracing::info!(released, "scan leases released"),
        Ok(Err(e)) => tracing::error!("cannot release scan leases: {e}"),
        Err(e) => tracing::error!("scan manager unreachable at shutdown: {e}"),
    }
    backend.shutdown(Duration::from_secs(10)).await;
    result.map_err(|e| CliError::Server(e.to_string()))
}
