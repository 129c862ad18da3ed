//! The `ScanManager` actor and its messages.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aether365_collector::Collector;

use actix::prelude::*;
use aether365_entities::scan;
use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, SqlErr};
use tokio::sync::oneshot;

use super::fanout::Fanout;
use super::run::{self, RunEnv};
use super::store;
use super::types::{
    ScanError, ScanEvent, ScanKind, ScanOrigin, ScanRequest, ScanStatus, ScanTicket, Topic,
};
use crate::exposure::DnsConfig;
use crate::principal::TenantScope;

/// Settings of the scan manager.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Scans running at once; further ones wait queued. Default 4.
    pub max_concurrent: usize,
    /// DNS settings of exposure scans (and of the mail records a collection looks up).
    pub dns: DnsConfig,
    /// Reads connected tenants live; `None` when no Entra application is configured, and then
    /// compliance scans evaluate the newest imported configuration and say so.
    pub collector: Option<Arc<Collector>>,
    /// On start, mark scans left running as failed (`interrupted`) and queue again those left
    /// queued. Default true; false for a short-lived manager beside a running server (the CLI),
    /// which must not take over the server's scans.
    pub recover_on_start: bool,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            max_concurrent: 4,
            dns: DnsConfig::default(),
            collector: None,
            recover_on_start: true,
        }
    }
}

/// Starts a scan, or returns the tenant's queued or running scan of that kind.
#[derive(Debug, Message)]
#[rtype(result = "Result<ScanTicket, ScanError>")]
pub struct StartScan(pub ScanRequest);

/// Cancels a queued or running scan; a finished scan answers with its final status.
#[derive(Debug, Message)]
#[rtype(result = "Result<ScanStatus, ScanError>")]
pub struct CancelScan {
    pub organisation_id: i64,
    pub tenant_scope: TenantScope,
    pub scan_id: i64,
}

/// Subscribes `subscriber` to the events of a scan or of a tenant's scans.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Subscribe {
    pub topic: Topic,
    /// Chosen by the caller, unique per subscriber; used to unsubscribe.
    pub subscriber_id: u64,
    pub subscriber: Recipient<ScanEvent>,
}

/// Drops every subscription of a subscriber.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    pub subscriber_id: u64,
}

/// Counts for metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub queued: usize,
    pub running: usize,
    pub subscribers: usize,
}

/// Asks for the manager's [`ScanStats`].
#[derive(Debug, Message)]
#[rtype(result = "ScanStats")]
pub struct GetStats;

/// A scan this manager has queued or is running.
struct Active {
    row: scan::Model,
    kind: ScanKind,
    handle: Option<SpawnHandle>,
}

/// Everyone waiting for the same new scan of a tenant and kind.
type Waiters = Vec<oneshot::Sender<Result<ScanTicket, String>>>;

type BoxedFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Queues, runs, cancels and publishes scans. Start it under a `Supervisor`.
///
/// Starts are serialized per tenant and kind inside the actor (without blocking it), so that
/// concurrent starts yield one scan. Runs are futures on the actor's context, at most
/// `max_concurrent` at once; engine work runs on blocking threads.
pub struct ScanManager {
    db: DatabaseConnection,
    config: ScanConfig,
    fanout: Fanout,
    /// Queued and running scans of this manager, by id.
    active: HashMap<i64, Active>,
    /// Queued scan ids, oldest first.
    queue: VecDeque<i64>,
    /// Starts being written, by (tenant, kind).
    starting: HashMap<(i64, ScanKind), Waiters>,
}

impl ScanManager {
    /// A manager over `db`; scans left queued or running are recovered when it starts.
    pub fn new(db: DatabaseConnection, config: ScanConfig) -> Self {
        ScanManager {
            db,
            config,
            fanout: Fanout::default(),
            active: HashMap::new(),
            queue: VecDeque::new(),
            starting: HashMap::new(),
        }
    }

    fn running(&self) -> usize {
        self.active.values().filter(|a| a.handle.is_some()).count()
    }

    /// Answers a start for a tenant in scope: the active scan of that kind, or a new one.
    fn claim(
        &mut self,
        request: ScanRequest,
        ctx: &mut Context<Self>,
    ) -> BoxedFuture<Result<ScanTicket, ScanError>> {
        let key = (request.tenant_id, request.kind);
        if let Some(active) = self
            .active
            .values()
            .find(|a| a.row.tenant_id == key.0 && a.kind == key.1)
        {
            let ticket = ScanTicket {
                scan_id: active.row.id,
                status: if active.handle.is_some() {
                    ScanStatus::Running
                } else {
                    ScanStatus::Queued
                },
                existing: true,
            };
            return Box::pin(async move { Ok(ticket) });
        }
        let (tx, rx) = oneshot::channel();
        match self.starting.entry(key) {
            Entry::Occupied(mut waiting) => waiting.get_mut().push(tx),
            Entry::Vacant(slot) => {
                slot.insert(vec![tx]);
                let db = self.db.clone();
                let create = async move {
                    // Another process (the CLI, another instance) may hold one already.
                    if let Some(existing) =
                        store::find_active(&db, request.tenant_id, request.kind).await?
                    {
                        return Ok((existing, true));
                    }
                    match store::insert_queued(&db, &request).await {
                        Ok(row) => Ok((row, false)),
                        // Another instance won the race: the partial unique index
                        // `ux_scans_one_active` allows one queued or running scan per kind.
                        Err(ScanError::Database(e))
                            if matches!(
                                e.sql_err(),
                                Some(SqlErr::UniqueConstraintViolation(_))
                            ) =>
                        {
                            store::find_active(&db, request.tenant_id, request.kind)
                                .await?
                                .map(|row| (row, true))
                                .ok_or(ScanError::Database(e))
                        }
                        Err(e) => Err(e),
                    }
                };
                ctx.spawn(create.into_actor(self).map(move |created, act, ctx| {
                    act.created(key, created, ctx);
                }));
            }
        }
        Box::pin(async move {
            match rx.await {
                Ok(Ok(ticket)) => Ok(ticket),
                Ok(Err(error)) => Err(ScanError::Database(DbErr::Custom(error))),
                Err(_) => Err(ScanError::Unavailable(
                    "the scan manager restarted".to_string(),
                )),
            }
        })
    }

    /// A start was written (or found): answer everyone who asked, queue a new scan.
    fn created(
        &mut self,
        key: (i64, ScanKind),
        created: Result<(scan::Model, bool), ScanError>,
        ctx: &mut Context<Self>,
    ) {
        let waiters = self.starting.remove(&key).unwrap_or_default();
        match created {
            Ok((row, existing)) => {
                let (scan_id, status) = (row.id, store::status_of(&row));
                if !existing {
                    tracing::info!(scan = scan_id, tenant = row.tenant_id, kind = %key.1, "scan queued");
                    self.fanout.publish(&store::event_of(&row));
                    self.enqueue(row, key.1);
                    self.pump(ctx);
                }
                for (i, waiter) in waiters.into_iter().enumerate() {
                    let ticket = ScanTicket {
                        scan_id,
                        status,
                        existing: existing || i > 0,
                    };
                    let _ = waiter.send(Ok(ticket));
                }
            }
            Err(error) => {
                tracing::error!(tenant = key.0, "cannot queue a scan: {error}");
                let reason = match &error {
                    ScanError::Database(e) => e.to_string(),
                    other => other.to_string(),
                };
                for waiter in waiters {
                    let _ = waiter.send(Err(reason.clone()));
                }
            }
        }
    }

    fn enqueue(&mut self, row: scan::Model, kind: ScanKind) {
        self.queue.push_back(row.id);
        self.active.insert(
            row.id,
            Active {
                row,
                kind,
                handle: None,
            },
        );
    }

    /// Starts queued scans while there is room.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        while self.running() < self.config.max_concurrent.max(1) {
            let Some(scan_id) = self.queue.pop_front() else {
                break;
            };
            let Some(active) = self.active.get(&scan_id) else {
                continue;
            };
            let env = RunEnv {
                db: self.db.clone(),
                config: self.config.clone(),
                fanout: self.fanout.clone(),
            };
            let work = run::run(env, active.row.clone());
            let handle = ctx.spawn(work.into_actor(self).map(move |(), act, ctx| {
                act.active.remove(&scan_id);
                act.pump(ctx);
            }));
            if let Some(active) = self.active.get_mut(&scan_id) {
                active.handle = Some(handle);
            }
        }
    }

    /// A scan was cancelled in the database: stop it here and tell its subscribers.
    fn cancelled(&mut self, row: &scan::Model, ctx: &mut Context<Self>) {
        self.queue.retain(|id| *id != row.id);
        if let Some(Active {
            handle: Some(handle),
            ..
        }) = self.active.remove(&row.id)
        {
            ctx.cancel_future(handle);
        }
        let mut event = store::event_of(row);
        event.status = ScanStatus::Cancelled;
        event.error = None;
        event.at = Utc::now();
        self.fanout.publish(&event);
        tracing::info!(scan = row.id, "scan cancelled");
        self.pump(ctx);
    }
}

impl Actor for ScanManager {
    type Context = Context<Self>;

    /// Recovers scans left by a previous run before handling any message.
    fn started(&mut self, ctx: &mut Self::Context) {
        if !self.config.recover_on_start {
            return;
        }
        let db = self.db.clone();
        ctx.wait(
            async move { store::recover(&db).await }
                .into_actor(self)
                .map(|recovered, act, ctx| {
                    match recovered {
                        Ok((interrupted, queued)) => {
                            for row in interrupted {
                                tracing::warn!(
                                    scan = row.id,
                                    "scan was running when the server stopped: marked failed"
                                );
                                act.fanout.publish(&store::event_of(&row));
                            }
                            for row in queued {
                                if let Ok(kind) = row.kind.parse() {
                                    tracing::info!(scan = row.id, "queueing a scan left queued");
                                    act.enqueue(row, kind);
                                }
                            }
                        }
                        Err(e) => {
                            tracing::error!("cannot recover scans left by a previous run: {e}")
                        }
                    }
                    act.pump(ctx);
                }),
        );
    }
}

impl Supervised for ScanManager {
    /// The context's futures are gone: forget them; `started` recovers from the database.
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!("scan manager restarting");
        self.active.clear();
        self.queue.clear();
        self.starting.clear();
    }
}

impl Handler<StartScan> for ScanManager {
    type Result = ResponseActFuture<Self, Result<ScanTicket, ScanError>>;

    fn handle(&mut self, StartScan(request): StartScan, _ctx: &mut Self::Context) -> Self::Result {
        if request.ai_pilot && request.origin != ScanOrigin::Dashboard {
            tracing::warn!(tenant = request.tenant_id, origin = %request.origin, "AI Pilot refused");
            return Box::pin(fut::ready(Err(ScanError::AiPilotRefused)));
        }
        let db = self.db.clone();
        let check = async move {
            store::tenant_in_scope(
                &db,
                request.organisation_id,
                &request.tenant_scope,
                request.tenant_id,
            )
            .await?;
            Ok::<_, ScanError>(request)
        };
        Box::pin(check.into_actor(self).then(|checked, act, ctx| {
            let answer = match checked {
                Ok(request) => act.claim(request, ctx),
                Err(error) => Box::pin(async move { Err(error) }),
            };
            answer.into_actor(act)
        }))
    }
}

impl Handler<CancelScan> for ScanManager {
    type Result = ResponseActFuture<Self, Result<ScanStatus, ScanError>>;

    fn handle(&mut self, msg: CancelScan, _ctx: &mut Self::Context) -> Self::Result {
        let db = self.db.clone();
        let cancel = async move {
            let row =
                store::scan_in_scope(&db, msg.organisation_id, &msg.tenant_scope, msg.scan_id)
                    .await?;
            let status = store::status_of(&row);
            if status.is_final() {
                return Ok((row, status, false));
            }
            if store::finish_unsuccessfully(&db, row.id, ScanStatus::Cancelled, None, Utc::now())
                .await?
            {
                return Ok((row, ScanStatus::Cancelled, true));
            }
            // It finished meanwhile: answer with its final status.
            let row =
                store::scan_in_scope(&db, msg.organisation_id, &msg.tenant_scope, msg.scan_id)
                    .await?;
            let status = store::status_of(&row);
            Ok::<_, ScanError>((row, status, false))
        };
        Box::pin(cancel.into_actor(self).map(|cancelled, act, ctx| {
            let (row, status, cancelled) = cancelled?;
            if cancelled {
                act.cancelled(&row, ctx);
            }
            Ok(status)
        }))
    }
}

impl Handler<Subscribe> for ScanManager {
    type Result = ();

    /// A subscriber to a scan that already finished is sent its final event at once (so it may
    /// see the final event twice when it subscribes while the scan finishes).
    fn handle(&mut self, msg: Subscribe, ctx: &mut Self::Context) {
        let Subscribe {
            topic,
            subscriber_id,
            subscriber,
        } = msg;
        self.fanout
            .subscribe(topic, subscriber_id, subscriber.clone());
        let Topic::Scan(scan_id) = topic else { return };
        if self.active.contains_key(&scan_id) {
            return;
        }
        let db = self.db.clone();
        let fanout = self.fanout.clone();
        ctx.spawn(
            async move {
                match scan::Entity::find_by_id(scan_id).one(&db).await {
                    Ok(Some(row)) if store::status_of(&row).is_final() => {
                        fanout.forget_scan(scan_id);
                        Fanout::send_to(&subscriber, store::event_of(&row));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(scan = scan_id, "cannot read a scan for a subscriber: {e}")
                    }
                }
            }
            .into_actor(self),
        );
    }
}

impl Handler<Unsubscribe> for ScanManager {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, _ctx: &mut Self::Context) {
        self.fanout.unsubscribe(msg.subscriber_id);
    }
}

impl Handler<GetStats> for ScanManager {
    type Result = MessageResult<GetStats>;

    fn handle(&mut self, _msg: GetStats, _ctx: &mut Self::Context) -> Self::Result {
        let running = self.running();
        MessageResult(ScanStats {
            queued: self.active.len() - running,
            running,
            subscribers: self.fanout.subscriber_count(),
        })
    }
}

/// What a scan of a tenant would evaluate, in one sentence (see [`super::plan`]): for
/// `start_scan`'s answer, so an assistant can tell the person before the scan ends.
#[derive(Debug, Message)]
#[rtype(result = "Result<String, ScanError>")]
pub struct DescribePlan {
    pub organisation_id: i64,
    pub tenant_id: i64,
    pub kind: ScanKind,
}

impl Handler<DescribePlan> for ScanManager {
    type Result = ResponseFuture<Result<String, ScanError>>;

    fn handle(&mut self, msg: DescribePlan, _ctx: &mut Self::Context) -> Self::Result {
        let db = self.db.clone();
        let collector = self.config.collector.is_some();
        Box::pin(async move {
            let tenant = aether365_entities::tenant::Entity::find_by_id(msg.tenant_id)
                .one(&db)
                .await?
                .filter(|t| t.organisation_id == msg.organisation_id)
                .ok_or(ScanError::TenantNotFound)?;
            super::plan(&db, &tenant, msg.kind, collector).await
        })
    }
}
