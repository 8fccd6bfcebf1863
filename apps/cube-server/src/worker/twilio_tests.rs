//! SMS through the outbox to a Twilio-style provider over HTTPS, end to end through the
//! worker's round: a seller registers "No sale", whose SMS flow queues a text, and the round
//! sends it with the real `TwilioSmsGateway` to a stand-in provider on 127.0.0.1 (TLS with a
//! CA made at test time, given to the gateway as its CA file). The provider answers 500,
//! then does not answer in time, then takes the message: each failure defers the message
//! (none lost), the third attempt sends it, and it is sent once — every attempt with the same
//! idempotency key. A refused AuthToken stops the round without counting against the message.

use super::tests::{cube_with_an_sms_flow, pending, register_no_sale};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use cube_domain::ports::SmsGateway;
use cube_gateways::testing::{TestCa, serve_https};
use cube_gateways::{CaFile, HttpSettings, TwilioSettings, TwilioSmsGateway};
use cube_testkit::{RecordingEmail, RecordingWebhooks};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SID: &str = "AC00000000000000000000000000000001";
const TOKEN: &str = "the-auth-token";

type Seen = Arc<Mutex<Vec<(HeaderMap, HashMap<String, String>)>>>;

/// A Twilio-style provider: 500 to the first request, silence (10 s, the gateway waits 2) to
/// the second, then `201` with a sid.
async fn provider(ca: &TestCa) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{account}/Messages.json",
        axum::routing::post(
            move |headers: HeaderMap, axum::Form(form): axum::Form<HashMap<String, String>>| {
                let kept = kept.clone();
                async move {
                    let n = {
                        let mut seen = kept.lock().expect("lock");
                        seen.push((headers, form));
                        seen.len()
                    };
                    match n {
                        1 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                        2 => {
                            tokio::time::sleep(Duration::from_secs(10)).await;
                            StatusCode::INTERNAL_SERVER_ERROR.into_response()
                        }
                        _ => (
                            StatusCode::CREATED,
                            axum::Json(serde_json::json!({ "sid": format!("SM{n}") })),
                        )
                            .into_response(),
                    }
                }
            },
        ),
    );
    (serve_https(ca, app).await, seen)
}

fn gateway(ca: &TestCa, base: &str, token: &str) -> TwilioSmsGateway {
    let ca = CaFile::from_pem("ca.pem", ca.pem().as_bytes()).expect("the CA reads");
    let http = HttpSettings::new(Duration::from_secs(2)).trusting(ca);
    TwilioSmsGateway::new(
        TwilioSettings::new(base, SID, token).expect("settings"),
        &http,
    )
    .expect("a client")
}

#[tokio::test]
async fn a_500_and_a_timeout_are_retried_and_the_sms_is_sent_once() {
    let (cube, world, store, clock) = cube_with_an_sms_flow().await;
    let ca = TestCa::new("Cube test CA");
    let (base, seen) = provider(&ca).await;
    register_no_sale(&cube, &world).await;

    let sms = gateway(&ca, &base, TOKEN);
    let (email, webhooks) = (RecordingEmail::new(), RecordingWebhooks::new());
    let round = || cube.deliver_outbox(&sms as &dyn SmsGateway, &email, &webhooks, 100);

    let first = round().await.expect("a round");
    assert_eq!(
        (first.delivered, first.retry.len()),
        (0, 1),
        "the 500: {first:?}"
    );
    clock.advance(time::Duration::seconds(31));
    let second = round().await.expect("a round");
    assert_eq!(
        (second.delivered, second.retry.len()),
        (0, 1),
        "the timeout: {second:?}"
    );
    assert!(
        second.retry[0].1.contains("did not answer in time"),
        "{second:?}"
    );
    clock.advance(time::Duration::seconds(61));
    let third = round().await.expect("a round");
    assert_eq!(third.delivered, 1, "{third:?}");
    clock.advance(time::Duration::hours(1));
    let after = round().await.expect("a round");
    assert_eq!(after.delivered, 0, "sent once: {after:?}");
    assert_eq!(pending(store.as_ref()).await, 0, "marked delivered");

    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 3, "two failed attempts, one delivery");
    let keys: Vec<_> = seen
        .iter()
        .map(|(h, _)| h["idempotency-key"].clone())
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "one key: {keys:?}");
    let (_, form) = &seen[2];
    assert_eq!(form["From"], "AcmeEnergi");
    assert_eq!(form["Body"], "Takk for praten, Customer 00000!");
    assert_eq!(
        Some(form["To"].as_str()),
        world.customers[0]
            .details()
            .phones
            .first()
            .map(|p| p.as_str())
    );
}

#[tokio::test]
async fn a_refused_auth_token_holds_the_sms_back_without_counting_an_attempt() {
    let (cube, world, store, _clock) = cube_with_an_sms_flow().await;
    let ca = TestCa::new("Cube test CA");
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{account}/Messages.json",
        axum::routing::post(|| async {
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(serde_json::json!({"code": 20003, "message": "Authenticate"})),
            )
        }),
    );
    let base = serve_https(&ca, app).await;
    register_no_sale(&cube, &world).await;
    let sms = gateway(&ca, &base, "a-wrong-token");
    let (email, webhooks) = (RecordingEmail::new(), RecordingWebhooks::new());
    let report = cube
        .deliver_outbox(&sms, &email, &webhooks, 100)
        .await
        .expect("a round");
    let blocked = report.blocked.expect("the gateway is misconfigured");
    assert!(blocked.contains("20003"), "{blocked}");
    assert!(!blocked.contains("a-wrong-token"), "{blocked}");
    assert_eq!(report.delivered, 0);
    assert!(report.retry.is_empty() && report.rejected.is_empty());
    assert_eq!(
        pending(store.as_ref()).await,
        1,
        "kept for when it is fixed"
    );
}
