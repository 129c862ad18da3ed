//! A small bounded cache of tool answers that depend only on completed scans.
//!
//! `get_posture`, `list_findings`, `get_finding`, `get_score_trend` and `compare_scans` are pure
//! functions of the caller's scope, the arguments and completed (immutable) scans. Their
//! answers are kept for the query layer's latest-scan TTL (one second by default: the same
//! staleness the query layer already allows for scans completed by another instance) and
//! dropped at once when a scan finishes in this process (the scan cache's epoch changes).
//! Errors are never cached.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aether365_actors::Principal;
use aether365_actors::principal::TenantScope;
use serde_json::Value;

use super::ToolOutcome;

/// Tools whose answers may be cached.
const CACHEABLE: [&str; 5] = [
    "get_posture",
    "list_findings",
    "get_finding",
    "get_score_trend",
    "compare_scans",
];

/// Most answers kept; the cache is emptied when full (a burst of distinct calls is rare).
const CAPACITY: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    organisation_id: i64,
    tenant_scope: Option<Vec<i64>>,
    tool: &'static str,
    /// The arguments as canonical JSON (object keys sorted).
    arguments: String,
}

struct Entry {
    outcome: Arc<ToolOutcome>,
    epoch: u64,
    at: Instant,
}

/// Rendered tool answers by scope, tool and arguments.
#[derive(Default)]
pub struct AnswerCache {
    entries: RwLock<HashMap<Key, Entry>>,
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache").finish_non_exhaustive()
    }
}

/// Where one call's answer lives in the cache, if it may be cached.
pub struct Slot {
    key: Key,
    epoch: u64,
}

impl AnswerCache {
    /// The slot of a call, or `None` when the tool's answer may not be cached.
    pub fn slot(principal: &Principal, tool: &str, arguments: &Value, epoch: u64) -> Option<Slot> {
        let tool = CACHEABLE.iter().copied().find(|t| *t == tool)?;
        Some(Slot {
            key: Key {
                organisation_id: principal.organisation_id,
                tenant_scope: match &principal.tenant_scope {
                    TenantScope::All => None,
                    TenantScope::Only(ids) => Some(ids.clone()),
                },
                tool,
                arguments: arguments.to_string(),
            },
            epoch,
        })
    }

    /// The answer kept for `slot`, if computed in the same epoch less than `ttl` ago.
    pub fn get(&self, slot: &Slot, ttl: Duration) -> Option<Arc<ToolOutcome>> {
        let entries = self.entries.read().ok()?;
        entries
            .get(&slot.key)
            .filter(|e| e.epoch == slot.epoch && e.at.elapsed() < ttl)
            .map(|e| Arc::clone(&e.outcome))
    }

    /// Keeps an answer computed in `slot`'s epoch.
    pub fn put(&self, slot: Slot, outcome: Arc<ToolOutcome>) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= CAPACITY && !entries.contains_key(&slot.key) {
            entries.clear();
        }
        entries.insert(
            slot.key,
            Entry {
                outcome,
                epoch: slot.epoch,
                at: Instant::now(),
            },
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn principal(scope: TenantScope) -> Principal {
        Principal {
            organisation_id: 1,
            token_id: 1,
            token_label: "t".into(),
            tenant_scope: scope,
        }
    }

    fn outcome(text: &str) -> Arc<ToolOutcome> {
        Arc::new(ToolOutcome {
            text: text.into(),
            structured: Value::Null,
            targets: Vec::new(),
            started_scan: None,
        })
    }

    #[test]
    fn answers_are_kept_per_scope_arguments_and_epoch() {
        let cache = AnswerCache::default();
        let ttl = Duration::from_secs(60);
        let all = principal(TenantScope::All);
        let one = principal(TenantScope::Only(vec![3]));
        let args = json!({"tenant": "x", "limit": 5});
        assert!(AnswerCache::slot(&all, "start_scan", &args, 0).is_none());
        assert!(AnswerCache::slot(&all, "list_scans", &args, 0).is_none());
        let slot = AnswerCache::slot(&all, "get_posture", &args, 0).unwrap();
        assert!(cache.get(&slot, ttl).is_none());
        cache.put(slot, outcome("a"));
        let same = AnswerCache::slot(&all, "get_posture", &json!({"limit": 5, "tenant": "x"}), 0);
        assert_eq!(cache.get(&same.unwrap(), ttl).unwrap().text, "a");
        let scoped = AnswerCache::slot(&one, "get_posture", &args, 0).unwrap();
        assert!(cache.get(&scoped, ttl).is_none());
        let later = AnswerCache::slot(&all, "get_posture", &args, 1).unwrap();
        assert!(cache.get(&later, ttl).is_none());
        let fresh = AnswerCache::slot(&all, "get_posture", &args, 0).unwrap();
        assert!(cache.get(&fresh, Duration::ZERO).is_none());
    }
}
