//! Bulk work: select enrollments by segment, state, analysis-field values and attempts
//! (e.g. "more than 4 attempts without answer"), then act on all of them at once.
//!
//! A selection is checked against the assignment before it is used ([`Selection::check`]):
//! a condition naming a state, segment, CRM field or choice the assignment does not have
//! could only ever select nobody, so it is refused by name instead of quietly counting 0.

use crate::assignment::setup::AssignmentSetup;
use crate::customer::fold_case;
use crate::enrollment::Enrollment;
use crate::fields::{FieldDefinition, FieldError, FieldKey, FieldValue, FieldValues};
use crate::flow::PublishedFlow;
use crate::ids::{SegmentId, StateId};
use crate::outcome::RegisterOutcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// Why a selection was refused; each names the condition to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectionError {
    /// A state that is not in the assignment's flow.
    #[error("`selection.states`: state {0} is not in the assignment's flow")]
    UnknownState(StateId),
    /// A segment the assignment does not have.
    #[error("`selection.segments`: segment {0} is not one of the assignment's segments")]
    UnknownSegment(SegmentId),
    /// A field key that no CRM field of the data owner has.
    #[error("`selection.fields[{index}].key`: the data owner has no CRM field '{key}'")]
    UnknownField {
        /// The condition's position.
        index: usize,
        /// The key given.
        key: FieldKey,
    },
    /// A value of the wrong type, or a choice the field does not offer.
    #[error("`selection.fields[{index}].values`: {error}")]
    BadValue {
        /// The condition's position.
        index: usize,
        /// What is wrong with the value.
        error: FieldError,
    },
    /// At least more attempts than at most.
    #[error("`selection.max_attempts`: must not be below `min_attempts` ({min}), got {max}")]
    AttemptsRange {
        /// The lower bound given.
        min: u32,
        /// The upper bound given.
        max: u32,
    },
}

/// A condition on one CRM field: the value is one of `values` (or absent, if `missing`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCondition {
    /// The field.
    pub key: FieldKey,
    /// Accepted values.
    pub values: BTreeSet<FieldValue>,
    /// Also accept customers without a value.
    pub missing: bool,
}

/// Which enrollments a bulk action applies to. Empty conditions select everything; each
/// condition given narrows the selection.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Selection {
    /// Only these segments (`None` inside means "in no segment").
    pub segments: Option<BTreeSet<Option<SegmentId>>>,
    /// Only these states.
    pub states: Option<BTreeSet<StateId>>,
    /// Conditions on CRM fields (all must hold).
    pub fields: Vec<FieldCondition>,
    /// At least this many attempts.
    pub min_attempts: Option<u32>,
    /// At most this many attempts.
    pub max_attempts: Option<u32>,
}

impl Selection {
    /// Checks every condition against the assignment: its `setup` (segments), its `flow`
    /// (states) and the data owner's CRM field definitions of both datasets (`crm_fields`).
    /// A value must fit the field's type (and be one of its choices) under at least one
    /// definition of that key.
    pub fn check(
        &self,
        setup: &AssignmentSetup,
        flow: &PublishedFlow,
        crm_fields: &[FieldDefinition],
    ) -> Result<(), SelectionError> {
        if let Some(state) = self
            .states
            .iter()
            .flatten()
            .find(|state| flow.state(**state).is_none())
        {
            return Err(SelectionError::UnknownState(*state));
        }
        if let Some(segment) = self
            .segments
            .iter()
            .flatten()
            .flatten()
            .find(|segment| !setup.has_segment(**segment))
        {
            return Err(SelectionError::UnknownSegment(*segment));
        }
        if let (Some(min), Some(max)) = (self.min_attempts, self.max_attempts)
            && min > max
        {
            return Err(SelectionError::AttemptsRange { min, max });
        }
        for (index, condition) in self.fields.iter().enumerate() {
            let definitions: Vec<&FieldDefinition> = crm_fields
                .iter()
                .filter(|d| d.key() == &condition.key)
                .collect();
            let Some(first) = definitions.first() else {
                return Err(SelectionError::UnknownField {
                    index,
                    key: condition.key.clone(),
                });
            };
            for value in &condition.values {
                if !definitions.iter().any(|d| d.check(value).is_ok()) {
                    let error = first
                        .check(value)
                        .err()
                        .unwrap_or_else(|| FieldError::Unknown(condition.key.as_str().to_owned()));
                    return Err(SelectionError::BadValue { index, error });
                }
            }
        }
        Ok(())
    }

    /// Whether `enrollment`, whose customer has `fields`, is selected.
    pub fn matches(&self, enrollment: &Enrollment, fields: &FieldValues) -> bool {
        self.segments
            .as_ref()
            .is_none_or(|s| s.contains(&enrollment.segment()))
            && self
                .states
                .as_ref()
                .is_none_or(|s| s.contains(&enrollment.state()))
            && self
                .min_attempts
                .is_none_or(|min| enrollment.attempts() >= min)
            && self
                .max_attempts
                .is_none_or(|max| enrollment.attempts() <= max)
            && self.fields.iter().all(|c| match fields.get(&c.key) {
                Some(value) => c.values.iter().any(|wanted| same_value(wanted, value)),
                None => c.missing,
            })
    }
}

/// Whether a customer's `value` is the `wanted` one: text compares case-insensitively (as
/// the customer search folds case, `oslo` finds `Oslo`); every other type exactly.
pub fn same_value(wanted: &FieldValue, value: &FieldValue) -> bool {
    match (wanted, value) {
        (FieldValue::Text(wanted), FieldValue::Text(value)) => {
            wanted == value || fold_case(wanted) == fold_case(value)
        }
        _ => wanted == value,
    }
}

/// What to do with the selected enrollments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    /// Move them to a segment (`None`: out of any segment).
    MoveToSegment(Option<SegmentId>),
    /// Register the same outcome on each (as a manager; products and meetings are refused).
    RegisterOutcome(Box<RegisterOutcome>),
    /// Take them out of the assignment (the outcome log keeps their history).
    Remove,
}
