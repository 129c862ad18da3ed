//! Destinations, rules and deliveries in the database, always within one organisation.

use aether365_entities::{alert_delivery, alert_destination, alert_rule};
use chrono::{Duration, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::payload::Links;
use super::{
    AlertError, AlertEvent, CreatedDestination, DeliveryPage, DeliveryView, DestinationKind,
    DestinationView, NewDestination, NewRule, RuleView, SmtpSecurity, Trigger, send, status,
};
use crate::outbound::{self, OutboundError, OutboundPolicy};
use aether365_engine::Severity;

/// Longest name of a destination or rule.
const NAME_MAX: usize = 100;
/// Deliveries listed at most.
pub const DELIVERIES_MAX: u64 = 200;

fn check_name(name: &str) -> Result<String, AlertError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(AlertError::invalid(
            "name",
            format!("a name of 1 to {NAME_MAX} characters, no control characters"),
        ));
    }
    Ok(name.to_string())
}

/// The URL's scheme and host: the rest of a Teams or Slack URL is its credential.
fn masked(kind: DestinationKind, target: &str) -> String {
    if kind == DestinationKind::Email {
        return target.to_string();
    }
    match url::Url::parse(target) {
        Ok(u) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}/…",
                u.scheme(),
                u.host_str().unwrap_or_default()
            )
        }
        Err(_) => "…".to_string(),
    }
}

fn view(row: &alert_destination::Model) -> DestinationView {
    let kind = DestinationKind::parse(&row.kind).unwrap_or(DestinationKind::Webhook);
    DestinationView {
        id: row.id,
        name: row.name.clone(),
        kind,
        target: masked(kind, &row.target),
        has_secret: row.secret.is_some(),
        created_at: row.created_at,
    }
}

/// A webhook URL allowed by `policy`: https (http to loopback with the test setting), no
/// credentials, and a host resolving only to allowed addresses (a lookup failure is left to
/// send time).
async fn check_url(raw: &str, policy: &OutboundPolicy) -> Result<String, AlertError> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| AlertError::invalid("url", format!("not a URL: {e}")))?;
    match outbound::resolve(&url, policy).await {
        Ok(_) | Err(OutboundError::Resolve { .. }) => Ok(url.to_string()),
        Err(e) => Err(AlertError::invalid("url", e.to_string())),
    }
}

fn check_address(field: &'static str, raw: &str) -> Result<String, AlertError> {
    raw.trim()
        .parse::<lettre::Address>()
        .map(|a| a.to_string())
        .map_err(|e| AlertError::invalid(field, format!("{raw:?} is not an e-mail address: {e}")))
}

/// Creates a destination of `organisation_id`. A webhook gets a signing secret, answered
/// here once.
pub async fn create_destination<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    user_id: Option<i64>,
    input: NewDestination,
    policy: &OutboundPolicy,
) -> Result<CreatedDestination, AlertError> {
    let name = check_name(&input.name)?;
    let (target, settings, secret) = match input.kind {
        DestinationKind::Webhook | DestinationKind::Teams | DestinationKind::Slack => {
            let url = input
                .url
                .as_deref()
                .ok_or_else(|| AlertError::invalid("url", "the webhook URL is required"))?;
            let url = check_url(url, policy).await?;
            let secret = (input.kind == DestinationKind::Webhook).then(|| {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                format!("whsec_{}", hex::encode(bytes))
            });
            (url, None, secret)
        }
        DestinationKind::Email => {
            let smtp = input
                .smtp
                .ok_or_else(|| AlertError::invalid("smtp", "the SMTP server is required"))?;
            if input.to.is_empty() || input.to.len() > 20 {
                return Err(AlertError::invalid("to", "1 to 20 recipients"));
            }
            let to = input
                .to
                .iter()
                .map(|t| check_address("to", t))
                .collect::<Result<Vec<_>, _>>()?
                .join(", ");
            check_address("smtp.from", &smtp.from)?;
            let host = smtp.host.trim();
            if host.is_empty() || url::Host::parse(host).is_err() {
                return Err(AlertError::invalid("smtp.host", "a host name"));
            }
            if smtp.port == 0 {
                return Err(AlertError::invalid("smtp.port", "a port, such as 587"));
            }
            if smtp.security == SmtpSecurity::Plain && !policy.allow_loopback {
                return Err(AlertError::invalid(
                    "smtp.security",
                    "starttls or tls (plain is for loopback test servers only)",
                ));
            }
            // The host is checked now when it resolves; again at every send.
            if let Ok(addresses) = tokio::net::lookup_host((host, smtp.port)).await {
                for a in addresses {
                    if !outbound::check_address(a.ip(), policy.allow_loopback) {
                        return Err(AlertError::invalid(
                            "smtp.host",
                            format!(
                                "{host} resolves to {}, which is not a public address",
                                a.ip()
                            ),
                        ));
                    }
                }
            }
            (to, Some(serde_json::to_value(&smtp)?), input.smtp_password)
        }
    };
    let row = alert_destination::ActiveModel {
        organisation_id: Set(organisation_id),
        name: Set(name),
        kind: Set(input.kind.as_str().to_string()),
        target: Set(target),
        settings: Set(settings),
        secret: Set(secret.clone()),
        created_by_user_id: Set(user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedDestination {
        destination: view(&row),
        signing_secret: if input.kind == DestinationKind::Webhook {
            secret
        } else {
            None
        },
    })
}

/// The organisation's destinations, oldest first.
pub async fn list_destinations<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
) -> Result<Vec<DestinationView>, AlertError> {
    Ok(alert_destination::Entity::find()
        .filter(alert_destination::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(alert_destination::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(view)
        .collect())
}

async fn destination_of<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    id: i64,
) -> Result<alert_destination::Model, AlertError> {
    alert_destination::Entity::find_by_id(id)
        .filter(alert_destination::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(AlertError::NotFound("destination"))
}

/// Deletes a destination (its deliveries go with it); answers what it was.
pub async fn delete_destination<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    id: i64,
) -> Result<DestinationView, AlertError> {
    let row = destination_of(db, organisation_id, id).await?;
    alert_delivery::Entity::delete_many()
        .filter(alert_delivery::Column::DestinationId.eq(id))
        .exec(db)
        .await?;
    alert_destination::Entity::delete_by_id(id).exec(db).await?;
    Ok(view(&row))
}

fn rule_view(row: &alert_rule::Model) -> RuleView {
    RuleView {
        id: row.id,
        name: row.name.clone(),
        trigger: Trigger::parse(&row.trigger).unwrap_or(Trigger::ScanFailed),
        min_severity: row.min_severity.clone(),
        score_drop: row.score_drop,
        destination_ids: serde_json::from_value(row.destination_ids.clone()).unwrap_or_default(),
        enabled: row.enabled,
        created_at: row.created_at,
    }
}

/// A rule's fields once checked: its name, severity floor, score drop and destinations.
struct CheckedRule {
    name: String,
    min_severity: Option<String>,
    score_drop: Option<f64>,
    destination_ids: serde_json::Value,
}

/// Checks a rule of `organisation_id`: its trigger's parameters, and destinations that are the
/// organisation's own (another organisation's destination is as unknown as a missing one).
async fn check_rule<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    input: &NewRule,
) -> Result<CheckedRule, AlertError> {
    let name = check_name(&input.name)?;
    let (min_severity, score_drop) = match input.trigger {
        Trigger::NewlyFailing => {
            let severity = input.min_severity.as_deref().unwrap_or("high");
            let severity = severity.parse::<Severity>().map_err(|_| {
                AlertError::invalid("min_severity", "critical, high, medium, low or info")
            })?;
            (Some(severity.as_str().to_string()), None)
        }
        Trigger::ScoreDrop => {
            let drop = input
                .score_drop
                .filter(|d| d.is_finite() && *d > 0.0 && *d <= 100.0)
                .ok_or_else(|| {
                    AlertError::invalid("score_drop", "points, more than 0, at most 100")
                })?;
            (None, Some(drop))
        }
        Trigger::ScanFailed | Trigger::ConsentWithdrawn => (None, None),
        Trigger::Test => {
            return Err(AlertError::invalid(
                "trigger",
                "newly_failing, score_drop, scan_failed or consent_withdrawn",
            ));
        }
    };
    let mut ids = input.destination_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > 20 {
        return Err(AlertError::invalid(
            "destination_ids",
            "1 to 20 destinations",
        ));
    }
    for id in &ids {
        destination_of(db, organisation_id, *id)
            .await
            .map_err(|e| match e {
                AlertError::NotFound(_) => {
                    AlertError::invalid("destination_ids", format!("no destination {id}"))
                }
                other => other,
            })?;
    }
    Ok(CheckedRule {
        name,
        min_severity,
        score_drop,
        destination_ids: serde_json::to_value(&ids)?,
    })
}

/// Creates a rule of `organisation_id` sending to its own destinations only.
pub async fn create_rule<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    user_id: Option<i64>,
    input: NewRule,
) -> Result<RuleView, AlertError> {
    let checked = check_rule(db, organisation_id, &input).await?;
    let row = alert_rule::ActiveModel {
        organisation_id: Set(organisation_id),
        name: Set(checked.name),
        trigger: Set(input.trigger.as_str().to_string()),
        min_severity: Set(checked.min_severity),
        score_drop: Set(checked.score_drop),
        destination_ids: Set(checked.destination_ids),
        enabled: Set(input.enabled),
        created_by_user_id: Set(user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(rule_view(&row))
}

/// Replaces a rule of `organisation_id` (its name, trigger, parameters, destinations, and
/// whether it is on); answers the rule as it was and as it is now. Alerts already raised by
/// it are sent as they were.
pub async fn update_rule<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    id: i64,
    input: NewRule,
) -> Result<(RuleView, RuleView), AlertError> {
    let row = alert_rule::Entity::find_by_id(id)
        .filter(alert_rule::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(AlertError::NotFound("rule"))?;
    let before = rule_view(&row);
    let checked = check_rule(db, organisation_id, &input).await?;
    let mut change: alert_rule::ActiveModel = row.into();
    change.name = Set(checked.name);
    change.trigger = Set(input.trigger.as_str().to_string());
    change.min_severity = Set(checked.min_severity);
    change.score_drop = Set(checked.score_drop);
    change.destination_ids = Set(checked.destination_ids);
    change.enabled = Set(input.enabled);
    let row = change.update(db).await?;
    Ok((before, rule_view(&row)))
}

/// The organisation's rules, oldest first.
pub async fn list_rules<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
) -> Result<Vec<RuleView>, AlertError> {
    Ok(alert_rule::Entity::find()
        .filter(alert_rule::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(alert_rule::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(rule_view)
        .collect())
}

/// Deletes a rule; answers what it was.
pub async fn delete_rule<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    id: i64,
) -> Result<RuleView, AlertError> {
    let row = alert_rule::Entity::find_by_id(id)
        .filter(alert_rule::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(AlertError::NotFound("rule"))?;
    alert_rule::Entity::delete_by_id(id).exec(db).await?;
    Ok(rule_view(&row))
}

pub(crate) fn delivery_view(row: &alert_delivery::Model) -> DeliveryView {
    let event: Option<AlertEvent> = serde_json::from_value(row.event.clone()).ok();
    let leased =
        row.status == status::PENDING && row.lease_expires_at.is_some_and(|at| at > Utc::now());
    DeliveryView {
        id: row.id,
        rule_id: row.rule_id,
        destination_id: row.destination_id,
        scan_id: row.scan_id,
        tenant_id: row.tenant_id,
        trigger: event.as_ref().map_or(Trigger::Test, |e| e.trigger),
        title: event.map(|e| e.title).unwrap_or_default(),
        status: if leased {
            "sending".to_string()
        } else {
            row.status.clone()
        },
        attempts: row.attempts,
        next_attempt_at: (row.status == status::PENDING).then_some(row.next_attempt_at),
        last_error: row.last_error.clone(),
        created_at: row.created_at,
        delivered_at: row.delivered_at,
    }
}

/// The organisation's latest deliveries, newest first.
pub async fn list_deliveries<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
) -> Result<DeliveryPage, AlertError> {
    let rows = alert_delivery::Entity::find()
        .filter(alert_delivery::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(alert_delivery::Column::Id)
        .limit(DELIVERIES_MAX)
        .all(db)
        .await?;
    Ok(DeliveryPage {
        items: rows.iter().map(delivery_view).collect(),
    })
}

/// Sends a test alert to a destination of the organisation now, and records it among the
/// deliveries (delivered, or failed with its error; not retried).
pub async fn send_test<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    id: i64,
    public_url: &str,
    policy: &OutboundPolicy,
) -> Result<DeliveryView, AlertError> {
    let destination = destination_of(db, organisation_id, id).await?;
    let now = Utc::now();
    let event = AlertEvent {
        trigger: Trigger::Test,
        title: format!("Test alert to {}", destination.name),
        organisation_id,
        tenant_id: None,
        tenant_name: None,
        scan_id: None,
        scan_kind: None,
        score: None,
        score_change: None,
        checks: Vec::new(),
        error: None,
        at: now,
    };
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let row = alert_delivery::ActiveModel {
        organisation_id: Set(organisation_id),
        rule_id: Set(None),
        destination_id: Set(id),
        scan_id: Set(None),
        tenant_id: Set(None),
        dedupe_key: Set(format!("test:{}", hex::encode(nonce))),
        event: Set(serde_json::to_value(&event)?),
        status: Set(status::PENDING.to_string()),
        attempts: Set(1),
        next_attempt_at: Set(now),
        // Held by this request: no dispatcher sends it meanwhile.
        lease_owner: Set(Some("test".to_string())),
        lease_expires_at: Set(Some(now + Duration::days(365))),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let sent = send::deliver(
        &destination,
        &event,
        row.id,
        &Links::new(public_url),
        policy,
    )
    .await;
    let mut update: alert_delivery::ActiveModel = row.into();
    update.lease_owner = Set(None);
    update.lease_expires_at = Set(None);
    match sent {
        Ok(()) => {
            update.status = Set(status::DELIVERED.to_string());
            update.delivered_at = Set(Some(Utc::now()));
        }
        Err(e) => {
            update.status = Set(status::FAILED.to_string());
            update.last_error = Set(Some(super::dispatcher::error_text(&e)));
        }
    }
    let row = update.update(db).await?;
    Ok(delivery_view(&row))
}
