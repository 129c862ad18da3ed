//! Errors of the collector, one enum per layer: reading one endpoint ([`ReadError`]), loading
//! credentials ([`CredentialError`]) and building a collector ([`CollectorError`]).

use std::time::Duration;

/// Why one read (a GET, an `InvokeCommand`, a token request) gave no usable answer.
///
/// Every variant carries what [`ReadError::reason`] needs to write a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// 403: the application lacks a permission or a role.
    #[error("{}", self.reason())]
    Forbidden {
        /// The path (or cmdlet) that was refused.
        what: String,
        /// The permission this endpoint needs, when known.
        permission: Option<String>,
        /// The service's error code (for example `Authorization_RequestDenied`).
        code: Option<String>,
        /// The service's error message.
        message: Option<String>,
    },
    /// 401 that a fresh token did not cure.
    #[error("{}", self.reason())]
    Unauthorized {
        /// The path (or cmdlet) that was refused.
        what: String,
        /// The service's error code (for example `InvalidAuthenticationToken`).
        code: Option<String>,
        /// The service's error message.
        message: Option<String>,
    },
    /// 401 because the service does not accept this kind of app-only token: SharePoint
    /// refuses tokens obtained with a client secret (`{"error_description":"Unsupported app only
    /// token."}`) and needs a certificate credential.
    #[error("{}", self.reason())]
    TokenTypeRefused {
        /// The path that was refused.
        what: String,
        /// The service's own words.
        message: String,
    },
    /// 3xx: the endpoint sent the request elsewhere (redirects are never followed): the
    /// configured endpoint does not serve this tenant (another cloud or region).
    #[error("{}", self.reason())]
    Redirected {
        /// The path (or cmdlet).
        what: String,
        /// The HTTP status.
        status: u16,
        /// Where it pointed (`Location`), when it said.
        location: Option<String>,
    },
    /// 429 on every attempt.
    #[error("{}", self.reason())]
    Throttled {
        /// The path (or cmdlet).
        what: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// 5xx on every attempt (or the last one).
    #[error("{}", self.reason())]
    Unavailable {
        /// The path (or cmdlet).
        what: String,
        /// The last HTTP status.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
    },
    /// 404: the endpoint or object does not exist.
    #[error("{}", self.reason())]
    NotFound {
        /// The path (or cmdlet).
        what: String,
    },
    /// Another non-success status (400, 409, ...).
    #[error("{}", self.reason())]
    Status {
        /// The path (or cmdlet).
        what: String,
        /// The HTTP status.
        status: u16,
        /// The service's error code.
        code: Option<String>,
        /// The service's error message.
        message: Option<String>,
    },
    /// The Exchange Online or Security & Compliance endpoint does not know the cmdlet
    /// (for Defender and Purview cmdlets: the tenant lacks the licence).
    #[error("{}", self.reason())]
    UnknownCmdlet {
        /// The cmdlet.
        cmdlet: String,
        /// The service's message.
        message: String,
    },
    /// The answer was not the JSON expected.
    #[error("{}", self.reason())]
    Malformed {
        /// The path (or cmdlet).
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// No answer within the per-request timeout.
    #[error("{}", self.reason())]
    Timeout {
        /// The path (or cmdlet).
        what: String,
        /// The timeout.
        after: Duration,
    },
    /// The connection failed (refused, reset, DNS, TLS).
    #[error("{}", self.reason())]
    Network {
        /// The path (or cmdlet).
        what: String,
        /// The transport's message.
        detail: String,
    },
    /// The authority refused to issue a token (`AADSTS…` errors).
    #[error("{}", self.reason())]
    Token {
        /// The resource the token was for.
        resource: String,
        /// The OAuth error (`invalid_client`, `unauthorized_client`, ...).
        error: String,
        /// The first `AADSTS` code, when the description has one.
        aadsts: Option<String>,
        /// The description's first line.
        description: String,
    },
    /// The answer is about another tenant than the one asked for.
    #[error("{}", self.reason())]
    WrongTenant {
        /// The path (or cmdlet).
        what: String,
        /// The tenant asked for.
        expected: String,
        /// The tenant the answer names.
        found: String,
    },
    /// The read-only guard refused to build a request (a cmdlet outside the allow-list, a
    /// next-page link to another host).
    #[error("{}", self.reason())]
    Refused {
        /// Why.
        detail: String,
    },
}

impl From<crate::host::HostError> for ReadError {
    /// Tenant data that would make a bad host: the request is never built.
    fn from(e: crate::host::HostError) -> Self {
        ReadError::Refused {
            detail: format!("no request built from tenant data that is not a host name: {e}"),
        }
    }
}

impl ReadError {
    /// A one-line reason for a person ("403 Forbidden: Policy.Read.All not granted").
    pub fn reason(&self) -> String {
        match self {
            ReadError::Forbidden {
                what,
                permission,
                code,
                message,
            } => match permission {
                Some(p) => format!("403 Forbidden: {p} not granted ({what})"),
                None => format!(
                    "403 Forbidden: {} ({what})",
                    detail(code.as_deref(), message.as_deref())
                ),
            },
            ReadError::Unauthorized {
                what,
                code,
                message,
            } => format!(
                "401 Unauthorized even with a fresh token: {} ({what})",
                detail(code.as_deref(), message.as_deref())
            ),
            ReadError::TokenTypeRefused { what, message } => format!(
                "401 Unauthorized: SharePoint refused the app-only token (\"{message}\"): SharePoint accepts app-only access only with a certificate credential, not a client secret; add a certificate to the application and configure it (AETHER365_ENTRA_CERTIFICATE) ({what})"
            ),
            ReadError::Redirected {
                what,
                status,
                location,
            } => format!(
                "redirected ({status}) to {}: the configured endpoint does not serve this tenant (check the cloud and region settings) ({what})",
                location.as_deref().unwrap_or("an unnamed location")
            ),
            ReadError::Throttled { what, attempts } => {
                format!("throttled (429) {attempts} times, gave up ({what})")
            }
            ReadError::Unavailable {
                what,
                status,
                attempts,
            } => format!("service unavailable ({status}) {attempts} times, gave up ({what})"),
            ReadError::NotFound { what } => format!("404 Not Found: {what}"),
            ReadError::Status {
                what,
                status,
                code,
                message,
            } => format!(
                "HTTP {status}: {} ({what})",
                detail(code.as_deref(), message.as_deref())
            ),
            ReadError::UnknownCmdlet { cmdlet, message } => {
                format!(
                    "{cmdlet} is not available to the application in this tenant (no licence for it, or the application's role does not include it): {message}"
                )
            }
            ReadError::Malformed { what, detail } => {
                format!("malformed JSON from {what}: {detail}")
            }
            ReadError::Timeout { what, after } => {
                format!("timed out after {} s ({what})", after.as_secs_f64())
            }
            ReadError::Network { what, detail } => format!("network error: {detail} ({what})"),
            ReadError::Token {
                resource,
                error,
                aadsts,
                description,
            } => {
                let hint = aadsts.as_deref().and_then(aadsts_hint);
                match hint {
                    Some(h) => format!(
                        "no token for {resource}: {h} ({})",
                        aadsts.as_deref().unwrap_or(error)
                    ),
                    None => format!("no token for {resource}: {error}: {description}"),
                }
            }
            ReadError::WrongTenant {
                what,
                expected,
                found,
            } => format!("the answer is about tenant {found}, not {expected} ({what})"),
            ReadError::Refused { detail } => format!("refused by the read-only guard: {detail}"),
        }
    }

    /// True when the HTTP status (or the absence of one) says the tenant lacks a permission.
    pub fn is_permission(&self) -> bool {
        matches!(self, ReadError::Forbidden { .. } | ReadError::Token { .. })
    }

    /// What an operator should do about this failure.
    pub fn remedy(&self) -> Remedy {
        match self {
            ReadError::Forbidden { .. } => Remedy::GrantPermission,
            ReadError::TokenTypeRefused { .. } => Remedy::UseCertificate,
            ReadError::Token { .. } | ReadError::Unauthorized { .. } => Remedy::CheckApplication,
            ReadError::UnknownCmdlet { .. } => Remedy::CheckLicenceOrRole,
            ReadError::NotFound { .. }
            | ReadError::WrongTenant { .. }
            | ReadError::Redirected { .. }
            | ReadError::Refused { .. } => Remedy::CheckEndpoint,
            ReadError::Throttled { .. } | ReadError::Unavailable { .. } => Remedy::RetryLater,
            ReadError::Timeout { .. } | ReadError::Network { .. } => Remedy::CheckNetwork,
            ReadError::Status { .. } | ReadError::Malformed { .. } => Remedy::ReadReason,
        }
    }
}

/// What to do about a failed read: the advice `tenant test-connection` gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    /// The application lacks a permission or role: grant it and consent again.
    GrantPermission,
    /// The service refuses tokens obtained with a client secret: use a certificate.
    UseCertificate,
    /// The authority refused a token, or the service the token: check the application's
    /// registration, credential and consent.
    CheckApplication,
    /// The cmdlet is not available: the tenant lacks the licence, or the role lacks it.
    CheckLicenceOrRole,
    /// The endpoint redirected or does not exist: check the endpoint settings (cloud, region).
    CheckEndpoint,
    /// The service failed (5xx) or throttled: try again later.
    RetryLater,
    /// No answer (timeout, connection): check the network path to Microsoft.
    CheckNetwork,
    /// Something else: the reason says what.
    ReadReason,
}

impl Remedy {
    /// One sentence of advice.
    pub fn advice(self) -> &'static str {
        match self {
            Remedy::GrantPermission => {
                "grant the permission listed and consent again (docs/microsoft365.md)"
            }
            Remedy::UseCertificate => {
                "SharePoint needs a certificate credential for app-only access: add a certificate to the application and configure it instead of the client secret"
            }
            Remedy::CheckApplication => {
                "check the application's registration, credential and admin consent (see the reason)"
            }
            Remedy::CheckLicenceOrRole => {
                "the tenant lacks the licence, or the application's role lacks the cmdlet"
            }
            Remedy::CheckEndpoint => {
                "check the endpoint settings (cloud, region, AETHER365_*_URL): the endpoint redirected or does not exist; not a permission"
            }
            Remedy::RetryLater => {
                "the service failed or throttled: try again later; not a permission"
            }
            Remedy::CheckNetwork => {
                "no answer: check the network path to Microsoft (proxy, firewall, DNS); not a permission"
            }
            Remedy::ReadReason => "see the reason",
        }
    }
}

fn detail(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => "no detail".to_string(),
    }
}

/// Readable advice for the `AADSTS` codes an operator meets when connecting a tenant.
fn aadsts_hint(code: &str) -> Option<&'static str> {
    Some(match code {
        "AADSTS700016" => {
            "the application is not found in the tenant (wrong client id, or admin consent was never given)"
        }
        "AADSTS65001" => "admin consent is missing for this application",
        "AADSTS7000215" => "invalid client secret (check the configured secret)",
        "AADSTS7000222" => "the client secret has expired",
        "AADSTS700027" => {
            "the client assertion was rejected (certificate not registered on the application, or a bad signature)"
        }
        "AADSTS700024" => "the client assertion is outside its validity period (check the clock)",
        "AADSTS90002" => "the tenant does not exist",
        "AADSTS900023" => "the tenant id is malformed",
        "AADSTS500011" => "the resource is not registered in the tenant (service not provisioned)",
        "AADSTS1002012" => "the requested scope is invalid",
        "AADSTS53003" => "blocked by a conditional access policy",
        _ => return None,
    })
}

/// The cause of a credential error: the parser's own error, or a sentence where there is none.
pub type CredentialCause = Box<dyn std::error::Error + Send + Sync>;

/// Why a credential could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// No PEM block of the expected kind was found.
    #[error("no {0} PEM block found")]
    MissingPem(&'static str),
    /// A PEM block of the expected kind was found but does not follow RFC 7468.
    #[error("the {label} PEM block is malformed: {source}")]
    BadPem {
        /// The block's label.
        label: &'static str,
        /// The cause.
        source: pem_rfc7468::Error,
    },
    /// The private key could not be parsed (only unencrypted RSA keys, PKCS#8 or PKCS#1, are supported).
    #[error("cannot parse the RSA private key (unencrypted PKCS#8 or PKCS#1 PEM expected): {0}")]
    BadKey(#[source] CredentialCause),
    /// The certificate could not be parsed.
    #[error("cannot parse the certificate: {0}")]
    BadCertificate(#[source] CredentialCause),
    /// The certificate holds another kind of public key than RSA.
    #[error("cannot parse the certificate: not an RSA key: {0}")]
    NotRsaCertificate(#[source] CredentialCause),
    /// The private key does not belong to the certificate.
    #[error("the private key does not match the certificate's public key")]
    KeyMismatch,
    /// The PKCS#12 file could not be opened (wrong password, unsupported cipher) or holds no key.
    #[error("cannot open the PKCS#12 (PFX) file: {0}")]
    BadPkcs12(#[source] CredentialCause),
    /// Signing the client assertion failed.
    #[error("cannot sign the client assertion: {0}")]
    Signing(#[source] rsa::signature::Error),
    /// The client secret is empty.
    #[error("the client secret is empty")]
    EmptySecret,
}

/// Why a [`crate::Collector`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    /// An endpoint is not an absolute http(s) URL.
    #[error("endpoint {name} is not an absolute http(s) URL: {value}")]
    BadEndpoint {
        /// Which endpoint.
        name: &'static str,
        /// The value given.
        value: String,
    },
    /// The client id is empty.
    #[error("the client id is empty")]
    NoClientId,
    /// A limit is zero.
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_well() {
        let e = ReadError::Forbidden {
            what: "/beta/identity/conditionalAccess/policies".into(),
            permission: Some("Policy.Read.All".into()),
            code: Some("Authorization_RequestDenied".into()),
            message: None,
        };
        assert!(
            e.reason()
                .starts_with("403 Forbidden: Policy.Read.All not granted")
        );
        let e = ReadError::Throttled {
            what: "Get-AcceptedDomain".into(),
            attempts: 4,
        };
        assert!(e.reason().starts_with("throttled (429) 4 times, gave up"));
        let e = ReadError::Timeout {
            what: "/x".into(),
            after: Duration::from_secs(30),
        };
        assert!(e.reason().starts_with("timed out after 30 s"));
        let e = ReadError::Token {
            resource: "https://graph.microsoft.com".into(),
            error: "invalid_client".into(),
            aadsts: Some("AADSTS7000215".into()),
            description: "AADSTS7000215: Invalid client secret provided.".into(),
        };
        assert!(e.reason().contains("invalid client secret"));
    }
}
