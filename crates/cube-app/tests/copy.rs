//! Copying a whole store into another (`cube_app::copy`), between two in-memory stores: the
//! copy holds everything the source does (read back through the ports and compared kind by
//! kind), the reports agree, small pages and chunks give the same copy, a target with data is
//! refused before anything is written, and a copy that fails part-way says what it
//! committed and makes the next attempt refuse until the target is emptied. The same copy
//! between SQLite and PostgreSQL is in the workspace's `tests/store_copy.rs`.

mod faulty;

use cube_app::Cube;
use cube_app::copy::{CopyCounts, CopyError, CopyOptions, Kind, Side, copy_store};
use cube_app::reports::Window;
use cube_domain::ports::{Store, StoreError};
use cube_testkit::fixtures::{FULL_STORE_CALLS, FULL_STORE_CUSTOMERS, T0, World, full_store};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds, StoreDump};
use faulty::FaultyStore;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use time::Duration;

/// A source with some of every kind of record, and its first organisation.
async fn source() -> (Arc<dyn Store>, World) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = FixedClock::new(T0);
    let world = full_store(store.as_ref(), &clock, &SequentialIds::new())
        .await
        .expect("the full store builds");
    (store, world)
}

/// Copies, collecting the progress reports.
async fn copy(
    from: &dyn Store,
    to: &dyn Store,
    options: CopyOptions,
) -> (Result<CopyCounts, CopyError>, Vec<CopyCounts>) {
    let mut reports = Vec::new();
    let result = copy_store(from, to, options, &mut |progress| {
        reports.push(progress.committed.clone());
    })
    .await;
    (result, reports)
}

#[tokio::test]
async fn a_copy_holds_everything_the_source_has() {
    let (from, world) = source().await;
    let to: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let (result, reports) = copy(from.as_ref(), to.as_ref(), CopyOptions::default()).await;
    let counts = result.expect("the copy succeeds");

    let source = StoreDump::read(from.as_ref())
        .await
        .expect("read the source");
    let target = StoreDump::read(to.as_ref()).await.expect("read the target");
    source.as_copied().assert_same(&target);

    // The counts say what was copied, and the dump agrees with them.
    let expect = |kind, n: usize| assert_eq!(counts.get(kind), n as u64, "{kind}");
    expect(Kind::Organisations, 2);
    expect(Kind::Users, source.users.len());
    expect(Kind::Passwords, source.passwords.len());
    expect(Kind::ApiTokens, target.tokens.len());
    expect(Kind::WebhookEndpoints, 1);
    assert_eq!(target.webhook_endpoints.len(), 1, "the endpoint is copied");
    expect(Kind::Customers, FULL_STORE_CUSTOMERS + 3);
    expect(Kind::CustomerChanges, 3);
    assert_eq!(
        source.customer_changes.len(),
        3,
        "the fixture has customer changes"
    );
    expect(Kind::Enrollments, source.enrollments.len());
    expect(Kind::PublishedFlows, 5);
    expect(Kind::FlowDrafts, 2);
    expect(Kind::Meetings, 3);
    expect(Kind::TimeEntries, source.time_entries.len());
    expect(Kind::OutcomeEvents, FULL_STORE_CALLS as usize);
    expect(Kind::IdempotencyKeys, 6);
    expect(Kind::OutboxMessages, 5);
    expect(Kind::SmsFlows, 1);
    expect(Kind::SaleConfirmations, 1);
    expect(Kind::SmsReplies, 2);
    expect(Kind::PrivacyLog, 1);
    expect(Kind::DoNotContact, 1);
    expect(Kind::CustomerImports, 2);
    expect(Kind::Calls, 1);
    assert_eq!(
        counts.sessions_not_copied as usize,
        source.tokens.len() - target.tokens.len()
    );
    assert!(counts.sessions_not_copied > 0, "the fixture has sessions");
    assert_eq!(
        reports.last(),
        Some(&counts),
        "the last progress report is the whole copy"
    );

    // Reports read the same on both.
    let on = |store: &Arc<dyn Store>| {
        Cube::new(
            store.clone(),
            Arc::new(FixedClock::new(T0 + Duration::hours(1))),
            Arc::new(SequentialIds::new()),
        )
    };
    let (before, after) = (on(&from), on(&to));
    let manager = world.manager.id;
    let assignment = world.assignment.id();
    let window = Window {
        from: T0 - Duration::days(1),
        to: T0 + Duration::days(1),
    };
    assert_eq!(
        before
            .customer_status_report(manager, assignment)
            .await
            .expect("status"),
        after
            .customer_status_report(manager, assignment)
            .await
            .expect("status")
    );
    assert_eq!(
        before
            .outcome_report(manager, assignment, window)
            .await
            .expect("outcomes"),
        after
            .outcome_report(manager, assignment, window)
            .await
            .expect("outcomes")
    );
    assert_eq!(
        before
            .sales_report(manager, assignment, window)
            .await
            .expect("sales"),
        after
            .sales_report(manager, assignment, window)
            .await
            .expect("sales")
    );
}

#[tokio::test]
async fn small_pages_and_chunks_give_the_same_copy_in_many_commits() {
    let (from, _) = source().await;
    let whole: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let (result, _) = copy(from.as_ref(), whole.as_ref(), CopyOptions::default()).await;
    let counts = result.expect("the copy succeeds");

    let chunked: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let options = CopyOptions { page: 2, chunk: 3 };
    let (result, reports) = copy(from.as_ref(), chunked.as_ref(), options).await;
    assert_eq!(result.expect("the copy succeeds"), counts);
    let rows: u64 = [
        Kind::Organisations,
        Kind::Users,
        Kind::DataOwners,
        Kind::Products,
        Kind::PublishedFlows,
        Kind::FlowDrafts,
        Kind::Calendars,
        Kind::Assignments,
        Kind::Customers,
        Kind::CustomerChanges,
        Kind::Enrollments,
        Kind::Meetings,
        Kind::TimeEntries,
        Kind::OutcomeEvents,
        Kind::OutboxMessages,
        Kind::SmsFlows,
        Kind::SaleConfirmations,
        Kind::SmsReplies,
        Kind::PrivacyLog,
        Kind::DoNotContact,
        Kind::CustomerImports,
        Kind::WebhookEndpoints,
        Kind::Calls,
    ]
    .into_iter()
    .map(|kind| counts.get(kind))
    .sum();
    assert_eq!(
        reports.len() as u64,
        rows.div_ceil(3),
        "a commit every three records, and one for the rest"
    );
    for pair in reports.windows(2) {
        for (kind, n) in pair[0].iter() {
            assert!(pair[1].get(kind) >= n, "progress never goes back");
        }
    }
    StoreDump::read(whole.as_ref())
        .await
        .expect("read")
        .assert_same(&StoreDump::read(chunked.as_ref()).await.expect("read"));
}

#[tokio::test]
async fn a_target_with_data_is_refused_and_left_as_it_was() {
    let (from, _) = source().await;
    let to: Arc<dyn Store> = Arc::new(MemoryStore::new());
    World::build(to.as_ref(), &FixedClock::new(T0), &SequentialIds::new(), 2)
        .await
        .expect("a world in the target");
    let before = StoreDump::read(to.as_ref()).await.expect("read");

    let (result, reports) = copy(from.as_ref(), to.as_ref(), CopyOptions::default()).await;
    let error = result.expect_err("a target with an organisation is refused");
    assert!(
        matches!(&error, CopyError::TargetNotEmpty { what } if what.contains("Cube Demo AS")),
        "{error}"
    );
    assert!(error.to_string().contains("nothing was written"), "{error}");
    assert!(reports.is_empty());
    before.assert_same(&StoreDump::read(to.as_ref()).await.expect("read"));

    // Copying a store into itself is the same refusal.
    let (result, _) = copy(from.as_ref(), from.as_ref(), CopyOptions::default()).await;
    assert!(matches!(result, Err(CopyError::TargetNotEmpty { .. })));
}

#[tokio::test]
async fn a_failed_copy_says_what_it_committed_and_the_next_one_is_refused() {
    let (from, _) = source().await;
    let memory = MemoryStore::new();
    let faulty = FaultyStore::over(memory.shared());
    faulty.fail_passwords.store(true, Ordering::SeqCst);
    let options = CopyOptions { page: 10, chunk: 1 };
    let (result, reports) = copy(from.as_ref(), &faulty, options).await;

    let error = result.expect_err("storing a password hash fails");
    let CopyError::Failed {
        side,
        kind,
        source,
        committed,
    } = &error
    else {
        panic!("a failure part-way, got {error}");
    };
    assert_eq!(*side, Side::Target);
    assert_eq!(*kind, Kind::Users);
    assert!(matches!(source, StoreError::Unavailable(_)), "{source}");
    assert_eq!(committed.get(Kind::Organisations), 1);
    assert_eq!(committed.get(Kind::Users), 0);
    assert_eq!(reports.last(), Some(&**committed));
    let message = error.to_string();
    for words in ["writing the target", "users", "organisations", "empty it"] {
        assert!(message.contains(words), "{words:?} in {message}");
    }

    // What the error says was committed is what the target holds; trying again is refused.
    let partial = StoreDump::read(&memory).await.expect("read");
    assert_eq!(partial.organisations.len(), 1);
    assert!(partial.users.is_empty());
    faulty.fail_passwords.store(false, Ordering::SeqCst);
    let (again, _) = copy(from.as_ref(), &faulty, options).await;
    assert!(
        matches!(again, Err(CopyError::TargetNotEmpty { .. })),
        "{again:?}"
    );
}
