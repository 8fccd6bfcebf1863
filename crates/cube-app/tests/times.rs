//! Times through the use cases (issue 21): one precision (whole microseconds) whatever the
//! caller sends, no meeting booked after it has ended, and no two time entries of one user
//! at once.

mod common;

use common::Harness;
use cube_app::ErrorKind;
use cube_domain::ids::{AssignmentId, EnrollmentId};
use cube_domain::meeting::{MeetingKind, MeetingRequest};
use cube_domain::outcome::{RegisterOutcome, RegistrationError};
use cube_testkit::fixtures::MeetingFlow;
use time::{Duration, OffsetDateTime};

/// An assignment on the meeting flow booking in the world's calendar, with the first
/// `customers` of the world enrolled.
async fn meeting_assignment(h: &Harness, customers: usize) -> (AssignmentId, Vec<EnrollmentId>) {
    let admin = h.world.admin.id;
    let assignment = h
        .cube
        .create_assignment(
            admin,
            h.world.data_owner.id(),
            "Møtebooking",
            h.world.meeting_flow.version(),
            None,
        )
        .await
        .expect("an assignment");
    h.cube
        .update_assignment_setup(
            admin,
            assignment.id(),
            MeetingFlow::setup(h.world.calendar.id),
            None,
        )
        .await
        .expect("the setup");
    let ids: Vec<_> = h.world.customers[..customers]
        .iter()
        .map(|c| c.id())
        .collect();
    h.cube
        .enroll(admin, assignment.id(), &ids, None)
        .await
        .expect("enrolled");
    let mut uow = h.store.begin_read().await.expect("a read unit");
    let enrollments = uow
        .enrollments(assignment.id())
        .await
        .expect("the enrollments")
        .iter()
        .map(|e| e.id())
        .collect();
    (assignment.id(), enrollments)
}

fn booking(h: &Harness, start: OffsetDateTime, end: OffsetDateTime) -> RegisterOutcome {
    RegisterOutcome {
        option: Some(MeetingFlow::OPTION_PHYSICAL.into()),
        meeting: Some(MeetingRequest {
            calendar: h.world.calendar.id,
            start,
            end,
            kind: MeetingKind::Physical,
            place: None,
        }),
        ..RegisterOutcome::new(MeetingFlow::O_MEETING_BOOKED)
    }
}

/// Takes the enrollment and registers `command` on it as the first seller.
async fn book(
    h: &Harness,
    enrollment: EnrollmentId,
    command: RegisterOutcome,
) -> Result<cube_app::work::Registered, cube_app::AppError> {
    let seller = h.world.seller(0);
    h.cube
        .take_customer(seller, enrollment)
        .await
        .expect("the seller takes the customer");
    h.cube
        .register_outcome(seller, enrollment, command, None)
        .await
}

fn ns(n: i64) -> Duration {
    Duration::nanoseconds(n)
}

/// Issue 21: a meeting ending at 10:00:00.0000005 and another starting at 10:00:00.0000001
/// were a clash on SQLite and a double booking on PostgreSQL. Both are whole microseconds
/// (10:00:00) before anything compares them, so they touch and both are booked, and every
/// store holds the truncated times.
#[tokio::test]
async fn meeting_times_are_whole_microseconds_before_the_overlap_check() {
    let h = Harness::new(3).await;
    let (_, enrollments) = meeting_assignment(&h, 2).await;
    let ten = h.now() + Duration::days(1);
    let first = book(
        &h,
        enrollments[0],
        booking(&h, ten - Duration::hours(1), ten + ns(500)),
    )
    .await
    .expect("the first meeting is booked");
    let first = first.meeting.expect("a meeting");
    assert_eq!(first.end, ten, "the end is truncated to the microsecond");
    let second = book(
        &h,
        enrollments[1],
        booking(&h, ten + ns(100), ten + Duration::hours(1)),
    )
    .await
    .expect("touching end to start at the same microsecond is no overlap");
    assert_eq!(second.meeting.expect("a meeting").start, ten);
}

/// Issue 21: a meeting in 2020 or in 1677 was booked. One that has ended is refused (422)
/// and nothing is written.
#[tokio::test]
async fn a_meeting_that_has_ended_is_refused() {
    let h = Harness::new(3).await;
    let (_, enrollments) = meeting_assignment(&h, 1).await;
    let past = time::macros::datetime!(2020-03-02 10:00 UTC);
    for (start, end) in [
        (past, past + Duration::hours(1)),
        (h.now() - Duration::hours(2), h.now()),
    ] {
        let refused = book(&h, enrollments[0], booking(&h, start, end)).await;
        let error = refused.expect_err("a meeting that has ended is refused");
        assert_eq!(error.kind(), ErrorKind::Invalid);
        assert!(
            matches!(
                error,
                cube_app::AppError::Registration(RegistrationError::MeetingInPast(at)) if at == end
            ),
            "{error:?}"
        );
    }
    let mut uow = h.store.begin_read().await.expect("a read unit");
    let booked = uow
        .meetings_in_calendar(
            h.world.calendar.id,
            OffsetDateTime::UNIX_EPOCH,
            h.now() + Duration::days(1),
        )
        .await
        .expect("the calendar");
    assert!(booked.is_empty(), "{booked:?}");
}

/// Issue 21: 14:05–16:05 and 14:05–15:05 of one user were both accepted and counted 3
/// hours. The second is a conflict naming the first, and nothing is written; another user's
/// hours at the same time are theirs.
#[tokio::test]
async fn a_users_time_entries_never_overlap() {
    let h = Harness::new(1).await;
    let (seller, other) = (h.world.seller(0), h.world.seller(1));
    let assignment = h.world.assignment.id();
    let five = h.now() - Duration::hours(5);
    let first = h
        .cube
        .add_time(seller, seller, assignment, five, five + Duration::hours(2))
        .await
        .expect("the first entry");
    let refused = h
        .cube
        .add_time(seller, seller, assignment, five, five + Duration::hours(1))
        .await
        .expect_err("an overlapping entry is refused");
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    assert!(
        refused.to_string().contains(&first.id().to_string()),
        "the problem names the entry overlapped: {refused}"
    );
    let inside = h
        .cube
        .add_time(
            h.world.manager.id,
            seller,
            assignment,
            five + Duration::hours(1),
            five + Duration::hours(3),
        )
        .await;
    assert_eq!(
        inside.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::Conflict),
        "a manager registering the seller's hours is held to the same rule"
    );
    // Touching end to start, and another user at the same time, are fine.
    h.cube
        .add_time(
            seller,
            seller,
            assignment,
            five + Duration::hours(2),
            five + Duration::hours(3),
        )
        .await
        .expect("touching is not overlapping");
    h.cube
        .add_time(other, other, assignment, five, five + Duration::hours(1))
        .await
        .expect("another user's hours");
    let mut uow = h.store.begin_read().await.expect("a read unit");
    let entries = uow
        .time_entries(&[assignment], five, h.now())
        .await
        .expect("the entries");
    assert_eq!(entries.len(), 3, "{entries:?}");
}

/// A running clock counts as running on: hours registered by hand after its start are
/// refused until it is stopped; starting the clock on another assignment stops the first.
#[tokio::test]
async fn a_running_clock_is_stopped_before_another_starts_and_blocks_overlaps() {
    let h = Harness::new(1).await;
    let seller = h.world.seller(0);
    let assignment = h.world.assignment.id();
    let running = h
        .cube
        .start_time(seller, assignment)
        .await
        .expect("the clock starts");
    h.clock.advance(Duration::hours(2));
    let refused = h
        .cube
        .add_time(
            seller,
            seller,
            assignment,
            h.now() - Duration::hours(1),
            h.now(),
        )
        .await
        .expect_err("hours inside the running clock are refused");
    assert_eq!(refused.kind(), ErrorKind::Conflict);
    assert!(refused.to_string().contains("running"), "{refused}");
    h.cube
        .add_time(
            seller,
            seller,
            assignment,
            h.now() - Duration::hours(4),
            h.now() - Duration::hours(2),
        )
        .await
        .expect("hours before the clock started");

    let other = h
        .cube
        .create_assignment(
            h.world.admin.id,
            h.world.data_owner.id(),
            "Second",
            h.world.sales_flow.version(),
            None,
        )
        .await
        .expect("a second assignment");
    let second = h
        .cube
        .start_time(seller, other.id())
        .await
        .expect("the clock moves to the second assignment");
    let mut uow = h.store.begin_read().await.expect("a read unit");
    let entries = uow
        .user_time_entries_overlapping(seller, h.now() - Duration::hours(3), None)
        .await
        .expect("the entries");
    let stopped = entries
        .iter()
        .find(|e| e.id() == running.id())
        .expect("the first entry");
    assert_eq!(
        stopped.ends_at(),
        Some(h.now()),
        "stopped when the second started"
    );
    assert_eq!(
        uow.running_time_entry(seller)
            .await
            .expect("read")
            .map(|e| e.id()),
        Some(second.id())
    );
}

/// Issue 17: an outcome's SMS names the seller, the assignment and the meeting it booked, in
/// the organisation's local time; a template with meeting fields is refused on an outcome
/// that books none, and sent by hand only to a customer with a meeting coming up.
#[tokio::test]
async fn messages_name_the_seller_the_assignment_and_the_booked_meeting_in_local_time() {
    use cube_domain::assignment::setup::{SmsFlow, SmsSender, Template};
    use cube_domain::ports::OutboxPayload;
    use cube_domain::values::Name;
    let h = Harness::new(3).await;
    let (assignment, enrollments) = meeting_assignment(&h, 2).await;
    let admin = h.world.admin.id;
    let mut setup = MeetingFlow::setup(h.world.calendar.id);
    setup.communication.sms_sender = Some(SmsSender::Text("Acme".into()));
    let template = "Hei {{ name }}, {{ seller.name }} har booket et møte i {{ assignment.name }} \
                    {{ meeting.date }} kl. {{ meeting.time }}.";
    let flow = |template: &str| SmsFlow {
        template: template.into(),
        reply_window: Duration::hours(24),
        replies: Vec::new(),
    };
    // On an outcome that books no meeting, the meeting's fields are refused.
    let mut refused_setup = setup.clone();
    refused_setup
        .sms_flows
        .insert(MeetingFlow::O_NOT_INTERESTED, flow(template));
    let refused = h
        .cube
        .update_assignment_setup(admin, assignment, refused_setup, None)
        .await
        .expect_err("no meeting to name");
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(
        refused.to_string().contains("books no meeting"),
        "{refused}"
    );

    setup
        .sms_flows
        .insert(MeetingFlow::O_MEETING_BOOKED, flow(template));
    setup.communication.sms_templates = vec![Template {
        name: Name::parse("Påminnelse").expect("a name"),
        subject: String::new(),
        body: "Husk møtet {{ meeting.date }} kl. {{ meeting.time }}".into(),
    }];
    h.cube
        .update_assignment_setup(admin, assignment, setup, None)
        .await
        .expect("the setup");

    // By hand, before any meeting: refused, naming the template.
    let seller = h.world.seller(0);
    h.cube
        .take_customer(seller, enrollments[0])
        .await
        .expect("taken");
    let early = h
        .cube
        .send_sms(seller, enrollments[0], "Påminnelse")
        .await
        .expect_err("no meeting yet");
    assert!(
        early.to_string().contains("no meeting coming up"),
        "{early}"
    );

    // 08:30 UTC, read in Oslo (the world's organisation's zone): 09:30 or 10:30.
    let start = (h.now() + Duration::days(2))
        .replace_time(time::macros::time!(08:30))
        .to_offset(time::UtcOffset::UTC);
    h.cube
        .register_outcome(
            seller,
            enrollments[0],
            booking(&h, start, start + Duration::hours(1)),
            None,
        )
        .await
        .expect("booked");
    let mut uow = h.store.begin_read().await.expect("read");
    let pending = uow.pending_messages(10).await.expect("outbox");
    drop(uow);
    let OutboxPayload::Sms(sms) = &pending[0].payload else {
        panic!("an SMS: {pending:?}")
    };
    let seller_name = h.world.sellers[0].name.to_string();
    let oslo = cube_domain::time_zone::TimeZone::oslo();
    let local = start.to_offset(oslo.offset_at(start));
    let clock = format!("{:02}:{:02}", local.hour(), local.minute());
    let date = format!(
        "{:02}.{:02}.{}",
        local.day(),
        u8::from(local.month()),
        local.year()
    );
    assert!(
        sms.body.contains(&format!(
            "{seller_name} har booket et møte i Møtebooking {date} kl. {clock}."
        )),
        "{}",
        sms.body
    );
    // With the meeting coming up, the reminder goes by hand (from the card: a manager may
    // send to a customer the seller no longer holds).
    let manager = h.world.manager.id;
    let sent = h
        .cube
        .send_sms(manager, enrollments[0], "Påminnelse")
        .await
        .expect("a meeting is coming up");
    assert_eq!(sent.body, format!("Husk møtet {date} kl. {clock}"));
}
