//! Gathers one domain's DNS observations over real DNS with hickory-resolver.

use std::future::Future;
use std::time::Duration;

use aether365_engine::{DomainObservation, Lookup};
use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolveHosts, ResolverConfig,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{Name, ResolveError, TokioResolver};

use super::{DnsConfig, ExposureError};

/// A DNS client for exposure scans: no cache, no hosts file, one attempt per lookup.
pub struct DnsProbe {
    resolver: TokioResolver,
    timeout: Duration,
}

impl DnsProbe {
    /// A probe asking `config.nameserver`, or the system's resolvers when it is `None`.
    pub fn new(config: &DnsConfig) -> Result<DnsProbe, ExposureError> {
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
        Ok(DnsProbe {
            resolver: builder.build(),
            timeout: config.timeout,
        })
    }

    /// Observes `domain`: SPF (TXT at the apex), DMARC, both DKIM selectors, MX, MTA-STS,
    /// TLS-RPT and whether the zone is signed. Lookups run concurrently; none fails the whole.
    pub async fn observe(&self, domain: &str) -> DomainObservation {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
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
            self.signed(name("")),
        );
        DomainObservation {
            domain,
            spf_txt: spf,
            dmarc_txt: dmarc,
            dkim_selector1: dkim1,
            dkim_selector2: dkim2,
            mx,
            mta_sts_txt: mta_sts,
            tls_rpt_txt: tls_rpt,
            dnssec_signed: dnssec,
        }
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

    /// Whether the zone at `name` publishes DNSKEY records (is signed). An existing name
    /// without DNSKEY is `Found(false)`; a name that does not exist is `NotFound`.
    async fn signed(&self, name: Result<Name, String>) -> Lookup<bool> {
        self.bounded(name, |resolver, name| async move {
            match resolver.lookup(name, RecordType::DNSKEY).await {
                Ok(answer) => Ok(answer
                    .record_iter()
                    .any(|r| r.record_type() == RecordType::DNSKEY)),
                Err(e) if no_data(&e) => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Runs one lookup within the probe's timeout and classifies its outcome.
    async fn bounded<T, F, Fut>(&self, name: Result<Name, String>, lookup: F) -> Lookup<T>
    where
        F: FnOnce(TokioResolver, Name) -> Fut,
        Fut: Future<Output = Result<T, ResolveError>>,
    {
        let name = match name {
            Ok(name) => name,
            Err(reason) => return Lookup::Failed(reason),
        };
        let query = name.to_string();
        // The resolver has its own timeout; this bound also covers a TCP retry.
        let limit = self.timeout.saturating_mul(2) + Duration::from_millis(250);
        match tokio::time::timeout(limit, lookup(self.resolver.clone(), name)).await {
            Ok(Ok(value)) => Lookup::Found(value),
            Ok(Err(e)) => classify(&query, &e, self.timeout),
            Err(_) => Lookup::Failed(timed_out(&query, self.timeout)),
        }
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

/// Whether the name exists but has no record of the asked type (NOERROR, no answer).
fn no_data(e: &ResolveError) -> bool {
    e.proto().is_some_and(|p| {
        matches!(
            p.kind(),
            ProtoErrorKind::NoRecordsFound {
                response_code: ResponseCode::NoError,
                ..
            }
        )
    })
}

fn timed_out(query: &str, timeout: Duration) -> String {
    format!("{query}: no answer within {} ms", timeout.as_millis())
}

/// A name as text without its trailing dot, lower-cased.
fn fqdn_text(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}
