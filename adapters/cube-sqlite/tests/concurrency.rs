//! Two connection pools on one database file (as two server processes would have) and 32
//! sellers asking for the next customer at the same time until the assignment is drained:
//! every enrollment is handed out exactly once, and each seller gets their own due personal
//! follow-ups before any shared follow-up, and those before the pool.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::enrollment::{Enrollment, Reservation};
use cube_domain::ids::EnrollmentId;
use cube_domain::ports::{NextCustomerRequest, Store};
use cube_domain::queue::Tier;
use cube_sqlite::SqliteOptions;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

const SELLERS: u128 = 32;
const ENROLLMENTS: u128 = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_sellers_on_two_pools_never_share_a_customer() {
    let db = TempDb::new("concurrency");
    // A shared CI machine may be slow; the test is about correctness, not the timeout.
    let options = SqliteOptions {
        max_connections: 4,
        busy_timeout: Duration::from_secs(60),
        ..SqliteOptions::default()
    };
    let first = db.open_with(options.clone()).await;
    let second = db.open_with(options).await;
    let setup = AssignmentSetup::default();
    seed(&first, &[assignment(1, setup.clone())]).await;

    // Every fifth enrollment is a due personal follow-up of one seller, every seventh a due
    // shared follow-up, the rest are in the pool.
    let mut personal: BTreeMap<EnrollmentId, u128> = BTreeMap::new();
    let enrollments: Vec<Enrollment> = (0..ENROLLMENTS)
        .map(|n| {
            let mut s = snapshot(assignment_id(1), n);
            if n % 5 == 0 {
                let owner = n % SELLERS;
                s.state = state(LEAD);
                s.category = category(LEAD);
                s.follow_up = Some(follow_up(-i64::try_from(n).unwrap(), Some(seller(owner))));
                personal.insert(s.id, owner);
            } else if n % 7 == 0 {
                s.follow_up = Some(follow_up(-1, None));
            }
            Enrollment::from(s)
        })
        .collect();
    insert(&first, &[], &enrollments).await;

    let pools: [Arc<dyn Store>; 2] = [Arc::new(first), Arc::new(second)];
    let mut tasks = Vec::new();
    for n in 0..SELLERS {
        let store = Arc::clone(&pools[usize::try_from(n % 2).unwrap()]);
        let setup = setup.clone();
        tasks.push(tokio::spawn(async move {
            let request = NextCustomerRequest {
                assignment: assignment_id(1),
                seller: seller(n),
                now: T0,
                setup,
                gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
            };
            let mut got = Vec::new();
            while let Some(handout) = store.reserve_next(&request).await.unwrap() {
                got.push((handout.enrollment.id(), handout.tier));
                // Passed on to a bystander, so this seller is not handed it back as held.
                let mut passed_on = handout.enrollment.snapshot().clone();
                passed_on.reservation = passed_on.reservation.map(|r| Reservation {
                    seller: seller(1000 + n),
                    ..r
                });
                let mut uow = store.begin().await.unwrap();
                uow.update_enrollment(&Enrollment::from(passed_on))
                    .await
                    .unwrap();
                uow.commit().await.unwrap();
                tokio::task::yield_now().await;
            }
            (n, got)
        }));
    }

    let mut handed: BTreeSet<EnrollmentId> = BTreeSet::new();
    for task in tasks {
        let (n, got) = task.await.unwrap();
        let tiers: Vec<Tier> = got.iter().map(|(_, tier)| *tier).collect();
        assert!(
            tiers.is_sorted(),
            "seller {n} got a later tier before an earlier one: {tiers:?}"
        );
        let own: BTreeSet<EnrollmentId> = personal
            .iter()
            .filter(|(_, owner)| **owner == n)
            .map(|(id, _)| *id)
            .collect();
        let got_personal: BTreeSet<EnrollmentId> = got
            .iter()
            .filter(|(_, tier)| *tier == Tier::PersonalFollowUp)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(
            got_personal, own,
            "seller {n} must get exactly their own follow-ups"
        );
        for (id, _) in got {
            assert!(handed.insert(id), "{id} was handed out twice");
        }
    }
    let all: BTreeSet<EnrollmentId> = enrollments.iter().map(Enrollment::id).collect();
    assert_eq!(handed, all, "every enrollment is handed out once");
}

/// Writers of one process take turns in arrival order instead of polling SQLite's lock:
/// 48 tasks writing at once, each unit holding the lock for 5 ms, with a busy timeout of
/// 1 s (the serialized work takes over 2 s in all; a turn comes within 48 units, well inside
/// the timeout even on a loaded machine) — none fails "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_of_one_process_wait_their_turn_instead_of_failing() {
    use cube_domain::access::Organisation;
    use cube_domain::ids::OrganisationId;
    let db = TempDb::new("writer-turns");
    let options = SqliteOptions {
        max_connections: 8,
        busy_timeout: Duration::from_millis(1_000),
        ..SqliteOptions::default()
    };
    let store = Arc::new(db.open_with(options).await);
    let mut tasks = Vec::new();
    for task in 0..48u128 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for n in 0..10u128 {
                let result = async {
                    let mut uow = store.begin().await?;
                    let organisation = Organisation {
                        caller_ids: Vec::new(),
                        time_zone: Default::default(),
                        id: OrganisationId::from_uuid(uuid::Uuid::from_u128(task * 100 + n + 1)),
                        name: cube_domain::values::Name::parse("Turn AS").unwrap(),
                    };
                    uow.save_organisation(&organisation).await?;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    uow.commit().await
                }
                .await;
                if let Err(error) = result {
                    failures.push(error.to_string());
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        failures.extend(task.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} of 480 writes failed, e.g. {:?}",
        failures.len(),
        failures.first()
    );
}
