//! Bulk work: select enrollments by segment, state, analysis-field values and attempts
//! (e.g. "more than 4 attempts without answer"), then act on all of them at once.

use crate::enrollment::Enrollment;
use crate::fields::{FieldKey, FieldValue, FieldValues};
use crate::ids::{SegmentId, StateId};
use crate::outcome::RegisterOutcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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
                Some(value) => c.values.contains(value),
                None => c.missing,
            })
    }
}

/// What to do with the selected enrollments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    /// Move them to a segment (`None`: out of any segment).
    MoveToSegment(Option<SegmentId>),
    /// Register the same outcome on each (as a manager; products and meetings are refused).
    RegisterOutcome(RegisterOutcome),
    /// Take them out of the assignment (the outcome log keeps their history).
    Remove,
}
