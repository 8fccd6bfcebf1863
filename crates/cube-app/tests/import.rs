//! Importing a large file: written in chunks (each its own unit of work, so other users'
//! writes get their turn), progress told after each, and a failure part-way said as such —
//! with the rows already written kept, and the same file sent again finishing the import
//! without duplicates.

mod faulty;

use cube_app::customers::{CustomerInput, IMPORT_CHUNK_ROWS, ImportCommand, ImportProgress};
use cube_app::{AppError, Cube, ErrorKind};
use cube_domain::customer::CustomerFilter;
use cube_domain::data_owner::Dataset;
use cube_domain::ports::{OnMatch, Page, Store, StoreError};
use cube_testkit::fixtures::{T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use faulty::FaultyStore;
use std::sync::Arc;
use std::sync::atomic::Ordering;

struct Setup {
    cube: Cube,
    world: World,
    faulty: Arc<FaultyStore>,
}

async fn setup() -> Setup {
    let memory = MemoryStore::new();
    let faulty = Arc::new(FaultyStore::over(memory.shared()));
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(&memory, clock.as_ref(), ids.as_ref(), 0)
        .await
        .expect("the world");
    let store: Arc<dyn Store> = faulty.clone();
    Setup {
        cube: Cube::new(store, clock, ids),
        world,
        faulty,
    }
}

fn rows(count: usize) -> Vec<CustomerInput> {
    (0..count)
        .map(|n| CustomerInput {
            name: format!("Kunde {n}"),
            phones: vec![format!("+47 9{n:07}")],
            external_id: Some(format!("crm-{n}")),
            ..CustomerInput::default()
        })
        .collect()
}

fn command(s: &Setup, rows: Vec<CustomerInput>) -> ImportCommand {
    ImportCommand {
        assignment: s.world.assignment.id(),
        dataset: Dataset::B2b,
        segment: None,
        rows,
        on_match: OnMatch::Update,
    }
}

async fn customer_count(s: &Setup) -> usize {
    s.cube
        .customers(
            &s.world.admin,
            s.world.data_owner.id(),
            &CustomerFilter::default(),
            Page {
                offset: 0,
                limit: 100_000,
            },
        )
        .await
        .expect("customers")
        .len()
}

#[tokio::test]
async fn a_large_import_is_written_in_chunks_and_tells_its_progress() {
    let s = setup().await;
    let total = 2 * IMPORT_CHUNK_ROWS + 500;
    let mut file = rows(total);
    // A bad row is rejected, not counted in the progress.
    file[7].phones = vec!["not a number".into()];
    let mut seen = Vec::new();
    let report = s
        .cube
        .import_customers_with_progress(&s.world.admin, command(&s, file), &mut |p| seen.push(p))
        .await
        .expect("imported");
    let taken = total - 1;
    assert_eq!(
        seen,
        vec![
            ImportProgress {
                rows_done: IMPORT_CHUNK_ROWS,
                rows_total: taken
            },
            ImportProgress {
                rows_done: 2 * IMPORT_CHUNK_ROWS,
                rows_total: taken
            },
            ImportProgress {
                rows_done: taken,
                rows_total: taken
            },
        ]
    );
    assert_eq!(report.created, taken);
    assert_eq!(report.enrolled, taken);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].row, 8);
    // Every taken row is reported once, in file order, across the chunks.
    let numbers: Vec<usize> = report.rows.iter().map(|r| r.row).collect();
    let expected: Vec<usize> = (1..=total).filter(|&n| n != 8).collect();
    assert_eq!(numbers, expected);
    assert_eq!(customer_count(&s).await, taken);
}

#[tokio::test]
async fn an_import_stopping_part_way_says_how_far_it_came_and_a_resend_finishes_it() {
    let s = setup().await;
    let total = 2 * IMPORT_CHUNK_ROWS + 10;
    s.faulty.import_batches_left.store(1, Ordering::SeqCst);
    let stopped = s
        .cube
        .import_customers(&s.world.admin, command(&s, rows(total)))
        .await
        .expect_err("the second chunk fails");
    assert_eq!(
        stopped,
        AppError::ImportStopped {
            imported: IMPORT_CHUNK_ROWS,
            total,
            cause: Box::new(AppError::Store(StoreError::Unavailable(
                "the database went away".into()
            ))),
        }
    );
    // The kind is the cause's: the same request may succeed later.
    assert_eq!(stopped.kind(), ErrorKind::Unavailable);
    assert!(
        stopped.to_string().contains(&format!(
            "after {IMPORT_CHUNK_ROWS} of {total} rows were written"
        )),
        "{stopped}"
    );
    assert_eq!(customer_count(&s).await, IMPORT_CHUNK_ROWS);

    s.faulty
        .import_batches_left
        .store(usize::MAX, Ordering::SeqCst);
    let finished = s
        .cube
        .import_customers(&s.world.admin, command(&s, rows(total)))
        .await
        .expect("the same file again");
    assert_eq!(finished.matched, IMPORT_CHUNK_ROWS);
    assert_eq!(finished.created, total - IMPORT_CHUNK_ROWS);
    assert_eq!(finished.already_enrolled, IMPORT_CHUNK_ROWS);
    assert_eq!(customer_count(&s).await, total, "no row twice");
}

#[tokio::test]
async fn an_import_failing_in_its_first_chunk_writes_nothing_and_says_the_cause() {
    let s = setup().await;
    s.faulty.import_batches_left.store(0, Ordering::SeqCst);
    let failed = s
        .cube
        .import_customers(&s.world.admin, command(&s, rows(IMPORT_CHUNK_ROWS + 1)))
        .await
        .expect_err("the first chunk fails");
    assert_eq!(
        failed,
        AppError::Store(StoreError::Unavailable("the database went away".into()))
    );
    assert_eq!(customer_count(&s).await, 0);
}

#[tokio::test]
async fn a_seller_cannot_import() {
    let s = setup().await;
    let refused = s
        .cube
        .import_customers(&s.world.sellers[0], command(&s, rows(3)))
        .await
        .expect_err("sellers do not import");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    assert_eq!(customer_count(&s).await, 0);
}
