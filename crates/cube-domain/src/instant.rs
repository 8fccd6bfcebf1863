//! The domain's time precision: **whole microseconds**. PostgreSQL keeps microseconds and
//! SQLite could keep nanoseconds, so a time finer than a microsecond compared differently in
//! each store (a window bound `…28.095173001Z` counted an event at `…28.095173Z` on one store
//! only; two meetings 0.4 µs apart were a clash on one and a double booking on the other).
//! Every time that comes in — the clock's now, a meeting, a follow-up, hours, a report
//! window — is truncated with [`truncate`] at the edge (the use cases), so every store sees
//! the same value and every comparison agrees. It is also put in UTC there: a meeting given
//! as `…T01:00:00+14:00` is kept and answered as `…T11:00:00Z` the day before, so every list
//! a client reads has one offset.

use time::{Duration, OffsetDateTime, UtcOffset};

/// Nanoseconds in a microsecond.
const NANOS_PER_MICRO: u32 = 1_000;

/// `at` in UTC, truncated to whole microseconds (towards the past, before 1970 too). An
/// instant that has no UTC date in the representable years keeps its offset (the bounds
/// checks refuse it after).
pub fn truncate(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at);
    // `nanosecond()` is the part within the second, never negative, so subtracting its
    // sub-microsecond rest always moves towards the past.
    at - Duration::nanoseconds(i64::from(at.nanosecond() % NANOS_PER_MICRO))
}

/// `at` as an error message shows it: RFC 3339 in UTC (`2026-12-07T09:00:00Z`), the form the
/// API answers times in, so a client can read the time in a refusal as it reads any other.
pub fn shown(at: &OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    at.checked_to_offset(UtcOffset::UTC)
        .unwrap_or(*at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// Whether `at` is already at the domain's precision.
pub fn is_truncated(at: OffsetDateTime) -> bool {
    at.nanosecond().is_multiple_of(NANOS_PER_MICRO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn an_error_shows_a_time_as_the_api_answers_it() {
        assert_eq!(
            shown(&datetime!(2026-12-07 10:00:00.5 +01:00)),
            "2026-12-07T09:00:00.5Z"
        );
        assert_eq!(
            shown(&datetime!(2026-12-07 09:00 UTC)),
            "2026-12-07T09:00:00Z"
        );
    }

    #[test]
    fn a_time_in_another_offset_comes_out_in_utc() {
        let given = datetime!(2026-12-09 01:00:00.000_000_7 +14:00);
        let kept = truncate(given);
        assert_eq!(kept.offset(), UtcOffset::UTC);
        assert_eq!(kept, datetime!(2026-12-08 11:00 UTC));
    }

    #[test]
    fn sub_microseconds_are_dropped_towards_the_past() {
        assert_eq!(
            truncate(datetime!(2026-12-04 10:00:00.000_000_500 UTC)),
            datetime!(2026-12-04 10:00:00 UTC)
        );
        assert_eq!(
            truncate(datetime!(2026-12-04 10:00:28.095_173_001 UTC)),
            datetime!(2026-12-04 10:00:28.095_173 UTC)
        );
        assert_eq!(
            truncate(datetime!(1969-12-31 23:59:59.999_999_999 UTC)),
            datetime!(1969-12-31 23:59:59.999_999 UTC)
        );
        let whole = datetime!(2026-12-04 10:00:28.095_173 UTC);
        assert_eq!(truncate(whole), whole);
        assert!(is_truncated(whole));
        assert!(!is_truncated(datetime!(2026-12-04 10:00:00.000_000_1 UTC)));
    }
}
