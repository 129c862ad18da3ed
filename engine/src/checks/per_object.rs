//! Checks over the per-object summaries of the snapshot's `aether365` section (CIS 1.1.4,
//! 1.2.1, 1.2.2, 5.2.3.4 and 6.1.2): the collector pages through every user, group and
//! mailbox and keeps counts and the first offending objects, so a finding says how many objects
//! fail and names examples.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{check, input};
use crate::check::{Check, Outcome};
use crate::model::Status;
use crate::snapshot::Snapshot;

/// A summary of the `aether365` section, parsed; an unknown shape is an error, never a pass.
fn summary<T: for<'de> Deserialize<'de>>(snap: &Snapshot, key: &str) -> Result<T, String> {
    let v = snap.section(key)?;
    T::deserialize(v).map_err(|e| format!("`{key}` has an unknown shape ({e})"))
}

/// A count and the first objects counted.
#[derive(Deserialize)]
struct Capped<T> {
    count: u64,
    examples: Vec<T>,
}

impl<T> Capped<T> {
    /// The examples' names.
    fn named<'a>(&'a self, name: impl Fn(&'a T) -> &'a str) -> Vec<String> {
        self.examples.iter().map(|e| name(e).to_string()).collect()
    }
}

#[derive(Deserialize)]
struct UserRef {
    id: String,
    user_principal_name: String,
}

fn upn(u: &UserRef) -> &str {
    if u.user_principal_name.is_empty() {
        &u.id
    } else {
        &u.user_principal_name
    }
}

/// "3 users" or "3 users (100 named)" when the examples are capped.
fn counted(count: u64, named: usize, one: &str, many: &str) -> String {
    let what = if count == 1 { one } else { many };
    if (named as u64) < count {
        format!("{count} {what} (the first {named} named)")
    } else {
        format!("{count} {what}")
    }
}

// ---- CIS 1.1.4 ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct AdminLicences {
    id: String,
    user_principal_name: String,
    assigned_sku_ids: Vec<String>,
}

#[derive(Deserialize)]
struct PrivilegedUserLicences {
    users: Vec<AdminLicences>,
}

/// The licences CIS accepts on an administrative account: Microsoft Entra ID P1 and P2, which
/// carry no productivity application.
pub(crate) const ADMIN_SKUS: &[&str] = &["AAD_PREMIUM", "AAD_PREMIUM_P2"];

/// CIS 1.1.4: every privileged user holds no licence, or only Entra ID P1 or P2.
fn admin_licence_footprint(snap: &Snapshot) -> Outcome {
    let s: PrivilegedUserLicences = input!(summary(snap, "privileged_user_licences"));
    if s.users.is_empty() {
        return Outcome::error(
            "`privileged_user_licences` names no privileged user, but every tenant has a Global Administrator: the read is incomplete",
        );
    }
    let skus = input!(snap.list("license_information"));
    let part_number = |id: &str| {
        skus.iter()
            .find(|s| {
                s.get("SkuId")
                    .and_then(Value::as_str)
                    .is_some_and(|x| x.eq_ignore_ascii_case(id))
            })
            .and_then(|s| s.get("SkuPartNumber").and_then(Value::as_str))
    };
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for u in &s.users {
        let name = if u.user_principal_name.is_empty() {
            u.id.clone()
        } else {
            u.user_principal_name.clone()
        };
        let mut ok = true;
        for sku in &u.assigned_sku_ids {
            match part_number(sku) {
                Some(p) if ADMIN_SKUS.contains(&p) => {}
                Some(_) => ok = false,
                None => {
                    return Outcome::error(format!(
                        "a privileged user holds licence {sku}, which is not among the tenant's subscribed SKUs (`license_information`)"
                    ));
                }
            }
        }
        if ok {
            good.push(name);
        } else {
            bad.push(name);
        }
    }
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "All {} privileged users hold no licence or only Microsoft Entra ID P1/P2.",
            good.len()
        ),
        format!(
            "{} of {} privileged users hold a licence with applications (only Microsoft Entra ID P1/P2 or none is allowed).",
            bad.len(),
            s.users.len()
        ),
        json!({ "privileged_users": s.users.len(), "with_applications": bad, "reduced_footprint": good }),
    )
    .about(subjects)
}

// ---- CIS 1.2.1 ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct GroupRef {
    id: String,
    display_name: String,
}

#[derive(Deserialize)]
struct UnifiedGroupVisibility {
    groups: u64,
    public: Capped<GroupRef>,
    unknown_visibility: Capped<GroupRef>,
}

/// CIS 1.2.1: no public Microsoft 365 group, or each public one approved. Approval is not in
/// Microsoft's data: public groups make the check `manual` with their count and names.
fn public_groups(snap: &Snapshot) -> Outcome {
    let s: UnifiedGroupVisibility = input!(summary(snap, "unified_group_visibility"));
    let name = |g: &GroupRef| -> String {
        if g.display_name.is_empty() {
            g.id.clone()
        } else {
            g.display_name.clone()
        }
    };
    if s.public.count > 0 {
        let names: Vec<String> = s.public.examples.iter().map(name).collect();
        return Outcome {
            status: Status::Manual,
            message: format!(
                "{} of {} Microsoft 365 groups are public: verify that each is managed and approved by the organisation (approval is not recorded in Microsoft 365).",
                counted(s.public.count, names.len(), "group", "groups"),
                s.groups
            ),
            evidence: json!({ "groups": s.groups, "public": s.public.count, "public_named": names }),
            subjects: names,
        };
    }
    if s.unknown_visibility.count > 0 {
        return Outcome::error(format!(
            "{} Microsoft 365 groups have no `visibility`, so whether they are public is unknown",
            s.unknown_visibility.count
        ));
    }
    Outcome::pass(
        format!("None of the {} Microsoft 365 groups is public.", s.groups),
        json!({ "groups": s.groups, "public": 0 }),
    )
}

// ---- CIS 1.2.2 ---------------------------------------------------------------------------

#[derive(Deserialize)]
struct SharedMailboxSignIn {
    shared_mailboxes: u64,
    sign_in_enabled: Capped<UserRef>,
    without_directory_id: Capped<String>,
}

/// CIS 1.2.2: every shared mailbox's account has sign-in blocked (`accountEnabled` false).
fn shared_mailbox_sign_in(snap: &Snapshot) -> Outcome {
    let s: SharedMailboxSignIn = input!(summary(snap, "shared_mailbox_sign_in"));
    if s.sign_in_enabled.count > 0 {
        let names = s.sign_in_enabled.named(upn);
        return Outcome::fail(
            format!(
                "Sign-in is allowed for {} of {} shared mailboxes.",
                counted(s.sign_in_enabled.count, names.len(), "account", "accounts"),
                s.shared_mailboxes
            ),
            json!({ "shared_mailboxes": s.shared_mailboxes, "sign_in_enabled": s.sign_in_enabled.count, "named": names }),
        )
        .about(&names);
    }
    if s.without_directory_id.count > 0 {
        return Outcome::error(format!(
            "{} shared mailboxes have no ExternalDirectoryObjectId, so their accounts could not be looked up",
            s.without_directory_id.count
        ));
    }
    Outcome::pass(
        format!(
            "Sign-in is blocked for all {} shared mailboxes.",
            s.shared_mailboxes
        ),
        json!({ "shared_mailboxes": s.shared_mailboxes, "sign_in_enabled": 0 }),
    )
}

// ---- CIS 5.2.3.4 -------------------------------------------------------------------------

#[derive(Deserialize)]
struct MemberMfaCapability {
    members: u64,
    not_mfa_capable: Capped<UserRef>,
}

/// CIS 5.2.3.4: every member user is MFA capable (`isMfaCapable` in the registration report).
fn members_mfa_capable(snap: &Snapshot) -> Outcome {
    let s: MemberMfaCapability = input!(summary(snap, "member_mfa_capability"));
    if s.members == 0 {
        return Outcome::error(
            "`member_mfa_capability` counts no member user, but every tenant has one: the read is incomplete",
        );
    }
    let names = s.not_mfa_capable.named(upn);
    Outcome::verdict(
        s.not_mfa_capable.count == 0,
        format!("All {} member users are MFA capable.", s.members),
        format!(
            "{} of {} member users are not MFA capable.",
            counted(s.not_mfa_capable.count, names.len(), "user", "users"),
            s.members
        ),
        json!({ "members": s.members, "not_mfa_capable": s.not_mfa_capable.count, "named": names }),
    )
    .about(&names)
}

// ---- CIS 6.1.2 ---------------------------------------------------------------------------

/// The actions CIS 6.1.2 requires per sign-in type (Microsoft's defaults plus CIS's additions).
pub(crate) const AUDIT_ADMIN: &[&str] = &[
    "ApplyRecord",
    "Copy",
    "Create",
    "FolderBind",
    "HardDelete",
    "MailItemsAccessed",
    "Move",
    "MoveToDeletedItems",
    "SendAs",
    "SendOnBehalf",
    "Send",
    "SoftDelete",
    "Update",
    "UpdateCalendarDelegation",
    "UpdateFolderPermissions",
    "UpdateInboxRules",
];
/// Delegate actions CIS 6.1.2 requires.
pub(crate) const AUDIT_DELEGATE: &[&str] = &[
    "ApplyRecord",
    "Create",
    "FolderBind",
    "HardDelete",
    "MailItemsAccessed",
    "Move",
    "MoveToDeletedItems",
    "SendAs",
    "SendOnBehalf",
    "SoftDelete",
    "Update",
    "UpdateFolderPermissions",
    "UpdateInboxRules",
];
/// Owner actions CIS 6.1.2 requires.
pub(crate) const AUDIT_OWNER: &[&str] = &[
    "ApplyRecord",
    "Create",
    "HardDelete",
    "MailboxLogin",
    "MailItemsAccessed",
    "Move",
    "MoveToDeletedItems",
    "Send",
    "SoftDelete",
    "Update",
    "UpdateCalendarDelegation",
    "UpdateFolderPermissions",
    "UpdateInboxRules",
];

#[derive(Deserialize)]
struct AuditConfiguration {
    audit_enabled: Option<bool>,
    audit_admin: Option<Vec<String>>,
    audit_delegate: Option<Vec<String>>,
    audit_owner: Option<Vec<String>>,
    mailboxes: u64,
    examples: Vec<String>,
}

#[derive(Deserialize)]
struct MailboxAuditActions {
    mailboxes: u64,
    configurations: Vec<AuditConfiguration>,
    unrecorded_mailboxes: u64,
}

/// The required actions a list lacks (compared ignoring case).
fn lacking(have: &[String], required: &[&'static str]) -> Vec<&'static str> {
    required
        .iter()
        .copied()
        .filter(|r| !have.iter().any(|h| h.eq_ignore_ascii_case(r)))
        .collect()
}

/// CIS 6.1.2: every user mailbox has auditing on and audits CIS's admin, delegate and owner
/// actions.
fn mailbox_audit_actions(snap: &Snapshot) -> Outcome {
    let s: MailboxAuditActions = input!(summary(snap, "mailbox_audit_actions"));
    if s.mailboxes == 0 {
        return Outcome::not_applicable(
            "The tenant has no user mailbox.",
            json!({ "mailboxes": 0 }),
        );
    }
    let counted_mailboxes: u64 =
        s.configurations.iter().map(|c| c.mailboxes).sum::<u64>() + s.unrecorded_mailboxes;
    if counted_mailboxes != s.mailboxes {
        return Outcome::error(format!(
            "`mailbox_audit_actions` counts {} user mailboxes but its configurations hold {counted_mailboxes}: the summary is incomplete",
            s.mailboxes
        ));
    }
    let (mut failing, mut names) = (0u64, Vec::new());
    let mut missing: std::collections::BTreeSet<String> = Default::default();
    for c in &s.configurations {
        let (Some(enabled), Some(admin), Some(delegate), Some(owner)) = (
            c.audit_enabled,
            &c.audit_admin,
            &c.audit_delegate,
            &c.audit_owner,
        ) else {
            return Outcome::error(
                "a mailbox audit configuration lacks AuditEnabled, AuditAdmin, AuditDelegate or AuditOwner",
            );
        };
        let gaps: Vec<String> = lacking(admin, AUDIT_ADMIN)
            .into_iter()
            .map(|a| format!("Admin:{a}"))
            .chain(
                lacking(delegate, AUDIT_DELEGATE)
                    .into_iter()
                    .map(|a| format!("Delegate:{a}")),
            )
            .chain(
                lacking(owner, AUDIT_OWNER)
                    .into_iter()
                    .map(|a| format!("Owner:{a}")),
            )
            .collect();
        if !enabled || !gaps.is_empty() {
            failing += c.mailboxes;
            if !enabled {
                missing.insert("AuditEnabled".to_string());
            }
            missing.extend(gaps);
            names.extend(c.examples.iter().cloned());
        }
    }
    names.truncate(100);
    if failing > 0 {
        let missing: Vec<String> = missing.into_iter().collect();
        return Outcome::fail(
            format!(
                "{} of {} user mailboxes do not audit what CIS requires (missing: {}).",
                counted(failing, names.len(), "mailbox", "mailboxes"),
                s.mailboxes,
                super::list_ours(&missing)
            ),
            json!({ "mailboxes": s.mailboxes, "failing": failing, "missing": missing, "named": names }),
        )
        .about(&names);
    }
    if s.unrecorded_mailboxes > 0 {
        return Outcome::error(format!(
            "{} user mailboxes have audit configurations beyond the {} distinct ones the collection records, so they were not judged",
            s.unrecorded_mailboxes,
            s.configurations.len()
        ));
    }
    Outcome::pass(
        format!(
            "All {} user mailboxes have auditing on with the admin, delegate and owner actions CIS requires.",
            s.mailboxes
        ),
        json!({ "mailboxes": s.mailboxes, "configurations": s.configurations.len() }),
    )
}

/// The checks of this module.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-AAD-90",
        "Administrative accounts use licences with a reduced application footprint",
        EntraId,
        Medium,
        admin_licence_footprint,
        "A licence with mail, Teams or SharePoint lets a privileged account be reached by phishing and malicious content; administrators should work from an account without those applications.",
        "In the Microsoft 365 admin center > Users > Active users, remove productivity licences from each administrator; assign only Microsoft Entra ID P1 or P2 where a licence is needed, and give each administrator a separate daily account.",
        "https://learn.microsoft.com/microsoft-365/enterprise/protect-your-global-administrator-accounts"
    ),
    check!(
        "A365-AAD-91",
        "Only approved Microsoft 365 groups are public",
        EntraId,
        Low,
        public_groups,
        "Anyone in the organisation can join a public group and read its files and conversations.",
        "In the Microsoft 365 admin center > Teams & groups > Active teams & groups, set each group that is not approved to be public to Private.",
        "https://learn.microsoft.com/microsoft-365/admin/create-groups/compare-groups"
    ),
    check!(
        "A365-EXO-50",
        "Sign-in to shared mailboxes is blocked",
        ExchangeOnline,
        High,
        shared_mailbox_sign_in,
        "A shared mailbox's account has a password that nobody owns; with sign-in allowed it is an unmonitored way into mail.",
        "In the Microsoft 365 admin center > Users > Active users, select each shared mailbox's account and choose Block sign-in (or set accountEnabled to false in Microsoft Graph).",
        "https://learn.microsoft.com/microsoft-365/admin/email/about-shared-mailboxes"
    ),
    check!(
        "A365-AAD-92",
        "All member users are MFA capable",
        EntraId,
        High,
        members_mfa_capable,
        "A user who has registered no strong authentication method cannot be asked for MFA and is the easiest account to take over.",
        "In the Entra admin center > Protection > Authentication methods > User registration details, filter on 'Multifactor authentication capable: Not capable' and have each user register a method (or require registration with a registration campaign).",
        "https://learn.microsoft.com/entra/identity/authentication/howto-authentication-methods-activity"
    ),
    check!(
        "A365-EXO-51",
        "Mailbox audit actions are configured",
        ExchangeOnline,
        Medium,
        mailbox_audit_actions,
        "Without these mailbox actions in the audit log, an investigation cannot tell who read, sent or deleted mail.",
        "For each user mailbox, run Set-Mailbox -AuditEnabled $true with the AuditAdmin, AuditDelegate and AuditOwner actions CIS lists.",
        "https://learn.microsoft.com/purview/audit-mailboxes"
    ),
];
