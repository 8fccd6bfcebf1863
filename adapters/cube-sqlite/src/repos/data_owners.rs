//! Data owners: JSON documents with the columns their lookups and orderings need; and
//! their privacy logs (migration 0027), each entry a JSON document in the order recorded.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{col, id_text, parse_id, time_from_ns, time_ns, to_doc};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId, PrivacyRequestId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, StoreError};
use cube_domain::privacy::{DoNotContact, PrivacyRequest, Salt};

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

    async fn do_not_contact_salt(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Option<Salt>, StoreError> {
        let salt: Option<(String,)> =
            sqlx::query_as("SELECT salt FROM do_not_contact WHERE data_owner_id = ? LIMIT 1")
                .bind(id_text(owner.as_uuid()))
                .fetch_optional(self.conn())
                .await
                .map_err(store_error)?;
        Ok(salt.map(|(salt,)| Salt::from_stored(salt)))
    }

    async fn do_not_contact_listed(
        &mut self,
        owner: DataOwnerId,
        hashes: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let hashes = serde_json::to_string(hashes)
            .map_err(|e| StoreError::Unrepresentable(format!("hashes: {e}")))?;
        let listed: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT phone_hash FROM do_not_contact WHERE data_owner_id = ? \
               AND phone_hash IN (SELECT value FROM json_each(?))",
        )
        .bind(id_text(owner.as_uuid()))
        .bind(hashes)
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        Ok(listed.into_iter().map(|(hash,)| hash).collect())
    }

    async fn do_not_contact_after(
        &mut self,
        after: Option<(DataOwnerId, String)>,
        limit: u32,
    ) -> Result<Vec<DoNotContact>, StoreError> {
        let (owner, hash) = match after {
            Some((owner, hash)) => (Some(id_text(owner.as_uuid())), hash),
            None => (None, String::new()),
        };
        let rows = sqlx::query(
            "SELECT data_owner_id, phone_hash, salt, listed_at FROM do_not_contact \
             WHERE ?1 IS NULL OR (data_owner_id, phone_hash) > (?1, ?2) \
             ORDER BY data_owner_id, phone_hash LIMIT ?3",
        )
        .bind(owner)
        .bind(hash)
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let owner: String = col(row, "data_owner_id")?;
                Ok(DoNotContact {
                    data_owner: parse_id(&owner)?,
                    phone_hash: col(row, "phone_hash")?,
                    salt: Salt::from_stored(col(row, "salt")?),
                    listed_at: time_from_ns(col(row, "listed_at")?)?,
                })
            })
            .collect()
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

    async fn list_do_not_contact(&mut self, entry: &DoNotContact) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO do_not_contact (data_owner_id, phone_hash, salt, listed_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(id_text(entry.data_owner.as_uuid()))
        .bind(entry.phone_hash.clone())
        .bind(entry.salt.as_str().to_owned())
        .bind(time_ns(entry.listed_at)?);
        execute(self.conn(), query).await.map(drop)
    }
}
