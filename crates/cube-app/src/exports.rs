//! The concrete outcomes as a file (seed 001: "hente ut de konkrete utfallene til Excel"):
//! every outcome of an assignment in a window that a filter keeps — the rows of the outcome
//! list, all of them — with the names a spreadsheet reader needs (customer, seller,
//! outcome, state, products) resolved here, once, so the file writers in the adapters only
//! lay out cells.

use crate::error::ReportError;
use crate::flows::flow_of;
use crate::reports::Window;
use crate::{Acting, AppResult, Cube};
use cube_domain::access::ReportKind;
use cube_domain::fields::FieldKey;
use cube_domain::ids::{CustomerId, OutcomeEventId, ProductId, UserId};
use cube_domain::outcome::{OutcomeEvent, OutcomeFilter};
use cube_domain::time_zone::TimeZone;
use std::collections::{BTreeMap, BTreeSet};

/// The most outcomes one export holds; a larger one is refused, naming how to narrow it.
pub const OUTCOME_EXPORT_MAX: usize = 200_000;

/// Outcomes read from the store per round while an export is gathered.
const ROUND: u32 = 1_000;

/// The outcomes of an export, oldest first, with their names resolved.
#[derive(Debug, Clone)]
pub struct OutcomeExport {
    /// The organisation's time zone: the file shows local times.
    pub zone: TimeZone,
    /// Every outcome field key any row has a value for, sorted: one column each.
    pub fields: Vec<FieldKey>,
    /// The rows.
    pub rows: Vec<OutcomeExportRow>,
}

/// One outcome of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeExportRow {
    /// The outcome event, whole.
    pub event: OutcomeEvent,
    /// The customer's name (empty if the customer is gone).
    pub customer: String,
    /// Who registered it (empty when the system did).
    pub seller: String,
    /// The outcome's name in the assignment's flow (its id when the flow has it no more).
    pub outcome: String,
    /// The name of the state it left the customer in.
    pub state: String,
    /// The follow-up's owner's name (empty for a shared one or none).
    pub follow_up_owner: String,
    /// The name of each product line's product, in line order.
    pub products: Vec<String>,
}

impl Cube {
    /// Every outcome of assignment `id` in `window` that `filter` keeps, oldest first, with
    /// names, for a file (at most [`OUTCOME_EXPORT_MAX`]). Open to whoever may read the
    /// outcome report.
    pub async fn outcome_export(
        &self,
        who: impl Into<Acting<'_>>,
        id: cube_domain::ids::AssignmentId,
        window: Window,
        filter: OutcomeFilter,
    ) -> AppResult<OutcomeExport> {
        self.export(who.into(), id, window, filter, ReportKind::Outcomes)
            .await
    }

    /// The sales of assignment `id` in `window` that carry products (optionally one
    /// seller's), oldest first, with names, for the sold-products file (seed 001: sold
    /// products "lastes ned"): one line per product line of each row. Open to whoever may
    /// read the sales report.
    pub async fn sales_export(
        &self,
        who: impl Into<Acting<'_>>,
        id: cube_domain::ids::AssignmentId,
        window: Window,
        seller: Option<UserId>,
    ) -> AppResult<OutcomeExport> {
        let filter = OutcomeFilter {
            user: seller,
            sold: true,
            ..OutcomeFilter::default()
        };
        self.export(who.into(), id, window, filter, ReportKind::Sales)
            .await
    }

    async fn export(
        &self,
        who: Acting<'_>,
        id: cube_domain::ids::AssignmentId,
        window: Window,
        filter: OutcomeFilter,
        kind: ReportKind,
    ) -> AppResult<OutcomeExport> {
        let (mut uow, assignment, _) = self.open_report(who, id, kind).await?;
        let mut events: Vec<OutcomeEvent> = Vec::new();
        let mut after: Option<OutcomeEventId> = None;
        loop {
            let round = uow
                .outcome_list(id, window.from, window.to, &filter, after, ROUND)
                .await?;
            let full = round.len() == ROUND as usize;
            after = round.last().map(OutcomeEvent::id);
            events.extend(round);
            if events.len() > OUTCOME_EXPORT_MAX {
                return Err(ReportError::ExportTooLarge {
                    max: OUTCOME_EXPORT_MAX,
                }
                .into());
            }
            if !full {
                break;
            }
        }
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        let zone = self
            .zones
            .of(uow.as_mut(), assignment.organisation())
            .await?;
        let users: BTreeMap<UserId, String> = uow
            .users(assignment.organisation())
            .await?
            .into_iter()
            .map(|u| (u.id, u.name.to_string()))
            .collect();
        let products: BTreeMap<ProductId, String> = uow
            .products(assignment.data_owner())
            .await?
            .into_iter()
            .map(|p| (p.id(), p.name().to_string()))
            .collect();
        let wanted: BTreeSet<CustomerId> = events.iter().map(OutcomeEvent::customer).collect();
        let wanted: Vec<CustomerId> = wanted.into_iter().collect();
        let mut customers: BTreeMap<CustomerId, String> = BTreeMap::new();
        for chunk in wanted.chunks(ROUND as usize) {
            for customer in uow.customers_by_id(chunk).await? {
                customers.insert(customer.id(), customer.details().name.to_string());
            }
        }
        let user_name = |user: Option<UserId>| {
            user.and_then(|u| users.get(&u).cloned())
                .unwrap_or_default()
        };
        let fields: BTreeSet<FieldKey> = events
            .iter()
            .flat_map(|e| e.fields().keys().cloned())
            .collect();
        let rows = events
            .into_iter()
            .map(|event| OutcomeExportRow {
                customer: customers
                    .get(&event.customer())
                    .cloned()
                    .unwrap_or_default(),
                seller: user_name(event.user()),
                outcome: event.outcome().map_or_else(String::new, |o| {
                    flow.outcome(o)
                        .map_or_else(|| o.to_string(), |o| o.name.to_string())
                }),
                state: flow
                    .state(event.to_state())
                    .map_or_else(|| event.to_state().to_string(), |s| s.name.to_string()),
                follow_up_owner: user_name(event.follow_up().and_then(|f| f.owner)),
                products: event
                    .products()
                    .iter()
                    .map(|line| {
                        products
                            .get(&line.product)
                            .cloned()
                            .unwrap_or_else(|| line.product.to_string())
                    })
                    .collect(),
                event,
            })
            .collect();
        Ok(OutcomeExport {
            zone,
            fields: fields.into_iter().collect(),
            rows,
        })
    }
}
