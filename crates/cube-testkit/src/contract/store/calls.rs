//! Contract cases for calls (migration 0034): stored whole, found by id and by the PBX's
//! call id, listed per enrollment by start, replaced by a second save (the events), a PBX id
//! taken by another call refused as `Duplicate(CallProviderId)` without spoiling the unit,
//! undone with their unit, and kept without the number on erasure (`Call::erased`).

use crate::contract::{SharedStore, setup};
use crate::fixtures::T0;
use cube_domain::call::{Call, CallStatus};
use cube_domain::ids::{AssignmentId, CallId, CustomerId, EnrollmentId, UserId};
use cube_domain::ports::{StoreError, UniqueRule};
use cube_domain::values::PhoneNumber;
use time::Duration;
use uuid::Uuid;

fn call(n: u128, enrollment: EnrollmentId, at: time::OffsetDateTime) -> Call {
    Call {
        id: CallId::from_uuid(Uuid::from_u128(0xCA_0000 + n)),
        assignment: AssignmentId::from_uuid(Uuid::from_u128(0xCA_A000)),
        enrollment,
        customer: CustomerId::from_uuid(Uuid::from_u128(0xCA_C000)),
        seller: UserId::from_uuid(Uuid::from_u128(0xCA_5000)),
        caller_id: PhoneNumber::parse("+4722334455").expect("valid"),
        to: Some(PhoneNumber::parse("+4791234567").expect("valid")),
        provider_id: None,
        status: CallStatus::Initiated,
        started_at: at,
        answered_at: None,
        ended_at: None,
        duration: None,
        failure: None,
    }
}

/// Calls are read back whole by id, by the PBX's id and per enrollment (oldest first, no
/// other enrollment's); a second save replaces; another call's PBX id is refused with
/// `Duplicate(CallProviderId)` and the unit goes on; a dropped unit leaves nothing; an
/// erased call is kept without its number, and its PBX id is found no more.
pub async fn calls_round_trip_by_id_provider_id_and_enrollment(store: SharedStore) {
    let _ = setup(store.as_ref(), 0).await;
    let mine = EnrollmentId::from_uuid(Uuid::from_u128(0xCA_E001));
    let other = EnrollmentId::from_uuid(Uuid::from_u128(0xCA_E002));
    let later = call(1, mine, T0 + Duration::seconds(30));
    let first = call(2, mine, T0);
    let foreign = call(3, other, T0);

    let mut uow = store.begin().await.expect("begin");
    for c in [&later, &first, &foreign] {
        uow.save_call(c).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.calls_of(mine).await.expect("list"),
        vec![first.clone(), later.clone()],
        "an enrollment's calls MUST be listed whole, oldest first, and only its own"
    );
    // The whole store by id, a page at a time.
    let page = uow.calls_after(None, 2).await.expect("page");
    assert_eq!(page, vec![later.clone(), first.clone()], "by id");
    assert_eq!(
        uow.calls_after(Some(first.id), 2).await.expect("page"),
        vec![foreign.clone()]
    );
    assert_eq!(
        uow.calls_after(Some(foreign.id), 2).await.expect("page"),
        vec![]
    );
    assert_eq!(
        uow.call(foreign.id).await.expect("one"),
        Some(foreign.clone())
    );
    let mut answered = first.clone();
    answered.provider_id = Some("CA0001".into());
    answered.status = CallStatus::Completed;
    answered.answered_at = Some(T0 + Duration::seconds(8));
    answered.ended_at = Some(T0 + Duration::seconds(200));
    answered.duration = Some(192);
    uow.save_call(&answered).await.expect("replace");
    let mut thief = later.clone();
    thief.provider_id = Some("CA0001".into());
    assert_eq!(
        uow.save_call(&thief).await,
        Err(StoreError::Duplicate(UniqueRule::CallProviderId)),
        "another call's PBX id MUST be refused"
    );
    // The unit is still usable after the refusal.
    assert_eq!(
        uow.call_by_provider_id("CA0001")
            .await
            .expect("by provider id"),
        Some(answered.clone())
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.call(first.id).await.expect("one"),
        Some(answered.clone()),
        "a second save MUST replace the call"
    );
    assert_eq!(uow.call(later.id).await.expect("one"), Some(later.clone()));
    assert_eq!(uow.call_by_provider_id("CA9999").await.expect("none"), None);
    uow.save_call(&call(4, mine, T0 + Duration::seconds(60)))
        .await
        .expect("save");
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.calls_of(mine).await.expect("list").len(),
        2,
        "a save in a dropped unit MUST be undone"
    );
    // An erasure saves each call without the number and the PBX's id.
    let erased: Vec<Call> = uow
        .calls_of(mine)
        .await
        .expect("list")
        .into_iter()
        .map(Call::erased)
        .collect();
    for c in &erased {
        uow.save_call(c).await.expect("erase");
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin_read().await.expect("read");
    assert_eq!(
        uow.calls_of(mine).await.expect("list"),
        erased,
        "an erased call MUST be kept, without the number"
    );
    assert!(erased.iter().all(|c| c.to.is_none()));
    assert_eq!(
        uow.call_by_provider_id("CA0001").await.expect("gone"),
        None,
        "an erased call's PBX id MUST be forgotten"
    );
    assert_eq!(uow.calls_of(other).await.expect("list"), vec![foreign]);
}

/// The calls of some assignments started in a window, as the performance report reads them:
/// exactly those whose assignment is asked and whose start is in `[from, to)`, by start then
/// id — an erased one too, and one whose enrollment is gone — and `reports::calls_by_user`
/// over them counts each seller's calls and talk time.
pub async fn calls_in_a_window_are_read_per_assignment_as_the_report_counts_them(
    store: SharedStore,
) {
    use cube_domain::reports::{UserCalls, calls_by_user};
    let _ = setup(store.as_ref(), 0).await;
    let asked = AssignmentId::from_uuid(Uuid::from_u128(0xCA_A000));
    let other = AssignmentId::from_uuid(Uuid::from_u128(0xCA_A001));
    let seller = UserId::from_uuid(Uuid::from_u128(0xCA_5000));
    let enrollment = EnrollmentId::from_uuid(Uuid::from_u128(0xCA_E101));
    let (from, to) = (T0, T0 + Duration::hours(8));
    let completed = |mut c: Call, seconds: u32| {
        c.status = CallStatus::Completed;
        c.duration = Some(seconds);
        c
    };
    let first = completed(call(11, enrollment, from), 192);
    let busy = Call {
        status: CallStatus::Busy,
        duration: Some(0),
        ..call(12, enrollment, from + Duration::hours(1))
    };
    let erased = completed(call(13, enrollment, to - Duration::microseconds(1)), 45).erased();
    let before = completed(call(14, enrollment, from - Duration::microseconds(1)), 600);
    let at_the_end = completed(call(15, enrollment, to), 600);
    let elsewhere = Call {
        assignment: other,
        ..completed(call(16, enrollment, from), 30)
    };
    let mut uow = store.begin().await.expect("begin");
    for c in [&erased, &busy, &first, &before, &at_the_end, &elsewhere] {
        uow.save_call(c).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin_read().await.expect("read");
    let got = uow.calls_in(&[asked], from, to).await.expect("calls");
    assert_eq!(
        got,
        vec![first.clone(), busy.clone(), erased.clone()],
        "the calls of the assignment started in [from, to) MUST be read whole, by start"
    );
    assert_eq!(
        calls_by_user(&got, from, to),
        vec![UserCalls {
            assignment: asked,
            user: seller,
            calls: 3,
            talk_seconds: 237,
        }]
    );
    assert_eq!(
        uow.calls_in(&[asked, other], from, to)
            .await
            .expect("calls")
            .len(),
        4,
        "every assignment asked"
    );
    assert_eq!(
        uow.calls_in(&[], from, to).await.expect("calls"),
        vec![],
        "no assignment, no calls"
    );
}
