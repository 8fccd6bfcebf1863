//! Texts no SMS flow matched, and a person's rights (issue 16; `cube_domain::sms`, "A text
//! no flow matched"): a person who texts the platform's number when no flow or sale
//! confirmation went to them is kept with no assignment. Each data owner holding a customer
//! with the number hands the text out in its access export of the person, and its erasure
//! deletes it (for every data owner); a text from a number no data owner holds is deleted
//! after `UNMATCHED_TEXT_DAYS` days. The privacy log holds no personal data of it.

mod common;

use common::Harness;
use cube_app::privacy::PersonQuery;
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::fields::FieldValues;
use cube_domain::ids::{CustomerId, DataOwnerId};
use cube_domain::sms::{InboundSms, ReplyFate, SmsReply, UNMATCHED_TEXT_DAYS};
use cube_domain::values::{Name, PhoneNumber};
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

/// A second data owner of the world's organisation with a customer that has `number`.
async fn another_data_owner_with(h: &Harness, number: &str) -> DataOwner {
    let owner = DataOwner::new(
        DataOwnerId::from_uuid(Uuid::now_v7()),
        h.world.organisation.id,
        Name::parse("Another controller").expect("a name"),
    );
    let customer = Customer::new(
        CustomerId::from_uuid(Uuid::now_v7()),
        &owner,
        Dataset::B2c,
        CustomerDetails {
            name: Name::parse("Kari Nordmann").expect("a name"),
            phones: vec![phone(number)],
            email: None,
            address: None,
            registry_number: None,
            external_id: None,
        },
        FieldValues::new(),
    )
    .expect("a valid customer");
    let mut uow = h.store.begin().await.expect("begin");
    uow.save_data_owner(&owner).await.expect("saved");
    uow.save_customer(&customer).await.expect("saved");
    uow.commit().await.expect("committed");
    owner
}

async fn kept(h: &Harness, provider_id: &str) -> Option<SmsReply> {
    let mut read = h.store.begin_read().await.expect("read");
    read.sms_reply_by_provider_id(provider_id)
        .await
        .expect("read")
}

#[tokio::test]
async fn a_text_no_flow_matched_is_exported_by_each_data_owner_with_the_number_and_erased() {
    let h = Harness::new(2).await;
    let number = kari(&h);
    let other = another_data_owner_with(&h, &number).await;
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
    let strangers = h
        .cube
        .receive_sms(text("SM-2", "+4740000001", "Stopp"))
        .await
        .expect("taken in");

    // The world's data owner, found by the phone: the text is beside the customer.
    let data = h
        .cube
        .personal_data(
            &h.world.manager,
            h.world.data_owner.id(),
            &by_phone(&number),
        )
        .await
        .expect("gathered");
    assert_eq!(data.customers.len(), 1);
    assert_eq!(data.customers[0].unmatched_texts, vec![theirs.clone()]);
    assert!(
        data.customers[0].sms_replies.is_empty(),
        "no flow's answer: the text is listed once, as unmatched"
    );
    // The other data owner holding the number hands it out too; a person it does not hold
    // gets none of it.
    let elsewhere = h
        .cube
        .personal_data(&h.world.admin, other.id(), &by_phone(&number))
        .await
        .expect("gathered");
    assert_eq!(elsewhere.customers[0].unmatched_texts, vec![theirs.clone()]);
    let second = h.world.customers[1].details().phones[0].to_string();
    let nobody = h
        .cube
        .personal_data(
            &h.world.manager,
            h.world.data_owner.id(),
            &by_phone(&second),
        )
        .await
        .expect("gathered");
    assert!(nobody.customers[0].unmatched_texts.is_empty());

    let erased = h
        .cube
        .erase_person(
            &h.world.manager,
            h.world.data_owner.id(),
            &by_phone(&number),
        )
        .await
        .expect("erased");
    assert_eq!(erased.unmatched_texts, 1);
    assert_eq!(
        kept(&h, "SM-1").await,
        None,
        "the text and its number are gone"
    );
    let elsewhere = h
        .cube
        .personal_data(&h.world.admin, other.id(), &by_phone(&number))
        .await
        .expect("gathered");
    assert!(
        elsewhere.customers[0].unmatched_texts.is_empty(),
        "gone for every data owner: none can be told from the other as its controller"
    );
    assert_eq!(
        kept(&h, "SM-2").await,
        Some(strangers),
        "another number's text is not the person's"
    );

    // The privacy log names the customers by id: neither the number nor the text.
    let log = h
        .cube
        .privacy_log(&h.world.manager, h.world.data_owner.id())
        .await
        .expect("the log");
    assert_eq!(log.len(), 3, "two exports and an erasure");
    let written = format!("{log:?}");
    let national = number.trim_start_matches("+47");
    assert!(
        !written.contains(national) && !written.contains("Hvem ringte"),
        "no personal data in the privacy log: {written}"
    );
}

#[tokio::test]
async fn a_text_from_a_number_no_data_owner_holds_is_deleted_after_the_retention() {
    let h = Harness::new(1).await;
    let number = kari(&h);
    h.cube
        .receive_sms(text("SM-1", "+4740000001", "Hvem er dette?"))
        .await
        .expect("taken in");
    h.cube
        .receive_sms(text("SM-2", &number, "Hvem er dette?"))
        .await
        .expect("taken in");

    h.clock
        .advance(Duration::days(UNMATCHED_TEXT_DAYS) - Duration::seconds(1));
    assert_eq!(h.cube.forget_unowned_texts().await.expect("swept"), 0);
    assert!(kept(&h, "SM-1").await.is_some(), "kept its days");

    h.clock.advance(Duration::seconds(2));
    assert_eq!(h.cube.forget_unowned_texts().await.expect("swept"), 1);
    assert_eq!(
        kept(&h, "SM-1").await,
        None,
        "no data owner holds the number"
    );
    assert!(
        kept(&h, "SM-2").await.is_some(),
        "a customer's number: the data owner's until it erases the person"
    );
}
