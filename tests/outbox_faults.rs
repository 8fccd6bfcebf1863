//! The outbox under faults, against the real `cube-server` binary over real HTTP, on SQLite and
//! on PostgreSQL (issue 17). A seller's Offers queue SMS; a local provider stand-in (the
//! generic JSON webhook) answers `500` to the first tries, then takes each message — and holds
//! the answer to one of them while the test kills the server with SIGKILL, so that message
//! reached the provider but its answer never reached the server. A second server process is
//! started on the same database. In the end:
//! - every SMS reached the provider, none is listed as failed;
//! - each message came under one idempotency key (the outbox message id), the same on every
//!   try, so a provider that deduplicates by it delivers each exactly once — the message whose
//!   answer was lost was sent again under its key, and the ones answered `500` were retried;
//! - no text was sent under two keys (the restarted process did not enqueue anything again).
//!
//! The outbox runs every second with a 3 s claim and a 1 s first retry
//! (`CUBE_OUTBOX_INTERVAL`, `CUBE_OUTBOX_CLAIM`, `CUBE_OUTBOX_FIRST_RETRY`), so the dead
//! process's claims run out within the test.

mod support;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{PgDatabase, TempDir, by_name, call, id, login, make_offer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::Notify;

const SALES: &str = "Strøm vår 2025";
/// Offers made, so SMS queued.
const OFFERS: usize = 12;
/// Tries the provider answers `500` before it takes any.
const REFUSED_FIRST: usize = 3;
/// The message (counted from 1 among those taken) whose answer is held while the server is
/// killed.
const HELD: usize = 3;

/// One request the provider stand-in received.
#[derive(Debug, Clone)]
struct Try {
    key: String,
    to: String,
    body: String,
    /// Whether it took the message (a `500` did not).
    taken: bool,
}

#[derive(Default)]
struct Provider {
    tries: Mutex<Vec<Try>>,
    /// Told when the held message has arrived (the test kills the server then).
    held: Notify,
}

type Shared = Arc<Provider>;

async fn take(
    State(provider): State<Shared>,
    headers: HeaderMap,
    axum::Json(sms): axum::Json<Value>,
) -> (StatusCode, axum::Json<Value>) {
    let text = |field: &str| sms[field].as_str().unwrap_or_default().to_owned();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (taken_before, refuse) = {
        let tries = provider.tries.lock().expect("not poisoned");
        let taken = tries.iter().filter(|t| t.taken).count();
        (taken, tries.len() < REFUSED_FIRST)
    };
    let attempt = Try {
        key: key.clone(),
        to: text("to"),
        body: text("body"),
        taken: !refuse,
    };
    provider.tries.lock().expect("not poisoned").push(attempt);
    if refuse {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "error": "try again" })),
        );
    }
    if taken_before + 1 == HELD {
        // Taken — and the answer held until the server that asked is gone.
        provider.held.notify_one();
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    (
        StatusCode::OK,
        axum::Json(json!({ "id": format!("p-{key}") })),
    )
}

/// The provider stand-in on a loopback port: its URL and what it received.
async fn provider() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/sms", post(take))
        .with_state(shared.clone());
    let address = support::serve_local(app).await;
    (format!("http://{address}/sms"), shared)
}

/// The keys the provider took, each with the texts taken under it.
fn taken_by_key(provider: &Provider) -> BTreeMap<String, Vec<(String, String)>> {
    let mut taken: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for t in provider.tries.lock().expect("not poisoned").iter() {
        if t.taken {
            taken
                .entry(t.key.clone())
                .or_default()
                .push((t.to.clone(), t.body.clone()));
        }
    }
    taken
}

async fn crash_while_sending(database: &str) {
    let (url, provider) = provider().await;
    let env = [
        ("CUBE_SMS_WEBHOOK", url.as_str()),
        ("CUBE_OUTBOX_INTERVAL", "1"),
        ("CUBE_OUTBOX_CLAIM", "3"),
        ("CUBE_OUTBOX_FIRST_RETRY", "1"),
    ];
    let client = reqwest::Client::new();
    let mut first = support::on_database_with(database, &env);
    first.wait_until_healthy(&client).await;
    let base = first.base.clone();
    let seller = login(&client, &base, "seller1@demo.example.com").await;
    let (_, assignments) = call(
        &client,
        client
            .get(format!("{base}/api/assignments"))
            .bearer_auth(&seller),
    )
    .await;
    let sales = id(by_name(&assignments, SALES));
    let (_, overview) = call(
        &client,
        client
            .get(format!("{base}/api/assignments/{sales}"))
            .bearer_auth(&seller),
    )
    .await;
    let offer = id(by_name(&overview["outcomes"], "Offer"));
    let product = id(&overview["products"][0]);
    let follow_up = (OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    for _ in 0..OFFERS {
        make_offer(
            &client, &base, &seller, &sales, &offer, &product, &follow_up,
        )
        .await;
    }

    // The held message has reached the provider: the server dies before its answer.
    tokio::time::timeout(Duration::from_secs(60), provider.held.notified())
        .await
        .expect("the provider takes messages after its 500s");
    first.kill();

    let mut second = support::on_database_with(database, &env);
    second.wait_until_healthy(&client).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    while taken_by_key(&provider).len() < OFFERS {
        assert!(
            Instant::now() < deadline,
            "not every SMS reached the provider: {:?}",
            provider.tries.lock().expect("not poisoned")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A moment more: nothing else may arrive.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let taken = taken_by_key(&provider);
    assert_eq!(taken.len(), OFFERS, "one key per message: {taken:?}");
    for (key, texts) in &taken {
        assert!(
            texts.iter().all(|text| text == &texts[0]),
            "{key} carried one message on every try: {texts:?}"
        );
    }
    let distinct: BTreeSet<&(String, String)> = taken.values().map(|texts| &texts[0]).collect();
    assert_eq!(distinct.len(), OFFERS, "no text sent under two keys");
    let twice: Vec<&String> = taken
        .iter()
        .filter(|(_, texts)| texts.len() > 1)
        .map(|(key, _)| key)
        .collect();
    assert_eq!(
        twice.len(),
        1,
        "only the message whose answer was lost was taken again (under its key): {taken:?}"
    );
    let tries = provider.tries.lock().expect("not poisoned").clone();
    let refused: BTreeSet<&String> = tries.iter().filter(|t| !t.taken).map(|t| &t.key).collect();
    assert!(!refused.is_empty());
    for key in refused {
        assert!(
            taken.contains_key(key),
            "{key} was answered 500, then retried and taken"
        );
    }

    // Nothing is listed as failed.
    let admin = login(&client, &second.base, "admin@demo.example.com").await;
    let (status, failed) = call(
        &client,
        client
            .get(format!("{}/api/outbox/failed", second.base))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, 200, "{failed}");
    assert_eq!(failed, json!([]), "no failed messages");
    drop(second);
}

#[tokio::test]
async fn a_server_killed_while_sending_loses_no_sms_and_sends_each_under_one_key_on_sqlite() {
    let dir = TempDir::new("outbox-faults");
    crash_while_sending(&dir.sqlite_url("cube.db")).await;
}

#[tokio::test]
async fn a_server_killed_while_sending_loses_no_sms_and_sends_each_under_one_key_on_postgresql() {
    let database = PgDatabase::create().await;
    crash_while_sending(&database.url.clone()).await;
}
