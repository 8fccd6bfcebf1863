//! `reserve_next` against the domain's reference order, and under load: the statement must
//! pick exactly what `queue::select_next` picks (every priority rule, CRM field values of
//! every type, follow-ups, leases, retry times, closed categories), and 32 sellers on two
//! connection pools (two "server processes") must drain an assignment with every enrollment
//! handed out exactly once, each seller's own due follow-ups first.

mod common;

use common::data::{T0, customer, enrollment, key, owner_id, uuid, with};
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule, Segment};
use cube_domain::customer::Customer;
use cube_domain::enrollment::{Enrollment, FollowUp, Reservation};
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, EnrollmentId, SegmentId, UserId};
use cube_domain::ports::{NextCustomerRequest, Store};
use cube_domain::queue::{Candidate, Tier, select_next};
use cube_domain::values::Name;
use cube_postgres::PgStore;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::macros::date;
use time::{Duration, OffsetDateTime};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
    fn minutes(&mut self, around: i64) -> OffsetDateTime {
        T0 + Duration::minutes(self.roll(2 * around as u64 + 1) as i64 - around)
    }
}

fn seller(n: u128) -> UserId {
    UserId::from_uuid(uuid(0x0500 + n))
}

fn segment(n: u128) -> SegmentId {
    SegmentId::from_uuid(uuid(0x5E00 + n))
}

/// A value of some type for the `score` field, or none; several types on one key.
fn score(dice: &mut Dice) -> Option<FieldValue> {
    let texts = [
        "apple",
        "Zebra",
        "",
        "Ørsta",
        "ä",
        "apple pie",
        "Apple",
        "z",
    ];
    Some(match dice.roll(8) {
        0 => return None,
        1 => FieldValue::Text(texts[dice.roll(texts.len() as u64) as usize].to_owned()),
        2 => FieldValue::Number(dice.roll(400) as i64 - 200),
        3 => FieldValue::Decimal(Decimal::new(
            dice.roll(20_000) as i64 - 10_000,
            dice.roll(4) as u32,
        )),
        4 => FieldValue::Date(date!(1999 - 12 - 31) + Duration::days(dice.roll(9_000) as i64)),
        5 => FieldValue::Boolean(dice.roll(2) == 1),
        6 => FieldValue::Choice(["Retail", "Energy", "shipping"][dice.roll(3) as usize].to_owned()),
        _ => FieldValue::Number(7),
    })
}

fn customers(dice: &mut Dice, count: u128) -> Vec<Customer> {
    (0..count)
        .map(|n| {
            let mut fields = FieldValues::new();
            if let Some(value) = score(dice) {
                fields.insert(key("score"), value);
            }
            if dice.roll(3) > 0 {
                fields.insert(
                    key("region"),
                    FieldValue::Text(["Nord", "Sør", "Vest"][dice.roll(3) as usize].into()),
                );
            }
            customer(n, fields)
        })
        .collect()
}

/// Enrollments of every kind the queue must tell apart.
fn enrollments(
    dice: &mut Dice,
    assignment: AssignmentId,
    base: u128,
    count: u128,
) -> Vec<Enrollment> {
    (0..count)
        .map(|n| {
            // Customer `count` and above do not exist: no field values.
            let e = enrollment(
                assignment,
                base + n,
                n + dice.roll(2) as u128 * 1000,
                dice.roll(50),
            );
            with(&e, |s| {
                s.category = match dice.roll(10) {
                    0..=5 => StateCategory::Available,
                    6 | 7 => StateCategory::Open,
                    8 => StateCategory::Yes,
                    _ => StateCategory::Excluded,
                };
                s.segment = match dice.roll(5) {
                    0 => None,
                    4 => Some(segment(99)), // not in the setup
                    k => Some(segment(k as u128)),
                };
                s.attempts = dice.roll(4) as u32;
                s.last_contact = (dice.roll(3) > 0).then(|| dice.minutes(600));
                s.no_answer_at = (dice.roll(4) == 0).then(|| dice.minutes(60) - Duration::hours(2));
                s.follow_up = match dice.roll(6) {
                    0 => Some(FollowUp {
                        due: dice.minutes(120),
                        owner: Some(seller(dice.roll(3) as u128)),
                    }),
                    1 => Some(FollowUp {
                        due: dice.minutes(120),
                        owner: None,
                    }),
                    _ => None,
                };
                s.reservation = (dice.roll(6) == 0).then(|| Reservation {
                    seller: seller(dice.roll(3) as u128),
                    until: dice.minutes(30),
                });
            })
        })
        .collect()
}

fn setup_with(priority: Vec<PriorityRule>) -> AssignmentSetup {
    AssignmentSetup {
        segments: (1..=3)
            .map(|k| Segment {
                id: segment(4 - k),
                name: Name::parse(&format!("Segment {k}")).expect("valid"),
            })
            .collect(),
        priority,
        ..AssignmentSetup::default()
    }
}

/// What `select_next` picks from the stored state, as (enrollment, tier).
async fn reference_pick(
    store: &PgStore,
    assignment: AssignmentId,
    setup: &AssignmentSetup,
    seller: UserId,
    now: OffsetDateTime,
) -> Option<(Enrollment, Tier)> {
    let mut uow = store.begin().await.expect("begin");
    let enrollments = uow.enrollments(assignment).await.expect("enrollments");
    let ids: Vec<_> = enrollments.iter().map(Enrollment::customer).collect();
    let customers: HashMap<_, _> = uow
        .customers_by_id(&ids)
        .await
        .expect("customers")
        .into_iter()
        .map(|c| (c.id(), c))
        .collect();
    let empty = FieldValues::new();
    let candidates = enrollments.iter().map(|e| Candidate {
        enrollment: e,
        fields: customers
            .get(&e.customer())
            .map_or(&empty, Customer::fields),
        barred: None,
    });
    select_next(setup, seller, now, candidates).map(|(c, tier)| (c.enrollment.clone(), tier))
}

#[tokio::test]
async fn reserve_next_hands_out_in_exactly_the_order_of_select_next() {
    let store = common::fresh_store().await;
    let mut dice = Dice(0x5EED_CAFE);
    let rule_sets: Vec<Vec<PriorityRule>> = vec![
        vec![PriorityRule::SegmentOrder, PriorityRule::ImportOrder],
        vec![PriorityRule::Field(key("score"), Direction::Ascending)],
        vec![
            PriorityRule::Field(key("score"), Direction::Descending),
            PriorityRule::FewestAttempts,
        ],
        vec![
            PriorityRule::Field(key("region"), Direction::Descending),
            PriorityRule::LongestSinceLastContact,
            PriorityRule::Field(key("score"), Direction::Ascending),
        ],
        vec![
            PriorityRule::FewestAttempts,
            PriorityRule::SegmentOrder,
            PriorityRule::LongestSinceLastContact,
        ],
        vec![],
    ];
    let people = customers(&mut dice, 80);
    let mut uow = store.begin().await.expect("begin");
    for c in &people {
        uow.save_customer(c).await.expect("save customer");
    }
    uow.commit().await.expect("commit");
    assert_eq!(people[0].data_owner(), owner_id());

    for (k, priority) in rule_sets.into_iter().enumerate() {
        let assignment = AssignmentId::from_uuid(uuid(0xA000 + k as u128));
        let setup = setup_with(priority);
        let mut uow = store.begin().await.expect("begin");
        for e in enrollments(&mut dice, assignment, 1000 * k as u128, 120) {
            uow.insert_enrollment(&e).await.expect("enroll");
        }
        uow.commit().await.expect("commit");

        let mut handed_out = 0;
        for turn in 0.. {
            let who = seller(turn % 3);
            let now = T0 + Duration::minutes(turn as i64 / 10);
            let expected = reference_pick(&store, assignment, &setup, who, now).await;
            let request = NextCustomerRequest {
                assignment,
                seller: who,
                now,
                setup: setup.clone(),
                gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
            };
            let got = store.reserve_next(&request).await.expect("reserve_next");
            let expected = expected.map(|(mut e, tier)| {
                e.reserve(who, now, setup.lease)
                    .expect("select_next picks reservable ones");
                (e, tier)
            });
            assert_eq!(
                got.map(|h| (h.enrollment, h.tier)),
                expected,
                "rules {:?}, turn {turn}",
                setup.priority
            );
            let Some((handed, _)) = expected else {
                break;
            };
            handed_out += 1;
            // Passed on to a bystander, so the seller is not handed it back as held.
            let mut uow = store.begin().await.expect("begin");
            uow.enrollment(handed.id()).await.expect("read");
            let passed_on = with(&handed, |s| {
                s.reservation = s.reservation.map(|r| Reservation {
                    seller: seller(77),
                    ..r
                });
            });
            uow.update_enrollment(&passed_on).await.expect("pass on");
            uow.commit().await.expect("commit");
        }
        assert!(
            handed_out > 30,
            "the data exercises the queue ({handed_out} handed out)"
        );
    }
}

/// 400 enrollments: two due personal follow-ups per seller, due shared follow-ups, some
/// never to be handed out, the rest in three segments and none. Returns the ids that must
/// be handed out, and each seller's own follow-ups.
async fn seed_for_sellers(
    store: &PgStore,
    assignment: AssignmentId,
    base: u128,
    sellers: u128,
) -> (
    HashSet<EnrollmentId>,
    BTreeMap<UserId, HashSet<EnrollmentId>>,
) {
    let mut eligible = HashSet::new();
    let mut personal: BTreeMap<UserId, HashSet<_>> = BTreeMap::new();
    let mut uow = store.begin().await.expect("begin");
    for n in 0..400u128 {
        let e = enrollment(assignment, base + n, base + n, n as u64 + 1);
        let e = match n {
            // Two due personal follow-ups per seller.
            0..64 => with(&e, |s| {
                s.category = StateCategory::Open;
                s.follow_up = Some(FollowUp {
                    due: T0 - Duration::minutes(n as i64),
                    owner: Some(seller(n % sellers)),
                });
            }),
            // Due shared follow-ups.
            64..96 => with(&e, |s| {
                s.follow_up = Some(FollowUp {
                    due: T0 - Duration::minutes(1),
                    owner: None,
                })
            }),
            // Never handed out: not due yet, concluded, held by someone else.
            96..104 => with(&e, |s| {
                s.follow_up = Some(FollowUp {
                    due: T0 + Duration::hours(1),
                    owner: None,
                })
            }),
            104..112 => with(&e, |s| s.category = StateCategory::Yes),
            112..120 => with(&e, |s| {
                s.reservation = Some(Reservation {
                    seller: seller(99),
                    until: T0 + Duration::minutes(5),
                })
            }),
            _ => with(&e, |s| {
                s.segment = (n % 4 > 0).then(|| segment(n % 4));
                s.attempts = (n % 3) as u32;
            }),
        };
        if !(96..120).contains(&n) {
            eligible.insert(e.id());
        }
        if let Some(FollowUp {
            owner: Some(owner), ..
        }) = e.follow_up()
        {
            personal.entry(owner).or_default().insert(e.id());
        }
        uow.insert_enrollment(&e).await.expect("enroll");
    }
    uow.commit().await.expect("commit");
    (eligible, personal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_sellers_on_two_pools_get_each_enrollment_once_follow_ups_first() {
    const SELLERS: u128 = 32;
    let options = common::fresh_database().await;
    let first = common::store_on(options.clone()).await;
    first.migrate().await.expect("migrate");
    let second = common::store_on(options).await;
    // Each of the pool's plans: import order, the segment ladder, sorted by rules.
    let setups = [
        AssignmentSetup::default(),
        setup_with(vec![PriorityRule::SegmentOrder, PriorityRule::ImportOrder]),
        setup_with(vec![
            PriorityRule::FewestAttempts,
            PriorityRule::SegmentOrder,
        ]),
    ];
    for (round, setup) in setups.into_iter().enumerate() {
        let assignment = AssignmentId::from_uuid(uuid(0xA100 + round as u128));
        let (eligible, personal) =
            seed_for_sellers(&first, assignment, 1000 * round as u128, SELLERS).await;
        let mut sellers = Vec::new();
        for n in 0..SELLERS {
            let store = if n % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            let request = NextCustomerRequest {
                assignment,
                seller: seller(n),
                now: T0,
                setup: setup.clone(),
                gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
            };
            sellers.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while let Some(handout) = store.reserve_next(&request).await.expect("reserve_next")
                {
                    assert_eq!(handout.enrollment.holder(T0), Some(request.seller));
                    got.push((handout.enrollment.id(), handout.tier));
                    // Passed on to a bystander, so this seller is not handed it back as held.
                    let mut uow = store.begin().await.expect("begin");
                    uow.enrollment(handout.enrollment.id()).await.expect("read");
                    let passed_on = with(&handout.enrollment, |s| {
                        s.reservation = s.reservation.map(|r| Reservation {
                            seller: seller(1000),
                            ..r
                        });
                    });
                    uow.update_enrollment(&passed_on).await.expect("pass on");
                    uow.commit().await.expect("commit");
                }
                (request.seller, got)
            }));
        }
        let mut seen = HashSet::new();
        for task in sellers {
            let (who, got) = task.await.expect("seller task");
            let tiers: Vec<Tier> = got.iter().map(|(_, tier)| *tier).collect();
            assert!(
                tiers.is_sorted(),
                "{who}: own follow-ups, then shared, then the pool: {tiers:?}"
            );
            let mine: HashSet<_> = got
                .iter()
                .filter(|(_, tier)| *tier == Tier::PersonalFollowUp)
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(
                Some(&mine),
                personal.get(&who),
                "{who} gets exactly their own follow-ups"
            );
            for (id, _) in got {
                assert!(seen.insert(id), "enrollment {id} handed out twice");
            }
        }
        assert_eq!(
            seen, eligible,
            "round {round}: every ready enrollment is handed out, nothing else"
        );
    }
}

/// The shared buffers a statement's plan touched (hit or read), from `EXPLAIN (ANALYZE,
/// BUFFERS, FORMAT JSON)`: a count of pages, the same on every machine, unlike a time.
fn pages_touched(plan: &serde_json::Value) -> u64 {
    let node = &plan[0]["Plan"];
    ["Shared Hit Blocks", "Shared Read Blocks"]
        .iter()
        .filter_map(|key| node[*key].as_u64())
        .sum()
}

/// A uuid as an SQL literal.
fn uuid_literal(id: uuid::Uuid) -> String {
    format!("'{id}'::uuid")
}

/// An instant as an SQL literal, to the microsecond PostgreSQL keeps.
fn time_literal(at: time::OffsetDateTime) -> String {
    let micros = at.unix_timestamp_nanos() / 1_000;
    format!("('epoch'::timestamptz + {micros} * interval '1 microsecond')")
}

/// "Next customer" does not walk past the customers resting after a NoAnswer (found by
/// `cargo xtask load`: with 10,000 of them at the front of the ready index every call read
/// ~800 pages). With 2,500 resting customers ahead of the first fresh one, under the
/// default rules and under segment order, the statement touches a handful of pages and hands
/// out the first fresh customer; once their rest has ended, the first of them.
#[tokio::test]
async fn next_customer_does_not_walk_past_resting_customers() {
    let store = common::fresh_store().await;
    let clock = cube_testkit::FixedClock::new(T0);
    let ids = cube_testkit::SequentialIds::new();
    let world = cube_testkit::fixtures::World::build(&store, &clock, &ids, 3_000)
        .await
        .expect("world");
    let assignment = world.assignment.id();
    sqlx::query(
        "UPDATE enrollments SET no_answer_at = $2, attempts = 1, last_contact = $2
         WHERE assignment_id = $1 AND sequence <= (
             SELECT min(sequence) + 2499 FROM enrollments WHERE assignment_id = $1)",
    )
    .bind(assignment.as_uuid())
    .bind(T0 - Duration::minutes(1))
    .execute(store.pool())
    .await
    .expect("2,500 customers answered nothing a minute ago");
    // As autovacuum does under a day's updates: the index entries the update left behind go.
    sqlx::query("VACUUM ANALYZE enrollments")
        .execute(store.pool())
        .await
        .expect("vacuum");
    let first_sequence: i64 =
        sqlx::query_scalar("SELECT min(sequence) FROM enrollments WHERE assignment_id = $1")
            .bind(assignment.as_uuid())
            .fetch_one(store.pool())
            .await
            .expect("the first");

    let mut plain = world.assignment.setup().clone();
    plain.priority = vec![];
    plain.retry_delay = Duration::hours(1);
    let mut ladder = setup_with(vec![PriorityRule::SegmentOrder, PriorityRule::ImportOrder]);
    ladder.retry_delay = Duration::hours(1);
    for (what, setup) in [("import order", plain), ("segment order", ladder)] {
        for (now, expected) in [
            // Resting: the first fresh customer, 2,500 places back.
            (T0, first_sequence + 2_500),
            // Rested: the first of them again.
            (T0 + Duration::hours(2), first_sequence),
        ] {
            let (sql, params) = cube_postgres::reserve_statement(&setup);
            // As the store runs it: prepared, on its generic plan (`BEGIN_GENERIC_PLAN`). A
            // plain `EXPLAIN` of the statement is planned for the bound values, and hid that
            // the generic plan read every resting customer to see whether any had rested.
            let mut tx = store
                .pool()
                .begin_with(cube_postgres::BEGIN_GENERIC_PLAN)
                .await
                .expect("begin, on the generic plan");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "PREPARE next_customer AS {sql}"
            )))
            .execute(&mut *tx)
            .await
            .expect("prepare");
            // `EXECUTE`'s arguments cannot be bind parameters: the values as literals.
            let gate = cube_postgres::gate_params(
                &cube_domain::contact_policy::standing::ContactGate::OPEN,
                &setup,
            );
            let mut arguments = vec![
                uuid_literal(assignment.as_uuid()),
                uuid_literal(world.sellers[0].id.as_uuid()),
                time_literal(now),
                time_literal(now + Duration::minutes(15)),
                time_literal(cube_postgres::rested_since(now, &setup)),
                gate.consumers_open.to_string(),
                gate.checked_since
                    .map_or("NULL::date".into(), |d| format!("'{d}'::date")),
                gate.max_attempts
                    .map_or("NULL::int".into(), |n| format!("{n}::int")),
                gate.daily_cap
                    .map_or("NULL::int".into(), |n| format!("{n}::int")),
                gate.day_since
                    .map_or("NULL::timestamptz".into(), time_literal),
            ];
            for param in params {
                arguments.push(match param {
                    cube_postgres::ReserveParam::Segments(ids) => format!(
                        "ARRAY[{}]::uuid[]",
                        ids.into_iter()
                            .map(uuid_literal)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    cube_postgres::ReserveParam::FieldKey(key) => {
                        format!("'{}'::text", key.replace('\'', "''"))
                    }
                });
            }
            let explain = format!(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE next_customer({})",
                arguments.join(", ")
            );
            let query = sqlx::query_scalar::<_, serde_json::Value>(sqlx::AssertSqlSafe(explain));
            let plan = query.fetch_one(&mut *tx).await.expect("explain");
            // A prepared statement belongs to the connection, not to the transaction.
            sqlx::raw_sql("DEALLOCATE next_customer")
                .execute(&mut *tx)
                .await
                .expect("deallocate");
            let picked: i64 = sqlx::query_scalar(
                "SELECT sequence FROM enrollments WHERE reserved_by IS NOT NULL AND assignment_id = $1",
            )
            .bind(assignment.as_uuid())
            .fetch_one(&mut *tx)
            .await
            .expect("one reserved");
            // Rolled back now, not when the pool next hands out this connection: a dropped
            // transaction keeps its row lock until then, and the next round's SKIP LOCKED
            // stepped over the customer it held (seen once under a loaded gate).
            tx.rollback().await.expect("rollback");
            assert_eq!(picked, expected, "{what} at {now}: the customer handed out");
            let pages = pages_touched(&plan);
            assert!(
                pages < 100,
                "{what} at {now}: next customer touched {pages} pages with 2,500 resting customers: {plan:#}"
            );
        }
    }
}

/// "Next customer" runs its reserve statement on the generic plan, set for its unit only,
/// with the unit's `BEGIN` (`BEGIN_GENERIC_PLAN`: one round trip, issue 19). On one
/// connection, `pg_prepared_statements` counts the plans each prepared statement ran on:
/// planned for its values ("custom") the statement cost 1.7 ms of planning a call, and
/// PostgreSQL plans the first five executions that way unless told otherwise. Whether the
/// reserve statement is the unit's first statement or follows the assignment's read (as in
/// the use case). The setting ends with the unit: the connection's other statements keep the
/// server's choice.
#[tokio::test]
async fn next_customer_runs_on_its_generic_plan_set_with_its_begin() {
    // One connection: every unit runs where the plans are counted.
    let config = cube_postgres::PgConfig {
        max_connections: 1,
        ..cube_postgres::PgConfig::default()
    };
    let store = PgStore::connect_with(common::fresh_database().await, config)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let clock = cube_testkit::FixedClock::new(T0);
    let ids = cube_testkit::SequentialIds::new();
    let world = cube_testkit::fixtures::World::build(&store, &clock, &ids, 20)
        .await
        .expect("world");
    for n in 0..8 {
        let request = NextCustomerRequest {
            assignment: world.assignment.id(),
            seller: world.sellers[n % world.sellers.len()].id,
            now: T0,
            setup: world.assignment.setup().clone(),
            gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
        };
        let mut uow = store.begin().await.expect("begin");
        if n % 2 == 0 {
            // As the use case does: the assignment read first, before the unit's `BEGIN`.
            let read = uow.assignment(world.assignment.id()).await.expect("read");
            assert!(read.is_some(), "the assignment is there");
        }
        let handed = uow
            .reserve_next_with_customer(&request)
            .await
            .expect("reserve");
        assert!(handed.is_some(), "call {n}: a customer is ready");
        uow.commit().await.expect("commit");
    }
    let (custom, generic): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(custom_plans), 0)::bigint, coalesce(sum(generic_plans), 0)::bigint
         FROM pg_prepared_statements WHERE statement LIKE '%SET reserved_by = $2%'",
    )
    .fetch_one(store.pool())
    .await
    .expect("the connection's prepared statements");
    assert_eq!(
        custom, 0,
        "the reserve statement was planned for its values"
    );
    assert!(
        generic >= 8,
        "the reserve statement ran {generic} times on its generic plan, in 8 calls"
    );
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(store.pool())
        .await
        .expect("show");
    assert_eq!(mode, "auto", "the setting ends with the unit");
    store.close().await;
}
