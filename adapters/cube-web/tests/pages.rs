//! The web app in process, on the in-memory store: the session and CSRF rules the API has,
//! the seller's cycle through the partials htmx asks for, My Work, the client's view, the
//! language, and what every answer carries (the CSP). The real browser drives the same pages
//! in `tests/browser` (`cargo xtask browser`).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use cube_app::Cube;
use cube_domain::access::User;
use cube_domain::ports::TokenKind;
use cube_testkit::fixtures::{T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use cube_web::{WebState, router};
use http_body_util::BodyExt;
use std::sync::Arc;
use tower::ServiceExt;

struct App {
    router: Router,
    cube: Cube,
    world: World,
    store: Arc<MemoryStore>,
}

async fn app() -> App {
    app_with(cube_sheets::upload::UploadLimits::default()).await
}

/// The app with the operator's file settings `file_imports`.
async fn app_with(file_imports: cube_sheets::upload::UploadLimits) -> App {
    let (store, clock, ids) = (
        Arc::new(MemoryStore::new()),
        Arc::new(FixedClock::new(T0)),
        Arc::new(SequentialIds::new()),
    );
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 5)
        .await
        .expect("world");
    let cube = Cube::new(store.clone(), clock, ids);
    let router = router(WebState {
        cube: cube.clone(),
        secure_cookies: false,
        import_jobs: cube_app::import_jobs::ImportJobs::new(),
        file_imports,
    });
    App {
        router,
        cube,
        world,
        store,
    }
}

impl App {
    async fn session(&self, user: &User) -> String {
        let (token, hash) = cube_session::new_token().expect("token");
        self.cube
            .issue_token(user.id, &hash, TokenKind::Session, None)
            .await
            .expect("session");
        format!("cube_session={token}")
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Response<Body>, String) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("answered");
        let status = response.status();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
        (status, Response::from_parts(parts, Body::empty()), text)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, Response<Body>, String) {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// An htmx request as the pages send it: the CSRF header and `HX-Request`.
    async fn htmx(
        &self,
        path: &str,
        cookie: &str,
        form: &str,
    ) -> (StatusCode, Response<Body>, String) {
        let request = Request::post(path)
            .header(header::COOKIE, cookie)
            .header("x-requested-with", "cube")
            .header("hx-request", "true")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .expect("request");
        self.send(request).await
    }
}

fn header_of<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The value of `attribute` on the first element with `marker` in its tag.
fn attribute<'a>(html: &'a str, marker: &str, attribute: &str) -> &'a str {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = at + html[at..].find('>').expect("tag end");
    let tag = &html[start..end];
    let key = format!("{attribute}=\"");
    let from = tag
        .find(&key)
        .unwrap_or_else(|| panic!("{attribute} in {tag}"))
        + key.len();
    let to = from + tag[from..].find('"').expect("closing quote");
    &tag[from..to]
}

#[tokio::test]
async fn without_a_session_pages_go_to_the_login_and_htmx_is_told_to() {
    let app = app().await;
    let (status, response, _) = app.get("/app", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(header_of(&response, "location"), "/app/login");
    let (status, response, _) = app.get("/app/my-work", Some("cube_session=forged")).await;
    assert_eq!(
        (status, header_of(&response, "location")),
        (StatusCode::SEE_OTHER, "/app/login")
    );
    let path = format!(
        "/app/assignments/{}/next",
        app.world.assignment.id().as_uuid()
    );
    let (status, response, _) = app.htmx(&path, "cube_session=forged", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header_of(&response, "hx-redirect"), "/app/login");
}

#[tokio::test]
async fn every_answer_has_a_strict_content_security_policy_and_the_login_page_no_inline_code() {
    let app = app().await;
    let (status, response, body) = app.get("/app/login", None).await;
    assert_eq!(status, StatusCode::OK);
    let policy = header_of(&response, "content-security-policy");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(
        !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
        "{policy}"
    );
    assert_eq!(header_of(&response, "x-frame-options"), "DENY");
    assert!(body.contains("<form id=\"login\""));
    assert!(
        body.contains("<html lang=\"nb\">"),
        "bokmål without a choice"
    );
    let (_, response, _) = app.get("/app/assets/cube.js", None).await;
    assert!(header_of(&response, "content-type").starts_with("text/javascript"));
    assert!(!header_of(&response, "content-security-policy").is_empty());
    let (status, _, _) = app.get("/app/assets/nothing.js", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn no_template_has_inline_script_style_or_event_handlers() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).expect("templates") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("template");
        let lower = text.to_lowercase();
        for script in lower.match_indices("<script").map(|(at, _)| &lower[at..]) {
            let tag = &script[..script.find('>').expect("tag end")];
            assert!(
                tag.contains(" src="),
                "{}: an inline script",
                path.display()
            );
        }
        assert!(
            !lower.contains("<style"),
            "{}: an inline style sheet",
            path.display()
        );
        assert!(
            !lower.contains(" style="),
            "{}: a style attribute",
            path.display()
        );
        for handler in [
            " onclick=",
            " onload=",
            " onsubmit=",
            " onchange=",
            " onkeydown=",
            "hx-on",
        ] {
            assert!(!lower.contains(handler), "{}: {handler}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 8, "found {checked} templates");
}

#[tokio::test]
async fn a_cookie_request_that_writes_needs_the_csrf_header() {
    let app = app().await;
    let cookie = app.session(&app.world.sellers[0]).await;
    let path = format!(
        "/app/assignments/{}/next",
        app.world.assignment.id().as_uuid()
    );
    let request = Request::post(&path)
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = app.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("X-Requested-With: cube"), "{body}");
}

#[tokio::test]
async fn a_seller_works_a_customer_through_the_partials() {
    let app = app().await;
    let cookie = app.session(&app.world.sellers[0]).await;
    let assignment = app.world.assignment.id().as_uuid();

    let (status, _, home) = app.get("/app", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains(&format!("href=\"/app/assignments/{assignment}\"")),
        "{home}"
    );
    let (status, _, page) = app
        .get(&format!("/app/assignments/{assignment}"), Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"next\""));

    let (status, _, item) = app
        .htmx(&format!("/app/assignments/{assignment}/next"), &cookie, "")
        .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert!(item.contains("id=\"outcome-form\""));
    let enrollment = attribute(&item, "id=\"outcome-form\"", "hx-post")
        .trim_start_matches("/app/enrollments/")
        .trim_end_matches("/outcomes")
        .to_owned();
    // A call-back from a fresh customer is shared (seed 004), a lead's follow-up personal:
    // the form says which before the seller registers.
    assert_eq!(
        attribute(&item, "data-outcome=\"call-back-later\"", "data-follow-up"),
        "shared"
    );
    assert_eq!(
        attribute(&item, "data-outcome=\"lead\"", "data-follow-up"),
        "personal"
    );
    let lead = attribute(&item, "data-outcome=\"lead\"", "value").to_owned();
    let key = attribute(&item, "name=\"key\"", "value").to_owned();

    // A wrong time is named, and the form stays (the problem goes to its slot).
    let bad = format!("assignment={assignment}&key={key}&outcome={lead}&follow_up_at=soon");
    let (status, response, problem) = app
        .htmx(
            &format!("/app/enrollments/{enrollment}/outcomes"),
            &cookie,
            &bad,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(header_of(&response, "hx-retarget"), "#problem");
    assert!(problem.contains("not &#39;soon&#39;"), "{problem}");

    // T0 is 2025-03-03 08:00 UTC, 09:00 in Oslo; the follow-up is typed in local time.
    let good = format!(
        "assignment={assignment}&key={key}&outcome={lead}&follow_up_at=2025-03-04T10%3A00&note=Ring+etter+lunsj"
    );
    let (status, response_done, done) = app
        .htmx(
            &format!("/app/enrollments/{enrollment}/outcomes"),
            &cookie,
            &good,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("class=\"registered\""), "{done}");
    assert_eq!(
        header_of(&response_done, "hx-trigger"),
        "registered",
        "the panel reloads"
    );
    assert!(
        done.contains("04.03.2025 10:00"),
        "local time in the answer: {done}"
    );
    // The same form sent again (a double press) is the same registration, not a second.
    let (status, _, again) = app
        .htmx(
            &format!("/app/enrollments/{enrollment}/outcomes"),
            &cookie,
            &good,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let history = app
        .cube
        .customer_history(
            &app.world.manager,
            cube_domain::ids::EnrollmentId::from_uuid(enrollment.parse().expect("id")),
        )
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "registered once");
    assert_eq!(
        history[0].follow_up().and_then(|f| f.owner),
        Some(app.world.sellers[0].id),
        "personal"
    );
    assert_eq!(
        history[0].follow_up().map(|f| f.due),
        Some(time::macros::datetime!(2025-03-04 09:00 UTC))
    );

    // My Work lists the personal follow-up of tomorrow under the coming week, by name.
    let (status, _, my_work) = app.get("/app/my-work", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    let coming = &my_work[my_work.find("id=\"coming\"").expect("coming")..];
    assert!(coming.contains("04.03.2025 10:00"), "{coming}");
    assert!(
        coming.contains(&format!("/app/enrollments/{enrollment}/take")),
        "{coming}"
    );

    // Moved without calling, to the day after, at noon local time.
    let move_path = format!("/app/enrollments/{enrollment}/follow-up");
    assert!(
        coming.contains(&format!("hx-post=\"{move_path}\"")),
        "{coming}"
    );
    let (status, response, _) = app
        .htmx(&move_path, &cookie, "due=2025-03-05T12%3A00")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header_of(&response, "hx-redirect"), "/app/my-work");
    let (_, _, moved) = app.get("/app/my-work", Some(&cookie)).await;
    assert!(moved.contains("05.03.2025 12:00"), "{moved}");
    let (status, _, refused) = app
        .htmx(&move_path, &cookie, "due=2020-01-01T12%3A00")
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a time in the past: {refused}"
    );
    let (status, _, panel) = app.get("/app/my-work/panel", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !panel.contains("<html") && !panel.contains("05.03.2025"),
        "today only: {panel}"
    );

    // The next customer, released: back in the pool.
    let (_, _, item) = app
        .htmx(&format!("/app/assignments/{assignment}/next"), &cookie, "")
        .await;
    let second = attribute(&item, "id=\"release\"", "hx-post").to_owned();
    assert_ne!(second, format!("/app/enrollments/{enrollment}/release"));
    let (status, _, released) = app.htmx(&second, &cookie, "").await;
    assert_eq!(status, StatusCode::OK, "{released}");
    assert!(released.contains("frigitt"), "{released}");
}

#[tokio::test]
async fn a_client_user_works_nothing_and_the_workspace_is_not_there_for_them() {
    let app = app().await;
    let cookie = app.session(&app.world.client_user).await;
    // A client works nothing: their start page is the reports.
    let (status, response, _) = app.get("/app", Some(&cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(header_of(&response, "location"), "/app/reports");
    let (_, _, reports) = app.get("/app/reports", Some(&cookie)).await;
    assert!(!reports.contains("id=\"nav-my-work\""), "{reports}");
    let path = format!("/app/assignments/{}", app.world.assignment.id().as_uuid());
    let (status, _, page) = app.get(&path, Some(&cookie)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    let (status, _, _) = app.htmx(&format!("{path}/next"), &cookie, "").await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "{status}"
    );
}

#[tokio::test]
async fn the_language_is_the_cookie_then_the_browser_and_never_an_open_redirect() {
    let app = app().await;
    let cookie = app.session(&app.world.sellers[0]).await;
    let (status, response, _) = app.get("/app/lang/en?back=/app/my-work", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(header_of(&response, "location"), "/app/my-work");
    assert!(header_of(&response, "set-cookie").starts_with("cube_lang=en;"));
    let (_, response, _) = app
        .get("/app/lang/en?back=https://evil.example", None)
        .await;
    assert_eq!(header_of(&response, "location"), "/app");
    let (status, _, _) = app.get("/app/lang/xx", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, _, english) = app
        .get("/app/my-work", Some(&format!("{cookie}; cube_lang=en")))
        .await;
    assert!(english.contains("<h1>My Work</h1>"), "{english}");
    let request = Request::get("/app/my-work")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
        .body(Body::empty())
        .expect("request");
    let (_, _, browser) = app.send(request).await;
    assert!(browser.contains("<html lang=\"en\">"));
    let (_, _, norsk) = app.get("/app/my-work", Some(&cookie)).await;
    assert!(norsk.contains("<h1>Mitt Arbeid</h1>"), "{norsk}");
}

#[tokio::test]
async fn a_client_reads_the_reports_of_their_assignment_with_charts_and_downloads() {
    let app = app().await;
    let seller = app.session(&app.world.sellers[0]).await;
    let client = app.session(&app.world.client_user).await;
    let assignment = app.world.assignment.id().as_uuid();

    // One No answer today, so the outcome report has a row.
    let (_, _, item) = app
        .htmx(&format!("/app/assignments/{assignment}/next"), &seller, "")
        .await;
    let enrollment = attribute(&item, "id=\"release\"", "hx-post")
        .trim_start_matches("/app/enrollments/")
        .trim_end_matches("/release")
        .to_owned();
    let no_answer = attribute(&item, "data-outcome=\"no-answer\"", "value").to_owned();
    let form = format!("assignment={assignment}&outcome={no_answer}");
    let (status, _, done) = app
        .htmx(
            &format!("/app/enrollments/{enrollment}/outcomes"),
            &seller,
            &form,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");

    let (status, _, index) = app.get("/app/reports", Some(&client)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        index.contains(&format!("href=\"/app/reports/{assignment}\"")),
        "{index}"
    );
    assert!(
        !index.contains("id=\"nav-my-work\""),
        "a client gets no seller links"
    );

    let (status, _, page) = app
        .get(&format!("/app/reports/{assignment}"), Some(&client))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for section in [
        "report-activity",
        "report-status",
        "report-outcomes",
        "report-downloads",
    ] {
        assert!(
            page.contains(&format!("id=\"{section}\"")),
            "{section} in {page}"
        );
    }
    let outcomes = &page[page.find("id=\"report-outcomes\"").expect("outcomes")..];
    assert!(outcomes.contains("No answer"), "{outcomes}");
    assert!(outcomes.contains("<svg class=\"chart\""), "{outcomes}");
    let download = &page[page.find("outcome-events/export").expect("download")..];
    let href = download[..download.find('"').expect("end of href")].replace("&#38;", "&amp;");
    assert_eq!(
        href, "outcome-events/export?format=xlsx&amp;from=2025-03-03&amp;to=2025-03-04",
        "today, local"
    );
    let downloads = &page[page.find("id=\"report-downloads\"").expect("downloads")..];
    for file in [
        "reports/sales/open-offers/export?format=xlsx",
        "reports/status/export?format=xlsx",
    ] {
        assert!(downloads.contains(file), "{file} in {downloads}");
    }
    assert!(
        !downloads.contains("reports/meetings/export"),
        "the meetings report is not the client's, nor its file: {downloads}"
    );

    let (_, _, reversed) = app
        .get(
            &format!("/app/reports/{assignment}?from=2025-03-05&to=2025-03-01"),
            Some(&client),
        )
        .await;
    assert!(reversed.contains("class=\"problem\""), "{reversed}");
    let (_, _, garbage) = app
        .get(
            &format!("/app/reports/{assignment}?from=yesterday"),
            Some(&client),
        )
        .await;
    assert!(garbage.contains("class=\"problem\""), "{garbage}");

    let (status, _, _) = app
        .get(
            &format!("/app/reports/{}", uuid_of_nothing()),
            Some(&client),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app.get("/app/reports/not-an-id", Some(&client)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn uuid_of_nothing() -> String {
    "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee".to_owned()
}

#[tokio::test]
async fn the_wallboard_shows_the_last_hour_per_seller_and_refreshes_itself() {
    let app = app().await;
    let seller = app.session(&app.world.sellers[0]).await;
    let manager = app.session(&app.world.manager).await;
    let assignment = app.world.assignment.id().as_uuid();
    let (_, _, item) = app
        .htmx(&format!("/app/assignments/{assignment}/next"), &seller, "")
        .await;
    let enrollment = attribute(&item, "id=\"release\"", "hx-post")
        .trim_start_matches("/app/enrollments/")
        .trim_end_matches("/release")
        .to_owned();
    let no_sale = attribute(&item, "data-outcome=\"no-sale\"", "value").to_owned();
    let form = format!("assignment={assignment}&outcome={no_sale}");
    app.htmx(
        &format!("/app/enrollments/{enrollment}/outcomes"),
        &seller,
        &form,
    )
    .await;

    let (status, _, page) = app
        .get(&format!("/app/wallboard/{assignment}"), Some(&manager))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(&format!("hx-get=\"/app/wallboard/{assignment}/board\"")));
    assert!(page.contains("hx-trigger=\"every 10s\""));
    let sellers = &page[page.find("id=\"wallboard-sellers\"").expect("sellers")..];
    assert!(
        sellers.contains(app.world.sellers[0].name.as_str()),
        "{sellers}"
    );
    let (status, _, board) = app
        .get(
            &format!("/app/wallboard/{assignment}/board"),
            Some(&manager),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!board.contains("<html"), "a partial");
    assert!(board.contains(app.world.sellers[0].name.as_str()));

    let (status, _, _) = app
        .get(&format!("/app/wallboard/{assignment}"), Some(&seller))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a seller reads only their own figures"
    );
}

/// The form fields of the first `<form id="…">` in `html`, as the browser would post them:
/// text inputs and hidden fields with their values, checked boxes, selected options.
fn form_fields(html: &str, form_id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("<form id=\"{form_id}\"")).expect("form");
    let end = start + html[start..].find("</form>").expect("form end");
    let form = &html[start..end];
    let value_of = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let from = tag.find(&key)? + key.len();
        Some(
            tag[from..from + tag[from..].find('"')?]
                .replace("&#38;", "&")
                .replace("&amp;", "&"),
        )
    };
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let close = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..close];
        if tag.starts_with("<input") {
            if let Some(name) = value_of(tag, "name") {
                let kind = value_of(tag, "type").unwrap_or_else(|| "text".into());
                let checked = tag.contains(" checked");
                match kind.as_str() {
                    "checkbox" | "radio" if !checked => {}
                    "checkbox" | "radio" => {
                        fields.push((name, value_of(tag, "value").unwrap_or_else(|| "on".into())))
                    }
                    _ => fields.push((name, value_of(tag, "value").unwrap_or_default())),
                }
            }
        } else if tag.starts_with("<select") {
            let name = value_of(tag, "name").expect("select name");
            let body_end = rest.find("</select>").expect("select end");
            let body = &rest[..body_end];
            let chosen = body
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| body.split("<option").nth(1))
                .and_then(|o| value_of(o, "value"))
                .unwrap_or_default();
            fields.push((name, chosen));
        }
        rest = &rest[1..];
    }
    fields
}

fn encode(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn an_admin_builds_a_flow_fixes_its_problem_publishes_it_and_starts_an_assignment() {
    let app = app().await;
    let admin = app.session(&app.world.admin).await;
    let owner = app.world.data_owner.id().as_uuid();

    let (status, _, index) = app.get("/app/setup", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{index}");
    assert!(index.contains(&format!("/app/setup/owners/{owner}/flows")));

    let (status, response, _) = app
        .htmx(
            &format!("/app/setup/owners/{owner}/flows"),
            &admin,
            "name=Vinter&template=sales",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let editor_path = header_of(&response, "hx-redirect").to_owned();
    assert!(
        editor_path.starts_with("/app/setup/flows/"),
        "{editor_path}"
    );
    let (status, _, page) = app.get(&editor_path, Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<svg class=\"flow-graph\""));
    assert!(
        !page.contains("class=\"field-problem\""),
        "the template is valid"
    );

    // The error: the Sale outcome may no longer be chosen from any state.
    let mut fields = form_fields(&page, "flow-form");
    let sale = fields
        .iter()
        .find(|(k, v)| k.ends_with(".name") && k.starts_with("outcome.") && v == "Sale")
        .map(|(k, _)| k.trim_end_matches(".name").to_owned())
        .expect("the Sale outcome");
    let from_key = format!("{sale}.from");
    let kept: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| *k == from_key)
        .cloned()
        .collect();
    fields.retain(|(k, _)| *k != from_key);
    fields.push(("action".into(), "publish".into()));
    let (status, _, editor) = app.htmx(&editor_path, &admin, &encode(&fields)).await;
    assert_eq!(status, StatusCode::OK, "{editor}");
    let row = &editor[editor
        .find(&format!(
            "id=\"outcome-{}\"",
            sale.trim_start_matches("outcome.")
        ))
        .expect("sale row")..];
    let row = &row[..row.find("</fieldset>").expect("row end")];
    assert!(
        row.contains("class=\"field-problem\""),
        "the problem is next to the outcome: {row}"
    );
    assert!(row.contains("kan ikke velges fra noen tilstand"), "{row}");
    assert!(!editor.contains("Publisert som versjon"), "not published");

    // Fixed: published as version 1, with a way to start an assignment.
    fields.retain(|(k, _)| k != "action");
    fields.extend(kept);
    fields.push(("action".into(), "publish".into()));
    let (status, _, published) = app.htmx(&editor_path, &admin, &encode(&fields)).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert!(
        published.contains("Publisert som versjon 1."),
        "{published}"
    );
    let start = attribute(&published, "id=\"start-assignment\"", "href").replace("&#38;", "&");
    let (status, _, new_page) = app.get(&start.replace('|', "%7C"), Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{new_page}");
    let mut fields = form_fields(&new_page, "new-assignment");
    fields.retain(|(k, _)| k != "name");
    fields.push(("name".into(), "Vinterkampanje".into()));
    let (status, response, body) = app
        .htmx(
            &format!("/app/setup/owners/{owner}/assignments"),
            &admin,
            &encode(&fields),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let setup_path = header_of(&response, "hx-redirect").to_owned();

    // Its set-up: offer the first product, keep a 20-minute reservation.
    let (status, _, setup) = app.get(&setup_path, Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let mut fields = form_fields(&setup, "assignment-form");
    fields.push((
        "product".into(),
        app.world.products[0].id().as_uuid().to_string(),
    ));
    fields.retain(|(k, _)| k != "lease");
    fields.push(("lease".into(), "20".into()));
    let (status, _, saved) = app.htmx(&setup_path, &admin, &encode(&fields)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(saved.contains("Oppsettet er lagret."), "{saved}");
    let id = cube_domain::ids::AssignmentId::from_uuid(
        setup_path
            .trim_start_matches("/app/setup/assignments/")
            .parse()
            .expect("id"),
    );
    let stored = app
        .cube
        .assignment_setup(&app.world.admin, id)
        .await
        .expect("setup");
    assert_eq!(stored.lease, time::Duration::minutes(20));
    assert!(
        stored
            .products
            .available
            .contains(&app.world.products[0].id())
    );
    let (_, _, bad) = app
        .htmx(
            &setup_path,
            &admin,
            &encode(&[
                ("lease".into(), "soon".into()),
                ("retry".into(), "5".into()),
            ]),
        )
        .await;
    assert!(bad.contains("not a whole number of minutes"), "{bad}");
}

#[tokio::test]
async fn set_up_pages_are_not_there_for_sellers_and_clients() {
    let app = app().await;
    let owner = app.world.data_owner.id().as_uuid();
    let assignment = app.world.assignment.id().as_uuid();
    for user in [&app.world.client_user, &app.world.sellers[0]] {
        let cookie = app.session(user).await;
        for path in [
            "/app/setup".to_owned(),
            format!("/app/setup/owners/{owner}/flows"),
            format!("/app/setup/owners/{owner}/products"),
            format!("/app/setup/owners/{owner}/assignments/new"),
            format!("/app/setup/assignments/{assignment}"),
            format!("/app/setup/flows/{}", app.world.sales_flow.id().as_uuid()),
        ] {
            let (status, _, body) = app.get(&path, Some(&cookie)).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{path} for {}: {body}",
                user.name
            );
        }
        let (status, _, _) = app
            .htmx(
                &format!("/app/setup/owners/{owner}/flows"),
                &cookie,
                "name=X&template=sales",
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_seller_opens_and_edits_the_card_of_the_customer_they_hold() {
    let app = app().await;
    let seller = app.session(&app.world.sellers[0]).await;
    let other = app.session(&app.world.sellers[1]).await;
    let assignment = app.world.assignment.id().as_uuid();
    let (_, _, item) = app
        .htmx(&format!("/app/assignments/{assignment}/next"), &seller, "")
        .await;
    let card_path = attribute(&item, "id=\"open-card\"", "hx-get").to_owned();
    let (status, response, card) = app.get(&card_path, Some(&seller)).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert!(!header_of(&response, "content-security-policy").is_empty());
    let mut fields = form_fields(&card, "card-form");
    fields.retain(|(k, _)| k != "email");
    fields.push(("email".into(), "ny@kunde.example.no".into()));
    let (status, _, saved) = app.htmx(&card_path, &seller, &encode(&fields)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(saved.contains("value=\"ny@kunde.example.no\""), "{saved}");
    assert!(
        saved.contains("class=\"changes\"") && saved.contains("email"),
        "{saved}"
    );
    // A bad e-mail is named and nothing is saved.
    fields.retain(|(k, _)| k != "email");
    fields.push(("email".into(), "not an address".into()));
    let (status, _, refused) = app.htmx(&card_path, &seller, &encode(&fields)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    // Another seller does not hold the customer: not theirs to open.
    let (status, _, _) = app.get(&card_path, Some(&other)).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}

/// A company's organisation number is its key in the data owner's register (issue 16): the
/// card refuses another company's number, in bokmål, naming the number, and saves nothing.
#[tokio::test]
async fn the_card_refuses_another_companys_organisation_number() {
    let app = app().await;
    let seller = app.session(&app.world.sellers[0]).await;
    app.cube
        .add_customer(
            &app.world.manager,
            app.world.data_owner.id(),
            cube_domain::data_owner::Dataset::B2b,
            cube_app::customers::CustomerInput {
                name: "Brønnøysundregistrene".into(),
                phones: vec!["+47 912 00 001".into()],
                registry_number: Some("974760673".into()),
                ..cube_app::customers::CustomerInput::default()
            },
        )
        .await
        .expect("a company with its number");
    let (card_path, card) = open_card(&app, &seller).await;
    let mut fields = form_fields(&card, "card-form");
    fields.retain(|(k, _)| k != "registry_number");
    fields.push(("registry_number".into(), "NO 974 760 673 MVA".into()));
    let (status, _, refused) = app.htmx(&card_path, &seller, &encode(&fields)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused.contains("har allerede organisasjonsnummeret 974760673"),
        "{refused}"
    );
    let (_, _, card) = app.get(&card_path, Some(&seller)).await;
    assert!(!card.contains("974"), "nothing saved: {card}");
}

/// Seed 000 item 8: from the card, the seller sends one of the assignment's templates; the
/// card offers only what can be sent (an SMS template with a sender, an e-mail template with
/// a sender address), and a customer without an address is told so.
#[tokio::test]
async fn a_seller_sends_a_template_from_the_card() {
    use cube_domain::assignment::setup::{SmsSender, Template};
    use cube_domain::ports::Store;
    use cube_domain::values::{Email, Name};
    let app = app().await;
    let id = app.world.assignment.id();
    let mut setup = app
        .cube
        .assignment_setup(&app.world.manager, id)
        .await
        .expect("setup");
    setup.communication.sms_sender = Some(SmsSender::Text("Acme".into()));
    setup.communication.sms_templates = vec![Template {
        name: Name::parse("Påminnelse").expect("name"),
        subject: String::new(),
        body: "Hei {{ name }}, hilsen {{ seller.name }}".into(),
    }];
    setup.communication.email_templates = vec![Template {
        name: Name::parse("Takk").expect("name"),
        subject: "Takk".into(),
        body: "<p>Takk</p>".into(),
    }];
    app.cube
        .update_assignment_setup(&app.world.manager, id, setup.clone(), None)
        .await
        .expect("setup");
    let seller = app.session(&app.world.sellers[0]).await;
    let (_, _, item) = app
        .htmx(
            &format!("/app/assignments/{}/next", id.as_uuid()),
            &seller,
            "",
        )
        .await;
    let card_path = attribute(&item, "id=\"open-card\"", "hx-get").to_owned();
    let (status, _, card) = app.get(&card_path, Some(&seller)).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert!(card.contains("value=\"sms:Påminnelse\""), "{card}");
    assert!(
        !card.contains("value=\"email:Takk\""),
        "no sender address: the e-mail template is not offered: {card}"
    );
    let message_path = format!("{card_path}/message");
    let (status, _, sent) = app
        .htmx(
            &message_path,
            &seller,
            &encode(&[("template".into(), "sms:Påminnelse".into())]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert!(
        sent.contains("SMS-en er lagt i kø til +47") || sent.contains("The SMS is queued to +47"),
        "{sent}"
    );
    // The card's form carries a fresh key: the same form posted twice (a double click)
    // queues one SMS.
    let key = attribute(&card, "name=\"request_key\"", "value").to_owned();
    assert_eq!(key.len(), 36, "{card}");
    let queued = || async {
        let mut uow = app.store.begin_read().await.expect("read");
        uow.pending_messages(100).await.expect("outbox").len()
    };
    let before = queued().await;
    for _ in 0..2 {
        let (status, _, sent) = app
            .htmx(
                &message_path,
                &seller,
                &encode(&[
                    ("template".into(), "sms:Påminnelse".into()),
                    ("request_key".into(), key.clone()),
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{sent}");
    }
    assert_eq!(queued().await, before + 1, "one SMS for a double click");
    // An e-mail template without a sender address is refused, saying what to set.
    let (status, _, refused) = app
        .htmx(
            &message_path,
            &seller,
            &encode(&[("template".into(), "email:Takk".into())]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.contains("communication.mail_from"), "{refused}");

    setup.communication.mail_from = Some(Email::parse("salg@acme.no").expect("from"));
    app.cube
        .update_assignment_setup(&app.world.manager, id, setup, None)
        .await
        .expect("setup");
    let (_, _, card) = app.get(&card_path, Some(&seller)).await;
    assert!(card.contains("value=\"email:Takk\""), "{card}");
    let (status, _, refused) = app
        .htmx(
            &message_path,
            &seller,
            &encode(&[("template".into(), "email:Takk".into())]),
        )
        .await;
    // The world's customers have no e-mail address.
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.contains("no e-mail address"), "{refused}");
    // Another seller does not hold the customer: nothing is sent for them.
    let other = app.session(&app.world.sellers[1]).await;
    let (status, _, _) = app
        .htmx(
            &message_path,
            &other,
            &encode(&[("template".into(), "sms:Påminnelse".into())]),
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}

/// The seller takes the next customer and opens its card: the card's path and the page.
async fn open_card(app: &App, seller: &str) -> (String, String) {
    let id = app.world.assignment.id();
    let (_, _, item) = app
        .htmx(
            &format!("/app/assignments/{}/next", id.as_uuid()),
            seller,
            "",
        )
        .await;
    let card_path = attribute(&item, "id=\"open-card\"", "hx-get").to_owned();
    let (status, _, card) = app.get(&card_path, Some(seller)).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    (card_path, card)
}

/// Makes the assignment show `shared` as its caller id.
async fn show_caller_id(app: &App, shared: &str) {
    use cube_domain::assignment::setup::CallerId;
    let id = app.world.assignment.id();
    let mut setup = app
        .cube
        .assignment_setup(&app.world.manager, id)
        .await
        .expect("setup");
    setup.communication.caller_id =
        CallerId::Shared(cube_domain::values::PhoneNumber::parse(shared).expect("a number"));
    app.cube
        .update_assignment_setup(&app.world.manager, id, setup, None)
        .await
        .expect("setup");
}

#[tokio::test]
async fn a_seller_calls_the_customer_from_the_card_on_a_softphone_and_sees_the_call() {
    let app = app().await;
    let seller = app.session(&app.world.sellers[0]).await;
    let (card_path, card) = open_card(&app, &seller).await;
    let call_path = attribute(&card, "id=\"call-form\"", "hx-post").to_owned();
    assert_eq!(call_path, format!("{card_path}/call"));
    assert!(card.contains("Ring kunden"), "{card}");
    assert!(!card.contains("id=\"card-calls\""), "no calls yet: {card}");

    // The assignment shows each seller's own number, and the seller has none.
    let (status, _, refused) = app.htmx(&call_path, &seller, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("du har ikke noe telefonnummer"),
        "{refused}"
    );
    // A shared number the organisation did not register is never shown.
    show_caller_id(&app, "+4722334455").await;
    let (status, _, refused) = app.htmx(&call_path, &seller, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("+4722334455 er ikke registrert"),
        "{refused}"
    );
    // Without the CSRF header nothing is called.
    let request = Request::post(call_path.as_str())
        .header(header::COOKIE, &seller)
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    app.cube
        .set_caller_ids(&app.world.admin, &["+4722334455".into()])
        .await
        .expect("registered");
    let (status, _, called) = app.htmx(&call_path, &seller, "").await;
    assert_eq!(status, StatusCode::OK, "{called}");
    let link = attribute(&called, "id=\"call-link\"", "href");
    assert!(link.starts_with("tel:+47"), "{called}");
    assert!(called.contains("Ring fra softphonen din"), "{called}");
    assert!(
        called.contains("kunden ser nummeret +4722334455"),
        "{called}"
    );
    // Listed on the card in the organisation's time (Oslo: UTC+1 in March).
    assert!(called.contains("id=\"card-calls\""), "{called}");
    assert!(called.contains("03.03.2025 09:00"), "{called}");
    assert!(called.contains("ringt fra softphone"), "{called}");
    let calls = app
        .cube
        .calls_of(&app.world.sellers[0], app.world.enrollments[0].id())
        .await
        .expect("calls");
    assert_eq!(calls.len(), 1, "one call recorded");
    let to = calls[0].to.as_ref().expect("the number called");
    assert_eq!(link, format!("tel:{}", to.as_str()));
    // The call counts in the assignment's performance report, beside the hours.
    let manager = app.session(&app.world.manager).await;
    let (status, _, report) = app
        .get(
            &format!("/app/reports/{}", app.world.assignment.id().as_uuid()),
            Some(&manager),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert!(
        report.contains("<dt>Antall samtaler</dt><dd>1</dd>"),
        "{report}"
    );
    assert!(report.contains("<dt>Taletid</dt><dd>0 s</dd>"), "{report}");

    // On the do-not-call list: refused, saying why.
    app.cube
        .set_do_not_call(
            &app.world.manager,
            app.world.customers[0].id(),
            Some("ba om å ikke bli ringt"),
        )
        .await
        .expect("listed");
    let (status, _, refused) = app.htmx(&call_path, &seller, "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(refused.contains("«ikke ring»-liste"), "{refused}");

    // Another seller does not hold the customer: no call for them.
    let other = app.session(&app.world.sellers[1]).await;
    let (status, _, _) = app.htmx(&call_path, &other, "").await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}

#[tokio::test]
async fn through_a_pbx_the_card_says_calling_with_the_caller_id_and_shows_the_talk_time() {
    use cube_domain::call::CallEvent;
    let mut app = app().await;
    let pbx = Arc::new(cube_testkit::RecordingTelephony::new());
    app.cube = app
        .cube
        .clone()
        .with_telephony(pbx.clone() as Arc<dyn cube_domain::ports::Telephony>);
    app.router = router(WebState {
        cube: app.cube.clone(),
        secure_cookies: false,
        import_jobs: cube_app::import_jobs::ImportJobs::new(),
        file_imports: cube_sheets::upload::UploadLimits::default(),
    });
    show_caller_id(&app, "+4722334455").await;
    app.cube
        .set_caller_ids(&app.world.admin, &["+4722334455".into()])
        .await
        .expect("registered");
    let seller = app.session(&app.world.sellers[0]).await;
    let (card_path, card) = open_card(&app, &seller).await;
    let call_path = format!("{card_path}/call");
    let key = attribute(&card, "name=\"request_key\"", "value").to_owned();

    // The PBX rings the seller's phone first: without one, refused in the seller's words.
    let (status, _, refused) = app.htmx(&call_path, &seller, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.contains("ringer telefonen din først"), "{refused}");
    assert!(pbx.calls().is_empty(), "nothing asked of the PBX");

    app.cube
        .set_user_phone(
            &app.world.admin,
            app.world.sellers[0].id,
            Some("+4790000001"),
        )
        .await
        .expect("the seller's phone");
    // A double click: the card's key twice rings once.
    for _ in 0..2 {
        let request = Request::post(call_path.as_str())
            .header(header::COOKIE, &seller)
            .header("x-requested-with", "cube")
            .header("hx-request", "true")
            .header(header::ACCEPT_LANGUAGE, "en")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("request_key={key}")))
            .expect("request");
        let (status, _, called) = app.send(request).await;
        assert_eq!(status, StatusCode::OK, "{called}");
    }
    let request = Request::post(call_path.as_str())
        .header(header::COOKIE, &seller)
        .header("x-requested-with", "cube")
        .header("hx-request", "true")
        .header(header::ACCEPT_LANGUAGE, "en")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("request_key={key}")))
        .expect("request");
    let (status, _, called) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{called}");
    assert!(
        called.contains("Calling … your phone rings first"),
        "{called}"
    );
    assert!(
        called.contains("the customer sees the number +4722334455"),
        "{called}"
    );
    assert!(
        !called.contains("id=\"call-link\""),
        "no tel: link: {called}"
    );
    assert!(called.contains("started"), "{called}");
    assert_eq!(pbx.calls().len(), 1, "the PBX is asked once");

    let at = cube_testkit::fixtures::T0 + time::Duration::minutes(4);
    for (status, duration) in [("in-progress", None), ("completed", Some("192"))] {
        app.cube
            .record_call_event(
                None,
                "call-1",
                CallEvent::parse(status, duration, at).expect("an event"),
            )
            .await
            .expect("recorded");
    }
    let (_, _, card) = app.get(&card_path, Some(&seller)).await;
    assert!(card.contains("fullført"), "{card}");
    assert!(card.contains("3 min 12 s"), "{card}");
}

#[tokio::test]
async fn an_admin_changes_roles_and_deactivates_users_and_nobody_else_sees_them() {
    let app = app().await;
    let admin = app.session(&app.world.admin).await;
    let (status, _, page) = app.get("/app/setup/users", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains(app.world.sellers[1].email.as_str()));
    assert!(
        page.contains("data-api=\"/api/users\""),
        "new users through the API's hashing"
    );
    let target = app.world.sellers[1].id.as_uuid();
    let owner = app.world.data_owner.id().as_uuid();
    let (status, response, body) = app
        .htmx(
            &format!("/app/setup/users/{target}/role"),
            &admin,
            &format!("role=manager&data_owner={owner}"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(header_of(&response, "hx-redirect"), "/app/setup/users");
    let users = app.cube.users(&app.world.admin).await.expect("users");
    let changed = users
        .iter()
        .find(|u| u.id == app.world.sellers[1].id)
        .expect("user");
    assert_eq!(changed.role.kind(), cube_domain::access::RoleKind::Manager);
    let (status, _, _) = app
        .htmx(
            &format!("/app/setup/users/{target}/active"),
            &admin,
            "active=false",
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let users = app.cube.users(&app.world.admin).await.expect("users");
    assert!(
        !users
            .iter()
            .any(|u| u.id == app.world.sellers[1].id && u.active)
    );
    // The admin's own role is not theirs to change.
    let me = app.world.admin.id.as_uuid();
    let (status, _, _) = app
        .htmx(
            &format!("/app/setup/users/{me}/role"),
            &admin,
            "role=seller",
        )
        .await;
    assert!(status.is_client_error(), "{status}");

    let seller = app.session(&app.world.sellers[0]).await;
    let (status, _, _) = app.get("/app/setup/users", Some(&seller)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .htmx(
            &format!("/app/setup/users/{target}/active"),
            &seller,
            "active=true",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_sets_the_gdpr_details_and_crm_fields_of_a_new_data_owner() {
    let app = app().await;
    let admin = app.session(&app.world.admin).await;
    let (status, response, body) = app
        .htmx("/app/setup/owners", &admin, "name=Fiber+Nord")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let path = header_of(&response, "hx-redirect").to_owned();
    let (status, _, page) = app.get(&path, Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("class=\"problem\""),
        "the GDPR banner while details are missing"
    );

    let gdpr = "company_name=Fiber+Nord+AS&organisation_number=999888777&address=Storgata+1&contact_email=pv%40fiber.example.no&data_protection_contact=Ola&purpose.0.description=Telefonsalg&purpose.0.basis=legitimate-interests";
    let (status, _, body) = app.htmx(&format!("{path}/gdpr"), &admin, gdpr).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let fields = "field.0.key=industry&field.0.label=Bransje&field.0.type=choice&field.0.choices=Energi%2C+Handel&field.1.key=&field.1.type=text";
    let (status, _, body) = app
        .htmx(&format!("{path}/fields/b2b"), &admin, fields)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, _, page) = app.get(&path, Some(&admin)).await;
    assert!(
        !page.contains("role=\"alert\">"),
        "no banner once complete: {page}"
    );
    assert!(
        page.contains("value=\"industry\"") && page.contains("value=\"Energi, Handel\""),
        "{page}"
    );

    let (status, _, bad) = app
        .htmx(&format!("{path}/fields/b2b"), &admin, "field.0.key=Bad+Key")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, _, _) = app.htmx(&format!("{path}/fields/b2x"), &admin, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let seller = app.session(&app.world.sellers[0]).await;
    let (status, _, _) = app.get(&path, Some(&seller)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app.htmx("/app/setup/owners", &seller, "name=Mine").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_manager_sets_a_calendars_opening_hours_and_a_seller_cannot() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let owner = app.world.data_owner.id().as_uuid();
    let path = format!("/app/setup/owners/{owner}/calendars");
    let (status, _, page) = app.get(&path, Some(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let calendar = app.world.calendar.id.as_uuid();
    let form = "name=Salgsm%C3%B8ter&monday.opens=08%3A00&monday.closes=16%3A00&active=on";
    let (status, response, body) = app
        .htmx(&format!("/app/setup/calendars/{calendar}"), &manager, form)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(header_of(&response, "hx-redirect"), path);
    let stored = app
        .cube
        .calendars(&app.world.manager, app.world.data_owner.id())
        .await
        .expect("calendars");
    let stored = stored
        .iter()
        .find(|c| c.id == app.world.calendar.id)
        .expect("calendar");
    assert_eq!(stored.opening_hours.len(), 1);
    assert!(stored.active && !stored.allows_overlap);
    let (_, _, page) = app.get(&path, Some(&manager)).await;
    assert!(
        page.contains("name=\"monday.opens\" type=\"time\" value=\"08:00\""),
        "{page}"
    );
    let (status, _, half) = app
        .htmx(
            &format!("/app/setup/calendars/{calendar}"),
            &manager,
            "name=X&friday.opens=09%3A00",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{half}");
    let (status, _, _) = app.htmx(&path, &manager, "name=Rom+2").await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let seller = app.session(&app.world.sellers[0]).await;
    let (status, _, _) = app.get(&path, Some(&seller)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .htmx(&format!("/app/setup/calendars/{calendar}"), &seller, form)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_manager_sets_options_ownership_visibility_priority_and_segments() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let id = app.world.assignment.id();
    let path = format!("/app/setup/assignments/{}", id.as_uuid());
    let (status, _, page) = app.get(&path, Some(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let sale = cube_domain::flow::seeds::SalesFlow::O_SALE.as_uuid();
    let lead = cube_domain::flow::seeds::SalesFlow::O_LEAD.as_uuid();
    assert!(
        page.contains(&format!("name=\"ownership.{lead}\"")),
        "a lead schedules follow-ups"
    );
    let mut fields: Vec<(String, String)> = form_fields(&page, "assignment-form")
        .into_iter()
        .filter(|(k, _)| {
            !k.starts_with("options.")
                && !k.starts_with("ownership.")
                && k != "priority"
                && !k.starts_with("visible_")
        })
        .collect();
    fields.extend([
        (format!("options.{sale}"), "Strøm, Fiber".to_owned()),
        (format!("ownership.{lead}"), "shared".to_owned()),
        ("visible_from".to_owned(), "2025-03-01".to_owned()),
        ("visible_to".to_owned(), "2025-06-30".to_owned()),
        ("priority".to_owned(), "fewest-attempts".to_owned()),
        ("priority".to_owned(), "".to_owned()),
        ("priority".to_owned(), "import-order".to_owned()),
    ]);
    let (status, _, saved) = app.htmx(&path, &manager, &encode(&fields)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let setup = app
        .cube
        .assignment_setup(&app.world.manager, id)
        .await
        .expect("setup");
    let options: Vec<String> = setup.outcome_options[&cube_domain::flow::seeds::SalesFlow::O_SALE]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(options, vec!["Strøm", "Fiber"]);
    assert_eq!(
        setup
            .follow_up_ownership
            .get(&cube_domain::flow::seeds::SalesFlow::O_LEAD),
        Some(&cube_domain::assignment::setup::FollowUpOwnership::Shared)
    );
    assert_eq!(
        setup.visibility.to,
        Some(time::macros::date!(2025 - 06 - 30))
    );
    assert_eq!(
        setup.priority,
        vec![
            cube_domain::assignment::setup::PriorityRule::FewestAttempts,
            cube_domain::assignment::setup::PriorityRule::ImportOrder
        ]
    );
    assert!(
        saved.contains("value=\"Strøm, Fiber\""),
        "shown back: {saved}"
    );

    let (status, response, _) = app
        .htmx(&format!("{path}/segments"), &manager, "name=Oslo")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header_of(&response, "hx-redirect"), path);
    let (status, _, taken) = app
        .htmx(&format!("{path}/segments"), &manager, "name=Oslo")
        .await;
    assert!(status.is_client_error(), "a name taken: {taken}");
    let (_, _, bad) = app
        .htmx(&path, &manager, "lease=20&retry=5&priority=by-mood")
        .await;
    assert!(bad.contains("no priority rule"), "{bad}");
}

#[tokio::test]
async fn a_manager_reads_meetings_as_a_week_and_the_hit_analysis() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let assignment = app.world.assignment.id().as_uuid();
    // T0 is Monday 2025-03-03: the week shown is that one.
    let (status, _, page) = app
        .get(
            &format!("/app/reports/{assignment}?from=2025-03-03&to=2025-03-09"),
            Some(&manager),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let meetings = &page[page.find("id=\"report-meetings\"").expect("meetings")..];
    assert_eq!(meetings.matches("class=\"week-day\"").count(), 7);
    assert!(meetings.contains("Mandag 03.03."), "{meetings}");
    assert!(meetings.contains("Søndag 09.03."), "{meetings}");
    assert!(
        page.replace("&#38;", "&amp;")
            .contains("reports/meetings/export?format=xlsx&amp;from=2025-03-03&amp;to=2025-03-10"),
        "the week's meetings as a file: {page}"
    );
    assert!(
        page.contains("id=\"report-hits\""),
        "the world analyses a CRM field: {page}"
    );
}

#[tokio::test]
async fn a_form_over_the_limit_is_a_problem_in_the_slot_and_a_seller_has_no_reports_link() {
    let app = app().await;
    let cookie = app.session(&app.world.sellers[0]).await;
    let assignment = app.world.assignment.id().as_uuid();
    let (_, _, item) = app
        .htmx(&format!("/app/assignments/{assignment}/next"), &cookie, "")
        .await;
    let register = attribute(&item, "id=\"outcome-form\"", "hx-post").to_owned();
    assert!(
        item.contains("maxlength=\"4000\""),
        "the note says its limit"
    );
    let huge = format!("note={}", "x".repeat(70_000));
    let (status, response, body) = app.htmx(&register, &cookie, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        header_of(&response, "hx-retarget"),
        "#problem",
        "the form stays"
    );
    assert!(body.contains("for stort"), "{body}");
    assert!(!header_of(&response, "content-security-policy").is_empty());
    let (_, _, home) = app.get("/app", Some(&cookie)).await;
    assert!(!home.contains("id=\"nav-reports\""), "{home}");
}

#[tokio::test]
async fn a_seller_sees_no_wallboard_link_and_no_empty_download_box() {
    let app = app().await;
    let seller = app.session(&app.world.sellers[0]).await;
    let assignment = app.world.assignment.id().as_uuid();
    let (status, _, page) = app
        .get(&format!("/app/reports/{assignment}"), Some(&seller))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (wallboard, _, _) = app
        .get(&format!("/app/wallboard/{assignment}"), Some(&seller))
        .await;
    assert_eq!(
        page.contains("id=\"wallboard-link\""),
        wallboard == StatusCode::OK,
        "the link only where the wallboard opens"
    );
    if page.contains("id=\"report-downloads\"") {
        assert!(page[page.find("id=\"report-downloads\"").expect("downloads")..].contains("<li>"));
    }
}

#[tokio::test]
async fn a_manager_sets_targets_limits_analysis_shown_crm_fields_and_outcome_fields() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let id = app.world.assignment.id();
    let path = format!("/app/setup/assignments/{}", id.as_uuid());
    let (_, _, page) = app.get(&path, Some(&manager)).await;
    let no_sale = cube_domain::flow::seeds::SalesFlow::O_NO_SALE.as_uuid();
    // Everything the form shows, as it is, then the changes.
    let mut fields: Vec<(String, String)> = form_fields(&page, "assignment-form")
        .into_iter()
        .filter(|(k, _)| {
            !k.starts_with("perf.")
                && !k.starts_with("limit.")
                && !k.starts_with("hard_stop.")
                && k != "analyse"
                && k != "analyse.attempts"
                && k != "view_crm"
                && !k.starts_with("ofield.")
        })
        .collect();
    fields.extend([
        ("perf.yes".to_owned(), "1,5".to_owned()),
        ("limit.conclusions".to_owned(), "40".to_owned()),
        ("hard_stop.conclusions".to_owned(), "on".to_owned()),
        ("analyse.attempts".to_owned(), "on".to_owned()),
        ("view_crm".to_owned(), "industry".to_owned()),
        (format!("ofield.{no_sale}.0.key"), "reason".to_owned()),
        (format!("ofield.{no_sale}.0.label"), "Årsak".to_owned()),
        (format!("ofield.{no_sale}.0.type"), "choice".to_owned()),
        (
            format!("ofield.{no_sale}.0.choices"),
            "Pris, Har avtale".to_owned(),
        ),
        (format!("ofield.{no_sale}.0.required"), "on".to_owned()),
    ]);
    let (status, _, saved) = app.htmx(&path, &manager, &encode(&fields)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let setup = app
        .cube
        .assignment_setup(&app.world.manager, id)
        .await
        .expect("setup");
    assert_eq!(
        setup.performance.yes_per_hour,
        Some(rust_decimal::Decimal::new(15, 1))
    );
    assert_eq!(setup.activity_limits.len(), 1);
    assert_eq!(
        setup.activity_limits[0].mode,
        cube_domain::assignment::setup::LimitMode::HardStop
    );
    assert_eq!(
        setup.analysis_fields,
        vec![cube_domain::assignment::setup::AnalysisField::Attempts]
    );
    assert!(setup.customer_view.iter().any(|f| matches!(
        f,
        cube_domain::assignment::setup::ViewField::Custom(k) if k.as_str() == "industry"
    )));
    let reason = &setup.outcome_fields[&cube_domain::flow::seeds::SalesFlow::O_NO_SALE];
    assert_eq!(reason.len(), 1);
    assert!(reason[0].required());

    // The seller's form now asks for the reason, as a choice.
    let seller = app.session(&app.world.sellers[0]).await;
    let (_, _, item) = app
        .htmx(
            &format!("/app/assignments/{}/next", id.as_uuid()),
            &seller,
            "",
        )
        .await;
    assert!(item.contains("name=\"field.reason\""), "{item}");
    assert!(item.contains("<option>Har avtale</option>"), "{item}");

    let bad = encode(&[
        ("lease".to_owned(), "20".to_owned()),
        ("retry".to_owned(), "5".to_owned()),
        ("limit.hours".to_owned(), "many".to_owned()),
    ]);
    let (_, _, refused) = app.htmx(&path, &manager, &bad).await;
    assert!(refused.contains("is not a number"), "{refused}");
}

#[tokio::test]
async fn a_published_flow_is_copied_into_a_draft_of_its_own() {
    let app = app().await;
    let admin = app.session(&app.world.admin).await;
    let flow = app.world.sales_flow.id().as_uuid();
    let version = app.world.sales_flow.version().version;
    let owner = app.world.data_owner.id().as_uuid();
    let (_, _, page) = app
        .get(&format!("/app/setup/owners/{owner}/flows"), Some(&admin))
        .await;
    assert!(
        page.contains(&format!("hx-post=\"/app/setup/flows/{flow}/copy\"")),
        "{page}"
    );
    let (status, response, body) = app
        .htmx(
            &format!("/app/setup/flows/{flow}/copy"),
            &admin,
            &format!("version={version}&name=Salg+for+Nord"),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let editor = header_of(&response, "hx-redirect").to_owned();
    assert_ne!(
        editor,
        format!("/app/setup/flows/{flow}"),
        "a flow of its own"
    );
    let (status, _, draft) = app.get(&editor, Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(draft.contains("value=\"Salg for Nord\""), "{draft}");
    let seller = app.session(&app.world.sellers[0]).await;
    let (status, _, _) = app
        .htmx(
            &format!("/app/setup/flows/{flow}/copy"),
            &seller,
            &format!("version={version}&name=X"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_customer_another_seller_holds_is_refused_in_plain_bokmal() {
    let app = app().await;
    let first = app.session(&app.world.sellers[0]).await;
    let second = app.session(&app.world.sellers[1]).await;
    let assignment = app.world.assignment.id().as_uuid();
    let (_, _, item) = app
        .htmx(&format!("/app/assignments/{assignment}/next"), &first, "")
        .await;
    let register = attribute(&item, "id=\"outcome-form\"", "hx-post").to_owned();
    let no_answer = attribute(&item, "data-outcome=\"no-answer\"", "value").to_owned();
    let form = format!("assignment={assignment}&outcome={no_answer}");
    let (status, response, refused) = app.htmx(&register, &second, &form).await;
    assert!(status.is_client_error(), "{status}: {refused}");
    assert_eq!(header_of(&response, "hx-retarget"), "#problem");
    assert!(
        refused.contains("en annen selger jobber med denne kunden"),
        "{refused}"
    );
    let english = format!("{second}; cube_lang=en");
    let (_, _, refused) = app.htmx(&register, &english, &form).await;
    assert!(
        refused.contains("another seller is working this customer"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_manager_chooses_the_email_an_outcome_sends() {
    let app = app().await;
    let id = app.world.assignment.id();
    let mut setup = app
        .cube
        .assignment_setup(&app.world.manager, id)
        .await
        .expect("setup");
    setup.communication.mail_from =
        Some(cube_domain::values::Email::parse("salg@acme.no").expect("from"));
    setup.communication.email_templates = vec![cube_domain::assignment::setup::Template {
        name: cube_domain::values::Name::parse("Takk").expect("name"),
        subject: "Takk".into(),
        body: "<p>Takk</p>".into(),
    }];
    app.cube
        .update_assignment_setup(&app.world.manager, id, setup, None)
        .await
        .expect("templates");
    let manager = app.session(&app.world.manager).await;
    let path = format!("/app/setup/assignments/{}", id.as_uuid());
    let (_, _, page) = app.get(&path, Some(&manager)).await;
    let lead = cube_domain::flow::seeds::SalesFlow::O_LEAD.as_uuid();
    assert!(page.contains(&format!("name=\"email.{lead}\"")), "{page}");
    let mut fields = form_fields(&page, "assignment-form");
    fields.retain(|(k, _)| !k.starts_with("email."));
    fields.push((format!("email.{lead}"), "Takk".into()));
    let (status, _, saved) = app.htmx(&path, &manager, &encode(&fields)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let stored = app
        .cube
        .assignment_setup(&app.world.manager, id)
        .await
        .expect("setup");
    assert_eq!(
        stored
            .email_on_outcome
            .get(&cube_domain::flow::seeds::SalesFlow::O_LEAD)
            .map(ToString::to_string),
        Some("Takk".to_owned())
    );
}

/// A multipart form as the import page sends it: the file, then the other fields.
fn multipart(file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----cube-test-boundary";
    let mut body = Vec::new();
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(b"\r\n");
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/cube-sheets/tests/files")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl App {
    async fn upload(
        &self,
        path: &str,
        cookie: &str,
        file_name: &str,
        bytes: &[u8],
        fields: &[(&str, &str)],
    ) -> (StatusCode, Response<Body>, String) {
        let (content_type, body) = multipart(file_name, bytes, fields);
        let request = Request::post(path)
            .header(header::COOKIE, cookie)
            .header("x-requested-with", "cube")
            .header("hx-request", "true")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }
}

#[tokio::test]
async fn a_manager_previews_a_file_changes_the_mapping_and_imports_it() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let id = app.world.assignment.id().as_uuid();
    let (status, _, page) = app
        .get(&format!("/app/setup/assignments/{id}"), Some(&manager))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        attribute(&page, "id=\"import-link\"", "href"),
        format!("/app/setup/assignments/{id}/import")
    );
    let (status, _, page) = app
        .get(
            &format!("/app/setup/assignments/{id}/import"),
            Some(&manager),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("hx-encoding=\"multipart/form-data\""),
        "{page}"
    );

    // The keys existing customers are found by: three boxes, all ticked; none ticked is
    // refused, saying what to tick.
    assert!(
        page.contains("name=\"match_by\" value=\"registry_number\" checked")
            && page.contains("Organisasjonsnummer (bedrifter)"),
        "{page}"
    );
    let file = fixture("wrong-types.xlsx");
    let preview = format!("/app/setup/assignments/{id}/import/preview");
    let none_ticked = [
        ("dataset", "b2b"),
        ("on_match", "update"),
        ("match_by_shown", "1"),
    ];
    let (status, _, refused) = app
        .upload(&preview, &manager, "kunder.xlsx", &file, &none_ticked)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("Velg minst én måte å finne kunder som finnes fra før på"),
        "{refused}"
    );
    let some_ticked = [
        ("dataset", "b2b"),
        ("on_match", "update"),
        ("match_by_shown", "1"),
        ("match_by", "external_id"),
        ("match_by", "registry_number"),
    ];
    let (status, _, shown) = app
        .upload(&preview, &manager, "kunder.xlsx", &file, &some_ticked)
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");

    let base = [("dataset", "b2b"), ("on_match", "update")];
    let (status, _, shown) = app
        .upload(&preview, &manager, "kunder.xlsx", &file, &base)
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(shown.contains("<strong>6</strong> rader i fila"), "{shown}");
    assert!(
        shown.contains("<strong>3</strong> kan importeres"),
        "{shown}"
    );
    assert!(
        shown.contains("ring meg"),
        "the rejected rows and why: {shown}"
    );
    assert!(
        shown.contains("<option value=\"name\" selected>Navn</option>"),
        "the suggestion is chosen: {shown}"
    );
    let key = attribute(&shown, "name=\"file_key\"", "value").to_owned();

    // All or nothing: the import refuses while rows are wrong, into the problem slot.
    let import = format!("/app/setup/assignments/{id}/import");
    let (status, response, refused) = app
        .upload(&import, &manager, "kunder.xlsx", &file, &base)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(header_of(&response, "hx-retarget"), "#problem");
    assert!(refused.contains("3 avvises"), "{refused}");

    // The user leaves the phone column out: every row without a phone or e-mail is
    // rejected now (the e-mail column stays mapped), so the mapping was used.
    let mapped: Vec<(String, String)> = vec![
        ("file_key".into(), key.clone()),
        ("sheet".into(), "Kunder".into()),
        ("header_row".into(), "1".into()),
        ("col.0".into(), "name".into()),
        ("col.3".into(), "email".into()),
    ];
    let fields: Vec<(&str, &str)> = base
        .iter()
        .copied()
        .chain(mapped.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    let (status, _, shown) = app
        .upload(&preview, &manager, "kunder.xlsx", &file, &fields)
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(
        shown.contains("<select name=\"col.1\"")
            && !shown.contains("<option value=\"phone\" selected>"),
        "the phone column is left out: {shown}"
    );

    // With the good rows wanted: a job, polled to its report.
    let keep: Vec<(&str, &str)> = base
        .iter()
        .copied()
        .chain([("keep_good_rows", "on")])
        .collect();
    let (status, _, job) = app
        .upload(&import, &manager, "kunder.xlsx", &file, &keep)
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let mut job = job;
    for _ in 0..200 {
        if !job.contains("hx-trigger=\"load delay:1s\"") {
            break;
        }
        let poll = attribute(&job, "id=\"import-job\"", "hx-get").to_owned();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        job = app.get(&poll, Some(&manager)).await.2;
    }
    assert!(job.contains("Importen er ferdig"), "{job}");
    assert!(job.contains("<strong>3</strong> nye kunder"), "{job}");
    assert!(
        job.contains("<td>6</td>"),
        "row 6 among the rejected: {job}"
    );
    let download = attribute(&job, "id=\"import-rejected-download\"", "href").to_owned();
    let (status, response, csv) = app.get(&download, Some(&manager)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header_of(&response, "content-disposition").contains("avviste-rader-"));
    assert!(
        csv.starts_with("\u{feff}\"Rad\";\"Årsak\"\r\n\"3\";"),
        "{csv}"
    );

    // The same file again: nothing new, and the three customers it holds already are
    // unchanged, not updated.
    let (status, _, mut job) = app
        .upload(&import, &manager, "kunder.xlsx", &file, &keep)
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    for _ in 0..200 {
        if !job.contains("hx-trigger=\"load delay:1s\"") {
            break;
        }
        let poll = attribute(&job, "id=\"import-job\"", "hx-get").to_owned();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        job = app.get(&poll, Some(&manager)).await.2;
    }
    assert!(job.contains("Importen er ferdig"), "{job}");
    assert!(job.contains("<strong>0</strong> nye kunder"), "{job}");
    assert!(job.contains("<strong>0</strong> oppdatert"), "{job}");
    assert!(job.contains("<strong>3</strong> uten endring"), "{job}");
}

#[tokio::test]
async fn a_broken_file_is_a_problem_in_bokmal_and_sellers_have_no_import_page() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let id = app.world.assignment.id().as_uuid();
    let preview = format!("/app/setup/assignments/{id}/import/preview");
    let (status, response, problem) = app
        .upload(
            &preview,
            &manager,
            "bomb.xlsx",
            &fixture("bomb.xlsx"),
            &[("dataset", "b2b")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(header_of(&response, "hx-retarget"), "#problem");
    assert!(problem.contains("zip-bombe"), "{problem}");

    // A CSV whose quote on row 4 is never closed: refused naming the row, in bokmål.
    let text = String::from_utf8(fixture("customers.csv")).expect("utf-8");
    let broken = text.replacen("Ærlige Åse ENK", "\"Ærlige Åse ENK", 1);
    let (status, _, problem) = app
        .upload(
            &preview,
            &manager,
            "kunder.csv",
            broken.as_bytes(),
            &[("dataset", "b2b")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.contains("rad 4: et anførselstegn"), "{problem}");

    let seller = app.session(&app.world.sellers[0]).await;
    let (status, _, _) = app
        .get(
            &format!("/app/setup/assignments/{id}/import"),
            Some(&seller),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = app
        .upload(
            &preview,
            &seller,
            "customers.csv",
            &fixture("customers.csv"),
            &[],
        )
        .await;
    assert!(status == StatusCode::NOT_FOUND, "{status}");
}

/// Found from outside: the rejected rows' reasons were the use case's English on the
/// bokmål pages. A file with a row of each kind a user meets — a phone that is no number, an
/// e-mail that is no address, a CRM value of the wrong type, no contact, a row the same as
/// an earlier one, a phone of another customer in the register, a ragged row, an
/// organisation number whose check digit is wrong, an empty name — is previewed and
/// imported by a bokmål user, who reads every reason in bokmål on the preview, on the job's
/// report and in the downloaded report; an English user reads the English.
#[tokio::test]
async fn the_rejected_rows_reasons_are_in_the_viewers_language() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let id = app.world.assignment.id().as_uuid();
    let file = "Navn,Telefon,E-post,Orgnr,Kundenr,Employees\n\
                Bra AS,91234567,post@bra.no,,K-1,12\n\
                Ring AS,ring meg,,,K-2,\n\
                Epost AS,,ikke en adresse,,K-3,\n\
                Tall AS,91234571,,,K-4,mange\n\
                Tom AS,,,,K-5,\n\
                Dobbel AS,91234567,,,K-6,\n\
                Annen AS,90000000,,,K-7,\n\
                Skjev AS,91234572\n\
                Org AS,91234573,,123456789,K-9,\n\
                ,91234574,,,K-10,\n\
                God AS,91234575,,,K-11,3\n";
    let bokmal = [
        "Telefon: telefonnummeret «ring meg» er ikke gyldig: bruk sifre",
        "E-post: e-postadressen «ikke en adresse» er ikke gyldig: den må ha nøyaktig én @",
        "feltet «employees» skal være et heltall, men er «mange»; rett verdien i fila",
        "raden har verken telefonnummer eller e-postadresse; en kunde trenger minst ett av dem",
        "samme kunde som rad 2 (samme eksterne id, organisasjonsnummer eller telefonnummer)",
        "telefonnummeret +4790000000 hører til kunden med ekstern id «ext-00000», ikke «K-7»",
        "raden har 2 felt, men overskriftsraden har 6; sjekk skilletegnene",
        "Org.nr. / personnr.: organisasjonsnummeret «123456789» er ikke gyldig",
        "Navn: er tom; fyll den inn i fila",
    ];
    let english = [
        "is not valid",
        "expects a whole number",
        "needs at least one phone number",
        "the same customer as row 2",
        "belongs to the customer with external id",
        "fields, the header row has",
        "must not be empty",
    ];
    let check = |what: &str, text: &str| {
        for reason in bokmal {
            assert!(text.contains(reason), "{what}: {reason:?} in {text}");
        }
        for reason in english {
            assert!(!text.contains(reason), "{what}: {reason:?} in {text}");
        }
    };

    let base = [("dataset", "b2b"), ("on_match", "update")];
    let preview = format!("/app/setup/assignments/{id}/import/preview");
    let (status, _, shown) = app
        .upload(&preview, &manager, "kunder.csv", file.as_bytes(), &base)
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(
        shown.contains("<strong>2</strong> kan importeres")
            && shown.contains("<strong>9</strong> avvises"),
        "{shown}"
    );
    check("the preview", &shown);

    let keep = [
        ("dataset", "b2b"),
        ("on_match", "update"),
        ("keep_good_rows", "on"),
    ];
    let import = format!("/app/setup/assignments/{id}/import");
    let (status, _, job) = app
        .upload(&import, &manager, "kunder.csv", file.as_bytes(), &keep)
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let job = job_done(&app, &manager, job).await;
    assert!(job.contains("<strong>2</strong> nye kunder"), "{job}");
    check("the job's report", &job);
    let download = attribute(&job, "id=\"import-rejected-download\"", "href").to_owned();
    let (status, _, csv) = app.get(&download, Some(&manager)).await;
    assert_eq!(status, StatusCode::OK);
    check("the downloaded report", &csv);

    // The same in English: the use case's own words, none of the bokmål.
    let english_manager = format!("{manager}; cube_lang=en");
    let (status, _, csv) = app.get(&download, Some(&english_manager)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("\u{feff}\"Row\";\"Reason\""), "{csv}");
    for reason in english {
        assert!(csv.contains(reason), "{reason:?} in {csv}");
    }
    let (status, _, shown) = app
        .upload(
            &preview,
            &english_manager,
            "kunder.csv",
            file.as_bytes(),
            &base,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    for reason in english {
        assert!(shown.contains(reason), "{reason:?} in {shown}");
    }
    for reason in bokmal {
        assert!(!shown.contains(reason), "{reason:?} in {shown}");
    }
}

#[tokio::test]
async fn an_empty_queue_tells_the_seller_who_comes_back_when() {
    let app = app().await;
    let first = app.world.sellers[0].id;
    let assignment = app.world.assignment.id();
    // The first seller calls everyone without an answer: all rest for the retry delay.
    while let Some(item) = app
        .cube
        .next_customer(first, assignment)
        .await
        .expect("next")
    {
        app.cube
            .register_outcome(
                first,
                item.enrollment.id(),
                cube_domain::outcome::RegisterOutcome::new(
                    cube_domain::flow::seeds::SalesFlow::O_NO_ANSWER,
                ),
                None,
            )
            .await
            .expect("no answer");
    }
    let second = app.session(&app.world.sellers[1]).await;
    let path = format!("/app/assignments/{}/next", assignment.as_uuid());
    let (status, _, empty) = app.htmx(&path, &second, "").await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert!(
        empty.contains("Ingen kunder er klare akkurat nå."),
        "{empty}"
    );
    assert!(
        empty.contains("<strong>5</strong> hviler etter «ikke svar»"),
        "{empty}"
    );
    assert!(empty.contains("id=\"queue-next\""), "{empty}");
}

/// A form or file declared larger than its page takes is refused at once, before a byte is
/// read: it held the connection until the time limit (found from outside). The bodies here
/// never arrive, so without the check the requests would not be answered at all.
#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_before_it_is_read() {
    let app = app().await;
    let cookie = app.session(&app.world.admin).await;
    let assignment = app.world.assignment.id().as_uuid();
    let cases = [
        (
            "/app/setup/owners".to_owned(),
            "application/x-www-form-urlencoded",
            100_000_000u64,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        // The API's upload limit (256 MiB unless the operator sets another) and a form's
        // fields.
        (
            format!("/app/setup/assignments/{assignment}/import"),
            "multipart/form-data; boundary=x",
            257 * 1024 * 1024,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("/app/setup/assignments/{assignment}/import/preview"),
            "multipart/form-data; boundary=x",
            257 * 1024 * 1024,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (path, content_type, declared, expected) in cases {
        let never =
            Body::from_stream(futures::stream::pending::<Result<Vec<u8>, std::io::Error>>());
        let request = Request::post(&path)
            .header(header::COOKIE, &cookie)
            .header("x-requested-with", "cube")
            .header("hx-request", "true")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, declared.to_string())
            .body(never)
            .expect("request");
        let (status, response, body) =
            tokio::time::timeout(std::time::Duration::from_secs(10), app.send(request))
                .await
                .expect("answered without waiting for the body");
        assert_eq!(status, expected, "{path}: {body}");
        assert_eq!(header_of(&response, "hx-retarget"), "#problem", "{path}");
        assert!(
            body.contains("Skjemaet er for stort") || body.contains("Fila er større enn 256 MB"),
            "{path}: says it is too large: {body}"
        );
    }
}

/// Polls an import job's view until it has ended.
async fn job_done(app: &App, cookie: &str, mut job: String) -> String {
    for _ in 0..3_000 {
        if !job.contains("hx-trigger=\"load delay:1s\"") {
            return job;
        }
        let poll = attribute(&job, "id=\"import-job\"", "hx-get").to_owned();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        job = app.get(&poll, Some(cookie)).await.2;
    }
    panic!("the job did not end: {job}");
}

/// A CSV of `rows` customers, each with a comment of `comment` bytes in columns no field
/// takes (so the file is as large as wanted and every row is still good): one column, or as
/// many as keep each field within what a spreadsheet cell holds (32,767 characters).
fn large_csv(rows: usize, comment: usize) -> Vec<u8> {
    const CELL: usize = 30_000;
    let columns = comment.div_ceil(CELL).max(1);
    let mut csv = String::from("Navn;Mobil;Kundenr");
    for c in 0..columns {
        csv.push_str(&format!(";Kommentar {c}"));
    }
    csv.push_str("\r\n");
    let filler: Vec<String> = (0..columns)
        .map(|c| "x".repeat(comment.saturating_sub(c * CELL).min(CELL)))
        .collect();
    let filler = filler.join(";");
    for i in 0..rows {
        csv.push_str(&format!(
            "Stor Kunde {i} AS;{};STOR-{i};{filler}\r\n",
            40_000_000 + i
        ));
    }
    csv.into_bytes()
}

/// The page takes files as the API does: a CSV larger than the 32 MB the page once read into
/// memory goes through preview and import (streamed from a temporary file, written by a
/// job), under the API's upload limit.
#[tokio::test]
async fn a_csv_larger_than_32_mb_is_previewed_and_imported_through_the_page() {
    let app = app().await;
    let manager = app.session(&app.world.manager).await;
    let id = app.world.assignment.id().as_uuid();
    let file = large_csv(36, 1024 * 1024);
    assert!(
        file.len() > 32 * 1024 * 1024 + 1024 * 1024,
        "{}",
        file.len()
    );
    let base = [("dataset", "b2b"), ("on_match", "update")];
    let preview = format!("/app/setup/assignments/{id}/import/preview");
    let (status, _, shown) = app
        .upload(&preview, &manager, "store-kunder.csv", &file, &base)
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(
        shown.contains("<strong>36</strong> rader i fila"),
        "{shown}"
    );
    assert!(
        shown.contains("<strong>36</strong> kan importeres"),
        "{shown}"
    );
    assert!(shown.contains("Stor Kunde 0 AS"), "the first rows: {shown}");

    let import = format!("/app/setup/assignments/{id}/import");
    let (status, _, job) = app
        .upload(&import, &manager, "store-kunder.csv", &file, &base)
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let job = job_done(&app, &manager, job).await;
    assert!(job.contains("Importen er ferdig"), "{job}");
    assert!(job.contains("<strong>36</strong> nye kunder"), "{job}");
    let found = app
        .cube
        .select(
            &app.world.manager,
            app.world.assignment.id(),
            &cube_domain::bulk::Selection::default(),
        )
        .await
        .expect("the assignment's customers");
    let imported = found
        .iter()
        .filter(|row| {
            row.customer
                .details()
                .name
                .as_str()
                .starts_with("Stor Kunde")
        })
        .count();
    assert_eq!(imported, 36, "every row in the assignment");
}

/// The operator's upload limit is the page's: a file over it is refused saying the limit,
/// both when its length is declared and when it only shows as it arrives; a file under it
/// is read. A CSV's rows past the operator's `max_csv_rows` are refused as the API refuses
/// them.
#[tokio::test]
async fn the_pages_upload_limit_and_csv_rows_are_the_operators() {
    let limits = cube_sheets::upload::UploadLimits {
        upload_limit: 64 * 1024,
        max_csv_rows: 50,
        ..cube_sheets::upload::UploadLimits::default()
    };
    let app = app_with(limits).await;
    let manager = app.session(&app.world.manager).await;
    let id = app.world.assignment.id().as_uuid();
    let preview = format!("/app/setup/assignments/{id}/import/preview");
    let base = [("dataset", "b2b")];

    // Over the limit as it arrives: no declared length.
    let big = large_csv(10, 8 * 1024);
    assert!(big.len() > 64 * 1024);
    let (content_type, body) = multipart("kunder.csv", &big, &base);
    let stream = futures::stream::iter(
        body.chunks(4096)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let request = Request::post(&preview)
        .header(header::COOKIE, &manager)
        .header("x-requested-with", "cube")
        .header("hx-request", "true")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from_stream(stream))
        .expect("request");
    let (status, response, refused) = app.send(request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(header_of(&response, "hx-retarget"), "#problem");
    assert!(
        refused.contains("Fila er større enn 65536 byte"),
        "says the limit: {refused}"
    );
    // Declared: refused before it is read, with the same words.
    let (status, _, refused) = app
        .upload(&preview, &manager, "kunder.csv", &big, &base)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("Fila er større enn 65536 byte"),
        "{refused}"
    );

    // Under it: read. More rows than the operator allows: said so.
    let small = large_csv(40, 100);
    let (status, _, shown) = app
        .upload(&preview, &manager, "kunder.csv", &small, &base)
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(
        shown.contains("<strong>40</strong> kan importeres"),
        "{shown}"
    );
    let many = large_csv(60, 10);
    let (status, _, refused) = app
        .upload(&preview, &manager, "kunder.csv", &many, &base)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("mer enn 50 rader"),
        "the operator's row limit: {refused}"
    );
}
