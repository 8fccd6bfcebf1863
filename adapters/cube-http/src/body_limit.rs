//! The largest request body a route takes, known before the body is read.
//!
//! axum's `DefaultBodyLimit` counts bytes as they arrive, so a request that *declares* a body
//! larger than the limit (`Content-Length: 100000000`) and then sends it slowly, or not at
//! all, held its connection until the request's time limit ran out and was answered `503`
//! thirty seconds later. [`layer`] sets axum's limit and also puts the same number in the
//! request's extensions ([`BodyLimit`]); the JSON extractor ([`crate::error::ApiJson`])
//! reads it and refuses a declared length over it at once with `413` and a problem document,
//! before reading a byte. A route that sets its own limit uses [`layer`] too: the innermost
//! layer's extension wins, as axum's own limit does.

use crate::error::ApiError;
use axum::Extension;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};

/// The body limit of the route a request was routed to, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

/// axum's body limit of `max` bytes and the [`BodyLimit`] extension that tells it to the
/// extractors.
pub fn layer(max: usize) -> (DefaultBodyLimit, Extension<BodyLimit>) {
    (DefaultBodyLimit::max(max), Extension(BodyLimit(max)))
}

/// Refuses a request whose `Content-Length` is over `limit` (`413`, saying both numbers),
/// before its body is read. A missing or unreadable length passes: the limit is then
/// enforced while the body is read, as before.
pub fn refuse_declared_oversize(
    headers: &HeaderMap,
    limit: Option<BodyLimit>,
) -> Result<(), ApiError> {
    let Some(BodyLimit(limit)) = limit else {
        return Ok(());
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => Err(ApiError::Malformed {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            detail: format!(
                "the request body is {length} bytes; this endpoint takes at most {limit} bytes"
            ),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(length: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_LENGTH,
            length.parse().expect("a header value"),
        );
        headers
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_with_both_numbers() {
        let refusal = refuse_declared_oversize(&headers("1001"), Some(BodyLimit(1000)))
            .expect_err("over the limit");
        let (status, detail) = refusal.status_and_detail();
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            detail.contains("1001") && detail.contains("1000"),
            "{detail}"
        );
    }

    #[test]
    fn a_length_at_the_limit_or_none_or_no_limit_passes() {
        assert!(refuse_declared_oversize(&headers("1000"), Some(BodyLimit(1000))).is_ok());
        assert!(refuse_declared_oversize(&HeaderMap::new(), Some(BodyLimit(1000))).is_ok());
        assert!(refuse_declared_oversize(&headers("99999999"), None).is_ok());
    }
}
