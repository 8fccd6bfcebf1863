//! The Twilio-style Calls adapter against a local HTTPS provider speaking the protocol: the
//! form (seller rung first, the caller id in `From` and in the TwiML's `<Dial callerId>`,
//! our events URL with the call's id and the secret as a login), basic auth, and each kind
//! of answer mapped as the SMS gateway's.

use super::*;
use crate::client::CaFile;
use crate::testing::{TestCa, serve_https};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use cube_domain::ids::{CallId, UserId};
use cube_domain::values::PhoneNumber;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SID: &str = "ACtest0001";
const TOKEN: &str = "s3cret-token";
/// `Basic base64("ACtest0001:s3cret-token")`.
const AUTHORIZATION: &str = "Basic QUN0ZXN0MDAwMTpzM2NyZXQtdG9rZW4=";
const EVENTS_SECRET: &str = "events-secret-0123456789";

type Script = fn(usize) -> Response;
type Request = (String, HeaderMap, Vec<(String, String)>);

#[derive(Clone)]
struct Provider {
    script: Script,
    seen: Arc<Mutex<Vec<Request>>>,
}

async fn calls(
    State(provider): State<Provider>,
    Path(account): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let n = {
        let mut seen = provider.seen.lock().expect("lock");
        seen.push((account, headers.clone(), form));
        seen.len() - 1
    };
    if headers.get("authorization").and_then(|h| h.to_str().ok()) != Some(AUTHORIZATION) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(
                serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401}),
            ),
        )
            .into_response();
    }
    (provider.script)(n)
}

async fn provider(ca: &TestCa, script: Script) -> (String, Arc<Mutex<Vec<Request>>>) {
    let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
    let app = Router::new()
        .route("/2010-04-01/Accounts/{account}/Calls.json", post(calls))
        .with_state(Provider {
            script,
            seen: seen.clone(),
        });
    (serve_https(ca, app).await, seen)
}

fn created(n: usize) -> Response {
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"sid": format!("CA{n:032}"), "status": "queued"})),
    )
        .into_response()
}

fn http(ca: &TestCa) -> HttpSettings {
    let file = CaFile::from_pem("test-ca.pem", ca.pem().as_bytes()).expect("the CA reads");
    HttpSettings::new(Duration::from_secs(5)).trusting(file)
}

fn events() -> CallEvents {
    CallEvents::new(
        "https://cube.example.com/api/telephony/events",
        EVENTS_SECRET,
    )
    .expect("events URL")
}

fn telephony(base: &str, http: &HttpSettings, token: &str) -> TwilioTelephony {
    let settings = TwilioSettings::new(base, SID, token).expect("settings");
    TwilioTelephony::new(settings, http, events()).expect("client")
}

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse(raw).expect("valid")
}

fn request() -> CallRequest {
    CallRequest {
        call: CallId::from_uuid(uuid::Uuid::from_u128(0x0190_c0de)),
        seller: UserId::from_uuid(uuid::Uuid::from_u128(7)),
        seller_phone: phone("+4790000001"),
        to: phone("+4791234567"),
        caller_id: phone("+4722334455"),
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[tokio::test]
async fn a_call_rings_the_seller_and_bridges_to_the_customer_with_the_caller_id() {
    let ca = TestCa::new("Cube test CA");
    let (base, seen) = provider(&ca, created).await;
    let placed = telephony(&base, &http(&ca), TOKEN).call(&request()).await;
    assert_eq!(placed, Ok(format!("CA{:032}", 0)));
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1);
    let (account, headers, form) = &seen[0];
    assert_eq!(account, SID);
    assert_eq!(headers["authorization"], AUTHORIZATION);
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    let call_id = request().call.to_string();
    assert_eq!(headers["idempotency-key"], call_id.as_str());
    assert_eq!(
        field(form, "To"),
        ["+4790000001"],
        "the seller is rung first"
    );
    assert_eq!(field(form, "From"), ["+4722334455"], "the caller id");
    assert_eq!(
        field(form, "Twiml"),
        ["<Response><Dial callerId=\"+4722334455\"><Number>+4791234567</Number></Dial></Response>"]
    );
    assert_eq!(
        field(form, "StatusCallback"),
        [format!(
            "https://cube:{EVENTS_SECRET}@cube.example.com/api/telephony/events?call={call_id}"
        )
        .as_str()]
    );
    assert_eq!(field(form, "StatusCallbackMethod"), ["POST"]);
    assert_eq!(
        field(form, "StatusCallbackEvent"),
        ["initiated", "ringing", "answered", "completed"]
    );
}

#[tokio::test]
async fn answers_map_as_the_sms_gateways_do() {
    let ca = TestCa::new("Cube test CA");
    let http = http(&ca);
    // A wrong AuthToken: misconfigured, the token never in the reason.
    let (base, _) = provider(&ca, created).await;
    let placed = telephony(&base, &http, "not-the-token")
        .call(&request())
        .await;
    assert!(
        matches!(&placed, Err(GatewayError::Misconfigured(r)) if r.contains("error 20003: Authenticate")),
        "{placed:?}"
    );
    assert!(!format!("{placed:?}").contains("not-the-token"));
    // An unverified caller id: Twilio's 400 21210, refused for good with its words.
    let (base, _) = provider(&ca, |_| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "code": 21210,
                "message": "The source phone number provided, +4722334455, is not yet verified for your account.",
                "status": 400
            })),
        )
            .into_response()
    })
    .await;
    let placed = telephony(&base, &http, TOKEN).call(&request()).await;
    assert!(
        matches!(&placed, Err(GatewayError::Rejected(r)) if r.contains("error 21210") && r.contains("not yet verified")),
        "{placed:?}"
    );
    // A 500 or 429: unavailable.
    for status in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let (base, _) = provider(
            &ca,
            match status {
                StatusCode::TOO_MANY_REQUESTS => |_| StatusCode::TOO_MANY_REQUESTS.into_response(),
                _ => |_| (StatusCode::INTERNAL_SERVER_ERROR, "upstream hiccup").into_response(),
            },
        )
        .await;
        let placed = telephony(&base, &http, TOKEN).call(&request()).await;
        assert!(
            matches!(placed, Err(GatewayError::Unavailable(_))),
            "{status}: {placed:?}"
        );
    }
    // Taken without a sid: rejected (it may ring anyway; not placed twice).
    let (base, _) = provider(&ca, |_| (StatusCode::CREATED, "{}").into_response()).await;
    let placed = telephony(&base, &http, TOKEN).call(&request()).await;
    assert!(
        matches!(&placed, Err(GatewayError::Rejected(r)) if r.contains("took the call")),
        "{placed:?}"
    );
}

#[tokio::test]
async fn a_provider_that_is_down_is_unavailable() {
    let ca = TestCa::new("Cube test CA");
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let base = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    drop(listener);
    let placed = telephony(&base, &http(&ca), TOKEN).call(&request()).await;
    assert!(
        matches!(&placed, Err(GatewayError::Unavailable(r)) if r.contains("could not be reached")),
        "{placed:?}"
    );
}

#[test]
fn the_twiml_escapes_what_it_carries_and_the_events_url_hides_its_secret() {
    assert_eq!(
        bridge_twiml("+47\"><x", "a&b'"),
        "<Response><Dial callerId=\"+47&quot;&gt;&lt;x\"><Number>a&amp;b&apos;</Number></Dial></Response>"
    );
    let events = events();
    assert_eq!(
        events.to_string(),
        "https://cube.example.com/api/telephony/events"
    );
    assert!(!format!("{events:?}").contains(EVENTS_SECRET));
    for (url, secret) in [
        (
            "https://cube.example.com/api/telephony/events?x=1",
            EVENTS_SECRET,
        ),
        (
            "https://u:p@cube.example.com/api/telephony/events",
            EVENTS_SECRET,
        ),
        ("ftp://cube.example.com/events", EVENTS_SECRET),
        ("https://cube.example.com/api/telephony/events", ""),
        ("https://cube.example.com/api/telephony/events", "has space"),
    ] {
        let error = CallEvents::new(url, secret).expect_err(url);
        assert!(!error.to_string().contains(EVENTS_SECRET), "{error}");
    }
}
