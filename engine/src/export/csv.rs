//! CSV (RFC 4180): a header row, then one row per finding, CRLF line ends.
//!
//! Columns: `check_id`, `title`, `service`, `severity`, `status`, `resource` (the domain of a DNS
//! finding, empty for a configuration finding), `frameworks` (every reference as
//! "CIS-M365-7.0.0 1.1.3", joined with "; "), `message`, `remediation` (the steps),
//! `remediation_url` and `subjects` (the names read from the tenant that the message counts,
//! joined with "; ").
//!
//! A field is quoted when it holds a comma, a double quote, CR or LF, with inner quotes doubled.
//! A field that a spreadsheet would read as a formula (one starting with `=`, `+`, `-`, `@`, a
//! tab or CR) is written with a leading apostrophe, so opening the file in a spreadsheet never
//! evaluates text that came from a tenant's configuration.

use crate::model::Finding;

use super::{finding_domain, requirement_label};

/// The header row's column names, in order.
pub const COLUMNS: [&str; 11] = [
    "check_id",
    "title",
    "service",
    "severity",
    "status",
    "resource",
    "frameworks",
    "message",
    "remediation",
    "remediation_url",
    "subjects",
];

/// The findings as CSV bytes (UTF-8).
pub fn to_bytes(findings: &[Finding]) -> Vec<u8> {
    let mut out = String::new();
    write_row(&mut out, COLUMNS.iter().copied());
    for f in findings {
        let frameworks = f
            .frameworks
            .iter()
            .map(requirement_label)
            .collect::<Vec<_>>()
            .join("; ");
        let subjects = f.subjects.join("; ");
        write_row(
            &mut out,
            [
                f.check_id.as_str(),
                f.title.as_str(),
                f.service.as_str(),
                f.severity.as_str(),
                f.status.as_str(),
                finding_domain(f).unwrap_or(""),
                frameworks.as_str(),
                f.message.as_str(),
                f.remediation.steps.as_str(),
                f.remediation.url.as_str(),
                subjects.as_str(),
            ],
        );
    }
    out.into_bytes()
}

pub(crate) fn write_row<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field(out, field);
    }
    out.push_str("\r\n");
}

fn write_field(out: &mut String, field: &str) {
    let formula = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = field.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quote {
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::{Framework, FrameworkRef, Remediation, Service, Severity, Status};

    fn finding(message: &str) -> Finding {
        Finding {
            check_id: "A365-AAD-32".into(),
            title: "Two to four Global Administrators".into(),
            service: Service::EntraId,
            severity: Severity::High,
            status: Status::Fail,
            message: message.into(),
            evidence: serde_json::json!({}),
            subjects: Vec::new(),
            rationale: "r".into(),
            remediation: Remediation {
                steps: "Remove, then \"review\"".into(),
                url: "https://learn.microsoft.com/x".into(),
            },
            frameworks: vec![
                FrameworkRef {
                    framework: Framework::Cis,
                    id: "1.1.3".into(),
                    version: "7.0.0".into(),
                },
                FrameworkRef {
                    framework: Framework::Nist80053,
                    id: "AC-6(5)".into(),
                    version: "Rev. 5".into(),
                },
            ],
        }
    }

    #[test]
    fn quotes_per_rfc_4180_and_defuses_formulas() {
        let text = String::from_utf8(to_bytes(&[
            finding("9 admins: a, b\nand c"),
            finding("=HYPERLINK(\"x\")"),
        ]))
        .unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], COLUMNS.join(","));
        assert!(text.ends_with("\r\n"));
        assert!(text.contains(
            "A365-AAD-32,Two to four Global Administrators,entra_id,high,fail,,\
             CIS-M365-7.0.0 1.1.3; NIST-800-53 AC-6(5),\"9 admins: a, b\nand c\",\
             \"Remove, then \"\"review\"\"\",https://learn.microsoft.com/x,\r\n"
        ));
        assert!(text.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{text}");
    }

    #[test]
    fn one_row_per_finding() {
        let text = String::from_utf8(to_bytes(&[finding("a"), finding("b")])).unwrap();
        assert_eq!(text.matches("\r\n").count(), 3);
        assert_eq!(String::from_utf8(to_bytes(&[])).unwrap().lines().count(), 1);
    }
}
