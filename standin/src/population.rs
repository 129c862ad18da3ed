//! The stand-in tenant's people and mailboxes, generated from a size setting (never a fixture
//! file): users, Microsoft 365 groups, authentication registration details and mailboxes,
//! served page by page in Microsoft's shapes. A page is generated when asked for, from the
//! index in its `$skiptoken`, so a tenant of 50,000 users costs no memory.
//!
//! Everything is a pure function of the index, so a tenant is the same at every start. With
//! [`Population::offenders`] some objects break the CIS recommendations the collector's
//! per-object reads decide (see [`Population::census`] for how many).

use serde_json::{Map, Value, json};

/// The SKU the stand-in gives offending administrators (a productivity suite).
const SUITE_SKU_FALLBACK: &str = "e2be619b-b125-455f-8660-fb503e431a5d";

/// The generated part of the tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Population {
    /// Users (every 50th a guest).
    pub users: usize,
    /// Mailboxes, each of one user (every 10th a shared mailbox); at most [`Population::users`].
    pub mailboxes: usize,
    /// Whether some objects break the CIS recommendations: public groups, users who are not
    /// MFA capable, shared mailboxes whose sign-in is allowed, mailboxes that audit too little,
    /// administrators with a productivity licence.
    pub offenders: bool,
}

impl Default for Population {
    /// The small stand-in tenant: 40 users, 20 mailboxes, configured as CIS asks.
    fn default() -> Self {
        Population {
            users: 40,
            mailboxes: 20,
            offenders: false,
        }
    }
}

/// What a [`Population`] holds, counted directly (not through pages): what a collection must
/// find.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Member users (not guests).
    pub members: u64,
    /// Member users whose `isMfaCapable` is false.
    pub not_mfa_capable: u64,
    /// Users whose `accountEnabled` is true.
    pub enabled_users: u64,
    /// Microsoft 365 groups.
    pub groups: u64,
    /// Those that are public.
    pub public_groups: u64,
    /// Shared mailboxes.
    pub shared_mailboxes: u64,
    /// Shared mailboxes whose account is enabled.
    pub shared_sign_in_enabled: u64,
    /// User mailboxes.
    pub user_mailboxes: u64,
    /// User mailboxes that do not audit what CIS 6.1.2 requires.
    pub audit_failing: u64,
}

/// Microsoft's default mailbox audit actions (owner, delegate, admin) plus CIS's additions.
const AUDIT_ADMIN: &[&str] = &[
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
const AUDIT_DELEGATE: &[&str] = &[
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
const AUDIT_OWNER: &[&str] = &[
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

/// A generated object id: a stable GUID per kind and index.
fn id(kind: u16, i: usize) -> String {
    format!("a3650000-{kind:04x}-4000-8000-{i:012x}")
}

impl Population {
    /// The large tenant of the performance note: 50,000 users, 20,000 mailboxes, offenders.
    pub fn large() -> Population {
        Population {
            users: 50_000,
            mailboxes: 20_000,
            offenders: true,
        }
    }

    fn groups(&self) -> usize {
        self.users / 10
    }

    fn is_guest(i: usize) -> bool {
        i % 50 == 49
    }

    fn is_shared(j: usize) -> bool {
        j.is_multiple_of(10)
    }

    fn mfa_capable(&self, i: usize) -> bool {
        !(self.offenders && i % 97 == 3)
    }

    fn account_enabled(&self, i: usize) -> bool {
        if i < self.mailboxes.min(self.users) && Population::is_shared(i) {
            // Shared mailboxes' accounts are blocked, but a few.
            self.offenders && i.is_multiple_of(1000)
        } else {
            i % 25 != 7
        }
    }

    fn public_group(&self, g: usize) -> bool {
        self.offenders && g % 37 == 5
    }

    /// `(enabled, admin, delegate, owner)` of user mailbox `j`.
    fn audit(
        &self,
        j: usize,
    ) -> (
        bool,
        Vec<&'static str>,
        Vec<&'static str>,
        Vec<&'static str>,
    ) {
        let mut owner: Vec<&str> = AUDIT_OWNER.to_vec();
        let mut enabled = true;
        if self.offenders && j % 501 == 1 {
            owner.retain(|a| *a != "MailboxLogin");
        }
        if self.offenders && j % 2003 == 2 {
            enabled = false;
        }
        (
            enabled,
            AUDIT_ADMIN.to_vec(),
            AUDIT_DELEGATE.to_vec(),
            owner,
        )
    }

    /// Counts what the population holds, object by object.
    pub fn census(&self) -> Census {
        let mut c = Census::default();
        for i in 0..self.users {
            if !Population::is_guest(i) {
                c.members += 1;
                if !self.mfa_capable(i) {
                    c.not_mfa_capable += 1;
                }
            }
            if self.account_enabled(i) {
                c.enabled_users += 1;
            }
        }
        for g in 0..self.groups() {
            c.groups += 1;
            if self.public_group(g) {
                c.public_groups += 1;
            }
        }
        for j in 0..self.mailboxes.min(self.users) {
            if Population::is_shared(j) {
                c.shared_mailboxes += 1;
                if self.account_enabled(j) {
                    c.shared_sign_in_enabled += 1;
                }
            } else {
                c.user_mailboxes += 1;
                let (enabled, _, _, owner) = self.audit(j);
                if !enabled || owner.len() < AUDIT_OWNER.len() {
                    c.audit_failing += 1;
                }
            }
        }
        c
    }

    fn upn(i: usize, domain: &str) -> String {
        format!("user{i:05}@{domain}")
    }

    fn user(&self, i: usize, domain: &str) -> Value {
        json!({
            "id": id(1, i),
            "displayName": format!("User {i:05}"),
            "userPrincipalName": Population::upn(i, domain),
            "accountEnabled": self.account_enabled(i),
            "userType": if Population::is_guest(i) { "Guest" } else { "Member" },
            "assignedLicenses": [],
        })
    }

    fn group(&self, g: usize) -> Value {
        json!({
            "id": id(2, g),
            "displayName": format!("Project {g:05}"),
            "groupTypes": ["Unified"],
            "mailEnabled": true,
            "securityEnabled": false,
            "visibility": if self.public_group(g) { "Public" } else { "Private" },
        })
    }

    fn registration(&self, i: usize, domain: &str) -> Value {
        let capable = self.mfa_capable(i);
        json!({
            "id": id(1, i),
            "userPrincipalName": Population::upn(i, domain),
            "userDisplayName": format!("User {i:05}"),
            "userType": if Population::is_guest(i) { "guest" } else { "member" },
            "isAdmin": false,
            "isMfaCapable": capable,
            "isMfaRegistered": capable,
            "isPasswordlessCapable": false,
            "isSsprCapable": capable,
            "isSsprEnabled": true,
            "isSsprRegistered": capable,
            "methodsRegistered": if capable { json!(["microsoftAuthenticatorPush"]) } else { json!([]) },
            "lastUpdatedDateTime": "2026-11-30T08:00:00Z",
        })
    }

    fn mailbox(&self, j: usize, domain: &str) -> Value {
        let shared = Population::is_shared(j);
        let (enabled, admin, delegate, owner) = self.audit(j);
        json!({
            "Name": format!("user{j:05}"),
            "Alias": format!("user{j:05}"),
            "DisplayName": format!("User {j:05}"),
            "UserPrincipalName": Population::upn(j, domain),
            "PrimarySmtpAddress": Population::upn(j, domain),
            "ExternalDirectoryObjectId": id(1, j),
            "RecipientTypeDetails": if shared { "SharedMailbox" } else { "UserMailbox" },
            "AuditEnabled": enabled,
            "AuditAdmin": admin,
            "AuditDelegate": delegate,
            "AuditOwner": owner,
        })
    }

    /// The assigned licences of the tenant's privileged users: none, or with offenders the
    /// productivity suite `suite_sku` (the tenant's own when it has one).
    pub fn admin_licences(&self, suite_sku: Option<&str>) -> Value {
        if self.offenders {
            json!([{ "skuId": suite_sku.unwrap_or(SUITE_SKU_FALLBACK), "disabledPlans": [] }])
        } else {
            json!([])
        }
    }

    /// A user by id, if it is one of the generated users.
    pub fn user_by_id(&self, user_id: &str, domain: &str) -> Option<Value> {
        let rest = user_id.strip_prefix("a3650000-0001-4000-8000-")?;
        let i = usize::from_str_radix(rest, 16).ok()?;
        (i < self.users).then(|| self.user(i, domain))
    }

    /// One page of a generated collection, from index `start` (the `$skiptoken`): up to `size`
    /// items that pass its filter, and the index the next page starts at.
    pub fn page(
        &self,
        kind: &Collection,
        domain: &str,
        start: usize,
        size: usize,
    ) -> (Vec<Value>, Option<usize>) {
        let total = match kind {
            Collection::Users { .. } | Collection::Registrations { .. } => self.users,
            Collection::UnifiedGroups => self.groups(),
            Collection::Mailboxes { .. } => self.mailboxes.min(self.users),
        };
        let mut out = Vec::new();
        let mut i = start;
        while i < total && out.len() < size {
            let item = match kind {
                Collection::Users { enabled_only } => {
                    (!enabled_only || self.account_enabled(i)).then(|| self.user(i, domain))
                }
                Collection::Registrations { members_only } => (!members_only
                    || !Population::is_guest(i))
                .then(|| self.registration(i, domain)),
                Collection::UnifiedGroups => Some(self.group(i)),
                Collection::Mailboxes { shared } => match shared {
                    Some(s) if *s != Population::is_shared(i) => None,
                    _ => Some(self.mailbox(i, domain)),
                },
            };
            if let Some(v) = item {
                out.push(v);
            }
            i += 1;
        }
        (out, (i < total).then_some(i))
    }
}

/// A generated collection and its server-side filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Collection {
    /// Graph `users` (`$filter=accountEnabled eq true` honoured).
    Users {
        /// Only enabled accounts.
        enabled_only: bool,
    },
    /// Graph `groups` with `$filter=groupTypes/any(c:c eq 'Unified')`.
    UnifiedGroups,
    /// Graph `reports/authenticationMethods/userRegistrationDetails`
    /// (`$filter=userType eq 'member'` honoured).
    Registrations {
        /// Only members.
        members_only: bool,
    },
    /// Exchange `Get-Mailbox` (`-RecipientTypeDetails SharedMailbox|UserMailbox` honoured).
    Mailboxes {
        /// `Some(true)`: shared only; `Some(false)`: user mailboxes only; `None`: all.
        shared: Option<bool>,
    },
}

/// `$select` on one object (annotations kept).
pub fn select(v: Value, select: Option<&str>) -> Value {
    let (Some(select), Value::Object(o)) = (select, &v) else {
        return v;
    };
    let keep: Vec<&str> = select.split(',').map(str::trim).collect();
    Value::Object(
        o.iter()
            .filter(|(k, _)| k.starts_with('@') || keep.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<String, Value>>(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_object_once() {
        let p = Population {
            users: 1234,
            mailboxes: 700,
            offenders: true,
        };
        let mut start = Some(0);
        let mut seen = Vec::new();
        while let Some(s) = start {
            let (items, next) = p.page(
                &Collection::Mailboxes { shared: Some(true) },
                "t.example",
                s,
                33,
            );
            seen.extend(items);
            start = next;
        }
        assert_eq!(seen.len() as u64, p.census().shared_mailboxes);
    }

    #[test]
    fn the_default_tenant_has_no_offender() {
        let c = Population::default().census();
        assert_eq!(c.not_mfa_capable, 0);
        assert_eq!(c.public_groups, 0);
        assert_eq!(c.shared_sign_in_enabled, 0);
        assert_eq!(c.audit_failing, 0);
        assert!(c.members > 0 && c.shared_mailboxes > 0 && c.user_mailboxes > 0);
    }

    #[test]
    fn the_large_tenant_has_some() {
        let c = Population::large().census();
        assert_eq!(c.members, 49_000);
        assert_eq!(c.shared_mailboxes, 2_000);
        assert!(c.not_mfa_capable > 100 && c.public_groups > 100);
        assert!(c.shared_sign_in_enabled > 0 && c.audit_failing > 0);
    }
}
