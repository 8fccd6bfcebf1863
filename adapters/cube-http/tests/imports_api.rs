//! Undoing an import over HTTP (issue 16): an import's answer names its record, `GET
//! /api/data-owners/{id}/imports` lists the data owner's imports newest first with what each
//! created, and `POST /api/imports/{id}/undo` removes what an import nobody has worked on
//! created — the status report reading as before it —, answers 409 problem+json naming how
//! many customers were worked on (nothing removed) or when it was undone already, and 404 for
//! an unknown import or another organisation's.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::{App, Tokens};
use serde_json::{Value, json};

/// The manager imports `rows` (name, phone) into the world's assignment; the answer.
async fn import(app: &App, token: &str, rows: &[(&str, &str)]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|(name, phone)| json!({ "name": name, "phones": [phone] }))
        .collect();
    let (status, report) = app
        .call(
            Method::POST,
            &format!(
                "/api/data-owners/{}/customers/import",
                app.world.data_owner.id()
            ),
            Some(token),
            Some(json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": rows })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

async fn status_report(app: &App, token: &str) -> Value {
    let uri = format!("/api/assignments/{}/reports/status", app.assignment());
    let (status, report) = app.call(Method::GET, &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

/// `POST` with `token` and no body: the status, headers and answer.
async fn post(app: &App, uri: &str, token: &str) -> (StatusCode, HeaderMap, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("a valid request");
    app.send(request).await
}

fn undo_uri(import: &str) -> String {
    format!("/api/imports/{import}/undo")
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

#[tokio::test]
async fn an_import_is_listed_then_undone_once_and_the_status_report_reads_as_before() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let before = status_report(&app, &t.manager).await;
    let report = import(
        &app,
        &t.manager,
        &[("Angre AS", "+4795550001"), ("Angre To AS", "+4795550002")],
    )
    .await;
    let id = text(&report["import"]);
    let list_uri = format!("/api/data-owners/{}/imports", app.world.data_owner.id());
    let (status, listed) = app
        .call(Method::GET, &list_uri, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["id"], json!(id));
    assert_eq!(listed[0]["customers_created"], json!(2));
    assert_eq!(listed[0]["enrollments_created"], json!(2));
    assert_eq!(listed[0]["undone_at"], Value::Null);
    assert_ne!(status_report(&app, &t.manager).await, before);

    let (status, undone) = app
        .call(Method::POST, &undo_uri(&id), Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{undone}");
    assert_eq!(undone["customers_removed"], json!(2));
    assert_eq!(undone["enrollments_removed"], json!(2));
    assert_eq!(
        undone["import"]["undone_by"],
        json!(app.world.manager.id.to_string())
    );
    assert_eq!(status_report(&app, &t.manager).await, before);
    let customer = text(&report["rows"][0]["customer"]);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/customers/{customer}"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = app
        .call(Method::GET, &list_uri, Some(&t.manager), None)
        .await;
    assert_eq!(listed[0]["undone_at"], undone["import"]["undone_at"]);

    let (status, headers, refused) = post(&app, &undo_uri(&id), &t.admin).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(common::is_problem(&headers));
    let detail = text(&refused["detail"]);
    assert!(
        detail.starts_with("this import was undone already, at "),
        "{detail}"
    );
}

#[tokio::test]
async fn a_worked_import_is_refused_naming_how_many_and_nothing_is_removed() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let report = import(
        &app,
        &t.manager,
        &[("Jobbet AS", "+4796660001"), ("Urørt AS", "+4796660002")],
    )
    .await;
    let id = text(&report["import"]);
    // The card of one is edited: it has been worked on.
    let customer = text(&report["rows"][0]["customer"]);
    let (status, edited) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{customer}"),
            Some(&t.manager),
            Some(json!({ "name": "Jobbet AS (rettet)", "phones": ["+4796660001"] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let with_it = status_report(&app, &t.manager).await;

    let (status, headers, refused) = post(&app, &undo_uri(&id), &t.manager).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(common::is_problem(&headers));
    let detail = text(&refused["detail"]);
    assert!(detail.starts_with("1 of the 2 customers"), "{detail}");
    assert!(detail.contains("nothing was removed"), "{detail}");
    assert_eq!(status_report(&app, &t.manager).await, with_it);
    for row in report["rows"].as_array().expect("rows") {
        let (status, _) = app
            .call(
                Method::GET,
                &format!("/api/customers/{}", text(&row["customer"])),
                Some(&t.manager),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "every customer stays");
    }
}

#[tokio::test]
async fn an_unknown_import_or_another_organisations_is_not_found_and_a_seller_may_not() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let report = import(&app, &t.manager, &[("Fremmed AS", "+4797770001")]).await;
    let id = text(&report["import"]);

    let (status, foreign) = app
        .call(Method::POST, &undo_uri(&id), Some(&t.other_admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{foreign}");
    let (status, missing) = app
        .call(
            Method::POST,
            &undo_uri("00000000-0000-7000-8000-00000000dead"),
            Some(&t.other_admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        foreign["detail"], missing["detail"],
        "told apart by nothing"
    );
    let (status, refused) = app
        .call(Method::POST, &undo_uri(&id), Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, _) = app
        .call(
            Method::POST,
            &undo_uri("not-a-uuid"),
            Some(&t.manager),
            None,
        )
        .await;
    assert!(status.is_client_error());

    // None of that removed anything: the manager undoes it now.
    let (status, undone) = app
        .call(Method::POST, &undo_uri(&id), Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{undone}");
    assert_eq!(undone["customers_removed"], json!(1));
}
