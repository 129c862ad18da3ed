//! A small authoritative DNS responder on loopback UDP that publishes an export's mail records
//! (the SPF TXT records at each domain, DKIM TXT records at `selector1._domainkey.<domain>` and
//! DMARC TXT records at `_dmarc.<domain>`, as ScubaGear read them), plus whatever MX and TXT
//! records a test adds, and a DNSSEC hierarchy: a signed root, signed top-level zones, and each
//! domain zone signed, unsigned (its parent proves with NSEC that it has no DS) or bogus (its
//! DS matches a key that did not sign it). Answers carry RRSIGs when the query sets the DO bit.
//! Beside it, on loopback HTTP, the MTA-STS policy files a test adds
//! (`/{domain}/.well-known/mta-sts.txt`). Other names are NXDOMAIN.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_resolver::proto::dnssec::crypto::EcdsaSigningKey;
use hickory_resolver::proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS, NSEC, RRSIG};
use hickory_resolver::proto::dnssec::{Algorithm, DigestType, SigningKey, TBS};
use hickory_resolver::proto::op::{Edns, Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{MX, SOA, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use serde_json::Value;

/// How a domain's zone is signed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ZoneSigning {
    /// Not signed; the signed parent publishes no DS and proves it with NSEC.
    #[default]
    Unsigned,
    /// Signed, with its DS at the parent: the chain validates.
    Signed,
    /// Signed, but the parent's DS matches another key: validation fails.
    Bogus,
}

/// What the responder publishes: records by lower-case name (no trailing dot), the zones of
/// the domains, and the MTA-STS policy files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailZone {
    txt: HashMap<String, Vec<String>>,
    mx: HashMap<String, Vec<(u16, String)>>,
    cname: HashMap<String, String>,
    zones: BTreeMap<String, ZoneSigning>,
    mta_sts: HashMap<String, String>,
}

fn key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_lowercase()
}

impl MailZone {
    /// The records of an export's `spf_records`, `dkim_records` and `dmarc_records`; each
    /// domain of `spf_records` is an unsigned zone.
    pub fn from_export(export: &Value) -> MailZone {
        let mut zone = MailZone::default();
        for (field, prefix) in [
            ("spf_records", ""),
            ("dkim_records", "selector1._domainkey."),
            ("dmarc_records", "_dmarc."),
        ] {
            for entry in items(export.get(field)) {
                let Some(domain) = entry.get("domain").and_then(Value::as_str) else {
                    continue;
                };
                if field == "spf_records" {
                    zone.zones.entry(key(domain)).or_default();
                }
                let name = format!("{prefix}{}", key(domain));
                for text in items(entry.get("rdata"))
                    .into_iter()
                    .filter_map(Value::as_str)
                {
                    zone.add_txt(&name, text);
                }
            }
        }
        zone
    }

    /// Adds a TXT record at `name` (once).
    pub fn add_txt(&mut self, name: &str, text: &str) -> &mut Self {
        let list = self.txt.entry(key(name)).or_default();
        if !list.iter().any(|t| t == text) {
            list.push(text.to_string());
        }
        self
    }

    /// Adds an MX record at `domain`.
    pub fn add_mx(&mut self, domain: &str, preference: u16, exchange: &str) -> &mut Self {
        self.mx
            .entry(key(domain))
            .or_default()
            .push((preference, key(exchange)));
        self
    }

    /// Makes `name` an alias of `target`.
    pub fn add_cname(&mut self, name: &str, target: &str) -> &mut Self {
        self.cname.insert(key(name), key(target));
        self
    }

    /// Makes `domain` a zone of its own, signed as `signing`.
    pub fn set_zone(&mut self, domain: &str, signing: ZoneSigning) -> &mut Self {
        self.zones.insert(key(domain), signing);
        self
    }

    /// Serves `body` as `domain`'s MTA-STS policy file.
    pub fn add_mta_sts_policy(&mut self, domain: &str, body: &str) -> &mut Self {
        self.mta_sts.insert(key(domain), body.to_string());
        self
    }

    /// The TXT strings at `name`.
    pub fn txt(&self, name: &str) -> Option<&[String]> {
        self.txt.get(&key(name)).map(Vec::as_slice)
    }
}

fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().filter(|x| !x.is_null()).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// Errors starting the responder.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("cannot bind or run the responder: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot make a DNSSEC key or signature: {0}")]
    Dnssec(String),
    #[error("invalid domain name {0:?}")]
    Name(String),
}

fn dnssec_err(e: impl std::fmt::Display) -> DnsError {
    DnsError::Dnssec(e.to_string())
}

fn name(text: &str) -> Result<Name, DnsError> {
    if text.is_empty() {
        return Ok(Name::root());
    }
    Name::from_ascii(format!("{text}.")).map_err(|_| DnsError::Name(text.to_string()))
}

/// A zone's signing key: one ECDSA P-256 key with the zone and SEP flags (a combined KSK/ZSK).
struct ZoneKey {
    key: EcdsaSigningKey,
    dnskey: DNSKEY,
    tag: u16,
}

impl ZoneKey {
    fn generate() -> Result<ZoneKey, DnsError> {
        let algorithm = Algorithm::ECDSAP256SHA256;
        let pkcs8 = EcdsaSigningKey::generate_pkcs8(algorithm).map_err(dnssec_err)?;
        let key = EcdsaSigningKey::from_pkcs8(&pkcs8, algorithm).map_err(dnssec_err)?;
        let dnskey = DNSKEY::with_flags(257, key.to_public_key().map_err(dnssec_err)?);
        let tag = dnskey.calculate_key_tag().map_err(dnssec_err)?;
        Ok(ZoneKey { key, dnskey, tag })
    }

    /// The DS record naming this key, over the DNSKEY exactly as served (flags included).
    fn ds(&self, zone: &Name) -> Result<DS, DnsError> {
        let digest = self
            .dnskey
            .to_digest(zone, DigestType::SHA256)
            .map_err(dnssec_err)?;
        Ok(DS::new(
            self.tag,
            self.key.algorithm(),
            DigestType::SHA256,
            digest.as_ref().to_vec(),
        ))
    }
}

/// One zone as served: its apex, its signing key (none when unsigned), its records by
/// (owner, type), with their RRSIG when signed.
struct Zone {
    apex: Name,
    key: Option<ZoneKey>,
    rrsets: BTreeMap<(Name, RecordType), Vec<Record>>,
    rrsigs: HashMap<(Name, RecordType), Record>,
}

const TTL: u32 = 300;

impl Zone {
    fn new(apex: Name, key: Option<ZoneKey>) -> Zone {
        let mut zone = Zone {
            apex: apex.clone(),
            key,
            rrsets: BTreeMap::new(),
            rrsigs: HashMap::new(),
        };
        let host = |label: &str| {
            Name::from_ascii(label)
                .ok()
                .and_then(|l| l.append_domain(&apex).ok())
        };
        if let (Some(mname), Some(rname)) = (host("ns"), host("hostmaster")) {
            zone.add(
                apex.clone(),
                RData::SOA(SOA::new(mname, rname, 1, 3600, 600, 86400, TTL)),
            );
        }
        if let Some(dnskey) = zone.key.as_ref().map(|k| k.dnskey.clone()) {
            zone.add(apex, RData::DNSSEC(DNSSECRData::DNSKEY(dnskey)));
        }
        zone
    }

    fn add(&mut self, owner: Name, rdata: RData) {
        let rtype = rdata.record_type();
        self.rrsets
            .entry((owner.clone(), rtype))
            .or_default()
            .push(Record::from_rdata(owner, TTL, rdata));
    }

    /// Adds an NSEC at every owner name (in canonical order, the last pointing back at the
    /// apex), then signs every RRset with the zone's key.
    fn sign(&mut self, signer: Option<&ZoneKey>) -> Result<(), DnsError> {
        let Some(signer) = signer else {
            return Ok(());
        };
        let mut owners: Vec<Name> = self.rrsets.keys().map(|(n, _)| n.clone()).collect();
        // Name's order is DNSSEC's canonical order (RFC 4034 section 6.1).
        owners.sort();
        owners.dedup();
        for (i, owner) in owners.iter().enumerate() {
            let next = owners.get(i + 1).unwrap_or(&self.apex).clone();
            let types: Vec<RecordType> = self
                .rrsets
                .keys()
                .filter(|(n, _)| n == owner)
                .map(|(_, t)| *t)
                .chain([RecordType::RRSIG])
                .collect();
            self.add(
                owner.clone(),
                RData::DNSSEC(DNSSECRData::NSEC(NSEC::new_cover_self(next, types))),
            );
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        let inception = u32::try_from(now.saturating_sub(3600)).unwrap_or(u32::MAX);
        let expiration = u32::try_from(now + 7 * 86400).unwrap_or(u32::MAX);
        for ((owner, rtype), records) in &self.rrsets {
            let rrsig = |sig: Vec<u8>| {
                RRSIG::new(
                    *rtype,
                    signer.key.algorithm(),
                    owner.num_labels(),
                    TTL,
                    expiration,
                    inception,
                    signer.tag,
                    self.apex.clone(),
                    sig,
                )
            };
            let unsigned = Record::from_rdata(owner.clone(), TTL, rrsig(Vec::new()));
            let tbs = TBS::from_rrsig(&unsigned, records.iter()).map_err(dnssec_err)?;
            let sig = signer.key.sign(&tbs).map_err(dnssec_err)?;
            self.rrsigs.insert(
                (owner.clone(), *rtype),
                Record::from_rdata(
                    owner.clone(),
                    TTL,
                    RData::DNSSEC(DNSSECRData::RRSIG(rrsig(sig))),
                ),
            );
        }
        Ok(())
    }

    fn rrset(&self, owner: &Name, rtype: RecordType, dnssec: bool) -> Vec<Record> {
        let mut out = self
            .rrsets
            .get(&(owner.clone(), rtype))
            .cloned()
            .unwrap_or_default();
        if dnssec && !out.is_empty() {
            out.extend(self.rrsigs.get(&(owner.clone(), rtype)).cloned());
        }
        out
    }

    fn has_owner(&self, owner: &Name) -> bool {
        self.rrsets.keys().any(|(n, _)| n == owner)
    }

    /// The signed NSEC record whose owner is the last name at or before `name` in canonical
    /// order: the proof that nothing lies between it and its next name.
    fn covering_nsec(&self, name: &Name) -> Vec<Record> {
        let owner = self
            .rrsets
            .keys()
            .map(|(n, _)| n)
            .filter(|n| *n <= name)
            .max()
            .cloned();
        owner
            .map(|o| self.rrset(&o, RecordType::NSEC, true))
            .unwrap_or_default()
    }
}

/// The zones served, deepest first when looking a name up.
struct Authority {
    zones: Vec<Zone>,
    trust_anchor: DNSKEY,
    mta_sts: HashMap<String, String>,
}

impl Authority {
    fn build(data: &MailZone) -> Result<Authority, DnsError> {
        // The zone cuts: the root, the parent of each domain zone (signed), each domain zone.
        let mut cuts: BTreeMap<Name, ZoneSigning> = BTreeMap::new();
        cuts.insert(Name::root(), ZoneSigning::Signed);
        for (domain, signing) in &data.zones {
            let apex = name(domain)?;
            let mut parent = apex.base_name();
            while !parent.is_root() {
                cuts.entry(parent.clone()).or_insert(ZoneSigning::Signed);
                parent = parent.base_name();
            }
            cuts.insert(apex, *signing);
        }
        let mut keys: HashMap<Name, ZoneKey> = HashMap::new();
        let mut zones: Vec<Zone> = Vec::new();
        // Each zone's key, and for bogus zones a second key that only the DS names.
        let mut ds_keys: HashMap<Name, ZoneKey> = HashMap::new();
        for (apex, signing) in &cuts {
            if *signing != ZoneSigning::Unsigned {
                keys.insert(apex.clone(), ZoneKey::generate()?);
            }
            if *signing == ZoneSigning::Bogus {
                ds_keys.insert(apex.clone(), ZoneKey::generate()?);
            }
        }
        for apex in cuts.keys() {
            zones.push(Zone::new(apex.clone(), keys.remove(apex)));
        }
        let zone_index = |owner: &Name, zones: &[Zone]| -> Option<usize> {
            zones
                .iter()
                .enumerate()
                .filter(|(_, z)| z.apex.zone_of(owner))
                .max_by_key(|(_, z)| z.apex.num_labels())
                .map(|(i, _)| i)
        };
        // Delegations: NS at the cut in the parent; DS when the child is signed.
        for i in 0..zones.len() {
            let apex = zones[i].apex.clone();
            if apex.is_root() {
                continue;
            }
            let parent = apex.base_name();
            let Some(p) = zone_index(&parent, &zones) else {
                continue;
            };
            let ds = match (ds_keys.get(&apex), &zones[i].key) {
                (Some(other), _) => Some(other.ds(&apex)?),
                (None, Some(own)) => Some(own.ds(&apex)?),
                (None, None) => None,
            };
            let ns = Name::from_ascii("ns")
                .ok()
                .and_then(|l| l.append_domain(&apex).ok());
            if let Some(ns) = ns {
                zones[p].add(
                    apex.clone(),
                    RData::NS(hickory_resolver::proto::rr::rdata::NS(ns)),
                );
            }
            if let Some(ds) = ds {
                zones[p].add(apex, RData::DNSSEC(DNSSECRData::DS(ds)));
            }
        }
        // The mail records, in the zone that holds their name.
        let mut add = |owner: &str, rdata: RData| -> Result<(), DnsError> {
            let owner = name(owner)?;
            if let Some(z) = zone_index(&owner, &zones) {
                zones[z].add(owner, rdata);
            }
            Ok(())
        };
        for (owner, texts) in &data.txt {
            for text in texts {
                // A TXT character-string holds at most 255 bytes: long keys are split.
                let chunks: Vec<String> = text
                    .as_bytes()
                    .chunks(255)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                add(owner, RData::TXT(TXT::new(chunks)))?;
            }
        }
        for (owner, records) in &data.mx {
            for (preference, exchange) in records {
                add(owner, RData::MX(MX::new(*preference, name(exchange)?)))?;
            }
        }
        for (owner, target) in &data.cname {
            add(
                owner,
                RData::CNAME(hickory_resolver::proto::rr::rdata::CNAME(name(target)?)),
            )?;
        }
        let mut trust_anchor = None;
        for zone in &mut zones {
            let key = zone.key.take();
            zone.sign(key.as_ref())?;
            if zone.apex.is_root() {
                trust_anchor = key.as_ref().map(|k| k.dnskey.clone());
            }
            zone.key = key;
        }
        let trust_anchor =
            trust_anchor.ok_or_else(|| DnsError::Dnssec("the root zone has no key".into()))?;
        zones.sort_by_key(|z| std::cmp::Reverse(z.apex.num_labels()));
        Ok(Authority {
            zones,
            trust_anchor,
            mta_sts: data.mta_sts.clone(),
        })
    }

    /// The zone answering for `qname` and `qtype`: DS records live in the parent of a cut.
    fn zone_for(&self, qname: &Name, qtype: RecordType) -> Option<&Zone> {
        self.zones.iter().find(|z| {
            z.apex.zone_of(qname)
                && !(qtype == RecordType::DS && z.apex == *qname && !qname.is_root())
        })
    }

    fn answer(&self, request: &Message) -> Option<Message> {
        let query = request.queries().first()?.clone();
        let dnssec = request
            .extensions()
            .as_ref()
            .is_some_and(|e| e.flags().dnssec_ok);
        let mut response = Message::new();
        response
            .set_id(request.id())
            .set_message_type(MessageType::Response)
            .set_op_code(request.op_code())
            .set_recursion_desired(request.recursion_desired())
            .set_recursion_available(true)
            .set_authoritative(true)
            .add_query(query.clone());
        if let Some(edns) = request.extensions() {
            let mut out = Edns::new();
            out.set_max_payload(edns.max_payload().max(1232));
            out.set_dnssec_ok(dnssec);
            response.set_edns(out);
        }
        let qname = query.name().to_lowercase();
        let Some(zone) = self.zone_for(&qname, query.query_type()) else {
            response.set_response_code(ResponseCode::NXDomain);
            return Some(response);
        };
        let answers = zone.rrset(&qname, query.query_type(), dnssec);
        if !answers.is_empty() {
            response.add_answers(answers);
            return Some(response);
        }
        // Negative answer: the zone's SOA, and when signed, the NSEC at the name (no data) or
        // the NSECs covering the name and the closest encloser's wildcard (no such name).
        response.add_name_servers(zone.rrset(&zone.apex, RecordType::SOA, dnssec));
        if zone.has_owner(&qname) {
            if dnssec {
                response.add_name_servers(zone.rrset(&qname, RecordType::NSEC, true));
            }
        } else {
            response.set_response_code(ResponseCode::NXDomain);
            if dnssec {
                let mut proofs = zone.covering_nsec(&qname);
                let base = qname.base_name();
                if zone.apex.zone_of(&base) {
                    for record in zone.covering_nsec(&base) {
                        if !proofs.contains(&record) {
                            proofs.push(record);
                        }
                    }
                }
                response.add_name_servers(proofs);
            }
        }
        Some(response)
    }
}

/// A running responder (and its MTA-STS policy host); both stop when it is dropped.
pub struct DnsServer {
    addr: SocketAddr,
    http: SocketAddr,
    trust_anchor: DNSKEY,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DnsServer {
    /// Serves `zone` on 127.0.0.1 (an ephemeral UDP port, and an ephemeral TCP port for the
    /// MTA-STS policies) from a thread of its own.
    pub fn start(zone: MailZone) -> Result<DnsServer, DnsError> {
        let authority = Arc::new(Authority::build(&zone)?);
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
        socket.set_nonblocking(true)?;
        let addr = socket.local_addr()?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let http = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let trust_anchor = authority.trust_anchor.clone();
        let policies = Arc::new(authority.mta_sts.clone());
        std::thread::Builder::new()
            .name("standin-dns".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let Ok(socket) = tokio::net::UdpSocket::from_std(socket) else {
                        return;
                    };
                    let Ok(server) = policy_server(policies, listener) else {
                        return;
                    };
                    let handle = server.handle();
                    tokio::select! {
                        _ = serve(socket, authority) => {}
                        _ = server => {}
                        _ = stopped => {}
                    }
                    handle.stop(false).await;
                });
            })?;
        Ok(DnsServer {
            addr,
            http,
            trust_anchor,
            stop: Some(stop),
        })
    }

    /// The UDP address to use as the nameserver (`AETHER365_DNS_SERVER`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The trust anchor of the responder's DNSSEC hierarchy: its root DNSKEY as one zone-file
    /// line (the content of an `AETHER365_DNS_TRUST_ANCHOR` file).
    pub fn trust_anchor(&self) -> String {
        format!(
            "{}\n",
            Record::from_rdata(
                Name::root(),
                TTL,
                RData::DNSSEC(DNSSECRData::DNSKEY(self.trust_anchor.clone()))
            )
        )
    }

    /// The MTA-STS policy URL template, `{domain}` standing for the domain
    /// (`AETHER365_MTA_STS_URL`).
    pub fn mta_sts_url(&self) -> String {
        format!("http://{}/{{domain}}/.well-known/mta-sts.txt", self.http)
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The MTA-STS policy host: `GET /{domain}/.well-known/mta-sts.txt`, 404 for other domains.
fn policy_server(
    policies: Arc<HashMap<String, String>>,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    Ok(actix_web::HttpServer::new(move || {
        let policies = Arc::clone(&policies);
        actix_web::App::new().route(
            "/{domain}/.well-known/mta-sts.txt",
            actix_web::web::get().to(move |domain: actix_web::web::Path<String>| {
                let body = policies.get(&key(&domain)).cloned();
                async move {
                    match body {
                        Some(body) => actix_web::HttpResponse::Ok()
                            .content_type("text/plain")
                            .body(body),
                        None => actix_web::HttpResponse::NotFound().finish(),
                    }
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

async fn serve(socket: tokio::net::UdpSocket, authority: Arc<Authority>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            return;
        };
        let Ok(request) = Message::from_vec(&buf[..len]) else {
            continue;
        };
        let Some(response) = authority.answer(&request) else {
            continue;
        };
        if let Ok(bytes) = response.to_vec() {
            let _ = socket.send_to(&bytes, peer).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zone_from_export_records() {
        let zone = MailZone::from_export(&json!({
            "spf_records": [{"domain": "Contoso.com", "rdata": ["v=spf1 -all"]}],
            "dkim_records": {"domain": "contoso.com", "rdata": ["v=DKIM1; k=rsa; p=AB"]},
            "dmarc_records": [{"domain": "contoso.com", "rdata": ["v=DMARC1;p=reject"]}]
        }));
        assert_eq!(
            zone.txt("contoso.com."),
            Some(&["v=spf1 -all".to_string()][..])
        );
        assert_eq!(
            zone.txt("selector1._domainkey.contoso.com"),
            Some(&["v=DKIM1; k=rsa; p=AB".to_string()][..])
        );
        assert_eq!(
            zone.txt("_dmarc.contoso.com"),
            Some(&["v=DMARC1;p=reject".to_string()][..])
        );
        assert!(zone.txt("other.example").is_none());
        assert_eq!(zone.zones.get("contoso.com"), Some(&ZoneSigning::Unsigned));
    }
}
