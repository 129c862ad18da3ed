//! `resources/subscribe` and `resources/unsubscribe` (handshake era, on the session), and
//! `subscriptions/listen` (stateless era: a long-lived stream of what the client opted in to).

use rmcp::model::{EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::common::{audited, session_of};
use crate::mcp::context::RequestContext;
use crate::mcp::error::McpError;
use crate::mcp::jsonrpc::{self, RequestId};
use crate::mcp::registry::SessionRegistry;
use crate::mcp::session::{
    Deliver, McpSession, OpenStream, SessionKind, StreamEvent, SubscribeResource, TrackTask,
    UnsubscribeResource, new_session_id,
};
use crate::mcp::surface::resources;
use crate::mcp::tasks;

/// The scan id a resource URI names, for `aether365://scans/{id}`.
pub fn scan_id_of_uri(uri: &str) -> Option<i64> {
    uri.strip_prefix("aether365://scans/")?.parse().ok()
}

/// `resources/subscribe`: only scans change; anything else must at least exist.
pub async fn subscribe(
    ctx: &RequestContext,
    method: &str,
    params: SubscribeRequestParams,
) -> Result<EmptyResult, McpError> {
    let uri = params.uri;
    let session = session_of(ctx)?;
    let scan_id = scan_id_of_uri(&uri);
    let check = match scan_id {
        Some(id) => super::tasks::load_scan(ctx, id)
            .await
            .map(|_| ())
            .map_err(|_| McpError::ResourceNotFound(uri.clone())),
        None => super::resources::contents(ctx, &uri).await.map(|_| ()),
    };
    let answer = match check {
        Ok(()) => session
            .addr
            .send(SubscribeResource {
                uri: uri.clone(),
                scan_id,
            })
            .await
            .map_err(McpError::from),
        Err(e) => Err(e),
    };
    audited(ctx, method, None, &[uri], answer).await?;
    Ok(EmptyResult {})
}

/// `resources/unsubscribe`.
pub async fn unsubscribe(
    ctx: &RequestContext,
    method: &str,
    params: UnsubscribeRequestParams,
) -> Result<EmptyResult, McpError> {
    let uri = params.uri;
    let session = session_of(ctx)?;
    let answer = session
        .addr
        .send(UnsubscribeResource { uri: uri.clone() })
        .await
        .map_err(McpError::from);
    audited(ctx, method, None, &[uri], answer).await?;
    Ok(EmptyResult {})
}

/// `subscriptions/listen`: checks every subscribed scan and task is visible, then opens a
/// listener whose stream starts with the acknowledgement.
pub async fn listen(
    ctx: &RequestContext,
    registry: &SessionRegistry,
    id: RequestId,
    params: &Map<String, Value>,
) -> Result<mpsc::Receiver<StreamEvent>, McpError> {
    let filter = params
        .get("notifications")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let strings = |key: &str| -> Result<Vec<String>, McpError> {
        let bad =
            || McpError::InvalidParams(format!("notifications.{key} must be an array of strings"));
        match filter.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    };
    let uris = strings("resourceSubscriptions")?;
    let task_ids = strings("taskIds")?;
    // The resources that change: scans, and tenants' posture (updated by their scans).
    let mut watched = Vec::new();
    for uri in &uris {
        if let Some(scan_id) = scan_id_of_uri(uri) {
            super::tasks::load_scan(ctx, scan_id)
                .await
                .map_err(|_| McpError::ResourceNotFound(uri.clone()))?;
            watched.push((uri.clone(), Some(scan_id)));
        } else if resources::tenant_of_posture_uri(uri).is_some() {
            super::resources::contents(ctx, uri).await?;
            watched.push((uri.clone(), None));
        }
    }
    let mut task_scans = Vec::new();
    for task_id in &task_ids {
        let scan_id = tasks::parse_task_id(task_id)?;
        super::tasks::load_scan(ctx, scan_id).await?;
        task_scans.push(scan_id);
    }
    let mut agreed = Map::new();
    for key in [
        "toolsListChanged",
        "promptsListChanged",
        "resourcesListChanged",
    ] {
        if filter.get(key).and_then(Value::as_bool) == Some(true) {
            agreed.insert(key.into(), true.into());
        }
    }
    if !uris.is_empty() {
        agreed.insert("resourceSubscriptions".into(), json!(uris));
    }
    if !task_ids.is_empty() && ctx.has_tasks_extension() {
        agreed.insert("taskIds".into(), json!(task_ids));
    }
    let session = McpSession::start_new(
        format!("listen-{}", new_session_id()),
        SessionKind::Listener {
            subscription_id: id,
        },
        ctx.caller.clone(),
        ctx.backend.clone(),
        registry.directory(),
        ctx.version,
        (*ctx.client_capabilities).clone(),
    );
    let session = session.addr;
    let rx = session
        .send(OpenStream {
            last_event_id: None,
        })
        .await?;
    session.do_send(Deliver(jsonrpc::notification(
        "notifications/subscriptions/acknowledged",
        json!({"notifications": agreed}),
    )));
    for (uri, scan_id) in watched {
        session.do_send(SubscribeResource { uri, scan_id });
    }
    if ctx.has_tasks_extension() {
        for scan_id in task_scans {
            session.do_send(TrackTask { scan_id });
        }
    }
    Ok(rx)
}
