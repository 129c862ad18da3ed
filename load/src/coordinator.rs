//! The coordinator: starts the worker processes, steps them through the scenario, samples
//! the server, drives the scan of the fan-out scenario and merges the figures.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::LoadError;
use crate::args::{Cli, FanoutArgs, Scenario};
use crate::procfs::{self, ServerUsage};
use crate::report::{FanoutFigures, Report};
use crate::session::{Session, Transport};
use crate::stats::{Histogram, WorkerReport};
use crate::worker;

/// How long workers may take to open their sessions.
const READY_LIMIT: Duration = Duration::from_secs(600);
/// Slack for a worker's report after its phase should have ended.
const REPORT_SLACK: Duration = Duration::from_secs(180);

struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    fn spawn(index: usize) -> Result<Worker, LoadError> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(std::env::args_os().skip(1))
            .arg("--worker")
            .arg(index.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| LoadError::Worker("no stdin".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| LoadError::Worker("no stdout".into()))?;
        Ok(Worker {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        })
    }

    /// Waits for a line starting with `word`; returns the rest of it.
    async fn expect(&mut self, word: &str, limit: Duration) -> Result<String, LoadError> {
        let wait = async {
            loop {
                let line = self.lines.next_line().await?.ok_or_else(|| {
                    LoadError::Worker(format!("a worker ended before saying {word}"))
                })?;
                if let Some(rest) = line.strip_prefix(word) {
                    return Ok(rest.trim().to_string());
                }
                eprintln!("worker: {line}");
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| LoadError::Worker(format!("no {word} from a worker within {limit:?}")))?
    }

    async fn tell(&mut self, line: &str) -> Result<(), LoadError> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }
}

/// Tells every worker `line`.
async fn tell_all(workers: &mut [Worker], line: &str) -> Result<(), LoadError> {
    for w in workers.iter_mut() {
        w.tell(line).await?;
    }
    Ok(())
}

/// Waits for `word` from every worker.
async fn expect_all(
    workers: &mut [Worker],
    word: &str,
    limit: Duration,
) -> Result<Vec<String>, LoadError> {
    let mut rests = Vec::with_capacity(workers.len());
    for w in workers.iter_mut() {
        rests.push(w.expect(word, limit).await?);
    }
    Ok(rests)
}

/// The phase's expected length, for time limits.
fn phase_length(scenario: &Scenario) -> Duration {
    match scenario {
        Scenario::Idle(a) => a.hold(),
        Scenario::Calls(a) => a.duration + Duration::from_secs(120),
        Scenario::Fanout(a) => a.wait,
        Scenario::Startup(_) => Duration::ZERO,
    }
}

/// The scan of the fan-out, started by the coordinator's own session.
struct FanoutScan {
    controller: Session,
    scan_id: i64,
    ended_before_subscribed: bool,
}

fn structured<'a>(result: &'a Value, field: &str) -> Option<&'a Value> {
    let content = result.get("structuredContent")?;
    content
        .get(field)
        .or_else(|| content.get("scan")?.get(field))
}

async fn start_fanout_scan(cli: &Cli, args: &FanoutArgs) -> Result<FanoutScan, LoadError> {
    let mut controller = Session::open(Transport::Stateless, worker::target(cli), 0).await?;
    let started = controller
        .call_tool(
            "start_scan",
            json!({"kind": args.kind, "tenant": cli.common.tenant}),
        )
        .await?;
    let scan_id = structured(&started, "scan_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| LoadError::Worker(format!("start_scan answered no scan_id: {started}")))?;
    Ok(FanoutScan {
        controller,
        scan_id,
        ended_before_subscribed: false,
    })
}

/// The scan's `status` and `finished_at` (microseconds since the epoch).
async fn scan_state(
    controller: &mut Session,
    scan_id: i64,
) -> Result<(String, Option<i64>), LoadError> {
    let result = controller
        .call_tool("get_scan", json!({"scan": scan_id}))
        .await?;
    let status = structured(&result, "status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let finished = structured(&result, "finished_at")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_micros());
    Ok((status, finished))
}

/// One authenticated call before the sessions open, so that the server's token cache is
/// warm: without it, every session opened at once verifies the token (argon2id) itself.
/// Returns the calls answered.
async fn warm_up(cli: &Cli) -> Result<u64, LoadError> {
    let mut session = Session::open(Transport::Stateless, worker::target(cli), 0).await?;
    session
        .call_tool("get_posture", json!({"tenant": cli.common.tenant}))
        .await?;
    Ok(1)
}

/// Runs the scenario over `--processes` workers and returns the merged report.
pub async fn run(cli: &Cli) -> Result<Report, LoadError> {
    let pid = cli.common.server_pid;
    let warm_up_calls = if cli.common.cold {
        0
    } else {
        warm_up(cli).await?
    };
    let before = pid.and_then(procfs::sample);
    let processes = cli.common.processes.max(1);
    let mut workers = (0..processes)
        .map(Worker::spawn)
        .collect::<Result<Vec<_>, _>>()?;
    expect_all(&mut workers, "READY", READY_LIMIT).await?;
    let ready = pid.and_then(procfs::sample);
    let mut fanout = None;
    if let Scenario::Fanout(args) = &cli.scenario {
        let mut scan = start_fanout_scan(cli, args).await?;
        tell_all(&mut workers, &format!("SCAN {}", scan.scan_id)).await?;
        expect_all(&mut workers, "SUBSCRIBED", READY_LIMIT).await?;
        let (status, _) = scan_state(&mut scan.controller, scan.scan_id).await?;
        scan.ended_before_subscribed =
            matches!(status.as_str(), "completed" | "failed" | "cancelled");
        fanout = Some(scan);
    } else {
        tell_all(&mut workers, "GO").await?;
    }
    let start = pid.and_then(procfs::sample);
    let limit = phase_length(&cli.scenario) + REPORT_SLACK;
    let mut merged = WorkerReport::default();
    for json in expect_all(&mut workers, "REPORT", limit).await? {
        let part: WorkerReport = serde_json::from_str(&json)
            .map_err(|e| LoadError::Worker(format!("bad report: {e}")))?;
        merged.merge(part);
    }
    let end = pid.and_then(procfs::sample);
    for mut w in workers {
        let _ = w.child.wait().await;
    }
    let scenario = match &cli.scenario {
        Scenario::Idle(_) => "idle",
        Scenario::Calls(_) => "calls",
        Scenario::Fanout(_) => "fanout",
        Scenario::Startup(_) => "startup",
    };
    let transports = cli.common.transports.describe();
    let mut report = Report::new(
        scenario,
        transports,
        cli.common.sessions,
        processes,
        &merged,
    );
    report.tool_calls_answered += warm_up_calls;
    if let Some(mut scan) = fanout {
        report.tool_calls_answered += 3;
        report.fanout = Some(fanout_figures(&mut scan, &merged).await?);
    }
    if let (Some(pid), Some(before), Some(ready), Some(start), Some(end)) =
        (pid, before, ready, start, end)
    {
        let loaded = if end.rss_kib > ready.rss_kib {
            end
        } else {
            ready
        };
        report.server = Some(ServerUsage::between(
            pid,
            before,
            loaded,
            start,
            end,
            merged.sessions_opened,
        ));
    }
    Ok(report)
}

async fn fanout_figures(
    scan: &mut FanoutScan,
    merged: &WorkerReport,
) -> Result<FanoutFigures, LoadError> {
    let (_, finished) = scan_state(&mut scan.controller, scan.scan_id).await?;
    let received = merged.fanout_received_us.len() as u64;
    let first = merged.fanout_received_us.iter().min().copied().unwrap_or(0);
    let last = merged.fanout_received_us.iter().max().copied().unwrap_or(0);
    let latency_from_finish = finished.map(|finished| {
        let mut h = Histogram::default();
        for at in &merged.fanout_received_us {
            h.record_us(u64::try_from(at - finished).unwrap_or(0));
        }
        h.summary()
    });
    let failed_to_subscribe: u64 = merged
        .errors
        .iter()
        .filter(|(k, _)| k.starts_with("subscribe:"))
        .map(|(_, n)| n)
        .sum();
    let subscribed = merged.sessions_opened.saturating_sub(failed_to_subscribe);
    Ok(FanoutFigures {
        scan_id: scan.scan_id,
        subscribed,
        received,
        missing: subscribed.saturating_sub(received),
        latency_from_finish,
        spread_ms: (last - first) as f64 / 1000.0,
        ended_before_subscribed: scan.ended_before_subscribed,
    })
}
