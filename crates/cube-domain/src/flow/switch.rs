//! Switching an assignment to another flow: where each old state's customers go.
//!
//! The rule (issue: a switch must never bring excluded customers back into the queue): an
//! old state goes to the state the caller names for it, else the state of the same id (a new
//! version of the same flow), else a state of the same name *and category*, else the first
//! state of the same category (the initial state when it is of that category). A state with
//! customers that finds no place refuses the whole switch, naming the states, so the caller
//! sends a mapping for them; nothing is ever parked in the initial state by default.
//! A mapping the caller sends that changes a state's category must be confirmed.

use super::{PublishedFlow, StateCategory, same_name};
use crate::ids::StateId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// How an old state found its place in the new flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The caller named the new state.
    Explicit,
    /// The new flow has a state of the same id (a new version of the same flow).
    SameId,
    /// The new flow has a state of the same name and category.
    SameName,
    /// The new flow has a state of the same category (its first, or its initial state).
    SameCategory,
}

impl Placement {
    /// The placement as one snake-case word, as adapters write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Explicit => "explicit",
            Placement::SameId => "same_id",
            Placement::SameName => "same_name",
            Placement::SameCategory => "same_category",
        }
    }
}

/// What the caller asks of a switch: states placed by hand, and whether a hand-placed state
/// may change category (say, an Open lead becomes Available again).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwitchPlan {
    /// Old state → new state, overriding the automatic placement.
    pub explicit: Vec<(StateId, StateId)>,
    /// The caller confirms that explicit entries may change a state's category.
    pub confirm_category_changes: bool,
}

/// Where the states of one flow go in another.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateMapping {
    /// Old state → new state, for every old state that has a place.
    pub map: BTreeMap<StateId, StateId>,
    /// How each mapped old state was placed.
    pub placement: BTreeMap<StateId, Placement>,
    /// Old states with no place in the new flow, in the old flow's order. A switch is refused
    /// when any of them holds customers.
    pub unplaced: Vec<StateId>,
}

impl StateMapping {
    /// The new state of an old one, if it has a place.
    pub fn target(&self, state: StateId) -> Option<StateId> {
        self.map.get(&state).copied()
    }
}

/// Why a switch cannot go ahead as asked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FlowSwitchError {
    /// The mapping names an old state the assignment's flow does not have.
    #[error("the mapping moves state {0}, which the assignment's current flow does not have")]
    UnknownFromState(StateId),
    /// The mapping names a target the new flow does not have.
    #[error("the mapping moves customers to state {state}, which flow '{flow}' does not have")]
    UnknownToState {
        /// The state named.
        state: StateId,
        /// The new flow's name.
        flow: String,
    },
    /// The mapping names one old state twice.
    #[error("the mapping moves state '{0}' twice; name each state once")]
    DuplicateFromState(String),
    /// A hand-placed state would change category without confirmation.
    #[error(
        "moving '{from}' ({from_category}) to '{to}' ({to_category}) changes the customers' \
         category; send `confirm_category_changes: true` if that is meant"
    )]
    CategoryChange {
        /// The old state's name.
        from: String,
        /// Its category.
        from_category: &'static str,
        /// The new state's name.
        to: String,
        /// Its category.
        to_category: &'static str,
    },
    /// States with customers have no place in the new flow.
    #[error(
        "customers in {} have no place in flow '{flow}' (no state of the same name or \
         category); send a mapping for {}",
        quoted(.states), if .states.len() == 1 { "it" } else { "them" }
    )]
    Unplaced {
        /// The old states' names.
        states: Vec<String>,
        /// The new flow's name.
        flow: String,
    },
}

fn quoted(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.len() {
        1 => format!("state {}", quoted[0]),
        _ => format!("states {}", quoted.join(", ")),
    }
}

impl PublishedFlow {
    /// Places this flow's states in `to` without a caller's mapping: same id, else same name
    /// and category, else the same category (see the module doc).
    pub fn map_states_to(&self, to: &PublishedFlow) -> StateMapping {
        let mut mapping = StateMapping::default();
        for state in self.states() {
            match automatic_place(state.id, state.name.as_str(), state.category, to) {
                Some((target, how)) => {
                    mapping.map.insert(state.id, target);
                    mapping.placement.insert(state.id, how);
                }
                None => mapping.unplaced.push(state.id),
            }
        }
        mapping
    }

    /// The mapping for a switch to `to` as `plan` asks, refused when a state in `populated`
    /// (the states that hold customers now) would have no place.
    pub fn plan_switch(
        &self,
        to: &PublishedFlow,
        plan: &SwitchPlan,
        populated: &BTreeSet<StateId>,
    ) -> Result<StateMapping, FlowSwitchError> {
        let mut mapping = self.map_states_to(to);
        let mut seen = BTreeSet::new();
        for &(from, target) in &plan.explicit {
            let old = self
                .state(from)
                .ok_or(FlowSwitchError::UnknownFromState(from))?;
            if !seen.insert(from) {
                return Err(FlowSwitchError::DuplicateFromState(old.name.to_string()));
            }
            let new = to
                .state(target)
                .ok_or_else(|| FlowSwitchError::UnknownToState {
                    state: target,
                    flow: to.name().to_string(),
                })?;
            if old.category != new.category && !plan.confirm_category_changes {
                return Err(FlowSwitchError::CategoryChange {
                    from: old.name.to_string(),
                    from_category: old.category.as_str(),
                    to: new.name.to_string(),
                    to_category: new.category.as_str(),
                });
            }
            mapping.map.insert(from, target);
            mapping.placement.insert(from, Placement::Explicit);
            mapping.unplaced.retain(|s| *s != from);
        }
        let stranded: Vec<String> = populated
            .iter()
            .filter(|state| !mapping.map.contains_key(state))
            .map(|state| {
                self.state(*state)
                    .map_or_else(|| state.to_string(), |s| s.name.to_string())
            })
            .collect();
        if !stranded.is_empty() {
            return Err(FlowSwitchError::Unplaced {
                states: stranded,
                flow: to.name().to_string(),
            });
        }
        Ok(mapping)
    }
}

fn automatic_place(
    id: StateId,
    name: &str,
    category: StateCategory,
    to: &PublishedFlow,
) -> Option<(StateId, Placement)> {
    if to.state(id).is_some() {
        return Some((id, Placement::SameId));
    }
    if let Some(same) = to
        .states()
        .iter()
        .find(|s| s.category == category && same_name(s.name.as_str(), name))
    {
        return Some((same.id, Placement::SameName));
    }
    let initial = to.initial_state();
    if to.category(initial) == category {
        return Some((initial, Placement::SameCategory));
    }
    to.states()
        .iter()
        .find(|s| s.category == category)
        .map(|s| (s.id, Placement::SameCategory))
}
