//! A person's rights through the use cases (issue 16, seed 002): everything a data owner
//! holds on a person is gathered across its assignments — the customer records a key finds,
//! their card changes, enrollments and outcome history with names, meetings, messages, SMS
//! flows and the texts that answered them — and each request is recorded in the data
//! owner's privacy log without personal data; a refused request records nothing.

mod common;

use common::Harness;
use cube_app::AppError;
use cube_app::customers::CustomerInput;
use cube_app::privacy::PersonQuery;
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::ports::Store;
use cube_domain::privacy::{KeyKind, PersonKeyError, PersonalRight};
use cube_testkit::fixtures::{T0, World, full_store};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use std::sync::Arc;

fn by_phone(phone: &str) -> PersonQuery {
    PersonQuery {
        phone: Some(phone.to_owned()),
        ..PersonQuery::default()
    }
}

/// The fixture holding some of every record (meetings, messages, an SMS flow answered, card
/// changes, calls), with the use cases over it.
async fn full() -> (cube_app::Cube, Arc<dyn Store>, World) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = full_store(store.as_ref(), clock.as_ref(), ids.as_ref())
        .await
        .expect("the full store builds");
    (cube_app::Cube::new(store.clone(), clock, ids), store, world)
}

#[tokio::test]
async fn everything_held_on_a_person_is_gathered_across_the_data_owner_and_logged() {
    let (cube, store, world) = full().await;
    let owner = world.data_owner.id();
    let first = &world.enrollments[0];
    let customer: &Customer = world
        .customers
        .iter()
        .find(|c| c.id() == first.customer())
        .expect("the first enrollment's customer");
    let external = customer
        .details()
        .external_id
        .clone()
        .expect("the world's customers have external ids");
    let query = PersonQuery {
        external_id: Some(external.clone()),
        ..PersonQuery::default()
    };
    let data = cube
        .personal_data(&world.manager, owner, &query)
        .await
        .expect("gathered");
    assert_eq!(data.found_by, KeyKind::ExternalId);
    assert_eq!(data.data_owner, owner);
    assert_eq!(data.customers.len(), 1, "one customer has the external id");
    let record = &data.customers[0];
    assert_eq!(&record.customer, customer);

    // Everything the store holds on the customer, read through the ports directly.
    let mut read = store.begin_read().await.expect("begin");
    let enrollments = read
        .enrollments_of_customer(customer.id())
        .await
        .expect("read");
    assert_eq!(
        record
            .enrollments
            .iter()
            .map(|e| e.enrollment.clone())
            .collect::<Vec<_>>(),
        enrollments
    );
    let mut events = Vec::new();
    for enrollment in &enrollments {
        events.extend(read.events_of(enrollment.id()).await.expect("read"));
    }
    assert!(!events.is_empty(), "the fixture called the first customer");
    let gathered: Vec<_> = record
        .enrollments
        .iter()
        .flat_map(|e| e.events.iter().map(|r| r.event.clone()))
        .collect();
    assert_eq!(gathered, events, "the whole outcome history");
    let names = &record.enrollments[0];
    assert_eq!(names.assignment, world.assignment.name().to_string());
    let sales_flow = [
        "No answer",
        "Call back later",
        "Lead",
        "Offer",
        "Sale to followup",
        "Sale",
        "No sale",
        "Excluded",
    ];
    assert!(
        names
            .events
            .iter()
            .all(|r| sales_flow.contains(&r.outcome.as_str()) && !r.state.is_empty()),
        "outcomes and states by name: {:?}",
        names.events
    );
    assert_eq!(
        record.changes,
        read.customer_changes(customer.id()).await.expect("read")
    );
    assert_eq!(record.meetings.len(), 1, "the meeting booked with them");
    assert!(record.meetings.iter().all(|m| m.customer == customer.id()));
    assert_eq!(
        record.messages.len(),
        3,
        "the three messages of their enrollment, whatever became of them"
    );
    assert!(
        record
            .messages
            .iter()
            .all(|m| m.message.enrollment == Some(first.id()))
    );
    assert_eq!(record.sms_flows.len(), 1);
    assert_eq!(
        record.sms_replies.len(),
        1,
        "their answer, not a stranger's text"
    );

    // The log: the fixture's entry, then this one — no personal data in it.
    let log = read.privacy_log(owner).await.expect("read");
    assert_eq!(log.len(), 2);
    let entry = log.last().expect("an entry");
    assert_eq!(entry.id, data.request);
    assert_eq!(entry.user, world.manager.id);
    assert_eq!(entry.at, T0);
    assert_eq!(entry.right, PersonalRight::Access);
    assert_eq!(entry.found_by, KeyKind::ExternalId);
    assert_eq!(entry.customers, vec![customer.id()]);
    let logged = format!("{entry:?}");
    for personal in [
        external.as_str(),
        customer.details().name.as_str(),
        customer.details().phones[0].as_str(),
    ] {
        assert!(
            !logged.contains(personal),
            "{personal} in the log: {logged}"
        );
    }
}

#[tokio::test]
async fn a_person_is_every_customer_with_the_key_in_the_data_owner_asked_only() {
    let h = Harness::new(3).await;
    let owner = h.world.data_owner.id();
    let kari = h
        .cube
        .add_customer(
            &h.world.admin,
            owner,
            Dataset::B2c,
            CustomerInput {
                name: "Kari Nordmann".into(),
                phones: vec!["+4741000001".into()],
                email: Some("Kari.N@example.no".into()),
                ..CustomerInput::default()
            },
        )
        .await
        .expect("added");
    // The same person again, imported from another list: the e-mail address only.
    let again = h
        .cube
        .add_customer(
            &h.world.admin,
            owner,
            Dataset::B2c,
            CustomerInput {
                name: "K. Nordmann".into(),
                email: Some("kari.n@EXAMPLE.no".into()),
                ..CustomerInput::default()
            },
        )
        .await
        .expect("added");
    let by_email = h
        .cube
        .personal_data(
            &h.world.manager,
            owner,
            &PersonQuery {
                email: Some("KARI.N@example.no".into()),
                ..PersonQuery::default()
            },
        )
        .await
        .expect("gathered");
    let found: Vec<_> = by_email.customers.iter().map(|r| r.customer.id()).collect();
    assert_eq!(found, vec![kari.id(), again.id()], "oldest first");
    assert!(by_email.customers.iter().all(|r| r.enrollments.is_empty()));

    // A national number is read in the data owner's region.
    let national = h
        .cube
        .personal_data(&h.world.admin, owner, &by_phone("41 00 00 01"))
        .await
        .expect("gathered");
    assert_eq!(national.found_by, KeyKind::Phone);
    assert_eq!(national.customers.len(), 1);

    // Nothing held: an empty export, recorded too.
    let nobody = h
        .cube
        .personal_data(&h.world.manager, owner, &by_phone("+4741999999"))
        .await
        .expect("gathered");
    assert!(nobody.customers.is_empty());

    // Refused: no key, two keys, a malformed one, a seller, another organisation.
    let refused = [
        h.cube
            .personal_data(&h.world.manager, owner, &PersonQuery::default())
            .await,
        h.cube
            .personal_data(
                &h.world.manager,
                owner,
                &PersonQuery {
                    phone: Some("+4741000001".into()),
                    external_id: Some("x".into()),
                    ..PersonQuery::default()
                },
            )
            .await,
        h.cube
            .personal_data(&h.world.manager, owner, &by_phone("not a number"))
            .await,
        h.cube
            .personal_data(&h.world.sellers[0], owner, &by_phone("+4741000001"))
            .await,
        h.cube
            .personal_data(&h.other_admin().await, owner, &by_phone("+4741000001"))
            .await,
    ];
    let refused: Vec<AppError> = refused
        .into_iter()
        .map(|r| r.expect_err("refused"))
        .collect();
    assert!(matches!(
        refused[0],
        AppError::PersonKey(PersonKeyError::NoKey)
    ));
    assert!(matches!(
        refused[1],
        AppError::PersonKey(PersonKeyError::SeveralKeys(2))
    ));
    assert!(
        matches!(&refused[2], AppError::PersonKey(PersonKeyError::Input(i)) if i.field == "phone"),
        "{:?}",
        refused[2]
    );
    assert_eq!(refused[3], AppError::Forbidden);
    assert_eq!(refused[4], AppError::NotFound("data owner"));

    let log = h
        .cube
        .privacy_log(&h.world.manager, owner)
        .await
        .expect("the log");
    let kinds: Vec<_> = log
        .iter()
        .map(|e| (e.found_by, e.customers.len()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (KeyKind::Email, 2),
            (KeyKind::Phone, 1),
            (KeyKind::Phone, 0)
        ],
        "each export recorded, the refusals not"
    );
    assert_eq!(
        h.cube
            .privacy_log(&h.world.sellers[0], owner)
            .await
            .expect_err("a seller may not read it"),
        AppError::Forbidden
    );
}
