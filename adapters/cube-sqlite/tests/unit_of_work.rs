//! A unit of work is all or nothing: a register-outcome style unit (append the event with
//! product lines, update the enrollment, book the meeting, enqueue an SMS) that fails
//! half-way and is dropped leaves no trace — not in the log, the product lines the sales
//! tallies read, the enrollment, the calendar or the outbox — and the same unit committed
//! shows all of it. A `Duplicate` (a token hash that exists) undoes only the refused
//! statement: the unit goes on.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::idempotency::{IdempotencyKey, RequestFingerprint, RequestKey};
use cube_domain::ids::{CalendarId, MeetingId, OutboxMessageId, OutcomeEventId, ProductId};
use cube_domain::meeting::{Calendar, Meeting, MeetingKind};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine};
use cube_domain::ports::{
    AccessToken, OutboxMessage, OutboxPayload, SmsMessage, Store, StoreError, TokenKind,
    UniqueRule, UnitOfWork,
};
use cube_domain::product::Currency;
use cube_domain::values::PhoneNumber;
use rust_decimal::Decimal;
use time::{Duration, OffsetDateTime};

const CALENDAR: CalendarId = CalendarId::from_uuid(uuid::Uuid::from_u128(0xCA1));

fn sale(enrollment: &Enrollment) -> OutcomeEvent {
    OutcomeEvent::from(OutcomeEventRecord {
        id: OutcomeEventId::from_uuid(uuid(10, 1)),
        assignment: enrollment.assignment(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        occurred_at: T0,
        user: Some(seller(1)),
        outcome: Some(outcome(O_SALE)),
        class: OutcomeClass::Progress,
        option: None,
        from_state: enrollment.state(),
        to_state: state(SALE),
        to_category: category(SALE),
        fields: FieldValues::new(),
        products: vec![ProductLine {
            product: ProductId::from_uuid(uuid(8, 1)),
            quantity: 3,
            unit_price: Decimal::new(49_990, 2),
            currency: Currency::parse("NOK").unwrap(),
        }],
        meeting: Some(MeetingId::from_uuid(uuid(11, 1))),
        follow_up: None,
        note: Some("three units".into()),
    })
}

fn meeting(event: &OutcomeEvent) -> Meeting {
    Meeting {
        id: MeetingId::from_uuid(uuid(11, 1)),
        calendar: CALENDAR,
        assignment: event.assignment(),
        enrollment: event.enrollment(),
        customer: event.customer(),
        booked_by: event.user(),
        start: T0 + Duration::days(1),
        end: T0 + Duration::days(1) + Duration::hours(1),
        kind: MeetingKind::Video,
        place: None,
    }
}

fn sms(event: &OutcomeEvent) -> OutboxMessage {
    OutboxMessage {
        id: OutboxMessageId::from_uuid(uuid(12, 1)),
        assignment: event.assignment(),
        enrollment: Some(event.enrollment()),
        payload: OutboxPayload::Sms(SmsMessage {
            from: "Acme".into(),
            to: PhoneNumber::parse("+4790000001").unwrap(),
            body: "Thank you!".into(),
        }),
        created_at: T0,
    }
}

/// The registration steps; `fail` makes the last step collide with the first.
/// The client's key of the registration, with a made-up fingerprint.
fn request_key() -> IdempotencyKey {
    IdempotencyKey {
        key: RequestKey::parse("request-1").expect("valid"),
        fingerprint: RequestFingerprint::from_stored("fingerprint".into()),
    }
}

async fn register(
    uow: &mut dyn UnitOfWork,
    enrollment: &Enrollment,
    fail: bool,
) -> Result<(), StoreError> {
    let event = sale(enrollment);
    uow.append_event(&event, Some(&request_key())).await?;
    let mut after = enrollment.clone();
    after.apply(&event);
    uow.update_enrollment(&after).await?;
    uow.insert_meeting(&meeting(&event)).await?;
    uow.enqueue(&sms(&event)).await?;
    if fail {
        // A retry of the same request inside the unit: the idempotency key is taken.
        let mut again = OutcomeEventRecord::from(event.clone());
        again.id = OutcomeEventId::from_uuid(uuid(10, 2));
        uow.append_event(&again.into(), Some(&request_key()))
            .await?;
    }
    Ok(())
}

async fn everything(store: &dyn Store) -> (usize, Option<Enrollment>, usize, usize, usize) {
    let mut uow = store.begin().await.unwrap();
    let events = uow
        .events(
            &[assignment_id(1)],
            OffsetDateTime::UNIX_EPOCH,
            T0 + Duration::days(9),
        )
        .await
        .unwrap();
    let enrollment = uow.enrollment(enrollment_id(1)).await.unwrap();
    let meetings = uow
        .meetings_in_calendar(CALENDAR, T0, T0 + Duration::days(9))
        .await
        .unwrap();
    let outbox = uow.pending_messages(10).await.unwrap();
    let sold = uow
        .sold_products(
            &[assignment_id(1)],
            OffsetDateTime::UNIX_EPOCH,
            T0 + Duration::days(9),
        )
        .await
        .unwrap();
    (
        events.len(),
        enrollment,
        meetings.len(),
        outbox.len(),
        sold.len(),
    )
}

#[tokio::test]
async fn a_unit_that_fails_half_way_leaves_nothing() {
    let db = TempDb::new("atomic");
    let store = db.open().await;
    seed(&store, &[assignment(1, AssignmentSetup::default())]).await;
    let enrollment = Enrollment::from(snapshot(assignment_id(1), 1));
    insert(
        &store,
        &[customer(1, &owner(), FieldValues::new())],
        std::slice::from_ref(&enrollment),
    )
    .await;
    let mut uow = store.begin().await.unwrap();
    uow.save_calendar(&Calendar {
        id: CALENDAR,
        data_owner: OWNER,
        name: name("Main"),
        allows_overlap: false,
        opening_hours: Vec::new(),
        active: true,
    })
    .await
    .unwrap();
    uow.commit().await.unwrap();

    let mut uow = store.begin().await.unwrap();
    let failed = register(uow.as_mut(), &enrollment, true).await;
    assert!(
        failed == Err(StoreError::Duplicate(UniqueRule::IdempotencyKey)),
        "{failed:?}"
    );
    drop(uow);
    assert_eq!(
        everything(&store).await,
        (0, Some(enrollment.clone()), 0, 0, 0)
    );

    let mut uow = store.begin().await.unwrap();
    register(uow.as_mut(), &enrollment, false).await.unwrap();
    uow.commit().await.unwrap();
    let (events, now, meetings, outbox, sold) = everything(&store).await;
    assert_eq!((events, meetings, outbox, sold), (1, 1, 1, 1));
    let now = now.unwrap();
    assert_eq!(now.state(), state(SALE));
    let mut uow = store.begin().await.unwrap();
    assert_eq!(
        uow.event_by_key(assignment_id(1), seller(1), &request_key().key)
            .await
            .unwrap()
            .map(|keyed| keyed.event),
        Some(sale(&enrollment))
    );
}

#[tokio::test]
async fn a_duplicate_token_hash_leaves_the_unit_usable() {
    let db = TempDb::new("token");
    let store = db.open().await;
    let token = |n| AccessToken {
        token_hash: "ab".repeat(32),
        user: seller(n),
        kind: TokenKind::Session,
        created_at: T0,
        expires_at: Some(T0 + Duration::hours(8)),
    };
    let mut uow = store.begin().await.unwrap();
    uow.insert_token(&token(1)).await.unwrap();
    assert_eq!(
        uow.insert_token(&token(2)).await,
        Err(StoreError::Duplicate(UniqueRule::AccessTokenHash))
    );
    uow.set_password_hash(seller(2), "$argon2id$two")
        .await
        .unwrap();
    uow.commit().await.unwrap();

    let mut uow = store.begin().await.unwrap();
    assert_eq!(uow.token(&"ab".repeat(32)).await.unwrap(), Some(token(1)));
    assert_eq!(
        uow.password_hash(seller(2)).await.unwrap(),
        Some("$argon2id$two".to_owned())
    );
}

/// An import order past `i64::MAX` cannot be an SQLite integer: `Unrepresentable`, nothing
/// written, and the unit goes on.
#[tokio::test]
async fn a_value_beyond_an_sqlite_integer_is_unrepresentable() {
    let db = TempDb::new("unrepresentable");
    let store = db.open().await;
    let mut huge = snapshot(assignment_id(1), 7);
    huge.sequence = u64::MAX;
    let huge = Enrollment::from(huge);
    let mut uow = store.begin().await.unwrap();
    let result = uow.insert_enrollment(&huge).await;
    assert!(
        matches!(&result, Err(StoreError::Unrepresentable(m)) if m.contains("sequence")),
        "{result:?}"
    );
    assert!(uow.enrollment(huge.id()).await.unwrap().is_none());
    uow.commit().await.unwrap();
}
