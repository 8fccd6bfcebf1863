//! Flows: at most one draft per flow, and the frozen published versions. A published version
//! is written once (`Duplicate` if it exists) and validated again when read, because
//! `PublishedFlow`'s `Deserialize` publishes the stored draft anew.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get_json};
use crate::unit::Document;
use async_trait::async_trait;
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::ids::{DataOwnerId, FlowId};
use cube_domain::ports::FlowWrites;
use cube_domain::ports::{FlowRepository, StoreError, UniqueRule};
use sqlx::types::Json;

#[async_trait]
impl FlowRepository for PgUnitOfWork {
    async fn flow_draft(&mut self, id: FlowId) -> Result<Option<FlowDraft>, StoreError> {
        let query =
            sqlx::query("SELECT data, xmin::text AS xmin FROM flow_drafts WHERE flow_id = $1")
                .bind(id.as_uuid());
        let row = self.fetch_optional(query).await?;
        self.note_read(Document::FlowDraft, id.as_uuid(), row.as_ref())?;
        row.map(|row| get_json(&row, "data")).transpose()
    }

    async fn published_flow(
        &mut self,
        version: FlowVersion,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        let query =
            sqlx::query("SELECT data FROM published_flows WHERE flow_id = $1 AND version = $2")
                .bind(version.flow.as_uuid())
                .bind(i64::from(version.version));
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn latest_published_flow(
        &mut self,
        id: FlowId,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        let query = sqlx::query(
            "SELECT data FROM published_flows WHERE flow_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn published_flows(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<PublishedFlow>, StoreError> {
        let query = sqlx::query(
            r#"SELECT data FROM (
                   SELECT DISTINCT ON (flow_id) flow_id, name, data FROM published_flows
                   WHERE data_owner_id = $1 ORDER BY flow_id, version DESC
               ) latest
               ORDER BY name COLLATE "C", flow_id"#,
        )
        .bind(owner.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn flow_drafts(&mut self, owner: DataOwnerId) -> Result<Vec<FlowDraft>, StoreError> {
        // A list, like `data_owners`: the drafts' rows are not noted as read, so a write of
        // one after it is not guarded by this read.
        let query =
            sqlx::query("SELECT data FROM flow_drafts WHERE data_owner_id = $1 ORDER BY flow_id")
                .bind(owner.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl FlowWrites for PgUnitOfWork {
    async fn save_flow_draft(&mut self, draft: &FlowDraft) -> Result<(), StoreError> {
        let id = draft.id.as_uuid();
        let query = sqlx::query(
            "INSERT INTO flow_drafts (flow_id, data_owner_id, data) VALUES ($1, $2, $3)
             ON CONFLICT (flow_id) DO UPDATE SET data_owner_id = EXCLUDED.data_owner_id,
                 data = EXCLUDED.data
             WHERE $4::text IS NULL OR flow_drafts.xmin::text = $4
             RETURNING xmin::text AS xmin",
        )
        .bind(id)
        .bind(draft.data_owner.as_uuid())
        .bind(Json(draft))
        .bind(self.read_guard(Document::FlowDraft, id));
        self.write_document(Document::FlowDraft, id, query).await
    }
    async fn delete_flow_draft(&mut self, id: FlowId) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM flow_drafts WHERE flow_id = $1").bind(id.as_uuid());
        self.execute(query).await?;
        self.note_deleted(Document::FlowDraft, id.as_uuid());
        Ok(())
    }
    async fn save_published_flow(&mut self, flow: &PublishedFlow) -> Result<(), StoreError> {
        let version = flow.version();
        let query = sqlx::query(
            "INSERT INTO published_flows (flow_id, version, data_owner_id, name, data)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
        )
        .bind(version.flow.as_uuid())
        .bind(i64::from(version.version))
        .bind(flow.data_owner().as_uuid())
        .bind(flow.name().as_str())
        .bind(Json(flow));
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::PublishedFlowVersion));
        }
        Ok(())
    }
}
