//! Times over HTTP (issue 21): hours that overlap the user's other hours are a 409 naming
//! the entry, times are kept to the microsecond, the external state change reports every
//! assignment and is safe to retry, and a calendar's meetings are read across assignments.

mod common;

use axum::http::{Method, StatusCode};
use common::{App, Tokens};
use serde_json::{Value, json};

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// Issue 21: 14:05–16:05 and 14:05–15:05 were both accepted (3 hours). The second is a
/// 409 problem naming the first; a time finer than a microsecond is kept truncated.
#[tokio::test]
async fn overlapping_hours_are_a_conflict_naming_the_entry() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let manual = format!("/api/assignments/{}/time", app.assignment());
    let (status, first) = app
        .call(
            Method::POST,
            &manual,
            Some(&t.seller),
            Some(json!({ "start": "2025-03-03T05:05:00.0000009Z", "end": "2025-03-03T07:05:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        first["start"], "2025-03-03T05:05:00Z",
        "kept to the microsecond"
    );
    assert_eq!(first["hours"], "2");
    let (status, problem) = app
        .call(
            Method::POST,
            &manual,
            Some(&t.seller),
            Some(json!({ "start": "2025-03-03T05:05:00Z", "end": "2025-03-03T06:05:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let id = first["id"].as_str().unwrap_or_default();
    assert!(detail(&problem).contains(id), "names the entry: {problem}");
}
