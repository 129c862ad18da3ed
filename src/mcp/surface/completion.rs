//! Completion values for prompt arguments and resource template variables.

use aether365_actors::query::{Complete, CompletionField, ListReports};
use serde_json::Value;

use super::prompts;
use super::resources::{FINDINGS_TEMPLATES, REPORT_TEMPLATE, SCAN_TEMPLATE};
use super::{SurfaceContext, SurfaceError};

/// Most values returned.
const LIMIT: usize = 100;

/// Values for `argument` of the prompt or resource template `reference`, starting with `value`.
pub async fn complete(
    ctx: &SurfaceContext,
    reference: &Value,
    argument: &str,
    value: &str,
) -> Result<Vec<String>, SurfaceError> {
    let kind = reference
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let field = match kind {
        "ref/prompt" => {
            let name = reference
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let names = prompts::argument_names(name).ok_or_else(|| {
                SurfaceError::InvalidArguments(format!("unknown prompt {name:?}"))
            })?;
            if !names.contains(&argument) {
                return Err(SurfaceError::InvalidArguments(format!(
                    "prompt {name} has no argument {argument:?}: its arguments are {}",
                    names.join(", ")
                )));
            }
            match argument {
                "tenant" => CompletionField::Tenant,
                "service" => CompletionField::Service,
                "framework" => CompletionField::Framework,
                "kind" => CompletionField::Kind,
                "since" => return Ok(prefixed(&["7d", "30d", "90d", "365d"], value)),
                _ => return Ok(Vec::new()),
            }
        }
        "ref/resource" => {
            let uri = reference
                .get("uri")
                .and_then(Value::as_str)
                .unwrap_or_default();
            match (uri, argument) {
                (SCAN_TEMPLATE, "id") => CompletionField::Scan,
                (template, "id") if FINDINGS_TEMPLATES.iter().any(|(_, t)| *t == template) => {
                    CompletionField::Scan
                }
                (REPORT_TEMPLATE, "id") => {
                    let reports = ctx
                        .ask(ListReports {
                            principal: ctx.principal.clone(),
                            limit: LIMIT as u64,
                        })
                        .await?;
                    let ids: Vec<String> = reports.iter().map(|r| r.id.to_string()).collect();
                    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                    return Ok(prefixed(&refs, value));
                }
                _ => {
                    return Err(SurfaceError::InvalidArguments(format!(
                        "no resource template {uri:?} with variable {argument:?}"
                    )));
                }
            }
        }
        other => {
            return Err(SurfaceError::InvalidArguments(format!(
                "ref.type must be ref/prompt or ref/resource (got {other:?})"
            )));
        }
    };
    // Tenant names are the tenant's text: offered without their invisible code points.
    let values: Vec<String> = ctx
        .ask(Complete {
            principal: ctx.principal.clone(),
            field,
            prefix: value.to_string(),
            limit: LIMIT,
        })
        .await?;
    Ok(values
        .into_iter()
        .map(|v| aether365_engine::text::strip_invisible(&v).into_owned())
        .collect())
}

fn prefixed(values: &[&str], prefix: &str) -> Vec<String> {
    values
        .iter()
        .filter(|v| v.starts_with(prefix))
        .take(LIMIT)
        .map(|v| (*v).to_string())
        .collect()
}
