//! Calendars and meetings (JSON documents). A meeting keeps its start and end as integer
//! columns so the overlap check of a calendar and the meeting list of a window are index
//! range scans.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{bound_ns, id_list, id_text, opt_id_text, time_ns, to_doc};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, CalendarId, CustomerId, DataOwnerId, MeetingId};
use cube_domain::meeting::{Calendar, Meeting};
use cube_domain::ports::CalendarWrites;
use cube_domain::ports::{CalendarRepository, StoreError};
use time::OffsetDateTime;

#[async_trait]
impl CalendarRepository for SqliteUnit {
    async fn meetings_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Meeting>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM meetings WHERE customer_id = ? ORDER BY start_at, id")
                .bind(id_text(customer.as_uuid()));
        fetch_docs(self.conn(), query, "meeting").await
    }

    async fn calendar(&mut self, id: CalendarId) -> Result<Option<Calendar>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM calendars WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "calendar").await
    }

    async fn calendars(&mut self, owner: DataOwnerId) -> Result<Vec<Calendar>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM calendars WHERE data_owner_id = ? ORDER BY name COLLATE BINARY, id",
        )
        .bind(id_text(owner.as_uuid()));
        fetch_docs(self.conn(), query, "calendar").await
    }

    async fn meetings_in_calendar(
        &mut self,
        calendar: CalendarId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        // Overlap as `Meeting::overlaps`: start < to AND from < end.
        let query = sqlx::query(
            "SELECT doc FROM meetings WHERE calendar_id = ? AND start_at < ? AND end_at > ? \
             ORDER BY start_at, id",
        )
        .bind(id_text(calendar.as_uuid()))
        .bind(bound_ns(to))
        .bind(bound_ns(from));
        fetch_docs(self.conn(), query, "meeting").await
    }

    async fn meetings(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM meetings \
             WHERE assignment_id IN (SELECT value FROM json_each(?)) \
               AND start_at >= ? AND start_at < ? \
             ORDER BY start_at, id",
        )
        .bind(id_list(assignments.iter().map(|a| a.as_uuid())))
        .bind(bound_ns(from))
        .bind(bound_ns(to));
        fetch_docs(self.conn(), query, "meeting").await
    }

    async fn meeting(&mut self, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM meetings WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "meeting").await
    }

    async fn meetings_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<MeetingId>,
        limit: u32,
    ) -> Result<Vec<Meeting>, StoreError> {
        let assignment = id_text(assignment.as_uuid());
        let Some(after) = after else {
            let query = sqlx::query(
                "SELECT doc FROM meetings WHERE assignment_id = ? ORDER BY start_at, id LIMIT ?",
            )
            .bind(assignment)
            .bind(i64::from(limit));
            return fetch_docs(self.conn(), query, "meeting").await;
        };
        let cursor: Option<(i64, String)> =
            sqlx::query_as("SELECT start_at, id FROM meetings WHERE id = ? AND assignment_id = ?")
                .bind(id_text(after.as_uuid()))
                .bind(assignment.clone())
                .fetch_optional(self.conn())
                .await
                .map_err(store_error)?;
        let Some((start, id)) = cursor else {
            return Ok(Vec::new());
        };
        // `start_at >= ?` alone bounds the range of `meetings_by_assignment`.
        let query = sqlx::query(
            "SELECT doc FROM meetings WHERE assignment_id = ?1 AND start_at >= ?2 \
               AND (start_at > ?2 OR id > ?3) ORDER BY start_at, id LIMIT ?4",
        )
        .bind(assignment)
        .bind(start)
        .bind(id)
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "meeting").await
    }
}

#[async_trait]
impl CalendarWrites for SqliteUnit {
    async fn save_calendar(&mut self, calendar: &Calendar) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO calendars (id, data_owner_id, name, doc) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET data_owner_id = ?2, name = ?3, doc = ?4",
        )
        .bind(id_text(calendar.id.as_uuid()))
        .bind(id_text(calendar.data_owner.as_uuid()))
        .bind(calendar.name.as_str().to_owned())
        .bind(to_doc("calendar", calendar)?);
        execute(self.conn(), query).await.map(drop)
    }
    async fn insert_meeting(&mut self, meeting: &Meeting) -> Result<(), StoreError> {
        // A plain INSERT: an existing id breaks the primary key → `Duplicate`.
        let query = sqlx::query(
            "INSERT INTO meetings (id, calendar_id, assignment_id, enrollment_id, customer_id, \
                booked_by, start_at, end_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(meeting.id.as_uuid()))
        .bind(id_text(meeting.calendar.as_uuid()))
        .bind(id_text(meeting.assignment.as_uuid()))
        .bind(id_text(meeting.enrollment.as_uuid()))
        .bind(id_text(meeting.customer.as_uuid()))
        .bind(opt_id_text(meeting.booked_by.map(|u| u.as_uuid())))
        .bind(time_ns(meeting.start)?)
        .bind(time_ns(meeting.end)?)
        .bind(to_doc("meeting", meeting)?);
        execute(self.conn(), query).await.map(drop)
    }
    async fn delete_meeting(&mut self, id: MeetingId) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM meetings WHERE id = ?").bind(id_text(id.as_uuid()));
        if execute(self.conn(), query).await? == 0 {
            return Err(StoreError::Conflict(format!("no meeting {id} to delete")));
        }
        Ok(())
    }
}
