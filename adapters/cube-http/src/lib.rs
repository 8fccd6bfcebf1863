//! # cube-http
//!
//! Cube's HTTP API as a library: an axum router over the use cases of `cube-app`, with its
//! own JSON bodies, RFC 9457 problem responses, token authentication and an OpenAPI 3.1
//! document. It knows no store: the server binary hands it a `Cube` wired to one.
//!
//! # Layout
//! - [`error`]: `ApiError` → `application/problem+json` (the one place status codes live),
//!   and the `ApiJson` / `ApiPath` / `ApiQuery` extractors whose rejections are problems.
//! - [`body_shape`]: a JSON body is an object wherever its schema says object (serde alone
//!   reads a struct from an array).
//! - [`auth`]: argon2id passwords, opaque tokens stored as SHA-256, the `Actor` extractor
//!   (bearer or cookie, with the CSRF header rule), login and logout.
//! - [`hashing`]: the password hashes of requests, on a fixed set of threads with one reused
//!   argon2 buffer each (bounded in number and in memory).
//! - [`throttle`]: the failed-login throttles (and the hashing gate, re-exported).
//! - [`dto`]: the work API's request and response bodies and their conversions.
//! - [`revisions`]: `ETag` / `If-Match` on the documents edited whole (412 on a stale write).
//! - [`setup`]: users, API tokens, data owners, products, calendars, flows, assignments.
//! - [`customers`]: customers, import, enrolling, bulk, time entries, external changes.
//! - [`work`]: me, assignments, next customer, take, release, outcomes, My Work.
//! - [`reports`]: the reports of one assignment (status, activity, outcomes, sales,
//!   meetings, limits, hits, the status export), the calendar view and performance across
//!   assignments.
//! - [`table`]: a download as a table of typed cells, and its two writers (CSV, an Excel
//!   workbook) that every report export and a bulk selection's export share.
//! - [`health`]: `/healthz`, `/readyz`.
//! - [`ops`]: request ids, the request time limit, Prometheus metrics (`/metrics`).
//! - [`outbox`]: the messages that were not delivered, for admins and managers.
//! - [`mail`]: e-mail from the customer card.
//! - [`sms`]: the SMS provider's callback for texts customers send, and an assignment's texts.
//! - [`calls`]: click-to-call: starting a call, the calls to a customer, the PBX's events.
//! - [`openapi`]: the document and Swagger UI.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod body_limit;
pub mod body_shape;
pub mod calendars;
pub mod calls;
pub mod customers;
pub mod dto;
pub mod error;
pub mod hashing;
pub mod health;
pub mod mail;
pub mod openapi;
pub mod ops;
pub mod outbox;
pub mod reports;
pub mod revisions;
pub mod sale_confirmations;
pub mod setup;
pub mod sms;
pub mod table;
pub mod throttle;
pub mod work;

pub use auth::hash_password;
pub use error::{ApiError, Problem};

use axum::Router;
use axum::middleware;
use axum::routing::{get, post, put};
use cube_app::Cube;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

/// The largest request body accepted (the work API's bodies are small).
const BODY_LIMIT: usize = 256 * 1024;

/// What every handler shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases.
    pub cube: Cube,
    /// How long a login session lasts.
    pub session_ttl: time::Duration,
    /// How long a request may take before it is answered 503.
    pub request_timeout: std::time::Duration,
    /// Failed logins per (e-mail, address), per address and per server.
    pub login_throttle: Arc<throttle::LoginThrottle>,
    /// The bound on password hashes running at once and on their memory.
    pub hashing: Arc<hashing::HashGate>,
    /// Whether the session cookie is always `Secure` (the server is reached over HTTPS).
    pub secure_cookies: bool,
    /// Whether a proxy in front is trusted: the client address is the last one in
    /// `X-Forwarded-For`, and `X-Forwarded-Proto: https` makes the cookie `Secure`.
    pub trust_proxy: bool,
    /// Request counts and latencies for `/metrics`.
    pub metrics: Arc<ops::Metrics>,
    /// The import jobs running and recently finished.
    pub import_jobs: cube_app::import_jobs::ImportJobs,
    /// How customer files are taken: the upload limit, a CSV's rows, the rows a chunk.
    pub file_imports: customers::upload::FileImportConfig,
    /// The secret the SMS provider's callback must send (`sms::inbound`); `None`: the
    /// endpoint is off.
    pub sms_inbound_secret: Option<Arc<str>>,
    /// The secret the PBX's call events must send (`calls::events`); `None`: the endpoint is
    /// off.
    pub telephony_events_secret: Option<Arc<str>>,
}

impl AppState {
    /// The state over `cube`: 12-hour sessions, 30-second requests, the default login
    /// throttles, one password hash per core, cookies without `Secure`, no trusted proxy.
    pub fn new(cube: Cube) -> Self {
        Self {
            cube,
            session_ttl: time::Duration::hours(12),
            request_timeout: std::time::Duration::from_secs(30),
            login_throttle: Arc::new(throttle::LoginThrottle::default()),
            hashing: Arc::new(hashing::HashGate::default()),
            secure_cookies: false,
            trust_proxy: false,
            metrics: Arc::new(ops::Metrics::default()),
            import_jobs: cube_app::import_jobs::ImportJobs::new(),
            file_imports: customers::upload::FileImportConfig::default(),
            sms_inbound_secret: None,
            telephony_events_secret: None,
        }
    }
}

/// The whole API: `/api/…`, `/healthz`, `/readyz`, `/metrics`, `/api-docs/openapi.json` and
/// `/docs`.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The whole API with `pages` beside it (the web app's router): the pages get the API's
/// request ids, log spans, time limit and answers for unknown paths, and share its port.
/// `pages` must have no fallback of its own.
pub fn router_with(state: AppState, pages: Router) -> Router {
    let api = Router::new()
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(work::me))
        .route("/api/assignments", get(work::assignments))
        .route("/api/assignments/{id}", get(work::assignment))
        .route("/api/assignments/{id}/next", post(work::next_customer))
        .route("/api/assignments/{id}/queue", get(work::queue))
        .route("/api/assignments/{id}/customers", get(work::search))
        .route("/api/enrollments/{id}/take", post(work::take))
        .route(
            "/api/enrollments/{id}/queue-reason",
            get(work::queue_reason),
        )
        .route("/api/enrollments/{id}/history", get(work::history))
        .route("/api/enrollments/{id}/follow-up", put(work::move_follow_up))
        .route("/api/enrollments/{id}/release", post(work::release))
        .route(
            "/api/enrollments/{id}/outcomes",
            post(work::register_outcome),
        )
        .route("/api/my-work", get(work::my_work))
        .route("/api/outbox/failed", get(outbox::failed))
        .route("/api/sms/inbound", post(sms::inbound))
        .route("/api/sms/receipts", post(sms::receipt))
        .route("/api/assignments/{id}/sms-replies", get(sms::replies))
        .route(
            "/api/assignments/{id}/sale-confirmations",
            get(sale_confirmations::list),
        )
        .route("/api/enrollments/{id}/sms", post(sms::send))
        .route("/api/enrollments/{id}/email", post(mail::send))
        .route("/api/enrollments/{id}/call", post(calls::start))
        .route("/api/enrollments/{id}/calls", get(calls::list))
        .route("/api/telephony/events", post(calls::events))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(setup::routes())
        .merge(customers::routes())
        .merge(reports::routes())
        .merge(calendars::routes())
        .route("/metrics", get(ops::metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), ops::measure))
        .with_state(state.clone());
    // Layers run outside in, last added first: the request id comes before the log span
    // that shows it, the time limit inside both.
    // Unknown paths and methods answer problems too (after every route is in: the 405
    // fallback is given to the routes present when it is set).
    Router::new()
        .merge(api)
        .merge(pages)
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", openapi::document()))
        .fallback(error::no_such_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(body_limit::layer(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state, ops::time_limit))
        .layer(TraceLayer::new_for_http().make_span_with(ops::span_for))
        .layer(middleware::from_fn(ops::request_id))
}
