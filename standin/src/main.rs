//! `m365-standin`: serves a Microsoft 365 stand-in built from a ScubaGear export on loopback.
//!
//! ```sh
//! cargo run -p m365-standin -- --export ProviderSettingsExport.json --port 8400
//! ```

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use m365_standin::dns::{DnsServer, MailZone};
use m365_standin::{Fault, FaultKind, StandIn, StandInConfig, StandInError};

/// A local stand-in for Microsoft 365 (authority, Graph, Exchange Online and Security &
/// Compliance admin APIs, SharePoint admin, Power Platform admin), built from a ScubaGear export.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// A ScubaGear ProviderSettingsExport.json (default: the bundled sample).
    #[arg(long)]
    export: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8400)]
    port: u16,
    /// Client id the authority accepts.
    #[arg(long, default_value = m365_standin::DEFAULT_CLIENT_ID)]
    client_id: String,
    /// Client secret the authority accepts.
    #[arg(long, default_value = m365_standin::DEFAULT_CLIENT_SECRET)]
    client_secret: String,
    /// A PEM certificate whose key may sign client assertions.
    #[arg(long)]
    certificate: Option<PathBuf>,
    /// Items per page of every collection.
    #[arg(long, default_value_t = 10)]
    page_size: usize,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime_secs: u64,
    /// Latency added to every answer, in milliseconds (a slow tenant, for demos and tests).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Generated users (`--users 50000 --mailboxes 20000 --offenders` is the large tenant of
    /// docs/performance.md).
    #[arg(long, default_value_t = 40)]
    users: usize,
    /// Generated mailboxes (every 10th shared).
    #[arg(long, default_value_t = 20)]
    mailboxes: usize,
    /// Some generated objects break CIS 1.1.4, 1.2.1, 1.2.2, 5.2.3.4 and 6.1.2.
    #[arg(long)]
    offenders: bool,
    /// The Tenant Configuration Management snapshot jobs the tenant has, which Teams is read
    /// from: `no-job` (default), `succeeded`, `failed`, `off-host`, `missing-types`.
    #[arg(long, default_value = "no-job", value_parser = tcm_scenario)]
    tcm: m365_standin::tcm::TcmScenario,
}

fn tcm_scenario(s: &str) -> Result<m365_standin::tcm::TcmScenario, String> {
    serde_json::from_value(serde_json::Value::String(s.replace('-', "_")))
        .map_err(|_| format!("not one of no-job, succeeded, failed, off-host, missing-types: {s}"))
}

fn main() -> Result<(), StandInError> {
    let args = Args::parse();
    let mut config = match &args.export {
        Some(path) => {
            let bytes = std::fs::read(path)?;
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            StandInConfig::new(serde_json::from_slice(bytes)?)
        }
        None => StandInConfig::bundled()?,
    };
    config.port = args.port;
    config.client_id = args.client_id.clone();
    config.client_secret = Some(args.client_secret.clone());
    config.page_size = args.page_size;
    config.population = m365_standin::population::Population {
        users: args.users,
        mailboxes: args.mailboxes,
        offenders: args.offenders,
    };
    config.token_lifetime = Duration::from_secs(args.token_lifetime_secs);
    if let Some(path) = &args.certificate {
        config.certificate_pem = Some(std::fs::read_to_string(path)?);
    }
    let zone = MailZone::from_export(&config.export);
    let standin = StandIn::start(config)?;
    let dns = DnsServer::start(zone)?;
    standin.set_tcm(args.tcm);
    if args.latency_ms > 0 {
        standin.set_fault(Fault {
            kind: FaultKind::Slow {
                delay_ms: args.latency_ms,
            },
            target: Default::default(),
            times: None,
        });
    }
    println!("m365-standin listening on {}", standin.base_url());
    println!(
        "tenant id {} ({})",
        standin.tenant_id(),
        standin.initial_domain()
    );
    println!();
    println!("# point aether365 at it:");
    for line in standin.endpoints().env_lines() {
        println!("export {line}");
    }
    println!("export AETHER365_ENTRA_CLIENT_ID={}", args.client_id);
    println!(
        "export AETHER365_ENTRA_CLIENT_SECRET={}",
        args.client_secret
    );
    println!("export AETHER365_DNS_SERVER={}", dns.addr());
    let anchor = std::env::temp_dir().join(format!(
        "m365-standin-{}-trust-anchor.key",
        std::process::id()
    ));
    std::fs::write(&anchor, dns.trust_anchor())?;
    println!("export AETHER365_DNS_TRUST_ANCHOR={}", anchor.display());
    println!("export AETHER365_MTA_STS_URL='{}'", dns.mta_sts_url());
    println!();
    println!(
        "# faults: curl -X POST {}/_standin/faults -H 'content-type: application/json' -d '{{\"kind\":\"throttle\",\"retry_after_secs\":2,\"target\":{{\"path_prefix\":\"/exo\"}},\"times\":2}}'",
        standin.base_url()
    );
    println!(
        "# requests seen: curl {}/_standin/requests",
        standin.base_url()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
