//! Teams checks: external access, unmanaged users, anonymous users, lobby and meeting settings.

use serde_json::{Value, json};

use super::{b, check, count, input, list_ours, n, name_of, s, undecided};
use crate::check::{Check, Outcome};
use crate::snapshot::Snapshot;

fn identity(p: &Value) -> String {
    s(p, "Identity").to_string()
}

/// Fails when any meeting policy matches `bad`, which reads `field`: a policy without it is
/// unknown, neither offending nor compliant.
fn no_policy(
    snap: &Snapshot,
    field: &str,
    bad: impl Fn(&Value) -> bool,
    ok: &str,
    fail: &str,
) -> Outcome {
    let pols = input!(snap.list("meeting_policies"));
    if pols.is_empty() {
        return Outcome::error("`meeting_policies` is empty");
    }
    let unknown: Vec<String> = pols
        .iter()
        .filter(|p| p.get(field).is_none_or(Value::is_null))
        .map(|p| identity(p))
        .collect();
    if !unknown.is_empty() {
        return Outcome::error(format!(
            "no `{field}` in {} of `meeting_policies`, so whether they allow it is unknown",
            n(&unknown, "policy", "policies")
        ));
    }
    let offenders: Vec<String> = pols
        .iter()
        .filter(|p| bad(p))
        .map(|p| identity(p))
        .collect();
    Outcome::verdict(
        offenders.is_empty(),
        format!("{ok} ({} meeting policies checked).", pols.len()),
        format!("{fail}: {}.", offenders.len()),
        json!({ "offending_policies": offenders, "policies_checked": pols.len() }),
    )
    .about(&offenders)
}

/// Judges the Global (org-wide default) policy of a settings group.
fn global(
    snap: &Snapshot,
    key: &str,
    ok: impl Fn(&Value) -> bool,
    fields: &[&str],
    pass: &str,
    fail: &str,
) -> Outcome {
    let pols = input!(snap.list(key));
    let Some(g) = pols.iter().find(|p| identity(p) == "Global") else {
        return Outcome::error(format!("`{key}` has no Global policy"));
    };
    // A setting the policy does not carry is unknown: neither compliant nor failing.
    if let Some(f) = fields
        .iter()
        .find(|f| g.get(**f).is_none_or(Value::is_null))
    {
        return Outcome::error(format!(
            "the Global policy of `{key}` has no `{f}`, so it cannot be judged"
        ));
    }
    let mut ev = serde_json::Map::new();
    ev.insert("policy".into(), json!("Global"));
    for f in fields {
        ev.insert((*f).to_string(), g.get(*f).cloned().unwrap_or(Value::Null));
    }
    Outcome::verdict(ok(g), pass, fail, Value::Object(ev))
}

fn external_control(snap: &Snapshot) -> Outcome {
    no_policy(
        snap,
        "AllowExternalParticipantGiveRequestControl",
        |p| b(p, "AllowExternalParticipantGiveRequestControl") == Some(true),
        "No meeting policy lets external participants take control",
        "Meeting policies letting external participants request control",
    )
}

fn anonymous_start(snap: &Snapshot) -> Outcome {
    no_policy(
        snap,
        "AllowAnonymousUsersToStartMeeting",
        |p| b(p, "AllowAnonymousUsersToStartMeeting") == Some(true),
        "No meeting policy lets anonymous users start meetings",
        "Meeting policies letting anonymous users start meetings",
    )
}

fn lobby_global(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| {
            s(g, "AutoAdmittedUsers") != "Everyone"
                && b(g, "AllowPSTNUsersToBypassLobby") == Some(false)
        },
        &["AutoAdmittedUsers", "AllowPSTNUsersToBypassLobby"],
        "The Global meeting policy keeps anonymous and dial-in users in the lobby.",
        "The Global meeting policy admits everyone or dial-in users without the lobby.",
    )
}

fn internal_auto_admit(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| {
            [
                "EveryoneInCompany",
                "EveryoneInSameAndFederatedCompany",
                "EveryoneInCompanyExcludingGuests",
            ]
            .contains(&s(g, "AutoAdmittedUsers"))
        },
        &["AutoAdmittedUsers"],
        "Only internal (or federated) users bypass the lobby by default.",
        "People outside the organisation bypass the lobby by default.",
    )
}

fn dial_in_bypass(snap: &Snapshot) -> Outcome {
    no_policy(
        snap,
        "AllowPSTNUsersToBypassLobby",
        |p| b(p, "AllowPSTNUsersToBypassLobby") == Some(true),
        "No meeting policy lets dial-in users bypass the lobby",
        "Meeting policies letting dial-in users bypass the lobby",
    )
}

fn cloud_recording(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| b(g, "AllowCloudRecording") == Some(false),
        &["AllowCloudRecording"],
        "Cloud recording is off in the Global meeting policy.",
        "Cloud recording is on in the Global meeting policy.",
    )
}

fn live_event_recording(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "broadcast_policies",
        |g| s(g, "BroadcastRecordingMode") != "AlwaysEnabled",
        &["BroadcastRecordingMode"],
        "Live events are not always recorded.",
        "Live events are always recorded (BroadcastRecordingMode is AlwaysEnabled).",
    )
}

/// The federation configurations (every tenant has the Global one: none read means the read
/// returned nothing).
fn federation(snap: &Snapshot) -> Result<Vec<Value>, String> {
    Ok(snap
        .rows("federation_configuration")?
        .into_iter()
        .cloned()
        .collect())
}

/// Whether a federation configuration lets users talk to external domains
/// (`AllowFederatedUsers`), and if so how many domains it limits them to (`AllowedDomains`: an
/// empty list or object, or null, is none, meaning every domain). A missing field or another
/// shape is unknown, never "off" or "limited".
fn federated_domains(c: &Value) -> Result<Option<usize>, String> {
    let Some(on) = b(c, "AllowFederatedUsers") else {
        return Err(
            "a federation configuration has no boolean `AllowFederatedUsers`, so whether external access is on is unknown"
                .to_string(),
        );
    };
    if !on {
        return Ok(None);
    }
    match c.get("AllowedDomains") {
        None => Err(
            "a federation configuration allowing external access has no `AllowedDomains`, so which domains it allows is unknown"
                .to_string(),
        ),
        Some(v @ (Value::Null | Value::Array(_))) => Ok(Some(count(Some(v)))),
        Some(Value::String(x)) => Ok(Some(usize::from(!x.is_empty()))),
        // PowerShell's allow list: `{"AllowedDomain": "Domain=..." | [...]}`; `{}` allows all.
        Some(Value::Object(o)) if o.is_empty() => Ok(Some(0)),
        Some(Value::Object(o)) if o.len() == 1 && o.contains_key("AllowedDomain") => {
            Ok(Some(count(o.get("AllowedDomain"))))
        }
        Some(_) => Err(
            "a federation configuration's `AllowedDomains` has an unknown shape, so which domains it allows is unknown"
                .to_string(),
        ),
    }
}

/// What a federation configuration's verdict rests on: the domains only when federation is on.
fn federation_evidence(c: &Value, domains: Option<usize>) -> Value {
    match domains {
        None => json!({ "AllowFederatedUsers": false }),
        Some(_) => {
            json!({ "AllowFederatedUsers": true, "AllowedDomains": c.get("AllowedDomains") })
        }
    }
}

fn external_access(snap: &Snapshot) -> Outcome {
    let cfgs = input!(federation(snap));
    let mut open: Vec<String> = Vec::new();
    let mut settings = Vec::new();
    for c in &cfgs {
        let domains = input!(federated_domains(c));
        if domains == Some(0) {
            open.push(name_of(c));
        }
        settings.push(federation_evidence(c, domains));
    }
    Outcome::verdict(
        open.is_empty(),
        "External access is off or limited to allowed domains.",
        "External access is open to every external domain.",
        json!({ "open_configurations": open, "settings": settings }),
    )
}

fn unmanaged_inbound(snap: &Snapshot) -> Outcome {
    let cfgs = input!(federation(snap));
    let open: Vec<String> = cfgs
        .iter()
        .filter(|c| {
            b(c, "AllowTeamsConsumer") == Some(true)
                && b(c, "AllowTeamsConsumerInbound") == Some(true)
        })
        .map(name_of)
        .collect();
    Outcome::verdict(
        open.is_empty(),
        "Unmanaged Teams accounts cannot start conversations with users.",
        "Unmanaged (personal) Teams accounts can start conversations with users.",
        json!({ "open_configurations": open }),
    )
}

fn unmanaged_outbound(snap: &Snapshot) -> Outcome {
    let cfgs = input!(federation(snap));
    let open: Vec<String> = cfgs
        .iter()
        .filter(|c| b(c, "AllowTeamsConsumer") == Some(true))
        .map(name_of)
        .collect();
    Outcome::verdict(
        open.is_empty(),
        "Users cannot communicate with unmanaged Teams accounts.",
        "Users can communicate with unmanaged (personal) Teams accounts.",
        json!({ "open_configurations": open }),
    )
}

/// CIS 8.1.1: no third-party cloud storage can be shared from Teams (the Global client
/// configuration). CIS allows providers the organisation authorised: a person confirms any
/// that are on.
fn cloud_storage_restricted(snap: &Snapshot) -> Outcome {
    const PROVIDERS: [&str; 5] = [
        "AllowDropBox",
        "AllowBox",
        "AllowGoogleDrive",
        "AllowShareFile",
        "AllowEgnyte",
    ];
    let cfgs = input!(snap.list("client_configuration"));
    let Some(g) = cfgs
        .iter()
        .find(|c| identity(c) == "Global")
        .or(cfgs.first())
    else {
        return Outcome::error("`client_configuration` is empty");
    };
    let on: Vec<String> = PROVIDERS
        .iter()
        .filter(|p| b(g, p) != Some(false))
        .map(|p| p.trim_start_matches("Allow").to_string())
        .collect();
    Outcome::verdict(
        on.is_empty(),
        "No third-party cloud storage (Dropbox, Box, Google Drive, ShareFile, Egnyte) is available in Teams.",
        format!(
            "Teams lets users share files from {}: turn off every provider the organisation has not authorised (verify any kept on are authorised).",
            list_ours(&on)
        ),
        Value::Object(
            PROVIDERS
                .iter()
                .map(|p| ((*p).to_string(), g.get(*p).cloned().unwrap_or(Value::Null)))
                .collect(),
        ),
    )
}

/// CIS 8.2.4: users cannot communicate with Teams trial tenants.
fn trial_tenants_blocked(snap: &Snapshot) -> Outcome {
    let cfgs = input!(federation(snap));
    if cfgs.is_empty() {
        return Outcome::error("`federation_configuration` is empty");
    }
    let values: Vec<String> = cfgs
        .iter()
        .map(|c| s(c, "ExternalAccessWithTrialTenants").to_string())
        .collect();
    if values.iter().all(String::is_empty) {
        return Outcome::error(
            "`federation_configuration` has no ExternalAccessWithTrialTenants (older Teams PowerShell)",
        );
    }
    let other: Vec<String> = values.iter().filter(|v| *v != "Blocked").cloned().collect();
    Outcome::verdict(
        other.is_empty(),
        "Communication with Teams trial tenants is blocked.",
        format!(
            "ExternalAccessWithTrialTenants is not Blocked in {}: CIS wants Blocked.",
            n(&other, "configuration", "configurations")
        ),
        json!({ "ExternalAccessWithTrialTenants": values }),
    )
    .about(&other)
}

/// CIS 8.5.7: the Global (org-wide default) meeting policy does not let external participants
/// give or request control.
fn external_control_global(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| b(g, "AllowExternalParticipantGiveRequestControl") == Some(false),
        &["AllowExternalParticipantGiveRequestControl"],
        "External participants cannot give or request control in the Global meeting policy.",
        "External participants can give or request control in the Global meeting policy.",
    )
}

fn anonymous_join(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| b(g, "AllowAnonymousUsersToJoinMeeting") == Some(false),
        &["AllowAnonymousUsersToJoinMeeting"],
        "Anonymous users cannot join meetings.",
        "Anonymous users can join meetings (Global policy).",
    )
}

fn anonymous_chat(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| ["EnabledExceptAnonymous", "Disabled"].contains(&s(g, "MeetingChatEnabledType")),
        &["MeetingChatEnabledType"],
        "Anonymous users cannot use meeting chat.",
        "Anonymous users can read and write meeting chat (Global policy).",
    )
}

/// Whether `teams_tenant_info` shows a US government tenant (an assigned plan naming GCC, GCC
/// High or DoD), where some Teams features do not exist; the reason when it cannot be read.
fn us_government_tenant(snap: &Snapshot) -> Result<bool, String> {
    Ok(snap.list("teams_tenant_info")?.iter().any(|r| {
        super::strs(r.get("AssignedPlan"))
            .iter()
            .any(|p| p.contains("GCC") || p.contains("DOD"))
    }))
}

fn email_into_channel(snap: &Snapshot) -> Outcome {
    let cfgs = input!(snap.list("client_configuration"));
    let government = us_government_tenant(snap);
    if government == Ok(true) {
        return Outcome::not_applicable(
            "SCuBA does not apply this requirement to GCC, GCC High or DoD tenants (the feature is not offered there), and this tenant's Teams plans are US government ones.",
            json!({ "us_government_tenant": true }),
        );
    }
    let open: Vec<String> = cfgs
        .iter()
        .filter(|c| b(c, "AllowEmailIntoChannel") == Some(true))
        .map(|c| identity(c))
        .collect();
    // Channel email turned on fails only where the feature exists: in a US government tenant
    // it is not offered, and whether this is one is unknown without the tenant's Teams details.
    if let (false, Err(why)) = (open.is_empty(), &government) {
        return Outcome::error(format!(
            "channel email is on in {}, but whether this is a US government tenant (where the feature is not offered and SCuBA does not apply this requirement) is unknown: {why}",
            n(&open, "configuration", "configurations")
        ));
    }
    Outcome::verdict(
        open.is_empty(),
        "Users cannot send email into channels.",
        "Channel email addresses are enabled, so anyone can mail content into Teams channels.",
        json!({ "configurations_allowing_email": open }),
    )
}

fn organizer_presents(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| s(g, "DesignatedPresenterRoleMode") == "OrganizerOnlyUserOverride",
        &["DesignatedPresenterRoleMode"],
        "Only organisers and co-organisers present by default.",
        "Everyone can present in meetings by default.",
    )
}

fn external_meeting_chat(snap: &Snapshot) -> Outcome {
    global(
        snap,
        "meeting_policies",
        |g| b(g, "AllowExternalNonTrustedMeetingChat") == Some(false),
        &["AllowExternalNonTrustedMeetingChat"],
        "Users from untrusted organisations cannot chat in meetings.",
        "Users from untrusted organisations can chat in meetings.",
    )
}

/// Judges one class of Teams apps (SCuBA MS.TEAMS.5.x): the org-wide app setting must be
/// "None" where the export has it; otherwise no legacy app permission policy may block nothing.
fn apps_restricted(snap: &Snapshot, setting: &str, legacy_field: &str, what: &str) -> Outcome {
    let settings = input!(snap.rows("tenant_app_settings"));
    let pols = input!(snap.list("app_policies"));
    if let Some(st) = settings.iter().find(|x| s(x, "SettingName") == setting) {
        let value = s(st, "SettingValue");
        return Outcome::verdict(
            value == "None",
            format!(
                "The org-wide setting for {what} is None: users cannot install them unless allowed."
            ),
            format!("The org-wide setting for {what} is {value}: every user can install them."),
            json!({ "setting": setting, "value": value }),
        );
    }
    let open: Vec<String> = pols
        .iter()
        .filter(|p| s(p, legacy_field) == "BlockedAppList")
        .map(|p| identity(p))
        .collect();
    Outcome::verdict(
        open.is_empty(),
        format!("Every app permission policy allows only listed {what}."),
        format!(
            "App permission policies allowing every {what} but a block list: {}.",
            open.len()
        ),
        json!({ "policies_allowing_all": open }),
    )
    .about(&open)
}

fn microsoft_apps(snap: &Snapshot) -> Outcome {
    apps_restricted(
        snap,
        "DefaultApp",
        "DefaultCatalogAppsType",
        "Microsoft apps",
    )
}

fn third_party_apps(snap: &Snapshot) -> Outcome {
    apps_restricted(
        snap,
        "GlobalApp",
        "GlobalCatalogAppsType",
        "third-party apps",
    )
}

fn custom_apps(snap: &Snapshot) -> Outcome {
    apps_restricted(snap, "PrivateApp", "PrivateCatalogAppsType", "custom apps")
}

fn external_access_cis(snap: &Snapshot) -> Outcome {
    let cfgs = input!(federation(snap));
    let mut restricted = true;
    let mut settings = Vec::new();
    for c in &cfgs {
        let domains = input!(federated_domains(c));
        restricted &= domains != Some(0);
        settings.push(federation_evidence(c, domains));
    }
    let evidence = json!({ "settings": settings });
    if restricted {
        Outcome::pass(
            "The organisation allows only specific external domains or blocks them all, which CIS accepts as passing.",
            evidence,
        )
    } else {
        Outcome {
            status: crate::model::Status::Manual,
            message: "External access is open to every domain at the organisation level; CIS 8.2.1 then judges the Global external access policy, which the export does not hold: in the Teams admin center > External collaboration > External access > Policies > Global, verify 'Manage external domains' is Off (Get-CsExternalAccessPolicy -Identity Global shows EnableFederationAccess False).".to_string(),
            evidence,
            subjects: Vec::new(),
        }
    }
}

/// Teams checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-TMS-01",
        "External participants cannot request control",
        Teams,
        Medium,
        external_control,
        "An external participant controlling a shared screen can run commands on an internal machine.",
        "In the Teams admin center > Meetings > Meeting policies, turn off 'External participants can give or request control' in every policy.",
        "https://learn.microsoft.com/microsoftteams/meeting-policies-content-sharing"
    ),
    check!(
        "A365-TMS-02",
        "Anonymous users cannot start meetings",
        Teams,
        High,
        anonymous_start,
        "Meetings started by anonymous users run without any internal person present to control them.",
        "In every meeting policy, turn off 'Anonymous users and dial-in callers can start a meeting'.",
        "https://learn.microsoft.com/microsoftteams/meeting-settings-in-teams"
    ),
    check!(
        "A365-TMS-03",
        "Anonymous and dial-in users wait in the lobby",
        Teams,
        Medium,
        lobby_global,
        "The lobby lets organisers vet unknown participants before they see or hear the meeting.",
        "In the Global meeting policy, set 'Who can bypass the lobby' to people in the organisation and turn off 'Dial-in users can bypass the lobby'.",
        "https://learn.microsoft.com/microsoftteams/who-can-bypass-meeting-lobby"
    ),
    check!(
        "A365-TMS-04",
        "Only internal users bypass the lobby",
        Teams,
        Medium,
        internal_auto_admit,
        "Letting external users straight in removes the organiser's chance to check who joins.",
        "In the Global meeting policy, set 'Who can bypass the lobby' to 'People in my org' (optionally trusted organisations).",
        "https://learn.microsoft.com/microsoftteams/who-can-bypass-meeting-lobby"
    ),
    check!(
        "A365-TMS-05",
        "Dial-in users cannot bypass the lobby",
        Teams,
        Medium,
        dial_in_bypass,
        "Phone callers cannot be authenticated; they should wait to be admitted.",
        "In every meeting policy, turn off 'People dialing in can bypass the lobby'.",
        "https://learn.microsoft.com/microsoftteams/who-can-bypass-meeting-lobby"
    ),
    check!(
        "A365-TMS-06",
        "Meetings are not recorded to the cloud by default",
        Teams,
        Low,
        cloud_recording,
        "Recordings copy sensitive conversations into files that are easily shared; enable them only where needed.",
        "In the Global meeting policy, turn off 'Meeting recording' and enable it in targeted policies.",
        "https://learn.microsoft.com/microsoftteams/meeting-recording"
    ),
    check!(
        "A365-TMS-07",
        "Live events are not always recorded",
        Teams,
        Low,
        live_event_recording,
        "Always-on recording of live events keeps content the organiser may not intend to keep.",
        "Set the Global live events policy recording mode to 'Organizer can record' or 'Never record'.",
        "https://learn.microsoft.com/microsoftteams/teams-live-events/set-up-for-teams-live-events"
    ),
    check!(
        "A365-TMS-08",
        "External access is limited to allowed domains",
        Teams,
        High,
        external_access,
        "Open federation lets any Teams tenant, including attacker-controlled ones, chat with and phish users.",
        "In the Teams admin center > Users > External access, allow only specific external domains (or block all).",
        "https://learn.microsoft.com/microsoftteams/trusted-organizations-external-meetings-chat"
    ),
    check!(
        "A365-TMS-09",
        "Unmanaged Teams accounts cannot start conversations",
        Teams,
        High,
        unmanaged_inbound,
        "Personal Teams accounts are a common channel for phishing and malware delivery to employees.",
        "In External access, turn off 'External users with Teams accounts not managed by an organization can contact users in my organization'.",
        "https://learn.microsoft.com/microsoftteams/trusted-organizations-external-meetings-chat"
    ),
    check!(
        "A365-TMS-10",
        "Users cannot contact unmanaged Teams accounts",
        Teams,
        Medium,
        unmanaged_outbound,
        "Chats with personal accounts are outside organisational control and retention.",
        "In External access, turn off 'People in my organization can communicate with unmanaged Teams accounts'.",
        "https://learn.microsoft.com/microsoftteams/trusted-organizations-external-meetings-chat"
    ),
    check!(
        "A365-TMS-11",
        "Anonymous users cannot join meetings",
        Teams,
        Medium,
        anonymous_join,
        "Anonymous participants cannot be identified or held accountable.",
        "In the Global meeting policy, turn off 'Anonymous users can join a meeting'.",
        "https://learn.microsoft.com/microsoftteams/anonymous-users-in-meetings"
    ),
    check!(
        "A365-TMS-12",
        "Anonymous users cannot use meeting chat",
        Teams,
        Low,
        anonymous_chat,
        "Meeting chat from anonymous participants can carry phishing links and read shared content.",
        "In the Global meeting policy, set 'Meeting chat' to 'On for everyone but anonymous users'.",
        "https://learn.microsoft.com/microsoftteams/settings-policies-reference"
    ),
    check!(
        "A365-TMS-13",
        "Email into channels is disabled",
        Teams,
        Low,
        email_into_channel,
        "Channel email addresses let anyone on the internet post content into Teams, bypassing mail filtering expectations.",
        "In the Teams admin center > Teams settings > Email integration, turn off 'Users can send emails to a channel email address'.",
        "https://learn.microsoft.com/microsoftteams/enable-features-office-365"
    ),
    check!(
        "A365-TMS-14",
        "Only organisers present by default",
        Teams,
        Low,
        organizer_presents,
        "When everyone can present, any participant can take over the screen during a meeting.",
        "In the Global meeting policy, set 'Who can present' to 'Only organizers and co-organizers'.",
        "https://learn.microsoft.com/microsoftteams/settings-policies-reference"
    ),
    check!(
        "A365-TMS-15",
        "Untrusted organisations cannot chat in meetings",
        Teams,
        Low,
        external_meeting_chat,
        "Meeting chat with users from untrusted organisations is an uncontrolled channel for phishing links.",
        "In the Global meeting policy, turn off 'External meeting chat with untrusted organizations'.",
        "https://learn.microsoft.com/microsoftteams/settings-policies-reference"
    ),
    check!(
        "A365-TMS-16",
        "Users cannot install Microsoft apps unless allowed",
        Teams,
        Low,
        microsoft_apps,
        "Every app added to Teams can read chats and files it is granted; allow only the apps the organisation approved.",
        "In the Teams admin center > Teams apps > Manage apps > Org-wide app settings (or app centric management), set Microsoft apps to none allowed and allow approved apps one by one.",
        "https://learn.microsoft.com/microsoftteams/app-centric-management"
    ),
    check!(
        "A365-TMS-17",
        "Users cannot install third-party apps unless allowed",
        Teams,
        Medium,
        third_party_apps,
        "Third-party Teams apps send organisational data to services outside Microsoft's and the organisation's control.",
        "In the Teams admin center > Teams apps > Manage apps, set third-party apps to none allowed and allow approved apps one by one.",
        "https://learn.microsoft.com/microsoftteams/app-centric-management"
    ),
    check!(
        "A365-TMS-18",
        "Users cannot install custom apps unless allowed",
        Teams,
        Medium,
        custom_apps,
        "Custom (sideloaded) apps bypass store review and can be used to deliver malicious code into Teams.",
        "In the Teams admin center > Teams apps > Manage apps, set custom apps to none allowed and allow approved apps one by one.",
        "https://learn.microsoft.com/microsoftteams/app-centric-management"
    ),
    check!(
        "A365-TMS-19",
        "External access is restricted (CIS)",
        Teams,
        Medium,
        external_access_cis,
        "Open federation lets any Teams tenant, including attacker-controlled ones, chat with and phish users.",
        "In the Teams admin center > External collaboration > External access, set the Global policy's 'Manage external domains' to Off, or allow only specific external domains at the organisation level.",
        "https://learn.microsoft.com/microsoftteams/trusted-organizations-external-meetings-chat"
    ),
    check!(
        "A365-TMS-20",
        "Third-party cloud storage is off in Teams",
        Teams,
        Medium,
        cloud_storage_restricted,
        "Files shared from unmanaged cloud storage leave the organisation's retention, DLP and access controls.",
        "Run Set-CsTeamsClientConfiguration -Identity Global -AllowDropBox $false -AllowBox $false -AllowGoogleDrive $false -AllowShareFile $false -AllowEgnyte $false (keep only authorised providers).",
        "https://learn.microsoft.com/microsoftteams/settings-policies-reference"
    ),
    check!(
        "A365-TMS-21",
        "Teams trial tenants cannot contact users",
        Teams,
        Medium,
        trial_tenants_blocked,
        "Trial tenants cost an attacker nothing and are a common source of Teams phishing.",
        "Run Set-CsTenantFederationConfiguration -ExternalAccessWithTrialTenants Blocked.",
        "https://learn.microsoft.com/microsoftteams/trusted-organizations-external-meetings-chat"
    ),
    check!(
        "A365-TMS-22",
        "External participants cannot take control (Global policy, CIS)",
        Teams,
        Low,
        external_control_global,
        "A participant from outside who controls a shared screen can open files and run commands on the presenter's machine.",
        "Run Set-CsTeamsMeetingPolicy -Identity Global -AllowExternalParticipantGiveRequestControl $false.",
        "https://learn.microsoft.com/microsoftteams/meeting-policies-content-sharing"
    ),
    undecided!(
        "A365-TMS-23",
        "A data loss prevention solution protects sensitive information in Teams",
        Teams,
        Medium,
        ThirdParty,
        "that a DLP solution covers Teams chats and channel messages and protects personal and agency-defined sensitive information. Where Purview DLP is the solution, A365-PUR-04 decides whether a DLP policy covers Teams.",
        "Chats and channel messages can carry personal and sensitive data out of the organisation.",
        "Create a Purview DLP policy (or a third-party equivalent) for the Teams location that protects the sensitive information types the agency defines.",
        "https://learn.microsoft.com/purview/dlp-microsoft-teams"
    ),
    undecided!(
        "A365-TMS-24",
        "Files shared in Teams are scanned for malware and blocked when infected",
        Teams,
        Low,
        ThirdParty,
        "that attachments of Teams messages are scanned for malware and that users cannot open or download files found to be malware. Where Defender for Office 365 is used, A365-DEF-06 decides Safe Attachments for Teams.",
        "Files shared in Teams bypass email filtering unless they are scanned where they are stored.",
        "Turn on Safe Attachments for SharePoint, OneDrive and Teams (or the third-party scanner) and block downloads of detected files.",
        "https://learn.microsoft.com/defender-office-365/safe-attachments-for-spo-odfb-teams-about"
    ),
    undecided!(
        "A365-TMS-25",
        "Links in Teams are checked against a block list and clicks are tracked",
        Teams,
        Low,
        ThirdParty,
        "that URLs in Teams messages are compared with a block list and that user clicks are tracked. Where Defender for Office 365 is used, the Safe Links settings of the preset policies (A365-DEF-01 to A365-DEF-03) fulfil it.",
        "Malicious links posted in chats reach users who trust internal messages more than email.",
        "Turn on Safe Links for Teams (or the third-party link protection) with click tracking.",
        "https://learn.microsoft.com/defender-office-365/safe-links-about"
    ),
];
