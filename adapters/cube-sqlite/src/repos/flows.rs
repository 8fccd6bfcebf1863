//! Flows: one draft per flow, and frozen published versions keyed by flow and version. A
//! published flow is validated again when its document is read back.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::ids::{DataOwnerId, FlowId};
use cube_domain::ports::FlowWrites;
use cube_domain::ports::{FlowRepository, StoreError};

#[async_trait]
impl FlowRepository for SqliteUnit {
    async fn flow_draft(&mut self, id: FlowId) -> Result<Option<FlowDraft>, StoreError> {
        let query = sqlx::query("SELECT doc FROM flow_drafts WHERE flow_id = ?")
            .bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "flow draft").await
    }

    async fn published_flow(
        &mut self,
        version: FlowVersion,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM published_flows WHERE flow_id = ? AND version = ?")
                .bind(id_text(version.flow.as_uuid()))
                .bind(i64::from(version.version));
        fetch_doc(self.conn(), query, "published flow").await
    }

    async fn latest_published_flow(
        &mut self,
        id: FlowId,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM published_flows WHERE flow_id = ? ORDER BY version DESC LIMIT 1",
        )
        .bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "published flow").await
    }

    async fn published_flows(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<PublishedFlow>, StoreError> {
        let query = sqlx::query(
            "SELECT p.doc FROM published_flows AS p \
             WHERE p.data_owner_id = ? \
               AND p.version = (SELECT MAX(q.version) FROM published_flows AS q \
                                WHERE q.flow_id = p.flow_id) \
             ORDER BY p.name COLLATE BINARY, p.flow_id",
        )
        .bind(id_text(owner.as_uuid()));
        fetch_docs(self.conn(), query, "published flow").await
    }

    async fn flow_drafts(&mut self, owner: DataOwnerId) -> Result<Vec<FlowDraft>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM flow_drafts WHERE data_owner_id = ? ORDER BY flow_id")
                .bind(id_text(owner.as_uuid()));
        fetch_docs(self.conn(), query, "flow draft").await
    }
}

#[async_trait]
impl FlowWrites for SqliteUnit {
    async fn save_flow_draft(&mut self, draft: &FlowDraft) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO flow_drafts (flow_id, data_owner_id, doc) VALUES (?1, ?2, ?3) \
             ON CONFLICT (flow_id) DO UPDATE SET data_owner_id = ?2, doc = ?3",
        )
        .bind(id_text(draft.id.as_uuid()))
        .bind(id_text(draft.data_owner.as_uuid()))
        .bind(to_doc("flow draft", draft)?);
        execute(self.conn(), query).await.map(drop)
    }
    async fn delete_flow_draft(&mut self, id: FlowId) -> Result<(), StoreError> {
        let query =
            sqlx::query("DELETE FROM flow_drafts WHERE flow_id = ?").bind(id_text(id.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
    async fn save_published_flow(&mut self, flow: &PublishedFlow) -> Result<(), StoreError> {
        // A plain INSERT: an existing version breaks the primary key → `Duplicate`.
        let version = flow.version();
        let query = sqlx::query(
            "INSERT INTO published_flows (flow_id, version, data_owner_id, name, doc) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_text(version.flow.as_uuid()))
        .bind(i64::from(version.version))
        .bind(id_text(flow.data_owner().as_uuid()))
        .bind(flow.name().as_str().to_owned())
        .bind(to_doc("published flow", flow)?);
        execute(self.conn(), query).await.map(drop)
    }
}
