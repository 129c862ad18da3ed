//! CIS v7.0.0 checks on Exchange Online, Defender, Purview and SharePoint settings that the
//! collector reads into the snapshot's `aether365` section (Outlook on the web mailbox
//! policies, external sender identification, audit bypass, role assignment policies, the
//! organisation's MailTips and Direct Send settings, priority account protection, Teams
//! zero-hour auto purge, sensitivity label policies), plus SharePoint's sharing security groups
//! (ScubaGear's `SPO_tenant` already carries them).

use serde_json::{Value, json};

use super::{b, check, i, input, n, name_of, s, strs};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

const OWA: &str = "owa_mailbox_policies";

/// The default Outlook on the web mailbox policy (`IsDefault`): the one every mailbox without
/// an explicit policy gets. Every tenant has one, so none means the read is incomplete.
fn default_owa_policy(snap: &Snapshot) -> Result<&Value, String> {
    let pols = snap.rows(OWA)?;
    pols.into_iter()
        .find(|p| b(p, "IsDefault") == Some(true))
        .ok_or_else(|| {
            format!(
                "`{OWA}` has no default policy (`IsDefault` true), but every tenant has one: the read is incomplete"
            )
        })
}

/// A boolean a row must carry; its absence is an unknown shape, never a pass.
fn flag(row: &Value, key: &str, group: &str) -> Result<bool, String> {
    b(row, key).ok_or_else(|| format!("a row of `{group}` has no boolean `{key}`"))
}

/// The other OWA policies (not the default) with `key` true: named in the evidence.
fn other_owa_with(snap: &Snapshot, key: &str) -> Vec<String> {
    snap.list(OWA)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| b(p, "IsDefault") != Some(true) && b(p, key) == Some(true))
        .map(name_of)
        .collect()
}

/// A setting of the default OWA policy that CIS wants off.
fn owa_default_off(snap: &Snapshot, key: &str, pass_msg: &str, fail_msg: &str) -> Outcome {
    let default = input!(default_owa_policy(snap));
    let on = input!(flag(default, key, OWA));
    let others = other_owa_with(snap, key);
    Outcome::verdict(
        !on,
        pass_msg,
        fail_msg,
        json!({ "default_policy": name_of(default), "setting": key, "value": on, "other_policies_with_it_on": others }),
    )
    .about(&[name_of(default)])
}

/// CIS 1.3.9: shared Bookings pages are restricted: Bookings is off for the organisation
/// (`Get-OrganizationConfig` BookingsEnabled false), or the default OWA policy does not let
/// users create shared Bookings mailboxes (BookingsMailboxCreationEnabled false), so only users
/// given another policy can.
fn bookings_restricted(snap: &Snapshot) -> Outcome {
    let default = input!(default_owa_policy(snap));
    let creation = input!(flag(default, "BookingsMailboxCreationEnabled", OWA));
    if !creation {
        return Outcome::pass(
            "The default Outlook on the web policy does not let users create shared Bookings pages; only users given another policy can.",
            json!({ "default_policy": name_of(default), "BookingsMailboxCreationEnabled": false,
                "policies_allowing_creation": other_owa_with(snap, "BookingsMailboxCreationEnabled") }),
        )
        .about(&[name_of(default)]);
    }
    let org = input!(snap.rows("org_config"));
    let Some(enabled) = org.first().and_then(|o| b(o, "BookingsEnabled")) else {
        return Outcome::error("`org_config` has no boolean `BookingsEnabled`");
    };
    Outcome::verdict(
        !enabled,
        "Bookings is off for the organisation, so no one can create shared Bookings pages.",
        "The default Outlook on the web policy lets every user create shared Bookings pages, and Bookings is on for the organisation.",
        json!({ "default_policy": name_of(default), "BookingsMailboxCreationEnabled": true, "BookingsEnabled": enabled }),
    )
    .about(&[name_of(default)])
}

/// CIS 6.3.2: users cannot add personal accounts (the default OWA policy's
/// PersonalAccountsEnabled false).
fn personal_accounts_blocked(snap: &Snapshot) -> Outcome {
    owa_default_off(
        snap,
        "PersonalAccountsEnabled",
        "The default Outlook on the web policy does not let users add personal email accounts.",
        "The default Outlook on the web policy lets users add personal email accounts.",
    )
}

/// CIS 6.5.3: additional storage providers are restricted (the default OWA policy's
/// AdditionalStorageProvidersAvailable false).
fn storage_providers_restricted(snap: &Snapshot) -> Outcome {
    owa_default_off(
        snap,
        "AdditionalStorageProvidersAvailable",
        "The default Outlook on the web policy does not offer additional storage providers.",
        "The default Outlook on the web policy lets users open files from additional storage providers (Box, Dropbox, Google Drive and others).",
    )
}

/// CIS 6.2.3: Outlook identifies email from external senders (`Get-ExternalInOutlook` Enabled).
fn external_sender_tag(snap: &Snapshot) -> Outcome {
    let rows = input!(snap.rows("external_in_outlook"));
    let mut states = Vec::new();
    for r in &rows {
        states.push(input!(flag(r, "Enabled", "external_in_outlook")));
    }
    let allow = rows
        .iter()
        .map(|r| strs(r.get("AllowList")).len())
        .sum::<usize>();
    Outcome::verdict(
        states.iter().all(|on| *on),
        "Outlook marks email from external senders.",
        "Outlook does not mark email from external senders.",
        json!({ "enabled": states, "allow_list_entries": allow }),
    )
}

const BYPASS: &str = "mailbox_audit_bypass_associations";

/// CIS 6.1.3: no account bypasses mailbox audit logging (`Get-MailboxAuditBypassAssociation`:
/// no row with AuditBypassEnabled true).
fn no_audit_bypass(snap: &Snapshot) -> Outcome {
    let rows = input!(snap.list(BYPASS));
    let mut bypassing = Vec::new();
    for r in &rows {
        if input!(flag(r, "AuditBypassEnabled", BYPASS)) {
            bypassing.push(name_of(r));
        }
    }
    if !bypassing.is_empty() {
        return Outcome::fail(
            format!(
                "Mailbox audit logging is bypassed for {}.",
                n(&bypassing, "account", "accounts")
            ),
            json!({ "accounts_bypassing": bypassing, "associations_read": rows.len() }),
        )
        .about(&bypassing);
    }
    if rows.is_empty() {
        return Outcome::pass_on_empty_read(
            snap,
            BYPASS,
            "audit bypass association",
            "No account bypasses mailbox audit logging",
            json!({ "associations_read": 0 }),
        );
    }
    Outcome::pass(
        format!(
            "No account bypasses mailbox audit logging ({} read).",
            rows.len()
        ),
        json!({ "accounts_bypassing": [], "associations_read": rows.len() }),
    )
}

/// The management roles that let users install Outlook add-ins (CIS 6.3.1).
const ADD_IN_ROLES: [&str; 3] = [
    "My Custom Apps",
    "My Marketplace Apps",
    "My ReadWriteMailbox Apps",
];

const ROLE_POLICIES: &str = "role_assignment_policies";

/// CIS 6.3.1: users cannot install Outlook add-ins: no role assignment policy assigns My
/// Custom Apps, My Marketplace Apps or My ReadWriteMailbox Apps. Which mailboxes use which
/// policy is not collected, so every policy is held to it, the default one included.
fn no_user_add_ins(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.rows(ROLE_POLICIES));
    if !pols.iter().any(|p| b(p, "IsDefault") == Some(true)) {
        return Outcome::error(format!(
            "`{ROLE_POLICIES}` has no default policy (`IsDefault` true), but every tenant has one: the read is incomplete"
        ));
    }
    let mut granting = Vec::new();
    let mut details = Vec::new();
    for p in &pols {
        if !matches!(
            p.get("AssignedRoles"),
            Some(Value::Array(_)) | Some(Value::Null)
        ) {
            return Outcome::error(format!(
                "a policy of `{ROLE_POLICIES}` has no `AssignedRoles` list"
            ));
        }
        let roles = strs(p.get("AssignedRoles"));
        let add_ins: Vec<&str> = ADD_IN_ROLES
            .iter()
            .copied()
            .filter(|r| roles.iter().any(|x| x.eq_ignore_ascii_case(r)))
            .collect();
        if !add_ins.is_empty() {
            granting.push(name_of(p));
        }
        details.push(json!({ "policy": name_of(p), "is_default": b(p, "IsDefault"), "add_in_roles": add_ins }));
    }
    let names: Vec<String> = pols.iter().map(|p| name_of(p)).collect();
    let subjects = if granting.is_empty() {
        &names
    } else {
        &granting
    };
    Outcome::verdict(
        granting.is_empty(),
        format!(
            "No role assignment policy lets users install Outlook add-ins ({}).",
            n(&names, "policy", "policies")
        ),
        format!(
            "{} users install Outlook add-ins (My Custom Apps, My Marketplace Apps or My ReadWriteMailbox Apps).",
            n(&granting, "role assignment policy lets", "role assignment policies let")
        ),
        json!({ "policies": details, "add_in_roles": ADD_IN_ROLES }),
    )
    .about(subjects)
}

const ORG: &str = "organization_config";

/// The organisation's configuration row (`Get-OrganizationConfig`, the properties CIS reads).
fn organization(snap: &Snapshot) -> Result<&Value, String> {
    snap.rows(ORG)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("`{ORG}` is empty"))
}

/// CIS 6.5.2's ceiling for the large-audience MailTip.
const LARGE_AUDIENCE_MAX: i64 = 25;

/// CIS 6.5.2: MailTips are on for end users: all tips, external recipient tips and group
/// metrics on, and the large-audience threshold at most 25.
fn mail_tips(snap: &Snapshot) -> Outcome {
    let org = input!(organization(snap));
    let mut off = Vec::new();
    for key in [
        "MailTipsAllTipsEnabled",
        "MailTipsExternalRecipientsTipsEnabled",
        "MailTipsGroupMetricsEnabled",
    ] {
        if !input!(flag(org, key, ORG)) {
            off.push(key.to_string());
        }
    }
    let Some(threshold) = i(org, "MailTipsLargeAudienceThreshold") else {
        return Outcome::error(format!(
            "`{ORG}` has no number `MailTipsLargeAudienceThreshold`"
        ));
    };
    if !(1..=LARGE_AUDIENCE_MAX).contains(&threshold) {
        off.push(format!("MailTipsLargeAudienceThreshold ({threshold})"));
    }
    Outcome::verdict(
        off.is_empty(),
        format!(
            "MailTips are on for end users, external recipients and group metrics, with the large-audience tip at {threshold} recipients."
        ),
        format!(
            "MailTips settings not as CIS asks: {}.",
            super::list_ours(&off)
        ),
        json!({
            "MailTipsAllTipsEnabled": org.get("MailTipsAllTipsEnabled"),
            "MailTipsExternalRecipientsTipsEnabled": org.get("MailTipsExternalRecipientsTipsEnabled"),
            "MailTipsGroupMetricsEnabled": org.get("MailTipsGroupMetricsEnabled"),
            "MailTipsLargeAudienceThreshold": threshold,
            "large_audience_max": LARGE_AUDIENCE_MAX,
        }),
    )
}

/// CIS 6.5.5: Direct Send submissions are rejected (RejectDirectSend true).
fn direct_send_rejected(snap: &Snapshot) -> Outcome {
    let org = input!(organization(snap));
    let reject = input!(flag(org, "RejectDirectSend", ORG));
    Outcome::verdict(
        reject,
        "Exchange Online rejects Direct Send messages that no connector authenticates.",
        "Exchange Online accepts Direct Send messages that no connector authenticates.",
        json!({ "RejectDirectSend": reject }),
    )
}

/// CIS 2.4.1: priority account protection is on (`Get-EmailTenantSettings`
/// EnablePriorityAccountProtection). Which accounts carry the priority tag is set in the
/// Defender portal and no app-only interface lists user tags: the message says to verify them.
fn priority_account_protection(snap: &Snapshot) -> Outcome {
    let rows = input!(snap.rows("email_tenant_settings"));
    let mut on = true;
    for r in &rows {
        on &= input!(flag(
            r,
            "EnablePriorityAccountProtection",
            "email_tenant_settings"
        ));
    }
    Outcome::verdict(
        on,
        "Priority account protection is on; verify in Defender > Settings > Email & collaboration > User tags that the priority accounts are tagged.",
        "Priority account protection is off.",
        json!({ "EnablePriorityAccountProtection": on }),
    )
}

/// CIS 2.4.4: zero-hour auto purge for Microsoft Teams is on (`Get-TeamsProtectionPolicy`
/// ZapEnabled).
fn teams_zap(snap: &Snapshot) -> Outcome {
    let rows = input!(snap.rows("teams_protection_policies"));
    let mut off = Vec::new();
    for r in &rows {
        if !input!(flag(r, "ZapEnabled", "teams_protection_policies")) {
            off.push(name_of(r));
        }
    }
    Outcome::verdict(
        off.is_empty(),
        "Zero-hour auto purge removes malware and high confidence phishing from Teams messages.",
        "Zero-hour auto purge for Microsoft Teams is off.",
        json!({ "policies": rows.len(), "zap_off": off }),
    )
}

const LABELS: &str = "label_policies";

/// CIS 3.3.1: at least one sensitivity label policy is published: enabled and publishing at
/// least one label.
fn label_policy_published(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list(LABELS));
    let mut published = Vec::new();
    for p in &pols {
        let enabled = input!(flag(p, "Enabled", LABELS));
        let labels = match p.get("Labels") {
            Some(Value::Array(a)) => a.len(),
            Some(Value::Null) => 0,
            _ => {
                return Outcome::error(format!("a policy of `{LABELS}` has no `Labels` list"));
            }
        };
        if enabled && labels > 0 && s(p, "Mode") != "PendingDeletion" {
            published.push(name_of(p));
        }
    }
    if pols.is_empty() {
        // An empty answer is a fail only when the read is known to have succeeded.
        return match snap.empty_read(LABELS) {
            Ok(cmd) => Outcome::fail(
                format!("No sensitivity label policy is published ({cmd} returned none)."),
                json!({ "policies": 0 }),
            ),
            Err(reason) => Outcome::error(reason),
        };
    }
    Outcome::verdict(
        !published.is_empty(),
        format!(
            "{} sensitivity labels to users.",
            n(
                &published,
                "label policy publishes",
                "label policies publish"
            )
        ),
        format!(
            "None of the {} sensitivity label policies is enabled with labels to publish.",
            pols.len()
        ),
        json!({ "published_policies": published, "policies": pols.len() }),
    )
    .about(&published)
}

/// The "Microsoft 365 Copilot and Copilot Chat" location of a DLP policy, as
/// `New-DlpCompliancePolicy -Locations` documents it (workload `Applications`), and the name
/// some policies serialise it with.
const COPILOT_LOCATIONS: [&str; 2] = ["470f2276-e011-4e9d-a6ec-20768be3a4b0", "Copilot.M365"];

/// The locations of a DLP policy's `Locations` property: a JSON array, served as a string of
/// JSON by `Get-DlpCompliancePolicy` (or already parsed); null or empty is none.
fn dlp_locations(p: &Value) -> Result<Vec<String>, String> {
    let parsed;
    let list = match p.get("Locations") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(Vec::new()),
        Some(Value::String(text)) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| {
                format!(
                    "a DLP policy's `Locations` is not JSON ({e}), so its locations are unknown"
                )
            })?;
            &parsed
        }
        Some(v) => v,
    };
    let Value::Array(entries) = list else {
        return Err(
            "a DLP policy's `Locations` is not a list, so its locations are unknown".into(),
        );
    };
    Ok(entries
        .iter()
        .filter_map(|e| e.get("Location").and_then(Value::as_str))
        .map(str::to_string)
        .collect())
}

/// CIS 3.2.3: a DLP policy for Microsoft 365 Copilot is on: enabled, enforced (`Mode` Enable,
/// not a test mode) and targeting the Copilot location. The policies are ScubaGear's
/// `dlp_compliance_policies`, whose rows keep `Locations`.
fn dlp_for_copilot(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("dlp_compliance_policies"));
    let mut copilot = Vec::new();
    let mut not_enforced = Vec::new();
    for p in &pols {
        let locations = input!(dlp_locations(p));
        let targets = locations
            .iter()
            .any(|l| COPILOT_LOCATIONS.iter().any(|c| l.eq_ignore_ascii_case(c)));
        if !targets {
            continue;
        }
        if b(p, "Enabled") == Some(true) && s(p, "Mode") == "Enable" {
            copilot.push(name_of(p));
        } else {
            not_enforced.push(name_of(p));
        }
    }
    if pols.is_empty() && snap.empty_read("dlp_compliance_policies").is_err() {
        return Outcome::error(
            "`dlp_compliance_policies` is empty and the export does not record that Get-DlpCompliancePolicy succeeded",
        );
    }
    let subjects = if copilot.is_empty() {
        &not_enforced
    } else {
        &copilot
    };
    Outcome::verdict(
        !copilot.is_empty(),
        format!(
            "{} Microsoft 365 Copilot and Copilot Chat.",
            n(
                &copilot,
                "enforced DLP policy covers",
                "enforced DLP policies cover"
            )
        ),
        if not_enforced.is_empty() {
            "No DLP policy covers Microsoft 365 Copilot and Copilot Chat.".to_string()
        } else {
            format!(
                "{} Microsoft 365 Copilot but not enabled in enforcement mode.",
                n(&not_enforced, "DLP policy targets", "DLP policies target")
            )
        },
        json!({ "enforced_copilot_policies": copilot, "copilot_policies_not_enforced": not_enforced,
            "policies": pols.len(), "copilot_location": COPILOT_LOCATIONS[0] }),
    )
    .about(subjects)
}

/// The claim of "everyone in the organisation" SharePoint writes in an allow list
/// (`c:0t.c|tenant|{tenant id}`): allowing it restricts no one.
fn is_everyone_claim(principal: &str) -> bool {
    principal.to_ascii_lowercase().starts_with("c:0t.c|tenant|")
}

/// The entries of a SharePoint collection property in verbose OData
/// (`{"results": [...]}`) or as a plain list; null is empty; any other shape is unknown.
fn spo_collection(t: &Value, key: &str) -> Result<Vec<String>, String> {
    match t.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(_)) => Ok(strs(t.get(key))),
        Some(Value::Object(o)) => match o.get("results") {
            Some(Value::Array(_)) => Ok(strs(o.get("results"))),
            _ => Err(format!(
                "`SPO_tenant.{key}` is an object without a `results` list"
            )),
        },
        Some(_) => Err(format!("`SPO_tenant.{key}` is not a list")),
    }
}

/// CIS 7.2.8: external sharing is restricted by security group: "Allow only users in specific
/// security groups to share externally" is on, that is SharePoint's allow lists of groups that
/// may share with guests (`GuestSharingGroupAllowListInTenantByPrincipalIdentity`) or with
/// anyone (`WhoCanShareAllowListInTenantByPrincipalIdentity`) name a group, and none of them is
/// the whole organisation. With external sharing off altogether no one can share externally.
/// Whether the groups follow company procedure is for a person to confirm.
fn sharing_by_security_group(snap: &Snapshot) -> Outcome {
    let rows = input!(snap.rows("SPO_tenant"));
    let Some(t) = rows.first() else {
        return Outcome::error("`SPO_tenant` is empty");
    };
    let Some(level) = i(t, "SharingCapability") else {
        return Outcome::error("`SPO_tenant` has no numeric `SharingCapability`");
    };
    if level == 0 {
        return Outcome::pass(
            "External sharing is off for SharePoint and OneDrive, so no one shares externally.",
            json!({ "SharingCapability": level }),
        );
    }
    let guests = input!(spo_collection(
        t,
        "GuestSharingGroupAllowListInTenantByPrincipalIdentity"
    ));
    let anyone = input!(spo_collection(
        t,
        "WhoCanShareAllowListInTenantByPrincipalIdentity"
    ));
    let groups: Vec<&String> = guests.iter().chain(anyone.iter()).collect();
    let everyone = groups.iter().any(|g| is_everyone_claim(g));
    let evidence = json!({
        "SharingCapability": level,
        "guest_sharing_groups": guests.len(),
        "anyone_sharing_groups": anyone.len(),
        "allows_everyone": everyone,
    });
    Outcome::verdict(
        !groups.is_empty() && !everyone,
        format!(
            "Only members of {} may share externally; confirm the groups follow your procedure.",
            match groups.len() {
                1 => "1 security group".to_string(),
                k => format!("{k} security groups"),
            }
        ),
        if everyone {
            "External sharing is allowed to everyone in the organisation rather than to specific security groups."
        } else {
            "External sharing is not restricted to specific security groups."
        },
        evidence,
    )
}

/// The checks of this module.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-EXO-30",
        "Shared Bookings pages are restricted to select users",
        ExchangeOnline,
        Medium,
        bookings_restricted,
        "Shared Bookings pages are public booking calendars; letting every user create them exposes staff names and availability and creates mailboxes outside review.",
        "Turn off shared Bookings creation in the default Outlook on the web policy (Set-OwaMailboxPolicy -Identity OwaMailboxPolicy-Default -BookingsMailboxCreationEnabled $false) and give a separate policy to the users who may create them, or turn Bookings off (Set-OrganizationConfig -BookingsEnabled $false).",
        "https://learn.microsoft.com/microsoft-365/bookings/turn-bookings-on-or-off"
    ),
    check!(
        "A365-EXO-31",
        "Users cannot add personal accounts in Outlook",
        ExchangeOnline,
        Medium,
        personal_accounts_blocked,
        "A personal mailbox beside the work one makes it easy to move organisation data out of managed storage, by mistake or on purpose.",
        "Set-OwaMailboxPolicy -Identity OwaMailboxPolicy-Default -PersonalAccountsEnabled $false.",
        "https://learn.microsoft.com/powershell/module/exchange/set-owamailboxpolicy"
    ),
    check!(
        "A365-EXO-32",
        "Additional storage providers are restricted in Outlook on the web",
        ExchangeOnline,
        Medium,
        storage_providers_restricted,
        "Third-party storage services follow terms and security controls the organisation does not set, and let files leave its storage.",
        "Set-OwaMailboxPolicy -Identity OwaMailboxPolicy-Default -AdditionalStorageProvidersAvailable $false.",
        "https://learn.microsoft.com/powershell/module/exchange/set-owamailboxpolicy"
    ),
    check!(
        "A365-EXO-33",
        "Email from external senders is identified",
        ExchangeOnline,
        Medium,
        external_sender_tag,
        "A visible External tag helps users spot phishing that impersonates colleagues.",
        "Run Set-ExternalInOutlook -Enabled $true.",
        "https://learn.microsoft.com/powershell/module/exchange/set-externalinoutlook"
    ),
    check!(
        "A365-EXO-34",
        "No account bypasses mailbox audit logging",
        ExchangeOnline,
        High,
        no_audit_bypass,
        "An account that bypasses mailbox auditing can read and change mailboxes without leaving audit records.",
        "For each account the finding names, run Set-MailboxAuditBypassAssociation -Identity <account> -AuditBypassEnabled $false.",
        "https://learn.microsoft.com/powershell/module/exchange/set-mailboxauditbypassassociation"
    ),
    check!(
        "A365-EXO-35",
        "Users cannot install Outlook add-ins",
        ExchangeOnline,
        Medium,
        no_user_add_ins,
        "Add-ins users install can read and send mail on their behalf; attackers use them for data theft and persistence.",
        "In the Exchange admin center > Roles > User roles, edit each role assignment policy and clear My Custom Apps, My Marketplace Apps and My ReadWriteMailbox Apps (Set-RoleAssignmentPolicy / Remove-ManagementRoleAssignment).",
        "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/add-ins-for-outlook/specify-who-can-install-and-manage-add-ins"
    ),
    check!(
        "A365-EXO-36",
        "MailTips are enabled for end users",
        ExchangeOnline,
        Low,
        mail_tips,
        "MailTips warn senders before they mail external recipients or large groups, preventing accidental disclosure.",
        "Set-OrganizationConfig -MailTipsAllTipsEnabled $true -MailTipsExternalRecipientsTipsEnabled $true -MailTipsGroupMetricsEnabled $true -MailTipsLargeAudienceThreshold 25.",
        "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/mailtips/mailtips"
    ),
    check!(
        "A365-EXO-37",
        "Direct Send submissions are rejected",
        ExchangeOnline,
        Medium,
        direct_send_rejected,
        "Direct Send lets anyone on the internet send unauthenticated mail that appears to come from the organisation's own domains.",
        "Set-OrganizationConfig -RejectDirectSend $true, after giving devices and applications that send as your domains an authenticated route (a connector or SMTP AUTH).",
        "https://learn.microsoft.com/exchange/mail-flow-best-practices/how-to-set-up-a-multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365"
    ),
    check!(
        "A365-DEF-30",
        "Priority account protection is enabled",
        Defender,
        Medium,
        priority_account_protection,
        "Executives and administrators are the favourite targets of spear phishing; priority account protection adds tuned filtering, reports and alerts for them.",
        "In Defender > Settings > Email & collaboration > Priority account protection, turn it on (Set-EmailTenantSettings -EnablePriorityAccountProtection $true), then tag the priority accounts under User tags.",
        "https://learn.microsoft.com/defender-office-365/priority-accounts-turn-on-priority-account-protection"
    ),
    check!(
        "A365-DEF-31",
        "Zero-hour auto purge for Microsoft Teams is on",
        Defender,
        Medium,
        teams_zap,
        "ZAP removes Teams messages found to carry malware or high confidence phishing after delivery, before more users open them.",
        "In Defender > Settings > Email & collaboration > Microsoft Teams protection, turn on zero-hour auto purge (Set-TeamsProtectionPolicy -Identity 'Teams Protection Policy' -ZapEnabled $true).",
        "https://learn.microsoft.com/defender-office-365/mdo-support-teams-about"
    ),
    check!(
        "A365-PUR-10",
        "Sensitivity label policies are published",
        Purview,
        Medium,
        label_policy_published,
        "Published sensitivity labels let users classify and protect documents and mail, and let DLP and encryption act on the classification.",
        "In the Purview portal > Information protection > Publishing policies, publish a policy with your sensitivity labels to users and groups (New-LabelPolicy).",
        "https://learn.microsoft.com/purview/create-sensitivity-labels"
    ),
    check!(
        "A365-PUR-11",
        "A DLP policy protects Microsoft 365 Copilot",
        Purview,
        Medium,
        dlp_for_copilot,
        "Without a DLP policy on the Copilot location, Copilot can summarise and quote labelled or sensitive content to anyone who may prompt it.",
        "In the Purview portal > Data loss prevention > Policies, create a policy for the location 'Microsoft 365 Copilot and Copilot Chat', with rules that exclude sensitive labels or information types, and turn it on (New-DlpCompliancePolicy -Locations with the Applications workload location 470f2276-e011-4e9d-a6ec-20768be3a4b0).",
        "https://learn.microsoft.com/purview/dlp-microsoft365-copilot-location-learn-about"
    ),
    check!(
        "A365-SPO-20",
        "External sharing is restricted to specific security groups",
        SharePoint,
        Medium,
        sharing_by_security_group,
        "Limiting external sharing to members of chosen security groups applies role-based control to who can share content outside the organisation.",
        "In the SharePoint admin center > Policies > Sharing > More external sharing settings, check 'Allow only users in specific security groups to share externally' and choose the groups.",
        "https://learn.microsoft.com/sharepoint/manage-security-groups"
    ),
];
