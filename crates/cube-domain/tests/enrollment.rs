//! The enrollment's reservations, segment moves and flow remapping.

mod common;

use common::*;
use cube_domain::enrollment::{Enrollment, Reservation, ReservationError};
use cube_domain::flow::StateCategory;
use cube_domain::ids::SegmentId;
use time::Duration;

const LEASE: Duration = Duration::minutes(15);

fn fresh() -> Enrollment {
    World::sales().enroll(1)
}

#[test]
fn a_new_enrollment_starts_in_the_initial_available_state() {
    let enrollment = fresh();
    assert_eq!(enrollment.state(), sales::state::TO_CALL);
    assert_eq!(enrollment.category(), StateCategory::Available);
    assert_eq!(enrollment.attempts(), 0);
    assert_eq!(enrollment.last_contact(), None);
    assert_eq!(enrollment.follow_up(), None);
    assert_eq!(enrollment.no_answer_at(), None);
    assert_eq!(enrollment.reservation(), None);
    assert_eq!(enrollment.enrolled_at(), T0);
}

#[test]
fn a_reservation_holds_until_the_lease_runs_out() {
    let mut enrollment = fresh();
    let reservation = enrollment.reserve(SELLER, T0, LEASE).expect("free");
    assert_eq!(
        reservation,
        Reservation {
            seller: SELLER,
            until: mins(15)
        }
    );
    assert_eq!(enrollment.holder(mins(14)), Some(SELLER));
    assert_eq!(enrollment.holder(mins(15)), None, "the lease has run out");
    assert_eq!(
        enrollment.reservation(),
        Some(reservation),
        "kept as stored"
    );
}

#[test]
fn another_seller_cannot_reserve_during_a_live_lease() {
    let mut enrollment = fresh();
    enrollment.reserve(SELLER, T0, LEASE).expect("free");
    assert_eq!(
        enrollment.reserve(OTHER_SELLER, mins(5), LEASE),
        Err(ReservationError::HeldByAnother(mins(15)))
    );
    assert_eq!(enrollment.holder(mins(5)), Some(SELLER));
}

#[test]
fn another_seller_may_reserve_once_the_lease_has_run_out() {
    let mut enrollment = fresh();
    enrollment.reserve(SELLER, T0, LEASE).expect("free");
    let taken = enrollment
        .reserve(OTHER_SELLER, mins(15), LEASE)
        .expect("lapsed");
    assert_eq!(taken.seller, OTHER_SELLER);
    assert_eq!(enrollment.holder(mins(16)), Some(OTHER_SELLER));
}

#[test]
fn the_same_seller_renews_their_lease() {
    let mut enrollment = fresh();
    enrollment.reserve(SELLER, T0, LEASE).expect("free");
    let renewed = enrollment
        .reserve(SELLER, mins(10), LEASE)
        .expect("own lease");
    assert_eq!(renewed.until, mins(25));
    assert_eq!(enrollment.holder(mins(20)), Some(SELLER));
}

#[test]
fn released_customers_are_free_again() {
    let mut enrollment = fresh();
    enrollment.reserve(SELLER, T0, LEASE).expect("free");
    assert!(!enrollment.release(OTHER_SELLER), "not theirs to release");
    assert_eq!(enrollment.holder(mins(1)), Some(SELLER));
    assert!(enrollment.release(SELLER));
    assert_eq!(enrollment.holder(mins(1)), None);
    assert!(!enrollment.release(SELLER), "nothing left to release");
    enrollment
        .reserve(OTHER_SELLER, mins(1), LEASE)
        .expect("free again");
}

#[test]
fn excluded_customers_cannot_be_reserved() {
    let world = World::sales();
    let mut enrollment = world.enroll_in(1, sales::state::EXCLUDED);
    assert_eq!(
        enrollment.reserve(SELLER, T0, LEASE),
        Err(ReservationError::Excluded)
    );
    assert_eq!(enrollment.reservation(), None);
}

#[test]
fn concluded_customers_can_be_taken_by_hand_for_a_second_sale() {
    // Seed 003: a customer in Sale can get another Sale; the queue never hands them out,
    // but a seller may take them.
    let world = World::sales();
    for state in [sales::state::SALE, sales::state::NO_SALE] {
        let mut enrollment = world.enroll_in(1, state);
        assert!(enrollment.reserve(SELLER, T0, LEASE).is_ok(), "{state}");
    }
}

#[test]
fn open_states_can_be_reserved() {
    let mut lead = World::sales().enroll_in(1, sales::state::LEAD);
    assert!(lead.reserve(SELLER, T0, LEASE).is_ok());
}

#[test]
fn moving_to_a_segment_changes_only_the_segment() {
    let mut enrollment = fresh();
    let before = enrollment.clone();
    let segment: SegmentId = id(61);
    enrollment.move_to_segment(Some(segment));
    assert_eq!(enrollment.segment(), Some(segment));
    enrollment.move_to_segment(None);
    assert_eq!(enrollment, before);
}

#[test]
fn remapping_keeps_attempts_and_follow_up() {
    let world = World::sales();
    let call_back = world
        .seller_registers(
            &world.enroll_in(1, sales::state::LEAD),
            SELLER,
            with_follow_up(sales::outcome::CALL_BACK_LATER, mins(60)),
            T0,
        )
        .expect("call back later");
    let mut enrollment = call_back.enrollment;
    let mapping = world.flow.map_states_to(&meetings::flow());
    let target = mapping.target(sales::state::TO_CALL).expect("same name");
    enrollment.remap_state(target, StateCategory::Available);
    assert_eq!(enrollment.state(), meetings::state::TO_CALL);
    assert_eq!(enrollment.attempts(), 1);
    assert_eq!(enrollment.follow_up().map(|f| f.due), Some(mins(60)));
}

#[test]
fn an_enrollment_survives_a_json_round_trip() {
    let mut enrollment = fresh();
    enrollment.reserve(SELLER, T0, LEASE).expect("free");
    let json = serde_json::to_string(&enrollment).expect("serializes");
    let back: Enrollment = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, enrollment);
}
