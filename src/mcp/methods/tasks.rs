//! `tasks/*`: the 2025-11-25 experimental tasks and the 2026-07-28 tasks extension. A task is
//! a scan started by `start_scan`.

use aether365_actors::query::{GetScan, QueryError, ScanView};
use aether365_actors::scans::{CancelScan, ScanStatus};
use rmcp::model::PaginatedRequestParams;
use serde_json::{Value, json};

use super::common::audited;
use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::pagination::{self, JsonPage};
use crate::mcp::scan_watch::ScanWatch;
use crate::mcp::session::ListTasks;
use crate::mcp::tasks;

/// The scan manager closed a scan's event stream before the scan ended.
#[derive(Debug, thiserror::Error)]
#[error("the scan manager closed the scan's event stream before the scan ended")]
struct ScanEventsClosed;

/// `tasks/list` (2025-11-25): the session's tasks the caller can still see.
pub async fn list(
    ctx: &RequestContext,
    params: &PaginatedRequestParams,
) -> Result<JsonPage, McpError> {
    let ids = match &ctx.session {
        Some(session) => session.addr.send(ListTasks).await?,
        None => Vec::new(),
    };
    let mut list = Vec::new();
    for id in ids {
        if let Ok(scan) = load_scan(ctx, id).await {
            list.push(tasks::task_object(&scan, false));
        }
    }
    Ok(pagination::page(list, params.cursor.as_deref())?.keyed("tasks"))
}

/// `tasks/get`, `tasks/result`, `tasks/cancel` and `tasks/update`, audited.
pub async fn method(ctx: &RequestContext, method: &str, task_id: &str) -> Result<Value, McpError> {
    let task_id = task_id.to_string();
    let scan_id = tasks::parse_task_id(&task_id)?;
    let modern = ctx.version.is_stateless();
    let targets = [format!("scan:{scan_id}")];
    let answer = async {
        match method {
            "tasks/get" => {
                let scan = load_scan(ctx, scan_id).await?;
                let mut task = tasks::task_object(&scan, modern);
                if modern
                    && scan.status.is_final()
                    && let Some(map) = task.as_object_mut()
                {
                    let result = tasks::scan_tool_result(&scan, true);
                    if scan.status == ScanStatus::Failed {
                        map.insert(
                            "error".into(),
                            json!({"code": -32603, "message": scan.error.clone().unwrap_or_default()}),
                        );
                    } else {
                        map.insert("result".into(), result);
                    }
                }
                Ok(task)
            }
            "tasks/result" if !modern => {
                let scan = wait_for_scan(ctx, scan_id).await?;
                let mut result = tasks::scan_tool_result(&scan, true);
                if let Some(map) = result.as_object_mut() {
                    map.insert(
                        "_meta".into(),
                        json!({"io.modelcontextprotocol/related-task": {"taskId": task_id}}),
                    );
                }
                Ok(result)
            }
            "tasks/cancel" => {
                let principal = &ctx.caller.principal;
                ctx.backend
                    .scans
                    .send(CancelScan {
                        organisation_id: principal.organisation_id,
                        tenant_scope: principal.tenant_scope.clone(),
                        scan_id,
                    })
                    .await?
                    .map_err(|_| McpError::InvalidParams(format!("unknown task {task_id:?}")))?;
                if modern {
                    Ok(json!({}))
                } else {
                    let scan = load_scan(ctx, scan_id).await?;
                    Ok(tasks::task_object(&scan, false))
                }
            }
            "tasks/update" if modern => {
                load_scan(ctx, scan_id).await?;
                Ok(json!({}))
            }
            _ => Err(McpError::MethodNotFound(format!(
                "{method:?} is not a method of protocol version {}",
                ctx.version
            ))),
        }
    }
    .await;
    audited(ctx, method, None, &targets, answer).await
}

/// Loads a scan through the query layer (scoped by the caller's token).
pub async fn load_scan(ctx: &RequestContext, scan_id: i64) -> Result<ScanView, McpError> {
    let answer = ctx
        .backend
        .queries
        .send(GetScan {
            principal: ctx.caller.principal.clone(),
            scan_id,
        })
        .await?;
    match answer {
        Ok(detail) => Ok(detail.scan),
        Err(QueryError::NotFound(_)) => Err(McpError::InvalidParams(format!(
            "unknown task {:?}",
            tasks::task_id(scan_id)
        ))),
        Err(e) => Err(McpError::failed("query", e)),
    }
}

/// Waits until the scan is final; with a progress token, reports its progress meanwhile.
pub async fn wait_for_scan(ctx: &RequestContext, scan_id: i64) -> Result<ScanView, McpError> {
    let mut watch = ScanWatch::start(&ctx.backend, scan_id);
    let mut scan = load_scan(ctx, scan_id).await?;
    let mut last_done = -1;
    // What the scan does now ("Exchange Online: collected"), from its latest event.
    let mut stage: Option<String> = None;
    loop {
        if scan.progress_done != last_done && scan.progress_total > 0 {
            last_done = scan.progress_done;
            let message = match &stage {
                Some(stage) => format!("{}: {stage}", tasks::status_message(&scan)),
                None => tasks::status_message(&scan),
            };
            ctx.progress(
                f64::from(scan.progress_done),
                Some(f64::from(scan.progress_total)),
                Some(&message),
            )
            .await;
        }
        if scan.status.is_final() {
            return Ok(scan);
        }
        match watch.next().await {
            Some(event) => {
                scan.status = event.status;
                scan.progress_done = event.progress_done;
                scan.progress_total = event.progress_total;
                scan.score = event.score;
                scan.error = event.error;
                stage = event.stage;
                if scan.status.is_final() {
                    // Reload for the stored summary.
                    scan = load_scan(ctx, scan_id).await?;
                }
            }
            None => return Err(McpError::failed("watching a scan", ScanEventsClosed)),
        }
    }
}
