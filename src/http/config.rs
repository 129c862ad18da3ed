//! Settings of the HTTP server.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use super::quota::QuotaConfig;

/// Settings of the HTTP server; the CLI maps its flags onto it.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The URL clients use to reach the server (resource metadata, client configurations);
    /// unset: `http://` and the bound address. Never taken from a request.
    pub public_url: Option<String>,
    /// Extra allowed `Origin` values (localhost origins are always allowed).
    pub allowed_origins: Vec<String>,
    /// Reverse proxies whose `Forwarded` and `X-Forwarded-*` headers are believed (the
    /// dashboard's same-origin check); from any other peer only `Host` counts.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Time an authenticated client has to send a whole request body (408 after it).
    pub body_timeout: Duration,
    /// Open connections served at once, across every worker; more wait in the kernel's queue.
    pub max_connections: usize,
    /// Requests from one address whose authentication is not finished, at once; more are
    /// answered 429. No body is read before authentication.
    pub max_unauthenticated_per_addr: usize,
    /// Calls per second and batch size, per token and organisation.
    pub quotas: QuotaConfig,
    /// Period of keep-alive comments on idle SSE streams.
    pub keep_alive: Duration,
    /// Serve the fixture tools, resources and prompts of the MCP conformance suite.
    pub conformance_fixtures: bool,
    /// Lets requests to addresses others chose (OAuth client metadata documents) reach
    /// loopback addresses, over plain `http` too: a test setting, never for production.
    pub allow_loopback_destinations: bool,
    /// Certificate authorities trusted besides the public roots when fetching client metadata
    /// documents: a test setting (with `allow_loopback_destinations`), never for production.
    pub extra_root_certificates: Vec<aether365_actors::outbound::RootCertificate>,
    /// `bench` builds only: every request is this principal, without a bearer (audit rows
    /// and tenant scope still apply). Loopback binds only.
    #[cfg(feature = "bench")]
    pub bench_principal: Option<aether365_actors::Principal>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8365)),
            public_url: None,
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
            max_unauthenticated_per_addr: 256,
            quotas: QuotaConfig::default(),
            keep_alive: Duration::from_secs(15),
            conformance_fixtures: false,
            allow_loopback_destinations: false,
            extra_root_certificates: Vec::new(),
            #[cfg(feature = "bench")]
            bench_principal: None,
        }
    }
}

/// A reverse proxy's address, or a network of them (`10.0.0.0/8`, `::1`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedProxy {
    network: IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Whether `ip` is this proxy (or in this network). IPv4-mapped IPv6 addresses count as
    /// their IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// Whether `ip` is one of `proxies`.
    pub fn any_contains(proxies: &[TrustedProxy], ip: IpAddr) -> bool {
        proxies.iter().any(|p| p.contains(ip))
    }
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad =
            || format!("{s:?} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8, ::1)");
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network = IpAddr::from_str(addr).map_err(|_| bad())?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(TrustedProxy { network, prefix })
    }
}

impl std::fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let ip = |s: &str| IpAddr::from_str(s).unwrap();
        let one: TrustedProxy = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(one.contains(ip("::ffff:127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        let net: TrustedProxy = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.255.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(!net.contains(ip("::1")));
        let all: TrustedProxy = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("192.0.2.1")));
        let v6: TrustedProxy = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        let loopback: TrustedProxy = "::1".parse().unwrap();
        assert!(loopback.contains(ip("::1")));
        assert!(!loopback.contains(ip("127.0.0.1")));
        for bad in [
            "",
            "localhost",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/x",
            "10.0.0.0/",
        ] {
            assert!(bad.parse::<TrustedProxy>().is_err(), "{bad}");
        }
    }
}
