//! Requests from the customer card made once under a client's `Idempotency-Key`
//! (`cube_domain::idempotency::KeptRequest`): a manual SMS or e-mail, a call. A double click
//! or a retried request under one key sends one message and rings once, and the retry gets
//! the first answer; the same key with another request is refused.
//!
//! The use case first looks the key up in its unit ([`Keyed::first_answer`]); a fresh
//! request does its work and keeps its answer in the same unit before committing
//! ([`Keyed::commit`]). Two requests racing with one key both miss the lookup; the store's
//! unique rule on (user, key) lets one commit, and the other, refused with
//! `Duplicate(RequestKey)`, rolls back its work and answers with the first request's answer.

use crate::{AppError, AppResult, Cube};
use cube_domain::idempotency::{KeptRequest, RequestFingerprint, RequestKey};
use cube_domain::ids::UserId;
use cube_domain::ports::{ReadUnit, StoreError, UniqueRule, UnitOfWork};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

/// A request made under a key: who made it, the key, and what it named.
#[derive(Debug, Clone)]
pub(crate) struct Keyed<'a> {
    user: UserId,
    key: &'a RequestKey,
    fingerprint: RequestFingerprint,
}

impl<'a> Keyed<'a> {
    /// `user`'s request `operation` naming `parts`, under `key` (`None`: no key was sent,
    /// and every request is new).
    pub(crate) fn new(
        user: UserId,
        key: Option<&'a RequestKey>,
        operation: &str,
        parts: &[&str],
    ) -> Option<Self> {
        key.map(|key| Self {
            user,
            key,
            fingerprint: RequestFingerprint::of_parts(operation, parts),
        })
    }

    /// The first answer when the user made this request under the key already; refused when
    /// the key was used for another request.
    pub(crate) async fn first_answer<T: DeserializeOwned>(
        keyed: Option<&Self>,
        uow: &mut dyn ReadUnit,
    ) -> AppResult<Option<T>> {
        let Some(keyed) = keyed else {
            return Ok(None);
        };
        let Some(kept) = uow.kept_request(keyed.user, keyed.key).await? else {
            return Ok(None);
        };
        kept.check_retry(&keyed.fingerprint)?;
        decode(&kept.answer).map(Some)
    }

    /// Keeps `answer` under the key in `uow` and commits. When another request with the key
    /// committed first, this unit's work is rolled back and the first answer returned.
    pub(crate) async fn commit<T: Serialize + DeserializeOwned>(
        cube: &Cube,
        keyed: Option<Self>,
        mut uow: Box<dyn UnitOfWork>,
        answer: T,
        now: OffsetDateTime,
    ) -> AppResult<T> {
        let Some(keyed) = keyed else {
            uow.commit().await?;
            return Ok(answer);
        };
        let encoded = serde_json::to_string(&answer)
            .map_err(|error| AppError::Store(StoreError::Corrupt(error.to_string())))?;
        let kept = KeptRequest {
            user: keyed.user,
            key: keyed.key.clone(),
            fingerprint: keyed.fingerprint.clone(),
            answer: encoded,
            at: now,
        };
        let stored = match uow.keep_request(&kept).await {
            Ok(()) => uow.commit().await,
            Err(error) => {
                drop(uow);
                Err(error)
            }
        };
        match stored {
            Ok(()) => Ok(answer),
            Err(StoreError::Duplicate(UniqueRule::RequestKey)) => {
                let mut read = cube.begin_read().await?;
                Self::first_answer(Some(&keyed), read.as_mut())
                    .await?
                    .ok_or(AppError::Store(StoreError::Conflict(
                        "a request with this Idempotency-Key raced this one; send it again".into(),
                    )))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Reads a kept answer back.
fn decode<T: DeserializeOwned>(answer: &str) -> AppResult<T> {
    serde_json::from_str(answer).map_err(|error| {
        AppError::Store(StoreError::Corrupt(format!(
            "a kept answer to an Idempotency-Key: {error}"
        )))
    })
}

impl Cube {
    /// Forgets card requests kept longer than `KEPT_REQUEST_DAYS`: a client retrying later
    /// sends again. A system task of the worker; how many it forgot.
    pub async fn forget_old_request_keys(&self) -> AppResult<u64> {
        let before = self.now() - time::Duration::days(cube_domain::idempotency::KEPT_REQUEST_DAYS);
        let mut uow = self.begin().await?;
        let forgotten = uow.forget_requests_before(before).await?;
        uow.commit().await?;
        Ok(forgotten)
    }
}
