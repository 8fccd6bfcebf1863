//! No request reads or changes another organisation's data, over every documented
//! operation: the OpenAPI document is walked, each operation's path ids are filled with
//! ids of the first organisation, and the second organisation's admin must get exactly the
//! answer an id that does not exist gets (same status, same detail) — never a success, never
//! a 403 that would confirm the resource exists. Lists the second organisation reads must
//! hold none of the first organisation's ids, and nothing of the first organisation changes.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::App;
use serde_json::Value;

const NOWHERE: &str = "00000000-0000-7000-8000-00000000dead";

/// The first organisation's id for a path parameter, by the collection it follows.
fn first_org_id(
    app: &App,
    collection: &str,
    import_job: &str,
    import: &str,
    meeting: &str,
    webhook: &str,
) -> String {
    let w = &app.world;
    if let Some(id) = common::world_id(w, collection) {
        return id;
    }
    match collection {
        "users" => w.sellers[0].id.to_string(),
        // A token id is the hash of a token of the first organisation's seller; any hash
        // the second organisation does not hold behaves alike, so a made-up one serves.
        "tokens" => "ab".repeat(32),
        "import-jobs" => import_job.to_owned(),
        "imports" => import.to_owned(),
        "meetings" => meeting.to_owned(),
        "webhooks" => webhook.to_owned(),
        // A saved mapping's name, under the data owner's id.
        "import-mappings" => "Matrix".to_owned(),
        other => panic!("no first-organisation id for `{other}`: classify it here"),
    }
}

/// `path` with its parameters filled by `fill(collection)`.
fn filled(path: &str, fill: impl Fn(&str) -> String) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if part.starts_with('{') {
                fill(parts[i - 1])
            } else {
                (*part).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(app: &App, method: &Method, uri: &str, token: &str) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = if *method == Method::GET || *method == Method::DELETE {
        Body::empty()
    } else {
        request = request.header(header::CONTENT_TYPE, "application/json");
        Body::from("{}")
    };
    let (status, _, body) = app.send(request.body(body).expect("a request")).await;
    (status, body)
}

#[tokio::test]
async fn the_second_organisation_gets_what_a_missing_id_gets_on_every_operation() {
    let app = App::new().await;
    let first_admin = app.login(&app.world.admin.email.to_string()).await;
    let stranger = app.login(&app.other.admin.email.to_string()).await;
    let (_, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    let import_job = common::managers_import_job(&app).await;
    let import = common::managers_import(&app).await;
    let meeting = common::sellers_meeting(&app).await;
    let (status, created) = app
        .call(
            Method::POST,
            "/api/webhooks",
            Some(&first_admin),
            Some(serde_json::json!({ "url": "http://127.0.0.1:9/hook", "events": ["state_changed"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let webhook = created["id"].as_str().unwrap_or_default().to_owned();
    let before = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/reports/status", app.assignment()),
            Some(&first_admin),
            None,
        )
        .await;

    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        for method in operations.as_object().expect("operations").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let foreign = filled(path, |c| {
                first_org_id(&app, c, &import_job, &import, &meeting, &webhook)
            });
            let missing = filled(path, |c| {
                if c == "versions" {
                    "1".to_owned()
                } else if c == "tokens" {
                    "cd".repeat(32)
                } else {
                    NOWHERE.to_owned()
                }
            });
            let (status, body) = send(&app, &method, &foreign, &stranger).await;
            let (expected, expected_body) = send(&app, &method, &missing, &stranger).await;
            eprintln!("{method:6} {path:50} foreign {status} / missing {expected}");
            assert!(
                !status.is_success() && status != StatusCode::FORBIDDEN,
                "{method} {path}: another organisation's id answered {status}: {body}"
            );
            assert_eq!(
                status, expected,
                "{method} {path}: a foreign id must answer like a missing one ({body} vs {expected_body})"
            );
            let scrub = |v: &Value, id: &str| v["detail"].to_string().replace(id, "ID");
            let foreign_id = foreign.rsplit('/').find(|p| p.len() >= 32).unwrap_or("");
            let missing_id = missing.rsplit('/').find(|p| p.len() >= 32).unwrap_or("");
            assert_eq!(
                scrub(&body, foreign_id),
                scrub(&expected_body, missing_id),
                "{method} {path}: the detail must not tell a foreign id from a missing one"
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} operations carry ids");

    // Lists the stranger reads hold nothing of the first organisation.
    let first_ids = [
        app.assignment(),
        app.world.data_owner.id().to_string(),
        app.world.sellers[0].id.to_string(),
        app.world.admin.id.to_string(),
        app.world.customers[0].id().to_string(),
    ];
    for list in [
        "/api/assignments",
        "/api/users",
        "/api/data-owners",
        "/api/my-work",
        "/api/reports/performance",
    ] {
        let (status, body) = app.call(Method::GET, list, Some(&stranger), None).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{list}: {status}"
        );
        let text = body.to_string();
        for id in &first_ids {
            assert!(!text.contains(id.as_str()), "{list} shows {id}: {text}");
        }
    }

    // And nothing of the first organisation changed.
    let after = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/reports/status", app.assignment()),
            Some(&first_admin),
            None,
        )
        .await;
    assert_eq!(before, after);
    let (status, me) = app
        .call(Method::GET, "/api/me", Some(&first_admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "the first admin still works: {me}");
}
