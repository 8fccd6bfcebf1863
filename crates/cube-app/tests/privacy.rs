//! A person's rights through the use cases (issue 16, seed 002): everything a data owner
//! holds on a person is gathered across its assignments — the customer records a key finds,
//! their card changes, enrollments and outcome history with names, meetings, messages, SMS
//! flows and the texts that answered them —; erasure takes all of it out in one unit of work
//! while the reports add up as before, and a person who asked not to be called stays barred
//! by a salted hash when imported again; each request is recorded in the data owner's
//! privacy log without personal data; a refused request records nothing.

mod common;

use common::Harness;
use cube_app::AppError;
use cube_app::customers::CustomerInput;
use cube_app::privacy::PersonQuery;
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::ports::Store;
use cube_domain::privacy::{ErasureError, KeyKind, PersonKeyError, PersonalRight};
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
    let calls = read.calls_of(first.id()).await.expect("read");
    assert_eq!(calls.len(), 1, "the fixture called the first customer");
    assert_eq!(
        record
            .calls
            .iter()
            .map(|r| r.call.clone())
            .collect::<Vec<_>>(),
        calls,
        "the calls to them, whole"
    );
    assert_eq!(record.calls[0].seller, world.sellers[0].name.to_string());

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

/// The assignment's activity, outcome, sales and customer-status reports, as text.
async fn reports(
    cube: &cube_app::Cube,
    world: &World,
    window: cube_app::reports::Window,
) -> [String; 4] {
    let a = world.assignment.id();
    let admin = &world.admin;
    [
        format!("{:?}", cube.activity_report(admin, a, window).await),
        format!("{:?}", cube.outcome_report(admin, a, window).await),
        format!("{:?}", cube.sales_report(admin, a, window).await),
        format!("{:?}", cube.customer_status_report(admin, a).await),
    ]
}

#[tokio::test]
async fn an_erased_person_is_gone_from_every_record_and_the_reports_add_up_as_before() {
    let (cube, store, world) = full().await;
    let owner = world.data_owner.id();
    let first = &world.enrollments[0];
    let customer = world
        .customers
        .iter()
        .find(|c| c.id() == first.customer())
        .expect("the first enrollment's customer")
        .clone();
    let phone = customer.details().phones[0].to_string();
    // They asked not to be called.
    cube.set_do_not_call(&world.manager, customer.id(), Some("asked on the phone"))
        .await
        .expect("listed");
    let window = cube_app::reports::Window {
        from: T0 - time::Duration::days(1),
        to: T0 + time::Duration::days(2),
    };
    let a = world.assignment.id();
    let before = reports(&cube, &world, window).await;

    let erased = cube
        .erase_person(&world.manager, owner, &by_phone(&phone))
        .await
        .expect("erased");
    assert_eq!(erased.customers, vec![customer.id()]);
    assert!(erased.events > 0 && erased.messages == 3 && erased.meetings == 1);
    assert_eq!(erased.listed, customer.details().phones.len());
    assert_eq!(
        reports(&cube, &world, window).await,
        before,
        "the reports add up as before"
    );

    // Nothing of the person is left to find or hand out.
    let again = cube
        .personal_data(&world.manager, owner, &by_phone(&phone))
        .await
        .expect("gathered");
    assert!(again.customers.is_empty(), "not found by their number");
    let mut read = store.begin_read().await.expect("begin");
    let kept = read
        .customer(customer.id())
        .await
        .expect("read")
        .expect("the record stays for the reports");
    assert_eq!(
        kept,
        customer.erased(T0),
        "kept erased, on the do-not-call list since T0"
    );
    for enrollment in read
        .enrollments_of_customer(customer.id())
        .await
        .expect("read")
    {
        for event in read.events_of(enrollment.id()).await.expect("read") {
            assert!(event.note().is_none() && event.fields().is_empty());
        }
        // The calls stay for the reports, without the number or the PBX's id.
        for call in read.calls_of(enrollment.id()).await.expect("read") {
            assert_eq!((call.to, call.provider_id), (None, None), "erased");
        }
    }
    assert_eq!(
        read.calls_of(first.id()).await.expect("read").len(),
        1,
        "the call is kept"
    );
    assert_eq!(
        read.call_by_provider_id("CA-full-1").await.expect("read"),
        None
    );
    let messages = read.messages_of(&[first.id()]).await.expect("read");
    assert!(
        messages
            .iter()
            .all(|m| !format!("{:?}", m.message.payload).contains("+47"))
    );
    assert!(
        messages
            .iter()
            .all(|m| !matches!(m.state, cube_domain::ports::DeliveryState::Pending { .. })),
        "a pending message to them is never sent"
    );
    assert!(
        read.sms_flows_of(&[first.id()])
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        read.customer_changes(customer.id())
            .await
            .expect("read")
            .is_empty()
    );
    let log = read.privacy_log(owner).await.expect("read");
    // The erasure, then the access that found nobody.
    assert_eq!(log.len(), 3, "the fixture's entry, the erasure, the access");
    let entry = &log[1];
    assert_eq!(
        (
            entry.id,
            entry.right,
            entry.found_by,
            entry.customers.clone()
        ),
        (
            erased.request,
            PersonalRight::Erasure,
            KeyKind::Phone,
            vec![customer.id()]
        )
    );
    assert!(!format!("{entry:?}").contains(&phone));
    drop(read);

    // Erasing again finds nobody: refused, and nothing is recorded.
    let refused = cube
        .erase_person(&world.manager, owner, &by_phone(&phone))
        .await
        .expect_err("nobody left");
    assert_eq!(
        refused,
        AppError::Erasure(ErasureError::NoSuchPerson(KeyKind::Phone))
    );
    assert!(
        refused.to_string().contains("nothing was erased"),
        "{refused}"
    );
    assert_eq!(
        cube.privacy_log(&world.manager, owner)
            .await
            .expect("log")
            .len(),
        log.len()
    );

    // Their number comes back in a list: barred by the do-not-contact list.
    let report = cube
        .import_customers(
            &world.manager,
            cube_app::customers::ImportCommand {
                assignment: a,
                dataset: Dataset::B2b,
                segment: None,
                rows: vec![
                    CustomerInput {
                        name: "Kari igjen".into(),
                        phones: vec![phone.clone()],
                        ..CustomerInput::default()
                    },
                    CustomerInput {
                        name: "Noen andre".into(),
                        phones: vec!["+4741999998".into()],
                        ..CustomerInput::default()
                    },
                ],
                on_match: Default::default(),
                match_by: cube_domain::import_match::MatchKeys::ALL,
                row_numbers: Vec::new(),
            },
        )
        .await
        .expect("imported");
    let mut read = store.begin_read().await.expect("begin");
    let ids: Vec<_> = report.rows.iter().map(|r| r.customer).collect();
    assert_eq!(ids.len(), 2);
    let mut reasons = Vec::new();
    for id in ids {
        let back = read.customer(id).await.expect("read").expect("imported");
        reasons.push(
            back.contact()
                .do_not_call
                .as_ref()
                .map(|d| d.reason.clone()),
        );
    }
    assert_eq!(
        reasons,
        vec![Some(cube_domain::privacy::LISTED_REASON.to_owned()), None],
        "the listed number is barred, another is not"
    );
    drop(read);
    // And added by hand, the same.
    let added = cube
        .add_customer(
            &world.admin,
            owner,
            Dataset::B2b,
            CustomerInput {
                name: "Kari AS".into(),
                phones: vec!["+4798765432".into()],
                ..CustomerInput::default()
            },
        )
        .await
        .expect("added");
    assert!(
        added.contact().do_not_call.is_some(),
        "the fixture's listed number is barred when added"
    );
}

#[tokio::test]
async fn an_erasure_is_refused_whole_for_a_bad_key_a_seller_or_another_organisation() {
    let h = Harness::new(3).await;
    let owner = h.world.data_owner.id();
    let phone = h.world.customers[0].details().phones[0].to_string();
    for (who, query) in [
        (h.world.manager.clone(), PersonQuery::default()),
        (h.world.sellers[0].clone(), by_phone(&phone)),
        (h.other_admin().await, by_phone(&phone)),
    ] {
        assert!(h.cube.erase_person(&who, owner, &query).await.is_err());
    }
    let mut read = h.store.begin_read().await.expect("begin");
    assert_eq!(
        read.customer(h.world.customers[0].id())
            .await
            .expect("read")
            .as_ref(),
        Some(&h.world.customers[0]),
        "nothing was erased"
    );
    assert!(read.privacy_log(owner).await.expect("read").is_empty());
}

/// An erasure ends a seller's hold on the customer, the erased card is nobody's (an edit from
/// a screen still open is refused, so the person is not typed back in), and a number on the
/// do-not-contact list put on another customer's card bars that customer, as an import does.
#[tokio::test]
async fn an_erased_card_is_nobodys_and_a_listed_number_bars_an_edited_card() {
    let (cube, store, world) = full().await;
    let owner = world.data_owner.id();
    let seller = &world.sellers[0];
    // The seller holds a customer (the first one the seller may take).
    let mut held = None;
    for enrollment in &world.enrollments {
        if let Ok(work) = cube.take_customer(seller, enrollment.id()).await {
            held = Some(work);
            break;
        }
    }
    let work = held.expect("the seller takes someone");
    let customer = work.customer.clone();
    let phone = customer.details().phones[0].to_string();
    cube.set_do_not_call(&world.manager, customer.id(), Some("asked on the phone"))
        .await
        .expect("listed");
    cube.erase_person(&world.manager, owner, &by_phone(&phone))
        .await
        .expect("erased");

    let mut read = store.begin_read().await.expect("begin");
    let after = read
        .enrollment(work.enrollment.id())
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(after.reservation(), None, "the seller's hold ended");
    drop(read);
    let person = CustomerInput {
        name: "Kari Nordmann".into(),
        phones: vec![phone.clone()],
        email: Some("kari@example.com".into()),
        ..CustomerInput::default()
    };
    assert!(
        cube.edit_customer_card(seller, work.enrollment.id(), person.clone())
            .await
            .is_err(),
        "the seller no longer has the card"
    );
    assert_eq!(
        cube.edit_customer_card(&world.manager, work.enrollment.id(), person.clone())
            .await
            .expect_err("erased"),
        AppError::Erasure(ErasureError::Erased)
    );
    let refused = cube
        .update_customer(&world.manager, customer.id(), person)
        .await
        .expect_err("erased");
    assert_eq!(refused, AppError::Erasure(ErasureError::Erased));
    assert_eq!(refused.kind(), cube_app::ErrorKind::Conflict);
    let outcome = cube
        .register_outcome(
            seller,
            work.enrollment.id(),
            cube_domain::outcome::RegisterOutcome::new(
                cube_domain::flow::seeds::SalesFlow::O_NO_ANSWER,
            ),
            None,
        )
        .await;
    assert!(
        outcome.is_err(),
        "nothing is registered from the open screen"
    );

    // The listed number typed onto another customer's card bars that customer.
    let other = world
        .customers
        .iter()
        .find(|c| c.id() != customer.id() && c.contact().do_not_call.is_none())
        .expect("another customer");
    let mut phones: Vec<String> = other
        .details()
        .phones
        .iter()
        .map(ToString::to_string)
        .collect();
    phones.push(phone);
    let edited = cube
        .update_customer(
            &world.manager,
            other.id(),
            CustomerInput {
                name: other.details().name.to_string(),
                phones,
                ..CustomerInput::default()
            },
        )
        .await
        .expect("edited");
    assert_eq!(
        edited
            .contact()
            .do_not_call
            .as_ref()
            .map(|d| d.reason.as_str()),
        Some(cube_domain::privacy::LISTED_REASON),
        "barred by the do-not-contact list"
    );
}
