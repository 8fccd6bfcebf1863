//! Contract cases for calendars and meetings: round trips, the unique meeting id, and the
//! two time windows (overlapping a calendar's window, starting in an assignment's window).

use super::duplicate;
use crate::contract::{Setup, SharedStore, at, setup};
use crate::fixtures::name;
use cube_domain::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, MeetingId,
};
use cube_domain::meeting::{Calendar, ClockTime, Meeting, MeetingKind, OpeningPeriod};
use cube_domain::ports::{IdGenerator, RecordKind, StoreError, UniqueRule};
use time::OffsetDateTime;

/// Calendars are read back as saved and listed per data owner.
pub async fn calendars_round_trip_and_list(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let owner = s.world.data_owner.id();
    let second = Calendar {
        id: CalendarId::from_uuid(s.ids.next_id()),
        data_owner: owner,
        name: name("Teams-møter"),
        allows_overlap: true,
        opening_hours: vec![OpeningPeriod {
            day: time::Weekday::Tuesday,
            opens: ClockTime::new(8, 30).expect("a time"),
            closes: ClockTime::END_OF_DAY,
        }],
        active: false,
    };
    let mut uow = store.begin().await.expect("begin");
    uow.save_calendar(&second).await.expect("save");
    assert_eq!(
        uow.calendar(s.world.calendar.id).await.expect("read"),
        Some(s.world.calendar.clone())
    );
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    let mut listed = uow.calendars(owner).await.expect("list");
    listed.sort_by_key(|c| c.id);
    let mut expected = vec![s.world.calendar.clone(), second];
    expected.sort_by_key(|c| c.id);
    assert_eq!(listed, expected);
    let elsewhere = DataOwnerId::from_uuid(s.ids.next_id());
    assert_eq!(uow.calendars(elsewhere).await.expect("list"), vec![]);
}

/// A meeting in the world's calendar and assignment.
fn meeting(
    s: &Setup,
    calendar: CalendarId,
    assignment: AssignmentId,
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Meeting {
    Meeting {
        id: MeetingId::from_uuid(s.ids.next_id()),
        calendar,
        assignment,
        enrollment: EnrollmentId::from_uuid(s.ids.next_id()),
        customer: CustomerId::from_uuid(s.ids.next_id()),
        booked_by: Some(s.world.sellers[0].id),
        start,
        end,
        kind: MeetingKind::Video,
        place: Some("https://meet.example.no/abc".into()),
    }
}

/// A meeting is read back as booked; booking an existing id MUST be
/// `Duplicate(Id(Meeting))`.
pub async fn meetings_round_trip_and_duplicate_id(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let booked = meeting(
        &s,
        s.world.calendar.id,
        s.world.assignment.id(),
        at(60),
        at(90),
    );
    let mut uow = store.begin().await.expect("begin");
    uow.insert_meeting(&booked).await.expect("book");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.meeting(booked.id).await.expect("read"),
        Some(booked.clone())
    );
    let again = Meeting {
        start: at(120),
        end: at(150),
        ..booked.clone()
    };
    duplicate(
        uow.insert_meeting(&again).await,
        UniqueRule::Id(RecordKind::Meeting),
        "a meeting id that exists",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.meeting(booked.id).await.expect("read"), Some(booked));
}

/// `meetings_in_calendar` gives the calendar's meetings sharing an instant with `[from,
/// to)`, by start: touching the window's ends is not overlapping.
pub async fn meetings_in_calendar_overlap_the_window(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (calendar, assignment) = (s.world.calendar.id, s.world.assignment.id());
    let nine = meeting(&s, calendar, assignment, at(60), at(120));
    let ten = meeting(&s, calendar, assignment, at(120), at(180));
    let eleven = meeting(&s, calendar, assignment, at(180), at(240));
    let long = meeting(&s, calendar, assignment, at(0), at(600));
    let other = meeting(
        &s,
        CalendarId::from_uuid(s.ids.next_id()),
        assignment,
        at(120),
        at(180),
    );
    let mut uow = store.begin().await.expect("begin");
    for m in [&eleven, &ten, &other, &nine, &long] {
        uow.insert_meeting(m).await.expect("book");
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.meetings_in_calendar(calendar, at(120), at(180))
            .await
            .expect("read"),
        vec![long.clone(), ten.clone()],
        "[10:00, 11:00) overlaps the long meeting and 10–11 only, by start"
    );
    assert_eq!(
        uow.meetings_in_calendar(calendar, at(90), at(150))
            .await
            .expect("read"),
        vec![long.clone(), nine, ten]
    );
    assert_eq!(
        uow.meetings_in_calendar(calendar, at(600), at(700))
            .await
            .expect("read"),
        vec![]
    );
}

/// `meetings` gives the assignments' meetings starting in `[from, to)`, by start.
pub async fn meetings_of_assignments_start_in_the_window(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let calendar = s.world.calendar.id;
    let (a, b, c) = (
        s.world.assignment.id(),
        AssignmentId::from_uuid(s.ids.next_id()),
        AssignmentId::from_uuid(s.ids.next_id()),
    );
    let early = meeting(&s, calendar, a, at(0), at(600));
    let in_b = meeting(&s, calendar, b, at(120), at(150));
    let in_a = meeting(&s, calendar, a, at(60), at(90));
    let at_end = meeting(&s, calendar, a, at(180), at(200));
    let in_c = meeting(&s, calendar, c, at(100), at(110));
    let mut uow = store.begin().await.expect("begin");
    for m in [&early, &in_b, &in_a, &at_end, &in_c] {
        uow.insert_meeting(m).await.expect("book");
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.meetings(&[a, b], at(30), at(180)).await.expect("read"),
        vec![in_a, in_b],
        "meetings MUST start in [from, to), in the given assignments, by start"
    );
}

/// A deleted meeting is gone from its calendar, its assignment and by id; deleting and
/// inserting the same id again in one unit moves it (the new time is where the lists find
/// it); deleting a meeting that is not there is `Conflict` and changes nothing.
pub async fn meetings_are_deleted_and_moved_by_id(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (calendar, assignment) = (s.world.calendar.id, s.world.assignment.id());
    let cancelled = meeting(&s, calendar, assignment, at(60), at(90));
    let moved = meeting(&s, calendar, assignment, at(120), at(150));
    let mut uow = store.begin().await.expect("begin");
    uow.insert_meeting(&cancelled).await.expect("book");
    uow.insert_meeting(&moved).await.expect("book");
    uow.commit().await.expect("commit");

    let later = Meeting {
        start: at(600),
        end: at(630),
        ..moved.clone()
    };
    let mut uow = store.begin().await.expect("begin");
    uow.delete_meeting(cancelled.id).await.expect("cancel");
    uow.delete_meeting(moved.id).await.expect("take out");
    uow.insert_meeting(&later).await.expect("put back later");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.meeting(cancelled.id).await.expect("read"), None);
    assert_eq!(
        uow.meeting(moved.id).await.expect("read"),
        Some(later.clone())
    );
    assert_eq!(
        uow.meetings_in_calendar(calendar, at(0), at(1000))
            .await
            .expect("read"),
        vec![later.clone()],
        "the calendar MUST hold the moved meeting at its new time only"
    );
    assert_eq!(
        uow.meetings(&[assignment], at(0), at(300))
            .await
            .expect("read"),
        vec![],
        "the assignment's meetings MUST no longer start at the old times"
    );
    assert!(
        matches!(
            uow.delete_meeting(cancelled.id).await,
            Err(StoreError::Conflict(_))
        ),
        "deleting a meeting that is not there MUST be Conflict"
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.meeting(moved.id).await.expect("read"), Some(later));
}
