//! Idempotency keys of outcome registrations. A client that did not get an answer sends the
//! same request again with the same `Idempotency-Key`, and must get the first result instead
//! of a second registration. As payment APIs do, the key is stored with a fingerprint of the
//! request it came with, so a key reused for another request (another outcome, another
//! customer) is refused instead of silently answered with the first result; and a key
//! belongs to the user who sent it, so another user's key is never theirs to replay.
//!
//! The client's key is a [`RequestKey`], checked once where it comes in (the HTTP adapter
//! parses the header) and passed typed through the use case to the store.
//!
//! The same promise holds for what a user sends from the customer card — a manual SMS or
//! e-mail, a call the PBX places: a double click or a retried request under one key sends
//! one message and rings once. Those requests are kept as a [`KeptRequest`] (the first
//! answer, for a retry to get) for [`KEPT_REQUEST_DAYS`] days.

use crate::ids::{EnrollmentId, UserId};
use crate::outcome::{OutcomeEvent, RegisterOutcome};
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;

/// How long a manual send's or a call's key is kept: a client retrying later than this is
/// sending again.
pub const KEPT_REQUEST_DAYS: i64 = 2;

/// A client's `Idempotency-Key` as sent: 1 to [`RequestKey::MAX_LEN`] visible ASCII
/// characters (spaces inside allowed, around trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestKey(String);

/// A key that is empty, too long or not visible ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "the Idempotency-Key header must be 1 to {} visible ASCII characters",
    RequestKey::MAX_LEN
)]
pub struct RequestKeyError;

impl RequestKey {
    /// The longest key, in characters (bytes: they are ASCII).
    pub const MAX_LEN: usize = 200;

    /// Checks a key as the client sent it; surrounding spaces are not part of it.
    pub fn parse(text: &str) -> Result<Self, RequestKeyError> {
        let key = text.trim();
        let visible = key.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        if key.is_empty() || key.len() > Self::MAX_LEN || !visible {
            return Err(RequestKeyError);
        }
        Ok(Self(key.to_owned()))
    }

    /// The key's text, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SHA-256 of a registration request (the enrollment and the whole command), in hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    /// The fingerprint of registering `command` on `enrollment`: equal for equal requests,
    /// different when anything in them differs.
    pub fn of(enrollment: EnrollmentId, command: &RegisterOutcome) -> Self {
        #[derive(Serialize)]
        struct Request<'a> {
            enrollment: EnrollmentId,
            command: &'a RegisterOutcome,
        }
        // Serialising plain data to a `Vec` cannot fail; an empty text would only make
        // every such request look alike, never panic.
        let text = serde_json::to_vec(&Request {
            enrollment,
            command,
        })
        .unwrap_or_default();
        let digest = Sha256::digest(&text);
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The fingerprint of a card request (`operation`, e.g. `"sms"`, and what it names):
    /// equal for equal requests, different when anything differs.
    pub fn of_parts(operation: &str, parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(operation.as_bytes());
        for part in parts {
            // A length before each part: ("ab", "c") and ("a", "bc") differ.
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        Self(
            hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }

    /// A fingerprint as a store kept it.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The hex text, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client's idempotency key with the fingerprint of the request it came with; it is
/// stored with the event, scoped to the event's assignment and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The client's key.
    pub key: RequestKey,
    /// What it was sent with.
    pub fingerprint: RequestFingerprint,
}

/// An event found by its idempotency key, with the fingerprint stored with it (`None` for
/// events keyed before fingerprints were kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedEvent {
    /// The first registration under the key.
    pub event: OutcomeEvent,
    /// The fingerprint of its request.
    pub fingerprint: Option<RequestFingerprint>,
}

/// Why a request with a known key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IdempotencyError {
    /// The key was used for another customer.
    #[error(
        "this Idempotency-Key was already used for another customer; use a new key for a new registration"
    )]
    AnotherCustomer,
    /// The key was used with another request on this customer.
    #[error(
        "this Idempotency-Key was already used with a different request; send the same request to retry it, or use a new key"
    )]
    AnotherRequest,
}

impl KeyedEvent {
    /// Whether a request on `enrollment` with `fingerprint` is a retry of this one (`Ok`: answer
    /// with the first result) or a different request under the same key.
    pub fn check_retry(
        &self,
        enrollment: EnrollmentId,
        fingerprint: &RequestFingerprint,
    ) -> Result<(), IdempotencyError> {
        if self.event.enrollment() != enrollment {
            return Err(IdempotencyError::AnotherCustomer);
        }
        match &self.fingerprint {
            Some(first) if first != fingerprint => Err(IdempotencyError::AnotherRequest),
            _ => Ok(()),
        }
    }
}

/// A request a user made under an `Idempotency-Key` from the customer card (a manual SMS or
/// e-mail, a call), with its first answer: a retry with the key gets that answer, and
/// nothing is sent or rung twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRequest {
    /// Who sent it: a key is never another user's.
    pub user: UserId,
    /// The client's key.
    pub key: RequestKey,
    /// What it was sent with.
    pub fingerprint: RequestFingerprint,
    /// The first answer, as the use case encoded it (JSON); the store does not read it.
    pub answer: String,
    /// When it was made: kept [`KEPT_REQUEST_DAYS`] days.
    pub at: OffsetDateTime,
}

impl KeptRequest {
    /// Whether a request with `fingerprint` under this key is a retry (`Ok`: answer with the
    /// first answer) or another request under a used key.
    pub fn check_retry(&self, fingerprint: &RequestFingerprint) -> Result<(), IdempotencyError> {
        if &self.fingerprint == fingerprint {
            Ok(())
        } else {
            Err(IdempotencyError::AnotherRequest)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_request_fingerprints_tell_every_part_apart() {
        let sms = RequestFingerprint::of_parts("sms", &["e1", "tilbud"]);
        assert_eq!(sms, RequestFingerprint::of_parts("sms", &["e1", "tilbud"]));
        assert_ne!(
            sms,
            RequestFingerprint::of_parts("email", &["e1", "tilbud"])
        );
        assert_ne!(sms, RequestFingerprint::of_parts("sms", &["e2", "tilbud"]));
        assert_ne!(
            RequestFingerprint::of_parts("sms", &["ab", "c"]),
            RequestFingerprint::of_parts("sms", &["a", "bc"])
        );
        assert_eq!(sms.as_str().len(), 64);
        let kept = KeptRequest {
            user: UserId::from_uuid(uuid::Uuid::nil()),
            key: RequestKey::parse("k").expect("key"),
            fingerprint: sms.clone(),
            answer: "{}".into(),
            at: OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(kept.check_retry(&sms), Ok(()));
        assert_eq!(
            kept.check_retry(&RequestFingerprint::of_parts("sms", &["e1", "annen"])),
            Err(IdempotencyError::AnotherRequest)
        );
    }

    #[test]
    fn a_request_key_is_1_to_200_visible_ascii_characters() {
        assert_eq!(
            RequestKey::parse(" click-1 ").map(|k| k.0),
            Ok("click-1".into())
        );
        assert_eq!(RequestKey::parse("a b").map(|k| k.0), Ok("a b".into()));
        assert_eq!(
            RequestKey::parse(&"k".repeat(200)).map(|k| k.0.len()),
            Ok(200)
        );
        for bad in ["", "   ", &"k".repeat(201), "nøkkel", "tab\there", "nul\0"] {
            assert_eq!(RequestKey::parse(bad), Err(RequestKeyError), "{bad:?}");
        }
        assert_eq!(
            RequestKeyError.to_string(),
            "the Idempotency-Key header must be 1 to 200 visible ASCII characters"
        );
    }
}
