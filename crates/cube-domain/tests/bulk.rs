//! Bulk selections: by segment (including "no segment"), state, analysis-field values (and
//! missing values) and attempts — e.g. seed 000's "more than 4 attempts without answer".

mod common;

use common::*;
use cube_domain::bulk::{FieldCondition, Selection};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot};
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::ids::SegmentId;
use std::collections::BTreeSet;

const NORTH: SegmentId = SegmentId::from_uuid(uuid::Uuid::from_u128(61));
const SOUTH: SegmentId = SegmentId::from_uuid(uuid::Uuid::from_u128(62));

fn enrollment(change: impl FnOnce(&mut EnrollmentSnapshot)) -> Enrollment {
    let mut snapshot = snapshot(1);
    change(&mut snapshot);
    Enrollment::from(snapshot)
}

fn industry(value: &str) -> FieldValues {
    FieldValues::from([(key("industry"), FieldValue::Choice(value.into()))])
}

fn industry_is(values: &[&str], missing: bool) -> FieldCondition {
    FieldCondition {
        key: key("industry"),
        values: values
            .iter()
            .map(|v| FieldValue::Choice((*v).into()))
            .collect(),
        missing,
    }
}

#[test]
fn an_empty_selection_selects_everything() {
    let selection = Selection::default();
    assert!(selection.matches(&enrollment(|_| {}), &no_fields()));
    assert!(selection.matches(
        &enrollment(|s| {
            s.segment = Some(NORTH);
            s.attempts = 12;
        }),
        &industry("Retail")
    ));
}

#[test]
fn a_segment_selection_takes_only_those_segments() {
    let selection = Selection {
        segments: Some(BTreeSet::from([Some(NORTH)])),
        ..Selection::default()
    };
    assert!(selection.matches(&enrollment(|s| s.segment = Some(NORTH)), &no_fields()));
    assert!(!selection.matches(&enrollment(|s| s.segment = Some(SOUTH)), &no_fields()));
    assert!(!selection.matches(&enrollment(|s| s.segment = None), &no_fields()));
}

#[test]
fn no_segment_can_be_selected_on_its_own() {
    let selection = Selection {
        segments: Some(BTreeSet::from([None])),
        ..Selection::default()
    };
    assert!(selection.matches(&enrollment(|s| s.segment = None), &no_fields()));
    assert!(!selection.matches(&enrollment(|s| s.segment = Some(NORTH)), &no_fields()));
}

#[test]
fn a_state_selection_takes_only_those_states() {
    let selection = Selection {
        states: Some(BTreeSet::from([sales::state::LEAD, sales::state::OFFER])),
        ..Selection::default()
    };
    assert!(selection.matches(&enrollment(|s| s.state = sales::state::OFFER), &no_fields()));
    assert!(!selection.matches(&enrollment(|_| {}), &no_fields()));
}

#[test]
fn a_field_condition_takes_the_listed_values() {
    let selection = Selection {
        fields: vec![industry_is(&["Retail", "Energy"], false)],
        ..Selection::default()
    };
    let any = enrollment(|_| {});
    assert!(selection.matches(&any, &industry("Energy")));
    assert!(!selection.matches(&any, &industry("Shipping")));
    assert!(
        !selection.matches(&any, &no_fields()),
        "missing not asked for"
    );
}

#[test]
fn a_field_condition_may_take_customers_without_a_value() {
    let selection = Selection {
        fields: vec![industry_is(&["Retail"], true)],
        ..Selection::default()
    };
    let any = enrollment(|_| {});
    assert!(selection.matches(&any, &no_fields()));
    assert!(selection.matches(&any, &industry("Retail")));
    assert!(!selection.matches(&any, &industry("Energy")));
    let only_missing = Selection {
        fields: vec![industry_is(&[], true)],
        ..Selection::default()
    };
    assert!(only_missing.matches(&any, &no_fields()));
    assert!(!only_missing.matches(&any, &industry("Retail")));
}

#[test]
fn every_field_condition_must_hold() {
    let region = FieldCondition {
        key: key("region"),
        values: BTreeSet::from([FieldValue::Text("Vest".into())]),
        missing: false,
    };
    let selection = Selection {
        fields: vec![industry_is(&["Retail"], false), region],
        ..Selection::default()
    };
    let any = enrollment(|_| {});
    let mut both = industry("Retail");
    assert!(!selection.matches(&any, &both));
    both.insert(key("region"), FieldValue::Text("Vest".into()));
    assert!(selection.matches(&any, &both));
}

#[test]
fn more_than_four_attempts_is_a_minimum_of_five() {
    let selection = Selection {
        min_attempts: Some(5),
        ..Selection::default()
    };
    assert!(!selection.matches(&enrollment(|s| s.attempts = 4), &no_fields()));
    assert!(selection.matches(&enrollment(|s| s.attempts = 5), &no_fields()));
    assert!(selection.matches(&enrollment(|s| s.attempts = 50), &no_fields()));
}

#[test]
fn attempts_can_be_bounded_on_both_sides_inclusively() {
    let selection = Selection {
        min_attempts: Some(1),
        max_attempts: Some(2),
        ..Selection::default()
    };
    let matches =
        |attempts| selection.matches(&enrollment(|s| s.attempts = attempts), &no_fields());
    assert_eq!(
        (0..4).map(matches).collect::<Vec<_>>(),
        vec![false, true, true, false]
    );
}

#[test]
fn conditions_combine() {
    let selection = Selection {
        segments: Some(BTreeSet::from([Some(NORTH)])),
        states: Some(BTreeSet::from([sales::state::TO_CALL])),
        fields: vec![industry_is(&["Retail"], false)],
        min_attempts: Some(5),
        max_attempts: None,
    };
    let hit = enrollment(|s| {
        s.segment = Some(NORTH);
        s.attempts = 6;
    });
    assert!(selection.matches(&hit, &industry("Retail")));
    assert!(!selection.matches(&hit, &industry("Energy")));
    let wrong_segment = enrollment(|s| {
        s.segment = Some(SOUTH);
        s.attempts = 6;
    });
    assert!(!selection.matches(&wrong_segment, &industry("Retail")));
}
