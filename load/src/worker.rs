//! A worker process: opens its share of the sessions and runs the measured phase when the
//! coordinator says so. It talks over stdin/stdout, one line per step:
//! `READY` → (`GO` | `SCAN <id>`) → [`SUBSCRIBED`] → `REPORT <json>`.

use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::LoadError;
use crate::args::{CallsArgs, Cli, FanoutArgs, IdleArgs, Scenario};
use crate::session::{CallError, Session, Target, Transport};
use crate::stats::WorkerReport;
use crate::workload::is_scanner;

/// The resource of scan `id`.
pub fn scan_uri(id: i64) -> String {
    format!("aether365://scans/{id}")
}

/// The connection settings every session of this process shares.
pub fn target(cli: &Cli) -> Arc<Target> {
    Arc::new(Target {
        addrs: cli.common.addr.clone(),
        token: cli.common.token.clone(),
        sources: cli.common.source_addrs(),
        timeout: cli.common.timeout,
    })
}

/// Runs worker `index` until its report is printed.
pub async fn run(cli: Cli, index: usize) -> Result<(), LoadError> {
    let target = target(&cli);
    let indexes = cli.common.worker_sessions(index);
    let hold = matches!(cli.scenario, Scenario::Idle(_));
    let mut report = WorkerReport::default();
    let sessions = open_all(&cli, &target, &indexes, hold, &mut report).await;
    let mut commands = BufReader::new(tokio::io::stdin()).lines();
    say("READY");
    let command = next_command(&mut commands).await?;
    let started = Instant::now();
    match &cli.scenario {
        Scenario::Idle(args) => idle(args, &sessions, &mut report).await,
        Scenario::Calls(args) => calls(&cli, args, sessions, &mut report).await,
        Scenario::Fanout(args) => {
            let scan_id = command
                .strip_prefix("SCAN ")
                .and_then(|id| id.trim().parse::<i64>().ok())
                .ok_or_else(|| LoadError::Worker(format!("expected SCAN <id>, got {command:?}")))?;
            fanout(&cli, args, sessions, scan_id, &mut report).await;
        }
        Scenario::Startup(_) => {}
    }
    report.elapsed_s = started.elapsed().as_secs_f64();
    if let Scenario::Calls(args) = &cli.scenario {
        report.elapsed_s = (args.duration.saturating_sub(args.warmup)).as_secs_f64();
    }
    let json = serde_json::to_string(&report).map_err(|e| LoadError::Worker(e.to_string()))?;
    say(&format!("REPORT {json}"));
    Ok(())
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn next_command(lines: &mut Lines<BufReader<Stdin>>) -> Result<String, LoadError> {
    lines
        .next_line()
        .await?
        .ok_or_else(|| LoadError::Worker("the coordinator went away".into()))
}

/// Opens the sessions `indexes`, `open_concurrency` at a time. With `hold`, each keeps only
/// its event stream (idle sessions).
async fn open_all(
    cli: &Cli,
    target: &Arc<Target>,
    indexes: &[usize],
    hold: bool,
    report: &mut WorkerReport,
) -> Vec<Session> {
    let permits = Arc::new(Semaphore::new(cli.common.open_concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for &index in indexes {
        let transport = cli.common.transports.nth(index);
        let target = target.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let began = Instant::now();
            let mut session = Session::open(transport, target, index).await?;
            if hold {
                session.hold_stream().await?;
                session.release_post();
            }
            Ok::<_, CallError>((session, began.elapsed()))
        });
    }
    let mut sessions = Vec::with_capacity(indexes.len());
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok((session, took))) => {
                report.sessions_opened += 1;
                report.session_open.record(took);
                sessions.push(session);
            }
            Ok(Err(e)) => report.error_with(format!("open_{}", e.kind()), e.to_string()),
            Err(_) => report.error("open_panicked"),
        }
    }
    sessions
}

/// Holds the sessions, then checks their streams stayed open and kept receiving keep-alives.
async fn idle(args: &IdleArgs, sessions: &[Session], report: &mut WorkerReport) {
    let hold = args.hold();
    let before: Vec<u64> = sessions.iter().map(Session::keepalives).collect();
    tokio::time::sleep(hold).await;
    let period = args.keep_alive.as_secs_f64().max(0.001);
    let expected = ((hold.as_secs_f64() / period).floor() as u64).saturating_sub(1);
    for (session, before) in sessions.iter().zip(before) {
        let got = session.keepalives() - before;
        report.keepalives += got;
        if session.stream_closed() {
            report.streams_closed += 1;
            report.error("stream_closed");
        } else if got < expected {
            report.streams_starved += 1;
            report.error("keepalive_missing");
        }
    }
}

/// Runs the tool mix on every session until the end of the run.
async fn calls(cli: &Cli, args: &CallsArgs, sessions: Vec<Session>, report: &mut WorkerReport) {
    let start = Instant::now();
    let record_from = start + args.warmup;
    let end = start + args.duration;
    let interval = args
        .rate
        .filter(|r| *r > 0.0)
        .map(|rate| Duration::from_secs_f64(cli.common.sessions as f64 / rate));
    let mut tasks = JoinSet::new();
    // Legacy sessions (2024-11-05) get no structured results, so they cannot read a started
    // scan's id: the scanning share of all sessions is taken from the others.
    let can_scan = sessions
        .iter()
        .filter(|s| s.transport != Transport::Legacy)
        .count();
    let share = if can_scan == 0 {
        0.0
    } else {
        (args.scan_share * sessions.len() as f64 / can_scan as f64).min(1.0)
    };
    let mut scanning_index = 0;
    for (n, session) in sessions.into_iter().enumerate() {
        let args = args.clone();
        let tenant = cli.common.tenant.clone();
        let scanner = session.transport != Transport::Legacy && {
            scanning_index += 1;
            is_scanner(scanning_index - 1, share)
        };
        tasks.spawn(async move {
            let mut local = WorkerReport::default();
            let mut session = session;
            let mut rng = StdRng::seed_from_u64(n as u64);
            if scanner {
                scan_loop(&mut session, &tenant, record_from, end, &mut local).await;
            } else {
                call_loop(
                    &mut session,
                    &args,
                    &tenant,
                    interval,
                    record_from,
                    end,
                    &mut rng,
                    &mut local,
                )
                .await;
            }
            local
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(local) => report.merge(local),
            Err(_) => report.error("session_panicked"),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn call_loop(
    session: &mut Session,
    args: &CallsArgs,
    tenant: &str,
    interval: Option<Duration>,
    record_from: Instant,
    end: Instant,
    rng: &mut StdRng,
    report: &mut WorkerReport,
) {
    // Open loop: spread the first calls over one interval, then keep the schedule, and
    // time each call from when it was due (no coordinated omission).
    let mut due = Instant::now();
    if let Some(interval) = interval {
        due += interval.mul_f64(rand::Rng::random_range(rng, 0.0..1.0));
    }
    loop {
        if interval.is_some() {
            tokio::time::sleep_until(due.into()).await;
            if due >= end {
                break;
            }
        } else {
            due = Instant::now();
            if due >= end {
                break;
            }
        }
        let tool = args.mix.pick(rng);
        let outcome = session
            .call_tool_checked(tool.name(), tool.arguments(tenant, rng))
            .await;
        tally(report, tool.name(), due, record_from, outcome);
        if let Some(interval) = interval {
            due += interval;
        }
    }
}

/// Counts one finished call: its latency from `due` when it succeeded (after the warm-up),
/// its kind when it failed, and whether the server answered it (for the audit check).
fn tally(
    report: &mut WorkerReport,
    name: &str,
    due: Instant,
    record_from: Instant,
    outcome: Result<(), CallError>,
) {
    let answered = matches!(
        outcome,
        Ok(()) | Err(CallError::Tool | CallError::JsonRpc { .. })
    );
    if answered {
        report.tool_calls_answered += 1;
    }
    if due < record_from {
        return;
    }
    match outcome {
        Ok(()) => report.call(name, due.elapsed()),
        Err(e) => report.error_with(format!("{name}:{}", e.kind()), e.to_string()),
    }
}

/// A field of a tool's structured result, at the top or under `scan`.
fn structured<'a>(result: &'a Value, field: &str) -> Option<&'a Value> {
    let content = result.get("structuredContent")?;
    content
        .get(field)
        .or_else(|| content.get("scan")?.get(field))
}

/// Starts scans and waits for each completion notification until the end of the run.
async fn scan_loop(
    session: &mut Session,
    tenant: &str,
    record_from: Instant,
    end: Instant,
    report: &mut WorkerReport,
) {
    while Instant::now() < end {
        let began = Instant::now();
        let started = session
            .call_tool(
                "start_scan",
                json!({"kind": "compliance", "tenant": tenant}),
            )
            .await;
        let scan_id = match &started {
            Ok(result) => structured(result, "scan_id").and_then(Value::as_i64),
            Err(_) => None,
        };
        tally(report, "start_scan", began, record_from, started.map(drop));
        let Some(scan_id) = scan_id else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let uri = scan_uri(scan_id);
        if let Err(e) = session.subscribe(&uri).await {
            report.error(format!("subscribe:{}", e.kind()));
            continue;
        }
        // The scan may have ended before the subscription: then no notification comes.
        let asked = Instant::now();
        let status = session
            .call_tool("get_scan", json!({"scan": scan_id}))
            .await;
        let finished = status
            .as_ref()
            .ok()
            .and_then(|r| structured(r, "status"))
            .and_then(Value::as_str)
            .is_some_and(|s| matches!(s, "completed" | "failed" | "cancelled"));
        let status_failed = status.is_err();
        tally(report, "get_scan", asked, record_from, status.map(drop));
        if finished {
            report.scans_ended_before_subscription += 1;
            continue;
        }
        let deadline = end.max(Instant::now()) + Duration::from_secs(120);
        match session
            .wait_note("notifications/resources/updated", Some(&uri), deadline)
            .await
        {
            Ok(note) if began >= record_from => {
                report.scan_notify.record(note.at.duration_since(began))
            }
            Ok(_) => {}
            Err(e) => report.error_with(
                format!("scan_notification:{}", e.kind()),
                format!("scan {scan_id}: {e} (get_scan failed: {status_failed})"),
            ),
        }
    }
}

/// Subscribes every session to scan `scan_id`, says `SUBSCRIBED`, and waits for the
/// completion notification on each.
async fn fanout(
    cli: &Cli,
    args: &FanoutArgs,
    sessions: Vec<Session>,
    scan_id: i64,
    report: &mut WorkerReport,
) {
    let uri = scan_uri(scan_id);
    let permits = Arc::new(Semaphore::new(cli.common.open_concurrency.max(1)));
    let (acks, mut acked) = mpsc::unbounded_channel::<Result<(), String>>();
    let mut tasks = JoinSet::new();
    let count = sessions.len();
    for mut session in sessions {
        let uri = uri.clone();
        let permits = permits.clone();
        let acks = acks.clone();
        let wait = args.wait;
        tasks.spawn(async move {
            let subscribed = {
                let _permit = permits.acquire().await;
                session.subscribe(&uri).await
            };
            if let Err(e) = subscribed {
                let _ = acks.send(Err(format!("subscribe:{}", e.kind())));
                return Err(None);
            }
            let _ = acks.send(Ok(()));
            let deadline = Instant::now() + wait;
            match session
                .wait_note("notifications/resources/updated", Some(&uri), deadline)
                .await
            {
                Ok(note) => Ok(note.wall),
                Err(e) => Err(Some(format!("notification:{}", e.kind()))),
            }
        });
    }
    drop(acks);
    for _ in 0..count {
        match acked.recv().await {
            Some(Ok(())) => {}
            Some(Err(kind)) => report.error(kind),
            None => break,
        }
    }
    say("SUBSCRIBED");
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(wall)) => {
                let us = wall
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
                report.fanout_received_us.push(us);
            }
            Ok(Err(Some(kind))) => report.error(kind),
            Ok(Err(None)) => {}
            Err(_) => report.error("session_panicked"),
        }
    }
}
