//! Performance: results per hour registered, and achievement in percent of the assignment's
//! `PerformanceCriteria` (expected meetings / yes / products sold / conclusions per hour),
//! per user, per assignment and across assignments.
//!
//! Achievement is always `actual / expected × 100` with `expected = Σ criterion × hours`.
//! For one user that is (actual per hour / expected per hour) × 100; summed over users and
//! assignments it weights each assignment's criterion by its hours, so assignments with
//! different criteria combine correctly. Only results of assignments that have a criterion
//! for a metric count towards that metric's achievement.
//!
//! Beside the hours registered stand the calls placed from the customer card (issue 17): how
//! many each user started in the window, and the talk time of those completed
//! ([`calls_by_user`]). A call belongs to the window it started in, whole (a call is at most
//! a day; it is not cut at the window's end as a time entry is).
//!
//! Sums are exact (talk time in whole seconds); only the per-hour and percent values shown
//! are rounded (2 decimals).

use super::historical::{OutcomeTallyRow, activity_per_user};
use super::{percent_of, two_places};
use crate::assignment::setup::PerformanceCriteria;
use crate::call::{Call, CallStatus};
use crate::ids::{AssignmentId, UserId};
use crate::time_entry::{TimeEntry, hours_of};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Duration, OffsetDateTime};

/// Hours of one user on one assignment in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserHours {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The user.
    pub user: UserId,
    /// The time worked, exact (from `TimeEntry::worked_within`, summed).
    pub worked: Duration,
}

impl UserHours {
    /// The time worked in hours, unrounded.
    pub fn hours(&self) -> Decimal {
        hours_of(self.worked)
    }
}

/// Hours per assignment and user inside `[from, to)`, running entries counted up to `now`;
/// sorted by assignment, then user. Users with no hours in the window are left out. For
/// "all to date", pass `OffsetDateTime::UNIX_EPOCH` and `now`.
pub fn hours_by_user<'a>(
    entries: impl IntoIterator<Item = &'a TimeEntry>,
    now: OffsetDateTime,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Vec<UserHours> {
    let mut sums: BTreeMap<(AssignmentId, UserId), Duration> = BTreeMap::new();
    for entry in entries {
        let worked = entry.worked_within(now, from, to);
        if worked > Duration::ZERO {
            let sum = sums.entry((entry.assignment(), entry.user())).or_default();
            *sum = sum.saturating_add(worked);
        }
    }
    sums.into_iter()
        .map(|((assignment, user), worked)| UserHours {
            assignment,
            user,
            worked,
        })
        .collect()
}

/// Calls of one user on one assignment in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCalls {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The seller who called.
    pub user: UserId,
    /// The calls made, however they ended (dialled on a softphone, answered or not); not
    /// the ones the PBX could not place.
    pub calls: u64,
    /// The talk time of the completed ones, in seconds, exact.
    pub talk_seconds: u64,
}

/// Calls per assignment and seller started inside `[from, to)` — not those the PBX could
/// not place —, with the talk time of the completed ones (the PBX's duration); sorted by
/// assignment, then user. Sellers without a
/// call in the window are left out.
pub fn calls_by_user<'a>(
    calls: impl IntoIterator<Item = &'a Call>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Vec<UserCalls> {
    let mut sums: BTreeMap<(AssignmentId, UserId), (u64, u64)> = BTreeMap::new();
    for call in calls {
        // A call the PBX could not place never rang: not a call made.
        if call.started_at < from || call.started_at >= to || call.status == CallStatus::Failed {
            continue;
        }
        let talked = match (call.status, call.duration) {
            (CallStatus::Completed, Some(seconds)) => u64::from(seconds),
            _ => 0,
        };
        let sum = sums.entry((call.assignment, call.seller)).or_default();
        sum.0 = sum.0.saturating_add(1);
        sum.1 = sum.1.saturating_add(talked);
    }
    sums.into_iter()
        .map(|((assignment, user), (calls, talk_seconds))| UserCalls {
            assignment,
            user,
            calls,
            talk_seconds,
        })
        .collect()
}

/// One value per measured result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Metrics<T> {
    /// Meetings booked.
    pub meetings: T,
    /// Outcomes landing in a Yes state.
    pub yes: T,
    /// Units of products sold.
    pub products_sold: T,
    /// Outcomes landing in a Yes or No state.
    pub conclusions: T,
}

/// Counted results.
pub type Results = Metrics<u64>;

/// Hours, results, results per hour and achievement of one user, assignment or everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Performance {
    /// Hours registered, rounded to four places once, after summing the exact times.
    pub hours: Decimal,
    /// What was achieved.
    pub results: Results,
    /// Results per hour, 2 decimals; `None` without hours.
    pub per_hour: Metrics<Option<Decimal>>,
    /// Percent of the expected results, 2 decimals; `None` without hours or criterion.
    pub achievement: Metrics<Option<Decimal>>,
    /// Calls started from the customer card.
    pub calls: u64,
    /// The talk time of the completed calls, in seconds.
    pub talk_seconds: u64,
}

/// Performance of one user (or of the system, `user: None`) on one assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPerformance {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The user; `None` for results registered by SMS replies and integrations.
    pub user: Option<UserId>,
    /// The numbers.
    pub performance: Performance,
}

/// Performance of one assignment, all its users summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentPerformance {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The numbers.
    pub performance: Performance,
}

/// The performance report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PerformanceReport {
    /// Per assignment and user, sorted by assignment, then user (`None` first).
    pub per_user: Vec<UserPerformance>,
    /// Per assignment, sorted by assignment.
    pub per_assignment: Vec<AssignmentPerformance>,
    /// Across every assignment.
    pub overall: Performance,
}

/// Exact sums for one scope; `finish` rounds for display.
#[derive(Debug, Clone, Default)]
struct Sums {
    worked: Duration,
    results: Results,
    /// Results of assignments with a criterion for the metric.
    measured: Results,
    /// Σ criterion × hours; `None` where no criterion applied.
    expected: Metrics<Option<Decimal>>,
    calls: Calls,
}

/// Calls started and seconds talked.
#[derive(Debug, Clone, Copy, Default)]
struct Calls {
    started: u64,
    talk_seconds: u64,
}

/// What one user did on one assignment.
#[derive(Debug, Clone, Copy, Default)]
struct Work {
    worked: Duration,
    results: Results,
    calls: Calls,
}

impl Sums {
    fn add(&mut self, criteria: &PerformanceCriteria, work: Work) {
        let Work {
            worked,
            results,
            calls,
        } = work;
        self.worked = self.worked.saturating_add(worked);
        self.calls.started = self.calls.started.saturating_add(calls.started);
        self.calls.talk_seconds = self.calls.talk_seconds.saturating_add(calls.talk_seconds);
        let hours = hours_of(worked);
        let expect = |sum: &mut Option<Decimal>, measured: &mut u64, per_hour, actual: u64| {
            if let Some(per_hour) = per_hour {
                let add = hours.saturating_mul(per_hour);
                *sum = Some(sum.unwrap_or_default().saturating_add(add));
                *measured = measured.saturating_add(actual);
            }
        };
        let (r, m, e) = (&mut self.results, &mut self.measured, &mut self.expected);
        r.meetings = r.meetings.saturating_add(results.meetings);
        r.yes = r.yes.saturating_add(results.yes);
        r.products_sold = r.products_sold.saturating_add(results.products_sold);
        r.conclusions = r.conclusions.saturating_add(results.conclusions);
        expect(
            &mut e.meetings,
            &mut m.meetings,
            criteria.meetings_per_hour,
            results.meetings,
        );
        expect(&mut e.yes, &mut m.yes, criteria.yes_per_hour, results.yes);
        expect(
            &mut e.products_sold,
            &mut m.products_sold,
            criteria.products_per_hour,
            results.products_sold,
        );
        expect(
            &mut e.conclusions,
            &mut m.conclusions,
            criteria.conclusions_per_hour,
            results.conclusions,
        );
    }

    fn finish(&self) -> Performance {
        let hours = hours_of(self.worked);
        let per_hour = |actual: u64| {
            if hours <= Decimal::ZERO {
                return None;
            }
            Decimal::from(actual).checked_div(hours).map(two_places)
        };
        let achieved = |actual: u64, expected: Option<Decimal>| {
            expected.and_then(|e| percent_of(Decimal::from(actual), e))
        };
        let (r, m, e) = (&self.results, &self.measured, &self.expected);
        Performance {
            hours: hours.round_dp(4),
            results: self.results,
            per_hour: Metrics {
                meetings: per_hour(r.meetings),
                yes: per_hour(r.yes),
                products_sold: per_hour(r.products_sold),
                conclusions: per_hour(r.conclusions),
            },
            achievement: Metrics {
                meetings: achieved(m.meetings, e.meetings),
                yes: achieved(m.yes, e.yes),
                products_sold: achieved(m.products_sold, e.products_sold),
                conclusions: achieved(m.conclusions, e.conclusions),
            },
            calls: self.calls.started,
            talk_seconds: self.calls.talk_seconds,
        }
    }
}

/// The performance report from an outcome tally, hours and calls of the same window,
/// measured against each assignment's criteria. Assignments not in `criteria` have none;
/// every assignment in `criteria` is listed, with zeros if nothing happened.
pub fn performance_report(
    criteria: &[(AssignmentId, &PerformanceCriteria)],
    tally: &[OutcomeTallyRow],
    hours: &[UserHours],
    calls: &[UserCalls],
) -> PerformanceReport {
    let no_criteria = PerformanceCriteria::default();
    let criteria_of = |assignment: AssignmentId| {
        criteria
            .iter()
            .find(|(a, _)| *a == assignment)
            .map_or(&no_criteria, |(_, c)| *c)
    };
    let mut users: BTreeMap<(AssignmentId, Option<UserId>), Work> = BTreeMap::new();
    for activity in activity_per_user(tally) {
        let s = &activity.summary;
        let results = Results {
            meetings: s.meetings,
            yes: s.yes,
            products_sold: s.products_sold,
            conclusions: s.conclusions,
        };
        users
            .entry((activity.assignment, activity.user))
            .or_default()
            .results = results;
    }
    for h in hours {
        let entry = users.entry((h.assignment, Some(h.user))).or_default();
        entry.worked = entry.worked.saturating_add(h.worked);
    }
    for c in calls {
        let entry = &mut users.entry((c.assignment, Some(c.user))).or_default().calls;
        entry.started = entry.started.saturating_add(c.calls);
        entry.talk_seconds = entry.talk_seconds.saturating_add(c.talk_seconds);
    }
    let assignments: BTreeSet<AssignmentId> = criteria
        .iter()
        .map(|(a, _)| *a)
        .chain(users.keys().map(|(a, _)| *a))
        .collect();
    let mut per_assignment: BTreeMap<AssignmentId, Sums> = assignments
        .into_iter()
        .map(|a| (a, Sums::default()))
        .collect();
    let mut overall = Sums::default();
    let mut per_user = Vec::with_capacity(users.len());
    for ((assignment, user), work) in users {
        let criteria = criteria_of(assignment);
        let mut one = Sums::default();
        one.add(criteria, work);
        per_assignment
            .entry(assignment)
            .or_default()
            .add(criteria, work);
        overall.add(criteria, work);
        per_user.push(UserPerformance {
            assignment,
            user,
            performance: one.finish(),
        });
    }
    PerformanceReport {
        per_user,
        per_assignment: per_assignment
            .into_iter()
            .map(|(assignment, sums)| AssignmentPerformance {
                assignment,
                performance: sums.finish(),
            })
            .collect(),
        overall: overall.finish(),
    }
}

#[cfg(test)]
#[path = "performance_tests.rs"]
mod tests;
