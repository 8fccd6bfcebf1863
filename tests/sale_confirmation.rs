//! Written confirmation of a phone sale end to end (angrerettloven § 10, issue 17), against
//! the real `cube-server` binary over real HTTP, on SQLite and on PostgreSQL: the admin
//! requires written confirmation in the demo's sales assignment (whose flow lets No sale,
//! where a refusal goes, follow a Sale), and adds a consumer; a Sale registered on
//! them sends the written offer, which the server's worker delivers to a local provider
//! stand-in with the products and the total; the sales report counts the sale as pending
//! and leaves its value out; the stand-in posts the customer's "JA"; the confirmation is
//! confirmed and the report counts the value.
//!
//! By e-mail (`sale_confirmation.channel = "email"`, a server with `CUBE_PUBLIC_URL`): the
//! offer reaches an SMTP stand-in with the products as a table and, in both parts, the links
//! to the answer page; the test follows the accept link (a GET, which decides nothing), posts
//! the page's form, and the sale is confirmed — once: a second answer is 410.

mod support;

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use cube_gateways::testing::{SmtpScript, mail_part, mail_subject, smtp_server};
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

    // The demo's sales flow lets No sale follow a Sale: a refusal's way on, as it is.
    let (status, draft) = send(client.get(format!("{base}/api/flows/{flow}/draft"))).await;
    assert_eq!(status, 200, "{draft}");
    let sale_state = id(by_name(&draft["states"], "Sale"));
    let no_sale_outcome = by_name(&draft["outcomes"], "No sale");
    assert!(
        no_sale_outcome["from"]
            .as_array()
            .is_some_and(|from| from.contains(&json!(sale_state))),
        "{no_sale_outcome}"
    );
    let no_sale = id(no_sale_outcome);
    let sale = id(by_name(&draft["outcomes"], "Sale"));

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

/// Where the e-mail test's server says it is reached (as behind a proxy): the links in the
/// offer start with it; the test sends them to the server's own address instead.
const PUBLIC_URL: &str = "https://cube.example.com";

/// The `index`th message the SMTP stand-in holds, once it has (within 30 seconds).
async fn delivered(received: &Arc<Mutex<Vec<String>>>, index: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(raw) = received.lock().expect("not poisoned").get(index).cloned() {
            return raw;
        }
        assert!(
            Instant::now() < deadline,
            "the offer never reached the mail server"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_sale_is_confirmed_by_email_on_sqlite() {
    let (port, received) = smtp_server(SmtpScript::Accept).await;
    let smtp = format!("smtp://127.0.0.1:{port}?tls=none");
    let server = support::on_sqlite_with(&[
        ("CUBE_SMTP_URL", &smtp),
        ("CUBE_PUBLIC_URL", PUBLIC_URL),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ]);
    confirmed_by_email(server, received).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_sale_is_confirmed_by_email_on_postgresql() {
    let (port, received) = smtp_server(SmtpScript::Accept).await;
    let smtp = format!("smtp://127.0.0.1:{port}?tls=none");
    let server = support::on_postgres_with(&[
        ("CUBE_SMTP_URL", &smtp),
        ("CUBE_PUBLIC_URL", PUBLIC_URL),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ])
    .await;
    confirmed_by_email(server, received).await;
}

/// A page of the server: its status and HTML.
async fn page(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

async fn confirmed_by_email(mut server: support::Server, received: Arc<Mutex<Vec<String>>>) {
    let client = reqwest::Client::new();
    server.wait_until_healthy(&client).await;
    let base = server.base.clone();
    let admin = support::login(&client, &base, "admin@demo.example.com").await;
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

    // The demo's sales flow lets No sale follow a Sale: a refusal's way on, as it is.
    let (status, draft) = send(client.get(format!("{base}/api/flows/{flow}/draft"))).await;
    assert_eq!(status, 200, "{draft}");
    let sale_state = id(by_name(&draft["states"], "Sale"));
    let no_sale_outcome = by_name(&draft["outcomes"], "No sale");
    assert!(
        no_sale_outcome["from"]
            .as_array()
            .is_some_and(|from| from.contains(&json!(sale_state))),
        "{no_sale_outcome}"
    );
    let no_sale = id(no_sale_outcome);
    let sale = id(by_name(&draft["outcomes"], "Sale"));

    // Written confirmation by e-mail, from the assignment's sender.
    let (status, mut setup) =
        send(client.get(format!("{base}/api/assignments/{sales}/setup"))).await;
    assert_eq!(status, 200, "{setup}");
    setup["communication"]["mail_from"] = json!("salg@kraft.example.no");
    setup["sale_confirmation"] = json!({
        "channel": "email",
        "subject": "Ditt kjøp – bekreft, {{ name }}",
        "template": "<p>Hei {{ name }}!</p><p>Du har kjøpt:</p>{{ products }}\
                     <p>Totalt {{ total }}. Vilkår: {{ terms_url }}</p>",
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

    // A consumer with an e-mail address, enrolled, sold 2 × the first product.
    let phone = "+4791550002";
    let (status, customer) = send(
        client
            .post(format!("{base}/api/data-owners/{owner}/customers"))
            .json(
                &json!({ "dataset": "b2c", "name": "Kari Nordmann", "phones": [phone],
                           "email": "kari.nordmann@example.no" }),
            ),
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
        "{base}/api/assignments/{sales}/customers?phone=%2B4791550002"
    )))
    .await;
    assert_eq!(status, 200, "{found}");
    let enrollment = id(&found["customers"][0]["enrollment"]);
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

    // The offer arrives: the products as a table, and in the plain text as a line; both
    // parts carry the answer links.
    let raw = delivered(&received, 0).await;
    assert!(raw.contains("kari.nordmann@example.no"), "{raw}");
    assert_eq!(mail_subject(&raw), "Ditt kjøp – bekreft, Kari Nordmann");
    let html = mail_part(&raw, "text/html");
    let plain = mail_part(&raw, "text/plain");
    let name = product["name"].as_str().expect("a name");
    assert!(html.contains("<table"), "{html}");
    assert!(plain.contains(&format!("2 x {name} à ")), "{plain}");
    assert!(plain.contains("https://demo.example.com/vilkar"), "{plain}");
    let link = |part: &str, answer: &str| -> String {
        let end = part
            .find(&format!("?answer={answer}"))
            .unwrap_or_else(|| panic!("the {answer} link in {part}"));
        let start = part[..end].rfind(PUBLIC_URL).expect("the public address");
        part[start..end].to_owned()
    };
    let accept = link(&plain, "accept");
    assert_eq!(link(&html, "accept"), accept);
    assert_eq!(link(&plain, "refuse"), accept, "one page, two answers");
    let at_server = accept.replacen(PUBLIC_URL, &base, 1);

    // Following the link shows the offer and decides nothing (mail scanners follow links).
    let (status, shown) = page(client.get(format!("{at_server}?answer=accept"))).await;
    assert_eq!(status, 200, "{shown}");
    assert!(
        shown.contains("Jeg godtar") && shown.contains(name),
        "{shown}"
    );
    let (status, listed) =
        send(client.get(format!("{base}/api/assignments/{sales}/sale-confirmations"))).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        (&listed[0]["status"], &listed[0]["channel"]),
        (&json!("pending"), &json!("email")),
        "{listed}"
    );

    // The customer presses "Jeg godtar": the form posts, the sale is confirmed.
    let post = |answer: &'static str| {
        client
            .post(&at_server)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("answer={answer}"))
    };
    let (status, thanks) = page(post("accept")).await;
    assert_eq!(status, 200, "{thanks}");
    assert!(thanks.contains("Du har godtatt tilbudet"), "{thanks}");
    let (_, listed) =
        send(client.get(format!("{base}/api/assignments/{sales}/sale-confirmations"))).await;
    assert_eq!(listed[0]["status"], "confirmed", "{listed}");
    let from = (OffsetDateTime::now_utc() - time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    let to = (OffsetDateTime::now_utc() + time::Duration::days(1))
        .format(&Rfc3339)
        .expect("formats");
    let (status, report) = send(client.get(format!(
        "{base}/api/assignments/{sales}/reports/sales?from={from}&to={to}"
    )))
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["confirmations"]["confirmed"], 1, "{report}");
    assert_eq!(report["confirmations"]["pending"], 0, "{report}");

    // A second answer changes nothing.
    let (status, gone) = page(post("refuse")).await;
    assert_eq!(status, 410, "{gone}");
    let (_, listed) =
        send(client.get(format!("{base}/api/assignments/{sales}/sale-confirmations"))).await;
    assert_eq!(listed[0]["status"], "confirmed", "{listed}");
    drop(server);
}
