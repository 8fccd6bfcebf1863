//! The webhook gateways against a provider played by a local axum server on `127.0.0.1:0`:
//! what is posted, and how each kind of answer (an id, a refusal, a failure, silence) comes
//! back as the port's result. Nothing here leaves the machine.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use cube_domain::ports::{EmailGateway, EmailMessage, GatewayError, SmsGateway, SmsMessage};
use cube_domain::values::{Email, PhoneNumber};
use cube_gateways::{WebhookEmailGateway, WebhookSmsGateway, WebhookUrl};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the test provider answers every request.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: &'static str,
    delay: Duration,
}

fn answer(status: u16, body: &'static str) -> Answer {
    Answer {
        status,
        body,
        delay: Duration::ZERO,
    }
}

#[derive(Debug)]
struct Provider {
    answer: Answer,
    received: Mutex<Vec<Value>>,
    keys: Mutex<Vec<String>>,
}

impl Provider {
    fn received(&self) -> Vec<Value> {
        self.received.lock().expect("not poisoned").clone()
    }
    fn keys(&self) -> Vec<String> {
        self.keys.lock().expect("not poisoned").clone()
    }
}

async fn take(
    State(provider): State<Arc<Provider>>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    provider.received.lock().expect("not poisoned").push(body);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(none)")
        .to_owned();
    provider.keys.lock().expect("not poisoned").push(key);
    tokio::time::sleep(provider.answer.delay).await;
    let status = StatusCode::from_u16(provider.answer.status).expect("a status");
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        provider.answer.body,
    )
}

/// Starts a provider on a free loopback port; returns its `/messages` URL.
async fn provider(answer: Answer) -> (WebhookUrl, Arc<Provider>) {
    let provider = Arc::new(Provider {
        answer,
        received: Mutex::new(Vec::new()),
        keys: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .route("/messages", post(take))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = WebhookUrl::parse(&format!("http://{address}/messages")).expect("valid");
    (url, provider)
}

fn sms() -> SmsMessage {
    SmsMessage {
        from: "AcmeEnergi".into(),
        to: PhoneNumber::parse("+4791234567").expect("valid"),
        body: "Hei Kari, svar JA for tilbud".into(),
    }
}

fn email() -> EmailMessage {
    EmailMessage {
        from: Email::parse("post@acme.example.com").expect("valid"),
        to: Email::parse("kari@example.no").expect("valid"),
        subject: "Tilbud".into(),
        html: "<p>Hei</p>".into(),
        account: None,
    }
}

/// What a send came back as, reduced to what the outbox acts on.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Sent(String),
    Rejected,
    Unavailable,
    Misconfigured,
}

fn outcome(result: Result<String, GatewayError>) -> Outcome {
    match result {
        Ok(id) => Outcome::Sent(id),
        Err(GatewayError::Rejected(_)) => Outcome::Rejected,
        Err(GatewayError::Unavailable(_)) => Outcome::Unavailable,
        Err(GatewayError::Misconfigured(_)) => Outcome::Misconfigured,
    }
}

/// Sends one SMS to a provider answering `answer` and checks the outcome.
async fn check_sms(answer: Answer, expected: Outcome) -> Result<String, GatewayError> {
    let (url, _provider) = provider(answer).await;
    let gateway = WebhookSmsGateway::new(
        url,
        &cube_gateways::HttpSettings::new(Duration::from_secs(5)),
    )
    .expect("a gateway");
    let result = gateway.send("0b0c-1", &sms()).await;
    assert_eq!(outcome(result.clone()), expected, "{result:?}");
    result
}

#[tokio::test]
async fn an_sms_is_posted_as_json_and_the_provider_id_comes_back() {
    let (url, provider) = provider(answer(200, r#"{"id": "msg-42"}"#)).await;
    let gateway = WebhookSmsGateway::new(
        url,
        &cube_gateways::HttpSettings::new(Duration::from_secs(5)),
    )
    .expect("a gateway");
    assert_eq!(gateway.send("0b0c-1", &sms()).await, Ok("msg-42".into()));
    assert_eq!(
        provider.received(),
        [json!({
            "from": "AcmeEnergi",
            "to": "+4791234567",
            "body": "Hei Kari, svar JA for tilbud",
        })]
    );
    assert_eq!(
        provider.keys(),
        ["0b0c-1"],
        "the idempotency key travels as a header"
    );
}

#[tokio::test]
async fn an_email_is_posted_as_json_and_the_provider_id_comes_back() {
    let (url, provider) = provider(answer(202, r#"{"id": 7}"#)).await;
    let gateway = WebhookEmailGateway::new(
        url,
        &cube_gateways::HttpSettings::new(Duration::from_secs(5)),
    )
    .expect("a gateway");
    assert_eq!(gateway.send("0b0c-2", &email()).await, Ok("7".into()));
    assert_eq!(
        provider.received(),
        [json!({
            "from": "post@acme.example.com",
            "to": "kari@example.no",
            "subject": "Tilbud",
            "html": "<p>Hei</p>",
        })]
    );
}

#[tokio::test]
async fn a_refusal_of_the_message_is_permanent_and_says_why() {
    let error = check_sms(
        answer(400, r#"{"error": "unknown number"}"#),
        Outcome::Rejected,
    )
    .await
    .expect_err("refused");
    assert!(error.to_string().contains("400"), "{error}");
    assert!(error.to_string().contains("unknown number"), "{error}");
    check_sms(answer(422, "{}"), Outcome::Rejected).await.ok();
}

#[tokio::test]
async fn answers_about_the_gateway_or_the_load_are_temporary() {
    for status in [401, 403, 404, 405, 407] {
        check_sms(answer(status, "{}"), Outcome::Misconfigured)
            .await
            .ok();
    }
    for status in [408, 429] {
        check_sms(answer(status, "{}"), Outcome::Unavailable)
            .await
            .ok();
    }
}

#[tokio::test]
async fn a_server_error_is_temporary() {
    for status in [500, 503] {
        check_sms(answer(status, "down for maintenance"), Outcome::Unavailable)
            .await
            .ok();
    }
}

#[tokio::test]
async fn a_success_without_an_id_is_not_sent_again() {
    check_sms(answer(200, "OK"), Outcome::Rejected).await.ok();
    check_sms(answer(200, r#"{"status": "queued"}"#), Outcome::Rejected)
        .await
        .ok();
}

#[tokio::test]
async fn a_provider_that_does_not_answer_in_time_is_temporarily_unavailable() {
    let (url, provider) = provider(Answer {
        status: 200,
        body: r#"{"id": "late"}"#,
        delay: Duration::from_secs(30),
    })
    .await;
    let gateway = WebhookSmsGateway::new(
        url,
        &cube_gateways::HttpSettings::new(Duration::from_millis(300)),
    )
    .expect("a gateway");
    let result = gateway.send("0b0c-1", &sms()).await;
    assert_eq!(outcome(result.clone()), Outcome::Unavailable, "{result:?}");
    assert!(
        format!("{result:?}").contains("in time"),
        "the reason says it was a timeout: {result:?}"
    );
    assert_eq!(provider.received().len(), 1);
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_is_temporarily_unavailable() {
    // A port that was free a moment ago and has no listener now.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("bound");
    drop(listener);
    let url = WebhookUrl::parse(&format!("http://{address}/messages")).expect("valid");
    let gateway = WebhookSmsGateway::new(
        url,
        &cube_gateways::HttpSettings::new(Duration::from_secs(5)),
    )
    .expect("a gateway");
    assert_eq!(
        outcome(gateway.send("0b0c-1", &sms()).await),
        Outcome::Unavailable
    );
}
