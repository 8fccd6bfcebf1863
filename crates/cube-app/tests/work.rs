//! A seller's day through the use cases, on the in-memory store: next customer, NoAnswer,
//! CallBackLater (shared and personal, seed 004), progress with products, My Work, the lease
//! rules, idempotent retries, hard-stop limits, SMS flows and external state changes.

mod common;

use common::{Harness, command, follow_up_at, request_key, with_product};
use cube_app::reports::Window;
use cube_app::work::ExternalOutcome;
use cube_app::{AppError, ErrorKind, WorkError};
use cube_domain::assignment::setup::Template;
use cube_domain::assignment::setup::{
    ActivityLimit, LimitMetric, LimitMode, SmsFlow, SmsReplyRule, SmsSender,
};
use cube_domain::flow::StateCategory;
use cube_domain::outcome::RegistrationError;
use cube_domain::ports::OutboxPayload;
use cube_domain::queue::Tier;
use cube_domain::values::{Email, Name};
use cube_testkit::fixtures::SalesFlow;
use rust_decimal::Decimal;
use time::Duration;

#[tokio::test]
async fn a_sellers_day_follows_the_seed_rules() {
    let h = Harness::new(5).await;
    let seller = h.world.seller(0);
    let assignment = h.world.assignment.id();

    // The pool comes in import order.
    let first = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_eq!(first.enrollment.id(), h.world.enrollments[0].id());
    assert_eq!(first.tier, Some(Tier::Pool));
    assert!(
        !first.view.is_empty(),
        "the customer view shows the assignment's fields"
    );

    // NoAnswer: the customer stays available but rests for the retry delay.
    let no_answer = h
        .cube
        .register_outcome(
            seller,
            first.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            None,
        )
        .await
        .expect("no answer");
    assert_eq!(no_answer.enrollment.state(), SalesFlow::TO_CALL);
    assert_eq!(no_answer.enrollment.attempts(), 1);
    let second = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_eq!(second.enrollment.id(), h.world.enrollments[1].id());

    // CallBackLater from an Available state: a shared follow-up (seed 004).
    let later = h.now() + Duration::hours(1);
    let shared = h
        .cube
        .register_outcome(
            seller,
            second.enrollment.id(),
            follow_up_at(command(SalesFlow::O_CALL_BACK_LATER), later),
            None,
        )
        .await
        .expect("call back later");
    let follow_up = shared.enrollment.follow_up().expect("a follow-up");
    assert!(follow_up.is_shared());

    // A lead, then CallBackLater from that progress state: a personal follow-up.
    let third = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let lead = h
        .cube
        .register_outcome(
            seller,
            third.enrollment.id(),
            command(SalesFlow::O_LEAD),
            None,
        )
        .await
        .expect("lead");
    assert_eq!(lead.enrollment.category(), StateCategory::Open);
    h.cube
        .take_customer(seller, third.enrollment.id())
        .await
        .expect("take from My Work");
    let personal = h
        .cube
        .register_outcome(
            seller,
            third.enrollment.id(),
            follow_up_at(
                command(SalesFlow::O_CALL_BACK_LATER),
                later + Duration::minutes(30),
            ),
            None,
        )
        .await
        .expect("call back later from lead");
    assert_eq!(
        personal.enrollment.follow_up().and_then(|f| f.owner),
        Some(seller)
    );

    // A sale with a product.
    let fourth = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let sale = h
        .cube
        .register_outcome(
            seller,
            fourth.enrollment.id(),
            with_product(command(SalesFlow::O_SALE), h.product(0), 2),
            None,
        )
        .await
        .expect("sale");
    assert_eq!(sale.event.to_category(), StateCategory::Yes);
    assert_eq!(
        sale.event.products()[0].value(),
        Some(Decimal::new(99_800, 2))
    );

    // My Work lists the personal follow-up for the seller and the shared one for everybody.
    let my_work = h.cube.my_work(seller).await.expect("my work");
    assert_eq!(my_work.personal.len(), 1);
    assert_eq!(my_work.shared.len(), 1);
    assert!(my_work.personal.iter().all(|i| !i.overdue));
    let other = h.cube.my_work(h.world.seller(1)).await.expect("my work");
    assert!(
        other.personal.is_empty(),
        "another seller's personal follow-up is not theirs"
    );
    assert_eq!(other.shared.len(), 1);

    // When both are due, the seller's own personal follow-up comes first, then the shared.
    h.clock.advance(Duration::hours(2));
    let due = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_eq!(
        (due.enrollment.id(), due.tier),
        (third.enrollment.id(), Some(Tier::PersonalFollowUp))
    );
    // Asking again resumes with the customer the seller holds; another seller is handed
    // the due shared follow-up.
    let again = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_eq!(
        (again.enrollment.id(), again.tier),
        (third.enrollment.id(), Some(Tier::Held))
    );
    let due = h
        .cube
        .next_customer(h.world.seller(1), assignment)
        .await
        .expect("next")
        .expect("a customer");
    assert_eq!(
        (due.enrollment.id(), due.tier),
        (second.enrollment.id(), Some(Tier::SharedFollowUp))
    );
    let overdue = h.cube.my_work(seller).await.expect("my work");
    assert!(overdue.side_panel().iter().all(|i| i.overdue));

    // The reports agree with what was done.
    let window = Window::all_to(h.now() + Duration::seconds(1));
    let activity = h
        .cube
        .activity_report(h.world.manager.id, assignment, window)
        .await
        .expect("report");
    assert_eq!(
        (activity.activity.yes, activity.activity.conclusions),
        (1, 1)
    );
    assert_eq!(activity.activity.attempts, 3);
    assert_eq!(activity.activity.progress, 2);
    let status = h
        .cube
        .customer_status_report(h.world.manager.id, assignment)
        .await
        .expect("status");
    assert_eq!(status.total, 5);
    let sale_row = status
        .per_state
        .iter()
        .find(|s| s.state == SalesFlow::SALE)
        .expect("Sale row");
    assert_eq!(sale_row.customers, 1);
}

#[tokio::test]
async fn two_sales_on_one_customer_count_twice_in_history_and_once_now() {
    // Seed 003's worked example.
    let h = Harness::new(1).await;
    let seller = h.world.seller(0);
    let enrollment = h.world.enrollments[0].id();
    let assignment = h.world.assignment.id();
    for _ in 0..2 {
        h.cube
            .take_customer(seller, enrollment)
            .await
            .expect("take");
        h.cube
            .register_outcome(
                seller,
                enrollment,
                with_product(command(SalesFlow::O_SALE), h.product(1), 1),
                None,
            )
            .await
            .expect("sale");
        h.clock.advance(Duration::minutes(5));
    }
    let window = Window::all_to(h.now());
    let outcomes = h
        .cube
        .outcome_report(h.world.manager.id, assignment, window)
        .await
        .expect("outcomes");
    let sales = outcomes
        .rows
        .iter()
        .find(|r| r.outcome == SalesFlow::O_SALE)
        .expect("Sale row");
    assert_eq!(sales.events, 2);
    let status = h
        .cube
        .customer_status_report(h.world.manager.id, assignment)
        .await
        .expect("status");
    let in_sale = status
        .per_state
        .iter()
        .find(|s| s.state == SalesFlow::SALE)
        .expect("Sale row");
    assert_eq!(in_sale.customers, 1);
    let sold = h
        .cube
        .sales_report(h.world.manager.id, assignment, window)
        .await
        .expect("sales");
    assert_eq!(sold.sold.total_units, 2);
    assert_eq!(sold.sold.sales, 2);
}

#[tokio::test]
async fn a_retried_registration_with_the_same_key_counts_once() {
    let h = Harness::new(2).await;
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, h.world.assignment.id())
        .await
        .expect("next")
        .expect("customer");
    let first = h
        .cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("first");
    let retry = h
        .cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect("the retry answers with the first result");
    assert!(retry.replayed);
    assert_eq!(retry.event.id(), first.event.id());
    assert_eq!(retry.enrollment.attempts(), 1);
    let other = h.world.enrollments[1].id();
    h.cube.take_customer(seller, other).await.expect("take");
    let misuse = h
        .cube
        .register_outcome(
            seller,
            other,
            command(SalesFlow::O_NO_ANSWER),
            Some(request_key("req-1")),
        )
        .await
        .expect_err("a key belongs to one registration");
    assert_eq!(misuse.kind(), ErrorKind::Invalid);
}

#[tokio::test]
async fn only_the_lease_holder_may_register() {
    let h = Harness::new(2).await;
    let (a, b) = (h.world.seller(0), h.world.seller(1));
    let item = h
        .cube
        .next_customer(a, h.world.assignment.id())
        .await
        .expect("next")
        .expect("customer");
    let taken = h
        .cube
        .register_outcome(
            b,
            item.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            None,
        )
        .await
        .expect_err("b does not hold the lease");
    assert!(matches!(
        taken,
        AppError::Registration(RegistrationError::HeldByAnother(_))
    ));
    assert_eq!(taken.kind(), ErrorKind::Conflict);
    // The lease runs out: a's registration is now stale.
    h.clock.advance(Duration::minutes(16));
    let stale = h
        .cube
        .register_outcome(
            a,
            item.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            None,
        )
        .await
        .expect_err("the lease lapsed");
    assert_eq!(
        stale,
        AppError::Registration(RegistrationError::LeaseNotHeld)
    );
    // A release gives the customer back at once.
    let again = h
        .cube
        .next_customer(b, h.world.assignment.id())
        .await
        .expect("next")
        .expect("customer");
    assert_eq!(again.enrollment.id(), item.enrollment.id());
    h.cube
        .release_customer(b, again.enrollment.id())
        .await
        .expect("release");
    let next = h
        .cube
        .next_customer(a, h.world.assignment.id())
        .await
        .expect("next")
        .expect("customer");
    assert_eq!(next.enrollment.id(), item.enrollment.id());
}

#[tokio::test]
async fn a_hard_stop_limit_ends_next_customer() {
    let h = Harness::new(3).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup.activity_limits.push(ActivityLimit {
        metric: LimitMetric::Yes,
        limit: Decimal::ONE,
        mode: LimitMode::HardStop,
    });
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("customer");
    h.cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            command(SalesFlow::O_SALE),
            None,
        )
        .await
        .expect("sale");
    let stopped = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect_err("the limit is reached");
    assert_eq!(stopped, AppError::LimitReached(LimitMetric::Yes));
    let limits = h
        .cube
        .limit_report(manager, assignment)
        .await
        .expect("limits");
    assert!(limits[0].reached);
    assert_eq!(limits[0].percent, Some(Decimal::ONE_HUNDRED));
}

#[tokio::test]
async fn an_sms_flow_queues_its_message_with_the_outcome() {
    let h = Harness::new(1).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    setup.sms_flows.insert(
        SalesFlow::O_OFFER,
        SmsFlow {
            template: "Hei {{ name }}! Svar JA for å bekrefte tilbudet.".into(),
            reply_window: Duration::hours(48),
            replies: vec![SmsReplyRule {
                keyword: "JA".into(),
                registers: SalesFlow::O_SALE,
            }],
        },
    );
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("customer");
    h.cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            with_product(command(SalesFlow::O_OFFER), h.product(0), 1),
            None,
        )
        .await
        .expect("offer");
    let mut uow = h.store.begin().await.expect("begin");
    let pending = uow.pending_messages(10).await.expect("outbox");
    assert_eq!(pending.len(), 1);
    let OutboxPayload::Sms(sms) = &pending[0].payload else {
        panic!("an SMS was queued")
    };
    assert_eq!(
        sms.body,
        "Hei Customer 00000! Svar JA for å bekrefte tilbudet."
    );
    assert_eq!(sms.from, "AcmeEnergi");
}

/// Issue 21: an outcome with an SMS flow on a customer with no mobile number sent nothing
/// and left no trace. The message is enqueued failed with the reason, so the failed
/// messages list it, and no delivery round ever tries it.
#[tokio::test]
async fn an_sms_to_a_customer_without_a_mobile_number_is_a_failed_message() {
    let h = Harness::new(1).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    setup.sms_flows.insert(
        SalesFlow::O_LEAD,
        SmsFlow {
            template: "Hei {{ name }}!".into(),
            reply_window: Duration::hours(48),
            replies: vec![],
        },
    );
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    let mut customer = h.world.customers[0].clone();
    let mut details = customer.details().clone();
    details.phones.clear();
    details.email = Some(
        cube_domain::values::Email::parse("post@kunde.example.no").expect("an e-mail address"),
    );
    let fields = customer.fields().clone();
    customer
        .update(&h.world.data_owner, details, fields)
        .expect("a customer may have no phone");
    let mut uow = h.store.begin().await.expect("begin");
    uow.save_customer(&customer).await.expect("saved");
    uow.commit().await.expect("commit");

    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("customer");
    h.cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            command(SalesFlow::O_LEAD),
            None,
        )
        .await
        .expect("the outcome is registered all the same");
    let failed = h
        .cube
        .failed_messages(manager, 10)
        .await
        .expect("failed messages");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].reason, "customer has no mobile number");
    assert_eq!(failed[0].message.enrollment, Some(item.enrollment.id()));
    assert_eq!(
        failed[0].message.payload,
        OutboxPayload::UnaddressedSms {
            from: "AcmeEnergi".into(),
            body: "Hei Customer 00000!".into(),
        }
    );
    let mut uow = h.store.begin().await.expect("begin");
    assert_eq!(uow.pending_messages(10).await.expect("outbox"), vec![]);
}

#[tokio::test]
async fn a_failed_registration_writes_nothing() {
    let h = Harness::new(1).await;
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, h.world.assignment.id())
        .await
        .expect("next")
        .expect("customer");
    // Sale carries products; a product outside the assignment is refused.
    let mut bad = command(SalesFlow::O_SALE);
    bad.products.push(cube_domain::outcome::ProductLineRequest {
        product: cube_domain::ids::ProductId::from_uuid(uuid::Uuid::from_u128(42)),
        quantity: 1,
        unit_price: None,
    });
    let error = h
        .cube
        .register_outcome(seller, item.enrollment.id(), bad, None)
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let mut uow = h.store.begin().await.expect("begin");
    assert!(
        uow.events_of(item.enrollment.id())
            .await
            .expect("log")
            .is_empty()
    );
    let now = uow
        .enrollment(item.enrollment.id())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(
        now.holder(h.now()),
        Some(seller),
        "the lease is still the seller's"
    );
}

#[tokio::test]
async fn an_external_system_excludes_a_customer_everywhere() {
    let h = Harness::new(2).await;
    let customer = h.world.customers[0].id();
    let changes = h
        .cube
        .external_state_change(h.world.admin.id, customer, "excluded")
        .await
        .expect("excluded");
    assert_eq!(changes.len(), 1);
    assert!(matches!(changes[0].outcome, ExternalOutcome::Moved(_)));
    // Issue 21: a retry of the same change is a success that changes nothing.
    let retried = h
        .cube
        .external_state_change(h.world.admin.id, customer, "Excluded")
        .await
        .expect("a retry is no error");
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].outcome, ExternalOutcome::AlreadyThere);
    assert_eq!(retried[0].state, changes[0].state);
    let mut uow = h.store.begin().await.expect("begin");
    let now = uow
        .enrollment(h.world.enrollments[0].id())
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(now.category(), StateCategory::Excluded);
    drop(uow);
    // It is never handed out again.
    let seller = h.world.seller(0);
    let next = h
        .cube
        .next_customer(seller, h.world.assignment.id())
        .await
        .expect("next")
        .expect("customer");
    assert_eq!(next.enrollment.id(), h.world.enrollments[1].id());
    let unknown = h
        .cube
        .external_state_change(h.world.admin.id, customer, "No such state")
        .await;
    let unknown = unknown.expect_err("no such state");
    assert_eq!(
        unknown,
        AppError::Work(WorkError::NoStateNamed {
            state: "No such state".into()
        })
    );
    assert_eq!(unknown.kind(), ErrorKind::Invalid);
}

/// "Today" is the organisation's local day (issue 14): at 00:30 in Oslo on 4 March (23:30 UTC
/// on the 3rd) My Work lists a follow-up due at 09:00 Oslo time that day — by a UTC day it was
/// still tomorrow's. Every user reads the organisation's zone; only its admin changes it, and
/// an unknown zone is refused naming it, changing nothing.
#[tokio::test]
async fn my_work_is_the_organisations_local_day() {
    let h = Harness::new(3).await;
    let seller = h.world.seller(0);
    let admin = h.world.admin.id;
    let assignment = h.world.assignment.id();
    let first = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let nine_oslo = time::macros::datetime!(2025-03-04 08:00 UTC);
    h.cube
        .register_outcome(
            seller,
            first.enrollment.id(),
            follow_up_at(command(SalesFlow::O_CALL_BACK_LATER), nine_oslo),
            None,
        )
        .await
        .expect("call back later");

    assert_eq!(
        h.cube
            .organisation(seller)
            .await
            .expect("read")
            .time_zone
            .name(),
        "Europe/Oslo",
        "an organisation is in Oslo unless its admin says otherwise"
    );
    h.clock.set(time::macros::datetime!(2025-03-03 23:30 UTC));
    let work = h.cube.my_work(seller).await.expect("my work");
    assert_eq!(
        work.shared.iter().map(|i| i.enrollment).collect::<Vec<_>>(),
        vec![first.enrollment.id()],
        "00:30 in Oslo: the 09:00 follow-up is today's"
    );

    let refused = h
        .cube
        .update_organisation(seller, None, Some("UTC"))
        .await
        .expect_err("a seller may not");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    let unknown = h
        .cube
        .update_organisation(admin, None, Some("Europe/Bergen"))
        .await
        .expect_err("no such zone");
    assert_eq!(unknown.kind(), ErrorKind::Invalid);
    assert!(unknown.to_string().contains("Europe/Bergen"), "{unknown}");
    let utc = h
        .cube
        .update_organisation(admin, None, Some("UTC"))
        .await
        .expect("the admin sets the zone");
    assert_eq!(utc.time_zone.name(), "UTC");
    assert_eq!(
        utc.name,
        h.cube.organisation(admin).await.expect("read").name
    );
    let work = h.cube.my_work(seller).await.expect("my work");
    assert!(
        work.shared.is_empty(),
        "23:30 UTC: the follow-up is tomorrow's in UTC"
    );
}

/// Seed 000 item 8: an outcome can send the customer an e-mail from the assignment's
/// sender, its merge fields filled in (escaped in the HTML). A customer without an address
/// gets it enqueued failed, as an SMS without a number.
#[tokio::test]
async fn an_outcome_sends_its_email_with_the_customers_values_escaped() {
    let h = Harness::new(2).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.mail_from = Some(Email::parse("salg@acme.no").expect("from"));
    setup.communication.email_templates = vec![Template {
        name: Name::parse("Takk").expect("name"),
        subject: "Takk for praten, {{ name }}".into(),
        body: "<p>Hei <b>{{ name }}</b>!</p>".into(),
    }];
    setup
        .email_on_outcome
        .insert(SalesFlow::O_LEAD, Name::parse("Takk").expect("name"));
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    // The first customer has an address and a name with markup in it; the second none.
    for (i, email) in [(0, Some("kari@kunde.example.no")), (1, None)] {
        let mut customer = h.world.customers[i].clone();
        let mut details = customer.details().clone();
        details.name = Name::parse("Kari <Nordmann> & Co").expect("a name");
        details.email = email.map(|e| Email::parse(e).expect("an address"));
        let fields = customer.fields().clone();
        customer
            .update(&h.world.data_owner, details, fields)
            .expect("updated");
        let mut uow = h.store.begin().await.expect("begin");
        uow.save_customer(&customer).await.expect("saved");
        uow.commit().await.expect("commit");
    }
    let seller = h.world.seller(0);
    for _ in 0..2 {
        let item = h
            .cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("customer");
        let mut lead = command(SalesFlow::O_LEAD);
        lead.follow_up_at = Some(h.now() + Duration::days(1));
        h.cube
            .register_outcome(seller, item.enrollment.id(), lead, None)
            .await
            .expect("lead");
    }
    let mut uow = h.store.begin().await.expect("begin");
    let pending = uow.pending_messages(10).await.expect("outbox");
    assert_eq!(pending.len(), 1, "{pending:?}");
    let OutboxPayload::Email(mail) = &pending[0].payload else {
        panic!("an e-mail was queued: {pending:?}")
    };
    assert_eq!(mail.from.as_str(), "salg@acme.no");
    assert_eq!(mail.to.as_str(), "kari@kunde.example.no");
    assert_eq!(mail.subject, "Takk for praten, Kari <Nordmann> & Co");
    assert_eq!(
        mail.html,
        "<p>Hei <b>Kari &lt;Nordmann&gt; &amp; Co</b>!</p>"
    );
    drop(uow);
    let failed = h.cube.failed_messages(manager, 10).await.expect("failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].reason, "customer has no e-mail address");
}

#[tokio::test]
async fn an_outcomes_email_needs_a_template_of_the_setup_and_a_sender() {
    let h = Harness::new(1).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup
        .email_on_outcome
        .insert(SalesFlow::O_LEAD, Name::parse("Missing").expect("name"));
    let refused = h
        .cube
        .update_assignment_setup(manager, assignment, setup.clone(), None)
        .await
        .expect_err("no such template");
    assert!(
        refused
            .to_string()
            .contains("no e-mail template is named 'Missing'"),
        "{refused}"
    );
    setup.communication.email_templates = vec![Template {
        name: Name::parse("Missing").expect("name"),
        subject: "S".into(),
        body: "B".into(),
    }];
    setup.communication.mail_from = None;
    let refused = h
        .cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect_err("no sender");
    assert!(
        refused.to_string().contains("communication.mail_from"),
        "{refused}"
    );
}

/// "Why is my queue empty?": with three customers — one held by another seller, one resting
/// after a No answer, one with a shared call-back this afternoon — the seller is told who
/// comes back when, and the earliest of them.
#[tokio::test]
async fn an_empty_queue_is_explained_by_who_comes_back_when() {
    let h = Harness::new(3).await;
    let (first, second) = (h.world.seller(0), h.world.seller(1));
    let assignment = h.world.assignment.id();
    let now = h.now();

    let before = h
        .cube
        .queue_explanation(second, assignment)
        .await
        .expect("explained");
    assert_eq!(before.census.ready, 3);
    assert_eq!(before.census.next_at(), None);

    // The first seller: a No answer, a call-back at 14:00 (shared), and one held.
    let cube = &h.cube;
    let take = |n: u32| async move {
        cube.next_customer(first, assignment)
            .await
            .expect("next")
            .unwrap_or_else(|| panic!("customer {n}"))
    };
    let a = take(1).await;
    h.cube
        .register_outcome(
            first,
            a.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            None,
        )
        .await
        .expect("no answer");
    let b = take(2).await;
    let later = now + Duration::hours(4);
    h.cube
        .register_outcome(
            first,
            b.enrollment.id(),
            follow_up_at(command(SalesFlow::O_CALL_BACK_LATER), later),
            None,
        )
        .await
        .expect("call back later");
    let c = take(3).await;

    assert_eq!(
        h.cube
            .next_customer(second, assignment)
            .await
            .expect("next")
            .map(|w| w.enrollment.id()),
        None,
        "the second seller's queue is empty"
    );
    let why = h
        .cube
        .queue_explanation(second, assignment)
        .await
        .expect("explained");
    let census = why.census;
    assert_eq!(census.ready, 0);
    assert_eq!(census.held_by_others.count, 1);
    assert_eq!(
        census.held_by_others.first,
        c.enrollment.reservation().map(|r| r.until)
    );
    assert_eq!(census.resting.count, 1);
    let setup = h.world.assignment.setup();
    assert_eq!(census.resting.first, Some(now + setup.retry_delay));
    assert_eq!(census.follow_ups_later.count, 1);
    assert_eq!(census.follow_ups_later.first, Some(later));
    assert_eq!(census.total(), 3);
    assert_eq!(
        census.next_at(),
        [
            census.held_by_others.first,
            census.resting.first,
            Some(later)
        ]
        .into_iter()
        .flatten()
        .min()
    );
    assert_eq!(why.hard_stop, None);
    use cube_domain::queue::census::Reason;
    assert_eq!(
        h.cube
            .queue_reason(second, a.enrollment.id())
            .await
            .expect("reason"),
        Reason::Resting {
            until: now + setup.retry_delay
        }
    );
    assert_eq!(
        h.cube
            .queue_reason(second, b.enrollment.id())
            .await
            .expect("reason"),
        Reason::FollowUpLater { due: later }
    );
    assert!(matches!(
        h.cube.queue_reason(second, c.enrollment.id()).await,
        Ok(Reason::HeldByAnother { .. })
    ));

    // The holder sees their own customer as ready (handed back).
    let mine = h
        .cube
        .queue_explanation(first, assignment)
        .await
        .expect("explained");
    assert_eq!(mine.census.ready, 1);
    assert_eq!(mine.census.held_by_others.count, 0);

    // Someone who may not work the assignment is not told.
    let client = &h.world.client_user;
    assert!(h.cube.queue_explanation(client, assignment).await.is_err());
}

/// Seed 000 item 8: an assignment's e-mail leaves through its own outgoing mail account,
/// named in the setup; the server lists the accounts it has, and a setup naming another is
/// refused when saved (with what the operator sets), not found out when the e-mail fails.
#[tokio::test]
async fn an_assignments_email_names_its_mail_account_and_only_one_the_server_has() {
    use cube_domain::assignment::setup::MailAccount;
    let mut h = Harness::new(1).await;
    h.cube = h
        .cube
        .clone()
        .with_mail_accounts([MailAccount::parse("kunde_a").expect("name")]);
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup.communication.mail_from = Some(Email::parse("salg@acme.no").expect("from"));
    setup.communication.email_templates = vec![Template {
        name: Name::parse("Takk").expect("name"),
        subject: "Takk, {{ name }}".into(),
        body: "<p>Hei</p>".into(),
    }];
    setup
        .email_on_outcome
        .insert(SalesFlow::O_LEAD, Name::parse("Takk").expect("name"));

    setup.communication.mail_account = Some(MailAccount::parse("annen").expect("name"));
    let refused = h
        .cube
        .update_assignment_setup(manager, assignment, setup.clone(), None)
        .await
        .expect_err("no such account here");
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    let said = refused.to_string();
    assert!(
        said.contains("'annen'") && said.contains("it has kunde_a"),
        "{said}"
    );
    assert!(said.contains("CUBE_SMTP_ACCOUNT_ANNEN"), "{said}");

    setup.communication.mail_account = Some(MailAccount::parse("Kunde_A").expect("name"));
    let saved = h
        .cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("a configured account");
    assert_eq!(
        saved
            .setup()
            .communication
            .mail_account
            .as_ref()
            .map(MailAccount::as_str),
        Some("kunde_a")
    );

    let mut customer = h.world.customers[0].clone();
    let mut details = customer.details().clone();
    details.email = Some(Email::parse("kari@kunde.example.no").expect("an address"));
    let fields = customer.fields().clone();
    customer
        .update(&h.world.data_owner, details, fields)
        .expect("updated");
    let mut uow = h.store.begin().await.expect("begin");
    uow.save_customer(&customer).await.expect("saved");
    uow.commit().await.expect("commit");
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, assignment)
        .await
        .expect("next")
        .expect("customer");
    let mut lead = command(SalesFlow::O_LEAD);
    lead.follow_up_at = Some(h.now() + Duration::days(1));
    h.cube
        .register_outcome(seller, item.enrollment.id(), lead, None)
        .await
        .expect("lead");
    let mut uow = h.store.begin().await.expect("begin");
    let pending = uow.pending_messages(10).await.expect("outbox");
    let OutboxPayload::Email(mail) = &pending[0].payload else {
        panic!("an e-mail was queued: {pending:?}")
    };
    assert_eq!(
        mail.account.as_ref().map(MailAccount::as_str),
        Some("kunde_a")
    );
    drop(uow);

    // A server without the account (the default Cube) refuses the same setup.
    let plain = h.cube.clone().with_mail_accounts([]);
    let mut again = saved.setup().clone();
    again.performance.yes_per_hour = None;
    let refused = plain
        .update_assignment_setup(manager, assignment, again, None)
        .await
        .expect_err("this server has no accounts");
    assert!(refused.to_string().contains("it has none"), "{refused}");
}
