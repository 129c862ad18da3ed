//! OpenID Connect sign-ins at the application's authority: the administrator's sign-in that
//! proves a consent ([`Collector::sign_in_url`], scopes `openid profile`) and a person's
//! "Sign in with Microsoft" to the dashboard ([`Collector::login_url`], multi-tenant
//! `organizations`, scopes `openid profile email`). Both are authorization-code flows with PKCE
//! (S256) and a nonce, and share the validation of the ID token they give.
//!
//! The code is redeemed at `{authority}/{tenant}/oauth2/v2.0/token` with the application's own
//! credential (its certificate's client assertion or its secret, as for app-only tokens), so a
//! code stolen from a redirect is useless to anyone else. The authority's metadata
//! (`{authority}/organizations/v2.0/.well-known/openid-configuration`) names the issuer template
//! and the keys (`jwks_uri`, on the authority's own origin); both are cached for
//! [`KEYS_LIFETIME`], and the keys are read again (at most every [`KEYS_REFRESH_MIN`]) when a
//! token names a key not among them. The ID token is accepted only when:
//!
//! - its header says `RS256` and names a `kid` found in the authority's keys, and the signature
//!   verifies with that key;
//! - `tid` is a GUID, and `iss` is the metadata's issuer with `{tenantid}` replaced by `tid`
//!   (Microsoft's rule for multi-tenant applications);
//! - `aud` is the application's client id;
//! - `nonce` is the one sent with this flow;
//! - `exp`, `nbf` and `iat` hold within [`CLOCK_SKEW`].
//!
//! What the token proves about the signed-in user's roles is read from `wids` (directory role
//! template ids); deciding which roles suffice is the caller's business.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::request::ReadRequest;
use crate::{Collector, ReadError};

/// Tolerance on `exp`, `nbf` and `iat`, for clocks that disagree a little.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(2);

/// The scopes of the consent proof: an ID token with the user's name, nothing else.
const SCOPE: &str = "openid profile";

/// The scopes of the dashboard sign-in: the user's name and email address, nothing else.
pub const LOGIN_SCOPE: &str = "openid profile email";

/// The authority path segment of the dashboard sign-in: any work or school account.
const LOGIN_SEGMENT: &str = "organizations";

/// How long the authority's metadata and keys are used before they are read again.
pub const KEYS_LIFETIME: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The least time between two readings of the keys prompted by an unknown `kid`.
pub const KEYS_REFRESH_MIN: std::time::Duration = std::time::Duration::from_secs(300);

/// Why a sign-in gives no proof.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The authority refused the code, or its keys could not be read.
    #[error("Microsoft did not confirm the sign-in: {}", .0.reason())]
    Authority(ReadError),
    /// The ID token is missing, malformed or fails a check.
    #[error("the ID token is not acceptable: {0}")]
    InvalidIdToken(String),
}

fn invalid(why: impl Into<String>) -> SignInError {
    SignInError::InvalidIdToken(why.into())
}

/// The claims of a validated ID token that the caller needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIdToken {
    /// `tid`: the tenant the user signed in to (lower case GUID).
    pub tenant_id: String,
    /// `oid`: the user's object id in that tenant, when present.
    pub object_id: Option<String>,
    /// `preferred_username` (usually the UPN), when present.
    pub username: Option<String>,
    /// `email` (asked for with the `email` scope; the user's mail attribute), when present.
    pub email: Option<String>,
    /// `name`, when present.
    pub name: Option<String>,
    /// `wids`: the user's directory role template ids (lower case).
    pub role_template_ids: Vec<String>,
    /// `iat`.
    pub issued_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    aud: Option<String>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    nonce: Option<String>,
    tid: Option<String>,
    oid: Option<String>,
    preferred_username: Option<String>,
    email: Option<String>,
    name: Option<String>,
    #[serde(default)]
    wids: Vec<String>,
}

/// The part of the authority's OpenID Connect metadata the validation needs.
#[derive(Deserialize)]
struct Discovery {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

/// The authority's issuer template and signing keys, as last read.
struct AuthorityKeys {
    issuer: String,
    jwks_uri: String,
    keys: Vec<(String, RsaPublicKey)>,
    fetched: std::time::Instant,
}

/// The cache of the authority's metadata and keys (one per collector).
#[derive(Default)]
pub(crate) struct KeyCache(tokio::sync::Mutex<Option<AuthorityKeys>>);

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    kid: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// A PKCE S256 challenge: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A tenant path segment: a GUID or a domain name, else `organizations`.
fn tenant_segment(tenant: Option<&str>) -> String {
    match tenant.map(str::trim) {
        Some(t)
            if !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
        {
            t.to_ascii_lowercase()
        }
        _ => "organizations".to_string(),
    }
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str, what: &str) -> Result<T, SignInError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| invalid(format!("its {what} is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|e| invalid(format!("its {what} is not JSON: {e}")))
}

impl Collector {
    /// The sign-in URL: `{authority}/{tenant|organizations}/oauth2/v2.0/authorize` with
    /// `response_type=code`, `scope=openid profile`, `response_mode=query`, the `state`, the
    /// `nonce` and the PKCE S256 challenge of `code_verifier`.
    pub fn sign_in_url(
        &self,
        tenant: Option<&str>,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        code_verifier: &str,
    ) -> url::Url {
        self.authorize_url(
            &tenant_segment(tenant),
            SCOPE,
            redirect_uri,
            state,
            nonce,
            code_verifier,
        )
    }

    /// The dashboard sign-in URL: `{authority}/organizations/oauth2/v2.0/authorize` with
    /// `scope=openid profile email` and otherwise as [`Collector::sign_in_url`].
    pub fn login_url(
        &self,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        code_verifier: &str,
    ) -> url::Url {
        self.authorize_url(
            LOGIN_SEGMENT,
            LOGIN_SCOPE,
            redirect_uri,
            state,
            nonce,
            code_verifier,
        )
    }

    fn authorize_url(
        &self,
        segment: &str,
        scope: &str,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        code_verifier: &str,
    ) -> url::Url {
        let mut u = self.authority.clone();
        if let Ok(mut segments) = u.path_segments_mut() {
            segments
                .pop_if_empty()
                .push(segment)
                .push("oauth2")
                .push("v2.0")
                .push("authorize");
        }
        u.query_pairs_mut()
            .clear()
            .append_pair("client_id", self.transport.client_id())
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", scope)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &pkce_challenge(code_verifier))
            .append_pair("code_challenge_method", "S256");
        u
    }

    /// Redeems the sign-in's `code` (at the same tenant segment as [`Collector::sign_in_url`])
    /// and validates the ID token; see the module documentation for every check.
    pub async fn redeem_sign_in(
        &self,
        tenant: Option<&str>,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdToken, SignInError> {
        let segment = tenant_segment(tenant);
        self.redeem(
            &segment,
            SCOPE,
            code,
            redirect_uri,
            code_verifier,
            nonce,
            now,
        )
        .await
    }

    /// Redeems the dashboard sign-in's `code` at `organizations` and validates the ID token
    /// (see the module documentation).
    pub async fn redeem_login(
        &self,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdToken, SignInError> {
        self.redeem(
            LOGIN_SEGMENT,
            LOGIN_SCOPE,
            code,
            redirect_uri,
            code_verifier,
            nonce,
            now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn redeem(
        &self,
        segment: &str,
        scope: &str,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdToken, SignInError> {
        let session = self.transport.session(segment);
        let endpoint = self.transport.token_endpoint(segment);
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", redirect_uri.to_string()),
            ("code_verifier", code_verifier.to_string()),
            ("scope", scope.to_string()),
        ];
        form.extend(
            self.transport
                .client_authentication(&endpoint)
                .map_err(SignInError::Authority)?,
        );
        let req = ReadRequest::token(&endpoint, form).map_err(SignInError::Authority)?;
        let answer: TokenAnswer = serde_json::from_value(
            session
                .execute(&req, None)
                .await
                .map_err(SignInError::Authority)?,
        )
        .map_err(|e| {
            invalid(format!(
                "the token endpoint's answer is not understood: {e}"
            ))
        })?;
        let id_token = answer
            .id_token
            .ok_or_else(|| invalid("the token endpoint returned no id_token"))?;
        self.validate_id_token(&id_token, nonce, now).await
    }

    async fn validate_id_token(
        &self,
        jwt: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdToken, SignInError> {
        let parts: Vec<&str> = jwt.split('.').collect();
        let [h, c, s] = parts.as_slice() else {
            return Err(invalid("it is not a signed JWT"));
        };
        let header: Header = decode_json(h, "header")?;
        let claims: Claims = decode_json(c, "payload")?;
        if header.alg.as_deref() != Some("RS256") {
            return Err(invalid(format!(
                "its algorithm is {:?}, not RS256",
                header.alg.unwrap_or_default()
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| invalid("its header names no key"))?;
        let tid = claims
            .tid
            .as_deref()
            .map(str::to_ascii_lowercase)
            .filter(|t| crate::host::is_guid(t))
            .ok_or_else(|| invalid("it names no tenant (tid)"))?;

        // The signature, with the authority's key.
        let (issuer_template, public) = self.authority_key(&kid).await?;
        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|b| rsa::pkcs1v15::Signature::try_from(b.as_slice()).ok())
            .ok_or_else(|| invalid("its signature is malformed"))?;
        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public)
            .verify(format!("{h}.{c}").as_bytes(), &signature)
            .map_err(|_| invalid("its signature does not verify"))?;

        // The claims.
        let issuer = issuer_template.replace("{tenantid}", &tid);
        if claims.iss.as_deref() != Some(issuer.as_str()) {
            return Err(invalid(format!(
                "its issuer is {:?}, not {issuer:?}",
                claims.iss.unwrap_or_default()
            )));
        }
        if claims.aud.as_deref() != Some(self.transport.client_id()) {
            return Err(invalid("it was issued to another application (aud)"));
        }
        let expected = Sha256::digest(nonce.as_bytes());
        let got = Sha256::digest(claims.nonce.unwrap_or_default().as_bytes());
        if nonce.is_empty() || expected != got {
            return Err(invalid("its nonce is not this sign-in's"));
        }
        let skew = CLOCK_SKEW.num_seconds();
        let now_s = now.timestamp();
        let exp = claims.exp.ok_or_else(|| invalid("it has no expiry"))?;
        if exp + skew < now_s {
            return Err(invalid("it has expired"));
        }
        if claims.nbf.is_some_and(|nbf| nbf - skew > now_s) {
            return Err(invalid("it is not valid yet (nbf)"));
        }
        let iat = claims.iat.ok_or_else(|| invalid("it has no issue time"))?;
        if iat - skew > now_s {
            return Err(invalid("it was issued in the future (iat)"));
        }
        Ok(VerifiedIdToken {
            tenant_id: tid,
            object_id: claims.oid,
            username: claims.preferred_username,
            email: claims.email,
            name: claims.name,
            role_template_ids: claims.wids.iter().map(|w| w.to_ascii_lowercase()).collect(),
            issued_at: DateTime::from_timestamp(iat, 0).unwrap_or(now),
        })
    }
}

impl Collector {
    /// The issuer template and the key `kid` of the authority, from the cache or read afresh.
    async fn authority_key(&self, kid: &str) -> Result<(String, RsaPublicKey), SignInError> {
        let mut cached = self.keys.0.lock().await;
        let fresh = cached
            .as_ref()
            .is_some_and(|k| k.fetched.elapsed() < KEYS_LIFETIME);
        if !fresh {
            *cached = Some(self.read_authority_keys(None).await?);
        }
        let find = |k: &AuthorityKeys| {
            k.keys
                .iter()
                .find(|(id, _)| id == kid)
                .map(|(_, key)| (k.issuer.clone(), key.clone()))
        };
        if let Some(found) = cached.as_ref().and_then(find) {
            return Ok(found);
        }
        // An unknown key: the authority may have rolled its keys since they were read.
        let stale = cached
            .as_ref()
            .filter(|k| k.fetched.elapsed() >= KEYS_REFRESH_MIN)
            .map(|k| (k.issuer.clone(), k.jwks_uri.clone()));
        if let Some(known) = stale {
            *cached = Some(self.read_authority_keys(Some(known)).await?);
        }
        cached
            .as_ref()
            .and_then(find)
            .ok_or_else(|| invalid("it is signed by a key the authority does not publish"))
    }

    /// Reads the authority's metadata (unless `known` gives its issuer and `jwks_uri`) and keys.
    async fn read_authority_keys(
        &self,
        known: Option<(String, String)>,
    ) -> Result<AuthorityKeys, SignInError> {
        let session = self.transport.session(LOGIN_SEGMENT);
        let (issuer, jwks_uri) = match known {
            Some(known) => known,
            None => {
                let url = format!(
                    "{}/{LOGIN_SEGMENT}/v2.0/.well-known/openid-configuration",
                    self.transport.authority()
                );
                let req = ReadRequest::get(&url).map_err(SignInError::Authority)?;
                let doc: Discovery = serde_json::from_value(
                    session
                        .execute(&req, None)
                        .await
                        .map_err(SignInError::Authority)?,
                )
                .map_err(|e| invalid(format!("the authority's metadata is not understood: {e}")))?;
                let (Some(issuer), Some(jwks_uri)) = (doc.issuer, doc.jwks_uri) else {
                    return Err(invalid("the authority's metadata names no issuer or keys"));
                };
                (issuer, jwks_uri)
            }
        };
        // The keys come from the authority itself, never from another origin.
        let same_origin =
            url::Url::parse(&jwks_uri).is_ok_and(|u| u.origin() == self.authority.origin());
        if !same_origin {
            return Err(invalid(format!(
                "the authority's metadata points its keys elsewhere ({jwks_uri})"
            )));
        }
        let req = ReadRequest::get(&jwks_uri).map_err(SignInError::Authority)?;
        let jwks: Jwks = serde_json::from_value(
            session
                .execute(&req, None)
                .await
                .map_err(SignInError::Authority)?,
        )
        .map_err(|e| invalid(format!("the authority's keys are not understood: {e}")))?;
        let component = |v: &Option<String>| {
            v.as_deref()
                .and_then(|x| URL_SAFE_NO_PAD.decode(x).ok())
                .map(|b| BigUint::from_bytes_be(&b))
        };
        let keys = jwks
            .keys
            .iter()
            .filter(|k| k.kty.as_deref() == Some("RSA"))
            .filter_map(|k| {
                let kid = k.kid.clone()?;
                let key = RsaPublicKey::new(component(&k.n)?, component(&k.e)?).ok()?;
                Some((kid, key))
            })
            .collect();
        Ok(AuthorityKeys {
            issuer,
            jwks_uri,
            keys,
            fetched: std::time::Instant::now(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{AppCredential, Cloud, CollectorConfig};

    #[test]
    fn sign_in_url_has_pkce_nonce_and_state() {
        let c = Collector::new(CollectorConfig::new(
            Cloud::Commercial.endpoints(),
            "app",
            AppCredential::client_secret("s").unwrap(),
        ))
        .unwrap();
        let u = c.sign_in_url(None, "https://a.example/cb", "st", "no", "verifier");
        assert_eq!(u.path(), "/organizations/oauth2/v2.0/authorize");
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["scope"], "openid profile");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce_challenge("verifier"));
        assert_ne!(q["code_challenge"], "verifier");
        assert_eq!(q["nonce"], "no");
        assert_eq!(q["state"], "st");
        // A tenant segment that is not a name falls back to organizations.
        let u = c.sign_in_url(Some("../x?y"), "https://a.example/cb", "s", "n", "v");
        assert!(u.path().starts_with("/organizations/"), "{u}");
    }

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
