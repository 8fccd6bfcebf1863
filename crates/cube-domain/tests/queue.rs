//! "Next customer" (seeds 002 and 004): the seller's own due personal follow-ups, then due
//! shared follow-ups oldest first, then the pool by the assignment's priority rules; never a
//! customer reserved by another seller, owned by another seller, not yet due or resting after
//! NoAnswer.

mod common;

use common::*;
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule, Segment};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot, FollowUp, Reservation};
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::flow::StateCategory;
use cube_domain::ids::SegmentId;
use cube_domain::outcome::RegisterOutcome;
use cube_domain::queue::{Candidate, Tier, select_next, tier};
use time::OffsetDateTime;

/// Candidates as the store would load them: enrollments with their customers' CRM values.
struct Pool(Vec<(Enrollment, FieldValues)>);

impl Pool {
    fn of(snapshots: impl IntoIterator<Item = EnrollmentSnapshot>) -> Self {
        Self(
            snapshots
                .into_iter()
                .map(|s| (Enrollment::from(s), FieldValues::new()))
                .collect(),
        )
    }

    fn with_fields(entries: impl IntoIterator<Item = (EnrollmentSnapshot, FieldValues)>) -> Self {
        Self(
            entries
                .into_iter()
                .map(|(s, f)| (Enrollment::from(s), f))
                .collect(),
        )
    }

    fn candidates(&self) -> impl Iterator<Item = Candidate<'_>> {
        self.0.iter().map(|(enrollment, fields)| Candidate {
            enrollment,
            fields,
            barred: None,
        })
    }

    /// The sequence number and tier of the customer handed to `seller` at `now`.
    fn next(
        &self,
        setup: &AssignmentSetup,
        seller: cube_domain::ids::UserId,
        now: OffsetDateTime,
    ) -> Option<(u64, Tier)> {
        select_next(setup, seller, now, self.candidates())
            .map(|(candidate, tier)| (candidate.enrollment.sequence(), tier))
    }

    /// The order in which `SELLER` is handed every ready customer at `now`.
    fn order(&self, setup: &AssignmentSetup, now: OffsetDateTime) -> Vec<u64> {
        let mut left: Vec<Candidate<'_>> = self.candidates().collect();
        let mut order = Vec::new();
        while let Some((chosen, _)) = select_next(setup, SELLER, now, left.iter().copied()) {
            let sequence = chosen.enrollment.sequence();
            order.push(sequence);
            left.retain(|c| c.enrollment.sequence() != sequence);
        }
        order
    }
}

fn follow_up(
    n: u64,
    due: OffsetDateTime,
    owner: Option<cube_domain::ids::UserId>,
) -> EnrollmentSnapshot {
    EnrollmentSnapshot {
        follow_up: Some(FollowUp { due, owner }),
        ..snapshot(n)
    }
}

fn in_category(n: u64, category: StateCategory) -> EnrollmentSnapshot {
    EnrollmentSnapshot {
        state: id(150),
        category,
        ..snapshot(n)
    }
}

fn setup_with(priority: Vec<PriorityRule>) -> AssignmentSetup {
    AssignmentSetup {
        priority,
        ..AssignmentSetup::default()
    }
}

const NOW: OffsetDateTime = T0;

// --- tiers -----------------------------------------------------------------------------

#[test]
fn the_sellers_own_due_personal_follow_up_comes_first() {
    let pool = Pool::of([
        snapshot(1),
        follow_up(2, mins(-120), None),
        follow_up(3, mins(-5), Some(SELLER)),
    ]);
    assert_eq!(
        pool.next(&AssignmentSetup::default(), SELLER, NOW),
        Some((3, Tier::PersonalFollowUp))
    );
}

#[test]
fn due_shared_follow_ups_come_before_the_pool_oldest_first() {
    let pool = Pool::of([
        snapshot(1),
        follow_up(2, mins(-10), None),
        follow_up(3, mins(-90), None),
        follow_up(4, mins(0), None),
    ]);
    let setup = AssignmentSetup::default();
    assert_eq!(
        pool.next(&setup, SELLER, NOW),
        Some((3, Tier::SharedFollowUp))
    );
    assert_eq!(pool.order(&setup, NOW), vec![3, 2, 4, 1]);
}

#[test]
fn personal_follow_ups_are_handed_out_oldest_first() {
    let pool = Pool::of([
        follow_up(1, mins(-10), Some(SELLER)),
        follow_up(2, mins(-60), Some(SELLER)),
    ]);
    assert_eq!(pool.order(&AssignmentSetup::default(), NOW), vec![2, 1]);
}

#[test]
fn another_sellers_personal_follow_up_is_never_handed_out() {
    let theirs = follow_up(1, mins(-60), Some(OTHER_SELLER));
    let pool = Pool::of([theirs.clone()]);
    let setup = AssignmentSetup::default();
    assert_eq!(pool.next(&setup, SELLER, NOW), None);
    assert_eq!(
        pool.next(&setup, OTHER_SELLER, NOW),
        Some((1, Tier::PersonalFollowUp))
    );
    assert_eq!(
        tier(&setup, &Enrollment::from(theirs), SELLER, mins(24 * 60)),
        None
    );
}

#[test]
fn a_follow_up_that_is_not_due_is_not_handed_out() {
    let setup = AssignmentSetup::default();
    for owner in [None, Some(SELLER)] {
        let pool = Pool::of([follow_up(1, mins(30), owner)]);
        assert_eq!(pool.next(&setup, SELLER, NOW), None, "{owner:?}");
        assert!(pool.next(&setup, SELLER, mins(30)).is_some(), "{owner:?}");
    }
}

#[test]
fn a_customer_reserved_by_another_seller_is_not_handed_out() {
    let reserved = |n, until| EnrollmentSnapshot {
        reservation: Some(Reservation {
            seller: OTHER_SELLER,
            until,
        }),
        ..snapshot(n)
    };
    let pool = Pool::of([reserved(1, mins(10)), follow_up(2, mins(-5), None)]);
    let setup = AssignmentSetup::default();
    let pool_with_shared_reserved = Pool::of([EnrollmentSnapshot {
        reservation: Some(Reservation {
            seller: OTHER_SELLER,
            until: mins(10),
        }),
        ..follow_up(3, mins(-5), None)
    }]);
    assert_eq!(pool.order(&setup, NOW), vec![2]);
    assert_eq!(pool_with_shared_reserved.next(&setup, SELLER, NOW), None);
    // Once the lease has run out the customer is back.
    let lapsed = Pool::of([reserved(1, mins(10))]);
    assert_eq!(lapsed.next(&setup, SELLER, mins(10)), Some((1, Tier::Pool)));
}

#[test]
fn the_retry_delay_keeps_a_no_answer_customer_out_until_it_passes() {
    let world = World::sales();
    let no_answer = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            RegisterOutcome::new(sales::outcome::NO_ANSWER),
            T0,
        )
        .expect("no answer");
    let enrollment = &no_answer.enrollment;
    let setup = world.setup();
    let retry_at = enrollment
        .retry_at(setup.retry_delay)
        .expect("a retry time");
    assert_eq!(retry_at, mins(120));
    assert_eq!(tier(setup, enrollment, SELLER, mins(1)), None);
    assert_eq!(tier(setup, enrollment, OTHER_SELLER, mins(119)), None);
    assert_eq!(tier(setup, enrollment, SELLER, retry_at), Some(Tier::Pool));
}

#[test]
fn a_changed_retry_delay_applies_at_once_to_customers_already_waiting() {
    let world = World::sales();
    let no_answer = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            RegisterOutcome::new(sales::outcome::NO_ANSWER),
            T0,
        )
        .expect("no answer");
    let enrollment = &no_answer.enrollment;
    let shorter = world.with_setup(|s| s.retry_delay = time::Duration::minutes(30));
    assert_eq!(
        tier(shorter.setup(), enrollment, SELLER, mins(30)),
        Some(Tier::Pool),
        "counted from the NoAnswer with the delay set now"
    );
    let longer = shorter.with_setup(|s| s.retry_delay = time::Duration::hours(5));
    assert_eq!(tier(longer.setup(), enrollment, SELLER, mins(299)), None);
    assert_eq!(
        tier(longer.setup(), enrollment, SELLER, mins(300)),
        Some(Tier::Pool)
    );
}

#[test]
fn the_seller_gets_back_the_customer_they_hold_first() {
    let held = |n, seller, until| EnrollmentSnapshot {
        reservation: Some(Reservation { seller, until }),
        ..snapshot(n)
    };
    let setup = AssignmentSetup::default();
    let pool = Pool::of([
        follow_up(1, mins(-60), Some(SELLER)),
        held(2, SELLER, mins(10)),
        held(3, SELLER, mins(5)),
        held(4, OTHER_SELLER, mins(5)),
        EnrollmentSnapshot {
            category: StateCategory::Yes,
            ..held(5, SELLER, mins(20))
        },
    ]);
    assert_eq!(
        pool.next(&setup, SELLER, NOW),
        Some((3, Tier::Held)),
        "a live lease of mine first, the one running out soonest"
    );
    assert_eq!(pool.next(&setup, OTHER_SELLER, NOW), Some((4, Tier::Held)));
    assert_eq!(
        pool.next(&setup, SELLER, mins(10)),
        Some((5, Tier::Held)),
        "a customer taken by hand in a Yes state is held too"
    );
    assert_eq!(
        pool.next(&setup, SELLER, mins(20)),
        Some((1, Tier::PersonalFollowUp)),
        "a lapsed lease is not held"
    );
}

#[test]
fn only_available_customers_without_a_follow_up_are_in_the_pool() {
    let setup = AssignmentSetup::default();
    for category in [
        StateCategory::Open,
        StateCategory::Yes,
        StateCategory::No,
        StateCategory::Excluded,
    ] {
        let pool = Pool::of([in_category(1, category)]);
        assert_eq!(pool.next(&setup, SELLER, NOW), None, "{category:?}");
    }
    assert_eq!(
        Pool::of([in_category(1, StateCategory::Available)]).next(&setup, SELLER, NOW),
        Some((1, Tier::Pool))
    );
}

#[test]
fn an_open_customer_comes_back_through_its_follow_up() {
    let open = EnrollmentSnapshot {
        follow_up: Some(FollowUp {
            due: mins(-1),
            owner: Some(SELLER),
        }),
        ..in_category(1, StateCategory::Open)
    };
    assert_eq!(
        Pool::of([open]).next(&AssignmentSetup::default(), SELLER, NOW),
        Some((1, Tier::PersonalFollowUp))
    );
}

#[test]
fn a_due_follow_up_is_work_whatever_the_category_but_excluded() {
    let setup = AssignmentSetup::default();
    for category in [StateCategory::Yes, StateCategory::No, StateCategory::Open] {
        for (owner, want) in [
            (None, Tier::SharedFollowUp),
            (Some(SELLER), Tier::PersonalFollowUp),
        ] {
            let due = EnrollmentSnapshot {
                follow_up: Some(FollowUp {
                    due: mins(-1),
                    owner,
                }),
                ..in_category(1, category)
            };
            assert_eq!(
                tier(&setup, &Enrollment::from(due), SELLER, NOW),
                Some(want),
                "{category:?} {owner:?}"
            );
        }
    }
}

#[test]
fn an_excluded_customer_is_never_handed_out() {
    // `Enrollment::reserve` refuses it, so handing one out would block the queue.
    let setup = AssignmentSetup::default();
    for owner in [None, Some(SELLER)] {
        let excluded = EnrollmentSnapshot {
            follow_up: Some(FollowUp {
                due: mins(-1),
                owner,
            }),
            reservation: Some(Reservation {
                seller: SELLER,
                until: mins(10),
            }),
            ..in_category(1, StateCategory::Excluded)
        };
        assert_eq!(
            tier(&setup, &Enrollment::from(excluded), SELLER, NOW),
            None,
            "{owner:?}"
        );
    }
}

#[test]
fn nothing_ready_hands_out_nothing() {
    assert_eq!(
        Pool::of([]).next(&AssignmentSetup::default(), SELLER, NOW),
        None
    );
}

// --- priority rules --------------------------------------------------------------------

#[test]
fn segment_order_follows_the_setup_with_no_segment_last() {
    let (north, south): (SegmentId, SegmentId) = (id(61), id(62));
    let setup = AssignmentSetup {
        segments: vec![
            Segment {
                id: south,
                name: name("South"),
            },
            Segment {
                id: north,
                name: name("North"),
            },
        ],
        ..setup_with(vec![PriorityRule::SegmentOrder])
    };
    let in_segment = |n, segment| EnrollmentSnapshot {
        segment,
        ..snapshot(n)
    };
    let pool = Pool::of([
        in_segment(1, None),
        in_segment(2, Some(north)),
        in_segment(3, Some(south)),
        in_segment(4, Some(id(69))), // a segment no longer in the setup
        in_segment(5, Some(north)),
    ]);
    assert_eq!(pool.order(&setup, NOW), vec![3, 2, 5, 1, 4]);
}

fn with_employees(n: u64, employees: Option<i64>) -> (EnrollmentSnapshot, FieldValues) {
    let mut fields = FieldValues::new();
    if let Some(employees) = employees {
        fields.insert(key("employees"), FieldValue::Number(employees));
    }
    (snapshot(n), fields)
}

#[test]
fn a_field_rule_sorts_ascending_with_missing_values_last() {
    let pool = Pool::with_fields([
        with_employees(1, None),
        with_employees(2, Some(50)),
        with_employees(3, Some(5)),
        with_employees(4, Some(500)),
    ]);
    let setup = setup_with(vec![PriorityRule::Field(
        key("employees"),
        Direction::Ascending,
    )]);
    assert_eq!(pool.order(&setup, NOW), vec![3, 2, 4, 1]);
}

#[test]
fn a_field_rule_sorts_descending_with_missing_values_still_last() {
    let pool = Pool::with_fields([
        with_employees(1, None),
        with_employees(2, Some(50)),
        with_employees(3, Some(5)),
        with_employees(4, Some(500)),
    ]);
    let setup = setup_with(vec![PriorityRule::Field(
        key("employees"),
        Direction::Descending,
    )]);
    assert_eq!(pool.order(&setup, NOW), vec![4, 2, 3, 1]);
}

#[test]
fn fewest_attempts_come_first() {
    let attempted = |n, attempts| EnrollmentSnapshot {
        attempts,
        ..snapshot(n)
    };
    let pool = Pool::of([attempted(1, 3), attempted(2, 0), attempted(3, 1)]);
    let setup = setup_with(vec![PriorityRule::FewestAttempts]);
    assert_eq!(pool.order(&setup, NOW), vec![2, 3, 1]);
}

#[test]
fn longest_since_last_contact_comes_first_and_never_contacted_before_all() {
    let contacted = |n, last_contact| EnrollmentSnapshot {
        last_contact,
        ..snapshot(n)
    };
    let pool = Pool::of([
        contacted(1, Some(mins(-60))),
        contacted(2, Some(mins(-600))),
        contacted(3, None),
    ]);
    let setup = setup_with(vec![PriorityRule::LongestSinceLastContact]);
    assert_eq!(pool.order(&setup, NOW), vec![3, 2, 1]);
}

#[test]
fn import_order_breaks_every_tie() {
    let attempted = |n, attempts| EnrollmentSnapshot {
        attempts,
        ..snapshot(n)
    };
    // Listed out of order on purpose: the store gives no order guarantee.
    let pool = Pool::of([attempted(7, 1), attempted(3, 1), attempted(5, 1)]);
    assert_eq!(
        pool.order(&setup_with(vec![PriorityRule::FewestAttempts]), NOW),
        vec![3, 5, 7]
    );
    assert_eq!(pool.order(&setup_with(vec![]), NOW), vec![3, 5, 7]);
}

#[test]
fn import_order_as_a_rule_puts_the_earliest_enrolled_first() {
    let pool = Pool::of([snapshot(9), snapshot(2), snapshot(4)]);
    assert_eq!(
        pool.order(&setup_with(vec![PriorityRule::ImportOrder]), NOW),
        vec![2, 4, 9]
    );
}

#[test]
fn later_rules_only_break_ties_of_earlier_ones() {
    let (a, b): (SegmentId, SegmentId) = (id(61), id(62));
    let setup = AssignmentSetup {
        segments: vec![
            Segment {
                id: a,
                name: name("A"),
            },
            Segment {
                id: b,
                name: name("B"),
            },
        ],
        ..setup_with(vec![
            PriorityRule::SegmentOrder,
            PriorityRule::FewestAttempts,
        ])
    };
    let entry = |n, segment, attempts| EnrollmentSnapshot {
        segment: Some(segment),
        attempts,
        ..snapshot(n)
    };
    let pool = Pool::of([
        entry(1, b, 0),
        entry(2, a, 4),
        entry(3, a, 1),
        entry(4, b, 2),
    ]);
    assert_eq!(pool.order(&setup, NOW), vec![3, 2, 1, 4]);
}

#[test]
fn follow_ups_ignore_the_pool_rules() {
    // A due shared follow-up beats a pool customer the rules would put first.
    let pool = Pool::of([
        EnrollmentSnapshot {
            attempts: 0,
            ..snapshot(1)
        },
        EnrollmentSnapshot {
            attempts: 9,
            ..follow_up(2, mins(-1), None)
        },
    ]);
    assert_eq!(
        pool.order(&setup_with(vec![PriorityRule::FewestAttempts]), NOW),
        vec![2, 1]
    );
}
