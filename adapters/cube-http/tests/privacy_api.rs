//! A person's rights over HTTP (issue 16): `POST /api/data-owners/{id}/privacy/access` hands
//! a data owner's managers everything held on a person named in the body, as JSON or as an
//! Excel workbook with a sheet per kind of record; `POST …/privacy/erasure` erases them, the
//! reports reading as before; `GET …/privacy/log` lists the requests recorded, with no
//! personal data in them; a bad key is a 422 naming what to fix, a person not found a 404,
//! and a refused request records nothing.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use common::{App, Tokens};
use cube_testkit::fixtures::SalesFlow;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn access_uri(app: &App) -> String {
    format!(
        "/api/data-owners/{}/privacy/access",
        app.world.data_owner.id()
    )
}

fn log_uri(app: &App) -> String {
    format!("/api/data-owners/{}/privacy/log", app.world.data_owner.id())
}

/// The seller takes the next customer (the first, by import order) and registers a Sale
/// with a note on them.
async fn a_sale_to_the_first_customer(app: &App, seller: &str) {
    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(
        item["customer"]["id"],
        json!(app.world.customers[0].id().to_string()),
        "{item}"
    );
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let (status, registered) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(seller),
            Some(json!({ "outcome": SalesFlow::O_SALE.to_string(), "note": "Ring etter lunsj" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
}

/// The workbook answer to `body`, as raw bytes.
async fn workbook(app: &App, token: &str, body: Value) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("{}?format=xlsx", access_uri(app)))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a request");
    let response = app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("an answer");
    let status = response.status();
    assert!(
        !status.is_success()
            || response.headers()[header::CONTENT_TYPE]
                == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    (status, bytes.to_vec())
}

#[tokio::test]
async fn a_persons_data_is_handed_out_as_json_and_as_a_workbook_and_logged() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    a_sale_to_the_first_customer(&app, &t.seller).await;
    let first = &app.world.customers[0];

    // By the national number, in the data owner's region.
    let (status, data) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.manager),
            Some(json!({ "phone": "900 00 000" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    assert_eq!(data["found_by"], "phone");
    let customers = data["customers"].as_array().expect("customers");
    assert_eq!(customers.len(), 1, "{data}");
    let record = &customers[0];
    assert_eq!(record["customer"]["id"], json!(first.id().to_string()));
    assert_eq!(record["customer"]["phones"], json!(["+4790000000"]));
    let enrollment = &record["enrollments"][0];
    assert_eq!(enrollment["state_name"], "Sale", "{record}");
    assert_eq!(
        enrollment["assignment_name"],
        json!(app.world.assignment.name().to_string())
    );
    let event = &enrollment["events"][0];
    assert_eq!(event["outcome_name"], "Sale");
    assert_eq!(event["event"]["note"], "Ring etter lunsj");
    for list in [
        "changes",
        "meetings",
        "messages",
        "sms_flows",
        "sms_replies",
    ] {
        assert!(record[list].is_array(), "{list}: {record}");
    }

    // The same as a workbook: a sheet per kind of record.
    let (status, bytes) = workbook(&app, &t.admin, json!({ "external_id": "ext-00000" })).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let cell = |rows: &[&[Data]], row: usize, header: &str| -> String {
        let column = rows[0]
            .iter()
            .position(|h| *h == header)
            .unwrap_or_else(|| panic!("a `{header}` column"));
        rows[row][column].to_string()
    };
    let sheet = book.worksheet_range("Kunder").expect("the customers");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "a header and the customer");
    assert_eq!(cell(&rows, 1, "name"), first.details().name.to_string());
    assert_eq!(cell(&rows, 1, "phones"), "+4790000000");
    let sheet = book.worksheet_range("Utfall").expect("the outcomes");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "a header and the Sale");
    assert_eq!(cell(&rows, 1, "outcome"), "Sale");
    assert_eq!(cell(&rows, 1, "note"), "Ring etter lunsj");
    assert!(matches!(rows[1][0], Data::DateTime(_)), "{:?}", rows[1]);
    for name in [
        "Forespørsel",
        "Oppdrag",
        "Møter",
        "Meldinger",
        "SMS-flyter",
        "SMS-svar",
        "Endringer",
    ] {
        assert!(book.worksheet_range(name).is_ok(), "the sheet {name}");
    }

    // Refused: the key, then the role; none of them is recorded.
    for (body, field) in [
        (json!({}), "phone"),
        (
            json!({ "phone": "+4790000000", "email": "a@example.no" }),
            "only one",
        ),
        (json!({ "email": "not an address" }), "email"),
    ] {
        let (status, problem) = app
            .call(
                Method::POST,
                &access_uri(&app),
                Some(&t.manager),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(field)),
            "{problem}"
        );
    }
    let (status, _) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.seller),
            Some(json!({ "phone": "+4790000000" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.other_admin),
            Some(json!({ "phone": "+4790000000" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing held: an empty answer, recorded too.
    let (status, nothing) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.manager),
            Some(json!({ "email": "nobody@example.no" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{nothing}");
    assert_eq!(nothing["customers"], json!([]));

    let (status, log) = app
        .call(Method::GET, &log_uri(&app), Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log.as_array().expect("entries");
    assert_eq!(entries.len(), 3, "{log}");
    assert_eq!(entries[0]["id"], data["reference"]);
    assert_eq!(entries[0]["user"], json!(app.world.manager.id.to_string()));
    assert_eq!(entries[0]["right"], "access");
    assert_eq!(entries[0]["customers"], json!([first.id().to_string()]));
    assert_eq!(entries[1]["found_by"], "external_id");
    assert_eq!(entries[1]["user"], json!(app.world.admin.id.to_string()));
    assert_eq!(entries[2]["customers"], json!([]));
    let text = log.to_string();
    for personal in [
        "+4790000000",
        "90000000",
        "ext-00000",
        "nobody@example.no",
        first.details().name.as_str(),
    ] {
        assert!(!text.contains(personal), "{personal} in the log: {text}");
    }
    let (status, _) = app
        .call(Method::GET, &log_uri(&app), Some(&t.client), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Found from outside: the workbook wrote the dataset, a meeting's kind and the exemption as
/// Rust's debug text (`B2b`, `Video`, `ExistingCustomer { .. }`). They are the JSON's words.
#[tokio::test]
async fn the_access_workbook_words_the_dataset_a_meeting_and_an_exemption_as_the_json_does() {
    use cube_domain::ids::{EnrollmentId, MeetingId};
    use cube_domain::meeting::{Meeting, MeetingKind};
    use time::macros::datetime;
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let first = &app.world.customers[0];
    let (status, record) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{}/register-exemption", first.id()),
            Some(&t.manager),
            Some(json!({ "kind": "existing_customer", "since": "2024-01-15", "product_area": "strøm" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    let start = datetime!(2025-03-03 09:00 UTC);
    let meeting = Meeting {
        id: MeetingId::from_uuid(uuid::Uuid::from_u128(0xB00C_0001)),
        calendar: app.world.calendar.id,
        assignment: app.world.assignment.id(),
        enrollment: EnrollmentId::from_uuid(uuid::Uuid::from_u128(0xB00C_0002)),
        customer: first.id(),
        booked_by: Some(app.world.sellers[0].id),
        start,
        end: start + time::Duration::hours(1),
        kind: MeetingKind::Video,
        place: Some("https://meet.example.no/abc".into()),
    };
    let mut uow = app.store.begin().await.expect("begin");
    uow.insert_meeting(&meeting).await.expect("book");
    uow.commit().await.expect("commit");

    let (status, data) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.manager),
            Some(json!({ "external_id": "ext-00000" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    let record = &data["customers"][0];
    assert_eq!(record["customer"]["dataset"], "b2b", "{record}");
    assert_eq!(record["meetings"][0]["kind"], "video", "{record}");
    assert_eq!(
        record["customer"]["contact"]["exemption"]["kind"], "existing_customer",
        "{record}"
    );

    let (status, bytes) = workbook(&app, &t.manager, json!({ "external_id": "ext-00000" })).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let cell = |rows: &[&[Data]], header: &str| -> String {
        let column = rows[0]
            .iter()
            .position(|h| *h == header)
            .unwrap_or_else(|| panic!("a `{header}` column"));
        rows[1][column].to_string()
    };
    let sheet = book.worksheet_range("Kunder").expect("the customers");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(cell(&rows, "dataset"), "b2b");
    assert_eq!(
        cell(&rows, "register_exemption"),
        "existing_customer; since: 2024-01-15; product_area: strøm"
    );
    let sheet = book.worksheet_range("Møter").expect("the meetings");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "a header and the meeting");
    assert_eq!(cell(&rows, "kind"), "video");
    for sheet in ["Kunder", "Møter"] {
        let range = book.worksheet_range(sheet).expect("the sheet");
        for row in range.rows() {
            for value in row {
                let value = value.to_string();
                for debug in ["B2b", "B2c", "Video", "Physical", "ExistingCustomer", "{"] {
                    assert!(!value.contains(debug), "{debug} in {sheet}: {value}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_person_is_named_in_the_body_and_the_answers_are_documented() {
    let app = App::new().await;
    let (_, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    let access = &doc["paths"]["/api/data-owners/{id}/privacy/access"]["post"];
    assert!(access["requestBody"].is_object(), "{access}");
    let parameters = access["parameters"].to_string();
    for key in ["phone", "email", "external_id"] {
        assert!(
            !parameters.contains(&format!("\"{key}\"")),
            "`{key}` must not be a URL parameter: it would land in access logs"
        );
    }
    let content = &access["responses"]["200"]["content"];
    assert!(content["application/json"].is_object(), "{content}");
    assert!(
        content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"].is_object(),
        "{content}"
    );
    assert!(doc["paths"]["/api/data-owners/{id}/privacy/log"]["get"].is_object());
}

#[tokio::test]
async fn a_person_is_erased_once_the_reports_reading_as_before() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    a_sale_to_the_first_customer(&app, &t.seller).await;
    let first = &app.world.customers[0];
    let reports = [
        format!("/api/assignments/{}/reports/status", app.assignment()),
        format!(
            "/api/assignments/{}/reports/outcomes?from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z",
            app.assignment()
        ),
        format!(
            "/api/assignments/{}/reports/sales?from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z",
            app.assignment()
        ),
    ];
    let mut before = Vec::new();
    for uri in &reports {
        let (status, body) = app.call(Method::GET, uri, Some(&t.admin), None).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        before.push(body);
    }
    let erasure = format!(
        "/api/data-owners/{}/privacy/erasure",
        app.world.data_owner.id()
    );
    let (status, _) = app
        .call(
            Method::POST,
            &erasure,
            Some(&t.seller),
            Some(json!({ "external_id": "ext-00000" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, erased) = app
        .call(
            Method::POST,
            &erasure,
            Some(&t.manager),
            Some(json!({ "external_id": "ext-00000" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["customers"], json!([first.id().to_string()]));
    assert_eq!(erased["events"], 1);
    for (uri, before) in reports.iter().zip(&before) {
        let (_, after) = app.call(Method::GET, uri, Some(&t.admin), None).await;
        assert_eq!(&after, before, "{uri} reads as before");
    }
    let (status, record) = app
        .call(
            Method::GET,
            &format!("/api/customers/{}", first.id()),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["name"], "[erased]");
    assert_eq!(record["phones"], json!([]));
    assert_eq!(record["external_id"], Value::Null);
    let (_, nothing) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.manager),
            Some(json!({ "phone": "+4790000000" })),
        )
        .await;
    assert_eq!(nothing["customers"], json!([]), "{nothing}");

    // Once: the person is not there to erase again.
    let (status, problem) = app
        .call(
            Method::POST,
            &erasure,
            Some(&t.manager),
            Some(json!({ "external_id": "ext-00000" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("nothing was erased")),
        "{problem}"
    );
    let (_, log) = app
        .call(Method::GET, &log_uri(&app), Some(&t.admin), None)
        .await;
    let rights: Vec<&str> = log
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["right"].as_str())
        .collect();
    assert_eq!(rights, ["erasure", "access"], "{log}");
    assert!(!log.to_string().contains("ext-00000"));
}

#[tokio::test]
async fn an_access_export_lists_the_calls_to_the_person_and_an_erasure_takes_their_number_out() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let seller_id = app.world.sellers[0].id;
    for (path, body) in [
        (
            "/api/organisation/caller-ids".to_owned(),
            json!({ "caller_ids": ["+4790000001"] }),
        ),
        (
            format!("/api/users/{seller_id}/phone"),
            json!({ "phone": "+4790000001" }),
        ),
    ] {
        let (status, answer) = app
            .call(Method::PUT, &path, Some(&t.admin), Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    // The seller takes the first customer and calls them (a tel: link: no PBX here).
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
    let (status, started) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/call"),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");

    let (status, data) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.manager),
            Some(json!({ "phone": "+4790000000" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    let calls = &data["customers"][0]["calls"];
    assert_eq!(calls.as_array().map(Vec::len), Some(1), "{data}");
    let call = &calls[0];
    assert_eq!(call["call"]["id"], started["call"]["id"]);
    assert_eq!(call["call"]["caller_id"], "+4790000001");
    assert_eq!(call["call"]["to"], "+4790000000");
    assert_eq!(call["call"]["status"], "dialled");
    assert_eq!(
        call["seller_name"],
        json!(app.world.sellers[0].name.to_string())
    );

    // The workbook has a sheet of them.
    let (status, bytes) = workbook(&app, &t.manager, json!({ "phone": "+4790000000" })).await;
    assert_eq!(status, StatusCode::OK);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let sheet = book.worksheet_range("Samtaler").expect("the calls");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "a header and the call");
    let column = |header: &str| {
        rows[0]
            .iter()
            .position(|h| *h == header)
            .unwrap_or_else(|| panic!("a `{header}` column"))
    };
    assert_eq!(
        rows[1][column("seller")].to_string(),
        app.world.sellers[0].name.to_string()
    );
    assert_eq!(rows[1][column("caller_id")].to_string(), "+4790000001");
    assert_eq!(rows[1][column("status")].to_string(), "dialled");
    assert!(matches!(rows[1][column("started_at")], Data::DateTime(_)));

    // Erased: the call is kept for the reports, without the person's number.
    let (status, erased) = app
        .call(
            Method::POST,
            &format!(
                "/api/data-owners/{}/privacy/erasure",
                app.world.data_owner.id()
            ),
            Some(&t.manager),
            Some(json!({ "phone": "+4790000000" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    let (status, kept) = app
        .call(
            Method::GET,
            &format!("/api/enrollments/{enrollment}/calls"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept[0]["id"], started["call"]["id"], "{kept}");
    assert_eq!(kept[0]["to"], Value::Null, "{kept}");
    assert!(!kept.to_string().contains("+4790000000"), "{kept}");
}

/// The inbound SMS callback with the provider's secret: a text from `from`.
async fn inbound(app: &App, secret: &str, id: &str, from: &str, text: &str) -> Value {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/sms/inbound")
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Cube-Sms-Secret", secret)
        .body(Body::from(
            json!({ "id": id, "from": from, "text": text }).to_string(),
        ))
        .expect("a request");
    let (status, _, reply) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    reply
}

/// The outside test's case over HTTP. Acme texted its customer (the outbox keeps the SMS;
/// arranged in the store, as the card's SMS would leave it) and the customer texted back
/// through the provider's callback, matching no flow. An admin of another organisation then
/// creates a customer with the same number: her access export does not show the text and
/// her erasure does not remove it. Acme's export — JSON and workbook — lists it, and Acme's
/// erasure deletes it.
#[tokio::test]
async fn a_text_no_flow_matched_is_the_data_of_the_data_owner_that_texted_the_number_only() {
    use cube_domain::ids::OutboxMessageId;
    use cube_domain::ports::{OutboxMessage, OutboxPayload, SmsMessage};
    use cube_domain::values::PhoneNumber;
    const SECRET: &str = "s3cret-for-the-sms-provider";
    let app = App::configured(|state| {
        state.sms_inbound_secret = Some(std::sync::Arc::from(SECRET));
    })
    .await;
    let t = Tokens::of(&app).await;
    // Acme's eleventh customer: a number the other organisation does not hold yet.
    let number = app.world.customers[10].details().phones[0].to_string();
    let mut uow = app.store.begin().await.expect("begin");
    uow.enqueue(&OutboxMessage {
        id: OutboxMessageId::from_uuid(uuid::Uuid::now_v7()),
        assignment: app.world.assignment.id(),
        enrollment: Some(app.world.enrollments[10].id()),
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Acme".into(),
            to: PhoneNumber::parse(&number).expect("valid"),
            body: "Hei! Vi prøvde å nå deg.".into(),
        }),
        created_at: cube_testkit::fixtures::T0 - time::Duration::minutes(5),
    })
    .await
    .expect("queued");
    uow.commit().await.expect("committed");
    let reply = inbound(&app, SECRET, "SM-1", &number, "Hvem ringte meg?").await;
    assert_eq!(reply["fate"], "unknown_number", "{reply}");

    // Organisation B types the number into a card of its own.
    let other_owner = app.other.data_owner.id();
    let (status, created) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{other_owner}/customers"),
            Some(&t.other_admin),
            Some(json!({ "dataset": "b2b", "name": "Kari Nordmann", "phones": [number] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, data) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{other_owner}/privacy/access"),
            Some(&t.other_admin),
            Some(json!({ "phone": number })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    assert_eq!(
        data["customers"].as_array().map(Vec::len),
        Some(1),
        "{data}"
    );
    assert_eq!(data["customers"][0]["unmatched_texts"], json!([]), "{data}");
    assert!(!data.to_string().contains("Hvem ringte"), "{data}");
    let (status, erased) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{other_owner}/privacy/erasure"),
            Some(&t.other_admin),
            Some(json!({ "phone": number })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["unmatched_texts"], 0, "{erased}");
    let mut read = app.store.begin_read().await.expect("read");
    assert!(
        read.sms_reply_by_provider_id("SM-1")
            .await
            .expect("read")
            .is_some(),
        "B's erasure does not reach Acme's text"
    );
    drop(read);

    let (status, data) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.manager),
            Some(json!({ "phone": number })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    let texts = &data["customers"][0]["unmatched_texts"];
    assert_eq!(texts.as_array().map(Vec::len), Some(1), "{data}");
    assert_eq!(texts[0]["text"], "Hvem ringte meg?");
    assert_eq!(texts[0]["from"], number.as_str());
    assert_eq!(texts[0]["fate"], "unknown_number");
    assert_eq!(texts[0]["assignment"], Value::Null);

    let (status, bytes) = workbook(&app, &t.manager, json!({ "phone": number })).await;
    assert_eq!(status, StatusCode::OK);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("an xlsx");
    let sheet = book.worksheet_range("SMS-svar").expect("the texts");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len(), 2, "a header and the text");
    let column = |header: &str| {
        rows[0]
            .iter()
            .position(|h| *h == header)
            .unwrap_or_else(|| panic!("a `{header}` column"))
    };
    assert_eq!(rows[1][column("text")].to_string(), "Hvem ringte meg?");
    assert_eq!(rows[1][column("answered")].to_string(), "nothing");
    assert_eq!(
        rows[1][column("fate")].to_string(),
        "unknown_number",
        "the JSON's word, not the Rust name"
    );
    assert_eq!(rows[1][column("reason")].to_string(), "");
    assert_eq!(
        rows[1][column("customer_id")].to_string(),
        app.world.customers[10].id().to_string()
    );

    let (status, erased) = app
        .call(
            Method::POST,
            &format!(
                "/api/data-owners/{}/privacy/erasure",
                app.world.data_owner.id()
            ),
            Some(&t.manager),
            Some(json!({ "phone": number })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["unmatched_texts"], 1, "{erased}");
    let mut read = app.store.begin_read().await.expect("read");
    assert_eq!(
        read.sms_reply_by_provider_id("SM-1").await.expect("read"),
        None,
        "the text and its number are gone"
    );
}

/// A text from a number nobody had texted or called is no one's: the data owner holding a
/// customer with the number does not hand it out.
#[tokio::test]
async fn a_text_from_a_number_nobody_contacted_is_in_no_export() {
    const SECRET: &str = "s3cret-for-the-sms-provider";
    let app = App::configured(|state| {
        state.sms_inbound_secret = Some(std::sync::Arc::from(SECRET));
    })
    .await;
    let t = Tokens::of(&app).await;
    let reply = inbound(&app, SECRET, "SM-1", "+4790000000", "Hvem er dette?").await;
    assert_eq!(reply["fate"], "unknown_number", "{reply}");
    let (status, data) = app
        .call(
            Method::POST,
            &access_uri(&app),
            Some(&t.manager),
            Some(json!({ "phone": "+4790000000" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    assert_eq!(data["customers"][0]["unmatched_texts"], json!([]), "{data}");
}
