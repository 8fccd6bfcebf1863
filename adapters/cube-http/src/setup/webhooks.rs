//! An organisation's outbound webhook endpoints (issue 17, "Integrations"): an admin
//! registers a URL and the events it wants; Cube POSTs each such event there, signed with
//! the endpoint's secret (`X-Cube-Signature`, see docs/security.md).
//!
//! The secret is 32 random bytes made here (the OS's random source), answered once in hex
//! when the endpoint is created, like an API token; the listing never shows it again, and no
//! log line carries it.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cube_app::webhooks::NewWebhookEndpoint;
use cube_domain::ids::WebhookEndpointId;
use cube_domain::webhooks::WebhookEndpoint;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// An endpoint to register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookRequest {
    /// Where to POST: an `http://` or `https://` URL.
    pub url: String,
    /// The events it receives (at least one): `outcome_registered`, `state_changed`,
    /// `meeting_booked`, `customers_imported`.
    pub events: Vec<String>,
    /// Whether it receives events at once; left out: yes.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// An endpoint as listed: never its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDto {
    /// The endpoint's id.
    pub id: Uuid,
    /// Where Cube POSTs.
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// Whether it receives events now.
    pub enabled: bool,
    /// When it was registered (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<&WebhookEndpoint> for WebhookDto {
    fn from(endpoint: &WebhookEndpoint) -> Self {
        Self {
            id: endpoint.id.as_uuid(),
            url: endpoint.url.as_str().to_owned(),
            events: endpoint
                .events
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            enabled: endpoint.enabled,
            created_at: endpoint.created_at,
        }
    }
}

/// A newly registered endpoint, with its secret shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhookDto {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookDto,
    /// The signing secret (64 hex digits): the HMAC key of `X-Cube-Signature`. It cannot be
    /// read again; to change it, delete the endpoint and register it anew.
    pub secret: String,
}

/// Registers a webhook endpoint of the caller's organisation. Admins only.
#[utoipa::path(
    post, path = "/api/webhooks", tag = "setup",
    request_body = NewWebhookRequest,
    responses(
        (status = 201, description = "The endpoint, with its secret shown this once", body = CreatedWebhookDto),
        (status = 403, description = "The caller is no admin, or a cookie without the CSRF header", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A URL that is not http:// or https://, no events, or an unknown event", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<NewWebhookRequest>,
) -> ApiResult<(StatusCode, Json<CreatedWebhookDto>)> {
    let mut secret = [0_u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| ApiError::Internal(format!("the random source failed: {e}")))?;
    let endpoint = state
        .cube
        .create_webhook_endpoint(
            &actor.user,
            NewWebhookEndpoint {
                url: request.url,
                events: request.events,
                enabled: request.enabled,
                secret,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhookDto {
            endpoint: WebhookDto::from(&endpoint),
            secret: endpoint.secret.expose().to_owned(),
        }),
    ))
}

/// The organisation's webhook endpoints, oldest first, without their secrets. Admins only.
#[utoipa::path(
    get, path = "/api/webhooks", tag = "setup",
    responses(
        (status = 200, description = "The endpoints", body = Vec<WebhookDto>),
        (status = 403, description = "The caller is no admin", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<WebhookDto>>> {
    let endpoints = state.cube.webhook_endpoints(&actor.user).await?;
    Ok(Json(endpoints.iter().map(WebhookDto::from).collect()))
}

/// Deletes a webhook endpoint; its webhooks not yet sent are not sent. Admins only.
#[utoipa::path(
    delete, path = "/api/webhooks/{id}", tag = "setup",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The caller is no admin, or a cookie without the CSRF header", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    state
        .cube
        .delete_webhook_endpoint(&actor.user, WebhookEndpointId::from_uuid(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
