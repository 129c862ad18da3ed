//! One reader of the credential restrictions an app management policy sets (Microsoft Graph's
//! `appManagementConfiguration`: `passwordCredentials` and `keyCredentials`, each a list of
//! restrictions with a `restrictionType`, a `state`, a `restrictForAppsCreatedAfterDateTime`
//! and, for lifetimes, a `maxLifetime`).
//!
//! The reader only parses: each field of a restriction comes back typed, or as a
//! [`RestrictionError`] naming where it stands in the snapshot, and each rule (CIS in
//! [`super::app_credentials`], ScubaGear's main branch in [`super::scuba_main`]) judges the
//! parsed restriction by its own rule. A field's error is kept with the field, so a rule that
//! never looks at a field is never stopped by it.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::s;

/// Seconds in a day.
const DAY: i64 = 86_400;

/// .NET's `DateTime.MinValue` as ScubaGear's export writes it: "no date", every application.
const EXPORTED_MIN_VALUE: &str = "/Date(-62135596800000)/";

/// .NET's `DateTime.MinValue` (0001-01-01T00:00:00Z) in Unix seconds.
const MIN_VALUE_SECONDS: i64 = -62_135_596_800;

/// Which credentials a restriction governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Credential {
    /// Client secrets (`passwordCredentials`).
    Password,
    /// Certificates (`keyCredentials`).
    Key,
}

impl Credential {
    /// The restriction group of an app management policy that governs these credentials.
    pub(crate) fn field(self) -> &'static str {
        match self {
            Credential::Password => "passwordCredentials",
            Credential::Key => "keyCredentials",
        }
    }
}

/// Whether a restriction is enforced (`state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// `enabled`.
    Enabled,
    /// Any other word (Graph writes `disabled`).
    NotEnabled,
}

/// Which applications a restriction covers (`restrictForAppsCreatedAfterDateTime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CreatedAfter {
    /// Absent or null: no date is set.
    Unset,
    /// `/Date(-62135596800000)/`, .NET's `DateTime.MinValue` as ScubaGear's export writes it.
    ExportedMinValue,
    /// An RFC 3339 date, with the offset it was written with.
    Date(DateTime<FixedOffset>),
}

impl CreatedAfter {
    /// Whether the restriction covers every application, whenever it was created: no date, or
    /// .NET's `DateTime.MinValue` in either form.
    pub(crate) fn is_every_app(self) -> bool {
        match self {
            CreatedAfter::Unset | CreatedAfter::ExportedMinValue => true,
            CreatedAfter::Date(d) => d.timestamp() == MIN_VALUE_SECONDS,
        }
    }
}

/// A credential lifetime (`maxLifetime`), in whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Lifetime {
    seconds: i64,
}

impl Lifetime {
    /// A lifetime as Graph writes it, an ISO 8601 duration (see [`duration_seconds`]).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        duration_seconds(text).map(|seconds| Lifetime { seconds })
    }

    /// Whether it is longer than `days` days.
    pub(crate) fn longer_than_days(self, days: i64) -> bool {
        self.seconds > days.saturating_mul(DAY)
    }

    /// The lifetime in days, rounded up, for messages (our own rendering, never the tenant's
    /// text).
    pub(crate) fn days(self) -> i64 {
        days(self.seconds)
    }
}

/// A restriction of an app management policy whose shape is not the one Graph documents; each
/// names the object it was read in (a JSON path into the snapshot's `aether365` section).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RestrictionError {
    /// The restriction group is neither absent, null nor a list.
    #[error("`{path}.{field}` is not a list")]
    NotAList {
        /// The object holding the group.
        path: String,
        /// The group (`passwordCredentials` or `keyCredentials`).
        field: &'static str,
    },
    /// `state` is absent or not text.
    #[error(
        "`{path}`'s `{restriction}` restriction has no `state`: whether it is enforced is unknown"
    )]
    NoState {
        /// The object holding the restriction.
        path: String,
        /// Its `restrictionType`.
        restriction: String,
    },
    /// `restrictForAppsCreatedAfterDateTime` is text but no RFC 3339 date.
    #[error(
        "`{path}`'s `{restriction}` restriction has an unreadable `restrictForAppsCreatedAfterDateTime`"
    )]
    UnreadableDate {
        /// The object holding the restriction.
        path: String,
        /// Its `restrictionType`.
        restriction: String,
    },
    /// `restrictForAppsCreatedAfterDateTime` is neither absent, null nor text.
    #[error(
        "`{path}`'s `{restriction}` restriction has a `restrictForAppsCreatedAfterDateTime` that is not text"
    )]
    DateNotText {
        /// The object holding the restriction.
        path: String,
        /// Its `restrictionType`.
        restriction: String,
    },
    /// `maxLifetime` is text but no ISO 8601 duration.
    #[error("`{path}`'s `{restriction}` restriction has an unreadable `maxLifetime`")]
    UnreadableLifetime {
        /// The object holding the restriction.
        path: String,
        /// Its `restrictionType`.
        restriction: String,
    },
    /// `maxLifetime` is neither absent, null nor text.
    #[error("`{path}`'s `{restriction}` restriction has a `maxLifetime` that is not text")]
    LifetimeNotText {
        /// The object holding the restriction.
        path: String,
        /// Its `restrictionType`.
        restriction: String,
    },
}

impl From<RestrictionError> for String {
    fn from(e: RestrictionError) -> String {
        e.to_string()
    }
}

/// One restriction of an app management policy, each field parsed on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Restriction<'a> {
    /// `restrictionType` (`passwordAddition`, `passwordLifetime`, `asymmetricKeyLifetime`...).
    pub(crate) restriction_type: &'a str,
    /// `state`.
    pub(crate) state: Result<State, RestrictionError>,
    /// `restrictForAppsCreatedAfterDateTime`.
    pub(crate) created_after: Result<CreatedAfter, RestrictionError>,
    /// `maxLifetime`, `None` when absent or null.
    pub(crate) max_lifetime: Result<Option<Lifetime>, RestrictionError>,
}

/// The restrictions of type `restriction_type` that `holder` (an object holding
/// `passwordCredentials` and `keyCredentials`, which `path` names in errors) sets on
/// `credential`, in the policy's order: none when the group is absent or null (or `holder` is
/// not an object), `Err` when the group is not a list.
pub(crate) fn restrictions<'a>(
    holder: &'a Value,
    path: &str,
    credential: Credential,
    restriction_type: &str,
) -> Result<Vec<Restriction<'a>>, RestrictionError> {
    let list = match holder.get(credential.field()) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => {
            return Err(RestrictionError::NotAList {
                path: path.to_string(),
                field: credential.field(),
            });
        }
    };
    Ok(list
        .iter()
        .filter(|r| s(r, "restrictionType") == restriction_type)
        .map(|r| restriction(r, path))
        .collect())
}

/// Parses one restriction found in the object `path` names.
fn restriction<'a>(r: &'a Value, path: &str) -> Restriction<'a> {
    let restriction_type = s(r, "restrictionType");
    let at = || (path.to_string(), restriction_type.to_string());
    let state = match r.get("state").and_then(Value::as_str) {
        Some("enabled") => Ok(State::Enabled),
        Some(_) => Ok(State::NotEnabled),
        None => {
            let (path, restriction) = at();
            Err(RestrictionError::NoState { path, restriction })
        }
    };
    let created_after = match r.get("restrictForAppsCreatedAfterDateTime") {
        None | Some(Value::Null) => Ok(CreatedAfter::Unset),
        Some(Value::String(text)) if text == EXPORTED_MIN_VALUE => {
            Ok(CreatedAfter::ExportedMinValue)
        }
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(CreatedAfter::Date)
            .map_err(|_| {
                let (path, restriction) = at();
                RestrictionError::UnreadableDate { path, restriction }
            }),
        Some(_) => {
            let (path, restriction) = at();
            Err(RestrictionError::DateNotText { path, restriction })
        }
    };
    let max_lifetime = match r.get("maxLifetime") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Lifetime::parse(text).map(Some).ok_or_else(|| {
            let (path, restriction) = at();
            RestrictionError::UnreadableLifetime { path, restriction }
        }),
        Some(_) => {
            let (path, restriction) = at();
            Err(RestrictionError::LifetimeNotText { path, restriction })
        }
    };
    Restriction {
        restriction_type,
        state,
        created_after,
        max_lifetime,
    }
}

/// An ISO 8601 duration as Graph writes `maxLifetime` (`P180D`, `P4DT12H30M5S`, `P1Y`), in
/// seconds. Years count as 366 days and months as 31, so a duration that might exceed a limit
/// never reads as within it.
fn duration_seconds(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (rest, ""),
    };
    if date.is_empty() && time.is_empty() {
        return None;
    }
    let mut total = 0i64;
    for (part, units) in [
        (
            date,
            &[
                ('Y', 366 * DAY),
                ('M', 31 * DAY),
                ('W', 7 * DAY),
                ('D', DAY),
            ][..],
        ),
        (time, &[('H', 3600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut number = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let at = units[next_unit..].iter().position(|(u, _)| *u == c)? + next_unit;
            let value: f64 = number.parse().ok()?;
            total = total.checked_add((value * units[at].1 as f64).ceil() as i64)?;
            number.clear();
            next_unit = at + 1;
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(total)
}

/// A lifetime in days, rounded up, for messages (our own rendering of a parsed duration, never
/// the tenant's text).
fn days(secs: i64) -> i64 {
    (secs + DAY - 1) / DAY
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn durations_read_as_graph_writes_them() {
        assert_eq!(duration_seconds("P180D"), Some(180 * 86_400));
        assert_eq!(
            duration_seconds("P4DT12H30M5S"),
            Some(4 * 86_400 + 12 * 3600 + 30 * 60 + 5)
        );
        assert_eq!(duration_seconds("P26W"), Some(182 * 86_400));
        // Months and years are counted long: P6M may be 184 days, more than 180.
        assert_eq!(duration_seconds("P6M"), Some(186 * 86_400));
        assert_eq!(duration_seconds("P1Y"), Some(366 * 86_400));
        assert_eq!(duration_seconds("PT36H"), Some(36 * 3600));
        for bad in [
            "", "P", "180D", "PD", "P1H", "P1D2", "PT1D", "P1DT", "P2D1Y",
        ] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn restrictions_parse_each_field_on_its_own() {
        let holder = json!({
            "passwordCredentials": [
                { "restrictionType": "passwordLifetime", "state": "enabled",
                  "restrictForAppsCreatedAfterDateTime": "2020-01-01T00:00:00+02:00",
                  "maxLifetime": "PT36H" },
                { "restrictionType": "passwordAddition", "state": "disabled" },
                { "restrictionType": "passwordLifetime", "state": 1,
                  "restrictForAppsCreatedAfterDateTime": 7, "maxLifetime": "soon" },
                { "restrictionType": "passwordLifetime", "state": "enabled",
                  "restrictForAppsCreatedAfterDateTime": "/Date(-62135596800000)/",
                  "maxLifetime": 90 }
            ],
            "keyCredentials": {}
        });
        let path = "policy.half";
        let found = restrictions(&holder, path, Credential::Password, "passwordLifetime").unwrap();
        assert_eq!(found.len(), 3);
        let [ok, bad, exported] = &found[..] else {
            panic!("{found:?}")
        };
        assert_eq!(ok.restriction_type, "passwordLifetime");
        assert_eq!(ok.state, Ok(State::Enabled));
        let Ok(CreatedAfter::Date(d)) = ok.created_after else {
            panic!("{ok:?}")
        };
        assert_eq!(d.format("%Y-%m-%d %z").to_string(), "2020-01-01 +0200");
        assert!(!CreatedAfter::Date(d).is_every_app());
        let lifetime = ok.max_lifetime.clone().unwrap().unwrap();
        assert_eq!(lifetime.days(), 2);
        assert!(lifetime.longer_than_days(1) && !lifetime.longer_than_days(2));

        assert_eq!(
            bad.state.clone().unwrap_err().to_string(),
            "`policy.half`'s `passwordLifetime` restriction has no `state`: whether it is enforced is unknown"
        );
        assert!(matches!(
            bad.created_after,
            Err(RestrictionError::DateNotText { .. })
        ));
        assert_eq!(
            String::from(bad.max_lifetime.clone().unwrap_err()),
            "`policy.half`'s `passwordLifetime` restriction has an unreadable `maxLifetime`"
        );

        assert_eq!(exported.created_after, Ok(CreatedAfter::ExportedMinValue));
        assert!(CreatedAfter::ExportedMinValue.is_every_app());
        assert!(CreatedAfter::Unset.is_every_app());
        assert!(
            CreatedAfter::Date(DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z").unwrap())
                .is_every_app()
        );
        assert!(matches!(
            exported.max_lifetime,
            Err(RestrictionError::LifetimeNotText { .. })
        ));

        assert_eq!(
            restrictions(&holder, path, Credential::Key, "asymmetricKeyLifetime")
                .unwrap_err()
                .to_string(),
            "`policy.half.keyCredentials` is not a list"
        );
        assert!(
            restrictions(&json!(null), path, Credential::Key, "x")
                .unwrap()
                .is_empty()
        );
    }
}
