//! The meeting list: meetings starting in a window, sorted by start, searchable by place.
//! The calendar view is the same list drawn differently, so it needs nothing more here.

use crate::meeting::Meeting;
use time::OffsetDateTime;

/// The meetings starting in `[from, to)` whose place contains `search` (case-insensitive;
/// `None` or blank keeps all), sorted by start, then id.
pub fn meetings_in_window<'a>(
    meetings: impl IntoIterator<Item = &'a Meeting>,
    from: OffsetDateTime,
    to: OffsetDateTime,
    search: Option<&str>,
) -> Vec<&'a Meeting> {
    let needle = search
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let mut list: Vec<&Meeting> = meetings
        .into_iter()
        .filter(|m| m.start >= from && m.start < to)
        .filter(|m| match &needle {
            None => true,
            Some(needle) => m
                .place
                .as_ref()
                .is_some_and(|p| p.to_lowercase().contains(needle.as_str())),
        })
        .collect();
    list.sort_by_key(|m| (m.start, m.id));
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CalendarId, CustomerId, MeetingId};
    use crate::meeting::MeetingKind;
    use crate::reports::testing::*;
    use time::Duration;

    fn meeting(n: u128, hours: i64, place: Option<&str>) -> Meeting {
        let start = t0() + Duration::hours(hours);
        Meeting {
            id: MeetingId::from_uuid(uuid(0x7000 + n)),
            calendar: CalendarId::from_uuid(uuid(0x6000)),
            assignment: assignment(1),
            enrollment: enrollment_id(n),
            customer: CustomerId::from_uuid(uuid(0x9000 + n)),
            booked_by: Some(user(1)),
            start,
            end: start + Duration::hours(1),
            kind: MeetingKind::Physical,
            place: place.map(str::to_owned),
        }
    }

    fn check(search: Option<&str>, expected: &[u128]) {
        let meetings = [
            meeting(1, 5, Some("Storgata 1, Oslo")),
            meeting(2, 1, Some("https://video.example/abc")),
            meeting(3, 3, None),
            meeting(4, 48, Some("Oslo")),
            meeting(5, -1, Some("Oslo")),
        ];
        let list = meetings_in_window(&meetings, t0(), t0() + Duration::days(1), search);
        let got: Vec<_> = list.iter().map(|m| m.enrollment).collect();
        let expected: Vec<_> = expected.iter().map(|n| enrollment_id(*n)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn meetings_in_the_window_sorted_by_start() {
        check(None, &[2, 3, 1]);
        check(Some("  "), &[2, 3, 1]);
    }

    #[test]
    fn search_matches_the_place_ignoring_case() {
        check(Some("oslo"), &[1]);
        check(Some("VIDEO"), &[2]);
        check(Some("bergen"), &[]);
    }
}
