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

#[test]
fn text_conditions_match_whatever_the_case() {
    let city = |v: &str| FieldValues::from([(key("city"), FieldValue::Text(v.into()))]);
    let selection = Selection {
        fields: vec![FieldCondition {
            key: key("city"),
            values: BTreeSet::from([FieldValue::Text("oslo".into())]),
            missing: false,
        }],
        ..Selection::default()
    };
    let any = enrollment(|_| {});
    assert!(selection.matches(&any, &city("Oslo")), "oslo finds Oslo");
    assert!(selection.matches(&any, &city("OSLO")));
    assert!(!selection.matches(&any, &city("Bergen")));
}

mod checked {
    use super::*;
    use cube_domain::assignment::setup::{AssignmentSetup, Segment};
    use cube_domain::bulk::SelectionError;
    use cube_domain::fields::{FieldDefinition, FieldError, FieldType};
    use cube_domain::ids::StateId;

    fn crm_fields() -> Vec<FieldDefinition> {
        let choices = vec!["Energy".to_owned(), "Retail".to_owned()];
        vec![
            FieldDefinition::new(
                key("industry"),
                "Industry",
                FieldType::Choice { choices },
                false,
            )
            .expect("valid"),
            FieldDefinition::new(key("city"), "City", FieldType::Text, false).expect("valid"),
        ]
    }

    fn setup() -> AssignmentSetup {
        AssignmentSetup {
            segments: vec![Segment {
                id: NORTH,
                name: name("North"),
            }],
            ..AssignmentSetup::default()
        }
    }

    fn check(selection: &Selection) -> Result<(), SelectionError> {
        selection.check(&setup(), &sales::flow(), &crm_fields())
    }

    #[test]
    fn a_selection_of_known_things_passes() {
        let selection = Selection {
            segments: Some(BTreeSet::from([Some(NORTH), None])),
            states: Some(BTreeSet::from([sales::state::OFFER])),
            fields: vec![industry_is(&["Retail"], true)],
            min_attempts: Some(1),
            max_attempts: Some(3),
        };
        assert_eq!(check(&selection), Ok(()));
    }

    #[test]
    fn an_unknown_state_or_segment_is_named() {
        let unknown: StateId = id(999);
        let states = Selection {
            states: Some(BTreeSet::from([sales::state::OFFER, unknown])),
            ..Selection::default()
        };
        assert_eq!(check(&states), Err(SelectionError::UnknownState(unknown)));
        let segments = Selection {
            segments: Some(BTreeSet::from([Some(SOUTH)])),
            ..Selection::default()
        };
        assert_eq!(check(&segments), Err(SelectionError::UnknownSegment(SOUTH)));
    }

    #[test]
    fn an_unknown_field_key_is_named_with_its_position() {
        let selection = Selection {
            fields: vec![
                industry_is(&["Retail"], false),
                FieldCondition {
                    key: key("colour"),
                    values: BTreeSet::new(),
                    missing: true,
                },
            ],
            ..Selection::default()
        };
        let error = check(&selection).expect_err("no field 'colour'");
        assert_eq!(
            error,
            SelectionError::UnknownField {
                index: 1,
                key: key("colour")
            }
        );
        assert!(
            error.to_string().contains("selection.fields[1].key"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_choice_or_a_value_of_the_wrong_type_is_refused() {
        let choice = Selection {
            fields: vec![industry_is(&["Shipping"], false)],
            ..Selection::default()
        };
        assert!(matches!(
            check(&choice),
            Err(SelectionError::BadValue {
                index: 0,
                error: FieldError::NotAChoice { .. }
            })
        ));
        let wrong_type = Selection {
            fields: vec![FieldCondition {
                key: key("city"),
                values: BTreeSet::from([FieldValue::Number(7)]),
                missing: false,
            }],
            ..Selection::default()
        };
        let error = check(&wrong_type).expect_err("city is text");
        assert!(matches!(
            error,
            SelectionError::BadValue {
                index: 0,
                error: FieldError::WrongType { .. }
            }
        ));
        assert!(
            error.to_string().contains("selection.fields[0].values"),
            "{error}"
        );
    }

    #[test]
    fn at_least_more_than_at_most_is_refused() {
        let selection = Selection {
            min_attempts: Some(5),
            max_attempts: Some(2),
            ..Selection::default()
        };
        assert_eq!(
            check(&selection),
            Err(SelectionError::AttemptsRange { min: 5, max: 2 })
        );
    }
}
