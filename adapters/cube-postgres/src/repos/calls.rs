//! Calls sellers started (migrations 0034, 0037): each whole as `jsonb` beside the columns its
//! lookups need — the enrollment (the history), the assignment (the performance report), the
//! PBX's call id (unique: its events find the call by it) and the start (the order).

use crate::PgUnitOfWork;
use crate::codec::{all_json, get_json};
use async_trait::async_trait;
use cube_domain::call::Call;
use cube_domain::ids::{AssignmentId, CallId, EnrollmentId};
use cube_domain::ports::{CallRepository, CallWrites, StoreError};
use sqlx::types::Json;
use time::OffsetDateTime;

#[async_trait]
impl CallRepository for PgUnitOfWork {
    async fn call(&mut self, id: CallId) -> Result<Option<Call>, StoreError> {
        let query = sqlx::query("SELECT data FROM calls WHERE id = $1").bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn call_by_provider_id(&mut self, provider_id: &str) -> Result<Option<Call>, StoreError> {
        let query = sqlx::query("SELECT data FROM calls WHERE provider_id = $1")
            .bind(provider_id.to_owned());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn calls_of(&mut self, enrollment: EnrollmentId) -> Result<Vec<Call>, StoreError> {
        let query =
            sqlx::query("SELECT data FROM calls WHERE enrollment_id = $1 ORDER BY started_at, id")
                .bind(enrollment.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn calls_in(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Call>, StoreError> {
        let assignments: Vec<uuid::Uuid> = assignments.iter().map(AssignmentId::as_uuid).collect();
        let query = sqlx::query(
            "SELECT data FROM calls
             WHERE assignment_id = ANY($1) AND started_at >= $2 AND started_at < $3
             ORDER BY started_at, id",
        )
        .bind(assignments)
        .bind(from)
        .bind(to);
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn calls_after(
        &mut self,
        after: Option<CallId>,
        limit: u32,
    ) -> Result<Vec<Call>, StoreError> {
        let query = sqlx::query(
            "SELECT data FROM calls WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl CallWrites for PgUnitOfWork {
    async fn save_call(&mut self, call: &Call) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO calls (id, enrollment_id, provider_id, started_at, data, assignment_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET enrollment_id = EXCLUDED.enrollment_id,
                 provider_id = EXCLUDED.provider_id, started_at = EXCLUDED.started_at,
                 data = EXCLUDED.data, assignment_id = EXCLUDED.assignment_id",
        )
        .bind(call.id.as_uuid())
        .bind(call.enrollment.as_uuid())
        .bind(call.provider_id.clone())
        .bind(call.started_at)
        .bind(Json(call))
        .bind(call.assignment.as_uuid());
        // Guarded: another call's provider id (a unique violation) leaves the unit usable.
        self.execute_guarded(query).await.map(drop)
    }
}
