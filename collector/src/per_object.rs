//! Per-object reads of large tenants (CIS 1.1.4, 1.2.1, 1.2.2, 5.2.3.4 and 6.1.2): users,
//! groups, registration details and mailboxes, read page by page and folded into bounded
//! summaries of the snapshot's `aether365` section. No summary grows with the tenant: each
//! keeps counts and at most [`EXAMPLES`] offending objects (mailbox audit: at most
//! [`AUDIT_CONFIGURATIONS`] distinct configurations), so memory is bounded by the page size.
//! The one exception is the set of shared mailboxes' directory ids (16 bytes each) that the
//! sign-in join of CIS 1.2.2 needs.
//!
//! Every read reports how many objects it has read so far ([`ObjectsRead`]) after each page.

use std::collections::{BTreeMap, HashSet};

use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::endpoints::scope_of;
use crate::entra::GraphReader;
use crate::graph::GraphClient;
use crate::request::{AllowedCmdlet, ReadRequest};
use crate::services::{AETHER365_SECTION, AETHER365_VERSION, EXO_PERMISSION, ServiceRun, anchor};
use crate::transport::Session;
use crate::{CollectedService, Endpoints, ObjectsRead, ReadError, TenantTarget};

/// Offending objects kept per summary, beside their total count.
pub const EXAMPLES: usize = 100;
/// Distinct mailbox audit configurations kept; mailboxes with any other are only counted.
pub const AUDIT_CONFIGURATIONS: usize = 50;
/// Mailboxes named per audit configuration.
pub const AUDIT_EXAMPLES: usize = 10;

/// Graph's largest page of users and groups (`$top`).
const GRAPH_PAGE: u32 = 999;

/// Called after each page with the objects read so far.
pub(crate) type OnObjects<'a> = &'a (dyn Fn(ObjectsRead) + Send + Sync);

/// The commands of this module: the name recorded in `*_successful_commands`, and the key of
/// the `aether365` section it fills (the engine's `snapshot::AETHER365_SOURCES`).
pub(crate) mod cmd {
    /// CIS 1.1.4: privileged users' licences.
    pub const ADMIN_LICENCES: &str = "Get-MgUser -Property AssignedLicenses";
    /// CIS 1.2.1: Microsoft 365 groups' visibility.
    pub const UNIFIED_GROUPS: &str = "Get-MgGroup -Filter groupTypes/any(c:c eq 'Unified')";
    /// CIS 5.2.3.4: member users' MFA capability.
    pub const MFA_CAPABILITY: &str = "Get-MgReportAuthenticationMethodUserRegistrationDetail";
    /// CIS 1.2.2: shared mailboxes joined with their users' `accountEnabled`.
    pub const SHARED_MAILBOXES: &str = "Get-Mailbox -RecipientTypeDetails SharedMailbox";
    /// CIS 6.1.2: user mailboxes' audit settings.
    pub const MAILBOX_AUDIT: &str = "Get-Mailbox -RecipientTypeDetails UserMailbox";
}

/// The `aether365` keys this module fills, with their command and service prefix (checked
/// against the engine's `snapshot::AETHER365_SOURCES` by the tests).
#[cfg(test)]
pub(crate) const KEYS: &[(&str, &str, &str)] = &[
    ("privileged_user_licences", cmd::ADMIN_LICENCES, "aad"),
    ("unified_group_visibility", cmd::UNIFIED_GROUPS, "aad"),
    ("member_mfa_capability", cmd::MFA_CAPABILITY, "aad"),
    ("shared_mailbox_sign_in", cmd::SHARED_MAILBOXES, "exo"),
    ("mailbox_audit_actions", cmd::MAILBOX_AUDIT, "exo"),
];

/// A count and the first [`EXAMPLES`] objects counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capped<T> {
    /// How many objects there are.
    pub count: u64,
    /// The first of them, in the order read.
    pub examples: Vec<T>,
}

impl<T> Default for Capped<T> {
    fn default() -> Self {
        Capped {
            count: 0,
            examples: Vec::new(),
        }
    }
}

impl<T> Capped<T> {
    fn push(&mut self, item: T) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(item);
        }
    }
}

/// A user named in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRef {
    /// The object id.
    pub id: String,
    /// The user principal name.
    pub user_principal_name: String,
}

/// One privileged user's licences (CIS 1.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminLicences {
    /// The object id.
    pub id: String,
    /// The user principal name.
    pub user_principal_name: String,
    /// The `skuId` of every assigned licence.
    pub assigned_sku_ids: Vec<String>,
}

/// `privileged_user_licences`: every privileged user (the export's `privileged_users`, a set
/// bounded by the roles, not by the tenant) with its licences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivilegedUserLicences {
    /// The privileged users read.
    pub users: Vec<AdminLicences>,
}

/// A group named in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupRef {
    /// The object id.
    pub id: String,
    /// The display name.
    pub display_name: String,
}

/// `unified_group_visibility` (CIS 1.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct UnifiedGroupVisibility {
    /// Microsoft 365 groups read.
    pub groups: u64,
    /// Those whose `visibility` is `Public`.
    pub public: Capped<GroupRef>,
    /// Those whose `visibility` is absent or null (not decided either way).
    pub unknown_visibility: Capped<GroupRef>,
}

/// `member_mfa_capability` (CIS 5.2.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MemberMfaCapability {
    /// Member users read.
    pub members: u64,
    /// Those whose `isMfaCapable` is false.
    pub not_mfa_capable: Capped<UserRef>,
}

/// `shared_mailbox_sign_in` (CIS 1.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SharedMailboxSignIn {
    /// Shared mailboxes read.
    pub shared_mailboxes: u64,
    /// Those whose user account is enabled (`accountEnabled` true): sign-in is allowed.
    pub sign_in_enabled: Capped<UserRef>,
    /// Those without an `ExternalDirectoryObjectId` (their account could not be looked up).
    pub without_directory_id: Capped<String>,
    /// Enabled users read from Graph for the join.
    pub enabled_users_read: u64,
}

/// One distinct audit configuration and the user mailboxes that have it (CIS 6.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditConfiguration {
    /// `AuditEnabled` (null when the mailbox did not say).
    pub audit_enabled: Option<bool>,
    /// `AuditAdmin`, sorted (null when absent).
    pub audit_admin: Option<Vec<String>>,
    /// `AuditDelegate`, sorted (null when absent).
    pub audit_delegate: Option<Vec<String>>,
    /// `AuditOwner`, sorted (null when absent).
    pub audit_owner: Option<Vec<String>>,
    /// How many user mailboxes have it.
    pub mailboxes: u64,
    /// The first [`AUDIT_EXAMPLES`] of them (user principal names).
    pub examples: Vec<String>,
}

/// `mailbox_audit_actions` (CIS 6.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MailboxAuditActions {
    /// User mailboxes read.
    pub mailboxes: u64,
    /// The distinct configurations, at most [`AUDIT_CONFIGURATIONS`].
    pub configurations: Vec<AuditConfiguration>,
    /// Mailboxes whose configuration is none of those kept (not judged).
    pub unrecorded_mailboxes: u64,
}

/// What [`entra`] and [`exchange`] give: for each command, its key and the summary, or the
/// reason it failed.
pub(crate) type Results = Vec<(&'static str, &'static str, Result<Value, ReadError>)>;

/// Records per-object reads in `run`: each summary in the `aether365` section, each command
/// in the successful or unsuccessful list.
pub(crate) fn record(run: &mut ServiceRun, results: Results) {
    let mut own = match run.sections.remove(AETHER365_SECTION) {
        Some(Value::Object(o)) => o,
        _ => {
            let mut o = Map::new();
            o.insert("version".into(), Value::from(AETHER365_VERSION));
            o
        }
    };
    for (key, command, result) in results {
        match result {
            Ok(summary) => {
                own.insert(key.to_string(), summary);
                run.success(command);
            }
            Err(e) => run.failure(command, &e),
        }
    }
    run.sections
        .insert(AETHER365_SECTION.to_string(), Value::Object(own));
}

fn to_value<T: Serialize>(what: &str, v: &T) -> Result<Value, ReadError> {
    serde_json::to_value(v).map_err(|e| ReadError::Malformed {
        what: what.to_string(),
        detail: format!("the summary could not be written: {e}"),
    })
}

/// A string property of a Graph or Exchange object.
fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The Entra reads: privileged users' licences, Microsoft 365 groups, registration details.
/// `privileged` is the export's `privileged_users` (keyed by object id), `None` when it could
/// not be read.
pub(crate) async fn entra(
    session: &Session,
    graph_base: &str,
    privileged: Option<&Map<String, Value>>,
    on_objects: OnObjects<'_>,
) -> Results {
    let graph = GraphClient::new(session, graph_base);
    let (licences, groups, mfa) = futures_util::join!(
        admin_licences(&graph, privileged, on_objects),
        unified_groups(&graph, on_objects),
        mfa_capability(&graph, on_objects),
    );
    vec![
        (
            "privileged_user_licences",
            cmd::ADMIN_LICENCES,
            licences.and_then(|v| to_value(cmd::ADMIN_LICENCES, &v)),
        ),
        (
            "unified_group_visibility",
            cmd::UNIFIED_GROUPS,
            groups.and_then(|v| to_value(cmd::UNIFIED_GROUPS, &v)),
        ),
        (
            "member_mfa_capability",
            cmd::MFA_CAPABILITY,
            mfa.and_then(|v| to_value(cmd::MFA_CAPABILITY, &v)),
        ),
    ]
}

/// Graph's `assignedLicense`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignedLicense {
    sku_id: Option<String>,
}

/// A user as `$select=id,userPrincipalName,assignedLicenses` gives it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LicensedUser {
    #[serde(default)]
    id: String,
    #[serde(default)]
    user_principal_name: String,
    assigned_licenses: Option<Vec<AssignedLicense>>,
}

async fn admin_licences(
    graph: &GraphClient<'_>,
    privileged: Option<&Map<String, Value>>,
    on_objects: OnObjects<'_>,
) -> Result<PrivilegedUserLicences, ReadError> {
    let Some(privileged) = privileged else {
        return Err(ReadError::Malformed {
            what: cmd::ADMIN_LICENCES.to_string(),
            detail: "the privileged users (Get-PrivilegedUser) were not read".into(),
        });
    };
    let reads = privileged.keys().map(|id| async move {
        let path = format!("/v1.0/users/{id}?$select=id,userPrincipalName,assignedLicenses");
        graph.get(&path).await
    });
    let mut users = Vec::new();
    for answer in join_all(reads).await {
        let user: LicensedUser =
            serde_json::from_value(answer?).map_err(|e| ReadError::Malformed {
                what: cmd::ADMIN_LICENCES.to_string(),
                detail: format!("a user is not a Graph user: {e}"),
            })?;
        let Some(licences) = user.assigned_licenses else {
            return Err(ReadError::Malformed {
                what: cmd::ADMIN_LICENCES.to_string(),
                detail: format!("user {} has no `assignedLicenses`", user.id),
            });
        };
        users.push(AdminLicences {
            id: user.id,
            user_principal_name: user.user_principal_name,
            assigned_sku_ids: licences.into_iter().filter_map(|l| l.sku_id).collect(),
        });
    }
    users.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));
    on_objects(ObjectsRead {
        service: CollectedService::Entra,
        what: "privileged users' licences",
        read: users.len() as u64,
    });
    Ok(PrivilegedUserLicences { users })
}

async fn unified_groups(
    graph: &GraphClient<'_>,
    on_objects: OnObjects<'_>,
) -> Result<UnifiedGroupVisibility, ReadError> {
    let path = format!(
        "/v1.0/groups?$filter=groupTypes/any(c:c%20eq%20'Unified')&$select=id,displayName,visibility&$top={GRAPH_PAGE}"
    );
    let mut pages = graph.pages(&path)?;
    let mut out = UnifiedGroupVisibility::default();
    while let Some(page) = pages.next_page().await? {
        for g in page {
            // The filter asks for Microsoft 365 groups; a group whose `groupTypes` (when the
            // answer carries it) lacks `Unified` is not one.
            if let Some(Value::Array(types)) = g.get("groupTypes")
                && !types.iter().any(|t| t.as_str() == Some("Unified"))
            {
                continue;
            }
            out.groups += 1;
            let r = GroupRef {
                id: text(&g, "id"),
                display_name: text(&g, "displayName"),
            };
            match g.get("visibility").and_then(Value::as_str) {
                Some(v) if v.eq_ignore_ascii_case("Public") => out.public.push(r),
                Some(_) => {}
                None => out.unknown_visibility.push(r),
            }
        }
        on_objects(ObjectsRead {
            service: CollectedService::Entra,
            what: "Microsoft 365 groups",
            read: out.groups,
        });
    }
    Ok(out)
}

async fn mfa_capability(
    graph: &GraphClient<'_>,
    on_objects: OnObjects<'_>,
) -> Result<MemberMfaCapability, ReadError> {
    let path = "/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=userType%20eq%20'member'&$select=id,userPrincipalName,userType,isMfaCapable";
    let mut pages = graph.pages(path)?;
    let mut out = MemberMfaCapability::default();
    while let Some(page) = pages.next_page().await? {
        for u in page {
            // The filter asks for members; a guest in the answer is not one.
            if u.get("userType")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.eq_ignore_ascii_case("member"))
            {
                continue;
            }
            let Some(capable) = u.get("isMfaCapable").and_then(Value::as_bool) else {
                return Err(ReadError::Malformed {
                    what: cmd::MFA_CAPABILITY.to_string(),
                    detail: format!("user {} has no boolean `isMfaCapable`", text(&u, "id")),
                });
            };
            out.members += 1;
            if !capable {
                out.not_mfa_capable.push(UserRef {
                    id: text(&u, "id"),
                    user_principal_name: text(&u, "userPrincipalName"),
                });
            }
        }
        on_objects(ObjectsRead {
            service: CollectedService::Entra,
            what: "member users' registration details",
            read: out.members,
        });
    }
    Ok(out)
}

/// The Exchange Online reads: shared mailboxes (joined with Graph's users) and user mailboxes'
/// audit settings.
pub(crate) async fn exchange(
    session: &Session,
    endpoints: &Endpoints,
    target: &TenantTarget,
    on_objects: OnObjects<'_>,
) -> Results {
    let (shared, audit) = futures_util::join!(
        shared_mailboxes(session, endpoints, target, on_objects),
        mailbox_audit(session, endpoints, target, on_objects),
    );
    vec![
        (
            "shared_mailbox_sign_in",
            cmd::SHARED_MAILBOXES,
            shared.and_then(|v| to_value(cmd::SHARED_MAILBOXES, &v)),
        ),
        (
            "mailbox_audit_actions",
            cmd::MAILBOX_AUDIT,
            audit.and_then(|v| to_value(cmd::MAILBOX_AUDIT, &v)),
        ),
    ]
}

/// `Get-Mailbox -RecipientTypeDetails {kind} -ResultSize Unlimited`, paged as the REST module
/// pages `InvokeCommand` (`Prefer: odata.maxpagesize`, `@odata.nextLink`).
fn get_mailbox(
    endpoints: &Endpoints,
    target: &TenantTarget,
    kind: &str,
) -> Result<ReadRequest, ReadError> {
    let mut params = Map::new();
    params.insert("RecipientTypeDetails".into(), Value::String(kind.into()));
    params.insert("ResultSize".into(), Value::String("Unlimited".into()));
    Ok(ReadRequest::invoke(
        &endpoints.exchange,
        &target.microsoft_tenant_id,
        AllowedCmdlet::GetMailbox,
        params,
    )?
    .header("X-AnchorMailbox", anchor(target)?)
    .permission(EXO_PERMISSION))
}

/// An object id as a number (16 bytes in the join set), `None` if it is not a GUID.
fn guid(id: &str) -> Option<u128> {
    uuid::Uuid::parse_str(id).ok().map(|u| u.as_u128())
}

async fn shared_mailboxes(
    session: &Session,
    endpoints: &Endpoints,
    target: &TenantTarget,
    on_objects: OnObjects<'_>,
) -> Result<SharedMailboxSignIn, ReadError> {
    let mut out = SharedMailboxSignIn::default();
    let scope = scope_of(&endpoints.exchange);
    let mut pages = session.pages(
        get_mailbox(endpoints, target, "SharedMailbox")?,
        Some(&scope),
    );
    let mut ids: HashSet<u128> = HashSet::new();
    while let Some(page) = pages.next_page().await? {
        for m in page {
            out.shared_mailboxes += 1;
            match guid(&text(&m, "ExternalDirectoryObjectId")) {
                Some(id) => {
                    ids.insert(id);
                }
                None => out.without_directory_id.push(text(&m, "UserPrincipalName")),
            }
        }
        on_objects(ObjectsRead {
            service: CollectedService::Exchange,
            what: "shared mailboxes",
            read: out.shared_mailboxes,
        });
    }
    if ids.is_empty() {
        return Ok(out);
    }
    // Their accounts: enabled users, page by page, joined on the object id.
    let graph = GraphClient::new(session, &endpoints.graph);
    let path = format!(
        "/v1.0/users?$filter=accountEnabled%20eq%20true&$select=id,userPrincipalName,accountEnabled&$top={GRAPH_PAGE}"
    );
    let mut users = graph.pages(&path)?;
    while let Some(page) = users.next_page().await? {
        for u in page {
            out.enabled_users_read += 1;
            if u.get("accountEnabled").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            let id = text(&u, "id");
            if guid(&id).is_some_and(|g| ids.contains(&g)) {
                out.sign_in_enabled.push(UserRef {
                    id,
                    user_principal_name: text(&u, "userPrincipalName"),
                });
            }
        }
        on_objects(ObjectsRead {
            service: CollectedService::Exchange,
            what: "enabled users (shared mailbox sign-in)",
            read: out.enabled_users_read,
        });
    }
    Ok(out)
}

/// A mailbox's audit action list, sorted; `None` when absent.
fn actions(m: &Value, key: &str) -> Option<Vec<String>> {
    let mut list: Vec<String> = match m.get(key)? {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        _ => return None,
    };
    list.sort();
    list.dedup();
    Some(list)
}

/// The key of a configuration: enabled, admin, delegate, owner.
type AuditKey = (
    Option<bool>,
    Option<Vec<String>>,
    Option<Vec<String>>,
    Option<Vec<String>>,
);

async fn mailbox_audit(
    session: &Session,
    endpoints: &Endpoints,
    target: &TenantTarget,
    on_objects: OnObjects<'_>,
) -> Result<MailboxAuditActions, ReadError> {
    let mut out = MailboxAuditActions::default();
    let scope = scope_of(&endpoints.exchange);
    let mut pages = session.pages(get_mailbox(endpoints, target, "UserMailbox")?, Some(&scope));
    let mut index: BTreeMap<AuditKey, usize> = BTreeMap::new();
    while let Some(page) = pages.next_page().await? {
        for m in page {
            out.mailboxes += 1;
            let key: AuditKey = (
                m.get("AuditEnabled").and_then(Value::as_bool),
                actions(&m, "AuditAdmin"),
                actions(&m, "AuditDelegate"),
                actions(&m, "AuditOwner"),
            );
            let slot = match index.get(&key) {
                Some(i) => Some(*i),
                None if out.configurations.len() < AUDIT_CONFIGURATIONS => {
                    let i = out.configurations.len();
                    out.configurations.push(AuditConfiguration {
                        audit_enabled: key.0,
                        audit_admin: key.1.clone(),
                        audit_delegate: key.2.clone(),
                        audit_owner: key.3.clone(),
                        mailboxes: 0,
                        examples: Vec::new(),
                    });
                    index.insert(key, i);
                    Some(i)
                }
                None => None,
            };
            match slot.and_then(|i| out.configurations.get_mut(i)) {
                Some(c) => {
                    c.mailboxes += 1;
                    if c.examples.len() < AUDIT_EXAMPLES {
                        c.examples.push(text(&m, "UserPrincipalName"));
                    }
                }
                None => out.unrecorded_mailboxes += 1,
            }
        }
        on_objects(ObjectsRead {
            service: CollectedService::Exchange,
            what: "user mailboxes' audit settings",
            read: out.mailboxes,
        });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capped_counts_everything_and_keeps_the_first() {
        let mut c = Capped::default();
        for i in 0..(EXAMPLES as u64 + 5) {
            c.push(i);
        }
        assert_eq!(c.count, EXAMPLES as u64 + 5);
        assert_eq!(c.examples.len(), EXAMPLES);
        assert_eq!(c.examples[0], 0);
    }

    #[test]
    fn guids_are_compared_as_numbers() {
        assert_eq!(
            guid("66b4d5c2-71c9-4644-8728-74e3a8324d81"),
            guid("66B4D5C2-71C9-4644-8728-74E3A8324D81")
        );
        assert_eq!(guid("not-a-guid"), None);
    }

    #[test]
    fn audit_actions_are_sorted_lists_or_absent() {
        let m = json!({"AuditAdmin": ["Update", "Copy", "Copy"], "AuditOwner": "Move, Create"});
        assert_eq!(
            actions(&m, "AuditAdmin"),
            Some(vec!["Copy".into(), "Update".into()])
        );
        assert_eq!(
            actions(&m, "AuditOwner"),
            Some(vec!["Create".into(), "Move".into()])
        );
        assert_eq!(actions(&m, "AuditDelegate"), None);
    }

    #[test]
    fn the_keys_are_the_ones_the_engine_reads() {
        for (key, command, prefix) in KEYS {
            assert!(
                aether365_engine::snapshot::AETHER365_SOURCES
                    .iter()
                    .any(|(k, c, p)| k == key && c == command && p == prefix),
                "{key}"
            );
        }
    }
}
