//! The flow editor's form: a draft laid out as rows of states and outcomes, and the posted
//! rows read back into the use case's [`FlowContent`]. Pure and unit tested.
//!
//! Every row carries its id from the moment it is added (a new row gets a fresh UUID when
//! the editor adds it), so an outcome can point at a state added in the same edit and the
//! ids stay stable across versions, as the domain asks. A row marked "remove" is left out;
//! an added row left without a name is ignored.

use crate::forms::{FormError, Pairs};
use cube_app::setup::FlowContent;
use cube_domain::flow::{
    AttemptKind, Colour, FlowDraft, FlowProblem, Outcome, OutcomeKind, ProblemPlace, State,
    StateCategory,
};
use cube_domain::ids::{OutcomeId, StateId};
use cube_domain::values::Name;
use std::collections::BTreeSet;

/// The categories in the order the editor offers them.
pub const CATEGORIES: [StateCategory; 5] = [
    StateCategory::Available,
    StateCategory::Open,
    StateCategory::Yes,
    StateCategory::No,
    StateCategory::Excluded,
];

/// The flow as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlowForm {
    /// The flow's name.
    pub name: String,
    /// The initial state's id.
    pub initial: String,
    /// The states.
    pub states: Vec<StateRow>,
    /// The outcomes.
    pub outcomes: Vec<OutcomeRow>,
    /// Problems about the initial state or the flow as a whole.
    pub problems: Vec<String>,
}

/// A state row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateRow {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its category (`available`, `open`, …).
    pub category: String,
    /// Its own colour, `#rrggbb`, or empty for the category's.
    pub colour: String,
    /// What is wrong with it.
    pub problems: Vec<String>,
}

/// An outcome row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutcomeRow {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `progress`, `no-answer` or `call-back`.
    pub kind: String,
    /// The target state's id (progress outcomes).
    pub target: String,
    /// The ids of the states it may be chosen from.
    pub from: BTreeSet<String>,
    /// It may schedule a follow-up.
    pub follow_up: bool,
    /// It carries product lines.
    pub products: bool,
    /// It books a meeting.
    pub meeting: bool,
    /// What is wrong with it.
    pub problems: Vec<String>,
}

fn category_of(raw: &str) -> Option<StateCategory> {
    CATEGORIES.into_iter().find(|c| c.as_str() == raw)
}

impl FlowForm {
    /// The draft as rows.
    pub fn of(draft: &FlowDraft) -> Self {
        Self {
            name: draft.name.to_string(),
            initial: draft.initial.as_uuid().to_string(),
            states: draft
                .states
                .iter()
                .map(|s| StateRow {
                    id: s.id.as_uuid().to_string(),
                    name: s.name.to_string(),
                    category: s.category.as_str().to_owned(),
                    colour: s.colour.map(|c| c.to_string()).unwrap_or_default(),
                    problems: Vec::new(),
                })
                .collect(),
            outcomes: draft
                .outcomes
                .iter()
                .map(|o| {
                    let (kind, target) = match o.kind {
                        OutcomeKind::Progress { target } => {
                            ("progress", target.as_uuid().to_string())
                        }
                        OutcomeKind::Attempt(AttemptKind::NoAnswer) => ("no-answer", String::new()),
                        OutcomeKind::Attempt(AttemptKind::CallBackLater) => {
                            ("call-back", String::new())
                        }
                    };
                    OutcomeRow {
                        id: o.id.as_uuid().to_string(),
                        name: o.name.to_string(),
                        kind: kind.to_owned(),
                        target,
                        from: o.from.iter().map(|s| s.as_uuid().to_string()).collect(),
                        follow_up: o.schedules_follow_up,
                        products: o.carries_products,
                        meeting: o.books_meeting,
                        problems: Vec::new(),
                    }
                })
                .collect(),
            problems: Vec::new(),
        }
    }

    /// The rows as posted (`state.N.*`, `outcome.N.*`, `outcome.N.from` repeated); rows
    /// marked `remove` are left out, and so are added rows left without a name.
    pub fn posted(pairs: &Pairs) -> Self {
        let mut form = FlowForm {
            name: pairs.get("name").unwrap_or_default().to_owned(),
            initial: pairs.get("initial").unwrap_or_default().to_owned(),
            ..FlowForm::default()
        };
        let rows = |prefix: &str| -> Vec<usize> {
            let mut indexes: Vec<usize> = pairs
                .0
                .iter()
                .filter_map(|(key, _)| {
                    let rest = key.strip_prefix(prefix)?;
                    rest.split('.').next()?.parse().ok()
                })
                .collect();
            indexes.sort_unstable();
            indexes.dedup();
            indexes
        };
        for i in rows("state.") {
            let field = |name: &str| {
                pairs
                    .get(&format!("state.{i}.{name}"))
                    .unwrap_or_default()
                    .to_owned()
            };
            if !field("remove").is_empty() || field("name").is_empty() || field("id").is_empty() {
                continue;
            }
            form.states.push(StateRow {
                id: field("id"),
                name: field("name"),
                category: field("category"),
                colour: field("colour"),
                problems: Vec::new(),
            });
        }
        for i in rows("outcome.") {
            let key = |name: &str| format!("outcome.{i}.{name}");
            let field = |name: &str| pairs.get(&key(name)).unwrap_or_default().to_owned();
            if !field("remove").is_empty() || field("name").is_empty() || field("id").is_empty() {
                continue;
            }
            let from_key = key("from");
            form.outcomes.push(OutcomeRow {
                id: field("id"),
                name: field("name"),
                kind: field("kind"),
                target: field("target"),
                from: pairs
                    .0
                    .iter()
                    .filter(|(k, v)| *k == from_key && !v.trim().is_empty())
                    .map(|(_, v)| v.trim().to_owned())
                    .collect(),
                follow_up: !field("follow_up").is_empty(),
                products: !field("products").is_empty(),
                meeting: !field("meeting").is_empty(),
                problems: Vec::new(),
            });
        }
        form
    }

    /// The rows as the use case's content; a value that cannot be read is named with its
    /// row. Whether the flow makes sense (targets, reachability, …) is the domain's to say
    /// after saving ([`FlowForm::show_problems`]).
    pub fn content(&self) -> Result<FlowContent, FormError> {
        let uuid = |raw: &str, what: &str| {
            raw.parse::<uuid::Uuid>()
                .map_err(|_| FormError(format!("{what} lost its id; reload the editor")))
        };
        let mut states = Vec::new();
        for row in &self.states {
            let what = format!("state '{}'", row.name);
            let colour = match row.colour.trim() {
                "" => None,
                raw => Some(Colour::parse(raw).map_err(|e| FormError(format!("{what}: {e}")))?),
            };
            states.push(State {
                id: StateId::from_uuid(uuid(&row.id, &what)?),
                name: Name::parse(&row.name).map_err(|e| FormError(format!("{what}: {e}")))?,
                category: category_of(&row.category)
                    .ok_or_else(|| FormError(format!("{what}: choose a category")))?,
                colour,
            });
        }
        let mut outcomes = Vec::new();
        for row in &self.outcomes {
            let what = format!("outcome '{}'", row.name);
            let kind = match row.kind.as_str() {
                "no-answer" => OutcomeKind::Attempt(AttemptKind::NoAnswer),
                "call-back" => OutcomeKind::Attempt(AttemptKind::CallBackLater),
                "progress" => OutcomeKind::Progress {
                    target: StateId::from_uuid(
                        uuid(&row.target, &format!("{what}'s target")).map_err(|_| {
                            FormError(format!("{what}: choose the state it leads to"))
                        })?,
                    ),
                },
                _ => {
                    return Err(FormError(format!(
                        "{what}: choose what kind of outcome it is"
                    )));
                }
            };
            let mut from = BTreeSet::new();
            for state in &row.from {
                from.insert(StateId::from_uuid(uuid(state, &what)?));
            }
            outcomes.push(Outcome {
                id: OutcomeId::from_uuid(uuid(&row.id, &what)?),
                name: Name::parse(&row.name).map_err(|e| FormError(format!("{what}: {e}")))?,
                kind,
                from,
                schedules_follow_up: row.follow_up,
                carries_products: row.products,
                books_meeting: row.meeting,
            });
        }
        let initial = match self.initial.trim() {
            "" => self
                .states
                .first()
                .map(|s| uuid(&s.id, "the first state"))
                .transpose()?
                .unwrap_or_else(uuid::Uuid::nil),
            raw => uuid(raw, "the initial state")?,
        };
        Ok(FlowContent {
            name: self.name.trim().to_owned(),
            initial: StateId::from_uuid(initial),
            states,
            outcomes,
        })
    }

    /// Puts each problem next to the row it is about (by name), the rest at the top.
    pub fn show_problems(
        &mut self,
        problems: &[FlowProblem],
        text: impl Fn(&FlowProblem) -> String,
    ) {
        for problem in problems {
            let message = text(problem);
            let row = match problem.place() {
                ProblemPlace::Initial => None,
                ProblemPlace::State(name) => self
                    .states
                    .iter_mut()
                    .find(|s| s.name.trim() == name)
                    .map(|s| &mut s.problems),
                ProblemPlace::Outcome(name) => self
                    .outcomes
                    .iter_mut()
                    .find(|o| o.name.trim() == name)
                    .map(|o| &mut o.problems),
            };
            row.unwrap_or(&mut self.problems).push(message);
        }
    }

    /// A new, empty state row with a fresh id.
    pub fn add_state(&mut self) {
        self.states.push(StateRow {
            id: uuid::Uuid::now_v7().to_string(),
            category: StateCategory::Open.as_str().to_owned(),
            ..StateRow::default()
        });
    }

    /// A new, empty outcome row with a fresh id.
    pub fn add_outcome(&mut self) {
        self.outcomes.push(OutcomeRow {
            id: uuid::Uuid::now_v7().to_string(),
            kind: "progress".to_owned(),
            ..OutcomeRow::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::flow::seeds::SalesFlow;
    use cube_domain::ids::DataOwnerId;

    fn pairs(form: &FlowForm) -> Pairs {
        let mut list = vec![
            ("name".to_owned(), form.name.clone()),
            ("initial".to_owned(), form.initial.clone()),
        ];
        for (i, s) in form.states.iter().enumerate() {
            list.push((format!("state.{i}.id"), s.id.clone()));
            list.push((format!("state.{i}.name"), s.name.clone()));
            list.push((format!("state.{i}.category"), s.category.clone()));
            list.push((format!("state.{i}.colour"), s.colour.clone()));
        }
        for (i, o) in form.outcomes.iter().enumerate() {
            list.push((format!("outcome.{i}.id"), o.id.clone()));
            list.push((format!("outcome.{i}.name"), o.name.clone()));
            list.push((format!("outcome.{i}.kind"), o.kind.clone()));
            list.push((format!("outcome.{i}.target"), o.target.clone()));
            for from in &o.from {
                list.push((format!("outcome.{i}.from"), from.clone()));
            }
            for (flag, on) in [
                ("follow_up", o.follow_up),
                ("products", o.products),
                ("meeting", o.meeting),
            ] {
                if on {
                    list.push((format!("outcome.{i}.{flag}"), "on".to_owned()));
                }
            }
        }
        Pairs(list)
    }

    fn seed() -> FlowDraft {
        SalesFlow::draft(SalesFlow::FLOW, DataOwnerId::from_uuid(uuid::Uuid::nil()))
    }

    #[test]
    fn a_draft_shown_and_posted_back_is_the_same_content() {
        let draft = seed();
        let form = FlowForm::of(&draft);
        let posted = FlowForm::posted(&pairs(&form));
        assert_eq!(posted, form);
        let content = posted.content().expect("valid");
        assert_eq!(content, FlowContent::from(draft));
    }

    #[test]
    fn removed_rows_and_unnamed_added_rows_are_left_out() {
        let mut form = FlowForm::of(&seed());
        form.add_state();
        form.add_outcome();
        let mut posted = pairs(&form);
        posted
            .0
            .push(("outcome.0.remove".to_owned(), "on".to_owned()));
        let back = FlowForm::posted(&posted);
        assert_eq!(
            back.states.len(),
            form.states.len() - 1,
            "the added state had no name"
        );
        assert_eq!(
            back.outcomes.len(),
            form.outcomes.len() - 2,
            "one removed, one unnamed"
        );
        assert!(
            back.outcomes
                .iter()
                .all(|o| o.name != form.outcomes[0].name)
        );
    }

    #[test]
    fn problems_go_next_to_their_rows_and_the_rest_to_the_top() {
        let mut form = FlowForm::of(&seed());
        let sale = form.outcomes[5].name.clone();
        let problems = [
            FlowProblem::NoFromStates(sale.clone()),
            FlowProblem::Unreachable(form.states[1].name.clone()),
            FlowProblem::UnknownInitialState,
            FlowProblem::DuplicateOutcome("Gone".into()),
        ];
        form.show_problems(&problems, ToString::to_string);
        assert_eq!(form.outcomes[5].problems.len(), 1);
        assert!(form.outcomes[5].problems[0].contains(&sale));
        assert_eq!(form.states[1].problems.len(), 1);
        assert_eq!(form.problems.len(), 2, "{:?}", form.problems);
    }

    #[test]
    fn an_unreadable_value_is_named_with_its_row() {
        let mut form = FlowForm::of(&seed());
        form.states[0].colour = "red".into();
        let error = form.content().expect_err("not a colour");
        assert!(
            error
                .0
                .starts_with(&format!("state '{}'", form.states[0].name)),
            "{error:?}"
        );
        let mut form = FlowForm::of(&seed());
        form.outcomes[2].target = String::new();
        let error = form.content().expect_err("no target");
        assert!(
            error.0.contains("choose the state it leads to"),
            "{error:?}"
        );
        let mut form = FlowForm::of(&seed());
        form.states[0].category = "maybe".into();
        assert!(
            form.content()
                .expect_err("no category")
                .0
                .contains("choose a category")
        );
    }
}
