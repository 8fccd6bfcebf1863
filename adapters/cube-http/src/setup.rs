//! Setting up an organisation: users and API tokens, data owners (controller, purposes, CRM
//! fields), products, calendars, flows (draft, check, publish, copy) and assignments with
//! their whole setup and segments. Each handler is a thin shell over one use case of `Cube`.

use crate::AppState;
use axum::Router;
use utoipa::OpenApi;

/// The set-up endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// The set-up endpoints' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi()]
pub struct SetupApi;
