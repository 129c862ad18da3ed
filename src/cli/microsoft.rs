//! The operator's Entra application and the Microsoft 365 hosts, shared by `serve`, `tenant
//! connect`, `tenant test-connection` and `scan start`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aether365_collector::{
    AppCredential, Cloud, Collector, CollectorConfig, EndpointKind, Endpoints,
};
use clap::Args;

use super::CliError;
use super::humantime_ms;

/// Where exposure scans and collections read public DNS, which DNSSEC trust anchor they
/// validate from, and where they fetch MTA-STS policies.
#[derive(Clone, Debug, Args)]
pub struct DnsArgs {
    /// DNS server for exposure scans and the mail records of collections (default: the system resolver).
    #[arg(long, env = "AETHER365_DNS_SERVER")]
    pub dns_server: Option<std::net::SocketAddr>,
    /// File of DNSKEY records (zone-file lines) trusted as the DNSSEC root (default: the IANA
    /// root keys, key tags 20326 and 38696).
    #[arg(long, env = "AETHER365_DNS_TRUST_ANCHOR")]
    pub dns_trust_anchor: Option<PathBuf>,
    /// Where MTA-STS policies are fetched, `{domain}` standing for the domain.
    #[arg(long, env = "AETHER365_MTA_STS_URL", default_value = aether365_actors::exposure::MTA_STS_URL)]
    pub mta_sts_url: String,
}

impl DnsArgs {
    /// The exposure layer's settings.
    pub fn config(&self) -> aether365_actors::exposure::DnsConfig {
        aether365_actors::exposure::DnsConfig {
            nameserver: self.dns_server,
            trust_anchor: self.dns_trust_anchor.clone(),
            mta_sts_url: self.mta_sts_url.clone(),
            ..Default::default()
        }
    }
}

/// How aether365 reaches Microsoft 365: the cloud, any host overrides, and the application's
/// credential (a certificate, preferred, or a client secret). Without a client id, live
/// collection is off and compliance scans evaluate imported configurations.
#[derive(Clone, Debug, Default, Args)]
pub struct MicrosoftArgs {
    /// Microsoft 365 cloud: commercial, gcc, gcc-high or dod (presets for every host below).
    #[arg(long, env = "AETHER365_CLOUD", default_value = "commercial")]
    pub cloud: String,
    /// The Entra application (client) id of the operator's multi-tenant application.
    #[arg(long, env = "AETHER365_ENTRA_CLIENT_ID")]
    pub entra_client_id: Option<String>,
    /// PEM certificate of the application (the private key may be in the same file).
    #[arg(long, env = "AETHER365_ENTRA_CERTIFICATE")]
    pub entra_certificate: Option<PathBuf>,
    /// PEM private key of the certificate (default: the certificate file).
    #[arg(long, env = "AETHER365_ENTRA_PRIVATE_KEY")]
    pub entra_private_key: Option<PathBuf>,
    /// PKCS#12 (PFX) file with the certificate and its private key.
    #[arg(long, env = "AETHER365_ENTRA_PFX")]
    pub entra_pfx: Option<PathBuf>,
    /// Password of the PFX file.
    #[arg(
        long,
        env = "AETHER365_ENTRA_PFX_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    pub entra_pfx_password: String,
    /// File holding a client secret (less preferred than a certificate).
    #[arg(long, env = "AETHER365_ENTRA_CLIENT_SECRET_FILE")]
    pub entra_client_secret_file: Option<PathBuf>,
    /// A client secret (less preferred than a certificate; prefer the _FILE variable).
    #[arg(long, env = "AETHER365_ENTRA_CLIENT_SECRET", hide_env_values = true)]
    pub entra_client_secret: Option<String>,
    /// Override: the Entra authority, e.g. https://login.microsoftonline.com.
    #[arg(long, env = EndpointKind::Authority.env_var())]
    pub entra_authority_url: Option<String>,
    /// Override: Microsoft Graph, e.g. https://graph.microsoft.com.
    #[arg(long, env = EndpointKind::Graph.env_var())]
    pub graph_url: Option<String>,
    /// Override: the Exchange Online admin API host, e.g. https://outlook.office365.com.
    #[arg(long, env = EndpointKind::Exchange.env_var())]
    pub exchange_url: Option<String>,
    /// Override: the Security & Compliance admin API host.
    #[arg(long, env = EndpointKind::Compliance.env_var())]
    pub compliance_url: Option<String>,
    /// Override: the SharePoint admin host; `{tenant}` stands for the initial domain's name.
    #[arg(long, env = EndpointKind::SharePointAdmin.env_var())]
    pub sharepoint_admin_url: Option<String>,
    /// Override: the Power Platform admin API host.
    #[arg(long, env = EndpointKind::PowerPlatform.env_var())]
    pub power_platform_url: Option<String>,
    /// Override: the Fabric admin API host (Power BI and Fabric tenant settings), e.g.
    /// https://api.fabric.microsoft.com; the US government clouds have no documented one.
    #[arg(long, env = EndpointKind::Fabric.env_var())]
    pub fabric_url: Option<String>,
    /// Time limit of one request to Microsoft 365.
    #[arg(long, env = "AETHER365_COLLECT_TIMEOUT", value_parser = humantime_ms, default_value = "30s")]
    pub collect_timeout: Duration,
    /// Requests in flight per tenant during a collection.
    #[arg(long, env = "AETHER365_COLLECT_CONCURRENCY", default_value_t = 4)]
    pub collect_concurrency: usize,
}

impl MicrosoftArgs {
    /// The endpoints: the cloud's preset with the overrides applied.
    pub fn endpoints(&self) -> Result<Endpoints, CliError> {
        let cloud = Cloud::from_name(&self.cloud).ok_or_else(|| {
            CliError::Invalid(format!(
                "unknown cloud {:?}: use commercial, gcc, gcc-high or dod",
                self.cloud
            ))
        })?;
        let mut endpoints = cloud.endpoints();
        let overrides = [
            (EndpointKind::Authority, &self.entra_authority_url),
            (EndpointKind::Graph, &self.graph_url),
            (EndpointKind::Exchange, &self.exchange_url),
            (EndpointKind::Compliance, &self.compliance_url),
            (EndpointKind::SharePointAdmin, &self.sharepoint_admin_url),
            (EndpointKind::PowerPlatform, &self.power_platform_url),
            (EndpointKind::Fabric, &self.fabric_url),
        ];
        for (kind, url) in overrides {
            if let Some(url) = url {
                endpoints.set(kind, url.clone());
            }
        }
        Ok(endpoints)
    }

    /// The application's credential, or `None` when none is configured.
    fn credential(&self) -> Result<Option<AppCredential>, CliError> {
        let bad = |e: aether365_collector::CredentialError| CliError::Invalid(e.to_string());
        if let Some(pfx) = &self.entra_pfx {
            return AppCredential::from_pkcs12_file(pfx, &self.entra_pfx_password)
                .map(Some)
                .map_err(bad);
        }
        if let Some(cert) = &self.entra_certificate {
            let key = self.entra_private_key.as_ref().unwrap_or(cert);
            return AppCredential::from_pem_files(key, cert)
                .map(Some)
                .map_err(bad);
        }
        if let Some(path) = &self.entra_client_secret_file {
            let secret = std::fs::read_to_string(path).map_err(|e| CliError::File {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            return AppCredential::client_secret(secret.trim())
                .map(Some)
                .map_err(bad);
        }
        match &self.entra_client_secret {
            Some(secret) => AppCredential::client_secret(secret.trim())
                .map(Some)
                .map_err(bad),
            None => Ok(None),
        }
    }

    /// The collector, or `None` when no application is configured (live collection off).
    pub fn collector(&self) -> Result<Option<Arc<Collector>>, CliError> {
        let Some(client_id) = self.entra_client_id.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let credential = self.credential()?.ok_or_else(|| {
            CliError::Invalid(
                "AETHER365_ENTRA_CLIENT_ID is set but no credential is: give a certificate \
                 (--entra-certificate / --entra-pfx) or a client secret"
                    .into(),
            )
        })?;
        let mut config = CollectorConfig::new(self.endpoints()?, client_id, credential);
        config.timeout = self.collect_timeout;
        config.max_in_flight = self.collect_concurrency.max(1);
        let collector = Collector::new(config).map_err(|e| CliError::Invalid(e.to_string()))?;
        Ok(Some(Arc::new(collector)))
    }

    /// The collector, or an error saying how to configure one.
    pub fn require_collector(&self) -> Result<Arc<Collector>, CliError> {
        self.collector()?.ok_or_else(|| {
            CliError::Invalid(
                "no Entra application configured: set AETHER365_ENTRA_CLIENT_ID and a \
                 certificate or secret (see docs/microsoft365.md)"
                    .into(),
            )
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use clap::{Args, Command};

    use super::*;

    /// The override variables are the collector's names, which the stand-in prints.
    #[test]
    fn endpoint_overrides_read_the_collectors_variables() {
        let command = MicrosoftArgs::augment_args(Command::new("t"));
        let env = |id: &str| {
            let arg = command.get_arguments().find(|a| a.get_id() == id).unwrap();
            arg.get_env().unwrap().to_str().unwrap().to_string()
        };
        assert_eq!(env("graph_url"), "AETHER365_GRAPH_URL");
        assert_eq!(env("entra_authority_url"), "AETHER365_ENTRA_AUTHORITY_URL");
        assert_eq!(env("power_platform_url"), "AETHER365_POWER_PLATFORM_URL");
        assert_eq!(env("fabric_url"), "AETHER365_FABRIC_URL");
    }
}
