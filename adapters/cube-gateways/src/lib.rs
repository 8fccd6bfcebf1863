//! # cube-gateways
//!
//! Gateways for Cube's outgoing messages and calls (`cube_domain::ports::{SmsGateway,
//! EmailGateway, Telephony}`).
//!
//! # Layout
//! - here: the **log gateways**, which "deliver" each message by writing it to the log —
//!   what a development or demo server uses, so the outbox empties and every message can be
//!   read, without any provider account or network.
//! - [`client`]: the HTTP client the HTTP gateways share: TLS (rustls; the system's roots or
//!   the operator's CA file), the timeout, no redirects.
//! - [`webhook`]: `WebhookSmsGateway` and `WebhookEmailGateway`, which POST each message as
//!   JSON to an operator's `https://` (or `http://`) URL and map the answer to sent /
//!   refused for good / try again later / misconfigured.
//! - [`twilio`]: `TwilioSmsGateway`, which sends each SMS through a Twilio-style Messages
//!   API (form POST, basic auth): a real provider without a bridge; and
//!   `twilio::calls::TwilioTelephony`, click-to-call through the same account's Calls API.
//! - here too: `LogTelephony`, which writes each call to the log instead of placing it.
//! - [`pace`]: `Paced`, which holds any SMS gateway to the provider's send rate.
//! - [`outbound`]: `SignedWebhookGateway`, which POSTs an organisation's events to its own
//!   endpoints, signed (`X-Cube-Signature`) with the endpoint's secret.
//! - [`smtp`]: `SmtpEmailGateway`, which sends each e-mail to the operator's mail server
//!   (implicit TLS, STARTTLS, or plain on loopback), HTML with a plain-text alternative.
//! - [`mail_accounts`]: `MailAccounts`, which sends each e-mail through its assignment's
//!   outgoing mail account (named; its SMTP URL in the server's environment), else the
//!   default gateway.
//!
//! - `testing` (feature `testing`, and in this crate's tests): a local HTTPS server with a
//!   certificate made at run time, for tests against a provider over TLS.
//!
//! `cube-server` chooses which one delivers its outbox (`--sms-provider log|webhook|twilio`).
//!
//! Message bodies are personal data: the log gateways write the recipient and the length of
//! the text at `info`, and the text itself only at `debug`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod mail_accounts;
pub mod outbound;
pub mod pace;
pub mod smtp;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod twilio;
pub mod webhook;

pub use client::{CaFile, HttpSettings};
pub use mail_accounts::{MailAccountSetupError, MailAccounts};
pub use outbound::SignedWebhookGateway;
pub use pace::{Paced, SendRate};
pub use smtp::{SmtpEmailGateway, SmtpSettings, SmtpSetupError, SmtpTls};
pub use twilio::calls::{CallEvents, TwilioTelephony};
pub use twilio::{TwilioSettings, TwilioSmsGateway};

pub use webhook::{WebhookEmailGateway, WebhookSetupError, WebhookSmsGateway, WebhookUrl};

use async_trait::async_trait;
use cube_domain::call::CallRequest;
use cube_domain::ports::{
    EmailGateway, EmailMessage, GatewayError, SmsGateway, SmsMessage, Telephony,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes each SMS to the log; provider ids are `log-sms-1`, `log-sms-2`, ….
#[derive(Debug, Default)]
pub struct LogSmsGateway {
    sent: AtomicU64,
}

impl LogSmsGateway {
    /// A gateway that has sent nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl SmsGateway for LogSmsGateway {
    async fn send(&self, key: &str, message: &SmsMessage) -> Result<String, GatewayError> {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("log-sms-{n}");
        tracing::info!(%id, %key, from = %message.from, to = %message.to.as_str(), chars = message.body.chars().count(), "SMS (log gateway)");
        tracing::debug!(%id, body = %message.body, "SMS text");
        Ok(id)
    }
}

/// Writes each e-mail to the log; provider ids are `log-email-1`, ….
#[derive(Debug, Default)]
pub struct LogEmailGateway {
    sent: AtomicU64,
}

impl LogEmailGateway {
    /// A gateway that has sent nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl EmailGateway for LogEmailGateway {
    async fn send(&self, key: &str, message: &EmailMessage) -> Result<String, GatewayError> {
        let n = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("log-email-{n}");
        tracing::info!(%id, %key, from = %message.from, to = %message.to, subject = %message.subject, "e-mail (log gateway)");
        tracing::debug!(%id, html = %message.html, "e-mail body");
        Ok(id)
    }
}

/// Writes each call to the log instead of placing it; provider ids are `log-call-1`, ….
/// What a development server without a PBX uses when it wants calls recorded as placed (no
/// event ever comes: they stay "initiated").
#[derive(Debug, Default)]
pub struct LogTelephony {
    placed: AtomicU64,
}

impl LogTelephony {
    /// A telephony that has placed nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Telephony for LogTelephony {
    async fn call(&self, request: &CallRequest) -> Result<String, GatewayError> {
        let n = self.placed.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("log-call-{n}");
        tracing::info!(%id, call = %request.call, seller = %request.seller_phone.as_str(), to = %request.to.as_str(), caller_id = %request.caller_id.as_str(), "call (log telephony)");
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::values::{Email, PhoneNumber};

    #[tokio::test]
    async fn the_log_telephony_places_every_call_with_its_own_id() {
        let phone = |raw| PhoneNumber::parse(raw).expect("valid");
        let request = CallRequest {
            call: cube_domain::ids::CallId::from_uuid(uuid::Uuid::from_u128(1)),
            seller: cube_domain::ids::UserId::from_uuid(uuid::Uuid::from_u128(2)),
            seller_phone: phone("+4790000001"),
            to: phone("+4791234567"),
            caller_id: phone("+4722334455"),
        };
        let telephony = LogTelephony::new();
        assert_eq!(telephony.call(&request).await, Ok("log-call-1".into()));
        assert_eq!(telephony.call(&request).await, Ok("log-call-2".into()));
    }

    #[tokio::test]
    async fn every_message_is_accepted_with_its_own_id() {
        let sms = LogSmsGateway::new();
        let message = SmsMessage {
            from: "Acme".into(),
            to: PhoneNumber::parse("+4791234567").expect("valid"),
            body: "Hei".into(),
        };
        assert_eq!(sms.send("m-1", &message).await, Ok("log-sms-1".into()));
        assert_eq!(sms.send("m-2", &message).await, Ok("log-sms-2".into()));
        let email = LogEmailGateway::new();
        let message = EmailMessage {
            from: Email::parse("post@acme.example.com").expect("valid"),
            to: Email::parse("kari@example.no").expect("valid"),
            subject: "Tilbud".into(),
            html: "<p>Hei</p>".into(),
            account: None,
        };
        assert_eq!(email.send("m-3", &message).await, Ok("log-email-1".into()));
    }
}
