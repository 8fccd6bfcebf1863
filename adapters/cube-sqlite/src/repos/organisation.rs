//! Organisations, users and data owners: small aggregates stored as JSON documents, with
//! the columns their lookups, orderings and unique rules need (the login e-mail is unique
//! within an organisation whatever its case — an index on `(organisation_id, lower(email))`,
//! migration 0013 — so a second user of the organisation with it is `Duplicate`).

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::access::{Organisation, User};
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId, UserId};
use cube_domain::ports::{DataOwnerRepository, OrganisationRepository, StoreError, UserRepository};
use cube_domain::values::Email;

#[async_trait]
impl OrganisationRepository for SqliteUnit {
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM organisations WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "organisation").await
    }

    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO organisations (id, name, doc) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET name = ?2, doc = ?3",
        )
        .bind(id_text(organisation.id.as_uuid()))
        .bind(organisation.name.as_str().to_owned())
        .bind(to_doc("organisation", organisation)?);
        execute(self.conn(), query).await.map(drop)
    }
}

#[async_trait]
impl UserRepository for SqliteUnit {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        let query = sqlx::query("SELECT doc FROM users WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "user").await
    }

    async fn users_by_email(&mut self, email: &Email) -> Result<Vec<User>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM users WHERE lower(email) = ? ORDER BY organisation_id, id",
        )
        .bind(email.login_key());
        fetch_docs(self.conn(), query, "user").await
    }

    async fn save_user(&mut self, user: &User) -> Result<(), StoreError> {
        // Another user's e-mail (in any case) in the same organisation breaks
        // `users_organisation_login_key` → `Duplicate` (crate::error).
        let query = sqlx::query(
            "INSERT INTO users (id, organisation_id, name, email, doc) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET organisation_id = ?2, name = ?3, email = ?4, doc = ?5",
        )
        .bind(id_text(user.id.as_uuid()))
        .bind(id_text(user.organisation.as_uuid()))
        .bind(user.name.as_str().to_owned())
        .bind(user.email.as_str().to_owned())
        .bind(to_doc("user", user)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn users(&mut self, organisation: OrganisationId) -> Result<Vec<User>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM users WHERE organisation_id = ? ORDER BY name COLLATE BINARY, id",
        )
        .bind(id_text(organisation.as_uuid()));
        fetch_docs(self.conn(), query, "user").await
    }
}

#[async_trait]
impl DataOwnerRepository for SqliteUnit {
    async fn data_owner(&mut self, id: DataOwnerId) -> Result<Option<DataOwner>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM data_owners WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "data owner").await
    }

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
