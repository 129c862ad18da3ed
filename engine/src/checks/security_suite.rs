//! Checks of their own for the Security Suite baseline of ScubaGear's main branch
//! (`MS.SECURITYSUITE.*`, cited by [`crate::references::SCUBA_SECURITY_SUITE`]) whose rules
//! differ from every ScubaGear 1.8.0 policy's: each finds the policy that applies to everyone
//! from the rules that scope the policies (the preset security policies' rules, the custom
//! policies' own rules, the built-in protection rule) and judges that policy.
//!
//! The rules and the Defender for Office 365 and audit retention policies are in the snapshot's
//! `aether365` section (a live collection); a ScubaGear 1.8.0 export has none of them, so each
//! check reads its own section first and answers `error` naming it. A pass that rests on a rule
//! without recipient conditions, or on no rule at all, is a pass on an empty read
//! ([`Outcome::pass_on_empty_read`]) of the rules it rests on.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{b, check, counted, i, input, list_ours, n, name_of, s, strs, unlicensed};
use crate::check::{Check, Outcome};
use crate::exemptions::{Exemptions, SOURCE};
use crate::snapshot::Snapshot;

const STANDARD: &str = "Standard Preset Security Policy";
const STRICT: &str = "Strict Preset Security Policy";
/// The preset security policies, the Strict one first (it wins where both apply).
const PRESETS: [&str; 2] = [STRICT, STANDARD];

/// The preset policies' Exchange Online Protection rules (`Get-EOPProtectionPolicyRule`).
const EOP_RULES: &str = "protection_policy_rules";
/// The preset policies' Defender for Office 365 rules (`Get-ATPProtectionPolicyRule`).
const ATP_RULES: &str = "atp_policy_rules";
const MALWARE: &str = "anti_malware_policies";
const MALWARE_RULES: &str = "anti_malware_rules";
const SPAM: &str = "hosted_content_filter_policies";
const SPAM_RULES: &str = "hosted_content_filter_rules";
const PHISH: &str = "anti_phish_policies";
const PHISH_RULES: &str = "anti_phish_rules";
const ATTACHMENTS: &str = "safe_attachment_policies";
const ATTACHMENT_RULES: &str = "safe_attachment_rules";
const BUILT_IN_RULES: &str = "built_in_protection_rules";
const LINKS: &str = "safe_links_policies";
const LINK_RULES: &str = "safe_links_rules";
const RETENTION: &str = "unified_audit_log_retention_policies";

/// The built-in protection's policy name (Safe Attachments and Safe Links).
const BUILT_IN: &str = "Built-In Protection Policy";

/// What a pass resting on a custom rule without recipient conditions or exceptions found none of.
const NO_CONDITION: &str = "recipient condition or exception on the rule the verdict rests on";
/// What a pass resting on a rule without recipient conditions (exceptions not read: a preset's
/// rule, a Safe Links rule) found none of.
const NO_RECIPIENT_CONDITION: &str = "recipient condition on the rule the verdict rests on";
/// What a pass resting on a custom rule scoped to every accepted domain found none of.
const EVERY_DOMAIN: &str = "recipient exception on the rule the verdict rests on, whose `RecipientDomainIs` names every accepted domain";
/// What a pass resting on no custom rule applying to everyone found none of.
const NO_COVERING_RULE: &str =
    "enabled rule applying to every recipient ahead of the policy the verdict rests on";

/// Whether `identity` names a copy (or the rule) of `preset`, in any case.
fn is_preset(identity: &str, preset: &str) -> bool {
    identity
        .to_ascii_lowercase()
        .contains(&preset.to_ascii_lowercase())
}

fn any_preset(identity: &str) -> bool {
    PRESETS.iter().any(|p| is_preset(identity, p))
}

fn enabled(rule: &Value) -> bool {
    s(rule, "State") == "Enabled"
}

/// Whether a rule's condition or exception `key` is unset: null, an empty list or an empty
/// name. A missing field or another shape is unknown, never "unset".
fn unset(rule: &Value, key: &str, group: &str) -> Result<bool, String> {
    match rule.get(key) {
        Some(Value::Null) => Ok(true),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(a.is_empty()),
        Some(Value::String(x)) => Ok(x.is_empty()),
        None => Err(format!(
            "a rule in `{group}` has no `{key}` field, so whom it applies to is unknown"
        )),
        Some(_) => Err(format!(
            "a rule's `{key}` in `{group}` is neither null nor a list of names, so whom it applies to is unknown"
        )),
    }
}

/// Whether an enabled rule of `preset` among the preset rules `rules` (of section `group`)
/// applies to every recipient: no `SentTo`, `SentToMemberOf` or `RecipientDomainIs`.
fn preset_covers_all(rules: &[&Value], preset: &str, group: &str) -> Result<bool, String> {
    for r in rules
        .iter()
        .filter(|r| is_preset(s(r, "Identity"), preset) && enabled(r))
    {
        let mut all = true;
        for k in ["SentTo", "SentToMemberOf", "RecipientDomainIs"] {
            all &= unset(r, k, group)?;
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The tenant's accepted domains (trimmed, lower case), or why they are unknown.
fn accepted_domains(snap: &Snapshot) -> Result<BTreeSet<String>, String> {
    Ok(snap
        .list("accepted_domains")?
        .iter()
        .filter_map(|d| d.get("DomainName").and_then(Value::as_str))
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
        .collect())
}

/// Whether a custom policy's rule applies to every recipient: no recipient condition or
/// exception, but a `RecipientDomainIs` naming every accepted domain of the tenant.
fn custom_covers_all(
    rule: &Value,
    group: &str,
    domains: &Result<BTreeSet<String>, String>,
) -> Result<bool, String> {
    for k in [
        "SentTo",
        "SentToMemberOf",
        "ExceptIfSentTo",
        "ExceptIfSentToMemberOf",
        "ExceptIfRecipientDomainIs",
    ] {
        if !unset(rule, k, group)? {
            return Ok(false);
        }
    }
    if unset(rule, "RecipientDomainIs", group)? {
        return Ok(true);
    }
    let own = domains.as_ref().map_err(Clone::clone)?;
    if own.is_empty() {
        return Err(
            "`accepted_domains` lists no domain, so whether a rule scoped to domains covers the tenant is unknown"
                .into(),
        );
    }
    let scoped: BTreeSet<String> = strs(rule.get("RecipientDomainIs"))
        .iter()
        .map(|d| d.trim().to_lowercase())
        .collect();
    Ok(own.is_subset(&scoped))
}

/// What a pass resting on a custom rule that [`custom_covers_all`] accepted found none of: no
/// condition at all, or only a domain condition naming every accepted domain.
fn custom_basis(rule: &Value) -> &'static str {
    if strs(rule.get("RecipientDomainIs")).is_empty() {
        NO_CONDITION
    } else {
        EVERY_DOMAIN
    }
}

/// A rule's priority (lower wins); its absence is an unknown shape.
fn priority(rule: &Value, group: &str) -> Result<i64, String> {
    i(rule, "Priority").ok_or_else(|| format!("an enabled rule in `{group}` has no `Priority`"))
}

/// The policy the highest-priority enabled custom rule of `group` applies to every recipient
/// (its `policy_field`), if that rule applies to every recipient.
fn highest_custom_rule(
    rules: &[&Value],
    group: &str,
    policy_field: &str,
    domains: &Result<BTreeSet<String>, String>,
) -> Result<Option<(String, &'static str)>, String> {
    let on: Vec<&Value> = rules.iter().copied().filter(|r| enabled(r)).collect();
    let mut best: Option<i64> = None;
    for r in &on {
        let p = priority(r, group)?;
        best = Some(best.map_or(p, |b| b.min(p)));
    }
    let Some(best) = best else { return Ok(None) };
    for r in on {
        if priority(r, group)? == best && custom_covers_all(r, group, domains)? {
            return Ok(Some((s(r, policy_field).to_string(), custom_basis(r))));
        }
    }
    Ok(None)
}

/// The policy of `pols` with this identity (or name).
fn policy_named<'a>(pols: &[&'a Value], name: &str) -> Option<&'a Value> {
    pols.iter()
        .copied()
        .find(|p| s(p, "Identity") == name || s(p, "Name") == name)
}

/// How the policy applying to everyone was found: the section and what the pass rests on.
struct Chosen<'a> {
    policy: &'a Value,
    /// The section whose rule (or lack of one) chose it.
    rests_on: &'static str,
    /// What of that section the choice rests on the absence of.
    none_of: &'static str,
    /// In words, for the message.
    how: String,
}

/// The highest-priority policy applying to everyone of a group with presets and custom rules
/// (anti-malware, Safe Attachments): the Strict preset, the Standard preset (each where its
/// preset rule applies to everyone), the policy of the highest-priority enabled custom rule
/// where that rule applies to everyone; else `None` (the caller's fallback).
#[allow(clippy::too_many_arguments)]
fn highest_policy<'a>(
    snap: &Snapshot,
    pols: &[&'a Value],
    preset_rules: &[&Value],
    preset_group: &'static str,
    rules: &[&Value],
    rules_group: &'static str,
    policy_field: &str,
) -> Result<Option<Chosen<'a>>, String> {
    for preset in PRESETS {
        if preset_covers_all(preset_rules, preset, preset_group)?
            && let Some(p) = pols.iter().find(|p| is_preset(s(p, "Identity"), preset))
        {
            return Ok(Some(Chosen {
                policy: p,
                rests_on: preset_group,
                none_of: NO_RECIPIENT_CONDITION,
                how: format!("the {preset}, which applies to every recipient"),
            }));
        }
    }
    let domains = accepted_domains(snap);
    if let Some((name, basis)) = highest_custom_rule(rules, rules_group, policy_field, &domains)? {
        let p = policy_named(pols, &name).ok_or_else(|| {
            format!("the highest-priority rule in `{rules_group}` applies a policy that `{}` does not list", policy_section(rules_group))
        })?;
        return Ok(Some(Chosen {
            policy: p,
            rests_on: rules_group,
            none_of: basis,
            how: "a custom policy whose highest-priority rule applies to every recipient".into(),
        }));
    }
    Ok(None)
}

fn policy_section(rules_group: &str) -> &'static str {
    match rules_group {
        MALWARE_RULES => MALWARE,
        ATTACHMENT_RULES => ATTACHMENTS,
        SPAM_RULES => SPAM,
        PHISH_RULES => PHISH,
        _ => LINKS,
    }
}

/// MS.SECURITYSUITE.1.1v1 and 1.2v1: the anti-malware policy applying to everyone with the
/// highest priority (a preset, a custom policy by its rule, else the Default policy).
fn highest_malware_policy(snap: &Snapshot) -> Result<Chosen<'_>, String> {
    let rules = snap.list(MALWARE_RULES)?;
    let pols = snap.rows(MALWARE)?;
    let eop = snap.list(EOP_RULES)?;
    if let Some(c) = highest_policy(
        snap,
        &pols,
        &eop,
        EOP_RULES,
        &rules,
        MALWARE_RULES,
        "MalwareFilterPolicy",
    )? {
        return Ok(c);
    }
    let default = pols
        .iter()
        .find(|p| b(p, "IsDefault") == Some(true))
        .ok_or_else(|| {
            format!("`{MALWARE}` has no Default policy (`IsDefault` true), but every tenant has one: the read is incomplete")
        })?;
    Ok(Chosen {
        policy: default,
        rests_on: MALWARE_RULES,
        none_of: NO_COVERING_RULE,
        how: "the Default policy (no preset or custom policy applies to every recipient)".into(),
    })
}

/// A boolean every policy of `group` carries; its absence is an unknown shape.
fn flag(p: &Value, key: &str, group: &str) -> Result<bool, String> {
    b(p, key).ok_or_else(|| format!("the policy `{group}` judges has no boolean `{key}`"))
}

/// A pass resting on how `chosen` was found, or a fail.
fn judged(
    snap: &Snapshot,
    ok: bool,
    chosen: &Chosen<'_>,
    pass: String,
    fail: String,
    evidence: Value,
) -> Outcome {
    let name = vec![name_of(chosen.policy)];
    if !ok {
        return Outcome::fail(fail, evidence).about(&name);
    }
    Outcome::pass_on_empty_read(snap, chosen.rests_on, chosen.none_of, &pass, evidence).about(&name)
}

/// The file types MS.SECURITYSUITE.1.1v1 requires the common attachments filter to block.
const CLICK_TO_RUN: [&str; 3] = ["exe", "cmd", "vbe"];

/// MS.SECURITYSUITE.1.1v1: the anti-malware policy applying to everyone has the common
/// attachments filter on and blocks `exe`, `cmd` and `vbe`.
fn suite_click_to_run(snap: &Snapshot) -> Outcome {
    let chosen = input!(highest_malware_policy(snap));
    let p = chosen.policy;
    let on = input!(flag(p, "EnableFileFilter", MALWARE));
    let Some(Value::Array(types)) = p.get("FileTypes") else {
        return Outcome::error(format!(
            "the policy `{MALWARE}` judges has no `FileTypes` list"
        ));
    };
    let have: BTreeSet<String> = types
        .iter()
        .filter_map(Value::as_str)
        .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = CLICK_TO_RUN
        .iter()
        .copied()
        .filter(|t| !have.contains(*t))
        .collect();
    judged(
        snap,
        on && missing.is_empty(),
        &chosen,
        format!(
            "The anti-malware policy applying to every recipient with the highest priority ({}) has the common attachments filter on and blocks exe, cmd and vbe files.",
            chosen.how
        ),
        format!(
            "The anti-malware policy applying to every recipient with the highest priority ({}) {}.",
            chosen.how,
            if on {
                format!("does not block: {}", list_ours(&missing))
            } else {
                "has the common attachments filter off".to_string()
            }
        ),
        json!({ "policy": name_of(p), "chosen_as": chosen.how, "EnableFileFilter": on, "required_file_types": CLICK_TO_RUN, "missing_file_types": missing }),
    )
}

/// MS.SECURITYSUITE.1.2v1: the anti-malware policy applying to everyone has zero-hour auto
/// purge on.
fn suite_malware_zap(snap: &Snapshot) -> Outcome {
    let chosen = input!(highest_malware_policy(snap));
    let zap = input!(flag(chosen.policy, "ZapEnabled", MALWARE));
    judged(
        snap,
        zap,
        &chosen,
        format!(
            "Zero-hour auto purge for malware is on in the anti-malware policy applying to every recipient with the highest priority ({}).",
            chosen.how
        ),
        format!(
            "Zero-hour auto purge for malware is off in the anti-malware policy applying to every recipient with the highest priority ({}).",
            chosen.how
        ),
        json!({ "policy": name_of(chosen.policy), "chosen_as": chosen.how, "ZapEnabled": zap }),
    )
}

/// MS.SECURITYSUITE.1.3v1: the Safe Attachments policy applying to everyone with the highest
/// priority (a preset by its Defender for Office 365 rule, a custom policy by its rule, else
/// the built-in protection where its rule makes no exception) blocks malware (`Action` Block or
/// DynamicDelivery).
fn suite_safe_attachments(snap: &Snapshot) -> Outcome {
    let rules = input!(snap.list(ATTACHMENT_RULES));
    let built_in = input!(snap.list(BUILT_IN_RULES));
    let pols = input!(snap.list(ATTACHMENTS));
    if let Some(out) = unlicensed(
        snap,
        "defender_license",
        "The tenant has no Defender for Office 365 licence, so no Safe Attachments policy applies.",
    ) {
        return out;
    }
    let atp = input!(snap.list(ATP_RULES));
    let chosen = match input!(highest_policy(
        snap,
        &pols,
        &atp,
        ATP_RULES,
        &rules,
        ATTACHMENT_RULES,
        "SafeAttachmentPolicy"
    )) {
        Some(c) => c,
        None => {
            let mut open = false;
            for r in &built_in {
                let mut none = true;
                for k in [
                    "ExceptIfSentTo",
                    "ExceptIfSentToMemberOf",
                    "ExceptIfRecipientDomainIs",
                ] {
                    none &= input!(unset(r, k, BUILT_IN_RULES));
                }
                open |= none;
            }
            if !open {
                return Outcome::fail(
                    "No Safe Attachments policy applies to every recipient: neither preset nor a custom policy's highest-priority rule does, and the built-in protection makes exceptions (or has no rule).",
                    json!({ "built_in_protection_rules": built_in.len() }),
                );
            }
            let Some(p) = policy_named(&pols, BUILT_IN) else {
                return Outcome::error(format!(
                    "the built-in protection applies to every recipient, but `{ATTACHMENTS}` lists no `{BUILT_IN}`"
                ));
            };
            Chosen {
                policy: p,
                rests_on: BUILT_IN_RULES,
                none_of: "exception on the built-in protection rule",
                how: "the built-in protection, which makes no exception".into(),
            }
        }
    };
    let action = s(chosen.policy, "Action");
    judged(
        snap,
        matches!(action, "Block" | "DynamicDelivery"),
        &chosen,
        format!(
            "The Safe Attachments policy applying to every recipient with the highest priority ({}) blocks or dynamically delivers attachments with malware.",
            chosen.how
        ),
        format!(
            "The Safe Attachments policy applying to every recipient with the highest priority ({}) does not block attachments with unknown malware (its action is not Block or DynamicDelivery).",
            chosen.how
        ),
        json!({ "policy": name_of(chosen.policy), "chosen_as": chosen.how, "Action": chosen.policy.get("Action") }),
    )
}

/// The inbound anti-spam policies a cascade judges (MS.SECURITYSUITE.6.1v1 and 6.2v1).
struct SpamPolicies<'a> {
    pols: Vec<&'a Value>,
    /// Policies (`HostedContentFilterPolicy`) of the enabled preset rules applying to everyone.
    presets: BTreeSet<String>,
    /// Policies of the enabled custom rules applying to everyone.
    customs: BTreeSet<String>,
}

fn spam_policies(snap: &Snapshot) -> Result<SpamPolicies<'_>, String> {
    let rules = snap.list(SPAM_RULES)?;
    let pols = snap.rows(SPAM)?;
    if !pols.iter().any(|p| b(p, "IsDefault") == Some(true)) {
        return Err(format!(
            "`{SPAM}` has no Default policy (`IsDefault` true), but every tenant has one: the read is incomplete"
        ));
    }
    let eop = snap.list(EOP_RULES)?;
    let mut presets = BTreeSet::new();
    for r in eop
        .iter()
        .filter(|r| enabled(r) && any_preset(s(r, "Identity")))
    {
        let mut all = true;
        for k in ["SentTo", "SentToMemberOf", "RecipientDomainIs"] {
            all &= unset(r, k, EOP_RULES)?;
        }
        if all {
            presets.insert(s(r, "HostedContentFilterPolicy").to_string());
        }
    }
    let domains = accepted_domains(snap);
    let mut customs = BTreeSet::new();
    for r in rules.iter().filter(|r| enabled(r)) {
        if custom_covers_all(r, SPAM_RULES, &domains)? {
            customs.insert(s(r, "HostedContentFilterPolicy").to_string());
        }
    }
    Ok(SpamPolicies {
        pols,
        presets,
        customs,
    })
}

/// ScubaGear's cascade over the active inbound anti-spam policies: the Strict preset's copy
/// (where its preset rule applies to everyone) is judged; the Standard one unless the Strict one
/// is good; the custom policies whose rules apply to everyone unless a preset is good; the
/// Default policy unless a preset or custom policy is good. The failing ones, the judged ones,
/// and whether a preset decided.
fn spam_cascade(
    sp: &SpamPolicies<'_>,
    ok: &dyn Fn(&Value) -> Result<bool, String>,
) -> Result<(Vec<String>, Vec<String>, bool), String> {
    let active_preset = |p: &Value, kind: &str| {
        s(p, "RecommendedPolicyType") == kind && sp.presets.contains(s(p, "Identity"))
    };
    let judge = |kind: &str| -> Result<(Vec<&Value>, Vec<&Value>), String> {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for p in sp.pols.iter().copied() {
            let member = match kind {
                "Default" => b(p, "IsDefault") == Some(true),
                "Custom" => {
                    s(p, "RecommendedPolicyType") == "Custom"
                        && b(p, "IsDefault") == Some(false)
                        && sp.customs.contains(s(p, "Identity"))
                }
                preset => active_preset(p, preset),
            };
            if member {
                if ok(p)? {
                    good.push(p);
                } else {
                    bad.push(p);
                }
            }
        }
        Ok((good, bad))
    };
    let (strict_good, strict_bad) = judge("Strict")?;
    let (standard_good, standard_bad) = judge("Standard")?;
    let (custom_good, custom_bad) = judge("Custom")?;
    let (default_good, default_bad) = judge("Default")?;
    let preset_good = !strict_good.is_empty() || !standard_good.is_empty();
    let mut failing: Vec<&Value> = strict_bad;
    let mut judged: Vec<&Value> = strict_good.clone();
    judged.extend(failing.iter().copied());
    if strict_good.is_empty() {
        failing.extend(standard_bad.iter().copied());
        judged.extend(standard_good.iter().chain(&standard_bad).copied());
    }
    if !preset_good {
        failing.extend(custom_bad.iter().copied());
        judged.extend(custom_good.iter().chain(&custom_bad).copied());
        if custom_good.is_empty() {
            failing.extend(default_bad.iter().copied());
            judged.extend(default_good.iter().chain(&default_bad).copied());
        }
    }
    Ok((
        failing.iter().map(|p| name_of(p)).collect(),
        judged.iter().map(|p| name_of(p)).collect(),
        preset_good,
    ))
}

/// A 6.x verdict: pass when no judged policy fails.
fn spam_verdict(
    snap: &Snapshot,
    sp: &SpamPolicies<'_>,
    ok: &dyn Fn(&Value) -> Result<bool, String>,
    pass: &str,
    fail: &str,
) -> Outcome {
    let (failing, judged, preset_good) = input!(spam_cascade(sp, ok));
    let evidence = json!({ "policies_judged": judged, "failing_policies": failing,
        "active_preset_policies": sp.presets, "active_custom_policies": sp.customs });
    if !failing.is_empty() {
        return Outcome::fail(
            format!(
                "{} {fail}.",
                n(
                    &failing,
                    "inbound anti-spam policy",
                    "inbound anti-spam policies"
                )
            ),
            evidence,
        )
        .about(&failing);
    }
    let (rests_on, none_of) = if preset_good {
        (EOP_RULES, NO_RECIPIENT_CONDITION)
    } else {
        (SPAM_RULES, NO_COVERING_RULE)
    };
    Outcome::pass_on_empty_read(
        snap,
        rests_on,
        none_of,
        &format!(
            "{pass} ({} judged)",
            n(
                &judged,
                "inbound anti-spam policy",
                "inbound anti-spam policies"
            )
        ),
        evidence,
    )
    .about(&judged)
}

/// The spam actions MS.SECURITYSUITE.6.1v1 allows: none delivers to the inbox.
const SPAM_ACTIONS: [&str; 4] = ["MoveToJmf", "Quarantine", "Redirect", "Delete"];

/// MS.SECURITYSUITE.6.1v1: the active inbound anti-spam policies move spam, high-confidence
/// spam, phishing and high-confidence phishing out of the inbox.
fn suite_spam_actions(snap: &Snapshot) -> Outcome {
    let sp = input!(spam_policies(snap));
    let ok = |p: &Value| -> Result<bool, String> {
        let mut good = true;
        for k in [
            "SpamAction",
            "HighConfidenceSpamAction",
            "PhishSpamAction",
            "HighConfidencePhishAction",
        ] {
            let a = p
                .get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("a policy in `{SPAM}` has no `{k}`"))?;
            good &= SPAM_ACTIONS.contains(&a);
        }
        Ok(good)
    };
    spam_verdict(
        snap,
        &sp,
        &ok,
        "The active inbound anti-spam policies move spam and phishing out of the inbox",
        "may deliver spam or phishing to the inbox",
    )
}

/// MS.SECURITYSUITE.6.2v1: no active inbound anti-spam policy allows sender domains.
fn suite_allowed_domains(snap: &Snapshot) -> Outcome {
    let sp = input!(spam_policies(snap));
    let ok = |p: &Value| -> Result<bool, String> {
        match p.get("AllowedSenderDomains") {
            Some(Value::Null) => Ok(true),
            Some(Value::Array(a)) => Ok(a.is_empty()),
            _ => Err(format!(
                "a policy in `{SPAM}` has no `AllowedSenderDomains` list, so its allowed domains are unknown"
            )),
        }
    };
    spam_verdict(
        snap,
        &sp,
        &ok,
        "No active inbound anti-spam policy allows sender domains",
        "allow sender domains past spam filtering",
    )
}

/// Whether a policy applies to everyone, and if so the section and absence that rests on
/// (`("", "")` for the Default policy, which applies to everyone by itself).
type Rests = Option<(&'static str, &'static str)>;

/// The anti-phishing policies and what decides whom each applies to (MS.SECURITYSUITE.2.x).
struct Phish<'a> {
    pols: Vec<&'a Value>,
    rules: Vec<&'a Value>,
    eop: Vec<&'a Value>,
    domains: Result<BTreeSet<String>, String>,
}

fn phish(snap: &Snapshot) -> Result<Phish<'_>, String> {
    let rules = snap.list(PHISH_RULES)?;
    let pols = snap.rows(PHISH)?;
    let eop = snap.list(EOP_RULES)?;
    match snap
        .value()
        .get("defender_license")
        .and_then(Value::as_bool)
    {
        Some(_) => {}
        None => {
            return Err(
                "the export does not say whether the tenant has a Defender for Office 365 licence (`defender_license`), which impersonation protection needs"
                    .into(),
            );
        }
    }
    Ok(Phish {
        pols,
        rules,
        eop,
        domains: accepted_domains(snap),
    })
}

impl Phish<'_> {
    /// How an anti-phishing policy applies to everyone, if it does: the Default policy always;
    /// a preset's copy where its preset rule applies to everyone; a custom policy where an
    /// enabled rule of its own applies to everyone (the tenant's accepted domains known).
    fn covers_all(&self, p: &Value) -> Result<Rests, String> {
        if b(p, "IsDefault") == Some(true) {
            return Ok(Some(("", "")));
        }
        let id = s(p, "Identity");
        for preset in PRESETS {
            if is_preset(id, preset) {
                return Ok(preset_covers_all(&self.eop, preset, EOP_RULES)?
                    .then_some((EOP_RULES, NO_RECIPIENT_CONDITION)));
            }
        }
        let own = self.domains.as_ref().map_err(Clone::clone)?;
        if own.is_empty() {
            return Ok(None);
        }
        for r in self.rules.iter().filter(|r| {
            enabled(r) && {
                let target = s(r, "AntiPhishPolicy");
                !target.is_empty() && (target == s(p, "Name") || target == id)
            }
        }) {
            if custom_covers_all(r, PHISH_RULES, &self.domains)? {
                return Ok(Some((PHISH_RULES, custom_basis(r))));
            }
        }
        Ok(None)
    }

    /// The enabled policies meeting `ok`, each with whether it applies to everyone (and what
    /// that rests on). The Default policy first, then the presets, then custom policies.
    fn meeting(&self, ok: &dyn Fn(&Value) -> bool) -> Result<Vec<(&Value, Rests)>, String> {
        let mut out = Vec::new();
        let rank = |p: &Value| {
            if b(p, "IsDefault") == Some(true) {
                0
            } else if any_preset(s(p, "Identity")) {
                1
            } else {
                2
            }
        };
        let mut pols: Vec<&Value> = self.pols.clone();
        pols.sort_by_key(|p| rank(p));
        for p in pols {
            if b(p, "Enabled") == Some(true) && ok(p) {
                out.push((p, self.covers_all(p)?));
            }
        }
        Ok(out)
    }
}

/// An impersonation action that acts on the message (not NoAction or BccMessage); a missing
/// action acts on nothing.
fn acts(p: &Value, key: &str) -> bool {
    p.get(key).and_then(Value::as_str).is_some_and(|a| {
        !a.is_empty() && !["noaction", "bccmessage"].contains(&a.to_ascii_lowercase().as_str())
    })
}

/// A 2.x verdict over the policies meeting the requirement: pass when one applies to everyone
/// (and the tenant has Defender for Office 365), else fail.
fn phish_verdict(
    snap: &Snapshot,
    found: &[(&Value, Rests)],
    what: &str,
    mut evidence: Value,
) -> Outcome {
    let covering = found.iter().find(|(_, c)| c.is_some());
    let partial: Vec<String> = found
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(p, _)| name_of(p))
        .collect();
    if snap
        .value()
        .get("defender_license")
        .and_then(Value::as_bool)
        == Some(false)
    {
        return Outcome::fail(
            format!("The tenant has no Defender for Office 365 licence, which {what} needs."),
            json!({ "defender_license": false }),
        );
    }
    let Some((p, rests)) = covering else {
        let msg = if partial.is_empty() {
            format!("No enabled anti-phishing policy has {what}.")
        } else {
            format!(
                "{} {what} but not for every recipient.",
                n(
                    &partial,
                    "enabled anti-phishing policy has",
                    "enabled anti-phishing policies have"
                )
            )
        };
        evidence["policies_not_applying_to_everyone"] = json!(partial);
        return Outcome::fail(msg, evidence).about(&partial);
    };
    let name = vec![name_of(p)];
    evidence["policy"] = json!(name_of(p));
    let pass = format!("An enabled anti-phishing policy applying to every recipient has {what}");
    match rests {
        Some(("", _)) | None => Outcome::pass(format!("{pass} (the Default policy)."), evidence),
        Some((section, none_of)) => {
            Outcome::pass_on_empty_read(snap, section, none_of, &pass, evidence)
        }
    }
    .about(&name)
}

/// The names declared for a Security Suite policy (`scuba_config.SecuritySuite[policy]`), else
/// for the Defender policy ScubaGear reads in its place (`scuba_config.Defender[alias]`), and
/// where they came from.
fn declared(
    snap: &Snapshot,
    policy: &str,
    alias: &str,
    list: &str,
    read: impl Fn(&Exemptions, &str) -> BTreeSet<String>,
) -> (BTreeSet<String>, String) {
    let ex = Exemptions::of(snap);
    let own = read(&ex, policy);
    if !own.is_empty() {
        return (
            own,
            format!("scuba_config.SecuritySuite[\"{policy}\"].{list}"),
        );
    }
    (
        read(&ex, alias),
        format!("scuba_config.Defender[\"{alias}\"].{list}"),
    )
}

/// The address of a protected-user entry ("Display Name;address" or an address), lower case.
fn user_address(entry: &str) -> String {
    let entry = entry.trim().to_lowercase();
    match entry.split_once(';') {
        Some((_, addr)) => addr.trim().to_string(),
        None => entry,
    }
}

/// What a Security Suite policy asks an anti-phishing policy to protect from impersonation:
/// the names the ScubaGear configuration declares (users for 2.1, partner domains for 2.3) and
/// the fields of the policy that protect them.
struct Targeted {
    /// The Security Suite policy (`MS.SECURITYSUITE.2.1v1`).
    policy: &'static str,
    /// The Defender policy ScubaGear reads in its place (`MS.DEFENDER.2.1v1`).
    alias: &'static str,
    /// The declared list (`SensitiveUsers`).
    list: &'static str,
    /// Reads the declared list for a policy.
    read: fn(&Exemptions, &str) -> BTreeSet<String>,
    /// One name as compared, on both sides.
    normalise: fn(&str) -> String,
    /// What one name is and what several are, for messages (`sensitive user`).
    one: &'static str,
    many: &'static str,
    /// The evidence key for the declaration (`declared_sensitive_users`).
    evidence_key: &'static str,
    /// Whether the evidence lists the declared names, not only how many there are.
    lists_names: bool,
    /// The policy's switch, its list of protected names and its action.
    enable: &'static str,
    protected: &'static str,
    action: &'static str,
    /// The protection, for messages (`user impersonation protection`).
    protection: &'static str,
}

/// MS.SECURITYSUITE.2.1v1's targets: the sensitive users.
const SENSITIVE_USERS: Targeted = Targeted {
    policy: "MS.SECURITYSUITE.2.1v1",
    alias: "MS.DEFENDER.2.1v1",
    list: "SensitiveUsers",
    read: Exemptions::sensitive_users,
    normalise: user_address,
    one: "sensitive user",
    many: "sensitive users",
    evidence_key: "declared_sensitive_users",
    lists_names: false,
    enable: "EnableTargetedUserProtection",
    protected: "TargetedUsersToProtect",
    action: "TargetedUserProtectionAction",
    protection: "user impersonation protection",
};

/// MS.SECURITYSUITE.2.3v1's targets: the partner domains (declared trimmed and lower case).
const PARTNER_DOMAINS: Targeted = Targeted {
    policy: "MS.SECURITYSUITE.2.3v1",
    alias: "MS.DEFENDER.2.3v1",
    list: "PartnerDomains",
    read: Exemptions::partner_domains,
    normalise: domain_name,
    one: "partner domain",
    many: "partner domains",
    evidence_key: "declared_partner_domains",
    lists_names: true,
    enable: "EnableTargetedDomainsProtection",
    protected: "TargetedDomainsToProtect",
    action: "TargetedDomainProtectionAction",
    protection: "domain impersonation protection",
};

/// A domain name as compared: trimmed, lower case.
fn domain_name(entry: &str) -> String {
    entry.trim().to_lowercase()
}

/// An enabled anti-phishing policy applying to everyone protects every name of `t` the
/// ScubaGear configuration declares from impersonation, with an action; none declared fails.
fn suite_targeted(snap: &Snapshot, t: &Targeted) -> Outcome {
    let ph = input!(phish(snap));
    let (names, source) = declared(snap, t.policy, t.alias, t.list, t.read);
    let names: BTreeSet<String> = names.iter().map(|x| (t.normalise)(x)).collect();
    if names.is_empty() {
        return Outcome::fail(
            format!(
                "{SOURCE} declares no {} for {}, so no policy can be shown to protect them from impersonation.",
                t.many, t.policy
            ),
            json!({ t.evidence_key: [], "source": source }),
        );
    }
    let found = input!(ph.meeting(&|p| {
        let protected: BTreeSet<String> = strs(p.get(t.protected))
            .iter()
            .map(|x| (t.normalise)(x))
            .collect();
        b(p, t.enable) == Some(true)
            && !protected.is_empty()
            && names.is_subset(&protected)
            && acts(p, t.action)
    }));
    let declaration = if t.lists_names {
        json!({ "source": source, "domains": names })
    } else {
        json!({ "source": source, "count": names.len() })
    };
    phish_verdict(
        snap,
        &found,
        &format!(
            "{} with an action for the {} that {SOURCE} declares",
            t.protection,
            counted(names.len(), t.one, t.many)
        ),
        json!({ t.evidence_key: declaration }),
    )
}

/// MS.SECURITYSUITE.2.1v1: an enabled anti-phishing policy applying to everyone protects every
/// sensitive user the ScubaGear configuration declares from impersonation, with an action.
fn suite_user_impersonation(snap: &Snapshot) -> Outcome {
    suite_targeted(snap, &SENSITIVE_USERS)
}

/// MS.SECURITYSUITE.2.2v1: an enabled anti-phishing policy applying to everyone protects the
/// tenant's own domains from impersonation, with an action.
fn suite_org_domains(snap: &Snapshot) -> Outcome {
    let ph = input!(phish(snap));
    let found = input!(ph.meeting(&|p| {
        b(p, "EnableOrganizationDomainsProtection") == Some(true)
            && acts(p, "TargetedDomainProtectionAction")
    }));
    phish_verdict(
        snap,
        &found,
        "protection of the organisation's own domains from impersonation with an action",
        json!({}),
    )
}

/// MS.SECURITYSUITE.2.3v1: an enabled anti-phishing policy applying to everyone protects every
/// partner domain the ScubaGear configuration declares from impersonation, with an action.
fn suite_partner_domains(snap: &Snapshot) -> Outcome {
    suite_targeted(snap, &PARTNER_DOMAINS)
}

/// The safety tips and tags MS.SECURITYSUITE.2.4v1 requires of a custom policy.
const SAFETY_TIPS: [&str; 6] = [
    "EnableFirstContactSafetyTips",
    "EnableSimilarUsersSafetyTips",
    "EnableSimilarDomainsSafetyTips",
    "EnableUnusualCharactersSafetyTips",
    "EnableViaTag",
    "EnableUnauthenticatedSender",
];

/// MS.SECURITYSUITE.2.4v1: users are warned of suspicious senders: an enabled anti-phishing
/// policy other than a preset's, applying to everyone, has every safety tip on; or a preset
/// (whose copies have them on) applies to everyone.
fn suite_safety_tips(snap: &Snapshot) -> Outcome {
    let ph = input!(phish(snap));
    let found = input!(ph.meeting(&|p| {
        !any_preset(s(p, "Identity")) && SAFETY_TIPS.iter().all(|k| b(p, k) == Some(true))
    }));
    if found.iter().all(|(_, c)| c.is_none())
        && snap
            .value()
            .get("defender_license")
            .and_then(Value::as_bool)
            == Some(true)
    {
        for preset in PRESETS {
            if input!(preset_covers_all(&ph.eop, preset, EOP_RULES)) {
                return Outcome::pass_on_empty_read(
                    snap,
                    EOP_RULES,
                    NO_RECIPIENT_CONDITION,
                    &format!(
                        "The {preset}, whose anti-phishing settings show every safety tip, applies to every recipient"
                    ),
                    json!({ "preset": preset }),
                );
            }
        }
    }
    phish_verdict(
        snap,
        &found,
        "every safety tip on (first contact, similar users, similar domains, unusual characters, the via tag and the unauthenticated sender indicator)",
        json!({}),
    )
}

/// The Safe Links policy applying to everyone (MS.SECURITYSUITE.7.x): that of the
/// highest-priority enabled Safe Links rule without recipient conditions, else the built-in
/// protection; and whether a preset's Exchange Online Protection rule applies to everyone.
struct Links<'a> {
    policy: Option<&'a Value>,
    applied: String,
    preset: Option<&'static str>,
    /// A custom rule without recipient conditions chose `applied` (else the built-in policy).
    by_rule: bool,
}

fn links(snap: &Snapshot) -> Result<Links<'_>, String> {
    let rules = snap.list(LINK_RULES)?;
    let pols = snap.list(LINKS)?;
    let eop = snap.list(EOP_RULES)?;
    let mut preset = None;
    for p in PRESETS {
        if preset_covers_all(&eop, p, EOP_RULES)? {
            preset = Some(p);
            break;
        }
    }
    let mut best: Option<(&Value, i64)> = None;
    for r in rules.iter().copied().filter(|r| enabled(r)) {
        let mut all = true;
        for k in ["SentTo", "SentToMemberOf", "RecipientDomainIs"] {
            all &= unset(r, k, LINK_RULES)?;
        }
        if all {
            let p = priority(r, LINK_RULES)?;
            if best.is_none_or(|(_, b)| p < b) {
                best = Some((r, p));
            }
        }
    }
    let by_rule = best.is_some();
    let applied = best.map_or(BUILT_IN.to_string(), |(r, _)| {
        s(r, "SafeLinksPolicy").to_string()
    });
    Ok(Links {
        policy: policy_named(&pols, &applied),
        applied,
        preset,
        by_rule,
    })
}

/// A 7.x verdict: a preset applying to everyone decides it; else the applied policy's `flags`.
fn links_verdict(snap: &Snapshot, flags: &[&str], what: &str) -> Outcome {
    let l = input!(links(snap));
    if let Some(preset) = l.preset {
        return Outcome::pass_on_empty_read(
            snap,
            EOP_RULES,
            NO_CONDITION,
            &format!("{what} through the {preset}, which applies to every recipient"),
            json!({ "preset": preset }),
        );
    }
    let Some(p) = l.policy else {
        return Outcome::fail(
            format!("No preset applies to every recipient, and the Safe Links policy that does is not listed, so nothing shows that {}.", what.to_lowercase()),
            json!({ "applied_policy_listed": false }),
        )
        .about(&[l.applied]);
    };
    let off: Vec<&str> = flags
        .iter()
        .copied()
        .filter(|k| b(p, k) != Some(true))
        .collect();
    let evidence = json!({ "policy": name_of(p), "settings_off": off });
    let name = vec![name_of(p)];
    if !off.is_empty() {
        return Outcome::fail(
            format!(
                "No preset applies to every recipient, and the Safe Links policy applying to everyone has settings off: {}.",
                list_ours(&off)
            ),
            evidence,
        )
        .about(&name);
    }
    let (none_of, how) = if l.by_rule {
        (
            NO_RECIPIENT_CONDITION,
            "the highest-priority enabled rule applies to every recipient",
        )
    } else {
        (
            NO_COVERING_RULE,
            "the built-in protection, no custom rule applying to every recipient",
        )
    };
    Outcome::pass_on_empty_read(
        snap,
        LINK_RULES,
        none_of,
        &format!("{what} through the Safe Links policy applying to every recipient ({how})"),
        evidence,
    )
    .about(&name)
}

/// MS.SECURITYSUITE.7.1v1: URLs in mail, Teams and Office documents are checked against a
/// block list, for internal senders too.
fn suite_safe_links(snap: &Snapshot) -> Outcome {
    links_verdict(
        snap,
        &[
            "EnableSafeLinksForEmail",
            "EnableSafeLinksForTeams",
            "EnableSafeLinksForOffice",
            "EnableForInternalSenders",
        ],
        "URLs in mail, Teams messages and Office documents are checked against a block list",
    )
}

/// MS.SECURITYSUITE.7.2v1: links are scanned (direct downloads included) before the message is
/// delivered.
fn suite_scan_urls(snap: &Snapshot) -> Outcome {
    links_verdict(
        snap,
        &["ScanUrls", "DeliverMessageAfterScan"],
        "Links are scanned before delivery, direct download links included",
    )
}

/// MS.SECURITYSUITE.7.3v1: user clicks on links are tracked.
fn suite_track_clicks(snap: &Snapshot) -> Outcome {
    links_verdict(snap, &["TrackClicks"], "User clicks on links are tracked")
}

/// The audit retention durations MS.SECURITYSUITE.5.2v1 accepts: a year or more.
const RETENTION_DURATIONS: [&str; 5] = [
    "TwelveMonths",
    "ThreeYears",
    "FiveYears",
    "SevenYears",
    "TenYears",
];

/// MS.SECURITYSUITE.5.2v1: the tenant has Audit (Premium) (`M365_ADVANCED_AUDITING` among its
/// provisioned service plans) and an audit log retention policy, not disabled, keeping records
/// a year or more.
fn suite_audit_retention(snap: &Snapshot) -> Outcome {
    let pols = input!(snap.list(RETENTION));
    let plans = input!(snap.list("service_plans"));
    let premium = plans.iter().any(|p| {
        s(p, "ServicePlanName") == "M365_ADVANCED_AUDITING"
            && p.get("ProvisioningStatus")
                .and_then(Value::as_str)
                .is_none_or(|st| st == "Success")
    });
    // A year or more, not disabled; then whether it keeps every record (stricter than
    // ScubaGear's main branch, which counts a policy scoped to one record type or user too).
    let mut whole = Vec::new();
    let mut scoped = Vec::new();
    let mut unknown = None;
    for p in pols.iter().filter(|p| {
        RETENTION_DURATIONS.contains(&s(p, "RetentionDuration")) && b(p, "Enabled") != Some(false)
    }) {
        let mut all = Ok(true);
        for k in ["RecordTypes", "Operations", "UserIds"] {
            match unset(p, k, RETENTION) {
                Ok(true) => {}
                Ok(false) => {
                    all = Ok(false);
                    break;
                }
                Err(e) => all = Err(e),
            }
        }
        match all {
            Ok(true) => whole.push(name_of(p)),
            Ok(false) => scoped.push(name_of(p)),
            Err(e) => unknown = Some(e),
        }
    }
    let evidence = json!({
        "advanced_auditing_plan": premium,
        "policies_a_year_or_more_for_every_record": whole,
        "policies_a_year_or_more_for_some_records": scoped,
        "policies": pols.len(),
    });
    if !premium {
        return Outcome::fail(
            "The tenant has no Audit (Premium) service plan (M365_ADVANCED_AUDITING), which audit log retention beyond 180 days needs.",
            evidence,
        );
    }
    if whole.is_empty()
        && let Some(reason) = unknown
    {
        return Outcome::error(reason);
    }
    let fail = if scoped.is_empty() {
        "No audit log retention policy keeps audit records for a year or more.".to_string()
    } else {
        format!(
            "No audit log retention policy keeps every audit record for a year or more: {} of a year or more {} to some record types, operations or users.",
            counted(scoped.len(), "policy", "policies"),
            if scoped.len() == 1 {
                "is scoped"
            } else {
                "are scoped"
            }
        )
    };
    Outcome::verdict(
        !whole.is_empty(),
        format!(
            "{} every audit record for a year or more; it applies only to users licensed for Audit (Premium).",
            n(&whole, "audit log retention policy keeps", "audit log retention policies keep")
        ),
        fail,
        evidence,
    )
    .about(if whole.is_empty() { &scoped } else { &whole })
}

/// The Security Suite checks.
pub(crate) static CHECKS: &[Check] = &[
    check!(
        "A365-DEF-33",
        "The anti-malware policy applying to everyone blocks click-to-run files",
        Defender,
        Medium,
        suite_click_to_run,
        "Executables and scripts sent by mail run with one click; the common attachments filter of the policy that actually applies to every recipient must block them.",
        "In Defender > Email & collaboration > Policies > Anti-malware, turn on the common attachments filter with exe, cmd and vbe in the policy that applies to all recipients with the highest priority (a preset, your custom policy, or Default).",
        "https://learn.microsoft.com/defender-office-365/anti-malware-policies-configure"
    ),
    check!(
        "A365-DEF-34",
        "The anti-malware policy applying to everyone purges malware after delivery",
        Defender,
        Medium,
        suite_malware_zap,
        "Zero-hour auto purge removes messages found to carry malware after they were delivered.",
        "In the anti-malware policy that applies to all recipients with the highest priority, turn on zero-hour auto purge for malware (Set-MalwareFilterPolicy -ZapEnabled $true).",
        "https://learn.microsoft.com/defender-office-365/zero-hour-auto-purge"
    ),
    check!(
        "A365-DEF-35",
        "The Safe Attachments policy applying to everyone blocks malware",
        Defender,
        High,
        suite_safe_attachments,
        "Safe Attachments detonates attachments in a sandbox; the policy that applies to every recipient must block or dynamically deliver what it finds.",
        "Apply a preset, or a Safe Attachments policy with the Block or Dynamic Delivery action, to all recipients; keep the built-in protection without exceptions.",
        "https://learn.microsoft.com/defender-office-365/safe-attachments-policies-configure"
    ),
    check!(
        "A365-DEF-36",
        "Sensitive users are protected from impersonation for every recipient",
        Defender,
        Medium,
        suite_user_impersonation,
        "Impersonation of executives and finance staff drives business email compromise; the protection must cover every recipient.",
        "In an anti-phishing policy that applies to all recipients, turn on user impersonation protection with a quarantine or junk action and add every sensitive user; declare them in the ScubaGear configuration (SecuritySuite > MS.SECURITYSUITE.2.1v1 > SensitiveUsers).",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-mdo-configure"
    ),
    check!(
        "A365-DEF-37",
        "The organisation's domains are protected from impersonation for every recipient",
        Defender,
        Medium,
        suite_org_domains,
        "Look-alike sender domains are the usual disguise of phishing mail that pretends to come from inside the organisation.",
        "In an anti-phishing policy that applies to all recipients, turn on 'Include domains I own' with a quarantine or junk action.",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-mdo-configure"
    ),
    check!(
        "A365-DEF-38",
        "Partner domains are protected from impersonation for every recipient",
        Defender,
        Low,
        suite_partner_domains,
        "Attackers impersonate suppliers and partners the organisation trusts to redirect payments and steal credentials.",
        "In an anti-phishing policy that applies to all recipients, add every partner domain to 'Domains to protect' with a quarantine or junk action; declare them in the ScubaGear configuration (SecuritySuite > MS.SECURITYSUITE.2.3v1 > PartnerDomains).",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-mdo-configure"
    ),
    check!(
        "A365-DEF-39",
        "Users are warned about suspicious senders",
        Defender,
        Low,
        suite_safety_tips,
        "Safety tips and sender indicators warn users of first contacts, look-alike users and domains and unauthenticated senders.",
        "Apply a preset security policy to all recipients, or turn on every safety tip and indicator in an anti-phishing policy that applies to all recipients.",
        "https://learn.microsoft.com/defender-office-365/anti-phishing-policies-about"
    ),
    check!(
        "A365-DEF-40",
        "Active inbound anti-spam policies keep spam and phishing out of the inbox",
        Defender,
        Medium,
        suite_spam_actions,
        "An anti-spam policy that delivers spam or phishing to the inbox leaves users to judge it alone.",
        "In the inbound anti-spam policy that applies to all recipients (a preset, your custom policy, or Default), set the spam, high-confidence spam, phishing and high-confidence phishing actions to Junk, Quarantine, Redirect or Delete.",
        "https://learn.microsoft.com/defender-office-365/anti-spam-policies-configure"
    ),
    check!(
        "A365-DEF-41",
        "Active inbound anti-spam policies allow no sender domains",
        Defender,
        Medium,
        suite_allowed_domains,
        "Mail from an allowed domain skips spam filtering, so spoofed or compromised senders of that domain reach inboxes.",
        "Remove every allowed sender domain from the inbound anti-spam policies that apply to all recipients (Set-HostedContentFilterPolicy -AllowedSenderDomains $null).",
        "https://learn.microsoft.com/defender-office-365/anti-spam-policies-configure"
    ),
    check!(
        "A365-DEF-42",
        "Safe Links checks URLs in mail, Teams and Office for every recipient",
        Defender,
        Medium,
        suite_safe_links,
        "Safe Links checks links at click time against known malicious URLs, wherever they are shared.",
        "Apply a preset security policy to all recipients, or turn on Safe Links for email (internal senders included), Teams and Office apps in the Safe Links policy that applies to all recipients.",
        "https://learn.microsoft.com/defender-office-365/safe-links-policies-configure"
    ),
    check!(
        "A365-DEF-43",
        "Safe Links scans links before delivery",
        Defender,
        Medium,
        suite_scan_urls,
        "Scanning links, direct downloads included, before a message is delivered keeps weaponised links out of the inbox.",
        "Apply a preset security policy to all recipients, or turn on real-time URL scanning and 'Wait for URL scanning to complete before delivering the message' in the Safe Links policy that applies to all recipients.",
        "https://learn.microsoft.com/defender-office-365/safe-links-policies-configure"
    ),
    check!(
        "A365-DEF-44",
        "Safe Links tracks user clicks",
        Defender,
        Low,
        suite_track_clicks,
        "Click records show who followed a malicious link, which an investigation needs.",
        "Apply a preset security policy to all recipients, or turn on click tracking in the Safe Links policy that applies to all recipients.",
        "https://learn.microsoft.com/defender-office-365/safe-links-policies-configure"
    ),
    check!(
        "A365-PUR-12",
        "Audit records are kept for at least a year",
        Purview,
        Medium,
        suite_audit_retention,
        "Intrusions are often found months after they began; audit records kept a year or more let an investigation reach back to them.",
        "With Audit (Premium) licences, create an audit log retention policy keeping records for one year or more (New-UnifiedAuditLogRetentionPolicy -RetentionDuration TwelveMonths).",
        "https://learn.microsoft.com/purview/audit-log-retention-policies"
    ),
];
