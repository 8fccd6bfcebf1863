//! An SMS flow end to end, against the real `cube-server` binary over real HTTP, on the
//! embedded SQLite default and on PostgreSQL (issue 17): the demo's Offer sends an SMS that
//! listens for the answer. A seller registers an Offer; the server's outbox worker delivers
//! the SMS to a local provider stand-in (the generic JSON webhook); the provider posts the
//! customer's "JA" back to `POST /api/sms/inbound` with the shared secret — twice, as a
//! provider that missed our answer does; the customer is then in Sale, the outcome report
//! counts one Sale, and the assignment's texts list the answer once. The same again with the
//! SMS sent over HTTPS to a Twilio-style provider stand-in (form POST, basic auth, the
//! server trusting only the test's CA file).

mod support;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Server, by_name, call, id, json, login, make_offer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SALES: &str = "Strøm vår 2025";
const SECRET: &str = "the-providers-shared-secret-1";

/// The SMS the stand-in provider received, as the webhook gateway posts them.
type Received = Arc<Mutex<Vec<Value>>>;

/// A local SMS provider: takes each SMS posted as JSON, answers with a message id.
async fn provider() -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/sms",
            post(
                |State(received): State<Received>, axum::Json(sms): axum::Json<Value>| async move {
                    let mut all = received.lock().expect("not poisoned");
                    all.push(sms);
                    axum::Json(json!({ "id": format!("out-{}", all.len()) }))
                },
            ),
        )
        .with_state(received.clone());
    let address = support::serve_local(app).await;
    (format!("http://{address}/sms"), received)
}

const ACCOUNT_SID: &str = "AC0000000000000000000000000000e2e1";
const AUTH_TOKEN: &str = "e2e-auth-token";

/// A local Twilio-style provider over HTTPS (a CA made for the test, which the server is
/// given as its CA file): takes each SMS form-posted with the account's basic auth to the
/// Messages resource, keeps it in the webhook's JSON shape, answers `201` with a sid.
/// Returns its base URL, the CA file, and what it received.
async fn twilio_provider() -> (String, std::path::PathBuf, Received) {
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            post(
                |State(received): State<Received>,
                 axum::extract::Path(account): axum::extract::Path<String>,
                 headers: HeaderMap,
                 axum::Form(form): axum::Form<std::collections::HashMap<String, String>>| async move {
                    // `Basic base64("AC…e2e1:e2e-auth-token")`
                    let expected = "Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwZTJlMTplMmUtYXV0aC10b2tlbg==";
                    let authorized = headers.get("authorization").and_then(|h| h.to_str().ok())
                        == Some(expected);
                    if account != ACCOUNT_SID || !authorized {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    let mut all = received.lock().expect("not poisoned");
                    all.push(json!({
                        "from": form.get("From"),
                        "to": form.get("To"),
                        "body": form.get("Body"),
                        "key": headers.get("idempotency-key").and_then(|h| h.to_str().ok()),
                    }));
                    (
                        StatusCode::CREATED,
                        axum::Json(json!({ "sid": format!("SM{:032}", all.len()) })),
                    )
                        .into_response()
                },
            ),
        )
        .with_state(received.clone());
    let ca = cube_gateways::testing::TestCa::new("Cube e2e CA");
    let base = cube_gateways::testing::serve_https(&ca, app).await;
    let ca_file = std::env::temp_dir().join(format!(
        "cube-e2e-ca-{}-{}.pem",
        std::process::id(),
        base.rsplit(':').next().unwrap_or_default()
    ));
    std::fs::write(&ca_file, ca.pem()).expect("the CA file is written");
    (base, ca_file, received)
}

/// The `index`th SMS the provider received, once it has (within 30 seconds).
async fn delivered_sms(received: &Received, index: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(sms) = received.lock().expect("not poisoned").get(index).cloned() {
            return sms;
        }
        assert!(
            Instant::now() < deadline,
            "SMS {index} never reached the provider"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn an_answered_offer(mut server: Server, received: Received) {
    let client = reqwest::Client::new();
    server.wait_until_healthy(&client).await;
    let base = server.base.clone();
    let seller = login(&client, &base, "seller1@demo.example.com").await;
    let admin = login(&client, &base, "admin@demo.example.com").await;
    let get = |token: String, path: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            call(
                &client,
                client.get(format!("{base}{path}")).bearer_auth(token),
            )
            .await
        }
    };

    let (_, assignments) = get(seller.clone(), "/api/assignments".into()).await;
    let sales = id(by_name(&assignments, SALES));
    let (_, overview) = get(seller.clone(), format!("/api/assignments/{sales}")).await;
    let offer = id(by_name(&overview["outcomes"], "Offer"));
    let product = id(&overview["products"][0]);

    // The seller makes an offer; the Offer's SMS flow queues its message, and the worker
    // delivers it to the provider (every second here).
    let follow_up = (OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    let offer_next = || {
        make_offer(
            &client, &base, &seller, &sales, &offer, &product, &follow_up,
        )
    };
    let enrollment = offer_next().await;
    let sms = delivered_sms(&received, 0).await;
    assert_eq!(sms["from"], "CubeDemo");
    let body = sms["body"].as_str().expect("a text");
    assert!(body.contains("Svar JA"), "{body}");
    let number = sms["to"].as_str().expect("a number").to_owned();

    // The customer answers "Ja" — and the provider posts it twice.
    let answer = json!({ "id": "SMx-answer-1", "from": number, "to": "CubeDemo", "text": "Ja" });
    let post_answer = || {
        client
            .post(format!("{base}/api/sms/inbound"))
            .header("X-Cube-Sms-Secret", SECRET)
            .json(&answer)
    };
    let (status, first) = call(&client, post_answer()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["fate"], "registered", "{first}");
    assert_eq!(first["enrollment"], enrollment.as_str());
    let (status, again) = call(&client, post_answer()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again, first,
        "a text posted twice is answered alike and acts once"
    );

    // Without the secret, nothing.
    let (status, _) = call(
        &client,
        client
            .post(format!("{base}/api/sms/inbound"))
            .bearer_auth(&admin)
            .json(&answer),
    )
    .await;
    assert_eq!(status, 401);

    // The customer is in Sale; the outcome report counts the Offer and one Sale.
    let (status, history) = get(
        admin.clone(),
        format!("/api/enrollments/{enrollment}/history"),
    )
    .await;
    assert_eq!(status, 200, "{history}");
    let from = (OffsetDateTime::now_utc() - time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    let to = (OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    let (status, report) = call(
        &client,
        client
            .get(format!(
                "{base}/api/assignments/{sales}/reports/outcomes?from={from}&to={to}"
            ))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["total"], 2, "{report}");
    assert_eq!(report["yes"], 1, "{report}");
    let (status, texts) = get(
        admin.clone(),
        format!("/api/assignments/{sales}/sms-replies"),
    )
    .await;
    assert_eq!(status, 200, "{texts}");
    assert_eq!(texts, json!([first]));
    let (_, status_report) = get(
        admin.clone(),
        format!("/api/assignments/{sales}/reports/status"),
    )
    .await;
    assert!(
        status_report.to_string().contains("Sale"),
        "the status report shows the customer in Sale: {status_report}"
    );

    // A second offer, answered by a dozen texts at once (different ids: the customer wrote
    // "JA" again and again): one registers, the others are already answered — on PostgreSQL
    // too, where they are taken in side by side.
    offer_next().await;
    let number = delivered_sms(&received, 1).await["to"]
        .as_str()
        .expect("a number")
        .to_owned();
    let mut texts = tokio::task::JoinSet::new();
    for n in 0..12 {
        let client = client.clone();
        let url = format!("{base}/api/sms/inbound");
        let body = json!({ "id": format!("SMx-burst-{n}"), "from": number, "text": "JA" });
        texts.spawn(async move {
            let response = client
                .post(url)
                .header("X-Cube-Sms-Secret", SECRET)
                .json(&body)
                .send()
                .await
                .expect("the server answers");
            json(response).await
        });
    }
    let mut fates = Vec::new();
    while let Some(done) = texts.join_next().await {
        let (status, reply) = done.expect("a text was posted");
        assert_eq!(status, 200, "{reply}");
        fates.push(reply["fate"].as_str().unwrap_or_default().to_owned());
    }
    fates.sort();
    let registered = fates.iter().filter(|f| *f == "registered").count();
    let answered = fates.iter().filter(|f| *f == "already_answered").count();
    assert_eq!((registered, answered), (1, 11), "{fates:?}");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_answered_by_sms_on_sqlite() {
    let (url, received) = provider().await;
    let server = support::on_sqlite_with(&[
        ("CUBE_SMS_WEBHOOK", &url),
        ("CUBE_SMS_INBOUND_SECRET", SECRET),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ]);
    an_answered_offer(server, received).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_answered_by_sms_on_postgresql() {
    let (url, received) = provider().await;
    let server = support::on_postgres_with(&[
        ("CUBE_SMS_WEBHOOK", &url),
        ("CUBE_SMS_INBOUND_SECRET", SECRET),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ])
    .await;
    an_answered_offer(server, received).await;
}

/// The server's settings for a Twilio-style provider at `base`, trusted by `ca_path` only,
/// paced to 5 SMS a second.
fn twilio_settings<'a>(base: &'a str, ca_path: &'a str) -> [(&'a str, &'a str); 8] {
    [
        ("CUBE_SMS_PROVIDER", "twilio"),
        ("CUBE_TWILIO_BASE_URL", base),
        ("CUBE_TWILIO_ACCOUNT_SID", ACCOUNT_SID),
        ("CUBE_TWILIO_AUTH_TOKEN", AUTH_TOKEN),
        ("CUBE_GATEWAY_CA_FILE", ca_path),
        ("CUBE_SMS_RATE", "5"),
        ("CUBE_SMS_INBOUND_SECRET", SECRET),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ]
}

/// After the flow: each SMS reached the provider once, with its own idempotency key.
fn each_sms_sent_once(received: &Received) {
    let keys: Vec<Value> = received
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|sms| sms["key"].clone())
        .collect();
    assert_eq!(keys.len(), 2, "each SMS sent once: {keys:?}");
    assert!(
        keys.iter().all(Value::is_string) && keys[0] != keys[1],
        "{keys:?}"
    );
}

/// The same flow with the SMS sent over HTTPS to a Twilio-style provider (the server trusts
/// the test's CA file only), paced to 5 a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_answered_by_sms_through_a_twilio_style_provider_on_sqlite() {
    let (base, ca_file, received) = twilio_provider().await;
    let ca_path = ca_file.to_str().expect("a UTF-8 path").to_owned();
    let server = support::on_sqlite_with(&twilio_settings(&base, &ca_path));
    an_answered_offer(server, received.clone()).await;
    each_sms_sent_once(&received);
    let _ = std::fs::remove_file(ca_file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_answered_by_sms_through_a_twilio_style_provider_on_postgresql() {
    let (base, ca_file, received) = twilio_provider().await;
    let ca_path = ca_file.to_str().expect("a UTF-8 path").to_owned();
    let server = support::on_postgres_with(&twilio_settings(&base, &ca_path)).await;
    an_answered_offer(server, received.clone()).await;
    each_sms_sent_once(&received);
    let _ = std::fs::remove_file(ca_file);
}
