//! The HTTP API end to end inside the process: the router over the in-memory store and the
//! testkit's demo world, called with `tower::ServiceExt::oneshot`. Each test reads as a
//! conversation: request, status, body.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{App, PASSWORD, is_problem};
use cube_testkit::fixtures::SalesFlow;
use serde_json::{Value, json};

#[tokio::test]
async fn login_gives_a_token_and_a_strict_cookie() {
    let app = App::new().await;
    let email = app.world.sellers[0].email.to_string();
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "email": email, "password": PASSWORD }).to_string(),
        ))
        .expect("a valid request");
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().expect("a token");
    assert_eq!(token.len(), 64);
    assert_eq!(body["user"]["role"], "seller");
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a cookie");
    assert!(cookie.starts_with(&format!("cube_session={token}")));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));

    let (status, me) = app.call(Method::GET, "/api/me", Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], email.as_str());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = App::new().await;
    let email = app.world.sellers[0].email.to_string();
    let wrong = json!({ "email": email, "password": "wrong" });
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(wrong.to_string()))
        .expect("a valid request");
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(is_problem(&headers));
    assert_eq!(body["status"], 401);

    let unknown = json!({ "email": "nobody@example.no", "password": PASSWORD });
    let (status, other) = app
        .call(Method::POST, "/api/login", None, Some(unknown))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(other["detail"], body["detail"]);
}

#[tokio::test]
async fn no_token_is_401_and_a_revoked_token_too() {
    let app = App::new().await;
    let (status, body) = app.call(Method::GET, "/api/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["title"], "Unauthorized");

    let token = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, _) = app
        .call(Method::POST, "/api/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_seller_gets_the_next_customer_registers_and_finds_it_in_my_work() {
    let app = App::new().await;
    let token = app.login(&app.world.sellers[0].email.to_string()).await;
    let assignment = app.assignment();

    let (status, list) = app
        .call(Method::GET, "/api/assignments", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], assignment.as_str());
    let (status, detail) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{assignment}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let call_back = detail["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["kind"] == "call_back_later")
        .expect("the sales flow has Call back later");
    assert_eq!(call_back["id"], SalesFlow::O_CALL_BACK_LATER.to_string());

    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{assignment}/next"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["tier"], "pool");
    assert_eq!(item["customer"]["name"], "Customer 00000");
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();

    let (status, registered) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(&token),
            Some(json!({
                "outcome": SalesFlow::O_CALL_BACK_LATER.to_string(),
                "follow_up_at": "2025-03-03T10:00:00Z",
                "note": "call after the board meeting",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    assert_eq!(registered["replayed"], false);
    assert_eq!(registered["enrollment"]["attempts"], 1);

    let (status, work) = app
        .call(Method::GET, "/api/my-work", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed: Vec<&Value> = work["personal"]
        .as_array()
        .into_iter()
        .chain(work["shared"].as_array())
        .flatten()
        .collect();
    assert!(
        listed
            .iter()
            .any(|i| i["enrollment"] == enrollment.as_str()),
        "{work}"
    );

    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (status, report) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{assignment}/reports/activity?from=2025-03-03T00:00:00Z&to=2025-03-04T00:00:00Z"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["attempts"], 1);
    // Without a window the report covers "today" by the cube's clock (T0's day here), not
    // by the machine's.
    let (status, report) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{assignment}/reports/activity"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["attempts"], 1, "{report}");
    let (status, report) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{assignment}/reports/status"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["total"], 20);
    assert_eq!(report["attempts_one"], 1);
    let colours: Vec<&str> = report["per_state"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["colour"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        colours.len(),
        report["per_state"].as_array().map_or(0, Vec::len),
        "every state has its colour: {report}"
    );
    assert!(
        colours.contains(&"#2e7d32"),
        "Sale (yes) is green: {colours:?}"
    );
}

#[tokio::test]
async fn registering_on_another_sellers_customer_is_409() {
    let app = App::new().await;
    let first = app.login(&app.world.sellers[0].email.to_string()).await;
    let second = app.login(&app.world.sellers[1].email.to_string()).await;
    let (_, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&first),
            None,
        )
        .await;
    let enrollment = item["enrollment"]["id"].as_str().expect("an id");
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(&second),
            Some(json!({ "outcome": SalesFlow::O_NO_ANSWER.to_string() })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["status"], 409);
    // The time in the refusal reads as the API's times do (RFC 3339, UTC).
    let detail = body["detail"].as_str().unwrap_or_default();
    let until = item["enrollment"]["reserved_until"]
        .as_str()
        .expect("a lease");
    assert!(detail.contains(until), "{detail} names {until}");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = App::new().await;
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"email\": "))
        .expect("a valid request");
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(is_problem(&headers));
    assert_eq!(body["status"], 400);
    assert_eq!(body["title"], "Bad Request");
}

#[tokio::test]
async fn another_organisations_admin_gets_404_on_every_id_of_the_first() {
    let app = App::new().await;
    let admin = app.login(&app.other.admin.email.to_string()).await;
    let assignment = app.assignment();
    let enrollment = app.world.enrollments[0].id();
    let attempts = [
        (Method::GET, format!("/api/assignments/{assignment}"), None),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/next"),
            None,
        ),
        (
            Method::GET,
            format!("/api/assignments/{assignment}/reports/status"),
            None,
        ),
        (
            Method::GET,
            format!("/api/assignments/{assignment}/reports/sales"),
            None,
        ),
        (
            Method::POST,
            format!("/api/enrollments/{enrollment}/take"),
            None,
        ),
        (
            Method::POST,
            format!("/api/enrollments/{enrollment}/outcomes"),
            Some(json!({ "outcome": SalesFlow::O_NO_ANSWER.to_string() })),
        ),
    ];
    for (method, uri, body) in attempts {
        let (status, problem) = app.call(method, &uri, Some(&admin), body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {problem}");
    }
    let (_, list) = app
        .call(Method::GET, "/api/assignments", Some(&admin), None)
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_ne!(list[0]["id"], assignment.as_str());
}

#[tokio::test]
async fn a_cookie_needs_the_csrf_header_on_unsafe_methods() {
    let app = App::new().await;
    let token = app.login(&app.world.sellers[0].email.to_string()).await;
    let uri = format!("/api/assignments/{}/next", app.assignment());
    let cookie = format!("cube_session={token}");
    let get = Request::get("/api/me")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .expect("a valid request");
    assert_eq!(app.send(get).await.0, StatusCode::OK);
    let bare = Request::post(&uri)
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .expect("a valid request");
    let (status, headers, _) = app.send(bare).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(is_problem(&headers));
    let guarded = Request::post(&uri)
        .header(header::COOKIE, &cookie)
        .header("X-Requested-With", "cube")
        .body(Body::empty())
        .expect("a valid request");
    assert_eq!(app.send(guarded).await.0, StatusCode::OK);
}

#[tokio::test]
async fn bad_ids_and_windows_are_problems() {
    let app = App::new().await;
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (status, body) = app
        .call(
            Method::GET,
            "/api/assignments/not-a-uuid",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let uri = format!(
        "/api/assignments/{}/reports/outcomes?from=yesterday",
        app.assignment()
    );
    let (status, _) = app.call(Method::GET, &uri, Some(&admin), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let uri = format!(
        "/api/assignments/{}/reports/outcomes?from=2025-03-04T00:00:00Z&to=2025-03-03T00:00:00Z",
        app.assignment()
    );
    let (status, _) = app.call(Method::GET, &uri, Some(&admin), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = App::new().await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::GET, "/readyz", None, None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = App::new().await;
    let (status, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let expected = [
        ("/api/login", "post"),
        ("/api/logout", "post"),
        ("/api/me", "get"),
        ("/api/assignments", "get"),
        ("/api/assignments/{id}", "get"),
        ("/api/assignments/{id}/next", "post"),
        ("/api/enrollments/{id}/take", "post"),
        ("/api/enrollments/{id}/release", "post"),
        ("/api/enrollments/{id}/outcomes", "post"),
        ("/api/my-work", "get"),
        ("/api/assignments/{id}/reports/status", "get"),
        ("/api/assignments/{id}/reports/activity", "get"),
        ("/api/assignments/{id}/reports/outcomes", "get"),
        ("/api/assignments/{id}/reports/sales", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ];
    for (path, method) in expected {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is missing"
        );
    }
    // And every documented operation is routed: without a login it gets a problem or an
    // answer, never the router's bare 404 or a 405.
    let paths = doc["paths"].as_object().expect("paths");
    assert!(
        paths.len() > expected.len(),
        "the other groups document theirs"
    );
    for (path, operations) in paths {
        let uri = path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "00000000-0000-0000-0000-000000000000"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in operations.as_object().expect("operations").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .body(Body::empty())
                .expect("a request");
            let (status, headers, _) = app.send(request).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                status != StatusCode::NOT_FOUND || is_problem(&headers),
                "{method} {path} is documented but not routed"
            );
        }
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let docs = app.call(Method::GET, "/docs/", None, None).await;
    assert_eq!(docs.0, StatusCode::OK);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_a_sane_one_is_kept() {
    let app = App::new().await;
    let request = Request::get("/healthz")
        .header("x-request-id", "trace-abc-123")
        .body(Body::empty())
        .expect("a request");
    let (_, headers, _) = app.send(request).await;
    assert_eq!(headers["x-request-id"], "trace-abc-123");
    let request = Request::get("/api/me")
        .header("x-request-id", "has spaces and is\tnot sane")
        .body(Body::empty())
        .expect("a request");
    let (status, headers, _) = app.send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let id = headers["x-request-id"].to_str().expect("ascii");
    assert_eq!(id.len(), 36, "a new UUID: {id}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = App::new().await;
    let token = app.login(&app.world.sellers[0].email.to_string()).await;
    let uri = format!("/api/assignments/{}", app.assignment());
    for _ in 0..3 {
        let (status, _) = app.call(Method::GET, &uri, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
    }
    let request = Request::get("/metrics")
        .body(Body::empty())
        .expect("a request");
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|v| v.starts_with("text/plain"))
    );
    let text = body.as_str().expect("text");
    assert!(
        text.contains(
            "cube_http_requests_total{method=\"GET\",route=\"/api/assignments/{id}\",status=\"200\"} 3"
        ),
        "{text}"
    );
    assert!(text.contains("route=\"/api/login\",status=\"200\"} 1"));
    assert!(!text.contains(&app.assignment()), "ids never become labels");
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_a_503_problem() {
    use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
    use std::sync::Arc;
    use tower::ServiceExt;

    let cube = cube_app::Cube::new(
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(cube_testkit::fixtures::T0)),
        Arc::new(SequentialIds::new()),
    );
    let mut state = cube_http::AppState::new(cube);
    state.request_timeout = std::time::Duration::ZERO;
    // Login checks the password on the blocking pool, so it cannot finish in no time.
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "email": "kari@example.no", "password": "x" }).to_string(),
        ))
        .expect("a request");
    let response = cube_http::router(state)
        .oneshot(request)
        .await
        .expect("the router answers");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(is_problem(response.headers()));
    assert!(response.headers().contains_key(header::RETRY_AFTER));
}

/// A message the provider refused is listed with its reason for the admin and the
/// assignment's manager; sellers are refused; a bad limit is a problem.
#[tokio::test]
async fn failed_messages_are_listed_for_admins_and_managers() {
    use cube_domain::ids::OutboxMessageId;
    use cube_domain::ports::{OutboxMessage, OutboxPayload, SmsMessage};
    let app = App::new().await;
    let message = OutboxMessage {
        id: OutboxMessageId::from_uuid(uuid::Uuid::from_u128(0x0B0C_0042)),
        assignment: app.world.assignment.id(),
        enrollment: Some(app.world.enrollments[0].id()),
        payload: OutboxPayload::Sms(SmsMessage {
            from: "AcmeEnergi".into(),
            to: cube_domain::values::PhoneNumber::parse("+4791234567").expect("valid"),
            body: "Hei".into(),
        }),
        created_at: cube_testkit::fixtures::T0,
    };
    let mut uow = app.store.begin().await.expect("begin");
    uow.enqueue(&message).await.expect("enqueue");
    uow.mark_failed(
        message.id,
        "the provider refused the message: unknown number",
    )
    .await
    .expect("fail");
    uow.commit().await.expect("commit");

    for email in [
        app.world.admin.email.to_string(),
        app.world.manager.email.to_string(),
    ] {
        let token = app.login(&email).await;
        let (status, list) = app
            .call(Method::GET, "/api/outbox/failed", Some(&token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["id"], message.id.to_string());
        assert_eq!(list[0]["channel"], "sms");
        assert_eq!(list[0]["to"], "+4791234567");
        assert_eq!(list[0]["created_at"], "2025-03-03T08:00:00Z");
        assert!(
            list[0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("unknown number")),
            "{list}"
        );
    }
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, problem) = app
        .call(Method::GET, "/api/outbox/failed", Some(&seller), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let other = app.login(&app.other.admin.email.to_string()).await;
    let (status, list) = app
        .call(Method::GET, "/api/outbox/failed", Some(&other), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list,
        serde_json::json!([]),
        "another organisation sees none"
    );
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (status, problem) = app
        .call(
            Method::GET,
            "/api/outbox/failed?limit=0",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

/// A customer's history over HTTP: after a call-back with a note, the seller holding the
/// customer reads the outcome whole (who, the note, the follow-up); another seller is refused (403 naming what to
/// do); the manager reads it too; an unknown enrollment is 404.
#[tokio::test]
async fn a_customers_history_holds_every_outcome_whole() {
    let app = App::new().await;
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let other = app.login(&app.world.sellers[1].email.to_string()).await;
    let manager = app.login(&app.world.manager.email.to_string()).await;
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
    let history = format!("/api/enrollments/{enrollment}/history");
    let (status, empty) = app.call(Method::GET, &history, Some(&seller), None).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty, json!([]), "nothing registered yet");

    let call_back = json!({
        "outcome": SalesFlow::O_CALL_BACK_LATER.as_uuid(),
        "follow_up_at": "2025-03-04T09:00:00Z",
        "note": "ring etter lunsj",
    });
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(&seller),
            Some(call_back),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Registering gave the customer back; the seller takes it again to read on.
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/take"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, entries) = app.call(Method::GET, &history, Some(&seller), None).await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    let entries = entries.as_array().expect("a list").clone();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["note"], "ring etter lunsj");
    assert_eq!(entries[0]["user"], app.world.sellers[0].id.to_string());
    assert_eq!(entries[0]["follow_up"]["due"], "2025-03-04T09:00:00Z");

    let (status, problem) = app.call(Method::GET, &history, Some(&other), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("take the customer"),
        "{problem}"
    );
    let (status, entries) = app.call(Method::GET, &history, Some(&manager), None).await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    assert_eq!(entries.as_array().map(Vec::len), Some(1));
    let (status, _) = app
        .call(
            Method::GET,
            "/api/enrollments/00000000-0000-0000-0000-000000000001/history",
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Moving a follow-up without a call: the seller whose personal call-back it is moves it to a
/// new time (My Work follows), cannot hand it on; the manager gives it to another seller of
/// the assignment (a seller who is ill), whose My Work then has it; a time in the past and an
/// owner who is not a seller are 422; the other seller could not move it before.
#[tokio::test]
async fn a_follow_up_is_moved_by_its_seller_and_reassigned_by_a_manager() {
    let app = App::new().await;
    let kari = app.login(&app.world.sellers[0].email.to_string()).await;
    let ola = app.login(&app.world.sellers[1].email.to_string()).await;
    let manager = app.login(&app.world.manager.email.to_string()).await;
    let (_, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&kari),
            None,
        )
        .await;
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    // A Lead with a follow-up (Kari's own or shared, as the setup says).
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(&kari),
            Some(json!({
                "outcome": SalesFlow::O_LEAD.as_uuid(),
                "follow_up_at": "2025-03-03T14:00:00Z",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let owner = body["enrollment"]["follow_up"]["owner"].clone();
    let uri = format!("/api/enrollments/{enrollment}/follow-up");
    let kari_id = app.world.sellers[0].id.to_string();
    let ola_id = app.world.sellers[1].id.to_string();
    if owner != json!(kari_id) {
        // The setup shares follow-ups: the manager makes this one Kari's first.
        let (status, body) = app
            .call(
                Method::PUT,
                &uri,
                Some(&manager),
                Some(json!({ "due": "2025-03-03T14:00:00Z", "owner": kari_id })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    {
        let (status, moved) = app
            .call(
                Method::PUT,
                &uri,
                Some(&kari),
                Some(json!({ "due": "2025-03-03T15:30:00Z" })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(moved["follow_up"]["due"], "2025-03-03T15:30:00Z");
        assert_eq!(moved["follow_up"]["owner"], json!(kari_id));
        let (status, _) = app
            .call(
                Method::PUT,
                &uri,
                Some(&kari),
                Some(json!({ "due": "2025-03-03T16:00:00Z", "owner": ola_id })),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a seller does not hand a follow-up on"
        );
    }
    let (status, _) = app
        .call(
            Method::PUT,
            &uri,
            Some(&ola),
            Some(json!({ "due": "2025-03-03T16:00:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not Ola's follow-up");
    let (status, problem) = app
        .call(
            Method::PUT,
            &uri,
            Some(&manager),
            Some(json!({ "due": "2025-03-01T09:00:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let manager_id = app.world.manager.id.to_string();
    let (status, problem) = app
        .call(
            Method::PUT,
            &uri,
            Some(&manager),
            Some(json!({ "due": "2025-03-03T16:00:00Z", "owner": manager_id })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, moved) = app
        .call(
            Method::PUT,
            &uri,
            Some(&manager),
            Some(json!({ "due": "2025-03-03T16:00:00Z", "owner": ola_id })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["follow_up"]["owner"], json!(ola_id));
    let (_, work) = app
        .call(Method::GET, "/api/my-work", Some(&ola), None)
        .await;
    let personal = work["personal"].as_array().expect("a list");
    assert!(
        personal
            .iter()
            .any(|i| i["enrollment"] == json!(enrollment)),
        "Ola's My Work has it now: {work}"
    );
    // Moved to Thursday: no longer today's, but in Ola's coming week.
    let (status, _) = app
        .call(
            Method::PUT,
            &uri,
            Some(&ola),
            Some(json!({ "due": "2025-03-06T09:00:00Z" })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "Ola moves a follow-up that is now his own"
    );
    let (_, work) = app
        .call(Method::GET, "/api/my-work", Some(&ola), None)
        .await;
    assert_eq!(work["personal"], json!([]), "{work}");
    assert_eq!(work["coming"][0]["enrollment"], json!(enrollment), "{work}");
    assert_eq!(
        work["coming"][0]["follow_up"]["due"],
        "2025-03-06T09:00:00Z"
    );
}

/// Seed 004: registering a personal follow-up, the seller may give it to a colleague on the
/// assignment, whose My Work then lists it; a user who is not an active seller of the
/// assignment is 422, an unknown one 404, and an owner for a shared follow-up 422.
#[tokio::test]
async fn a_seller_gives_the_follow_up_to_a_colleague_when_registering() {
    let app = App::new().await;
    let kari = app.login(&app.world.sellers[0].email.to_string()).await;
    let ola = app.login(&app.world.sellers[1].email.to_string()).await;
    let next = format!("/api/assignments/{}/next", app.assignment());
    let (_, item) = app.call(Method::POST, &next, Some(&kari), None).await;
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let outcomes = format!("/api/enrollments/{enrollment}/outcomes");
    let lead = |owner: Value| {
        json!({
            "outcome": SalesFlow::O_LEAD.as_uuid(),
            "follow_up_at": "2025-03-03T14:00:00Z",
            "follow_up_owner": owner,
        })
    };
    let ola_id = app.world.sellers[1].id.to_string();
    for (owner, status, says) in [
        (
            json!(app.world.manager.id.to_string()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "seller who works this assignment",
        ),
        (
            json!("00000000-0000-0000-0000-00000000abcd"),
            StatusCode::NOT_FOUND,
            "",
        ),
        (json!("ola"), StatusCode::UNPROCESSABLE_ENTITY, ""),
    ] {
        let (got, problem) = app
            .call(
                Method::POST,
                &outcomes,
                Some(&kari),
                Some(lead(owner.clone())),
            )
            .await;
        assert_eq!(got, status, "{owner}: {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{problem}"
        );
    }
    let (status, body) = app
        .call(
            Method::POST,
            &outcomes,
            Some(&kari),
            Some(lead(json!(ola_id))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enrollment"]["follow_up"]["owner"], json!(ola_id));
    let (_, work) = app
        .call(Method::GET, "/api/my-work", Some(&ola), None)
        .await;
    assert!(
        work["personal"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["enrollment"] == json!(enrollment))),
        "Ola's My Work lists the follow-up Kari gave him: {work}"
    );
    let (_, history) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{enrollment}/history"),
            Some(&ola),
            None,
        )
        .await;
    assert_eq!(
        history[0]["follow_up"]["owner"],
        json!(ola_id),
        "the owner reads the history: {history}"
    );

    // A call-back from To call is shared: no one can be named.
    let (_, item) = app.call(Method::POST, &next, Some(&kari), None).await;
    let other = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{other}/outcomes"),
            Some(&kari),
            Some(json!({
                "outcome": SalesFlow::O_CALL_BACK_LATER.as_uuid(),
                "follow_up_at": "2025-03-03T14:00:00Z",
                "follow_up_owner": ola_id,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("follow_up_owner"),
        "{problem}"
    );
}

/// Search and take (seed 004): a seller finds a customer of the assignment by name, phone or
/// external id, sees whether it may be taken, and takes it by hand; a customer another
/// seller holds is found but marked, and taking it is refused; a bad search is 422.
#[tokio::test]
async fn a_seller_searches_the_assignment_and_takes_a_customer_by_hand() {
    let app = App::new().await;
    let kari = app.login(&app.world.sellers[0].email.to_string()).await;
    let ola = app.login(&app.world.sellers[1].email.to_string()).await;
    let search = format!("/api/assignments/{}/customers", app.assignment());
    let (status, by_id) = app
        .call(
            Method::GET,
            &format!("{search}?external_id=ext-00003"),
            Some(&kari),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_id}");
    let found = by_id["customers"].as_array().expect("customers");
    assert_eq!(found.len(), 1, "{by_id}");
    assert_eq!(found[0]["name"], "Customer 00003");
    assert_eq!(found[0]["may_take"], true);
    assert!(found[0]["view"].is_array());
    let enrollment = found[0]["enrollment"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let (_, by_phone) = app
        .call(
            Method::GET,
            &format!("{search}?phone=%2B47%209000%200003"),
            Some(&kari),
            None,
        )
        .await;
    assert_eq!(by_phone["customers"], by_id["customers"], "{by_phone}");

    let (status, taken) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/take"),
            Some(&kari),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    let (_, seen_by_ola) = app
        .call(
            Method::GET,
            &format!("{search}?q=customer%2000003"),
            Some(&ola),
            None,
        )
        .await;
    let found = &seen_by_ola["customers"][0];
    assert_eq!(found["may_take"], false, "{seen_by_ola}");
    assert!(
        found["refused"]
            .as_str()
            .unwrap_or_default()
            .contains("another seller"),
        "{found}"
    );
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/take"),
            Some(&ola),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the same rule as the search said"
    );

    // Found from outside: a seller could take customer after customer and sit on them all.
    // Taking another gives the first back.
    let (_, other) = app
        .call(
            Method::GET,
            &format!("{search}?external_id=ext-00004"),
            Some(&kari),
            None,
        )
        .await;
    let second = other["customers"][0]["enrollment"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{second}/take"),
            Some(&kari),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = app
        .call(
            Method::GET,
            &format!("{search}?external_id=ext-00003"),
            Some(&ola),
            None,
        )
        .await;
    assert_eq!(again["customers"][0]["may_take"], true, "{again}");

    // Pages of matches: `next_offset` until the last.
    let (_, first) = app
        .call(
            Method::GET,
            &format!("{search}?q=customer&limit=2"),
            Some(&kari),
            None,
        )
        .await;
    assert_eq!(first["customers"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["next_offset"], 2, "{first}");
    for query in ["limit=0", "phone=abc", "q=%00"] {
        let (status, problem) = app
            .call(Method::GET, &format!("{search}?{query}"), Some(&kari), None)
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
    }
    let (status, _) = app
        .call(Method::GET, &format!("{search}?bogus=1"), Some(&kari), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// "Why is my queue empty?" over the API: counts per reason and when the waiting customers
/// come back; a caller who may not work the assignment is not told.
#[tokio::test]
async fn the_queue_says_who_is_ready_and_who_comes_back_when() {
    let app = App::new().await;
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let uri = format!("/api/assignments/{}/queue", app.assignment());
    let (status, queue) = app.call(Method::GET, &uri, Some(&seller), None).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let total = app.world.enrollments.len() as u64;
    assert_eq!(queue["ready"], total, "{queue}");
    assert_eq!(queue["resting"]["count"], 0);
    assert_eq!(queue["next_at"], Value::Null);
    assert_eq!(queue["hard_stop"], Value::Null);

    // Another seller takes one: it is held by another until the lease ends.
    let other = app.login(&app.world.sellers[1].email.to_string()).await;
    let next = format!("/api/assignments/{}/next", app.assignment());
    let (status, taken) = app.call(Method::POST, &next, Some(&other), None).await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    let (_, queue) = app.call(Method::GET, &uri, Some(&seller), None).await;
    assert_eq!(queue["ready"], total - 1, "{queue}");
    assert_eq!(queue["held_by_others"]["count"], 1, "{queue}");
    assert_eq!(
        queue["held_by_others"]["first"], taken["enrollment"]["reserved_until"],
        "{queue}"
    );
    assert_eq!(queue["next_at"], queue["held_by_others"]["first"]);

    // One customer: held by another until the lease ends; another is ready in the pool.
    let held = taken["enrollment"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, why) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{held}/queue-reason"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{why}");
    assert_eq!(why["reason"], "held_by_another", "{why}");
    assert_eq!(why["until"], taken["enrollment"]["reserved_until"], "{why}");
    let (_, mine) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{held}/queue-reason"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(mine, json!({ "reason": "ready", "tier": "held" }));

    let client = app.login(&app.world.client_user.email.to_string()).await;
    let (status, _) = app.call(Method::GET, &uri, Some(&client), None).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}
