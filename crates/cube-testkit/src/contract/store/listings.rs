//! Contract cases for the lists that read a whole store back, a page at a time (what copying
//! one store into another reads): every organisation, a data owner's flow drafts, a user's
//! tokens, and the paged lists of customers, enrollments, meetings, time entries, the
//! outcome log and the outbox. Each paged list is read in pages of two and MUST give every
//! row once, in its order, whatever the page size; an `after` that is not one of the list's
//! rows gives nothing (the enrollments page from a place in their order instead, which need
//! not be a row).

use crate::contract::{Setup, SharedStore, at, setup};
use crate::fixtures::{SalesFlow, name};
use cube_domain::access::Organisation;
use cube_domain::customer::{Customer, CustomerFilter};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::flow::StateCategory;
use cube_domain::idempotency::{IdempotencyKey, RequestFingerprint, RequestKey};
use cube_domain::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, FlowId, MeetingId,
    OrganisationId, OutboxMessageId, OutcomeEventId, TimeEntryId, UserId,
};
use cube_domain::meeting::{Meeting, MeetingKind};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord};
use cube_domain::ports::{
    AccessToken, DeliveryState, IdGenerator, LoggedEvent, OutboxMessage, OutboxPayload, Page,
    SmsMessage, StoredMessage, TokenKind,
};
use cube_domain::time_entry::TimeEntry;
use cube_domain::values::PhoneNumber;
use std::future::Future;
use time::OffsetDateTime;

/// Every row of a paged list, read `size` rows at a time: `page(after, limit)` is the list
/// and `key` the id the next page starts after. Panics if a page is longer than asked or the
/// pages never end.
async fn all_pages<T, K, F, Fut>(size: u32, key: impl Fn(&T) -> K, mut page: F) -> Vec<T>
where
    K: Copy,
    F: FnMut(Option<K>, u32) -> Fut,
    Fut: Future<Output = Vec<T>>,
{
    let mut rows: Vec<T> = Vec::new();
    let mut after = None;
    for _ in 0..1_000 {
        let next = page(after, size).await;
        assert!(
            next.len() <= size as usize,
            "a page MUST hold at most `limit` rows: asked {size}, got {}",
            next.len()
        );
        let Some(last) = next.last() else {
            return rows;
        };
        after = Some(key(last));
        rows.extend(next);
    }
    panic!("the pages never end: the same rows come back after the last one");
}

/// `organisations` lists every organisation of the store by id; an empty store has none.
pub async fn organisations_are_listed_by_id(store: SharedStore) {
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.organisations().await.expect("list"),
        vec![],
        "an empty store has no organisation"
    );
    drop(uow);
    let s = setup(store.as_ref(), 0).await;
    let others: Vec<Organisation> = ["Zeta AS", "Alfa AS"]
        .into_iter()
        .map(|n| Organisation {
            caller_ids: Vec::new(),
            time_zone: Default::default(),
            id: OrganisationId::from_uuid(s.ids.next_id()),
            name: name(n),
        })
        .collect();
    let mut uow = store.begin().await.expect("begin");
    for organisation in &others {
        uow.save_organisation(organisation).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut expected = vec![s.world.organisation.clone()];
    expected.extend(others);
    expected.sort_by_key(|o| o.id);
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.organisations().await.expect("list"),
        expected,
        "organisations MUST list every organisation, by id"
    );
}

/// `flow_drafts` lists the data owner's drafts by flow id, and no other owner's.
pub async fn flow_drafts_are_listed_per_data_owner(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let owner = s.world.data_owner.id();
    let sales = s.world.sales_flow.new_draft();
    let mut meeting = s.world.meeting_flow.new_draft();
    meeting.name = name("Møtebooking (ny)");
    let elsewhere = DataOwnerId::from_uuid(s.ids.next_id());
    let theirs = SalesFlow::draft(FlowId::from_uuid(s.ids.next_id()), elsewhere);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.flow_drafts(owner).await.expect("list"), vec![]);
    for draft in [&meeting, &theirs, &sales] {
        uow.save_flow_draft(draft).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut expected = vec![sales, meeting];
    expected.sort_by_key(|d| d.id);
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.flow_drafts(owner).await.expect("list"),
        expected,
        "flow_drafts MUST list the data owner's drafts, by flow id"
    );
    assert_eq!(
        uow.flow_drafts(elsewhere).await.expect("list"),
        vec![theirs]
    );
}

/// `customers_after` pages through the data owner's customers oldest first (an update keeps
/// a customer's place), exactly as `customers` lists them; another owner's customers are
/// not in it, and their ids are no place to start after.
pub async fn customers_after_pages_oldest_first(store: SharedStore) {
    let s = setup(store.as_ref(), 5).await;
    let owner = s.world.data_owner.id();
    let other_owner = DataOwner::new(
        DataOwnerId::from_uuid(s.ids.next_id()),
        s.world.organisation.id,
        name("Annen dataeier"),
    );
    let elsewhere = other_owner.id();
    let stranger = Customer::new(
        CustomerId::from_uuid(s.ids.next_id()),
        &other_owner,
        Dataset::B2b,
        s.world.customers[0].details().clone(),
        FieldValues::new(),
    )
    .expect("a customer without CRM values");
    let mut updated = s.world.customers[1].clone();
    let mut details = updated.details().clone();
    details.name = name("Omdøpt AS");
    updated
        .update(&s.world.data_owner, details, FieldValues::new())
        .expect("a valid update");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&stranger).await.expect("save");
    uow.save_customer(&updated).await.expect("update");
    uow.commit().await.expect("commit");

    let mut expected = s.world.customers.clone();
    expected[1] = updated;
    let store_ref = &store;
    let paged = all_pages(2, Customer::id, |after, limit| async move {
        let mut uow = store_ref.begin_read().await.expect("begin");
        uow.customers_after(owner, after, limit)
            .await
            .expect("page")
    })
    .await;
    assert_eq!(
        paged, expected,
        "customers_after MUST give every customer of the owner once, oldest first"
    );
    let mut uow = store.begin_read().await.expect("begin");
    let listed = uow
        .customers(
            owner,
            &CustomerFilter::default(),
            Page {
                offset: 0,
                limit: 100,
            },
        )
        .await
        .expect("list");
    assert_eq!(paged, listed, "customers_after MUST agree with customers");
    assert_eq!(
        uow.customers_after(owner, Some(stranger.id()), 10)
            .await
            .expect("page"),
        vec![],
        "another owner's customer is no place to start after"
    );
    assert_eq!(
        uow.customers_after(elsewhere, None, 10)
            .await
            .expect("page"),
        vec![stranger]
    );
}

/// A fresh enrollment of the world's customer `i` in `assignment` with `sequence`.
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

/// `enrollments_after` pages through the assignment's enrollments in import order (sequence,
/// then id), exactly as `enrollments` lists them, and no other assignment's; it starts after
/// a place in that order, not after a row: a page's last enrollment removed before the next
/// page is read (an export between two pages) skips nothing and repeats nothing, also when
/// the removed one shares its sequence number with the next.
pub async fn enrollments_after_pages_in_import_order(store: SharedStore) {
    let s = setup(store.as_ref(), 5).await;
    let a = AssignmentId::from_uuid(s.ids.next_id());
    let b = AssignmentId::from_uuid(s.ids.next_id());
    // Inserted out of import order, two at one sequence number.
    let rows = [
        enroll(&s, a, 0, 7),
        enroll(&s, a, 1, 3),
        enroll(&s, a, 2, 5),
        enroll(&s, a, 3, 5),
        enroll(&s, a, 4, 1),
        enroll(&s, b, 0, 2),
    ];
    let mut uow = store.begin().await.expect("begin");
    for enrollment in &rows {
        uow.insert_enrollment(enrollment).await.expect("insert");
    }
    uow.commit().await.expect("commit");

    let mut expected: Vec<Enrollment> = rows[..5].to_vec();
    expected.sort_by_key(|e| (e.sequence(), e.id()));
    let store_ref = &store;
    let paged = all_pages(2, Enrollment::cursor, |after, limit| async move {
        let mut uow = store_ref.begin_read().await.expect("begin");
        uow.enrollments_after(a, after, limit).await.expect("page")
    })
    .await;
    assert_eq!(
        paged, expected,
        "enrollments_after MUST give every enrollment of the assignment once, by sequence then id"
    );
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(paged, uow.enrollments(a).await.expect("list"));
    // Another assignment's place is a place in the order all the same.
    let elsewhere = rows[5].cursor();
    let after_elsewhere: Vec<Enrollment> = expected
        .iter()
        .filter(|e| e.cursor() > elsewhere)
        .cloned()
        .collect();
    assert_eq!(after_elsewhere.len(), 4, "the place falls inside a's order");
    assert_eq!(
        uow.enrollments_after(a, Some(elsewhere), 10)
            .await
            .expect("page"),
        after_elsewhere,
        "the rows after a place are those after it in the order, whoever's place it was"
    );
    assert_eq!(
        uow.enrollments_after(b, None, 10).await.expect("page"),
        vec![rows[5].clone()]
    );
    drop(uow);

    // A first page of three ends on the first of the two at sequence 5; that one is removed
    // before the next page is read.
    let mut uow = store.begin_read().await.expect("begin");
    let first = uow.enrollments_after(a, None, 3).await.expect("page");
    drop(uow);
    assert_eq!(first, expected[..3]);
    let last = first.last().expect("a last row").clone();
    assert_eq!(
        last.sequence(),
        expected[3].sequence(),
        "a tie across the pages"
    );
    let mut uow = store.begin().await.expect("begin");
    uow.delete_enrollment(last.id()).await.expect("removed");
    uow.commit().await.expect("commit");
    let mut uow = store.begin_read().await.expect("begin");
    let rest = uow
        .enrollments_after(a, Some(last.cursor()), 3)
        .await
        .expect("page");
    assert_eq!(
        rest,
        expected[3..],
        "after a removed enrollment's place MUST come exactly the rows after it: none skipped, none twice"
    );
    // And a removed row at the end of a page whose next row has a higher sequence.
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    uow.delete_enrollment(expected[0].id())
        .await
        .expect("removed");
    uow.commit().await.expect("commit");
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.enrollments_after(a, Some(expected[0].cursor()), 10)
            .await
            .expect("page"),
        vec![
            expected[1].clone(),
            expected[3].clone(),
            expected[4].clone()
        ],
    );
}

/// A meeting of `assignment` starting `start` minutes after the tests' now.
fn meeting(s: &Setup, assignment: AssignmentId, start: i64) -> Meeting {
    Meeting {
        id: MeetingId::from_uuid(s.ids.next_id()),
        calendar: CalendarId::from_uuid(s.ids.next_id()),
        assignment,
        enrollment: EnrollmentId::from_uuid(s.ids.next_id()),
        customer: CustomerId::from_uuid(s.ids.next_id()),
        booked_by: None,
        start: at(start),
        end: at(start + 30),
        kind: MeetingKind::Physical,
        place: None,
    }
}

/// `meetings_after` pages through the assignment's meetings by start then id, and no other
/// assignment's.
pub async fn meetings_after_pages_by_start(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let a = s.world.assignment.id();
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let rows = [
        meeting(&s, a, 300),
        meeting(&s, a, 60),
        meeting(&s, a, 120),
        meeting(&s, a, 120),
        meeting(&s, a, -60),
        meeting(&s, b, 0),
    ];
    let mut uow = store.begin().await.expect("begin");
    for m in &rows {
        uow.insert_meeting(m).await.expect("book");
    }
    uow.commit().await.expect("commit");

    let mut expected: Vec<Meeting> = rows[..5].to_vec();
    expected.sort_by_key(|m| (m.start, m.id));
    let store_ref = &store;
    let paged = all_pages(
        2,
        |m: &Meeting| m.id,
        |after, limit| async move {
            let mut uow = store_ref.begin_read().await.expect("begin");
            uow.meetings_after(a, after, limit).await.expect("page")
        },
    )
    .await;
    assert_eq!(
        paged, expected,
        "meetings_after MUST give every meeting of the assignment once, by start then id"
    );
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.meetings_after(a, Some(rows[5].id), 10)
            .await
            .expect("page"),
        vec![],
        "another assignment's meeting is no place to start after"
    );
    assert_eq!(
        uow.meetings_after(b, None, 10).await.expect("page"),
        vec![rows[5].clone()]
    );
}

/// `time_entries_after` pages through the assignment's entries (running ones too) by start
/// then id, and no other assignment's.
pub async fn time_entries_after_pages_by_start(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let a = s.world.assignment.id();
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let entry = |user, assignment, start: i64, end: i64| {
        TimeEntry::manual(
            TimeEntryId::from_uuid(s.ids.next_id()),
            user,
            assignment,
            at(start),
            at(end),
        )
        .expect("a valid entry")
    };
    let rows = [
        entry(me, a, 120, 180),
        entry(me, a, 0, 60),
        entry(other, a, 0, 30),
        TimeEntry::start(TimeEntryId::from_uuid(s.ids.next_id()), other, a, at(200)),
        entry(me, a, -600, -500),
        entry(me, b, 0, 60),
    ];
    let mut uow = store.begin().await.expect("begin");
    for e in &rows {
        uow.save_time_entry(e).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut expected: Vec<TimeEntry> = rows[..5].to_vec();
    expected.sort_by_key(|e| (e.starts_at(), e.id()));
    let store_ref = &store;
    let paged = all_pages(2, TimeEntry::id, |after, limit| async move {
        let mut uow = store_ref.begin_read().await.expect("begin");
        uow.time_entries_after(a, after, limit).await.expect("page")
    })
    .await;
    assert_eq!(
        paged, expected,
        "time_entries_after MUST give every entry of the assignment once, by start then id"
    );
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.time_entries_after(a, Some(rows[5].id()), 10)
            .await
            .expect("page"),
        vec![],
        "another assignment's entry is no place to start after"
    );
    assert_eq!(
        uow.time_entries_after(b, None, 10).await.expect("page"),
        vec![rows[5].clone()]
    );
}

/// A No answer event of `user` on the enrollment at a time.
fn no_answer(
    enrollment: &Enrollment,
    id: OutcomeEventId,
    user: UserId,
    occurred_at: OffsetDateTime,
) -> OutcomeEvent {
    OutcomeEvent::from(OutcomeEventRecord {
        id,
        assignment: enrollment.assignment(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        occurred_at,
        user: Some(user),
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

fn key(key: &str, fingerprint: &str) -> IdempotencyKey {
    IdempotencyKey {
        key: RequestKey::parse(key).expect("a valid key"),
        fingerprint: RequestFingerprint::from_stored(fingerprint.to_owned()),
    }
}

/// `events_after` gives the whole log — every assignment's events — in append order (not by
/// time: appending them again in this order rebuilds every list of the log, ties included),
/// each with the idempotency key and fingerprint it was appended with.
pub async fn events_after_reads_the_whole_log_in_append_order(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let e0 = &s.world.enrollments[0];
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let in_b = enroll(&s, b, 1, 1);
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let event = |enrollment, user, minutes| {
        no_answer(
            enrollment,
            OutcomeEventId::from_uuid(s.ids.next_id()),
            user,
            at(minutes),
        )
    };
    // Out of time order, across assignments, two at one instant, in two units.
    let log = [
        (event(e0, me, 60), Some(key("click-1", "f1"))),
        (event(&in_b, me, 10), None),
        (event(e0, other, 30), Some(key("click-1", "f2"))),
        (event(&in_b, other, 30), None),
        (event(e0, me, 0), Some(key("click-2", "f3"))),
    ];
    for part in [&log[..2], &log[2..]] {
        let mut uow = store.begin().await.expect("begin");
        for (event, key) in part {
            uow.append_event(event, key.as_ref()).await.expect("append");
        }
        uow.commit().await.expect("commit");
    }

    let expected: Vec<LoggedEvent> = log
        .iter()
        .map(|(event, key)| LoggedEvent {
            event: event.clone(),
            key: key.clone(),
        })
        .collect();
    let store_ref = &store;
    let paged = all_pages(
        2,
        |logged: &LoggedEvent| logged.event.id(),
        |after, limit| async move {
            let mut uow = store_ref.begin_read().await.expect("begin");
            uow.events_after(after, limit).await.expect("page")
        },
    )
    .await;
    assert_eq!(
        paged, expected,
        "events_after MUST give every event once, in append order, with its key"
    );
    let mut uow = store.begin_read().await.expect("begin");
    let unknown = OutcomeEventId::from_uuid(s.ids.next_id());
    assert_eq!(
        uow.events_after(Some(unknown), 10).await.expect("page"),
        vec![]
    );
}

fn sms(s: &Setup, created_at: OffsetDateTime, body: &str) -> OutboxMessage {
    OutboxMessage {
        id: OutboxMessageId::from_uuid(s.ids.next_id()),
        assignment: s.world.assignment.id(),
        enrollment: None,
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Acme".into(),
            to: PhoneNumber::parse("+4791234567").expect("valid"),
            body: body.into(),
        }),
        created_at,
    }
}

/// `messages_after` gives every message of the outbox in enqueue order with its delivery
/// state: pending (due at once, waiting for a retry after counted attempts, or claimed until
/// a time), delivered, or failed with the reason.
pub async fn messages_after_lists_every_message_with_its_state(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let fresh = sms(&s, at(5), "fresh");
    let deferred = sms(&s, at(1), "deferred");
    let delivered = sms(&s, at(3), "delivered");
    let failed = sms(&s, at(3), "failed");
    let claimed = sms(&s, at(9), "claimed");
    let mut uow = store.begin().await.expect("begin");
    for m in [&fresh, &deferred, &delivered, &failed] {
        uow.enqueue(m).await.expect("enqueue");
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    uow.defer(deferred.id, at(20)).await.expect("defer");
    uow.defer(deferred.id, at(40)).await.expect("defer");
    uow.mark_delivered(delivered.id).await.expect("delivered");
    uow.defer(failed.id, at(20)).await.expect("defer");
    uow.mark_failed(failed.id, "unknown number")
        .await
        .expect("fail");
    uow.enqueue(&claimed).await.expect("enqueue");
    uow.commit().await.expect("commit");
    // Claim only the last one: the others are not due before their retry time, or done.
    let mut uow = store.begin().await.expect("begin");
    let due = uow.claim_messages(10, at(10), at(15)).await.expect("claim");
    assert_eq!(
        due.iter().map(|c| c.message.id).collect::<Vec<_>>(),
        vec![fresh.id, claimed.id]
    );
    uow.commit().await.expect("commit");

    let stored = |message: &OutboxMessage, attempts, state| StoredMessage {
        message: message.clone(),
        attempts,
        state,
    };
    let expected = vec![
        stored(
            &fresh,
            0,
            DeliveryState::Pending {
                due_at: Some(at(15)),
            },
        ),
        stored(
            &deferred,
            2,
            DeliveryState::Pending {
                due_at: Some(at(40)),
            },
        ),
        stored(&delivered, 0, DeliveryState::Delivered),
        stored(
            &failed,
            1,
            DeliveryState::Failed {
                reason: "unknown number".into(),
            },
        ),
        stored(
            &claimed,
            0,
            DeliveryState::Pending {
                due_at: Some(at(15)),
            },
        ),
    ];
    let store_ref = &store;
    let paged = all_pages(
        2,
        |m: &StoredMessage| m.message.id,
        |after, limit| async move {
            let mut uow = store_ref.begin_read().await.expect("begin");
            uow.messages_after(after, limit).await.expect("page")
        },
    )
    .await;
    assert_eq!(
        paged, expected,
        "messages_after MUST give every message once, in enqueue order, with its state"
    );

    // A message never claimed nor tried is due at once.
    let untouched = sms(&s, at(50), "untouched");
    let mut uow = store.begin().await.expect("begin");
    uow.enqueue(&untouched).await.expect("enqueue");
    uow.commit().await.expect("commit");
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.messages_after(Some(claimed.id), 10)
            .await
            .expect("page"),
        vec![stored(
            &untouched,
            0,
            DeliveryState::Pending { due_at: None }
        )]
    );
    let unknown = OutboxMessageId::from_uuid(s.ids.next_id());
    assert_eq!(
        uow.messages_after(Some(unknown), 10).await.expect("page"),
        vec![]
    );
}

/// `tokens_of` gives every token of the user — sessions and API tokens, expired or not — by
/// hash, and no other user's.
pub async fn tokens_of_lists_a_users_tokens_by_hash(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let token = |n: u64, user, kind, expires_at| AccessToken {
        token_hash: format!("{n:064x}"),
        user,
        kind,
        created_at: at(0),
        expires_at,
    };
    let mine = [
        token(30, me, TokenKind::Api, None),
        token(10, me, TokenKind::Session, Some(at(60))),
        token(20, me, TokenKind::Session, Some(at(-60))),
    ];
    let theirs = token(15, other, TokenKind::Api, None);
    let mut uow = store.begin().await.expect("begin");
    for t in mine.iter().chain([&theirs]) {
        uow.insert_token(t).await.expect("insert");
    }
    uow.commit().await.expect("commit");

    let mut expected = mine.to_vec();
    expected.sort_by(|x, y| x.token_hash.cmp(&y.token_hash));
    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.tokens_of(me).await.expect("list"),
        expected,
        "tokens_of MUST give every token of the user, expired or not, by hash"
    );
    assert_eq!(uow.tokens_of(other).await.expect("list"), vec![theirs]);
    let stranger = UserId::from_uuid(s.ids.next_id());
    assert_eq!(uow.tokens_of(stranger).await.expect("list"), vec![]);
}
