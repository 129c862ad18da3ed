//! Tool answers that depend only on completed scans, kept rendered and serialised.
//!
//! Cacheable tools (`get_posture`, `list_findings`, `get_finding`, `get_score_trend`,
//! `compare_scans`: their `ToolDef::cacheable`) are pure
//! functions of the caller's scope, the arguments and completed (immutable) scans. Their
//! answers are kept for the query layer's latest-scan TTL (one second by default: the same
//! staleness the query layer already allows for scans completed by another instance) and
//! dropped at once when a scan finishes in this process (the scan cache's epoch is part of the
//! key). Each answer keeps its `tools/call` result serialised once per protocol shape, so a
//! repeated call copies bytes and clones no `Value`. Callers asking the same question while it
//! is being computed wait for that one computation (after a scan completes, every session's
//! next `get_posture` would otherwise recompute it). Errors are never cached.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aether365_actors::Principal;
use aether365_actors::principal::TenantScope;
use moka::ops::compute::Op;
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
/// The weight of a slot whose answer is still being computed.
const PENDING_WEIGHT: u32 = 1024;
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

/// A slot's answer, computed once however many callers ask for it at the same time.
type Cell = Arc<tokio::sync::OnceCell<Arc<Answer>>>;

/// Rendered tool answers by scope, tool, arguments and scan epoch.
pub struct AnswerCache {
    entries: Cache<Key, Cell>,
}

impl Default for AnswerCache {
    fn default() -> Self {
        AnswerCache {
            entries: Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|_, cell: &Cell| cell.get().map_or(PENDING_WEIGHT, |a| a.weight()))
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

    /// The answer for `slot`: the one kept if computed less than `ttl` ago, else the one
    /// another caller is computing now, else `compute`'s, kept. An error is returned to the
    /// caller whose computation failed and kept for nobody (a waiting caller then computes).
    pub async fn get_or_compute<E, F, Fut>(
        &self,
        slot: Slot,
        ttl: Duration,
        compute: F,
    ) -> Result<Arc<Answer>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Answer, E>>,
    {
        let cell = self
            .entries
            .entry_by_ref(&slot.key)
            .or_insert_with_if(Cell::default, |cell| {
                cell.get().is_some_and(|a| a.at.elapsed() >= ttl)
            })
            .into_value();
        let computed_here = AtomicBool::new(false);
        let answer = cell
            .get_or_try_init(|| async {
                computed_here.store(true, Ordering::Relaxed);
                compute().await.map(Arc::new)
            })
            .await?;
        if computed_here.load(Ordering::Relaxed) {
            // moka weighs an entry when it is inserted: insert the slot again, now that it
            // holds an answer, unless a newer computation replaced it meanwhile.
            self.entries
                .entry(slot.key)
                .and_compute_with(|entry| match entry {
                    Some(entry) if Arc::ptr_eq(entry.value(), &cell) => Op::Put(Arc::clone(&cell)),
                    _ => Op::Nop,
                });
        }
        Ok(Arc::clone(answer))
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

    fn answer(text: &str) -> Answer {
        Answer::new(ToolOutcome {
            text: text.into(),
            structured: Value::Null,
            targets: Vec::new(),
            started_scan: None,
        })
    }

    /// The text of the answer `cache` serves for `slot`, offering `text` if it computes.
    async fn ask(cache: &AnswerCache, slot: Slot, ttl: Duration, text: &str) -> String {
        let served = cache
            .get_or_compute(slot, ttl, || async { Ok::<_, ()>(answer(text)) })
            .await
            .unwrap();
        served.outcome.text.clone()
    }

    #[tokio::test]
    async fn answers_are_kept_per_scope_arguments_and_epoch() {
        let cache = AnswerCache::default();
        let ttl = Duration::from_secs(60);
        let all = principal(TenantScope::All);
        let one = principal(TenantScope::Only(vec![3]));
        let args = json!({"tenant": "x", "limit": 5});
        assert!(AnswerCache::slot(&all, "start_scan", &args, 0).is_none());
        assert!(AnswerCache::slot(&all, "list_scans", &args, 0).is_none());
        let slot = |p: &Principal, args: &Value, epoch| {
            AnswerCache::slot(p, "get_posture", args, epoch).unwrap()
        };
        assert_eq!(ask(&cache, slot(&all, &args, 0), ttl, "a").await, "a");
        let reordered = json!({"limit": 5, "tenant": "x"});
        assert_eq!(ask(&cache, slot(&all, &reordered, 0), ttl, "b").await, "a");
        assert_eq!(ask(&cache, slot(&one, &args, 0), ttl, "c").await, "c");
        assert_eq!(ask(&cache, slot(&all, &args, 1), ttl, "d").await, "d");
        // Older than the TTL: computed again, and the new answer is the one kept.
        assert_eq!(
            ask(&cache, slot(&all, &args, 0), Duration::ZERO, "e").await,
            "e"
        );
        assert_eq!(ask(&cache, slot(&all, &args, 0), ttl, "f").await, "e");
    }

    #[tokio::test]
    async fn callers_asking_at_once_share_one_computation_and_errors_are_not_kept() {
        let cache = Arc::new(AnswerCache::default());
        let ttl = Duration::from_secs(60);
        let all = principal(TenantScope::All);
        let args = json!({});
        let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (release, released) = tokio::sync::watch::channel(false);
        let mut callers = Vec::new();
        for n in 0..8 {
            let (cache, computed, mut released) =
                (Arc::clone(&cache), Arc::clone(&computed), released.clone());
            let slot = AnswerCache::slot(&all, "get_posture", &args, 0).unwrap();
            callers.push(tokio::spawn(async move {
                let served = cache
                    .get_or_compute(slot, ttl, || async move {
                        computed.fetch_add(1, Ordering::SeqCst);
                        released.wait_for(|r| *r).await.unwrap();
                        Ok::<_, ()>(answer(&format!("caller {n}")))
                    })
                    .await
                    .unwrap();
                served.outcome.text.clone()
            }));
        }
        // Let every caller reach the slot before the first computation may end.
        for _ in 0..16 {
            tokio::task::yield_now().await;
        }
        release.send(true).unwrap();
        let mut texts = Vec::new();
        for caller in callers {
            texts.push(caller.await.unwrap());
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert!(texts.iter().all(|t| *t == texts[0]), "{texts:?}");

        let other = AnswerCache::slot(&all, "list_findings", &args, 0).unwrap();
        let failed = cache
            .get_or_compute(other, ttl, || async { Err::<Answer, _>("database down") })
            .await;
        assert_eq!(failed.unwrap_err(), "database down");
        let other = AnswerCache::slot(&all, "list_findings", &args, 0).unwrap();
        assert_eq!(ask(&cache, other, ttl, "recovered").await, "recovered");
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
