//! Calendars and meetings. Meetings keep their calendar, assignment and times in columns
//! for the overlap check and the meeting list; the whole `Meeting` is read back from
//! `jsonb`.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get, get_json};
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, CalendarId, CustomerId, DataOwnerId, MeetingId};
use cube_domain::meeting::{Calendar, Meeting};
use cube_domain::ports::CalendarWrites;
use cube_domain::ports::{CalendarRepository, RecordKind, StoreError, UniqueRule};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl CalendarRepository for PgUnitOfWork {
    async fn meetings_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Meeting>, StoreError> {
        // `meetings_customer` (migration 0027) is on this very expression.
        let query = sqlx::query(
            "SELECT data FROM meetings WHERE data ->> 'customer' = $1 ORDER BY starts_at, id",
        )
        .bind(customer.as_uuid().to_string());
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn calendar(&mut self, id: CalendarId) -> Result<Option<Calendar>, StoreError> {
        let query = sqlx::query("SELECT data FROM calendars WHERE id = $1").bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn calendars(&mut self, owner: DataOwnerId) -> Result<Vec<Calendar>, StoreError> {
        let query = sqlx::query(
            r#"SELECT data FROM calendars WHERE data_owner_id = $1 ORDER BY name COLLATE "C", id"#,
        )
        .bind(owner.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn meetings_in_calendar(
        &mut self,
        calendar: CalendarId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        let query = sqlx::query(
            "SELECT data FROM meetings
             WHERE calendar_id = $1 AND starts_at < $3 AND ends_at > $2
             ORDER BY starts_at, id",
        )
        .bind(calendar.as_uuid())
        .bind(from)
        .bind(to);
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn meetings(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        let assignments: Vec<Uuid> = assignments.iter().map(AssignmentId::as_uuid).collect();
        let query = sqlx::query(
            "SELECT data FROM meetings
             WHERE assignment_id = ANY($1) AND starts_at >= $2 AND starts_at < $3
             ORDER BY starts_at, id",
        )
        .bind(assignments)
        .bind(from)
        .bind(to);
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn meeting(&mut self, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
        let query = sqlx::query("SELECT data FROM meetings WHERE id = $1").bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn meetings_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<MeetingId>,
        limit: u32,
    ) -> Result<Vec<Meeting>, StoreError> {
        let Some(after) = after else {
            let query = sqlx::query(
                "SELECT data FROM meetings WHERE assignment_id = $1
                 ORDER BY starts_at, id LIMIT $2",
            )
            .bind(assignment.as_uuid())
            .bind(i64::from(limit));
            return all_json(&self.fetch_all(query).await?, "data");
        };
        let query =
            sqlx::query("SELECT starts_at FROM meetings WHERE id = $1 AND assignment_id = $2")
                .bind(after.as_uuid())
                .bind(assignment.as_uuid());
        let Some(cursor) = self.fetch_optional(query).await? else {
            return Ok(Vec::new());
        };
        let start: OffsetDateTime = get(&cursor, "starts_at")?;
        // `starts_at >= $2` alone bounds the range of `meetings_assignment`.
        let query = sqlx::query(
            "SELECT data FROM meetings WHERE assignment_id = $1 AND starts_at >= $2
               AND (starts_at > $2 OR id > $3)
             ORDER BY starts_at, id LIMIT $4",
        )
        .bind(assignment.as_uuid())
        .bind(start)
        .bind(after.as_uuid())
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl CalendarWrites for PgUnitOfWork {
    async fn save_calendar(&mut self, calendar: &Calendar) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO calendars (id, data_owner_id, name, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET data_owner_id = EXCLUDED.data_owner_id,
                 name = EXCLUDED.name, data = EXCLUDED.data",
        )
        .bind(calendar.id.as_uuid())
        .bind(calendar.data_owner.as_uuid())
        .bind(calendar.name.as_str())
        .bind(Json(calendar));
        self.execute(query).await?;
        Ok(())
    }
    async fn insert_meeting(&mut self, meeting: &Meeting) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO meetings (id, calendar_id, assignment_id, starts_at, ends_at, data)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT DO NOTHING",
        )
        .bind(meeting.id.as_uuid())
        .bind(meeting.calendar.as_uuid())
        .bind(meeting.assignment.as_uuid())
        .bind(meeting.start)
        .bind(meeting.end)
        .bind(Json(meeting));
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::Id(RecordKind::Meeting)));
        }
        Ok(())
    }
    async fn delete_meeting(&mut self, id: MeetingId) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM meetings WHERE id = $1").bind(id.as_uuid());
        if self.execute(query).await? == 0 {
            return Err(StoreError::Conflict(format!("no meeting {id} to delete")));
        }
        Ok(())
    }
}
