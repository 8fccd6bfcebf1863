//! What a person's rights read and write (`cube_domain::privacy`): the data owner's customers
//! a key finds — exactly `PersonKey::matches`, never another data owner's —, their meetings,
//! the messages, SMS flows and texts of their enrollments, the texts from their numbers that
//! answered no flow, the data owner's privacy log; and
//! an erasure's writes, which forget the person and leave every report tally as it was, and
//! the do-not-contact list of salted hashes.

use super::duplicate;
use crate::contract::reports::take;
use crate::contract::{Setup, SharedStore, at, setup};
use crate::fixtures::World;
use crate::fixtures::{SalesFlow, register_outcome};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::call::{Call, CallStatus};
use cube_domain::customer::{Change, CustomerChange};
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::ids::{
    CallId, CustomerId, DataOwnerId, EnrollmentId, MeetingId, OutboxMessageId, OutcomeEventId,
    OutcomeId, PrivacyRequestId, SmsReplyId,
};
use cube_domain::meeting::{Meeting, MeetingKind};
use cube_domain::outcome::{ProductLineRequest, RegisterOutcome, Registrar};
use cube_domain::ports::StoreError;
use cube_domain::ports::{
    DeliveryState, IdGenerator, OutboxMessage, OutboxPayload, ReadUnit, RecordKind, SmsMessage,
    StoredMessage, UniqueRule,
};
use cube_domain::privacy::{DoNotContact, Salt};
use cube_domain::privacy::{KeyKind, PersonKey, PersonalRight, PrivacyRequest};
use cube_domain::sms::{InboundSms, ReplyFate, SentSmsFlow, SmsReply};
use cube_domain::values::{Email, Name, PhoneNumber, PhoneRegion};
use time::{Duration, OffsetDateTime};

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse(raw).expect("valid number")
}

fn customer(
    s: &Setup,
    owner: &DataOwner,
    phones: &[&str],
    email: Option<&str>,
    external_id: Option<&str>,
) -> Customer {
    let details = CustomerDetails {
        name: Name::parse("Kari Nordmann").expect("valid"),
        phones: phones.iter().map(|p| phone(p)).collect(),
        email: email.map(|e| Email::parse(e).expect("valid")),
        address: Some("Storgata 1\n0155 Oslo".into()),
        registry_number: None,
        external_id: external_id.map(str::to_owned),
    };
    Customer::new(
        CustomerId::from_uuid(s.ids.next_id()),
        owner,
        Dataset::B2c,
        details,
        FieldValues::new(),
    )
    .expect("a valid customer")
}

fn key(phone: Option<&str>, email: Option<&str>, external_id: Option<&str>) -> PersonKey {
    PersonKey::parse(phone, email, external_id, PhoneRegion::NORWAY).expect("a key")
}

fn ids(customers: &[Customer]) -> Vec<CustomerId> {
    customers.iter().map(Customer::id).collect()
}

/// The ids of the customers `key` finds in `owner`.
async fn found(read: &mut dyn ReadUnit, owner: DataOwnerId, key: &PersonKey) -> Vec<CustomerId> {
    ids(&read.customers_of_person(owner, key).await.expect("read"))
}

/// A person is every customer of the data owner that has the key — by any of their phone
/// numbers, by e-mail compared as logins, by external id exactly — oldest first, and no
/// customer of another data owner; the lookup sees the keys as last saved.
pub async fn customers_of_a_person_are_found_by_each_key_within_the_data_owner(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let owner = &s.world.data_owner;
    let other_owner = DataOwner::new(
        DataOwnerId::from_uuid(s.ids.next_id()),
        s.world.organisation.id,
        Name::parse("Another controller").expect("valid"),
    );
    let kari = customer(
        &s,
        owner,
        &["+4791000001", "+4791000002"],
        Some("Kari.N@Example.no"),
        Some("EXT-1"),
    );
    let shared_phone = customer(&s, owner, &["+4791000002"], None, Some("EXT-2"));
    let same_email = customer(&s, owner, &["+4791000003"], Some("kari.n@example.no"), None);
    let elsewhere = customer(
        &s,
        &other_owner,
        &["+4791000001"],
        Some("kari.n@example.no"),
        Some("EXT-1"),
    );
    let mut uow = store.begin().await.expect("begin");
    uow.save_data_owner(&other_owner).await.expect("save");
    for c in [&kari, &shared_phone, &same_email, &elsewhere] {
        uow.save_customer(c).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut unit = store.begin_read().await.expect("begin");
    let read = unit.as_mut();
    let owner_id = owner.id();
    assert_eq!(
        found(read, owner_id, &key(Some("+4791000002"), None, None)).await,
        ids(&[kari.clone(), shared_phone.clone()]),
        "customers_of_person MUST find every customer with the number, oldest first"
    );
    assert_eq!(
        found(read, owner_id, &key(Some("+4791000001"), None, None)).await,
        vec![kari.id()],
        "customers_of_person MUST NOT find another data owner's customer"
    );
    assert_eq!(
        found(read, owner_id, &key(None, Some("KARI.N@example.NO"), None)).await,
        ids(&[kari.clone(), same_email.clone()]),
        "e-mail addresses MUST compare as logins (Email::login_key)"
    );
    assert_eq!(
        found(read, owner_id, &key(None, None, Some("EXT-1"))).await,
        vec![kari.id()]
    );
    assert_eq!(
        found(read, owner_id, &key(None, None, Some("ext-1"))).await,
        Vec::<CustomerId>::new(),
        "an external id MUST match exactly"
    );
    assert_eq!(
        found(read, owner_id, &key(Some("+4791999999"), None, None)).await,
        Vec::<CustomerId>::new()
    );
    // A unit ends when dropped (the in-memory store runs one at a time).
    drop(unit);

    // Kari gives up the shared number: found by it no more.
    let mut moved = kari.clone();
    let mut details = kari.details().clone();
    details.phones = vec![phone("+4791000001")];
    moved
        .update(owner, details, FieldValues::new())
        .expect("valid");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&moved).await.expect("save");
    uow.commit().await.expect("commit");
    let mut read = store.begin_read().await.expect("begin");
    let shared = key(Some("+4791000002"), None, None);
    assert_eq!(
        ids(&read
            .customers_of_person(owner.id(), &shared)
            .await
            .expect("read")),
        vec![shared_phone.id()],
        "customers_of_person MUST see the keys as last saved"
    );
    // Exactly the customers `PersonKey::matches` keeps, for every key tried.
    let all = read
        .customers_after(owner.id(), None, 100)
        .await
        .expect("read");
    for key in [
        shared,
        key(Some("+4791000001"), None, None),
        key(None, Some("kari.n@example.no"), None),
        key(None, None, Some("EXT-2")),
        key(None, None, Some("ext-00001")),
    ] {
        let expected: Vec<CustomerId> = all
            .iter()
            .filter(|c| key.matches(c))
            .map(Customer::id)
            .collect();
        assert_eq!(
            ids(&read
                .customers_of_person(owner.id(), &key)
                .await
                .expect("read")),
            expected,
            "customers_of_person MUST find exactly what PersonKey::matches keeps ({key:?})"
        );
    }
}

fn message(s: &Setup, enrollment: Option<&Enrollment>, minutes: i64) -> OutboxMessage {
    OutboxMessage {
        id: OutboxMessageId::from_uuid(s.ids.next_id()),
        assignment: s.world.assignment.id(),
        enrollment: enrollment.map(Enrollment::id),
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Acme".into(),
            to: phone("+4790000000"),
            body: format!("Hei {minutes}"),
        }),
        created_at: at(minutes),
    }
}

fn meeting(s: &Setup, enrollment: &Enrollment, start: OffsetDateTime) -> Meeting {
    Meeting {
        id: MeetingId::from_uuid(s.ids.next_id()),
        calendar: s.world.calendar.id,
        assignment: s.world.assignment.id(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        booked_by: Some(s.world.sellers[0].id),
        start,
        end: start + Duration::minutes(30),
        kind: MeetingKind::Physical,
        place: Some("Storgata 1".into()),
    }
}

fn flow(s: &Setup, message: &OutboxMessage, enrollment: &Enrollment) -> SentSmsFlow {
    SentSmsFlow {
        message: message.id,
        assignment: message.assignment,
        enrollment: enrollment.id(),
        event: OutcomeEventId::from_uuid(s.ids.next_id()),
        outcome: OutcomeId::from_uuid(s.ids.next_id()),
        state: enrollment.state(),
        to: phone("+4790000000"),
        sender: "Acme".into(),
        sent_at: message.created_at,
    }
}

fn reply(s: &Setup, flow: Option<&SentSmsFlow>, provider_id: &str) -> SmsReply {
    SmsReply {
        id: SmsReplyId::from_uuid(s.ids.next_id()),
        inbound: InboundSms::new(provider_id, phone("+4790000000"), "Ja").expect("valid"),
        received_at: at(50),
        flow: flow.cloned(),
        confirmation: None,
        fate: ReplyFate::UnknownKeyword,
    }
}

/// What is held on a person beside their customers: their meetings by customer (by start),
/// and by their enrollments the messages (each with its delivery state, in enqueue order),
/// the SMS flows sent and the texts matched to those flows (in the order kept).
pub async fn meetings_messages_and_texts_of_a_person_are_found(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let [first, second, third] = [0, 1, 2].map(|i| s.world.enrollments[i].clone());
    let late = meeting(&s, &first, at(3 * 60));
    let early = meeting(&s, &first, at(60));
    let theirs = meeting(&s, &second, at(2 * 60));
    let to_first = message(&s, Some(&first), 1);
    let to_second = message(&s, Some(&second), 2);
    let failed = message(&s, Some(&first), 3);
    let to_nobody = message(&s, None, 4);
    let to_third = message(&s, Some(&third), 5);
    let first_flow = flow(&s, &to_first, &first);
    let third_flow = flow(&s, &to_third, &third);
    let answer = reply(&s, Some(&first_flow), "SM-1");
    let stranger = reply(&s, None, "SM-2");
    let third_answer = reply(&s, Some(&third_flow), "SM-3");
    let mut uow = store.begin().await.expect("begin");
    for m in [&late, &early, &theirs] {
        uow.insert_meeting(m).await.expect("insert");
    }
    for m in [&to_first, &to_second, &failed, &to_nobody, &to_third] {
        uow.enqueue(m).await.expect("enqueue");
    }
    uow.mark_failed(failed.id, "refused").await.expect("fail");
    uow.record_sms_flow(&first_flow).await.expect("record");
    uow.record_sms_flow(&third_flow).await.expect("record");
    for r in [&answer, &stranger, &third_answer] {
        uow.save_sms_reply(r).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.meetings_of_customer(first.customer())
            .await
            .expect("read"),
        vec![early.clone(), late.clone()],
        "meetings_of_customer MUST give the customer's meetings whole, by start"
    );
    assert_eq!(
        read.meetings_of_customer(CustomerId::from_uuid(s.ids.next_id()))
            .await
            .expect("read"),
        Vec::<Meeting>::new()
    );

    let messages = read
        .messages_of(&[first.id(), third.id()])
        .await
        .expect("read");
    let expected = [
        (to_first.clone(), DeliveryState::Pending { due_at: None }),
        (
            failed.clone(),
            DeliveryState::Failed {
                reason: "refused".into(),
            },
        ),
        (to_third.clone(), DeliveryState::Pending { due_at: None }),
    ]
    .map(|(message, state)| StoredMessage {
        message,
        attempts: 0,
        state,
    });
    assert_eq!(
        messages,
        expected.to_vec(),
        "messages_of MUST give every message of the enrollments with its state, in enqueue order"
    );
    assert_eq!(
        read.messages_of(&[]).await.expect("read"),
        Vec::<StoredMessage>::new()
    );

    assert_eq!(
        read.sms_flows_of(&[first.id(), second.id()])
            .await
            .expect("read"),
        vec![first_flow.clone()],
        "sms_flows_of MUST give the flows sent to the enrollments"
    );
    assert_eq!(
        read.sms_replies_of(&[third.id(), first.id()])
            .await
            .expect("read"),
        vec![answer.clone(), third_answer.clone()],
        "sms_replies_of MUST give the texts matched to the enrollments' flows, in the order kept"
    );
    let unknown = EnrollmentId::from_uuid(s.ids.next_id());
    assert_eq!(
        read.sms_replies_of(&[unknown]).await.expect("read"),
        Vec::<SmsReply>::new()
    );
}

/// A text from `from`, received `minutes` after the contract's start, matched to `flow` or
/// to nothing.
fn text_from(
    s: &Setup,
    from: &str,
    provider_id: &str,
    minutes: i64,
    flow: Option<&SentSmsFlow>,
) -> SmsReply {
    SmsReply {
        id: SmsReplyId::from_uuid(s.ids.next_id()),
        inbound: InboundSms::new(provider_id, phone(from), "Hvem er dette?").expect("valid"),
        received_at: at(minutes),
        flow: flow.cloned(),
        confirmation: None,
        fate: match flow {
            Some(_) => ReplyFate::UnknownKeyword,
            None => ReplyFate::UnknownNumber,
        },
    }
}

/// A call by `assignment` to `to`, started `minutes` after the contract's start.
fn call_to(
    s: &Setup,
    assignment: &Assignment,
    enrollment: &Enrollment,
    to: &str,
    minutes: i64,
) -> Call {
    Call {
        id: CallId::from_uuid(s.ids.next_id()),
        assignment: assignment.id(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        seller: s.world.sellers[0].id,
        caller_id: phone("+4722334455"),
        to: Some(phone(to)),
        provider_id: None,
        status: CallStatus::Initiated,
        started_at: at(minutes),
        answered_at: None,
        ended_at: None,
        duration: None,
        failure: None,
    }
}

/// An SMS `assignment` enqueued to `to`, `minutes` after the contract's start.
fn sms_to(s: &Setup, assignment: &Assignment, to: &str, minutes: i64) -> OutboxMessage {
    OutboxMessage {
        id: OutboxMessageId::from_uuid(s.ids.next_id()),
        assignment: assignment.id(),
        enrollment: None,
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Cube".into(),
            to: phone(to),
            body: format!("Hei {minutes}"),
        }),
        created_at: at(minutes),
    }
}

/// The data owners, in id order (the port gives them in no order).
async fn contacted(read: &mut dyn ReadUnit, to: &str, minutes: i64) -> Vec<DataOwnerId> {
    let mut owners = read
        .data_owners_that_contacted(&phone(to), at(minutes))
        .await
        .expect("read");
    owners.sort();
    owners
}

/// The texts that answered no flow (`SmsReply::is_unmatched`) are a data owner's only where
/// its assignments contacted the number before (`data_owners_that_contacted`: an SMS
/// enqueued to it or a call placed to it, at or before the time; never a customer with the
/// number in another organisation) and the claim was recorded (`claim_unmatched_sms`):
/// found by the claiming data owner and the number, in the order kept; an erasure drops one
/// data owner's claim and deletes the text when no claim is left; the worker's sweep
/// deletes the old texts no one claims — never a text a flow matched, whatever its number
/// or age.
pub async fn unmatched_texts_are_claimed_by_the_data_owners_that_contacted_the_number(
    store: SharedStore,
) {
    let s = setup(store.as_ref(), 1).await;
    // Another organisation on the same server: its world's first customer has the same
    // number as Acme's (+4790000000).
    let other = World::build(store.as_ref(), &s.clock, &s.ids, 1)
        .await
        .expect("a second world");
    let (acme, elsewhere) = (s.world.data_owner.id(), other.data_owner.id());
    let shared = "+4790000000";
    let called = "+4793333333";
    let stranger = "+4795555555";
    assert_eq!(
        other.customers[0].details().phones,
        vec![phone(shared)],
        "both organisations hold a customer with the number"
    );
    let kari = s.world.enrollments[0].clone();
    let acme_sms = sms_to(&s, &s.world.assignment, shared, 1);
    let flow_sms = message(&s, Some(&kari), 2);
    let kari_flow = flow(&s, &flow_sms, &kari);
    let other_call = call_to(&s, &other.assignment, &other.enrollments[0], called, 3);
    let other_sms = sms_to(&s, &other.assignment, shared, 20);
    let mut erased_sms = sms_to(&s, &s.world.assignment, stranger, 1);
    let mut uow = store.begin().await.expect("begin");
    for m in [&acme_sms, &flow_sms, &other_sms, &erased_sms] {
        uow.enqueue(m).await.expect("enqueue");
    }
    uow.save_call(&other_call).await.expect("save");
    // An SMS whose recipient was erased contacted no one.
    uow.erase_payload(erased_sms.id).await.expect("erase");
    erased_sms.payload = erased_sms.payload.erased();
    uow.commit().await.expect("commit");

    let mut unit = store.begin_read().await.expect("begin");
    let read = unit.as_mut();
    assert_eq!(
        contacted(read, shared, 0).await,
        Vec::<DataOwnerId>::new(),
        "data_owners_that_contacted MUST NOT count a contact after the time"
    );
    assert_eq!(
        contacted(read, shared, 1).await,
        vec![acme],
        "data_owners_that_contacted MUST count an SMS enqueued to the number, by its \
         assignment's data owner, and never a data owner that only holds a customer with it"
    );
    let mut both = vec![acme, elsewhere];
    both.sort();
    assert_eq!(contacted(read, shared, 30).await, both);
    assert_eq!(
        contacted(read, called, 3).await,
        vec![elsewhere],
        "data_owners_that_contacted MUST count a call placed to the number"
    );
    assert_eq!(contacted(read, called, 2).await, Vec::<DataOwnerId>::new());
    assert_eq!(
        contacted(read, stranger, 100).await,
        Vec::<DataOwnerId>::new(),
        "an SMS whose recipient was erased contacted no one"
    );
    drop(unit);

    let answered = text_from(&s, shared, "SM-answer", 5, Some(&kari_flow));
    let acme_only = text_from(&s, shared, "SM-acme", 10, None);
    let called_back = text_from(&s, called, "SM-called", 11, None);
    let old_stranger = text_from(&s, stranger, "SM-old", 12, None);
    let both_claim = text_from(&s, shared, "SM-both", 40, None);
    let new_stranger = text_from(&s, stranger, "SM-new", 100, None);
    let mut uow = store.begin().await.expect("begin");
    uow.record_sms_flow(&kari_flow).await.expect("record");
    for r in [
        &answered,
        &acme_only,
        &called_back,
        &old_stranger,
        &both_claim,
        &new_stranger,
    ] {
        uow.save_sms_reply(r).await.expect("save");
    }
    uow.claim_unmatched_sms(acme_only.id, &[acme])
        .await
        .expect("claim");
    uow.claim_unmatched_sms(called_back.id, &[elsewhere])
        .await
        .expect("claim");
    uow.claim_unmatched_sms(both_claim.id, &[acme, elsewhere])
        .await
        .expect("claim");
    uow.claim_unmatched_sms(acme_only.id, &[acme])
        .await
        .expect("a claim made twice is kept once");
    uow.commit().await.expect("commit");

    // A claim in a dropped unit is undone with it.
    let mut uow = store.begin().await.expect("begin");
    uow.claim_unmatched_sms(acme_only.id, &[elsewhere])
        .await
        .expect("claim");
    drop(uow);

    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.sms_reply_owners(both_claim.id).await.expect("read"),
        both,
        "sms_reply_owners MUST give the claims kept, once each, in id order"
    );
    assert_eq!(
        read.sms_reply_owners(acme_only.id).await.expect("read"),
        vec![acme],
        "a claim in a dropped unit is undone with it"
    );
    assert_eq!(
        read.sms_reply_owners(old_stranger.id).await.expect("read"),
        Vec::<DataOwnerId>::new()
    );
    assert_eq!(
        read.unmatched_sms_from(acme, &[phone(called), phone(shared)])
            .await
            .expect("read"),
        vec![acme_only.clone(), both_claim.clone()],
        "unmatched_sms_from MUST give the data owner's claimed unmatched texts from the \
         numbers, in the order kept, and no text a flow matched"
    );
    assert_eq!(
        read.unmatched_sms_from(elsewhere, &[phone(shared)])
            .await
            .expect("read"),
        vec![both_claim.clone()],
        "unmatched_sms_from MUST NOT give another data owner's text, whoever holds the number"
    );
    assert_eq!(
        read.unmatched_sms_from(elsewhere, &[phone(called)])
            .await
            .expect("read"),
        vec![called_back.clone()]
    );
    assert_eq!(
        read.unmatched_sms_from(acme, &[phone(stranger)])
            .await
            .expect("read"),
        Vec::<SmsReply>::new(),
        "a text no one claims is no one's"
    );
    assert_eq!(
        read.unmatched_sms_from(acme, &[]).await.expect("read"),
        Vec::<SmsReply>::new()
    );
    drop(read);

    // The sweep at minute 50: the stranger's old text goes; the claimed ones stay, however
    // old, and so does the matched one.
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.forget_unowned_sms(at(50)).await.expect("forget"),
        1,
        "forget_unowned_sms MUST delete only the old unmatched texts no data owner claims"
    );
    uow.commit().await.expect("commit");
    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.sms_reply_by_provider_id("SM-old").await.expect("read"),
        None
    );
    assert!(
        read.sms_reply_by_provider_id("SM-new")
            .await
            .expect("read")
            .is_some(),
        "too young to be swept"
    );
    drop(read);

    // The other organisation erases the person: its claims go; Acme's text is not touched,
    // and the text both claim stays Acme's.
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.erase_unmatched_sms_from(elsewhere, &[phone(shared)])
            .await
            .expect("erase"),
        1,
        "erase_unmatched_sms_from MUST count the data owner's claims dropped"
    );
    uow.commit().await.expect("commit");
    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.unmatched_sms_from(elsewhere, &[phone(shared)])
            .await
            .expect("read"),
        Vec::<SmsReply>::new(),
        "erase_unmatched_sms_from MUST take the texts out of the data owner's reach"
    );
    assert_eq!(
        read.unmatched_sms_from(acme, &[phone(shared)])
            .await
            .expect("read"),
        vec![acme_only.clone(), both_claim.clone()],
        "erase_unmatched_sms_from MUST leave another data owner's claims"
    );
    drop(read);

    // Acme erases her: the texts no one claims any more are deleted.
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.erase_unmatched_sms_from(acme, &[phone(shared)])
            .await
            .expect("erase"),
        2
    );
    uow.commit().await.expect("commit");
    let mut read = store.begin_read().await.expect("begin");
    for gone in ["SM-acme", "SM-both"] {
        assert_eq!(
            read.sms_reply_by_provider_id(gone).await.expect("read"),
            None,
            "erase_unmatched_sms_from MUST delete a text its last claim left"
        );
    }
    assert_eq!(
        read.sms_reply_by_provider_id("SM-answer")
            .await
            .expect("read"),
        Some(answered.clone()),
        "a text a flow matched is not an unmatched text, whatever its number"
    );
    drop(read);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.forget_unowned_sms(at(200)).await.expect("forget"),
        1,
        "the stranger's later text, now old; the called-back one is claimed"
    );
    assert_eq!(uow.forget_unowned_sms(at(200)).await.expect("forget"), 0);
    uow.commit().await.expect("commit");
    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.sms_replies_after(None, None, 10).await.expect("read"),
        vec![answered, called_back],
        "only the matched text and the claimed one are left"
    );
}

fn request(
    s: &Setup,
    owner: DataOwnerId,
    minutes: i64,
    customers: Vec<CustomerId>,
) -> PrivacyRequest {
    PrivacyRequest {
        id: PrivacyRequestId::from_uuid(s.ids.next_id()),
        data_owner: owner,
        user: s.world.manager.id,
        at: at(minutes),
        right: PersonalRight::Access,
        found_by: KeyKind::Email,
        customers,
    }
}

/// The privacy log keeps each entry whole, per data owner in the order recorded (not by
/// time); the whole log pages in that order; an id recorded twice is
/// `Duplicate(Id(PrivacyRequest))`; a dropped unit records nothing.
pub async fn privacy_log_is_kept_per_data_owner_in_order(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let owner = s.world.data_owner.id();
    let other = DataOwnerId::from_uuid(s.ids.next_id());
    let customers = ids(&s.world.customers);
    let later = request(&s, owner, 20, customers.clone());
    let elsewhere = request(&s, other, 15, Vec::new());
    let earlier = request(&s, owner, 10, vec![customers[0]]);
    let mut uow = store.begin().await.expect("begin");
    for r in [&later, &elsewhere, &earlier] {
        uow.log_privacy_request(r).await.expect("log");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.log_privacy_request(&later).await,
        UniqueRule::Id(RecordKind::PrivacyRequest),
        "an entry with a taken id",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    uow.log_privacy_request(&request(&s, owner, 30, Vec::new()))
        .await
        .expect("log");
    drop(uow);

    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.privacy_log(owner).await.expect("read"),
        vec![later.clone(), earlier.clone()],
        "privacy_log MUST give the data owner's entries whole, in the order recorded"
    );
    assert_eq!(
        read.privacy_log(other).await.expect("read"),
        vec![elsewhere.clone()]
    );
    assert_eq!(
        read.privacy_log_after(None, 2).await.expect("read"),
        vec![later.clone(), elsewhere.clone()],
        "privacy_log_after MUST page the whole log in the order recorded"
    );
    assert_eq!(
        read.privacy_log_after(Some(elsewhere.id), 2)
            .await
            .expect("read"),
        vec![earlier.clone()]
    );
    assert_eq!(
        read.privacy_log_after(Some(PrivacyRequestId::from_uuid(s.ids.next_id())), 2)
            .await
            .expect("read"),
        Vec::<PrivacyRequest>::new(),
        "an unknown `after` gives no rows"
    );
}

/// An erasure's writes on one customer — the customer saved erased, its events without
/// texts, its messages' payloads erased, its SMS and card changes forgotten — leave every
/// tally a report reads as it was (outcomes, sold products, status, open offers, the hit
/// analysis by attempts), take the person's texts out, and leave every other customer's
/// records as they were.
pub async fn erasure_writes_keep_the_tallies_and_forget_the_person(store: SharedStore) {
    let s = setup(store.as_ref(), 4).await;
    let w = &s.world;
    let e = &w.enrollments;
    let a = w.assignment.id();
    let noted = |outcome, product: usize, quantity: u32, note: &str| RegisterOutcome {
        products: (quantity > 0)
            .then(|| ProductLineRequest {
                product: w.products[product].id(),
                quantity,
                unit_price: None,
            })
            .into_iter()
            .collect(),
        note: Some(note.to_owned()),
        ..RegisterOutcome::new(outcome)
    };
    for (i, seller, minutes, command) in [
        (
            0,
            0,
            60,
            noted(SalesFlow::O_OFFER, 0, 2, "Kari vil ha tilbud"),
        ),
        (1, 1, 60, noted(SalesFlow::O_OFFER, 1, 1, "Ola vil tenke")),
        (0, 0, 120, noted(SalesFlow::O_SALE, 1, 1, "Kari sa ja")),
        (2, 1, 90, noted(SalesFlow::O_NO_ANSWER, 0, 0, "ingen svar")),
    ] {
        let seller = w.sellers[seller].id;
        take(store.as_ref(), &e[i], seller, at(minutes)).await;
        register_outcome(
            store.as_ref(),
            Registrar::Seller(seller),
            e[i].id(),
            command,
            at(minutes),
            &s.ids,
        )
        .await
        .expect("a valid registration");
    }
    let to_kari = message(&s, Some(&e[0]), 130);
    let to_ola = message(&s, Some(&e[1]), 131);
    let kari_flow = flow(&s, &to_kari, &e[0]);
    let kari_answer = reply(&s, Some(&kari_flow), "SM-kari");
    let kari = w.customers[0].clone();
    let mut uow = store.begin().await.expect("begin");
    uow.enqueue(&to_kari).await.expect("enqueue");
    uow.enqueue(&to_ola).await.expect("enqueue");
    uow.record_sms_flow(&kari_flow).await.expect("record");
    uow.save_sms_reply(&kari_answer).await.expect("save");
    uow.record_customer_change(&CustomerChange {
        customer: kari.id(),
        user: w.manager.id,
        at: at(140),
        what: Change::DoNotCall {
            reason: Some("Kari ba om det".into()),
        },
    })
    .await
    .expect("record");
    uow.commit().await.expect("commit");

    let analysis = [AnalysisField::Attempts];
    let (from, to) = (at(0), at(24 * 60));
    let mut read = store.begin_read().await.expect("begin");
    let before = (
        read.outcome_tally(&[a], from, to).await.expect("tally"),
        read.sold_products(&[a], from, to).await.expect("tally"),
        read.status_tally(a).await.expect("tally"),
        read.open_offers(a).await.expect("tally"),
        read.hit_tally(a, &analysis).await.expect("tally"),
    );
    let kari_events = read.events_of(e[0].id()).await.expect("read");
    let ola_events = read.events_of(e[1].id()).await.expect("read");
    drop(read);
    assert_eq!(kari_events.len(), 2);

    let mut uow = store.begin().await.expect("begin");
    for event in &kari_events {
        uow.erase_event_texts(event.id()).await.expect("erase");
    }
    uow.erase_payload(to_kari.id).await.expect("erase");
    uow.erase_sms_of(&[e[0].id()]).await.expect("erase");
    uow.erase_customer_changes(kari.id()).await.expect("erase");
    uow.save_customer(&kari.erased(at(200)))
        .await
        .expect("save");
    let missing = OutcomeEventId::from_uuid(s.ids.next_id());
    assert!(
        matches!(
            uow.erase_event_texts(missing).await,
            Err(StoreError::Conflict(_))
        ),
        "erase_event_texts of no event MUST be Conflict"
    );
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert!(
        matches!(
            uow.erase_payload(OutboxMessageId::from_uuid(s.ids.next_id()))
                .await,
            Err(StoreError::Conflict(_))
        ),
        "erase_payload of no message MUST be Conflict"
    );
    drop(uow);

    let mut read = store.begin_read().await.expect("begin");
    let after = (
        read.outcome_tally(&[a], from, to).await.expect("tally"),
        read.sold_products(&[a], from, to).await.expect("tally"),
        read.status_tally(a).await.expect("tally"),
        read.open_offers(a).await.expect("tally"),
        read.hit_tally(a, &analysis).await.expect("tally"),
    );
    assert_eq!(
        after, before,
        "an erasure MUST leave every report tally as it was"
    );
    let erased_events = read.events_of(e[0].id()).await.expect("read");
    assert_eq!(
        erased_events,
        kari_events
            .iter()
            .map(|e| e.without_texts())
            .collect::<Vec<_>>(),
        "erase_event_texts MUST keep the event in its place, without its texts"
    );
    assert!(erased_events.iter().all(|e| e.note().is_none()));
    assert_eq!(
        read.events_of(e[1].id()).await.expect("read"),
        ola_events,
        "another customer's events stay"
    );
    let messages = read
        .messages_of(&[e[0].id(), e[1].id()])
        .await
        .expect("read");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].message.payload, to_kari.payload.erased());
    assert_eq!(
        messages[0].state,
        DeliveryState::Pending { due_at: None },
        "erase_payload MUST leave the delivery state"
    );
    assert_eq!(
        messages[1].message, to_ola,
        "another customer's message stays"
    );
    let all = read.messages_after(None, 100).await.expect("read");
    assert!(
        all.iter()
            .any(|m| m.message.payload == to_kari.payload.erased())
    );
    assert_eq!(
        read.sms_flows_of(&[e[0].id()]).await.expect("read"),
        Vec::<SentSmsFlow>::new()
    );
    assert_eq!(
        read.sms_replies_of(&[e[0].id()]).await.expect("read"),
        Vec::<SmsReply>::new()
    );
    assert!(
        read.sms_flows_to(&kari_flow.to, 10)
            .await
            .expect("read")
            .iter()
            .all(|f| f.enrollment != e[0].id()),
        "an erased flow MUST NOT be found by its number"
    );
    assert!(
        read.sms_reply_by_provider_id("SM-kari")
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        read.customer_changes(kari.id()).await.expect("read"),
        Vec::<CustomerChange>::new()
    );
    let old_phone = key(Some(kari.details().phones[0].as_str()), None, None);
    assert!(
        found(read.as_mut(), w.data_owner.id(), &old_phone)
            .await
            .is_empty(),
        "an erased customer MUST NOT be found by its old number"
    );
    let search = cube_domain::customer::CustomerFilter {
        words: cube_domain::customer::SearchWords::parse(kari.details().name.as_str())
            .expect("words"),
        ..Default::default()
    };
    let page = cube_domain::ports::Page {
        offset: 0,
        limit: 100,
    };
    assert!(
        read.customers(w.data_owner.id(), &search, page)
            .await
            .expect("search")
            .iter()
            .all(|c| c.id() != kari.id()),
        "an erased customer MUST NOT be found by its old name"
    );
}

/// The do-not-contact list: its salt is the one its entries carry (none while it is empty),
/// a hash is found only in its data owner's list, listing a hash twice keeps the first
/// entry, and the whole store's lists page by data owner then hash.
pub async fn do_not_contact_lists_are_per_data_owner_and_listed_once(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let owner = s.world.data_owner.id();
    let other = DataOwnerId::from_uuid(s.ids.next_id());
    let salt = Salt::from_ids(s.ids.next_id(), s.ids.next_id());
    let kari = salt.hash(&phone("+4791000001"));
    let ola = salt.hash(&phone("+4791000002"));
    let entry = |data_owner, phone_hash: &str, minutes| DoNotContact {
        data_owner,
        salt: salt.clone(),
        phone_hash: phone_hash.to_owned(),
        listed_at: at(minutes),
    };
    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(read.do_not_contact_salt(owner).await.expect("read"), None);
    drop(read);
    let mut uow = store.begin().await.expect("begin");
    uow.list_do_not_contact(&entry(owner, &kari, 1))
        .await
        .expect("list");
    uow.list_do_not_contact(&entry(owner, &ola, 2))
        .await
        .expect("list");
    uow.list_do_not_contact(&entry(other, &kari, 3))
        .await
        .expect("list");
    uow.list_do_not_contact(&entry(owner, &kari, 4))
        .await
        .expect("listing again is no error");
    uow.commit().await.expect("commit");

    let mut read = store.begin_read().await.expect("begin");
    assert_eq!(
        read.do_not_contact_salt(owner).await.expect("read"),
        Some(salt.clone())
    );
    let unknown = salt.hash(&phone("+4791000003"));
    let mut listed = read
        .do_not_contact_listed(
            owner,
            &[unknown.clone(), ola.clone(), kari.clone(), ola.clone()],
        )
        .await
        .expect("read");
    listed.sort();
    let mut expected = vec![kari.clone(), ola.clone()];
    expected.sort();
    assert_eq!(
        listed, expected,
        "do_not_contact_listed MUST give the listed hashes among those asked, each once"
    );
    assert_eq!(
        read.do_not_contact_listed(other, std::slice::from_ref(&ola))
            .await
            .expect("read"),
        Vec::<String>::new(),
        "another data owner's list MUST NOT bar the number"
    );
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = read.do_not_contact_after(after, 2).await.expect("read");
        let Some(last) = page.last() else { break };
        after = Some((last.data_owner, last.phone_hash.clone()));
        all.extend(page);
    }
    let mut expected = vec![
        entry(owner, &kari, 1),
        entry(owner, &ola, 2),
        entry(other, &kari, 3),
    ];
    expected.sort_by(|x, y| (x.data_owner, &x.phone_hash).cmp(&(y.data_owner, &y.phone_hash)));
    assert_eq!(
        all, expected,
        "do_not_contact_after MUST page every list by data owner then hash, the first entry of a hash kept"
    );
}
