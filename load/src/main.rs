//! `aether365-load`: a load generator for the aether365 MCP server. See docs/performance.md.
//!
//! The coordinator process starts `--processes` worker processes (itself again, with a
//! hidden `--worker` flag), each opening its share of the sessions; they step through the
//! scenario together and the coordinator merges their figures.

mod args;
mod coordinator;
mod http;
mod procfs;
mod report;
mod session;
mod sse;
mod startup;
mod stats;
mod worker;
mod workload;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Scenario};

/// Errors that end a run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("request failed: {0}")]
    Call(#[from] session::CallError),
    #[error("worker: {0}")]
    Worker(String),
    #[error("{0}")]
    Invalid(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), LoadError> {
    if let Some(index) = cli.common.worker {
        return worker::run(cli, index).await;
    }
    let json = cli.common.json;
    let text = match &cli.scenario {
        Scenario::Startup(args) => {
            let startup = startup::run(&cli, args).await?;
            if json {
                to_json(&startup)?
            } else {
                format!(
                    "start-up to first answered request: {:.0} ms ({} attempts)\n",
                    startup.first_answer_ms, startup.attempts
                )
            }
        }
        scenario => {
            let report = coordinator::run(&cli).await?;
            let out = match scenario {
                Scenario::Calls(args) => args.out.clone(),
                _ => None,
            };
            if let Some(path) = out {
                std::fs::write(&path, to_json(&report)?)?;
            }
            if json {
                to_json(&report)?
            } else {
                report.table()
            }
        }
    };
    print!("{text}");
    Ok(())
}

fn to_json(value: &impl serde::Serialize) -> Result<String, LoadError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| LoadError::Invalid(e.to_string()))
}
