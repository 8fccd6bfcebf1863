//! Contract cases for the unit of work as a whole (commit, rollback on drop, isolation from
//! a unit that rolls back) and for the ports written alongside the work: time entries, the
//! outbox and batched imports.

use super::duplicate;
use crate::contract::{SharedStore, at, setup, with};
use crate::fixtures::{SalesFlow, World, name};
use cube_domain::access::Organisation;
use cube_domain::customer::{Customer, CustomerDetails, CustomerFilter};
use cube_domain::data_owner::Dataset;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::flow::StateCategory;
use cube_domain::idempotency::{IdempotencyKey, RequestFingerprint, RequestKey};
use cube_domain::ids::{
    AssignmentId, CustomerId, EnrollmentId, MeetingId, OrganisationId, OutboxMessageId,
    OutcomeEventId, ProductId, SegmentId, TimeEntryId,
};
use cube_domain::meeting::{Meeting, MeetingKind};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord};
use cube_domain::ports::{
    ClaimedMessage, CustomerKey, DeliveryReceipt, DeliveryState, IdGenerator, ImportBatch,
    ImportCounts, ImportRow, ImportedRow, OnMatch, OutboxMessage, OutboxPayload, Page, RecordKind,
    RowCustomer, SmsMessage, UniqueRule,
};
use cube_domain::product::Product;
use cube_domain::time_entry::TimeEntry;
use cube_domain::values::{Email, PhoneNumber};
use rust_decimal::Decimal;
use std::time::Duration as StdDuration;
use time::OffsetDateTime;

fn by_id(mut entries: Vec<TimeEntry>) -> Vec<TimeEntry> {
    entries.sort_by_key(|e| e.id());
    entries
}

/// Time entries are read back; the running one is the user's entry without an end;
/// `time_entries` gives the assignments' entries overlapping `[from, to)` (a running entry
/// overlaps from its start on).
pub async fn time_entries_round_trip_running_and_window(store: SharedStore) {
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
    let first = entry(me, a, at(0), at(60));
    let second = entry(me, a, at(60), at(120));
    let before = entry(me, a, at(-120), at(-60));
    let in_b = entry(me, b, at(0), at(600));
    let running = TimeEntry::start(TimeEntryId::from_uuid(s.ids.next_id()), other, a, at(90));
    let mut uow = store.begin().await.expect("begin");
    for e in [&first, &second, &before, &in_b, &running] {
        uow.save_time_entry(e).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.running_time_entry(other).await.expect("read"),
        Some(running.clone())
    );
    assert_eq!(uow.running_time_entry(me).await.expect("read"), None);
    assert_eq!(
        by_id(uow.time_entries(&[a], at(60), at(100)).await.expect("read")),
        by_id(vec![second.clone(), running.clone()]),
        "an entry ending at `from` does not overlap; a running one does from its start"
    );
    assert_eq!(
        by_id(
            uow.time_entries(&[a, b], at(30), at(61))
                .await
                .expect("read")
        ),
        by_id(vec![first, second, in_b])
    );
    let mut stopped = running;
    stopped.stop(at(150)).expect("stop");
    uow.save_time_entry(&stopped).await.expect("update");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.running_time_entry(other).await.expect("read"), None);
    assert_eq!(
        uow.time_entries(&[a], at(140), at(141))
            .await
            .expect("read"),
        vec![stopped]
    );
}

fn sms(s: &crate::contract::Setup, created_at: OffsetDateTime, body: &str) -> OutboxMessage {
    OutboxMessage {
        id: OutboxMessageId::from_uuid(s.ids.next_id()),
        assignment: s.world.assignment.id(),
        enrollment: s.world.enrollments.first().map(Enrollment::id),
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Acme".into(),
            to: PhoneNumber::parse("+4791234567").expect("valid"),
            body: body.into(),
        }),
        created_at,
    }
}

/// Enqueued messages are pending, oldest first, up to the limit, until marked delivered.
pub async fn outbox_hands_out_pending_oldest_first(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let middle = sms(&s, at(10), "middle");
    let oldest = sms(&s, at(5), "oldest");
    let newest = sms(&s, at(20), "newest");
    let mut uow = store.begin().await.expect("begin");
    for m in [&middle, &oldest, &newest] {
        uow.enqueue(m).await.expect("enqueue");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.pending_messages(10).await.expect("read"),
        vec![oldest.clone(), middle.clone(), newest.clone()],
        "pending messages MUST be oldest first"
    );
    assert_eq!(
        uow.pending_messages(2).await.expect("read"),
        vec![oldest.clone(), middle.clone()]
    );
    uow.mark_delivered(oldest.id).await.expect("delivered");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.pending_messages(10).await.expect("read"),
        vec![middle, newest]
    );
}

fn claimed_ids(claimed: &[ClaimedMessage]) -> Vec<(OutboxMessageId, u32)> {
    claimed.iter().map(|c| (c.message.id, c.attempts)).collect()
}

/// `claim_messages` hands out due messages oldest first up to the limit and keeps each from
/// later claims until the claim's end; `defer` counts an attempt and sets the next due time;
/// `mark_failed` keeps a message apart (never pending or claimed again, listed by
/// `failed_messages` with its reason) and neither delivery nor failure may be undone by the
/// other; a claim dropped with its unit is undone.
pub async fn outbox_claims_defers_and_keeps_failures(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let first = sms(&s, at(1), "first");
    let second = sms(&s, at(2), "second");
    let third = sms(&s, at(3), "third");
    let mut uow = store.begin().await.expect("begin");
    for m in [&third, &first, &second] {
        uow.enqueue(m).await.expect("enqueue");
    }
    uow.commit().await.expect("commit");

    // A dropped unit's claim is undone. A store may roll a dropped unit back a moment later
    // (PostgreSQL: when the pool cleans the connection up); until then its rows are locked
    // and a claim skips them, so the next claim is tried again for up to two seconds.
    let mut uow = store.begin().await.expect("begin");
    let claimed = uow.claim_messages(10, at(10), at(15)).await.expect("claim");
    assert_eq!(claimed.len(), 3);
    drop(uow);

    let mut tries = 0;
    let (uow, claimed) = loop {
        let mut uow = store.begin().await.expect("begin");
        let claimed = uow.claim_messages(2, at(10), at(15)).await.expect("claim");
        tries += 1;
        if !claimed.is_empty() || tries == 100 {
            break (uow, claimed);
        }
        drop(uow);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(
        claimed_ids(&claimed),
        vec![(first.id, 0), (second.id, 0)],
        "claims MUST be oldest first, up to the limit, with no attempts yet"
    );
    assert_eq!(
        claimed[0].message, first,
        "the message MUST come back whole"
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let claimed = uow.claim_messages(10, at(14), at(19)).await.expect("claim");
    assert_eq!(
        claimed_ids(&claimed),
        vec![(third.id, 0)],
        "a claimed message MUST NOT be claimed again before its claim ends"
    );
    assert_eq!(
        uow.pending_messages(10).await.expect("read").len(),
        3,
        "claimed messages are still pending"
    );
    uow.defer(first.id, at(30)).await.expect("defer");
    uow.mark_failed(second.id, "unknown number")
        .await
        .expect("fail");
    uow.mark_delivered(third.id).await.expect("delivered");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.claim_messages(10, at(29), at(40)).await.expect("claim"),
        vec![],
        "a deferred message MUST NOT be claimed before its retry time"
    );
    let claimed = uow.claim_messages(10, at(30), at(40)).await.expect("claim");
    assert_eq!(
        claimed_ids(&claimed),
        vec![(first.id, 1)],
        "defer MUST count one attempt; failed and delivered messages are never claimed"
    );
    uow.defer(first.id, at(41)).await.expect("defer");
    assert_eq!(
        uow.pending_messages(10).await.expect("read"),
        vec![first.clone()],
        "failed and delivered messages MUST NOT be pending"
    );
    let mine = [s.world.assignment.id()];
    let failed = uow.failed_messages(&mine, 10).await.expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].message, second);
    assert_eq!(failed[0].reason, "unknown number");
    let elsewhere = [AssignmentId::from_uuid(s.ids.next_id())];
    assert_eq!(
        uow.failed_messages(&elsewhere, 10).await.expect("failed"),
        vec![],
        "failed_messages MUST list the given assignments' messages only"
    );
    // A failed message cannot be delivered, nor a delivered one failed or deferred.
    uow.mark_delivered(second.id).await.expect("no-op");
    uow.mark_failed(third.id, "late").await.expect("no-op");
    uow.defer(third.id, at(50)).await.expect("no-op");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let failed = uow.failed_messages(&mine, 10).await.expect("failed");
    assert_eq!(
        failed.iter().map(|f| f.message.id).collect::<Vec<_>>(),
        vec![second.id],
        "delivered stays delivered; failed stays failed"
    );
    let claimed = uow.claim_messages(10, at(41), at(50)).await.expect("claim");
    assert_eq!(claimed_ids(&claimed), vec![(first.id, 2)]);
}

/// A read unit (`begin_read`) sees everything committed before it began, and reading
/// through it and dropping it changes nothing.
pub async fn read_unit_sees_committed_work(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let w = &s.world;
    let mut uow = store.begin_read().await.expect("begin_read");
    assert_eq!(
        uow.customers(
            w.data_owner.id(),
            &CustomerFilter::default(),
            Page {
                offset: 0,
                limit: 10
            }
        )
        .await
        .expect("read"),
        w.customers,
        "a read unit MUST see what was committed before it began"
    );
    assert_eq!(
        uow.enrollments(w.assignment.id()).await.expect("read"),
        w.enrollments
    );
    assert_eq!(
        uow.status_tally(w.assignment.id())
            .await
            .expect("read")
            .len(),
        1
    );
    drop(uow); // a read unit ends when dropped

    let mut uow = store.begin_read().await.expect("begin_read");
    assert_eq!(
        uow.user(w.admin.id).await.expect("read"),
        Some(w.admin.clone())
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollments(w.assignment.id()).await.expect("read"),
        w.enrollments
    );
}

/// A long read (`begin_long_read`: one unit a page, one after another) sees, in each unit,
/// everything committed before that unit began — what a later page reads includes what was
/// committed after an earlier page — and holds nothing between its units: a writer commits
/// between two pages.
pub async fn long_read_units_see_what_was_committed_before_each(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let w = &s.world;
    let first = Organisation {
        caller_ids: Vec::new(),
        time_zone: Default::default(),
        id: OrganisationId::from_uuid(s.ids.next_id()),
        name: name("Første side AS"),
    };
    let mut uow = store.begin().await.expect("begin");
    uow.save_organisation(&first).await.expect("write");
    uow.commit().await.expect("commit");

    let mut page = store.begin_long_read().await.expect("begin_long_read");
    assert_eq!(
        page.organisation(first.id).await.expect("read"),
        Some(first.clone()),
        "a long read's unit MUST see what was committed before it began"
    );
    assert_eq!(
        page.enrollments(w.assignment.id()).await.expect("read"),
        w.enrollments
    );
    drop(page);

    let later = Organisation {
        caller_ids: Vec::new(),
        time_zone: Default::default(),
        id: OrganisationId::from_uuid(s.ids.next_id()),
        name: name("Neste side AS"),
    };
    let mut uow = store
        .begin()
        .await
        .expect("a writer begins between two pages");
    uow.save_organisation(&later).await.expect("write");
    uow.commit().await.expect("commit");
    for _ in 0..3 {
        let mut page = store.begin_long_read().await.expect("begin_long_read");
        assert_eq!(
            page.organisation(later.id).await.expect("read"),
            Some(later.clone()),
            "a long read's next unit MUST see what was committed after the one before"
        );
        drop(page);
    }
}

/// Enqueueing a message whose id exists MUST be `Duplicate(Id(OutboxMessage))`, and the
/// first message stays as it was.
pub async fn outbox_message_id_taken_is_duplicate(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let first = sms(&s, at(1), "first");
    let mut uow = store.begin().await.expect("begin");
    uow.enqueue(&first).await.expect("enqueue");
    uow.commit().await.expect("commit");
    let again = OutboxMessage {
        created_at: at(2),
        ..sms(&s, at(2), "again")
    };
    let again = OutboxMessage {
        id: first.id,
        ..again
    };
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.enqueue(&again).await,
        UniqueRule::Id(RecordKind::OutboxMessage),
        "an outbox message id that exists",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.pending_messages(10).await.expect("read"),
        vec![first],
        "a refused message MUST leave the first one as it was"
    );
}

/// A provider's delivery receipt: `Delivered` marks a pending message delivered and leaves
/// others as they are; `Failed` marks a pending or delivered message failed (listed by
/// `failed_messages`); a failed message keeps its first reason; an unknown message is
/// `false`.
pub async fn outbox_receipts_mark_delivered_and_failed(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let pending = sms(&s, at(1), "pending");
    let delivered = sms(&s, at(2), "delivered");
    let refused = sms(&s, at(3), "refused later");
    let failed = sms(&s, at(4), "failed first");
    let mut uow = store.begin().await.expect("begin");
    for m in [&pending, &delivered, &refused, &failed] {
        uow.enqueue(m).await.expect("enqueue");
    }
    uow.mark_delivered(delivered.id).await.expect("delivered");
    uow.mark_failed(failed.id, "first reason")
        .await
        .expect("failed");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let receipts = [
        (pending.id, DeliveryReceipt::Delivered),
        (
            delivered.id,
            DeliveryReceipt::Failed("the phone was off for 3 days".into()),
        ),
        (refused.id, DeliveryReceipt::Failed("no such number".into())),
        (failed.id, DeliveryReceipt::Delivered),
        (failed.id, DeliveryReceipt::Failed("a later reason".into())),
    ];
    for (id, receipt) in &receipts {
        assert!(
            uow.record_receipt(*id, receipt).await.expect("recorded"),
            "a receipt for a message that exists MUST answer true"
        );
    }
    assert!(
        !uow.record_receipt(
            OutboxMessageId::from_uuid(uuid::Uuid::from_u128(0xdead)),
            &DeliveryReceipt::Delivered
        )
        .await
        .expect("answered"),
        "a receipt for no message MUST answer false"
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let states: Vec<(String, DeliveryState)> = uow
        .messages_after(None, 10)
        .await
        .expect("read")
        .into_iter()
        .map(|m| match m.message.payload {
            OutboxPayload::Sms(sms) => (sms.body, m.state),
            other => panic!("{other:?}"),
        })
        .collect();
    let failed_with = |reason: &str| DeliveryState::Failed {
        reason: reason.into(),
    };
    assert_eq!(
        states,
        vec![
            ("pending".into(), DeliveryState::Delivered),
            (
                "delivered".into(),
                failed_with("the phone was off for 3 days")
            ),
            ("refused later".into(), failed_with("no such number")),
            ("failed first".into(), failed_with("first reason")),
        ],
        "receipts MUST move messages as the port says"
    );
    assert!(uow.pending_messages(10).await.expect("read").is_empty());
    let listed: Vec<String> = uow
        .failed_messages(&[s.world.assignment.id()], 10)
        .await
        .expect("read")
        .into_iter()
        .map(|f| f.reason)
        .collect();
    assert_eq!(
        listed,
        vec![
            "the phone was off for 3 days".to_owned(),
            "no such number".to_owned(),
            "first reason".to_owned()
        ],
        "a message failed by its receipt MUST be listed with the failed ones"
    );
}

/// A message enqueued in a unit that is dropped is never pending.
pub async fn rolled_back_enqueue_is_never_pending(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let kept = sms(&s, at(1), "kept");
    let lost = sms(&s, at(0), "lost");
    let mut uow = store.begin().await.expect("begin");
    uow.enqueue(&kept).await.expect("enqueue");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    uow.enqueue(&lost).await.expect("enqueue");
    assert_eq!(uow.pending_messages(10).await.expect("read").len(), 2);
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.pending_messages(10).await.expect("read"),
        vec![kept],
        "a rolled-back enqueue MUST never be pending"
    );
}

/// Dropping a unit of work without commit leaves nothing of any of its writes.
pub async fn dropped_unit_of_work_rolls_back_every_write(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let w = &s.world;
    let a = w.assignment.id();
    let e0 = &w.enrollments[0];
    let org = Organisation {
        caller_ids: Vec::new(),
        time_zone: Default::default(),
        id: OrganisationId::from_uuid(s.ids.next_id()),
        name: name("Ghost AS"),
    };
    let mut renamed_admin = w.admin.clone();
    renamed_admin.name = name("Someone Else");
    let customer = World::customer(CustomerId::from_uuid(s.ids.next_id()), &w.data_owner, 77);
    let enrollment = Enrollment::new(
        EnrollmentId::from_uuid(s.ids.next_id()),
        a,
        customer.id(),
        SalesFlow::TO_CALL,
        None,
        3,
        at(0),
    );
    let reserved = with(e0, |e| e.attempts = 9);
    let event = OutcomeEvent::from(OutcomeEventRecord {
        id: OutcomeEventId::from_uuid(s.ids.next_id()),
        assignment: a,
        enrollment: e0.id(),
        customer: e0.customer(),
        occurred_at: at(5),
        user: Some(w.sellers[0].id),
        outcome: Some(SalesFlow::O_NO_SALE),
        class: OutcomeClass::Progress,
        option: None,
        from_state: SalesFlow::TO_CALL,
        to_state: SalesFlow::NO_SALE,
        to_category: StateCategory::No,
        fields: FieldValues::new(),
        products: Vec::new(),
        meeting: None,
        follow_up: None,
        note: None,
    });
    let entry = TimeEntry::start(
        TimeEntryId::from_uuid(s.ids.next_id()),
        w.admin.id,
        a,
        at(0),
    );
    let meeting = Meeting {
        id: MeetingId::from_uuid(s.ids.next_id()),
        calendar: w.calendar.id,
        assignment: a,
        enrollment: e0.id(),
        customer: e0.customer(),
        booked_by: None,
        start: at(60),
        end: at(90),
        kind: MeetingKind::Physical,
        place: None,
    };
    let product = Product::new(
        ProductId::from_uuid(s.ids.next_id()),
        w.data_owner.id(),
        name("Ghost"),
        "GHOST",
        Decimal::TEN,
        w.products[0].currency().clone(),
    )
    .expect("valid");
    let draft = w.sales_flow.new_draft();
    let message = sms(&s, at(0), "ghost");

    let mut uow = store.begin().await.expect("begin");
    uow.save_organisation(&org).await.expect("write");
    uow.save_user(&renamed_admin).await.expect("write");
    uow.save_customer(&customer).await.expect("write");
    uow.insert_enrollment(&enrollment).await.expect("write");
    uow.update_enrollment(&reserved).await.expect("write");
    uow.delete_enrollment(w.enrollments[1].id())
        .await
        .expect("write");
    let ghost = IdempotencyKey {
        key: RequestKey::parse("ghost-key").expect("valid"),
        fingerprint: RequestFingerprint::from_stored("f".into()),
    };
    uow.append_event(&event, Some(&ghost)).await.expect("write");
    uow.save_time_entry(&entry).await.expect("write");
    uow.insert_meeting(&meeting).await.expect("write");
    uow.save_product(&product).await.expect("write");
    uow.save_flow_draft(&draft).await.expect("write");
    uow.delete_flow_draft(draft.id).await.expect("write");
    uow.save_flow_draft(&draft).await.expect("write");
    uow.enqueue(&message).await.expect("write");
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.organisation(org.id).await.expect("read"), None);
    assert_eq!(
        uow.user(w.admin.id).await.expect("read"),
        Some(w.admin.clone())
    );
    assert_eq!(uow.customer(customer.id()).await.expect("read"), None);
    let listed = uow
        .customers(
            w.data_owner.id(),
            &CustomerFilter::default(),
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("read");
    assert_eq!(listed, w.customers);
    assert_eq!(uow.enrollments(a).await.expect("read"), w.enrollments);
    assert_eq!(uow.next_sequence(a).await.expect("read"), 3);
    assert_eq!(uow.event(event.id()).await.expect("read"), None);
    let keyed_by = event.user().unwrap_or(w.admin.id);
    assert_eq!(
        uow.event_by_key(a, keyed_by, &ghost.key)
            .await
            .expect("read"),
        None
    );
    assert_eq!(uow.events_of(e0.id()).await.expect("read"), vec![]);
    assert_eq!(
        uow.running_time_entry(w.admin.id).await.expect("read"),
        None
    );
    assert_eq!(uow.meeting(meeting.id).await.expect("read"), None);
    assert_eq!(uow.product(product.id()).await.expect("read"), None);
    assert_eq!(uow.flow_draft(draft.id).await.expect("read"), None);
    assert_eq!(uow.pending_messages(10).await.expect("read"), vec![]);
}

/// A unit reads its own writes; after commit every later unit sees them; a unit running
/// while another writes and then rolls back never sees those writes.
pub async fn committed_writes_are_visible_to_later_units(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let org = Organisation {
        caller_ids: Vec::new(),
        time_zone: Default::default(),
        id: OrganisationId::from_uuid(s.ids.next_id()),
        name: name("Synlig AS"),
    };
    let mut uow = store.begin().await.expect("begin");
    uow.save_organisation(&org).await.expect("write");
    assert_eq!(
        uow.organisation(org.id).await.expect("read"),
        Some(org.clone()),
        "a unit MUST read its own writes"
    );
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.organisation(org.id).await.expect("read"), Some(org));
    drop(uow);

    // A writer that rolls back, and a reader that starts while it is open.
    let ghost = Organisation {
        caller_ids: Vec::new(),
        time_zone: Default::default(),
        id: OrganisationId::from_uuid(s.ids.next_id()),
        name: name("Ghost AS"),
    };
    let mut writer = store.begin().await.expect("begin");
    writer.save_organisation(&ghost).await.expect("write");
    let reader_store = store.clone();
    let reader = tokio::spawn(async move {
        let mut uow = reader_store.begin().await.expect("begin");
        uow.organisation(ghost.id).await.expect("read")
    });
    tokio::time::sleep(StdDuration::from_millis(50)).await;
    drop(writer);
    assert_eq!(
        reader.await.expect("the reader finishes"),
        None,
        "uncommitted writes MUST NOT be visible to other units"
    );
}

/// A customer with its own external id and phone, built for import rows.
pub(super) fn row_customer(
    s: &crate::contract::Setup,
    external: Option<&str>,
    phone: &str,
) -> Customer {
    let details = CustomerDetails {
        name: name("Importert kunde"),
        phones: vec![PhoneNumber::parse(phone).expect("valid")],
        email: None,
        address: None,
        registry_number: None,
        external_id: external.map(str::to_owned),
    };
    Customer::new(
        CustomerId::from_uuid(s.ids.next_id()),
        &s.world.data_owner,
        Dataset::B2b,
        details,
        FieldValues::new(),
    )
    .expect("valid")
}

pub(super) fn row(s: &crate::contract::Setup, customer: Customer) -> ImportRow {
    ImportRow {
        customer,
        enrollment: EnrollmentId::from_uuid(s.ids.next_id()),
    }
}

/// `import_batch` matches rows to existing customers by external id first, then phone, and
/// (told to skip matches) leaves them unchanged; creates the rest; enrolls each customer not yet enrolled with the
/// row's enrollment id and the next sequence in row order; and counts each case.
pub async fn import_batch_creates_matches_and_enrolls(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let w = &s.world;
    let solo = row_customer(&s, Some("solo-1"), "+4742000001");
    let by_phone = row_customer(&s, Some("solo-2"), "+4742000002");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&solo).await.expect("save");
    uow.save_customer(&by_phone).await.expect("save");
    uow.commit().await.expect("commit");

    let segment = SegmentId::from_uuid(s.ids.next_id());
    let rows = vec![
        row(&s, row_customer(&s, Some("new-1"), "+4741000001")),
        // Same external id as customer 1, who is enrolled already.
        row(
            &s,
            World::customer(CustomerId::from_uuid(s.ids.next_id()), &w.data_owner, 1),
        ),
        // External id of `solo`, phone of `by_phone`: the external id wins.
        row(&s, row_customer(&s, Some("solo-1"), "+4742000002")),
        row(&s, row_customer(&s, None, "+4742000002")),
        row(&s, row_customer(&s, None, "+4741000005")),
    ];
    let batch = ImportBatch {
        data_owner: w.data_owner.id(),
        assignment: w.assignment.id(),
        initial_state: SalesFlow::TO_CALL,
        segment: Some(segment),
        enrolled_at: at(30),
        on_match: OnMatch::Skip,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows: rows.clone(),
    };
    let mut uow = store.begin().await.expect("begin");
    let counts = uow.import_batch(&batch).await.expect("import");
    uow.commit().await.expect("commit");
    let imported = |customer: CustomerId, outcome, enrolled| ImportedRow {
        customer,
        outcome,
        enrolled,
    };
    assert_eq!(
        counts,
        ImportCounts {
            created: 2,
            matched: 3,
            updated: 0,
            skipped: 3,
            enrolled: 4,
            already_enrolled: 1,
            rows: vec![
                imported(rows[0].customer.id(), RowCustomer::Created, true),
                imported(w.customers[1].id(), RowCustomer::Skipped, false),
                imported(solo.id(), RowCustomer::Skipped, true),
                imported(by_phone.id(), RowCustomer::Skipped, true),
                imported(rows[4].customer.id(), RowCustomer::Created, true),
            ],
            ..ImportCounts::default()
        }
    );

    let mut uow = store.begin().await.expect("begin");
    let expected = |r: &ImportRow, customer: CustomerId, sequence| {
        Enrollment::new(
            r.enrollment,
            w.assignment.id(),
            customer,
            SalesFlow::TO_CALL,
            Some(segment),
            sequence,
            at(30),
        )
    };
    let mut listed = uow.enrollments(w.assignment.id()).await.expect("read");
    let imported = listed.split_off(3);
    assert_eq!(listed, w.enrollments, "existing enrollments are untouched");
    assert_eq!(
        imported,
        vec![
            expected(&rows[0], rows[0].customer.id(), 4),
            expected(&rows[2], solo.id(), 5),
            expected(&rows[3], by_phone.id(), 6),
            expected(&rows[4], rows[4].customer.id(), 7),
        ]
    );
    assert_eq!(
        uow.enrollment(rows[1].enrollment).await.expect("read"),
        None
    );
    assert_eq!(
        uow.customer(w.customers[1].id()).await.expect("read"),
        Some(w.customers[1].clone()),
        "a skipped match MUST be left unchanged"
    );
    assert_eq!(
        uow.customer(solo.id()).await.expect("read"),
        Some(solo.clone()),
        "a skipped match MUST be left unchanged"
    );
    assert_eq!(
        uow.customer(rows[1].customer.id()).await.expect("read"),
        None
    );
    assert_eq!(
        uow.customer(rows[0].customer.id()).await.expect("read"),
        Some(rows[0].customer.clone())
    );
}

/// A batch whose rows share no external id and no phone (what the import use case sends,
/// and what a store may write set-based): each row is matched against the register alone,
/// new customers keep their CRM values and phones exactly (a later batch finds them by
/// phone), and enrollments take consecutive import-order numbers in row order.
pub async fn import_batch_of_independent_rows(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let w = &s.world;
    let solo = row_customer(&s, Some("solo-1"), "+4742000001");
    let by_phone = row_customer(&s, Some("solo-2"), "+4742000002");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&solo).await.expect("save");
    uow.save_customer(&by_phone).await.expect("save");
    uow.commit().await.expect("commit");

    let rows = vec![
        // New, with CRM values.
        row(
            &s,
            World::customer(CustomerId::from_uuid(s.ids.next_id()), &w.data_owner, 50),
        ),
        // Customer 1 by external id and phone: enrolled already.
        row(
            &s,
            World::customer(CustomerId::from_uuid(s.ids.next_id()), &w.data_owner, 1),
        ),
        row(&s, row_customer(&s, Some("solo-1"), "+4741000009")),
        row(&s, row_customer(&s, None, "+4742000002")),
        row(&s, row_customer(&s, None, "+4741000005")),
    ];
    let batch = |rows: Vec<ImportRow>| ImportBatch {
        data_owner: w.data_owner.id(),
        assignment: w.assignment.id(),
        initial_state: SalesFlow::TO_CALL,
        segment: None,
        enrolled_at: at(30),
        on_match: OnMatch::Skip,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows,
    };
    let mut uow = store.begin().await.expect("begin");
    let counts = uow
        .import_batch(&batch(rows.clone()))
        .await
        .expect("import");
    uow.commit().await.expect("commit");
    let imported = |customer: CustomerId, outcome, enrolled| ImportedRow {
        customer,
        outcome,
        enrolled,
    };
    assert_eq!(
        counts.rows,
        vec![
            imported(rows[0].customer.id(), RowCustomer::Created, true),
            imported(w.customers[1].id(), RowCustomer::Skipped, false),
            imported(solo.id(), RowCustomer::Skipped, true),
            imported(by_phone.id(), RowCustomer::Skipped, true),
            imported(rows[4].customer.id(), RowCustomer::Created, true),
        ]
    );
    assert_eq!((counts.created, counts.skipped), (2, 3));
    assert_eq!((counts.enrolled, counts.already_enrolled), (4, 1));

    let mut uow = store.begin().await.expect("begin");
    for new in [&rows[0], &rows[4]] {
        assert_eq!(
            uow.customer(new.customer.id()).await.expect("read"),
            Some(new.customer.clone()),
            "a new customer MUST read back exactly, CRM values included"
        );
    }
    let sequences: Vec<(CustomerId, u64)> = uow
        .enrollments(w.assignment.id())
        .await
        .expect("read")
        .split_off(3)
        .iter()
        .map(|e| (e.customer(), e.sequence()))
        .collect();
    assert_eq!(
        sequences,
        vec![
            (rows[0].customer.id(), 4),
            (solo.id(), 5),
            (by_phone.id(), 6),
            (rows[4].customer.id(), 7),
        ]
    );
    drop(uow);

    // The new customers' phones are in the register: a later batch matches them by phone.
    let again = vec![row(&s, row_customer(&s, None, "+4741000005"))];
    let mut uow = store.begin().await.expect("begin");
    let counts = uow.import_batch(&batch(again)).await.expect("import");
    uow.commit().await.expect("commit");
    assert_eq!(
        counts.rows,
        vec![imported(rows[4].customer.id(), RowCustomer::Skipped, false)]
    );
}

/// A re-import (the default, `OnMatch::Update`) updates each matched customer with its row:
/// name, e-mail, phones, address and CRM values the row gives replace the customer's; what
/// the row leaves empty stays; the customer keeps its id and place. Two rows matching one
/// customer update it in row order. Per row, the result says updated or created.
pub async fn import_batch_updates_matched_customers(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let w = &s.world;
    let owner = &w.data_owner;
    let mut old = row_customer(&s, Some("crm-7"), "+4745000007");
    let details = CustomerDetails {
        email: Some(Email::parse("old@example.no").expect("valid")),
        address: Some("Gamleveien 1".into()),
        registry_number: Some("912345678".into()),
        ..old.details().clone()
    };
    let kept_field = World::employees();
    let fields = FieldValues::from([
        (
            World::industry(),
            FieldValue::Choice(World::INDUSTRIES[0].into()),
        ),
        (kept_field.clone(), FieldValue::Number(12)),
    ]);
    old.update(owner, details, fields).expect("valid");
    let other = row_customer(&s, Some("crm-8"), "+4745000008");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&old).await.expect("save");
    uow.save_customer(&other).await.expect("save");
    uow.commit().await.expect("commit");

    // Matched by external id: new name, e-mail, phones, address, one CRM value.
    let mut again = row_customer(&s, Some("crm-7"), "+4745000070");
    let details = CustomerDetails {
        name: name("Nytt Navn AS"),
        email: Some(Email::parse("new@example.no").expect("valid")),
        address: Some("Nyveien 2".into()),
        ..again.details().clone()
    };
    let fields = FieldValues::from([(
        World::industry(),
        FieldValue::Choice(World::INDUSTRIES[1].into()),
    )]);
    again.update(owner, details, fields).expect("valid");
    // Matched by phone (no external id), then by that phone again in a later row.
    let mut by_phone = row_customer(&s, None, "+4745000008");
    let details = CustomerDetails {
        name: name("Første"),
        ..by_phone.details().clone()
    };
    by_phone
        .update(owner, details, FieldValues::new())
        .expect("valid");
    let mut second = row_customer(&s, Some("crm-8"), "+4745000088");
    let details = CustomerDetails {
        name: name("Andre"),
        ..second.details().clone()
    };
    second
        .update(owner, details, FieldValues::new())
        .expect("valid");
    let rows = vec![row(&s, again.clone()), row(&s, by_phone), row(&s, second)];
    let batch = ImportBatch {
        data_owner: owner.id(),
        assignment: w.assignment.id(),
        initial_state: SalesFlow::TO_CALL,
        segment: None,
        enrolled_at: at(40),
        on_match: OnMatch::default(),
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows: rows.clone(),
    };
    let mut uow = store.begin().await.expect("begin");
    let counts = uow.import_batch(&batch).await.expect("import");
    uow.commit().await.expect("commit");
    assert_eq!((counts.created, counts.matched), (0, 3));
    assert_eq!((counts.updated, counts.skipped), (3, 0));
    let outcomes: Vec<_> = counts
        .rows
        .iter()
        .map(|r| (r.customer, r.outcome))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (old.id(), RowCustomer::Updated),
            (other.id(), RowCustomer::Updated),
            (other.id(), RowCustomer::Updated),
        ]
    );

    let mut uow = store.begin().await.expect("begin");
    let updated = uow.customer(old.id()).await.expect("read").expect("kept");
    assert_eq!(updated, old.reimported(&again));
    let d = updated.details();
    assert_eq!(
        d.name.as_str(),
        "Nytt Navn AS",
        "the new name MUST be stored"
    );
    assert_eq!(d.email.as_ref().map(|e| e.as_str()), Some("new@example.no"));
    assert_eq!(d.phones, again.details().phones);
    assert_eq!(d.address.as_deref(), Some("Nyveien 2"));
    assert_eq!(
        d.registry_number.as_deref(),
        Some("912345678"),
        "what the row leaves empty stays"
    );
    assert_eq!(
        updated.fields().get(&World::industry()),
        Some(&FieldValue::Choice(World::INDUSTRIES[1].into()))
    );
    assert_eq!(
        updated.fields().get(&kept_field),
        Some(&FieldValue::Number(12))
    );
    let twice = uow.customer(other.id()).await.expect("read").expect("kept");
    assert_eq!(
        twice.details().name.as_str(),
        "Andre",
        "rows apply in order"
    );
    assert_eq!(twice.details().phones, rows[2].customer.details().phones);
    let by_new_phone = CustomerKey::Phone(PhoneNumber::parse("+4745000070").expect("valid"));
    assert_eq!(
        uow.find_customer(owner.id(), &by_new_phone, None)
            .await
            .expect("find")
            .map(|c| c.id()),
        Some(old.id()),
        "the lookup MUST follow the updated phones"
    );
    let found = uow
        .customers(
            owner.id(),
            &CustomerFilter::default(),
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("list");
    assert_eq!(
        found.len(),
        w.customers.len() + 2,
        "no customer was created"
    );
}

/// Imported text comes back exactly, whatever it holds (quotes, commas, line breaks,
/// backslashes, tabs, what looks like a NULL marker, non-ASCII), and two imports in one unit
/// both land (a store that stages rows must clean up after each).
pub async fn import_batch_keeps_awkward_text_exactly(store: SharedStore) {
    let s = setup(store.as_ref(), 1).await;
    let w = &s.world;
    // Control characters never reach a store (the domain refuses them), but line breaks in
    // a multi-line address, quotes, backslashes and COPY's `\N` do.
    let awkward = [
        "say \"hi\", then go",
        "line one\nline two",
        "back\\slash \\N and\\ttab",
        "\\N",
        "Ærlig åpen Øy ✓ 👋",
        "'; DROP TABLE customers; --",
    ];
    let mut uow = store.begin().await.expect("begin");
    let mut imported = Vec::new();
    for (batch_no, texts) in awkward.chunks(3).enumerate() {
        let rows: Vec<ImportRow> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let phone = format!("+47440{batch_no}{i:04}");
                let mut customer = row_customer(&s, Some(&text.replace('\n', " ")), &phone);
                let mut details = customer.details().clone();
                details.name = name(&format!("Kunde {text}").replace('\n', " "));
                details.address = Some((*text).to_owned());
                customer = Customer::new(
                    customer.id(),
                    &w.data_owner,
                    Dataset::B2b,
                    details,
                    FieldValues::new(),
                )
                .expect("valid");
                row(&s, customer)
            })
            .collect();
        let batch = ImportBatch {
            data_owner: w.data_owner.id(),
            assignment: w.assignment.id(),
            initial_state: SalesFlow::TO_CALL,
            segment: None,
            enrolled_at: at(5),
            on_match: OnMatch::Update,
            match_by: cube_domain::import_match::MatchKeys::ALL,
            rows: rows.clone(),
        };
        let counts = uow.import_batch(&batch).await.expect("import");
        assert_eq!(counts.created, rows.len() as u64, "batch {batch_no}");
        imported.extend(rows);
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    for r in &imported {
        assert_eq!(
            uow.customer(r.customer.id()).await.expect("read"),
            Some(r.customer.clone()),
            "imported text MUST come back exactly"
        );
        let external = r.customer.details().external_id.clone().expect("has one");
        let found = uow
            .find_customer(w.data_owner.id(), &CustomerKey::ExternalId(external), None)
            .await
            .expect("find");
        assert_eq!(found.map(|c| c.id()), Some(r.customer.id()));
    }
}

/// An import in a unit that is dropped leaves no customer and no enrollment.
pub async fn import_batch_is_undone_with_its_unit(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let w = &s.world;
    let batch = ImportBatch {
        data_owner: w.data_owner.id(),
        assignment: w.assignment.id(),
        initial_state: SalesFlow::TO_CALL,
        segment: None,
        enrolled_at: at(0),
        on_match: OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows: vec![
            row(&s, row_customer(&s, Some("gone-1"), "+4743000001")),
            row(&s, row_customer(&s, Some("gone-2"), "+4743000002")),
        ],
    };
    let mut uow = store.begin().await.expect("begin");
    let counts = uow.import_batch(&batch).await.expect("import");
    assert_eq!(counts.enrolled, 2);
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.enrollments(w.assignment.id()).await.expect("read"),
        w.enrollments
    );
    let listed = uow
        .customers(
            w.data_owner.id(),
            &CustomerFilter::default(),
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("read");
    assert_eq!(listed, w.customers);
    assert_eq!(uow.next_sequence(w.assignment.id()).await.expect("read"), 3);
}
