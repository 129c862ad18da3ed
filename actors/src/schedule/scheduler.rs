//! The `Scheduler` actor: every tick, claims the due occurrences and starts their scans.

use std::time::Duration;

use actix::prelude::*;
use aether365_entities::{scan_schedule, user};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::Serialize;

use super::ScheduleError;
use super::store;
use crate::audit::{self, ActorKind, AuditEvent};
use crate::principal::TenantScope;
use crate::scans::{ScanError, ScanManager, ScanOrigin, ScanRequest, StartScan};

/// Settings of the scheduler.
#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    /// How often due schedules are looked for. Default 30 s.
    pub tick: Duration,
    /// Start scheduled scans at all (off for a short-lived process such as the CLI, and for
    /// tests that drive [`RunDue`] themselves). Default true.
    pub enabled: bool,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            tick: Duration::from_secs(30),
            enabled: true,
        }
    }
}

/// One occurrence this instance claimed and what it did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Occurrence {
    pub schedule_id: i64,
    pub tenant_id: i64,
    /// The occurrence claimed (its planned time, perhaps long past after a downtime).
    pub at: DateTime<Utc>,
    /// Scans started.
    pub started: Vec<i64>,
    /// Stored on the schedule as `last_outcome`: what started, what was skipped and why.
    pub outcome: String,
}

/// Claims and runs the due occurrences now; answers those this instance won.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<Occurrence>, ScheduleError>")]
pub struct RunDue;

/// Starts scheduled scans. Supervised; every instance runs one, the database decides who
/// starts each occurrence.
pub struct Scheduler {
    db: DatabaseConnection,
    scans: Addr<ScanManager>,
    config: SchedulerConfig,
    ticking: bool,
}

impl Scheduler {
    /// A scheduler over `db` starting scans through `scans`.
    pub fn new(db: DatabaseConnection, scans: Addr<ScanManager>, config: SchedulerConfig) -> Self {
        Scheduler {
            db,
            scans,
            config,
            ticking: false,
        }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if self.ticking {
            return;
        }
        self.ticking = true;
        let (db, scans) = (self.db.clone(), self.scans.clone());
        ctx.spawn(
            async move { run_due(&db, &scans, Utc::now()).await }
                .into_actor(self)
                .map(|ran, act, _ctx| {
                    act.ticking = false;
                    if let Err(e) = ran {
                        tracing::warn!("scheduled scans: {e}");
                    }
                }),
        );
    }
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if !self.config.enabled {
            return;
        }
        // At once, then every tick: occurrences missed while every instance was down run now.
        self.tick(ctx);
        ctx.run_interval(self.config.tick, |act, ctx| act.tick(ctx));
    }
}

impl Supervised for Scheduler {
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        self.ticking = false;
    }
}

impl Handler<RunDue> for Scheduler {
    type Result = ResponseFuture<Result<Vec<Occurrence>, ScheduleError>>;

    fn handle(&mut self, _msg: RunDue, _ctx: &mut Self::Context) -> Self::Result {
        let (db, scans) = (self.db.clone(), self.scans.clone());
        Box::pin(async move { run_due(&db, &scans, Utc::now()).await })
    }
}

/// Claims every occurrence due at `now` (each at most once across instances: the claim
/// moves `next_run_at` to the next occurrence strictly after `now`, so missed ones collapse
/// into one run) and starts its scans. Answers the occurrences won here.
pub async fn run_due(
    db: &DatabaseConnection,
    scans: &Addr<ScanManager>,
    now: DateTime<Utc>,
) -> Result<Vec<Occurrence>, ScheduleError> {
    let mut won = Vec::new();
    for row in store::due(db, now).await? {
        let spec = match store::input_of(&row).validate() {
            Ok(spec) => spec,
            Err(e) => {
                tracing::warn!(schedule = row.id, "a stored schedule is not valid: {e}");
                continue;
            }
        };
        let Some(at) = row.next_run_at else { continue };
        if !store::claim(db, &row, spec.next_after(now)).await? {
            continue;
        }
        let mut started = Vec::new();
        let mut notes = Vec::new();
        for kind in spec.kinds() {
            let request = ScanRequest {
                organisation_id: row.organisation_id,
                tenant_id: row.tenant_id,
                tenant_scope: TenantScope::All,
                kind,
                origin: ScanOrigin::Schedule,
                requested_by_user_id: None,
                requested_by_token_id: None,
                ai_pilot: false,
            };
            let answer = match scans.send(StartScan(request)).await {
                Ok(answer) => answer,
                Err(e) => Err(ScanError::from(e)),
            };
            match answer {
                Ok(ticket) if ticket.existing => {
                    let note = format!(
                        "{kind} skipped: the previous {kind} scan ({}) is still {}",
                        ticket.scan_id, ticket.status
                    );
                    audit_occurrence(db, &row, "scan.skip", ticket.scan_id, &note).await;
                    notes.push(note);
                }
                Ok(ticket) => {
                    let note = format!("{kind} scan {} started", ticket.scan_id);
                    audit_occurrence(db, &row, "scan.start", ticket.scan_id, &note).await;
                    notes.push(note);
                    started.push(ticket.scan_id);
                }
                Err(e @ ScanError::TooManyScans { .. }) => {
                    notes.push(format!("{kind} not started: {e}"))
                }
                Err(e) => {
                    tracing::warn!(schedule = row.id, "cannot start a scheduled scan: {e}");
                    notes.push(format!("{kind} not started: {e}"));
                }
            }
        }
        let outcome = notes.join("; ");
        store::record(db, row.id, at, &outcome, started.last().copied()).await?;
        tracing::info!(schedule = row.id, tenant = row.tenant_id, %at, "{outcome}");
        won.push(Occurrence {
            schedule_id: row.id,
            tenant_id: row.tenant_id,
            at,
            started,
            outcome,
        });
    }
    Ok(won)
}

/// The audit row of a scheduled start (`scan.start`) or skip (`scan.skip`): the schedule acts,
/// labelled with who last changed it.
async fn audit_occurrence(
    db: &DatabaseConnection,
    row: &scan_schedule::Model,
    action: &str,
    scan: i64,
    detail: &str,
) {
    let changed_by = match row.updated_by_user_id {
        Some(id) => user::Entity::find_by_id(id)
            .one(db)
            .await
            .ok()
            .flatten()
            .map(|u| u.email),
        None => None,
    };
    let label = match changed_by {
        Some(email) => format!("schedule {} (last changed by {email})", row.id),
        None => format!("schedule {} (default, unchanged)", row.id),
    };
    let event = AuditEvent::new(ActorKind::Schedule, action)
        .organisation(row.organisation_id)
        .actor_id(row.id)
        .actor_label(label)
        .target(scan)
        .detail(format!("tenant {}: {detail}", row.tenant_id));
    if let Err(e) = audit::write_one(db, event).await {
        tracing::error!(
            schedule = row.id,
            scan,
            "cannot audit a scheduled scan: {e}"
        );
    }
}
