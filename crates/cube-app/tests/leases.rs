//! Issue 11, "Idempotency and leases", through the use cases: "next customer" reserves and
//! reads the customer in one unit of work (a failed read leaves no reservation), and hands a
//! seller back the customer they already hold; a reused idempotency key with another request
//! is refused, and keys belong to the user who sent them; a request that lost a race to the
//! same key gets the first result, and no other duplicate is taken for such a race.

mod common;
mod faulty;

use common::{Harness, command, request_key};
use cube_app::{AppError, Cube, ErrorKind};
use cube_domain::ports::{RecordKind, Store, StoreError, UniqueRule};
use cube_domain::queue::Tier;
use cube_testkit::fixtures::{SalesFlow, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use faulty::FaultyStore;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The customer read fails after the reservation was made (a timeout, a process killed
/// between the two): the unit is dropped and the customer is not left reserved for the
/// whole lease; the next "next" hands it out again.
#[tokio::test]
async fn a_next_whose_customer_read_fails_leaves_no_reservation() {
    let memory = MemoryStore::new();
    let faulty = Arc::new(FaultyStore::over(memory.shared()));
    let clock = Arc::new(FixedClock::new(cube_testkit::fixtures::T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(&memory, clock.as_ref(), ids.as_ref(), 2)
        .await
        .expect("the world");
    let store: Arc<dyn Store> = faulty.clone();
    let cube = Cube::new(store.clone(), clock, ids);
    let (seller, assignment) = (world.seller(0), world.assignment.id());

    faulty.fail_customer_reads.store(true, Ordering::SeqCst);
    let failed = cube
        .next_customer(seller, assignment)
        .await
        .expect_err("the customer cannot be read");
    assert_eq!(failed.kind(), ErrorKind::Unavailable);
    let mut uow = store.begin().await.expect("begin");
    for enrollment in uow.enrollments(assignment).await.expect("read") {
        assert_eq!(
            enrollment.reservation(),
            None,
            "a failed next MUST NOT leave {} reserved",
            enrollment.id()
        );
    }
    drop(uow);

    faulty.fail_customer_reads.store(false, Ordering::SeqCst);
    let item = cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_eq!(item.enrollment.id(), world.enrollments[0].id());
    assert_eq!(item.tier, Some(Tier::Pool));
}

/// A browser that crashed after "next" asks again: the seller gets the customer they hold
/// back, the lease renewed, instead of a second customer while the first stays hidden.
#[tokio::test]
async fn next_hands_the_seller_back_the_customer_they_hold() {
    let h = Harness::new(3).await;
    let (seller, other) = (h.world.seller(0), h.world.seller(1));
    let assignment = h.world.assignment.id();
    let first = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    h.clock.advance(time::Duration::minutes(10));
    let again = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_eq!(again.enrollment.id(), first.enrollment.id());
    assert_eq!(again.tier, Some(Tier::Held));
    assert_eq!(again.customer, first.customer);
    assert_eq!(
        again.enrollment.reservation().map(|r| r.until),
        Some(h.now() + h.world.assignment.setup().lease),
        "the lease is renewed"
    );
    let theirs = h
        .cube
        .next_customer(other, assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_ne!(theirs.enrollment.id(), first.enrollment.id());
    assert_eq!(theirs.tier, Some(Tier::Pool));
    let status = h
        .cube
        .customer_status_report(h.world.manager.id, assignment)
        .await
        .expect("status");
    assert_eq!(
        status.reserved, 2,
        "the status report shows who is held now"
    );
}

/// "Not interested" sent again under the key of a "No answer" is not answered with the first
/// event: the key is refused (422) and nothing is written.
#[tokio::test]
async fn a_reused_key_with_a_different_request_is_refused() {
    let h = Harness::new(2).await;
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, h.world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    let id = item.enrollment.id();
    let first = h
        .cube
        .register_outcome(
            seller,
            id,
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("first");
    h.cube.take_customer(seller, id).await.expect("take again");
    let refused = h
        .cube
        .register_outcome(
            seller,
            id,
            command(SalesFlow::O_NO_SALE),
            Some(request_key("req-1")),
        )
        .await
        .expect_err("another request under the same key");
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(
        refused.to_string().contains("different request"),
        "{refused}"
    );
    let mut uow = h.store.begin().await.expect("begin");
    let events = uow.events_of(id).await.expect("read");
    drop(uow);
    assert_eq!(events, vec![first.event.clone()], "nothing new is written");

    let retry = h
        .cube
        .register_outcome(
            seller,
            id,
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("the same request is a retry");
    assert!(retry.replayed);
    assert_eq!(retry.event.id(), first.event.id());
}

/// Another seller sending the same key gets a registration of their own, never the first
/// seller's event.
#[tokio::test]
async fn a_key_belongs_to_the_user_who_sent_it() {
    let h = Harness::new(2).await;
    let (a, b) = (h.world.seller(0), h.world.seller(1));
    let assignment = h.world.assignment.id();
    let mine = h
        .cube
        .next_customer(a, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let first = h
        .cube
        .register_outcome(
            a,
            mine.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("a registers");
    let theirs = h
        .cube
        .next_customer(b, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let second = h
        .cube
        .register_outcome(
            b,
            theirs.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("b's own key");
    assert!(!second.replayed);
    assert_ne!(second.event.id(), first.event.id());
    assert_eq!(second.event.user(), Some(b));
    assert_eq!(second.event.enrollment(), theirs.enrollment.id());
}

/// A faulty store over a world with two sellers and customers, and the use cases on it.
async fn faulty_world() -> (Arc<FaultyStore>, Cube, World) {
    let memory = MemoryStore::new();
    let faulty = Arc::new(FaultyStore::over(memory.shared()));
    let clock = Arc::new(FixedClock::new(cube_testkit::fixtures::T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(&memory, clock.as_ref(), ids.as_ref(), 2)
        .await
        .expect("the world");
    let store: Arc<dyn Store> = faulty.clone();
    (faulty, Cube::new(store, clock, ids), world)
}

/// Two requests with the same key race: the loser read before the winner committed, so it
/// finds no first registration and its append breaks the key's unique rule. It is answered
/// with the winner's registration, not an error.
#[tokio::test]
async fn a_race_lost_to_the_same_key_is_answered_with_the_first_result() {
    let (faulty, cube, world) = faulty_world().await;
    let seller = world.seller(0);
    let item = cube
        .next_customer(seller, world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    let id = item.enrollment.id();
    let first = cube
        .register_outcome(
            seller,
            id,
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("the winner");
    cube.take_customer(seller, id).await.expect("take again");

    faulty.hide_keys_once.store(true, Ordering::SeqCst);
    let loser = cube
        .register_outcome(
            seller,
            id,
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("the loser of the race gets the first result");
    assert!(loser.replayed);
    assert_eq!(loser.event.id(), first.event.id());
}

/// Another unique rule broken under a key (the event's id is taken) is no race of the key:
/// it is not answered by looking for a first registration, but reported as what it is.
#[tokio::test]
async fn a_duplicate_other_than_the_key_is_not_taken_for_a_race() {
    let (faulty, cube, world) = faulty_world().await;
    let seller = world.seller(0);
    let item = cube
        .next_customer(seller, world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    faulty.duplicate_event_ids.store(true, Ordering::SeqCst);
    let failed = cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect_err("the event id is taken");
    assert_eq!(
        failed,
        AppError::Store(StoreError::Duplicate(UniqueRule::Id(
            RecordKind::OutcomeEvent
        ))),
        "a taken event id MUST NOT be answered as an idempotency race"
    );
    assert_eq!(failed.kind(), ErrorKind::Conflict);
}

/// Releasing a customer another seller holds is refused as taking it is: never answered as
/// released while the other seller's reservation stands.
#[tokio::test]
async fn another_sellers_customer_is_not_released_by_you() {
    let h = Harness::new(2).await;
    let assignment = h.world.assignment.id();
    let (first, second) = (h.world.seller(0), h.world.seller(1));
    let held = h
        .cube
        .next_customer(first, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let refused = h
        .cube
        .release_customer(second, held.enrollment.id())
        .await
        .expect_err("not theirs");
    assert!(refused.to_string().contains("another seller"), "{refused}");
    let again = h
        .cube
        .next_customer(first, assignment)
        .await
        .expect("next")
        .expect("still held");
    assert_eq!(again.enrollment.id(), held.enrollment.id());
    // Their own, and one nobody holds, release as before.
    h.cube
        .release_customer(first, held.enrollment.id())
        .await
        .expect("released");
    h.cube
        .release_customer(second, held.enrollment.id())
        .await
        .expect("nobody holds it: nothing to do");
}
