//! The sales report: sold products (product lines on outcomes that land in a Yes state),
//! grouped per product with totals, and open offers (customers in an Open state whose latest
//! product lines were not yet concluded).
//!
//! Values are only ever summed within one currency: a total over NOK and EUR means nothing.
//! Every sum is checked: a total too large to hold is [`SumOverflow`], never a wrong number.
//! Every value shown has its currency's scale (`1497.00` NOK), whichever store summed it.
//!
//! The number of sales is the number of outcomes landing in a Yes state, from the outcome
//! tally: a Sale registered without product lines is a sale too, with no units and no value.

use super::historical::{OutcomeTallyRow, activity};
use crate::enrollment::Enrollment;
use crate::flow::StateCategory;
use crate::ids::{AssignmentId, CustomerId, EnrollmentId, OutcomeEventId, ProductId, UserId};
use crate::outcome::{OutcomeEvent, ProductLine};
use crate::product::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;
use time::OffsetDateTime;

/// A sold value or count too large to add up exactly. The bounds on prices and quantities
/// keep new data far from it; a report answers this rather than a saturated total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "the sales {0} is too large to add up exactly; ask for fewer assignments or a shorter window"
)]
pub struct SumOverflow(pub &'static str);

impl From<SumOverflow> for crate::ports::StoreError {
    /// A store adding up its own tally rows reports the overflow as beyond what it keeps.
    fn from(error: SumOverflow) -> Self {
        crate::ports::StoreError::Unrepresentable(error.to_string())
    }
}

fn add_value(sum: Decimal, value: Decimal) -> Result<Decimal, SumOverflow> {
    sum.checked_add(value).ok_or(SumOverflow("value"))
}

fn add_units(sum: u64, units: u64) -> Result<u64, SumOverflow> {
    sum.checked_add(units).ok_or(SumOverflow("unit count"))
}

fn line_value(line: &ProductLine) -> Result<Decimal, SumOverflow> {
    line.value().ok_or(SumOverflow("value"))
}

/// The value of some product lines (an offer), summed exactly.
pub fn lines_value(lines: &[ProductLine]) -> Result<Decimal, SumOverflow> {
    lines
        .iter()
        .try_fold(Decimal::ZERO, |sum, line| add_value(sum, line_value(line)?))
}

/// Sold units and value of one product in one currency in one assignment: `GROUP BY
/// assignment, product, currency` over product lines of events landing in a Yes state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoldProductRow {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The product.
    pub product: ProductId,
    /// The currency of the lines.
    pub currency: Currency,
    /// Units sold.
    pub units: u64,
    /// Value sold (quantity × unit price, summed).
    pub value: Decimal,
}

type SoldKey = (AssignmentId, ProductId, String);

/// Folds the product lines of events landing in a Yes state into rows, sorted by assignment,
/// product and currency code. The caller chooses the events (assignments, window).
pub fn tally_sold_products<'a>(
    events: impl IntoIterator<Item = &'a OutcomeEvent>,
) -> Result<Vec<SoldProductRow>, SumOverflow> {
    let mut rows = Vec::new();
    for event in events
        .into_iter()
        .filter(|event| event.to_category() == StateCategory::Yes)
    {
        for line in event.products() {
            rows.push(SoldProductRow {
                assignment: event.assignment(),
                product: line.product,
                currency: line.currency.clone(),
                units: u64::from(line.quantity),
                value: line_value(line)?,
            });
        }
    }
    merge_sold_products(rows)
}

/// Adds up partial rows of the same assignment, product and currency, sorted like
/// `tally_sold_products` (storage adapters pass their `GROUP BY` rows through it).
pub fn merge_sold_products(
    rows: impl IntoIterator<Item = SoldProductRow>,
) -> Result<Vec<SoldProductRow>, SumOverflow> {
    let mut groups: BTreeMap<SoldKey, SoldProductRow> = BTreeMap::new();
    for row in rows {
        let key = (
            row.assignment,
            row.product,
            row.currency.as_str().to_owned(),
        );
        match groups.entry(key) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(row);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let sum = slot.get_mut();
                sum.units = add_units(sum.units, row.units)?;
                sum.value = add_value(sum.value, row.value)?;
            }
        }
    }
    Ok(groups.into_values().collect())
}

/// Sold units and value of one product in one currency, over every assignment reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductSales {
    /// The product.
    pub product: ProductId,
    /// The currency.
    pub currency: Currency,
    /// Units sold.
    pub units: u64,
    /// Value sold.
    pub value: Decimal,
}

/// The total of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyTotal {
    /// The currency.
    pub currency: Currency,
    /// Units sold in it.
    pub units: u64,
    /// Value sold in it.
    pub value: Decimal,
}

/// Sales (Yes outcomes), sold products with the total count and value.
///
/// A sale that needs written confirmation (angrerettloven § 10: a B2C sale in an
/// assignment that requires it) counts in `products`, `total_units` and `totals` only once
/// the customer has confirmed it; until then, or when refused or expired, its lines are in
/// `confirmations` instead. Sales that need no confirmation count as they always did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SalesReport {
    /// Sales: progress outcomes landing in a Yes state, with or without product lines,
    /// confirmed or not.
    pub sales: u64,
    /// Per product and currency, sorted by product, then currency code.
    pub products: Vec<ProductSales>,
    /// Units sold over every product.
    pub total_units: u64,
    /// Value per currency, sorted by currency code.
    pub totals: Vec<CurrencyTotal>,
    /// The sales that needed written confirmation, by where they stand.
    pub confirmations: ConfirmationCounts,
}

/// The sales of a report that needed written confirmation, by where each stands, and what
/// the unconfirmed ones (pending, refused, expired, failed) would have added.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ConfirmationCounts {
    /// Confirmed in writing: counted in the sold value.
    pub confirmed: u64,
    /// Waiting for the customer's answer.
    pub pending: u64,
    /// Refused by the customer.
    pub refused: u64,
    /// Not answered in the window.
    pub expired: u64,
    /// The offer could not be sent (no mobile number): not confirmed.
    pub failed: u64,
    /// Units of the sales not confirmed (left out of `total_units`).
    pub unconfirmed_units: u64,
    /// Value per currency of the sales not confirmed (left out of `totals`), sorted by
    /// currency code.
    pub unconfirmed_value: Vec<CurrencyTotal>,
}

/// `report` with the sales that needed written confirmation told apart: the lines of each
/// confirmation not confirmed taken out of the products and totals (and rows left with
/// nothing dropped) and added up in `confirmations`. `confirmations` are those of the
/// report's sales: of its assignments, sold in its window.
pub fn with_confirmations(
    mut report: SalesReport,
    confirmations: &[crate::sale_confirmation::SaleConfirmation],
) -> Result<SalesReport, SumOverflow> {
    use crate::sale_confirmation::ConfirmationStatus;
    let mut counts = ConfirmationCounts::default();
    let mut unconfirmed: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
    for confirmation in confirmations {
        let count = match confirmation.status {
            ConfirmationStatus::Confirmed => &mut counts.confirmed,
            ConfirmationStatus::Pending => &mut counts.pending,
            ConfirmationStatus::Refused => &mut counts.refused,
            ConfirmationStatus::Expired => &mut counts.expired,
            ConfirmationStatus::Failed => &mut counts.failed,
        };
        *count += 1;
        if confirmation.is_confirmed() {
            continue;
        }
        for line in &confirmation.lines {
            let units = u64::from(line.quantity);
            let value = line_value(line)?;
            if let Some(p) = report
                .products
                .iter_mut()
                .find(|p| p.product == line.product && p.currency == line.currency)
            {
                p.units = p.units.saturating_sub(units);
                p.value = p.value.checked_sub(value).ok_or(SumOverflow("value"))?;
            }
            if let Some(t) = report
                .totals
                .iter_mut()
                .find(|t| t.currency == line.currency)
            {
                t.units = t.units.saturating_sub(units);
                t.value = t.value.checked_sub(value).ok_or(SumOverflow("value"))?;
            }
            report.total_units = report.total_units.saturating_sub(units);
            counts.unconfirmed_units = add_units(counts.unconfirmed_units, units)?;
            let sum = unconfirmed
                .entry(line.currency.as_str().to_owned())
                .or_insert_with(|| CurrencyTotal {
                    currency: line.currency.clone(),
                    units: 0,
                    value: Decimal::ZERO,
                });
            sum.units = add_units(sum.units, units)?;
            sum.value = add_value(sum.value, value)?;
        }
    }
    report
        .products
        .retain(|p| p.units > 0 || !p.value.is_zero());
    report.totals.retain(|t| t.units > 0 || !t.value.is_zero());
    for p in &mut report.products {
        p.value = p.currency.amount(p.value);
    }
    for t in &mut report.totals {
        t.value = t.currency.amount(t.value);
    }
    counts.unconfirmed_value = unconfirmed
        .into_values()
        .map(|t| CurrencyTotal {
            value: t.currency.amount(t.value),
            ..t
        })
        .collect();
    report.confirmations = counts;
    Ok(report)
}

/// The sales report of some sold-product rows and the outcome tally of the same events
/// (summed over their assignments).
pub fn sales_report(
    rows: &[SoldProductRow],
    tally: &[OutcomeTallyRow],
) -> Result<SalesReport, SumOverflow> {
    let mut products: BTreeMap<(ProductId, &str), ProductSales> = BTreeMap::new();
    let mut totals: BTreeMap<&str, CurrencyTotal> = BTreeMap::new();
    for row in rows {
        let code = row.currency.as_str();
        let p = products
            .entry((row.product, code))
            .or_insert_with(|| ProductSales {
                product: row.product,
                currency: row.currency.clone(),
                units: 0,
                value: Decimal::ZERO,
            });
        p.units = add_units(p.units, row.units)?;
        p.value = add_value(p.value, row.value)?;
        let t = totals.entry(code).or_insert_with(|| CurrencyTotal {
            currency: row.currency.clone(),
            units: 0,
            value: Decimal::ZERO,
        });
        t.units = add_units(t.units, row.units)?;
        t.value = add_value(t.value, row.value)?;
    }
    let mut total_units = 0u64;
    for total in totals.values() {
        total_units = add_units(total_units, total.units)?;
    }
    Ok(SalesReport {
        sales: activity(tally).yes,
        total_units,
        products: products
            .into_values()
            .map(|p| ProductSales {
                value: p.currency.amount(p.value),
                ..p
            })
            .collect(),
        totals: totals
            .into_values()
            .map(|t| CurrencyTotal {
                value: t.currency.amount(t.value),
                ..t
            })
            .collect(),
        confirmations: ConfirmationCounts::default(),
    })
}

/// One sold product line (seed 001: sold products "lastes ned"): a product line of an
/// outcome event that landed in a Yes state, with when, on whom and by whom it was sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoldLine {
    /// The outcome event the line belongs to.
    pub event: OutcomeEventId,
    /// When it was sold.
    pub occurred_at: OffsetDateTime,
    /// The enrollment (the customer in the assignment).
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// Who sold it; `None` when the system registered the sale.
    pub seller: Option<UserId>,
    /// The product.
    pub product: ProductId,
    /// Units.
    pub quantity: u32,
    /// The price of one unit when it was sold.
    pub unit_price: Decimal,
    /// The currency.
    pub currency: Currency,
    /// `quantity × unit_price`, in the currency's scale.
    pub value: Decimal,
}

/// The sold lines of `events`, in their order and each event's line order: the lines of
/// the events that landed in a Yes state (the lines [`tally_sold_products`] adds up).
pub fn sold_lines<'a>(
    events: impl IntoIterator<Item = &'a OutcomeEvent>,
) -> Result<Vec<SoldLine>, SumOverflow> {
    let mut lines = Vec::new();
    for event in events
        .into_iter()
        .filter(|event| event.to_category() == StateCategory::Yes)
    {
        for line in event.products() {
            lines.push(SoldLine {
                event: event.id(),
                occurred_at: event.occurred_at(),
                enrollment: event.enrollment(),
                customer: event.customer(),
                seller: event.user(),
                product: line.product,
                quantity: line.quantity,
                unit_price: line.unit_price,
                currency: line.currency.clone(),
                value: line.currency.amount(line_value(line)?),
            });
        }
    }
    Ok(lines)
}

/// A customer in an Open state with product lines not yet concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOffer {
    /// The enrollment.
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// Who made the offer (registered the lines); `None` when the system did.
    pub seller: Option<UserId>,
    /// When the lines were registered.
    pub since: OffsetDateTime,
    /// The offered lines.
    pub lines: Vec<ProductLine>,
    /// Their value (a plain sum; offers are in one currency in practice).
    pub value: Decimal,
}

impl OpenOffer {
    /// The offer of `event`'s product lines: their value summed, in their currency's scale
    /// when they share one (`998.00` NOK) — every store builds its offers here, so the value
    /// reads the same from each.
    pub fn of(event: &OutcomeEvent) -> Result<Self, SumOverflow> {
        let value = lines_value(event.products())?;
        let currency = event.products().first().map(|l| &l.currency);
        let value = match currency {
            Some(c) if event.products().iter().all(|l| &l.currency == c) => c.amount(value),
            _ => value,
        };
        Ok(Self {
            enrollment: event.enrollment(),
            customer: event.customer(),
            seller: event.user(),
            since: event.occurred_at(),
            lines: event.products().to_vec(),
            value,
        })
    }
}

/// The open offers among `enrollments`, given (at least) their events in any order, sorted by
/// `since`, then enrollment.
///
/// An enrollment has an open offer when it is in an `Open` state now and its latest event
/// with product lines landed in an `Open` state (lines that landed in Yes were sold, in No
/// lost). Among events at the same instant, the later one in `events` counts as latest.
pub fn open_offers<'a>(
    enrollments: &[Enrollment],
    events: impl IntoIterator<Item = &'a OutcomeEvent>,
) -> Result<Vec<OpenOffer>, SumOverflow> {
    let mut latest: BTreeMap<EnrollmentId, &OutcomeEvent> = BTreeMap::new();
    for event in events.into_iter().filter(|e| !e.products().is_empty()) {
        match latest.get(&event.enrollment()) {
            Some(seen) if seen.occurred_at() > event.occurred_at() => {}
            _ => {
                latest.insert(event.enrollment(), event);
            }
        }
    }
    let mut offers: Vec<OpenOffer> = enrollments
        .iter()
        .filter(|e| e.category() == StateCategory::Open)
        .filter_map(|e| latest.get(&e.id()))
        .filter(|event| event.to_category() == StateCategory::Open)
        .map(|event| OpenOffer::of(event))
        .collect::<Result<_, SumOverflow>>()?;
    offers.sort_by_key(|o| (o.since, o.enrollment));
    Ok(offers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::OutcomeClass;
    use crate::reports::testing::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("valid")
    }

    #[test]
    fn the_sold_filter_keeps_the_events_whose_lines_are_sold_products() {
        use crate::outcome::OutcomeFilter;
        let mut sale = event(1, O_SALE, LEAD, 1);
        sale.record_mut().products = vec![line(1, 2, dec!(100))];
        let bare_sale = event(2, O_SALE, LEAD, 2);
        let mut offer = event(3, O_LEAD, TO_CALL, 3);
        offer.record_mut().products = vec![line(1, 1, dec!(100))];
        let mut lost = event(4, O_NO_SALE, LEAD, 4);
        lost.record_mut().products = vec![line(2, 1, dec!(10))];
        let events = [
            sale.clone(),
            bare_sale,
            offer,
            lost,
            event(5, O_NO_ANSWER, TO_CALL, 5),
        ];
        let sold = OutcomeFilter {
            sold: true,
            ..OutcomeFilter::default()
        };
        let kept: Vec<&OutcomeEvent> = events.iter().filter(|e| sold.matches(e)).collect();
        assert_eq!(kept, [&sale], "a sale with lines only");
        let lines = sold_lines(&events).expect("sums");
        assert_eq!(lines.len(), 1, "one line per sold product: {lines:?}");
        assert_eq!(
            (lines[0].quantity, lines[0].value, lines[0].seller),
            (2, dec!(200.00), sale.user())
        );
        assert_eq!(
            lines[0].value.to_string(),
            "200.00",
            "in the currency's scale"
        );
        assert_eq!(
            tally_sold_products(kept).expect("sums"),
            tally_sold_products(&events).expect("sums"),
            "the kept events' lines are exactly the sold products"
        );
    }

    #[test]
    fn sold_products_are_lines_landing_in_yes() {
        let mut sale = event(1, O_SALE, LEAD, 1);
        sale.record_mut().products = vec![line(1, 2, dec!(100)), line(2, 1, dec!(10))];
        let mut again = event(2, O_SALE, LEAD, 2);
        again.record_mut().products = vec![line(1, 1, dec!(90))];
        let mut in_euro = event(3, O_SALE, LEAD, 3);
        in_euro.record_mut().products = vec![ProductLine {
            currency: eur(),
            ..line(1, 1, dec!(9))
        }];
        let mut offered = event(4, O_LEAD, TO_CALL, 4);
        offered.record_mut().products = vec![line(1, 7, dec!(100))];
        let events = [sale, again, in_euro, offered];
        let report = sales_report(
            &tally_sold_products(&events).expect("sums"),
            &crate::reports::tally_outcomes(&events),
        )
        .expect("sums");
        assert_eq!((report.sales, report.total_units), (3, 5));
        let totals: Vec<_> = report
            .totals
            .iter()
            .map(|t| (t.currency.as_str(), t.units, t.value))
            .collect();
        assert_eq!(totals, [("EUR", 1, dec!(9)), ("NOK", 4, dec!(300))]);
        let shown: Vec<_> = report.totals.iter().map(|t| t.value.to_string()).collect();
        assert_eq!(shown, ["9.00", "300.00"]);
        let first = report
            .products
            .iter()
            .find(|p| p.product == product(1) && p.currency == nok())
            .expect("product 1 in NOK");
        assert_eq!((first.units, first.value), (3, dec!(290)));
    }

    #[test]
    fn a_sale_without_product_lines_is_a_sale() {
        let events = [event(1, O_SALE, LEAD, 1), event(2, O_NO_SALE, LEAD, 2)];
        let report = sales_report(
            &tally_sold_products(&events).expect("sums"),
            &crate::reports::tally_outcomes(&events),
        )
        .expect("sums");
        assert_eq!((report.sales, report.total_units), (1, 0));
        assert!(report.totals.is_empty());
    }

    #[test]
    fn values_keep_their_currencys_scale_whatever_the_store_summed() {
        // A store that sums to `1497` and one that sums to `1497.000` show the same value.
        let row = |value: Decimal, currency: &str| SoldProductRow {
            assignment: assignment(1),
            product: product(1),
            currency: Currency::parse(currency).expect("valid"),
            units: 3,
            value,
        };
        for (value, currency, shown) in [
            (dec!(1497), "NOK", "1497.00"),
            (dec!(23923.5), "NOK", "23923.50"),
            (dec!(1497.000), "NOK", "1497.00"),
            (dec!(10.005), "EUR", "10.00"),
            (dec!(1200.0), "JPY", "1200"),
            (dec!(1.5), "KWD", "1.500"),
        ] {
            let report = sales_report(&[row(value, currency)], &[]).expect("sums");
            assert_eq!(
                report.totals[0].value.to_string(),
                shown,
                "{value} {currency}"
            );
            assert_eq!(report.products[0].value.to_string(), shown);
        }
    }

    #[test]
    fn open_offers_are_unconcluded_lines_of_open_customers() {
        let mut offer = event(1, O_LEAD, TO_CALL, 1);
        offer.record_mut().products = vec![line(1, 2, dec!(100))];
        let mut sold_offer = event(2, O_LEAD, TO_CALL, 1);
        sold_offer.record_mut().products = vec![line(1, 1, dec!(100))];
        let mut sold = event(2, O_SALE, LEAD, 5);
        sold.record_mut().products = vec![line(1, 1, dec!(100))];
        let mut old = event(3, O_LEAD, TO_CALL, 1);
        old.record_mut().products = vec![line(1, 1, dec!(100))];
        let mut newer = event(3, O_LEAD, TO_CALL, 9);
        newer.record_mut().products = vec![line(2, 3, dec!(5))];
        let enrollments = [
            enrollment(1, LEAD, 0),
            enrollment(2, LEAD, 0), // back in Lead after a sale: nothing open
            enrollment(3, LEAD, 0),
            enrollment(4, LEAD, 0), // no lines at all
        ];
        let events = [
            newer,
            offer,
            sold,
            sold_offer,
            old,
            event(4, O_LEAD, TO_CALL, 1),
        ];
        let offers = open_offers(&enrollments, &events).expect("sums");
        let got: Vec<_> = offers.iter().map(|o| (o.enrollment, o.value)).collect();
        assert_eq!(
            got,
            [(enrollment_id(1), dec!(200)), (enrollment_id(3), dec!(15))]
        );
        let shown: Vec<_> = offers.iter().map(|o| o.value.to_string()).collect();
        assert_eq!(shown, ["200.00", "15.00"]);
    }

    #[test]
    fn concluded_customers_have_no_open_offer() {
        let mut offer = event(1, O_LEAD, TO_CALL, 1);
        offer.record_mut().products = vec![line(1, 2, dec!(100))];
        assert!(
            open_offers(&[enrollment(1, NO_SALE, 0)], &[offer])
                .expect("sums")
                .is_empty()
        );
    }

    #[test]
    fn a_total_too_large_to_hold_is_an_error_not_a_saturated_number() {
        let huge = Decimal::MAX / dec!(2);
        let row = |n| SoldProductRow {
            assignment: assignment(1),
            product: product(n),
            currency: nok(),
            units: 1,
            value: huge,
        };
        // Two products: each row fits, their currency total does not.
        let rows = [row(1), row(2), row(3)];
        assert_eq!(sales_report(&rows, &[]), Err(SumOverflow("value")));
        assert_eq!(
            merge_sold_products([row(1), row(1), row(1)]),
            Err(SumOverflow("value"))
        );
        let mut sale = event(1, O_SALE, LEAD, 1);
        sale.record_mut().products = vec![line(1, u32::MAX, Decimal::MAX)];
        assert_eq!(tally_sold_products(&[sale]), Err(SumOverflow("value")));
    }

    fn confirmation_of(
        sale: &OutcomeEvent,
        status: crate::sale_confirmation::ConfirmationStatus,
    ) -> crate::sale_confirmation::SaleConfirmation {
        use crate::ids::{OutboxMessageId, OutcomeId, SaleConfirmationId};
        use uuid::Uuid;
        crate::sale_confirmation::SaleConfirmation {
            id: SaleConfirmationId::from_uuid(Uuid::from_u128(sale.id().as_uuid().as_u128())),
            assignment: sale.assignment(),
            event: sale.id(),
            sold_at: sale.occurred_at(),
            enrollment: sale.enrollment(),
            customer: sale.customer(),
            state: sale.to_state(),
            lines: sale.products().to_vec(),
            message: OutboxMessageId::from_uuid(Uuid::from_u128(1)),
            channel: crate::sale_confirmation::ConfirmationChannel::Sms,
            token_hash: None,
            terms_url: None,
            to: None,
            sender: "Acme".into(),
            sent_at: sale.occurred_at(),
            deadline: sale.occurred_at(),
            accept: vec!["JA".into()],
            refuse: vec!["NEI".into()],
            on_refusal: OutcomeId::from_uuid(Uuid::from_u128(2)),
            on_no_reply: OutcomeId::from_uuid(Uuid::from_u128(2)),
            status,
            decided_at: None,
        }
    }

    #[test]
    fn a_sale_needing_confirmation_counts_its_value_only_once_confirmed() {
        use crate::sale_confirmation::ConfirmationStatus as S;
        let mut confirmed = event(1, O_SALE, LEAD, 1);
        confirmed.record_mut().products = vec![line(1, 2, dec!(100))];
        let mut pending = event(2, O_SALE, LEAD, 2);
        pending.record_mut().products = vec![line(1, 1, dec!(100)), line(2, 3, dec!(10))];
        let mut refused = event(3, O_SALE, LEAD, 3);
        refused.record_mut().products = vec![line(2, 1, dec!(10))];
        let mut unneeded = event(4, O_SALE, LEAD, 4);
        unneeded.record_mut().products = vec![line(1, 1, dec!(50))];
        let events = [
            confirmed.clone(),
            pending.clone(),
            refused.clone(),
            unneeded,
        ];
        let plain = sales_report(
            &tally_sold_products(&events).expect("sums"),
            &crate::reports::tally_outcomes(&events),
        )
        .expect("sums");
        assert_eq!((plain.sales, plain.total_units), (4, 8));
        let report = with_confirmations(
            plain,
            &[
                confirmation_of(&confirmed, S::Confirmed),
                confirmation_of(&pending, S::Pending),
                confirmation_of(&refused, S::Refused),
            ],
        )
        .expect("sums");
        assert_eq!(
            report.sales, 4,
            "every sale is a sale; only its value waits"
        );
        // Confirmed 2 × 100 and the sale needing none, 1 × 50.
        assert_eq!(report.total_units, 3);
        let totals: Vec<_> = report
            .totals
            .iter()
            .map(|t| (t.units, t.value.to_string()))
            .collect();
        assert_eq!(totals, [(3, "250.00".to_owned())]);
        let products: Vec<_> = report
            .products
            .iter()
            .map(|p| (p.product, p.units))
            .collect();
        assert_eq!(products, [(product(1), 3)], "product 2 was never confirmed");
        let c = &report.confirmations;
        assert_eq!(
            (c.confirmed, c.pending, c.refused, c.expired, c.failed),
            (1, 1, 1, 0, 0)
        );
        assert_eq!(c.unconfirmed_units, 5);
        assert_eq!(c.unconfirmed_value[0].value.to_string(), "140.00");
    }

    proptest! {
        #[test]
        fn sold_units_match_the_outcome_tally(events in prop::collection::vec(any_event(), 0..60)) {
            let tally = crate::reports::historical::tally_outcomes(&events);
            let report = sales_report(&tally_sold_products(&events).expect("sums"), &tally).expect("sums");
            prop_assert_eq!(report.total_units, tally.iter().map(|r| r.product_units).sum::<u64>());
            let yes = events.iter().filter(|e| e.class() == OutcomeClass::Progress && e.to_category() == StateCategory::Yes).count();
            prop_assert_eq!(report.sales, yes as u64);
        }
    }
}
