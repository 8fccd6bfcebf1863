//! The outcome report (seed 003): how many of each outcome and option were registered in a
//! window, each one's share, and the split by where the outcomes led — Sale/Yes, No sale/No,
//! Excluded, "Other" for every other state (Available and Open categories) — with the
//! attempts on a line of their own.
//!
//! Decision (DOMAIN.md): an outcome counts in the category of the state it leads to, as
//! stored with its event when it was registered, never the state the customer is in later.
//! Attempts (`NoAnswer`, `CallBackLater`) lead nowhere: their event records the state the
//! customer stayed in, so they are counted apart, whatever that state is — a No answer on a
//! customer in Sale is no second Yes. Every share comes with its count, and the outcomes
//! that make up "Other" are named.
//!
//! External state changes are not outcomes, so they are left out (as in activity).

use super::Ratio;
use super::historical::OutcomeTallyRow;
use crate::flow::{Colour, OutcomeKind, PublishedFlow, State, StateCategory};
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
    /// The colour of the state it leads to (seed 003 colours the report by it); `None` for
    /// attempts, which lead nowhere, and outcomes no flow knows.
    pub colour: Option<Colour>,
    /// The option; `None` for events registered without one.
    pub option: Option<String>,
    /// How many events.
    pub events: u64,
    /// `events` of all outcome events in the report.
    pub share: Ratio,
}

/// An outcome named by the flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NamedOutcome {
    /// The outcome.
    pub outcome: OutcomeId,
    /// Its name in the flow, or its id when the flow no longer has it.
    pub name: String,
    /// The colour of the state it leads to, as in [`OutcomeShare::colour`].
    pub colour: Option<Colour>,
}

/// Which line of the split an outcome event counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SplitLine {
    /// A progress outcome leading to a Yes state ("Sale").
    Yes,
    /// A progress outcome leading to a No state ("No sale").
    No,
    /// A progress outcome leading to an Excluded state.
    Excluded,
    /// A progress outcome leading to an Available or Open state.
    Other,
    /// An attempt (No answer, Call back later): it leads nowhere.
    Attempt,
}

impl SplitLine {
    /// The line of events of `class` whose (target) state has `category`; `None` for
    /// external state changes, which are not outcomes.
    pub fn of(class: OutcomeClass, category: StateCategory) -> Option<Self> {
        Some(match class {
            OutcomeClass::External => return None,
            OutcomeClass::NoAnswer | OutcomeClass::CallBackLater => SplitLine::Attempt,
            OutcomeClass::Progress => match category {
                StateCategory::Yes => SplitLine::Yes,
                StateCategory::No => SplitLine::No,
                StateCategory::Excluded => SplitLine::Excluded,
                StateCategory::Available | StateCategory::Open => SplitLine::Other,
            },
        })
    }
}

/// Where outcomes led, by category of the target state, and the attempts apart. Each
/// ratio's numerator is the count and its denominator the report's total, so the five
/// numerators add up to the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CategorySplit {
    /// Led to a Yes state ("Sale").
    pub yes: Ratio,
    /// Led to a No state ("No sale").
    pub no: Ratio,
    /// Led to an Excluded state.
    pub excluded: Ratio,
    /// Led anywhere else (Available or Open states).
    pub other: Ratio,
    /// Attempts, which lead nowhere.
    pub attempts: Ratio,
}

/// The outcome report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OutcomeDistribution {
    /// One row per outcome and option, in the flow's outcome order, then by option (none
    /// first); outcomes the flow no longer has come last, by id.
    pub rows: Vec<OutcomeShare>,
    /// The split by target category.
    pub categories: CategorySplit,
    /// The outcomes counted in "Other", in the order of `rows`, each once.
    pub other_outcomes: Vec<NamedOutcome>,
    /// All outcome events counted.
    pub total: u64,
}

/// The outcome report of some tally rows, naming outcomes from `flow`.
pub fn outcome_distribution(flow: &PublishedFlow, rows: &[OutcomeTallyRow]) -> OutcomeDistribution {
    outcome_distribution_with_history(flow, &[], rows)
}

/// The outcome report of an assignment that has used other flows (or versions) before:
/// outcomes are ordered by `flow`, and each is named by `flow` or else by the first of
/// `earlier` that has it, so events registered before a flow switch keep their names
/// instead of showing an id. An outcome no flow knows shows its id.
pub fn outcome_distribution_with_history(
    flow: &PublishedFlow,
    earlier: &[PublishedFlow],
    rows: &[OutcomeTallyRow],
) -> OutcomeDistribution {
    let mut per_outcome: BTreeMap<(usize, OutcomeId, Option<String>), u64> = BTreeMap::new();
    let mut in_other: BTreeMap<(usize, OutcomeId), ()> = BTreeMap::new();
    let (mut yes, mut no, mut excluded, mut other, mut attempts) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let name_of = |outcome: OutcomeId| {
        std::iter::once(flow)
            .chain(earlier)
            .find_map(|f| f.outcome(outcome))
            .map_or_else(|| outcome.to_string(), |o| o.name.to_string())
    };
    let colour_of = |outcome: OutcomeId| {
        std::iter::once(flow)
            .chain(earlier)
            .find_map(|f| match f.outcome(outcome)?.kind {
                OutcomeKind::Progress { target } => f.state(target).map(State::colour),
                OutcomeKind::Attempt(_) => None,
            })
    };
    for row in rows {
        let (Some(outcome), Some(line)) = (row.outcome, SplitLine::of(row.class, row.to_category))
        else {
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
        let bucket = match line {
            SplitLine::Yes => &mut yes,
            SplitLine::No => &mut no,
            SplitLine::Excluded => &mut excluded,
            SplitLine::Other => {
                in_other.insert((position, outcome), ());
                &mut other
            }
            SplitLine::Attempt => &mut attempts,
        };
        *bucket = bucket.saturating_add(row.events);
    }
    let total = per_outcome.values().fold(0u64, |t, n| t.saturating_add(*n));
    let rows = per_outcome
        .into_iter()
        .map(|((_, outcome, option), events)| OutcomeShare {
            outcome,
            name: name_of(outcome),
            colour: colour_of(outcome),
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
            attempts: Ratio::new(attempts, total),
        },
        other_outcomes: in_other
            .into_keys()
            .map(|(_, outcome)| NamedOutcome {
                outcome,
                name: name_of(outcome),
                colour: colour_of(outcome),
            })
            .collect(),
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
        video.record_mut().option = Some("Video".into());
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
    fn other_is_everything_but_yes_no_excluded_and_attempts() {
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
        assert_eq!((c.other.numerator(), c.attempts.numerator()), (1, 2));
        assert_eq!(c.other.percent(), Some(dec!(14.29)));
        let other: Vec<_> = report
            .other_outcomes
            .iter()
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(other, ["Lead"]);
    }

    #[test]
    fn an_attempt_on_a_customer_in_sale_is_an_attempt_not_a_second_yes() {
        // Sale, then No answer on the same customer: the attempt's event records the state
        // the customer stayed in, Sale.
        let events = [event(1, O_SALE, LEAD, 1), event(1, O_NO_ANSWER, SALE, 2)];
        let report = outcome_distribution(&flow(), &tally_outcomes(&events));
        let c = report.categories;
        assert_eq!(report.total, 2);
        assert_eq!((c.yes.numerator(), c.attempts.numerator()), (1, 1));
        assert_eq!(c.yes.percent(), Some(dec!(50.00)));
        assert!(report.other_outcomes.is_empty());
        // The activity report agrees: 1 yes of 2 outcomes.
        let a = crate::reports::activity(&tally_outcomes(&events));
        assert_eq!((a.yes, a.progress + a.attempts), (1, 2));
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
            let outcome_events = events.iter().filter(|e| e.class() != OutcomeClass::External).count();
            prop_assert_eq!(report.total, outcome_events as u64);
            prop_assert_eq!(report.rows.iter().map(|r| r.events).sum::<u64>(), report.total);
            let c = report.categories;
            let split = c.yes.numerator() + c.no.numerator() + c.excluded.numerator()
                + c.other.numerator() + c.attempts.numerator();
            prop_assert_eq!(split, report.total);
            let attempts = events.iter().filter(|e| matches!(e.class(), OutcomeClass::NoAnswer | OutcomeClass::CallBackLater)).count();
            prop_assert_eq!(c.attempts.numerator(), attempts as u64);
            for share in report.rows.iter().map(|r| r.share).chain([c.yes, c.no, c.excluded, c.other, c.attempts]) {
                if let Some(v) = share.value() {
                    prop_assert!(v >= Decimal::ZERO && v <= Decimal::ONE);
                }
            }
        }
    }
}
