//! Customer files over the API as an office sends them: the file as the body, the choices as
//! query parameters. Files written by LibreOffice and shaped as Norwegian Excel writes them
//! (`crates/cube-sheets/tests/files`): preview, import as a job, all or nothing, the rejected
//! rows by their sheet row numbers, a second import creating nothing new, broken files and
//! foreign callers refused with nothing written.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{App, Tokens, is_problem};
use serde_json::Value;
use std::path::PathBuf;

fn file(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/cube-sheets/tests/files")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn uri(app: &App, action: &str, query: &str) -> String {
    format!(
        "/api/data-owners/{}/customers/{action}?assignment={}&dataset=b2b{query}",
        app.world.data_owner.id(),
        app.assignment()
    )
}

/// POSTs `body` as the file, answered with status, `Location` and JSON.
async fn send(
    app: &App,
    token: &str,
    uri: &str,
    body: Vec<u8>,
) -> (StatusCode, Option<String>, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(body))
        .expect("a request");
    let (status, headers, body) = app.send(request).await;
    if !status.is_success() {
        assert!(is_problem(&headers), "{status}: {body}");
    }
    let location = headers
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    (status, location, body)
}

/// Polls a job until it ends.
async fn finished(app: &App, token: &str, location: &str) -> Value {
    for _ in 0..3_000 {
        let (status, job) = app.call(Method::GET, location, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the job did not finish");
}

async fn customer_count(app: &App, token: &str) -> usize {
    let uri = format!(
        "/api/data-owners/{}/customers?limit=500",
        app.world.data_owner.id()
    );
    let (status, page) = app.call(Method::GET, &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().map_or(0, Vec::len)
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_xlsx_is_previewed_then_imported_and_importing_it_again_creates_nothing() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let before = customer_count(&app, &t.manager).await;

    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", ""),
        file("customers.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["format"], "xlsx");
    assert_eq!(preview["sheet"], "customers");
    assert_eq!(preview["header_row"], 1);
    assert_eq!(preview["rows_in_file"], 6);
    assert_eq!(preview["rows_good"], 6, "{preview}");
    assert_eq!(preview["rejected"], Value::Array(vec![]));
    assert_eq!(preview["columns"][0]["header"], "Navn");
    assert_eq!(preview["columns"][0]["target"], "name");
    assert_eq!(preview["columns"][0]["samples"][0], "Bær & Sønn AS");
    assert_eq!(preview["columns"][2]["target"], "phone");
    // The world's data owner has no `bransje` field: the column is left out.
    assert_eq!(preview["columns"][9]["target"], Value::Null);
    assert_eq!(
        preview["columns_param"],
        "A=name,B=phone,C=phone,D=email,E=address,F=postal_code,G=city,H=registry_number,I=external_id"
    );
    // A number cell that lost its `00` gets its `+` back; a postal code its leading zero.
    assert_eq!(preview["first_rows"][2]["phones"][0], "+4791234569");
    assert_eq!(preview["first_rows"][0]["address"], "Storgata 1, 0150 Oslo");
    assert_eq!(
        customer_count(&app, &t.manager).await,
        before,
        "a preview writes nothing"
    );

    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", ""),
        file("customers.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let location = location.expect("a Location");
    let job = finished(&app, &t.manager, &location).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["report"]["created"], 6, "{job}");
    assert_eq!(job["report"]["enrolled"], 6, "{job}");
    let rows: Vec<u64> = job["report"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["row"].as_u64())
        .collect();
    assert_eq!(rows, [2, 3, 4, 5, 6, 7], "sheet row numbers");
    assert_eq!(customer_count(&app, &t.manager).await, before + 6);

    // The same customers as an .ods: matched by phone, nothing new.
    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&on_match=skip"),
        file("customers.ods"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished(&app, &t.manager, &location.expect("a Location")).await;
    assert_eq!(job["report"]["created"], 0, "{job}");
    assert_eq!(job["report"]["matched"], 6, "{job}");
    assert_eq!(customer_count(&app, &t.manager).await, before + 6);
}

#[tokio::test]
async fn bad_rows_stop_the_whole_file_unless_the_good_rows_are_wanted() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let before = customer_count(&app, &t.manager).await;

    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", ""),
        file("wrong-types.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let rejected: Vec<u64> = preview["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .filter_map(|r| r["row"].as_u64())
        .collect();
    assert_eq!(rejected, [3, 4, 6], "{preview}");
    assert!(
        preview["rejected"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("ring meg")
    );
    assert_eq!(preview["rows_good"], 3);

    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", ""),
        file("wrong-types.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let said = detail(&problem);
    assert!(
        said.contains("3 of 6 rows cannot be imported, so nothing was imported"),
        "{said}"
    );
    assert!(said.contains("row 3:") && said.contains("row 6:"), "{said}");
    assert!(said.contains("keep_good_rows=true"), "{said}");
    assert_eq!(
        customer_count(&app, &t.manager).await,
        before,
        "nothing written"
    );

    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&keep_good_rows=true"),
        file("wrong-types.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished(&app, &t.manager, &location.expect("a Location")).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["report"]["created"], 3, "{job}");
    assert_eq!(job["report"]["rejected"][2]["row"], 6, "{job}");
    assert_eq!(customer_count(&app, &t.manager).await, before + 3);

    // The rejected rows as a file the office opens in Excel.
    let report = format!(
        "/api/import-jobs/{}/rejected",
        job["id"].as_str().unwrap_or_default()
    );
    let (status, headers, bytes) = app.download(&report, &t.manager).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "\"row\";\"reason\"");
    assert!(
        lines[1].starts_with("\"3\";") && lines[1].contains("ring meg"),
        "{text}"
    );
    assert!(lines[3].starts_with("\"6\";"), "{text}");
    let (status, _, _) = app.download(&report, &t.seller).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "only its starter and the admins"
    );
}

#[tokio::test]
async fn a_norwegian_excel_csv_and_a_chosen_mapping() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    // Only the name and the mobile column: the other phone column left out.
    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(
            &app,
            "import-file/preview",
            "&columns=A%3Dname,C%3Dphone&file_name=kunder.csv",
        ),
        file("customers-semicolon-cp1252.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["format"], "csv");
    assert_eq!(preview["delimiter"], ";");
    assert_eq!(preview["encoding"], "windows-1252");
    assert_eq!(preview["sheet"], "kunder.csv");
    assert_eq!(preview["columns"][1]["target"], Value::Null);
    assert_eq!(preview["first_rows"][0]["name"], "Bær & Sønn AS");
    assert_eq!(preview["first_rows"][0]["phones"][0], "+4798765432");
    assert_eq!(preview["first_rows"][3]["name"], "\"Kvalitet\" Bygg AS");
    assert_eq!(preview["first_rows"][5]["phones"][0], "+4798765433");
    // Rows 3 and 5 have no mobile, and their e-mail column is not mapped: no way to reach them.
    assert_eq!(preview["rows_good"], 4, "{preview}");
    let rejected: Vec<u64> = preview["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .filter_map(|r| r["row"].as_u64())
        .collect();
    assert_eq!(rejected, [3, 5], "{preview}");
    assert!(
        preview["rejected"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("at least one phone number or an e-mail address"),
        "{preview}"
    );
}

#[tokio::test]
async fn broken_files_and_bad_choices_are_clear_refusals() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let before = customer_count(&app, &t.manager).await;
    let cases: [(&str, &str, &str); 6] = [
        ("bomb.xlsx", "", "zip bomb"),
        ("truncated.xlsx", "", "cut short"),
        ("not-a-sheet.xlsx", "", "neither a spreadsheet"),
        (
            "customers.xlsx",
            "&columns=A%3Dnavn",
            "`navn` is not a field to import into",
        ),
        (
            "customers.xlsx",
            "&columns=B%3Dphone",
            "no column is mapped to the name",
        ),
        ("customers.xlsx", "&sheet=Ark1", "no sheet named \"Ark1\""),
    ];
    for (name, query, expected) in cases {
        for action in ["import-file/preview", "import-file"] {
            let (status, _, problem) =
                send(&app, &t.manager, &uri(&app, action, query), file(name)).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name} {query}: {problem}"
            );
            assert!(
                detail(&problem).contains(expected),
                "{name} {query}: {problem}"
            );
        }
    }
    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&delimiter=%7C"),
        file("customers.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("`delimiter`"), "{problem}");
    let (status, _, problem) =
        send(&app, &t.manager, &uri(&app, "import-file", ""), Vec::new()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("the file is empty"), "{problem}");
    assert_eq!(
        customer_count(&app, &t.manager).await,
        before,
        "nothing written"
    );
}

#[tokio::test]
async fn only_those_managing_the_data_owner_may_send_a_file() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    for token in [&t.seller, &t.client, &t.other_admin, &t.other_manager] {
        for action in ["import-file/preview", "import-file"] {
            let (status, _, problem) =
                send(&app, token, &uri(&app, action, ""), file("customers.csv")).await;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{status}: {problem}"
            );
        }
    }
    // Another organisation's assignment through this data owner's URL.
    let foreign = format!(
        "/api/data-owners/{}/customers/import-file?assignment={}&dataset=b2b",
        app.world.data_owner.id(),
        app.other.assignment.id()
    );
    let (status, _, problem) = send(&app, &t.manager, &foreign, file("customers.csv")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
}

/// The customer fields an export and an import both carry, per customer.
async fn customers(app: &App, token: &str) -> Vec<Value> {
    let uri = format!(
        "/api/data-owners/{}/customers?limit=500",
        app.world.data_owner.id()
    );
    let (status, page) = app.call(Method::GET, &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut rows: Vec<Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c["id"], "name": c["name"], "phones": c["phones"], "email": c["email"],
                "address": c["address"], "registry_number": c["registry_number"],
                "external_id": c["external_id"], "fields": c["fields"],
            })
        })
        .collect();
    rows.sort_by_key(|c| c["id"].as_str().unwrap_or_default().to_owned());
    rows
}

/// Round trip: the customer-status download (both separators) imported again changes no
/// customer and creates none, æøå and several phone numbers included.
#[tokio::test]
async fn the_customer_download_imports_back_to_the_same_customers() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let first = app.world.enrollments[0].customer();
    let (status, changed) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{first}"),
            Some(&t.manager),
            Some(serde_json::json!({
                "name": "Ærlige Åse Ølberg AS",
                "phones": ["+4791234321", "+4798765432"],
                "email": "ase@olberg.no",
                "address": "Ørneveien 5, 0150 Oslo",
                "registry_number": "987654325",
                "external_id": "K-ÆØÅ-1",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let before = customers(&app, &t.manager).await;
    assert!(before.len() >= 20, "{}", before.len());

    for separator in ["semicolon", "comma"] {
        let export = format!(
            "/api/assignments/{}/reports/status/export?separator={separator}",
            app.assignment()
        );
        let (status, _, file) = app.download(&export, &t.manager).await;
        assert_eq!(status, StatusCode::OK);

        let (status, _, preview) = send(
            &app,
            &t.manager,
            &uri(&app, "import-file/preview", "&file_name=customers.csv"),
            file.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["rejected"], Value::Array(vec![]), "{preview}");
        let mapped: Vec<(String, Value)> = preview["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|c| {
                (
                    c["header"].as_str().unwrap_or_default().to_owned(),
                    c["target"].clone(),
                )
            })
            .collect();
        for (header, target) in [
            ("external_id", "external_id"),
            ("name", "name"),
            ("phones", "phone"),
            ("email", "email"),
            ("address", "address"),
            ("registry_number", "registry_number"),
        ] {
            assert!(
                mapped.contains(&(header.to_owned(), Value::from(target))),
                "{header} → {target}: {mapped:?}"
            );
        }

        let (status, location, job) = send(
            &app,
            &t.manager,
            &uri(&app, "import-file", "&file_name=customers.csv"),
            file,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        let job = finished(&app, &t.manager, &location.expect("a Location")).await;
        assert_eq!(job["report"]["created"], 0, "{separator}: {job}");
        assert_eq!(job["report"]["matched"], before.len(), "{separator}: {job}");
        assert_eq!(
            customers(&app, &t.manager).await,
            before,
            "{separator}: unchanged"
        );
    }
}

/// What the outside test found: a form instead of the file, a file over the limit and a
/// column mapped twice are each a problem document saying what to do.
#[tokio::test]
async fn a_form_a_file_too_large_and_a_column_mapped_twice_are_clear_refusals() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri(&app, "import-file/preview", ""))
        .header(header::AUTHORIZATION, format!("Bearer {}", t.manager))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from(
            "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nNavn\r\n--x--\r\n",
        ))
        .expect("a request");
    let (status, headers, problem) = app.send(request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
    assert!(is_problem(&headers));
    assert!(detail(&problem).contains("--data-binary"), "{problem}");

    // The limit is the operator's (here 1 MiB): over it, the answer says the limit and
    // how to raise it, both with a declared length and with a body that only grows past it.
    let app_limited = App::configured(|state| state.file_imports.upload_limit = 1024 * 1024).await;
    let t_limited = Tokens::of(&app_limited).await;
    let too_large = vec![b'a'; 1024 * 1024 + 1];
    for action in ["import-file/preview", "import-file"] {
        let (status, _, problem) = send(
            &app_limited,
            &t_limited.manager,
            &uri(&app_limited, action, ""),
            too_large.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
        let said = detail(&problem);
        assert!(said.contains("larger than 1 MiB"), "{said}");
        assert!(said.contains("--import-upload-limit-mb"), "{said}");
        assert!(said.contains("CUBE_IMPORT_UPLOAD_LIMIT_MB"), "{said}");
    }
    let chunks = futures::stream::iter(
        (0..20).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'a'; 64 * 1024]))),
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri(&app_limited, "import-file/preview", ""))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", t_limited.manager),
        )
        .body(Body::from_stream(chunks))
        .expect("a request");
    let (status, _, problem) = app_limited.send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    // Under the limit the same server takes a file.
    let (status, _, preview) = send(
        &app_limited,
        &t_limited.manager,
        &uri(&app_limited, "import-file/preview", ""),
        file("customers.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");

    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", "&columns=A%3Dname,A%3Dphone"),
        file("customers.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        detail(&problem).contains("column A is mapped twice"),
        "{problem}"
    );
}

/// A body that sends its first bytes and then never ends: a handler that reads the body
/// before checking who sends it waits forever (and a real server buffers up to the limit).
fn endless_body() -> Body {
    use futures::StreamExt as _;
    let first = futures::stream::once(async {
        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"Navn;Telefon\n"))
    });
    Body::from_stream(first.chain(futures::stream::pending()))
}

#[tokio::test]
async fn a_json_import_declared_over_the_limit_is_refused_before_it_is_read() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let owner = app.world.data_owner.id();
    for path in ["import", "import-jobs"] {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/data-owners/{owner}/customers/{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", t.manager))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, (32 * 1024 * 1024 + 1).to_string())
            .body(endless_body())
            .expect("a request");
        let (status, headers, problem) =
            tokio::time::timeout(std::time::Duration::from_secs(10), app.send(request))
                .await
                .unwrap_or_else(|_| panic!("{path}: the body was read before its length"));
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
        assert!(is_problem(&headers));
        assert!(detail(&problem).contains("32 MiB"), "{problem}");
    }
    // Sent whole past the limit: the same clear refusal.
    let big = format!(
        "{{\"assignment\":\"{}\",\"dataset\":\"b2b\",\"rows\":[],\"pad\":\"{}\"}}",
        app.assignment(),
        "x".repeat(32 * 1024 * 1024)
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/data-owners/{owner}/customers/import"))
        .header(header::AUTHORIZATION, format!("Bearer {}", t.manager))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(big))
        .expect("a request");
    let (status, _, problem) = app.send(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert!(detail(&problem).contains("32 MiB"), "{problem}");
}

#[tokio::test]
async fn who_may_import_is_checked_before_the_body_is_read() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let owner = app.world.data_owner.id();
    let uris = [
        (
            uri(&app, "import-file/preview", ""),
            "application/octet-stream",
        ),
        (uri(&app, "import-file", ""), "application/octet-stream"),
        (
            format!("/api/data-owners/{owner}/customers/import"),
            "application/json",
        ),
        (
            format!("/api/data-owners/{owner}/customers/import-jobs"),
            "application/json",
        ),
    ];
    for token in [&t.seller, &t.client] {
        for (uri, content_type) in &uris {
            let request = Request::builder()
                .method(Method::POST)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, *content_type)
                .body(endless_body())
                .expect("a request");
            let answered =
                tokio::time::timeout(std::time::Duration::from_secs(10), app.send(request))
                    .await
                    .unwrap_or_else(|_| panic!("{uri}: the body was read before the role check"));
            let (status, headers, problem) = answered;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{uri}: {status} {problem}"
            );
            assert!(is_problem(&headers), "{uri}");
        }
    }
}

#[tokio::test]
async fn a_mapping_is_saved_by_name_and_used_again() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let owner = app.world.data_owner.id();
    let mappings = format!("/api/data-owners/{owner}/import-mappings");
    let named = format!("{mappings}/Kunder%20fra%20Bergen");
    let saved = serde_json::json!({"columns": "A=name,C=phone", "delimiter": ";"});

    // Who may: those who manage the data owner — asked before the name or the body is
    // looked at.
    let bad_name = format!("{mappings}/a%01b");
    for token in [&t.seller, &t.client] {
        for (uri, body) in [
            (&named, saved.clone()),
            (&bad_name, saved.clone()),
            (&named, serde_json::json!({"columns": 7})),
        ] {
            let (status, problem) = app
                .call(Method::PUT, uri, Some(token.as_str()), Some(body))
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {problem}");
        }
        let (status, problem) = app
            .call(Method::DELETE, &bad_name, Some(token.as_str()), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    }
    // A tab is a separator (kept as `tab`); a sheet name holds no control characters.
    let tabbed = format!("{mappings}/Tabulator");
    let (status, list) = app
        .call(
            Method::PUT,
            &tabbed,
            Some(&t.manager),
            Some(serde_json::json!({"columns": "A=name", "delimiter": "\t"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["delimiter"], "tab", "{list}");
    let (status, _) = app
        .call(Method::DELETE, &tabbed, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = app
        .call(
            Method::PUT,
            &tabbed,
            Some(&t.manager),
            Some(serde_json::json!({"columns": "A=name", "sheet": "Ark\u{0}"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("`sheet`"), "{problem}");
    // Columns the import could not use are refused when saved, naming the field.
    let (status, problem) = app
        .call(
            Method::PUT,
            &named,
            Some(&t.manager),
            Some(serde_json::json!({"columns": "A=name,A=phone"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("`columns`"), "{problem}");
    let (status, problem) = app
        .call(
            Method::PUT,
            &named,
            Some(&t.manager),
            Some(serde_json::json!({"columns": "A=name", "delimiter": "|"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("`delimiter`"), "{problem}");

    let (status, list) = app
        .call(Method::PUT, &named, Some(&t.manager), Some(saved))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["name"], "Kunder fra Bergen", "{list}");
    let (status, read) = app
        .call(Method::GET, &mappings, Some(&t.manager), None)
        .await;
    assert_eq!((status, &read), (StatusCode::OK, &list));

    // The file read with the saved mapping reads as with the same columns in the query.
    let with_columns = send(
        &app,
        &t.manager,
        &uri(
            &app,
            "import-file/preview",
            "&columns=A%3Dname,C%3Dphone&file_name=kunder.csv",
        ),
        file("customers-semicolon-cp1252.csv"),
    )
    .await;
    let with_mapping = send(
        &app,
        &t.manager,
        &uri(
            &app,
            "import-file/preview",
            "&mapping=Kunder%20fra%20Bergen&file_name=kunder.csv",
        ),
        file("customers-semicolon-cp1252.csv"),
    )
    .await;
    assert_eq!(with_mapping.0, StatusCode::OK, "{}", with_mapping.2);
    assert_eq!(with_mapping.2, with_columns.2);
    assert_eq!(with_mapping.2["rows_good"], 4);
    // What the query says wins over the saved mapping.
    let (status, _, overridden) = send(
        &app,
        &t.manager,
        &uri(
            &app,
            "import-file/preview",
            "&mapping=Kunder%20fra%20Bergen&columns=A%3Dname,B%3Demail&file_name=kunder.csv",
        ),
        file("customers-semicolon-cp1252.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{overridden}");
    assert_ne!(overridden["rows_good"], 4, "{overridden}");
    // An unknown name is refused, naming those saved.
    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", "&mapping=Oslo"),
        file("customers-semicolon-cp1252.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        detail(&problem).contains("no saved mapping is called `Oslo` (saved: Kunder fra Bergen)"),
        "{problem}"
    );

    // A long unknown name is repeated only in part.
    let long = "x".repeat(5_000);
    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", &format!("&mapping={long}")),
        file("customers-semicolon-cp1252.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).len() < 300, "{problem}");
    // Names are one in any case: `KUNDER FRA BERGEN` is the saved mapping.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("{mappings}/KUNDER%20FRA%20BERGEN"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .call(Method::DELETE, &named, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, read) = app
        .call(Method::GET, &mappings, Some(&t.manager), None)
        .await;
    assert_eq!((status, read), (StatusCode::OK, serde_json::json!([])));
}

/// A CSV of thirty chunks (chunks of 50 rows here) with a bad row near its end: the file is
/// checked whole before anything is written, so nothing is (all or nothing across chunks);
/// with `keep_good_rows=true` every good row is, chunk by chunk.
#[tokio::test]
async fn a_bad_row_near_the_end_of_a_csv_of_many_chunks_stops_the_whole_file() {
    let app = App::configured(|state| state.file_imports.chunk_rows = 50).await;
    let t = Tokens::of(&app).await;
    let before = customer_count(&app, &t.manager).await;
    let rows = 1_500;
    let bad = rows - 3;
    let mut csv = String::from("Navn;Telefon;Notat\n");
    for i in 1..=rows {
        if i == bad {
            csv.push_str("Feil AS;ikke et nummer;\n");
        } else {
            csv.push_str(&format!("Firma {i} AS;+47 91{i:06};\"linje 1\nlinje 2\"\n"));
        }
    }
    // Its sheet row: the header is row 1 (line breaks inside quoted fields start no row).
    let bad_row = 1 + bad;

    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", ""),
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["rows_in_file"], rows, "{preview}");
    assert_eq!(preview["rows_good"], rows - 1);
    assert_eq!(preview["rejected_count"], 1);
    assert_eq!(preview["rejected"][0]["row"], bad_row);

    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", ""),
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let said = detail(&problem);
    assert!(
        said.contains(&format!(
            "1 of {rows} rows cannot be imported, so nothing was imported"
        )),
        "{said}"
    );
    assert!(said.contains(&format!("row {bad_row}:")), "{said}");
    assert_eq!(
        customer_count(&app, &t.manager).await,
        before,
        "nothing written"
    );

    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&keep_good_rows=true"),
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["rows_total"], rows - 1, "{job}");
    assert_eq!(job["rejected"], 1, "{job}");
    let job = finished(&app, &t.manager, &location.expect("a Location")).await;
    assert_eq!(job["status"], "done", "{}", job["error"]);
    let report = &job["report"];
    assert_eq!(job["rows_done"], rows - 1);
    assert_eq!(report["created"], rows - 1);
    assert_eq!(report["enrolled"], rows - 1);
    assert_eq!(
        report["rejected"][0]["row"], bad_row,
        "{}",
        report["rejected"]
    );
    assert_eq!(report["rows"][0]["row"], 2);
    assert_eq!(
        report["rows"][bad - 1]["row"],
        bad_row + 1,
        "the bad row is left out"
    );
    let imports = format!("/api/data-owners/{}/imports", app.world.data_owner.id());
    let (status, listed) = app
        .call(Method::GET, &imports, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(
        listed[0]["customers_created"],
        rows - 1,
        "every chunk recorded: {listed}"
    );
}

/// A finished CSV import's job counts every row written, not the rows its report lists (the
/// first 10,000 of a streamed import).
#[tokio::test]
async fn a_finished_jobs_rows_are_every_row_written_past_the_listed_ones() {
    let app = App::configured(|_| {}).await;
    let t = Tokens::of(&app).await;
    let rows = cube_app::streamed_imports::REPORT_ROWS + 50;
    let mut csv = String::from("Navn;Telefon\n");
    for i in 1..=rows {
        csv.push_str(&format!("Firma {i} AS;+47 4{i:07}\n"));
    }
    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", ""),
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished(&app, &t.manager, &location.expect("a Location")).await;
    assert_eq!(job["status"], "done", "{}", job["error"]);
    assert_eq!(job["report"]["created"], rows);
    assert_eq!(
        job["report"]["rows"].as_array().map(Vec::len),
        Some(cube_app::streamed_imports::REPORT_ROWS),
        "the report lists the first rows"
    );
    assert_eq!(job["rows_done"], rows, "every row written");
    assert_eq!(job["rows_total"], rows);
}

/// The customers of the world's data owner as `(external id, name, phones)`, for those
/// holding any of `phones`.
async fn holding(app: &App, token: &str, phones: &[&str]) -> Vec<(Value, Value, Value)> {
    let mut found: Vec<(Value, Value, Value)> = customers(app, token)
        .await
        .into_iter()
        .filter(|c| {
            c["phones"].as_array().is_some_and(|ps| {
                ps.iter()
                    .any(|p| phones.contains(&p.as_str().unwrap_or("")))
            })
        })
        .map(|c| {
            (
                c["external_id"].clone(),
                c["name"].clone(),
                c["phones"].clone(),
            )
        })
        .collect();
    found.sort_by_key(|c| c.0.to_string());
    found
}

#[tokio::test]
async fn a_row_with_another_external_id_never_re_keys_the_customer_its_phone_is() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let csv = |rows: &str| format!("Navn;Telefon;Kundenr\n{rows}").into_bytes();
    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&file_name=a.csv"),
        csv("Kari;912 34 567;X1\n"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished(&app, &t.manager, &location.expect("a Location")).await;
    assert_eq!(job["report"]["created"], 1, "{job}");
    let kari = (
        Value::from("X1"),
        Value::from("Kari"),
        serde_json::json!(["+4791234567"]),
    );

    // File B: Ola with Kari's phone under another external id, and a new customer.
    let b = csv("Ola;91234567;X2\nPer;92345678;X3\n");
    let reason = "phone +4791234567 belongs to the customer with external id 'X1', not 'X2'; \
                  give the row that external id or remove the phone";
    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", "&file_name=b.csv"),
        b.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["rows_in_file"], 2, "{preview}");
    assert_eq!(preview["rows_good"], 1, "{preview}");
    assert_eq!(
        preview["rejected"],
        serde_json::json!([{ "row": 2, "reason": reason }])
    );
    // All or nothing: refused, naming the row, the phone and the other customer.
    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&file_name=b.csv"),
        b.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        detail(&problem).contains(&format!("row 2: {reason}")),
        "{problem}"
    );
    assert_eq!(
        holding(&app, &t.manager, &["+4791234567"]).await,
        vec![kari.clone()]
    );
    // The good rows wanted: Per goes in, Ola's row is rejected and Kari keeps her keys.
    for on_match in ["update", "skip"] {
        let (status, location, job) = send(
            &app,
            &t.manager,
            &uri(
                &app,
                "import-file",
                &format!("&file_name=b.csv&keep_good_rows=true&on_match={on_match}"),
            ),
            b.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        let job = finished(&app, &t.manager, &location.expect("a Location")).await;
        assert_eq!(job["status"], "done", "{job}");
        assert_eq!(
            job["report"]["rejected"],
            serde_json::json!([{ "row": 2, "reason": reason }]),
            "{job}"
        );
        assert_eq!(job["report"]["imported"], 1, "{job}");
        assert_eq!(
            holding(&app, &t.manager, &["+4791234567"]).await,
            vec![kari.clone()],
            "{on_match}"
        );
    }

    // The same through the JSON import (checked whole before writing): refused alike.
    let json_uri = format!(
        "/api/data-owners/{}/customers/import",
        app.world.data_owner.id()
    );
    let rows = serde_json::json!({
        "assignment": app.assignment(),
        "dataset": "b2b",
        "rows": [
            { "name": "Ny", "phones": ["+4793456789"], "external_id": "X4" },
            // Per's external id with Kari's number as a second phone: the update would give
            // it to both.
            { "name": "Per", "phones": ["+4792345678", "+4791234567"], "external_id": "X3" },
        ],
    });
    let (status, report) = app
        .call(Method::POST, &json_uri, Some(&t.manager), Some(rows))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rejected"][0]["row"], 2, "{report}");
    assert_eq!(
        report["rejected"][0]["reason"],
        "phone +4791234567 belongs to the customer with external id 'X1', while the row \
         matches the customer with external id 'X3'; one number cannot belong to both: \
         remove the phone from the row, or import it with matches skipped",
        "{report}"
    );
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(
        holding(&app, &t.manager, &["+4791234567"]).await,
        vec![kari]
    );
}

#[tokio::test]
async fn sending_a_file_again_counts_its_rows_unchanged_not_updated() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let file_a = b"Navn;Telefon;Kundenr\nKari;91234567;X1\nOla;92345678;X2\n".to_vec();
    let import = |body: Vec<u8>| {
        let app = &app;
        let token = t.manager.clone();
        async move {
            let (status, location, job) = send(
                app,
                &token,
                &uri(app, "import-file", "&file_name=a.csv"),
                body,
            )
            .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{job}");
            finished(app, &token, &location.expect("a Location")).await["report"].clone()
        }
    };
    let first = import(file_a.clone()).await;
    assert_eq!(first["created"], 2, "{first}");

    let again = import(file_a).await;
    let counts = |r: &Value| {
        (
            r["created"].clone(),
            r["updated"].clone(),
            r["unchanged"].clone(),
            r["matched"].clone(),
            r["already_enrolled"].clone(),
        )
    };
    assert_eq!(
        counts(&again),
        (0.into(), 0.into(), 2.into(), 2.into(), 2.into()),
        "{again}"
    );
    assert_eq!(again["rows"][0]["result"], "unchanged", "{again}");

    // One name changed: that row is updated, the other unchanged.
    let changed =
        import(b"Navn;Telefon;Kundenr\nKari Nordmann;91234567;X1\nOla;92345678;X2\n".to_vec())
            .await;
    assert_eq!(
        counts(&changed),
        (0.into(), 1.into(), 1.into(), 2.into(), 2.into()),
        "{changed}"
    );
    assert_eq!(changed["rows"][0]["result"], "updated", "{changed}");
    assert_eq!(changed["rows"][1]["result"], "unchanged", "{changed}");
}

/// The six customers' CSV with a quote opened on row 4 and never closed: preview and
/// import refuse the file naming row 4 (the csv reader alone read rows 4–7 as one field of
/// row 4 and said the file had three rows), and nothing is written.
#[tokio::test]
async fn a_quote_never_closed_is_refused_naming_the_row_it_opened_on() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let before = customer_count(&app, &t.manager).await;
    let text = String::from_utf8(file("customers.csv")).expect("utf-8");
    let broken = text
        .replacen("Ærlige Åse ENK", "\"Ærlige Åse ENK", 1)
        .into_bytes();
    for action in ["import-file/preview", "import-file"] {
        let (status, _, problem) = send(
            &app,
            &t.manager,
            &uri(&app, action, "&file_name=kunder.csv"),
            broken.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            detail(&problem).contains(
                "row 4: a quote (\") opened here is never closed, so the rest of the file was read as one field"
            ),
            "{action}: {problem}"
        );
    }
    assert_eq!(customer_count(&app, &t.manager).await, before);
    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", "&file_name=kunder.csv"),
        text.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["rows_in_file"], 6, "{preview}");
}

/// The first pass asks the register about one chunk of good rows while it reads the next
/// (`cube_sheets::streamed`): rows the register refuses in three different chunks, between
/// rows the file's own check rejects, are all counted and listed in row order, and the
/// good rows around them are imported.
#[tokio::test]
async fn rows_the_register_refuses_in_several_chunks_are_listed_in_row_order() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let phone = |i: usize| format!("+47 93{i:06}");
    // Customers holding the phones of rows 10, 2600 and 4400 under other external ids.
    let held = [10, 2_600, 4_400];
    let mut first = String::from("Navn;Telefon;Kundenr\n");
    for i in held {
        first.push_str(&format!("Eldre {i} AS;{};E{i}\n", phone(i)));
    }
    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&file_name=a.csv"),
        first.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = finished(&app, &t.manager, &location.expect("a Location")).await;
    assert_eq!(job["report"]["created"], 3, "{job}");

    let rows = 4_500;
    let bad = [2_599, 4_401];
    let mut csv = String::from("Navn;Telefon;Kundenr\n");
    for i in 1..=rows {
        let number = if bad.contains(&i) {
            "ikke et nummer".to_owned()
        } else {
            phone(i)
        };
        csv.push_str(&format!("Firma {i} AS;{number};K{i}\n"));
    }
    // Sheet rows: the header is row 1.
    let expected: Vec<usize> = [10, 2_599, 2_600, 4_400, 4_401]
        .iter()
        .map(|i| i + 1)
        .collect();

    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", "&file_name=b.csv"),
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["rows_in_file"], rows, "{preview}");
    assert_eq!(preview["rejected_count"], expected.len(), "{preview}");
    assert_eq!(preview["rows_good"], rows - expected.len(), "{preview}");
    let listed: Vec<u64> = preview["rejected"]
        .as_array()
        .expect("rejected rows")
        .iter()
        .filter_map(|r| r["row"].as_u64())
        .collect();
    let expected_u64: Vec<u64> = expected.iter().map(|&r| r as u64).collect();
    assert_eq!(listed, expected_u64, "{}", preview["rejected"]);
    assert!(
        preview["rejected"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("belongs to the customer with external id 'E10'")),
        "{}",
        preview["rejected"][0]
    );

    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "&file_name=b.csv&keep_good_rows=true"),
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["rejected"], expected.len(), "{job}");
    let job = finished(&app, &t.manager, &location.expect("a Location")).await;
    assert_eq!(job["status"], "done", "{}", job["error"]);
    assert_eq!(job["report"]["created"], rows - expected.len(), "{job}");
    let reported: Vec<u64> = job["report"]["rejected"]
        .as_array()
        .expect("rejected rows")
        .iter()
        .filter_map(|r| r["row"].as_u64())
        .collect();
    assert_eq!(reported, expected_u64);
}
