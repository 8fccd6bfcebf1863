//! Hit analysis: the current yes and no counts, and the hitrate, per value of each analysis
//! field (a CRM field, or the attempts count), so a manager sees which kinds of customers say
//! yes. Only concluded customers (in a Yes or No state now) count.

use super::Ratio;
use crate::assignment::setup::AnalysisField;
use crate::enrollment::Enrollment;
use crate::fields::FieldValues;
use crate::flow::StateCategory;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Concluded customers per analysis field and value: for each field, `GROUP BY value` over
/// the assignment's enrollments in a Yes or No state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitTallyRow {
    /// The field.
    pub field: AnalysisField,
    /// The value as text (`FieldValue::display`; the attempts count for `Attempts`); `None`
    /// for customers without a value.
    pub value: Option<String>,
    /// Customers in a Yes state.
    pub yes: u64,
    /// Customers in a No state.
    pub no: u64,
}

/// The value of an analysis field for one customer, as text.
fn value_of(
    field: &AnalysisField,
    enrollment: &Enrollment,
    fields: &FieldValues,
) -> Option<String> {
    match field {
        AnalysisField::Attempts => Some(enrollment.attempts().to_string()),
        AnalysisField::Crm(key) => fields.get(key).map(|v| v.display()),
    }
}

/// Folds (enrollment, the customer's CRM field values) pairs into rows for each of `fields`,
/// sorted by field, then value. Enrollments not in a Yes or No state are skipped.
pub fn tally_hits<'a>(
    fields: &[AnalysisField],
    customers: impl IntoIterator<Item = (&'a Enrollment, &'a FieldValues)>,
) -> Vec<HitTallyRow> {
    let mut groups: BTreeMap<(AnalysisField, Option<String>), (u64, u64)> = BTreeMap::new();
    for (enrollment, values) in customers {
        let yes = match enrollment.category() {
            StateCategory::Yes => true,
            StateCategory::No => false,
            _ => continue,
        };
        for field in fields {
            let (y, n) = groups
                .entry((field.clone(), value_of(field, enrollment, values)))
                .or_default();
            if yes {
                *y = y.saturating_add(1);
            } else {
                *n = n.saturating_add(1);
            }
        }
    }
    groups
        .into_iter()
        .map(|((field, value), (yes, no))| HitTallyRow {
            field,
            value,
            yes,
            no,
        })
        .collect()
}

/// Yes, no and hitrate of one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueHits {
    /// The value; `None` for customers without one.
    pub value: Option<String>,
    /// Customers in a Yes state.
    pub yes: u64,
    /// Customers in a No state.
    pub no: u64,
    /// yes / (yes + no).
    pub hitrate: Ratio,
}

/// The hit analysis of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldHits {
    /// The field.
    pub field: AnalysisField,
    /// Its values: whole numbers first in numeric order (so attempts read 0, 1, 2, …, 10),
    /// then other text in text order, then "no value".
    pub values: Vec<ValueHits>,
}

/// Sort key for values: numbers numerically, then text, then no value.
fn value_order(value: &Option<String>) -> (bool, Reverse<bool>, i64, &str) {
    match value {
        None => (true, Reverse(false), 0, ""),
        Some(text) => match text.parse::<i64>() {
            Ok(n) => (false, Reverse(true), n, text),
            Err(_) => (false, Reverse(false), 0, text),
        },
    }
}

/// The hit analysis for `fields`, in their order, from hit rows (rows of other fields are
/// ignored; a field without rows has no values).
pub fn hit_analysis(fields: &[AnalysisField], rows: &[HitTallyRow]) -> Vec<FieldHits> {
    fields
        .iter()
        .map(|field| {
            let mut sums: BTreeMap<&Option<String>, (u64, u64)> = BTreeMap::new();
            for row in rows.iter().filter(|r| &r.field == field) {
                let (y, n) = sums.entry(&row.value).or_default();
                *y = y.saturating_add(row.yes);
                *n = n.saturating_add(row.no);
            }
            let mut values: Vec<ValueHits> = sums
                .into_iter()
                .map(|(value, (yes, no))| ValueHits {
                    value: value.clone(),
                    yes,
                    no,
                    hitrate: Ratio::new(yes, yes.saturating_add(no)),
                })
                .collect();
            values.sort_by(|a, b| value_order(&a.value).cmp(&value_order(&b.value)));
            FieldHits {
                field: field.clone(),
                values,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{FieldKey, FieldValue};
    use crate::reports::testing::*;
    use proptest::prelude::*;
    use rust_decimal::{Decimal, dec};

    fn industry() -> AnalysisField {
        AnalysisField::Crm(FieldKey::parse("industry").expect("valid key"))
    }

    fn values(industry: Option<&str>) -> FieldValues {
        let mut v = FieldValues::new();
        if let Some(i) = industry {
            v.insert(
                FieldKey::parse("industry").expect("valid key"),
                FieldValue::Choice(i.to_owned()),
            );
        }
        v
    }

    type Expected<'a> = [(Option<&'a str>, u64, u64, Option<Decimal>)];

    fn check(
        field: usize,
        customers: &[(crate::enrollment::Enrollment, FieldValues)],
        expected: &Expected<'_>,
    ) {
        let fields = [industry(), AnalysisField::Attempts];
        let tally = tally_hits(&fields, customers.iter().map(|(e, v)| (e, v)));
        let report = hit_analysis(&fields, &tally);
        let got: Vec<_> = report[field]
            .values
            .iter()
            .map(|v| (v.value.as_deref(), v.yes, v.no, v.hitrate.value()))
            .collect();
        assert_eq!(got, expected);
    }

    fn customers() -> Vec<(crate::enrollment::Enrollment, FieldValues)> {
        vec![
            (enrollment(1, SALE, 0), values(Some("Retail"))),
            (enrollment(2, SALE, 1), values(Some("Retail"))),
            (enrollment(3, NO_SALE, 10), values(Some("Retail"))),
            (enrollment(4, NO_SALE, 2), values(Some("Bank"))),
            (enrollment(5, SALE, 2), values(None)),
            (enrollment(6, TO_CALL, 0), values(Some("Shipping"))),
            (enrollment(7, LEAD, 0), values(Some("Retail"))),
        ]
    }

    #[test]
    fn hitrate_per_crm_value() {
        check(
            0,
            &customers(),
            &[
                (Some("Bank"), 0, 1, Some(Decimal::ZERO)),
                (Some("Retail"), 2, 1, Some(dec!(2) / dec!(3))),
                (None, 1, 0, Some(Decimal::ONE)),
            ],
        );
    }

    #[test]
    fn attempts_read_in_numeric_order() {
        check(
            1,
            &customers(),
            &[
                (Some("0"), 1, 0, Some(Decimal::ONE)),
                (Some("1"), 1, 0, Some(Decimal::ONE)),
                (Some("2"), 1, 1, Some(dec!(0.5))),
                (Some("10"), 0, 1, Some(Decimal::ZERO)),
            ],
        );
    }

    #[test]
    fn no_concluded_customers_give_no_values() {
        check(0, &[(enrollment(1, TO_CALL, 0), values(Some("Bank")))], &[]);
    }

    proptest! {
        #[test]
        fn hitrates_are_rates(enrollments in prop::collection::vec(any_enrollment(), 0..60)) {
            let empty = FieldValues::new();
            let fields = [AnalysisField::Attempts, industry()];
            let tally = tally_hits(&fields, enrollments.iter().map(|e| (e, &empty)));
            let concluded = enrollments.iter().filter(|e| e.category().is_conclusion()).count() as u64;
            for field in hit_analysis(&fields, &tally) {
                prop_assert_eq!(field.values.iter().map(|v| v.yes + v.no).sum::<u64>(), concluded);
                for v in field.values {
                    if let Some(rate) = v.hitrate.value() {
                        prop_assert!(rate >= Decimal::ZERO && rate <= Decimal::ONE);
                    }
                }
            }
        }
    }
}
