//! Reports, as pure functions. Nothing here reads storage or the clock: times and rows are
//! passed in.
//!
//! Every report is split in two so a SQL adapter can compute the same numbers without
//! loading every row:
//! 1. a **tally**: small, GROUP-BY-able aggregate rows (`OutcomeTallyRow`, `SoldProductRow`,
//!    `StatusTallyRow`, `HitTallyRow`), folded here from events or enrollments and, in an
//!    adapter, computed by a query ([`crate::ports::ReportRepository`]);
//! 2. a pure function from tallies to the report.
//!
//! So `report(tally(events)) == report(sql_tally)` is what the port's contract suite checks.
//!
//! # Layout
//! - [`Ratio`] (here): every rate (hitrate, progress rate, utilization, shares), always in
//!   `[0, 1]`, `None` when there is nothing to divide by. Every percent and per-hour rate
//!   shown has exactly two decimals ([`two_places`]).
//! - [`historical`]: the outcome tally and the activity summary (conclusions, hitrate,
//!   progress rate).
//! - [`outcomes`]: the outcome distribution, with the Yes / No / Excluded / Other split.
//! - [`sales`]: sold products and open offers. [`meetings`]: the meeting list.
//! - [`current`]: customer status, utilization and the attempts distribution.
//! - [`hits`]: hit analysis per value of each analysis field.
//! - [`performance`]: hours, results per hour and achievement against the criteria.
//! - [`limits`]: progress towards activity limits and the hard stop.
//! - [`window`]: how a store keeping hourly and daily counters cuts a report window.

pub mod current;
pub mod historical;
pub mod hits;
pub mod limits;
pub mod meetings;
pub mod outcomes;
pub mod performance;
pub mod sales;
pub mod window;

#[cfg(test)]
mod testing;

pub use current::{
    AttemptsDistribution, CustomerStatusReport, StateCount, StatusTallyRow, customer_status,
    merge_status_tallies, tally_status,
};
pub use historical::{
    ActivitySummary, OutcomeTallyRow, UserActivity, activity, activity_per_user,
    merge_outcome_tallies, tally_outcomes,
};
pub use hits::{
    FieldHits, HitCounts, HitTallyRow, OverCounted, ValueHits, hit_analysis, tally_hits,
};
pub use limits::{LimitProgress, hard_stop_reached, limit_progress};
pub use meetings::meetings_in_window;
pub use outcomes::{
    CategorySplit, NamedOutcome, OutcomeDistribution, OutcomeShare, SplitLine,
    outcome_distribution, outcome_distribution_with_history,
};
pub use performance::{
    AssignmentPerformance, Metrics, Performance, PerformanceReport, Results, UserCalls, UserHours,
    UserPerformance, calls_by_user, hours_by_user, performance_report,
};
pub use sales::{
    ConfirmationCounts, CurrencyTotal, OpenOffer, ProductSales, SalesReport, SoldLine,
    SoldProductRow, SumOverflow, lines_value, merge_sold_products, open_offers, sales_report,
    sold_lines, tally_sold_products, with_confirmations,
};

use rust_decimal::Decimal;
use serde::Serialize;

/// A part of a whole: `numerator / denominator`, always in `[0, 1]`.
///
/// The fields are private so the invariant holds: [`Ratio::new`] clamps a part larger than
/// its whole (which only a bug can produce) to the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Ratio {
    numerator: u64,
    denominator: u64,
}

impl Ratio {
    /// `part` of `whole`. A part larger than the whole is clamped to the whole.
    pub fn new(part: u64, whole: u64) -> Self {
        Self {
            numerator: part.min(whole),
            denominator: whole,
        }
    }

    /// The part.
    pub fn numerator(&self) -> u64 {
        self.numerator
    }

    /// The whole.
    pub fn denominator(&self) -> u64 {
        self.denominator
    }

    /// The rate in `[0, 1]`, unrounded; `None` when the whole is zero.
    pub fn value(&self) -> Option<Decimal> {
        if self.denominator == 0 {
            return None;
        }
        Decimal::from(self.numerator).checked_div(Decimal::from(self.denominator))
    }

    /// The rate in percent with exactly two decimals (`100.00`, `33.33`, `0.00`); `None`
    /// when the whole is zero.
    pub fn percent(&self) -> Option<Decimal> {
        self.value()
            .and_then(|v| v.checked_mul(Decimal::ONE_HUNDRED))
            .map(two_places)
    }
}

/// `value` rounded (half to even, as `round_dp`) to exactly two decimals, trailing zeros kept:
/// every percent and per-hour rate of every report has this one shape (`120.00`, not
/// `120.0` or `120`), whatever the store or the arithmetic produced.
pub fn two_places(value: Decimal) -> Decimal {
    let mut value = value.round_dp(2);
    value.rescale(2);
    value
}

/// `part / whole × 100` with exactly two decimals; `None` when `whole` is not positive. Used
/// where the part may exceed the whole (achievement, limit progress).
pub(crate) fn percent_of(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole <= Decimal::ZERO {
        return None;
    }
    part.checked_div(whole)
        .and_then(|q| q.checked_mul(Decimal::ONE_HUNDRED))
        .map(two_places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    #[test]
    fn ratios_divide_and_round_only_the_percent() {
        let third = Ratio::new(1, 3);
        assert_eq!(third.percent(), Some(dec!(33.33)));
        assert!(
            third
                .value()
                .is_some_and(|v| v > dec!(0.3333) && v < dec!(0.3334))
        );
        assert_eq!(Ratio::new(3, 4).value(), Some(dec!(0.75)));
    }

    #[test]
    fn every_percent_has_exactly_two_decimals() {
        for (ratio, text) in [
            (Ratio::new(1, 1), "100.00"),
            (Ratio::new(3, 4), "75.00"),
            (Ratio::new(1, 3), "33.33"),
            (Ratio::new(0, 9), "0.00"),
        ] {
            assert_eq!(
                ratio.percent().map(|p| p.to_string()).as_deref(),
                Some(text)
            );
        }
        assert_eq!(
            percent_of(dec!(12), dec!(10.0)).map(|p| p.to_string()),
            Some("120.00".to_owned())
        );
        assert_eq!(
            percent_of(dec!(3), dec!(2)).map(|p| p.to_string()),
            Some("150.00".to_owned())
        );
    }

    #[test]
    fn nothing_to_divide_by_is_none_not_a_panic() {
        assert_eq!(Ratio::new(0, 0).value(), None);
        assert_eq!(Ratio::new(5, 0).percent(), None);
        assert_eq!(percent_of(dec!(3), Decimal::ZERO), None);
        assert_eq!(percent_of(dec!(3), dec!(-1)), None);
    }

    #[test]
    fn a_part_larger_than_the_whole_is_clamped() {
        assert_eq!(Ratio::new(7, 5).value(), Some(Decimal::ONE));
    }

    proptest! {
        #[test]
        fn every_ratio_is_a_rate(part in any::<u64>(), whole in any::<u64>()) {
            let ratio = Ratio::new(part, whole);
            match ratio.value() {
                None => prop_assert_eq!(whole, 0),
                Some(v) => prop_assert!(v >= Decimal::ZERO && v <= Decimal::ONE),
            }
            if let Some(p) = ratio.percent() {
                prop_assert!(p >= Decimal::ZERO && p <= Decimal::ONE_HUNDRED);
                prop_assert_eq!(p.scale(), 2);
            }
        }
    }
}
