//! Quotas of the MCP endpoints, per token and per organisation: JSON-RPC calls per second
//! (each call of a batch counts) and the calls one batch may hold. A request over quota is
//! answered before anything runs, with a JSON-RPC error and `Retry-After`.
//!
//! Rates are kept as a generic cell rate (GCRA): per key, the time at which its allowance is
//! next whole; a key may run up to one second ahead of the clock, so a client can burst a
//! second's worth of calls and then proceeds at the rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aether365_actors::Principal;

/// Quota settings; see [`Quotas`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaConfig {
    /// JSON-RPC calls per second and token.
    pub token_calls_per_second: u32,
    /// JSON-RPC calls per second and organisation, all its tokens together.
    pub organisation_calls_per_second: u32,
    /// Calls one JSON-RPC batch may hold (keep it at most the token rate).
    pub max_batch: usize,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        QuotaConfig {
            token_calls_per_second: 200,
            organisation_calls_per_second: 1000,
            max_batch: 100,
        }
    }
}

/// Why a request is over quota.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuotaExceeded {
    #[error("too many calls for this {scope}: at most {per_second} per second; retry in {} s", retry_after.as_secs().max(1))]
    Rate {
        scope: &'static str,
        per_second: u32,
        retry_after: Duration,
    },
    #[error("a batch of {size} calls is over the quota of {max} per batch")]
    Batch { size: usize, max: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Token(i64),
    Organisation(i64),
}

/// How far ahead of the clock a key may run: one second's worth of calls.
const BURST: Duration = Duration::from_secs(1);

/// The quota state of every token and organisation seen lately.
#[derive(Debug)]
pub struct Quotas {
    config: QuotaConfig,
    /// Per key: when its allowance is whole again.
    full_at: Mutex<HashMap<Key, Instant>>,
}

impl Quotas {
    /// Empty quotas with these settings.
    pub fn new(config: QuotaConfig) -> Quotas {
        Quotas {
            config,
            full_at: Mutex::new(HashMap::new()),
        }
    }

    /// Counts `calls` for the principal's token and organisation, or refuses them all.
    pub fn charge(
        &self,
        principal: &Principal,
        calls: usize,
        now: Instant,
    ) -> Result<(), QuotaExceeded> {
        if calls > self.config.max_batch.max(1) {
            return Err(QuotaExceeded::Batch {
                size: calls,
                max: self.config.max_batch.max(1),
            });
        }
        let calls = u32::try_from(calls).unwrap_or(u32::MAX);
        let Ok(mut full_at) = self.full_at.lock() else {
            return Ok(());
        };
        let limits = [
            (
                Key::Token(principal.token_id),
                "token",
                self.config.token_calls_per_second,
            ),
            (
                Key::Organisation(principal.organisation_id),
                "organisation",
                self.config.organisation_calls_per_second,
            ),
        ];
        let mut next = [now; 2];
        for (slot, (key, scope, per_second)) in next.iter_mut().zip(limits) {
            let per_second = per_second.max(1);
            let cost = Duration::from_secs(1) / per_second * calls;
            let start = full_at
                .get(&key)
                .copied()
                .filter(|at| *at > now)
                .unwrap_or(now);
            let after = start + cost;
            if after > now + BURST {
                return Err(QuotaExceeded::Rate {
                    scope,
                    per_second,
                    retry_after: after - (now + BURST),
                });
            }
            *slot = after;
        }
        for ((key, _, _), at) in limits.into_iter().zip(next) {
            full_at.insert(key, at);
        }
        if full_at.len() > 10_000 {
            full_at.retain(|_, at| *at > now);
        }
        Ok(())
    }
}

/// The calls in a request body: the items of a batch, else one (a body that is not JSON is
/// one call, refused later with a parse error).
pub fn calls_in(body: &[u8]) -> usize {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(body)
            .map_or(1, |items| items.len().max(1)),
        _ => 1,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aether365_actors::TenantScope;

    fn principal(organisation_id: i64, token_id: i64) -> Principal {
        Principal {
            organisation_id,
            token_id,
            token_label: "t".into(),
            tenant_scope: TenantScope::All,
        }
    }

    #[test]
    fn a_token_bursts_a_second_then_waits_at_its_rate() {
        let quotas = Quotas::new(QuotaConfig {
            token_calls_per_second: 10,
            organisation_calls_per_second: 100,
            max_batch: 10,
        });
        let (t0, one) = (Instant::now(), principal(1, 1));
        for _ in 0..10 {
            quotas.charge(&one, 1, t0).unwrap();
        }
        let Err(QuotaExceeded::Rate {
            scope, retry_after, ..
        }) = quotas.charge(&one, 1, t0)
        else {
            panic!("the eleventh call passed");
        };
        assert_eq!((scope, retry_after), ("token", Duration::from_millis(100)));
        // Another token of the organisation is not held back by this one.
        quotas.charge(&principal(1, 2), 10, t0).unwrap();
        // A tenth of a second later, one more call fits.
        quotas
            .charge(&one, 1, t0 + Duration::from_millis(100))
            .unwrap();
        assert!(
            quotas
                .charge(&one, 1, t0 + Duration::from_millis(100))
                .is_err()
        );
    }

    #[test]
    fn the_organisation_shares_one_allowance_and_refusals_cost_nothing() {
        let quotas = Quotas::new(QuotaConfig {
            token_calls_per_second: 10,
            organisation_calls_per_second: 15,
            max_batch: 10,
        });
        let t0 = Instant::now();
        quotas.charge(&principal(1, 1), 10, t0).unwrap();
        let refused = quotas.charge(&principal(1, 2), 10, t0).unwrap_err();
        assert!(matches!(
            refused,
            QuotaExceeded::Rate {
                scope: "organisation",
                ..
            }
        ));
        // The refused batch charged neither its token nor the organisation.
        quotas.charge(&principal(1, 2), 5, t0).unwrap();
        quotas.charge(&principal(2, 3), 10, t0).unwrap();
    }

    #[test]
    fn batches_are_counted_and_capped() {
        assert_eq!(calls_in(br#" [{"a":1},{"b":[1,2]},3]"#), 3);
        assert_eq!(calls_in(br#"{"jsonrpc":"2.0"}"#), 1);
        assert_eq!(calls_in(b"[not json"), 1);
        let quotas = Quotas::new(QuotaConfig::default());
        assert_eq!(
            quotas.charge(&principal(1, 1), 101, Instant::now()),
            Err(QuotaExceeded::Batch {
                size: 101,
                max: 100
            })
        );
    }
}
