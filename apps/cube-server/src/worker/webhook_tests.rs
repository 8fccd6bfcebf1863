//! Outbound webhooks end to end through the outbox worker's round: an admin registers an
//! endpoint, a seller registers an outcome, and the round POSTs the signed body to a tiny
//! receiver on 127.0.0.1 through the real `SignedWebhookGateway`. The receiver answers 500
//! first: the webhook is deferred, not lost, and delivered once after its back-off, with the
//! same delivery id and a signature the receiver's check accepts.

use cube_app::Cube;
use cube_app::webhooks::NewWebhookEndpoint;
use cube_domain::outcome::RegisterOutcome;
use cube_domain::ports::Store;
use cube_domain::webhooks::{
    DEFAULT_TOLERANCE_SECONDS, DELIVERY_HEADER, SIGNATURE_HEADER, verify_signature,
};
use cube_gateways::SignedWebhookGateway;
use cube_testkit::fixtures::{SalesFlow, T0, World};
use cube_testkit::{FixedClock, MemoryStore, RecordingEmail, RecordingSms, SequentialIds};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// A receiver on 127.0.0.1 that answers 500 to the first request and 204 after.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let mut all = kept.lock().expect("not poisoned");
                all.push((headers, body));
                if all.len() == 1 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/hook"), received)
}

#[tokio::test]
async fn an_outcome_is_posted_signed_and_a_500_is_retried_then_delivered_once() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 2)
        .await
        .expect("the world builds");
    let cube = Cube::new(store.clone(), clock.clone(), ids);
    let (url, received) = receiver().await;
    let endpoint = cube
        .create_webhook_endpoint(
            world.admin.id,
            NewWebhookEndpoint {
                url,
                events: vec!["outcome_registered".into()],
                enabled: true,
                secret: [5; 32],
            },
        )
        .await
        .expect("registered");

    let seller = world.seller(0);
    let item = cube
        .next_customer(seller, world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    cube.register_outcome(
        seller,
        item.enrollment.id(),
        RegisterOutcome::new(SalesFlow::O_NO_SALE),
        None,
    )
    .await
    .expect("registered");

    let gateway =
        SignedWebhookGateway::new(&cube_gateways::HttpSettings::new(Duration::from_secs(5)))
            .expect("a client");
    let (sms, email) = (RecordingSms::new(), RecordingEmail::new());
    let round = || cube.deliver_outbox(&sms, &email, &gateway, 100);

    let first = round().await.expect("a round");
    assert_eq!(first.delivered, 0, "{first:?}");
    assert_eq!(first.retry.len(), 1, "the 500 is tried again: {first:?}");
    let again = round().await.expect("a round");
    assert_eq!(again.delivered, 0, "not before its back-off: {again:?}");
    assert_eq!(received.lock().expect("lock").len(), 1);

    clock.advance(time::Duration::seconds(31));
    let later = round().await.expect("a round");
    assert_eq!(later.delivered, 1, "{later:?}");
    let after = round().await.expect("a round");
    assert_eq!(after.delivered, 0, "delivered once: {after:?}");

    let received = received.lock().expect("lock");
    assert_eq!(received.len(), 2, "one failed attempt, one delivery");
    let (failed, delivered) = (&received[0], &received[1]);
    assert_eq!(
        failed.0[DELIVERY_HEADER], delivered.0[DELIVERY_HEADER],
        "a retry carries the same delivery id"
    );
    let now = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs(),
    )
    .expect("fits");
    let (headers, body) = delivered;
    let signature = headers[SIGNATURE_HEADER].to_str().expect("ascii");
    assert_eq!(
        verify_signature(
            endpoint.secret.expose(),
            signature,
            body.as_bytes(),
            now,
            DEFAULT_TOLERANCE_SECONDS
        ),
        Ok(()),
        "the receiver's check accepts the signature"
    );
    assert!(
        verify_signature(&"0".repeat(64), signature, body.as_bytes(), now, 300).is_err(),
        "another secret does not"
    );
    let body: serde_json::Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(body["event"], "outcome_registered");
    assert_eq!(
        body["customer"],
        item.enrollment.customer().to_string(),
        "{body}"
    );
    assert_eq!(body["enrollment"], item.enrollment.id().to_string());
    assert_eq!(body["organisation"], world.organisation.id.to_string());
}
