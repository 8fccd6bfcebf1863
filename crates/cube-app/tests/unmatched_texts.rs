//! Texts no SMS flow matched, and a person's rights (issue 16; `cube_domain::sms`, "A text
//! no flow matched"): a person who texts the platform's number when no flow or sale
//! confirmation went to them is kept with no assignment. The text is the data of the data
//! owners whose assignments texted or called the number before it came — decided when it is
//! taken in — and of no one else: not of another organisation that types the number into a
//! card, not of a data owner that contacts the number only afterwards. A claimant's erasure
//! drops its own claim; the text goes with the last one. A text no one claims is deleted
//! after `UNMATCHED_TEXT_DAYS` days. The privacy log holds no personal data of it.

mod common;

use common::Harness;
use cube_app::customers::CustomerInput;
use cube_app::privacy::PersonQuery;
use cube_domain::data_owner::Dataset;
use cube_domain::ids::{DataOwnerId, OutboxMessageId};
use cube_domain::ports::{OutboxMessage, OutboxPayload, SmsMessage};
use cube_domain::sms::{InboundSms, ReplyFate, SmsReply, UNMATCHED_TEXT_DAYS};
use cube_domain::values::PhoneNumber;
use cube_testkit::SequentialIds;
use cube_testkit::fixtures::World;
use time::Duration;
use uuid::Uuid;

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse(raw).expect("a valid number")
}

fn text(id: &str, from: &str, body: &str) -> InboundSms {
    InboundSms::new(id, phone(from), body).expect("a valid text")
}

fn by_phone(phone: &str) -> PersonQuery {
    PersonQuery {
        phone: Some(phone.to_owned()),
        ..PersonQuery::default()
    }
}

/// The number of the world's first customer (the world numbers its customers' phones).
fn kari(h: &Harness) -> String {
    h.world.customers[0].details().phones[0].to_string()
}

/// `world`'s assignment texts `number` now (what a card's SMS or an outcome's message
/// leaves in the outbox).
async fn texts(h: &Harness, world: &World, number: &str) {
    let message = OutboxMessage {
        id: OutboxMessageId::from_uuid(Uuid::now_v7()),
        assignment: world.assignment.id(),
        enrollment: None,
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Cube".into(),
            to: phone(number),
            body: "Hei! Vi prøvde å nå deg.".into(),
        }),
        created_at: h.now(),
    };
    let mut uow = h.store.begin().await.expect("begin");
    uow.enqueue(&message).await.expect("queued");
    uow.commit().await.expect("committed");
}

async fn kept(h: &Harness, provider_id: &str) -> Option<SmsReply> {
    let mut read = h.store.begin_read().await.expect("read");
    read.sms_reply_by_provider_id(provider_id)
        .await
        .expect("read")
}

/// What the data owner hands out for the number: each customer's unmatched texts.
async fn exported(
    h: &Harness,
    who: cube_domain::ids::UserId,
    owner: DataOwnerId,
    number: &str,
) -> Vec<SmsReply> {
    let data = h
        .cube
        .personal_data(who, owner, &by_phone(number))
        .await
        .expect("gathered");
    assert!(
        !data.customers.is_empty(),
        "the data owner holds the number"
    );
    data.customers
        .into_iter()
        .flat_map(|c| c.unmatched_texts)
        .collect()
}

/// The outside test's case: Acme texted its customer; the customer texted back. An admin
/// of another organisation on the server then creates a customer with the same number:
/// her access export does not show the text and her erasure does not remove it; Acme's do.
#[tokio::test]
async fn another_organisation_holding_the_number_neither_reads_nor_erases_acmes_text() {
    let h = Harness::new(1).await;
    let number = kari(&h);
    texts(&h, &h.world, &number).await;
    h.clock.advance(Duration::minutes(5));
    let theirs = h
        .cube
        .receive_sms(text("SM-1", &number, "Hvem ringte meg i går?"))
        .await
        .expect("taken in");
    assert_eq!(
        theirs.fate,
        ReplyFate::UnknownNumber,
        "no flow went to them"
    );

    h.clock.advance(Duration::minutes(5));
    let admin = h.other_admin().await;
    let owner = h
        .cube
        .create_data_owner(admin.id, "Other Owner")
        .await
        .expect("a data owner of organisation B");
    h.cube
        .add_customer(
            admin.id,
            owner.id(),
            Dataset::B2c,
            CustomerInput {
                name: "Kari Nordmann".into(),
                phones: vec![number.clone()],
                ..CustomerInput::default()
            },
        )
        .await
        .expect("a customer with Acme's customer's number");

    assert_eq!(
        exported(&h, admin.id, owner.id(), &number).await,
        vec![],
        "organisation B never contacted the number: the text is not its data"
    );
    let erased = h
        .cube
        .erase_person(admin.id, owner.id(), &by_phone(&number))
        .await
        .expect("erased in organisation B");
    assert_eq!(erased.unmatched_texts, 0);
    assert_eq!(
        kept(&h, "SM-1").await,
        Some(theirs.clone()),
        "B cannot erase Acme's text"
    );

    assert_eq!(
        exported(&h, h.world.manager.id, h.world.data_owner.id(), &number).await,
        vec![theirs],
        "Acme texted the number before the text came"
    );
    let erased = h
        .cube
        .erase_person(
            &h.world.manager,
            h.world.data_owner.id(),
            &by_phone(&number),
        )
        .await
        .expect("erased in Acme");
    assert_eq!(erased.unmatched_texts, 1);
    assert_eq!(kept(&h, "SM-1").await, None, "Acme's erasure deletes it");

    // The privacy log names the customers by id: neither the number nor the text.
    let log = h
        .cube
        .privacy_log(&h.world.manager, h.world.data_owner.id())
        .await
        .expect("the log");
    assert_eq!(log.len(), 2, "an export and an erasure");
    let written = format!("{log:?}");
    let national = number.trim_start_matches("+47");
    assert!(
        !written.contains(national) && !written.contains("Hvem ringte"),
        "no personal data in the privacy log: {written}"
    );
}

/// A text from a number nobody had contacted is no one's — not even the data owner holding a
/// customer with the number, nor one that texts the number afterwards — and is deleted once
/// `UNMATCHED_TEXT_DAYS` old.
#[tokio::test]
async fn a_text_nobody_had_contacted_the_number_for_is_no_ones_and_forgotten_after_the_retention() {
    let h = Harness::new(1).await;
    let number = kari(&h);
    h.cube
        .receive_sms(text("SM-1", &number, "Hvem er dette?"))
        .await
        .expect("taken in");
    h.clock.advance(Duration::minutes(1));
    // Acme contacts the number only after the text came.
    texts(&h, &h.world, &number).await;
    assert_eq!(
        exported(&h, h.world.manager.id, h.world.data_owner.id(), &number).await,
        vec![],
        "holding the number, or contacting it afterwards, is no claim"
    );
    // A second text, after Acme's, is Acme's.
    h.clock.advance(Duration::minutes(1));
    let answer = h
        .cube
        .receive_sms(text("SM-2", &number, "Hvem er dere?"))
        .await
        .expect("taken in");

    h.clock
        .advance(Duration::days(UNMATCHED_TEXT_DAYS) - Duration::minutes(2) - Duration::seconds(1));
    assert_eq!(h.cube.forget_unowned_texts().await.expect("swept"), 0);
    assert!(kept(&h, "SM-1").await.is_some(), "kept its days");

    h.clock.advance(Duration::seconds(2));
    assert_eq!(h.cube.forget_unowned_texts().await.expect("swept"), 1);
    assert_eq!(kept(&h, "SM-1").await, None, "no data owner claims it");
    h.clock.advance(Duration::days(365));
    assert_eq!(h.cube.forget_unowned_texts().await.expect("swept"), 0);
    assert_eq!(
        kept(&h, "SM-2").await,
        Some(answer.clone()),
        "a claimed text is kept until its claimants erase the person"
    );
    assert_eq!(
        exported(&h, h.world.manager.id, h.world.data_owner.id(), &number).await,
        vec![answer]
    );
}

/// Two data owners (in two organisations) texted the number before the text came: each
/// hands it out. One erases the person: the text leaves its reach, and stays the other's —
/// a separate controller, which answers for its own records — until it erases her too.
#[tokio::test]
async fn a_text_two_data_owners_claim_stays_with_the_one_that_did_not_erase() {
    let h = Harness::new(1).await;
    let other = World::build(
        h.store.as_ref(),
        h.clock.as_ref(),
        &SequentialIds::starting_at(1 << 40),
        1,
    )
    .await
    .expect("a second organisation");
    let number = kari(&h);
    assert_eq!(other.customers[0].details().phones, vec![phone(&number)]);
    texts(&h, &h.world, &number).await;
    texts(&h, &other, &number).await;
    h.clock.advance(Duration::minutes(1));
    let theirs = h
        .cube
        .receive_sms(text("SM-1", &number, "Slutt å ringe meg"))
        .await
        .expect("taken in");
    let acme = (h.world.manager.id, h.world.data_owner.id());
    let theirs_too = (other.manager.id, other.data_owner.id());
    assert_eq!(
        exported(&h, acme.0, acme.1, &number).await,
        vec![theirs.clone()]
    );
    assert_eq!(
        exported(&h, theirs_too.0, theirs_too.1, &number).await,
        vec![theirs.clone()]
    );

    let erased = h
        .cube
        .erase_person(acme.0, acme.1, &by_phone(&number))
        .await
        .expect("erased in Acme");
    assert_eq!(erased.unmatched_texts, 1, "out of Acme's reach");
    let mut read = h.store.begin_read().await.expect("read");
    assert_eq!(
        read.unmatched_sms_from(acme.1, &[phone(&number)])
            .await
            .expect("read"),
        vec![],
        "Acme can never see it again"
    );
    drop(read);
    assert_eq!(
        exported(&h, theirs_too.0, theirs_too.1, &number).await,
        vec![theirs],
        "the other controller's claim stands"
    );

    let erased = h
        .cube
        .erase_person(theirs_too.0, theirs_too.1, &by_phone(&number))
        .await
        .expect("erased in the other organisation");
    assert_eq!(erased.unmatched_texts, 1);
    assert_eq!(
        kept(&h, "SM-1").await,
        None,
        "the last claim gone, the text is deleted"
    );
}
