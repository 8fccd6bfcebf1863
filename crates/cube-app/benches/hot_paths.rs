//! The hot paths on the in-memory store with 100,000 enrollments: the pure next-customer
//! selection, next customer through the use case (reserve + release), and outcome
//! registration (next customer + NoAnswer). Run with `cargo xtask bench`; figures go in
//! docs/performance.md with that command.

use cube_app::Cube;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::outcome::RegisterOutcome;
use cube_domain::ports::Store;
use cube_domain::queue::{self, Candidate};
use cube_testkit::fixtures::SalesFlow;
use cube_testkit::fixtures::T0;
use cube_testkit::fixtures::World;
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use std::sync::{Arc, LazyLock};
use time::Duration;
use tokio::runtime::Runtime;

const ENROLLMENTS: usize = 100_000;

fn main() {
    divan::main();
}

struct Bench {
    runtime: Runtime,
    cube: Cube,
    world: World,
    clock: Arc<FixedClock>,
}

static BENCH: LazyLock<Bench> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = runtime
        .block_on(World::build(
            store.as_ref(),
            clock.as_ref(),
            ids.as_ref(),
            ENROLLMENTS,
        ))
        .expect("the world builds");
    let cube = Cube::new(store, clock.clone(), ids);
    Bench {
        runtime,
        cube,
        world,
        clock,
    }
});

/// The pure selection over 100k candidates (one pass, no sorting).
#[divan::bench]
fn select_next_pure_100k(bencher: divan::Bencher) {
    let world = &BENCH.world;
    let no_fields = FieldValues::new();
    let setup = world.assignment.setup();
    let seller = world.seller(0);
    bencher.bench(|| {
        let candidates = world
            .enrollments
            .iter()
            .map(|enrollment: &Enrollment| Candidate {
                enrollment,
                fields: &no_fields,
                barred: None,
            });
        divan::black_box(
            queue::select_next(setup, seller, T0, candidates).map(|(c, _)| c.enrollment.id()),
        )
    });
}

/// Next customer through the use case on 100k enrollments, then release.
#[divan::bench]
fn next_customer_100k(bencher: divan::Bencher) {
    let b = &*BENCH;
    let seller = b.world.seller(1);
    let assignment = b.world.assignment.id();
    bencher.bench(|| {
        b.runtime.block_on(async {
            let item = b
                .cube
                .next_customer(seller, assignment)
                .await
                .expect("next")
                .expect("a customer");
            b.cube
                .release_customer(seller, item.enrollment.id())
                .await
                .expect("release");
        })
    });
}

/// Next customer + register NoAnswer on 100k enrollments (each iteration takes a new one;
/// the clock moves so retries never come back during the run).
#[divan::bench]
fn register_outcome_100k(bencher: divan::Bencher) {
    let b = &*BENCH;
    let seller = b.world.seller(2);
    let assignment = b.world.assignment.id();
    bencher.bench(|| {
        b.runtime.block_on(async {
            let item = b
                .cube
                .next_customer(seller, assignment)
                .await
                .expect("next")
                .expect("a customer");
            b.cube
                .register_outcome(
                    seller,
                    item.enrollment.id(),
                    RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
                    None,
                )
                .await
                .expect("registered");
        });
        b.clock.advance(Duration::milliseconds(1));
    });
}
