//! Contract cases for times (issue 21). The domain's precision is whole microseconds
//! (`cube_domain::instant`): the use cases truncate every time before a store sees it, and
//! every store MUST then keep those times exactly and compare them exactly, one microsecond
//! apart — PostgreSQL keeps microseconds, SQLite nanoseconds, and a value finer than that
//! compared differently in each. Also: one user's time entries overlapping a span, across
//! assignments, which the use cases read to refuse double-counted hours.

use crate::contract::{SharedStore, at, setup};
use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId, MeetingId, TimeEntryId};
use cube_domain::instant;
use cube_domain::meeting::{Meeting, MeetingKind};
use cube_domain::ports::IdGenerator;
use cube_domain::time_entry::TimeEntry;
use time::{Duration, OffsetDateTime};

fn ns(n: i64) -> Duration {
    Duration::nanoseconds(n)
}

/// A meeting, a time entry and a window bound truncated from sub-microsecond inputs (as the
/// use cases do) are read back exactly and compared exactly one microsecond apart: a meeting
/// ending at `…00.000001` does not overlap a window starting then, and does one starting a
/// microsecond earlier; a meeting starting at `…28.095173` is in a window from
/// `truncate(…28.095173001)` = `…28.095173`.
pub async fn times_are_kept_and_compared_to_the_microsecond(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (calendar, assignment) = (s.world.calendar.id, s.world.assignment.id());
    let ten = at(60);
    let micro = Duration::microseconds(1);
    // 09:00:00.0000005 → 09:00:00, 10:00:00.0000015 → 10:00:00.000001.
    let start = instant::truncate(ten - Duration::hours(1) + ns(500));
    let end = instant::truncate(ten + ns(1_500));
    assert_eq!(end, ten + micro);
    let booked = Meeting {
        id: MeetingId::from_uuid(s.ids.next_id()),
        calendar,
        assignment,
        enrollment: EnrollmentId::from_uuid(s.ids.next_id()),
        customer: CustomerId::from_uuid(s.ids.next_id()),
        booked_by: Some(s.world.sellers[0].id),
        start,
        end,
        kind: MeetingKind::Physical,
        place: None,
    };
    let odd = instant::truncate(at(120) + Duration::seconds(28) + ns(95_173_001));
    let late = Meeting {
        id: MeetingId::from_uuid(s.ids.next_id()),
        start: odd,
        end: odd + Duration::minutes(30),
        ..booked.clone()
    };
    let hours = TimeEntry::manual(
        TimeEntryId::from_uuid(s.ids.next_id()),
        s.world.sellers[0].id,
        assignment,
        start,
        end,
    )
    .expect("a valid entry");
    let mut uow = store.begin().await.expect("begin");
    uow.insert_meeting(&booked).await.expect("book");
    uow.insert_meeting(&late).await.expect("book");
    uow.save_time_entry(&hours).await.expect("save");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.meeting(booked.id).await.expect("read"),
        Some(booked.clone()),
        "a time at whole microseconds MUST read back exactly"
    );
    assert_eq!(
        uow.meeting(late.id).await.expect("read"),
        Some(late.clone())
    );
    let after = |from: OffsetDateTime| from + Duration::minutes(10);
    assert_eq!(
        uow.meetings_in_calendar(calendar, end, after(end))
            .await
            .expect("read"),
        vec![],
        "a meeting ending at the window's start MUST NOT overlap it, to the microsecond"
    );
    assert_eq!(
        uow.meetings_in_calendar(calendar, end - micro, after(end))
            .await
            .expect("read"),
        vec![booked.clone()],
        "a meeting ending a microsecond into the window MUST overlap it"
    );
    let from = instant::truncate(odd + ns(1));
    assert_eq!(
        uow.meetings(&[assignment], from, after(from))
            .await
            .expect("read"),
        vec![late.clone()],
        "a meeting starting at the window's (truncated) start MUST be in it"
    );
    assert_eq!(
        uow.meetings(&[assignment], from + micro, after(from))
            .await
            .expect("read"),
        vec![],
        "a meeting starting a microsecond before the window MUST NOT be in it"
    );
    assert_eq!(
        uow.time_entries(&[assignment], end - micro, after(end))
            .await
            .expect("read"),
        vec![hours.clone()]
    );
    assert_eq!(
        uow.time_entries(&[assignment], end, after(end))
            .await
            .expect("read"),
        vec![],
        "hours ending at the window's start MUST NOT be in it, to the microsecond"
    );
}

/// `user_time_entries_overlapping` gives the user's entries in any assignment sharing an
/// instant with `[from, to)`, by start: touching is not overlapping, a running entry runs on
/// for ever, an open-ended span overlaps everything after `from`, and other users' entries
/// are never given.
pub async fn user_time_entries_overlapping_across_assignments(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let a = s.world.assignment.id();
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let entry = |user, assignment, start, end| {
        TimeEntry::manual(
            TimeEntryId::from_uuid(s.ids.next_id()),
            user,
            assignment,
            start,
            end,
        )
        .expect("a valid entry")
    };
    let morning = entry(me, a, at(0), at(120));
    let in_b = entry(me, b, at(120), at(180));
    let theirs = entry(other, a, at(0), at(600));
    let running = TimeEntry::start(TimeEntryId::from_uuid(s.ids.next_id()), me, b, at(300));
    let mut uow = store.begin().await.expect("begin");
    for e in [&in_b, &running, &theirs, &morning] {
        uow.save_time_entry(e).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let overlapping =
        async |uow: &mut Box<dyn cube_domain::ports::UnitOfWork>, from: i64, to: Option<i64>| {
            uow.user_time_entries_overlapping(me, at(from), to.map(at))
                .await
                .expect("read")
        };
    assert_eq!(
        overlapping(&mut uow, 60, Some(150)).await,
        vec![morning.clone(), in_b.clone()],
        "entries of every assignment of the user, by start"
    );
    assert_eq!(
        overlapping(&mut uow, 180, Some(300)).await,
        vec![],
        "touching end to start (either way) is not overlapping"
    );
    assert_eq!(
        overlapping(&mut uow, 5000, Some(5060)).await,
        vec![running.clone()],
        "a running entry runs on for ever"
    );
    assert_eq!(
        overlapping(&mut uow, 150, None).await,
        vec![in_b, running],
        "an open-ended span overlaps everything that ends after its start"
    );
    assert_eq!(overlapping(&mut uow, -60, Some(0)).await, vec![]);
}
