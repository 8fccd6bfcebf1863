//! Companies matched by their organisation number over the file import (issue 16:
//! "duplicates merged or skipped by external id, organisation number or phone, as chosen"):
//! a file with an `Orgnr` column imported again updates its companies instead of adding
//! them twice, however the number is written; a row whose number is another company's is
//! refused with its row number and nothing is written; a Norwegian number with a wrong check
//! digit is a rejected row; `match_by` chooses the keys; and a row never turns a consumer
//! into a company or back.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{App, Tokens, is_problem};
use serde_json::Value;

fn uri(app: &App, action: &str, dataset: &str, query: &str) -> String {
    format!(
        "/api/data-owners/{}/customers/{action}?assignment={}&dataset={dataset}\
         &file_name=firma.csv{query}",
        app.world.data_owner.id(),
        app.assignment()
    )
}

/// POSTs a CSV as the file, answered with status, `Location` and JSON.
async fn send(app: &App, token: &str, uri: &str, csv: &str) -> (StatusCode, Option<String>, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(csv.as_bytes().to_vec()))
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

/// Imports a CSV as a job into the B2B dataset and waits for its report.
async fn imported(app: &App, token: &str, query: &str, csv: &str) -> Value {
    let (status, location, job) =
        send(app, token, &uri(app, "import-file", "b2b", query), csv).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let location = location.expect("a Location");
    for _ in 0..3_000 {
        let (status, job) = app.call(Method::GET, &location, Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] != "running" {
            assert_eq!(job["status"], "done", "{job}");
            return job["report"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the job did not finish");
}

/// The data owner's customers with this organisation number, as the API lists them.
async fn with_number(app: &App, token: &str, number: &str) -> Vec<Value> {
    let uri = format!(
        "/api/data-owners/{}/customers?limit=500",
        app.world.data_owner.id()
    );
    let (status, page) = app.call(Method::GET, &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|c| c["registry_number"] == number)
        .cloned()
        .collect()
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_file_imported_again_updates_its_companies_by_organisation_number() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let first = "Navn;Telefon;Orgnr;Kundenr\n\
                 Brønnøysundregistrene;+4795100001;NO 974 760 673 MVA;B1\n";
    let report = imported(&app, &t.manager, "", first).await;
    assert_eq!(report["created"], 1, "{report}");
    let stored = with_number(&app, &t.manager, "974760673").await;
    assert_eq!(stored.len(), 1, "stored as its nine digits");

    // Again, from another system: no customer number, a new phone, the number as digits.
    let again = "Navn;Telefon;Orgnr\nBrønnøysundregistrene AS;+4795100002;974760673\n";
    let report = imported(&app, &t.manager, "", again).await;
    assert_eq!(
        (&report["created"], &report["updated"]),
        (&Value::from(0), &Value::from(1)),
        "{report}"
    );
    let stored = with_number(&app, &t.manager, "974760673").await;
    assert_eq!(stored.len(), 1, "updated, not duplicated");
    assert_eq!(stored[0]["name"], "Brønnøysundregistrene AS");
    assert_eq!(stored[0]["external_id"], "B1");
}

#[tokio::test]
async fn a_row_whose_organisation_number_is_another_companys_is_refused_by_its_row() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let first = "Navn;Telefon;Orgnr;Kundenr\nBrreg;+4795200001;974760673;B1\n";
    assert_eq!(imported(&app, &t.manager, "", first).await["created"], 1);

    // Row 3 names another company (B2) with B1's number: refused, and (all or nothing)
    // nothing of the file is written.
    let clash = "Navn;Telefon;Orgnr;Kundenr\n\
                 Equinor;+4795200002;923609016;E1\n\
                 Feil Firma;+4795200003;NO 974760673;B2\n";
    for action in ["import-file/preview", "import-file"] {
        let (status, _, answer) =
            send(&app, &t.manager, &uri(&app, action, "b2b", ""), clash).await;
        let expected = "organisation number 974760673 belongs to the customer with external id \
                        'B1', not 'B2'; give the row that external id or correct the \
                        organisation number";
        if action == "import-file" {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            let said = detail(&answer);
            assert!(said.contains(&format!("row 3: {expected}")), "{said}");
        } else {
            assert_eq!(status, StatusCode::OK, "{answer}");
            assert_eq!(answer["rejected"][0]["row"], 3, "{answer}");
            assert_eq!(answer["rejected"][0]["reason"], expected, "{answer}");
        }
    }
    assert!(with_number(&app, &t.manager, "923609016").await.is_empty());
    let kept = with_number(&app, &t.manager, "974760673").await;
    assert_eq!(
        (kept.len(), &kept[0]["external_id"]),
        (1, &Value::from("B1")),
        "never re-keyed"
    );
}

#[tokio::test]
async fn a_wrong_check_digit_and_the_keys_chosen_reject_rows_with_a_reason() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let first = "Navn;Telefon;Orgnr\nBrreg;+4795300001;974760673\n";
    assert_eq!(imported(&app, &t.manager, "", first).await["created"], 1);

    let rows = "Navn;Telefon;Orgnr\n\
                Skrivefeil AS;+4795300002;974 760 674\n\
                Brreg igjen;+4795300003;974760673\n";
    // Matched by external id and phone only, Brreg's number on a new phone is no match,
    // and a second company with it is refused.
    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(
            &app,
            "import-file/preview",
            "b2b",
            "&match_by=external_id,phone",
        ),
        rows,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let rejected = preview["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 2, "{preview}");
    assert_eq!(rejected[0]["row"], 2);
    assert_eq!(
        rejected[0]["reason"],
        "`registry_number`: organisation number '974 760 674' is not valid: its last digit \
         is not the check digit of the eight before it (modulus 11); correct the number or \
         leave it out"
    );
    assert_eq!(rejected[1]["row"], 3);
    let reason = rejected[1]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("organisation number 974760673 belongs to")
            && reason.contains("does not match rows by organisation number"),
        "{reason}"
    );
    // All keys (the default): row 3 updates Brreg.
    let (status, _, preview) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file/preview", "b2b", ""),
        rows,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        preview["rejected"].as_array().map(Vec::len),
        Some(1),
        "{preview}"
    );

    for bad in ["&match_by=orgnr", "&match_by="] {
        let (status, _, problem) = send(
            &app,
            &t.manager,
            &uri(&app, "import-file/preview", "b2b", bad),
            rows,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {problem}");
        assert!(detail(&problem).starts_with("`match_by`:"), "{problem}");
    }
}

#[tokio::test]
async fn a_company_row_never_turns_a_consumer_into_a_company() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let consumer = "Navn;Telefon;Kundenr\nKari Forbruker;+4795400001;K1\n";
    let (status, location, job) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "b2c", ""),
        consumer,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let location = location.expect("a Location");
    for _ in 0..3_000 {
        let (_, job) = app
            .call(Method::GET, &location, Some(&t.manager), None)
            .await;
        if job["status"] != "running" {
            assert_eq!(job["report"]["created"], 1, "{job}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let as_company = "Navn;Telefon;Kundenr;Orgnr\nKari AS;+4795400001;K1;974760673\n";
    let (status, _, problem) = send(
        &app,
        &t.manager,
        &uri(&app, "import-file", "b2b", ""),
        as_company,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let said = detail(&problem);
    assert!(
        said.contains(
            "row 2: the customer with external id 'K1' is in the B2C dataset (consumers), not \
             the B2B dataset (companies); import the row into that dataset, or give it another \
             external id"
        ),
        "{said}"
    );
    assert!(with_number(&app, &t.manager, "974760673").await.is_empty());
}
