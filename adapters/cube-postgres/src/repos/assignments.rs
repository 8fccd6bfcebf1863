//! Assignments, with their whole setup as `jsonb`.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get_json};
use crate::unit::Document;
use async_trait::async_trait;
use cube_domain::assignment::Assignment;
use cube_domain::ids::{AssignmentId, OrganisationId};
use cube_domain::ports::AssignmentWrites;
use cube_domain::ports::{AssignmentRepository, StoreError};
use sqlx::types::Json;

#[async_trait]
impl AssignmentRepository for PgUnitOfWork {
    async fn assignment(&mut self, id: AssignmentId) -> Result<Option<Assignment>, StoreError> {
        let query = sqlx::query("SELECT data, xmin::text AS xmin FROM assignments WHERE id = $1")
            .bind(id.as_uuid());
        // Before the unit's `BEGIN` if it is its first statement: "next customer" reads its
        // assignment, then begins with the reserve statement's settings (issue 19).
        let row = self.fetch_optional_unlocked(query).await?;
        self.note_read(Document::Assignment, id.as_uuid(), row.as_ref())?;
        row.map(|row| get_json(&row, "data")).transpose()
    }

    async fn assignments(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Assignment>, StoreError> {
        let query = sqlx::query(
            r#"SELECT data FROM assignments WHERE organisation_id = $1
               ORDER BY name COLLATE "C", id"#,
        )
        .bind(organisation.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl AssignmentWrites for PgUnitOfWork {
    async fn save_assignment(&mut self, assignment: &Assignment) -> Result<(), StoreError> {
        let id = assignment.id().as_uuid();
        let query = sqlx::query(
            "INSERT INTO assignments (id, organisation_id, data_owner_id, name, data)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
                 data_owner_id = EXCLUDED.data_owner_id, name = EXCLUDED.name,
                 data = EXCLUDED.data
             WHERE $6::text IS NULL OR assignments.xmin::text = $6
             RETURNING xmin::text AS xmin",
        )
        .bind(id)
        .bind(assignment.organisation().as_uuid())
        .bind(assignment.data_owner().as_uuid())
        .bind(assignment.name().as_str())
        .bind(Json(assignment))
        .bind(self.read_guard(Document::Assignment, id));
        self.write_document(Document::Assignment, id, query).await
    }
}
