//! Credentials (migration 0002): a user's password hash, upserted by user, and access tokens
//! keyed by the hash of the raw token, all columns and no document (a token is five values).
//! A second token with a hash that exists breaks the primary key → `Duplicate`
//! (`crate::error`); SQLite undoes only the failed statement, so the unit stays usable.

use super::execute;
use crate::codec::{
    col, doc_of, id_text, opt_time_ns, parse_id, parse_token_kind, time_from_ns, time_ns,
    token_kind_text,
};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::access::User;
use cube_domain::ids::UserId;
use cube_domain::ports::CredentialWrites;
use cube_domain::ports::{AccessToken, CredentialRepository, StoreError};
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteRow;

/// The token and its user in one statement on a reader, outside any transaction
/// (`Store::token_holder`).
pub(crate) async fn token_holder(
    pool: &SqlitePool,
    token_hash: &str,
) -> Result<Option<(AccessToken, User)>, StoreError> {
    let row = sqlx::query(
        "SELECT t.token_hash, t.user_id, t.kind, t.created_at, t.expires_at, u.doc \
         FROM access_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = ?",
    )
    .bind(token_hash.to_owned())
    .fetch_optional(pool)
    .await
    .map_err(store_error)?;
    row.map(|row| Ok((token_from_row(&row)?, doc_of(&row, "user")?)))
        .transpose()
}

fn token_from_row(row: &SqliteRow) -> Result<AccessToken, StoreError> {
    let user: String = col(row, "user_id")?;
    let kind: String = col(row, "kind")?;
    let expires_at: Option<i64> = col(row, "expires_at")?;
    Ok(AccessToken {
        token_hash: col(row, "token_hash")?,
        user: parse_id(&user)?,
        kind: parse_token_kind(&kind)?,
        created_at: time_from_ns(col(row, "created_at")?)?,
        expires_at: expires_at.map(time_from_ns).transpose()?,
    })
}

#[async_trait]
impl CredentialRepository for SqliteUnit {
    async fn password_hash(&mut self, user: UserId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT hash FROM passwords WHERE user_id = ?")
            .bind(id_text(user.as_uuid()))
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        row.map(|row| col(&row, "hash")).transpose()
    }

    async fn token(&mut self, token_hash: &str) -> Result<Option<AccessToken>, StoreError> {
        // Expired or not: whether it still works is the caller's check.
        let row = sqlx::query(
            "SELECT token_hash, user_id, kind, created_at, expires_at FROM access_tokens \
             WHERE token_hash = ?",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(self.conn())
        .await
        .map_err(store_error)?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn tokens_of(&mut self, user: UserId) -> Result<Vec<AccessToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT token_hash, user_id, kind, created_at, expires_at FROM access_tokens \
             WHERE user_id = ? ORDER BY token_hash",
        )
        .bind(id_text(user.as_uuid()))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter().map(token_from_row).collect()
    }
}

#[async_trait]
impl CredentialWrites for SqliteUnit {
    async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO passwords (user_id, hash) VALUES (?1, ?2) \
             ON CONFLICT (user_id) DO UPDATE SET hash = ?2",
        )
        .bind(id_text(user.as_uuid()))
        .bind(hash.to_owned());
        execute(self.conn(), query).await.map(drop)
    }
    async fn insert_token(&mut self, token: &AccessToken) -> Result<(), StoreError> {
        // A hash that exists breaks `access_tokens.token_hash` → `Duplicate` (crate::error).
        let query = sqlx::query(
            "INSERT INTO access_tokens (token_hash, user_id, kind, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token.token_hash.clone())
        .bind(id_text(token.user.as_uuid()))
        .bind(token_kind_text(token.kind))
        .bind(time_ns(token.created_at)?)
        .bind(opt_time_ns(token.expires_at)?);
        execute(self.conn(), query).await.map(drop)
    }
    async fn delete_token(&mut self, token_hash: &str) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM access_tokens WHERE token_hash = ?")
            .bind(token_hash.to_owned());
        Ok(execute(self.conn(), query).await? > 0)
    }
    async fn delete_tokens_of(&mut self, user: UserId) -> Result<u64, StoreError> {
        let query = sqlx::query("DELETE FROM access_tokens WHERE user_id = ?")
            .bind(id_text(user.as_uuid()));
        execute(self.conn(), query).await
    }
}
