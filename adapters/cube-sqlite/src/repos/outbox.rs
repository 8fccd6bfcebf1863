//! The transactional outbox: the message as JSON, with its delivery bookkeeping (claimed or
//! deferred until `due_at`, failed attempts, delivered or failed with a reason). A small
//! append-mostly table the use cases write beside their main change.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{col, doc_of, id_list, id_text, opt_id_text, time_from_ns, time_ns, to_doc};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, EnrollmentId, OutboxMessageId};
use cube_domain::ports::OutboxWrites;
use cube_domain::ports::{
    ClaimedMessage, DeliveryReceipt, DeliveryState, FailedMessage, OutboxMessage, OutboxRepository,
    StoreError, StoredMessage,
};
use time::OffsetDateTime;

#[async_trait]
impl OutboxRepository for SqliteUnit {
    async fn pending_messages(&mut self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM outbox WHERE delivered = 0 AND failed_reason IS NULL \
             ORDER BY created_at, seq LIMIT ?",
        )
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "outbox message").await
    }

    async fn failed_messages(
        &mut self,
        assignments: &[AssignmentId],
        limit: u32,
    ) -> Result<Vec<FailedMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT doc, failed_reason FROM outbox WHERE failed_reason IS NOT NULL \
             AND assignment_id IN (SELECT value FROM json_each(?)) \
             ORDER BY created_at, seq LIMIT ?",
        )
        .bind(id_list(assignments.iter().map(|a| a.as_uuid())))
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(FailedMessage {
                    message: doc_of(row, "outbox message")?,
                    reason: col(row, "failed_reason")?,
                })
            })
            .collect()
    }

    async fn messages_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        // `seq` is the rowid: the enqueue order, one range a page. Without `after` from the
        // first; with an unknown one, none (the subquery is NULL).
        let rows = sqlx::query(
            "SELECT doc, attempts, due_at, delivered, failed_reason FROM outbox WHERE seq > \
               CASE WHEN ?1 IS NULL THEN -1 ELSE (SELECT seq FROM outbox WHERE id = ?1) END \
             ORDER BY seq LIMIT ?2",
        )
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter().map(stored_message).collect()
    }

    async fn messages_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT doc, attempts, due_at, delivered, failed_reason FROM outbox \
             WHERE enrollment_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
        )
        .bind(id_list(enrollments.iter().map(EnrollmentId::as_uuid)))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter().map(stored_message).collect()
    }
}

/// A row of `doc, attempts, due_at, delivered, failed_reason` as the message it keeps.
fn stored_message(row: &sqlx::sqlite::SqliteRow) -> Result<StoredMessage, StoreError> {
    let attempts: i64 = col(row, "attempts")?;
    let due_at: Option<i64> = col(row, "due_at")?;
    let delivered: i64 = col(row, "delivered")?;
    let failed: Option<String> = col(row, "failed_reason")?;
    let state = match failed {
        Some(reason) => DeliveryState::Failed { reason },
        None if delivered != 0 => DeliveryState::Delivered,
        None => DeliveryState::Pending {
            due_at: due_at.map(time_from_ns).transpose()?,
        },
    };
    Ok(StoredMessage {
        message: doc_of(row, "outbox message")?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        state,
    })
}

#[async_trait]
impl OutboxWrites for SqliteUnit {
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO outbox (id, assignment_id, enrollment_id, created_at, doc) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_text(message.id.as_uuid()))
        .bind(id_text(message.assignment.as_uuid()))
        .bind(opt_id_text(message.enrollment.map(|e| e.as_uuid())))
        .bind(time_ns(message.created_at)?)
        .bind(to_doc("outbox message", message)?);
        execute(self.conn(), query).await.map(drop)
    }
    async fn claim_messages(
        &mut self,
        limit: u32,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        // The unit holds SQLite's write lock from its start, so nobody claims in between.
        let rows = sqlx::query(
            "SELECT doc, attempts FROM outbox \
             WHERE delivered = 0 AND failed_reason IS NULL AND (due_at IS NULL OR due_at <= ?) \
             ORDER BY created_at, seq LIMIT ?",
        )
        .bind(time_ns(now)?)
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let message: OutboxMessage = doc_of(row, "outbox message")?;
            let attempts: i64 = col(row, "attempts")?;
            claimed.push(ClaimedMessage {
                message,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            });
        }
        let query = sqlx::query(
            "UPDATE outbox SET due_at = ? WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(time_ns(until)?)
        .bind(id_list(claimed.iter().map(|c| c.message.id.as_uuid())));
        execute(self.conn(), query).await?;
        Ok(claimed)
    }
    async fn mark_delivered(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        let query =
            sqlx::query("UPDATE outbox SET delivered = 1 WHERE id = ? AND failed_reason IS NULL")
                .bind(id_text(id.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
    async fn defer(
        &mut self,
        id: OutboxMessageId,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, due_at = ? \
             WHERE id = ? AND delivered = 0 AND failed_reason IS NULL",
        )
        .bind(time_ns(retry_at)?)
        .bind(id_text(id.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
    async fn mark_failed(&mut self, id: OutboxMessageId, reason: &str) -> Result<(), StoreError> {
        let query = sqlx::query(
            "UPDATE outbox SET failed_reason = ? \
             WHERE id = ? AND delivered = 0 AND failed_reason IS NULL",
        )
        .bind(reason.to_owned())
        .bind(id_text(id.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
    async fn record_receipt(
        &mut self,
        id: OutboxMessageId,
        receipt: &DeliveryReceipt,
    ) -> Result<bool, StoreError> {
        // A failed message keeps its first reason; `failed_reason` wins over `delivered`.
        let query = match receipt {
            DeliveryReceipt::Delivered => sqlx::query(
                "UPDATE outbox SET delivered = 1 WHERE id = ? AND failed_reason IS NULL",
            )
            .bind(id_text(id.as_uuid())),
            DeliveryReceipt::Failed(reason) => sqlx::query(
                "UPDATE outbox SET failed_reason = ? WHERE id = ? AND failed_reason IS NULL",
            )
            .bind(reason.clone())
            .bind(id_text(id.as_uuid())),
        };
        if execute(self.conn(), query).await? > 0 {
            return Ok(true);
        }
        let row = sqlx::query("SELECT 1 FROM outbox WHERE id = ?")
            .bind(id_text(id.as_uuid()))
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        Ok(row.is_some())
    }

    async fn erase_payload(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        let query = sqlx::query("SELECT doc FROM outbox WHERE id = ?").bind(id_text(id.as_uuid()));
        let Some(message) =
            fetch_doc::<OutboxMessage>(self.conn(), query, "outbox message").await?
        else {
            return Err(StoreError::Conflict(format!("no outbox message {id}")));
        };
        let erased = OutboxMessage {
            payload: message.payload.erased(),
            ..message
        };
        let query = sqlx::query("UPDATE outbox SET doc = ? WHERE id = ?")
            .bind(to_doc("outbox message", &erased)?)
            .bind(id_text(id.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
}
