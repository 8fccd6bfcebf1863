//! Delivering the outbox: the messages use cases enqueued in their units of work (an SMS
//! started by an outcome, an e-mail) are sent through the gateways by a worker, never inside
//! the transaction that caused them. This is a system task: no acting user, no access check.
//!
//! # A round
//! One round reads up to `limit` pending messages (oldest first) in a unit of its own, sends
//! each one outside any transaction (so a slow provider never holds a database lock — with
//! SQLite a unit holds the write lock, with the in-memory store the whole store), and marks
//! each sent message delivered in a small unit right after it was sent. A failing message
//! never stops the others. If the store fails while marking, the round stops with that
//! error: sending more would only add messages to send again.
//!
//! # At least once
//! Delivery is **at least once**, and a provider may see a message twice:
//! - a crash (or an abandoned round at shutdown) between a send and its mark sends the
//!   message again in the next round;
//! - two server processes on one database both deliver it: the PostgreSQL adapter reads
//!   pending messages with a plain `SELECT … WHERE delivered_at IS NULL` (no
//!   `FOR UPDATE SKIP LOCKED`, no claim), and while SQLite's `BEGIN IMMEDIATE` serializes the
//!   reading units, the send happens after that unit has ended, so two processes on one file
//!   read the same messages as well. Marking twice is harmless (`mark_delivered` of a
//!   delivered message changes nothing). Within one process the worker is the only caller
//!   and rounds never overlap. Exactly-once towards the provider would need a claim in the
//!   port (a lease on the row) and an idempotency key passed to the gateway: the message id
//!   is meant for that, but `SmsGateway::send`/`EmailGateway::send` do not receive it today.
//!
//! # Failures
//! - `GatewayError::Unavailable` (provider down, timeout, 5xx): the message stays pending
//!   and is tried again next round, without a limit or a back-off (the port keeps no
//!   attempt count).
//! - `GatewayError::Rejected` (a bad number, a blocked sender, a 4xx): **Decision:** the
//!   message is marked delivered — the only state the port offers besides pending — and
//!   reported as rejected with the reason, which the worker logs at `warn`. Left pending it
//!   would be refused every round forever, and since rounds take the oldest first, `limit`
//!   such messages would block the outbox for good. The cost: the store cannot tell a
//!   refused message from a delivered one; only the report and the log can. A failed /
//!   dead-letter state in `OutboxRepository` would keep that in the store.

use crate::{AppResult, Cube};
use cube_domain::ids::OutboxMessageId;
use cube_domain::ports::{EmailGateway, GatewayError, OutboxPayload, SmsGateway};

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages sent and marked delivered.
    pub delivered: usize,
    /// Messages the provider refused for good: marked delivered (see the module doc), with
    /// the reason.
    pub rejected: Vec<(OutboxMessageId, String)>,
    /// Messages left pending because the provider was unavailable, with the reason.
    pub retry: Vec<(OutboxMessageId, String)>,
}

impl Cube {
    /// Sends up to `limit` pending outbox messages; see the module doc.
    pub async fn deliver_outbox(
        &self,
        sms: &dyn SmsGateway,
        email: &dyn EmailGateway,
        limit: u32,
    ) -> AppResult<DeliveryReport> {
        let pending = {
            let mut uow = self.begin().await?;
            let pending = uow.pending_messages(limit).await?;
            uow.commit().await?;
            pending
        };
        let mut report = DeliveryReport::default();
        for message in pending {
            let sent = match &message.payload {
                OutboxPayload::Sms(m) => sms.send(m).await,
                OutboxPayload::Email(m) => email.send(m).await,
            };
            let done = match sent {
                Ok(_) => {
                    report.delivered += 1;
                    true
                }
                Err(error @ GatewayError::Rejected(_)) => {
                    report.rejected.push((message.id, error.to_string()));
                    true
                }
                Err(error) => {
                    report.retry.push((message.id, error.to_string()));
                    false
                }
            };
            if done {
                let mut uow = self.begin().await?;
                uow.mark_delivered(message.id).await?;
                uow.commit().await?;
            }
        }
        Ok(report)
    }
}
