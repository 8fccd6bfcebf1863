//! Users. The login e-mail is unique within an organisation: saving a user with the e-mail
//! of another user of the same organisation answers `Duplicate` (from the
//! `users_organisation_login_key` index) and leaves the unit of work usable.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get_json};
use async_trait::async_trait;
use cube_domain::access::User;
use cube_domain::ids::{OrganisationId, UserId};
use cube_domain::ports::UserWrites;
use cube_domain::ports::{StoreError, UserRepository};
use cube_domain::values::Email;
use sqlx::types::Json;

#[async_trait]
impl UserRepository for PgUnitOfWork {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        let query = sqlx::query("SELECT data FROM users WHERE id = $1").bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn users_by_email(&mut self, email: &Email) -> Result<Vec<User>, StoreError> {
        let query = sqlx::query(
            r#"SELECT data FROM users WHERE lower(email COLLATE "C") = $1
               ORDER BY organisation_id, id"#,
        )
        .bind(email.login_key());
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn users(&mut self, organisation: OrganisationId) -> Result<Vec<User>, StoreError> {
        let query = sqlx::query(
            r#"SELECT data FROM users WHERE organisation_id = $1 ORDER BY name COLLATE "C", id"#,
        )
        .bind(organisation.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl UserWrites for PgUnitOfWork {
    async fn save_user(&mut self, user: &User) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO users (id, organisation_id, name, email, data) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
                 name = EXCLUDED.name, email = EXCLUDED.email, data = EXCLUDED.data",
        )
        .bind(user.id.as_uuid())
        .bind(user.organisation.as_uuid())
        .bind(user.name.as_str())
        .bind(user.email.as_str())
        .bind(Json(user));
        // The e-mail may belong to another user: a unique violation on a column other than
        // the conflict target, so it runs in a savepoint.
        self.execute_guarded(query).await?;
        Ok(())
    }
}
