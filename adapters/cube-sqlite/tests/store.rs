//! The adapter's own promises beyond the port contract: how the database is opened (WAL,
//! foreign keys, `synchronous = NORMAL`, a created parent directory), that migrations are
//! idempotent, that each unique rule answers `Duplicate`, that a missing enrollment answers
//! `Conflict`, and that values round-trip exactly (nanosecond times, decimal prices).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cube_domain::access::{Role, User};
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::ids::{ProductId, TimeEntryId};
use cube_domain::ports::{RecordKind, Store, StoreError, UniqueRule};
use cube_domain::product::{Currency, Product};
use cube_domain::time_entry::TimeEntry;
use cube_domain::values::Email;
use cube_sqlite::{SqliteOptions, SqliteStore};
use rust_decimal::Decimal;
use time::Duration;
use uuid::Uuid;

async fn pragma_text(store: &SqliteStore, pragma: &'static str) -> String {
    sqlx::query_scalar(pragma)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn pragma_int(store: &SqliteStore, pragma: &'static str) -> i64 {
    sqlx::query_scalar(pragma)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_file_store_runs_in_wal_mode_with_foreign_keys_on() {
    let db = TempDb::new("pragmas");
    let store = db.open().await;
    assert_eq!(pragma_text(&store, "PRAGMA journal_mode").await, "wal");
    assert_eq!(pragma_int(&store, "PRAGMA foreign_keys").await, 1);
    // NORMAL is 1.
    assert_eq!(pragma_int(&store, "PRAGMA synchronous").await, 1);
    assert_eq!(pragma_int(&store, "PRAGMA busy_timeout").await, 5000);
}

#[tokio::test]
async fn connecting_creates_the_parent_directory_and_accepts_urls() {
    let db = TempDb::new("nested");
    let nested = db.path.with_extension("d").join("deeper").join("cube.db");
    let url = format!("sqlite://{}", nested.display());
    let store = SqliteStore::connect(&url, SqliteOptions::default())
        .await
        .unwrap();
    assert!(nested.exists());
    store.close().await;
    let _ = std::fs::remove_dir_all(db.path.with_extension("d"));

    let memory = SqliteStore::connect("sqlite::memory:", SqliteOptions::default())
        .await
        .unwrap();
    seed(&memory, &[]).await;
}

#[tokio::test]
async fn migrations_apply_twice_without_change() {
    let db = TempDb::new("migrate");
    let store = db.open().await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let applied: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(store.pool())
        .await
        .unwrap();
    // Counted from the folder, so a new migration needs no change here.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .is_ok_and(|f| f.path().extension().is_some_and(|e| e == "sql"))
        })
        .count();
    assert_eq!(
        usize::try_from(applied.0).unwrap(),
        files,
        "every migration in migrations/ (0001_initial, 0002_credentials, …), once each"
    );
    store.close().await;
    // A second process opening the same file migrates nothing either.
    let again = db.open().await;
    seed(&again, &[]).await;
}

/// Users stored before migration 0005 whose addresses differ only by case stop it, and
/// `migrate` names them; once one is re-addressed it applies, and either casing finds the
/// user.
#[tokio::test]
async fn users_whose_emails_differ_only_by_case_stop_the_migration_by_name() {
    let db = TempDb::new("email-case");
    let store = db.open().await;
    let clock = cube_testkit::FixedClock::new(cube_testkit::fixtures::T0);
    let ids = cube_testkit::SequentialIds::new();
    let world = cube_testkit::fixtures::World::build(&store, &clock, &ids, 0)
        .await
        .unwrap();
    let admin = world.admin.email.to_string();
    let seller = world.sellers[0].id.to_string();
    // Back to before 0005: undo 0013 (its indexes; the rebuilt table has no unique rule
    // left) and 0005.
    for sql in [
        "DROP INDEX users_organisation_login_key",
        "DROP INDEX users_by_login_key",
        "DELETE FROM _sqlx_migrations WHERE version IN (5, 13)",
    ] {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
    sqlx::query("UPDATE users SET email = upper(?) WHERE id = ?")
        .bind(&admin)
        .bind(&seller)
        .execute(store.pool())
        .await
        .unwrap();
    let text = store.migrate().await.unwrap_err().to_string();
    assert!(
        text.contains(&format!("{}, {admin}", admin.to_uppercase())) && text.contains("distinct"),
        "{text}"
    );
    sqlx::query("UPDATE users SET email = 'moved@example.no' WHERE id = ?")
        .bind(&seller)
        .execute(store.pool())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mut uow = store.begin().await.unwrap();
    let shouted = Email::parse(&admin.to_uppercase()).unwrap();
    assert_eq!(
        uow.users_by_email(&shouted)
            .await
            .unwrap()
            .iter()
            .map(|u| u.id)
            .collect::<Vec<_>>(),
        vec![world.admin.id]
    );
}

/// Customers stored before migration 0003 have no search text; `migrate` fills it, so they
/// are found like customers saved since.
#[tokio::test]
async fn migrate_fills_the_search_text_of_older_customers() {
    let db = TempDb::new("search-fill");
    let store = db.open().await;
    let clock = cube_testkit::FixedClock::new(cube_testkit::fixtures::T0);
    let ids = cube_testkit::SequentialIds::new();
    let world = cube_testkit::fixtures::World::build(&store, &clock, &ids, 3)
        .await
        .unwrap();
    sqlx::query("UPDATE customers SET search_text = NULL")
        .execute(store.pool())
        .await
        .unwrap();
    let search = |text: &str| cube_domain::customer::CustomerFilter {
        words: cube_domain::customer::SearchWords::parse(text).unwrap(),
        ..Default::default()
    };
    let page = cube_domain::ports::Page {
        offset: 0,
        limit: 10,
    };
    let owner = world.data_owner.id();
    let mut uow = store.begin().await.unwrap();
    assert_eq!(
        uow.customers(owner, &search("customer"), page)
            .await
            .unwrap(),
        vec![]
    );
    drop(uow);

    store.migrate().await.unwrap();
    let mut uow = store.begin().await.unwrap();
    assert_eq!(
        uow.customers(owner, &search("CUSTOMER 00001"), page)
            .await
            .unwrap(),
        vec![world.customers[1].clone()]
    );
    assert_eq!(
        uow.customers(owner, &search("storgata"), page)
            .await
            .unwrap(),
        world.customers
    );
}

/// A read unit runs beside a unit that holds the write lock: a report neither waits for a
/// seller's write nor sees it before it is committed — while a second writer waits, and
/// gives up after the busy timeout.
#[tokio::test]
async fn a_read_unit_runs_beside_a_writer() {
    let db = TempDb::new("read-beside");
    let options = SqliteOptions {
        busy_timeout: std::time::Duration::from_millis(200),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::connect(&db.url(), options).await.unwrap();
    let clock = cube_testkit::FixedClock::new(cube_testkit::fixtures::T0);
    let ids = cube_testkit::SequentialIds::new();
    let world = cube_testkit::fixtures::World::build(&store, &clock, &ids, 2)
        .await
        .unwrap();
    let owner = world.data_owner.id();
    let all = cube_domain::customer::CustomerFilter::default();
    let page = cube_domain::ports::Page {
        offset: 0,
        limit: 10,
    };

    let mut writer = store.begin().await.unwrap();
    let mut renamed = world.customers[0].clone();
    let details = cube_domain::customer::CustomerDetails {
        name: cube_domain::values::Name::parse("Renamed AS").unwrap(),
        ..renamed.details().clone()
    };
    renamed
        .update(&world.data_owner, details, renamed.fields().clone())
        .unwrap();
    writer.save_customer(&renamed).await.unwrap();

    let mut reader = store.begin_read().await.unwrap();
    let seen = reader.customers(owner, &all, page).await.unwrap();
    assert_eq!(
        seen, world.customers,
        "the last committed state, not the open write"
    );
    drop(reader);
    let second_writer = store.begin().await;
    assert!(
        matches!(second_writer, Err(StoreError::Unavailable(_))),
        "the write lock is held: {:?}",
        second_writer.map(|_| ())
    );
    writer.commit().await.unwrap();

    let mut reader = store.begin_read().await.unwrap();
    let seen = reader.customers(owner, &all, page).await.unwrap();
    assert_eq!(seen[0], renamed);
}

/// Authenticating a request and the read-only use cases run beside a unit that holds the
/// write lock (issue 12: every authenticated request used to take SQLite's write lock for its
/// token lookup): with a busy timeout of 200 ms, each would otherwise fail `Unavailable`.
#[tokio::test]
async fn authentication_and_reads_run_beside_a_writer() {
    let db = TempDb::new("auth-beside");
    let options = SqliteOptions {
        busy_timeout: std::time::Duration::from_millis(200),
        ..SqliteOptions::default()
    };
    let store = std::sync::Arc::new(SqliteStore::connect(&db.url(), options).await.unwrap());
    let clock = std::sync::Arc::new(cube_testkit::FixedClock::new(cube_testkit::fixtures::T0));
    let ids = std::sync::Arc::new(cube_testkit::SequentialIds::new());
    let world =
        cube_testkit::fixtures::World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 2)
            .await
            .unwrap();
    let cube = cube_app::Cube::new(store.clone(), clock, ids);
    let admin = world.admin.clone();
    cube.set_initial_password(admin.id, "$argon2id$hash")
        .await
        .unwrap();
    let token_hash = format!("{:064x}", 7);
    cube.issue_token(
        admin.id,
        &token_hash,
        cube_domain::ports::TokenKind::Session,
        None,
    )
    .await
    .unwrap();

    let writer = store.begin().await.unwrap();
    let (user, _) = cube
        .authenticate(&token_hash)
        .await
        .expect("authenticated beside a writer");
    assert_eq!(user.id, admin.id);
    assert_eq!(cube.me(&user).await.unwrap(), admin);
    assert!(!cube.users(&user).await.unwrap().is_empty());
    assert_eq!(
        cube.login_credentials(admin.email.as_str(), None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        matches!(store.begin().await, Err(StoreError::Unavailable(_))),
        "the write lock was held all along"
    );
    drop(writer);
}

#[tokio::test]
async fn an_in_memory_store_is_one_database() {
    let store = SqliteStore::in_memory().await.unwrap();
    seed(&store, &[assignment(1, AssignmentSetup::default())]).await;
    let mut uow = store.begin().await.unwrap();
    assert!(uow.assignment(assignment_id(1)).await.unwrap().is_some());
}

fn user(n: u128, email: &str) -> User {
    User {
        phone: None,
        id: cube_domain::ids::UserId::from_uuid(uuid(9, n)),
        organisation: ORG,
        name: name(&format!("User {n}")),
        email: Email::parse(email).unwrap(),
        role: Role::Seller,
        active: true,
    }
}

/// A hand-edited row that breaks a rule the domain keeps is `Corrupt`, naming what is
/// wrong: a client user without a client, a time entry that ends before it starts.
#[tokio::test]
async fn rows_that_break_a_domain_rule_read_as_corrupt() {
    let store = SqliteStore::in_memory().await.unwrap();
    seed(&store, &[assignment(1, AssignmentSetup::default())]).await;
    let kari = user(1, "kari@example.no");
    let entry = TimeEntry::manual(
        TimeEntryId::from_uuid(uuid(7, 1)),
        kari.id,
        assignment_id(1),
        T0,
        T0 + Duration::hours(1),
    )
    .unwrap();
    let mut uow = store.begin().await.unwrap();
    uow.save_user(&kari).await.unwrap();
    uow.save_time_entry(&entry).await.unwrap();
    uow.commit().await.unwrap();
    sqlx::query("UPDATE users SET doc = json_set(doc, '$.role', 'Client')")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE time_entries SET end_at = start_at - 1")
        .execute(store.pool())
        .await
        .unwrap();

    let mut uow = store.begin_read().await.unwrap();
    match uow.user(kari.id).await {
        Err(StoreError::Corrupt(message)) => assert!(
            message.contains("a client user needs the client it represents"),
            "{message}"
        ),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    match uow
        .user_time_entries_overlapping(kari.id, T0 - Duration::days(1), None)
        .await
    {
        Err(StoreError::Corrupt(message)) => assert!(
            message.contains(&entry.id().to_string())
                && message.contains("must end after it starts"),
            "{message}"
        ),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

fn product(n: u128, code: &str, price: Decimal) -> Product {
    Product::new(
        ProductId::from_uuid(uuid(8, n)),
        OWNER,
        name(&format!("Product {n}")),
        code,
        price,
        Currency::parse("NOK").unwrap(),
    )
    .unwrap()
}

fn duplicate_of(result: Result<(), StoreError>) -> Option<UniqueRule> {
    match result {
        Err(StoreError::Duplicate(rule)) => Some(rule),
        _ => None,
    }
}

#[tokio::test]
async fn every_unique_rule_answers_duplicate() {
    let store = SqliteStore::in_memory().await.unwrap();
    seed(&store, &[assignment(1, AssignmentSetup::default())]).await;
    let mut uow = store.begin().await.unwrap();

    uow.save_user(&user(1, "kari@example.no")).await.unwrap();
    uow.save_user(&user(1, "kari@example.no")).await.unwrap();
    let taken = uow.save_user(&user(2, "kari@example.no")).await;
    assert_eq!(taken, Err(StoreError::Duplicate(UniqueRule::UserEmail)));
    assert_eq!(
        taken.unwrap_err().to_string(),
        "a user with this e-mail address already exists"
    );

    uow.save_product(&product(1, "P-1", Decimal::new(1999, 2)))
        .await
        .unwrap();
    assert_eq!(
        duplicate_of(uow.save_product(&product(2, "P-1", Decimal::ONE)).await),
        Some(UniqueRule::ProductCode)
    );

    assert_eq!(
        duplicate_of(uow.save_published_flow(&flow()).await),
        Some(UniqueRule::PublishedFlowVersion)
    );

    let first = Enrollment::from(snapshot(assignment_id(1), 1));
    uow.insert_enrollment(&first).await.unwrap();
    let mut same_customer = snapshot(assignment_id(1), 2);
    same_customer.customer = customer_id(1);
    assert_eq!(
        duplicate_of(
            uow.insert_enrollment(&Enrollment::from(same_customer))
                .await
        ),
        Some(UniqueRule::CustomerInAssignment)
    );
    let mut same_id = snapshot(assignment_id(1), 1);
    same_id.customer = customer_id(2);
    assert_eq!(
        duplicate_of(uow.insert_enrollment(&Enrollment::from(same_id)).await),
        Some(UniqueRule::Id(RecordKind::Enrollment))
    );
    assert_eq!(
        duplicate_of(uow.insert_enrollment(&first).await),
        Some(UniqueRule::CustomerInAssignment)
    );

    // The unit is still usable after refused statements, and commits the rest.
    uow.commit().await.unwrap();
    let mut uow = store.begin().await.unwrap();
    assert_eq!(
        uow.enrollments(assignment_id(1)).await.unwrap(),
        vec![first]
    );
}

#[tokio::test]
async fn updating_a_missing_enrollment_is_a_conflict() {
    let store = SqliteStore::in_memory().await.unwrap();
    let mut uow = store.begin().await.unwrap();
    let missing = Enrollment::from(snapshot(assignment_id(1), 7));
    assert!(matches!(
        uow.update_enrollment(&missing).await,
        Err(StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn a_dropped_unit_leaves_nothing() {
    let db = TempDb::new("rollback");
    let store = db.open().await;
    seed(&store, &[]).await;
    {
        let mut uow = store.begin().await.unwrap();
        uow.save_customer(&customer(1, &owner(), FieldValues::new()))
            .await
            .unwrap();
        uow.insert_enrollment(&Enrollment::from(snapshot(assignment_id(1), 1)))
            .await
            .unwrap();
    }
    let mut uow = store.begin().await.unwrap();
    assert_eq!(uow.customer(customer_id(1)).await.unwrap(), None);
    assert_eq!(uow.enrollment(enrollment_id(1)).await.unwrap(), None);
}

#[tokio::test]
async fn values_round_trip_exactly() {
    let store = SqliteStore::in_memory().await.unwrap();
    seed(&store, &[]).await;
    let owner = owner();
    let mut fields = FieldValues::new();
    fields.insert(
        key("revenue"),
        FieldValue::Decimal(Decimal::new(123_456_789, 4)),
    );
    fields.insert(key("score"), FieldValue::Number(-42));
    let customer = customer(1, &owner, fields);
    let mut s = snapshot(assignment_id(1), 1);
    s.last_contact = Some(T0 + time::Duration::nanoseconds(123_456_789));
    s.follow_up = Some(follow_up(-5, Some(seller(1))));
    s.reservation = Some(lease(seller(2), 15));
    s.no_answer_at = Some(T0 - time::Duration::hours(2));
    s.attempts = 3;
    s.segment = Some(segment(1));
    let enrollment = Enrollment::from(s);
    let price = product(1, "P-1", Decimal::new(149_950, 2));

    let mut uow = store.begin().await.unwrap();
    uow.save_customer(&customer).await.unwrap();
    uow.insert_enrollment(&enrollment).await.unwrap();
    uow.save_product(&price).await.unwrap();
    uow.commit().await.unwrap();

    let mut uow = store.begin().await.unwrap();
    assert_eq!(uow.customer(customer.id()).await.unwrap(), Some(customer));
    assert_eq!(
        uow.enrollment(enrollment.id()).await.unwrap(),
        Some(enrollment)
    );
    let read = uow.product(price.id()).await.unwrap().unwrap();
    assert_eq!(read.unit_price().to_string(), "1499.50");
    assert_eq!(
        uow.user(cube_domain::ids::UserId::from_uuid(Uuid::nil()))
            .await
            .unwrap(),
        None
    );
}
