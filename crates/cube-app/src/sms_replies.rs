//! Texts to and from customers outside the outbox's automatic messages (seed 000 items 4
//! and 8, issue 17): a seller's SMS from the customer card ([`Cube::send_sms`]), and the
//! texts customers send back.
//!
//! The SMS provider's callback hands
//! a received text to [`Cube::receive_sms`], which first offers it to a pending sale
//! confirmation to its number (`crate::sale_confirmations`: "JA" confirms the sale, "NEI"
//! refuses it), then matches it to the latest SMS flow sent to its number, judges it by the domain's rules (`cube_domain::sms::judge_reply`) and, for
//! an approved keyword in time, registers the keyword's outcome as the system
//! (`Registrar::SmsReply`) — in the same unit of work that keeps the text, so a text is
//! acted on if and only if it is kept. Everything else is kept with its fate and shown
//! ([`Cube::sms_replies`]), never acted on.
//!
//! Taking a text in is a system task, like delivering the outbox: no acting user (the HTTP
//! adapter checks the provider's shared secret). The provider's message id makes it
//! idempotent: a text posted twice (the provider did not hear our answer) is answered with
//! what the first did, and acts once.
//!
//! A text that answered neither a flow nor a confirmation is kept as `UnknownNumber`, with
//! the claims of the data owners whose assignments had texted or called its number before
//! it came, decided in the unit that keeps it (`cube_domain::sms`, "A text no flow
//! matched"): their access exports list it, their erasures drop their claims
//! (`crate::privacy`). One no data owner claims is deleted after
//! `cube_domain::sms::UNMATCHED_TEXT_DAYS` days ([`Cube::forget_unowned_texts`]).

use crate::error::WorkError;
use crate::kept_requests::Keyed;
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::idempotency::RequestKey;
use cube_domain::ids::{AssignmentId, EnrollmentId, OutboxMessageId, SmsReplyId};
use cube_domain::outcome::{RegisterOutcome, Registrar};
use cube_domain::ports::{
    OutboxMessage, OutboxPayload, ReadUnit, SmsMessage, StoreError, StoredMessage, UniqueRule,
    UnitOfWork,
};
use cube_domain::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
use cube_domain::sms::{
    self, InboundSms, ReplyFate, ReplyStep, SentSmsFlow, SmsLength, SmsReply, judge_reply,
};
use cube_domain::values::{PhoneNumber, excerpt};
use cube_domain::{my_work, sale_confirmation};
use time::OffsetDateTime;

/// The most texts one page of [`Cube::sms_replies`] gives.
pub const MAX_REPLIES_PAGE: u32 = 500;

/// How many tries [`Cube::receive_sms`] gives a text that meets a concurrent answer.
pub const RECEIVE_ATTEMPTS: u32 = 4;

/// How many of the latest flows sent to a number a text is matched among (by its sender).
const FLOWS_CONSIDERED: u32 = 20;

impl Cube {
    /// Takes in a text a customer sent: matched, judged, acted on when it should be, and
    /// kept with what it did (see the module doc). A text whose provider message id was
    /// taken in before is answered with that first result and changes nothing.
    ///
    /// Two texts answering one flow at once (a PostgreSQL store runs them side by side) are
    /// decided one after the other: the second's registration meets the first's change of
    /// the enrollment and is refused as a conflict, and the text is taken in again, in a new
    /// unit that sees the first answer (`already_answered`). At most
    /// [`RECEIVE_ATTEMPTS`] tries; the provider retries after that.
    pub async fn receive_sms(&self, inbound: InboundSms) -> AppResult<SmsReply> {
        let mut attempt = 1;
        loop {
            match self.receive_once(inbound.clone()).await {
                Err(AppError::Store(StoreError::Conflict(_))) if attempt < RECEIVE_ATTEMPTS => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One try of [`Cube::receive_sms`], in one unit of work.
    async fn receive_once(&self, inbound: InboundSms) -> AppResult<SmsReply> {
        let now = self.now();
        let mut uow = self.begin().await?;
        if let Some(kept) = uow.sms_reply_by_provider_id(&inbound.provider_id).await? {
            return Ok(kept);
        }
        // A pending sale confirmation to the number is answered first (angrerettloven
        // § 10: the customer's written acceptance); a text it does not take (an unknown
        // word, a late one) still goes to an SMS flow, which may act on it. A text acted on
        // by neither is kept beside the confirmation (pending, else the latest decided one)
        // so the managers see it: a "NEI" after a "JA" matters.
        let recent = uow
            .sale_confirmations_to(&inbound.from, FLOWS_CONSIDERED)
            .await?;
        let pending: Vec<SaleConfirmation> = recent
            .iter()
            .filter(|c| c.status == ConfirmationStatus::Pending)
            .cloned()
            .collect();
        let open = sale_confirmation::confirmation_answered(&pending, inbound.to.as_deref());
        let mut kept = None;
        if let Some(open) = open {
            let fate = self
                .answer_confirmation(uow.as_mut(), open, &inbound.text, now)
                .await?;
            if fate.acted() {
                let reply = SmsReply {
                    id: self.new_id(),
                    inbound,
                    received_at: now,
                    flow: None,
                    confirmation: Some(open.clone()),
                    fate,
                };
                return self.keep_reply(uow, reply).await;
            }
            kept = Some((open.clone(), fate));
        }
        let flows = uow.sms_flows_to(&inbound.from, FLOWS_CONSIDERED).await?;
        let flow = sms::flow_answered(&flows, inbound.to.as_deref()).cloned();
        let (flow, confirmation, fate) = match (flow, kept) {
            (Some(sent), kept) => {
                let fate = self.answer(uow.as_mut(), &sent, &inbound.text, now).await?;
                match kept {
                    Some((confirmation, kept)) if !fate.acted() => (None, Some(confirmation), kept),
                    _ => (Some(sent), None, fate),
                }
            }
            (None, Some((confirmation, kept))) => (None, Some(confirmation), kept),
            (None, None) => {
                match sale_confirmation::confirmation_answered(&recent, inbound.to.as_deref()) {
                    Some(decided) => (None, Some(decided.clone()), ReplyFate::AlreadyAnswered),
                    None => (None, None, ReplyFate::UnknownNumber),
                }
            }
        };
        let reply = SmsReply {
            id: self.new_id(),
            inbound,
            received_at: now,
            flow,
            confirmation,
            fate,
        };
        self.keep_reply(uow, reply).await
    }

    /// Keeps a text with what it did — an unmatched one with the claims of the data owners
    /// that contacted its number before it came — and commits `uow`; the same text kept
    /// meanwhile (posted twice, taken in side by side) is answered with the first result,
    /// and this unit, with anything it registered, is dropped.
    async fn keep_reply(
        &self,
        mut uow: Box<dyn UnitOfWork>,
        reply: SmsReply,
    ) -> AppResult<SmsReply> {
        match uow.save_sms_reply(&reply).await {
            Ok(()) => {
                if reply.is_unmatched() {
                    let owners = uow
                        .data_owners_that_contacted(&reply.inbound.from, reply.received_at)
                        .await?;
                    if !owners.is_empty() {
                        uow.claim_unmatched_sms(reply.id, &owners).await?;
                    }
                }
                uow.commit().await?;
                Ok(reply)
            }
            // The same text, posted again while the first was being taken in: the first
            // committed, this unit (and anything it registered) is dropped.
            Err(StoreError::Duplicate(UniqueRule::SmsProviderId)) => {
                drop(uow);
                let mut read = self.begin_read().await?;
                read.sms_reply_by_provider_id(&reply.inbound.provider_id)
                    .await?
                    .ok_or_else(|| {
                        AppError::Store(StoreError::Conflict("received SMS raced".into()))
                    })
            }
            Err(error) => Err(error.into()),
        }
    }

    /// What a text matched to `sent` does: kept as it is, or the keyword's outcome
    /// registered on the flow's enrollment in `uow`. A registration the domain refuses (the
    /// outcome needs an option or fields, the flow no longer allows it) is kept as refused
    /// with the domain's reason; a store failure fails the whole text (the provider retries).
    async fn answer(
        &self,
        uow: &mut dyn UnitOfWork,
        sent: &SentSmsFlow,
        text: &str,
        now: OffsetDateTime,
    ) -> AppResult<ReplyFate> {
        let Some(assignment) = uow.assignment(sent.assignment).await? else {
            return Ok(ReplyFate::Refused {
                reason: "the assignment no longer exists".into(),
            });
        };
        // The enrollment first, then whether the flow was answered: an answer committed in
        // between is then seen as such (the flow answered), not as the customer moved on.
        let enrollment = uow.enrollment(sent.enrollment).await?;
        let answered = uow.sms_flow_answered(sent.message).await?;
        let step = judge_reply(
            sent,
            assignment.setup().sms_flows.get(&sent.outcome),
            answered,
            enrollment.as_ref().map(|e| e.state()),
            now,
            text,
        );
        let (outcome, enrollment) = match (step, enrollment) {
            (ReplyStep::Keep(fate), _) => return Ok(fate),
            (ReplyStep::Register(outcome), Some(enrollment)) => (outcome, enrollment),
            // `judge_reply` keeps a text for a customer no longer enrolled.
            (ReplyStep::Register(_), None) => {
                return Ok(ReplyFate::Refused {
                    reason: sms::NOT_ENROLLED.into(),
                });
            }
        };
        let registered = self
            .register_in(
                uow,
                &assignment,
                &enrollment,
                Registrar::SmsReply,
                RegisterOutcome::new(outcome),
                None,
                now,
            )
            .await;
        match registered {
            Ok(registered) => Ok(ReplyFate::Registered {
                outcome,
                event: registered.event.id(),
            }),
            Err(AppError::Store(error)) => Err(AppError::Store(error)),
            Err(refused) => Ok(ReplyFate::Refused {
                reason: refused.to_string(),
            }),
        }
    }

    /// Up to `limit` (at most [`MAX_REPLIES_PAGE`]) texts received on the assignment's SMS
    /// flows, in the order received, after the text `after` (`None`: from the first): what
    /// a manager reads to see the answers, the unknown words and the late ones. Texts from
    /// numbers no flow went to belong to no assignment and are not listed here.
    pub async fn sms_replies(
        &self,
        who: impl Into<Acting<'_>>,
        assignment: AssignmentId,
        after: Option<SmsReplyId>,
        limit: u32,
    ) -> AppResult<Vec<SmsReply>> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        self.assignment_for(uow.as_mut(), &user, assignment, Need::Manage, now)
            .await?;
        Ok(uow
            .sms_replies_after(Some(assignment), after, limit.min(MAX_REPLIES_PAGE))
            .await?)
    }
}

impl Cube {
    /// Deletes the texts that answered no SMS flow nor sale confirmation and that no data
    /// owner claims, once they are [`sms::UNMATCHED_TEXT_DAYS`] days old
    /// (`cube_domain::sms`, "A text no flow matched"): nothing personal is kept for ever
    /// without a controller. A system task of the worker; how many it deleted.
    pub async fn forget_unowned_texts(&self) -> AppResult<u64> {
        let before = self.now() - time::Duration::days(sms::UNMATCHED_TEXT_DAYS);
        let mut uow = self.begin().await?;
        let forgotten = uow.forget_unowned_sms(before).await?;
        uow.commit().await?;
        Ok(forgotten)
    }
}

/// An SMS a user sent from the customer card, as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// The outbox message carrying it (delivered by the worker).
    pub message: OutboxMessageId,
    /// The number it goes to.
    pub to: PhoneNumber,
    /// The text, merge fields filled in.
    pub body: String,
    /// Its size as the network counts it.
    pub length: SmsLength,
}

impl Cube {
    /// Sends the customer of `enrollment_id` the assignment's SMS template `template` (merge
    /// fields filled in from the customer), from the assignment's sender, through the outbox:
    /// what a seller does from the customer card while working them (who may open the card
    /// may send: a seller holding or following up the customer, a manager, an admin). A
    /// customer on the do-not-call list, or without a mobile number, is refused.
    pub async fn send_sms(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        template: &str,
    ) -> AppResult<SentSms> {
        self.send_sms_keyed(who, enrollment_id, template, None)
            .await
    }

    /// [`Cube::send_sms`] under the client's `Idempotency-Key`: the same request again with
    /// the key (a double click, a retry) queues nothing more and answers with the first
    /// SMS; the key with another customer or template is refused.
    pub async fn send_sms_keyed(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        template: &str,
        key: Option<&RequestKey>,
    ) -> AppResult<SentSms> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let enrollment_text = enrollment_id.to_string();
        let template_name = template.trim().to_lowercase();
        let keyed = Keyed::new(user.id, key, "sms", &[&enrollment_text, &template_name]);
        if let Some(first) = Keyed::first_answer(keyed.as_ref(), uow.as_mut()).await? {
            return sent_sms(uow.as_mut(), enrollment_id, first).await;
        }
        let (enrollment, assignment) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        my_work::check_card(&user, &enrollment, now)?;
        let communication = &assignment.setup().communication;
        let chosen = communication
            .sms_templates
            .iter()
            .find(|t| t.name.as_str().eq_ignore_ascii_case(template.trim()))
            .ok_or_else(|| WorkError::NoSmsTemplate(excerpt(template)))?;
        let from = communication
            .sms_sender
            .as_ref()
            .ok_or(WorkError::NoSmsSender)?
            .as_str()
            .to_owned();
        let customer = uow
            .customer(enrollment.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        if customer.contact().do_not_call.is_some() {
            return Err(WorkError::OnDoNotCallList.into());
        }
        let to = customer
            .details()
            .phones
            .first()
            .cloned()
            .ok_or(WorkError::NoMobileNumber)?;
        let context = self
            .manual_context(
                uow.as_mut(),
                &user,
                &assignment,
                &customer,
                &chosen.name,
                &chosen.body,
                now,
            )
            .await?;
        let body = sms::render_in(&chosen.body, &customer, &context);
        let message = OutboxMessage {
            id: self.new_id(),
            assignment: assignment.id(),
            enrollment: Some(enrollment.id()),
            payload: OutboxPayload::Sms(SmsMessage {
                from,
                to: to.clone(),
                body: body.clone(),
            }),
            created_at: now,
        };
        uow.enqueue(&message).await?;
        // The key keeps the message's id only: no personal data beside the outbox's own.
        let kept = Keyed::commit(self, keyed, uow, message.id, now).await?;
        if kept != message.id {
            // Another request with the key queued first: its SMS is the answer.
            return sent_sms(self.begin_read().await?.as_mut(), enrollment_id, kept).await;
        }
        Ok(SentSms {
            message: message.id,
            to,
            length: sms::length(&body),
            body,
        })
    }
}

/// The SMS a card request queued earlier, as the outbox keeps it now: what a retry under its
/// `Idempotency-Key` answers. Gone (erased, GDPR) answers as not found.
async fn sent_sms(
    uow: &mut dyn ReadUnit,
    enrollment: EnrollmentId,
    id: OutboxMessageId,
) -> AppResult<SentSms> {
    let stored = uow.messages_of(&[enrollment]).await?;
    match stored.into_iter().find(|m| m.message.id == id) {
        Some(StoredMessage {
            message:
                OutboxMessage {
                    payload: OutboxPayload::Sms(SmsMessage { to, body, .. }),
                    ..
                },
            ..
        }) => Ok(SentSms {
            message: id,
            to,
            length: sms::length(&body),
            body,
        }),
        _ => Err(AppError::NotFound("message")),
    }
}
