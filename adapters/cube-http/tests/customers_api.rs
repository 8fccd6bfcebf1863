//! The customers endpoint group end to end inside the process: customer records and paging,
//! import, enrolling, bulk work, time entries, external state changes, and the reports routed
//! from the group (performance across assignments, meetings, activity limits, hit analysis).
//! Each test reads as a conversation: request, status, body — and what the store holds after.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{App, PASSWORD, Tokens, is_problem};
use cube_app::Cube;
use cube_domain::ports::Store;
use cube_http::{AppState, router};
use cube_testkit::fixtures::{SalesFlow, T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::sync::Arc;

/// The app as `App::new` builds it, but over a clock the test can move.
async fn app_with_clock() -> (App, Arc<FixedClock>) {
    use argon2::password_hash::PasswordHasher;
    use argon2::{Algorithm, Argon2, Params, Version};
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 20)
        .await
        .expect("the first world builds");
    let other = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 5)
        .await
        .expect("the second world builds");
    let cube = Cube::new(store.clone(), clock.clone(), ids);
    let params = Params::new(8, 1, 1, None).expect("valid argon2 parameters");
    let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(PASSWORD.as_bytes())
        .expect("hashing works")
        .to_string();
    for user in world.users().chain(other.users()) {
        cube.set_initial_password(user.id, &hash)
            .await
            .expect("the password is set");
    }
    let state = AppState::new(cube);
    let app = App {
        router: router(state.clone()),
        world,
        other,
        store,
        state,
    };
    (app, clock)
}

fn owner(app: &App) -> String {
    app.world.data_owner.id().to_string()
}

fn decimal(value: &Value) -> Decimal {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a decimal string"))
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

/// How many customers the data owner has, read through the API.
async fn customer_count(app: &App, token: &str) -> usize {
    let (status, page) = app
        .call(
            Method::GET,
            &format!("/api/data-owners/{}/customers?limit=500", owner(app)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().map_or(0, Vec::len)
}

fn new_customer(name: &str, phone: &str) -> Value {
    json!({
        "dataset": "b2b",
        "name": name,
        "phones": [phone],
        "external_id": format!("new-{name}"),
        "fields": { "industry": "Retail", "employees": "12" },
    })
}

#[tokio::test]
async fn a_manager_creates_reads_and_updates_a_customer() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let request = Request::post(format!("/api/data-owners/{}/customers", owner(&app)))
        .header(header::AUTHORIZATION, format!("Bearer {}", t.manager))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            new_customer("Fjord Fisk AS", "+47 912 34 567").to_string(),
        ))
        .expect("a valid request");
    let (status, headers, created) = app.send(request).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some(format!("/api/customers/{id}").as_str())
    );
    assert_eq!(created["phones"], json!(["+4791234567"]));
    assert_eq!(created["dataset"], "b2b");
    assert_eq!(created["data_owner"], owner(&app).as_str());
    assert_eq!(created["fields"]["employees"], "12");

    let uri = format!("/api/customers/{id}");
    let (status, read) = app.call(Method::GET, &uri, Some(&t.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let mut changed = read.clone();
    for key in ["id", "data_owner", "dataset"] {
        changed.as_object_mut().map(|o| o.remove(key));
    }
    changed["name"] = json!("Fjord Fisk og Vilt AS");
    changed["fields"]["employees"] = json!("13");
    changed["email"] = json!("post@fjordfisk.example.no");
    let (status, updated) = app
        .call(Method::PUT, &uri, Some(&t.manager), Some(changed))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["name"], "Fjord Fisk og Vilt AS");
    assert_eq!(updated["fields"]["employees"], "13");
    let (_, read) = app.call(Method::GET, &uri, Some(&t.admin), None).await;
    assert_eq!(read, updated);
    assert_eq!(read["email"], "post@fjordfisk.example.no");
}

/// An organisation number is a company's key as the import sees it (issue 16, found from
/// outside: a company typed in with another company's number made a later import update the
/// older of the two silently): by hand, too, a company may not take a number another company
/// of the data owner has, however it is written; a consumer's person number is no such key.
#[tokio::test]
async fn an_organisation_number_of_another_company_is_a_conflict_on_create_and_update() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let create = format!("/api/data-owners/{}/customers", owner(&app));
    let company = |name: &str, phone: &str, number: &str| {
        let mut body = new_customer(name, phone);
        body["registry_number"] = json!(number);
        body
    };
    let (status, brreg) = app
        .call(
            Method::POST,
            &create,
            Some(&t.manager),
            Some(company("Brønnøysund AS", "+47 912 00 001", "974760673")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{brreg}");
    let brreg_id = brreg["id"].as_str().expect("an id").to_owned();

    // Create: the same number in its VAT form is a 409 naming the number and the holder.
    let (status, problem) = app
        .call(
            Method::POST,
            &create,
            Some(&t.manager),
            Some(company("Kopi AS", "+47 912 00 002", "NO 974 760 673 MVA")),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        detail(&problem).contains("organisation number 974760673"),
        "{problem}"
    );
    assert!(detail(&problem).contains(&brreg_id), "{problem}");
    assert_eq!(
        customer_count(&app, &t.manager).await,
        21,
        "nothing written"
    );

    // Update: another company taking the number is refused the same way.
    let (status, equinor) = app
        .call(
            Method::POST,
            &create,
            Some(&t.manager),
            Some(company("Equinor ASA", "+47 912 00 003", "923609016")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{equinor}");
    let equinor_uri = format!("/api/customers/{}", equinor["id"].as_str().expect("an id"));
    let mut changed = equinor.clone();
    for key in ["id", "data_owner", "dataset"] {
        changed.as_object_mut().map(|o| o.remove(key));
    }
    changed["registry_number"] = json!("974.760.673");
    let (status, problem) = app
        .call(
            Method::PUT,
            &equinor_uri,
            Some(&t.manager),
            Some(changed.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        detail(&problem).contains("organisation number 974760673"),
        "{problem}"
    );
    let (_, unchanged) = app
        .call(Method::GET, &equinor_uri, Some(&t.manager), None)
        .await;
    assert_eq!(unchanged, equinor, "a refused update writes nothing");

    // Its own number, written another way, is no conflict with itself.
    changed["registry_number"] = json!("NO 923 609 016 MVA");
    changed["name"] = json!("Equinor Energy ASA");
    let (status, updated) = app
        .call(Method::PUT, &equinor_uri, Some(&t.manager), Some(changed))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");

    // A consumer's person number is no company key: two persons may share one.
    let person = |name: &str, phone: &str| {
        json!({
            "dataset": "b2c",
            "name": name,
            "phones": [phone],
            "registry_number": "01017012345",
        })
    };
    for (name, phone) in [
        ("Kari Nordmann", "+47 912 00 004"),
        ("Ola Nordmann", "+47 912 00 005"),
    ] {
        let (status, created) = app
            .call(
                Method::POST,
                &create,
                Some(&t.manager),
                Some(person(name, phone)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
}

#[tokio::test]
async fn a_phone_or_external_id_of_another_customer_is_a_conflict_on_create_and_update() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let create = format!("/api/data-owners/{}/customers", owner(&app));
    let (status, first) = app
        .call(
            Method::POST,
            &create,
            Some(&t.manager),
            Some(new_customer("Fjord Fisk AS", "+47 912 34 567")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let first_id = first["id"].as_str().expect("an id").to_owned();
    let (status, second) = app
        .call(
            Method::POST,
            &create,
            Some(&t.manager),
            Some(new_customer("Havbris AS", "+47 913 00 000")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second_uri = format!("/api/customers/{}", second["id"].as_str().expect("an id"));

    // Create: the same phone as the first is a 409 that names the first.
    let (status, problem) = app
        .call(
            Method::POST,
            &create,
            Some(&t.manager),
            Some(new_customer("Kopi AS", "+47 912 34 567")),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(detail(&problem).contains(&first_id), "{problem}");

    // Update: the same rule.
    let mut changed = second.clone();
    for key in ["id", "data_owner", "dataset"] {
        changed.as_object_mut().map(|o| o.remove(key));
    }
    changed["phones"] = json!(["+47 913 00 000", "+47 912 34 567"]);
    let (status, problem) = app
        .call(
            Method::PUT,
            &second_uri,
            Some(&t.manager),
            Some(changed.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(detail(&problem).contains(&first_id), "{problem}");
    assert!(detail(&problem).contains("+4791234567"), "{problem}");
    changed["phones"] = json!(["+47 913 00 000"]);
    changed["external_id"] = json!("new-Fjord Fisk AS");
    let (status, problem) = app
        .call(
            Method::PUT,
            &second_uri,
            Some(&t.manager),
            Some(changed.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(detail(&problem).contains("external id"), "{problem}");
    let (_, unchanged) = app
        .call(Method::GET, &second_uri, Some(&t.manager), None)
        .await;
    assert_eq!(unchanged, second, "a refused update writes nothing");

    // Keeping its own phone and external id is no conflict with itself.
    changed["external_id"] = json!("new-Havbris AS");
    changed["name"] = json!("Havbris Sjømat AS");
    let (status, updated) = app
        .call(Method::PUT, &second_uri, Some(&t.manager), Some(changed))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
}

#[tokio::test]
async fn bad_customer_input_is_a_problem_that_names_the_field() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/customers", owner(&app));
    let cases = [
        (
            json!({ "dataset": "b2b", "name": "X", "phones": ["12ab"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone number",
        ),
        (
            json!({ "dataset": "b2b", "name": "X", "phones": ["+4791111111"], "colour": "red" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "colour",
        ),
        (
            json!({ "dataset": "b2b", "name": "X", "phones": ["+4791111111"], "fields": { "shoe_size": "42" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "shoe_size",
        ),
        (
            json!({ "dataset": "b2b", "name": "X", "phones": ["+4791111111"], "fields": { "employees": "many" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "employees",
        ),
        (
            json!({ "dataset": "b2x", "name": "X", "phones": ["+4791111111"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "dataset",
        ),
        (
            json!({ "dataset": "b2b", "name": "X" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone number or an e-mail",
        ),
        (
            json!({ "dataset": "b2b", "name": "X", "email": "not-an-address" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "e-mail",
        ),
    ];
    for (body, expected, named) in cases {
        let (status, problem) = app
            .call(Method::POST, &uri, Some(&t.admin), Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{body}: {problem}");
        assert!(detail(&problem).contains(named), "{body}: {problem}");
    }
    // The same phone as a fixture customer: a duplicate.
    let (status, problem) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "dataset": "b2b", "name": "Copy", "phones": ["+4790000000"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        customer_count(&app, &t.admin).await,
        20,
        "nothing was written"
    );

    let (status, problem) = app
        .call(
            Method::GET,
            "/api/customers/not-a-uuid",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/customers/{}", uuid::Uuid::nil()),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/customers/{}", app.world.customers[0].id()),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn value_problems_name_the_field_and_never_echo_huge_input() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/customers", owner(&app));
    let base = || json!({ "dataset": "b2c", "name": "Kari", "phones": ["+4791234567"] });
    let with = |key: &str, value: Value| {
        let mut body = base();
        body[key] = value;
        body
    };
    let huge = "x".repeat(10_000);
    let cases = [
        (
            with("phones", json!(["+4791234567", "+47 (0) 12345678"])),
            "`phones[1]`:",
        ),
        (with("phones", json!(["912345678"])), "`phones[0]`:"),
        (
            with("email", json!("kari..nordmann@example.no")),
            "`email`:",
        ),
        (with("email", json!("\u{feff}kari@example.no")), "`email`:"),
        (
            with("email", json!(format!("{huge}@example.no"))),
            "`email`:",
        ),
        (with("name", json!("Kari\u{0}Nordmann")), "`name`:"),
        (with("name", json!(huge.clone())), "`name`:"),
        (with("address", json!("Storgata 1\u{7}")), "`address`:"),
        (with("address", json!("x".repeat(100_000))), "`address`:"),
        (with("external_id", json!("crm\n1")), "`external_id`:"),
    ];
    for (body, named) in cases {
        let (status, problem) = app
            .call(Method::POST, &uri, Some(&t.admin), Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["status"], 422, "{problem}");
        let text = detail(&problem);
        assert!(text.starts_with(named), "{named}: {text}");
        assert!(
            text.len() < 400,
            "the detail repeats the input: {} bytes",
            text.len()
        );
        assert!(!text.contains('\0'), "{text}");
    }
    assert_eq!(
        customer_count(&app, &t.admin).await,
        20,
        "nothing was written"
    );

    // The import takes a larger body, but no larger address: the row is refused, briefly.
    let (status, report) = app
        .call(
            Method::POST,
            &format!("{uri}/import"),
            Some(&t.manager),
            Some(
                json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": [
                { "name": "Huge AS", "phones": ["+4792000001"], "address": "x".repeat(1 << 20) },
            ] }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let reason = report["rejected"][0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("`address`: address must be at most 500"),
        "{reason}"
    );
    assert!(reason.len() < 200, "{reason}");

    // Numbers without a country code are read in the data owner's region (Norway here).
    let (status, created) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(with("phones", json!(["912 34 567", "0046 70 123 45 67"]))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["phones"], json!(["+4791234567", "+46701234567"]));
    let (status, created) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "dataset": "b2c", "name": "A\u{30a}se", "email": "ola@BLÅBÆR.no" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "Åse");
    assert_eq!(created["email"], "ola@blåbær.no");
}

#[tokio::test]
async fn a_swedish_data_owner_reads_numbers_without_a_country_code_as_swedish() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/data-owners",
            Some(&t.admin),
            Some(json!({ "name": "Svensk Kraft", "phone_region": "Sverige" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).starts_with("`phone_region`:"), "{problem}");
    let (status, created) = app
        .call(
            Method::POST,
            "/api/data-owners",
            Some(&t.admin),
            Some(json!({ "name": "Svensk Kraft", "phone_region": "se" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["phone_region"], "SE");
    let id = created["id"].as_str().expect("an id");
    let (status, customer) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{id}/customers"),
            Some(&t.admin),
            Some(json!({ "dataset": "b2c", "name": "Sven", "phones": ["070-123 45 67", "+47 912 34 567"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    assert_eq!(customer["phones"], json!(["+46701234567", "+4791234567"]));
}

#[tokio::test]
async fn customers_come_a_page_at_a_time_and_bad_pages_are_problems() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let base = format!("/api/data-owners/{}/customers", owner(&app));
    let (status, page) = app
        .call(
            Method::GET,
            &format!("{base}?limit=8"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(8));
    assert_eq!(page["items"][0]["name"], "Customer 00000");
    assert_eq!(page["items"][0]["fields"]["industry"], "Energy");
    assert_eq!(page["next_offset"], 8);
    let (_, last) = app
        .call(
            Method::GET,
            &format!("{base}?offset=16&limit=8"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(last["items"].as_array().map(Vec::len), Some(4));
    assert_eq!(last["items"][0]["name"], "Customer 00016");
    assert_eq!(last["next_offset"], Value::Null);
    // The last page exactly full (20 customers, 12 + 8) promises no next page.
    let (_, full) = app
        .call(
            Method::GET,
            &format!("{base}?offset=12&limit=8"),
            Some(&t.manager),
            None,
        )
        .await;
    assert_eq!(full["items"].as_array().map(Vec::len), Some(8));
    assert_eq!(full["next_offset"], Value::Null, "{full}");
    let (_, default) = app.call(Method::GET, &base, Some(&t.manager), None).await;
    assert_eq!(default["limit"], 50);
    assert_eq!(default["items"].as_array().map(Vec::len), Some(20));

    for (query, expected, named) in [
        ("limit=0", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=501", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=ten", StatusCode::BAD_REQUEST, "limit"),
        ("offset=-1", StatusCode::BAD_REQUEST, "offset"),
        ("sort=name", StatusCode::BAD_REQUEST, "sort"),
        ("dataset=b2x", StatusCode::BAD_REQUEST, "dataset"),
        (
            "q=a+b+c+d+e+f+g+h+i",
            StatusCode::UNPROCESSABLE_ENTITY,
            "at most 8 words",
        ),
        ("phone=call-me", StatusCode::UNPROCESSABLE_ENTITY, "phone"),
        (
            "q=a%00b",
            StatusCode::UNPROCESSABLE_ENTITY,
            "control characters",
        ),
        (
            "external_id=x%00",
            StatusCode::UNPROCESSABLE_ENTITY,
            "external_id",
        ),
    ] {
        let request = Request::get(format!("{base}?{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", t.manager))
            .body(Body::empty())
            .expect("a valid request");
        let (status, headers, problem) = app.send(request).await;
        assert_eq!(status, expected, "{query}: {problem}");
        assert!(is_problem(&headers), "{query}");
        assert!(detail(&problem).contains(named), "{query}: {problem}");
    }
}

/// The search parameters: words (any case, inside words, every one must occur), dataset,
/// exact phone and external id; they combine, and pages count matches only.
#[tokio::test]
async fn customers_are_found_by_words_dataset_phone_and_external_id() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let base = format!("/api/data-owners/{}/customers", owner(&app));
    let find = |query: &'static str| {
        let app = &app;
        let uri = format!("{base}?{query}");
        let token = t.manager.clone();
        async move {
            let (status, page) = app.call(Method::GET, &uri, Some(&token), None).await;
            assert_eq!(status, StatusCode::OK, "{query}: {page}");
            let names: Vec<String> = page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
                .collect();
            (names, page["next_offset"].clone())
        }
    };
    let (names, _) = find("q=CUSTOMER%2000013").await;
    assert_eq!(names, ["Customer 00013"]);
    let (names, _) = find("q=ext-0001").await;
    assert_eq!(names.len(), 10, "ext-00010 … ext-00019: {names:?}");
    let (names, next) = find("q=ext-0001&offset=2&limit=3").await;
    assert_eq!(
        names,
        ["Customer 00012", "Customer 00013", "Customer 00014"]
    );
    assert_eq!(next, 5);
    let (names, _) = find("q=ext-0001+storgata+14%2C").await;
    assert_eq!(names, ["Customer 00013"]);
    let (names, _) = find("q=%20%20").await;
    assert_eq!(names.len(), 20, "blank words list everyone");
    let (names, _) = find("phone=%2B47%2090%2000%2000%2004").await;
    assert_eq!(names, ["Customer 00004"]);
    let (names, _) = find("external_id=ext-00007").await;
    assert_eq!(names, ["Customer 00007"]);
    let (names, _) = find("external_id=EXT-00007").await;
    assert_eq!(names, Vec::<String>::new(), "external ids are exact");
    let (names, _) = find("dataset=b2c").await;
    assert_eq!(names, Vec::<String>::new());
    let (names, _) = find("dataset=b2b&q=customer%2000003&external_id=ext-00003").await;
    assert_eq!(names, ["Customer 00003"]);
    let (names, _) = find("q=nobody").await;
    assert_eq!(names, Vec::<String>::new());
    // The second organisation's customers are never found from the first.
    let (names, _) = find("phone=%2B4790000001").await;
    assert_eq!(names, ["Customer 00001"]);
}

#[tokio::test]
async fn sellers_and_clients_may_not_touch_customer_records() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let customer = format!("/api/customers/{}", app.world.customers[0].id());
    let list = format!("/api/data-owners/{}/customers", owner(&app));
    for token in [&t.seller, &t.client] {
        let attempts = [
            (Method::GET, customer.clone(), None),
            (
                Method::PUT,
                customer.clone(),
                Some(json!({ "name": "Hacked", "phones": ["+4790000000"] })),
            ),
            (Method::GET, list.clone(), None),
            (
                Method::POST,
                list.clone(),
                Some(new_customer("Sneaky AS", "+4798765432")),
            ),
        ];
        for (method, uri, body) in attempts {
            let (status, problem) = app.call(method.clone(), &uri, Some(token), body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {problem}");
        }
    }
    let (_, read) = app.call(Method::GET, &customer, Some(&t.admin), None).await;
    assert_eq!(read["name"], "Customer 00000");
}

#[tokio::test]
async fn another_organisations_admin_and_manager_get_404_on_every_id_of_the_first() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let owner = owner(&app);
    let assignment = app.assignment();
    let customer = app.world.customers[0].id();
    let seller = app.world.sellers[0].id;
    let their_assignment = app.other.assignment.id();
    let row = json!({ "name": "Row", "phones": ["+4791919191"] });
    let attempts = [
        (Method::GET, format!("/api/customers/{customer}"), None),
        (
            Method::PUT,
            format!("/api/customers/{customer}"),
            Some(json!({ "name": "X", "phones": ["+4790000000"] })),
        ),
        (
            Method::GET,
            format!("/api/data-owners/{owner}/customers"),
            None,
        ),
        (
            Method::POST,
            format!("/api/data-owners/{owner}/customers"),
            Some(new_customer("X", "+4791919191")),
        ),
        (
            Method::POST,
            format!("/api/data-owners/{owner}/customers/import"),
            Some(json!({ "assignment": assignment, "dataset": "b2b", "rows": [row] })),
        ),
        (
            Method::POST,
            format!("/api/data-owners/{owner}/customers/import"),
            Some(json!({ "assignment": their_assignment, "dataset": "b2b", "rows": [row] })),
        ),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/enrollments"),
            Some(json!({ "customers": [customer] })),
        ),
        (
            Method::POST,
            format!("/api/assignments/{their_assignment}/enrollments"),
            Some(json!({ "customers": [customer] })),
        ),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/selection"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/bulk"),
            Some(json!({ "action": { "type": "remove" } })),
        ),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/time/start"),
            None,
        ),
        (
            Method::POST,
            format!("/api/assignments/{assignment}/time"),
            Some(json!({ "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T07:00:00Z" })),
        ),
        (
            Method::POST,
            format!("/api/assignments/{their_assignment}/time"),
            Some(
                json!({ "user": seller, "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T07:00:00Z" }),
            ),
        ),
        (
            Method::POST,
            format!("/api/customers/{customer}/external-state"),
            Some(json!({ "state": "Excluded" })),
        ),
        (
            Method::GET,
            format!("/api/assignments/{assignment}/reports/meetings"),
            None,
        ),
        (
            Method::GET,
            format!("/api/assignments/{assignment}/reports/limits"),
            None,
        ),
        (
            Method::GET,
            format!("/api/assignments/{assignment}/reports/hits"),
            None,
        ),
    ];
    for token in [&t.other_admin, &t.other_manager] {
        for (method, uri, body) in attempts.clone() {
            let (status, problem) = app.call(method.clone(), &uri, Some(token), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}: {problem}");
        }
        let (status, report) = app
            .call(Method::GET, "/api/reports/performance", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let assignments: Vec<&Value> = report["per_assignment"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| &a["assignment"])
            .collect();
        assert!(!assignments.contains(&&json!(assignment)), "{report}");
        // And word for word what an unknown id gets: the answer does not tell that the
        // customer exists elsewhere (found from outside: it named the data owner).
        let state = Some(json!({ "state": "Excluded" }));
        let (_, foreign) = app
            .call(
                Method::POST,
                &format!("/api/customers/{customer}/external-state"),
                Some(token),
                state.clone(),
            )
            .await;
        let unknown = uuid::Uuid::nil();
        let (_, missing) = app
            .call(
                Method::POST,
                &format!("/api/customers/{unknown}/external-state"),
                Some(token),
                state,
            )
            .await;
        assert_eq!(foreign["detail"], missing["detail"], "{foreign}");
    }
    // Nothing of the first organisation changed.
    assert_eq!(customer_count(&app, &t.admin).await, 20);
    let (_, read) = app
        .call(
            Method::GET,
            &format!("/api/customers/{customer}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(read["name"], "Customer 00000");
}

#[tokio::test]
async fn an_import_takes_the_good_rows_and_numbers_the_bad_ones() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/customers/import", owner(&app));
    let rows = json!([
        { "name": "Good One AS", "phones": ["+4792000001"], "external_id": "imp-1", "fields": { "industry": "Retail" } },
        { "name": "Bad Phone AS", "phones": ["call me"] },
        { "name": "Good Two AS", "email": "two@example.no", "fields": { "employees": "7" } },
        { "name": "No Contact AS" },
        { "name": "Same As One", "phones": ["+4792000001"] },
        { "name": "Bad Choice AS", "phones": ["+4792000006"], "fields": { "industry": "Mining" } },
        { "name": "Good Three AS", "phones": ["+4792000007"] },
        { "name": "Customer 00001 again", "phones": ["+4790000001"] },
    ]);
    let (status, report) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": rows })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["matched"], 1, "{report}");
    assert_eq!(report["imported"], 4, "{report}");
    assert_eq!(report["enrolled"], 3, "{report}");
    assert_eq!(report["already_enrolled"], 1, "{report}");
    let rejected: Vec<u64> = report["rejected"]
        .as_array()
        .expect("rejected rows")
        .iter()
        .filter_map(|r| r["row"].as_u64())
        .collect();
    assert_eq!(rejected, [2, 4, 5, 6], "{report}");
    assert!(
        report["rejected"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("phone number")),
        "{report}"
    );
    assert!(
        report["rejected"][2]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("row 1")),
        "{report}"
    );

    // Only the good rows are stored, and enrolled.
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/data-owners/{}/customers?limit=500", owner(&app)),
            Some(&t.admin),
            None,
        )
        .await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names.len(), 23, "{names:?}");
    for good in ["Good One AS", "Good Two AS", "Good Three AS"] {
        assert!(names.contains(&good), "{good} is missing");
    }
    for bad in [
        "Bad Phone AS",
        "No Contact AS",
        "Same As One",
        "Bad Choice AS",
    ] {
        assert!(!names.contains(&bad), "{bad} was written");
    }
    let (_, status_report) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/reports/status", app.assignment()),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status_report["total"], 23, "{status_report}");
}

/// A large file as a job: checked and answered at once (202, `Location`), written in the
/// background chunk by chunk, then the same report as the direct import; the job is the
/// starter's and the admins', and is checked like the import before it starts.
#[tokio::test]
async fn an_import_job_answers_at_once_and_its_report_follows() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/customers/import-jobs", owner(&app));
    let rows: Vec<Value> = (0..4_100)
        .map(|n| json!({ "name": format!("Jobb {n} AS"), "phones": [format!("+4793{n:06}")] }))
        .chain([json!({ "name": "Bad Phone AS", "phones": ["call me"] })])
        .collect();
    let body = json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": rows });
    let request = Request::builder()
        .method(Method::POST)
        .uri(&uri)
        .header(header::AUTHORIZATION, format!("Bearer {}", t.manager))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .expect("a location")
        .to_owned();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    let started: Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(
        location,
        format!("/api/import-jobs/{}", text(&started["id"]))
    );
    assert_eq!(started["status"], "running", "{started}");
    assert_eq!(started["rows_total"], 4_100, "{started}");
    assert_eq!(started["rejected"], 1, "{started}");

    let mut job = started;
    for _ in 0..500 {
        let (status, read) = app
            .call(Method::GET, &location, Some(&t.manager), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{read}");
        job = read;
        if job["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["rows_done"], 4_100);
    assert_eq!(job["report"]["created"], 4_100);
    assert_eq!(job["report"]["rejected"][0]["row"], 4_101);
    assert_eq!(job["report"]["rows"].as_array().map(Vec::len), Some(4_100));
    assert!(job["finished_at"].is_string(), "{job}");
    assert_eq!(enrolled_count(&app, &t.admin).await, 20 + 4_100);

    let (status, _) = app.call(Method::GET, &location, Some(&t.admin), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an admin of the organisation sees it"
    );
    let (status, problem) = app
        .call(Method::GET, &location, Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(detail(&problem), "import job not found");

    // Checked before it is started: a seller may not, no rows is a 422, nothing written.
    let (status, problem) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.seller),
            Some(json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": [{ "name": "X", "phones": ["+4799999999"] }] })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": [] })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("at least one row"), "{problem}");
    assert_eq!(enrolled_count(&app, &t.admin).await, 20 + 4_100);
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// How many customers the assignment has, by its status report.
async fn enrolled_count(app: &App, token: &str) -> u64 {
    let uri = format!("/api/assignments/{}/reports/status", app.assignment());
    let (status, report) = app.call(Method::GET, &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report["total"].as_u64().expect("a total")
}

#[tokio::test]
async fn a_re_import_updates_matched_customers_or_skips_them_as_asked() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/customers/import", owner(&app));
    let import = |rows: Value, on_match: Option<&str>| {
        let mut body = json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": rows });
        if let Some(choice) = on_match {
            body["on_match"] = json!(choice);
        }
        body
    };
    let first = json!([
        { "name": "Old Name AS", "phones": ["+4792100001"], "email": "old@example.no", "external_id": "re-1", "fields": { "employees": "5" } },
    ]);
    let (status, report) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(import(first, None)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let id = report["rows"][0]["customer"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(report["rows"][0]["result"], "imported", "{report}");

    // The same external id, new name, e-mail, phone and a CRM value: the customer is updated.
    let again = json!([
        { "name": "New Name AS", "phones": ["+4792100002"], "email": "new@example.no", "external_id": "re-1", "fields": { "industry": "Retail" } },
    ]);
    let (status, report) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(import(again, None)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["matched"].clone(), report["updated"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(
        report["rows"],
        json!([{ "row": 1, "customer": id, "result": "updated", "enrolled": false }])
    );
    let customer = format!("/api/customers/{id}");
    let (_, read) = app
        .call(Method::GET, &customer, Some(&t.manager), None)
        .await;
    assert_eq!(read["name"], "New Name AS", "{read}");
    assert_eq!(read["email"], "new@example.no", "{read}");
    assert_eq!(read["phones"], json!(["+4792100002"]), "{read}");
    assert_eq!(read["fields"]["industry"], "Retail", "{read}");
    assert_eq!(
        read["fields"]["employees"], "5",
        "an empty cell keeps the value: {read}"
    );

    // Told to skip matches: reported as skipped, nothing changes.
    let third = json!([
        { "name": "Ignored AS", "phones": ["+4792100002"], "external_id": "re-1" },
        { "name": "Brand New AS", "phones": ["+4792100003"] },
    ]);
    let (status, report) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(import(third, Some("skip"))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["skipped"], 1, "{report}");
    assert_eq!(report["rows"][0]["result"], "skipped", "{report}");
    assert_eq!(report["rows"][1]["result"], "imported", "{report}");
    let (_, unchanged) = app
        .call(Method::GET, &customer, Some(&t.manager), None)
        .await;
    assert_eq!(unchanged, read);

    let (status, problem) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(import(
                json!([{ "name": "X", "phones": ["+4792100009"] }]),
                Some("merge"),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("on_match"), "{problem}");
}

#[tokio::test]
async fn a_refused_import_writes_nothing() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let uri = format!("/api/data-owners/{}/customers/import", owner(&app));
    let good = json!({ "name": "Good AS", "phones": ["+4793000001"] });
    let cases = [
        (
            &t.admin,
            json!({ "assignment": app.assignment(), "dataset": "b2b", "segment": uuid::Uuid::nil(), "rows": [good] }),
            StatusCode::NOT_FOUND,
            "segment",
        ),
        (
            &t.seller,
            json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": [good] }),
            StatusCode::FORBIDDEN,
            "role",
        ),
        (
            &t.client,
            json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": [good] }),
            StatusCode::FORBIDDEN,
            "role",
        ),
        (
            &t.admin,
            json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": [] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rows",
        ),
        (
            &t.admin,
            json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": [good, { "name": "X", "phone": "+4793000002" }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rows[1]",
        ),
        (
            &t.admin,
            json!({ "dataset": "b2b", "rows": [good] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "assignment",
        ),
        (
            &t.admin,
            json!({ "assignment": "nope", "dataset": "b2b", "rows": [good] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "assignment",
        ),
    ];
    for (token, body, expected, named) in cases {
        let (status, problem) = app
            .call(Method::POST, &uri, Some(token), Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{body}: {problem}");
        assert!(detail(&problem).contains(named), "{body}: {problem}");
    }
    assert_eq!(customer_count(&app, &t.admin).await, 20);
}

#[tokio::test]
async fn an_import_may_be_larger_than_the_default_body_limit() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let padding = "x".repeat(180);
    let rows: Vec<Value> = (0..1500)
        .map(|i| {
            json!({
                "name": format!("Bulk Customer {i:04}"),
                "phones": [format!("+4794{i:06}")],
                "address": format!("{padding} {i}"),
            })
        })
        .collect();
    let body = json!({ "assignment": app.assignment(), "dataset": "b2b", "rows": rows });
    assert!(
        body.to_string().len() > 256 * 1024,
        "the body passes 256 KiB"
    );
    let (status, report) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{}/customers/import", owner(&app)),
            Some(&t.admin),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 1500);
    assert_eq!(report["rejected"], json!([]));

    // Other routes keep the default limit.
    let big = json!({ "dataset": "b2b", "name": "Big", "phones": ["+4795000000"], "address": "x".repeat(300 * 1024) });
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{}/customers", owner(&app)),
            Some(&t.admin),
            Some(big),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
}

/// A body declared larger than its route takes is refused at once, before a byte of it is
/// read: it used to hold the connection until the request's time limit and answer 503. The
/// body here never arrives, so without the check the request would not be answered at all.
#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_before_it_is_read() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let routes = [
        // The default limit (256 KiB) …
        (
            format!("/api/data-owners/{}/customers", owner(&app)),
            300 * 1024,
            "the request body is 307200 bytes; this endpoint takes at most 262144 bytes",
        ),
        // … and a route with its own (the JSON import, 32 MiB), which says what to do instead.
        (
            format!("/api/data-owners/{}/customers/import", owner(&app)),
            33 * 1024 * 1024,
            "the import is larger than 32 MiB",
        ),
    ];
    for (uri, declared, says) in routes {
        let never =
            Body::from_stream(futures::stream::pending::<Result<Vec<u8>, std::io::Error>>());
        let request = Request::builder()
            .method(Method::POST)
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", t.admin))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, declared.to_string())
            .body(never)
            .expect("a request");
        let (status, headers, problem) =
            tokio::time::timeout(std::time::Duration::from_secs(10), app.send(request))
                .await
                .expect("answered without waiting for the body");
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {problem}");
        assert!(is_problem(&headers), "{uri}: a problem document");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(says), "{uri}: {detail}");
    }
}

#[tokio::test]
async fn customers_are_enrolled_once_and_only_from_the_same_data_owner() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let (status, created) = app
        .call(
            Method::POST,
            &format!("/api/data-owners/{}/customers", owner(&app)),
            Some(&t.admin),
            Some(new_customer("Late Arrival AS", "+4796000000")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let new = created["id"].as_str().expect("an id").to_owned();
    let uri = format!("/api/assignments/{}/enrollments", app.assignment());
    let old = app.world.customers[0].id().to_string();

    let (status, report) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(json!({ "customers": [new, old] })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report, json!({ "enrolled": 1, "already_enrolled": 1 }));
    let (_, again) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.manager),
            Some(json!({ "customers": [new] })),
        )
        .await;
    assert_eq!(again, json!({ "enrolled": 0, "already_enrolled": 1 }));

    let foreign = app.other.customers[0].id().to_string();
    let cases = [
        (
            &t.admin,
            json!({ "customers": [foreign] }),
            StatusCode::NOT_FOUND,
        ),
        (
            &t.admin,
            json!({ "customers": [new], "segment": uuid::Uuid::nil() }),
            StatusCode::NOT_FOUND,
        ),
        (
            &t.admin,
            json!({ "customers": [] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &t.admin,
            json!({ "customers": ["not-a-uuid"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &t.seller,
            json!({ "customers": [new] }),
            StatusCode::FORBIDDEN,
        ),
        (
            &t.client,
            json!({ "customers": [new] }),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (token, body, expected) in cases {
        let (status, problem) = app
            .call(Method::POST, &uri, Some(token), Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{body}: {problem}");
    }
    let (_, status_report) = app
        .call(
            Method::GET,
            &format!("/api/assignments/{}/reports/status", app.assignment()),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status_report["total"], 21);
}

#[tokio::test]
async fn a_selection_is_previewed_then_acted_on_all_or_nothing() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let assignment = app.assignment();
    let preview = format!("/api/assignments/{assignment}/selection");
    let bulk = format!("/api/assignments/{assignment}/bulk");
    let energy = json!({ "fields": [{ "key": "industry", "values": [{ "type": "choice", "value": "Energy" }] }] });

    let (status, selected) = app
        .call(
            Method::POST,
            &preview,
            Some(&t.manager),
            Some(json!({ "selection": energy, "limit": 3 })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{selected}");
    assert_eq!(selected["count"], 7);
    assert_eq!(selected["truncated"], true);
    assert_eq!(selected["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(selected["items"][1]["name"], "Customer 00003");
    assert_eq!(selected["items"][0]["category"], "available");
    let (_, everyone) = app
        .call(Method::POST, &preview, Some(&t.manager), Some(json!({})))
        .await;
    assert_eq!(everyone["count"], 20);
    assert_eq!(everyone["truncated"], false);

    let no_sale = SalesFlow::O_NO_SALE.to_string();
    let (status, report) = app
        .call(
            Method::POST,
            &bulk,
            Some(&t.manager),
            Some(json!({
                "selection": energy,
                "action": { "type": "register_outcome", "outcome": no_sale, "note": "bulk" },
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report,
        json!({ "selected": 7, "changed": 7, "held": 0, "changed_meanwhile": 0 })
    );

    // No sale is not allowed from No sale: every one fails, so nothing changes.
    let (status, problem) = app
        .call(
            Method::POST,
            &bulk,
            Some(&t.manager),
            Some(json!({
                "selection": {},
                "action": { "type": "register_outcome", "outcome": no_sale },
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("7 of 20"), "{problem}");
    let (_, closed) = app
        .call(
            Method::POST,
            &preview,
            Some(&t.manager),
            Some(
                json!({ "selection": { "states": [SalesFlow::NO_SALE.to_string()] }, "limit": 0 }),
            ),
        )
        .await;
    assert_eq!(closed["count"], 7, "{closed}");
    assert_eq!(closed["items"], json!([]));

    let (_, moved) = app
        .call(
            Method::POST,
            &bulk,
            Some(&t.admin),
            Some(json!({ "action": { "type": "move_to_segment", "segment": null } })),
        )
        .await;
    assert_eq!(
        moved,
        json!({ "selected": 20, "changed": 0, "held": 0, "changed_meanwhile": 0 })
    );
    let (status, problem) = app
        .call(
            Method::POST,
            &bulk,
            Some(&t.admin),
            Some(json!({ "action": { "type": "move_to_segment", "segment": uuid::Uuid::nil() } })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    let (status, removed) = app
        .call(
            Method::POST,
            &bulk,
            Some(&t.admin),
            Some(json!({
                "selection": { "states": [SalesFlow::NO_SALE.to_string()] },
                "action": { "type": "remove" },
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["changed"], 7);
    let (_, left) = app
        .call(
            Method::POST,
            &preview,
            Some(&t.admin),
            Some(json!({ "limit": 0 })),
        )
        .await;
    assert_eq!(left["count"], 13);
}

#[tokio::test]
async fn bad_selections_and_roles_are_refused_before_anything_changes() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let assignment = app.assignment();
    let preview = format!("/api/assignments/{assignment}/selection");
    let bulk = format!("/api/assignments/{assignment}/bulk");
    let cases = [
        (
            preview.clone(),
            json!({ "selection": { "min_attempts": 3, "max_attempts": 1 } }),
            "max_attempts",
        ),
        (
            preview.clone(),
            json!({ "selection": { "fields": [{ "key": "Not A Key", "values": [] }] } }),
            "selection.fields[0].key",
        ),
        (
            preview.clone(),
            json!({ "selection": { "fields": [{ "key": "founded", "values": [{ "type": "date", "value": "March" }] }] } }),
            "selection.fields[0].values",
        ),
        (preview.clone(), json!({ "limit": 1001 }), "limit"),
        (
            preview.clone(),
            json!({ "selection": { "segment": [] } }),
            "segment",
        ),
        // Conditions the assignment cannot meet are refused by name, not counted as 0.
        (
            preview.clone(),
            json!({ "selection": { "fields": [{ "key": "colour", "values": [], "missing": true }] } }),
            "selection.fields[0].key",
        ),
        (
            preview.clone(),
            json!({ "selection": { "fields": [{ "key": "industry", "values": [{ "type": "choice", "value": "Astrology" }] }] } }),
            "selection.fields[0].values",
        ),
        (
            preview.clone(),
            json!({ "selection": { "fields": [{ "key": "employees", "values": [{ "type": "text", "value": "many" }] }] } }),
            "selection.fields[0].values",
        ),
        (
            preview.clone(),
            json!({ "selection": { "states": [uuid::Uuid::nil()] } }),
            "selection.states",
        ),
        (
            preview.clone(),
            json!({ "selection": { "segments": [uuid::Uuid::nil()] } }),
            "selection.segments",
        ),
        (
            bulk.clone(),
            json!({
                "selection": { "fields": [{ "key": "colour", "values": [], "missing": true }] },
                "action": { "type": "remove" },
            }),
            "selection.fields[0].key",
        ),
        (
            bulk.clone(),
            json!({ "action": { "type": "paint_it_red" } }),
            "action",
        ),
        (bulk.clone(), json!({ "selection": {} }), "action"),
    ];
    for (uri, body, named) in cases {
        let (status, problem) = app
            .call(Method::POST, &uri, Some(&t.admin), Some(body.clone()))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert!(detail(&problem).contains(named), "{body}: {problem}");
    }
    for token in [&t.seller, &t.client] {
        let (status, _) = app
            .call(Method::POST, &preview, Some(token), Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::POST,
                &bulk,
                Some(token),
                Some(json!({ "action": { "type": "remove" } })),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, everyone) = app
        .call(
            Method::POST,
            &preview,
            Some(&t.admin),
            Some(json!({ "limit": 0 })),
        )
        .await;
    assert_eq!(everyone["count"], 20);
}

#[tokio::test]
async fn the_clock_runs_from_start_to_stop_and_hours_can_be_added_by_hand() {
    let (app, clock) = app_with_clock().await;
    let t = Tokens::of(&app).await;
    let assignment = app.assignment();
    let (status, running) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{assignment}/time/start"),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{running}");
    assert_eq!(running["end"], Value::Null);
    assert_eq!(running["hours"], Value::Null);
    assert_eq!(running["start"], "2025-03-03T08:00:00Z");
    clock.advance(time::Duration::minutes(90));
    let (status, stopped) = app
        .call(Method::POST, "/api/time/stop", Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert_eq!(stopped["id"], running["id"]);
    assert_eq!(stopped["end"], "2025-03-03T09:30:00Z");
    assert_eq!(stopped["hours"], "1.5");
    let (status, problem) = app
        .call(Method::POST, "/api/time/stop", Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("no clock"), "{problem}");

    let manual = format!("/api/assignments/{assignment}/time");
    let (status, problem) = app
        .call(
            Method::POST,
            &manual,
            Some(&t.seller),
            Some(json!({ "start": "0001-01-01T06:00:00Z", "end": "0001-01-01T07:00:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        detail(&problem).starts_with("`start` must be between 1900"),
        "{problem}"
    );
    let (status, added) = app
        .call(
            Method::POST,
            &manual,
            Some(&t.seller),
            Some(json!({ "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T07:00:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["hours"], "1");
    assert_eq!(added["user"], app.world.sellers[0].id.to_string());
    let other_seller = app.world.sellers[1].id.to_string();
    let (status, for_other) = app
        .call(
            Method::POST,
            &manual,
            Some(&t.manager),
            Some(json!({ "user": other_seller, "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T08:00:00Z" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{for_other}");
    assert_eq!(for_other["user"], other_seller.as_str());

    let (status, report) = app
        .call(
            Method::GET,
            "/api/reports/performance?from=2025-03-03T00:00:00Z&to=2025-03-04T00:00:00Z",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        decimal(&report["overall"]["hours"]),
        Decimal::new(45, 1),
        "{report}"
    );
    assert_eq!(
        report["per_assignment"][0]["assignment"],
        assignment.as_str()
    );
    assert_eq!(report["per_user"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn bad_time_entries_and_roles_are_refused() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let assignment = app.assignment();
    let manual = format!("/api/assignments/{assignment}/time");
    let seller = app.world.sellers[1].id.to_string();
    let cases = [
        (
            &t.seller,
            json!({ "start": "2025-03-03T07:00:00Z", "end": "2025-03-03T06:00:00Z" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "end after it starts",
        ),
        (
            &t.seller,
            json!({ "start": "2025-03-03T07:00:00Z", "end": "2025-03-03T09:00:00Z" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "future",
        ),
        (
            &t.seller,
            json!({ "start": "2025-03-01T07:00:00Z", "end": "2025-03-03T07:00:00Z" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "24 hours",
        ),
        (
            &t.seller,
            json!({ "start": "this morning", "end": "2025-03-03T07:00:00Z" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "start",
        ),
        (
            &t.seller,
            json!({ "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T07:00:00Z", "minutes": 60 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "minutes",
        ),
        (
            &t.seller,
            json!({ "user": seller, "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T07:00:00Z" }),
            StatusCode::FORBIDDEN,
            "role",
        ),
        (
            &t.client,
            json!({ "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T07:00:00Z" }),
            StatusCode::FORBIDDEN,
            "role",
        ),
        (
            &t.admin,
            json!({ "user": uuid::Uuid::nil(), "start": "2025-03-03T06:00:00Z", "end": "2025-03-03T07:00:00Z" }),
            StatusCode::NOT_FOUND,
            "user",
        ),
    ];
    for (token, body, expected, named) in cases {
        let (status, problem) = app
            .call(Method::POST, &manual, Some(token), Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{body}: {problem}");
        assert!(detail(&problem).contains(named), "{body}: {problem}");
    }
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{assignment}/time/start"),
            Some(&t.client),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/assignments/not-a-uuid/time/start",
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Under a clock that stands still, a stop right after a start is too short.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{assignment}/time/start"),
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = app
        .call(Method::POST, "/api/time/stop", Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = app.call(Method::POST, "/api/time/stop", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Issue 17: a web shop is given a token that pushes external state changes and opens
/// nothing else — not the customer register, not its own user's other operations, not
/// another token.
#[tokio::test]
async fn a_token_scoped_to_the_external_trigger_opens_that_and_nothing_else() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let (status, issued) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.admin),
            Some(json!({ "scope": "external_trigger", "expires_in_days": 365 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["scope"], "external_trigger", "{issued}");
    let shop = issued["token"].as_str().expect("a token").to_owned();

    let customer = app.world.customers[0].id();
    let (status, changes) = app
        .call(
            Method::POST,
            &format!("/api/customers/{customer}/external-state"),
            Some(&shop),
            Some(json!({ "state": "Excluded" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert_eq!(changes[0]["result"], "moved", "{changes}");

    let refused = [
        (Method::GET, "/api/me".to_owned(), None),
        (Method::GET, format!("/api/customers/{customer}"), None),
        (Method::GET, "/api/users".to_owned(), None),
        (Method::POST, "/api/tokens".to_owned(), None),
        (
            Method::POST,
            format!("/api/assignments/{}/next", app.assignment()),
            None,
        ),
        (Method::DELETE, "/api/tokens/current".to_owned(), None),
    ];
    for (method, uri, body) in refused {
        let (status, problem) = app.call(method.clone(), &uri, Some(&shop), body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {problem}");
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("external state changes only"), "{problem}");
    }

    // The admin's full tokens still open everything, the trigger included; an API token
    // issued without a scope says it opens everything.
    let (status, _) = app
        .call(Method::GET, "/api/users", Some(&t.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, full) = app
        .call(Method::POST, "/api/tokens", Some(&t.admin), None)
        .await;
    assert_eq!(full["scope"], "everything", "{full}");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.admin),
            Some(json!({ "scope": "read_only" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The scoped token acts as its user: a seller's cannot move a customer (the role), and
    // revoking it by id (as its issuer) ends it.
    let (_, seller_scoped) = app
        .call(
            Method::POST,
            "/api/tokens",
            Some(&t.seller),
            Some(json!({ "scope": "external_trigger" })),
        )
        .await;
    let seller_shop = seller_scoped["token"].as_str().expect("a token").to_owned();
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/customers/{customer}/external-state"),
            Some(&seller_shop),
            Some(json!({ "state": "Excluded" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let id = issued["id"].as_str().expect("an id");
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/tokens/{id}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/customers/{customer}/external-state"),
            Some(&shop),
            Some(json!({ "state": "Excluded" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");
}

#[tokio::test]
async fn an_external_system_excludes_a_customer_everywhere() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let customer = app.world.customers[0].id();
    let uri = format!("/api/customers/{customer}/external-state");
    let (status, changes) = app
        .call(
            Method::POST,
            &uri,
            Some(&t.admin),
            Some(json!({ "state": "Excluded" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert_eq!(changes.as_array().map(Vec::len), Some(1));
    assert_eq!(changes[0]["assignment"], app.assignment().as_str());
    assert_eq!(changes[0]["from_state"], SalesFlow::TO_CALL.to_string());
    assert_eq!(changes[0]["to_state"], SalesFlow::EXCLUDED.to_string());
    assert_eq!(changes[0]["category"], "excluded");
    assert_eq!(changes[0]["result"], "moved");
    let (_, excluded) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/selection", app.assignment()),
            Some(&t.admin),
            Some(json!({ "selection": { "states": [SalesFlow::EXCLUDED.to_string()] } })),
        )
        .await;
    assert_eq!(excluded["items"][0]["customer"], customer.to_string());

    let cases = [
        (
            &t.admin,
            json!({ "state": "Teleported" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Teleported",
        ),
        (
            &t.admin,
            json!({ "state": "  " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "state",
        ),
        (
            &t.admin,
            json!({ "status": "Excluded" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "status",
        ),
        (
            &t.seller,
            json!({ "state": "Sale" }),
            StatusCode::FORBIDDEN,
            "role",
        ),
        (
            &t.client,
            json!({ "state": "Sale" }),
            StatusCode::FORBIDDEN,
            "role",
        ),
    ];
    for (token, body, expected, named) in cases {
        let (status, problem) = app
            .call(Method::POST, &uri, Some(token), Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{body}: {problem}");
        assert!(detail(&problem).contains(named), "{body}: {problem}");
    }
}

#[tokio::test]
async fn the_remaining_reports_answer_by_role() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let assignment = app.assignment();
    // The seven customers in Energy get No sale.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{assignment}/bulk"),
            Some(&t.admin),
            Some(json!({
                "selection": { "fields": [{ "key": "industry", "values": [{ "type": "choice", "value": "Energy" }] }], "max_attempts": 0 },
                "action": { "type": "register_outcome", "outcome": SalesFlow::O_NO_SALE.to_string() },
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let hits = format!("/api/assignments/{assignment}/reports/hits");
    let (status, report) = app.call(Method::GET, &hits, Some(&t.client), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report[0]["field"], "industry");
    let energy = report[0]["values"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["value"] == "Energy")
        .expect("an Energy row");
    assert_eq!(energy["no"], 7, "{report}");
    assert_eq!(energy["yes"], 0);
    assert_eq!(decimal(&energy["hitrate_percent"]), Decimal::ZERO);
    assert_eq!(report[1]["field"], "attempts");

    let limits = format!("/api/assignments/{assignment}/reports/limits");
    let (status, report) = app.call(Method::GET, &limits, Some(&t.manager), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report, json!([]));

    let meetings = format!("/api/assignments/{assignment}/reports/meetings");
    let (status, report) = app
        .call(
            Method::GET,
            &format!("{meetings}?from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z&q=oslo"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report, json!([]));

    let (status, report) = app
        .call(
            Method::GET,
            "/api/reports/performance?from=2025-03-03T00:00:00Z&to=2025-03-04T00:00:00Z",
            Some(&t.client),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["per_assignment"][0]["assignment"],
        assignment.as_str()
    );
    assert_eq!(
        report["per_assignment"][0]["performance"]["results"]["conclusions"],
        7
    );
    let (status, report) = app
        .call(
            Method::GET,
            "/api/reports/performance",
            Some(&t.seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    // A seller reads their own figures of the assignments they work: none registered here.
    assert_eq!(
        report["per_assignment"][0]["assignment"],
        assignment.as_str()
    );
    assert_eq!(report["per_user"], json!([]), "{report}");
    assert_eq!(report["overall"]["results"]["conclusions"], 0);

    // Meetings and activity limits are not client reports; sellers read no assignment's
    // reports (only their own performance, above).
    for (uri, token, expected) in [
        (&meetings, &t.client, StatusCode::FORBIDDEN),
        (&limits, &t.client, StatusCode::FORBIDDEN),
        (&meetings, &t.seller, StatusCode::FORBIDDEN),
        (&limits, &t.seller, StatusCode::FORBIDDEN),
        (&hits, &t.seller, StatusCode::FORBIDDEN),
        (&hits, &t.manager, StatusCode::OK),
    ] {
        let (status, body) = app.call(Method::GET, uri, Some(token), None).await;
        assert_eq!(status, expected, "{uri}: {body}");
    }
}

#[tokio::test]
async fn bad_report_windows_are_problems_that_name_the_parameter() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let meetings = format!("/api/assignments/{}/reports/meetings", app.assignment());
    let long = "a".repeat(201);
    for (uri, expected, named) in [
        (
            "/api/reports/performance?from=yesterday".to_owned(),
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/api/reports/performance?from=2025-03-04T00:00:00Z&to=2025-03-03T00:00:00Z".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`to` must be after `from`",
        ),
        (
            format!("{meetings}?to=2025-03-03T00:00:00"),
            StatusCode::BAD_REQUEST,
            "to",
        ),
        (
            format!("{meetings}?from=2999-01-01T00:00:00Z"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "`to` must be after `from`",
        ),
        (
            format!("{meetings}?q={long}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "q",
        ),
        (
            "/api/assignments/42/reports/hits".to_owned(),
            StatusCode::BAD_REQUEST,
            "UUID",
        ),
    ] {
        let (status, problem) = app.call(Method::GET, &uri, Some(&t.admin), None).await;
        assert_eq!(status, expected, "{uri}: {problem}");
        assert!(detail(&problem).contains(named), "{uri}: {problem}");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_customer_endpoints() {
    let app = App::new().await;
    let (status, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let expected = [
        ("/api/data-owners/{id}/customers", "post"),
        ("/api/data-owners/{id}/customers", "get"),
        ("/api/data-owners/{id}/customers/import", "post"),
        ("/api/data-owners/{id}/customers/import-jobs", "post"),
        ("/api/data-owners/{id}/customers/import-file", "post"),
        (
            "/api/data-owners/{id}/customers/import-file/preview",
            "post",
        ),
        ("/api/import-jobs/{id}", "get"),
        ("/api/import-jobs/{id}/rejected", "get"),
        ("/api/customers/{id}", "get"),
        ("/api/customers/{id}", "put"),
        ("/api/customers/{id}/external-state", "post"),
        ("/api/assignments/{id}/enrollments", "post"),
        ("/api/assignments/{id}/selection", "post"),
        ("/api/assignments/{id}/bulk", "post"),
        ("/api/assignments/{id}/time/start", "post"),
        ("/api/assignments/{id}/time", "post"),
        ("/api/time/stop", "post"),
        ("/api/reports/performance", "get"),
        ("/api/assignments/{id}/reports/meetings", "get"),
        ("/api/assignments/{id}/reports/limits", "get"),
        ("/api/assignments/{id}/reports/hits", "get"),
    ];
    for (path, method) in expected {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is missing");
        assert_eq!(
            operation["security"],
            json!([{ "bearer": [] }, { "cookie": [] }]),
            "{method} {path}"
        );
        assert!(
            operation["responses"]["401"]["content"]["application/problem+json"].is_object(),
            "{method} {path} documents its 401 problem"
        );
        let tag = operation["tags"][0].as_str().unwrap_or_default();
        assert!(
            ["customers", "time", "reports"].contains(&tag),
            "{method} {path}: {tag}"
        );
    }
    for schema in [
        "CustomerRecordDto",
        "NewCustomerRequest",
        "ImportRequest",
        "ImportReportDto",
        "ImportJobDto",
        "BulkActionDto",
        "SelectionDto",
        "TimeEntryDto",
        "StateChangeDto",
        "PerformanceReportDto",
        "LimitProgressDto",
        "MeetingRowDto",
        "FieldHitsDto",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} is missing"
        );
    }
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for tag in ["customers", "time", "reports"] {
        assert_eq!(tags.iter().filter(|t| **t == tag).count(), 1, "{tags:?}");
    }
}

/// GETs the customer-status download with `query` as `token`: status, headers, body text.
async fn export(
    app: &App,
    token: &str,
    query: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let uri = format!(
        "/api/assignments/{}/reports/status/export{query}",
        app.assignment()
    );
    let request = Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("a valid request");
    let (status, headers, body) = app.send(request).await;
    let text = match body {
        Value::String(text) => text,
        other => other.to_string(),
    };
    (status, headers, text)
}

/// The customer-status download: CSV of the assignment's customers and their state now, all
/// or those in given states, for managers and the assignment's client; others are refused.
#[tokio::test]
async fn the_customer_status_downloads_as_csv_for_managers_and_the_client() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let customer = app.world.customers[3].id();
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/customers/{customer}/external-state"),
            Some(&t.admin),
            Some(json!({ "state": "Excluded" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, headers, csv) = export(&app, &t.client, "").await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=\"customers-"),
        "{disposition}"
    );
    assert!(
        csv.starts_with('\u{feff}'),
        "a byte-order mark for spreadsheets"
    );
    let lines: Vec<&str> = csv
        .trim_start_matches('\u{feff}')
        .split_terminator("\r\n")
        .collect();
    assert_eq!(
        lines[0],
        "\"external_id\",\"name\",\"dataset\",\"phones\",\"email\",\"address\",\
         \"registry_number\",\"state\",\"category\",\"attempts\",\"segment\",\
         \"industry\",\"employees\""
    );
    assert_eq!(lines.len(), 21, "a header and the 20 customers");
    assert!(
        lines[1].starts_with("\"ext-00000\",\"Customer 00000\",\"b2b\",\"+4790000000\",\"\","),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].ends_with(",\"To Call\",\"available\",\"0\",\"\",\"Energy\",\"1\""),
        "{}",
        lines[1]
    );
    assert!(lines[4].contains("\"excluded\""), "{}", lines[4]);

    let only = format!("?states={}", SalesFlow::EXCLUDED);
    let (status, _, csv) = export(&app, &t.manager, &only).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[1].starts_with("\"ext-00003\""), "{}", lines[1]);
    let both = format!(
        "?states={},{}&separator=semicolon",
        SalesFlow::EXCLUDED,
        SalesFlow::TO_CALL
    );
    let (_, _, csv) = export(&app, &t.admin, &both).await;
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 21);
    assert!(
        lines[1].starts_with("\"ext-00000\";\"Customer 00000\";"),
        "{}",
        lines[1]
    );

    let problems = [
        ("?states=nope", StatusCode::UNPROCESSABLE_ENTITY, "states"),
        (
            "?states=00000000-0000-0000-0000-000000000001",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not in the assignment's flow",
        ),
        ("?separator=tab", StatusCode::BAD_REQUEST, "separator"),
        ("?state=x", StatusCode::BAD_REQUEST, "state"),
    ];
    for (query, expected, named) in problems {
        let (status, headers, body) = export(&app, &t.manager, query).await;
        assert_eq!(status, expected, "{query}: {body}");
        assert!(is_problem(&headers), "{query}");
        assert!(body.contains(named), "{query}: {body}");
    }
    let (status, _, _) = export(&app, &t.seller, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = export(&app, &t.other_admin, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Seed 000 item 7: a seller holding a customer reads every field of the card (the CRM
/// values too, whatever the assignment's view shows) and edits it under the manager's
/// validation; each edit that changes something is recorded (who, when, which fields) and
/// shown on the card and in the customer's history across assignments, which the manager
/// reads with the outcomes. Another seller is refused; bad input and another customer's
/// phone are refused and change nothing.
#[tokio::test]
async fn a_seller_edits_the_card_of_the_customer_they_hold_and_the_history_says_so() {
    let app = App::new().await;
    let t = Tokens::of(&app).await;
    let ola = app.login(&app.world.sellers[1].email.to_string()).await;
    let (_, item) = app
        .call(
            Method::POST,
            &format!("/api/assignments/{}/next", app.assignment()),
            Some(&t.seller),
            None,
        )
        .await;
    let enrollment = item["enrollment"]["id"].as_str().expect("an id").to_owned();
    let customer = item["customer"]["id"].as_str().expect("an id").to_owned();
    let card_uri = format!("/api/enrollments/{enrollment}/customer");
    let (status, card) = app
        .call(Method::GET, &card_uri, Some(&t.seller), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert!(card["customer"]["fields"]["industry"].is_string(), "{card}");
    assert!(
        card["customer"]["fields"]["employees"].is_string(),
        "{card}"
    );
    assert_eq!(card["changes"], json!([]));

    let mut edited = card["customer"].clone();
    for key in ["id", "data_owner", "dataset"] {
        edited.as_object_mut().map(|o| o.remove(key));
    }
    edited["email"] = json!("innkjop@kunde.example.no");
    edited["fields"]["employees"] = json!("42");
    let (status, card) = app
        .call(
            Method::PUT,
            &card_uri,
            Some(&t.seller),
            Some(edited.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["customer"]["email"], "innkjop@kunde.example.no");
    assert_eq!(card["customer"]["fields"]["employees"], "42");
    let changes = card["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{card}");
    assert_eq!(changes[0]["fields"], json!(["email", "fields.employees"]));
    assert_eq!(changes[0]["user"], app.world.sellers[0].id.to_string());
    // The same card again changes nothing and records nothing.
    let (_, again) = app
        .call(
            Method::PUT,
            &card_uri,
            Some(&t.seller),
            Some(edited.clone()),
        )
        .await;
    assert_eq!(
        again["changes"].as_array().map(Vec::len),
        Some(1),
        "{again}"
    );

    // Bad input names the field; another customer's phone is a conflict; neither is kept.
    let mut bad = edited.clone();
    bad["phones"] = json!(["not a phone"]);
    let (status, problem) = app
        .call(Method::PUT, &card_uri, Some(&t.seller), Some(bad))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(detail(&problem).contains("phones"), "{problem}");
    let mut taken = edited.clone();
    taken["phones"] = json!(["+4790000007"]);
    let (status, problem) = app
        .call(Method::PUT, &card_uri, Some(&t.seller), Some(taken))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = app
        .call(Method::PUT, &card_uri, Some(&ola), Some(edited.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        detail(&problem).contains("take the customer first"),
        "{problem}"
    );

    // An outcome, then the manager's view across assignments.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/enrollments/{enrollment}/outcomes"),
            Some(&t.seller),
            Some(json!({ "outcome": SalesFlow::O_NO_ANSWER.as_uuid() })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let history_uri = format!("/api/customers/{customer}/history");
    let (status, history) = app
        .call(Method::GET, &history_uri, Some(&t.manager), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["customer"]["email"], "innkjop@kunde.example.no");
    assert_eq!(history["changes"], card["changes"]);
    let outcomes = history["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 1, "{history}");
    assert_eq!(outcomes[0]["assignment"], app.assignment().to_string());
    assert_eq!(outcomes[0]["enrollment"], enrollment.as_str());
    let (status, _) = app
        .call(Method::GET, &history_uri, Some(&t.seller), None)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "sellers read the history per enrollment"
    );

    // The manager's own edit is recorded too.
    let mut by_manager = edited;
    by_manager["address"] = json!("Kaigata 3\n5003 Bergen");
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/customers/{customer}"),
            Some(&t.manager),
            Some(by_manager),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, history) = app
        .call(Method::GET, &history_uri, Some(&t.manager), None)
        .await;
    assert_eq!(
        history["changes"][1]["fields"],
        json!(["address"]),
        "{history}"
    );
    assert_eq!(
        history["changes"][1]["user"],
        app.world.manager.id.to_string()
    );
}
