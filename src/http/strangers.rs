//! Requests per address whose authentication is under way, bounded per address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Requests per address whose authentication is not finished.
#[derive(Debug, Default)]
pub struct Strangers {
    pending: Mutex<HashMap<IpAddr, usize>>,
}

/// An admitted unauthenticated request; its place is given back on drop.
pub struct StrangerSlot<'a> {
    strangers: &'a Strangers,
    addr: IpAddr,
}

impl Strangers {
    /// A place for one more unauthenticated request from `addr`, unless it has `limit`.
    pub fn admit(&self, addr: IpAddr, limit: usize) -> Option<StrangerSlot<'_>> {
        let mut pending = self.pending.lock().ok()?;
        let count = pending.entry(addr).or_default();
        if *count >= limit.max(1) {
            return None;
        }
        *count += 1;
        Some(StrangerSlot {
            strangers: self,
            addr,
        })
    }

    /// Unauthenticated requests from `addr` under way.
    pub fn pending(&self, addr: IpAddr) -> usize {
        self.pending
            .lock()
            .map_or(0, |p| p.get(&addr).copied().unwrap_or(0))
    }
}

impl Drop for StrangerSlot<'_> {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.strangers.pending.lock()
            && let Some(count) = pending.get_mut(&self.addr)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                pending.remove(&self.addr);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::Strangers;

    #[test]
    fn unauthenticated_requests_are_capped_per_address() {
        let strangers = Strangers::default();
        let (a, b) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let first = strangers.admit(a, 2);
        let second = strangers.admit(a, 2);
        assert!(first.is_some() && second.is_some());
        assert!(strangers.admit(a, 2).is_none());
        assert!(strangers.admit(b, 2).is_some());
        drop(first);
        assert_eq!(strangers.pending(a), 1);
        assert!(strangers.admit(a, 2).is_some());
        drop(second);
        assert_eq!(strangers.pending(a), 0);
        assert!(strangers.pending.lock().unwrap().is_empty());
    }
}
