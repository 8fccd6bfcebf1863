//! The organisation's time zone and its calendar days (issue 14). Cube is used in Norway:
//! "today" — My Work's day, the reports' default window, an assignment's visibility dates —
//! is the organisation's local day, not UTC's, or from 00:00 to 01:00 (02:00 in summer) Oslo
//! time a seller would see yesterday. A local day is not always 24 hours: the day the clocks
//! go forward has 23, the day they go back 25, so a day is always computed from the zone's
//! rules (jiff's bundled IANA database; no offsets written by hand), never as 24 hours.
//!
//! Stores keep instants in UTC; the zone only decides where a day starts and ends. Counters
//! kept per UTC hour serve any zone whose offsets are whole hours (Europe/Oslo is +1 or +2):
//! a local day is then a run of whole UTC hours. A zone with a half-hour offset (Asia/Kolkata,
//! +5:30) cuts its days inside an hour, which the report windows read from the raw events at
//! their ends (`crate::reports::window`): still exact, a little slower.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use thiserror::Error;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// An IANA time zone, by name (`Europe/Oslo`).
#[derive(Clone)]
pub struct TimeZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

/// A time zone name the database does not know.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown time zone '{0}': give an IANA name such as Europe/Oslo, Europe/Stockholm or UTC")]
pub struct UnknownTimeZone(pub String);

/// The longest zone name an error repeats: IANA names are short, and an error should not
/// echo a whole oversized input back.
const SHOWN_NAME: usize = 64;

/// `name` as an error shows it: whole, or its first [`SHOWN_NAME`] characters and "…".
fn shown(name: &str) -> String {
    match name.char_indices().nth(SHOWN_NAME) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_owned(),
    }
}

impl TimeZone {
    /// The zone an organisation gets unless it says otherwise.
    pub const DEFAULT: &'static str = "Europe/Oslo";

    /// The zone named `name` (an IANA name; case as the database spells it is kept).
    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        let name = name.trim();
        let zone = jiff::tz::TimeZone::get(name).map_err(|_| UnknownTimeZone(shown(name)))?;
        let name = zone.iana_name().unwrap_or(name).to_owned();
        Ok(Self { name, zone })
    }

    /// Europe/Oslo.
    pub fn oslo() -> Self {
        Self::named_in_the_database(Self::DEFAULT)
    }

    /// UTC.
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            zone: jiff::tz::TimeZone::UTC,
        }
    }

    /// A zone this module names itself, which the bundled database always has.
    fn named_in_the_database(name: &str) -> Self {
        Self::parse(name).unwrap_or_else(|_| Self::utc())
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset from UTC in force at `at`.
    pub fn offset_at(&self, at: OffsetDateTime) -> UtcOffset {
        let seconds = jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos())
            .map(|t| self.zone.to_offset(t).seconds())
            .unwrap_or(0);
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// The local date at `at`.
    pub fn date_of(&self, at: OffsetDateTime) -> Date {
        at.checked_to_offset(self.offset_at(at))
            .unwrap_or(at)
            .date()
    }

    /// The first instant of local day `day` (midnight, or the end of a gap that skips it).
    /// At the very ends of the representable years, where no zone rule applies, UTC midnight.
    pub fn start_of(&self, day: Date) -> OffsetDateTime {
        let utc_midnight = day.midnight().assume_utc();
        let start = jiff::civil::Date::new(
            day.year() as i16,
            u8::from(day.month()) as i8,
            day.day() as i8,
        )
        .and_then(|d| d.to_zoned(self.zone.clone()))
        .and_then(|z| z.start_of_day());
        start
            .ok()
            .and_then(|z| {
                OffsetDateTime::from_unix_timestamp_nanos(z.timestamp().as_nanosecond()).ok()
            })
            .unwrap_or(utc_midnight)
    }

    /// The instant of local time `minute` minutes after midnight on local day `day` (1440:
    /// the start of the next day). A time the clocks skip (02:30 on the day they go forward)
    /// is the instant after the gap, as the same wall time an hour later; a time that occurs
    /// twice (02:30 on the day they go back) is the first of the two.
    pub fn at(&self, day: Date, minute: u16) -> OffsetDateTime {
        if minute >= 24 * 60 {
            return match day.next_day() {
                Some(next) => self.start_of(next),
                None => day.with_time(time::Time::MAX).assume_utc(),
            };
        }
        let (hour, min) = ((minute / 60) as i8, (minute % 60) as i8);
        let fallback = self.start_of(day) + time::Duration::minutes(i64::from(minute));
        jiff::civil::DateTime::new(
            day.year() as i16,
            u8::from(day.month()) as i8,
            day.day() as i8,
            hour,
            min,
            0,
            0,
        )
        .and_then(|local| local.to_zoned(self.zone.clone()))
        .ok()
        .and_then(|z| OffsetDateTime::from_unix_timestamp_nanos(z.timestamp().as_nanosecond()).ok())
        .unwrap_or(fallback)
    }

    /// Local day `day` as the half-open span of instants `[start, start of the next day)`:
    /// 24 hours, or 23 and 25 on the days the clocks change.
    pub fn day(&self, day: Date) -> (OffsetDateTime, OffsetDateTime) {
        self.days(day, day)
    }

    /// The local days `first` to `last`, both included, as one half-open span of instants.
    /// Empty (`start == end`) when `last` is before `first`.
    pub fn days(&self, first: Date, last: Date) -> (OffsetDateTime, OffsetDateTime) {
        let start = self.start_of(first);
        if last < first {
            return (start, start);
        }
        let end = match last.next_day() {
            Some(next) => self.start_of(next),
            None => last.with_time(time::Time::MAX).assume_utc(),
        };
        (start, end)
    }

    /// The local day containing `at`, as a span of instants.
    pub fn today(&self, at: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
        self.day(self.date_of(at))
    }

    /// Monday of ISO week `week` of `year`, and the local span of that week (Monday to Sunday).
    pub fn iso_week(&self, year: i32, week: u8) -> Option<(OffsetDateTime, OffsetDateTime)> {
        let monday = Date::from_iso_week_date(year, week, time::Weekday::Monday).ok()?;
        let sunday = monday.checked_add(time::Duration::days(6))?;
        Some(self.days(monday, sunday))
    }

    /// The local days of month `month` of `year`, each as a span of instants, in order.
    pub fn days_of_month(
        &self,
        year: i32,
        month: Month,
    ) -> Vec<(Date, (OffsetDateTime, OffsetDateTime))> {
        let Ok(mut day) = Date::from_calendar_date(year, month, 1) else {
            return Vec::new();
        };
        let mut days = Vec::new();
        while day.month() == month {
            days.push((day, self.day(day)));
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
        }
        days
    }
}

impl Default for TimeZone {
    /// [`TimeZone::DEFAULT`]: Europe/Oslo.
    fn default() -> Self {
        Self::oslo()
    }
}

impl PartialEq for TimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZone {}

impl std::hash::Hash for TimeZone {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZone({})", self.name)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    fn hours(span: (OffsetDateTime, OffsetDateTime)) -> i64 {
        (span.1 - span.0).whole_hours()
    }

    #[test]
    fn an_oslo_day_starts_at_local_midnight_in_winter_and_summer() {
        let oslo = TimeZone::oslo();
        assert_eq!(
            oslo.day(date!(2026 - 01 - 15)),
            (
                datetime!(2026-01-14 23:00 UTC),
                datetime!(2026-01-15 23:00 UTC)
            )
        );
        assert_eq!(
            oslo.day(date!(2026 - 07 - 15)),
            (
                datetime!(2026-07-14 22:00 UTC),
                datetime!(2026-07-15 22:00 UTC)
            )
        );
    }

    #[test]
    fn the_days_the_clocks_change_have_23_and_25_hours() {
        let oslo = TimeZone::oslo();
        // 2026: forward on 29 March, back on 25 October; 2027: 28 March and 31 October.
        for (day, length) in [
            (date!(2026 - 03 - 28), 24),
            (date!(2026 - 03 - 29), 23),
            (date!(2026 - 03 - 30), 24),
            (date!(2026 - 10 - 25), 25),
            (date!(2027 - 03 - 28), 23),
            (date!(2027 - 10 - 31), 25),
        ] {
            assert_eq!(hours(oslo.day(day)), length, "{day}");
        }
        assert_eq!(
            oslo.day(date!(2026 - 10 - 25)),
            (
                datetime!(2026-10-24 22:00 UTC),
                datetime!(2026-10-25 23:00 UTC)
            )
        );
    }

    #[test]
    fn just_after_local_midnight_is_already_the_next_day() {
        let oslo = TimeZone::oslo();
        // 00:30 in Oslo on 5 December is 23:30 UTC on the 4th.
        let at = datetime!(2026-12-04 23:30 UTC);
        assert_eq!(oslo.date_of(at), date!(2026 - 12 - 05));
        assert_eq!(TimeZone::utc().date_of(at), date!(2026 - 12 - 04));
        // 01:30 in summer is 23:30 UTC the day before.
        assert_eq!(
            oslo.date_of(datetime!(2026-06-30 23:30 UTC)),
            date!(2026 - 07 - 01)
        );
    }

    #[test]
    fn a_day_that_skips_midnight_starts_when_the_gap_ends() {
        // Sao Paulo moved its clocks from 00:00 to 01:00 on 4 November 2018.
        let zone = TimeZone::parse("America/Sao_Paulo").expect("known");
        let (start, end) = zone.day(date!(2018 - 11 - 04));
        assert_eq!(start, datetime!(2018-11-04 03:00 UTC));
        assert_eq!(hours((start, end)), 23);
        assert_eq!(zone.date_of(start), date!(2018 - 11 - 04));
    }

    #[test]
    fn names_are_checked_and_kept_as_the_database_spells_them() {
        assert_eq!(
            TimeZone::parse(" Europe/Oslo ").expect("known").name(),
            "Europe/Oslo"
        );
        assert_eq!(
            TimeZone::parse("Mars/Olympus"),
            Err(UnknownTimeZone("Mars/Olympus".to_owned()))
        );
        assert!(TimeZone::parse("").is_err());
        let long = "A".repeat(5000);
        assert_eq!(
            TimeZone::parse(&long),
            Err(UnknownTimeZone(format!("{}…", "A".repeat(64)))),
            "an oversized name is not echoed whole"
        );
        assert!(TimeZone::parse("../../etc/passwd").is_err());
        let zone: TimeZone = serde_json::from_str("\"Europe/Stockholm\"").expect("a zone");
        assert_eq!(
            serde_json::to_string(&zone).expect("json"),
            "\"Europe/Stockholm\""
        );
        assert!(serde_json::from_str::<TimeZone>("\"Nowhere\"").is_err());
        assert_eq!(TimeZone::default(), TimeZone::oslo());
    }

    #[test]
    fn an_iso_week_is_monday_to_monday_local() {
        let oslo = TimeZone::oslo();
        let week = oslo.iso_week(2026, 13).expect("a week");
        // Monday 23 March 00:00 +01 to Monday 30 March 00:00 +02: 167 hours.
        assert_eq!(week.0, datetime!(2026-03-22 23:00 UTC));
        assert_eq!(week.1, datetime!(2026-03-29 22:00 UTC));
        assert_eq!(hours(week), 167);
    }

    proptest! {
        /// The local days of a month partition it exactly: each starts where the one before
        /// ended, the first at the month's first local midnight, the last at the next
        /// month's, and every instant inside a day reads as that day (tried in zones with
        /// DST both ways, a half-hour offset and a half-hour DST change, a skipped day).
        #[test]
        fn the_days_of_a_month_partition_it(
            year in 1970i32..2100,
            month in 1u8..=12,
            zone in prop::sample::select(vec![
                "Europe/Oslo", "UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
                "America/Sao_Paulo", "Pacific/Apia",
            ]),
            fraction in 0.0f64..1.0,
        ) {
            let zone = TimeZone::parse(zone).expect("known");
            let month = Month::try_from(month).expect("a month");
            let days = zone.days_of_month(year, month);
            prop_assert!((28..=31).contains(&days.len()));
            let first = Date::from_calendar_date(year, month, 1).expect("a date");
            prop_assert_eq!(days[0].1.0, zone.start_of(first));
            for pair in days.windows(2) {
                prop_assert_eq!(pair[0].1.1, pair[1].1.0);
            }
            let (last_day, last) = days[days.len() - 1];
            prop_assert_eq!(Some(last.1), last_day.next_day().map(|d| zone.start_of(d)));
            for (day, (start, end)) in days {
                // A day a zone skipped whole (Pacific/Apia, 30 December 2011) is empty.
                prop_assert!(start <= end);
                if start == end {
                    continue;
                }
                prop_assert_eq!(zone.date_of(start), day);
                let inside = start + (end - start) * fraction;
                prop_assert_eq!(zone.date_of(inside), day);
                prop_assert_eq!(zone.date_of(end - time::Duration::nanoseconds(1)), day);
            }
        }
    }
}
