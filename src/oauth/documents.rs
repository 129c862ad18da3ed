//! The Client ID Metadata Documents this instance fetched, kept as long as their HTTP caching
//! headers allow (within the bounds of [`document::max_age`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aether365_actors::oauth::document::{self, ClientDocument, DocumentError};
use aether365_actors::outbound::OutboundPolicy;
use moka::sync::Cache;

/// Most documents kept.
const CAPACITY: u64 = 1_000;

/// Each document lives as long as its own `max_age`.
struct PerDocument;

impl moka::Expiry<String, Arc<ClientDocument>> for PerDocument {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Arc<ClientDocument>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.max_age)
    }
}

/// Fetches metadata documents (SSRF-guarded, see [`aether365_actors::outbound`]) and caches them.
pub struct ClientDocuments {
    cache: Cache<String, Arc<ClientDocument>>,
    policy: OutboundPolicy,
}

impl ClientDocuments {
    /// A cache fetching under `policy` ([`document::policy`], with the test settings).
    pub fn new(policy: OutboundPolicy) -> Self {
        ClientDocuments {
            cache: Cache::builder()
                .max_capacity(CAPACITY)
                .expire_after(PerDocument)
                .build(),
            policy,
        }
    }

    /// The policy documents are fetched under.
    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    /// The document `client_id` names: cached, else fetched and checked. Failures are not kept.
    pub async fn get(&self, client_id: &str) -> Result<Arc<ClientDocument>, DocumentError> {
        if let Some(doc) = self.cache.get(client_id) {
            return Ok(doc);
        }
        let doc = Arc::new(document::fetch(client_id, &self.policy).await?);
        self.cache.insert(client_id.to_string(), doc.clone());
        Ok(doc)
    }
}
