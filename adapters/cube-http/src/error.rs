//! The one error type of the HTTP API and its one `IntoResponse`: every refusal leaves as an
//! RFC 9457 `application/problem+json` body. Use-case errors are mapped by
//! [`cube_app::ErrorKind`], so the status codes live in this file only. A storage failure's
//! message is logged and never sent: the client gets a generic detail.
//!
//! The extractors [`ApiJson`], [`ApiPath`] and [`ApiQuery`] wrap axum's own so that a
//! malformed body, path or query string is a problem document too (400), not plain text.
//! [`ApiJson`] also refuses a body that is not an object where its schema says object
//! ([`crate::body_shape`]): serde alone would read a struct from a JSON array.

use crate::body_limit::refuse_declared_oversize;
use crate::body_shape;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::{AppError, ErrorKind};
use cube_domain::ports::{StoreError, UniqueRule};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type; `about:blank` means "see `title` and `status`".
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong and what to change, written for the user.
    pub detail: String,
}

/// Why a request was refused. Converts into a problem response.
#[derive(Debug)]
pub enum ApiError {
    /// A use case refused or failed.
    App(AppError),
    /// The request itself is malformed (body, path, query); the status comes from axum.
    Malformed {
        /// 400, 415 or 422 as axum decided.
        status: StatusCode,
        /// What is wrong.
        detail: String,
    },
    /// No valid credentials (missing or unknown token, wrong e-mail or password).
    Unauthenticated(&'static str),
    /// A cookie-authenticated unsafe request without the CSRF header.
    CsrfHeaderMissing,
    /// A login throttle refused the attempt before any password was checked.
    TooManyRequests {
        /// Which throttle, in words for the caller.
        detail: &'static str,
        /// Seconds until a new try is accepted.
        retry_after_secs: u64,
    },
    /// Every password hashing slot is busy; try again after this many seconds.
    Busy {
        /// Seconds until a new try is likely to be served.
        retry_after_secs: u64,
    },
    /// The e-mail and password open logins in several organisations; the detail names them
    /// and asks for one.
    SeveralLogins(String),
    /// A failure inside the adapter (hashing, random source, a panicked blocking task).
    Internal(String),
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError::App(error)
    }
}

impl From<crate::hashing::GateError> for ApiError {
    fn from(error: crate::hashing::GateError) -> Self {
        match error {
            crate::hashing::GateError::Busy(_) => ApiError::Busy {
                retry_after_secs: 1,
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::hashing::HashError> for ApiError {
    fn from(error: crate::hashing::HashError) -> Self {
        match error {
            crate::hashing::HashError::Gate(gate) => gate.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::Malformed {
            status: rejection.status(),
            detail: rejection.body_text(),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        ApiError::Malformed {
            status: rejection.status(),
            detail: rejection.body_text(),
        }
    }
}

impl From<body_shape::NotAnObject> for ApiError {
    fn from(refusal: body_shape::NotAnObject) -> Self {
        ApiError::Malformed {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: refusal.to_string(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::Malformed {
            status: StatusCode::BAD_REQUEST,
            detail: rejection.body_text(),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::Malformed {
            status: StatusCode::BAD_REQUEST,
            detail: rejection.body_text(),
        }
    }
}

/// The status of a use-case error kind.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Stale => StatusCode::PRECONDITION_FAILED,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    /// The status and the detail sent to the client; internals are logged here, not sent.
    pub(crate) fn status_and_detail(&self) -> (StatusCode, String) {
        match self {
            // The cause is told as its own error would be (a storage failure's internals are
            // logged, not sent).
            ApiError::App(AppError::ImportStopped {
                imported,
                total,
                cause,
            }) => {
                let (status, cause) = ApiError::App((**cause).clone()).status_and_detail();
                (
                    status,
                    format!(
                        "the import stopped after {imported} of {total} rows were written: \
                         {cause}; the rows written stay, and sending the same file again \
                         finishes the import without duplicates"
                    ),
                )
            }
            ApiError::App(AppError::Store(store)) => {
                let status = status_of(self.kind());
                let detail = match store {
                    // A rule of the port names what exists already in the user's words; a
                    // rule the store knows no name for would name a database constraint.
                    StoreError::Duplicate(rule) if !matches!(rule, UniqueRule::Other(_)) => {
                        tracing::warn!(error = %store, "storage conflict");
                        format!("{store}; read it again and retry")
                    }
                    StoreError::Conflict(_) | StoreError::Duplicate(_) => {
                        tracing::warn!(error = %store, "storage conflict");
                        "the data changed meanwhile or exists already; read it again and retry"
                            .to_owned()
                    }
                    // The caller's value, beyond what the store keeps: say which, so it can
                    // be fixed (retrying the same value never helps).
                    StoreError::Unrepresentable(_) => store.to_string(),
                    StoreError::Unavailable(_) => {
                        tracing::error!(error = %store, "storage failed");
                        "the service cannot reach its data right now; try again later".to_owned()
                    }
                    StoreError::Corrupt(_) => {
                        tracing::error!(error = %store, "stored data could not be read");
                        "the server could not read stored data; this is a fault on our side, \
                         logged for the operators, and retrying will not help"
                            .to_owned()
                    }
                };
                (status, detail)
            }
            ApiError::App(error) => (status_of(error.kind()), error.to_string()),
            ApiError::Malformed { status, detail } => (*status, detail.clone()),
            ApiError::Unauthenticated(detail) => (StatusCode::UNAUTHORIZED, (*detail).to_owned()),
            ApiError::CsrfHeaderMissing => (
                StatusCode::FORBIDDEN,
                "a request authenticated by the session cookie must send the header \
                 `X-Requested-With: cube`"
                    .to_owned(),
            ),
            ApiError::TooManyRequests {
                detail,
                retry_after_secs,
            } => (
                StatusCode::TOO_MANY_REQUESTS,
                format!("{detail}; try again in {retry_after_secs} s"),
            ),
            ApiError::Busy { retry_after_secs } => (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server is checking too many passwords at once; try again in {retry_after_secs} s"
                ),
            ),
            ApiError::SeveralLogins(detail) => (StatusCode::CONFLICT, detail.clone()),
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server failed; try again later".to_owned(),
                )
            }
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            ApiError::App(error) => error.kind(),
            ApiError::Malformed { .. } => ErrorKind::Invalid,
            ApiError::Unauthenticated(_) => ErrorKind::Unauthenticated,
            ApiError::CsrfHeaderMissing => ErrorKind::Forbidden,
            ApiError::TooManyRequests { .. } => ErrorKind::Forbidden,
            ApiError::Busy { .. } => ErrorKind::Unavailable,
            ApiError::SeveralLogins(_) => ErrorKind::Conflict,
            ApiError::Internal(_) => ErrorKind::Internal,
        }
    }
}

/// A problem response with `status` and `detail`.
pub fn problem(status: StatusCode, detail: String) -> Response {
    let body = Problem {
        kind: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
    };
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = self.status_and_detail();
        let mut response = problem(status, detail);
        if let ApiError::TooManyRequests {
            retry_after_secs, ..
        }
        | ApiError::Busy { retry_after_secs } = &self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        // A 503 means only "try again": say when.
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cube\""),
            );
        }
        response
    }
}

/// The answer to a path no route serves: a 404 problem, like every other refusal.
pub async fn no_such_route() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "no operation lives at this path; the API is described at /api-docs/openapi.json"
            .to_owned(),
    )
}

/// The answer to a method a route does not serve: a 405 problem (axum adds `Allow`).
pub async fn method_not_allowed() -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "this path does not take this method; see the `Allow` header for those it takes".to_owned(),
    )
}

/// A 422 problem about one field of the request, named by its path in the body or query
/// (`` `states[1].name`: name must not be empty ``), so a client can point at the input to fix.
pub fn invalid_field(field: impl std::fmt::Display, detail: impl std::fmt::Display) -> ApiError {
    ApiError::Malformed {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        detail: format!("`{field}`: {detail}"),
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON body: `axum::Json`, whose rejection is a problem document, and which refuses a
/// value that is not an object where `T`'s schema says object (422, naming the body or the
/// path of the value). As an `Option`, a request without `Content-Type` has no body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

/// Whether the request says its body is JSON (`application/json` or `application/*+json`),
/// as `axum::Json` asks.
pub(crate) fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let subtype = subtype.to_ascii_lowercase();
    kind.eq_ignore_ascii_case("application") && (subtype == "json" || subtype.ends_with("+json"))
}

pub(crate) fn not_json() -> ApiError {
    ApiError::Malformed {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        detail: "Expected request with `Content-Type: application/json`".to_owned(),
    }
}

impl<T: DeserializeOwned + ToSchema + 'static> ApiJson<T> {
    /// Parses the body (400 when it is no JSON), checks its objects against `T`'s schema
    /// (422), then reads `T` with axum's own messages (422).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_bytes(bytes)?;
        body_shape::check::<T>(&value)?;
        let axum::Json(body) = axum::Json::<T>::from_bytes(bytes)?;
        Ok(ApiJson(body))
    }
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + ToSchema + 'static,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(request.headers()) {
            return Err(not_json());
        }
        refuse_declared_oversize(request.headers(), request.extensions().get().copied())?;
        let bytes = Bytes::from_request(request, state).await?;
        Self::from_bytes(&bytes)
    }
}

impl<T, S> OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + ToSchema + 'static,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if request.headers().get(header::CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        if !json_content_type(request.headers()) {
            return Err(not_json());
        }
        refuse_declared_oversize(request.headers(), request.extensions().get().copied())?;
        let bytes = Bytes::from_request(request, state).await?;
        Self::from_bytes(&bytes).map(Some)
    }
}

/// `axum::extract::Path` whose rejection is a problem document.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` whose rejection is a problem document.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(error: StoreError) -> (StatusCode, Option<String>, String) {
        let (status, detail) = ApiError::App(AppError::Store(error.clone())).status_and_detail();
        let response = ApiError::App(AppError::Store(error)).into_response();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, retry_after, detail)
    }

    /// An import that stopped part-way says how far it came, and its cause as that error
    /// would be told: a storage failure's internals stay in the log.
    #[test]
    fn a_stopped_import_tells_its_cause_without_internals() {
        let stopped = AppError::ImportStopped {
            imported: 2_000,
            total: 4_500,
            cause: Box::new(AppError::Store(StoreError::Unavailable(
                "connection refused by 10.0.0.3:5432".into(),
            ))),
        };
        let (status, detail) = ApiError::App(stopped).status_and_detail();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            detail.starts_with("the import stopped after 2000 of 4500 rows were written: "),
            "{detail}"
        );
        assert!(detail.contains("try again later"), "{detail}");
        assert!(detail.contains("sending the same file again"), "{detail}");
        assert!(!detail.contains("10.0.0.3"), "{detail}");
    }

    /// Only a refusal that retrying can mend says "try again"; the others say what to do.
    #[test]
    fn storage_failures_say_whether_retrying_helps() {
        let (status, retry, detail) = answer(StoreError::Unavailable("pool timed out".into()));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("1"));
        assert!(detail.contains("try again later"), "{detail}");

        let (status, retry, detail) = answer(StoreError::Unrepresentable(
            "price 1e30 has too many digits".into(),
        ));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(retry, None);
        assert!(detail.contains("price 1e30"), "{detail}");
        assert!(!detail.contains("try again"), "{detail}");

        let (status, retry, detail) = answer(StoreError::Corrupt("row 7".into()));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(retry, None);
        assert!(detail.contains("retrying will not help"), "{detail}");
        assert!(
            !detail.contains("row 7"),
            "internals are logged, not sent: {detail}"
        );

        let (status, _, detail) = answer(StoreError::Duplicate(UniqueRule::UserEmail));
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            detail,
            "a user with this e-mail address already exists; read it again and retry"
        );

        let (status, _, detail) = answer(StoreError::Duplicate(UniqueRule::Other(
            "users_secret_key".into(),
        )));
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(detail.contains("read it again"), "{detail}");
        assert!(
            !detail.contains("users_secret_key"),
            "a constraint's name is logged, not sent: {detail}"
        );
    }
}
