//! Calls sellers started (migrations 0034, 0037): each whole as a JSON document beside the
//! columns its lookups need — the enrollment (the history), the assignment (the performance
//! report), the PBX's call id (unique: its events find the call by it) and the start (the
//! order).

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{bound_ns, id_list, id_text, time_ns, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::call::Call;
use cube_domain::ids::{AssignmentId, CallId, EnrollmentId};
use cube_domain::ports::{CallRepository, CallWrites, StoreError};
use time::OffsetDateTime;

#[async_trait]
impl CallRepository for SqliteUnit {
    async fn call(&mut self, id: CallId) -> Result<Option<Call>, StoreError> {
        let query = sqlx::query("SELECT doc FROM calls WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "call").await
    }

    async fn call_by_provider_id(&mut self, provider_id: &str) -> Result<Option<Call>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM calls WHERE provider_id = ?").bind(provider_id.to_owned());
        fetch_doc(self.conn(), query, "call").await
    }

    async fn calls_of(&mut self, enrollment: EnrollmentId) -> Result<Vec<Call>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM calls WHERE enrollment_id = ? ORDER BY started_at, id")
                .bind(id_text(enrollment.as_uuid()));
        fetch_docs(self.conn(), query, "call").await
    }

    async fn calls_in(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Call>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM calls \
             WHERE assignment_id IN (SELECT value FROM json_each(?)) \
               AND started_at >= ? AND started_at < ? \
             ORDER BY started_at, id",
        )
        .bind(id_list(assignments.iter().map(AssignmentId::as_uuid)))
        .bind(bound_ns(from))
        .bind(bound_ns(to));
        fetch_docs(self.conn(), query, "call").await
    }

    async fn calls_after(
        &mut self,
        after: Option<CallId>,
        limit: u32,
    ) -> Result<Vec<Call>, StoreError> {
        // Ids are lower-case hyphenated UUIDs: their text order is their byte order.
        let query =
            sqlx::query("SELECT doc FROM calls WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2")
                .bind(after.map(|id| id_text(id.as_uuid())))
                .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "call").await
    }
}

#[async_trait]
impl CallWrites for SqliteUnit {
    async fn save_call(&mut self, call: &Call) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO calls (id, enrollment_id, provider_id, started_at, doc, assignment_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (id) DO UPDATE SET enrollment_id = ?2, provider_id = ?3, \
             started_at = ?4, doc = ?5, assignment_id = ?6",
        )
        .bind(id_text(call.id.as_uuid()))
        .bind(id_text(call.enrollment.as_uuid()))
        .bind(call.provider_id.clone())
        .bind(time_ns(call.started_at)?)
        .bind(to_doc("call", call)?)
        .bind(id_text(call.assignment.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
}
