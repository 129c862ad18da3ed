//! Requests to addresses someone else chose (an alert destination, a client's metadata
//! document): the one way aether365 sends them.
//!
//! The host is resolved once, every address it resolves to is checked (no loopback, private,
//! link-local, shared, documentation, multicast or reserved address, including IPv4 inside
//! IPv6), and the connection is pinned to a checked address so a second lookup cannot swap it
//! (DNS rebinding). Redirects are never followed, proxies never used, the answer is read up to
//! a size cap within a deadline. Only `https`, unless [`OutboundPolicy::allow_loopback`] (a
//! test setting) lets plain `http` reach loopback receivers. Certificates are checked against
//! the public roots, plus [`OutboundPolicy::extra_roots`] (a test setting too: a certificate
//! authority made for a test's loopback https server).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::header::HeaderMap;
use url::{Host, Url};

/// A certificate authority trusted besides the public roots ([`OutboundPolicy::extra_roots`]).
pub use reqwest::Certificate as RootCertificate;

/// Limits of one outbound request.
#[derive(Clone, Debug)]
pub struct OutboundPolicy {
    /// Lets loopback addresses (and plain `http` to them) through: for tests only.
    pub allow_loopback: bool,
    /// Deadline of the whole exchange: connect, send, read the answer.
    pub timeout: Duration,
    /// The largest answer body read; a longer one is refused.
    pub max_response_bytes: usize,
    /// Certificate authorities trusted besides the public roots: for tests only (a loopback
    /// https server with a certificate made at test time), see [`load_extra_roots`].
    pub extra_roots: Vec<RootCertificate>,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        OutboundPolicy {
            allow_loopback: false,
            timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024,
            extra_roots: Vec::new(),
        }
    }
}

/// Why a file of extra root certificates cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ExtraRootsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} holds no PEM certificate", path.display())]
    Empty { path: std::path::PathBuf },
    #[error("{} is not a PEM certificate bundle: {source}", path.display())]
    Invalid {
        path: std::path::PathBuf,
        #[source]
        source: reqwest::Error,
    },
}

/// Reads a PEM bundle of certificate authorities for [`OutboundPolicy::extra_roots`] and makes
/// sure a client accepts them, so a bad file fails at start rather than at the first request.
pub fn load_extra_roots(path: &std::path::Path) -> Result<Vec<RootCertificate>, ExtraRootsError> {
    let pem = std::fs::read(path).map_err(|source| ExtraRootsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |source| ExtraRootsError::Invalid {
        path: path.to_path_buf(),
        source,
    };
    let roots = RootCertificate::from_pem_bundle(&pem).map_err(invalid)?;
    if roots.is_empty() {
        return Err(ExtraRootsError::Empty {
            path: path.to_path_buf(),
        });
    }
    roots
        .iter()
        .fold(reqwest::Client::builder(), |b, root| {
            b.add_root_certificate(root.clone())
        })
        .build()
        .map_err(invalid)?;
    Ok(roots)
}

/// Why an outbound request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("only https addresses are allowed, not `{0}`")]
    Scheme(String),
    #[error("the address has no host name")]
    NoHost,
    #[error("the address must not carry a user name or password")]
    Credentials,
    #[error("could not resolve `{host}`")]
    Resolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{host}` resolves to no address")]
    NoAddress { host: String },
    #[error("`{host}` resolves to {address}, which is not a public address")]
    Forbidden { host: String, address: IpAddr },
    #[error("the request could not be built")]
    Client(#[source] reqwest::Error),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the request failed")]
    Transport(#[source] reqwest::Error),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
}

/// An answer, its body read whole (within the size cap). Redirects arrive as they are (3xx).
#[derive(Debug)]
pub struct OutboundResponse {
    pub status: reqwest::StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Whether `ip` may be reached: a public unicast address, or loopback when allowed.
pub fn check_address(ip: IpAddr, allow_loopback: bool) -> bool {
    if allow_loopback && ip.is_loopback() {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // shared address space (RFC 6598)
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments (RFC 6890)
        || (a == 192 && b == 0 && c == 0)
        // benchmarking (RFC 2544)
        || (a == 198 && (b == 18 || b == 19))
        // reserved (240/4)
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // unique local fc00::/7
        || (s[0] & 0xfe00) == 0xfc00
        // link-local fe80::/10 and the old site-local fec0::/10
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        // documentation 2001:db8::/32, Teredo 2001::/32
        || (s[0] == 0x2001 && (s[1] == 0x0db8 || s[1] == 0))
        // discard-only 100::/64
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]))
}

/// The IPv4 address an IPv6 address carries: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:a.b.c.d::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// Checks `url`'s scheme and host and resolves it to one address every resolved address of
/// which is allowed.
pub async fn resolve(url: &Url, policy: &OutboundPolicy) -> Result<SocketAddr, OutboundError> {
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_loopback => {}
        other => return Err(OutboundError::Scheme(other.to_owned())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OutboundError::Credentials);
    }
    let host = url.host().ok_or(OutboundError::NoHost)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host_name = host.to_string();
    let addresses: Vec<SocketAddr> = match host {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|source| OutboundError::Resolve {
                host: host_name.clone(),
                source,
            })?
            .collect(),
    };
    // Every address must be allowed: a name resolving to one public and one private address
    // is refused rather than raced.
    if let Some(bad) = addresses
        .iter()
        .find(|a| !check_address(a.ip(), policy.allow_loopback))
    {
        return Err(OutboundError::Forbidden {
            host: host_name,
            address: bad.ip(),
        });
    }
    addresses
        .first()
        .copied()
        .ok_or(OutboundError::NoAddress { host: host_name })
}

/// Sends `request` (built on any client; only its method, URL, headers and body are used) to
/// its checked, pinned address, and reads the answer within the policy's limits.
pub async fn send(
    request: reqwest::Request,
    policy: &OutboundPolicy,
) -> Result<OutboundResponse, OutboundError> {
    let address = resolve(request.url(), policy).await?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout);
    for root in &policy.extra_roots {
        builder = builder.add_root_certificate(root.clone());
    }
    if let Some(Host::Domain(name)) = request.url().host() {
        builder = builder.resolve(name, address);
    }
    let client = builder.build().map_err(OutboundError::Client)?;
    let exchange = async {
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                OutboundError::Timeout(policy.timeout)
            } else {
                OutboundError::Transport(e)
            }
        };
        let mut response = client.execute(request).await.map_err(failed)?;
        let status = response.status();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|n| n > policy.max_response_bytes as u64)
        {
            return Err(OutboundError::TooLarge(policy.max_response_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > policy.max_response_bytes {
                return Err(OutboundError::TooLarge(policy.max_response_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(OutboundResponse {
            status,
            headers,
            body,
        })
    };
    tokio::time::timeout(policy.timeout, exchange)
        .await
        .map_err(|_| OutboundError::Timeout(policy.timeout))?
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn allowed(s: &str) -> bool {
        check_address(
            s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            false,
        )
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.170",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2001::1",
        ] {
            assert!(!allowed(bad), "{bad} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass_and_loopback_only_when_allowed() {
        for good in ["8.8.8.8", "52.96.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(allowed(good), "{good} must be allowed");
        }
        assert!(check_address("127.0.0.1".parse().unwrap(), true));
        assert!(check_address("::1".parse().unwrap(), true));
        assert!(!check_address("10.0.0.1".parse().unwrap(), true));
    }

    #[tokio::test]
    async fn urls_are_checked_before_any_connection() {
        let strict = OutboundPolicy::default();
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(matches!(
            resolve(&url("http://example.com/"), &strict).await,
            Err(OutboundError::Scheme(_))
        ));
        assert!(matches!(
            resolve(&url("https://127.0.0.1/hook"), &strict).await,
            Err(OutboundError::Forbidden { .. })
        ));
        assert!(matches!(
            resolve(&url("https://[::ffff:10.0.0.1]/"), &strict).await,
            Err(OutboundError::Forbidden { .. })
        ));
        assert!(matches!(
            resolve(&url("https://localhost/"), &strict).await,
            Err(OutboundError::Forbidden { .. })
        ));
        assert!(matches!(
            resolve(&url("https://user:pw@example.com/"), &strict).await,
            Err(OutboundError::Credentials)
        ));
        let tests = OutboundPolicy {
            allow_loopback: true,
            ..OutboundPolicy::default()
        };
        assert!(resolve(&url("http://127.0.0.1:9/"), &tests).await.is_ok());
        assert!(matches!(
            resolve(&url("ftp://127.0.0.1/"), &tests).await,
            Err(OutboundError::Scheme(_))
        ));
    }

    /// A certificate authority's certificate (its key was thrown away): only its shape matters.
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBqzCCAVGgAwIBAgIUIL/Yl6gmskXIJUVbBsLX5QK0VnUwCgYIKoZIzj0EAwIw\nKjEoMCYGA1UEAwwfYWV0aGVyMzY1IG91dGJvdW5kIHVuaXQgdGVzdCBDQTAgFw0y\nNjEyMDYxMzIxMDRaGA8yMTI2MTExMjEzMjEwNFowKjEoMCYGA1UEAwwfYWV0aGVy\nMzY1IG91dGJvdW5kIHVuaXQgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\nA0IABM1rPXVlUc/PmAasje6QyxzQu5WflAC26cGsO4l3PYVKMOK36acxficB55jy\n3BCevZbCTgbcTGdSI07j0qgvNByjUzBRMB0GA1UdDgQWBBSEjaHGhEBGZuS10lyU\nJf9K5uM4GzAfBgNVHSMEGDAWgBSEjaHGhEBGZuS10lyUJf9K5uM4GzAPBgNVHRMB\nAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIAH/vkXXjlCItEso0aESp62O2Fnf\nW/xkjy45144hJaq8AiEAtpg3k8NBBhDzVYUrj0WjvAAtq+YTYhWPZgJ3xpiH5Zw=\n-----END CERTIFICATE-----\n";

    #[test]
    fn extra_roots_must_be_a_readable_pem_bundle() {
        let dir = std::env::temp_dir().join(format!("aether365-roots-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("ca.pem");
        std::fs::write(&good, format!("{TEST_CA}{TEST_CA}")).unwrap();
        assert_eq!(load_extra_roots(&good).unwrap().len(), 2);
        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        assert!(matches!(
            load_extra_roots(&garbage),
            Err(ExtraRootsError::Empty { .. })
        ));
        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(load_extra_roots(&broken).is_err());
        assert!(matches!(
            load_extra_roots(&dir.join("missing.pem")),
            Err(ExtraRootsError::Read { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn extra_roots_open_no_address() {
        // Trusting another authority changes which certificates pass, never which addresses.
        let dir = std::env::temp_dir().join(format!("aether365-roots-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ca.pem"), TEST_CA).unwrap();
        let roots = load_extra_roots(&dir.join("ca.pem")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let policy = OutboundPolicy {
            extra_roots: roots,
            ..OutboundPolicy::default()
        };
        for bad in [
            "https://127.0.0.1/doc",
            "https://169.254.169.254/latest",
            "https://10.0.0.1/doc",
            "http://example.com/doc",
        ] {
            let request = reqwest::Request::new(reqwest::Method::GET, Url::parse(bad).unwrap());
            assert!(
                matches!(
                    send(request, &policy).await,
                    Err(OutboundError::Forbidden { .. } | OutboundError::Scheme(_))
                ),
                "{bad}"
            );
        }
    }

    /// A one-shot HTTP server on loopback answering every connection with `answer` after `delay`.
    async fn serve_once(answer: &'static [u8], delay: Duration) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let _ = socket.write_all(answer).await;
            }
        });
        Url::parse(&format!("http://127.0.0.1:{port}/doc")).unwrap()
    }

    fn get(url: Url) -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::GET, url)
    }

    #[tokio::test]
    async fn redirects_size_and_time_are_bounded() {
        let policy = OutboundPolicy {
            allow_loopback: true,
            timeout: Duration::from_millis(300),
            max_response_bytes: 16,
            extra_roots: Vec::new(),
        };
        let redirect = serve_once(
            b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\nContent-Length: 0\r\n\r\n",
            Duration::ZERO,
        )
        .await;
        let answer = send(get(redirect), &policy).await.unwrap();
        assert_eq!(answer.status, reqwest::StatusCode::FOUND, "never followed");

        let large = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n0123456789012345678901234567890123456789",
            Duration::ZERO,
        )
        .await;
        assert!(matches!(
            send(get(large), &policy).await,
            Err(OutboundError::TooLarge(16))
        ));

        let chunked = serve_once(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n",
            Duration::ZERO,
        )
        .await;
        assert!(matches!(
            send(get(chunked), &policy).await,
            Err(OutboundError::TooLarge(16))
        ));

        let slow = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Duration::from_secs(5),
        )
        .await;
        assert!(matches!(
            send(get(slow), &policy).await,
            Err(OutboundError::Timeout(_) | OutboundError::Transport(_))
        ));

        let small = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            Duration::ZERO,
        )
        .await;
        let answer = send(get(small), &policy).await.unwrap();
        assert_eq!(answer.body, b"ok");
    }
}
