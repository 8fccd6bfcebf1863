//! Click-to-call over HTTP (issue 17): a seller starts a call from the customer card
//! (`POST /api/enrollments/{id}/call`), reads the calls to the customer
//! (`GET /api/enrollments/{id}/calls`), and the PBX posts each call's status events
//! (`POST /api/telephony/events`).
//!
//! The events endpoint is called by the PBX, not by a user: it is authenticated by the shared
//! secret the operator set (`CUBE_TELEPHONY_EVENTS_SECRET`), sent in the header
//! `X-Cube-Telephony-Secret` or as the password of HTTP basic auth (a Twilio-style provider
//! sends the login of the callback URL so: it asks first without one, and is answered 401
//! with `WWW-Authenticate: Basic`), compared in constant time before the body is read.
//! Without a configured secret the endpoint does not exist (404). The body is a Twilio-style
//! status callback, form-encoded (`CallSid`, `CallStatus`, `CallDuration`; the other fields
//! are ignored); `?call=<id>` (which our Twilio adapter puts in the callback URL) finds a call
//! whose PBX id is not kept yet. The same event twice changes nothing; an event for a call
//! Cube does not know is answered 204 all the same, so the PBX does not retry it.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, Problem, invalid_field};
use crate::sms::same_secret;
use crate::work::request_key;
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::AppError;
use cube_app::calls::StartedCall;
use cube_domain::call::{self, Call, CallEvent, CallStatus};
use cube_domain::ids::{CallId, EnrollmentId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The header the PBX may send the shared secret in.
pub const SECRET_HEADER: &str = "x-cube-telephony-secret";

/// Where a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatusDto {
    /// Placed as a `tel:` link for a softphone.
    Dialled,
    /// Asked of the PBX.
    Initiated,
    /// The seller's phone rings.
    Ringing,
    /// Answered.
    InProgress,
    /// Ended after it was answered.
    Completed,
    /// The line was busy.
    Busy,
    /// Nobody answered.
    NoAnswer,
    /// The PBX could not place it (`failure` says why).
    Failed,
    /// Hung up before it was answered.
    Canceled,
}

impl From<CallStatus> for CallStatusDto {
    fn from(status: CallStatus) -> Self {
        match status {
            CallStatus::Dialled => Self::Dialled,
            CallStatus::Initiated => Self::Initiated,
            CallStatus::Ringing => Self::Ringing,
            CallStatus::InProgress => Self::InProgress,
            CallStatus::Completed => Self::Completed,
            CallStatus::Busy => Self::Busy,
            CallStatus::NoAnswer => Self::NoAnswer,
            CallStatus::Failed => Self::Failed,
            CallStatus::Canceled => Self::Canceled,
        }
    }
}

/// A call to a customer, as the history shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallDto {
    /// The id.
    pub id: Uuid,
    /// The assignment the customer was worked in.
    pub assignment: Uuid,
    /// The customer's enrollment in it.
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// The user who called.
    pub seller: Uuid,
    /// The number shown to the customer (E.164).
    pub caller_id: String,
    /// The customer's number called (E.164); `null` once the customer was erased.
    pub to: Option<String>,
    /// The PBX's id of the call; `null` for a `tel:` link, or until the PBX answered.
    pub provider_id: Option<String>,
    /// Where it is.
    pub status: CallStatusDto,
    /// When it was started (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it was answered (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    /// When it ended (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// The talk time in seconds, once ended.
    pub duration_seconds: Option<u32>,
    /// Why the PBX could not place it.
    pub failure: Option<String>,
    /// The line the history shows: "call 3 min 12 s, from +4722334455".
    pub summary: String,
}

impl From<&Call> for CallDto {
    fn from(call: &Call) -> Self {
        Self {
            id: call.id.as_uuid(),
            assignment: call.assignment.as_uuid(),
            enrollment: call.enrollment.as_uuid(),
            customer: call.customer.as_uuid(),
            seller: call.seller.as_uuid(),
            caller_id: call.caller_id.as_str().to_owned(),
            to: call.to.as_ref().map(|to| to.as_str().to_owned()),
            provider_id: call.provider_id.clone(),
            status: call.status.into(),
            started_at: call.started_at,
            answered_at: call.answered_at,
            ended_at: call.ended_at,
            duration_seconds: call.duration,
            failure: call.failure.clone(),
            summary: call.summary(),
        }
    }
}

/// A call started.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartedCallDto {
    /// The call as recorded.
    pub call: CallDto,
    /// `tel:+47…` for the seller's softphone to dial, when the server places calls as links;
    /// `null` when the PBX rings the seller's phone.
    pub link: Option<String>,
}

impl From<&StartedCall> for StartedCallDto {
    fn from(started: &StartedCall) -> Self {
        Self {
            call: CallDto::from(&started.call),
            link: started.link.clone(),
        }
    }
}

/// Calls the customer of an enrollment: the PBX rings the caller's phone and bridges to the
/// customer, showing the assignment's caller id (its shared number or the caller's own, and
/// only a number the organisation registered); or, when the server places calls as links,
/// the answer's `link` is for the caller's softphone. The call is recorded either way.
#[utoipa::path(
    post, path = "/api/enrollments/{id}/call", tag = "work",
    params(
        ("id" = Uuid, Path, description = "The enrollment"),
        ("Idempotency-Key" = Option<String>, Header, description = "A client-chosen key, the caller's own: the same request again with the key rings nobody and answers with the first call as kept now; the key with another customer is refused (422). Kept two days"),
    ),
    responses(
        (status = 201, description = "The call, started (or the link to dial)", body = StartedCallDto),
        (status = 403, description = "Not the caller's customer to work (a seller holds or follows them up), or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enrollment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The contact policy forbids calling the customer now (the do-not-call list, the reservation register, a consumer outside the call windows)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "The Idempotency-Key header is not 1 to 200 visible ASCII characters", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No number to call, no phone of the caller's to ring, a caller id the organisation did not register, the PBX refused the call, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The PBX could not be reached, or is misconfigured; the call is kept as failed", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn start(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<StartedCallDto>)> {
    let key = request_key(&headers)?;
    let started = state
        .cube
        .start_call_keyed(&actor.user, id, key.as_ref())
        .await?;
    Ok((StatusCode::CREATED, Json(StartedCallDto::from(&started))))
}

/// The calls to the customer of an enrollment, oldest first: what the customer's history
/// shows beside the outcomes. Read by whoever reads that history.
#[utoipa::path(
    get, path = "/api/enrollments/{id}/calls", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment")),
    responses(
        (status = 200, description = "The calls, oldest first", body = Vec<CallDto>),
        (status = 403, description = "A seller who neither holds nor follows up the customer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enrollment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
) -> ApiResult<Json<Vec<CallDto>>> {
    let calls = state.cube.calls_of(&actor.user, id).await?;
    Ok(Json(calls.iter().map(CallDto::from).collect()))
}

/// A PBX's status callback, Twilio-style (form fields; the others it sends are ignored).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CallEventForm {
    /// The PBX's id of the call.
    #[serde(rename = "CallSid")]
    pub call_sid: String,
    /// `initiated`, `ringing`, `in-progress` (or `answered`), `completed`, `busy`,
    /// `no-answer`, `failed` or `canceled`.
    #[serde(rename = "CallStatus")]
    pub call_status: String,
    /// The talk time in seconds (at the end).
    #[serde(rename = "CallDuration", default)]
    pub call_duration: Option<String>,
}

/// Which call an event URL names.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Cube's id of the call, as its PBX request's callback URL carried it.
    pub call: Option<Uuid>,
}

/// The secret the PBX sent: the header, else basic auth's password.
fn given_secret(headers: &HeaderMap) -> Option<Vec<u8>> {
    if let Some(value) = headers.get(SECRET_HEADER) {
        return Some(value.as_bytes().to_vec());
    }
    let basic = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64_decoded(basic.trim())?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    Some(decoded[colon + 1..].to_vec())
}

/// Standard base64 (RFC 4648, `=` padding optional) decoded; `None` for anything else.
fn base64_decoded(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits = text.trim_end_matches('=').as_bytes();
    if digits.len() % 4 == 1 || text.len() - digits.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= value(*c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// The 401 a PBX gets without the secret: it may then send its callback URL's login.
fn unauthenticated() -> Response {
    let mut response = ApiError::Unauthenticated(
        "send the shared secret the operator set (CUBE_TELEPHONY_EVENTS_SECRET) in the header `X-Cube-Telephony-Secret`, or as the password of HTTP basic auth",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"cube-telephony\""),
    );
    response
}

/// Takes in a PBX's status event for a call (see the module doc).
#[utoipa::path(
    post, path = "/api/telephony/events", tag = "work",
    params(
        EventQuery,
        ("X-Cube-Telephony-Secret" = Option<String>, Header, description = "The shared secret the operator set (`CUBE_TELEPHONY_EVENTS_SECRET`); or send it as basic auth's password"),
    ),
    request_body(content = CallEventForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 204, description = "Taken in (or the call is unknown: nothing to do)"),
        (status = 401, description = "The shared secret is missing or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Telephony events are not configured on this server", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not form-encoded", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid: the call id, the status, the duration", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
pub async fn events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventQuery>,
    request: Request,
) -> Result<StatusCode, Response> {
    let Some(secret) = state.telephony_events_secret.as_deref() else {
        return Err(ApiError::App(AppError::NotFound(
            "telephony events endpoint (the operator has not set CUBE_TELEPHONY_EVENTS_SECRET)",
        ))
        .into_response());
    };
    let given = given_secret(request.headers()).unwrap_or_default();
    if !same_secret(&given, secret) {
        return Err(unauthenticated());
    }
    // A body declared larger than the route takes is refused before it is read (413, as on
    // every other route; found from outside: a 10 MB body answered 422).
    crate::body_limit::refuse_declared_oversize(
        request.headers(),
        request.extensions().get().copied(),
    )
    .map_err(IntoResponse::into_response)?;
    let axum::Form(form) = axum::Form::<CallEventForm>::from_request(request, &state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                return ApiError::Malformed {
                    status,
                    detail: format!("the request body is too large: {}", rejection.body_text()),
                }
                .into_response();
            }
            let detail = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                "the body must be `application/x-www-form-urlencoded`, as a Twilio-style status callback".to_owned()
            } else {
                format!(
                    "the body must be a form with CallSid and CallStatus: {}",
                    rejection.body_text()
                )
            };
            let status = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                status
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            ApiError::Malformed { status, detail }.into_response()
        })?;
    let reject = |e: ApiError| e.into_response();
    let provider_id =
        call::provider_call_id(&form.call_sid).map_err(|e| reject(invalid_field("CallSid", e)))?;
    let event = CallEvent::parse(
        &form.call_status,
        form.call_duration.as_deref(),
        state.cube.now(),
    )
    .map_err(|e| {
        let field = match e {
            call::CallEventError::Duration => "CallDuration",
            _ => "CallStatus",
        };
        reject(invalid_field(field, e))
    })?;
    state
        .cube
        .record_call_event(query.call.map(CallId::from_uuid), &provider_id, event)
        .await
        .map_err(|e| reject(ApiError::App(e)))?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_passwords_are_read_and_anything_else_is_not() {
        // `base64("cube:s3cret")`, `base64("ab")`, `base64("a")`.
        assert_eq!(
            base64_decoded("Y3ViZTpzM2NyZXQ="),
            Some(b"cube:s3cret".to_vec())
        );
        assert_eq!(base64_decoded("YWI="), Some(b"ab".to_vec()));
        assert_eq!(base64_decoded("YQ=="), Some(b"a".to_vec()));
        assert_eq!(base64_decoded("YWJj"), Some(b"abc".to_vec()));
        assert_eq!(base64_decoded("Y"), None);
        assert_eq!(base64_decoded("Y*=="), None);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic Y3ViZTpzM2NyZXQ="),
        );
        assert_eq!(given_secret(&headers), Some(b"s3cret".to_vec()));
        headers.insert(SECRET_HEADER, HeaderValue::from_static("from-header"));
        assert_eq!(given_secret(&headers), Some(b"from-header".to_vec()));
        assert!(same_secret(b"s3cret", "s3cret"));
        assert!(!same_secret(b"s3cret!", "s3cret"));
        assert_eq!(given_secret(&HeaderMap::new()), None);
    }
}
