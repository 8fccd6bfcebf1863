//! # cube-web
//!
//! Cube's web app: the pages sellers, managers and clients use all day, served by the same
//! binary, on the same port and with the same login as the JSON API (`cube-http`).
//!
//! - Server-rendered pages ([askama](https://docs.rs/askama) templates, checked when the
//!   crate compiles) with htmx 2 for the partial updates of the seller's cycle. The assets —
//!   htmx, our own CSS and one small script — are in the binary ([`assets`]): no Node at run
//!   time, no CDN, works offline.
//! - The pages call the same use cases ([`cube_app::Cube`]) under the same access policy as
//!   the API: no business rule lives in a template or a handler. A page only turns what a
//!   use case answers into HTML, and a form into the use case's command ([`forms`]).
//! - The session is the API's: the `cube_session` cookie the login sets
//!   ([`cube_session`]), with the same CSRF rule — every unsafe request carries
//!   `X-Requested-With: cube`, which htmx sends on every request ([`session`]).
//! - Every answer has a Content-Security-Policy without `unsafe-inline` and the other
//!   security headers ([`security`]).
//! - Words come from a catalogue in Norwegian bokmål and English ([`i18n`]); why an import
//!   rejected a row is said in the viewer's language too (`rejected`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod assets;
mod calendars;
mod card;
pub mod charts;
mod confirm;
pub mod flow_form;
pub mod flow_graph;
pub mod forms;
pub mod i18n;
mod imports;
mod limits;
mod owners;
mod pages;
mod rejected;
mod reports;
pub mod security;
pub mod session;
mod setup;
mod users;
mod views;
mod wallboard;

pub use cube_sheets::upload::UploadLimits;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use cube_app::Cube;

/// What the pages need: the use cases, and whether cookies must be `Secure`.
#[derive(Clone)]
pub struct WebState {
    /// The use cases.
    pub cube: Cube,
    /// Whether the server is reached over HTTPS (the language cookie is then `Secure`).
    pub secure_cookies: bool,
    /// The import jobs of this process, shared with the API (`GET /api/import-jobs/{id}`
    /// shows a job the pages started).
    pub import_jobs: cube_app::import_jobs::ImportJobs,
    /// How customer files are taken: the API's settings (`--import-upload-limit-mb`,
    /// `--import-max-csv-rows`), so the page takes what the API takes.
    pub file_imports: UploadLimits,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("secure_cookies", &self.secure_cookies)
            .finish_non_exhaustive()
    }
}

/// The largest form the pages accept (an outcome form with notes and fields is a few KiB).
pub const FORM_LIMIT: usize = 64 * 1024;

/// The web app's routes: `/` (to `/app`), everything under `/app`, and the public answer
/// page of a sale's offer by e-mail (`/confirm/{token}`, `confirm`). Merge it with the
/// API's router; it has no fallback of its own, so unknown paths answer as the API's do.
pub fn router(state: WebState) -> Router {
    let upload_body = imports::body_limit(state.file_imports.upload_limit);
    Router::new()
        .route("/", get(pages::root))
        .route("/confirm/{token}", get(confirm::show).post(confirm::decide))
        .route("/app", get(pages::home))
        .route("/app/login", get(pages::login))
        .route("/app/lang/{lang}", get(pages::language))
        .route("/app/my-work", get(pages::my_work))
        .route("/app/my-work/panel", get(pages::my_work_panel))
        .route(
            "/app/enrollments/{id}/follow-up",
            post(pages::move_follow_up),
        )
        .route("/app/assignments/{id}", get(pages::workspace))
        .route("/app/assignments/{id}/next", post(pages::next_customer))
        .route("/app/enrollments/{id}/outcomes", post(pages::register))
        .route("/app/enrollments/{id}/release", post(pages::release))
        .route("/app/enrollments/{id}/take", post(pages::take))
        .route(
            "/app/enrollments/{id}/card",
            get(card::show).post(card::save),
        )
        .route(
            "/app/enrollments/{id}/card/message",
            post(card::send_message),
        )
        .route("/app/enrollments/{id}/card/call", post(card::call))
        .route("/app/reports", get(reports::index))
        .route("/app/reports/{id}", get(reports::assignment))
        .route("/app/setup", get(setup::index))
        .route(
            "/app/setup/owners/{owner}/flows",
            get(setup::flows).post(setup::create_flow),
        )
        .route(
            "/app/setup/owners/{owner}/products",
            get(setup::products).post(setup::create_product),
        )
        .route(
            "/app/setup/owners/{owner}/assignments/new",
            get(setup::new_assignment),
        )
        .route(
            "/app/setup/owners/{owner}/assignments",
            post(setup::create_assignment),
        )
        .route(
            "/app/setup/flows/{flow}",
            get(setup::flow).post(setup::edit_flow),
        )
        .route(
            "/app/setup/assignments/{id}",
            get(setup::assignment).post(setup::save_assignment),
        )
        .route("/app/setup/flows/{flow}/copy", post(setup::copy_flow))
        .route(
            "/app/setup/assignments/{id}/segments",
            post(setup::add_segment),
        )
        .route(
            "/app/setup/products/{id}/active",
            post(setup::product_active),
        )
        .route(
            "/app/setup/assignments/{id}/import",
            get(imports::page)
                .post(imports::start)
                .layer(DefaultBodyLimit::max(upload_body)),
        )
        .route(
            "/app/setup/assignments/{id}/import/preview",
            post(imports::preview).layer(DefaultBodyLimit::max(upload_body)),
        )
        .route("/app/import-jobs/{id}", get(imports::job))
        .route(
            "/app/import-jobs/{id}/rejected.csv",
            get(imports::rejected_rows),
        )
        .route("/app/setup/owners", post(owners::create))
        .route("/app/setup/owners/{owner}", get(owners::show))
        .route("/app/setup/owners/{owner}/gdpr", post(owners::save_gdpr))
        .route(
            "/app/setup/owners/{owner}/fields/{dataset}",
            post(owners::save_fields),
        )
        .route(
            "/app/setup/owners/{owner}/calendars",
            get(calendars::list).post(calendars::create),
        )
        .route("/app/setup/calendars/{id}", post(calendars::save))
        .route("/app/setup/users", get(users::list))
        .route("/app/setup/users/{id}/active", post(users::active))
        .route("/app/setup/users/{id}/role", post(users::role))
        .route("/app/wallboard/{id}", get(wallboard::page))
        .route("/app/wallboard/{id}/board", get(wallboard::board))
        .route("/app/assets/{name}", get(assets::serve))
        .layer(axum::extract::DefaultBodyLimit::max(FORM_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::refuse_declared_oversize,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}
