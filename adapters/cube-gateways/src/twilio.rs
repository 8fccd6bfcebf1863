//! The Twilio-style SMS gateway: each SMS sent through a provider speaking Twilio's
//! Programmable Messaging REST API (Twilio itself, or one of the providers and bridges that
//! copy its `Messages` resource), so Cube reaches a real SMS provider without a bridge of
//! its own in between.
//!
//! # The protocol
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, where `base` is
//! `https://api.twilio.com` unless the operator names another (a Twilio-compatible provider,
//! or a local stand-in in tests), with
//! - HTTP basic auth, `AccountSid:AuthToken`;
//! - a form body (`application/x-www-form-urlencoded`): `To` (E.164, `+4791234567`), `From`
//!   (the assignment's sender: a number or an alphanumeric sender id) and `Body` (the text);
//! - `Idempotency-Key: <outbox message id>`, the same on every attempt of one message.
//!   Twilio's public API documents no idempotency header for requests (its
//!   `I-Twilio-Idempotency-Token` is one it puts on the webhooks *it* sends), so this is the
//!   IETF draft's name, the one our JSON webhook sends and that Twilio-compatible providers
//!   and bridges which deduplicate read. Against Twilio itself a message whose answer was
//!   lost may be delivered twice: the outbox delivers at least once.
//!
//! The provider answers `201 Created` with the message resource as JSON, whose `sid`
//! (`SM…`) is the provider's message id; an error has a JSON body
//! `{"code": 21211, "message": "…", "status": 400, …}` whose code and message are kept as
//! the reason.
//!
//! # What an answer means
//! As for the generic webhook (`crate::webhook`, the same mapping):
//! - `2xx` with a `sid`: **sent**, the sid is the provider id. `2xx` without one: taken but
//!   unreadable, so **rejected** (not sent again: it may have been delivered).
//! - `400` (Twilio: an invalid `To`, an unknown `From`, a body too long) and other `4xx`
//!   about the message: **rejected**, not retried.
//! - `401` (wrong AccountSid or AuthToken, Twilio error 20003), `403`, `404` (no such
//!   account at this base URL), `405`, `407`: **misconfigured** — the outbox stops sending
//!   SMS and keeps every message, attempts uncounted, until the operator fixes it.
//! - `408`, `425`, `429` (Twilio error 20429, too many requests), `5xx`, a `3xx`, a
//!   timeout, a refused connection: **unavailable**, tried again after a back-off.
//! - A certificate that does not check out (TLS): **unavailable** like a refused
//!   connection; the reason says so, and every later message gets the same until it is
//!   fixed.
//!
//! The same account places calls through its `Calls` resource ([`calls`]): one client, one
//! set of credentials and one answer mapping for both.
//!
//! The AuthToken is never logged or shown: [`TwilioSettings`]'s `Debug` leaves it out, and
//! reasons name the account's URL only.

use crate::WebhookSetupError;
use crate::client::HttpSettings;
use crate::webhook::{IDEMPOTENCY_KEY, WebhookUrl, answered, fate, unavailable};
use async_trait::async_trait;
use cube_domain::ports::{GatewayError, SmsGateway, SmsMessage};
use reqwest::Url;
use serde::Deserialize;
use std::fmt;

/// Twilio's API, the base URL when none is configured.
pub const TWILIO_BASE_URL: &str = "https://api.twilio.com";

/// Where and as whom to send: the base URL, the account and its token.
#[derive(Clone)]
pub struct TwilioSettings {
    base: Url,
    account_sid: String,
    auth_token: String,
}

impl fmt::Debug for TwilioSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSettings")
            .field("base", &self.base.as_str())
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"…")
            .finish()
    }
}

impl TwilioSettings {
    /// Checks the settings: `base` an `https://` URL (or `http://`, for a stand-in on
    /// loopback or a private network) with no path, query or login; `account_sid` letters and
    /// digits (Twilio's are `AC` and 32 hex digits); `auth_token` printable ASCII without
    /// spaces.
    pub fn new(base: &str, account_sid: &str, auth_token: &str) -> Result<Self, WebhookSetupError> {
        let invalid = |reason: &str| WebhookSetupError::InvalidUrl {
            url: base.to_owned(),
            reason: reason.to_owned(),
        };
        let url = WebhookUrl::parse(base)?.0;
        if !url.username().is_empty() || url.password().is_some() {
            // Not repeated: the login may hold the token.
            return Err(WebhookSetupError::Account(
                "the Twilio base URL holds a login; give the base alone (https://api.twilio.com) and the AccountSid and AuthToken on their own".into(),
            ));
        }
        if url.path() != "/" || url.query().is_some() {
            return Err(invalid(
                "it has a path or query; give the provider's base URL only (https://api.twilio.com)",
            ));
        }
        let account_sid = account_sid.trim();
        if account_sid.is_empty()
            || account_sid.len() > 64
            || !account_sid.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(WebhookSetupError::Account(
                "the Twilio AccountSid must be 1 to 64 letters and digits (Twilio's are AC followed by 32 hex digits)".into(),
            ));
        }
        let auth_token = auth_token.trim();
        if auth_token.is_empty() || !auth_token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(WebhookSetupError::Account(
                "the Twilio AuthToken must be given, in printable ASCII without spaces".into(),
            ));
        }
        Ok(Self {
            base: url,
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.to_owned(),
        })
    }

    /// The URL of the account's `resource` (`Messages`, `Calls`).
    pub(crate) fn resource_url(&self, resource: &str) -> Result<Url, WebhookSetupError> {
        self.base
            .join(&format!(
                "2010-04-01/Accounts/{}/{resource}.json",
                self.account_sid
            ))
            .map_err(|e| WebhookSetupError::InvalidUrl {
                url: self.base.to_string(),
                reason: e.to_string(),
            })
    }

    /// Creates one resource: POSTs `form` to `url` (one of the account's resources) with
    /// basic auth (and `key` as the `Idempotency-Key`, when given) on `client`, and answers
    /// the created resource's `sid`. The answer is mapped as the module doc says; `what`
    /// names the resource in the reasons ("message", "call").
    pub(crate) async fn create(
        &self,
        client: &reqwest::Client,
        url: &Url,
        key: Option<&str>,
        form: &[(&str, &str)],
        what: &str,
    ) -> Result<String, GatewayError> {
        let shown = url.as_str();
        let mut request = client
            .post(url.clone())
            .basic_auth(&self.account_sid, Some(&self.auth_token));
        if let Some(key) = key {
            request = request.header(IDEMPOTENCY_KEY, key);
        }
        let response = request
            .form(form)
            .send()
            .await
            .map_err(|e| unavailable(&shown, &e))?;
        let status = response.status();
        if status.is_success() {
            return match response.json::<Created>().await {
                Ok(created) if !created.sid.trim().is_empty() => Ok(created.sid),
                Ok(_) => Err(GatewayError::Rejected(format!(
                    "{shown} took the {what} (HTTP {status}) but its sid is empty; not sent again, as it may have gone through"
                ))),
                Err(e) => Err(GatewayError::Rejected(format!(
                    "{shown} took the {what} (HTTP {status}) but its answer has no sid ({e}); not sent again, as it may have gone through"
                ))),
            };
        }
        let body = response.text().await.unwrap_or_default();
        Err(fate(status, answered(&shown, status, &detail_of(&body))))
    }
}

impl fmt::Display for TwilioSettings {
    /// The account as it may be logged: the base URL and the AccountSid, no token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (account {})",
            self.base.as_str().trim_end_matches('/'),
            self.account_sid
        )
    }
}

/// Sends each SMS through a Twilio-style Messages API (see the module doc).
#[derive(Clone)]
pub struct TwilioSmsGateway {
    client: reqwest::Client,
    settings: TwilioSettings,
    url: Url,
}

impl fmt::Debug for TwilioSmsGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSmsGateway")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl TwilioSmsGateway {
    /// A gateway to the account `settings` names, with the client `http` sets up.
    pub fn new(settings: TwilioSettings, http: &HttpSettings) -> Result<Self, WebhookSetupError> {
        Ok(Self {
            client: http.client()?,
            url: settings.resource_url("Messages")?,
            settings,
        })
    }
}

/// The message resource the provider answers with (the one field Cube reads).
#[derive(Debug, Deserialize)]
struct Created {
    sid: String,
}

/// An error answer.
#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<serde_json::Value>,
    message: Option<String>,
}

/// What an error answer says: Twilio's code and message when the body has them, else the
/// body as it is.
fn detail_of(body: &str) -> String {
    match serde_json::from_str::<TwilioError>(body) {
        Ok(TwilioError {
            code: Some(code),
            message: Some(message),
        }) => format!("error {code}: {message}"),
        Ok(TwilioError {
            message: Some(message),
            ..
        }) => message,
        _ => body.to_owned(),
    }
}

#[async_trait]
impl SmsGateway for TwilioSmsGateway {
    #[tracing::instrument(skip_all, fields(account = %self.settings))]
    async fn send(&self, key: &str, message: &SmsMessage) -> Result<String, GatewayError> {
        self.settings
            .create(
                &self.client,
                &self.url,
                Some(key),
                &[
                    ("To", message.to.as_str()),
                    ("From", message.from.as_str()),
                    ("Body", message.body.as_str()),
                ],
                "message",
            )
            .await
    }
}

pub mod calls;

#[cfg(test)]
mod tests;
