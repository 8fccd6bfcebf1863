//! Delivering the outbox: the messages use cases enqueued in their units of work (an SMS
//! started by an outcome, an e-mail) are sent through the gateways by a worker, never inside
//! the transaction that caused them.
//!
//! One round reads up to `limit` pending messages (oldest first) in a unit of its own, sends
//! each one outside any transaction (so a slow provider never holds a database lock), and
//! marks each sent message delivered in a small unit right after it was sent. Delivery is
//! therefore **at least once**: a crash between the send and the mark, or two server
//! processes reading the same pending messages, may send a message twice; the message id
//! travels with it as the provider's idempotency key.
//!
//! A provider that is unavailable leaves the message pending for the next round. A provider
//! that refuses a message for good (`GatewayError::Rejected`: a bad number, a blocked
//! sender) would refuse it forever, and the outbox has no dead-letter state, so the message
//! is marked done and reported (and logged by the worker) as rejected.

use crate::{AppResult, Cube};
use cube_domain::ids::OutboxMessageId;
use cube_domain::ports::{EmailGateway, GatewayError, OutboxPayload, SmsGateway};

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages sent and marked delivered.
    pub delivered: usize,
    /// Messages the provider refused for good: marked done, with the reason.
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
