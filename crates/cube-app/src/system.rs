//! The production clock and id generator. They live here, not in the domain, because the
//! domain never reads the clock or a random source.

use cube_domain::ports::{Clock, IdGenerator};
use time::OffsetDateTime;
use uuid::Uuid;

/// The system clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Now, truncated to whole microseconds: PostgreSQL keeps microseconds, so a time stored
    /// and read back compares equal to the one the use case held.
    fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }
}

/// UUID v7 ids: unique, and sorting by creation time (good for B-tree indexes).
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7;

impl IdGenerator for UuidV7 {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_keeps_whole_microseconds() {
        assert_eq!(SystemClock.now().nanosecond() % 1_000, 0);
    }

    #[test]
    fn v7_ids_are_unique_and_increasing() {
        let ids = UuidV7;
        let a = ids.next_id();
        let b = ids.next_id();
        assert_ne!(a, b);
        assert!(a < b);
        assert_eq!(a.get_version_num(), 7);
    }
}
