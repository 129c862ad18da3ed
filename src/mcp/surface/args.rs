//! Strict reading of tool and prompt arguments: unknown properties and wrong types are
//! rejected with a message that says what to fix.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::SurfaceError;

/// The arguments of one call, checked against the names a tool accepts.
pub struct Args {
    map: Map<String, Value>,
}

fn invalid(msg: impl Into<String>) -> SurfaceError {
    SurfaceError::InvalidArguments(msg.into())
}

impl Args {
    /// Accepts an object (or `null` for none) whose keys are all in `allowed`.
    pub fn parse(arguments: Value, allowed: &[&str]) -> Result<Args, SurfaceError> {
        let map = match arguments {
            Value::Null => Map::new(),
            Value::Object(map) => map,
            other => {
                return Err(invalid(format!(
                    "arguments must be an object, not {}",
                    value_kind(&other)
                )));
            }
        };
        let unknown: Vec<&str> = map
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k))
            .collect();
        if !unknown.is_empty() {
            let accepted = if allowed.is_empty() {
                "this tool takes no arguments".to_string()
            } else {
                format!("accepted arguments: {}", allowed.join(", "))
            };
            return Err(invalid(format!(
                "unknown argument{} {}: {accepted}",
                if unknown.len() > 1 { "s" } else { "" },
                unknown
                    .iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(Args { map })
    }

    /// From prompt arguments (all strings).
    pub fn from_map(map: &Map<String, Value>, allowed: &[&str]) -> Result<Args, SurfaceError> {
        Args::parse(Value::Object(map.clone()), allowed)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An optional non-empty string.
    pub fn string(&self, name: &str) -> Result<Option<String>, SurfaceError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(other) => Err(invalid(format!(
                "{name} must be a string, not {}",
                value_kind(other)
            ))),
        }
    }

    /// An optional reference that may be a string or an integer (tenants).
    pub fn reference(&self, name: &str) -> Result<Option<String>, SurfaceError> {
        match self.get(name) {
            Some(Value::Number(n)) if n.is_i64() => Ok(Some(n.to_string())),
            Some(Value::Number(_)) => Err(invalid(format!(
                "{name} must be a name, a domain or an integer id"
            ))),
            _ => self.string(name),
        }
    }

    /// An optional positive integer id; digits in a string are accepted too.
    pub fn id(&self, name: &str) -> Result<Option<i64>, SurfaceError> {
        let bad = || invalid(format!("{name} must be a positive integer id"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().filter(|v| *v > 0).map(Some).ok_or_else(bad),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|v| *v > 0)
                .map(Some)
                .ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    /// An optional integer within `min..=max`.
    pub fn integer(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, SurfaceError> {
        let bad = || invalid(format!("{name} must be an integer from {min} to {max}"));
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|v| (min..=max).contains(v))
                .map(Some)
                .ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    /// A string or an array of strings; empty when absent.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, SurfaceError> {
        let bad = || invalid(format!("{name} must be a string or an array of strings"));
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(|s| s.trim().to_string()).ok_or_else(bad))
                .filter(|r| !matches!(r, Ok(s) if s.is_empty()))
                .collect(),
            Some(_) => Err(bad()),
        }
    }

    /// A string that must be one of `choices` (case-insensitive), or `None`.
    pub fn choice(
        &self,
        name: &str,
        choices: &[&'static str],
    ) -> Result<Option<&'static str>, SurfaceError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => choices
                .iter()
                .find(|c| c.eq_ignore_ascii_case(&s))
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    invalid(format!(
                        "{name} must be one of {} (got {s:?})",
                        choices.join(", ")
                    ))
                }),
        }
    }

    /// A point in time: RFC 3339, a date (`2026-10-01`) or a span back from now (`30d`, `4w`, `12h`).
    pub fn since(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, SurfaceError> {
        let Some(s) = self.string(name)? else {
            return Ok(None);
        };
        parse_since(&s, now)
            .map(Some)
            .ok_or_else(|| invalid(format!(
                "{name} must be an RFC 3339 time, a date such as 2026-10-01, or a span such as 30d, 4w or 12h (got {s:?})"
            )))
    }
}

/// See [`Args::since`].
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    let lower = s.to_ascii_lowercase();
    let (num, unit) = lower.split_at(lower.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok().filter(|n| *n > 0 && *n <= 3660)?;
    let span = match unit.trim() {
        "d" | "day" | "days" => Duration::days(n),
        "w" | "week" | "weeks" => Duration::weeks(n),
        "h" | "hour" | "hours" => Duration::hours(n),
        "m" | "month" | "months" => Duration::days(30 * n),
        "y" | "year" | "years" => Duration::days(365 * n),
        _ => return None,
    };
    Some(now - span)
}

/// "a string", "an object", …: how error messages name a JSON value's type.
pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_unknown_and_mistyped_arguments() {
        let err = Args::parse(json!({"ai_pilot": true}), &["tenant", "kind"])
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("unknown argument \"ai_pilot\""),
            "{err}"
        );
        let args = Args::parse(
            json!({"limit": "5", "severity": ["high", 3]}),
            &["limit", "severity"],
        )
        .unwrap();
        assert!(args.integer("limit", 1, 200).is_err());
        assert!(args.strings("severity").is_err());
        assert!(Args::parse(json!([1]), &[]).is_err());
    }

    #[test]
    fn parses_since() {
        let now = Utc::now();
        assert_eq!(parse_since("30d", now), Some(now - Duration::days(30)));
        assert!(parse_since("2026-10-01", now).is_some());
        assert!(parse_since("2026-10-01T00:00:00Z", now).is_some());
        assert!(parse_since("yesterday", now).is_none());
    }
}
