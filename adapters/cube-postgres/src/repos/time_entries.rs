//! Time entries: hours per user per assignment, plain columns.

use crate::PgUnitOfWork;
use crate::codec::get;
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, TimeEntryId, UserId};
use cube_domain::ports::TimeEntryWrites;
use cube_domain::ports::{StoreError, TimeEntryRepository};
use cube_domain::time_entry::TimeEntry;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn time_entry_from_row(row: &PgRow) -> Result<TimeEntry, StoreError> {
    let id = TimeEntryId::from_uuid(get(row, "id")?);
    TimeEntry::restore(
        id,
        UserId::from_uuid(get(row, "user_id")?),
        AssignmentId::from_uuid(get(row, "assignment_id")?),
        get(row, "starts_at")?,
        get(row, "ends_at")?,
    )
    .map_err(|e| StoreError::Corrupt(format!("time entry {id}: {e}")))
}

#[async_trait]
impl TimeEntryRepository for PgUnitOfWork {
    async fn running_time_entry(&mut self, user: UserId) -> Result<Option<TimeEntry>, StoreError> {
        let query = sqlx::query(
            "SELECT id, user_id, assignment_id, starts_at, ends_at FROM time_entries
             WHERE user_id = $1 AND ends_at IS NULL
             ORDER BY starts_at, id LIMIT 1",
        )
        .bind(user.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| time_entry_from_row(&row))
            .transpose()
    }

    async fn time_entries(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let assignments: Vec<Uuid> = assignments.iter().map(AssignmentId::as_uuid).collect();
        // Overlapping [from, to): a running entry overlaps from its start on.
        let query = sqlx::query(
            "SELECT id, user_id, assignment_id, starts_at, ends_at FROM time_entries
             WHERE assignment_id = ANY($1) AND starts_at < $3
               AND (ends_at IS NULL OR ends_at > $2)
             ORDER BY starts_at, id",
        )
        .bind(assignments)
        .bind(from)
        .bind(to);
        self.fetch_all(query)
            .await?
            .iter()
            .map(time_entry_from_row)
            .collect()
    }

    async fn user_time_entries_overlapping(
        &mut self,
        user: UserId,
        from: OffsetDateTime,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        // Starts before `to` (if any) and ends after `from` (a running entry has not ended).
        let query = sqlx::query(
            "SELECT id, user_id, assignment_id, starts_at, ends_at FROM time_entries
             WHERE user_id = $1 AND ($3::timestamptz IS NULL OR starts_at < $3)
               AND (ends_at IS NULL OR ends_at > $2)
             ORDER BY starts_at, id",
        )
        .bind(user.as_uuid())
        .bind(from)
        .bind(to);
        self.fetch_all(query)
            .await?
            .iter()
            .map(time_entry_from_row)
            .collect()
    }

    async fn time_entries_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<TimeEntryId>,
        limit: u32,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let rows = match after {
            None => {
                let query = sqlx::query(
                    "SELECT id, user_id, assignment_id, starts_at, ends_at FROM time_entries
                     WHERE assignment_id = $1 ORDER BY starts_at, id LIMIT $2",
                )
                .bind(assignment.as_uuid())
                .bind(i64::from(limit));
                self.fetch_all(query).await?
            }
            Some(after) => {
                let query = sqlx::query(
                    "SELECT starts_at FROM time_entries WHERE id = $1 AND assignment_id = $2",
                )
                .bind(after.as_uuid())
                .bind(assignment.as_uuid());
                let Some(cursor) = self.fetch_optional(query).await? else {
                    return Ok(Vec::new());
                };
                let start: OffsetDateTime = get(&cursor, "starts_at")?;
                // `starts_at >= $2` alone bounds the range of `time_entries_assignment`.
                let query = sqlx::query(
                    "SELECT id, user_id, assignment_id, starts_at, ends_at FROM time_entries
                     WHERE assignment_id = $1 AND starts_at >= $2
                       AND (starts_at > $2 OR id > $3)
                     ORDER BY starts_at, id LIMIT $4",
                )
                .bind(assignment.as_uuid())
                .bind(start)
                .bind(after.as_uuid())
                .bind(i64::from(limit));
                self.fetch_all(query).await?
            }
        };
        rows.iter().map(time_entry_from_row).collect()
    }
}

#[async_trait]
impl TimeEntryWrites for PgUnitOfWork {
    async fn save_time_entry(&mut self, entry: &TimeEntry) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO time_entries (id, user_id, assignment_id, starts_at, ends_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id,
                 assignment_id = EXCLUDED.assignment_id, starts_at = EXCLUDED.starts_at,
                 ends_at = EXCLUDED.ends_at",
        )
        .bind(entry.id().as_uuid())
        .bind(entry.user().as_uuid())
        .bind(entry.assignment().as_uuid())
        .bind(entry.starts_at())
        .bind(entry.ends_at());
        self.execute(query).await?;
        Ok(())
    }
}
