//! The historical side of reports: the outcome tally folded from the outcome log for a time
//! window, and the activity summary built from it (conclusions, yes, no, hitrate, progress
//! rate, meetings, products sold).
//!
//! The tally is the one aggregate that activity, outcome distribution, performance and
//! activity limits all read, so it is grouped finely enough for each of them and no finer.

use super::Ratio;
use crate::flow::StateCategory;
use crate::ids::{AssignmentId, OutcomeId, StateId, UserId};
use crate::outcome::{OutcomeClass, OutcomeEvent};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One group of outcome events: `GROUP BY assignment, user, outcome, option, class,
/// to_category, to_state` over the outcome log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeTallyRow {
    /// The assignment.
    pub assignment: AssignmentId,
    /// Who registered the events (`None`: SMS replies, integrations).
    pub user: Option<UserId>,
    /// The outcome (`None` for external state changes).
    pub outcome: Option<OutcomeId>,
    /// The chosen option.
    pub option: Option<String>,
    /// Progress, attempt or external.
    pub class: OutcomeClass,
    /// The category of the state the events landed in.
    pub to_category: StateCategory,
    /// The state the events landed in.
    pub to_state: StateId,
    /// How many events.
    pub events: u64,
    /// Units on product lines of these events; only counted where `to_category` is `Yes`
    /// (sold products are product lines on outcomes that land in a Yes state).
    pub product_units: u64,
    /// Value of those product lines (a plain sum over currencies; the sales report splits
    /// by currency). Zero unless `to_category` is `Yes`.
    pub product_value: Decimal,
    /// Events that booked a meeting.
    pub meetings: u64,
}

type TallyKey = (
    AssignmentId,
    Option<UserId>,
    Option<OutcomeId>,
    Option<String>,
    OutcomeClass,
    StateCategory,
    StateId,
);

fn key_of(row: &OutcomeTallyRow) -> TallyKey {
    (
        row.assignment,
        row.user,
        row.outcome,
        row.option.clone(),
        row.class,
        row.to_category,
        row.to_state,
    )
}

/// Folds events into tally rows, sorted by their grouping key. The caller chooses the events
/// (assignments, time window); nothing is filtered here.
pub fn tally_outcomes<'a>(
    events: impl IntoIterator<Item = &'a OutcomeEvent>,
) -> Vec<OutcomeTallyRow> {
    let rows = events.into_iter().map(|event| {
        let sold = event.to_category() == StateCategory::Yes;
        let (units, value) = if sold {
            event
                .products()
                .iter()
                .fold((0u64, Decimal::ZERO), |(u, v), line| {
                    (
                        u.saturating_add(u64::from(line.quantity)),
                        // Saturates as the other tallies do; the sales report's sums are
                        // checked (`sales::SumOverflow`), and bounded lines never get here.
                        v.saturating_add(line.value().unwrap_or(Decimal::MAX)),
                    )
                })
        } else {
            (0, Decimal::ZERO)
        };
        OutcomeTallyRow {
            assignment: event.assignment(),
            user: event.user(),
            outcome: event.outcome(),
            option: event.option().map(str::to_owned),
            class: event.class(),
            to_category: event.to_category(),
            to_state: event.to_state(),
            events: 1,
            product_units: units,
            product_value: value,
            meetings: u64::from(event.meeting().is_some()),
        }
    });
    merge_outcome_tallies(rows)
}

/// Adds up rows with the same grouping key, sorted by that key: tallies of two parts of a
/// log merged give the tally of the whole log.
pub fn merge_outcome_tallies(
    rows: impl IntoIterator<Item = OutcomeTallyRow>,
) -> Vec<OutcomeTallyRow> {
    let mut groups: BTreeMap<TallyKey, OutcomeTallyRow> = BTreeMap::new();
    for row in rows {
        match groups.get_mut(&key_of(&row)) {
            Some(sum) => {
                sum.events = sum.events.saturating_add(row.events);
                sum.product_units = sum.product_units.saturating_add(row.product_units);
                sum.product_value = sum.product_value.saturating_add(row.product_value);
                sum.meetings = sum.meetings.saturating_add(row.meetings);
            }
            None => {
                groups.insert(key_of(&row), row);
            }
        }
    }
    groups.into_values().collect()
}

/// What sellers did in a window. External state changes count in nothing: they are not
/// seller work.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ActivitySummary {
    /// Progress outcomes landing in a Yes or No state.
    pub conclusions: u64,
    /// Progress outcomes landing in a Yes state.
    pub yes: u64,
    /// Progress outcomes landing in a No state.
    pub no: u64,
    /// Progress outcomes.
    pub progress: u64,
    /// Attempts (NoAnswer + CallBackLater).
    pub attempts: u64,
    /// yes / conclusions.
    pub hitrate: Ratio,
    /// progress / (progress + attempts).
    pub progress_rate: Ratio,
    /// Meetings booked.
    pub meetings: u64,
    /// Units of products sold (on outcomes landing in a Yes state).
    pub products_sold: u64,
    /// Value of the products sold (a plain sum over currencies), with at least two
    /// decimals (the minor unit of NOK and most currencies) whichever store summed it.
    pub sales_value: Decimal,
}

/// The activity summary of some tally rows (filter them first for one user or assignment).
///
/// Decision: only `Progress` events are conclusions. An attempt never moves the customer,
/// so an attempt registered on a customer already in a Yes state concludes nothing.
///
/// A store tallies its events into rows (`tally_outcomes` does it in memory, the SQL stores
/// from their rollups); the summary reads the rows:
///
/// ```
/// use cube_domain::flow::StateCategory;
/// use cube_domain::flow::seeds::SalesFlow;
/// use cube_domain::ids::AssignmentId;
/// use cube_domain::outcome::OutcomeClass;
/// use cube_domain::reports::{OutcomeTallyRow, activity};
/// use rust_decimal::Decimal;
/// use uuid::Uuid;
///
/// let row = |class, to_category, to_state, events| OutcomeTallyRow {
///     assignment: AssignmentId::from_uuid(Uuid::from_u128(1)),
///     user: None,
///     outcome: None,
///     option: None,
///     class,
///     to_category,
///     to_state,
///     events,
///     product_units: 0,
///     product_value: Decimal::ZERO,
///     meetings: 0,
/// };
/// let rows = [
///     row(OutcomeClass::NoAnswer, StateCategory::Available, SalesFlow::TO_CALL, 10),
///     row(OutcomeClass::Progress, StateCategory::Open, SalesFlow::LEAD, 2),
///     row(OutcomeClass::Progress, StateCategory::Yes, SalesFlow::SALE, 3),
///     row(OutcomeClass::Progress, StateCategory::No, SalesFlow::NO_SALE, 5),
/// ];
/// let summary = activity(&rows);
/// assert_eq!((summary.conclusions, summary.yes, summary.no, summary.attempts), (8, 3, 5, 10));
/// // Hitrate: Yes of the conclusions (3 of 8); progress rate: progress of all the calls
/// // (10 progress events of 20).
/// assert_eq!(summary.hitrate.percent(), Some(Decimal::new(375, 1)));
/// assert_eq!(summary.progress_rate.percent(), Some(Decimal::new(50, 0)));
/// ```
pub fn activity<'a>(rows: impl IntoIterator<Item = &'a OutcomeTallyRow>) -> ActivitySummary {
    let mut s = ActivitySummary::default();
    for row in rows {
        match row.class {
            OutcomeClass::External => continue,
            OutcomeClass::NoAnswer | OutcomeClass::CallBackLater => {
                s.attempts = s.attempts.saturating_add(row.events);
            }
            OutcomeClass::Progress => {
                s.progress = s.progress.saturating_add(row.events);
                match row.to_category {
                    StateCategory::Yes => s.yes = s.yes.saturating_add(row.events),
                    StateCategory::No => s.no = s.no.saturating_add(row.events),
                    _ => {}
                }
            }
        }
        s.meetings = s.meetings.saturating_add(row.meetings);
        s.products_sold = s.products_sold.saturating_add(row.product_units);
        s.sales_value = s.sales_value.saturating_add(row.product_value);
    }
    s.sales_value = money(s.sales_value);
    s.conclusions = s.yes.saturating_add(s.no);
    s.hitrate = Ratio::new(s.yes, s.conclusions);
    s.progress_rate = Ratio::new(s.progress, s.progress.saturating_add(s.attempts));
    s
}

/// A sum of money over currencies, in one shape whatever store summed it: trailing zeros
/// dropped, then at least two decimals (`1497` and `1497.000` are both `1497.00`).
fn money(value: Decimal) -> Decimal {
    let mut value = value.normalize();
    if value.scale() < 2 {
        value.rescale(2);
    }
    value
}

/// The activity of one user (or of the system, `user: None`) in one assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserActivity {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The user; `None` for SMS replies and integrations.
    pub user: Option<UserId>,
    /// What they did.
    pub summary: ActivitySummary,
}

/// The activity per assignment and user, sorted by assignment, then user (`None` first).
pub fn activity_per_user(rows: &[OutcomeTallyRow]) -> Vec<UserActivity> {
    let mut groups: BTreeMap<(AssignmentId, Option<UserId>), Vec<&OutcomeTallyRow>> =
        BTreeMap::new();
    for row in rows.iter().filter(|r| r.class != OutcomeClass::External) {
        groups
            .entry((row.assignment, row.user))
            .or_default()
            .push(row);
    }
    groups
        .into_iter()
        .map(|((assignment, user), rows)| UserActivity {
            assignment,
            user,
            summary: activity(rows),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::testing::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    #[test]
    fn hitrate_and_progress_rate_by_hand() {
        // 3 yes, 1 no, 1 lead, 1 exclude = 6 progress; 2 attempts; 1 external change.
        let mut sold = event(1, O_SALE, LEAD, 1);
        sold.record_mut().products = vec![line(1, 2, dec!(100)), line(2, 1, dec!(50.50))];
        let mut unsold_lines = event(6, O_LEAD, TO_CALL, 9);
        unsold_lines.record_mut().products = vec![line(1, 5, dec!(100))];
        let events = [
            sold,
            event(2, O_SALE, LEAD, 2),
            event(3, O_SALE, TO_CALL, 3),
            event(4, O_NO_SALE, LEAD, 4),
            event(5, O_EXCLUDE, TO_CALL, 5),
            with_meeting(unsold_lines, 1),
            event(7, O_NO_ANSWER, TO_CALL, 6),
            event(7, O_CALL_BACK, TO_CALL, 7),
            event(8, 0, TO_CALL, 8),
        ];
        let s = activity(&tally_outcomes(&events));
        assert_eq!((s.yes, s.no, s.conclusions), (3, 1, 4));
        assert_eq!((s.progress, s.attempts), (6, 2));
        assert_eq!(s.hitrate.value(), Some(dec!(0.75)));
        assert_eq!(s.progress_rate.value(), Some(dec!(0.75)));
        assert_eq!(s.meetings, 1);
        assert_eq!(s.products_sold, 3);
        assert_eq!(s.sales_value, dec!(250.50));
        assert_eq!(s.sales_value.to_string(), "250.50");
    }

    #[test]
    fn a_sales_value_has_one_shape_whatever_the_store_summed() {
        let row = |value| OutcomeTallyRow {
            assignment: assignment(1),
            user: Some(user(1)),
            outcome: Some(outcome(O_SALE)),
            option: None,
            class: OutcomeClass::Progress,
            to_category: StateCategory::Yes,
            to_state: state(SALE),
            events: 1,
            product_units: 1,
            product_value: value,
            meetings: 0,
        };
        for (value, shown) in [
            (dec!(1497), "1497.00"),
            (dec!(1497.000), "1497.00"),
            (dec!(23923.5), "23923.50"),
            (dec!(0.125), "0.125"),
        ] {
            assert_eq!(activity(&[row(value)]).sales_value.to_string(), shown);
        }
    }

    #[test]
    fn no_events_give_no_rates() {
        let s = activity(&tally_outcomes(std::iter::empty()));
        assert_eq!(s.hitrate.value(), None);
        assert_eq!(s.progress_rate.percent(), None);
        let only_external = [event(1, 0, TO_CALL, 1)];
        assert_eq!(
            activity(&tally_outcomes(&only_external)),
            ActivitySummary::default()
        );
    }

    #[test]
    fn an_attempt_in_a_yes_state_is_no_conclusion() {
        let s = activity(&tally_outcomes(&[event(1, O_NO_ANSWER, SALE, 1)]));
        assert_eq!((s.conclusions, s.attempts), (0, 1));
    }

    #[test]
    fn activity_is_split_per_user_and_assignment() {
        let mut other = event(2, O_SALE, LEAD, 2);
        other.record_mut().user = Some(user(2));
        let per_user = activity_per_user(&tally_outcomes(&[event(1, O_SALE, LEAD, 1), other]));
        assert_eq!(per_user.len(), 2);
        assert!(per_user.iter().all(|u| u.summary.yes == 1));
    }

    proptest! {
        #[test]
        fn rates_are_rates_and_totals_count_the_events(
            events in prop::collection::vec(any_event(), 0..60),
        ) {
            let tally = tally_outcomes(&events);
            let counted: u64 = tally.iter().map(|r| r.events).sum();
            prop_assert_eq!(counted, events.len() as u64);
            let s = activity(&tally);
            let seller_events = events.iter().filter(|e| e.class() != OutcomeClass::External).count();
            prop_assert_eq!(s.progress + s.attempts, seller_events as u64);
            for rate in [s.hitrate, s.progress_rate] {
                if let Some(v) = rate.value() {
                    prop_assert!(v >= Decimal::ZERO && v <= Decimal::ONE);
                }
            }
        }

        #[test]
        fn tallying_in_two_halves_and_merging_equals_tallying_at_once(
            events in prop::collection::vec(any_event(), 0..60),
            split in 0usize..60,
        ) {
            let split = split.min(events.len());
            let (a, b) = events.split_at(split);
            let merged = merge_outcome_tallies(tally_outcomes(a).into_iter().chain(tally_outcomes(b)));
            prop_assert_eq!(merged, tally_outcomes(&events));
        }
    }
}
