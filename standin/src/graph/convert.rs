//! From the export's shape (PascalCase, `/Date(ms)/`) back to Graph's JSON (camelCase, ISO 8601).

use chrono::{DateTime, SecondsFormat};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Converts an export value back to Graph's naming and date format, recursively.
pub fn to_graph(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (lower_first(k), to_graph(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(to_graph).collect()),
        Value::String(s) => match dotnet_date(s) {
            Some(iso) => Value::String(iso),
            None => Value::String(s.clone()),
        },
        other => other.clone(),
    }
}

/// `DisplayName` -> `displayName`; `@odata.type` stays as it is.
pub fn lower_first(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `/Date(1647536088205)/` (optionally with an offset suffix) as an ISO 8601 UTC date-time.
pub fn dotnet_date(s: &str) -> Option<String> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    let ms: i64 = inner.get(..digits_end)?.parse().ok()?;
    let dt = DateTime::from_timestamp_millis(ms)?;
    Some(dt.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// A stable GUID-shaped id derived from `seed` (for objects the export does not name).
pub fn guid(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn back_to_graph() {
        assert_eq!(
            to_graph(
                &json!({"DisplayName": "x", "@odata.type": "t", "CreatedDateTime": "/Date(1647536088205)/"})
            ),
            json!({"displayName": "x", "@odata.type": "t", "createdDateTime": "2022-03-17T16:54:48.205Z"})
        );
        assert_eq!(guid("a").len(), 36);
    }
}
