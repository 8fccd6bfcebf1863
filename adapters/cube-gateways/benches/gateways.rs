//! `cargo xtask bench gateways`: what one SMS costs each HTTP gateway against a local
//! provider stand-in on 127.0.0.1, sent one after another as the outbox sends them — the
//! JSON webhook over plain HTTP, the same over HTTPS (rustls, the test CA as the CA file),
//! and the Twilio-style gateway over HTTPS (form POST, basic auth) — and whether `Paced`
//! holds a rate in real time. Messages a second, and the time of one send (median, p99).
//!
//! `CUBE_BENCH_MESSAGES` sets the messages a gateway (default 2,000).

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use cube_domain::ports::{SmsGateway, SmsMessage};
use cube_domain::values::PhoneNumber;
use cube_gateways::testing::{TestCa, serve_https};
use cube_gateways::{
    CaFile, HttpSettings, Paced, SendRate, TwilioSettings, TwilioSmsGateway, WebhookSmsGateway,
    WebhookUrl,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn webhook_app() -> Router {
    Router::new().route(
        "/sms",
        post(|axum::Json(_): axum::Json<serde_json::Value>| async {
            axum::Json(serde_json::json!({ "id": "p-1" }))
        }),
    )
}

fn twilio_app() -> Router {
    Router::new().route(
        "/2010-04-01/Accounts/{account}/Messages.json",
        post(|axum::Form(_): axum::Form<HashMap<String, String>>| async {
            (
                StatusCode::CREATED,
                axum::Json(serde_json::json!({ "sid": "SM00000000000000000000000000000001" })),
            )
                .into_response()
        }),
    )
}

async fn serve_http(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{address}")
}

fn message() -> SmsMessage {
    SmsMessage {
        from: "AcmeEnergi".into(),
        to: PhoneNumber::parse("+4791234567").expect("valid"),
        body: "Hei Kari, takk for praten! Svar JA for å bekrefte tilbudet.".into(),
    }
}

/// Sends `n` messages one after another (after 50 to warm the connection up); prints the rate
/// and the median and p99 of one send.
async fn run(name: &str, gateway: &dyn SmsGateway, n: usize) {
    let message = message();
    for i in 0..50 {
        gateway
            .send(&format!("warm-{i}"), &message)
            .await
            .expect("sent");
    }
    let mut times = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let one = Instant::now();
        gateway
            .send(&format!("m-{i}"), &message)
            .await
            .expect("sent");
        times.push(one.elapsed());
    }
    let total = start.elapsed();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "| {name} | {n} | {:.0} | {:.0} | {:.0} |",
        n as f64 / total.as_secs_f64(),
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("CUBE_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let ca = TestCa::new("Cube bench CA");
    let ca_file = CaFile::from_pem("bench-ca.pem", ca.pem().as_bytes()).expect("the CA reads");
    let http = HttpSettings::new(Duration::from_secs(10)).trusting(ca_file);

    println!("| gateway | messages | messages/s | median send (µs) | p99 send (µs) |");
    println!("|---|---:|---:|---:|---:|");
    let plain = serve_http(webhook_app()).await;
    let url = WebhookUrl::parse(&format!("{plain}/sms")).expect("url");
    let gateway = WebhookSmsGateway::new(url, &http).expect("client");
    run("JSON webhook, http://", &gateway, n).await;

    let tls = serve_https(&ca, webhook_app()).await;
    let url = WebhookUrl::parse(&format!("{tls}/sms")).expect("url");
    let gateway = WebhookSmsGateway::new(url, &http).expect("client");
    run("JSON webhook, https://", &gateway, n).await;

    let base = serve_https(&ca, twilio_app()).await;
    let settings = TwilioSettings::new(&base, "AC00000000000000000000000000000001", "bench-token")
        .expect("settings");
    let twilio: Arc<dyn SmsGateway> =
        Arc::new(TwilioSmsGateway::new(settings, &http).expect("client"));
    run("Twilio-style, https://", twilio.as_ref(), n).await;

    // The pacing in real time: 200 a second asked, over the Twilio-style gateway.
    let paced = Paced::new(twilio, SendRate::parse("200").expect("rate"));
    let m = (n / 5).max(100);
    let message = message();
    let start = Instant::now();
    for i in 0..m {
        paced.send(&format!("p-{i}"), &message).await.expect("sent");
    }
    let rate = m as f64 / start.elapsed().as_secs_f64();
    println!();
    println!("Paced at 200/s, Twilio-style over https: {m} messages at {rate:.1}/s");
}
