//! Data owners: the CRM side's owner of customers and products, `jsonb` beside its lookup
//! columns.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get_json};
use crate::unit::Document;
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, StoreError};
use sqlx::types::Json;

#[async_trait]
impl DataOwnerRepository for PgUnitOfWork {
    async fn data_owner(&mut self, id: DataOwnerId) -> Result<Option<DataOwner>, StoreError> {
        let query = sqlx::query("SELECT data, xmin::text AS xmin FROM data_owners WHERE id = $1")
            .bind(id.as_uuid());
        let row = self.fetch_optional(query).await?;
        self.note_read(Document::DataOwner, id.as_uuid(), row.as_ref())?;
        row.map(|row| get_json(&row, "data")).transpose()
    }

    async fn data_owners(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<DataOwner>, StoreError> {
        let query = sqlx::query(
            r#"SELECT data FROM data_owners WHERE organisation_id = $1
               ORDER BY name COLLATE "C", id"#,
        )
        .bind(organisation.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl DataOwnerWrites for PgUnitOfWork {
    async fn save_data_owner(&mut self, owner: &DataOwner) -> Result<(), StoreError> {
        let id = owner.id().as_uuid();
        let query = sqlx::query(
            "INSERT INTO data_owners (id, organisation_id, name, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
                 name = EXCLUDED.name, data = EXCLUDED.data
             WHERE $5::text IS NULL OR data_owners.xmin::text = $5
             RETURNING xmin::text AS xmin",
        )
        .bind(id)
        .bind(owner.organisation().as_uuid())
        .bind(owner.name().as_str())
        .bind(Json(owner))
        .bind(self.read_guard(Document::DataOwner, id));
        self.write_document(Document::DataOwner, id, query).await
    }
}
