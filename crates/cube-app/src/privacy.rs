//! A person's rights under the GDPR, carried out for a data owner (issue 16; seed 002: the
//! data owner is the controller): the access export — everything the data owner holds on a
//! person, across its assignments — and the data owner's privacy log that records each
//! request.
//!
//! The person is found by one key (`cube_domain::privacy::PersonKey`) among the data owner's
//! customers; what is gathered for each customer found is its record (contact and CRM data,
//! its contact-policy standing, the changes of its card), its enrollments with their outcome
//! history, the meetings booked with it, the messages to it (outbox), and the SMS flows sent
//! to it with the texts that answered them. Names of assignments, outcomes and states are
//! resolved here, once, so an export reads without the set-up beside it.
//!
//! The request is written to the privacy log in the unit that gathers the data: an export
//! handed out is an export recorded, and nothing is recorded for one that failed.

use crate::flows::flow_of;
use crate::setup::managed_owner;
use crate::{Acting, AppResult, Cube, acting};
use cube_domain::assignment::Assignment;
use cube_domain::customer::{Customer, CustomerChange};
use cube_domain::enrollment::Enrollment;
use cube_domain::flow::PublishedFlow;
use cube_domain::ids::{AssignmentId, CustomerId, DataOwnerId, EnrollmentId, PrivacyRequestId};
use cube_domain::meeting::Meeting;
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{ReadUnit, StoredMessage};
use cube_domain::privacy::{KeyKind, PersonKey, PersonalRight, PrivacyRequest};
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::time_zone::TimeZone;
use std::collections::BTreeMap;
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
        let key = PersonKey::parse(
            query.phone.as_deref(),
            query.email.as_deref(),
            query.external_id.as_deref(),
            owner.phone_region(),
        )?;
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
        Ok(PersonRecord {
            changes: uow.customer_changes(id).await?,
            meetings: uow.meetings_of_customer(id).await?,
            messages: uow.messages_of(&enrollment_ids).await?,
            sms_flows: uow.sms_flows_of(&enrollment_ids).await?,
            sms_replies: uow.sms_replies_of(&enrollment_ids).await?,
            enrollments,
            customer,
        })
    }
}

/// The assignments (their names and flows) an export has read so far.
#[derive(Default)]
struct Names {
    read: BTreeMap<AssignmentId, (String, Option<Arc<PublishedFlow>>)>,
}

impl Names {
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
