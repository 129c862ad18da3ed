//! Microsoft Graph's Tenant Configuration Management (TCM) snapshots, as Microsoft documents
//! them, with the stand-in tenant's Teams configuration as their content. Written from
//! Microsoft's pages, not from the collector (which shares no type or parser with this):
//!
//! - configurationSnapshotJob (<https://learn.microsoft.com/graph/api/resources/configurationsnapshotjob>):
//!   `id`, `displayName`, `description`, `tenantId`, `status` (`notStarted`, `running`,
//!   `succeeded`, `failed`, `partiallySuccessful`), `createdDateTime`, `completedDateTime`
//!   (`0001-01-01T00:00:00Z` until completed); `resources`, `resourceLocation`, `errorDetails`
//!   and `createdBy` only on `$select`.
//! - List snapshot jobs (`GET /admin/configurationManagement/configurationSnapshotJobs`, v1.0 and
//!   beta; `$select`, `$filter`, `$orderby`, `$top`) and Get snapshot job (`.../{id}`), both with
//!   `ConfigurationMonitoring.Read.All`.
//! - A snapshot is a configurationBaseline (List configurationSnapshots, beta): `id`,
//!   `displayName`, `description`, `parameters`, `resources`, each a baselineResource
//!   (`displayName`, `resourceType`, `properties`).
//! - The Teams resource types and their parameters (<https://learn.microsoft.com/graph/utcm-teams-resources>):
//!   `microsoft.teams.meetingPolicy`, `...federationConfiguration`, `...clientConfiguration`,
//!   `...appPermissionPolicy`, `...meetingBroadcastPolicy`, properties named like the Teams
//!   cmdlets' parameters, with `Ensure`. Only documented parameters are served: a setting
//!   ScubaGear's export has and TCM does not document is absent here, as it would be at
//!   Microsoft.
//!
//! Microsoft does not document what `resourceLocation` looks like; here it is the snapshot's
//! address under the same Graph host (`/beta/admin/configurationManagement/configurationSnapshots/{id}`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The application permission these reads need.
pub const PERMISSION: &str = "ConfigurationMonitoring.Read.All";

/// Which snapshot jobs the tenant has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TcmScenario {
    /// No snapshot job was ever created (the default).
    #[default]
    NoJob,
    /// A succeeded job with the Teams resource types, completed 2026-11-28; a newer succeeded
    /// job of Exchange resources only; a newer failed job.
    Succeeded,
    /// Only a failed job (with its `errorDetails`) and a running one.
    Failed,
    /// As [`TcmScenario::Succeeded`], but the Teams job's `resourceLocation` is on another
    /// host (`localhost` instead of `127.0.0.1`: the same server under another origin, so a
    /// fetch would be recorded).
    OffHost,
    /// The only succeeded job lacks `microsoft.teams.meetingBroadcastPolicy`.
    MissingTypes,
}

const TEAMS_JOB: &str = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a09";
const EXCHANGE_JOB: &str = "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d";
const FAILED_JOB: &str = "a1b2c3d4-e5f6-4789-8abc-def012345678";
const RUNNING_JOB: &str = "d4c3b2a1-f6e5-4987-8cba-876543210fed";

/// When the Teams snapshot job completed (what a collection must record).
pub const TEAMS_JOB_COMPLETED: &str = "2026-11-28T06:30:00Z";
/// The Teams snapshot job's id.
pub const TEAMS_JOB_ID: &str = TEAMS_JOB;

/// The documented parameters of each Teams resource type served, and the export key holding the
/// tenant's rows of that type.
const TEAMS_RESOURCES: &[(&str, &str, &[&str])] = &[
    (
        "microsoft.teams.meetingPolicy",
        "meeting_policies",
        &[
            "Identity",
            "Description",
            "AllowChannelMeetingScheduling",
            "AllowMeetNow",
            "AllowPrivateMeetNow",
            "MeetingChatEnabledType",
            "LiveCaptionsEnabledType",
            "AllowIPAudio",
            "AllowIPVideo",
            "AllowEngagementReport",
            "IPAudioMode",
            "IPVideoMode",
            "AllowAnonymousUsersToDialOut",
            "AllowAnonymousUsersToStartMeeting",
            "AllowPrivateMeetingScheduling",
            "AutoAdmittedUsers",
            "AllowPSTNUsersToBypassLobby",
            "AllowCloudRecording",
            "AllowRecordingStorageOutsideRegion",
            "DesignatedPresenterRoleMode",
            "AllowOutlookAddIn",
            "AllowPowerPointSharing",
            "AllowParticipantGiveRequestControl",
            "AllowExternalParticipantGiveRequestControl",
            "AllowSharedNotes",
            "AllowWhiteboard",
            "AllowTranscription",
            "MediaBitRateKb",
            "ScreenSharingMode",
            "VideoFiltersMode",
            "AllowOrganizersToOverrideLobbySettings",
            "AllowNDIStreaming",
            "AllowUserToJoinExternalMeeting",
            "StreamingAttendeeMode",
            "AllowBreakoutRooms",
            "AllowMeetingReactions",
            "WhoCanRegister",
            "AllowAnonymousUsersToJoinMeeting",
            "AllowMeetingRegistration",
            "NewMeetingRecordingExpirationDays",
            "BlockedAnonymousJoinClientTypes",
            "LiveStreamingMode",
            "SpeakerAttributionMode",
        ],
    ),
    (
        "microsoft.teams.federationConfiguration",
        "federation_configuration",
        &[
            "Identity",
            "AllowFederatedUsers",
            "AllowedDomains",
            "BlockedDomains",
            "AllowPublicUsers",
            "AllowTeamsConsumer",
            "AllowTeamsConsumerInbound",
            "ExternalAccessWithTrialTenants",
            "TreatDiscoveredPartnersAsUnverified",
            "SharedSipAddressSpace",
            "RestrictTeamsConsumerToExternalUserProfiles",
        ],
    ),
    (
        "microsoft.teams.clientConfiguration",
        "client_configuration",
        &[
            "Identity",
            "AllowBox",
            "AllowDropBox",
            "AllowEmailIntoChannel",
            "AllowGoogleDrive",
            "AllowGuestUser",
            "AllowOrganizationTab",
            "AllowResourceAccountSendMessage",
            "AllowScopedPeopleSearchandAccess",
            "AllowShareFile",
            "AllowSkypeBusinessInterop",
            "AllowEgnyte",
            "ContentPin",
            "ResourceAccountContentAccess",
            "RestrictedSenderList",
        ],
    ),
    (
        "microsoft.teams.appPermissionPolicy",
        "app_policies",
        &[
            "Identity",
            "Description",
            "GlobalCatalogAppsType",
            "PrivateCatalogAppsType",
            "DefaultCatalogAppsType",
            "GlobalCatalogApps",
            "PrivateCatalogApps",
            "DefaultCatalogApps",
        ],
    ),
    (
        "microsoft.teams.meetingBroadcastPolicy",
        "broadcast_policies",
        &[
            "Identity",
            "AllowBroadcastScheduling",
            "AllowBroadcastTranscription",
            "BroadcastAttendeeVisibilityMode",
            "BroadcastRecordingMode",
        ],
    ),
];

/// Parameters documented as `StringArray[]`.
const STRING_ARRAYS: &[&str] = &[
    "AllowedDomains",
    "BlockedDomains",
    "RestrictedSenderList",
    "GlobalCatalogApps",
    "PrivateCatalogApps",
    "DefaultCatalogApps",
];

/// One job as stored, before `$select`.
struct JobRow {
    id: &'static str,
    name: &'static str,
    status: &'static str,
    created: &'static str,
    completed: &'static str,
    resources: Vec<&'static str>,
    /// `None`: no extraction (`""`); `Some(true)`: on another host.
    location: Option<bool>,
    errors: Vec<&'static str>,
}

fn teams_types() -> Vec<&'static str> {
    TEAMS_RESOURCES.iter().map(|(t, _, _)| *t).collect()
}

fn jobs(scenario: TcmScenario) -> Vec<JobRow> {
    let teams = |location: bool, types: Vec<&'static str>| JobRow {
        id: TEAMS_JOB,
        name: "Weekly Teams baseline",
        status: "succeeded",
        created: "2026-11-28T06:00:00Z",
        completed: TEAMS_JOB_COMPLETED,
        resources: types,
        location: Some(location),
        errors: Vec::new(),
    };
    let exchange = JobRow {
        id: EXCHANGE_JOB,
        name: "Exchange transport rules",
        status: "succeeded",
        created: "2026-12-01T09:00:00Z",
        completed: "2026-12-01T09:12:00Z",
        resources: vec![
            "microsoft.exchange.sharedmailbox",
            "microsoft.exchange.transportrule",
        ],
        location: Some(false),
        errors: Vec::new(),
    };
    let failed = JobRow {
        id: FAILED_JOB,
        name: "Teams snapshot",
        status: "failed",
        created: "2026-12-02T07:00:00Z",
        completed: "2026-12-02T07:04:00Z",
        resources: teams_types(),
        location: None,
        errors: vec![
            "The Tenant Configuration Management service principal lacks the Global Reader role.",
        ],
    };
    let running = JobRow {
        id: RUNNING_JOB,
        name: "Teams snapshot (retry)",
        status: "running",
        created: "2026-12-03T07:00:00Z",
        completed: "0001-01-01T00:00:00Z",
        resources: teams_types(),
        location: None,
        errors: Vec::new(),
    };
    match scenario {
        TcmScenario::NoJob => Vec::new(),
        TcmScenario::Succeeded => vec![teams(false, teams_types()), exchange, failed],
        TcmScenario::OffHost => vec![teams(true, teams_types()), exchange, failed],
        TcmScenario::Failed => vec![failed, running],
        TcmScenario::MissingTypes => {
            let mut types = teams_types();
            types.retain(|t| *t != "microsoft.teams.meetingBroadcastPolicy");
            vec![teams(false, types)]
        }
    }
}

/// Where a job's extraction is said to be.
fn location(job: &JobRow, base_url: &str) -> String {
    match job.location {
        None => String::new(),
        Some(off_host) => {
            let base = if off_host {
                base_url.replacen("127.0.0.1", "localhost", 1)
            } else {
                base_url.to_string()
            };
            format!(
                "{base}/graph/beta/admin/configurationManagement/configurationSnapshots/{}",
                job.id
            )
        }
    }
}

fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

fn job_json(job: &JobRow, select: Option<&[String]>, tenant_id: &str, base_url: &str) -> Value {
    let mut o = Map::new();
    let all: [(&str, Value); 11] = [
        ("id", json!(job.id)),
        ("displayName", json!(job.name)),
        (
            "description",
            json!(format!("{} (created by an administrator)", job.name)),
        ),
        ("tenantId", json!(tenant_id)),
        ("status", json!(job.status)),
        ("createdDateTime", json!(job.created)),
        ("completedDateTime", json!(job.completed)),
        ("resources", json!(job.resources)),
        ("resourceLocation", json!(location(job, base_url))),
        ("errorDetails", json!(job.errors)),
        (
            "createdBy",
            json!({"user": {"id": "98ceffcc-7c54-4227-8844-835af5a023ce", "displayName": "Tenant Admin"}}),
        ),
    ];
    // Returned only on `$select`, per the resource type's page.
    let select_only = ["resources", "resourceLocation", "errorDetails", "createdBy"];
    for (k, v) in all {
        let wanted = match select {
            Some(names) => k == "id" || names.iter().any(|n| n.eq_ignore_ascii_case(k)),
            None => !select_only.contains(&k),
        };
        if wanted {
            o.insert(k.to_string(), v);
        }
    }
    Value::Object(o)
}

/// A documented `StringArray[]` from the export's value (strings kept; PowerShell's
/// `{"AllowedDomain": "Domain=x"}` allow list and `Domain=` prefixes unwrapped; objects by `Id`).
fn string_array(v: &Value) -> Value {
    let one = |x: &Value| -> Option<String> {
        match x {
            Value::String(s) => Some(s.strip_prefix("Domain=").unwrap_or(s).to_string()),
            Value::Object(o) => o
                .get("Id")
                .or_else(|| o.get("Domain"))
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        }
    };
    let items: Vec<String> = match v {
        Value::Array(a) => a.iter().filter_map(one).collect(),
        Value::Object(o) => match o.get("AllowedDomain") {
            Some(Value::Array(a)) => a.iter().filter_map(one).collect(),
            Some(x) => one(x).into_iter().collect(),
            None => Vec::new(),
        },
        Value::String(_) => one(v).into_iter().collect(),
        _ => Vec::new(),
    };
    json!(items)
}

/// The tenant's resources of the listed types, as a snapshot holds them.
fn resources(export: &Value, types: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for (resource_type, key, params) in TEAMS_RESOURCES {
        if !types.contains(resource_type) {
            continue;
        }
        let rows = match export.get(*key) {
            Some(Value::Array(a)) => a.clone(),
            Some(o @ Value::Object(_)) => vec![o.clone()],
            _ => Vec::new(),
        };
        for row in rows.iter().filter(|r| r.is_object()) {
            let mut props = Map::new();
            for p in *params {
                let Some(v) = row.get(*p).filter(|v| !v.is_null()) else {
                    continue;
                };
                let v = match (*p, v) {
                    ("Identity", Value::String(s)) => {
                        json!(s.strip_prefix("Tag:").unwrap_or(s))
                    }
                    _ if STRING_ARRAYS.contains(p) => string_array(v),
                    _ => v.clone(),
                };
                props.insert((*p).to_string(), v);
            }
            props.insert("Ensure".into(), json!("Present"));
            let name = props
                .get("Identity")
                .and_then(Value::as_str)
                .unwrap_or("Global")
                .to_string();
            out.push(json!({
                "displayName": name,
                "resourceType": resource_type,
                "properties": Value::Object(props),
            }));
        }
    }
    out
}

/// The answer to a Graph path under `/admin/configurationManagement`, or `None` for other
/// paths. `denied`: the application lacks [`PERMISSION`].
pub(crate) fn answer(
    gpath: &str,
    query: &str,
    export: &Value,
    scenario: TcmScenario,
    tenant_id: &str,
    base_url: &str,
    denied: bool,
) -> Option<(u16, Value)> {
    let (version, rest) = gpath.trim_start_matches('/').split_once('/')?;
    let rest = rest.strip_prefix("admin/configurationManagement/")?;
    if denied {
        return Some((
            403,
            graph_error(
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
        ));
    }
    let context = format!("{base_url}/graph/{version}/$metadata#admin/configurationManagement");
    let rows = jobs(scenario);
    if rest == "configurationSnapshotJobs" {
        let select: Option<Vec<String>> =
            param(query, "$select").map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
        let mut listed: Vec<&JobRow> = rows.iter().collect();
        if let Some(f) = param(query, "$filter") {
            // `status eq 'succeeded'` (and `ne`), the documented filter on status.
            let parts: Vec<&str> = f.split_whitespace().collect();
            match parts.as_slice() {
                [field, op, value] if field.eq_ignore_ascii_case("status") => {
                    let value = value.trim_matches('\'');
                    let eq = op.eq_ignore_ascii_case("eq");
                    listed.retain(|j| j.status.eq_ignore_ascii_case(value) == eq);
                }
                _ => {
                    return Some((
                        400,
                        graph_error("BadRequest", &format!("Invalid filter clause: {f}")),
                    ));
                }
            }
        }
        if let Some(o) = param(query, "$orderby") {
            let desc = o.to_ascii_lowercase().ends_with(" desc");
            let field = o.split_whitespace().next().unwrap_or("");
            listed.sort_by(|a, b| {
                let key = |j: &JobRow| {
                    if field.eq_ignore_ascii_case("createdDateTime") {
                        j.created
                    } else {
                        j.completed
                    }
                };
                let c = key(a).cmp(key(b));
                if desc { c.reverse() } else { c }
            });
        }
        if let Some(top) = param(query, "$top").and_then(|t| t.parse::<usize>().ok()) {
            listed.truncate(top);
        }
        let value: Vec<Value> = listed
            .iter()
            .map(|j| job_json(j, select.as_deref(), tenant_id, base_url))
            .collect();
        let mut out = json!({
            "@odata.context": format!("{context}/configurationSnapshotJobs"),
            "value": value,
        });
        if select.is_none() {
            out["@microsoft.graph.tips"] = json!(
                "This request only returns a subset of the resource's properties. Your app will need to use $select to return non-default properties."
            );
        }
        return Some((200, out));
    }
    if let Some(id) = rest.strip_prefix("configurationSnapshotJobs/") {
        let select: Option<Vec<String>> =
            param(query, "$select").map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
        return Some(match rows.iter().find(|j| j.id.eq_ignore_ascii_case(id)) {
            Some(j) => {
                let mut v = job_json(j, select.as_deref(), tenant_id, base_url);
                v["@odata.context"] = json!(format!("{context}/configurationSnapshotJobs/$entity"));
                (200, v)
            }
            None => (
                404,
                graph_error(
                    "ResourceNotFound",
                    &format!("Snapshot job '{id}' was not found."),
                ),
            ),
        });
    }
    if let Some(id) = rest.strip_prefix("configurationSnapshots/") {
        // The extraction of a job that succeeded (the snapshot, a configurationBaseline).
        return Some(
            match rows
                .iter()
                .find(|j| j.id.eq_ignore_ascii_case(id) && j.location.is_some())
            {
                Some(j) => (
                    200,
                    json!({
                        "@odata.context": format!("{context}/configurationSnapshots/$entity"),
                        "id": j.id,
                        "displayName": j.name,
                        "description": format!("{} (created by an administrator)", j.name),
                        "parameters": [],
                        "resources": resources(export, &j.resources),
                    }),
                ),
                None => (
                    404,
                    graph_error(
                        "ResourceNotFound",
                        &format!("Snapshot '{id}' was not found."),
                    ),
                ),
            },
        );
    }
    Some((
        404,
        graph_error(
            "ResourceNotFound",
            "No such configuration management resource.",
        ),
    ))
}

fn graph_error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "innerError": {
        "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        "request-id": uuid::Uuid::new_v4().to_string()}}})
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:9";
    const PATH: &str = "/v1.0/admin/configurationManagement/configurationSnapshotJobs";

    fn export() -> Value {
        json!({
            "meeting_policies": [{"Identity": "Tag:Restricted", "AllowCloudRecording": false,
                "AllowExternalNonTrustedMeetingChat": true, "Key": {"ScopeClass": "Tag"}}],
            "federation_configuration": [{"Identity": "Global", "AllowFederatedUsers": true,
                "AllowedDomains": {"AllowedDomain": ["Domain=a.example", "Domain=b.example"]}}],
        })
    }

    fn list(scenario: TcmScenario, query: &str) -> Vec<Value> {
        let (status, body) = answer(PATH, query, &export(), scenario, "t", BASE, false).unwrap();
        assert_eq!(status, 200);
        body["value"].as_array().unwrap().clone()
    }

    #[test]
    fn select_only_properties_come_only_when_selected() {
        let plain = list(TcmScenario::Succeeded, "");
        assert!(plain.iter().all(|j| j.get("resourceLocation").is_none()));
        assert!(plain.iter().all(|j| j.get("resources").is_none()));
        let selected = list(
            TcmScenario::Succeeded,
            "$select=id,status,resourceLocation&$orderby=completedDateTime%20desc",
        );
        assert_eq!(selected[0]["status"], "failed");
        assert!(selected[0].get("displayName").is_none());
        assert!(list(TcmScenario::NoJob, "").is_empty());
        let succeeded = list(TcmScenario::Succeeded, "$filter=status%20eq%20'succeeded'");
        assert_eq!(succeeded.len(), 2);
    }

    #[test]
    fn snapshots_hold_documented_parameters_only() {
        let path =
            format!("/beta/admin/configurationManagement/configurationSnapshots/{TEAMS_JOB}");
        let (status, body) = answer(
            &path,
            "",
            &export(),
            TcmScenario::Succeeded,
            "t",
            BASE,
            false,
        )
        .unwrap();
        assert_eq!(status, 200);
        let r = body["resources"].as_array().unwrap();
        let meeting = r
            .iter()
            .find(|x| x["resourceType"] == "microsoft.teams.meetingPolicy")
            .unwrap();
        assert_eq!(
            meeting["properties"],
            json!({"Identity": "Restricted", "AllowCloudRecording": false, "Ensure": "Present"})
        );
        let fed = r
            .iter()
            .find(|x| x["resourceType"] == "microsoft.teams.federationConfiguration")
            .unwrap();
        assert_eq!(
            fed["properties"]["AllowedDomains"],
            json!(["a.example", "b.example"])
        );
        let denied = answer(PATH, "", &export(), TcmScenario::Succeeded, "t", BASE, true).unwrap();
        assert_eq!(denied.0, 403);
        let off = list(TcmScenario::OffHost, "$select=id,resourceLocation");
        assert!(off.iter().any(|j| {
            j["resourceLocation"]
                .as_str()
                .unwrap()
                .starts_with("http://localhost:9/")
        }));
    }
}
