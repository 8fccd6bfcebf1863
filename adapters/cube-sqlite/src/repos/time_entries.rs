//! Time entries: all columns, no document (a time entry is four values). A small
//! append-mostly table the use cases write beside their main change.

use super::execute;
use crate::codec::{bound_ns, col, id_list, id_text, opt_time_ns, parse_id, time_from_ns, time_ns};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, TimeEntryId, UserId};
use cube_domain::ports::TimeEntryWrites;
use cube_domain::ports::{StoreError, TimeEntryRepository};
use cube_domain::time_entry::TimeEntry;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

fn time_entry_from_row(row: &SqliteRow) -> Result<TimeEntry, StoreError> {
    let id: String = col(row, "id")?;
    let user: String = col(row, "user_id")?;
    let assignment: String = col(row, "assignment_id")?;
    let end: Option<i64> = col(row, "end_at")?;
    let id: TimeEntryId = parse_id(&id)?;
    TimeEntry::restore(
        id,
        parse_id(&user)?,
        parse_id(&assignment)?,
        time_from_ns(col(row, "start_at")?)?,
        end.map(time_from_ns).transpose()?,
    )
    .map_err(|e| StoreError::Corrupt(format!("time entry {id}: {e}")))
}

#[async_trait]
impl TimeEntryRepository for SqliteUnit {
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

    async fn time_entries_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<TimeEntryId>,
        limit: u32,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let assignment = id_text(assignment.as_uuid());
        let rows = match after {
            None => sqlx::query(
                "SELECT id, user_id, assignment_id, start_at, end_at FROM time_entries \
                 WHERE assignment_id = ? ORDER BY start_at, id LIMIT ?",
            )
            .bind(assignment)
            .bind(i64::from(limit))
            .fetch_all(self.conn())
            .await
            .map_err(store_error)?,
            Some(after) => {
                let cursor: Option<(i64, String)> = sqlx::query_as(
                    "SELECT start_at, id FROM time_entries WHERE id = ? AND assignment_id = ?",
                )
                .bind(id_text(after.as_uuid()))
                .bind(assignment.clone())
                .fetch_optional(self.conn())
                .await
                .map_err(store_error)?;
                let Some((start, id)) = cursor else {
                    return Ok(Vec::new());
                };
                // `start_at >= ?` alone bounds the range of `time_entries_by_assignment`.
                sqlx::query(
                    "SELECT id, user_id, assignment_id, start_at, end_at FROM time_entries \
                     WHERE assignment_id = ?1 AND start_at >= ?2 \
                       AND (start_at > ?2 OR id > ?3) ORDER BY start_at, id LIMIT ?4",
                )
                .bind(assignment)
                .bind(start)
                .bind(id)
                .bind(i64::from(limit))
                .fetch_all(self.conn())
                .await
                .map_err(store_error)?
            }
        };
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
impl TimeEntryWrites for SqliteUnit {
    async fn save_time_entry(&mut self, entry: &TimeEntry) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO time_entries (id, user_id, assignment_id, start_at, end_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET user_id = ?2, assignment_id = ?3, start_at = ?4, \
                end_at = ?5",
        )
        .bind(id_text(entry.id().as_uuid()))
        .bind(id_text(entry.user().as_uuid()))
        .bind(id_text(entry.assignment().as_uuid()))
        .bind(time_ns(entry.starts_at())?)
        .bind(opt_time_ns(entry.ends_at())?);
        execute(self.conn(), query).await.map(drop)
    }
}
