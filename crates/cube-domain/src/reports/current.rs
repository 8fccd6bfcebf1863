//! The current side of reports (now, from enrollments, not from the log): how many customers
//! are in each state, utilization, and the attempts distribution of customers not yet
//! worked on. Seed 003: a customer with two Sale outcomes is one customer in Sale here.

use super::Ratio;
use crate::enrollment::Enrollment;
use crate::flow::{Colour, PublishedFlow, StateCategory};
use crate::ids::StateId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Customers per state and attempts bucket: `GROUP BY state, category, LEAST(attempts, 2)`
/// over the assignment's enrollments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusTallyRow {
    /// The state.
    pub state: StateId,
    /// Its category as stored with the enrollments.
    pub category: StateCategory,
    /// 0, 1, or 2 meaning two or more attempts.
    pub attempts_bucket: u8,
    /// How many customers.
    pub customers: u64,
}

type StatusKey = (StateId, StateCategory, u8);

/// Folds enrollments into status rows, sorted by state, category and bucket.
pub fn tally_status<'a>(
    enrollments: impl IntoIterator<Item = &'a Enrollment>,
) -> Vec<StatusTallyRow> {
    merge_status_tallies(enrollments.into_iter().map(|e| StatusTallyRow {
        state: e.state(),
        category: e.category(),
        attempts_bucket: u8::try_from(e.attempts().min(2)).unwrap_or(2),
        customers: 1,
    }))
}

/// Adds up rows with the same state, category and bucket (sorted by them).
pub fn merge_status_tallies(rows: impl IntoIterator<Item = StatusTallyRow>) -> Vec<StatusTallyRow> {
    let mut groups: BTreeMap<StatusKey, u64> = BTreeMap::new();
    for row in rows {
        let n = groups
            .entry((row.state, row.category, row.attempts_bucket.min(2)))
            .or_default();
        *n = n.saturating_add(row.customers);
    }
    groups
        .into_iter()
        .map(
            |((state, category, attempts_bucket), customers)| StatusTallyRow {
                state,
                category,
                attempts_bucket,
                customers,
            },
        )
        .collect()
}

/// Customers in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    /// The state.
    pub state: StateId,
    /// Its name, or its id when the flow does not have it.
    pub name: String,
    /// Its category.
    pub category: StateCategory,
    /// Its colour (its category's when the flow does not have it).
    pub colour: Colour,
    /// How many customers are in it now.
    pub customers: u64,
}

/// Attempts among customers with no progress yet (in an `Available` state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct AttemptsDistribution {
    /// Never attempted.
    pub zero: u64,
    /// One attempt.
    pub one: u64,
    /// Two or more attempts.
    pub two_or_more: u64,
}

/// The customer status report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerStatusReport {
    /// Every state of the flow in flow order, zeros included; states the flow does not know
    /// (enrollments not yet moved after a flow switch) come last, by id.
    pub per_state: Vec<StateCount>,
    /// All customers in the assignment.
    pub total: u64,
    /// (Yes + No + Excluded) / total.
    pub utilization: Ratio,
    /// Attempts among `Available` customers.
    pub attempts: AttemptsDistribution,
    /// Customers reserved now (held by a seller under a live lease): a reservation that is
    /// stuck (a seller gone without releasing) shows here until its lease runs out.
    pub reserved: u64,
}

/// The status report of an assignment's status rows against its flow, with the number of
/// customers reserved now.
pub fn customer_status(
    flow: &PublishedFlow,
    rows: &[StatusTallyRow],
    reserved: u64,
) -> CustomerStatusReport {
    let mut per_state: Vec<StateCount> = flow
        .states()
        .iter()
        .map(|s| StateCount {
            state: s.id,
            name: s.name.to_string(),
            category: s.category,
            colour: s.colour(),
            customers: 0,
        })
        .collect();
    let mut unknown: BTreeMap<StateId, StateCount> = BTreeMap::new();
    let (mut total, mut used) = (0u64, 0u64);
    let mut attempts = AttemptsDistribution::default();
    for row in rows {
        total = total.saturating_add(row.customers);
        if matches!(
            row.category,
            StateCategory::Yes | StateCategory::No | StateCategory::Excluded
        ) {
            used = used.saturating_add(row.customers);
        }
        if row.category == StateCategory::Available {
            let bucket = match row.attempts_bucket {
                0 => &mut attempts.zero,
                1 => &mut attempts.one,
                _ => &mut attempts.two_or_more,
            };
            *bucket = bucket.saturating_add(row.customers);
        }
        let count = match per_state.iter_mut().find(|c| c.state == row.state) {
            Some(count) => count,
            None => unknown.entry(row.state).or_insert_with(|| StateCount {
                state: row.state,
                name: row.state.to_string(),
                category: row.category,
                colour: row.category.colour(),
                customers: 0,
            }),
        };
        count.customers = count.customers.saturating_add(row.customers);
    }
    per_state.extend(unknown.into_values());
    CustomerStatusReport {
        per_state,
        total,
        utilization: Ratio::new(used, total),
        attempts,
        reserved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::testing::*;
    use proptest::prelude::*;
    use rust_decimal::{Decimal, dec};

    fn counts(report: &CustomerStatusReport) -> Vec<(&str, u64)> {
        report
            .per_state
            .iter()
            .map(|c| (c.name.as_str(), c.customers))
            .collect()
    }

    #[test]
    fn seed_003_two_sales_leave_one_customer_in_sale() {
        let events = [event(1, O_SALE, TO_CALL, 1), event(1, O_SALE, SALE, 2)];
        let now = enrollment(1, TO_CALL, 0).replay(&events);
        let report = customer_status(&flow(), &tally_status([&now]), 0);
        assert_eq!(
            counts(&report),
            [
                ("To call", 0),
                ("Lead", 0),
                ("Sale", 1),
                ("No sale", 0),
                ("Excluded", 0)
            ]
        );
        assert_eq!(report.total, 1);
    }

    #[test]
    fn utilization_and_attempts_by_hand() {
        let enrollments = [
            enrollment(1, TO_CALL, 0),
            enrollment(2, TO_CALL, 0),
            enrollment(3, TO_CALL, 1),
            enrollment(4, TO_CALL, 2),
            enrollment(5, TO_CALL, 7),
            enrollment(6, LEAD, 3), // attempts of a worked customer are not in the split
            enrollment(7, SALE, 0),
            enrollment(8, NO_SALE, 1),
            enrollment(9, EXCLUDED, 0),
            enrollment(10, SALE, 0),
        ];
        let report = customer_status(&flow(), &tally_status(&enrollments), 0);
        assert_eq!(report.total, 10);
        assert_eq!(report.utilization.value(), Some(dec!(0.4)));
        assert_eq!(
            report.attempts,
            AttemptsDistribution {
                zero: 2,
                one: 1,
                two_or_more: 2
            }
        );
        assert_eq!(
            counts(&report),
            [
                ("To call", 5),
                ("Lead", 1),
                ("Sale", 2),
                ("No sale", 1),
                ("Excluded", 1)
            ]
        );
    }

    #[test]
    fn an_empty_assignment_lists_every_state_and_has_no_utilization() {
        let report = customer_status(&flow(), &[], 0);
        assert_eq!(report.per_state.len(), 5);
        assert_eq!(report.utilization.value(), None);
    }

    #[test]
    fn states_unknown_to_the_flow_are_listed_last() {
        let mut stray = enrollment(1, TO_CALL, 0);
        stray.remap_state(state(99), StateCategory::Open);
        let report = customer_status(&flow(), &tally_status([&stray]), 0);
        assert_eq!(report.per_state.len(), 6);
        assert_eq!(report.per_state[5].state, state(99));
        assert_eq!(report.per_state[5].customers, 1);
    }

    proptest! {
        #[test]
        fn utilization_is_a_rate_and_counts_add_up(
            enrollments in prop::collection::vec(any_enrollment(), 0..80),
            split in 0usize..80,
        ) {
            let tally = tally_status(&enrollments);
            let report = customer_status(&flow(), &tally, 0);
            prop_assert_eq!(report.total, enrollments.len() as u64);
            prop_assert_eq!(report.per_state.iter().map(|c| c.customers).sum::<u64>(), report.total);
            if let Some(u) = report.utilization.value() {
                prop_assert!(u >= Decimal::ZERO && u <= Decimal::ONE);
            }
            let a = report.attempts;
            let available = enrollments.iter().filter(|e| e.category() == StateCategory::Available).count();
            prop_assert_eq!(a.zero + a.one + a.two_or_more, available as u64);
            let (left, right) = enrollments.split_at(split.min(enrollments.len()));
            let merged = merge_status_tallies(tally_status(left).into_iter().chain(tally_status(right)));
            prop_assert_eq!(merged, tally);
        }
    }
}
