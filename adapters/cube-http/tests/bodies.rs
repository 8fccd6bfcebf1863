//! Every JSON request body is an object where the OpenAPI document says object, over every
//! documented operation: the document is walked, and each operation whose JSON body (or a
//! field of it) is an object gets bodies of another shape — `[]`, a positional array, a
//! string, a number, `null`, and each object field sent as `[]`. Each must answer 422
//! problem+json naming the body (or the field), and the first organisation must read the
//! same before and after. serde's derive reads a struct from an array, so without the check
//! `PUT …/setup` with `[]` reset a whole setup and `POST /api/tokens` with `[]` issued a token.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::App;
use serde_json::{Map, Value, json};

/// The shared secret of the SMS provider's callback.
const SMS_SECRET: &str = "the-sms-providers-shared-secret";

/// The first organisation's id for a path parameter, by the collection it follows.
fn first_org_id(app: &App, collection: &str) -> String {
    if let Some(id) = common::world_id(&app.world, collection) {
        return id;
    }
    match collection {
        "users" => app.world.sellers[0].id.to_string(),
        "tokens" => "ab".repeat(32),
        // Only read (GET): no body to send it, so any id serves.
        "import-jobs" => "00000000-0000-7000-8000-00000000dead".to_owned(),
        // A bad body is refused before the meeting is looked up: any id serves.
        "meetings" => "00000000-0000-7000-8000-00000000beef".to_owned(),
        // A saved mapping's name: a bad body is refused before it is looked up.
        "import-mappings" => "Matrix".to_owned(),
        // Only deleted (no body): any id serves.
        "webhooks" => "00000000-0000-7000-8000-0000000000ee".to_owned(),
        other => panic!("no first-organisation id for `{other}`: classify it here"),
    }
}

/// `path` with its parameters filled with the first organisation's ids.
fn filled(app: &App, path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if part.starts_with('{') {
                first_org_id(app, parts[i - 1])
            } else {
                (*part).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A schema with its `$ref` followed into the document's components.
fn resolved<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            let target = &doc["components"]["schemas"][name];
            assert!(!target.is_null(), "`{reference}` names no schema");
            resolved(doc, target)
        }
        None => schema,
    }
}

/// Whether the document says this value is an object (maybe `null`): its type, a part of
/// `allOf`, or every branch of a union that is not `null`.
fn says_object(doc: &Value, schema: &Value) -> bool {
    let schema = resolved(doc, schema);
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"object") && !types.contains(&"array") {
        return true;
    }
    if let Some(parts) = schema["allOf"].as_array()
        && parts.iter().any(|part| says_object(doc, part))
    {
        return true;
    }
    for union in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[union].as_array() {
            let others: Vec<&Value> = branches
                .iter()
                .filter(|b| resolved(doc, b)["type"] != "null")
                .collect();
            return !others.is_empty() && others.iter().all(|b| says_object(doc, b));
        }
    }
    false
}

/// The named properties of an object schema, `allOf` parts included.
fn properties<'a>(doc: &'a Value, schema: &'a Value) -> Map<String, Value> {
    let schema = resolved(doc, schema);
    let mut all = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        all.extend(properties(doc, part));
    }
    all
}

async fn send(
    app: &App,
    method: &Method,
    uri: &str,
    token: &str,
    body: &Value,
) -> (StatusCode, bool, Value) {
    let request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("X-Cube-Sms-Secret", SMS_SECRET)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a request");
    let (status, headers, body) = app.send(request).await;
    (status, common::is_problem(&headers), body)
}

/// What the first organisation's admin reads on every documented GET with the first
/// organisation's ids (the operations' own counters aside).
async fn snapshot(app: &App, doc: &Value, token: &str) -> Vec<(String, StatusCode, Value)> {
    let mut seen = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        if operations.get("get").is_none() || path == "/metrics" || path.starts_with("/api-docs") {
            continue;
        }
        let uri = filled(app, path);
        let (status, body) = app.call(Method::GET, &uri, Some(token), None).await;
        seen.push((uri, status, body));
    }
    seen
}

#[tokio::test]
async fn a_body_that_is_no_object_where_the_document_says_object_is_refused_on_every_operation() {
    // The SMS provider's callback is opened by its shared secret, which every request sends
    // (the others ignore it), so its body is checked like the rest.
    let app = App::configured(|state| {
        state.sms_inbound_secret = Some(std::sync::Arc::from(SMS_SECRET));
    })
    .await;
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (_, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    let before = snapshot(&app, &doc, &admin).await;

    let mut operations = 0;
    let mut fields = 0;
    for (path, items) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in items.as_object().expect("operations") {
            let Some(schema) =
                operation["requestBody"]["content"]["application/json"].get("schema")
            else {
                continue;
            };
            assert!(
                says_object(&doc, schema),
                "{method} {path}: a JSON body that is no object; say here what it must be"
            );
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let uri = filled(&app, path);
            for body in [
                json!([]),
                json!(["x", 1, true, null]),
                json!("x"),
                json!(1),
                json!(null),
            ] {
                let (status, problem, answer) = send(&app, &method, &uri, &admin, &body).await;
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{method} {path} with {body}: {answer}"
                );
                assert!(
                    problem,
                    "{method} {path} with {body}: not a problem document"
                );
                let detail = answer["detail"].as_str().unwrap_or_default();
                assert!(
                    detail.starts_with("the request body must be a JSON object"),
                    "{method} {path} with {body}: the detail must name the body: {detail}"
                );
            }
            for (name, field) in properties(&doc, schema) {
                if !says_object(&doc, &field) {
                    continue;
                }
                let body = json!({ name.clone(): [] });
                let (status, problem, answer) = send(&app, &method, &uri, &admin, &body).await;
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{method} {path} with {body}: {answer}"
                );
                assert!(
                    problem,
                    "{method} {path} with {body}: not a problem document"
                );
                let detail = answer["detail"].as_str().unwrap_or_default();
                assert!(
                    detail.starts_with(&format!("`{name}` must be a JSON object")),
                    "{method} {path} with {body}: the detail must name the field: {detail}"
                );
                fields += 1;
            }
            eprintln!("{method:6} {path}");
            operations += 1;
        }
    }
    assert!(
        operations >= 25,
        "only {operations} operations take a JSON body"
    );
    assert!(
        fields >= 3,
        "only {fields} object fields were sent as arrays"
    );

    let after = snapshot(&app, &doc, &admin).await;
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{} changed", b.0);
    }
}
