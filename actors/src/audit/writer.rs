//! The `AuditWriter` actor: group commit of audit rows.
//!
//! Each [`Record`] joins the pending batch and its answer waits on a oneshot that the
//! batch's commit resolves: a caller is answered `Ok` only once the transaction holding its
//! row is committed, and every caller of a batch whose commit failed is answered with the
//! error. A batch is committed when it holds `max_batch` rows or its first row has waited
//! `max_delay`, whichever comes first. Up to `max_in_flight` batches commit at once, each on
//! its own task, while the mailbox keeps collecting the next batch; when a commit ends,
//! whatever gathered meanwhile is committed at once. Two batches in flight (PostgreSQL) mean
//! one commit's round trip does not queue the rows that arrive during it; SQLite has a single
//! writer, so there one batch commits at a time. The pending queue is bounded: beyond
//! `max_pending` rows, `Record` answers [`AuditError::Overloaded`] at once.

use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, ResponseFuture, SpawnHandle,
    Supervised, WrapFuture,
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
    /// Most rows waiting for a commit (pending plus committing); beyond, `Record` fails.
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

/// Records one event; answers once its row is committed.
#[derive(Debug)]
pub struct Record(pub AuditEvent);

impl Message for Record {
    type Result = Result<(), AuditError>;
}

/// Commits everything pending; answers once nothing is left to commit.
#[derive(Debug)]
pub struct Flush;

impl Message for Flush {
    type Result = Result<(), AuditError>;
}

/// The answer channel of one caller; a batch's error is cloned to each of its callers.
type Ack = oneshot::Sender<Result<(), AuditError>>;

/// A `Flush` caller and whether a batch failed since it asked.
struct FlushWaiter {
    ack: Ack,
    failed: Option<AuditError>,
}

/// The supervised audit writer. Start it with `Supervisor::start(|_| AuditWriter::new(db, config))`.
pub struct AuditWriter {
    db: DatabaseConnection,
    config: AuditConfig,
    pending: Vec<(AuditEvent, Ack)>,
    /// Rows in the batches being committed (0 when idle).
    committing: usize,
    /// Batches being committed.
    in_flight: usize,
    timer: Option<SpawnHandle>,
    flush_waiters: Vec<FlushWaiter>,
}

impl AuditWriter {
    /// A writer over `db`; nothing runs until the actor is started.
    pub fn new(db: DatabaseConnection, config: AuditConfig) -> AuditWriter {
        // SQLite has one writer: a second commit would only wait for the lock in SQLite's
        // busy handler, which sleeps in steps of milliseconds.
        let max_in_flight = match db.get_database_backend() {
            DbBackend::Sqlite => 1,
            _ => config.max_in_flight.max(1),
        };
        let config = AuditConfig {
            max_batch: config.max_batch.max(1),
            max_pending: config.max_pending.max(1),
            max_in_flight,
            ..config
        };
        AuditWriter {
            db,
            config,
            pending: Vec::new(),
            committing: 0,
            in_flight: 0,
            timer: None,
            flush_waiters: Vec::new(),
        }
    }

    /// Commits now if a batch is full or another commit is running (the rows would wait for
    /// it), else makes sure a timer will.
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        if self.in_flight >= self.config.max_in_flight || self.pending.is_empty() {
            return;
        }
        if self.pending.len() >= self.config.max_batch || self.in_flight > 0 {
            self.commit_now(ctx);
        } else if self.timer.is_none() {
            self.timer = Some(ctx.run_later(self.config.max_delay, |act, ctx| {
                act.timer = None;
                act.commit_now(ctx);
            }));
        }
    }

    /// Starts committing the oldest pending rows in as many batches as may be in flight.
    fn commit_now(&mut self, ctx: &mut Context<Self>) {
        if let Some(timer) = self.timer.take() {
            ctx.cancel_future(timer);
        }
        if self.pending.is_empty() {
            self.answer_flushes();
            return;
        }
        while self.in_flight < self.config.max_in_flight && !self.pending.is_empty() {
            self.commit_batch(ctx);
        }
    }

    /// Commits the oldest pending rows (at most `max_batch`) on a task of their own.
    fn commit_batch(&mut self, ctx: &mut Context<Self>) {
        let take = self.pending.len().min(self.config.max_batch);
        let (events, acks): (Vec<AuditEvent>, Vec<Ack>) = self.pending.drain(..take).unzip();
        let rows = events.len();
        self.committing += rows;
        self.in_flight += 1;
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
            act.committing = act.committing.saturating_sub(rows);
            act.in_flight = act.in_flight.saturating_sub(1);
            act.report_depth();
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

    /// Publishes how many rows wait for a commit.
    fn report_depth(&self) {
        let waiting = self.pending.len() + self.committing;
        AUDIT_METRICS
            .queue_depth
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }

    /// Answers every `Flush` once nothing is pending or committing.
    fn answer_flushes(&mut self) {
        if self.committing > 0 || !self.pending.is_empty() {
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

/// Waits for a commit's answer.
async fn answer(rx: oneshot::Receiver<Result<(), AuditError>>) -> Result<(), AuditError> {
    rx.await.unwrap_or(Err(AuditError::Stopped))
}

impl Actor for AuditWriter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
        self.schedule(ctx);
    }
}

impl Supervised for AuditWriter {
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        tracing::warn!("audit writer restarting");
        // The futures of the old context are gone: a running commit still answers its
        // callers from its own task, but nothing will tell us it ended.
        self.committing = 0;
        self.in_flight = 0;
        self.timer = None;
    }
}

impl Handler<Record> for AuditWriter {
    type Result = ResponseFuture<Result<(), AuditError>>;

    fn handle(&mut self, Record(event): Record, ctx: &mut Self::Context) -> Self::Result {
        let waiting = self.pending.len() + self.committing;
        if waiting >= self.config.max_pending {
            tracing::warn!(waiting, "audit writer overloaded; refusing a row");
            return Box::pin(async move { Err(AuditError::Overloaded(waiting)) });
        }
        let (tx, rx) = oneshot::channel();
        self.pending.push((event, tx));
        self.schedule(ctx);
        self.report_depth();
        Box::pin(answer(rx))
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
        Box::pin(answer(rx))
    }
}
