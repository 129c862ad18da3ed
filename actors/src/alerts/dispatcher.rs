//! The [`Dispatcher`] actor: every tick, and at once when this process queues alerts
//! ([`wake`]), claims due outbox rows with a compare-and-set lease, sends them, and records
//! the outcome (delivered; retried later with exponential backoff; failed after a day or at
//! once when retrying cannot help).

use std::sync::LazyLock;
use std::time::Duration;

use actix::prelude::*;
use aether365_entities::{alert_delivery, alert_destination};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use tokio::sync::watch;

use super::payload::Links;
use super::send::{self, SendError};
use super::{AlertError, AlertEvent, status};
use crate::outbound::OutboundPolicy;

/// Settings of the alert dispatcher.
#[derive(Clone, Debug)]
pub struct DispatcherConfig {
    /// Send alerts at all (off for a short-lived process such as the CLI, and for tests that
    /// drive [`DispatchNow`] themselves). Default true.
    pub enabled: bool,
    /// How often due deliveries are looked for. Default 5 s.
    pub tick: Duration,
    /// How long a claimed delivery is this instance's; a killed instance's rows are claimed
    /// again after it. Default 2 minutes; at least [`DispatcherConfig::min_lease`].
    pub lease: Duration,
    /// The first retry's delay; each next one doubles, up to `backoff_max`. Default 30 s.
    pub backoff_base: Duration,
    /// The longest delay between two attempts. Default 1 hour.
    pub backoff_max: Duration,
    /// How long a delivery is retried before it is marked failed. Default 1 day.
    pub give_up_after: Duration,
    /// Deliveries claimed per tick, at most. Default 20.
    pub batch: u64,
    /// Limits of the requests (and whether loopback receivers are allowed: tests only).
    pub policy: OutboundPolicy,
    /// The dashboard's public URL, for the links in alerts.
    pub public_url: String,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            enabled: true,
            tick: Duration::from_secs(5),
            lease: Duration::from_secs(120),
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            batch: 20,
            policy: OutboundPolicy::default(),
            public_url: "http://127.0.0.1:8080".to_string(),
        }
    }
}

impl DispatcherConfig {
    /// The shortest safe lease: longer than the longest send (an e-mail may take two
    /// request timeouts), so no second instance claims a row that is still being sent.
    pub fn min_lease(&self) -> Duration {
        self.policy.timeout.saturating_mul(2) + Duration::from_secs(5)
    }
}

/// Counts the times this process queued alerts; every dispatcher of the process watches it.
static QUEUED: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// Alerts were just committed to the outbox by this process: its dispatchers look for due
/// rows now instead of at their next tick (the tick still finds other instances' rows and
/// retries). Call it after the commit: rows not yet visible are left to the tick.
pub fn wake() {
    QUEUED.send_modify(|n| *n = n.wrapping_add(1));
}

/// What one round of dispatching did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DispatchReport {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Claims and sends the due deliveries now; answers what happened.
#[derive(Debug, Message)]
#[rtype(result = "Result<DispatchReport, AlertError>")]
pub struct DispatchNow;

/// Sends the outbox. Supervised; every instance runs one, the leases decide who sends a row.
pub struct Dispatcher {
    db: DatabaseConnection,
    config: DispatcherConfig,
    instance_id: String,
    busy: bool,
    /// A wake came during a round: another round follows it.
    again: bool,
}

impl Dispatcher {
    /// A dispatcher over `db`, claiming as `instance_id`.
    pub fn new(db: DatabaseConnection, config: DispatcherConfig, instance_id: String) -> Self {
        Dispatcher {
            db,
            config,
            instance_id,
            busy: false,
            again: false,
        }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if self.busy {
            return;
        }
        self.busy = true;
        let (db, config, me) = (
            self.db.clone(),
            self.config.clone(),
            self.instance_id.clone(),
        );
        ctx.spawn(
            async move { dispatch_due(&db, &config, &me).await }
                .into_actor(self)
                .map(|done, act, ctx| {
                    act.busy = false;
                    if let Err(e) = done {
                        tracing::warn!("alert dispatch: {e}");
                    }
                    if std::mem::take(&mut act.again) {
                        act.tick(ctx);
                    }
                }),
        );
    }

    /// Rows were queued here: a round now, or right after the one running.
    fn on_wake(&mut self, ctx: &mut Context<Self>) {
        if self.busy {
            self.again = true;
        } else {
            self.tick(ctx);
        }
    }

    /// Waits for the next [`wake`], then again.
    fn listen(&mut self, mut queued: watch::Receiver<u64>, ctx: &mut Context<Self>) {
        ctx.spawn(
            async move {
                let open = queued.changed().await.is_ok();
                (queued, open)
            }
            .into_actor(self)
            .map(|(queued, open), act, ctx| {
                if open {
                    act.on_wake(ctx);
                    act.listen(queued, ctx);
                }
            }),
        );
    }
}

impl Actor for Dispatcher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if !self.config.enabled {
            return;
        }
        // Rows a predecessor of this instance (same id) held are free again at once. No round
        // starts before that release has run: it would free this instance's own fresh claims,
        // and another instance could send them a second time.
        self.busy = true;
        let (db, me) = (self.db.clone(), self.instance_id.clone());
        ctx.spawn(
            async move {
                if let Err(e) = release(&db, &me).await {
                    tracing::warn!("alert dispatch: releasing an earlier run's leases: {e}");
                }
            }
            .into_actor(self)
            .map(|(), act, ctx| {
                act.busy = false;
                // This first round sees whatever was queued meanwhile.
                act.again = false;
                act.tick(ctx);
            }),
        );
        self.listen(QUEUED.subscribe(), ctx);
        ctx.run_interval(self.config.tick, |act, ctx| act.tick(ctx));
    }
}

impl Supervised for Dispatcher {
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        self.busy = false;
        self.again = false;
    }
}

impl Handler<DispatchNow> for Dispatcher {
    type Result = ResponseFuture<Result<DispatchReport, AlertError>>;

    fn handle(&mut self, _msg: DispatchNow, _ctx: &mut Self::Context) -> Self::Result {
        let (db, config, me) = (
            self.db.clone(),
            self.config.clone(),
            self.instance_id.clone(),
        );
        Box::pin(async move { dispatch_due(&db, &config, &me).await })
    }
}

/// Ends the leases `owner` holds (a restart under the same instance id).
async fn release(db: &DatabaseConnection, owner: &str) -> Result<u64, AlertError> {
    Ok(alert_delivery::Entity::update_many()
        .col_expr(
            alert_delivery::Column::LeaseOwner,
            Expr::value(None::<String>),
        )
        .col_expr(
            alert_delivery::Column::LeaseExpiresAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(alert_delivery::Column::LeaseOwner.eq(owner))
        .filter(alert_delivery::Column::Status.eq(status::PENDING))
        .exec(db)
        .await?
        .rows_affected)
}

/// Not leased, or its lease ended.
fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(alert_delivery::Column::LeaseExpiresAt.is_null())
        .add(alert_delivery::Column::LeaseExpiresAt.lt(now))
}

fn after(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// An error with its causes, one line (never a URL: request errors are stripped of theirs).
pub(crate) fn error_text(e: &SendError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text.chars().take(1000).collect()
}

/// The delay before attempt `attempts + 1`: `base`·2^(attempts-1), at most `max`.
pub(crate) fn backoff(config: &DispatcherConfig, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    config
        .backoff_base
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(config.backoff_max)
}

/// Claims the due deliveries (each by one instance: the claim is a compare-and-set on the
/// lease) and sends them. Every instance calls it; a row is sent again only if the instance
/// holding it died before recording the outcome (at least once).
pub async fn dispatch_due(
    db: &DatabaseConnection,
    config: &DispatcherConfig,
    instance_id: &str,
) -> Result<DispatchReport, AlertError> {
    let now = Utc::now();
    let due = alert_delivery::Entity::find()
        .filter(alert_delivery::Column::Status.eq(status::PENDING))
        .filter(alert_delivery::Column::NextAttemptAt.lte(now))
        .filter(free(now))
        .order_by_asc(alert_delivery::Column::NextAttemptAt)
        .order_by_asc(alert_delivery::Column::Id)
        .limit(config.batch)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for row in due {
        let claim = alert_delivery::Entity::update_many()
            .col_expr(alert_delivery::Column::LeaseOwner, Expr::value(instance_id))
            .col_expr(
                alert_delivery::Column::LeaseExpiresAt,
                Expr::value(now + after(config.lease)),
            )
            .filter(alert_delivery::Column::Id.eq(row.id))
            .filter(alert_delivery::Column::Status.eq(status::PENDING))
            .filter(alert_delivery::Column::Attempts.eq(row.attempts))
            .filter(free(now))
            .exec(db)
            .await?;
        if claim.rows_affected == 1 {
            claimed.push(row);
        }
    }
    let links = Links::new(&config.public_url);
    let sends = claimed
        .into_iter()
        .map(|row| send_one(db, config, instance_id, &links, row));
    let mut report = DispatchReport::default();
    for outcome in futures_util::future::join_all(sends).await {
        match outcome? {
            Outcome::Delivered => report.delivered += 1,
            Outcome::Retrying => report.retrying += 1,
            Outcome::Failed => report.failed += 1,
            Outcome::Lost => {}
        }
    }
    Ok(report)
}

enum Outcome {
    Delivered,
    Retrying,
    Failed,
    /// The lease was lost meanwhile: the other holder records it.
    Lost,
}

async fn send_one(
    db: &DatabaseConnection,
    config: &DispatcherConfig,
    instance_id: &str,
    links: &Links,
    row: alert_delivery::Model,
) -> Result<Outcome, AlertError> {
    let destination = alert_destination::Entity::find_by_id(row.destination_id)
        .filter(alert_destination::Column::OrganisationId.eq(row.organisation_id))
        .one(db)
        .await?;
    let event: Result<AlertEvent, _> = serde_json::from_value(row.event.clone());
    let sent = match (&destination, event) {
        (Some(destination), Ok(event)) => {
            send::deliver(destination, &event, row.id, links, &config.policy).await
        }
        (None, _) => Err(SendError::Config("the destination no longer exists".into())),
        (_, Err(e)) => Err(SendError::Encode(e)),
    };
    let attempts = row.attempts.saturating_add(1);
    let now = Utc::now();
    let mut update = alert_delivery::Entity::update_many()
        .col_expr(alert_delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(
            alert_delivery::Column::LeaseOwner,
            Expr::value(None::<String>),
        )
        .col_expr(
            alert_delivery::Column::LeaseExpiresAt,
            Expr::value(None::<DateTime<Utc>>),
        );
    let outcome = match &sent {
        Ok(()) => {
            tracing::info!(
                delivery = row.id,
                destination = row.destination_id,
                attempts,
                "alert delivered"
            );
            update = update
                .col_expr(
                    alert_delivery::Column::Status,
                    Expr::value(status::DELIVERED),
                )
                .col_expr(alert_delivery::Column::DeliveredAt, Expr::value(Some(now)))
                .col_expr(
                    alert_delivery::Column::LastError,
                    Expr::value(None::<String>),
                );
            Outcome::Delivered
        }
        Err(e) => {
            let text = error_text(e);
            let give_up = e.is_permanent() || now - row.created_at >= after(config.give_up_after);
            tracing::warn!(
                delivery = row.id,
                destination = row.destination_id,
                attempts,
                final_attempt = give_up,
                "alert delivery failed: {text}"
            );
            update = update.col_expr(alert_delivery::Column::LastError, Expr::value(Some(text)));
            if give_up {
                update =
                    update.col_expr(alert_delivery::Column::Status, Expr::value(status::FAILED));
                Outcome::Failed
            } else {
                update = update.col_expr(
                    alert_delivery::Column::NextAttemptAt,
                    Expr::value(now + after(backoff(config, attempts))),
                );
                Outcome::Retrying
            }
        }
    };
    let recorded = update
        .filter(alert_delivery::Column::Id.eq(row.id))
        .filter(alert_delivery::Column::LeaseOwner.eq(instance_id))
        .filter(alert_delivery::Column::Status.eq(status::PENDING))
        .exec(db)
        .await?;
    Ok(if recorded.rows_affected == 1 {
        outcome
    } else {
        Outcome::Lost
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let config = DispatcherConfig {
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            ..DispatcherConfig::default()
        };
        assert_eq!(backoff(&config, 1), Duration::from_secs(30));
        assert_eq!(backoff(&config, 2), Duration::from_secs(60));
        assert_eq!(backoff(&config, 4), Duration::from_secs(240));
        assert_eq!(backoff(&config, 40), Duration::from_secs(3600));
    }
}
