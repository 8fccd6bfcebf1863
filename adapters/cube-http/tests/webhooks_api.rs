//! `/api/webhooks`: an admin registers an endpoint and reads its secret once; the listing
//! never shows it again; bad URLs and events are 422 problem+json saying what is wrong;
//! another organisation's endpoint is 404; and an outcome registered over HTTP enqueues one
//! webhook per subscribed endpoint, in the registration's unit, with an ids-only body.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::App;
use cube_domain::ports::OutboxPayload;
use cube_testkit::fixtures::SalesFlow;
use serde_json::{Value, json};

fn hook(url: &str, events: &[&str]) -> Value {
    json!({ "url": url, "events": events })
}

#[tokio::test]
async fn the_secret_is_shown_once_and_never_listed() {
    let app = App::new().await;
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (status, created) = app
        .call(
            Method::POST,
            "/api/webhooks",
            Some(&admin),
            Some(hook(
                "https://hooks.example.com/cube",
                &["state_changed", "outcome_registered"],
            )),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().expect("a secret").to_owned();
    assert_eq!(secret.len(), 64, "{created}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        created["events"],
        json!(["outcome_registered", "state_changed"])
    );
    assert_eq!(created["enabled"], true);

    let request = Request::builder()
        .uri("/api/webhooks")
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::empty())
        .expect("a request");
    let (status, _, listed) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["id"], created["id"]);
    assert_eq!(listed[0]["url"], "https://hooks.example.com/cube");
    assert!(
        !listed.to_string().contains(&secret),
        "the listing never carries the secret: {listed}"
    );
    assert!(listed[0].get("secret").is_none());

    // Another organisation's admin finds nothing to list or delete.
    let other = app.login(&app.other.admin.email.to_string()).await;
    let (status, theirs) = app
        .call(Method::GET, "/api/webhooks", Some(&other), None)
        .await;
    assert_eq!((status, theirs), (StatusCode::OK, json!([])));
    let uri = format!(
        "/api/webhooks/{}",
        created["id"].as_str().unwrap_or_default()
    );
    let (status, _) = app.call(Method::DELETE, &uri, Some(&other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = app.call(Method::DELETE, &uri, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::DELETE, &uri, Some(&admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = app
        .call(Method::GET, "/api/webhooks", Some(&admin), None)
        .await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn bad_urls_and_events_are_problems_naming_what_to_fix() {
    let app = App::new().await;
    let admin = app.login(&app.world.admin.email.to_string()).await;
    for (body, says) in [
        (hook("ftp://example.com/x", &["state_changed"]), "http://"),
        (hook("hooks.example.com", &["state_changed"]), "http://"),
        (hook("https://", &["state_changed"]), "host"),
        (hook("https://example.com/x", &[]), "at least one event"),
        (
            hook("https://example.com/x", &["sale"]),
            "'sale' is not a webhook event",
        ),
    ] {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/webhooks")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("a request");
        let (status, headers, problem) = app.send(request).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{body}"
        );
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(says), "{body}: {detail}");
    }
    let (_, listed) = app
        .call(Method::GET, "/api/webhooks", Some(&admin), None)
        .await;
    assert_eq!(listed, json!([]), "nothing was registered");
}

#[tokio::test]
async fn an_outcome_enqueues_one_webhook_per_subscribed_endpoint() {
    let app = App::new().await;
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let register = || async {
        let (status, next) = app
            .call(
                Method::POST,
                &format!("/api/assignments/{}/next", app.assignment()),
                Some(&seller),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{next}");
        let enrollment = next["enrollment"]["id"].as_str().expect("an id").to_owned();
        let (status, body) = app
            .call(
                Method::POST,
                &format!("/api/enrollments/{enrollment}/outcomes"),
                Some(&seller),
                Some(json!({ "outcome": SalesFlow::O_NO_SALE.to_string() })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        enrollment
    };
    let pending = || async {
        let mut uow = app.store.begin().await.expect("begin");
        uow.pending_messages(100).await.expect("pending")
    };

    // No endpoint: nothing enqueued.
    register().await;
    assert!(pending().await.is_empty());

    for (url, events) in [
        (
            "http://127.0.0.1:9/a",
            vec!["outcome_registered", "state_changed"],
        ),
        ("http://127.0.0.1:9/b", vec!["meeting_booked"]),
    ] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/webhooks",
                Some(&admin),
                Some(hook(url, &events)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let enrollment = register().await;
    let messages = pending().await;
    let webhooks: Vec<_> = messages
        .iter()
        .filter_map(|m| match &m.payload {
            OutboxPayload::Webhook { event, body, .. } => Some((event.as_str(), body.clone())),
            _ => None,
        })
        .collect();
    let events: Vec<&str> = webhooks.iter().map(|(e, _)| *e).collect();
    assert_eq!(
        events,
        ["outcome_registered", "state_changed"],
        "the first endpoint's two events; the second wants none of them"
    );
    let body: Value = serde_json::from_str(&webhooks[0].1).expect("JSON");
    assert_eq!(body["enrollment"], enrollment);
    assert_eq!(body["outcome"], SalesFlow::O_NO_SALE.to_string());
    let customer = app
        .world
        .customers
        .iter()
        .find(|c| body["customer"] == c.id().to_string())
        .expect("the body names the customer by id");
    let text = webhooks[0].1.clone();
    assert!(
        !text.contains(customer.details().name.as_str()),
        "no personal data beyond ids: {text}"
    );
}
