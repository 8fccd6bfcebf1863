//! Data owners: JSON documents with the columns their lookups and orderings need.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, StoreError};

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
}
