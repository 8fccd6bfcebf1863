//! The batched import: rows match existing customers by external id, else by phone, new
//! ones are created, enrollments continue the assignment's import order, customers already
//! in the assignment are counted and skipped — and a batch that fails half-way leaves the
//! unit as it was before the call.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::data_owner::Dataset;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::ports::{
    ImportBatch, ImportRow, OnMatch, RecordKind, Store, StoreError, UniqueRule,
};
use cube_domain::values::PhoneNumber;
use cube_sqlite::SqliteStore;

/// A new customer `n` with the given external id and phone.
fn row_customer(n: u128, external_id: Option<&str>, phone: u64) -> Customer {
    let details = CustomerDetails {
        name: name(&format!("Imported {n}")),
        phones: vec![
            PhoneNumber::parse(&format!("+47{}", 40_000_000 + n)).unwrap(),
            PhoneNumber::parse(&format!("+47{phone}")).unwrap(),
        ],
        email: None,
        address: None,
        registry_number: None,
        external_id: external_id.map(str::to_owned),
    };
    Customer::new(
        customer_id(n),
        &owner(),
        Dataset::B2b,
        details,
        FieldValues::new(),
    )
    .unwrap()
}

fn batch(rows: Vec<(Customer, u128)>) -> ImportBatch {
    ImportBatch {
        data_owner: OWNER,
        assignment: assignment_id(1),
        initial_state: state(TO_CALL),
        segment: Some(segment(1)),
        enrolled_at: T0,
        on_match: OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows: rows
            .into_iter()
            .map(|(customer, enrollment)| ImportRow {
                customer,
                enrollment: enrollment_id(enrollment),
            })
            .collect(),
    }
}

#[tokio::test]
async fn rows_match_create_and_enroll_in_import_order() {
    let store = SqliteStore::in_memory().await.unwrap();
    seed(&store, &[assignment(1, AssignmentSetup::default())]).await;
    // Customers 1 and 2 exist; 2 is enrolled already, with sequence 5.
    let mut enrolled = snapshot(assignment_id(1), 2);
    enrolled.sequence = 5;
    insert(
        &store,
        &[
            customer(1, &owner(), FieldValues::new()),
            customer(2, &owner(), FieldValues::new()),
        ],
        &[Enrollment::from(enrolled)],
    )
    .await;

    let rows = vec![
        // Customer 1's external id ("ext-1"), under a new id: matched.
        (row_customer(101, Some("ext-1"), 41_111_111), 201),
        // No external id, but customer 2's phone (+47 9000 0002): matched, already enrolled.
        (row_customer(102, None, 90_000_002), 202),
        // New.
        (row_customer(103, Some("new-3"), 33_333_333), 203),
    ];
    let mut uow = store.begin().await.unwrap();
    let counts = uow.import_batch(&batch(rows)).await.unwrap();
    uow.commit().await.unwrap();
    assert_eq!(
        (
            counts.created,
            counts.matched,
            counts.updated,
            counts.enrolled,
            counts.already_enrolled
        ),
        (1, 2, 2, 2, 1)
    );

    let mut uow = store.begin().await.unwrap();
    let now = uow.enrollments(assignment_id(1)).await.unwrap();
    let got: Vec<_> = now
        .iter()
        .map(|e| (e.id(), e.customer(), e.sequence()))
        .collect();
    assert_eq!(
        got,
        [
            (enrollment_id(2), customer_id(2), 5),
            (enrollment_id(201), customer_id(1), 6),
            (enrollment_id(203), customer_id(103), 7),
        ]
    );
    assert_eq!(now[1].segment(), Some(segment(1)));
    assert!(uow.customer(customer_id(101)).await.unwrap().is_none());
    assert!(uow.customer(customer_id(103)).await.unwrap().is_some());
}

#[tokio::test]
async fn a_failing_batch_leaves_the_unit_as_it_was() {
    let store = SqliteStore::in_memory().await.unwrap();
    seed(&store, &[assignment(1, AssignmentSetup::default())]).await;
    insert(
        &store,
        &[customer(1, &owner(), FieldValues::new())],
        &[Enrollment::from(snapshot(assignment_id(1), 1))],
    )
    .await;

    let mut uow = store.begin().await.unwrap();
    uow.save_customer(&customer(9, &owner(), FieldValues::new()))
        .await
        .unwrap();
    // The second row reuses enrollment 1's id: the batch fails there.
    let rows = vec![
        (row_customer(101, Some("a"), 41_111_111), 201),
        (row_customer(102, Some("b"), 22_222_222), 1),
    ];
    let failed = uow.import_batch(&batch(rows)).await;
    assert!(
        failed
            == Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::Enrollment
            ))),
        "{failed:?}"
    );
    uow.commit().await.unwrap();

    let mut uow = store.begin().await.unwrap();
    assert!(uow.customer(customer_id(9)).await.unwrap().is_some());
    assert!(uow.customer(customer_id(101)).await.unwrap().is_none());
    assert_eq!(uow.enrollments(assignment_id(1)).await.unwrap().len(), 1);
}
