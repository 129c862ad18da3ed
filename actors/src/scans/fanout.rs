//! Subscriptions to scan events and their fan-out: `try_send` only, dead subscribers dropped.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use actix::prelude::{Recipient, SendError};

use super::types::{ScanEvent, Topic};

/// How many recently finished scans keep their final event for late subscribers.
const FINISHED_KEPT: usize = 4096;

#[derive(Default)]
struct Registry {
    topics: HashMap<Topic, HashMap<u64, Recipient<ScanEvent>>>,
    by_subscriber: HashMap<u64, HashSet<Topic>>,
    /// The final events of the scans that finished most recently, oldest first in `order`:
    /// a subscription that arrives just after its scan's final event still gets it.
    finished: HashMap<i64, ScanEvent>,
    finished_order: VecDeque<i64>,
}

impl Registry {
    fn remove_subscriber(&mut self, subscriber_id: u64) {
        for topic in self
            .by_subscriber
            .remove(&subscriber_id)
            .unwrap_or_default()
        {
            self.remove_from_topic(topic, subscriber_id);
        }
    }

    fn remember_final(&mut self, event: &ScanEvent) {
        if self.finished.insert(event.scan_id, event.clone()).is_none() {
            self.finished_order.push_back(event.scan_id);
        }
        while self.finished_order.len() > FINISHED_KEPT {
            if let Some(old) = self.finished_order.pop_front() {
                self.finished.remove(&old);
            }
        }
    }

    /// Forgets that `subscriber_id` follows `topic` (the subscriber's side of the maps).
    fn forget_topic_of(&mut self, subscriber_id: u64, topic: Topic) {
        if let Some(topics) = self.by_subscriber.get_mut(&subscriber_id) {
            topics.remove(&topic);
            if topics.is_empty() {
                self.by_subscriber.remove(&subscriber_id);
            }
        }
    }

    fn remove_from_topic(&mut self, topic: Topic, subscriber_id: u64) {
        if let Some(subscribers) = self.topics.get_mut(&topic) {
            subscribers.remove(&subscriber_id);
            if subscribers.is_empty() {
                self.topics.remove(&topic);
            }
        }
    }
}

/// This process's subscribers to scan events, fed by the cluster bus without a hop through
/// the manager's mailbox.
#[derive(Clone, Default)]
pub(crate) struct Fanout {
    inner: Arc<Mutex<Registry>>,
}

impl Fanout {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock leaves the maps consistent: keep using them.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a subscription (idempotent). For a scan whose final event this process has
    /// already delivered, nothing is added and that event is answered instead: checked under
    /// the same lock as [`Fanout::deliver`], so a subscription is never lost between the two.
    pub fn subscribe(
        &self,
        topic: Topic,
        subscriber_id: u64,
        subscriber: Recipient<ScanEvent>,
    ) -> Option<ScanEvent> {
        let mut registry = self.lock();
        if let Topic::Scan(scan_id) = topic
            && let Some(event) = registry.finished.get(&scan_id)
        {
            return Some(event.clone());
        }
        registry
            .topics
            .entry(topic)
            .or_default()
            .insert(subscriber_id, subscriber);
        registry
            .by_subscriber
            .entry(subscriber_id)
            .or_default()
            .insert(topic);
        None
    }

    /// Drops every subscription of `subscriber_id`.
    pub fn unsubscribe(&self, subscriber_id: u64) {
        self.lock().remove_subscriber(subscriber_id);
    }

    /// Hands `event` (from any instance, through the cluster bus) to this process's subscribers
    /// of its scan, of its tenant and of every scan, each once. Never waits:
    /// a closed subscriber is dropped; a full mailbox loses a progress event but still gets a
    /// final one (queued past its capacity, which does not block either).
    pub fn deliver(&self, event: &ScanEvent) {
        let topics = [
            Topic::Scan(event.scan_id),
            Topic::Tenant(event.tenant_id),
            Topic::All,
        ];
        let mut registry = self.lock();
        let mut seen = HashSet::new();
        let mut dead = Vec::new();
        for topic in topics {
            let Some(subscribers) = registry.topics.get(&topic) else {
                continue;
            };
            for (&id, recipient) in subscribers {
                if !seen.insert(id) {
                    continue;
                }
                if !recipient.connected() {
                    dead.push(id);
                    continue;
                }
                match recipient.try_send(event.clone()) {
                    Ok(()) => {}
                    Err(SendError::Closed(_)) => dead.push(id),
                    Err(SendError::Full(event)) => {
                        if event.status.is_final() {
                            recipient.do_send(event);
                        } else {
                            tracing::debug!(
                                subscriber = id,
                                scan = event.scan_id,
                                "subscriber busy: progress event skipped"
                            );
                        }
                    }
                }
            }
        }
        for id in dead {
            tracing::debug!(subscriber = id, "dropping a scan subscriber that went away");
            registry.remove_subscriber(id);
        }
        if event.status.is_final() {
            registry.remember_final(event);
        }
        drop(registry);
        if event.status.is_final() {
            // Nothing more will happen to this scan.
            self.forget_scan(event.scan_id);
        }
    }

    /// A subscriber was answered a scan's final event read from the database: its
    /// subscription to that scan is done (the others stay: their event may still be on its
    /// way through the bus), and the event is kept for later subscribers.
    pub fn answered_from_store(&self, subscriber_id: u64, event: &ScanEvent) {
        let mut registry = self.lock();
        let topic = Topic::Scan(event.scan_id);
        registry.remove_from_topic(topic, subscriber_id);
        registry.forget_topic_of(subscriber_id, topic);
        registry.remember_final(event);
    }

    /// Drops the subscriptions to a scan that has finished.
    pub fn forget_scan(&self, scan_id: i64) {
        let mut registry = self.lock();
        let topic = Topic::Scan(scan_id);
        let Some(subscribers) = registry.topics.remove(&topic) else {
            return;
        };
        for id in subscribers.keys() {
            registry.forget_topic_of(*id, topic);
        }
    }

    /// Sends `event` to one subscriber only (e.g. a scan that finished before it subscribed).
    pub fn send_to(subscriber: &Recipient<ScanEvent>, event: ScanEvent) {
        if let Err(SendError::Full(event)) = subscriber.try_send(event) {
            subscriber.do_send(event);
        }
    }

    /// How many subscribers are registered (for tests and metrics).
    pub fn subscriber_count(&self) -> usize {
        self.lock().by_subscriber.len()
    }
}
