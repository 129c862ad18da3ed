//! OAuth clients: registered by Dynamic Client Registration (RFC 7591), named by a Client ID
//! Metadata Document, or pre-registered by an organisation in the dashboard. Public clients:
//! no secret.
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
    /// The organisation that pre-registered it in the dashboard (only its people see, delete
    /// and authorize it); `None` for registered and metadata document clients.
    pub organisation_id: Option<i64>,
    /// The person who pre-registered it.
    pub created_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
