//! Exposure scan: externally observable DNS posture of a tenant's domains, over real DNS.

use std::net::SocketAddr;
use std::time::Duration;

/// Where and how long exposure scans ask DNS.
#[derive(Clone, Debug)]
pub struct DnsConfig {
    /// The nameserver to ask (UDP, TCP on truncation); the system resolver when `None`.
    pub nameserver: Option<SocketAddr>,
    /// How long one lookup may take before it counts as failed.
    pub timeout: Duration,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            nameserver: None,
            timeout: Duration::from_secs(5),
        }
    }
}

mod dns;

pub use dns::DnsProbe;

/// Errors of the exposure layer. Lookup failures are not errors: they become `error` findings.
#[derive(Debug, thiserror::Error)]
pub enum ExposureError {
    /// The resolver cannot be set up (e.g. no usable system DNS configuration).
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(String),
}
