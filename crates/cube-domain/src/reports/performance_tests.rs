//! Tests of `performance`, with hand-computed achievements.

use super::*;
use crate::call::{Call, CallStatus};
use crate::ids::{CallId, CustomerId, TimeEntryId};
use crate::outcome::OutcomeEvent;
use crate::reports::historical::tally_outcomes;
use crate::reports::testing::*;
use crate::values::PhoneNumber;
use proptest::prelude::*;
use rust_decimal::dec;
use time::Duration;

fn hours(user_n: u128, assignment_n: u128, h: i64) -> TimeEntry {
    let start = t0();
    TimeEntry::manual(
        TimeEntryId::from_uuid(uuid(0x5000 + user_n * 10 + assignment_n)),
        user(user_n),
        assignment(assignment_n),
        start,
        start + Duration::hours(h),
    )
    .expect("valid entry")
}

/// `n` meetings, `yes` sales, by `user_n` on `assignment_n`.
fn work(user_n: u128, assignment_n: u128, n: u128, yes: u128) -> Vec<OutcomeEvent> {
    let meetings = (0..n).map(|i| with_meeting(event(i, O_LEAD, TO_CALL, 1), i));
    let sales = (0..yes).map(|i| event(100 + i, O_SALE, LEAD, 2));
    meetings
        .chain(sales)
        .map(|mut e| {
            e.record_mut().user = Some(user(user_n));
            e.record_mut().assignment = assignment(assignment_n);
            e
        })
        .collect()
}

/// Call `n` by `user_n` on `assignment_n`, started at `at`, in `status` with `duration`.
fn a_call(
    n: u128,
    user_n: u128,
    assignment_n: u128,
    status: CallStatus,
    duration: Option<u32>,
    at: OffsetDateTime,
) -> Call {
    Call {
        id: CallId::from_uuid(uuid(0x7000 + n)),
        assignment: assignment(assignment_n),
        enrollment: enrollment_id(n),
        customer: CustomerId::from_uuid(uuid(0x8000 + n)),
        seller: user(user_n),
        caller_id: PhoneNumber::parse("+4722334455").expect("valid"),
        to: PhoneNumber::parse("+4791234567").ok(),
        provider_id: None,
        status,
        started_at: at,
        answered_at: None,
        ended_at: None,
        duration,
        failure: None,
    }
}

fn criteria_a() -> PerformanceCriteria {
    PerformanceCriteria {
        meetings_per_hour: Some(dec!(0.5)),
        yes_per_hour: Some(dec!(0.25)),
        ..PerformanceCriteria::default()
    }
}

fn criteria_b() -> PerformanceCriteria {
    PerformanceCriteria {
        meetings_per_hour: Some(dec!(2)),
        conclusions_per_hour: Some(dec!(1)),
        ..PerformanceCriteria::default()
    }
}

/// A: user 1 works 8 h (4 meetings, 1 yes), user 2 works 4 h (1 meeting).
/// B: user 1 works 2 h (2 meetings, 1 yes).
fn report() -> PerformanceReport {
    let events: Vec<_> = [work(1, 1, 4, 1), work(2, 1, 1, 0), work(1, 2, 2, 1)].concat();
    let entries = [hours(1, 1, 8), hours(2, 1, 4), hours(1, 2, 2)];
    let now = t0() + Duration::days(1);
    let hours = hours_by_user(&entries, now, t0(), now);
    let (a, b) = (criteria_a(), criteria_b());
    performance_report(
        &[(assignment(1), &a), (assignment(2), &b)],
        &tally_outcomes(&events),
        &hours,
        &[],
    )
}

fn of_user(report: &PerformanceReport, user_n: u128, assignment_n: u128) -> &Performance {
    &report
        .per_user
        .iter()
        .find(|p| p.user == Some(user(user_n)) && p.assignment == assignment(assignment_n))
        .expect("the user has a row")
        .performance
}

fn of_assignment(report: &PerformanceReport, assignment_n: u128) -> &Performance {
    &report
        .per_assignment
        .iter()
        .find(|p| p.assignment == assignment(assignment_n))
        .expect("the assignment has a row")
        .performance
}

#[test]
fn achievement_per_user_is_per_hour_against_expected_per_hour() {
    let report = report();
    let one = of_user(&report, 1, 1);
    assert_eq!(one.hours, dec!(8));
    assert_eq!(one.per_hour.meetings, Some(dec!(0.5)));
    assert_eq!(one.achievement.meetings, Some(dec!(100)));
    assert_eq!(one.achievement.yes, Some(dec!(50)));
    assert_eq!(
        one.achievement.conclusions, None,
        "A has no conclusion criterion"
    );
    let two = of_user(&report, 2, 1);
    assert_eq!(two.achievement.meetings, Some(dec!(50)));
    assert_eq!(two.achievement.yes, Some(dec!(0)));
}

#[test]
fn achievement_per_assignment_sums_its_users() {
    let report = report();
    let a = of_assignment(&report, 1);
    assert_eq!(a.hours, dec!(12));
    assert_eq!(a.results.meetings, 5);
    assert_eq!(a.achievement.meetings, Some(dec!(83.33)));
    assert_eq!(a.achievement.yes, Some(dec!(33.33)));
    let b = of_assignment(&report, 2);
    assert_eq!(b.achievement.meetings, Some(dec!(50)));
    assert_eq!(b.achievement.conclusions, Some(dec!(50)));
    assert_eq!(b.per_hour.meetings, Some(dec!(1)));
}

#[test]
fn achievement_across_assignments_is_weighted_by_hours() {
    let overall = report().overall;
    assert_eq!(overall.hours, dec!(14));
    assert_eq!(overall.results.meetings, 7);
    // 7 meetings against 0.5 × 12 h + 2 × 2 h = 10 expected; not the mean of 83.33 and 50.
    assert_eq!(overall.achievement.meetings, Some(dec!(70)));
    // Yes is only expected in A: B's yes does not count towards it.
    assert_eq!(overall.achievement.yes, Some(dec!(33.33)));
    // Conclusions only in B: 1 against 1 × 2 h.
    assert_eq!(overall.achievement.conclusions, Some(dec!(50)));
    assert_eq!(overall.achievement.products_sold, None);
}

#[test]
fn results_without_hours_have_no_rates() {
    let mut by_sms = event(1, O_SALE, LEAD, 1);
    by_sms.record_mut().user = None;
    let criteria = criteria_a();
    let report = performance_report(
        &[(assignment(1), &criteria)],
        &tally_outcomes(&[by_sms, event(2, O_SALE, LEAD, 2)]),
        &[],
        &[],
    );
    assert_eq!(report.per_user.len(), 2);
    assert_eq!(report.per_user[0].user, None);
    for p in report.per_user.iter().map(|p| &p.performance) {
        assert_eq!(p.results.yes, 1);
        assert_eq!(p.per_hour.yes, None);
        assert_eq!(p.achievement.yes, None);
    }
    assert_eq!(report.overall.achievement, Metrics::default());
}

#[test]
fn an_assignment_with_nothing_is_listed_with_zeros() {
    let criteria = criteria_b();
    let report = performance_report(&[(assignment(3), &criteria)], &[], &[], &[]);
    assert_eq!(report.per_assignment.len(), 1);
    assert_eq!(report.per_assignment[0].performance, Performance::default());
}

#[test]
fn hours_are_counted_inside_the_window_only() {
    let entries = [hours(1, 1, 3), hours(1, 1, 1)];
    let from = t0() + Duration::hours(2);
    let got = hours_by_user(&entries, from, from, from + Duration::hours(9));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].hours(), dec!(1));
}

/// Issue 21: hours cut to four decimals per entry before summing made three 20-minute
/// entries 0.9999 h, so a one-hour limit was never reached.
#[test]
fn hours_sum_exact_times_and_round_once() {
    let thirds: Vec<_> = (0..3u128)
        .map(|i| {
            let start = t0() + Duration::minutes(20 * i64::try_from(i).expect("small"));
            TimeEntry::manual(
                TimeEntryId::from_uuid(uuid(0x6000 + i)),
                user(1),
                assignment(1),
                start,
                start + Duration::minutes(20),
            )
            .expect("valid entry")
        })
        .collect();
    let now = t0() + Duration::days(1);
    let got = hours_by_user(&thirds, now, t0(), now);
    assert_eq!(got[0].worked, Duration::hours(1));
    assert_eq!(got[0].hours(), dec!(1));
    let report = performance_report(&[], &[], &got, &[]);
    assert_eq!(report.overall.hours, dec!(1));
}

#[test]
fn calls_count_when_started_in_the_window_and_only_completed_ones_talk() {
    let from = t0();
    let to = t0() + Duration::hours(8);
    let placed = [
        a_call(1, 1, 1, CallStatus::Completed, Some(192), from),
        a_call(
            2,
            1,
            1,
            CallStatus::Completed,
            Some(45),
            to - Duration::seconds(1),
        ),
        a_call(
            3,
            1,
            1,
            CallStatus::NoAnswer,
            Some(0),
            from + Duration::hours(1),
        ),
        a_call(
            4,
            1,
            1,
            CallStatus::Dialled,
            None,
            from + Duration::hours(2),
        ),
        // A call still going has no talk time yet.
        a_call(
            5,
            1,
            1,
            CallStatus::InProgress,
            None,
            from + Duration::hours(3),
        ),
        // Outside [from, to): before, and at the end.
        a_call(
            6,
            1,
            1,
            CallStatus::Completed,
            Some(600),
            from - Duration::seconds(1),
        ),
        a_call(7, 1, 1, CallStatus::Completed, Some(600), to),
        // The PBX could not place it: nothing rang, not a call made.
        a_call(
            10,
            1,
            1,
            CallStatus::Failed,
            Some(0),
            from + Duration::hours(4),
        ),
        // Another seller, another assignment.
        a_call(8, 2, 1, CallStatus::Completed, Some(60), from),
        a_call(9, 1, 2, CallStatus::Completed, Some(30), from),
    ];
    let got = calls_by_user(&placed, from, to);
    assert_eq!(
        got,
        vec![
            UserCalls {
                assignment: assignment(1),
                user: user(1),
                calls: 5,
                talk_seconds: 237,
            },
            UserCalls {
                assignment: assignment(1),
                user: user(2),
                calls: 1,
                talk_seconds: 60,
            },
            UserCalls {
                assignment: assignment(2),
                user: user(1),
                calls: 1,
                talk_seconds: 30,
            },
        ]
    );
}

#[test]
fn calls_and_talk_time_stand_beside_the_hours_per_user_assignment_and_overall() {
    let entries = [hours(1, 1, 8), hours(2, 1, 4)];
    let now = t0() + Duration::days(1);
    let worked = hours_by_user(&entries, now, t0(), now);
    let placed = [
        a_call(1, 1, 1, CallStatus::Completed, Some(192), t0()),
        a_call(2, 1, 1, CallStatus::Busy, Some(0), t0()),
        // User 3 called but registered no hours: a row of their own, without rates.
        a_call(3, 3, 1, CallStatus::Completed, Some(8), t0()),
        a_call(4, 1, 2, CallStatus::Completed, Some(100), t0()),
    ];
    let criteria = criteria_a();
    let report = performance_report(
        &[(assignment(1), &criteria)],
        &[],
        &worked,
        &calls_by_user(&placed, t0(), now),
    );
    let one = of_user(&report, 1, 1);
    assert_eq!((one.hours, one.calls, one.talk_seconds), (dec!(8), 2, 192));
    let two = of_user(&report, 2, 1);
    assert_eq!((two.hours, two.calls, two.talk_seconds), (dec!(4), 0, 0));
    let three = of_user(&report, 3, 1);
    assert_eq!(
        (three.hours, three.calls, three.talk_seconds),
        (dec!(0), 1, 8)
    );
    assert_eq!(three.per_hour.yes, None);
    let a = of_assignment(&report, 1);
    assert_eq!((a.hours, a.calls, a.talk_seconds), (dec!(12), 3, 200));
    let b = of_assignment(&report, 2);
    assert_eq!((b.calls, b.talk_seconds), (1, 100));
    assert_eq!(
        (report.overall.calls, report.overall.talk_seconds),
        (4, 300)
    );
}

proptest! {
    #[test]
    fn overall_results_are_the_sum_of_the_users(
        events in prop::collection::vec(any_event(), 0..60),
        h in prop::collection::vec((0u128..3, 0u128..2, 0i64..12), 0..6),
        c in prop::collection::vec(
            (0u128..3, 0u128..2, 0usize..CallStatus::ALL.len(), 0u32..=86_400, -2i64..30),
            0..20,
        ),
    ) {
        let entries: Vec<_> = h.iter().filter(|(_, _, h)| *h > 0).map(|(u, a, h)| hours(*u, *a, *h)).collect();
        let now = t0() + Duration::days(1);
        let hours = hours_by_user(&entries, now, t0(), now);
        let placed: Vec<Call> = c
            .iter()
            .enumerate()
            .map(|(n, (u, a, status, seconds, hour))| {
                a_call(n as u128, *u, *a, CallStatus::ALL[*status], Some(*seconds), t0() + Duration::hours(*hour))
            })
            .collect();
        let calls = calls_by_user(&placed, t0(), now);
        let (a, b) = (criteria_a(), criteria_b());
        let report = performance_report(
            &[(assignment(0), &a), (assignment(1), &b)],
            &tally_outcomes(&events),
            &hours,
            &calls,
        );
        let in_window: Vec<&Call> = placed
            .iter()
            .filter(|c| c.started_at >= t0() && c.started_at < now && c.status != CallStatus::Failed)
            .collect();
        let started: u64 = report.per_user.iter().map(|p| p.performance.calls).sum();
        prop_assert_eq!(report.overall.calls, started);
        prop_assert_eq!(report.overall.calls, in_window.len() as u64);
        let talked: u64 = report.per_assignment.iter().map(|p| p.performance.talk_seconds).sum();
        prop_assert_eq!(report.overall.talk_seconds, talked);
        let completed: u64 = in_window
            .iter()
            .filter(|c| c.status == CallStatus::Completed)
            .map(|c| u64::from(c.duration.unwrap_or(0)))
            .sum();
        prop_assert_eq!(report.overall.talk_seconds, completed, "only completed calls talk");
        let yes: u64 = report.per_user.iter().map(|p| p.performance.results.yes).sum();
        prop_assert_eq!(report.overall.results.yes, yes);
        let total_hours: Decimal = report.per_assignment.iter().map(|p| p.performance.hours).sum();
        prop_assert_eq!(report.overall.hours, total_hours);
        for p in report.per_user.iter().map(|p| &p.performance) {
            prop_assert_eq!(p.per_hour.yes.is_none(), p.hours.is_zero());
        }
    }
}
