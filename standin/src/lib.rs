//! A local stand-in for Microsoft 365, built from a ScubaGear export.
//!
//! One HTTP server on loopback serves, under one port:
//!
//! | prefix | stands in for |
//! |---|---|
//! | `/authority` | the Entra ID authority: `POST /{tenant}/oauth2/v2.0/token` (client credentials with a client secret or signed client assertion; authorization codes with PKCE, answering an RS256 ID token), `GET /{tenant}/adminconsent`, `GET /{tenant}/oauth2/v2.0/authorize` (for the user [`StandIn::sign_in`] signed in, in any tenant: it redirects back at once with a code, so tests drive it without a browser; [`StandIn::set_id_token_flaw`] spoils the ID tokens), `GET /{tenant}/discovery/v2.0/keys`, `GET /{tenant}/v2.0/.well-known/openid-configuration` |
//! | `/graph` | Microsoft Graph (`/v1.0/...`, `/beta/...`), from [`graph::GraphTenant`], paged with `@odata.nextLink` |
//! | `/graph/{v1.0,beta}/admin/configurationManagement` | Tenant Configuration Management snapshot jobs and snapshots ([`tcm`]), holding the export's Teams settings; [`StandIn::set_tcm`] chooses which jobs exist (none by default) |
//! | `/exo` | the Exchange Online admin API: `POST /adminapi/beta/{tenant}/InvokeCommand` |
//! | `/scc` | the Security & Compliance admin API, the same way |
//! | `/spo` | the SharePoint admin site: `GET /_api/SPO.Tenant` (verbose OData) |
//! | `/bap` | the Power Platform admin API (BAP), as ScubaGear calls it |
//! | `/fabric` | the Fabric admin API: `GET /v1/admin/tenantsettings` (paged with `continuationToken`/`continuationUri`; tokens for `https://api.fabric.microsoft.com` or `{base}/fabric`) |
//! | `/_standin` | control: `POST /_standin/faults` (a [`Fault`] as JSON), `DELETE /_standin/faults`, `GET /_standin/requests` |
//!
//! Answers use the real APIs' formats; faults ([`FaultKind`]) are injected on demand.

pub mod dns;
pub mod graph;
pub mod population;
mod server;
pub mod tcm;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use server::EXO_CMDLETS;

/// Directory role template id of Global Administrator (can grant admin consent).
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
/// Directory role template id of Global Reader (reads everything, cannot consent).
pub const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";

/// The user signed in at the authority, as a browser's session at Microsoft would be: the
/// authorize endpoint issues codes for this user, in this user's tenant, whatever tenant it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    /// The user's home tenant (`tid`).
    pub tenant_id: String,
    /// The user's object id (`oid`, `sub`).
    pub object_id: String,
    /// `preferred_username`.
    pub username: String,
    /// `name`.
    pub name: String,
    /// Directory role template ids (`wids`).
    pub roles: Vec<String>,
    /// The mail address (the `email` claim, when the `email` scope is asked for).
    #[serde(default)]
    pub email: Option<String>,
}

impl DirectoryUser {
    /// A user of `tenant_id` named `username` holding `roles`.
    pub fn new(tenant_id: &str, username: &str, roles: &[&str]) -> DirectoryUser {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(format!("{tenant_id}/{username}"));
        let h: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        DirectoryUser {
            tenant_id: tenant_id.to_string(),
            object_id: format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            ),
            username: username.to_string(),
            name: username.split('@').next().unwrap_or(username).to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            email: None,
        }
    }

    /// The same user with mail address `email`.
    pub fn with_email(mut self, email: &str) -> DirectoryUser {
        self.email = Some(email.to_string());
        self
    }
}

/// A flaw put into the ID tokens the authority issues, to test their validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdTokenFlaw {
    /// Signed with a key the authority does not publish (under the published key's `kid`).
    ForeignKey,
    /// `aud` is another application.
    WrongAudience,
    /// `iss` is another authority.
    WrongIssuer,
    /// `nonce` is not the one of the request.
    WrongNonce,
    /// `exp` is an hour ago.
    Expired,
}

/// The bundled sample export (the repository's `fixtures/scubagear/ProviderSettingsExport.json`).
pub const BUNDLED_EXPORT: &[u8] =
    include_bytes!("../../fixtures/scubagear/ProviderSettingsExport.json");

/// The stand-in tenant's Exchange Online Protection policies, which a ScubaGear export does
/// not carry (the repository's `fixtures/aether365/exchange-protection.json`: the `aether365`
/// section a live collection of this tenant gives). Served by `Get-MalwareFilterPolicy`,
/// `Get-HostedOutboundSpamFilterPolicy` and `Get-HostedContentFilterPolicy` when the export has
/// none of its own.
pub const EXCHANGE_PROTECTION: &[u8] =
    include_bytes!("../../fixtures/aether365/exchange-protection.json");

/// [`EXCHANGE_PROTECTION`], parsed (`Value::Null` if it ever stopped being JSON, so that the
/// cmdlets answer an empty list).
pub fn exchange_protection() -> &'static serde_json::Value {
    static PARSED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_slice(EXCHANGE_PROTECTION).unwrap_or_default())
}

/// The stand-in tenant's settings for the Security Suite baseline of ScubaGear's main branch
/// that neither a ScubaGear 1.8.0 export nor [`EXCHANGE_PROTECTION`] carries (the repository's
/// `fixtures/aether365/security-suite.json`, keys of the `aether365` section): the anti-malware,
/// inbound anti-spam and anti-phishing rules (none: the tenant has no custom policy), the Safe
/// Attachments and Safe Links policies and rules, the built-in protection rule and the audit
/// log retention policies. Served by `Get-MalwareFilterRule`, `Get-HostedContentFilterRule`,
/// `Get-AntiPhishRule`, `Get-SafeAttachmentPolicy`, `Get-SafeAttachmentRule`,
/// `Get-ATPBuiltInProtectionRule`, `Get-SafeLinksPolicy`, `Get-SafeLinksRule` and
/// `Get-UnifiedAuditLogRetentionPolicy` when the export has none of its own.
pub const SECURITY_SUITE: &[u8] = include_bytes!("../../fixtures/aether365/security-suite.json");

/// [`SECURITY_SUITE`], parsed (`Value::Null` if it ever stopped being JSON).
pub fn security_suite() -> &'static serde_json::Value {
    static PARSED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_slice(SECURITY_SUITE).unwrap_or_default())
}

/// The stand-in tenant's Fabric (Power BI) tenant settings, which a ScubaGear export does not
/// carry (the repository's `fixtures/aether365/fabric-tenant-settings.json`: the `aether365`
/// section's `fabric_tenant_settings` a live collection of this tenant gives; some CIS 9.1
/// checks pass on them, some fail). Served by `GET /fabric/v1/admin/tenantsettings` when the
/// export has none of its own.
pub const FABRIC_TENANT_SETTINGS: &[u8] =
    include_bytes!("../../fixtures/aether365/fabric-tenant-settings.json");

/// [`FABRIC_TENANT_SETTINGS`], parsed (`Value::Null` if it ever stopped being JSON, so that the
/// API answers an empty list).
pub fn fabric_settings() -> &'static serde_json::Value {
    static PARSED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_slice(FABRIC_TENANT_SETTINGS).unwrap_or_default())
}

/// The stand-in tenant's CIS v7.0.0 Exchange Online, Defender and Purview settings a ScubaGear
/// export does not carry (the repository's `fixtures/aether365/exchange-cis.json`, keys of the
/// `aether365` section): served by `Get-OwaMailboxPolicy`, `Get-ExternalInOutlook`,
/// `Get-MailboxAuditBypassAssociation`, `Get-RoleAssignmentPolicy`, `Get-EmailTenantSettings`,
/// `Get-TeamsProtectionPolicy`, `Get-LabelPolicy`, and the `Get-OrganizationConfig` properties
/// beyond ScubaGear's 14 (`organization_config`), when the export has none of its own.
pub const EXCHANGE_CIS: &[u8] = include_bytes!("../../fixtures/aether365/exchange-cis.json");

/// [`EXCHANGE_CIS`], parsed (`Value::Null` if it ever stopped being JSON).
pub fn exchange_cis() -> &'static serde_json::Value {
    static PARSED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_slice(EXCHANGE_CIS).unwrap_or_default())
}

/// The stand-in tenant's Microsoft Graph settings that a ScubaGear export does not carry (the
/// repository's `fixtures/aether365/entra-settings.json`: keys of the `aether365` section a live
/// collection of this tenant gives): the idle session timeout policy, the admin center's apps
/// and services and Forms settings, Intune's settings and enrolment restrictions, the device
/// registration policy, the B2B management policy, named locations and access reviews. Served
/// at their Graph paths when the export has none of its own.
pub const ENTRA_SETTINGS: &[u8] = include_bytes!("../../fixtures/aether365/entra-settings.json");

/// [`ENTRA_SETTINGS`], parsed (`Value::Null` if it ever stopped being JSON, so that the paths
/// answer 404).
pub fn entra_settings() -> &'static serde_json::Value {
    static PARSED: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_slice(ENTRA_SETTINGS).unwrap_or_default())
}

/// The client id the binary accepts by default.
pub const DEFAULT_CLIENT_ID: &str = "a3650000-0000-4000-8000-000000000365";
/// The client secret the binary accepts by default.
pub const DEFAULT_CLIENT_SECRET: &str = "standin-client-secret";

/// Why the stand-in could not start.
#[derive(Debug, thiserror::Error)]
pub enum StandInError {
    /// Binding or starting the server failed.
    #[error("cannot start the stand-in: {0}")]
    Io(#[from] std::io::Error),
    /// The export is not a JSON object with a tenant id.
    #[error("the export has no tenant id (tenant_id or tenant_details[0].TenantId)")]
    NoTenant,
    /// The configured certificate is not an RSA certificate in PEM.
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    /// The configured certificate PEM could not be read (the collector's reader).
    #[error("bad certificate: {0}")]
    Certificate(#[from] aether365_collector::CredentialError),
    /// The export file is not JSON.
    #[error("the export is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The DNS responder could not start.
    #[error(transparent)]
    Dns(#[from] dns::DnsError),
}

/// How the Power Platform admin API (`apiPolicies`, 2016-11-01) lays out a DLP policy's connectors;
/// Microsoft documents both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DlpShape {
    /// `properties.definition.apiGroups` keyed `hbi` (business), `lbi` (non-business) and
    /// `blocked` (only when it holds connectors), with `properties.definition.defaultApiGroup`.
    #[default]
    ApiGroups,
    /// `properties.connectorGroups`, a list of `{classification, connectors}` (`Confidential`,
    /// `General`, `Blocked`), with `properties.defaultConnectorsClassification`.
    ConnectorGroups,
}

/// An answer Microsoft's reference documents in a second form. The stand-in serves the first
/// form by default and each of these on demand ([`StandIn::set_variant`]), so the collector's
/// reading of both is tested over HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocumentedVariant {
    /// Graph beta `GET /policies/authorizationPolicy` as one object (`.../$entity`), as the beta
    /// reference's example once showed it, instead of a collection (`{"value": [...]}`).
    AuthorizationPolicyObject,
    /// Graph beta `GET /admin/forms`, `GET /admin/appsAndServices` and v1.0
    /// `GET /deviceManagement` as `{"value": {...}}`, as their reference examples show them,
    /// instead of the object itself.
    AdminSettingsUnderValue,
    /// The Fabric admin API's tenant settings under `tenantSettings`, as its earlier examples
    /// show them, instead of `value`.
    FabricTenantSettingsKey,
    /// Graph beta `GET /directoryRoles/{id}/members` and `GET /groups/{id}/members` with each
    /// member's `@odata.type` left out, as the reference's example of role members shows them
    /// (the kind of each member is then read from `/directoryObjects/{id}`).
    MembersWithoutType,
}

/// How to build a stand-in.
#[derive(Clone, Debug)]
pub struct StandInConfig {
    /// The ScubaGear export the tenant is built from.
    pub export: Value,
    /// The one application (client) id the authority knows.
    pub client_id: String,
    /// Its client secret, if secrets are accepted.
    pub client_secret: Option<String>,
    /// Its certificate (PEM), if client assertions are accepted.
    pub certificate_pem: Option<String>,
    /// Items per page for Graph, `InvokeCommand` and BAP collections (default 10).
    pub page_size: usize,
    /// Lifetime of issued access tokens (default one hour).
    pub token_lifetime: Duration,
    /// Port to bind on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The generated users, groups and mailboxes ([`population::Population`]; default: the
    /// small tenant).
    pub population: population::Population,
}

impl StandInConfig {
    /// A configuration with the default client id and secret, pages of 10, one-hour tokens.
    pub fn new(export: Value) -> StandInConfig {
        StandInConfig {
            export,
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: Some(DEFAULT_CLIENT_SECRET.to_string()),
            certificate_pem: None,
            page_size: 10,
            token_lifetime: Duration::from_secs(3600),
            port: 0,
            population: population::Population::default(),
        }
    }

    /// The bundled sample export.
    pub fn bundled() -> Result<StandInConfig, StandInError> {
        let bytes = BUNDLED_EXPORT
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(BUNDLED_EXPORT);
        Ok(StandInConfig::new(serde_json::from_slice(bytes)?))
    }
}

/// Which requests a fault applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultTarget {
    /// A path prefix (`/scc`, `/graph/beta/identity`, `/authority`); `None`: every service
    /// request (not `/authority`, not `/_standin`).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Only `InvokeCommand` of this cmdlet.
    #[serde(default)]
    pub cmdlet: Option<String>,
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After: retry_after_secs`.
    Throttle {
        /// Seconds in `Retry-After`.
        retry_after_secs: u64,
    },
    /// 503 (with `Retry-After` when given).
    Unavailable {
        /// Seconds in `Retry-After`.
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// 403 in the service's error format (Graph: `Authorization_RequestDenied`).
    Forbidden,
    /// 302 to `location` with an empty body, as a front door answers for another region or
    /// cloud.
    Redirect {
        /// The `Location` header.
        location: String,
    },
    /// The answer comes after `delay_ms` (past the client's timeout).
    Slow {
        /// Delay before answering.
        delay_ms: u64,
    },
    /// 200 with a body that is not JSON.
    Malformed,
    /// The presented token is declared expired: 401 `InvalidAuthenticationToken`,
    /// "Lifetime validation failed, the token is expired.", and the token is forgotten.
    TokenExpired,
    /// The admin declines consent: the consent redirect carries `error=access_denied`.
    ConsentDeclined,
    /// Answers lie about the tenant: every occurrence of the tenant id is replaced by this one.
    WrongTenant {
        /// The tenant id the answers claim.
        tenant_id: String,
    },
}

/// A fault to inject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What it does.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Which requests.
    #[serde(default)]
    pub target: FaultTarget,
    /// For how many matching requests (`None`: until cleared).
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// A fault on every request under `path_prefix`, until cleared.
    pub fn on(path_prefix: &str, kind: FaultKind) -> Fault {
        Fault {
            kind,
            target: FaultTarget {
                path_prefix: Some(path_prefix.to_string()),
                cmdlet: None,
            },
            times: None,
        }
    }

    /// Limits the fault to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    /// Limits the fault to one cmdlet.
    pub fn cmdlet(mut self, cmdlet: &str) -> Fault {
        self.target.cmdlet = Some(cmdlet.to_string());
        self
    }
}

/// One request the stand-in received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string.
    pub query: String,
    /// The cmdlet of an `InvokeCommand`.
    pub cmdlet: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The `Host` header (`nam13b.ps.compliance.protection.outlook.com:PORT` when a collector
    /// pins Microsoft's names to the stand-in).
    #[serde(default)]
    pub host: String,
}

/// A running stand-in. Stops when dropped.
pub struct StandIn {
    base_url: String,
    state: Arc<server::State>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl StandIn {
    /// Binds 127.0.0.1 (port 0 unless configured) and serves on a thread of its own.
    pub fn start(config: StandInConfig) -> Result<StandIn, StandInError> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let port = listener.local_addr()?.port();
        let base_url = format!("http://127.0.0.1:{port}");
        let state = Arc::new(server::State::new(config, base_url.clone())?);
        let (tx, rx) = std::sync::mpsc::channel();
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("m365-standin".into())
            .spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    match server::build(listener, thread_state) {
                        Ok(srv) => {
                            let _ = tx.send(Ok(srv.handle()));
                            let _ = srv.await;
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            })?;
        let handle = rx
            .recv()
            .map_err(|_| std::io::Error::other("the stand-in thread died"))??;
        Ok(StandIn {
            base_url,
            state,
            handle,
            thread: Some(thread),
        })
    }

    /// Replaces the generated users, groups and mailboxes.
    pub fn set_population(&self, population: population::Population) {
        *lock(&self.state.population) = population;
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The collector's endpoints with every service pointed at this stand-in
    /// (`{base}/authority`, `/graph`, `/exo`, `/scc`, `/spo`, `/bap`, `/fabric`).
    pub fn endpoints(&self) -> aether365_collector::Endpoints {
        use aether365_collector::EndpointKind;
        let b = &self.base_url;
        let mut out = aether365_collector::Endpoints::default();
        for (kind, path) in [
            (EndpointKind::Authority, "authority"),
            (EndpointKind::Graph, "graph"),
            (EndpointKind::Exchange, "exo"),
            (EndpointKind::Compliance, "scc"),
            (EndpointKind::SharePointAdmin, "spo"),
            (EndpointKind::PowerPlatform, "bap"),
            (EndpointKind::Fabric, "fabric"),
        ] {
            out.set(kind, format!("{b}/{path}"));
        }
        out
    }

    /// A collector configuration that reads this stand-in with its client id and the given
    /// secret (the stand-in's default secret unless it was configured otherwise).
    pub fn collector_config(&self, secret: &str) -> aether365_collector::CollectorConfig {
        aether365_collector::CollectorConfig::new(
            self.endpoints(),
            self.client_id(),
            aether365_collector::AppCredential::Secret(aether365_collector::Secret::new(secret)),
        )
    }

    /// The tenant id (from the export).
    pub fn tenant_id(&self) -> &str {
        &self.state.tenant_id
    }

    /// The initial domain (from the export; `tenant.onmicrosoft.com` if none).
    pub fn initial_domain(&self) -> &str {
        &self.state.initial_domain
    }

    /// The client id the authority accepts.
    pub fn client_id(&self) -> &str {
        &self.state.client_id
    }

    /// Adds a fault.
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.state.faults).push(server::ActiveFault::new(fault));
    }

    /// Changes the tenant's configuration, as an administrator would: later answers come from
    /// `export` (the tenant id and domains stay those of the original).
    pub fn set_export(&self, export: Value) {
        self.state.set_export(export);
    }

    /// Signs `user` in at the authority (`None`: nobody is signed in).
    pub fn sign_in(&self, user: Option<DirectoryUser>) {
        *lock(&self.state.signed_in) = user;
    }

    /// Spoils the ID tokens issued from now on (`None`: honest tokens again).
    pub fn set_id_token_flaw(&self, flaw: Option<IdTokenFlaw>) {
        *lock(&self.state.id_token_flaw) = flaw;
    }

    /// Chooses how DLP policies' connector groups are served (default [`DlpShape::ApiGroups`]).
    pub fn set_dlp_shape(&self, shape: DlpShape) {
        *lock(&self.state.dlp_shape) = shape;
    }

    /// Serves `variant` (`on`) or the default form again (`!on`); variants of different answers
    /// combine.
    pub fn set_variant(&self, variant: DocumentedVariant, on: bool) {
        let mut variants = lock(&self.state.variants);
        if on {
            variants.insert(variant);
        } else {
            variants.remove(&variant);
        }
    }

    /// Withdraws an application permission (`RoleManagementPolicy.Read.AzureADGroup`, ...):
    /// the reads that need it answer 403 as Graph does, the others are unaffected. Only the
    /// permissions of [`graph::GraphTenant::required_permission`] are enforced.
    pub fn deny_permission(&self, permission: &str) {
        lock(&self.state.denied_permissions).insert(permission.to_string());
    }

    /// Grants every permission again.
    pub fn grant_all_permissions(&self) {
        lock(&self.state.denied_permissions).clear();
    }

    /// Makes SharePoint refuse app-only tokens obtained with a client secret (401,
    /// `{"error_description":"Unsupported app only token."}`), as Microsoft's SharePoint does;
    /// tokens obtained with a certificate are still accepted. Off by default.
    pub fn set_sharepoint_requires_certificate(&self, on: bool) {
        *lock(&self.state.sharepoint_requires_certificate) = on;
    }

    /// The region the Security & Compliance front door's discovery redirects to (default
    /// `nam13b`): `GET /scc/AdminApi/v1.0/{tenant}/EXOModuleFile` answers 302 to
    /// `https://{region}.admin.protection.outlook.com/AdminApi/v1.0/{tenant}/EXOModuleFile`.
    pub fn set_compliance_region(&self, region: &str) {
        *lock(&self.state.compliance_region) = region.to_string();
    }

    /// Chooses the Tenant Configuration Management snapshot jobs the tenant has (default
    /// [`tcm::TcmScenario::NoJob`]). Withdraw [`tcm::PERMISSION`] with
    /// [`StandIn::deny_permission`] to have them answer 403.
    pub fn set_tcm(&self, scenario: tcm::TcmScenario) {
        *lock(&self.state.tcm) = scenario;
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        *lock(&self.state.token_lifetime) = lifetime;
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // `stop` sends the command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Locks a mutex, recovering from poisoning (a panicked handler must not wedge the stand-in).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}
