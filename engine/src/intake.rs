//! An uploaded export checked without building it: every byte parsed once, nothing kept but
//! the text itself.
//!
//! Parsing a 32 MiB export into a `serde_json::Value` tree costs about ten times its size;
//! [`check_export`] instead walks the document once, validating every value as
//! `serde_json::Value` would (escapes and UTF-8 included) without building one, counts each section's entries against
//! [`section_limit`] and stops at the first one over, and hands back the text to store as it
//! came. The engine parses the stored text when a scan evaluates it.

use std::cell::Cell;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Why a document cannot be used as a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes are not JSON (or not UTF-8).
    #[error("snapshot is not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// The document is JSON but not an object.
    #[error("snapshot must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// The bytes are not UTF-8 text.
    #[error("snapshot is not UTF-8 text")]
    NotUtf8,
    /// A section holds more entries than an import accepts ([`section_limit`]).
    #[error(
        "the export's `{section}` section holds more than {limit} entries, the most accepted for it"
    )]
    SectionTooLarge {
        /// The section (top-level key).
        section: String,
        /// Its limit.
        limit: usize,
    },
    /// The document has more top-level sections than an import accepts.
    #[error("the export has more than {limit} top-level sections, the most accepted")]
    TooManySections {
        /// [`MAX_SECTIONS`].
        limit: usize,
    },
    /// The export's `module_version` names a release whose exports are not read (too old, or
    /// not a ScubaGear release at all).
    #[error(transparent)]
    UnsupportedVersion(#[from] crate::legacy_export::VersionRefusal),
    /// The object has none of the settings groups the engine reads.
    #[error(
        "snapshot has no tenant settings (expected keys such as tenant_id, conditional_access_policies, SPO_tenant)"
    )]
    MissingEssentials,
}

/// Keys of which at least one must be present for a document to count as a snapshot.
pub(crate) const ESSENTIAL_KEYS: &[&str] = &[
    "tenant_id",
    "tenant_details",
    "conditional_access_policies",
    "authorization_policies",
    "transport_config",
    "SPO_tenant",
    "meeting_policies",
    "environment_creation",
];

/// The most top-level sections an export may have (ScubaGear's has about 75).
pub const MAX_SECTIONS: usize = 1_000;

/// The most entries (list items, or members of an object) a section may hold when it is not in
/// [`SECTION_LIMITS`].
pub const DEFAULT_SECTION_LIMIT: usize = 10_000;

/// Per-section limits, each well above what Microsoft 365 allows a tenant to have.
pub const SECTION_LIMITS: &[(&str, usize)] = &[
    // Entra ID allows 195 conditional access policies per tenant.
    ("conditional_access_policies", 1_000),
    ("cap_table_data", 1_000),
    // Exchange Online allows 300 mail flow (transport) rules.
    ("transport_rule", 1_000),
    // Entra ID allows 5,000 managed domains per tenant.
    ("domain_settings", 5_000),
    ("accepted_domains", 5_000),
    ("remote_domains", 5_000),
    ("dkim_config", 5_000),
    ("spf_records", 5_000),
    ("dkim_records", 5_000),
    ("dmarc_records", 5_000),
    // Holders of privileged roles, keyed by object id: large tenants have thousands.
    ("privileged_users", 50_000),
    ("privileged_service_principals", 50_000),
];

/// The most entries `section` may hold.
pub fn section_limit(section: &str) -> usize {
    SECTION_LIMITS
        .iter()
        .find(|(name, _)| *name == section)
        .map_or(DEFAULT_SECTION_LIMIT, |(_, limit)| *limit)
}

/// An export that passed [`check_export`]: its text, ready to store.
#[derive(Debug)]
pub struct CheckedExport {
    text: String,
    timestamp_zulu: Option<String>,
}

impl CheckedExport {
    /// The snapshot's JSON text: the upload itself, without a byte order mark, or the `Raw`
    /// member of a ScubaGear results file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text, moved out.
    pub fn into_text(self) -> String {
        self.text
    }

    /// The export's own time stamp (`timestamp_zulu`), as written.
    pub fn timestamp_zulu(&self) -> Option<&str> {
        self.timestamp_zulu.as_deref()
    }
}

/// Checks an export without building it: UTF-8 (a leading byte order mark is dropped), valid
/// JSON, an object with tenant settings (or a ScubaGear results file whose `Raw` member is one,
/// as [`crate::Snapshot::from_value`] accepts), at most [`MAX_SECTIONS`] sections, each within
/// [`section_limit`]. Takes the bytes by value so that the usual upload is kept as the text
/// without a copy.
pub fn check_export(bytes: Vec<u8>) -> Result<CheckedExport, SnapshotError> {
    let mut bytes = bytes;
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    let text = String::from_utf8(bytes).map_err(|_| SnapshotError::NotUtf8)?;
    let found = inspect(&text, true)?;
    let text = if found.start == 0 && found.end == text.len() {
        text
    } else {
        text.get(found.start..found.end)
            .ok_or(SnapshotError::MissingEssentials)?
            .to_string()
    };
    Ok(CheckedExport {
        text,
        timestamp_zulu: found.timestamp_zulu,
    })
}

/// [`check_export`] on borrowed text: where in `text` the snapshot is.
pub(crate) fn locate(text: &str) -> Result<std::ops::Range<usize>, SnapshotError> {
    let found = inspect(text, true)?;
    Ok(found.start..found.end)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where the snapshot is in the text, and its time stamp.
struct Found {
    start: usize,
    end: usize,
    timestamp_zulu: Option<String>,
}

fn inspect(text: &str, unwrap_raw: bool) -> Result<Found, SnapshotError> {
    let first = text.trim_start().as_bytes().first().copied();
    if first != Some(b'{') {
        serde_json::from_str::<Valid>(text)?;
        return Err(SnapshotError::NotAnObject(match first {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b't' | b'f') => "a boolean",
            Some(b'n') => "null",
            _ => "a number",
        }));
    }
    let overflow = Cell::new(None);
    let top = run(text, &overflow, |de| {
        de.deserialize_map(TopVisitor {
            overflow: &overflow,
        })
    })?;
    if !top.essential {
        if unwrap_raw
            && let Some(raw) = top.raw
            && raw.get().trim_start().starts_with('{')
        {
            let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
            let inner = inspect(raw.get(), false)?;
            return Ok(Found {
                start: offset + inner.start,
                end: offset + inner.end,
                timestamp_zulu: inner.timestamp_zulu,
            });
        }
        return Err(SnapshotError::MissingEssentials);
    }
    match &top.module_version {
        None => {}
        Some(Some(text)) => {
            crate::legacy_export::origin_of_text(text)?;
        }
        Some(None) => {
            return Err(crate::legacy_export::VersionRefusal::Unknown {
                found: "a value that is not a string".into(),
            }
            .into());
        }
    }
    if let Some(raw) = top.raw {
        let seed = Bounded {
            section: "Raw",
            limit: section_limit("Raw"),
            keep_text: false,
            overflow: &overflow,
        };
        run(raw.get(), &overflow, |de| seed.deserialize(de))?;
    }
    Ok(Found {
        start: 0,
        end: text.len(),
        timestamp_zulu: top.timestamp_zulu,
    })
}

/// Deserializes the whole of `text` with `f`; an error set aside in `overflow` wins over the
/// JSON error that stopped the parse.
fn run<'de, T>(
    text: &'de str,
    overflow: &Cell<Option<SnapshotError>>,
    f: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, SnapshotError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let result = f(&mut de).and_then(|t| de.end().map(|()| t));
    result.map_err(|e| overflow.take().unwrap_or(SnapshotError::NotJson(e)))
}

/// What the top-level walk keeps.
struct Top<'de> {
    essential: bool,
    raw: Option<&'de RawValue>,
    timestamp_zulu: Option<String>,
    /// `module_version`: `Some(None)` when present but not a string.
    module_version: Option<Option<String>>,
}

struct TopVisitor<'a> {
    overflow: &'a Cell<Option<SnapshotError>>,
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = Top<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
        let mut top = Top {
            essential: false,
            raw: None,
            timestamp_zulu: None,
            module_version: None,
        };
        let mut sections = 0usize;
        while let Some(key) = map.next_key::<String>()? {
            sections += 1;
            if sections > MAX_SECTIONS {
                self.overflow.set(Some(SnapshotError::TooManySections {
                    limit: MAX_SECTIONS,
                }));
                return Err(de::Error::custom("too many sections"));
            }
            if key == "Raw" {
                top.raw = Some(map.next_value::<&'de RawValue>()?);
                continue;
            }
            top.essential |= ESSENTIAL_KEYS.contains(&key.as_str());
            let seed = Bounded {
                section: &key,
                limit: section_limit(&key),
                keep_text: key == "timestamp_zulu" || key == "module_version",
                overflow: self.overflow,
            };
            let text = map.next_value_seed(seed)?;
            match key.as_str() {
                "timestamp_zulu" => top.timestamp_zulu = text,
                "module_version" => top.module_version = Some(text),
                _ => {}
            }
        }
        Ok(top)
    }
}

/// Any JSON value, validated as `serde_json::Value` would be (escapes decoded, so a lone
/// surrogate is refused), and dropped: serde's `IgnoredAny` skips strings without decoding.
struct Valid;

impl<'de> Deserialize<'de> for Valid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Valid, D::Error> {
        deserializer.deserialize_any(ValidVisitor)
    }
}

struct ValidVisitor;

impl<'de> Visitor<'de> for ValidVisitor {
    type Value = Valid;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Valid, A::Error> {
        while seq.next_element::<Valid>()?.is_some() {}
        Ok(Valid)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Valid, A::Error> {
        while map.next_entry::<Valid, Valid>()?.is_some() {}
        Ok(Valid)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Valid, E> {
        Ok(Valid)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Valid, E> {
        Ok(Valid)
    }
}

/// One section: validated entry by entry ([`Valid`]), refused past `limit` entries.
struct Bounded<'a> {
    section: &'a str,
    limit: usize,
    keep_text: bool,
    overflow: &'a Cell<Option<SnapshotError>>,
}

impl Bounded<'_> {
    fn over<E: de::Error>(&self) -> E {
        self.overflow.set(Some(SnapshotError::SectionTooLarge {
            section: self.section.to_string(),
            limit: self.limit,
        }));
        E::custom("section over its limit")
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    /// The text of a string section when `keep_text`.
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<Valid>()?.is_some() {
            n += 1;
            if n > self.limit {
                return Err(self.over());
            }
        }
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut n = 0usize;
        while map.next_entry::<Valid, Valid>()?.is_some() {
            n += 1;
            if n > self.limit {
                return Err(self.over());
            }
        }
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.keep_text.then(|| v.to_string()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn policies(n: usize) -> String {
        let items = vec![r#"{"id":"p","state":"enabled"}"#; n].join(",");
        format!(r#"{{"tenant_id":"t","conditional_access_policies":[{items}]}}"#)
    }

    #[test]
    fn keeps_the_text_as_uploaded() {
        let text =
            "\u{feff} {\"tenant_id\":\"t\", \"timestamp_zulu\":\"2026-05-04T17:15:48.307Z\"} ";
        let checked = check_export(text.as_bytes().to_vec()).unwrap();
        assert_eq!(checked.text(), text.trim_start_matches('\u{feff}'));
        assert_eq!(checked.timestamp_zulu(), Some("2026-05-04T17:15:48.307Z"));
    }

    #[test]
    fn sections_within_their_limit_pass_and_one_more_is_refused() {
        assert!(check_export(policies(1_000).into_bytes()).is_ok());
        let err = check_export(policies(1_001).into_bytes()).unwrap_err();
        assert!(
            matches!(&err, SnapshotError::SectionTooLarge { section, limit: 1_000 }
                if section == "conditional_access_policies"),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("conditional_access_policies")
                && err.to_string().contains("1000"),
            "{err}"
        );
    }

    #[test]
    fn objects_count_their_members_and_unknown_sections_have_the_default() {
        let members: Vec<String> = (0..=DEFAULT_SECTION_LIMIT)
            .map(|i| format!("\"k{i}\":1"))
            .collect();
        let doc = format!(r#"{{"tenant_id":"t","x":{{{}}}}}"#, members.join(","));
        let err = check_export(doc.into_bytes()).unwrap_err();
        assert!(
            matches!(&err, SnapshotError::SectionTooLarge { section, limit } if section == "x" && *limit == DEFAULT_SECTION_LIMIT),
            "{err:?}"
        );
    }

    #[test]
    fn too_many_sections_are_refused() {
        let keys: Vec<String> = (0..=MAX_SECTIONS).map(|i| format!("\"k{i}\":1")).collect();
        let doc = format!(r#"{{"tenant_id":"t",{}}}"#, keys.join(","));
        assert!(matches!(
            check_export(doc.into_bytes()),
            Err(SnapshotError::TooManySections { .. })
        ));
    }

    #[test]
    fn results_files_keep_their_raw_member_and_are_bounded_too() {
        let doc = format!(
            r#"{{"MetaData":{{}},"Raw":{},"Results":{{}}}}"#,
            policies(2)
        );
        let checked = check_export(doc.into_bytes()).unwrap();
        assert_eq!(checked.text(), policies(2));
        let doc = format!(r#"{{"MetaData":{{}},"Raw":{}}}"#, policies(1_001));
        assert!(matches!(
            check_export(doc.into_bytes()),
            Err(SnapshotError::SectionTooLarge { .. })
        ));
    }

    #[test]
    fn exports_of_unread_versions_are_refused_at_import_as_from_value_refuses_them() {
        use crate::legacy_export::VersionRefusal;
        for (doc, too_old) in [
            (r#"{"module_version":"1.0.0","tenant_id":"t"}"#, true),
            (r#"{"module_version":"0.3.0","tenant_id":"t"}"#, true),
            (r#"{"module_version":"dev","tenant_id":"t"}"#, false),
            (r#"{"module_version":1,"tenant_id":"t"}"#, false),
            (
                r#"{"Raw":{"module_version":"1.0.1","tenant_id":"t"}}"#,
                true,
            ),
        ] {
            let err = check_export(doc.as_bytes().to_vec()).unwrap_err();
            match &err {
                SnapshotError::UnsupportedVersion(VersionRefusal::TooOld { .. }) => {
                    assert!(too_old, "{doc}")
                }
                SnapshotError::UnsupportedVersion(VersionRefusal::Unknown { .. }) => {
                    assert!(!too_old, "{doc}")
                }
                other => panic!("{doc}: {other:?}"),
            }
            assert!(
                err.to_string().contains("ScubaGear 1.1.0 and later"),
                "{err}"
            );
            assert!(matches!(
                crate::Snapshot::from_bytes(doc.as_bytes()),
                Err(SnapshotError::UnsupportedVersion(_))
            ));
        }
        for ok in [
            r#"{"module_version":"1.1.0","tenant_id":"t"}"#,
            r#"{"module_version":"1.8.0","tenant_id":"t"}"#,
            r#"{"module_version":"aether365-collector 0.1.0","tenant_id":"t"}"#,
            r#"{"tenant_id":"t"}"#,
        ] {
            assert!(check_export(ok.as_bytes().to_vec()).is_ok(), "{ok}");
            assert!(crate::Snapshot::from_bytes(ok.as_bytes()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_from_value_refuses() {
        assert!(matches!(
            check_export(b"not json".to_vec()),
            Err(SnapshotError::NotJson(_))
        ));
        assert!(matches!(
            check_export(b"[1,2]".to_vec()),
            Err(SnapshotError::NotAnObject("an array"))
        ));
        assert!(matches!(
            check_export(b"{\"x\":1}".to_vec()),
            Err(SnapshotError::MissingEssentials)
        ));
        assert!(matches!(
            check_export(b"{\"tenant_id\":\"t\"} x".to_vec()),
            Err(SnapshotError::NotJson(_))
        ));
        assert!(matches!(
            check_export(b"{\"tenant_id\":\"\\ud800\"}".to_vec()),
            Err(SnapshotError::NotJson(_))
        ));
        assert!(matches!(
            check_export(b"{\"tenant_id\":\"\xff\"}".to_vec()),
            Err(SnapshotError::NotUtf8)
        ));
    }
}
