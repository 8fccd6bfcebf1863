//! Outgoing communication: SMS, e-mail and telephony gateways, and the outbox through which
//! use cases hand messages to them. A use case never calls a gateway inside its transaction;
//! it enqueues an `OutboxMessage` in the same unit of work, and a worker delivers it.

use crate::ids::{AssignmentId, EnrollmentId, OutboxMessageId, WebhookEndpointId};
use crate::values::{Email, PhoneNumber};
use crate::webhooks::WebhookEvent;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

/// Why a gateway could not deliver.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GatewayError {
    /// The provider refused the message for good (bad number, blocked sender): do not retry.
    #[error("the provider refused the message: {0}")]
    Rejected(String),
    /// The provider could not be reached or failed: retry later.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The gateway itself cannot send anything (its URL or credentials are refused): nothing
    /// is wrong with this message, and every other would get the same answer. Retry once the
    /// operator has fixed it, without counting it against the message.
    #[error("the gateway is misconfigured: {0}")]
    Misconfigured(String),
}

impl GatewayError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            GatewayError::Unavailable(_) | GatewayError::Misconfigured(_)
        )
    }
}

/// An SMS to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    /// The sender (name or number).
    pub from: String,
    /// The recipient.
    pub to: PhoneNumber,
    /// The text, merge fields already filled in.
    pub body: String,
}

/// An e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailMessage {
    /// The sender.
    pub from: Email,
    /// The recipient.
    pub to: Email,
    /// The subject.
    pub subject: String,
    /// The HTML body.
    pub html: String,
    /// The outgoing mail account to send it through (the assignment's
    /// `communication.mail_account`); `None`: the server's default mail server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<crate::assignment::setup::MailAccount>,
}

/// Sends SMS.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait SmsGateway: Send + Sync {
    /// Sends one message; returns the provider's message id. `key` is the same on every
    /// attempt to send this message (the outbox message id) and different for every other
    /// message: a gateway passes it on to a provider that can deduplicate, so a retry after
    /// a lost answer is not delivered twice.
    async fn send(&self, key: &str, message: &SmsMessage) -> Result<String, GatewayError>;
}

/// Sends e-mail.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait EmailGateway: Send + Sync {
    /// Sends one message; returns the provider's message id. `key` as for
    /// `SmsGateway::send`.
    async fn send(&self, key: &str, message: &EmailMessage) -> Result<String, GatewayError>;
}

/// Places calls (click-to-call) with a caller id: the PBX rings the seller's phone, then
/// bridges it to the customer. Unlike SMS, a call is placed while the seller waits, outside
/// any unit of work (the call is recorded before, and its provider id after).
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Telephony: Send + Sync {
    /// Asks the PBX to place `request`; returns the PBX's id of the call, which its status
    /// events name. `Rejected`: the PBX refused this call (a number it cannot reach);
    /// `Unavailable`: try again; `Misconfigured`: no call can be placed until the operator
    /// fixes the settings.
    async fn call(&self, request: &crate::call::CallRequest) -> Result<String, GatewayError>;
}

/// What an outbox message carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxPayload {
    /// An SMS (e.g. an SMS flow started by an outcome).
    Sms(SmsMessage),
    /// An e-mail.
    Email(EmailMessage),
    /// An SMS that could not be addressed (the customer has no mobile number): enqueued
    /// already failed, with the reason, so the failed messages show what was not sent and
    /// to whom; never handed to a gateway.
    UnaddressedSms {
        /// The sender (name or number).
        from: String,
        /// The text, merge fields already filled in.
        body: String,
    },
    /// An e-mail that could not be addressed (the customer has no e-mail address): enqueued
    /// already failed, like [`OutboxPayload::UnaddressedSms`].
    UnaddressedEmail {
        /// The sender.
        from: Email,
        /// The subject, merge fields already filled in.
        subject: String,
    },
    /// A webhook to an organisation's endpoint: its URL and secret are read from the store
    /// when it is sent (never copied here, so the secret is not in the outbox).
    Webhook {
        /// The endpoint.
        endpoint: WebhookEndpointId,
        /// What happened.
        event: WebhookEvent,
        /// The JSON body, ids only: no personal data.
        body: String,
    },
}

impl OutboxPayload {
    /// The payload with the recipient and every text erased (GDPR art. 17): the channel and
    /// our sender stay, so the outbox still tells an SMS from an e-mail; an erased message
    /// has nobody to go to, like one that could not be addressed.
    pub fn erased(&self) -> OutboxPayload {
        match self {
            OutboxPayload::Sms(SmsMessage { from, .. })
            | OutboxPayload::UnaddressedSms { from, .. } => OutboxPayload::UnaddressedSms {
                from: from.clone(),
                body: String::new(),
            },
            OutboxPayload::Email(EmailMessage { from, .. })
            | OutboxPayload::UnaddressedEmail { from, .. } => OutboxPayload::UnaddressedEmail {
                from: from.clone(),
                subject: String::new(),
            },
            // Ids only: nothing personal to erase.
            OutboxPayload::Webhook { .. } => self.clone(),
        }
    }
}

/// Why a pending message to a person whose data was erased is never sent.
pub const RECIPIENT_ERASED: &str = "the recipient's personal data was erased";

/// What a provider's delivery receipt says of a message it took: whether it reached the
/// phone. A provider that took a message may still fail to deliver it (the phone was off
/// for days, the number is no longer in use); its receipt says so after the outbox marked
/// the message delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryReceipt {
    /// It reached the phone.
    Delivered,
    /// It never will, with the provider's reason.
    Failed(String),
}

/// Why an SMS flow's message was never sent: the customer has no number to send it to.
pub const NO_MOBILE_NUMBER: &str = "customer has no mobile number";

/// Why an outcome's e-mail was never sent: the customer has no e-mail address.
pub const NO_EMAIL_ADDRESS: &str = "customer has no e-mail address";

/// A message waiting to be delivered, written in the same transaction as the change that
/// caused it, so it is sent if and only if that change was committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The id (also the idempotency key towards the provider).
    pub id: OutboxMessageId,
    /// The assignment it belongs to.
    pub assignment: AssignmentId,
    /// The enrollment it concerns.
    pub enrollment: Option<EnrollmentId>,
    /// What to send.
    pub payload: OutboxPayload,
    /// When it was enqueued.
    pub created_at: OffsetDateTime,
}

/// A message handed to a delivery round by `OutboxRepository::claim_messages`, with the
/// attempts that failed before (the provider was unavailable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    /// The message.
    pub message: OutboxMessage,
    /// Earlier attempts that ended in `GatewayError::Unavailable`.
    pub attempts: u32,
}

/// A message the provider refused for good (or that was given up on), kept apart from the
/// delivered ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedMessage {
    /// The message.
    pub message: OutboxMessage,
    /// Why: the provider's answer, or the last error when it was given up on.
    pub reason: String,
}

/// Where a stored message is in its delivery, as `OutboxRepository::messages_after` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryState {
    /// Still to be delivered: due at once (`None`), or not before `due_at` (waiting for a
    /// retry after failed attempts, or claimed by a delivery round until then).
    Pending {
        /// When it is due again, if not at once.
        due_at: Option<OffsetDateTime>,
    },
    /// Delivered: never pending again.
    Delivered,
    /// Refused for good or given up on, with the reason (`failed_messages` lists it).
    Failed {
        /// Why.
        reason: String,
    },
}

/// A message as the outbox keeps it: the message, its failed attempts and its delivery
/// state. Enqueueing the message, deferring it `attempts` times and then marking it
/// delivered or failed gives it back as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The message.
    pub message: OutboxMessage,
    /// Attempts that failed with the provider unavailable (`ClaimedMessage::attempts`).
    pub attempts: u32,
    /// Pending, delivered or failed.
    pub state: DeliveryState,
}

/// How long a message the provider could not take waits before its next try, after
/// `attempts` failed tries (1 = the first failure): 30 seconds, doubling each time, at most
/// an hour. `None` once `MAX_DELIVERY_ATTEMPTS` tries failed: the message is given up on
/// (about a day of trying).
pub fn retry_delay(attempts: u32) -> Option<time::Duration> {
    retry_delay_from(FIRST_RETRY_DELAY, attempts)
}

/// The first retry's delay by default.
pub const FIRST_RETRY_DELAY: time::Duration = time::Duration::seconds(30);

/// As [`retry_delay`], starting from `first` instead of 30 seconds (an operator's shorter
/// setting for a provider that recovers fast, or a test's): `first`, doubling each time, at
/// most an hour (or `first`, if that is longer). `None` once `MAX_DELIVERY_ATTEMPTS` tries
/// failed.
pub fn retry_delay_from(first: time::Duration, attempts: u32) -> Option<time::Duration> {
    if attempts >= MAX_DELIVERY_ATTEMPTS {
        return None;
    }
    let doublings = attempts.saturating_sub(1).min(20);
    let cap = time::Duration::hours(1).max(first);
    Some(first.saturating_mul(1_i32 << doublings).min(cap))
}

/// Tries of one message before it is given up on (marked failed).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 30;

#[cfg(test)]
mod retry_tests {
    use super::*;

    #[test]
    fn the_delay_doubles_from_thirty_seconds_to_an_hour_then_gives_up() {
        let secs = |n| retry_delay(n).map(|d| d.whole_seconds());
        assert_eq!(secs(1), Some(30));
        assert_eq!(secs(2), Some(60));
        assert_eq!(secs(3), Some(120));
        assert_eq!(secs(7), Some(1_920));
        assert_eq!(secs(8), Some(3_600));
        assert_eq!(secs(29), Some(3_600));
        assert_eq!(secs(MAX_DELIVERY_ATTEMPTS), None);
        let total: i64 = (1..MAX_DELIVERY_ATTEMPTS).filter_map(secs).sum();
        assert!(
            (20 * 3_600..30 * 3_600).contains(&total),
            "about a day: {total} s"
        );
    }

    #[test]
    fn a_shorter_first_delay_doubles_to_the_same_hour() {
        let secs = |n| retry_delay_from(time::Duration::seconds(1), n).map(|d| d.whole_seconds());
        assert_eq!(secs(1), Some(1));
        assert_eq!(secs(2), Some(2));
        assert_eq!(secs(12), Some(2_048));
        assert_eq!(secs(13), Some(3_600));
        assert_eq!(secs(MAX_DELIVERY_ATTEMPTS), None);
        // The default is the 30 s start.
        assert_eq!(retry_delay_from(FIRST_RETRY_DELAY, 4), retry_delay(4));
        // A first delay over an hour is kept, not cut to the cap.
        let long = time::Duration::hours(2);
        assert_eq!(retry_delay_from(long, 3), Some(long));
    }
}
