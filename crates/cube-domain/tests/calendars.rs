//! Calendars (seed 000 item 6, seed 001 "Møter"): opening hours in the organisation's time
//! zone, a day's free slots, and cancelling or moving a meeting.

mod common;

use common::*;
use cube_domain::access::{Role, User};
use cube_domain::ids::MeetingId;
use cube_domain::meeting::{
    Calendar, CalendarError, ClockTime, Meeting, MeetingChangeRefused, MeetingKind, OpeningPeriod,
    check_change, check_opening_hours, day_plan, moved,
};
use cube_domain::time_zone::TimeZone;
use cube_domain::values::Email;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime, Weekday};

fn clock(raw: &str) -> ClockTime {
    ClockTime::parse(raw).expect("a time")
}

fn period(day: Weekday, opens: &str, closes: &str) -> OpeningPeriod {
    OpeningPeriod {
        day,
        opens: clock(opens),
        closes: clock(closes),
    }
}

/// Kari's calendar, open Monday to Friday 08:00–11:30 and 12:00–16:00 Oslo time.
fn office_hours() -> Calendar {
    let mut periods = Vec::new();
    for day in [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ] {
        periods.push(period(day, "08:00", "11:30"));
        periods.push(period(day, "12:00", "16:00"));
    }
    Calendar {
        opening_hours: check_opening_hours(periods).expect("valid hours"),
        ..calendars().remove(0)
    }
}

fn booked(
    n: u128,
    start: OffsetDateTime,
    minutes: i64,
    by: Option<cube_domain::ids::UserId>,
) -> Meeting {
    Meeting {
        id: MeetingId::from_uuid(uuid::Uuid::from_u128(n)),
        calendar: CALENDAR,
        assignment: ASSIGNMENT,
        enrollment: id(100 + n),
        customer: id(200 + n),
        booked_by: by,
        start,
        end: start + Duration::minutes(minutes),
        kind: MeetingKind::Physical,
        place: None,
    }
}

fn user(id: cube_domain::ids::UserId, role: Role) -> User {
    User {
        phone: None,
        id,
        organisation: ORG,
        name: name("Kari Nordmann"),
        email: Email::parse("kari@example.no").expect("valid e-mail"),
        role,
        active: true,
    }
}

#[test]
fn a_clock_time_is_hh_mm_up_to_24_00() {
    assert_eq!(clock("08:00").minutes(), 480);
    assert_eq!(clock(" 8:05 ").to_string(), "08:05");
    assert_eq!(clock("24:00"), ClockTime::END_OF_DAY);
    for bad in [
        "24:01", "8", "08:60", "8:5", "-1:00", "08:00:00", "", "åtte", "0800",
    ] {
        let error = ClockTime::parse(bad).expect_err(bad).to_string();
        assert!(error.contains("08:00"), "{bad}: {error}");
    }
}

#[test]
fn opening_hours_close_after_they_open_and_do_not_overlap() {
    assert_eq!(
        check_opening_hours(vec![period(Weekday::Monday, "12:00", "12:00")]),
        Err(CalendarError::ClosesBeforeOpening {
            day: Weekday::Monday,
            opens: clock("12:00"),
            closes: clock("12:00"),
        })
    );
    assert_eq!(
        check_opening_hours(vec![
            period(Weekday::Monday, "08:00", "12:00"),
            period(Weekday::Monday, "11:00", "16:00"),
        ]),
        Err(CalendarError::Overlapping(Weekday::Monday))
    );
    let sorted = check_opening_hours(vec![
        period(Weekday::Friday, "08:00", "12:00"),
        period(Weekday::Monday, "12:00", "16:00"),
        period(Weekday::Monday, "08:00", "12:00"),
        period(Weekday::Tuesday, "08:00", "12:00"),
    ])
    .expect("touching periods are fine");
    let days: Vec<Weekday> = sorted.iter().map(|p| p.day).collect();
    assert_eq!(
        days,
        [
            Weekday::Monday,
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Friday
        ]
    );
    assert!(matches!(
        check_opening_hours(vec![period(Weekday::Monday, "08:00", "09:00"); 29]),
        Err(CalendarError::TooManyPeriods { max: 28, got: 29 })
    ));
}

#[test]
fn a_meeting_fits_inside_one_opening_period_of_its_local_day() {
    let oslo = TimeZone::oslo();
    let calendar = office_hours();
    // Monday 7 December 2026, winter: Oslo is UTC+1.
    let fits = |start: OffsetDateTime, minutes| {
        calendar.takes(start, start + Duration::minutes(minutes), &oslo)
    };
    assert!(
        fits(datetime!(2026-12-07 07:00 UTC), 60),
        "08:00–09:00 Oslo"
    );
    assert!(!fits(datetime!(2026-12-07 06:59 UTC), 60), "07:59 Oslo");
    assert!(
        !fits(datetime!(2026-12-07 10:00 UTC), 60),
        "11:00–12:00 spans lunch"
    );
    assert!(
        fits(datetime!(2026-12-07 14:00 UTC), 60),
        "15:00–16:00 Oslo"
    );
    assert!(!fits(datetime!(2026-12-05 10:00 UTC), 30), "a Saturday");
    // Summer: the same wall times are an hour earlier in UTC.
    assert!(
        fits(datetime!(2026-06-01 06:00 UTC), 60),
        "08:00 Oslo in summer"
    );
    assert!(
        !fits(datetime!(2026-06-01 14:00 UTC), 60),
        "16:00 Oslo in summer"
    );
    // Closed: nothing fits, whatever the hours.
    let closed = Calendar {
        active: false,
        ..calendar.clone()
    };
    assert!(!closed.takes(
        datetime!(2026-12-07 07:00 UTC),
        datetime!(2026-12-07 08:00 UTC),
        &oslo
    ));
    // No opening hours: any time.
    let always = calendars().remove(0);
    assert!(always.takes(
        datetime!(2026-12-05 02:00 UTC),
        datetime!(2026-12-05 03:00 UTC),
        &oslo
    ));
}

#[test]
fn a_days_free_slots_are_its_opening_hours_without_its_meetings() {
    let oslo = TimeZone::oslo();
    let calendar = office_hours();
    let day = date!(2026 - 12 - 07);
    let meetings = [
        booked(1, datetime!(2026-12-07 08:00 UTC), 60, Some(SELLER)), // 09:00–10:00
        booked(2, datetime!(2026-12-07 08:30 UTC), 60, Some(SELLER)), // 09:30–10:30
        booked(3, datetime!(2026-12-07 13:00 UTC), 30, Some(SELLER)), // 14:00–14:30
        booked(4, datetime!(2026-12-08 08:00 UTC), 60, Some(SELLER)), // tomorrow
    ];
    let plan = day_plan(&calendar, &meetings, day, &oslo, Duration::minutes(15));
    let oslo_time = |h: u16, m: u16| oslo.at(day, h * 60 + m);
    assert_eq!(
        plan.open,
        [
            (oslo_time(8, 0), oslo_time(11, 30)),
            (oslo_time(12, 0), oslo_time(16, 0))
        ]
    );
    assert_eq!(
        plan.busy,
        [
            (oslo_time(9, 0), oslo_time(10, 30)),
            (oslo_time(14, 0), oslo_time(14, 30))
        ],
        "overlapping meetings merge; tomorrow's is not today's"
    );
    assert_eq!(
        plan.free,
        [
            (oslo_time(8, 0), oslo_time(9, 0)),
            (oslo_time(10, 30), oslo_time(11, 30)),
            (oslo_time(12, 0), oslo_time(14, 0)),
            (oslo_time(14, 30), oslo_time(16, 0)),
        ]
    );
    // Only slots long enough for the meeting.
    let long = day_plan(&calendar, &meetings, day, &oslo, Duration::minutes(90));
    assert_eq!(
        long.free,
        [
            (oslo_time(12, 0), oslo_time(14, 0)),
            (oslo_time(14, 30), oslo_time(16, 0))
        ]
    );
    // A Saturday has no opening hours; a closed calendar none at all.
    let saturday = day_plan(&calendar, &[], date!(2026 - 12 - 05), &oslo, Duration::ZERO);
    assert!(saturday.open.is_empty() && saturday.free.is_empty());
}

#[test]
fn without_opening_hours_the_free_day_is_the_whole_local_day_of_23_or_25_hours() {
    let oslo = TimeZone::oslo();
    let always = calendars().remove(0);
    for (day, hours) in [
        (date!(2026 - 03 - 29), 23),
        (date!(2026 - 10 - 25), 25),
        (date!(2027 - 03 - 28), 23),
        (date!(2027 - 10 - 31), 25),
    ] {
        let plan = day_plan(&always, &[], day, &oslo, Duration::ZERO);
        let (start, end) = plan.free[0];
        assert_eq!(end - start, Duration::hours(hours), "{day}");
    }
}

#[test]
fn a_seller_moves_or_cancels_only_their_own_meeting_before_it_ends() {
    let oslo = TimeZone::oslo();
    let calendar = office_hours();
    let now = datetime!(2026-12-04 12:00 UTC);
    let mine = booked(1, datetime!(2026-12-07 08:00 UTC), 60, Some(SELLER));
    let theirs = booked(2, datetime!(2026-12-07 12:00 UTC), 60, Some(OTHER_SELLER));
    let seller = user(SELLER, Role::Seller);
    let manager = user(
        MANAGER,
        Role::Manager {
            data_owners: [DATA_OWNER].into(),
        },
    );
    assert_eq!(check_change(&seller, &mine, now), Ok(()));
    assert_eq!(
        check_change(&seller, &theirs, now),
        Err(MeetingChangeRefused::NotTheirs)
    );
    assert_eq!(check_change(&manager, &theirs, now), Ok(()));
    let after = datetime!(2026-12-07 09:00 UTC);
    assert_eq!(
        check_change(&manager, &mine, after),
        Err(MeetingChangeRefused::Over(mine.end))
    );

    let others = [mine.clone(), theirs.clone()];
    let to = |start: OffsetDateTime, minutes| (start, start + Duration::minutes(minutes));
    // Moved to 10:30 Oslo: the slot is free and open.
    let later = moved(
        &seller,
        &mine,
        &calendar,
        &others,
        to(datetime!(2026-12-07 09:30 UTC), 60),
        &oslo,
        now,
    )
    .expect("moved");
    assert_eq!(
        (later.id, later.start),
        (mine.id, datetime!(2026-12-07 09:30 UTC))
    );
    // Moving onto its own old time overlaps nothing but itself.
    assert!(
        moved(
            &seller,
            &mine,
            &calendar,
            &others,
            to(mine.start + Duration::minutes(15), 30),
            &oslo,
            now
        )
        .is_ok()
    );
    for (slot, refused) in [
        (
            to(datetime!(2026-12-07 12:30 UTC), 30),
            MeetingChangeRefused::Overlaps(theirs.start, theirs.end),
        ),
        (
            to(datetime!(2026-12-07 16:00 UTC), 30),
            MeetingChangeRefused::OutsideOpeningHours("Kari's calendar".into()),
        ),
        (
            (
                datetime!(2026-12-07 09:00 UTC),
                datetime!(2026-12-07 09:00 UTC),
            ),
            MeetingChangeRefused::EndsBeforeStart,
        ),
        (
            to(datetime!(2026-12-03 09:00 UTC), 30),
            MeetingChangeRefused::InPast(datetime!(2026-12-03 09:30 UTC)),
        ),
    ] {
        assert_eq!(
            moved(&seller, &mine, &calendar, &others, slot, &oslo, now),
            Err(refused)
        );
    }
    let closed = Calendar {
        active: false,
        ..calendar
    };
    assert_eq!(
        moved(
            &seller,
            &mine,
            &closed,
            &others,
            to(datetime!(2026-12-07 09:30 UTC), 30),
            &oslo,
            now
        ),
        Err(MeetingChangeRefused::CalendarClosed(
            "Kari's calendar".into()
        ))
    );
}
