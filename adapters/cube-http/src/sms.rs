//! Texts to and from customers (issue 17): an SMS from the customer card, the SMS
//! provider's callbacks — the texts customers send, and the delivery receipts of the
//! messages it was given — and the texts an assignment received, for its managers.
//!
//! `POST /api/sms/inbound` and `POST /api/sms/receipts` are called by the provider, not by a
//! user: each is authenticated by
//! the shared secret the operator set (`CUBE_SMS_INBOUND_SECRET`), sent in the header
//! `X-Cube-Sms-Secret` and compared in constant time. A user's token does not open it. The
//! secret is checked before a byte of the body is read, and the body is read up to 64 KiB:
//! a caller without the secret costs nothing. Without a configured secret the endpoint does
//! not exist (404). The body is the generic JSON every provider's callback can be mapped to
//! (`{"id": …, "from": …, "text": …}`); the answer is what the text did, the same for a
//! text posted twice.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{
    ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Problem, invalid_field, json_content_type,
    not_json,
};
use crate::work::request_key;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cube_app::AppError;
use cube_app::sms_replies::MAX_REPLIES_PAGE;
use cube_domain::ids::{AssignmentId, EnrollmentId, OutboxMessageId, SmsReplyId};
use cube_domain::ports::DeliveryReceipt;
use cube_domain::sms::{self, InboundSms, ReplyFate, SmsReply};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The header the provider sends the shared secret in.
pub const SECRET_HEADER: &str = "x-cube-sms-secret";

/// The largest inbound body read.
pub const MAX_INBOUND_BODY: usize = 64 * 1024;

/// The shortest shared secret the server accepts.
pub const MIN_SECRET_LEN: usize = 16;

/// A text as the provider posts it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundSmsBody {
    /// The provider's id of the message (1–200 characters): the same text posted twice is
    /// taken in once.
    pub id: String,
    /// The sender's number: with its country code (`+4791234567`, `004791234567`), as an
    /// international number without the `+` (`4791234567`), or a Norwegian number without
    /// a country code (`91234567`).
    pub from: String,
    /// The number or name it was sent to (our sender), when the provider says: a text is
    /// matched to the latest flow sent to its number as that sender, else to the latest.
    #[serde(default)]
    pub to: Option<String>,
    /// The text as written (at most 1,600 characters).
    pub text: String,
}

/// What a received text did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyFateDto {
    /// An approved keyword in time: the keyword's outcome was registered.
    Registered,
    /// Not one of the flow's keywords: kept and shown.
    UnknownKeyword,
    /// After the flow's reply window: kept and shown.
    OutsideWindow,
    /// No SMS flow went to the number: kept.
    UnknownNumber,
    /// An earlier text answered the flow already: kept and shown.
    AlreadyAnswered,
    /// The customer was moved on since the SMS: kept and shown.
    CustomerMovedOn,
    /// The keyword's outcome could not be registered (`reason` says why): kept and shown.
    Refused,
    /// The acceptance of a sale's written offer: the sale is confirmed (`confirmation`).
    SaleConfirmed,
    /// The refusal of a sale's written offer: the confirmation is refused and the refusal
    /// outcome registered (`event`), or not (`reason` says why).
    SaleRefused,
}

impl ReplyFateDto {
    /// The fate as the JSON writes it (`unknown_number`): also the words of a workbook
    /// (the access export's texts).
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyFateDto::Registered => "registered",
            ReplyFateDto::UnknownKeyword => "unknown_keyword",
            ReplyFateDto::OutsideWindow => "outside_window",
            ReplyFateDto::UnknownNumber => "unknown_number",
            ReplyFateDto::AlreadyAnswered => "already_answered",
            ReplyFateDto::CustomerMovedOn => "customer_moved_on",
            ReplyFateDto::Refused => "refused",
            ReplyFateDto::SaleConfirmed => "sale_confirmed",
            ReplyFateDto::SaleRefused => "sale_refused",
        }
    }
}

/// A received text and what it did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SmsReplyDto {
    /// The id.
    pub id: Uuid,
    /// The provider's message id.
    pub provider_id: String,
    /// The sender (E.164).
    pub from: String,
    /// The text as written.
    pub text: String,
    /// When it was received (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// The assignment of the SMS flow or sale confirmation it was matched to; `null` when
    /// none was.
    pub assignment: Option<Uuid>,
    /// The customer's enrollment in it.
    pub enrollment: Option<Uuid>,
    /// The flow's SMS (its outbox message id).
    pub flow_message: Option<Uuid>,
    /// When the flow's SMS was sent (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub flow_sent_at: Option<OffsetDateTime>,
    /// What it did.
    pub fate: ReplyFateDto,
    /// The outcome registered (`registered` only).
    pub outcome: Option<Uuid>,
    /// The outcome event appended (`registered` only).
    pub event: Option<Uuid>,
    /// Why the outcome was not registered (`refused`, `sale_refused`).
    pub reason: Option<String>,
    /// The sale confirmation it answered (a text from a number with a pending one), if any.
    #[serde(default)]
    pub confirmation: Option<Uuid>,
}

impl From<&SmsReply> for SmsReplyDto {
    fn from(reply: &SmsReply) -> Self {
        let (fate, outcome, event, reason) = match &reply.fate {
            ReplyFate::Registered { outcome, event } => (
                ReplyFateDto::Registered,
                Some(outcome.as_uuid()),
                Some(event.as_uuid()),
                None,
            ),
            ReplyFate::UnknownKeyword => (ReplyFateDto::UnknownKeyword, None, None, None),
            ReplyFate::OutsideWindow => (ReplyFateDto::OutsideWindow, None, None, None),
            ReplyFate::UnknownNumber => (ReplyFateDto::UnknownNumber, None, None, None),
            ReplyFate::AlreadyAnswered => (ReplyFateDto::AlreadyAnswered, None, None, None),
            ReplyFate::CustomerMovedOn => (ReplyFateDto::CustomerMovedOn, None, None, None),
            ReplyFate::Refused { reason } => {
                (ReplyFateDto::Refused, None, None, Some(reason.clone()))
            }
            ReplyFate::SaleConfirmed { .. } => (ReplyFateDto::SaleConfirmed, None, None, None),
            ReplyFate::SaleRefused {
                confirmation,
                event,
                not_registered,
            } => (
                ReplyFateDto::SaleRefused,
                reply
                    .confirmation
                    .as_ref()
                    .filter(|c| c.id == *confirmation)
                    .map(|c| c.on_refusal.as_uuid()),
                event.map(|e| e.as_uuid()),
                not_registered.clone(),
            ),
        };
        let flow = reply.flow.as_ref();
        Self {
            id: reply.id.as_uuid(),
            provider_id: reply.inbound.provider_id.clone(),
            from: reply.inbound.from.as_str().to_owned(),
            text: reply.inbound.text.clone(),
            received_at: reply.received_at,
            assignment: reply.assignment().map(|a| a.as_uuid()),
            enrollment: reply.enrollment().map(|e| e.as_uuid()),
            flow_message: flow.map(|f| f.message.as_uuid()),
            flow_sent_at: flow.map(|f| f.sent_at),
            fate,
            outcome,
            event,
            reason,
            confirmation: reply.confirmation.as_ref().map(|c| c.id.as_uuid()),
        }
    }
}

/// Whether `given` is the secret, compared in time that does not depend on where they
/// differ (both hashed first, so their lengths do not show either).
pub(crate) fn same_secret(given: &[u8], secret: &str) -> bool {
    let given = Sha256::digest(given);
    let secret = Sha256::digest(secret.as_bytes());
    given
        .iter()
        .zip(secret.iter())
        .fold(0u8, |differ, (a, b)| differ | (a ^ b))
        == 0
}

/// The body of a provider's call, once its shared secret is checked: first the secret (404
/// when none is set, 401 when it is missing or wrong), then the content type, then at most
/// [`MAX_INBOUND_BODY`] bytes of JSON read as `T`.
async fn provider_json<T: serde::de::DeserializeOwned + ToSchema + 'static>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    let Some(secret) = state.sms_inbound_secret.as_deref() else {
        return Err(ApiError::App(AppError::NotFound(
            "SMS provider endpoint (the operator has not set CUBE_SMS_INBOUND_SECRET)",
        )));
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(axum::http::HeaderValue::as_bytes)
        .unwrap_or_default();
    if !same_secret(given, secret) {
        return Err(ApiError::Unauthenticated(
            "send the shared secret the operator set in the header `X-Cube-Sms-Secret`",
        ));
    }
    if !json_content_type(headers) {
        return Err(not_json());
    }
    let too_large = format!(
        "the body is larger than {} KiB: a provider's callback is far smaller",
        MAX_INBOUND_BODY / 1024
    );
    let bytes = crate::customers::files::read_body(
        headers,
        body,
        MAX_INBOUND_BODY,
        "a JSON body with `Content-Type: application/json`",
        &too_large,
    )
    .await?;
    let ApiJson(posted) = ApiJson::<T>::from_bytes(&bytes)?;
    Ok(posted)
}

/// What a delivery receipt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatusDto {
    /// The message reached the phone.
    Delivered,
    /// It never will (`reason` says why).
    Failed,
}

/// A provider's delivery receipt.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryReceiptBody {
    /// The message: the `Idempotency-Key` it was sent with (the outbox message id).
    pub message: Uuid,
    /// Delivered or failed.
    pub status: ReceiptStatusDto,
    /// Why it failed (at most 500 characters); ignored for `delivered`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The longest failure reason kept from a receipt.
pub const MAX_RECEIPT_REASON: usize = 500;

/// Records the provider's delivery receipt for a message it was given: a failed one is then
/// listed with the failed messages (`GET /api/outbox/failed`) with the provider's reason.
#[utoipa::path(
    post, path = "/api/sms/receipts", tag = "sms",
    request_body = DeliveryReceiptBody,
    params(("X-Cube-Sms-Secret" = String, Header, description = "The shared secret the operator set (`CUBE_SMS_INBOUND_SECRET`)")),
    responses(
        (status = 204, description = "Recorded (a failed message keeps its first reason)"),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The shared secret is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such message, or the endpoint is not configured on this server", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
pub async fn receipt(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<StatusCode> {
    let posted: DeliveryReceiptBody = provider_json(&state, &headers, body).await?;
    let receipt = match posted.status {
        ReceiptStatusDto::Delivered => DeliveryReceipt::Delivered,
        ReceiptStatusDto::Failed => {
            let reason = posted
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .unwrap_or("the provider reported it undelivered");
            if reason.chars().count() > MAX_RECEIPT_REASON || reason.chars().any(char::is_control) {
                return Err(invalid_field(
                    "reason",
                    format!(
                        "must be at most {MAX_RECEIPT_REASON} characters without control characters"
                    ),
                ));
            }
            DeliveryReceipt::Failed(reason.to_owned())
        }
    };
    state
        .cube
        .record_delivery_receipt(OutboxMessageId::from_uuid(posted.message), receipt)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes in a text a customer sent: matched to the latest SMS flow sent to its number, acted
/// on when it is an approved keyword in time, kept with what it did either way.
#[utoipa::path(
    post, path = "/api/sms/inbound", tag = "sms",
    request_body = InboundSmsBody,
    params(("X-Cube-Sms-Secret" = String, Header, description = "The shared secret the operator set (`CUBE_SMS_INBOUND_SECRET`)")),
    responses(
        (status = 200, description = "Taken in (or taken in before: the first result); what it did", body = SmsReplyDto),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The shared secret is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Inbound SMS is not configured on this server", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid: the id, the sender's number, the text's length", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
pub async fn inbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<SmsReplyDto>> {
    let posted: InboundSmsBody = provider_json(&state, &headers, body).await?;
    let from = sms::sender_number(&posted.from).map_err(|e| invalid_field("from", e))?;
    let text = InboundSms::new(&posted.id, from, &posted.text)
        .and_then(|text| text.sent_to(posted.to.as_deref()))
        .map_err(|e| {
            let field = match e {
                sms::InboundError::ProviderId => "id",
                sms::InboundError::TextTooLong => "text",
                sms::InboundError::To => "to",
            };
            invalid_field(field, e)
        })?;
    let reply = state.cube.receive_sms(text).await?;
    Ok(Json(SmsReplyDto::from(&reply)))
}

/// A page of received texts.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RepliesQuery {
    /// The texts after this one (the last of the previous page); from the first without it.
    pub after: Option<Uuid>,
    /// At most this many, 1 to 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The texts received on the assignment's SMS flows, in the order received: answers, unknown
/// words, late ones.
#[utoipa::path(
    get, path = "/api/assignments/{id}/sms-replies", tag = "sms",
    params(("id" = Uuid, Path, description = "The assignment"), RepliesQuery),
    responses(
        (status = 200, description = "The texts, oldest first", body = Vec<SmsReplyDto>),
        (status = 403, description = "Only those who manage the assignment read its texts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn replies(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<RepliesQuery>,
) -> ApiResult<Json<Vec<SmsReplyDto>>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_REPLIES_PAGE).contains(&limit) {
        return Err(invalid_field(
            "limit",
            format!("must be between 1 and {MAX_REPLIES_PAGE}, got {limit}"),
        ));
    }
    let after = query.after.map(SmsReplyId::from_uuid);
    let replies = state
        .cube
        .sms_replies(&actor.user, id, after, limit)
        .await?;
    Ok(Json(replies.iter().map(SmsReplyDto::from).collect()))
}

/// The SMS template to send.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendSmsRequest {
    /// The name of one of the assignment's SMS templates (`communication.sms_templates`).
    pub template: String,
}

/// An SMS queued for the customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentSmsDto {
    /// The outbox message carrying it (`GET /api/outbox/failed` lists it if it fails).
    pub message: Uuid,
    /// The number it goes to (E.164).
    pub to: String,
    /// The text, merge fields filled in.
    pub body: String,
    /// `gsm7` or `ucs2`.
    pub encoding: String,
    /// Its size in the encoding's units.
    pub units: u32,
    /// How many SMS it is sent as.
    pub segments: u32,
}

/// Sends the customer one of the assignment's SMS templates, from the customer card: the
/// worker delivers it.
#[utoipa::path(
    post, path = "/api/enrollments/{id}/sms", tag = "sms",
    params(
        ("id" = Uuid, Path, description = "The enrollment (the customer being worked)"),
        ("Idempotency-Key" = Option<String>, Header, description = "A client-chosen key, the caller's own: the same request again with the key sends nothing more and answers with the first result; the key with another customer or template is refused (422). Kept two days"),
    ),
    request_body = SendSmsRequest,
    responses(
        (status = 202, description = "Queued: the worker sends it", body = SentSmsDto),
        (status = 403, description = "Not the caller's customer to work (a seller holds or follows them up), or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enrollment", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The Idempotency-Key header is not 1 to 200 visible ASCII characters", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such template, no sender, no mobile number, the customer is on the do-not-call list, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn send(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SendSmsRequest>,
) -> ApiResult<(StatusCode, Json<SentSmsDto>)> {
    let key = request_key(&headers)?;
    let sent = state
        .cube
        .send_sms_keyed(&actor.user, id, &request.template, key.as_ref())
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SentSmsDto {
            message: sent.message.as_uuid(),
            to: sent.to.as_str().to_owned(),
            body: sent.body,
            encoding: sent.length.encoding.as_str().to_owned(),
            units: sent.length.units,
            segments: sent.length.segments,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::ReplyFateDto;

    /// Found from outside: the access export's workbook wrote a text's fate as the Rust
    /// name (`UnknownNumber`) where the JSON says `unknown_number`. Every fate's word is
    /// the JSON's.
    #[test]
    fn a_fate_is_written_as_the_json_writes_it() {
        for fate in [
            ReplyFateDto::Registered,
            ReplyFateDto::UnknownKeyword,
            ReplyFateDto::OutsideWindow,
            ReplyFateDto::UnknownNumber,
            ReplyFateDto::AlreadyAnswered,
            ReplyFateDto::CustomerMovedOn,
            ReplyFateDto::Refused,
            ReplyFateDto::SaleConfirmed,
            ReplyFateDto::SaleRefused,
        ] {
            assert_eq!(
                serde_json::to_value(fate).expect("serialises"),
                serde_json::Value::from(fate.as_str()),
                "{fate:?}"
            );
        }
    }
}
