//! Delivering the outbox: the messages use cases enqueued in their units of work (an SMS
//! started by an outcome, an e-mail) are sent through the gateways by a worker, never inside
//! the transaction that caused them. This is a system task: no acting user, no access check.
//!
//! # A round
//! One round handles up to `limit` due messages (oldest first), `CLAIM_CHUNK` (10) at a
//! time: it **claims** a chunk in a unit of its own — the store makes those messages not due
//! again for the claim (`CLAIM`, 5 minutes, unless [`OutboxTiming`] says otherwise), so a second server process on the same database does not
//! send them too — sends it, then claims the next. A chunk takes at most ten sends, well
//! inside the claim even at the webhook gateways' 10 s timeout, so a claim does not run out
//! while its round is still sending. Each is sent outside any transaction (a
//! slow provider never holds a database lock — with SQLite a unit holds the write lock),
//! and its fate written in a small unit right after. A failing message never stops the
//! others. If the store fails while writing a fate, the round stops with that error: the
//! claim runs out and the message is tried again, so nothing is lost.
//!
//! # At least once
//! Delivery is **at least once**: a crash (or a round abandoned at shutdown) between a send
//! and its mark sends the message again once the claim has run out, and so does a round
//! that takes longer than the claim. Two processes no longer read the same messages at the
//! same time. Every attempt passes the message id to the gateway as its idempotency key
//! (the webhook gateways send it as `Idempotency-Key`), so a provider that deduplicates
//! delivers a repeated message once.
//!
//! # Fates
//! - Sent: marked delivered.
//! - `GatewayError::Unavailable` (provider down, timeout, 5xx): one more attempt counted and
//!   the message deferred by `retry_delay_from` (30 s, or [`OutboxTiming`]'s first retry,
//!   doubling to an hour). After
//!   `MAX_DELIVERY_ATTEMPTS` (about a day) it is given up on: marked failed with the last
//!   error.
//! - `GatewayError::Misconfigured` (the gateway's URL or credentials are refused): nothing
//!   is wrong with the message and every other one for that gateway would get the same
//!   answer, so the round sends nothing more through it: that channel's messages it claims
//!   are left claimed and tried again after the claim; the other channel goes on. No attempt
//!   is counted, so a gateway broken for a weekend loses nothing. The report says why
//!   (`blocked`), and the worker logs it at `error`.
//! - `GatewayError::Rejected` (a bad number, a blocked sender, a 4xx): marked failed with the
//!   provider's reason at once — retrying cannot help. Failed messages stay in the store
//!   (`OutboxRepository::failed_messages`), apart from the delivered ones, and the worker
//!   logs each at `warn`.

use crate::{Acting, AppError, AppResult, Cube, acting};
use cube_domain::access::{self, Permission, Role};
use cube_domain::ids::{AssignmentId, OutboxMessageId};
use cube_domain::ports::{
    ClaimedMessage, DeliveryReceipt, EmailGateway, FIRST_RETRY_DELAY, FailedMessage, GatewayError,
    MAX_DELIVERY_ATTEMPTS, NO_EMAIL_ADDRESS, NO_MOBILE_NUMBER, OutboxMessage, OutboxPayload,
    SmsGateway, WebhookGateway, retry_delay_from,
};
use time::Duration;

/// How long a round's claim keeps its messages from other rounds.
pub const CLAIM: Duration = Duration::minutes(5);

/// How many messages one claim takes: few enough that sending them all fits in `CLAIM`.
pub const CLAIM_CHUNK: u32 = 10;

/// How long the outbox waits: the claim that keeps a round's messages from other rounds,
/// and the delay before a failed message's first retry (then doubling to an hour). The
/// defaults are [`CLAIM`] and 30 seconds; an operator may shorten both (a provider that
/// recovers in seconds, a process restarted after a crash whose claims should run out
/// soon), and tests do. A claim shorter than a chunk's sends risks a message sent twice by
/// two rounds (the idempotency key still lets the provider drop the copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxTiming {
    /// How long a claim keeps its messages from other rounds.
    pub claim: Duration,
    /// The delay before the first retry of a message whose provider was unavailable.
    pub first_retry: Duration,
}

impl Default for OutboxTiming {
    fn default() -> Self {
        Self {
            claim: CLAIM,
            first_retry: FIRST_RETRY_DELAY,
        }
    }
}

/// The channels whose gateway said it is misconfigured during this round.
#[derive(Debug, Default)]
struct Blocked {
    sms: bool,
    email: bool,
}

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages sent and marked delivered.
    pub delivered: usize,
    /// Messages the provider refused for good, marked failed, with the reason.
    pub rejected: Vec<(OutboxMessageId, String)>,
    /// Messages deferred because the provider was unavailable, with the reason and the
    /// failed attempts so far.
    pub retry: Vec<(OutboxMessageId, String, u32)>,
    /// Messages given up on after `MAX_DELIVERY_ATTEMPTS` failed attempts, marked failed,
    /// with the last reason.
    pub given_up: Vec<(OutboxMessageId, String)>,
    /// Why a channel was held back: a gateway answered that it is misconfigured (the first
    /// such answer of the round).
    pub blocked: Option<String>,
}

impl Cube {
    /// Up to `limit` failed messages (refused by the provider or given up on) of the
    /// assignments the user manages, oldest first, with the reason: what an admin or manager
    /// looks at when customers say an SMS never came. Sellers and clients are refused.
    pub async fn failed_messages(
        &self,
        who: impl Into<Acting<'_>>,
        limit: u32,
    ) -> AppResult<Vec<FailedMessage>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        if !matches!(user.role, Role::Admin | Role::Manager { .. }) {
            return Err(AppError::Forbidden);
        }
        let today = self.now().date();
        let managed: Vec<AssignmentId> = uow
            .assignments(user.organisation)
            .await?
            .iter()
            .filter(|a| access::authorize(&user, Permission::ManageAssignment(a), today).is_ok())
            .map(|a| a.id())
            .collect();
        Ok(uow.failed_messages(&managed, limit).await?)
    }

    /// Records the SMS provider's delivery receipt for the message it was given under
    /// `message` (the outbox message id, sent as the idempotency key): delivered, or failed
    /// with the provider's reason — then listed with the failed messages. A system task
    /// called by the provider's callback; an unknown message is "not found".
    pub async fn record_delivery_receipt(
        &self,
        message: OutboxMessageId,
        receipt: DeliveryReceipt,
    ) -> AppResult<()> {
        let mut uow = self.begin().await?;
        if !uow.record_receipt(message, &receipt).await? {
            return Err(AppError::NotFound("outbox message"));
        }
        uow.commit().await?;
        Ok(())
    }

    /// Sends up to `limit` due outbox messages; see the module doc.
    pub async fn deliver_outbox(
        &self,
        sms: &dyn SmsGateway,
        email: &dyn EmailGateway,
        webhooks: &dyn WebhookGateway,
        limit: u32,
    ) -> AppResult<DeliveryReport> {
        let mut report = DeliveryReport::default();
        let mut blocked = Blocked::default();
        let mut left = limit;
        while left > 0 {
            let now = self.now();
            let claimed = {
                let mut uow = self.begin().await?;
                let claimed = uow
                    .claim_messages(left.min(CLAIM_CHUNK), now, now + self.outbox_timing.claim)
                    .await?;
                uow.commit().await?;
                claimed
            };
            if claimed.is_empty() {
                break;
            }
            left = left.saturating_sub(u32::try_from(claimed.len()).unwrap_or(u32::MAX));
            let gateways = Gateways {
                sms,
                email,
                webhooks,
            };
            self.deliver_claimed(&gateways, claimed, &mut blocked, &mut report)
                .await?;
        }
        Ok(report)
    }

    /// Sends each claimed message and writes its fate.
    async fn deliver_claimed(
        &self,
        gateways: &Gateways<'_>,
        claimed: Vec<ClaimedMessage>,
        blocked: &mut Blocked,
        report: &mut DeliveryReport,
    ) -> AppResult<()> {
        for claim in claimed {
            let message = &claim.message;
            let key = message.id.to_string();
            let sent = match &message.payload {
                // A misconfigured gateway's messages stay claimed, unsent and uncounted.
                OutboxPayload::Sms(_) if blocked.sms => continue,
                OutboxPayload::Email(_) if blocked.email => continue,
                OutboxPayload::Sms(m) => gateways.sms.send(&key, m).await,
                OutboxPayload::Email(m) => gateways.email.send(&key, m).await,
                OutboxPayload::Webhook { .. } => {
                    self.send_webhook(gateways.webhooks, message).await?
                }
                // Enqueued failed, so never claimed; should one be, it fails for good.
                OutboxPayload::UnaddressedSms { .. } => {
                    Err(GatewayError::Rejected(NO_MOBILE_NUMBER.into()))
                }
                OutboxPayload::UnaddressedEmail { .. } => {
                    Err(GatewayError::Rejected(NO_EMAIL_ADDRESS.into()))
                }
            };
            if let Err(GatewayError::Misconfigured(reason)) = &sent {
                match message.payload {
                    OutboxPayload::Sms(_) | OutboxPayload::UnaddressedSms { .. } => {
                        blocked.sms = true;
                    }
                    OutboxPayload::Email(_) | OutboxPayload::UnaddressedEmail { .. } => {
                        blocked.email = true;
                    }
                    // The webhook gateway never answers `Misconfigured` (an endpoint is one
                    // organisation's, not the channel's): counted like any failure.
                    OutboxPayload::Webhook { .. } => {}
                }
                report.blocked.get_or_insert_with(|| reason.clone());
                continue;
            }
            let mut uow = self.begin().await?;
            match sent {
                Ok(_) => {
                    uow.mark_delivered(message.id).await?;
                    report.delivered += 1;
                }
                Err(error @ GatewayError::Rejected(_)) => {
                    let reason = error.to_string();
                    uow.mark_failed(message.id, &reason).await?;
                    report.rejected.push((message.id, reason));
                }
                Err(error) => {
                    let attempts = claim.attempts.saturating_add(1);
                    match retry_delay_from(self.outbox_timing.first_retry, attempts) {
                        Some(delay) => {
                            uow.defer(message.id, self.now() + delay).await?;
                            report.retry.push((message.id, error.to_string(), attempts));
                        }
                        None => {
                            let reason = format!(
                                "given up after {MAX_DELIVERY_ATTEMPTS} attempts; last: {error}"
                            );
                            uow.mark_failed(message.id, &reason).await?;
                            report.given_up.push((message.id, reason));
                        }
                    }
                }
            }
            uow.commit().await?;
        }
        Ok(())
    }

    /// Sends one webhook: its endpoint's URL and secret are read now (a small read unit), so
    /// the secret is never in the outbox; an endpoint deleted or switched off since the
    /// message was enqueued refuses it for good.
    async fn send_webhook(
        &self,
        gateway: &dyn WebhookGateway,
        message: &OutboxMessage,
    ) -> AppResult<Result<String, GatewayError>> {
        let OutboxPayload::Webhook {
            endpoint,
            event,
            body,
        } = &message.payload
        else {
            return Ok(Err(GatewayError::Rejected("not a webhook".into())));
        };
        let found = {
            let mut uow = self.begin_read().await?;
            uow.webhook_endpoint(*endpoint).await?
        };
        let Some(found) = found else {
            return Ok(Err(GatewayError::Rejected(
                "the webhook endpoint was deleted".into(),
            )));
        };
        if !found.enabled {
            return Ok(Err(GatewayError::Rejected(
                "the webhook endpoint is switched off".into(),
            )));
        }
        let key = message.id.to_string();
        Ok(gateway
            .deliver(&key, &found.url, &found.secret, *event, body)
            .await
            .map(|()| key))
    }
}

/// The gateways a round sends through, one a channel.
struct Gateways<'a> {
    sms: &'a dyn SmsGateway,
    email: &'a dyn EmailGateway,
    webhooks: &'a dyn WebhookGateway,
}
