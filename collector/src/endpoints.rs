//! Clouds and the service endpoints the collector reads.
//!
//! Hosts per cloud follow ScubaGear's REST helpers (`EXORestHelper.psm1`,
//! `PowerPlatformRestHelper.psm1`, `ScubaGearApiCatalog.json`) and Microsoft's national cloud
//! documentation. Every endpoint may be overridden, including with `http://127.0.0.1:PORT/...`
//! (the stand-in).

use crate::CollectorError;
use crate::host::{self, HostError};

/// A Microsoft 365 cloud with its own set of hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cloud {
    /// The commercial (worldwide) cloud.
    Commercial,
    /// GCC (Government Community Cloud, moderate): commercial hosts, a government Power Platform.
    Gcc,
    /// GCC High.
    GccHigh,
    /// DoD.
    Dod,
}

impl Cloud {
    /// Parses `commercial`, `gcc`, `gcchigh` (or `gcc-high`), `dod`, case-insensitively.
    pub fn from_name(name: &str) -> Option<Cloud> {
        match name
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "")
            .as_str()
        {
            "commercial" | "worldwide" | "public" => Some(Cloud::Commercial),
            "gcc" => Some(Cloud::Gcc),
            "gcchigh" => Some(Cloud::GccHigh),
            "dod" => Some(Cloud::Dod),
            _ => None,
        }
    }

    /// This cloud's endpoints.
    pub fn endpoints(self) -> Endpoints {
        let (authority, graph, exchange, compliance, spo, bap, bap_resource) = match self {
            Cloud::Commercial => (
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                "https://outlook.office365.com",
                "https://ps.compliance.protection.outlook.com",
                "https://{tenant}-admin.sharepoint.com",
                "https://api.bap.microsoft.com",
                "https://service.powerapps.com/",
            ),
            Cloud::Gcc => (
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                "https://outlook.office365.com",
                "https://ps.compliance.protection.outlook.com",
                "https://{tenant}-admin.sharepoint.com",
                "https://gov.api.bap.microsoft.us",
                "https://gov.service.powerapps.us/",
            ),
            Cloud::GccHigh => (
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
                "https://outlook.office365.us",
                "https://ps.compliance.protection.office365.us",
                "https://{tenant}-admin.sharepoint.us",
                "https://high.api.bap.microsoft.us",
                "https://high.service.powerapps.us/",
            ),
            Cloud::Dod => (
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
                "https://outlook-dod.office365.us",
                "https://ps.compliance.protection.office365.us",
                "https://{tenant}-admin.sharepoint-mil.us",
                "https://api.appsplatform.us",
                "https://service.apps.appsplatform.us/",
            ),
        };
        // The Fabric admin API: Microsoft documents only the commercial host
        // (https://learn.microsoft.com/rest/api/fabric/admin/tenants/list-tenant-settings); for
        // the US government clouds no Fabric REST host is documented, so the read is unavailable
        // there unless an operator configures one (AETHER365_FABRIC_URL).
        let fabric = match self {
            Cloud::Commercial => Some("https://api.fabric.microsoft.com"),
            Cloud::Gcc | Cloud::GccHigh | Cloud::Dod => None,
        };
        Endpoints {
            authority: authority.to_string(),
            graph: graph.to_string(),
            exchange: exchange.to_string(),
            compliance: compliance.to_string(),
            sharepoint_admin: spo.to_string(),
            power_platform: bap.to_string(),
            power_platform_resource: Some(bap_resource.to_string()),
            fabric: fabric.map(str::to_string),
        }
    }
}

/// The base URLs the collector reads. A token's resource is the base URL itself (so
/// `https://graph.microsoft.com`, or `http://127.0.0.1:PORT/graph` on the stand-in), except for
/// Power Platform whose API host and token resource differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The Entra ID authority, without tenant (`https://login.microsoftonline.com`).
    pub authority: String,
    /// Microsoft Graph, without version (`https://graph.microsoft.com`).
    pub graph: String,
    /// The Exchange Online admin API front door (`https://outlook.office365.com`).
    pub exchange: String,
    /// The Security & Compliance admin API (`https://ps.compliance.protection.outlook.com`).
    pub compliance: String,
    /// The SharePoint admin site: a template with `{tenant}` (the first label of the initial
    /// domain, `contoso` for `contoso.onmicrosoft.com`) or a plain URL.
    pub sharepoint_admin: String,
    /// The Power Platform BAP API (`https://api.bap.microsoft.com`).
    pub power_platform: String,
    /// The token resource for Power Platform (`https://service.powerapps.com/`); `None` uses
    /// [`Endpoints::power_platform`] itself.
    pub power_platform_resource: Option<String>,
    /// The Fabric admin API (`https://api.fabric.microsoft.com`), its own token resource; `None`
    /// in a cloud for which Microsoft documents no Fabric host (the read is then unavailable).
    pub fabric: Option<String>,
}

impl Default for Endpoints {
    fn default() -> Self {
        Cloud::Commercial.endpoints()
    }
}

/// One of the overridable endpoints, for [`Endpoints::set`] and [`Endpoints::get`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// The Entra ID authority.
    Authority,
    /// Microsoft Graph.
    Graph,
    /// The Exchange Online admin API.
    Exchange,
    /// The Security & Compliance admin API.
    Compliance,
    /// The SharePoint admin site (a template with `{tenant}`).
    SharePointAdmin,
    /// The Power Platform admin API.
    PowerPlatform,
    /// The Fabric admin API (Power BI and Fabric tenant settings).
    Fabric,
}

impl EndpointKind {
    /// Every kind, in the order settings list them.
    pub const ALL: [EndpointKind; 7] = [
        EndpointKind::Authority,
        EndpointKind::Graph,
        EndpointKind::Exchange,
        EndpointKind::Compliance,
        EndpointKind::SharePointAdmin,
        EndpointKind::PowerPlatform,
        EndpointKind::Fabric,
    ];

    /// The environment variable that overrides this endpoint (`AETHER365_GRAPH_URL`).
    pub const fn env_var(self) -> &'static str {
        match self {
            EndpointKind::Authority => "AETHER365_ENTRA_AUTHORITY_URL",
            EndpointKind::Graph => "AETHER365_GRAPH_URL",
            EndpointKind::Exchange => "AETHER365_EXCHANGE_URL",
            EndpointKind::Compliance => "AETHER365_COMPLIANCE_URL",
            EndpointKind::SharePointAdmin => "AETHER365_SHAREPOINT_ADMIN_URL",
            EndpointKind::PowerPlatform => "AETHER365_POWER_PLATFORM_URL",
            EndpointKind::Fabric => "AETHER365_FABRIC_URL",
        }
    }
}

impl Endpoints {
    /// One endpoint's URL (`""` for the Fabric admin API in a cloud that has none).
    pub fn get(&self, kind: EndpointKind) -> &str {
        match kind {
            EndpointKind::Authority => &self.authority,
            EndpointKind::Graph => &self.graph,
            EndpointKind::Exchange => &self.exchange,
            EndpointKind::Compliance => &self.compliance,
            EndpointKind::SharePointAdmin => &self.sharepoint_admin,
            EndpointKind::PowerPlatform => &self.power_platform,
            EndpointKind::Fabric => self.fabric.as_deref().unwrap_or(""),
        }
    }

    /// `NAME=url` lines, one per endpoint, for a shell (`AETHER365_GRAPH_URL=...`).
    pub fn env_lines(&self) -> Vec<String> {
        EndpointKind::ALL
            .iter()
            .map(|&kind| format!("{}={}", kind.env_var(), self.get(kind)))
            .collect()
    }

    /// Replaces one endpoint. Overriding Power Platform also makes its token resource the new
    /// URL (a stand-in or a proxy issues tokens for what it serves).
    pub fn set(&mut self, kind: EndpointKind, url: impl Into<String>) {
        let url = url.into().trim_end_matches('/').to_string();
        match kind {
            EndpointKind::Authority => self.authority = url,
            EndpointKind::Graph => self.graph = url,
            EndpointKind::Exchange => self.exchange = url,
            EndpointKind::Compliance => self.compliance = url,
            EndpointKind::SharePointAdmin => self.sharepoint_admin = url,
            EndpointKind::PowerPlatform => {
                self.power_platform = url;
                self.power_platform_resource = None;
            }
            EndpointKind::Fabric => self.fabric = Some(url),
        }
    }

    /// Checks every endpoint is an absolute http(s) URL.
    pub fn validate(&self) -> Result<(), CollectorError> {
        let check = |name: &'static str, value: &str| {
            let probe = value.replace("{tenant}", "tenant");
            match url::Url::parse(&probe) {
                Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.has_host() => Ok(()),
                _ => Err(CollectorError::BadEndpoint {
                    name,
                    value: value.to_string(),
                }),
            }
        };
        check("authority", &self.authority)?;
        check("graph", &self.graph)?;
        check("exchange", &self.exchange)?;
        check("compliance", &self.compliance)?;
        check("sharepoint_admin", &self.sharepoint_admin)?;
        check("power_platform", &self.power_platform)?;
        if let Some(fabric) = &self.fabric {
            check("fabric", fabric)?;
        }
        Ok(())
    }

    /// The SharePoint admin URL for a tenant whose initial domain is `initial_domain`
    /// (`contoso.onmicrosoft.com` gives `https://contoso-admin.sharepoint.com`). The initial
    /// domain is tenant data: it must pass [`host::initial_domain`] (a DNS name directly under
    /// `onmicrosoft.com` or `onmicrosoft.us`), so only its first label, letters, digits and
    /// hyphens, ever reaches the URL; anything else is refused before a request or a token.
    pub fn sharepoint_admin_url(&self, initial_domain: &str) -> Result<String, HostError> {
        let label = host::initial_label(initial_domain)?;
        let url = self
            .sharepoint_admin
            .replace("{tenant}", &label)
            .trim_end_matches('/')
            .to_string();
        // Defence in depth: the URL built must still have the template's host form.
        match url::Url::parse(&url) {
            Ok(u)
                if u.username().is_empty()
                    && u.password().is_none()
                    && u.fragment().is_none()
                    && u.query().is_none()
                    && (!self.sharepoint_admin.contains("{tenant}")
                        || matches!(u.host(), Some(url::Host::Domain(_)))) =>
            {
                Ok(url)
            }
            _ => Err(HostError::NotDnsName {
                value: initial_domain.to_string(),
                reason: format!("it makes the SharePoint admin URL {url:?} unusable"),
            }),
        }
    }

    /// The OAuth scope (`{resource}/.default`) for Power Platform.
    pub(crate) fn power_platform_scope(&self) -> String {
        match &self.power_platform_resource {
            Some(r) => format!("{r}/.default"),
            None => scope_of(&self.power_platform),
        }
    }
}

/// `{base}/.default` for a base URL used as its own resource.
pub(crate) fn scope_of(base: &str) -> String {
    format!("{}/.default", base.trim_end_matches('/'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_overrides() {
        let e = Cloud::GccHigh.endpoints();
        assert_eq!(e.graph, "https://graph.microsoft.us");
        assert_eq!(
            e.sharepoint_admin_url("Contoso.onmicrosoft.us").unwrap(),
            "https://contoso-admin.sharepoint.us"
        );
        assert_eq!(
            Cloud::Commercial.endpoints().power_platform_scope(),
            "https://service.powerapps.com//.default"
        );
        let mut e = Cloud::Commercial.endpoints();
        e.set(EndpointKind::PowerPlatform, "http://127.0.0.1:9/bap/");
        assert_eq!(e.power_platform_scope(), "http://127.0.0.1:9/bap/.default");
        e.set(EndpointKind::SharePointAdmin, "http://127.0.0.1:9/spo");
        assert_eq!(
            e.sharepoint_admin_url("x.onmicrosoft.com").unwrap(),
            "http://127.0.0.1:9/spo"
        );
        assert!(e.validate().is_ok());
        e.graph = "not a url".into();
        assert!(e.validate().is_err());
        assert_eq!(Cloud::from_name("GCC-High"), Some(Cloud::GccHigh));
    }

    #[test]
    fn fabric_has_a_documented_host_only_in_the_commercial_cloud() {
        assert_eq!(
            Cloud::Commercial.endpoints().fabric.as_deref(),
            Some("https://api.fabric.microsoft.com")
        );
        for cloud in [Cloud::Gcc, Cloud::GccHigh, Cloud::Dod] {
            let mut e = cloud.endpoints();
            assert_eq!(e.fabric, None, "{cloud:?}");
            assert_eq!(e.get(EndpointKind::Fabric), "");
            assert!(e.validate().is_ok());
            e.set(EndpointKind::Fabric, "http://127.0.0.1:9/fabric/");
            assert_eq!(e.fabric.as_deref(), Some("http://127.0.0.1:9/fabric"));
        }
        assert_eq!(EndpointKind::Fabric.env_var(), "AETHER365_FABRIC_URL");
    }

    #[test]
    fn set_then_get_and_env_lines() {
        let mut e = Cloud::Commercial.endpoints();
        for (i, kind) in EndpointKind::ALL.into_iter().enumerate() {
            e.set(kind, format!("http://127.0.0.1:9/{i}/"));
        }
        for (i, kind) in EndpointKind::ALL.into_iter().enumerate() {
            assert_eq!(e.get(kind), format!("http://127.0.0.1:9/{i}"));
        }
        assert_eq!(e.env_lines()[1], "AETHER365_GRAPH_URL=http://127.0.0.1:9/1");
        assert_eq!(
            e.env_lines()[5],
            "AETHER365_POWER_PLATFORM_URL=http://127.0.0.1:9/5"
        );
    }

    #[test]
    fn sharepoint_admin_url_refuses_hosts_chosen_by_tenant_data() {
        let e = Cloud::Commercial.endpoints();
        // The payload of issue 20 item 7: a port and a fragment hidden in the initial domain.
        let err = e
            .sharepoint_admin_url("2130706433:18555#.onmicrosoft.com")
            .unwrap_err();
        assert!(err.to_string().contains("not a DNS name"), "{err}");
        for bad in [
            "127.0.0.1",
            "evil.com@contoso.onmicrosoft.com",
            "contoso.evil.com",
            "contoso.onmicrosoft.com/x",
            "",
        ] {
            assert!(e.sharepoint_admin_url(bad).is_err(), "{bad:?} passed");
        }
        assert_eq!(
            e.sharepoint_admin_url("Contoso.onmicrosoft.com").unwrap(),
            "https://contoso-admin.sharepoint.com"
        );
        assert_eq!(
            Cloud::Dod
                .endpoints()
                .sharepoint_admin_url("agency.onmicrosoft.us")
                .unwrap(),
            "https://agency-admin.sharepoint-mil.us"
        );
    }
}
