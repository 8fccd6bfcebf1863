//! The customer card (seed 000 item 7: "all CRM fields are available in Customer details and
//! when editing the customer card"): a seller holding a customer, or whose personal
//! follow-up it is, reads every field of it and edits it under the same validation as a
//! manager's edit; the assignment's customer view decides only what is shown while
//! working. Every edit of a card, by anyone, is recorded (who, when, which fields) and
//! shown in the customer's history. Managers also read a customer's whole history across
//! the data owner's assignments (outcomes, card changes and calls). The card lists the calls
//! to the customer in its assignment (`Cube::start_call` places them). From the card a seller
//! also sends the customer one of the assignment's e-mail templates ([`Cube::send_email`];
//! SMS: `Cube::send_sms`).

use crate::customers::{CustomerInput, check_unique, listed_entry, parse_customer};
use crate::error::WorkError;
use crate::kept_requests::Keyed;
use crate::setup::{managed_owner, not_found_as};
use crate::{Acting, AppError, AppResult, Cube, acting};
use cube_domain::access::User;
use cube_domain::assignment::Assignment;
use cube_domain::call::Call;
use cube_domain::customer::{Customer, CustomerChange};
use cube_domain::data_owner::DataOwner;
use cube_domain::idempotency::RequestKey;
use cube_domain::ids::{CustomerId, EnrollmentId, OutboxMessageId};
use cube_domain::my_work;
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{
    EmailMessage, OutboxMessage, OutboxPayload, ReadUnit, StoredMessage, UnitOfWork,
};
use cube_domain::privacy::ErasureError;
use cube_domain::sms::{self, MergeContext};
use cube_domain::values::{Email, Name, PhoneNumber, excerpt};
use time::OffsetDateTime;

/// A customer's card with the changes recorded on it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The customer, every field.
    pub customer: Customer,
    /// Who changed which fields, when.
    pub changes: Vec<CustomerChange>,
    /// The assignment's SMS templates the card can send (none without an SMS sender).
    pub sms_templates: Vec<Name>,
    /// The assignment's e-mail templates the card can send (none without a sender
    /// address).
    pub email_templates: Vec<Name>,
    /// The calls to the customer in this assignment (this enrollment), oldest first.
    pub calls: Vec<Call>,
}

impl Card {
    fn of(
        customer: Customer,
        changes: Vec<CustomerChange>,
        calls: Vec<Call>,
        assignment: &Assignment,
    ) -> Self {
        let communication = &assignment.setup().communication;
        let names = |templates: &[cube_domain::assignment::setup::Template], usable: bool| {
            if usable {
                templates.iter().map(|t| t.name.clone()).collect()
            } else {
                Vec::new()
            }
        };
        Self {
            customer,
            changes,
            sms_templates: names(
                &communication.sms_templates,
                communication.sms_sender.is_some(),
            ),
            email_templates: names(
                &communication.email_templates,
                communication.mail_from.is_some(),
            ),
            calls,
        }
    }
}

/// A customer's history across the data owner's assignments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerHistory {
    /// The customer, every field.
    pub customer: Customer,
    /// Every outcome registered on them in any assignment, oldest first (the same instant
    /// in each enrollment's append order).
    pub events: Vec<OutcomeEvent>,
    /// The changes of their card, oldest first.
    pub changes: Vec<CustomerChange>,
    /// The calls sellers made to them in any assignment, oldest first.
    pub calls: Vec<cube_domain::call::Call>,
}

/// Applies `input` to `customer` as `user` at `now`: parsed and checked as a new customer
/// would be, unique keys checked, saved, and the change recorded when anything changed.
pub(crate) async fn edit_card(
    uow: &mut dyn UnitOfWork,
    user: &User,
    owner: &DataOwner,
    customer: &mut Customer,
    input: &CustomerInput,
    now: OffsetDateTime,
) -> AppResult<()> {
    if customer.is_erased() {
        return Err(ErasureError::Erased.into());
    }
    let parsed = parse_customer(customer.id(), owner, customer.dataset(), input)?;
    let before = customer.clone();
    customer.update(owner, parsed.details().clone(), parsed.fields().clone())?;
    check_unique(uow, customer).await?;
    // A number new on the card that is on the data owner's do-not-contact list (a person
    // who asked not to be called, then was erased) bars the customer, as it does an import.
    let added: Vec<&PhoneNumber> = customer
        .details()
        .phones
        .iter()
        .filter(|p| !before.details().phones.contains(p))
        .collect();
    if customer.contact().do_not_call.is_none()
        && !added.is_empty()
        && !crate::privacy::listed_numbers(&mut *uow, owner.id(), &added)
            .await?
            .is_empty()
    {
        customer.set_do_not_call(Some(listed_entry(now)?));
    }
    if let Some(change) = CustomerChange::card_edit(&before, customer, user.id, now) {
        uow.save_customer(customer).await?;
        uow.record_customer_change(&change).await?;
    }
    Ok(())
}

impl Cube {
    /// The card of the customer of an enrollment, every field, with its recorded changes: a
    /// seller's for a customer they hold or whose personal follow-up is theirs; managers'
    /// and admins' of the assignment always.
    pub async fn customer_card(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
    ) -> AppResult<Card> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (customer, assignment) = self
            .card_to_open(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        let changes = uow.customer_changes(customer.id()).await?;
        let calls = uow.calls_of(enrollment_id).await?;
        Ok(Card::of(customer, changes, calls, &assignment))
    }

    /// Edits the card of the customer of an enrollment — contact fields and CRM values,
    /// under the same validation as a manager's edit — as a seller who holds the customer
    /// or whose personal follow-up it is, or a manager or admin of the assignment. The
    /// change is recorded in the customer's history. Every field is given, as in the
    /// manager's edit: a field left out is emptied.
    pub async fn edit_customer_card(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        input: CustomerInput,
    ) -> AppResult<Card> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (mut customer, assignment) = self
            .card_to_open(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        let owner = uow
            .data_owner(customer.data_owner())
            .await?
            .ok_or(AppError::NotFound("data owner"))?;
        edit_card(uow.as_mut(), &user, &owner, &mut customer, &input, now).await?;
        let changes = uow.customer_changes(customer.id()).await?;
        let calls = uow.calls_of(enrollment_id).await?;
        uow.commit().await?;
        Ok(Card::of(customer, changes, calls, &assignment))
    }

    /// The customer of enrollment `enrollment_id`, if `user` may open its card at `now`
    /// (`my_work::check_card`, in an assignment they may work).
    async fn card_to_open(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        enrollment_id: EnrollmentId,
        now: OffsetDateTime,
    ) -> AppResult<(Customer, Assignment)> {
        let (enrollment, assignment) = self
            .enrollment_to_work(uow, user, enrollment_id, now)
            .await?;
        my_work::check_card(user, &enrollment, now)?;
        let customer = uow
            .customer(enrollment.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        Ok((customer, assignment))
    }

    /// A customer's whole history across the data owner's assignments (seed 000 item 5),
    /// for admins and the managers of the data owner: every outcome in every assignment
    /// the customer is in, and every change of the card.
    pub async fn customer_history_across(
        &self,
        who: impl Into<Acting<'_>>,
        customer_id: CustomerId,
    ) -> AppResult<CustomerHistory> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let customer = uow
            .customer(customer_id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
        managed_owner(uow.as_mut(), &user, customer.data_owner(), today)
            .await
            .map_err(|e| not_found_as(e, "customer"))?;
        let mut events = Vec::new();
        let mut calls = Vec::new();
        for enrollment in uow.enrollments_of_customer(customer_id).await? {
            events.extend(uow.events_of(enrollment.id()).await?);
            calls.extend(uow.calls_of(enrollment.id()).await?);
        }
        calls.sort_by_key(|c| (c.started_at, c.id));
        // Stable: each enrollment's events keep their append order at one instant.
        events.sort_by_key(OutcomeEvent::occurred_at);
        let changes = uow.customer_changes(customer_id).await?;
        Ok(CustomerHistory {
            customer,
            events,
            changes,
            calls,
        })
    }
}

/// An e-mail a user sent from the customer card, as queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    /// The outbox message carrying it (delivered by the worker).
    pub message: OutboxMessageId,
    /// The address it goes to.
    pub to: Email,
    /// The subject, merge fields filled in.
    pub subject: String,
}

impl Cube {
    /// Sends the customer of `enrollment_id` the assignment's e-mail template `template`
    /// (seed 000 item 8: subject and HTML body with the customer's merge fields, escaped in
    /// the HTML), from the assignment's sender address through its mail account, by the
    /// outbox. Who may open the card may send (a seller holding or following up the
    /// customer, a manager, an admin); a customer on the do-not-call list, or without an
    /// e-mail address, is refused.
    pub async fn send_email(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        template: &str,
    ) -> AppResult<SentEmail> {
        self.send_email_keyed(who, enrollment_id, template, None)
            .await
    }

    /// [`Cube::send_email`] under the client's `Idempotency-Key`: the same request again
    /// with the key (a double click, a retry) queues nothing more and answers with the first
    /// e-mail; the key with another customer or template is refused.
    pub async fn send_email_keyed(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        template: &str,
        key: Option<&RequestKey>,
    ) -> AppResult<SentEmail> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let enrollment_text = enrollment_id.to_string();
        let template_name = template.trim().to_lowercase();
        let keyed = Keyed::new(user.id, key, "email", &[&enrollment_text, &template_name]);
        if let Some(first) = Keyed::first_answer(keyed.as_ref(), uow.as_mut()).await? {
            return sent_email(uow.as_mut(), enrollment_id, first).await;
        }
        let (enrollment, assignment) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        my_work::check_card(&user, &enrollment, now)?;
        let communication = &assignment.setup().communication;
        let chosen = communication
            .email_templates
            .iter()
            .find(|t| t.name.as_str().eq_ignore_ascii_case(template.trim()))
            .ok_or_else(|| WorkError::NoEmailTemplate(excerpt(template)))?;
        let from = communication
            .mail_from
            .clone()
            .ok_or(WorkError::NoMailFrom)?;
        let customer = uow
            .customer(enrollment.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        if customer.contact().do_not_call.is_some() {
            return Err(WorkError::EmailToDoNotCall.into());
        }
        let to = customer
            .details()
            .email
            .clone()
            .ok_or(WorkError::NoEmailAddress)?;
        let both = format!("{} {}", chosen.subject, chosen.body);
        let context = self
            .manual_context(
                uow.as_mut(),
                &user,
                &assignment,
                &customer,
                &chosen.name,
                &both,
                now,
            )
            .await?;
        let subject = sms::render_in(&chosen.subject, &customer, &context);
        let message = OutboxMessage {
            id: self.new_id(),
            assignment: assignment.id(),
            enrollment: Some(enrollment.id()),
            payload: OutboxPayload::Email(EmailMessage {
                from,
                to: to.clone(),
                subject: subject.clone(),
                html: sms::render_html_in(&chosen.body, &customer, &context),
                account: communication.mail_account.clone(),
            }),
            created_at: now,
        };
        uow.enqueue(&message).await?;
        // The key keeps the message's id only: no personal data beside the outbox's own.
        let kept = Keyed::commit(self, keyed, uow, message.id, now).await?;
        if kept != message.id {
            // Another request with the key queued first: its e-mail is the answer.
            return sent_email(self.begin_read().await?.as_mut(), enrollment_id, kept).await;
        }
        Ok(SentEmail {
            message: message.id,
            to,
            subject,
        })
    }
}

impl Cube {
    /// The merge fields of a message a user sends by hand from the card: the assignment,
    /// the user as the seller, and — when the template uses them — the customer's next
    /// meeting in this assignment (refused, naming the template, when there is none).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn manual_context(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        assignment: &Assignment,
        customer: &Customer,
        template_name: &Name,
        template: &str,
        now: OffsetDateTime,
    ) -> AppResult<MergeContext> {
        let context = MergeContext::of_assignment(assignment).with_seller(user);
        if !sms::uses_meeting(template) {
            return Ok(context);
        }
        let coming = uow
            .meetings_of_customer(customer.id())
            .await?
            .into_iter()
            .filter(|m| m.assignment == assignment.id() && m.end > now)
            .min_by_key(|m| (m.start, m.id));
        let Some(meeting) = coming else {
            return Err(WorkError::NoMeetingForTemplate(template_name.to_string()).into());
        };
        let zone = self.zones.of(uow, assignment.organisation()).await?;
        Ok(context.with_meeting(&meeting, &zone))
    }
}

/// The e-mail a card request queued earlier, as the outbox keeps it now: what a retry under
/// its `Idempotency-Key` answers. Gone (erased, GDPR) answers as not found.
async fn sent_email(
    uow: &mut dyn ReadUnit,
    enrollment: EnrollmentId,
    id: OutboxMessageId,
) -> AppResult<SentEmail> {
    let stored = uow.messages_of(&[enrollment]).await?;
    match stored.into_iter().find(|m| m.message.id == id) {
        Some(StoredMessage {
            message:
                OutboxMessage {
                    payload: OutboxPayload::Email(EmailMessage { to, subject, .. }),
                    ..
                },
            ..
        }) => Ok(SentEmail {
            message: id,
            to,
            subject,
        }),
        _ => Err(AppError::NotFound("message")),
    }
}
