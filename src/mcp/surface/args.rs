//! Typed tool arguments: the pieces several tools share, and the one parser that turns a
//! `tools/call`'s `arguments` into a tool's argument struct. Schemas are derived from these
//! types (see [`super::tools::schema`]); errors name the field to fix.

use std::borrow::Cow;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::SurfaceError;

fn invalid(msg: impl Into<String>) -> SurfaceError {
    SurfaceError::InvalidArguments(msg.into())
}

/// Parses `arguments` (an object, or `null` for none) into a tool's argument struct. Unknown
/// fields are refused by the struct (`deny_unknown_fields`); every error names its field.
pub fn parse<A: DeserializeOwned>(arguments: Value) -> Result<A, SurfaceError> {
    let arguments = match arguments {
        Value::Null => Value::Object(Map::new()),
        object @ Value::Object(_) => object,
        other => {
            return Err(invalid(format!(
                "arguments must be an object, not {}",
                value_kind(&other)
            )));
        }
    };
    serde_path_to_error::deserialize(arguments).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." || inner.contains(&format!("`{path}`")) {
            invalid(inner)
        } else {
            invalid(format!("{path}: {inner}"))
        }
    })
}

/// `Some(trimmed)` for a non-blank string.
pub fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A tenant by display name, primary or verified domain, or numeric id (case-insensitive).
#[derive(Clone, Debug, PartialEq)]
pub struct TenantRef(String);

impl TenantRef {
    /// The reference as the query layer takes it; `None` (every tenant in scope) when blank.
    pub fn name(reference: Option<TenantRef>) -> Option<String> {
        text(reference.map(|t| t.0))
    }
}

impl<'de> Deserialize<'de> for TenantRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(TenantRef(s)),
            Value::Number(n) if n.is_i64() => Ok(TenantRef(n.to_string())),
            other => Err(D::Error::custom(format!(
                "expected a tenant name, domain or integer id, not {}",
                value_kind(&other)
            ))),
        }
    }
}

impl JsonSchema for TenantRef {
    fn schema_name() -> Cow<'static, str> {
        "TenantRef".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "integer"] })
    }
}

/// A positive integer id (digits in a string are accepted too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub i64);

impl Id {
    /// The id, if given.
    pub fn of(id: Option<Id>) -> Option<i64> {
        id.map(|i| i.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let id = match &value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        id.filter(|i| *i > 0)
            .map(Id)
            .ok_or_else(|| D::Error::custom(format!("expected a positive integer id, not {value}")))
    }
}

impl JsonSchema for Id {
    fn schema_name() -> Cow<'static, str> {
        "Id".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1 })
    }
}

/// A page size from 1 to `MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit<const MAX: u64>(pub u64);

impl<const MAX: u64> Limit<MAX> {
    /// The size asked for, or `default`.
    pub fn or(limit: Option<Self>, default: u64) -> u64 {
        limit.map_or(default, |l| l.0)
    }
}

impl<'de, const MAX: u64> Deserialize<'de> for Limit<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        value
            .as_u64()
            .filter(|n| (1..=MAX).contains(n))
            .map(Limit)
            .ok_or_else(|| {
                D::Error::custom(format!("expected an integer from 1 to {MAX}, not {value}"))
            })
    }
}

impl<const MAX: u64> JsonSchema for Limit<MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("Limit{MAX}").into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "maximum": MAX })
    }
}

/// One value or several (an array, or a comma-separated string).
#[derive(Clone, Debug, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> OneOrMany<T> {
    /// The values; empty when absent.
    pub fn list(values: Option<Self>) -> Vec<T> {
        values.map(|v| v.0).unwrap_or_default()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let one = |v: Value| T::deserialize(v).map_err(D::Error::custom);
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .map(one)
                .collect::<Result<_, _>>()
                .map(OneOrMany),
            Value::String(s) if s.contains(',') => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| one(Value::String(s.to_string())))
                .collect::<Result<_, _>>()
                .map(OneOrMany),
            other => one(other).map(|v| OneOrMany(vec![v])),
        }
    }
}

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("OneOrMany{}", T::schema_name()).into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let item = generator.subschema_for::<T>();
        json_schema!({ "anyOf": [item, { "type": "array", "items": item, "minItems": 1 }] })
    }
}

/// How much an answer shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    #[default]
    Summary,
    Full,
}

impl Detail {
    /// Whether the full answer was asked for.
    pub fn full(detail: Option<Detail>) -> bool {
        detail == Some(Detail::Full)
    }
}

/// A point in time: RFC 3339, a date (`2026-10-01`) or a span back from now (`30d`, `4w`, `12h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Since(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Since {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_since(s.trim(), Utc::now()).map(Since).ok_or_else(|| {
            D::Error::custom(format!(
                "expected an RFC 3339 time, a date such as 2026-10-01, or a span such as 30d, 4w or 12h, not {s:?}"
            ))
        })
    }
}

impl JsonSchema for Since {
    fn schema_name() -> Cow<'static, str> {
        "Since".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

/// See [`Since`].
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

/// The arguments of a prompt (all strings), checked against the names it accepts.
pub struct PromptArgs<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> PromptArgs<'a> {
    /// Refuses names outside `allowed` and values that are not strings.
    pub fn new(map: &'a Map<String, Value>, allowed: &[&str]) -> Result<Self, SurfaceError> {
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(invalid(format!(
                "unknown argument {unknown:?}: accepted arguments: {}",
                allowed.join(", ")
            )));
        }
        if let Some((name, value)) = map.iter().find(|(_, v)| !v.is_string() && !v.is_null()) {
            return Err(invalid(format!(
                "{name} must be a string, not {}",
                value_kind(value)
            )));
        }
        Ok(PromptArgs { map })
    }

    /// A non-blank argument.
    pub fn get(&self, name: &str) -> Option<String> {
        text(
            self.map
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string),
        )
    }
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
    use aether365_actors::query::Severity;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        tenant: Option<TenantRef>,
        scan: Option<Id>,
        severity: Option<OneOrMany<Severity>>,
        limit: Option<Limit<200>>,
    }

    fn error(arguments: Value) -> String {
        parse::<Sample>(arguments).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field_to_fix() {
        assert!(error(json!({"ai_pilot": true})).contains("unknown field `ai_pilot`"));
        assert!(error(json!({"severity": "dreadful"})).starts_with("severity: "));
        assert!(error(json!({"severity": ["high", 3]})).starts_with("severity: "));
        assert!(error(json!({"limit": "5"})).starts_with("limit: "));
        assert!(error(json!({"limit": 201})).contains("1 to 200"));
        assert!(error(json!({"scan": -1})).starts_with("scan: "));
        assert!(error(json!({"tenant": 1.5})).starts_with("tenant: "));
        assert!(error(json!([1])).contains("must be an object"));
        let ok: Sample =
            parse(json!({"tenant": 3, "scan": "12", "severity": "high,critical"})).unwrap();
        assert_eq!(TenantRef::name(ok.tenant).as_deref(), Some("3"));
        assert_eq!(Id::of(ok.scan), Some(12));
        assert_eq!(ok.severity.unwrap().0, [Severity::High, Severity::Critical]);
        assert!(parse::<Sample>(Value::Null).is_ok());
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
