//! SharePoint and OneDrive checks: external sharing level, default links, anyone-link
//! expiry and permissions, guest verification and resharing.

use serde_json::{Value, json};

use super::{b, check, i, input};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

const ONLY_ORG: i64 = 0;
const NEW_AND_EXISTING_GUESTS: i64 = 1;
const ANYONE: i64 = 2;
const EXISTING_GUESTS: i64 = 3;

fn slider(v: i64) -> &'static str {
    match v {
        ONLY_ORG => "Only people in your organization",
        NEW_AND_EXISTING_GUESTS => "New and existing guests",
        ANYONE => "Anyone",
        EXISTING_GUESTS => "Existing guests",
        _ => "Unknown",
    }
}

fn tenant(snap: &Snapshot) -> Result<Value, String> {
    snap.list("SPO_tenant")?
        .first()
        .map(|v| (*v).clone())
        .ok_or_else(|| "`SPO_tenant` is empty".to_string())
}

fn int(t: &Value, key: &str) -> Result<i64, String> {
    i(t, key).ok_or_else(|| format!("`SPO_tenant` has no numeric `{key}`"))
}

fn sharing_level(snap: &Snapshot, key: &str, what: &str) -> Outcome {
    let t = input!(tenant(snap));
    let v = input!(int(&t, key));
    Outcome::verdict(
        v == ONLY_ORG || v == EXISTING_GUESTS,
        format!("{what} external sharing is limited to '{}'.", slider(v)),
        format!(
            "{what} external sharing is set to '{}'; limit it to existing guests or the organisation.",
            slider(v)
        ),
        json!({ key: v, "level": slider(v) }),
    )
}

fn spo_sharing(snap: &Snapshot) -> Outcome {
    sharing_level(snap, "SharingCapability", "SharePoint")
}

fn odb_sharing(snap: &Snapshot) -> Outcome {
    if snap
        .value()
        .get("OneDrive_PnP_Flag")
        .and_then(Value::as_bool)
        == Some(true)
    {
        return Outcome::manual(
            "ScubaGear made this export with a service principal (`OneDrive_PnP_Flag`), a run in which it does not read OneDrive's sharing level: verify in the SharePoint admin center > Policies > Sharing that OneDrive sharing is no more permissive than 'Existing guests'.",
        );
    }
    let t = input!(tenant(snap));
    let key = if t.get("ODBSharingCapability").is_some() {
        "ODBSharingCapability"
    } else {
        "OneDriveSharingCapability"
    };
    sharing_level(snap, key, "OneDrive")
}

/// Runs `f` only when the sharing level is one of `levels`, else answers not applicable.
fn when_sharing(snap: &Snapshot, levels: &[i64], f: impl Fn(&Value) -> Outcome) -> Outcome {
    let t = input!(tenant(snap));
    let level = input!(int(&t, "SharingCapability"));
    if !levels.contains(&level) {
        return Outcome::not_applicable(
            format!(
                "External sharing is '{}', so this setting has no effect.",
                slider(level)
            ),
            json!({ "SharingCapability": level, "level": slider(level) }),
        );
    }
    f(&t)
}

fn domain_restriction(snap: &Snapshot) -> Outcome {
    when_sharing(
        snap,
        &[NEW_AND_EXISTING_GUESTS, ANYONE, EXISTING_GUESTS],
        |t| {
            let mode = input!(int(t, "SharingDomainRestrictionMode"));
            Outcome::verdict(
                mode == 1,
                "External sharing is restricted to an allow-list of domains.",
                "External sharing is not restricted to specific domains.",
                json!({ "SharingDomainRestrictionMode": mode, "SharingAllowedDomainList": t.get("SharingAllowedDomainList") }),
            )
        },
    )
}

fn tenant_int_eq(snap: &Snapshot, key: &str, want: i64, ok: &str, bad: &str) -> Outcome {
    let t = input!(tenant(snap));
    let v = input!(int(&t, key));
    Outcome::verdict(v == want, ok, bad, json!({ key: v }))
}

fn default_link_type(snap: &Snapshot) -> Outcome {
    tenant_int_eq(
        snap,
        "DefaultSharingLinkType",
        1,
        "The default sharing link is 'Specific people'.",
        "The default sharing link is broader than 'Specific people'.",
    )
}

fn default_link_permission(snap: &Snapshot) -> Outcome {
    tenant_int_eq(
        snap,
        "DefaultLinkPermission",
        1,
        "Sharing links grant view permission by default.",
        "Sharing links grant edit permission by default.",
    )
}

fn anyone_link_expiry(snap: &Snapshot) -> Outcome {
    when_sharing(snap, &[ANYONE], |t| {
        let days = input!(int(t, "RequireAnonymousLinksExpireInDays"));
        Outcome::verdict(
            (1..=30).contains(&days),
            format!("Anyone links expire after {days} days."),
            format!(
                "Anyone links do not expire within 30 days (RequireAnonymousLinksExpireInDays = {days})."
            ),
            json!({ "RequireAnonymousLinksExpireInDays": days }),
        )
    })
}

fn anyone_link_view_only(snap: &Snapshot) -> Outcome {
    when_sharing(snap, &[ANYONE], |t| {
        let file = input!(int(t, "FileAnonymousLinkType"));
        let folder = input!(int(t, "FolderAnonymousLinkType"));
        Outcome::verdict(
            file == 1 && folder == 1,
            "Anyone links to files and folders are view-only.",
            "Anyone links can grant edit access to files or folders.",
            json!({ "FileAnonymousLinkType": file, "FolderAnonymousLinkType": folder }),
        )
    })
}

fn guest_reverification(snap: &Snapshot) -> Outcome {
    when_sharing(snap, &[NEW_AND_EXISTING_GUESTS, ANYONE], |t| {
        let required = b(t, "EmailAttestationRequired");
        let days = i(t, "EmailAttestationReAuthDays");
        Outcome::verdict(
            required == Some(true) && days.is_some_and(|d| d <= 30),
            "Guests must re-verify with a code at least every 30 days.",
            "Guests are not required to re-verify with a code within 30 days.",
            json!({ "EmailAttestationRequired": required, "EmailAttestationReAuthDays": days }),
        )
    })
}

fn tenant_bool(snap: &Snapshot, key: &str, want: bool, ok: &str, bad: &str) -> Outcome {
    let t = input!(tenant(snap));
    let Some(v) = b(&t, key) else {
        return Outcome::error(format!("`SPO_tenant` has no boolean `{key}`"));
    };
    Outcome::verdict(v == want, ok, bad, json!({ key: v }))
}

fn no_resharing(snap: &Snapshot) -> Outcome {
    tenant_bool(
        snap,
        "PreventExternalUsersFromResharing",
        true,
        "Guests cannot reshare items they do not own.",
        "Guests can reshare items they do not own.",
    )
}

fn guest_expiry(snap: &Snapshot) -> Outcome {
    let t = input!(tenant(snap));
    let required = b(&t, "ExternalUserExpirationRequired");
    let days = i(&t, "ExternalUserExpireInDays");
    Outcome::verdict(
        required == Some(true) && days.is_some_and(|d| (1..=30).contains(&d)),
        "Guest access to sites expires within 30 days.",
        "Guest access to sites does not expire within 30 days.",
        json!({ "ExternalUserExpirationRequired": required, "ExternalUserExpireInDays": days }),
    )
}

fn legacy_auth_off(snap: &Snapshot) -> Outcome {
    tenant_bool(
        snap,
        "LegacyAuthProtocolsEnabled",
        false,
        "SharePoint rejects legacy authentication protocols.",
        "SharePoint accepts legacy authentication protocols, which bypass conditional access.",
    )
}

fn infected_download_blocked(snap: &Snapshot) -> Outcome {
    tenant_bool(
        snap,
        "DisallowInfectedFileDownload",
        true,
        "Files flagged as malicious cannot be downloaded.",
        "Users can download files that Defender flagged as malicious.",
    )
}

/// CIS 7.2.2: SharePoint and OneDrive use Entra B2B for guests, so guest accounts get Entra ID's
/// controls (conditional access, MFA, access reviews).
fn b2b_integration(snap: &Snapshot) -> Outcome {
    tenant_bool(
        snap,
        "EnableAzureADB2BIntegration",
        true,
        "SharePoint and OneDrive guests are Entra B2B guests.",
        "SharePoint and OneDrive guests do not go through Entra B2B (EnableAzureADB2BIntegration is False), so conditional access and access reviews miss them.",
    )
}

/// CIS 7.2.10: guests who sign in with a one-time code re-verify at least every 15 days.
fn guest_reverification_cis(snap: &Snapshot) -> Outcome {
    let t = input!(tenant(snap));
    let required = b(&t, "EmailAttestationRequired");
    let days = i(&t, "EmailAttestationReAuthDays");
    Outcome::verdict(
        required == Some(true) && days.is_some_and(|d| (1..=15).contains(&d)),
        format!(
            "Guests must re-verify with a code every {} days (15 at most).",
            days.unwrap_or_default()
        ),
        format!(
            "Guests re-verify {}: CIS wants verification required every 15 days or less.",
            match (required, days) {
                (Some(true), Some(d)) => format!("every {d} days"),
                _ => "never (EmailAttestationRequired is not True)".to_string(),
            }
        ),
        json!({ "EmailAttestationRequired": required, "EmailAttestationReAuthDays": days }),
    )
}

/// SharePoint and OneDrive checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-SPO-01",
        "SharePoint external sharing is limited",
        SharePoint,
        High,
        spo_sharing,
        "Sharing with new guests or anonymous 'Anyone' links lets data leave the organisation without control.",
        "In the SharePoint admin center > Policies > Sharing, set SharePoint to 'Existing guests' or 'Only people in your organization'.",
        "https://learn.microsoft.com/sharepoint/turn-external-sharing-on-or-off"
    ),
    check!(
        "A365-SPO-02",
        "OneDrive external sharing is limited",
        SharePoint,
        High,
        odb_sharing,
        "Personal OneDrive sharing is the easiest route for data to leak to outsiders.",
        "In the SharePoint admin center > Policies > Sharing, set OneDrive to 'Existing guests' or 'Only people in your organization'.",
        "https://learn.microsoft.com/sharepoint/turn-external-sharing-on-or-off"
    ),
    check!(
        "A365-SPO-03",
        "External sharing is restricted by domain",
        SharePoint,
        Medium,
        domain_restriction,
        "An allow-list of partner domains keeps external sharing to known organisations.",
        "In the SharePoint admin center > Policies > Sharing > More external sharing settings, limit sharing to specific domains.",
        "https://learn.microsoft.com/sharepoint/restricted-domains-sharing"
    ),
    check!(
        "A365-SPO-04",
        "The default sharing link is 'Specific people'",
        SharePoint,
        Medium,
        default_link_type,
        "Broad default links (organisation or anyone) grant access to more people than intended.",
        "In the SharePoint admin center > Policies > Sharing > File and folder links, choose 'Specific people'.",
        "https://learn.microsoft.com/sharepoint/change-default-sharing-link"
    ),
    check!(
        "A365-SPO-05",
        "Sharing links default to view permission",
        SharePoint,
        Medium,
        default_link_permission,
        "Edit-by-default links let recipients alter or delete shared content.",
        "In the SharePoint admin center > Policies > Sharing > File and folder links, set the default permission to View.",
        "https://learn.microsoft.com/sharepoint/change-default-sharing-link"
    ),
    check!(
        "A365-SPO-06",
        "Anyone links expire within 30 days",
        SharePoint,
        Medium,
        anyone_link_expiry,
        "Unauthenticated links that never expire keep data exposed indefinitely.",
        "In the SharePoint admin center > Policies > Sharing, set 'These links must expire within this many days' to 30 or fewer.",
        "https://learn.microsoft.com/sharepoint/turn-external-sharing-on-or-off"
    ),
    check!(
        "A365-SPO-07",
        "Anyone links are view-only",
        SharePoint,
        Medium,
        anyone_link_view_only,
        "Anonymous edit links let anyone holding the URL change or upload content.",
        "In the SharePoint admin center > Policies > Sharing > Advanced settings for Anyone links, set files and folders to View.",
        "https://learn.microsoft.com/sharepoint/turn-external-sharing-on-or-off"
    ),
    check!(
        "A365-SPO-08",
        "Guests re-verify with a code every 30 days",
        SharePoint,
        Medium,
        guest_reverification,
        "Periodic re-verification ends access for guests who no longer control the invited address.",
        "In the SharePoint admin center > Policies > Sharing, require people using a verification code to reauthenticate after 30 days or fewer.",
        "https://learn.microsoft.com/sharepoint/what-s-new-in-sharing-in-targeted-release"
    ),
    check!(
        "A365-SPO-09",
        "Guests cannot reshare items",
        SharePoint,
        Medium,
        no_resharing,
        "Resharing by guests spreads access beyond the people the owner chose.",
        "Run Set-SPOTenant -PreventExternalUsersFromResharing $true.",
        "https://learn.microsoft.com/powershell/module/sharepoint-online/set-spotenant"
    ),
    check!(
        "A365-SPO-10",
        "Guest access to sites expires",
        SharePoint,
        Low,
        guest_expiry,
        "Guest access that never expires accumulates forgotten external accounts with standing access.",
        "In the SharePoint admin center > Policies > Sharing, set 'Guest access to a site or OneDrive will expire automatically after this many days' to 30 or fewer.",
        "https://learn.microsoft.com/sharepoint/turn-external-sharing-on-or-off"
    ),
    check!(
        "A365-SPO-11",
        "SharePoint blocks legacy authentication",
        SharePoint,
        High,
        legacy_auth_off,
        "Legacy authentication to SharePoint cannot be protected by MFA or conditional access.",
        "Run Set-SPOTenant -LegacyAuthProtocolsEnabled $false.",
        "https://learn.microsoft.com/powershell/module/sharepoint-online/set-spotenant"
    ),
    check!(
        "A365-SPO-12",
        "Infected files cannot be downloaded",
        SharePoint,
        Medium,
        infected_download_blocked,
        "Letting users download files flagged as malware defeats Safe Attachments for SharePoint.",
        "Run Set-SPOTenant -DisallowInfectedFileDownload $true.",
        "https://learn.microsoft.com/defender-office-365/safe-attachments-for-spo-odfb-teams-configure"
    ),
    check!(
        "A365-SPO-13",
        "SharePoint and OneDrive guests are Entra B2B guests",
        SharePoint,
        Medium,
        b2b_integration,
        "With B2B integration, guests invited from SharePoint and OneDrive get Entra ID accounts that conditional access, MFA and access reviews govern.",
        "Run Set-SPOTenant -EnableAzureADB2BIntegration $true.",
        "https://learn.microsoft.com/sharepoint/sharepoint-azureb2b-integration"
    ),
    check!(
        "A365-SPO-14",
        "Guests re-verify with a code every 15 days",
        SharePoint,
        Medium,
        guest_reverification_cis,
        "A guest holding a shared link without re-verification keeps access long after leaving the partner organisation; CIS asks for at most 15 days.",
        "Run Set-SPOTenant -EmailAttestationRequired $true -EmailAttestationReAuthDays 15.",
        "https://learn.microsoft.com/sharepoint/turn-external-sharing-on-or-off"
    ),
];
