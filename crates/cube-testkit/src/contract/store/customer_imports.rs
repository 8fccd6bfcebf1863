//! What undoing an import reads and writes (`cube_domain::customer_import`): an import's
//! record with the customers and enrollments it created, added to chunk by chunk, listed per
//! data owner newest first and paged whole for a copy, marked undone once; and a customer
//! removed after its enrollments, the report counters following exactly as the domain's
//! tallies over what is left.

use super::duplicate;
use crate::contract::reports::{current_tallies_hold, take};
use crate::contract::{SharedStore, at, setup};
use crate::fixtures::{SalesFlow, register_outcome};
use cube_domain::customer::{Change, CustomerChange};
use cube_domain::customer_import::{CustomerImport, ImportUndone};
use cube_domain::fields::FieldValues;
use cube_domain::ids::{AssignmentId, CustomerId, DataOwnerId, EnrollmentId, ImportId};
use cube_domain::outcome::{RegisterOutcome, Registrar};
use cube_domain::ports::{CustomerKey, IdGenerator, RecordKind, StoreError, UniqueRule};
use std::collections::HashMap;

fn import(
    ids: &dyn IdGenerator,
    owner: DataOwnerId,
    minutes: i64,
    customers: Vec<CustomerId>,
    enrollments: Vec<EnrollmentId>,
) -> CustomerImport {
    let mut import = CustomerImport::new(
        ImportId::from_uuid(ids.next_id()),
        owner,
        AssignmentId::from_uuid(ids.next_id()),
        cube_domain::ids::UserId::from_uuid(ids.next_id()),
        at(minutes),
    );
    import.customers = customers;
    import.enrollments = enrollments;
    import
}

/// An import is recorded with its lists (read back by id, ascending), later chunks add to
/// them, a taken id is `Duplicate`, adding to or undoing no import is `Conflict`, an import is
/// marked undone once; the data owner's imports are listed newest first, every import is
/// paged in the order recorded, and a dropped unit records nothing.
pub async fn customer_imports_are_recorded_listed_and_undone_once(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let owner = s.world.data_owner.id();
    let other = DataOwnerId::from_uuid(s.ids.next_id());
    let c: Vec<CustomerId> = (0..4)
        .map(|_| CustomerId::from_uuid(s.ids.next_id()))
        .collect();
    let e: Vec<EnrollmentId> = (0..4)
        .map(|_| EnrollmentId::from_uuid(s.ids.next_id()))
        .collect();
    // Given out of order: read back by id.
    let first = import(&s.ids, owner, 10, vec![c[1], c[0]], vec![e[1], e[0]]);
    let elsewhere = import(&s.ids, other, 15, Vec::new(), Vec::new());
    let later = import(&s.ids, owner, 20, Vec::new(), vec![e[3]]);
    let mut uow = store.begin().await.expect("begin");
    for i in [&first, &elsewhere, &later] {
        uow.record_import(i).await.expect("record");
    }
    uow.add_to_import(first.id, &[c[2]], &[e[2]])
        .await
        .expect("add");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.record_import(&first).await,
        UniqueRule::Id(RecordKind::CustomerImport),
        "an import with a taken id",
    );
    drop(uow);
    let unknown = ImportId::from_uuid(s.ids.next_id());
    let mut uow = store.begin().await.expect("begin");
    assert!(
        matches!(
            uow.add_to_import(unknown, &[c[3]], &[]).await,
            Err(StoreError::Conflict(_))
        ),
        "add_to_import of no import MUST be Conflict"
    );
    drop(uow);
    let undone = ImportUndone {
        at: at(60),
        by: s.world.manager.id,
    };
    let mut uow = store.begin().await.expect("begin");
    assert!(
        matches!(
            uow.mark_import_undone(unknown, undone).await,
            Err(StoreError::Conflict(_))
        ),
        "mark_import_undone of no import MUST be Conflict"
    );
    drop(uow);
    // A dropped unit records nothing.
    let mut uow = store.begin().await.expect("begin");
    uow.record_import(&import(&s.ids, owner, 30, vec![c[3]], Vec::new()))
        .await
        .expect("record");
    uow.add_to_import(later.id, &[c[3]], &[])
        .await
        .expect("add");
    uow.mark_import_undone(later.id, undone)
        .await
        .expect("undo");
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    uow.mark_import_undone(first.id, undone)
        .await
        .expect("undo");
    assert!(
        matches!(
            uow.mark_import_undone(first.id, undone).await,
            Err(StoreError::Conflict(_))
        ),
        "undoing an import undone already MUST be Conflict"
    );
    uow.commit().await.expect("commit");

    // A chunk of an import undone while its job ran is refused, so nothing it writes
    // escapes the undo (found from outside: the job went on writing after the undo).
    let mut uow = store.begin().await.expect("begin");
    assert!(
        matches!(
            uow.add_to_import(first.id, &[c[3]], &[]).await,
            Err(StoreError::Conflict(_))
        ),
        "add_to_import of an undone import MUST be Conflict"
    );
    drop(uow);

    let mut expected_first = first.clone();
    expected_first.customers = sorted(vec![c[0], c[1], c[2]]);
    expected_first.enrollments = sorted(vec![e[0], e[1], e[2]]);
    expected_first.undone = Some(undone);
    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.customer_import(first.id).await.expect("read"),
        Some(expected_first.clone()),
        "customer_import MUST give the record with every chunk's ids, by id, and its undo"
    );
    assert_eq!(read.customer_import(unknown).await.expect("read"), None);
    assert_eq!(
        read.customer_imports(owner).await.expect("read"),
        vec![later.clone(), expected_first.clone()],
        "customer_imports MUST give the data owner's imports newest first"
    );
    assert_eq!(
        read.customer_imports(other).await.expect("read"),
        vec![elsewhere.clone()]
    );
    assert_eq!(
        read.customer_imports_after(None, 2).await.expect("read"),
        vec![expected_first.clone(), elsewhere.clone()],
        "customer_imports_after MUST page every import in the order recorded"
    );
    assert_eq!(
        read.customer_imports_after(Some(elsewhere.id), 2)
            .await
            .expect("read"),
        vec![later.clone()]
    );
    assert_eq!(
        read.customer_imports_after(Some(unknown), 2)
            .await
            .expect("read"),
        Vec::<CustomerImport>::new(),
        "an unknown `after` gives no rows"
    );
}

fn sorted<T: Ord>(mut ids: Vec<T>) -> Vec<T> {
    ids.sort_unstable();
    ids
}

/// A customer is removed only after its enrollments (`Conflict` while enrolled, and for no
/// customer); with it go its card changes and its lookup keys; the status and hit counters
/// equal the domain's tallies over what is left, and everyone else stays.
pub async fn a_customer_is_removed_after_its_enrollments_and_the_tallies_follow(
    store: SharedStore,
) {
    let s = setup(store.as_ref(), 4).await;
    let w = &s.world;
    let a = w.assignment.id();
    let fields: HashMap<CustomerId, FieldValues> = w
        .customers
        .iter()
        .map(|c| (c.id(), c.fields().clone()))
        .collect();
    // Customer 0 is worked (an Offer), customer 1 had a NoAnswer: the counters hold several
    // buckets before the removal.
    for (i, outcome) in [(0, SalesFlow::O_OFFER), (1, SalesFlow::O_NO_ANSWER)] {
        let seller = w.sellers[0].id;
        take(store.as_ref(), &w.enrollments[i], seller, at(10)).await;
        register_outcome(
            store.as_ref(),
            Registrar::Seller(seller),
            w.enrollments[i].id(),
            RegisterOutcome::new(outcome),
            at(10),
            &s.ids,
        )
        .await
        .expect("a valid registration");
    }
    let gone = &w.customers[2];
    let mut uow = store.begin().await.expect("begin");
    uow.record_customer_change(&CustomerChange {
        customer: gone.id(),
        user: w.manager.id,
        at: at(20),
        what: Change::DoNotCall { reason: None },
    })
    .await
    .expect("record");
    current_tallies_hold(uow.as_mut(), a, &fields, "before the removal").await;
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert!(
        matches!(
            uow.delete_customer(gone.id()).await,
            Err(StoreError::Conflict(_))
        ),
        "delete_customer of an enrolled customer MUST be Conflict"
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert!(
        matches!(
            uow.delete_customer(CustomerId::from_uuid(s.ids.next_id()))
                .await,
            Err(StoreError::Conflict(_))
        ),
        "delete_customer of no customer MUST be Conflict"
    );
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    uow.delete_enrollment(w.enrollments[2].id())
        .await
        .expect("delete");
    uow.delete_customer(gone.id()).await.expect("delete");
    current_tallies_hold(uow.as_mut(), a, &fields, "in the unit that removed it").await;
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let left = current_tallies_hold(uow.as_mut(), a, &fields, "after the removal").await;
    assert_eq!(left.len(), 3);
    assert_eq!(uow.customer(gone.id()).await.expect("read"), None);
    assert_eq!(
        uow.customer_changes(gone.id()).await.expect("read"),
        Vec::<CustomerChange>::new(),
        "a removed customer's card changes MUST go with it"
    );
    for phone in &gone.details().phones {
        assert_eq!(
            uow.find_customer(w.data_owner.id(), &CustomerKey::Phone(phone.clone()), None)
                .await
                .expect("read"),
            None,
            "a removed customer MUST NOT be found by its phone"
        );
    }
    let others = [0, 1, 3].map(|i| w.customers[i].id());
    assert_eq!(
        uow.customers_by_id(&others).await.expect("read").len(),
        3,
        "everyone else stays"
    );
    drop(uow);
    // Removed, the customer can come in again under the same id (an import after the undo
    // of a copy, say) and be enrolled: nothing of it was left behind.
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(gone).await.expect("save again");
    uow.insert_enrollment(&w.enrollments[2])
        .await
        .expect("enrol again");
    current_tallies_hold(uow.as_mut(), a, &fields, "after it came in again").await;
    uow.commit().await.expect("commit");
}
