//! What a stranger can do with `POST /api/login` and the session cookie, tried from outside
//! the handlers: a flood of wrong passwords runs no more hashes at once than the gate
//! allows, failures throttle the (e-mail, address) pair and the address instead of locking
//! the owner out, e-mails are compared without regard to case, the cookie is `Secure` when
//! configured or when a trusted proxy says HTTPS, and unknown paths and methods answer
//! problems. The client address is given as axum's `ConnectInfo`, as the server sets it.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::{App, PASSWORD, is_problem};
use cube_http::throttle::{HashGate, LoginThrottle, ThrottleConfig};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A login request from `address` (a `ConnectInfo`, as `into_make_service_with_connect_info`
/// gives it), with extra headers.
fn login_from(
    address: &str,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut request = Request::post("/api/login").header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request
        .body(Body::from(
            json!({ "email": email, "password": password }).to_string(),
        ))
        .expect("a valid request");
    let address: SocketAddr = address.parse().expect("a socket address");
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

fn retry_after(headers: &HeaderMap) -> u64 {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds")
}

fn cookie(headers: &HeaderMap) -> String {
    headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a cookie")
        .to_owned()
}

/// The bound: with a gate of 2, at most 2 argon2id hashes run at once, so hashing never
/// holds more than 2 × argon2's memory cost (19 MiB by default: 38 MiB), however many
/// wrong passwords arrive together. Every attempt is still answered (401 here).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_wrong_passwords_never_runs_more_hashes_than_the_gate() {
    let app = Arc::new(
        App::configured(|state| {
            state.hashing = Arc::new(HashGate::new(2, Duration::from_secs(120)));
        })
        .await,
    );
    let emails: Vec<String> = app
        .world
        .users()
        .chain(app.other.users())
        .map(|u| u.email.to_string())
        .collect();
    let attempts: Vec<_> = (0..64_u16)
        .map(|n| {
            let app = app.clone();
            let email = emails[usize::from(n) % emails.len()].clone();
            tokio::spawn(async move {
                let address = format!("10.1.{}.{}:4000", n / 256, n % 256);
                app.send(login_from(&address, &email, "wrong", &[])).await.0
            })
        })
        .collect();
    for attempt in attempts {
        assert_eq!(attempt.await.expect("answered"), StatusCode::UNAUTHORIZED);
    }
    let peak = app.state.hashing.peak();
    assert!((1..=2).contains(&peak), "{peak} hashes ran at once");
}

#[tokio::test]
async fn a_login_that_finds_every_hashing_slot_busy_gets_503_with_retry_after() {
    let app = App::configured(|state| {
        state.hashing = Arc::new(HashGate::new(1, Duration::from_millis(20)));
    })
    .await;
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let gate = app.state.hashing.clone();
    let holder = tokio::spawn(async move { gate.run(move || hold.recv()).await });
    while app.state.hashing.peak() == 0 {
        tokio::task::yield_now().await;
    }
    let email = app.world.admin.email.to_string();
    let (status, headers, body) = app
        .send(login_from("10.0.0.1:1", &email, PASSWORD, &[]))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(is_problem(&headers));
    assert_eq!(retry_after(&headers), 1);
    release.send(()).expect("the holder waits");
    holder
        .await
        .expect("joins")
        .expect("runs")
        .expect("released");
    let (status, _, body) = app
        .send(login_from("10.0.0.1:1", &email, PASSWORD, &[]))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A stranger who knows the admin's e-mail cannot keep the admin out: their failures hold
/// back their own address only, with a back-off, and the admin logs in from theirs.
#[tokio::test]
async fn failed_logins_from_a_stranger_do_not_lock_the_owner_out() {
    let app = App::new().await;
    let email = app.world.admin.email.to_string();
    let stranger = "203.0.113.66:5000";
    let mut refused = None;
    for _ in 0..10 {
        let (status, headers, body) = app.send(login_from(stranger, &email, "guess", &[])).await;
        match status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(is_problem(&headers));
                refused = Some((retry_after(&headers), body));
                break;
            }
            other => panic!("{other}: {body}"),
        }
    }
    let (wait, body) = refused.expect("the stranger is held back");
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("from your address")),
        "{body}"
    );
    // The owner, from an address that has not been failing, logs in at once.
    let (status, _, body) = app
        .send(login_from("198.51.100.7:6000", &email, PASSWORD, &[]))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Other e-mails from the stranger's address are not held back by this pair.
    let seller = app.world.sellers[1].email.to_string();
    let (status, _, body) = app.send(login_from(stranger, &seller, PASSWORD, &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_successful_login_clears_the_failures_of_its_pair() {
    let app = App::new().await;
    let email = app.world.sellers[0].email.to_string();
    let from = "192.0.2.1:1";
    for _ in 0..3 {
        let (status, _, _) = app.send(login_from(from, &email, "wrong", &[])).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = app.send(login_from(from, &email, PASSWORD, &[])).await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..3 {
        let (status, _, _) = app.send(login_from(from, &email, "wrong", &[])).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

/// One address spraying unknown e-mails spends its budget; another address is not affected.
#[tokio::test]
async fn an_address_spraying_e_mails_is_refused_after_its_budget() {
    let app = App::configured(|state| {
        state.login_throttle = Arc::new(LoginThrottle::new(ThrottleConfig {
            address_budget: 5,
            ..ThrottleConfig::default()
        }));
    })
    .await;
    let sprayer = "203.0.113.5:1";
    let admin = app.world.admin.email.to_string();
    for n in 0..5 {
        let (status, _, body) = app
            .send(login_from(
                sprayer,
                &format!("guess{n}@example.no"),
                "x",
                &[],
            ))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (status, headers, body) = app.send(login_from(sprayer, &admin, PASSWORD, &[])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(retry_after(&headers) >= 1);
    let (status, _, body) = app
        .send(login_from("203.0.113.6:1", &admin, PASSWORD, &[]))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Behind a trusted proxy the client is the address the proxy appended to
/// `X-Forwarded-For`; without the switch that header is the caller's word and ignored.
#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = App::configured(|state| state.trust_proxy = true).await;
    let email = app.world.admin.email.to_string();
    let proxy = "127.0.0.1:9999";
    let stranger = [("x-forwarded-for", "1.2.3.4, 203.0.113.66")];
    let mut held_back = false;
    for _ in 0..10 {
        let (status, _, _) = app
            .send(login_from(proxy, &email, "guess", &stranger))
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            held_back = true;
            break;
        }
    }
    assert!(held_back, "the forwarded address is throttled");
    let owner = [("x-forwarded-for", "198.51.100.7")];
    let (status, _, body) = app.send(login_from(proxy, &email, PASSWORD, &owner)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let untrusted = App::new().await;
    for _ in 0..10 {
        untrusted
            .send(login_from(proxy, &email, "guess", &stranger))
            .await;
    }
    let (status, _, _) = untrusted
        .send(login_from(proxy, &email, PASSWORD, &owner))
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "without a trusted proxy every request is from the proxy's address"
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_configured_or_forwarded_over_https() {
    let email_of = |app: &App| app.world.sellers[0].email.to_string();
    let https = [("x-forwarded-proto", "https")];

    let plain = App::new().await;
    let (_, headers, _) = plain
        .send(login_from(
            "10.0.0.1:1",
            &email_of(&plain),
            PASSWORD,
            &https,
        ))
        .await;
    assert!(
        !cookie(&headers).contains("Secure"),
        "an untrusted header changes nothing"
    );

    let secure = App::configured(|state| state.secure_cookies = true).await;
    let (status, headers, _) = secure
        .send(login_from("10.0.0.1:1", &email_of(&secure), PASSWORD, &[]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let set = cookie(&headers);
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );

    let proxied = App::configured(|state| state.trust_proxy = true).await;
    let (_, headers, _) = proxied
        .send(login_from(
            "10.0.0.1:1",
            &email_of(&proxied),
            PASSWORD,
            &https,
        ))
        .await;
    assert!(cookie(&headers).contains("; Secure"));
    let (_, headers, _) = proxied
        .send(login_from("10.0.0.1:1", &email_of(&proxied), PASSWORD, &[]))
        .await;
    assert!(!cookie(&headers).contains("Secure"));
}

#[tokio::test]
async fn login_e_mails_are_compared_without_regard_to_case() {
    let app = App::new().await;
    let email = app.world.sellers[0].email.to_string();
    for variant in [email.to_uppercase(), capitalised(&email)] {
        let (status, _, body) = app
            .send(login_from("10.0.0.1:1", &variant, PASSWORD, &[]))
            .await;
        assert_eq!(status, StatusCode::OK, "{variant}: {body}");
        assert_eq!(body["user"]["email"], email.as_str());
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A login request naming the organisation to log in to.
fn login_to(email: &str, password: &str, organisation: &str) -> Request<Body> {
    let mut request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "email": email, "password": password, "organisation": organisation })
                .to_string(),
        ))
        .expect("a valid request");
    let address: SocketAddr = "10.0.0.1:1".parse().expect("a socket address");
    request.extensions_mut().insert(ConnectInfo(address));
    request
}

/// One address is one user whatever its case within an organisation: another casing of a
/// taken address is refused there (409). Another organisation's admin creating a user with
/// that address learns nothing (201, as for any free address), and the address then opens a
/// login in each organisation: the password picks the user, and when it opens both the login
/// asks which organisation (409 naming them), then logs in to the one named.
#[tokio::test]
async fn an_address_is_one_user_per_organisation_and_others_learn_nothing() {
    let app = App::new().await;
    let seller = app.world.sellers[1].clone();
    let create = |admin: String, email: String, password: &'static str| {
        let app = &app;
        async move {
            app.call(
                axum::http::Method::POST,
                "/api/users",
                Some(&admin),
                Some(json!({
                    "name": "Twin",
                    "email": email,
                    "role": "seller",
                    "password": password,
                })),
            )
            .await
        }
    };
    let ours = app.login(&app.world.admin.email.to_string()).await;
    let shouted = seller.email.to_string().to_uppercase();
    let (status, body) = create(ours, shouted.clone(), "a password for nobody").await;
    assert_eq!(status, StatusCode::CONFLICT, "same organisation: {body}");

    let theirs = app.login(&app.other.admin.email.to_string()).await;
    let (status, twin) = create(theirs.clone(), shouted.clone(), "the twin's password").await;
    assert_eq!(status, StatusCode::CREATED, "another organisation: {twin}");
    let (status, body) = create(theirs, seller.email.to_string(), "long enough here").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "twice in that organisation: {body}"
    );

    let email = seller.email.to_string();
    let login = |password: &'static str| login_from("10.0.0.1:1", &email, password, &[]);
    let (status, _, body) = app.send(login(PASSWORD)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["user"]["id"],
        seller.id.to_string(),
        "the seller's password"
    );
    let (status, _, body) = app.send(login("the twin's password")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], twin["id"], "the twin's password");
    let (status, _, body) = app.send(login("neither")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // The twin takes the seller's password: the address and password now open both.
    let twin_id = twin["id"].as_str().expect("an id").to_owned();
    let twin_session = app.login_with(&shouted, "the twin's password").await;
    let (status, body) = app
        .call(
            axum::http::Method::PUT,
            &format!("/api/users/{twin_id}/password"),
            Some(&twin_session),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    let (status, _, body) = app.send(login(PASSWORD)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let detail = body["detail"].as_str().expect("a detail");
    for organisation in [&app.world.organisation.id, &app.other.organisation.id] {
        assert!(
            detail.contains(&organisation.to_string()),
            "{detail} names {organisation}"
        );
    }
    let (status, _, body) = app
        .send(login_to(
            &email,
            PASSWORD,
            &app.other.organisation.id.to_string(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], twin_id.as_str());
    let (status, _, body) = app
        .send(login_to(
            &email,
            PASSWORD,
            &app.world.organisation.id.to_string(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id"], seller.id.to_string());
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_problems() {
    let app = App::new().await;
    let (status, headers, body) = app
        .send(
            Request::get("/api/no-such-thing")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(is_problem(&headers), "{headers:?}");
    assert_eq!(body["status"], 404);

    let (status, headers, body) = app
        .send(
            Request::delete("/api/login")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(is_problem(&headers), "{headers:?}");
    assert_eq!(body["status"], 405);
    let allow = headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(allow.contains("POST"), "{allow}");
}
