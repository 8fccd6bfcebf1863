//! Documents edited by reading them whole and sending them back carry a revision: the GET
//! answers it as `ETag`, a PUT sends it back in `If-Match`. Two managers read the same
//! document; the first one's write goes through and answers the new `ETag`; the second one's,
//! based on the old one, answers 412 problem+json and writes nothing. Without `If-Match` a
//! write replaces the document as before. Covered: an assignment's setup, a flow's draft, and
//! a data owner's GDPR details and CRM fields (which share the data owner's `ETag`).

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::{App, Tokens};
use serde_json::{Value, json};

async fn get(app: &App, uri: &str, token: &str) -> (String, Value) {
    let request = Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("a request");
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "GET {uri}: {body}");
    (etag(&headers, uri), body)
}

fn etag(headers: &HeaderMap, uri: &str) -> String {
    let tag = headers
        .get(header::ETAG)
        .unwrap_or_else(|| panic!("{uri} answers no ETag"))
        .to_str()
        .expect("an ASCII ETag")
        .to_owned();
    assert!(
        tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"'),
        "{uri}: a strong, quoted ETag: {tag}"
    );
    tag
}

async fn put(
    app: &App,
    uri: &str,
    token: &str,
    if_match: Option<&str>,
    body: &Value,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::builder()
        .method(Method::PUT)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(tag) = if_match {
        request = request.header(header::IF_MATCH, tag);
    }
    let request = request
        .body(Body::from(body.to_string()))
        .expect("a request");
    app.send(request).await
}

/// The race on one document: `read` is where its `ETag` comes from, `write` where it is
/// changed; `first` and `second` are two different changes.
async fn two_managers_edit_at_once(
    app: &App,
    tokens: &Tokens,
    read: &str,
    write: &str,
    first: Value,
    second: Value,
) {
    let (manager, admin) = (&tokens.manager, &tokens.admin);
    let (tag, _) = get(app, read, manager).await;
    let (same, _) = get(app, read, admin).await;
    assert_eq!(tag, same, "{read}: one document, one ETag");

    let (status, headers, body) = put(app, write, manager, Some(&tag), &first).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "PUT {write} with the current ETag: {body}"
    );
    let new_tag = etag(&headers, write);
    assert_ne!(new_tag, tag, "{write}: a change is a new revision");
    let (read_tag, after_first) = get(app, read, admin).await;
    assert_eq!(
        read_tag, new_tag,
        "{write}: the PUT answers the ETag a GET reads"
    );

    // The admin's write is based on what they read before the manager's change.
    let (status, headers, body) = put(app, write, admin, Some(&tag), &second).await;
    assert_eq!(
        status,
        StatusCode::PRECONDITION_FAILED,
        "PUT {write} with a stale ETag: {body}"
    );
    assert!(
        common::is_problem(&headers),
        "{write}: 412 is a problem document"
    );
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("changed since it was read"), "{detail}");
    assert_eq!(
        get(app, read, admin).await,
        (new_tag.clone(), after_first),
        "{write}: a refused write changes nothing"
    );

    // A made-up or weak tag is no revision either.
    for stale in ["\"0123\"", "W/\"0123\""] {
        let (status, _, body) = put(app, write, admin, Some(stale), &second).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{stale}: {body}");
    }

    // Read again, the admin's change goes through; `*` and no `If-Match` replace blindly.
    let (status, _, body) = put(app, write, admin, Some(&new_tag), &second).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "PUT {write} after reading again: {body}"
    );
    for blind in [Some("*"), None] {
        let (status, _, body) = put(app, write, admin, blind, &first).await;
        assert_eq!(status, StatusCode::OK, "PUT {write} with {blind:?}: {body}");
    }
}

#[tokio::test]
async fn a_setup_written_on_an_old_etag_is_refused_with_412() {
    let app = App::new().await;
    let tokens = Tokens::of(&app).await;
    let uri = format!("/api/assignments/{}/setup", app.assignment());
    let (_, setup) = get(&app, &uri, &tokens.admin).await;
    let mut first = setup.clone();
    first["lease_seconds"] = json!(600);
    let mut second = setup;
    second["visibility"] = json!({ "users": [app.world.sellers[0].id.to_string()] });
    two_managers_edit_at_once(&app, &tokens, &uri, &uri, first, second).await;
}

#[tokio::test]
async fn a_flow_draft_written_on_an_old_etag_is_refused_with_412() {
    let app = App::new().await;
    let tokens = Tokens::of(&app).await;
    let uri = format!("/api/flows/{}/draft", app.world.sales_flow.id());
    let (_, draft) = get(&app, &uri, &tokens.admin).await;
    let content = |name: &str| {
        json!({
            "name": name,
            "initial": draft["initial"],
            "states": draft["states"],
            "outcomes": draft["outcomes"],
        })
    };
    two_managers_edit_at_once(
        &app,
        &tokens,
        &uri,
        &uri,
        content("Salg (manager)"),
        content("Salg (admin)"),
    )
    .await;
}

#[tokio::test]
async fn gdpr_details_written_on_an_old_etag_are_refused_with_412() {
    let app = App::new().await;
    let tokens = Tokens::of(&app).await;
    let owner = format!("/api/data-owners/{}", app.world.data_owner.id());
    let (_, read) = get(&app, &owner, &tokens.admin).await;
    let with_address = |address: &str| {
        let mut controller = read["controller"].clone();
        controller["address"] = json!(address);
        json!({ "controller": controller, "purposes": read["purposes"] })
    };
    two_managers_edit_at_once(
        &app,
        &tokens,
        &owner,
        &format!("{owner}/gdpr"),
        with_address("Revisjonsveien 1, 0150 Oslo"),
        with_address("Revisjonsveien 2, 0150 Oslo"),
    )
    .await;
}

#[tokio::test]
async fn crm_fields_written_on_an_old_etag_are_refused_with_412() {
    let app = App::new().await;
    let tokens = Tokens::of(&app).await;
    let owner = format!("/api/data-owners/{}", app.world.data_owner.id());
    let field = |key: &str| {
        json!({
            "dataset": "b2b",
            "fields": [{ "key": key, "label": key, "type": "text" }],
        })
    };
    two_managers_edit_at_once(
        &app,
        &tokens,
        &owner,
        &format!("{owner}/fields"),
        field("revenue_band"),
        field("employee_band"),
    )
    .await;
}
