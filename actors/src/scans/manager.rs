//! The `ScanManager` actor and its messages.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use aether365_entities::scan;
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, SqlErr};
use tokio::sync::oneshot;

use super::env::{RunEnv, ScanConfig};
use super::evaluator::Evaluator;
use super::fanout::Fanout;
use super::run;
use super::snapshots::ParsedSnapshots;
use super::store::{self, Lease, StartsInFlight};
use super::types::{
    ScanError, ScanEvent, ScanKind, ScanOrigin, ScanQuota, ScanRequest, ScanStatus, ScanTicket,
    Topic,
};
use crate::cluster::{Bus, ClusterEvent};
use crate::principal::TenantScope;

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

/// Subscribes `subscriber` to the events of a scan or of a tenant's scans, from any instance.
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
    /// Queued scans no instance runs yet, across the cluster.
    pub queued: usize,
    /// Scans this instance runs.
    pub running: usize,
    /// Subscribers in this process.
    pub subscribers: usize,
}

/// Asks for the manager's [`ScanStats`].
#[derive(Debug, Message)]
#[rtype(result = "Result<ScanStats, ScanError>")]
pub struct GetStats;

/// Graceful stop: stops this instance's runs and gives their scans back to the cluster (queued
/// again, for another instance to claim at once); claims nothing afterwards. Answers how many.
#[derive(Debug, Message)]
#[rtype(result = "Result<u64, ScanError>")]
pub struct ReleaseLeases;

/// A scan this instance holds a lease on, and its run.
struct Active {
    handle: SpawnHandle,
    /// The run itself is a runtime task (not a future of this actor's context), so that at
    /// shutdown it is dropped inside the runtime, where its database connection can be given
    /// back; stopping the run aborts it.
    task: tokio::task::AbortHandle,
}

impl Active {
    fn stop(self, ctx: &mut Context<ScanManager>) {
        ctx.cancel_future(self.handle);
        self.task.abort();
    }
}

/// How soon a claim that failed (a busy or unreachable database) is tried again.
const CLAIM_RETRY: Duration = Duration::from_millis(250);

/// Everyone waiting for the same new scan of a tenant and kind.
type Waiters = Vec<oneshot::Sender<Result<ScanTicket, ScanError>>>;

type BoxedFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Queues scans, claims them as leased jobs, runs them, cancels them and publishes their events
/// to every instance. Start it under a `Supervisor`.
///
/// Starts are serialized per tenant and kind inside the actor (without blocking it), so that
/// concurrent starts yield one scan (across instances, a partial unique index decides). A
/// queued scan is claimed from the database by whichever instance has room; the claimer's
/// lease is renewed by a heartbeat, and a scan whose lease expired (its instance died) is
/// claimed again and run from the start. Runs are futures on the actor's context, at most
/// `max_concurrent` at once; engine work runs on blocking threads.
pub struct ScanManager {
    db: DatabaseConnection,
    config: ScanConfig,
    bus: Bus,
    fanout: Fanout,
    /// Snapshots parsed by this instance's scans, for the next ones.
    snapshots: ParsedSnapshots,
    /// The threads scans evaluate on.
    evaluator: Evaluator,
    /// Scans this instance holds, by id.
    active: HashMap<i64, Active>,
    /// Starts being written, by (tenant, kind).
    starting: HashMap<(i64, ScanKind), Waiters>,
    /// A claim is in flight.
    claiming: bool,
    /// Another claim was asked for while one was in flight.
    claim_again: bool,
    /// Stopping: claim nothing more.
    draining: bool,
    /// With `recover_on_start` off: the only scans this manager claims (those it queued).
    own: Vec<i64>,
    /// Starts not yet answered, per token and organisation (see [`StartsInFlight`]).
    /// Starts being answered, per quota key, per tenant and kind (the starts of one tenant and
    /// kind become one scan, so they count once).
    starts_in_flight: HashMap<QuotaKey, HashMap<(i64, ScanKind), u32>>,
}

/// Whose starts [`ScanManager::starts_in_flight`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum QuotaKey {
    Token(i64),
    Organisation(i64),
}

impl ScanManager {
    /// A manager over `db` publishing on `bus` (whose instance id owns its leases).
    pub fn new(db: DatabaseConnection, config: ScanConfig, bus: Bus) -> Self {
        ScanManager {
            db,
            config,
            bus,
            fanout: Fanout::default(),
            snapshots: ParsedSnapshots::default(),
            evaluator: Evaluator::for_this_machine(),
            active: HashMap::new(),
            starting: HashMap::new(),
            claiming: false,
            claim_again: false,
            draining: false,
            own: Vec::new(),
            starts_in_flight: HashMap::new(),
        }
    }

    /// The quota keys of a start: its organisation, and its token if any.
    fn quota_keys(request: &ScanRequest) -> [Option<QuotaKey>; 2] {
        [
            request.requested_by_token_id.map(QuotaKey::Token),
            Some(QuotaKey::Organisation(request.organisation_id)),
        ]
    }

    /// Counts a start in flight; answers the other scans (other tenants or kinds) being
    /// started for the same keys.
    fn begin_start(
        &mut self,
        keys: &[Option<QuotaKey>; 2],
        scan: (i64, ScanKind),
    ) -> StartsInFlight {
        let mut others: [Vec<(i64, ScanKind)>; 2] = Default::default();
        for (slot, key) in others.iter_mut().zip(keys) {
            if let Some(key) = key {
                let starts = self.starts_in_flight.entry(*key).or_default();
                *slot = starts.keys().filter(|s| **s != scan).copied().collect();
                *starts.entry(scan).or_insert(0) += 1;
            }
        }
        let [token, organisation] = others;
        StartsInFlight {
            token,
            organisation,
        }
    }

    /// Forgets a start that was answered.
    fn end_start(&mut self, keys: &[Option<QuotaKey>; 2], scan: (i64, ScanKind)) {
        for key in keys.iter().flatten() {
            let Entry::Occupied(mut starts) = self.starts_in_flight.entry(*key) else {
                continue;
            };
            if let Entry::Occupied(mut count) = starts.get_mut().entry(scan) {
                *count.get_mut() -= 1;
                if *count.get() == 0 {
                    count.remove();
                }
            }
            if starts.get().is_empty() {
                starts.remove();
            }
        }
    }

    fn publish(&self, event: ScanEvent) {
        self.bus.publish(ClusterEvent::Scan(event));
    }

    /// Answers a start for a tenant in scope: the active scan of that kind, or a new one that
    /// fits the quota. Simultaneous starts of one tenant and kind here share one answer.
    fn claim(
        &mut self,
        request: ScanRequest,
        quota: ScanQuota,
        in_flight: StartsInFlight,
        ctx: &mut Context<Self>,
    ) -> BoxedFuture<Result<ScanTicket, ScanError>> {
        let key = (request.tenant_id, request.kind);
        let (tx, rx) = oneshot::channel();
        match self.starting.entry(key) {
            Entry::Occupied(mut waiting) => waiting.get_mut().push(tx),
            Entry::Vacant(slot) => {
                slot.insert(vec![tx]);
                let db = self.db.clone();
                let create = async move {
                    // Another process (the CLI, another instance) may hold one already.
                    match store::queue_within_quota(&db, &request, quota, in_flight).await {
                        Ok(queued) => Ok(queued),
                        // The partial unique index `ux_scans_one_active` (one queued or running
                        // scan per tenant and kind) refused a writer that raced another outside
                        // the quota's lock: answer the scan that won.
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
                Ok(Err(error)) => Err(error),
                Err(_) => Err(ScanError::Unavailable(
                    "the scan manager restarted".to_string(),
                )),
            }
        })
    }

    /// A start was written (or found): answer everyone who asked, offer a new scan to the
    /// cluster and claim it if there is room here.
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
                    if !self.config.recover_on_start {
                        self.own.push(scan_id);
                    }
                    self.publish(store::event_of(&row));
                    self.bus.publish(ClusterEvent::ScansWaiting);
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
                if !matches!(error, ScanError::TooManyScans { .. }) {
                    tracing::error!(tenant = key.0, "cannot queue a scan: {error}");
                }
                for waiter in waiters {
                    let _ = waiter.send(Err(error.clone()));
                }
            }
        }
    }

    /// Claims a scan nobody holds while this instance has room, and runs it.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.draining || self.active.len() >= self.config.max_concurrent.max(1) {
            return;
        }
        if self.claiming {
            self.claim_again = true;
            return;
        }
        if !self.config.recover_on_start && self.own.is_empty() {
            return;
        }
        self.claiming = true;
        self.claim_again = false;
        let db = self.db.clone();
        let owner = self.bus.instance_id().to_string();
        let ttl = self.config.lease_ttl;
        let only = (!self.config.recover_on_start).then(|| self.own.clone());
        let claim = async move {
            let lease = Lease { owner: &owner, ttl };
            store::claim_next(&db, &lease, only.as_deref()).await
        };
        ctx.spawn(claim.into_actor(self).map(|claimed, act, ctx| {
            act.claiming = false;
            match claimed {
                Ok(Some(row)) => {
                    act.start_run(row, ctx);
                    act.pump(ctx);
                }
                Ok(None) => {
                    if act.claim_again {
                        act.pump(ctx);
                    }
                }
                Err(e) => {
                    // A queued scan must not wait for the next heartbeat: try again shortly.
                    tracing::warn!("cannot claim a scan (trying again in {CLAIM_RETRY:?}): {e}");
                    ctx.run_later(CLAIM_RETRY, |act, ctx| act.pump(ctx));
                }
            }
        }));
    }

    /// Runs a claimed scan.
    fn start_run(&mut self, row: scan::Model, ctx: &mut Context<Self>) {
        let scan_id = row.id;
        if self.draining || self.active.contains_key(&scan_id) {
            return;
        }
        tracing::info!(
            scan = scan_id,
            owner = self.bus.instance_id(),
            "scan claimed"
        );
        let env = RunEnv {
            db: self.db.clone(),
            config: self.config.clone(),
            bus: self.bus.clone(),
            snapshots: self.snapshots.clone(),
            evaluator: self.evaluator.clone(),
        };
        let (db, bus) = (env.db.clone(), env.bus.clone());
        let event = store::event_of(&row);
        let run = tokio::spawn(run::run(env, row));
        let task = run.abort_handle();
        let handle = ctx.spawn(
            async move {
                if let Err(e) = run.await
                    && e.is_panic()
                {
                    // Never left running: the scan fails, and says so.
                    tracing::error!(scan = scan_id, "scan run panicked: {e}");
                    let at = Utc::now();
                    let error = "internal error while running the scan";
                    let owner = Some(bus.instance_id());
                    if let Ok(true) = store::finish_unsuccessfully(
                        &db,
                        owner,
                        scan_id,
                        ScanStatus::Failed,
                        Some(error),
                        at,
                    )
                    .await
                    {
                        bus.publish(ClusterEvent::Scan(ScanEvent {
                            status: ScanStatus::Failed,
                            error: Some(error.to_string()),
                            at,
                            ..event
                        }));
                    }
                }
            }
            .into_actor(self)
            .map(move |(), act, ctx| {
                act.active.remove(&scan_id);
                act.own.retain(|id| *id != scan_id);
                act.pump(ctx);
            }),
        );
        self.active.insert(scan_id, Active { handle, task });
    }

    /// Stops a local run (if any) of a scan this instance no longer holds.
    fn stop_run(&mut self, scan_id: i64, ctx: &mut Context<Self>) {
        if let Some(active) = self.active.remove(&scan_id) {
            active.stop(ctx);
        }
    }

    /// Renews this instance's leases; stops local runs of scans it no longer holds (cancelled
    /// or finished elsewhere, or taken over after a stall); claims waiting scans.
    fn heartbeat(&mut self, ctx: &mut Context<Self>) {
        if self.draining {
            return;
        }
        let db = self.db.clone();
        let owner = self.bus.instance_id().to_string();
        let ttl = self.config.lease_ttl;
        let running: Vec<i64> = self.active.keys().copied().collect();
        let renew = async move {
            let lease = Lease { owner: &owner, ttl };
            store::renew(&db, &lease, &running).await
        };
        ctx.spawn(renew.into_actor(self).map(move |lost, act, ctx| {
            match lost {
                Ok(lost) => {
                    for scan_id in lost {
                        if act.active.contains_key(&scan_id) {
                            tracing::warn!(scan = scan_id, "lease lost: stopping the local run");
                            act.stop_run(scan_id, ctx);
                        }
                    }
                }
                Err(e) => tracing::error!("cannot renew scan leases: {e}"),
            }
            act.pump(ctx);
        }));
    }

    /// Events missed since `since` (listener lost, or this process fell behind): the final
    /// events of scans finished meanwhile go to local subscribers; waiting scans are claimed.
    fn resync(&mut self, since: chrono::DateTime<Utc>, ctx: &mut Context<Self>) {
        let db = self.db.clone();
        let fanout = self.fanout.clone();
        ctx.spawn(
            async move { store::finished_since(&db, since).await }
                .into_actor(self)
                .map(move |finished, act, ctx| {
                    match finished {
                        Ok(rows) => {
                            for row in rows {
                                fanout.deliver(&store::event_of(&row));
                            }
                        }
                        Err(e) => tracing::error!("cannot reconcile scan events: {e}"),
                    }
                    act.pump(ctx);
                }),
        );
    }
}

impl Actor for ScanManager {
    type Context = Context<Self>;

    /// Follows the cluster bus, starts the heartbeat and, when taking part in the cluster's
    /// work, recovers scans left by a previous run before handling any message.
    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.add_stream(self.bus.events());
        let every = (self.config.lease_ttl / 3).max(Duration::from_millis(100));
        ctx.run_interval(every, |act, ctx| act.heartbeat(ctx));
        if !self.config.recover_on_start {
            return;
        }
        let db = self.db.clone();
        let owner = self.bus.instance_id().to_string();
        ctx.wait(
            async move { store::recover(&db, Some(&owner)).await }
                .into_actor(self)
                .map(|recovered, act, ctx| {
                    match recovered {
                        Ok(interrupted) => {
                            for row in interrupted {
                                tracing::warn!(
                                    scan = row.id,
                                    "scan was running without a lease when the server stopped: marked failed"
                                );
                                act.publish(store::event_of(&row));
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
        self.starting.clear();
        self.starts_in_flight.clear();
        self.claiming = false;
    }
}

impl StreamHandler<Arc<ClusterEvent>> for ScanManager {
    fn handle(&mut self, event: Arc<ClusterEvent>, ctx: &mut Self::Context) {
        match &*event {
            ClusterEvent::Scan(event) => self.fanout.deliver(event),
            ClusterEvent::ScansWaiting => self.pump(ctx),
            ClusterEvent::Resync { since } => self.resync(*since, ctx),
            _ => {}
        }
    }

    /// The bus never ends while the process runs; keep the actor alive regardless.
    fn finished(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!("scan manager: the cluster bus ended");
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
        let quota = self.config.quota;
        let keys = Self::quota_keys(&request);
        let scan = (request.tenant_id, request.kind);
        let in_flight = self.begin_start(&keys, scan);
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
        Box::pin(
            check
                .into_actor(self)
                .then(move |checked, act, ctx| {
                    let answer = match checked {
                        Ok(request) => act.claim(request, quota, in_flight, ctx),
                        Err(error) => Box::pin(async move { Err(error) }),
                    };
                    answer.into_actor(act)
                })
                .map(move |answer, act, _ctx| {
                    act.end_start(&keys, scan);
                    answer
                }),
        )
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
            if store::finish_unsuccessfully(
                &db,
                None,
                row.id,
                ScanStatus::Cancelled,
                None,
                Utc::now(),
            )
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
                // Stop it here; the instance running it elsewhere stops at its next write.
                act.stop_run(row.id, ctx);
                let mut event = store::event_of(&row);
                event.status = ScanStatus::Cancelled;
                event.error = None;
                event.at = Utc::now();
                act.publish(event);
                tracing::info!(scan = row.id, "scan cancelled");
                act.pump(ctx);
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
        if let Some(done) = self
            .fanout
            .subscribe(topic, subscriber_id, subscriber.clone())
        {
            Fanout::send_to(&subscriber, done);
            return;
        }
        let Topic::Scan(scan_id) = topic else { return };
        // A scan running here publishes its final event after this subscription (the fan-out
        // above would have answered an earlier one); any other may have ended before this
        // process heard of it, which only the database knows.
        if self.active.contains_key(&scan_id) {
            return;
        }
        let db = self.db.clone();
        let fanout = self.fanout.clone();
        ctx.spawn(
            async move {
                match scan::Entity::find_by_id(scan_id).one(&db).await {
                    Ok(Some(row)) if store::status_of(&row).is_final() => {
                        // Only this subscription is settled: others of the same scan may
                        // wait for its final event, still on its way through the bus.
                        let event = store::event_of(&row);
                        fanout.answered_from_store(subscriber_id, &event);
                        Fanout::send_to(&subscriber, event);
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
    type Result = ResponseFuture<Result<ScanStats, ScanError>>;

    fn handle(&mut self, _msg: GetStats, _ctx: &mut Self::Context) -> Self::Result {
        let db = self.db.clone();
        let running = self.active.len();
        let subscribers = self.fanout.subscriber_count();
        Box::pin(async move {
            let waiting = store::count_waiting(&db).await?;
            Ok(ScanStats {
                queued: usize::try_from(waiting).unwrap_or(usize::MAX),
                running,
                subscribers,
            })
        })
    }
}

impl Handler<ReleaseLeases> for ScanManager {
    type Result = ResponseActFuture<Self, Result<u64, ScanError>>;

    fn handle(&mut self, _msg: ReleaseLeases, ctx: &mut Self::Context) -> Self::Result {
        self.draining = true;
        for (_, active) in self.active.drain() {
            active.stop(ctx);
        }
        let db = self.db.clone();
        let owner = self.bus.instance_id().to_string();
        Box::pin(
            async move { store::release(&db, &owner).await }
                .into_actor(self)
                .map(|released, act, _ctx| {
                    let released = released?;
                    if released > 0 {
                        tracing::info!(released, "scan leases released for other instances");
                        act.bus.publish(ClusterEvent::ScansWaiting);
                    }
                    Ok(released)
                }),
        )
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
