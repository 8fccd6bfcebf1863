//! `cargo xtask bench export`: the concrete-outcomes export of `CUBE_BENCH_EXPORT_ROWS`
//! outcomes (default 1,000,000) through the release server, as `.xlsx` and as `.csv`, on the
//! embedded SQLite default and (with `DATABASE_URL`) on PostgreSQL: seconds from the request
//! to the last byte, the file's size, and the server's resident memory before and its peak
//! after (`VmRSS`, `VmHWM` of `/proc/<pid>/status`) — what issue 16's "a 1,000,000-row
//! export does not grow the server's memory by more than a few tens of MB" is held to.
//!
//! The outcomes are seeded through the store's own write path (`append_event`, 20,000 a unit
//! of work) into the demo's sales assignment before the server starts: Sales with a product
//! line, a note and an outcome field, spread over the last hour, each on one of the demo's
//! customers. On PostgreSQL only the first 20,000 go through the store; the rest are copies
//! of them made in SQL (a new id each), since appending a million one by one takes most of
//! an hour there. The files are read to the end and dropped (not kept on disk); the server
//! writes the workbook to an unlinked temporary file in the system's temp directory.
//! `CUBE_BENCH_EXPORT_FILES=xlsx` (or `csv`) exports one file only, on a fresh process;
//! `CUBE_BENCH_EXPORT_STORES=postgres` (or `sqlite`) measures one store only.

mod common;

use common::{
    SALES, Servers, Throwaway, id_by_name, log_in, memory, server, unique, wait_until_ready,
};
use cube_domain::fields::{FieldKey, FieldValue, FieldValues};
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, OutcomeEventId};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine};
use cube_domain::ports::Store;
use cube_testkit::fixtures::SalesFlow;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;

/// Outcomes appended in one unit of work while seeding.
const SEED_BATCH: usize = 20_000;

/// One export measured.
struct Measured {
    store: &'static str,
    file: &'static str,
    rows: usize,
    bytes: usize,
    seconds: f64,
    rss_before_mb: f64,
    peak_mb: f64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::var("CUBE_BENCH_EXPORT_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut measured = Vec::new();

    // `CUBE_BENCH_EXPORT_STORES=postgres` (or `sqlite`) measures one store; both by default.
    let stores =
        std::env::var("CUBE_BENCH_EXPORT_STORES").unwrap_or_else(|_| "sqlite,postgres".into());
    let on = |store: &str| stores.split(',').any(|s| s.trim() == store);

    if on("sqlite") {
        let dir = std::env::temp_dir().join(format!("cube-bench-export-{}", unique()));
        std::fs::create_dir_all(&dir)?;
        let sqlite = format!("sqlite://{}", dir.join("cube.db").display());
        let result = measure("SQLite", &sqlite, rows, &mut measured).await;
        let _ = std::fs::remove_dir_all(&dir);
        result?;
    }

    if !on("postgres") {
        eprintln!("CUBE_BENCH_EXPORT_STORES leaves PostgreSQL out");
    } else if std::env::var("DATABASE_URL").is_ok() {
        let database = Throwaway::create("cube_bench_export", "cargo xtask bench export").await?;
        let result = measure("PostgreSQL", &database.url, rows, &mut measured).await;
        database.drop_now().await;
        result?;
    } else {
        eprintln!("DATABASE_URL is not set: PostgreSQL is left out");
    }

    println!("{}", table(&measured));
    Ok(())
}

/// The store of `database`, opened in this process (for seeding only).
async fn open(database: &str) -> Result<Arc<dyn Store>, Box<dyn std::error::Error>> {
    Ok(if database.starts_with("sqlite:") {
        Arc::new(
            cube_sqlite::SqliteStore::connect(database, cube_sqlite::SqliteOptions::default())
                .await?,
        )
    } else {
        Arc::new(cube_postgres::PgStore::connect(database).await?)
    })
}

/// `rows` Sales in the demo's sales assignment, through the store's own `append_event`,
/// occurring a millisecond apart and ending a minute ago. Returns the assignment.
async fn seed(database: &str, rows: usize) -> Result<AssignmentId, Box<dyn std::error::Error>> {
    let store = open(database).await?;
    let mut read = store.begin_read().await?;
    let assignment = read
        .organisations()
        .await?
        .into_iter()
        .next()
        .ok_or("the demo has no organisation")?;
    let assignment = read
        .assignments(assignment.id)
        .await?
        .into_iter()
        .find(|a| a.name().as_str() == SALES)
        .ok_or("the demo has no sales assignment")?;
    let enrollments = read.enrollments(assignment.id()).await?;
    let product = read
        .products(assignment.data_owner())
        .await?
        .into_iter()
        .next()
        .ok_or("the demo has no product")?;
    let seller = read
        .users(assignment.organisation())
        .await?
        .into_iter()
        .next()
        .ok_or("the demo has no user")?;
    drop(read);
    if enrollments.is_empty() {
        return Err("the demo's sales assignment has no customers".into());
    }
    let key = FieldKey::parse("contract_months").map_err(|e| e.to_string())?;
    let start = OffsetDateTime::now_utc()
        - time::Duration::minutes(1)
        - time::Duration::milliseconds(rows as i64);
    let started = Instant::now();
    // PostgreSQL appends some hundreds of outcomes a second one by one on this machine (each
    // a round trip and the counters' triggers): its first outcomes go through the store, the
    // rest are copies of them made in SQL (see `copy_outcomes`).
    let through_store = if database.starts_with("sqlite:") {
        rows
    } else {
        rows.min(SEED_BATCH)
    };
    let mut written = 0;
    while written < through_store {
        let mut uow = store.begin().await?;
        for i in written..(written + SEED_BATCH).min(through_store) {
            let enrollment = &enrollments[i % enrollments.len()];
            let mut fields = FieldValues::new();
            fields.insert(key.clone(), FieldValue::Number(12 + (i % 24) as i64));
            let event = OutcomeEvent::from(OutcomeEventRecord {
                id: OutcomeEventId::from_uuid(uuid::Uuid::now_v7()),
                assignment: assignment.id(),
                enrollment: enrollment.id(),
                customer: enrollment.customer(),
                occurred_at: cube_domain::instant::truncate(
                    start + time::Duration::milliseconds(i as i64),
                ),
                user: Some(seller.id),
                outcome: Some(SalesFlow::O_SALE),
                class: OutcomeClass::Progress,
                option: None,
                from_state: SalesFlow::TO_CALL,
                to_state: SalesFlow::SALE,
                to_category: StateCategory::Yes,
                fields,
                products: vec![ProductLine {
                    product: product.id(),
                    quantity: 1 + (i % 3) as u32,
                    unit_price: product.unit_price(),
                    currency: product.currency().clone(),
                }],
                meeting: None,
                follow_up: None,
                note: Some(format!("Ringt {i}, kunden takket ja")),
            });
            uow.append_event(&event, None).await?;
        }
        uow.commit().await?;
        written = (written + SEED_BATCH).min(through_store);
    }
    drop(store);
    if through_store < rows {
        copy_outcomes(database, assignment.id(), rows - through_store).await?;
    }
    eprintln!(
        "seeded {rows} outcomes in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(assignment.id())
}

/// `count` more outcomes in `assignment` on PostgreSQL, copied in SQL from the ones the
/// store appended (each copy a new id, in its row and its JSON document, with the same
/// product lines; the same instant as its original, so the export's order breaks the tie by
/// append order), `SEED_BATCH` a statement. The counters' triggers run for every copy as for
/// an appended outcome.
async fn copy_outcomes(
    database: &str,
    assignment: AssignmentId,
    count: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    use sqlx::Connection as _;
    let mut connection = sqlx::PgConnection::connect(database).await?;
    let mut left = count;
    while left > 0 {
        let batch = left.min(SEED_BATCH);
        sqlx::query(
            "WITH originals AS MATERIALIZED (
                 SELECT e.*, gen_random_uuid() AS copy_id
                 FROM outcome_events e
                 WHERE e.assignment_id = $1
                 ORDER BY e.seq
                 LIMIT $2
             ), copies AS (
                 INSERT INTO outcome_events (id, assignment_id, enrollment_id, customer_id,
                     occurred_at, user_id, outcome_id, class, option, from_state, to_state,
                     to_category, meeting_id, product_lines, idempotency_key, event,
                     request_fingerprint)
                 SELECT copy_id, assignment_id, enrollment_id, customer_id, occurred_at,
                        user_id, outcome_id, class, option, from_state, to_state,
                        to_category, meeting_id, product_lines, NULL,
                        jsonb_set(event, '{id}', to_jsonb(copy_id::text)), NULL
                 FROM originals
                 RETURNING id
             )
             INSERT INTO event_product_lines (event_id, line_no, assignment_id, occurred_at,
                 to_category, product_id, currency, quantity, unit_price_minor,
                 unit_price_scale)
             SELECT o.copy_id, l.line_no, l.assignment_id, l.occurred_at, l.to_category,
                    l.product_id, l.currency, l.quantity, l.unit_price_minor,
                    l.unit_price_scale
             FROM originals o
             JOIN event_product_lines l ON l.event_id = o.id",
        )
        .bind(assignment.as_uuid())
        .bind(i64::try_from(batch)?)
        .execute(&mut connection)
        .await?;
        left -= batch;
    }
    let copied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outcome_events WHERE assignment_id = $1")
            .bind(assignment.as_uuid())
            .fetch_one(&mut connection)
            .await?;
    eprintln!("the assignment holds {copied} outcomes after copying {count}");
    Ok(())
}

/// Both exports of `rows` outcomes from a fresh demo on `database`.
async fn measure(
    store: &'static str,
    database: &str,
    rows: usize,
    measured: &mut Vec<Measured>,
) -> Result<(), Box<dyn std::error::Error>> {
    eprintln!("{store}: loading the demo …");
    let status = server(database).arg("demo").status()?;
    if !status.success() {
        return Err(format!("loading the demo failed: {status}").into());
    }
    eprintln!("{store}: seeding {rows} outcomes …");
    let assignment = seed(database, rows).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = server(database)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "serve",
            "--no-demo",
        ])
        .spawn()?;
    let pid = child.id();
    let _server = Servers(vec![child]);
    let client = reqwest::Client::new();
    wait_until_ready(&client, &base).await?;
    let token = log_in(&client, &base, "admin@demo.example.com").await?;
    let assignments: serde_json::Value = client
        .get(format!("{base}/api/assignments"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if id_by_name(&assignments, SALES)? != assignment.to_string() {
        return Err("the seeded assignment is not the demo's sales assignment".into());
    }
    let from = (OffsetDateTime::now_utc() - time::Duration::days(1)).date();
    let to = (OffsetDateTime::now_utc() + time::Duration::days(1)).date();
    for (file, query) in files() {
        let rss_before_mb = memory(pid, "VmRSS:");
        eprintln!("{store}: exporting {rows} outcomes as {file} …");
        let started = Instant::now();
        let answer = client
            .get(format!(
                "{base}/api/assignments/{assignment}/outcome-events/export?from={from}&to={to}&{query}"
            ))
            .bearer_auth(&token)
            .send()
            .await?;
        let status = answer.status();
        if !status.is_success() {
            return Err(format!(
                "the {file} export answered {status}: {}",
                answer.text().await?
            )
            .into());
        }
        let mut answer = answer;
        let mut bytes = 0;
        while let Some(chunk) = answer.chunk().await? {
            bytes += chunk.len();
        }
        measured.push(Measured {
            store,
            file,
            rows,
            bytes,
            seconds: started.elapsed().as_secs_f64(),
            rss_before_mb,
            peak_mb: memory(pid, "VmHWM:"),
        });
    }
    Ok(())
}

/// The files to export, in order: `CUBE_BENCH_EXPORT_FILES` (`xlsx`, `csv` or both, comma
/// separated; default `xlsx,csv`). One file a run puts each on a fresh process, so its
/// growth is its own and not what the one before left resident.
fn files() -> Vec<(&'static str, &'static str)> {
    let asked = std::env::var("CUBE_BENCH_EXPORT_FILES").unwrap_or_else(|_| "xlsx,csv".into());
    asked
        .split(',')
        .filter_map(|file| match file.trim() {
            "xlsx" => Some((".xlsx", "format=xlsx")),
            "csv" => Some((".csv", "format=csv&separator=semicolon")),
            _ => None,
        })
        .collect()
}

/// The figures as a Markdown table.
fn table(measured: &[Measured]) -> String {
    let mut out = String::from(
        "| Store | File | Rows | Size | Seconds | Rows/s | RSS before | Peak RSS | Growth |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for m in measured {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} MB | {:.1} | {:.0} | {:.1} MB | {:.1} MB | {:.1} MB |",
            m.store,
            m.file,
            m.rows,
            m.bytes as f64 / 1_000_000.0,
            m.seconds,
            m.rows as f64 / m.seconds,
            m.rss_before_mb,
            m.peak_mb,
            m.peak_mb - m.rss_before_mb,
        );
    }
    out
}
