//! Time and identity chosen by the test: a clock that only moves when told to, and ids that
//! count up from a known number. The domain never reads either on its own, so with these two
//! every test run is the same run.

use cube_domain::ports::{Clock, IdGenerator};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A clock that stands still until `set` or `advance` moves it. Share it with `Arc`; every
/// holder sees the same time.
#[derive(Debug)]
pub struct FixedClock {
    // A std `Mutex`, not tokio's: it is held for one copy, never across an `.await`.
    now: Mutex<OffsetDateTime>,
}

impl FixedClock {
    /// A clock showing `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock to `now` (backwards too, if a test needs it).
    pub fn set(&self, now: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock on by `by` and returns the new time.
    pub fn advance(&self, by: Duration) -> OffsetDateTime {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
        *now
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        // A poisoned lock still holds a valid time: a panicking test thread cannot leave it
        // half-written, so reading through the poison is safe.
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ids counting up: `00000000-0000-0000-0000-000000000001`, `…02`, …. Later ids sort after
/// earlier ones, as UUID v7 ids do in production. Share it with `Arc`.
#[derive(Debug)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl SequentialIds {
    /// Ids from 1.
    pub fn new() -> Self {
        Self::starting_at(1)
    }

    /// Ids from `first` (so two generators in one store can be kept apart).
    pub fn starting_at(first: u64) -> Self {
        Self {
            next: AtomicU64::new(first),
        }
    }
}

impl Default for SequentialIds {
    fn default() -> Self {
        Self::new()
    }
}

impl IdGenerator for SequentialIds {
    fn next_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.next.fetch_add(1, Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_clock_moves_only_when_told() {
        let clock = FixedClock::new(datetime!(2025-03-03 08:00 UTC));
        assert_eq!(clock.now(), datetime!(2025-03-03 08:00 UTC));
        assert_eq!(
            clock.advance(Duration::minutes(90)),
            datetime!(2025-03-03 09:30 UTC)
        );
        clock.set(datetime!(2025-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2025-01-01 00:00 UTC));
    }

    #[test]
    fn ids_count_up_and_sort_in_creation_order() {
        let ids = SequentialIds::starting_at(41);
        let (a, b) = (ids.next_id(), ids.next_id());
        assert_eq!(a, Uuid::from_u128(41));
        assert!(a < b);
    }
}
