//! `ETag` and `If-Match` for the documents that are edited by reading them whole and sending
//! them back: an assignment's setup, a flow's draft, and a data owner (its GDPR details and
//! CRM fields share the data owner's tag). A GET answers the document's revision as a strong
//! `ETag`; a PUT may send it back in `If-Match`, and the use case refuses the write with 412
//! when the stored document is no longer at that revision, so two managers editing at once
//! do not overwrite each other without a word. `If-Match` is optional (a client that sends
//! none replaces the document as before); `*` is the same as none, since the document exists.

use crate::error::ApiError;
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use cube_app::Revision;

/// The revision a write is based on, from `If-Match`; `None` when the header is absent or `*`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IfMatch(pub Option<Revision>);

impl IfMatch {
    /// The revision to compare with, for the use case.
    pub fn revision(&self) -> Option<&Revision> {
        self.0.as_ref()
    }
}

fn malformed(detail: &str) -> ApiError {
    ApiError::Malformed {
        status: StatusCode::BAD_REQUEST,
        detail: format!("`If-Match`: {detail}"),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(header::IF_MATCH).iter();
        let Some(value) = values.next() else {
            return Ok(IfMatch(None));
        };
        if values.next().is_some() {
            return Err(malformed("send the header once, with one entity tag"));
        }
        let text = value
            .to_str()
            .map_err(|_| malformed("an entity tag is visible ASCII"))?
            .trim();
        if text == "*" {
            return Ok(IfMatch(None));
        }
        if text.contains(',') {
            return Err(malformed(
                "send one entity tag, the `ETag` the document was read with",
            ));
        }
        // A weak tag never matches by the strong comparison `If-Match` asks for: it is kept
        // whole, so it is no revision and the write answers 412.
        let tag = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) => inner,
            None if text.starts_with("W/") => text,
            None => {
                return Err(malformed(
                    "an entity tag is quoted, as `ETag` answered it (`\"…\"`)",
                ));
            }
        };
        Ok(IfMatch(Some(Revision::from_client(tag))))
    }
}

/// A JSON answer with the document's revision in `ETag`.
pub type Tagged<T> = ([(HeaderName, HeaderValue); 1], Json<T>);

/// `body` answered with `revision` as its strong `ETag`.
pub fn tagged<T>(revision: &Revision, body: T) -> Result<Tagged<T>, ApiError> {
    let etag = HeaderValue::from_str(&format!("\"{revision}\""))
        .map_err(|e| ApiError::Internal(format!("an ETag from a revision failed: {e}")))?;
    Ok(([(header::ETAG, etag)], Json(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn if_match(values: &[&str]) -> Result<IfMatch, ApiError> {
        let mut request = Request::builder();
        for value in values {
            request = request.header(header::IF_MATCH, *value);
        }
        let (mut parts, ()) = request.body(()).expect("a request").into_parts();
        IfMatch::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn if_match_takes_one_strong_tag_or_star() {
        assert_eq!(if_match(&[]).await.ok(), Some(IfMatch(None)));
        assert_eq!(if_match(&["*"]).await.ok(), Some(IfMatch(None)));
        assert_eq!(
            if_match(&["\"abc\""]).await.ok(),
            Some(IfMatch(Some(Revision::from_client("abc"))))
        );
        assert_eq!(
            if_match(&["W/\"abc\""]).await.ok(),
            Some(IfMatch(Some(Revision::from_client("W/\"abc\""))))
        );
        assert!(if_match(&["abc"]).await.is_err());
        assert!(if_match(&["\"a\", \"b\""]).await.is_err());
        assert!(if_match(&["\"a\"", "\"b\""]).await.is_err());
    }
}
