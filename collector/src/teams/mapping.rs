//! The one place where Tenant Configuration Management (TCM) resources become the ScubaGear
//! Teams sections the engine reads.
//!
//! A TCM snapshot holds `resources`, each a `baselineResource`: `displayName`, `resourceType`
//! (`microsoft.teams.meetingPolicy`, ...) and `properties`, named like the Teams PowerShell
//! cmdlets' parameters (`Identity`, `AllowAnonymousUsersToJoinMeeting`, ...; Microsoft's list:
//! <https://learn.microsoft.com/graph/utcm-teams-resources>). ScubaGear's export holds the
//! answers of the `Get-Cs*` cmdlets with the same property names, one row per policy, so a
//! resource's `properties` is a row, less TCM's own `Ensure`. Properties TCM does not document
//! (such as `AllowExternalNonTrustedMeetingChat`) are simply absent, and the checks that need
//! them say so instead of deciding.

use serde_json::{Map, Value};

/// A TCM resource type aether365 reads, the ScubaGear command whose answer it replaces, and
/// the export key it fills.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TeamsType {
    pub(crate) resource_type: &'static str,
    pub(crate) command: &'static str,
    pub(crate) key: &'static str,
}

/// Every Teams resource type the Teams checks need: a snapshot job must include them all.
pub(crate) const TEAMS_TYPES: [TeamsType; 5] = [
    TeamsType {
        resource_type: "microsoft.teams.meetingPolicy",
        command: "Get-CsTeamsMeetingPolicy",
        key: "meeting_policies",
    },
    TeamsType {
        resource_type: "microsoft.teams.federationConfiguration",
        command: "Get-CsTenantFederationConfiguration",
        key: "federation_configuration",
    },
    TeamsType {
        resource_type: "microsoft.teams.clientConfiguration",
        command: "Get-CsTeamsClientConfiguration",
        key: "client_configuration",
    },
    TeamsType {
        resource_type: "microsoft.teams.appPermissionPolicy",
        command: "Get-CsTeamsAppPermissionPolicy",
        key: "app_policies",
    },
    TeamsType {
        resource_type: "microsoft.teams.meetingBroadcastPolicy",
        command: "Get-CsTeamsMeetingBroadcastPolicy",
        key: "broadcast_policies",
    },
];

/// ScubaGear's Teams commands that no TCM resource type answers, and why.
pub(crate) const NOT_IN_TCM: [(&str, &str); 2] = [
    (
        "Get-CsTenant",
        "Tenant Configuration Management has no Teams resource for the tenant's details (Get-CsTenant)",
    ),
    (
        "Get-M365UnifiedTenantSettings",
        "Tenant Configuration Management has no resource for the Teams org-wide app settings (Get-M365UnifiedTenantSettings)",
    ),
];

/// The Teams resource types `resources` (a snapshot job's list) lacks.
pub(crate) fn missing_types(resources: &[String]) -> Vec<&'static str> {
    TEAMS_TYPES
        .iter()
        .filter(|t| {
            !resources
                .iter()
                .any(|r| r.trim().eq_ignore_ascii_case(t.resource_type))
        })
        .map(|t| t.resource_type)
        .collect()
}

/// The export sections and command outcomes a TCM extraction gives.
#[derive(Debug, Default)]
pub(crate) struct Mapped {
    pub(crate) sections: Map<String, Value>,
    pub(crate) ok: Vec<String>,
    pub(crate) failed: Vec<(String, String)>,
}

/// Maps a downloaded extraction (a `configurationBaseline`: an object whose `resources` is a
/// list of `baselineResource`) into the Teams sections. An extraction of another shape is
/// refused whole; a Teams resource of an unknown shape fails its command; a resource type with
/// no resource fails its command (every tenant has a Global policy of each).
pub(crate) fn map(extraction: &Value) -> Result<Mapped, String> {
    let Some(resources) = extraction.get("resources").and_then(Value::as_array) else {
        return Err(
            "the snapshot's extraction has no `resources` list: its shape is unknown".to_string(),
        );
    };
    let mut rows: Vec<Vec<Value>> = vec![Vec::new(); TEAMS_TYPES.len()];
    let mut bad: Vec<Option<String>> = vec![None; TEAMS_TYPES.len()];
    for (i, r) in resources.iter().enumerate() {
        let Some(resource_type) = r.get("resourceType").and_then(Value::as_str) else {
            return Err(format!(
                "resource {i} of the snapshot's extraction has no `resourceType`: its shape is unknown"
            ));
        };
        let Some(t) = TEAMS_TYPES
            .iter()
            .position(|t| t.resource_type.eq_ignore_ascii_case(resource_type.trim()))
        else {
            continue; // another workload's resource: not read here
        };
        match row(r) {
            Ok(Some(row)) => rows[t].push(row),
            Ok(None) => {} // `Ensure: Absent`: the policy does not exist
            Err(why) => {
                bad[t].get_or_insert(format!("{resource_type} resource {i}: {why}"));
            }
        }
    }
    let mut out = Mapped::default();
    for (t, (rows, bad)) in TEAMS_TYPES.iter().zip(rows.into_iter().zip(bad)) {
        if let Some(why) = bad {
            out.failed.push((
                t.command.to_string(),
                format!("{why}, so `{}` is not read from this snapshot", t.key),
            ));
        } else if rows.is_empty() {
            out.failed.push((
                t.command.to_string(),
                format!(
                    "the snapshot's extraction holds no {} resource, though the snapshot job lists it",
                    t.resource_type
                ),
            ));
        } else {
            out.sections.insert(t.key.to_string(), Value::Array(rows));
            out.ok.push(t.command.to_string());
        }
    }
    Ok(out)
}

/// One resource's row: its `properties`, less `Ensure`; `None` when `Ensure` is `Absent`.
fn row(resource: &Value) -> Result<Option<Value>, String> {
    let Some(props) = resource.get("properties").and_then(Value::as_object) else {
        return Err("its `properties` is not an object".to_string());
    };
    if props
        .get("Identity")
        .and_then(Value::as_str)
        .is_none_or(|s| s.trim().is_empty())
    {
        return Err("its `properties` has no `Identity`".to_string());
    }
    match props.get("Ensure") {
        None => {}
        Some(Value::String(e)) if e.eq_ignore_ascii_case("Present") => {}
        Some(Value::String(e)) if e.eq_ignore_ascii_case("Absent") => return Ok(None),
        Some(other) => {
            return Err(format!(
                "its `Ensure` is {other}, neither Present nor Absent"
            ));
        }
    }
    let mut out = props.clone();
    out.remove("Ensure");
    Ok(Some(Value::Object(out)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all_types() -> Vec<Value> {
        TEAMS_TYPES
            .iter()
            .map(|t| json!({"displayName": "Global", "resourceType": t.resource_type, "properties": {"Identity": "Global", "Ensure": "Present"}}))
            .collect()
    }

    #[test]
    fn each_resource_type_fills_its_section_without_ensure() {
        let m = map(&json!({"resources": all_types()})).unwrap();
        assert!(m.failed.is_empty(), "{:?}", m.failed);
        assert_eq!(m.ok.len(), 5);
        assert_eq!(
            m.sections["meeting_policies"],
            json!([{"Identity": "Global"}])
        );
    }

    #[test]
    fn absent_and_unknown_shapes_are_never_rows() {
        let mut r = all_types();
        r[0]["properties"]["Ensure"] = json!("Absent");
        r[1]["properties"] = json!("Global");
        let m = map(&json!({"resources": r})).unwrap();
        let failed: Vec<&str> = m.failed.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(
            failed,
            [
                "Get-CsTeamsMeetingPolicy",
                "Get-CsTenantFederationConfiguration"
            ]
        );
        assert!(!m.sections.contains_key("meeting_policies"));
        assert!(map(&json!({"value": []})).is_err());
        assert!(map(&json!({"resources": [{"properties": {}}]})).is_err());
    }

    #[test]
    fn missing_types_are_named_case_insensitively() {
        let listed = vec![
            "microsoft.teams.meetingpolicy".to_string(),
            "Microsoft.Teams.FederationConfiguration".to_string(),
        ];
        assert_eq!(
            missing_types(&listed),
            [
                "microsoft.teams.clientConfiguration",
                "microsoft.teams.appPermissionPolicy",
                "microsoft.teams.meetingBroadcastPolicy"
            ]
        );
    }
}
