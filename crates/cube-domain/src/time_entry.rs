//! Time tracking: hours of one user on one assignment. Performance is measured per hour
//! registered here.

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
    /// A start or end outside the years Cube accepts.
    #[error(transparent)]
    Time(#[from] TimeOutOfBounds),
}

/// Hours on an assignment: running (no end yet) or finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeEntry {
    /// The id.
    pub id: TimeEntryId,
    /// The user.
    pub user: UserId,
    /// The assignment.
    pub assignment: AssignmentId,
    /// Start.
    pub start: OffsetDateTime,
    /// End; `None` while the clock runs.
    pub end: Option<OffsetDateTime>,
}

impl TimeEntry {
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

    /// Hours as a decimal, counting a running entry up to `now`. Only the part inside
    /// `[from, to)` counts when a window is given.
    pub fn hours_within(
        &self,
        now: OffsetDateTime,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Decimal {
        let end = self.end.unwrap_or(now).min(to);
        let start = self.start.max(from);
        if end <= start {
            return Decimal::ZERO;
        }
        let seconds = (end - start).whole_seconds();
        (Decimal::from(seconds) / Decimal::from(3600)).round_dp(4)
    }
}
