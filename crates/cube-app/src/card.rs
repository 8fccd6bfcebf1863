//! The customer card (seed 000 item 7: "all CRM fields are available in Customer details and
//! when editing the customer card"): a seller holding a customer, or whose personal
//! follow-up it is, reads every field of it and edits it under the same validation as a
//! manager's edit; the assignment's customer view decides only what is shown while
//! working. Every edit of a card, by anyone, is recorded (who, when, which fields) and
//! shown in the customer's history. Managers also read a customer's whole history across
//! the data owner's assignments (outcomes, card changes and calls).

use crate::customers::{CustomerInput, check_unique, listed_entry, parse_customer};
use crate::setup::{managed_owner, not_found_as};
use crate::{Acting, AppError, AppResult, Cube, acting};
use cube_domain::access::User;
use cube_domain::customer::{Customer, CustomerChange};
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{CustomerId, EnrollmentId};
use cube_domain::my_work;
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{ReadUnit, UnitOfWork};
use cube_domain::privacy::ErasureError;
use cube_domain::values::PhoneNumber;
use time::OffsetDateTime;

/// A customer's card with the changes recorded on it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The customer, every field.
    pub customer: Customer,
    /// Who changed which fields, when.
    pub changes: Vec<CustomerChange>,
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
        let customer = self
            .card_to_open(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        let changes = uow.customer_changes(customer.id()).await?;
        Ok(Card { customer, changes })
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
        let mut customer = self
            .card_to_open(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        let owner = uow
            .data_owner(customer.data_owner())
            .await?
            .ok_or(AppError::NotFound("data owner"))?;
        edit_card(uow.as_mut(), &user, &owner, &mut customer, &input, now).await?;
        let changes = uow.customer_changes(customer.id()).await?;
        uow.commit().await?;
        Ok(Card { customer, changes })
    }

    /// The customer of enrollment `enrollment_id`, if `user` may open its card at `now`
    /// (`my_work::check_card`, in an assignment they may work).
    async fn card_to_open(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        enrollment_id: EnrollmentId,
        now: OffsetDateTime,
    ) -> AppResult<Customer> {
        let (enrollment, _) = self
            .enrollment_to_work(uow, user, enrollment_id, now)
            .await?;
        my_work::check_card(user, &enrollment, now)?;
        uow.customer(enrollment.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))
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
