//! The SMS provider's callback (`POST /api/sms/inbound`) and an assignment's texts
//! (`GET /api/assignments/{id}/sms-replies`), in process: the shared secret is checked
//! before anything else (a user's token does not open it), a JA to an Offer's SMS registers
//! the Sale the outcome report then counts, a text posted twice acts once, and bad bodies
//! get problems naming the field.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::App;
use cube_domain::assignment::setup::{SmsFlow, SmsReplyRule, SmsSender};
use cube_testkit::fixtures::SalesFlow;
use serde_json::{Value, json};
use std::sync::Arc;

const SECRET: &str = "s3cret-for-the-sms-provider";
const WINDOW: &str = "from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z";

/// The app with the inbound secret set, the Offer of its assignment sending an SMS that
/// listens for JA (→ Sale) and NEI (→ No sale), and a seller's Offer registered over the
/// API: the number the SMS went to.
async fn offer_sent() -> (App, String) {
    let app = App::configured(|state| state.sms_inbound_secret = Some(Arc::from(SECRET))).await;
    let manager = app.world.manager.id;
    let assignment = app.world.assignment.id();
    let mut setup = app.world.assignment.setup().clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    setup.sms_flows.insert(
        SalesFlow::O_OFFER,
        SmsFlow {
            template: "Hei {{ name }}! Svar JA for å takke ja til tilbudet.".into(),
            reply_window: time::Duration::hours(48),
            replies: vec![
                SmsReplyRule {
                    keyword: "JA".into(),
                    registers: SalesFlow::O_SALE,
                },
                SmsReplyRule {
                    keyword: "NEI".into(),
                    registers: SalesFlow::O_NO_SALE,
                },
            ],
        },
    );
    app.state
        .cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let product = app.world.products[0].id().to_string();
    let (status, registered) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(&seller),
            Some(json!({
                "outcome": SalesFlow::O_OFFER.to_string(),
                "products": [{ "product": product, "quantity": 1 }],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    let phone = app
        .world
        .customers
        .iter()
        .find(|c| c.id().to_string() == item["enrollment"]["customer"].as_str().unwrap_or(""))
        .or_else(|| app.world.customers.first())
        .expect("a customer")
        .details()
        .phones[0]
        .to_string();
    (app, phone)
}

async fn post_inbound(
    app: &App,
    secret: Option<&str>,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    post_provider(app, "/api/sms/inbound", secret, token, content_type, body).await
}

/// A provider's call to `uri`: with the shared secret if given, a user's token if given.
async fn post_provider(
    app: &App,
    uri: &str,
    secret: Option<&str>,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(secret) = secret {
        request = request.header("X-Cube-Sms-Secret", secret);
    }
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let (status, headers, body) = app
        .send(request.body(Body::from(body)).expect("a request"))
        .await;
    if !status.is_success() {
        assert!(common::is_problem(&headers), "{status}: {body}");
    }
    (status, body)
}

fn text(id: &str, from: &str, text: &str) -> String {
    json!({ "id": id, "from": from, "text": text }).to_string()
}

#[tokio::test]
async fn a_yes_registers_the_sale_once_and_the_report_counts_it() {
    let (app, phone) = offer_sent().await;
    let (status, first) = post_inbound(
        &app,
        Some(SECRET),
        None,
        "application/json",
        text("SM-1", &phone, "Ja"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["fate"], "registered", "{first}");
    assert_eq!(first["outcome"], SalesFlow::O_SALE.to_string());
    assert_eq!(first["from"], phone);
    assert_eq!(first["assignment"], app.assignment());

    // Posted again (the provider missed our answer): the same answer, nothing new.
    let (status, again) = post_inbound(
        &app,
        Some(SECRET),
        None,
        "application/json",
        text("SM-1", &phone, "Ja"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, first);

    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (status, report) = app
        .call(
            Method::GET,
            &format!(
                "/api/assignments/{}/reports/outcomes?{WINDOW}",
                app.assignment()
            ),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["total"], 2,
        "the Offer and the Sale the text registered"
    );
    assert_eq!(report["yes"], 1, "{report}");

    let (status, listed) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/sms-replies", app.assignment()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed, json!([first]));
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/sms-replies", app.assignment()),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/sms-replies?limit=0", app.assignment()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("limit"),
        "{problem}"
    );
}

#[tokio::test]
async fn the_secret_comes_first_and_a_token_does_not_replace_it() {
    let (app, phone) = offer_sent().await;
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let body = text("SM-1", &phone, "JA");
    for (secret, token) in [
        (None, None),
        (None, Some(admin.as_str())),
        (Some("s3cret-for-the-sms-provideR"), None),
        (Some(""), Some(admin.as_str())),
    ] {
        let (status, problem) =
            post_inbound(&app, secret, token, "application/json", body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{secret:?}: {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or("")
                .contains("X-Cube-Sms-Secret"),
            "{problem}"
        );
    }
    // Without the secret even a malformed body is 401: nothing is read first.
    let (status, _) = post_inbound(&app, None, None, "text/plain", "[]".into()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A server with no secret set has no such endpoint.
    let off = App::new().await;
    let (status, problem) = post_inbound(&off, Some(SECRET), None, "application/json", body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("CUBE_SMS_INBOUND_SECRET"),
        "{problem}"
    );
}

#[tokio::test]
async fn bad_bodies_get_a_problem_naming_what_to_fix_and_change_nothing() {
    let (app, phone) = offer_sent().await;
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "application/json",
            "[]".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "object",
        ),
        ("application/json", "{".into(), StatusCode::BAD_REQUEST, ""),
        (
            "text/plain",
            text("SM-9", &phone, "JA"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/json",
        ),
        (
            "application/json",
            json!({ "id": "SM-9", "from": phone, "text": "JA", "extra": 1 }).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "extra",
        ),
        (
            "application/json",
            json!({ "id": "SM-9", "text": "JA" }).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "from",
        ),
        (
            "application/json",
            text("SM-9", "not a number", "JA"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "from",
        ),
        (
            "application/json",
            text("", &phone, "JA"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "id",
        ),
        (
            "application/json",
            text("SM-9", &phone, &"x".repeat(1_601)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text",
        ),
        (
            "application/json",
            "x".repeat(70 * 1024),
            StatusCode::PAYLOAD_TOO_LARGE,
            "64",
        ),
    ];
    for (content_type, body, expected, names) in cases {
        let shown = body.chars().take(60).collect::<String>();
        let (status, problem) = post_inbound(&app, Some(SECRET), None, content_type, body).await;
        assert_eq!(status, expected, "{shown}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap_or("").contains(names),
            "{shown}: {problem}"
        );
    }
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (_, listed) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/sms-replies", app.assignment()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(listed, json!([]), "no refused text was kept");
}

#[tokio::test]
async fn a_seller_sends_a_template_from_the_card_and_gets_its_length() {
    use cube_domain::assignment::setup::Template;
    let (app, phone) = offer_sent().await;
    let mut setup = app.world.assignment.setup().clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    setup.communication.sms_templates = vec![Template {
        name: cube_domain::values::Name::parse("Påminnelse").expect("a name"),
        subject: String::new(),
        body: "Hei {{ name }}! Ring oss på 22 33 44 55 😊".into(),
    }];
    app.state
        .cube
        .update_assignment_setup(app.world.manager.id, app.world.assignment.id(), setup, None)
        .await
        .expect("setup");
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let (status, sent) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/sms"),
            Some(&seller),
            Some(json!({ "template": "Påminnelse" })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["encoding"], "ucs2", "the emoji makes it UCS-2: {sent}");
    assert_eq!(sent["segments"], 1);
    assert!(
        sent["body"]
            .as_str()
            .unwrap_or("")
            .starts_with("Hei Customer"),
        "{sent}"
    );
    assert_ne!(
        sent["to"], phone,
        "the SMS goes to the customer being worked"
    );
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/sms"),
            Some(&seller),
            Some(json!({ "template": "Velkommen" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Velkommen"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_failed_receipt_lists_the_message_with_the_providers_reason() {
    let (app, _) = offer_sent().await;
    let message = {
        let mut uow = app.store.begin_read().await.expect("read");
        let pending = uow.pending_messages(10).await.expect("outbox");
        assert_eq!(pending.len(), 1, "the Offer's SMS");
        pending[0].id.to_string()
    };
    let receipt = |status: &str, reason: Option<String>| {
        json!({ "message": message, "status": status, "reason": reason }).to_string()
    };
    let (status, _) = post_receipt(&app, Some(SECRET), receipt("delivered", None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = post_receipt(
        &app,
        Some(SECRET),
        receipt("failed", Some("the handset was off for 72 hours".into())),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let admin = app.login(&app.world.admin.email.to_string()).await;
    let (status, failed) = app
        .call(Method::GET, "/api/outbox/failed", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{failed}");
    assert_eq!(failed[0]["id"], message.as_str(), "{failed}");
    assert_eq!(failed[0]["reason"], "the handset was off for 72 hours");

    // Refusals: no secret, an unknown message, a reason too long, an unknown status.
    let (status, _) = post_receipt(&app, None, receipt("delivered", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let unknown =
        json!({ "message": "00000000-0000-7000-8000-00000000dead", "status": "delivered" });
    let (status, problem) = post_receipt(&app, Some(SECRET), unknown.to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, problem) =
        post_receipt(&app, Some(SECRET), receipt("failed", Some("x".repeat(501)))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("reason"),
        "{problem}"
    );
    let (status, _) = post_receipt(
        &app,
        Some(SECRET),
        json!({ "message": message, "status": "read" }).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn post_receipt(app: &App, secret: Option<&str>, body: String) -> (StatusCode, Value) {
    post_provider(
        app,
        "/api/sms/receipts",
        secret,
        None,
        "application/json",
        body,
    )
    .await
}

/// Seed 000 item 8: e-mail from the customer card, through the outbox, with the assignment's
/// mail account; a customer without an address is a clear 422.
#[tokio::test]
async fn a_seller_sends_an_email_template_from_the_card() {
    use cube_domain::assignment::setup::Template;
    use cube_domain::ports::OutboxPayload;
    use cube_domain::values::{Email, Name};
    let (app, _) = offer_sent().await;
    let mut setup = app.world.assignment.setup().clone();
    setup.communication.mail_from = Some(Email::parse("salg@acme.example.no").expect("from"));
    setup.communication.email_templates = vec![Template {
        name: Name::parse("Takk").expect("a name"),
        subject: "Takk for praten, {{ name }}".into(),
        body: "<p>Hei {{ name }}, her er tilbudet på strøm.</p>".into(),
    }];
    app.state
        .cube
        .update_assignment_setup(app.world.manager.id, app.world.assignment.id(), setup, None)
        .await
        .expect("setup");
    let seller = app.login(&app.world.sellers[0].email.to_string()).await;
    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let send = |template: &str| {
        let (app, seller, enrollment) = (&app, &seller, &enrollment);
        let body = json!({ "template": template });
        async move {
            app.call(
                Method::POST,
                &format!("/api/enrollments/{enrollment}/email"),
                Some(seller),
                Some(body),
            )
            .await
        }
    };
    let (status, problem) = send("Takk").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("no e-mail address"),
        "{problem}"
    );

    let (status, card) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{enrollment}/customer"),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["email_templates"], json!(["Takk"]), "{card}");
    let customer_id = item["customer"]["id"].as_str().expect("the customer's id");
    let mut uow = app.store.begin().await.expect("begin");
    let mut customer = uow
        .customer(cube_domain::ids::CustomerId::from_uuid(
            uuid::Uuid::parse_str(customer_id).expect("an id"),
        ))
        .await
        .expect("read")
        .expect("the customer");
    let mut details = customer.details().clone();
    details.email = Some(Email::parse("kari@kunde.example.no").expect("an address"));
    let fields = customer.fields().clone();
    customer
        .update(&app.world.data_owner, details, fields)
        .expect("updated");
    uow.save_customer(&customer).await.expect("saved");
    uow.commit().await.expect("commit");

    let (status, sent) = send("takk").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["to"], "kari@kunde.example.no");
    assert!(
        sent["subject"]
            .as_str()
            .unwrap_or("")
            .starts_with("Takk for praten, "),
        "{sent}"
    );
    let mut uow = app.store.begin_read().await.expect("read");
    let pending = uow.pending_messages(10).await.expect("outbox");
    let mail = pending
        .iter()
        .find_map(|m| match &m.payload {
            OutboxPayload::Email(mail) => Some(mail.clone()),
            _ => None,
        })
        .expect("the e-mail is queued");
    assert_eq!(mail.from.as_str(), "salg@acme.example.no");
    assert!(
        mail.html.contains("her er tilbudet på strøm"),
        "{}",
        mail.html
    );
    drop(uow);

    let (status, problem) = send("Velkommen").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Velkommen"),
        "{problem}"
    );

    // Under an Idempotency-Key a second click answers with the first e-mail and queues
    // nothing more; the key with another template is refused; a malformed key is a 400.
    let keyed = |key: &str, template: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/enrollments/{enrollment}/email"))
            .header(header::AUTHORIZATION, format!("Bearer {seller}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .body(Body::from(json!({ "template": template }).to_string()))
            .expect("a request")
    };
    let queued = || async {
        let mut uow = app.store.begin_read().await.expect("read");
        uow.pending_messages(100).await.expect("outbox").len()
    };
    let before = queued().await;
    let (status, _, first) = app.send(keyed("klikk-1", "Takk")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, _, again) = app.send(keyed("klikk-1", "Takk")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["message"], first["message"], "the first e-mail");
    assert_eq!(queued().await, before + 1, "one e-mail for two clicks");
    let (status, _, reused) = app.send(keyed("klikk-1", "Velkommen")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reused}");
    assert!(
        reused["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Idempotency-Key"),
        "{reused}"
    );
    let (status, _, bad) = app.send(keyed("nøkkel", "Takk")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}
