//! The 100,000-row imports through the port: alone, and while sellers run the cycle.

use crate::markdown::Imported;
use crate::paths::{Sample, Shared, Side, Until, Window, Work, run_slice_timed};
use crate::{BenchResult, IMPORT_LEAD, IMPORT_SELLERS, ms, now_us};
use cube_domain::assignment::Assignment;
use cube_domain::ids::{CustomerId, EnrollmentId};
use cube_domain::ports::{ImportBatch, ImportRow, OnMatch, Store};
use cube_sqlite::SqliteStore;
use cube_testkit::fixtures::World;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// `rows` fresh customers (numbered from `first_index`, so their phones and external ids are
/// new) to enroll in `second`.
pub(crate) fn import_batch(
    world: &World,
    second: &Assignment,
    first_index: i64,
    rows: usize,
) -> BenchResult<ImportBatch> {
    let first = usize::try_from(first_index)?;
    Ok(ImportBatch {
        data_owner: world.data_owner.id(),
        assignment: second.id(),
        initial_state: world.sales_flow.initial_state(),
        segment: None,
        enrolled_at: now_us(),
        on_match: OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows: (0..rows)
            .map(|i| ImportRow {
                customer: World::customer(
                    CustomerId::from_uuid(Uuid::now_v7()),
                    &world.data_owner,
                    first + i,
                ),
                enrollment: EnrollmentId::from_uuid(Uuid::now_v7()),
            })
            .collect(),
    })
}

/// The rows of one unit of work, as the import use case writes them
/// (`cube_app::customers::IMPORT_CHUNK_ROWS`): the writer's turn comes round between chunks.
pub(crate) const IMPORT_CHUNK_ROWS: usize = 2_000;

/// The batch imported as the import use case writes it, a unit of work per
/// [`IMPORT_CHUNK_ROWS`]: its time and what it did.
pub(crate) async fn import(
    store: &SqliteStore,
    batch: &ImportBatch,
) -> BenchResult<(Duration, String)> {
    eprintln!("importing {} customers …", batch.rows.len());
    let started = Instant::now();
    let mut counts = cube_domain::ports::ImportCounts::default();
    for rows in batch.rows.chunks(IMPORT_CHUNK_ROWS) {
        let chunk = ImportBatch {
            rows: rows.to_vec(),
            ..batch.clone()
        };
        let mut uow = store.begin().await?;
        counts.add(uow.import_batch(&chunk).await?);
        uow.commit().await?;
    }
    let elapsed = started.elapsed();
    eprintln!(
        "  import: {:.2} s, created {}, enrolled {}",
        elapsed.as_secs_f64(),
        counts.created,
        counts.enrolled
    );
    Ok((
        elapsed,
        format!(
            "created {}, matched {}, enrolled {}, already enrolled {}",
            counts.created, counts.matched, counts.enrolled, counts.already_enrolled
        ),
    ))
}

/// [`import`] within the time limit (dropped, so rolled back, after it).
pub(crate) async fn timed_import(
    store: &SqliteStore,
    batch: &ImportBatch,
    limit: Duration,
) -> Imported {
    let rows = batch.rows.len();
    match tokio::time::timeout(limit, import(store, batch)).await {
        Ok(Ok((elapsed, counts))) => Imported::Done(rows, elapsed, counts),
        Ok(Err(error)) => Imported::Failed(rows, error.to_string()),
        Err(_) => {
            eprintln!(
                "  import: not done after {:.0} s; dropped",
                limit.as_secs_f64()
            );
            Imported::TimedOut(rows, limit)
        }
    }
}

/// The import while `IMPORT_SELLERS` sellers run the cycle through the port: the import, and
/// the sellers' operations that overlapped it.
pub(crate) async fn import_beside_sellers(
    shared: &Arc<Shared>,
    batch: &ImportBatch,
    limit: Duration,
) -> (Imported, Sample) {
    let stop = Arc::new(AtomicBool::new(false));
    let window: Window = Arc::new(std::sync::Mutex::new(None));
    let sellers = {
        let shared = Arc::clone(shared);
        let stop = Arc::clone(&stop);
        let window = Arc::clone(&window);
        tokio::spawn(async move {
            run_slice_timed(
                &shared,
                Work::Cycle,
                Side::Ours,
                IMPORT_SELLERS,
                Until::Stopped(stop),
                Some(window),
            )
            .await
        })
    };
    tokio::time::sleep(IMPORT_LEAD).await;
    let from = Instant::now();
    let imported = timed_import(&shared.store, batch, limit).await;
    let to = Instant::now();
    if let Ok(mut w) = window.lock() {
        *w = Some((from, to));
    }
    stop.store(true, Ordering::Relaxed);
    let sample = match sellers.await {
        Ok(sample) => sample,
        Err(error) => Sample {
            first_error: Some(error.to_string()),
            ..Sample::default()
        },
    };
    eprintln!(
        "  sellers beside the import: {} cycles, {} failed, p99 {}",
        sample.latencies_us.len(),
        sample.errors(),
        ms(sample.percentile(99.0))
    );
    (imported, sample)
}
