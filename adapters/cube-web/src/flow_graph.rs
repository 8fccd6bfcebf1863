//! A flow drawn as a graph, as server-side SVG: each state a box in the column of its
//! category (to call, open, yes, no, excluded: the way a customer moves, left to right),
//! and an arrow for each move a progress outcome makes, labelled with the outcomes that
//! make it. Attempts never move a customer, so they draw no arrow. Pure: positions in, no
//! script.

use cube_domain::flow::{FlowDraft, OutcomeKind};
use cube_domain::ids::StateId;
use std::collections::BTreeMap;

const COLUMN: u32 = 200;
const ROW: u32 = 64;
const BOX_W: u32 = 160;
const BOX_H: u32 = 34;
const TOP: u32 = 16;
const LEFT: u32 = 12;

/// The graph, placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowGraph {
    /// The view box's width and height.
    pub width: u32,
    /// The view box's height.
    pub height: u32,
    /// The states.
    pub nodes: Vec<Node>,
    /// The moves.
    pub edges: Vec<Edge>,
}

/// A state's box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The state's name.
    pub name: String,
    /// Its colour, `#rrggbb`.
    pub colour: String,
    /// Its top left corner.
    pub x: u32,
    /// Its top.
    pub y: u32,
    /// Where its name is written.
    pub text_x: u32,
    /// The name's baseline.
    pub text_y: u32,
    /// Whether new customers start here.
    pub initial: bool,
}

/// An arrow from one state to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Start.
    pub x1: u32,
    /// Start.
    pub y1: u32,
    /// End.
    pub x2: u32,
    /// End.
    pub y2: u32,
    /// The outcomes that make the move.
    pub label: String,
    /// Where the label is written.
    pub label_x: u32,
    /// The label's baseline.
    pub label_y: u32,
}

impl FlowGraph {
    /// The graph of `draft` (a draft with problems draws what it can: arrows to or from a
    /// state that is not there are left out).
    pub fn of(draft: &FlowDraft) -> Self {
        let mut rows_in_column: BTreeMap<u32, u32> = BTreeMap::new();
        let mut places: BTreeMap<StateId, (u32, u32)> = BTreeMap::new();
        let mut nodes = Vec::new();
        for state in &draft.states {
            let column = crate::flow_form::CATEGORIES
                .iter()
                .position(|c| *c == state.category)
                .map_or(0, |i| u32::try_from(i).unwrap_or(0));
            let row = rows_in_column.entry(column).or_insert(0);
            let (x, y) = (LEFT + column * COLUMN, TOP + *row * ROW);
            *row += 1;
            places.entry(state.id).or_insert((x, y));
            nodes.push(Node {
                name: state.name.to_string(),
                colour: state.colour().to_string(),
                x,
                y,
                text_x: x + 14,
                text_y: y + 22,
                initial: state.id == draft.initial,
            });
        }
        let mut moves: BTreeMap<(StateId, StateId), Vec<String>> = BTreeMap::new();
        for outcome in &draft.outcomes {
            if let OutcomeKind::Progress { target } = outcome.kind {
                for from in &outcome.from {
                    if *from != target {
                        moves
                            .entry((*from, target))
                            .or_default()
                            .push(outcome.name.to_string());
                    }
                }
            }
        }
        let edges = moves
            .into_iter()
            .filter_map(|((from, to), names)| {
                let (fx, fy) = *places.get(&from)?;
                let (tx, ty) = *places.get(&to)?;
                let (x1, x2) = if tx > fx {
                    (fx + BOX_W, tx)
                } else if tx < fx {
                    (fx, tx + BOX_W)
                } else {
                    (fx + BOX_W / 2, tx + BOX_W / 2)
                };
                let (y1, y2) = if tx == fx {
                    if ty > fy {
                        (fy + BOX_H, ty)
                    } else {
                        (fy, ty + BOX_H)
                    }
                } else {
                    (fy + BOX_H / 2, ty + BOX_H / 2)
                };
                let mut label = names.join(", ");
                if label.chars().count() > 28 {
                    label = label.chars().take(27).collect::<String>() + "…";
                }
                Some(Edge {
                    x1,
                    y1,
                    x2,
                    y2,
                    label,
                    label_x: x1.midpoint(x2),
                    label_y: y1.midpoint(y2).saturating_sub(4),
                })
            })
            .collect();
        let columns = crate::flow_form::CATEGORIES.len() as u32;
        let rows = rows_in_column.values().copied().max().unwrap_or(1);
        Self {
            width: LEFT * 2 + columns * COLUMN,
            height: TOP * 2 + rows * ROW,
            nodes,
            edges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::flow::seeds::SalesFlow;
    use cube_domain::ids::DataOwnerId;

    #[test]
    fn states_stand_in_their_category_column_and_moves_are_arrows() {
        let draft = SalesFlow::draft(SalesFlow::FLOW, DataOwnerId::from_uuid(uuid::Uuid::nil()));
        let graph = FlowGraph::of(&draft);
        assert_eq!(graph.nodes.len(), draft.states.len());
        let to_call = graph.nodes.iter().find(|n| n.initial).expect("initial");
        assert_eq!(
            (to_call.x, to_call.y),
            (LEFT, TOP),
            "to call: first column, first row"
        );
        let sale = graph
            .nodes
            .iter()
            .find(|n| {
                Some(n.name.as_str())
                    == draft
                        .states
                        .iter()
                        .find(|s| s.id == SalesFlow::SALE)
                        .map(|s| s.name.as_str())
            })
            .expect("sale box");
        assert_eq!(sale.x, LEFT + 2 * COLUMN, "Yes is the third column");
        // Every arrow starts and ends on a box's edge, and no attempt draws one.
        assert!(!graph.edges.is_empty());
        for edge in &graph.edges {
            assert!(
                graph.nodes.iter().any(|n| edge.x1 == n.x + BOX_W
                    || edge.x1 == n.x
                    || edge.x1 == n.x + BOX_W / 2)
            );
            assert!(
                !edge.label.contains("No answer") && !edge.label.contains("Call back"),
                "{}",
                edge.label
            );
        }
    }
}
