//! Recording twins of the outgoing gateways: they keep every message instead of sending it,
//! and can be told to fail the next few sends, so tests can check what a worker sent and
//! how it copes with a provider that is down or refuses.

use async_trait::async_trait;
use cube_domain::call::CallRequest;
use cube_domain::ports::{
    EmailGateway, EmailMessage, GatewayError, SmsGateway, SmsMessage, Telephony, WebhookGateway,
};
use cube_domain::webhooks::{EndpointUrl, WebhookEvent, WebhookSecret};
use std::sync::{Mutex, PoisonError};

/// What every recorder shares: what was sent, and the failures still to hand out.
#[derive(Debug)]
struct Recorder<T> {
    prefix: &'static str,
    // A std `Mutex`: held for a push or a copy, never across an `.await`.
    state: Mutex<RecorderState<T>>,
}

#[derive(Debug)]
struct RecorderState<T> {
    /// What was delivered, in order, each with its key (if the port has keys); item `n`
    /// (from 0) was answered `<prefix>-<n + 1>`. A retry with a key already delivered
    /// answers that id again and is not recorded twice, as a provider that deduplicates
    /// would.
    sent: Vec<(Option<String>, T)>,
    /// The idempotency key of every attempt, failed ones included.
    keys: Vec<String>,
    attempts: u64,
    failures: Vec<GatewayError>,
}

impl<T: Clone> Recorder<T> {
    fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            state: Mutex::new(RecorderState {
                sent: Vec::new(),
                keys: Vec::new(),
                attempts: 0,
                failures: Vec::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RecorderState<T>> {
        // Every update is a single push or counter step, so a poisoned lock is consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, key: Option<&str>, item: &T) -> Result<String, GatewayError> {
        let mut state = self.state();
        state.attempts += 1;
        if let Some(key) = key {
            state.keys.push(key.to_owned());
        }
        if !state.failures.is_empty() {
            return Err(state.failures.remove(0));
        }
        let earlier = key.and_then(|key| {
            state
                .sent
                .iter()
                .position(|(k, _)| k.as_deref() == Some(key))
        });
        let position = match earlier {
            Some(position) => position,
            None => {
                state.sent.push((key.map(str::to_owned), item.clone()));
                state.sent.len() - 1
            }
        };
        Ok(format!("{}-{}", self.prefix, position + 1))
    }

    fn fail_next(&self, times: usize, error: GatewayError) {
        let mut state = self.state();
        state.failures.extend(std::iter::repeat_n(error, times));
    }

    fn sent(&self) -> Vec<T> {
        self.state()
            .sent
            .iter()
            .map(|(_, item)| item.clone())
            .collect()
    }

    fn attempts(&self) -> u64 {
        self.state().attempts
    }

    fn keys(&self) -> Vec<String> {
        self.state().keys.clone()
    }

    fn sent_with_keys(&self) -> Vec<(String, T)> {
        self.state()
            .sent
            .iter()
            .map(|(key, item)| (key.clone().unwrap_or_default(), item.clone()))
            .collect()
    }
}

/// An `SmsGateway` that records messages; provider ids are `sms-1`, `sms-2`, ….
#[derive(Debug)]
pub struct RecordingSms(Recorder<SmsMessage>);

impl RecordingSms {
    /// A gateway that accepts everything.
    pub fn new() -> Self {
        Self(Recorder::new("sms"))
    }
    /// The next `times` sends fail with `error` (and are not recorded as sent).
    pub fn fail_next(&self, times: usize, error: GatewayError) {
        self.0.fail_next(times, error);
    }
    /// The messages sent so far, in order; a retry with a key already delivered is not
    /// sent again (it answers the first id).
    pub fn sent(&self) -> Vec<SmsMessage> {
        self.0.sent()
    }
    /// The messages sent so far with their keys, in order.
    pub fn sent_with_keys(&self) -> Vec<(String, SmsMessage)> {
        self.0.sent_with_keys()
    }
    /// The idempotency key of every call to `send`, failed ones included, in order.
    pub fn keys(&self) -> Vec<String> {
        self.0.keys()
    }
    /// Every call to `send`, failed ones included.
    pub fn attempts(&self) -> u64 {
        self.0.attempts()
    }
}

impl Default for RecordingSms {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl SmsGateway for RecordingSms {
    async fn send(&self, key: &str, message: &SmsMessage) -> Result<String, GatewayError> {
        self.0.record(Some(key), message)
    }
}

/// An `EmailGateway` that records messages; provider ids are `email-1`, `email-2`, ….
#[derive(Debug)]
pub struct RecordingEmail(Recorder<EmailMessage>);

impl RecordingEmail {
    /// A gateway that accepts everything.
    pub fn new() -> Self {
        Self(Recorder::new("email"))
    }
    /// The next `times` sends fail with `error` (and are not recorded as sent).
    pub fn fail_next(&self, times: usize, error: GatewayError) {
        self.0.fail_next(times, error);
    }
    /// The messages sent so far, in order.
    pub fn sent(&self) -> Vec<EmailMessage> {
        self.0.sent()
    }
    /// The idempotency key of every call to `send`, failed ones included, in order.
    pub fn keys(&self) -> Vec<String> {
        self.0.keys()
    }
    /// Every call to `send`, failed ones included.
    pub fn attempts(&self) -> u64 {
        self.0.attempts()
    }
}

impl Default for RecordingEmail {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl EmailGateway for RecordingEmail {
    async fn send(&self, key: &str, message: &EmailMessage) -> Result<String, GatewayError> {
        self.0.record(Some(key), message)
    }
}

/// One webhook delivered through [`RecordingWebhooks`]: the delivery id, where, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredWebhook {
    /// The delivery id (the outbox message id).
    pub key: String,
    /// The endpoint's URL.
    pub url: EndpointUrl,
    /// The event.
    pub event: WebhookEvent,
    /// The JSON body.
    pub body: String,
}

/// A `WebhookGateway` that records deliveries (the secret is not kept).
#[derive(Debug)]
pub struct RecordingWebhooks(Recorder<DeliveredWebhook>);

impl RecordingWebhooks {
    /// A gateway that accepts everything.
    pub fn new() -> Self {
        Self(Recorder::new("webhook"))
    }
    /// The next `times` deliveries fail with `error` (and are not recorded as sent).
    pub fn fail_next(&self, times: usize, error: GatewayError) {
        self.0.fail_next(times, error);
    }
    /// The deliveries so far, in order.
    pub fn sent(&self) -> Vec<DeliveredWebhook> {
        self.0.sent()
    }
    /// Every call to `deliver`, failed ones included.
    pub fn attempts(&self) -> u64 {
        self.0.attempts()
    }
}

impl Default for RecordingWebhooks {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl WebhookGateway for RecordingWebhooks {
    async fn deliver(
        &self,
        key: &str,
        url: &EndpointUrl,
        _secret: &WebhookSecret,
        event: WebhookEvent,
        body: &str,
    ) -> Result<(), GatewayError> {
        let delivered = DeliveredWebhook {
            key: key.to_owned(),
            url: url.clone(),
            event,
            body: body.to_owned(),
        };
        self.0.record(Some(key), &delivered).map(drop)
    }
}

/// One click-to-call placed through [`RecordingTelephony`]: the request as asked.
pub type PlacedCall = CallRequest;

/// A `Telephony` that records calls; call ids are `call-1`, `call-2`, ….
#[derive(Debug)]
pub struct RecordingTelephony(Recorder<PlacedCall>);

impl RecordingTelephony {
    /// A telephony that connects every call.
    pub fn new() -> Self {
        Self(Recorder::new("call"))
    }
    /// The next `times` calls fail with `error` (and are not recorded as placed).
    pub fn fail_next(&self, times: usize, error: GatewayError) {
        self.0.fail_next(times, error);
    }
    /// The calls placed so far, in order.
    pub fn calls(&self) -> Vec<PlacedCall> {
        self.0.sent()
    }
    /// Every call to `call`, failed ones included.
    pub fn attempts(&self) -> u64 {
        self.0.attempts()
    }
}

impl Default for RecordingTelephony {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Telephony for RecordingTelephony {
    async fn call(&self, request: &CallRequest) -> Result<String, GatewayError> {
        self.0.record(None, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::values::PhoneNumber;

    fn sms(body: &str) -> SmsMessage {
        SmsMessage {
            from: "Cube".into(),
            to: PhoneNumber::parse("+4791234567").expect("valid"),
            body: body.into(),
        }
    }

    #[tokio::test]
    async fn failures_come_first_then_messages_are_recorded() {
        let gateway = RecordingSms::new();
        gateway.fail_next(2, GatewayError::Unavailable("down".into()));
        for _ in 0..2 {
            assert_eq!(
                gateway.send("k-1", &sms("hei")).await,
                Err(GatewayError::Unavailable("down".into()))
            );
        }
        assert_eq!(gateway.send("k-1", &sms("hei")).await, Ok("sms-1".into()));
        assert_eq!(gateway.sent(), vec![sms("hei")]);
        assert_eq!(gateway.attempts(), 3);
    }
}
