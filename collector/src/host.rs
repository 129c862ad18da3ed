//! Host names taken from tenant data (the initial domain, verified domains): the one validator
//! used before any of them is stored or put into a URL, a token scope, a header or a DNS query.
//!
//! A tenant's domains come from Microsoft Graph (at connection) or from an operator; either way
//! they are data, and a host built from data must not be able to choose a port, credentials, a
//! fragment, a path or an IP address. What passes here is a DNS name of letters, digits and
//! hyphens only, so substituting it into `https://{tenant}-admin.sharepoint.com` or
//! `https://mta-sts.{domain}/...` can only ever name a host under the expected suffix.

/// The suffixes of Microsoft's initial domains: `onmicrosoft.com` (commercial and GCC) and
/// `onmicrosoft.us` (GCC High and DoD).
pub const INITIAL_DOMAIN_SUFFIXES: &[&str] = &["onmicrosoft.com", "onmicrosoft.us"];

/// The longest DNS name, in characters, without the trailing dot (RFC 1035 section 2.3.4).
pub const MAX_NAME_LEN: usize = 253;
/// The longest DNS label (RFC 1035 section 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// Why a value taken from tenant data cannot be used as a host.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// Not a DNS name (the reason says which rule it breaks).
    #[error("{value:?} is not a DNS name: {reason}")]
    NotDnsName {
        /// The value, as given.
        value: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// A DNS name, but not `<name>.onmicrosoft.com` (or the national clouds' equivalent).
    #[error(
        "{value:?} is not a Microsoft initial domain (one label directly under onmicrosoft.com or onmicrosoft.us)"
    )]
    NotInitialDomain {
        /// The value, as given.
        value: String,
    },
}

/// Checks that `value` is a DNS host name and returns it in lower case, without a trailing
/// dot: at least two labels of ASCII letters, digits and hyphens (no leading or trailing
/// hyphen), 1 to 63 characters each, 253 in all, and not an IP address in any notation (the
/// last label is neither all digits nor a `0x` hexadecimal number, which URL parsers read as
/// IPv4, so `2130706433` and `0x7f000001` are refused). A port, credentials, a fragment, a
/// query or a path cannot pass, since `:`, `@`, `#`, `?` and `/` are not allowed.
pub fn dns_name(value: &str) -> Result<String, HostError> {
    let refuse = |reason: String| HostError::NotDnsName {
        value: value.to_string(),
        reason,
    };
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.is_empty() {
        return Err(refuse("it is empty".into()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        let what = match c {
            ':' => " (a port or an IPv6 address)",
            '@' => " (credentials)",
            '#' => " (a fragment)",
            '?' => " (a query)",
            '/' | '\\' => " (a path)",
            '%' => " (an escape)",
            _ => "",
        };
        return Err(refuse(format!(
            "it contains {c:?}{what}; only letters, digits, hyphens and dots are allowed"
        )));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(refuse(format!(
            "it is longer than {MAX_NAME_LEN} characters"
        )));
    }
    let labels: Vec<&str> = name.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(refuse("it has an empty label".into()));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(refuse(format!(
                "the label {label:?} is longer than {MAX_LABEL_LEN} characters"
            )));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(refuse(format!(
                "the label {label:?} starts or ends with a hyphen"
            )));
        }
    }
    let last = labels.last().copied().unwrap_or_default();
    if labels.len() < 2 {
        return Err(refuse(
            "it has a single label; a host name has at least two".into(),
        ));
    }
    if looks_numeric(last) {
        return Err(refuse(
            "its last label is a number, so it would be read as an IP address".into(),
        ));
    }
    Ok(name.to_ascii_lowercase())
}

/// Whether a URL parser would read a name ending in `label` as an IPv4 address (WHATWG URL's
/// "ends in a number": decimal, or `0x` followed by hexadecimal digits).
fn looks_numeric(label: &str) -> bool {
    if label.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    let lower = label.to_ascii_lowercase();
    lower
        .strip_prefix("0x")
        .is_some_and(|hex| hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether `s` looks like a GUID (8-4-4-4-12 hex digits), as Microsoft tenant ids are.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Checks that `value` is a Microsoft initial domain: a DNS name ([`dns_name`]) of exactly one
/// label under one of [`INITIAL_DOMAIN_SUFFIXES`] (`contoso.onmicrosoft.com`). Returns it in
/// lower case.
pub fn initial_domain(value: &str) -> Result<String, HostError> {
    let name = dns_name(value)?;
    let ok = INITIAL_DOMAIN_SUFFIXES.iter().any(|suffix| {
        name.strip_suffix(suffix)
            .and_then(|head| head.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.'))
    });
    if ok {
        Ok(name)
    } else {
        Err(HostError::NotInitialDomain {
            value: value.to_string(),
        })
    }
}

/// The tenant label of an initial domain (`contoso` for `contoso.onmicrosoft.com`), after
/// [`initial_domain`]'s checks.
pub fn initial_label(value: &str) -> Result<String, HostError> {
    let name = initial_domain(value)?;
    Ok(name.split('.').next().unwrap_or_default().to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn honest_names_pass_lower_cased() {
        assert_eq!(dns_name("Contoso.com").unwrap(), "contoso.com");
        assert_eq!(
            dns_name("mail.contoso.co.uk.").unwrap(),
            "mail.contoso.co.uk"
        );
        assert_eq!(
            dns_name("xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            initial_domain("Contoso.onmicrosoft.com").unwrap(),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(
            initial_domain("agency.onmicrosoft.us").unwrap(),
            "agency.onmicrosoft.us"
        );
        assert_eq!(
            initial_label("M365x123456.onmicrosoft.com").unwrap(),
            "m365x123456"
        );
        let longest = format!("{}.com", "a".repeat(63));
        assert!(dns_name(&longest).is_ok());
    }

    #[test]
    fn the_payload_of_issue_20_is_refused() {
        let err = initial_domain("2130706433:18555#.onmicrosoft.com").unwrap_err();
        assert!(matches!(err, HostError::NotDnsName { .. }), "{err}");
        assert!(err.to_string().contains("':'"), "{err}");
    }

    #[test]
    fn ports_credentials_fragments_paths_and_ip_literals_are_refused() {
        for bad in [
            "contoso.com:443",
            "user@contoso.com",
            "contoso.com#x",
            "contoso.com?x",
            "contoso.com/x",
            "contoso.com\\x",
            "contoso%2ecom",
            "[::1]",
            "::1",
            "127.0.0.1",
            "2130706433",
            "0x7f000001",
            "10.0x7f",
            "1.2.3.4.",
            "",
            ".",
            "com",
            "a..com",
            "-a.com",
            "a-.com",
            "exa mple.com",
            "bücher.example",
            "contoso.com\n",
        ] {
            assert!(dns_name(bad).is_err(), "{bad:?} passed");
        }
        assert!(dns_name(&format!("{}.com", "a".repeat(64))).is_err());
        let long = ["abcdefghij"; 24].join(".") + ".com";
        assert!(long.len() > MAX_NAME_LEN);
        assert!(dns_name(&long).is_err());
    }

    #[test]
    fn initial_domains_have_one_label_under_the_suffix() {
        for bad in [
            "contoso.com",
            "onmicrosoft.com",
            "contoso.mail.onmicrosoft.com",
            "evilonmicrosoft.com",
            "contoso.onmicrosoft.com.evil.com",
            "2130706433:18555#.onmicrosoft.com",
            "127.0.0.1#.onmicrosoft.com",
        ] {
            assert!(initial_domain(bad).is_err(), "{bad:?} passed");
        }
    }
}
