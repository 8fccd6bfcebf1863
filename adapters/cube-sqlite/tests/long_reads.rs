//! A long read keeps to one connection (issue 16): an export's pages — the outcome export's
//! two passes, two read units a page, and the customer-status download — run on the
//! connection the store sets aside for long reads, never passing through the readers' pool.
//! Passing through it, a 200,000-outcome export warmed all seven readers (each its page
//! cache and its thread's allocator arena) and grew the server by 57 MB where one reader gave
//! 27 MB (docs/performance.md). What is observable here is how many connections each pool
//! has opened: the pool opens another whenever none is idle, and a unit begun right after
//! another finds its connection still on the way back (the pool returns it on a spawned
//! task), so pages run through the readers' pool open connection after connection.
#![allow(clippy::unwrap_used)]

mod common;

use common::TempDb;
use cube_app::Cube;
use cube_app::reports::Window;
use cube_domain::ids::OrganisationId;
use cube_domain::outcome::OutcomeFilter;
use cube_domain::ports::Clock;
use cube_sqlite::{SqliteOptions, SqliteStore};
use cube_testkit::fixtures::{T0, World};
use cube_testkit::{FixedClock, SequentialIds};
use std::num::NonZeroU32;
use std::sync::Arc;
use time::Duration;

/// Outcomes registered, and the export's page: twelve pages.
const OUTCOMES: i64 = 24;
const PAGE: u32 = 2;

#[tokio::test]
async fn an_exports_pages_keep_to_the_one_connection_set_aside_for_long_reads() {
    let db = TempDb::new("long-reads");
    let store = Arc::new(
        SqliteStore::connect(&db.url(), SqliteOptions::default())
            .await
            .unwrap(),
    );
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 30)
        .await
        .unwrap();
    let cube = Cube::new(store.clone(), clock.clone(), ids)
        .with_export_page(NonZeroU32::new(PAGE).unwrap());
    let assignment = world.assignment.id();
    for i in 0..OUTCOMES {
        clock.set(T0 + Duration::minutes(i));
        let seller = world.seller(i as usize);
        let item = cube
            .next_customer(seller, assignment)
            .await
            .unwrap()
            .expect("a customer to call");
        let command = cube_testkit::fixtures::sales_call(i, clock.now(), &world);
        cube.register_outcome(seller, item.enrollment.id(), command, None)
            .await
            .unwrap();
    }
    clock.set(T0 + Duration::hours(2));
    assert_eq!(
        store.long_read_pool().size(),
        0,
        "nothing has read long yet (the connection opens on the first long read)"
    );
    let readers = store.pool().size();

    let window = Window {
        from: T0 - Duration::hours(1),
        to: T0 + Duration::days(1),
    };
    let mut export = cube
        .outcome_export(&world.manager, assignment, window, OutcomeFilter::default())
        .await
        .unwrap();
    assert_eq!(
        export.outcomes, OUTCOMES as usize,
        "counted in the first pass"
    );
    let mut written = 0;
    while let Some(page) = export.rows.next_page().await.unwrap() {
        assert!(page.len() <= PAGE as usize);
        written += page.len();
    }
    assert_eq!(written, OUTCOMES as usize, "every outcome, once");

    let mut status = cube
        .customer_status_export(&world.manager, assignment, None)
        .await
        .unwrap();
    let mut customers = 0;
    while let Some(page) = status.rows.next_page().await.unwrap() {
        customers += page.len();
    }
    assert_eq!(customers, 30);

    // The export's own opening unit (access, names) is an ordinary read and may take a reader
    // of its own; the pages took none: 24 outcomes at 2 a page, counted and then written
    // (48 units), and 15 pages of customers, would have opened every reader of the pool.
    assert!(
        store.pool().size() <= readers + 1,
        "the pages opened readers' connections: {readers} before, {} after",
        store.pool().size()
    );
    assert_eq!(
        store.long_read_pool().size(),
        1,
        "every page of both exports ran on the one connection set aside for long reads"
    );
    store.close().await;
}

/// A store of two connections (the writer and one reader) has none to set aside: long reads
/// share the reader, and still read.
#[tokio::test]
async fn a_store_of_two_connections_reads_long_on_its_one_reader() {
    let db = TempDb::new("long-reads-two");
    let options = SqliteOptions {
        max_connections: 2,
        ..SqliteOptions::default()
    };
    let store = SqliteStore::connect(&db.url(), options).await.unwrap();
    for _ in 0..3 {
        let mut unit = cube_domain::ports::Store::begin_long_read(&store)
            .await
            .unwrap();
        let nobody = OrganisationId::from_uuid(uuid::Uuid::from_u128(7));
        assert_eq!(unit.organisation(nobody).await.unwrap(), None);
    }
    assert_eq!(store.pool().size(), 1, "the one reader");
    store.close().await;
}
