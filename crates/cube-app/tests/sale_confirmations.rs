//! Written confirmation of phone sales (`cube_app::sale_confirmations`, angrerettloven § 10):
//! a Sale to a consumer sends the written offer and stays pending; "JA" confirms it, "NEI"
//! refuses it and moves the customer on, no answer in the window expires it and moves them
//! on; business customers and assignments without the setting are untouched.

mod common;

use common::*;
use cube_app::AppError;
use cube_domain::assignment::AssignmentError;
use cube_domain::assignment::setup::SmsSender;
use cube_domain::contact_policy::standing::ContactRules;
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldValues;
use cube_domain::flow::SwitchPlan;
use cube_domain::ids::{EnrollmentId, StateId};
use cube_domain::ports::{OutboxPayload, SmsMessage};
use cube_domain::reports::SalesReport;
use cube_domain::sale_confirmation::{
    ConfirmationSetupError, ConfirmationStatus, SaleConfirmation, SaleConfirmationSetup,
};
use cube_domain::sms::{InboundSms, ReplyFate};
use cube_domain::values::PhoneNumber;
use cube_testkit::fixtures::SalesFlow;
use time::Duration;

const TEMPLATE: &str = "Hei {{ name }}! Du har kjøpt:\n{{ products }}\nTotalt {{ total }}. \
                        Vilkår: {{ terms_url }}. Svar JA for å bekrefte, NEI om ikke.";

fn confirmation_setup() -> SaleConfirmationSetup {
    SaleConfirmationSetup::new(
        TEMPLATE,
        "https://acme.example.no/vilkar",
        Duration::hours(48),
        SalesFlow::O_NO_SALE,
        SalesFlow::O_EXCLUDED,
    )
}

/// A harness whose assignment is on the sales flow with No sale and Excluded also allowed
/// from Sale (where a refusal and a silence go), whose customers are consumers except the
/// last (a business), with an SMS sender and — when `required` — written confirmation.
async fn harness(required: bool) -> Harness {
    let h = Harness::new(3).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut draft = h.world.sales_flow.new_draft();
    for outcome in &mut draft.outcomes {
        if outcome.id == SalesFlow::O_NO_SALE || outcome.id == SalesFlow::O_EXCLUDED {
            outcome.from.insert(SalesFlow::SALE);
        }
    }
    let v2 = draft.publish().expect("a valid flow");
    {
        let mut uow = h.store.begin().await.expect("unit");
        uow.save_published_flow(&v2).await.expect("saved");
        let last = h.world.customers.len() - 1;
        for (i, customer) in h.world.customers.iter().enumerate() {
            let dataset = if i == last {
                Dataset::B2b
            } else {
                Dataset::B2c
            };
            let fields = if i == last {
                customer.fields().clone()
            } else {
                FieldValues::new()
            };
            let again = Customer::new(
                customer.id(),
                &h.world.data_owner,
                dataset,
                customer.details().clone(),
                fields,
            )
            .expect("a valid customer");
            uow.save_customer(&again).await.expect("saved");
        }
        uow.commit().await.expect("committed");
    }
    h.cube
        .switch_flow(manager, assignment, v2.version(), &SwitchPlan::default())
        .await
        .expect("switched");
    // Consumers may be called at the fixed clock's time (the contact policy is tested on
    // its own).
    h.cube
        .set_contact_rules(
            manager,
            h.world.data_owner.id(),
            ContactRules {
                consumer_call_windows: false,
                reservation_register: false,
                max_calls_per_day: None,
            },
        )
        .await
        .expect("rules");
    let mut setup = h
        .cube
        .assignment(manager, assignment)
        .await
        .expect("read")
        .setup()
        .clone();
    setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
    if required {
        setup.sale_confirmation = Some(confirmation_setup());
    }
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    h
}

/// The seller's Sale of 2 × product 0 on customer `i`: its enrollment and phone number.
async fn sell(h: &Harness, i: usize) -> (EnrollmentId, PhoneNumber) {
    let seller = h.world.seller(0);
    let enrollment = h.world.enrollments[i].id();
    h.cube
        .take_customer(seller, enrollment)
        .await
        .expect("taken");
    h.cube
        .register_outcome(
            seller,
            enrollment,
            with_product(command(SalesFlow::O_SALE), h.product(0), 2),
            None,
        )
        .await
        .expect("sold");
    let phone = h.world.customers[i].details().phones[0].clone();
    (enrollment, phone)
}

async fn confirmations(h: &Harness) -> Vec<SaleConfirmation> {
    h.cube
        .sale_confirmations(h.world.manager.id, h.world.assignment.id(), None, 100)
        .await
        .expect("listed")
}

async fn state_of(h: &Harness, enrollment: EnrollmentId) -> StateId {
    let mut uow = h.store.begin_read().await.expect("read");
    uow.enrollment(enrollment)
        .await
        .expect("read")
        .expect("enrolled")
        .state()
}

async fn sms_sent(h: &Harness) -> Vec<SmsMessage> {
    let mut uow = h.store.begin_read().await.expect("read");
    uow.pending_messages(100)
        .await
        .expect("outbox")
        .into_iter()
        .filter_map(|m| match m.payload {
            OutboxPayload::Sms(sms) => Some(sms),
            _ => None,
        })
        .collect()
}

async fn sales(h: &Harness) -> SalesReport {
    let window = cube_app::reports::Window {
        from: h.now() - Duration::days(7),
        to: h.now() + Duration::days(1),
    };
    h.cube
        .sales_report(h.world.manager.id, h.world.assignment.id(), window)
        .await
        .expect("report")
        .sold
}

fn text(id: &str, from: &PhoneNumber, body: &str) -> InboundSms {
    InboundSms::new(id, from.clone(), body).expect("a valid text")
}

#[tokio::test]
async fn a_sale_to_a_consumer_sends_the_offer_and_stays_pending() {
    let h = harness(true).await;
    let (enrollment, phone) = sell(&h, 0).await;
    let listed = confirmations(&h).await;
    assert_eq!(listed.len(), 1);
    let c = &listed[0];
    assert_eq!(
        (c.status, c.enrollment, c.to.as_ref()),
        (ConfirmationStatus::Pending, enrollment, Some(&phone))
    );
    assert_eq!(c.deadline, c.sent_at + Duration::hours(48));
    assert_eq!(c.decided_at, None);
    let sent = sms_sent(&h).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let name = h.world.products[0].name().to_string();
    let price = h.world.products[0]
        .unit_price()
        .to_string()
        .replace('.', ",");
    assert_eq!(sent[0].to, phone);
    assert_eq!(sent[0].from, "AcmeEnergi");
    assert!(
        sent[0].body.contains(&format!("2 x {name} à {price}")),
        "the line with its quantity and unit price: {}",
        sent[0].body
    );
    assert!(sent[0].body.contains("https://acme.example.no/vilkar"));
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);

    // The report: one sale, pending, its value not counted yet.
    let report = sales(&h).await;
    assert_eq!(report.sales, 1);
    assert_eq!(report.confirmations.pending, 1);
    assert!(report.totals.is_empty(), "{report:?}");
    assert_eq!(report.confirmations.unconfirmed_units, 2);
}

#[tokio::test]
async fn ja_confirms_the_sale_once_even_when_posted_twice() {
    let h = harness(true).await;
    let (enrollment, phone) = sell(&h, 0).await;
    h.clock.advance(Duration::hours(2));
    let reply = h
        .cube
        .receive_sms(text("SM-1", &phone, " Ja! "))
        .await
        .expect("taken in");
    let confirmation = confirmations(&h).await[0].clone();
    assert_eq!(
        reply.fate,
        ReplyFate::SaleConfirmed {
            confirmation: confirmation.id
        }
    );
    assert_eq!(confirmation.status, ConfirmationStatus::Confirmed);
    assert_eq!(confirmation.decided_at, Some(h.now()));
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    // Posted again: the first answer, nothing changes.
    let again = h
        .cube
        .receive_sms(text("SM-1", &phone, " Ja! "))
        .await
        .expect("taken in");
    assert_eq!(again, reply);
    // A later "NEI" finds nothing pending: kept beside the confirmation, not acted on.
    let late = h
        .cube
        .receive_sms(text("SM-2", &phone, "NEI"))
        .await
        .expect("taken in");
    assert_eq!(late.fate, ReplyFate::AlreadyAnswered);
    assert_eq!(
        late.confirmation.as_ref().map(|c| c.id),
        Some(confirmation.id)
    );
    assert_eq!(
        confirmations(&h).await[0].status,
        ConfirmationStatus::Confirmed
    );
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    // The report counts its value now.
    let report = sales(&h).await;
    assert_eq!((report.confirmations.confirmed, report.total_units), (1, 2));
    assert_eq!(report.totals.len(), 1);
    // The manager lists the texts it answered.
    let listed = h
        .cube
        .sms_replies(h.world.manager.id, h.world.assignment.id(), None, 100)
        .await
        .expect("listed");
    assert_eq!(listed.len(), 2, "{listed:?}");
}

#[tokio::test]
async fn nei_refuses_the_sale_and_registers_the_refusal_outcome_as_the_system() {
    let h = harness(true).await;
    let (enrollment, phone) = sell(&h, 0).await;
    // An unknown word is kept and listed, not acted on.
    let unclear = h
        .cube
        .receive_sms(text("SM-0", &phone, "hva betyr dette?"))
        .await
        .expect("taken in");
    assert_eq!(unclear.fate, ReplyFate::UnknownKeyword);
    assert!(unclear.confirmation.is_some());
    assert_eq!(
        confirmations(&h).await[0].status,
        ConfirmationStatus::Pending
    );
    let reply = h
        .cube
        .receive_sms(text("SM-1", &phone, "nei."))
        .await
        .expect("taken in");
    let ReplyFate::SaleRefused {
        event: Some(event),
        not_registered: None,
        ..
    } = reply.fate
    else {
        panic!("a refusal registers the refusal outcome: {reply:?}")
    };
    assert_eq!(
        confirmations(&h).await[0].status,
        ConfirmationStatus::Refused
    );
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::NO_SALE);
    let history = h
        .cube
        .customer_history(h.world.manager.id, enrollment)
        .await
        .expect("history");
    let last = history.last().expect("events");
    assert_eq!(last.id(), event);
    assert_eq!(last.outcome(), Some(SalesFlow::O_NO_SALE));
    assert_eq!(last.user(), None, "registered by the system");
    let report = sales(&h).await;
    assert_eq!((report.confirmations.refused, report.total_units), (1, 0));
}

#[tokio::test]
async fn no_answer_in_the_window_expires_the_sale_once_and_moves_the_customer_on() {
    let h = harness(true).await;
    let (enrollment, phone) = sell(&h, 0).await;
    h.clock.advance(Duration::hours(48));
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!(
        round.expired, 0,
        "the deadline's instant is still in the window"
    );
    h.clock.advance(Duration::seconds(1));
    // A "JA" after the deadline is late: kept, not acted on.
    let late = h
        .cube
        .receive_sms(text("SM-1", &phone, "JA"))
        .await
        .expect("taken in");
    assert_eq!(late.fate, ReplyFate::OutsideWindow);
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!((round.expired, round.registered), (1, 1));
    let c = confirmations(&h).await[0].clone();
    assert_eq!(
        (c.status, c.decided_at),
        (ConfirmationStatus::Expired, Some(h.now()))
    );
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::EXCLUDED);
    // A second sweep finds nothing.
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!(round, cube_app::sale_confirmations::ExpiryRound::default());
    assert_eq!(sales(&h).await.confirmations.expired, 1);
}

#[tokio::test]
async fn business_customers_and_assignments_without_the_setting_are_untouched() {
    let h = harness(true).await;
    let (enrollment, _) = sell(&h, 2).await;
    assert!(confirmations(&h).await.is_empty(), "a B2B sale");
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    let report = sales(&h).await;
    assert_eq!((report.sales, report.total_units), (1, 2));

    let h = harness(false).await;
    sell(&h, 0).await;
    assert!(confirmations(&h).await.is_empty());
    assert!(sms_sent(&h).await.is_empty());
    assert_eq!(sales(&h).await.total_units, 2);
}

#[tokio::test]
async fn a_consumer_without_a_mobile_number_leaves_the_sale_unconfirmed() {
    let h = harness(true).await;
    let customer = &h.world.customers[1];
    let mut details = customer.details().clone();
    details.phones.clear();
    details.email = Some(cube_domain::values::Email::parse("kari@example.no").expect("valid"));
    let bare = Customer::new(
        customer.id(),
        &h.world.data_owner,
        Dataset::B2c,
        details,
        FieldValues::new(),
    )
    .expect("valid");
    let mut uow = h.store.begin().await.expect("unit");
    uow.save_customer(&bare).await.expect("saved");
    uow.commit().await.expect("committed");
    sell(&h, 1).await;
    let c = confirmations(&h).await[0].clone();
    assert_eq!((c.status, c.to), (ConfirmationStatus::Failed, None));
    let mut uow = h.store.begin_read().await.expect("read");
    let failed = uow
        .failed_messages(&[h.world.assignment.id()], 10)
        .await
        .expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].message.id, c.message);
    drop(uow);
    // Never expired into a conclusion, never counted.
    h.clock.advance(Duration::days(3));
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!(round.expired, 0);
    let report = sales(&h).await;
    assert_eq!((report.confirmations.failed, report.total_units), (1, 0));
}

#[tokio::test]
async fn the_setup_is_checked_on_save() {
    let h = harness(false).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let current = h
        .cube
        .assignment(manager, assignment)
        .await
        .expect("read")
        .setup()
        .clone();
    let with = |c: SaleConfirmationSetup| {
        let mut setup = current.clone();
        setup.sale_confirmation = Some(c);
        setup
    };
    let mut no_sender = with(confirmation_setup());
    no_sender.communication.sms_sender = None;
    for (setup, expected) in [
        (
            no_sender,
            AssignmentError::SaleConfirmation(ConfirmationSetupError::SenderMissing),
        ),
        (
            with(SaleConfirmationSetup {
                window: Duration::ZERO,
                ..confirmation_setup()
            }),
            AssignmentError::SaleConfirmation(ConfirmationSetupError::Window),
        ),
    ] {
        let error = h
            .cube
            .update_assignment_setup(manager, assignment, setup, None)
            .await
            .expect_err("refused");
        assert!(
            matches!(&error, AppError::Assignment(e) if *e == expected),
            "{error:?}"
        );
    }
    let unknown = with(SaleConfirmationSetup {
        template: "{{ products }} {{ total }} {{ navn }}".into(),
        ..confirmation_setup()
    });
    let error = h
        .cube
        .update_assignment_setup(manager, assignment, unknown, None)
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("{{ navn }}"), "{error}");
    let not_from_sale = with(SaleConfirmationSetup {
        on_refusal: SalesFlow::O_LEAD,
        ..confirmation_setup()
    });
    let error = h
        .cube
        .update_assignment_setup(manager, assignment, not_from_sale, None)
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("'Sale'"), "{error}");
}

#[tokio::test]
async fn a_silent_first_sale_does_not_move_the_customer_away_from_a_later_one() {
    let h = harness(true).await;
    let (enrollment, phone) = sell(&h, 0).await;
    h.clock.advance(Duration::hours(1));
    // A second sale an hour later (Sale may follow Sale): its own offer, its own confirmation.
    h.cube
        .register_outcome(
            h.world.manager.id,
            enrollment,
            with_product(command(SalesFlow::O_SALE), h.product(1), 1),
            None,
        )
        .await
        .expect("sold again");
    h.clock.advance(Duration::hours(47) + Duration::seconds(1));
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!((round.expired, round.registered), (1, 0));
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    // The customer confirms the later one.
    let reply = h
        .cube
        .receive_sms(text("SM-1", &phone, "JA"))
        .await
        .expect("taken in");
    let statuses: Vec<_> = confirmations(&h).await.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [ConfirmationStatus::Expired, ConfirmationStatus::Confirmed],
        "{reply:?}"
    );
}

// --- The e-mail channel: the offer's two links lead to the public answer page. ---

const PUBLIC_URL: &str = "https://cube.example.com";

fn email_setup() -> SaleConfirmationSetup {
    SaleConfirmationSetup {
        template: "<p>Hei {{ name }}!</p>{{ products }}<p>Totalt {{ total }}. Vilkår: \
                   {{ terms_url }}</p>"
            .into(),
        ..confirmation_setup()
    }
    .by_email("Ditt tilbud fra Acme: {{ total }}")
}

/// [`harness`] on a server with a public address, the assignment sending from
/// `salg@acme.example.no`, its offers by e-mail; customer 0 has an e-mail address,
/// customer 1 none.
async fn email_harness() -> Harness {
    let mut h = harness(false).await;
    h.cube = h.cube.clone().with_public_url(&format!("{PUBLIC_URL}/"));
    let customer = &h.world.customers[0];
    let mut details = customer.details().clone();
    details.email = Some(cube_domain::values::Email::parse("kari@example.no").expect("valid"));
    let with_address = Customer::new(
        customer.id(),
        &h.world.data_owner,
        Dataset::B2c,
        details,
        FieldValues::new(),
    )
    .expect("valid");
    let mut uow = h.store.begin().await.expect("unit");
    uow.save_customer(&with_address).await.expect("saved");
    uow.commit().await.expect("committed");
    let (manager, assignment) = (h.world.manager.id, h.world.assignment.id());
    let mut setup = h
        .cube
        .assignment(manager, assignment)
        .await
        .expect("read")
        .setup()
        .clone();
    setup.communication.sms_sender = None;
    setup.communication.mail_from =
        Some(cube_domain::values::Email::parse("salg@acme.example.no").expect("valid"));
    setup.sale_confirmation = Some(email_setup());
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("an e-mail setup is saved on a server with a public address");
    h
}

async fn emails_sent(h: &Harness) -> Vec<cube_domain::ports::EmailMessage> {
    let mut uow = h.store.begin_read().await.expect("read");
    uow.pending_messages(100)
        .await
        .expect("outbox")
        .into_iter()
        .filter_map(|m| match m.payload {
            OutboxPayload::Email(mail) => Some(mail),
            _ => None,
        })
        .collect()
}

/// The token of the answer link `…/confirm/{token}?answer={answer}` in `html`.
fn token_in(html: &str, answer: &str) -> String {
    let start = html
        .find(&format!("{PUBLIC_URL}/confirm/"))
        .expect("a link to the answer page")
        + PUBLIC_URL.len()
        + "/confirm/".len();
    let token = &html[start..start + cube_domain::sale_confirmation::ANSWER_TOKEN_LEN];
    assert!(
        html.contains(&format!(
            "<a href=\"{PUBLIC_URL}/confirm/{token}?answer={answer}\">"
        )),
        "the {answer} link: {html}"
    );
    token.to_owned()
}

#[tokio::test]
async fn an_offer_by_email_goes_from_mail_from_with_both_answer_links() {
    let h = email_harness().await;
    let (enrollment, _) = sell(&h, 0).await;
    assert!(
        sms_sent(&h).await.is_empty(),
        "no SMS by the e-mail channel"
    );
    let sent = emails_sent(&h).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let mail = &sent[0];
    assert_eq!(mail.to.as_str(), "kari@example.no");
    assert_eq!(mail.from.as_str(), "salg@acme.example.no");
    let name = cube_domain::sms::escape_html(&h.world.products[0].name().to_string());
    assert!(
        mail.html.contains(&format!("<td>2 x</td><td>{name}</td>")),
        "{}",
        mail.html
    );
    assert!(mail.subject.starts_with("Ditt tilbud fra Acme: "));
    let accept = token_in(&mail.html, "accept");
    assert_eq!(
        token_in(&mail.html, "refuse"),
        accept,
        "one token, two links"
    );
    let c = confirmations(&h).await[0].clone();
    assert_eq!(
        (c.status, c.enrollment, c.channel, c.to.as_ref()),
        (
            ConfirmationStatus::Pending,
            enrollment,
            cube_domain::sale_confirmation::ConfirmationChannel::Email,
            None
        )
    );
    assert_eq!(
        c.token_hash,
        Some(cube_domain::sale_confirmation::token_hash(&accept)),
        "only the token's hash is kept"
    );
    assert!(
        !format!("{c:?}").contains(&accept),
        "never the token itself"
    );
    // The page shows the offer, open, until the deadline.
    let page = h.cube.offer_by_token(&accept).await.expect("the page");
    assert!(page.open);
    assert_eq!(page.offer.lines.len(), 1);
    assert_eq!(page.offer.lines[0].quantity, 2);
    assert_eq!(
        page.terms_url.as_deref(),
        Some("https://acme.example.no/vilkar")
    );
    assert_eq!(sales(&h).await.confirmations.pending, 1);
}

#[tokio::test]
async fn accepting_on_the_page_confirms_the_sale_once_and_the_report_counts_it() {
    let h = email_harness().await;
    let (enrollment, _) = sell(&h, 0).await;
    let token = token_in(&emails_sent(&h).await[0].html, "accept");
    h.clock.advance(Duration::hours(3));
    let answered = h.cube.answer_offer(&token, true).await.expect("answered");
    let cube_app::sale_confirmations::OfferAnswered::Decided(page) = answered else {
        panic!("an open offer is decided: {answered:?}")
    };
    assert_eq!(page.confirmation.status, ConfirmationStatus::Confirmed);
    assert!(!page.open);
    let c = confirmations(&h).await[0].clone();
    assert_eq!(
        (c.status, c.decided_at),
        (ConfirmationStatus::Confirmed, Some(h.now()))
    );
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    let report = sales(&h).await;
    assert_eq!((report.confirmations.confirmed, report.total_units), (1, 2));
    assert_eq!(report.totals.len(), 1);
    // Used twice (a double click, the refuse link after): decided once.
    for accept in [true, false] {
        let again = h.cube.answer_offer(&token, accept).await.expect("answered");
        assert!(
            matches!(&again, cube_app::sale_confirmations::OfferAnswered::NotOpen(p)
                if p.confirmation.status == ConfirmationStatus::Confirmed),
            "{again:?}"
        );
    }
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    assert_eq!(
        confirmations(&h).await[0].decided_at,
        Some(h.now()),
        "the first answer's"
    );
}

#[tokio::test]
async fn refusing_on_the_page_registers_the_refusal_outcome_as_the_system() {
    let h = email_harness().await;
    let (enrollment, _) = sell(&h, 0).await;
    let token = token_in(&emails_sent(&h).await[0].html, "refuse");
    let answered = h.cube.answer_offer(&token, false).await.expect("answered");
    assert!(
        matches!(&answered, cube_app::sale_confirmations::OfferAnswered::Decided(p)
            if p.confirmation.status == ConfirmationStatus::Refused),
        "{answered:?}"
    );
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::NO_SALE);
    let history = h
        .cube
        .customer_history(h.world.manager.id, enrollment)
        .await
        .expect("history");
    let last = history.last().expect("events");
    assert_eq!(last.outcome(), Some(SalesFlow::O_NO_SALE));
    assert_eq!(last.user(), None, "registered by the system");
    let report = sales(&h).await;
    assert_eq!((report.confirmations.refused, report.total_units), (1, 0));
}

#[tokio::test]
async fn an_answer_after_the_deadline_changes_nothing_and_the_sweep_expires_the_offer() {
    let h = email_harness().await;
    let (enrollment, _) = sell(&h, 0).await;
    let token = token_in(&emails_sent(&h).await[0].html, "accept");
    h.clock.advance(Duration::hours(48) + Duration::seconds(1));
    let page = h.cube.offer_by_token(&token).await.expect("the page");
    assert!(!page.open, "past its deadline");
    let answered = h.cube.answer_offer(&token, true).await.expect("answered");
    assert!(
        matches!(&answered, cube_app::sale_confirmations::OfferAnswered::NotOpen(p)
            if p.confirmation.status == ConfirmationStatus::Pending),
        "{answered:?}"
    );
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!((round.expired, round.registered), (1, 1));
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::EXCLUDED);
    let page = h.cube.offer_by_token(&token).await.expect("the page");
    assert_eq!(page.confirmation.status, ConfirmationStatus::Expired);
}

#[tokio::test]
async fn an_unknown_token_finds_no_offer() {
    let h = email_harness().await;
    sell(&h, 0).await;
    let unknown = cube_domain::sale_confirmation::AnswerToken::from_bytes(&[9; 32]);
    for token in [unknown.as_str(), "", "short", "../../etc/passwd"] {
        for error in [
            h.cube.offer_by_token(token).await.expect_err("unknown"),
            h.cube.answer_offer(token, true).await.expect_err("unknown"),
        ] {
            assert!(
                matches!(error, AppError::NotFound("offer")),
                "{token:?}: {error:?}"
            );
        }
    }
    assert_eq!(
        confirmations(&h).await[0].status,
        ConfirmationStatus::Pending
    );
}

#[tokio::test]
async fn a_consumer_without_an_email_address_leaves_the_sale_unconfirmed() {
    let h = email_harness().await;
    sell(&h, 1).await;
    let c = confirmations(&h).await[0].clone();
    assert_eq!((c.status, c.token_hash), (ConfirmationStatus::Failed, None));
    let mut uow = h.store.begin_read().await.expect("read");
    let failed = uow
        .failed_messages(&[h.world.assignment.id()], 10)
        .await
        .expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].message.id, c.message);
    drop(uow);
    h.clock.advance(Duration::days(3));
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!(round.expired, 0);
    let report = sales(&h).await;
    assert_eq!((report.confirmations.failed, report.total_units), (1, 0));
}

#[tokio::test]
async fn the_email_channel_is_checked_on_save() {
    let h = harness(false).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut current = h
        .cube
        .assignment(manager, assignment)
        .await
        .expect("read")
        .setup()
        .clone();
    current.communication.mail_from =
        Some(cube_domain::values::Email::parse("salg@acme.example.no").expect("valid"));
    current.sale_confirmation = Some(email_setup());
    // A server that does not know its public address cannot write the answer links.
    let error = h
        .cube
        .update_assignment_setup(manager, assignment, current.clone(), None)
        .await
        .expect_err("refused");
    assert!(
        matches!(
            &error,
            AppError::Assignment(AssignmentError::SaleConfirmation(
                ConfirmationSetupError::NoPublicUrl
            ))
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("CUBE_PUBLIC_URL"), "{error}");
    let cube = h.cube.clone().with_public_url(PUBLIC_URL);
    let mut no_sender = current.clone();
    no_sender.communication.mail_from = None;
    let mut no_subject = current.clone();
    if let Some(c) = no_subject.sale_confirmation.as_mut() {
        c.subject = None;
    }
    for (setup, expected) in [
        (no_sender, ConfirmationSetupError::MailFromMissing),
        (no_subject, ConfirmationSetupError::Subject),
    ] {
        let error = cube
            .update_assignment_setup(manager, assignment, setup, None)
            .await
            .expect_err("refused");
        assert!(
            matches!(&error, AppError::Assignment(AssignmentError::SaleConfirmation(e)) if *e == expected),
            "{error:?}"
        );
    }
    cube.update_assignment_setup(manager, assignment, current, None)
        .await
        .expect("saved with a public address");
}

#[tokio::test]
async fn a_silent_first_offer_by_email_does_not_move_the_customer_away_from_a_later_one() {
    let h = email_harness().await;
    let (enrollment, _) = sell(&h, 0).await;
    h.clock.advance(Duration::hours(1));
    h.cube
        .register_outcome(
            h.world.manager.id,
            enrollment,
            with_product(command(SalesFlow::O_SALE), h.product(1), 1),
            None,
        )
        .await
        .expect("sold again");
    let sent = emails_sent(&h).await;
    assert_eq!(sent.len(), 2, "an offer for each sale");
    let later = token_in(&sent[1].html, "accept");
    assert_ne!(token_in(&sent[0].html, "accept"), later, "a token each");
    h.clock.advance(Duration::hours(47) + Duration::seconds(1));
    let round = h.cube.expire_sale_confirmations().await.expect("swept");
    assert_eq!(
        (round.expired, round.registered),
        (1, 0),
        "the later sale awaits its own answer"
    );
    assert_eq!(state_of(&h, enrollment).await, SalesFlow::SALE);
    h.cube.answer_offer(&later, true).await.expect("answered");
    let statuses: Vec<_> = confirmations(&h).await.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [ConfirmationStatus::Expired, ConfirmationStatus::Confirmed]
    );
}

#[tokio::test]
async fn two_answers_at_once_decide_the_offer_once() {
    let h = email_harness().await;
    let (enrollment, _) = sell(&h, 0).await;
    let token = token_in(&emails_sent(&h).await[0].html, "accept");
    let (a, b) = tokio::join!(
        h.cube.answer_offer(&token, true),
        h.cube.answer_offer(&token, false)
    );
    let answers = [a.expect("answered"), b.expect("answered")];
    let decided: Vec<_> = answers
        .iter()
        .filter_map(|a| match a {
            cube_app::sale_confirmations::OfferAnswered::Decided(page) => {
                Some(page.confirmation.status)
            }
            cube_app::sale_confirmations::OfferAnswered::NotOpen(_) => None,
        })
        .collect();
    assert_eq!(decided.len(), 1, "{answers:?}");
    assert_eq!(confirmations(&h).await[0].status, decided[0]);
    let expected = if decided[0] == ConfirmationStatus::Confirmed {
        SalesFlow::SALE
    } else {
        SalesFlow::NO_SALE
    };
    assert_eq!(state_of(&h, enrollment).await, expected);
}

#[tokio::test]
async fn a_server_restarted_without_its_public_address_records_the_offer_failed() {
    let h = email_harness().await;
    // The same store and clock, served again without CUBE_PUBLIC_URL (ids far from the
    // first process's).
    let restarted = cube_app::Cube::new(
        h.store.clone(),
        h.clock.clone(),
        std::sync::Arc::new(cube_testkit::SequentialIds::starting_at(1_000_000)),
    );
    let seller = h.world.seller(0);
    let enrollment = h.world.enrollments[0].id();
    restarted
        .take_customer(seller, enrollment)
        .await
        .expect("taken");
    restarted
        .register_outcome(
            seller,
            enrollment,
            with_product(command(SalesFlow::O_SALE), h.product(0), 2),
            None,
        )
        .await
        .expect("sold");
    let c = confirmations(&h).await[0].clone();
    assert_eq!(
        (c.status, c.token_hash.as_ref()),
        (ConfirmationStatus::Failed, None),
        "no links, no answer: never confirmed silently"
    );
    let mut uow = h.store.begin_read().await.expect("read");
    let failed = uow
        .failed_messages(&[h.world.assignment.id()], 10)
        .await
        .expect("failed");
    assert_eq!(failed.len(), 1);
    assert!(failed[0].reason.contains("CUBE_PUBLIC_URL"), "{failed:?}");
    drop(uow);
    assert_eq!(sales(&h).await.confirmations.failed, 1);
}
