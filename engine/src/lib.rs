//! aether365 check engine: a Microsoft 365 configuration snapshot (ScubaGear
//! `ProviderSettingsExport.json`) or DNS observations in, findings and a score out.
//!
//! Pure code: no I/O, no clock, no network.

pub mod catalogue;
pub mod check;
mod checks;
pub mod exemptions;
pub mod export;
pub mod exposure;
pub mod intake;
pub mod legacy_export;
pub mod model;
pub mod observation;
pub mod references;
pub mod report;
pub mod score;
pub mod snapshot;
pub mod text;
pub mod variations;

pub use catalogue::{compliance_checks, evaluate_all, find_check};
pub use check::Check;
pub use checks::app_credentials::THIRD_PARTY_STORAGE_APP_ID;
pub use export::{ExportContext, ExportError, ExportFormat, export};
pub use exposure::{
    DnssecProof, DnssecValidation, DomainObservation, ExposureCheck, Lookup, MtaStsFetch,
    MtaStsPolicy, evaluate_domain, exposure_checks, parse_mta_sts_policy,
};
pub use intake::{CheckedExport, SnapshotError, check_export};
pub use model::{
    Finding, Framework, FrameworkRef, ParseEnumError, Remediation, Service, Severity, Status,
};
pub use score::{ScoreCard, score};
pub use snapshot::Snapshot;
