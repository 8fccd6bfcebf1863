//! Requests kept under a client's `Idempotency-Key` (`crate::idempotency::KeptRequest`): a
//! manual SMS or e-mail, a call from the card. A retry with the key finds the first answer
//! here, and the unique rule on (user, key) stops two racing requests from both going out.

use crate::idempotency::{KeptRequest, RequestKey};
use crate::ids::UserId;
use crate::ports::StoreError;
use async_trait::async_trait;
use time::OffsetDateTime;

/// The requests users made under their keys.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait RequestKeyRepository: Send {
    /// The request `user` made under `key`, if it is kept; never another user's.
    async fn kept_request(
        &mut self,
        user: UserId,
        key: &RequestKey,
    ) -> Result<Option<KeptRequest>, StoreError>;
}

/// The writes of [`RequestKeyRepository`]: only a [`UnitOfWork`](crate::ports::UnitOfWork) has
/// them.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait RequestKeyWrites: Send {
    /// Keeps a request. MUST return `Duplicate(UniqueRule::RequestKey)` when its user kept a
    /// request under its key already (committed, or — on a store with concurrent writers —
    /// once the other writer commits): the caller answers with the first request's answer.
    async fn keep_request(&mut self, request: &KeptRequest) -> Result<(), StoreError>;
    /// Forgets the request `user` made under `key` (one that failed, so a retry with the key
    /// is a new attempt); nothing when there is none.
    async fn forget_request(&mut self, user: UserId, key: &RequestKey) -> Result<(), StoreError>;
    /// Forgets the requests made before `before`; how many it forgot.
    async fn forget_requests_before(&mut self, before: OffsetDateTime) -> Result<u64, StoreError>;
}
