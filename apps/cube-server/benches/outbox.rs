//! `cargo xtask bench outbox`: messages a second through the outbox to a local SMS provider,
//! with one and with two release server processes on one PostgreSQL database (issue 17).
//!
//! In a database of its own (`cube_outbox_<pid>_<ns>`, dropped at the end) it loads the demo
//! (`cube-server demo --customers 10000`), starts a local provider stand-in (the generic JSON webhook on a
//! loopback port, answering at once and counting each message by its `Idempotency-Key`), then
//! per step starts that many `cube-server serve` processes sending to it
//! (`CUBE_OUTBOX_INTERVAL=1`), waits until they are ready, and enqueues `CUBE_BENCH_MESSAGES`
//! SMS (default 10,000) in one unit of work through `PgStore`. The time is from that unit's
//! commit to the provider holding every message: it includes up to one interval (1 s) before
//! the first round. Sent twice = requests beyond one per message (the claims keep two
//! processes apart, so 0 is expected).
//!
//! Then what queuing the SMS adds to a registration: one server process (its worker asleep,
//! `CUBE_OUTBOX_INTERVAL=3600`, so no sending competes), a seller takes the next customer and
//! registers the demo's Offer (a product line and a follow-up), whose setup starts an SMS
//! flow; in four slices of `CUBE_BENCH_REGISTRATIONS` (default 300) the Offer's SMS flow is
//! on, off, off, on (the admin's `PUT …/setup` between slices). The registration request's
//! latency is reported per arm: the difference is the outbox row (and the SMS flow's record)
//! written in the registration's unit of work.
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
    // Enough customers for every registration the second part makes (the demo has 1,000).
    let loaded = server(url)
        .args(["demo", "--customers", "10000"])
        .stdout(Stdio::null())
        .status()?;
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
            let port = common::free_port()?;
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
    let registrations: usize = match std::env::var("CUBE_BENCH_REGISTRATIONS") {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("CUBE_BENCH_REGISTRATIONS=`{text}` is not a count"))?,
        Err(_) => 300,
    };
    registration_cost(url, &provider_url, registrations).await
}

/// One arm's registration latencies, in milliseconds.
#[derive(Default)]
struct Arm(Vec<f64>);

impl Arm {
    fn row(&mut self, name: &str) -> String {
        self.0.sort_by(f64::total_cmp);
        let at = |q: f64| self.0[((self.0.len() as f64 - 1.0) * q).round() as usize];
        let mean = self.0.iter().sum::<f64>() / self.0.len() as f64;
        format!(
            "| {name} | {} | {mean:.2} | {:.2} | {:.2} |",
            self.0.len(),
            at(0.5),
            at(0.99)
        )
    }
}

async fn registration_cost(url: &str, provider_url: &str, per_slice: usize) -> BenchResult<()> {
    let port = common::free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let _servers = Servers(vec![
        server(url)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["serve", "--no-demo"])
            .env("CUBE_SMS_WEBHOOK", provider_url)
            .env("CUBE_OUTBOX_INTERVAL", "3600")
            .stdout(Stdio::null())
            .spawn()?,
    ]);
    let client = reqwest::Client::new();
    wait_until_ready(&client, &base).await?;
    let admin = common::log_in(&client, &base, "admin@demo.example.com").await?;
    let seller = common::log_in(&client, &base, "seller1@demo.example.com").await?;
    let assignment = sales_assignment(&client, &base).await?.to_string();
    let overview: serde_json::Value = client
        .get(format!("{base}/api/assignments/{assignment}"))
        .bearer_auth(&seller)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let offer = id_by_name(&overview["outcomes"], "Offer")?;
    let product = overview["products"][0]["id"]
        .as_str()
        .ok_or("the demo's assignment has no product")?
        .to_owned();
    let setup_url = format!("{base}/api/assignments/{assignment}/setup");
    let with_sms: serde_json::Value = client
        .get(&setup_url)
        .bearer_auth(&admin)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut without_sms = with_sms.clone();
    let entry = without_sms["outcomes"]
        .as_array_mut()
        .and_then(|all| all.iter_mut().find(|o| o["outcome"] == offer.as_str()))
        .filter(|o| !o["sms"].is_null())
        .ok_or("the demo's Offer has no SMS flow")?;
    entry["sms"] = serde_json::Value::Null;
    let follow_up = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)?;
    let body = serde_json::json!({
        "outcome": offer,
        "products": [{ "product": product, "quantity": 1 }],
        "follow_up_at": follow_up,
    });
    let (mut on, mut off) = (Arm::default(), Arm::default());
    for sms in [true, false, false, true] {
        let setup = if sms { &with_sms } else { &without_sms };
        client
            .put(&setup_url)
            .bearer_auth(&admin)
            .json(setup)
            .send()
            .await?
            .error_for_status()?;
        let arm = if sms { &mut on } else { &mut off };
        for _ in 0..per_slice {
            let next = client
                .post(format!("{base}/api/assignments/{assignment}/next"))
                .bearer_auth(&seller)
                .send()
                .await?
                .error_for_status()?;
            if next.status() == reqwest::StatusCode::NO_CONTENT {
                return Err("the seller's queue ran empty: lower CUBE_BENCH_REGISTRATIONS".into());
            }
            let item: serde_json::Value = next.json().await?;
            let enrollment = item["enrollment"]["id"]
                .as_str()
                .ok_or("next customer gave no enrollment")?;
            let started = Instant::now();
            client
                .post(format!("{base}/api/enrollments/{enrollment}/outcomes"))
                .bearer_auth(&seller)
                .json(&body)
                .send()
                .await?
                .error_for_status()?;
            arm.0.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    println!();
    println!(
        "| Offer registered (one seller, over HTTP) | Registrations | Mean ms | p50 ms | p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!("{}", on.row("with its SMS flow (an outbox row)"));
    println!("{}", off.row("without"));
    Ok(())
}
