//! Exemptions an operator declared in ScubaGear's configuration file, as the snapshot carries
//! it (`scuba_config`, which ScubaGear copies into its export). ScubaGear honours them, and so do
//! the checks citing the same SCuBA policy, with the same meaning:
//!
//! - `Aad[policy].CapExclusions` (`Users`, `Groups`, `Applications`, `GuestUserTypes`): a
//!   conditional access policy that excludes users, groups, applications or guest and external
//!   user types still counts for the policy when every one it excludes is declared there
//!   (MS.AAD.1.1, 2.1, 2.3, 3.1, 3.2, 3.6, 3.7, 3.8, 3.9).
//! - `Aad["MS.AAD.7.4v1"].RoleExclusions` (`Users`, `Groups`): a privileged role whose
//!   permanent active assignments all go to declared principals is not counted against it.
//! - `Exo["MS.EXO.1.1v2"].AllowedForwardingDomains`: remote domains allowed to receive
//!   automatic forwarding (the default domain `*` is never allowed).
//! - `Defender[policy].SensitiveAccounts` (MS.DEFENDER.1.4v1, 1.5v1): the scope the Strict
//!   preset must have (included and excluded users, groups and domains) when it does not apply
//!   to everyone.
//! - `Defender[policy].SensitiveUsers`, `AgencyDomains`, `PartnerDomains` (MS.DEFENDER.2.1v1,
//!   2.2v1, 2.3v1): users and domains that must be among those the Standard and Strict presets
//!   protect from impersonation. These name what to check, never what to skip.
//! - `SecuritySuite[policy].SensitiveUsers`, `PartnerDomains` (MS.SECURITYSUITE.2.1v1, 2.3v1,
//!   ScubaGear's main branch): the same lists for the Security Suite policies, which read the
//!   Defender entry of the policy they replace when they have none of their own.
//!
//! The configuration is read, never trusted for its shape: a section, policy entry or list of
//! an unknown shape (not an object, a list holding something other than strings) grants nothing,
//! as if it were absent. Only the snapshot supplies exemptions, so a live scan grants a tenant's
//! operator-declared ones by writing them into the snapshot's `scuba_config`.
//!
//! A finding that passes, or is decided, only thanks to an exemption says so: which accounts,
//! groups, applications or domains were exempted and that they come from [`SOURCE`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::snapshot::Snapshot;

/// Where exemptions come from, in the words of findings.
pub const SOURCE: &str = "the export's ScubaGear configuration (`scuba_config`)";

/// Policies ScubaGear's v1.8.0 tag names by an older version than the results it reports (and
/// our checks cite): a configuration written for either id holds the same requirement's
/// exemptions. The cited id's entry is used when present, else the older one's.
const OLDER_IDS: &[(&str, &str)] = &[
    ("MS.AAD.3.2v2", "MS.AAD.3.2v1"),
    ("MS.AAD.3.5v2", "MS.AAD.3.5v1"),
    ("MS.EXO.2.2v3", "MS.EXO.2.2v2"),
];

/// The exclusions a conditional access policy may have and still count for one SCuBA policy
/// (`CapExclusions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapExclusions {
    pub users: BTreeSet<String>,
    pub groups: BTreeSet<String>,
    pub applications: BTreeSet<String>,
    pub guest_user_types: BTreeSet<String>,
}

/// The principals a privileged role may have permanent active assignments for
/// (`RoleExclusions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleExclusions {
    pub users: BTreeSet<String>,
    pub groups: BTreeSet<String>,
}

impl RoleExclusions {
    /// Whether a principal id is declared, as a user or as a group (ScubaGear does not tell
    /// them apart either).
    pub fn allows(&self, principal: &str) -> bool {
        self.users.contains(principal) || self.groups.contains(principal)
    }
}

/// The scope the Strict preset must have for a SCuBA policy (`SensitiveAccounts`), each list
/// trimmed as ScubaGear trims it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SensitiveAccounts {
    pub included_users: BTreeSet<String>,
    pub excluded_users: BTreeSet<String>,
    pub included_groups: BTreeSet<String>,
    pub excluded_groups: BTreeSet<String>,
    pub included_domains: BTreeSet<String>,
    pub excluded_domains: BTreeSet<String>,
}

impl SensitiveAccounts {
    /// Whether no list names anything.
    pub fn is_empty(&self) -> bool {
        self.included_users.is_empty()
            && self.excluded_users.is_empty()
            && self.included_groups.is_empty()
            && self.excluded_groups.is_empty()
            && self.included_domains.is_empty()
            && self.excluded_domains.is_empty()
    }
}

/// The exemptions of one snapshot; empty when it has no (readable) ScubaGear configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exemptions {
    cap: BTreeMap<String, CapExclusions>,
    roles: BTreeMap<String, RoleExclusions>,
    forwarding: BTreeMap<String, BTreeSet<String>>,
    sensitive_accounts: BTreeMap<String, SensitiveAccounts>,
    /// Per policy and list name (`SensitiveUsers`, `AgencyDomains`, `PartnerDomains`).
    protected: BTreeMap<(String, String), BTreeSet<String>>,
}

/// The Defender lists of what must be protected from impersonation.
const PROTECTED_LISTS: [&str; 3] = ["SensitiveUsers", "AgencyDomains", "PartnerDomains"];

/// A list of strings: absent or null is empty; nulls inside are skipped (ScubaGear skips them);
/// any other shape is `None`, which grants nothing.
fn string_set(v: Option<&Value>) -> Option<BTreeSet<String>> {
    match v {
        None | Some(Value::Null) => Some(BTreeSet::new()),
        Some(Value::Array(a)) => a
            .iter()
            .filter(|x| !x.is_null())
            .map(|x| x.as_str().map(str::to_string))
            .collect(),
        Some(_) => None,
    }
}

/// The object at `key`, when it is one.
fn object<'a>(v: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    v.get(key).and_then(Value::as_object)
}

/// Each policy entry of a product's section (`Aad`, `Exo`, `Defender`) that is an object.
fn policies<'a>(
    config: &'a Map<String, Value>,
    product: &str,
) -> impl Iterator<Item = (&'a String, &'a Map<String, Value>)> {
    object(config, product)
        .into_iter()
        .flat_map(|o| o.iter())
        .filter_map(|(id, v)| v.as_object().map(|o| (id, o)))
}

/// Reads the named lists of an entry's object at `key`; `None` (nothing granted) when the
/// object is absent or not one, or when any of the lists has an unknown shape.
fn lists<const N: usize>(
    entry: &Map<String, Value>,
    key: &str,
    names: [&str; N],
) -> Option<[BTreeSet<String>; N]> {
    let o = object(entry, key)?;
    let mut out: [BTreeSet<String>; N] = std::array::from_fn(|_| BTreeSet::new());
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = string_set(o.get(name))?;
    }
    Some(out)
}

impl Exemptions {
    /// The exemptions the snapshot's `scuba_config` declares.
    pub fn of(snap: &Snapshot) -> Exemptions {
        match snap.value().get("scuba_config") {
            Some(Value::Object(config)) => Self::parse(config),
            _ => Exemptions::default(),
        }
    }

    fn parse(config: &Map<String, Value>) -> Exemptions {
        let mut out = Exemptions::default();
        for (id, entry) in policies(config, "Aad") {
            if let Some([users, groups, applications, guest_user_types]) = lists(
                entry,
                "CapExclusions",
                ["Users", "Groups", "Applications", "GuestUserTypes"],
            ) {
                out.cap.insert(
                    id.clone(),
                    CapExclusions {
                        users,
                        groups,
                        applications,
                        guest_user_types,
                    },
                );
            }
            if let Some([users, groups]) = lists(entry, "RoleExclusions", ["Users", "Groups"]) {
                out.roles
                    .insert(id.clone(), RoleExclusions { users, groups });
            }
        }
        for (id, entry) in policies(config, "Exo") {
            if let Some(domains) = string_set(entry.get("AllowedForwardingDomains")) {
                out.forwarding.insert(id.clone(), domains);
            }
        }
        for (id, entry) in policies(config, "Defender") {
            if let Some([iu, eu, ig, eg, id_, ed]) = lists(
                entry,
                "SensitiveAccounts",
                [
                    "IncludedUsers",
                    "ExcludedUsers",
                    "IncludedGroups",
                    "ExcludedGroups",
                    "IncludedDomains",
                    "ExcludedDomains",
                ],
            ) {
                let trim = |s: BTreeSet<String>| s.iter().map(|x| x.trim().to_string()).collect();
                out.sensitive_accounts.insert(
                    id.clone(),
                    SensitiveAccounts {
                        included_users: trim(iu),
                        excluded_users: trim(eu),
                        included_groups: trim(ig),
                        excluded_groups: trim(eg),
                        included_domains: trim(id_),
                        excluded_domains: trim(ed),
                    },
                );
            }
            out.add_protected(id, entry);
        }
        for (id, entry) in policies(config, "SecuritySuite") {
            out.add_protected(id, entry);
        }
        out
    }

    /// The protected users and domains a Defender or Security Suite policy entry declares,
    /// compared as ScubaGear compares them: trimmed, in lower case.
    fn add_protected(&mut self, id: &str, entry: &Map<String, Value>) {
        for list in PROTECTED_LISTS {
            if let Some(names) = string_set(entry.get(list)) {
                let names = names
                    .iter()
                    .map(|u| u.trim().to_lowercase())
                    .filter(|u| !u.is_empty())
                    .collect();
                self.protected
                    .insert((id.to_string(), list.to_string()), names);
            }
        }
    }

    /// The entry of `map` for `policy`, or for the older id of the same requirement.
    fn entry<'a, T>(map: &'a BTreeMap<String, T>, policy: &str) -> Option<&'a T> {
        map.get(policy).or_else(|| {
            OLDER_IDS
                .iter()
                .find(|(cited, _)| *cited == policy)
                .and_then(|(_, older)| map.get(*older))
        })
    }

    /// The conditional access exclusions declared for a SCuBA policy (none when undeclared).
    pub fn cap_exclusions(&self, policy: &str) -> CapExclusions {
        Self::entry(&self.cap, policy).cloned().unwrap_or_default()
    }

    /// The principals declared for permanent privileged role assignments under a SCuBA policy.
    pub fn role_exclusions(&self, policy: &str) -> RoleExclusions {
        Self::entry(&self.roles, policy)
            .cloned()
            .unwrap_or_default()
    }

    /// The remote domains declared as allowed to receive automatic forwarding, without the
    /// default domain `*`, which the baseline never allows.
    pub fn allowed_forwarding_domains(&self, policy: &str) -> BTreeSet<String> {
        Self::entry(&self.forwarding, policy)
            .map(|d| d.iter().filter(|x| *x != "*").cloned().collect())
            .unwrap_or_default()
    }

    /// The Strict preset's scope declared for a SCuBA policy, when one is (and names anything).
    pub fn sensitive_accounts(&self, policy: &str) -> Option<&SensitiveAccounts> {
        self.sensitive_accounts
            .get(policy)
            .filter(|a| !a.is_empty())
    }

    fn protected(&self, policy: &str, list: &str) -> BTreeSet<String> {
        self.protected
            .get(&(policy.to_string(), list.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// The users declared sensitive for a SCuBA policy (`SensitiveUsers`; trimmed, lower case),
    /// which the presets must protect from impersonation.
    pub fn sensitive_users(&self, policy: &str) -> BTreeSet<String> {
        self.protected(policy, "SensitiveUsers")
    }

    /// The organisation's own domains as declared for a SCuBA policy (`AgencyDomains`;
    /// trimmed, lower case), which the presets must protect from impersonation.
    pub fn agency_domains(&self, policy: &str) -> BTreeSet<String> {
        self.protected(policy, "AgencyDomains")
    }

    /// The partner domains declared for a SCuBA policy (`PartnerDomains`; trimmed, lower case),
    /// which the presets must protect from impersonation.
    pub fn partner_domains(&self, policy: &str) -> BTreeSet<String> {
        self.protected(policy, "PartnerDomains")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn of(config: Value) -> Exemptions {
        let snap =
            Snapshot::from_value(json!({ "tenant_id": "t", "scuba_config": config })).unwrap();
        Exemptions::of(&snap)
    }

    #[test]
    fn reads_declared_exemptions() {
        let e = of(json!({
            "Aad": {
                "MS.AAD.1.1v1": { "CapExclusions": { "Users": ["u1", null], "Groups": ["g1"] } },
                "MS.AAD.7.4v1": { "RoleExclusions": { "Users": ["u2"], "Groups": null } }
            },
            "Exo": { "MS.EXO.1.1v2": { "AllowedForwardingDomains": ["partner.example", "*"] } },
            "Defender": {
                "MS.DEFENDER.2.1v1": { "SensitiveUsers": [" Ceo@Example.com "] },
                "MS.DEFENDER.2.2v1": { "AgencyDomains": ["Example.com"] },
                "MS.DEFENDER.2.3v1": { "PartnerDomains": "partner.example" }
            }
        }));
        let cap = e.cap_exclusions("MS.AAD.1.1v1");
        assert_eq!(cap.users, BTreeSet::from(["u1".to_string()]));
        assert_eq!(cap.groups, BTreeSet::from(["g1".to_string()]));
        assert!(cap.applications.is_empty() && cap.guest_user_types.is_empty());
        assert!(e.role_exclusions("MS.AAD.7.4v1").allows("u2"));
        assert!(!e.role_exclusions("MS.AAD.7.4v1").allows("u1"));
        assert_eq!(
            e.allowed_forwarding_domains("MS.EXO.1.1v2"),
            BTreeSet::from(["partner.example".to_string()])
        );
        assert_eq!(
            e.sensitive_users("MS.DEFENDER.2.1v1"),
            BTreeSet::from(["ceo@example.com".to_string()])
        );
        assert_eq!(
            e.agency_domains("MS.DEFENDER.2.2v1"),
            BTreeSet::from(["example.com".to_string()])
        );
        assert!(e.partner_domains("MS.DEFENDER.2.3v1").is_empty());
        // Declared for one policy, granted for no other.
        assert_eq!(e.cap_exclusions("MS.AAD.2.1v1"), CapExclusions::default());
    }

    #[test]
    fn an_older_id_of_the_same_requirement_is_read() {
        let e = of(json!({ "Aad": { "MS.AAD.3.2v1": { "CapExclusions": { "Users": ["u1"] } } } }));
        assert!(e.cap_exclusions("MS.AAD.3.2v2").users.contains("u1"));
    }

    #[test]
    fn malformed_configuration_grants_nothing() {
        for config in [
            json!("not an object"),
            json!([]),
            json!(null),
            json!({ "Aad": ["MS.AAD.1.1v1"] }),
            json!({ "Aad": { "MS.AAD.1.1v1": "everyone" } }),
            json!({ "Aad": { "MS.AAD.1.1v1": { "CapExclusions": ["u1"] } } }),
            json!({ "Aad": { "MS.AAD.1.1v1": { "CapExclusions": { "Users": "u1" } } } }),
            json!({ "Aad": { "MS.AAD.1.1v1": { "CapExclusions": { "Users": ["u1"], "Groups": [{"id": "g1"}] } } } }),
            json!({ "Aad": { "MS.AAD.1.1v1": { "CapExclusions": { "Users": [1] } } } }),
            json!({ "Exo": { "MS.EXO.1.1v2": { "AllowedForwardingDomains": "partner.example" } } }),
            json!({ "Aad": { "MS.AAD.7.4v1": { "RoleExclusions": { "Users": {"u2": true} } } } }),
        ] {
            let e = of(config.clone());
            assert_eq!(
                e.cap_exclusions("MS.AAD.1.1v1"),
                CapExclusions::default(),
                "{config}"
            );
            assert_eq!(
                e.role_exclusions("MS.AAD.7.4v1"),
                RoleExclusions::default(),
                "{config}"
            );
            assert!(
                e.allowed_forwarding_domains("MS.EXO.1.1v2").is_empty(),
                "{config}"
            );
        }
        let snap = Snapshot::from_value(json!({ "tenant_id": "t" })).unwrap();
        assert_eq!(Exemptions::of(&snap), Exemptions::default());
    }
}
