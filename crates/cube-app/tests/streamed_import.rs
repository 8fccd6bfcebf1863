//! A file imported from a source read row by row (issue 16): the good rows written chunk
//! by chunk with their row numbers, the rejected ones (refused while reading, unparsable,
//! or the same customer as an earlier row) read past; a job cancelled part-way stops
//! between two chunks, keeps what it wrote recorded with the import, and that import is
//! undone whole.

mod common;

use common::Harness;
use cube_app::AppError;
use cube_app::customers::{CustomerInput, ImportProgress, RejectedRow};
use cube_app::import_jobs::{ImportJobError, ImportJobId, ImportJobState, ImportJobs};
use cube_app::streamed_imports::{ImportSource, ImportTarget, SourceRow};
use cube_domain::data_owner::Dataset;
use cube_domain::ports::OnMatch;
use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use time::Duration;

fn row(number: usize, name: &str, phone: &str) -> SourceRow {
    SourceRow::Input {
        row: number,
        input: CustomerInput {
            name: name.into(),
            phones: vec![phone.into()],
            ..CustomerInput::default()
        },
    }
}

/// Rows held in memory, handed out as a file would; `on_read(n)` runs before the n-th read.
struct Rows {
    rows: VecDeque<SourceRow>,
    reads: usize,
    on_read: Box<dyn FnMut(usize) + Send>,
}

impl Rows {
    fn new(rows: Vec<SourceRow>) -> Self {
        Self {
            rows: rows.into(),
            reads: 0,
            on_read: Box::new(|_| {}),
        }
    }
}

#[async_trait::async_trait]
impl ImportSource for Rows {
    async fn next_rows(&mut self, max: usize) -> Result<Vec<SourceRow>, String> {
        self.reads += 1;
        (self.on_read)(self.reads);
        let n = max.min(self.rows.len());
        Ok(self.rows.drain(..n).collect())
    }
}

fn target(h: &Harness) -> ImportTarget {
    ImportTarget {
        assignment: h.world.assignment.id(),
        dataset: Dataset::B2b,
        segment: None,
        on_match: OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
    }
}

#[tokio::test]
async fn good_rows_are_written_in_chunks_and_rejected_ones_read_past() {
    let h = Harness::new(0).await;
    let w = &h.world;
    let opened = h
        .cube
        .open_import(&w.manager, target(&h))
        .await
        .expect("opened");
    let mut rows: Vec<SourceRow> = (0..25)
        .map(|i| row(i + 2, &format!("Firma {i} AS"), &format!("+47911200{i:02}")))
        .collect();
    rows.insert(
        3,
        SourceRow::Refused(RejectedRow {
            row: 99,
            reason: cube_app::rejected_rows::RejectReason::FieldCount {
                fields: 2,
                header: 3,
            },
        }),
    );
    rows.push(row(30, "Ugyldig AS", "ikke et nummer"));
    rows.push(row(31, "Samme AS", "+4791120000"));
    let mut seen = Vec::new();
    let report = h
        .cube
        .write_streamed(
            &w.manager,
            &opened,
            &mut Rows::new(rows),
            10,
            25,
            &mut |p: ImportProgress| seen.push(p.rows_done),
            &AtomicBool::new(false),
        )
        .await
        .expect("written");
    assert_eq!(seen, [10, 20, 25], "progress after each chunk");
    assert_eq!((report.created, report.enrolled), (25, 25));
    assert_eq!(report.rows.len(), 25);
    assert_eq!(report.rows[0].row, 2);
    assert_eq!(report.rows[24].row, 26);
    assert_eq!(report.import, Some(opened.import()));
    let listed = h
        .cube
        .customer_imports(&w.manager, w.data_owner.id())
        .await
        .expect("listed");
    assert_eq!(listed[0].customers.len(), 25, "every chunk recorded");
}

#[tokio::test]
async fn a_job_cancelled_part_way_stops_between_chunks_and_its_import_is_undone() {
    let h = Harness::new(0).await;
    let w = &h.world;
    let jobs = ImportJobs::new();
    let opened = h
        .cube
        .open_import(&w.manager, target(&h))
        .await
        .expect("opened");
    let import = opened.import();
    let rows = (0..50)
        .map(|i| row(i + 2, &format!("Firma {i} AS"), &format!("+47911300{i:02}")))
        .collect();
    let mut source = Rows::new(rows);
    // The user cancels while the second chunk is read (beside the first being written):
    // the first is kept, the second, read ahead, is not written.
    let job_id: Arc<Mutex<Option<ImportJobId>>> = Arc::default();
    let (canceller, user, slot) = (jobs.clone(), w.manager.clone(), job_id.clone());
    let now = h.cube.now();
    source.on_read = Box::new(move |read| {
        if read == 2 {
            let id = slot.lock().expect("lock").expect("started");
            canceller.cancel(&user, id, now).expect("cancelled");
        }
    });
    let (job, run) = jobs
        .start_streamed(
            &h.cube,
            &w.manager,
            opened,
            Box::new(source),
            10,
            50,
            0,
            Vec::new(),
        )
        .expect("started");
    *job_id.lock().expect("lock") = Some(job.id);
    let ended = run.run().await;
    let expected = ImportJobState::Failed(AppError::ImportStopped {
        imported: 10,
        total: 50,
        cause: Box::new(AppError::ImportJob(ImportJobError::Cancelled)),
    });
    assert_eq!(
        ended, expected,
        "the chunk being written is kept, then it stops"
    );
    assert_eq!(
        jobs.job(&w.manager, job.id, h.cube.now())
            .expect("kept")
            .state,
        expected
    );
    assert_eq!(
        jobs.cancel(&w.manager, job.id, h.cube.now()),
        Err(AppError::ImportJob(ImportJobError::NotRunning))
    );

    let listed = h
        .cube
        .customer_imports(&w.manager, w.data_owner.id())
        .await
        .expect("listed");
    assert_eq!(listed[0].id, import);
    assert_eq!(
        listed[0].customers.len(),
        10,
        "what was written is recorded"
    );
    h.clock.advance(Duration::minutes(5));
    let undone = h
        .cube
        .undo_import(&w.manager, import)
        .await
        .expect("undone");
    assert_eq!(
        (undone.customers_removed, undone.enrollments_removed),
        (10, 10)
    );
}

/// A source that hands out its rows, then fails on the read after `good_reads` reads.
struct FailsLater {
    rows: Rows,
    good_reads: usize,
}

#[async_trait::async_trait]
impl ImportSource for FailsLater {
    async fn next_rows(&mut self, max: usize) -> Result<Vec<SourceRow>, String> {
        if self.rows.reads == self.good_reads {
            return Err("the disk failed".into());
        }
        self.rows.next_rows(max).await
    }
}

#[tokio::test]
async fn a_source_failing_while_a_chunk_is_written_stops_after_that_chunk() {
    let h = Harness::new(0).await;
    let w = &h.world;
    let opened = h
        .cube
        .open_import(&w.manager, target(&h))
        .await
        .expect("opened");
    let rows: Vec<SourceRow> = (0..25)
        .map(|i| row(i + 2, &format!("Firma {i} AS"), &format!("+47911300{i:02}")))
        .collect();
    // The second chunk is read while the first is written, and that read fails: the first
    // chunk is kept (and recorded), the import stops saying how far it came.
    let mut source = FailsLater {
        rows: Rows::new(rows),
        good_reads: 1,
    };
    let stopped = h
        .cube
        .write_streamed(
            &w.manager,
            &opened,
            &mut source,
            10,
            25,
            &mut |_| {},
            &AtomicBool::new(false),
        )
        .await
        .expect_err("the source failed");
    let AppError::ImportStopped {
        imported, cause, ..
    } = stopped
    else {
        panic!("stopped part-way: {stopped:?}")
    };
    assert_eq!(imported, 10, "the chunk written while the next was read");
    assert!(cause.to_string().contains("the disk failed"), "{cause}");
    let listed = h
        .cube
        .customer_imports(&w.manager, w.data_owner.id())
        .await
        .expect("listed");
    assert_eq!(listed[0].customers.len(), 10);
}

#[tokio::test]
async fn the_second_pass_takes_the_numbers_the_first_parsed_and_writes_the_same_customers() {
    use cube_app::streamed_imports::RowChecker;
    let h = Harness::new(0).await;
    let w = &h.world;
    let opened = h
        .cube
        .open_import(&w.manager, target(&h))
        .await
        .expect("opened");
    let input = |name: &str, phones: &[&str]| CustomerInput {
        name: name.into(),
        phones: phones.iter().map(|p| (*p).to_owned()).collect(),
        ..CustomerInput::default()
    };
    let rows = [
        (2, input("Én AS", &["912 34 567", "22 33 44 55"])),
        (3, input("To AS", &["ikke et nummer"])),
        (4, input("Tre AS", &["", "+46 70 123 45 67"])),
        (5, input("Fire AS", &["47 59 68 53"])),
    ];
    let mut first = RowChecker::new(&h.cube, &opened);
    let checked: Vec<_> = rows
        .iter()
        .map(|(row, input)| first.check(*row, input).map(|c| c.details().phones.clone()))
        .collect();
    let parsed = first.take_parsed_phones();
    assert_eq!(parsed.len(), 4, "the good numbers, each once");

    let opened = opened.with_parsed_phones(parsed);
    let mut second = RowChecker::new(&h.cube, &opened);
    let again: Vec<_> = rows
        .iter()
        .map(|(row, input)| {
            second
                .check(*row, input)
                .map(|c| c.details().phones.clone())
        })
        .collect();
    assert_eq!(again, checked, "the same numbers, the same refusals");
    assert_eq!(
        again[0]
            .as_ref()
            .map(|p| p.iter().map(|n| n.as_str()).collect::<Vec<_>>()),
        Ok(vec!["+4791234567", "+4722334455"])
    );
    assert!(
        again[1].is_err(),
        "a number that did not parse is refused again"
    );
    assert_eq!(
        second.take_parsed_phones().len(),
        0,
        "a second pass keeps nothing"
    );
}
