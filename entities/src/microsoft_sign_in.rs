//! Pending "Sign in with Microsoft" flows: the hash of each single-use `state`, bound to the
//! browser that started it, with the PKCE verifier and nonce sent to Microsoft.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "microsoft_sign_ins")]
pub struct Model {
    /// Hex SHA-256 of the `state` value; the value itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    /// Hex SHA-256 of the browser-binding cookie set when the flow started.
    pub browser_hash: String,
    /// The PKCE code verifier, sent with the code to the token endpoint.
    pub pkce_verifier: String,
    /// The OpenID Connect nonce the ID token must carry.
    pub nonce: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
