//! "No customer is handed to two sellers" as a property: any schedule of sellers asking for
//! the next customer (alone or several at the same instant), time passing, releases, and
//! registrations of No answer or Call back later (a shared follow-up, the customers being in
//! an Available state) runs against `MemoryStore` without a customer ever held by two
//! sellers at once, and without a shared follow-up or a retry delay handed out early. Every
//! single request is also checked against `queue::select_next` over the stored enrollments,
//! and against the queue's census (`queue_census`: someone ready exactly when someone is
//! handed out).

use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::ids::{CustomerId, EnrollmentId, UserId};
use cube_domain::outcome::{RegisterOutcome, Registrar, RegistrationError};
use cube_domain::ports::{Handout, NextCustomerRequest, Store};
use cube_domain::queue::{self, Candidate};
use cube_testkit::fixtures::{FixtureError, SalesFlow, T0, World, register_outcome, release};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

const SELLERS: usize = World::SELLERS;
const CUSTOMERS: usize = 5;
const LEASE: Duration = Duration::minutes(20);
const RETRY_DELAY: Duration = Duration::minutes(30);

#[derive(Debug, Clone)]
enum Op {
    /// One seller asks.
    Ask(usize),
    /// Several sellers ask at the same instant, concurrently.
    AskTogether(Vec<usize>),
    /// Time passes (minutes).
    Advance(i64),
    /// A seller releases the customer they took last.
    Release(usize),
    /// A seller registers No answer on the customer they took last.
    NoAnswer(usize),
    /// A seller registers Call back later in so many minutes on the customer they took last.
    CallBack(usize, i64),
}

fn any_op() -> impl Strategy<Value = Op> {
    let seller = 0..SELLERS;
    prop_oneof![
        4 => seller.clone().prop_map(Op::Ask),
        1 => vec(seller.clone(), 2..=4).prop_map(Op::AskTogether),
        2 => (1i64..=40).prop_map(Op::Advance),
        1 => seller.clone().prop_map(Op::Release),
        2 => seller.clone().prop_map(Op::NoAnswer),
        2 => (seller, 1i64..=90).prop_map(|(s, m)| Op::CallBack(s, m)),
    ]
}

/// What the test knows from what the store told it.
struct Model {
    now: OffsetDateTime,
    /// Who was handed each enrollment last, and until when.
    holds: HashMap<EnrollmentId, (UserId, OffsetDateTime)>,
    /// What each seller took, last taken last.
    taken: Vec<Vec<EnrollmentId>>,
    /// Not to be handed out before then (shared follow-up due, or retry delay).
    not_before: HashMap<EnrollmentId, OffsetDateTime>,
}

impl Model {
    /// Checks a handout against what is known, then records it.
    fn handed(
        &mut self,
        seller: usize,
        user: UserId,
        handout: &Handout,
    ) -> Result<(), TestCaseError> {
        let id = handout.enrollment.id();
        if let Some((holder, until)) = self.holds.get(&id) {
            prop_assert!(
                *holder == user || *until <= self.now,
                "{id} handed to seller {seller} while another seller holds it until {until}"
            );
        }
        if let Some(at) = self.not_before.get(&id) {
            prop_assert!(
                *at <= self.now,
                "{id} handed out at {} before {at}",
                self.now
            );
        }
        if let Some(follow_up) = handout.enrollment.follow_up() {
            prop_assert!(
                follow_up.is_due(self.now),
                "a follow-up handed out before it is due"
            );
        }
        self.holds.insert(id, (user, self.now + LEASE));
        self.taken[seller].push(id);
        Ok(())
    }

    /// Whether the model says `user` holds a live lease on `id`.
    fn holds_live(&self, id: EnrollmentId, user: UserId) -> bool {
        self.holds
            .get(&id)
            .is_some_and(|(holder, until)| *holder == user && *until > self.now)
    }
}

/// What `queue::select_next` picks over the stored enrollments.
async fn oracle(store: &dyn Store, request: &NextCustomerRequest) -> Option<EnrollmentId> {
    let mut uow = store.begin().await.expect("begin");
    let enrollments = uow.enrollments(request.assignment).await.expect("read");
    let ids: Vec<CustomerId> = enrollments.iter().map(Enrollment::customer).collect();
    let customers = uow.customers_by_id(&ids).await.expect("read");
    let fields: HashMap<CustomerId, &FieldValues> =
        customers.iter().map(|c| (c.id(), c.fields())).collect();
    let none = FieldValues::new();
    let candidates = enrollments.iter().map(|enrollment| Candidate {
        enrollment,
        fields: fields.get(&enrollment.customer()).copied().unwrap_or(&none),
        barred: None,
    });
    queue::select_next(&request.setup, request.seller, request.now, candidates)
        .map(|(candidate, _)| candidate.enrollment.id())
}

async fn run_schedule(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let ids = Arc::new(SequentialIds::new());
    let clock = FixedClock::new(T0);
    let world = World::build(store.as_ref(), &clock, ids.as_ref(), CUSTOMERS)
        .await
        .expect("world");
    let mut assignment = world.assignment.clone();
    let setup = AssignmentSetup {
        lease: LEASE,
        retry_delay: RETRY_DELAY,
        ..assignment.setup().clone()
    };
    assignment
        .set_setup(setup.clone(), &world.sales_flow)
        .expect("a valid setup");
    let mut uow = store.begin().await.expect("begin");
    uow.save_assignment(&assignment).await.expect("save");
    uow.commit().await.expect("commit");

    let sellers: Vec<UserId> = world.sellers.iter().map(|u| u.id).collect();
    let request = |seller: usize, now| NextCustomerRequest {
        assignment: assignment.id(),
        seller: sellers[seller],
        now,
        setup: setup.clone(),
        gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
    };
    let mut model = Model {
        now: T0,
        holds: HashMap::new(),
        taken: vec![Vec::new(); SELLERS],
        not_before: HashMap::new(),
    };
    for op in ops {
        match op {
            Op::Advance(minutes) => model.now += Duration::minutes(minutes),
            Op::Ask(seller) => {
                let r = request(seller, model.now);
                let want = oracle(store.as_ref(), &r).await;
                // The census explains the same queue: someone is ready exactly when someone
                // is handed out, and every enrollment is counted once.
                let census = {
                    let mut uow = store.begin_read().await.expect("begin");
                    uow.queue_census(&r).await.expect("census")
                };
                prop_assert_eq!(census.ready > 0, want.is_some(), "{:?}", census);
                prop_assert_eq!(census.total(), CUSTOMERS as u64, "{:?}", census);
                let got = store.reserve_next(&r).await.expect("reserve_next");
                prop_assert_eq!(got.as_ref().map(|h| h.enrollment.id()), want);
                if let Some(handout) = got {
                    model.handed(seller, sellers[seller], &handout)?;
                }
            }
            Op::AskTogether(group) => {
                let mut tasks = tokio::task::JoinSet::new();
                for seller in group {
                    let (store, r) = (store.clone(), request(seller, model.now));
                    tasks.spawn(async move {
                        (seller, store.reserve_next(&r).await.expect("reserve_next"))
                    });
                }
                let mut handed = Vec::new();
                while let Some(done) = tasks.join_next().await {
                    let (seller, handout) = done.expect("an asking task finished");
                    if let Some(handout) = handout {
                        handed.push((handout.enrollment.id(), sellers[seller]));
                        model.handed(seller, sellers[seller], &handout)?;
                    }
                }
                // A seller asking twice at once gets what they hold twice; two sellers never
                // get one customer.
                handed.sort();
                handed.dedup();
                let count = handed.len();
                handed.dedup_by_key(|(id, _)| *id);
                prop_assert_eq!(count, handed.len(), "two sellers got one customer at once");
            }
            Op::Release(seller) => {
                let Some(id) = model.taken[seller].pop() else {
                    continue;
                };
                let user = sellers[seller];
                let released = release(store.as_ref(), id, user).await.expect("release");
                if model.holds_live(id, user) {
                    prop_assert!(released, "the live holder could not release {}", id);
                }
                if released {
                    model.holds.remove(&id);
                }
            }
            Op::NoAnswer(seller) | Op::CallBack(seller, _) => {
                let Some(id) = model.taken[seller].pop() else {
                    continue;
                };
                let (command, not_before) = match op {
                    Op::CallBack(_, minutes) => {
                        let due = model.now + Duration::minutes(minutes);
                        let command = RegisterOutcome {
                            follow_up_at: Some(due),
                            ..RegisterOutcome::new(SalesFlow::O_CALL_BACK_LATER)
                        };
                        (command, due)
                    }
                    _ => (
                        RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
                        model.now + RETRY_DELAY,
                    ),
                };
                let user = sellers[seller];
                let live = model.holds_live(id, user);
                let registrar = Registrar::Seller(user);
                match register_outcome(
                    store.as_ref(),
                    registrar,
                    id,
                    command,
                    model.now,
                    ids.as_ref(),
                )
                .await
                {
                    Ok(registration) => {
                        prop_assert!(live, "registered on {} without a live lease", id);
                        if let Some(follow_up) = registration.event.follow_up() {
                            prop_assert!(
                                follow_up.is_shared(),
                                "from To Call the follow-up is shared"
                            );
                        }
                        model.holds.remove(&id);
                        model.not_before.insert(id, not_before);
                    }
                    Err(FixtureError::Registration(
                        RegistrationError::LeaseNotHeld | RegistrationError::HeldByAnother(_),
                    )) => prop_assert!(!live, "the live holder could not register on {}", id),
                    Err(other) => prop_assert!(false, "registration failed: {other}"),
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn no_customer_is_held_by_two_sellers_nor_handed_out_early(ops in vec(any_op(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(run_schedule(ops))?;
    }
}
