//! The contact policy as the use cases apply it (issue 18): the gate "next customer" and
//! the queue's explanation pass every customer through (`cube_domain::contact_policy`), the
//! data owner's do-not-call list and register exemptions kept on its customers, the wash of
//! its consumers against the reservation register, and its rules.
//!
//! A data owner's rules and last wash are needed on every seller's "next". They change
//! rarely (an admin sets the rules once, a wash runs monthly), and reading the data owner
//! on every call would cost each call a round trip, so a process keeps them for
//! [`STANDING_TTL`], as it keeps the zones: a change made through this process is seen at
//! once, one made through another process within that time. The month a wash counts for is
//! decided on every call from the kept wash and the clock, so a month turning over is seen
//! at once.

use crate::setup::{managed_owner, not_found_as};
use crate::{Acting, AppError, AppResult, Cube, acting};
use cube_domain::contact_policy::ContactPolicy;
use cube_domain::contact_policy::standing::{
    Barred, ContactFacts, ContactGate, ContactRules, DoNotCall, Exemption, RegisterCheck, Wash,
};
use cube_domain::customer::{Change, Customer, CustomerChange};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::ids::{CustomerId, DataOwnerId};
use cube_domain::ports::{ReadUnit, ReservationRegister};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long a process trusts a data owner's rules and last wash it read.
pub const STANDING_TTL: Duration = Duration::from_secs(60);

/// How many customers a wash checks and writes per unit of work.
const WASH_PAGE: u32 = 500;

/// The data owners whose wash runs in this process (one at a time each). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Washing {
    running: Arc<Mutex<std::collections::HashSet<DataOwnerId>>>,
}

/// A wash's claim on its data owner, let go when dropped (also if the wash fails).
struct WashClaim {
    washing: Washing,
    owner: DataOwnerId,
}

impl Washing {
    fn claim(&self, owner: DataOwnerId) -> AppResult<WashClaim> {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        if !running.insert(owner) {
            return Err(AppError::WashRunning);
        }
        Ok(WashClaim {
            washing: self.clone(),
            owner,
        })
    }
}

impl Drop for WashClaim {
    fn drop(&mut self) {
        self.washing
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.owner);
    }
}

/// The data owners' rules and last washes read so far, with when. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnerStandings {
    read: Arc<Mutex<HashMap<DataOwnerId, OwnerStanding>>>,
}

type OwnerStanding = (ContactRules, Option<Wash>, Instant);

impl OwnerStandings {
    /// The data owner's rules and last wash, from the cache while fresh, else from `uow` (a
    /// data owner that cannot be found is held to the law: both rules on, never washed).
    async fn of(
        &self,
        uow: &mut dyn ReadUnit,
        owner: DataOwnerId,
    ) -> AppResult<(ContactRules, Option<Wash>)> {
        if let Some((rules, wash, at)) = self.lock().get(&owner)
            && at.elapsed() < STANDING_TTL
        {
            return Ok((*rules, *wash));
        }
        let (rules, wash) = match uow.data_owner(owner).await? {
            Some(found) => (found.contact_rules(), found.last_wash().copied()),
            None => (ContactRules::default(), None),
        };
        self.lock().insert(owner, (rules, wash, Instant::now()));
        Ok((rules, wash))
    }

    /// Keeps what `owner` now says (after this process changed it).
    fn remember(&self, owner: &DataOwner) {
        self.lock().insert(
            owner.id(),
            (
                owner.contact_rules(),
                owner.last_wash().copied(),
                Instant::now(),
            ),
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DataOwnerId, OwnerStanding>> {
        // Every write is one insert: a poisoned map is still whole.
        self.read.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A data owner's contact policy as it stands ([`Cube::contact_policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactPolicyView {
    /// What its consumers are held to.
    pub rules: ContactRules,
    /// Its last wash against the reservation register.
    pub last_wash: Option<Wash>,
    /// Why no consumer may be called now (outside the call windows, or not washed this
    /// month); `None` when they may.
    pub consumers_now: Option<Barred>,
}

impl Cube {
    /// The contact gate of `assignment`'s customers for `user` at `now`: Norway's call
    /// windows in the organisation's time zone, the data owner's rules and last wash.
    pub(crate) async fn gate_for(
        &self,
        uow: &mut dyn ReadUnit,
        user: &cube_domain::access::User,
        assignment: &cube_domain::assignment::Assignment,
        now: OffsetDateTime,
    ) -> AppResult<ContactGate> {
        let zone = self.zones.of(uow, user.organisation).await?;
        let (rules, wash) = self.standings.of(uow, assignment.data_owner()).await?;
        Ok(ContactGate::of(
            &ContactPolicy::norway(),
            rules,
            wash.as_ref(),
            now,
            &zone,
        ))
    }

    /// A data owner's rules (cached for [`STANDING_TTL`]).
    pub(crate) async fn contact_rules_of(
        &self,
        uow: &mut dyn ReadUnit,
        owner: DataOwnerId,
    ) -> AppResult<ContactRules> {
        Ok(self.standings.of(uow, owner).await?.0)
    }

    /// What the gate decides `customer` on: their standing and, under a daily cap, the
    /// outcomes registered by a person on them today in any assignment (read from the log:
    /// taking one customer by hand, or explaining one, is rare beside "next").
    pub(crate) async fn contact_facts(
        &self,
        uow: &mut dyn ReadUnit,
        customer: &Customer,
        gate: &ContactGate,
    ) -> AppResult<ContactFacts> {
        let facts = customer.contact_facts();
        let Some(cap) = gate.daily_cap else {
            return Ok(facts);
        };
        let mut calls = 0_u32;
        for enrollment in uow.enrollments_of_customer(customer.id()).await? {
            let today = uow
                .events_of(enrollment.id())
                .await?
                .iter()
                .filter(|e| cap.counts(e))
                .count();
            calls = calls.saturating_add(u32::try_from(today).unwrap_or(u32::MAX));
        }
        Ok(facts.called(calls))
    }

    /// Puts a customer on their data owner's do-not-call list (`Some(reason)`: a non-empty
    /// line), or takes them off (`None`). For managers and admins of the data owner;
    /// recorded in the customer's changes with the reason. From then on "next customer" never
    /// hands them out, in any assignment of the data owner. A customer already on the list
    /// keeps their first entry (when and why).
    pub async fn set_do_not_call(
        &self,
        who: impl Into<Acting<'_>>,
        id: CustomerId,
        reason: Option<&str>,
    ) -> AppResult<Customer> {
        let now = self.now();
        let entry = |user| {
            reason
                .map(|r| DoNotCall::new(now, Some(user), r))
                .transpose()
        };
        self.change_standing(who, id, |customer, user| {
            let entry = entry(user)?;
            if entry.is_some() && customer.contact().do_not_call.is_some() {
                return Ok(None);
            }
            let change = Change::DoNotCall {
                reason: entry.as_ref().map(|e| e.reason.clone()),
            };
            customer.set_do_not_call(entry);
            Ok(Some(change))
        })
        .await
    }

    /// Records why a consumer reserved in the register may still be called (an existing
    /// customer relationship, or their own request — neither in the future), or (`None`)
    /// removes it. For managers and admins of the data owner; recorded in the customer's
    /// changes.
    pub async fn set_register_exemption(
        &self,
        who: impl Into<Acting<'_>>,
        id: CustomerId,
        exemption: Option<Exemption>,
    ) -> AppResult<Customer> {
        let now = self.now();
        let exemption = exemption.map(|e| e.checked(now)).transpose()?;
        self.change_standing(who, id, move |customer, _| {
            let recorded = exemption.is_some();
            customer.set_exemption(exemption.clone());
            Ok(Some(Change::RegisterExemption { recorded }))
        })
        .await
    }

    /// One change of a customer's standing, by a manager of its data owner: `change` edits
    /// the customer and says what to record in its changes (`None`: nothing to do).
    async fn change_standing(
        &self,
        who: impl Into<Acting<'_>>,
        id: CustomerId,
        change: impl FnOnce(&mut Customer, cube_domain::ids::UserId) -> AppResult<Option<Change>>,
    ) -> AppResult<Customer> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut customer = uow
            .customer(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
        managed_owner(uow.as_mut(), &user, customer.data_owner(), today)
            .await
            .map_err(|e| not_found_as(e, "customer"))?;
        let before = customer.contact().clone();
        let what = change(&mut customer, user.id)?;
        if let Some(what) = what
            && *customer.contact() != before
        {
            uow.save_customer(&customer).await?;
            uow.record_customer_change(&CustomerChange {
                customer: id,
                user: user.id,
                at: now,
                what,
            })
            .await?;
        }
        uow.commit().await?;
        Ok(customer)
    }

    /// A data owner's contact policy as it stands: its rules, its last wash, and why its
    /// consumers may not be called now, if so. For managers and admins of the data owner.
    pub async fn contact_policy(
        &self,
        who: impl Into<Acting<'_>>,
        owner: DataOwnerId,
    ) -> AppResult<ContactPolicyView> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let zone = self.zones.of(uow.as_mut(), user.organisation).await?;
        let found = managed_owner(uow.as_mut(), &user, owner, zone.date_of(now)).await?;
        let gate = ContactGate::of(
            &ContactPolicy::norway(),
            found.contact_rules(),
            found.last_wash(),
            now,
            &zone,
        );
        Ok(ContactPolicyView {
            rules: found.contact_rules(),
            last_wash: found.last_wash().copied(),
            consumers_now: gate.consumers,
        })
    }

    /// Sets what a data owner's consumers are held to. For managers and admins of the data
    /// owner.
    pub async fn set_contact_rules(
        &self,
        who: impl Into<Acting<'_>>,
        owner: DataOwnerId,
        rules: ContactRules,
    ) -> AppResult<DataOwner> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
        let mut owner = managed_owner(uow.as_mut(), &user, owner, today).await?;
        owner.set_contact_rules(rules.checked()?);
        uow.save_data_owner(&owner).await?;
        uow.commit().await?;
        self.standings.remember(&owner);
        Ok(owner)
    }

    /// Washes a data owner's consumers against the reservation register: every B2C
    /// customer's numbers are looked up, and the check (today, reserved or not) recorded on
    /// the customer; then the wash is recorded on the data owner, and from then on its
    /// consumers may be called this month (those reserved only with an exemption). For
    /// managers and admins of the data owner.
    ///
    /// It writes 500 customers per unit of work, each page re-read in its unit (a
    /// card edited meanwhile is not overwritten). If it stops half-way, the customers
    /// checked so far keep their check and the data owner's last wash is unchanged: calling
    /// its consumers stays blocked until a wash runs to the end. One wash of a data owner at a
    /// time in this process: a second is refused (`WashRunning`) while the first runs.
    pub async fn wash(
        &self,
        who: impl Into<Acting<'_>>,
        owner: DataOwnerId,
        register: &dyn ReservationRegister,
    ) -> AppResult<Wash> {
        let now = self.now();
        let (user, today) = {
            let mut uow = self.begin_read().await?;
            let user = acting(uow.as_mut(), who.into()).await?;
            let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
            managed_owner(uow.as_mut(), &user, owner, today).await?;
            (user, today)
        };
        let _claim = self.washing.claim(owner)?;
        let mut wash = Wash {
            at: now,
            by: user.id,
            register_numbers: register.numbers(),
            checked: 0,
            reserved: 0,
            exempted: 0,
        };
        let mut after = None;
        loop {
            let page = {
                let mut uow = self.begin_read().await?;
                uow.customers_after(owner, after, WASH_PAGE).await?
            };
            let Some(last) = page.last() else { break };
            after = Some(last.id());
            let ids: Vec<CustomerId> = page
                .iter()
                .filter(|c| c.dataset() == Dataset::B2c)
                .map(Customer::id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let mut uow = self.begin().await?;
            for mut customer in uow.customers_by_id(&ids).await? {
                if customer.dataset() != Dataset::B2c {
                    continue;
                }
                let reserved = customer
                    .details()
                    .phones
                    .iter()
                    .any(|phone| register.is_reserved(phone));
                customer.set_register_check(RegisterCheck {
                    checked_on: today,
                    reserved,
                });
                wash.checked += 1;
                if reserved {
                    wash.reserved += 1;
                    if customer.contact().exemption.is_some() {
                        wash.exempted += 1;
                    }
                }
                uow.save_customer(&customer).await?;
            }
            uow.commit().await?;
        }
        let mut uow = self.begin().await?;
        let mut found = uow
            .data_owner(owner)
            .await?
            .ok_or(AppError::NotFound("data owner"))?;
        found.record_wash(wash);
        uow.save_data_owner(&found).await?;
        uow.commit().await?;
        self.standings.remember(&found);
        Ok(wash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_wash_of_a_data_owner_at_a_time_and_the_claim_is_let_go_when_dropped() {
        let washing = Washing::default();
        let owner = DataOwnerId::from_uuid(uuid::Uuid::from_u128(1));
        let other = DataOwnerId::from_uuid(uuid::Uuid::from_u128(2));
        let first = washing.claim(owner).expect("free");
        assert!(matches!(washing.claim(owner), Err(AppError::WashRunning)));
        let _beside = washing
            .claim(other)
            .expect("another data owner washes beside it");
        drop(first);
        washing.claim(owner).expect("free again");
    }
}
