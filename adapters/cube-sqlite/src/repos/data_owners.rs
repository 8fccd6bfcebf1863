//! Data owners: JSON documents with the columns their lookups and orderings need; and
//! their privacy logs (migration 0027), each entry a JSON document in the order recorded.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, time_ns, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId, PrivacyRequestId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, StoreError};
use cube_domain::privacy::PrivacyRequest;

#[async_trait]
impl DataOwnerRepository for SqliteUnit {
    async fn data_owner(&mut self, id: DataOwnerId) -> Result<Option<DataOwner>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM data_owners WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "data owner").await
    }

    async fn data_owners(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<DataOwner>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM data_owners WHERE organisation_id = ? \
             ORDER BY name COLLATE BINARY, id",
        )
        .bind(id_text(organisation.as_uuid()));
        fetch_docs(self.conn(), query, "data owner").await
    }

    async fn privacy_log(&mut self, owner: DataOwnerId) -> Result<Vec<PrivacyRequest>, StoreError> {
        let query = sqlx::query("SELECT doc FROM privacy_log WHERE data_owner_id = ? ORDER BY seq")
            .bind(id_text(owner.as_uuid()));
        fetch_docs(self.conn(), query, "privacy log entry").await
    }

    async fn privacy_log_after(
        &mut self,
        after: Option<PrivacyRequestId>,
        limit: u32,
    ) -> Result<Vec<PrivacyRequest>, StoreError> {
        // Without `after` from the first; with an unknown one, none (the subquery is NULL).
        let query = sqlx::query(
            "SELECT doc FROM privacy_log WHERE seq > \
               CASE WHEN ?1 IS NULL THEN -1 ELSE (SELECT seq FROM privacy_log WHERE id = ?1) END \
             ORDER BY seq LIMIT ?2",
        )
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "privacy log entry").await
    }
}

#[async_trait]
impl DataOwnerWrites for SqliteUnit {
    async fn save_data_owner(&mut self, owner: &DataOwner) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO data_owners (id, organisation_id, name, doc) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET organisation_id = ?2, name = ?3, doc = ?4",
        )
        .bind(id_text(owner.id().as_uuid()))
        .bind(id_text(owner.organisation().as_uuid()))
        .bind(owner.name().as_str().to_owned())
        .bind(to_doc("data owner", owner)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn log_privacy_request(&mut self, request: &PrivacyRequest) -> Result<(), StoreError> {
        // A taken id breaks `privacy_log.id`: `Duplicate` (crate::error).
        let query =
            sqlx::query("INSERT INTO privacy_log (id, data_owner_id, at, doc) VALUES (?, ?, ?, ?)")
                .bind(id_text(request.id.as_uuid()))
                .bind(id_text(request.data_owner.as_uuid()))
                .bind(time_ns(request.at)?)
                .bind(to_doc("privacy log entry", request)?);
        execute(self.conn(), query).await.map(drop)
    }
}
