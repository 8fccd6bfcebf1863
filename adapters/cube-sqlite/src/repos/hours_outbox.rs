//! Time entries (all columns, no document: a time entry is four values) and the
//! transactional outbox (the message as JSON, with its delivery bookkeeping: claimed or
//! deferred until `due_at`, failed attempts, delivered or failed with a reason). Both are small
//! append-mostly tables the use cases write beside their main change.

use super::{execute, fetch_docs};
use crate::codec::{
    bound_ns, col, doc_of, id_list, id_text, opt_id_text, opt_time_ns, parse_id, time_from_ns,
    time_ns, to_doc,
};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, OutboxMessageId, UserId};
use cube_domain::ports::{
    ClaimedMessage, FailedMessage, OutboxMessage, OutboxRepository, StoreError, TimeEntryRepository,
};
use cube_domain::time_entry::TimeEntry;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

fn time_entry_from_row(row: &SqliteRow) -> Result<TimeEntry, StoreError> {
    let id: String = col(row, "id")?;
    let user: String = col(row, "user_id")?;
    let assignment: String = col(row, "assignment_id")?;
    let end: Option<i64> = col(row, "end_at")?;
    Ok(TimeEntry {
        id: parse_id(&id)?,
        user: parse_id(&user)?,
        assignment: parse_id(&assignment)?,
        start: time_from_ns(col(row, "start_at")?)?,
        end: end.map(time_from_ns).transpose()?,
    })
}

#[async_trait]
impl TimeEntryRepository for SqliteUnit {
    async fn save_time_entry(&mut self, entry: &TimeEntry) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO time_entries (id, user_id, assignment_id, start_at, end_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET user_id = ?2, assignment_id = ?3, start_at = ?4, \
                end_at = ?5",
        )
        .bind(id_text(entry.id.as_uuid()))
        .bind(id_text(entry.user.as_uuid()))
        .bind(id_text(entry.assignment.as_uuid()))
        .bind(time_ns(entry.start)?)
        .bind(opt_time_ns(entry.end)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn running_time_entry(&mut self, user: UserId) -> Result<Option<TimeEntry>, StoreError> {
        // Use cases stop the running entry before starting another; should two run, the
        // earliest started is the one to stop first.
        let row = sqlx::query(
            "SELECT id, user_id, assignment_id, start_at, end_at FROM time_entries \
             WHERE user_id = ? AND end_at IS NULL ORDER BY start_at, id LIMIT 1",
        )
        .bind(id_text(user.as_uuid()))
        .fetch_optional(self.conn())
        .await
        .map_err(store_error)?;
        row.as_ref().map(time_entry_from_row).transpose()
    }

    async fn time_entries(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        // Overlapping [from, to): starts before `to` and ends after `from` (a running entry
        // has not ended).
        let rows = sqlx::query(
            "SELECT id, user_id, assignment_id, start_at, end_at FROM time_entries \
             WHERE assignment_id IN (SELECT value FROM json_each(?)) \
               AND start_at < ? AND (end_at IS NULL OR end_at > ?) \
             ORDER BY start_at, id",
        )
        .bind(id_list(assignments.iter().map(|a| a.as_uuid())))
        .bind(bound_ns(to))
        .bind(bound_ns(from))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter().map(time_entry_from_row).collect()
    }

    async fn user_time_entries_overlapping(
        &mut self,
        user: UserId,
        from: OffsetDateTime,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        // Starts before `to` (if any) and ends after `from` (a running entry has not ended).
        let rows = sqlx::query(
            "SELECT id, user_id, assignment_id, start_at, end_at FROM time_entries \
             WHERE user_id = ?1 AND (?2 IS NULL OR start_at < ?2) \
               AND (end_at IS NULL OR end_at > ?3) \
             ORDER BY start_at, id",
        )
        .bind(id_text(user.as_uuid()))
        .bind(to.map(bound_ns))
        .bind(bound_ns(from))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter().map(time_entry_from_row).collect()
    }
}

#[async_trait]
impl OutboxRepository for SqliteUnit {
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

    async fn pending_messages(&mut self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM outbox WHERE delivered = 0 AND failed_reason IS NULL \
             ORDER BY created_at, seq LIMIT ?",
        )
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "outbox message").await
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
}
