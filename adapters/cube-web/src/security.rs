//! The security headers every page and asset is answered with. The policy allows scripts,
//! styles, images and requests from Cube's own origin only: no `unsafe-inline`, no
//! `unsafe-eval` (htmx is configured not to evaluate, see `base.html`), no framing.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The Content-Security-Policy of every web answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// Adds the security headers to an answer of the web app. A form over the size limit is
/// answered as the pages answer any problem (in the viewer's language, into the page's
/// problem slot for htmx), not with the framework's plain text that would replace the form.
pub async fn headers(request: Request, next: Next) -> Response {
    let lang = crate::session::lang_of(request.headers());
    let htmx = crate::session::is_htmx(request.headers());
    let mut response = next.run(request).await;
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        response = crate::views::problem(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            lang,
            lang.error(cube_app::ErrorKind::Invalid),
            lang.t(crate::i18n::M::TooLarge),
            htmx,
        );
    }
    set(&mut response);
    response
}

/// [`headers`] for the answers under `/app` that come from outside the web app's router
/// (the API's answers for unknown paths and methods): a server wraps its whole router in
/// this so no answer under `/app` goes out without them.
pub async fn headers_under_app(request: Request, next: Next) -> Response {
    let under_app = request.uri().path().starts_with("/app");
    let mut response = next.run(request).await;
    if under_app
        && !response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY)
    {
        set(&mut response);
    }
    response
}

fn set(response: &mut Response) {
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
}
