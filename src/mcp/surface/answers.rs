//! Tool answers that depend only on completed scans, kept rendered and serialised.
//!
//! Cacheable tools (`get_posture`, `list_findings`, `get_finding`, `get_score_trend`,
//! `compare_scans`: their `ToolDef::cacheable`) are pure
//! functions of the caller's scope, the arguments and completed (immutable) scans. Their
//! answers are kept for the query layer's latest-scan TTL (one second by default: the same
//! staleness the query layer already allows for scans completed by another instance) and
//! dropped at once when a scan finishes in this process (the scan cache's epoch is part of the
//! key). Each answer keeps its `tools/call` result serialised once per protocol shape, so a
//! repeated call copies bytes and clones no `Value`. Errors are never cached.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aether365_actors::Principal;
use aether365_actors::principal::TenantScope;
use moka::sync::Cache;
use serde_json::Value;
use serde_json::value::RawValue;

use super::ToolOutcome;

/// Most bytes of answers kept, by the weight [`Answer::weight`] estimates (moka evicts the
/// least useful beyond it): a bound on memory whatever the mix of tools and arguments.
const CAPACITY_BYTES: u64 = 32 << 20;
/// Upper bound of an entry's life. An answer is served only within the latest-scan TTL (one
/// second by default), checked on read; keeping it longer only holds memory (scans completing
/// back to back leave an entry per scan epoch), so entries go soon after.
const MAX_TTL: Duration = Duration::from_secs(5);
/// Number of protocol shapes a `tools/call` result takes (see [`Shape`]).
const SHAPES: usize = 3;

/// How a `tools/call` result looks in a protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Before 2025-06-18: text content only.
    TextOnly = 0,
    /// 2025-06-18 and 2025-11-25: with `structuredContent`.
    Structured = 1,
    /// 2026-07-28: with `structuredContent`, `resultType` and `_meta`.
    Stateless = 2,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    organisation_id: i64,
    tenant_scope: Option<Vec<i64>>,
    tool: &'static str,
    /// The arguments as canonical JSON (object keys sorted).
    arguments: String,
    epoch: u64,
}

/// One tool answer, and its `tools/call` result serialised per shape on first use.
#[derive(Debug)]
pub struct Answer {
    pub outcome: ToolOutcome,
    at: Instant,
    rendered: [OnceLock<Arc<RawValue>>; SHAPES],
}

impl Answer {
    /// A fresh answer.
    pub fn new(outcome: ToolOutcome) -> Answer {
        Answer {
            outcome,
            at: Instant::now(),
            rendered: Default::default(),
        }
    }

    /// Estimated bytes held: the text, the structured content (about as large) and the
    /// shapes rendered from them.
    fn weight(&self) -> u32 {
        let text = self.outcome.text.len().saturating_add(1024);
        u32::try_from(text.saturating_mul(2 + SHAPES)).unwrap_or(u32::MAX)
    }

    /// The serialised result in `shape`, rendered by `render` the first time.
    pub fn rendered<E>(
        &self,
        shape: Shape,
        render: impl FnOnce(&ToolOutcome) -> Result<Arc<RawValue>, E>,
    ) -> Result<Arc<RawValue>, E> {
        let slot = &self.rendered[shape as usize];
        if let Some(bytes) = slot.get() {
            return Ok(Arc::clone(bytes));
        }
        let bytes = render(&self.outcome)?;
        Ok(Arc::clone(slot.get_or_init(|| bytes)))
    }
}

/// Rendered tool answers by scope, tool, arguments and scan epoch.
pub struct AnswerCache {
    entries: Cache<Key, Arc<Answer>>,
}

impl Default for AnswerCache {
    fn default() -> Self {
        AnswerCache {
            entries: Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|_, answer: &Arc<Answer>| answer.weight())
                .time_to_live(MAX_TTL)
                .build(),
        }
    }
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerCache").finish_non_exhaustive()
    }
}

/// Where one call's answer lives in the cache, if it may be cached.
pub struct Slot {
    key: Key,
}

impl AnswerCache {
    /// The slot of a call, or `None` when the tool's answer may not be cached.
    pub fn slot(principal: &Principal, tool: &str, arguments: &Value, epoch: u64) -> Option<Slot> {
        // Tools declare whether their answers may be cached (`ToolDef::cacheable`).
        let tool = super::tools::find(tool).filter(|t| t.cacheable)?.name;
        Some(Slot {
            key: Key {
                organisation_id: principal.organisation_id,
                tenant_scope: match &principal.tenant_scope {
                    TenantScope::All => None,
                    TenantScope::Only(ids) => Some(ids.clone()),
                },
                tool,
                arguments: arguments.to_string(),
                epoch,
            },
        })
    }

    /// The answer kept for `slot`, if computed less than `ttl` ago.
    pub fn get(&self, slot: &Slot, ttl: Duration) -> Option<Arc<Answer>> {
        self.entries
            .get(&slot.key)
            .filter(|answer| answer.at.elapsed() < ttl)
    }

    /// Keeps an answer.
    pub fn put(&self, slot: Slot, answer: Arc<Answer>) {
        self.entries.insert(slot.key, answer);
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

    fn answer(text: &str) -> Arc<Answer> {
        Arc::new(Answer::new(ToolOutcome {
            text: text.into(),
            structured: Value::Null,
            targets: Vec::new(),
            started_scan: None,
        }))
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
        cache.put(slot, answer("a"));
        let same = AnswerCache::slot(&all, "get_posture", &json!({"limit": 5, "tenant": "x"}), 0);
        assert_eq!(cache.get(&same.unwrap(), ttl).unwrap().outcome.text, "a");
        let scoped = AnswerCache::slot(&one, "get_posture", &args, 0).unwrap();
        assert!(cache.get(&scoped, ttl).is_none());
        let later = AnswerCache::slot(&all, "get_posture", &args, 1).unwrap();
        assert!(cache.get(&later, ttl).is_none());
        let fresh = AnswerCache::slot(&all, "get_posture", &args, 0).unwrap();
        assert!(cache.get(&fresh, Duration::ZERO).is_none());
    }

    #[test]
    fn a_shape_is_rendered_once() {
        let answer = answer("a");
        let mut calls = 0;
        for _ in 0..3 {
            let bytes = answer
                .rendered(Shape::Structured, |o| {
                    calls += 1;
                    serde_json::value::to_raw_value(&o.text).map(Arc::from)
                })
                .unwrap();
            assert_eq!(bytes.get(), "\"a\"");
        }
        assert_eq!(calls, 1);
    }
}
