//! The server secret that token digests are keyed with, kept outside the database.
//!
//! A token's secret carries 256 random bits, so a slow password hash buys nothing against
//! guessing; it only makes every wrong guess expensive for us. The row stores
//! `hmac-sha256$<hex>`: HMAC-SHA256 of `<lookup id>_<secret>` under this key, compared in
//! constant time. Someone holding a copy of the database but not the key file can neither
//! use the rows nor test guesses against them offline.
//!
//! The key is 32 random bytes, hex-encoded in a file created on first use with mode 0600
//! (default: `aether365.token-key` beside the SQLite database, or in the working directory
//! for PostgreSQL; `AETHER365_TOKEN_KEY_FILE` overrides). Every instance sharing a database
//! needs the same file; losing it invalidates every token not stored in the older argon2 form.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::TokenError;

/// The file name of the key beside the SQLite database (or in the working directory).
pub const KEY_FILE_NAME: &str = "aether365.token-key";
/// The prefix of digests in the stored form.
const DIGEST_PREFIX: &str = "hmac-sha256$";

type HmacSha256 = Hmac<Sha256>;

/// The key of token digests. Cheap to clone; `Debug` never shows it.
#[derive(Clone)]
pub struct TokenKey(Arc<[u8; 32]>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<secret>)")
    }
}

/// What a token row's `secret_hash` holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StoredSecret<'a> {
    /// The keyed digest (current form).
    Digest([u8; 32]),
    /// An argon2id PHC string (tokens created before the keyed digest); upgraded on first use.
    Argon2(&'a str),
    /// Anything else: matches no secret.
    Unusable,
}

impl<'a> StoredSecret<'a> {
    /// Reads a stored `secret_hash`.
    pub(crate) fn parse(stored: &'a str) -> StoredSecret<'a> {
        if let Some(hex_digest) = stored.strip_prefix(DIGEST_PREFIX) {
            let mut digest = [0u8; 32];
            return match hex::decode_to_slice(hex_digest, &mut digest) {
                Ok(()) => StoredSecret::Digest(digest),
                Err(_) => StoredSecret::Unusable,
            };
        }
        if stored.starts_with("$argon2") {
            StoredSecret::Argon2(stored)
        } else {
            StoredSecret::Unusable
        }
    }
}

impl TokenKey {
    /// A fresh random key (tests, and validators given no key file: tokens created under
    /// another key do not verify with it).
    pub fn generate() -> TokenKey {
        TokenKey(Arc::new(rand::random()))
    }

    /// Where the key lives by default for `database_url`: beside a SQLite file, else in the
    /// working directory.
    pub fn default_path(database_url: &str) -> PathBuf {
        let sqlite_file = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(""))
            .filter(|file| !file.is_empty() && !file.starts_with(":memory:"));
        match sqlite_file.and_then(|file| Path::new(file).parent()) {
            Some(dir) => dir.join(KEY_FILE_NAME),
            None => PathBuf::from(KEY_FILE_NAME),
        }
    }

    /// Reads the key at `path`, creating it (32 random bytes, mode 0600) when absent. Two
    /// processes starting at once agree on one key: the file appears whole or not at all.
    pub fn load_or_create(path: &Path) -> Result<TokenKey, TokenError> {
        let failed = |e: &dyn fmt::Display| TokenError::KeyFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => return Self::decode(&text).ok_or_else(|| failed(&"not 64 hex digits")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(failed(&e)),
        }
        let key = TokenKey::generate();
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = (|| {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(format!("{}\n", hex::encode(*key.0)).as_bytes())?;
            file.sync_all()?;
            // Linking fails when the file exists: whoever linked first wins, whole.
            std::fs::hard_link(&tmp, path)
        })();
        // The temporary name goes either way; a failure to remove it is harmless.
        let _ = std::fs::remove_file(&tmp);
        match written {
            Ok(()) => {
                tracing::info!(path = %path.display(), "token key created");
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(|e| failed(&e))?;
                Self::decode(&text).ok_or_else(|| failed(&"not 64 hex digits"))
            }
            Err(e) => Err(failed(&e)),
        }
    }

    fn decode(text: &str) -> Option<TokenKey> {
        let mut key = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut key).ok()?;
        Some(TokenKey(Arc::new(key)))
    }

    fn mac(&self, lookup_id: &str, secret: &str) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail; the fallback is never used.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0[..])
            .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
        mac.update(lookup_id.as_bytes());
        mac.update(b"_");
        mac.update(secret.as_bytes());
        mac
    }

    /// The stored form of a token's secret.
    pub(crate) fn digest(&self, lookup_id: &str, secret: &str) -> String {
        let digest = self.mac(lookup_id, secret).finalize().into_bytes();
        format!("{DIGEST_PREFIX}{}", hex::encode(digest))
    }

    /// Whether `secret` matches `expected`, compared in constant time.
    pub(crate) fn matches(&self, lookup_id: &str, secret: &str, expected: &[u8; 32]) -> bool {
        self.mac(lookup_id, secret).verify_slice(expected).is_ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn digests_verify_under_their_key_only() {
        let key = TokenKey::generate();
        let stored = key.digest("lookup", "secret");
        let StoredSecret::Digest(digest) = StoredSecret::parse(&stored) else {
            panic!("{stored} is not a digest");
        };
        assert!(key.matches("lookup", "secret", &digest));
        assert!(!key.matches("lookup", "secreT", &digest));
        assert!(!key.matches("lookuq", "secret", &digest));
        assert!(!TokenKey::generate().matches("lookup", "secret", &digest));
        assert!(!format!("{key:?}").contains(&hex::encode(*key.0)));
    }

    #[test]
    fn stored_forms_are_told_apart() {
        assert_eq!(
            StoredSecret::parse("$argon2id$v=19$m=19456,t=2,p=1$x$y"),
            StoredSecret::Argon2("$argon2id$v=19$m=19456,t=2,p=1$x$y")
        );
        assert_eq!(
            StoredSecret::parse("hmac-sha256$zz"),
            StoredSecret::Unusable
        );
        assert_eq!(StoredSecret::parse(""), StoredSecret::Unusable);
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        let first = TokenKey::load_or_create(&path).unwrap();
        let again = TokenKey::load_or_create(&path).unwrap();
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        std::fs::write(&path, "short").unwrap();
        assert!(matches!(
            TokenKey::load_or_create(&path),
            Err(TokenError::KeyFile { .. })
        ));
    }

    #[test]
    fn the_default_path_follows_the_sqlite_file() {
        assert_eq!(
            TokenKey::default_path("sqlite:///var/lib/a365/db.sqlite?mode=rwc"),
            PathBuf::from("/var/lib/a365").join(KEY_FILE_NAME)
        );
        assert_eq!(
            TokenKey::default_path("sqlite://aether365.db?mode=rwc"),
            PathBuf::from(KEY_FILE_NAME)
        );
        assert_eq!(
            TokenKey::default_path("postgres://u@h/db"),
            PathBuf::from(KEY_FILE_NAME)
        );
    }
}
