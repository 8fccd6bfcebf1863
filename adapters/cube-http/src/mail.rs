//! E-mail from the customer card (seed 000 item 8): a user who may open the card sends the
//! customer one of the assignment's e-mail templates; the outbox worker delivers it through
//! the assignment's mail account. The HTTP shell of `Cube::send_email`.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use crate::work::request_key;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cube_domain::ids::EnrollmentId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The e-mail template to send.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendEmailRequest {
    /// The name of one of the assignment's e-mail templates
    /// (`communication.email_templates`).
    pub template: String,
}

/// An e-mail queued for the customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentEmailDto {
    /// The outbox message carrying it (`GET /api/outbox/failed` lists it if it fails).
    pub message: Uuid,
    /// The address it goes to.
    pub to: String,
    /// The subject, merge fields filled in.
    pub subject: String,
}

/// Sends the customer one of the assignment's e-mail templates, from the customer card:
/// the worker delivers it.
#[utoipa::path(
    post, path = "/api/enrollments/{id}/email", tag = "sms",
    params(
        ("id" = Uuid, Path, description = "The enrollment (the customer being worked)"),
        ("Idempotency-Key" = Option<String>, Header, description = "A client-chosen key, the caller's own: the same request again with the key sends nothing more and answers with the first result; the key with another customer or template is refused (422). Kept two days"),
    ),
    request_body = SendEmailRequest,
    responses(
        (status = 202, description = "Queued: the worker sends it", body = SentEmailDto),
        (status = 403, description = "Not the caller's customer to work (a seller holds or follows them up), or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enrollment", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The Idempotency-Key header is not 1 to 200 visible ASCII characters", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such template, no sender address, no e-mail address, the customer is on the do-not-call list, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn send(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SendEmailRequest>,
) -> ApiResult<(StatusCode, Json<SentEmailDto>)> {
    let key = request_key(&headers)?;
    let sent = state
        .cube
        .send_email_keyed(&actor.user, id, &request.template, key.as_ref())
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SentEmailDto {
            message: sent.message.as_uuid(),
            to: sent.to.to_string(),
            subject: sent.subject,
        }),
    ))
}
