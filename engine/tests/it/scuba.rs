//! How a status of ours is compared with ScubaGear's verdict, shared by the agreement test on
//! the bundled export (`scubagear_agreement`) and the unit-test vectors (`scubagear_vectors`).
//!
//! ScubaGear's verdict is read from two structured fields:
//! - `Criticality` "Shall" or "Should": ScubaGear decided the policy, and `RequirementMet` is its
//!   verdict. Any other criticality ("Shall/Not-Implemented", "Should/Not-Implemented",
//!   "…/3rd Party") means ScubaGear did not decide it.
//!
//! The rules, one per status of ours:
//! - `pass` agrees with a decided policy whose `RequirementMet` is true.
//! - `fail` agrees with a decided policy whose `RequirementMet` is false.
//! - `not_applicable` agrees with a decided policy whose `RequirementMet` is true: ScubaGear has
//!   no "not applicable" verdict, and its Rego reports an inapplicable policy as met (for example
//!   SharepointConfig.rego, MS.SHAREPOINT.3.1v1: the rule for "sharing is not Anyone" sets
//!   `"RequirementMet": true` with a `NAString` in ReportDetails).
//! - `manual` agrees with a policy ScubaGear did not decide.
//! - `error` never agrees.

use aether365_engine::Status;

/// ScubaGear's verdict on one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scuba {
    Met,
    NotMet,
    Undecided,
}

/// ScubaGear's verdict from a result's `Criticality` and `RequirementMet`.
pub fn verdict(criticality: &str, met: bool) -> Scuba {
    match criticality {
        "Shall" | "Should" if met => Scuba::Met,
        "Shall" | "Should" => Scuba::NotMet,
        other => {
            assert!(
                other.ends_with("/Not-Implemented") || other.ends_with("/3rd Party"),
                "unknown criticality {other}"
            );
            Scuba::Undecided
        }
    }
}

/// Whether our status agrees with ScubaGear's verdict.
pub fn agrees(ours: Status, scuba: Scuba) -> bool {
    matches!(
        (ours, scuba),
        (Status::Pass, Scuba::Met)
            | (Status::Fail, Scuba::NotMet)
            | (Status::NotApplicable, Scuba::Met)
            | (Status::Manual, Scuba::Undecided)
    )
}
