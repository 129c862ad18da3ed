//! docs/frameworks.md is generated from the reference table: this test fails when the committed
//! file is stale. Regenerate with `AETHER365_BLESS=1 cargo test -p aether365-engine --test frameworks_doc`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;

use aether365_engine::references::{
    CIS_RECOMMENDATIONS, CIS_VERSION, ISO_VERSION, NIST_VERSION, SCUBA_VERSION, cis_recommendation,
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
        "Generated from `engine/src/references.rs` by `engine/tests/frameworks_doc.rs`; do not edit by hand.\n\
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
    let automated = CIS_RECOMMENDATIONS.iter().filter(|c| c.automated).count();
    writeln!(
        out,
        "CIS v{CIS_VERSION}: {automated} of its {CIS_AUTOMATED} \"Automated\" recommendations have a check \
         ({} recommendations in all, {} of them \"Automated\").\n",
        CIS_TOTAL, CIS_AUTOMATED
    )
    .unwrap();
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
    let want = render();
    if std::env::var_os("AETHER365_BLESS").is_some() {
        std::fs::write(DOC, &want).unwrap();
    }
    let have = std::fs::read_to_string(DOC).unwrap_or_default();
    assert!(
        have == want,
        "docs/frameworks.md is stale: run AETHER365_BLESS=1 cargo test -p aether365-engine --test frameworks_doc"
    );
}
