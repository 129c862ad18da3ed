//! Start-up time: from spawning the server to its first answered MCP request.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;
use tokio::process::Command;

use crate::LoadError;
use crate::args::{Cli, StartupArgs};
use crate::session::{Session, Target, Transport};

/// The measurement.
#[derive(Debug, Serialize)]
pub struct Startup {
    /// From spawning the command to the first `tools/call get_posture` answered.
    pub first_answer_ms: f64,
    pub attempts: u64,
}

/// Spawns the server command, polls with a stateless `get_posture` every 2 ms, and stops
/// the server (the child this started) once answered.
pub async fn run(cli: &Cli, args: &StartupArgs) -> Result<Startup, LoadError> {
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| LoadError::Invalid("give the server command after --".into()))?;
    let target = Arc::new(Target {
        addrs: cli.common.addr.clone(),
        token: cli.common.token.clone(),
        sources: Vec::new(),
        timeout: Duration::from_secs(2),
    });
    let began = Instant::now();
    let mut child = Command::new(program)
        .args(rest)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut attempts = 0;
    let outcome = loop {
        attempts += 1;
        if let Ok(mut session) = Session::open(Transport::Stateless, target.clone(), 0).await
            && session
                .call_tool("get_posture", json!({"tenant": cli.common.tenant}))
                .await
                .is_ok()
        {
            break Ok(began.elapsed());
        }
        if began.elapsed() > args.limit {
            break Err(LoadError::Invalid(format!(
                "no answer within {:?}",
                args.limit
            )));
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(LoadError::Invalid(format!("the server exited: {status}")));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let _ = child.kill().await;
    let took = outcome?;
    Ok(Startup {
        first_answer_ms: took.as_secs_f64() * 1000.0,
        attempts,
    })
}
