//! Shared set-up of the use-case tests: a `Cube` over the in-memory store with a fixed
//! clock, and the testkit's demo world in it.
#![allow(dead_code)]

use cube_app::Cube;
use cube_app::organisation::NewUser;
use cube_domain::access::{RoleKind, User};
use cube_domain::ids::{EnrollmentId, ProductId};
use cube_domain::outcome::{ProductLineRequest, RegisterOutcome};
use cube_domain::ports::Store;
use cube_testkit::fixtures::T0;
use cube_testkit::fixtures::World;
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// A cube, its world, and the knobs a test turns.
pub struct Harness {
    pub cube: Cube,
    pub world: World,
    pub clock: Arc<FixedClock>,
    pub store: Arc<dyn Store>,
}

impl Harness {
    pub async fn new(customers: usize) -> Self {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let clock = Arc::new(FixedClock::new(T0));
        let ids = Arc::new(SequentialIds::new());
        let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), customers)
            .await
            .expect("the demo world builds");
        let cube = Cube::new(store.clone(), clock.clone(), ids);
        Self {
            cube,
            world,
            clock,
            store,
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        cube_domain::ports::Clock::now(self.clock.as_ref())
    }

    pub fn product(&self, i: usize) -> ProductId {
        self.world.products[i].id()
    }

    /// The admin of a second organisation ("Other AS"), created through the use case.
    pub async fn other_admin(&self) -> User {
        let admin = NewUser {
            phone: None,
            name: "Other Admin".into(),
            email: "admin@other.example.no".into(),
            role: RoleKind::Admin,
            data_owners: BTreeSet::new(),
            client: None,
        };
        let (_, admin) = self
            .cube
            .create_organisation("Other AS", admin)
            .await
            .expect("a second organisation");
        admin
    }
}

/// A client's idempotency key, as the HTTP adapter parses it.
pub fn request_key(text: &str) -> cube_domain::idempotency::RequestKey {
    cube_domain::idempotency::RequestKey::parse(text).expect("a valid key")
}

pub fn command(outcome: cube_domain::ids::OutcomeId) -> RegisterOutcome {
    RegisterOutcome::new(outcome)
}

pub fn with_product(
    mut command: RegisterOutcome,
    product: ProductId,
    quantity: u32,
) -> RegisterOutcome {
    command.products.push(ProductLineRequest {
        product,
        quantity,
        unit_price: None,
    });
    command
}

pub fn follow_up_at(mut command: RegisterOutcome, at: OffsetDateTime) -> RegisterOutcome {
    command.follow_up_at = Some(at);
    command
}

pub fn ids(items: &[cube_app::work::WorkItem]) -> Vec<EnrollmentId> {
    items.iter().map(|i| i.enrollment.id()).collect()
}

/// The one login `email` opens with no organisation named, with its password hash; `None`
/// when it opens none. Panics if it opens several (the tests that want that ask for them).
pub async fn sole_login(
    cube: &Cube,
    email: &str,
) -> Result<Option<(User, String)>, cube_app::AppError> {
    let mut found = cube.login_credentials(email, None).await?;
    assert!(found.len() <= 1, "{email} opens {} logins", found.len());
    Ok(found.pop().map(|c| (c.user, c.password_hash)))
}
