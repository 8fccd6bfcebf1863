//! How a report window `[from, to)` is read from outcome counters kept per UTC hour and per
//! UTC day (the SQL stores' rollups): its whole UTC days from the day counters, the whole
//! hours at its edges from the hour counters, and the partial hours at its very ends from the
//! events themselves. The pieces partition the window exactly, so their tallies merged are the
//! window's tally; a 30-day report reads about 30 day rows and 46 hour rows per key plus at
//! most two hours of events, whatever the size of the log.
//!
//! It lives in the domain because every store that keeps such counters must cut windows the
//! same way (PostgreSQL and SQLite both do); it is pure arithmetic on instants.

use time::OffsetDateTime;

/// A half-open span of time `[start, end)`; empty when `end <= start`.
pub type Span = (OffsetDateTime, OffsetDateTime);

/// An hour in nanoseconds: the hour counters' bucket width.
pub const HOUR_NS: i128 = 3_600_000_000_000;
/// A UTC day in nanoseconds: the day counters' bucket width.
pub const DAY_NS: i128 = 24 * HOUR_NS;

/// The pieces of a window. Empty pieces are `(t, t)`, which select nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPlan {
    /// Whole UTC days.
    pub days: Span,
    /// Whole hours before and after the days.
    pub hours: [Span; 2],
    /// What is left at the two ends: less than an hour each.
    pub raw: [Span; 2],
}

/// `t` rounded down to a multiple of `unit` nanoseconds since the epoch; `t` itself when
/// that instant cannot be represented.
fn floor(t: OffsetDateTime, unit: i128) -> OffsetDateTime {
    let ns = t.unix_timestamp_nanos();
    OffsetDateTime::from_unix_timestamp_nanos(ns.div_euclid(unit).saturating_mul(unit)).unwrap_or(t)
}

/// `t` rounded up to a multiple of `unit` nanoseconds; `t` itself when not representable.
fn ceil(t: OffsetDateTime, unit: i128) -> OffsetDateTime {
    let down = floor(t, unit);
    if down == t {
        return t;
    }
    OffsetDateTime::from_unix_timestamp_nanos(down.unix_timestamp_nanos().saturating_add(unit))
        .unwrap_or(t)
}

/// Splits `[from, to)` into days, edge hours and raw ends.
pub fn plan(from: OffsetDateTime, to: OffsetDateTime) -> WindowPlan {
    let none = (from, from);
    let mut plan = WindowPlan {
        days: none,
        hours: [none, none],
        raw: [none, none],
    };
    if to <= from {
        return plan;
    }
    let (first_hour, last_hour) = (ceil(from, HOUR_NS), floor(to, HOUR_NS));
    if first_hour >= last_hour {
        plan.raw[0] = (from, to);
        return plan;
    }
    plan.raw = [(from, first_hour), (last_hour, to)];
    let (first_day, last_day) = (ceil(from, DAY_NS), floor(to, DAY_NS));
    if first_day < last_day {
        plan.days = (first_day, last_day);
        plan.hours = [(first_hour, first_day), (last_day, last_hour)];
    } else {
        plan.hours[0] = (first_hour, last_hour);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn len(span: Span) -> i128 {
        (span.1 - span.0).whole_nanoseconds().max(0)
    }

    fn is_multiple(t: OffsetDateTime, unit: i128) -> bool {
        t.unix_timestamp_nanos().rem_euclid(unit) == 0
    }

    #[test]
    fn a_thirty_day_window_is_days_with_hours_and_minutes_at_its_ends() {
        let plan = plan(
            datetime!(2026-10-29 22:15:30 UTC),
            datetime!(2026-11-28 04:50:16.5 UTC),
        );
        assert_eq!(
            plan.days,
            (
                datetime!(2026-10-30 0:00 UTC),
                datetime!(2026-11-28 0:00 UTC)
            )
        );
        assert_eq!(
            plan.hours,
            [
                (
                    datetime!(2026-10-29 23:00 UTC),
                    datetime!(2026-10-30 0:00 UTC)
                ),
                (
                    datetime!(2026-11-28 0:00 UTC),
                    datetime!(2026-11-28 4:00 UTC)
                ),
            ]
        );
        assert_eq!(
            plan.raw,
            [
                (
                    datetime!(2026-10-29 22:15:30 UTC),
                    datetime!(2026-10-29 23:00 UTC)
                ),
                (
                    datetime!(2026-11-28 4:00 UTC),
                    datetime!(2026-11-28 04:50:16.5 UTC)
                ),
            ]
        );
    }

    #[test]
    fn a_window_inside_one_hour_is_read_raw() {
        let (from, to) = (
            datetime!(2026-11-28 04:10 UTC),
            datetime!(2026-11-28 04:50 UTC),
        );
        let plan = plan(from, to);
        assert_eq!(plan.raw[0], (from, to));
        assert_eq!(len(plan.days) + len(plan.hours[0]) + len(plan.raw[1]), 0);
    }

    #[test]
    fn an_empty_or_reversed_window_has_no_pieces() {
        let t = datetime!(2026-11-28 04:10 UTC);
        for plan in [plan(t, t), plan(t, t - time::Duration::hours(30))] {
            let pieces = [
                plan.days,
                plan.hours[0],
                plan.hours[1],
                plan.raw[0],
                plan.raw[1],
            ];
            assert!(pieces.iter().all(|p| len(*p) == 0));
        }
    }

    proptest! {
        /// The pieces are aligned, in order, and cover the window exactly once.
        #[test]
        fn the_pieces_partition_the_window(
            from in -2_000_000_000_000_000_000i128..4_000_000_000_000_000_000,
            length in 0i128..400 * DAY_NS,
        ) {
            let from = OffsetDateTime::from_unix_timestamp_nanos(from).expect("in range");
            let to = OffsetDateTime::from_unix_timestamp_nanos(from.unix_timestamp_nanos() + length)
                .expect("in range");
            let plan = plan(from, to);
            let ordered = [plan.raw[0], plan.hours[0], plan.days, plan.hours[1], plan.raw[1]];
            let mut at = from;
            for piece in ordered.into_iter().filter(|p| len(*p) > 0) {
                prop_assert_eq!(piece.0, at);
                at = piece.1;
            }
            prop_assert_eq!(at, if length > 0 { to } else { from });
            prop_assert!(len(plan.raw[0]) < HOUR_NS || len(plan.hours[0]) + len(plan.days) == 0);
            prop_assert!(len(plan.raw[1]) < HOUR_NS);
            if len(plan.days) > 0 {
                prop_assert!(is_multiple(plan.days.0, DAY_NS) && is_multiple(plan.days.1, DAY_NS));
            }
            for hours in plan.hours.into_iter().filter(|p| len(*p) > 0) {
                prop_assert!(is_multiple(hours.0, HOUR_NS) && is_multiple(hours.1, HOUR_NS));
            }
        }
    }
}
