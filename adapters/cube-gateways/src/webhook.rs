//! The webhook gateways: each message is POSTed as JSON to a URL the operator configures
//! (an SMS operator's HTTP API, a mail relay, or a small bridge in front of either), and the
//! answer says whether it was taken.
//!
//! # The wire format
//! The request bodies are this module's own types, written out by hand so that renaming a
//! domain field never changes what a provider receives:
//! - SMS: `{"from": "AcmeEnergi", "to": "+4791234567", "body": "Hei Kari"}`
//! - e-mail: `{"from": "post@acme.no", "to": "kari@example.no", "subject": "…", "html": "…"}`
//!
//! Every request carries an `Idempotency-Key` header: the outbox message id, the same on
//! every attempt of one message, so a provider (or bridge) that deduplicates delivers a
//! message once even when an answer was lost and the message is sent again.
//!
//! A provider answers `2xx` with `{"id": "<its message id>"}` (a number is accepted too).
//!
//! # What an answer means
//! - `2xx` with an id: sent; the id is returned.
//! - `2xx` without a readable id: the provider took the message, so sending it again could
//!   deliver it twice; it is reported as **rejected** (kept as failed in the outbox with the
//!   reason, which the worker logs) so the misconfigured provider shows up.
//! - `4xx`: the provider refused this message (a bad number, a body it cannot take):
//!   **rejected**, not retried. The exceptions are the answers about the request's
//!   circumstances, not the message, that every message would get alike: `401`, `403`,
//!   `404`, `405`, `407` (the URL or its credentials are wrong) are **misconfigured** — the
//!   outbox stops the round and keeps every message, attempts uncounted, until the operator
//!   fixes it — and `408`, `425`, `429` (slow down, try later) are **unavailable**.
//! - `5xx`, a `3xx` (redirects are not followed: a POST must not turn into a GET), a
//!   timeout, a refused connection: **unavailable**; the message is tried again after a
//!   back-off.
//!
//! # TLS
//! A webhook URL may be `https://` (checked against the system's roots or the operator's CA
//! file, see `crate::client`) or `http://` (a bridge on loopback or a private network).
//! Credentials in the URL (`https://user:secret@host/`) are sent as HTTP basic auth by the
//! client and masked wherever the URL is shown.

use crate::client::HttpSettings;
use async_trait::async_trait;
use cube_domain::ports::{EmailGateway, EmailMessage, GatewayError, SmsGateway, SmsMessage};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The request header carrying the message's idempotency key (the outbox message id, the
/// same on every attempt of one message).
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Why an HTTP gateway (a webhook, the Twilio-style provider, the outbound webhooks) could
/// not be built.
#[derive(Debug, Error)]
pub enum WebhookSetupError {
    /// The URL does not parse.
    #[error("'{url}' is not a valid webhook URL: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL is neither `https://` nor `http://`.
    #[error(
        "the URL '{0}' must start with https:// (or http:// for a bridge on loopback or a private network)"
    )]
    UnsupportedScheme(String),
    /// An `http://` URL whose host may be on the internet: the message (and any credentials)
    /// would cross it unencrypted.
    #[error(
        "the URL '{0}' sends in plain http:// to a host that may be on the internet; use https://, \
         or http:// only to loopback, a private address (10.x, 172.16–31.x, 192.168.x, fc00::/7) \
         or a host name without a dot (a service on the same private network)"
    )]
    PlainHttpToPublicHost(String),
    /// The HTTP client could not be built.
    #[error("the HTTP client for the gateway could not be built: {0}")]
    Client(String),
    /// The CA file cannot be used.
    #[error(
        "the CA file {path} cannot be used: {reason}; give a PEM file with the CA certificate(s) the provider's certificate is issued by"
    )]
    CaFile {
        /// The file as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A provider's account setting is missing or cannot be used.
    #[error("{0}")]
    Account(String),
}

/// A parsed webhook URL: `https://` or `http://`, with a host. The only way in is
/// [`WebhookUrl::parse`]. `Debug` and `Display` mask a password in it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(pub(crate) Url);

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({self})")
    }
}

impl WebhookUrl {
    /// Parses and checks a webhook URL.
    pub fn parse(raw: &str) -> Result<Self, WebhookSetupError> {
        let url = Url::parse(raw.trim()).map_err(|e| WebhookSetupError::InvalidUrl {
            url: without_login(raw),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(WebhookSetupError::UnsupportedScheme(without_login(raw)));
        }
        let Some(host) = url.host_str() else {
            return Err(WebhookSetupError::InvalidUrl {
                url: without_login(raw),
                reason: "it has no host".into(),
            });
        };
        if url.scheme() == "http" && !on_a_private_network(host) {
            return Err(WebhookSetupError::PlainHttpToPublicHost(
                WebhookUrl(url.clone()).to_string(),
            ));
        }
        Ok(Self(url))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// `raw` as a refusal may repeat it: a login before the host (`scheme://user:secret@`) shown
/// as `***`, whether or not the rest parses.
fn without_login(raw: &str) -> String {
    let raw = raw.trim();
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => raw.to_owned(),
    }
}

/// Whether plain `http://` to `host` (as `Url::host_str` gives it) stays off the internet: a
/// loopback, private or link-local address, `localhost`, or a host name without a dot (a
/// service name on a private network, as a container network or a VPN gives them). A public
/// name or address is not.
fn on_a_private_network(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => {
            let first = ip.segments()[0];
            ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
        Err(_) => {
            let name = bare.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost") || !name.contains('.')
        }
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials in the URL (`http://user:secret@host/`) never reach a log line.
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        f.write_str(shown.as_str())
    }
}

/// One configured endpoint: the client (with its timeout) and the URL.
#[derive(Debug, Clone)]
struct Webhook {
    client: reqwest::Client,
    url: WebhookUrl,
}

impl Webhook {
    fn new(url: WebhookUrl, http: &HttpSettings) -> Result<Self, WebhookSetupError> {
        let client = http.client()?;
        Ok(Self { client, url })
    }

    /// POSTs `body` and reads the provider's message id from the answer.
    async fn post<T: Serialize + Sync>(&self, key: &str, body: &T) -> Result<String, GatewayError> {
        let response = self
            .client
            .post(self.url.0.clone())
            .header(IDEMPOTENCY_KEY, key)
            .json(body)
            .send()
            .await
            .map_err(|e| unavailable(&self.url, &e))?;
        let status = response.status();
        if status.is_success() {
            return match response.json::<Accepted>().await {
                Ok(accepted) => Ok(accepted.id.into_string()),
                Err(e) => Err(GatewayError::Rejected(format!(
                    "{} took the message (HTTP {status}) but its answer has no message id ({e}); not sent again, as it may have been delivered",
                    self.url
                ))),
            };
        }
        Err(refusal(&self.url, response).await)
    }
}

/// What a non-success answer means (see the module doc), with the receiver's explanation,
/// shortened: it goes into the log and the report.
pub(crate) async fn refusal(
    url: &(dyn fmt::Display + Sync),
    response: reqwest::Response,
) -> GatewayError {
    let status = response.status();
    let detail = response.text().await.unwrap_or_default();
    fate(status, answered(url, status, &detail))
}

/// The reason of a non-success answer: who answered what, with the receiver's explanation
/// shortened to 200 characters (it goes into the log and the report).
pub(crate) fn answered(
    url: &(dyn fmt::Display + Sync),
    status: StatusCode,
    detail: &str,
) -> String {
    let detail: String = detail.trim().chars().take(200).collect();
    if detail.is_empty() {
        format!("{url} answered HTTP {status}")
    } else {
        format!("{url} answered HTTP {status}: {}", detail.trim_end())
    }
}

/// The fate of a message answered with a non-success `status` (see the module doc).
pub(crate) fn fate(status: StatusCode, reason: String) -> GatewayError {
    if is_misconfigured(status) {
        GatewayError::Misconfigured(reason)
    } else if refuses_the_message(status) {
        GatewayError::Rejected(reason)
    } else {
        GatewayError::Unavailable(reason)
    }
}

/// Whether a status says the gateway's URL or credentials are wrong (see the module doc).
fn is_misconfigured(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::PROXY_AUTHENTICATION_REQUIRED
    )
}

/// Whether a non-success status refuses this message for good (see the module doc): a
/// client error that is neither about the gateway's set-up nor a request to slow down.
fn refuses_the_message(status: StatusCode) -> bool {
    status.is_client_error()
        && !is_misconfigured(status)
        && !matches!(
            status,
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_EARLY | StatusCode::TOO_MANY_REQUESTS
        )
}

pub(crate) fn unavailable(url: &dyn fmt::Display, error: &reqwest::Error) -> GatewayError {
    let what = if error.is_timeout() {
        "did not answer in time"
    } else if error.is_connect() {
        "could not be reached"
    } else {
        "failed"
    };
    // The causes only: reqwest's own text repeats the URL, credentials included.
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        GatewayError::Unavailable(format!("{url} {what}"))
    } else {
        GatewayError::Unavailable(format!("{url} {what}: {}", causes.join(": ")))
    }
}

/// A provider's answer to a message it took.
#[derive(Debug, Deserialize)]
struct Accepted {
    id: ProviderId,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ProviderId {
    Text(String),
    Number(serde_json::Number),
}

impl ProviderId {
    fn into_string(self) -> String {
        match self {
            ProviderId::Text(text) => text,
            ProviderId::Number(number) => number.to_string(),
        }
    }
}

/// The JSON body of an SMS.
#[derive(Debug, Serialize)]
struct SmsBody<'a> {
    from: &'a str,
    to: &'a str,
    body: &'a str,
}

/// The JSON body of an e-mail.
#[derive(Debug, Serialize)]
struct EmailBody<'a> {
    from: &'a str,
    to: &'a str,
    subject: &'a str,
    html: &'a str,
}

/// Sends each SMS as a JSON POST to a configured URL (see the module doc).
#[derive(Debug, Clone)]
pub struct WebhookSmsGateway(Webhook);

impl WebhookSmsGateway {
    /// A gateway posting to `url` with the client `http` sets up (timeout, trusted roots).
    pub fn new(url: WebhookUrl, http: &HttpSettings) -> Result<Self, WebhookSetupError> {
        Webhook::new(url, http).map(Self)
    }
}

#[async_trait]
impl SmsGateway for WebhookSmsGateway {
    #[tracing::instrument(skip_all, fields(url = %self.0.url))]
    async fn send(&self, key: &str, message: &SmsMessage) -> Result<String, GatewayError> {
        self.0
            .post(
                key,
                &SmsBody {
                    from: &message.from,
                    to: message.to.as_str(),
                    body: &message.body,
                },
            )
            .await
    }
}

/// Sends each e-mail as a JSON POST to a configured URL (see the module doc).
#[derive(Debug, Clone)]
pub struct WebhookEmailGateway(Webhook);

impl WebhookEmailGateway {
    /// A gateway posting to `url` with the client `http` sets up (timeout, trusted roots).
    pub fn new(url: WebhookUrl, http: &HttpSettings) -> Result<Self, WebhookSetupError> {
        Webhook::new(url, http).map(Self)
    }
}

#[async_trait]
impl EmailGateway for WebhookEmailGateway {
    #[tracing::instrument(skip_all, fields(url = %self.0.url))]
    async fn send(&self, key: &str, message: &EmailMessage) -> Result<String, GatewayError> {
        self.0
            .post(
                key,
                &EmailBody {
                    from: message.from.as_str(),
                    to: message.to.as_str(),
                    subject: &message.subject,
                    html: &message.html,
                },
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_http_urls_with_a_host_are_taken() {
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/sms").is_ok());
        assert!(WebhookUrl::parse("https://api.example.com/sms").is_ok());
        assert!(matches!(
            WebhookUrl::parse("not a url"),
            Err(WebhookSetupError::InvalidUrl { .. })
        ));
        assert!(matches!(
            WebhookUrl::parse("ftp://example.com/"),
            Err(WebhookSetupError::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn plain_http_goes_only_to_a_private_network() {
        for private in [
            "http://127.0.0.1:9000/sms",
            "http://localhost:8080/sms",
            "http://10.1.2.3/sms",
            "http://172.20.0.4/sms",
            "http://192.168.1.10/sms",
            "http://169.254.10.1/sms",
            "http://[::1]:9000/sms",
            "http://[fd00::5]/sms",
            "http://sms-bridge:8080/sms",
        ] {
            assert!(WebhookUrl::parse(private).is_ok(), "{private}");
        }
        for public in [
            "http://api.twilio.com",
            "http://8.8.8.8/sms",
            "http://172.32.0.1/sms",
            "http://[2001:db8::1]/sms",
            "http://user:s3cret@example.com/hook",
        ] {
            let refused = WebhookUrl::parse(public).expect_err(public);
            assert!(
                matches!(refused, WebhookSetupError::PlainHttpToPublicHost(_)),
                "{public}: {refused}"
            );
            let said = refused.to_string();
            assert!(
                said.contains("use https://") && !said.contains("s3cret"),
                "{said}"
            );
        }
        assert!(WebhookUrl::parse("https://api.twilio.com").is_ok());
    }

    #[test]
    fn a_refused_url_is_repeated_without_its_login() {
        for raw in [
            "ftp://u:pw123@example.com/",
            "http://u:pw123@exa mple.com/hook",
            "https://u:pw123@[::1/",
        ] {
            let said = WebhookUrl::parse(raw).expect_err(raw).to_string();
            assert!(!said.contains("pw123"), "{said}");
        }
        assert_eq!(
            without_login("https://a.example/x@y"),
            "https://a.example/x@y"
        );
    }

    #[test]
    fn a_password_in_the_url_is_never_shown() {
        let url = WebhookUrl::parse("http://cube:s3cret@10.0.0.5/sms").expect("valid");
        assert_eq!(url.to_string(), "http://cube:***@10.0.0.5/sms");
        assert!(!format!("{url:?}").contains("s3cret"), "{url:?}");
    }

    #[test]
    fn client_errors_refuse_the_message_except_those_about_the_gateway_or_the_load() {
        let check = |code: u16, refused: bool| {
            let status = StatusCode::from_u16(code).expect("a status");
            assert_eq!(refuses_the_message(status), refused, "HTTP {code}");
        };
        for code in [400, 409, 410, 413, 415, 422] {
            check(code, true);
        }
        for code in [
            401, 403, 404, 405, 407, 408, 425, 429, 500, 502, 503, 504, 302,
        ] {
            check(code, false);
        }
    }

    #[tokio::test]
    async fn an_sms_is_posted_over_https_with_the_urls_login_as_basic_auth() {
        use crate::client::CaFile;
        use crate::testing::{TestCa, serve_https};
        use axum::http::HeaderMap;
        use cube_domain::values::PhoneNumber;
        use std::sync::{Arc, Mutex};
        type Seen = Arc<Mutex<Vec<(HeaderMap, serde_json::Value)>>>;
        let ca = TestCa::new("Cube test CA");
        let seen: Seen = Arc::default();
        let kept = seen.clone();
        let app = axum::Router::new().route(
            "/sms",
            axum::routing::post(
                move |headers: HeaderMap, axum::Json(body): axum::Json<serde_json::Value>| {
                    let kept = kept.clone();
                    async move {
                        kept.lock().expect("lock").push((headers, body));
                        axum::Json(serde_json::json!({ "id": "p-1" }))
                    }
                },
            ),
        );
        let base = serve_https(&ca, app).await;
        let url = WebhookUrl::parse(&format!(
            "{}/sms",
            base.replace("https://", "https://cube:s3cret@")
        ))
        .expect("valid");
        let message = SmsMessage {
            from: "AcmeEnergi".into(),
            to: PhoneNumber::parse("+4791234567").expect("valid"),
            body: "Hei".into(),
        };
        let ca_file = CaFile::from_pem("ca.pem", ca.pem().as_bytes()).expect("the CA reads");
        let trusting = HttpSettings::default().trusting(ca_file);
        let gateway = WebhookSmsGateway::new(url.clone(), &trusting).expect("client");
        assert_eq!(gateway.send("m-1", &message).await, Ok("p-1".into()));
        // The system's roots do not vouch for the test CA: nothing is sent.
        let untrusting = WebhookSmsGateway::new(url, &HttpSettings::default()).expect("client");
        let refused = untrusting.send("m-2", &message).await;
        assert!(
            matches!(&refused, Err(GatewayError::Unavailable(r)) if !r.contains("s3cret")),
            "{refused:?}"
        );
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 1);
        let (headers, body) = &seen[0];
        // `Basic base64("cube:s3cret")`
        assert_eq!(headers["authorization"], "Basic Y3ViZTpzM2NyZXQ=");
        assert_eq!(headers[IDEMPOTENCY_KEY], "m-1");
        assert_eq!(
            body,
            &serde_json::json!({"from": "AcmeEnergi", "to": "+4791234567", "body": "Hei"})
        );
    }
}
