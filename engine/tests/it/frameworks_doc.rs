//! docs/frameworks.md is generated from the reference table: this test fails when the committed
//! file is stale. Regenerate with `AETHER365_BLESS=1 cargo test -p aether365-engine --test it frameworks_doc`.

use std::fmt::Write;

use aether365_engine::references::{
    CIS_MANUAL, CIS_RECOMMENDATIONS, CIS_VERSION, ISO_VERSION, MainDecision, NIST_VERSION,
    SCUBA_MAIN_CHANGES, SCUBA_MAIN_COMMIT, SCUBA_MAIN_VERSION, SCUBA_REMOVED_ON_MAIN,
    SCUBA_SECURITY_SUITE, SCUBA_VERSION, cis_recommendation,
};
use aether365_engine::{Service, compliance_checks, exposure_checks};

/// Recommendations in CIS M365 v7.0.0, and those CIS marks "Automated" (public listings).
const CIS_TOTAL: usize = 160;
const CIS_AUTOMATED: usize = 143;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/frameworks.md");

fn render() -> String {
    let mut out = String::new();
    let checks: Vec<_> = compliance_checks()
        .iter()
        .chain(exposure_checks().iter())
        .collect();
    writeln!(out, "# Framework coverage\n").unwrap();
    writeln!(
        out,
        "Generated from `engine/src/references.rs` by `engine/tests/it/frameworks_doc.rs`; do not edit by hand.\n\
         Versions: CIS Microsoft 365 Foundations v{CIS_VERSION}, CISA SCuBA (ScubaGear {SCUBA_VERSION}), \
         NIST SP 800-53 {NIST_VERSION}, ISO/IEC 27001:{ISO_VERSION}. Each check applies the threshold of \
         every framework it cites; where frameworks differ, each has its own check.\n"
    )
    .unwrap();
    writeln!(out, "## Checks per service\n").unwrap();
    writeln!(out, "| service | checks |\n| --- | --- |").unwrap();
    for s in Service::ALL {
        let n = checks.iter().filter(|c| c.service == s).count();
        writeln!(out, "| {} | {n} |", s.display_name()).unwrap();
    }
    writeln!(out, "| total | {} |\n", checks.len()).unwrap();
    let decided: Vec<_> = CIS_RECOMMENDATIONS
        .iter()
        .filter(|c| c.automated && c.gap.is_none())
        .collect();
    let gaps = |kind: &str| {
        CIS_RECOMMENDATIONS
            .iter()
            .filter(|c| c.gap.is_some_and(|g| g.kind() == kind))
            .count()
    };
    writeln!(
        out,
        "## CIS v{CIS_VERSION} coverage\n\n\
         CIS v{CIS_VERSION} has {CIS_TOTAL} recommendations, {CIS_AUTOMATED} of them \"Automated\" (the other {} are \
         \"Manual\": CIS itself expects a person to judge them; `CIS_MANUAL` says what a person verifies for each, \
         and the CIS report, `engine/src/report.rs`, lists all {CIS_TOTAL}). Of the {CIS_AUTOMATED} automated ones:\n\n\
         | | recommendations |\n| --- | --- |\n\
         | decided by a check | {} |\n\
         | not collected (Microsoft serves the data app-only; the collector does not read it yet) | {} |\n\
         | collected, but the snapshot's shape leaves the property out | {} |\n\
         | not readable app-only | {} |\n\
         | collected, but deciding needs a person | {} |\n\n\
         Recommendations whose data ScubaGear's export lacks are read from the snapshot's own `aether365` \
         section (versioned; docs/architecture.md): a live scan decides them, and an imported plain ScubaGear \
         export answers `error` for them, saying so: the Exchange Online Protection policies, the CIS Exchange \
         Online, Defender and Purview settings, the Graph settings (admin center, Intune, device registration, \
         B2B, named locations, access reviews, the default app management policy, the third-party storage \
         service principal), the per-object summaries (administrators' licences, Microsoft 365 \
         groups, shared mailboxes, MFA registration, mailbox audit actions: paged, bounded, whatever the \
         tenant's size), and A365-PBI-01 to A365-PBI-13, CIS 9.1.1 to 9.1.12 and SCuBA's Power BI baseline, \
         from the Fabric admin API's tenant settings, `GET /v1/admin/tenantsettings`, which needs the Fabric tenant setting \
         \"Service principals can access read-only admin APIs\" for the application: docs/microsoft365.md). \
         CIS's \"restricted\" means off, or on for specific security groups only; a setting on for the entire \
         organization except some groups is not restricted. A365-PBI-04 (CIS 9.1.4, publish to web) accepts it on \
         for specific security groups and does not read the embed-code option; SCuBA's MS.POWERBI.1.1v1 asks for it \
         off (A365-PBI-13). \
         CIS 2.1.11 is decided against a documented minimum of its file-type list: Microsoft's default common \
         attachments list plus the script, help, shortcut and installer types it leaves out \
         (`MINIMUM_FILE_TYPES` in `engine/src/checks/defender.rs`; the finding names the missing ones).\n",
        CIS_TOTAL - CIS_AUTOMATED,
        decided.len(),
        gaps("not collected"),
        gaps("not in the export"),
        gaps("not readable app-only"),
        gaps("needs a person"),
    )
    .unwrap();
    writeln!(
        out,
        "| CIS | title | profile | decided by / why not |\n| --- | --- | --- | --- |"
    )
    .unwrap();
    for c in CIS_RECOMMENDATIONS.iter().filter(|c| c.automated) {
        let by = match c.gap {
            Some(g) => format!("{}: {}", g.kind(), g.why()),
            None => checks
                .iter()
                .filter(|k| k.references().is_some_and(|r| r.cis.contains(&c.number)))
                .map(|k| k.id)
                .collect::<Vec<_>>()
                .join(", "),
        };
        writeln!(out, "| {} | {} | {} | {by} |", c.number, c.title, c.profile).unwrap();
    }
    writeln!(out).unwrap();
    let mut scuba: Vec<&str> = checks
        .iter()
        .filter_map(|c| c.references())
        .flat_map(|r| r.scuba.iter().copied())
        .collect();
    scuba.sort_unstable();
    scuba.dedup();
    writeln!(
        out,
        "## SCuBA\n\n\
         The checks cite {} SCuBA policies of ScubaGear {SCUBA_VERSION}'s baselines. How many of the policies \
         ScubaGear itself decides on the bundled export we decide, and agree on, is measured by \
         `engine/tests/it/scubagear_agreement.rs`.\n\n\
         The Security Suite baseline (`MS.SECURITYSUITE.*`) is not part of ScubaGear {SCUBA_VERSION}: \
         ScubaGear's main branch (commit `{SCUBA_MAIN_COMMIT}`) adds it and versions its baselines \
         {SCUBA_MAIN_VERSION} (`ScubaBaselines.json`; one version for all of them), and a finding cites its \
         policies by that version (\"SCuBA Security Suite (v{SCUBA_MAIN_VERSION}, ScubaGear main branch) \
         MS.SECURITYSUITE.5.1v1\"), the {SCUBA_VERSION} policies by {SCUBA_VERSION}. It replaces the Defender \
         baseline, Exchange Online 8 to 17 (13.1, mailbox auditing, stays in Exchange Online) and Teams 6 to 8; \
         a check cites a Security Suite policy only where the main branch's Rego applies the very rule of a \
         {SCUBA_VERSION} policy that check decides, or where it is a check of its own applying the main branch's \
         rule. Those of its own find the policy that applies to every recipient from the rules that scope the \
         policies (`anti_malware_rules`, `hosted_content_filter_rules`, `anti_phish_rules`, \
         `safe_attachment_rules`, `safe_links_rules`, `built_in_protection_rules`, beside the preset rules), \
         which only a live collection reads (the snapshot's `aether365` section): on a ScubaGear {SCUBA_VERSION} \
         export they answer error naming the missing section. ScubaGear decides none of them on the bundled \
         {SCUBA_VERSION} export. The main branch's other baseline changes ({}) are cited the same way, each by a \
         check of its own applying the main branch's rule (table below the Security Suite's).\n",
        scuba.len(),
        SCUBA_MAIN_CHANGES
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    let count = |f: fn(&MainDecision) -> bool| {
        SCUBA_SECURITY_SUITE
            .iter()
            .filter(|p| f(&p.decision))
            .count()
    };
    writeln!(
        out,
        "ScubaGear main branch, Security Suite v{SCUBA_MAIN_VERSION}: {} policies, {} decided, {} documented as \
         manual or third-party with ScubaGear's reason, {}. Removed on the main branch \
         without a successor: {}.\n",
        SCUBA_SECURITY_SUITE.len(),
        count(|d| matches!(d, MainDecision::Decided { .. })),
        count(|d| matches!(d, MainDecision::Undecided { .. })),
        match count(|d| matches!(d, MainDecision::NotDecided(_))) {
            0 => "none left undecided".to_string(),
            k => format!("{k} not decided (why below)"),
        },
        SCUBA_REMOVED_ON_MAIN.join(", ")
    )
    .unwrap();
    writeln!(
        out,
        "| Security Suite | criticality | replaces ({SCUBA_VERSION}) | decided by / why not |\n| --- | --- | --- | --- |"
    )
    .unwrap();
    for p in SCUBA_SECURITY_SUITE {
        let by = match p.decision {
            MainDecision::Decided {
                check,
                same_as: Some(same_as),
            } => format!("{check} (the rule of {same_as})"),
            MainDecision::Decided {
                check,
                same_as: None,
            } => {
                format!("{check} (a check of its own: the rule differs from every 1.8.0 policy's)")
            }
            MainDecision::Undecided {
                check,
                same_as,
                scubagear,
            } => format!(
                "manual: ScubaGear marks it \"{scubagear}\" (no automated check); {check}, as for {same_as}"
            ),
            MainDecision::NotDecided(why) => format!("not decided: {why}"),
        };
        writeln!(
            out,
            "| {} | {} | {} | {by} |",
            p.id,
            p.criticality.as_str(),
            p.replaces.join(", ")
        )
        .unwrap();
    }
    writeln!(out).unwrap();
    writeln!(
        out,
        "ScubaGear main branch v{SCUBA_MAIN_VERSION}, policies added to or given a new version in the \
         {SCUBA_VERSION} baselines: the collector reads the custom app management policies and the \
         applications each is assigned to (`GET /v1.0/policies/appManagementPolicies` and \
         `.../{{id}}/appliesTo`: Policy.Read.All and Application.Read.All) beside the default policy, \
         so that a pass rests on both; the default policy alone can fail them.\n"
    )
    .unwrap();
    writeln!(
        out,
        "| SCuBA (v{SCUBA_MAIN_VERSION}, main branch) | criticality | replaces ({SCUBA_VERSION}) | what changes | decided by |\n| --- | --- | --- | --- | --- |"
    )
    .unwrap();
    for p in SCUBA_MAIN_CHANGES {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            p.id,
            p.criticality.as_str(),
            p.replaces.unwrap_or(""),
            p.change,
            p.check
        )
        .unwrap();
    }
    writeln!(out).unwrap();
    writeln!(out, "{}", crate::legacy_exports::render()).unwrap();
    writeln!(out, "{}", crate::scubagear_vectors::render()).unwrap();
    writeln!(out, "## Matrix\n").unwrap();
    writeln!(
        out,
        "| check | title | CIS v{CIS_VERSION} | SCuBA | NIST SP 800-53 | ISO/IEC 27001:2022 |\n| --- | --- | --- | --- | --- | --- |"
    )
    .unwrap();
    for c in &checks {
        let r = c.references().unwrap();
        let cis: Vec<String> = r
            .cis
            .iter()
            .map(|n| {
                let rec = cis_recommendation(n).unwrap();
                format!("{n} {} ({})", rec.title, rec.profile)
            })
            .collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            c.id,
            c.title,
            cis.join("; "),
            r.scuba.join(", "),
            r.nist.join(", "),
            r.iso.join(", ")
        )
        .unwrap();
    }
    writeln!(
        out,
        "\nCIS Global Recommendation IDs (GRIDs) are not listed: no public source we could read publishes them."
    )
    .unwrap();
    out
}

#[test]
fn frameworks_doc_is_current() {
    assert_eq!(
        CIS_MANUAL.len(),
        CIS_TOTAL - CIS_AUTOMATED,
        "every Manual recommendation is listed"
    );
    let want = render();
    if std::env::var_os("AETHER365_BLESS").is_some() {
        std::fs::write(DOC, &want).unwrap();
    }
    let have = std::fs::read_to_string(DOC).unwrap_or_default();
    assert!(
        have == want,
        "docs/frameworks.md is stale: run AETHER365_BLESS=1 cargo test -p aether365-engine --test it frameworks_doc"
    );
}
