//! The public answer page of a sale's offer by e-mail (`/confirm/{token}`), in process on
//! the in-memory store: a GET shows the offer and never decides, a POST decides once, an
//! answered or expired offer is 410 and an unknown token 404 — pages, never error dumps.
//! (What deciding does — the report, the refusal outcome — is `cube-app`'s tests'.)

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cube_app::Cube;
use cube_domain::ids::SaleConfirmationId;
use cube_domain::outcome::ProductLine;
use cube_domain::ports::Store;
use cube_domain::sale_confirmation::{
    AnswerToken, ConfirmationChannel, ConfirmationStatus, SaleConfirmation,
};
use cube_testkit::fixtures::{SalesFlow, T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use cube_web::{WebState, router};
use http_body_util::BodyExt;
use std::sync::Arc;
use time::Duration;
use tower::ServiceExt;

struct Page {
    router: Router,
    store: Arc<dyn Store>,
    clock: Arc<FixedClock>,
    world: World,
}

impl Page {
    async fn new() -> Self {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let clock = Arc::new(FixedClock::new(T0));
        let ids = Arc::new(SequentialIds::new());
        let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 2)
            .await
            .expect("world");
        let cube = Cube::new(store.clone(), clock.clone(), ids);
        let router = router(WebState {
            cube,
            secure_cookies: false,
            import_jobs: cube_app::import_jobs::ImportJobs::new(),
            file_imports: cube_sheets::upload::UploadLimits::default(),
        });
        Self {
            router,
            store,
            clock,
            world,
        }
    }

    /// A pending offer by e-mail of 2 × the world's first product, sent now with a 48-hour
    /// window, answered by the token of `seed`.
    async fn offer(&self, n: u8) -> (SaleConfirmationId, String) {
        let token = AnswerToken::from_bytes(&[n; 32]);
        let product = &self.world.products[0];
        let sent = cube_domain::ports::Clock::now(self.clock.as_ref());
        let id = SaleConfirmationId::from_uuid(uuid::Uuid::from_u128(0x5C00 + u128::from(n)));
        let enrollment = &self.world.enrollments[0];
        let confirmation = SaleConfirmation {
            id,
            assignment: self.world.assignment.id(),
            event: cube_domain::ids::OutcomeEventId::from_uuid(uuid::Uuid::from_u128(
                0xEE00 + u128::from(n),
            )),
            sold_at: sent,
            enrollment: enrollment.id(),
            customer: enrollment.customer(),
            state: SalesFlow::SALE,
            lines: vec![ProductLine {
                product: product.id(),
                quantity: 2,
                unit_price: product.unit_price(),
                currency: product.currency().clone(),
            }],
            message: cube_domain::ids::OutboxMessageId::from_uuid(uuid::Uuid::from_u128(
                0xB00 + u128::from(n),
            )),
            channel: ConfirmationChannel::Email,
            token_hash: Some(token.hash()),
            terms_url: Some("https://acme.example.no/vilkar?a=1&b=2".into()),
            to: None,
            sender: "salg@acme.example.no".into(),
            sent_at: sent,
            deadline: sent + Duration::hours(48),
            accept: vec!["JA".into()],
            refuse: vec!["NEI".into()],
            on_refusal: SalesFlow::O_NO_SALE,
            on_no_reply: SalesFlow::O_NO_SALE,
            status: ConfirmationStatus::Pending,
            decided_at: None,
        };
        let mut uow = self.store.begin().await.expect("unit");
        uow.record_sale_confirmation(&confirmation)
            .await
            .expect("recorded");
        uow.commit().await.expect("committed");
        (id, token.as_str().to_owned())
    }

    async fn status_of(&self, id: SaleConfirmationId) -> ConfirmationStatus {
        let mut uow = self.store.begin_read().await.expect("read");
        uow.sale_confirmation(id)
            .await
            .expect("read")
            .expect("there")
            .status
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("answered");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).expect("utf-8"),
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// The form as a browser posts it: no session, no CSRF header (the token is the key).
    async fn post(&self, path: &str, form: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .expect("request");
        self.send(request).await
    }
}

#[tokio::test]
async fn the_page_shows_the_offer_and_a_get_never_decides() {
    let page = Page::new().await;
    let (id, token) = page.offer(1).await;
    for path in [
        format!("/confirm/{token}"),
        format!("/confirm/{token}?answer=accept"),
        format!("/confirm/{token}?answer=refuse"),
    ] {
        let (status, headers, html) = page.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
        let product = page.world.products[0].name().to_string();
        assert!(html.contains(&format!("<td>{product}</td>")), "{html}");
        assert!(html.contains("<td>2</td>"));
        assert!(html.contains(&format!("action=\"/confirm/{token}\"")));
        assert!(html.contains("Jeg godtar") && html.contains("I accept"));
        assert!(html.contains("Nei takk") && html.contains("No thanks"));
        assert!(
            html.contains("href=\"https://acme.example.no/vilkar?a=1&#38;b=2\"")
                || html.contains("href=\"https://acme.example.no/vilkar?a=1&amp;b=2\""),
            "the terms link, escaped: {html}"
        );
        assert!(html.contains("Svarfrist"), "the deadline");
    }
    let (_, _, chosen) = page.get(&format!("/confirm/{token}?answer=accept")).await;
    assert!(chosen.contains("id=\"chosen\""));
    assert_eq!(
        page.status_of(id).await,
        ConfirmationStatus::Pending,
        "a link followed (a mail scanner) decides nothing"
    );
}

#[tokio::test]
async fn a_post_decides_once_and_then_the_offer_is_gone() {
    let page = Page::new().await;
    let (id, token) = page.offer(1).await;
    let path = format!("/confirm/{token}");
    let (status, headers, html) = page.post(&path, "answer=accept").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(html.contains("Du har godtatt tilbudet"), "{html}");
    assert!(!html.contains("<form"), "no buttons once answered");
    assert_eq!(page.status_of(id).await, ConfirmationStatus::Confirmed);
    // The second answer (a double click, the refuse link after) changes nothing: 410.
    for answer in ["answer=accept", "answer=refuse"] {
        let (status, _, html) = page.post(&path, answer).await;
        assert_eq!(status, StatusCode::GONE, "{html}");
        assert!(html.contains("allerede godtatt"), "{html}");
    }
    let (status, _, html) = page.get(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("already accepted") && !html.contains("<form"));
    assert_eq!(page.status_of(id).await, ConfirmationStatus::Confirmed);

    let (other, token) = page.offer(2).await;
    let (status, _, html) = page
        .post(&format!("/confirm/{token}"), "answer=refuse")
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Du har takket nei"), "{html}");
    assert_eq!(page.status_of(other).await, ConfirmationStatus::Refused);
}

#[tokio::test]
async fn an_offer_past_its_deadline_is_gone_and_takes_no_answer() {
    let page = Page::new().await;
    let (id, token) = page.offer(1).await;
    page.clock
        .advance(Duration::hours(48) + Duration::seconds(1));
    let path = format!("/confirm/{token}");
    let (status, _, html) = page.get(&path).await;
    assert_eq!(status, StatusCode::GONE, "{html}");
    assert!(html.contains("Fristen for å svare gikk ut"), "{html}");
    let (status, _, html) = page.post(&path, "answer=accept").await;
    assert_eq!(status, StatusCode::GONE, "{html}");
    assert_eq!(
        page.status_of(id).await,
        ConfirmationStatus::Pending,
        "the expiry sweep decides it, not a late click"
    );
}

#[tokio::test]
async fn an_unknown_token_or_a_bad_answer_is_a_page_that_says_so() {
    let page = Page::new().await;
    let (id, token) = page.offer(1).await;
    let unknown = AnswerToken::from_bytes(&[9; 32]);
    for path in [
        format!("/confirm/{}", unknown.as_str()),
        "/confirm/short".to_owned(),
        "/confirm/%3Cscript%3E".to_owned(),
    ] {
        let (status, headers, html) = page.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {html}");
        assert!(html.contains("Vi finner ikke tilbudet"), "{html}");
        assert!(
            !html.contains("<script>"),
            "nothing of the path is echoed as markup"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let (status, _, _) = page.post(&path, "answer=accept").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    for form in ["", "answer=yes", "answer=accept&answer=refuse", "%%%"] {
        let (status, _, html) = page.post(&format!("/confirm/{token}"), form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {html}");
        assert!(html.contains("Jeg godtar"), "{html}");
    }
    assert_eq!(page.status_of(id).await, ConfirmationStatus::Pending);
}
