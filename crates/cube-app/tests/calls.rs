//! Click-to-call through the use cases on the in-memory store: the caller id chosen (the
//! assignment's shared number or the seller's own, only a registered one, never none), who
//! may call (the card's rule), the do-not-call list, the PBX asked once with the right
//! request and the call recorded, the `tel:` mode, a PBX that fails, and the PBX's events
//! (applied once, an unknown call harmless) landing in the customer's history.

mod common;

use common::Harness;
use cube_app::AppError;
use cube_app::error::ErrorKind;
use cube_domain::assignment::setup::CallerId;
use cube_domain::call::{CallEvent, CallRefused, CallStatus};
use cube_domain::ids::{CallId, EnrollmentId};
use cube_domain::ports::{GatewayError, Telephony};
use cube_domain::values::PhoneNumber;
use cube_testkit::RecordingTelephony;
use std::sync::Arc;

const SHARED: &str = "+4722334455";
const SELLER_PHONE: &str = "+4790000001";

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse(raw).expect("valid")
}

/// A harness whose Cube places calls through a recording PBX, the seller's phone set and the
/// organisation's caller ids registered; the assignment shows `caller_id`.
async fn harness(caller_id: CallerId) -> (Harness, Arc<RecordingTelephony>) {
    let mut h = Harness::new(3).await;
    let pbx = Arc::new(RecordingTelephony::new());
    h.cube = h
        .cube
        .clone()
        .with_telephony(pbx.clone() as Arc<dyn Telephony>);
    let admin = h.world.admin.id;
    h.cube
        .set_caller_ids(admin, &[SHARED.into(), "90 00 00 01".into()])
        .await
        .expect("registered");
    h.cube
        .set_user_phone(admin, h.world.seller(0), Some(SELLER_PHONE))
        .await
        .expect("the seller's phone");
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.caller_id = caller_id;
    h.cube
        .update_assignment_setup(h.world.manager.id, h.world.assignment.id(), setup, None)
        .await
        .expect("setup");
    (h, pbx)
}

/// The next customer of seller 0: held by them.
async fn held(h: &Harness) -> (EnrollmentId, PhoneNumber) {
    let item = h
        .cube
        .next_customer(h.world.seller(0), h.world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    (
        item.enrollment.id(),
        item.customer.details().phones[0].clone(),
    )
}

#[tokio::test]
async fn a_shared_caller_id_rings_the_seller_and_bridges_to_the_customer() {
    let (h, pbx) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, customer_phone) = held(&h).await;
    let seller = h.world.seller(0);

    let started = h.cube.start_call(seller, enrollment).await.expect("a call");
    assert_eq!(started.link, None, "the PBX rings: no link");
    let placed = pbx.calls();
    assert_eq!(placed.len(), 1, "the PBX is asked once");
    assert_eq!(placed[0].call, started.call.id);
    assert_eq!(placed[0].seller, seller);
    assert_eq!(
        placed[0].seller_phone,
        phone(SELLER_PHONE),
        "the seller is rung"
    );
    assert_eq!(placed[0].to, customer_phone);
    assert_eq!(
        placed[0].caller_id,
        phone(SHARED),
        "the assignment's number"
    );
    let call = &started.call;
    assert_eq!(call.provider_id.as_deref(), Some("call-1"));
    assert_eq!(
        (call.status, call.enrollment, call.seller, call.started_at),
        (CallStatus::Initiated, enrollment, seller, h.now())
    );
    assert_eq!(
        h.cube.calls_of(seller, enrollment).await.expect("calls"),
        vec![call.clone()],
        "recorded"
    );
}

#[tokio::test]
async fn a_per_user_caller_id_is_the_sellers_own_registered_number_and_never_none() {
    let (h, pbx) = harness(CallerId::PerUser).await;
    let (enrollment, _) = held(&h).await;
    let seller = h.world.seller(0);
    let admin = h.world.admin.id;

    let started = h.cube.start_call(seller, enrollment).await.expect("a call");
    assert_eq!(started.call.caller_id, phone(SELLER_PHONE));
    assert_eq!(pbx.calls()[0].caller_id, phone(SELLER_PHONE));

    // A number the organisation did not register is never shown.
    h.cube
        .set_user_phone(admin, seller, Some("+4790000009"))
        .await
        .expect("another phone");
    let refused = h
        .cube
        .start_call(seller, enrollment)
        .await
        .expect_err("unregistered");
    assert_eq!(
        refused,
        AppError::Call(CallRefused::NotRegistered(phone("+4790000009")))
    );
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(refused.to_string().contains("caller_ids"), "{refused}");

    // No phone at all: refused, saying what to set; nothing is asked of the PBX.
    h.cube
        .set_user_phone(admin, seller, None)
        .await
        .expect("cleared");
    let none = h
        .cube
        .start_call(seller, enrollment)
        .await
        .expect_err("no number");
    assert_eq!(none, AppError::Call(CallRefused::NoOwnNumber));
    assert!(none.to_string().contains("/phone"), "{none}");
    assert_eq!(pbx.attempts(), 1, "only the first call reached the PBX");
    assert_eq!(
        h.cube
            .calls_of(seller, enrollment)
            .await
            .expect("calls")
            .len(),
        1,
        "a refused call is not recorded"
    );
}

#[tokio::test]
async fn an_unregistered_shared_number_is_refused() {
    let (h, pbx) = harness(CallerId::Shared(phone("+4722000000"))).await;
    let (enrollment, _) = held(&h).await;
    let refused = h
        .cube
        .start_call(h.world.seller(0), enrollment)
        .await
        .expect_err("unregistered");
    assert_eq!(
        refused,
        AppError::Call(CallRefused::NotRegistered(phone("+4722000000")))
    );
    assert_eq!(pbx.attempts(), 0);
}

#[tokio::test]
async fn only_who_may_open_the_card_calls_and_never_a_customer_on_the_do_not_call_list() {
    let (h, pbx) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, _) = held(&h).await;
    let admin = h.world.admin.id;

    // Another seller does not hold the customer.
    h.cube
        .set_user_phone(admin, h.world.seller(1), Some("+4790000002"))
        .await
        .expect("phone");
    let other = h
        .cube
        .start_call(h.world.seller(1), enrollment)
        .await
        .expect_err("not theirs");
    assert_eq!(other.kind(), ErrorKind::Forbidden, "{other:?}");
    // Another organisation's admin: as if it did not exist.
    let foreign = h.other_admin().await;
    let hidden = h
        .cube
        .start_call(foreign.id, enrollment)
        .await
        .expect_err("another organisation");
    assert_eq!(hidden.kind(), ErrorKind::NotFound, "{hidden:?}");
    // A manager may call (the card's rule), once they have a phone to ring.
    let manager = h.world.manager.id;
    let no_phone = h
        .cube
        .start_call(manager, enrollment)
        .await
        .expect_err("no phone to ring");
    assert_eq!(no_phone, AppError::Call(CallRefused::NoPhoneToRing));
    h.cube
        .set_user_phone(admin, manager, Some("+4790000003"))
        .await
        .expect("phone");
    h.cube
        .start_call(manager, enrollment)
        .await
        .expect("a manager calls");
    assert_eq!(pbx.attempts(), 1);

    // On the do-not-call list: refused, nothing asked of the PBX.
    let customer = h
        .cube
        .customer_card(manager, enrollment)
        .await
        .expect("card")
        .customer
        .id();
    h.cube
        .set_do_not_call(manager, customer, Some("ba om å ikke bli ringt"))
        .await
        .expect("listed");
    let barred = h
        .cube
        .start_call(h.world.seller(0), enrollment)
        .await
        .expect_err("do not call");
    assert!(
        matches!(
            barred,
            AppError::ContactBarred(cube_domain::contact_policy::standing::Barred::DoNotCall)
        ),
        "{barred:?}"
    );
    assert_eq!(pbx.attempts(), 1);
}

#[tokio::test]
async fn without_a_pbx_the_call_is_a_tel_link_and_recorded_as_dialled() {
    let (mut h, _) = harness(CallerId::PerUser).await;
    // The same store and clock, without a PBX.
    h.cube = cube_app::Cube::new(
        h.store.clone(),
        h.clock.clone(),
        Arc::new(cube_testkit::SequentialIds::starting_at(1_000_000)),
    );
    let (enrollment, customer_phone) = held(&h).await;
    let seller = h.world.seller(0);
    let started = h.cube.start_call(seller, enrollment).await.expect("a link");
    assert_eq!(
        started.link,
        Some(format!("tel:{}", customer_phone.as_str()))
    );
    assert_eq!(started.call.status, CallStatus::Dialled);
    assert_eq!(started.call.caller_id, phone(SELLER_PHONE));
    assert_eq!(started.call.provider_id, None);
    assert_eq!(
        h.cube.calls_of(seller, enrollment).await.expect("calls"),
        vec![started.call.clone()]
    );
}

#[tokio::test]
async fn a_pbx_that_fails_fails_the_call_and_keeps_it_as_failed() {
    let (h, pbx) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, _) = held(&h).await;
    let seller = h.world.seller(0);
    pbx.fail_next(
        1,
        GatewayError::Rejected("error 21210: not verified".into()),
    );
    let refused = h
        .cube
        .start_call(seller, enrollment)
        .await
        .expect_err("the PBX refused");
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(refused.to_string().contains("21210"), "{refused}");
    pbx.fail_next(1, GatewayError::Unavailable("down".into()));
    let down = h
        .cube
        .start_call(seller, enrollment)
        .await
        .expect_err("the PBX is down");
    assert_eq!(down.kind(), ErrorKind::Unavailable);
    let calls = h.cube.calls_of(seller, enrollment).await.expect("calls");
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.status == CallStatus::Failed
        && c.duration == Some(0)
        && c.provider_id.is_none()));
    assert!(
        calls[0]
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("21210"))
    );
}

#[tokio::test]
async fn the_pbx_events_land_once_in_the_history_and_an_unknown_call_is_harmless() {
    let (h, _) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, _) = held(&h).await;
    let seller = h.world.seller(0);
    let started = h.cube.start_call(seller, enrollment).await.expect("a call");
    let sid = started.call.provider_id.clone().expect("the PBX's id");
    let at = |s: i64| h.now() + time::Duration::seconds(s);
    let event = |status: &str, duration: Option<&str>, s: i64| {
        CallEvent::parse(status, duration, at(s)).expect("event")
    };

    h.cube
        .record_call_event(None, &sid, event("ringing", None, 2))
        .await
        .expect("ringing");
    h.cube
        .record_call_event(Some(started.call.id), &sid, event("in-progress", None, 8))
        .await
        .expect("answered");
    let done = event("completed", Some("192"), 200);
    let first = h
        .cube
        .record_call_event(None, &sid, done.clone())
        .await
        .expect("completed")
        .expect("known");
    let second = h
        .cube
        .record_call_event(None, &sid, done)
        .await
        .expect("again")
        .expect("known");
    assert_eq!(first, second, "the same event twice changes nothing");
    assert_eq!(first.status, CallStatus::Completed);
    assert_eq!(first.duration, Some(192));
    assert_eq!(first.answered_at, Some(at(8)));
    assert_eq!(first.ended_at, Some(at(200)));

    let history = h.cube.calls_of(seller, enrollment).await.expect("calls");
    assert_eq!(history, vec![first.clone()]);
    assert_eq!(history[0].summary(), "call 3 min 12 s, from +4722334455");
    // Managers see it in the customer's whole history.
    let across = h
        .cube
        .customer_history_across(h.world.manager.id, first.customer)
        .await
        .expect("history");
    assert_eq!(across.calls, vec![first]);

    // A call Cube does not know: nothing happens.
    assert_eq!(
        h.cube
            .record_call_event(None, "CA-unknown", event("completed", Some("5"), 300))
            .await
            .expect("harmless"),
        None
    );
    // Our id with another PBX id than the one kept: not this call.
    assert_eq!(
        h.cube
            .record_call_event(Some(started.call.id), "CA-other", event("busy", None, 300))
            .await
            .expect("harmless"),
        None
    );
    let unknown_ours = CallId::from_uuid(uuid::Uuid::from_u128(0xDEAD));
    assert_eq!(
        h.cube
            .record_call_event(Some(unknown_ours), "CA-x", event("ringing", None, 1))
            .await
            .expect("harmless"),
        None
    );
}

#[tokio::test]
async fn an_event_before_the_pbx_id_is_kept_finds_the_call_by_our_id() {
    let (h, _) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, _) = held(&h).await;
    // Without a PBX the call has no PBX id: an event naming our id adopts its PBX id.
    let cube = cube_app::Cube::new(
        h.store.clone(),
        h.clock.clone(),
        Arc::new(cube_testkit::SequentialIds::starting_at(2_000_000)),
    );
    let started = cube
        .start_call(h.world.seller(0), enrollment)
        .await
        .expect("a link");
    let event = CallEvent::parse("ringing", None, h.now()).expect("event");
    // A dialled call is over: the event finds it and changes nothing but its PBX id.
    let kept = cube
        .record_call_event(Some(started.call.id), "CA-early", event)
        .await
        .expect("found")
        .expect("the call");
    assert_eq!(kept.provider_id.as_deref(), Some("CA-early"));
    assert_eq!(kept.status, CallStatus::Dialled);
}

#[tokio::test]
async fn caller_ids_and_phones_are_set_by_admins_only_and_checked() {
    let h = Harness::new(1).await;
    let admin = h.world.admin.id;
    let organisation = h
        .cube
        .set_caller_ids(admin, &["22 33 44 55".into(), "+4722334455".into()])
        .await
        .expect("set");
    assert_eq!(organisation.caller_ids, vec![phone(SHARED)], "repeats once");
    let bad = h
        .cube
        .set_caller_ids(admin, &["not a number".into()])
        .await
        .expect_err("bad");
    assert_eq!(bad.kind(), ErrorKind::Invalid);
    let too_many: Vec<String> = (0..101).map(|n| format!("+47900{n:05}")).collect();
    assert_eq!(
        h.cube.set_caller_ids(admin, &too_many).await,
        Err(AppError::Call(CallRefused::TooManyCallerIds))
    );
    let seller = h.world.seller(0);
    assert_eq!(
        h.cube
            .set_caller_ids(seller, &[SHARED.into()])
            .await
            .expect_err("a seller")
            .kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        h.cube
            .set_user_phone(seller, seller, Some(SELLER_PHONE))
            .await
            .expect_err("a seller")
            .kind(),
        ErrorKind::Forbidden
    );
    let user = h
        .cube
        .set_user_phone(admin, seller, Some("900 00 001"))
        .await
        .expect("set");
    assert_eq!(user.phone, Some(phone(SELLER_PHONE)));
    assert_eq!(
        h.cube.me(seller).await.expect("me").phone,
        Some(phone(SELLER_PHONE)),
        "stored"
    );
    let foreign = h.other_admin().await;
    assert_eq!(
        h.cube
            .set_user_phone(foreign.id, seller, None)
            .await
            .expect_err("another organisation")
            .kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn the_performance_report_counts_each_sellers_calls_and_talk_time_beside_the_hours() {
    use cube_app::reports::Window;
    let (h, _) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, _) = held(&h).await;
    let seller = h.world.seller(0);
    let assignment = h.world.assignment.id();
    let at = |s: i64| h.now() + time::Duration::seconds(s);
    // Two calls: one answered and talked 3 min 12 s, one nobody answered.
    for (answered, end) in [(true, "completed"), (false, "no-answer")] {
        let started = h.cube.start_call(seller, enrollment).await.expect("a call");
        let sid = started.call.provider_id.expect("the PBX's id");
        if answered {
            h.cube
                .record_call_event(
                    None,
                    &sid,
                    CallEvent::parse("in-progress", None, at(8)).expect("event"),
                )
                .await
                .expect("answered");
        }
        h.cube
            .record_call_event(
                None,
                &sid,
                CallEvent::parse(end, Some(if answered { "192" } else { "0" }), at(200))
                    .expect("event"),
            )
            .await
            .expect("ended");
    }
    let window = Window::new(
        h.now() - time::Duration::hours(1),
        h.now() + time::Duration::hours(1),
    )
    .expect("a window");
    let report = h
        .cube
        .activity_report(h.world.manager.id, assignment, window)
        .await
        .expect("the report");
    let mine = report
        .performance
        .per_user
        .iter()
        .find(|p| p.user == Some(seller))
        .expect("the seller's row");
    assert_eq!(
        (mine.performance.calls, mine.performance.talk_seconds),
        (2, 192)
    );
    assert_eq!(
        (
            report.performance.overall.calls,
            report.performance.overall.talk_seconds
        ),
        (2, 192)
    );
    // The seller's own figures across assignments say the same.
    let own = h
        .cube
        .performance_across(seller, window)
        .await
        .expect("their own");
    assert_eq!((own.overall.calls, own.overall.talk_seconds), (2, 192));
    // A window before the calls counts none.
    let before = Window::new(
        h.now() - time::Duration::hours(2),
        h.now() - time::Duration::hours(1),
    )
    .expect("a window");
    let earlier = h
        .cube
        .activity_report(h.world.manager.id, assignment, before)
        .await
        .expect("the report");
    assert_eq!(earlier.performance.overall.calls, 0);
}

#[tokio::test]
async fn a_double_click_under_one_key_rings_once_and_answers_the_first_call() {
    use cube_domain::idempotency::RequestKey;
    let (h, pbx) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, _) = held(&h).await;
    let seller = h.world.seller(0);
    let key = RequestKey::parse("ring-1").expect("key");

    let first = h
        .cube
        .start_call_keyed(seller, enrollment, Some(&key))
        .await
        .expect("a call");
    // The PBX's first event lands before the retry: the retry sees the call as kept now.
    h.cube
        .record_call_event(
            Some(first.call.id),
            "call-1",
            CallEvent::parse("ringing", None, h.now()).expect("an event"),
        )
        .await
        .expect("event");
    let again = h
        .cube
        .start_call_keyed(seller, enrollment, Some(&key))
        .await
        .expect("the same request again");
    assert_eq!(pbx.calls().len(), 1, "the PBX MUST be asked once");
    assert_eq!(again.call.id, first.call.id);
    assert_eq!(again.call.status, CallStatus::Ringing, "as kept now");
    assert_eq!(again.link, None);
    assert_eq!(
        h.cube
            .calls_of(seller, enrollment)
            .await
            .expect("calls")
            .len(),
        1
    );

    // Without a key every request is a new call.
    h.cube
        .start_call(seller, enrollment)
        .await
        .expect("a second call");
    assert_eq!(pbx.calls().len(), 2);
}

#[tokio::test]
async fn a_call_the_pbx_could_not_place_frees_its_key_for_a_retry() {
    use cube_domain::idempotency::RequestKey;
    let (h, pbx) = harness(CallerId::Shared(phone(SHARED))).await;
    let (enrollment, _) = held(&h).await;
    let seller = h.world.seller(0);
    let key = RequestKey::parse("ring-igjen").expect("key");
    pbx.fail_next(1, GatewayError::Unavailable("down".into()));
    let down = h
        .cube
        .start_call_keyed(seller, enrollment, Some(&key))
        .await
        .expect_err("the PBX is down");
    assert_eq!(down.kind(), ErrorKind::Unavailable);
    // The retry with the same key asks the PBX again (nothing rang the first time).
    let retried = h
        .cube
        .start_call_keyed(seller, enrollment, Some(&key))
        .await
        .expect("placed this time");
    // (The recording PBX lists the calls it placed: the failed one is not among them.)
    assert_eq!(
        pbx.calls().len(),
        1,
        "placed on the retry: the key was free"
    );
    assert_eq!(retried.call.status, CallStatus::Initiated);
    let calls = h.cube.calls_of(seller, enrollment).await.expect("calls");
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![CallStatus::Failed, CallStatus::Initiated]
    );
    // Now the key is taken by a call that rang: a third click rings nobody.
    let again = h
        .cube
        .start_call_keyed(seller, enrollment, Some(&key))
        .await
        .expect("the first answer");
    assert_eq!(again.call.id, retried.call.id);
    assert_eq!(pbx.calls().len(), 1);
}
