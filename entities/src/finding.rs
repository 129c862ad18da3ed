//! One check's result in one scan.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "findings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub tenant_id: i64,
    pub scan_id: i64,
    pub check_id: String,
    pub title: String,
    pub service: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub severity: String,
    /// 0 for critical up to 4 for info: sorts most severe first.
    pub severity_rank: i32,
    /// `pass`, `fail`, `manual`, `error` or `not_applicable`.
    pub status: String,
    /// CIS Microsoft 365 Foundations Benchmark section, if mapped.
    pub cis_section: Option<String>,
    pub cis_version: Option<String>,
    /// Comma-separated CISA SCuBA policy ids.
    pub scuba_ids: Option<String>,
    /// Comma-separated NIST SP 800-53 Rev. 5 controls.
    pub nist_controls: Option<String>,
    /// Comma-separated ISO/IEC 27001:2022 Annex A controls.
    pub iso_controls: Option<String>,
    /// The full framework references (engine `FrameworkRef` list).
    pub frameworks: Json,
    pub message: String,
    pub evidence: Json,
    /// Names read from the tenant that the message is about (a JSON array of strings); NULL
    /// for findings stored before messages were kept free of tenant text.
    pub subjects: Option<Json>,
    pub rationale: String,
    pub remediation: String,
    pub remediation_url: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
