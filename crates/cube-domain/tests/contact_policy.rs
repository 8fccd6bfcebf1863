//! The contact policy's call windows and Norway's holiday calendar (issue 18): worked cases
//! from the law, the holidays against an oracle no one here wrote (python-holidays, its
//! output committed in `tests/oracle/`), and a property over random instants.

use cube_domain::contact_policy::holidays::{self, HolidayCalendar, easter_sunday};
use cube_domain::contact_policy::{CallWindow, CallWindows, Closed, ContactPolicy, Verdict};
use cube_domain::data_owner::Dataset;
use cube_domain::meeting::ClockTime;
use cube_domain::time_zone::TimeZone;
use proptest::prelude::*;
use std::collections::BTreeSet;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime, Weekday};

fn oslo() -> TimeZone {
    TimeZone::oslo()
}

fn decide(at: OffsetDateTime) -> Verdict {
    ContactPolicy::norway().decide(Dataset::B2c, at, &oslo())
}

#[test]
fn norways_holidays_are_python_holidays_for_2020_to_2040() {
    let text = include_str!("oracle/holidays_no_2020_2040.json");
    let oracle: serde_json::Value = serde_json::from_str(text).expect("the oracle is JSON");
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let expected: BTreeSet<Date> = oracle["holidays"]
        .as_object()
        .expect("a map of dates")
        .keys()
        .map(|day| Date::parse(day, &format).expect("a date"))
        .collect();
    let ours: BTreeSet<Date> = (2020..=2040)
        .flat_map(holidays::norway)
        .map(|h| h.date)
        .collect();
    assert_eq!(ours.len(), 250, "the oracle has 250 days in these years");
    assert_eq!(
        ours.symmetric_difference(&expected).collect::<Vec<_>>(),
        Vec::<&Date>::new(),
        "every day is on both lists ({})",
        oracle["source"]
    );
}

#[test]
fn easter_is_computed_for_known_years() {
    for (year, easter) in [
        (2024, date!(2024 - 03 - 31)),
        (2025, date!(2025 - 04 - 20)),
        (2026, date!(2026 - 04 - 05)),
        (2038, date!(2038 - 04 - 25)),
        (1818, date!(1818 - 03 - 22)),
        (2285, date!(2285 - 03 - 22)),
    ] {
        assert_eq!(easter_sunday(year), Some(easter), "{year}");
    }
}

#[test]
fn a_weekday_is_open_from_nine_to_before_twenty_one_oslo_time() {
    // Tuesday 8 December 2026: Oslo is UTC+1.
    let outside = |at| {
        matches!(
            decide(at),
            Verdict::NotNow {
                closed: Closed::OutsideHours,
                ..
            }
        )
    };
    assert!(outside(datetime!(2026-12-08 07:59 UTC)), "08:59");
    assert_eq!(
        decide(datetime!(2026-12-08 08:00 UTC)),
        Verdict::MayContact,
        "09:00"
    );
    assert_eq!(
        decide(datetime!(2026-12-08 19:59 UTC)),
        Verdict::MayContact,
        "20:59"
    );
    assert!(outside(datetime!(2026-12-08 20:00 UTC)), "21:00");
    // 08:59 opens at 09:00 the same day; 21:00 opens at 09:00 the next.
    assert_eq!(
        decide(datetime!(2026-12-08 07:59 UTC)),
        Verdict::NotNow {
            closed: Closed::OutsideHours,
            next: Some(datetime!(2026-12-08 08:00 UTC)),
        }
    );
    assert_eq!(
        decide(datetime!(2026-12-08 20:00 UTC)),
        Verdict::NotNow {
            closed: Closed::OutsideHours,
            next: Some(datetime!(2026-12-09 08:00 UTC)),
        }
    );
    // Summer: Oslo is UTC+2.
    assert_eq!(
        decide(datetime!(2026-06-09 07:00 UTC)),
        Verdict::MayContact,
        "09:00 CEST"
    );
}

#[test]
fn saturdays_sundays_and_holidays_are_closed_and_say_which() {
    let closed = |at| match decide(at) {
        Verdict::NotNow { closed, next } => (closed, next),
        Verdict::MayContact => panic!("{at} is open"),
    };
    let (why, next) = closed(datetime!(2026-12-05 11:00 UTC));
    assert_eq!(why, Closed::Weekday(Weekday::Saturday));
    assert_eq!(next, Some(datetime!(2026-12-07 08:00 UTC)), "Monday 09:00");
    assert_eq!(
        closed(datetime!(2026-12-06 11:00 UTC)).0,
        Closed::Weekday(Weekday::Sunday)
    );
    for (at, name) in [
        (datetime!(2026-04-02 10:00 UTC), "Skjærtorsdag"),
        (datetime!(2026-05-14 10:00 UTC), "Kristi himmelfartsdag"),
        (datetime!(2026-05-25 10:00 UTC), "Andre pinsedag"),
        (datetime!(2027-05-17 10:00 UTC), "Grunnlovsdag"),
        (datetime!(2026-12-25 10:00 UTC), "Første juledag"),
    ] {
        match closed(at).0 {
            Closed::Holiday(holiday) => assert_eq!(holiday.name_nb, name, "{at}"),
            other => panic!("{at}: {other:?}"),
        }
    }
    // From Maundy Thursday the next call is on the Tuesday after Easter, 09:00 (CEST).
    assert_eq!(
        closed(datetime!(2026-04-02 10:00 UTC)).1,
        Some(datetime!(2026-04-07 07:00 UTC))
    );
}

#[test]
fn companies_are_not_bound_by_the_consumer_windows() {
    let policy = ContactPolicy::norway();
    for at in [
        datetime!(2026-12-05 11:00 UTC),
        datetime!(2026-05-17 10:00 UTC),
        datetime!(2026-12-08 22:30 UTC),
    ] {
        assert_eq!(
            policy.decide(Dataset::B2b, at, &oslo()),
            Verdict::MayContact
        );
    }
}

#[test]
fn windows_of_ones_own_are_checked_and_a_policy_without_any_never_opens() {
    let window = |day, opens: (u8, u8), closes: (u8, u8)| CallWindow {
        day,
        opens: ClockTime::new(opens.0, opens.1).expect("a time"),
        closes: ClockTime::new(closes.0, closes.1).expect("a time"),
    };
    assert!(
        CallWindows::new(
            vec![window(Weekday::Monday, (10, 0), (9, 0))],
            HolidayCalendar::None
        )
        .is_err()
    );
    let saturdays = CallWindows::new(
        vec![window(Weekday::Saturday, (10, 0), (14, 0))],
        HolidayCalendar::Dates([date!(2026 - 12 - 12)].into()),
    )
    .expect("valid windows");
    assert_eq!(
        saturdays.closed_at(datetime!(2026-12-05 10:00 UTC), &oslo()),
        None
    );
    assert!(matches!(
        saturdays.closed_at(datetime!(2026-12-12 10:00 UTC), &oslo()),
        Some(Closed::Holiday(_))
    ));
    assert_eq!(
        saturdays.next_open(datetime!(2026-12-06 10:00 UTC), &oslo()),
        Some(datetime!(2026-12-19 09:00 UTC)),
        "the 12th is closed: the 19th"
    );
    let never = CallWindows::new(Vec::new(), HolidayCalendar::None).expect("valid");
    assert_eq!(
        never.next_open(datetime!(2026-12-06 10:00 UTC), &oslo()),
        None
    );
}

proptest! {
    /// For any instant of 2020–2040: a consumer may be called exactly when the local day is a
    /// weekday that is no holiday and the local time is 09:00 to before 21:00; otherwise the
    /// next opening is later, open, and the minute before it is closed.
    #[test]
    fn the_verdict_is_the_law_at_any_instant(seconds in 1_577_836_800_i64..2_240_611_200) {
        let zone = oslo();
        let at = OffsetDateTime::from_unix_timestamp(seconds).expect("in range");
        let local = at.to_offset(zone.offset_at(at));
        let weekday = !matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
        let holiday = holidays::norway(local.year()).iter().any(|h| h.date == local.date());
        let hours = (9..21).contains(&local.hour());
        let open = weekday && !holiday && hours;
        match decide(at) {
            Verdict::MayContact => prop_assert!(open, "{local} is not open"),
            Verdict::NotNow { next, .. } => {
                prop_assert!(!open, "{local} is open");
                let next = next.expect("a week never passes without an opening");
                prop_assert!(next > at);
                prop_assert_eq!(decide(next), Verdict::MayContact);
                prop_assert!(decide(next - Duration::minutes(1)) != Verdict::MayContact);
            }
        }
    }
}
