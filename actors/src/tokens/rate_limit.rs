//! Failed authentications per client address: beyond the limit within the window, the
//! address is refused until its oldest failure leaves the window. Verifications still
//! running count against the allowance too, so concurrent guesses cannot overrun it.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Recent failures per client address.
pub(crate) struct FailureLimiter {
    limit: usize,
    window: Duration,
    failures: HashMap<String, VecDeque<Instant>>,
    /// Verifications running per address.
    running: HashMap<String, usize>,
}

/// How long a client refused only for its running verifications should wait.
const BUSY_RETRY: Duration = Duration::from_secs(1);

impl FailureLimiter {
    /// Allows `limit` failures per `window` and address.
    pub fn new(limit: u32, window: Duration) -> Self {
        FailureLimiter {
            limit: usize::try_from(limit).unwrap_or(usize::MAX).max(1),
            window,
            failures: HashMap::new(),
            running: HashMap::new(),
        }
    }

    /// `Err(retry_after)` while `addr` has used up its failures.
    pub fn check(&mut self, addr: &str, now: Instant) -> Result<(), Duration> {
        let running = self.running.get(addr).copied().unwrap_or(0);
        let Some(times) = self.failures.get_mut(addr) else {
            return if running >= self.limit {
                Err(BUSY_RETRY)
            } else {
                Ok(())
            };
        };
        Self::expire(times, self.window, now);
        match times.front() {
            Some(oldest) if times.len() >= self.limit => {
                Err((*oldest + self.window).saturating_duration_since(now))
            }
            _ if times.len() + running >= self.limit => Err(BUSY_RETRY),
            _ => Ok(()),
        }
    }

    /// Counts a verification from `addr` as running until [`Self::finish`].
    pub fn start(&mut self, addr: &str) {
        *self.running.entry(addr.to_string()).or_default() += 1;
    }

    /// Ends a verification begun with [`Self::start`].
    pub fn finish(&mut self, addr: &str) {
        if let Some(running) = self.running.get_mut(addr) {
            *running = running.saturating_sub(1);
            if *running == 0 {
                self.running.remove(addr);
            }
        }
    }

    /// Counts a failure; true when it used up the address's allowance.
    pub fn record_failure(&mut self, addr: &str, now: Instant) -> bool {
        let times = self.failures.entry(addr.to_string()).or_default();
        Self::expire(times, self.window, now);
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
        times.len() >= self.limit
    }

    /// Forgets every running verification (their futures are gone after a restart).
    pub fn clear_running(&mut self) {
        self.running.clear();
    }

    /// Forgets addresses with no failure left in the window.
    pub fn prune(&mut self, now: Instant) {
        let window = self.window;
        self.failures.retain(|_, times| {
            Self::expire(times, window, now);
            !times.is_empty()
        });
    }

    fn expire(times: &mut VecDeque<Instant>, window: Duration, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            times.pop_front();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_until_the_window_passes() {
        let mut limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check("a", t0).is_ok());
            assert_eq!(
                limiter.record_failure("a", t0 + Duration::from_secs(i)),
                i == 2
            );
        }
        let retry = limiter
            .check("a", t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(retry, Duration::from_secs(50));
        assert!(limiter.check("b", t0).is_ok());
        assert!(limiter.check("a", t0 + Duration::from_secs(60)).is_ok());
        limiter.prune(t0 + Duration::from_secs(120));
        assert!(limiter.failures.is_empty());
    }

    #[test]
    fn running_verifications_count_against_the_allowance() {
        let mut limiter = FailureLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        limiter.start("a");
        assert!(limiter.check("a", t0).is_ok());
        limiter.start("a");
        assert_eq!(limiter.check("a", t0).unwrap_err(), BUSY_RETRY);
        limiter.finish("a");
        limiter.record_failure("a", t0);
        assert_eq!(limiter.check("a", t0).unwrap_err(), BUSY_RETRY);
        limiter.finish("a");
        assert!(limiter.check("a", t0).is_ok());
        assert!(limiter.running.is_empty());
    }
}
