//! The contact policy's standing and gate (issue 18): a customer's do-not-call entry,
//! register check and exemption, and the gate "next customer" passes every customer
//! through — worked cases from the law (08:59 and 21:00, weekends, holidays, a stale wash,
//! an exemption, companies not bound), and `select_next` never handing out a barred customer.

use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::contact_policy::standing::{
    Barred, ContactBlock, ContactFacts, ContactGate, ContactRules, ContactStatus, DoNotCall,
    Exemption, RegisterCheck, Wash,
};
use cube_domain::contact_policy::{Closed, ContactPolicy};
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::flow::seeds::SalesFlow;
use cube_domain::ids::{
    AssignmentId, CustomerId, DataOwnerId, EnrollmentId, OrganisationId, UserId,
};
use cube_domain::queue::census::{QueueCensus, Reason, reason};
use cube_domain::queue::{Candidate, Tier, select_next};
use cube_domain::time_zone::TimeZone;
use cube_domain::values::{Name, PhoneNumber};
use proptest::prelude::*;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const MANAGER: UserId = UserId::from_uuid(Uuid::from_u128(0x52));

fn oslo() -> TimeZone {
    TimeZone::oslo()
}

fn wash_on(at: OffsetDateTime) -> Wash {
    Wash {
        at,
        by: MANAGER,
        register_numbers: 10,
        checked: 3,
        reserved: 1,
        exempted: 0,
    }
}

/// The gate of a data owner held to the law, washed at `washed` (if ever), at `now`.
fn gate(washed: Option<OffsetDateTime>, now: OffsetDateTime) -> ContactGate {
    let wash = washed.map(wash_on);
    ContactGate::of(
        &ContactPolicy::norway(),
        ContactRules::default(),
        wash.as_ref(),
        now,
        &oslo(),
    )
}

fn consumer(checked: Option<Date>, block: Option<ContactBlock>) -> ContactFacts {
    ContactFacts {
        consumer: true,
        block,
        register_checked: checked,
        calls_today: 0,
    }
}

/// Washed on 2 March 2026 (a Monday), checked the same day.
const WASHED: OffsetDateTime = datetime!(2026-03-02 08:00 UTC);
const CHECKED: Date = date!(2026 - 03 - 02);

#[test]
fn a_consumer_is_called_from_09_00_and_not_at_21_00_oslo_time() {
    let facts = consumer(Some(CHECKED), None);
    // Tuesday 3 March 2026, CET (UTC+1): 08:59 local is 07:59 UTC.
    let before = datetime!(2026-03-03 07:59 UTC);
    assert_eq!(
        gate(Some(WASHED), before).barred(&facts),
        Some(Barred::CallWindow {
            closed: Closed::OutsideHours,
            opens: Some(datetime!(2026-03-03 08:00 UTC)),
        }),
        "08:59 is before the window, which opens at 09:00"
    );
    assert_eq!(
        gate(Some(WASHED), datetime!(2026-03-03 08:00 UTC)).barred(&facts),
        None
    );
    assert_eq!(
        gate(Some(WASHED), datetime!(2026-03-03 19:59 UTC)).barred(&facts),
        None
    );
    assert_eq!(
        gate(Some(WASHED), datetime!(2026-03-03 20:00 UTC)).barred(&facts),
        Some(Barred::CallWindow {
            closed: Closed::OutsideHours,
            opens: Some(datetime!(2026-03-04 08:00 UTC)),
        }),
        "21:00 is outside: the window closes at 21:00; the next opens Wednesday 09:00"
    );
}

#[test]
fn weekends_and_holidays_bar_consumers_until_the_next_working_day() {
    let facts = consumer(Some(date!(2026 - 04 - 01)), None);
    let washed = Some(datetime!(2026-04-01 08:00 UTC));
    // Maundy Thursday 2 April 2026 (CEST, UTC+2), noon: closed until Tuesday after Easter
    // Monday, 7 April, 09:00 local.
    let Some(Barred::CallWindow { closed, opens }) =
        gate(washed, datetime!(2026-04-02 10:00 UTC)).barred(&facts)
    else {
        panic!("Maundy Thursday is closed");
    };
    assert!(matches!(closed, Closed::Holiday(h) if h.name_en == "Maundy Thursday"));
    assert_eq!(opens, Some(datetime!(2026-04-07 07:00 UTC)));
    // A Saturday.
    let saturday = gate(washed, datetime!(2026-04-11 10:00 UTC)).barred(&facts);
    assert!(
        matches!(
            saturday,
            Some(Barred::CallWindow {
                closed: Closed::Weekday(time::Weekday::Saturday),
                ..
            })
        ),
        "{saturday:?}"
    );
    // 17 May 2027 is a Monday.
    let may = gate(
        Some(datetime!(2027-05-03 08:00 UTC)),
        datetime!(2027-05-17 10:00 UTC),
    )
    .barred(&consumer(Some(date!(2027 - 05 - 03)), None));
    assert!(
        matches!(may, Some(Barred::CallWindow { closed: Closed::Holiday(h), .. }) if h.name_nb == "Grunnlovsdag"),
        "{may:?}"
    );
}

#[test]
fn companies_are_not_bound_by_windows_or_the_register_but_by_the_do_not_call_list() {
    let night = datetime!(2026-03-07 23:00 UTC); // a Saturday night, never washed
    let company = ContactFacts::FREE;
    assert_eq!(gate(None, night).barred(&company), None);
    let listed = ContactFacts {
        block: Some(ContactBlock::DoNotCall),
        ..ContactFacts::FREE
    };
    assert_eq!(gate(None, night).barred(&listed), Some(Barred::DoNotCall));
}

#[test]
fn a_stale_wash_blocks_consumers_with_a_clear_reason() {
    // Washed in February; on 2 March (a Monday, 10:00 local) February's wash no longer counts.
    let now = datetime!(2026-03-02 09:00 UTC);
    let february = Some(datetime!(2026-02-20 09:00 UTC));
    let facts = consumer(Some(date!(2026 - 02 - 20)), None);
    let barred = gate(february, now).barred(&facts);
    assert_eq!(
        barred,
        Some(Barred::RegisterStale {
            last_wash: Some(date!(2026 - 02 - 20))
        })
    );
    let text = barred.map(|b| b.to_string()).unwrap_or_default();
    assert!(
        text.contains("not been washed against the reservation register this month"),
        "{text}"
    );
    // Never washed at all.
    assert_eq!(
        gate(None, now).barred(&facts),
        Some(Barred::RegisterStale { last_wash: None })
    );
    // Washed this month: a customer checked then may be called, one imported since not.
    let washed = Some(datetime!(2026-03-02 08:30 UTC));
    assert_eq!(
        gate(washed, now).barred(&consumer(Some(CHECKED), None)),
        None
    );
    assert_eq!(
        gate(washed, now).barred(&consumer(None, None)),
        Some(Barred::NotChecked)
    );
    // The month is the organisation's: 23:30 UTC on 31 March is already April in Oslo.
    let april_in_oslo = datetime!(2026-03-31 22:30 UTC);
    assert_eq!(
        gate(Some(datetime!(2026-03-10 09:00 UTC)), april_in_oslo).consumers,
        Some(Barred::RegisterStale {
            last_wash: Some(date!(2026 - 03 - 10))
        }),
        "the window is closed at 00:30 local too, but the stale wash is named first: it needs \
         someone to act, the window opens by itself"
    );
    assert_eq!(
        gate(Some(datetime!(2026-03-10 09:00 UTC)), april_in_oslo).checked_since,
        Some(date!(2026 - 04 - 01))
    );
}

#[test]
fn the_daily_cap_counts_calls_in_every_assignment_and_lifts_at_midnight_oslo_time() {
    let rules = ContactRules {
        max_calls_per_day: Some(2),
        ..ContactRules::default()
    };
    // Tuesday 3 March 2026, 15:00 in Oslo.
    let now = datetime!(2026-03-03 14:00 UTC);
    let wash = wash_on(WASHED);
    let gate = ContactGate::of(&ContactPolicy::norway(), rules, Some(&wash), now, &oslo());
    let cap = gate.daily_cap.expect("a cap");
    assert_eq!(
        (cap.since, cap.until),
        (
            datetime!(2026-03-02 23:00 UTC),
            datetime!(2026-03-03 23:00 UTC)
        )
    );
    let company = ContactFacts::FREE;
    assert_eq!(gate.barred(&company.called(1)), None);
    assert_eq!(
        gate.barred(&company.called(2)),
        Some(Barred::DailyCap {
            calls: 2,
            until: datetime!(2026-03-03 23:00 UTC)
        })
    );
    let text = gate
        .barred(&company.called(3))
        .map(|b| b.to_string())
        .unwrap_or_default();
    assert!(text.contains("called 2 time(s) today"), "{text}");
    // Bounds.
    for bad in [0, 101] {
        let error = ContactRules {
            max_calls_per_day: Some(bad),
            ..ContactRules::default()
        }
        .checked()
        .expect_err("out of range");
        assert_eq!(error.field, "max_calls_per_day");
        assert!(error.to_string().contains("between 1 and 100"), "{error}");
    }
}

#[test]
fn rules_turned_off_let_consumers_through() {
    let night = datetime!(2026-03-07 23:00 UTC);
    let rules = ContactRules {
        consumer_call_windows: false,
        reservation_register: false,
        max_calls_per_day: None,
    };
    let open = ContactGate::of(&ContactPolicy::norway(), rules, None, night, &oslo());
    assert_eq!(open, ContactGate::OPEN);
    assert_eq!(open.barred(&consumer(None, None)), None);
    // A reservation found by an earlier wash no longer bars: the register is not used.
    assert_eq!(
        open.barred(&consumer(None, Some(ContactBlock::Reserved))),
        None
    );
    // The do-not-call list always does.
    assert_eq!(
        open.barred(&consumer(None, Some(ContactBlock::DoNotCall))),
        Some(Barred::DoNotCall)
    );
}

#[test]
fn a_reservation_bars_a_consumer_unless_an_exemption_lets_them_through() {
    let reserved = ContactStatus {
        register: Some(RegisterCheck {
            checked_on: CHECKED,
            reserved: true,
        }),
        ..ContactStatus::default()
    };
    assert_eq!(reserved.block(true), Some(ContactBlock::Reserved));
    assert_eq!(
        reserved.block(false),
        None,
        "a company is not in the register"
    );
    let exempt = ContactStatus {
        exemption: Some(Exemption::ExistingCustomer {
            since: date!(2024 - 01 - 01),
            product_area: "strøm".into(),
        }),
        ..reserved.clone()
    };
    assert_eq!(exempt.block(true), None);
    let listed = ContactStatus {
        do_not_call: Some(DoNotCall::new(WASHED, Some(MANAGER), "asked").expect("valid")),
        ..exempt
    };
    assert_eq!(
        listed.block(true),
        Some(ContactBlock::DoNotCall),
        "an exemption from the register does not lift the business's own list"
    );
}

#[test]
fn entries_are_cleaned_and_checked() {
    let entry = DoNotCall::new(WASHED, Some(MANAGER), "  asked on the phone ").expect("valid");
    assert_eq!(entry.reason, "asked on the phone");
    assert!(DoNotCall::new(WASHED, Some(MANAGER), "two\nlines").is_err());
    assert_eq!(
        DoNotCall::new(WASHED, Some(MANAGER), "   ")
            .expect_err("a reason is needed")
            .field,
        "reason"
    );
    // An exemption from the future, or from before 1900, is refused naming its time.
    let future = Exemption::ExistingCustomer {
        since: date!(2099 - 01 - 15),
        product_area: "strøm".into(),
    };
    assert_eq!(future.checked(WASHED).expect_err("future").field, "since");
    let asked_later = Exemption::AskedToBeCalled {
        at: WASHED + time::Duration::minutes(1),
        source: "web".into(),
    };
    assert_eq!(asked_later.checked(WASHED).expect_err("future").field, "at");
    let ancient = Exemption::ExistingCustomer {
        since: date!(1800 - 01 - 01),
        product_area: "strøm".into(),
    };
    assert!(ancient.checked(WASHED).is_err());
    let fine = Exemption::ExistingCustomer {
        since: date!(2026 - 03 - 02),
        product_area: " strøm ".into(),
    };
    assert_eq!(
        fine.checked(WASHED).expect("today is fine"),
        Exemption::ExistingCustomer {
            since: date!(2026 - 03 - 02),
            product_area: "strøm".into(),
        }
    );
    let empty = Exemption::AskedToBeCalled {
        at: WASHED,
        source: "   ".into(),
    };
    let error = empty.cleaned().expect_err("an empty source is refused");
    assert_eq!(error.field, "source");
}

fn owner() -> DataOwner {
    DataOwner::new(
        DataOwnerId::from_uuid(Uuid::from_u128(0xD0)),
        OrganisationId::from_uuid(Uuid::from_u128(0x0A)),
        Name::parse("Acme").expect("a name"),
    )
}

fn person(phones: &[&str]) -> Customer {
    Customer::new(
        CustomerId::from_uuid(Uuid::from_u128(0xC1)),
        &owner(),
        Dataset::B2c,
        CustomerDetails {
            name: Name::parse("Kari Nordmann").expect("a name"),
            phones: phones
                .iter()
                .map(|p| PhoneNumber::parse(p).expect("a number"))
                .collect(),
            email: None,
            address: None,
            registry_number: None,
            external_id: None,
        },
        FieldValues::new(),
    )
    .expect("a customer")
}

#[test]
fn a_new_number_must_be_checked_again_and_the_rest_of_the_standing_stays() {
    let mut customer = person(&["+4791234567"]);
    customer.set_register_check(RegisterCheck {
        checked_on: CHECKED,
        reserved: false,
    });
    customer.set_do_not_call(Some(
        DoNotCall::new(WASHED, Some(MANAGER), "asked").expect("valid"),
    ));
    // The same numbers, another name: the check holds.
    let mut details = customer.details().clone();
    details.name = Name::parse("Kari Nordmann-Hansen").expect("a name");
    customer
        .update(&owner(), details.clone(), FieldValues::new())
        .expect("updated");
    assert!(customer.contact().register.is_some());
    // Another number: checked again before it is called; the do-not-call entry stays.
    details.phones = vec![PhoneNumber::parse("+4798765432").expect("a number")];
    customer
        .update(&owner(), details, FieldValues::new())
        .expect("updated");
    assert_eq!(customer.contact().register, None);
    assert!(customer.contact().do_not_call.is_some());
    // A re-import with a new number too.
    let mut checked = person(&["+4791234567"]);
    checked.set_register_check(RegisterCheck {
        checked_on: CHECKED,
        reserved: true,
    });
    let same = checked.reimported(&person(&["+4791234567"]));
    assert_eq!(same.contact(), checked.contact());
    let moved = checked.reimported(&person(&["+4790000000"]));
    assert_eq!(moved.contact().register, None);
}

fn enrollment(n: u128, at: OffsetDateTime) -> Enrollment {
    Enrollment::new(
        EnrollmentId::from_uuid(Uuid::from_u128(100 + n)),
        AssignmentId::from_uuid(Uuid::from_u128(1)),
        CustomerId::from_uuid(Uuid::from_u128(200 + n)),
        SalesFlow::TO_CALL,
        None,
        u64::try_from(n).unwrap_or(0),
        at,
    )
}

#[test]
fn next_customer_skips_a_barred_customer_in_every_tier_and_the_census_says_why() {
    let now = datetime!(2026-03-03 10:00 UTC);
    let seller = UserId::from_uuid(Uuid::from_u128(7));
    let setup = AssignmentSetup::default();
    let mut held = enrollment(1, now);
    held.reserve(seller, now, setup.lease).expect("free");
    let pool = [enrollment(2, now), enrollment(3, now)];
    let fields = FieldValues::new();
    let window = Barred::CallWindow {
        closed: Closed::OutsideHours,
        opens: Some(datetime!(2026-03-04 08:00 UTC)),
    };
    let candidates = [
        (&held, Some(window)),
        (&pool[0], Some(Barred::Reserved)),
        (&pool[1], None),
    ];
    let (next, tier) = select_next(
        &setup,
        seller,
        now,
        candidates.iter().map(|(enrollment, barred)| Candidate {
            enrollment,
            fields: &fields,
            barred: *barred,
        }),
    )
    .expect("one is let through");
    assert_eq!((next.enrollment.sequence(), tier), (3, Tier::Pool));
    assert_eq!(
        reason(&setup, &held, Some(window), seller, now),
        Reason::Barred(window),
        "a held customer is not handed back outside the window"
    );
    // A lasting bar is named before a reason that passes with time; a passing one is not.
    let mut later = enrollment(4, now);
    later
        .reserve(UserId::from_uuid(Uuid::from_u128(8)), now, setup.lease)
        .expect("free");
    assert_eq!(
        reason(&setup, &later, Some(Barred::DoNotCall), seller, now),
        Reason::Barred(Barred::DoNotCall)
    );
    assert!(matches!(
        reason(&setup, &later, Some(window), seller, now),
        Reason::HeldByAnother { .. }
    ));
    let census = QueueCensus::of(
        &setup,
        candidates.iter().map(|(e, b)| (*e, *b)),
        seller,
        now,
    );
    assert_eq!((census.ready, census.reserved), (1, 1));
    assert_eq!(census.consumers_closed.count, 1);
    assert_eq!(
        census.consumers_closed.first,
        Some(datetime!(2026-03-04 08:00 UTC))
    );
    assert_eq!(census.total(), 3);
}

proptest! {
    /// At any instant from 2020 to 2040 and for any standing, the gate bars a consumer
    /// exactly when the law says: a block, the window closed, a stale wash, or no check this
    /// month; and a company only for the do-not-call list.
    #[test]
    fn the_gate_is_the_law(
        seconds in 1_577_836_800_i64..2_240_611_200,
        washed_days_ago in proptest::option::of(0_i64..70),
        checked_days_ago in proptest::option::of(0_i64..70),
        consumer in any::<bool>(),
        block in proptest::option::of(prop_oneof![Just(ContactBlock::DoNotCall), Just(ContactBlock::Reserved)]),
        cap in proptest::option::of(1_u32..4),
        calls_today in 0_u32..5,
    ) {
        let now = OffsetDateTime::from_unix_timestamp(seconds).expect("in range");
        let zone = oslo();
        let washed = washed_days_ago.map(|d| now - time::Duration::days(d));
        let checked = checked_days_ago.map(|d| zone.date_of(now - time::Duration::days(d)));
        let facts = ContactFacts { consumer, block, register_checked: checked, calls_today };
        let rules = ContactRules { max_calls_per_day: cap, ..ContactRules::default() };
        let wash = washed.map(wash_on);
        let barred = ContactGate::of(&ContactPolicy::norway(), rules, wash.as_ref(), now, &zone)
            .barred(&facts);
        let month = |at: OffsetDateTime| {
            let day = zone.date_of(at);
            (day.year(), day.month())
        };
        let this_month = month(now);
        let window_open = ContactPolicy::norway()
            .consumer_windows
            .closed_at(now, &zone)
            .is_none();
        let expected_barred = block.is_some()
            || cap.is_some_and(|cap| calls_today >= cap)
            || (consumer
                && (!window_open
                    || washed.is_none_or(|w| month(w) != this_month)
                    || checked.is_none_or(|d| (d.year(), d.month()) != this_month)));
        prop_assert_eq!(barred.is_some(), expected_barred, "{:?}", barred);
    }
}
