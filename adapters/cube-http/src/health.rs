//! Liveness and readiness for orchestrators and load balancers. `/healthz` answers as long
//! as the process serves; `/readyz` also opens (and drops, so rolls back) a unit of work on
//! the store, so a server whose database is gone is taken out of rotation.

use crate::AppState;
use crate::error::Problem;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Liveness: the process serves requests.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = String))
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the store answers.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready: the store answers", body = String),
        (status = 503, description = "The store does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.cube.store().begin().await {
        Ok(uow) => {
            drop(uow);
            "ready".into_response()
        }
        Err(error) => {
            tracing::error!(%error, "readiness check: the store does not answer");
            crate::error::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database does not answer".to_owned(),
            )
        }
    }
}
