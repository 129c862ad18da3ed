//! The Microsoft Entra identity linked to a dashboard user by "Sign in with Microsoft": the
//! tenant id and object id of the verified ID token (one identity per user, one user per
//! identity).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "entra_identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    /// The user's organisation (the isolation boundary).
    pub organisation_id: i64,
    /// `tid`, lower case.
    pub microsoft_tenant_id: String,
    /// `oid`, lower case.
    pub object_id: String,
    pub linked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
