//! Importing a large file: written in chunks (each its own unit of work, so other users'
//! writes get their turn), progress told after each, and a failure part-way said as such —
//! with the rows already written kept, and the same file sent again finishing the import
//! without duplicates.

mod faulty;

use cube_app::customers::{CustomerInput, IMPORT_CHUNK_ROWS, ImportCommand, ImportProgress};
use cube_app::import_jobs::{
    FINISHED_KEPT_FOR, ImportJobError, ImportJobState, ImportJobs, MAX_FINISHED_PER_ORGANISATION,
    MAX_RUNNING_PER_ORGANISATION,
};
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
    clock: Arc<FixedClock>,
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
        cube: Cube::new(store, clock.clone(), ids),
        world,
        faulty,
        clock,
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
        match_by: cube_domain::import_match::MatchKeys::ALL,
        row_numbers: Vec::new(),
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

#[tokio::test]
async fn an_import_job_answers_at_once_then_writes_and_keeps_its_report() {
    let s = setup().await;
    let jobs = ImportJobs::new();
    let total = IMPORT_CHUNK_ROWS + 20;
    let mut file = rows(total);
    file[0].name = String::new();
    let (job, run) = jobs
        .start(&s.cube, &s.world.manager, command(&s, file))
        .await
        .expect("started");
    assert_eq!(job.started_by, s.world.manager.id);
    assert_eq!(job.rejected, 1);
    assert_eq!(
        job.state,
        ImportJobState::Running(ImportProgress {
            rows_done: 0,
            rows_total: total - 1
        })
    );
    assert_eq!(
        customer_count(&s).await,
        0,
        "nothing is written before it runs"
    );
    assert_eq!(
        jobs.job(&s.world.manager, job.id, s.cube.now())
            .expect("seen")
            .state,
        job.state
    );
    assert!(
        jobs.is_writing(job.import),
        "an undo waits while the job writes"
    );

    let end = run.run().await;
    assert!(!jobs.is_writing(job.import), "the job has ended");
    let ImportJobState::Done(report) = &end else {
        panic!("not done: {end:?}")
    };
    assert_eq!(report.created, total - 1);
    assert_eq!(report.rejected[0].row, 1);
    let read = jobs
        .job(&s.world.manager, job.id, s.cube.now())
        .expect("kept");
    assert_eq!(read.state, end);
    assert_eq!(read.finished_at, Some(T0));
    // The organisation's admin sees it; a seller, even of the organisation, does not.
    assert!(jobs.job(&s.world.admin, job.id, s.cube.now()).is_ok());
    assert_eq!(
        jobs.job(&s.world.sellers[0], job.id, s.cube.now()),
        Err(AppError::NotFound("import job"))
    );
    assert_eq!(customer_count(&s).await, total - 1);
}

#[tokio::test]
async fn an_import_job_checks_before_it_answers_and_reports_a_stop() {
    let s = setup().await;
    let jobs = ImportJobs::new();
    let refused = jobs
        .start(&s.cube, &s.world.sellers[0], command(&s, rows(3)))
        .await
        .expect_err("sellers do not import");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);

    s.faulty.import_batches_left.store(1, Ordering::SeqCst);
    let total = IMPORT_CHUNK_ROWS + 1;
    let (job, run) = jobs
        .start(&s.cube, &s.world.admin, command(&s, rows(total)))
        .await
        .expect("started");
    let end = run.run().await;
    assert!(
        matches!(
            &end,
            ImportJobState::Failed(AppError::ImportStopped { imported, total: t, .. })
                if *imported == IMPORT_CHUNK_ROWS && *t == total
        ),
        "{end:?}"
    );
    assert_eq!(
        jobs.job(&s.world.admin, job.id, s.cube.now())
            .expect("kept")
            .state,
        end
    );
}

#[tokio::test]
async fn an_organisation_runs_a_bounded_number_of_jobs_and_keeps_a_bounded_history() {
    let s = setup().await;
    let jobs = ImportJobs::new();
    let mut runs = Vec::new();
    for _ in 0..MAX_RUNNING_PER_ORGANISATION {
        runs.push(
            jobs.start(&s.cube, &s.world.admin, command(&s, rows(2)))
                .await
                .expect("started"),
        );
    }
    let refused = jobs
        .start(&s.cube, &s.world.admin, command(&s, rows(2)))
        .await
        .expect_err("too many running");
    assert_eq!(
        refused,
        AppError::ImportJob(ImportJobError::TooManyRunning(MAX_RUNNING_PER_ORGANISATION))
    );
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    let mut finished = Vec::new();
    for (job, run) in runs {
        run.run().await;
        finished.push(job.id);
    }
    // Once they end, more may start; the finished ones are kept up to a number…
    for _ in 0..MAX_FINISHED_PER_ORGANISATION {
        s.clock.advance(time::Duration::seconds(1));
        let (job, run) = jobs
            .start(&s.cube, &s.world.admin, command(&s, rows(2)))
            .await
            .expect("started");
        run.run().await;
        finished.push(job.id);
    }
    s.clock.advance(time::Duration::seconds(1));
    let (last, run) = jobs
        .start(&s.cube, &s.world.admin, command(&s, rows(2)))
        .await
        .expect("started");
    run.run().await;
    let kept: Vec<bool> = finished
        .iter()
        .map(|id| jobs.job(&s.world.admin, *id, s.cube.now()).is_ok())
        .collect();
    let forgotten = kept.iter().filter(|k| !**k).count();
    assert_eq!(forgotten, MAX_RUNNING_PER_ORGANISATION, "{kept:?}");
    assert!(kept[MAX_RUNNING_PER_ORGANISATION..].iter().all(|k| *k));
    // …and for a time.
    s.clock
        .advance(FINISHED_KEPT_FOR + time::Duration::seconds(1));
    let (_, run) = jobs
        .start(&s.cube, &s.world.admin, command(&s, rows(2)))
        .await
        .expect("started");
    run.run().await;
    assert_eq!(
        jobs.job(&s.world.admin, last.id, s.cube.now()),
        Err(AppError::NotFound("import job"))
    );
}

/// A finished job's report of rejected rows (personal data: a reason may quote a row's
/// number) is forgotten with the job once [`FINISHED_KEPT_FOR`] has passed since it ended —
/// on the next read, though no import starts in the organisation meanwhile — and not
/// before.
#[tokio::test]
async fn a_finished_jobs_rejected_rows_are_forgotten_in_time_though_no_import_starts() {
    let s = setup().await;
    let jobs = ImportJobs::new();
    let mut file = rows(3);
    file[0].name = String::new();
    let (job, run) = jobs
        .start(&s.cube, &s.world.manager, command(&s, file))
        .await
        .expect("started");
    run.run().await;
    s.clock
        .advance(FINISHED_KEPT_FOR - time::Duration::seconds(1));
    let kept = jobs
        .job(&s.world.manager, job.id, s.cube.now())
        .expect("kept its time");
    assert_eq!(kept.rejected_rows.len(), 1, "the report is there");
    s.clock.advance(time::Duration::seconds(1));
    assert_eq!(
        jobs.job(&s.world.manager, job.id, s.cube.now()),
        Err(AppError::NotFound("import job")),
        "the job and its report are gone"
    );
    assert_eq!(
        jobs.job(&s.world.admin, job.id, s.cube.now()),
        Err(AppError::NotFound("import job"))
    );
}

/// Saving a mapping names no revision: when another unit changed the data owner meanwhile
/// (a colleague saving another mapping), the save is made again on the data owner as it is
/// now — a few times, then the conflict is told.
#[tokio::test]
async fn a_mapping_saved_while_the_data_owner_changes_is_saved_on_the_latest() {
    use cube_domain::data_owner::ImportMapping;
    use cube_domain::values::Name;
    let s = setup().await;
    let owner = s.world.data_owner.id();
    let mapping = ImportMapping {
        columns: "A=name,B=phone".to_owned(),
        sheet: None,
        header_row: None,
        delimiter: None,
    };
    let name = Name::parse("Bergen").expect("a name");
    s.faulty.data_owner_conflicts.store(3, Ordering::SeqCst);
    let saved = s
        .cube
        .save_import_mapping(&s.world.manager, owner, name.clone(), mapping.clone())
        .await
        .expect("saved on the fourth try");
    assert_eq!(saved.import_mapping(&name), Some(&mapping));
    assert_eq!(s.faulty.data_owner_conflicts.load(Ordering::SeqCst), 0);

    s.faulty.data_owner_conflicts.store(5, Ordering::SeqCst);
    let refused = s
        .cube
        .delete_import_mapping(&s.world.manager, owner, &name)
        .await;
    assert!(
        matches!(&refused, Err(e) if e.kind() == ErrorKind::Conflict),
        "{refused:?}"
    );
    s.faulty.data_owner_conflicts.store(0, Ordering::SeqCst);
    let kept = s
        .cube
        .data_owner(&s.world.manager, owner)
        .await
        .expect("read");
    assert_eq!(
        kept.import_mapping(&name),
        Some(&mapping),
        "nothing was deleted"
    );
}

/// An import that stopped part-way recorded what its written chunks created, chunk by chunk
/// in their own units: listed with the data owner's imports, it is undone whole.
#[tokio::test]
async fn an_import_stopping_part_way_recorded_what_it_wrote_and_can_be_undone() {
    let s = setup().await;
    let total = 2 * IMPORT_CHUNK_ROWS + 10;
    s.faulty.import_batches_left.store(2, Ordering::SeqCst);
    s.cube
        .import_customers(&s.world.admin, command(&s, rows(total)))
        .await
        .expect_err("the third chunk fails");
    assert_eq!(customer_count(&s).await, 2 * IMPORT_CHUNK_ROWS);
    let imports = s
        .cube
        .customer_imports(&s.world.admin, s.world.data_owner.id())
        .await
        .expect("listed");
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].customers.len(), 2 * IMPORT_CHUNK_ROWS);
    assert_eq!(imports[0].enrollments.len(), 2 * IMPORT_CHUNK_ROWS);

    let undone = s
        .cube
        .undo_import(&s.world.admin, imports[0].id)
        .await
        .expect("undone");
    assert_eq!(undone.customers_removed, 2 * IMPORT_CHUNK_ROWS);
    assert_eq!(customer_count(&s).await, 0);
}

/// The `customers_imported` webhooks of an import's chunks, as the outbox holds them: the
/// JSON bodies, in order.
async fn import_webhooks(s: &Setup) -> Vec<serde_json::Value> {
    let mut uow = s.faulty.begin().await.expect("begin");
    let pending = uow.pending_messages(1_000).await.expect("pending");
    pending
        .iter()
        .filter_map(|m| match &m.payload {
            cube_domain::ports::OutboxPayload::Webhook { event, body, .. }
                if event.as_str() == "customers_imported" =>
            {
                Some(serde_json::from_str(body).expect("JSON"))
            }
            _ => None,
        })
        .collect()
}

/// An endpoint subscribed to `customers_imported` hears of each committed chunk, in the
/// chunk's own unit: an import that stops part-way has told exactly what went in, and one
/// not subscribed hears nothing.
#[tokio::test]
async fn each_committed_chunk_tells_the_subscribed_webhooks_what_it_imported() {
    use cube_app::webhooks::NewWebhookEndpoint;
    let s = setup().await;
    let endpoint = |url: &str, events: &[&str]| NewWebhookEndpoint {
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        enabled: true,
        secret: [7; 32],
    };
    s.cube
        .create_webhook_endpoint(
            &s.world.admin,
            endpoint("https://crm.example.com/hook", &["customers_imported"]),
        )
        .await
        .expect("created");
    s.cube
        .create_webhook_endpoint(
            &s.world.admin,
            endpoint("https://other.example.com/hook", &["outcome_registered"]),
        )
        .await
        .expect("created");

    let total = IMPORT_CHUNK_ROWS + 5;
    let report = s
        .cube
        .import_customers(&s.world.admin, command(&s, rows(total)))
        .await
        .expect("imported");
    let sent = import_webhooks(&s).await;
    assert_eq!(
        sent.len(),
        2,
        "a chunk each, for the one subscribed endpoint"
    );
    let import = report.import.expect("recorded").to_string();
    for (body, rows) in sent.iter().zip([IMPORT_CHUNK_ROWS, 5]) {
        assert_eq!(body["event"], "customers_imported");
        assert_eq!(body["import"], import.as_str());
        assert_eq!(body["rows"], rows);
        assert_eq!(body["created"], rows);
        assert_eq!(body["enrolled"], rows);
        assert_eq!(body["assignment"], s.world.assignment.id().to_string());
    }

    // A second import whose second chunk fails: one event, for the chunk that went in.
    s.faulty.import_batches_left.store(1, Ordering::SeqCst);
    let more: Vec<CustomerInput> = (0..IMPORT_CHUNK_ROWS + 3)
        .map(|n| CustomerInput {
            name: format!("Ny kunde {n}"),
            phones: vec![format!("+47 4{n:07}")],
            ..CustomerInput::default()
        })
        .collect();
    s.cube
        .import_customers(&s.world.admin, command(&s, more))
        .await
        .expect_err("the second chunk fails");
    let sent = import_webhooks(&s).await;
    assert_eq!(sent.len(), 3, "one more: the chunk that was committed");
    assert_eq!(sent[2]["created"], IMPORT_CHUNK_ROWS);
    assert_ne!(sent[2]["import"], import.as_str());
}

/// A plan asks the register (and the do-not-contact list) about each chunk of good rows
/// while it parses the next: the register's refusals in three chunks, the rows the check
/// itself rejects between them, and a listed number in the second chunk all come out as
/// if each row were checked on its own — the rejected rows in row order, every other row
/// written, the listed one barred.
#[tokio::test]
async fn a_plan_asks_the_register_chunk_by_chunk_and_keeps_the_rows_in_order() {
    let s = setup().await;
    let phone = |i: usize| format!("+47 93{i:06}");
    let owner = s.world.data_owner.id();
    // Customers holding the phones of rows 10, 2,600 and 4,400 under other external ids,
    // and one whose number (row 3,000's) goes on the do-not-contact list: erased after
    // asking not to be called.
    let held = [10, 2_600, 4_400];
    let mut first: Vec<CustomerInput> = held
        .iter()
        .map(|&i| CustomerInput {
            name: format!("Eldre {i} AS"),
            phones: vec![phone(i)],
            external_id: Some(format!("E{i}")),
            ..CustomerInput::default()
        })
        .collect();
    first.push(CustomerInput {
        name: "Reservert AS".into(),
        phones: vec![phone(3_000)],
        external_id: Some("R3000".into()),
        ..CustomerInput::default()
    });
    let report = s
        .cube
        .import_customers(&s.world.manager, command(&s, first))
        .await
        .expect("the first customers");
    let asked = report.rows.iter().find(|r| r.row == 4).expect("row 4");
    s.cube
        .set_do_not_call(&s.world.manager, asked.customer, Some("ikke ring"))
        .await
        .expect("do not call");
    s.cube
        .erase_person(
            &s.world.manager,
            owner,
            &cube_app::privacy::PersonQuery {
                phone: Some(phone(3_000)),
                ..Default::default()
            },
        )
        .await
        .expect("erased and listed");

    let total = 4_500;
    let bad = [2_599, 4_401];
    let file: Vec<CustomerInput> = (1..=total)
        .map(|i| CustomerInput {
            name: format!("Firma {i} AS"),
            phones: vec![if bad.contains(&i) {
                "ikke et nummer".to_owned()
            } else {
                phone(i)
            }],
            external_id: Some(format!("K{i}")),
            ..CustomerInput::default()
        })
        .collect();
    let plan = s
        .cube
        .plan_import(&s.world.manager, command(&s, file))
        .await
        .expect("planned");
    let rejected: Vec<usize> = plan.rejected().iter().map(|r| r.row).collect();
    assert_eq!(rejected, vec![10, 2_599, 2_600, 4_400, 4_401]);
    assert!(
        plan.rejected()[0].reason.to_string().contains("'E10'"),
        "{:?}",
        plan.rejected()[0]
    );

    let report = s
        .cube
        .write_import(&s.world.manager, plan, &mut |_| {})
        .await
        .expect("written");
    assert_eq!(report.created, total - 5);
    assert_eq!(report.rows.len(), total - 5);
    let mut read = s.faulty.begin_read().await.expect("begin");
    for taken in &report.rows {
        let customer = read
            .customer(taken.customer)
            .await
            .expect("read")
            .expect("written");
        let barred = customer.contact().do_not_call.is_some();
        assert_eq!(
            barred,
            taken.row == 3_000,
            "row {} is barred only if its number is listed",
            taken.row
        );
    }
}
