//! Credentials (migration 0002): a user's password hash, upserted by user, and access tokens
//! keyed by the hash of the raw token, plain columns. A token whose hash exists is skipped by
//! `ON CONFLICT DO NOTHING` and answered with `Duplicate`, so the transaction is not aborted
//! and the unit stays usable (also when another transaction inserts the same hash at once:
//! the insert waits for it and then skips).

use crate::PgUnitOfWork;
use crate::codec::{get, get_json, parse_token_kind, token_kind_text};
use crate::error::store_error;
use async_trait::async_trait;
use cube_domain::access::User;
use cube_domain::ids::UserId;
use cube_domain::ports::CredentialWrites;
use cube_domain::ports::{AccessToken, CredentialRepository, StoreError, UniqueRule};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

/// The token and its user in one statement, outside any transaction (`Store::token_holder`).
pub(crate) async fn token_holder(
    pool: &PgPool,
    token_hash: &str,
) -> Result<Option<(AccessToken, User)>, StoreError> {
    let row = sqlx::query(
        "SELECT t.token_hash, t.user_id, t.kind, t.created_at, t.expires_at, u.data
         FROM access_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
    .map_err(store_error)?;
    row.map(|row| Ok((token_from_row(&row)?, get_json(&row, "data")?)))
        .transpose()
}

fn token_from_row(row: &PgRow) -> Result<AccessToken, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(AccessToken {
        token_hash: get(row, "token_hash")?,
        user: UserId::from_uuid(get(row, "user_id")?),
        kind: parse_token_kind(&kind)?,
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

#[async_trait]
impl CredentialRepository for PgUnitOfWork {
    async fn password_hash(&mut self, user: UserId) -> Result<Option<String>, StoreError> {
        let query =
            sqlx::query("SELECT hash FROM passwords WHERE user_id = $1").bind(user.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get(&row, "hash"))
            .transpose()
    }

    async fn token(&mut self, token_hash: &str) -> Result<Option<AccessToken>, StoreError> {
        // Expired or not: whether it still works is the caller's check.
        let query = sqlx::query(
            "SELECT token_hash, user_id, kind, created_at, expires_at FROM access_tokens
             WHERE token_hash = $1",
        )
        .bind(token_hash);
        self.fetch_optional(query)
            .await?
            .map(|row| token_from_row(&row))
            .transpose()
    }

    async fn tokens_of(&mut self, user: UserId) -> Result<Vec<AccessToken>, StoreError> {
        let query = sqlx::query(
            r#"SELECT token_hash, user_id, kind, created_at, expires_at FROM access_tokens
               WHERE user_id = $1 ORDER BY token_hash COLLATE "C""#,
        )
        .bind(user.as_uuid());
        self.fetch_all(query)
            .await?
            .iter()
            .map(token_from_row)
            .collect()
    }
}

#[async_trait]
impl CredentialWrites for PgUnitOfWork {
    async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO passwords (user_id, hash) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET hash = EXCLUDED.hash",
        )
        .bind(user.as_uuid())
        .bind(hash);
        self.execute(query).await?;
        Ok(())
    }
    async fn insert_token(&mut self, token: &AccessToken) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO access_tokens (token_hash, user_id, kind, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
        )
        .bind(token.token_hash.as_str())
        .bind(token.user.as_uuid())
        .bind(token_kind_text(token.kind))
        .bind(token.created_at)
        .bind(token.expires_at);
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::AccessTokenHash));
        }
        Ok(())
    }
    async fn delete_token(&mut self, token_hash: &str) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM access_tokens WHERE token_hash = $1").bind(token_hash);
        Ok(self.execute(query).await? > 0)
    }
    async fn delete_tokens_of(&mut self, user: UserId) -> Result<u64, StoreError> {
        let query =
            sqlx::query("DELETE FROM access_tokens WHERE user_id = $1").bind(user.as_uuid());
        self.execute(query).await
    }
}
