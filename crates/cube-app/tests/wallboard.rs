//! The wallboard: the last hour per seller, busiest first, who is working now, and who may
//! read it.

mod common;

use common::Harness;
use cube_domain::flow::seeds::SalesFlow;
use cube_domain::outcome::RegisterOutcome;
use time::Duration;

async fn call(h: &Harness, seller: usize, outcome: cube_domain::ids::OutcomeId) {
    let seller = &h.world.sellers[seller];
    let work = h
        .cube
        .next_customer(seller, h.world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    h.cube
        .register_outcome(
            seller,
            work.enrollment.id(),
            RegisterOutcome::new(outcome),
            None,
        )
        .await
        .expect("registered");
}

#[tokio::test]
async fn the_last_hour_per_seller_busiest_first_and_who_is_working_now() {
    let h = Harness::new(10).await;
    let assignment = h.world.assignment.id();
    // Seller 1: an outcome 70 minutes ago (not in the hour), then one 40 minutes ago.
    call(&h, 1, SalesFlow::O_NO_ANSWER).await;
    h.clock.advance(Duration::minutes(30));
    call(&h, 1, SalesFlow::O_NO_SALE).await;
    // Seller 0: two in the last ten minutes, one a conclusion.
    h.clock.advance(Duration::minutes(30));
    call(&h, 0, SalesFlow::O_NO_ANSWER).await;
    call(&h, 0, SalesFlow::O_NO_SALE).await;
    h.clock.advance(Duration::minutes(10));

    let board = h
        .cube
        .wallboard(&h.world.manager, assignment)
        .await
        .expect("wallboard");
    assert_eq!(board.at, h.now());
    let names: Vec<(&str, bool, u64)> = board
        .sellers
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.working_now,
                s.last_hour.progress + s.last_hour.attempts,
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (h.world.sellers[0].name.as_str(), true, 2),
            (h.world.sellers[1].name.as_str(), false, 1),
        ]
    );
    assert_eq!(board.last_hour.conclusions, 2);
    assert_eq!(board.last_hour.attempts, 1);

    // A seller may read the Performance report only of themselves: not the wallboard.
    let refused = h.cube.wallboard(&h.world.sellers[0], assignment).await;
    assert!(refused.is_err(), "{refused:?}");
}
