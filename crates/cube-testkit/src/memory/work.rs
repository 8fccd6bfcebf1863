//! The fast-moving part of the store: enrollments (the "now" of each customer in each
//! assignment), the append-only outcome log, time entries and the outbox.

use super::{MAX, MIN, MemoryUnit, NO_FIELDS, distinct, earliest, latest, sorted_by};
use async_trait::async_trait;
use cube_domain::customer::Customer;
use cube_domain::enrollment::Enrollment;
use cube_domain::idempotency::{IdempotencyKey, KeyedEvent};
use cube_domain::ids::{
    AssignmentId, CustomerId, EnrollmentId, OutboxMessageId, OutcomeEventId, UserId,
};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{
    ClaimedMessage, EnrollmentRepository, FailedMessage, Handout, NextCustomerRequest,
    OutboxMessage, OutboxRepository, OutcomeLog, StoreError, TimeEntryRepository,
};
use cube_domain::time_entry::TimeEntry;
use time::OffsetDateTime;

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

    fn duplicate_enrollment(assignment: AssignmentId, customer: CustomerId) -> StoreError {
        StoreError::Duplicate(format!(
            "an enrollment of customer {customer} in assignment {assignment}"
        ))
    }

    /// The log's events at these positions, cloned.
    fn events_at(&self, positions: impl IntoIterator<Item = usize>) -> Vec<OutcomeEvent> {
        positions
            .into_iter()
            .filter_map(|at| self.data.events.get(at))
            .cloned()
            .collect()
    }

    /// Positions of the assignments' events in `[from, to)`, oldest first (append order
    /// breaks ties).
    pub(super) fn event_positions(
        &self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Vec<usize> {
        let mut found: Vec<(OffsetDateTime, usize)> = Vec::new();
        for assignment in distinct(assignments) {
            found.extend(
                self.data
                    .assignment_events
                    .range((assignment, from, 0)..(assignment, to, 0))
                    .map(|(_, at, position)| (*at, *position)),
            );
        }
        found.sort_unstable();
        found.into_iter().map(|(_, position)| position).collect()
    }
}

#[async_trait]
impl EnrollmentRepository for MemoryUnit {
    async fn enrollment(&mut self, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError> {
        Ok(self.stored_enrollment(id).cloned())
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

    async fn insert_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let (assignment, customer) = (enrollment.assignment(), enrollment.customer());
        if self
            .data
            .enrollment_of
            .contains_key(&(assignment, customer))
        {
            return Err(Self::duplicate_enrollment(assignment, customer));
        }
        if self.data.enrollment_keys.contains_key(&enrollment.id()) {
            return Err(StoreError::Duplicate(format!(
                "enrollment {}",
                enrollment.id()
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
        let same_place = old.assignment() == enrollment.assignment()
            && old.sequence() == enrollment.sequence()
            && old.customer() == enrollment.customer();
        if same_place {
            // The hot path: only the value changes.
            self.put(
                |d| &mut d.enrollments,
                (enrollment.assignment(), enrollment.sequence(), id),
                enrollment.clone(),
            );
            return Ok(());
        }
        let key = (enrollment.assignment(), enrollment.customer());
        if self
            .data
            .enrollment_of
            .get(&key)
            .is_some_and(|other| *other != id)
        {
            return Err(Self::duplicate_enrollment(key.0, key.1));
        }
        self.unindex_enrollment(id);
        self.index_enrollment(enrollment);
        Ok(())
    }

    async fn delete_enrollment(&mut self, id: EnrollmentId) -> Result<(), StoreError> {
        self.unindex_enrollment(id);
        Ok(())
    }

    async fn enrollments(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        Ok(self.data.enrollments_of(assignment).cloned().collect())
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

    async fn reserve_next(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError> {
        // The unit holds the store's lock, so choosing and reserving are one step: nobody
        // else can choose in between. The write is journaled: a dropped unit undoes it.
        let data = &mut *self.data;
        let customers = &data.customers;
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

#[async_trait]
impl OutcomeLog for MemoryUnit {
    async fn append_event(
        &mut self,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        if self.data.event_index.contains_key(&event.id) {
            return Err(StoreError::Duplicate(format!("outcome event {}", event.id)));
        }
        if let Some(key) = idempotency_key
            && self
                .data
                .event_keys
                .contains_key(&(event.assignment, event.user, key.key.clone()))
        {
            return Err(StoreError::Duplicate(format!(
                "an outcome registered with idempotency key '{}' in this assignment",
                key.key
            )));
        }
        let position = self.data.events.len();
        self.data.events.push(event.clone());
        self.journal.push(Box::new(|data| {
            data.events.pop();
        }));
        self.put(|d| &mut d.event_index, event.id, position);
        self.put(
            |d| &mut d.assignment_events,
            (event.assignment, event.occurred_at, position),
            (),
        );
        self.put(
            |d| &mut d.enrollment_events,
            (event.enrollment, event.occurred_at, position),
            (),
        );
        if let Some(key) = idempotency_key {
            self.put(
                |d| &mut d.event_keys,
                (event.assignment, event.user, key.key.clone()),
                (event.id, key.fingerprint.clone()),
            );
        }
        Ok(())
    }

    async fn event_by_key(
        &mut self,
        assignment: AssignmentId,
        user: UserId,
        idempotency_key: &str,
    ) -> Result<Option<KeyedEvent>, StoreError> {
        let Some((id, fingerprint)) =
            self.data
                .event_keys
                .get(&(assignment, Some(user), idempotency_key.to_owned()))
        else {
            return Ok(None);
        };
        Ok(self
            .data
            .event_index
            .get(id)
            .and_then(|at| self.data.events.get(*at))
            .map(|event| KeyedEvent {
                event: event.clone(),
                fingerprint: Some(fingerprint.clone()),
            }))
    }

    async fn event(&mut self, id: OutcomeEventId) -> Result<Option<OutcomeEvent>, StoreError> {
        Ok(self
            .data
            .event_index
            .get(&id)
            .and_then(|at| self.data.events.get(*at))
            .cloned())
    }

    async fn events_of(
        &mut self,
        enrollment: EnrollmentId,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        let from = (enrollment, earliest(), 0);
        let to = (enrollment, latest(), usize::MAX);
        let positions: Vec<usize> = self
            .data
            .enrollment_events
            .range(from..=to)
            .map(|(_, _, at)| *at)
            .collect();
        Ok(self.events_at(positions))
    }

    async fn events(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        let positions = self.event_positions(assignments, from, to);
        Ok(self.events_at(positions))
    }
}

#[async_trait]
impl TimeEntryRepository for MemoryUnit {
    async fn save_time_entry(&mut self, entry: &TimeEntry) -> Result<(), StoreError> {
        self.put(|d| &mut d.time_entries, entry.id, entry.clone());
        Ok(())
    }

    async fn running_time_entry(&mut self, user: UserId) -> Result<Option<TimeEntry>, StoreError> {
        Ok(self
            .data
            .time_entries
            .values()
            .filter(|e| e.user == user && e.end.is_none())
            .min_by_key(|e| (e.start, e.id))
            .cloned())
    }

    async fn time_entries(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let wanted = distinct(assignments);
        let entries = self
            .data
            .time_entries
            .values()
            .filter(|e| wanted.contains(&e.assignment))
            .filter(|e| e.start < to && e.end.is_none_or(|end| end > from))
            .cloned()
            .collect();
        Ok(sorted_by(entries, |e: &TimeEntry| (e.start, e.id)))
    }

    async fn user_time_entries_overlapping(
        &mut self,
        user: UserId,
        from: OffsetDateTime,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let entries = self
            .data
            .time_entries
            .values()
            .filter(|e| e.user == user && e.overlaps(from, to))
            .cloned()
            .collect();
        Ok(sorted_by(entries, |e: &TimeEntry| (e.start, e.id)))
    }
}

#[async_trait]
impl OutboxRepository for MemoryUnit {
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError> {
        if self.data.outbox_ids.contains_key(&message.id) {
            return Err(StoreError::Duplicate(format!(
                "outbox message {}",
                message.id
            )));
        }
        let number = self.bump(|d| &mut d.outbox_counter);
        let key = (message.created_at, number);
        self.put(|d| &mut d.outbox, key, message.clone());
        self.put(|d| &mut d.outbox_ids, message.id, key);
        Ok(())
    }

    async fn pending_messages(&mut self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self.data.outbox.values().take(limit).cloned().collect())
    }

    async fn claim_messages(
        &mut self,
        limit: u32,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let due: Vec<ClaimedMessage> = self
            .data
            .outbox
            .values()
            .filter_map(|message| match self.data.outbox_retry.get(&message.id) {
                Some((_, at)) if *at > now => None,
                Some((attempts, _)) => Some(ClaimedMessage {
                    message: message.clone(),
                    attempts: *attempts,
                }),
                None => Some(ClaimedMessage {
                    message: message.clone(),
                    attempts: 0,
                }),
            })
            .take(limit)
            .collect();
        for claimed in &due {
            let id = claimed.message.id;
            self.put(|d| &mut d.outbox_retry, id, (claimed.attempts, until));
        }
        Ok(due)
    }

    async fn mark_delivered(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        if let Some(key) = self.data.outbox_ids.get(&id).copied() {
            self.take(|d| &mut d.outbox, key);
        }
        Ok(())
    }

    async fn defer(
        &mut self,
        id: OutboxMessageId,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let Some(key) = self.data.outbox_ids.get(&id).copied() else {
            return Ok(());
        };
        if self.data.outbox.contains_key(&key) {
            let attempts = self.data.outbox_retry.get(&id).map_or(0, |(n, _)| *n);
            self.put(
                |d| &mut d.outbox_retry,
                id,
                (attempts.saturating_add(1), retry_at),
            );
        }
        Ok(())
    }

    async fn mark_failed(&mut self, id: OutboxMessageId, reason: &str) -> Result<(), StoreError> {
        let Some(key) = self.data.outbox_ids.get(&id).copied() else {
            return Ok(());
        };
        if let Some(message) = self.data.outbox.get(&key).cloned() {
            self.take(|d| &mut d.outbox, key);
            self.put(|d| &mut d.outbox_failed, key, (message, reason.to_owned()));
        }
        Ok(())
    }

    async fn failed_messages(
        &mut self,
        assignments: &[AssignmentId],
        limit: u32,
    ) -> Result<Vec<FailedMessage>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .outbox_failed
            .values()
            .filter(|(message, _)| assignments.contains(&message.assignment))
            .take(limit)
            .map(|(message, reason)| FailedMessage {
                message: message.clone(),
                reason: reason.clone(),
            })
            .collect())
    }
}
