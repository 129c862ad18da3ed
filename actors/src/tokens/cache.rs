//! A short-lived memory of successful verifications, so that steady traffic does not pay
//! argon2 per request. Keyed by a keyed BLAKE2b hash of the whole token (the key is random
//! per process), so the map never holds a token.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use chrono::{DateTime, Utc};

use crate::principal::Principal;

/// The keyed hash of a token.
pub(crate) type Fingerprint = [u8; 32];

/// One remembered verification.
#[derive(Clone, Debug)]
pub(crate) struct Verified {
    pub principal: Principal,
    /// The token's own expiry, checked on every hit.
    pub expires_at: Option<DateTime<Utc>>,
    cached_until: Instant,
}

/// Successful verifications, each kept for the TTL.
pub(crate) struct VerifiedCache {
    key: [u8; 32],
    ttl: Duration,
    entries: HashMap<Fingerprint, Verified>,
}

impl VerifiedCache {
    /// An empty cache with a fresh random key.
    pub fn new(ttl: Duration) -> Self {
        VerifiedCache {
            key: rand::random(),
            ttl,
            entries: HashMap::new(),
        }
    }

    /// The keyed hash of `token`.
    pub fn fingerprint(&self, token: &str) -> Fingerprint {
        // A 32-byte key is within BLAKE2b's 64-byte limit, so this cannot fail.
        match <Blake2bMac<U32> as KeyInit>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(token.as_bytes());
                mac.finalize().into_bytes().into()
            }
            Err(_) => [0; 32],
        }
    }

    /// The live entry for `fingerprint`, if any.
    pub fn get(&self, fingerprint: &Fingerprint, now: Instant) -> Option<&Verified> {
        self.entries
            .get(fingerprint)
            .filter(|entry| entry.cached_until > now)
    }

    /// Remembers a successful verification.
    pub fn insert(
        &mut self,
        fingerprint: Fingerprint,
        principal: Principal,
        expires_at: Option<DateTime<Utc>>,
        now: Instant,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        self.entries.insert(
            fingerprint,
            Verified {
                principal,
                expires_at,
                cached_until: now + self.ttl,
            },
        );
    }

    /// Forgets one entry.
    pub fn remove(&mut self, fingerprint: &Fingerprint) {
        self.entries.remove(fingerprint);
    }

    /// Forgets every entry of a token.
    pub fn remove_token(&mut self, token_id: i64) {
        self.entries
            .retain(|_, entry| entry.principal.token_id != token_id);
    }

    /// Drops stale entries.
    pub fn prune(&mut self, now: Instant) {
        self.entries.retain(|_, entry| entry.cached_until > now);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::principal::TenantScope;

    fn principal(token_id: i64) -> Principal {
        Principal {
            organisation_id: 1,
            token_id,
            token_label: "t".into(),
            tenant_scope: TenantScope::All,
        }
    }

    #[test]
    fn fingerprints_are_keyed_per_cache() {
        let a = VerifiedCache::new(Duration::from_secs(60));
        let b = VerifiedCache::new(Duration::from_secs(60));
        assert_eq!(a.fingerprint("x"), a.fingerprint("x"));
        assert_ne!(a.fingerprint("x"), a.fingerprint("y"));
        assert_ne!(a.fingerprint("x"), b.fingerprint("x"));
    }

    #[test]
    fn entries_live_for_the_ttl_and_go_with_their_token() {
        let mut cache = VerifiedCache::new(Duration::from_secs(60));
        let now = Instant::now();
        let (one, two) = (cache.fingerprint("one"), cache.fingerprint("two"));
        cache.insert(one, principal(1), None, now);
        cache.insert(two, principal(2), None, now);
        assert!(cache.get(&one, now).is_some());
        assert!(cache.get(&one, now + Duration::from_secs(61)).is_none());
        cache.remove_token(1);
        assert!(cache.get(&one, now).is_none());
        assert!(cache.get(&two, now).is_some());
        cache.prune(now + Duration::from_secs(61));
        assert!(cache.get(&two, now).is_none());
    }
}
