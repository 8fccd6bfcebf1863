//! Delivering the outbox: sent messages are marked delivered, an unavailable provider leaves
//! its message for the next round, a refused one is taken out and reported, and nothing is
//! sent twice by consecutive rounds.

mod common;

use common::Harness;
use cube_domain::ids::OutboxMessageId;
use cube_domain::ports::{EmailMessage, GatewayError, OutboxMessage, OutboxPayload, SmsMessage};
use cube_domain::values::{Email, PhoneNumber};
use cube_testkit::{RecordingEmail, RecordingSms};

fn sms(h: &Harness, n: u128, to: &str) -> OutboxMessage {
    OutboxMessage {
        id: OutboxMessageId::from_uuid(uuid::Uuid::from_u128(0x0B0C_0000 + n)),
        assignment: h.world.assignment.id(),
        enrollment: Some(h.world.enrollments[0].id()),
        payload: OutboxPayload::Sms(SmsMessage {
            from: "AcmeEnergi".into(),
            to: PhoneNumber::parse(to).expect("valid"),
            body: format!("message {n}"),
        }),
        created_at: h.now(),
    }
}

fn email(h: &Harness, n: u128) -> OutboxMessage {
    OutboxMessage {
        id: OutboxMessageId::from_uuid(uuid::Uuid::from_u128(0x0B0C_0000 + n)),
        assignment: h.world.assignment.id(),
        enrollment: None,
        payload: OutboxPayload::Email(EmailMessage {
            from: Email::parse("post@acme.example.com").expect("valid"),
            to: Email::parse("kari@example.no").expect("valid"),
            subject: "Tilbud".into(),
            html: "<p>Hei</p>".into(),
        }),
        created_at: h.now(),
    }
}

async fn enqueue(h: &Harness, messages: &[OutboxMessage]) {
    let mut uow = h.store.begin().await.expect("begin");
    for message in messages {
        uow.enqueue(message).await.expect("enqueue");
    }
    uow.commit().await.expect("commit");
}

async fn pending(h: &Harness) -> Vec<OutboxMessageId> {
    let mut uow = h.store.begin().await.expect("begin");
    let pending = uow.pending_messages(100).await.expect("pending");
    pending.into_iter().map(|m| m.id).collect()
}

#[tokio::test]
async fn a_round_sends_and_marks_what_it_can_and_keeps_what_it_must_retry() {
    let h = Harness::new(1).await;
    let (first, second, third, mail) = (
        sms(&h, 1, "+4791234561"),
        sms(&h, 2, "+4791234562"),
        sms(&h, 3, "+4791234563"),
        email(&h, 4),
    );
    enqueue(
        &h,
        &[first.clone(), second.clone(), third.clone(), mail.clone()],
    )
    .await;
    let gateway = RecordingSms::new();
    let mailer = RecordingEmail::new();
    // The first send finds the provider down.
    gateway.fail_next(1, GatewayError::Unavailable("timeout".into()));
    let report = h
        .cube
        .deliver_outbox(&gateway, &mailer, 100)
        .await
        .expect("a round");
    assert_eq!(report.retry.len(), 1);
    assert_eq!(report.retry[0].0, first.id);
    assert_eq!(report.delivered, 3, "{report:?}");
    assert!(report.rejected.is_empty());
    assert_eq!(gateway.sent().len(), 2);
    assert_eq!(mailer.sent().len(), 1);
    assert_eq!(pending(&h).await, vec![first.id], "only the retry is left");

    // The next round sends the retry, and nothing again.
    let report = h
        .cube
        .deliver_outbox(&gateway, &mailer, 100)
        .await
        .expect("a round");
    assert_eq!(report.delivered, 1);
    assert_eq!(gateway.sent().len(), 3);
    assert!(pending(&h).await.is_empty());
    let report = h
        .cube
        .deliver_outbox(&gateway, &mailer, 100)
        .await
        .expect("a round");
    assert_eq!(report, Default::default());
    assert_eq!(gateway.attempts(), 4);
}

#[tokio::test]
async fn a_refused_message_is_taken_out_and_reported() {
    let h = Harness::new(1).await;
    let refused = sms(&h, 9, "+4791234569");
    enqueue(&h, std::slice::from_ref(&refused)).await;
    let gateway = RecordingSms::new();
    gateway.fail_next(1, GatewayError::Rejected("unknown number".into()));
    let report = h
        .cube
        .deliver_outbox(&gateway, &RecordingEmail::new(), 100)
        .await
        .expect("a round");
    assert_eq!(report.delivered, 0);
    assert_eq!(report.rejected.len(), 1);
    assert!(report.rejected[0].1.contains("unknown number"));
    assert!(pending(&h).await.is_empty(), "not retried forever");
}

#[tokio::test]
async fn a_round_takes_at_most_its_limit_oldest_first() {
    let h = Harness::new(1).await;
    let messages: Vec<OutboxMessage> = (1..=5)
        .map(|n| sms(&h, n, &format!("+479123450{n}")))
        .collect();
    enqueue(&h, &messages).await;
    let gateway = RecordingSms::new();
    let report = h
        .cube
        .deliver_outbox(&gateway, &RecordingEmail::new(), 2)
        .await
        .expect("a round");
    assert_eq!(report.delivered, 2);
    let bodies: Vec<String> = gateway.sent().into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["message 1", "message 2"]);
    assert_eq!(pending(&h).await.len(), 3);
}
