//! External exposure checks: pure evaluation of DNS observations (SPF, DMARC, DKIM, MX,
//! MTA-STS, TLS-RPT, DNSSEC) gathered elsewhere for one domain.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalogue::{Check, Evaluator};
use crate::checks::Outcome;
use crate::model::{Finding, Service, Severity};

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
    /// TXT records at `_smtp._tls.<domain>`.
    pub tls_rpt_txt: Lookup<Vec<String>>,
    /// Whether the zone is DNSSEC-signed.
    pub dnssec_signed: Lookup<bool>,
}

/// Exposure checks share the compliance check type; they evaluate a [`DomainObservation`].
pub type ExposureCheck = Check;

/// Unwraps a lookup: `Failed` becomes an `Error` outcome, `NotFound` becomes `None`.
macro_rules! looked_up {
    ($obs:expr, $field:ident, $what:literal) => {
        match &$obs.$field {
            Lookup::Found(v) => Some(v),
            Lookup::NotFound => None,
            Lookup::Failed(reason) => {
                return Outcome {
                    status: crate::model::Status::Error,
                    message: format!("The {} lookup for {} failed: {}.", $what, $obs.domain, reason),
                    evidence: json!({ "domain": $obs.domain, "lookup": $what, "error": reason }),
                }
            }
        }
    };
}

fn txt_starting<'a>(records: Option<&'a Vec<String>>, prefix: &str) -> Vec<&'a String> {
    records
        .map(|r| {
            r.iter()
                .filter(|t| {
                    t.trim()
                        .to_ascii_lowercase()
                        .starts_with(&prefix.to_ascii_lowercase())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn spf(obs: &DomainObservation) -> Outcome {
    let txt = looked_up!(obs, spf_txt, "SPF (TXT)");
    let spf = txt_starting(txt, "v=spf1");
    let ev = json!({ "domain": obs.domain, "spf_records": spf });
    let [record] = spf.as_slice() else {
        return Outcome::fail(
            if spf.is_empty() {
                format!("{} publishes no SPF record.", obs.domain)
            } else {
                format!(
                    "{} publishes {} SPF records; receivers treat that as an error.",
                    obs.domain,
                    spf.len()
                )
            },
            ev,
        );
    };
    let r = record.to_ascii_lowercase();
    let terms: Vec<&str> = r.split_whitespace().collect();
    let strict_end = matches!(terms.last(), Some(&"-all") | Some(&"~all"));
    let includes_m365 = terms.contains(&"include:spf.protection.outlook.com");
    Outcome::verdict(
        strict_end && includes_m365,
        format!(
            "{}'s SPF record includes Microsoft 365 and ends in a fail mechanism.",
            obs.domain
        ),
        format!(
            "{}'s SPF record {}.",
            obs.domain,
            if !includes_m365 {
                "does not include spf.protection.outlook.com"
            } else {
                "does not end in -all or ~all"
            }
        ),
        ev,
    )
}

fn dmarc(obs: &DomainObservation) -> Outcome {
    let txt = looked_up!(obs, dmarc_txt, "DMARC (TXT)");
    let recs = txt_starting(txt, "v=DMARC1");
    let ev = json!({ "domain": obs.domain, "dmarc_records": recs });
    let Some(rec) = recs.first() else {
        return Outcome::fail(
            format!(
                "{} publishes no DMARC record at _dmarc.{}.",
                obs.domain, obs.domain
            ),
            ev,
        );
    };
    let policy = crate::checks::exchange::dmarc_tag(rec, "p")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let rua = crate::checks::exchange::dmarc_tag(rec, "rua").is_some_and(|v| !v.is_empty());
    let enforcing = policy == "quarantine" || policy == "reject";
    Outcome::verdict(
        enforcing && rua,
        format!(
            "{}'s DMARC policy is p={policy} with aggregate reports.",
            obs.domain
        ),
        format!(
            "{}'s DMARC record {}.",
            obs.domain,
            if !enforcing {
                format!("has policy p={policy}, which does not quarantine or reject")
            } else {
                "requests no aggregate reports (rua)".to_string()
            }
        ),
        ev,
    )
}

fn dkim(obs: &DomainObservation) -> Outcome {
    let s1 = looked_up!(obs, dkim_selector1, "DKIM selector1 (CNAME)");
    let s2 = looked_up!(obs, dkim_selector2, "DKIM selector2 (CNAME)");
    let ev = json!({ "domain": obs.domain, "selector1": s1, "selector2": s2 });
    Outcome::verdict(
        s1.is_some() && s2.is_some(),
        format!(
            "{} publishes both Microsoft 365 DKIM selector CNAMEs.",
            obs.domain
        ),
        format!(
            "{} is missing the selector1/selector2 DKIM CNAME records.",
            obs.domain
        ),
        ev,
    )
}

fn mx(obs: &DomainObservation) -> Outcome {
    let recs = looked_up!(obs, mx, "MX");
    let hosts: Vec<Value> = recs
        .map(|r| {
            r.iter()
                .map(|(p, h)| json!({ "preference": p, "exchange": h }))
                .collect()
        })
        .unwrap_or_default();
    let ev = json!({ "domain": obs.domain, "mx": hosts });
    let Some(recs) = recs.filter(|r| !r.is_empty()) else {
        return Outcome::fail(format!("{} has no MX record.", obs.domain), ev);
    };
    let ok = recs.iter().all(|(_, h)| {
        h.trim_end_matches('.')
            .to_ascii_lowercase()
            .ends_with(".mail.protection.outlook.com")
    });
    Outcome::verdict(
        ok,
        format!(
            "{}'s MX records point to Exchange Online Protection.",
            obs.domain
        ),
        format!(
            "{} has MX records that do not point to *.mail.protection.outlook.com.",
            obs.domain
        ),
        ev,
    )
}

fn txt_present(
    obs: &DomainObservation,
    recs: Option<&Vec<String>>,
    prefix: &str,
    needle: &str,
    name: &str,
) -> Outcome {
    let found: Vec<&String> = txt_starting(recs, prefix)
        .into_iter()
        .filter(|r| r.to_ascii_lowercase().replace(' ', "").contains(needle))
        .collect();
    Outcome::verdict(
        !found.is_empty(),
        format!("{} publishes a {name} record.", obs.domain),
        format!("{} publishes no valid {name} record.", obs.domain),
        json!({ "domain": obs.domain, "records": found }),
    )
}

fn mta_sts(obs: &DomainObservation) -> Outcome {
    let recs = looked_up!(obs, mta_sts_txt, "MTA-STS (TXT)");
    txt_present(obs, recs, "v=STSv1", "id=", "MTA-STS")
}

fn tls_rpt(obs: &DomainObservation) -> Outcome {
    let recs = looked_up!(obs, tls_rpt_txt, "TLS-RPT (TXT)");
    txt_present(obs, recs, "v=TLSRPTv1", "rua=", "TLS-RPT")
}

fn dnssec(obs: &DomainObservation) -> Outcome {
    let signed = looked_up!(obs, dnssec_signed, "DNSSEC")
        .copied()
        .unwrap_or(false);
    Outcome::verdict(
        signed,
        format!("{}'s zone is DNSSEC-signed.", obs.domain),
        format!("{}'s zone is not DNSSEC-signed.", obs.domain),
        json!({ "domain": obs.domain, "dnssec_signed": signed }),
    )
}

macro_rules! exposure {
    ($id:literal, $title:literal, $sev:ident, $eval:path, $rat:literal, $steps:literal, $url:literal) => {
        Check {
            id: $id,
            title: $title,
            service: Service::Dns,
            severity: Severity::$sev,
            rationale: $rat,
            remediation_steps: $steps,
            remediation_url: $url,
            eval: Evaluator::Domain($eval),
        }
    };
}

static EXPOSURE: &[Check] = &[
    exposure!(
        "EXP.SPF.1",
        "SPF authorises Microsoft 365 and fails other senders",
        High,
        spf,
        "A single SPF record that includes Microsoft 365 and ends in -all or ~all stops others sending mail as the domain.",
        "Publish one TXT record 'v=spf1 include:spf.protection.outlook.com -all' (adding any other legitimate senders).",
        "https://learn.microsoft.com/defender-office-365/email-authentication-spf-configure"
    ),
    exposure!(
        "EXP.DMARC.1",
        "DMARC quarantines or rejects and requests reports",
        High,
        dmarc,
        "DMARC with an enforcing policy makes receivers discard spoofed mail; aggregate reports reveal abuse.",
        "Publish 'v=DMARC1; p=quarantine; rua=mailto:<address>' (then p=reject) at _dmarc.<domain>.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dmarc-configure"
    ),
    exposure!(
        "EXP.DKIM.1",
        "DKIM selector CNAMEs are published",
        Medium,
        dkim,
        "Microsoft 365 signs mail with keys published through the selector1 and selector2 CNAMEs; without them DKIM fails.",
        "Publish selector1._domainkey and selector2._domainkey CNAMEs to the targets shown in the Defender portal, then enable signing.",
        "https://learn.microsoft.com/defender-office-365/email-authentication-dkim-configure"
    ),
    exposure!(
        "EXP.MX.1",
        "MX points to Exchange Online Protection",
        Medium,
        mx,
        "Mail that reaches Exchange Online without passing EOP first skips spam, malware and phishing filtering.",
        "Point the MX record to <domain-key>.mail.protection.outlook.com (or configure enhanced filtering for connectors).",
        "https://learn.microsoft.com/microsoft-365/admin/get-help-with-domains/create-dns-records-at-any-dns-hosting-provider"
    ),
    exposure!(
        "EXP.MTASTS.1",
        "MTA-STS is published",
        Low,
        mta_sts,
        "MTA-STS tells sending servers to require TLS, preventing downgrade and interception of inbound mail.",
        "Host an MTA-STS policy at https://mta-sts.<domain>/.well-known/mta-sts.txt and publish 'v=STSv1; id=<id>' at _mta-sts.<domain>.",
        "https://learn.microsoft.com/purview/enhancing-mail-flow-with-mta-sts"
    ),
    exposure!(
        "EXP.TLSRPT.1",
        "TLS reporting is published",
        Low,
        tls_rpt,
        "TLS-RPT reports show failed or downgraded TLS deliveries to your domain.",
        "Publish 'v=TLSRPTv1; rua=mailto:<address>' at _smtp._tls.<domain>.",
        "https://learn.microsoft.com/purview/enhancing-mail-flow-with-mta-sts"
    ),
    exposure!(
        "EXP.DNSSEC.1",
        "The DNS zone is DNSSEC-signed",
        Low,
        dnssec,
        "DNSSEC protects mail routing and authentication records against spoofed DNS answers.",
        "Enable DNSSEC signing at your DNS host and publish the DS record at the registrar.",
        "https://learn.microsoft.com/exchange/mail-flow-best-practices/how-smtp-dnssec-and-dane-works"
    ),
];

/// Every exposure check, evaluated per domain.
pub fn exposure_checks() -> &'static [ExposureCheck] {
    EXPOSURE
}

/// One finding per exposure check for the observed domain.
pub fn evaluate_domain(obs: &DomainObservation) -> Vec<Finding> {
    EXPOSURE.iter().map(|c| c.evaluate_domain(obs)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn good() -> DomainObservation {
        DomainObservation {
            domain: "contoso.com".into(),
            spf_txt: Lookup::Found(vec![
                "v=spf1 include:spf.protection.outlook.com -all".into(),
                "ms=123".into(),
            ]),
            dmarc_txt: Lookup::Found(vec![
                "v=DMARC1; p=quarantine; rua=mailto:d@contoso.com".into(),
            ]),
            dkim_selector1: Lookup::Found(
                "selector1-contoso-com._domainkey.contoso.onmicrosoft.com".into(),
            ),
            dkim_selector2: Lookup::Found(
                "selector2-contoso-com._domainkey.contoso.onmicrosoft.com".into(),
            ),
            mx: Lookup::Found(vec![(0, "contoso-com.mail.protection.outlook.com.".into())]),
            mta_sts_txt: Lookup::Found(vec!["v=STSv1; id=2024010101".into()]),
            tls_rpt_txt: Lookup::Found(vec!["v=TLSRPTv1; rua=mailto:tls@contoso.com".into()]),
            dnssec_signed: Lookup::Found(true),
        }
    }

    fn status(obs: &DomainObservation, id: &str) -> Status {
        evaluate_domain(obs)
            .into_iter()
            .find(|f| f.check_id == id)
            .unwrap()
            .status
    }

    #[test]
    fn all_pass_on_good_domain() {
        let f = evaluate_domain(&good());
        assert_eq!(f.len(), exposure_checks().len());
        for x in &f {
            assert_eq!(x.status, Status::Pass, "{}: {}", x.check_id, x.message);
            assert_eq!(x.service, Service::Dns);
            assert_eq!(x.evidence["domain"], "contoso.com");
        }
    }

    #[test]
    fn failures() {
        let mut o = good();
        o.spf_txt = Lookup::Found(vec![
            "v=spf1 include:spf.protection.outlook.com ?all".into(),
        ]);
        o.dmarc_txt = Lookup::Found(vec!["v=DMARC1; p=none; rua=mailto:x@y".into()]);
        o.dkim_selector2 = Lookup::NotFound;
        o.mx = Lookup::Found(vec![(10, "mx.example.net".into())]);
        o.mta_sts_txt = Lookup::NotFound;
        o.tls_rpt_txt = Lookup::Found(vec!["v=TLSRPTv1;".into()]);
        o.dnssec_signed = Lookup::Found(false);
        for x in evaluate_domain(&o) {
            assert_eq!(x.status, Status::Fail, "{}: {}", x.check_id, x.message);
        }
        let mut o = good();
        o.spf_txt = Lookup::Found(vec!["v=spf1 include:other.example -all".into()]);
        assert_eq!(status(&o, "EXP.SPF.1"), Status::Fail);
        o.spf_txt = Lookup::NotFound;
        assert_eq!(status(&o, "EXP.SPF.1"), Status::Fail);
        o.dmarc_txt = Lookup::Found(vec!["v=DMARC1; p=reject".into()]);
        assert_eq!(status(&o, "EXP.DMARC.1"), Status::Fail);
        o.dnssec_signed = Lookup::NotFound;
        assert_eq!(status(&o, "EXP.DNSSEC.1"), Status::Fail);
    }

    #[test]
    fn failed_lookup_is_error_with_reason() {
        let o = DomainObservation {
            domain: "x.test".into(),
            ..Default::default()
        };
        for x in evaluate_domain(&o) {
            assert_eq!(x.status, Status::Error, "{}", x.check_id);
            assert!(x.message.contains("not looked up"), "{}", x.message);
        }
        let mut o = good();
        o.mx = Lookup::Failed("SERVFAIL".into());
        let f = evaluate_domain(&o)
            .into_iter()
            .find(|f| f.check_id == "EXP.MX.1")
            .unwrap();
        assert_eq!(f.status, Status::Error);
        assert_eq!(f.evidence["error"], "SERVFAIL");
    }

    #[test]
    fn lookup_serde_shape() {
        let v = serde_json::to_value(Lookup::Found(vec!["a".to_string()])).unwrap();
        assert_eq!(v, json!({ "result": "found", "value": ["a"] }));
        let back: Lookup<Vec<String>> =
            serde_json::from_value(json!({ "result": "not_found" })).unwrap();
        assert_eq!(back, Lookup::NotFound);
    }
}
