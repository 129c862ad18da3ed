//! Tasks backed by scans: `start_scan` may run as a task (2025-11-25 experimental tasks and the
//! `io.modelcontextprotocol/tasks` extension of 2026-07-28). A task id is `scan-<id>`, so a task
//! is as durable as its scan and visible exactly where the scan is.

use aether365_actors::query::ScanView;
use aether365_actors::scans::ScanStatus;
use serde_json::{Value, json};

use super::error::McpError;

/// How long a task is kept, in milliseconds (scans are kept for good; this is a hint).
pub const TASK_TTL_MS: u64 = 24 * 3600 * 1000;
/// Suggested polling interval, in milliseconds.
pub const POLL_INTERVAL_MS: u64 = 2000;

/// The task id of a scan.
pub fn task_id(scan_id: i64) -> String {
    format!("scan-{scan_id}")
}

/// The scan id of a task id.
pub fn parse_task_id(task_id: &str) -> Result<i64, McpError> {
    task_id
        .strip_prefix("scan-")
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or_else(|| McpError::InvalidParams(format!("unknown task {task_id:?}")))
}

/// The task status of a scan status.
pub fn task_status(scan_status: ScanStatus) -> &'static str {
    match scan_status {
        ScanStatus::Completed => "completed",
        ScanStatus::Failed => "failed",
        ScanStatus::Cancelled => "cancelled",
        ScanStatus::Queued | ScanStatus::Running => "working",
    }
}

pub fn status_message(scan: &ScanView) -> String {
    match scan.status.as_str() {
        "completed" => match scan.score {
            Some(score) => format!("Scan {} completed; score {score:.1}", scan.id),
            None => format!("Scan {} completed", scan.id),
        },
        "failed" => format!(
            "Scan {} failed: {}",
            scan.id,
            scan.error.as_deref().unwrap_or("unknown error")
        ),
        "cancelled" => format!("Scan {} was cancelled", scan.id),
        "queued" => format!("Scan {} is queued", scan.id),
        _ => format!(
            "Scan {} is running ({}/{} checks)",
            scan.id, scan.progress_done, scan.progress_total
        ),
    }
}

/// The task object of a scan. `modern` selects the field names of the 2026-07-28 extension
/// (`ttlMs`, `pollIntervalMs`) over those of 2025-11-25 (`ttl`, `pollInterval`).
pub fn task_object(scan: &ScanView, modern: bool) -> Value {
    let updated = scan
        .finished_at
        .or(scan.started_at)
        .unwrap_or(scan.created_at);
    let (ttl_key, poll_key) = if modern {
        ("ttlMs", "pollIntervalMs")
    } else {
        ("ttl", "pollInterval")
    };
    json!({
        "taskId": task_id(scan.id),
        "status": task_status(scan.status),
        "statusMessage": status_message(scan),
        "createdAt": scan.created_at.to_rfc3339(),
        "lastUpdatedAt": updated.to_rfc3339(),
        ttl_key: TASK_TTL_MS,
        poll_key: POLL_INTERVAL_MS,
    })
}

/// The tool result a finished scan task resolves to.
pub fn scan_tool_result(scan: &ScanView, structured: bool) -> Value {
    let mut result = json!({
        "content": [{"type": "text", "text": status_message(scan)}],
        "isError": scan.status == ScanStatus::Failed,
    });
    if structured
        && let (Some(map), Ok(view)) = (result.as_object_mut(), serde_json::to_value(scan))
    {
        map.insert("structuredContent".into(), view);
    }
    result
}
