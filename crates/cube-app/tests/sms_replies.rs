//! Texts customers send back to an SMS flow (`cube_app::sms_replies`, issue 17): an
//! approved keyword in time moves the customer on once, as the system; everything else is
//! kept, listed for the managers, and never acted on.

mod common;

use common::*;
use cube_app::AppError;
use cube_domain::assignment::setup::{SmsFlow, SmsReplyRule, SmsSender};
use cube_domain::ids::EnrollmentId;
use cube_domain::sms::{InboundSms, ReplyFate};
use cube_domain::values::PhoneNumber;
use cube_testkit::fixtures::SalesFlow;
use time::Duration;

/// A harness whose assignment's Offer sends an SMS listening for JA (→ Sale) and NEI
/// (→ No sale) for 48 hours, and a seller's Offer registered on the first customer: the
/// enrollment and the number the SMS went to.
async fn offer_sent() -> (Harness, EnrollmentId, PhoneNumber) {
    let h = Harness::new(2).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    setup.sms_flows.insert(
        SalesFlow::O_OFFER,
        SmsFlow {
            template: "Hei {{ name }}! Svar JA for å takke ja til tilbudet, NEI om ikke.".into(),
            reply_window: Duration::hours(48),
            replies: vec![
                SmsReplyRule {
                    keyword: "JA".into(),
                    registers: SalesFlow::O_SALE,
                },
                SmsReplyRule {
                    keyword: "NEI".into(),
                    registers: SalesFlow::O_NO_SALE,
                },
            ],
        },
    );
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("customer");
    h.cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            with_product(command(SalesFlow::O_OFFER), h.product(0), 1),
            None,
        )
        .await
        .expect("offer");
    let phone = item.customer.details().phones[0].clone();
    (h, item.enrollment.id(), phone)
}

fn text(id: &str, from: &PhoneNumber, body: &str) -> InboundSms {
    InboundSms::new(id, from.clone(), body).expect("a valid text")
}

async fn state_of(h: &Harness, enrollment: EnrollmentId) -> cube_domain::ids::StateId {
    let mut uow = h.store.begin_read().await.expect("read");
    uow.enrollment(enrollment)
        .await
        .expect("read")
        .expect("enrolled")
        .state()
}

async fn event_count(h: &Harness) -> usize {
    let mut uow = h.store.begin_read().await.expect("read");
    uow.events_after(None, 1_000).await.expect("log").len()
}

#[tokio::test]
async fn a_yes_to_the_offer_moves_the_customer_on_once_as_the_system() {
    let (h, enrollment, phone) = offer_sent().await;
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::OFFER);
    let events = event_count(&h).await;
    h.clock.advance(Duration::hours(3));

    let reply = h
        .cube
        .receive_sms(text("SM-1", &phone, " ja! "))
        .await
        .expect("taken in");
    let ReplyFate::Registered { outcome, event } = reply.fate.clone() else {
        panic!("an approved keyword in time registers its outcome: {reply:?}")
    };
    assert_eq!(outcome, SalesFlow::O_SALE);
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    assert_eq!(event_count(&h).await, events + 1);
    let mut uow = h.store.begin_read().await.expect("read");
    let logged = uow.events_after(None, 1_000).await.expect("log");
    let last = &logged.last().expect("an event").event;
    assert_eq!(last.id(), event);
    assert_eq!(last.user(), None, "registered by the system, not a user");
    assert_eq!(last.outcome(), Some(SalesFlow::O_SALE));
    drop(uow);

    // The provider posts the same text again: the first answer, nothing new.
    let again = h
        .cube
        .receive_sms(text("SM-1", &phone, " ja! "))
        .await
        .expect("taken in");
    assert_eq!(again, reply);
    assert_eq!(event_count(&h).await, events + 1);

    // A second answer to the same flow is kept, not acted on.
    let second = h
        .cube
        .receive_sms(text("SM-2", &phone, "NEI"))
        .await
        .expect("taken in");
    assert_eq!(second.fate, ReplyFate::AlreadyAnswered);
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    assert_eq!(event_count(&h).await, events + 1);

    // The manager reads both, in the order received; a seller may not.
    let listed = h
        .cube
        .sms_replies(h.world.manager.id, h.world.assignment.id(), None, 100)
        .await
        .expect("listed");
    assert_eq!(listed, vec![reply.clone(), second.clone()]);
    let page = h
        .cube
        .sms_replies(
            h.world.manager.id,
            h.world.assignment.id(),
            Some(reply.id),
            100,
        )
        .await
        .expect("listed");
    assert_eq!(page, vec![second]);
    let refused = h
        .cube
        .sms_replies(h.world.seller(0), h.world.assignment.id(), None, 100)
        .await
        .expect_err("a seller does not manage the assignment");
    assert!(
        matches!(refused, AppError::Forbidden | AppError::NotFound(_)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn unknown_words_late_answers_and_strangers_are_kept_and_never_acted_on() {
    let (h, enrollment, phone) = offer_sent().await;
    let events = event_count(&h).await;

    let unknown = h
        .cube
        .receive_sms(text("SM-1", &phone, "Kanskje, ring meg i morgen"))
        .await
        .expect("taken in");
    assert_eq!(unknown.fate, ReplyFate::UnknownKeyword);
    assert_eq!(
        unknown.flow.as_ref().map(|f| f.enrollment),
        Some(enrollment),
        "matched to the flow sent to the number"
    );

    let stranger = h
        .cube
        .receive_sms(text(
            "SM-2",
            &PhoneNumber::parse("+4740000001").expect("valid"),
            "JA",
        ))
        .await
        .expect("taken in");
    assert_eq!(stranger.fate, ReplyFate::UnknownNumber);
    assert_eq!(stranger.flow, None);

    h.clock.advance(Duration::hours(48) + Duration::seconds(1));
    let late = h
        .cube
        .receive_sms(text("SM-3", &phone, "JA"))
        .await
        .expect("taken in");
    assert_eq!(late.fate, ReplyFate::OutsideWindow);

    assert_eq!(state_of(&h, enrollment).await, SalesFlow::OFFER);
    assert_eq!(event_count(&h).await, events, "nothing was registered");
    let listed = h
        .cube
        .sms_replies(h.world.manager.id, h.world.assignment.id(), None, 100)
        .await
        .expect("listed");
    assert_eq!(
        listed,
        vec![unknown, late],
        "the assignment lists its own texts; a stranger's belongs to none"
    );
}

#[tokio::test]
async fn a_late_yes_does_not_undo_a_move_made_since_and_a_removed_flow_acts_no_more() {
    let (h, enrollment, phone) = offer_sent().await;
    let customer = h.world.customers[0].id();
    h.cube
        .external_state_change(h.world.admin.id, customer, "No sale")
        .await
        .expect("moved by the CRM");
    let events = event_count(&h).await;
    let moved_on = h
        .cube
        .receive_sms(text("SM-1", &phone, "ja"))
        .await
        .expect("taken in");
    assert_eq!(moved_on.fate, ReplyFate::CustomerMovedOn);
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::NO_SALE);
    assert_eq!(event_count(&h).await, events);

    // A fresh offer on the second customer, then the flow is taken out of the setup.
    let (h, enrollment, phone) = offer_sent().await;
    let mut setup = h
        .cube
        .assignment(h.world.manager.id, h.world.assignment.id())
        .await
        .expect("read")
        .setup()
        .clone();
    setup.sms_flows.clear();
    h.cube
        .update_assignment_setup(h.world.manager.id, h.world.assignment.id(), setup, None)
        .await
        .expect("setup");
    let removed = h
        .cube
        .receive_sms(text("SM-1", &phone, "ja"))
        .await
        .expect("taken in");
    assert!(
        matches!(&removed.fate, ReplyFate::Refused { reason } if reason.contains("no longer")),
        "{removed:?}"
    );
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::OFFER);
}

#[tokio::test]
async fn every_template_of_a_setup_may_only_use_merge_fields_a_customer_has() {
    use cube_domain::assignment::AssignmentError;
    use cube_domain::assignment::setup::Template;
    use cube_domain::sms::TemplateError;
    use cube_domain::values::{Email, Name};
    let h = Harness::new(1).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let base = h.world.assignment.setup().clone();
    let template = |name: &str, subject: &str, body: &str| Template {
        name: Name::parse(name).expect("a name"),
        subject: subject.into(),
        body: body.into(),
    };
    let try_setup = |change: Box<
        dyn FnOnce(&mut cube_domain::assignment::setup::AssignmentSetup),
    >| {
        let mut setup = base.clone();
        setup.communication.mail_from = Some(Email::parse("salg@acme.example.no").expect("valid"));
        change(&mut setup);
        let cube = &h.cube;
        async move {
            cube.update_assignment_setup(manager, assignment, setup, None)
                .await
        }
    };
    // The contact fields and the data owner's CRM keys are known.
    try_setup(Box::new(move |s| {
        s.communication.sms_templates = vec![template(
            "Påminnelse",
            "",
            "Hei {{ name }} ({{ industry }}), vi ringer {{ phone }}.",
        )];
        s.communication.email_templates = vec![template(
            "Tilbud",
            "Til {{ name }}",
            "<p>{{ address }} {{ email }}</p>",
        )];
    }))
    .await
    .expect("known merge fields are accepted");
    for (change, named) in [
        (
            Box::new(|s: &mut cube_domain::assignment::setup::AssignmentSetup| {
                s.communication.sms_templates = vec![template("Påminnelse", "", "Hei {{ navn }}")];
            }) as Box<dyn FnOnce(&mut _)>,
            "navn",
        ),
        (
            Box::new(|s: &mut cube_domain::assignment::setup::AssignmentSetup| {
                s.communication.email_templates =
                    vec![template("Tilbud", "Til {{ firma }}", "<p>Hei</p>")];
            }),
            "firma",
        ),
    ] {
        let refused = try_setup(change).await.expect_err("an unknown merge field");
        let AppError::Assignment(AssignmentError::Template { error, .. }) = &refused else {
            panic!("{refused:?}")
        };
        assert_eq!(error, &TemplateError::UnknownField(named.into()));
    }
    let refused = try_setup(Box::new(|s| {
        s.communication.sms_templates = vec![template("Påminnelse", "", "Hei {{ name")];
    }))
    .await
    .expect_err("an open merge field");
    assert!(refused.to_string().contains("never closed"), "{refused}");
}

/// An assignment with an SMS sender and a "Påminnelse" template, and seller 0 holding a
/// customer: the setup (to change further), the seller and what they hold.
async fn holding_with_a_reminder(
    h: &Harness,
) -> (
    cube_domain::assignment::setup::AssignmentSetup,
    cube_domain::ids::UserId,
    cube_app::work::WorkItem,
) {
    use cube_domain::assignment::setup::Template;
    use cube_domain::values::Name;
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    setup.communication.sms_templates = vec![Template {
        name: Name::parse("Påminnelse").expect("a name"),
        subject: String::new(),
        body: "Hei {{ name }}! Vi ringte deg i dag – ring oss gjerne tilbake.".into(),
    }];
    h.cube
        .update_assignment_setup(
            h.world.manager.id,
            h.world.assignment.id(),
            setup.clone(),
            None,
        )
        .await
        .expect("setup");
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, h.world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    (setup, seller, item)
}

#[tokio::test]
async fn a_seller_sends_a_template_from_the_card_of_the_customer_they_hold() {
    use cube_app::error::WorkError;
    use cube_domain::ports::OutboxPayload;
    let h = Harness::new(2).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let (mut setup, seller, item) = holding_with_a_reminder(&h).await;
    let enrollment = item.enrollment.id();

    let sent = h
        .cube
        .send_sms(seller, enrollment, "påminnelse")
        .await
        .expect("the seller holds the customer");
    assert_eq!(sent.to, item.customer.details().phones[0]);
    assert_eq!(
        sent.body,
        format!(
            "Hei {}! Vi ringte deg i dag – ring oss gjerne tilbake.",
            item.customer.details().name
        )
    );
    assert_eq!(sent.length.segments, 1);
    let mut uow = h.store.begin_read().await.expect("read");
    let pending = uow.pending_messages(10).await.expect("outbox");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, sent.message);
    assert_eq!(pending[0].enrollment, Some(enrollment));
    let OutboxPayload::Sms(queued) = &pending[0].payload else {
        panic!("an SMS")
    };
    assert_eq!(
        (queued.from.as_str(), &queued.body),
        ("AcmeEnergi", &sent.body)
    );
    drop(uow);

    // Another seller does not hold the customer; an unknown template is named.
    let other = h
        .cube
        .send_sms(h.world.seller(1), enrollment, "Påminnelse")
        .await
        .expect_err("not their customer");
    assert_eq!(
        other.kind(),
        cube_app::error::ErrorKind::Forbidden,
        "{other:?}"
    );
    let unknown = h
        .cube
        .send_sms(seller, enrollment, "Velkommen")
        .await
        .expect_err("no such template");
    assert_eq!(
        unknown,
        AppError::Work(WorkError::NoSmsTemplate("Velkommen".into()))
    );

    // On the do-not-call list: refused, nothing queued.
    h.cube
        .set_do_not_call(
            manager,
            item.customer.id(),
            Some("ba om å ikke bli kontaktet"),
        )
        .await
        .expect("listed");
    let barred = h
        .cube
        .send_sms(seller, enrollment, "Påminnelse")
        .await
        .expect_err("on the list");
    assert_eq!(barred, AppError::Work(WorkError::OnDoNotCallList));

    // Without a sender: refused.
    setup.communication.sms_sender = None;
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    let no_sender = h
        .cube
        .send_sms(manager, enrollment, "Påminnelse")
        .await
        .expect_err("no sender");
    assert_eq!(no_sender, AppError::Work(WorkError::NoSmsSender));
    let mut uow = h.store.begin_read().await.expect("read");
    assert_eq!(uow.pending_messages(10).await.expect("outbox").len(), 1);
}

#[tokio::test]
async fn a_double_click_under_one_key_queues_one_sms_and_answers_the_first() {
    use cube_domain::idempotency::{IdempotencyError, RequestKey};
    let h = Harness::new(2).await;
    let (_, seller, item) = holding_with_a_reminder(&h).await;
    let enrollment = item.enrollment.id();
    let key = RequestKey::parse("kort-7f3a").expect("key");

    let first = h
        .cube
        .send_sms_keyed(seller, enrollment, "Påminnelse", Some(&key))
        .await
        .expect("sent");
    h.clock.advance(Duration::seconds(1));
    let again = h
        .cube
        .send_sms_keyed(seller, enrollment, " påminnelse ", Some(&key))
        .await
        .expect("the same request again");
    assert_eq!(again, first, "a retry MUST answer with the first SMS");
    // The key keeps no personal data: the answer is read back from the outbox.
    let mut uow = h.store.begin_read().await.expect("read");
    let kept = uow
        .kept_request(seller, &key)
        .await
        .expect("read")
        .expect("kept");
    drop(uow);
    let digits = first.to.as_str().trim_start_matches('+');
    assert!(
        !kept.answer.contains(digits) && !kept.answer.contains("Hei"),
        "{}",
        kept.answer
    );
    let mut uow = h.store.begin_read().await.expect("read");
    assert_eq!(
        uow.pending_messages(10).await.expect("outbox").len(),
        1,
        "one SMS queued for two clicks"
    );
    drop(uow);

    // The key with another request is refused, and sends nothing.
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    for (name, body) in [
        (
            "Påminnelse",
            "Hei {{ name }}! Vi ringte deg i dag – ring oss gjerne tilbake.",
        ),
        ("Takk", "Takk for praten!"),
    ] {
        setup
            .communication
            .sms_templates
            .push(cube_domain::assignment::setup::Template {
                name: cube_domain::values::Name::parse(name).expect("a name"),
                subject: String::new(),
                body: body.into(),
            });
    }
    h.cube
        .update_assignment_setup(h.world.manager.id, h.world.assignment.id(), setup, None)
        .await
        .expect("two templates");
    let reused = h
        .cube
        .send_sms_keyed(seller, enrollment, "Takk", Some(&key))
        .await
        .expect_err("another template under the key");
    assert_eq!(
        reused,
        AppError::Idempotency(IdempotencyError::AnotherRequest)
    );
    // A manager's same key is theirs: a new request.
    let by_manager = h
        .cube
        .send_sms_keyed(h.world.manager.id, enrollment, "Påminnelse", Some(&key))
        .await
        .expect("the manager's own key");
    assert_ne!(by_manager.message, first.message);
    // Two days later the key is forgotten: the same request sends again.
    h.clock.advance(Duration::days(2) + Duration::minutes(1));
    assert_eq!(h.cube.forget_old_request_keys().await.expect("forget"), 2);
    let later = h
        .cube
        .send_sms_keyed(h.world.manager.id, enrollment, "Påminnelse", Some(&key))
        .await
        .expect("sent again");
    assert_ne!(
        later.message, by_manager.message,
        "a forgotten key sends anew"
    );
}

#[tokio::test]
async fn a_text_sent_to_our_sender_answers_our_flow_even_when_another_came_later() {
    use cube_domain::ids::{AssignmentId, OutboxMessageId, OutcomeEventId, OutcomeId, StateId};
    use cube_domain::sms::SentSmsFlow;
    let (h, enrollment, phone) = offer_sent().await;
    // Another organisation's flow to the same person, an hour later, from its own sender.
    h.clock.advance(Duration::hours(1));
    let theirs = SentSmsFlow {
        message: OutboxMessageId::from_uuid(uuid::Uuid::from_u128(0xfeed)),
        assignment: AssignmentId::from_uuid(uuid::Uuid::from_u128(0xfeed)),
        enrollment: EnrollmentId::from_uuid(uuid::Uuid::from_u128(0xfeed)),
        event: OutcomeEventId::from_uuid(uuid::Uuid::from_u128(0xfeed)),
        outcome: OutcomeId::from_uuid(uuid::Uuid::from_u128(0xfeed)),
        state: StateId::from_uuid(uuid::Uuid::from_u128(0xfeed)),
        to: phone.clone(),
        sender: "OtherCo".into(),
        sent_at: h.now(),
    };
    let mut uow = h.store.begin().await.expect("begin");
    uow.record_sms_flow(&theirs).await.expect("recorded");
    uow.commit().await.expect("commit");

    let ours = h
        .cube
        .receive_sms(
            text("SM-1", &phone, "JA")
                .sent_to(Some("acmeenergi"))
                .expect("a recipient"),
        )
        .await
        .expect("taken in");
    assert!(ours.fate.acted(), "{ours:?}");
    assert_eq!(ours.flow.as_ref().map(|f| f.enrollment), Some(enrollment));
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);

    // Without a recipient the latest flow to the number is the one answered: theirs.
    let unsaid = h
        .cube
        .receive_sms(text("SM-2", &phone, "JA"))
        .await
        .expect("taken in");
    assert_eq!(unsaid.flow, Some(theirs));
    assert!(!unsaid.fate.acted(), "{unsaid:?}");
}
