//! The transactional outbox: messages enqueued in the unit of work that caused them, with
//! their delivery bookkeeping (claimed or deferred until due, failed attempts, delivered or
//! failed with a reason).

use super::MemoryUnit;
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, EnrollmentId, OutboxMessageId};
use cube_domain::ports::OutboxWrites;
use cube_domain::ports::{
    ClaimedMessage, DeliveryReceipt, DeliveryState, FailedMessage, OutboxMessage, OutboxRepository,
    StoreError, StoredMessage,
};
use cube_domain::ports::{RecordKind, UniqueRule};
use std::ops::Bound;
use time::OffsetDateTime;

#[async_trait]
impl OutboxRepository for MemoryUnit {
    async fn pending_messages(&mut self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self.data.outbox.values().take(limit).cloned().collect())
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

    async fn messages_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let from = match after {
            None => Bound::Unbounded,
            Some(id) => match self.data.outbox_ids.get(&id) {
                Some((_, number)) => Bound::Excluded(*number),
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .outbox_log
            .range((from, Bound::Unbounded))
            .take(limit)
            .map(|(number, message)| self.stored(*number, message))
            .collect())
    }

    async fn messages_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        // Asked for one person at a time, rarely: the log is scanned.
        Ok(self
            .data
            .outbox_log
            .iter()
            .filter(|(_, m)| m.enrollment.is_some_and(|e| enrollments.contains(&e)))
            .map(|(number, message)| self.stored(*number, message))
            .collect())
    }
}

impl MemoryUnit {
    /// A message of the log (enqueue number `number`) with its delivery state.
    fn stored(&self, number: u64, message: &OutboxMessage) -> StoredMessage {
        let key = (message.created_at, number);
        let retry = self.data.outbox_retry.get(&message.id);
        let state = if self.data.outbox.contains_key(&key) {
            DeliveryState::Pending {
                due_at: retry.map(|(_, at)| *at),
            }
        } else if let Some((_, reason)) = self.data.outbox_failed.get(&key) {
            DeliveryState::Failed {
                reason: reason.clone(),
            }
        } else {
            DeliveryState::Delivered
        };
        StoredMessage {
            message: message.clone(),
            attempts: retry.map_or(0, |(attempts, _)| *attempts),
            state,
        }
    }
}

#[async_trait]
impl OutboxWrites for MemoryUnit {
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError> {
        if self.data.outbox_ids.contains_key(&message.id) {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::OutboxMessage,
            )));
        }
        let number = self.bump(|d| &mut d.outbox_counter);
        let key = (message.created_at, number);
        self.put(|d| &mut d.outbox, key, message.clone());
        self.put(|d| &mut d.outbox_ids, message.id, key);
        self.put(|d| &mut d.outbox_log, number, message.clone());
        Ok(())
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
    async fn record_receipt(
        &mut self,
        id: OutboxMessageId,
        receipt: &DeliveryReceipt,
    ) -> Result<bool, StoreError> {
        let Some(key) = self.data.outbox_ids.get(&id).copied() else {
            return Ok(false);
        };
        if self.data.outbox_failed.contains_key(&key) {
            return Ok(true);
        }
        let pending = self.data.outbox.contains_key(&key);
        match receipt {
            DeliveryReceipt::Delivered if pending => {
                self.take(|d| &mut d.outbox, key);
            }
            DeliveryReceipt::Delivered => {}
            DeliveryReceipt::Failed(reason) => {
                if pending {
                    self.take(|d| &mut d.outbox, key);
                }
                let message =
                    self.data.outbox_log.get(&key.1).cloned().ok_or_else(|| {
                        StoreError::Corrupt("an outbox message lost its log".into())
                    })?;
                self.put(|d| &mut d.outbox_failed, key, (message, reason.clone()));
            }
        }
        Ok(true)
    }

    async fn erase_payload(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        let Some(key) = self.data.outbox_ids.get(&id).copied() else {
            return Err(StoreError::Conflict(format!("no outbox message {id}")));
        };
        let erase = |message: &OutboxMessage| OutboxMessage {
            payload: message.payload.erased(),
            ..message.clone()
        };
        if let Some(message) = self.data.outbox_log.get(&key.1).map(erase) {
            self.put(|d| &mut d.outbox_log, key.1, message);
        }
        if let Some(message) = self.data.outbox.get(&key).map(erase) {
            self.put(|d| &mut d.outbox, key, message);
        }
        if let Some((message, reason)) = self.data.outbox_failed.get(&key).cloned() {
            self.put(|d| &mut d.outbox_failed, key, (erase(&message), reason));
        }
        Ok(())
    }
}
