//! The one error type of the HTTP API and its one `IntoResponse`: every refusal leaves as an
//! RFC 9457 `application/problem+json` body. Use-case errors are mapped by
//! [`cube_app::ErrorKind`], so the status codes live in this file only. A storage failure's
//! message is logged and never sent: the client gets a generic detail.
//!
//! The extractors [`ApiJson`], [`ApiPath`] and [`ApiQuery`] wrap axum's own so that a
//! malformed body, path or query string is a problem document too (400), not plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::{AppError, ErrorKind};
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
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl ApiError {
    /// The status and the detail sent to the client; internals are logged here, not sent.
    fn status_and_detail(&self) -> (StatusCode, String) {
        match self {
            ApiError::App(AppError::Store(store)) => {
                let status = status_of(self.kind());
                if status == StatusCode::CONFLICT {
                    tracing::warn!(error = %store, "storage conflict");
                    let detail =
                        "the data changed meanwhile or exists already; read it again and retry";
                    (status, detail.to_owned())
                } else {
                    tracing::error!(error = %store, "storage failed");
                    let detail = "the service cannot reach its data right now; try again later";
                    (status, detail.to_owned())
                }
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
            ApiError::Internal(_) => ErrorKind::Unavailable,
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

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// `axum::Json` whose rejection is a problem document.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Path` whose rejection is a problem document.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` whose rejection is a problem document.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
