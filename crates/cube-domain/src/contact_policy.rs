//! The contact policy (issue 18): when a customer may be called. Norway's marketing law
//! (markedsføringsloven §§ 12–14, as changed by Prop. 43 L (2016–2017)) forbids
//! telemarketing to consumers on Saturdays, Sundays, public holidays and days equal to them,
//! and on weekdays before 09:00 and after 21:00. The rules are pure: given the customer's
//! dataset, an instant and the organisation's time zone, [`ContactPolicy::decide`] says "may
//! be contacted" or why not and the next instant it may.
//!
//! Here: the call windows per weekday in the organisation's zone with a holiday calendar
//! (Norway's built in: [`holidays`]), applied to consumers (B2C); companies (B2B) are not
//! bound by them. [`standing`]: the do-not-call list, the reservation register and its
//! exemptions kept on the customer, and the gate "next customer" applies per request.

pub mod holidays;
pub mod standing;

use crate::data_owner::Dataset;
use crate::meeting::{CalendarError, ClockTime, OpeningPeriod, check_opening_hours};
use crate::time_zone::TimeZone;
use holidays::{Holiday, HolidayCalendar};
use time::{Date, OffsetDateTime, Weekday};

/// One window calls may be made in: on `day`, from `opens` to `closes` local time (the same
/// shape as a calendar's opening period).
pub type CallWindow = OpeningPeriod;

/// How far [`CallWindows::next_open`] looks ahead: a year and a day.
const LOOK_AHEAD_DAYS: u16 = 366;

/// When calls may be made: windows per weekday, never on a holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallWindows {
    windows: Vec<CallWindow>,
    holidays: HolidayCalendar,
}

/// Why calling is closed at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Closed {
    /// A public holiday (or a day of the calendar's own).
    Holiday(Holiday),
    /// No calling on this weekday at all (Saturdays and Sundays in Norway).
    Weekday(Weekday),
    /// Before the day's first window, between windows, or after the last.
    OutsideHours,
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Closed::Holiday(holiday) => write!(f, "a public holiday: {}", holiday.name_en),
            Closed::Weekday(day) => write!(f, "no calling on {day}s"),
            Closed::OutsideHours => f.write_str("outside the call window's hours"),
        }
    }
}

impl CallWindows {
    /// Norway's law for calling consumers: Monday to Friday 09:00–21:00, never on a public
    /// holiday.
    pub fn norway() -> Self {
        let nine = ClockTime::new(9, 0).unwrap_or(ClockTime::END_OF_DAY);
        let twenty_one = ClockTime::new(21, 0).unwrap_or(ClockTime::END_OF_DAY);
        let windows = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ]
        .into_iter()
        .map(|day| CallWindow {
            day,
            opens: nine,
            closes: twenty_one,
        })
        .collect();
        Self {
            windows,
            holidays: HolidayCalendar::Norway,
        }
    }

    /// Windows of one's own (checked as a calendar's opening hours: each closes after it
    /// opens, none overlap on a day) with a holiday calendar.
    pub fn new(windows: Vec<CallWindow>, holidays: HolidayCalendar) -> Result<Self, CalendarError> {
        Ok(Self {
            windows: check_opening_hours(windows)?,
            holidays,
        })
    }

    /// The windows, by weekday (Monday first) and time.
    pub fn windows(&self) -> &[CallWindow] {
        &self.windows
    }

    /// The spans of local day `day` calls may be made in, as instants in `zone`, or why none.
    fn open_on(
        &self,
        day: Date,
        zone: &TimeZone,
    ) -> Result<Vec<(OffsetDateTime, OffsetDateTime)>, Closed> {
        if let Some(holiday) = self.holidays.holiday(day) {
            return Err(Closed::Holiday(holiday));
        }
        let spans: Vec<_> = self
            .windows
            .iter()
            .filter(|w| w.day == day.weekday())
            .map(|w| {
                (
                    zone.at(day, w.opens.minutes()),
                    zone.at(day, w.closes.minutes()),
                )
            })
            .collect();
        if spans.is_empty() {
            Err(Closed::Weekday(day.weekday()))
        } else {
            Ok(spans)
        }
    }

    /// Why calling is closed at `at` in `zone`; `None` when a window is open (a window is
    /// half-open: 09:00 is in, 21:00 is out).
    pub fn closed_at(&self, at: OffsetDateTime, zone: &TimeZone) -> Option<Closed> {
        match self.open_on(zone.date_of(at), zone) {
            Err(closed) => Some(closed),
            Ok(spans) if spans.iter().any(|(open, close)| *open <= at && at < *close) => None,
            Ok(_) => Some(Closed::OutsideHours),
        }
    }

    /// The first instant at or after `at` a window is open: `at` itself when one is; `None`
    /// when none opens within a year and a day (no windows at all).
    pub fn next_open(&self, at: OffsetDateTime, zone: &TimeZone) -> Option<OffsetDateTime> {
        let mut day = zone.date_of(at);
        for _ in 0..LOOK_AHEAD_DAYS {
            if let Ok(spans) = self.open_on(day, zone)
                && let Some((open, _)) = spans.iter().find(|(_, close)| at < *close)
            {
                return Some((*open).max(at));
            }
            day = day.next_day()?;
        }
        None
    }
}

/// What the policy says of contacting a customer at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The customer may be contacted now.
    MayContact,
    /// Not now: why, and the next instant it may (`None`: not within a year).
    NotNow {
        /// Why.
        closed: Closed,
        /// When calling opens again.
        next: Option<OffsetDateTime>,
    },
}

/// The rules a call centre follows before a customer is contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPolicy {
    /// When consumers (B2C customers) may be called.
    pub consumer_windows: CallWindows,
}

impl ContactPolicy {
    /// Norway's law: consumers on weekdays 09:00–21:00 except public holidays.
    pub fn norway() -> Self {
        Self {
            consumer_windows: CallWindows::norway(),
        }
    }

    /// Whether a customer of `dataset` may be contacted at `at` in `zone` (the organisation's
    /// time zone). Companies (B2B) are not bound by the consumer call windows.
    pub fn decide(&self, dataset: Dataset, at: OffsetDateTime, zone: &TimeZone) -> Verdict {
        if dataset == Dataset::B2b {
            return Verdict::MayContact;
        }
        match self.consumer_windows.closed_at(at, zone) {
            None => Verdict::MayContact,
            Some(closed) => Verdict::NotNow {
                closed,
                next: self.consumer_windows.next_open(at, zone),
            },
        }
    }
}
