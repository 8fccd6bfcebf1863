//! The SQL tallies equal the domain's pure functions on the same data: random-ish outcome
//! logs over two assignments (every class, options, users and none, meetings, product lines
//! in two currencies at several prices, ties in time, appended out of time order) and
//! random-ish enrollments with CRM values of every type (decimals at several scales, missing
//! values), for several windows and assignment lists. The events span days, so a window is
//! read from the day and hour counters and the raw events at its ends (migration 0017); the
//! counters follow every later change to enrollments and customers.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cube_domain::assignment::setup::{AnalysisField, AssignmentSetup};
use cube_domain::customer::Customer;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::ids::{AssignmentId, MeetingId, OutcomeEventId, ProductId};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine};
use cube_domain::ports::Store;
use cube_domain::product::Currency;
use cube_domain::reports;
use cube_sqlite::SqliteStore;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

const ENROLLMENTS: u128 = 60;

fn random_event(rng: &mut Rng, n: u128) -> OutcomeEvent {
    let enrollment = u128::from(rng.below(u64::try_from(ENROLLMENTS).unwrap()));
    let from = rng.pick(&[TO_CALL, LEAD]);
    let out = rng.pick(&[
        O_LEAD,
        O_SALE,
        O_NO_SALE,
        O_EXCLUDE,
        O_NO_ANSWER,
        O_CALL_BACK,
        0,
    ]);
    let (class, to) = match out {
        O_LEAD => (OutcomeClass::Progress, LEAD),
        O_SALE => (OutcomeClass::Progress, SALE),
        O_NO_SALE => (OutcomeClass::Progress, NO_SALE),
        O_EXCLUDE => (OutcomeClass::Progress, EXCLUDED),
        O_NO_ANSWER => (OutcomeClass::NoAnswer, from),
        O_CALL_BACK => (OutcomeClass::CallBackLater, from),
        _ => (OutcomeClass::External, EXCLUDED),
    };
    let person = class != OutcomeClass::External && rng.chance(85);
    let products = (0..rng.below(3))
        .map(|_| ProductLine {
            product: ProductId::from_uuid(uuid(8, u128::from(rng.below(3)))),
            quantity: u32::try_from(rng.below(5)).unwrap() + 1,
            unit_price: Decimal::new(i64::try_from(rng.below(3)).unwrap() * 2500 + 990, 2),
            currency: Currency::parse(rng.pick(&["NOK", "NOK", "EUR"])).unwrap(),
        })
        .collect();
    OutcomeEvent::from(OutcomeEventRecord {
        id: OutcomeEventId::from_uuid(uuid(10, n)),
        assignment: assignment_id(enrollment % 2),
        enrollment: enrollment_id(enrollment),
        customer: customer_id(enrollment),
        // Few distinct instants over five days, so one enrollment often has two events at one
        // instant and a window meets day counters, hour counters and raw events.
        occurred_at: T0 + Duration::minutes(i64::try_from(rng.below(40)).unwrap() * 173),
        user: person.then(|| seller(u128::from(rng.below(3)))),
        outcome: (class != OutcomeClass::External).then(|| outcome(out)),
        class,
        option: rng
            .chance(25)
            .then(|| rng.pick(&["Video", "Physical", "video"]).to_owned()),
        from_state: state(from),
        to_state: state(to),
        to_category: category(to),
        fields: FieldValues::new(),
        products,
        meeting: rng.chance(20).then(|| MeetingId::from_uuid(uuid(11, n))),
        follow_up: None,
        note: None,
    })
}

fn random_customer(rng: &mut Rng, n: u128) -> Customer {
    let mut fields = FieldValues::new();
    if rng.chance(75) {
        let industry = rng.pick(&["Energy", "Retail", "retail", "Øst"]);
        fields.insert(key("industry"), FieldValue::Text(industry.to_owned()));
    }
    if rng.chance(75) {
        // 1.5, 1.50 and 1.500 display alike and must be one group.
        let scale = u32::try_from(rng.below(3)).unwrap();
        let whole = i64::try_from(rng.below(3)).unwrap() * 10 + 15;
        let value = Decimal::new(whole * 10i64.pow(scale), 1 + scale);
        fields.insert(key("revenue"), FieldValue::Decimal(value));
    }
    if rng.chance(60) {
        fields.insert(key("vip"), FieldValue::Boolean(rng.chance(50)));
    }
    if rng.chance(60) {
        let score = i64::try_from(rng.below(12)).unwrap() - 2;
        fields.insert(key("score"), FieldValue::Number(score));
    }
    customer(n, &owner(), fields)
}

fn random_enrollment(rng: &mut Rng, n: u128) -> Enrollment {
    let mut s = snapshot(assignment_id(n % 2), n);
    let at = rng.pick(&STATES);
    s.state = state(at);
    s.category = category(at);
    s.attempts = u32::try_from(rng.below(5)).unwrap();
    Enrollment::from(s)
}

fn in_window<'a>(
    events: &'a [OutcomeEvent],
    assignments: &[AssignmentId],
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> impl Iterator<Item = &'a OutcomeEvent> {
    let wanted: Vec<AssignmentId> = assignments.to_vec();
    events.iter().filter(move |e| {
        wanted.contains(&e.assignment()) && e.occurred_at() >= from && e.occurred_at() < to
    })
}

async fn check_seed(seed: u64) {
    let mut rng = Rng::new(seed);
    let store = SqliteStore::in_memory().await.unwrap();
    let setup = AssignmentSetup::default();
    seed_store(&store, &setup).await;
    let customers: Vec<Customer> = (0..ENROLLMENTS)
        .map(|n| random_customer(&mut rng, n))
        .collect();
    let enrollments: Vec<Enrollment> = (0..ENROLLMENTS)
        .map(|n| random_enrollment(&mut rng, n))
        .collect();
    insert(&store, &customers, &enrollments).await;
    let appended: Vec<OutcomeEvent> = (0..300).map(|n| random_event(&mut rng, n)).collect();
    let mut uow = store.begin().await.unwrap();
    for event in &appended {
        uow.append_event(event, None).await.unwrap();
    }
    uow.commit().await.unwrap();
    // The log's order: by time, append order breaking ties.
    let mut log = appended.clone();
    log.sort_by_key(|e| e.occurred_at());

    let (a0, a1) = (assignment_id(0), assignment_id(1));
    let windows = [
        (OffsetDateTime::UNIX_EPOCH, T0 + Duration::days(1)),
        (T0 + Duration::minutes(12), T0 + Duration::minutes(13)),
        (T0 + Duration::minutes(20), T0 + Duration::minutes(35)),
        (T0 + Duration::days(2), T0 + Duration::days(3)),
        (
            T0 - Duration::minutes(30),
            T0 + Duration::days(3) + Duration::minutes(17) + Duration::seconds(5),
        ),
        (T0 + Duration::minutes(90), T0 + Duration::hours(26)),
        (
            T0 + Duration::minutes(173),
            T0 + Duration::minutes(173 * 20),
        ),
        (T0 + Duration::days(1), T0 + Duration::days(9)),
    ];
    let lists: [&[AssignmentId]; 4] = [&[a0], &[a1], &[a0, a1], &[a1, a0, a1]];
    let mut uow = store.begin().await.unwrap();
    for (from, to) in windows {
        for assignments in lists {
            let expected = reports::tally_outcomes(in_window(&log, assignments, from, to));
            let got = uow.outcome_tally(assignments, from, to).await.unwrap();
            assert_eq!(got, expected, "outcome tally, seed {seed}, {from}..{to}");
            let expected =
                reports::tally_sold_products(in_window(&log, assignments, from, to)).expect("sums");
            let got = uow.sold_products(assignments, from, to).await.unwrap();
            assert_eq!(got, expected, "sold products, seed {seed}, {from}..{to}");
        }
    }

    let fields_of: BTreeMap<_, _> = customers.iter().map(|c| (c.id(), c.fields())).collect();
    let analysis = [
        AnalysisField::Crm(key("industry")),
        AnalysisField::Attempts,
        AnalysisField::Crm(key("revenue")),
        AnalysisField::Crm(key("vip")),
        AnalysisField::Crm(key("score")),
        AnalysisField::Crm(key("missing")),
        AnalysisField::Attempts,
    ];
    for assignment in [a0, a1, assignment_id(7)] {
        let mine: Vec<&Enrollment> = enrollments
            .iter()
            .filter(|e| e.assignment() == assignment)
            .collect();
        let got = uow.status_tally(assignment).await.unwrap();
        assert_eq!(got, reports::tally_status(mine.iter().copied()), "status");
        let expected = reports::tally_hits(
            &analysis,
            mine.iter().map(|e| (*e, fields_of[&e.customer()])),
        );
        let got = uow.hit_tally(assignment, &analysis).await.unwrap();
        assert_eq!(got, expected, "hits, seed {seed}");
        let owned: Vec<Enrollment> = mine.iter().map(|e| (*e).clone()).collect();
        let expected =
            reports::open_offers(&owned, log.iter().filter(|e| e.assignment() == assignment))
                .expect("sums");
        let got = uow.open_offers(assignment).await.unwrap();
        assert_eq!(got, expected, "open offers, seed {seed}");
    }
}

async fn seed_store(store: &dyn Store, setup: &AssignmentSetup) {
    seed(
        store,
        &[assignment(0, setup.clone()), assignment(1, setup.clone())],
    )
    .await;
}

#[tokio::test]
async fn sql_tallies_equal_the_pure_functions() {
    for seed in [1, 2, 3, 0xC0FFEE, 0xBADA55] {
        check_seed(seed).await;
    }
}

/// The status and hit tallies equal the pure functions over what is stored after customers
/// change their CRM values (or lose them all), enrollments move between states and attempts,
/// are removed or enrolled again in the other assignment, a customer arrives after its
/// concluded enrollment, and after a unit that changed things rolled back.
#[tokio::test]
async fn counters_follow_every_change_to_enrollments_and_customers() {
    let mut rng = Rng::new(0x5EED5);
    let store = SqliteStore::in_memory().await.unwrap();
    seed_store(&store, &AssignmentSetup::default()).await;
    let (a0, a1) = (assignment_id(0), assignment_id(1));
    let mut people: Vec<Customer> = (0..40).map(|n| random_customer(&mut rng, n)).collect();
    // Enrollments 40.. belong to customers saved later.
    let mut enrollments: Vec<Enrollment> =
        (0..50).map(|n| random_enrollment(&mut rng, n)).collect();
    insert(&store, &people, &enrollments).await;

    let analysis = [
        AnalysisField::Crm(key("industry")),
        AnalysisField::Crm(key("revenue")),
        AnalysisField::Crm(key("vip")),
        AnalysisField::Attempts,
    ];
    let check = |people: Vec<Customer>, enrollments: Vec<Enrollment>, when: &'static str| {
        let (store, analysis) = (&store, &analysis);
        async move {
            let fields_of: BTreeMap<_, _> = people
                .iter()
                .map(|c| (c.id(), c.fields().clone()))
                .collect();
            let none = FieldValues::new();
            let mut uow = store.begin_read().await.unwrap();
            for assignment in [a0, a1] {
                let mine: Vec<&Enrollment> = enrollments
                    .iter()
                    .filter(|e| e.assignment() == assignment)
                    .collect();
                assert_eq!(
                    uow.status_tally(assignment).await.unwrap(),
                    reports::tally_status(mine.iter().copied()),
                    "status of {assignment} {when}"
                );
                let pairs = mine
                    .iter()
                    .map(|e| (*e, fields_of.get(&e.customer()).unwrap_or(&none)));
                assert_eq!(
                    uow.hit_tally(assignment, analysis).await.unwrap(),
                    reports::tally_hits(analysis, pairs),
                    "hits of {assignment} {when}"
                );
            }
        }
    };
    check(people.clone(), enrollments.clone(), "after the first load").await;

    for round in 0..4u128 {
        let mut uow = store.begin().await.unwrap();
        for _ in 0..10 {
            let n = usize::try_from(rng.below(people.len() as u64)).unwrap();
            let mut changed =
                random_customer(&mut rng, people[n].id().as_uuid().as_u128() & 0xFFFF);
            if rng.chance(25) {
                changed = customer(
                    people[n].id().as_uuid().as_u128() & 0xFFFF,
                    &owner(),
                    FieldValues::new(),
                );
            }
            people[n] = changed;
            uow.save_customer(&people[n]).await.unwrap();
        }
        for _ in 0..15 {
            let n = usize::try_from(rng.below(enrollments.len() as u64)).unwrap();
            let mut s = enrollments[n].snapshot().clone();
            let at = rng.pick(&STATES);
            s.state = state(at);
            s.category = category(at);
            s.attempts += u32::try_from(rng.below(2)).unwrap();
            enrollments[n] = Enrollment::from(s);
            uow.update_enrollment(&enrollments[n]).await.unwrap();
        }
        // One leaves its assignment and is enrolled in the other (the update cannot move it).
        let n = usize::try_from(rng.below(enrollments.len() as u64)).unwrap();
        let other = if enrollments[n].assignment() == a0 {
            a1
        } else {
            a0
        };
        if !enrollments
            .iter()
            .any(|e| e.assignment() == other && e.customer() == enrollments[n].customer())
        {
            uow.delete_enrollment(enrollments[n].id()).await.unwrap();
            let mut s = enrollments[n].snapshot().clone();
            s.assignment = other;
            enrollments[n] = Enrollment::from(s);
            uow.insert_enrollment(&enrollments[n]).await.unwrap();
        }
        let gone =
            enrollments.remove(usize::try_from(rng.below(enrollments.len() as u64)).unwrap());
        uow.delete_enrollment(gone.id()).await.unwrap();
        let newcomer = random_customer(&mut rng, 40 + round);
        uow.save_customer(&newcomer).await.unwrap();
        people.push(newcomer);
        uow.commit().await.unwrap();
        check(
            people.clone(),
            enrollments.clone(),
            "after a round of changes",
        )
        .await;

        // A unit that changes things and rolls back leaves the counts as they were.
        let mut uow = store.begin().await.unwrap();
        for e in enrollments.iter().take(5) {
            let mut s = e.snapshot().clone();
            let at = rng.pick(&STATES);
            s.state = state(at);
            s.category = category(at);
            s.attempts += 1;
            uow.update_enrollment(&Enrollment::from(s)).await.unwrap();
        }
        uow.save_customer(&customer(0, &owner(), FieldValues::new()))
            .await
            .unwrap();
        drop(uow);
        check(people.clone(), enrollments.clone(), "after a rollback").await;
    }
}
