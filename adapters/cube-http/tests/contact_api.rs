//! The contact policy over the API (issue 18): a data owner's rules and where its consumers
//! stand, the wash with the register's export as the body (a bad file refused whole, nothing
//! washed), the do-not-call list and exemptions on the customer record, and the seller's
//! queue explaining who is barred and why.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{App, Tokens, is_problem};
use serde_json::{Value, json};

fn policy_uri(app: &App) -> String {
    format!(
        "/api/data-owners/{}/contact-policy",
        app.world.data_owner.id()
    )
}

fn wash_uri(app: &App) -> String {
    format!(
        "/api/data-owners/{}/reservation-register/wash",
        app.world.data_owner.id()
    )
}

/// POSTs the register file as the body.
async fn wash(app: &App, token: &str, file: &str, content_type: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(wash_uri(app))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(file.to_owned()))
        .expect("a request");
    let (status, headers, body) = app.send(request).await;
    if !status.is_success() {
        assert!(is_problem(&headers), "{status}: {body}");
    }
    (status, body)
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// The world's first customers made persons over the API (their CRM values dropped: the
/// data owner has no person fields).
async fn make_person(app: &App, token: &str, i: usize) -> String {
    let customer = &app.world.customers[i];
    let uri = format!("/api/customers/{}", customer.id());
    let (status, before) = app.call(Method::GET, &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    // The dataset is kept by an update; a person is added as a new customer instead.
    let new = json!({
        "dataset": "b2c",
        "name": format!("Person {i}"),
        "phones": [format!("+4798{:06}", i)],
    });
    let owner = app.world.data_owner.id();
    let (status, person) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{owner}/customers"),
            Some(token),
            Some(new),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{person}");
    let id = person["id"].as_str().expect("an id").to_owned();
    let (status, report) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/enrollments", app.assignment()),
            Some(token),
            Some(json!({ "customers": [id] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    id
}

#[tokio::test]
async fn a_data_owner_starts_held_to_the_law_and_washes_with_the_registers_file() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;

    let (status, policy) = app
        .call(Method::GET, &policy_uri(&app), Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{policy}");
    assert_eq!(policy["consumer_call_windows"], true);
    assert_eq!(policy["reservation_register"], true);
    assert_eq!(policy["last_wash"], Value::Null);
    assert_eq!(
        policy["consumers_now"],
        json!({ "kind": "register_stale", "last_wash": null })
    );

    let first = make_person(&app, &t.manager, 0).await;
    let second = make_person(&app, &t.manager, 1).await;

    // A file with lines that are not numbers is refused whole: nothing washed.
    let (status, problem) = wash(
        &app,
        &t.manager,
        "Telefon;Dato\n+4798000000;2025-01-01\nabc\n12\n",
        "text/csv",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("line 3: 'abc'"), "{problem}");
    assert!(detail(&problem).contains("nothing was washed"), "{problem}");
    let (_, policy) = app
        .call(Method::GET, &policy_uri(&app), Some(&t.manager), None)
        .await;
    assert_eq!(policy["last_wash"], Value::Null);
    // A form instead of the file, and an empty file.
    let (status, _) = wash(
        &app,
        &t.manager,
        "--x\r\n",
        "multipart/form-data; boundary=x",
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, problem) = wash(&app, &t.manager, "", "text/csv").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The register's export: the first person's number is reserved (written without +47).
    let (status, washed) = wash(
        &app,
        &t.manager,
        "Telefon;Dato\n98000000;2025-01-01\n+4741234567;2024-02-02\n",
        "text/csv",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{washed}");
    assert_eq!(washed["register_numbers"], 2);
    assert_eq!(washed["checked"], 2);
    assert_eq!(washed["reserved"], 1);
    let (_, record) = app
        .call(
            Method::GET,
            &format!("/api/customers/{first}"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(record["contact"]["register"]["reserved"], true, "{record}");
    let (_, record) = app
        .call(
            Method::GET,
            &format!("/api/customers/{second}"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(record["contact"]["register"]["reserved"], false, "{record}");
    let (_, policy) = app
        .call(Method::GET, &policy_uri(&app), Some(&t.manager), None)
        .await;
    assert_eq!(policy["last_wash"]["reserved"], 1, "{policy}");
    assert_eq!(policy["consumers_now"], Value::Null, "{policy}");

    // The seller's queue counts the reserved person, and says why for that customer.
    let (status, queue) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/queue", app.assignment()),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(queue["reserved"], 1, "{queue}");
    assert_eq!(queue["consumers"], Value::Null, "{queue}");

    // An exemption lets the reserved person through; the record shows it.
    let (status, record) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{first}/register-exemption"),
            Some(&t.manager),
            Some(json!({ "kind": "existing_customer", "since": "2024-01-15", "product_area": "strøm" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["contact"]["exemption"]["product_area"], "strøm");
    let (_, queue) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/queue", app.assignment()),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(queue["reserved"], 0, "{queue}");
    // A bad exemption is refused with the field named.
    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{first}/register-exemption"),
            Some(&t.manager),
            Some(json!({ "kind": "asked_to_be_called", "at": "2025-03-01T10:00:00Z", "source": " " })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("source"), "{problem}");
}

#[tokio::test]
async fn the_do_not_call_list_stops_handing_out_and_taking_and_is_recorded() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let customer = app.world.customers[0].id();
    let enrollment = app.world.enrollments[0].id();

    let (status, record) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{customer}/do-not-call"),
            Some(&t.manager),
            Some(json!({ "reason": "ba om å ikke bli ringt" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(
        record["contact"]["do_not_call"]["reason"],
        "ba om å ikke bli ringt"
    );

    // "Next" passes over them (the first customer in import order), taking is refused.
    let (status, work) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{work}");
    assert_ne!(
        work["enrollment"]["id"],
        json!(enrollment.to_string()),
        "{work}"
    );
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/take"),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(detail(&problem).contains("do-not-call"), "{problem}");
    let (status, why) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{enrollment}/queue-reason"),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{why}");
    assert_eq!(
        why,
        json!({ "reason": "barred", "policy": { "kind": "do_not_call" } })
    );

    // The change is in the customer's history; taking them off lets them be called again.
    let (_, history) = app
        .call(
            Method::GET,
            &format!("/api/customers/{customer}/history"),
            Some(&t.manager),
            None,
        )
        .await;
    assert!(history.to_string().contains("do_not_call"), "{history}");
    assert!(
        history.to_string().contains("ba om å ikke bli ringt"),
        "{history}"
    );
    let (status, record) = app
        .call(
            Method::DELETE,
            &format!("/api/customers/{customer}/do-not-call"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(
        record.get("contact"),
        None,
        "nothing recorded any more: {record}"
    );

    // Sellers may not list a customer; another organisation's manager learns nothing.
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{customer}/do-not-call"),
            Some(&t.seller),
            Some(json!({ "reason": "x" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(Method::GET, &policy_uri(&app), Some(&t.other_manager), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_outcome_is_set_up_to_put_the_customer_on_the_do_not_call_list() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/assignments/{}/setup", app.assignment());
    let (status, mut setup) = app.call(Method::GET, &uri, Some(&t.manager), None).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let excluded = cube_testkit::fixtures::SalesFlow::O_EXCLUDED.to_string();
    setup["outcomes"]
        .as_array_mut()
        .expect("a list")
        .push(json!({ "outcome": excluded, "do_not_call": true }));
    let (status, saved) = app
        .call(Method::PUT, &uri, Some(&t.manager), Some(setup))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, read) = app.call(Method::GET, &uri, Some(&t.manager), None).await;
    let entry = read["outcomes"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|o| o["outcome"] == json!(excluded))
        .cloned()
        .expect("the entry");
    assert_eq!(entry["do_not_call"], true, "{read}");
}

#[tokio::test]
async fn who_may_wash_is_checked_before_the_file_and_one_wash_runs_at_a_time() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    // A seller is refused before the file is read: a form or a file, 403 either way.
    let (status, _) = wash(
        &app,
        &t.seller,
        "--x\r\n",
        "multipart/form-data; boundary=x",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = wash(&app, &t.seller, "91234567\n", "text/csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = wash(&app, &t.other_manager, "91234567\n", "text/csv").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A declared length over the limit is refused before reading.
    let request = Request::builder()
        .method(Method::POST)
        .uri(wash_uri(&app))
        .header(header::AUTHORIZATION, format!("Bearer {}", t.manager))
        .header(header::CONTENT_TYPE, "text/csv")
        .header(header::CONTENT_LENGTH, "300000000")
        .body(Body::from("91234567\n"))
        .expect("a request");
    let (status, _, problem) = app.send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    // A spreadsheet is refused with what to do.
    let (status, problem) = wash(&app, &t.manager, "PK\u{3}\u{4}rest", "text/csv").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        detail(&problem).contains("export the register as CSV"),
        "{problem}"
    );
    // Two washes of one data owner at once: the second is refused while the first runs.
    let big: String = (0..200_000).map(|n| format!("+479{n:07}\n")).collect();
    let (first, second) = tokio::join!(
        wash(&app, &t.manager, &big, "text/csv"),
        wash(&app, &t.admin, &big, "text/csv")
    );
    let statuses = [first.0, second.0];
    assert!(
        statuses.contains(&StatusCode::OK),
        "one wash runs: {statuses:?} {} {}",
        first.1,
        second.1
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn rules_are_set_and_the_document_lists_the_endpoints() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let (status, policy) = app
        .call(
            Method::PUT,
            &policy_uri(&app),
            Some(&t.manager),
            Some(json!({ "consumer_call_windows": true, "reservation_register": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{policy}");
    assert_eq!(policy["reservation_register"], false);
    assert_eq!(
        policy["consumers_now"],
        Value::Null,
        "T0 is inside the window: {policy}"
    );
    let (status, problem) = app
        .call(
            Method::PUT,
            &policy_uri(&app),
            Some(&t.manager),
            Some(json!({ "consumer_call_windows": true })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let (_, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    for (path, method) in [
        ("/api/customers/{id}/do-not-call", "put"),
        ("/api/customers/{id}/do-not-call", "delete"),
        ("/api/customers/{id}/register-exemption", "put"),
        ("/api/customers/{id}/register-exemption", "delete"),
        ("/api/data-owners/{id}/contact-policy", "get"),
        ("/api/data-owners/{id}/contact-policy", "put"),
        ("/api/data-owners/{id}/reservation-register/wash", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let body =
        &doc["paths"]["/api/data-owners/{id}/reservation-register/wash"]["post"]["requestBody"];
    assert_eq!(
        body["content"]["text/csv"]["schema"]["$ref"], "#/components/schemas/FileBody",
        "{body}"
    );
    assert_eq!(doc["components"]["schemas"]["FileBody"]["format"], "binary");
}
