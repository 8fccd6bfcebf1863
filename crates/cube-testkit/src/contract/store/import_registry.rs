//! Contract cases for the organisation number as an import key (issue 16: "duplicates merged
//! or skipped by external id, organisation number or phone, as chosen") and for the
//! dataset a matched customer is in: who holds a company row's number (`import_row_keys`,
//! compared by `Customer::registry_key`, however the number was written when stored), a
//! re-import by organisation number updating its company, the keys chosen
//! (`ImportBatch::match_by`), and rows refused rather than re-keying a company or moving a
//! consumer into the companies.

use super::import_matching::{batch, holder};
use super::units::{row, row_customer};
use crate::contract::{Setup, SharedStore, setup};
use crate::fixtures::name;
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::data_owner::Dataset;
use cube_domain::ids::CustomerId;
use cube_domain::import_match::{IdentityConflict, MatchKey, MatchKeys, RowKey, RowKeys};
use cube_domain::ports::{CustomerKey, IdGenerator, ImportedRow, OnMatch, RefusedRow, RowCustomer};
use cube_domain::values::PhoneNumber;

/// A customer of `dataset` with this external id, organisation (or person) number and phone.
fn customer(
    s: &Setup,
    dataset: Dataset,
    external: Option<&str>,
    number: Option<&str>,
    phone: &str,
) -> Customer {
    let details = CustomerDetails {
        name: name("Firma AS"),
        phones: vec![PhoneNumber::parse(phone).expect("valid")],
        email: None,
        address: None,
        registry_number: number.map(str::to_owned),
        external_id: external.map(str::to_owned),
    };
    Customer::new(
        CustomerId::from_uuid(s.ids.next_id()),
        &s.world.data_owner,
        dataset,
        details,
        cube_domain::fields::FieldValues::new(),
    )
    .expect("valid")
}

/// Brønnøysundregistrene's own organisation number, and Equinor's.
const BRREG: &str = "974760673";
const EQUINOR: &str = "923609016";

/// `import_row_keys` finds, for a company row, the oldest company whose organisation number
/// has the row's key — also one stored as `NO 923 609 016 MVA` —; a consumer's person
/// number is no key (neither the row's nor the stored customer's), and another data owner's
/// companies are not seen.
pub async fn import_row_keys_finds_companies_by_organisation_number(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let w = &s.world;
    let brreg = customer(&s, Dataset::B2b, Some("O1"), Some(BRREG), "+4795000001");
    let later = customer(&s, Dataset::B2b, None, Some(BRREG), "+4795000002");
    let written = customer(
        &s,
        Dataset::B2b,
        None,
        Some("NO 923 609 016 MVA"),
        "+4795000003",
    );
    let person = customer(&s, Dataset::B2c, None, Some("01017012345"), "+4795000004");
    let mut uow = store.begin().await.expect("begin");
    for c in [&brreg, &later, &written, &person] {
        uow.save_customer(c).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let rows = [
        customer(
            &s,
            Dataset::B2b,
            None,
            Some("NO974760673MVA"),
            "+4795000009",
        ),
        customer(&s, Dataset::B2b, None, Some(EQUINOR), "+4795000009"),
        customer(&s, Dataset::B2b, None, Some("01017012345"), "+4795000009"),
        customer(&s, Dataset::B2c, None, Some(BRREG), "+4795000009"),
    ];
    let refs: Vec<&Customer> = rows.iter().collect();
    let mut uow = store.begin_read().await.expect("begin");
    let keys = uow
        .import_row_keys(w.data_owner.id(), &refs)
        .await
        .expect("read");
    let by_number = |c: &Customer| RowKeys {
        by_registry_number: Some(holder(c)),
        ..RowKeys::default()
    };
    assert_eq!(
        keys,
        vec![
            by_number(&brreg),
            by_number(&written),
            RowKeys::default(),
            RowKeys::default(),
        ],
        "the oldest company with the key; a person number is no import key"
    );
    let elsewhere = uow
        .import_row_keys(
            cube_domain::ids::DataOwnerId::from_uuid(s.ids.next_id()),
            &refs,
        )
        .await
        .expect("read");
    assert_eq!(elsewhere, vec![RowKeys::default(); 4]);
}

/// `find_customer` by an organisation number's key (`CustomerKey::Registry`: what a company
/// typed in by hand is checked against, as an import would match it) finds the oldest
/// company whose number has that key however it was written, leaves out `except` (the
/// company being edited), never a consumer with that person number, and never another data
/// owner's company; a save that changes the number moves it in the lookup.
pub async fn find_customer_finds_a_company_by_its_organisation_number(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let owner = &s.world.data_owner;
    let person = customer(&s, Dataset::B2c, None, Some(BRREG), "+4795000011");
    let written = customer(
        &s,
        Dataset::B2b,
        None,
        Some("NO 974 760 673 MVA"),
        "+4795000012",
    );
    let later = customer(&s, Dataset::B2b, None, Some(BRREG), "+4795000013");
    let mut uow = store.begin().await.expect("begin");
    for c in [&person, &written, &later] {
        uow.save_customer(c).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let key = CustomerKey::Registry(BRREG.to_owned());
    let found = |c: Option<Customer>| c.map(|c| c.id());
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &key, None)
                .await
                .expect("find")
        ),
        Some(written.id()),
        "the oldest company with the key, however its number is written; a person number \
         is no company key"
    );
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &key, Some(written.id()))
                .await
                .expect("find")
        ),
        Some(later.id()),
        "find_customer MUST leave out `except` and find the next holder"
    );
    let elsewhere = cube_domain::ids::DataOwnerId::from_uuid(s.ids.next_id());
    assert_eq!(
        found(
            uow.find_customer(elsewhere, &key, None)
                .await
                .expect("find")
        ),
        None,
        "find_customer MUST look in the given data owner only"
    );
    // The older company takes another number: the lookup follows the save.
    let mut renumbered = written.clone();
    let details = CustomerDetails {
        registry_number: Some(EQUINOR.to_owned()),
        ..renumbered.details().clone()
    };
    renumbered
        .update(owner, details, renumbered.fields().clone())
        .expect("a valid update");
    uow.save_customer(&renumbered).await.expect("save");
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &key, None)
                .await
                .expect("find")
        ),
        Some(later.id()),
        "an update that changes the number MUST move it in the lookup"
    );
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &CustomerKey::Registry(EQUINOR.to_owned()), None)
                .await
                .expect("find")
        ),
        Some(written.id())
    );
}

/// A company row without an external id, with a new phone, updates the company with its
/// organisation number (not a duplicate); a row with a new external id and that number is
/// refused (it would re-key the company); and with the organisation number left out of the
/// keys to match by, a row with it and a new phone is refused rather than create a second
/// company with the number. Refused rows write nothing.
pub async fn import_batch_matches_by_organisation_number_as_chosen(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let brreg = customer(&s, Dataset::B2b, Some("O1"), Some(BRREG), "+4796000001");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&brreg).await.expect("save");
    uow.commit().await.expect("commit");

    let again = customer(
        &s,
        Dataset::B2b,
        None,
        Some("NO 974 760 673 MVA"),
        "+4796000002",
    );
    let new_id = customer(&s, Dataset::B2b, Some("O9"), Some(BRREG), "+4796000003");
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(
            &s,
            OnMatch::Update,
            vec![row(&s, again), row(&s, new_id)],
        ))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        (counts.created, counts.updated, counts.rows[0]),
        (
            0,
            1,
            ImportedRow {
                customer: brreg.id(),
                outcome: RowCustomer::Updated,
                enrolled: true,
            }
        ),
        "matched by its organisation number, the company is updated"
    );
    assert_eq!(
        counts.refused,
        vec![RefusedRow {
            index: 1,
            conflict: IdentityConflict::RegistryNumberOfOtherExternalId {
                registry_number: BRREG.into(),
                holder: brreg.id(),
                holder_external_id: "O1".into(),
                row_external_id: "O9".into(),
            },
        }]
    );
    let mut read = store.begin_read().await.expect("read");
    let stored = read
        .customer(brreg.id())
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        stored.details().external_id.as_deref(),
        Some("O1"),
        "a refused row never re-keys the company"
    );
    assert_eq!(
        stored
            .details()
            .phones
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
        vec!["+4796000002"],
        "the matching row's phone"
    );
    drop(read);

    // Matched by external id and phone only: the number alone does not match.
    let only = MatchKeys::of([MatchKey::ExternalId, MatchKey::Phone]).expect("keys");
    let by_number = customer(&s, Dataset::B2b, None, Some(BRREG), "+4796000004");
    let by_phone = customer(&s, Dataset::B2b, None, None, "+4796000002");
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&cube_domain::ports::ImportBatch {
            match_by: only,
            ..batch(
                &s,
                OnMatch::Update,
                vec![row(&s, by_number), row(&s, by_phone)],
            )
        })
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        counts.refused,
        vec![RefusedRow {
            index: 0,
            conflict: IdentityConflict::NotMatchedBy {
                key: RowKey {
                    key: MatchKey::RegistryNumber,
                    value: BRREG.into(),
                },
                holder: holder(&stored),
            },
        }]
    );
    assert_eq!(
        (counts.created, counts.matched),
        (0, 1),
        "the phone still matches"
    );
}

/// A company row with the external id (or the phone) of a consumer is refused, updating or
/// skipping, and the consumer stays a consumer; so is a consumer row matching a company.
pub async fn import_batch_refuses_a_row_of_the_other_dataset(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let consumer = customer(&s, Dataset::B2c, Some("K1"), None, "+4797000001");
    let company = row_customer(&s, Some("F1"), "+4797000002");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&consumer).await.expect("save");
    uow.save_customer(&company).await.expect("save");
    uow.commit().await.expect("commit");

    for on_match in [OnMatch::Update, OnMatch::Skip] {
        let as_company = customer(&s, Dataset::B2b, Some("K1"), Some(BRREG), "+4797000001");
        let as_consumer = customer(&s, Dataset::B2c, None, None, "+4797000002");
        let mut uow = store.begin().await.expect("begin");
        let counts = uow
            .import_batch(&batch(
                &s,
                on_match,
                vec![row(&s, as_company), row(&s, as_consumer)],
            ))
            .await
            .expect("import");
        uow.commit().await.expect("commit");
        assert_eq!(
            counts.refused,
            vec![
                RefusedRow {
                    index: 0,
                    conflict: IdentityConflict::OtherDataset {
                        key: RowKey {
                            key: MatchKey::ExternalId,
                            value: "K1".into(),
                        },
                        holder: holder(&consumer),
                        row_dataset: Dataset::B2b,
                    },
                },
                RefusedRow {
                    index: 1,
                    conflict: IdentityConflict::OtherDataset {
                        key: RowKey {
                            key: MatchKey::Phone,
                            value: "+4797000002".into(),
                        },
                        holder: holder(&company),
                        row_dataset: Dataset::B2c,
                    },
                },
            ],
            "{on_match:?}"
        );
        assert_eq!(counts.enrolled, 0, "a refused row enrolls nobody");
    }
    let mut read = store.begin_read().await.expect("read");
    assert_eq!(
        read.customer(consumer.id()).await.expect("read"),
        Some(consumer)
    );
    assert_eq!(
        read.customer(company.id()).await.expect("read"),
        Some(company)
    );
}
