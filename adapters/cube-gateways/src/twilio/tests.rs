//! The Twilio-style gateway against a local HTTPS provider on 127.0.0.1 speaking the
//! protocol (`crate::testing`: a CA and certificate made at run time with rcgen): the form
//! and basic auth arrive over TLS, a wrong CA is refused before anything is sent, and each
//! kind of answer maps to its fate.

use super::*;
use crate::client::CaFile;
use crate::testing::{TestCa, serve_https};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use cube_domain::values::PhoneNumber;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SID: &str = "ACtest0001";
const TOKEN: &str = "s3cret-token";
/// `Basic base64("ACtest0001:s3cret-token")`.
const AUTHORIZATION: &str = "Basic QUN0ZXN0MDAwMTpzM2NyZXQtdG9rZW4=";

/// What the provider does with the `n`th request (from 0).
type Script = fn(usize) -> Response;

/// One request the provider got: the account in its path, its headers and form.
type Request = (String, HeaderMap, HashMap<String, String>);

#[derive(Clone)]
struct Provider {
    script: Script,
    seen: Arc<Mutex<Vec<Request>>>,
}

async fn messages(
    State(provider): State<Provider>,
    Path(account): Path<String>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
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

/// A Twilio-style provider over HTTPS, certified by `ca`; returns its base URL and what it got.
async fn provider(ca: &TestCa, script: Script) -> (String, Arc<Mutex<Vec<Request>>>) {
    let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(messages),
        )
        .with_state(Provider {
            script,
            seen: seen.clone(),
        });
    (serve_https(ca, app).await, seen)
}

fn created(n: usize) -> Response {
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"sid": format!("SM{n:032}"), "status": "queued"})),
    )
        .into_response()
}

fn trusting(ca: &TestCa, timeout: Duration) -> HttpSettings {
    let file = CaFile::from_pem("test-ca.pem", ca.pem().as_bytes()).expect("the CA reads");
    HttpSettings::new(timeout).trusting(file)
}

fn gateway(base: &str, http: &HttpSettings) -> TwilioSmsGateway {
    let settings = TwilioSettings::new(base, SID, TOKEN).expect("settings");
    TwilioSmsGateway::new(settings, http).expect("client")
}

fn message() -> SmsMessage {
    SmsMessage {
        from: "AcmeEnergi".into(),
        to: PhoneNumber::parse("+4791234567").expect("valid"),
        body: "Hei Kari, takk for praten! Svar JA for å bekrefte.".into(),
    }
}

#[tokio::test]
async fn a_message_is_delivered_over_https_with_basic_auth_and_the_form_fields() {
    let ca = TestCa::new("Cube test CA");
    let (base, seen) = provider(&ca, created).await;
    let sent = gateway(&base, &trusting(&ca, Duration::from_secs(5)))
        .send("0190c0de-0000-7000-8000-000000000001", &message())
        .await;
    assert_eq!(sent, Ok(format!("SM{:032}", 0)));
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1);
    let (account, headers, form) = &seen[0];
    assert_eq!(account, SID);
    assert_eq!(headers["authorization"], AUTHORIZATION);
    assert_eq!(
        headers["idempotency-key"],
        "0190c0de-0000-7000-8000-000000000001"
    );
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    let expected: HashMap<String, String> = [
        ("To", "+4791234567"),
        ("From", "AcmeEnergi"),
        ("Body", "Hei Kari, takk for praten! Svar JA for å bekrefte."),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(form, &expected);
}

#[tokio::test]
async fn a_provider_certified_by_another_ca_is_refused_and_nothing_is_sent() {
    let ca = TestCa::new("Cube test CA");
    let (base, seen) = provider(&ca, created).await;
    // The operator's CA file holds another CA; and without one, the system's roots do not
    // know the test CA either.
    let other = TestCa::new("Some other CA");
    for http in [
        trusting(&other, Duration::from_secs(5)),
        HttpSettings::new(Duration::from_secs(5)),
    ] {
        let sent = gateway(&base, &http).send("m-1", &message()).await;
        assert!(
            matches!(&sent, Err(GatewayError::Unavailable(reason))
                if reason.contains(&base) && reason.contains("certificate")),
            "{sent:?}"
        );
    }
    assert!(
        seen.lock().expect("lock").is_empty(),
        "no request got through"
    );
}

#[tokio::test]
async fn a_500_is_retried_and_the_retry_sends_once_with_the_same_key() {
    let ca = TestCa::new("Cube test CA");
    let (base, seen) = provider(&ca, |n| {
        if n == 0 {
            (StatusCode::INTERNAL_SERVER_ERROR, "upstream hiccup").into_response()
        } else {
            created(n)
        }
    })
    .await;
    let gateway = gateway(&base, &trusting(&ca, Duration::from_secs(5)));
    let first = gateway.send("m-500", &message()).await;
    assert!(
        matches!(&first, Err(GatewayError::Unavailable(r)) if r.contains("500") && r.contains("upstream hiccup")),
        "{first:?}"
    );
    assert_eq!(
        gateway.send("m-500", &message()).await,
        Ok(format!("SM{:032}", 1))
    );
    let seen = seen.lock().expect("lock");
    let keys: Vec<_> = seen
        .iter()
        .map(|(_, h, _)| h["idempotency-key"].clone())
        .collect();
    assert_eq!(keys, ["m-500", "m-500"]);
}

#[tokio::test]
async fn a_provider_that_does_not_answer_in_time_is_unavailable() {
    let ca = TestCa::new("Cube test CA");
    let app = Router::new().route(
        "/2010-04-01/Accounts/{account}/Messages.json",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            created(0)
        }),
    );
    let base = serve_https(&ca, app).await;
    let sent = gateway(&base, &trusting(&ca, Duration::from_millis(300)))
        .send("m-slow", &message())
        .await;
    assert!(
        matches!(&sent, Err(GatewayError::Unavailable(r)) if r.contains("did not answer in time")),
        "{sent:?}"
    );
}

#[tokio::test]
async fn answers_map_to_rejected_misconfigured_or_unavailable() {
    let ca = TestCa::new("Cube test CA");
    let http = trusting(&ca, Duration::from_secs(5));
    // A wrong AuthToken: the provider's 401.
    let (base, _) = provider(&ca, created).await;
    let wrong = TwilioSmsGateway::new(
        TwilioSettings::new(&base, SID, "not-the-token").expect("settings"),
        &http,
    )
    .expect("client");
    let sent = wrong.send("m-401", &message()).await;
    assert!(
        matches!(&sent, Err(GatewayError::Misconfigured(r)) if r.contains("error 20003: Authenticate")),
        "{sent:?}"
    );
    assert!(
        !format!("{sent:?}").contains("not-the-token"),
        "no token in the reason"
    );
    // A bad number: 400 with Twilio's error.
    let (base, _) = provider(&ca, |_| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "code": 21211,
                "message": "The 'To' number +4791234567 is not a valid phone number.",
                "status": 400
            })),
        )
            .into_response()
    })
    .await;
    let sent = gateway(&base, &http).send("m-400", &message()).await;
    assert!(
        matches!(&sent, Err(GatewayError::Rejected(r)) if r.contains("error 21211")),
        "{sent:?}"
    );
    // Too many requests: later.
    let (base, _) = provider(&ca, |_| StatusCode::TOO_MANY_REQUESTS.into_response()).await;
    let sent = gateway(&base, &http).send("m-429", &message()).await;
    assert!(
        matches!(sent, Err(GatewayError::Unavailable(_))),
        "{sent:?}"
    );
    // Taken, but no sid to read: not sent again.
    let (base, _) = provider(&ca, |_| (StatusCode::CREATED, "{}").into_response()).await;
    let sent = gateway(&base, &http).send("m-nosid", &message()).await;
    assert!(matches!(sent, Err(GatewayError::Rejected(_))), "{sent:?}");
}

#[test]
fn settings_are_checked_and_the_token_is_never_shown() {
    let settings =
        TwilioSettings::new("https://api.twilio.com", SID, TOKEN).expect("valid settings");
    assert_eq!(
        settings.resource_url("Messages").expect("url").as_str(),
        "https://api.twilio.com/2010-04-01/Accounts/ACtest0001/Messages.json"
    );
    assert!(!format!("{settings:?}").contains(TOKEN));
    assert!(!settings.to_string().contains(TOKEN));
    for (base, sid, token) in [
        ("ftp://api.twilio.com", SID, TOKEN),
        ("https://api.twilio.com/2010-04-01", SID, TOKEN),
        ("https://AC1:s3cret-token@api.twilio.com", SID, TOKEN),
        ("https://api.twilio.com", "AC/../x", TOKEN),
        ("https://api.twilio.com", "", TOKEN),
        ("https://api.twilio.com", SID, ""),
        ("https://api.twilio.com", SID, "has space"),
    ] {
        let error = TwilioSettings::new(base, sid, token).expect_err(base);
        assert!(!error.to_string().contains(TOKEN), "{error}");
    }
}
