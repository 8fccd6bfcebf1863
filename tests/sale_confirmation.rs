//! Written confirmation of a phone sale end to end (angrerettloven § 10, issue 17), against
//! the real `cube-server` binary over real HTTP, on SQLite and on PostgreSQL: the admin
//! lets a refusal move a customer on from Sale (a new flow version), requires written
//! confirmation in the demo's sales assignment, and adds a consumer; a Sale registered on
//! them sends the written offer, which the server's worker delivers to a local provider
//! stand-in with the products and the total; the sales report counts the sale as pending
//! and leaves its value out; the stand-in posts the customer's "JA"; the confirmation is
//! confirmed and the report counts the value.

mod support;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{DEMO_PASSWORD, by_name, call, id};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SALES: &str = "Strøm vår 2025";
const SECRET: &str = "the-providers-shared-secret-2";

type Received = Arc<Mutex<Vec<Value>>>;

/// A local SMS provider: keeps each SMS posted as JSON, answers with a message id.
async fn provider() -> (String, Received) {
    let received: Received = Arc::default();
    let app = Router::new()
        .route(
            "/sms",
            post(
                |State(received): State<Received>, axum::Json(sms): axum::Json<Value>| async move {
                    let mut all = received.lock().expect("not poisoned");
                    all.push(sms);
                    axum::Json(json!({ "id": format!("out-{}", all.len()) }))
                },
            ),
        )
        .with_state(received.clone());
    let address = support::serve_local(app).await;
    (format!("http://{address}/sms"), received)
}

/// The first SMS to `to` the provider received, once it has (within 30 seconds).
async fn sms_to(received: &Received, to: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = received
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|sms| sms["to"] == to)
            .cloned();
        if let Some(sms) = found {
            return sms;
        }
        assert!(
            Instant::now() < deadline,
            "the offer never reached the provider"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_sale_is_confirmed_in_writing_on_sqlite() {
    let (url, received) = provider().await;
    let server = support::on_sqlite_with(&[
        ("CUBE_SMS_WEBHOOK", &url),
        ("CUBE_SMS_INBOUND_SECRET", SECRET),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ]);
    confirmed_in_writing(server, received).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_sale_is_confirmed_in_writing_on_postgresql() {
    let (url, received) = provider().await;
    let server = support::on_postgres_with(&[
        ("CUBE_SMS_WEBHOOK", &url),
        ("CUBE_SMS_INBOUND_SECRET", SECRET),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ])
    .await;
    confirmed_in_writing(server, received).await;
}

async fn confirmed_in_writing(mut server: support::Server, received: Received) {
    let client = reqwest::Client::new();
    server.wait_until_healthy(&client).await;
    let base = server.base.clone();
    let (status, login) = call(
        &client,
        client
            .post(format!("{base}/api/login"))
            .json(&json!({ "email": "admin@demo.example.com", "password": DEMO_PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let admin = login["token"].as_str().expect("a token").to_owned();
    let send = |request: reqwest::RequestBuilder| {
        let client = client.clone();
        let admin = admin.clone();
        async move { call(&client, request.bearer_auth(admin)).await }
    };

    let (_, assignments) = send(client.get(format!("{base}/api/assignments"))).await;
    let assignment = by_name(&assignments, SALES).clone();
    let sales = id(&assignment);
    let owner = assignment["data_owner"].as_str().expect("an id").to_owned();
    let flow = assignment["flow"].as_str().expect("an id").to_owned();

    // A new version of the sales flow where No sale may follow a Sale (a refusal's way on).
    let (status, draft) = send(client.get(format!("{base}/api/flows/{flow}/draft"))).await;
    assert_eq!(status, 200, "{draft}");
    let sale_state = id(by_name(&draft["states"], "Sale"));
    let mut outcomes = draft["outcomes"].as_array().expect("outcomes").clone();
    for outcome in &mut outcomes {
        if outcome["name"] == "No sale" {
            outcome["from"]
                .as_array_mut()
                .expect("from")
                .push(json!(sale_state));
        }
    }
    let content = json!({
        "name": draft["name"], "initial": draft["initial"],
        "states": draft["states"], "outcomes": outcomes,
    });
    let (status, body) = send(
        client
            .put(format!("{base}/api/flows/{flow}/draft"))
            .json(&content),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, published) = send(client.post(format!("{base}/api/flows/{flow}/publish"))).await;
    assert_eq!(status, 200, "{published}");
    let (status, body) = send(
        client
            .post(format!("{base}/api/assignments/{sales}/flow"))
            .json(&json!({ "flow": flow, "version": published["version"] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let no_sale = id(by_name(&published["outcomes"], "No sale"));
    let sale = id(by_name(&published["outcomes"], "Sale"));

    // Written confirmation required, with a terms link and JA / NEI.
    let (status, mut setup) =
        send(client.get(format!("{base}/api/assignments/{sales}/setup"))).await;
    assert_eq!(status, 200, "{setup}");
    setup["sale_confirmation"] = json!({
        "template": "Hei {{ name }}! Du har kjøpt:\n{{ products }}\nTotalt {{ total }}. \
                     Vilkår: {{ terms_url }}. Svar JA for å bekrefte, NEI om ikke.",
        "terms_url": "https://demo.example.com/vilkar",
        "window_hours": 48,
        "on_refusal": no_sale,
        "on_no_reply": no_sale,
    });
    let (status, body) = send(
        client
            .put(format!("{base}/api/assignments/{sales}/setup"))
            .json(&setup),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["setup"]["sale_confirmation"]["accept"],
        json!(["JA"]),
        "the default keyword: {body}"
    );

    // A consumer, enrolled.
    let phone = "+4791550001";
    let (status, customer) = send(
        client
            .post(format!("{base}/api/data-owners/{owner}/customers"))
            .json(&json!({ "dataset": "b2c", "name": "Kari Nordmann", "phones": [phone] })),
    )
    .await;
    assert_eq!(status, 201, "{customer}");
    let customer = id(&customer);
    let (status, body) = send(
        client
            .post(format!("{base}/api/assignments/{sales}/enrollments"))
            .json(&json!({ "customers": [customer] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, found) = send(client.get(format!(
        "{base}/api/assignments/{sales}/customers?phone=%2B4791550001"
    )))
    .await;
    assert_eq!(status, 200, "{found}");
    let enrollment = id(&found["customers"][0]["enrollment"]);

    // The sale: 2 × the first product.
    let (_, overview) = send(client.get(format!("{base}/api/assignments/{sales}"))).await;
    let product = &overview["products"][0];
    let (status, registered) = send(
        client
            .post(format!("{base}/api/enrollments/{enrollment}/outcomes"))
            .json(&json!({
                "outcome": sale,
                "products": [{ "product": id(product), "quantity": 2 }],
            })),
    )
    .await;
    assert_eq!(status, 200, "{registered}");

    // The written offer reaches the provider with the products, their prices and the total.
    let offer = sms_to(&received, phone).await;
    let text = offer["body"].as_str().expect("a text");
    let name = product["name"].as_str().expect("a name");
    assert!(text.contains(&format!("2 x {name} à ")), "{text}");
    assert!(text.contains("Totalt ") && text.contains(" NOK"), "{text}");
    assert!(text.contains("https://demo.example.com/vilkar"), "{text}");

    let from = (OffsetDateTime::now_utc() - time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    let to = (OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    let report_url = format!("{base}/api/assignments/{sales}/reports/sales?from={from}&to={to}");
    let (status, pending) = send(client.get(&report_url)).await;
    assert_eq!(status, 200, "{pending}");
    assert_eq!(pending["confirmations"]["pending"], 1, "{pending}");
    assert_eq!(
        pending["confirmations"]["unconfirmed_units"], 2,
        "{pending}"
    );
    let (status, listed) =
        send(client.get(format!("{base}/api/assignments/{sales}/sale-confirmations"))).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed[0]["status"], "pending", "{listed}");
    assert_eq!(listed[0]["phone"], phone);

    // The customer answers "JA"; the provider posts it.
    let (status, answer) = call(
        &client,
        client
            .post(format!("{base}/api/sms/inbound"))
            .header("X-Cube-Sms-Secret", SECRET)
            .json(&json!({ "id": "SMx-confirm-1", "from": phone, "text": "JA" })),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["fate"], "sale_confirmed", "{answer}");
    assert_eq!(answer["confirmation"], listed[0]["id"]);

    let (_, listed) =
        send(client.get(format!("{base}/api/assignments/{sales}/sale-confirmations"))).await;
    assert_eq!(listed[0]["status"], "confirmed", "{listed}");
    let (status, confirmed) = send(client.get(&report_url)).await;
    assert_eq!(status, 200, "{confirmed}");
    assert_eq!(confirmed["confirmations"]["confirmed"], 1, "{confirmed}");
    assert_eq!(confirmed["confirmations"]["pending"], 0, "{confirmed}");
    assert_eq!(
        confirmed["total_units"].as_u64(),
        pending["total_units"].as_u64().map(|units| units + 2),
        "the confirmed sale's units count now: {confirmed}"
    );
    drop(server);
}
