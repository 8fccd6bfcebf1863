//! `MemoryStore::reserve_next` reads sorted indexes instead of scanning the assignment; this
//! property holds it to the definition: whatever the enrollments look like (states,
//! follow-ups, retry delays, leases, segments, attempts, last contacts), whatever priority
//! rules are asked with, after committed and rolled-back writes and with time going back and
//! forth, every handout is the enrollment `queue::select_next` picks over the stored rows.

use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule, Segment};
use cube_domain::enrollment::{Enrollment, FollowUp, Reservation};
use cube_domain::fields::FieldValues;
use cube_domain::flow::StateCategory;
use cube_domain::ids::{CustomerId, SegmentId, UserId};
use cube_domain::ports::{NextCustomerRequest, Store};
use cube_domain::queue::{self, Candidate, Tier};
use cube_testkit::fixtures::{SalesFlow, T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const CUSTOMERS: usize = 12;
const SELLERS: u128 = 3;

fn seller(n: u8) -> UserId {
    UserId::from_uuid(Uuid::from_u128(0x5E11_0000 + u128::from(n) % SELLERS))
}

fn segment(n: u8) -> Option<SegmentId> {
    (n % 3 < 2).then(|| SegmentId::from_uuid(Uuid::from_u128(0x5E6_0000 + u128::from(n % 3))))
}

fn minutes(n: i16) -> OffsetDateTime {
    T0 + Duration::minutes(i64::from(n))
}

/// A new "now" for an enrollment, as plain choices.
#[derive(Debug, Clone)]
struct Shape {
    state: u8,
    segment: u8,
    attempts: u8,
    last_contact: Option<i16>,
    follow_up: Option<(i16, Option<u8>)>,
    retry_at: Option<i16>,
    reservation: Option<(u8, i16)>,
}

fn any_shape() -> impl Strategy<Value = Shape> {
    let time = -60i16..=120;
    (
        0u8..6,
        any::<u8>(),
        0u8..4,
        proptest::option::of(time.clone()),
        proptest::option::weighted(0.3, (time.clone(), proptest::option::of(any::<u8>()))),
        proptest::option::weighted(0.3, time.clone()),
        proptest::option::weighted(0.3, (any::<u8>(), time)),
    )
        .prop_map(
            |(state, segment, attempts, last_contact, follow_up, retry_at, reservation)| Shape {
                state,
                segment,
                attempts,
                last_contact,
                follow_up,
                retry_at,
                reservation,
            },
        )
}

fn apply(enrollment: &Enrollment, shape: &Shape) -> Enrollment {
    let mut s = enrollment.snapshot().clone();
    (s.state, s.category) = match shape.state {
        0..=2 => (SalesFlow::TO_CALL, StateCategory::Available),
        3 => (SalesFlow::LEAD, StateCategory::Open),
        4 => (SalesFlow::SALE, StateCategory::Yes),
        _ => (SalesFlow::EXCLUDED, StateCategory::Excluded),
    };
    s.segment = segment(shape.segment);
    s.attempts = u32::from(shape.attempts);
    s.last_contact = shape.last_contact.map(minutes);
    s.follow_up = shape.follow_up.map(|(due, owner)| FollowUp {
        due: minutes(due),
        owner: owner.map(seller),
    });
    s.no_answer_at = shape.retry_at.map(minutes);
    s.reservation = shape.reservation.map(|(who, until)| Reservation {
        seller: seller(who),
        until: minutes(until),
    });
    Enrollment::from(s)
}

fn any_rule() -> impl Strategy<Value = PriorityRule> {
    prop_oneof![
        Just(PriorityRule::SegmentOrder),
        Just(PriorityRule::FewestAttempts),
        Just(PriorityRule::LongestSinceLastContact),
        Just(PriorityRule::ImportOrder),
        Just(PriorityRule::Field(
            World::employees(),
            Direction::Descending
        )),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    /// Rewrite some enrollments in one unit, then commit it or drop it.
    Write(Vec<(Index, Shape)>, bool),
    /// A seller asks at a time (which may be earlier than the last ask).
    Ask(u8, i16, usize),
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (vec((any::<Index>(), any_shape()), 1..4), any::<bool>())
            .prop_map(|(writes, commit)| Op::Write(writes, commit)),
        3 => (any::<u8>(), -60i16..=150, 0usize..3).prop_map(|(s, at, rules)| Op::Ask(s, at, rules)),
    ]
}

async fn oracle(store: &dyn Store, request: &NextCustomerRequest) -> Option<(Enrollment, Tier)> {
    let mut uow = store.begin().await.expect("begin");
    let enrollments = uow.enrollments(request.assignment).await.expect("read");
    let ids: Vec<CustomerId> = enrollments.iter().map(Enrollment::customer).collect();
    let customers = uow.customers_by_id(&ids).await.expect("read");
    let fields: HashMap<CustomerId, &FieldValues> =
        customers.iter().map(|c| (c.id(), c.fields())).collect();
    let none = FieldValues::new();
    let candidates = enrollments.iter().map(|enrollment| Candidate {
        enrollment,
        fields: fields.get(&enrollment.customer()).copied().unwrap_or(&none),
        barred: None,
    });
    let (chosen, tier) =
        queue::select_next(&request.setup, request.seller, request.now, candidates)?;
    let mut enrollment = chosen.enrollment.clone();
    enrollment
        .reserve(request.seller, request.now, request.setup.lease)
        .expect("select_next picks reservable enrollments");
    Some((enrollment, tier))
}

async fn check(
    shapes: Vec<Shape>,
    rule_sets: Vec<Vec<PriorityRule>>,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let store = MemoryStore::new();
    let world = World::build(
        &store,
        &FixedClock::new(T0),
        &SequentialIds::new(),
        CUSTOMERS,
    )
    .await
    .expect("world");
    let mut uow = store.begin().await.expect("begin");
    for (enrollment, shape) in world.enrollments.iter().zip(&shapes) {
        uow.update_enrollment(&apply(enrollment, shape))
            .await
            .expect("update");
    }
    uow.commit().await.expect("commit");
    let segments: Vec<Segment> = (0..2u8)
        .filter_map(segment)
        .map(|id| Segment {
            id,
            name: cube_domain::values::Name::parse("Segment").expect("valid"),
        })
        .rev()
        .collect();
    let setups: Vec<AssignmentSetup> = rule_sets
        .into_iter()
        .map(|priority| AssignmentSetup {
            priority,
            segments: segments.clone(),
            lease: Duration::minutes(20),
            ..AssignmentSetup::default()
        })
        .collect();
    for op in ops {
        match op {
            Op::Write(writes, commit) => {
                let mut uow = store.begin().await.expect("begin");
                for (index, shape) in writes {
                    let current = index.get(&world.enrollments).id();
                    let stored = uow
                        .enrollment(current)
                        .await
                        .expect("read")
                        .expect("exists");
                    uow.update_enrollment(&apply(&stored, &shape))
                        .await
                        .expect("update");
                }
                if commit {
                    uow.commit().await.expect("commit");
                }
            }
            Op::Ask(who, at, rules) => {
                let request = NextCustomerRequest {
                    assignment: world.assignment.id(),
                    seller: seller(who),
                    now: minutes(at),
                    setup: setups[rules % setups.len()].clone(),
                    gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
                };
                let want = oracle(&store, &request).await;
                let got = store
                    .reserve_next(&request)
                    .await
                    .expect("reserve_next")
                    .map(|h| (h.enrollment, h.tier));
                prop_assert_eq!(got, want, "request {:?}", request.setup.priority);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn reserve_next_equals_select_next(
        shapes in vec(any_shape(), CUSTOMERS),
        rule_sets in vec(vec(any_rule(), 0..4), 1..3),
        ops in vec(any_op(), 1..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(check(shapes, rule_sets, ops))?;
    }
}
