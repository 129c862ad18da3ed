//! Resource subscriptions, tasks and scan events.

use std::sync::Arc;

use actix::{ActorFutureExt, AsyncContext, Handler, Message, ResponseActFuture, WrapFuture};
use aether365_actors::cluster::sessions::SessionChange;
use aether365_actors::scans::{ScanEvent, ScanStatus};
use serde_json::json;

use crate::mcp::jsonrpc::{self};
use crate::mcp::surface::resources;
use crate::mcp::tasks;

use super::actor::McpSession;
use super::kind::SessionKind;

/// `resources/subscribe` (the resource was checked to exist and be visible); answered once
/// the subscription is stored.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SubscribeResource {
    pub uri: String,
    pub scan_id: Option<i64>,
}

impl Handler<SubscribeResource> for McpSession {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, msg: SubscribeResource, ctx: &mut Self::Context) -> Self::Result {
        let change = SessionChange::Subscribe {
            uri: msg.uri,
            scan_id: msg.scan_id,
        };
        self.shared.lock().apply_change(&change);
        if let Some(scan_id) = msg.scan_id {
            // Asked again even when followed already (a scan this session started): the
            // manager answers a scan that has finished with its final event, which the
            // subscription must see even though the task saw it before.
            self.followed.remove(&scan_id);
        }
        self.follow_scans(ctx);
        let shared = Arc::clone(&self.shared);
        Box::pin(
            async move { shared.persist(change).await }
                .into_actor(self)
                .map(|(), act, ctx| act.follow_scans(ctx)),
        )
    }
}

/// `resources/unsubscribe`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct UnsubscribeResource {
    pub uri: String,
}

impl Handler<UnsubscribeResource> for McpSession {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, msg: UnsubscribeResource, _: &mut Self::Context) -> Self::Result {
        let change = SessionChange::Unsubscribe { uri: msg.uri };
        self.shared.lock().apply_change(&change);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move { shared.persist(change).await }.into_actor(self))
    }
}

/// Follows a scan started by this session (task status notifications, `tasks/list`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct TrackTask {
    pub scan_id: i64,
}

impl Handler<TrackTask> for McpSession {
    type Result = ();
    fn handle(&mut self, msg: TrackTask, ctx: &mut Self::Context) {
        let change = SessionChange::TrackTask {
            scan_id: msg.scan_id,
        };
        let added = {
            let mut state = self.shared.lock();
            let added = !state.tasks.contains(&msg.scan_id);
            state.apply_change(&change);
            added
        };
        if added {
            self.follow_scans(ctx);
            let shared = Arc::clone(&self.shared);
            ctx.spawn(
                async move { shared.persist(change).await }
                    .into_actor(self)
                    .map(|(), act, ctx| act.follow_scans(ctx)),
            );
        }
    }
}

/// The scans this session started, oldest first.
#[derive(Message)]
#[rtype(result = "Vec<i64>")]
pub struct ListTasks;

impl Handler<ListTasks> for McpSession {
    type Result = actix::MessageResult<ListTasks>;
    fn handle(&mut self, _: ListTasks, _: &mut Self::Context) -> Self::Result {
        actix::MessageResult(self.shared.lock().tasks.clone())
    }
}

impl Handler<ScanEvent> for McpSession {
    type Result = ();
    fn handle(&mut self, event: ScanEvent, ctx: &mut Self::Context) {
        if !self.shared.is_holder() {
            return;
        }
        let status = event.status;
        let final_status = status.is_final();
        let uri = format!("aether365://scans/{}", event.scan_id);
        let posture = resources::posture_uri(event.tenant_id);
        let (subscribed, posture_subscribed, tracked) = {
            let state = self.shared.lock();
            (
                state.resources.contains_key(&uri),
                state.resources.contains_key(&posture),
                state.tasks.contains(&event.scan_id),
            )
        };
        // A tenant's posture is computed from its completed scans only.
        if status == ScanStatus::Completed && posture_subscribed {
            self.deliver(
                ctx,
                jsonrpc::notification("notifications/resources/updated", json!({"uri": posture})),
            );
        }
        if final_status && subscribed {
            self.deliver(
                ctx,
                jsonrpc::notification("notifications/resources/updated", json!({"uri": uri})),
            );
        }
        if tracked {
            let modern = matches!(self.kind, SessionKind::Listener { .. });
            let method = if modern {
                "notifications/tasks"
            } else {
                "notifications/tasks/status"
            };
            if modern || self.shared.version().has_legacy_tasks() {
                let (ttl_key, poll_key) = if modern {
                    ("ttlMs", "pollIntervalMs")
                } else {
                    ("ttl", "pollInterval")
                };
                let params = json!({
                    "taskId": tasks::task_id(event.scan_id),
                    "status": tasks::task_status(status),
                    "statusMessage": format!("scan {} is {status} ({}/{})", event.scan_id, event.progress_done, event.progress_total),
                    "createdAt": event.at.to_rfc3339(),
                    "lastUpdatedAt": event.at.to_rfc3339(),
                    ttl_key: tasks::TASK_TTL_MS,
                    poll_key: tasks::POLL_INTERVAL_MS,
                });
                self.deliver(ctx, jsonrpc::notification(method, params));
            }
        }
    }
}
