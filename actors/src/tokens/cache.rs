//! A short-lived memory of successful verifications, so that steady traffic does not pay
//! argon2 per request. Keyed by a keyed BLAKE2b hash of the whole token (the key is random
//! per process), so the map never holds a token.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
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
    /// Set by hits outside the validator; the validator turns it into a `last_used_at` write.
    used: Arc<AtomicBool>,
}

struct Inner {
    key: [u8; 32],
    ttl: Duration,
    entries: RwLock<HashMap<Fingerprint, Verified>>,
}

/// Successful verifications, each kept for the TTL. Cheap to clone: clones share the entries,
/// so HTTP workers read hits directly while only the validator writes.
#[derive(Clone)]
pub struct VerifiedCache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for VerifiedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCache")
            .field("ttl", &self.inner.ttl)
            .finish_non_exhaustive()
    }
}

impl VerifiedCache {
    /// An empty cache with a fresh random key.
    pub fn new(ttl: Duration) -> Self {
        VerifiedCache {
            inner: Arc::new(Inner {
                key: rand::random(),
                ttl,
                entries: RwLock::new(HashMap::new()),
            }),
        }
    }

    /// The principal of a bearer verified recently, still live and not expired, without a
    /// round trip to the validator; `None` sends the bearer the slow way.
    pub fn principal(&self, bearer: &str) -> Option<Principal> {
        let bearer = bearer.trim();
        if bearer.is_empty() {
            return None;
        }
        let fingerprint = self.fingerprint(bearer);
        let entries = self.inner.entries.read().ok()?;
        let hit = entries
            .get(&fingerprint)
            .filter(|e| e.cached_until > Instant::now())?;
        if hit.expires_at.is_some_and(|at| at <= Utc::now()) {
            return None;
        }
        hit.used.store(true, Ordering::Relaxed);
        Some(hit.principal.clone())
    }

    /// The keyed hash of `token`.
    pub(crate) fn fingerprint(&self, token: &str) -> Fingerprint {
        // A 32-byte key is within BLAKE2b's 64-byte limit, so this cannot fail.
        match <Blake2bMac<U32> as KeyInit>::new_from_slice(&self.inner.key) {
            Ok(mut mac) => {
                mac.update(token.as_bytes());
                mac.finalize().into_bytes().into()
            }
            Err(_) => [0; 32],
        }
    }

    /// The live entry for `fingerprint`, if any.
    pub(crate) fn get(&self, fingerprint: &Fingerprint, now: Instant) -> Option<Verified> {
        let entries = self.inner.entries.read().ok()?;
        entries
            .get(fingerprint)
            .filter(|entry| entry.cached_until > now)
            .cloned()
    }

    /// Remembers a successful verification.
    pub(crate) fn insert(
        &self,
        fingerprint: Fingerprint,
        principal: Principal,
        expires_at: Option<DateTime<Utc>>,
        now: Instant,
    ) {
        if self.inner.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.inner.entries.write() {
            entries.insert(
                fingerprint,
                Verified {
                    principal,
                    expires_at,
                    cached_until: now + self.inner.ttl,
                    used: Arc::new(AtomicBool::new(false)),
                },
            );
        }
    }

    /// Forgets one entry.
    pub(crate) fn remove(&self, fingerprint: &Fingerprint) {
        if let Ok(mut entries) = self.inner.entries.write() {
            entries.remove(fingerprint);
        }
    }

    /// Forgets every entry of a token.
    pub(crate) fn remove_token(&self, token_id: i64) {
        if let Ok(mut entries) = self.inner.entries.write() {
            entries.retain(|_, entry| entry.principal.token_id != token_id);
        }
    }

    /// Drops stale entries.
    pub(crate) fn prune(&self, now: Instant) {
        if let Ok(mut entries) = self.inner.entries.write() {
            entries.retain(|_, entry| entry.cached_until > now);
        }
    }

    /// Tokens used through [`VerifiedCache::principal`] since the last call (flags cleared).
    pub(crate) fn take_used(&self) -> Vec<i64> {
        let Ok(entries) = self.inner.entries.read() else {
            return Vec::new();
        };
        let mut ids: Vec<i64> = entries
            .values()
            .filter(|e| e.used.swap(false, Ordering::Relaxed))
            .map(|e| e.principal.token_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
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
        let cache = VerifiedCache::new(Duration::from_secs(60));
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

    #[test]
    fn shared_hits_are_noted_as_uses() {
        let cache = VerifiedCache::new(Duration::from_secs(60));
        let reader = cache.clone();
        assert!(reader.principal("one").is_none());
        cache.insert(cache.fingerprint("one"), principal(1), None, Instant::now());
        assert_eq!(reader.principal(" one ").unwrap().token_id, 1);
        assert_eq!(cache.take_used(), vec![1]);
        assert!(cache.take_used().is_empty());
        let expired = Some(Utc::now() - chrono::Duration::seconds(1));
        cache.insert(
            cache.fingerprint("two"),
            principal(2),
            expired,
            Instant::now(),
        );
        assert!(reader.principal("two").is_none());
    }
}
