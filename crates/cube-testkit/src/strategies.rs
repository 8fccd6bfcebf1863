//! Proptest strategies shared by every crate's property tests: publishable flows of varying
//! shape, and walks through a flow that only ever choose an outcome allowed from the state
//! the customer is in.
//!
//! A generated flow is built, not filtered: a spanning tree of progress outcomes from the
//! initial state makes every state reachable, and flags are only set where the rules allow
//! them, so `FlowDraft::publish` accepts every draft `valid_flow` produces.

use cube_domain::flow::{
    AttemptKind, Colour, FlowDraft, Outcome, OutcomeKind, PublishedFlow, State, StateCategory,
};
use cube_domain::ids::{DataOwnerId, FlowId, OutcomeId, StateId};
use cube_domain::values::Name;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The flow id of generated drafts (callers may change `FlowDraft::id`).
pub const GENERATED_FLOW: FlowId = FlowId::from_uuid(Uuid::from_u128(0xF10E_0000));
/// The data owner of generated drafts (callers may change `FlowDraft::data_owner`).
pub const GENERATED_OWNER: DataOwnerId = DataOwnerId::from_uuid(Uuid::from_u128(0xD0_0000));

/// The id of generated state number `i` (0 is the initial state).
pub fn generated_state(i: usize) -> StateId {
    StateId::from_uuid(Uuid::from_u128(0x57A7_0000 + i as u128))
}

/// The id of generated outcome number `i`.
pub fn generated_outcome(i: usize) -> OutcomeId {
    OutcomeId::from_uuid(Uuid::from_u128(0x0C0E_0000 + i as u128))
}

fn any_category() -> impl Strategy<Value = StateCategory> {
    prop_oneof![
        Just(StateCategory::Available),
        Just(StateCategory::Open),
        Just(StateCategory::Yes),
        Just(StateCategory::No),
        Just(StateCategory::Excluded),
    ]
}

/// What an outcome does, before it is tied to state ids.
#[derive(Debug, Clone)]
enum Effect {
    NoAnswer,
    CallBackLater,
    Progress(Index),
}

fn any_effect() -> impl Strategy<Value = Effect> {
    prop_oneof![
        1 => Just(Effect::NoAnswer),
        1 => Just(Effect::CallBackLater),
        3 => any::<Index>().prop_map(Effect::Progress),
    ]
}

/// An outcome's shape: its effect, extra states it may be chosen from (a bit mask), flags.
type Shape = (Effect, u16, bool, bool, bool);

fn any_shape() -> impl Strategy<Value = Shape> {
    (
        any_effect(),
        any::<u16>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
}

fn name(raw: &str) -> Name {
    Name::parse(raw).expect("generated names are short and non-empty")
}

fn states_in(mask: u16, count: usize) -> impl Iterator<Item = StateId> {
    (0..count)
        .filter(move |i| mask & (1 << i) != 0)
        .map(generated_state)
}

/// Publishable drafts: 2 to 8 states (the first Available and initial, the rest of any
/// category), a progress outcome into each non-initial state from an earlier one, and up to
/// six more outcomes — No answer, Call back later or progress — from random states, with the
/// product, meeting and follow-up flags set at random where the rules allow them.
pub fn valid_flow() -> impl Strategy<Value = FlowDraft> {
    (2usize..=8)
        .prop_flat_map(|count| {
            let categories = vec(any_category(), count - 1);
            let parents: Vec<_> = (1..count).map(|i| 0..i).collect();
            let tree_shapes = vec(any_shape(), count - 1);
            let extra_shapes = vec(any_shape(), 0..=6);
            (Just(count), categories, parents, tree_shapes, extra_shapes)
        })
        .prop_map(|(count, categories, parents, tree, extra)| {
            build_flow(count, &categories, &parents, &tree, &extra)
        })
}

fn build_flow(
    count: usize,
    categories: &[StateCategory],
    parents: &[usize],
    tree: &[Shape],
    extra: &[Shape],
) -> FlowDraft {
    let states: Vec<State> = (0..count)
        .map(|i| State {
            id: generated_state(i),
            name: name(&format!("State {i}")),
            category: if i == 0 {
                StateCategory::Available
            } else {
                categories[i - 1]
            },
            // Every third state has a colour of its own, so stores round-trip both kinds.
            colour: (i % 3 == 1).then(|| Colour::rgb(i as u8, 0x40, 0x80)),
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut push = |kind: OutcomeKind, from: BTreeSet<StateId>, shape: &Shape| {
        let (_, _, products, meeting, follow_up) = *shape;
        let i = outcomes.len();
        let attempt = matches!(kind, OutcomeKind::Attempt(_));
        outcomes.push(Outcome {
            id: generated_outcome(i),
            name: name(&format!("Outcome {i}")),
            kind,
            from,
            schedules_follow_up: match kind {
                OutcomeKind::Attempt(AttemptKind::NoAnswer) => false,
                OutcomeKind::Attempt(AttemptKind::CallBackLater) => true,
                OutcomeKind::Progress { .. } => follow_up,
            },
            carries_products: products && !attempt,
            books_meeting: meeting && !attempt,
        });
    };
    for (i, shape) in tree.iter().enumerate() {
        let target = i + 1;
        let mut from: BTreeSet<StateId> = states_in(shape.1, count).collect();
        from.insert(generated_state(parents[i]));
        push(
            OutcomeKind::Progress {
                target: generated_state(target),
            },
            from,
            shape,
        );
    }
    for shape in extra {
        let mut from: BTreeSet<StateId> = states_in(shape.1, count).collect();
        if from.is_empty() {
            from.insert(generated_state(0));
        }
        let kind = match &shape.0 {
            Effect::NoAnswer => OutcomeKind::Attempt(AttemptKind::NoAnswer),
            Effect::CallBackLater => OutcomeKind::Attempt(AttemptKind::CallBackLater),
            Effect::Progress(target) => OutcomeKind::Progress {
                target: generated_state(target.index(count)),
            },
        };
        push(kind, from, shape);
    }
    FlowDraft {
        id: GENERATED_FLOW,
        data_owner: GENERATED_OWNER,
        version: 1,
        name: name("Generated flow"),
        initial: generated_state(0),
        states,
        outcomes,
    }
}

/// [`valid_flow`], published.
pub fn valid_published_flow() -> impl Strategy<Value = PublishedFlow> {
    // `valid_flow` only builds publishable drafts, so this filter never rejects.
    valid_flow().prop_filter_map("valid_flow builds publishable drafts", |draft| {
        draft.publish().ok()
    })
}

/// One step of a walk through a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The outcome chosen.
    pub outcome: OutcomeId,
    /// The state it was chosen from.
    pub from: StateId,
    /// The state it leads to (the same state for attempts).
    pub to: StateId,
    /// Whether it is an attempt (`NoAnswer` or `CallBackLater`), and which.
    pub attempt: Option<AttemptKind>,
}

/// Walks `flow` from its initial state: each choice picks, modulo their number, one of the
/// outcomes allowed from the current state (in the flow's order). The walk stops early at a
/// state no outcome may be chosen from.
pub fn walk(flow: &PublishedFlow, choices: &[u8]) -> Vec<Step> {
    let mut state = flow.initial_state();
    let mut steps = Vec::with_capacity(choices.len());
    for choice in choices {
        let allowed: Vec<&Outcome> = flow
            .outcomes()
            .iter()
            .filter(|o| o.from.contains(&state))
            .collect();
        if allowed.is_empty() {
            break;
        }
        let outcome = allowed[usize::from(*choice) % allowed.len()];
        let (to, attempt) = match outcome.kind {
            OutcomeKind::Progress { target } => (target, None),
            OutcomeKind::Attempt(kind) => (state, Some(kind)),
        };
        steps.push(Step {
            outcome: outcome.id,
            from: state,
            to,
            attempt,
        });
        state = to;
    }
    steps
}

/// Walks of up to `max_len` steps through `flow`, each outcome allowed from the state the
/// customer is in when it is chosen.
pub fn outcome_sequence(
    flow: &PublishedFlow,
    max_len: usize,
) -> impl Strategy<Value = Vec<Step>> + use<> {
    let flow = flow.clone();
    vec(any::<u8>(), 0..=max_len).prop_map(move |choices| walk(&flow, &choices))
}

/// A published flow together with a walk through it.
pub fn flow_with_walk(max_len: usize) -> impl Strategy<Value = (PublishedFlow, Vec<Step>)> {
    valid_published_flow().prop_flat_map(move |flow| {
        let walks = outcome_sequence(&flow, max_len);
        (Just(flow), walks)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn generated_flows_publish(draft in valid_flow()) {
            prop_assert_eq!(draft.problems(), vec![]);
        }

        #[test]
        fn walks_choose_only_allowed_outcomes((flow, steps) in flow_with_walk(20)) {
            let mut state = flow.initial_state();
            for step in steps {
                let outcome = flow.outcome(step.outcome).expect("the outcome exists");
                prop_assert!(outcome.from.contains(&state));
                prop_assert_eq!(step.from, state);
                state = step.to;
            }
        }
    }
}
