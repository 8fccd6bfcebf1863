//! Data owners: the CRM side's owner of customers and products, `jsonb` beside its lookup
//! columns; and their privacy logs (migration 0027), each entry `jsonb` in the order
//! recorded.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get, get_json};
use crate::unit::Document;
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId, PrivacyRequestId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, RecordKind, StoreError, UniqueRule};
use cube_domain::privacy::{DoNotContact, PrivacyRequest, Salt};
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

    async fn do_not_contact_salt(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Option<Salt>, StoreError> {
        let query = sqlx::query("SELECT salt FROM do_not_contact WHERE data_owner_id = $1 LIMIT 1")
            .bind(owner.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get::<String>(&row, "salt").map(Salt::from_stored))
            .transpose()
    }

    async fn do_not_contact_listed(
        &mut self,
        owner: DataOwnerId,
        hashes: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let query = sqlx::query(
            "SELECT DISTINCT phone_hash FROM do_not_contact
             WHERE data_owner_id = $1 AND phone_hash = ANY($2::text[])",
        )
        .bind(owner.as_uuid())
        .bind(hashes.to_vec());
        self.fetch_all(query)
            .await?
            .iter()
            .map(|row| get(row, "phone_hash"))
            .collect()
    }

    async fn do_not_contact_after(
        &mut self,
        after: Option<(DataOwnerId, String)>,
        limit: u32,
    ) -> Result<Vec<DoNotContact>, StoreError> {
        let (owner, hash) = match after {
            Some((owner, hash)) => (Some(owner.as_uuid()), hash),
            None => (None, String::new()),
        };
        let query = sqlx::query(
            r#"SELECT data_owner_id, phone_hash, salt, listed_at FROM do_not_contact
               WHERE $1::uuid IS NULL OR (data_owner_id, phone_hash COLLATE "C") > ($1, $2)
               ORDER BY data_owner_id, phone_hash COLLATE "C" LIMIT $3"#,
        )
        .bind(owner)
        .bind(hash)
        .bind(i64::from(limit));
        self.fetch_all(query)
            .await?
            .iter()
            .map(|row| {
                Ok(DoNotContact {
                    data_owner: DataOwnerId::from_uuid(get(row, "data_owner_id")?),
                    phone_hash: get(row, "phone_hash")?,
                    salt: Salt::from_stored(get(row, "salt")?),
                    listed_at: get(row, "listed_at")?,
                })
            })
            .collect()
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

    async fn list_do_not_contact(&mut self, entry: &DoNotContact) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO do_not_contact (data_owner_id, phone_hash, salt, listed_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(entry.data_owner.as_uuid())
        .bind(entry.phone_hash.clone())
        .bind(entry.salt.as_str().to_owned())
        .bind(entry.listed_at);
        self.execute(query).await.map(drop)
    }
}
