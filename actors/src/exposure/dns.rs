//! Gathers one domain's DNS observations over real DNS with hickory-resolver.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aether365_collector::host;
use aether365_engine::{DnssecProof, DnssecValidation, DomainObservation, Lookup, MtaStsFetch};
use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolveHosts, ResolverConfig,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::dnssec::rdata::DNSKEY;
use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{Name, ResolveError, TokioResolver};

use super::{DnsConfig, ExposureError};

/// The largest MTA-STS policy file read (RFC 8461 section 3.3 lets senders stop at 64 KiB).
const POLICY_LIMIT: usize = 64 * 1024;

/// A DNS client for exposure scans: no cache, no hosts file, one attempt per lookup; a second,
/// validating resolver for DNSSEC; an HTTPS client for MTA-STS policies.
pub struct DnsProbe {
    resolver: TokioResolver,
    validator: TokioResolver,
    trust_anchor_key_tags: Vec<u16>,
    http: reqwest::Client,
    mta_sts_url: String,
    timeout: Duration,
}

impl DnsProbe {
    /// A probe asking `config.nameserver`, or the system's resolvers when it is `None`.
    pub fn new(config: &DnsConfig) -> Result<DnsProbe, ExposureError> {
        let anchors = match &config.trust_anchor {
            Some(path) => {
                let failed = |reason: String| ExposureError::TrustAnchor {
                    path: path.display().to_string(),
                    reason,
                };
                let text = std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))?;
                let anchors = text
                    .parse::<TrustAnchors>()
                    .map_err(|e| failed(e.to_string()))?;
                if anchors.is_empty() {
                    return Err(failed("it holds no DNSKEY record".into()));
                }
                anchors
            }
            None => TrustAnchors::default(),
        };
        let trust_anchor_key_tags = (0..anchors.len())
            .filter_map(|i| anchors.get(i))
            .filter_map(|key| {
                DNSKEY::with_flags(257, key.clone())
                    .calculate_key_tag()
                    .ok()
            })
            .collect();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()
            .map_err(|e| ExposureError::Http(e.to_string()))?;
        Ok(DnsProbe {
            resolver: Self::resolver(config, false, None)?,
            validator: Self::resolver(config, true, Some(Arc::new(anchors)))?,
            trust_anchor_key_tags,
            http,
            mta_sts_url: config.mta_sts_url.clone(),
            timeout: config.timeout,
        })
    }

    fn resolver(
        config: &DnsConfig,
        validate: bool,
        anchors: Option<Arc<TrustAnchors>>,
    ) -> Result<TokioResolver, ExposureError> {
        let provider = TokioConnectionProvider::default();
        let mut builder = match config.nameserver {
            Some(addr) => {
                let mut group = NameServerConfigGroup::new();
                group.push(NameServerConfig::new(addr, Protocol::Udp));
                group.push(NameServerConfig::new(addr, Protocol::Tcp));
                TokioResolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], group),
                    provider,
                )
            }
            None => TokioResolver::builder(provider)
                .map_err(|e| ExposureError::Resolver(e.to_string()))?,
        };
        let options = builder.options_mut();
        options.timeout = config.timeout;
        options.attempts = 1;
        options.cache_size = 0;
        options.use_hosts_file = ResolveHosts::Never;
        options.ndots = 0;
        options.validate = validate;
        if let Some(anchors) = anchors {
            builder = builder.with_trust_anchor(anchors);
        }
        Ok(builder.build())
    }

    /// Observes `domain`: SPF (TXT at the apex), DMARC, both DKIM selectors, MX, MTA-STS (the
    /// TXT record, then the policy file when the record exists), TLS-RPT and DNSSEC
    /// validation. Lookups run concurrently; none fails the whole.
    ///
    /// The domain is tenant data: one that is not a DNS name ([`host::dns_name`]: no port,
    /// credentials, fragment, path or IP literal) is neither resolved nor put into the MTA-STS
    /// URL; every lookup of it fails with the reason.
    pub async fn observe(&self, domain: &str) -> DomainObservation {
        let domain = match host::dns_name(domain.trim()) {
            Ok(domain) => domain,
            Err(e) => return refused(domain, &e),
        };
        let name = |prefix: &str| -> Result<Name, String> {
            Name::from_ascii(format!("{prefix}{domain}."))
                .map_err(|e| format!("invalid domain name {domain:?}: {e}"))
        };
        let (spf, dmarc, dkim1, dkim2, mx, mta_sts, tls_rpt, dnssec) = tokio::join!(
            self.txt(name("")),
            self.txt(name("_dmarc.")),
            self.cname(name("selector1._domainkey.")),
            self.cname(name("selector2._domainkey.")),
            self.mx(name("")),
            self.txt(name("_mta-sts.")),
            self.txt(name("_smtp._tls.")),
            self.dnssec(name("")),
        );
        let publishes_sts = matches!(&mta_sts, Lookup::Found(records)
            if records.iter().any(|r| r.trim().to_ascii_lowercase().starts_with("v=stsv1")));
        let mta_sts_policy = if publishes_sts {
            self.policy(&domain).await
        } else {
            Lookup::Failed("not fetched: the domain publishes no MTA-STS record".into())
        };
        DomainObservation {
            domain,
            spf_txt: spf,
            dmarc_txt: dmarc,
            dkim_selector1: dkim1,
            dkim_selector2: dkim2,
            mx,
            mta_sts_txt: mta_sts,
            mta_sts_policy,
            tls_rpt_txt: tls_rpt,
            dnssec,
        }
    }

    /// Fetches `domain`'s MTA-STS policy file, without following redirects (RFC 8461 section
    /// 3.3); the certificate is verified against the web PKI roots.
    async fn policy(&self, domain: &str) -> Lookup<MtaStsFetch> {
        let url = self.mta_sts_url.replace("{domain}", domain);
        let fetched = async {
            let mut response = self.http.get(&url).send().await?;
            let status = response.status();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                body.extend_from_slice(&chunk);
                if body.len() > POLICY_LIMIT {
                    break;
                }
            }
            Ok::<_, reqwest::Error>((status, body))
        };
        match fetched.await {
            Ok((status, _)) if status == reqwest::StatusCode::NOT_FOUND => Lookup::NotFound,
            Ok((status, _)) if !status.is_success() => {
                Lookup::Failed(format!("{url} answered HTTP {status}"))
            }
            Ok((_, body)) if body.len() > POLICY_LIMIT => {
                Lookup::Failed(format!("{url} serves more than 64 KiB"))
            }
            Ok((_, body)) => match String::from_utf8(body) {
                Ok(body) => Lookup::Found(MtaStsFetch { url, body }),
                Err(_) => Lookup::Failed(format!("{url} does not serve UTF-8 text")),
            },
            Err(e) => Lookup::Failed(format!("{url}: {}", error_chain(&e))),
        }
    }

    /// Validates the DNSSEC chain of the domain's SOA RRset (its MX RRset when the domain is
    /// not a zone apex) from the trust anchor, with hickory's validator: the RRSIG over the
    /// RRset, the zone's DNSKEY set, the DS at each parent, up to a trust-anchor DNSKEY.
    async fn dnssec(&self, name: Result<Name, String>) -> Lookup<DnssecValidation> {
        let name = match name {
            Ok(name) => name,
            Err(reason) => return Lookup::Failed(reason),
        };
        for rtype in [RecordType::SOA, RecordType::MX] {
            // Validation walks the chain up to the root: DS and DNSKEY at every level.
            let found = self
                .bounded_on(
                    &self.validator,
                    6,
                    Ok(name.clone()),
                    |validator, query| async move {
                        match validator.lookup(query.clone(), rtype).await {
                            Ok(answer) => Ok(answer
                                .record_iter()
                                .filter(|r| r.record_type() == rtype && *r.name() == query)
                                .map(|r| r.proof())
                                .min()),
                            Err(e) => match e.proto().map(|p| p.kind()) {
                                // A negative answer whose NSEC proof did not validate.
                                Some(ProtoErrorKind::Nsec { proof, .. }) if !proof.is_secure() => {
                                    Ok(Some(*proof))
                                }
                                _ => Err(e),
                            },
                        }
                    },
                )
                .await;
            let proof = match found {
                Lookup::Found(Some(proof)) => proof,
                Lookup::Found(None) | Lookup::NotFound => continue,
                Lookup::Failed(reason) => return Lookup::Failed(reason),
            };
            let proof = match proof {
                Proof::Secure => DnssecProof::Secure,
                Proof::Insecure => DnssecProof::Insecure,
                Proof::Bogus => DnssecProof::Bogus,
                Proof::Indeterminate => {
                    return Lookup::Failed(format!(
                        "{name} {rtype}: the DNSSEC records needed to validate it could not be obtained"
                    ));
                }
            };
            return Lookup::Found(DnssecValidation {
                rrset: format!("{name} {rtype}"),
                proof,
                trust_anchor_key_tags: self.trust_anchor_key_tags.clone(),
            });
        }
        Lookup::NotFound
    }

    /// The TXT strings at `name` (a domain name without the trailing dot), each record's
    /// character-strings joined; CNAMEs are followed.
    pub async fn txt_at(&self, name: &str) -> Lookup<Vec<String>> {
        let name = Name::from_ascii(format!("{}.", name.trim().trim_end_matches('.')))
            .map_err(|e| format!("invalid domain name {name:?}: {e}"));
        self.txt(name).await
    }

    /// The TXT strings at `name`, each record's character-strings joined.
    async fn txt(&self, name: Result<Name, String>) -> Lookup<Vec<String>> {
        self.bounded(name, |resolver, name| async move {
            let answer = resolver.txt_lookup(name).await?;
            Ok(answer
                .iter()
                .map(|txt| {
                    txt.txt_data()
                        .iter()
                        .map(|chunk| String::from_utf8_lossy(chunk))
                        .collect::<String>()
                })
                .collect())
        })
        .await
    }

    /// The CNAME target of `name`, without the trailing dot.
    async fn cname(&self, name: Result<Name, String>) -> Lookup<String> {
        let found = self
            .bounded(name, |resolver, name| async move {
                let answer = resolver.lookup(name, RecordType::CNAME).await?;
                Ok(answer.iter().find_map(|rdata| match rdata {
                    RData::CNAME(target) => Some(fqdn_text(&target.0)),
                    _ => None,
                }))
            })
            .await;
        match found {
            Lookup::Found(Some(target)) => Lookup::Found(target),
            Lookup::Found(None) => Lookup::NotFound,
            Lookup::NotFound => Lookup::NotFound,
            Lookup::Failed(reason) => Lookup::Failed(reason),
        }
    }

    /// The MX records at `name` as (preference, exchange), lowest preference first.
    async fn mx(&self, name: Result<Name, String>) -> Lookup<Vec<(u16, String)>> {
        self.bounded(name, |resolver, name| async move {
            let answer = resolver.mx_lookup(name).await?;
            let mut records: Vec<(u16, String)> = answer
                .iter()
                .map(|mx| (mx.preference(), fqdn_text(mx.exchange())))
                .collect();
            records.sort();
            Ok(records)
        })
        .await
    }

    /// Runs one lookup within the probe's timeout and classifies its outcome.
    async fn bounded<T, F, Fut>(&self, name: Result<Name, String>, lookup: F) -> Lookup<T>
    where
        F: FnOnce(TokioResolver, Name) -> Fut,
        Fut: Future<Output = Result<T, ResolveError>>,
    {
        // The resolver has its own timeout; this bound also covers a TCP retry.
        self.bounded_on(&self.resolver, 2, name, lookup).await
    }

    /// Runs one lookup on `resolver` within `rounds` times the probe's timeout.
    async fn bounded_on<T, F, Fut>(
        &self,
        resolver: &TokioResolver,
        rounds: u32,
        name: Result<Name, String>,
        lookup: F,
    ) -> Lookup<T>
    where
        F: FnOnce(TokioResolver, Name) -> Fut,
        Fut: Future<Output = Result<T, ResolveError>>,
    {
        let name = match name {
            Ok(name) => name,
            Err(reason) => return Lookup::Failed(reason),
        };
        let query = name.to_string();
        let limit = self.timeout.saturating_mul(rounds) + Duration::from_millis(250);
        match tokio::time::timeout(limit, lookup(resolver.clone(), name)).await {
            Ok(Ok(value)) => Lookup::Found(value),
            Ok(Err(e)) => classify(&query, &e, self.timeout),
            Err(_) => Lookup::Failed(timed_out(&query, self.timeout)),
        }
    }
}

/// The observation of a domain that is not a DNS name: nothing asked, every lookup failed.
fn refused(domain: &str, e: &host::HostError) -> DomainObservation {
    fn failed<T>(e: &host::HostError) -> Lookup<T> {
        Lookup::Failed(format!("not looked up: {e}"))
    }
    DomainObservation {
        domain: domain.to_string(),
        spf_txt: failed(e),
        dmarc_txt: failed(e),
        dkim_selector1: failed(e),
        dkim_selector2: failed(e),
        mx: failed(e),
        mta_sts_txt: failed(e),
        mta_sts_policy: failed(e),
        tls_rpt_txt: failed(e),
        dnssec: failed(e),
    }
}

/// NXDOMAIN or an empty answer is `NotFound`; any other failure is `Failed` with the reason.
fn classify<T>(query: &str, e: &ResolveError, timeout: Duration) -> Lookup<T> {
    let Some(proto) = e.proto() else {
        return Lookup::Failed(format!("{query}: {e}"));
    };
    match proto.kind() {
        ProtoErrorKind::NoRecordsFound { response_code, .. } => match *response_code {
            ResponseCode::NXDomain | ResponseCode::NoError => Lookup::NotFound,
            code => Lookup::Failed(format!("{query}: the nameserver answered {code}")),
        },
        ProtoErrorKind::Timeout => Lookup::Failed(timed_out(query, timeout)),
        _ => Lookup::Failed(format!("{query}: {proto}")),
    }
}

/// An error with its sources, e.g. "error sending request: invalid peer certificate: ...".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text = format!("{text}: {line}");
        }
        source = cause.source();
    }
    text
}

fn timed_out(query: &str, timeout: Duration) -> String {
    format!("{query}: no answer within {} ms", timeout.as_millis())
}

/// A name as text without its trailing dot, lower-cased.
fn fqdn_text(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A tenant's domain that is not a DNS name is neither asked of the DNS server nor put into
    /// the MTA-STS URL: every lookup fails with the reason, and the server hears nothing.
    #[tokio::test]
    async fn a_domain_that_is_not_a_host_name_is_never_asked() {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let probe = DnsProbe::new(&DnsConfig {
            nameserver: Some(server.local_addr().unwrap()),
            timeout: Duration::from_millis(300),
            trust_anchor: None,
            mta_sts_url: "http://127.0.0.1:9/{domain}".into(),
        })
        .unwrap();
        for hostile in [
            "2130706433:18555#.onmicrosoft.com",
            "contoso.com:8443",
            "user@contoso.com",
            "contoso.com/x",
            "127.0.0.1",
        ] {
            let seen = probe.observe(hostile).await;
            let Lookup::Failed(reason) = &seen.spf_txt else {
                panic!("{hostile:?} was looked up: {:?}", seen.spf_txt);
            };
            assert!(reason.contains("not a DNS name"), "{reason}");
            assert!(matches!(seen.mta_sts_policy, Lookup::Failed(_)));
            assert!(matches!(seen.dnssec, Lookup::Failed(_)));
        }
        let mut buf = [0u8; 512];
        let heard =
            tokio::time::timeout(Duration::from_millis(200), server.recv_from(&mut buf)).await;
        assert!(heard.is_err(), "the DNS server was asked: {heard:?}");
        // An honest name is asked (and times out here: nobody answers).
        let seen = probe.observe("contoso.example").await;
        assert!(matches!(seen.spf_txt, Lookup::Failed(_)));
        let heard =
            tokio::time::timeout(Duration::from_millis(500), server.recv_from(&mut buf)).await;
        assert!(heard.is_ok(), "an honest domain was not asked");
    }
}
