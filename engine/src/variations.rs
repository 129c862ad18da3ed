//! Named, realistic configuration changes applied to a snapshot, for demo histories.
//!
//! Each variation mutates the snapshot JSON the way an administrator's change would, and
//! flips the verdict of at least one check on the sample tenant; some improve the posture,
//! some regress it.

use serde_json::{Value, json};

use crate::snapshot::Snapshot;

/// One named change.
#[derive(Clone, Copy, Debug)]
pub struct Variation {
    /// Stable name, e.g. "enable_smtp_auth".
    pub name: &'static str,
    /// One-line description of the change.
    pub description: &'static str,
    /// True when the change improves the security posture.
    pub improves: bool,
    apply: fn(&mut Value),
}

/// A toggle name that is not in [`names`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variation {0:?}")]
pub struct UnknownVariation(pub String);

/// Applies `f` to every object of a settings group (list or single object).
fn each(v: &mut Value, key: &str, f: impl Fn(&mut serde_json::Map<String, Value>)) {
    match v.get_mut(key) {
        Some(Value::Array(a)) => a.iter_mut().filter_map(Value::as_object_mut).for_each(f),
        Some(Value::Object(o)) => f(o),
        _ => {}
    }
}

fn set(v: &mut Value, key: &str, field: &str, value: Value) {
    each(v, key, |o| {
        o.insert(field.to_string(), value.clone());
    });
}

fn disable_ca(v: &mut Value, pred: fn(&Value) -> bool) {
    if let Some(Value::Array(a)) = v.get_mut("conditional_access_policies") {
        for p in a.iter_mut().filter(|p| pred(p)) {
            if let Some(o) = p.as_object_mut() {
                o.insert("State".into(), json!("disabled"));
            }
        }
    }
}

fn push(v: &mut Value, key: &str, item: Value) {
    match v.get_mut(key) {
        Some(Value::Array(a)) => a.push(item),
        _ => {
            if let Some(o) = v.as_object_mut() {
                o.insert(key.to_string(), json!([item]));
            }
        }
    }
}

fn has(p: &Value, pointer: &str, item: &str) -> bool {
    p.pointer(pointer)
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(item)))
}

fn ca_policy(name: &str, grant: Value) -> Value {
    json!({
        "DisplayName": name,
        "State": "enabled",
        "Conditions": {
            "ClientAppTypes": ["all"],
            "Applications": { "IncludeApplications": ["All"], "ExcludeApplications": [], "IncludeUserActions": [] },
            "Users": { "IncludeUsers": ["All"], "ExcludeUsers": [], "IncludeGroups": [], "ExcludeGroups": [], "IncludeRoles": [], "ExcludeRoles": [] },
            "UserRiskLevels": [],
            "SignInRiskLevels": []
        },
        "GrantControls": grant,
        "SessionControls": null
    })
}

static ALL: &[Variation] = &[
    Variation {
        name: "disable_legacy_auth_block",
        description: "Turn off the conditional access policy that blocks legacy authentication.",
        improves: false,
        apply: |v| {
            disable_ca(v, |p| {
                has(p, "/Conditions/ClientAppTypes", "other")
                    && has(p, "/GrantControls/BuiltInControls", "block")
            })
        },
    },
    Variation {
        name: "disable_mfa_all_users",
        description: "Turn off the conditional access policies that require MFA for all users.",
        improves: false,
        apply: |v| {
            disable_ca(v, |p| {
                has(p, "/GrantControls/BuiltInControls", "mfa")
                    || p.pointer("/GrantControls/AuthenticationStrength/AllowedCombinations")
                        .is_some()
            })
        },
    },
    Variation {
        name: "enforce_phishing_resistant_mfa",
        description: "Add a conditional access policy requiring phishing-resistant MFA for all users.",
        improves: true,
        apply: |v| {
            push(
                v,
                "conditional_access_policies",
                ca_policy(
                    "Require phishing-resistant MFA",
                    json!({
                        "Operator": "OR", "BuiltInControls": [],
                        "AuthenticationStrength": { "DisplayName": "Phishing-resistant MFA", "AllowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"] }
                    }),
                ),
            )
        },
    },
    Variation {
        name: "restrict_app_registration",
        description: "Stop non-admin users registering applications and creating tenants.",
        improves: true,
        apply: |v| {
            each(v, "authorization_policies", |o| {
                if let Some(Value::Object(d)) = o.get_mut("DefaultUserRolePermissions") {
                    d.insert("AllowedToCreateApps".into(), json!(false));
                    d.insert("AllowedToCreateTenants".into(), json!(false));
                }
            })
        },
    },
    Variation {
        name: "complete_auth_methods_migration",
        description: "Complete the migration to the authentication methods policy.",
        improves: true,
        apply: |v| {
            each(v, "authentication_method", |o| {
                if let Some(Value::Object(p)) = o.get_mut("authentication_method_policy") {
                    p.insert("PolicyMigrationState".into(), json!("migrationComplete"));
                }
            })
        },
    },
    Variation {
        name: "enable_smtp_auth",
        description: "Re-enable SMTP client authentication organisation-wide.",
        improves: false,
        apply: |v| {
            set(
                v,
                "transport_config",
                "SmtpClientAuthenticationDisabled",
                json!(false),
            )
        },
    },
    Variation {
        name: "enable_auto_forwarding",
        description: "Allow automatic forwarding to all remote domains.",
        improves: false,
        apply: |v| set(v, "remote_domains", "AutoForwardEnabled", json!(true)),
    },
    Variation {
        name: "weaken_dmarc",
        description: "Relax every DMARC record to p=none without reports.",
        improves: false,
        apply: |v| {
            each(v, "dmarc_records", |o| {
                o.insert("rdata".into(), json!(["v=DMARC1; p=none;"]));
            })
        },
    },
    Variation {
        name: "disable_mailbox_audit",
        description: "Disable mailbox auditing for the organisation.",
        improves: false,
        apply: |v| set(v, "org_config", "AuditDisabled", json!(true)),
    },
    Variation {
        name: "disable_audit_log",
        description: "Turn off unified audit log ingestion.",
        improves: false,
        apply: |v| {
            set(
                v,
                "admin_audit_log_config",
                "UnifiedAuditLogIngestionEnabled",
                json!(false),
            )
        },
    },
    Variation {
        name: "disable_safe_attachments_spo",
        description: "Turn off Safe Attachments for SharePoint, OneDrive and Teams.",
        improves: false,
        apply: |v| {
            set(
                v,
                "atp_policy_for_o365",
                "EnableATPForSPOTeamsODB",
                json!(false),
            )
        },
    },
    Variation {
        name: "allow_anyone_links",
        description: "Open SharePoint and OneDrive sharing to Anyone links that never expire.",
        improves: false,
        apply: |v| {
            each(v, "SPO_tenant", |o| {
                o.insert("SharingCapability".into(), json!(2));
                o.insert("ODBSharingCapability".into(), json!(2));
                o.insert("RequireAnonymousLinksExpireInDays".into(), json!(-1));
            })
        },
    },
    Variation {
        name: "expire_guest_access",
        description: "Make guest access to sites expire after 30 days and block infected downloads.",
        improves: true,
        apply: |v| {
            each(v, "SPO_tenant", |o| {
                o.insert("ExternalUserExpirationRequired".into(), json!(true));
                o.insert("ExternalUserExpireInDays".into(), json!(30));
                o.insert("DisallowInfectedFileDownload".into(), json!(true));
            })
        },
    },
    Variation {
        name: "block_anonymous_meeting_join",
        description: "Stop anonymous users joining or chatting in meetings (Global policy).",
        improves: true,
        apply: |v| {
            each(v, "meeting_policies", |o| {
                if o.get("Identity").and_then(Value::as_str) == Some("Global") {
                    o.insert("AllowAnonymousUsersToJoinMeeting".into(), json!(false));
                    o.insert(
                        "MeetingChatEnabledType".into(),
                        json!("EnabledExceptAnonymous"),
                    );
                }
            })
        },
    },
    Variation {
        name: "open_teams_external_access",
        description: "Allow Teams external access with every domain and unmanaged accounts.",
        improves: false,
        apply: |v| {
            each(v, "federation_configuration", |o| {
                o.insert("AllowFederatedUsers".into(), json!(true));
                o.insert("AllowedDomains".into(), json!([]));
                o.insert("AllowTeamsConsumer".into(), json!(true));
                o.insert("AllowTeamsConsumerInbound".into(), json!(true));
            })
        },
    },
    Variation {
        name: "create_power_platform_dlp",
        description: "Create a Power Platform DLP policy covering all environments.",
        improves: true,
        apply: |v| {
            let policy = json!({ "displayName": "Tenant-wide connector guardrails", "environmentType": "AllEnvironments", "environments": [] });
            match v.pointer_mut("/dlp_policies/0/value") {
                Some(Value::Array(a)) => a.push(policy),
                _ => {
                    if let Some(o) = v.as_object_mut() {
                        o.insert("dlp_policies".into(), json!([{ "value": [policy] }]));
                    }
                }
            }
        },
    },
    Variation {
        name: "allow_environment_creation",
        description: "Let every user create Power Platform production and trial environments.",
        improves: false,
        apply: |v| {
            each(v, "environment_creation", |o| {
                o.insert(
                    "disableEnvironmentCreationByNonAdminUsers".into(),
                    json!(false),
                );
                o.insert(
                    "disableTrialEnvironmentCreationByNonAdminUsers".into(),
                    json!(false),
                );
            })
        },
    },
];

/// Every variation.
pub fn all() -> &'static [Variation] {
    ALL
}

/// The names of every variation, in a stable order.
pub fn names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| ALL.iter().map(|v| v.name).collect())
}

/// The one-line description of a variation.
pub fn describe(name: &str) -> Option<&'static str> {
    ALL.iter().find(|v| v.name == name).map(|v| v.description)
}

/// Applies the named variations in order; names not in [`names`] are ignored
/// (use [`try_apply`] to reject them).
pub fn apply(snapshot: &mut Snapshot, toggles: &[&str]) {
    for t in toggles {
        if let Some(v) = ALL.iter().find(|v| v.name == *t) {
            (v.apply)(snapshot.value_mut());
        }
    }
}

/// Applies the named variations in order. Unknown names are rejected before any change is made.
pub fn try_apply(snapshot: &mut Snapshot, toggles: &[&str]) -> Result<(), UnknownVariation> {
    if let Some(unknown) = toggles.iter().find(|t| !ALL.iter().any(|v| v.name == **t)) {
        return Err(UnknownVariation((*unknown).to_string()));
    }
    apply(snapshot, toggles);
    Ok(())
}
