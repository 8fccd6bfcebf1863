//! Card requests kept under their users' `Idempotency-Key`s, by (user, key).

use super::MemoryUnit;
use async_trait::async_trait;
use cube_domain::idempotency::{KeptRequest, RequestKey};
use cube_domain::ids::UserId;
use cube_domain::ports::{RequestKeyRepository, RequestKeyWrites, StoreError, UniqueRule};
use time::OffsetDateTime;

#[async_trait]
impl RequestKeyRepository for MemoryUnit {
    async fn kept_request(
        &mut self,
        user: UserId,
        key: &RequestKey,
    ) -> Result<Option<KeptRequest>, StoreError> {
        Ok(self
            .data
            .request_keys
            .get(&(user, key.as_str().to_owned()))
            .cloned())
    }
}

#[async_trait]
impl RequestKeyWrites for MemoryUnit {
    async fn keep_request(&mut self, request: &KeptRequest) -> Result<(), StoreError> {
        let key = (request.user, request.key.as_str().to_owned());
        if self.data.request_keys.contains_key(&key) {
            return Err(StoreError::Duplicate(UniqueRule::RequestKey));
        }
        self.put(|d| &mut d.request_keys, key, request.clone());
        Ok(())
    }

    async fn forget_request(&mut self, user: UserId, key: &RequestKey) -> Result<(), StoreError> {
        self.take(|d| &mut d.request_keys, (user, key.as_str().to_owned()));
        Ok(())
    }

    async fn forget_requests_before(&mut self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let old: Vec<(UserId, String)> = self
            .data
            .request_keys
            .iter()
            .filter(|(_, kept)| kept.at < before)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &old {
            self.take(|d| &mut d.request_keys, key.clone());
        }
        Ok(old.len() as u64)
    }
}
