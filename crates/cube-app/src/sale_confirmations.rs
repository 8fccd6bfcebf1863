//! Written confirmation of phone sales (angrerettloven § 10, issue 17; the rules are
//! `cube_domain::sale_confirmation`'s): the use-case side.
//!
//! - A Sale registered on a B2C customer of an assignment that requires confirmation
//!   enqueues the written offer (SMS) and records a pending [`SaleConfirmation`], in the
//!   registration's unit (`Cube::register_in` calls `Cube::queue_sale_confirmation`). A
//!   customer without a mobile number gets the offer enqueued already failed, as every SMS
//!   without a number, and the confirmation recorded `Failed`: never confirmed silently.
//! - A text from the number while it is pending answers it ([`Cube::receive_sms`] asks
//!   `Cube::answer_confirmation` before the SMS flows): the acceptance keyword confirms; a
//!   refusal refuses and registers the setup's refusal outcome as the system; anything else
//!   is kept and listed.
//! - [`Cube::expire_sale_confirmations`], run by the server's worker, expires the pending
//!   ones past their deadline and registers the no-reply outcome. Each is decided by a
//!   conditional update (`decide_sale_confirmation`: only while pending) in the unit that
//!   registers the outcome, so two processes sweeping at once, or a reply meeting the sweep,
//!   decide it once.

use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::assignment::Assignment;
use cube_domain::data_owner::Dataset;
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, OutcomeEventId, OutcomeId, SaleConfirmationId};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, RegisterOutcome, Registrar};
use cube_domain::ports::{
    NO_MOBILE_NUMBER, OutboxMessage, OutboxPayload, SmsMessage, StoreError, UnitOfWork,
};
use cube_domain::sale_confirmation::{
    self as rules, ConfirmationStatus, ConfirmationStep, OfferLine, SaleConfirmation,
};
use cube_domain::sms::ReplyFate;
use time::OffsetDateTime;

/// The most confirmations one page of [`Cube::sale_confirmations`] gives.
pub const MAX_CONFIRMATIONS_PAGE: u32 = 500;

/// How many due confirmations one round of [`Cube::expire_sale_confirmations`] decides.
pub const EXPIRY_BATCH: u32 = 100;

/// What one expiry round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpiryRound {
    /// Confirmations this round marked expired.
    pub expired: u32,
    /// Of those, how many had the no-reply outcome registered (the rest: the customer was
    /// moved on since the sale, or the outcome was refused there).
    pub registered: u32,
    /// Due ones another process decided first (or a reply did).
    pub skipped: u32,
}

impl Cube {
    /// Sends the written offer of a sale and records its pending confirmation, when the
    /// assignment requires it and `event` is a sale to a consumer: a progress outcome landing
    /// in a Yes state with product lines, on a B2C customer. In the registration's unit.
    pub(crate) async fn queue_sale_confirmation(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        event: &OutcomeEvent,
        now: OffsetDateTime,
    ) -> AppResult<()> {
        let setup = assignment.setup();
        let Some(required) = &setup.sale_confirmation else {
            return Ok(());
        };
        if event.class() != OutcomeClass::Progress
            || event.to_category() != StateCategory::Yes
            || event.products().is_empty()
        {
            return Ok(());
        }
        let Some(sender) = &setup.communication.sms_sender else {
            // The setup's check refuses this; a setup stored before it sends nothing.
            return Ok(());
        };
        let customer = uow
            .customer(event.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        if customer.dataset() != Dataset::B2c {
            return Ok(());
        }
        let mut names = Vec::with_capacity(event.products().len());
        for line in event.products() {
            let name = match uow.product(line.product).await? {
                Some(product) => product.name().to_string(),
                None => line.product.to_string(),
            };
            names.push(name);
        }
        let lines: Vec<OfferLine<'_>> = names
            .iter()
            .zip(event.products())
            .map(|(name, line)| OfferLine { name, line })
            .collect();
        let body = rules::render_offer(required, &customer, &lines)
            .ok_or(cube_domain::reports::SumOverflow("value"))?;
        let from = sender.as_str().to_owned();
        let to = customer.details().phones.first().cloned();
        let message = OutboxMessage {
            id: self.new_id(),
            assignment: assignment.id(),
            enrollment: Some(event.enrollment()),
            payload: match &to {
                Some(to) => OutboxPayload::Sms(SmsMessage {
                    from: from.clone(),
                    to: to.clone(),
                    body,
                }),
                None => OutboxPayload::UnaddressedSms {
                    from: from.clone(),
                    body,
                },
            },
            created_at: now,
        };
        uow.enqueue(&message).await?;
        if to.is_none() {
            uow.mark_failed(message.id, NO_MOBILE_NUMBER).await?;
        }
        let status = if to.is_some() {
            ConfirmationStatus::Pending
        } else {
            ConfirmationStatus::Failed
        };
        uow.record_sale_confirmation(&SaleConfirmation {
            id: self.new_id(),
            assignment: assignment.id(),
            event: event.id(),
            sold_at: event.occurred_at(),
            enrollment: event.enrollment(),
            customer: event.customer(),
            state: event.to_state(),
            lines: event.products().to_vec(),
            message: message.id,
            to,
            sender: from,
            sent_at: now,
            deadline: now.saturating_add(required.window),
            accept: required.accept.clone(),
            refuse: required.refuse.clone(),
            on_refusal: required.on_refusal,
            on_no_reply: required.on_no_reply,
            status,
            decided_at: None,
        })
        .await?;
        Ok(())
    }

    /// What a text does to the pending `confirmation` it answers, in `uow`: confirmed,
    /// refused (and the refusal outcome registered), or kept. A confirmation decided
    /// meanwhile by another unit is a `Conflict`: `receive_sms` takes the text in again.
    pub(crate) async fn answer_confirmation(
        &self,
        uow: &mut dyn UnitOfWork,
        confirmation: &SaleConfirmation,
        text: &str,
        now: OffsetDateTime,
    ) -> AppResult<ReplyFate> {
        let decided = match rules::judge_reply(confirmation, now, text) {
            ConfirmationStep::Keep(fate) => return Ok(fate),
            ConfirmationStep::Confirm => ConfirmationStatus::Confirmed,
            ConfirmationStep::Refuse(_) => ConfirmationStatus::Refused,
        };
        if !uow
            .decide_sale_confirmation(confirmation.id, decided, now)
            .await?
        {
            return Err(AppError::Store(StoreError::Conflict(
                "the sale confirmation was decided meanwhile".into(),
            )));
        }
        if decided == ConfirmationStatus::Confirmed {
            return Ok(ReplyFate::SaleConfirmed {
                confirmation: confirmation.id,
            });
        }
        let (event, not_registered) = self
            .conclude(uow, confirmation, confirmation.on_refusal, now)
            .await?;
        Ok(ReplyFate::SaleRefused {
            confirmation: confirmation.id,
            event,
            not_registered,
        })
    }

    /// Registers `outcome` as the system on the confirmation's enrollment when the customer
    /// is still where the sale left them: the event, or why not (a store failure fails).
    async fn conclude(
        &self,
        uow: &mut dyn UnitOfWork,
        confirmation: &SaleConfirmation,
        outcome: OutcomeId,
        now: OffsetDateTime,
    ) -> AppResult<(Option<OutcomeEventId>, Option<String>)> {
        let Some(assignment) = uow.assignment(confirmation.assignment).await? else {
            return Ok((None, Some("the assignment no longer exists".into())));
        };
        let Some(enrollment) = uow.enrollment(confirmation.enrollment).await? else {
            return Ok((None, Some(cube_domain::sms::NOT_ENROLLED.into())));
        };
        if enrollment.state() != confirmation.state {
            return Ok((
                None,
                Some("the customer was moved on since the sale".into()),
            ));
        }
        // A later sale to the customer awaits its own answer: this one's refusal or silence
        // does not move them away from it.
        if let Some(to) = &confirmation.to {
            let later = uow
                .sale_confirmations_to(to, 20)
                .await?
                .into_iter()
                .any(|c| {
                    c.enrollment == confirmation.enrollment && c.sent_at > confirmation.sent_at
                });
            if later {
                return Ok((
                    None,
                    Some("a later sale to the customer awaits its own confirmation".into()),
                ));
            }
        }
        let registered = self
            .register_in(
                uow,
                &assignment,
                &enrollment,
                Registrar::SaleConfirmation,
                RegisterOutcome::new(outcome),
                None,
                now,
            )
            .await;
        match registered {
            Ok(registered) => Ok((Some(registered.event.id()), None)),
            Err(AppError::Store(error)) => Err(AppError::Store(error)),
            Err(refused) => Ok((None, Some(refused.to_string()))),
        }
    }

    /// One round of the expiry sweep (the server's worker runs it): up to [`EXPIRY_BATCH`]
    /// pending confirmations past their deadline are marked expired, each in a unit of its
    /// own that also registers the setup's no-reply outcome as the system (when the customer
    /// is still where the sale left them). One another process (or a reply) decided first is
    /// skipped: the conditional update finds it no longer pending. A system task: no acting
    /// user.
    pub async fn expire_sale_confirmations(&self) -> AppResult<ExpiryRound> {
        let now = self.now();
        let due = {
            let mut read = self.begin_read().await?;
            read.due_sale_confirmations(now, EXPIRY_BATCH).await?
        };
        let mut round = ExpiryRound::default();
        for confirmation in due {
            match self.expire_one(&confirmation, now).await {
                Ok(Some(registered)) => {
                    round.expired += 1;
                    round.registered += u32::from(registered);
                }
                Ok(None) | Err(AppError::Store(StoreError::Conflict(_))) => round.skipped += 1,
                Err(error) => return Err(error),
            }
        }
        Ok(round)
    }

    /// Expires one confirmation in a unit of its own: `None` when it was no longer pending;
    /// else whether the no-reply outcome was registered.
    async fn expire_one(
        &self,
        confirmation: &SaleConfirmation,
        now: OffsetDateTime,
    ) -> AppResult<Option<bool>> {
        let mut uow = self.begin().await?;
        if !uow
            .decide_sale_confirmation(confirmation.id, ConfirmationStatus::Expired, now)
            .await?
        {
            return Ok(None);
        }
        let (event, _) = self
            .conclude(uow.as_mut(), confirmation, confirmation.on_no_reply, now)
            .await?;
        uow.commit().await?;
        Ok(Some(event.is_some()))
    }

    /// Up to `limit` (at most [`MAX_CONFIRMATIONS_PAGE`]) of the assignment's sale
    /// confirmations in the order recorded, after `after` (`None`: from the first), each
    /// with its status: what a manager reads to follow the written confirmations.
    pub async fn sale_confirmations(
        &self,
        who: impl Into<Acting<'_>>,
        assignment: AssignmentId,
        after: Option<SaleConfirmationId>,
        limit: u32,
    ) -> AppResult<Vec<SaleConfirmation>> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        self.assignment_for(uow.as_mut(), &user, assignment, Need::Manage, now)
            .await?;
        Ok(uow
            .sale_confirmations_after(Some(assignment), after, limit.min(MAX_CONFIRMATIONS_PAGE))
            .await?)
    }
}
