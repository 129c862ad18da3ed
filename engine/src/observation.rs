//! What DNS lookups of one domain observed: the input of the exposure checks, gathered by the
//! scan's resolver and evaluated by [`crate::exposure`].

use serde::{Deserialize, Serialize};

/// The result of one DNS lookup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "value")]
pub enum Lookup<T> {
    /// The name resolved; the records found.
    Found(T),
    /// The resolver answered that no such record exists (NXDOMAIN or no data).
    NotFound,
    /// The lookup itself failed (timeout, SERVFAIL...); the reason.
    Failed(String),
}

impl<T> Default for Lookup<T> {
    /// An observation that was never made counts as a failed lookup, never as "no record".
    fn default() -> Self {
        Lookup::Failed("not looked up".to_string())
    }
}

/// Everything observed in public DNS for one domain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainObservation {
    /// The domain, e.g. "contoso.com".
    pub domain: String,
    /// TXT records at the domain (SPF lives here).
    pub spf_txt: Lookup<Vec<String>>,
    /// TXT records at `_dmarc.<domain>`.
    pub dmarc_txt: Lookup<Vec<String>>,
    /// CNAME target of `selector1._domainkey.<domain>`.
    pub dkim_selector1: Lookup<String>,
    /// CNAME target of `selector2._domainkey.<domain>`.
    pub dkim_selector2: Lookup<String>,
    /// MX records (preference, exchange).
    pub mx: Lookup<Vec<(u16, String)>>,
    /// TXT records at `_mta-sts.<domain>`.
    pub mta_sts_txt: Lookup<Vec<String>>,
    /// The MTA-STS policy file, fetched over HTTPS from
    /// `https://mta-sts.<domain>/.well-known/mta-sts.txt` when the domain publishes an MTA-STS
    /// TXT record (`NotFound`: the server answered 404; never fetched otherwise).
    pub mta_sts_policy: Lookup<MtaStsFetch>,
    /// TXT records at `_smtp._tls.<domain>`.
    pub tls_rpt_txt: Lookup<Vec<String>>,
    /// DNSSEC validation of the domain's records from the trust anchor.
    pub dnssec: Lookup<DnssecValidation>,
}

/// An MTA-STS policy file as fetched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MtaStsFetch {
    /// The URL it was fetched from.
    pub url: String,
    /// The body of the 200 answer.
    pub body: String,
}

/// The outcome of validating one RRset's DNSSEC chain of trust (RFC 4035 section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnssecProof {
    /// Every link validates: the trust anchor's DNSKEY signs the root DNSKEY set, each DS
    /// record is signed by its parent zone and matches a DNSKEY of the child, and the RRset's
    /// RRSIG verifies with a DNSKEY reached that way.
    Secure,
    /// Provably unsigned: a signed parent proves (NSEC/NSEC3) that no DS record exists for a
    /// zone on the path, so the records carry no chain of trust.
    Insecure,
    /// The chain should exist and does not validate: a bad or expired signature, a DNSKEY no DS
    /// matches, or DNSSEC records missing where the parent says they must be.
    Bogus,
}

/// DNSSEC validation of one domain: which RRset was validated, the verdict, and against
/// which trust anchor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DnssecValidation {
    /// The RRset whose chain was validated, e.g. "contoso.com. SOA".
    pub rrset: String,
    /// The verdict of the validation.
    pub proof: DnssecProof,
    /// Key tags of the trust-anchor DNSKEYs the chain has to lead to (the IANA root keys
    /// 20326 and 38696 unless the server is configured with another anchor).
    pub trust_anchor_key_tags: Vec<u16>,
}

/// Parses DMARC tags ("p", "rua"...) of one record.
pub(crate) fn dmarc_tag(record: &str, tag: &str) -> Option<String> {
    record.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(tag)).then(|| v.trim().to_string())
    })
}
