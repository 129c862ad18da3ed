//! The application's credential: a client secret, or a certificate presented as a signed JWT
//! client assertion (Microsoft identity platform "certificate credentials").
//!
//! Microsoft's current documentation asks for `alg` `PS256` with the header `x5t#S256` (the
//! base64url SHA-256 thumbprint of the certificate's DER encoding); the older form, `RS256` with
//! `x5t` (SHA-1 thumbprint), is still accepted and available as [`AssertionAlgorithm::Rs256`].
//! Secrets and keys never appear in `Debug` output.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, Encode};

use crate::CredentialError;

/// A string that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it (the token request).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which signature the client assertion carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AssertionAlgorithm {
    /// RSASSA-PSS with SHA-256, header `x5t#S256` (Microsoft's current recommendation).
    #[default]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, header `x5t` (SHA-1 thumbprint; the older form).
    Rs256,
}

/// A certificate credential: the RSA private key and its certificate.
#[derive(Clone)]
pub struct CertificateCredential {
    key: RsaPrivateKey,
    cert_der: Vec<u8>,
    algorithm: AssertionAlgorithm,
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("sha1_thumbprint", &self.sha1_thumbprint_hex())
            .field("algorithm", &self.algorithm)
            .field("key", &"***")
            .finish()
    }
}

impl CertificateCredential {
    /// The certificate's SHA-1 thumbprint in upper-case hex, as the Entra portal shows it.
    pub fn sha1_thumbprint_hex(&self) -> String {
        Sha1::digest(&self.cert_der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// The certificate, DER-encoded.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// Uses another assertion algorithm.
    pub fn with_algorithm(mut self, algorithm: AssertionAlgorithm) -> CertificateCredential {
        self.algorithm = algorithm;
        self
    }

    fn new(
        key: RsaPrivateKey,
        cert_der: Vec<u8>,
    ) -> Result<CertificateCredential, CredentialError> {
        let public = certificate_public_key(&cert_der)?;
        if public != key.to_public_key() {
            return Err(CredentialError::KeyMismatch);
        }
        Ok(CertificateCredential {
            key,
            cert_der,
            algorithm: AssertionAlgorithm::default(),
        })
    }

    /// A signed client assertion for `client_id` at `token_endpoint`, valid 10 minutes.
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        token_endpoint: &str,
    ) -> Result<String, CredentialError> {
        let now = chrono::Utc::now().timestamp();
        let header = match self.algorithm {
            AssertionAlgorithm::Ps256 => serde_json::json!({
                "alg": "PS256", "typ": "JWT",
                "x5t#S256": URL_SAFE_NO_PAD.encode(Sha256::digest(&self.cert_der)),
            }),
            AssertionAlgorithm::Rs256 => serde_json::json!({
                "alg": "RS256", "typ": "JWT",
                "x5t": URL_SAFE_NO_PAD.encode(Sha1::digest(&self.cert_der)),
            }),
        };
        let jti: String = (0..16)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect();
        let claims = serde_json::json!({
            "aud": token_endpoint,
            "iss": client_id,
            "sub": client_id,
            "jti": jti,
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match self.algorithm {
            AssertionAlgorithm::Ps256 => {
                let signer = rsa::pss::BlindedSigningKey::<Sha256>::new(self.key.clone());
                let mut rng = rsa::rand_core::OsRng;
                signer
                    .try_sign_with_rng(&mut rng, signing_input.as_bytes())
                    .map_err(CredentialError::Signing)?
                    .to_vec()
            }
            AssertionAlgorithm::Rs256 => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(self.key.clone());
                signer
                    .try_sign(signing_input.as_bytes())
                    .map_err(CredentialError::Signing)?
                    .to_vec()
            }
        };
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// How the application proves who it is to the authority.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per collector; boxing buys nothing
pub enum AppCredential {
    /// A client secret (less preferred).
    Secret(Secret),
    /// A certificate and its private key, presented as a signed client assertion.
    Certificate(CertificateCredential),
}

impl AppCredential {
    /// A client secret.
    pub fn client_secret(secret: impl Into<String>) -> Result<AppCredential, CredentialError> {
        let secret = secret.into();
        if secret.trim().is_empty() {
            return Err(CredentialError::EmptySecret);
        }
        Ok(AppCredential::Secret(Secret::new(secret)))
    }

    /// A certificate from PEM text: an unencrypted RSA private key (`PRIVATE KEY` or
    /// `RSA PRIVATE KEY`) and a `CERTIFICATE`. Both may be in one string (one file).
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<AppCredential, CredentialError> {
        let key = parse_private_key(key_pem)?;
        let cert_der = pem_block(cert_pem, "CERTIFICATE")?
            .ok_or(CredentialError::MissingPem("CERTIFICATE"))?;
        Ok(AppCredential::Certificate(CertificateCredential::new(
            key, cert_der,
        )?))
    }

    /// A certificate from PEM files (the same file may hold both).
    pub fn from_pem_files(
        key_path: &Path,
        cert_path: &Path,
    ) -> Result<AppCredential, CredentialError> {
        let key = read_to_string(key_path)?;
        let cert = read_to_string(cert_path)?;
        AppCredential::from_pem(&key, &cert)
    }

    /// A certificate from a PKCS#12 (PFX) archive and its password.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<AppCredential, CredentialError> {
        let store = p12_keystore::KeyStore::from_pkcs12(der, password)
            .map_err(|e| CredentialError::BadPkcs12(e.into()))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| CredentialError::BadPkcs12("no private key in the archive".into()))?;
        let key = RsaPrivateKey::from_pkcs8_der(chain.key())
            .map_err(|e| CredentialError::BadKey(e.into()))?;
        let public = key.to_public_key();
        // The leaf is the certificate whose public key is the key's; chains may list it anywhere.
        let leaf = chain
            .chain()
            .iter()
            .find(|c| certificate_public_key(c.as_der()).ok().as_ref() == Some(&public))
            .ok_or(CredentialError::KeyMismatch)?;
        Ok(AppCredential::Certificate(CertificateCredential::new(
            key,
            leaf.as_der().to_vec(),
        )?))
    }

    /// A certificate from a PKCS#12 (PFX) file and its password.
    pub fn from_pkcs12_file(path: &Path, password: &str) -> Result<AppCredential, CredentialError> {
        let bytes = std::fs::read(path).map_err(|source| CredentialError::Io {
            path: path.display().to_string(),
            source,
        })?;
        AppCredential::from_pkcs12(&bytes, password)
    }

    /// A short description for logs and `test-connection` ("client secret", "certificate
    /// 0A1B…"), never the secret.
    pub fn describe(&self) -> String {
        match self {
            AppCredential::Secret(_) => "client secret".to_string(),
            AppCredential::Certificate(c) => format!("certificate {}", c.sha1_thumbprint_hex()),
        }
    }
}

fn read_to_string(path: &Path) -> Result<String, CredentialError> {
    std::fs::read_to_string(path).map_err(|source| CredentialError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The DER bytes of the first PEM block labelled `label` in `text`, decoded by RFC 7468's strict
/// grammar (`pem-rfc7468`), else as Base64 whatever its line breaks (76-character or unwrapped
/// lines, as some tools write them); text and other blocks around it are skipped. `None` when there is no
/// such block; an error when the block is there but malformed (bad Base64, no end line).
pub fn pem_block(text: &str, label: &'static str) -> Result<Option<Vec<u8>>, CredentialError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = text.find(&begin) else {
        return Ok(None);
    };
    let bad = |source| CredentialError::BadPem { label, source };
    let stop = text[start..]
        .find(&end)
        .map(|at| start + at + end.len())
        .ok_or_else(|| bad(pem_rfc7468::Error::PostEncapsulationBoundary))?;
    match pem_rfc7468::decode_vec(&text.as_bytes()[start..stop]) {
        Ok((_, der)) => Ok(Some(der)),
        // Other tools wrap Base64 at 76 characters or not at all: read the block's Base64
        // whatever its line breaks, and name the strict grammar's complaint if even that fails.
        Err(strict) => {
            use base64::Engine as _;
            let body: String = text[start + begin.len()..stop - end.len()]
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map(Some)
                .map_err(|_| bad(strict))
        }
    }
}

fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, CredentialError> {
    if let Some(der) = pem_block(pem, "PRIVATE KEY")? {
        return RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| CredentialError::BadKey(e.into()));
    }
    if let Some(der) = pem_block(pem, "RSA PRIVATE KEY")? {
        return RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| CredentialError::BadKey(e.into()));
    }
    if pem.contains("ENCRYPTED PRIVATE KEY") {
        return Err(CredentialError::BadKey(
            "the key is encrypted; export it unencrypted or use a PFX with a password".into(),
        ));
    }
    Err(CredentialError::MissingPem("PRIVATE KEY"))
}

/// The RSA public key of a DER certificate.
pub fn certificate_public_key(cert_der: &[u8]) -> Result<RsaPublicKey, CredentialError> {
    let cert = x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| CredentialError::BadCertificate(e.into()))?;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| CredentialError::BadCertificate(e.into()))?;
    RsaPublicKey::from_public_key_der(&spki)
        .map_err(|e| CredentialError::NotRsaCertificate(e.into()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../standin/testdata/app-key.pem");
    const CERT: &str = include_str!("../../standin/testdata/app-cert.pem");
    const OTHER_CERT: &str = include_str!("../../standin/testdata/other-cert.pem");
    const PFX: &[u8] = include_bytes!("../../standin/testdata/app.pfx");

    #[test]
    fn pem_and_pfx_give_the_same_certificate() {
        let a = AppCredential::from_pem(KEY, CERT).unwrap();
        let b = AppCredential::from_pkcs12(PFX, "test-password").unwrap();
        let (AppCredential::Certificate(a), AppCredential::Certificate(b)) = (a, b) else {
            panic!("certificate credentials expected");
        };
        assert_eq!(a.sha1_thumbprint_hex(), b.sha1_thumbprint_hex());
        assert!(AppCredential::from_pkcs12(PFX, "wrong").is_err());
        assert!(matches!(
            AppCredential::from_pem(KEY, OTHER_CERT),
            Err(CredentialError::KeyMismatch)
        ));
    }

    #[test]
    fn pem_blocks_are_found_among_others_and_malformed_ones_named() {
        // Key and certificate in one file, with text around them and Windows line ends.
        let both = format!("Bag Attributes\n{KEY}\nsubject=CN=app\n{CERT}").replace('\n', "\r\n");
        assert!(AppCredential::from_pem(&both, &both).is_ok());
        assert!(pem_block(KEY, "CERTIFICATE").unwrap().is_none());

        let mut lines: Vec<String> = CERT.lines().map(String::from).collect();
        lines[2].replace_range(0..4, "!!!!");
        let broken = lines.join("\n");
        let err = AppCredential::from_pem(KEY, &broken).unwrap_err();
        assert!(
            matches!(
                err,
                CredentialError::BadPem {
                    label: "CERTIFICATE",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(std::error::Error::source(&err).is_some());
        // Base64 on one line, or wrapped at 76 characters, reads as the same certificate.
        let body: String = CERT.lines().filter(|l| !l.starts_with("-----")).collect();
        let expected = pem_block(CERT, "CERTIFICATE").unwrap().unwrap();
        for width in [body.len(), 76] {
            let wrapped: Vec<String> = body
                .as_bytes()
                .chunks(width)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let pem = format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                wrapped.join("\n")
            );
            assert_eq!(
                pem_block(&pem, "CERTIFICATE").unwrap(),
                Some(expected.clone())
            );
            assert!(AppCredential::from_pem(KEY, &pem).is_ok());
        }
        let unterminated = CERT.replace("-----END CERTIFICATE-----", "");
        assert!(matches!(
            AppCredential::from_pem(KEY, &unterminated),
            Err(CredentialError::BadPem { .. })
        ));
    }

    #[test]
    fn parser_errors_are_kept_as_sources() {
        use std::error::Error as _;
        let err = AppCredential::from_pkcs12(PFX, "wrong").unwrap_err();
        assert!(matches!(err, CredentialError::BadPkcs12(_)), "{err:?}");
        assert!(err.source().is_some());
        let not_a_key = KEY.replace(
            "-----BEGIN PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nMIIB\n",
        );
        let err = AppCredential::from_pem(&not_a_key, CERT).unwrap_err();
        assert!(err.source().is_some(), "{err:?}");
        let err = certificate_public_key(b"not DER").unwrap_err();
        assert!(matches!(err, CredentialError::BadCertificate(_)));
        assert!(err.source().is_some());
        assert!(
            err.to_string()
                .starts_with("cannot parse the certificate: ")
        );
    }

    #[test]
    fn secrets_are_redacted() {
        let c = AppCredential::client_secret("hunter2-very-secret").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        let c = AppCredential::from_pem(KEY, CERT).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("MII"), "{shown}");
    }

    #[test]
    fn assertion_has_the_documented_shape() {
        let AppCredential::Certificate(c) = AppCredential::from_pem(KEY, CERT).unwrap() else {
            panic!("certificate expected");
        };
        for alg in [AssertionAlgorithm::Ps256, AssertionAlgorithm::Rs256] {
            let c = c.clone().with_algorithm(alg);
            let jwt = c
                .assertion("app-id", "https://login/t/oauth2/v2.0/token")
                .unwrap();
            let parts: Vec<&str> = jwt.split('.').collect();
            assert_eq!(parts.len(), 3);
            let header: serde_json::Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
            let claims: serde_json::Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
            assert_eq!(claims["iss"], "app-id");
            assert_eq!(claims["sub"], "app-id");
            assert_eq!(claims["aud"], "https://login/t/oauth2/v2.0/token");
            assert_eq!(
                claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
                600
            );
            match alg {
                AssertionAlgorithm::Ps256 => {
                    assert_eq!(header["alg"], "PS256");
                    assert!(header["x5t#S256"].is_string());
                }
                AssertionAlgorithm::Rs256 => {
                    assert_eq!(header["alg"], "RS256");
                    assert!(header["x5t"].is_string());
                }
            }
        }
    }
}
