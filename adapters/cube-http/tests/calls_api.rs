//! Click-to-call over HTTP, in process: an admin registers caller numbers and a seller's
//! phone, the seller starts a call on the customer they hold (a `tel:` link here, the server
//! having no PBX) and reads it in the customer's calls; the PBX's events endpoint checks its
//! shared secret first (header or basic auth), takes Twilio's form fields once, answers an
//! unknown call without harm and names a bad field.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::App;
use serde_json::{Value, json};
use std::sync::Arc;

const SECRET: &str = "s3cret-for-the-pbx-events";

async fn app() -> App {
    App::configured(|state| state.telephony_events_secret = Some(Arc::from(SECRET))).await
}

/// Registers the seller's own number and gives it to them; the seller takes the next
/// customer and starts a call: the enrollment and the call.
async fn a_dialled_call(app: &App) -> (String, Value) {
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let seller_id = app.world.sellers[0].id;
    let (status, organisation) = app
        .call(
            Method::PUT,
            "/api/organisation/caller-ids",
            Some(&admin),
            Some(json!({ "caller_ids": ["+47 900 00 001", "+4790000001"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{organisation}");
    assert_eq!(organisation["caller_ids"], json!(["+4790000001"]));
    let (status, user) = app
        .call(
            Method::PUT,
            &format!("/api/users/{seller_id}/phone"),
            Some(&admin),
            Some(json!({ "phone": "900 00 001" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["phone"], "+4790000001");

    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let (status, started) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/call"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    (enrollment, started)
}

fn event(uri: &str, auth: Option<(&str, &str)>, form: &str) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((name, value)) = auth {
        request = request.header(name, value);
    }
    request
        .body(Body::from(form.to_owned()))
        .expect("a valid request")
}

#[tokio::test]
async fn a_seller_starts_a_call_and_reads_it_in_the_customers_calls() {
    let app = app().await;
    let (enrollment, started) = a_dialled_call(&app).await;
    let phone = started["call"]["to"].as_str().expect("a number");
    assert_eq!(started["link"], format!("tel:{phone}"));
    assert_eq!(started["call"]["status"], "dialled");
    assert_eq!(started["call"]["caller_id"], "+4790000001");
    assert_eq!(
        started["call"]["summary"],
        "call dialled on a softphone, showing +4790000001"
    );
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, calls) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{enrollment}/calls"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{calls}");
    assert_eq!(calls, json!([started["call"]]));
    // The manager reads it in the customer's whole history.
    let manager = app.login(&app.world.manager.email.to_string()).await;
    let customer = started["call"]["customer"].as_str().expect("an id");
    let (status, history) = app
        .call(
            Method::GET,
            &format!("/api/customers/{customer}/history"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["calls"], calls);
}

#[tokio::test]
async fn a_call_without_a_registered_number_is_refused_saying_what_to_set() {
    let app = app().await;
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (_, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&seller),
            None,
        )
        .await;
    let enrollment = item["enrollment"]["id"].as_str().expect("an id");
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/call"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let detail = problem["detail"].as_str().expect("a detail");
    assert!(detail.contains("no phone number"), "{detail}");
    assert!(detail.contains("/phone"), "{detail}");
    // Bad numbers for the organisation and a user are named.
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (status, problem) = app
        .call(
            Method::PUT,
            "/api/organisation/caller-ids",
            Some(&admin),
            Some(json!({ "caller_ids": ["ring meg"] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("/api/users/{}/phone", app.world.sellers[0].id),
            Some(&admin),
            Some(json!({ "phone": "12" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

#[tokio::test]
async fn the_events_endpoint_checks_its_secret_then_takes_an_event_once() {
    let app = app().await;
    let (enrollment, started) = a_dialled_call(&app).await;
    let call = started["call"]["id"].as_str().expect("an id");
    let uri = format!("/api/telephony/events?call={call}");
    let form = "CallSid=CA42&CallStatus=completed&CallDuration=30&AccountSid=AC1";

    // Without the secret, or a wrong one, or a user's token: 401 asking for basic auth.
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let bearer = format!("Bearer {admin}");
    for auth in [
        None,
        Some(("x-cube-telephony-secret", "wrong")),
        Some(("authorization", bearer.as_str())),
    ] {
        let (status, headers, body) = app.send(event(&uri, auth, form)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}: {body}");
        assert_eq!(
            headers[header::WWW_AUTHENTICATE],
            "Basic realm=\"cube-telephony\""
        );
    }
    // With it (basic auth's password, as a Twilio-style PBX sends its callback URL's login):
    // the call our id names adopts the PBX's id. A dialled call is over: nothing else moves.
    let basic = "Basic Y3ViZTpzM2NyZXQtZm9yLXRoZS1wYngtZXZlbnRz"; // cube:s3cret-for-the-pbx-events
    for _ in 0..2 {
        let (status, _, body) = app
            .send(event(&uri, Some(("authorization", basic)), form))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (_, calls) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{enrollment}/calls"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(calls.as_array().map(Vec::len), Some(1), "{calls}");
    assert_eq!(calls[0]["provider_id"], "CA42");
    assert_eq!(calls[0]["status"], "dialled");

    // An unknown call: 204, nothing happens.
    let header = Some(("x-cube-telephony-secret", SECRET));
    let (status, _, _) = app
        .send(event(
            "/api/telephony/events",
            header,
            "CallSid=CA-nobody&CallStatus=ringing",
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Bad fields are named; JSON is not a status callback.
    for (form, field) in [
        ("CallSid=CA1&CallStatus=exploded", "CallStatus"),
        (
            "CallSid=CA1&CallStatus=completed&CallDuration=-1",
            "CallDuration",
        ),
        ("CallSid=&CallStatus=completed", "CallSid"),
        ("CallStatus=completed", "CallSid"),
    ] {
        let (status, _, body) = app.send(event("/api/telephony/events", header, form)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| d.contains(field)),
            "{body}"
        );
    }
    let json_body = Request::builder()
        .method(Method::POST)
        .uri("/api/telephony/events")
        .header("x-cube-telephony-secret", SECRET)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"CallSid":"CA1","CallStatus":"completed"}"#))
        .expect("a valid request");
    let (status, _, _) = app.send(json_body).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn without_a_configured_secret_the_events_endpoint_does_not_exist() {
    let app = App::new().await;
    let (status, _, body) = app
        .send(event(
            "/api/telephony/events",
            Some(("x-cube-telephony-secret", SECRET)),
            "CallSid=CA1&CallStatus=completed",
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("CUBE_TELEPHONY_EVENTS_SECRET")),
        "{body}"
    );
}

/// Found from outside: a 10 MB body answered 422 "length limit exceeded". Too large is 413,
/// whether its length is declared or found while reading.
#[tokio::test]
async fn an_event_body_over_the_limit_is_too_large() {
    let app = app().await;
    let huge = format!(
        "CallSid=CA1&CallStatus=completed&x={}",
        "a".repeat(10_000_000)
    );
    let header = Some(("x-cube-telephony-secret", SECRET));
    let (status, _, body) = app
        .send(event(
            "/api/telephony/events?call=00000000-0000-7000-8000-000000000001",
            header,
            &huge,
        ))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let mut declared = event(
        "/api/telephony/events?call=00000000-0000-7000-8000-000000000001",
        header,
        &huge,
    );
    declared.headers_mut().insert(
        header::CONTENT_LENGTH,
        huge.len().to_string().parse().expect("a header value"),
    );
    let (status, _, body) = app.send(declared).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.to_string().contains("at most"), "{body}");
}

#[tokio::test]
async fn a_call_counts_in_the_performance_report_beside_the_hours() {
    let app = app().await;
    let (_, started) = a_dialled_call(&app).await;
    assert_eq!(started["call"]["status"], "dialled");
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, report) = app
        .call(Method::GET, "/api/reports/performance", Some(&seller), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let me = app.world.sellers[0].id.to_string();
    let mine = report["per_user"]
        .as_array()
        .expect("per_user")
        .iter()
        .find(|u| u["user"] == json!(me))
        .expect("the seller's row");
    assert_eq!(mine["performance"]["calls"], 1, "{report}");
    assert_eq!(
        mine["performance"]["talk_seconds"], 0,
        "a softphone's call has no talk time Cube hears of"
    );
    assert_eq!(report["per_assignment"][0]["performance"]["calls"], 1);
    assert_eq!(report["overall"]["calls"], 1);
}
