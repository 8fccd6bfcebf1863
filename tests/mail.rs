//! E-mail end to end, against the real `cube-server` binary over real HTTP and real SMTP on
//! loopback (issue 17, seed 000 item 8): the server has a default mail server
//! (`CUBE_SMTP_URL`) and one named outgoing mail account (`CUBE_SMTP_ACCOUNT_KUNDE`), each an
//! SMTP stand-in of the test. An admin gives the demo's sales assignment a sender, the
//! account and a template with merge fields (æøå in subject and body); a setup naming an
//! account the server lacks is refused with what the operator sets. A seller sends the
//! template from the customer card; the outbox worker delivers it through the account's mail
//! server — not the default one — with the sender, the recipient, the subject and both parts
//! as a mail reader shows them.

mod support;

use cube_gateways::testing::{SmtpScript, mail_part, mail_subject, smtp_server};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{by_name, call, id, login};

const SALES: &str = "Strøm vår 2025";

/// The `index`th message `received` holds, once it has (within 30 seconds).
async fn delivered(received: &Arc<Mutex<Vec<String>>>, index: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(raw) = received.lock().expect("not poisoned").get(index).cloned() {
            return raw;
        }
        assert!(
            Instant::now() < deadline,
            "message {index} never reached the mail server"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_email_from_the_card_leaves_through_the_assignments_mail_account() {
    let (default_port, at_default) = smtp_server(SmtpScript::Accept).await;
    let (account_port, at_account) = smtp_server(SmtpScript::Accept).await;
    let default_url = format!("smtp://127.0.0.1:{default_port}?tls=none");
    let account_url = format!("smtp://127.0.0.1:{account_port}?tls=none");
    let mut server = support::on_sqlite_with(&[
        ("CUBE_SMTP_URL", &default_url),
        ("CUBE_SMTP_ACCOUNT_KUNDE", &account_url),
        ("CUBE_OUTBOX_INTERVAL", "1"),
    ]);
    let client = reqwest::Client::new();
    server.wait_until_healthy(&client).await;
    let base = server.base.clone();
    let admin = login(&client, &base, "admin@demo.example.com").await;
    let seller = login(&client, &base, "seller1@demo.example.com").await;
    let (_, assignments) = call(
        &client,
        client
            .get(format!("{base}/api/assignments"))
            .bearer_auth(&seller),
    )
    .await;
    let sales = id(by_name(&assignments, SALES));
    let setup_url = format!("{base}/api/assignments/{sales}/setup");
    let (status, mut setup) = call(&client, client.get(&setup_url).bearer_auth(&admin)).await;
    assert_eq!(status, 200, "{setup}");
    setup["communication"]["mail_from"] = json!("salg@kraft.example.no");
    setup["communication"]["email_templates"] = json!([{
        "name": "Takk",
        "subject": "Takk for praten, {{ name }} – blåbær",
        "body": "<p>Hei <b>{{ name }}</b>! Hilsen {{ seller.name }}, {{ assignment.name }}.</p>",
    }]);
    let put = |setup: Value| {
        let request = client.put(&setup_url).bearer_auth(&admin).json(&setup);
        call(&client, request)
    };

    // An account this server does not have: refused, saying what the operator sets.
    setup["communication"]["mail_account"] = json!("annen");
    let (status, problem) = put(setup.clone()).await;
    assert_eq!(status, 422, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("CUBE_SMTP_ACCOUNT_ANNEN") && detail.contains("it has kunde"),
        "{problem}"
    );
    assert!(
        !detail.contains("127.0.0.1"),
        "no account's URL is shown: {problem}"
    );

    setup["communication"]["mail_account"] = json!("kunde");
    let (status, saved) = put(setup).await;
    assert_eq!(status, 200, "{saved}");
    let (_, read) = call(&client, client.get(&setup_url).bearer_auth(&admin)).await;
    assert_eq!(read["communication"]["mail_account"], "kunde", "{read}");

    // The seller takes a customer and sends the template from the card.
    let (status, item) = call(
        &client,
        client
            .post(format!("{base}/api/assignments/{sales}/next"))
            .bearer_auth(&seller),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    let enrollment = id(&item["enrollment"]);
    let name = item["customer"]["name"]
        .as_str()
        .expect("a name")
        .to_owned();
    let to = item["customer"]["email"]
        .as_str()
        .expect("the demo's customers have addresses")
        .to_owned();
    let (status, sent) = call(
        &client,
        client
            .post(format!("{base}/api/enrollments/{enrollment}/email"))
            .bearer_auth(&seller)
            .json(&json!({ "template": "Takk" })),
    )
    .await;
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["to"], to.as_str());

    let raw = delivered(&at_account, 0).await;
    assert!(raw.contains("From: salg@kraft.example.no"), "{raw}");
    assert!(raw.contains(&format!("To: {to}")), "{raw}");
    assert_eq!(
        mail_subject(&raw),
        format!("Takk for praten, {name} – blåbær")
    );
    let html = mail_part(&raw, "text/html");
    assert!(
        html.contains(&format!("Hei <b>{name}</b>! Hilsen ")) && html.contains(SALES),
        "{html}"
    );
    let text = mail_part(&raw, "text/plain");
    assert!(text.contains(&format!("Hei {name}! Hilsen ")), "{text}");
    assert!(
        at_default.lock().expect("not poisoned").is_empty(),
        "nothing went through the default mail server"
    );
}
