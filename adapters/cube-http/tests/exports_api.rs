//! The report exports built on the shared table writers, read back as files: the open offers,
//! the meetings, the customer status as a workbook, and a bulk selection. Each file is read
//! with `cube_sheets::read` (calamine for the workbook), so the tests see the cells as a
//! spreadsheet does: typed cells under a header row, local date-times, money as numbers,
//! Norwegian letters intact, formulas defused in CSV and plain text in the workbook. Each
//! export is open to exactly the readers of the report it exports.

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use common::{App, Tokens, is_problem, sellers_meeting};
use cube_sheets::read::{Cell, CsvOptions, Format, Limits, Sheet, read};
use cube_testkit::fixtures::SalesFlow;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use time::macros::datetime;
use tower::ServiceExt;

const WINDOW: &str = "from=2025-03-01&to=2025-04-01";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The one sheet of a downloaded file, read as a spreadsheet reads it.
fn sheet_of(bytes: &[u8], format: Format) -> Sheet {
    let book = read("export", bytes, CsvOptions::default(), &Limits::default())
        .expect("the file reads back");
    assert_eq!(book.format, format);
    assert_eq!(book.sheets.len(), 1, "one sheet");
    book.sheets.into_iter().next().expect("a sheet")
}

/// The header row's texts.
fn header_of(sheet: &Sheet) -> Vec<String> {
    sheet.rows[0].cells.iter().map(Cell::text).collect()
}

/// The cell of `row` (0: the header) in the column headed `name`.
fn cell<'a>(sheet: &'a Sheet, row: usize, name: &str) -> &'a Cell {
    let column = header_of(sheet)
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column `{name}`"));
    sheet.rows[row].cells.get(column).unwrap_or(&Cell::Empty)
}

/// Checks a successful download: its content type and a file name ending in `extension`.
fn assert_file(status: StatusCode, headers: &HeaderMap, bytes: &[u8], extension: &str) {
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(bytes));
    let disposition = headers[header::CONTENT_DISPOSITION]
        .to_str()
        .expect("a disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"")
            && disposition.ends_with(&format!(".{extension}\"")),
        "{disposition}"
    );
    let content_type = headers[header::CONTENT_TYPE].to_str().expect("a type");
    match extension {
        "xlsx" => assert_eq!(content_type, XLSX),
        _ => assert!(content_type.starts_with("text/csv"), "{content_type}"),
    }
}

/// A refusal: `status`, as problem+json.
fn assert_problem(status: StatusCode, headers: &HeaderMap, bytes: &[u8], expected: StatusCode) {
    assert_eq!(status, expected, "{}", String::from_utf8_lossy(bytes));
    assert!(is_problem(headers), "{headers:?}");
}

/// Registers `outcome` (with `extra` merged into the body) on the next customer the seller
/// gets; returns the customer's id.
async fn register_next(app: &App, token: &str, outcome: impl ToString, extra: Value) -> String {
    let (status, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    let enrollment = item["enrollment"]["id"].as_str().expect("an id");
    let mut body = json!({ "outcome": outcome.to_string() });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, registered) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    item["customer"]["id"]
        .as_str()
        .expect("a customer")
        .to_owned()
}

/// Renames customer `id` (as the admin), keeping its phone.
async fn rename(app: &App, admin: &str, id: &str, name: &str, extra: Value) {
    let uri = format!("/api/customers/{id}");
    let (status, mut customer) = app.call(Method::GET, &uri, Some(admin), None).await;
    assert_eq!(status, StatusCode::OK, "{customer}");
    customer["name"] = json!(name);
    if let (Some(body), Some(extra)) = (customer.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let body = json!({
        "name": customer["name"],
        "phones": customer["phones"],
        "address": customer["address"],
        "fields": customer["fields"],
    });
    let (status, answer) = app.call(Method::PUT, &uri, Some(admin), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

/// POSTs `body` with `token` and answers the raw bytes (a file), with status and headers.
async fn post_download(
    app: &App,
    uri: &str,
    token: &str,
    body: Value,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a valid request");
    let response = app
        .router
        .clone()
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("the body is read")
        .to_bytes();
    (status, headers, bytes.to_vec())
}

/// The sales report's open offers as a file: a row per offered product line (an offer of two
/// products is two rows, a sale is none), the price as offered and the value typed as
/// numbers, since when as a local date-time, the customer's and products' Norwegian letters
/// intact; the same rows in CSV with `;`. The client reads it (the sales report is theirs), a
/// seller may not.
#[tokio::test]
async fn the_open_offers_download_a_row_per_offered_line() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let [first, second] = [0, 1].map(|i| app.world.products[i].id().to_string());
    let offered = register_next(
        &app,
        &t.seller,
        SalesFlow::O_OFFER,
        json!({ "products": [{ "product": first, "quantity": 1 }, { "product": second, "quantity": 2 }] }),
    )
    .await;
    rename(&app, &t.admin, &offered, "Ødegård & Sønn AS", json!({})).await;
    register_next(
        &app,
        &t.seller,
        SalesFlow::O_SALE,
        json!({ "products": [{ "product": first, "quantity": 4 }] }),
    )
    .await;
    let other = app.login(&app.world.sellers[1].email.to_string()).await;
    register_next(
        &app,
        &other,
        SalesFlow::O_OFFER,
        json!({ "products": [{ "product": second, "quantity": 5 }] }),
    )
    .await;

    let uri = format!(
        "/api/assignments/{}/reports/sales/open-offers/export",
        app.assignment()
    );
    let (status, headers, bytes) = app.download(&uri, &t.client).await;
    assert_file(status, &headers, &bytes, "xlsx");
    let sheet = sheet_of(&bytes, Format::Xlsx);
    assert_eq!(sheet.name, "Åpne tilbud");
    assert_eq!(
        header_of(&sheet),
        [
            "since",
            "customer",
            "customer_id",
            "seller",
            "product",
            "quantity",
            "unit_price",
            "value",
            "currency",
            "offer"
        ]
    );
    assert_eq!(
        sheet.rows.len(),
        4,
        "a header, two lines of one offer, one of the other; no sale"
    );
    let products = &app.world.products;
    assert_eq!(
        cell(&sheet, 1, "customer"),
        &Cell::Text("Ødegård & Sønn AS".into())
    );
    assert_eq!(cell(&sheet, 1, "customer_id"), &Cell::Text(offered.clone()));
    assert_eq!(
        cell(&sheet, 1, "seller"),
        &Cell::Text(app.world.sellers[0].name.to_string())
    );
    assert_eq!(
        cell(&sheet, 1, "since"),
        &Cell::DateTime(datetime!(2025-03-03 09:00)),
        "T0 (08:00 UTC) on Oslo's clock"
    );
    assert_eq!(
        cell(&sheet, 1, "product"),
        &Cell::Text(products[0].name().to_string())
    );
    assert_eq!(cell(&sheet, 2, "product"), &Cell::Text("Strøm Spot".into()));
    assert_eq!(
        [1, 2, 3].map(|r| (
            cell(&sheet, r, "quantity").clone(),
            cell(&sheet, r, "unit_price").clone(),
            cell(&sheet, r, "value").clone()
        )),
        [
            (Cell::Number(1.0), Cell::Number(499.0), Cell::Number(499.0)),
            (Cell::Number(2.0), Cell::Number(299.5), Cell::Number(599.0)),
            (Cell::Number(5.0), Cell::Number(299.5), Cell::Number(1497.5)),
        ]
    );
    assert_eq!(cell(&sheet, 3, "currency"), &Cell::Text("NOK".into()));
    assert_eq!(
        cell(&sheet, 1, "offer"),
        cell(&sheet, 2, "offer"),
        "the lines of one offer name it"
    );
    assert_ne!(cell(&sheet, 1, "offer"), cell(&sheet, 3, "offer"));

    let (status, headers, csv) = app
        .download(&format!("{uri}?format=csv&separator=semicolon"), &t.client)
        .await;
    assert_file(status, &headers, &csv, "csv");
    assert!(csv.starts_with("\u{feff}".as_bytes()), "a byte-order mark");
    let text = String::from_utf8(csv.clone()).expect("UTF-8");
    assert!(
        text.contains("\"Ødegård & Sønn AS\";"),
        "Norwegian letters as they are: {text}"
    );
    let rows = sheet_of(&csv, Format::Csv);
    assert_eq!(rows.rows.len(), 4);
    assert_eq!(cell(&rows, 2, "value"), &Cell::Text("599.00".into()));
    assert_eq!(
        cell(&rows, 1, "since"),
        &Cell::Text("2025-03-03 09:00:00".into())
    );

    let (status, headers, bytes) = app.download(&uri, &t.seller).await;
    assert_problem(status, &headers, &bytes, StatusCode::FORBIDDEN);
    let (status, headers, bytes) = app.download(&format!("{uri}?format=pdf"), &t.client).await;
    assert_problem(status, &headers, &bytes, StatusCode::BAD_REQUEST);
}

/// The meetings report as a file: start and end are date-times on the organisation's clock —
/// Oslo's, then Honolulu's once the admin moves it —, the calendar, customer and booker
/// named; the search narrows it as the report's; the client may not read it.
#[tokio::test]
async fn the_meetings_download_with_times_on_the_organisations_clock() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    sellers_meeting(&app).await;
    let uri = format!(
        "/api/assignments/{}/reports/meetings/export?{WINDOW}",
        app.assignment()
    );
    let (status, headers, bytes) = app.download(&uri, &t.manager).await;
    assert_file(status, &headers, &bytes, "xlsx");
    let sheet = sheet_of(&bytes, Format::Xlsx);
    assert_eq!(sheet.name, "Møter");
    assert_eq!(
        header_of(&sheet),
        [
            "start",
            "end",
            "calendar",
            "customer",
            "customer_id",
            "booked_by",
            "kind",
            "place"
        ]
    );
    assert_eq!(sheet.rows.len(), 2, "a header and the meeting");
    // Booked at T0 + 2 days (08:00 UTC), 45 minutes: 09:00 to 09:45 in Oslo.
    assert_eq!(
        cell(&sheet, 1, "start"),
        &Cell::DateTime(datetime!(2025-03-05 09:00))
    );
    assert_eq!(
        cell(&sheet, 1, "end"),
        &Cell::DateTime(datetime!(2025-03-05 09:45))
    );
    assert_eq!(
        cell(&sheet, 1, "calendar"),
        &Cell::Text("Salgsmøter".into())
    );
    let met = app.world.enrollments[0].customer();
    let customer = app
        .world
        .customers
        .iter()
        .find(|c| c.id() == met)
        .expect("the world's customer");
    assert_eq!(cell(&sheet, 1, "customer_id"), &Cell::Text(met.to_string()));
    assert_eq!(
        cell(&sheet, 1, "customer"),
        &Cell::Text(customer.details().name.to_string())
    );
    assert_eq!(
        cell(&sheet, 1, "booked_by"),
        &Cell::Text(app.world.sellers[0].name.to_string())
    );
    assert_eq!(cell(&sheet, 1, "kind"), &Cell::Text("physical".into()));
    assert_eq!(cell(&sheet, 1, "place"), &Cell::Text("Storgata 1".into()));

    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/organisation",
            Some(&t.admin),
            Some(json!({ "time_zone": "Pacific/Honolulu" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, csv) = app
        .download(&format!("{uri}&format=csv&separator=semicolon"), &t.manager)
        .await;
    assert_file(status, &headers, &csv, "csv");
    let rows = sheet_of(&csv, Format::Csv);
    assert_eq!(
        cell(&rows, 1, "start"),
        &Cell::Text("2025-03-04 22:00:00".into()),
        "08:00 UTC is 22:00 the day before in Honolulu"
    );

    let (_, _, none) = app
        .download(&format!("{uri}&format=csv&q=Kirkegata"), &t.manager)
        .await;
    assert_eq!(
        sheet_of(&none, Format::Csv).rows.len(),
        1,
        "only the header"
    );
    let long = "x".repeat(201);
    let (status, headers, bytes) = app.download(&format!("{uri}&q={long}"), &t.manager).await;
    assert_problem(status, &headers, &bytes, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, bytes) = app.download(&uri, &t.client).await;
    assert_problem(status, &headers, &bytes, StatusCode::FORBIDDEN);
}

/// The customer-status download as a workbook: the CSV's columns, attempts and number fields
/// as numbers, a formula typed into a customer's address a plain text cell (and defused in
/// the CSV); CSV stays the default.
#[tokio::test]
async fn the_status_download_as_a_workbook_types_its_cells() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let customer = app.world.customers[0].id().to_string();
    rename(
        &app,
        &t.admin,
        &customer,
        "Bjørnstjerne Ærø AS",
        json!({ "address": "=HYPERLINK(\"http://evil.example\")" }),
    )
    .await;
    register_next(&app, &t.seller, SalesFlow::O_NO_ANSWER, json!({})).await;
    let uri = format!(
        "/api/assignments/{}/reports/status/export",
        app.assignment()
    );

    let (status, headers, csv) = app.download(&uri, &t.client).await;
    assert_file(status, &headers, &csv, "csv");
    let text = String::from_utf8(csv).expect("UTF-8");
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "defused in CSV: {text}"
    );

    let (status, headers, bytes) = app.download(&format!("{uri}?format=xlsx"), &t.client).await;
    assert_file(status, &headers, &bytes, "xlsx");
    let sheet = sheet_of(&bytes, Format::Xlsx);
    assert_eq!(sheet.name, "Kunder");
    let csv_sheet = sheet_of(text.as_bytes(), Format::Csv);
    assert_eq!(
        header_of(&sheet),
        header_of(&csv_sheet),
        "the CSV's columns"
    );
    assert_eq!(sheet.rows.len(), csv_sheet.rows.len(), "the CSV's rows");
    assert_eq!(
        sheet.rows.len(),
        21,
        "a header and the world's 20 customers"
    );
    assert_eq!(
        cell(&sheet, 1, "name"),
        &Cell::Text("Bjørnstjerne Ærø AS".into())
    );
    assert_eq!(
        cell(&sheet, 1, "address"),
        &Cell::Text("=HYPERLINK(\"http://evil.example\")".into()),
        "text in a workbook is text, never a formula"
    );
    assert_eq!(
        cell(&sheet, 1, "attempts"),
        &Cell::Number(1.0),
        "the No answer"
    );
    assert_eq!(cell(&sheet, 2, "attempts"), &Cell::Number(0.0));
    // Customer 1 has (1 × 37) mod 500 + 1 employees.
    assert_eq!(cell(&sheet, 2, "employees"), &Cell::Number(38.0));
    assert_eq!(cell(&csv_sheet, 2, "employees"), &Cell::Text("38".into()));
    assert_eq!(cell(&sheet, 1, "state"), &Cell::Text("To Call".into()));

    let (status, headers, bytes) = app.download(&format!("{uri}?format=xlsx"), &t.seller).await;
    assert_problem(status, &headers, &bytes, StatusCode::FORBIDDEN);
    let (status, headers, bytes) = app.download(&format!("{uri}?format=ods"), &t.client).await;
    assert_problem(status, &headers, &bytes, StatusCode::BAD_REQUEST);
}

/// A bulk selection as a file (seed 001's "Kontroller"): exactly the customers the preview
/// selects, in its order, with the status download's columns; as CSV with `;` when asked; a
/// bad selection or format is a 422 problem; the client may not (bulk work is not theirs).
#[tokio::test]
async fn a_selection_downloads_with_the_status_columns() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let assignment = app.assignment();
    let selection = json!({
        "fields": [{ "key": "industry", "values": [{ "type": "choice", "value": "Energy" }] }],
    });
    let (status, preview) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{assignment}/selection"),
            Some(&t.manager),
            Some(json!({ "selection": selection, "limit": 1000 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let chosen: Vec<String> = preview["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().expect("a name").to_owned())
        .collect();
    assert!(
        !chosen.is_empty() && chosen.len() < 20,
        "some customers, not all: {preview}"
    );

    let uri = format!("/api/assignments/{assignment}/selection/export");
    let (status, headers, bytes) =
        post_download(&app, &uri, &t.manager, json!({ "selection": selection })).await;
    assert_file(status, &headers, &bytes, "xlsx");
    let sheet = sheet_of(&bytes, Format::Xlsx);
    assert_eq!(sheet.name, "Utvalg");
    let uri_status = format!("/api/assignments/{assignment}/reports/status/export");
    let (_, _, status_csv) = app.download(&uri_status, &t.manager).await;
    assert_eq!(
        header_of(&sheet),
        header_of(&sheet_of(&status_csv, Format::Csv)),
        "the status download's columns"
    );
    let names: Vec<String> = (1..sheet.rows.len())
        .map(|r| cell(&sheet, r, "name").text())
        .collect();
    assert_eq!(names, chosen, "the preview's customers, in its order");
    assert!(
        (1..sheet.rows.len()).all(|r| cell(&sheet, r, "industry") == &Cell::Text("Energy".into()))
    );

    let (status, headers, csv) = post_download(
        &app,
        &uri,
        &t.admin,
        json!({ "selection": selection, "format": "csv", "separator": "semicolon" }),
    )
    .await;
    assert_file(status, &headers, &csv, "csv");
    let text = String::from_utf8(csv.clone()).expect("UTF-8");
    assert!(
        text.starts_with("\u{feff}\"external_id\";\"name\";"),
        "{text}"
    );
    assert_eq!(sheet_of(&csv, Format::Csv).rows.len(), chosen.len() + 1);

    for body in [
        json!({ "selection": { "fields": [{ "key": "no_such_field", "values": [] }] } }),
        json!({ "selection": selection, "format": "pdf" }),
        json!({ "selection": selection, "sheet": "x" }),
    ] {
        let (status, headers, bytes) = post_download(&app, &uri, &t.manager, body.clone()).await;
        assert_problem(status, &headers, &bytes, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, headers, bytes) =
        post_download(&app, &uri, &t.client, json!({ "selection": selection })).await;
    assert_problem(status, &headers, &bytes, StatusCode::FORBIDDEN);
}

/// Every export the document lists (a path ending in `/export`) writes both files: its 200
/// offers the workbook and CSV, it takes a `format` (a query parameter, or a field of its
/// body) and `separator`, and a bad one is a documented problem. A new export that writes
/// only one kind fails here.
#[tokio::test]
async fn every_export_offers_a_workbook_and_csv() {
    let app = App::new().await;
    let (status, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut exports = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        if !path.ends_with("/export") {
            continue;
        }
        for (method, operation) in operations.as_object().expect("operations") {
            let name = format!("{method} {path}");
            let files = &operation["responses"]["200"]["content"];
            assert!(
                files.get(XLSX).is_some() && files.get("text/csv").is_some(),
                "{name} must offer both files: {files}"
            );
            let query: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            let body_fields: Vec<String> = match body["$ref"].as_str() {
                Some(reference) => {
                    let schema = reference.trim_start_matches("#/components/schemas/");
                    doc["components"]["schemas"][schema]["properties"]
                        .as_object()
                        .map(|p| p.keys().cloned().collect())
                        .unwrap_or_default()
                }
                None => Vec::new(),
            };
            for parameter in ["format", "separator"] {
                assert!(
                    query.contains(&parameter) || body_fields.iter().any(|f| f == parameter),
                    "{name} takes no `{parameter}`"
                );
            }
            let refused = ["400", "422"].iter().any(|s| {
                operation["responses"][s]["content"]["application/problem+json"].is_object()
            });
            assert!(refused, "{name} documents no problem for a bad parameter");
            exports.push(name);
        }
    }
    assert!(
        exports.len() >= 6,
        "the outcomes, sold products, open offers, meetings, status and selection: {exports:?}"
    );
    // The selection's body comes with an example a client can send as it is.
    let example = &doc["paths"]["/api/assignments/{id}/selection/export"]["post"]["requestBody"]["content"]
        ["application/json"]["example"];
    assert_eq!(example["format"], "csv", "{example}");
}
