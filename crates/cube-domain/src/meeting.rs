//! Calendars and meetings. An outcome that books a meeting creates one in a calendar chosen
//! per assignment. Decision (DOMAIN.md): a calendar refuses overlapping meetings unless it
//! allows them. A calendar has opening hours per weekday in the organisation's time zone
//! (none: any time) and can be closed for new bookings; a seller booking sees a day's free
//! slots ([`day_plan`]). A meeting can be cancelled or moved; the customer's history keeps
//! the booking and the change (`customer::Change`).

use crate::access::{Role, User};
use crate::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, MeetingId, UserId,
};
use crate::time_zone::TimeZone;
use crate::values::Name;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;
use time::{Date, OffsetDateTime, Weekday};

/// A calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// The id.
    pub id: CalendarId,
    /// The data owner whose assignments may book in it.
    pub data_owner: DataOwnerId,
    /// The name (a salesperson, a room).
    pub name: Name,
    /// Whether two meetings may overlap.
    pub allows_overlap: bool,
    /// When it takes meetings, in the organisation's time zone; empty: at any time.
    /// Calendars stored before opening hours existed read as empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opening_hours: Vec<OpeningPeriod>,
    /// Whether new meetings may be booked in it; a closed calendar keeps its meetings.
    /// Calendars stored before read as open.
    #[serde(default = "open", skip_serializing_if = "is_open")]
    pub active: bool,
}

fn open() -> bool {
    true
}

fn is_open(active: &bool) -> bool {
    *active
}

/// A time of day on a calendar's clock, to the minute: `00:00` to `24:00` (the end of the
/// day), written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime(u16);

impl ClockTime {
    /// The end of the day, `24:00`.
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    /// The time `hour:minute`; `None` past `24:00`.
    pub fn new(hour: u8, minute: u8) -> Option<Self> {
        let minutes = u16::from(hour) * 60 + u16::from(minute);
        (minute < 60 && minutes <= 24 * 60).then_some(Self(minutes))
    }

    /// Parses `HH:MM` (`H:MM` too), from `00:00` to `24:00`.
    pub fn parse(raw: &str) -> Result<Self, CalendarError> {
        let refuse = || CalendarError::ClockTime(crate::values::excerpt(raw));
        let (hour, minute) = raw.trim().split_once(':').ok_or_else(refuse)?;
        let digits = |t: &str, max: usize| {
            (!t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse::<u8>().ok())
                .flatten()
        };
        match (digits(hour, 2), digits(minute, 2)) {
            (Some(h), Some(m)) if minute.len() == 2 => Self::new(h, m).ok_or_else(refuse),
            _ => Err(refuse()),
        }
    }

    /// Minutes after midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl TryFrom<String> for ClockTime {
    type Error = CalendarError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ClockTime> for String {
    fn from(value: ClockTime) -> Self {
        value.to_string()
    }
}

/// One period a calendar takes meetings: on `day`, from `opens` to `closes` local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningPeriod {
    /// The weekday.
    pub day: Weekday,
    /// When it opens.
    pub opens: ClockTime,
    /// When it closes, after `opens`.
    pub closes: ClockTime,
}

/// Why a calendar's set-up was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// Not a time of day.
    #[error("'{0}' is not a time of day such as 08:00 or 16:30 (00:00 to 24:00)")]
    ClockTime(String),
    /// A period that closes before it opens.
    #[error("the opening period on {day} closes at {closes}, not after it opens at {opens}")]
    ClosesBeforeOpening {
        /// The weekday.
        day: Weekday,
        /// Opens.
        opens: ClockTime,
        /// Closes.
        closes: ClockTime,
    },
    /// Two periods of one day overlap.
    #[error("two opening periods on {0} overlap; give each time of the day once")]
    Overlapping(Weekday),
    /// Too many periods.
    #[error("at most {max} opening periods, got {got}")]
    TooManyPeriods {
        /// The most.
        max: usize,
        /// Given.
        got: usize,
    },
    /// A free slot length out of range.
    #[error("a slot is 0 to {max} minutes long, not {got} minutes")]
    SlotLength {
        /// The longest, in minutes.
        max: i64,
        /// Asked, in minutes.
        got: i64,
    },
}

/// The most opening periods a calendar has (four a day).
pub const MAX_OPENING_PERIODS: usize = 28;

/// Checks opening hours: each period closes after it opens, periods of one day do not
/// overlap (touching is fine), at most [`MAX_OPENING_PERIODS`]. Returns them sorted by
/// weekday (Monday first) and opening time.
pub fn check_opening_hours(
    mut periods: Vec<OpeningPeriod>,
) -> Result<Vec<OpeningPeriod>, CalendarError> {
    if periods.len() > MAX_OPENING_PERIODS {
        return Err(CalendarError::TooManyPeriods {
            max: MAX_OPENING_PERIODS,
            got: periods.len(),
        });
    }
    if let Some(p) = periods.iter().find(|p| p.closes <= p.opens) {
        return Err(CalendarError::ClosesBeforeOpening {
            day: p.day,
            opens: p.opens,
            closes: p.closes,
        });
    }
    periods.sort_by_key(|p| (p.day.number_days_from_monday(), p.opens));
    if let Some(pair) = periods
        .windows(2)
        .find(|w| w[0].day == w[1].day && w[1].opens < w[0].closes)
    {
        return Err(CalendarError::Overlapping(pair[0].day));
    }
    Ok(periods)
}

impl Calendar {
    /// The spans of local day `day` it takes meetings in, as instants in `zone`, in order:
    /// its opening periods of that weekday, the whole day when it has no opening hours,
    /// none when it is closed.
    pub fn open_on(&self, day: Date, zone: &TimeZone) -> Vec<(OffsetDateTime, OffsetDateTime)> {
        if !self.active {
            return Vec::new();
        }
        if self.opening_hours.is_empty() {
            return vec![zone.day(day)];
        }
        self.opening_hours
            .iter()
            .filter(|p| p.day == day.weekday())
            .map(|p| {
                (
                    zone.at(day, p.opens.minutes()),
                    zone.at(day, p.closes.minutes()),
                )
            })
            .collect()
    }

    /// Whether a meeting `[start, end)` fits: the calendar is open, and the meeting lies
    /// inside one opening period of the local day it starts on (any time without opening
    /// hours).
    pub fn takes(&self, start: OffsetDateTime, end: OffsetDateTime, zone: &TimeZone) -> bool {
        if !self.active {
            return false;
        }
        if self.opening_hours.is_empty() {
            return true;
        }
        self.open_on(zone.date_of(start), zone)
            .iter()
            .any(|(opens, closes)| *opens <= start && end <= *closes)
    }
}

/// A calendar's local day for a seller booking (seed 000 item 6): when it is open, the
/// meetings booked, and the free time between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    /// The spans it takes meetings in ([`Calendar::open_on`]).
    pub open: Vec<(OffsetDateTime, OffsetDateTime)>,
    /// The times taken by meetings overlapping the day, merged where they touch or overlap.
    pub busy: Vec<(OffsetDateTime, OffsetDateTime)>,
    /// The open spans with the busy times taken out, each at least `min_length` long.
    pub free: Vec<(OffsetDateTime, OffsetDateTime)>,
}

/// The plan of `calendar` on local day `day` in `zone`, given its meetings overlapping that
/// day (others are ignored): free spans of at least `min_length`.
pub fn day_plan(
    calendar: &Calendar,
    meetings: &[Meeting],
    day: Date,
    zone: &TimeZone,
    min_length: time::Duration,
) -> DayPlan {
    let (day_start, day_end) = zone.day(day);
    let mut taken: Vec<(OffsetDateTime, OffsetDateTime)> = meetings
        .iter()
        .filter(|m| m.calendar == calendar.id && m.overlaps(day_start, day_end))
        .map(|m| (m.start, m.end))
        .collect();
    taken.sort();
    let mut busy: Vec<(OffsetDateTime, OffsetDateTime)> = Vec::new();
    for (start, end) in taken {
        match busy.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => busy.push((start, end)),
        }
    }
    let open = calendar.open_on(day, zone);
    let mut free = Vec::new();
    for &(opens, closes) in &open {
        let mut from = opens;
        for &(start, end) in &busy {
            if end <= from || start >= closes {
                continue;
            }
            if start > from {
                free.push((from, start));
            }
            from = from.max(end);
        }
        if from < closes {
            free.push((from, closes));
        }
    }
    free.retain(|(start, end)| *end - *start >= min_length);
    DayPlan { open, busy, free }
}

/// Physical or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MeetingKind {
    /// In person, at `place`.
    Physical,
    /// On a video platform, link in `place`.
    Video,
}

/// What a seller asks for when booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRequest {
    /// The calendar.
    pub calendar: CalendarId,
    /// Start (UTC).
    pub start: OffsetDateTime,
    /// End (UTC), after start.
    pub end: OffsetDateTime,
    /// Physical or video.
    pub kind: MeetingKind,
    /// Address or video link.
    pub place: Option<String>,
}

/// A booked meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// The id.
    pub id: MeetingId,
    /// The calendar.
    pub calendar: CalendarId,
    /// The assignment it was booked in.
    pub assignment: AssignmentId,
    /// The enrollment it was booked for.
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// Who booked it (`None` when booked by the system).
    pub booked_by: Option<UserId>,
    /// Start (UTC).
    pub start: OffsetDateTime,
    /// End (UTC).
    pub end: OffsetDateTime,
    /// Physical or video.
    pub kind: MeetingKind,
    /// Address or video link.
    pub place: Option<String>,
}

impl Meeting {
    /// Whether two meetings share any instant (touching end to start is not an overlap).
    pub fn overlaps(&self, start: OffsetDateTime, end: OffsetDateTime) -> bool {
        self.start < end && start < self.end
    }
}

/// Why a meeting cannot be cancelled or moved as asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MeetingChangeRefused {
    /// A seller asked to change a meeting another user booked.
    #[error("a seller cancels or moves only the meetings they booked; ask a manager")]
    NotTheirs,
    /// The meeting is over.
    #[error(
        "the meeting ended at {}; a meeting that has taken place is neither cancelled nor moved",
        crate::instant::shown(.0)
    )]
    Over(OffsetDateTime),
    /// The new end is not after the new start.
    #[error("the meeting must end after it starts")]
    EndsBeforeStart,
    /// The new time has passed.
    #[error(
        "the new time ends at {}, which has passed: move the meeting to the future",
        crate::instant::shown(.0)
    )]
    InPast(OffsetDateTime),
    /// The calendar takes no new times.
    #[error(
        "calendar '{0}' is closed for new meetings; cancel the meeting or ask a manager to open it"
    )]
    CalendarClosed(String),
    /// Outside the opening hours.
    #[error(
        "the new time is outside the opening hours of calendar '{0}'; choose a time among its \
         free slots"
    )]
    OutsideOpeningHours(String),
    /// Another meeting of the calendar is there.
    #[error(
        "the new time overlaps another meeting in the calendar from {} to {}",
        crate::instant::shown(.0),
        crate::instant::shown(.1)
    )]
    Overlaps(OffsetDateTime, OffsetDateTime),
}

/// Whether `user` may cancel or move `meeting` at `now`: a seller only a meeting they booked
/// (managers and admins of the assignment any — the access policy decides who they are),
/// and only one that has not ended.
pub fn check_change(
    user: &User,
    meeting: &Meeting,
    now: OffsetDateTime,
) -> Result<(), MeetingChangeRefused> {
    if user.role == Role::Seller && meeting.booked_by != Some(user.id) {
        return Err(MeetingChangeRefused::NotTheirs);
    }
    if meeting.end <= now {
        return Err(MeetingChangeRefused::Over(meeting.end));
    }
    Ok(())
}

/// `meeting` moved to `[start, end)` in `calendar` by `user` at `now`, given the calendar's
/// other meetings around the new time (`others`; the meeting itself among them is ignored):
/// the same rules as booking — open calendar, inside its opening hours in `zone`, no
/// overlap unless the calendar allows it, in the future.
pub fn moved(
    user: &User,
    meeting: &Meeting,
    calendar: &Calendar,
    others: &[Meeting],
    (start, end): (OffsetDateTime, OffsetDateTime),
    zone: &TimeZone,
    now: OffsetDateTime,
) -> Result<Meeting, MeetingChangeRefused> {
    check_change(user, meeting, now)?;
    if end <= start {
        return Err(MeetingChangeRefused::EndsBeforeStart);
    }
    if end <= now {
        return Err(MeetingChangeRefused::InPast(end));
    }
    if !calendar.active {
        return Err(MeetingChangeRefused::CalendarClosed(
            calendar.name.to_string(),
        ));
    }
    if !calendar.takes(start, end, zone) {
        return Err(MeetingChangeRefused::OutsideOpeningHours(
            calendar.name.to_string(),
        ));
    }
    if !calendar.allows_overlap
        && let Some(clash) = others
            .iter()
            .find(|m| m.id != meeting.id && m.calendar == calendar.id && m.overlaps(start, end))
    {
        return Err(MeetingChangeRefused::Overlaps(clash.start, clash.end));
    }
    Ok(Meeting {
        start,
        end,
        ..meeting.clone()
    })
}
