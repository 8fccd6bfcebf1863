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

/// Hit counts as a store keeps them: concluded enrollments per CRM field key and value, and
/// per attempts count, summed as they change rather than counted at report time. Every
/// concluded enrollment is counted once under its attempts count, so those sums are the
/// concluded totals, and a field's "no value" group is what its values leave out.
/// [`HitCounts::rows`] turns them into the rows [`tally_hits`] gives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HitCounts {
    /// Per CRM field key, per displayed value: (yes, no).
    values: BTreeMap<String, BTreeMap<String, (u64, u64)>>,
    /// Per attempts count (as text): (yes, no).
    attempts: BTreeMap<String, (u64, u64)>,
}

/// A field's values count more concluded enrollments than there are: the store's counters
/// disagree with each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hit counts of field '{0}' exceed the concluded enrollments")]
pub struct OverCounted(pub String);

impl From<OverCounted> for crate::ports::StoreError {
    fn from(error: OverCounted) -> Self {
        crate::ports::StoreError::Corrupt(error.to_string())
    }
}

fn add_to<K: Ord>(groups: &mut BTreeMap<K, (u64, u64)>, key: K, (yes, no): (u64, u64)) {
    let sum = groups.entry(key).or_default();
    *sum = (sum.0.saturating_add(yes), sum.1.saturating_add(no));
}

impl HitCounts {
    /// Counts of one stored value of CRM field `key`, shown as `value` (`FieldValue::display`;
    /// values that display alike, e.g. decimals 1.0 and 1.00, add up).
    pub fn add_value(&mut self, key: &str, value: String, counts: (u64, u64)) {
        add_to(
            self.values.entry(key.to_owned()).or_default(),
            value,
            counts,
        );
    }

    /// Counts of one attempts count.
    pub fn add_attempts(&mut self, attempts: u64, counts: (u64, u64)) {
        add_to(&mut self.attempts, attempts.to_string(), counts);
    }

    /// The rows for `fields`, sorted by field, then value, as [`tally_hits`] gives them (a
    /// field asked for twice counts twice).
    pub fn rows(&self, fields: &[AnalysisField]) -> Result<Vec<HitTallyRow>, OverCounted> {
        let total = self.attempts.values().fold((0u64, 0u64), |sum, (y, n)| {
            (sum.0.saturating_add(*y), sum.1.saturating_add(*n))
        });
        let empty = BTreeMap::new();
        let mut groups: BTreeMap<(AnalysisField, Option<String>), (u64, u64)> = BTreeMap::new();
        for field in fields {
            let (values, key) = match field {
                AnalysisField::Attempts => (&self.attempts, ""),
                AnalysisField::Crm(key) => (
                    self.values.get(key.as_str()).unwrap_or(&empty),
                    key.as_str(),
                ),
            };
            let (mut yes, mut no) = total;
            for (value, (y, n)) in values {
                let over = || OverCounted(key.to_owned());
                yes = yes.checked_sub(*y).ok_or_else(over)?;
                no = no.checked_sub(*n).ok_or_else(over)?;
                add_to(&mut groups, (field.clone(), Some(value.clone())), (*y, *n));
            }
            if yes > 0 || no > 0 {
                add_to(&mut groups, (field.clone(), None), (yes, no));
            }
        }
        Ok(groups
            .into_iter()
            .map(|((field, value), (yes, no))| HitTallyRow {
                field,
                value,
                yes,
                no,
            })
            .collect())
    }
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

    /// What a store's counters hold for `customers`: one count per concluded enrollment
    /// under its attempts count and under each of its customer's values.
    fn counts_of(customers: &[(crate::enrollment::Enrollment, FieldValues)]) -> HitCounts {
        let mut counts = HitCounts::default();
        for (enrollment, values) in customers {
            let one = match enrollment.category() {
                crate::flow::StateCategory::Yes => (1, 0),
                crate::flow::StateCategory::No => (0, 1),
                _ => continue,
            };
            counts.add_attempts(u64::from(enrollment.attempts()), one);
            for (key, value) in values.iter() {
                counts.add_value(key.as_str(), value.display(), one);
            }
        }
        counts
    }

    #[test]
    fn counts_give_the_tally_with_a_no_value_group_and_fields_asked_twice() {
        let fields = [industry(), AnalysisField::Attempts, industry()];
        let customers = customers();
        assert_eq!(
            counts_of(&customers).rows(&fields),
            Ok(tally_hits(&fields, customers.iter().map(|(e, v)| (e, v))))
        );
    }

    #[test]
    fn counts_of_a_value_beyond_the_concluded_are_refused() {
        let mut counts = HitCounts::default();
        counts.add_attempts(0, (1, 0));
        counts.add_value("industry", "Retail".to_owned(), (2, 0));
        assert_eq!(
            counts.rows(&[industry()]),
            Err(OverCounted("industry".to_owned()))
        );
    }

    proptest! {
        #[test]
        fn counts_equal_the_tally(
            enrollments in prop::collection::vec(any_enrollment(), 0..60),
            industries in prop::collection::vec(prop::option::of(prop::sample::select(vec!["Bank", "Retail", "bank"])), 60),
        ) {
            let customers: Vec<_> = enrollments
                .into_iter()
                .zip(industries)
                .map(|(e, i)| (e, values(i)))
                .collect();
            let fields = [AnalysisField::Attempts, industry()];
            prop_assert_eq!(
                counts_of(&customers).rows(&fields),
                Ok(tally_hits(&fields, customers.iter().map(|(e, v)| (e, v))))
            );
        }
    }
}
