//! Assignments, with their whole setup as one JSON document.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::assignment::Assignment;
use cube_domain::ids::{AssignmentId, OrganisationId};
use cube_domain::ports::AssignmentWrites;
use cube_domain::ports::{AssignmentRepository, StoreError};

#[async_trait]
impl AssignmentRepository for SqliteUnit {
    async fn assignment(&mut self, id: AssignmentId) -> Result<Option<Assignment>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM assignments WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "assignment").await
    }

    async fn assignments(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Assignment>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM assignments WHERE organisation_id = ? \
             ORDER BY name COLLATE BINARY, id",
        )
        .bind(id_text(organisation.as_uuid()));
        fetch_docs(self.conn(), query, "assignment").await
    }
}

#[async_trait]
impl AssignmentWrites for SqliteUnit {
    async fn save_assignment(&mut self, assignment: &Assignment) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO assignments (id, organisation_id, data_owner_id, name, doc) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET organisation_id = ?2, data_owner_id = ?3, \
                name = ?4, doc = ?5",
        )
        .bind(id_text(assignment.id().as_uuid()))
        .bind(id_text(assignment.organisation().as_uuid()))
        .bind(id_text(assignment.data_owner().as_uuid()))
        .bind(assignment.name().as_str().to_owned())
        .bind(to_doc("assignment", assignment)?);
        execute(self.conn(), query).await.map(drop)
    }
}
