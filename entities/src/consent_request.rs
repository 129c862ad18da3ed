//! Pending admin-consent requests: the hash of each single-use `state` sent to Microsoft, bound
//! to the browser that started the flow, with the PKCE verifier and nonce of its sign-in.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_requests")]
pub struct Model {
    /// Hex SHA-256 of the random part of the `state` value; the value itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub organisation_id: i64,
    /// The dashboard user who started the flow.
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set when the callback consumed the state; a second use is refused.
    pub used_at: Option<DateTimeUtc>,
    /// Hex SHA-256 of the browser-binding cookie set when the flow started; the callback must
    /// present the cookie. `None` (requests older than the binding) never finishes.
    pub browser_hash: Option<String>,
    /// The PKCE code verifier of the sign-in, sent with the code to the token endpoint.
    pub pkce_verifier: Option<String>,
    /// The OpenID Connect nonce the ID token must carry.
    pub nonce: Option<String>,
    /// The tenant id Microsoft's admin-consent redirect named; the ID token's `tid` must equal
    /// it. A hint, never proof.
    pub claimed_tenant: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
