//! How many SQL statements the seller's work costs, per store (issue 19: "count the
//! statements and round trips of one cycle and of an authenticated read"). Every statement
//! sqlx runs is one round trip: to the server for PostgreSQL, to the connection's worker
//! thread for SQLite. A global tracing layer counts sqlx's `sqlx::query` events (one per
//! statement) while one use case runs alone. sqlx does not log a unit's `BEGIN`, nor on
//! SQLite its `COMMIT` or `ROLLBACK` (PostgreSQL's `COMMIT` is logged): add those for each
//! unit — an authenticated request is one statement outside any unit (authentication,
//! `Store::token_holder`) and the use case's unit.
//!
//! The test prints the table `docs/performance.md` quotes (`--no-capture`) and fails when an
//! operation needs more statements than it did when the bound was last lowered: a change
//! that adds a round trip to the hot path must say so by raising the bound here.

mod support;

use cube_app::Cube;
use cube_domain::idempotency::RequestKey;
use cube_domain::outcome::{ProductLineRequest, RegisterOutcome};
use cube_domain::ports::Store;
use cube_domain::ports::TokenKind;
use cube_postgres::PgStore;
use cube_sqlite::SqliteStore;
use cube_testkit::fixtures::{SalesFlow, T0, World};
use cube_testkit::{FixedClock, SequentialIds};
use std::sync::{Arc, Mutex, OnceLock};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The statements run since the last [`take`].
fn log() -> &'static Mutex<Vec<String>> {
    static LOG: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LOG.get_or_init(|| Mutex::new(Vec::new()))
}

fn take() -> Vec<String> {
    std::mem::take(&mut *log().lock().unwrap_or_else(|e| e.into_inner()))
}

/// Records the statement of every `sqlx::query` event.
struct Statements;

struct Summary(String);

impl Visit for Summary {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            value.clone_into(&mut self.0);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut summary = Summary(String::new());
            event.record(&mut summary);
            log()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(summary.0);
        }
    }
}

/// The operations measured, in table order.
const OPERATIONS: [&str; 5] = [
    "authenticate (token → user)",
    "authenticated read: the assignment with flow, products, calendars",
    "next customer (authenticated)",
    "register outcome: No answer, with Idempotency-Key (authenticated)",
    "register outcome: Sale with a product line (authenticated)",
];

/// The most statements each operation may take, per store (SQLite, PostgreSQL). Next
/// customer on PostgreSQL went from 4 to 5 with the reserve statement's generic plan (its
/// `SET LOCAL`): one round trip of microseconds for 1.7 ms of planning a call; and back to 4
/// when the `SET LOCAL` went with the unit's `BEGIN` (sent after the assignment's read, which
/// needs no transaction: `PgUnitOfWork::fetch_optional_unlocked`). A registration on
/// PostgreSQL went from 5 to 4 (with a product line 6 to 5) when its enrollment's update and
/// its event's insert became one statement (`UnitOfWork::update_enrollment_with_event`).
const BOUNDS: [(usize, usize); 5] = [(1, 1), (4, 4), (5, 4), (5, 4), (7, 5)];

/// Runs each operation on `store` (a world of 30 customers) and returns the statements of
/// each, once the process has read what it keeps.
async fn measure(store: Arc<dyn Store>) -> Vec<Vec<String>> {
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 30)
        .await
        .expect("the world");
    let cube = Cube::new(store, clock, ids);
    let seller = &world.sellers[0];
    cube.issue_token(seller.id, "statements-token", TokenKind::Session, None)
        .await
        .expect("a session");
    // A warm pass first: what a process reads once (a published flow) is not the cost of
    // every request.
    pass(&cube, &world).await;
    pass(&cube, &world).await
}

/// Each operation once, with its statements.
async fn pass(cube: &Cube, world: &World) -> Vec<Vec<String>> {
    let assignment = world.assignment.id();
    let mut measured = Vec::new();

    take();
    cube.authenticate("statements-token")
        .await
        .expect("authenticated");
    measured.push(take());

    let (user, _) = cube
        .authenticate("statements-token")
        .await
        .expect("authenticated");
    cube.assignment_overview(&user, assignment)
        .await
        .expect("the assignment");
    measured.push(take());

    let (user, _) = cube
        .authenticate("statements-token")
        .await
        .expect("authenticated");
    let first = cube
        .next_customer(&user, assignment)
        .await
        .expect("next")
        .expect("a customer");
    measured.push(take());

    let (user, _) = cube
        .authenticate("statements-token")
        .await
        .expect("authenticated");
    cube.register_outcome(
        &user,
        first.enrollment.id(),
        RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
        Some(RequestKey::parse(&format!("statements-{}", first.enrollment.id())).expect("a key")),
    )
    .await
    .expect("registered");
    measured.push(take());

    let second = cube
        .next_customer(&user, assignment)
        .await
        .expect("next")
        .expect("a customer");
    take();
    let (user, _) = cube
        .authenticate("statements-token")
        .await
        .expect("authenticated");
    let mut sale = RegisterOutcome::new(SalesFlow::O_SALE);
    sale.products.push(ProductLineRequest {
        product: world.products[0].id(),
        quantity: 2,
        unit_price: None,
    });
    cube.register_outcome(&user, second.enrollment.id(), sale, None)
        .await
        .expect("registered");
    measured.push(take());
    measured
}

#[tokio::test]
async fn the_sellers_work_costs_a_bounded_number_of_statements() {
    let subscriber = tracing_subscriber::registry().with(Statements);
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let sqlite = SqliteStore::in_memory().await.expect("sqlite");
    sqlite.migrate().await.expect("migrated");
    let on_sqlite = measure(Arc::new(sqlite)).await;

    let database = support::PgDatabase::create().await;
    let postgres = PgStore::connect(&database.url).await.expect("postgres");
    postgres.migrate().await.expect("migrated");
    let on_postgres = measure(Arc::new(postgres.clone())).await;
    postgres.close().await;

    println!("| Operation | SQLite | PostgreSQL |\n|---|---:|---:|");
    for (i, operation) in OPERATIONS.iter().enumerate() {
        println!(
            "| {operation} | {} | {} |",
            on_sqlite[i].len(),
            on_postgres[i].len()
        );
    }
    for (i, operation) in OPERATIONS.iter().enumerate() {
        println!(
            "\n{operation}\n  SQLite: {:#?}\n  PostgreSQL: {:#?}",
            on_sqlite[i], on_postgres[i]
        );
    }
    for (i, operation) in OPERATIONS.iter().enumerate() {
        let (sqlite_bound, postgres_bound) = BOUNDS[i];
        assert!(
            on_sqlite[i].len() <= sqlite_bound,
            "{operation} on SQLite takes {} statements, bound {sqlite_bound}: {:#?}",
            on_sqlite[i].len(),
            on_sqlite[i]
        );
        assert!(
            on_postgres[i].len() <= postgres_bound,
            "{operation} on PostgreSQL takes {} statements, bound {postgres_bound}: {:#?}",
            on_postgres[i].len(),
            on_postgres[i]
        );
        assert!(
            !on_sqlite[i].is_empty() && !on_postgres[i].is_empty(),
            "{operation} ran no SQL?"
        );
    }
}
