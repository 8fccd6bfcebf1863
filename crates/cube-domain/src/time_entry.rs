//! Time tracking: hours of one user on one assignment. Performance is measured per hour
//! registered here. An entry is started ([`TimeEntry::start`]) and ends only through
//! [`TimeEntry::stop`] (or is registered finished, [`TimeEntry::manual`]); stores rebuild
//! one with [`TimeEntry::restore`].

use crate::ids::{AssignmentId, TimeEntryId, UserId};
use crate::time_bounds::{TimeOutOfBounds, checked_time};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Duration, OffsetDateTime};

/// Why a time entry was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TimeEntryError {
    /// End not after start.
    #[error("a time entry must end after it starts")]
    EndsBeforeStart,
    /// Longer than a day: almost certainly a forgotten stop.
    #[error("a time entry cannot be longer than 24 hours; split it or correct the times")]
    TooLong,
    /// Already stopped.
    #[error("this time entry is already stopped")]
    AlreadyStopped,
    /// The user has hours registered in that time already: one user works one assignment at
    /// a time, so overlapping entries would count the same hours twice.
    #[error(
        "these hours overlap your time entry {id} from {} to {}; correct the times or that entry",
        crate::instant::shown(.start),
        crate::instant::shown(.end)
    )]
    Overlaps {
        /// The entry overlapped.
        id: TimeEntryId,
        /// Its start.
        start: OffsetDateTime,
        /// Its end.
        end: OffsetDateTime,
    },
    /// The user's clock runs since before the new entry ends.
    #[error(
        "these hours overlap your running clock (time entry {id}, started {}); stop it first",
        crate::instant::shown(.start)
    )]
    OverlapsRunning {
        /// The running entry.
        id: TimeEntryId,
        /// Its start.
        start: OffsetDateTime,
    },
    /// A start or end outside the years Cube accepts.
    #[error(transparent)]
    Time(#[from] TimeOutOfBounds),
}

/// Hours on an assignment: running (no end yet) or finished. Serialized with the field
/// names below; reading one back checks it like [`TimeEntry::restore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TimeEntryRecord")]
pub struct TimeEntry {
    id: TimeEntryId,
    user: UserId,
    assignment: AssignmentId,
    start: OffsetDateTime,
    end: Option<OffsetDateTime>,
}

/// A time entry's serialized fields, read back through [`TimeEntry::restore`].
#[derive(Deserialize)]
struct TimeEntryRecord {
    id: TimeEntryId,
    user: UserId,
    assignment: AssignmentId,
    start: OffsetDateTime,
    end: Option<OffsetDateTime>,
}

impl TryFrom<TimeEntryRecord> for TimeEntry {
    type Error = TimeEntryError;

    fn try_from(record: TimeEntryRecord) -> Result<Self, Self::Error> {
        Self::restore(
            record.id,
            record.user,
            record.assignment,
            record.start,
            record.end,
        )
    }
}

impl TimeEntry {
    /// Rebuilds an entry as a store kept it: running (`end` `None`) or finished. Only for
    /// stores: it checks no more than that the entry does not end before it starts (the
    /// length and the years were checked when it was stopped).
    pub fn restore(
        id: TimeEntryId,
        user: UserId,
        assignment: AssignmentId,
        start: OffsetDateTime,
        end: Option<OffsetDateTime>,
    ) -> Result<Self, TimeEntryError> {
        if end.is_some_and(|end| end < start) {
            return Err(TimeEntryError::EndsBeforeStart);
        }
        Ok(Self {
            id,
            user,
            assignment,
            start,
            end,
        })
    }

    /// The id.
    pub fn id(&self) -> TimeEntryId {
        self.id
    }

    /// The user whose hours these are.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The assignment worked.
    pub fn assignment(&self) -> AssignmentId {
        self.assignment
    }

    /// When the clock started.
    pub fn starts_at(&self) -> OffsetDateTime {
        self.start
    }

    /// When it stopped; `None` while it runs.
    pub fn ends_at(&self) -> Option<OffsetDateTime> {
        self.end
    }

    /// Whether the clock still runs.
    pub fn is_running(&self) -> bool {
        self.end.is_none()
    }

    /// Starts the clock.
    pub fn start(
        id: TimeEntryId,
        user: UserId,
        assignment: AssignmentId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            user,
            assignment,
            start: now,
            end: None,
        }
    }

    /// A finished entry registered by hand; `start` and `end` must lie in the accepted
    /// window (`time_bounds`).
    pub fn manual(
        id: TimeEntryId,
        user: UserId,
        assignment: AssignmentId,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<Self, TimeEntryError> {
        checked_time("start", start)?;
        checked_time("end", end)?;
        let mut entry = Self::start(id, user, assignment, start);
        entry.stop(end)?;
        Ok(entry)
    }

    /// Whether this entry shares an instant with `[start, end)` (`end` `None`: open-ended).
    /// A running entry runs on until stopped; touching end to start is not overlapping.
    pub fn overlaps(&self, start: OffsetDateTime, end: Option<OffsetDateTime>) -> bool {
        self.end.is_none_or(|own_end| start < own_end) && end.is_none_or(|end| self.start < end)
    }

    /// Refuses this entry if it overlaps any of `others` of the same user (itself excepted):
    /// one user's hours are never counted twice.
    pub fn check_no_overlap<'a>(
        &self,
        others: impl IntoIterator<Item = &'a TimeEntry>,
    ) -> Result<(), TimeEntryError> {
        let clash = others.into_iter().find(|other| {
            other.id != self.id && other.user == self.user && other.overlaps(self.start, self.end)
        });
        match clash {
            None => Ok(()),
            Some(other) => Err(match other.end {
                Some(end) => TimeEntryError::Overlaps {
                    id: other.id,
                    start: other.start,
                    end,
                },
                None => TimeEntryError::OverlapsRunning {
                    id: other.id,
                    start: other.start,
                },
            }),
        }
    }

    /// Stops the clock.
    pub fn stop(&mut self, end: OffsetDateTime) -> Result<(), TimeEntryError> {
        if self.end.is_some() {
            return Err(TimeEntryError::AlreadyStopped);
        }
        if end <= self.start {
            return Err(TimeEntryError::EndsBeforeStart);
        }
        if end - self.start > Duration::hours(24) {
            return Err(TimeEntryError::TooLong);
        }
        self.end = Some(end);
        Ok(())
    }

    /// The time worked, exactly, counting a running entry up to `now`. Only the part inside
    /// `[from, to)` counts. Sum these and convert once with [`hours_of`]: hours rounded per
    /// entry do not add up (three 20-minute entries are one hour, not 0.9999).
    pub fn worked_within(
        &self,
        now: OffsetDateTime,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Duration {
        let end = self.end.unwrap_or(now).min(to);
        let start = self.start.max(from);
        if end <= start {
            return Duration::ZERO;
        }
        end - start
    }

    /// Hours as a decimal rounded to four places, for showing one entry; counting a running
    /// entry up to `now`, only the part inside `[from, to)`. Never sum these: sum
    /// [`TimeEntry::worked_within`] instead.
    pub fn hours_within(
        &self,
        now: OffsetDateTime,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Decimal {
        hours_of(self.worked_within(now, from, to)).round_dp(4)
    }
}

/// A duration in hours, unrounded (microseconds, the domain's precision, over 3600 seconds),
/// so a sum of durations converted once is exact where the hours are whole.
pub fn hours_of(worked: Duration) -> Decimal {
    let micros = i64::try_from(worked.whole_microseconds()).unwrap_or(i64::MAX);
    Decimal::from(micros) / Decimal::from(MICROS_PER_HOUR)
}

/// Microseconds in an hour.
const MICROS_PER_HOUR: i64 = 3_600_000_000;
