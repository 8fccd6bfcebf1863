//! "Next customer" in SQL against the reference order, `cube_domain::queue::select_next`:
//! on random-ish assignments (every state, segments, follow-ups of several sellers, retry
//! times, live and lapsed leases, CRM values of every type, missing ones and mixed types),
//! each call of `reserve_next` hands out exactly what `select_next` picks from the same
//! rows, until both say nothing is ready.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule, Segment};
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::enrollment::{Enrollment, Reservation};
use cube_domain::fields::{FieldDefinition, FieldType, FieldValue, FieldValues};
use cube_domain::ids::UserId;
use cube_domain::ports::{NextCustomerRequest, Store};
use cube_domain::queue::{Candidate, Tier, select_next};
use cube_sqlite::SqliteStore;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use time::{Date, Duration};

const SELLERS: u128 = 3;

fn random_fields(rng: &mut Rng, mixed: bool) -> FieldValues {
    let mut fields = FieldValues::new();
    if rng.chance(70) {
        let score = if mixed && rng.chance(30) {
            FieldValue::Text(rng.pick(&["a", "B", "ab", "", "Å"]).to_owned())
        } else {
            FieldValue::Number(i64::try_from(rng.below(7)).unwrap() - 3)
        };
        fields.insert(key("score"), score);
    }
    if rng.chance(70) {
        let cents = i64::try_from(rng.below(2000)).unwrap() - 1000;
        // Same values at different scales, so equal decimals must tie.
        let scale = u32::try_from(rng.below(3)).unwrap();
        let value = Decimal::new(cents * 10i64.pow(scale), 2 + scale);
        fields.insert(key("revenue"), FieldValue::Decimal(value));
    }
    if rng.chance(70) {
        let text = rng.pick(&["Energy", "energy", "Retail", "Øst", "Zeta", "E"]);
        fields.insert(key("industry"), FieldValue::Text(text.to_owned()));
    }
    if rng.chance(50) {
        fields.insert(key("vip"), FieldValue::Boolean(rng.chance(50)));
    }
    if rng.chance(50) {
        let day = Date::from_calendar_date(2020, time::Month::January, 1).unwrap()
            + Duration::days(i64::try_from(rng.below(40)).unwrap());
        fields.insert(key("founded"), FieldValue::Date(day));
    }
    fields
}

fn random_enrollment(rng: &mut Rng, n: u128) -> Enrollment {
    let mut s = snapshot(assignment_id(1), n);
    let at = rng.pick(&[
        TO_CALL, TO_CALL, TO_CALL, LEAD, LEAD, SALE, NO_SALE, EXCLUDED,
    ]);
    s.state = state(at);
    s.category = category(at);
    s.sequence = rng.below(1000); // duplicates and gaps: ties fall to the id
    if rng.chance(80) {
        s.segment = Some(segment(u128::from(rng.below(4)))); // segment 3 is not in the setup
    }
    s.attempts = u32::try_from(rng.below(4)).unwrap();
    if rng.chance(60) {
        let minutes = i64::try_from(rng.below(600)).unwrap();
        s.last_contact = Some(T0 - Duration::minutes(minutes));
    }
    if rng.chance(35) {
        let due = i64::try_from(rng.below(120)).unwrap() - 90;
        let owner = rng
            .chance(60)
            .then(|| seller(u128::from(rng.below(u64::try_from(SELLERS).unwrap()))));
        s.follow_up = Some(follow_up(due, owner));
    }
    if rng.chance(20) {
        // The last NoAnswer, 2 h (the default retry delay) before a time around T0.
        let minutes = i64::try_from(rng.below(60)).unwrap() - 30 - 120;
        s.no_answer_at = Some(T0 + Duration::minutes(minutes));
    }
    if rng.chance(15) {
        let holder = seller(u128::from(rng.below(4)));
        s.reservation = Some(lease(holder, i64::try_from(rng.below(60)).unwrap() - 30));
    }
    Enrollment::from(s)
}

fn setups() -> Vec<AssignmentSetup> {
    let segments = vec![
        Segment {
            id: segment(2),
            name: name("Warm"),
        },
        Segment {
            id: segment(0),
            name: name("Cold"),
        },
        Segment {
            id: segment(1),
            name: name("Other"),
        },
    ];
    let rules = [
        vec![PriorityRule::SegmentOrder, PriorityRule::ImportOrder],
        vec![
            PriorityRule::Field(key("score"), Direction::Descending),
            PriorityRule::FewestAttempts,
        ],
        vec![
            PriorityRule::Field(key("revenue"), Direction::Ascending),
            PriorityRule::LongestSinceLastContact,
        ],
        vec![
            PriorityRule::SegmentOrder,
            PriorityRule::Field(key("industry"), Direction::Ascending),
            PriorityRule::Field(key("vip"), Direction::Descending),
            PriorityRule::Field(key("founded"), Direction::Descending),
        ],
        vec![
            PriorityRule::LongestSinceLastContact,
            PriorityRule::FewestAttempts,
            PriorityRule::Field(key("missing"), Direction::Ascending),
        ],
        vec![],
    ];
    rules
        .into_iter()
        .map(|priority| AssignmentSetup {
            segments: segments.clone(),
            priority,
            ..AssignmentSetup::default()
        })
        .collect()
}

/// Customers with CRM values; the owner's definitions change half-way (as admins may), so
/// one field holds values of two types across customers.
fn customers(rng: &mut Rng, count: u128) -> Vec<Customer> {
    let mut owner = owner();
    let mut definitions: Vec<FieldDefinition> = owner.fields(Dataset::B2b).to_vec();
    definitions
        .push(FieldDefinition::new(key("founded"), "Founded", FieldType::Date, false).unwrap());
    owner.set_fields(Dataset::B2b, definitions.clone()).unwrap();
    let mut mixed_owner = owner.clone();
    let mixed: Vec<FieldDefinition> = definitions
        .into_iter()
        .map(|d| {
            if d.key().as_str() == "score" {
                FieldDefinition::new(key("score"), "Score", FieldType::Text, false).unwrap()
            } else {
                d
            }
        })
        .collect();
    mixed_owner.set_fields(Dataset::B2b, mixed).unwrap();
    (0..count)
        .map(|n| {
            let fields = random_fields(rng, true);
            let text_score = matches!(fields.get(&key("score")), Some(FieldValue::Text(_)));
            let owner = if text_score { &mixed_owner } else { &owner };
            customer(n, owner, fields)
        })
        .collect()
}

/// Drains the assignment through both the store and the reference, seller by seller in
/// turn, and checks they agree at every step.
async fn drain_and_compare(
    store: &SqliteStore,
    setup: &AssignmentSetup,
    fields: &BTreeMap<cube_domain::ids::CustomerId, FieldValues>,
) -> usize {
    let empty = FieldValues::new();
    let mut handed = 0;
    let mut misses = 0;
    // Sellers and clock positions cycle every 12 steps; 12 misses in a row means drained.
    for step in 0u128.. {
        let seller: UserId = seller(step % (SELLERS + 1));
        let now = T0 + Duration::minutes(i64::try_from(step % 3).unwrap());
        let before = {
            let mut uow = store.begin().await.unwrap();
            uow.enrollments(assignment_id(1)).await.unwrap()
        };
        let expected = select_next(
            setup,
            seller,
            now,
            before.iter().map(|enrollment| Candidate {
                enrollment,
                fields: fields.get(&enrollment.customer()).unwrap_or(&empty),
                barred: None,
            }),
        )
        .map(|(candidate, tier)| (candidate.enrollment.id(), tier));
        let request = NextCustomerRequest {
            assignment: assignment_id(1),
            seller,
            now,
            setup: setup.clone(),
            gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
        };
        let got = store.reserve_next(&request).await.unwrap();
        let got_id = got.as_ref().map(|h| (h.enrollment.id(), h.tier));
        assert_eq!(
            got_id, expected,
            "step {step}, seller {seller}, rules {:?}",
            setup.priority
        );
        let Some(handout) = got else {
            misses += 1;
            if misses == 12 {
                break;
            }
            continue;
        };
        misses = 0;
        handed += 1;
        let reservation = handout.enrollment.reservation().unwrap();
        assert_eq!(reservation.seller, seller);
        assert_eq!(reservation.until, now + setup.lease);
        if handout.tier == Tier::Pool {
            assert!(handout.enrollment.follow_up().is_none());
        }
        // Passed on to a bystander, so the seller is not handed it back as held.
        let mut passed_on = handout.enrollment.snapshot().clone();
        passed_on.reservation = Some(Reservation {
            seller: UserId::from_uuid(uuid::Uuid::from_u128(0xB1_5743_D3E2)),
            ..reservation
        });
        let mut uow = store.begin().await.unwrap();
        uow.update_enrollment(&Enrollment::from(passed_on))
            .await
            .unwrap();
        uow.commit().await.unwrap();
    }
    handed
}

#[tokio::test]
async fn reserve_next_hands_out_what_select_next_picks() {
    let mut total = 0;
    for (round, setup) in setups().into_iter().enumerate() {
        let mut rng = Rng::new(0x5EED + u64::try_from(round).unwrap());
        let store = SqliteStore::in_memory().await.unwrap();
        seed(&store, &[assignment(1, setup.clone())]).await;
        let customers = customers(&mut rng, 120);
        let enrollments: Vec<Enrollment> =
            (0..120).map(|n| random_enrollment(&mut rng, n)).collect();
        insert(&store, &customers, &enrollments).await;
        let fields = customers
            .iter()
            .map(|c| (c.id(), c.fields().clone()))
            .collect();
        total += drain_and_compare(&store, &setup, &fields).await;
    }
    assert!(
        total > 200,
        "the data should give plenty to hand out, got {total}"
    );
}

#[tokio::test]
async fn excluded_customers_and_other_sellers_follow_ups_are_never_handed_out() {
    let store = SqliteStore::in_memory().await.unwrap();
    let setup = AssignmentSetup::default();
    seed(&store, &[assignment(1, setup.clone())]).await;
    let mut closed = snapshot(assignment_id(1), 1);
    closed.state = state(EXCLUDED);
    closed.category = category(EXCLUDED);
    closed.follow_up = Some(follow_up(-60, None));
    let mut theirs = snapshot(assignment_id(1), 2);
    theirs.state = state(LEAD);
    theirs.category = category(LEAD);
    theirs.follow_up = Some(follow_up(-60, Some(seller(2))));
    let mut later = snapshot(assignment_id(1), 3);
    later.follow_up = Some(follow_up(30, None));
    let enrollments = [closed, theirs, later].map(Enrollment::from);
    insert(&store, &[], &enrollments).await;
    let request = NextCustomerRequest {
        assignment: assignment_id(1),
        seller: seller(1),
        now: T0,
        setup,
        gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
    };
    assert_eq!(store.reserve_next(&request).await.unwrap(), None);
    let handout = store
        .reserve_next(&NextCustomerRequest {
            seller: seller(2),
            ..request
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (handout.enrollment.id(), handout.tier),
        (enrollment_id(2), Tier::PersonalFollowUp)
    );
}
