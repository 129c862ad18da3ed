//! Exposure scans against real DNS servers on loopback: the stand-in's DNSSEC hierarchy
//! (signed, unsigned and bogus zones validated from its root key) and MTA-STS policy host, and a
//! local responder for NXDOMAIN, SERVFAIL, garbage answers, malformed records and silence.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use aether365_actors::TenantScope;
use aether365_actors::cluster::Bus;
use aether365_actors::directory::{self, NewTenant};
use aether365_actors::exposure::{DnsConfig, DnsProbe};
use aether365_actors::scans::{
    ReleaseLeases, ScanConfig, ScanKind, ScanManager, ScanOrigin, ScanRequest, StartScan,
};
use aether365_actors::testkit;
use aether365_engine::{DnssecProof, Lookup, Status, exposure_checks};
use aether365_entities::{finding, scan};
use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{CNAME, MX, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use m365_standin::dns::{DnsServer, MailZone, ZoneSigning};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::net::UdpSocket;

use crate::support::wait_final;

type Zone = HashMap<(String, RecordType), Vec<RData>>;

fn name(text: &str) -> Name {
    Name::from_ascii(format!("{text}.")).unwrap()
}

fn txt(parts: &[&str]) -> RData {
    RData::TXT(TXT::new(parts.iter().map(|s| s.to_string()).collect()))
}

/// The local responder's zones: `good.example` with split SPF strings, `bare.example` with
/// nothing but an MX, `malformed.example` with broken records.
fn zone() -> Zone {
    let mut z: Zone = HashMap::new();
    let mut add =
        |n: &str, t: RecordType, r: RData| z.entry((n.to_string(), t)).or_default().push(r);
    // good.example: an SPF record split in two strings, as DNS allows.
    add(
        "good.example",
        RecordType::TXT,
        txt(&["v=spf1 include:spf.protection.outlook.com", " -all"]),
    );
    add("good.example", RecordType::TXT, txt(&["MS=ms12345678"]));
    add(
        "good.example",
        RecordType::MX,
        RData::MX(MX::new(0, name("good-example.mail.protection.outlook.com"))),
    );
    add(
        "_dmarc.good.example",
        RecordType::TXT,
        txt(&["v=DMARC1; p=reject; rua=mailto:dmarc@good.example"]),
    );
    add(
        "selector1._domainkey.good.example",
        RecordType::CNAME,
        RData::CNAME(CNAME(name(
            "selector1-good-example._domainkey.good.onmicrosoft.com",
        ))),
    );
    add(
        "selector2._domainkey.good.example",
        RecordType::CNAME,
        RData::CNAME(CNAME(name(
            "selector2-good-example._domainkey.good.onmicrosoft.com",
        ))),
    );
    add(
        "_mta-sts.good.example",
        RecordType::TXT,
        txt(&["v=STSv1; id=20240101"]),
    );
    add(
        "_smtp._tls.good.example",
        RecordType::TXT,
        txt(&["v=TLSRPTv1; rua=mailto:tls@good.example"]),
    );
    // bare.example: exists, no mail authentication at all.
    add(
        "bare.example",
        RecordType::MX,
        RData::MX(MX::new(10, name("mx.bare.example"))),
    );
    // malformed.example: records that are there but wrong.
    add("malformed.example", RecordType::TXT, txt(&["v=spf1 +all"]));
    add("malformed.example", RecordType::TXT, txt(&["v=spf1 -all"]));
    add(
        "_dmarc.malformed.example",
        RecordType::TXT,
        RData::TXT(TXT::from_bytes(vec![b"v=DMARC1; p=\xff\xfe banana"])),
    );
    add(
        "_mta-sts.malformed.example",
        RecordType::TXT,
        txt(&["v=STSv9"]),
    );
    z
}

/// A small authoritative DNS responder on loopback UDP. Names under `garbage.example` get
/// bytes that are not a DNS message; names under `servfail.example` get SERVFAIL.
async fn start_dns_server(zone: Zone) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let zone = Arc::new(zone);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let Ok(request) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            let Some(query) = request.queries().first().cloned() else {
                continue;
            };
            let qname = query
                .name()
                .to_ascii()
                .trim_end_matches('.')
                .to_ascii_lowercase();
            if qname.ends_with("garbage.example") {
                let id = request.id().to_be_bytes();
                let junk = [
                    id[0], id[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef,
                ];
                let _ = socket.send_to(&junk, peer).await;
                continue;
            }
            let mut response = Message::new();
            response
                .set_id(request.id())
                .set_message_type(MessageType::Response)
                .set_op_code(request.op_code())
                .set_recursion_desired(request.recursion_desired())
                .set_recursion_available(true)
                .set_authoritative(true)
                .add_query(query.clone());
            if qname.ends_with("servfail.example") {
                response.set_response_code(ResponseCode::ServFail);
            } else if let Some(records) = zone.get(&(qname.clone(), query.query_type())) {
                for rdata in records {
                    response.add_answer(Record::from_rdata(
                        query.name().clone(),
                        60,
                        rdata.clone(),
                    ));
                }
            } else if zone.keys().any(|(n, _)| *n == qname) {
                // The name exists without this type: NOERROR, no data.
            } else {
                response.set_response_code(ResponseCode::NXDomain);
            }
            let _ = socket.send_to(&response.to_vec().unwrap(), peer).await;
        }
    });
    addr
}

/// A UDP socket that reads queries and never answers.
async fn start_silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while socket.recv_from(&mut buf).await.is_ok() {}
    });
    (addr, task)
}

fn dns(addr: SocketAddr, timeout_ms: u64) -> DnsConfig {
    DnsConfig {
        nameserver: Some(addr),
        timeout: Duration::from_millis(timeout_ms),
        ..DnsConfig::default()
    }
}

const POLICY: &str =
    "version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n";

/// The stand-in's zones: `good.example` signed and passing everything; `bare.example` unsigned
/// with only an MX; `bogus.example` signed with a key its DS does not match; `testing.example`
/// with an MTA-STS policy in testing mode; `nopolicy.example` with an MTA-STS record and no
/// policy file.
fn standin_zone() -> MailZone {
    let mut z = MailZone::default();
    z.set_zone("good.example", ZoneSigning::Signed)
        .add_txt(
            "good.example",
            "v=spf1 include:spf.protection.outlook.com -all",
        )
        .add_mx(
            "good.example",
            0,
            "good-example.mail.protection.outlook.com",
        )
        .add_txt(
            "_dmarc.good.example",
            "v=DMARC1; p=reject; rua=mailto:dmarc@good.example",
        )
        .add_cname(
            "selector1._domainkey.good.example",
            "selector1-good-example._domainkey.good.onmicrosoft.com",
        )
        .add_cname(
            "selector2._domainkey.good.example",
            "selector2-good-example._domainkey.good.onmicrosoft.com",
        )
        .add_txt("_mta-sts.good.example", "v=STSv1; id=20240101")
        .add_mta_sts_policy("good.example", POLICY)
        .add_txt(
            "_smtp._tls.good.example",
            "v=TLSRPTv1; rua=mailto:tls@good.example",
        );
    z.set_zone("bare.example", ZoneSigning::Unsigned)
        .add_mx("bare.example", 10, "mx.bare.example");
    z.set_zone("bogus.example", ZoneSigning::Bogus).add_mx(
        "bogus.example",
        0,
        "bogus-example.mail.protection.outlook.com",
    );
    z.set_zone("testing.example", ZoneSigning::Signed)
        .add_mx(
            "testing.example",
            0,
            "testing-example.mail.protection.outlook.com",
        )
        .add_txt("_mta-sts.testing.example", "v=STSv1; id=1")
        .add_mta_sts_policy(
            "testing.example",
            "version: STSv1\nmode: testing\nmx: *.mail.protection.outlook.com\nmax_age: 86400\n",
        );
    z.set_zone("nopolicy.example", ZoneSigning::Signed)
        .add_mx(
            "nopolicy.example",
            0,
            "nopolicy-example.mail.protection.outlook.com",
        )
        .add_txt("_mta-sts.nopolicy.example", "v=STSv1; id=1");
    z
}

/// The stand-in, and a probe trusting its root key (written to a file, as the server reads it).
fn standin_probe() -> (DnsServer, DnsConfig, tempfile::NamedTempFile) {
    let server = DnsServer::start(standin_zone()).unwrap();
    let anchor = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(anchor.path(), server.trust_anchor()).unwrap();
    let config = DnsConfig {
        trust_anchor: Some(anchor.path().to_path_buf()),
        mta_sts_url: server.mta_sts_url(),
        ..dns(server.addr(), 2000)
    };
    (server, config, anchor)
}

fn finding(obs: &aether365_engine::DomainObservation, id: &str) -> aether365_engine::Finding {
    aether365_engine::evaluate_domain(obs)
        .into_iter()
        .find(|f| f.check_id == id)
        .unwrap()
}

fn failed<T: std::fmt::Debug>(lookup: &Lookup<T>) -> &str {
    match lookup {
        Lookup::Failed(reason) => reason,
        other => panic!("expected a failed lookup, got {other:?}"),
    }
}

#[tokio::test]
async fn observes_a_passing_domain() {
    let (server, config, _anchor) = standin_probe();
    let probe = DnsProbe::new(&config).unwrap();
    let obs = probe.observe("Good.Example.").await;
    assert_eq!(obs.domain, "good.example");
    assert_eq!(
        obs.spf_txt,
        Lookup::Found(vec![
            "v=spf1 include:spf.protection.outlook.com -all".into()
        ])
    );
    assert!(matches!(&obs.dmarc_txt, Lookup::Found(v) if v[0].starts_with("v=DMARC1; p=reject")));
    assert_eq!(
        obs.dkim_selector1,
        Lookup::Found("selector1-good-example._domainkey.good.onmicrosoft.com".into())
    );
    assert_eq!(
        obs.dkim_selector2,
        Lookup::Found("selector2-good-example._domainkey.good.onmicrosoft.com".into())
    );
    assert_eq!(
        obs.mx,
        Lookup::Found(vec![(0, "good-example.mail.protection.outlook.com".into())])
    );
    assert!(
        matches!(&obs.mta_sts_txt, Lookup::Found(v) if v == &vec!["v=STSv1; id=20240101".to_string()])
    );
    let Lookup::Found(policy) = &obs.mta_sts_policy else {
        panic!("{:?}", obs.mta_sts_policy)
    };
    assert_eq!(policy.body, POLICY);
    assert_eq!(
        policy.url,
        server.mta_sts_url().replace("{domain}", "good.example")
    );
    assert!(matches!(&obs.tls_rpt_txt, Lookup::Found(v) if v[0].starts_with("v=TLSRPTv1")));
    let Lookup::Found(dnssec) = &obs.dnssec else {
        panic!("{:?}", obs.dnssec)
    };
    assert_eq!(dnssec.proof, DnssecProof::Secure);
    assert_eq!(dnssec.rrset, "good.example. SOA");
    assert_eq!(dnssec.trust_anchor_key_tags.len(), 1);
    for f in aether365_engine::evaluate_domain(&obs) {
        assert_eq!(f.status, Status::Pass, "{}: {}", f.check_id, f.message);
    }
}

#[tokio::test]
async fn dnssec_is_validated_from_the_trust_anchor() {
    let (server, config, _anchor) = standin_probe();
    let probe = DnsProbe::new(&config).unwrap();
    let proof = |obs: &aether365_engine::DomainObservation| match &obs.dnssec {
        Lookup::Found(v) => v.proof,
        other => panic!("{}: {other:?}", obs.domain),
    };
    // Unsigned, and its signed parent proves (NSEC) that it has no DS: insecure, a failure.
    let bare = probe.observe("bare.example").await;
    assert_eq!(proof(&bare), DnssecProof::Insecure);
    let f = finding(&bare, "EXP.DNSSEC.1");
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("not DNSSEC-signed"), "{}", f.message);
    // Signed, with DNSKEY records and RRSIGs, but the parent's DS names another key: bogus.
    // The mere presence of DNSKEY records does not pass.
    let bogus = probe.observe("bogus.example").await;
    assert_eq!(proof(&bogus), DnssecProof::Bogus);
    assert_eq!(finding(&bogus, "EXP.DNSSEC.1").status, Status::Fail);
    // A name that does not exist, proven by signed NSEC records: nothing to validate.
    let missing = probe.observe("missing.example").await;
    assert_eq!(missing.dnssec, Lookup::NotFound);
    assert_eq!(finding(&missing, "EXP.DNSSEC.1").status, Status::Fail);
    // The same signed zone, validated from the IANA root keys instead of the stand-in's root:
    // the chain leads to a key that is not trusted, so it is bogus.
    let iana = DnsProbe::new(&dns(server.addr(), 2000)).unwrap();
    let good = iana.observe("good.example").await;
    let Lookup::Found(v) = &good.dnssec else {
        panic!("{:?}", good.dnssec)
    };
    assert_eq!(v.proof, DnssecProof::Bogus);
    assert_eq!(v.trust_anchor_key_tags, vec![20326, 38696]);
    let f = finding(&good, "EXP.DNSSEC.1");
    assert!(f.message.contains("20326, 38696"), "{}", f.message);
}

#[tokio::test]
async fn mta_sts_policies_are_fetched_and_judged() {
    let (_server, config, _anchor) = standin_probe();
    let probe = DnsProbe::new(&config).unwrap();
    let testing = probe.observe("testing.example").await;
    assert!(
        matches!(&testing.mta_sts_policy, Lookup::Found(p) if p.body.contains("mode: testing"))
    );
    let f = finding(&testing, "EXP.MTASTS.1");
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("mode testing"), "{}", f.message);
    // A record without a policy file: the policy host answers 404.
    let nopolicy = probe.observe("nopolicy.example").await;
    assert_eq!(nopolicy.mta_sts_policy, Lookup::NotFound);
    assert_eq!(finding(&nopolicy, "EXP.MTASTS.1").status, Status::Fail);
    // No MTA-STS record: the policy is not fetched at all.
    let bare = probe.observe("bare.example").await;
    assert!(matches!(&bare.mta_sts_policy, Lookup::Failed(r) if r.starts_with("not fetched")));
    // A policy host that refuses connections: an error naming the URL, not a verdict.
    let refused = DnsProbe::new(&DnsConfig {
        mta_sts_url: "http://127.0.0.1:9/{domain}/.well-known/mta-sts.txt".into(),
        ..config.clone()
    })
    .unwrap();
    let good = refused.observe("good.example").await;
    let f = finding(&good, "EXP.MTASTS.1");
    assert_eq!(f.status, Status::Error, "{}", f.message);
    assert!(f.message.contains("127.0.0.1:9"), "{}", f.message);
}

#[tokio::test]
async fn an_unreadable_trust_anchor_is_a_clear_error() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    for path in [
        std::path::PathBuf::from("/nonexistent/anchor.key"),
        empty.path().to_path_buf(),
    ] {
        let Err(e) = DnsProbe::new(&DnsConfig {
            trust_anchor: Some(path.clone()),
            ..DnsConfig::default()
        }) else {
            panic!("{path:?} accepted")
        };
        assert!(e.to_string().contains("trust anchor"), "{e}");
    }
}

#[tokio::test]
async fn missing_records_and_missing_domains_are_not_found() {
    let addr = start_dns_server(zone()).await;
    let probe = DnsProbe::new(&dns(addr, 2000)).unwrap();

    // An SPF record split in two character-strings is read joined, as DNS allows.
    let split = probe.observe("good.example").await;
    assert!(
        matches!(&split.spf_txt, Lookup::Found(v) if v.contains(&"v=spf1 include:spf.protection.outlook.com -all".to_string())),
        "{:?}",
        split.spf_txt
    );

    let bare = probe.observe("bare.example").await;
    assert_eq!(bare.spf_txt, Lookup::NotFound);
    assert_eq!(bare.dmarc_txt, Lookup::NotFound);
    assert_eq!(bare.dkim_selector1, Lookup::NotFound);
    assert_eq!(bare.mx, Lookup::Found(vec![(10, "mx.bare.example".into())]));
    let findings = aether365_engine::evaluate_domain(&bare);
    let spf = findings
        .iter()
        .find(|f| f.check_id.contains("SPF"))
        .unwrap();
    assert_eq!(spf.status, Status::Fail, "{}", spf.message);

    let missing = probe.observe("missing.example").await;
    assert_eq!(missing.spf_txt, Lookup::NotFound);
    assert_eq!(missing.mx, Lookup::NotFound);
}

#[tokio::test]
async fn malformed_records_are_reported_as_found_and_judged_by_the_engine() {
    let addr = start_dns_server(zone()).await;
    let probe = DnsProbe::new(&dns(addr, 2000)).unwrap();
    let obs = probe.observe("malformed.example").await;
    let Lookup::Found(spf) = &obs.spf_txt else {
        panic!("{:?}", obs.spf_txt)
    };
    assert_eq!(spf.len(), 2);
    // Invalid UTF-8 survives as replacement characters, never a panic.
    let Lookup::Found(dmarc) = &obs.dmarc_txt else {
        panic!("{:?}", obs.dmarc_txt)
    };
    assert!(dmarc[0].contains('\u{FFFD}'), "{dmarc:?}");
    let findings = aether365_engine::evaluate_domain(&obs);
    assert_eq!(findings.len(), exposure_checks().len());
    for id in ["SPF", "DMARC", "MTASTS"] {
        let f = findings
            .iter()
            .find(|f| f.check_id.replace('-', "").contains(id))
            .unwrap();
        assert_ne!(f.status, Status::Pass, "{}: {}", f.check_id, f.message);
    }
}

#[tokio::test]
async fn servfail_and_garbage_answers_fail_with_a_reason() {
    let addr = start_dns_server(zone()).await;
    let probe = DnsProbe::new(&dns(addr, 500)).unwrap();

    let obs = probe.observe("servfail.example").await;
    assert!(
        failed(&obs.spf_txt).contains("SERVFAIL")
            || failed(&obs.spf_txt).contains("Server Failure"),
        "{:?}",
        obs.spf_txt
    );
    assert!(!failed(&obs.mx).is_empty());

    let started = Instant::now();
    let obs = probe.observe("garbage.example").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    for reason in [
        failed(&obs.spf_txt),
        failed(&obs.dmarc_txt),
        failed(&obs.dkim_selector1),
        failed(&obs.dnssec),
    ] {
        assert!(!reason.is_empty());
    }
    let findings = aether365_engine::evaluate_domain(&obs);
    assert!(
        findings.iter().all(|f| f.status == Status::Error),
        "{findings:#?}"
    );
    assert!(findings.iter().all(|f| !f.message.is_empty()));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (addr, _server) = start_silent_server().await;
    let probe = DnsProbe::new(&dns(addr, 300)).unwrap();
    let started = Instant::now();
    let obs = probe.observe("good.example").await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(2),
        "lookups run at once and are bounded: {elapsed:?}"
    );
    let reason = failed(&obs.spf_txt);
    assert!(
        reason.contains("300 ms") || reason.to_lowercase().contains("timed out"),
        "{reason}"
    );
    failed(&obs.mx);
    failed(&obs.dnssec);
}

#[tokio::test]
async fn an_invalid_domain_name_fails_without_a_lookup() {
    let (addr, _server) = start_silent_server().await;
    let probe = DnsProbe::new(&dns(addr, 300)).unwrap();
    let obs = probe.observe("bad..name").await;
    assert!(failed(&obs.spf_txt).contains("not looked up"));
}

// ---- exposure scans through the scan manager ----

async fn tenant(db: &DatabaseConnection, domains: &[&str]) -> (i64, i64) {
    let org = directory::create_organisation(db, &format!("Exposure Org {}", domains.join(" ")))
        .await
        .unwrap();
    let t = directory::add_tenant(
        db,
        org.id,
        NewTenant {
            display_name: "Exposed".into(),
            microsoft_tenant_id: None,
            domains: domains.iter().map(|d| d.to_string()).collect(),
        },
    )
    .await
    .unwrap();
    (org.id, t.id)
}

async fn exposure_scan(
    db: &DatabaseConnection,
    config: DnsConfig,
    domains: &[&str],
) -> (scan::Model, Vec<finding::Model>) {
    let (org, tenant_id) = tenant(db, domains).await;
    let manager = ScanManager::new(
        db.clone(),
        ScanConfig {
            dns: config,
            ..Default::default()
        },
        Bus::start(db, "exposure-test"),
    )
    .start();
    let ticket = manager
        .send(StartScan(ScanRequest {
            organisation_id: org,
            tenant_id,
            tenant_scope: TenantScope::All,
            kind: ScanKind::Exposure,
            origin: ScanOrigin::Mcp,
            requested_by_user_id: None,
            requested_by_token_id: Some(7),
            ai_pilot: false,
        }))
        .await
        .unwrap()
        .unwrap();
    let row = wait_final(db, ticket.scan_id, Duration::from_secs(10)).await;
    // This manager is one instance of a cluster sharing `db`: drained, it claims nothing
    // more, so a later scan of the test runs with that scan's own DNS configuration.
    manager.send(ReleaseLeases).await.unwrap().unwrap();
    let findings = finding::Entity::find()
        .filter(finding::Column::ScanId.eq(row.id))
        .all(db)
        .await
        .unwrap();
    (row, findings)
}

#[actix::test]
async fn exposure_scan_completes_with_pass_fail_and_error_findings() {
    let (_server, config, _anchor) = standin_probe();
    let addr = start_dns_server(zone()).await;
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let (row, mut findings) = exposure_scan(
            db,
            config.clone(),
            &["good.example", "bare.example", "missing.example"],
        )
        .await;
        // Garbage answers come from the local responder, in a scan of their own.
        let (garbage_row, garbage) = exposure_scan(db, dns(addr, 500), &["garbage.example"]).await;
        assert_eq!(garbage_row.status, "completed", "{:?}", garbage_row.error);
        findings.extend(garbage);
        assert_eq!(row.status, "completed", "{:?}", row.error);
        assert_eq!(row.kind, "exposure");
        assert_eq!(row.origin, "mcp");
        let per_domain = exposure_checks().len();
        assert_eq!(findings.len(), 4 * per_domain);
        assert_eq!(row.progress_total, (3 * per_domain) as i32);
        assert_eq!(row.progress_done, row.progress_total);
        let of = |domain: &str| -> Vec<&finding::Model> {
            findings
                .iter()
                .filter(|f| f.evidence["domain"] == domain)
                .collect()
        };
        assert!(of("good.example").iter().all(|f| f.status == "pass"));
        assert!(of("bare.example").iter().any(|f| f.status == "fail"));
        assert!(of("missing.example").iter().any(|f| f.status == "fail"));
        let garbage = of("garbage.example");
        assert_eq!(garbage.len(), per_domain);
        let wrong: Vec<String> = garbage
            .iter()
            .filter(|f| f.status != "error" || f.message.is_empty())
            .map(|f| format!("{}: {} {}", f.check_id, f.status, f.message))
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        assert!(findings.iter().all(|f| f.service == "dns"));
        assert_eq!(row.error_count, 0);
        assert_eq!(garbage_row.error_count, per_domain as i32);
        assert_eq!(
            row.pass_count
                + row.fail_count
                + row.manual_count
                + row.error_count
                + row.not_applicable_count,
            (3 * per_domain) as i32
        );
        assert!(row.score.is_some());
        assert!(row.summary.is_some());
    }
}

#[actix::test]
async fn exposure_scan_against_a_silent_server_still_completes() {
    let (addr, _server) = start_silent_server().await;
    for test_db in testkit::databases().await {
        let db = &test_db.db;
        let started = Instant::now();
        let (row, findings) = exposure_scan(db, dns(addr, 200), &["good.example"]).await;
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(row.status, "completed");
        assert_eq!(findings.len(), exposure_checks().len());
        assert!(
            findings.iter().all(|f| f.status == "error"),
            "{findings:#?}"
        );
    }
}
