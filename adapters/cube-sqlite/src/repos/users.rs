//! Users: JSON documents with the columns their lookups, orderings and unique rules need.
//! The login e-mail is unique within an organisation whatever its case — an index on
//! `(organisation_id, lower(email))`, migration 0013 — so a second user of the organisation
//! with it is `Duplicate`.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::access::User;
use cube_domain::ids::{OrganisationId, UserId};
use cube_domain::ports::UserWrites;
use cube_domain::ports::{StoreError, UserRepository};
use cube_domain::values::Email;

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

    async fn users(&mut self, organisation: OrganisationId) -> Result<Vec<User>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM users WHERE organisation_id = ? ORDER BY name COLLATE BINARY, id",
        )
        .bind(id_text(organisation.as_uuid()));
        fetch_docs(self.conn(), query, "user").await
    }
}

#[async_trait]
impl UserWrites for SqliteUnit {
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
}
