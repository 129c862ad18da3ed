//! Exposure scan: externally observable DNS posture of a tenant's domains, over real DNS.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The MTA-STS policy location of RFC 8461, `{domain}` standing for the domain.
pub const MTA_STS_URL: &str = "https://mta-sts.{domain}/.well-known/mta-sts.txt";

/// Where and how long exposure scans ask DNS, which DNSSEC trust anchor they validate from,
/// and where they fetch MTA-STS policies.
#[derive(Clone, Debug)]
pub struct DnsConfig {
    /// The nameserver to ask (UDP, TCP on truncation); the system resolver when `None`.
    pub nameserver: Option<SocketAddr>,
    /// How long one lookup (or one policy fetch) may take before it counts as failed.
    pub timeout: Duration,
    /// A file of DNSKEY records in zone-file format trusted as the DNSSEC root; the IANA
    /// root key-signing keys (key tags 20326 and 38696) when `None`.
    pub trust_anchor: Option<PathBuf>,
    /// The MTA-STS policy URL template ([`MTA_STS_URL`]); tests point it at loopback.
    pub mta_sts_url: String,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            nameserver: None,
            timeout: Duration::from_secs(5),
            trust_anchor: None,
            mta_sts_url: MTA_STS_URL.to_string(),
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
    /// The DNSSEC trust anchor file cannot be read or holds no DNSKEY.
    #[error("cannot read the DNSSEC trust anchor {path}: {reason}")]
    TrustAnchor { path: String, reason: String },
    /// The HTTPS client for MTA-STS policies cannot be built.
    #[error("cannot set up the HTTPS client for MTA-STS policies: {0}")]
    Http(String),
}
