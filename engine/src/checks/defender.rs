//! Defender for Office 365 checks: preset security policies, Safe Links, Safe Attachments,
//! anti-phishing impersonation protection and alert policies; and the Exchange Online Protection
//! policies of the snapshot's `aether365` section (anti-malware, outbound and inbound anti-spam).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{b, check, counted, input, list_ours, n, name_of, s, strs, undecided, unlicensed};
use crate::check::{Check, Outcome};
use crate::exemptions::{Exemptions, SOURCE, SensitiveAccounts};
use crate::snapshot::Snapshot;

const STANDARD: &str = "Standard Preset Security Policy";
const STRICT: &str = "Strict Preset Security Policy";

fn enabled(rule: &Value) -> bool {
    s(rule, "State") == "Enabled"
}

/// The recipient conditions of a preset rule.
const RECIPIENT_CONDITIONS: [&str; 3] = ["SentTo", "SentToMemberOf", "RecipientDomainIs"];

/// What a pass that rests on a rule without recipient conditions found none of.
const NO_CONDITION: &str =
    "recipient condition (SentTo, SentToMemberOf, RecipientDomainIs) on the covering rules";

/// A rule without recipient conditions applies to everyone. A condition is unset when null or
/// an empty list, set when a name or a list of names; a missing field or any other shape is
/// unknown, never "everyone".
fn all_recipients(rule: &Value) -> Result<bool, String> {
    let mut all = true;
    for k in RECIPIENT_CONDITIONS {
        match rule.get(k) {
            Some(Value::Null) => {}
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => all &= a.is_empty(),
            Some(Value::String(x)) => all &= x.is_empty(),
            None => {
                return Err(format!(
                    "a preset rule has no `{k}` field, so whom it applies to is unknown"
                ));
            }
            Some(_) => {
                return Err(format!(
                    "a preset rule's `{k}` is neither null nor a list of names, so whom it applies to is unknown"
                ));
            }
        }
    }
    Ok(all)
}

fn preset_enabled(rules: &[&Value], preset: &str) -> bool {
    rules
        .iter()
        .any(|r| s(r, "Identity") == preset && enabled(r))
}

fn presets_enabled(snap: &Snapshot) -> Outcome {
    let eop = input!(snap.list("protection_policy_rules"));
    let atp = input!(snap.list("atp_policy_rules"));
    let standard = preset_enabled(&eop, STANDARD) || preset_enabled(&atp, STANDARD);
    let strict = preset_enabled(&eop, STRICT) || preset_enabled(&atp, STRICT);
    let missing: Vec<String> = [(STANDARD, standard), (STRICT, strict)]
        .iter()
        .filter(|(_, on)| !on)
        .map(|(n, _)| (*n).to_string())
        .collect();
    Outcome::verdict(
        missing.is_empty(),
        "The Standard and Strict preset security policies are both enabled.",
        format!(
            "Preset security policies not enabled: {}.",
            list_ours(&missing)
        ),
        json!({ "standard_enabled": standard, "strict_enabled": strict }),
    )
}

/// CIS 2.4.2: the Strict preset's EOP rule and its Defender for Office 365 rule both exist, are
/// enabled and target at least one recipient (the priority accounts). Which recipients are
/// priority accounts is not collected: a person confirms the targets are the priority accounts.
fn strict_for_priority_accounts(snap: &Snapshot) -> Outcome {
    let eop = input!(snap.list("protection_policy_rules"));
    let atp = input!(snap.list("atp_policy_rules"));
    let judge = |rules: &[&Value], what: &str| -> Result<(bool, Value), String> {
        let rule = rules.iter().find(|r| s(r, "Identity") == STRICT);
        let targeted = match rule {
            Some(r) => !all_recipients(r)?,
            None => false,
        };
        let targets = rule.map(|r| {
            json!({
                "SentTo": r.get("SentTo"),
                "SentToMemberOf": r.get("SentToMemberOf"),
                "RecipientDomainIs": r.get("RecipientDomainIs"),
            })
        });
        let ok = rule.is_some_and(|r| enabled(r)) && targeted;
        Ok((
            ok,
            json!({ "rule": what, "exists": rule.is_some(), "enabled": rule.is_some_and(|r| enabled(r)), "targets": targets }),
        ))
    };
    let (eop_ok, eop_ev) = input!(judge(&eop, "EOP"));
    let (atp_ok, atp_ev) = input!(judge(&atp, "Defender for Office 365"));
    Outcome::verdict(
        eop_ok && atp_ok,
        "The Strict preset is enabled for named recipients in both its EOP and Defender for Office 365 rules; verify those recipients are the priority accounts.",
        "The Strict preset is not enabled for named recipients in both its EOP and Defender for Office 365 rules.",
        json!({ "rules": [eop_ev, atp_ev] }),
    )
}

fn preset_covers_all(snap: &Snapshot, key: &str, what: &str) -> Outcome {
    let rules = input!(snap.list(key));
    let mut covering: Vec<String> = Vec::new();
    for r in &rules {
        if (s(r, "Identity") == STANDARD || s(r, "Identity") == STRICT)
            && enabled(r)
            && input!(all_recipients(r))
        {
            covering.push(name_of(r));
        }
    }
    let evidence = json!({ "covering_presets": covering, "rules": rules.iter().map(|r| json!({"name": name_of(r), "state": s(r, "State"), "all_recipients": all_recipients(r).ok()})).collect::<Vec<_>>() });
    if covering.is_empty() {
        return Outcome::fail(
            format!("Neither preset security policy applies {what} to all recipients."),
            evidence,
        );
    }
    Outcome::pass_on_empty_read(
        snap,
        key,
        NO_CONDITION,
        &format!(
            "A preset security policy applies {what} to all recipients: {} without recipient conditions",
            n(&covering, "enabled preset rule", "enabled preset rules")
        ),
        evidence,
    )
    .about(&covering)
}

fn eop_preset_all(snap: &Snapshot) -> Outcome {
    preset_covers_all(
        snap,
        "protection_policy_rules",
        "Exchange Online Protection",
    )
}

fn atp_preset_all(snap: &Snapshot) -> Outcome {
    if let Some(out) = unlicensed(
        snap,
        "defender_license",
        "The tenant has no Defender for Office 365 licence.",
    ) {
        return out;
    }
    preset_covers_all(
        snap,
        "atp_policy_rules",
        "Defender for Office 365 protection",
    )
}

fn atp_rule_for_all(snap: &Snapshot, field: &str, what: &str) -> Outcome {
    let rules = input!(snap.list("atp_policy_rules"));
    let mut covering: Vec<String> = Vec::new();
    for r in &rules {
        if enabled(r) && !s(r, field).is_empty() && input!(all_recipients(r)) {
            covering.push(format!("{} ({})", name_of(r), s(r, field)));
        }
    }
    let evidence = json!({ "covering_rules": covering, "rules_checked": rules.len() });
    if covering.is_empty() {
        return Outcome::fail(
            format!("No enabled {what} rule covers all recipients."),
            evidence,
        );
    }
    Outcome::pass_on_empty_read(
        snap,
        "atp_policy_rules",
        NO_CONDITION,
        &format!(
            "{what} protects all recipients through {} without recipient conditions",
            n(&covering, "rule", "rules")
        ),
        evidence,
    )
    .about(&covering)
}

fn safe_links(snap: &Snapshot) -> Outcome {
    atp_rule_for_all(snap, "SafeLinksPolicy", "Safe Links")
}

fn safe_attachments(snap: &Snapshot) -> Outcome {
    atp_rule_for_all(snap, "SafeAttachmentPolicy", "Safe Attachments")
}

fn atp_for_spo(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("atp_policy_for_o365"));
    let on: Vec<String> = pols
        .iter()
        .filter(|p| b(p, "EnableATPForSPOTeamsODB") == Some(true))
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        !on.is_empty(),
        "Safe Attachments for SharePoint, OneDrive and Teams is on.",
        "Safe Attachments for SharePoint, OneDrive and Teams is off.",
        json!({ "policies_enabled": on }),
    )
}

fn safe_documents(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("atp_policy_for_o365"));
    let on: Vec<String> = pols
        .iter()
        .filter(|p| {
            b(p, "EnableSafeDocs") == Some(true) && b(p, "AllowSafeDocsOpen") == Some(false)
        })
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        !on.is_empty(),
        "Safe Documents is on and users cannot bypass Protected View.",
        "Safe Documents is off or users may click through Protected View.",
        json!({ "policies_enabled": on }),
    )
}

/// What a set of protected names lacks of the declared ones (both trimmed, in lower case).
fn lacking(declared: &BTreeSet<String>, protected: Vec<String>) -> Vec<String> {
    let protected: BTreeSet<String> = protected.iter().map(|x| x.trim().to_lowercase()).collect();
    declared.difference(&protected).cloned().collect()
}

/// MS.DEFENDER.2.1v1: user impersonation protection on in both the Strict and Standard presets,
/// and, where the snapshot's ScubaGear configuration declares sensitive users
/// ([`Exemptions::sensitive_users`]), each of them among the users both protect.
fn impersonation(snap: &Snapshot) -> Outcome {
    const POLICY: &str = "MS.DEFENDER.2.1v1";
    let pols = input!(snap.list("anti_phish_policies"));
    let declared = Exemptions::of(snap).sensitive_users(POLICY);
    let protected = |preset: &str| {
        pols.iter().find(|p| {
            s(p, "Identity").contains(preset)
                && b(p, "Enabled") == Some(true)
                && b(p, "EnableTargetedUserProtection") == Some(true)
        })
    };
    let details: Vec<Value> = [STRICT, STANDARD]
        .iter()
        .map(|preset| match protected(preset) {
            Some(p) => json!({ "preset": preset, "policy": name_of(p), "action": s(p, "TargetedUserProtectionAction"),
                "declared_sensitive_users_unprotected": lacking(&declared, strs(p.get("TargetedUsersToProtect"))) }),
            None => json!({ "preset": preset, "policy": null }),
        })
        .collect();
    let missing: Vec<String> = [STRICT, STANDARD]
        .iter()
        .filter(|p| protected(p).is_none())
        .map(|p| (*p).to_string())
        .collect();
    let unprotected: BTreeSet<String> = [STRICT, STANDARD]
        .iter()
        .filter_map(|preset| protected(preset))
        .flat_map(|p| lacking(&declared, strs(p.get("TargetedUsersToProtect"))))
        .collect();
    let mut evidence = json!({ "presets": details });
    if !declared.is_empty() {
        evidence["declared_sensitive_users"] = json!({
            "source": format!("scuba_config.Defender[\"{POLICY}\"].SensitiveUsers"),
            "users": declared,
        });
    }
    if !missing.is_empty() {
        return Outcome::fail(
            format!(
                "User impersonation protection is off in: {}.",
                list_ours(&missing)
            ),
            evidence,
        );
    }
    if !unprotected.is_empty() {
        let names: Vec<String> = unprotected.into_iter().collect();
        return Outcome::fail(
            format!(
                "User impersonation protection is on in both the Strict and Standard anti-phishing presets, but {} of the {} sensitive users that {SOURCE} declares for {POLICY} {} missing from one of them.",
                names.len(),
                declared.len(),
                if names.len() == 1 { "is" } else { "are" }
            ),
            evidence,
        )
        .about(&names);
    }
    if declared.is_empty() {
        return Outcome::pass(
            "User impersonation protection is on in both the Strict and Standard anti-phishing presets.",
            evidence,
        );
    }
    Outcome::pass(
        format!(
            "User impersonation protection is on in both the Strict and Standard anti-phishing presets, and both protect the {} that {SOURCE} declares for {POLICY}.",
            counted(declared.len(), "sensitive user", "sensitive users")
        ),
        evidence,
    )
}

fn mailbox_intelligence(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list("anti_phish_policies"));
    let good: Vec<String> = pols
        .iter()
        .filter(|p| {
            b(p, "Enabled") == Some(true)
                && b(p, "EnableMailboxIntelligenceProtection") == Some(true)
                && b(p, "EnableSpoofIntelligence") == Some(true)
                && b(p, "EnableOrganizationDomainsProtection") == Some(true)
        })
        .map(|p| name_of(p))
        .collect();
    Outcome::verdict(
        !good.is_empty(),
        format!(
            "{} against spoofing and domain impersonation.",
            n(&good, "anti-phishing policy protects", "anti-phishing policies protect")
        ),
        "No enabled anti-phishing policy combines mailbox intelligence, spoof intelligence and organisation domain protection.",
        json!({ "compliant_policies": good }),
    )
    .about(&good)
}

/// SCuBA MS.DEFENDER.1.4/1.5: the Strict preset must protect the sensitive accounts. Passes when
/// it applies to everyone without exceptions; fails when it is off, or scoped only to domains the
/// tenant does not own (so it protects no mailbox of the tenant); otherwise (selected recipients,
/// or everyone but exceptions) a person confirms the scope.
fn strict_covers_sensitive(snap: &Snapshot, key: &str, what: &str, policy: &str) -> Outcome {
    let rules = input!(snap.list(key));
    let Some(rule) = rules
        .iter()
        .find(|r| s(r, "Identity") == STRICT && enabled(r))
    else {
        return Outcome::fail(
            format!(
                "The Strict preset security policy ({what}) is not enabled, so no sensitive account gets its protection."
            ),
            json!({ "strict_rule_enabled": false }),
        );
    };
    let users = super::strs(rule.get("SentTo"));
    let groups = super::strs(rule.get("SentToMemberOf"));
    let domains = super::strs(rule.get("RecipientDomainIs"));
    let evidence = json!({ "SentTo": users, "SentToMemberOf": groups, "RecipientDomainIs": domains,
        "ExceptIfSentTo": rule.get("ExceptIfSentTo"), "ExceptIfSentToMemberOf": rule.get("ExceptIfSentToMemberOf") });
    let everyone = input!(all_recipients(rule));
    if everyone && rule.get("Exceptions").is_none_or(Value::is_null) {
        return Outcome::pass_on_empty_read(
            snap,
            key,
            NO_CONDITION,
            &format!(
                "The Strict preset security policy ({what}) applies to every recipient, sensitive accounts included"
            ),
            evidence,
        );
    }
    let exemptions = Exemptions::of(snap);
    if let Some(declared) = exemptions.sensitive_accounts(policy) {
        return strict_scope_as_declared(rule, declared, what, policy, evidence);
    }
    if !everyone && users.is_empty() && groups.is_empty() {
        let own = input!(tenant_domains(snap));
        if domains
            .iter()
            .any(|d| own.contains(&d.to_ascii_lowercase()))
        {
            return selected_recipients(what, false, evidence);
        }
        return Outcome::fail(
            format!(
                "The Strict preset security policy ({what}) applies only to recipients in {}, none of which is a domain of this tenant, so it protects no sensitive account.",
                n(&domains, "domain", "domains")
            ),
            evidence,
        )
        .about(&domains);
    }
    selected_recipients(what, everyone, evidence)
}

/// A Strict preset scoped to some recipients, or to everyone but exceptions, where the snapshot's
/// ScubaGear configuration declares the scope it must have ([`Exemptions::sensitive_accounts`]):
/// as ScubaGear decides, it passes when each of its six recipient lists is the declared one, and
/// fails otherwise. The pass says that it rests on the declaration.
fn strict_scope_as_declared(
    rule: &Value,
    declared: &SensitiveAccounts,
    what: &str,
    policy: &str,
    mut evidence: Value,
) -> Outcome {
    let set = |k: &str| -> BTreeSet<String> { strs(rule.get(k)).into_iter().collect() };
    let lists = [
        ("SentTo", "IncludedUsers", &declared.included_users),
        (
            "SentToMemberOf",
            "IncludedGroups",
            &declared.included_groups,
        ),
        (
            "RecipientDomainIs",
            "IncludedDomains",
            &declared.included_domains,
        ),
        ("ExceptIfSentTo", "ExcludedUsers", &declared.excluded_users),
        (
            "ExceptIfSentToMemberOf",
            "ExcludedGroups",
            &declared.excluded_groups,
        ),
        (
            "ExceptIfRecipientDomainIs",
            "ExcludedDomains",
            &declared.excluded_domains,
        ),
    ];
    let differing: Vec<String> = lists
        .iter()
        .filter(|(ours, _, want)| set(ours) != **want)
        .map(|(ours, theirs, _)| format!("{ours} ({theirs})"))
        .collect();
    evidence["declared_sensitive_accounts"] = json!({
        "source": format!("scuba_config.Defender[\"{policy}\"].SensitiveAccounts"),
        "IncludedUsers": declared.included_users,
        "IncludedGroups": declared.included_groups,
        "IncludedDomains": declared.included_domains,
        "ExcludedUsers": declared.excluded_users,
        "ExcludedGroups": declared.excluded_groups,
        "ExcludedDomains": declared.excluded_domains,
        "differing_lists": differing,
    });
    Outcome::verdict(
        differing.is_empty(),
        format!(
            "The Strict preset security policy ({what}) applies to exactly the sensitive accounts that {SOURCE} declares for {policy}; the pass holds only while that declaration names every sensitive account."
        ),
        format!(
            "The Strict preset security policy ({what}) does not apply to the sensitive accounts that {SOURCE} declares for {policy}: its recipient lists differ from the declared ones ({}).",
            list_ours(&differing)
        ),
        evidence,
    )
}

/// A Strict preset scoped to some recipients, or to everyone but exceptions: a person confirms.
fn selected_recipients(what: &str, everyone: bool, evidence: Value) -> Outcome {
    Outcome {
        status: crate::model::Status::Manual,
        message: format!(
            "The Strict preset security policy ({what}) applies to {}: verify in Defender > Email & collaboration > Policies > Preset security policies > Strict that every sensitive account (administrators, executives, others you designate) is among them.",
            if everyone {
                "every recipient but those its exceptions name"
            } else {
                "selected recipients"
            }
        ),
        evidence,
        subjects: Vec::new(),
    }
}

fn strict_eop_sensitive(snap: &Snapshot) -> Outcome {
    strict_covers_sensitive(
        snap,
        "protection_policy_rules",
        "Exchange Online Protection",
        "MS.DEFENDER.1.4v1",
    )
}

fn strict_atp_sensitive(snap: &Snapshot) -> Outcome {
    strict_covers_sensitive(
        snap,
        "atp_policy_rules",
        "Defender for Office 365",
        "MS.DEFENDER.1.5v1",
    )
}

/// The enabled Standard and Strict preset anti-phishing policies with domain impersonation on.
fn preset_domain_protection(snap: &Snapshot) -> Result<Vec<(String, Vec<String>)>, String> {
    Ok(snap
        .list("anti_phish_policies")?
        .iter()
        .filter(|p| {
            let id = s(p, "Identity");
            (id.starts_with(STRICT) || id.starts_with(STANDARD))
                && b(p, "Enabled") == Some(true)
                && b(p, "EnableTargetedDomainsProtection") == Some(true)
        })
        .map(|p| {
            let doms = super::strs(p.get("TargetedDomainsToProtect"))
                .into_iter()
                .map(|d| d.to_ascii_lowercase())
                .collect();
            (s(p, "Identity").to_string(), doms)
        })
        .collect())
}

/// The tenant's domains, or why they are unknown: with none, neither "every domain of the tenant"
/// nor "a domain the tenant does not own" can be decided.
fn tenant_domains(snap: &Snapshot) -> Result<Vec<String>, String> {
    let own = snap.domains();
    if own.is_empty() {
        return Err(
            "the export lists no domain of the tenant (`accepted_domains`, `domain_settings`)"
                .into(),
        );
    }
    Ok(own)
}

/// Whether both the Strict and the Standard preset are among `pols`, and which of `domains`
/// either lacks.
fn presets_lacking(pols: &[(String, Vec<String>)], domains: &[String]) -> (bool, Vec<String>) {
    let both = [STRICT, STANDARD]
        .iter()
        .all(|preset| pols.iter().any(|(id, _)| id.starts_with(preset)));
    let lacking = domains
        .iter()
        .filter(|d| !both || pols.iter().any(|(_, p)| !p.contains(d)))
        .cloned()
        .collect();
    (both, lacking)
}

/// A fail when the Strict or the Standard preset protects no domain at all: neither the
/// tenant's domains (it always has one, its `onmicrosoft.com` domain) nor any partner's are
/// then protected by both, whatever the domain lists say.
fn no_preset_protects_a_domain(pols: &[(String, Vec<String>)]) -> Option<Outcome> {
    let unprotected: Vec<String> = [STRICT, STANDARD]
        .iter()
        .filter(|preset| {
            !pols
                .iter()
                .any(|(id, d)| id.starts_with(**preset) && !d.is_empty())
        })
        .map(|p| (*p).to_string())
        .collect();
    (!unprotected.is_empty()).then(|| {
        Outcome::fail(
            format!(
                "Domain impersonation protection is off, or protects no domain, in: {}.",
                list_ours(&unprotected)
            ),
            json!({ "presets_without_domain_protection": unprotected,
                "presets_with_domain_protection": pols.iter().map(|(n, d)| json!({"policy": n, "domains": d})).collect::<Vec<_>>() }),
        )
    })
}

/// The suffixes of a tenant's initial domain (`contoso.onmicrosoft.com`, and its forms in
/// Microsoft's other clouds: US government, Germany, China): every tenant has one, among its
/// accepted domains, and it cannot be removed.
const INITIAL_DOMAIN_SUFFIXES: [&str; 4] = [
    ".onmicrosoft.com",
    ".onmicrosoft.us",
    ".onmicrosoft.de",
    ".onmschina.cn",
];

/// With the tenant's domains unread (`reason`), a fail when the Strict or the Standard preset
/// protects no domain that could be the tenant's initial domain: that domain, which every tenant
/// has, is then unprotected by one of them, whatever the others are. `None` when both protect
/// one that could be it (the tenant's domains would decide).
fn initial_domain_unprotected(pols: &[(String, Vec<String>)], reason: &str) -> Option<Outcome> {
    let could_be_initial = |d: &String| {
        INITIAL_DOMAIN_SUFFIXES
            .iter()
            .any(|suffix| d.ends_with(suffix))
    };
    let lacking: Vec<String> = [STRICT, STANDARD]
        .iter()
        .filter(|preset| {
            !pols
                .iter()
                .any(|(id, d)| id.starts_with(**preset) && d.iter().any(could_be_initial))
        })
        .map(|p| (*p).to_string())
        .collect();
    (!lacking.is_empty()).then(|| {
        Outcome::fail(
            format!(
                "The tenant's domains were not read ({reason}), but every tenant has an initial domain (*.onmicrosoft.com, or its form in another Microsoft cloud), and domain impersonation protection protects none in: {}.",
                list_ours(&lacking)
            ),
            json!({
                "tenant_domains": { "read": false, "reason": reason },
                "presets_without_an_initial_domain": lacking,
                "presets_with_domain_protection": pols.iter().map(|(n, d)| json!({"policy": n, "domains": d})).collect::<Vec<_>>(),
            }),
        )
    })
}

/// MS.DEFENDER.2.2v1: both presets protect every domain of the tenant, and every domain the
/// snapshot's ScubaGear configuration declares as the organisation's
/// ([`Exemptions::agency_domains`]). With no domain of the tenant in the export, the declared
/// ones alone are checked, and the finding says so.
fn agency_domains_protected(snap: &Snapshot) -> Outcome {
    const POLICY: &str = "MS.DEFENDER.2.2v1";
    let pols = input!(preset_domain_protection(snap));
    let declared = Exemptions::of(snap).agency_domains(POLICY);
    if let Some(out) = no_preset_protects_a_domain(&pols) {
        return out;
    }
    let own: Vec<String> = match tenant_domains(snap) {
        Ok(own) => own
            .into_iter()
            .filter(|d| !d.ends_with(".mail.onmicrosoft.com"))
            .collect(),
        Err(_) if !declared.is_empty() => Vec::new(),
        Err(reason) => {
            return initial_domain_unprotected(&pols, &reason)
                .unwrap_or_else(|| Outcome::error(reason));
        }
    };
    let domains: Vec<String> = own
        .iter()
        .cloned()
        .chain(declared.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (both, unprotected) = presets_lacking(&pols, &domains);
    let mut evidence = json!({ "presets_with_domain_protection": pols.iter().map(|(n, d)| json!({"policy": n, "domains": d})).collect::<Vec<_>>(), "unprotected_domains": unprotected });
    if !declared.is_empty() {
        evidence["declared_agency_domains"] = json!({
            "source": format!("scuba_config.Defender[\"{POLICY}\"].AgencyDomains"),
            "domains": declared,
        });
    }
    let which = match (own.is_empty(), declared.is_empty()) {
        (false, true) => "every domain of the tenant".to_string(),
        (false, false) => format!(
            "every domain of the tenant and the {} that {SOURCE} declares for {POLICY}",
            counted(declared.len(), "domain", "domains")
        ),
        _ => format!(
            "the {} that {SOURCE} declares for {POLICY} as the organisation's (the export lists none of the tenant's domains, so only those were checked)",
            counted(declared.len(), "domain", "domains")
        ),
    };
    Outcome::verdict(
        both && unprotected.is_empty(),
        format!(
            "The Standard and Strict anti-phishing policies protect {which} from impersonation."
        ),
        format!(
            "Domains missing from domain impersonation protection in the Standard and Strict presets: {} (checked: {which}).",
            unprotected.len()
        ),
        evidence,
    )
    .about(&unprotected)
}

/// MS.DEFENDER.2.3v1: both presets protect partner domains from impersonation. Where the
/// snapshot's ScubaGear configuration declares the partner domains
/// ([`Exemptions::partner_domains`]), both must protect each of them; otherwise both must protect
/// some domain that is not the tenant's.
fn partner_domains_protected(snap: &Snapshot) -> Outcome {
    const POLICY: &str = "MS.DEFENDER.2.3v1";
    let pols = input!(preset_domain_protection(snap));
    let declared = Exemptions::of(snap).partner_domains(POLICY);
    if !declared.is_empty() {
        let declared: Vec<String> = declared.into_iter().collect();
        let (both, unprotected) = presets_lacking(&pols, &declared);
        return Outcome::verdict(
            both && unprotected.is_empty(),
            format!(
                "The Standard and Strict anti-phishing policies protect the {} that {SOURCE} declares for {POLICY} from impersonation.",
                n(&declared, "partner domain", "partner domains")
            ),
            format!(
                "Partner domains that {SOURCE} declares for {POLICY} missing from domain impersonation protection in the Standard and Strict presets: {} of {}.",
                unprotected.len(),
                declared.len()
            ),
            json!({
                "declared_partner_domains": {
                    "source": format!("scuba_config.Defender[\"{POLICY}\"].PartnerDomains"),
                    "domains": declared,
                },
                "unprotected_domains": unprotected,
                "presets_with_domain_protection": pols.len(),
            }),
        )
        .about(&unprotected);
    }
    if let Some(out) = no_preset_protects_a_domain(&pols) {
        return out;
    }
    let own = input!(tenant_domains(snap));
    let partners: Vec<String> = pols
        .iter()
        .flat_map(|(_, d)| d.iter())
        .filter(|d| !own.contains(d))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let both = pols.len() >= 2 && pols.iter().all(|(_, d)| d.iter().any(|x| !own.contains(x)));
    Outcome::verdict(
        both,
        format!(
            "The Standard and Strict anti-phishing policies protect partner domains from impersonation ({}); confirm the list names every frequent partner.",
            n(&partners, "domain", "domains")
        ),
        "The Standard and Strict anti-phishing policies do not both protect partner domains from impersonation.",
        json!({ "partner_domains": partners, "presets_with_domain_protection": pols.len() }),
    )
    .about(&partners)
}

const REQUIRED_ALERTS: [&str; 7] = [
    "Suspicious email sending patterns detected",
    "Suspicious Email Forwarding Activity",
    "Messages have been delayed",
    "Tenant restricted from sending unprovisioned email",
    "User restricted from sending email",
    "A potentially malicious URL click was detected",
    "Suspicious connector activity",
];

fn alerts_enabled(snap: &Snapshot) -> Outcome {
    let alerts = input!(snap.list("protection_alerts"));
    let missing = missing_or_disabled(&alerts, &REQUIRED_ALERTS);
    Outcome::verdict(
        missing.is_empty(),
        format!(
            "All {} required alert policies are enabled.",
            REQUIRED_ALERTS.len()
        ),
        format!(
            "Required alert policies missing or disabled: {}.",
            list_ours(&missing)
        ),
        json!({ "required": REQUIRED_ALERTS, "missing_or_disabled": missing }),
    )
}

/// The alert policies of `names` that `alerts` lacks or holds disabled.
fn missing_or_disabled(alerts: &[&Value], names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|n| {
            !alerts
                .iter()
                .any(|a| s(a, "Name") == **n && b(a, "Disabled") == Some(false))
        })
        .map(|n| (*n).to_string())
        .collect()
}

/// The alerts the main branch's Security Suite baseline (MS.SECURITYSUITE.4.1v1) always
/// requires: MS.DEFENDER.5.1v1's list without the user sending restriction and the malicious
/// URL click alerts, with the tenant sending restriction alert.
const SUITE_REQUIRED_ALERTS: [&str; 6] = [
    "Suspicious email sending patterns detected",
    "Suspicious connector activity",
    "Suspicious Email Forwarding Activity",
    "Messages have been delayed",
    "Tenant restricted from sending unprovisioned email",
    "Tenant restricted from sending email",
];

/// Required only where the tenant has the alert policy at all (a Defender for Office 365
/// Plan 2 alert).
const SUITE_CONDITIONAL_ALERT: &str = "A potentially malicious URL click was detected";

/// MS.SECURITYSUITE.4.1v1: every alert of [`SUITE_REQUIRED_ALERTS`] is present and enabled,
/// and so is [`SUITE_CONDITIONAL_ALERT`] where the tenant has it.
fn suite_alerts_enabled(snap: &Snapshot) -> Outcome {
    let alerts = input!(snap.list("protection_alerts"));
    let conditional = alerts
        .iter()
        .any(|a| s(a, "Name") == SUITE_CONDITIONAL_ALERT);
    let required: Vec<&str> = SUITE_REQUIRED_ALERTS
        .iter()
        .copied()
        .chain(conditional.then_some(SUITE_CONDITIONAL_ALERT))
        .collect();
    let missing = missing_or_disabled(&alerts, &required);
    Outcome::verdict(
        missing.is_empty(),
        format!(
            "All {} alert policies the Security Suite baseline requires are enabled.",
            required.len()
        ),
        format!(
            "Alert policies the Security Suite baseline requires are missing or disabled: {}.",
            list_ours(&missing)
        ),
        json!({ "required": required, "missing_or_disabled": missing }),
    )
}

/// A preset security policy's own copy (`RecommendedPolicyType` Standard or Strict): Microsoft
/// sets and keeps its values, so the tenant's own settings are in the other policies.
fn preset_copy(p: &Value) -> bool {
    matches!(s(p, "RecommendedPolicyType"), "Standard" | "Strict")
}

/// The policies of an Exchange Online Protection group the tenant configures itself (every
/// policy but the presets' copies). Every tenant has a Default policy: none read (or none but
/// presets) means the read returned nothing.
fn own_policies<'a>(snap: &'a Snapshot, key: &str) -> Result<Vec<&'a Value>, String> {
    let own: Vec<&Value> = snap
        .rows(key)?
        .into_iter()
        .filter(|p| !preset_copy(p))
        .collect();
    if !own.iter().any(|p| b(p, "IsDefault") == Some(true)) {
        return Err(format!(
            "`{key}` has no Default policy (`IsDefault` true), but every tenant has one: the read is incomplete"
        ));
    }
    Ok(own)
}

/// A boolean field every policy must carry; its absence is an unknown shape, never a pass.
fn flag(p: &Value, key: &str, group: &str) -> Result<bool, String> {
    b(p, key).ok_or_else(|| format!("a policy in `{group}` has no boolean `{key}`"))
}

/// Judges each policy with `ok`; the names of those that fail.
fn judge_policies(
    pols: &[&Value],
    ok: impl Fn(&Value) -> Result<bool, String>,
) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for p in pols {
        if ok(p)? {
            good.push(name_of(p));
        } else {
            bad.push(name_of(p));
        }
    }
    Ok((good, bad))
}

const MALWARE: &str = "anti_malware_policies";

/// CIS 2.1.2: every anti-malware policy the tenant configures has the common attachments
/// filter on (`EnableFileFilter`).
fn common_attachment_filter(snap: &Snapshot) -> Outcome {
    let pols = input!(own_policies(snap, MALWARE));
    let (good, bad) = input!(judge_policies(&pols, |p| flag(
        p,
        "EnableFileFilter",
        MALWARE
    )));
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "The common attachments filter is on in {}.",
            n(&good, "anti-malware policy", "anti-malware policies")
        ),
        format!(
            "The common attachments filter is off in {}.",
            n(&bad, "anti-malware policy", "anti-malware policies")
        ),
        json!({ "policies_with_filter": good, "policies_without_filter": bad }),
    )
    .about(subjects)
}

/// CIS 2.1.3: every anti-malware policy the tenant configures notifies an administrator when
/// an internal sender sends malware (`EnableInternalSenderAdminNotifications` and an
/// `InternalSenderAdminAddress`).
fn internal_malware_notifications(snap: &Snapshot) -> Outcome {
    let pols = input!(own_policies(snap, MALWARE));
    let (good, bad) = input!(judge_policies(&pols, |p| {
        let on = flag(p, "EnableInternalSenderAdminNotifications", MALWARE)?;
        Ok(on && s(p, "InternalSenderAdminAddress").contains('@'))
    }));
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "An administrator is notified of malware sent by internal users in {}.",
            n(&good, "anti-malware policy", "anti-malware policies")
        ),
        format!(
            "No administrator is notified of malware sent by internal users in {}.",
            n(&bad, "anti-malware policy", "anti-malware policies")
        ),
        json!({ "notifying_policies": good, "silent_policies": bad }),
    )
    .about(subjects)
}

/// The file types an anti-malware policy must block for CIS 2.1.11 (our documented minimum of
/// CIS's list): Microsoft's default common attachments list (53 types) plus the script, help,
/// shortcut and installer types CIS names that the default leaves out.
pub(crate) const MINIMUM_FILE_TYPES: &[&str] = &[
    "ace", "ade", "adp", "ani", "apk", "app", "appx", "arj", "bat", "cab", "chm", "cmd", "com",
    "cpl", "deb", "dex", "dll", "docm", "elf", "exe", "hlp", "hta", "img", "inf", "ins", "iso",
    "isp", "jar", "jnlp", "js", "jse", "kext", "lha", "lib", "library", "lnk", "lzh", "macho",
    "mde", "msc", "msi", "msix", "msp", "mst", "pif", "ppa", "ppam", "ps1", "ps1xml", "psc1",
    "reg", "rev", "scf", "scr", "sct", "shs", "sys", "uif", "url", "vb", "vba", "vbe", "vbs",
    "vxd", "ws", "wsc", "wsf", "wsh", "xbap", "xll", "xz", "z",
];

/// The types of [`MINIMUM_FILE_TYPES`] a policy's `FileTypes` lacks (compared without a leading
/// dot, ignoring case); a policy without a `FileTypes` list has an unknown shape.
fn missing_file_types(p: &Value) -> Result<Vec<&'static str>, String> {
    let Some(Value::Array(types)) = p.get("FileTypes") else {
        return Err(format!("a policy in `{MALWARE}` has no `FileTypes` list"));
    };
    let have: Vec<String> = types
        .iter()
        .filter_map(Value::as_str)
        .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
        .collect();
    Ok(MINIMUM_FILE_TYPES
        .iter()
        .copied()
        .filter(|t| !have.iter().any(|h| h == t))
        .collect())
}

/// CIS 2.1.11: every anti-malware policy the tenant configures has the filter on and blocks at
/// least [`MINIMUM_FILE_TYPES`].
fn comprehensive_attachment_filter(snap: &Snapshot) -> Outcome {
    let pols = input!(own_policies(snap, MALWARE));
    let mut missing_per_policy = Vec::new();
    let (good, bad) = input!(judge_policies(&pols, |p| {
        let on = flag(p, "EnableFileFilter", MALWARE)?;
        Ok(on && missing_file_types(p)?.is_empty())
    }));
    for p in &pols {
        let missing = input!(missing_file_types(p));
        if !missing.is_empty() {
            missing_per_policy.push(json!({ "policy": name_of(p), "missing_file_types": missing }));
        }
    }
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "{} the filter on and block all {} file types of the minimum list.",
            n(
                &good,
                "anti-malware policy has",
                "anti-malware policies have"
            ),
            MINIMUM_FILE_TYPES.len()
        ),
        format!(
            "{} the filter off or miss file types of the minimum list of {}.",
            n(
                &bad,
                "anti-malware policy has",
                "anti-malware policies have"
            ),
            MINIMUM_FILE_TYPES.len()
        ),
        json!({
            "compliant_policies": good,
            "non_compliant_policies": bad,
            "missing": missing_per_policy,
            "minimum_file_types": MINIMUM_FILE_TYPES,
        }),
    )
    .about(subjects)
}

const OUTBOUND: &str = "hosted_outbound_spam_filter_policies";

/// True when a recipient list field names at least one address.
fn has_recipients(p: &Value, key: &str) -> bool {
    strs(p.get(key)).iter().any(|a| a.contains('@'))
}

/// CIS 2.1.6: every outbound spam policy the tenant configures copies suspicious outbound mail
/// to someone (`BccSuspiciousOutboundMail` with recipients) and notifies administrators of
/// blocked senders (`NotifyOutboundSpam` with recipients).
fn outbound_spam_notifications(snap: &Snapshot) -> Outcome {
    let pols = input!(own_policies(snap, OUTBOUND));
    let (good, bad) = input!(judge_policies(&pols, |p| {
        let bcc = flag(p, "BccSuspiciousOutboundMail", OUTBOUND)?;
        let notify = flag(p, "NotifyOutboundSpam", OUTBOUND)?;
        Ok(bcc
            && has_recipients(p, "BccSuspiciousOutboundAdditionalRecipients")
            && notify
            && has_recipients(p, "NotifyOutboundSpamRecipients"))
    }));
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "Administrators are copied on and notified of outbound spam in {}.",
            n(&good, "outbound spam policy", "outbound spam policies")
        ),
        format!(
            "Administrators are not both copied on and notified of outbound spam in {}.",
            n(&bad, "outbound spam policy", "outbound spam policies")
        ),
        json!({ "notifying_policies": good, "non_notifying_policies": bad }),
    )
    .about(subjects)
}

/// CIS 2.1.15's outbound limits: (field, highest value allowed). 0 means "the service's
/// default", which is higher than each limit, so it fails.
const OUTBOUND_LIMITS: &[(&str, i64)] = &[
    ("RecipientLimitExternalPerHour", 500),
    ("RecipientLimitInternalPerHour", 1000),
    ("RecipientLimitPerDay", 1000),
];

/// CIS 2.1.15: every outbound spam policy the tenant configures limits recipients to at most
/// 500 external and 1,000 internal per hour and 1,000 per day, and blocks a sender who exceeds
/// them (`ActionWhenThresholdReached` BlockUser).
fn outbound_limits(snap: &Snapshot) -> Outcome {
    let pols = input!(own_policies(snap, OUTBOUND));
    let (good, bad) = input!(judge_policies(&pols, |p| {
        let mut ok = s(p, "ActionWhenThresholdReached") == "BlockUser";
        for (field, max) in OUTBOUND_LIMITS {
            let v = super::i(p, field)
                .ok_or_else(|| format!("a policy in `{OUTBOUND}` has no number `{field}`"))?;
            ok &= (1..=*max).contains(&v);
        }
        Ok(ok)
    }));
    let limits: Vec<Value> = pols
        .iter()
        .map(|p| {
            json!({
                "policy": name_of(p),
                "RecipientLimitExternalPerHour": p.get("RecipientLimitExternalPerHour"),
                "RecipientLimitInternalPerHour": p.get("RecipientLimitInternalPerHour"),
                "RecipientLimitPerDay": p.get("RecipientLimitPerDay"),
                "ActionWhenThresholdReached": p.get("ActionWhenThresholdReached"),
            })
        })
        .collect();
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "Outbound recipient limits are at most 500 external and 1,000 internal per hour and 1,000 per day, blocking the sender, in {}.",
            n(&good, "outbound spam policy", "outbound spam policies")
        ),
        format!(
            "Outbound recipient limits are missing, above 500 external or 1,000 internal per hour or 1,000 per day, or do not block the sender, in {}.",
            n(&bad, "outbound spam policy", "outbound spam policies")
        ),
        json!({ "compliant_policies": good, "non_compliant_policies": bad, "limits": limits }),
    )
    .about(subjects)
}

const INBOUND: &str = "hosted_content_filter_policies";

/// CIS 2.1.14: no inbound anti-spam policy (the presets' included) lists allowed sender domains.
fn no_allowed_sender_domains(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.rows(INBOUND));
    if !pols.iter().any(|p| b(p, "IsDefault") == Some(true)) {
        return Outcome::error(format!(
            "`{INBOUND}` has no Default policy (`IsDefault` true), but every tenant has one: the read is incomplete"
        ));
    }
    let (good, bad) = input!(judge_policies(&pols, |p| {
        match p.get("AllowedSenderDomains") {
            Some(Value::Null) => Ok(true),
            Some(Value::Array(a)) => Ok(a.iter().all(|d| d.as_str().is_some_and(str::is_empty))),
            Some(Value::String(d)) => Ok(d.is_empty()),
            _ => Err(format!(
                "a policy in `{INBOUND}` has no `AllowedSenderDomains` list, so its allowed domains are unknown"
            )),
        }
    }));
    let subjects = if bad.is_empty() { &good } else { &bad };
    Outcome::verdict(
        bad.is_empty(),
        format!(
            "No inbound anti-spam policy allows sender domains ({} checked).",
            pols.len()
        ),
        format!(
            "{} sender domains past spam filtering.",
            n(
                &bad,
                "inbound anti-spam policy allows",
                "inbound anti-spam policies allow"
            )
        ),
        json!({ "policies_allowing_domains": bad, "policies_checked": pols.len() }),
    )
    .about(subjects)
}

/// Defender for Office 365 checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-DEF-01",
        "Standard and Strict preset security policies are enabled",
        Defender,
        High,
        presets_enabled,
        "Preset policies apply Microsoft's recommended anti-spam, anti-malware, anti-phishing, Safe Links and Safe Attachments settings and keep them current.",
        "In the Defender portal > Email & collaboration > Policies > Preset security policies, turn on Standard and Strict protection.",
        "https://learn.microsoft.com/defender-office-365/preset-security-policies"
    ),
    check!(
        "A365-DEF-02",
        "Preset Exchange Online Protection covers all recipients",
        Defender,
        High,
        eop_preset_all,
        "Recipients outside the preset policies' scope get weaker default protection.",
        "Edit the Standard (or Strict) preset policy and apply EOP protection to all recipients.",
        "https://learn.microsoft.com/defender-office-365/preset-security-policies"
    ),
    check!(
        "A365-DEF-03",
        "Preset Defender for Office 365 protection covers all recipients",
        Defender,
        High,
        atp_preset_all,
        "Safe Links and Safe Attachments from the presets only protect the recipients in scope.",
        "Edit the Standard (or Strict) preset policy and apply Defender for Office 365 protection to all recipients.",
        "https://learn.microsoft.com/defender-office-365/preset-security-policies"
    ),
    check!(
        "A365-DEF-04",
        "Safe Links protects all recipients",
        Defender,
        High,
        safe_links,
        "Safe Links rewrites and checks URLs at click time, blocking links weaponised after delivery.",
        "Create or scope a Safe Links policy (or preset policy) to all recipients with URL scanning for email, Teams and Office apps.",
        "https://learn.microsoft.com/defender-office-365/safe-links-policies-configure"
    ),
    check!(
        "A365-DEF-05",
        "Safe Attachments protects all recipients",
        Defender,
        High,
        safe_attachments,
        "Safe Attachments detonates attachments in a sandbox to catch malware that signatures miss.",
        "Create or scope a Safe Attachments policy (or preset policy) to all recipients with the Block action.",
        "https://learn.microsoft.com/defender-office-365/safe-attachments-policies-configure"
    ),
    check!(
        "A365-DEF-06",
        "Safe Attachments covers SharePoint, OneDrive and Teams",
        Defender,
        Medium,
        atp_for_spo,
        "Malware shared through SharePoint, OneDrive and Teams bypasses mail filtering unless these workloads are scanned.",
        "In the Defender portal > Safe Attachments > Global settings, turn on Defender for Office 365 for SharePoint, OneDrive and Microsoft Teams.",
        "https://learn.microsoft.com/defender-office-365/safe-attachments-for-spo-odfb-teams-configure"
    ),
    check!(
        "A365-DEF-07",
        "Safe Documents is enabled",
        Defender,
        Low,
        safe_documents,
        "Safe Documents scans files opened in Protected View before users can leave it.",
        "In Safe Attachments global settings, turn on Safe Documents and do not allow people to click through Protected View.",
        "https://learn.microsoft.com/defender-office-365/safe-documents-in-e5-plus-security-about"
    ),
    check!(
        "A365-DEF-08",
        "Anti-phishing user impersonation protection is on",
        Defender,
        Medium,
        impersonation,
        "Impersonation of executives and finance staff drives business email compromise.",
        "In the preset security policies, add sensitive users to impersonation protection and keep targeted user protection on.",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-about"
    ),
    check!(
        "A365-DEF-09",
        "Anti-phishing uses mailbox and spoof intelligence",
        Defender,
        Medium,
        mailbox_intelligence,
        "Mailbox intelligence, spoof intelligence and domain impersonation protection catch phishing that content filters miss.",
        "Edit the anti-phishing policy: enable mailbox intelligence and its protection, spoof intelligence, and protection of organisation domains.",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-mdo-configure"
    ),
    check!(
        "A365-DEF-10",
        "Required alert policies are enabled",
        Defender,
        Medium,
        alerts_enabled,
        "Alerts for suspicious forwarding, sending restrictions and malicious clicks are early signs of compromise.",
        "In the Defender portal > Policies & rules > Alert policy, turn on the required default alert policies and route them to the security team.",
        "https://learn.microsoft.com/defender-xdr/alert-policies"
    ),
    check!(
        "A365-DEF-32",
        "The alert policies the Security Suite baseline requires are enabled",
        Defender,
        Medium,
        suite_alerts_enabled,
        "Alerts for suspicious sending, forwarding and connectors, delayed mail and tenant sending restrictions are early signs of compromise.",
        "In the Defender portal > Policies & rules > Alert policy, turn on the required default alert policies (and the malicious URL click alert where the tenant has it) and route them to the security team.",
        "https://learn.microsoft.com/defender-xdr/alert-policies"
    ),
    check!(
        "A365-DEF-11",
        "Sensitive accounts get the Strict EOP protection",
        Defender,
        High,
        strict_eop_sensitive,
        "Administrators and executives are the most targeted mailboxes; the Strict preset gives them the most aggressive filtering.",
        "In Defender > Email & collaboration > Policies > Preset security policies, turn on Strict protection and apply Exchange Online Protection to every sensitive account (or to all recipients).",
        "https://learn.microsoft.com/defender-office-365/preset-security-policies"
    ),
    check!(
        "A365-DEF-12",
        "Sensitive accounts get the Strict Defender for Office 365 protection",
        Defender,
        High,
        strict_atp_sensitive,
        "Safe Links, Safe Attachments and impersonation protection at the Strict level blunt targeted phishing of the most valuable accounts.",
        "In the Strict preset security policy, apply Defender for Office 365 protection to every sensitive account (or to all recipients).",
        "https://learn.microsoft.com/defender-office-365/preset-security-policies"
    ),
    check!(
        "A365-DEF-13",
        "The tenant's domains are protected from impersonation",
        Defender,
        Medium,
        agency_domains_protected,
        "Look-alike sender domains are the usual disguise of phishing mail that pretends to come from inside the organisation.",
        "In the Standard and Strict preset security policies, add every accepted domain to 'Domains to protect' for impersonation protection.",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-about"
    ),
    check!(
        "A365-DEF-14",
        "Partner domains are protected from impersonation",
        Defender,
        Low,
        partner_domains_protected,
        "Attackers impersonate suppliers and partners the organisation trusts to redirect payments and steal credentials.",
        "In the Standard and Strict preset security policies, add the domains of frequent partners to 'Domains to protect'.",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-about"
    ),
    check!(
        "A365-DEF-15",
        "Priority accounts have the Strict preset",
        Defender,
        High,
        strict_for_priority_accounts,
        "Executives and administrators are the most targeted mailboxes; the Strict preset applies the most aggressive phishing, spam and malware settings to them.",
        "In Defender > Email & collaboration > Policies > Preset security policies, turn on Strict protection and add the priority accounts (users, groups or domains) to both Exchange Online Protection and Defender for Office 365 protections.",
        "https://learn.microsoft.com/defender-office-365/preset-security-policies"
    ),
    undecided!(
        "A365-DEF-16",
        "Apps restricted from DLP-protected files are listed",
        Defender,
        Low,
        NotImplemented,
        "in Purview > Data loss prevention > Endpoint DLP settings that the list of restricted apps names the apps that must not access files a DLP policy protects.",
        "Without a restricted-apps list, endpoint DLP cannot stop unsanctioned applications from reading protected files.",
        "In Purview > Data loss prevention > Settings > Endpoint settings, add the apps to block to Restricted apps and app groups.",
        "https://learn.microsoft.com/purview/dlp-configure-endpoint-settings"
    ),
    undecided!(
        "A365-DEF-17",
        "Endpoint DLP blocks restricted apps and unwanted Bluetooth apps",
        Defender,
        Low,
        NotImplemented,
        "that the custom DLP policy's endpoint rule blocks access to sensitive information by restricted apps and by unwanted Bluetooth applications.",
        "Sensitive files read by unsanctioned apps or sent over Bluetooth leave the organisation's control.",
        "In the custom DLP policy's endpoint rule, set Access by restricted apps and Copy or move using unallowed Bluetooth app to Block.",
        "https://learn.microsoft.com/purview/endpoint-dlp-using"
    ),
    undecided!(
        "A365-DEF-18",
        "Security alerts reach a monitored address or SIEM",
        Defender,
        Low,
        NotImplemented,
        "that the alerts of the alert policies A365-DEF-10 decides are sent to a monitored mailbox or incorporated into a SIEM.",
        "Alerts that nobody receives do not shorten the time an attacker stays unnoticed.",
        "In the Microsoft Defender portal > Alert policies, add a monitored recipient to each required alert, or stream alerts to the SIEM.",
        "https://learn.microsoft.com/defender-xdr/alert-policies"
    ),
    check!(
        "A365-DEF-19",
        "The common attachment types filter is on",
        Defender,
        Medium,
        common_attachment_filter,
        "Executables, scripts and other risky file types are a main way malware arrives by email; the common attachments filter blocks them by true file type.",
        "In Defender > Email & collaboration > Policies > Anti-malware, edit the Default policy (and every custom policy) and turn on 'Enable the common attachments filter' (Set-MalwareFilterPolicy -EnableFileFilter $true).",
        "https://learn.microsoft.com/defender-office-365/anti-malware-policies-configure"
    ),
    check!(
        "A365-DEF-20",
        "Administrators are notified when internal users send malware",
        Defender,
        Low,
        internal_malware_notifications,
        "An internal account sending malware is usually compromised; a notification starts the investigation early.",
        "In every anti-malware policy you configure, turn on admin notifications for undelivered messages from internal senders and give a monitored address (Set-MalwareFilterPolicy -EnableInternalSenderAdminNotifications $true -InternalSenderAdminAddress <address>).",
        "https://learn.microsoft.com/defender-office-365/anti-malware-policies-configure"
    ),
    check!(
        "A365-DEF-21",
        "Attachment filtering blocks a comprehensive list of file types",
        Defender,
        Medium,
        comprehensive_attachment_filter,
        "Microsoft's default list leaves out script, help, shortcut and installer types that attackers use to deliver malware.",
        "Add every missing type of the minimum list (the finding's evidence names them) to the common attachments filter of each anti-malware policy you configure (Set-MalwareFilterPolicy -FileTypes).",
        "https://learn.microsoft.com/defender-office-365/anti-malware-policies-configure"
    ),
    check!(
        "A365-DEF-22",
        "Outbound spam is reported to administrators",
        Defender,
        Medium,
        outbound_spam_notifications,
        "An account sending spam is usually compromised; copies and notifications let administrators react before the domain's reputation suffers.",
        "In every outbound spam policy you configure, turn on 'Send a copy of suspicious outbound messages' and 'Notify these users and groups if a sender is blocked', each with a monitored address (Set-HostedOutboundSpamFilterPolicy -BccSuspiciousOutboundMail $true -BccSuspiciousOutboundAdditionalRecipients <address> -NotifyOutboundSpam $true -NotifyOutboundSpamRecipients <address>).",
        "https://learn.microsoft.com/defender-office-365/outbound-spam-policies-configure"
    ),
    check!(
        "A365-DEF-23",
        "Inbound anti-spam policies allow no sender domains",
        Defender,
        Medium,
        no_allowed_sender_domains,
        "Mail from an allowed domain skips spam filtering, so spoofed or compromised senders of that domain reach inboxes.",
        "Remove every entry from the allowed domains of each inbound anti-spam policy (Set-HostedContentFilterPolicy -AllowedSenderDomains $null); use the Tenant Allow/Block List for exceptions.",
        "https://learn.microsoft.com/defender-office-365/anti-spam-policies-configure"
    ),
    check!(
        "A365-DEF-24",
        "Outbound spam message limits are in place",
        Defender,
        Medium,
        outbound_limits,
        "Recipient limits stop a compromised account from sending mass spam or phishing, and blocking it alerts the organisation.",
        "In every outbound spam policy you configure, set the external limit to 500 or fewer per hour, the internal limit to 1,000 or fewer per hour, the daily limit to 1,000 or fewer, and the action to restrict the user from sending mail (Set-HostedOutboundSpamFilterPolicy -RecipientLimitExternalPerHour 500 -RecipientLimitInternalPerHour 1000 -RecipientLimitPerDay 1000 -ActionWhenThresholdReached BlockUser).",
        "https://learn.microsoft.com/defender-office-365/outbound-spam-policies-configure"
    ),
];
