//! Flows: the state machine a customer moves through in an assignment. A flow is drafted,
//! checked and published; a published version is frozen (`PublishedFlow`) and is the only
//! kind an assignment can use. Editing a published flow starts a new draft version, and a
//! flow can be copied into a new, independent draft. The two flows of the help articles are
//! in [`seeds`].

use crate::ids::{DataOwnerId, FlowId, OutcomeId, StateId};
use crate::values::Name;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use thiserror::Error;

pub mod seeds;
mod switch;
pub use switch::{FlowSwitchError, Placement, StateMapping, SwitchPlan};

/// What a state means for work and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StateCategory {
    /// In the pool for "next customer" ("To call").
    Available,
    /// In progress (lead, offer, sale to follow up).
    Open,
    /// A positive conclusion (sale, yes).
    Yes,
    /// A negative conclusion (no sale, no).
    No,
    /// Taken out of the work (wrong number, do not call).
    Excluded,
}

impl StateCategory {
    /// The category as one lower-case word (`available`, `open`, `yes`, `no`, `excluded`):
    /// how adapters write it in columns, files and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            StateCategory::Available => "available",
            StateCategory::Open => "open",
            StateCategory::Yes => "yes",
            StateCategory::No => "no",
            StateCategory::Excluded => "excluded",
        }
    }

    /// The colour a state of this category is drawn in when it has none of its own: grey
    /// for to call, blue for open, green for yes, red for no, brown for excluded.
    pub fn colour(self) -> Colour {
        match self {
            StateCategory::Available => Colour::rgb(0x75, 0x75, 0x75),
            StateCategory::Open => Colour::rgb(0x15, 0x65, 0xc0),
            StateCategory::Yes => Colour::rgb(0x2e, 0x7d, 0x32),
            StateCategory::No => Colour::rgb(0xc6, 0x28, 0x28),
            StateCategory::Excluded => Colour::rgb(0x6d, 0x4c, 0x41),
        }
    }

    /// Yes or No: reaching it is a conclusion.
    pub fn is_conclusion(self) -> bool {
        matches!(self, StateCategory::Yes | StateCategory::No)
    }
}

/// A state of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The id, stable across versions of the flow.
    pub id: StateId,
    /// The name shown to sellers.
    pub name: Name,
    /// What the state means.
    pub category: StateCategory,
    /// The colour reports draw the state in (seed 003); `None` draws it in its category's
    /// colour ([`State::colour`]). Flows stored before states had colours read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<Colour>,
}

impl State {
    /// The colour to draw the state in: its own, or its category's.
    pub fn colour(&self) -> Colour {
        self.colour.unwrap_or(self.category.colour())
    }
}

/// A colour as reports and pages draw it: `#rrggbb`, stored in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Colour([u8; 3]);

/// A colour that is not `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("colour '{0}' is not a hex colour such as #2e7d32 (a '#' and six hex digits)")]
pub struct ColourError(String);

impl Colour {
    /// A colour from its red, green and blue parts.
    pub const fn rgb(red: u8, green: u8, blue: u8) -> Self {
        Self([red, green, blue])
    }

    /// Parses `#rrggbb` (either case; surrounding spaces ignored).
    pub fn parse(raw: &str) -> Result<Self, ColourError> {
        let refuse = || ColourError(crate::values::excerpt(raw));
        let hex = raw.trim().strip_prefix('#').ok_or_else(refuse)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse());
        }
        let part = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| refuse());
        Ok(Self([part(0)?, part(2)?, part(4)?]))
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

impl TryFrom<String> for Colour {
    type Error = ColourError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Colour> for String {
    fn from(value: Colour) -> Self {
        value.to_string()
    }
}

/// The two contact attempts that never move the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AttemptKind {
    /// Nobody answered; no time can be given.
    NoAnswer,
    /// The customer asked to be called at a given time.
    CallBackLater,
}

/// What registering an outcome does to the customer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutcomeKind {
    /// Moves the customer to `target`.
    Progress {
        /// The state the customer lands in.
        target: StateId,
    },
    /// A contact attempt; the state does not change.
    Attempt(AttemptKind),
}

/// An outcome of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The id, stable across versions of the flow.
    pub id: OutcomeId,
    /// The name shown to sellers ("Meeting booked", "Sale").
    pub name: Name,
    /// Progress or attempt.
    pub kind: OutcomeKind,
    /// The states it may be chosen from.
    pub from: BTreeSet<StateId>,
    /// Registering it may schedule a follow-up (a time to contact again).
    pub schedules_follow_up: bool,
    /// Registering it takes product lines.
    pub carries_products: bool,
    /// Registering it books a meeting.
    pub books_meeting: bool,
}

/// One thing wrong with a flow draft. Publishing refuses a draft with any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum FlowProblem {
    /// The flow has no states.
    #[error("the flow has no states")]
    NoStates,
    /// The initial state is not one of the flow's states.
    #[error("the initial state is not one of the flow's states")]
    UnknownInitialState,
    /// New customers must start in the pool.
    #[error("the initial state '{0}' must be of category Available")]
    InitialNotAvailable(String),
    /// Two states share a name or an id.
    #[error("two states are named '{0}'")]
    DuplicateState(String),
    /// Two outcomes share a name or an id.
    #[error("two outcomes are named '{0}'")]
    DuplicateOutcome(String),
    /// An outcome may be chosen from a state that does not exist.
    #[error("outcome '{0}' may be chosen from a state that is not in the flow")]
    UnknownFromState(String),
    /// An outcome can never be chosen.
    #[error("outcome '{0}' may not be chosen from any state")]
    NoFromStates(String),
    /// A progress outcome leads to a state that does not exist.
    #[error("outcome '{0}' leads to a state that is not in the flow")]
    UnknownTarget(String),
    /// Attempts never move the customer, so they carry no products or meetings.
    #[error("attempt outcome '{0}' cannot carry products or book meetings")]
    AttemptWithEffects(String),
    /// NoAnswer takes no time, so it cannot schedule a follow-up.
    #[error("NoAnswer outcome '{0}' cannot schedule a follow-up")]
    NoAnswerWithFollowUp(String),
    /// A state no customer can ever reach.
    #[error("state '{0}' cannot be reached from the initial state")]
    Unreachable(String),
}

/// The part of a flow draft a [`FlowProblem`] is about: where an editor shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemPlace<'a> {
    /// The flow's initial state (or the flow as a whole: no states at all).
    Initial,
    /// The state with this name.
    State(&'a str),
    /// The outcome with this name.
    Outcome(&'a str),
}

impl FlowProblem {
    /// Where the problem is: next to which field an editor shows it.
    pub fn place(&self) -> ProblemPlace<'_> {
        match self {
            FlowProblem::NoStates
            | FlowProblem::UnknownInitialState
            | FlowProblem::InitialNotAvailable(_) => ProblemPlace::Initial,
            FlowProblem::DuplicateState(name) | FlowProblem::Unreachable(name) => {
                ProblemPlace::State(name)
            }
            FlowProblem::DuplicateOutcome(name)
            | FlowProblem::UnknownFromState(name)
            | FlowProblem::NoFromStates(name)
            | FlowProblem::UnknownTarget(name)
            | FlowProblem::AttemptWithEffects(name)
            | FlowProblem::NoAnswerWithFollowUp(name) => ProblemPlace::Outcome(name),
        }
    }
}

/// Why a flow operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlowError {
    /// The draft has problems; all of them are listed.
    #[error("the flow cannot be published: {}", list(.0))]
    Invalid(Vec<FlowProblem>),
}

fn list(problems: &[FlowProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Identifies one published version of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FlowVersion {
    /// The flow.
    pub flow: FlowId,
    /// The version number, from 1.
    pub version: u32,
}

impl fmt::Display for FlowVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}", self.flow, self.version)
    }
}

/// A flow being edited. Anything goes until it is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowDraft {
    /// The flow id.
    pub id: FlowId,
    /// The data owner whose assignments may use it.
    pub data_owner: DataOwnerId,
    /// The version this draft will become when published.
    pub version: u32,
    /// The flow's name.
    pub name: Name,
    /// Where new enrollments start.
    pub initial: StateId,
    /// The states.
    pub states: Vec<State>,
    /// The outcomes.
    pub outcomes: Vec<Outcome>,
}

impl FlowDraft {
    /// Everything wrong with the draft; empty when it can be published.
    pub fn problems(&self) -> Vec<FlowProblem> {
        let mut problems = Vec::new();
        if self.states.is_empty() {
            problems.push(FlowProblem::NoStates);
        }
        let mut state_names = BTreeSet::new();
        let mut state_ids = BTreeSet::new();
        for state in &self.states {
            // Both inserts must run: a short-circuit would leave a duplicate-named state's id
            // out of `state_ids` and report every outcome touching it as unknown.
            let new_name = state_names.insert(state.name.as_str().to_lowercase());
            let new_id = state_ids.insert(state.id);
            if !new_name || !new_id {
                problems.push(FlowProblem::DuplicateState(state.name.to_string()));
            }
        }
        match self.states.iter().find(|s| s.id == self.initial) {
            None if !self.states.is_empty() => problems.push(FlowProblem::UnknownInitialState),
            Some(s) if s.category != StateCategory::Available => {
                problems.push(FlowProblem::InitialNotAvailable(s.name.to_string()));
            }
            _ => {}
        }
        let mut outcome_names = BTreeSet::new();
        let mut outcome_ids = BTreeSet::new();
        for outcome in &self.outcomes {
            let name = outcome.name.to_string();
            let new_name = outcome_names.insert(outcome.name.as_str().to_lowercase());
            let new_id = outcome_ids.insert(outcome.id);
            if !new_name || !new_id {
                problems.push(FlowProblem::DuplicateOutcome(name.clone()));
            }
            if outcome.from.is_empty() {
                problems.push(FlowProblem::NoFromStates(name.clone()));
            }
            if outcome.from.iter().any(|s| !state_ids.contains(s)) {
                problems.push(FlowProblem::UnknownFromState(name.clone()));
            }
            match outcome.kind {
                OutcomeKind::Progress { target } if !state_ids.contains(&target) => {
                    problems.push(FlowProblem::UnknownTarget(name.clone()));
                }
                OutcomeKind::Attempt(kind) => {
                    if outcome.carries_products || outcome.books_meeting {
                        problems.push(FlowProblem::AttemptWithEffects(name.clone()));
                    }
                    if kind == AttemptKind::NoAnswer && outcome.schedules_follow_up {
                        problems.push(FlowProblem::NoAnswerWithFollowUp(name.clone()));
                    }
                }
                OutcomeKind::Progress { .. } => {}
            }
        }
        if state_ids.contains(&self.initial) {
            let reachable = reachable_states(self.initial, &self.outcomes);
            for state in &self.states {
                if !reachable.contains(&state.id) {
                    problems.push(FlowProblem::Unreachable(state.name.to_string()));
                }
            }
        }
        problems
    }

    /// Checks the draft and freezes it as a published version.
    pub fn publish(self) -> Result<PublishedFlow, FlowError> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(FlowError::Invalid(problems));
        }
        let states = self.states.iter().map(|s| (s.id, s.clone())).collect();
        let outcomes = self.outcomes.iter().map(|o| (o.id, o.clone())).collect();
        Ok(PublishedFlow {
            draft: self,
            states,
            outcomes,
        })
    }
}

/// Names compare ignoring case the way `problems` does (full Unicode, so "Møte" = "MØTE").
fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

fn reachable_states(initial: StateId, outcomes: &[Outcome]) -> BTreeSet<StateId> {
    let mut seen = BTreeSet::from([initial]);
    let mut queue = VecDeque::from([initial]);
    while let Some(state) = queue.pop_front() {
        for outcome in outcomes.iter().filter(|o| o.from.contains(&state)) {
            if let OutcomeKind::Progress { target } = outcome.kind
                && seen.insert(target)
            {
                queue.push_back(target);
            }
        }
    }
    seen
}

/// A checked, frozen flow version. Only `FlowDraft::publish` makes one, so every outcome's
/// states exist, the initial state is `Available` and every state is reachable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedFlow {
    draft: FlowDraft,
    #[serde(skip)]
    states: BTreeMap<StateId, State>,
    #[serde(skip)]
    outcomes: BTreeMap<OutcomeId, Outcome>,
}

impl PublishedFlow {
    /// The flow id.
    pub fn id(&self) -> FlowId {
        self.draft.id
    }
    /// The version this is.
    pub fn version(&self) -> FlowVersion {
        FlowVersion {
            flow: self.draft.id,
            version: self.draft.version,
        }
    }
    /// The data owner.
    pub fn data_owner(&self) -> DataOwnerId {
        self.draft.data_owner
    }
    /// The name.
    pub fn name(&self) -> &Name {
        &self.draft.name
    }
    /// The initial state.
    pub fn initial_state(&self) -> StateId {
        self.draft.initial
    }
    /// The states, in the order they were defined.
    pub fn states(&self) -> &[State] {
        &self.draft.states
    }
    /// The outcomes, in the order they were defined.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.draft.outcomes
    }
    /// One state.
    pub fn state(&self, id: StateId) -> Option<&State> {
        self.states.get(&id)
    }
    /// One outcome.
    pub fn outcome(&self, id: OutcomeId) -> Option<&Outcome> {
        self.outcomes.get(&id)
    }
    /// A state by name (case-insensitive).
    pub fn state_named(&self, name: &str) -> Option<&State> {
        self.draft
            .states
            .iter()
            .find(|s| same_name(s.name.as_str(), name))
    }
    /// An outcome by name (case-insensitive).
    pub fn outcome_named(&self, name: &str) -> Option<&Outcome> {
        self.draft
            .outcomes
            .iter()
            .find(|o| same_name(o.name.as_str(), name))
    }
    /// The category of a state; `Excluded` for a state the flow does not know.
    pub fn category(&self, id: StateId) -> StateCategory {
        self.state(id)
            .map_or(StateCategory::Excluded, |s| s.category)
    }

    /// The next draft version of this flow, with the same ids, to edit and publish.
    pub fn new_draft(&self) -> FlowDraft {
        FlowDraft {
            version: self.draft.version + 1,
            ..self.draft.clone()
        }
    }

    /// An independent copy under a new id and name, as version 1.
    pub fn copy(&self, id: FlowId, name: Name) -> FlowDraft {
        FlowDraft {
            id,
            name,
            version: 1,
            ..self.draft.clone()
        }
    }

    /// The draft this version was published from (for storage and display).
    pub fn as_draft(&self) -> &FlowDraft {
        &self.draft
    }
}

impl<'de> Deserialize<'de> for PublishedFlow {
    /// A stored published flow is checked again on the way in: a row edited by hand cannot
    /// smuggle an invalid flow past `publish`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            draft: FlowDraft,
        }
        let stored = Stored::deserialize(deserializer)?;
        stored.draft.publish().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod problem_place_tests {
    use super::*;

    #[test]
    fn every_problem_names_the_part_of_the_draft_it_is_about() {
        assert_eq!(FlowProblem::NoStates.place(), ProblemPlace::Initial);
        assert_eq!(
            FlowProblem::InitialNotAvailable("Lead".into()).place(),
            ProblemPlace::Initial
        );
        assert_eq!(
            FlowProblem::Unreachable("Offer".into()).place(),
            ProblemPlace::State("Offer")
        );
        assert_eq!(
            FlowProblem::NoFromStates("Sale".into()).place(),
            ProblemPlace::Outcome("Sale")
        );
        assert_eq!(
            FlowProblem::NoAnswerWithFollowUp("No answer".into()).place(),
            ProblemPlace::Outcome("No answer")
        );
    }
}
