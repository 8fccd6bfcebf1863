//! Card requests kept under their users' `Idempotency-Key`s (migration 0036): keyed by
//! (user, key), so a second request with one key meets the primary key.

use super::execute;
use crate::codec::{col, id_text, time_from_ns, time_ns};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::idempotency::{KeptRequest, RequestFingerprint, RequestKey};
use cube_domain::ids::UserId;
use cube_domain::ports::{RequestKeyRepository, RequestKeyWrites, StoreError};
use time::OffsetDateTime;

#[async_trait]
impl RequestKeyRepository for SqliteUnit {
    async fn kept_request(
        &mut self,
        user: UserId,
        key: &RequestKey,
    ) -> Result<Option<KeptRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT fingerprint, answer, made_at FROM request_keys \
             WHERE user_id = ? AND request_key = ?",
        )
        .bind(id_text(user.as_uuid()))
        .bind(key.as_str().to_owned())
        .fetch_optional(self.conn())
        .await
        .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(KeptRequest {
            user,
            key: key.clone(),
            fingerprint: RequestFingerprint::from_stored(col(&row, "fingerprint")?),
            answer: col(&row, "answer")?,
            at: time_from_ns(col(&row, "made_at")?)?,
        }))
    }
}

#[async_trait]
impl RequestKeyWrites for SqliteUnit {
    async fn keep_request(&mut self, request: &KeptRequest) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO request_keys (user_id, request_key, fingerprint, answer, made_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id_text(request.user.as_uuid()))
        .bind(request.key.as_str().to_owned())
        .bind(request.fingerprint.as_str().to_owned())
        .bind(request.answer.clone())
        .bind(time_ns(request.at)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn forget_request(&mut self, user: UserId, key: &RequestKey) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM request_keys WHERE user_id = ? AND request_key = ?")
            .bind(id_text(user.as_uuid()))
            .bind(key.as_str().to_owned());
        execute(self.conn(), query).await.map(drop)
    }

    async fn forget_requests_before(&mut self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let query =
            sqlx::query("DELETE FROM request_keys WHERE made_at < ?").bind(time_ns(before)?);
        execute(self.conn(), query).await
    }
}
