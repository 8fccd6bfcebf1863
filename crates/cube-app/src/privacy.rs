//! A person's rights under the GDPR, carried out for a data owner (issue 16; seed 002: the
//! data owner is the controller): the access export — everything the data owner holds on a
//! person, across its assignments —, erasure, and the data owner's privacy log that records
//! each request.
//!
//! Erasure takes the person out of every record in one unit of work (all of it or none):
//! the customers become `Customer::erased` (contact data, CRM fields and search text gone;
//! kept on the do-not-call list so no queue hands them out), the outcome history keeps
//! every counted fact but loses its notes and field values (`OutcomeEvent::without_texts`),
//! meetings their place, messages to them their recipient and text (a pending one is never
//! sent), the SMS flows to them and the texts that answered are forgotten, so is the data
//! owner's claim on the texts from their numbers that answered no flow (below), and so are
//! the changes of their cards; the calls to them lose the number and the PBX's id and keep
//! what the reports count (`Call::erased`). A person who asked not to be called (on the
//! do-not-call list) leaves each phone number behind only as a salted hash on the data
//! owner's do-not-contact list, which bars the number when it is imported or added again
//! (`Cube::listed_numbers`).
//!
//! The person is found by one key (`cube_domain::privacy::PersonKey`) among the data owner's
//! customers; what is gathered for each customer found is its record (contact and CRM data,
//! its contact-policy standing, the changes of its card), its enrollments with their outcome
//! history, the meetings booked with it, the messages to it (outbox), and the SMS flows sent
//! to it with the texts that answered them, the texts from its numbers that answered no flow
//! nor sale confirmation, and the calls made to it (with the seller's name). Names of
//! assignments, outcomes and states are resolved here, once, so an export reads without the
//! set-up beside it.
//!
//! # Texts no flow matched
//! A person may text the platform's number when no SMS flow or sale confirmation went to
//! them: the text is kept (`Cube::receive_sms`) but belongs to no assignment. It is the data
//! of the data owners whose assignments had texted or called the number before it came,
//! recorded with the text at receipt (`cube_domain::sms`, "A text no flow matched"; why at
//! receipt is said there) — never of a data owner that merely holds a customer with the
//! number, which any organisation on the server could create. A claiming data owner's
//! access export lists it beside its customer with the number; its erasure drops its own
//! claim (the text goes when no claim is left; another claiming controller keeps it until
//! the person asks it too), and `Erased::unmatched_texts` counts the claims dropped, so the
//! answer does not tell whether another data owner holds the text. A text no data owner
//! claims is deleted by the worker after `cube_domain::sms::UNMATCHED_TEXT_DAYS` days
//! (`Cube::forget_unowned_texts`).
//!
//! The request is written to the privacy log in the unit that gathers the data: an export
//! handed out is an export recorded, and nothing is recorded for one that failed.

use crate::flows::flow_of;
use crate::setup::managed_owner;
use crate::{Acting, AppResult, Cube, acting};
use cube_domain::assignment::Assignment;
use cube_domain::call::Call;
use cube_domain::customer::{Customer, CustomerChange};
use cube_domain::enrollment::Enrollment;
use cube_domain::flow::PublishedFlow;
use cube_domain::ids::{
    AssignmentId, CustomerId, DataOwnerId, EnrollmentId, PrivacyRequestId, UserId,
};
use cube_domain::meeting::Meeting;
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{DeliveryState, RECIPIENT_ERASED, ReadUnit, StoredMessage};
use cube_domain::privacy::{
    DoNotContact, ErasureError, KeyKind, PersonKey, PersonKeyError, PersonalRight, PrivacyRequest,
    Salt,
};
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::time_zone::TimeZone;
use cube_domain::values::{PhoneNumber, PhoneRegion};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// How a person is named in a request, as typed: exactly one of the three (blank counts as
/// not given). A phone number without a country code is read in the data owner's region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonQuery {
    /// A phone number.
    pub phone: Option<String>,
    /// An e-mail address.
    pub email: Option<String>,
    /// An id in the source system.
    pub external_id: Option<String>,
}

impl PersonQuery {
    /// The one key the query gives, read in `region` ([`PersonKey::parse`]).
    fn key(&self, region: PhoneRegion) -> Result<PersonKey, PersonKeyError> {
        PersonKey::parse(
            self.phone.as_deref(),
            self.email.as_deref(),
            self.external_id.as_deref(),
            region,
        )
    }
}

/// Everything a data owner holds on a person (GDPR art. 15), as handed out.
#[derive(Debug, Clone)]
pub struct PersonalData {
    /// The entry of the privacy log that records this export: the reference to quote.
    pub request: PrivacyRequestId,
    /// When it was gathered.
    pub at: OffsetDateTime,
    /// The data owner (the controller).
    pub data_owner: DataOwnerId,
    /// The data owner's name.
    pub data_owner_name: String,
    /// What kind of key found the person.
    pub found_by: KeyKind,
    /// The organisation's time zone: files show local times.
    pub zone: TimeZone,
    /// Each customer the person was found as, oldest first; none when the data owner holds
    /// nothing on them.
    pub customers: Vec<PersonRecord>,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The entry of the privacy log that records it: the reference to quote.
    pub request: PrivacyRequestId,
    /// The customers erased, oldest first.
    pub customers: Vec<CustomerId>,
    /// Outcome events that lost their notes and field values (kept, anonymised).
    pub events: usize,
    /// Meetings that lost their place.
    pub meetings: usize,
    /// Messages that lost their recipient and text.
    pub messages: usize,
    /// Phone numbers put on the do-not-contact list as salted hashes.
    pub listed: usize,
    /// Texts from the person's numbers that answered no SMS flow, taken out of the data
    /// owner's reach (its claim dropped; see the module doc).
    pub unmatched_texts: u64,
}

/// Numbers looked up on the do-not-contact list per statement.
const LISTED_CHUNK: usize = 1_000;

/// One customer record of the person, with everything held beside it.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    /// The customer: contact data, CRM fields, contact-policy standing.
    pub customer: Customer,
    /// The changes recorded on the customer's card, oldest first.
    pub changes: Vec<CustomerChange>,
    /// The customer's enrollments with their outcome history.
    pub enrollments: Vec<EnrollmentRecord>,
    /// The meetings booked with the customer, by start.
    pub meetings: Vec<Meeting>,
    /// The messages to the customer (their enrollments'), in enqueue order, with their
    /// delivery states.
    pub messages: Vec<StoredMessage>,
    /// The SMS flows sent to the customer, in the order recorded.
    pub sms_flows: Vec<SentSmsFlow>,
    /// The texts that answered those flows, in the order kept.
    pub sms_replies: Vec<SmsReply>,
    /// The texts from the customer's numbers that answered no SMS flow nor sale
    /// confirmation that the data owner claims (its assignments had contacted the number
    /// before the text came; see the module doc), in the order kept.
    pub unmatched_texts: Vec<SmsReply>,
    /// The calls sellers made to the customer in any assignment, oldest first.
    pub calls: Vec<CallRecord>,
}

/// A call to the person, with the seller's name resolved.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// The call, whole (when, the caller id shown, the number called, status, talk time).
    pub call: Call,
    /// The name of the seller who called (empty if the user is gone).
    pub seller: String,
}

/// A customer's enrollment in one assignment, with its names resolved.
#[derive(Debug, Clone)]
pub struct EnrollmentRecord {
    /// The enrollment as it is now (state, attempts, follow-up).
    pub enrollment: Enrollment,
    /// The assignment's name (empty if it is gone).
    pub assignment: String,
    /// The name of the state the customer is in.
    pub state: String,
    /// The outcomes registered on the enrollment, oldest first.
    pub events: Vec<EventRecord>,
}

/// An outcome registered on the person, with its names resolved.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// The event, whole.
    pub event: OutcomeEvent,
    /// The outcome's name (empty for an external state change).
    pub outcome: String,
    /// The name of the state it left the customer in.
    pub state: String,
}

impl Cube {
    /// Everything the data owner `owner` holds on the person `query` names, across its
    /// assignments, for admins and the managers of the data owner; recorded in the data
    /// owner's privacy log in the same unit of work (who, when, the customers found — no
    /// personal data). A person the data owner holds nothing on gets an empty export, which
    /// is recorded too.
    pub async fn personal_data(
        &self,
        who: impl Into<Acting<'_>>,
        owner: DataOwnerId,
        query: &PersonQuery,
    ) -> AppResult<PersonalData> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let zone = self.zones.of(uow.as_mut(), user.organisation).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner, zone.date_of(now)).await?;
        let key = query.key(owner.phone_region())?;
        let found = uow.customers_of_person(owner.id(), &key).await?;
        let mut names = Names::default();
        let mut customers = Vec::with_capacity(found.len());
        for customer in found {
            customers.push(self.record_of(uow.as_mut(), &mut names, customer).await?);
        }
        let request = PrivacyRequest {
            id: self.new_id(),
            data_owner: owner.id(),
            user: user.id,
            at: now,
            right: PersonalRight::Access,
            found_by: key.kind(),
            customers: customers.iter().map(|r| r.customer.id()).collect(),
        };
        uow.log_privacy_request(&request).await?;
        uow.commit().await?;
        Ok(PersonalData {
            request: request.id,
            at: now,
            data_owner: owner.id(),
            data_owner_name: owner.name().to_string(),
            found_by: request.found_by,
            zone,
            customers,
        })
    }

    /// Erases the person `query` names from the data owner `owner` (GDPR art. 17), for admins
    /// and the managers of the data owner: every customer the key finds, in one unit of work
    /// (see the module's doc for what becomes of each record), recorded in the privacy log.
    /// Refused with `ErasureError::NoSuchPerson` when no customer has the key.
    pub async fn erase_person(
        &self,
        who: impl Into<Acting<'_>>,
        owner: DataOwnerId,
        query: &PersonQuery,
    ) -> AppResult<Erased> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner, today).await?;
        let key = query.key(owner.phone_region())?;
        let customers = uow.customers_of_person(owner.id(), &key).await?;
        if customers.is_empty() {
            return Err(ErasureError::NoSuchPerson(key.kind()).into());
        }
        let mut erased = Erased {
            request: self.new_id(),
            customers: customers.iter().map(Customer::id).collect(),
            events: 0,
            meetings: 0,
            messages: 0,
            listed: 0,
            unmatched_texts: 0,
        };
        // The list's salt, when someone to list asked not to be called: the one its entries
        // carry, or a new one for its first entry.
        let salt = if customers.iter().any(|c| c.contact().do_not_call.is_some()) {
            Some(match uow.do_not_contact_salt(owner.id()).await? {
                Some(kept) => kept,
                None => Salt::from_ids(self.ids.next_id(), self.ids.next_id()),
            })
        } else {
            None
        };
        for customer in &customers {
            let mut enrollments = Vec::new();
            for mut enrollment in uow.enrollments_of_customer(customer.id()).await? {
                // A seller who holds the customer lets go of them now: the card is nobody's,
                // and an outcome or an edit from a screen still open must not bring the
                // person back (they can no longer be taken: the customer is on the
                // do-not-call list).
                if let Some(reservation) = enrollment.reservation()
                    && enrollment.release(reservation.seller)
                {
                    uow.update_enrollment(&enrollment).await?;
                }
                enrollments.push(enrollment.id());
            }
            for enrollment in &enrollments {
                for event in uow.events_of(*enrollment).await? {
                    uow.erase_event_texts(event.id()).await?;
                    erased.events += 1;
                }
            }
            for meeting in uow.meetings_of_customer(customer.id()).await? {
                if meeting.place.is_some() {
                    // Taken out and booked again, the same meeting without its place.
                    uow.delete_meeting(meeting.id).await?;
                    uow.insert_meeting(&Meeting {
                        place: None,
                        ..meeting
                    })
                    .await?;
                    erased.meetings += 1;
                }
            }
            for stored in uow.messages_of(&enrollments).await? {
                uow.erase_payload(stored.message.id).await?;
                if let DeliveryState::Pending { .. } = stored.state {
                    uow.mark_failed(stored.message.id, RECIPIENT_ERASED).await?;
                }
                erased.messages += 1;
            }
            uow.erase_sms_of(&enrollments).await?;
            let phones = &customer.details().phones;
            if !phones.is_empty() {
                erased.unmatched_texts += uow.erase_unmatched_sms_from(owner.id(), phones).await?;
            }
            for enrollment in &enrollments {
                for call in uow.calls_of(*enrollment).await? {
                    uow.save_call(&call.erased()).await?;
                }
            }
            uow.erase_customer_changes(customer.id()).await?;
            if let (Some(salt), Some(_)) = (&salt, &customer.contact().do_not_call) {
                for phone in &customer.details().phones {
                    uow.list_do_not_contact(&DoNotContact {
                        data_owner: owner.id(),
                        phone_hash: salt.hash(phone),
                        salt: salt.clone(),
                        listed_at: now,
                    })
                    .await?;
                    erased.listed += 1;
                }
            }
            uow.save_customer(&customer.erased(now)).await?;
        }
        uow.log_privacy_request(&PrivacyRequest {
            id: erased.request,
            data_owner: owner.id(),
            user: user.id,
            at: now,
            right: PersonalRight::Erasure,
            found_by: key.kind(),
            customers: erased.customers.clone(),
        })
        .await?;
        uow.commit().await?;
        Ok(erased)
    }

    /// The data owner's privacy log, in the order recorded: what was done for whom (by
    /// customer id), by whom and when. For admins and the managers of the data owner.
    pub async fn privacy_log(
        &self,
        who: impl Into<Acting<'_>>,
        owner: DataOwnerId,
    ) -> AppResult<Vec<PrivacyRequest>> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
        managed_owner(uow.as_mut(), &user, owner, today).await?;
        Ok(uow.privacy_log(owner).await?)
    }

    /// Everything held beside one customer of the person.
    async fn record_of(
        &self,
        uow: &mut dyn ReadUnit,
        names: &mut Names,
        customer: Customer,
    ) -> AppResult<PersonRecord> {
        let id: CustomerId = customer.id();
        let mut enrollments = Vec::new();
        for enrollment in uow.enrollments_of_customer(id).await? {
            let (assignment, flow) = names.of(self, uow, enrollment.assignment()).await?;
            let state_name = |state| {
                flow.as_ref()
                    .and_then(|f| f.state(state))
                    .map_or_else(|| state.to_string(), |s| s.name.to_string())
            };
            let events = uow
                .events_of(enrollment.id())
                .await?
                .into_iter()
                .map(|event| EventRecord {
                    outcome: event.outcome().map_or_else(String::new, |o| {
                        flow.as_ref()
                            .and_then(|f| f.outcome(o))
                            .map_or_else(|| o.to_string(), |o| o.name.to_string())
                    }),
                    state: state_name(event.to_state()),
                    event,
                })
                .collect();
            enrollments.push(EnrollmentRecord {
                assignment,
                state: state_name(enrollment.state()),
                enrollment,
                events,
            });
        }
        let enrollment_ids: Vec<EnrollmentId> =
            enrollments.iter().map(|e| e.enrollment.id()).collect();
        let mut calls = Vec::new();
        for enrollment in &enrollment_ids {
            calls.extend(uow.calls_of(*enrollment).await?);
        }
        calls.sort_by_key(|c| (c.started_at, c.id));
        let mut call_records = Vec::with_capacity(calls.len());
        for call in calls {
            call_records.push(CallRecord {
                seller: names.user(uow, call.seller).await?,
                call,
            });
        }
        Ok(PersonRecord {
            calls: call_records,
            changes: uow.customer_changes(id).await?,
            meetings: uow.meetings_of_customer(id).await?,
            messages: uow.messages_of(&enrollment_ids).await?,
            sms_flows: uow.sms_flows_of(&enrollment_ids).await?,
            sms_replies: uow.sms_replies_of(&enrollment_ids).await?,
            unmatched_texts: match customer.details().phones.as_slice() {
                [] => Vec::new(),
                phones => {
                    uow.unmatched_sms_from(customer.data_owner(), phones)
                        .await?
                }
            },
            enrollments,
            customer,
        })
    }
}

/// The assignments (their names and flows) and the users (their names) an export has read
/// so far.
#[derive(Default)]
struct Names {
    read: BTreeMap<AssignmentId, (String, Option<Arc<PublishedFlow>>)>,
    users: BTreeMap<UserId, String>,
}

impl Names {
    /// The user's name (empty if the user is gone).
    async fn user(&mut self, uow: &mut dyn ReadUnit, id: UserId) -> AppResult<String> {
        if let Some(known) = self.users.get(&id) {
            return Ok(known.clone());
        }
        let name = uow
            .user(id)
            .await?
            .map_or_else(String::new, |u| u.name.to_string());
        self.users.insert(id, name.clone());
        Ok(name)
    }

    /// The assignment's name and current flow (empty and none if it is gone).
    async fn of(
        &mut self,
        cube: &Cube,
        uow: &mut dyn ReadUnit,
        id: AssignmentId,
    ) -> AppResult<(String, Option<Arc<PublishedFlow>>)> {
        if let Some(known) = self.read.get(&id) {
            return Ok(known.clone());
        }
        let found: Option<Assignment> = uow.assignment(id).await?;
        let named = match found {
            Some(assignment) => (
                assignment.name().to_string(),
                Some(flow_of(&cube.flows, uow, &assignment).await?),
            ),
            None => (String::new(), None),
        };
        self.read.insert(id, named.clone());
        Ok(named)
    }
}

/// Which of `phones` are on the data owner's do-not-contact list (an import or a new
/// customer with one of them is put on the do-not-call list). Reads nothing more when the
/// list is empty.
pub(crate) async fn listed_numbers(
    uow: &mut dyn ReadUnit,
    owner: DataOwnerId,
    phones: &[&PhoneNumber],
) -> AppResult<BTreeSet<PhoneNumber>> {
    let Some(salt) = uow.do_not_contact_salt(owner).await? else {
        return Ok(BTreeSet::new());
    };
    let mut listed = BTreeSet::new();
    for chunk in phones.chunks(LISTED_CHUNK) {
        let hashes: Vec<String> = chunk.iter().map(|p| salt.hash(p)).collect();
        let found: BTreeSet<String> = uow
            .do_not_contact_listed(owner, &hashes)
            .await?
            .into_iter()
            .collect();
        listed.extend(
            chunk
                .iter()
                .zip(&hashes)
                .filter(|(_, hash)| found.contains(*hash))
                .map(|(phone, _)| (*phone).clone()),
        );
    }
    Ok(listed)
}
