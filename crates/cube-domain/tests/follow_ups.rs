//! Seed 004 ("Hvordan hjelper Cube deg til å følge opp kundene til rett tid?"): which
//! outcomes schedule follow-ups, whether they are shared or personal, and when they end.

mod common;

use common::*;
use cube_domain::assignment::setup::FollowUpOwnership;
use cube_domain::enrollment::FollowUp;
use cube_domain::outcome::{RegisterOutcome, Registrar, RegistrationError};

use sales::outcome as so;
use sales::state as ss;

#[test]
fn call_back_later_from_an_available_state_is_a_shared_follow_up() {
    // "Dersom kunden er i tilstanden Ledig vil oppfølgingen være en Delt oppfølging."
    let world = World::sales();
    let registration = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            with_follow_up(so::CALL_BACK_LATER, mins(240)),
            T0,
        )
        .expect("call back later from To Call");
    let follow_up = registration.enrollment.follow_up().expect("scheduled");
    assert_eq!(
        follow_up,
        FollowUp {
            due: mins(240),
            owner: None
        }
    );
    assert!(follow_up.is_shared());
    assert_eq!(registration.enrollment.state(), ss::TO_CALL, "still Ledig");
    assert_eq!(registration.enrollment.attempts(), 1);
    assert_eq!(registration.enrollment.no_answer_at(), None);
}

#[test]
fn call_back_later_from_a_progress_state_is_the_sellers_personal_follow_up() {
    // "Dersom kunden er registrert med et progressivt utfall vil man registrere en Personlig
    // oppfølging."
    let world = World::sales();
    let registration = world
        .seller_registers(
            &world.enroll_in(1, ss::OFFER),
            SELLER,
            with_follow_up(so::CALL_BACK_LATER, mins(240)),
            T0,
        )
        .expect("call back later from Offer");
    assert_eq!(
        registration.enrollment.follow_up(),
        Some(FollowUp {
            due: mins(240),
            owner: Some(SELLER)
        })
    );
    assert_eq!(registration.enrollment.state(), ss::OFFER, "same state");
}

#[test]
fn call_back_later_needs_a_time() {
    let world = World::sales();
    assert_eq!(
        world.seller_registers(
            &world.enroll(1),
            SELLER,
            RegisterOutcome::new(so::CALL_BACK_LATER),
            T0
        ),
        Err(RegistrationError::FollowUpTimeRequired(
            "Call back later".into()
        ))
    );
}

#[test]
fn no_answer_takes_no_time() {
    // "Ikke svar vil ikke gi mulighet for å registrere et spesifikt oppfølgingstidspunkt."
    let world = World::sales();
    assert_eq!(
        world.seller_registers(
            &world.enroll(1),
            SELLER,
            with_follow_up(so::NO_ANSWER, mins(60)),
            T0
        ),
        Err(RegistrationError::FollowUpNotAllowed("No answer".into()))
    );
}

#[test]
fn a_follow_up_time_must_be_in_the_future() {
    let world = World::sales();
    for at in [mins(-1), T0] {
        assert_eq!(
            world.seller_registers(
                &world.enroll(1),
                SELLER,
                with_follow_up(so::CALL_BACK_LATER, at),
                T0
            ),
            Err(RegistrationError::FollowUpInPast)
        );
    }
}

#[test]
fn a_follow_up_time_outside_the_accepted_years_names_the_field() {
    use cube_domain::time_bounds::TimeOutOfBounds;
    use time::macros::datetime;
    let world = World::sales();
    for (at, year) in [
        (datetime!(9999-12-31 12:00 UTC), 9999),
        (datetime!(2262-04-12 0:00 UTC), 2262),
    ] {
        let err = world
            .seller_registers(
                &world.enroll(1),
                SELLER,
                with_follow_up(so::CALL_BACK_LATER, at),
                T0,
            )
            .expect_err("refused");
        assert_eq!(
            err,
            RegistrationError::Time(TimeOutOfBounds {
                field: "follow_up_at",
                year
            })
        );
        assert!(err.to_string().starts_with("`follow_up_at`"), "{err}");
    }
}

#[test]
fn a_progress_outcome_without_the_follow_up_flag_takes_no_time() {
    let world = World::sales();
    assert_eq!(
        world.seller_registers(
            &world.enroll(1),
            SELLER,
            with_follow_up(so::NO_SALE, mins(60)),
            T0
        ),
        Err(RegistrationError::FollowUpNotAllowed("No sale".into()))
    );
}

#[test]
fn a_flagged_progress_outcome_schedules_a_personal_follow_up_by_default() {
    // Seed 004's example: "Sale to followup" with a personal follow-up.
    let world = World::sales();
    let registration = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            with_follow_up(so::SALE_TO_FOLLOWUP, mins(24 * 60)),
            T0,
        )
        .expect("sale to followup");
    assert_eq!(registration.enrollment.state(), ss::SALE_TO_FOLLOWUP);
    assert_eq!(
        registration.enrollment.follow_up(),
        Some(FollowUp {
            due: mins(24 * 60),
            owner: Some(SELLER)
        })
    );
    assert_eq!(registration.enrollment.attempts(), 0);
}

#[test]
fn a_flagged_progress_outcome_schedules_a_shared_follow_up_when_the_assignment_says_so() {
    let world = World::sales().with_setup(|setup| {
        setup
            .follow_up_ownership
            .insert(so::OFFER, FollowUpOwnership::Shared);
    });
    let offer = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            with_follow_up(so::OFFER, mins(60)),
            T0,
        )
        .expect("offer");
    assert_eq!(
        offer.enrollment.follow_up(),
        Some(FollowUp {
            due: mins(60),
            owner: None
        })
    );
    // Only that outcome: "Sale to followup" keeps the personal default.
    let sale_to_followup = world
        .seller_registers(
            &world.enroll(2),
            SELLER,
            with_follow_up(so::SALE_TO_FOLLOWUP, mins(60)),
            T0,
        )
        .expect("sale to followup");
    assert_eq!(
        sale_to_followup
            .enrollment
            .follow_up()
            .and_then(|f| f.owner),
        Some(SELLER)
    );
}

#[test]
fn a_flagged_progress_outcome_may_be_registered_without_a_follow_up() {
    let world = World::sales();
    let registration = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            RegisterOutcome::new(so::OFFER),
            T0,
        )
        .expect("offer without a time");
    assert_eq!(registration.enrollment.follow_up(), None);
}

#[test]
fn a_new_outcome_ends_the_earlier_follow_up() {
    let world = World::sales();
    let call_back = world
        .seller_registers(
            &world.enroll_in(1, ss::LEAD),
            SELLER,
            with_follow_up(so::CALL_BACK_LATER, mins(60)),
            T0,
        )
        .expect("call back later");
    assert!(call_back.enrollment.follow_up().is_some());

    let no_answer = world
        .seller_registers(
            &call_back.enrollment,
            SELLER,
            RegisterOutcome::new(so::NO_ANSWER),
            mins(61),
        )
        .expect("no answer when calling back");
    assert_eq!(no_answer.enrollment.follow_up(), None);
    assert_eq!(no_answer.enrollment.attempts(), 2);
}

#[test]
fn a_new_follow_up_replaces_the_earlier_one() {
    let world = World::sales();
    let first = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            with_follow_up(so::CALL_BACK_LATER, mins(60)),
            T0,
        )
        .expect("call back later");
    let offer = world
        .seller_registers(
            &first.enrollment,
            OTHER_SELLER,
            with_follow_up(so::OFFER, mins(3 * 24 * 60)),
            mins(61),
        )
        .expect("offer");
    assert_eq!(
        offer.enrollment.follow_up(),
        Some(FollowUp {
            due: mins(3 * 24 * 60),
            owner: Some(OTHER_SELLER)
        })
    );
    assert_eq!(offer.event.follow_up(), offer.enrollment.follow_up());
}

#[test]
fn a_follow_up_owned_by_a_manager_is_the_managers() {
    let world = World::sales();
    let registration = world
        .register(
            &world.enroll_in(1, ss::LEAD),
            Registrar::Manager(MANAGER),
            with_follow_up(so::CALL_BACK_LATER, mins(30)),
            T0,
        )
        .expect("manager registers");
    assert_eq!(
        registration.enrollment.follow_up().and_then(|f| f.owner),
        Some(MANAGER)
    );
}

#[test]
fn a_follow_up_is_due_from_its_time_on() {
    let follow_up = FollowUp {
        due: mins(60),
        owner: None,
    };
    assert!(!follow_up.is_due(mins(59)));
    assert!(follow_up.is_due(mins(60)));
    assert!(follow_up.is_due(mins(600)), "overdue is still due");
}

#[test]
fn a_personal_follow_up_may_be_given_to_another_seller_when_registered() {
    // Seed 004: the follow-up follows its owner; the seller may pick a colleague.
    let world = World::sales();
    let mut command = with_follow_up(so::CALL_BACK_LATER, mins(240));
    command.follow_up_owner = Some(OTHER_SELLER);
    let registration = world
        .seller_registers(&world.enroll_in(1, ss::OFFER), SELLER, command, T0)
        .expect("a personal follow-up for a colleague");
    assert_eq!(
        registration.enrollment.follow_up(),
        Some(FollowUp {
            due: mins(240),
            owner: Some(OTHER_SELLER)
        })
    );
    assert_eq!(
        registration.event.follow_up().and_then(|f| f.owner),
        Some(OTHER_SELLER),
        "the history says who owns it"
    );
}

#[test]
fn an_owner_is_refused_for_a_shared_follow_up_and_for_none() {
    let world = World::sales();
    let with_owner = |mut command: RegisterOutcome| {
        command.follow_up_owner = Some(OTHER_SELLER);
        command
    };
    // From To call a call-back is shared: nobody owns it.
    assert_eq!(
        world.seller_registers(
            &world.enroll(1),
            SELLER,
            with_owner(with_follow_up(so::CALL_BACK_LATER, mins(60))),
            T0
        ),
        Err(RegistrationError::FollowUpOwnerNotAllowed(
            "Call back later".into()
        ))
    );
    // No follow-up scheduled at all.
    let refused = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            with_owner(RegisterOutcome::new(so::NO_ANSWER)),
            T0,
        )
        .expect_err("no follow-up to own");
    assert!(refused.to_string().contains("follow_up_owner"), "{refused}");
}
