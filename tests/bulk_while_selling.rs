//! A manager's bulk action on a live assignment while a seller works it, on PostgreSQL
//! (issue 16's bulk defect): the seller takes the next customer and registers an outcome in
//! a loop while the manager moves the whole selection to a segment and back.
//!
//! The cause it pins: the queue hands a seller the first free customer in import order,
//! skipping the rows the bulk action has locked — that is the row the action is about to
//! write, read with its page a moment before. Its version moved, and the action's write over
//! the version it read was a `Conflict`: 409, nothing changed, three times out of three. Now
//! such a row is read again and decided on as it is (held by the seller: left and counted).
//!
//! The rows the action wrote stay locked until it commits and the queue skips locked rows:
//! once the action has passed the last free customer, a seller asking in the moment before
//! the commit is told there is no customer right now (204), and asks again.
//!
//! Once through the use cases on a `PgStore` (pages of 100, so the action meets the seller on
//! many pages), once over HTTP against the real server on PostgreSQL with the demo data.

mod support;

use cube_app::Cube;
use cube_app::bulk::BulkReport;
use cube_domain::bulk::{BulkAction, Selection};
use cube_domain::outcome::RegisterOutcome;
use cube_domain::ports::Store;
use cube_postgres::PgStore;
use cube_testkit::fixtures::{SalesFlow, T0, World};
use cube_testkit::{FixedClock, SequentialIds};
use serde_json::{Value, json};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use support::{DEMO_PASSWORD, json};

/// Customers in the use-case test's assignment.
const CUSTOMERS: usize = 3_000;

/// Every selected enrollment is counted once: changed, already so, held, changed meanwhile.
fn assert_adds_up(report: &BulkReport) {
    assert!(
        report.changed + report.held + report.changed_meanwhile <= report.selected,
        "{report:?}"
    );
}

#[tokio::test]
async fn a_bulk_action_runs_while_a_seller_works_on_postgres() {
    let database = support::PgDatabase::create().await;
    let postgres = PgStore::connect(&database.url).await.expect("postgres");
    postgres.migrate().await.expect("migrated");
    let store: Arc<dyn Store> = Arc::new(postgres.clone());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), CUSTOMERS)
        .await
        .expect("the world builds");
    let cube = Arc::new(
        Cube::new(store.clone(), clock.clone(), ids)
            .with_export_page(NonZeroU32::new(100).expect("not zero")),
    );
    let assignment = world.assignment.id();
    let manager = world.manager.id;
    let seller = world.sellers[0].id;
    let segment = cube
        .add_segment(manager, assignment, "Priority")
        .await
        .expect("a segment");

    // The seller: next customer, No answer, again, until told to stop. What went wrong is
    // kept and shown at the end (a panic in the task would hide the bulk action's answer).
    let stop = Arc::new(AtomicBool::new(false));
    let cycles = Arc::new(AtomicUsize::new(0));
    let working = {
        let (cube, stop, cycles) = (cube.clone(), stop.clone(), cycles.clone());
        tokio::spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let item = match cube.next_customer(seller, assignment).await {
                    Ok(Some(item)) => item,
                    // No customer right now: between the action's last page and its commit,
                    // every free customer is locked by it (module doc).
                    Ok(None) => {
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        continue;
                    }
                    Err(e) => {
                        failures.push(format!("next customer: {e}"));
                        continue;
                    }
                };
                let registered = cube
                    .register_outcome(
                        seller,
                        item.enrollment.id(),
                        RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
                        None,
                    )
                    .await;
                if let Err(e) = registered {
                    failures.push(format!("register: {e}"));
                }
                cycles.fetch_add(1, Ordering::SeqCst);
            }
            failures
        })
    };
    // Let the seller get going.
    while cycles.load(Ordering::SeqCst) < 3 {
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let everyone = Selection::default();
    let mut met_the_seller = 0;
    for round in 0..6 {
        let target = (round % 2 == 0).then_some(segment);
        let before = cycles.load(Ordering::SeqCst);
        let report = cube
            .bulk(
                manager,
                assignment,
                &everyone,
                BulkAction::MoveToSegment(target),
            )
            .await
            .unwrap_or_else(|e| panic!("round {round}: the bulk action failed: {e}"));
        assert_eq!(report.selected, CUSTOMERS, "round {round}: {report:?}");
        assert_adds_up(&report);
        // The seller holds one customer at a time, but a new one after each registration:
        // the action meets at most one held customer per cycle (and the one held at start).
        let during = cycles.load(Ordering::SeqCst) - before;
        assert!(
            report.held + report.changed_meanwhile <= during + 1,
            "round {round}: {during} cycles of the seller, {report:?}"
        );
        met_the_seller += report.held + report.changed_meanwhile;
        // What the action did is there: every customer in the target segment, but the ones it
        // left as they were.
        let rows = cube
            .select(manager, assignment, &everyone)
            .await
            .expect("select");
        let elsewhere = rows
            .iter()
            .filter(|row| row.enrollment.segment() != target)
            .count();
        assert!(
            elsewhere <= report.held + report.changed_meanwhile,
            "round {round}: {elsewhere} not moved, {report:?}"
        );
    }
    stop.store(true, Ordering::SeqCst);
    let failures = working.await.expect("the seller's task ends well");
    assert!(
        failures.is_empty(),
        "the seller's work failed during bulk actions: {failures:?}"
    );
    assert!(
        met_the_seller > 0,
        "no bulk action met a customer the seller held: the test proved nothing"
    );
    postgres.close().await;
}

/// A logged-in user of the demo over HTTP.
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn log_in(base: &str, email: &str) -> Self {
        let http = reqwest::Client::new();
        let login = json!({ "email": email, "password": DEMO_PASSWORD });
        let response = http
            .post(format!("{base}/api/login"))
            .json(&login)
            .send()
            .await
            .expect("login");
        let (status, body) = json(response).await;
        assert_eq!(status, 200, "login: {body}");
        Self {
            http,
            base: base.to_owned(),
            token: body["token"].as_str().expect("a token").to_owned(),
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.base));
        json(request.bearer_auth(&self.token).send().await.expect("GET")).await
    }

    async fn post(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        json(request.send().await.expect("POST")).await
    }
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn a_bulk_action_over_http_while_a_seller_works_on_postgres() {
    let mut server = support::on_postgres().await;
    server.wait_until_healthy(&reqwest::Client::new()).await;
    let admin = Client::log_in(&server.base, "admin@demo.example.com").await;
    let seller = Client::log_in(&server.base, "seller1@demo.example.com").await;
    let (_, assignments) = seller.get("/api/assignments").await;
    let sales = assignments
        .as_array()
        .and_then(|all| all.iter().find(|a| a["name"] == "Strøm vår 2025"))
        .map(id)
        .expect("the demo's sales assignment");
    let (_, overview) = seller.get(&format!("/api/assignments/{sales}")).await;
    let no_answer = overview["outcomes"]
        .as_array()
        .and_then(|all| all.iter().find(|o| o["name"] == "No answer"))
        .map(id)
        .expect("No answer");
    let (status, segment) = admin
        .post(
            &format!("/api/assignments/{sales}/segments"),
            Some(json!({ "name": "Priority" })),
        )
        .await;
    assert_eq!(status, 201, "{segment}");
    let segment = id(&segment);

    // The seller holds one customer: the preview says so.
    let (status, item) = seller
        .post(&format!("/api/assignments/{sales}/next"), None)
        .await;
    assert_eq!(status, 200, "{item}");
    let held = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let (status, preview) = admin
        .post(
            &format!("/api/assignments/{sales}/selection"),
            Some(json!({ "limit": 0 })),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["held"], 1, "{preview}");
    let (status, registered) = seller
        .post(
            &format!("/api/enrollments/{held}/outcomes"),
            Some(json!({ "outcome": no_answer })),
        )
        .await;
    assert_eq!(status, 200, "{registered}");

    // The seller in a loop; the manager's bulk actions meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let working = {
        let (stop, no_answer, sales) = (stop.clone(), no_answer.clone(), sales.clone());
        tokio::spawn(async move {
            let mut cycles = 0;
            while !stop.load(Ordering::SeqCst) {
                let (status, item) = seller
                    .post(&format!("/api/assignments/{sales}/next"), None)
                    .await;
                // 204 (no customer right now) for the moment between the action's last page
                // and its commit, when every free customer is locked by it (module doc).
                if status == 204 {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                }
                assert_eq!(status, 200, "next customer during a bulk action: {item}");
                let enrollment = item["enrollment"]["id"].as_str().expect("an id");
                let (status, registered) = seller
                    .post(
                        &format!("/api/enrollments/{enrollment}/outcomes"),
                        Some(json!({ "outcome": no_answer })),
                    )
                    .await;
                assert_eq!(status, 200, "register during a bulk action: {registered}");
                cycles += 1;
            }
            cycles
        })
    };
    for round in 0..6 {
        let target = if round % 2 == 0 {
            json!(segment)
        } else {
            Value::Null
        };
        let (status, report) = admin
            .post(
                &format!("/api/assignments/{sales}/bulk"),
                Some(json!({ "action": { "type": "move_to_segment", "segment": target } })),
            )
            .await;
        assert_eq!(status, 200, "round {round}: {report}");
        let selected = report["selected"].as_u64().expect("selected");
        let accounted = ["changed", "held", "changed_meanwhile"]
            .iter()
            .map(|key| report[key].as_u64().expect("a count"))
            .sum::<u64>();
        assert!(accounted <= selected, "{report}");
    }
    stop.store(true, Ordering::SeqCst);
    let cycles = working.await.expect("the seller's task ends well");
    assert!(
        cycles > 0,
        "the seller never worked: the test proved nothing"
    );
}

/// How long a bulk action takes on a large assignment (not a check: a measurement for
/// docs/performance.md). `CUBE_BULK_CUSTOMERS` customers (default 50,000); run with
/// `cargo nextest run -p cube-server --test bulk_while_selling --run-ignored only`.
#[tokio::test]
#[ignore = "a measurement, minutes on a large assignment"]
async fn bulk_action_seconds_on_postgres() {
    let customers: usize = std::env::var("CUBE_BULK_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let database = support::PgDatabase::create().await;
    let postgres = PgStore::connect(&database.url).await.expect("postgres");
    postgres.migrate().await.expect("migrated");
    let store: Arc<dyn Store> = Arc::new(postgres.clone());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let started = std::time::Instant::now();
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), customers)
        .await
        .expect("the world builds");
    println!("{customers} customers enrolled in {:?}", started.elapsed());
    let cube = Cube::new(store.clone(), clock.clone(), ids);
    let (assignment, manager) = (world.assignment.id(), world.manager.id);
    let segment = cube
        .add_segment(manager, assignment, "Priority")
        .await
        .expect("a segment");
    let everyone = Selection::default();
    for target in [Some(segment), None] {
        let started = std::time::Instant::now();
        let report = cube
            .bulk(
                manager,
                assignment,
                &everyone,
                BulkAction::MoveToSegment(target),
            )
            .await
            .expect("bulk");
        println!("move to {target:?}: {report:?} in {:?}", started.elapsed());
    }
    let started = std::time::Instant::now();
    let preview = cube
        .preview_selection(manager, assignment, &everyone, 0)
        .await
        .expect("preview");
    println!("preview: {} in {:?}", preview.count, started.elapsed());
    let started = std::time::Instant::now();
    let report = cube
        .bulk(manager, assignment, &everyone, BulkAction::Remove)
        .await
        .expect("bulk");
    println!("remove: {report:?} in {:?}", started.elapsed());
    postgres.close().await;
}
