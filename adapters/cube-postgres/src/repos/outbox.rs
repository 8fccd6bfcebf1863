//! The transactional outbox: messages enqueued in the unit of work that caused them,
//! delivered by a worker after commit. The whole `OutboxMessage` is `jsonb`, beside its
//! delivery bookkeeping: claimed or deferred until `due_at`, failed attempts, delivered or
//! failed with a reason.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get, get_json};
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, EnrollmentId, OutboxMessageId};
use cube_domain::ports::OutboxWrites;
use cube_domain::ports::{
    ClaimedMessage, DeliveryReceipt, DeliveryState, FailedMessage, OutboxMessage, OutboxRepository,
    RecordKind, StoreError, StoredMessage, UniqueRule,
};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl OutboxRepository for PgUnitOfWork {
    async fn pending_messages(&mut self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        let query = sqlx::query(
            "SELECT message FROM outbox WHERE delivered_at IS NULL AND failed_reason IS NULL
             ORDER BY created_at, seq LIMIT $1",
        )
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "message")
    }

    async fn failed_messages(
        &mut self,
        assignments: &[AssignmentId],
        limit: u32,
    ) -> Result<Vec<FailedMessage>, StoreError> {
        let ids: Vec<Uuid> = assignments.iter().map(|a| a.as_uuid()).collect();
        let query = sqlx::query(
            "SELECT message, failed_reason FROM outbox
             WHERE failed_reason IS NOT NULL AND assignment_id = ANY($1)
             ORDER BY created_at, seq LIMIT $2",
        )
        .bind(ids)
        .bind(i64::from(limit));
        let rows = self.fetch_all(query).await?;
        rows.iter()
            .map(|row| {
                Ok(FailedMessage {
                    message: get_json(row, "message")?,
                    reason: get(row, "failed_reason")?,
                })
            })
            .collect()
    }

    async fn messages_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        // `seq` is the enqueue order (`outbox_seq`, migration 0016), one range a page.
        // Without `after` from the first; with an unknown one, none (NULL subquery).
        let query = sqlx::query(
            "SELECT message, attempts, due_at, delivered_at IS NOT NULL AS delivered,
                    failed_reason
             FROM outbox WHERE seq >
                 CASE WHEN $1::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM outbox WHERE id = $1) END
             ORDER BY seq LIMIT $2",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(i64::from(limit));
        let rows = self.fetch_all(query).await?;
        rows.iter().map(stored_message).collect()
    }

    async fn messages_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        // `outbox_enrollment` (migration 0027) is on this very expression.
        let ids: Vec<String> = enrollments
            .iter()
            .map(|e| e.as_uuid().to_string())
            .collect();
        let query = sqlx::query(
            "SELECT message, attempts, due_at, delivered_at IS NOT NULL AS delivered,
                    failed_reason
             FROM outbox WHERE message ->> 'enrollment' = ANY($1::text[])
             ORDER BY seq",
        )
        .bind(ids);
        let rows = self.fetch_all(query).await?;
        rows.iter().map(stored_message).collect()
    }
}

/// A row of `message, attempts, due_at, delivered, failed_reason` as the message it keeps.
fn stored_message(row: &sqlx::postgres::PgRow) -> Result<StoredMessage, StoreError> {
    let attempts: i32 = get(row, "attempts")?;
    let state = match get::<Option<String>>(row, "failed_reason")? {
        Some(reason) => DeliveryState::Failed { reason },
        None if get::<bool>(row, "delivered")? => DeliveryState::Delivered,
        None => DeliveryState::Pending {
            due_at: get(row, "due_at")?,
        },
    };
    Ok(StoredMessage {
        message: get_json(row, "message")?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        state,
    })
}

#[async_trait]
impl OutboxWrites for PgUnitOfWork {
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO outbox (id, assignment_id, created_at, message) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(message.id.as_uuid())
        .bind(message.assignment.as_uuid())
        .bind(message.created_at)
        .bind(Json(message));
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::OutboxMessage,
            )));
        }
        Ok(())
    }
    async fn claim_messages(
        &mut self,
        limit: u32,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        // Rows another round has locked are skipped, not waited for; the new due time keeps
        // them out of other rounds after this unit commits.
        let query = sqlx::query(
            "WITH due AS (
                 SELECT id FROM outbox
                 WHERE delivered_at IS NULL AND failed_reason IS NULL
                   AND (due_at IS NULL OR due_at <= $1)
                 ORDER BY created_at, seq LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             UPDATE outbox o SET due_at = $3 FROM due WHERE o.id = due.id
             RETURNING o.message, o.attempts, o.created_at, o.seq",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(until);
        let rows = self.fetch_all(query).await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let created_at: OffsetDateTime = get(row, "created_at")?;
            let seq: i64 = get(row, "seq")?;
            let attempts: i32 = get(row, "attempts")?;
            let message: OutboxMessage = get_json(row, "message")?;
            claimed.push((
                (created_at, seq),
                ClaimedMessage {
                    message,
                    attempts: u32::try_from(attempts).unwrap_or(0),
                },
            ));
        }
        // RETURNING does not keep the CTE's order.
        claimed.sort_by_key(|(key, _)| *key);
        Ok(claimed.into_iter().map(|(_, c)| c).collect())
    }
    async fn mark_delivered(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        // The delivery time is the store's bookkeeping, not a domain value: the database's
        // clock is good enough here.
        let query = sqlx::query(
            "UPDATE outbox SET delivered_at = now()
             WHERE id = $1 AND delivered_at IS NULL AND failed_reason IS NULL",
        )
        .bind(id.as_uuid());
        self.execute(query).await?;
        Ok(())
    }
    async fn defer(
        &mut self,
        id: OutboxMessageId,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, due_at = $2
             WHERE id = $1 AND delivered_at IS NULL AND failed_reason IS NULL",
        )
        .bind(id.as_uuid())
        .bind(retry_at);
        self.execute(query).await?;
        Ok(())
    }
    async fn mark_failed(&mut self, id: OutboxMessageId, reason: &str) -> Result<(), StoreError> {
        let query = sqlx::query(
            "UPDATE outbox SET failed_reason = $2, failed_at = now()
             WHERE id = $1 AND delivered_at IS NULL AND failed_reason IS NULL",
        )
        .bind(id.as_uuid())
        .bind(reason);
        self.execute(query).await?;
        Ok(())
    }
    async fn record_receipt(
        &mut self,
        id: OutboxMessageId,
        receipt: &DeliveryReceipt,
    ) -> Result<bool, StoreError> {
        // A failed message keeps its first reason; `failed_reason` wins over `delivered_at`.
        let query = match receipt {
            DeliveryReceipt::Delivered => sqlx::query(
                "UPDATE outbox SET delivered_at = COALESCE(delivered_at, now())
                 WHERE id = $1 AND failed_reason IS NULL",
            )
            .bind(id.as_uuid()),
            DeliveryReceipt::Failed(reason) => sqlx::query(
                "UPDATE outbox SET failed_reason = $2, failed_at = now()
                 WHERE id = $1 AND failed_reason IS NULL",
            )
            .bind(id.as_uuid())
            .bind(reason.clone()),
        };
        if self.execute(query).await? > 0 {
            return Ok(true);
        }
        let query = sqlx::query("SELECT 1 AS found FROM outbox WHERE id = $1").bind(id.as_uuid());
        Ok(self.fetch_optional(query).await?.is_some())
    }

    async fn erase_payload(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        let query = sqlx::query("SELECT message FROM outbox WHERE id = $1").bind(id.as_uuid());
        let Some(row) = self.fetch_optional(query).await? else {
            return Err(StoreError::Conflict(format!("no outbox message {id}")));
        };
        let message: OutboxMessage = get_json(&row, "message")?;
        let erased = OutboxMessage {
            payload: message.payload.erased(),
            ..message
        };
        let query = sqlx::query("UPDATE outbox SET message = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(Json(erased));
        self.execute(query).await.map(drop)
    }
}
