//! Delivering the outbox: sent messages are marked delivered, an unavailable provider's
//! message is deferred with a growing back-off and given up on after its last attempt, a
//! refused one is kept as failed with the reason, a claimed message waits out its claim, and
//! nothing is sent twice by consecutive rounds.

mod common;

use common::Harness;
use cube_app::outbox::DeliveryReport;
use cube_domain::ids::OutboxMessageId;
use cube_domain::ports::{EmailMessage, GatewayError, OutboxMessage, OutboxPayload, SmsMessage};
use cube_domain::values::{Email, PhoneNumber};
use cube_testkit::{RecordingEmail, RecordingSms, RecordingWebhooks};

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
            account: None,
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

/// One delivery round of up to 100 messages.
async fn round(h: &Harness, sms: &RecordingSms, email: &RecordingEmail) -> DeliveryReport {
    h.cube
        .deliver_outbox(sms, email, &RecordingWebhooks::new(), 100)
        .await
        .expect("a delivery round")
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
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report.retry.len(), 1);
    assert_eq!(report.retry[0].0, first.id);
    assert_eq!(report.delivered, 3, "{report:?}");
    assert!(report.rejected.is_empty());
    assert_eq!(gateway.sent().len(), 2);
    assert_eq!(mailer.sent().len(), 1);
    assert_eq!(report.retry[0].2, 1, "one failed attempt");
    assert_eq!(pending(&h).await, vec![first.id], "only the retry is left");

    // The retry waits out its back-off (30 s): a round before that sends nothing.
    h.clock.advance(time::Duration::seconds(29));
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report, Default::default());
    assert_eq!(gateway.attempts(), 3);

    // After it, the next round sends the retry, and nothing again.
    h.clock.advance(time::Duration::seconds(1));
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report.delivered, 1);
    assert_eq!(gateway.sent().len(), 3);
    assert!(pending(&h).await.is_empty());
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report, Default::default());
    assert_eq!(gateway.attempts(), 4);
    // Each attempt carried the message id as its idempotency key, the retry the same one.
    let key = |m: &OutboxMessage| m.id.to_string();
    assert_eq!(
        gateway.keys(),
        [key(&first), key(&second), key(&third), key(&first)]
    );
    assert_eq!(mailer.keys(), [key(&mail)]);
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
        .deliver_outbox(
            &gateway,
            &RecordingEmail::new(),
            &RecordingWebhooks::new(),
            100,
        )
        .await
        .expect("a round");
    assert_eq!(report.delivered, 0);
    assert_eq!(report.rejected.len(), 1);
    assert!(report.rejected[0].1.contains("unknown number"));
    assert!(pending(&h).await.is_empty(), "not retried forever");
    let mut uow = h.store.begin().await.expect("begin");
    let failed = uow
        .failed_messages(&[h.world.assignment.id()], 10)
        .await
        .expect("failed");
    assert_eq!(failed.len(), 1, "kept as failed, not as delivered");
    assert_eq!(failed[0].message, refused);
    assert!(failed[0].reason.contains("unknown number"), "{failed:?}");
    drop(uow);

    // Admins and the assignment's managers see it through the use case; nobody else does.
    for who in [h.world.admin.id, h.world.manager.id] {
        let seen = h.cube.failed_messages(who, 10).await.expect("listed");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].message.id, refused.id);
    }
    for who in [h.world.seller(0), h.world.client_user.id] {
        let seen = h.cube.failed_messages(who, 10).await;
        assert_eq!(seen.map(|_| ()), Err(cube_app::AppError::Forbidden));
    }
    let stranger = h.other_admin().await;
    let seen = h.cube.failed_messages(stranger.id, 10).await;
    assert_eq!(seen.expect("their own, none"), vec![]);
}

/// A provider that stays unavailable: each failure defers the message by a longer back-off,
/// and after the last attempt it is given up on and kept as failed with the last error.
#[tokio::test]
async fn a_message_is_given_up_on_after_its_last_attempt() {
    use cube_domain::ports::{MAX_DELIVERY_ATTEMPTS, retry_delay};
    let h = Harness::new(1).await;
    let doomed = sms(&h, 7, "+4791234567");
    enqueue(&h, std::slice::from_ref(&doomed)).await;
    let gateway = RecordingSms::new();
    let mailer = RecordingEmail::new();
    gateway.fail_next(
        MAX_DELIVERY_ATTEMPTS as usize,
        GatewayError::Unavailable("503 from the provider".into()),
    );
    for attempt in 1..MAX_DELIVERY_ATTEMPTS {
        let report = round(&h, &gateway, &mailer).await;
        assert_eq!(report.retry.len(), 1, "attempt {attempt}: {report:?}");
        assert_eq!(report.retry[0].2, attempt);
        let delay = retry_delay(attempt).expect("not the last attempt");
        h.clock.advance(delay - time::Duration::seconds(1));
        let early = round(&h, &gateway, &mailer).await;
        assert_eq!(
            early,
            Default::default(),
            "attempt {attempt} waits its back-off"
        );
        h.clock.advance(time::Duration::seconds(1));
    }
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report.given_up.len(), 1, "{report:?}");
    assert!(report.given_up[0].1.contains("503 from the provider"));
    assert_eq!(gateway.attempts(), u64::from(MAX_DELIVERY_ATTEMPTS));
    assert!(pending(&h).await.is_empty());
    let mut uow = h.store.begin().await.expect("begin");
    let failed = uow
        .failed_messages(&[h.world.assignment.id()], 10)
        .await
        .expect("failed");
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].reason.contains("given up after 30 attempts"),
        "{failed:?}"
    );
}

/// A round that claimed messages and then died (a crashed process) keeps them from other
/// rounds until its claim runs out; then they are sent.
#[tokio::test]
async fn a_claimed_message_waits_out_the_claim() {
    let h = Harness::new(1).await;
    let message = sms(&h, 5, "+4791234565");
    enqueue(&h, std::slice::from_ref(&message)).await;
    let now = h.now();
    let mut uow = h.store.begin().await.expect("begin");
    let claimed = uow
        .claim_messages(10, now, now + cube_app::outbox::CLAIM)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    uow.commit().await.expect("commit");

    let gateway = RecordingSms::new();
    let mailer = RecordingEmail::new();
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report, Default::default(), "claimed by the dead round");
    h.clock.advance(cube_app::outbox::CLAIM);
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report.delivered, 1);
    assert_eq!(gateway.sent().len(), 1);
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
        .deliver_outbox(
            &gateway,
            &RecordingEmail::new(),
            &RecordingWebhooks::new(),
            2,
        )
        .await
        .expect("a round");
    assert_eq!(report.delivered, 2);
    let bodies: Vec<String> = gateway.sent().into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["message 1", "message 2"]);
    assert_eq!(pending(&h).await.len(), 3);

    // More than one claim's worth: the round claims chunk after chunk up to its limit.
    let more: Vec<OutboxMessage> = (10..35)
        .map(|n| sms(&h, n, &format!("+47912345{n:02}")))
        .collect();
    enqueue(&h, &more).await;
    let report = h
        .cube
        .deliver_outbox(
            &gateway,
            &RecordingEmail::new(),
            &RecordingWebhooks::new(),
            24,
        )
        .await
        .expect("a round");
    assert_eq!(report.delivered, 24, "3 + 21 of the 25 new ones");
    assert_eq!(pending(&h).await.len(), 4);
}

/// A gateway that says it is misconfigured (credentials refused) sends nothing more this
/// round: none of its messages is marked, failed or counted; they wait out the claim and go
/// once it is fixed. The other channel goes on.
#[tokio::test]
async fn a_misconfigured_gateway_holds_its_channel_and_loses_nothing() {
    let h = Harness::new(1).await;
    let messages: Vec<OutboxMessage> = (1..=3)
        .map(|n| sms(&h, n, &format!("+479123450{n}")))
        .collect();
    enqueue(&h, &messages).await;
    let mail = email(&h, 4);
    enqueue(&h, std::slice::from_ref(&mail)).await;
    let gateway = RecordingSms::new();
    let mailer = RecordingEmail::new();
    gateway.fail_next(
        1,
        GatewayError::Misconfigured("HTTP 401 from the SMS bridge".into()),
    );
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(
        report.blocked.as_deref(),
        Some("HTTP 401 from the SMS bridge")
    );
    assert_eq!(report.delivered, 1, "the e-mail went");
    assert_eq!(mailer.sent().len(), 1);
    assert!(report.retry.is_empty() && report.rejected.is_empty());
    assert_eq!(gateway.attempts(), 1, "no SMS tried after the first answer");
    assert_eq!(pending(&h).await.len(), 3, "nothing lost");

    // Fixed: once the claim has run out, every message goes, none counted as an attempt.
    h.clock.advance(cube_app::outbox::CLAIM);
    let now = h.now();
    let mut uow = h.store.begin().await.expect("begin");
    let claimed = uow.claim_messages(10, now, now).await.expect("peek");
    assert!(claimed.iter().all(|c| c.attempts == 0), "{claimed:?}");
    drop(uow);
    let report = round(&h, &gateway, &mailer).await;
    assert_eq!(report.delivered, 3);
    assert!(pending(&h).await.is_empty());
}

/// An operator's shorter timing: a failed message is retried after the first delay set (not
/// 30 s), and a dead round's claim runs out after the claim set (not 5 minutes).
#[tokio::test]
async fn the_outbox_keeps_the_timing_it_is_given() {
    use cube_app::outbox::OutboxTiming;
    let h = Harness::new(1).await;
    let cube = h.cube.clone().with_outbox_timing(OutboxTiming {
        claim: time::Duration::seconds(4),
        first_retry: time::Duration::seconds(2),
    });
    let (failing, claimed) = (sms(&h, 7, "+4791234567"), sms(&h, 8, "+4791234568"));
    enqueue(&h, std::slice::from_ref(&failing)).await;
    let gateway = RecordingSms::new();
    let mailer = RecordingEmail::new();
    let round = |cube: &cube_app::Cube| {
        let cube = cube.clone();
        let (gateway, mailer) = (&gateway, &mailer);
        async move {
            cube.deliver_outbox(gateway, mailer, &RecordingWebhooks::new(), 100)
                .await
                .expect("a delivery round")
        }
    };
    gateway.fail_next(1, GatewayError::Unavailable("timeout".into()));
    assert_eq!(round(&cube).await.retry.len(), 1);
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(
        round(&cube).await,
        Default::default(),
        "the retry waits 2 s"
    );
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(round(&cube).await.delivered, 1, "and is sent after them");

    // A round that claimed a message and died: the claim it took with this timing runs
    // out after 4 s.
    enqueue(&h, std::slice::from_ref(&claimed)).await;
    let dead = cube.clone();
    let blocked = RecordingSms::new();
    blocked.fail_next(
        1,
        GatewayError::Misconfigured("the provider's key is wrong".into()),
    );
    let report = dead
        .deliver_outbox(&blocked, &mailer, &RecordingWebhooks::new(), 100)
        .await
        .expect("a round");
    assert!(report.blocked.is_some(), "left claimed: {report:?}");
    h.clock.advance(time::Duration::seconds(3));
    assert_eq!(round(&cube).await, Default::default(), "still claimed");
    h.clock.advance(time::Duration::seconds(1));
    assert_eq!(round(&cube).await.delivered, 1, "the claim ran out");
    let (failing, claimed) = (failing.id.to_string(), claimed.id.to_string());
    assert_eq!(
        gateway.keys(),
        [failing.clone(), failing, claimed],
        "each sent once more"
    );
}
