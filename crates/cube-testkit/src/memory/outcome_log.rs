//! The append-only outcome log in append order, indexed by assignment and time, by
//! enrollment and time, and by idempotency key (with the request's fingerprint).

use super::{MemoryUnit, earliest, latest};
use async_trait::async_trait;
use cube_domain::idempotency::{IdempotencyKey, KeyedEvent, RequestKey};
use cube_domain::ids::{AssignmentId, EnrollmentId, OutcomeEventId, UserId};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::OutcomeLogWrites;
use cube_domain::ports::{LoggedEvent, OutcomeLog, StoreError};
use cube_domain::ports::{RecordKind, UniqueRule};
use time::OffsetDateTime;

impl MemoryUnit {
    /// The log's events at these positions, cloned.
    fn events_at(&self, positions: impl IntoIterator<Item = usize>) -> Vec<OutcomeEvent> {
        positions
            .into_iter()
            .filter_map(|at| self.data.events.get(at))
            .cloned()
            .collect()
    }
}

#[async_trait]
impl OutcomeLog for MemoryUnit {
    async fn event_by_key(
        &mut self,
        assignment: AssignmentId,
        user: UserId,
        idempotency_key: &RequestKey,
    ) -> Result<Option<KeyedEvent>, StoreError> {
        let Some((id, fingerprint)) = self.data.event_keys.get(&(
            assignment,
            Some(user),
            idempotency_key.as_str().to_owned(),
        )) else {
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

    async fn events_after(
        &mut self,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let start = match after {
            None => 0,
            Some(id) => match self.data.event_index.get(&id) {
                Some(at) => at + 1,
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .events
            .iter()
            .skip(start)
            .take(limit)
            .map(|event| LoggedEvent {
                event: event.clone(),
                key: self.data.keys_of_events.get(&event.id()).cloned(),
            })
            .collect())
    }
}

#[async_trait]
impl OutcomeLogWrites for MemoryUnit {
    async fn append_event(
        &mut self,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        // The key first: a retry that raced its first request must be told apart from an
        // id collision.
        if let Some(key) = idempotency_key
            && self.data.event_keys.contains_key(&(
                event.assignment(),
                event.user(),
                key.key.as_str().to_owned(),
            ))
        {
            return Err(StoreError::Duplicate(UniqueRule::IdempotencyKey));
        }
        if self.data.event_index.contains_key(&event.id()) {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::OutcomeEvent,
            )));
        }
        let position = self.data.events.len();
        self.data.events.push(event.clone());
        self.journal.push(Box::new(|data| {
            data.events.pop();
        }));
        self.put(|d| &mut d.event_index, event.id(), position);
        self.put(
            |d| &mut d.assignment_events,
            (event.assignment(), event.occurred_at(), position),
            (),
        );
        self.put(
            |d| &mut d.enrollment_events,
            (event.enrollment(), event.occurred_at(), position),
            (),
        );
        if let Some(key) = idempotency_key {
            self.put(
                |d| &mut d.event_keys,
                (
                    event.assignment(),
                    event.user(),
                    key.key.as_str().to_owned(),
                ),
                (event.id(), key.fingerprint.clone()),
            );
            self.put(|d| &mut d.keys_of_events, event.id(), key.clone());
        }
        Ok(())
    }

    async fn erase_event_texts(&mut self, id: OutcomeEventId) -> Result<(), StoreError> {
        let Some(position) = self.data.event_index.get(&id).copied() else {
            return Err(StoreError::Conflict(format!("no outcome event {id}")));
        };
        let Some(slot) = self.data.events.get_mut(position) else {
            return Err(StoreError::Conflict(format!("no outcome event {id}")));
        };
        let erased = slot.without_texts();
        let old = std::mem::replace(slot, erased);
        self.journal.push(Box::new(move |data| {
            if let Some(slot) = data.events.get_mut(position) {
                *slot = old;
            }
        }));
        Ok(())
    }
}
