//! The `AuditWriter` actor and its handle [`AuditLog`]: group commit of audit rows.
//!
//! A caller's row goes into an inbox shared with the writer ([`AuditLog::record`]), and its
//! answer waits on a oneshot that the batch's commit resolves: a caller is answered `Ok` only
//! once the transaction holding its row is committed, and every caller of a batch whose commit
//! failed is answered with the error. The writer owns the commits: a batch is committed when it
//! holds `max_batch` rows or its first row has waited `max_delay`, whichever comes first. Up to
//! `max_in_flight` batches commit at once, each on its own task; when a commit ends, whatever
//! gathered meanwhile is committed at once. Two batches in flight (PostgreSQL) mean one commit's
//! round trip does not queue the rows that arrive during it; SQLite has a single writer, so
//! there one batch commits at a time.
//!
//! The inbox is what keeps a call from hopping threads: a row joins it under a short lock, and
//! the writer is sent a message only when it is idle (no wake-up already on its way and a
//! commit slot free). Under load the writer is busy committing, finds the rows when its commit
//! ends, and no call wakes it. The inbox is bounded: beyond `max_pending` rows waiting,
//! `record` answers [`AuditError::Overloaded`] at once.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, Message, ResponseFuture,
    SpawnHandle, Supervised, Supervisor, WrapFuture,
};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::oneshot;

use super::error::AuditError;
use super::event::AuditEvent;
use super::metrics::AUDIT_METRICS;
use super::store::insert_batch;

/// Settings of the [`AuditWriter`].
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Most rows in one transaction.
    pub max_batch: usize,
    /// Longest a row waits for companions before its batch is committed when no commit is
    /// running. Zero by default: an idle writer commits a row at once, and the rows that
    /// arrive during that commit form the next batch (group commit without a timer's latency).
    pub max_delay: Duration,
    /// Most rows waiting for a commit (pending plus committing); beyond, `record` fails.
    pub max_pending: usize,
    /// Most batches committing at once (1 on SQLite whatever is asked: one writer).
    pub max_in_flight: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            max_batch: 256,
            max_delay: Duration::ZERO,
            max_pending: 16_384,
            max_in_flight: 2,
        }
    }
}

impl AuditConfig {
    /// The settings as the writer applies them on `backend`.
    fn applied(self, backend: DbBackend) -> AuditConfig {
        // SQLite has one writer: a second commit would only wait for the lock in SQLite's
        // busy handler, which sleeps in steps of milliseconds.
        let max_in_flight = match backend {
            DbBackend::Sqlite => 1,
            _ => self.max_in_flight.max(1),
        };
        AuditConfig {
            max_batch: self.max_batch.max(1),
            max_pending: self.max_pending.max(1),
            max_in_flight,
            ..self
        }
    }
}

/// Where callers hand rows to the writer: every [`AuditLog`] handle records through it.
#[derive(Clone)]
pub struct AuditLog {
    inbox: Arc<Inbox>,
    writer: Addr<AuditWriter>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Starts the writer over `db` under a supervisor. Must run inside an actix `System`.
    pub fn start(db: DatabaseConnection, config: AuditConfig) -> AuditLog {
        let config = config.applied(db.get_database_backend());
        let inbox = Arc::new(Inbox::new(&config));
        let writer = {
            let inbox = Arc::clone(&inbox);
            Supervisor::start(move |_| AuditWriter {
                db,
                config,
                inbox,
                timer: None,
                flush_waiters: Vec::new(),
            })
        };
        AuditLog { inbox, writer }
    }

    /// Records one event: the row joins the inbox now, and the returned future answers once
    /// it is committed (or why it was not).
    pub fn record(
        &self,
        event: AuditEvent,
    ) -> impl Future<Output = Result<(), AuditError>> + use<> {
        let pushed = if self.writer.connected() {
            self.inbox.push(event)
        } else {
            Err(AuditError::Stopped)
        };
        let answer = pushed.map(|(rx, wake)| {
            if wake {
                self.writer.do_send(Wake);
            }
            rx
        });
        async move {
            match answer {
                Ok(rx) => answer_of(rx).await,
                Err(e) => Err(e),
            }
        }
    }

    /// Commits everything waiting; answers once nothing is left to commit, with the error of
    /// any batch that failed meanwhile.
    pub async fn flush(&self) -> Result<(), AuditError> {
        self.writer
            .send(Flush)
            .await
            .unwrap_or(Err(AuditError::Stopped))
    }
}

/// The answer channel of one caller; a batch's error is cloned to each of its callers.
type Ack = oneshot::Sender<Result<(), AuditError>>;

/// Where a caller waits for its [`Ack`].
type AckWait = oneshot::Receiver<Result<(), AuditError>>;

/// Waits for an [`Ack`]: a writer gone before answering means the row was not committed.
async fn answer_of(rx: AckWait) -> Result<(), AuditError> {
    rx.await.unwrap_or(Err(AuditError::Stopped))
}

/// Rows waiting for the writer, and what the writer is doing, under one lock.
struct Inbox {
    state: Mutex<InboxState>,
    max_pending: usize,
    max_in_flight: usize,
}

#[derive(Default)]
struct InboxState {
    pending: Vec<(AuditEvent, Ack)>,
    /// Rows in the batches being committed (0 when idle).
    committing: usize,
    /// Batches being committed.
    in_flight: usize,
    /// The writer will look at the inbox without being told: a [`Wake`] is on its way, or
    /// its timer is armed.
    woken: bool,
    /// The writer is gone: nothing will commit a row any more.
    closed: bool,
}

impl InboxState {
    fn waiting(&self) -> usize {
        self.pending.len() + self.committing
    }

    /// Publishes how many rows wait for a commit.
    fn report_depth(&self) {
        let waiting = i64::try_from(self.waiting()).unwrap_or(i64::MAX);
        AUDIT_METRICS.queue_depth.set(waiting);
    }
}

impl Inbox {
    fn new(config: &AuditConfig) -> Inbox {
        Inbox {
            state: Mutex::new(InboxState::default()),
            max_pending: config.max_pending,
            max_in_flight: config.max_in_flight,
        }
    }

    fn lock(&self) -> MutexGuard<'_, InboxState> {
        // The state stays consistent at every step, so a panic elsewhere leaves it usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a row; answers where to wait for its commit and whether the writer must be woken.
    fn push(&self, event: AuditEvent) -> Result<(AckWait, bool), AuditError> {
        let mut state = self.lock();
        if state.closed {
            return Err(AuditError::Stopped);
        }
        let waiting = state.waiting();
        if waiting >= self.max_pending {
            drop(state);
            tracing::warn!(waiting, "audit writer overloaded; refusing a row");
            return Err(AuditError::Overloaded(waiting));
        }
        let (tx, rx) = oneshot::channel();
        state.pending.push((event, tx));
        // A writer with every slot committing finds the row when a commit ends.
        let wake = !state.woken && state.in_flight < self.max_in_flight;
        state.woken |= wake;
        state.report_depth();
        Ok((rx, wake))
    }

    /// Answers every waiting row with `Stopped` and refuses new ones.
    fn close(&self) {
        let pending = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.pending)
        };
        for (_, ack) in pending {
            let _ = ack.send(Err(AuditError::Stopped));
        }
    }
}

/// Tells an idle writer that rows wait.
struct Wake;

impl Message for Wake {
    type Result = ();
}

/// Commits everything pending; answers once nothing is left to commit.
#[derive(Debug)]
struct Flush;

impl Message for Flush {
    type Result = Result<(), AuditError>;
}

/// A `Flush` caller and whether a batch failed since it asked.
struct FlushWaiter {
    ack: Ack,
    failed: Option<AuditError>,
}

/// The supervised audit writer; started and reached through [`AuditLog`].
pub struct AuditWriter {
    db: DatabaseConnection,
    config: AuditConfig,
    inbox: Arc<Inbox>,
    timer: Option<SpawnHandle>,
    flush_waiters: Vec<FlushWaiter>,
}

impl AuditWriter {
    /// Commits now if a batch is full or another commit is running (the rows would wait for
    /// it), else makes sure a timer will.
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        let (pending, in_flight) = {
            let state = self.inbox.lock();
            (state.pending.len(), state.in_flight)
        };
        if in_flight >= self.config.max_in_flight || pending == 0 {
            return;
        }
        if pending >= self.config.max_batch || in_flight > 0 {
            self.commit_now(ctx);
        } else if self.timer.is_none() {
            // The timer will look at the inbox: rows arriving meanwhile need no wake-up.
            self.inbox.lock().woken = true;
            self.timer = Some(ctx.run_later(self.config.max_delay, |act, ctx| {
                act.timer = None;
                act.inbox.lock().woken = false;
                act.commit_now(ctx);
            }));
        }
    }

    /// Starts committing the oldest pending rows in as many batches as may be in flight.
    fn commit_now(&mut self, ctx: &mut Context<Self>) {
        if let Some(timer) = self.timer.take() {
            ctx.cancel_future(timer);
            self.inbox.lock().woken = false;
        }
        while let Some(batch) = self.take_batch() {
            self.commit_batch(batch, ctx);
        }
        self.answer_flushes();
    }

    /// The oldest pending rows (at most `max_batch`) if a commit slot is free, counted as
    /// committing.
    fn take_batch(&self) -> Option<Vec<(AuditEvent, Ack)>> {
        let mut state = self.inbox.lock();
        if state.in_flight >= self.config.max_in_flight || state.pending.is_empty() {
            return None;
        }
        let take = state.pending.len().min(self.config.max_batch);
        let batch: Vec<_> = state.pending.drain(..take).collect();
        state.committing += batch.len();
        state.in_flight += 1;
        Some(batch)
    }

    /// Commits `batch` on a task of its own.
    fn commit_batch(&mut self, batch: Vec<(AuditEvent, Ack)>, ctx: &mut Context<Self>) {
        let (events, acks): (Vec<AuditEvent>, Vec<Ack>) = batch.into_iter().unzip();
        let rows = events.len();
        let db = self.db.clone();
        // The commit runs on its own task so that callers get their answer even if this
        // actor is stopped meanwhile.
        let commit = tokio::spawn(async move {
            let started = std::time::Instant::now();
            let result = insert_batch(&db, events).await;
            AUDIT_METRICS
                .commit_seconds
                .observe(started.elapsed().as_secs_f64());
            if let Err(e) = &result {
                tracing::error!(rows = acks.len(), "audit batch not committed: {e}");
            }
            for ack in acks {
                // A caller that gave up waiting is no loss: its row is committed anyway.
                let _ = ack.send(result.clone());
            }
            result
        });
        ctx.spawn(commit.into_actor(self).map(move |joined, act, ctx| {
            {
                let mut state = act.inbox.lock();
                state.committing = state.committing.saturating_sub(rows);
                state.in_flight = state.in_flight.saturating_sub(1);
                state.report_depth();
            }
            let failure = match joined {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(e) => Some(AuditError::CommitTask(Arc::new(e))),
            };
            if let Some(e) = failure {
                for waiter in &mut act.flush_waiters {
                    waiter.failed.get_or_insert_with(|| e.clone());
                }
            }
            // Rows that gathered during the commit have waited long enough.
            act.commit_now(ctx);
        }));
    }

    /// Answers every `Flush` once nothing is pending or committing.
    fn answer_flushes(&mut self) {
        if self.flush_waiters.is_empty() || self.inbox.lock().waiting() > 0 {
            return;
        }
        for waiter in self.flush_waiters.drain(..) {
            let _ = waiter.ack.send(match waiter.failed {
                None => Ok(()),
                Some(e) => Err(e),
            });
        }
    }
}

impl Actor for AuditWriter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
        // Rows that arrived while the writer was (re)starting wait for no wake-up.
        self.inbox.lock().woken = false;
        self.schedule(ctx);
    }
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        // The writer is gone for good (a supervised one is restarted, not dropped).
        self.inbox.close();
    }
}

impl Supervised for AuditWriter {
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!("audit writer restarting");
        // The futures of the old context are gone: a running commit still answers its
        // callers from its own task, but nothing will tell us it ended.
        let mut state = self.inbox.lock();
        state.committing = 0;
        state.in_flight = 0;
        self.timer = None;
    }
}

impl Handler<Wake> for AuditWriter {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Self::Context) {
        // An armed timer still looks at the inbox: rows arriving meanwhile need no wake-up.
        self.inbox.lock().woken = self.timer.is_some();
        self.schedule(ctx);
    }
}

impl Handler<Flush> for AuditWriter {
    type Result = ResponseFuture<Result<(), AuditError>>;

    fn handle(&mut self, _: Flush, ctx: &mut Self::Context) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.flush_waiters.push(FlushWaiter {
            ack: tx,
            failed: None,
        });
        self.commit_now(ctx);
        Box::pin(answer_of(rx))
    }
}
