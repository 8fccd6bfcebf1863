//! Written confirmation of phone sales (angrerettloven § 10, issue 17; the rules are
//! `cube_domain::sale_confirmation`'s): the use-case side.
//!
//! - A Sale registered on a B2C customer of an assignment that requires confirmation
//!   enqueues the written offer (SMS or e-mail) and records a pending [`SaleConfirmation`],
//!   in the registration's unit (`Cube::register_in` calls `Cube::queue_sale_confirmation`).
//!   A customer without a mobile number (by e-mail: an address) gets the offer enqueued
//!   already failed, as every message without a recipient, and the confirmation recorded
//!   `Failed`: never confirmed silently.
//! - An offer by e-mail carries two links to the server's public answer page
//!   (`{public_url}/confirm/{token}`): [`Cube::offer_by_token`] shows it,
//!   [`Cube::answer_offer`] decides it — through the same path as a text's "JA" / "NEI".
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
    EmailMessage, NO_EMAIL_ADDRESS, NO_MOBILE_NUMBER, OutboxMessage, OutboxPayload, ReadUnit,
    SmsMessage, StoreError, UnitOfWork,
};
use cube_domain::sale_confirmation::{
    self as rules, AnswerLinks, AnswerToken, ConfirmationChannel, ConfirmationStatus,
    ConfirmationStep, OfferLine, PricedOffer, SaleConfirmation,
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

/// Why an offer by e-mail went unsent though the customer has an address: the server was
/// started without its public address since the setup was saved.
pub const NO_PUBLIC_URL: &str =
    "the server has no public address for the offer's answer links: set CUBE_PUBLIC_URL";

/// How many times [`Cube::answer_offer`] tries when its unit meets another's change.
const ANSWER_ATTEMPTS: u32 = 3;

/// What the public answer page of an offer by e-mail shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferPage {
    /// The confirmation, as it stands now.
    pub confirmation: SaleConfirmation,
    /// The lines and the total as the offer showed them.
    pub offer: PricedOffer,
    /// The terms link the offer gave.
    pub terms_url: Option<String>,
    /// The deadline as the customer reads it (`30.11.2026 10:00`, the organisation's time).
    pub deadline: String,
    /// Whether an answer is still taken: pending, and the deadline not passed.
    pub open: bool,
}

/// What an answer on the page did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferAnswered {
    /// It decided the offer: confirmed, or refused (the refusal outcome registered when the
    /// customer was still where the sale left them).
    Decided(OfferPage),
    /// The offer was no longer open (decided before, or its deadline passed): nothing changed.
    NotOpen(OfferPage),
}

impl Cube {
    /// The answer page of the offer whose links carry `token`: `NotFound` for a token no
    /// offer has (or not shaped as one). No login: the token is the customer's key, and only
    /// its hash is stored.
    pub async fn offer_by_token(&self, token: &str) -> AppResult<OfferPage> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let confirmation = by_token(uow.as_mut(), token).await?;
        self.offer_page(uow.as_mut(), confirmation, now).await
    }

    /// The customer's answer on the page (`accept`: "Jeg godtar", else "Nei takk"), decided
    /// as a text's "JA" / "NEI" is ([`rules::judge_answer`], then the same conditional update
    /// and refusal outcome, registered as the system). An offer no longer open changes
    /// nothing: two answers (a double click, two tabs) decide it once.
    pub async fn answer_offer(&self, token: &str, accept: bool) -> AppResult<OfferAnswered> {
        let mut attempt = 1;
        loop {
            match self.answer_offer_once(token, accept).await {
                Err(AppError::Store(StoreError::Conflict(_))) if attempt < ANSWER_ATTEMPTS => {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn answer_offer_once(&self, token: &str, accept: bool) -> AppResult<OfferAnswered> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let confirmation = by_token(uow.as_mut(), token).await?;
        let step = rules::judge_answer(&confirmation, now, accept);
        if let ConfirmationStep::Keep(_) = step {
            let page = self.offer_page(uow.as_mut(), confirmation, now).await?;
            return Ok(OfferAnswered::NotOpen(page));
        }
        self.decide_confirmation(uow.as_mut(), &confirmation, step, now)
            .await?;
        let decided = uow
            .sale_confirmation(confirmation.id)
            .await?
            .ok_or(AppError::NotFound("offer"))?;
        let page = self.offer_page(uow.as_mut(), decided, now).await?;
        uow.commit().await?;
        Ok(OfferAnswered::Decided(page))
    }

    /// The page of `confirmation` at `now`: its lines with the products' names, the deadline
    /// in the organisation's time.
    async fn offer_page(
        &self,
        uow: &mut dyn ReadUnit,
        confirmation: SaleConfirmation,
        now: OffsetDateTime,
    ) -> AppResult<OfferPage> {
        let mut names = Vec::with_capacity(confirmation.lines.len());
        for line in &confirmation.lines {
            names.push(match uow.product(line.product).await? {
                Some(product) => product.name().to_string(),
                None => line.product.to_string(),
            });
        }
        let lines: Vec<OfferLine<'_>> = names
            .iter()
            .zip(&confirmation.lines)
            .map(|(name, line)| OfferLine { name, line })
            .collect();
        let offer = rules::priced(&lines).ok_or(cube_domain::reports::SumOverflow("value"))?;
        let deadline = match uow.assignment(confirmation.assignment).await? {
            Some(assignment) => {
                let zone = self.zones.of(uow, assignment.organisation()).await?;
                local_time(confirmation.deadline, &zone)
            }
            None => local_time(confirmation.deadline, &Default::default()),
        };
        let open =
            confirmation.status == ConfirmationStatus::Pending && now <= confirmation.deadline;
        Ok(OfferPage {
            terms_url: confirmation.terms_url.clone(),
            confirmation,
            offer,
            deadline,
            open,
        })
    }

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
        let sms_sender = match required.channel {
            ConfirmationChannel::Sms => match &setup.communication.sms_sender {
                Some(sender) => Some(sender.as_str().to_owned()),
                // The setup's check refuses this; a setup stored before it sends nothing.
                None => return Ok(()),
            },
            ConfirmationChannel::Email if setup.communication.mail_from.is_none() => {
                return Ok(());
            }
            ConfirmationChannel::Email => None,
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
        let Some(from) = sms_sender else {
            return self
                .queue_offer_email(uow, assignment, event, &customer, &lines, now)
                .await;
        };
        let body = rules::render_offer(required, &customer, &lines)
            .ok_or(cube_domain::reports::SumOverflow("value"))?;
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
            channel: ConfirmationChannel::Sms,
            token_hash: None,
            terms_url: None,
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

    /// The offer of a sale by e-mail (the setup's channel), in the registration's unit: the
    /// subject and HTML body with the products as a table and the two answer links, sent
    /// from `mail_from` through the assignment's mail account; the confirmation recorded
    /// pending with the links' token's hash. No address: enqueued failed, recorded failed.
    async fn queue_offer_email(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        event: &OutcomeEvent,
        customer: &cube_domain::customer::Customer,
        lines: &[OfferLine<'_>],
        now: OffsetDateTime,
    ) -> AppResult<()> {
        let setup = assignment.setup();
        let (Some(required), Some(from)) =
            (&setup.sale_confirmation, &setup.communication.mail_from)
        else {
            return Ok(());
        };
        let deadline = now.saturating_add(required.window);
        let zone = self.zones.of(uow, assignment.organisation()).await?;
        let token = new_answer_token()?;
        let public_url = self.public_url.as_deref();
        let links = AnswerLinks::new(public_url.unwrap_or_default(), &token);
        let offer = rules::render_offer_email(
            required,
            customer,
            lines,
            &links,
            &local_time(deadline, &zone),
        )
        .ok_or(cube_domain::reports::SumOverflow("value"))?;
        let to = customer.details().email.clone();
        let failure = match (&to, public_url) {
            (None, _) => Some(NO_EMAIL_ADDRESS),
            (Some(_), None) => Some(NO_PUBLIC_URL),
            (Some(_), Some(_)) => None,
        };
        let payload = match (&to, failure) {
            (Some(to), None) => OutboxPayload::Email(EmailMessage {
                from: from.clone(),
                to: to.clone(),
                subject: offer.subject,
                html: offer.html,
                account: setup.communication.mail_account.clone(),
            }),
            _ => OutboxPayload::UnaddressedEmail {
                from: from.clone(),
                subject: offer.subject,
            },
        };
        let message = OutboxMessage {
            id: self.new_id(),
            assignment: assignment.id(),
            enrollment: Some(event.enrollment()),
            payload,
            created_at: now,
        };
        uow.enqueue(&message).await?;
        if let Some(reason) = failure {
            uow.mark_failed(message.id, reason).await?;
        }
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
            channel: ConfirmationChannel::Email,
            token_hash: failure.is_none().then(|| token.hash()),
            terms_url: Some(required.terms_url.trim().to_owned()),
            to: None,
            sender: from.to_string(),
            sent_at: now,
            deadline,
            accept: required.accept.clone(),
            refuse: required.refuse.clone(),
            on_refusal: required.on_refusal,
            on_no_reply: required.on_no_reply,
            status: if failure.is_none() {
                ConfirmationStatus::Pending
            } else {
                ConfirmationStatus::Failed
            },
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
        let step = rules::judge_reply(confirmation, now, text);
        self.decide_confirmation(uow, confirmation, step, now).await
    }

    /// Carries out `step` on the pending `confirmation`, in `uow`: the one path a text's
    /// keyword and an answer on the page take. Confirmed, or refused with the refusal
    /// outcome registered as the system, by the conditional update — a confirmation decided
    /// meanwhile by another unit is a `Conflict` (the caller tries again, and then finds it
    /// decided); `Keep` changes nothing.
    async fn decide_confirmation(
        &self,
        uow: &mut dyn UnitOfWork,
        confirmation: &SaleConfirmation,
        step: ConfirmationStep,
        now: OffsetDateTime,
    ) -> AppResult<ReplyFate> {
        let decided = match step {
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
        // does not move them away from it. (By SMS found by the number; by e-mail among the
        // assignment's sales since this one.)
        let later_of = |found: Vec<SaleConfirmation>| {
            found.into_iter().any(|c| {
                c.enrollment == confirmation.enrollment && c.sent_at > confirmation.sent_at
            })
        };
        let later = match &confirmation.to {
            Some(to) => later_of(uow.sale_confirmations_to(to, 20).await?),
            None => later_of(
                uow.sale_confirmations_sold_between(
                    &[confirmation.assignment],
                    confirmation.sold_at,
                    now.saturating_add(time::Duration::SECOND),
                )
                .await?,
            ),
        };
        if later {
            return Ok((
                None,
                Some("a later sale to the customer awaits its own confirmation".into()),
            ));
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

/// The confirmation whose links carry `token`; `NotFound("offer")` for any other text.
async fn by_token(uow: &mut dyn ReadUnit, token: &str) -> AppResult<SaleConfirmation> {
    if !rules::is_token_shaped(token) {
        return Err(AppError::NotFound("offer"));
    }
    uow.sale_confirmation_by_token(&rules::token_hash(token))
        .await?
        .ok_or(AppError::NotFound("offer"))
}

/// A new answer token: 32 bytes from the operating system's random source.
fn new_answer_token() -> AppResult<AnswerToken> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        AppError::Store(StoreError::Unavailable(format!(
            "the random source failed: {e}"
        )))
    })?;
    Ok(AnswerToken::from_bytes(&bytes))
}

/// `at` as a Norwegian reads it in `zone`: `30.11.2026 10:00`.
fn local_time(at: OffsetDateTime, zone: &cube_domain::time_zone::TimeZone) -> String {
    let local = at.to_offset(zone.offset_at(at));
    format!(
        "{:02}.{:02}.{} {:02}:{:02}",
        local.day(),
        u8::from(local.month()),
        local.year(),
        local.hour(),
        local.minute()
    )
}
