//! The set-up endpoint group end to end inside the process: users and passwords, API tokens,
//! data owners (GDPR details, CRM fields), products, calendars, flows (draft, check,
//! publish, copy) and assignments (create, setup, segments, switching flows). Each test reads
//! as a conversation: request, status, body — and, where it matters, what a later request
//! sees. Every id of the first organisation is also tried by the other organisation's admin,
//! who must find none of them.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::{App, PASSWORD, Tokens, is_problem};
use cube_testkit::fixtures::{MeetingFlow, SalesFlow};
use serde_json::{Value, json};

/// Like `App::call`, with the response headers too.
async fn send(
    app: &App,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("a valid request");
    app.send(request).await
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// Asserts a problem response with `status` whose detail contains `needle`.
#[track_caller]
fn assert_problem(result: &(StatusCode, Value), status: StatusCode, needle: &str) {
    let (actual, body) = result;
    assert_eq!(*actual, status, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        detail(body).contains(needle),
        "the detail names `{needle}`: {body}"
    );
}

fn owner(app: &App) -> String {
    app.world.data_owner.id().to_string()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|items| items.iter().filter_map(|i| i["id"].as_str()).collect())
        .unwrap_or_default()
}

// ---- users ----

#[tokio::test]
async fn an_admin_lists_and_adds_users_and_the_new_user_logs_in() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;

    let (status, users) = app
        .call(Method::GET, "/api/users", Some(&t.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let listed = ids(&users);
    assert_eq!(listed.len(), app.world.users().count());
    for user in app.world.users() {
        assert!(listed.contains(&user.id.to_string().as_str()));
    }
    assert!(!listed.contains(&app.other.admin.id.to_string().as_str()));
    let manager = users
        .as_array()
        .and_then(|u| {
            u.iter()
                .find(|u| u["id"] == app.world.manager.id.to_string())
        })
        .expect("the manager is listed");
    assert_eq!(manager["role"], "manager");
    assert_eq!(manager["active"], true);
    assert_eq!(manager["data_owners"], json!([owner(&app)]));

    let request = json!({
        "name": "Nina Ny",
        "email": "nina@example.no",
        "role": "manager",
        "data_owners": [owner(&app)],
        "password": "a long enough password",
    });
    let (status, created) = app
        .call(Method::POST, "/api/users", Some(&t.admin), Some(request))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "Nina Ny");
    assert_eq!(created["role"], "manager");
    assert_eq!(created["active"], true);
    assert_eq!(
        created["organisation"],
        app.world.organisation.id.to_string()
    );

    let (status, body) = app
        .call(
            Method::POST,
            "/api/login",
            None,
            Some(json!({ "email": "nina@example.no", "password": "a long enough password" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], created["id"]);

    // Without a password the user exists but cannot log in yet.
    let request = json!({ "name": "Per Passordløs", "email": "per@example.no", "role": "seller" });
    let (status, _) = app
        .call(Method::POST, "/api/users", Some(&t.admin), Some(request))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/login",
            None,
            Some(json!({ "email": "per@example.no", "password": PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, users) = app
        .call(Method::GET, "/api/users", Some(&t.admin), None)
        .await;
    assert_eq!(ids(&users).len(), app.world.users().count() + 2);
}

#[tokio::test]
async fn bad_user_input_is_a_problem_that_names_the_field() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let user = |patch: Value| {
        let mut body = json!({ "name": "Ola", "email": "ola@example.no", "role": "seller" });
        if let (Some(body), Some(patch)) = (body.as_object_mut(), patch.as_object()) {
            for (k, v) in patch {
                body.insert(k.clone(), v.clone());
            }
        }
        body
    };
    let cases = [
        (json!({ "email": "not-an-address" }), "e-mail"),
        (json!({ "role": "boss" }), "role"),
        (json!({ "name": "   " }), "name"),
        (json!({ "password": "short" }), "password"),
        (json!({ "role": "manager" }), "data owner"),
        (json!({ "role": "client" }), "client"),
        // A scope only fits its role: a seller has no client, an admin no data owners.
        (
            json!({ "client": app.world.client.to_string() }),
            "only client users",
        ),
        (
            json!({ "role": "admin", "data_owners": [owner(&app)] }),
            "only managers",
        ),
        (json!({ "colour": "red" }), "colour"),
    ];
    for (patch, needle) in cases {
        let result = app
            .call(
                Method::POST,
                "/api/users",
                Some(&t.admin),
                Some(user(patch)),
            )
            .await;
        assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, needle);
    }
    let taken = user(json!({ "email": app.world.sellers[1].email.to_string() }));
    let (status, body) = app
        .call(Method::POST, "/api/users", Some(&t.admin), Some(taken))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // With a password too: nothing is stored, and the e-mail's owner keeps their password.
    let taken = user(json!({
        "email": app.world.sellers[1].email.to_string(),
        "password": "a password for nobody",
    }));
    let (status, body) = app
        .call(Method::POST, "/api/users", Some(&t.admin), Some(taken))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    app.login(&app.world.sellers[1].email.to_string()).await;

    let (status, headers, body) = send(
        &app,
        Method::POST,
        "/api/users",
        &t.admin,
        Some(json!("not an object")),
    )
    .await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(is_problem(&headers));
    let (_, users) = app
        .call(Method::GET, "/api/users", Some(&t.admin), None)
        .await;
    assert_eq!(
        ids(&users).len(),
        app.world.users().count(),
        "nothing added"
    );
}

#[tokio::test]
async fn only_admins_manage_users() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let seller = app.world.sellers[1].id.to_string();
    for token in [&t.manager, &t.seller, &t.client] {
        let (status, _) = app.call(Method::GET, "/api/users", Some(token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let request = json!({ "name": "Ola", "email": "ola@example.no", "role": "admin" });
        let (status, _) = app
            .call(Method::POST, "/api/users", Some(token), Some(request))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/users/{seller}/active"),
                Some(token),
                Some(json!({ "active": false })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = app.call(Method::GET, "/api/users", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_until_reactivated() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let seller = &app.world.sellers[0];
    let uri = format!("/api/users/{}/active", seller.id);

    let (status, body) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.admin),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let (status, _) = app
        .call(Method::GET, "/api/me", Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.admin),
            Some(json!({ "active": true })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], true);
    let token = app.login(&seller.email.to_string()).await;
    let (status, _) = app.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);

    let own = format!("/api/users/{}/active", app.world.admin.id);
    let result = app
        .call(
            Method::PUT,
            &own,
            Some(&t.admin),
            Some(json!({ "active": false })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "yourself");

    let (status, headers, body) = send(
        &app,
        Method::PUT,
        "/api/users/not-a-uuid/active",
        &t.admin,
        Some(json!({ "active": false })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(is_problem(&headers));
    let (status, body) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.admin),
            Some(json!({ "active": "no" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(detail(&body).contains("active"), "{body}");
}

#[tokio::test]
async fn a_user_sets_their_own_password_and_an_admin_anyones() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let seller = &app.world.sellers[0];
    let uri = format!("/api/users/{}/password", seller.id);

    let (status, body) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.seller),
            Some(json!({ "password": "my new secret phrase" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = app
        .call(Method::GET, "/api/me", Some(&t.seller), None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a new password ends sessions"
    );
    let login = |password: &str| json!({ "email": seller.email.to_string(), "password": password });
    let (status, _) = app
        .call(Method::POST, "/api/login", None, Some(login(PASSWORD)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/login",
            None,
            Some(login("my new secret phrase")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.admin),
            Some(json!({ "password": "set by the admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/login",
            None,
            Some(login("set by the admin")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let other_seller = format!("/api/users/{}/password", app.world.sellers[1].id);
    let (status, _) = app
        .call(
            Method::PUT,
            &other_seller,
            Some(&t.manager),
            Some(json!({ "password": "not my business" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let result = app
        .call(
            Method::PUT,
            &other_seller,
            Some(&t.admin),
            Some(json!({ "password": "short" })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "`password`");
}

// ---- tokens ----

#[tokio::test]
async fn an_api_token_works_until_it_is_revoked() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;

    let (status, issued) = app
        .call(Method::POST, "/api/tokens", Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let token = issued["token"].as_str().expect("a token").to_owned();
    let id = issued["id"].as_str().expect("an id").to_owned();
    assert_eq!(token.len(), 64);
    assert_ne!(token, id, "the id is not the token");
    assert_eq!(issued["expires_at"], Value::Null);
    assert_eq!(issued["user"], app.world.sellers[0].id.to_string());

    let (status, me) = app.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], app.world.sellers[0].id.to_string());

    // Another seller may not revoke it; the other organisation's admin does not find it.
    let other_seller = app.login(&app.world.sellers[1].email.to_string()).await;
    let uri = format!("/api/tokens/{id}");
    let (status, _) = app
        .call(Method::DELETE, &uri, Some(&other_seller), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(Method::DELETE, &uri, Some(&t.other_admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "still valid");

    let (status, _) = app.call(Method::DELETE, &uri, Some(&t.seller), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::DELETE, &uri, Some(&t.seller), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "revoked once");
}

#[tokio::test]
async fn tokens_expire_as_asked_and_admins_and_holders_revoke_them() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;

    let (status, issued) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.manager),
            Some(json!({ "expires_in_days": 30 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert!(issued["expires_at"].is_string(), "{issued}");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/tokens/{}", issued["id"].as_str().unwrap_or_default()),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "an admin revokes any token");

    for days in [0, 3651] {
        let result = app
            .call(
                Method::POST,
                "/api/tokens",
                Some(&t.manager),
                Some(json!({ "expires_in_days": days })),
            )
            .await;
        assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "expires_in_days");
    }
    let (status, _) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.manager),
            Some(json!({ "expires_in_days": -1 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, issued) = app
        .call(Method::POST, "/api/tokens", Some(&t.client), None)
        .await;
    let token = issued["token"].as_str().expect("a token").to_owned();
    let (status, _) = app
        .call(Method::DELETE, "/api/tokens/current", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(Method::GET, "/api/me", Some(&t.client), None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session that issued it lives on"
    );

    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/tokens/no-such-token",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::POST, "/api/tokens", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_issues_an_api_token_for_another_user_and_nobody_else_does() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    // The integration's own user, made by the admin without a password.
    let (status, integration) = app
        .call(
            Method::POST,
            "/api/users",
            Some(&t.admin),
            Some(json!({ "name": "CRM-integrasjon", "email": "crm@example.no", "role": "seller" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    let user = integration["id"].as_str().expect("an id").to_owned();

    let (status, issued) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.admin),
            Some(json!({ "user": user, "expires_in_days": 365 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["user"], user.as_str());
    assert!(issued["expires_at"].is_string(), "{issued}");
    let token = issued["token"].as_str().expect("a token").to_owned();
    let (status, me) = app.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], user.as_str(), "the token acts as the integration");
    let (status, _) = app
        .call(Method::GET, "/api/users", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "with the integration's role");

    // Naming oneself is the same as naming nobody.
    let seller = app.world.sellers[0].id.to_string();
    let (status, own) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.seller),
            Some(json!({ "user": seller })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["user"], seller.as_str());

    // Nobody but an admin names another user; another organisation's user is not found.
    for token in [&t.manager, &t.seller, &t.client] {
        let result = app
            .call(
                Method::POST,
                "/api/tokens",
                Some(token),
                Some(json!({ "user": user })),
            )
            .await;
        assert_problem(&result, StatusCode::FORBIDDEN, "role");
    }
    let other = app.other.sellers[0].id.to_string();
    for token in [&t.admin, &t.seller] {
        let result = app
            .call(
                Method::POST,
                "/api/tokens",
                Some(token),
                Some(json!({ "user": other })),
            )
            .await;
        assert_problem(&result, StatusCode::NOT_FOUND, "user not found");
    }
    let (status, _) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.admin),
            Some(json!({ "user": uuid_like(404) })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let result = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.admin),
            Some(json!({ "user": "the seller" })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "user");

    // A deactivated user gets none.
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/users/{user}/active"),
            Some(&t.admin),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let result = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.admin),
            Some(json!({ "user": user })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "deactivated");
}

// ---- data owners ----

fn gdpr() -> Value {
    json!({
        "controller": {
            "company_name": "Nordlys Kraft AS",
            "organisation_number": "912345678",
            "address": "Kaigata 2, 5003 Bergen",
            "contact_email": "post@nordlys.example.no",
            "data_protection_contact": "personvern@nordlys.example.no",
        },
        "purposes": [{ "description": "Telemarketing", "legal_basis": "legitimate_interests" }],
    })
}

#[tokio::test]
async fn an_admin_creates_a_data_owner_and_fills_in_its_gdpr_details() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;

    let (status, headers, created) = send(
        &app,
        Method::POST,
        "/api/data-owners",
        &t.admin,
        Some(json!({ "name": "Nordlys Kraft" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some(format!("/api/data-owners/{id}").as_str())
    );
    assert_eq!(created["name"], "Nordlys Kraft");
    assert_eq!(
        created["gdpr_gaps"],
        json!([
            "company_name",
            "organisation_number",
            "address",
            "contact_email",
            "data_protection_contact",
            "processing_purpose"
        ])
    );

    let uri = format!("/api/data-owners/{id}");
    let (status, filled) = app
        .call(
            Method::PUT,
            &format!("{uri}/gdpr"),
            Some(&t.admin),
            Some(gdpr()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    assert_eq!(filled["gdpr_gaps"], json!([]));
    assert_eq!(
        filled["controller"]["contact_email"],
        "post@nordlys.example.no"
    );
    assert_eq!(filled["purposes"][0]["legal_basis"], "legitimate_interests");
    let (status, read) = app.call(Method::GET, &uri, Some(&t.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, filled);

    // Clearing a detail brings its gap back.
    let mut partial = gdpr();
    partial["controller"]["address"] = json!("  ");
    let (_, body) = app
        .call(
            Method::PUT,
            &format!("{uri}/gdpr"),
            Some(&t.admin),
            Some(partial),
        )
        .await;
    assert_eq!(body["gdpr_gaps"], json!(["address"]));

    let (status, list) = app
        .call(Method::GET, "/api/data-owners", Some(&t.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&list), vec![owner(&app).as_str(), id.as_str()]);
    let (_, list) = app
        .call(Method::GET, "/api/data-owners", Some(&t.manager), None)
        .await;
    assert_eq!(
        ids(&list),
        vec![owner(&app).as_str()],
        "a manager sees theirs"
    );
    let (_, list) = app
        .call(Method::GET, "/api/data-owners", Some(&t.seller), None)
        .await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn bad_gdpr_details_are_problems_that_name_the_field() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/gdpr", owner(&app));
    let mut bad_email = gdpr();
    bad_email["controller"]["contact_email"] = json!("post at nordlys");
    let mut empty_purpose = gdpr();
    empty_purpose["purposes"][0]["description"] = json!("");
    let mut bad_basis = gdpr();
    bad_basis["purposes"][0]["legal_basis"] = json!("because");
    for (body, needle) in [
        (bad_email, "controller.contact_email"),
        (empty_purpose, "purposes[0].description"),
        (bad_basis, "legal_basis"),
    ] {
        let result = app
            .call(Method::PUT, &uri, Some(&t.manager), Some(body))
            .await;
        assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, needle);
    }
    let (_, owner) = app
        .call(
            Method::GET,
            &format!("/api/data-owners/{}", owner(&app)),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(
        owner["controller"]["company_name"], "Acme Energi AS",
        "unchanged"
    );
    let result = app
        .call(
            Method::POST,
            "/api/data-owners",
            Some(&t.admin),
            Some(json!({ "name": "" })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "name");
}

#[tokio::test]
async fn crm_fields_are_replaced_per_dataset_and_checked() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/fields", owner(&app));
    let fields = json!({
        "dataset": "b2c",
        "fields": [
            { "key": "birth_year", "label": "Birth year", "type": "number" },
            { "key": "segment", "label": "Segment", "type": "choice", "choices": ["Young", "Senior"], "required": true },
        ],
    });
    let (status, body) = app
        .call(Method::PUT, &uri, Some(&t.manager), Some(fields))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["b2c_fields"][1]["choices"], json!(["Young", "Senior"]));
    assert_eq!(body["b2c_fields"][1]["required"], true);
    assert_eq!(body["b2c_fields"][0]["type"], "number");
    assert_eq!(
        body["b2b_fields"].as_array().map(Vec::len),
        Some(2),
        "b2b untouched"
    );

    let field = |f: Value| json!({ "dataset": "b2b", "fields": [f] });
    let cases = [
        (
            field(json!({ "key": "Bad Key", "label": "X", "type": "text" })),
            "fields[0].key",
        ),
        (
            field(json!({ "key": "size", "label": "X", "type": "choice" })),
            "fields[0].choices",
        ),
        (
            field(json!({ "key": "size", "label": "X", "type": "text", "choices": ["S"] })),
            "fields[0].choices",
        ),
        (
            field(json!({ "key": "size", "label": "X", "type": "colour" })),
            "type",
        ),
        (
            json!({ "dataset": "b2b", "fields": [
                { "key": "size", "label": "X", "type": "text" },
                { "key": "size", "label": "Y", "type": "number" },
            ] }),
            "size",
        ),
        (json!({ "dataset": "b2x", "fields": [] }), "dataset"),
    ];
    for (body, needle) in cases {
        let result = app
            .call(Method::PUT, &uri, Some(&t.manager), Some(body))
            .await;
        assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, needle);
    }
}

#[tokio::test]
async fn only_admins_create_data_owners_and_only_their_managers_set_them_up() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    for token in [&t.manager, &t.seller, &t.client] {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/data-owners",
                Some(token),
                Some(json!({ "name": "Mine" })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let uri = format!("/api/data-owners/{}", owner(&app));
    for token in [&t.seller, &t.client] {
        let (status, _) = app.call(Method::GET, &uri, Some(token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("{uri}/gdpr"),
                Some(token),
                Some(gdpr()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::POST,
                &format!("{uri}/products"),
                Some(token),
                Some(json!({ "name": "P", "code": "P", "unit_price": "1", "currency": "NOK" })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // A manager of another data owner of the same organisation is refused too.
    let (_, other_owner) = app
        .call(
            Method::POST,
            "/api/data-owners",
            Some(&t.admin),
            Some(json!({ "name": "Nordlys Kraft" })),
        )
        .await;
    let other_uri = format!(
        "/api/data-owners/{}",
        other_owner["id"].as_str().unwrap_or_default()
    );
    let (status, _) = app
        .call(Method::GET, &other_uri, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

// ---- products and calendars ----

#[tokio::test]
async fn a_manager_adds_products_and_stops_selling_one() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/products", owner(&app));
    let product = json!({ "name": "Strøm Grønn", "code": "STROM-GRONN", "unit_price": "399.50", "currency": "NOK" });
    let (status, created) = app
        .call(Method::POST, &uri, Some(&t.manager), Some(product))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["unit_price"], "399.50");
    assert_eq!(created["active"], true);
    assert_eq!(created["data_owner"], owner(&app));
    let active = format!(
        "/api/products/{}/active",
        created["id"].as_str().unwrap_or_default()
    );
    let (status, body) = app
        .call(
            Method::PUT,
            &active,
            Some(&t.manager),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let (status, _) = app
        .call(
            Method::PUT,
            &active,
            Some(&t.seller),
            Some(json!({ "active": true })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let cases = [
        (
            json!({ "name": "X", "code": "X", "unit_price": "-1", "currency": "NOK" }),
            "unit_price",
        ),
        (
            json!({ "name": "X", "code": "X", "unit_price": "79000000000000000000000000000", "currency": "NOK" }),
            "`unit_price` must be at most 1000000000",
        ),
        (
            json!({ "name": "X", "code": "X", "unit_price": "9.999", "currency": "NOK" }),
            "`unit_price` may have at most 2 decimal places",
        ),
        (
            json!({ "name": "X", "code": "X", "unit_price": "1", "currency": "kroner" }),
            "currency",
        ),
        (
            json!({ "name": "X", "code": " ", "unit_price": "1", "currency": "NOK" }),
            "code",
        ),
        (
            json!({ "name": " ", "code": "X", "unit_price": "1", "currency": "NOK" }),
            "name",
        ),
        (
            json!({ "name": "X", "code": "X", "unit_price": "cheap", "currency": "NOK" }),
            "unit_price",
        ),
    ];
    for (body, needle) in cases {
        let result = app
            .call(Method::POST, &uri, Some(&t.manager), Some(body))
            .await;
        assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, needle);
    }
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/products/{}/active", uuid_like(99)),
            Some(&t.admin),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_manager_creates_a_calendar_and_reads_it() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/calendars", owner(&app));
    let (status, headers, created) = send(
        &app,
        Method::POST,
        &uri,
        &t.manager,
        Some(json!({ "name": "Kari's calendar", "allows_overlap": true })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_owned();
    let (status, read) = app.call(Method::GET, &location, Some(&t.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);
    assert_eq!(read["allows_overlap"], true);

    let result = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(json!({ "name": "" })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "name");
    let (status, _) = app
        .call(Method::GET, &location, Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.seller),
            Some(json!({ "name": "Mine" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/calendars/{}", uuid_like(98)),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_catalogue_and_the_calendars_are_listed_for_those_who_set_them_up() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let products = format!("/api/data-owners/{}/products", owner(&app));
    let calendars = format!("/api/data-owners/{}/calendars", owner(&app));
    let (status, created) = app
        .call(
            Method::POST,
            &products,
            Some(&t.manager),
            Some(json!({ "name": "Aaa Først", "code": "AAA", "unit_price": "10", "currency": "NOK" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let stopped = format!(
        "/api/products/{}/active",
        created["id"].as_str().unwrap_or_default()
    );
    let (status, _) = app
        .call(
            Method::PUT,
            &stopped,
            Some(&t.manager),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, calendar) = app
        .call(
            Method::POST,
            &calendars,
            Some(&t.manager),
            Some(json!({ "name": "Møterom 1" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{calendar}");

    for token in [&t.manager, &t.admin] {
        let (status, list) = app.call(Method::GET, &products, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let names: Vec<&str> = list
            .as_array()
            .map(|l| l.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["Aaa Først", "Strøm Fastpris", "Strøm Spot"]);
        assert_eq!(
            list[0]["active"], false,
            "products no longer sold are listed"
        );
        assert_eq!(list[1]["unit_price"], "499.00");

        let (status, list) = app.call(Method::GET, &calendars, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(
            ids(&list),
            [
                calendar["id"].as_str().unwrap_or_default(),
                app.world.calendar.id.to_string().as_str()
            ]
        );
        assert_eq!(list[0], calendar);
    }
    for uri in [&products, &calendars] {
        for token in [&t.seller, &t.client] {
            let (status, _) = app.call(Method::GET, uri, Some(token), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        }
        let (status, _) = app.call(Method::GET, uri, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    for uri in [
        format!("/api/data-owners/{}/products", uuid_like(97)),
        format!("/api/data-owners/{}/calendars", uuid_like(97)),
    ] {
        let (status, _) = app.call(Method::GET, &uri, Some(&t.admin), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
    let (status, headers, body) = send(
        &app,
        Method::GET,
        "/api/data-owners/acme/products",
        &t.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(is_problem(&headers));
}

// ---- flows ----

/// A UUID for test-chosen ids of states and outcomes.
fn uuid_like(n: u32) -> String {
    format!("00000000-0000-7000-8000-{n:012}")
}

/// A small flow: To call → Interested (yes) or Not now (no); `reachable: false` leaves
/// "Not now" without an outcome leading there.
fn flow(name: &str, reachable: bool) -> Value {
    let mut outcomes = vec![
        json!({ "id": uuid_like(11), "name": "No answer", "kind": "no_answer", "from": [uuid_like(1)] }),
        json!({ "id": uuid_like(12), "name": "Interested", "kind": "progress", "target": uuid_like(2), "from": [uuid_like(1)], "schedules_follow_up": true }),
    ];
    if reachable {
        outcomes.push(json!({ "id": uuid_like(13), "name": "Not now", "kind": "progress", "target": uuid_like(3), "from": [uuid_like(1)] }));
    }
    json!({
        "name": name,
        "initial": uuid_like(1),
        "states": [
            { "id": uuid_like(1), "name": "To call", "category": "available" },
            { "id": uuid_like(2), "name": "Interested", "category": "yes", "colour": "#00AA55" },
            { "id": uuid_like(3), "name": "Not now", "category": "no" },
        ],
        "outcomes": outcomes,
    })
}

#[tokio::test]
async fn a_flow_is_drafted_checked_published_edited_and_copied() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let flows = format!("/api/data-owners/{}/flows", owner(&app));

    let (status, draft) = app
        .call(
            Method::POST,
            &flows,
            Some(&t.manager),
            Some(flow("Enkel", false)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["version"], 1);
    assert_eq!(draft["outcomes"][1]["target"], uuid_like(2));
    assert_eq!(draft["outcomes"][0]["target"], Value::Null);
    // A state's own colour is kept (in lower case); one without has its category's.
    let colours: Vec<&str> = draft["states"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["colour"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(colours, ["#757575", "#00aa55", "#c62828"]);
    assert_eq!(draft["problems"][0]["code"], "unreachable");
    assert_eq!(draft["problems"][0]["subject"], "Not now");
    let id = draft["id"].as_str().expect("an id").to_owned();

    let (status, check) = app
        .call(
            Method::POST,
            &format!("/api/flows/{id}/check"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["publishable"], false);
    assert_eq!(check["problems"], draft["problems"]);

    let publish = format!("/api/flows/{id}/publish");
    let (status, headers, refused) = send(&app, Method::POST, &publish, &t.manager, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(is_problem(&headers));
    assert_eq!(refused["status"], 422);
    assert!(detail(&refused).contains("Not now"), "{refused}");
    assert_eq!(refused["problems"], draft["problems"]);

    let (status, fixed) = app
        .call(
            Method::PUT,
            &format!("/api/flows/{id}/draft"),
            Some(&t.manager),
            Some(flow("Enkel", true)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(fixed["problems"], json!([]));
    let (_, check) = app
        .call(
            Method::POST,
            &format!("/api/flows/{id}/check"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(check, json!({ "publishable": true, "problems": [] }));

    let (status, published) = app
        .call(Method::POST, &publish, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["version"], 1);
    assert_eq!(published["id"], id.as_str());
    let (status, _) = app
        .call(Method::POST, &publish, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no draft left to publish");

    let (status, list) = app.call(Method::GET, &flows, Some(&t.manager), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ids(&list).contains(&id.as_str()), "{list}");
    assert!(ids(&list).contains(&app.world.sales_flow.id().to_string().as_str()));

    // Editing the published flow starts version 2.
    let (status, next) = app
        .call(
            Method::PUT,
            &format!("/api/flows/{id}/draft"),
            Some(&t.manager),
            Some(flow("Enkel 2", true)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(next["version"], 2);

    let (status, copy) = app
        .call(
            Method::POST,
            &format!("/api/flows/{id}/copy"),
            Some(&t.manager),
            Some(json!({ "version": 1, "name": "Enkel (kopi)" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_ne!(copy["id"], id.as_str());
    assert_eq!(copy["version"], 1);
    assert_eq!(copy["name"], "Enkel (kopi)");
    assert_eq!(copy["states"], published["states"]);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/flows/{id}/copy"),
            Some(&t.manager),
            Some(json!({ "version": 7, "name": "Nope" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_flows_draft_and_its_published_versions_are_read() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let sales = app.world.sales_flow.id();
    let draft_uri = format!("/api/flows/{sales}/draft");
    let v1_uri = format!("/api/flows/{sales}/versions/1");

    let (status, v1) = app.call(Method::GET, &v1_uri, Some(&t.manager), None).await;
    assert_eq!(status, StatusCode::OK, "{v1}");
    assert_eq!(v1["id"], sales.to_string());
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["name"], app.world.sales_flow.name().as_str());
    let (_, list) = app
        .call(
            Method::GET,
            &format!("/api/data-owners/{}/flows", owner(&app)),
            Some(&t.manager),
            None,
        )
        .await;
    let listed = list
        .as_array()
        .and_then(|l| l.iter().find(|f| f["id"] == sales.to_string()))
        .expect("the sales flow is listed");
    assert_eq!(*listed, v1, "the same body as the list");

    // No saved draft: the next version, made from version 1; reading saves nothing.
    let (status, next) = app
        .call(Method::GET, &draft_uri, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(next["version"], 2);
    assert_eq!(next["problems"], json!([]));
    for field in ["name", "initial", "states", "outcomes"] {
        assert_eq!(next[field], v1[field], "{field}");
    }
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/flows/{sales}/publish"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "reading stored no draft");

    // Read, edit, send back: the draft is read as saved.
    let mut content = json!({
        "name": "Salg (høst)",
        "initial": next["initial"],
        "states": next["states"],
        "outcomes": next["outcomes"],
    });
    content["states"][0]["name"] = json!("Å ringe");
    let (status, saved) = app
        .call(Method::PUT, &draft_uri, Some(&t.manager), Some(content))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, read) = app
        .call(Method::GET, &draft_uri, Some(&t.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, saved);
    assert_eq!(read["states"][0]["name"], "Å ringe");

    // Publishing it makes version 2 readable; version 1 stays as it was.
    let (status, published) = app
        .call(
            Method::POST,
            &format!("/api/flows/{sales}/publish"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    let v2_uri = format!("/api/flows/{sales}/versions/2");
    let (status, v2) = app.call(Method::GET, &v2_uri, Some(&t.manager), None).await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2, published);
    let (_, again) = app.call(Method::GET, &v1_uri, Some(&t.manager), None).await;
    assert_eq!(again, v1, "version 1 is frozen");

    for uri in [
        format!("/api/flows/{sales}/versions/3"),
        format!("/api/flows/{sales}/versions/0"),
        format!("/api/flows/{}/versions/1", uuid_like(96)),
        format!("/api/flows/{}/draft", uuid_like(96)),
    ] {
        let (status, _) = app.call(Method::GET, &uri, Some(&t.manager), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
    for (uri, needle) in [
        (format!("/api/flows/{sales}/versions/latest"), "version"),
        (format!("/api/flows/{sales}/versions/-1"), "version"),
        (
            format!("/api/flows/{sales}/versions/99999999999"),
            "version",
        ),
        ("/api/flows/salg/versions/1".to_owned(), "id"),
        ("/api/flows/salg/draft".to_owned(), "UUID"),
    ] {
        let (status, headers, body) = send(&app, Method::GET, &uri, &t.manager, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(is_problem(&headers), "{uri}");
        assert!(detail(&body).contains(needle), "{uri}: {body}");
    }
    for token in [&t.seller, &t.client] {
        for uri in [&draft_uri, &v1_uri] {
            let (status, _) = app.call(Method::GET, uri, Some(token), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        }
    }
}

#[tokio::test]
async fn bad_flow_input_is_a_problem_that_names_the_field() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let flows = format!("/api/data-owners/{}/flows", owner(&app));
    let mut no_target = flow("F", true);
    no_target["outcomes"][1]["target"] = Value::Null;
    let mut attempt_target = flow("F", true);
    attempt_target["outcomes"][0]["target"] = json!(uuid_like(2));
    let mut empty_state = flow("F", true);
    empty_state["states"][2]["name"] = json!(" ");
    let mut bad_category = flow("F", true);
    bad_category["states"][0]["category"] = json!("maybe");
    let mut bad_id = flow("F", true);
    bad_id["states"][0]["id"] = json!("nope");
    let mut bad_colour = flow("F", true);
    bad_colour["states"][1]["colour"] = json!("green");
    let mut short_colour = flow("F", true);
    short_colour["states"][2]["colour"] = json!("#fff");
    let mut empty_outcome = flow("F", true);
    empty_outcome["outcomes"][2]["name"] = json!("");
    let cases = [
        (no_target, "outcomes[1].target"),
        (attempt_target, "outcomes[0].target"),
        (empty_state, "states[2].name"),
        (bad_category, "category"),
        (bad_id, "states[0].id"),
        (
            bad_colour,
            "`states[1].colour`: colour 'green' is not a hex colour",
        ),
        (short_colour, "`states[2].colour`: colour '#fff'"),
        (empty_outcome, "outcomes[2].name"),
        (flow("", true), "name"),
    ];
    for (body, needle) in cases {
        let result = app
            .call(Method::POST, &flows, Some(&t.manager), Some(body))
            .await;
        assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, needle);
    }
    let (_, list) = app.call(Method::GET, &flows, Some(&t.manager), None).await;
    assert_eq!(ids(&list).len(), 2, "nothing new published: {list}");

    // A draft with every kind of trouble lists all of it.
    let mut broken = flow("F", true);
    broken["initial"] = json!(uuid_like(2));
    broken["outcomes"][0]["carries_products"] = json!(true);
    broken["outcomes"][2]["name"] = json!("Interested");
    let (status, draft) = app
        .call(Method::POST, &flows, Some(&t.manager), Some(broken))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let codes: Vec<&str> = draft["problems"]
        .as_array()
        .map(|p| p.iter().filter_map(|p| p["code"].as_str()).collect())
        .unwrap_or_default();
    for code in [
        "initial_not_available",
        "attempt_with_effects",
        "duplicate_outcome",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
}

#[tokio::test]
async fn sellers_and_clients_may_not_touch_flows() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let flows = format!("/api/data-owners/{}/flows", owner(&app));
    let sales = app.world.sales_flow.id();
    for token in [&t.seller, &t.client] {
        let (status, _) = app
            .call(Method::POST, &flows, Some(token), Some(flow("F", true)))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.call(Method::GET, &flows, Some(token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::POST,
                &format!("/api/flows/{sales}/check"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::POST,
                &format!("/api/flows/{sales}/copy"),
                Some(token),
                Some(json!({ "version": 1, "name": "Mine" })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

// ---- assignments ----

fn new_assignment(app: &App) -> Value {
    json!({
        "data_owner": owner(app),
        "name": "Møtebooking høst",
        "flow": app.world.meeting_flow.id().to_string(),
        "flow_version": 1,
        "client": app.world.client.to_string(),
    })
}

#[tokio::test]
async fn an_assignment_is_created_and_its_whole_setup_replaced() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let (status, created) = app
        .call(
            Method::POST,
            "/api/assignments",
            Some(&t.manager),
            Some(new_assignment(&app)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["flow"], app.world.meeting_flow.id().to_string());
    assert_eq!(created["client"], app.world.client.to_string());
    assert_eq!(created["setup"]["lease_seconds"], 900);
    assert_eq!(
        created["setup"]["customer_view"],
        json!(["name", "phones", "email"])
    );
    assert_eq!(created["setup"]["analysis_fields"], json!(["attempts"]));
    let id = created["id"].as_str().expect("an id").to_owned();

    // The work API sees it too.
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{id}"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let booked = MeetingFlow::O_MEETING_BOOKED.to_string();
    let setup = json!({
        "outcomes": [{
            "outcome": booked,
            "options": ["Physical", "Video"],
            "fields": [{ "key": "platform", "label": "Video platform", "type": "choice", "choices": ["Teams", "Zoom"] }],
            "email": "Bekreftelse",
        }, {
            "outcome": MeetingFlow::O_CALL_BACK_LATER.to_string(),
            "sms": { "template": "Hei {{ name }}, vi ringer deg i morgen ({{ industry }})", "reply_window_seconds": 3600,
                     "replies": [{ "keyword": "NEI", "registers": MeetingFlow::O_NOT_INTERESTED.to_string() }] },
        }],
        "products": { "available": [app.world.products[0].id().to_string()], "price_editable": true },
        "calendars": [app.world.calendar.id.to_string()],
        "customer_view": ["name", "phones", "industry"],
        "communication": { "sms_sender": "Acme", "caller_id": "+47 22 33 44 55",
                           "mail_from": "salg@acme.example.no",
                           "email_templates": [{ "name": "Bekreftelse", "subject": "Møte", "body": "<p>Hei</p>" }] },
        "performance": { "meetings_per_hour": "1.5" },
        "activity_limits": [{ "metric": "meetings", "limit": "100", "mode": "hard_stop" }],
        "analysis_fields": ["industry", "attempts"],
        "visibility": { "users": [app.world.sellers[0].id.to_string()], "from": "2025-03-01", "to": "2025-06-30" },
        "segments": [{ "id": uuid_like(501), "name": "Oslo" }],
        "priority": [{ "rule": "segment_order" }, { "rule": "field", "key": "employees", "direction": "descending" }, { "rule": "fewest_attempts" }],
        "lease_seconds": 600,
        "retry_delay_seconds": 3600,
    });
    let uri = format!("/api/assignments/{id}/setup");
    let (status, read) = app.call(Method::GET, &uri, Some(&t.manager), None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(
        read, created["setup"],
        "a new assignment's setup is the default"
    );
    let (status, updated) = app
        .call(Method::PUT, &uri, Some(&t.manager), Some(setup.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (status, read) = app.call(Method::GET, &uri, Some(&t.admin), None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read, updated["setup"], "read as it was answered");
    let s = &updated["setup"];
    assert_eq!(s["outcomes"].as_array().map(Vec::len), Some(2), "{s}");
    let booked_entry = s["outcomes"]
        .as_array()
        .and_then(|o| o.iter().find(|e| e["outcome"] == booked.as_str()))
        .expect("the meeting outcome's entry");
    assert_eq!(booked_entry["options"], json!(["Physical", "Video"]));
    assert_eq!(booked_entry["fields"][0]["key"], "platform");
    assert_eq!(
        booked_entry["email"], "Bekreftelse",
        "the e-mail the outcome sends"
    );
    assert_eq!(s["communication"]["caller_id"], "+4722334455");
    assert_eq!(s["communication"]["sms_sender"], "Acme");
    assert_eq!(s["activity_limits"][0]["mode"], "hard_stop");
    assert_eq!(s["visibility"]["from"], "2025-03-01");
    assert_eq!(
        s["priority"][1],
        json!({ "rule": "field", "key": "employees", "direction": "descending" })
    );
    assert_eq!(s["customer_view"], json!(["name", "phones", "industry"]));
    assert_eq!(s["lease_seconds"], 600);
    // The SMS flow measured as the network counts it: the fixed text, its merge fields apart.
    let fixed = "Hei , vi ringer deg i morgen ()";
    assert_eq!(
        updated["sms_lengths"],
        json!([{
            "kind": "sms_flow", "outcome": MeetingFlow::O_CALL_BACK_LATER.to_string(), "name": null,
            "encoding": "gsm7", "units": fixed.chars().count(), "segments": 1, "merge_fields": 2,
        }])
    );
    // A merge field no customer has is refused when the setup is saved, named.
    let mut typo = setup.clone();
    typo["outcomes"][1]["sms"]["template"] = json!("Vi ringer deg {{ time }}");
    let (status, problem) = app
        .call(Method::PUT, &uri, Some(&t.manager), Some(typo))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("{{ time }}") && detail.contains("Call back later"),
        "{problem}"
    );

    // What was answered or read can be sent back unchanged.
    let (status, again) = app
        .call(Method::PUT, &uri, Some(&t.admin), Some(s.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["setup"], *s);
    let (status, again) = app
        .call(Method::PUT, &uri, Some(&t.admin), Some(read.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["setup"], read);
    // Read, edit one thing, send back: only that changes.
    let mut edited = read.clone();
    edited["lease_seconds"] = json!(1200);
    let (status, again) = app
        .call(Method::PUT, &uri, Some(&t.manager), Some(edited.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let (_, reread) = app.call(Method::GET, &uri, Some(&t.manager), None).await;
    assert_eq!(reread, edited);

    // A seller outside the visibility list no longer sees the assignment.
    let other_seller = app.login(&app.world.sellers[1].email.to_string()).await;
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{id}"),
            Some(&other_seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An empty body is the default setup.
    let (status, reset) = app
        .call(Method::PUT, &uri, Some(&t.manager), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(reset["setup"], created["setup"]);
}

#[tokio::test]
async fn a_bad_setup_is_a_problem_and_changes_nothing() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/assignments/{}/setup", app.assignment());
    let sale = SalesFlow::O_SALE.to_string();
    let stranger = format!(
        "`visibility.users`: {} is not a user of this organisation",
        app.other.sellers[0].id
    );
    let cases = [
        (
            json!({ "outcomes": [{ "outcome": uuid_like(77), "options": ["A"] }] }),
            "outcome",
        ),
        (
            json!({ "outcomes": [{ "outcome": sale, "options": ["A"] }, { "outcome": sale, "options": ["B"] }] }),
            "outcomes[1].outcome",
        ),
        (
            json!({ "outcomes": [{ "outcome": sale, "options": ["A", ""] }] }),
            "outcomes[0].options[1]",
        ),
        (
            json!({ "outcomes": [{ "outcome": sale, "options": ["A", "a"] }] }),
            "same option twice",
        ),
        (
            json!({ "outcomes": [{ "outcome": sale, "fields": [{ "key": "X Y", "label": "X", "type": "text" }] }] }),
            "outcomes[0].fields[0].key",
        ),
        (
            json!({ "customer_view": ["name", "Not A Key"] }),
            "customer_view[1]",
        ),
        (
            json!({ "analysis_fields": ["attempts", "9lives"] }),
            "analysis_fields[1]",
        ),
        (
            json!({ "products": { "available": [app.other.products[0].id().to_string()] } }),
            "catalogue",
        ),
        (
            json!({ "calendars": [app.other.calendar.id.to_string()] }),
            "calendar",
        ),
        (json!({ "lease_seconds": 0 }), "lease"),
        (json!({ "lease_seconds": 86_401 }), "lease"),
        (
            json!({ "retry_delay_seconds": 9_223_372_036_854_775_807_i64 }),
            "retry_delay",
        ),
        (
            json!({ "retry_delay_seconds": 300_000_000_000_i64 }),
            "retry_delay",
        ),
        (
            json!({ "communication": { "caller_id": "call me" } }),
            "communication.caller_id",
        ),
        (
            json!({ "communication": { "mail_from": "nobody" } }),
            "communication.mail_from",
        ),
        (
            json!({ "communication": { "mail_account": "kunde-a" } }),
            "communication.mail_account",
        ),
        (
            json!({ "communication": { "mail_account": "kunde_a" } }),
            "CUBE_SMTP_ACCOUNT_KUNDE_A",
        ),
        (
            json!({ "communication": { "sms_sender": "Far Too Long Sender" } }),
            "SMS sender",
        ),
        (
            json!({ "activity_limits": [{ "metric": "hours", "limit": "0" }] }),
            "more than zero",
        ),
        (
            json!({ "activity_limits": [{ "metric": "naps", "limit": "1" }] }),
            "metric",
        ),
        (
            json!({ "visibility": { "from": "2025-06-01", "to": "2025-05-01" } }),
            "after",
        ),
        (json!({ "visibility": { "from": "1 June" } }), "from"),
        (
            json!({ "visibility": { "users": [app.world.sellers[0].id.to_string(), app.other.sellers[0].id.to_string()] } }),
            stranger.as_str(),
        ),
        (
            json!({ "visibility": { "users": [uuid_like(7)] } }),
            "`visibility.users`",
        ),
        (
            json!({ "priority": [{ "rule": "field", "key": "Employees", "direction": "up" }] }),
            "priority",
        ),
        (
            json!({ "priority": [{ "rule": "field", "key": "Employees", "direction": "descending" }] }),
            "priority[0].key",
        ),
        (
            json!({ "segments": [{ "id": uuid_like(1), "name": "" }] }),
            "segments[0].name",
        ),
        (json!({ "colour": "red" }), "colour"),
    ];
    for (body, needle) in cases {
        let result = app
            .call(Method::PUT, &uri, Some(&t.manager), Some(body))
            .await;
        assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, needle);
    }
    let (_, read) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}", app.assignment()),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(
        read["flow"],
        app.world.sales_flow.id().to_string(),
        "unchanged"
    );
}

#[tokio::test]
async fn segments_are_added_by_name_once() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/assignments/{}/segments", app.assignment());
    let (status, segment) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(json!({ "name": " Vestland " })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{segment}");
    assert_eq!(segment["name"], "Vestland");
    let result = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "name": "VESTLAND" })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "segment named");
    let result = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "name": "" })),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "name");

    // The segment is part of the setup: adding another keeps the first, in order.
    let (status, _) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "name": "Nord" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, updated) = app
        .call(
            Method::PUT,
            &format!("/api/assignments/{}/setup", app.assignment()),
            Some(&t.admin),
            Some(json!({ "segments": [segment] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["setup"]["segments"], json!([segment]));

    for token in [&t.seller, &t.client] {
        let (status, _) = app
            .call(
                Method::POST,
                &uri,
                Some(token),
                Some(json!({ "name": "Mine" })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn switching_flows_places_states_by_name_or_category_and_never_strands_customers() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    // A seller makes one customer a lead (Open): the booking flow has no Open state.
    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(&t.seller),
            Some(json!({ "outcome": SalesFlow::O_LEAD.to_string() })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let uri = format!("/api/assignments/{}/flow", app.assignment());
    let to_meetings = json!({ "flow": app.world.meeting_flow.id().to_string(), "version": 1 });
    let (status, refused) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(to_meetings.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(detail(&refused).contains("'Lead'"), "{refused}");
    let lead_by_hand = json!({
        "flow": app.world.meeting_flow.id().to_string(),
        "version": 1,
        "mapping": [{ "from": SalesFlow::LEAD, "to": MeetingFlow::TO_CALL }],
    });
    let (status, refused) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(lead_by_hand.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        detail(&refused).contains("confirm_category_changes"),
        "{refused}"
    );

    let mut confirmed = lead_by_hand;
    confirmed["confirm_category_changes"] = json!(true);
    let (status, switch) = app
        .call(Method::POST, &uri, Some(&t.manager), Some(confirmed))
        .await;
    assert_eq!(status, StatusCode::OK, "{switch}");
    assert_eq!(
        switch["assignment"]["flow"],
        app.world.meeting_flow.id().to_string()
    );
    assert_eq!(switch["moved"], app.world.enrollments.len());
    let moves = switch["mapping"].as_array().expect("a mapping");
    let moved = |from: &str| {
        moves
            .iter()
            .find(|m| m["from"] == from)
            .unwrap_or_else(|| panic!("{from} is mapped: {switch}"))
    };
    let to_call = moved(&SalesFlow::TO_CALL.to_string());
    assert_eq!(to_call["to"], MeetingFlow::TO_CALL.to_string());
    assert_eq!(to_call["placed_by"], "same_name");
    assert_eq!(to_call["to_name"], "To call");
    assert_eq!(to_call["customers"], app.world.enrollments.len() - 1);
    let lead = moved(&SalesFlow::LEAD.to_string());
    assert_eq!(lead["placed_by"], "explicit");
    assert_eq!(lead["customers"], 1);
    let sale = moved(&SalesFlow::SALE.to_string());
    assert_eq!(sale["to"], MeetingFlow::MEETING_BOOKED.to_string());
    assert_eq!(sale["placed_by"], "same_category");
    let excluded = moved(&SalesFlow::EXCLUDED.to_string());
    assert_eq!(excluded["to"], MeetingFlow::EXCLUDED.to_string());
    let unplaced = switch["unplaced"].as_array().expect("unplaced names");
    assert_eq!(unplaced, &vec![json!("Offer"), json!("Sale to followup")]);

    let (status, _) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(json!({ "flow": app.world.meeting_flow.id().to_string(), "version": 2 })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another organisation's flow is not found: neither its existence nor its name leaks.
    let (status, body) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "flow": app.other.sales_flow.id().to_string(), "version": 1 })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(detail(&body), "flow not found");
    assert!(!body.to_string().contains("Salg"), "{body}");
    let (status, _) = app
        .call(Method::POST, &uri, Some(&t.seller), Some(to_meetings))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn creating_an_assignment_refuses_bad_input_and_other_roles() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let mut unnamed = new_assignment(&app);
    unnamed["name"] = json!("");
    let result = app
        .call(
            Method::POST,
            "/api/assignments",
            Some(&t.manager),
            Some(unnamed),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "name");
    let mut no_such_version = new_assignment(&app);
    no_such_version["flow_version"] = json!(3);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/assignments",
            Some(&t.manager),
            Some(no_such_version),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Another organisation's flow is not found: neither its existence nor its name leaks.
    let mut their_flow = new_assignment(&app);
    their_flow["flow"] = json!(app.other.sales_flow.id().to_string());
    let (status, body) = app
        .call(
            Method::POST,
            "/api/assignments",
            Some(&t.admin),
            Some(their_flow),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(detail(&body), "flow not found");
    let mut bad_owner = new_assignment(&app);
    bad_owner["data_owner"] = json!("acme");
    let result = app
        .call(
            Method::POST,
            "/api/assignments",
            Some(&t.manager),
            Some(bad_owner),
        )
        .await;
    assert_problem(&result, StatusCode::UNPROCESSABLE_ENTITY, "data_owner");
    for token in [&t.seller, &t.client] {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/assignments",
                Some(token),
                Some(new_assignment(&app)),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/assignments/{}/setup", app.assignment()),
                Some(token),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::GET,
                &format!("/api/assignments/{}/setup", app.assignment()),
                Some(token),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "they work it or read it, not set it up"
        );
    }
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/setup", uuid_like(95)),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---- isolation ----

#[tokio::test]
async fn another_organisations_admin_finds_none_of_the_first_organisations_ids() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let w = &app.world;
    let owner = owner(&app);
    let flow = w.sales_flow.id();
    let assignment = app.assignment();
    let product = w.products[0].id();
    let calendar = w.calendar.id;
    let seller = w.sellers[0].id;
    // A draft exists, so publishing would otherwise find something.
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/flows/{flow}/draft"),
            Some(&t.admin),
            Some(self::flow("Salg 2", true)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, issued) = app
        .call(Method::POST, "/api/tokens", Some(&t.seller), None)
        .await;
    let token_id = issued["id"].as_str().expect("a token id").to_owned();

    let product_body = json!({ "name": "P", "code": "P", "unit_price": "1", "currency": "NOK" });
    let fields = json!({ "dataset": "b2b", "fields": [] });
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PUT,
            format!("/api/users/{seller}/active"),
            Some(json!({ "active": false })),
        ),
        (
            Method::PUT,
            format!("/api/users/{seller}/password"),
            Some(json!({ "password": "taken over!" })),
        ),
        (Method::DELETE, format!("/api/tokens/{token_id}"), None),
        (
            Method::POST,
            "/api/tokens".to_owned(),
            Some(json!({ "user": seller.to_string() })),
        ),
        (Method::GET, format!("/api/data-owners/{owner}"), None),
        (
            Method::PUT,
            format!("/api/data-owners/{owner}/gdpr"),
            Some(gdpr()),
        ),
        (
            Method::PUT,
            format!("/api/data-owners/{owner}/fields"),
            Some(fields),
        ),
        (
            Method::POST,
            format!("/api/data-owners/{owner}/products"),
            Some(product_body),
        ),
        (
            Method::PUT,
            format!("/api/products/{product}/active"),
            Some(json!({ "active": false })),
        ),
        (
            Method::POST,
            format!("/api/data-owners/{owner}/calendars"),
            Some(json!({ "name": "C" })),
        ),
        (Method::GET, format!("/api/calendars/{calendar}"), None),
        (
            Method::GET,
            format!("/api/data-owners/{owner}/products"),
            None,
        ),
        (
            Method::GET,
            format!("/api/data-owners/{owner}/calendars"),
            None,
        ),
        (Method::GET, format!("/api/flows/{flow}/draft"), None),
        (Method::GET, format!("/api/flows/{flow}/versions/1"), None),
        (
            Method::GET,
            format!("/api/assignments/{assignment}/setup"),
            None,
        ),
        (Method::GET, format!("/api/data-owners/{owner}/flows"), None),
        (
            Method::POST,
            format!("/api/data-owners/{owner}/flows"),
            Some(self::flow("F", true)),
        ),
        (
            Method::PUT,
            format!("/api/flows/{flow}/draft"),
            Some(self::flow("F", true)),
        ),
        (Method::POST, format!("/api/flows/{flow}/check"), None),
        (Method::POST, format!("/api/flows/{flow}/publish"), None),
        (
            Method::POST,
            format!("/api/flows/{flow}/copy"),
            Some(json!({ "version": 1, "name": "Mine" })),
        ),
        (
            Method::POST,
            "/api/assignments".to_owned(),
            Some(new_assignment(&app)),
        ),
        (
            Method::PUT,
            format!("/api/assignments/{assignment}/setup"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/segments"),
            Some(json!({ "name": "S" })),
        ),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/flow"),
            Some(json!({ "flow": w.meeting_flow.id().to_string(), "version": 1 })),
        ),
    ];
    for (method, uri, body) in requests {
        let (status, headers, problem) =
            send(&app, method.clone(), &uri, &t.other_admin, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {problem}");
        assert!(is_problem(&headers), "{method} {uri}");
    }

    // Nothing changed: the seller's token and session work, the setup is the world's.
    let (status, _) = app
        .call(Method::GET, "/api/me", Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, data_owners) = app
        .call(Method::GET, "/api/data-owners", Some(&t.other_admin), None)
        .await;
    assert_eq!(
        ids(&data_owners),
        vec![app.other.data_owner.id().to_string().as_str()]
    );
    let (_, users) = app
        .call(Method::GET, "/api/users", Some(&t.other_admin), None)
        .await;
    assert!(!ids(&users).contains(&seller.to_string().as_str()));
}

// ---- the document ----

#[tokio::test]
async fn the_openapi_document_lists_the_setup_endpoints() {
    let app = App::new().await;
    let (status, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let expected = [
        ("/api/users", "get"),
        ("/api/users", "post"),
        ("/api/users/{id}/active", "put"),
        ("/api/users/{id}/password", "put"),
        ("/api/tokens", "post"),
        ("/api/tokens/current", "delete"),
        ("/api/tokens/{id}", "delete"),
        ("/api/data-owners", "get"),
        ("/api/data-owners", "post"),
        ("/api/data-owners/{id}", "get"),
        ("/api/data-owners/{id}/gdpr", "put"),
        ("/api/data-owners/{id}/fields", "put"),
        ("/api/data-owners/{id}/products", "get"),
        ("/api/data-owners/{id}/products", "post"),
        ("/api/products/{id}/active", "put"),
        ("/api/data-owners/{id}/calendars", "get"),
        ("/api/data-owners/{id}/calendars", "post"),
        ("/api/calendars/{id}", "get"),
        ("/api/data-owners/{id}/flows", "get"),
        ("/api/data-owners/{id}/flows", "post"),
        ("/api/flows/{id}/draft", "get"),
        ("/api/flows/{id}/draft", "put"),
        ("/api/flows/{id}/versions/{version}", "get"),
        ("/api/flows/{id}/check", "post"),
        ("/api/flows/{id}/publish", "post"),
        ("/api/flows/{id}/copy", "post"),
        ("/api/assignments", "post"),
        ("/api/assignments/{id}/setup", "get"),
        ("/api/assignments/{id}/setup", "put"),
        ("/api/assignments/{id}/segments", "post"),
        ("/api/assignments/{id}/flow", "post"),
    ];
    for (path, method) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        assert_eq!(operation["tags"], json!(["setup"]), "{method} {path}");
        assert!(
            operation["security"].is_array(),
            "{method} {path} is secured"
        );
        assert!(
            operation["responses"]["401"].is_object(),
            "{method} {path} documents 401"
        );
    }
    assert!(
        doc["paths"]["/api/assignments"]["get"].is_object(),
        "the work API's GET stays"
    );
    assert_eq!(
        doc["paths"]["/api/flows/{id}/publish"]["post"]["responses"]["422"]["content"]["application/problem+json"]
            ["schema"]["$ref"],
        "#/components/schemas/FlowRejectionDto"
    );
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "UserAccountDto",
        "IssuedTokenDto",
        "DataOwnerDto",
        "FieldDefinitionDto",
        "ProductDto",
        "CalendarDto",
        "FlowDto",
        "FlowDraftDto",
        "FlowRejectionDto",
        "AssignmentSetupDto",
        "PriorityRuleDto",
        "ManagedAssignmentDto",
        "FlowSwitchDto",
    ] {
        assert!(schemas[schema].is_object(), "{schema} is in the document");
    }
    let tags = doc["tags"].as_array().expect("tags");
    assert!(tags.iter().any(|t| t["name"] == "setup"));
}

/// The organisation's name and time zone: everyone reads them, the admin changes them (an
/// unknown zone is a 422 naming it, and changes nothing), another organisation's admin
/// changes only their own; the reports' default window is then the zone's local day.
#[tokio::test]
async fn the_organisation_has_a_time_zone_its_admin_sets() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    for token in [&t.admin, &t.manager, &t.seller, &t.client] {
        let (status, body) = app
            .call(Method::GET, "/api/organisation", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["time_zone"], "Europe/Oslo", "{body}");
    }
    let change = json!({ "time_zone": "America/New_York" });
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/organisation",
            Some(&t.seller),
            Some(change.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .call(
            Method::PATCH,
            "/api/organisation",
            Some(&t.admin),
            Some(json!({ "time_zone": "Europe/Trondheim" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("Europe/Trondheim"), "{problem}");
    let (status, body) = app
        .call(
            Method::PATCH,
            "/api/organisation",
            Some(&t.admin),
            Some(change),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["time_zone"], "America/New_York");
    let (_, other) = app
        .call(Method::GET, "/api/organisation", Some(&t.other_admin), None)
        .await;
    assert_eq!(
        other["time_zone"], "Europe/Oslo",
        "the other organisation is untouched"
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/organisation",
            Some(&t.admin),
            Some(json!({ "zone": "UTC" })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown field is refused"
    );
}

/// An admin changes a seller's role: to a manager of the organisation's data owner (who can
/// then set it up), never without the scope the role needs, never their own role; a manager
/// may not; another organisation's admin finds no such user.
#[tokio::test]
async fn an_admin_changes_a_users_role_with_its_scope() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let seller = &app.world.sellers[1];
    let uri = format!("/api/users/{}/role", seller.id);
    let owner = app.world.data_owner.id().to_string();
    let as_manager = json!({ "role": "manager", "data_owners": [owner] });
    let (status, _) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.manager),
            Some(as_manager.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::PUT,
            &uri,
            Some(&t.other_admin),
            Some(as_manager.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (bad, why) in [
        (
            json!({ "role": "manager" }),
            "a manager without data owners",
        ),
        (
            json!({ "role": "client" }),
            "a client user without a client",
        ),
        (
            json!({ "role": "seller", "data_owners": [owner] }),
            "a seller with data owners",
        ),
    ] {
        let (status, problem) = app.call(Method::PUT, &uri, Some(&t.admin), Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {problem}");
    }
    let own = format!("/api/users/{}/role", app.world.admin.id);
    let (status, problem) = app
        .call(
            Method::PUT,
            &own,
            Some(&t.admin),
            Some(json!({ "role": "seller" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, user) = app
        .call(Method::PUT, &uri, Some(&t.admin), Some(as_manager))
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["role"], "manager");
    assert_eq!(user["data_owners"], json!([owner]));
    let token = app.login(&seller.email.to_string()).await;
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/data-owners/{owner}/products"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the new manager sets up the data owner: {body}"
    );
}
