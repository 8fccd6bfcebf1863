//! Undoing a finished import (issue 16): what the import created goes out again in one unit
//! of work — the reports count as before it — while nobody has worked on it; a worked import
//! is refused naming how many customers were worked on, and nothing is removed; an import is
//! undone once; customers it only updated keep the row's values; only who may import into
//! the data owner may undo, and another organisation finds nothing.

mod common;

use common::Harness;
use cube_app::customers::{CustomerInput, ImportCommand};
use cube_app::import_jobs::{ImportJobState, ImportJobs};
use cube_app::{AppError, ErrorKind};
use cube_domain::customer_import::UndoRefused;
use cube_domain::data_owner::Dataset;
use cube_domain::ids::ImportId;
use cube_domain::outcome::RegisterOutcome;
use cube_domain::ports::OnMatch;
use cube_testkit::fixtures::SalesFlow;
use time::Duration;

fn row(name: &str, phone: &str) -> CustomerInput {
    CustomerInput {
        name: name.into(),
        phones: vec![phone.into()],
        ..CustomerInput::default()
    }
}

fn command(h: &Harness, rows: Vec<CustomerInput>) -> ImportCommand {
    ImportCommand {
        assignment: h.world.assignment.id(),
        dataset: Dataset::B2b,
        segment: None,
        rows,
        on_match: OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        row_numbers: Vec::new(),
    }
}

#[tokio::test]
async fn an_untouched_import_is_undone_whole_and_the_reports_count_as_before() {
    let h = Harness::new(2).await;
    let (w, a) = (&h.world, h.world.assignment.id());
    // A customer of the data owner in no assignment yet: the import matches it by phone,
    // updates it and enrolls it.
    let known = h
        .cube
        .add_customer(
            &w.manager,
            w.data_owner.id(),
            Dataset::B2b,
            row("Kjent AS", "+4791110000"),
        )
        .await
        .expect("added");
    let before = h
        .cube
        .customer_status_report(&w.manager, a)
        .await
        .expect("report");

    let report = h
        .cube
        .import_customers(
            &w.manager,
            command(
                &h,
                vec![
                    row("Ny AS", "+4791110001"),
                    row("Kjent AS (ny adresse)", "+4791110000"),
                    row("Nyere AS", "+4791110002"),
                ],
            ),
        )
        .await
        .expect("imported");
    assert_eq!((report.created, report.updated, report.enrolled), (2, 1, 3));
    let import = report.import.expect("the import is recorded");
    let created: Vec<_> = report
        .rows
        .iter()
        .filter(|r| r.outcome == cube_domain::ports::RowCustomer::Created)
        .map(|r| r.customer)
        .collect();
    let listed = h
        .cube
        .customer_imports(&w.manager, w.data_owner.id())
        .await
        .expect("listed");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].id,
            listed[0].customers.len(),
            listed[0].enrollments.len()
        ),
        (import, 2, 3),
        "the record names what the import created, not the customer it updated"
    );
    let during = h
        .cube
        .customer_status_report(&w.manager, a)
        .await
        .expect("report");
    assert_eq!(during.total, before.total + 3);

    h.clock.advance(Duration::minutes(5));
    let undone = h
        .cube
        .undo_import(&w.manager, import)
        .await
        .expect("undone");
    assert_eq!(
        (undone.customers_removed, undone.enrollments_removed),
        (2, 3)
    );
    let after = h
        .cube
        .customer_status_report(&w.manager, a)
        .await
        .expect("report");
    assert_eq!(
        after, before,
        "the status report counts as before the import"
    );
    for id in created {
        assert_eq!(
            h.cube.customer(&w.manager, id).await,
            Err(AppError::NotFound("customer"))
        );
    }
    let kept = h
        .cube
        .customer(&w.manager, known.id())
        .await
        .expect("an updated customer is not undone");
    assert_eq!(
        kept.details().name.as_str(),
        "Kjent AS (ny adresse)",
        "it keeps the row's values"
    );
    let listed = h
        .cube
        .customer_imports(&w.manager, w.data_owner.id())
        .await
        .expect("listed");
    let marked = listed[0].undone.expect("marked undone");
    assert_eq!((marked.at, marked.by), (h.now(), w.manager.id));

    // Once only: the second undo says when the first was.
    h.clock.advance(Duration::minutes(5));
    let again = h.cube.undo_import(&w.admin, import).await;
    assert_eq!(
        again,
        Err(AppError::UndoImport(UndoRefused::AlreadyUndone {
            at: marked.at
        }))
    );
    assert_eq!(again.expect_err("refused").kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn a_worked_import_is_refused_naming_how_many_and_nothing_is_removed() {
    let h = Harness::new(0).await;
    let (w, a) = (&h.world, h.world.assignment.id());
    let report = h
        .cube
        .import_customers(
            &w.manager,
            command(
                &h,
                vec![
                    row("En AS", "+4792220001"),
                    row("To AS", "+4792220002"),
                    row("Tre AS", "+4792220003"),
                ],
            ),
        )
        .await
        .expect("imported");
    let import = report.import.expect("recorded");
    let seller = &w.sellers[0];
    let work = h
        .cube
        .next_customer(seller, a)
        .await
        .expect("next")
        .expect("a customer is ready");

    // Held by a seller now.
    let refused = h.cube.undo_import(&w.manager, import).await;
    let expected = UndoRefused::Worked {
        worked: 1,
        customers: 3,
    };
    assert_eq!(refused, Err(AppError::UndoImport(expected.clone())));
    let message = refused.expect_err("refused").to_string();
    assert!(message.starts_with("1 of the 3 customers"), "{message}");
    assert!(message.contains("nothing was removed"), "{message}");

    // An outcome registered (the lease ends with it): still worked.
    h.cube
        .register_outcome(
            seller,
            work.enrollment.id(),
            RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
            None,
        )
        .await
        .expect("registered");
    h.clock.advance(Duration::hours(1));
    assert_eq!(
        h.cube.undo_import(&w.manager, import).await,
        Err(AppError::UndoImport(expected))
    );
    let status = h
        .cube
        .customer_status_report(&w.manager, a)
        .await
        .expect("report");
    assert_eq!(status.total, 3, "nothing was removed");
    let listed = h
        .cube
        .customer_imports(&w.manager, w.data_owner.id())
        .await
        .expect("listed");
    assert_eq!(listed[0].undone, None, "and the import stands");
}

#[tokio::test]
async fn only_who_may_import_undoes_and_another_organisation_finds_nothing() {
    let h = Harness::new(0).await;
    let w = &h.world;
    let report = h
        .cube
        .import_customers(&w.manager, command(&h, vec![row("En AS", "+4793330001")]))
        .await
        .expect("imported");
    let import = report.import.expect("recorded");
    let other = h.other_admin().await;

    let seller = h.cube.undo_import(&w.sellers[0], import).await;
    assert_eq!(seller.map_err(|e| e.kind()), Err(ErrorKind::Forbidden));
    assert_eq!(
        h.cube.undo_import(&other, import).await,
        Err(AppError::NotFound("import"))
    );
    assert_eq!(
        h.cube
            .undo_import(&w.manager, ImportId::from_uuid(uuid::Uuid::from_u128(7)))
            .await,
        Err(AppError::NotFound("import"))
    );
    assert_eq!(
        h.cube
            .customer_imports(&other, w.data_owner.id())
            .await
            .map_err(|e| e.kind()),
        Err(ErrorKind::NotFound)
    );
    // Nothing of the refusals removed anything.
    let undone = h.cube.undo_import(&w.admin, import).await.expect("undone");
    assert_eq!(
        (undone.customers_removed, undone.enrollments_removed),
        (1, 1)
    );
}

#[tokio::test]
async fn an_import_job_names_its_import_which_can_be_undone() {
    let h = Harness::new(0).await;
    let w = &h.world;
    let jobs = ImportJobs::new();
    let (job, run) = jobs
        .start(
            &h.cube,
            &w.manager,
            command(
                &h,
                vec![row("En AS", "+4794440001"), row("To AS", "+4794440002")],
            ),
        )
        .await
        .expect("started");
    let ImportJobState::Done(report) = run.run().await else {
        panic!("the job ends with its report");
    };
    assert_eq!(report.import, Some(job.import));
    let undone = h
        .cube
        .undo_import(&w.manager, job.import)
        .await
        .expect("undone");
    assert_eq!(undone.customers_removed, 2);
}

#[tokio::test]
async fn a_message_or_a_meeting_on_what_it_created_is_work_too() {
    use cube_domain::ids::{MeetingId, OutboxMessageId};
    use cube_domain::meeting::{Meeting, MeetingKind};
    use cube_domain::ports::{OutboxMessage, OutboxPayload, SmsMessage};
    use cube_domain::values::PhoneNumber;

    let h = Harness::new(0).await;
    let (w, a) = (&h.world, h.world.assignment.id());
    let report = h
        .cube
        .import_customers(
            &w.manager,
            command(
                &h,
                vec![
                    row("Melding AS", "+4798880001"),
                    row("Møte AS", "+4798880002"),
                    row("Urørt AS", "+4798880003"),
                ],
            ),
        )
        .await
        .expect("imported");
    let import = report.import.expect("recorded");
    let mut read = h.store.begin_read().await.expect("begin");
    let enrollments = read.enrollments(a).await.expect("read");
    drop(read);
    assert_eq!(enrollments.len(), 3);
    // Written as the outbox and a booking would leave them (no outcome event).
    let mut uow = h.store.begin().await.expect("begin");
    uow.enqueue(&OutboxMessage {
        id: OutboxMessageId::from_uuid(uuid::Uuid::from_u128(0x5e5)),
        assignment: a,
        enrollment: Some(enrollments[0].id()),
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Acme".into(),
            to: PhoneNumber::parse("+4798880001").expect("valid"),
            body: "Hei!".into(),
        }),
        created_at: h.now(),
    })
    .await
    .expect("enqueued");
    let start = h.now() + Duration::days(2);
    uow.insert_meeting(&Meeting {
        id: MeetingId::from_uuid(uuid::Uuid::from_u128(0x3ee)),
        calendar: w.calendar.id,
        assignment: a,
        enrollment: enrollments[1].id(),
        customer: enrollments[1].customer(),
        booked_by: Some(w.sellers[0].id),
        start,
        end: start + Duration::minutes(45),
        kind: MeetingKind::Physical,
        place: None,
    })
    .await
    .expect("booked");
    uow.commit().await.expect("commit");

    assert_eq!(
        h.cube.undo_import(&w.manager, import).await,
        Err(AppError::UndoImport(UndoRefused::Worked {
            worked: 2,
            customers: 3,
        }))
    );
}
