//! OAuth clients registered by Dynamic Client Registration (RFC 7591). Public clients: no secret.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The `client_id` handed to the client.
    #[sea_orm(unique)]
    pub client_id: String,
    /// The name the client gave itself: untrusted text, shown escaped.
    pub client_name: String,
    /// JSON array of the registered redirect URIs.
    pub redirect_uris: Json,
    /// The address that registered it (the per-address registration limit).
    pub registered_from: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
