//! Teams, read from the newest succeeded Tenant Configuration Management (TCM) snapshot job an
//! administrator created: GETs only, with `ConfigurationMonitoring.Read.All`.
//!
//! 1. `GET {graph}/v1.0/admin/configurationManagement/configurationSnapshotJobs` with `$select`
//!    (Graph returns `resources`, `resourceLocation` and `errorDetails` only on `$select`).
//! 2. The newest `succeeded` job (by `completedDateTime`) whose `resources` include every type of
//!    [`mapping::TEAMS_TYPES`].
//! 3. `GET` its `resourceLocation`, only when it is on the configured Graph endpoint's origin:
//!    an address Microsoft's answer names elsewhere is refused, never fetched.
//! 4. [`mapping::map`] turns the resources into ScubaGear's Teams sections; the job's id and
//!    `completedDateTime` go to the `aether365` section (`teams_tcm_snapshot`), so every Teams
//!    finding can say which snapshot it rests on and how old it is.
//!
//! aether365 never creates a snapshot: that is a POST needing
//! `ConfigurationMonitoring.ReadWrite.All`, a write permission this read-only product does not
//! ask for. Without a usable job, Teams is not collected, with the reason and what to do.

pub(crate) mod mapping;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::ReadError;
use crate::endpoints::scope_of;
use crate::request::ReadRequest;
use crate::services::{AETHER365_SECTION, ServiceRun};
use crate::transport::Session;

/// The application permission the reads need.
pub const TCM_PERMISSION: &str = "ConfigurationMonitoring.Read.All";

/// The snapshot jobs' collection, under the Graph endpoint.
pub const TCM_JOBS_PATH: &str = "/v1.0/admin/configurationManagement/configurationSnapshotJobs";

/// The properties asked for (those Graph returns only on `$select` included).
const JOBS_QUERY: &str = "$select=id,displayName,status,resources,resourceLocation,createdDateTime,completedDateTime,errorDetails&$orderby=completedDateTime desc";

/// The key of the `aether365` section that names the snapshot job Teams was read from.
pub const TCM_SNAPSHOT_KEY: &str = "teams_tcm_snapshot";

/// The Teams commands ScubaGear runs (through the MicrosoftTeams PowerShell module).
pub const TEAMS_COMMANDS: &[&str] = &[
    "Get-CsTenant",
    "Get-CsTeamsMeetingPolicy",
    "Get-CsTenantFederationConfiguration",
    "Get-CsTeamsClientConfiguration",
    "Get-CsTeamsAppPermissionPolicy",
    "Get-CsTeamsMeetingBroadcastPolicy",
    "Get-M365UnifiedTenantSettings",
];

/// What an administrator does so that Teams can be read.
fn advice() -> String {
    let types: Vec<&str> = mapping::TEAMS_TYPES
        .iter()
        .map(|t| t.resource_type)
        .collect();
    format!(
        "an administrator must create a Tenant Configuration Management snapshot that includes {} (POST /admin/configurationManagement/configurationSnapshots/createSnapshot, with the Tenant Configuration Management service principal added to the tenant and given Global Reader); aether365 only reads snapshots, with {TCM_PERMISSION}",
        types.join(", ")
    )
}

/// One snapshot job as listed.
#[derive(Debug)]
struct Job {
    id: String,
    display_name: String,
    status: String,
    resources: Vec<String>,
    resource_location: String,
    completed: Option<DateTime<Utc>>,
    error_details: Vec<String>,
}

fn strings(v: Option<&Value>) -> Result<Vec<String>, ()> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or(()))
            .collect(),
        Some(_) => Err(()),
    }
}

fn job(v: &Value) -> Result<Job, String> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(id), Some(status)) = (text("id"), text("status")) else {
        return Err(
            "a snapshot job has no string `id` or `status`: the answer's shape is unknown".into(),
        );
    };
    let resources = strings(v.get("resources"))
        .map_err(|()| format!("snapshot job {id}'s `resources` is not a list of names"))?;
    let error_details = strings(v.get("errorDetails"))
        .map_err(|()| format!("snapshot job {id}'s `errorDetails` is not a list of strings"))?;
    let completed = text("completedDateTime")
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(Job {
        display_name: text("displayName").unwrap_or_default(),
        resource_location: text("resourceLocation").unwrap_or_default(),
        id,
        status,
        resources,
        completed,
        error_details,
    })
}

fn day(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "at an unknown time".to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The job to read, or why there is none.
fn choose(jobs: &[Job]) -> Result<&Job, String> {
    if jobs.is_empty() {
        return Err(format!(
            "no Tenant Configuration Management snapshot job exists in this tenant: {}",
            advice()
        ));
    }
    let mut succeeded: Vec<&Job> = jobs
        .iter()
        .filter(|j| j.status.eq_ignore_ascii_case("succeeded"))
        .collect();
    // Newest first, whatever order the answer had; a job without a completion time last.
    succeeded.sort_by_key(|j| std::cmp::Reverse(j.completed));
    let Some(newest) = succeeded.first() else {
        let last = jobs.iter().max_by_key(|j| j.completed);
        let about = last.map_or_else(String::new, |j| {
            let details = if j.error_details.is_empty() {
                String::new()
            } else {
                format!(": {}", j.error_details.join("; "))
            };
            format!(" (the newest, {}, is {}{details})", j.id, j.status)
        });
        return Err(format!(
            "none of the tenant's {} Tenant Configuration Management snapshot jobs succeeded{about}: {}",
            jobs.len(),
            advice()
        ));
    };
    if let Some(j) = succeeded
        .iter()
        .find(|j| mapping::missing_types(&j.resources).is_empty())
    {
        return Ok(j);
    }
    Err(format!(
        "no succeeded Tenant Configuration Management snapshot job includes every Teams resource type aether365 reads; the newest, {} (completed {}), lacks {}: {}",
        newest.id,
        day(newest.completed),
        mapping::missing_types(&newest.resources).join(", "),
        advice()
    ))
}

/// The extraction's URL, when it is on the Graph endpoint's origin; otherwise refused.
fn extraction_url(job: &Job, graph_base: &str) -> Result<url::Url, ReadError> {
    let base = url::Url::parse(graph_base).map_err(|e| ReadError::Refused {
        detail: format!("the Graph endpoint is not a URL ({e}): {graph_base}"),
    })?;
    let location = job.resource_location.trim();
    if location.is_empty() {
        return Err(ReadError::Malformed {
            what: TCM_JOBS_PATH.to_string(),
            detail: format!(
                "snapshot job {} succeeded but names no resourceLocation to read its extraction from",
                job.id
            ),
        });
    }
    let url = base.join(location).map_err(|e| ReadError::Refused {
        detail: format!(
            "snapshot job {}'s resourceLocation is not a URL ({e}): {location}",
            job.id
        ),
    })?;
    if url.origin() != base.origin() {
        return Err(ReadError::Refused {
            detail: format!(
                "snapshot job {}'s resourceLocation {url} is not on the tenant's Graph endpoint ({}): aether365 does not fetch an address outside it",
                job.id,
                base.origin().ascii_serialization()
            ),
        });
    }
    Ok(url)
}

/// Teams from TCM: the run, and the reason Teams is not collected (`None` once a snapshot job
/// was read).
pub(crate) async fn collect(session: &Session, graph_base: &str) -> (ServiceRun, Option<String>) {
    match read(session, graph_base).await {
        Ok(run) => (run, None),
        Err(why) => {
            let run = ServiceRun {
                sections: Map::new(),
                ok: Vec::new(),
                failed: TEAMS_COMMANDS
                    .iter()
                    .map(|c| ((*c).to_string(), why.clone()))
                    .collect(),
            };
            (run, Some(why))
        }
    }
}

fn refused(e: &ReadError) -> String {
    if matches!(e, ReadError::Forbidden { .. }) {
        format!(
            "{}: reading Tenant Configuration Management snapshots needs the application permission {TCM_PERMISSION} (grant it and consent again)",
            e.reason()
        )
    } else {
        e.reason()
    }
}

async fn read(session: &Session, graph_base: &str) -> Result<ServiceRun, String> {
    let base = graph_base.trim_end_matches('/');
    let scope = scope_of(base);
    let req = ReadRequest::get(&format!("{base}{TCM_JOBS_PATH}?{JOBS_QUERY}"))
        .map_err(|e| e.reason())?
        .permission(TCM_PERMISSION);
    let listed = session
        .list(req, Some(&scope))
        .await
        .map_err(|e| refused(&e))?;
    let jobs = listed.iter().map(job).collect::<Result<Vec<_>, _>>()?;
    let chosen = choose(&jobs)?;
    let url = extraction_url(chosen, base).map_err(|e| e.reason())?;
    let req = ReadRequest::get(url.as_str())
        .map_err(|e| e.reason())?
        .permission(TCM_PERMISSION);
    let extraction = session
        .execute(&req, Some(&scope))
        .await
        .map_err(|e| refused(&e))?;
    let mapped = mapping::map(&extraction).map_err(|why| {
        format!(
            "snapshot job {} (completed {}): {why}",
            chosen.id,
            day(chosen.completed)
        )
    })?;
    let mut run = ServiceRun {
        sections: mapped.sections,
        ok: mapped.ok,
        failed: mapped.failed,
    };
    for (command, why) in mapping::NOT_IN_TCM {
        run.failed.push((command.to_string(), why.to_string()));
    }
    let mut own = Map::new();
    own.insert(
        TCM_SNAPSHOT_KEY.to_string(),
        json!({
            "job_id": chosen.id,
            "display_name": chosen.display_name,
            "completed_date_time": chosen.completed.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            "resources": chosen.resources,
        }),
    );
    run.sections
        .insert(AETHER365_SECTION.to_string(), Value::Object(own));
    Ok(run)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn listed(id: &str, status: &str, completed: &str, resources: &[&str], at: &str) -> Job {
        job(
            &json!({"id": id, "status": status, "completedDateTime": completed,
            "resources": resources, "resourceLocation": at}),
        )
        .unwrap()
    }

    const ALL: [&str; 5] = [
        "microsoft.teams.meetingPolicy",
        "microsoft.teams.federationConfiguration",
        "microsoft.teams.clientConfiguration",
        "microsoft.teams.appPermissionPolicy",
        "microsoft.teams.meetingBroadcastPolicy",
    ];

    #[test]
    fn the_newest_succeeded_job_covering_teams_is_chosen() {
        let jobs = [
            listed("old", "succeeded", "2026-11-01T00:00:00Z", &ALL, "x"),
            listed("exo", "succeeded", "2026-12-01T00:00:00Z", &ALL[..1], "x"),
            listed("new", "succeeded", "2026-11-20T00:00:00Z", &ALL, "x"),
            listed("bad", "failed", "2026-12-02T00:00:00Z", &ALL, ""),
        ];
        assert_eq!(choose(&jobs).unwrap().id, "new");
        let why = choose(&jobs[1..2]).unwrap_err();
        assert!(
            why.contains("lacks microsoft.teams.federationConfiguration"),
            "{why}"
        );
        let why = choose(&jobs[3..]).unwrap_err();
        assert!(why.contains("none of the tenant's 1"), "{why}");
        assert!(
            choose(&[])
                .unwrap_err()
                .starts_with("no Tenant Configuration")
        );
    }

    #[test]
    fn a_resource_location_off_the_graph_origin_is_refused() {
        let base = "https://graph.microsoft.com";
        let on = listed(
            "a",
            "succeeded",
            "2026-11-01T00:00:00Z",
            &ALL,
            "https://graph.microsoft.com/beta/x",
        );
        assert!(extraction_url(&on, base).is_ok());
        for off in [
            "https://graph.microsoft.com.evil.example/beta/x",
            "http://graph.microsoft.com/beta/x",
            "https://graph.microsoft.com:8443/beta/x",
            "https://169.254.169.254/latest",
        ] {
            let j = listed("a", "succeeded", "2026-11-01T00:00:00Z", &ALL, off);
            assert!(
                matches!(extraction_url(&j, base), Err(ReadError::Refused { .. })),
                "{off}"
            );
        }
        let none = listed("a", "succeeded", "2026-11-01T00:00:00Z", &ALL, "");
        assert!(extraction_url(&none, base).is_err());
    }
}
