//! The queue contract: `reserve_next` hands out exactly what `queue::select_next` chooses
//! over the assignment's enrollments (a customer the seller holds, then own due personal
//! follow-ups, then due shared ones oldest first, whatever the category but Excluded, then
//! the pool by the priority rules, after the current retry delay), reserves it as part of
//! the unit it runs in, and never gives one customer to two sellers — also when many ask at
//! once.

use crate::contract::{SharedStore, at, setup, with};
use crate::fixtures::{SalesFlow, T0, World, register_outcome, release};
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule, Segment};
use cube_domain::contact_policy::Closed;
use cube_domain::contact_policy::standing::{
    Barred, ContactFacts, ContactGate, DailyCap, DoNotCall, Exemption, RegisterCheck,
};
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::enrollment::{Enrollment, FollowUp, Reservation};
use cube_domain::fields::FieldValues;
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId, SegmentId, UserId};
use cube_domain::outcome::{RegisterOutcome, Registrar};
use cube_domain::ports::{Handout, IdGenerator, NextCustomerRequest, ReadUnit, Store};
use cube_domain::queue::census::QueueCensus;
use cube_domain::queue::{self, Candidate, Tier};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use time::{Duration, OffsetDateTime};

fn request(
    assignment: AssignmentId,
    setup: &AssignmentSetup,
    seller: UserId,
    now: OffsetDateTime,
) -> NextCustomerRequest {
    NextCustomerRequest {
        assignment,
        seller,
        now,
        setup: setup.clone(),
        gate: ContactGate::OPEN,
    }
}

async fn next(store: &dyn Store, request: &NextCustomerRequest) -> Option<Handout> {
    store.reserve_next(request).await.expect("reserve_next")
}

async fn next_id(store: &dyn Store, request: &NextCustomerRequest) -> Option<(EnrollmentId, Tier)> {
    next(store, request)
        .await
        .map(|h| (h.enrollment.id(), h.tier))
}

/// The next customer, then passed on to a bystander (as if the seller had handed it to a
/// colleague), so the asker does not get it back as held when asking again.
async fn next_passed_on(
    store: &dyn Store,
    request: &NextCustomerRequest,
) -> Option<(EnrollmentId, Tier)> {
    let bystander = UserId::from_uuid(uuid::Uuid::from_u128(0xB1_5743_D3E2));
    let handout = next(store, request).await?;
    let passed_on = with(&handout.enrollment, |e| {
        e.reservation = e.reservation.map(|r| Reservation {
            seller: bystander,
            ..r
        });
    });
    write(store, &[passed_on]).await;
    Some((handout.enrollment.id(), handout.tier))
}

/// Asks until nothing is ready; a store that hands out more than a few dozen customers in
/// a row is not storing its reservations, and fails instead of looping forever. Each
/// customer handed out is passed on to a bystander (`next_passed_on`).
async fn drain(store: &dyn Store, request: &NextCustomerRequest) -> Vec<(EnrollmentId, Tier)> {
    let mut handed = Vec::new();
    while let Some(found) = next_passed_on(store, request).await {
        handed.push(found);
        assert!(
            handed.len() <= 64,
            "reserve_next keeps handing out customers: {handed:?}"
        );
    }
    handed
}

async fn write(store: &dyn Store, enrollments: &[Enrollment]) {
    let mut uow = store.begin().await.expect("begin");
    for enrollment in enrollments {
        uow.update_enrollment(enrollment).await.expect("update");
    }
    uow.commit().await.expect("commit");
}

/// The stored customers of `enrollments`, by id.
async fn customers_of(
    uow: &mut dyn ReadUnit,
    enrollments: &[Enrollment],
) -> HashMap<CustomerId, Customer> {
    let ids: Vec<CustomerId> = enrollments.iter().map(Enrollment::customer).collect();
    uow.customers_by_id(&ids)
        .await
        .expect("read")
        .into_iter()
        .map(|c| (c.id(), c))
        .collect()
}

/// The calls (outcomes registered by a person) to each customer of `enrollments` since the
/// gate's day began, in any assignment; empty without a daily cap.
async fn calls_today(
    uow: &mut dyn ReadUnit,
    gate: &ContactGate,
    enrollments: &[Enrollment],
) -> HashMap<CustomerId, u32> {
    let mut calls = HashMap::new();
    let Some(cap) = gate.daily_cap else {
        return calls;
    };
    for enrollment in enrollments {
        let customer = enrollment.customer();
        if calls.contains_key(&customer) {
            continue;
        }
        let mut count = 0;
        for theirs in uow.enrollments_of_customer(customer).await.expect("read") {
            count += uow
                .events_of(theirs.id())
                .await
                .expect("read")
                .iter()
                .filter(|e| cap.counts(e))
                .count();
        }
        calls.insert(customer, u32::try_from(count).unwrap_or(u32::MAX));
    }
    calls
}

/// What `gate` says of calling the customer of `enrollment`, called `calls` times today.
fn barred_by(
    gate: &ContactGate,
    customers: &HashMap<CustomerId, Customer>,
    calls: &HashMap<CustomerId, u32>,
    enrollment: &Enrollment,
) -> Option<Barred> {
    let facts = customers
        .get(&enrollment.customer())
        .map_or(ContactFacts::FREE, Customer::contact_facts)
        .called(calls.get(&enrollment.customer()).copied().unwrap_or(0));
    gate.barred(&facts)
}

/// What `queue::select_next` hands out over the stored enrollments, already reserved.
async fn expected(store: &dyn Store, request: &NextCustomerRequest) -> Option<Handout> {
    let mut uow = store.begin().await.expect("begin");
    let enrollments = uow.enrollments(request.assignment).await.expect("read");
    let customers = customers_of(uow.as_mut(), &enrollments).await;
    let calls = calls_today(uow.as_mut(), &request.gate, &enrollments).await;
    let none = FieldValues::new();
    let candidates = enrollments.iter().map(|enrollment| Candidate {
        enrollment,
        fields: customers
            .get(&enrollment.customer())
            .map_or(&none, Customer::fields),
        barred: barred_by(&request.gate, &customers, &calls, enrollment),
    });
    let (chosen, tier) =
        queue::select_next(&request.setup, request.seller, request.now, candidates)?;
    let mut enrollment = chosen.enrollment.clone();
    enrollment
        .reserve(request.seller, request.now, request.setup.lease)
        .expect("select_next only picks enrollments that can be reserved");
    Some(Handout { enrollment, tier })
}

/// `None` for an unknown assignment, an empty one, and one whose customers are all
/// concluded, excluded, or open without a due follow-up.
pub async fn reserve_next_is_none_when_nothing_is_ready(store: SharedStore) {
    let s = setup(store.as_ref(), 4).await;
    let w = &s.world;
    let setup = w.assignment.setup().clone();
    let seller = w.sellers[0].id;
    let unknown = AssignmentId::from_uuid(s.ids.next_id());
    assert!(
        next(store.as_ref(), &request(unknown, &setup, seller, T0))
            .await
            .is_none()
    );
    let empty = World::build(store.as_ref(), &s.clock, &s.ids, 0)
        .await
        .expect("an empty world");
    let r = request(empty.assignment.id(), &setup, seller, T0);
    assert!(next(store.as_ref(), &r).await.is_none());

    let closed: Vec<Enrollment> = [
        (SalesFlow::SALE, StateCategory::Yes),
        (SalesFlow::NO_SALE, StateCategory::No),
        (SalesFlow::EXCLUDED, StateCategory::Excluded),
        (SalesFlow::LEAD, StateCategory::Open),
    ]
    .iter()
    .zip(&w.enrollments)
    .map(|((state, category), e)| {
        with(e, |e| {
            e.state = *state;
            e.category = *category;
            if *category == StateCategory::Excluded {
                // A due follow-up does not make an excluded customer workable.
                e.follow_up = Some(FollowUp {
                    due: at(-10),
                    owner: None,
                });
            }
        })
    })
    .collect();
    write(store.as_ref(), &closed).await;
    let r = request(w.assignment.id(), &setup, seller, T0);
    assert!(
        next(store.as_ref(), &r).await.is_none(),
        "concluded customers and open ones without a due follow-up, and excluded ones, MUST NOT \
         be handed out"
    );
}

/// The order of DOMAIN.md: my due personal follow-up, then due shared follow-ups oldest
/// first, then the pool; never another seller's personal follow-up, a follow-up not yet
/// due, a customer in its retry delay, or one another seller holds.
pub async fn reserve_next_follows_the_queue_order(store: SharedStore) {
    let s = setup(store.as_ref(), 8).await;
    let w = &s.world;
    let (me, other) = (w.sellers[0].id, w.sellers[1].id);
    let now = at(24 * 60);
    let e = &w.enrollments;
    let follow = |i: usize, due: OffsetDateTime, owner: Option<UserId>| {
        with(&e[i], |e| {
            e.follow_up = Some(FollowUp { due, owner });
            if owner.is_some() {
                e.state = SalesFlow::LEAD;
                e.category = StateCategory::Open;
            }
        })
    };
    let changed = vec![
        follow(1, now - Duration::minutes(30), None),
        follow(2, now - Duration::minutes(60), None),
        follow(3, now - Duration::minutes(10), Some(me)),
        follow(4, now - Duration::minutes(90), Some(other)),
        follow(5, now + Duration::minutes(10), None),
        // No answer an hour ago: with the 2-hour delay, it rests another hour.
        with(&e[6], |e| e.no_answer_at = Some(now - Duration::hours(1))),
        with(&e[7], |e| {
            e.reservation = Some(Reservation {
                seller: other,
                until: now + Duration::minutes(5),
            });
        }),
    ];
    write(store.as_ref(), &changed).await;
    // A lease long enough that nothing handed out below comes back within the case.
    let setup = AssignmentSetup {
        lease: Duration::hours(3),
        ..w.assignment.setup().clone()
    };
    let a = w.assignment.id();
    let handed = drain(store.as_ref(), &request(a, &setup, me, now)).await;
    assert_eq!(
        handed,
        vec![
            (e[3].id(), Tier::PersonalFollowUp),
            (e[2].id(), Tier::SharedFollowUp),
            (e[1].id(), Tier::SharedFollowUp),
            (e[0].id(), Tier::Pool),
        ],
        "own personal follow-ups, then shared oldest first, then the pool"
    );
    let later = now + Duration::minutes(10);
    assert_eq!(
        next_passed_on(store.as_ref(), &request(a, &setup, me, later)).await,
        Some((e[5].id(), Tier::SharedFollowUp)),
        "a shared follow-up is handed out once it is due"
    );
    let much_later = now + Duration::hours(1);
    let rest = drain(store.as_ref(), &request(a, &setup, me, much_later)).await;
    assert_eq!(
        rest,
        vec![(e[6].id(), Tier::Pool), (e[7].id(), Tier::Pool)],
        "after the retry delay and the other seller's lease, in import order"
    );
    assert_eq!(
        next_id(store.as_ref(), &request(a, &setup, other, much_later)).await,
        Some((e[4].id(), Tier::PersonalFollowUp)),
        "a personal follow-up is its owner's alone"
    );
}

/// Over a varied assignment (segments, field rules, attempts, last contacts, follow-ups,
/// retry delays, leases; companies and consumers, on the do-not-call list, reserved with
/// and without an exemption, checked against the register this month, last month or
/// never) and three sellers taking turns while time passes under changing contact gates
/// (open, the register required, consumers outside the call window, a stale wash), every
/// handout equals what `queue::select_next` picks over the stored enrollments, reservation
/// included, and is never a customer the gate bars; and before each, `queue_census` counts
/// as `QueueCensus::of` does over them.
pub async fn reserve_next_agrees_with_select_next(store: SharedStore) {
    let s = setup(store.as_ref(), 24).await;
    let w = &s.world;
    let sellers: Vec<UserId> = w.sellers.iter().map(|u| u.id).collect();
    let segments: Vec<Segment> = ["Varm", "Kald"]
        .iter()
        .map(|n| Segment {
            id: SegmentId::from_uuid(s.ids.next_id()),
            name: crate::fixtures::name(n),
        })
        .collect();
    let varied: Vec<Enrollment> = w
        .enrollments
        .iter()
        .enumerate()
        .map(|(i, e)| vary(e, i, &segments, &sellers))
        .collect();
    write(store.as_ref(), &varied).await;
    vary_standings(store.as_ref(), w).await;
    call_some_today(store.as_ref(), &s, &varied).await;
    let month = Some(time::macros::date!(2025 - 03 - 01));
    let gates = [
        ContactGate::OPEN,
        ContactGate {
            consumers: None,
            checked_since: month,
            daily_cap: None,
        },
        ContactGate {
            consumers: Some(Barred::CallWindow {
                closed: Closed::OutsideHours,
                opens: Some(T0 + Duration::hours(25)),
            }),
            checked_since: month,
            daily_cap: None,
        },
        ContactGate {
            consumers: Some(Barred::RegisterStale { last_wash: None }),
            checked_since: month,
            daily_cap: None,
        },
        ContactGate {
            consumers: None,
            checked_since: Some(time::macros::date!(2025 - 02 - 01)),
            daily_cap: Some(DailyCap {
                calls: 1,
                since: T0 - Duration::hours(2),
                until: T0 + Duration::hours(22),
            }),
        },
        ContactGate {
            consumers: None,
            checked_since: None,
            daily_cap: Some(DailyCap {
                calls: 2,
                since: T0 - Duration::hours(2),
                until: T0 + Duration::hours(22),
            }),
        },
    ];

    let first = AssignmentSetup {
        segments: segments.clone(),
        priority: vec![
            PriorityRule::SegmentOrder,
            PriorityRule::Field(World::industry(), Direction::Ascending),
            PriorityRule::FewestAttempts,
            PriorityRule::LongestSinceLastContact,
        ],
        lease: Duration::minutes(15),
        ..AssignmentSetup::default()
    };
    let second = AssignmentSetup {
        priority: vec![
            PriorityRule::LongestSinceLastContact,
            PriorityRule::FewestAttempts,
            PriorityRule::SegmentOrder,
        ],
        // A shorter retry delay applies at once to customers already waiting.
        retry_delay: Duration::minutes(30),
        // And an attempt cap takes customers who had two out of the pool.
        max_attempts: Some(2),
        ..first.clone()
    };
    let third = AssignmentSetup {
        priority: vec![
            PriorityRule::Field(World::employees(), Direction::Descending),
            PriorityRule::ImportOrder,
        ],
        ..first.clone()
    };
    let default = AssignmentSetup {
        segments: segments.clone(),
        ..AssignmentSetup::default()
    };
    let a = w.assignment.id();
    let phases = [
        (1, &first, T0),
        (2, &second, at(24 * 60)),
        (3, &third, at(2 * 24 * 60)),
        (4, &default, at(3 * 24 * 60)),
        (5, &second, at(3 * 24 * 60 + 5)),
    ];
    for (phase, setup, start) in phases {
        for turn in 0..36_i64 {
            let now = start + Duration::minutes(turn / 4 * 7);
            let seller = sellers[usize::try_from(turn).unwrap_or(0) % sellers.len()];
            let mut r = request(a, setup, seller, now);
            r.gate = gates[usize::try_from(turn).unwrap_or(0) % gates.len()];
            let (census, customers, calls) = {
                let mut uow = store.begin_read().await.expect("begin");
                let stored = uow.enrollments(a).await.expect("read");
                let customers = customers_of(uow.as_mut(), &stored).await;
                let calls = calls_today(uow.as_mut(), &r.gate, &stored).await;
                let counted = uow.queue_census(&r).await.expect("census");
                let barred = |e| barred_by(&r.gate, &customers, &calls, e);
                let want =
                    QueueCensus::of(setup, stored.iter().map(|e| (e, barred(e))), seller, now);
                ((counted, want), customers, calls)
            };
            assert_eq!(
                census.0, census.1,
                "phase {phase}, turn {turn}: queue_census MUST count as queue::census::reason does"
            );
            let want = expected(store.as_ref(), &r).await;
            let got = next(store.as_ref(), &r).await;
            assert_eq!(
                got, want,
                "phase {phase}, turn {turn}: reserve_next MUST hand out what select_next picks"
            );
            if let Some(handout) = &got {
                assert_eq!(
                    barred_by(&r.gate, &customers, &calls, &handout.enrollment),
                    None,
                    "phase {phase}, turn {turn}: never a customer the contact gate bars"
                );
            }
        }
    }
}

/// Some of the world's customers called this morning (a No answer registered by a manager,
/// an hour before `T0`), a few twice: what a daily cap counts.
async fn call_some_today(store: &dyn Store, s: &crate::contract::Setup, varied: &[Enrollment]) {
    let manager = s.world.manager.id;
    for (i, enrollment) in varied.iter().enumerate() {
        let free = enrollment.reservation().is_none()
            && enrollment.category() == StateCategory::Available
            && enrollment.follow_up().is_none();
        if !free || i % 4 != 0 {
            continue;
        }
        let times = if i % 8 == 0 { 2 } else { 1 };
        for n in 0..times {
            let at = T0 - Duration::minutes(60 - 10 * n);
            register_outcome(
                store,
                Registrar::Manager(manager),
                enrollment.id(),
                RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
                at,
                &s.ids,
            )
            .await
            .expect("a No answer");
        }
    }
}

/// The world's customers given varied standings with the contact policy, by index: some
/// made consumers (checked this month, last month, never; reserved with and without an
/// exemption), some companies on the do-not-call list.
async fn vary_standings(store: &dyn Store, w: &World) {
    let this_month = time::macros::date!(2025 - 03 - 02);
    let last_month = time::macros::date!(2025 - 02 - 20);
    let mut uow = store.begin().await.expect("begin");
    for (i, customer) in w.customers.iter().enumerate() {
        let mut changed = match i % 6 {
            0 | 1 | 2 | 4 => Customer::new(
                customer.id(),
                &w.data_owner,
                Dataset::B2c,
                customer.details().clone(),
                FieldValues::new(),
            )
            .expect("a consumer"),
            _ => customer.clone(),
        };
        let check = |checked_on, reserved| RegisterCheck {
            checked_on,
            reserved,
        };
        match i % 6 {
            0 => changed.set_register_check(check(this_month, false)),
            1 => changed.set_register_check(check(this_month, true)),
            2 => {
                changed.set_register_check(check(this_month, i % 12 == 2));
                if i % 4 == 2 {
                    changed.set_exemption(Some(Exemption::AskedToBeCalled {
                        at: T0 - Duration::days(3),
                        source: "web form".into(),
                    }));
                }
            }
            3 if i % 4 == 3 => changed.set_do_not_call(Some(
                DoNotCall::new(T0, Some(w.manager.id), "asked on the phone").expect("valid"),
            )),
            4 if i % 12 == 4 => changed.set_register_check(check(last_month, false)),
            _ => {}
        }
        uow.save_customer(&changed).await.expect("save");
    }
    uow.commit().await.expect("commit");
}

/// Enrollment `i` of the agreement case, with attributes spread by `i`.
fn vary(e: &Enrollment, i: usize, segments: &[Segment], sellers: &[UserId]) -> Enrollment {
    let n = i64::try_from(i).unwrap_or(0);
    with(e, |e| {
        e.segment = match i % 3 {
            0 => Some(segments[0].id),
            1 => Some(segments[1].id),
            _ => None,
        };
        e.attempts = u32::try_from(i * 7 % 4).unwrap_or(0);
        e.last_contact = (!i.is_multiple_of(5)).then(|| T0 - Duration::hours(n % 4));
        if i % 8 == 3 {
            e.state = SalesFlow::LEAD;
            e.category = StateCategory::Open;
        }
        if i % 11 == 5 {
            e.state = SalesFlow::SALE;
            e.category = StateCategory::Yes;
        }
        if i % 6 == 1 {
            e.follow_up = Some(FollowUp {
                due: T0 + Duration::minutes((n - 12) * 3),
                owner: None,
            });
        }
        if i % 6 == 4 {
            e.follow_up = Some(FollowUp {
                due: T0 + Duration::minutes((n - 10) * 2),
                owner: Some(sellers[i % sellers.len()]),
            });
        }
        if i % 7 == 2 {
            e.no_answer_at = Some(T0 + Duration::minutes(n * 3 - 120));
        }
        if i % 9 == 8 {
            e.reservation = Some(Reservation {
                seller: sellers[(i + 1) % sellers.len()],
                until: T0 + Duration::minutes(10),
            });
        }
    })
}

/// A customer held by one seller is not handed to another until the lease runs out (a lease
/// ending at `now` has run out).
pub async fn reserve_next_skips_customers_held_by_another_seller(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let w = &s.world;
    let setup = w.assignment.setup().clone();
    let lease = setup.lease;
    let (a, me, other) = (w.assignment.id(), w.sellers[0].id, w.sellers[1].id);
    let e0 = w.enrollments[0].id();
    let store = store.as_ref();
    assert_eq!(
        next_id(store, &request(a, &setup, me, T0)).await,
        Some((e0, Tier::Pool))
    );
    for (seller, now) in [(other, T0), (other, T0 + lease - Duration::seconds(1))] {
        assert_eq!(
            next_id(store, &request(a, &setup, seller, now)).await,
            None,
            "a held customer MUST NOT be handed out while the lease lasts"
        );
    }
    assert_eq!(
        next_id(store, &request(a, &setup, other, T0 + lease)).await,
        Some((e0, Tier::Pool)),
        "a lapsed lease frees the customer"
    );
}

/// A customer in its retry delay, or with a follow-up not yet due, is not handed out until
/// that time.
pub async fn reserve_next_respects_retry_at(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let w = &s.world;
    let e = &w.enrollments;
    let waiting = vec![
        with(&e[0], |e| {
            e.no_answer_at = Some(at(30) - AssignmentSetup::DEFAULT_RETRY_DELAY);
        }),
        with(&e[1], |e| {
            e.follow_up = Some(FollowUp {
                due: at(45),
                owner: None,
            });
        }),
    ];
    write(store.as_ref(), &waiting).await;
    let setup = w.assignment.setup().clone();
    let (a, me) = (w.assignment.id(), w.sellers[0].id);
    for now in [T0, at(29)] {
        assert_eq!(
            next_passed_on(store.as_ref(), &request(a, &setup, me, now)).await,
            None
        );
    }
    assert_eq!(
        next_passed_on(store.as_ref(), &request(a, &setup, me, at(30))).await,
        Some((e[0].id(), Tier::Pool))
    );
    assert_eq!(
        next_passed_on(store.as_ref(), &request(a, &setup, me, at(44))).await,
        None
    );
    assert_eq!(
        next_passed_on(store.as_ref(), &request(a, &setup, me, at(45))).await,
        Some((e[1].id(), Tier::SharedFollowUp))
    );
}

/// The handout carries the reservation `now + setup.lease` for the seller, and the stored
/// enrollment is the handed-out one.
pub async fn reserve_next_stores_the_reservation(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let w = &s.world;
    let setup = AssignmentSetup {
        lease: Duration::minutes(7),
        ..w.assignment.setup().clone()
    };
    let me = w.sellers[0].id;
    let handout = next(
        store.as_ref(),
        &request(w.assignment.id(), &setup, me, at(3)),
    )
    .await
    .expect("a customer");
    assert_eq!(
        handout.enrollment.reservation(),
        Some(Reservation {
            seller: me,
            until: at(10),
        })
    );
    assert_eq!(
        handout.enrollment,
        with(&w.enrollments[0], |e| {
            e.reservation = handout.enrollment.reservation();
        })
    );
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollment(handout.enrollment.id()).await.expect("read"),
        Some(handout.enrollment),
        "the reservation MUST be stored"
    );
}

/// 32 sellers drain an assignment of 500 customers at once, each registering No answer or
/// No sale on what they get: every customer is handed out exactly once.
pub async fn concurrent_sellers_get_each_enrollment_exactly_once(store: SharedStore) {
    const SELLERS: usize = 32;
    const CUSTOMERS: usize = 500;
    let s = setup(store.as_ref(), CUSTOMERS).await;
    let w = &s.world;
    let ids = Arc::new(s.ids);
    let handed: Arc<Mutex<Vec<EnrollmentId>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..SELLERS {
        let seller = UserId::from_uuid(ids.next_id());
        let r = request(w.assignment.id(), w.assignment.setup(), seller, at(1));
        let (store, ids, handed) = (store.clone(), ids.clone(), handed.clone());
        tasks.spawn(async move {
            while let Some(handout) = store.reserve_next(&r).await.expect("reserve_next") {
                let enrollment = handout.enrollment;
                let count = {
                    let mut handed = handed.lock().unwrap_or_else(PoisonError::into_inner);
                    handed.push(enrollment.id());
                    handed.len()
                };
                assert!(
                    count <= CUSTOMERS,
                    "more handouts than customers: an enrollment was handed out twice"
                );
                let outcome = if enrollment.sequence() % 2 == 0 {
                    SalesFlow::O_NO_ANSWER
                } else {
                    SalesFlow::O_NO_SALE
                };
                register_outcome(
                    store.as_ref(),
                    Registrar::Seller(seller),
                    enrollment.id(),
                    RegisterOutcome::new(outcome),
                    r.now,
                    ids.as_ref(),
                )
                .await
                .expect("the holder registers an outcome");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a seller task finished");
    }
    let mut handed = handed
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    handed.sort();
    let handed_count = handed.len();
    handed.dedup();
    assert_eq!(
        handed_count,
        handed.len(),
        "no enrollment may be handed out twice"
    );
    let mut all: Vec<EnrollmentId> = w.enrollments.iter().map(Enrollment::id).collect();
    all.sort();
    assert_eq!(handed, all, "every enrollment MUST be handed out");
}

/// 16 sellers take and release customers over and over at one instant: no customer is ever
/// held by two sellers at once.
pub async fn concurrent_release_never_gives_a_customer_to_two_sellers(store: SharedStore) {
    const SELLERS: usize = 16;
    const ROUNDS: usize = 20;
    let s = setup(store.as_ref(), 24).await;
    let w = &s.world;
    // Who holds what, as the sellers themselves see it: taken before the store hands the
    // customer to anyone else, given back before the store lets it go.
    let holders: Arc<Mutex<BTreeMap<EnrollmentId, UserId>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..SELLERS {
        let seller = UserId::from_uuid(s.ids.next_id());
        let r = request(w.assignment.id(), w.assignment.setup(), seller, at(1));
        let (store, holders) = (store.clone(), holders.clone());
        tasks.spawn(async move {
            for _ in 0..ROUNDS {
                let Some(handout) = store.reserve_next(&r).await.expect("reserve_next") else {
                    tokio::task::yield_now().await;
                    continue;
                };
                let id = handout.enrollment.id();
                let previous = holders
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, seller);
                assert_eq!(
                    previous, None,
                    "enrollment {id} handed to two sellers at once"
                );
                tokio::task::yield_now().await;
                holders
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                let released = release(store.as_ref(), id, seller).await.expect("release");
                assert!(released, "the holder MUST be able to release");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a seller task finished");
    }
    let mut uow = store.begin().await.expect("begin");
    let held = uow
        .enrollments(w.assignment.id())
        .await
        .expect("read")
        .iter()
        .filter(|e| e.holder(at(1)).is_some())
        .count();
    assert_eq!(held, 0, "every released customer is free again");
}

/// The seller is handed back the customer they hold first (the lease ending soonest), the
/// lease renewed, before any follow-up or pool customer: a crashed browser resumes where it
/// was. A lapsed lease is not held; an excluded customer never comes back.
pub async fn reserve_next_hands_the_seller_back_what_they_hold(store: SharedStore) {
    let s = setup(store.as_ref(), 4).await;
    let w = &s.world;
    let (me, other) = (w.sellers[0].id, w.sellers[1].id);
    let e = &w.enrollments;
    let held = |i: usize, seller, until| {
        with(&e[i], |e| {
            e.reservation = Some(Reservation { seller, until })
        })
    };
    write(
        store.as_ref(),
        &[
            with(&e[0], |e| {
                e.follow_up = Some(FollowUp {
                    due: at(-30),
                    owner: None,
                });
            }),
            held(1, me, at(12)),
            held(2, me, at(8)),
            with(&held(3, me, at(20)), |e| {
                e.state = SalesFlow::EXCLUDED;
                e.category = StateCategory::Excluded;
            }),
        ],
    )
    .await;
    let setup = w.assignment.setup().clone();
    let a = w.assignment.id();
    let handout = next(store.as_ref(), &request(a, &setup, me, T0))
        .await
        .expect("a customer");
    assert_eq!(
        (handout.enrollment.id(), handout.tier),
        (e[2].id(), Tier::Held)
    );
    assert_eq!(
        handout.enrollment.reservation(),
        Some(Reservation {
            seller: me,
            until: T0 + setup.lease,
        }),
        "the lease MUST be renewed"
    );
    assert_eq!(
        next_id(store.as_ref(), &request(a, &setup, me, T0)).await,
        Some((e[1].id(), Tier::Held)),
        "the lease ending soonest first"
    );
    assert_eq!(
        next_id(store.as_ref(), &request(a, &setup, other, T0)).await,
        Some((e[0].id(), Tier::SharedFollowUp)),
        "another seller's lease is not theirs"
    );
    let mut uow = store.begin().await.expect("begin");
    let excluded = uow.enrollment(e[3].id()).await.expect("read");
    drop(uow);
    assert_eq!(
        excluded.and_then(|e| e.reservation()).map(|r| r.until),
        Some(at(20)),
        "an excluded customer MUST NOT be handed back"
    );
}

/// A due follow-up is work whatever the state's category (a call back on a customer in a
/// Yes state), as `queue::tier` says; an excluded customer is never handed out, and neither
/// is a concluded one without a due follow-up.
pub async fn reserve_next_hands_out_due_follow_ups_of_concluded_customers(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let w = &s.world;
    let me = w.sellers[0].id;
    let e = &w.enrollments;
    let in_state = |i: usize, state, category, owner: Option<UserId>| {
        with(&e[i], |e| {
            e.state = state;
            e.category = category;
            e.follow_up = owner.map(|owner| FollowUp {
                due: at(-5),
                owner: Some(owner),
            });
        })
    };
    write(
        store.as_ref(),
        &[
            in_state(0, SalesFlow::EXCLUDED, StateCategory::Excluded, Some(me)),
            in_state(1, SalesFlow::SALE, StateCategory::Yes, Some(me)),
            in_state(2, SalesFlow::SALE, StateCategory::Yes, None),
        ],
    )
    .await;
    let setup = w.assignment.setup().clone();
    let r = request(w.assignment.id(), &setup, me, T0);
    assert_eq!(
        drain(store.as_ref(), &r).await,
        vec![(e[1].id(), Tier::PersonalFollowUp)],
        "a due personal follow-up in a Yes state MUST be handed out; an excluded one never"
    );
}

/// The retry delay counts from the last NoAnswer with the setup of the request: a changed
/// delay applies at once to customers already waiting.
pub async fn reserve_next_applies_a_changed_retry_delay_at_once(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let w = &s.world;
    let me = w.sellers[0].id;
    let e0 = w.enrollments[0].id();
    write(
        store.as_ref(),
        &[with(&w.enrollments[0], |e| {
            e.attempts = 1;
            e.last_contact = Some(T0);
            e.no_answer_at = Some(T0);
        })],
    )
    .await;
    let a = w.assignment.id();
    let delay = |minutes| AssignmentSetup {
        retry_delay: Duration::minutes(minutes),
        ..w.assignment.setup().clone()
    };
    for (minutes, now) in [(120, at(119)), (300, at(299)), (45, at(44))] {
        assert_eq!(
            next_id(store.as_ref(), &request(a, &delay(minutes), me, now)).await,
            None,
            "a {minutes}-minute delay MUST keep the customer out until T0 + {minutes} min"
        );
    }
    assert_eq!(
        next_id(store.as_ref(), &request(a, &delay(45), me, at(45))).await,
        Some((e0, Tier::Pool)),
        "a delay shortened to 45 minutes MUST free the customer at T0 + 45 min"
    );
}

/// `reserve_next` runs in the caller's unit of work: dropped without commit, the unit
/// leaves no reservation (a "next" whose customer could not be read holds nobody back).
pub async fn reserve_next_is_undone_with_its_unit(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let w = &s.world;
    let me = w.sellers[0].id;
    let r = request(w.assignment.id(), w.assignment.setup(), me, T0);
    let mut uow = store.begin().await.expect("begin");
    let handout = uow
        .reserve_next(&r)
        .await
        .expect("reserve_next")
        .expect("a customer");
    assert_eq!(
        uow.enrollment(handout.enrollment.id())
            .await
            .expect("read")
            .and_then(|e| e.holder(T0)),
        Some(me),
        "the unit MUST see its own reservation"
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    let after = uow
        .enrollment(handout.enrollment.id())
        .await
        .expect("read")
        .expect("enrolled");
    drop(uow);
    assert_eq!(
        after.reservation(),
        None,
        "a dropped unit MUST leave no reservation"
    );
    // PostgreSQL may roll the dropped unit back a moment later (its row lock lasts until
    // then, and `SKIP LOCKED` passes the row by): ask again briefly.
    let mut again = None;
    for _ in 0..50 {
        again = next_id(store.as_ref(), &r).await;
        if again.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        again,
        Some((handout.enrollment.id(), Tier::Pool)),
        "the customer is in the pool again"
    );
}

/// `reserved_count` counts the assignment's live leases at `now`, whoever holds them: a
/// lapsed lease or a released one does not count (the status report's "reserved").
pub async fn reserved_count_counts_live_leases(store: SharedStore) {
    let s = setup(store.as_ref(), 4).await;
    let w = &s.world;
    let (me, other) = (w.sellers[0].id, w.sellers[1].id);
    let e = &w.enrollments;
    let lease = |i: usize, seller, until| {
        with(&e[i], |e| {
            e.reservation = Some(Reservation { seller, until })
        })
    };
    write(
        store.as_ref(),
        &[
            lease(0, me, at(10)),
            lease(1, other, at(20)),
            lease(2, me, at(5)),
        ],
    )
    .await;
    let a = w.assignment.id();
    let count = |now| {
        let store = store.clone();
        async move {
            let mut uow = store.begin().await.expect("begin");
            uow.reserved_count(a, now).await.expect("count")
        }
    };
    assert_eq!(count(T0).await, 3);
    assert_eq!(count(at(5)).await, 2, "a lease ending at now has run out");
    assert_eq!(count(at(20)).await, 0);
    let unknown = AssignmentId::from_uuid(s.ids.next_id());
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.reserved_count(unknown, T0).await.expect("count"), 0);
}

/// A small deterministic generator (xorshift64*), so a failing round can be replayed from
/// its number.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// At random instants from 2020 to 2040 (Norway's call windows and holidays in Oslo time,
/// the data owner's rules, a wash this month, last month or never, a daily cap) and over
/// random standings (companies and consumers, on the do-not-call list, reserved with and
/// without an exemption, checked this month, before or never, some called already), every
/// handout equals what `queue::select_next` picks with the gate `ContactGate::of` builds,
/// is never a customer the gate bars, and the census counts as `QueueCensus::of` does.
pub async fn reserve_next_obeys_the_gate_at_random_instants(store: SharedStore) {
    use cube_domain::contact_policy::ContactPolicy;
    use cube_domain::contact_policy::standing::{ContactRules, Wash};
    use cube_domain::time_zone::TimeZone;

    let s = setup(store.as_ref(), 24).await;
    let w = &s.world;
    let a = w.assignment.id();
    let zone = TimeZone::oslo();
    let policy = ContactPolicy::norway();
    let setup = AssignmentSetup {
        max_attempts: Some(3),
        ..AssignmentSetup::default()
    };
    let mut draws = Draws(0x5EED_C0DE_F00D);
    for round in 0..160_u64 {
        // 2020-01-01 to 2040-12-31, to the minute; every other round in daytime (07:00 to
        // 21:00 UTC), where the call window is open on working days.
        let minutes = i64::try_from(draws.below(21 * 366 * 24 * 60)).unwrap_or(0);
        let mut now = time::macros::datetime!(2020-01-01 00:00 UTC) + Duration::minutes(minutes);
        if round % 2 == 0 {
            let minute_of_day = i64::try_from(draws.below(14 * 60)).unwrap_or(0);
            now =
                now.replace_time(time::Time::MIDNIGHT) + Duration::minutes(7 * 60 + minute_of_day);
        }
        let days_ago =
            |draws: &mut Draws| Duration::days(i64::try_from(draws.below(70)).unwrap_or(0));

        // The customers' standings.
        {
            let mut uow = store.begin().await.expect("begin");
            for customer in &w.customers {
                let dataset = if draws.one_in(3) {
                    Dataset::B2b
                } else {
                    Dataset::B2c
                };
                let mut changed = Customer::new(
                    customer.id(),
                    &w.data_owner,
                    dataset,
                    customer.details().clone(),
                    if dataset == Dataset::B2b {
                        customer.fields().clone()
                    } else {
                        FieldValues::new()
                    },
                )
                .expect("a customer");
                if draws.one_in(8) {
                    changed.set_do_not_call(Some(
                        DoNotCall::new(now, Some(w.manager.id), "random").expect("valid"),
                    ));
                }
                if !draws.one_in(4) {
                    changed.set_register_check(RegisterCheck {
                        checked_on: zone.date_of(now - days_ago(&mut draws)),
                        reserved: draws.one_in(3),
                    });
                }
                if draws.one_in(4) {
                    changed.set_exemption(Some(Exemption::AskedToBeCalled {
                        at: now - Duration::days(1),
                        source: "random".into(),
                    }));
                }
                uow.save_customer(&changed).await.expect("save");
            }
            uow.commit().await.expect("commit");
        }
        // Some called a moment ago (a No answer by the manager), if free to.
        if draws.one_in(2) {
            let i = usize::try_from(draws.below(24)).unwrap_or(0);
            let _ = register_outcome(
                store.as_ref(),
                Registrar::Manager(w.manager.id),
                w.enrollments[i].id(),
                RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
                now - Duration::minutes(30),
                &s.ids,
            )
            .await;
        }

        let rules = ContactRules {
            consumer_call_windows: !draws.one_in(5),
            reservation_register: !draws.one_in(5),
            max_calls_per_day: (draws.one_in(3))
                .then(|| u32::try_from(draws.below(2) + 1).unwrap_or(1)),
        };
        let wash = (!draws.one_in(4)).then(|| Wash {
            at: now - days_ago(&mut draws),
            by: w.manager.id,
            register_numbers: 1,
            checked: 1,
            reserved: 0,
            exempted: 0,
        });
        let gate = ContactGate::of(&policy, rules, wash.as_ref(), now, &zone);
        let seller = w.sellers[usize::try_from(draws.below(3)).unwrap_or(0)].id;
        let mut r = request(a, &setup, seller, now);
        r.gate = gate;

        let (counted, want_census, customers, calls) = {
            let mut uow = store.begin_read().await.expect("begin");
            let stored = uow.enrollments(a).await.expect("read");
            let customers = customers_of(uow.as_mut(), &stored).await;
            let calls = calls_today(uow.as_mut(), &r.gate, &stored).await;
            let counted = uow.queue_census(&r).await.expect("census");
            let barred = |e| barred_by(&r.gate, &customers, &calls, e);
            let want = QueueCensus::of(&setup, stored.iter().map(|e| (e, barred(e))), seller, now);
            (counted, want, customers, calls)
        };
        assert_eq!(
            counted, want_census,
            "round {round} at {now} with {gate:?}: queue_census MUST count as QueueCensus::of"
        );
        let want = expected(store.as_ref(), &r).await;
        let got = next(store.as_ref(), &r).await;
        assert_eq!(
            got, want,
            "round {round} at {now} with {gate:?}: reserve_next MUST hand out what select_next picks"
        );
        if let Some(handout) = got {
            assert_eq!(
                barred_by(&r.gate, &customers, &calls, &handout.enrollment),
                None,
                "round {round}: never a customer the gate bars"
            );
            // Given back, so the next round starts from a free pool.
            let mut released = handout.enrollment.clone();
            released.release(seller);
            write(store.as_ref(), &[released]).await;
        }
    }
}

/// `reserve_next_with_customer` is `reserve_next` and then the customer of what it handed out,
/// in the same unit: the same handout (the reservation stored when the unit commits), the
/// enrollment's own customer beside it, and `None` when nothing is ready. (A dropped unit
/// leaving nothing behind is `reserve_next_is_undone_with_its_unit`'s.)
pub async fn reserve_next_with_customer_hands_out_the_customer_too(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let w = &s.world;
    let setup = w.assignment.setup().clone();
    let me = w.sellers[0].id;
    let r = request(w.assignment.id(), &setup, me, at(1));

    let mut uow = store.begin().await.expect("begin");
    let (handout, customer) = uow
        .reserve_next_with_customer(&r)
        .await
        .expect("reserve")
        .expect("a customer is ready");
    uow.commit().await.expect("commit");
    assert_eq!(handout.tier, Tier::Pool);
    assert_eq!(
        handout.enrollment.reservation(),
        Some(Reservation {
            seller: me,
            until: at(1) + setup.lease,
        })
    );
    let own = w
        .customers
        .iter()
        .find(|c| c.id() == handout.enrollment.customer())
        .expect("a world customer");
    assert_eq!(
        customer.as_ref(),
        Some(own),
        "the handed-out enrollment's own customer"
    );
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollment(handout.enrollment.id()).await.expect("read"),
        Some(handout.enrollment.clone()),
        "the reservation MUST be stored"
    );
    drop(uow);

    // The other customer, then nobody: `None`.
    let other = request(w.assignment.id(), &setup, w.sellers[1].id, at(1));
    let mut uow = store.begin().await.expect("begin");
    let (second, customer) = uow
        .reserve_next_with_customer(&other)
        .await
        .expect("reserve")
        .expect("the second customer");
    assert_ne!(second.enrollment.id(), handout.enrollment.id());
    assert_eq!(customer.map(|c| c.id()), Some(second.enrollment.customer()));
    uow.commit().await.expect("commit");
    let third = request(w.assignment.id(), &setup, w.sellers[2].id, at(1));
    let mut uow = store.begin().await.expect("begin");
    assert!(
        uow.reserve_next_with_customer(&third)
            .await
            .expect("reserve")
            .is_none(),
        "nobody is ready"
    );
}
