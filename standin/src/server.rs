//! The stand-in's HTTP handler: one catch-all route that records every request, applies faults,
//! checks tokens and answers in each real API's format.

use std::collections::{BTreeSet, HashMap};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use aether365_collector::{CredentialError, credential};
use aether365_engine::legacy_export;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Map, Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::graph::{GraphTenant, Served};
use crate::{
    DirectoryUser, Fault, FaultKind, IdTokenFlaw, RecordedRequest, StandInConfig, StandInError,
    lock,
};

/// The key the authority signs ID tokens with (test-only, published in its JWKS).
const ID_TOKEN_KEY: &str = include_str!("../testdata/idtoken-key.pem");
/// A key the authority does not publish, for [`IdTokenFlaw::ForeignKey`].
const FORGER_KEY: &str = include_str!("../testdata/forger-key.pem");

/// An authorization code waiting to be redeemed.
struct IssuedCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: String,
    /// The scopes asked for (`email` adds the `email` claim when the user has an address).
    scope: String,
    user: DirectoryUser,
    expires: Instant,
}

/// Exchange Online cmdlets the stand-in knows, and the export key each answers from: a key of
/// the export, else of its `aether365` section, else (the Exchange Online Protection policies
/// every tenant has) the stand-in tenant's own [`crate::EXCHANGE_PROTECTION`]. Other cmdlets
/// whose key the export lacks answer an empty list.
pub const EXO_CMDLETS: &[(&str, &str)] = &[
    ("Get-RemoteDomain", "remote_domains"),
    ("Get-AcceptedDomain", "accepted_domains"),
    ("Get-DkimSigningConfig", "dkim_config"),
    ("Get-TransportConfig", "transport_config"),
    ("Get-SharingPolicy", "sharing_policy"),
    ("Get-TransportRule", "transport_rule"),
    ("Get-HostedConnectionFilterPolicy", "conn_filter"),
    ("Get-OrganizationConfig", "org_config"),
    ("Get-InboundConnector", "inbound_connectors"),
    ("Get-OutboundConnector", "outbound_connectors"),
    ("Get-IntraOrganizationConnector", "intra_org_connectors"),
    ("Get-OrganizationRelationship", "org_relationships"),
    ("Get-AdminAuditLogConfig", "admin_audit_log_config"),
    ("Get-EOPProtectionPolicyRule", "protection_policy_rules"),
    ("Get-AntiPhishPolicy", "anti_phish_policies"),
    ("Get-AntiPhishRule", "anti_phish_rules"),
    (
        "Get-HostedContentFilterPolicy",
        "hosted_content_filter_policies",
    ),
    ("Get-HostedContentFilterRule", "hosted_content_filter_rules"),
    (
        "Get-HostedOutboundSpamFilterPolicy",
        "hosted_outbound_spam_filter_policies",
    ),
    ("Get-MalwareFilterPolicy", "anti_malware_policies"),
    ("Get-MalwareFilterRule", "anti_malware_rules"),
    ("Get-SafeLinksPolicy", "safe_links_policies"),
    ("Get-SafeLinksRule", "safe_links_rules"),
    ("Get-SafeAttachmentPolicy", "safe_attachment_policies"),
    ("Get-SafeAttachmentRule", "safe_attachment_rules"),
    ("Get-ATPBuiltInProtectionRule", "built_in_protection_rules"),
    ("Get-AtpPolicyForO365", "atp_policy_for_o365"),
    ("Get-ATPProtectionPolicyRule", "atp_policy_rules"),
    // CIS v7.0.0 settings (cis-exchange): keys of the `aether365` section.
    ("Get-OwaMailboxPolicy", "owa_mailbox_policies"),
    ("Get-ExternalInOutlook", "external_in_outlook"),
    (
        "Get-MailboxAuditBypassAssociation",
        "mailbox_audit_bypass_associations",
    ),
    ("Get-RoleAssignmentPolicy", "role_assignment_policies"),
    ("Get-EmailTenantSettings", "email_tenant_settings"),
    ("Get-TeamsProtectionPolicy", "teams_protection_policies"),
];

/// The `aether365` key holding the `Get-OrganizationConfig` properties beyond the 14 that a
/// ScubaGear export keeps in `org_config`: merged into the cmdlet's answer, as the real cmdlet
/// returns every property.
const ORG_CONFIG_MORE: &str = "organization_config";

/// Security & Compliance cmdlets and their export keys.
const SCC_CMDLETS: &[(&str, &str)] = &[
    ("Get-DlpCompliancePolicy", "dlp_compliance_policies"),
    ("Get-DlpComplianceRule", "dlp_compliance_rules"),
    ("Get-ProtectionAlert", "protection_alerts"),
    (
        "Get-UnifiedAuditLogRetentionPolicy",
        "unified_audit_log_retention_policies",
    ),
    // CIS v7.0.0 settings (cis-exchange): a key of the `aether365` section.
    ("Get-LabelPolicy", "label_policies"),
];

/// Security & Compliance cmdlets that exist without a DLP licence (sensitivity labels come with
/// every Microsoft 365 plan the benchmark covers).
const SCC_WITHOUT_DLP: &[&str] = &["Get-LabelPolicy"];

/// Cmdlets that exist only with a Defender for Office 365 licence.
const ATP_CMDLETS: &[&str] = &[
    "Get-AtpPolicyForO365",
    "Get-ATPProtectionPolicyRule",
    "Get-SafeLinksPolicy",
    "Get-SafeLinksRule",
    "Get-SafeAttachmentPolicy",
    "Get-SafeAttachmentRule",
    "Get-ATPBuiltInProtectionRule",
];

/// A fault with its remaining count.
pub(crate) struct ActiveFault {
    fault: Fault,
    remaining: Option<u32>,
}

impl ActiveFault {
    pub(crate) fn new(fault: Fault) -> ActiveFault {
        let remaining = fault.times;
        ActiveFault { fault, remaining }
    }
}

struct IssuedToken {
    audience: String,
    expires: Instant,
    /// Obtained with the client secret (Entra's `appidacr` 1), not a certificate (2).
    by_secret: bool,
}

struct Certificate {
    public: RsaPublicKey,
    sha1: Vec<u8>,
    sha256: Vec<u8>,
}

/// What the tenant's services answer from: the export and the Graph objects built from it.
pub(crate) struct TenantData {
    export: Value,
    graph: GraphTenant,
}

impl TenantData {
    /// The tenant an export describes. An older ScubaGear export is first brought to the
    /// current shape by the engine's own rewrites (`legacy_export`, the one place that knows
    /// older layouts), so a tenant built from a 1.5 export answers as the one built from its
    /// 1.8.0 equivalent; a section the engine refuses to read is left out, since the stand-in
    /// cannot serve what the export does not faithfully hold.
    fn new(mut export: Value) -> TenantData {
        if let Some(doc) = export.as_object_mut()
            && let Ok(origin) = legacy_export::origin(doc.get("module_version"))
        {
            for refused in legacy_export::normalise(doc, origin) {
                doc.remove(&refused.section);
            }
        }
        let graph = GraphTenant::from_export(&export);
        TenantData { export, graph }
    }
}

/// Everything the handler shares.
pub(crate) struct State {
    pub(crate) tenant_id: String,
    pub(crate) initial_domain: String,
    pub(crate) client_id: String,
    client_secret: Option<String>,
    certificate: Option<Certificate>,
    page_size: usize,
    pub(crate) token_lifetime: Mutex<Duration>,
    /// The tenant's data; replaced as a whole by [`State::set_export`].
    data: RwLock<Arc<TenantData>>,
    base_url: String,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    pub(crate) faults: Mutex<Vec<ActiveFault>>,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    /// The user signed in at the authority.
    pub(crate) signed_in: Mutex<Option<DirectoryUser>>,
    /// Spoils the ID tokens issued.
    pub(crate) id_token_flaw: Mutex<Option<IdTokenFlaw>>,
    codes: Mutex<HashMap<String, IssuedCode>>,
    signing_key: RsaPrivateKey,
    forger_key: RsaPrivateKey,
    kid: String,
    /// How DLP policies' connector groups are laid out.
    pub(crate) dlp_shape: Mutex<crate::DlpShape>,
    /// Application permissions the tenant has not granted: reads that need one answer 403.
    pub(crate) denied_permissions: Mutex<BTreeSet<String>>,
    /// The second documented forms served instead of the first.
    pub(crate) variants: Mutex<BTreeSet<crate::DocumentedVariant>>,
    /// SharePoint refuses app-only tokens obtained with a client secret, as it does in
    /// Microsoft's cloud.
    pub(crate) sharepoint_requires_certificate: Mutex<bool>,
    /// The region of the Security & Compliance discovery redirect.
    pub(crate) compliance_region: Mutex<String>,
    /// The Tenant Configuration Management snapshot jobs the tenant has.
    pub(crate) tcm: Mutex<crate::tcm::TcmScenario>,
    /// The generated users, groups and mailboxes (crate::population).
    pub(crate) population: Mutex<crate::population::Population>,
}

fn parse_certificate(pem: &str) -> Result<Certificate, StandInError> {
    let der = credential::pem_block(pem, "CERTIFICATE")?
        .ok_or(CredentialError::MissingPem("CERTIFICATE"))?;
    let public = credential::certificate_public_key(&der)?;
    Ok(Certificate {
        public,
        sha1: Sha1::digest(&der).to_vec(),
        sha256: Sha256::digest(&der).to_vec(),
    })
}

impl State {
    pub(crate) fn new(config: StandInConfig, base_url: String) -> Result<State, StandInError> {
        let export = config.export;
        let tenant_id = export
            .get("tenant_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .or_else(|| {
                export
                    .pointer("/tenant_details/0/TenantId")
                    .and_then(Value::as_str)
            })
            .ok_or(StandInError::NoTenant)?
            .to_string();
        let initial_domain =
            initial_domain(&export).unwrap_or_else(|| "tenant.onmicrosoft.com".into());
        let certificate = match &config.certificate_pem {
            Some(pem) => Some(parse_certificate(pem)?),
            None => None,
        };
        let key = |pem: &str| {
            RsaPrivateKey::from_pkcs8_pem(pem)
                .map_err(|e| StandInError::BadCertificate(format!("ID token key: {e}")))
        };
        let signing_key = key(ID_TOKEN_KEY)?;
        let forger_key = key(FORGER_KEY)?;
        let kid = URL_SAFE_NO_PAD
            .encode(Sha256::digest(signing_key.n().to_bytes_be()))
            .chars()
            .take(27)
            .collect();
        Ok(State {
            tenant_id,
            initial_domain,
            client_id: config.client_id,
            client_secret: config.client_secret,
            certificate,
            page_size: config.page_size.max(1),
            token_lifetime: Mutex::new(config.token_lifetime),
            data: RwLock::new(Arc::new(TenantData::new(export))),
            base_url,
            tokens: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            signed_in: Mutex::new(None),
            id_token_flaw: Mutex::new(None),
            codes: Mutex::new(HashMap::new()),
            signing_key,
            forger_key,
            kid,
            dlp_shape: Mutex::new(crate::DlpShape::default()),
            denied_permissions: Mutex::new(BTreeSet::new()),
            variants: Mutex::new(BTreeSet::new()),
            sharepoint_requires_certificate: Mutex::new(false),
            compliance_region: Mutex::new("nam13b".to_string()),
            tcm: Mutex::new(crate::tcm::TcmScenario::default()),
            population: Mutex::new(config.population),
        })
    }

    /// The tenant's data now.
    fn data(&self) -> Arc<TenantData> {
        match self.data.read() {
            Ok(d) => Arc::clone(&d),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the tenant's configuration (the tenant id and domains stay).
    pub(crate) fn set_export(&self, export: Value) {
        let data = Arc::new(TenantData::new(export));
        match self.data.write() {
            Ok(mut d) => *d = data,
            Err(poisoned) => *poisoned.into_inner() = data,
        }
    }

    fn knows_tenant(&self, t: &str) -> bool {
        t.eq_ignore_ascii_case(&self.tenant_id) || t.eq_ignore_ascii_case(&self.initial_domain)
    }

    /// The faults that apply to a request, consuming one use of each.
    fn take_faults(&self, path: &str, cmdlet: Option<&str>) -> Vec<FaultKind> {
        let mut faults = lock(&self.faults);
        let mut hits = Vec::new();
        for f in faults.iter_mut() {
            let t = &f.fault.target;
            let path_ok = match &t.path_prefix {
                Some(p) => path.starts_with(p.as_str()),
                None => !path.starts_with("/authority") && !path.starts_with("/_standin"),
            };
            let cmdlet_ok = match (&t.cmdlet, cmdlet) {
                (None, _) => true,
                (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
                (Some(_), None) => false,
            };
            let consent = matches!(f.fault.kind, FaultKind::ConsentDeclined);
            if path_ok && cmdlet_ok && !consent && f.remaining != Some(0) {
                if let Some(n) = f.remaining.as_mut() {
                    *n -= 1;
                }
                hits.push(f.fault.kind.clone());
            }
        }
        faults.retain(|f| f.remaining != Some(0));
        hits
    }

    fn consent_declined(&self) -> bool {
        let mut faults = lock(&self.faults);
        let mut hit = false;
        for f in faults.iter_mut() {
            if matches!(f.fault.kind, FaultKind::ConsentDeclined) && f.remaining != Some(0) {
                if let Some(n) = f.remaining.as_mut() {
                    *n -= 1;
                }
                hit = true;
            }
        }
        faults.retain(|f| f.remaining != Some(0));
        hit
    }
}

fn initial_domain(export: &Value) -> Option<String> {
    let from_list = |v: Option<&Value>| -> Option<String> {
        let list: Vec<&Value> = match v? {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        list.iter().find_map(|d| {
            let initial = d.get("IsInitial").and_then(Value::as_bool) == Some(true);
            initial
                .then(|| {
                    d.get("Id")
                        .or_else(|| d.get("Name"))
                        .and_then(Value::as_str)
                })
                .flatten()
                .map(str::to_string)
        })
    };
    from_list(export.get("domain_settings"))
        .or_else(|| {
            from_list(export.pointer("/tenant_details/0/AADAdditionalData/0/VerifiedDomains"))
        })
        .or_else(|| {
            export
                .get("accepted_domains")?
                .as_array()?
                .iter()
                .filter_map(|d| d.get("DomainName").and_then(Value::as_str))
                .find(|d| d.ends_with(".onmicrosoft.com") && !d.ends_with(".mail.onmicrosoft.com"))
                .map(str::to_string)
        })
}

pub(crate) fn build(
    listener: TcpListener,
    state: Arc<State>,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::from(state);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .default_service(web::to(handle))
    })
    .workers(2)
    .disable_signals()
    .listen(listener)?
    .run())
}

/// A finished answer before faults that rewrite it.
struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: StatusCode, v: &Value) -> Reply {
        Reply {
            status,
            body: v.to_string().into_bytes(),
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
        }
    }

    fn header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": {"code": code, "message": message, "innerError": {
            "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "request-id": random_id(), "client-request-id": random_id()}}}),
    )
}

/// A random GUID, as Entra and Graph write request, trace and correlation ids.
fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The service a path belongs to, for audiences and error formats.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Service {
    Authority,
    Graph,
    Exo,
    Scc,
    Spo,
    Bap,
    /// The Fabric admin API (`/fabric/v1/admin/...`).
    Fabric,
    Control,
    Unknown,
}

fn service_of(path: &str) -> Service {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "authority" => Service::Authority,
        "graph" => Service::Graph,
        "exo" => Service::Exo,
        "scc" => Service::Scc,
        "spo" => Service::Spo,
        "bap" => Service::Bap,
        "fabric" => Service::Fabric,
        "_standin" => Service::Control,
        _ => Service::Unknown,
    }
}

impl Service {
    fn prefix(self) -> &'static str {
        match self {
            Service::Graph => "graph",
            Service::Exo => "exo",
            Service::Scc => "scc",
            Service::Spo => "spo",
            Service::Bap => "bap",
            Service::Fabric => "fabric",
            _ => "",
        }
    }

    /// Token audiences this service accepts: its own URL here, and the real resource.
    fn accepts(self, base: &str, audience: &str) -> bool {
        let a = audience.trim_end_matches('/');
        let own = format!("{base}/{}", self.prefix());
        a == own
            || match self {
                Service::Graph => a == "https://graph.microsoft.com",
                Service::Exo => a == "https://outlook.office365.com",
                Service::Scc => a == "https://ps.compliance.protection.outlook.com",
                Service::Spo => a.ends_with("-admin.sharepoint.com"),
                Service::Bap => a == "https://service.powerapps.com",
                Service::Fabric => a == "https://api.fabric.microsoft.com",
                _ => false,
            }
    }

    fn error(self, status: StatusCode, code: &str, message: &str) -> Reply {
        match self {
            Service::Spo => Reply::json(
                status,
                &json!({"error": {"code": format!("-2147024891, {code}"), "message": {"lang": "en-US", "value": message}}}),
            ),
            Service::Bap => Reply::json(
                status,
                &json!({"error": {"code": code, "message": message}}),
            ),
            // The Fabric REST API's `ErrorResponse`.
            Service::Fabric => Reply::json(
                status,
                &json!({"requestId": random_id(), "errorCode": code, "message": message}),
            ),
            _ => graph_error(status, code, message),
        }
    }
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let path = req.path().to_string();
    let query = req.query_string().to_string();
    let method = req.method().as_str().to_string();
    let service = service_of(&path);
    let cmdlet = if path.ends_with("/InvokeCommand") {
        serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
            v.pointer("/CmdletInput/CmdletName")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
    } else {
        None
    };
    let faults = if service == Service::Control {
        Vec::new()
    } else {
        state.take_faults(&path, cmdlet.as_deref())
    };

    let mut lie: Option<String> = None;
    let mut malformed = false;
    let mut reply: Option<Reply> = None;
    for f in &faults {
        match f {
            FaultKind::Slow { delay_ms } => {
                tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
            }
            FaultKind::Throttle { retry_after_secs } if reply.is_none() => {
                reply = Some(
                    service
                        .error(
                            StatusCode::TOO_MANY_REQUESTS,
                            "TooManyRequests",
                            "Too many requests. Please retry later.",
                        )
                        .header("Retry-After", retry_after_secs.to_string()),
                );
            }
            FaultKind::Unavailable { retry_after_secs } if reply.is_none() => {
                let mut r = service.error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The service is temporarily unavailable.",
                );
                if let Some(s) = retry_after_secs {
                    r = r.header("Retry-After", s.to_string());
                }
                reply = Some(r);
            }
            FaultKind::Forbidden if reply.is_none() => {
                reply = Some(match service {
                    // The Fabric admin API's refusal when the admin-API tenant setting does not
                    // admit the service principal.
                    Service::Fabric => service.error(
                        StatusCode::FORBIDDEN,
                        "InsufficientPrivileges",
                        "The caller does not have sufficient permissions to call the admin API.",
                    ),
                    Service::Spo => service.error(
                        StatusCode::FORBIDDEN,
                        "System.UnauthorizedAccessException",
                        "Attempted to perform an unauthorized operation.",
                    ),
                    _ => service.error(
                        StatusCode::FORBIDDEN,
                        "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation.",
                    ),
                });
            }
            FaultKind::Redirect { location } if reply.is_none() => {
                reply = Some(Reply {
                    status: StatusCode::FOUND,
                    body: Vec::new(),
                    content_type: "text/html; charset=utf-8",
                    headers: vec![("Location", location.clone())],
                });
            }
            FaultKind::TokenExpired if reply.is_none() => {
                if let Some(t) = bearer(&req) {
                    lock(&state.tokens).remove(&t);
                }
                reply = Some(unauthorized(
                    service,
                    &state,
                    "Lifetime validation failed, the token is expired.",
                ));
            }
            FaultKind::Malformed => malformed = true,
            FaultKind::WrongTenant { tenant_id } => lie = Some(tenant_id.clone()),
            _ => {}
        }
    }

    let reply = match reply {
        Some(r) => r,
        None => route(
            &req,
            &method,
            &path,
            &query,
            &body,
            cmdlet.as_deref(),
            service,
            &state,
        ),
    };
    let mut reply = reply;
    if reply.status.is_success() {
        if let Some(liar) = lie {
            let text = String::from_utf8_lossy(&reply.body).replace(&state.tenant_id, &liar);
            reply.body = text.into_bytes();
        }
        if malformed {
            reply.body = b"{\"value\": [ {\"truncated\": tr".to_vec();
        }
    }
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    // Links in an answer (`@odata.nextLink`, `@odata.context`) name the host the request was
    // sent to, as Microsoft's services do: a collector that pinned Microsoft's host names to
    // the stand-in follows them on those names.
    let own_host = state.base_url.trim_start_matches("http://");
    if !host.is_empty()
        && host != own_host
        && matches!(
            service,
            Service::Graph
                | Service::Exo
                | Service::Scc
                | Service::Spo
                | Service::Bap
                | Service::Fabric
        )
    {
        let text = String::from_utf8_lossy(&reply.body)
            .replace(&state.base_url, &format!("http://{host}"));
        reply.body = text.into_bytes();
    }
    lock(&state.requests).push(RecordedRequest {
        method,
        path,
        query,
        cmdlet,
        status: reply.status.as_u16(),
        host,
    });
    let mut builder = HttpResponse::build(reply.status);
    builder.content_type(reply.content_type);
    for (name, value) in reply.headers {
        builder.insert_header((name, value));
    }
    builder.body(reply.body)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let h = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn unauthorized(service: Service, state: &State, message: &str) -> Reply {
    let mut r = service.error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    );
    r.headers.push((
        "WWW-Authenticate",
        format!(
            "Bearer realm=\"\", authorization_uri=\"{}/authority/{}/oauth2/authorize\", error=\"invalid_token\"",
            state.base_url, state.tenant_id
        ),
    ));
    r
}

/// Checks the bearer token for `service`; `None` when it is valid.
fn check_token(req: &HttpRequest, service: Service, state: &State) -> Option<Reply> {
    let Some(token) = bearer(req) else {
        return Some(unauthorized(service, state, "Access token is empty."));
    };
    let tokens = lock(&state.tokens);
    let Some(t) = tokens.get(&token) else {
        return Some(unauthorized(
            service,
            state,
            "Access token validation failure. Invalid audience or unknown token.",
        ));
    };
    if Instant::now() >= t.expires {
        return Some(unauthorized(
            service,
            state,
            "Lifetime validation failed, the token is expired.",
        ));
    }
    if !service.accepts(&state.base_url, &t.audience) {
        return Some(unauthorized(service, state, "Invalid audience."));
    }
    if service == Service::Spo && t.by_secret && *lock(&state.sharepoint_requires_certificate) {
        // SharePoint's answer to an app-only token obtained with a client secret.
        return Some(Reply::json(
            StatusCode::UNAUTHORIZED,
            &json!({"error_description": "Unsupported app only token."}),
        ));
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn route(
    req: &HttpRequest,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    cmdlet: Option<&str>,
    service: Service,
    state: &State,
) -> Reply {
    match (service, method) {
        (Service::Authority, _) => authority(method, path, query, body, state),
        (Service::Control, _) => control(method, path, body, state),
        (Service::Unknown, _) => graph_error(StatusCode::NOT_FOUND, "NotFound", "No such service."),
        (_, m) => {
            if let Some(r) = check_token(req, service, state) {
                return r;
            }
            match (service, m) {
                (Service::Graph, "GET") => graph(path, query, state),
                (Service::Exo, "POST")
                    if path.ends_with("/InvokeCommand")
                        && cmdlet.is_some_and(|c| c.eq_ignore_ascii_case("Get-Mailbox")) =>
                {
                    mailboxes(path, query, body, state)
                }
                (Service::Exo | Service::Scc, "POST") if path.ends_with("/InvokeCommand") => {
                    invoke(service, path, query, cmdlet, state)
                }
                (Service::Spo, "GET") if path == "/spo/_api/SPO.Tenant" => sharepoint(state),
                (Service::Scc, "GET") if path.ends_with("/EXOModuleFile") => {
                    compliance_discovery(path, state)
                }
                (Service::Bap, _) => bap(m, path, query, state),
                (Service::Fabric, "GET") if path == "/fabric/v1/admin/tenantsettings" => {
                    fabric_tenant_settings(path, query, state)
                }
                _ => service.error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "The stand-in serves reads only.",
                ),
            }
        }
    }
}

fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The query without `$skiptoken` (raw pairs kept as sent).
fn without_skiptoken(query: &str) -> String {
    query
        .split('&')
        .filter(|p| {
            !p.is_empty()
                && !p.starts_with("$skiptoken=")
                && !p.to_ascii_lowercase().starts_with("%24skiptoken=")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// One page of `items` from `$skiptoken` (an offset), with the next link when more remain.
fn page(
    items: &[Value],
    query: &str,
    size: usize,
    next_base: &str,
    next_key: &str,
) -> Map<String, Value> {
    let skip = param(query, "$skiptoken")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let end = (skip + size).min(items.len());
    let slice = items.get(skip..end).unwrap_or(&[]).to_vec();
    let mut out = Map::new();
    out.insert("value".into(), Value::Array(slice));
    if end < items.len() {
        let rest = without_skiptoken(query);
        let sep = if rest.is_empty() { "" } else { "&" };
        out.insert(
            next_key.into(),
            json!(format!("{next_base}?{rest}{sep}$skiptoken={end}")),
        );
    }
    out
}

/// A Graph answer in the second form Microsoft documents for it, when that variant is on: the
/// beta authorization policy as its one object, the admin center and Intune settings under
/// `value` (that second form is the whole reply, hence `Err`), role and group members without
/// their `@odata.type`.
fn documented_variant(
    gpath: &str,
    served: Option<Served>,
    state: &State,
) -> Result<Option<Served>, Reply> {
    use crate::DocumentedVariant as V;
    let variants = lock(&state.variants).clone();
    let gpath = gpath.trim_end_matches('/');
    match served {
        Some(Served::Collection(items))
            if variants.contains(&V::AuthorizationPolicyObject)
                && gpath == "/beta/policies/authorizationPolicy" =>
        {
            Ok(items.into_iter().next().map(Served::Object))
        }
        Some(Served::Object(Value::Object(mut o)))
            if variants.contains(&V::AdminSettingsUnderValue)
                && matches!(
                    gpath,
                    "/beta/admin/forms" | "/beta/admin/appsAndServices" | "/v1.0/deviceManagement"
                ) =>
        {
            o.remove("@odata.context");
            Err(Reply::json(StatusCode::OK, &json!({ "value": o })))
        }
        Some(Served::Collection(items))
            if variants.contains(&V::MembersWithoutType)
                && gpath.ends_with("/members")
                && (gpath.starts_with("/beta/directoryRoles/")
                    || gpath.starts_with("/beta/groups/")) =>
        {
            let items = items
                .into_iter()
                .map(|mut m| {
                    if let Some(o) = m.as_object_mut() {
                        o.remove("@odata.type");
                    }
                    m
                })
                .collect();
            Ok(Some(Served::Collection(items)))
        }
        other => Ok(other),
    }
}

fn graph(path: &str, query: &str, state: &State) -> Reply {
    let gpath = path.strip_prefix("/graph").unwrap_or(path);
    let inner_query = without_skiptoken(query);
    let version = gpath
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("v1.0");
    let entity = gpath
        .trim_start_matches('/')
        .split_once('/')
        .map(|(_, e)| e)
        .unwrap_or("");
    let context = format!("{}/graph/{version}/$metadata#{entity}", state.base_url);
    let data = state.data();
    if let Some(permission) = data.graph.required_permission(gpath, &inner_query)
        && lock(&state.denied_permissions).contains(permission)
    {
        // Graph's answer to an application lacking the permission an endpoint requires.
        return graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    if let Some((status, body)) = crate::tcm::answer(
        gpath,
        query,
        &data.export,
        *lock(&state.tcm),
        &state.tenant_id,
        &state.base_url,
        lock(&state.denied_permissions).contains(crate::tcm::PERMISSION),
    ) {
        return Reply::json(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &body,
        );
    }
    if let Some(reply) = population_graph(gpath, query, &context, state, &data) {
        return reply;
    }
    let served = match documented_variant(gpath, data.graph.answer(gpath, &inner_query), state) {
        Ok(served) => served,
        Err(reply) => return reply,
    };
    match served {
        None => graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{gpath}' does not exist or one of its queried reference-property objects are not present."
            ),
        ),
        Some(Served::Collection(items)) => {
            let size = param(query, "$top")
                .and_then(|t| t.parse::<usize>().ok())
                .map_or(state.page_size, |t| t.clamp(1, state.page_size));
            let mut out = Map::new();
            out.insert("@odata.context".into(), json!(context));
            out.extend(page(
                &items,
                query,
                size,
                &format!("{}{}", state.base_url, path),
                "@odata.nextLink",
            ));
            Reply::json(StatusCode::OK, &Value::Object(out))
        }
        Some(Served::Object(Value::Object(mut o))) => {
            if !o.contains_key("@odata.context") {
                let mut out = Map::new();
                out.insert("@odata.context".into(), json!(format!("{context}/$entity")));
                out.append(&mut o);
                o = out;
            }
            Reply::json(StatusCode::OK, &Value::Object(o))
        }
        Some(Served::Object(other)) => Reply {
            // `$count` and other scalars come as text.
            status: StatusCode::OK,
            body: match &other {
                Value::String(s) => s.clone().into_bytes(),
                v => v.to_string().into_bytes(),
            },
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
        },
    }
}

/// The generated people of the tenant (crate::population) on Graph: `users`, one user,
/// Microsoft 365 groups and the registration details report, generated page by page. `None`:
/// not one of these, the export's tenant answers.
fn population_graph(
    gpath: &str,
    query: &str,
    context: &str,
    state: &State,
    data: &TenantData,
) -> Option<Reply> {
    use crate::population::{Collection, select};
    let population = *lock(&state.population);
    let filter = param(query, "$filter").unwrap_or_default();
    let chosen = param(query, "$select");
    let rest = gpath
        .strip_prefix("/v1.0")
        .or_else(|| gpath.strip_prefix("/beta"))?;
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let collection = match segs.as_slice() {
        ["users"] => Collection::Users {
            enabled_only: filter.replace(' ', "") == "accountEnabledeqtrue",
        },
        ["groups"] if filter.contains("groupTypes/any") => Collection::UnifiedGroups,
        [
            "reports",
            "authenticationMethods",
            "userRegistrationDetails",
        ] => Collection::Registrations {
            members_only: filter.to_ascii_lowercase().contains("usertype eq 'member'"),
        },
        ["users", id] if !id.starts_with('$') => {
            // A generated user, or one of the export's (privileged users) with its licences.
            let user = match population.user_by_id(id, &state.initial_domain) {
                Some(u) => u,
                None => {
                    let Some(Served::Object(mut u)) = data.graph.answer(gpath, "") else {
                        return None;
                    };
                    let suite = data
                        .export
                        .get("license_information")
                        .and_then(Value::as_array)
                        .and_then(|l| {
                            l.iter()
                                .filter(|s| {
                                    s.get("ConsumedUnits").and_then(Value::as_i64).unwrap_or(0) > 0
                                })
                                .find_map(|s| s.get("SkuId").and_then(Value::as_str))
                        });
                    if let Some(o) = u.as_object_mut() {
                        o.insert("assignedLicenses".into(), population.admin_licences(suite));
                        if !o.contains_key("userPrincipalName") {
                            // The export keeps display names only: first.last@initial domain.
                            let name = o
                                .get("displayName")
                                .and_then(Value::as_str)
                                .unwrap_or("user")
                                .to_ascii_lowercase()
                                .replace(' ', ".");
                            o.insert(
                                "userPrincipalName".into(),
                                json!(format!("{name}@{}", state.initial_domain)),
                            );
                        }
                    }
                    u
                }
            };
            let mut out = Map::new();
            out.insert("@odata.context".into(), json!(format!("{context}/$entity")));
            if let Value::Object(o) = select(user, chosen.as_deref()) {
                out.extend(o);
            }
            return Some(Reply::json(StatusCode::OK, &Value::Object(out)));
        }
        _ => return None,
    };
    let size = param(query, "$top")
        .and_then(|t| t.parse::<usize>().ok())
        .map_or(state.page_size, |t| t.clamp(1, state.page_size));
    let start = param(query, "$skiptoken")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let (items, next) = population.page(&collection, &state.initial_domain, start, size);
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(context));
    out.insert(
        "value".into(),
        Value::Array(
            items
                .into_iter()
                .map(|v| select(v, chosen.as_deref()))
                .collect(),
        ),
    );
    if let Some(next) = next {
        let rest = without_skiptoken(query);
        let sep = if rest.is_empty() { "" } else { "&" };
        out.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}/graph{gpath}?{rest}{sep}$skiptoken={next}",
                state.base_url
            )),
        );
    }
    Some(Reply::json(StatusCode::OK, &Value::Object(out)))
}

/// `Get-Mailbox` on `InvokeCommand`: the generated mailboxes, filtered by the
/// `RecipientTypeDetails` parameter, one page per request (`$skiptoken` in the next link as
/// Exchange's REST endpoint pages).
fn mailboxes(path: &str, query: &str, body: &[u8], state: &State) -> Reply {
    use crate::population::Collection;
    if let Err(reply) = known_tenant(Service::Exo, path, "/InvokeCommand", state) {
        return reply;
    }
    let kind = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        v.pointer("/CmdletInput/Parameters/RecipientTypeDetails")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    });
    let shared = match kind.as_deref() {
        None => None,
        Some("sharedmailbox") => Some(true),
        Some("usermailbox") => Some(false),
        Some(_) => {
            return Reply::json(
                StatusCode::OK,
                &json!({"@odata.context": format!("{}{}/$metadata#Collection(Exchange.GenericHashTable)", state.base_url, path.trim_end_matches("/InvokeCommand")), "value": []}),
            );
        }
    };
    let population = *lock(&state.population);
    let start = param(query, "$skiptoken")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let (items, next) = population.page(
        &Collection::Mailboxes { shared },
        &state.initial_domain,
        start,
        state.page_size,
    );
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(format!(
            "{}{}/$metadata#Collection(Exchange.GenericHashTable)",
            state.base_url,
            path.trim_end_matches("/InvokeCommand")
        )),
    );
    out.insert("value".into(), Value::Array(items));
    if let Some(next) = next {
        let rest = without_skiptoken(query);
        let sep = if rest.is_empty() { "" } else { "&" };
        out.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}{path}?{rest}{sep}$skiptoken={next}",
                state.base_url
            )),
        );
    }
    Reply::json(StatusCode::OK, &Value::Object(out))
}

fn export_items(state: &State, key: &str) -> Vec<Value> {
    let data = state.data();
    let found = data
        .export
        .get(key)
        .or_else(|| data.export.get("aether365").and_then(|s| s.get(key)))
        .or_else(|| crate::exchange_protection().get(key))
        .or_else(|| crate::fabric_settings().get(key))
        .or_else(|| crate::exchange_cis().get(key))
        .or_else(|| crate::security_suite().get(key));
    match found {
        Some(Value::Array(a)) => a.iter().filter(|v| !v.is_null()).cloned().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

/// `GET /v1/admin/tenantsettings` of the Fabric admin API: the tenant's settings (the export's
/// `aether365.fabric_tenant_settings`, else the stand-in tenant's own
/// [`crate::FABRIC_TENANT_SETTINGS`]) under `value`, paged with `continuationToken` and
/// `continuationUri` as the Fabric REST API pages.
fn fabric_tenant_settings(path: &str, query: &str, state: &State) -> Reply {
    let items = export_items(state, "fabric_tenant_settings");
    let skip = match param(query, "continuationToken") {
        None => 0,
        Some(t) => match t.parse::<usize>() {
            Ok(n) if n <= items.len() => n,
            _ => {
                return Service::Fabric.error(
                    StatusCode::BAD_REQUEST,
                    "InvalidContinuationToken",
                    "The continuation token is not valid.",
                );
            }
        },
    };
    let end = (skip + state.page_size).min(items.len());
    let key = if lock(&state.variants).contains(&crate::DocumentedVariant::FabricTenantSettingsKey)
    {
        "tenantSettings"
    } else {
        "value"
    };
    let mut out = Map::new();
    out.insert(
        key.into(),
        Value::Array(items.get(skip..end).unwrap_or(&[]).to_vec()),
    );
    if end < items.len() {
        out.insert("continuationToken".into(), json!(end.to_string()));
        out.insert(
            "continuationUri".into(),
            json!(format!("{}{path}?continuationToken={end}", state.base_url)),
        );
    }
    Reply::json(StatusCode::OK, &Value::Object(out))
}

/// The tenant named by the path segment before `suffix` (`.../{tenant}/InvokeCommand`), or the
/// service's `TenantNotFound` answer when the stand-in does not serve it.
fn known_tenant<'a>(
    service: Service,
    path: &'a str,
    suffix: &str,
    state: &State,
) -> Result<&'a str, Reply> {
    let tenant = path
        .trim_end_matches(suffix)
        .rsplit('/')
        .next()
        .unwrap_or("");
    if state.knows_tenant(tenant) {
        Ok(tenant)
    } else {
        Err(service.error(
            StatusCode::NOT_FOUND,
            "TenantNotFound",
            &format!("Tenant '{tenant}' was not found."),
        ))
    }
}

fn licensed(state: &State, key: &str) -> bool {
    state.data().export.get(key).and_then(Value::as_bool) != Some(false)
}

fn invoke(service: Service, path: &str, query: &str, cmdlet: Option<&str>, state: &State) -> Reply {
    if let Err(reply) = known_tenant(service, path, "/InvokeCommand", state) {
        return reply;
    }
    let Some(name) = cmdlet else {
        return service.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request body must be {\"CmdletInput\":{\"CmdletName\":...,\"Parameters\":{...}}}.",
        );
    };
    let table = if service == Service::Exo {
        EXO_CMDLETS
    } else {
        SCC_CMDLETS
    };
    let known = table.iter().find(|(c, _)| c.eq_ignore_ascii_case(name));
    let unlicensed = (service == Service::Exo
        && ATP_CMDLETS.iter().any(|c| c.eq_ignore_ascii_case(name))
        && !licensed(state, "defender_license"))
        || (service == Service::Scc
            && !licensed(state, "defender_dlp_license")
            && !SCC_WITHOUT_DLP.iter().any(|c| c.eq_ignore_ascii_case(name)));
    let Some((_, key)) = known.filter(|_| !unlicensed) else {
        return service.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "|System.Management.Automation.CommandNotFoundException|The term '{name}' is not recognized as a name of a cmdlet, function, script file, or executable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
            ),
        );
    };
    let mut items = export_items(state, key);
    if *key == "org_config" {
        // The real cmdlet answers every property: add those the export keeps elsewhere.
        let more = export_items(state, ORG_CONFIG_MORE);
        if let Some(Value::Object(more)) = more.first() {
            for item in &mut items {
                if let Value::Object(item) = item {
                    for (k, v) in more {
                        item.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(format!(
            "{}{}/$metadata#Collection(Exchange.GenericHashTable)",
            state.base_url,
            path.trim_end_matches("/InvokeCommand")
        )),
    );
    out.extend(page(
        &items,
        query,
        state.page_size,
        &format!("{}{}", state.base_url, path),
        "@odata.nextLink",
    ));
    Reply::json(StatusCode::OK, &Value::Object(out))
}

/// The Security & Compliance front door's discovery: `GET /AdminApi/v1.0/{tenant}/EXOModuleFile`
/// answers a redirect to the tenant's regional `admin.protection` host, whose first label
/// names the region.
fn compliance_discovery(path: &str, state: &State) -> Reply {
    let tenant = match known_tenant(Service::Scc, path, "/EXOModuleFile", state) {
        Ok(tenant) => tenant,
        Err(reply) => return reply,
    };
    let region = lock(&state.compliance_region).clone();
    Reply {
        status: StatusCode::FOUND,
        body: Vec::new(),
        content_type: "text/html; charset=utf-8",
        headers: vec![(
            "Location",
            format!(
                "https://{region}.admin.protection.outlook.com/AdminApi/v1.0/{tenant}/EXOModuleFile"
            ),
        )],
    }
}

fn sharepoint(state: &State) -> Reply {
    match export_items(state, "SPO_tenant").into_iter().next() {
        Some(d) => {
            let mut r = Reply::json(StatusCode::OK, &json!({ "d": d }));
            r.content_type = "application/json;odata=verbose;charset=utf-8";
            r
        }
        None => Service::Spo.error(
            StatusCode::NOT_FOUND,
            "System.IO.FileNotFoundException",
            "The tenant settings are not available.",
        ),
    }
}

/// An environment in BAP's shape, from an export row.
fn bap_environment(row: &Value) -> Value {
    let name = row.get("EnvironmentName").cloned().unwrap_or(Value::Null);
    json!({
        "id": format!("/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{}", name.as_str().unwrap_or("")),
        "type": "Microsoft.BusinessAppPlatform/scopes/environments",
        "location": row.get("Location").cloned().unwrap_or(Value::Null),
        "name": name,
        "properties": {
            "displayName": row.get("DisplayName").cloned().unwrap_or(Value::Null),
            "isDefault": row.get("IsDefault").cloned().unwrap_or(Value::Null),
            "environmentSku": row.get("EnvironmentType").cloned().unwrap_or(Value::Null),
            "createdTime": row.get("CreatedTime").cloned().unwrap_or(Value::Null),
        }
    })
}

/// The BAP group key of an export classification.
fn api_group_key(classification: &str) -> Option<&'static str> {
    match classification {
        "Confidential" => Some("hbi"),
        "General" => Some("lbi"),
        "Blocked" => Some("blocked"),
        _ => None,
    }
}

/// The connectors of one classification of an export row, in BAP's `{id, name, type}` form.
fn row_connectors(row: &Value, classification: &str) -> Vec<Value> {
    let Some(Value::Array(groups)) = row.get("connectorGroups") else {
        return Vec::new();
    };
    groups
        .iter()
        .filter(|g| g.get("classification").and_then(Value::as_str) == Some(classification))
        .flat_map(|g| match g.get("connectors") {
            Some(Value::Array(c)) => c.clone(),
            _ => Vec::new(),
        })
        .map(|c| {
            json!({
                "id": c.get("id").cloned().unwrap_or(Value::Null),
                "name": c.get("name").cloned().unwrap_or(Value::Null),
                "type": "Microsoft.PowerApps/apis",
            })
        })
        .collect()
}

/// A DLP policy in BAP's `apiPolicies` shape, from an export row (the reverse of ScubaGear's
/// normalisation), its connectors laid out as `shape` says.
fn bap_policy(row: &Value, shape: crate::DlpShape) -> Value {
    let envs = row.get("environments").cloned().unwrap_or(json!([]));
    let constraints = match row.get("environmentType").and_then(Value::as_str) {
        Some("OnlyEnvironments") => {
            json!({"environmentFilter1": {"type": "environmentFilter", "parameters": {"filterType": "include", "environments": envs}}})
        }
        Some("ExceptEnvironments") => {
            json!({"environmentFilter1": {"type": "environmentFilter", "parameters": {"filterType": "exclude", "environments": envs}}})
        }
        _ => json!({}),
    };
    let default_class = row
        .get("defaultConnectorsClassification")
        .and_then(Value::as_str);
    let mut definition = json!({
        "$schema": "https://schema.management.azure.com/providers/Microsoft.BusinessAppPlatform/schemas/2016-10-01-preview/apiPolicyDefinition.json#",
        "constraints": constraints,
    });
    let mut properties = json!({
        "displayName": row.get("displayName").cloned().unwrap_or(Value::Null),
    });
    match shape {
        crate::DlpShape::ApiGroups => {
            let mut groups = serde_json::Map::new();
            groups.insert(
                "hbi".into(),
                json!({"description": "Business data only", "apis": row_connectors(row, "Confidential")}),
            );
            groups.insert(
                "lbi".into(),
                json!({"description": "No business data allowed", "apis": row_connectors(row, "General")}),
            );
            let blocked = row_connectors(row, "Blocked");
            if !blocked.is_empty() {
                groups.insert("blocked".into(), json!({"apis": blocked}));
            }
            definition["apiGroups"] = Value::Object(groups);
            if let Some(key) = default_class.and_then(api_group_key) {
                definition["defaultApiGroup"] = json!(key);
            }
            definition["rules"] = json!([{"type": "apiGroupRule", "parameters": {"apiGroup": "hbi", "blockedApiGroups": ["lbi"]}, "actions": {"blockAction": {"type": "Block"}}}]);
        }
        crate::DlpShape::ConnectorGroups => {
            properties["connectorGroups"] = json!(
                ["Confidential", "General", "Blocked"]
                    .iter()
                    .map(|c| json!({"classification": c, "connectors": row_connectors(row, c)}))
                    .collect::<Vec<_>>()
            );
            if let Some(c) = default_class {
                properties["defaultConnectorsClassification"] = json!(c);
            }
        }
    }
    properties["definition"] = definition;
    json!({
        "name": row.get("name").cloned().unwrap_or(Value::Null),
        "id": format!("/providers/Microsoft.BusinessAppPlatform/scopes/admin/apiPolicies/{}", row.get("name").and_then(Value::as_str).unwrap_or("")),
        "type": "Microsoft.BusinessAppPlatform/scopes/apiPolicies",
        "properties": properties,
    })
}

fn bap(method: &str, path: &str, query: &str, state: &State) -> Reply {
    let p = path.strip_prefix("/bap").unwrap_or(path);
    let base = format!("{}{}", state.base_url, path);
    match (method, p) {
        ("POST", "/providers/Microsoft.BusinessAppPlatform/listTenantSettings") => {
            let v = export_items(state, "environment_creation")
                .into_iter()
                .next()
                .unwrap_or_else(|| json!({}));
            Reply::json(StatusCode::OK, &v)
        }
        ("GET", "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments") => {
            let envs: Vec<Value> = export_items(state, "environment_list")
                .iter()
                .map(bap_environment)
                .collect();
            Reply::json(
                StatusCode::OK,
                &Value::Object(page(&envs, query, state.page_size, &base, "nextLink")),
            )
        }
        ("GET", "/providers/Microsoft.BusinessAppPlatform/scopes/admin/apiPolicies") => {
            let shape = *lock(&state.dlp_shape);
            let rows: Vec<Value> = export_items(state, "dlp_policies")
                .iter()
                .flat_map(|v| match v.get("value") {
                    Some(Value::Array(a)) => a.clone(),
                    _ => Vec::new(),
                })
                .map(|r| bap_policy(&r, shape))
                .collect();
            Reply::json(
                StatusCode::OK,
                &Value::Object(page(&rows, query, state.page_size, &base, "nextLink")),
            )
        }
        ("GET", p)
            if p.starts_with("/providers/PowerPlatform.Governance/v1/tenants/")
                && p.ends_with("/tenantIsolationPolicy") =>
        {
            let tenant = p
                .trim_start_matches("/providers/PowerPlatform.Governance/v1/tenants/")
                .trim_end_matches("/tenantIsolationPolicy");
            if !state.knows_tenant(tenant) {
                return Service::Bap.error(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "The caller is not authorized for this tenant.",
                );
            }
            match export_items(state, "tenant_isolation").into_iter().next() {
                Some(v) => Reply::json(StatusCode::OK, &v),
                None => Service::Bap.error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "No tenant isolation policy.",
                ),
            }
        }
        _ => Service::Bap.error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "No such Power Platform endpoint in the stand-in.",
        ),
    }
}

fn oauth_error(status: StatusCode, error: &str, code: u32, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}", random_id(), random_id(), chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ")),
            "error_codes": [code],
            "timestamp": chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
            "trace_id": random_id(),
            "correlation_id": random_id(),
            "error_uri": "https://login.microsoftonline.com/error?code=".to_string() + &code.to_string(),
        }),
    )
}

fn authority(method: &str, path: &str, query: &str, body: &[u8], state: &State) -> Reply {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        ("POST", ["authority", tenant, "oauth2", "v2.0", "token"]) => token(tenant, body, state),
        ("GET", ["authority", tenant, "adminconsent"]) => admin_consent(tenant, query, state),
        ("GET", ["authority", tenant, "oauth2", "v2.0", "authorize"]) => {
            authorize(tenant, query, state)
        }
        ("GET", ["authority", _, "discovery", "v2.0", "keys"]) => jwks(state),
        (
            "GET",
            [
                "authority",
                tenant,
                "v2.0",
                ".well-known",
                "openid-configuration",
            ],
        ) => openid_configuration(tenant, state),
        _ => oauth_error(
            StatusCode::NOT_FOUND,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        ),
    }
}

fn admin_consent(tenant: &str, query: &str, state: &State) -> Reply {
    let client_id = param(query, "client_id").unwrap_or_default();
    let redirect = param(query, "redirect_uri").unwrap_or_default();
    let st = param(query, "state").unwrap_or_default();
    if client_id != state.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    }
    let Ok(mut to) = url::Url::parse(&redirect) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50011,
            "The redirect URI is not valid.",
        );
    };
    let known = state.knows_tenant(tenant) || tenant == "organizations" || tenant == "common";
    if !known {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    if state.consent_declined() {
        to.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "AADSTS65004: User declined to consent to access the app.",
            )
            .append_pair("state", &st);
    } else {
        // The tenant of the administrator who consented: the signed-in user's, if any.
        let consenting = lock(&state.signed_in)
            .as_ref()
            .map(|u| u.tenant_id.clone())
            .unwrap_or_else(|| state.tenant_id.clone());
        to.query_pairs_mut()
            .append_pair("admin_consent", "True")
            .append_pair("tenant", &consenting)
            .append_pair("state", &st);
    }
    Reply {
        status: StatusCode::FOUND,
        body: Vec::new(),
        content_type: "text/html; charset=utf-8",
        headers: vec![("Location", to.to_string())],
    }
}

fn token(tenant: &str, body: &[u8], state: &State) -> Reply {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if get("grant_type") == "authorization_code" {
        return code_grant(tenant, &form, state);
    }
    if !state.knows_tenant(tenant) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    if get("grant_type") != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type. The stand-in supports client_credentials only.",
        );
    }
    if get("client_id") != state.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
                get("client_id")
            ),
        );
    }
    let scope = get("scope");
    let Some(audience) = scope.strip_suffix("/.default") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    };
    let known_audience = [
        Service::Graph,
        Service::Exo,
        Service::Scc,
        Service::Spo,
        Service::Bap,
        Service::Fabric,
    ]
    .iter()
    .any(|s| s.accepts(&state.base_url, audience));
    if !known_audience {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {audience} was not found in the tenant named {tenant}."
            ),
        );
    }
    let token_endpoint = format!("{}/authority/{tenant}/oauth2/v2.0/token", state.base_url);
    if let Some(e) = authenticate(&form, &token_endpoint, state) {
        return e;
    }
    let lifetime = *lock(&state.token_lifetime);
    let random: [u8; 24] = rand::random();
    let access_token = format!("standin.{}", URL_SAFE_NO_PAD.encode(random));
    lock(&state.tokens).insert(
        access_token.clone(),
        IssuedToken {
            audience: audience.to_string(),
            expires: Instant::now() + lifetime,
            by_secret: form.contains_key("client_secret"),
        },
    );
    Reply::json(
        StatusCode::OK,
        &json!({"token_type": "Bearer", "expires_in": lifetime.as_secs(), "ext_expires_in": lifetime.as_secs(), "access_token": access_token}),
    )
}

/// Checks the client secret or the client assertion; `None` when the client is authenticated.
fn authenticate(
    form: &HashMap<String, String>,
    token_endpoint: &str,
    state: &State,
) -> Option<Reply> {
    let invalid = |code: u32, d: &str| {
        Some(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            code,
            d,
        ))
    };
    if let Some(secret) = form.get("client_secret") {
        return match &state.client_secret {
            Some(s) if s == secret => None,
            _ => invalid(
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
            ),
        };
    }
    let Some(assertion) = form.get("client_assertion") else {
        return invalid(
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    };
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return invalid(700025, "Client assertion type is not supported.");
    }
    let Some(cert) = &state.certificate else {
        return invalid(
            700027,
            "The certificate with identifier used to sign the client assertion is not registered on application.",
        );
    };
    let parts: Vec<&str> = assertion.split('.').collect();
    let [h, c, s] = parts.as_slice() else {
        return invalid(50027, "JWT token is invalid or malformed.");
    };
    let decode = |p: &str| {
        URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    };
    let (Some(header), Some(claims), Ok(sig)) = (decode(h), decode(c), URL_SAFE_NO_PAD.decode(s))
    else {
        return invalid(50027, "JWT token is invalid or malformed.");
    };
    let message = format!("{h}.{c}");
    let verified = match header.get("alg").and_then(Value::as_str) {
        Some("PS256") => {
            let x5t = header
                .get("x5t#S256")
                .and_then(Value::as_str)
                .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok());
            if x5t.as_deref() != Some(cert.sha256.as_slice()) {
                return invalid(
                    700027,
                    "The certificate with identifier used to sign the client assertion is not registered on application.",
                );
            }
            let key = rsa::pss::VerifyingKey::<Sha256>::new(cert.public.clone());
            rsa::pss::Signature::try_from(sig.as_slice())
                .is_ok_and(|sg| key.verify(message.as_bytes(), &sg).is_ok())
        }
        Some("RS256") => {
            let x5t = header
                .get("x5t")
                .and_then(Value::as_str)
                .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok());
            if x5t.as_deref() != Some(cert.sha1.as_slice()) {
                return invalid(
                    700027,
                    "The certificate with identifier used to sign the client assertion is not registered on application.",
                );
            }
            let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(cert.public.clone());
            rsa::pkcs1v15::Signature::try_from(sig.as_slice())
                .is_ok_and(|sg| key.verify(message.as_bytes(), &sg).is_ok())
        }
        _ => {
            return invalid(
                700027,
                "Client assertion contains an unsupported algorithm.",
            );
        }
    };
    if !verified {
        return invalid(700027, "Client assertion failed signature validation.");
    }
    let now = chrono::Utc::now().timestamp();
    let claim = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or("");
    if claim("aud") != token_endpoint {
        return invalid(
            700212,
            &format!(
                "No matching federated identity record found for presented assertion audience '{}'.",
                claim("aud")
            ),
        );
    }
    if claim("iss") != state.client_id || claim("sub") != state.client_id {
        return invalid(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        );
    }
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
    if exp < now || nbf > now + 300 {
        return invalid(
            700024,
            "Client assertion is not within its valid time range.",
        );
    }
    None
}

fn control(method: &str, path: &str, body: &[u8], state: &State) -> Reply {
    match (method, path) {
        ("POST", "/_standin/faults") => match serde_json::from_slice::<Fault>(body) {
            Ok(f) => {
                lock(&state.faults).push(ActiveFault::new(f));
                Reply::json(StatusCode::OK, &json!({"ok": true}))
            }
            Err(e) => Reply::json(StatusCode::BAD_REQUEST, &json!({"error": e.to_string()})),
        },
        ("DELETE", "/_standin/faults") => {
            lock(&state.faults).clear();
            Reply::json(StatusCode::OK, &json!({"ok": true}))
        }
        ("GET", "/_standin/requests") => {
            let r = lock(&state.requests).clone();
            Reply::json(StatusCode::OK, &json!(r))
        }
        _ => Reply::json(
            StatusCode::NOT_FOUND,
            &json!({"error": "unknown control endpoint"}),
        ),
    }
}

fn redirect(to: &url::Url) -> Reply {
    Reply {
        status: StatusCode::FOUND,
        body: Vec::new(),
        content_type: "text/html; charset=utf-8",
        headers: vec![("Location", to.to_string())],
    }
}

/// Whether `tenant` (a path segment) lets `user` sign in: `organizations`, `common`, or the
/// user's own tenant (by id, or by the initial domain when it is the stand-in's tenant).
fn tenant_admits(state: &State, tenant: &str, user: &DirectoryUser) -> bool {
    tenant == "organizations"
        || tenant == "common"
        || tenant.eq_ignore_ascii_case(&user.tenant_id)
        || (user.tenant_id.eq_ignore_ascii_case(&state.tenant_id) && state.knows_tenant(tenant))
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: an authorization code for the signed-in user.
fn authorize(tenant: &str, query: &str, state: &State) -> Reply {
    let client_id = param(query, "client_id").unwrap_or_default();
    if client_id != state.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    }
    let redirect_uri = param(query, "redirect_uri").unwrap_or_default();
    let Ok(mut to) = url::Url::parse(&redirect_uri) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50011,
            "The redirect URI is not valid.",
        );
    };
    let st = param(query, "state").unwrap_or_default();
    let challenge = param(query, "code_challenge").unwrap_or_default();
    let nonce = param(query, "nonce").unwrap_or_default();
    let scope = param(query, "scope").unwrap_or_default();
    let problem = if param(query, "response_type").as_deref() != Some("code") {
        Some(
            "AADSTS900144: The request body must contain the following parameter: 'response_type'.",
        )
    } else if !scope.split(' ').any(|s| s == "openid") {
        Some("AADSTS900144: The request must ask for the openid scope.")
    } else if param(query, "code_challenge_method").as_deref() != Some("S256")
        || challenge.is_empty()
    {
        Some("AADSTS501491: Invalid size of Code_Challenge parameter, or method not S256.")
    } else {
        None
    };
    if let Some(problem) = problem {
        to.query_pairs_mut()
            .append_pair("error", "invalid_request")
            .append_pair("error_description", problem)
            .append_pair("state", &st);
        return redirect(&to);
    }
    let Some(user) = lock(&state.signed_in).clone() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "interaction_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        );
    };
    if !tenant_admits(state, tenant, &user) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50020,
            &format!(
                "User account '{}' from identity provider does not exist in tenant '{tenant}' and cannot access the application.",
                user.username
            ),
        );
    }
    let bytes: [u8; 32] = rand::random();
    let code = format!("standin-code.{}", URL_SAFE_NO_PAD.encode(bytes));
    lock(&state.codes).insert(
        code.clone(),
        IssuedCode {
            client_id,
            redirect_uri,
            code_challenge: challenge,
            nonce,
            scope,
            user,
            expires: Instant::now() + Duration::from_secs(600),
        },
    );
    to.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &st)
        .append_pair("session_state", &random_id());
    redirect(&to)
}

/// `POST /{tenant}/oauth2/v2.0/token` with `grant_type=authorization_code`: checks the code
/// (single use), its client, redirect URI and PKCE verifier, and answers an RS256 ID token.
fn code_grant(tenant: &str, form: &HashMap<String, String>, state: &State) -> Reply {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let invalid_grant =
        |code: u32, d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", code, d);
    let Some(issued) = lock(&state.codes).remove(get("code")) else {
        return invalid_grant(
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        );
    };
    if Instant::now() >= issued.expires {
        return invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        );
    }
    if get("client_id") != issued.client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700005,
            "Provided Authorization Code is intended to use against other tenant or application.",
        );
    }
    if get("redirect_uri") != issued.redirect_uri {
        return invalid_grant(
            50148,
            "The redirect_uri does not match the one used in the authorization request.",
        );
    }
    let verifier_challenge =
        URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
    if verifier_challenge != issued.code_challenge {
        return invalid_grant(
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    if !tenant_admits(state, tenant, &issued.user) {
        return invalid_grant(
            700005,
            "Provided Authorization Code is intended to use against other tenant or application.",
        );
    }
    let token_endpoint = format!("{}/authority/{tenant}/oauth2/v2.0/token", state.base_url);
    if let Some(e) = authenticate(form, &token_endpoint, state) {
        return e;
    }
    let flaw = *lock(&state.id_token_flaw);
    let id_token = id_token(state, &issued, flaw);
    let random: [u8; 24] = rand::random();
    Reply::json(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "scope": "openid profile",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": format!("standin-user.{}", URL_SAFE_NO_PAD.encode(random)),
            "id_token": id_token,
        }),
    )
}

/// A signed ID token for the code's user, spoiled by `flaw` if any.
fn id_token(state: &State, issued: &IssuedCode, flaw: Option<IdTokenFlaw>) -> String {
    let user = &issued.user;
    let now = chrono::Utc::now().timestamp();
    let tid = user.tenant_id.to_ascii_lowercase();
    let mut claims = json!({
        "aud": state.client_id,
        "iss": format!("{}/authority/{tid}/v2.0", state.base_url),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": user.name,
        "nonce": issued.nonce,
        "oid": user.object_id,
        "preferred_username": user.username,
        "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{}/{}", user.object_id, state.client_id))),
        "tid": tid,
        "uti": random_id(),
        "ver": "2.0",
    });
    if !user.roles.is_empty() {
        claims["wids"] = json!(user.roles);
    }
    if let Some(email) = &user.email
        && issued.scope.split(' ').any(|s| s == "email")
    {
        claims["email"] = json!(email);
    }
    match flaw {
        Some(IdTokenFlaw::WrongAudience) => claims["aud"] = json!(random_id()),
        Some(IdTokenFlaw::WrongIssuer) => {
            claims["iss"] = json!(format!("https://sts.windows.net/{tid}/"));
        }
        Some(IdTokenFlaw::WrongNonce) => claims["nonce"] = json!("not-the-nonce-you-sent"),
        Some(IdTokenFlaw::Expired) => {
            claims["iat"] = json!(now - 7200);
            claims["nbf"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
        }
        Some(IdTokenFlaw::ForeignKey) | None => {}
    }
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": state.kid});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = match flaw {
        Some(IdTokenFlaw::ForeignKey) => state.forger_key.clone(),
        _ => state.signing_key.clone(),
    };
    let signature = rsa::pkcs1v15::SigningKey::<Sha256>::new(key)
        .sign(signing_input.as_bytes())
        .to_vec();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// `GET /{tenant}/discovery/v2.0/keys`: the ID-token signing key.
fn jwks(state: &State) -> Reply {
    let public = state.signing_key.to_public_key();
    Reply::json(
        StatusCode::OK,
        &json!({"keys": [{
            "kty": "RSA",
            "use": "sig",
            "kid": state.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }]}),
    )
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`. As at Microsoft, the multi-tenant
/// segments (`organizations`, `common`) name the issuer with a `{tenantid}` placeholder.
fn openid_configuration(tenant: &str, state: &State) -> Reply {
    let base = format!("{}/authority", state.base_url);
    let issuer_tenant = match tenant {
        "organizations" | "common" => "{tenantid}",
        t if state.knows_tenant(t) => state.tenant_id.as_str(),
        t => t,
    };
    Reply::json(
        StatusCode::OK,
        &json!({
            "issuer": format!("{base}/{issuer_tenant}/v2.0"),
            "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
            "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
            "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "email", "oid", "tid", "ver"],
        }),
    )
}
