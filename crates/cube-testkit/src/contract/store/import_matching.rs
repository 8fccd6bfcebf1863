//! Contract cases for who an import row is (`cube_domain::import_match`): who holds its keys
//! (`import_row_keys`), rows refused rather than re-keying a customer or giving one phone
//! number to two customers, and rows that would change nothing left unwritten.

use super::units::{row, row_customer};
use crate::contract::{Setup, SharedStore, at, setup};
use crate::fixtures::{SalesFlow, name};
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::import_match::{IdentityConflict, KeyHolder, RowKeys};
use cube_domain::ports::{
    IdGenerator, ImportBatch, ImportCounts, ImportRow, ImportedRow, OnMatch, RefusedRow,
    RowCustomer,
};
use cube_domain::values::PhoneNumber;

fn phone(text: &str) -> PhoneNumber {
    PhoneNumber::parse(text).expect("valid")
}

pub(super) fn holder(customer: &Customer) -> KeyHolder {
    KeyHolder {
        customer: customer.id(),
        external_id: customer.details().external_id.clone(),
        dataset: customer.dataset(),
    }
}

/// `customer` with another name and these phones.
fn renamed(s: &Setup, customer: &Customer, to: &str, phones: &[&str]) -> Customer {
    let mut changed = customer.clone();
    let details = CustomerDetails {
        name: name(to),
        phones: phones.iter().map(|p| phone(p)).collect(),
        ..customer.details().clone()
    };
    changed
        .update(&s.world.data_owner, details, customer.fields().clone())
        .expect("valid details");
    changed
}

/// `import_row_keys` finds, per row and each on its own, the oldest customer with the row's
/// external id and, for each of its phones in the row's order, the oldest customer with it;
/// another data owner's customers are not seen.
pub async fn import_row_keys_finds_who_holds_each_key(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let w = &s.world;
    let kari = row_customer(&s, Some("X1"), "+4791000001");
    let no_id = row_customer(&s, None, "+4791000002");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&kari).await.expect("save");
    uow.save_customer(&no_id).await.expect("save");
    uow.commit().await.expect("commit");

    let both = renamed(
        &s,
        &row_customer(&s, Some("X1"), "+4791000009"),
        "Begge",
        &["+4791000009", "+4791000002", "+4791000001"],
    );
    let rows = [
        row_customer(&s, Some("X2"), "+4791000001"),
        both,
        row_customer(&s, Some("X3"), "+4791000003"),
        row_customer(&s, None, "+4791000002"),
    ];
    let refs: Vec<&Customer> = rows.iter().collect();
    let mut uow = store.begin_read().await.expect("begin");
    let keys = uow
        .import_row_keys(w.data_owner.id(), &refs)
        .await
        .expect("read");
    assert_eq!(
        keys,
        vec![
            RowKeys {
                by_registry_number: None,
                by_external_id: None,
                by_phone: vec![(phone("+4791000001"), holder(&kari))],
            },
            RowKeys {
                by_registry_number: None,
                by_external_id: Some(holder(&kari)),
                by_phone: vec![
                    (phone("+4791000002"), holder(&no_id)),
                    (phone("+4791000001"), holder(&kari)),
                ],
            },
            RowKeys::default(),
            RowKeys {
                by_registry_number: None,
                by_external_id: None,
                by_phone: vec![(phone("+4791000002"), holder(&no_id))],
            },
        ]
    );
    let elsewhere = uow
        .import_row_keys(
            cube_domain::ids::DataOwnerId::from_uuid(s.ids.next_id()),
            &refs,
        )
        .await
        .expect("read");
    assert_eq!(elsewhere, vec![RowKeys::default(); 4]);
    assert_eq!(
        uow.import_row_keys(w.data_owner.id(), &[])
            .await
            .expect("read"),
        Vec::new()
    );
}

pub(super) fn batch(s: &Setup, on_match: OnMatch, rows: Vec<ImportRow>) -> ImportBatch {
    ImportBatch {
        data_owner: s.world.data_owner.id(),
        assignment: s.world.assignment.id(),
        initial_state: SalesFlow::TO_CALL,
        segment: None,
        enrolled_at: at(30),
        on_match,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows,
    }
}

/// A row whose phone belongs to a customer with another external id (no customer has the
/// row's) is refused, updating or skipping: the customer keeps its external id and name. A
/// row that would update its customer with a phone of another customer is refused; told to
/// skip, it is taken. The batch's other rows go in, enrolled with consecutive numbers; a
/// refused row writes nothing.
pub async fn import_batch_refuses_a_row_whose_phone_is_another_customers(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let kari = renamed(
        &s,
        &row_customer(&s, Some("X1"), "+4792000001"),
        "Kari",
        &["+4792000001"],
    );
    let per = row_customer(&s, Some("X5"), "+4792000005");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&kari).await.expect("save");
    uow.save_customer(&per).await.expect("save");
    uow.commit().await.expect("commit");
    let ola = || {
        renamed(
            &s,
            &row_customer(&s, Some("X2"), "+4792000001"),
            "Ola",
            &["+4792000001"],
        )
    };
    let re_key = RefusedRow {
        index: 0,
        conflict: IdentityConflict::PhoneOfOtherExternalId {
            phone: phone("+4792000001"),
            holder: kari.id(),
            holder_external_id: "X1".into(),
            row_external_id: "X2".into(),
        },
    };
    let refused_ola = ImportedRow {
        customer: kari.id(),
        outcome: RowCustomer::Refused,
        enrolled: false,
    };

    // Updating: Ola's row is refused, the new row goes in and is enrolled first.
    let new = row_customer(&s, Some("N1"), "+4792000003");
    let rows = vec![row(&s, ola()), row(&s, new.clone())];
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(&s, OnMatch::Update, rows.clone()))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        counts,
        ImportCounts {
            created: 1,
            enrolled: 1,
            rows: vec![
                refused_ola,
                ImportedRow {
                    customer: new.id(),
                    outcome: RowCustomer::Created,
                    enrolled: true,
                },
            ],
            refused: vec![re_key.clone()],
            ..ImportCounts::default()
        }
    );
    let mut uow = store.begin().await.expect("begin");
    let enrolled = uow
        .enrollments(s.world.assignment.id())
        .await
        .expect("read");
    assert_eq!(
        enrolled
            .iter()
            .map(|e| (e.customer(), e.sequence(), e.id()))
            .collect::<Vec<_>>(),
        vec![(new.id(), 1, rows[1].enrollment)],
        "a refused row enrolls nobody and takes no import-order number"
    );
    drop(uow);

    // Skipping: refused too (the row names a customer that is not there); the new row of
    // before is skipped.
    let again = row_customer(&s, Some("N1"), "+4792000003");
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(
            &s,
            OnMatch::Skip,
            vec![row(&s, ola()), row(&s, again)],
        ))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        counts,
        ImportCounts {
            matched: 1,
            skipped: 1,
            already_enrolled: 1,
            rows: vec![
                refused_ola,
                ImportedRow {
                    customer: new.id(),
                    outcome: RowCustomer::Skipped,
                    enrolled: false,
                },
            ],
            refused: vec![re_key],
            ..ImportCounts::default()
        }
    );
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.customer(kari.id()).await.expect("read"),
        Some(kari.clone()),
        "a refused row MUST NOT change the customer holding its phone"
    );
    drop(uow);

    // Per's row with Kari's number: an update would give it to both, refused; skipped, Per
    // is taken as it is.
    let per_with_karis = || {
        renamed(
            &s,
            &row_customer(&s, Some("X5"), "+4792000005"),
            "Per Igjen",
            &["+4792000005", "+4792000001"],
        )
    };
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(&s, OnMatch::Update, vec![row(&s, per_with_karis())]))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        counts.refused,
        vec![RefusedRow {
            index: 0,
            conflict: IdentityConflict::PhoneOfOtherCustomer {
                phone: phone("+4792000001"),
                holder: holder(&kari),
                matched: holder(&per),
            },
        }]
    );
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(&s, OnMatch::Skip, vec![row(&s, per_with_karis())]))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        (counts.skipped, counts.enrolled, counts.refused.len()),
        (1, 1, 0),
        "a skipped match changes nobody: taken"
    );
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.customer(per.id()).await.expect("read"), Some(per));
    assert_eq!(uow.customer(kari.id()).await.expect("read"), Some(kari));
}

/// A row whose values are the customer's already (a file sent again) is `unchanged`, not
/// `updated`, and counts as matched; a row that changes something is `updated`.
pub async fn import_batch_counts_a_row_that_changes_nothing_unchanged(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let first = row_customer(&s, Some("U1"), "+4793000001");
    let other = row_customer(&s, None, "+4793000002");
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(
            &s,
            OnMatch::Update,
            vec![row(&s, first.clone()), row(&s, other.clone())],
        ))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(counts.created, 2);

    // The same rows again (new ids, as a file read again gets), one of them renamed.
    let again = row_customer(&s, Some("U1"), "+4793000001");
    let changed = renamed(
        &s,
        &row_customer(&s, None, "+4793000002"),
        "Nytt Navn",
        &["+4793000002"],
    );
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(
            &s,
            OnMatch::Update,
            vec![row(&s, again), row(&s, changed)],
        ))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        counts,
        ImportCounts {
            matched: 2,
            updated: 1,
            unchanged: 1,
            already_enrolled: 2,
            rows: vec![
                ImportedRow {
                    customer: first.id(),
                    outcome: RowCustomer::Unchanged,
                    enrolled: false,
                },
                ImportedRow {
                    customer: other.id(),
                    outcome: RowCustomer::Updated,
                    enrolled: false,
                },
            ],
            ..ImportCounts::default()
        }
    );
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.customer(first.id()).await.expect("read"),
        Some(first.clone())
    );
    assert_eq!(
        uow.customer(other.id())
            .await
            .expect("read")
            .map(|c| c.details().name.as_str().to_owned()),
        Some("Nytt Navn".to_owned())
    );
}
