//! Shared by the adapter's own tests: a throwaway database file per test, a small published
//! flow and data owner, enrollments in any state, and a deterministic pseudo-random source
//! (so "random-ish" data is the same on every run and a failure can be replayed).
#![allow(dead_code, clippy::unwrap_used)]

use cube_domain::access::Organisation;
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot, FollowUp, Reservation};
use cube_domain::fields::{FieldDefinition, FieldKey, FieldType, FieldValues};
use cube_domain::flow::{
    AttemptKind, FlowDraft, Outcome, OutcomeKind, PublishedFlow, State, StateCategory,
};
use cube_domain::ids::{
    AssignmentId, CustomerId, DataOwnerId, EnrollmentId, FlowId, OrganisationId, OutcomeId,
    SegmentId, StateId, UserId,
};
use cube_domain::ports::{Store, UnitOfWork};
use cube_domain::values::{Name, PhoneNumber};
use cube_sqlite::{SqliteOptions, SqliteStore};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The tests' "now".
pub const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

/// A database file in the temp dir, removed (with its WAL files) when dropped.
#[derive(Debug)]
pub struct TempDb {
    pub path: PathBuf,
}

impl TempDb {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let file = format!(
            "cube-sqlite-{name}-{}-{n}-{}.db",
            std::process::id(),
            Uuid::now_v7().simple()
        );
        Self {
            path: std::env::temp_dir().join(file),
        }
    }

    pub fn url(&self) -> String {
        self.path.display().to_string()
    }

    pub async fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.path).await.expect("open the store")
    }

    pub async fn open_with(&self, options: SqliteOptions) -> SqliteStore {
        SqliteStore::connect(&self.url(), options)
            .await
            .expect("open the store")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

pub fn uuid(kind: u128, n: u128) -> Uuid {
    Uuid::from_u128((kind << 64) | n)
}

pub fn name(raw: &str) -> Name {
    Name::parse(raw).unwrap()
}

pub fn key(raw: &str) -> FieldKey {
    FieldKey::parse(raw).unwrap()
}

pub const ORG: OrganisationId = OrganisationId::from_uuid(Uuid::from_u128(0x0A));
pub const OWNER: DataOwnerId = DataOwnerId::from_uuid(Uuid::from_u128(0x0B));
pub const FLOW: FlowId = FlowId::from_uuid(Uuid::from_u128(0x0F));

pub fn state(n: u128) -> StateId {
    StateId::from_uuid(uuid(1, n))
}
pub fn outcome(n: u128) -> OutcomeId {
    OutcomeId::from_uuid(uuid(2, n))
}
pub fn seller(n: u128) -> UserId {
    UserId::from_uuid(uuid(3, n))
}
pub fn customer_id(n: u128) -> CustomerId {
    CustomerId::from_uuid(uuid(4, n))
}
pub fn enrollment_id(n: u128) -> EnrollmentId {
    EnrollmentId::from_uuid(uuid(5, n))
}
pub fn segment(n: u128) -> SegmentId {
    SegmentId::from_uuid(uuid(6, n))
}
pub fn assignment_id(n: u128) -> AssignmentId {
    AssignmentId::from_uuid(uuid(7, n))
}

pub const TO_CALL: u128 = 1;
pub const LEAD: u128 = 2;
pub const SALE: u128 = 3;
pub const NO_SALE: u128 = 4;
pub const EXCLUDED: u128 = 5;
pub const STATES: [u128; 5] = [TO_CALL, LEAD, SALE, NO_SALE, EXCLUDED];

pub const O_LEAD: u128 = 1;
pub const O_SALE: u128 = 2;
pub const O_NO_SALE: u128 = 3;
pub const O_EXCLUDE: u128 = 4;
pub const O_NO_ANSWER: u128 = 5;
pub const O_CALL_BACK: u128 = 6;

pub fn category(state_n: u128) -> StateCategory {
    match state_n {
        TO_CALL => StateCategory::Available,
        LEAD => StateCategory::Open,
        SALE => StateCategory::Yes,
        NO_SALE => StateCategory::No,
        _ => StateCategory::Excluded,
    }
}

/// To call → Lead → Sale / No sale, Excluded from anywhere open, and the two attempts.
pub fn flow() -> PublishedFlow {
    let states = [
        (TO_CALL, "To call"),
        (LEAD, "Lead"),
        (SALE, "Sale"),
        (NO_SALE, "No sale"),
        (EXCLUDED, "Excluded"),
    ]
    .into_iter()
    .map(|(n, label)| State {
        id: state(n),
        name: name(label),
        category: category(n),
        colour: None,
    })
    .collect();
    let open: BTreeSet<StateId> = [state(TO_CALL), state(LEAD)].into();
    let outcome = |n, label: &str, kind, products| Outcome {
        id: outcome(n),
        name: name(label),
        kind,
        from: open.clone(),
        schedules_follow_up: matches!(kind, OutcomeKind::Attempt(AttemptKind::CallBackLater)),
        carries_products: products,
        books_meeting: false,
    };
    let progress = |n| OutcomeKind::Progress { target: state(n) };
    FlowDraft {
        id: FLOW,
        data_owner: OWNER,
        version: 1,
        name: name("Sales"),
        initial: state(TO_CALL),
        states,
        outcomes: vec![
            outcome(O_LEAD, "Lead", progress(LEAD), true),
            outcome(O_SALE, "Sale", progress(SALE), true),
            outcome(O_NO_SALE, "No sale", progress(NO_SALE), false),
            outcome(O_EXCLUDE, "Exclude", progress(EXCLUDED), false),
            outcome(
                O_NO_ANSWER,
                "No answer",
                OutcomeKind::Attempt(AttemptKind::NoAnswer),
                false,
            ),
            outcome(
                O_CALL_BACK,
                "Call back later",
                OutcomeKind::Attempt(AttemptKind::CallBackLater),
                false,
            ),
        ],
    }
    .publish()
    .unwrap()
}

/// A data owner whose B2B customers have one optional field per type the tests sort by.
pub fn owner() -> DataOwner {
    let mut owner = DataOwner::new(OWNER, ORG, name("Acme"));
    owner
        .set_fields(
            Dataset::B2b,
            vec![
                FieldDefinition::new(key("score"), "Score", FieldType::Number, false).unwrap(),
                FieldDefinition::new(key("revenue"), "Revenue", FieldType::Decimal, false).unwrap(),
                FieldDefinition::new(key("industry"), "Industry", FieldType::Text, false).unwrap(),
                FieldDefinition::new(key("vip"), "VIP", FieldType::Boolean, false).unwrap(),
            ],
        )
        .unwrap();
    owner
}

/// Customer `n` of the owner with the given CRM values and phone +47 9000 0000 + n.
pub fn customer(n: u128, owner: &DataOwner, fields: FieldValues) -> Customer {
    let phone = PhoneNumber::parse(&format!("+47{}", 90_000_000 + n)).unwrap();
    let details = CustomerDetails {
        name: name(&format!("Customer {n}")),
        phones: vec![phone],
        email: None,
        address: None,
        registry_number: None,
        external_id: Some(format!("ext-{n}")),
    };
    Customer::new(customer_id(n), owner, Dataset::B2b, details, fields).unwrap()
}

/// An assignment on `flow()` with the given setup.
pub fn assignment(n: u128, setup: AssignmentSetup) -> Assignment {
    let flow = flow();
    let mut assignment = Assignment::new(
        assignment_id(n),
        ORG,
        OWNER,
        name(&format!("Campaign {n}")),
        &flow,
    )
    .unwrap();
    assignment.set_setup(setup, &flow).unwrap();
    assignment
}

/// A fresh enrollment `n` of customer `n` in the assignment, in state To call.
pub fn snapshot(assignment: AssignmentId, n: u128) -> EnrollmentSnapshot {
    EnrollmentSnapshot {
        id: enrollment_id(n),
        assignment,
        customer: customer_id(n),
        state: state(TO_CALL),
        category: StateCategory::Available,
        segment: None,
        attempts: 0,
        last_contact: None,
        follow_up: None,
        no_answer_at: None,
        reservation: None,
        sequence: u64::try_from(n).unwrap(),
        enrolled_at: T0,
    }
}

/// Saves the organisation, owner, flow and assignment.
pub async fn seed(store: &dyn Store, assignments: &[Assignment]) {
    let mut uow = store.begin().await.unwrap();
    uow.save_organisation(&Organisation {
        caller_ids: Vec::new(),
        time_zone: Default::default(),
        id: ORG,
        name: name("Org"),
    })
    .await
    .unwrap();
    uow.save_data_owner(&owner()).await.unwrap();
    uow.save_published_flow(&flow()).await.unwrap();
    for assignment in assignments {
        uow.save_assignment(assignment).await.unwrap();
    }
    uow.commit().await.unwrap();
}

/// Saves customers and enrollments in one unit.
pub async fn insert(store: &dyn Store, customers: &[Customer], enrollments: &[Enrollment]) {
    let mut uow: Box<dyn UnitOfWork> = store.begin().await.unwrap();
    for customer in customers {
        uow.save_customer(customer).await.unwrap();
    }
    for enrollment in enrollments {
        uow.insert_enrollment(enrollment).await.unwrap();
    }
    uow.commit().await.unwrap();
}

/// A follow-up due `minutes` after T0, owned by `owner`.
pub fn follow_up(minutes: i64, owner: Option<UserId>) -> FollowUp {
    FollowUp {
        due: T0 + time::Duration::minutes(minutes),
        owner,
    }
}

/// A lease of `seller` until `minutes` after T0.
pub fn lease(seller: UserId, minutes: i64) -> Reservation {
    Reservation {
        seller,
        until: T0 + time::Duration::minutes(minutes),
    }
}

/// A small deterministic pseudo-random source (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}
