//! `check FILE`: evaluate a ScubaGear export offline and print findings and the score.

use std::path::PathBuf;

use aether365_engine::{ExportContext, ExportFormat, Finding, Snapshot, evaluate_all, score};
use clap::{Args, ValueEnum};

use super::{CliError, print_json, read_file};

/// Output formats of `check` and `findings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// aether365's own JSON.
    Json,
    /// OCSF 1.8.0 Compliance Finding events, a JSON array.
    Ocsf,
    /// SARIF 2.1.0.
    Sarif,
    /// CSV (RFC 4180) with a header row.
    Csv,
}

impl Format {
    /// The engine's export format, for ocsf, sarif and csv.
    pub fn export(self) -> Option<ExportFormat> {
        match self {
            Format::Table | Format::Json => None,
            Format::Ocsf => Some(ExportFormat::Ocsf),
            Format::Sarif => Some(ExportFormat::Sarif),
            Format::Csv => Some(ExportFormat::Csv),
        }
    }
}

/// Writes `findings` in `format` on stdout.
pub fn write_export(
    format: ExportFormat,
    context: &ExportContext,
    findings: &[Finding],
) -> Result<(), CliError> {
    use std::io::Write;
    let bytes = aether365_engine::export(format, context, findings)
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|()| {
            if bytes.last() == Some(&b'\n') {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        })
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Invalid(format!("cannot write to stdout: {e}")))
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A ScubaGear ProviderSettingsExport.json (with or without a byte order mark).
    file: PathBuf,
    /// table, json, or an export: ocsf (OCSF 1.8.0 Compliance Finding), sarif (SARIF 2.1.0), csv.
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
    if let Some(format) = args.format.export() {
        let context = ExportContext {
            scan_id: None,
            tenant_name: snapshot.display_name().unwrap_or_else(|| {
                args.file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "offline check".into())
            }),
            microsoft_tenant_id: snapshot.tenant_id(),
            time: chrono::Utc::now(),
        };
        return write_export(format, &context, &findings);
    }
    let card = score(&findings);
    if args.format == Format::Json {
        return print_json(&serde_json::json!({ "score": card, "findings": findings }));
    }
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
