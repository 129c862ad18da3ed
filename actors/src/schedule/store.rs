//! Schedule rows: reading, saving, the default of a new tenant, due schedules and the claim of
//! an occurrence (compare-and-set on `next_run_at`).

use std::collections::HashMap;

use aether365_entities::{scan_schedule, tenant, user};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::spec::{ScheduleInput, ScheduleSpec};
use super::{NextScheduledScan, ScheduleError, ScheduleView};

/// Schedules claimed per tick, at most.
const DUE_PER_TICK: u64 = 100;

/// The default of a newly connected tenant: a daily compliance scan at a quiet hour (UTC
/// night, spread over the hour by tenant so tenants do not all start at once).
pub fn default_input(tenant_id: i64) -> ScheduleInput {
    ScheduleInput {
        cadence: "daily".into(),
        time: Some(format!("03:{:02}", tenant_id.rem_euclid(12) * 5)),
        weekday: None,
        time_zone: "UTC".into(),
        cron: None,
        compliance: true,
        exposure: false,
        enabled: true,
    }
}

/// A stored row's schedule, as written.
pub(crate) fn input_of(row: &scan_schedule::Model) -> ScheduleInput {
    ScheduleInput {
        cadence: row.cadence.clone(),
        time: row.time_of_day.clone(),
        weekday: row.weekday.clone(),
        time_zone: row.time_zone.clone(),
        cron: row.cron.clone(),
        compliance: row.compliance,
        exposure: row.exposure,
        enabled: row.enabled,
    }
}

async fn tenant_of<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    tenant_id: i64,
) -> Result<tenant::Model, ScheduleError> {
    tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .filter(|t| t.organisation_id == organisation_id)
        .ok_or(ScheduleError::TenantNotFound)
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: i64,
) -> Result<Option<scan_schedule::Model>, ScheduleError> {
    Ok(scan_schedule::Entity::find()
        .filter(scan_schedule::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?)
}

/// A schedule as written, with nothing run yet and no author: the fields the stored and the
/// proposed default view share.
fn view(tenant_id: i64, saved: bool, input: ScheduleInput) -> ScheduleView {
    ScheduleView {
        tenant_id,
        saved,
        cadence: input.cadence,
        time: input.time,
        weekday: input.weekday,
        time_zone: input.time_zone,
        cron: input.cron,
        compliance: input.compliance,
        exposure: input.exposure,
        enabled: input.enabled,
        next_run_at: None,
        last_run_at: None,
        last_outcome: None,
        last_scan_id: None,
        updated_by: None,
        updated_at: None,
    }
}

async fn view_of<C: ConnectionTrait>(
    db: &C,
    row: &scan_schedule::Model,
) -> Result<ScheduleView, ScheduleError> {
    let updated_by = match row.updated_by_user_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.email),
        None => None,
    };
    Ok(ScheduleView {
        next_run_at: row.next_run_at,
        last_run_at: row.last_run_at,
        last_outcome: row.last_outcome.clone(),
        last_scan_id: row.last_scan_id,
        updated_by,
        updated_at: Some(row.updated_at),
        ..view(row.tenant_id, true, input_of(row))
    })
}

/// The tenant's schedule; when none is stored, the default, unsaved and paused.
pub async fn get_schedule<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    tenant_id: i64,
) -> Result<ScheduleView, ScheduleError> {
    tenant_of(db, organisation_id, tenant_id).await?;
    if let Some(row) = find(db, tenant_id).await? {
        return view_of(db, &row).await;
    }
    Ok(ScheduleView {
        enabled: false,
        ..view(tenant_id, false, default_input(tenant_id))
    })
}

/// Creates or replaces the tenant's schedule (validated first); its next occurrence is
/// computed from now (none while paused).
pub async fn save_schedule<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    tenant_id: i64,
    user_id: Option<i64>,
    input: &ScheduleInput,
) -> Result<ScheduleView, ScheduleError> {
    let spec = input.validate()?;
    tenant_of(db, organisation_id, tenant_id).await?;
    upsert(db, organisation_id, tenant_id, user_id, &spec, true).await?;
    let row = find(db, tenant_id)
        .await?
        .ok_or(ScheduleError::TenantNotFound)?;
    view_of(db, &row).await
}

async fn upsert<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    tenant_id: i64,
    user_id: Option<i64>,
    spec: &ScheduleSpec,
    replace: bool,
) -> Result<(), ScheduleError> {
    let now = Utc::now();
    let input = spec.input();
    let next = if spec.enabled {
        spec.next_after(now)
    } else {
        None
    };
    let row = scan_schedule::ActiveModel {
        organisation_id: Set(organisation_id),
        tenant_id: Set(tenant_id),
        cadence: Set(input.cadence),
        time_of_day: Set(input.time),
        weekday: Set(input.weekday),
        time_zone: Set(input.time_zone),
        cron: Set(input.cron),
        compliance: Set(input.compliance),
        exposure: Set(input.exposure),
        enabled: Set(input.enabled),
        next_run_at: Set(next),
        last_run_at: Set(None),
        last_outcome: Set(None),
        last_scan_id: Set(None),
        updated_by_user_id: Set(user_id),
        updated_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    };
    let mut conflict = OnConflict::column(scan_schedule::Column::TenantId);
    if replace {
        conflict.update_columns([
            scan_schedule::Column::Cadence,
            scan_schedule::Column::TimeOfDay,
            scan_schedule::Column::Weekday,
            scan_schedule::Column::TimeZone,
            scan_schedule::Column::Cron,
            scan_schedule::Column::Compliance,
            scan_schedule::Column::Exposure,
            scan_schedule::Column::Enabled,
            scan_schedule::Column::NextRunAt,
            scan_schedule::Column::UpdatedByUserId,
            scan_schedule::Column::UpdatedAt,
        ]);
    } else {
        conflict.do_nothing();
    }
    scan_schedule::Entity::insert(row)
        .on_conflict(conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Gives a newly connected tenant the default schedule, unless it has one.
pub async fn ensure_default<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    tenant_id: i64,
) -> Result<(), ScheduleError> {
    let spec = default_input(tenant_id).validate()?;
    upsert(db, organisation_id, tenant_id, None, &spec, false).await
}

/// When each of `tenant_ids` next runs a scheduled scan (schedules on only).
pub async fn next_runs<C: ConnectionTrait>(
    db: &C,
    organisation_id: i64,
    tenant_ids: &[i64],
) -> Result<HashMap<i64, NextScheduledScan>, ScheduleError> {
    if tenant_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = scan_schedule::Entity::find()
        .filter(scan_schedule::Column::OrganisationId.eq(organisation_id))
        .filter(scan_schedule::Column::TenantId.is_in(tenant_ids.iter().copied()))
        .filter(scan_schedule::Column::Enabled.eq(true))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let at = row.next_run_at?;
            let spec = input_of(&row).validate().ok()?;
            Some((
                row.tenant_id,
                NextScheduledScan {
                    tenant_id: row.tenant_id,
                    at,
                    kinds: spec.kinds(),
                },
            ))
        })
        .collect())
}

/// Schedules on whose occurrence has come.
pub(crate) async fn due<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Vec<scan_schedule::Model>, ScheduleError> {
    Ok(scan_schedule::Entity::find()
        .filter(scan_schedule::Column::Enabled.eq(true))
        .filter(scan_schedule::Column::NextRunAt.lte(now))
        .order_by_asc(scan_schedule::Column::NextRunAt)
        .limit(DUE_PER_TICK)
        .all(db)
        .await?)
}

/// Claims the occurrence `row.next_run_at`: moves `next_run_at` to `next` only if it still
/// holds that occurrence (compare-and-set), so one instance alone wins it. True when won.
pub(crate) async fn claim<C: ConnectionTrait>(
    db: &C,
    row: &scan_schedule::Model,
    next: Option<DateTime<Utc>>,
) -> Result<bool, ScheduleError> {
    let Some(occurrence) = row.next_run_at else {
        return Ok(false);
    };
    let result = scan_schedule::Entity::update_many()
        .col_expr(scan_schedule::Column::NextRunAt, Expr::value(next))
        .col_expr(
            scan_schedule::Column::LastRunAt,
            Expr::value(Some(occurrence)),
        )
        .col_expr(
            scan_schedule::Column::LastOutcome,
            Expr::value(Some("starting".to_string())),
        )
        .filter(scan_schedule::Column::Id.eq(row.id))
        .filter(scan_schedule::Column::Enabled.eq(true))
        .filter(scan_schedule::Column::NextRunAt.eq(occurrence))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records what an occurrence did (if it is still the schedule's last one).
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    schedule_id: i64,
    occurrence: DateTime<Utc>,
    outcome: &str,
    scan_id: Option<i64>,
) -> Result<(), ScheduleError> {
    let mut update = scan_schedule::Entity::update_many()
        .col_expr(
            scan_schedule::Column::LastOutcome,
            Expr::value(Some(outcome.to_string())),
        )
        .filter(scan_schedule::Column::Id.eq(schedule_id))
        .filter(scan_schedule::Column::LastRunAt.eq(occurrence));
    if let Some(id) = scan_id {
        update = update.col_expr(scan_schedule::Column::LastScanId, Expr::value(Some(id)));
    }
    update.exec(db).await?;
    Ok(())
}
