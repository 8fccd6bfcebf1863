//! Click-to-call (seed 000 item 8, issue 17): a seller starts a call from the customer card
//! ([`Cube::start_call`]), the PBX's status events follow it ([`Cube::record_call_event`]),
//! and the customer's history shows it ([`Cube::calls_of`]). The admin's side: the numbers
//! the organisation may show as caller id ([`Cube::set_caller_ids`]) and each user's phone
//! ([`Cube::set_user_phone`]).
//!
//! Starting a call checks everything in one unit of work — who may call (the card's rule:
//! a seller holding or following up the customer, a manager, an admin), the contact policy
//! (the do-not-call list first), the customer's number, the caller id (the assignment's
//! shared number or the seller's own, and only a registered one) — and records the call in
//! that unit. Only then is the PBX asked, outside any unit (the seller waits for the ring; a
//! transaction is never held open across a PBX's answer), and a second short unit keeps its
//! call id, or the failure. The PBX's events find the call by our id (in the event URL) or
//! by its own, so an event that arrives before its call id is kept still lands.
//!
//! Without a PBX (`Cube::with_telephony` not called: the `tel:` mode), a call is placed by the
//! seller's softphone: [`Cube::start_call`] answers a `tel:` link and records that the
//! seller dialled, with the caller id the softphone should show.

use crate::kept_requests::Keyed;
use crate::{Acting, AppError, AppResult, Cube, acting, user_of_organisation};
use cube_domain::access::{self, Organisation, Permission, User};
use cube_domain::call::{
    self, Call, CallEvent, CallRefused, CallRequest, CallStatus, MAX_CALLER_IDS,
};
use cube_domain::idempotency::RequestKey;
use cube_domain::ids::{CallId, EnrollmentId, UserId};
use cube_domain::my_work;
use cube_domain::ports::{ReadUnit, Telephony};
use cube_domain::values::{PhoneNumber, PhoneRegion};
use std::sync::Arc;

/// A call started: as recorded, and the `tel:` link when a softphone places it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedCall {
    /// The call as kept now.
    pub call: Call,
    /// `tel:+47…` for the seller's softphone to dial (the `tel:` mode); `None` when the PBX
    /// rings the seller.
    pub link: Option<String>,
}

impl Cube {
    /// The same use cases placing calls through `telephony` (a PBX); without it a call is a
    /// `tel:` link for the seller's softphone.
    #[must_use]
    pub fn with_telephony(mut self, telephony: Arc<dyn Telephony>) -> Self {
        self.telephony = Some(telephony);
        self
    }

    /// Calls the customer of `enrollment_id` (see the module doc): the PBX rings the acting
    /// user's phone and bridges to the customer's first number, showing the assignment's
    /// caller id. Refused, with what to set, when the caller may not open the card, the
    /// contact policy forbids calling the customer now (the do-not-call list), the customer
    /// has no number, or no registered caller id can be shown. A PBX that refuses or cannot
    /// be reached fails the call: it is kept as failed, with the reason, and the error
    /// returned.
    pub async fn start_call(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
    ) -> AppResult<StartedCall> {
        self.start_call_keyed(who, enrollment_id, None).await
    }

    /// [`Cube::start_call`] under the client's `Idempotency-Key`: the same request again
    /// with the key (a double click, a retry) rings nobody and answers with the first call
    /// as kept now; the key with another customer is refused.
    pub async fn start_call_keyed(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        key: Option<&RequestKey>,
    ) -> AppResult<StartedCall> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let enrollment_text = enrollment_id.to_string();
        let keyed = Keyed::new(user.id, key, "call", &[&enrollment_text]);
        if let Some(first) = Keyed::first_answer(keyed.as_ref(), uow.as_mut()).await? {
            return started_call(uow.as_mut(), first).await;
        }
        let (enrollment, assignment) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        my_work::check_card(&user, &enrollment, now)?;
        let customer = uow
            .customer(enrollment.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let gate = self.gate_for(uow.as_mut(), &user, &assignment, now).await?;
        let facts = self.contact_facts(uow.as_mut(), &customer, &gate).await?;
        if let Some(barred) = gate.barred(&facts) {
            return Err(AppError::ContactBarred(barred));
        }
        let to = customer
            .details()
            .phones
            .first()
            .cloned()
            .ok_or(CallRefused::NoCustomerNumber)?;
        let organisation = uow
            .organisation(user.organisation)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        let caller_id = call::caller_id_for(
            &assignment.setup().communication.caller_id,
            user.phone.as_ref(),
            &organisation.caller_ids,
        )?;
        let telephony = self.telephony.clone();
        let seller_phone = match &telephony {
            Some(_) => Some(user.phone.clone().ok_or(CallRefused::NoPhoneToRing)?),
            None => None,
        };
        let mut call = Call {
            id: self.new_id(),
            assignment: assignment.id(),
            enrollment: enrollment.id(),
            customer: customer.id(),
            seller: user.id,
            caller_id,
            to: Some(to.clone()),
            provider_id: None,
            status: CallStatus::Initiated,
            started_at: now,
            answered_at: None,
            ended_at: None,
            duration: None,
            failure: None,
        };
        let (Some(telephony), Some(seller_phone)) = (telephony, seller_phone) else {
            // A softphone dials it: nothing to wait for, nothing will be heard of it.
            call.status = CallStatus::Dialled;
            uow.save_call(&call).await?;
            let kept = Keyed::commit(self, keyed, uow, call.id, now).await?;
            if kept != call.id {
                // Another request with the key dialled first.
                return started_call(self.begin_read().await?.as_mut(), kept).await;
            }
            let link = call::tel_link(&to);
            return Ok(StartedCall {
                call,
                link: Some(link),
            });
        };
        uow.save_call(&call).await?;
        let kept = Keyed::commit(self, keyed, uow, call.id, now).await?;
        if kept != call.id {
            // Another request with the key asked the PBX first: ring once.
            return started_call(self.begin_read().await?.as_mut(), kept).await;
        }

        let request = CallRequest {
            call: call.id,
            seller: user.id,
            seller_phone,
            to,
            caller_id: call.caller_id.clone(),
        };
        let placed = telephony.call(&request).await;
        // A second short unit: the call as kept now (an early event may have landed).
        let mut uow = self.begin().await?;
        let mut kept = uow.call(call.id).await?.unwrap_or(call);
        let result = match placed {
            Ok(provider_id) => {
                kept.provider_id = Some(provider_id);
                Ok(())
            }
            Err(error) => {
                kept.failed(error.to_string(), self.now());
                // Nothing rang: the key is free again, so a retry with it is a new attempt
                // (not the failed call answered as if it rang).
                if let Some(key) = key {
                    uow.forget_request(user.id, key).await?;
                }
                Err(AppError::Telephony(error))
            }
        };
        uow.save_call(&kept).await?;
        uow.commit().await?;
        result.map(|()| StartedCall {
            call: kept,
            link: None,
        })
    }

    /// Takes in a PBX's status event for the call it knows as `provider_id` (and that Cube
    /// knows as `call`, when the event URL carried our id): applied once (the same event
    /// twice changes nothing), never going back. `Ok(None)` for a call Cube does not know:
    /// nothing is written, and the PBX is answered without harm. A system task, like taking
    /// in an SMS: no acting user (the HTTP adapter checks the PBX's shared secret).
    pub async fn record_call_event(
        &self,
        call: Option<CallId>,
        provider_id: &str,
        event: CallEvent,
    ) -> AppResult<Option<Call>> {
        let mut uow = self.begin().await?;
        let mut found = uow.call_by_provider_id(provider_id).await?;
        if found.is_none()
            && let Some(id) = call
        {
            // Our id, before the PBX's was kept: only a call without one (another PBX id
            // would be another call), and never an erased one (its PBX id is gone for good).
            found = uow
                .call(id)
                .await?
                .filter(|c| c.provider_id.is_none() && c.to.is_some());
        }
        let Some(mut kept) = found else {
            return Ok(None);
        };
        let mut changed = false;
        if kept.provider_id.is_none() {
            kept.provider_id = Some(provider_id.to_owned());
            changed = true;
        }
        changed |= kept.apply(&event);
        if changed {
            uow.save_call(&kept).await?;
            uow.commit().await?;
        }
        Ok(Some(kept))
    }

    /// The calls to the customer of `enrollment_id`, oldest first: what the customer's
    /// history shows beside the outcomes ("call 3 min 12 s, from +47…"). Read by whoever
    /// reads that history (`my_work::check_history`).
    pub async fn calls_of(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
    ) -> AppResult<Vec<Call>> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (enrollment, _) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        my_work::check_history(&user, &enrollment, now)?;
        Ok(uow.calls_of(enrollment_id).await?)
    }

    /// Sets the numbers the admin's organisation may show as caller id (E.164, or Norwegian
    /// without a country code; at most [`MAX_CALLER_IDS`], repeats kept once, in the order
    /// given). An assignment's shared number or a seller's own is shown only if listed
    /// here; an empty list stops every call.
    pub async fn set_caller_ids(
        &self,
        who: impl Into<Acting<'_>>,
        numbers: &[String],
    ) -> AppResult<Organisation> {
        let mut uow = self.begin().await?;
        let admin = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&admin, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        if numbers.len() > MAX_CALLER_IDS {
            return Err(CallRefused::TooManyCallerIds.into());
        }
        let mut parsed: Vec<PhoneNumber> = Vec::with_capacity(numbers.len());
        for raw in numbers {
            let number = parse_phone(raw)?;
            if !parsed.contains(&number) {
                parsed.push(number);
            }
        }
        let mut organisation = uow
            .organisation(admin.organisation)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        organisation.caller_ids = parsed;
        uow.save_organisation(&organisation).await?;
        uow.commit().await?;
        Ok(organisation)
    }

    /// Sets (`Some`) or clears (`None`) a user's phone: what click-to-call rings, and the
    /// caller id of an assignment showing each seller's own number (once the organisation
    /// registered it). Admins only: the PBX rings this number at the organisation's cost.
    pub async fn set_user_phone(
        &self,
        who: impl Into<Acting<'_>>,
        user_id: UserId,
        phone: Option<&str>,
    ) -> AppResult<User> {
        let mut uow = self.begin().await?;
        let admin = acting(uow.as_mut(), who.into()).await?;
        let mut user = user_of_organisation(uow.as_mut(), &admin, user_id).await?;
        access::authorize(&admin, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "user"))?;
        user.phone = phone.map(parse_phone).transpose()?;
        uow.save_user(&user).await?;
        uow.commit().await?;
        Ok(user)
    }
}

/// A phone number as an admin types it: with its country code, or Norwegian without one.
pub(crate) fn parse_phone(raw: &str) -> AppResult<PhoneNumber> {
    Ok(PhoneNumber::parse_in(raw, PhoneRegion::NORWAY)?)
}

/// A call started earlier, as kept now: what a retry under its `Idempotency-Key` answers.
async fn started_call(uow: &mut dyn ReadUnit, id: CallId) -> AppResult<StartedCall> {
    let call = uow.call(id).await?.ok_or(AppError::NotFound("call"))?;
    let link = call
        .to
        .as_ref()
        .filter(|_| call.status == CallStatus::Dialled)
        .map(call::tel_link);
    Ok(StartedCall { call, link })
}
