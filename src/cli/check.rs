//! `check FILE`: evaluate a ScubaGear export offline and print findings and the score.

use std::path::PathBuf;

use aether365_engine::{Snapshot, evaluate_all, score};
use clap::{Args, ValueEnum};

use super::{CliError, print_json, read_file};

/// Output formats of `check`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A ScubaGear ProviderSettingsExport.json (with or without a byte order mark).
    file: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

pub fn run(args: CheckArgs) -> Result<(), CliError> {
    let bytes = read_file(&args.file)?;
    let snapshot = Snapshot::from_bytes(&bytes).map_err(|e| CliError::File {
        path: args.file.clone(),
        reason: e.to_string(),
    })?;
    let mut findings = evaluate_all(&snapshot);
    findings.sort_by_key(|f| {
        (
            f.status.as_str() != "fail",
            f.severity.rank(),
            f.check_id.clone(),
        )
    });
    let card = score(&findings);
    match args.format {
        Format::Json => print_json(&serde_json::json!({ "score": card, "findings": findings })),
        Format::Table => {
            println!(
                "{:<14} {:<8} {:<14} {:<24} TITLE",
                "CHECK", "SEVERITY", "STATUS", "SERVICE"
            );
            for f in &findings {
                println!(
                    "{:<14} {:<8} {:<14} {:<24} {}",
                    f.check_id,
                    f.severity.as_str(),
                    f.status.as_str(),
                    f.service.display_name(),
                    f.title
                );
            }
            println!();
            match card.overall {
                Some(overall) => println!("score: {overall:.1} / 100"),
                None => println!("score: n/a (no automated check could run)"),
            }
            for (service, value) in &card.by_service {
                println!("  {service:<24} {value:>5.1}");
            }
            for (framework, value) in &card.by_framework {
                println!("  {framework:<24} {value:>5.1}");
            }
            Ok(())
        }
    }
}
