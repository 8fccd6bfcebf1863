//! Small hand-built flows, events and enrollments for the report tests, plus proptest
//! strategies. Ids are fixed numbers so expected values can be written down.

use crate::enrollment::{Enrollment, EnrollmentSnapshot};
use crate::fields::FieldValues;
use crate::flow::AttemptKind;
use crate::flow::{FlowDraft, Outcome, OutcomeKind, PublishedFlow, State, StateCategory};
use crate::ids::{
    AssignmentId, CustomerId, DataOwnerId, EnrollmentId, FlowId, MeetingId, OutcomeEventId,
    OutcomeId, ProductId, StateId, UserId,
};
use crate::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine};
use crate::product::Currency;
use crate::values::Name;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn assignment(n: u128) -> AssignmentId {
    AssignmentId::from_uuid(uuid(0xA000 + n))
}
pub fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid(0xB000 + n))
}
pub fn product(n: u128) -> ProductId {
    ProductId::from_uuid(uuid(0xC000 + n))
}
pub fn enrollment_id(n: u128) -> EnrollmentId {
    EnrollmentId::from_uuid(uuid(0xD000 + n))
}

/// States of the test flow.
pub const TO_CALL: u128 = 1;
pub const LEAD: u128 = 2;
pub const SALE: u128 = 3;
pub const NO_SALE: u128 = 4;
pub const EXCLUDED: u128 = 5;

/// Outcomes of the test flow.
pub const O_LEAD: u128 = 11;
pub const O_SALE: u128 = 12;
pub const O_NO_SALE: u128 = 13;
pub const O_EXCLUDE: u128 = 14;
pub const O_NO_ANSWER: u128 = 15;
pub const O_CALL_BACK: u128 = 16;

pub fn state(n: u128) -> StateId {
    StateId::from_uuid(uuid(n))
}
pub fn outcome(n: u128) -> OutcomeId {
    OutcomeId::from_uuid(uuid(n))
}

pub fn category(state: u128) -> StateCategory {
    match state {
        TO_CALL => StateCategory::Available,
        LEAD => StateCategory::Open,
        SALE => StateCategory::Yes,
        NO_SALE => StateCategory::No,
        _ => StateCategory::Excluded,
    }
}

fn name(raw: &str) -> Name {
    Name::parse(raw).expect("valid name")
}

/// To call → Lead → Sale / No sale, Excluded from anywhere open; Sale may be registered
/// again from Sale (seed 003's worked example).
pub fn flow() -> PublishedFlow {
    let states = [
        (TO_CALL, "To call"),
        (LEAD, "Lead"),
        (SALE, "Sale"),
        (NO_SALE, "No sale"),
        (EXCLUDED, "Excluded"),
    ]
    .into_iter()
    .map(|(id, n)| State {
        id: state(id),
        name: name(n),
        category: category(id),
        colour: None,
    })
    .collect();
    let open = BTreeSet::from([state(TO_CALL), state(LEAD)]);
    let outcome_of = |id, n: &str, kind, from: BTreeSet<StateId>| Outcome {
        id: outcome(id),
        name: name(n),
        kind,
        from,
        schedules_follow_up: false,
        carries_products: id == O_SALE || id == O_LEAD,
        books_meeting: id == O_LEAD,
    };
    let to = |s| OutcomeKind::Progress { target: state(s) };
    let mut sale_from = open.clone();
    sale_from.insert(state(SALE));
    let outcomes = vec![
        outcome_of(O_LEAD, "Lead", to(LEAD), BTreeSet::from([state(TO_CALL)])),
        outcome_of(O_SALE, "Sale", to(SALE), sale_from),
        outcome_of(O_NO_SALE, "No sale", to(NO_SALE), open.clone()),
        outcome_of(O_EXCLUDE, "Exclude", to(EXCLUDED), open.clone()),
        outcome_of(
            O_NO_ANSWER,
            "No answer",
            OutcomeKind::Attempt(AttemptKind::NoAnswer),
            open.clone(),
        ),
        outcome_of(
            O_CALL_BACK,
            "Call back later",
            OutcomeKind::Attempt(AttemptKind::CallBackLater),
            open,
        ),
    ];
    FlowDraft {
        id: FlowId::from_uuid(uuid(0xF000)),
        data_owner: DataOwnerId::from_uuid(uuid(0xF001)),
        version: 1,
        name: name("Test flow"),
        initial: state(TO_CALL),
        states,
        outcomes,
    }
    .publish()
    .expect("the test flow is valid")
}

pub fn t0() -> OffsetDateTime {
    datetime!(2025-03-03 08:00 UTC)
}

pub fn nok() -> Currency {
    Currency::parse("NOK").expect("valid currency")
}

pub fn line(product_n: u128, quantity: u32, unit_price: Decimal) -> ProductLine {
    ProductLine {
        product: product(product_n),
        quantity,
        unit_price,
        currency: nok(),
    }
}

/// An event of outcome `outcome_n` on enrollment `enrollment_n`, `minutes` after `t0`,
/// moving from `from` to the outcome's target (attempts stay in `from`).
pub fn event(enrollment_n: u128, outcome_n: u128, from: u128, minutes: i64) -> OutcomeEvent {
    record(enrollment_n, outcome_n, from, minutes).into()
}

/// The stored form of [`event`], for a test that shapes it further.
pub fn record(enrollment_n: u128, outcome_n: u128, from: u128, minutes: i64) -> OutcomeEventRecord {
    let (class, to) = match outcome_n {
        O_LEAD => (OutcomeClass::Progress, LEAD),
        O_SALE => (OutcomeClass::Progress, SALE),
        O_NO_SALE => (OutcomeClass::Progress, NO_SALE),
        O_EXCLUDE => (OutcomeClass::Progress, EXCLUDED),
        O_NO_ANSWER => (OutcomeClass::NoAnswer, from),
        O_CALL_BACK => (OutcomeClass::CallBackLater, from),
        _ => (OutcomeClass::External, EXCLUDED),
    };
    OutcomeEventRecord {
        id: OutcomeEventId::from_uuid(uuid(0xE000_0000 + enrollment_n * 1000 + minutes as u128)),
        assignment: assignment(1),
        enrollment: enrollment_id(enrollment_n),
        customer: CustomerId::from_uuid(uuid(0x9000 + enrollment_n)),
        occurred_at: t0() + time::Duration::minutes(minutes),
        user: (class != OutcomeClass::External).then(|| user(1)),
        outcome: (class != OutcomeClass::External).then(|| outcome(outcome_n)),
        class,
        option: None,
        from_state: state(from),
        to_state: state(to),
        to_category: category(to),
        fields: FieldValues::new(),
        products: Vec::new(),
        meeting: None,
        follow_up: None,
        note: None,
    }
}

pub fn with_meeting(event: OutcomeEvent, n: u128) -> OutcomeEvent {
    let mut record = OutcomeEventRecord::from(event);
    record.meeting = Some(MeetingId::from_uuid(uuid(0x7000 + n)));
    record.into()
}

/// An enrollment of the test flow in `state_n` with `attempts`.
pub fn enrollment(n: u128, state_n: u128, attempts: u32) -> Enrollment {
    Enrollment::from(EnrollmentSnapshot {
        id: enrollment_id(n),
        assignment: assignment(1),
        customer: CustomerId::from_uuid(uuid(0x9000 + n)),
        state: state(state_n),
        category: category(state_n),
        segment: None,
        attempts,
        last_contact: None,
        follow_up: None,
        no_answer_at: None,
        reservation: None,
        sequence: n as u64,
        enrolled_at: t0(),
    })
}

/// Any event of the test flow: any outcome (or an external change), on one of a few
/// enrollments, by one of a few users, maybe with products and a meeting.
pub fn any_event() -> impl Strategy<Value = OutcomeEvent> {
    (
        0u128..4,
        prop::sample::select(vec![
            O_LEAD,
            O_SALE,
            O_NO_SALE,
            O_EXCLUDE,
            O_NO_ANSWER,
            O_CALL_BACK,
            0,
        ]),
        prop::sample::select(vec![TO_CALL, LEAD, SALE]),
        0i64..600,
        0u128..3,
        prop::collection::vec((0u128..3, 1u32..5, 0i64..10_000), 0..3),
        any::<bool>(),
        0u128..2,
    )
        .prop_map(|(enr, out, from, minutes, who, lines, meeting, asg)| {
            let mut e = record(enr, out, from, minutes);
            if e.user.is_some() {
                e.user = Some(user(who));
            }
            e.assignment = assignment(asg);
            e.products = lines
                .into_iter()
                .map(|(p, q, cents)| line(p, q, Decimal::new(cents, 2)))
                .collect();
            let e = OutcomeEvent::from(e);
            if meeting { with_meeting(e, enr) } else { e }
        })
}

/// Any enrollment of the test flow.
pub fn any_enrollment() -> impl Strategy<Value = Enrollment> {
    (
        0u128..1000,
        prop::sample::select(vec![TO_CALL, LEAD, SALE, NO_SALE, EXCLUDED]),
        0u32..6,
    )
        .prop_map(|(n, s, attempts)| enrollment(n, s, attempts))
}
