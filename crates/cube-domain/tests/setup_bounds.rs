//! Issue 21: every duration and number of an assignment's setup has bounds, named in the
//! refusal, so no setup that is accepted can make a later registration or handout overflow
//! (a retry delay of `i64::MAX` seconds used to make every NoAnswer panic).

mod common;

use common::*;
use cube_domain::assignment::AssignmentError;
use cube_domain::assignment::setup::{
    ActivityLimit, AssignmentSetup, LimitMetric, LimitMode, SmsFlow, SmsSender,
};
use cube_domain::outcome::RegisterOutcome;
use cube_domain::queue::tier;
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

use sales::outcome as so;

/// The refusal of `change` to the sales assignment's setup.
fn refusal(change: impl FnOnce(&mut AssignmentSetup)) -> Option<AssignmentError> {
    let world = World::sales();
    let mut setup = world.setup().clone();
    change(&mut setup);
    let mut assignment = world.assignment.clone();
    assignment.set_setup(setup, &world.flow).err()
}

fn out_of_bounds(field: &str) -> impl Fn(Option<AssignmentError>) -> bool + '_ {
    move |error| matches!(error, Some(AssignmentError::OutOfBounds { field: f, .. }) if f == field)
}

#[test]
fn the_retry_delay_is_at_most_thirty_days() {
    let bad = out_of_bounds("retry_delay");
    for seconds in [i64::MAX, 300_000_000_000, 30 * 86_400 + 1, -1] {
        assert!(
            bad(refusal(|s| s.retry_delay = Duration::seconds(seconds))),
            "{seconds}"
        );
    }
    for seconds in [0, 7_200, 30 * 86_400] {
        assert_eq!(
            refusal(|s| s.retry_delay = Duration::seconds(seconds)),
            None,
            "{seconds}"
        );
    }
    let message = refusal(|s| s.retry_delay = Duration::seconds(i64::MAX))
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("`retry_delay`"), "{message}");
    assert!(message.contains("30 days"), "{message}");
}

#[test]
fn the_lease_is_between_a_second_and_a_day() {
    let bad = out_of_bounds("lease");
    for seconds in [i64::MAX, 86_401, 0, -5] {
        assert!(
            bad(refusal(|s| s.lease = Duration::seconds(seconds))),
            "{seconds}"
        );
    }
    assert!(bad(refusal(|s| s.lease = Duration::milliseconds(500))));
    assert_eq!(refusal(|s| s.lease = Duration::seconds(86_400)), None);
}

#[test]
fn an_sms_reply_window_is_at_most_thirty_days() {
    let flow = |window| SmsFlow {
        template: "Hei".into(),
        reply_window: window,
        replies: Vec::new(),
    };
    let with_window = |window| {
        refusal(|s| {
            s.communication.sms_sender = Some(SmsSender::Text("Cube".into()));
            s.sms_flows.insert(so::OFFER, flow(window));
        })
    };
    let bad = out_of_bounds("sms_flow.reply_window");
    assert!(bad(with_window(Duration::seconds(i64::MAX))));
    assert!(bad(with_window(Duration::days(31))));
    assert!(bad(with_window(Duration::ZERO)));
    assert_eq!(with_window(Duration::days(30)), None);
}

#[test]
fn limits_and_expected_results_per_hour_are_bounded() {
    let limit = |value| {
        refusal(|s| {
            s.activity_limits = vec![ActivityLimit {
                metric: LimitMetric::Yes,
                limit: value,
                mode: LimitMode::HardStop,
            }];
        })
    };
    let bad_limit = out_of_bounds("activity_limits.limit");
    assert!(bad_limit(limit(Decimal::MAX)));
    assert!(bad_limit(limit(Decimal::ZERO)));
    assert_eq!(limit(Decimal::from(1_000_000_000_000_i64)), None);
    assert!(bad_limit(limit(Decimal::from(1_000_000_000_001_i64))));

    let bad_rate = out_of_bounds("performance.yes_per_hour");
    assert!(bad_rate(refusal(|s| {
        s.performance.yes_per_hour = Some(Decimal::MAX);
    })));
    assert!(bad_rate(refusal(|s| {
        s.performance.yes_per_hour = Some(Decimal::NEGATIVE_ONE);
    })));
    assert_eq!(
        refusal(|s| s.performance.yes_per_hour = Some(Decimal::from(10_000))),
        None
    );
}

/// Seconds: mostly near the bounds and the extremes, where overflow hides.
fn seconds() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MAX),
        Just(i64::MIN),
        Just(0_i64),
        Just(86_400_i64),
        Just(30 * 86_400_i64),
        -10_i64..100_000_000,
        any::<i64>(),
    ]
}

/// Any time a clock could give, 1970 to the start of 2199: the test calls back up to
/// 100,000 minutes (70 days) later, which must stay inside the domain's bounds (year 2200).
/// (Up to 2200 itself, a case near the end found a call-back refused as out of bounds —
/// rightly; the test, not the domain, was wrong.)
fn now() -> impl Strategy<Value = OffsetDateTime> {
    (0_i64..7_226_582_400)
        .prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No setup the check accepts makes a handout, a NoAnswer, a call-back or the queue's
    /// readiness panic, whenever it happens.
    #[test]
    fn no_accepted_setup_makes_a_registration_panic(
        lease in seconds(),
        retry in seconds(),
        now in now(),
        later_minutes in 0_i64..100_000,
    ) {
        let world = World::sales();
        let mut setup = world.setup().clone();
        setup.lease = Duration::seconds(lease);
        setup.retry_delay = Duration::seconds(retry);
        let mut assignment = world.assignment.clone();
        if assignment.set_setup(setup, &world.flow).is_err() {
            return Ok(());
        }
        let world = World { assignment, ..world };
        let setup = world.setup().clone();
        let no_answer = world
            .seller_registers(&world.enroll(1), SELLER, RegisterOutcome::new(so::NO_ANSWER), now)
            .expect("NoAnswer from To Call");
        let later = now + Duration::minutes(later_minutes);
        let _ = tier(&setup, &no_answer.enrollment, SELLER, later);
        let call_back = RegisterOutcome {
            follow_up_at: Some(later + Duration::minutes(1)),
            ..RegisterOutcome::new(so::CALL_BACK_LATER)
        };
        let again = world
            .seller_registers(&no_answer.enrollment, SELLER, call_back, later)
            .expect("CallBackLater from To Call");
        prop_assert_eq!(again.enrollment.attempts(), 2);
    }
}
