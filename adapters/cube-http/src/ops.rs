//! What an operator needs around every request: a request id (taken from `X-Request-Id` when
//! the caller or a proxy sent a sane one, else a new UUID v7) on the log span and the
//! response; a time limit that answers 503 as a problem instead of holding a connection
//! forever; and Prometheus metrics (`/metrics`): requests by method, route and status,
//! latency histograms by route, and requests in flight. Routes are the router's templates
//! (`/api/enrollments/{id}/outcomes`), never the ids in them, so the series stay few.

use crate::AppState;
use crate::error::problem;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a caller.
const MAX_REQUEST_ID: usize = 64;

/// Latency histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A caller's request id, if it is short visible ASCII (so it is safe to log and echo).
fn given_request_id(request: &Request) -> Option<HeaderValue> {
    let value = request.headers().get(&REQUEST_ID)?;
    let text = value.to_str().ok()?;
    let sane = !text.is_empty()
        && text.len() <= MAX_REQUEST_ID
        && text.bytes().all(|b| b.is_ascii_graphic());
    sane.then(|| value.clone())
}

/// Gives every request an id (the caller's, or a new one) before the trace span is made,
/// and echoes it on the response.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = given_request_id(&request).unwrap_or_else(|| {
        HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    });
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// The log span of a request: method, path (without the query, which may hold a search
/// term) and request id. Headers and bodies are never logged: they carry tokens and
/// passwords.
pub fn span_for(request: &Request) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

/// Answers 503 (a problem, with `Retry-After`) when the handler takes longer than the
/// state's `request_timeout`; the handler's work is dropped (a unit of work that did not
/// commit rolls back). A customer file's upload and preview or import — the API's and the
/// web app's import page's — have the longer `file_imports.request_timeout`: receiving a
/// few hundred MB and checking every one of a million rows takes longer than any click.
///
/// A file download (`GET …/export`, and a selection's `POST …/selection/export`) is not
/// limited: counting a million outcomes (or, for a workbook, the customers of a selection)
/// before the file starts takes longer than a request should, and the download holds no
/// unit of work while it waits (each page of an export is its own short read unit), its
/// work is bounded by the export's own row cap, and a client that gives up drops it.
pub async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let download = match *request.method() {
        axum::http::Method::GET => path.ends_with("/export"),
        axum::http::Method::POST => path.ends_with("/selection/export"),
        _ => false,
    };
    if download {
        return next.run(request).await;
    }
    let web_import = path.starts_with("/app/setup/assignments/")
        && (path.ends_with("/import") || path.ends_with("/import/preview"));
    let limit = if path.ends_with("/customers/import-file")
        || path.ends_with("/customers/import-file/preview")
        || web_import
    {
        state.file_imports.request_timeout
    } else {
        state.request_timeout
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?limit, "request timed out");
            let mut response = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the request took longer than {} s and was stopped; try again",
                    limit.as_secs_f64()
                ),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// One route's latency histogram.
#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Counts per bucket of `BUCKETS` (not cumulative), and above the last.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let slot = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[slot] += 1;
        self.sum += seconds;
        self.count += 1;
    }
}

/// The server's request metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by (method, route, status).
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// Latency by route.
    latency: Mutex<BTreeMap<String, Histogram>>,
    in_flight: AtomicI64,
}

impl Metrics {
    /// Records one finished request.
    fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            latency
                .entry(route.to_owned())
                .or_default()
                .observe(elapsed.as_secs_f64());
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP cube_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE cube_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "cube_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP cube_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE cube_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, histogram) in latency.iter() {
                let route = escape(route);
                let mut cumulative = 0;
                for (bound, n) in BUCKETS.iter().zip(histogram.buckets.iter()) {
                    cumulative += n;
                    let _ = writeln!(
                        out,
                        "cube_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                    );
                }
                let _ = writeln!(
                    out,
                    "cube_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "cube_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    histogram.sum
                );
                let _ = writeln!(
                    out,
                    "cube_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    histogram.count
                );
            }
        }
        out.push_str("# HELP cube_http_requests_in_flight Requests being answered now.\n");
        out.push_str("# TYPE cube_http_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "cube_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out
    }
}

/// A label value with `\`, `"` and line breaks escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Counts a routed request (a route layer: the matched route template is known).
pub async fn measure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let response = next.run(request).await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    state.metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The metrics in Prometheus' text format. Not behind a login (scrapers have none); it
/// holds counts and timings only, no data of any organisation.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_counts_cumulative_buckets_and_escaped_labels() {
        let metrics = Metrics::default();
        metrics.record("GET", "/api/me", 200, Duration::from_millis(3));
        metrics.record("GET", "/api/me", 200, Duration::from_millis(30));
        metrics.record("POST", "/a\"b", 409, Duration::from_secs(20));
        let text = metrics.render();
        assert!(text.contains(
            "cube_http_requests_total{method=\"GET\",route=\"/api/me\",status=\"200\"} 2"
        ));
        assert!(text.contains("route=\"/a\\\"b\",status=\"409\"} 1"));
        assert!(text.contains(
            "cube_http_request_duration_seconds_bucket{route=\"/api/me\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "cube_http_request_duration_seconds_bucket{route=\"/api/me\",le=\"0.05\"} 2"
        ));
        assert!(
            text.contains(
                "cube_http_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"10\"} 0"
            )
        );
        assert!(text.contains(
            "cube_http_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"+Inf\"} 1"
        ));
        assert!(text.contains("cube_http_request_duration_seconds_count{route=\"/api/me\"} 2"));
        assert!(text.contains("cube_http_requests_in_flight 0"));
    }
}
