//! The report contract: every `ReportRepository` tally equals the domain's `tally_*`
//! function over the same events or enrollments (`report(tally(events)) ==
//! report(store_tally)`), whatever the adapter computes it with.

use crate::contract::{SharedStore, at, setup, with};
use crate::fixtures::{SalesFlow, World, register_outcome};
use cube_domain::assignment::setup::{AnalysisField, AssignmentSetup};
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::ids::{AssignmentId, CustomerId, OutcomeId, ProductId};
use cube_domain::outcome::{OutcomeEvent, ProductLineRequest, RegisterOutcome, Registrar};
use cube_domain::ports::{IdGenerator, Store, UnitOfWork};
use cube_domain::reports;
use std::collections::HashMap;
use time::OffsetDateTime;

/// Reserves the enrollment for `seller` at `now` (as taking a customer from a list does).
pub(crate) async fn take(
    store: &dyn Store,
    enrollment: &Enrollment,
    seller: cube_domain::ids::UserId,
    now: OffsetDateTime,
) {
    let mut uow = store.begin().await.expect("begin");
    let mut current = uow
        .enrollment(enrollment.id())
        .await
        .expect("read")
        .expect("the enrollment exists");
    current
        .reserve(seller, now, AssignmentSetup::DEFAULT_LEASE)
        .expect("the customer is free");
    uow.update_enrollment(&current).await.expect("update");
    uow.commit().await.expect("commit");
}

fn lines(products: &[(ProductId, u32)]) -> Vec<ProductLineRequest> {
    products
        .iter()
        .map(|(product, quantity)| ProductLineRequest {
            product: *product,
            quantity: *quantity,
            unit_price: None,
        })
        .collect()
}

/// The assignment's status and hit tallies as the store reads them in `uow`, against the
/// domain's folds over its enrollments and their customers' `fields`; `when` names the moment
/// in the messages. The enrollments read.
pub(crate) async fn current_tallies_hold(
    uow: &mut dyn UnitOfWork,
    a: AssignmentId,
    fields: &HashMap<CustomerId, FieldValues>,
    when: &str,
) -> Vec<Enrollment> {
    let enrollments = uow.enrollments(a).await.expect("read");
    assert_eq!(
        uow.status_tally(a).await.expect("tally"),
        reports::tally_status(&enrollments),
        "status_tally MUST equal tally_status over the enrollments {when}"
    );
    let none = FieldValues::new();
    let analysis = [
        AnalysisField::Crm(World::industry()),
        AnalysisField::Crm(World::employees()),
        AnalysisField::Attempts,
    ];
    assert_eq!(
        uow.hit_tally(a, &analysis).await.expect("tally"),
        reports::tally_hits(
            &analysis,
            enrollments
                .iter()
                .map(|e| (e, fields.get(&e.customer()).unwrap_or(&none)))
        ),
        "hit_tally MUST equal tally_hits over the enrollments and their customers {when}"
    );
    enrollments
}

/// After a day of varied outcomes (two Sales on one customer, offers, a sale to follow up,
/// No sale, attempts — also past the status report's "2+" and on a concluded customer —,
/// an exclusion), each tally equals the domain's fold over the same data,
/// for the whole day and for a window inside it.
pub async fn report_tallies_equal_the_domain_tallies(store: SharedStore) {
    let s = setup(store.as_ref(), 10).await;
    let w = &s.world;
    let (p0, p1) = (w.products[0].id(), w.products[1].id());
    let e = &w.enrollments;
    let command = |outcome: OutcomeId, products: &[(ProductId, u32)], follow_up: Option<i64>| {
        RegisterOutcome {
            products: lines(products),
            follow_up_at: follow_up.map(at),
            ..RegisterOutcome::new(outcome)
        }
    };
    // (enrollment, seller, minutes after T0, command). The second Sale on customer 0 is
    // registered by the manager: a customer in Sale (a Yes state) cannot be reserved, so no
    // seller can hold the lease a seller's registration needs.
    let script = [
        (0, Some(0), 60, command(SalesFlow::O_SALE, &[(p0, 2)], None)),
        (0, None, 120, command(SalesFlow::O_SALE, &[(p1, 1)], None)),
        (
            1,
            Some(1),
            60,
            command(SalesFlow::O_OFFER, &[(p1, 3)], Some(2000)),
        ),
        (
            2,
            Some(1),
            60,
            command(SalesFlow::O_OFFER, &[(p0, 1)], None),
        ),
        (
            2,
            Some(2),
            180,
            command(
                SalesFlow::O_SALE_TO_FOLLOWUP,
                &[(p0, 1), (p1, 1)],
                Some(3000),
            ),
        ),
        (3, Some(2), 120, command(SalesFlow::O_NO_SALE, &[], None)),
        (4, Some(0), 120, command(SalesFlow::O_NO_ANSWER, &[], None)),
        (
            5,
            Some(1),
            130,
            command(SalesFlow::O_CALL_BACK_LATER, &[], Some(1440)),
        ),
        (6, Some(2), 240, command(SalesFlow::O_EXCLUDED, &[], None)),
        (7, Some(0), 60, command(SalesFlow::O_LEAD, &[], None)),
        (
            7,
            Some(0),
            300,
            command(SalesFlow::O_SALE, &[(p0, 5)], None),
        ),
        (8, Some(1), 200, command(SalesFlow::O_NO_SALE, &[], None)),
        // Three No answers (the status bucket stays "2+" after the second: the counters
        // need not move), then a Sale on the fourth attempt, and another by the manager on
        // the fifth: a concluded customer whose attempts move in the hit analysis.
        (9, Some(0), 10, command(SalesFlow::O_NO_ANSWER, &[], None)),
        (9, Some(0), 100, command(SalesFlow::O_NO_ANSWER, &[], None)),
        (9, Some(0), 190, command(SalesFlow::O_NO_ANSWER, &[], None)),
        (
            9,
            Some(0),
            280,
            command(SalesFlow::O_SALE, &[(p1, 1)], None),
        ),
        (9, None, 310, command(SalesFlow::O_SALE, &[(p1, 1)], None)),
    ];
    let mut events: Vec<OutcomeEvent> = Vec::new();
    for (i, seller, minutes, command) in script {
        let registrar = match seller {
            Some(seller) => {
                let seller = w.sellers[seller].id;
                take(store.as_ref(), &e[i], seller, at(minutes)).await;
                Registrar::Seller(seller)
            }
            None => Registrar::Manager(w.manager.id),
        };
        let registration = register_outcome(
            store.as_ref(),
            registrar,
            e[i].id(),
            command,
            at(minutes),
            &s.ids,
        )
        .await
        .expect("a valid registration");
        events.push(registration.event);
    }
    let a = w.assignment.id();
    let b = AssignmentId::from_uuid(s.ids.next_id());
    let mut uow = store.begin().await.expect("begin");
    for (from, to) in [(at(0), at(24 * 60)), (at(120), at(240)), (at(61), at(119))] {
        let window: Vec<&OutcomeEvent> = events
            .iter()
            .filter(|e| e.occurred_at() >= from && e.occurred_at() < to)
            .collect();
        assert_eq!(
            uow.outcome_tally(&[a, b], from, to).await.expect("tally"),
            reports::tally_outcomes(window.iter().copied()),
            "outcome_tally MUST equal tally_outcomes over the events in [from, to)"
        );
        assert_eq!(
            uow.sold_products(&[a], from, to).await.expect("tally"),
            reports::tally_sold_products(window.iter().copied()).expect("sums"),
            "sold_products MUST equal tally_sold_products over the events in [from, to)"
        );
    }
    // The reports built from the store's tallies read exactly like those built from the
    // events, down to each value's decimals (money in its currency's scale, percents with
    // two places), whatever numeric type the store summed with.
    let (from, to) = (at(0), at(24 * 60));
    let store_tally = uow.outcome_tally(&[a], from, to).await.expect("tally");
    let store_sold = uow.sold_products(&[a], from, to).await.expect("tally");
    let day: Vec<&OutcomeEvent> = events.iter().collect();
    let tally = reports::tally_outcomes(day.iter().copied());
    let sold = reports::tally_sold_products(day.iter().copied()).expect("sums");
    let text = |value: serde_json::Value| value.to_string();
    let flow = SalesFlow::published(w.data_owner.id());
    assert_eq!(
        text(serde_json::json!({
            "activity": reports::activity(&store_tally),
            "sales": reports::sales_report(&store_sold, &store_tally).expect("sums"),
            "outcomes": reports::outcome_distribution(&flow, &store_tally),
        })),
        text(serde_json::json!({
            "activity": reports::activity(&tally),
            "sales": reports::sales_report(&sold, &tally).expect("sums"),
            "outcomes": reports::outcome_distribution(&flow, &tally),
        })),
        "reports from the store's tallies MUST read like those from the events"
    );
    let sales = reports::sales_report(&store_sold, &store_tally).expect("sums");
    assert_eq!(sales.sales, 5, "five outcomes landed in Sale");
    assert!(
        sales.totals.iter().all(|t| t.value.scale() == 2),
        "NOK values have two decimals: {:?}",
        sales.totals
    );
    let fields: HashMap<CustomerId, FieldValues> = w
        .customers
        .iter()
        .map(|c| (c.id(), c.fields().clone()))
        .collect();
    current_tallies_hold(uow.as_mut(), a, &fields, "after the day's outcomes").await;
    // Attempts written by hand (an import or a correction, not an outcome): a concluded
    // customer's count moves in the hit analysis, an open one's status bucket moves; the
    // counters follow whichever statement writes.
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    for (i, attempts) in [(9, 7), (5, 6)] {
        let current = uow
            .enrollment(e[i].id())
            .await
            .expect("read")
            .expect("enrolled");
        uow.update_enrollment(&with(&current, |s| s.attempts = attempts))
            .await
            .expect("update");
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    let enrollments =
        current_tallies_hold(uow.as_mut(), a, &fields, "after attempts written by hand").await;
    let offers = reports::open_offers(&enrollments, &events).expect("sums");
    assert_eq!(offers.len(), 2, "the script leaves two open offers");
    let stored_offers = uow.open_offers(a).await.expect("tally");
    assert_eq!(
        stored_offers, offers,
        "open_offers MUST equal reports::open_offers over the enrollments and their events"
    );
    assert_eq!(
        serde_json::to_value(&stored_offers)
            .map(|v| v.to_string())
            .ok(),
        serde_json::to_value(&offers).map(|v| v.to_string()).ok(),
        "open offers MUST read alike, down to each value's decimals"
    );
    let sold = uow
        .sold_products(&[a], at(0), at(24 * 60))
        .await
        .expect("tally");
    let units: u64 = sold.iter().map(|row| row.units).sum();
    assert_eq!(units, 10, "2 + 1 + 5 + 1 + 1 units landed in Sale");
}

/// The sales report where sales need written confirmation (angrerettloven § 10): built from
/// the store's tallies and its confirmations of the window, it MUST read exactly like the one
/// built from the events and the confirmations themselves — confirmed sales counted, pending
/// and refused ones left out of the value and counted apart, a sale needing none counted.
pub async fn sales_needing_confirmation_count_their_value_once_confirmed(store: SharedStore) {
    use cube_domain::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
    let s = setup(store.as_ref(), 4).await;
    let w = &s.world;
    let (p0, p1) = (w.products[0].id(), w.products[1].id());
    let mut events = Vec::new();
    for (i, minutes, products) in [
        (0, 60, vec![(p0, 2)]),
        (1, 70, vec![(p1, 1), (p0, 1)]),
        (2, 80, vec![(p1, 3)]),
        (3, 90, vec![(p0, 4)]),
    ] {
        let seller = w.sellers[i % w.sellers.len()].id;
        take(store.as_ref(), &w.enrollments[i], seller, at(minutes)).await;
        let registration = register_outcome(
            store.as_ref(),
            Registrar::Seller(seller),
            w.enrollments[i].id(),
            RegisterOutcome {
                products: lines(&products),
                ..RegisterOutcome::new(SalesFlow::O_SALE)
            },
            at(minutes),
            &s.ids,
        )
        .await
        .expect("a valid registration");
        events.push(registration.event);
    }
    // The first three needed confirmation: confirmed, pending, refused; the fourth none.
    let confirmations: Vec<SaleConfirmation> = events[..3]
        .iter()
        .zip([
            ConfirmationStatus::Confirmed,
            ConfirmationStatus::Pending,
            ConfirmationStatus::Refused,
        ])
        .map(|(event, status)| SaleConfirmation {
            id: cube_domain::ids::SaleConfirmationId::from_uuid(s.ids.next_id()),
            assignment: event.assignment(),
            event: event.id(),
            sold_at: event.occurred_at(),
            enrollment: event.enrollment(),
            customer: event.customer(),
            state: event.to_state(),
            lines: event.products().to_vec(),
            message: cube_domain::ids::OutboxMessageId::from_uuid(s.ids.next_id()),
            channel: cube_domain::sale_confirmation::ConfirmationChannel::Sms,
            token_hash: None,
            terms_url: None,
            to: None,
            sender: "Acme".into(),
            sent_at: event.occurred_at(),
            deadline: event.occurred_at() + time::Duration::hours(48),
            accept: vec!["JA".into()],
            refuse: vec!["NEI".into()],
            on_refusal: SalesFlow::O_NO_SALE,
            on_no_reply: SalesFlow::O_NO_SALE,
            status,
            decided_at: (status != ConfirmationStatus::Pending).then(|| at(100)),
        })
        .collect();
    let mut uow = store.begin().await.expect("begin");
    for confirmation in &confirmations {
        uow.record_sale_confirmation(confirmation)
            .await
            .expect("recorded");
    }
    uow.commit().await.expect("commit");
    let a = w.assignment.id();
    let mut uow = store.begin().await.expect("begin");
    for (from, to) in [(at(0), at(24 * 60)), (at(65), at(85))] {
        let window: Vec<&OutcomeEvent> = events
            .iter()
            .filter(|e| e.occurred_at() >= from && e.occurred_at() < to)
            .collect();
        let wanted: Vec<SaleConfirmation> = confirmations
            .iter()
            .filter(|c| c.sold_at >= from && c.sold_at < to)
            .cloned()
            .collect();
        let stored = uow
            .sale_confirmations_sold_between(&[a], from, to)
            .await
            .expect("read");
        assert_eq!(stored, wanted);
        let from_store = reports::with_confirmations(
            reports::sales_report(
                &uow.sold_products(&[a], from, to).await.expect("tally"),
                &uow.outcome_tally(&[a], from, to).await.expect("tally"),
            )
            .expect("sums"),
            &stored,
        )
        .expect("sums");
        let from_events = reports::with_confirmations(
            reports::sales_report(
                &reports::tally_sold_products(window.iter().copied()).expect("sums"),
                &reports::tally_outcomes(window.iter().copied()),
            )
            .expect("sums"),
            &wanted,
        )
        .expect("sums");
        assert_eq!(
            serde_json::to_value(&from_store)
                .map(|v| v.to_string())
                .ok(),
            serde_json::to_value(&from_events)
                .map(|v| v.to_string())
                .ok(),
            "the sales report with confirmations MUST read alike from the store, to the decimal"
        );
    }
    let whole = reports::with_confirmations(
        reports::sales_report(
            &uow.sold_products(&[a], at(0), at(24 * 60))
                .await
                .expect("tally"),
            &uow.outcome_tally(&[a], at(0), at(24 * 60))
                .await
                .expect("tally"),
        )
        .expect("sums"),
        &uow.sale_confirmations_sold_between(&[a], at(0), at(24 * 60))
            .await
            .expect("read"),
    )
    .expect("sums");
    assert_eq!(whole.sales, 4, "every sale is a sale");
    assert_eq!(
        whole.total_units,
        2 + 4,
        "the confirmed sale and the one needing no confirmation"
    );
    let c = &whole.confirmations;
    assert_eq!(
        (c.confirmed, c.pending, c.refused, c.unconfirmed_units),
        (1, 1, 1, 2 + 3)
    );
}

/// Every tally of an assignment with no data is empty.
pub async fn report_tallies_of_an_unknown_assignment_are_empty(store: SharedStore) {
    let s = setup(store.as_ref(), 2).await;
    let unknown = AssignmentId::from_uuid(s.ids.next_id());
    let mut uow = store.begin().await.expect("begin");
    let (from, to) = (at(-1440), at(1440));
    assert_eq!(
        uow.outcome_tally(&[unknown], from, to)
            .await
            .expect("tally"),
        vec![]
    );
    assert_eq!(
        uow.sold_products(&[unknown], from, to)
            .await
            .expect("tally"),
        vec![]
    );
    assert_eq!(uow.status_tally(unknown).await.expect("tally"), vec![]);
    let fields = [AnalysisField::Attempts];
    assert_eq!(
        uow.hit_tally(unknown, &fields).await.expect("tally"),
        vec![]
    );
    assert_eq!(uow.open_offers(unknown).await.expect("tally"), vec![]);
    assert_eq!(
        uow.outcome_tally(&[], from, to).await.expect("tally"),
        vec![]
    );
}
