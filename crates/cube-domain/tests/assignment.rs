//! The assignment and its setup: the flow it uses, the checks on its setup and switching
//! flows (DOMAIN.md: an assignment may switch to another published flow at any time).

mod common;

use common::*;
use cube_domain::assignment::setup::{
    ActivityLimit, AssignmentSetup, CallerId, FollowUpOwnership, LimitMetric, LimitMode, Segment,
    SmsFlow, SmsReplyRule, SmsSender,
};
use cube_domain::assignment::{Assignment, AssignmentError};
use cube_domain::flow::{FlowSwitchError, Placement, SwitchPlan};
use cube_domain::ids::{OutcomeId, SegmentId};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use time::Duration;

use sales::outcome as so;

/// The error `change` gets from checking the sales assignment's setup.
fn setup_error(change: impl FnOnce(&mut AssignmentSetup)) -> AssignmentError {
    let world = World::sales();
    let mut setup = world.setup().clone();
    change(&mut setup);
    setup.check(&world.flow).expect_err("the setup is refused")
}

fn sms_flow(registers: OutcomeId) -> SmsFlow {
    SmsFlow {
        template: "Hei {{ name }}, svar JA for å bekrefte.".into(),
        reply_window: Duration::hours(48),
        replies: vec![SmsReplyRule {
            keyword: "JA".into(),
            registers,
        }],
    }
}

#[test]
fn an_assignment_uses_a_published_flow_of_its_own_data_owner() {
    let flow = sales::flow();
    let assignment = Assignment::new(ASSIGNMENT, ORG, DATA_OWNER, name("Autumn"), &flow)
        .expect("same data owner");
    assert_eq!(assignment.flow(), flow.version());
    assert_eq!(assignment.setup(), &AssignmentSetup::default());
    assert_eq!(assignment.client(), None);
    assert_eq!(
        Assignment::new(ASSIGNMENT, ORG, OTHER_DATA_OWNER, name("Autumn"), &flow),
        Err(AssignmentError::FlowOfAnotherDataOwner("Salg".into()))
    );
}

#[test]
fn the_default_setup_has_a_fifteen_minute_lease_and_is_valid() {
    let setup = AssignmentSetup::default();
    assert_eq!(setup.lease, Duration::minutes(15));
    assert_eq!(setup.retry_delay, AssignmentSetup::DEFAULT_RETRY_DELAY);
    assert_eq!(setup.communication.caller_id, CallerId::PerUser);
    assert_eq!(setup.check(&sales::flow()), Ok(()));
}

#[test]
fn the_setup_may_only_name_outcomes_of_the_flow() {
    let foreign = meetings::outcome::MEETING_BOOKED;
    assert_eq!(
        setup_error(|s| {
            s.outcome_options.insert(foreign, vec![name("Video")]);
        }),
        AssignmentError::UnknownOutcome(foreign)
    );
    assert_eq!(
        setup_error(|s| {
            s.follow_up_ownership
                .insert(foreign, FollowUpOwnership::Shared);
        }),
        AssignmentError::UnknownOutcome(foreign)
    );
    assert_eq!(
        setup_error(|s| {
            s.communication.sms_sender = Some(SmsSender::Text("Cube".into()));
            s.sms_flows.insert(so::OFFER, sms_flow(foreign));
        }),
        AssignmentError::UnknownOutcome(foreign)
    );
}

#[test]
fn an_outcome_cannot_have_the_same_option_twice() {
    let error = setup_error(|s| {
        s.outcome_options
            .insert(so::SALE, vec![name("Móbil"), name("MÓBIL")]);
    });
    assert_eq!(error, AssignmentError::OptionTwice("Sale".into()));
}

#[test]
fn sms_flows_need_a_sender_of_at_most_eleven_letters_or_digits() {
    let error = setup_error(|s| {
        s.sms_flows.insert(so::OFFER, sms_flow(so::SALE));
    });
    assert_eq!(error, AssignmentError::SmsSenderMissing);
    for bad in ["", "CubeSalesTeam", "Cube Sales"] {
        let error = setup_error(|s| {
            s.communication.sms_sender = Some(SmsSender::Text(bad.into()));
        });
        assert_eq!(
            error,
            AssignmentError::SmsSenderInvalid(bad.into()),
            "{bad}"
        );
        assert!(
            error.to_string().contains("1 to 11 letters"),
            "{bad}: {error}"
        );
    }
    let world = World::sales().with_setup(|s| {
        s.communication.sms_sender = Some(SmsSender::Text("CubeSales".into()));
        s.sms_flows.insert(so::OFFER, sms_flow(so::SALE));
    });
    assert_eq!(world.setup().sms_flows.len(), 1);
}

#[test]
fn an_sms_reply_window_must_be_positive() {
    let error = setup_error(|s| {
        s.communication.sms_sender = Some(SmsSender::Text("Cube".into()));
        s.sms_flows.insert(
            so::OFFER,
            SmsFlow {
                reply_window: Duration::ZERO,
                ..sms_flow(so::SALE)
            },
        );
    });
    assert!(error.to_string().contains("reply_window"), "{error}");
}

#[test]
fn an_sms_reply_matches_its_keyword_ignoring_case_and_spaces() {
    let sms = sms_flow(so::SALE);
    assert_eq!(sms.outcome_for_reply("  ja "), Some(so::SALE));
    assert_eq!(sms.outcome_for_reply("JA"), Some(so::SALE));
    assert_eq!(sms.outcome_for_reply("nei"), None);
    assert_eq!(sms.outcome_for_reply("ja takk"), None);
}

#[test]
fn an_sms_flow_refuses_an_empty_keyword_and_one_written_twice_as_replies_compare() {
    for (first, second) in [("JA", " ja! "), ("Nei takk", "NEITAKK"), ("ja", "  ")] {
        let error = setup_error(|s| {
            s.communication.sms_sender = Some(SmsSender::Text("Cube".into()));
            let mut flow = sms_flow(so::SALE);
            flow.replies = vec![
                SmsReplyRule {
                    keyword: first.into(),
                    registers: so::SALE,
                },
                SmsReplyRule {
                    keyword: second.into(),
                    registers: so::NO_SALE,
                },
            ];
            s.sms_flows.insert(so::SALE, flow);
        });
        assert!(
            matches!(&error, AssignmentError::SmsKeyword { keyword, .. } if keyword == second.trim() || keyword.trim() == second.trim()),
            "{first:?} / {second:?}: {error}"
        );
        assert!(error.to_string().contains("own word"), "{error}");
    }
}

#[test]
fn a_segment_cannot_be_listed_twice() {
    let segment = Segment {
        id: id(61),
        name: name("North"),
    };
    let error = setup_error(|s| s.segments = vec![segment.clone(), segment.clone()]);
    assert_eq!(
        error,
        AssignmentError::SegmentListedTwice(segment.name.clone())
    );
}

#[test]
fn segment_names_are_distinct_ignoring_case_in_every_script() {
    let segment = |n, raw| Segment {
        id: id(n),
        name: name(raw),
    };
    // A setup stored before the rule reached `check` (only adding a segment compared names,
    // and in ASCII only) is refused now, naming both segments.
    for (a, b) in [
        ("North", "NORTH"),
        ("Østlandet", "østlandet"),
        ("ÆRLIG", "ærlig"),
        ("Δέλτα", "ΔΈΛΤΑ"),
    ] {
        let error = setup_error(|s| {
            s.segments = vec![segment(61, a), segment(62, "South"), segment(63, b)]
        });
        assert_eq!(error, AssignmentError::SegmentNamesAlike(name(a), name(b)));
        let message = error.to_string();
        assert!(
            message.contains(&format!("'{a}'")) && message.contains(&format!("'{b}'")),
            "{message}"
        );
    }
    let world = World::sales();
    let mut setup = world.setup().clone();
    setup.segments = vec![segment(61, "Øst"), segment(62, "Ost"), segment(63, "Öst")];
    assert_eq!(
        setup.check(&world.flow),
        Ok(()),
        "different letters are different names"
    );
    assert_eq!(
        setup.segment_named(&name("ØST")).map(|s| s.id),
        Some(id(61))
    );
    assert_eq!(setup.segment_named(&name("West")), None);
}

#[test]
fn an_activity_limit_must_be_more_than_zero() {
    let error = setup_error(|s| {
        s.activity_limits.push(ActivityLimit {
            metric: LimitMetric::Meetings,
            limit: Decimal::ZERO,
            mode: LimitMode::Indicator,
        });
    });
    assert!(error.to_string().contains("more than zero"), "{error}");
}

#[test]
fn only_hard_stop_limits_stop_next_customer() {
    let limit = |metric, mode| ActivityLimit {
        metric,
        limit: Decimal::from(100),
        mode,
    };
    let world = World::sales().with_setup(|s| {
        s.activity_limits = vec![
            limit(LimitMetric::Hours, LimitMode::Indicator),
            limit(LimitMetric::Yes, LimitMode::HardStop),
        ];
    });
    let stops: Vec<LimitMetric> = world.setup().hard_stops().map(|l| l.metric).collect();
    assert_eq!(stops, vec![LimitMetric::Yes]);
}

#[test]
fn visibility_must_start_before_it_ends() {
    let error = setup_error(|s| {
        s.visibility.from = Some(time::macros::date!(2026 - 12 - 02));
        s.visibility.to = Some(time::macros::date!(2026 - 12 - 01));
    });
    assert_eq!(
        error,
        AssignmentError::VisibilityReversed {
            from: time::macros::date!(2026 - 12 - 02),
            to: time::macros::date!(2026 - 12 - 01),
        }
    );
    assert_eq!(
        error.to_string(),
        "visibility 'from' (2026-12-02) is after 'to' (2026-12-01): set 'from' on or before 'to'"
    );
}

#[test]
fn the_lease_is_between_a_second_and_a_day() {
    for bad in [Duration::ZERO, Duration::hours(24) + Duration::seconds(1)] {
        let error = setup_error(|s| s.lease = bad);
        assert!(error.to_string().contains("lease"), "{bad}: {error}");
    }
    let world = World::sales().with_setup(|s| s.lease = Duration::hours(24));
    assert_eq!(world.setup().lease, Duration::hours(24));
}

#[test]
fn the_retry_delay_cannot_be_negative() {
    let error = setup_error(|s| s.retry_delay = Duration::minutes(-1));
    assert!(error.to_string().contains("retry_delay"), "{error}");
    let world = World::sales().with_setup(|s| s.retry_delay = Duration::ZERO);
    assert_eq!(world.setup().retry_delay, Duration::ZERO);
}

#[test]
fn a_refused_setup_leaves_the_old_one_in_place() {
    let mut world = World::sales();
    let before = world.setup().clone();
    let mut bad = before.clone();
    bad.lease = Duration::ZERO;
    assert!(world.assignment.set_setup(bad, &world.flow).is_err());
    assert_eq!(world.setup(), &before);
}

#[test]
fn segments_rank_in_setup_order_with_unknown_and_none_last() {
    let (a, b): (SegmentId, SegmentId) = (id(61), id(62));
    let setup = AssignmentSetup {
        segments: vec![
            Segment {
                id: b,
                name: name("B"),
            },
            Segment {
                id: a,
                name: name("A"),
            },
        ],
        ..AssignmentSetup::default()
    };
    assert_eq!(setup.segment_rank(Some(b)), 0);
    assert_eq!(setup.segment_rank(Some(a)), 1);
    assert_eq!(setup.segment_rank(None), 2);
    assert_eq!(setup.segment_rank(Some(id(69))), 2);
    assert!(setup.has_segment(a));
    assert!(!setup.has_segment(id(69)));
}

#[test]
fn switching_flows_maps_states_and_drops_setup_of_outcomes_the_new_flow_lacks() {
    let mut world = World::sales().with_setup(|s| {
        s.outcome_options.insert(so::SALE, vec![name("Mobile")]);
        s.follow_up_ownership
            .insert(so::OFFER, FollowUpOwnership::Shared);
    });
    let booking = meetings::flow();
    let populated = BTreeSet::from([sales::state::TO_CALL, sales::state::EXCLUDED]);
    let mapping = world
        .assignment
        .switch_flow(&world.flow, &booking, &SwitchPlan::default(), &populated)
        .expect("same data owner, every populated state placed");
    assert_eq!(world.assignment.flow(), booking.version());
    assert!(world.setup().outcome_options.is_empty());
    assert!(world.setup().follow_up_ownership.is_empty());
    assert_eq!(
        mapping.target(sales::state::EXCLUDED),
        Some(meetings::state::EXCLUDED)
    );
    assert_eq!(mapping.target(sales::state::OFFER), None);
    assert!(mapping.unplaced.contains(&sales::state::OFFER));
}

#[test]
fn a_switch_that_would_strand_customers_is_refused_and_changes_nothing() {
    let mut world = World::sales();
    let booking = meetings::flow();
    let before = world.assignment.clone();
    let populated = BTreeSet::from([sales::state::OFFER, sales::state::LEAD]);
    assert_eq!(
        world
            .assignment
            .switch_flow(&world.flow, &booking, &SwitchPlan::default(), &populated),
        Err(AssignmentError::Switch(FlowSwitchError::Unplaced {
            states: vec!["Lead".into(), "Offer".into()],
            flow: "Møtebooking".into(),
        }))
    );
    assert_eq!(world.assignment, before);
    let plan = SwitchPlan {
        explicit: vec![
            (sales::state::OFFER, meetings::state::TO_CALL),
            (sales::state::LEAD, meetings::state::TO_CALL),
        ],
        confirm_category_changes: true,
    };
    let mapping = world
        .assignment
        .switch_flow(&world.flow, &booking, &plan, &populated)
        .expect("placed by hand");
    assert_eq!(
        mapping.target(sales::state::OFFER),
        Some(meetings::state::TO_CALL)
    );
    assert_eq!(
        mapping.placement.get(&sales::state::OFFER),
        Some(&Placement::Explicit)
    );
}

#[test]
fn switching_to_a_new_version_keeps_the_setup() {
    let mut world = World::sales().with_setup(|s| {
        s.outcome_options.insert(so::SALE, vec![name("Mobile")]);
    });
    let v2 = world.flow.new_draft().publish().expect("valid");
    let populated = world.flow.states().iter().map(|s| s.id).collect();
    let mapping = world
        .assignment
        .switch_flow(&world.flow, &v2, &SwitchPlan::default(), &populated)
        .expect("same data owner");
    assert!(mapping.unplaced.is_empty());
    assert_eq!(world.assignment.flow().version, 2);
    assert_eq!(world.setup().outcome_options.len(), 1);
}

#[test]
fn switching_to_another_data_owners_flow_is_refused() {
    let mut world = World::sales();
    let mut draft = sales::draft();
    draft.data_owner = OTHER_DATA_OWNER;
    let theirs = draft.publish().expect("valid");
    let before = world.assignment.clone();
    assert_eq!(
        world.assignment.switch_flow(
            &world.flow,
            &theirs,
            &SwitchPlan::default(),
            &BTreeSet::new()
        ),
        Err(AssignmentError::FlowOfAnotherDataOwner("Salg".into()))
    );
    assert_eq!(world.assignment, before);
}

#[test]
fn an_assignment_can_be_renamed_and_given_a_client() {
    let mut assignment = World::sales().assignment;
    assignment.rename(name("Winter campaign"));
    assignment.set_client(Some(id(71)));
    assert_eq!(assignment.name(), &name("Winter campaign"));
    assert_eq!(assignment.client(), Some(id(71)));
}

#[test]
fn an_outcomes_fields_are_checked_and_the_error_names_the_outcome() {
    use cube_domain::fields::{FieldDefinition, FieldError, FieldType};
    let field = |label| {
        FieldDefinition::new(key("region"), label, FieldType::Text, false).expect("a definition")
    };
    let error = setup_error(|s| {
        s.outcome_fields
            .insert(so::SALE, vec![field("Region"), field("Område")]);
    });
    assert_eq!(
        error,
        AssignmentError::OutcomeFields {
            outcome: "Sale".into(),
            error: FieldError::DuplicateKey("region".into()),
        }
    );
    assert!(
        error
            .to_string()
            .starts_with("the fields of outcome 'Sale': "),
        "{error}"
    );
}
