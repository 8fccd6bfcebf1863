//! Click-to-call through a Twilio-style `Calls` API (`cube_domain::ports::Telephony`): the
//! provider rings the seller's phone and, once the seller answers, dials the customer
//! showing the caller id Cube chose — a real PBX without a bridge of our own.
//!
//! # The protocol
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Calls.json`, with HTTP basic auth
//! `AccountSid:AuthToken` (the same account and client as the SMS gateway), and a form body:
//! - `To`: the seller's phone (E.164), rung first;
//! - `From`: the caller id (E.164), what the seller's phone shows for the first leg;
//! - `Twiml`: what to do once the seller answers —
//!   `<Response><Dial callerId="+4722334455"><Number>+4791234567</Number></Dial></Response>`,
//!   bridging to the customer with the caller id shown to them (every value XML-escaped);
//! - `StatusCallback`: our events endpoint (`POST /api/telephony/events`) with
//!   `?call=<Cube's call id>`, so even an event that arrives before the provider's answer finds
//!   the call; the events secret rides in the URL's userinfo (`cube:<secret>@`), which a
//!   Twilio-style provider sends as HTTP basic auth;
//! - `StatusCallbackEvent`: `initiated`, `ringing`, `answered` and `completed` (each its own
//!   form field), so the history learns when the call was answered and when it ended;
//! - `StatusCallbackMethod`: `POST`;
//! - header `Idempotency-Key: <Cube's call id>`, as for SMS: a provider that deduplicates
//!   does not ring twice for one call.
//!
//! The provider answers `201 Created` with the call resource as JSON; its `sid` (`CA…`) is the
//! provider's call id, which every event names in `CallSid`. Answers map as for SMS
//! ([`super`]'s module doc): `4xx` about the call is **rejected** (an unreachable number, an
//! unverified `From`), `401`/`403`/`404` **misconfigured**, `429`/`5xx`/no answer
//! **unavailable**. A call is never retried by Cube: the seller is waiting, and sees the
//! refusal at once.

use super::TwilioSettings;
use crate::WebhookSetupError;
use crate::client::HttpSettings;
use async_trait::async_trait;
use cube_domain::call::CallRequest;
use cube_domain::ports::{GatewayError, Telephony};
use reqwest::Url;
use std::fmt;

/// Where the provider posts a call's events, with the secret it authenticates with.
#[derive(Clone)]
pub struct CallEvents {
    url: Url,
}

impl fmt::Debug for CallEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallEvents({self})")
    }
}

impl fmt::Display for CallEvents {
    /// The URL without its secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        let _ = shown.set_password(None);
        let _ = shown.set_username("");
        f.write_str(shown.as_str())
    }
}

impl CallEvents {
    /// Our events endpoint as the provider reaches it (`https://cube.example.com/api/telephony/events`:
    /// `https://`, or `http://` on loopback or a private network; no login, query or fragment),
    /// with the shared secret the endpoint checks.
    pub fn new(url: &str, secret: &str) -> Result<Self, WebhookSetupError> {
        let mut url = crate::WebhookUrl::parse(url)?.0;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookSetupError::Account(
                "the telephony events URL holds a login; give the URL alone and the secret in CUBE_TELEPHONY_EVENTS_SECRET".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(WebhookSetupError::InvalidUrl {
                url: url.to_string(),
                reason: "it has a query or fragment; give the events endpoint's URL only".into(),
            });
        }
        if secret.is_empty() || !secret.chars().all(|c| c.is_ascii_graphic()) {
            return Err(WebhookSetupError::Account(
                "the telephony events secret must be given, in printable ASCII without spaces"
                    .into(),
            ));
        }
        let userinfo = url
            .set_username("cube")
            .and_then(|()| url.set_password(Some(secret)));
        if userinfo.is_err() {
            return Err(WebhookSetupError::InvalidUrl {
                url: url.to_string(),
                reason: "it cannot carry a login (no host)".into(),
            });
        }
        Ok(Self { url })
    }

    /// The callback URL of one call: ours, with the call's id.
    fn for_call(&self, call: &str) -> Url {
        let mut url = self.url.clone();
        url.query_pairs_mut().append_pair("call", call);
        url
    }
}

/// Places each call through a Twilio-style Calls API (see the module doc).
#[derive(Clone)]
pub struct TwilioTelephony {
    client: reqwest::Client,
    settings: TwilioSettings,
    url: Url,
    events: CallEvents,
}

impl fmt::Debug for TwilioTelephony {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioTelephony")
            .field("url", &self.url.as_str())
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl TwilioTelephony {
    /// A telephony through the account `settings` names, with the client `http` sets up,
    /// telling the provider to post each call's events to `events`.
    pub fn new(
        settings: TwilioSettings,
        http: &HttpSettings,
        events: CallEvents,
    ) -> Result<Self, WebhookSetupError> {
        Ok(Self {
            client: http.client()?,
            url: settings.resource_url("Calls")?,
            settings,
            events,
        })
    }
}

/// `text` with XML's five special characters escaped, for an attribute or element.
fn xml_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The TwiML that bridges the answered seller to the customer, showing `caller_id`.
pub fn bridge_twiml(caller_id: &str, customer: &str) -> String {
    format!(
        "<Response><Dial callerId=\"{}\"><Number>{}</Number></Dial></Response>",
        xml_escaped(caller_id),
        xml_escaped(customer)
    )
}

#[async_trait]
impl Telephony for TwilioTelephony {
    #[tracing::instrument(skip_all, fields(account = %self.settings, call = %request.call))]
    async fn call(&self, request: &CallRequest) -> Result<String, GatewayError> {
        let twiml = bridge_twiml(request.caller_id.as_str(), request.to.as_str());
        let callback = self.events.for_call(&request.call.to_string());
        self.settings
            .create(
                &self.client,
                &self.url,
                Some(&request.call.to_string()),
                &[
                    ("To", request.seller_phone.as_str()),
                    ("From", request.caller_id.as_str()),
                    ("Twiml", &twiml),
                    ("StatusCallback", callback.as_str()),
                    ("StatusCallbackMethod", "POST"),
                    ("StatusCallbackEvent", "initiated"),
                    ("StatusCallbackEvent", "ringing"),
                    ("StatusCallbackEvent", "answered"),
                    ("StatusCallbackEvent", "completed"),
                ],
                "call",
            )
            .await
    }
}

#[cfg(test)]
mod tests;
