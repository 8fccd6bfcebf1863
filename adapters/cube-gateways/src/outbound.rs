//! The outbound-webhook gateway: POSTs an organisation's event to its endpoint, signed so
//! the receiver can tell it came from Cube (`cube_domain::webhooks` has the scheme).
//!
//! # The request
//! `POST <endpoint URL>` with the body as given (`Content-Type: application/json`) and
//! - `X-Cube-Signature: t=<unix seconds now>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//!   signed at each attempt (a retry carries a fresh time, so a receiver may keep a short
//!   replay window);
//! - `X-Cube-Delivery: <outbox message id>`, the same on every attempt: the receiver's
//!   idempotency key;
//! - `X-Cube-Event: <event name>`.
//!
//! # What an answer means
//! As for the SMS and e-mail webhooks (`crate::webhook`, the same client set-up and answer
//! mapping), with two differences:
//! - any `2xx` is delivered: a receiver owes us no message id;
//! - the answers that for an operator's gateway mean "the gateway is misconfigured" (401,
//!   403, 404, 405, 407) are **unavailable** here: an endpoint belongs to one organisation,
//!   so its mistakes must not hold back every other organisation's webhooks; they are
//!   retried with the outbox's back-off and given up on after about a day.
//!
//! An endpoint may be `https://` (its certificate checked as `crate::client` says; a
//! certificate that does not check out is **unavailable**, retried like a refused
//! connection, so an endpoint whose certificate is being renewed loses nothing) or `http://`.

use crate::WebhookSetupError;
use crate::client::HttpSettings;
use crate::webhook::{refusal, unavailable};
use async_trait::async_trait;
use cube_domain::ports::{GatewayError, WebhookGateway};
use cube_domain::webhooks::{
    DELIVERY_HEADER, EVENT_HEADER, EndpointUrl, SIGNATURE_HEADER, WebhookEvent, WebhookSecret,
    signature_header,
};
use reqwest::Url;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Sends organisations' webhooks (see the module doc).
#[derive(Debug, Clone)]
pub struct SignedWebhookGateway {
    client: reqwest::Client,
}

impl SignedWebhookGateway {
    /// A gateway with the client `http` sets up (timeout, trusted roots).
    pub fn new(http: &HttpSettings) -> Result<Self, WebhookSetupError> {
        Ok(Self {
            client: http.client()?,
        })
    }
}

/// An endpoint URL as logged: credentials in it are masked.
struct Shown<'a>(&'a Url);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        f.write_str(shown.as_str())
    }
}

#[async_trait]
impl WebhookGateway for SignedWebhookGateway {
    #[tracing::instrument(skip_all, fields(%key, event = event.as_str()))]
    async fn deliver(
        &self,
        key: &str,
        url: &EndpointUrl,
        secret: &WebhookSecret,
        event: WebhookEvent,
        body: &str,
    ) -> Result<(), GatewayError> {
        let url = Url::parse(url.as_str())
            .map_err(|e| GatewayError::Rejected(format!("the endpoint URL is not valid: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(GatewayError::Rejected(format!(
                "{} is neither https:// nor http://",
                Shown(&url)
            )));
        }
        // The adapter reads the clock: the signature's time is the time of this attempt.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let response = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                SIGNATURE_HEADER,
                signature_header(secret, now, body.as_bytes()),
            )
            .header(DELIVERY_HEADER, key)
            .header(EVENT_HEADER, event.as_str())
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| unavailable(&Shown(&url), &e))?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(match refusal(&Shown(&url), response).await {
            GatewayError::Misconfigured(reason) => GatewayError::Unavailable(reason),
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use cube_domain::webhooks::{DEFAULT_TOLERANCE_SECONDS, verify_signature};
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

    /// A receiver on 127.0.0.1 answering `status`, keeping what it got.
    async fn receiver(status: StatusCode) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let kept = seen.clone();
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: String| {
                let kept = kept.clone();
                async move {
                    kept.lock().expect("lock").push((headers, body));
                    status
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/hook"), seen)
    }

    fn unix_now() -> i64 {
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_secs(),
        )
        .expect("fits")
    }

    #[tokio::test]
    async fn the_body_arrives_signed_with_the_delivery_id() {
        let (url, seen) = receiver(StatusCode::NO_CONTENT).await;
        let gateway = SignedWebhookGateway::new(&HttpSettings::default()).expect("client");
        let secret = WebhookSecret::from_random([3; 32]);
        let body = r#"{"event":"outcome_registered"}"#;
        let url = EndpointUrl::parse(&url).expect("url");
        let sent = gateway
            .deliver("m-1", &url, &secret, WebhookEvent::OutcomeRegistered, body)
            .await;
        assert_eq!(sent, Ok(()));
        let seen = seen.lock().expect("lock");
        let (headers, got) = &seen[0];
        assert_eq!(got, body);
        assert_eq!(headers[DELIVERY_HEADER], "m-1");
        assert_eq!(headers[EVENT_HEADER], "outcome_registered");
        let signature = headers[SIGNATURE_HEADER].to_str().expect("ascii");
        assert_eq!(
            verify_signature(
                secret.expose(),
                signature,
                got.as_bytes(),
                unix_now(),
                DEFAULT_TOLERANCE_SECONDS
            ),
            Ok(())
        );
    }

    #[tokio::test]
    async fn answers_map_to_retry_or_refusal() {
        let gateway = SignedWebhookGateway::new(&HttpSettings::default()).expect("client");
        let secret = WebhookSecret::from_random([3; 32]);
        let send = |url: String| {
            let gateway = gateway.clone();
            let secret = secret.clone();
            async move {
                let url = EndpointUrl::parse(&url).expect("url");
                gateway
                    .deliver("m-2", &url, &secret, WebhookEvent::StateChanged, "{}")
                    .await
            }
        };
        for (status, retry) in [
            (StatusCode::INTERNAL_SERVER_ERROR, true),
            (StatusCode::NOT_FOUND, true),
            (StatusCode::UNAUTHORIZED, true),
            (StatusCode::TOO_MANY_REQUESTS, true),
            (StatusCode::UNPROCESSABLE_ENTITY, false),
        ] {
            let (url, _) = receiver(status).await;
            let error = send(url).await.expect_err("not delivered");
            assert_eq!(
                matches!(error, GatewayError::Unavailable(_)),
                retry,
                "{status}: {error}"
            );
            assert!(
                matches!(
                    error,
                    GatewayError::Unavailable(_) | GatewayError::Rejected(_)
                ),
                "{status}: never misconfigured"
            );
        }
    }

    #[tokio::test]
    async fn an_https_endpoint_is_reached_when_its_certificate_checks_out() {
        use crate::testing::{TestCa, serve_https};
        let ca = TestCa::new("Cube test CA");
        let seen: Seen = Arc::default();
        let kept = seen.clone();
        let app = Router::new().route(
            "/hook",
            post(move |body: String| {
                let kept = kept.clone();
                async move {
                    kept.lock().expect("lock").push((HeaderMap::new(), body));
                    StatusCode::NO_CONTENT
                }
            }),
        );
        let url =
            EndpointUrl::parse(&format!("{}/hook", serve_https(&ca, app).await)).expect("url");
        let secret = WebhookSecret::from_random([3; 32]);
        let ca_file = crate::CaFile::from_pem("ca.pem", ca.pem().as_bytes()).expect("the CA reads");
        let trusting =
            SignedWebhookGateway::new(&HttpSettings::default().trusting(ca_file)).expect("client");
        let sent = trusting
            .deliver("m-3", &url, &secret, WebhookEvent::StateChanged, "{}")
            .await;
        assert_eq!(sent, Ok(()));
        // The system's roots do not know the test CA: retried later, never refused for good.
        let system = SignedWebhookGateway::new(&HttpSettings::default()).expect("client");
        let refused = system
            .deliver("m-4", &url, &secret, WebhookEvent::StateChanged, "{}")
            .await;
        assert!(
            matches!(refused, Err(GatewayError::Unavailable(_))),
            "{refused:?}"
        );
        assert_eq!(seen.lock().expect("lock").len(), 1, "delivered once");
    }
}
