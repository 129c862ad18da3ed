//! From Microsoft Graph's JSON (camelCase, ISO 8601 dates) to the export's shape: the
//! PowerShell SDK's serialisation, where ScubaGear upper-cases the first letter of every
//! property name and Windows PowerShell writes dates as `/Date(milliseconds)/`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// Converts a Graph value to the export's naming and date format, recursively.
pub fn to_export(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (upper_first(&k), to_export(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(to_export).collect()),
        Value::String(s) => match iso_to_ms(&s) {
            Some(ms) => Value::String(format!("/Date({ms})/")),
            None => Value::String(s),
        },
        other => other,
    }
}

/// `displayName` -> `DisplayName`; `@odata.type` stays as it is.
pub fn upper_first(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Milliseconds since the Unix epoch of an ISO 8601 date-time, or None if `s` is not one.
/// Invoke-MgGraphRequest turns every such string into a DateTime, whatever the property.
pub fn iso_to_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // Cheap shape test first: YYYY-MM-DDTHH:MM:SS...
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || !b[..4].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc).timestamp_millis());
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc().timestamp_millis())
}

/// The string value of `key` in a Graph object, or "".
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_dates() {
        let v = to_export(json!({
            "displayName": "x",
            "@odata.type": "#microsoft.graph.user",
            "createdDateTime": "2022-03-17T16:54:48.205Z",
            "nested": [{"modifiedDateTime": "2021-12-01T08:00:00Z", "maximumDuration": "P1D"}],
            "plain": "2022-03-17 not a date"
        }));
        assert_eq!(
            v,
            json!({
                "DisplayName": "x",
                "@odata.type": "#microsoft.graph.user",
                "CreatedDateTime": "/Date(1647536088205)/",
                "Nested": [{"ModifiedDateTime": "/Date(1638345600000)/", "MaximumDuration": "P1D"}],
                "Plain": "2022-03-17 not a date"
            })
        );
        assert_eq!(iso_to_ms("2022-03-17T16:54:48.2052Z"), Some(1647536088205));
    }
}
