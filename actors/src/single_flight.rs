//! Single flight: callers asking for the same key while its value is being computed wait for
//! that one computation instead of starting their own.
//!
//! A flight ends when its value is set or its last caller leaves; an error is never kept (the
//! next caller computes again), and a caller dropped mid-computation hands the computation to
//! a caller still waiting, as [`tokio::sync::OnceCell`] does.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// The flights in progress, by key.
pub(crate) struct SingleFlight<K, V> {
    flights: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// The value of `key`: computed by `compute`, or by the computation already in flight.
    pub(crate) async fn run<E, F, Fut>(&self, key: K, compute: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let flight = Arc::clone(self.lock().entry(key.clone()).or_default());
        let boarded = Boarded {
            flights: self,
            key,
            flight,
        };
        boarded.flight.get_or_try_init(compute).await.cloned()
    }

    /// How many flights are in progress.
    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<OnceCell<V>>>> {
        self.flights.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One caller on a flight: leaving ends the flight once it has landed or nobody else is on it.
struct Boarded<'a, K: Eq + Hash + Clone, V: Clone> {
    flights: &'a SingleFlight<K, V>,
    key: K,
    flight: Arc<OnceCell<V>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Drop for Boarded<'_, K, V> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock();
        let Some(current) = flights.get(&self.key) else {
            return;
        };
        // Held by the map, by this caller and by nobody else: the flight is empty.
        let alone = Arc::strong_count(&self.flight) <= 2;
        if Arc::ptr_eq(current, &self.flight) && (self.flight.initialized() || alone) {
            flights.remove(&self.key);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn callers_of_one_key_share_one_computation_and_the_flight_ends() {
        let flights = Arc::new(SingleFlight::<i64, Arc<String>>::default());
        let computed = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let flights = Arc::clone(&flights);
                let computed = Arc::clone(&computed);
                tokio::spawn(async move {
                    flights
                        .run(7, || async {
                            computed.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok::<_, ()>(Arc::new("scan 7".to_string()))
                        })
                        .await
                })
            })
            .collect();
        let mut answers = Vec::new();
        for caller in callers {
            answers.push(caller.await.unwrap().unwrap());
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|a| Arc::ptr_eq(a, &answers[0])));
        assert_eq!(flights.in_flight(), 0);
    }

    #[tokio::test]
    async fn an_error_is_not_kept_and_other_keys_fly_apart() {
        let flights = SingleFlight::<i64, i64>::default();
        assert_eq!(
            flights.run(1, || async { Err::<i64, _>("down") }).await,
            Err("down")
        );
        assert_eq!(flights.in_flight(), 0);
        assert_eq!(flights.run(1, || async { Ok::<_, &str>(10) }).await, Ok(10));
        assert_eq!(flights.run(2, || async { Ok::<_, &str>(20) }).await, Ok(20));
        assert_eq!(flights.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_caller_dropped_mid_flight_leaves_nothing_behind() {
        let flights = SingleFlight::<i64, i64>::default();
        let pending = flights.run(3, std::future::pending::<Result<i64, ()>>);
        assert!(
            tokio::time::timeout(Duration::from_millis(10), pending)
                .await
                .is_err()
        );
        assert_eq!(flights.in_flight(), 0);
    }
}
