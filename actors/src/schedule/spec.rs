//! What a schedule says (cadence, time zone, kinds) and when it next fires.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use super::ScheduleError;
use crate::scans::ScanKind;

/// How often a schedule fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cadence {
    /// Every day at a time of day.
    Daily { at: NaiveTime },
    /// Once a week, on a day, at a time of day.
    Weekly { weekday: Weekday, at: NaiveTime },
    /// A cron expression as written (five fields, minute first), and as parsed.
    Cron {
        expression: String,
        schedule: Box<cron::Schedule>,
    },
}

/// A schedule as written, before validation (the dashboard's form and the stored row).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScheduleInput {
    /// `daily`, `weekly` or `cron`.
    pub cadence: String,
    /// `HH:MM` (24 h) in `time_zone`; daily and weekly.
    pub time: Option<String>,
    /// `mon` … `sun`; weekly.
    pub weekday: Option<String>,
    /// An IANA time zone name such as `Europe/Paris` or `UTC`.
    pub time_zone: String,
    /// `minute hour day-of-month month day-of-week`; cadence `cron`.
    pub cron: Option<String>,
    pub compliance: bool,
    pub exposure: bool,
    /// On (true) or paused (false).
    pub enabled: bool,
}

/// A validated schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleSpec {
    pub cadence: Cadence,
    pub time_zone: Tz,
    pub compliance: bool,
    pub exposure: bool,
    /// False while paused.
    pub enabled: bool,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ScheduleError {
    ScheduleError::Invalid {
        field,
        message: message.into(),
    }
}

fn parse_time(raw: Option<&str>) -> Result<NaiveTime, ScheduleError> {
    let raw = raw.map(str::trim).unwrap_or_default();
    NaiveTime::parse_from_str(raw, "%H:%M").map_err(|_| {
        invalid(
            "time",
            format!("time must be a time of day as HH:MM (24 h), such as 03:30, not {raw:?}"),
        )
    })
}

fn parse_weekday(raw: Option<&str>) -> Result<Weekday, ScheduleError> {
    let raw = raw.map(str::trim).unwrap_or_default();
    Weekday::from_str(raw).map_err(|_| {
        invalid(
            "weekday",
            format!("weekday must be one of mon, tue, wed, thu, fri, sat, sun, not {raw:?}"),
        )
    })
}

/// Parses a cron expression: five fields (minute hour day-of-month month day-of-week), or six
/// with seconds first.
fn parse_cron(raw: Option<&str>) -> Result<Cadence, ScheduleError> {
    let expression = raw.map(str::trim).unwrap_or_default().to_string();
    let fields = expression.split_whitespace().count();
    let full = match fields {
        5 => format!("0 {expression}"),
        6 => expression.clone(),
        _ => {
            return Err(invalid(
                "cron",
                format!(
                    "cron must have five fields (minute hour day-of-month month day-of-week), such as \"0 3 * * 1-5\", not {expression:?}"
                ),
            ));
        }
    };
    let schedule = cron::Schedule::from_str(&full)
        .map_err(|e| invalid("cron", format!("cron expression {expression:?}: {e}")))?;
    if schedule.upcoming(Utc).next().is_none() {
        return Err(invalid(
            "cron",
            format!("cron expression {expression:?} never fires"),
        ));
    }
    Ok(Cadence::Cron {
        expression,
        schedule: Box::new(schedule),
    })
}

impl ScheduleInput {
    /// Checks every field: an unknown zone or cadence, a bad time, weekday or cron expression,
    /// or no kind at all is an [`ScheduleError::Invalid`] naming the field.
    pub fn validate(&self) -> Result<ScheduleSpec, ScheduleError> {
        let time_zone = Tz::from_str(self.time_zone.trim()).map_err(|_| {
            invalid(
                "time_zone",
                format!(
                    "time_zone must be an IANA time zone name such as Europe/Paris or UTC, not {:?}",
                    self.time_zone
                ),
            )
        })?;
        let cadence = match self.cadence.trim() {
            "daily" => Cadence::Daily {
                at: parse_time(self.time.as_deref())?,
            },
            "weekly" => Cadence::Weekly {
                weekday: parse_weekday(self.weekday.as_deref())?,
                at: parse_time(self.time.as_deref())?,
            },
            "cron" => parse_cron(self.cron.as_deref())?,
            other => {
                return Err(invalid(
                    "cadence",
                    format!("cadence must be daily, weekly or cron, not {other:?}"),
                ));
            }
        };
        if !self.compliance && !self.exposure {
            return Err(invalid(
                "compliance",
                "choose compliance, exposure or both: a schedule must run at least one kind of scan",
            ));
        }
        Ok(ScheduleSpec {
            cadence,
            time_zone,
            compliance: self.compliance,
            exposure: self.exposure,
            enabled: self.enabled,
        })
    }
}

impl ScheduleSpec {
    /// The kinds of scan it starts, compliance first.
    pub fn kinds(&self) -> Vec<ScanKind> {
        let mut kinds = Vec::new();
        if self.compliance {
            kinds.push(ScanKind::Compliance);
        }
        if self.exposure {
            kinds.push(ScanKind::Exposure);
        }
        kinds
    }

    /// The form of the schedule (normalised: trimmed, weekday in three letters).
    pub fn input(&self) -> ScheduleInput {
        let (cadence, time, weekday, cron) = match &self.cadence {
            Cadence::Daily { at } => ("daily", Some(at.format("%H:%M").to_string()), None, None),
            Cadence::Weekly { weekday, at } => (
                "weekly",
                Some(at.format("%H:%M").to_string()),
                Some(weekday_name(*weekday).to_string()),
                None,
            ),
            Cadence::Cron { expression, .. } => ("cron", None, None, Some(expression.clone())),
        };
        ScheduleInput {
            cadence: cadence.to_string(),
            time,
            weekday,
            time_zone: self.time_zone.name().to_string(),
            cron,
            compliance: self.compliance,
            exposure: self.exposure,
            enabled: self.enabled,
        }
    }

    /// The first occurrence strictly after `after`, to the second (occurrences missed while
    /// no instance ran collapse into this one). `None` when it never fires again.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.time_zone);
        let next = match &self.cadence {
            Cadence::Cron { schedule, .. } => {
                schedule.after(&local).next().map(|t| t.with_timezone(&Utc))
            }
            Cadence::Daily { at } => self.first_day_after(after, local.date_naive(), *at, |_| true),
            Cadence::Weekly { weekday, at } => {
                self.first_day_after(after, local.date_naive(), *at, |d| d.weekday() == *weekday)
            }
        }?;
        next.with_nanosecond(0)
    }

    fn first_day_after(
        &self,
        after: DateTime<Utc>,
        from: chrono::NaiveDate,
        at: NaiveTime,
        wanted: impl Fn(chrono::NaiveDate) -> bool,
    ) -> Option<DateTime<Utc>> {
        (0..=8)
            .filter_map(|days| from.checked_add_signed(Duration::days(days)))
            .filter(|d| wanted(*d))
            .filter_map(|d| self.at_local(d.and_time(at)))
            .find(|t| *t > after)
    }

    /// A local wall-clock time as an instant: the earlier of two in a repeated hour, an hour
    /// later in a skipped one (spring forward).
    fn at_local(&self, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
        self.time_zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.time_zone
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    }
}

/// `mon` … `sun`.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(cadence: &str) -> ScheduleInput {
        ScheduleInput {
            cadence: cadence.into(),
            time: Some("03:30".into()),
            weekday: Some("wed".into()),
            time_zone: "Europe/Paris".into(),
            cron: Some("15 */6 * * *".into()),
            compliance: true,
            exposure: false,
            enabled: true,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn daily_fires_at_local_time_strictly_after() {
        let spec = input("daily").validate().unwrap();
        // Winter: Paris is UTC+1.
        assert_eq!(
            spec.next_after(utc("2026-12-06T01:00:00Z")),
            Some(utc("2026-12-06T02:30:00Z"))
        );
        assert_eq!(
            spec.next_after(utc("2026-12-06T02:30:00Z")),
            Some(utc("2026-12-07T02:30:00Z"))
        );
        // Summer: UTC+2.
        assert_eq!(
            spec.next_after(utc("2026-07-01T12:00:00Z")),
            Some(utc("2026-07-02T01:30:00Z"))
        );
    }

    #[test]
    fn weekly_and_cron() {
        let spec = input("weekly").validate().unwrap();
        // 2026-12-06 is a Sunday; the next Wednesday is the 9th.
        assert_eq!(
            spec.next_after(utc("2026-12-06T10:00:00Z")),
            Some(utc("2026-12-09T02:30:00Z"))
        );
        let spec = input("cron").validate().unwrap();
        assert_eq!(
            spec.next_after(utc("2026-12-06T10:00:00Z")),
            Some(utc("2026-12-06T11:15:00Z"))
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let field = |i: ScheduleInput| match i.validate() {
            Err(ScheduleError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut i = input("daily");
        i.time_zone = "Mars/Olympus".into();
        assert_eq!(field(i), "time_zone");
        let mut i = input("cron");
        i.cron = Some("61 * * * *".into());
        assert_eq!(field(i), "cron");
        let mut i = input("cron");
        i.cron = Some("every day".into());
        assert_eq!(field(i), "cron");
        let mut i = input("daily");
        i.time = Some("25:00".into());
        assert_eq!(field(i), "time");
        let mut i = input("weekly");
        i.weekday = Some("someday".into());
        assert_eq!(field(i), "weekday");
        assert_eq!(field(input("hourly")), "cadence");
        let mut i = input("daily");
        i.compliance = false;
        assert_eq!(field(i), "compliance");
    }
}
