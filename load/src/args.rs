//! Command-line arguments of `aether365-load`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::workload::{ToolMix, TransportMix};

/// Load generator for the aether365 MCP server: N concurrent MCP sessions over legacy SSE,
/// Streamable HTTP (handshake era) and stateless 2026-07-28, in a chosen mix.
#[derive(Debug, Parser, Clone)]
#[command(name = "aether365-load", version)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// Options of every scenario.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// The server's address (loopback); several, comma-separated, spread the sessions over the
    /// instances of a cluster (session N on address N mod count).
    #[arg(
        long,
        global = true,
        value_delimiter = ',',
        default_value = "127.0.0.1:8365"
    )]
    pub addr: Vec<SocketAddr>,
    /// Bearer token of every session.
    #[arg(long, global = true, env = "AETHER365_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Concurrent sessions.
    #[arg(long, global = true, default_value_t = 64)]
    pub sessions: usize,
    /// Shares of the transports, e.g. `legacy=1,streamable=1,stateless=1` (`plain=1`: the `bench` build's non-MCP endpoint).
    #[arg(
        long,
        global = true,
        default_value = "legacy=1,streamable=1,stateless=1"
    )]
    pub transports: TransportMix,
    /// Worker processes to spread the sessions over (one process may hold 20,000 files).
    #[arg(long, global = true, default_value_t = 1)]
    pub processes: usize,
    /// Loopback source addresses to spread connections over: 127.0.0.1 up to 127.0.0.N.
    #[arg(long, global = true, default_value_t = 1)]
    pub sources: u8,
    /// The server's pid, for its RSS and CPU.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Print the report as JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// Time limit of each request and of opening each session, e.g. 10s.
    #[arg(long, global = true, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Sessions being opened at once (per process).
    #[arg(long, global = true, default_value_t = 64)]
    pub open_concurrency: usize,
    /// Tenant the tool calls name.
    #[arg(long, global = true, default_value = "Contoso Production")]
    pub tenant: String,
    /// Skip the warm-up call: sessions meet the server's token cache cold.
    #[arg(long, global = true)]
    pub cold: bool,
    /// Internal: run as worker INDEX of a coordinator.
    #[arg(long, hide = true, global = true)]
    pub worker: Option<usize>,
}

impl Common {
    /// The source addresses to use (none for the system's choice).
    pub fn source_addrs(&self) -> Vec<IpAddr> {
        if self.sources <= 1 {
            return Vec::new();
        }
        (1..=self.sources)
            .map(|n| IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
            .collect()
    }

    /// The sessions worker `index` runs: their global indexes.
    pub fn worker_sessions(&self, index: usize) -> Vec<usize> {
        (index..self.sessions)
            .step_by(self.processes.max(1))
            .collect()
    }
}

/// What to run.
#[derive(Debug, Subcommand, Clone)]
pub enum Scenario {
    /// Open the sessions with their event streams and hold them idle.
    Idle(IdleArgs),
    /// Run the tool mix, closed-loop or at a target rate.
    Calls(CallsArgs),
    /// Subscribe every session to one scan, start it, and time the completion notification.
    Fanout(FanoutArgs),
    /// Start the server command given after `--` and time its first answered request.
    Startup(StartupArgs),
}

#[derive(Debug, Args, Clone)]
pub struct IdleArgs {
    /// How long to hold the sessions, e.g. 60s.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub hold: Duration,
    /// Hold for 10 minutes (the documented long mode).
    #[arg(long)]
    pub long: bool,
    /// The server's keep-alive period, to check keep-alives keep flowing.
    #[arg(long, value_parser = parse_duration, default_value = "15s")]
    pub keep_alive: Duration,
}

impl IdleArgs {
    pub fn hold(&self) -> Duration {
        if self.long {
            Duration::from_secs(600)
        } else {
            self.hold
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct CallsArgs {
    /// How long to run, e.g. 30s.
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    pub duration: Duration,
    /// Calls not counted at the start, e.g. 2s.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    pub warmup: Duration,
    /// Tool mix with weights.
    #[arg(
        long,
        default_value = "get_posture=4,list_findings=3,get_score_trend=2,compare_scans=1"
    )]
    pub mix: ToolMix,
    /// Target rate in calls per second over all sessions (open loop); closed loop without it.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Share of sessions (0 to 1) that start scans and wait for their completion notification.
    #[arg(long, default_value_t = 0.0)]
    pub scan_share: f64,
    /// Also write the report here (JSON), besides stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct FanoutArgs {
    /// How long to wait for the notification after subscribing, e.g. 60s.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    pub wait: Duration,
    /// Kind of the scan to start.
    #[arg(long, default_value = "compliance")]
    pub kind: String,
}

#[derive(Debug, Args, Clone)]
pub struct StartupArgs {
    /// Give up after this long.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub limit: Duration,
    /// The server command and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// Parses `500ms`, `10s`, `2m` or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {text:?}: use 500ms, 10s or 2m"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("bad duration {text:?}"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}
