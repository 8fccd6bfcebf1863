//! Customers and the work on them beyond the seller's queue: create, read, update, search
//! and page customers; import; enroll; bulk actions on a selection; time entries; external
//! state changes from integrations. Each handler is a thin shell over one use case of `Cube`.

use crate::AppState;
use axum::Router;
use utoipa::OpenApi;

/// The customer endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// The customer endpoints' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi()]
pub struct CustomersApi;
