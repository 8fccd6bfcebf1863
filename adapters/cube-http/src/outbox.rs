//! The outbox as operators see it: the messages that were not delivered — refused by the
//! provider (a bad number, a blocked sender) or given up on after a day of trying — with the
//! reason, for the admins and managers of the assignments they belong to. Sending is the
//! server's worker's job (`apps/cube-server/src/worker.rs`), not an endpoint's.

use crate::AppState;
use crate::auth::Actor;
use crate::error::invalid_field;
use crate::error::{ApiQuery, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_domain::ports::{FailedMessage, OutboxPayload};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The most failed messages one answer lists.
pub const MAX_FAILED: u32 = 500;

/// How many failed messages.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FailedQuery {
    /// At most this many, 1 to 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// How a message was to be sent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelDto {
    /// A text message.
    Sms,
    /// An e-mail.
    Email,
    /// A webhook to one of the organisation's endpoints.
    Webhook,
}

/// A message that was not delivered, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FailedMessageDto {
    /// The outbox message id (also the idempotency key the provider was given).
    pub id: Uuid,
    /// The assignment it belongs to.
    pub assignment: Uuid,
    /// The enrollment it concerns, if any.
    pub enrollment: Option<Uuid>,
    /// SMS or e-mail.
    pub channel: ChannelDto,
    /// The recipient: a phone number (E.164) or an e-mail address; `null` for an SMS to a
    /// customer with no mobile number (the reason says so).
    pub to: Option<String>,
    /// When it was queued (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Why it was not delivered: the provider's answer, or the last error when it was given
    /// up on.
    pub reason: String,
}

impl From<&FailedMessage> for FailedMessageDto {
    fn from(failed: &FailedMessage) -> Self {
        let m = &failed.message;
        let (channel, to) = match &m.payload {
            OutboxPayload::Sms(sms) => (ChannelDto::Sms, Some(sms.to.as_str().to_owned())),
            OutboxPayload::Email(email) => (ChannelDto::Email, Some(email.to.as_str().to_owned())),
            OutboxPayload::UnaddressedSms { .. } => (ChannelDto::Sms, None),
            OutboxPayload::UnaddressedEmail { .. } => (ChannelDto::Email, None),
            OutboxPayload::Webhook { .. } => (ChannelDto::Webhook, None),
        };
        Self {
            id: m.id.as_uuid(),
            assignment: m.assignment.as_uuid(),
            enrollment: m.enrollment.map(|e| e.as_uuid()),
            channel,
            to,
            created_at: m.created_at,
            reason: failed.reason.clone(),
        }
    }
}

/// The messages of the caller's assignments that were not delivered, oldest first.
#[utoipa::path(
    get, path = "/api/outbox/failed", tag = "outbox",
    params(FailedQuery),
    responses(
        (status = 200, description = "Failed messages of the assignments the caller manages, oldest first", body = Vec<FailedMessageDto>),
        (status = 403, description = "Only admins and managers see the outbox", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn failed(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<FailedQuery>,
) -> ApiResult<Json<Vec<FailedMessageDto>>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_FAILED).contains(&limit) {
        return Err(invalid_field(
            "limit",
            format!("must be between 1 and {MAX_FAILED}, got {limit}"),
        ));
    }
    let failed = state.cube.failed_messages(&actor.user, limit).await?;
    Ok(Json(failed.iter().map(FailedMessageDto::from).collect()))
}
