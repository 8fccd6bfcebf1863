//! A property test an embedding team would write: one of the domain's invariants, over the
//! test kit's proptest strategies, on the in-memory store through the use cases.
//!
//! The invariant: whatever outcomes a seller registers on a customer (any walk through seed
//! 003's sales flow, each outcome allowed from the state the customer is in), the stored
//! enrollment is the customer's first state replayed with the stored outcome log, it is in
//! the walk's last state with one attempt per NoAnswer or CallBackLater, and the customer
//! status report counts the customer in that state.
//!
//! Run it with `cargo run -p cube-app --example walk_property`; in a test crate the same
//! check sits in a `proptest! { #[test] fn … }` block.

use cube_app::Cube;
use cube_domain::enrollment::Enrollment;
use cube_domain::flow::AttemptKind;
use cube_domain::flow::seeds::SalesFlow;
use cube_domain::outcome::{ProductLineRequest, RegisterOutcome};
use cube_domain::ports::{Clock, Store};
use cube_testkit::fixtures::{T0, World};
use cube_testkit::strategies::{GENERATED_OWNER, Step, outcome_sequence};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::sync::Arc;
use time::Duration;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let walks = outcome_sequence(&SalesFlow::published(GENERATED_OWNER), 8);
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&walks, |steps| {
        runtime.block_on(registered_walk_is_its_log(steps))
    });
    if let Err(failure) = result {
        panic!("the invariant broke: {failure}");
    }
    println!("64 walks through the sales flow: every stored enrollment is its log replayed");
}

/// A step that failed, as a test failure (proptest shrinks it) instead of a panic.
fn fail<E: std::fmt::Debug>(what: &'static str) -> impl Fn(E) -> TestCaseError {
    move |error| TestCaseError::fail(format!("{what}: {error:?}"))
}

async fn registered_walk_is_its_log(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 1)
        .await
        .map_err(fail("a world"))?;
    let cube = Cube::new(store.clone(), clock.clone(), ids);
    let (seller, enrollment) = (&world.sellers[0], world.enrollments[0].id());
    let flow = &world.sales_flow;
    for step in &steps {
        clock.advance(Duration::minutes(5));
        cube.take_customer(seller, enrollment)
            .await
            .map_err(fail("the seller takes the customer"))?;
        let outcome = flow
            .outcomes()
            .iter()
            .find(|o| o.id == step.outcome)
            .ok_or_else(|| TestCaseError::fail("the walk's outcome is in the flow"))?;
        let mut command = RegisterOutcome::new(step.outcome);
        if outcome.schedules_follow_up || step.attempt == Some(AttemptKind::CallBackLater) {
            command.follow_up_at = Some(clock.now() + Duration::days(1));
        }
        if outcome.carries_products {
            let product = world.products[0].id();
            command.products = vec![ProductLineRequest {
                product,
                quantity: 1,
                unit_price: None,
            }];
        }
        cube.register_outcome(seller, enrollment, command, None)
            .await
            .map_err(fail("an allowed outcome registers"))?;
    }

    let mut uow = store.begin_read().await.map_err(fail("a read unit"))?;
    let stored = uow
        .enrollment(enrollment)
        .await
        .map_err(fail("read"))?
        .ok_or_else(|| TestCaseError::fail("the enrollment is stored"))?;
    let log = uow.events_of(enrollment).await.map_err(fail("the log"))?;
    // The in-memory store runs one unit at a time: end this one before the report's.
    drop(uow);
    let first = &world.enrollments[0];
    let fresh = Enrollment::new(
        first.id(),
        first.assignment(),
        first.customer(),
        flow.initial_state(),
        first.segment(),
        first.sequence(),
        first.enrolled_at(),
    );
    prop_assert_eq!(
        &fresh.replay(&log),
        &stored,
        "the stored enrollment is its log replayed"
    );
    prop_assert_eq!(log.len(), steps.len());
    let last = steps.last().map_or(flow.initial_state(), |step| step.to);
    prop_assert_eq!(stored.state(), last);
    prop_assert_eq!(
        stored.attempts() as usize,
        steps.iter().filter(|s| s.attempt.is_some()).count()
    );
    let status = cube
        .customer_status_report(&world.admin, world.assignment.id())
        .await
        .map_err(fail("the report"))?;
    let counted = status
        .per_state
        .iter()
        .find(|s| s.state == last)
        .map_or(0, |s| s.customers);
    prop_assert_eq!(
        counted,
        1,
        "the status report counts the customer in its state"
    );
    Ok(())
}
