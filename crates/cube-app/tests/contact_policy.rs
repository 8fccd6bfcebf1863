//! The contact policy through the use cases (issue 18): consumers are handed out only
//! inside the call windows and after a wash this month, never when reserved without an
//! exemption or on the do-not-call list; companies only the list stops; taking a barred
//! customer by hand is refused; the queue's explanation counts them by reason.

mod common;

use common::Harness;
use cube_app::AppError;
use cube_domain::contact_policy::Closed;
use cube_domain::contact_policy::standing::{Barred, ContactRules, Exemption};
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldValues;
use cube_domain::ids::CustomerId;
use cube_domain::ports::ReservationRegister;
use cube_domain::values::PhoneNumber;
use std::collections::HashSet;
use time::macros::{date, datetime};

/// A register holding the given numbers.
struct Listed(HashSet<String>);

impl ReservationRegister for Listed {
    fn is_reserved(&self, phone: &PhoneNumber) -> bool {
        self.0.contains(phone.as_str())
    }
    fn numbers(&self) -> u64 {
        self.0.len() as u64
    }
}

/// The world's customers 0..consumers made persons (B2C); the rest stay companies.
async fn make_consumers(h: &Harness, consumers: usize) {
    let mut uow = h.store.begin().await.expect("begin");
    for customer in h.world.customers.iter().take(consumers) {
        let person = Customer::new(
            customer.id(),
            &h.world.data_owner,
            Dataset::B2c,
            customer.details().clone(),
            FieldValues::new(),
        )
        .expect("a person");
        uow.save_customer(&person).await.expect("saved");
    }
    uow.commit().await.expect("commit");
}

fn customer_of(h: &Harness, i: usize) -> CustomerId {
    h.world.customers[i].id()
}

/// Asks for the next customer as seller `s`; the customer handed out, if any, is released
/// again so the next question starts from the same queue.
async fn next_of(h: &Harness, s: usize) -> Option<CustomerId> {
    let work = h
        .cube
        .next_customer(h.world.seller(s), h.world.assignment.id())
        .await
        .expect("next")?;
    h.cube
        .release_customer(h.world.seller(s), work.enrollment.id())
        .await
        .expect("released");
    Some(work.customer.id())
}

#[tokio::test]
async fn consumers_wait_for_a_wash_the_register_and_the_window_companies_do_not() {
    // T0 is Monday 3 March 2025, 08:00 UTC: 09:00 in Oslo, the window just opened.
    let h = Harness::new(4).await;
    make_consumers(&h, 3).await;
    let assignment = h.world.assignment.id();
    let manager = &h.world.manager;

    // Never washed: only the company (customer 3) is handed out; the three consumers wait
    // for a wash, and the explanation says so.
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 3)));
    let why = h
        .cube
        .queue_explanation(h.world.seller(0), assignment)
        .await
        .expect("explained");
    assert_eq!(
        why.consumers,
        Some(Barred::RegisterStale { last_wash: None })
    );
    assert_eq!(
        (why.census.ready, why.census.consumers_closed.count),
        (1, 3)
    );

    // The wash: customer 1's number is reserved.
    let reserved = h.world.customers[1].details().phones[0].as_str().to_owned();
    let register = Listed(HashSet::from([reserved, "+4700000000".to_owned()]));
    let wash = h
        .cube
        .wash(manager, h.world.data_owner.id(), &register)
        .await
        .expect("washed");
    assert_eq!(
        (
            wash.register_numbers,
            wash.checked,
            wash.reserved,
            wash.exempted
        ),
        (2, 3, 1, 0)
    );
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 0)));
    let why = h
        .cube
        .queue_explanation(h.world.seller(0), assignment)
        .await
        .expect("explained");
    assert_eq!(why.consumers, None);
    assert_eq!((why.census.ready, why.census.reserved), (3, 1));

    // A reserved consumer is never handed out, also not by hand; an exemption lets them
    // through.
    let reserved_one = h.world.enrollments[1].id();
    assert_eq!(
        h.cube
            .queue_reason(h.world.seller(0), reserved_one)
            .await
            .expect("reason"),
        cube_domain::queue::census::Reason::Barred(Barred::Reserved)
    );
    let refused = h
        .cube
        .take_customer(h.world.seller(0), reserved_one)
        .await
        .expect_err("reserved");
    assert!(
        matches!(refused, AppError::ContactBarred(Barred::Reserved)),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("reservation register"),
        "{refused}"
    );
    h.cube
        .set_register_exemption(
            manager,
            customer_of(&h, 1),
            Some(Exemption::ExistingCustomer {
                since: date!(2024 - 01 - 15),
                product_area: "strøm".into(),
            }),
        )
        .await
        .expect("exempted");
    h.cube
        .take_customer(h.world.seller(0), reserved_one)
        .await
        .expect("taken with the exemption");
    h.cube
        .release_customer(h.world.seller(0), reserved_one)
        .await
        .expect("released");

    // The do-not-call list stops consumers and companies alike, in every way.
    for i in [0, 3] {
        h.cube
            .set_do_not_call(manager, customer_of(&h, i), Some("asked on the phone"))
            .await
            .expect("listed");
    }
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 1)));
    let refused = h
        .cube
        .take_customer(h.world.seller(0), h.world.enrollments[3].id())
        .await
        .expect_err("listed");
    assert!(matches!(
        refused,
        AppError::ContactBarred(Barred::DoNotCall)
    ));
    let changes = h
        .cube
        .customer_history_across(manager, customer_of(&h, 3))
        .await
        .expect("history")
        .changes;
    assert!(
        changes.iter().any(|c| matches!(&c.what,
            cube_domain::customer::Change::DoNotCall { reason: Some(r) } if r == "asked on the phone")),
        "{changes:?}"
    );
    h.cube
        .set_do_not_call(manager, customer_of(&h, 3), None)
        .await
        .expect("taken off");

    // 21:00 in Oslo: consumers wait until Tuesday 09:00; the company is still called.
    h.clock.set(datetime!(2025-03-03 20:00 UTC));
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 3)));
    let why = h
        .cube
        .queue_explanation(h.world.seller(0), assignment)
        .await
        .expect("explained");
    let opens = datetime!(2025-03-04 08:00 UTC);
    assert_eq!(
        why.consumers,
        Some(Barred::CallWindow {
            closed: Closed::OutsideHours,
            opens: Some(opens)
        })
    );
    assert_eq!(why.census.consumers_closed.first, Some(opens));

    // A new month: March's wash no longer counts.
    h.clock.set(datetime!(2025-04-01 08:00 UTC));
    let why = h
        .cube
        .queue_explanation(h.world.seller(0), assignment)
        .await
        .expect("explained");
    assert_eq!(
        why.consumers,
        Some(Barred::RegisterStale {
            last_wash: Some(date!(2025 - 03 - 03))
        })
    );
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 3)));
}

#[tokio::test]
async fn a_consumer_added_after_the_wash_waits_for_the_next_one_and_rules_can_be_turned_off() {
    let h = Harness::new(1).await;
    make_consumers(&h, 1).await;
    let manager = &h.world.manager;
    let owner = h.world.data_owner.id();
    h.cube
        .wash(manager, owner, &Listed(HashSet::new()))
        .await
        .expect("washed");
    // The washed consumer is handed out; a number changed since is not checked any more.
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 0)));
    let input = cube_app::customers::CustomerInput {
        name: "Kari Nordmann".into(),
        phones: vec!["+4791112233".into()],
        ..cube_app::customers::CustomerInput::default()
    };
    h.cube
        .update_customer(manager, customer_of(&h, 0), input)
        .await
        .expect("updated");
    assert_eq!(next_of(&h, 0).await, None);
    assert_eq!(
        h.cube
            .queue_reason(h.world.seller(0), h.world.enrollments[0].id())
            .await
            .expect("reason"),
        cube_domain::queue::census::Reason::Barred(Barred::NotChecked)
    );
    // A data owner that turns the register off calls them (inside the window).
    let policy = h
        .cube
        .set_contact_rules(
            manager,
            owner,
            ContactRules {
                consumer_call_windows: true,
                reservation_register: false,
                max_calls_per_day: None,
            },
        )
        .await
        .expect("set");
    assert!(!policy.contact_rules().reservation_register);
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 0)));
    let view = h.cube.contact_policy(manager, owner).await.expect("policy");
    assert_eq!(view.consumers_now, None);
    assert_eq!(view.last_wash.map(|w| w.checked), Some(1));
}

#[tokio::test]
async fn only_managers_of_the_data_owner_change_the_policy_or_wash() {
    let h = Harness::new(1).await;
    let seller = h.world.seller(0);
    let owner = h.world.data_owner.id();
    let customer = customer_of(&h, 0);
    let forbidden = |e: AppError| matches!(e, AppError::Forbidden | AppError::NotFound(_));
    assert!(forbidden(
        h.cube
            .wash(seller, owner, &Listed(HashSet::new()))
            .await
            .expect_err("a seller may not wash")
    ));
    assert!(forbidden(
        h.cube
            .set_do_not_call(seller, customer, Some("x"))
            .await
            .expect_err("a seller may not list")
    ));
    assert!(forbidden(
        h.cube
            .set_contact_rules(seller, owner, ContactRules::default())
            .await
            .expect_err("a seller may not set rules")
    ));
    let other = h.other_admin().await;
    assert!(forbidden(
        h.cube
            .contact_policy(&other, owner)
            .await
            .expect_err("another organisation's admin sees nothing")
    ));
    // Bad input is refused with the field named.
    let refused = h
        .cube
        .set_do_not_call(&h.world.manager, customer, Some("two\nlines"))
        .await
        .expect_err("one line");
    assert!(refused.to_string().contains("reason"), "{refused}");
}

#[tokio::test]
async fn an_outcome_set_up_to_do_so_puts_the_customer_on_the_do_not_call_list() {
    use cube_domain::flow::seeds::SalesFlow;
    let h = Harness::new(2).await;
    let assignment = h.world.assignment.id();
    let manager = &h.world.manager;
    let mut setup = h.world.assignment.setup().clone();
    setup.do_not_call_on.insert(SalesFlow::O_EXCLUDED);
    h.cube
        .update_assignment_setup(manager, assignment, setup.clone(), None)
        .await
        .expect("set up");
    // An outcome not in the flow is refused with the setup.
    let mut wrong = setup;
    wrong
        .do_not_call_on
        .insert(cube_domain::ids::OutcomeId::from_uuid(
            uuid::Uuid::from_u128(7),
        ));
    h.cube
        .update_assignment_setup(manager, assignment, wrong, None)
        .await
        .expect_err("an unknown outcome");

    let seller = h.world.seller(0);
    let work = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("someone");
    h.cube
        .register_outcome(
            seller,
            work.enrollment.id(),
            common::command(SalesFlow::O_EXCLUDED),
            None,
        )
        .await
        .expect("registered");
    let customer = h
        .cube
        .customer(manager, work.customer.id())
        .await
        .expect("read");
    let entry = customer
        .contact()
        .do_not_call
        .clone()
        .expect("on the do-not-call list");
    assert_eq!(entry.by, Some(seller));
    assert!(entry.reason.starts_with("outcome «"), "{}", entry.reason);
    // Another outcome puts nobody on the list.
    let other = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("the second customer");
    h.cube
        .register_outcome(
            seller,
            other.enrollment.id(),
            common::command(SalesFlow::O_NO_SALE),
            None,
        )
        .await
        .expect("registered");
    let customer = h
        .cube
        .customer(manager, other.customer.id())
        .await
        .expect("read");
    assert_eq!(customer.contact().do_not_call, None);
}

#[tokio::test]
async fn attempt_caps_per_assignment_and_per_customer_and_day() {
    use cube_domain::flow::seeds::SalesFlow;
    let h = Harness::new(2).await;
    let assignment = h.world.assignment.id();
    let manager = &h.world.manager;
    let seller = h.world.seller(0);
    // At most one attempt per customer in the assignment, no rest after a No answer.
    let mut setup = h.world.assignment.setup().clone();
    setup.max_attempts = Some(1);
    setup.retry_delay = time::Duration::ZERO;
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("set up");
    for _ in 0..2 {
        let work = h
            .cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("someone");
        h.cube
            .register_outcome(
                seller,
                work.enrollment.id(),
                common::command(SalesFlow::O_NO_ANSWER),
                None,
            )
            .await
            .expect("no answer");
    }
    assert_eq!(next_of(&h, 0).await, None, "both had their one attempt");
    let why = h
        .cube
        .queue_explanation(seller, assignment)
        .await
        .expect("explained");
    assert_eq!(why.census.attempts_used, 2);
    assert_eq!(
        h.cube
            .queue_reason(seller, h.world.enrollments[0].id())
            .await
            .expect("reason"),
        cube_domain::queue::census::Reason::AttemptsUsed
    );

    // Lift the assignment's cap; the data owner allows one call a day per customer: both
    // were called today, so nobody is handed out or taken until tomorrow.
    let mut setup = h
        .cube
        .assignment(manager, assignment)
        .await
        .expect("read")
        .setup()
        .clone();
    setup.max_attempts = None;
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("set up");
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 0)));
    h.cube
        .set_contact_rules(
            manager,
            h.world.data_owner.id(),
            ContactRules {
                max_calls_per_day: Some(1),
                ..ContactRules::default()
            },
        )
        .await
        .expect("set");
    assert_eq!(next_of(&h, 0).await, None);
    let refused = h
        .cube
        .take_customer(seller, h.world.enrollments[1].id())
        .await
        .expect_err("called today");
    assert!(
        matches!(
            refused,
            AppError::ContactBarred(Barred::DailyCap { calls: 1, .. })
        ),
        "{refused}"
    );
    let why = h
        .cube
        .queue_explanation(seller, assignment)
        .await
        .expect("explained");
    // Tomorrow starts at midnight in Oslo (23:00 UTC in March).
    assert_eq!(why.census.daily_cap.count, 2);
    assert_eq!(
        why.census.daily_cap.first,
        Some(datetime!(2025-03-03 23:00 UTC))
    );
    // The next morning they may be called again.
    h.clock.set(datetime!(2025-03-04 08:00 UTC));
    assert_eq!(next_of(&h, 0).await, Some(customer_of(&h, 0)));
    // A cap out of its range is refused, naming it.
    let refused = h
        .cube
        .set_contact_rules(
            manager,
            h.world.data_owner.id(),
            ContactRules {
                max_calls_per_day: Some(0),
                ..ContactRules::default()
            },
        )
        .await
        .expect_err("out of range");
    assert!(
        refused.to_string().contains("max_calls_per_day"),
        "{refused}"
    );
}

#[tokio::test]
async fn lasting_bars_leave_my_work_searches_say_why_and_the_first_entry_is_kept() {
    use cube_domain::flow::seeds::SalesFlow;
    let h = Harness::new(2).await;
    let seller = h.world.seller(0);
    let manager = &h.world.manager;
    let assignment = h.world.assignment.id();
    let work = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("someone");
    let later = h.now() + time::Duration::hours(1);
    h.cube
        .register_outcome(
            seller,
            work.enrollment.id(),
            common::follow_up_at(common::command(SalesFlow::O_CALL_BACK_LATER), later),
            None,
        )
        .await
        .expect("call back later");
    let listed = |w: &cube_domain::my_work::MyWork| {
        w.personal
            .iter()
            .chain(&w.shared)
            .chain(&w.coming)
            .any(|item| item.customer == work.customer.id())
    };
    assert!(listed(&h.cube.my_work(seller).await.expect("my work")));

    h.cube
        .set_do_not_call(manager, work.customer.id(), Some("ba om å slippe"))
        .await
        .expect("listed");
    // Listing again keeps the first entry (when and why), and records nothing new.
    h.clock.set(h.now() + time::Duration::minutes(5));
    let again = h
        .cube
        .set_do_not_call(manager, work.customer.id(), Some("second time"))
        .await
        .expect("listed again");
    let entry = again.contact().do_not_call.clone().expect("on the list");
    assert_eq!(entry.reason, "ba om å slippe");
    let history = h
        .cube
        .customer_history_across(manager, work.customer.id())
        .await
        .expect("history");
    assert_eq!(history.changes.len(), 1, "{:?}", history.changes);
    // An empty reason is refused, naming it.
    let refused = h
        .cube
        .set_do_not_call(manager, customer_of(&h, 1), Some("  "))
        .await
        .expect_err("a reason is needed");
    assert!(refused.to_string().contains("reason"), "{refused}");

    // My Work no longer offers the follow-up; the reason names the list, not the call-back.
    assert!(!listed(&h.cube.my_work(seller).await.expect("my work")));
    assert_eq!(
        h.cube
            .queue_reason(seller, work.enrollment.id())
            .await
            .expect("reason"),
        cube_domain::queue::census::Reason::Barred(Barred::DoNotCall)
    );
    let why = h
        .cube
        .queue_explanation(seller, assignment)
        .await
        .expect("explained");
    assert_eq!(
        (why.census.do_not_call, why.census.follow_ups_later.count),
        (1, 0)
    );
    // A search finds them, and says taking them would be refused, and why.
    let found = h
        .cube
        .search_to_take(
            seller,
            assignment,
            &cube_domain::customer::CustomerFilter::default(),
            cube_domain::ports::Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("found");
    let theirs = found
        .found
        .iter()
        .find(|f| f.enrollment.id() == work.enrollment.id())
        .expect("found them");
    assert!(
        theirs
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("do-not-call")),
        "{:?}",
        theirs.refused
    );
    // An exemption from the future is refused.
    let refused = h
        .cube
        .set_register_exemption(
            manager,
            customer_of(&h, 1),
            Some(Exemption::AskedToBeCalled {
                at: h.now() + time::Duration::days(1),
                source: "web".into(),
            }),
        )
        .await
        .expect_err("not yet");
    assert!(refused.to_string().contains("at"), "{refused}");
}
