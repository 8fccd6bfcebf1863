//! Time and identity come from outside: the domain never reads the clock or a random
//! source, so tests can fix both.

use time::OffsetDateTime;
use uuid::Uuid;

/// The current time, in UTC.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// New unique ids (UUID v7 in production, so ids sort by creation time).
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A fresh id.
    fn next_id(&self) -> Uuid;
}
