//! The stores must agree: one seeded workload through the use cases on the in-memory twin,
//! SQLite and PostgreSQL, and every report compared field by field.
//!
//! Why: each store computes reports its own way (the twin folds events in Rust, SQLite counts
//! rows at request time, PostgreSQL reads trigger-kept counters), and each item a store
//! computes differently — a money scale, a rounding, an order — is a different answer to the
//! same question. The in-memory twin is the reference; the domain's pure functions define it.
//!
//! The workload is deterministic (a fixed clock, sequential ids), so even ids and times must
//! match. It covers two days of three sellers (attempts, follow-ups, leads, offers, sales
//! with and without products, exclusions, an idempotent retry), a segment and a bulk move,
//! a bulk registration, an external state change, time entries, and a flow switch followed
//! by meetings booked in the new flow.

mod support;

use cube_app::Cube;
use cube_app::reports::Window;
use cube_domain::bulk::{BulkAction, FieldCondition, Selection};
use cube_domain::customer::CustomerFilter;
use cube_domain::fields::FieldValue;
use cube_domain::flow::SwitchPlan;
use cube_domain::idempotency::RequestKey;
use cube_domain::meeting::{MeetingKind, MeetingRequest};
use cube_domain::outcome::RegisterOutcome;
use cube_domain::ports::{Page, Store};
use cube_postgres::PgStore;
use cube_sqlite::SqliteStore;
use cube_testkit::fixtures::{MeetingFlow, SalesFlow, T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;
use time::Duration;

/// Every report of the workload, each rendered as its `Debug` text (one field a line).
struct Snapshot {
    parts: Vec<(&'static str, String)>,
}

impl Snapshot {
    fn add(&mut self, name: &'static str, value: &impl Debug) {
        self.parts.push((name, format!("{value:#?}")));
    }
}

/// Runs the workload on `store` and reads every report.
async fn workload(store: Arc<dyn Store>) -> Snapshot {
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 40)
        .await
        .expect("the world builds");
    let cube = Cube::new(store.clone(), clock.clone(), ids);
    let assignment = world.assignment.id();
    let manager = world.manager.id;
    let at = |minutes: i64| T0 + Duration::minutes(minutes);

    // A segment, and the Retail customers moved into it.
    let segment = cube
        .add_segment(manager, assignment, "Priority")
        .await
        .expect("a segment");
    let retail = Selection {
        fields: vec![FieldCondition {
            key: World::industry(),
            values: BTreeSet::from([FieldValue::Choice("Retail".into())]),
            missing: false,
        }],
        ..Selection::default()
    };
    cube.bulk(
        manager,
        assignment,
        &retail,
        BulkAction::MoveToSegment(Some(segment)),
    )
    .await
    .expect("moved to the segment");

    // Day one: three sellers, 30 calls, each kind of outcome.
    for i in 0..30_i64 {
        clock.set(at(3 * i + 1));
        let seller = world.seller(i as usize);
        let item = cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("a customer to call");
        let command = sales_command(i, clock.as_ref(), &world);
        let key = RequestKey::parse(&format!("call-{i}")).expect("a valid key");
        cube.register_outcome(
            seller,
            item.enrollment.id(),
            command.clone(),
            Some(key.clone()),
        )
        .await
        .unwrap_or_else(|e| panic!("call {i}: {e}"));
        if i == 4 {
            // The browser retried: the same key gives back the same event.
            cube.register_outcome(seller, item.enrollment.id(), command, Some(key))
                .await
                .expect("an idempotent retry");
        }
    }

    // Time: one seller clocks in and out, the manager records another's morning.
    clock.set(at(100));
    cube.start_time(world.seller(0), assignment)
        .await
        .expect("clock in");
    clock.set(at(160));
    cube.stop_time(world.seller(0)).await.expect("clock out");
    cube.add_time(manager, world.seller(1), assignment, at(0), at(95))
        .await
        .expect("a manual entry");

    // The manager concludes the rest of the Energy customers that were called as No sale.
    let energy_called = Selection {
        fields: vec![FieldCondition {
            key: World::industry(),
            values: BTreeSet::from([FieldValue::Choice("Energy".into())]),
            missing: false,
        }],
        min_attempts: Some(1),
        states: Some(BTreeSet::from([SalesFlow::TO_CALL])),
        ..Selection::default()
    };
    clock.set(at(170));
    cube.bulk(
        manager,
        assignment,
        &energy_called,
        BulkAction::RegisterOutcome(Box::new(RegisterOutcome::new(SalesFlow::O_NO_SALE))),
    )
    .await
    .expect("bulk registration");

    // An integration marks a customer as not to be called.
    clock.set(at(180));
    cube.external_state_change(manager, world.customers[39].id(), "Excluded")
        .await
        .expect("external change");

    // Day two: follow-ups fall due; ten more calls.
    for i in 30..40_i64 {
        clock.set(T0 + Duration::days(1) + Duration::minutes(4 * i));
        let seller = world.seller(i as usize);
        let Some(item) = cube.next_customer(seller, assignment).await.expect("next") else {
            continue;
        };
        // Outcomes allowed from any open state: a sale, no answer, no sale.
        let command = sales_command([4, 0, 5][(i % 3) as usize], clock.as_ref(), &world);
        cube.register_outcome(seller, item.enrollment.id(), command, None)
            .await
            .unwrap_or_else(|e| panic!("call {i}: {e}"));
    }

    // The assignment switches to the meeting-booking flow; leads and offers go to "To call".
    clock.set(T0 + Duration::days(1) + Duration::hours(5));
    let plan = SwitchPlan {
        explicit: [
            SalesFlow::LEAD,
            SalesFlow::OFFER,
            SalesFlow::SALE_TO_FOLLOWUP,
        ]
        .map(|from| (from, MeetingFlow::TO_CALL))
        .to_vec(),
        confirm_category_changes: true,
    };
    let switch = cube
        .switch_flow(manager, assignment, world.meeting_flow.version(), &plan)
        .await
        .expect("the switch");
    // Meetings booked in the new flow.
    for i in 0..6_i64 {
        let now = T0 + Duration::days(1) + Duration::hours(6) + Duration::minutes(5 * i);
        clock.set(now);
        let seller = world.seller(i as usize);
        let item = cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("a customer after the switch");
        let mut command = RegisterOutcome::new(match i % 3 {
            0 => MeetingFlow::O_MEETING_BOOKED,
            1 => MeetingFlow::O_NO_ANSWER,
            _ => MeetingFlow::O_NOT_INTERESTED,
        });
        if i % 3 == 0 {
            let start = T0 + Duration::days(3) + Duration::hours(i);
            command.meeting = Some(MeetingRequest {
                calendar: world.calendar.id,
                start,
                end: start + Duration::minutes(45),
                kind: MeetingKind::Physical,
                place: Some(format!("Room {i}")),
            });
        }
        cube.register_outcome(seller, item.enrollment.id(), command, None)
            .await
            .unwrap_or_else(|e| panic!("meeting call {i}: {e}"));
    }

    let window = Window {
        from: T0 - Duration::days(1),
        to: T0 + Duration::days(2),
    };
    let mut snapshot = Snapshot { parts: Vec::new() };
    snapshot.add(
        "flow switch",
        &(switch.mapping, switch.customers, switch.moved),
    );
    snapshot.add(
        "status",
        &cube
            .customer_status_report(manager, assignment)
            .await
            .expect("status"),
    );
    snapshot.add(
        "activity",
        &cube
            .activity_report(manager, assignment, window)
            .await
            .expect("activity"),
    );
    snapshot.add(
        "outcomes",
        &cube
            .outcome_report(manager, assignment, window)
            .await
            .expect("outcomes"),
    );
    snapshot.add(
        "sales",
        &cube
            .sales_report(manager, assignment, window)
            .await
            .expect("sales"),
    );
    snapshot.add(
        "performance",
        &cube
            .performance_across(manager, window)
            .await
            .expect("performance"),
    );
    snapshot.add(
        "meetings",
        &cube
            .meeting_report(manager, assignment, window, None)
            .await
            .expect("meetings"),
    );
    snapshot.add(
        "limits",
        &cube
            .limit_report(manager, assignment)
            .await
            .expect("limits"),
    );
    snapshot.add(
        "hit analysis",
        &cube.hit_analysis(manager, assignment).await.expect("hits"),
    );
    snapshot.add(
        "status export",
        &cube
            .customer_status_export(manager, assignment, None)
            .await
            .expect("export"),
    );
    snapshot.add(
        "selection",
        &cube
            .select(manager, assignment, &Selection::default())
            .await
            .expect("selection"),
    );
    snapshot.add(
        "open offers export",
        &cube
            .open_offer_export(manager, assignment)
            .await
            .expect("open offers export"),
    );
    snapshot.add(
        "meetings export",
        &cube
            .meeting_export(manager, assignment, window, None)
            .await
            .expect("meetings export"),
    );
    snapshot.add(
        "selection export",
        &cube
            .export_selection(manager, assignment, &retail)
            .await
            .expect("selection export"),
    );
    for i in 0..World::SELLERS {
        snapshot.add(
            "my work",
            &cube.my_work(world.seller(i)).await.expect("my work"),
        );
    }
    snapshot.add(
        "customers",
        &cube
            .customers(
                manager,
                world.data_owner.id(),
                &CustomerFilter::default(),
                Page {
                    offset: 0,
                    limit: 100,
                },
            )
            .await
            .expect("customers"),
    );
    snapshot
}

/// The outcome of call `i`: the testkit's fixed rotation over the sales flow's outcomes.
fn sales_command(i: i64, clock: &FixedClock, world: &World) -> RegisterOutcome {
    cube_testkit::fixtures::sales_call(i, cube_domain::ports::Clock::now(clock), world)
}

/// Fails at the first line where `other` differs from the reference, naming the report.
fn assert_same(store: &str, reference: &Snapshot, other: &Snapshot) {
    assert_eq!(reference.parts.len(), other.parts.len());
    for ((name, expected), (_, got)) in reference.parts.iter().zip(&other.parts) {
        if expected == got {
            continue;
        }
        let expected_lines: Vec<&str> = expected.lines().collect();
        let got_lines: Vec<&str> = got.lines().collect();
        let first = expected_lines
            .iter()
            .zip(&got_lines)
            .position(|(a, b)| a != b)
            .unwrap_or(expected_lines.len().min(got_lines.len()));
        let from = first.saturating_sub(6);
        panic!(
            "{store} differs from the in-memory store in the {name} report at line {first}:\n\
             --- memory\n{}\n--- {store}\n{}",
            expected_lines[from..(first + 3).min(expected_lines.len())].join("\n"),
            got_lines[from..(first + 3).min(got_lines.len())].join("\n"),
        );
    }
}

#[tokio::test]
async fn every_report_is_the_same_on_every_store() {
    let reference = workload(Arc::new(MemoryStore::new())).await;

    let sqlite = SqliteStore::in_memory().await.expect("sqlite");
    sqlite.migrate().await.expect("migrated");
    let on_sqlite = workload(Arc::new(sqlite)).await;
    assert_same("SQLite", &reference, &on_sqlite);

    let database = support::PgDatabase::create().await;
    let postgres = PgStore::connect(&database.url).await.expect("postgres");
    postgres.migrate().await.expect("migrated");
    let on_postgres = workload(Arc::new(postgres.clone())).await;
    postgres.close().await;
    assert_same("PostgreSQL", &reference, &on_postgres);
}
