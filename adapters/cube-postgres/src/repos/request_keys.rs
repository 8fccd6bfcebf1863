//! Card requests kept under their users' `Idempotency-Key`s (migration 0036): keyed by
//! (user, key), so two racing requests with one key meet on the primary key.

use crate::PgUnitOfWork;
use crate::codec::get;
use async_trait::async_trait;
use cube_domain::idempotency::{KeptRequest, RequestFingerprint, RequestKey};
use cube_domain::ids::UserId;
use cube_domain::ports::{RequestKeyRepository, RequestKeyWrites, StoreError};
use time::OffsetDateTime;

#[async_trait]
impl RequestKeyRepository for PgUnitOfWork {
    async fn kept_request(
        &mut self,
        user: UserId,
        key: &RequestKey,
    ) -> Result<Option<KeptRequest>, StoreError> {
        let query = sqlx::query(
            "SELECT fingerprint, answer, made_at FROM request_keys
             WHERE user_id = $1 AND request_key = $2",
        )
        .bind(user.as_uuid())
        .bind(key.as_str().to_owned());
        let Some(row) = self.fetch_optional(query).await? else {
            return Ok(None);
        };
        Ok(Some(KeptRequest {
            user,
            key: key.clone(),
            fingerprint: RequestFingerprint::from_stored(get(&row, "fingerprint")?),
            answer: get(&row, "answer")?,
            at: get(&row, "made_at")?,
        }))
    }
}

#[async_trait]
impl RequestKeyWrites for PgUnitOfWork {
    async fn keep_request(&mut self, request: &KeptRequest) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO request_keys (user_id, request_key, fingerprint, answer, made_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(request.user.as_uuid())
        .bind(request.key.as_str().to_owned())
        .bind(request.fingerprint.as_str().to_owned())
        .bind(request.answer.clone())
        .bind(request.at);
        // Guarded: a key taken (the unique violation the caller expects) leaves the unit
        // usable.
        self.execute_guarded(query).await.map(drop)
    }

    async fn forget_request(&mut self, user: UserId, key: &RequestKey) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM request_keys WHERE user_id = $1 AND request_key = $2")
            .bind(user.as_uuid())
            .bind(key.as_str().to_owned());
        self.execute(query).await.map(drop)
    }

    async fn forget_requests_before(&mut self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let query = sqlx::query("DELETE FROM request_keys WHERE made_at < $1").bind(before);
        self.execute(query).await
    }
}
