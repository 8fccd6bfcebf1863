//! The unit of work as one PostgreSQL transaction: all or nothing, a `Duplicate` (a user's
//! e-mail, an enrollment, a token hash) that leaves the unit usable, a server-side failure that `commit` reports instead of silently rolling
//! back, lost updates refused (a registration's update and event written in one statement
//! too), and two transactions racing for one idempotency key.

mod common;

use common::data::{T0, customer, enrollment, event, to_call, uuid, with};
use cube_domain::access::{Role, User};
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::data_owner::DataOwner;
use cube_domain::fields::FieldValues;
use cube_domain::flow::StateCategory;
use cube_domain::idempotency::{IdempotencyKey, RequestFingerprint, RequestKey};
use cube_domain::ids::{AssignmentId, DataOwnerId, OrganisationId, TimeEntryId, UserId};
use cube_domain::outcome::{OutcomeEvent, OutcomeEventRecord};
use cube_domain::ports::{
    AccessToken, NextCustomerRequest, Store, StoreError, TokenKind, UniqueRule,
};
use cube_domain::time_entry::TimeEntry;
use cube_domain::values::{Email, Name};
use time::Duration;
use time::macros::datetime;

fn assignment() -> AssignmentId {
    AssignmentId::from_uuid(uuid(0xA1))
}

fn user(n: u128, email: &str) -> User {
    User {
        phone: None,
        id: UserId::from_uuid(uuid(0x0500 + n)),
        organisation: OrganisationId::from_uuid(uuid(0x0F)),
        name: Name::parse(&format!("User {n}")).expect("valid name"),
        email: Email::parse(email).expect("valid e-mail"),
        role: Role::Seller,
        active: true,
    }
}

/// The seller keyed events are registered by.
fn seller() -> UserId {
    UserId::from_uuid(uuid(0x0501))
}

/// `event` registered by [`seller`] (idempotency keys are a user's own).
fn by_seller(event: OutcomeEvent) -> OutcomeEvent {
    OutcomeEvent::from(OutcomeEventRecord {
        user: Some(seller()),
        ..OutcomeEventRecord::from(event)
    })
}

/// An idempotency key with a made-up fingerprint.
fn key(key: &str) -> IdempotencyKey {
    IdempotencyKey {
        key: RequestKey::parse(key).expect("valid"),
        fingerprint: RequestFingerprint::from_stored(format!("fingerprint of {key}")),
    }
}

#[tokio::test]
async fn a_unit_that_fails_halfway_leaves_nothing() {
    let store = common::fresh_store().await;
    let kari = customer(1, FieldValues::new());
    let first = enrollment(assignment(), 1, 1, 1);

    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&kari).await.expect("save customer");
    uow.insert_enrollment(&first).await.expect("enroll");
    uow.append_event(
        &by_seller(event(1, &first, to_call(), StateCategory::Available, T0)),
        Some(&key("k")),
    )
    .await
    .expect("append");
    // Halfway, the use case fails (here: the same customer enrolled twice) and gives up.
    let again = enrollment(assignment(), 2, 1, 2);
    assert!(matches!(
        uow.insert_enrollment(&again).await,
        Err(StoreError::Duplicate(UniqueRule::CustomerInAssignment))
    ));
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.customer(kari.id()).await.expect("read"), None);
    assert_eq!(uow.enrollments(assignment()).await.expect("read"), vec![]);
    assert_eq!(
        uow.event_by_key(assignment(), seller(), &key("k").key)
            .await
            .expect("read"),
        None
    );
    assert!(
        uow.outcome_tally(&[assignment()], T0, T0 + Duration::days(1))
            .await
            .expect("tally")
            .is_empty()
    );
}

#[tokio::test]
async fn a_duplicate_leaves_the_unit_usable() {
    let store = common::fresh_store().await;
    let ann = user(1, "ann@example.no");
    let bob = user(2, "bob@example.no");
    let mut uow = store.begin().await.expect("begin");
    uow.save_user(&ann).await.expect("save ann");
    uow.save_user(&bob).await.expect("save bob");
    let stolen = User {
        email: ann.email.clone(),
        ..bob.clone()
    };
    assert!(matches!(
        uow.save_user(&stolen).await,
        Err(StoreError::Duplicate(UniqueRule::UserEmail))
    ));
    // The unit goes on and commits everything but the refused write.
    let first = enrollment(assignment(), 1, 1, 1);
    uow.insert_enrollment(&first).await.expect("enroll");
    assert!(matches!(
        uow.insert_enrollment(&first).await,
        Err(StoreError::Duplicate(UniqueRule::CustomerInAssignment))
    ));
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.user(bob.id).await.expect("read"), Some(bob));
    assert_eq!(
        uow.users_by_email(&ann.email).await.expect("read"),
        vec![ann]
    );
    assert_eq!(uow.enrollment(first.id()).await.expect("read"), Some(first));
}

/// Users stored before migration 0006 whose addresses differ only by case stop it, and it
/// names them; once one is re-addressed it applies, and either casing finds the user. (The
/// database is taken back to before 0006 by undoing 0013 and 0006.)
#[tokio::test]
async fn users_whose_emails_differ_only_by_case_stop_the_migration_by_name() {
    let database = common::fresh_database().await;
    let store = common::store_on(database.clone()).await;
    store.migrate().await.expect("migrates");
    let (ann, bob) = (user(1, "ann@example.no"), user(2, "bob@example.no"));
    let mut uow = store.begin().await.expect("begin");
    uow.save_user(&ann).await.expect("save ann");
    uow.save_user(&bob).await.expect("save bob");
    uow.commit().await.expect("commit");
    for sql in [
        "DROP INDEX users_organisation_login_key",
        "DROP INDEX users_by_login_key",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
        "DELETE FROM _sqlx_migrations WHERE version IN (6, 13)",
        "UPDATE users SET email = 'ANN@example.no' WHERE email = 'bob@example.no'",
    ] {
        sqlx::query(sql).execute(store.pool()).await.expect(sql);
    }
    let error = store
        .migrate()
        .await
        .expect_err("the clash stops the migration");
    let text = error.to_string();
    assert!(
        text.contains("ANN@example.no, ann@example.no") && text.contains("distinct address"),
        "{text}"
    );
    // sqlx keeps its migration lock on the connection of a failed run: a new process (here,
    // a new pool) migrates again.
    store.close().await;
    let store = common::store_on(database).await;
    sqlx::query("UPDATE users SET email = 'bob@example.no' WHERE email = 'ANN@example.no'")
        .execute(store.pool())
        .await
        .expect("re-address bob");
    store
        .migrate()
        .await
        .expect("migrates once the clash is gone");
    let mut uow = store.begin().await.expect("begin");
    let shouted = Email::parse("ANN@Example.NO").expect("valid");
    assert_eq!(uow.users_by_email(&shouted).await.expect("read"), vec![ann]);
}

#[tokio::test]
async fn a_duplicate_token_hash_leaves_the_unit_usable() {
    let store = common::fresh_store().await;
    let (ann, bob) = (user(1, "ann@example.no"), user(2, "bob@example.no"));
    let token = |user: UserId| AccessToken {
        token_hash: "ab".repeat(32),
        user,
        kind: TokenKind::Session,
        created_at: T0,
        expires_at: Some(T0 + Duration::hours(8)),
    };
    let mut uow = store.begin().await.expect("begin");
    uow.insert_token(&token(ann.id)).await.expect("insert");
    assert!(matches!(
        uow.insert_token(&token(bob.id)).await,
        Err(StoreError::Duplicate(UniqueRule::AccessTokenHash))
    ));
    // The unit goes on and commits everything but the refused token.
    uow.set_password_hash(bob.id, "$argon2id$bob")
        .await
        .expect("set a password after the refusal");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.token(&"ab".repeat(32)).await.expect("read"),
        Some(token(ann.id))
    );
    assert_eq!(
        uow.password_hash(bob.id).await.expect("read"),
        Some("$argon2id$bob".to_owned())
    );
}

#[tokio::test]
async fn a_server_side_failure_makes_commit_fail_instead_of_silently_rolling_back() {
    let store = common::fresh_store().await;
    let mut uow = store.begin().await.expect("begin");
    let kari = customer(1, FieldValues::new());
    uow.save_customer(&kari).await.expect("save customer");
    // PostgreSQL keeps no timestamps before 4713 BC: the server refuses the row, which
    // aborts the transaction.
    let ancient = datetime!(-9000-01-01 00:00 UTC);
    let entry = TimeEntry::start(
        TimeEntryId::from_uuid(uuid(0x7E)),
        UserId::from_uuid(uuid(0x0501)),
        assignment(),
        ancient,
    );
    assert!(uow.save_time_entry(&entry).await.is_err());
    assert!(
        uow.customer(kari.id()).await.is_err(),
        "the aborted unit refuses more work"
    );
    assert!(
        uow.commit().await.is_err(),
        "commit must not report success"
    );

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.customer(kari.id()).await.expect("read"), None);
}

#[tokio::test]
async fn an_update_after_someone_else_changed_the_enrollment_is_a_conflict() {
    let store = common::fresh_store().await;
    let first = enrollment(assignment(), 1, 1, 1);
    let mut uow = store.begin().await.expect("begin");
    uow.insert_enrollment(&first).await.expect("enroll");
    uow.commit().await.expect("commit");

    // A manager's unit reads the customer …
    let mut manager = store.begin().await.expect("begin");
    let read = manager
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("exists");
    // … meanwhile a seller is handed it …
    let seller = UserId::from_uuid(uuid(0x0501));
    let request = NextCustomerRequest {
        assignment: assignment(),
        seller,
        now: T0,
        setup: AssignmentSetup::default(),
        gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
    };
    let handout = store
        .reserve_next(&request)
        .await
        .expect("reserve")
        .expect("ready");
    assert_eq!(handout.enrollment.id(), first.id());
    // … so the manager's write, made from the stale read, is refused.
    let mut taken = read.clone();
    taken
        .reserve(UserId::from_uuid(uuid(0x0502)), T0, Duration::minutes(15))
        .expect("free in the manager's stale view");
    assert!(matches!(
        manager.update_enrollment(&taken).await,
        Err(StoreError::Conflict(_))
    ));
    drop(manager);

    let mut uow = store.begin().await.expect("begin");
    let now = uow
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(now.holder(T0), Some(seller));
    // Read again, the write goes through, and twice in one unit too.
    let released = with(&now, |s| s.reservation = None);
    uow.update_enrollment(&released).await.expect("update");
    uow.update_enrollment(&with(&released, |s| s.attempts = 3))
        .await
        .expect("update again");
    uow.commit().await.expect("commit");
}

/// A registration's update and event in one statement (`update_enrollment_with_event`),
/// against a version that moved on: a seller took the customer after the unit read it, so
/// the write is `Conflict` and neither the enrollment nor the event is written; the unit goes
/// on. And two units registering on one enrollment at once: the second waits for the first's
/// row lock, finds the version moved when the first commits, and is refused the same way —
/// no second event beside the first.
#[tokio::test]
async fn a_registration_over_a_moved_version_writes_neither_the_enrollment_nor_the_event() {
    let store = common::fresh_store().await;
    let first = enrollment(assignment(), 1, 1, 1);
    let second = enrollment(assignment(), 2, 2, 2);
    let mut uow = store.begin().await.expect("begin");
    uow.insert_enrollment(&first).await.expect("enroll");
    uow.insert_enrollment(&second).await.expect("enroll");
    uow.commit().await.expect("commit");

    let mut manager = store.begin().await.expect("begin");
    let read = manager
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("exists");
    let request = NextCustomerRequest {
        assignment: assignment(),
        seller: seller(),
        now: T0,
        setup: AssignmentSetup::default(),
        gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
    };
    let handout = store
        .reserve_next(&request)
        .await
        .expect("reserve")
        .expect("ready");
    assert_eq!(handout.enrollment.id(), first.id());
    let stale = by_seller(event(1, &read, to_call(), StateCategory::Available, T0));
    assert!(matches!(
        manager
            .update_enrollment_with_event(
                &with(&read, |e| e.attempts = 1),
                &stale,
                Some(&key("stale"))
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    // The unit goes on: another registration in it goes through and commits.
    let other = manager
        .enrollment(second.id())
        .await
        .expect("read")
        .expect("exists");
    let fine = by_seller(event(2, &other, to_call(), StateCategory::Available, T0));
    manager
        .update_enrollment_with_event(&with(&other, |e| e.attempts = 1), &fine, None)
        .await
        .expect("the unit goes on after the refused registration");
    manager.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let now = uow
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(now, handout.enrollment, "the seller's reservation stands");
    assert_eq!(uow.event(stale.id()).await.expect("read"), None);
    assert_eq!(
        uow.event_by_key(assignment(), seller(), &key("stale").key)
            .await
            .expect("read"),
        None
    );
    assert_eq!(uow.event(fine.id()).await.expect("read"), Some(fine));
    drop(uow);

    // Two units register on the enrollment from the same read.
    let mut a = store.begin().await.expect("begin a");
    let mut b = store.begin().await.expect("begin b");
    let in_a = a
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("exists");
    let in_b = b
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(in_a, in_b);
    let winner = by_seller(event(3, &in_a, to_call(), StateCategory::Available, T0));
    let loser = by_seller(event(4, &in_b, to_call(), StateCategory::Available, T0));
    a.update_enrollment_with_event(&with(&in_a, |e| e.attempts = 1), &winner, None)
        .await
        .expect("a registers");
    let racing = tokio::spawn(async move {
        let result = b
            .update_enrollment_with_event(&with(&in_b, |e| e.attempts = 1), &loser, None)
            .await;
        (result, b)
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!racing.is_finished(), "B must wait for A's row lock");
    a.commit().await.expect("commit a");
    let (result, b) = racing.await.expect("b finishes");
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "the loser of the race MUST be refused: {result:?}"
    );
    b.commit().await.expect("b's unit is still usable");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.events_of(first.id()).await.expect("read"),
        vec![winner],
        "only the winner's event is kept"
    );
}

/// Two managers' units read one data owner (a document edited whole); the first writes and
/// commits; the second's write, made from what it read before, is refused instead of
/// overwriting the first. The same when the second read it missing and the first created it.
#[tokio::test]
async fn a_document_written_after_someone_else_changed_it_is_a_conflict() {
    let store = common::fresh_store().await;
    let organisation = OrganisationId::from_uuid(uuid(0x0F));
    let id = DataOwnerId::from_uuid(uuid(0xD1));
    let name = |text: &str| Name::parse(text).expect("valid name");

    let mut second = store.begin().await.expect("begin");
    assert_eq!(second.data_owner(id).await.expect("read"), None);
    let mut first = store.begin().await.expect("begin");
    first
        .save_data_owner(&DataOwner::new(id, organisation, name("First")))
        .await
        .expect("create");
    first.commit().await.expect("commit");
    assert!(matches!(
        second
            .save_data_owner(&DataOwner::new(id, organisation, name("Second")))
            .await,
        Err(StoreError::Conflict(_))
    ));
    drop(second);

    let mut first = store.begin().await.expect("begin");
    let mut second = store.begin().await.expect("begin");
    let mine = first.data_owner(id).await.expect("read").expect("exists");
    let theirs = second.data_owner(id).await.expect("read").expect("exists");
    let mut controller = mine.controller().clone();
    controller.address = Some("Revisjonsveien 1".to_owned());
    let mut mine = mine;
    mine.set_controller(controller);
    first.save_data_owner(&mine).await.expect("first write");
    // Twice in one unit is no conflict with itself.
    first.save_data_owner(&mine).await.expect("again");
    first.commit().await.expect("commit");
    assert!(matches!(
        second.save_data_owner(&theirs).await,
        Err(StoreError::Conflict(_))
    ));
    drop(second);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.data_owner(id).await.expect("read"), Some(mine));
    // A unit that did not read it replaces it, as before.
    let mut blind = store.begin().await.expect("begin");
    blind
        .save_data_owner(&theirs)
        .await
        .expect("not read: replaced");
    blind.commit().await.expect("commit");
    drop(uow);
}

#[tokio::test]
async fn two_transactions_racing_for_one_idempotency_key_give_one_duplicate() {
    let store = common::fresh_store().await;
    let first = enrollment(assignment(), 1, 1, 1);
    let mut uow = store.begin().await.expect("begin");
    uow.insert_enrollment(&first).await.expect("enroll");
    uow.commit().await.expect("commit");

    let winner = by_seller(event(1, &first, to_call(), StateCategory::Available, T0));
    let loser = by_seller(event(2, &first, to_call(), StateCategory::Available, T0));
    let mut a = store.begin().await.expect("begin a");
    a.append_event(&winner, Some(&key("retry-7")))
        .await
        .expect("a appends");
    // B appends with the same key while A is open: it waits for A to decide.
    let racing = store.clone();
    let b = tokio::spawn(async move {
        let mut b = racing.begin().await.expect("begin b");
        let result = b.append_event(&loser, Some(&key("retry-7"))).await;
        // B's unit stays usable and now sees A's event under the key.
        let seen = b
            .event_by_key(assignment(), seller(), &key("retry-7").key)
            .await
            .expect("read");
        (result, seen)
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!b.is_finished(), "B must wait for A's transaction");
    a.commit().await.expect("commit a");
    let (result, seen) = b.await.expect("b finishes");
    assert!(
        result == Err(StoreError::Duplicate(UniqueRule::IdempotencyKey)),
        "the loser of the race MUST be told it lost to the same key: {result:?}"
    );
    assert_eq!(seen.map(|k| k.event), Some(winner.clone()));

    // A key whose first append rolls back is free again.
    let mut a = store.begin().await.expect("begin");
    a.append_event(
        &by_seller(event(3, &first, to_call(), StateCategory::Available, T0)),
        Some(&key("once")),
    )
    .await
    .expect("append");
    drop(a);
    let mut b = store.begin().await.expect("begin");
    b.append_event(
        &by_seller(event(4, &first, to_call(), StateCategory::Available, T0)),
        Some(&key("once")),
    )
    .await
    .expect("the key is free after the rollback");
    b.commit().await.expect("commit");
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    let store = common::fresh_store().await;
    store
        .migrate()
        .await
        .expect("a migrated database migrates again");
}

/// Customers stored before migration 0004 have no search text; `migrate` fills it (in
/// batches, over more than one batch here), so they are found like customers saved since.
#[tokio::test]
async fn migrate_fills_the_search_text_of_older_customers() {
    use cube_domain::customer::{CustomerFilter, SearchWords};
    use cube_domain::ports::Page;
    let store = common::fresh_store().await;
    let clock = cube_testkit::FixedClock::new(cube_testkit::fixtures::T0);
    let ids = cube_testkit::SequentialIds::new();
    let world = cube_testkit::fixtures::World::build(&store, &clock, &ids, 1_203)
        .await
        .expect("world");
    sqlx::query("UPDATE customers SET search_text = NULL")
        .execute(store.pool())
        .await
        .expect("forget the search texts");
    let search = |text: &str| CustomerFilter {
        words: SearchWords::parse(text).expect("valid"),
        ..CustomerFilter::default()
    };
    let page = Page {
        offset: 0,
        limit: 2_000,
    };
    let owner = world.data_owner.id();
    let mut uow = store.begin().await.expect("begin");
    let found = uow.customers(owner, &search("customer"), page).await;
    assert_eq!(found.expect("search"), vec![]);
    drop(uow);

    store.migrate().await.expect("migrate");
    let mut uow = store.begin().await.expect("begin");
    let one = uow.customers(owner, &search("CUSTOMER 01202"), page).await;
    assert_eq!(one.expect("search"), vec![world.customers[1_202].clone()]);
    let all = uow.customers(owner, &search("customer"), page).await;
    assert_eq!(all.expect("search"), world.customers);
}

/// A value the schema cannot hold (a price with more than 18 significant digits, an import
/// order past `i64::MAX`) is refused as `Unrepresentable` before anything is written, and
/// the unit goes on.
#[tokio::test]
async fn values_beyond_the_schema_are_unrepresentable_and_nothing_is_written() {
    use cube_domain::ids::ProductId;
    use cube_domain::outcome::ProductLine;
    use cube_domain::product::Currency;
    use rust_decimal::Decimal;

    let store = common::fresh_store().await;
    let kari = customer(1, FieldValues::new());
    let enrolled = enrollment(assignment(), 1, 1, 1);
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&kari).await.expect("save customer");
    uow.insert_enrollment(&enrolled).await.expect("enroll");
    let mut sale = OutcomeEventRecord::from(event(1, &enrolled, to_call(), StateCategory::Yes, T0));
    sale.products = vec![ProductLine {
        product: ProductId::from_uuid(uuid(0x9000)),
        quantity: 1,
        unit_price: Decimal::from_i128_with_scale(99_999_999_999_999_999_999, 2),
        currency: Currency::parse("NOK").expect("valid"),
    }];
    let result = uow.append_event(&sale.clone().into(), None).await;
    assert!(
        matches!(&result, Err(StoreError::Unrepresentable(m)) if m.contains("unit price")),
        "{result:?}"
    );
    let huge = with(&enrollment(assignment(), 2, 2, 2), |s| {
        s.sequence = u64::MAX
    });
    let result = uow.insert_enrollment(&huge).await;
    assert!(
        matches!(&result, Err(StoreError::Unrepresentable(m)) if m.contains("sequence")),
        "{result:?}"
    );
    assert!(uow.event(sale.id).await.expect("read").is_none());
    assert!(uow.enrollment(huge.id()).await.expect("read").is_none());
    uow.commit().await.expect("the unit goes on and commits");
}

/// Text with a NUL, which PostgreSQL cannot keep, is the caller's to fix
/// (`Unrepresentable`, a 422 upstream), not a failing database (`Corrupt`, a 503).
#[tokio::test]
async fn text_with_a_nul_is_unrepresentable() {
    use cube_domain::customer::CustomerFilter;
    use cube_domain::ports::Page;
    let store = common::fresh_store().await;
    let mut uow = store.begin().await.expect("begin");
    let filter = CustomerFilter {
        external_id: Some("x\0y".into()),
        ..CustomerFilter::default()
    };
    let page = Page {
        offset: 0,
        limit: 10,
    };
    let result = uow
        .customers(
            cube_domain::ids::DataOwnerId::from_uuid(uuid(0x77)),
            &filter,
            page,
        )
        .await;
    assert!(
        matches!(&result, Err(StoreError::Unrepresentable(m)) if m.contains("NUL")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_delete_after_someone_else_changed_the_enrollment_is_a_conflict() {
    let store = common::fresh_store().await;
    let first = enrollment(assignment(), 1, 1, 1);
    let mut uow = store.begin().await.expect("begin");
    uow.insert_enrollment(&first).await.expect("enroll");
    uow.commit().await.expect("commit");

    // An import's undo reads the enrollment (nobody holds it) …
    let mut undo = store.begin().await.expect("begin");
    let read = undo
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(read.holder(T0), None);
    // … meanwhile a seller is handed it …
    let seller = UserId::from_uuid(uuid(0x0501));
    let request = NextCustomerRequest {
        assignment: assignment(),
        seller,
        now: T0,
        setup: AssignmentSetup::default(),
        gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
    };
    let handout = store
        .reserve_next(&request)
        .await
        .expect("reserve")
        .expect("ready");
    assert_eq!(handout.enrollment.id(), first.id());
    // … so removing it from the stale read is refused, and the seller keeps it.
    assert!(matches!(
        undo.delete_enrollment(first.id()).await,
        Err(StoreError::Conflict(_))
    ));
    drop(undo);
    let mut uow = store.begin().await.expect("begin");
    let now = uow
        .enrollment(first.id())
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(now.holder(T0), Some(seller));
    // Read again, it goes (and a second delete of what is gone is no error).
    uow.delete_enrollment(first.id()).await.expect("delete");
    uow.delete_enrollment(first.id())
        .await
        .expect("gone already");
    uow.commit().await.expect("commit");
}

/// Bulk work writes a page at once (`update_enrollments`, `delete_enrollments`): a row a
/// seller was handed after the page was read is refused — returned, not written — and the
/// rest of the page is written; the unit goes on and commits.
#[tokio::test]
async fn a_page_written_after_a_seller_took_one_of_its_rows_refuses_only_that_row() {
    let store = common::fresh_store().await;
    let rows: Vec<_> = (1..=3)
        .map(|n| enrollment(assignment(), n, n, n as u64))
        .collect();
    let mut uow = store.begin().await.expect("begin");
    for row in &rows {
        uow.insert_enrollment(row).await.expect("enroll");
    }
    uow.commit().await.expect("commit");

    for remove in [false, true] {
        // The manager's unit reads the page …
        let mut manager = store.begin().await.expect("begin");
        let page = manager
            .enrollments_after(assignment(), None, 10)
            .await
            .expect("read");
        // … meanwhile a seller is handed the first customer …
        let seller = UserId::from_uuid(uuid(0x0501));
        let request = NextCustomerRequest {
            assignment: assignment(),
            seller,
            now: T0,
            setup: AssignmentSetup::default(),
            gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
        };
        let taken = store
            .reserve_next(&request)
            .await
            .expect("reserve")
            .expect("ready")
            .enrollment;
        // … so the page's write refuses that row and writes the others.
        let refused = if remove {
            let ids: Vec<_> = page.iter().map(|e| e.id()).collect();
            manager.delete_enrollments(&ids).await.expect("delete")
        } else {
            let moved: Vec<_> = page.iter().map(|e| with(e, |s| s.attempts = 9)).collect();
            manager.update_enrollments(&moved).await.expect("update")
        };
        assert_eq!(refused, vec![taken.id()], "remove: {remove}");
        // Read again, the refused row can be written in the same unit.
        let now = manager
            .enrollment(taken.id())
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(now.holder(T0), Some(seller));
        let released = with(&now, |s| s.reservation = None);
        assert_eq!(
            manager
                .update_enrollments(std::slice::from_ref(&released))
                .await
                .expect("update"),
            vec![]
        );
        manager.commit().await.expect("commit");

        let mut uow = store.begin().await.expect("begin");
        let after = uow.enrollments(assignment()).await.expect("read");
        if remove {
            assert_eq!(after, vec![released.clone()], "only the refused row stays");
        } else {
            assert_eq!(after.len(), 3);
            for row in after {
                let expected = if row.id() == taken.id() { 0 } else { 9 };
                assert_eq!(row.attempts(), expected, "{row:?}");
            }
            assert_eq!(
                uow.enrollment(taken.id()).await.expect("read"),
                Some(released)
            );
        }
    }
}

/// Migration 0037 gives each call kept before it its assignment, from its document: the
/// performance report finds it by the new column. (The database is taken back to before
/// 0037 by undoing it.)
#[tokio::test]
async fn the_calls_by_assignment_migration_fills_the_column_from_the_documents() {
    use cube_domain::call::{Call, CallStatus};
    use cube_domain::ids::{CallId, CustomerId, EnrollmentId};
    let database = common::fresh_database().await;
    let store = common::store_on(database).await;
    store.migrate().await.expect("migrates");
    let call = Call {
        id: CallId::from_uuid(uuid(0xCA1)),
        assignment: assignment(),
        enrollment: EnrollmentId::from_uuid(uuid(0xCA3)),
        customer: CustomerId::from_uuid(uuid(0xCA4)),
        seller: UserId::from_uuid(uuid(0xCA5)),
        caller_id: cube_domain::values::PhoneNumber::parse("+4722334455").expect("valid"),
        to: cube_domain::values::PhoneNumber::parse("+4791234567").ok(),
        provider_id: Some("CA1".into()),
        status: CallStatus::Completed,
        started_at: T0,
        answered_at: None,
        ended_at: None,
        duration: Some(192),
        failure: None,
    };
    let mut uow = store.begin().await.expect("begin");
    uow.save_call(&call).await.expect("save");
    uow.commit().await.expect("commit");
    for sql in [
        "DROP INDEX calls_of_assignment",
        "ALTER TABLE calls DROP COLUMN assignment_id",
        "DELETE FROM _sqlx_migrations WHERE version = 37",
    ] {
        sqlx::query(sql).execute(store.pool()).await.expect(sql);
    }
    store.migrate().await.expect("migrates again");
    let mut read = store.begin_read().await.expect("read");
    assert_eq!(
        read.calls_in(&[assignment()], T0, T0 + Duration::hours(1))
            .await
            .expect("calls"),
        vec![call],
        "found by the assignment its document names"
    );
}

/// Migration 0039 gives each text kept before it its sender's number, from its document,
/// and starts its days at the upgrade: no data owner claims an unmatched text of before,
/// and the worker's sweep deletes it 30 days after the upgrade, not at once. (The database is taken back to
/// before 0039 by undoing it.)
#[tokio::test]
async fn the_unmatched_texts_migration_fills_the_number_and_starts_the_days_at_the_upgrade() {
    use cube_domain::ids::SmsReplyId;
    use cube_domain::sms::{InboundSms, ReplyFate, SmsReply};
    use cube_domain::values::PhoneNumber;
    let database = common::fresh_database().await;
    let store = common::store_on(database).await;
    store.migrate().await.expect("migrates");
    let from = PhoneNumber::parse("+4795555555").expect("valid");
    let text = SmsReply {
        id: SmsReplyId::from_uuid(uuid(0x5A1)),
        inbound: InboundSms::new("SM-1", from.clone(), "Hvem er dette?").expect("valid"),
        received_at: T0 - Duration::days(400),
        flow: None,
        confirmation: None,
        fate: ReplyFate::UnknownNumber,
    };
    let mut uow = store.begin().await.expect("begin");
    uow.save_sms_reply(&text).await.expect("save");
    uow.commit().await.expect("commit");
    for sql in [
        "DROP TABLE sms_reply_owners",
        "DROP INDEX outbox_sms_to",
        "DROP INDEX calls_to",
        "DROP INDEX sms_replies_unmatched_from",
        "DROP INDEX sms_replies_unmatched_received",
        "ALTER TABLE sms_replies DROP COLUMN from_phone",
        "ALTER TABLE sms_replies DROP COLUMN received_at",
        "DELETE FROM _sqlx_migrations WHERE version = 39",
    ] {
        sqlx::query(sql).execute(store.pool()).await.expect(sql);
    }
    store.migrate().await.expect("migrates again");
    let (number,): (String,) =
        sqlx::query_as("SELECT from_phone FROM sms_replies WHERE provider_id = 'SM-1'")
            .fetch_one(store.pool())
            .await
            .expect("the text of before");
    assert_eq!(number, from.as_str(), "the number its document names");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.unmatched_sms_from(cube_domain::ids::DataOwnerId::from_uuid(uuid(2)), &[from])
            .await
            .expect("read"),
        vec![],
        "no data owner claims a text of before"
    );
    assert_eq!(
        uow.forget_unowned_sms(time::OffsetDateTime::now_utc() - Duration::days(1))
            .await
            .expect("swept"),
        0,
        "its days count from the upgrade"
    );
    assert_eq!(
        uow.forget_unowned_sms(time::OffsetDateTime::now_utc() + Duration::days(1))
            .await
            .expect("swept"),
        1
    );
}

/// Migration 0042 keeps what each import created as a list a chunk instead of a row an id:
/// the lists recorded before it (rows of `customer_import_created`, written a chunk at a
/// time) read back the same after it, each kind's ids ascending. (The database is taken
/// back to before 0042 by undoing it.)
#[tokio::test]
async fn the_import_lists_migration_keeps_what_each_import_created() {
    use cube_domain::customer_import::CustomerImport;
    use cube_domain::ids::{CustomerId, EnrollmentId, ImportId};
    let database = common::fresh_database().await;
    let store = common::store_on(database).await;
    store.migrate().await.expect("migrates");
    let import = CustomerImport {
        id: ImportId::from_uuid(uuid(0x1A1)),
        data_owner: DataOwnerId::from_uuid(uuid(0x1A2)),
        assignment: assignment(),
        imported_by: UserId::from_uuid(uuid(0x1A3)),
        imported_at: T0,
        undone: None,
        customers: vec![],
        enrollments: vec![],
    };
    let mut uow = store.begin().await.expect("begin");
    uow.record_import(&import).await.expect("record");
    uow.commit().await.expect("commit");
    for sql in [
        "CREATE TABLE customer_import_created (
             import_id uuid NOT NULL REFERENCES customer_imports (id),
             kind text NOT NULL, record_id uuid NOT NULL,
             PRIMARY KEY (import_id, kind, record_id))",
        "DROP TABLE customer_import_lists",
        "DELETE FROM _sqlx_migrations WHERE version = 42",
    ] {
        sqlx::query(sql).execute(store.pool()).await.expect(sql);
    }
    // Two chunks' rows of the old shape, written out of order.
    let (customers, enrollments): (Vec<u128>, Vec<u128>) =
        ((0x10..0x16).rev().collect(), (0x20..0x29).collect());
    for (kind, ids) in [("customer", &customers), ("enrollment", &enrollments)] {
        for id in ids.iter() {
            sqlx::query("INSERT INTO customer_import_created VALUES ($1, $2, $3)")
                .bind(uuid(0x1A1))
                .bind(kind)
                .bind(uuid(*id))
                .execute(store.pool())
                .await
                .expect("old row");
        }
    }
    store.migrate().await.expect("migrates again");
    let mut read = store.begin_read().await.expect("read");
    let found = read
        .customer_import(import.id)
        .await
        .expect("reads")
        .expect("the import");
    let mut want_customers: Vec<CustomerId> = customers
        .iter()
        .map(|n| CustomerId::from_uuid(uuid(*n)))
        .collect();
    want_customers.sort();
    assert_eq!(found.customers, want_customers, "its customers, ascending");
    assert_eq!(
        found.enrollments,
        enrollments
            .iter()
            .map(|n| EnrollmentId::from_uuid(uuid(*n)))
            .collect::<Vec<_>>(),
        "its enrollments, ascending"
    );
}

/// Migration 0043 gives the companies kept with a Swedish VAT number (`SE`, ten digits,
/// `01`) the key of the number, as `Customer::registry_key` now does: their key as 0041 left
/// it was the whole VAT form. Other keys, and a person's (none), stay. (The database is taken
/// back to before 0043 by writing the keys 0041 wrote and undoing its record.)
#[tokio::test]
async fn the_swedish_registry_keys_migration_rekeys_the_vat_numbers_kept_before_it() {
    use cube_domain::customer::{Customer, CustomerDetails};
    use cube_domain::data_owner::Dataset;
    use cube_domain::ids::CustomerId;
    use cube_domain::values::PhoneNumber;
    let database = common::fresh_database().await;
    let store = common::store_on(database).await;
    store.migrate().await.expect("migrates");
    let owner = DataOwner::new(
        common::data::owner_id(),
        OrganisationId::from_uuid(uuid(0x0F)),
        Name::parse("Ägare").expect("valid name"),
    );
    let company = |n: u128, dataset: Dataset, number: &str| {
        let details = CustomerDetails {
            name: Name::parse("Företag AB").expect("a name"),
            phones: vec![PhoneNumber::parse("+46701234567").expect("valid")],
            email: None,
            address: None,
            registry_number: Some(number.to_owned()),
            external_id: None,
        };
        Customer::new(
            CustomerId::from_uuid(uuid(0xE100 + n)),
            &owner,
            dataset,
            details,
            FieldValues::new(),
        )
        .expect("valid")
    };
    // H&M's organisation number, in its VAT form and others, with the key 0041 gave it.
    let numbers = [
        ("SE556042722001", Some("SE556042722001")),
        ("se 556042-7220 01", Some("se556042722001")),
        ("SE5560427220", Some("SE5560427220")),
        ("SE556042722002", Some("SE556042722002")),
        ("556042-7220", Some("5560427220")),
        ("NO 974 760 673 MVA", Some("974760673")),
    ];
    let mut kept: Vec<Customer> = numbers
        .iter()
        .zip(0..)
        .map(|((number, _), n)| company(n, Dataset::B2b, number))
        .collect();
    kept.push(company(50, Dataset::B2c, "SE556042722001"));
    let mut uow = store.begin().await.expect("begin");
    for c in &kept {
        uow.save_customer(c).await.expect("save");
    }
    uow.commit().await.expect("commit");
    for (c, (_, before)) in kept.iter().zip(&numbers) {
        sqlx::query("UPDATE customers SET registry_key = $2 WHERE id = $1")
            .bind(c.id().as_uuid())
            .bind(before)
            .execute(store.pool())
            .await
            .expect("the key of before");
    }
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 43")
        .execute(store.pool())
        .await
        .expect("0043 undone");
    store.migrate().await.expect("migrates again");
    for c in &kept {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT registry_key FROM customers WHERE id = $1")
                .bind(c.id().as_uuid())
                .fetch_one(store.pool())
                .await
                .expect("a key");
        assert_eq!(
            stored,
            c.registry_key(),
            "{:?}",
            c.details().registry_number
        );
    }
    assert_eq!(kept[0].registry_key().as_deref(), Some("5560427220"));
    let row = company(99, Dataset::B2b, "5560427220");
    let mut read = store.begin_read().await.expect("read");
    let keys = read
        .import_row_keys(owner.id(), &[&row])
        .await
        .expect("keys");
    assert_eq!(
        keys[0].by_registry_number.as_ref().map(|h| h.customer),
        Some(kept[0].id())
    );
}

/// Migration 0041 gives each company kept before it the key of its organisation number, by
/// the rule `Customer::registry_key` follows (the same key for every awkward way of writing
/// it), and none to a person: an import finds the company by it. (The database is taken back
/// to before 0041 by undoing it.)
#[tokio::test]
async fn the_registry_keys_migration_keys_the_companies_kept_before_it() {
    use cube_domain::customer::{Customer, CustomerDetails};
    use cube_domain::data_owner::Dataset;
    use cube_domain::ids::CustomerId;
    use cube_domain::values::PhoneNumber;
    let database = common::fresh_database().await;
    let store = common::store_on(database).await;
    store.migrate().await.expect("migrates");
    let owner = DataOwner::new(
        common::data::owner_id(),
        OrganisationId::from_uuid(uuid(0x0F)),
        Name::parse("Owner").expect("valid name"),
    );
    let company = |n: u128, dataset: Dataset, number: &str| {
        let details = CustomerDetails {
            name: Name::parse("Firma").expect("a name"),
            phones: vec![PhoneNumber::parse("+4791234567").expect("valid")],
            email: None,
            address: None,
            registry_number: Some(number.to_owned()),
            external_id: None,
        };
        Customer::new(
            CustomerId::from_uuid(uuid(0xE000 + n)),
            &owner,
            dataset,
            details,
            FieldValues::new(),
        )
        .expect("valid")
    };
    let numbers = [
        "NO 974 760 673 MVA",
        "923609016mva",
        "no123456789",
        "\u{a0}974\u{202f}760\u{2009}673 ",
        "NO 12 34",
        "556677-8899",
        "NOMVA",
        "NO123456789MVAX",
        "984851006",
    ];
    let mut kept: Vec<Customer> = numbers
        .iter()
        .zip(0..)
        .map(|(number, n)| company(n, Dataset::B2b, number))
        .collect();
    kept.push(company(50, Dataset::B2c, "974760673"));
    let mut uow = store.begin().await.expect("begin");
    for c in &kept {
        uow.save_customer(c).await.expect("save");
    }
    uow.commit().await.expect("commit");
    for sql in [
        "DROP INDEX customers_registry_key",
        "ALTER TABLE customers DROP COLUMN registry_key",
        "DELETE FROM _sqlx_migrations WHERE version = 41",
    ] {
        sqlx::query(sql).execute(store.pool()).await.expect(sql);
    }
    store.migrate().await.expect("migrates again");
    for c in &kept {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT registry_key FROM customers WHERE id = $1")
                .bind(c.id().as_uuid())
                .fetch_one(store.pool())
                .await
                .expect("a key");
        assert_eq!(
            stored,
            c.registry_key(),
            "{:?}",
            c.details().registry_number
        );
    }
    let row = company(99, Dataset::B2b, "974760673");
    let mut read = store.begin_read().await.expect("read");
    let keys = read
        .import_row_keys(owner.id(), &[&row])
        .await
        .expect("keys");
    assert_eq!(
        keys[0].by_registry_number.as_ref().map(|h| h.customer),
        Some(kept[0].id())
    );
}
