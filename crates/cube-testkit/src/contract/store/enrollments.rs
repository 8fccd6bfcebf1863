//! Contract cases for the working side: enrollments, follow-ups and the outcome log.

use super::duplicate;
use crate::contract::{Setup, SharedStore, at, setup, with};
use crate::fixtures::SalesFlow;
use cube_domain::enrollment::{Enrollment, FollowUp, Reservation};
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::flow::StateCategory;
use cube_domain::idempotency::{IdempotencyKey, KeyedEvent, RequestFingerprint, RequestKey};
use cube_domain::ids::{AssignmentId, EnrollmentId, OutcomeEventId, SegmentId, UserId};
use cube_domain::outcome::{
    OutcomeClass, OutcomeEvent, OutcomeEventRecord, OutcomeFilter, ProductLine,
};
use cube_domain::ports::{IdGenerator, RecordKind, StoreError, UniqueRule};
use cube_domain::reports;
use time::{Duration, OffsetDateTime};

fn by_id(mut enrollments: Vec<Enrollment>) -> Vec<Enrollment> {
    enrollments.sort_by_key(Enrollment::id);
    enrollments
}

/// A fresh enrollment of the world's customer `i` in `assignment`.
fn enroll(s: &Setup, assignment: AssignmentId, i: usize, sequence: u64) -> Enrollment {
    Enrollment::new(
        EnrollmentId::from_uuid(s.ids.next_id()),
        assignment,
        s.world.customers[i].id(),
        SalesFlow::TO_CALL,
        None,
        sequence,
        at(0),
    )
}

/// Enrollments are read back by id, by (assignment, customer), per assignment in import
/// order (not insertion order), and per customer across assignments.
pub async fn enrollments_round_trip_and_lookups(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let (a, b) = (
        s.world.assignment.id(),
        AssignmentId::from_uuid(s.ids.next_id()),
    );
    let late = enroll(&s, b, 0, 5);
    let early = enroll(&s, b, 1, 2);
    let mut uow = store.begin().await.expect("begin");
    uow.insert_enrollment(&late).await.expect("enroll");
    uow.insert_enrollment(&early).await.expect("enroll");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    for (enrollment, customer) in s.world.enrollments.iter().zip(&s.world.customers) {
        assert_eq!(
            uow.enrollment(enrollment.id())
                .await
                .expect("read")
                .as_ref(),
            Some(enrollment)
        );
        assert_eq!(
            uow.enrollment_of(a, customer.id())
                .await
                .expect("read")
                .as_ref(),
            Some(enrollment)
        );
    }
    assert_eq!(
        uow.enrollment_of(b, s.world.customers[2].id())
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        uow.enrollments(a).await.expect("list"),
        s.world.enrollments.clone()
    );
    assert_eq!(
        uow.enrollments(b).await.expect("list"),
        vec![early, late.clone()],
        "enrollments MUST be listed in import order (sequence), not insertion order"
    );
    assert_eq!(
        by_id(
            uow.enrollments_of_customer(s.world.customers[0].id())
                .await
                .expect("list")
        ),
        by_id(vec![s.world.enrollments[0].clone(), late])
    );
    let nowhere = EnrollmentId::from_uuid(s.ids.next_id());
    assert_eq!(uow.enrollment(nowhere).await.expect("read"), None);
}

/// A second enrollment of a customer in an assignment MUST be
/// `Duplicate(CustomerInAssignment)`, a taken id elsewhere `Duplicate(Id(Enrollment))`; the
/// same customer in another assignment is fine.
pub async fn enrollment_is_unique_per_assignment(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let a = s.world.assignment.id();
    let again = enroll(&s, a, 0, 2);
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.insert_enrollment(&again).await,
        UniqueRule::CustomerInAssignment,
        "a second enrollment of a customer in an assignment",
    );
    drop(uow);

    // Only the id is taken (another assignment): a different rule, told apart.
    let taken = s.world.enrollments[0].id();
    let same_id = Enrollment::new(
        taken,
        AssignmentId::from_uuid(s.ids.next_id()),
        s.world.customers[0].id(),
        SalesFlow::TO_CALL,
        None,
        1,
        at(0),
    );
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.insert_enrollment(&same_id).await,
        UniqueRule::Id(RecordKind::Enrollment),
        "an enrollment id that exists",
    );
    drop(uow);

    let elsewhere = enroll(&s, AssignmentId::from_uuid(s.ids.next_id()), 0, 1);
    let mut uow = store.begin().await.expect("begin");
    uow.insert_enrollment(&elsewhere)
        .await
        .expect("the same customer in another assignment");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.enrollment(again.id()).await.expect("read"), None);
    assert_eq!(uow.enrollments(a).await.expect("list").len(), 1);
}

/// Updating an enrollment that does not exist MUST be `Conflict`.
pub async fn updating_a_missing_enrollment_is_conflict(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let ghost = enroll(&s, s.world.assignment.id(), 0, 9);
    let mut uow = store.begin().await.expect("begin");
    let result = uow.update_enrollment(&ghost).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "updating a missing enrollment MUST be Conflict, got {result:?}"
    );
    drop(uow);

    // Also after it was deleted: a writer holding an old copy loses.
    let gone = s.world.enrollments[0].clone();
    let mut uow = store.begin().await.expect("begin");
    uow.delete_enrollment(gone.id()).await.expect("delete");
    let result = uow.update_enrollment(&gone).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(_))),
        "updating a deleted enrollment MUST be Conflict, got {result:?}"
    );
}

/// An update never moves an enrollment: one that differs from the stored one in its
/// assignment, customer, sequence or enrolment time MUST be `Conflict` (whether or not the
/// unit read it first), and changes nothing; the unit goes on.
pub async fn an_update_never_moves_an_enrollment(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let original = s.world.enrollments[0].clone();
    let elsewhere = AssignmentId::from_uuid(s.ids.next_id());
    let other_customer = s.world.customers[1].id();
    let moves = [
        with(&original, |e| e.assignment = elsewhere),
        with(&original, |e| e.customer = other_customer),
        with(&original, |e| e.sequence += 100),
        with(&original, |e| e.enrolled_at += Duration::days(1)),
    ];
    for read_first in [false, true] {
        for moved in &moves {
            let moved = with(moved, |e| e.attempts = 7);
            let mut uow = store.begin().await.expect("begin");
            if read_first {
                uow.enrollment(original.id()).await.expect("read");
            }
            let result = uow.update_enrollment(&moved).await;
            assert!(
                matches!(result, Err(StoreError::Conflict(_))),
                "an update that moves an enrollment MUST be Conflict, got {result:?}"
            );
            let fine = with(&original, |e| e.attempts = 1);
            uow.update_enrollment(&fine)
                .await
                .expect("the unit goes on after the refused update");
            drop(uow);
        }
    }
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollment(original.id()).await.expect("read"),
        Some(original.clone())
    );
    assert_eq!(
        uow.enrollment_of(elsewhere, original.customer())
            .await
            .expect("read"),
        None
    );
}

/// An update writes every field of the enrollment; a delete takes it out of every lookup and
/// lets the customer be enrolled again; deleting a missing one is not an error.
pub async fn enrollments_update_and_delete(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let a = s.world.assignment.id();
    let seller = s.world.sellers[0].id;
    let changed = with(&s.world.enrollments[0], |e| {
        e.state = SalesFlow::LEAD;
        e.category = StateCategory::Open;
        e.segment = Some(SegmentId::from_uuid(s.ids.next_id()));
        e.attempts = 3;
        e.last_contact = Some(at(30));
        e.follow_up = Some(FollowUp {
            due: at(24 * 60),
            owner: Some(seller),
        });
        e.no_answer_at = Some(at(150));
        e.reservation = Some(Reservation {
            seller,
            until: at(45),
        });
    });
    let removed = s.world.enrollments[1].clone();
    let mut uow = store.begin().await.expect("begin");
    uow.update_enrollment(&changed).await.expect("update");
    uow.delete_enrollment(removed.id()).await.expect("delete");
    uow.delete_enrollment(removed.id())
        .await
        .expect("deleting a missing enrollment is not an error");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollment(changed.id()).await.expect("read"),
        Some(changed.clone()),
        "an update MUST write every field"
    );
    let customer = removed.customer();
    assert_eq!(uow.enrollment(removed.id()).await.expect("read"), None);
    assert_eq!(uow.enrollment_of(a, customer).await.expect("read"), None);
    assert_eq!(uow.enrollments(a).await.expect("list"), vec![changed]);
    assert_eq!(
        uow.enrollments_of_customer(customer).await.expect("list"),
        vec![]
    );
    let back = enroll(&s, a, 1, 3);
    uow.insert_enrollment(&back)
        .await
        .expect("a removed customer can be enrolled again");
}

/// A page written at once (`update_enrollments`, bulk work): every enrollment is written as
/// `update_enrollment` writes it, except the ones it would refuse — missing (removed), or
/// moved to another assignment — which are returned in the order given and left as they
/// are; the unit goes on and commits the rest.
pub async fn a_page_of_updates_writes_each_and_returns_the_refused(store: SharedStore) {
    let s = setup(store.as_ref(), 4).await;
    let elsewhere = AssignmentId::from_uuid(s.ids.next_id());
    let seller = s.world.sellers[0].id;
    let [first, second, third, fourth] = [0, 1, 2, 3].map(|i| s.world.enrollments[i].clone());
    let changed = with(&first, |e| {
        e.segment = Some(SegmentId::from_uuid(s.ids.next_id()));
        e.attempts = 2;
        e.reservation = Some(Reservation {
            seller,
            until: at(45),
        });
    });
    let moved = with(&second, |e| {
        e.assignment = elsewhere;
        e.attempts = 5;
    });
    let gone = with(&third, |e| e.attempts = 6);
    let also = with(&fourth, |e| e.segment = None);
    let mut uow = store.begin().await.expect("begin");
    uow.delete_enrollment(third.id()).await.expect("delete");
    let refused = uow
        .update_enrollments(&[changed.clone(), moved, gone, also.clone()])
        .await
        .expect("a page is written");
    assert_eq!(
        refused,
        vec![second.id(), third.id()],
        "the moved and the missing enrollment MUST be returned, in the order given"
    );
    assert_eq!(
        uow.update_enrollments(&[]).await.expect("an empty page"),
        vec![]
    );
    uow.commit().await.expect("the unit goes on and commits");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollment(first.id()).await.expect("read"),
        Some(changed)
    );
    assert_eq!(
        uow.enrollment(second.id()).await.expect("read"),
        Some(second.clone()),
        "a refused enrollment MUST be left as it was"
    );
    assert_eq!(uow.enrollment(third.id()).await.expect("read"), None);
    assert_eq!(uow.enrollment(fourth.id()).await.expect("read"), Some(also));
    assert_eq!(
        uow.enrollment_of(elsewhere, second.customer())
            .await
            .expect("read"),
        None
    );
}

/// A page removed at once (`delete_enrollments`, bulk work): every enrollment is taken out
/// as `delete_enrollment` takes it out; a missing one is no error (nothing is returned);
/// the unit goes on and commits.
pub async fn a_page_of_removals_removes_each(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let [first, second, kept] = [0, 1, 2].map(|i| s.world.enrollments[i].clone());
    let ghost = EnrollmentId::from_uuid(s.ids.next_id());
    let mut uow = store.begin().await.expect("begin");
    let refused = uow
        .delete_enrollments(&[first.id(), ghost, second.id()])
        .await
        .expect("a page is removed");
    assert_eq!(
        refused,
        vec![],
        "nothing another unit changed: nothing refused"
    );
    assert_eq!(uow.delete_enrollments(&[]).await.expect("empty"), vec![]);
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.enrollment(first.id()).await.expect("read"), None);
    assert_eq!(uow.enrollment(second.id()).await.expect("read"), None);
    assert_eq!(
        uow.enrollments(s.world.assignment.id())
            .await
            .expect("list"),
        vec![kept]
    );
}

/// `next_sequence` is one more than the assignment's highest sequence (1 when empty).
pub async fn next_sequence_is_one_more_than_the_highest(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let a = s.world.assignment.id();
    let empty = AssignmentId::from_uuid(s.ids.next_id());
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.next_sequence(empty).await.expect("read"), 1);
    assert_eq!(uow.next_sequence(a).await.expect("read"), 4);
    let far = enroll(&s, empty, 0, 10);
    uow.insert_enrollment(&far).await.expect("enroll");
    assert_eq!(uow.next_sequence(empty).await.expect("read"), 11);
    assert_eq!(uow.next_sequence(a).await.expect("read"), 4);
}

/// `follow_ups` gives, in the given assignments, the seller's personal follow-ups and every
/// shared one due strictly before `until` — never another seller's personal ones, never
/// later ones, never enrollments without a follow-up.
pub async fn follow_ups_are_mine_and_shared_due_before_until(store: SharedStore) {
    let s = setup(store.as_ref(), 6).await;
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let until = at(24 * 60);
    let follow = |i: usize, due: OffsetDateTime, owner: Option<UserId>| {
        with(&s.world.enrollments[i], |e| {
            e.follow_up = Some(FollowUp { due, owner });
            if owner.is_some() {
                e.state = SalesFlow::LEAD;
                e.category = StateCategory::Open;
            }
        })
    };
    let mine = follow(0, at(60), Some(me));
    let theirs = follow(1, at(60), Some(other));
    let shared = follow(2, at(120), None);
    let at_until = follow(3, until, None);
    let overdue = follow(4, at(-60), Some(me));
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let in_b = with(&enroll(&s, b, 0, 1), |e| {
        e.follow_up = Some(FollowUp {
            due: at(30),
            owner: None,
        });
    });
    let mut uow = store.begin().await.expect("begin");
    for e in [&mine, &theirs, &shared, &at_until, &overdue] {
        uow.update_enrollment(e).await.expect("update");
    }
    uow.insert_enrollment(&in_b).await.expect("enroll");
    uow.commit().await.expect("commit");

    let a = s.world.assignment.id();
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        by_id(uow.follow_ups(&[a], me, until).await.expect("read")),
        by_id(vec![mine.clone(), shared.clone(), overdue.clone()]),
        "follow_ups MUST be my personal and the shared ones due before `until`"
    );
    assert_eq!(
        by_id(uow.follow_ups(&[a, b], me, at(90)).await.expect("read")),
        by_id(vec![mine, overdue, in_b])
    );
    assert_eq!(
        by_id(uow.follow_ups(&[a], other, at(61)).await.expect("read")),
        by_id(vec![theirs])
    );
    assert_eq!(uow.follow_ups(&[], me, until).await.expect("read"), vec![]);
}

/// A No answer event on the enrollment at a time.
fn no_answer(s: &Setup, enrollment: &Enrollment, occurred_at: OffsetDateTime) -> OutcomeEvent {
    OutcomeEvent::from(OutcomeEventRecord {
        id: OutcomeEventId::from_uuid(s.ids.next_id()),
        assignment: enrollment.assignment(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        occurred_at,
        user: Some(s.world.sellers[0].id),
        outcome: Some(SalesFlow::O_NO_ANSWER),
        class: OutcomeClass::NoAnswer,
        option: None,
        from_state: SalesFlow::TO_CALL,
        to_state: SalesFlow::TO_CALL,
        to_category: StateCategory::Available,
        fields: FieldValues::new(),
        products: Vec::new(),
        meeting: None,
        follow_up: None,
        note: None,
    })
}

/// A Sale event with a product line, an option, a field, a follow-up and a note: every
/// column of the log.
fn sale(s: &Setup, enrollment: &Enrollment, occurred_at: OffsetDateTime) -> OutcomeEvent {
    let product = &s.world.products[0];
    OutcomeEvent::from(OutcomeEventRecord {
        outcome: Some(SalesFlow::O_SALE),
        class: OutcomeClass::Progress,
        option: Some("Fastpris".into()),
        to_state: SalesFlow::SALE,
        to_category: StateCategory::Yes,
        fields: FieldValues::from([(crate::fixtures::World::employees(), FieldValue::Number(12))]),
        products: vec![ProductLine {
            product: product.id(),
            quantity: 2,
            unit_price: product.unit_price(),
            currency: product.currency().clone(),
        }],
        follow_up: Some(FollowUp {
            due: occurred_at + Duration::days(30),
            owner: Some(s.world.sellers[0].id),
        }),
        note: Some("Kunden ønsker faktura på e-post — «takk»".into()),
        ..OutcomeEventRecord::from(no_answer(s, enrollment, occurred_at))
    })
}

/// Events are read back by id, and per enrollment oldest first whatever order they were
/// appended in.
pub async fn events_round_trip_oldest_first(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let (e0, e1) = (&s.world.enrollments[0], &s.world.enrollments[1]);
    let second = no_answer(&s, e0, at(60));
    let first = no_answer(&s, e0, at(30));
    let third = sale(&s, e0, at(90));
    let elsewhere = no_answer(&s, e1, at(45));
    let mut uow = store.begin().await.expect("begin");
    for event in [&second, &first, &elsewhere, &third] {
        uow.append_event(event, None).await.expect("append");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    for event in [&first, &second, &third, &elsewhere] {
        assert_eq!(
            uow.event(event.id()).await.expect("read").as_ref(),
            Some(event)
        );
    }
    assert_eq!(
        uow.events_of(e0.id()).await.expect("read"),
        vec![first, second, third],
        "events_of MUST be oldest first"
    );
    let unknown = OutcomeEventId::from_uuid(s.ids.next_id());
    assert_eq!(uow.event(unknown).await.expect("read"), None);
}

/// `events` gives the given assignments' events with `from <= occurred_at < to`, oldest
/// first, each once.
pub async fn events_window_is_half_open_and_per_assignment(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let a = s.world.assignment.id();
    let e0 = &s.world.enrollments[0];
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let in_b = enroll(&s, b, 1, 1);
    let a0 = no_answer(&s, e0, at(0));
    let a60 = no_answer(&s, e0, at(60));
    let a120 = no_answer(&s, e0, at(120));
    let b90 = no_answer(&s, &in_b, at(90));
    let c = AssignmentId::from_uuid(s.ids.next_id());
    let c30 = no_answer(&s, &enroll(&s, c, 0, 1), at(30));
    let mut uow = store.begin().await.expect("begin");
    for event in [&a120, &b90, &a0, &c30, &a60] {
        uow.append_event(event, None).await.expect("append");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.events(&[a], at(0), at(120)).await.expect("read"),
        vec![a0.clone(), a60.clone()],
        "events MUST be in [from, to): from included, to excluded"
    );
    assert_eq!(
        uow.events(&[b, a, a], at(0), at(121)).await.expect("read"),
        vec![a0, a60, b90, a120],
        "events MUST be oldest first across assignments, each once"
    );
    assert_eq!(
        uow.events(&[a], at(121), at(500)).await.expect("read"),
        vec![]
    );
    assert_eq!(uow.events(&[], at(0), at(500)).await.expect("read"), vec![]);
}

/// The key `key` sent with a request whose fingerprint is `fingerprint`.
fn request_key(key: &str) -> RequestKey {
    RequestKey::parse(key).expect("a valid key")
}

fn keyed(key: &str, fingerprint: &str) -> IdempotencyKey {
    IdempotencyKey {
        key: request_key(key),
        fingerprint: RequestFingerprint::from_stored(fingerprint.to_owned()),
    }
}

/// An idempotency key the same user already used in the assignment MUST be
/// `Duplicate(IdempotencyKey)`;
/// `event_by_key` finds the first event with the fingerprint stored with it, and only for
/// that user; the same key of another user, or in another assignment, is no collision.
pub async fn idempotency_key_is_unique_per_assignment_and_user(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let a = s.world.assignment.id();
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let e0 = &s.world.enrollments[0];
    let first = no_answer(&s, e0, at(10));
    let retry = no_answer(&s, e0, at(11));
    let mut uow = store.begin().await.expect("begin");
    uow.append_event(&first, Some(&keyed("click-1", "f1")))
        .await
        .expect("append");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let result = uow
        .append_event(&retry, Some(&keyed("click-1", "f2")))
        .await;
    duplicate(result, UniqueRule::IdempotencyKey, "a used idempotency key");
    drop(uow);

    let b = AssignmentId::from_uuid(s.ids.next_id());
    let in_b = no_answer(&s, &enroll(&s, b, 1, 1), at(12));
    let unkeyed = no_answer(&s, e0, at(13));
    let theirs = OutcomeEvent::from(OutcomeEventRecord {
        user: Some(other),
        ..OutcomeEventRecord::from(no_answer(&s, &s.world.enrollments[1], at(14)))
    });
    let mut uow = store.begin().await.expect("begin");
    uow.append_event(&in_b, Some(&keyed("click-1", "f3")))
        .await
        .expect("the same key in another assignment");
    uow.append_event(&unkeyed, None).await.expect("no key");
    uow.append_event(&theirs, Some(&keyed("click-1", "f4")))
        .await
        .expect("the same key of another user");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let found = |event: &OutcomeEvent, fingerprint: &str| {
        Some(KeyedEvent {
            event: event.clone(),
            fingerprint: Some(RequestFingerprint::from_stored(fingerprint.to_owned())),
        })
    };
    assert_eq!(
        uow.event_by_key(a, me, &request_key("click-1"))
            .await
            .expect("read"),
        found(&first, "f1")
    );
    assert_eq!(
        uow.event_by_key(a, other, &request_key("click-1"))
            .await
            .expect("read"),
        found(&theirs, "f4"),
        "a key is found only for its own user"
    );
    assert_eq!(
        uow.event_by_key(b, me, &request_key("click-1"))
            .await
            .expect("read"),
        found(&in_b, "f3")
    );
    assert_eq!(
        uow.event_by_key(a, me, &request_key("click-2"))
            .await
            .expect("read"),
        None
    );
    let stranger = UserId::from_uuid(s.ids.next_id());
    assert_eq!(
        uow.event_by_key(a, stranger, &request_key("click-1"))
            .await
            .expect("read"),
        None
    );
    assert_eq!(uow.event(retry.id()).await.expect("read"), None);
}

/// An outcome event whose id exists MUST be `Duplicate(Id(OutcomeEvent))`, keyed with a new
/// key or not keyed, and a new event under a used key `Duplicate(IdempotencyKey)`: the use
/// case answers only the second with the first registration's result, so a store that
/// names one for the other would replay a stranger's registration or refuse a retry.
pub async fn outcome_event_id_taken_is_told_apart_from_a_used_key(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let e0 = &s.world.enrollments[0];
    let first = no_answer(&s, e0, at(10));
    let mut uow = store.begin().await.expect("begin");
    uow.append_event(&first, Some(&keyed("click-1", "f1")))
        .await
        .expect("append");
    uow.commit().await.expect("commit");

    let same_id = OutcomeEvent::from(OutcomeEventRecord {
        occurred_at: at(11),
        ..OutcomeEventRecord::from(first.clone())
    });
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.append_event(&same_id, Some(&keyed("click-2", "f2")))
            .await,
        UniqueRule::Id(RecordKind::OutcomeEvent),
        "an event id that exists, under a new key",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.append_event(&same_id, None).await,
        UniqueRule::Id(RecordKind::OutcomeEvent),
        "an event id that exists, with no key",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.append_event(&no_answer(&s, e0, at(12)), Some(&keyed("click-1", "f3")))
            .await,
        UniqueRule::IdempotencyKey,
        "a new event under a used key",
    );
}

/// `update_enrollment_with_event` is `update_enrollment` and then, only if that went
/// through, `append_event`. Both written: the event with its key, fingerprint and product
/// lines, the counters and rollups following, and the enrollment noted at its new version
/// (a later update in the unit goes through). An update refused (the enrollment missing, or
/// moved) MUST be `Conflict` — under a used key too: the update comes first — and write
/// neither, the unit going on. A used key MUST be `Duplicate(IdempotencyKey)` and a taken id
/// `Duplicate(Id(OutcomeEvent))`, as `append_event` answers them.
pub async fn update_enrollment_with_event_writes_both_or_neither(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let a = s.world.assignment.id();
    let me = s.world.sellers[0].id;
    let (e0, e1) = (&s.world.enrollments[0], &s.world.enrollments[1]);

    let sold = sale(&s, e0, at(10));
    let after_sale = with(e0, |e| {
        e.state = SalesFlow::SALE;
        e.category = StateCategory::Yes;
        e.attempts = 1;
        e.last_contact = Some(at(10));
    });
    let mut uow = store.begin().await.expect("begin");
    uow.enrollment(e0.id()).await.expect("read");
    uow.update_enrollment_with_event(&after_sale, &sold, Some(&keyed("click-1", "f1")))
        .await
        .expect("both written");
    let again = with(&after_sale, |e| e.attempts = 2);
    uow.update_enrollment(&again)
        .await
        .expect("an update after it in the same unit MUST go through");
    uow.commit().await.expect("commit");

    // Refused updates: a missing enrollment (never read), one that would move (read first).
    let ghost = enroll(&s, a, 1, 99);
    let moved = with(e1, |e| e.sequence += 100);
    let mut uow = store.begin().await.expect("begin");
    uow.enrollment(e1.id()).await.expect("read");
    for (refused, key) in [
        (&ghost, None),
        (&moved, None),
        (&ghost, Some(keyed("click-1", "f2"))),
        (&moved, Some(keyed("click-1", "f3"))),
    ] {
        let event = no_answer(&s, refused, at(20));
        let result = uow
            .update_enrollment_with_event(refused, &event, key.as_ref())
            .await;
        assert!(
            matches!(result, Err(StoreError::Conflict(_))),
            "a refused update MUST be Conflict, before the event's key is looked at: \
             got {result:?}"
        );
        assert_eq!(
            uow.event(event.id()).await.expect("read"),
            None,
            "a refused update MUST append no event"
        );
    }
    let answered = no_answer(&s, e1, at(21));
    let after_answer = with(e1, |e| {
        e.attempts = 1;
        e.last_contact = Some(at(21));
        e.no_answer_at = Some(at(21));
    });
    uow.update_enrollment_with_event(&after_answer, &answered, None)
        .await
        .expect("the unit goes on after a refused update");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollment(e0.id()).await.expect("read"),
        Some(again.clone())
    );
    assert_eq!(
        uow.enrollment(e1.id()).await.expect("read"),
        Some(after_answer)
    );
    assert_eq!(uow.enrollment(ghost.id()).await.expect("read"), None);
    assert_eq!(
        uow.events_of(e0.id()).await.expect("read"),
        vec![sold.clone()]
    );
    assert_eq!(
        uow.events_of(e1.id()).await.expect("read"),
        vec![answered.clone()],
        "only the registration whose update went through has its event"
    );
    assert_eq!(
        uow.event_by_key(a, me, &request_key("click-1"))
            .await
            .expect("read"),
        Some(KeyedEvent {
            event: sold.clone(),
            fingerprint: Some(RequestFingerprint::from_stored("f1".to_owned())),
        })
    );
    let window = [&sold, &answered];
    assert_eq!(
        uow.outcome_tally(&[a], at(0), at(60)).await.expect("tally"),
        reports::tally_outcomes(window),
        "the events MUST be counted as appended"
    );
    assert_eq!(
        uow.sold_products(&[a], at(0), at(60)).await.expect("tally"),
        reports::tally_sold_products(window).expect("sums"),
        "the event's product lines MUST be written with it"
    );
    let enrollments = uow.enrollments(a).await.expect("read");
    assert_eq!(
        uow.status_tally(a).await.expect("tally"),
        reports::tally_status(&enrollments),
        "the status counters MUST follow the updates"
    );
    drop(uow);

    // A used key, a taken id: refused as `append_event` refuses them; the unit is dropped
    // after them (the update may stand in it), and nothing of them is kept.
    let mut uow = store.begin().await.expect("begin");
    let current = uow
        .enrollment(e0.id())
        .await
        .expect("read")
        .expect("exists");
    let retry = no_answer(&s, &current, at(30));
    duplicate(
        uow.update_enrollment_with_event(
            &with(&current, |e| e.attempts = 5),
            &retry,
            Some(&keyed("click-1", "f4")),
        )
        .await,
        UniqueRule::IdempotencyKey,
        "a registration under a used key",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    let current = uow
        .enrollment(e0.id())
        .await
        .expect("read")
        .expect("exists");
    let same_id = OutcomeEvent::from(OutcomeEventRecord {
        occurred_at: at(31),
        ..OutcomeEventRecord::from(sold.clone())
    });
    duplicate(
        uow.update_enrollment_with_event(
            &with(&current, |e| e.attempts = 6),
            &same_id,
            Some(&keyed("click-2", "f5")),
        )
        .await,
        UniqueRule::Id(RecordKind::OutcomeEvent),
        "a registration whose event id is taken",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.enrollment(e0.id()).await.expect("read"), Some(again));
    assert_eq!(uow.events_of(e0.id()).await.expect("read"), vec![sold]);
    assert_eq!(
        uow.event_by_key(a, me, &request_key("click-2"))
            .await
            .expect("read"),
        None
    );
}

/// `outcome_list` is the window's events that the filter keeps, oldest first (ties at one
/// instant in append order), a page at a time: concatenating the pages of any size gives
/// the whole filtered list; each filter keeps exactly its events; an `after` outside the
/// window, of another assignment or unknown gives no rows.
pub async fn outcome_list_filters_and_pages_the_window(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let a = s.world.assignment.id();
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let in_b = no_answer(&s, &enroll(&s, b, 2, 1), at(30));
    let mut log = Vec::new();
    for i in 0..24i64 {
        let enrollment = &s.world.enrollments[(i % 3) as usize];
        // Three events share each instant; every third is a sale, every other by `other`.
        let when = at(10 * (i / 3));
        let event = if i % 3 == 2 {
            sale(&s, enrollment, when)
        } else {
            no_answer(&s, enrollment, when)
        };
        let mut record = OutcomeEventRecord::from(event);
        if i % 2 == 1 {
            record.user = Some(other);
        }
        if i % 6 == 5 {
            // A sale without product lines: a sale, but no sold lines.
            record.products.clear();
        }
        if i % 6 == 4 {
            // An offer: product lines landing in an Open state are not sold.
            let lines = OutcomeEventRecord::from(sale(&s, enrollment, when)).products;
            record = OutcomeEventRecord {
                outcome: Some(SalesFlow::O_OFFER),
                class: OutcomeClass::Progress,
                to_state: SalesFlow::OFFER,
                to_category: StateCategory::Open,
                products: lines,
                ..record
            };
        }
        log.push(OutcomeEvent::from(record));
    }
    let mut uow = store.begin().await.expect("begin");
    uow.append_event(&in_b, None).await.expect("append");
    for event in &log {
        uow.append_event(event, None).await.expect("append");
    }
    uow.commit().await.expect("commit");

    // The window [10, 60): instants 10..=50, 15 events.
    let (from, to) = (at(10), at(60));
    let window: Vec<OutcomeEvent> = log
        .iter()
        .filter(|e| e.occurred_at() >= from && e.occurred_at() < to)
        .cloned()
        .collect();
    assert_eq!(window.len(), 15);
    let filters = [
        OutcomeFilter::default(),
        OutcomeFilter {
            outcome: Some(SalesFlow::O_SALE),
            ..OutcomeFilter::default()
        },
        OutcomeFilter {
            user: Some(other),
            ..OutcomeFilter::default()
        },
        OutcomeFilter {
            user: Some(me),
            to_state: Some(SalesFlow::TO_CALL),
            ..OutcomeFilter::default()
        },
        OutcomeFilter {
            outcome: Some(SalesFlow::O_NO_SALE),
            ..OutcomeFilter::default()
        },
        OutcomeFilter {
            sold: true,
            ..OutcomeFilter::default()
        },
        OutcomeFilter {
            sold: true,
            user: Some(me),
            ..OutcomeFilter::default()
        },
    ];
    let sold = window
        .iter()
        .filter(|e| e.to_category() == StateCategory::Yes && !e.products().is_empty())
        .count();
    assert!(
        (1..window.len()).contains(&sold),
        "the window holds sold and unsold sales"
    );
    let mut uow = store.begin_read().await.expect("begin");
    for filter in &filters {
        let expected: Vec<OutcomeEvent> = window
            .iter()
            .filter(|e| filter.matches(e))
            .cloned()
            .collect();
        for limit in [1u32, 2, 4, 100] {
            let mut pages = Vec::new();
            let mut after = None;
            loop {
                let page = uow
                    .outcome_list(a, from, to, filter, after, limit)
                    .await
                    .expect("a page");
                assert!(
                    page.len() <= limit as usize,
                    "a page MUST hold at most `limit` events"
                );
                let Some(last) = page.last() else { break };
                after = Some(last.id());
                pages.extend(page);
            }
            assert_eq!(
                pages, expected,
                "the pages of {filter:?} (limit {limit}) MUST be the window's matching events, \
                 oldest first, ties in append order, each once"
            );
        }
    }
    let all = OutcomeFilter::default();
    let outside = log
        .iter()
        .find(|e| e.occurred_at() < from)
        .expect("an event before");
    for (after, what) in [
        (outside.id(), "an event outside the window"),
        (in_b.id(), "another assignment's event"),
        (
            OutcomeEventId::from_uuid(s.ids.next_id()),
            "an unknown event",
        ),
    ] {
        assert_eq!(
            uow.outcome_list(a, from, to, &all, Some(after), 10)
                .await
                .expect("read"),
            vec![],
            "after {what}, outcome_list MUST give no rows"
        );
    }
    assert_eq!(
        uow.outcome_list(b, from, to, &all, None, 10)
            .await
            .expect("read"),
        vec![in_b],
        "outcome_list MUST keep to its assignment"
    );
}

/// `held_by` is the assignment's enrollments whose lease the seller holds after `now`, by
/// id: not a lapsed lease (nor one ending exactly at `now`), not another seller's, not
/// another assignment's.
pub async fn held_by_is_the_sellers_live_leases_in_the_assignment(store: SharedStore) {
    let s = setup(store.as_ref(), 5).await;
    let a = s.world.assignment.id();
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let lease = |e: &Enrollment, seller, until| {
        with(e, |e| {
            e.reservation = Some(Reservation { seller, until });
        })
    };
    let e = &s.world.enrollments;
    let mine = [lease(&e[0], me, at(60)), lease(&e[3], me, at(90))];
    let lapsed = lease(&e[1], me, at(10));
    let at_now = lease(&e[4], me, at(30));
    let theirs = lease(&e[2], other, at(60));
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let elsewhere = lease(&enroll(&s, b, 0, 1), me, at(60));
    let mut uow = store.begin().await.expect("begin");
    for enrollment in mine.iter().chain([&lapsed, &at_now, &theirs]) {
        uow.update_enrollment(enrollment).await.expect("update");
    }
    uow.insert_enrollment(&elsewhere).await.expect("insert");
    uow.commit().await.expect("commit");

    let mut uow = store.begin_read().await.expect("begin");
    let mut expected = mine.to_vec();
    expected.sort_by_key(Enrollment::id);
    assert_eq!(
        uow.held_by(a, me, at(30)).await.expect("read"),
        expected,
        "held_by MUST be the seller's leases of the assignment live after now, by id"
    );
    assert_eq!(
        uow.held_by(a, other, at(30)).await.expect("read"),
        vec![theirs]
    );
    assert_eq!(uow.held_by(a, me, at(120)).await.expect("read"), vec![]);
}

/// `enrollment_and_assignment` reads what `enrollment` and then `assignment` read, and notes
/// the enrollment as read: an update of it in the same unit goes through (its version is the
/// one read). An unknown enrollment is `None`.
pub async fn enrollment_and_assignment_reads_both(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let enrollment = s.world.enrollments[1].clone();
    let mut uow = store.begin().await.expect("begin");
    let (read, assignment) = uow
        .enrollment_and_assignment(enrollment.id())
        .await
        .expect("read")
        .expect("the enrollment");
    assert_eq!(read, enrollment);
    assert_eq!(assignment.as_ref(), Some(&s.world.assignment));
    assert_eq!(
        assignment,
        uow.assignment(enrollment.assignment()).await.expect("read")
    );
    let unknown = EnrollmentId::from_uuid(s.ids.next_id());
    assert_eq!(
        uow.enrollment_and_assignment(unknown).await.expect("read"),
        None
    );
    let changed = with(&read, |e| {
        e.attempts = 4;
        e.last_contact = Some(at(5));
    });
    uow.update_enrollment(&changed)
        .await
        .expect("an update after the combined read MUST go through");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollment(enrollment.id()).await.expect("read"),
        Some(changed)
    );
}
