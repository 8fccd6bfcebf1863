//! The outcome report (seed 003): how many of each outcome and option were registered in a
//! window, each one's share, and the split by where the outcomes led — Sale/Yes, No sale/No,
//! Excluded, and "Other" for every other state (Available and Open categories).
//!
//! Decision: external state changes are not outcomes, so they are left out (as in activity).
//! Attempts lead to the state the customer is already in, so they usually fall in "Other".

use super::Ratio;
use super::historical::OutcomeTallyRow;
use crate::flow::{PublishedFlow, StateCategory};
use crate::ids::OutcomeId;
use crate::outcome::OutcomeClass;
use serde::Serialize;
use std::collections::BTreeMap;

/// One outcome (and option) in the distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeShare {
    /// The outcome.
    pub outcome: OutcomeId,
    /// Its name in the flow, or its id when the flow no longer has it.
    pub name: String,
    /// The option; `None` for events registered without one.
    pub option: Option<String>,
    /// How many events.
    pub events: u64,
    /// `events` of all outcome events in the report.
    pub share: Ratio,
}

/// Where outcomes led, by category of the target state. Each ratio's numerator is the count
/// and its denominator the report's total, so the four numerators add up to the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CategorySplit {
    /// Landed in a Yes state ("Sale").
    pub yes: Ratio,
    /// Landed in a No state ("No sale").
    pub no: Ratio,
    /// Landed in an Excluded state.
    pub excluded: Ratio,
    /// Landed anywhere else (Available or Open states).
    pub other: Ratio,
}

/// The outcome report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OutcomeDistribution {
    /// One row per outcome and option, in the flow's outcome order, then by option (none
    /// first); outcomes the flow no longer has come last, by id.
    pub rows: Vec<OutcomeShare>,
    /// The split by target category.
    pub categories: CategorySplit,
    /// All outcome events counted.
    pub total: u64,
}

/// The outcome report of some tally rows, naming outcomes from `flow`.
pub fn outcome_distribution(flow: &PublishedFlow, rows: &[OutcomeTallyRow]) -> OutcomeDistribution {
    let mut per_outcome: BTreeMap<(usize, OutcomeId, Option<String>), u64> = BTreeMap::new();
    let (mut yes, mut no, mut excluded, mut other) = (0u64, 0u64, 0u64, 0u64);
    for row in rows.iter().filter(|r| r.class != OutcomeClass::External) {
        let Some(outcome) = row.outcome else {
            continue;
        };
        let position = flow
            .outcomes()
            .iter()
            .position(|o| o.id == outcome)
            .unwrap_or(usize::MAX);
        let count = per_outcome
            .entry((position, outcome, row.option.clone()))
            .or_default();
        *count = count.saturating_add(row.events);
        let bucket = match row.to_category {
            StateCategory::Yes => &mut yes,
            StateCategory::No => &mut no,
            StateCategory::Excluded => &mut excluded,
            StateCategory::Available | StateCategory::Open => &mut other,
        };
        *bucket = bucket.saturating_add(row.events);
    }
    let total = per_outcome.values().fold(0u64, |t, n| t.saturating_add(*n));
    let rows = per_outcome
        .into_iter()
        .map(|((_, outcome, option), events)| OutcomeShare {
            outcome,
            name: flow
                .outcome(outcome)
                .map_or_else(|| outcome.to_string(), |o| o.name.to_string()),
            option,
            events,
            share: Ratio::new(events, total),
        })
        .collect();
    OutcomeDistribution {
        rows,
        categories: CategorySplit {
            yes: Ratio::new(yes, total),
            no: Ratio::new(no, total),
            excluded: Ratio::new(excluded, total),
            other: Ratio::new(other, total),
        },
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::historical::tally_outcomes;
    use crate::reports::testing::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;
    use rust_decimal::dec;

    fn check(events: &[crate::outcome::OutcomeEvent], expected: &[(&str, Option<&str>, u64)]) {
        let report = outcome_distribution(&flow(), &tally_outcomes(events));
        let got: Vec<_> = report
            .rows
            .iter()
            .map(|r| (r.name.as_str(), r.option.as_deref(), r.events))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn seed_003_two_sales_on_one_customer_count_twice() {
        let events = [event(1, O_SALE, TO_CALL, 1), event(1, O_SALE, SALE, 2)];
        check(&events, &[("Sale", None, 2)]);
        let report = outcome_distribution(&flow(), &tally_outcomes(&events));
        assert_eq!(report.categories.yes.numerator(), 2);
        assert_eq!(report.categories.yes.value(), Some(Decimal::ONE));
    }

    #[test]
    fn rows_follow_the_flow_and_options_split_them() {
        let mut video = event(2, O_LEAD, TO_CALL, 2);
        video.option = Some("Video".into());
        let events = [
            event(1, O_NO_ANSWER, TO_CALL, 1),
            video,
            event(3, O_LEAD, TO_CALL, 3),
            event(4, O_SALE, LEAD, 4),
            event(5, 0, TO_CALL, 5),
        ];
        check(
            &events,
            &[
                ("Lead", None, 1),
                ("Lead", Some("Video"), 1),
                ("Sale", None, 1),
                ("No answer", None, 1),
            ],
        );
    }

    #[test]
    fn other_is_everything_but_yes_no_and_excluded() {
        let events = [
            event(1, O_SALE, LEAD, 1),
            event(2, O_NO_SALE, LEAD, 2),
            event(3, O_EXCLUDE, LEAD, 3),
            event(4, O_LEAD, TO_CALL, 4),
            event(5, O_NO_ANSWER, TO_CALL, 5),
            event(6, O_CALL_BACK, LEAD, 6),
            event(7, O_NO_SALE, TO_CALL, 7),
            event(8, 0, TO_CALL, 8),
        ];
        let report = outcome_distribution(&flow(), &tally_outcomes(&events));
        let c = report.categories;
        assert_eq!(report.total, 7);
        assert_eq!(
            (c.yes.numerator(), c.no.numerator(), c.excluded.numerator()),
            (1, 2, 1)
        );
        assert_eq!(c.other.numerator(), 3);
        assert_eq!(c.other.percent(), Some(dec!(42.86)));
    }

    #[test]
    fn an_empty_window_has_no_shares() {
        let report = outcome_distribution(&flow(), &[]);
        assert_eq!(report.total, 0);
        assert_eq!(report.categories.yes.value(), None);
    }

    proptest! {
        #[test]
        fn shares_are_rates_and_add_up(events in prop::collection::vec(any_event(), 0..60)) {
            let report = outcome_distribution(&flow(), &tally_outcomes(&events));
            let outcome_events = events.iter().filter(|e| e.class != OutcomeClass::External).count();
            prop_assert_eq!(report.total, outcome_events as u64);
            prop_assert_eq!(report.rows.iter().map(|r| r.events).sum::<u64>(), report.total);
            let c = report.categories;
            let split = c.yes.numerator() + c.no.numerator() + c.excluded.numerator() + c.other.numerator();
            prop_assert_eq!(split, report.total);
            for share in report.rows.iter().map(|r| r.share).chain([c.yes, c.no, c.excluded, c.other]) {
                if let Some(v) = share.value() {
                    prop_assert!(v >= Decimal::ZERO && v <= Decimal::ONE);
                }
            }
        }
    }
}
