//! The collector: network in, snapshot out. Reads a Microsoft 365 tenant's configuration with
//! app-only tokens over Microsoft Graph and the admin REST endpoints, read-only by construction
//! (GET, plus `InvokeCommand` with an allow-list of `Get-*` cmdlets, the token request and Power
//! Platform's `listTenantSettings`: see [`AllowedCmdlet`] and the `request` module).
//!
//! The result is a snapshot shaped like ScubaGear's `ProviderSettingsExport.json`, with the same
//! keys and `*_successful_commands` / `*_unsuccessful_commands` lists, plus two keys of our own:
//! `aether365`, the versioned section of settings ScubaGear does not export (Exchange Online
//! Protection policies: `anti_malware_policies`, ...; see the engine's `AETHER365_SOURCES`), and
//! `aether365_collection`, that says when it was collected, how each service fared and why each
//! failed command failed.
//!
//! | service | endpoint | export keys |
//! |---|---|---|
//! | Entra ID | Microsoft Graph (`entra` module) | `conditional_access_policies`, `privileged_roles`, ... |
//! | Exchange Online | `{exchange}/adminapi/beta/{tenant}/InvokeCommand` | `remote_domains`, `accepted_domains`, `transport_config`, ... |
//! | Defender + Purview | the same, and `{compliance}/adminapi/beta/{tenant}/InvokeCommand` | `anti_phish_policies`, `dlp_compliance_policies`, ... |
//! | SharePoint | `{admin}/_api/SPO.Tenant` | `SPO_tenant`, `OneDrive_PnP_Flag` |
//! | Power Platform | BAP admin API | `environment_creation`, `environment_list`, `dlp_policies`, `tenant_isolation` |
//! | Teams | `{graph}/v1.0/admin/configurationManagement/configurationSnapshotJobs` and a succeeded job's `resourceLocation` (`teams` module) | `meeting_policies`, `federation_configuration`, `client_configuration`, `app_policies`, `broadcast_policies`, `aether365.teams_tcm_snapshot` |
//! | Power BI and Fabric | `{fabric}/v1/admin/tenantsettings` (Fabric admin API) | `aether365.fabric_tenant_settings` |
//!
//! `spf_records`, `dkim_records` and `dmarc_records` come from DNS and are not produced here.

pub mod credential;
mod dlp;
pub mod endpoints;
pub mod entra;
mod error;
mod graph;
pub mod host;
pub mod per_object;
mod request;
mod services;
pub mod signin;
mod teams;
mod transport;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use credential::{AppCredential, AssertionAlgorithm, CertificateCredential, Secret};
pub use endpoints::{Cloud, EndpointKind, Endpoints};
pub use error::{CollectorError, CredentialCause, CredentialError, ReadError, Remedy};
pub use request::AllowedCmdlet;
pub use services::{FABRIC_COMMAND, FABRIC_UNAVAILABLE};
pub use signin::{SignInError, VerifiedIdToken};
pub use teams::{TCM_JOBS_PATH, TCM_PERMISSION, TCM_SNAPSHOT_KEY, TEAMS_COMMANDS};
pub use transport::RetryPolicy;

use endpoints::scope_of;
use graph::GraphClient;
use request::ReadRequest;
use services::{AETHER365_SECTION, AETHER365_VERSION, ServiceRun};
use transport::Transport;

/// The value of `module_version` in collected snapshots.
pub const MODULE_VERSION: &str = concat!("aether365-collector ", env!("CARGO_PKG_VERSION"));

/// How to reach a tenant's services and as whom.
#[derive(Clone, Debug)]
pub struct CollectorConfig {
    /// The service endpoints (a [`Cloud`] preset, possibly overridden).
    pub endpoints: Endpoints,
    /// The Entra application (client) id.
    pub client_id: String,
    /// The application's credential.
    pub credential: AppCredential,
    /// Per-request timeout (default 30 s).
    pub timeout: Duration,
    /// Requests in flight per tenant (default 4).
    pub max_in_flight: usize,
    /// Attempts per request, the first included (default 4).
    pub max_attempts: u32,
    /// Backoff between attempts (its `max_attempts` is replaced by the field above).
    pub retry: RetryPolicy,
    /// Host names pinned to addresses, like curl's `--resolve` (default none): for
    /// split-horizon networks, and for tests that point Microsoft's host names at a stand-in.
    /// The port of each address is ignored: the URL's port is used.
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

impl CollectorConfig {
    /// A configuration with the default timeout, concurrency and retries.
    pub fn new(
        endpoints: Endpoints,
        client_id: impl Into<String>,
        credential: AppCredential,
    ) -> CollectorConfig {
        let retry = RetryPolicy::default();
        CollectorConfig {
            endpoints,
            client_id: client_id.into(),
            credential,
            timeout: Duration::from_secs(30),
            max_in_flight: 4,
            max_attempts: retry.max_attempts,
            retry,
            resolve: Vec::new(),
        }
    }
}

/// The tenant to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantTarget {
    /// The Entra tenant id (GUID).
    pub microsoft_tenant_id: String,
    /// The initial domain (`contoso.onmicrosoft.com`): names the SharePoint admin host and the
    /// Exchange anchor mailbox.
    pub initial_domain: String,
}

/// A service of the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectedService {
    /// Entra ID (Microsoft Graph), `aad_*` commands.
    Entra,
    /// Exchange Online, `exo_*` commands.
    Exchange,
    /// Defender and Purview (ScubaGear's security suite), `securitysuite_*` commands.
    Defender,
    /// SharePoint and OneDrive, `SharePoint_*` commands.
    SharePoint,
    /// Power Platform, `powerplatform_*` commands.
    PowerPlatform,
    /// Teams, `teams_*` commands.
    Teams,
    /// Power BI and Fabric (the Fabric admin API's tenant settings), `powerbi_*` commands.
    PowerBi,
}

impl CollectedService {
    /// Every service, in snapshot order.
    pub const ALL: [CollectedService; 7] = [
        CollectedService::Entra,
        CollectedService::Defender,
        CollectedService::Exchange,
        CollectedService::PowerPlatform,
        CollectedService::SharePoint,
        CollectedService::Teams,
        CollectedService::PowerBi,
    ];

    /// The prefix of its `*_successful_commands` / `*_unsuccessful_commands` keys.
    pub fn commands_prefix(self) -> &'static str {
        match self {
            CollectedService::Entra => "aad",
            CollectedService::Exchange => "exo",
            CollectedService::Defender => "securitysuite",
            CollectedService::SharePoint => "SharePoint",
            CollectedService::PowerPlatform => "powerplatform",
            CollectedService::Teams => "teams",
            CollectedService::PowerBi => "powerbi",
        }
    }

    /// A display name.
    pub fn label(self) -> &'static str {
        match self {
            CollectedService::Entra => "Entra ID",
            CollectedService::Exchange => "Exchange Online",
            CollectedService::Defender => "Defender and Purview",
            CollectedService::SharePoint => "SharePoint and OneDrive",
            CollectedService::PowerPlatform => "Power Platform",
            CollectedService::Teams => "Teams",
            CollectedService::PowerBi => "Power BI and Fabric",
        }
    }
}

/// How a service's collection went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Every command succeeded.
    Collected,
    /// Some commands succeeded, some failed.
    Partial,
    /// Every command failed.
    Failed,
    /// Nothing could be read here (Teams without a usable Tenant Configuration Management
    /// snapshot job; Power BI in a cloud without a documented Fabric admin API host).
    NotCollected,
}

/// One service's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOutcome {
    /// The service.
    pub service: CollectedService,
    /// How it went.
    pub status: ServiceStatus,
    /// Why it is not `collected` (the first failure's reason, or why nothing could be read).
    pub reason: Option<String>,
    /// Commands (ScubaGear's names) that succeeded.
    pub commands_ok: Vec<String>,
    /// Commands that failed, with the reason.
    pub commands_failed: Vec<(String, String)>,
    /// HTTP requests sent (retries and token requests included).
    pub requests: u32,
    /// Wall time.
    pub duration_ms: u64,
}

/// Progress inside a service: how many objects a per-object read has read so far (sent after
/// each page; see [`Collector::collect_with_progress`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectsRead {
    /// The service reading.
    pub service: CollectedService,
    /// What it reads (`"member users' registration details"`, ...).
    pub what: &'static str,
    /// Objects read so far.
    pub read: u64,
}

/// What a collection reports while it runs.
#[derive(Clone, Copy, Debug)]
pub enum CollectEvent<'a> {
    /// A service finished.
    Service(&'a ServiceOutcome),
    /// A per-object read advanced by a page.
    Objects(ObjectsRead),
}

/// A finished collection.
#[derive(Clone, Debug)]
pub struct Collection {
    /// The export-shaped snapshot.
    pub snapshot: Value,
    /// When the collection started.
    pub collected_at: DateTime<Utc>,
    /// Each service's outcome, in [`CollectedService::ALL`] order.
    pub services: Vec<ServiceOutcome>,
}

/// One line of `test-connection`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The service probed.
    pub service: CollectedService,
    /// The endpoint or cmdlet.
    pub endpoint: String,
    /// The permission or role it needs.
    pub permission: String,
    /// What the collector reads there.
    pub purpose: String,
    /// Whether it answered.
    pub ok: bool,
    /// `answered`, or the reason it did not.
    pub detail: String,
    /// What to do when it did not answer (none for Power BI in a cloud without a Fabric admin
    /// API host).
    pub remedy: Option<Remedy>,
}

/// Reads tenants. Cheap to share: clone the `Arc` it lives in, or call it from many tasks.
pub struct Collector {
    transport: Arc<Transport>,
    endpoints: Endpoints,
    authority: url::Url,
    /// The authority's OpenID Connect metadata and signing keys, as last read.
    keys: signin::KeyCache,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("endpoints", &self.endpoints)
            .field("client_id", &self.transport.client_id())
            .finish_non_exhaustive()
    }
}

type ServiceFuture<'a> =
    Pin<Box<dyn Future<Output = (ServiceOutcome, Map<String, Value>)> + Send + 'a>>;

impl Collector {
    /// Checks the configuration and builds the HTTP client.
    pub fn new(config: CollectorConfig) -> Result<Collector, CollectorError> {
        config.endpoints.validate()?;
        if config.client_id.trim().is_empty() {
            return Err(CollectorError::NoClientId);
        }
        if config.max_in_flight == 0 {
            return Err(CollectorError::ZeroLimit("max_in_flight"));
        }
        if config.max_attempts == 0 {
            return Err(CollectorError::ZeroLimit("max_attempts"));
        }
        let authority =
            url::Url::parse(config.endpoints.authority.trim_end_matches('/')).map_err(|_| {
                CollectorError::BadEndpoint {
                    name: "authority",
                    value: config.endpoints.authority.clone(),
                }
            })?;
        let retry = RetryPolicy {
            max_attempts: config.max_attempts,
            ..config.retry
        };
        let transport = Transport::new(
            config.timeout,
            retry,
            config.max_in_flight,
            config.endpoints.authority.clone(),
            config.client_id.trim().to_string(),
            config.credential,
            &config.resolve,
        )?;
        Ok(Collector {
            transport: Arc::new(transport),
            endpoints: config.endpoints,
            authority,
            keys: signin::KeyCache::default(),
        })
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Collects every service concurrently (requests bounded per tenant); `on_service` is
    /// called as each service finishes. Never fails: failures are in the outcomes and in the
    /// snapshot's `*_unsuccessful_commands`.
    pub async fn collect(
        &self,
        target: &TenantTarget,
        on_service: impl Fn(&ServiceOutcome) + Send + Sync,
    ) -> Collection {
        self.collect_with_progress(target, |event| {
            if let CollectEvent::Service(outcome) = event {
                on_service(outcome);
            }
        })
        .await
    }

    /// [`Collector::collect`], reporting each finished service and each page of the per-object
    /// reads ([`CollectEvent`]).
    pub async fn collect_with_progress(
        &self,
        target: &TenantTarget,
        on_event: impl Fn(CollectEvent<'_>) + Send + Sync,
    ) -> Collection {
        let collected_at = Utc::now();
        let on_objects = |read: ObjectsRead| on_event(CollectEvent::Objects(read));
        let mut pending: FuturesUnordered<ServiceFuture<'_>> = FuturesUnordered::new();
        for service in CollectedService::ALL {
            pending.push(Box::pin(self.collect_service(service, target, &on_objects)));
        }
        let mut outcomes = Vec::new();
        let mut sections = Map::new();
        while let Some((outcome, mut part)) = pending.next().await {
            on_event(CollectEvent::Service(&outcome));
            let prefix = outcome.service.commands_prefix();
            part.insert(
                format!("{prefix}_successful_commands"),
                json!(outcome.commands_ok),
            );
            part.insert(
                format!("{prefix}_unsuccessful_commands"),
                json!(
                    outcome
                        .commands_failed
                        .iter()
                        .map(|(c, _)| c)
                        .collect::<Vec<_>>()
                ),
            );
            sections.insert(
                outcome.service.commands_prefix().to_string(),
                Value::Object(part),
            );
            outcomes.push(outcome);
        }
        outcomes.sort_by_key(|o| CollectedService::ALL.iter().position(|s| *s == o.service));
        let snapshot = assemble(target, collected_at, &outcomes, sections);
        Collection {
            snapshot,
            collected_at,
            services: outcomes,
        }
    }

    async fn collect_service<'s>(
        &'s self,
        service: CollectedService,
        target: &'s TenantTarget,
        on_objects: per_object::OnObjects<'s>,
    ) -> (ServiceOutcome, Map<String, Value>) {
        let started = Instant::now();
        let session = self.transport.session(&target.microsoft_tenant_id);
        let mut teams_unreadable: Option<String> = None;
        let run = match service {
            CollectedService::Entra => {
                let graph = GraphClient::new(&session, &self.endpoints.graph);
                let (e, own) = tokio::join!(
                    entra::collect(&graph, &target.microsoft_tenant_id),
                    entra::settings::collect_settings(&graph)
                );
                let mut sections = e.sections;
                sections.remove("aad_successful_commands");
                sections.remove("aad_unsuccessful_commands");
                // Ours after ScubaGear's, in `aad_successful_commands` too.
                sections.insert(AETHER365_SECTION.to_string(), Value::Object(own.section));
                let (mut ok, mut failed) = (e.successful, e.unsuccessful);
                ok.extend(own.ok);
                failed.extend(own.failed);
                let mut run = ServiceRun {
                    sections,
                    ok,
                    failed,
                };
                // Per-object reads, after ScubaGear's commands (they need its privileged users).
                let privileged = (!run.failed.iter().any(|(c, _)| c == "Get-PrivilegedUser"))
                    .then(|| run.sections.get("privileged_users"))
                    .flatten()
                    .and_then(Value::as_object)
                    .cloned();
                let own = per_object::entra(
                    &session,
                    &self.endpoints.graph,
                    privileged.as_ref(),
                    on_objects,
                )
                .await;
                per_object::record(&mut run, own);
                run
            }
            CollectedService::Exchange => {
                let mut run = services::exchange(&session, &self.endpoints, target).await;
                // Per-object reads last: they page through every shared and user mailbox.
                let own = per_object::exchange(&session, &self.endpoints, target, on_objects).await;
                per_object::record(&mut run, own);
                run
            }
            CollectedService::Defender => {
                services::security_suite(&session, &self.endpoints, target).await
            }
            CollectedService::SharePoint => {
                services::sharepoint(&session, &self.endpoints, target).await
            }
            CollectedService::PowerPlatform => {
                services::power_platform(&session, &self.endpoints, target).await
            }
            CollectedService::Teams => {
                let (run, why) = teams::collect(&session, &self.endpoints.graph).await;
                teams_unreadable = why;
                run
            }
            CollectedService::PowerBi => services::power_bi(&session, &self.endpoints).await,
        };
        // Services nothing can read here: Teams without a usable Tenant Configuration
        // Management snapshot job, and Power BI in a cloud without a documented Fabric admin
        // API host.
        let unreadable = match service {
            CollectedService::Teams => teams_unreadable,
            CollectedService::PowerBi if self.endpoints.fabric.is_none() => {
                Some(FABRIC_UNAVAILABLE.to_string())
            }
            _ => None,
        };
        let status = if unreadable.is_some() {
            ServiceStatus::NotCollected
        } else if run.failed.is_empty() {
            ServiceStatus::Collected
        } else if run.ok.is_empty() {
            ServiceStatus::Failed
        } else {
            ServiceStatus::Partial
        };
        let reason = unreadable.or_else(|| run.failed.first().map(|(c, r)| format!("{c}: {r}")));
        let outcome = ServiceOutcome {
            service,
            status,
            reason,
            commands_ok: run.ok,
            commands_failed: run.failed,
            requests: session.requests(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        tracing::info!(
            service = service.label(),
            status = ?outcome.status,
            requests = outcome.requests,
            duration_ms = outcome.duration_ms,
            "service collected"
        );
        (outcome, run.sections)
    }

    /// Display name, domains, initial domain and licences of a tenant that has consented.
    pub async fn tenant_info(
        &self,
        microsoft_tenant_id: &str,
    ) -> Result<entra::TenantInfo, ReadError> {
        let session = self.transport.session(microsoft_tenant_id);
        let graph = GraphClient::new(&session, &self.endpoints.graph);
        entra::tenant_info(&graph).await
    }

    /// One line per permission and endpoint: answered, or missing and why.
    pub async fn test_connection(&self, target: &TenantTarget) -> Vec<Probe> {
        let session = self.transport.session(&target.microsoft_tenant_id);
        let graph = GraphClient::new(&session, &self.endpoints.graph);
        let graph_probes = entra::GRAPH_PROBES
            .iter()
            .map(|(path, permission, purpose)| {
                let graph = &graph;
                async move {
                    let r = entra::GraphReader::get(graph, path).await.map(|_| ());
                    probe(CollectedService::Entra, path, permission, purpose, r)
                }
            });
        let mut probes = join_all_vec(graph_probes).await;

        let tid = &target.microsoft_tenant_id;
        let invoke = |base: &str, cmdlet: AllowedCmdlet| {
            let base = base.to_string();
            let session = &session;
            async move {
                let req = ReadRequest::invoke(&base, tid, cmdlet, Map::new())?
                    .header("X-AnchorMailbox", services::anchor(target)?);
                session.list(req, Some(&scope_of(&base))).await.map(|_| ())
            }
        };
        let admin = self.endpoints.sharepoint_admin_url(&target.initial_domain);
        let bap = self
            .endpoints
            .power_platform
            .trim_end_matches('/')
            .to_string();
        let spo = async {
            let admin = admin?;
            let req = ReadRequest::get(&format!("{admin}/_api/SPO.Tenant"))?
                .header("Accept", "application/json;odata=verbose");
            session
                .execute(&req, Some(&scope_of(&admin)))
                .await
                .map(|_| ())
        };
        let pp = async {
            let req = ReadRequest::get(&format!(
                "{bap}/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments?api-version=2023-06-01"
            ))?;
            session
                .execute(&req, Some(&self.endpoints.power_platform_scope()))
                .await
                .map(|_| ())
        };
        let fabric = async {
            let Some(base) = self.endpoints.fabric.as_deref() else {
                return Ok(()); // no host: reported below
            };
            let base = base.trim_end_matches('/');
            let req = ReadRequest::get(&format!("{base}/v1/admin/tenantsettings"))?
                .permission(services::FABRIC_PERMISSION);
            session
                .execute(&req, Some(&scope_of(base)))
                .await
                .map(|_| ())
        };
        let (exo, scc, spo, pp, fabric) = futures_util::join!(
            invoke(
                &self.endpoints.exchange,
                AllowedCmdlet::GetOrganizationConfig
            ),
            invoke(
                &self.endpoints.compliance,
                AllowedCmdlet::GetDlpCompliancePolicy
            ),
            spo,
            pp,
            fabric
        );
        probes.push(probe(
            CollectedService::Exchange,
            "InvokeCommand Get-OrganizationConfig",
            services::EXO_PERMISSION,
            "Exchange Online and Defender settings",
            exo,
        ));
        probes.push(probe(
            CollectedService::Defender,
            "Security & Compliance InvokeCommand Get-DlpCompliancePolicy",
            services::SCC_PERMISSION,
            "Purview DLP policies and alerts",
            scc,
        ));
        probes.push(probe(
            CollectedService::SharePoint,
            "/_api/SPO.Tenant",
            services::SPO_PERMISSION,
            "SharePoint and OneDrive tenant settings",
            spo,
        ));
        probes.push(probe(
            CollectedService::PowerPlatform,
            "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments",
            services::PP_PERMISSION,
            "Power Platform environments, DLP policies, tenant settings and isolation",
            pp,
        ));
        if self.endpoints.fabric.is_some() {
            probes.push(probe(
                CollectedService::PowerBi,
                "/v1/admin/tenantsettings",
                services::FABRIC_PERMISSION,
                "Power BI and Fabric tenant settings",
                fabric,
            ));
        } else {
            probes.push(Probe {
                service: CollectedService::PowerBi,
                endpoint: "(none)".into(),
                permission: services::FABRIC_PERMISSION.into(),
                purpose: "Power BI and Fabric tenant settings".into(),
                ok: false,
                detail: FABRIC_UNAVAILABLE.into(),
                remedy: None,
            });
        }
        let tcm = async {
            let base = self.endpoints.graph.trim_end_matches('/');
            let req = ReadRequest::get(&format!("{base}{TCM_JOBS_PATH}?$top=1"))?
                .permission(TCM_PERMISSION);
            session.list(req, Some(&scope_of(base))).await.map(|_| ())
        };
        probes.push(probe(
            CollectedService::Teams,
            TCM_JOBS_PATH,
            TCM_PERMISSION,
            "Teams tenant configuration, from Tenant Configuration Management snapshots an administrator created",
            tcm.await,
        ));
        probes
    }

    /// The admin-consent URL: `{authority}/{tenant|organizations}/adminconsent?client_id&redirect_uri&state`.
    pub fn admin_consent_url(
        &self,
        tenant: Option<&str>,
        redirect_uri: &str,
        state: &str,
    ) -> url::Url {
        let mut u = self.authority.clone();
        if let Ok(mut segments) = u.path_segments_mut() {
            segments
                .pop_if_empty()
                .push(tenant.unwrap_or("organizations"))
                .push("adminconsent");
        }
        u.query_pairs_mut()
            .clear()
            .append_pair("client_id", self.transport.client_id())
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        u
    }
}

async fn join_all_vec<F: Future<Output = Probe>>(futures: impl Iterator<Item = F>) -> Vec<Probe> {
    futures_util::future::join_all(futures).await
}

fn probe(
    service: CollectedService,
    endpoint: &str,
    permission: &str,
    purpose: &str,
    result: Result<(), ReadError>,
) -> Probe {
    let (ok, detail, remedy) = match result {
        Ok(()) => (true, "answered".to_string(), None),
        Err(e) => (false, e.reason(), Some(e.remedy())),
    };
    Probe {
        service,
        endpoint: endpoint.to_string(),
        permission: permission.to_string(),
        purpose: purpose.to_string(),
        ok,
        detail,
        remedy,
    }
}

/// Puts the services' sections together in the export's shape.
fn assemble(
    target: &TenantTarget,
    collected_at: DateTime<Utc>,
    outcomes: &[ServiceOutcome],
    mut by_service: Map<String, Value>,
) -> Value {
    let mut out = Map::new();
    out.insert("baseline_version".into(), json!("1"));
    out.insert("module_version".into(), json!(MODULE_VERSION));
    out.insert(
        "date".into(),
        json!(
            collected_at
                .format("%m/%d/%Y %H:%M:%S Coordinated Universal Time")
                .to_string()
        ),
    );
    out.insert(
        "timestamp_zulu".into(),
        json!(collected_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
    );
    out.insert(
        "report_uuid".into(),
        json!(uuid::Uuid::new_v4().to_string()),
    );
    out.insert("tenant_id".into(), json!(target.microsoft_tenant_id));
    for service in CollectedService::ALL {
        if let Some(Value::Object(part)) = by_service.remove(service.commands_prefix()) {
            for (k, v) in part {
                if k == AETHER365_SECTION
                    && let Value::Object(from) = v
                {
                    // Our own section: each service adds its keys to the one object.
                    let own = out
                        .entry(k)
                        .or_insert_with(|| json!({ "version": AETHER365_VERSION }));
                    if let Some(into) = own.as_object_mut() {
                        into.extend(from);
                    }
                    continue;
                }
                // Sections from two services (none today) keep the first.
                out.entry(k).or_insert(v);
            }
        }
    }
    // Every collected snapshot carries our section, even when no service filled a key of it.
    out.entry(AETHER365_SECTION)
        .or_insert_with(|| json!({ "version": AETHER365_VERSION }));
    let command_errors: Map<String, Value> = outcomes
        .iter()
        .flat_map(|o| o.commands_failed.iter())
        .map(|(c, r)| (c.clone(), json!(r)))
        .collect();
    out.insert(
        "aether365_collection".into(),
        json!({
            "collected_at": collected_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "services": outcomes,
            "command_errors": command_errors,
        }),
    );
    Value::Object(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn each_snapshot_has_its_own_version_4_report_uuid() {
        let target = TenantTarget {
            microsoft_tenant_id: "t".into(),
            initial_domain: "contoso.onmicrosoft.com".into(),
        };
        let id = |v: Value| uuid::Uuid::parse_str(v["report_uuid"].as_str().unwrap()).unwrap();
        let a = id(assemble(&target, Utc::now(), &[], Map::new()));
        let b = id(assemble(&target, Utc::now(), &[], Map::new()));
        assert_eq!(a.get_version(), Some(uuid::Version::Random));
        assert_eq!(a.to_string(), a.hyphenated().to_string());
        assert_ne!(a, b);
    }

    #[test]
    fn admin_consent_url_shape() {
        let c = Collector::new(CollectorConfig::new(
            Cloud::Commercial.endpoints(),
            "app",
            AppCredential::client_secret("s").unwrap(),
        ))
        .unwrap();
        let u = c.admin_consent_url(
            Some("contoso.onmicrosoft.com"),
            "https://a.example/cb",
            "xyz",
        );
        assert_eq!(
            u.as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=app&redirect_uri=https%3A%2F%2Fa.example%2Fcb&state=xyz"
        );
        let u = c.admin_consent_url(None, "https://a.example/cb", "xyz");
        assert!(u.path().starts_with("/organizations/adminconsent"));
    }

    #[test]
    fn outcomes_serialise_snake_case() {
        let o = ServiceOutcome {
            service: CollectedService::PowerPlatform,
            status: ServiceStatus::NotCollected,
            reason: None,
            commands_ok: vec![],
            commands_failed: vec![],
            requests: 0,
            duration_ms: 0,
        };
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["service"], "power_platform");
        assert_eq!(v["status"], "not_collected");
    }
}
