//! Flow validation, versions, copies, state mapping and the stored form of a published flow.

mod common;

use common::*;
use cube_domain::flow::{
    AttemptKind, FlowDraft, FlowError, FlowProblem, FlowSwitchError, OutcomeKind, Placement,
    PublishedFlow, StateCategory, SwitchPlan,
};
use cube_domain::ids::{FlowId, OutcomeId, StateId};
use std::collections::BTreeSet;

/// The problems of the sales draft after `break_it`.
fn problems_after(break_it: impl FnOnce(&mut FlowDraft)) -> Vec<FlowProblem> {
    let mut draft = sales::draft();
    break_it(&mut draft);
    draft.problems()
}

fn outcome_mut(draft: &mut FlowDraft, id: OutcomeId) -> &mut cube_domain::flow::Outcome {
    draft
        .outcomes
        .iter_mut()
        .find(|o| o.id == id)
        .expect("the outcome is in the draft")
}

#[test]
fn the_sales_flow_publishes_as_drafted() {
    let draft = sales::draft();
    assert_eq!(draft.problems(), vec![]);
    let flow = draft.clone().publish().expect("valid");
    assert_eq!(flow.as_draft(), &draft);
    assert_eq!(flow.initial_state(), sales::state::TO_CALL);
    assert_eq!(flow.version().version, 1);
    assert_eq!(flow.states().len(), 7);
    assert_eq!(flow.outcomes().len(), 8);
    assert_eq!(flow.category(sales::state::SALE), StateCategory::Yes);
    assert_eq!(
        flow.outcome_named("sale to FOLLOWUP").map(|o| o.id),
        Some(sales::outcome::SALE_TO_FOLLOWUP)
    );
}

#[test]
fn the_meeting_flow_publishes() {
    assert_eq!(meetings::draft().problems(), vec![]);
}

#[test]
fn a_draft_without_states_has_no_states() {
    let problems = problems_after(|d| {
        d.states.clear();
        d.outcomes.clear();
    });
    assert_eq!(problems, vec![FlowProblem::NoStates]);
}

#[test]
fn the_initial_state_must_be_available() {
    let problems = problems_after(|d| d.states[0].category = StateCategory::Open);
    assert_eq!(
        problems,
        vec![FlowProblem::InitialNotAvailable("To Call".into())]
    );
}

#[test]
fn the_initial_state_must_be_one_of_the_states() {
    let problems = problems_after(|d| d.initial = id(999));
    assert_eq!(problems, vec![FlowProblem::UnknownInitialState]);
}

#[test]
fn two_states_may_not_share_a_name_ignoring_case() {
    let problems = problems_after(|d| d.states[2].name = name("LEAD"));
    assert_eq!(problems, vec![FlowProblem::DuplicateState("LEAD".into())]);
}

#[test]
fn two_states_may_not_share_an_id() {
    let problems = problems_after(|d| {
        d.states
            .push(state(sales::state::LEAD, "Hot lead", StateCategory::Open));
    });
    assert_eq!(
        problems,
        vec![FlowProblem::DuplicateState("Hot lead".into())]
    );
}

#[test]
fn two_outcomes_may_not_share_a_name_ignoring_case() {
    let problems = problems_after(|d| outcome_mut(d, sales::outcome::NO_SALE).name = name("sale"));
    assert_eq!(problems, vec![FlowProblem::DuplicateOutcome("sale".into())]);
}

#[test]
fn an_outcome_may_not_be_chosen_from_an_unknown_state() {
    let problems = problems_after(|d| {
        outcome_mut(d, sales::outcome::LEAD).from.insert(id(999));
    });
    assert_eq!(problems, vec![FlowProblem::UnknownFromState("Lead".into())]);
}

#[test]
fn an_outcome_may_not_lead_to_an_unknown_state() {
    let problems = problems_after(|d| {
        outcome_mut(d, sales::outcome::NO_SALE).kind = progress(id(999));
        // "No sale" is still reachable another way, so the only fault is the target.
        outcome_mut(d, sales::outcome::EXCLUDED).kind = progress(sales::state::NO_SALE);
        d.outcomes.push(outcome(
            id(299),
            "Do not call",
            progress(sales::state::EXCLUDED),
            &[sales::state::TO_CALL],
        ));
    });
    assert_eq!(problems, vec![FlowProblem::UnknownTarget("No sale".into())]);
}

#[test]
fn an_attempt_cannot_carry_products() {
    let problems = problems_after(|d| {
        outcome_mut(d, sales::outcome::NO_ANSWER).carries_products = true;
    });
    assert_eq!(
        problems,
        vec![FlowProblem::AttemptWithEffects("No answer".into())]
    );
}

#[test]
fn an_attempt_cannot_book_meetings() {
    let problems = problems_after(|d| {
        outcome_mut(d, sales::outcome::CALL_BACK_LATER).books_meeting = true;
    });
    assert_eq!(
        problems,
        vec![FlowProblem::AttemptWithEffects("Call back later".into())]
    );
}

#[test]
fn no_answer_cannot_schedule_a_follow_up() {
    let problems = problems_after(|d| {
        outcome_mut(d, sales::outcome::NO_ANSWER).schedules_follow_up = true;
    });
    assert_eq!(
        problems,
        vec![FlowProblem::NoAnswerWithFollowUp("No answer".into())]
    );
}

#[test]
fn every_state_must_be_reachable_from_the_initial_state() {
    let problems = problems_after(|d| {
        d.states
            .push(state(id(199), "Archived", StateCategory::Excluded));
    });
    assert_eq!(problems, vec![FlowProblem::Unreachable("Archived".into())]);
}

#[test]
fn an_outcome_must_be_chosen_from_some_state() {
    let problems = problems_after(|d| {
        d.outcomes.push(outcome(
            id(299),
            "Never",
            progress(sales::state::EXCLUDED),
            &[],
        ));
    });
    assert_eq!(problems, vec![FlowProblem::NoFromStates("Never".into())]);
}

#[test]
fn reachability_only_follows_progress_outcomes() {
    // A state only "reached" by an attempt is unreachable: attempts never move anyone.
    let problems = problems_after(|d| {
        d.outcomes.retain(|o| o.id != sales::outcome::EXCLUDED);
    });
    assert_eq!(problems, vec![FlowProblem::Unreachable("Excluded".into())]);
}

#[test]
fn publishing_lists_every_problem_at_once() {
    let mut draft = sales::draft();
    draft.states[0].category = StateCategory::No;
    outcome_mut(&mut draft, sales::outcome::NO_ANSWER).schedules_follow_up = true;
    let Err(FlowError::Invalid(problems)) = draft.publish() else {
        panic!("a broken draft must not publish");
    };
    assert_eq!(
        problems,
        vec![
            FlowProblem::InitialNotAvailable("To Call".into()),
            FlowProblem::NoAnswerWithFollowUp("No answer".into()),
        ]
    );
    let message = FlowError::Invalid(problems).to_string();
    assert!(
        message.contains("'To Call' must be of category Available"),
        "{message}"
    );
    assert!(
        message.contains("'No answer' cannot schedule a follow-up"),
        "{message}"
    );
}

#[test]
fn a_new_draft_is_the_next_version_with_the_same_ids() {
    let flow = sales::flow();
    let draft = flow.new_draft();
    assert_eq!(draft.id, flow.id());
    assert_eq!(draft.version, 2);
    assert_eq!(draft.states, flow.states());
    assert_eq!(draft.outcomes, flow.outcomes());
    let next = draft.publish().expect("unchanged, still valid");
    assert_eq!(next.version().flow, flow.id());
    assert_eq!(next.version().version, 2);
    assert!(next.version() > flow.version());
}

#[test]
fn a_copy_is_version_one_of_a_new_flow() {
    let flow = sales::flow().new_draft().publish().expect("valid");
    let copy_id: FlowId = id(500);
    let copy = flow.copy(copy_id, name("Sales (copy)"));
    assert_eq!(copy.id, copy_id);
    assert_eq!(copy.version, 1);
    assert_eq!(copy.name, name("Sales (copy)"));
    assert_eq!(copy.data_owner, flow.data_owner());
    assert_eq!(copy.states, flow.states());
    let published = copy.publish().expect("a copy of a valid flow is valid");
    assert_eq!(published.id(), copy_id);
}

#[test]
fn states_map_by_id_onto_a_new_version() {
    let v1 = sales::flow();
    let mut draft = v1.new_draft();
    draft.states[1].name = name("Warm lead"); // renamed, same id
    let v2 = draft.publish().expect("valid");
    let mapping = v1.map_states_to(&v2);
    assert_eq!(
        mapping.map.get(&sales::state::LEAD),
        Some(&sales::state::LEAD)
    );
    assert_eq!(mapping.map.len(), 7);
    assert!(mapping.unplaced.is_empty());
}

#[test]
fn states_map_by_name_then_by_category_and_the_rest_have_no_place() {
    let sales = sales::flow();
    let booking = meetings::flow();
    let mapping = sales.map_states_to(&booking);
    let placed = |state| {
        (
            mapping.target(state),
            mapping.placement.get(&state).copied(),
        )
    };
    assert_eq!(
        placed(sales::state::TO_CALL),
        (Some(meetings::state::TO_CALL), Some(Placement::SameName))
    );
    assert_eq!(
        placed(sales::state::EXCLUDED),
        (Some(meetings::state::EXCLUDED), Some(Placement::SameName))
    );
    assert_eq!(
        placed(sales::state::SALE),
        (
            Some(meetings::state::MEETING_BOOKED),
            Some(Placement::SameCategory)
        )
    );
    assert_eq!(
        placed(sales::state::NO_SALE),
        (
            Some(meetings::state::NOT_INTERESTED),
            Some(Placement::SameCategory)
        )
    );
    // The booking flow has no Open state: leads and offers are never parked in "To call".
    assert_eq!(
        mapping.unplaced,
        vec![
            sales::state::LEAD,
            sales::state::OFFER,
            sales::state::SALE_TO_FOLLOWUP
        ]
    );
}

#[test]
fn an_excluded_state_never_maps_to_a_callable_state_of_the_same_name() {
    // The new flow calls its Available state "Wrong number" — a name match across
    // categories would put excluded customers back in the queue.
    let mut to = with_fresh_state_ids(meetings::flow().copy(id(700), name("Booking 2")), 710);
    to.states[0].name = name("Excluded");
    to.states[3].name = name("Gone");
    let to = to.publish().expect("valid");
    let mapping = sales::flow().map_states_to(&to);
    let target = mapping.target(sales::state::EXCLUDED).expect("placed");
    assert_eq!(to.category(target), StateCategory::Excluded);
    assert_eq!(
        mapping.placement.get(&sales::state::EXCLUDED),
        Some(&Placement::SameCategory)
    );
}

#[test]
fn a_switch_plan_is_checked_like_a_flow() {
    let sales = sales::flow();
    let booking = meetings::flow();
    let populated = BTreeSet::from([sales::state::LEAD, sales::state::EXCLUDED]);
    let plan = |explicit: Vec<(StateId, StateId)>, confirm| SwitchPlan {
        explicit,
        confirm_category_changes: confirm,
    };
    assert_eq!(
        sales.plan_switch(&booking, &SwitchPlan::default(), &populated),
        Err(FlowSwitchError::Unplaced {
            states: vec!["Lead".into()],
            flow: "Møtebooking".into()
        })
    );
    let lead_to_call = vec![(sales::state::LEAD, meetings::state::TO_CALL)];
    let refused = sales
        .plan_switch(&booking, &plan(lead_to_call.clone(), false), &populated)
        .expect_err("Open to Available changes the category");
    assert!(
        refused.to_string().contains("confirm_category_changes"),
        "{refused}"
    );
    let mapping = sales
        .plan_switch(&booking, &plan(lead_to_call, true), &populated)
        .expect("confirmed");
    assert_eq!(
        mapping.target(sales::state::LEAD),
        Some(meetings::state::TO_CALL)
    );
    assert_eq!(
        sales.plan_switch(
            &booking,
            &plan(
                vec![(meetings::state::TO_CALL, meetings::state::TO_CALL)],
                true
            ),
            &populated
        ),
        Err(FlowSwitchError::UnknownFromState(meetings::state::TO_CALL))
    );
    assert_eq!(
        sales.plan_switch(
            &booking,
            &plan(vec![(sales::state::LEAD, sales::state::OFFER)], true),
            &populated
        ),
        Err(FlowSwitchError::UnknownToState {
            state: sales::state::OFFER,
            flow: "Møtebooking".into()
        })
    );
    let twice = vec![
        (sales::state::LEAD, meetings::state::TO_CALL),
        (sales::state::LEAD, meetings::state::EXCLUDED),
    ];
    assert_eq!(
        sales.plan_switch(&booking, &plan(twice, true), &populated),
        Err(FlowSwitchError::DuplicateFromState("Lead".into()))
    );
    // An explicit entry overrides even a placement by name.
    let mapping = sales
        .plan_switch(
            &booking,
            &plan(
                vec![
                    (sales::state::LEAD, meetings::state::TO_CALL),
                    (sales::state::EXCLUDED, meetings::state::NOT_INTERESTED),
                ],
                true,
            ),
            &populated,
        )
        .expect("confirmed");
    assert_eq!(
        mapping.target(sales::state::EXCLUDED),
        Some(meetings::state::NOT_INTERESTED)
    );
}

/// The same draft with every state renumbered from `base` (another flow's states).
fn with_fresh_state_ids(mut draft: FlowDraft, base: u128) -> FlowDraft {
    let old: Vec<StateId> = draft.states.iter().map(|s| s.id).collect();
    let new = |state: StateId| {
        let position = old
            .iter()
            .position(|o| *o == state)
            .expect("a state of the draft");
        id::<StateId>(base + position as u128)
    };
    draft.initial = new(draft.initial);
    for o in &mut draft.outcomes {
        o.from = o.from.iter().map(|s| new(*s)).collect();
        if let OutcomeKind::Progress { target } = &mut o.kind {
            *target = new(*target);
        }
    }
    for s in &mut draft.states {
        s.id = new(s.id);
    }
    draft
}

#[test]
fn state_names_match_ignoring_case_also_for_norwegian_letters() {
    let mut from = meetings::draft();
    from.states[1].name = name("Møte booket");
    let from = from.publish().expect("valid");
    let mut to = with_fresh_state_ids(from.copy(id(600), name("Møtebooking 2")), 610);
    to.states[1].name = name("MØTE BOOKET");
    let to = to.publish().expect("valid");
    assert_eq!(
        to.state_named("møte booket").map(|s| s.id),
        Some(id::<StateId>(611))
    );
    let mapping = from.map_states_to(&to);
    assert_eq!(
        mapping.map.get(&meetings::state::MEETING_BOOKED),
        Some(&id::<StateId>(611))
    );
    assert!(mapping.unplaced.is_empty(), "{:?}", mapping.unplaced);
}

#[test]
fn a_published_flow_survives_a_json_round_trip() {
    let flow = sales::flow();
    let json = serde_json::to_string(&flow).expect("serializes");
    let back: PublishedFlow = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, flow);
    assert_eq!(
        back.state(sales::state::OFFER),
        flow.state(sales::state::OFFER)
    );
    assert_eq!(
        back.outcome(sales::outcome::SALE),
        flow.outcome(sales::outcome::SALE)
    );
}

#[test]
fn a_tampered_stored_flow_is_refused_on_the_way_in() {
    let flow = sales::flow();
    let mut json = serde_json::to_value(&flow).expect("serializes");
    json["draft"]["initial"] = serde_json::to_value(sales::state::SALE).expect("serializes");
    let error = serde_json::from_value::<PublishedFlow>(json).expect_err("must be re-checked");
    assert!(
        error.to_string().contains("must be of category Available"),
        "{error}"
    );
}

#[test]
fn a_stored_flow_with_an_attempt_carrying_products_is_refused() {
    let mut json = serde_json::to_value(sales::flow()).expect("serializes");
    let outcomes = json["draft"]["outcomes"]
        .as_array_mut()
        .expect("outcomes are a list");
    outcomes[0]["carries_products"] = true.into();
    assert!(serde_json::from_value::<PublishedFlow>(json).is_err());
}

#[test]
fn attempts_keep_their_kind_through_storage() {
    let flow = sales::flow();
    let json = serde_json::to_string(&flow).expect("serializes");
    let back: PublishedFlow = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(
        back.outcome(sales::outcome::CALL_BACK_LATER)
            .map(|o| o.kind),
        Some(OutcomeKind::Attempt(AttemptKind::CallBackLater))
    );
}

#[test]
fn a_colour_is_six_hex_digits_after_a_hash_and_reads_back_in_lower_case() {
    use cube_domain::flow::Colour;
    let colour = Colour::parse(" #2E7D32 ").expect("a colour");
    assert_eq!(colour, Colour::rgb(0x2e, 0x7d, 0x32));
    assert_eq!(colour.to_string(), "#2e7d32");
    for bad in [
        "2e7d32", "#2e7d3", "#2e7d321", "#gggggg", "", "#", "red", "#2e7d3²",
    ] {
        let error = Colour::parse(bad).expect_err(bad).to_string();
        assert!(error.contains("#2e7d32"), "{bad}: {error} shows the shape");
    }
    let long = format!("#{}", "a".repeat(5_000));
    assert!(
        Colour::parse(&long)
            .expect_err("too long")
            .to_string()
            .len()
            < 200
    );
}

#[test]
fn a_state_without_a_colour_is_drawn_in_its_category_colour_and_old_flows_read() {
    let flow = sales::flow();
    for state in flow.states() {
        assert_eq!(state.colour, None);
        assert_eq!(state.colour(), state.category.colour());
    }
    let categories = [
        StateCategory::Available,
        StateCategory::Open,
        StateCategory::Yes,
        StateCategory::No,
        StateCategory::Excluded,
    ];
    let distinct: std::collections::BTreeSet<String> =
        categories.iter().map(|c| c.colour().to_string()).collect();
    assert_eq!(distinct.len(), categories.len(), "one colour per category");

    // A state stored before colours existed reads as having none; one with a colour keeps it.
    let old: cube_domain::flow::State = serde_json::from_value(serde_json::json!({
        "id": "00000000-0000-7000-8000-000000000001", "name": "Lead", "category": "Open"
    }))
    .expect("an old state reads");
    assert_eq!(old.colour(), StateCategory::Open.colour());
    let mut coloured = old.clone();
    coloured.colour = Some(cube_domain::flow::Colour::rgb(1, 2, 3));
    let back: cube_domain::flow::State =
        serde_json::from_value(serde_json::to_value(&coloured).expect("writes")).expect("reads");
    assert_eq!(back, coloured);
    assert!(
        !serde_json::to_string(&old)
            .expect("writes")
            .contains("colour"),
        "no colour written for a state without one, so stored documents keep their shape"
    );
}
