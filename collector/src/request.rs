//! The read-only request builder: the only requests the collector can send.
//!
//! [`ReadRequest`] has private fields and four kinds of constructor, and the transport accepts
//! nothing else:
//!
//! - [`ReadRequest::get`]: a GET;
//! - [`ReadRequest::invoke`]: a POST to `{api}/adminapi/beta/{tenant}/InvokeCommand` whose cmdlet
//!   is an [`AllowedCmdlet`], a closed list of `Get-*` cmdlets (a cmdlet name from a string goes
//!   through [`AllowedCmdlet::from_name`], which refuses anything else);
//! - [`ReadRequest::token`]: the OAuth POST to the authority's token endpoint (client credentials,
//!   or the redemption of an administrator's sign-in code);
//! - [`ReadRequest::power_platform_list_tenant_settings`]: Power Platform's
//!   `listTenantSettings`, a read that Microsoft only exposes as POST (ScubaGear's
//!   `Get-PowerPlatformTenantSettingsRest` calls it the same way); its URL is fixed here, its
//!   body is empty.
//!
//! Next-page links are followed only to the same origin, and an `InvokeCommand` next page keeps
//! the same cmdlet and path.

use serde_json::{Map, Value};
use url::Url;

use crate::ReadError;

/// A `Get-*` cmdlet the collector may run through `InvokeCommand`. Nothing else can be invoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AllowedCmdlet {
    /// `Get-RemoteDomain`.
    GetRemoteDomain,
    /// `Get-AcceptedDomain`.
    GetAcceptedDomain,
    /// `Get-DkimSigningConfig`.
    GetDkimSigningConfig,
    /// `Get-TransportConfig`.
    GetTransportConfig,
    /// `Get-SharingPolicy`.
    GetSharingPolicy,
    /// `Get-TransportRule`.
    GetTransportRule,
    /// `Get-HostedConnectionFilterPolicy`.
    GetHostedConnectionFilterPolicy,
    /// `Get-OrganizationConfig`.
    GetOrganizationConfig,
    /// `Get-InboundConnector`.
    GetInboundConnector,
    /// `Get-OutboundConnector`.
    GetOutboundConnector,
    /// `Get-IntraOrganizationConnector`.
    GetIntraOrganizationConnector,
    /// `Get-OrganizationRelationship`.
    GetOrganizationRelationship,
    /// `Get-AdminAuditLogConfig`.
    GetAdminAuditLogConfig,
    /// `Get-EOPProtectionPolicyRule`.
    GetEopProtectionPolicyRule,
    /// `Get-AntiPhishPolicy`.
    GetAntiPhishPolicy,
    /// `Get-AtpPolicyForO365`.
    GetAtpPolicyForO365,
    /// `Get-ATPProtectionPolicyRule`.
    GetAtpProtectionPolicyRule,
    /// `Get-DlpCompliancePolicy` (Security & Compliance).
    GetDlpCompliancePolicy,
    /// `Get-DlpComplianceRule` (Security & Compliance).
    GetDlpComplianceRule,
    /// `Get-ProtectionAlert` (Security & Compliance).
    GetProtectionAlert,
    /// `Get-MalwareFilterPolicy` (anti-malware policies).
    GetMalwareFilterPolicy,
    /// `Get-HostedOutboundSpamFilterPolicy` (outbound anti-spam policies).
    GetHostedOutboundSpamFilterPolicy,
    /// `Get-HostedContentFilterPolicy` (inbound anti-spam policies).
    GetHostedContentFilterPolicy,
    // CIS v7.0.0 Exchange Online, Defender and Purview settings (cis-exchange).
    /// `Get-OwaMailboxPolicy` (Outlook on the web mailbox policies).
    GetOwaMailboxPolicy,
    /// `Get-ExternalInOutlook` (external sender identification).
    GetExternalInOutlook,
    /// `Get-MailboxAuditBypassAssociation` (accounts that bypass mailbox auditing).
    GetMailboxAuditBypassAssociation,
    /// `Get-RoleAssignmentPolicy` (the roles users hold over their own mailbox).
    GetRoleAssignmentPolicy,
    /// `Get-EmailTenantSettings` (priority account protection).
    GetEmailTenantSettings,
    /// `Get-TeamsProtectionPolicy` (zero-hour auto purge for Teams).
    GetTeamsProtectionPolicy,
    /// `Get-LabelPolicy` (Security & Compliance: sensitivity label policies).
    GetLabelPolicy,
    /// `Get-Mailbox` (shared mailboxes for CIS 1.2.2, user mailboxes' audit settings for
    /// CIS 6.1.2; read page by page).
    GetMailbox,
    // The Security Suite baseline of ScubaGear's main branch (issue 21): the rules that say
    // whom each Exchange Online Protection and Defender for Office 365 policy applies to.
    /// `Get-MalwareFilterRule` (the anti-malware policies' recipient rules).
    GetMalwareFilterRule,
    /// `Get-HostedContentFilterRule` (the inbound anti-spam policies' recipient rules).
    GetHostedContentFilterRule,
    /// `Get-AntiPhishRule` (the anti-phishing policies' recipient rules).
    GetAntiPhishRule,
    /// `Get-SafeAttachmentPolicy` (Defender for Office 365).
    GetSafeAttachmentPolicy,
    /// `Get-SafeAttachmentRule` (Defender for Office 365).
    GetSafeAttachmentRule,
    /// `Get-ATPBuiltInProtectionRule` (Defender for Office 365: the built-in protection's
    /// exceptions).
    GetAtpBuiltInProtectionRule,
    /// `Get-SafeLinksPolicy` (Defender for Office 365).
    GetSafeLinksPolicy,
    /// `Get-SafeLinksRule` (Defender for Office 365).
    GetSafeLinksRule,
    /// `Get-UnifiedAuditLogRetentionPolicy` (Security & Compliance: audit log retention).
    GetUnifiedAuditLogRetentionPolicy,
}

impl AllowedCmdlet {
    /// Every allowed cmdlet.
    pub const ALL: &'static [AllowedCmdlet] = &[
        AllowedCmdlet::GetRemoteDomain,
        AllowedCmdlet::GetAcceptedDomain,
        AllowedCmdlet::GetDkimSigningConfig,
        AllowedCmdlet::GetTransportConfig,
        AllowedCmdlet::GetSharingPolicy,
        AllowedCmdlet::GetTransportRule,
        AllowedCmdlet::GetHostedConnectionFilterPolicy,
        AllowedCmdlet::GetOrganizationConfig,
        AllowedCmdlet::GetInboundConnector,
        AllowedCmdlet::GetOutboundConnector,
        AllowedCmdlet::GetIntraOrganizationConnector,
        AllowedCmdlet::GetOrganizationRelationship,
        AllowedCmdlet::GetAdminAuditLogConfig,
        AllowedCmdlet::GetEopProtectionPolicyRule,
        AllowedCmdlet::GetAntiPhishPolicy,
        AllowedCmdlet::GetAtpPolicyForO365,
        AllowedCmdlet::GetAtpProtectionPolicyRule,
        AllowedCmdlet::GetDlpCompliancePolicy,
        AllowedCmdlet::GetDlpComplianceRule,
        AllowedCmdlet::GetProtectionAlert,
        AllowedCmdlet::GetMalwareFilterPolicy,
        AllowedCmdlet::GetHostedOutboundSpamFilterPolicy,
        AllowedCmdlet::GetHostedContentFilterPolicy,
        AllowedCmdlet::GetOwaMailboxPolicy,
        AllowedCmdlet::GetExternalInOutlook,
        AllowedCmdlet::GetMailboxAuditBypassAssociation,
        AllowedCmdlet::GetRoleAssignmentPolicy,
        AllowedCmdlet::GetEmailTenantSettings,
        AllowedCmdlet::GetTeamsProtectionPolicy,
        AllowedCmdlet::GetLabelPolicy,
        AllowedCmdlet::GetMailbox,
        AllowedCmdlet::GetMalwareFilterRule,
        AllowedCmdlet::GetHostedContentFilterRule,
        AllowedCmdlet::GetAntiPhishRule,
        AllowedCmdlet::GetSafeAttachmentPolicy,
        AllowedCmdlet::GetSafeAttachmentRule,
        AllowedCmdlet::GetAtpBuiltInProtectionRule,
        AllowedCmdlet::GetSafeLinksPolicy,
        AllowedCmdlet::GetSafeLinksRule,
        AllowedCmdlet::GetUnifiedAuditLogRetentionPolicy,
    ];

    /// The cmdlet's name as Exchange Online spells it.
    pub fn name(self) -> &'static str {
        match self {
            AllowedCmdlet::GetRemoteDomain => "Get-RemoteDomain",
            AllowedCmdlet::GetAcceptedDomain => "Get-AcceptedDomain",
            AllowedCmdlet::GetDkimSigningConfig => "Get-DkimSigningConfig",
            AllowedCmdlet::GetTransportConfig => "Get-TransportConfig",
            AllowedCmdlet::GetSharingPolicy => "Get-SharingPolicy",
            AllowedCmdlet::GetTransportRule => "Get-TransportRule",
            AllowedCmdlet::GetHostedConnectionFilterPolicy => "Get-HostedConnectionFilterPolicy",
            AllowedCmdlet::GetOrganizationConfig => "Get-OrganizationConfig",
            AllowedCmdlet::GetInboundConnector => "Get-InboundConnector",
            AllowedCmdlet::GetOutboundConnector => "Get-OutboundConnector",
            AllowedCmdlet::GetIntraOrganizationConnector => "Get-IntraOrganizationConnector",
            AllowedCmdlet::GetOrganizationRelationship => "Get-OrganizationRelationship",
            AllowedCmdlet::GetAdminAuditLogConfig => "Get-AdminAuditLogConfig",
            AllowedCmdlet::GetEopProtectionPolicyRule => "Get-EOPProtectionPolicyRule",
            AllowedCmdlet::GetAntiPhishPolicy => "Get-AntiPhishPolicy",
            AllowedCmdlet::GetAtpPolicyForO365 => "Get-AtpPolicyForO365",
            AllowedCmdlet::GetAtpProtectionPolicyRule => "Get-ATPProtectionPolicyRule",
            AllowedCmdlet::GetDlpCompliancePolicy => "Get-DlpCompliancePolicy",
            AllowedCmdlet::GetDlpComplianceRule => "Get-DlpComplianceRule",
            AllowedCmdlet::GetProtectionAlert => "Get-ProtectionAlert",
            AllowedCmdlet::GetMalwareFilterPolicy => "Get-MalwareFilterPolicy",
            AllowedCmdlet::GetHostedOutboundSpamFilterPolicy => {
                "Get-HostedOutboundSpamFilterPolicy"
            }
            AllowedCmdlet::GetHostedContentFilterPolicy => "Get-HostedContentFilterPolicy",
            AllowedCmdlet::GetOwaMailboxPolicy => "Get-OwaMailboxPolicy",
            AllowedCmdlet::GetExternalInOutlook => "Get-ExternalInOutlook",
            AllowedCmdlet::GetMailboxAuditBypassAssociation => "Get-MailboxAuditBypassAssociation",
            AllowedCmdlet::GetRoleAssignmentPolicy => "Get-RoleAssignmentPolicy",
            AllowedCmdlet::GetEmailTenantSettings => "Get-EmailTenantSettings",
            AllowedCmdlet::GetTeamsProtectionPolicy => "Get-TeamsProtectionPolicy",
            AllowedCmdlet::GetLabelPolicy => "Get-LabelPolicy",
            AllowedCmdlet::GetMailbox => "Get-Mailbox",
            AllowedCmdlet::GetMalwareFilterRule => "Get-MalwareFilterRule",
            AllowedCmdlet::GetHostedContentFilterRule => "Get-HostedContentFilterRule",
            AllowedCmdlet::GetAntiPhishRule => "Get-AntiPhishRule",
            AllowedCmdlet::GetSafeAttachmentPolicy => "Get-SafeAttachmentPolicy",
            AllowedCmdlet::GetSafeAttachmentRule => "Get-SafeAttachmentRule",
            AllowedCmdlet::GetAtpBuiltInProtectionRule => "Get-ATPBuiltInProtectionRule",
            AllowedCmdlet::GetSafeLinksPolicy => "Get-SafeLinksPolicy",
            AllowedCmdlet::GetSafeLinksRule => "Get-SafeLinksRule",
            AllowedCmdlet::GetUnifiedAuditLogRetentionPolicy => {
                "Get-UnifiedAuditLogRetentionPolicy"
            }
        }
    }

    /// The allowed cmdlet with this name (case-insensitive); anything else, and every cmdlet
    /// whose verb is not `Get`, is refused.
    pub fn from_name(name: &str) -> Result<AllowedCmdlet, ReadError> {
        AllowedCmdlet::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ReadError::Refused {
                detail: format!("{name} is not an allowed read-only cmdlet"),
            })
    }
}

/// What a [`ReadRequest`] is. Private: only the constructors below make one.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    Get,
    Invoke(AllowedCmdlet),
    Token,
    ListTenantSettings,
}

/// The HTTP method of a built request (only two exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// Body of a built request.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// One request the collector may send. See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct ReadRequest {
    kind: Kind,
    url: Url,
    body: Body,
    headers: Vec<(&'static str, String)>,
    /// The path or cmdlet, for error reasons.
    what: String,
    /// The permission a 403 means is missing, when known.
    permission: Option<String>,
}

fn parse_url(text: &str) -> Result<Url, ReadError> {
    Url::parse(text).map_err(|e| ReadError::Refused {
        detail: format!("not a valid URL ({e}): {text}"),
    })
}

impl ReadRequest {
    /// A GET of `url`.
    pub(crate) fn get(url: &str) -> Result<ReadRequest, ReadError> {
        let url = parse_url(url)?;
        let what = what_of(&url);
        Ok(ReadRequest {
            kind: Kind::Get,
            url,
            body: Body::None,
            headers: Vec::new(),
            what,
            permission: None,
        })
    }

    /// `InvokeCommand` of an allowed cmdlet at `{api_base}/adminapi/beta/{tenant}/InvokeCommand`.
    pub(crate) fn invoke(
        api_base: &str,
        tenant: &str,
        cmdlet: AllowedCmdlet,
        parameters: Map<String, Value>,
    ) -> Result<ReadRequest, ReadError> {
        let url = parse_url(&format!(
            "{}/adminapi/beta/{}/InvokeCommand",
            api_base.trim_end_matches('/'),
            tenant
        ))?;
        Ok(ReadRequest {
            kind: Kind::Invoke(cmdlet),
            url,
            body: Body::Json(serde_json::json!({
                "CmdletInput": {"CmdletName": cmdlet.name(), "Parameters": Value::Object(parameters)}
            })),
            headers: vec![
                ("Prefer", "odata.maxpagesize=1000".to_string()),
                ("X-ResponseFormat", "json".to_string()),
            ],
            what: cmdlet.name().to_string(),
            permission: None,
        })
    }

    /// The client-credentials token request at `{authority}/{tenant}/oauth2/v2.0/token`.
    pub(crate) fn token(
        token_endpoint: &str,
        form: Vec<(&'static str, String)>,
    ) -> Result<ReadRequest, ReadError> {
        let url = parse_url(token_endpoint)?;
        if !url.path().ends_with("/oauth2/v2.0/token") {
            return Err(ReadError::Refused {
                detail: format!("not a token endpoint: {token_endpoint}"),
            });
        }
        Ok(ReadRequest {
            kind: Kind::Token,
            url,
            body: Body::Form(form),
            headers: Vec::new(),
            what: "token endpoint".to_string(),
            permission: None,
        })
    }

    /// Power Platform `listTenantSettings` (read-only, POST only).
    pub(crate) fn power_platform_list_tenant_settings(
        base: &str,
    ) -> Result<ReadRequest, ReadError> {
        let url = parse_url(&format!(
            "{}/providers/Microsoft.BusinessAppPlatform/listTenantSettings?api-version=2023-06-01",
            base.trim_end_matches('/')
        ))?;
        Ok(ReadRequest {
            kind: Kind::ListTenantSettings,
            url,
            body: Body::Json(Value::Object(Map::new())),
            headers: Vec::new(),
            what: "/providers/Microsoft.BusinessAppPlatform/listTenantSettings".to_string(),
            permission: None,
        })
    }

    /// The same request at a next-page link: same origin only; an `InvokeCommand` keeps its
    /// cmdlet and must still target an `InvokeCommand` path.
    pub(crate) fn next_page(&self, link: &str) -> Result<ReadRequest, ReadError> {
        let next = self.url.join(link).map_err(|e| ReadError::Refused {
            detail: format!("bad next-page link ({e}): {link}"),
        })?;
        if next.origin() != self.url.origin() {
            return Err(ReadError::Refused {
                detail: format!("next-page link to another origin: {link}"),
            });
        }
        match self.kind {
            Kind::Get => {}
            Kind::Invoke(_) if next.path().ends_with("/InvokeCommand") => {}
            _ => {
                return Err(ReadError::Refused {
                    detail: format!("no next page for this request: {link}"),
                });
            }
        }
        let mut out = self.clone();
        out.url = next;
        Ok(out)
    }

    /// Adds a header (Accept, X-AnchorMailbox); never Authorization, which the transport sets.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> ReadRequest {
        if !name.eq_ignore_ascii_case("authorization") {
            self.headers.push((name, value.into()));
        }
        self
    }

    /// Names the permission a 403 on this request means is missing.
    pub(crate) fn permission(mut self, permission: impl Into<String>) -> ReadRequest {
        self.permission = Some(permission.into());
        self
    }

    /// GET for [`ReadRequest::get`], POST for the three others.
    pub(crate) fn method(&self) -> Method {
        match self.kind {
            Kind::Get => Method::Get,
            Kind::Invoke(_) | Kind::Token | Kind::ListTenantSettings => Method::Post,
        }
    }

    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    pub(crate) fn body(&self) -> &Body {
        &self.body
    }

    pub(crate) fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    pub(crate) fn what(&self) -> &str {
        &self.what
    }

    pub(crate) fn permission_hint(&self) -> Option<&str> {
        self.permission.as_deref()
    }

    pub(crate) fn cmdlet(&self) -> Option<AllowedCmdlet> {
        match self.kind {
            Kind::Invoke(c) => Some(c),
            _ => None,
        }
    }
}

fn what_of(url: &Url) -> String {
    url.path().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn only_get_cmdlets_can_be_invoked() {
        for c in AllowedCmdlet::ALL {
            assert!(c.name().starts_with("Get-"), "{}", c.name());
            assert_eq!(AllowedCmdlet::from_name(c.name()), Ok(*c));
        }
        for bad in [
            "Set-OrganizationConfig",
            "New-TransportRule",
            "Remove-AcceptedDomain",
            "Enable-OrganizationCustomization",
            "Get-Mailbox; Set-Mailbox",
            "Get-Recipient",
            "",
        ] {
            assert!(
                matches!(
                    AllowedCmdlet::from_name(bad),
                    Err(ReadError::Refused { .. })
                ),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn every_constructor_is_a_read() {
        let get = ReadRequest::get("https://graph.microsoft.com/v1.0/domains").unwrap();
        assert_eq!(get.method(), Method::Get);
        let inv = ReadRequest::invoke(
            "https://outlook.office365.com",
            "t",
            AllowedCmdlet::GetAcceptedDomain,
            Map::new(),
        )
        .unwrap();
        assert_eq!(inv.method(), Method::Post);
        assert_eq!(inv.url().path(), "/adminapi/beta/t/InvokeCommand");
        let Body::Json(body) = inv.body() else {
            panic!("json body expected")
        };
        assert_eq!(body["CmdletInput"]["CmdletName"], "Get-AcceptedDomain");
        let tok = ReadRequest::token(
            "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            vec![],
        )
        .unwrap();
        assert_eq!(tok.method(), Method::Post);
        assert!(ReadRequest::token("https://login.microsoftonline.com/t/other", vec![]).is_err());
        let pp = ReadRequest::power_platform_list_tenant_settings("https://api.bap.microsoft.com")
            .unwrap();
        assert_eq!(pp.method(), Method::Post);
        assert!(pp.url().path().ends_with("/listTenantSettings"));
    }

    #[test]
    fn next_pages_stay_on_the_same_origin_and_path() {
        let get = ReadRequest::get("https://graph.microsoft.com/v1.0/domains").unwrap();
        assert!(
            get.next_page("https://graph.microsoft.com/v1.0/domains?$skiptoken=x")
                .is_ok()
        );
        assert!(get.next_page("https://evil.example/v1.0/domains").is_err());
        let inv = ReadRequest::invoke(
            "https://outlook.office365.com",
            "t",
            AllowedCmdlet::GetTransportRule,
            Map::new(),
        )
        .unwrap();
        assert!(
            inv.next_page(
                "https://outlook.office365.com/adminapi/beta/t/InvokeCommand?$skiptoken=1"
            )
            .is_ok()
        );
        assert!(
            inv.next_page("https://outlook.office365.com/adminapi/beta/t/Other")
                .is_err()
        );
        let tok = ReadRequest::token(
            "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            vec![],
        )
        .unwrap();
        assert!(
            tok.next_page("https://login.microsoftonline.com/t/oauth2/v2.0/token")
                .is_err()
        );
    }

    #[test]
    fn authorization_cannot_be_set_by_callers() {
        let get = ReadRequest::get("https://x.example/a")
            .unwrap()
            .header("Authorization", "Bearer stolen")
            .header("Accept", "application/json");
        assert_eq!(get.headers().len(), 1);
    }
}
