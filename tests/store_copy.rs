//! Moving a call centre to another store with `cube-server --database-url <target>
//! copy-from <source>` (the README's "Moving to PostgreSQL"), against the real binary.
//!
//! The demo is loaded into a SQLite file by `cube-server demo`, a day's work is registered
//! on it through the use cases (outcomes with and without idempotency keys, follow-ups,
//! offers and sales with products, a meeting, hours), and the command copies it into a fresh
//! PostgreSQL database and into another SQLite file, and the PostgreSQL copy back into SQLite.
//! Each copy is compared with its source record by record through the ports
//! (`cube_testkit::StoreDump`), the reports are compared through `cube_app::Cube`, and a demo
//! seller logs in over HTTP on the server started on the copy, with the demo password, and
//! reads the same reports there as on the source. A second copy into a store that has data
//! is refused. The in-memory twin's `full_store` (sessions, API tokens, drafts, every outbox
//! state) is copied with `cube_app::copy` into SQLite and PostgreSQL too.

mod support;

use cube_app::Cube;
use cube_app::copy::{CopyOptions, copy_store};
use cube_app::reports::Window;
use cube_app::system::{SystemClock, UuidV7};
use cube_domain::access::User;
use cube_domain::assignment::Assignment;
use cube_domain::flow::seeds::{MeetingFlow, SalesFlow};
use cube_domain::idempotency::RequestKey;
use cube_domain::meeting::{MeetingKind, MeetingRequest};
use cube_domain::outcome::{ProductLineRequest, RegisterOutcome};
use cube_domain::ports::Store;
use cube_domain::values::Email;
use cube_postgres::PgStore;
use cube_sqlite::{SqliteOptions, SqliteStore};
use cube_testkit::fixtures::{T0, full_store};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds, StoreDump};
use serde_json::{Value, json};
use std::sync::Arc;
use support::{DEMO_PASSWORD, PgDatabase, TempDir, json, on_database, run_command};
use time::{Duration, OffsetDateTime};

const SALES: &str = "Strøm vår 2025";
const MEETINGS: &str = "Møtebooking høst 2025";
const SELLERS: [&str; 2] = ["seller1@demo.example.com", "seller2@demo.example.com"];

/// The demo's users and assignments, found in a store.
struct Demo {
    admin: User,
    sellers: Vec<User>,
    sales: Assignment,
    meetings: Assignment,
}

async fn user(store: &dyn Store, email: &str) -> User {
    let email = Email::parse(email).expect("a demo e-mail");
    let mut unit = store.begin_read().await.expect("read");
    unit.users_by_email(&email)
        .await
        .expect("users")
        .pop()
        .expect("the demo user")
}

async fn demo(store: &dyn Store) -> Demo {
    let admin = user(store, "admin@demo.example.com").await;
    let mut sellers = Vec::new();
    for email in SELLERS {
        sellers.push(user(store, email).await);
    }
    let mut unit = store.begin_read().await.expect("read");
    let assignments = unit.assignments(admin.organisation).await.expect("list");
    let named = |name: &str| {
        assignments
            .iter()
            .find(|a| a.name().as_str() == name)
            .cloned()
            .unwrap_or_else(|| panic!("the demo assignment {name}"))
    };
    Demo {
        sales: named(SALES),
        meetings: named(MEETINGS),
        admin,
        sellers,
    }
}

fn cube(store: Arc<dyn Store>) -> Cube {
    Cube::new(store, Arc::new(SystemClock), Arc::new(UuidV7))
}

/// A day's work on the demo through the use cases; returns the outcomes registered.
async fn a_days_work(store: Arc<dyn Store>) -> usize {
    let d = demo(store.as_ref()).await;
    let cube = cube(store.clone());
    let products = {
        let mut unit = store.begin_read().await.expect("read");
        unit.products(d.sales.data_owner()).await.expect("products")
    };
    let now = cube.now();
    let mut registered = 0;
    for i in 0..14_usize {
        let seller = d.sellers[i % 2].id;
        let item = cube
            .next_customer(seller, d.sales.id())
            .await
            .expect("next")
            .expect("a customer to call");
        let line = |product: usize, quantity: u32| ProductLineRequest {
            product: products[product].id(),
            quantity,
            unit_price: None,
        };
        let mut command = RegisterOutcome::new(match i % 7 {
            0 => SalesFlow::O_NO_ANSWER,
            1 => SalesFlow::O_CALL_BACK_LATER,
            2 => SalesFlow::O_LEAD,
            3 => SalesFlow::O_OFFER,
            4 => SalesFlow::O_SALE,
            5 => SalesFlow::O_NO_SALE,
            _ => SalesFlow::O_EXCLUDED,
        });
        match i % 7 {
            1 => command.follow_up_at = Some(now + Duration::hours(20)),
            2 => command.follow_up_at = Some(now + Duration::hours(22)),
            3 => {
                command.products.push(line(0, 2));
                command.follow_up_at = Some(now + Duration::hours(23));
            }
            4 => {
                command.products.push(line(1, 1));
                command.products.push(line(0, 3));
            }
            _ => {}
        }
        command.note = Some(format!("call {i}"));
        let key = (i % 2 == 0).then(|| RequestKey::parse(&format!("call-{i}")).expect("a key"));
        cube.register_outcome(seller, item.enrollment.id(), command, key)
            .await
            .unwrap_or_else(|e| panic!("call {i}: {e}"));
        registered += 1;
    }
    // A meeting booked tomorrow in the meeting-booking assignment.
    let seller = d.sellers[0].id;
    let item = cube
        .next_customer(seller, d.meetings.id())
        .await
        .expect("next")
        .expect("a customer to book");
    // At 09:00 UTC tomorrow (10:00 or 11:00 in Oslo): inside the demo calendar's 08–20
    // whatever the hour the test runs at (tomorrow at this hour was past 20:00 in Oslo when
    // the test ran in the evening).
    let start =
        (now + Duration::days(1)).replace_time(time::Time::from_hms(9, 0, 0).expect("valid"));
    let mut command = RegisterOutcome::new(MeetingFlow::O_MEETING_BOOKED);
    command.meeting = Some(MeetingRequest {
        calendar: d.meetings.setup().calendars[0],
        start,
        end: start + Duration::minutes(45),
        kind: MeetingKind::Video,
        place: Some("https://meet.example.no/demo".into()),
    });
    cube.register_outcome(seller, item.enrollment.id(), command, None)
        .await
        .expect("a meeting booked");
    registered += 1;
    // Hours: the morning by hand, and a clock running now.
    cube.add_time(
        d.admin.id,
        d.sellers[1].id,
        d.sales.id(),
        now - Duration::hours(4),
        now - Duration::hours(1),
    )
    .await
    .expect("hours by hand");
    cube.start_time(seller, d.sales.id())
        .await
        .expect("the clock runs");
    registered
}

/// Every report of both demo assignments, as the admin reads them at `now` (one instant for
/// both stores: a running clock's hours grow with it).
async fn reports(store: Arc<dyn Store>, now: OffsetDateTime) -> Vec<String> {
    let d = demo(store.as_ref()).await;
    let cube = Cube::new(
        store,
        Arc::new(FixedClock::new(now)),
        Arc::new(SequentialIds::new()),
    );
    let window = Window {
        from: now - Duration::days(1),
        to: now + Duration::days(1),
    };
    let who = d.admin.id;
    let mut all = Vec::new();
    for id in [d.sales.id(), d.meetings.id()] {
        all.push(format!(
            "{:#?}",
            cube.customer_status_report(who, id).await.expect("status")
        ));
        all.push(format!(
            "{:#?}",
            cube.outcome_report(who, id, window)
                .await
                .expect("outcomes")
        ));
        all.push(format!(
            "{:#?}",
            cube.sales_report(who, id, window).await.expect("sales")
        ));
        all.push(format!(
            "{:#?}",
            cube.activity_report(who, id, window)
                .await
                .expect("activity")
        ));
        all.push(format!(
            "{:#?}",
            cube.meeting_report(who, id, window, None)
                .await
                .expect("meetings")
        ));
    }
    all.push(format!(
        "{:#?}",
        cube.performance_across(who, window)
            .await
            .expect("performance")
    ));
    all
}

async fn sqlite(url: &str) -> Arc<dyn Store> {
    let options = SqliteOptions {
        migrate: false,
        ..SqliteOptions::default()
    };
    Arc::new(SqliteStore::connect(url, options).await.expect("open"))
}

async fn postgres(url: &str) -> Arc<dyn Store> {
    Arc::new(PgStore::connect(url).await.expect("connect"))
}

/// Runs `copy-from`; returns what it printed. Panics, with the output, if it failed.
fn copy_command(target: &str, source: &str) -> String {
    let (ok, stdout, stderr) = run_command(&[
        "--database-url",
        target,
        "copy-from",
        source,
        "--chunk",
        "500",
    ]);
    assert!(ok, "copy-from failed:\n{stdout}\n{stderr}");
    stdout
}

/// The demo in a new SQLite file with a day's work on it; the events registered.
async fn worked_demo(dir: &TempDir) -> (String, usize) {
    let url = dir.sqlite_url("source.db");
    let (ok, stdout, stderr) = run_command(&["--database-url", &url, "demo"]);
    assert!(ok, "demo failed:\n{stdout}\n{stderr}");
    let store = sqlite(&url).await;
    let registered = a_days_work(store.clone()).await;
    (url, registered)
}

/// Asserts that the store at `copy` holds what the one at `source` does, and reads the
/// same reports.
async fn assert_copied(source: Arc<dyn Store>, copy: Arc<dyn Store>) -> StoreDump {
    let expected = StoreDump::read(source.as_ref())
        .await
        .expect("read the source");
    let got = StoreDump::read(copy.as_ref()).await.expect("read the copy");
    expected.as_copied().assert_same(&got);
    let now = cube_domain::instant::truncate(OffsetDateTime::now_utc());
    let (before, after) = (reports(source, now).await, reports(copy, now).await);
    for (expected, got) in before.iter().zip(&after) {
        assert_eq!(expected, got, "a report differs after the copy");
    }
    got
}

/// Logs in on a server with a demo login's password; returns the client and its token.
async fn log_in(base: &str, email: &str) -> (reqwest::Client, String) {
    let client = reqwest::Client::new();
    let (status, body) = json(
        client
            .post(format!("{base}/api/login"))
            .json(&json!({ "email": email, "password": DEMO_PASSWORD }))
            .send()
            .await
            .expect("login"),
    )
    .await;
    assert_eq!(status, 200, "login with the demo password: {body}");
    let token = body["token"].as_str().expect("a token").to_owned();
    (client, token)
}

async fn get(client: &reqwest::Client, token: &str, url: String) -> Value {
    let (status, body) = json(
        client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A seller logs in on servers over `source` and `copy` and reads the same reports.
async fn same_over_http(source: &str, copy: &str) {
    let http = reqwest::Client::new();
    let mut servers = [on_database(source), on_database(copy)];
    for server in &mut servers {
        server.wait_until_healthy(&http).await;
    }
    let mut seen: Vec<Vec<Value>> = Vec::new();
    for server in &servers {
        let (client, token) = log_in(&server.base, SELLERS[0]).await;
        let admin = log_in(&server.base, "admin@demo.example.com").await;
        let assignments = get(&client, &token, format!("{}/api/assignments", server.base)).await;
        let sales = assignments
            .as_array()
            .and_then(|all| all.iter().find(|a| a["name"] == SALES))
            .and_then(|a| a["id"].as_str())
            .expect("the sales assignment")
            .to_owned();
        let mut bodies = vec![assignments];
        for report in ["status", "outcomes", "sales"] {
            let url = format!("{}/api/assignments/{sales}/reports/{report}", server.base);
            bodies.push(get(&admin.0, &admin.1, url).await);
        }
        seen.push(bodies);
    }
    assert_eq!(
        seen[0], seen[1],
        "the copy's server answers as the source's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_moves_from_sqlite_to_postgresql_and_back() {
    let dir = TempDir::new("copy-to-pg");
    let (source_url, registered) = worked_demo(&dir).await;
    let database = PgDatabase::create().await;

    let printed = copy_command(&database.url, &source_url);
    assert!(printed.contains("customers"), "{printed}");
    let copied = assert_copied(sqlite(&source_url).await, postgres(&database.url).await).await;
    assert_eq!(copied.organisations.len(), 1);
    assert_eq!(copied.users.len(), 4);
    assert_eq!(copied.passwords.len(), 4);
    assert_eq!(copied.customers.len(), 1_000);
    assert_eq!(copied.enrollments.len(), 1_200);
    assert_eq!(copied.published_flows.len(), 2);
    assert_eq!(copied.meetings.len(), 1);
    assert_eq!(copied.time_entries.len(), 2);
    assert_eq!(copied.log.len(), registered);
    assert_eq!(copied.log.iter().filter(|e| e.key.is_some()).count(), 7);
    let line = printed
        .lines()
        .find(|l| l.trim_start().starts_with("outcome events"))
        .expect("a count of outcome events");
    assert!(line.ends_with(&registered.to_string()), "{line}");

    // A second copy into it is refused, and changes nothing.
    let (ok, _, stderr) = run_command(&["--database-url", &database.url, "copy-from", &source_url]);
    assert!(!ok && stderr.contains("not empty"), "{stderr}");

    // And back: PostgreSQL into a new SQLite file.
    let back_url = dir.sqlite_url("back.db");
    copy_command(&back_url, &database.url);
    assert_copied(postgres(&database.url).await, sqlite(&back_url).await).await;

    same_over_http(&source_url, &database.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_moves_from_one_sqlite_file_to_another() {
    let dir = TempDir::new("copy-to-sqlite");
    let (source_url, registered) = worked_demo(&dir).await;
    let target_url = dir.sqlite_url("target.db");

    copy_command(&target_url, &source_url);
    let copied = assert_copied(sqlite(&source_url).await, sqlite(&target_url).await).await;
    assert_eq!(copied.customers.len(), 1_000);
    assert_eq!(copied.log.len(), registered);

    same_over_http(&source_url, &target_url).await;

    let (ok, _, stderr) = run_command(&[
        "--database-url",
        &dir.sqlite_url("other.db"),
        "copy-from",
        &dir.sqlite_url("missing.db"),
    ]);
    assert!(!ok && stderr.contains("no SQLite database"), "{stderr}");
    assert!(
        !dir.0.join("missing.db").exists(),
        "a missing source is not created"
    );
}

/// The in-memory twin's store with some of every kind of record.
async fn full_memory_store() -> Arc<dyn Store> {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    full_store(store.as_ref(), &FixedClock::new(T0), &SequentialIds::new())
        .await
        .expect("the full store builds");
    store
}

async fn copy_full_store_into(target: Arc<dyn Store>) {
    let source = full_memory_store().await;
    let options = CopyOptions { page: 4, chunk: 7 };
    copy_store(source.as_ref(), target.as_ref(), options, &mut |_| {})
        .await
        .expect("the copy succeeds");
    let expected = StoreDump::read(source.as_ref()).await.expect("read");
    let got = StoreDump::read(target.as_ref()).await.expect("read");
    expected.as_copied().assert_same(&got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_record_copies_from_memory_into_sqlite() {
    let dir = TempDir::new("copy-memory");
    let url = dir.sqlite_url("copy.db");
    let store = SqliteStore::connect(&url, SqliteOptions::default())
        .await
        .expect("open");
    copy_full_store_into(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_record_copies_from_memory_into_postgresql() {
    let database = PgDatabase::create().await;
    let store = PgStore::connect(&database.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    copy_full_store_into(Arc::new(store)).await;
}
