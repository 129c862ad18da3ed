//! PKCE with S256 only (RFC 7636).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The S256 challenge of `verifier`: base64url (no padding) of its SHA-256.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is a valid RFC 7636 verifier (43–128 unreserved characters) whose S256
/// challenge is `challenge`.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && constant_time_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_an_independent_computation() {
        // Challenge computed with Python's hashlib and base64.urlsafe_b64encode.
        let verifier = "dBjftJeZ4CK-oHwS9aBQsgUNAt6qIqZi7txLuRDdvQ5";
        assert_eq!(
            s256_challenge(verifier),
            "czbLwVH7EV6DvtjumRA7cVay847kS9TiXK0M0JafJYs"
        );
        assert!(verifier_matches(
            verifier,
            "czbLwVH7EV6DvtjumRA7cVay847kS9TiXK0M0JafJYs"
        ));
        assert!(!verifier_matches("short", &s256_challenge("short")));
        assert!(!verifier_matches(verifier, verifier));
    }
}
