//! Data owners: the CRM side's owner of customers and products, `jsonb` beside its lookup
//! columns; and their privacy logs (migration 0027), each entry `jsonb` in the order
//! recorded.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get_json};
use crate::unit::Document;
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId, PrivacyRequestId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, RecordKind, StoreError, UniqueRule};
use cube_domain::privacy::PrivacyRequest;
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

    async fn privacy_log(&mut self, owner: DataOwnerId) -> Result<Vec<PrivacyRequest>, StoreError> {
        let query =
            sqlx::query("SELECT data FROM privacy_log WHERE data_owner_id = $1 ORDER BY seq")
                .bind(owner.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn privacy_log_after(
        &mut self,
        after: Option<PrivacyRequestId>,
        limit: u32,
    ) -> Result<Vec<PrivacyRequest>, StoreError> {
        // Without `after` from the first; with an unknown one, none (NULL subquery).
        let query = sqlx::query(
            "SELECT data FROM privacy_log WHERE seq >
                 CASE WHEN $1::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM privacy_log WHERE id = $1) END
             ORDER BY seq LIMIT $2",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(i64::from(limit));
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

    async fn log_privacy_request(&mut self, request: &PrivacyRequest) -> Result<(), StoreError> {
        // `ON CONFLICT DO NOTHING`: a duplicate is answered without failing the transaction.
        let query = sqlx::query(
            "INSERT INTO privacy_log (id, data_owner_id, at, data) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(request.id.as_uuid())
        .bind(request.data_owner.as_uuid())
        .bind(request.at)
        .bind(Json(request));
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::PrivacyRequest,
            )));
        }
        Ok(())
    }
}
