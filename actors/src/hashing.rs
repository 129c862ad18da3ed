//! argon2id hashing of secrets (token secrets, dashboard passwords) with OWASP parameters.
//!
//! Hashing and verification are CPU-heavy: call them from a blocking thread
//! (`tokio::task::spawn_blocking`), never on an async worker.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Errors of secret hashing.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("cannot hash the secret: {0}")]
    Hash(String),
}

/// argon2id with the OWASP-recommended parameters: 19 MiB of memory, 2 iterations, 1 lane.
pub fn argon2id() -> Argon2<'static> {
    // The constants are valid argon2 parameters; `Params::DEFAULT` is the fallback that cannot fail.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `secret` into a PHC string with a fresh random salt.
pub fn hash_secret(secret: &str) -> Result<String, HashError> {
    let mut salt_bytes = [0u8; 16];
    rand::fill(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError::Hash(e.to_string()))?;
    argon2id()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

/// Whether `secret` matches the PHC string `phc`. A malformed `phc` never matches.
pub fn verify_secret(phc: &str, secret: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2id()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_secret("correct horse").unwrap();
        let b = hash_secret("correct horse").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_secret(&a, "correct horse"));
        assert!(!verify_secret(&a, "wrong"));
        assert!(!verify_secret("not a hash", "correct horse"));
    }
}
