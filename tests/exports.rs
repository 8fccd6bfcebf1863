//! The outcome exports stream a page at a time on every store: with a page of three
//! outcomes, 20 registered outcomes (seven pages and a short one) download through the HTTP
//! router as a workbook and as CSV complete and in order — every outcome once, oldest first,
//! its note and its products where they belong — on the in-memory store, SQLite and
//! PostgreSQL; and so do the customer-status download and a selection's export (30
//! customers, ten pages of enrollments, the selection keeping some of each). The workbook is read back with calamine, the CSV parsed field by field. The
//! router has no request time limit left for them: a download is exempt from it.
//!
//! Why here: the pages follow each store's own keyset query (`outcome_list`), so a page
//! boundary that skipped or repeated a row would show on one store and not another; this
//! package is the one that sees every store and the router together.

mod support;

use calamine::{Data, Reader, Xlsx};
use cube_app::Cube;
use cube_domain::bulk::Selection;
use cube_domain::flow::StateCategory;
use cube_domain::ports::{Clock, Store, TokenKind};
use cube_postgres::PgStore;
use cube_sqlite::SqliteStore;
use cube_testkit::fixtures::{T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use std::num::NonZeroU32;
use std::sync::Arc;
use time::Duration;
use time::format_description::well_known::Rfc3339;

/// Outcomes registered: more than several pages of [`PAGE`].
const OUTCOMES: i64 = 20;

/// The export's page in these tests.
const PAGE: u32 = 3;

/// A downloaded file: its status and bytes.
async fn download(base: &str, path: &str, token: &str) -> (u16, Vec<u8>) {
    let answer = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server answers");
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.expect("the whole body").to_vec();
    (status, bytes)
}

/// A CSV text's records, each a list of fields (every field quoted, no line breaks inside).
fn parse_csv(text: &str, separator: &str) -> Vec<Vec<String>> {
    text.trim_start_matches('\u{feff}')
        .split_terminator("\r\n")
        .map(|line| {
            let inner = line
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap_or_else(|| panic!("a quoted record: {line}"));
            inner
                .split(&format!("\"{separator}\""))
                .map(|field| field.replace("\"\"", "\""))
                .collect()
        })
        .collect()
}

/// Registers [`OUTCOMES`] calls on `store`, then downloads the outcomes and the sold products
/// as a workbook and as CSV through the router, and checks each is complete and in order.
async fn exports_are_complete_and_in_order(name: &str, store: Arc<dyn Store>) {
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 30)
        .await
        .expect("the world builds");
    let cube = Cube::new(store.clone(), clock.clone(), ids)
        .with_export_page(NonZeroU32::new(PAGE).expect("not zero"));
    let assignment = world.assignment.id();
    let mut notes = Vec::new();
    let mut sold_lines = 0;
    for i in 0..OUTCOMES {
        clock.set(T0 + Duration::minutes(i));
        let seller = world.seller(i as usize);
        let item = cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("a customer to call");
        let mut command = cube_testkit::fixtures::sales_call(i, clock.now(), &world);
        let note = format!("samtale {i:02} — Ødegård");
        command.note = Some(note.clone());
        let registered = cube
            .register_outcome(seller, item.enrollment.id(), command, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: call {i}: {e}"));
        // The sold products are the lines of the sales (an offer's lines are not sold).
        if registered.event.to_category() == StateCategory::Yes {
            sold_lines += registered.event.products().len();
        }
        notes.push(note);
    }
    clock.set(T0 + Duration::hours(2));
    let token = "export-test-token";
    cube.issue_token(
        world.manager.id,
        &cube_http::auth::token_hash(token),
        TokenKind::Api,
        None,
    )
    .await
    .expect("a token");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let mut state = cube_http::AppState::new(cube.clone());
    // A download is not held to the request time limit (counting a million outcomes before
    // the file starts takes longer): with no time at all, the exports still answer.
    state.request_timeout = std::time::Duration::ZERO;
    let router = cube_http::router(state);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let from = (T0 - Duration::hours(1)).format(&Rfc3339).expect("a time");
    let to = (T0 + Duration::days(1)).format(&Rfc3339).expect("a time");
    let path = format!("/api/assignments/{assignment}/outcome-events/export?from={from}&to={to}");

    // The workbook: the header, then every outcome, oldest first.
    let (status, bytes) = download(&base, &path, token).await;
    assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&bytes));
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let sheet = book.worksheet_range("Utfall").expect("the sheet");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    let note = header
        .iter()
        .position(|h| h == "note")
        .expect("a note column");
    let time = header
        .iter()
        .position(|h| h == "time")
        .expect("a time column");
    let in_book: Vec<String> = rows[1..].iter().map(|r| r[note].to_string()).collect();
    assert_eq!(in_book, notes, "{name}: every outcome once, in order");
    assert!(
        rows[1..]
            .iter()
            .all(|r| matches!(r[time], Data::DateTime(_))),
        "{name}: times are date-times"
    );

    // The CSV: the same rows.
    let (status, bytes) = download(
        &base,
        &format!("{path}&format=csv&separator=semicolon"),
        token,
    )
    .await;
    assert_eq!(status, 200, "{name}");
    let records = parse_csv(&String::from_utf8(bytes).expect("UTF-8"), ";");
    assert_eq!(records[0], header, "{name}: the same header");
    let in_csv: Vec<String> = records[1..].iter().map(|r| r[note].clone()).collect();
    assert_eq!(in_csv, notes, "{name}: every outcome once, in order");

    // The sold products: a row per product line of every sale, as a workbook and as CSV.
    let lines =
        format!("/api/assignments/{assignment}/reports/sales/lines/export?from={from}&to={to}");
    let (status, bytes) = download(&base, &lines, token).await;
    assert_eq!(status, 200, "{name}");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let sheet = book.worksheet_range("Solgte produkter").expect("the sheet");
    assert!(sold_lines > 0, "the rotation sells something");
    assert_eq!(
        sheet.rows().count(),
        1 + sold_lines,
        "{name}: every sold line"
    );
    let (status, bytes) = download(&base, &format!("{lines}&format=csv"), token).await;
    assert_eq!(status, 200, "{name}");
    let records = parse_csv(&String::from_utf8(bytes).expect("UTF-8"), ",");
    assert_eq!(records.len(), 1 + sold_lines, "{name}: every sold line");
    let times: Vec<&String> = records[1..].iter().map(|r| &r[0]).collect();
    assert!(times.is_sorted(), "{name}: oldest first: {times:?}");

    // The customer-status download: every customer of the assignment once, in import order,
    // a page of three enrollments at a time, as CSV and as a workbook.
    let everyone: Vec<String> = cube
        .select(world.manager.id, assignment, &Selection::default())
        .await
        .expect("the selection")
        .iter()
        .map(|row| row.customer.details().name.to_string())
        .collect();
    assert_eq!(everyone.len(), 30, "{name}: the world's customers");
    let status = format!("/api/assignments/{assignment}/reports/status/export");
    let (code, bytes) = download(&base, &status, token).await;
    assert_eq!(code, 200, "{name}: {}", String::from_utf8_lossy(&bytes));
    let records = parse_csv(&String::from_utf8(bytes).expect("UTF-8"), ",");
    assert_eq!(records[0][1], "name");
    let in_csv: Vec<String> = records[1..].iter().map(|r| r[1].clone()).collect();
    assert_eq!(
        in_csv, everyone,
        "{name}: every customer once, in import order"
    );
    let (code, bytes) = download(&base, &format!("{status}?format=xlsx"), token).await;
    assert_eq!(code, 200, "{name}");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let sheet = book.worksheet_range("Kunder").expect("the sheet");
    let in_book: Vec<String> = sheet.rows().skip(1).map(|r| r[1].to_string()).collect();
    assert_eq!(in_book, everyone, "{name}: the workbook's customers");

    // A selection's export: those called at least once, thinned out of the pages.
    let called = Selection {
        min_attempts: Some(1),
        ..Selection::default()
    };
    let chosen: Vec<String> = cube
        .select(world.manager.id, assignment, &called)
        .await
        .expect("the selection")
        .iter()
        .map(|row| row.customer.details().name.to_string())
        .collect();
    assert!(
        !chosen.is_empty() && chosen.len() < everyone.len(),
        "{name}: some are called, not all: {}",
        chosen.len()
    );
    for (format, separator) in [("csv", "semicolon"), ("xlsx", "comma")] {
        let answer = reqwest::Client::new()
            .post(format!(
                "{base}/api/assignments/{assignment}/selection/export"
            ))
            .bearer_auth(token)
            .json(&serde_json::json!({
                "selection": { "min_attempts": 1 },
                "format": format,
                "separator": separator,
            }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(answer.status().as_u16(), 200, "{name}: {format}");
        let bytes = answer.bytes().await.expect("the whole body").to_vec();
        let names: Vec<String> = if format == "csv" {
            parse_csv(&String::from_utf8(bytes).expect("UTF-8"), ";")[1..]
                .iter()
                .map(|r| r[1].clone())
                .collect()
        } else {
            let mut book: Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
            let sheet = book.worksheet_range("Utvalg").expect("the sheet");
            sheet.rows().skip(1).map(|r| r[1].to_string()).collect()
        };
        assert_eq!(
            names, chosen,
            "{name}: the selection's {format}, in import order"
        );
    }
    server.abort();
}

#[tokio::test]
async fn outcome_exports_stream_complete_and_in_order_on_every_store() {
    exports_are_complete_and_in_order("memory", Arc::new(MemoryStore::new())).await;

    let sqlite = SqliteStore::in_memory().await.expect("sqlite");
    sqlite.migrate().await.expect("migrated");
    exports_are_complete_and_in_order("SQLite", Arc::new(sqlite)).await;

    let database = support::PgDatabase::create().await;
    let postgres = PgStore::connect(&database.url).await.expect("postgres");
    postgres.migrate().await.expect("migrated");
    exports_are_complete_and_in_order("PostgreSQL", Arc::new(postgres.clone())).await;
    postgres.close().await;
}
