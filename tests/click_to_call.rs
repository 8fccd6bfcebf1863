//! Click-to-call end to end, against the real `cube-server` binary over real HTTP, on the
//! embedded SQLite default and on PostgreSQL (issue 17, seed 000 item 8): an admin registers
//! the organisation's caller number and the seller's phone, a manager makes the sales
//! assignment show the shared number; the seller takes a customer and starts a call. The
//! server asks a local Twilio-style PBX stand-in (`Calls.json`, form POST, basic auth) to ring
//! the seller and bridge to the customer with the shared number as caller id; the PBX's
//! status events are posted back to the callback URL it was given — `completed` twice, as a
//! PBX that missed our answer does — and the customer's calls show one call with its
//! duration, which the seller's performance report counts as talk time. Without the secret
//! the events endpoint refuses.

mod support;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use support::{Server, by_name, call, id, login};

const SALES: &str = "Strøm vår 2025";
const ACCOUNT_SID: &str = "AC0000000000000000000000000000ca11";
const AUTH_TOKEN: &str = "e2e-call-token";
const EVENTS_SECRET: &str = "the-pbx-events-secret-1";
const SHARED_NUMBER: &str = "+4722334455";
const SELLER_PHONE: &str = "+4790000001";

/// The calls the stand-in PBX was asked to place: each one's form fields, in order.
type Placed = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// A local Twilio-style PBX: takes each call form-posted with the account's basic auth to the
/// Calls resource, answers `201` with a sid.
async fn pbx() -> (String, Placed) {
    let placed: Placed = Arc::default();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Calls.json",
            post(
                |State(placed): State<Placed>,
                 Path(account): Path<String>,
                 headers: HeaderMap,
                 axum::Form(form): axum::Form<Vec<(String, String)>>| async move {
                    // `Basic base64("AC…ca11:e2e-call-token")`
                    let expected =
                        "Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwY2ExMTplMmUtY2FsbC10b2tlbg==";
                    let authorized =
                        headers.get("authorization").and_then(|h| h.to_str().ok()) == Some(expected);
                    if account != ACCOUNT_SID || !authorized {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    let mut all = placed.lock().expect("not poisoned");
                    all.push(form);
                    (
                        StatusCode::CREATED,
                        axum::Json(json!({ "sid": format!("CA{:032}", all.len()), "status": "queued" })),
                    )
                        .into_response()
                },
            ),
        )
        .with_state(placed.clone());
    let address = support::serve_local(app).await;
    (format!("http://{address}"), placed)
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

async fn a_call_with_the_shared_number(mut server: Server, placed: Placed) {
    let client = reqwest::Client::new();
    server.wait_until_healthy(&client).await;
    let base = server.base.clone();
    let admin = login(&client, &base, "admin@demo.example.com").await;
    let seller = login(&client, &base, "seller1@demo.example.com").await;

    // The admin registers the switchboard's number and gives the seller a phone.
    let (status, organisation) = call(
        &client,
        client
            .put(format!("{base}/api/organisation/caller-ids"))
            .bearer_auth(&admin)
            .json(&json!({ "caller_ids": ["22 33 44 55"] })),
    )
    .await;
    assert_eq!(status, 200, "{organisation}");
    assert_eq!(organisation["caller_ids"], json!([SHARED_NUMBER]));
    let (_, users) = call(
        &client,
        client.get(format!("{base}/api/users")).bearer_auth(&admin),
    )
    .await;
    let seller_id = users
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|u| u["email"] == "seller1@demo.example.com")
        })
        .map(id)
        .expect("the seller");
    let (status, user) = call(
        &client,
        client
            .put(format!("{base}/api/users/{seller_id}/phone"))
            .bearer_auth(&admin)
            .json(&json!({ "phone": SELLER_PHONE })),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["phone"], SELLER_PHONE);

    // The sales assignment shows the shared number.
    let (_, assignments) = call(
        &client,
        client
            .get(format!("{base}/api/assignments"))
            .bearer_auth(&seller),
    )
    .await;
    let sales = id(by_name(&assignments, SALES));
    let (status, mut setup) = call(
        &client,
        client
            .get(format!("{base}/api/assignments/{sales}/setup"))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200, "{setup}");
    setup["communication"]["caller_id"] = json!(SHARED_NUMBER);
    let (status, updated) = call(
        &client,
        client
            .put(format!("{base}/api/assignments/{sales}/setup"))
            .bearer_auth(&admin)
            .json(&setup),
    )
    .await;
    assert_eq!(status, 200, "{updated}");

    // The seller takes a customer and calls them.
    let (status, item) = call(
        &client,
        client
            .post(format!("{base}/api/assignments/{sales}/next"))
            .bearer_auth(&seller),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    let enrollment = id(&item["enrollment"]);
    let (status, started) = call(
        &client,
        client
            .post(format!("{base}/api/enrollments/{enrollment}/call"))
            .bearer_auth(&seller),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["link"], Value::Null, "the PBX rings the seller");
    let started = &started["call"];
    assert_eq!(started["caller_id"], SHARED_NUMBER);
    assert_eq!(started["status"], "initiated");
    let customer_number = started["to"].as_str().expect("a number").to_owned();
    let call_id = started["id"].as_str().expect("an id").to_owned();

    // The PBX was asked once: ring the seller, bridge to the customer showing the shared
    // number, post events to our endpoint with the call's id and the secret as a login.
    let form = {
        let placed = placed.lock().expect("not poisoned");
        assert_eq!(placed.len(), 1, "the PBX is asked once");
        placed[0].clone()
    };
    assert_eq!(field(&form, "To"), [SELLER_PHONE]);
    assert_eq!(field(&form, "From"), [SHARED_NUMBER]);
    assert_eq!(
        field(&form, "Twiml"),
        [format!(
            "<Response><Dial callerId=\"{SHARED_NUMBER}\"><Number>{customer_number}</Number></Dial></Response>"
        )
        .as_str()]
    );
    let sid = format!("CA{:032}", 1);
    assert_eq!(started["provider_id"], sid.as_str());
    let callback = reqwest::Url::parse(field(&form, "StatusCallback")[0]).expect("a URL");
    assert_eq!(callback.username(), "cube");
    assert_eq!(callback.password(), Some(EVENTS_SECRET));
    assert_eq!(callback.path(), "/api/telephony/events");
    assert_eq!(callback.query(), Some(format!("call={call_id}").as_str()));

    // The PBX's events, posted as Twilio does (form fields, basic auth from the URL's login).
    let events_url = format!("{base}/api/telephony/events?call={call_id}");
    let post_event = |fields: Vec<(&'static str, &'static str)>| {
        let mut form: Vec<(&str, String)> =
            fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        form.push(("CallSid", sid.clone()));
        form.push(("AccountSid", ACCOUNT_SID.to_owned()));
        client
            .post(&events_url)
            .basic_auth("cube", Some(EVENTS_SECRET))
            .form(&form)
    };
    for fields in [
        vec![("CallStatus", "ringing")],
        vec![("CallStatus", "in-progress")],
        vec![("CallStatus", "completed"), ("CallDuration", "192")],
        vec![("CallStatus", "completed"), ("CallDuration", "192")],
    ] {
        let response = post_event(fields).send().await.expect("the server answers");
        assert_eq!(response.status(), 204);
    }
    // Without the secret: asked for basic auth, nothing changes.
    let refused = client
        .post(&events_url)
        .form(&[("CallSid", sid.as_str()), ("CallStatus", "busy")])
        .send()
        .await
        .expect("the server answers");
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .headers()
            .get("www-authenticate")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| h.starts_with("Basic")),
        "{:?}",
        refused.headers()
    );
    // An unknown call: answered without harm.
    let unknown = client
        .post(format!("{base}/api/telephony/events"))
        .header("X-Cube-Telephony-Secret", EVENTS_SECRET)
        .form(&[("CallSid", "CA-unknown"), ("CallStatus", "completed")])
        .send()
        .await
        .expect("the server answers");
    assert_eq!(unknown.status(), 204);

    // The history shows one call, with its duration.
    let (status, calls) = call(
        &client,
        client
            .get(format!("{base}/api/enrollments/{enrollment}/calls"))
            .bearer_auth(&seller),
    )
    .await;
    assert_eq!(status, 200, "{calls}");
    let calls = calls.as_array().expect("a list");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["status"], "completed");
    assert_eq!(calls[0]["duration_seconds"], 192);
    assert_eq!(calls[0]["caller_id"], SHARED_NUMBER);
    assert_eq!(
        calls[0]["summary"],
        format!("call 3 min 12 s, from {SHARED_NUMBER}")
    );

    // The seller's performance counts the call and its talk time beside the hours.
    let (status, report) = call(
        &client,
        client
            .get(format!(
                "{base}/api/reports/performance?from=2020-01-01&to=2040-01-01"
            ))
            .bearer_auth(&seller),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["overall"]["calls"], 1, "{report}");
    assert_eq!(report["overall"]["talk_seconds"], 192, "{report}");
    drop(server);
}

fn settings(pbx: &str) -> [(&str, &str); 6] {
    [
        ("CUBE_TELEPHONY", "twilio"),
        ("CUBE_TWILIO_BASE_URL", pbx),
        ("CUBE_TWILIO_ACCOUNT_SID", ACCOUNT_SID),
        ("CUBE_TWILIO_AUTH_TOKEN", AUTH_TOKEN),
        // Where a real PBX would post; the test posts the events itself, to the server.
        (
            "CUBE_TELEPHONY_EVENTS_URL",
            "https://cube.example.com/api/telephony/events",
        ),
        ("CUBE_TELEPHONY_EVENTS_SECRET", EVENTS_SECRET),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_calls_a_customer_through_a_twilio_style_pbx_on_sqlite() {
    let (pbx, placed) = pbx().await;
    let server = support::on_sqlite_with(&settings(&pbx));
    a_call_with_the_shared_number(server, placed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_calls_a_customer_through_a_twilio_style_pbx_on_postgresql() {
    let (pbx, placed) = pbx().await;
    let server = support::on_postgres_with(&settings(&pbx)).await;
    a_call_with_the_shared_number(server, placed).await;
}
