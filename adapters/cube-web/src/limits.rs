//! A request body *declared* larger than its page takes is refused before it is read.
//!
//! axum's `DefaultBodyLimit` counts bytes as they arrive, so a form or upload that declares
//! `Content-Length: 100000000` and then sends slowly, or nothing, held its connection until
//! the request's time limit and was answered 503 thirty seconds later (found from outside:
//! 2,000 such connections grew the server by 220 MB). [`refuse_declared_oversize`] reads the
//! header first. It sits outside the routes, so it tells a page's limit by its path: a
//! customer file's upload (`…/import`, `…/import/preview`) takes the operator's upload limit
//! and a form's worth of fields ([`crate::imports::body_limit`]), every other page a form of
//! [`crate::FORM_LIMIT`] — the same limits the routes give axum.

use crate::WebState;
use crate::session::WebError;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether `path` is a page that takes a spreadsheet upload.
fn takes_a_file(path: &str) -> bool {
    path.ends_with("/import") || path.ends_with("/import/preview")
}

/// Answers a body declared over its page's limit at once: an upload as the upload form says
/// a file too large (in the viewer's language), a form with 413 (which
/// [`crate::security::headers`] words as the pages word problems).
pub async fn refuse_declared_oversize(
    State(state): State<WebState>,
    request: Request,
    next: Next,
) -> Response {
    let upload = takes_a_file(request.uri().path());
    let limit = if upload {
        crate::imports::body_limit(state.file_imports.upload_limit)
    } else {
        crate::FORM_LIMIT
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        if upload {
            let lang = crate::session::lang_of(request.headers());
            let detail = crate::imports::file_too_large(lang, state.file_imports.upload_limit);
            return WebError::Form { detail, lang }.into_response();
        }
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_pages_are_told_by_their_path() {
        assert!(takes_a_file("/app/setup/assignments/1/import"));
        assert!(takes_a_file("/app/setup/assignments/1/import/preview"));
        assert!(!takes_a_file("/app/setup/owners"));
        assert!(!takes_a_file("/app/import-jobs/1"));
    }
}
