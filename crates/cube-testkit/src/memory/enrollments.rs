//! Enrollments: the "now" of each customer in each assignment, with the index entries
//! (by key, by assignment and customer, by customer) every write keeps in step.

use super::{MAX, MIN, MemoryUnit, NO_FIELDS, distinct};
use async_trait::async_trait;
use cube_domain::contact_policy::standing::{Barred, ContactFacts, ContactGate};
use cube_domain::customer::Customer;
use cube_domain::enrollment::{Enrollment, EnrollmentCursor};
use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId, UserId};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::EnrollmentWrites;
use cube_domain::ports::{EnrollmentRepository, Handout, NextCustomerRequest, StoreError};
use cube_domain::ports::{RecordKind, UniqueRule};
use cube_domain::queue::census::QueueCensus;
use std::collections::HashMap;
use time::OffsetDateTime;

/// What `gate` says of calling the customer of `enrollment`, with `calls` (from
/// [`calls_today`]; a customer not found is decided as one nothing stops).
fn barred(
    customers: &HashMap<CustomerId, Customer>,
    calls: &HashMap<CustomerId, u32>,
    gate: &ContactGate,
    enrollment: &Enrollment,
) -> Option<Barred> {
    let customer = enrollment.customer();
    let facts = customers
        .get(&customer)
        .map_or(ContactFacts::FREE, Customer::contact_facts)
        .called(calls.get(&customer).copied().unwrap_or(0));
    gate.barred(&facts)
}

/// Outcomes registered by a person since the gate's day began, by customer (every
/// assignment); empty when the gate has no daily cap. One pass over the log.
fn calls_today(events: &[OutcomeEvent], gate: &ContactGate) -> HashMap<CustomerId, u32> {
    let mut calls = HashMap::new();
    if let Some(cap) = gate.daily_cap {
        for event in events.iter().filter(|e| cap.counts(e)) {
            *calls.entry(event.customer()).or_insert(0) += 1;
        }
    }
    calls
}

impl MemoryUnit {
    /// Writes an enrollment and its index entries; the caller has checked the unique rules.
    fn index_enrollment(&mut self, enrollment: &Enrollment) {
        let (id, assignment, customer) = (
            enrollment.id(),
            enrollment.assignment(),
            enrollment.customer(),
        );
        let sequence = enrollment.sequence();
        self.put(
            |d| &mut d.enrollments,
            (assignment, sequence, id),
            enrollment.clone(),
        );
        self.put(|d| &mut d.enrollment_keys, id, (assignment, sequence));
        self.put(|d| &mut d.enrollment_of, (assignment, customer), id);
        self.put(|d| &mut d.customer_enrollments, (customer, id), ());
    }

    /// Removes an enrollment and its index entries.
    fn unindex_enrollment(&mut self, id: EnrollmentId) {
        let Some((assignment, sequence)) = self.data.enrollment_keys.get(&id).copied() else {
            return;
        };
        let customer = self
            .data
            .enrollments
            .get(&(assignment, sequence, id))
            .map(Enrollment::customer);
        self.take(|d| &mut d.enrollments, (assignment, sequence, id));
        self.take(|d| &mut d.enrollment_keys, id);
        if let Some(customer) = customer {
            self.take(|d| &mut d.enrollment_of, (assignment, customer));
            self.take(|d| &mut d.customer_enrollments, (customer, id));
        }
    }

    fn stored_enrollment(&self, id: EnrollmentId) -> Option<&Enrollment> {
        let (assignment, sequence) = self.data.enrollment_keys.get(&id)?;
        self.data.enrollments.get(&(*assignment, *sequence, id))
    }

    fn duplicate_enrollment() -> StoreError {
        StoreError::Duplicate(UniqueRule::CustomerInAssignment)
    }
}

#[async_trait]
impl EnrollmentRepository for MemoryUnit {
    async fn enrollment(&mut self, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError> {
        Ok(self.stored_enrollment(id).cloned())
    }

    async fn held_by(
        &mut self,
        assignment: AssignmentId,
        seller: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        // A scan of the assignment: only a take by hand asks, never the queue.
        let mut held: Vec<Enrollment> = self
            .data
            .enrollments_of(assignment)
            .filter(|e| e.holder(now) == Some(seller))
            .cloned()
            .collect();
        held.sort_by_key(Enrollment::id);
        Ok(held)
    }

    async fn enrollment_of(
        &mut self,
        assignment: AssignmentId,
        customer: CustomerId,
    ) -> Result<Option<Enrollment>, StoreError> {
        Ok(self
            .data
            .enrollment_of
            .get(&(assignment, customer))
            .and_then(|id| self.stored_enrollment(*id))
            .cloned())
    }

    async fn enrollments(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        Ok(self.data.enrollments_of(assignment).cloned().collect())
    }

    async fn enrollments_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<EnrollmentCursor>,
        limit: u32,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(match after {
            None => self
                .data
                .enrollments_of(assignment)
                .take(limit)
                .cloned()
                .collect(),
            // A range from the place itself: whether a row is there or not.
            Some(after) => self
                .data
                .enrollments
                .after((assignment, after.sequence, after.id))
                .take(limit)
                .cloned()
                .collect(),
        })
    }

    async fn enrollments_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let from = (customer, EnrollmentId::from_uuid(MIN));
        let to = (customer, EnrollmentId::from_uuid(MAX));
        Ok(self
            .data
            .customer_enrollments
            .range(from..=to)
            .filter_map(|(_, id)| self.stored_enrollment(*id))
            .cloned()
            .collect())
    }

    async fn queue_census(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<QueueCensus, StoreError> {
        let customers = &self.data.customers;
        let calls = calls_today(&self.data.events, &request.gate);
        Ok(QueueCensus::of(
            &request.setup,
            self.data
                .enrollments_of(request.assignment)
                .map(|e| (e, barred(customers, &calls, &request.gate, e))),
            request.seller,
            request.now,
        ))
    }

    async fn next_sequence(&mut self, assignment: AssignmentId) -> Result<u64, StoreError> {
        let highest = self
            .data
            .enrollments_of(assignment)
            .next_back()
            .map_or(0, Enrollment::sequence);
        Ok(highest.saturating_add(1))
    }

    async fn follow_ups(
        &mut self,
        assignments: &[AssignmentId],
        seller: UserId,
        until: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let mut found: Vec<&Enrollment> = Vec::new();
        for assignment in distinct(assignments) {
            found.extend(
                self.data
                    .enrollments
                    .follow_ups_before(assignment, until)
                    .filter(|e| {
                        e.follow_up()
                            .is_some_and(|f| f.owner.is_none_or(|owner| owner == seller))
                    }),
            );
        }
        found.sort_by_key(|e| (e.follow_up().map(|f| f.due), e.id()));
        Ok(found.into_iter().cloned().collect())
    }
}

#[async_trait]
impl EnrollmentWrites for MemoryUnit {
    async fn insert_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let (assignment, customer) = (enrollment.assignment(), enrollment.customer());
        if self
            .data
            .enrollment_of
            .contains_key(&(assignment, customer))
        {
            return Err(Self::duplicate_enrollment());
        }
        if self.data.enrollment_keys.contains_key(&enrollment.id()) {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::Enrollment,
            )));
        }
        self.index_enrollment(enrollment);
        Ok(())
    }
    async fn update_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let id = enrollment.id();
        let Some(old) = self.stored_enrollment(id) else {
            return Err(StoreError::Conflict(format!(
                "enrollment {id} does not exist (it was removed from the assignment)"
            )));
        };
        // The id, assignment, customer, import order and enrolment time are fixed at the
        // insert: an update never moves an enrollment (the SQL stores match them, never
        // write them).
        let fixed = |e: &Enrollment| (e.assignment(), e.customer(), e.sequence(), e.enrolled_at());
        if fixed(old) != fixed(enrollment) {
            return Err(StoreError::Conflict(format!(
                "enrollment {id} is not there with that assignment, customer, import order and \
                 enrolment time: an update cannot move it"
            )));
        }
        self.put(
            |d| &mut d.enrollments,
            (enrollment.assignment(), enrollment.sequence(), id),
            enrollment.clone(),
        );
        Ok(())
    }
    async fn delete_enrollment(&mut self, id: EnrollmentId) -> Result<(), StoreError> {
        self.unindex_enrollment(id);
        Ok(())
    }
    async fn reserve_next(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError> {
        // The unit holds the store's lock, so choosing and reserving are one step: nobody
        // else can choose in between. The write is journaled: a dropped unit undoes it.
        let data = &mut *self.data;
        let customers = &data.customers;
        let calls = calls_today(&data.events, &request.gate);
        let chosen = data.enrollments.select(
            request.assignment,
            &request.setup,
            request.seller,
            request.now,
            |enrollment| {
                customers
                    .get(&enrollment.customer())
                    .map_or(&NO_FIELDS, Customer::fields)
            },
            |enrollment| barred(customers, &calls, &request.gate, enrollment),
        );
        let Some((key, tier)) = chosen else {
            return Ok(None);
        };
        let mut enrollment = data
            .enrollments
            .get(&key)
            .cloned()
            .ok_or_else(|| StoreError::Corrupt(format!("enrollment {} vanished", key.2)))?;
        enrollment
            .reserve(request.seller, request.now, request.setup.lease)
            .map_err(|refused| StoreError::Conflict(refused.to_string()))?;
        self.put(|d| &mut d.enrollments, key, enrollment.clone());
        Ok(Some(Handout { enrollment, tier }))
    }
}
