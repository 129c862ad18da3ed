//! Exchange Online checks: SPF, DKIM, DMARC, forwarding, SMTP AUTH, auditing, sharing, tagging.

use serde_json::{Value, json};

use super::{b, check, count, input, n, name_of, s, strs, undecided};
use crate::check::{Check, Outcome};
use crate::exemptions::{Exemptions, SOURCE};
use crate::observation::dmarc_tag;
use crate::snapshot::Snapshot;

/// The TXT answers recorded for a domain lookup.
fn rdata(v: &Value) -> Vec<String> {
    strs(v.get("rdata"))
}

/// DNS lookup results keyed by domain (lists or a single object are both accepted). A lookup
/// without its records (`rdata`), as older ScubaGear exports hold with only ScubaGear's own
/// `compliant` verdict, decides nothing here: it is refused rather than read as "no record"
/// (the SPF check reads that verdict where no lookup carries its records, and says so).
fn lookups(snap: &Snapshot, key: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out = Vec::new();
    for r in snap.list(key)? {
        let domain = s(r, "domain").to_ascii_lowercase();
        if domain.is_empty() {
            continue;
        }
        if r.get("rdata").is_none() {
            return Err(format!(
                "`{key}` holds the lookup of {domain} without its records (`rdata`), an older export's shape: scan live or export again with ScubaGear 1.8"
            ));
        }
        out.push((domain, rdata(r)));
    }
    Ok(out)
}

fn per_domain(
    snap: &Snapshot,
    key: &str,
    ok: impl Fn(&str, &[String]) -> bool,
    pass_msg: &str,
    fail_msg: &str,
) -> Outcome {
    let records = input!(lookups(snap, key));
    if records.is_empty() {
        return Outcome::error(format!("`{key}` holds no DNS lookups"));
    }
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for (domain, answers) in &records {
        if ok(domain, answers) {
            good.push(domain.clone());
        } else {
            bad.push(domain.clone());
        }
    }
    let evidence = json!({
        "compliant_domains": good,
        "non_compliant_domains": bad,
        "records": records.iter().map(|(d, r)| json!({"domain": d, "txt": r})).collect::<Vec<_>>(),
    });
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!("{pass_msg} ({}).", n(&good, "domain", "domains")),
        format!("{fail_msg}: {}.", n(&bad, "domain", "domains")),
        evidence,
    )
    .about(subjects)
}

/// ScubaGear's own SPF verdicts (`compliant`, computed by its PowerShell provider from the
/// records), per domain, when `spf_records` holds them without any of the records (`rdata`), as
/// older exports and ScubaGear's unit tests do: `None` when some lookup carries its records (the
/// records then decide), an error when a lookup has neither.
fn scubagear_spf_flags(snap: &Snapshot) -> Result<Option<Vec<(String, bool)>>, String> {
    let lookups: Vec<&Value> = snap
        .list("spf_records")?
        .into_iter()
        .filter(|r| !s(r, "domain").is_empty())
        .collect();
    if lookups.is_empty() || lookups.iter().any(|r| r.get("rdata").is_some()) {
        return Ok(None);
    }
    lookups
        .iter()
        .map(|r| {
            let domain = s(r, "domain").to_ascii_lowercase();
            b(r, "compliant").map(|ok| (domain.clone(), ok)).ok_or_else(|| {
                format!(
                    "`spf_records` holds the lookup of {domain} with neither its records (`rdata`) nor ScubaGear's verdict on them (`compliant`)"
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// MS.EXO.2.2v3: every domain publishes an SPF record that fails unauthorised senders, decided
/// from the records; where the export holds only ScubaGear's verdict on them, from that verdict,
/// and the finding says so.
fn spf_published(snap: &Snapshot) -> Outcome {
    if let Some(flags) = input!(scubagear_spf_flags(snap)) {
        return spf_by_scubagear(&flags);
    }
    per_domain(
        snap,
        "spf_records",
        |_, txt| {
            txt.iter().any(|r| {
                let r = r.trim().to_ascii_lowercase();
                r.starts_with("v=spf1 ") && (r.contains("-all") || r.contains("redirect="))
            })
        },
        "Every domain publishes an SPF record that fails unauthorised senders",
        "Domains without an SPF record ending in -all",
    )
}

/// The SPF verdict from ScubaGear's own per-domain flags: the export did not include the records.
fn spf_by_scubagear(flags: &[(String, bool)]) -> Outcome {
    const SOURCE_NOTE: &str = "by ScubaGear's own reading of the SPF records (its `compliant` flag in `spf_records`); the export did not include the records themselves (`rdata`)";
    let good: Vec<String> = flags
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(d, _)| d.clone())
        .collect();
    let bad: Vec<String> = flags
        .iter()
        .filter(|(_, ok)| !*ok)
        .map(|(d, _)| d.clone())
        .collect();
    let evidence = json!({
        "compliant_domains": good,
        "non_compliant_domains": bad,
        "decided_by": "ScubaGear's `compliant` flag per domain",
        "records_included": false,
    });
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "Every domain publishes an SPF record that fails unauthorised senders ({}), {SOURCE_NOTE}.",
            n(&good, "domain", "domains")
        ),
        format!(
            "Domains without an SPF record that fails unauthorised senders: {}, {SOURCE_NOTE}.",
            n(&bad, "domain", "domains")
        ),
        evidence,
    )
    .about(subjects)
}

fn dkim_enabled(snap: &Snapshot) -> Outcome {
    let spf = input!(lookups(snap, "spf_records"));
    let configs = input!(snap.list("dkim_config"));
    let records = input!(lookups(snap, "dkim_records"));
    let domains: Vec<String> = spf
        .iter()
        .map(|(d, _)| d.clone())
        .filter(|d| !d.ends_with(".mail.onmicrosoft.com"))
        .collect();
    if domains.is_empty() {
        return Outcome::error("`spf_records` lists no sending domains to check DKIM for");
    }
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for d in &domains {
        let signing = configs
            .iter()
            .any(|c| s(c, "Domain").eq_ignore_ascii_case(d) && b(c, "Enabled") == Some(true));
        let published = records
            .iter()
            .any(|(rd, txt)| rd == d && txt.iter().any(|t| t.trim_start().starts_with("v=DKIM1;")));
        if signing && published {
            good.push(d.clone())
        } else {
            bad.push(d.clone())
        }
    }
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "DKIM signing is enabled and its key published for {}.",
            n(&good, "domain", "domains")
        ),
        format!(
            "DKIM is not enabled or its key is not published for {}.",
            n(&bad, "domain", "domains")
        ),
        json!({ "compliant_domains": good, "non_compliant_domains": bad }),
    )
    .about(subjects)
}

fn dmarc_records(txt: &[String]) -> Vec<&String> {
    txt.iter()
        .filter(|r| r.trim_start().starts_with("v=DMARC1;"))
        .collect()
}

fn dmarc_published(snap: &Snapshot) -> Outcome {
    per_domain(
        snap,
        "dmarc_records",
        |_, txt| !dmarc_records(txt).is_empty(),
        "Every domain publishes a DMARC record",
        "Domains without a DMARC record",
    )
}

fn dmarc_reject(snap: &Snapshot) -> Outcome {
    per_domain(
        snap,
        "dmarc_records",
        |_, txt| {
            dmarc_records(txt)
                .iter()
                .any(|r| dmarc_tag(r, "p").is_some_and(|p| p.eq_ignore_ascii_case("reject")))
        },
        "Every DMARC record uses p=reject",
        "Domains whose DMARC policy is not p=reject",
    )
}

fn dmarc_reports(snap: &Snapshot) -> Outcome {
    per_domain(
        snap,
        "dmarc_records",
        |_, txt| {
            dmarc_records(txt).iter().any(|r| {
                dmarc_tag(r, "rua").is_some_and(|v| v.to_ascii_lowercase().contains("mailto:"))
            })
        },
        "Every DMARC record requests aggregate reports",
        "Domains whose DMARC record has no aggregate report address (rua)",
    )
}

/// The mailbox SCuBA names for aggregate DMARC reports to CISA.
const CISA_DMARC_REPORTS: &str = "mailto:reports@dmarc.cyber.dhs.gov";

/// The addresses of one DMARC report tag (`rua` or `ruf`), lower-cased.
fn report_addresses(record: &str, tag: &str) -> Vec<String> {
    dmarc_tag(record, tag)
        .map(|v| {
            v.split(',')
                .map(|a| a.trim().to_ascii_lowercase())
                .filter(|a| a.starts_with("mailto:") && a.contains('@'))
                .collect()
        })
        .unwrap_or_default()
}

fn dmarc_cisa_reports(snap: &Snapshot) -> Outcome {
    per_domain(
        snap,
        "dmarc_records",
        |_, txt| {
            dmarc_records(txt).iter().any(|r| {
                report_addresses(r, "rua")
                    .iter()
                    .any(|a| a == CISA_DMARC_REPORTS)
            })
        },
        "Every DMARC record sends aggregate reports to reports@dmarc.cyber.dhs.gov",
        "Domains whose DMARC aggregate reports (rua) do not go to reports@dmarc.cyber.dhs.gov",
    )
}

fn dmarc_agency_contacts(snap: &Snapshot) -> Outcome {
    per_domain(
        snap,
        "dmarc_records",
        |_, txt| {
            dmarc_records(txt).iter().any(|r| {
                report_addresses(r, "rua").len() >= 2 && !report_addresses(r, "ruf").is_empty()
            })
        },
        "Every DMARC record names the organisation's own contacts for aggregate (rua, beside CISA's) and failure (ruf) reports",
        "Domains whose DMARC record lacks a second aggregate report address (rua) or any failure report address (ruf)",
    )
}

/// MS.EXO.1.1v2 (and CIS 6.2.1): no remote domain allows automatic forwarding, but those the
/// snapshot's ScubaGear configuration allows (`AllowedForwardingDomains`, never the default
/// domain `*`); a pass that rests on them says so and names them in its evidence.
fn no_auto_forwarding(snap: &Snapshot) -> Outcome {
    const POLICY: &str = "MS.EXO.1.1v2";
    // Every tenant has the Default remote domain (`*`): none read means the read returned nothing.
    let domains = input!(snap.rows("remote_domains"));
    let declared = Exemptions::of(snap).allowed_forwarding_domains(POLICY);
    let (allowed, bad): (Vec<String>, Vec<String>) = domains
        .iter()
        .filter(|d| b(d, "AutoForwardEnabled") == Some(true))
        .map(|d| s(d, "DomainName").to_string())
        .partition(|d| declared.contains(d));
    let mut evidence = json!({ "remote_domains_allowing_forwarding": bad, "remote_domains_checked": domains.len() });
    if !allowed.is_empty() {
        evidence["exemptions"] = json!({
            "source": format!("scuba_config.Exo[\"{POLICY}\"].AllowedForwardingDomains"),
            "exempted_domains": allowed,
        });
    }
    if !bad.is_empty() {
        return Outcome::fail(
            format!(
                "Remote domains allowing automatic forwarding: {}.",
                bad.len()
            ),
            evidence,
        )
        .about(&bad);
    }
    if allowed.is_empty() {
        return Outcome::pass(
            format!(
                "No remote domain allows automatic forwarding ({} checked).",
                domains.len()
            ),
            evidence,
        );
    }
    Outcome::pass(
        format!(
            "No remote domain allows automatic forwarding ({} checked) but {} that {SOURCE} allows for {POLICY}. The pass holds only while forwarding to them is justified.",
            domains.len(),
            n(&allowed, "domain", "domains")
        ),
        evidence,
    )
    .about(&allowed)
}

fn smtp_auth_disabled(snap: &Snapshot) -> Outcome {
    let configs = input!(snap.list("transport_config"));
    let bad: Vec<String> = configs
        .iter()
        .filter(|c| b(c, "SmtpClientAuthenticationDisabled") == Some(false))
        .map(|c| name_of(c))
        .collect();
    Outcome::verdict(
        bad.is_empty() && !configs.is_empty(),
        "SMTP client authentication is disabled organisation-wide.",
        "SMTP client authentication (SMTP AUTH) is enabled organisation-wide.",
        json!({ "configs_with_smtp_auth": bad }),
    )
}

fn sharing_all_domains(snap: &Snapshot, what: &str) -> Outcome {
    let pols = input!(snap.list("sharing_policy"));
    let bad: Vec<String> = pols
        .iter()
        .filter(|p| {
            strs(p.get("Domains"))
                .iter()
                .any(|d| d.contains('*') && d.contains(what))
        })
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        bad.is_empty(),
        format!("No sharing policy shares {what} details with all domains."),
        format!(
            "Sharing policies sharing {what} with all domains: {}.",
            bad.len()
        ),
        json!({ "policies": bad }),
    )
    .about(&bad)
}

fn contacts_not_shared(snap: &Snapshot) -> Outcome {
    sharing_all_domains(snap, "Contacts")
}

fn calendar_not_shared(snap: &Snapshot) -> Outcome {
    sharing_all_domains(snap, "Calendar")
}

fn default_sharing_disabled(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("sharing_policy"));
    let enabled: Vec<String> = pols
        .iter()
        .filter(|p| b(p, "Default") == Some(true) && b(p, "Enabled") != Some(false))
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        enabled.is_empty(),
        "The default sharing policy is disabled: users cannot share calendars externally.",
        format!(
            "The default sharing policy lets users share calendars externally ({} enabled).",
            enabled.len()
        ),
        json!({ "enabled_default_policies": enabled }),
    )
    .about(&enabled)
}

fn external_sender_tagged(snap: &Snapshot) -> Outcome {
    let rules = input!(snap.list("transport_rule"));
    let good: Vec<String> = rules
        .iter()
        .filter(|r| {
            s(r, "State") == "Enabled"
                && s(r, "Mode") == "Enforce"
                && count(r.get("PrependSubject")) >= 1
                && s(r, "FromScope") == "NotInOrganization"
        })
        .map(|r| name_of(r))
        .collect();
    Outcome::verdict(
        !good.is_empty(),
        format!(
            "{} mail from outside the organisation.",
            n(&good, "transport rule marks", "transport rules mark")
        ),
        "No enabled transport rule warns users about mail from outside the organisation.",
        json!({ "tagging_rules": good, "rules_checked": rules.len() }),
    )
    .about(&good)
}

fn org_flag(snap: &Snapshot, key: &str, want: bool, ok: &str, bad: &str) -> Outcome {
    let orgs = input!(snap.list("org_config"));
    let Some(org) = orgs.first() else {
        return Outcome::error("`org_config` is empty");
    };
    let Some(value) = b(org, key) else {
        return Outcome::error(format!("`org_config` has no `{key}`"));
    };
    Outcome::verdict(
        value == want,
        ok,
        bad,
        json!({ "organization": name_of(org), key: value }),
    )
}

fn mailbox_audit(snap: &Snapshot) -> Outcome {
    org_flag(
        snap,
        "AuditDisabled",
        false,
        "Mailbox auditing is on by default for the organisation.",
        "Mailbox auditing is disabled for the organisation (AuditDisabled is true).",
    )
}

fn modern_auth(snap: &Snapshot) -> Outcome {
    org_flag(
        snap,
        "OAuth2ClientProfileEnabled",
        true,
        "Modern authentication is enabled for Exchange Online.",
        "Modern authentication is disabled for Exchange Online clients.",
    )
}

fn customer_lockbox(snap: &Snapshot) -> Outcome {
    org_flag(
        snap,
        "CustomerLockboxEnabled",
        true,
        "Customer Lockbox is enabled.",
        "Customer Lockbox is disabled: Microsoft engineers can access content without your approval.",
    )
}

fn no_domain_allow_rules(snap: &Snapshot) -> Outcome {
    let rules = input!(snap.list("transport_rule"));
    if rules.is_empty() {
        return Outcome::pass_on_empty_read(
            snap,
            "transport_rule",
            "transport rules",
            "No transport rule exists, so none bypasses spam filtering for sender domains",
            json!({ "allow_listing_rules": [], "rules_checked": 0 }),
        );
    }
    let bad: Vec<String> = rules
        .iter()
        .filter(|r| {
            let scl = r.get("SetSCL");
            let bypass = scl.and_then(Value::as_i64) == Some(-1)
                || scl.and_then(Value::as_str) == Some("-1");
            bypass && count(r.get("SenderDomainIs")) > 0
        })
        .map(|r| name_of(r))
        .collect();
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "No transport rule bypasses spam filtering for sender domains ({} rules).",
            rules.len()
        ),
        format!(
            "{} spam filtering for whole sender domains.",
            n(&bad, "transport rule bypasses", "transport rules bypass")
        ),
        json!({ "allow_listing_rules": bad }),
    )
    .about(&bad)
}

fn conn_filter(snap: &Snapshot, pred: impl Fn(&Value) -> bool, ok: &str, bad: &str) -> Outcome {
    // Every tenant has the Default connection filter policy: none read means the read
    // returned nothing.
    let pols = input!(snap.rows("conn_filter"));
    let offenders: Vec<String> = pols
        .iter()
        .filter(|p| pred(p))
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        offenders.is_empty(),
        ok,
        format!("{bad}: {}.", offenders.len()),
        json!({ "policies": offenders, "policies_checked": pols.len() }),
    )
    .about(&offenders)
}

fn no_ip_allow_list(snap: &Snapshot) -> Outcome {
    conn_filter(
        snap,
        |p| count(p.get("IPAllowList")) > 0,
        "No connection filter policy has an IP allow list.",
        "Connection filter policies with an IP allow list",
    )
}

fn safe_list_off(snap: &Snapshot) -> Outcome {
    conn_filter(
        snap,
        |p| b(p, "EnableSafeList") == Some(true),
        "The connection filter safe list is off.",
        "Connection filter policies with the Microsoft safe list on",
    )
}

/// Exchange Online checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-EXO-01",
        "Automatic forwarding to external domains is disabled",
        ExchangeOnline,
        High,
        no_auto_forwarding,
        "Attackers who take over a mailbox set up forwarding rules to exfiltrate mail silently.",
        "In the Exchange admin center > Mail flow > Remote domains, edit each domain (including Default) and clear 'Allow automatic forwarding'.",
        "https://learn.microsoft.com/exchange/mail-flow-best-practices/remote-domains/remote-domains"
    ),
    check!(
        "A365-EXO-02",
        "SPF records fail unauthorised senders",
        ExchangeOnline,
        High,
        spf_published,
        "SPF lets receivers reject mail forged from your domains; without -all, spoofed mail is still accepted.",
        "Publish a TXT record 'v=spf1 include:spf.protection.outlook.com -all' (plus other senders) at every sending domain.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-spf-configure"
    ),
    check!(
        "A365-EXO-03",
        "DKIM is enabled for every sending domain",
        ExchangeOnline,
        Medium,
        dkim_enabled,
        "DKIM signatures prove mail was sent by your organisation and unaltered, and are needed for DMARC alignment.",
        "Publish the selector1/selector2 CNAME records and enable DKIM signing for each domain in the Defender portal (Email authentication settings > DKIM).",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dkim-configure"
    ),
    check!(
        "A365-EXO-04",
        "A DMARC record is published for every domain",
        ExchangeOnline,
        High,
        dmarc_published,
        "DMARC tells receivers what to do with mail failing SPF and DKIM and reports spoofing attempts.",
        "Publish a TXT record at _dmarc.<domain> such as 'v=DMARC1; p=reject; rua=mailto:dmarc@<domain>'.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dmarc-configure"
    ),
    check!(
        "A365-EXO-05",
        "DMARC policy is reject",
        ExchangeOnline,
        Medium,
        dmarc_reject,
        "Only p=reject makes receivers refuse mail spoofing your domains.",
        "Move the DMARC policy to p=reject once reports show legitimate mail passes SPF or DKIM.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dmarc-configure"
    ),
    check!(
        "A365-EXO-06",
        "DMARC aggregate reports are requested",
        ExchangeOnline,
        Low,
        dmarc_reports,
        "Aggregate reports (rua) show who sends mail as your domains, so spoofing and misconfigured senders are visible.",
        "Add 'rua=mailto:<address>' to each DMARC record and monitor the reports.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dmarc-configure"
    ),
    check!(
        "A365-EXO-07",
        "SMTP AUTH is disabled",
        ExchangeOnline,
        High,
        smtp_auth_disabled,
        "SMTP AUTH uses basic authentication and bypasses MFA; it is widely abused for password spraying and spam.",
        "Run Set-TransportConfig -SmtpClientAuthenticationDisabled $true and enable it only on the mailboxes that need it.",
        "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission"
    ),
    check!(
        "A365-EXO-08",
        "Contacts are not shared with all domains",
        ExchangeOnline,
        Medium,
        contacts_not_shared,
        "Sharing contact folders with every external domain leaks the organisation's relationships.",
        "Edit the sharing policies so no '*' domain entry includes Contacts.",
        "https://learn.microsoft.com/exchange/sharing/sharing-policies/modify-a-sharing-policy"
    ),
    check!(
        "A365-EXO-09",
        "Calendar details are not shared with all domains",
        ExchangeOnline,
        Medium,
        calendar_not_shared,
        "Calendar details reveal travel, meetings and organisational structure useful for social engineering.",
        "Edit the sharing policies so no '*' domain entry shares calendar details.",
        "https://learn.microsoft.com/exchange/sharing/sharing-policies/modify-a-sharing-policy"
    ),
    check!(
        "A365-EXO-10",
        "External calendar sharing is disabled",
        ExchangeOnline,
        Low,
        default_sharing_disabled,
        "With the default sharing policy enabled, users can publish their calendars to anyone outside the organisation.",
        "In the Microsoft 365 admin center > Settings > Org settings > Calendar, clear 'Let your users share their calendars with people outside of your organization'.",
        "https://learn.microsoft.com/microsoft-365/admin/manage/share-calendars-with-external-users"
    ),
    check!(
        "A365-EXO-11",
        "Mail from external senders is tagged",
        ExchangeOnline,
        Medium,
        external_sender_tagged,
        "A visible warning on external mail helps users spot impersonation of colleagues and executives.",
        "Create a transport rule: sender is located 'Outside the organization', prepend the subject with '[External]' (or enable external sender identification).",
        "https://learn.microsoft.com/exchange/security-and-compliance/mail-flow-rules/mail-flow-rules"
    ),
    check!(
        "A365-EXO-12",
        "Mailbox auditing is enabled",
        ExchangeOnline,
        High,
        mailbox_audit,
        "Mailbox audit records are essential to investigate a compromised mailbox.",
        "Run Set-OrganizationConfig -AuditDisabled $false.",
        "https://learn.microsoft.com/purview/audit-mailboxes"
    ),
    check!(
        "A365-EXO-13",
        "Modern authentication is enabled",
        ExchangeOnline,
        High,
        modern_auth,
        "Without modern authentication, Outlook clients fall back to basic authentication that cannot use MFA.",
        "Run Set-OrganizationConfig -OAuth2ClientProfileEnabled $true.",
        "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/enable-or-disable-modern-authentication-in-exchange-online"
    ),
    check!(
        "A365-EXO-14",
        "Customer Lockbox is enabled",
        ExchangeOnline,
        Low,
        customer_lockbox,
        "Customer Lockbox requires your approval before Microsoft support engineers access tenant content.",
        "In the Microsoft 365 admin center > Settings > Org settings > Security & privacy > Customer lockbox, require approval for data access requests.",
        "https://learn.microsoft.com/purview/customer-lockbox-requests"
    ),
    check!(
        "A365-EXO-15",
        "No transport rule allow-lists sender domains",
        ExchangeOnline,
        Medium,
        no_domain_allow_rules,
        "Rules that set SCL -1 for whole sender domains let spoofed or compromised senders skip spam and phishing filters.",
        "Remove or narrow transport rules that set the spam confidence level to -1 based on the sender domain.",
        "https://learn.microsoft.com/exchange/security-and-compliance/mail-flow-rules/use-rules-to-set-scl"
    ),
    check!(
        "A365-EXO-16",
        "The connection filter IP allow list is empty",
        ExchangeOnline,
        Medium,
        no_ip_allow_list,
        "Mail from allow-listed IP addresses skips spam filtering, so a compromised or shared host can deliver phishing freely.",
        "In the Defender portal > Anti-spam policies > Connection filter policy (Default), remove all entries from the IP Allow List.",
        "https://learn.microsoft.com/defender-office-365/connection-filter-policies-configure"
    ),
    check!(
        "A365-EXO-17",
        "The connection filter safe list is off",
        ExchangeOnline,
        Low,
        safe_list_off,
        "The Microsoft safe list skips filtering for senders you do not control.",
        "In the connection filter policy (Default), clear 'Turn on safe list'.",
        "https://learn.microsoft.com/defender-office-365/connection-filter-policies-configure"
    ),
    check!(
        "A365-EXO-18",
        "DMARC aggregate reports go to CISA",
        ExchangeOnline,
        Low,
        dmarc_cisa_reports,
        "SCuBA asks federal agencies to send DMARC aggregate reports to CISA, which watches for spoofing across agencies.",
        "Add mailto:reports@dmarc.cyber.dhs.gov to the rua tag of the _dmarc TXT record of every domain.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dmarc-configure"
    ),
    check!(
        "A365-EXO-19",
        "DMARC reports reach the organisation's own contacts",
        ExchangeOnline,
        Low,
        dmarc_agency_contacts,
        "Aggregate and failure reports sent to the organisation's own mailboxes show who sends mail as its domains.",
        "In the _dmarc TXT record of every domain, list an address of your own in rua (beside CISA's) and at least one in ruf.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dmarc-configure"
    ),
    undecided!(
        "A365-EXO-20",
        "A data loss prevention solution protects sensitive information in email",
        ExchangeOnline,
        Medium,
        ThirdParty,
        "that a DLP solution covers Exchange email and restricts sending credit card numbers, U.S. ITINs and SSNs and the agency's sensitive information. Where Purview DLP is the solution, A365-PUR-05, A365-PUR-07, A365-PUR-08 and A365-PUR-09 decide its SCuBA Defender counterparts.",
        "Email is the easiest way for personal and sensitive data to leave the organisation by mistake.",
        "Create a Purview DLP policy (or a third-party equivalent) for the Exchange location that blocks the sensitive information types the agency defines, including credit card numbers, ITINs and SSNs.",
        "https://learn.microsoft.com/purview/dlp-learn-about-dlp"
    ),
    undecided!(
        "A365-EXO-21",
        "Email attachments are filtered by file type",
        ExchangeOnline,
        Medium,
        ThirdParty,
        "that an attachment filter is on, detects the true file type, blocks the agency's disallowed types and at least click-to-run files (.exe, .cmd, .vbe). Where Defender for Office 365 is used, the preset security policies that A365-DEF-01 to A365-DEF-03 decide include the common attachment filter.",
        "Executable and script attachments are a common way to deliver malware by email.",
        "In the anti-malware policy (or the third-party filter), turn on the common attachments filter and add every disallowed file type, at least .exe, .cmd and .vbe.",
        "https://learn.microsoft.com/defender-office-365/anti-malware-policies-configure"
    ),
    undecided!(
        "A365-EXO-22",
        "Email is scanned for malware, before and after delivery",
        ExchangeOnline,
        High,
        ThirdParty,
        "that inbound email is scanned for malware, that malware is quarantined or dropped, and that delivered messages are rescanned (zero-hour auto purge or equivalent). Where Defender for Office 365 is used, A365-DEF-01 to A365-DEF-03 decide the preset policies that carry these settings.",
        "Malware delivered by email is a main entry point for compromise; detection after delivery removes what was missed at delivery.",
        "Keep an anti-malware policy (or a third-party scanner) with quarantine as the action and zero-hour auto purge on.",
        "https://learn.microsoft.com/defender-office-365/anti-malware-protection-about"
    ),
    undecided!(
        "A365-EXO-23",
        "Impersonation protection, safety tips and AI phishing detection are used",
        ExchangeOnline,
        Low,
        ThirdParty,
        "that email is checked for impersonation, that users see safety-tip warnings and that an AI-based phishing detection comparable to mailbox intelligence is on. Where Defender for Office 365 is used, A365-DEF-08, A365-DEF-13 and A365-DEF-14 decide the corresponding impersonation settings.",
        "Impersonation of executives and partner domains is the core of business email compromise.",
        "In the anti-phishing policy (or the third-party solution), turn on user and domain impersonation protection, safety tips and mailbox intelligence.",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-about"
    ),
    undecided!(
        "A365-EXO-24",
        "A spam filter is on, moves spam out of the inbox and allows no domains",
        ExchangeOnline,
        Medium,
        ThirdParty,
        "that a spam filter is on, that spam and high confidence spam go to the junk email folder or quarantine, and that no inbound anti-spam policy lists allowed sender domains. Where Defender for Office 365 is used, the preset policies that A365-DEF-01 to A365-DEF-03 decide carry these settings.",
        "Spam carries phishing and malware; allowed domains let spoofed mail from those domains bypass filtering.",
        "In the inbound anti-spam policy (or the third-party filter), set spam and high confidence spam to Move to Junk or Quarantine and remove every allowed domain.",
        "https://learn.microsoft.com/defender-office-365/anti-spam-policies-configure"
    ),
    undecided!(
        "A365-EXO-25",
        "Links in email are checked against a block list, scanned and tracked",
        ExchangeOnline,
        Low,
        ThirdParty,
        "that URLs in email are compared with a block list, that direct download links are scanned for malware and that user clicks are tracked. Where Defender for Office 365 is used, the Safe Links settings of the preset policies (A365-DEF-01 to A365-DEF-03) fulfil it.",
        "Malicious links are the most common phishing payload; click tracking shows who was exposed.",
        "Turn on Safe Links for email (or the third-party link protection) with URL scanning and click tracking.",
        "https://learn.microsoft.com/defender-office-365/safe-links-about"
    ),
    undecided!(
        "A365-EXO-26",
        "Security alerts are enabled and reach a monitored address or SIEM",
        ExchangeOnline,
        Medium,
        ThirdParty,
        "that the baseline's alerts (suspicious forwarding, malware campaigns, unusual sending and the others it lists) are enabled and sent to a monitored mailbox or a SIEM. Where Defender is used, A365-DEF-10 decides the alert policies and A365-DEF-18 covers their delivery.",
        "Alerts that nobody receives do not shorten the time an attacker stays unnoticed.",
        "In the Microsoft Defender portal > Alert policies, enable the alerts the baseline lists and send them to a monitored address or forward them to the SIEM.",
        "https://learn.microsoft.com/defender-xdr/alert-policies"
    ),
    undecided!(
        "A365-EXO-27",
        "Unified audit logging is on and logs are kept as the baseline asks",
        ExchangeOnline,
        Medium,
        ThirdParty,
        "that unified audit logging is on and that audit logs are retained as long as the baseline asks. Where Purview auditing is used, A365-PUR-01 and A365-PUR-06 decide the corresponding Defender policies.",
        "Without audit records, an incident in Exchange cannot be investigated.",
        "Turn on unified audit logging (Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true) and create an audit retention policy of the required length.",
        "https://learn.microsoft.com/purview/audit-log-enable-disable"
    ),
];
