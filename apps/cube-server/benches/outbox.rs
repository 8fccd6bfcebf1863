//! `cargo xtask bench outbox`: messages a second through the outbox to a local SMS provider,
//! with one and with two release server processes on one PostgreSQL database (issue 17).
//!
//! In a database of its own (`cube_outbox_<pid>_<ns>`, dropped at the end) it loads the demo
//! (`cube-server demo`), starts a local provider stand-in (the generic JSON webhook on a
//! loopback port, answering at once and counting each message by its `Idempotency-Key`), then
//! per step starts that many `cube-server serve` processes sending to it
//! (`CUBE_OUTBOX_INTERVAL=1`), waits until they are ready, and enqueues `CUBE_BENCH_MESSAGES`
//! SMS (default 10,000) in one unit of work through `PgStore`. The time is from that unit's
//! commit to the provider holding every message: it includes up to one interval (1 s) before
//! the first round. Sent twice = requests beyond one per message (the claims keep two
//! processes apart, so 0 is expected).
//!
//! The provider, the servers and PostgreSQL share the machine's cores: on this 2-core machine
//! the second process competes with the first for the same CPU.

mod common;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use common::{SALES, Servers, Throwaway, id_by_name, server, wait_until_ready};
use cube_domain::ids::{AssignmentId, OutboxMessageId};
use cube_domain::ports::{OutboxMessage, OutboxPayload, SmsMessage, Store};
use cube_domain::values::PhoneNumber;
use cube_postgres::PgStore;
use std::collections::HashSet;
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What the provider stand-in received.
#[derive(Default)]
struct Received {
    keys: Mutex<HashSet<String>>,
    requests: Mutex<u64>,
}

async fn take(State(received): State<Arc<Received>>, headers: HeaderMap) -> String {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    *received.requests.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    let mut keys = received.keys.lock().unwrap_or_else(|e| e.into_inner());
    keys.insert(key);
    format!(r#"{{"id":"p-{}"}}"#, keys.len())
}

async fn provider() -> BenchResult<(String, Arc<Received>)> {
    let received = Arc::new(Received::default());
    let app = Router::new()
        .route("/sms", post(take))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{address}/sms"), received))
}

fn free_port() -> BenchResult<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The demo's sales assignment, read over the API of a running server.
async fn sales_assignment(client: &reqwest::Client, base: &str) -> BenchResult<AssignmentId> {
    let token = common::log_in(client, base, "admin@demo.example.com").await?;
    let list: serde_json::Value = client
        .get(format!("{base}/api/assignments"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = id_by_name(&list, SALES)?;
    Ok(AssignmentId::from_uuid(id.parse()?))
}

/// `count` SMS to distinct Norwegian mobile numbers, in one unit of work.
async fn enqueue(store: &PgStore, assignment: AssignmentId, count: u32) -> BenchResult<()> {
    let now = time::OffsetDateTime::now_utc();
    let mut uow = store.begin().await?;
    for n in 0..count {
        let message = OutboxMessage {
            id: OutboxMessageId::from_uuid(uuid::Uuid::now_v7()),
            assignment,
            enrollment: None,
            payload: OutboxPayload::Sms(SmsMessage {
                from: "CubeBench".into(),
                to: PhoneNumber::parse(&format!("+479{:07}", n % 10_000_000))?,
                body: format!("Melding {n}: takk for praten i dag!"),
            }),
            created_at: now,
        };
        uow.enqueue(&message).await?;
    }
    uow.commit().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    let messages: u32 = match std::env::var("CUBE_BENCH_MESSAGES") {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("CUBE_BENCH_MESSAGES=`{text}` is not a count"))?,
        Err(_) => 10_000,
    };
    let database = Throwaway::create("cube_outbox", "cargo xtask bench outbox").await?;
    let outcome = run(&database.url, messages).await;
    database.drop_now().await;
    outcome
}

async fn run(url: &str, messages: u32) -> BenchResult<()> {
    let loaded = server(url).arg("demo").stdout(Stdio::null()).status()?;
    if !loaded.success() {
        return Err("cube-server demo failed".into());
    }
    let store = PgStore::connect(url).await?;
    let (provider_url, received) = provider().await?;
    let client = reqwest::Client::new();
    println!("| Server processes | Messages | Seconds | Messages/s | Sent twice |");
    println!("|---:|---:|---:|---:|---:|");
    for processes in [1usize, 2] {
        let mut servers = Servers(Vec::new());
        let mut bases = Vec::new();
        for _ in 0..processes {
            let port = free_port()?;
            let child = server(url)
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .args(["serve", "--no-demo"])
                .env("CUBE_SMS_WEBHOOK", &provider_url)
                .env("CUBE_OUTBOX_INTERVAL", "1")
                .stdout(Stdio::null())
                .spawn()?;
            servers.0.push(child);
            bases.push(format!("http://127.0.0.1:{port}"));
        }
        for base in &bases {
            wait_until_ready(&client, base).await?;
        }
        let assignment = sales_assignment(&client, &bases[0]).await?;
        let before = received
            .keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        let requests_before = *received.requests.lock().unwrap_or_else(|e| e.into_inner());
        enqueue(&store, assignment, messages).await?;
        let started = Instant::now();
        let target = before + messages as usize;
        let deadline = started + Duration::from_secs(600);
        while received
            .keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
            < target
        {
            if Instant::now() > deadline {
                return Err("the messages did not all arrive within 10 minutes".into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        // Let late copies arrive before counting them.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let requests =
            *received.requests.lock().unwrap_or_else(|e| e.into_inner()) - requests_before;
        println!(
            "| {processes} | {messages} | {seconds:.2} | {:.0} | {} |",
            f64::from(messages) / seconds,
            requests.saturating_sub(u64::from(messages))
        );
        drop(servers);
    }
    Ok(())
}
