//! The window of times Cube accepts from its users: 1900-01-01 up to (not including)
//! 2200-01-01, UTC. A follow-up in year 9999 or a time entry in year 1 is a typing mistake,
//! not a plan, and no store must be asked to hold it (SQLite keeps times as i64 unix
//! nanoseconds, which end in 2262). Every command that carries a time or a date checks it
//! here and names the field it came in, so both stores refuse it alike, before any write.

use thiserror::Error;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

/// The first instant accepted: 1900-01-01T00:00:00Z.
pub const EARLIEST: OffsetDateTime = datetime!(1900-01-01 0:00 UTC);
/// The first instant no longer accepted: 2200-01-01T00:00:00Z.
pub const END: OffsetDateTime = datetime!(2200-01-01 0:00 UTC);
/// The first date accepted.
pub const EARLIEST_DATE: Date = date!(1900 - 01 - 01);
/// The last date accepted.
pub const LATEST_DATE: Date = date!(2199 - 12 - 31);

/// A time or date outside the accepted window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "`{field}` must be between 1900-01-01 and 2199-12-31 (UTC), got a time in year {year}; check the year"
)]
pub struct TimeOutOfBounds {
    /// The field the time came in (`follow_up_at`, `meeting.start`, `visibility.from`, ...).
    pub field: &'static str,
    /// The year given.
    pub year: i32,
}

/// `time` if it lies in the accepted window, else which field was out of bounds.
pub fn checked_time(
    field: &'static str,
    time: OffsetDateTime,
) -> Result<OffsetDateTime, TimeOutOfBounds> {
    if (EARLIEST..END).contains(&time) {
        Ok(time)
    } else {
        Err(TimeOutOfBounds {
            field,
            year: time.to_offset(time::UtcOffset::UTC).year(),
        })
    }
}

/// `date` if it lies in the accepted window, else which field was out of bounds.
pub fn checked_date(field: &'static str, date: Date) -> Result<Date, TimeOutOfBounds> {
    if (EARLIEST_DATE..=LATEST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(TimeOutOfBounds {
            field,
            year: date.year(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_inside_the_window_pass_and_outside_name_the_field() {
        for ok in [
            datetime!(1900-01-01 0:00 UTC),
            datetime!(2026-12-04 12:00 +01:00),
            datetime!(2199-12-31 23:59:59.999999999 UTC),
        ] {
            assert_eq!(checked_time("at", ok), Ok(ok));
        }
        for (bad, year) in [
            (datetime!(9999-01-01 0:00 UTC), 9999),
            (datetime!(1500-06-01 10:00 UTC), 1500),
            (datetime!(0001-01-01 0:00 UTC), 1),
            (datetime!(2200-01-01 0:00 UTC), 2200),
            (datetime!(1899-12-31 23:59:59 UTC), 1899),
            // 00:30 on 1 January 1900 in Oslo is still 1899 in UTC.
            (datetime!(1900-01-01 0:30 +01:00), 1899),
        ] {
            let err = checked_time("follow_up_at", bad).expect_err("out of bounds");
            assert_eq!(
                err,
                TimeOutOfBounds {
                    field: "follow_up_at",
                    year
                }
            );
            assert!(
                err.to_string().starts_with("`follow_up_at` must be"),
                "{err}"
            );
        }
    }

    #[test]
    fn dates_have_the_same_window() {
        assert!(checked_date("from", date!(1900 - 01 - 01)).is_ok());
        assert!(checked_date("from", date!(2199 - 12 - 31)).is_ok());
        assert!(checked_date("from", date!(1899 - 12 - 31)).is_err());
        assert!(checked_date("to", date!(2200 - 01 - 01)).is_err());
    }
}
