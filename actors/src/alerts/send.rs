//! Sending one alert to one destination: webhooks through [`crate::outbound`], e-mail over
//! SMTP to an address resolved and checked the same way, then pinned.

use std::net::SocketAddr;

use aether365_entities::alert_destination;
use chrono::Utc;
use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use super::payload::{self, Links};
use super::{AlertEvent, DestinationKind, SmtpSecurity, SmtpSettings};
use crate::outbound::{self, OutboundError, OutboundPolicy};

/// Why a send failed. [`SendError::is_permanent`] ones are not retried.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("refused: {0}")]
    Refused(#[source] OutboundError),
    #[error(transparent)]
    Outbound(OutboundError),
    #[error("the receiver answered {status}")]
    Status { status: u16, permanent: bool },
    #[error("the destination is misconfigured: {0}")]
    Config(String),
    #[error("could not resolve the SMTP host `{host}`")]
    SmtpResolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("SMTP: {0}")]
    Smtp(#[source] lettre::transport::smtp::Error),
    #[error("the e-mail could not be built: {0}")]
    Message(#[source] lettre::error::Error),
    #[error("the alert could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

impl SendError {
    /// Whether retrying cannot help: an address refused by policy, a bad configuration, a 4xx
    /// other than 408 or 429.
    pub fn is_permanent(&self) -> bool {
        match self {
            SendError::Refused(_) | SendError::Config(_) | SendError::Message(_) => true,
            SendError::Status { permanent, .. } => *permanent,
            SendError::Smtp(e) => e.is_permanent(),
            _ => false,
        }
    }
}

fn refused(e: OutboundError) -> SendError {
    match e {
        OutboundError::Scheme(_)
        | OutboundError::NoHost
        | OutboundError::Credentials
        | OutboundError::Forbidden { .. } => SendError::Refused(e),
        // A request error names its URL, which for Teams and Slack is a credential.
        OutboundError::Transport(e) => {
            SendError::Outbound(OutboundError::Transport(e.without_url()))
        }
        OutboundError::Client(e) => SendError::Outbound(OutboundError::Client(e.without_url())),
        other => SendError::Outbound(other),
    }
}

/// `X-Aether365-Signature`'s value for `body` sent at unix time `t`:
/// `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return format!("t={t},v1="),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends `event` (delivery `delivery_id`) to `destination`.
pub(crate) async fn deliver(
    destination: &alert_destination::Model,
    event: &AlertEvent,
    delivery_id: i64,
    links: &Links,
    policy: &OutboundPolicy,
) -> Result<(), SendError> {
    let kind = DestinationKind::parse(&destination.kind)
        .ok_or_else(|| SendError::Config(format!("unknown kind {:?}", destination.kind)))?;
    let body = match kind {
        DestinationKind::Webhook => {
            serde_json::to_vec(&payload::webhook(event, delivery_id, links))?
        }
        DestinationKind::Teams => serde_json::to_vec(&payload::teams(event, links))?,
        DestinationKind::Slack => serde_json::to_vec(&payload::slack(event, links))?,
        DestinationKind::Email => return email(destination, event, links, policy).await,
    };
    let url = url::Url::parse(&destination.target)
        .map_err(|e| SendError::Config(format!("bad URL: {e}")))?;
    let client = reqwest::Client::new();
    let mut request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "aether365-alerts");
    if kind == DestinationKind::Webhook {
        let secret = destination
            .secret
            .as_deref()
            .ok_or_else(|| SendError::Config("no signing secret".into()))?;
        request = request
            .header(
                "X-Aether365-Signature",
                sign(secret, Utc::now().timestamp(), &body),
            )
            .header("X-Aether365-Delivery", delivery_id.to_string());
    }
    let request = request
        .body(body)
        .build()
        .map_err(|e| SendError::Outbound(OutboundError::Client(e.without_url())))?;
    let answer = outbound::send(request, policy).await.map_err(refused)?;
    let status = answer.status.as_u16();
    if answer.status.is_success() {
        return Ok(());
    }
    Err(SendError::Status {
        status,
        permanent: (400..500).contains(&status) && status != 408 && status != 429,
    })
}

/// The SMTP server's address: every address the host resolves to allowed, the first taken.
async fn smtp_address(
    settings: &SmtpSettings,
    policy: &OutboundPolicy,
) -> Result<SocketAddr, SendError> {
    let addresses: Vec<SocketAddr> =
        tokio::net::lookup_host((settings.host.as_str(), settings.port))
            .await
            .map_err(|source| SendError::SmtpResolve {
                host: settings.host.clone(),
                source,
            })?
            .collect();
    if let Some(bad) = addresses
        .iter()
        .find(|a| !outbound::check_address(a.ip(), policy.allow_loopback))
    {
        return Err(SendError::Refused(OutboundError::Forbidden {
            host: settings.host.clone(),
            address: bad.ip(),
        }));
    }
    let address = addresses.first().copied().ok_or_else(|| {
        SendError::Refused(OutboundError::NoAddress {
            host: settings.host.clone(),
        })
    })?;
    if settings.security == SmtpSecurity::Plain && !address.ip().is_loopback() {
        return Err(SendError::Config(
            "unencrypted SMTP is only for loopback test servers".into(),
        ));
    }
    Ok(address)
}

async fn email(
    destination: &alert_destination::Model,
    event: &AlertEvent,
    links: &Links,
    policy: &OutboundPolicy,
) -> Result<(), SendError> {
    let settings: SmtpSettings = destination
        .settings
        .clone()
        .map(serde_json::from_value)
        .transpose()?
        .ok_or_else(|| SendError::Config("no SMTP settings".into()))?;
    let address = smtp_address(&settings, policy).await?;
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| SendError::Config(format!("bad sender: {e}")))?;
    let (subject, text, html) = payload::email(event, links);
    let mut message = Message::builder().from(from).subject(subject);
    for to in destination
        .target
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::Config(format!("bad recipient: {e}")))?;
        message = message.to(to);
    }
    let message = message
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(SendError::Message)?;
    // Connect to the checked address; TLS verifies the certificate against the host name.
    let tls = || TlsParameters::new(settings.host.clone()).map_err(SendError::Smtp);
    let tls = match settings.security {
        SmtpSecurity::Starttls => Tls::Required(tls()?),
        SmtpSecurity::Tls => Tls::Wrapper(tls()?),
        SmtpSecurity::Plain => Tls::None,
    };
    let mut transport =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
            .port(address.port())
            .tls(tls)
            .timeout(Some(policy.timeout));
    if let (Some(user), Some(password)) = (&settings.username, &destination.secret) {
        transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
    }
    let transport = transport.build();
    tokio::time::timeout(policy.timeout * 2, transport.send(message))
        .await
        .map_err(|_| SendError::Outbound(OutboundError::Timeout(policy.timeout * 2)))?
        .map_err(SendError::Smtp)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_stripe_shaped_and_keyed() {
        let a = sign("whsec_a", 1_700_000_000, b"{}");
        assert!(a.starts_with("t=1700000000,v1="), "{a}");
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, sign("whsec_b", 1_700_000_000, b"{}"));
        assert_ne!(a, sign("whsec_a", 1_700_000_001, b"{}"));
    }
}
