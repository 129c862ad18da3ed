//! The check catalogue: static metadata plus an evaluation function per check.

use std::sync::OnceLock;

use crate::check::Check;
use crate::checks;
use crate::exposure;
use crate::model::Finding;
use crate::snapshot::Snapshot;

/// Every compliance check (over a configuration snapshot), in catalogue order.
pub fn compliance_checks() -> &'static [Check] {
    static ALL: OnceLock<Vec<Check>> = OnceLock::new();
    ALL.get_or_init(|| {
        [
            checks::entra::CHECKS,
            checks::graph_settings::CHECKS,
            checks::app_credentials::CHECKS,
            checks::exchange::CHECKS,
            checks::defender::CHECKS,
            checks::security_suite::CHECKS,
            checks::sharepoint::CHECKS,
            checks::teams::CHECKS,
            checks::purview::CHECKS,
            checks::power_platform::CHECKS,
            checks::power_bi::CHECKS,
            checks::cis_exchange::CHECKS,
            checks::per_object::CHECKS,
            checks::scuba_main::CHECKS,
        ]
        .concat()
    })
}

/// Finds a compliance or exposure check by id (case-insensitive).
pub fn find_check(id: &str) -> Option<&'static Check> {
    compliance_checks()
        .iter()
        .chain(exposure::exposure_checks().iter())
        .find(|c| c.id.eq_ignore_ascii_case(id.trim()))
}

/// Evaluates every compliance check against the snapshot.
pub fn evaluate_all(snapshot: &Snapshot) -> Vec<Finding> {
    compliance_checks()
        .iter()
        .map(|c| c.evaluate(snapshot))
        .collect()
}
