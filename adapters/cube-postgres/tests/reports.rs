//! The report tallies computed in SQL equal the domain's pure `reports::tally_*` functions
//! over the same data: random-ish events (every class, category, option, meetings, product
//! lines with prices at several scales and in two currencies, ties in time) and enrollments
//! (states, attempts, customers with CRM values of every type, some without a customer).

mod common;

use common::data::{T0, customer, enrollment, event, key, uuid, with};
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::customer::Customer;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, MeetingId, OutcomeId, ProductId, StateId, UserId};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine};
use cube_domain::ports::Store;
use cube_domain::product::Currency;
use cube_domain::reports;
use rust_decimal::Decimal;
use std::collections::HashMap;
use time::macros::date;
use time::{Duration, OffsetDateTime};

struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

const CATEGORIES: [StateCategory; 5] = [
    StateCategory::Available,
    StateCategory::Open,
    StateCategory::Yes,
    StateCategory::No,
    StateCategory::Excluded,
];

/// State `k` has category `CATEGORIES[k % 5]` (two states per category).
fn state(k: u64) -> (StateId, StateCategory) {
    (
        StateId::from_uuid(uuid(0x5_0000 + u128::from(k))),
        CATEGORIES[(k % 5) as usize],
    )
}

fn assignments() -> [AssignmentId; 3] {
    [0xA1, 0xA2, 0xA3].map(|n| AssignmentId::from_uuid(uuid(n)))
}

fn fields(dice: &mut Dice) -> FieldValues {
    let mut fields = FieldValues::new();
    if dice.roll(5) > 0 {
        let industry = ["Energy", "Retail", "Shipping"][dice.roll(3) as usize];
        fields.insert(key("industry"), FieldValue::Choice(industry.into()));
    }
    if dice.roll(3) > 0 {
        // 1.0 and 1.00 display alike, so they are one group.
        let revenue = [
            Decimal::new(10, 1),
            Decimal::new(100, 2),
            Decimal::new(25, 1),
            Decimal::new(-3, 0),
        ];
        fields.insert(
            key("revenue"),
            FieldValue::Decimal(revenue[dice.roll(4) as usize]),
        );
    }
    if dice.roll(2) > 0 {
        fields.insert(
            key("founded"),
            FieldValue::Date(date!(2001 - 01 - 01) + Duration::days(dice.roll(3) as i64 * 400)),
        );
    }
    if dice.roll(2) > 0 {
        fields.insert(key("vip"), FieldValue::Boolean(dice.roll(2) == 1));
    }
    if dice.roll(2) > 0 {
        fields.insert(
            key("employees"),
            FieldValue::Number(dice.roll(30) as i64 - 3),
        );
    }
    fields
}

fn line(dice: &mut Dice) -> ProductLine {
    ProductLine {
        product: ProductId::from_uuid(uuid(0x9000 + u128::from(dice.roll(3)))),
        quantity: 1 + dice.roll(9) as u32,
        unit_price: Decimal::new(dice.roll(100_000) as i64, dice.roll(5) as u32),
        currency: Currency::parse(["NOK", "EUR"][dice.roll(2) as usize]).expect("valid"),
    }
}

fn random_event(dice: &mut Dice, n: u128, on: &Enrollment) -> OutcomeEvent {
    let (to, category) = state(dice.roll(10));
    // Over three days, at any second: windows cut rollup hours and days anywhere.
    let at = T0 + Duration::seconds(dice.roll(3 * 86_400) as i64);
    let mut e = OutcomeEventRecord::from(event(n, on, to, category, at));
    e.class = [
        OutcomeClass::Progress,
        OutcomeClass::NoAnswer,
        OutcomeClass::CallBackLater,
        OutcomeClass::External,
    ][dice.roll(4) as usize];
    if e.class != OutcomeClass::External {
        e.outcome = Some(OutcomeId::from_uuid(uuid(
            0x0C00 + u128::from(dice.roll(4)),
        )));
        e.user =
            (dice.roll(4) > 0).then(|| UserId::from_uuid(uuid(0x0500 + u128::from(dice.roll(3)))));
        e.option = [None, Some("Video".to_owned()), Some("Fysisk".to_owned())]
            [dice.roll(3) as usize]
            .clone();
        e.meeting = (dice.roll(4) == 0).then(|| MeetingId::from_uuid(uuid(0x3000 + n)));
        e.products = (0..dice.roll(4)).map(|_| line(dice)).collect();
    }
    e.into()
}

#[tokio::test]
async fn sql_tallies_equal_the_domain_tallies() {
    let store = common::fresh_store().await;
    let mut dice = Dice(0x00C0_FFEE);
    let people: Vec<Customer> = (0..50).map(|n| customer(n, fields(&mut dice))).collect();

    let mut enrollments = Vec::new();
    for n in 0..90u128 {
        let assignment = assignments()[(n % 3) as usize];
        // Customers 50 and up do not exist: no CRM values.
        let e = enrollment(assignment, n, n, n as u64);
        let (state, category) = state(dice.roll(10));
        enrollments.push(with(&e, |s| {
            s.state = state;
            s.category = category;
            s.attempts = dice.roll(5) as u32;
        }));
    }
    let mut events = Vec::new();
    for n in 0..400u128 {
        let on = &enrollments[dice.roll(enrollments.len() as u64) as usize];
        events.push(random_event(&mut dice, n, on));
    }

    let mut uow = store.begin().await.expect("begin");
    for c in &people {
        uow.save_customer(c).await.expect("save customer");
    }
    for e in &enrollments {
        uow.insert_enrollment(e).await.expect("enroll");
    }
    for e in &events {
        uow.append_event(e, None).await.expect("append");
    }
    uow.commit().await.expect("commit");

    // The log in the order the in-memory store keeps it: by time, append order for ties.
    let mut log = events.clone();
    log.sort_by_key(|e| e.occurred_at());
    let [a1, a2, a3] = assignments();
    let mut uow = store.begin().await.expect("begin");
    let windows: [(&[AssignmentId], OffsetDateTime, OffsetDateTime); 4] = [
        (
            &[a1, a2],
            OffsetDateTime::UNIX_EPOCH,
            T0 + Duration::days(1),
        ),
        (
            &[a1, a1, a3],
            T0 + Duration::minutes(60),
            T0 + Duration::minutes(2000),
        ),
        (
            &[a2],
            T0 + Duration::minutes(17),
            T0 + Duration::minutes(18),
        ),
        (&[], OffsetDateTime::UNIX_EPOCH, T0 + Duration::days(1)),
    ];
    // And windows of every size starting anywhere, cutting hours and days.
    let all = [a1, a2, a3];
    let mut random_windows = Vec::new();
    for n in 0..40 {
        let from = T0 + Duration::seconds(dice.roll(4 * 86_400) as i64 - 86_400);
        let length = Duration::seconds(dice.roll([4_000, 90_000, 300_000][n % 3]) as i64);
        random_windows.push((&all[..], from, from + length));
    }
    for (wanted, from, to) in windows.into_iter().chain(random_windows) {
        let chosen: Vec<&OutcomeEvent> = log
            .iter()
            .filter(|e| {
                wanted.contains(&e.assignment()) && e.occurred_at() >= from && e.occurred_at() < to
            })
            .collect();
        let tally = uow
            .outcome_tally(wanted, from, to)
            .await
            .expect("outcome tally");
        assert_eq!(
            tally,
            reports::tally_outcomes(chosen.iter().copied()),
            "outcomes {wanted:?} {from} {to}"
        );
        let sold = uow
            .sold_products(wanted, from, to)
            .await
            .expect("sold products");
        assert_eq!(
            sold,
            reports::tally_sold_products(chosen.iter().copied()).expect("sums"),
            "sold {wanted:?}"
        );
    }
    assert!(
        uow.outcome_tally(&[a1], OffsetDateTime::UNIX_EPOCH, T0 + Duration::days(1))
            .await
            .expect("tally")
            .iter()
            .any(|r| r.product_units > 0)
    );

    let by_id: HashMap<_, _> = people.iter().map(|c| (c.id(), c)).collect();
    let empty = FieldValues::new();
    let analysis = [
        AnalysisField::Crm(key("industry")),
        AnalysisField::Attempts,
        AnalysisField::Crm(key("revenue")),
        AnalysisField::Crm(key("founded")),
        AnalysisField::Crm(key("vip")),
        AnalysisField::Crm(key("employees")),
        AnalysisField::Crm(key("nowhere")),
        AnalysisField::Attempts,
    ];
    let (mut offers_seen, mut hits_seen) = (0, 0);
    for assignment in assignments() {
        let mine: Vec<Enrollment> = enrollments
            .iter()
            .filter(|e| e.assignment() == assignment)
            .cloned()
            .collect();
        assert_eq!(
            uow.status_tally(assignment).await.expect("status"),
            reports::tally_status(&mine)
        );
        let pairs = mine
            .iter()
            .map(|e| (e, by_id.get(&e.customer()).map_or(&empty, |c| c.fields())));
        let hits = uow.hit_tally(assignment, &analysis).await.expect("hits");
        assert_eq!(
            hits,
            reports::tally_hits(&analysis, pairs),
            "hits of {assignment}"
        );
        hits_seen += hits.len();
        let own_events = log.iter().filter(|e| e.assignment() == assignment);
        let offers = reports::open_offers(&mine, own_events).expect("sums");
        assert_eq!(uow.open_offers(assignment).await.expect("offers"), offers);
        offers_seen += offers.len();
    }
    assert!(
        offers_seen > 0 && hits_seen > 20,
        "the data exercises every tally"
    );
    let unknown = AssignmentId::from_uuid(uuid(0xFFFF));
    assert!(uow.status_tally(unknown).await.expect("status").is_empty());
    assert!(
        uow.hit_tally(unknown, &analysis)
            .await
            .expect("hits")
            .is_empty()
    );
    assert!(uow.open_offers(unknown).await.expect("offers").is_empty());
}

/// The counters the SQL reports read are kept by triggers: after customers change their CRM
/// values, enrollments move between states and attempts, are moved or removed, a customer
/// arrives after its concluded enrollment, and a rolled-back unit, the status and hit tallies
/// still equal the pure functions over what is stored.
#[tokio::test]
async fn counters_follow_every_change_to_enrollments_and_customers() {
    let store = common::fresh_store().await;
    let mut dice = Dice(0x0005_EED5);
    let mut people: Vec<Customer> = (0..40).map(|n| customer(n, fields(&mut dice))).collect();
    let [a1, a2, _] = assignments();
    let mut enrollments: Vec<Enrollment> = (0..60u128)
        .map(|n| {
            let e = enrollment([a1, a2][(n % 2) as usize], n, n, n as u64);
            let (state, category) = state(dice.roll(10));
            with(&e, |s| {
                s.state = state;
                s.category = category;
                s.attempts = dice.roll(4) as u32;
            })
        })
        .collect();
    // Customers 40.. are saved only after their enrollments.
    let mut uow = store.begin().await.expect("begin");
    for c in &people {
        uow.save_customer(c).await.expect("save customer");
    }
    for e in &enrollments {
        uow.insert_enrollment(e).await.expect("enroll");
    }
    uow.commit().await.expect("commit");

    let analysis = [
        AnalysisField::Crm(key("industry")),
        AnalysisField::Crm(key("revenue")),
        AnalysisField::Crm(key("vip")),
        AnalysisField::Attempts,
    ];
    let check = |people: Vec<Customer>, enrollments: Vec<Enrollment>, when: &'static str| {
        let store = &store;
        let analysis = &analysis;
        async move {
            let by_id: HashMap<_, _> = people.iter().map(|c| (c.id(), c.clone())).collect();
            let empty = FieldValues::new();
            let mut uow = store.begin().await.expect("begin");
            for assignment in [a1, a2] {
                let mine: Vec<&Enrollment> = enrollments
                    .iter()
                    .filter(|e| e.assignment() == assignment)
                    .collect();
                let owned: Vec<Enrollment> = mine.iter().map(|e| (*e).clone()).collect();
                assert_eq!(
                    uow.status_tally(assignment).await.expect("status"),
                    reports::tally_status(&owned),
                    "status of {assignment} {when}"
                );
                let pairs = mine
                    .iter()
                    .map(|e| (*e, by_id.get(&e.customer()).map_or(&empty, |c| c.fields())));
                assert_eq!(
                    uow.hit_tally(assignment, analysis).await.expect("hits"),
                    reports::tally_hits(analysis, pairs),
                    "hits of {assignment} {when}"
                );
            }
        }
    };
    check(people.clone(), enrollments.clone(), "after the first load").await;

    for round in 0..4 {
        let mut uow = store.begin().await.expect("begin");
        // Some customers get new CRM values, some lose them all.
        for _ in 0..10 {
            let n = dice.roll(people.len() as u64) as usize;
            let values = if dice.roll(4) == 0 {
                FieldValues::new()
            } else {
                fields(&mut dice)
            };
            people[n] = customer(n as u128, values);
            uow.save_customer(&people[n]).await.expect("save customer");
        }
        // Enrollments change state and attempts; one moves to the other assignment (an
        // update cannot move one: it is removed and enrolled there).
        for _ in 0..15 {
            let n = dice.roll(enrollments.len() as u64) as usize;
            let (state, category) = state(dice.roll(10));
            let moved = with(&enrollments[n], |s| {
                s.state = state;
                s.category = category;
                s.attempts = s.attempts.saturating_add(dice.roll(2) as u32);
            });
            enrollments[n] = moved;
            uow.update_enrollment(&enrollments[n])
                .await
                .expect("update");
        }
        let n = dice.roll(enrollments.len() as u64) as usize;
        let other = if enrollments[n].assignment() == a1 {
            a2
        } else {
            a1
        };
        if !enrollments
            .iter()
            .any(|e| e.assignment() == other && e.customer() == enrollments[n].customer())
        {
            uow.delete_enrollment(enrollments[n].id())
                .await
                .expect("remove");
            enrollments[n] = with(&enrollments[n], |s| s.assignment = other);
            uow.insert_enrollment(&enrollments[n]).await.expect("move");
        }
        // One is removed.
        let gone = enrollments.remove(dice.roll(enrollments.len() as u64) as usize);
        uow.delete_enrollment(gone.id()).await.expect("delete");
        // A missing customer arrives.
        let newcomer = customer(40 + round, fields(&mut dice));
        uow.save_customer(&newcomer).await.expect("save newcomer");
        people.push(newcomer);
        uow.commit().await.expect("commit");
        check(
            people.clone(),
            enrollments.clone(),
            "after a round of changes",
        )
        .await;

        // A unit that changes things and rolls back leaves the counts as they were.
        let mut uow = store.begin().await.expect("begin");
        for e in enrollments.iter().take(5) {
            let (state, category) = state(dice.roll(10));
            let changed = with(e, |s| {
                s.state = state;
                s.category = category;
                s.attempts += 1;
            });
            uow.update_enrollment(&changed).await.expect("update");
        }
        uow.save_customer(&customer(0, FieldValues::new()))
            .await
            .expect("save customer");
        drop(uow); // rolled back
        check(people.clone(), enrollments.clone(), "after a rollback").await;
    }
}

/// The status counters are striped by connection (migration 0026): what one unit moves lands
/// on its connection's stripe, whatever the enrollments' ids, and the tally of counts written
/// by several connections at once, some moving what others moved, is still exact.
#[tokio::test]
async fn status_counts_written_by_several_connections_add_up() {
    let store = common::fresh_store().await;
    let [a1, _, _] = assignments();
    let (start, _) = state(0);
    let mut enrollments: Vec<Enrollment> = (0..40u128)
        .map(|n| with(&enrollment(a1, n, n, n as u64), |s| s.state = start))
        .collect();
    let mut uow = store.begin().await.expect("begin");
    for e in &enrollments {
        uow.insert_enrollment(e).await.expect("enroll");
    }
    uow.commit().await.expect("commit");

    // Three units begun at once (three connections), each moving ten enrollments whose ids
    // end in ten different bytes to a state of its own, one unit after the other (two
    // connections whose pids share their low bits would share a stripe, and this one task
    // must not wait for its own lock).
    let mut units = Vec::new();
    for _ in 0..3 {
        units.push(store.begin().await.expect("begin"));
    }
    for (u, mut uow) in units.into_iter().enumerate() {
        let (to, category) = state([1, 6, 11][u]);
        for e in enrollments.iter_mut().skip(u * 10).take(10) {
            *e = with(e, |s| {
                s.state = to;
                s.category = category;
                s.attempts = 1;
            });
            uow.update_enrollment(e).await.expect("update");
        }
        uow.commit().await.expect("commit");
    }
    let stripes: Vec<i64> = sqlx::query_scalar(
        "SELECT count(DISTINCT stripe) FROM status_counts WHERE state_id = $1 AND customers <> 0",
    )
    .bind(state(1).0.as_uuid())
    .fetch_all(store.pool())
    .await
    .expect("stripes");
    assert_eq!(
        stripes,
        vec![1],
        "one unit's counts land on its connection's stripe"
    );

    // Then the first ten move back to the start, from another connection than the one
    // that moved them.
    let (next, category) = state(0);
    let held = store.begin().await.expect("begin");
    let mut other = store.begin().await.expect("begin another");
    for e in enrollments.iter_mut().take(10) {
        *e = with(e, |s| {
            s.state = next;
            s.category = category;
            s.attempts = 2;
        });
        other.update_enrollment(e).await.expect("update");
    }
    other.commit().await.expect("commit");
    drop(held);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.status_tally(a1).await.expect("status"),
        reports::tally_status(&enrollments),
        "the status tally over every connection's stripes"
    );
}

/// The hit counters are striped by connection too (migration 0040): a unit concluding
/// customers whose enrollments' ids end in ten different bytes writes its counts on its
/// connection's stripe alone, and the hit tally of counts written by several connections,
/// one taking back what another counted, is still exact.
#[tokio::test]
async fn hit_counts_written_by_several_connections_add_up() {
    let store = common::fresh_store().await;
    let [a1, _, _] = assignments();
    let (start, _) = state(0);
    let people: Vec<Customer> = (0..30u128)
        .map(|n| {
            let mut fields = FieldValues::new();
            let industry = ["fishing", "shipping"][(n % 2) as usize];
            fields.insert(key("industry"), FieldValue::Text(industry.into()));
            customer(n, fields)
        })
        .collect();
    let mut enrollments: Vec<Enrollment> = (0..30u128)
        .map(|n| with(&enrollment(a1, n, n, n as u64), |s| s.state = start))
        .collect();
    let mut uow = store.begin().await.expect("begin");
    for c in &people {
        uow.save_customer(c).await.expect("save customer");
    }
    for e in &enrollments {
        uow.insert_enrollment(e).await.expect("enroll");
    }
    uow.commit().await.expect("commit");

    // Three units begun at once (three connections), each concluding ten customers (Yes,
    // No, Yes), one unit after the other.
    let mut units = Vec::new();
    for _ in 0..3 {
        units.push(store.begin().await.expect("begin"));
    }
    for (u, mut uow) in units.into_iter().enumerate() {
        let (to, category) = state([2, 3, 7][u]);
        for e in enrollments.iter_mut().skip(u * 10).take(10) {
            *e = with(e, |s| {
                s.state = to;
                s.category = category;
                s.attempts = 1;
            });
            uow.update_enrollment(e).await.expect("update");
        }
        uow.commit().await.expect("commit");
        if u == 0 {
            let stripes: i64 = sqlx::query_scalar(
                "SELECT count(DISTINCT stripe) FROM hit_counts
                 WHERE assignment_id = $1 AND (yes <> 0 OR no <> 0)",
            )
            .bind(a1.as_uuid())
            .fetch_one(store.pool())
            .await
            .expect("stripes");
            assert_eq!(
                stripes, 1,
                "one unit's counts land on its connection's stripe"
            );
        }
    }

    // The first ten leave Yes again, from another connection than the one that counted them.
    let (back, category) = state(1);
    let held = store.begin().await.expect("begin");
    let mut other = store.begin().await.expect("begin another");
    for e in enrollments.iter_mut().take(10) {
        *e = with(e, |s| {
            s.state = back;
            s.category = category;
            s.attempts = 2;
        });
        other.update_enrollment(e).await.expect("update");
    }
    other.commit().await.expect("commit");
    drop(held);

    let analysis = [AnalysisField::Crm(key("industry")), AnalysisField::Attempts];
    let by_id: HashMap<_, _> = people.iter().map(|c| (c.id(), c)).collect();
    let empty = FieldValues::new();
    let pairs = enrollments
        .iter()
        .map(|e| (e, by_id.get(&e.customer()).map_or(&empty, |c| c.fields())));
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.hit_tally(a1, &analysis).await.expect("hits"),
        reports::tally_hits(&analysis, pairs),
        "the hit tally over every connection's stripes"
    );
}
