//! The web app's static files, compiled into the binary: htmx 2 (vendored from its npm
//! package, licence beside it), our stylesheet and our one script. Nothing is fetched at
//! run time. Their names carry no version, so they are cached for an hour and revalidated.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `(name, content type, bytes)` of every asset.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/htmx.min.js"),
    ),
    (
        "cube.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/cube.js"),
    ),
    (
        "cube.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/cube.css"),
    ),
];

/// The asset `name`, or 404.
pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(found, _, _)| *found == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
