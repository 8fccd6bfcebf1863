//! The customer-status download ("download all or part") and a bulk selection's export
//! (seed 001's "Kontroller") as rows a page at a time: an assignment can hold a million
//! customers, so neither export gathers them. `Cube::status_export_of` reads what the file's
//! header needs and how many rows it can hold at most, and hands back [`StatusPages`], which
//! reads the enrollments in import order a page of the Cube's export page at a time, each
//! page in its own read unit, with their customers, keeping those the selection matches.
//!
//! It pages by the place in import order (`EnrollmentCursor`: sequence and id, values), not
//! by "after this row": an enrollment removed while the file is written — the last of a page
//! included — skips nothing after it and repeats nothing.

use crate::flows::flow_of;
use crate::{AppError, AppResult, Cube};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::Segment;
use cube_domain::bulk::Selection;
use cube_domain::customer::Customer;
use cube_domain::enrollment::{Enrollment, EnrollmentCursor};
use cube_domain::fields::FieldDefinition;
use cube_domain::flow::{PublishedFlow, State};
use cube_domain::ids::AssignmentId;
use cube_domain::ports::{ReadUnit, Store};
use std::sync::Arc;

/// One customer of the customer-status download: the customer, its enrollment in the
/// assignment, the state it is in now and its segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusExportRow {
    /// The customer.
    pub customer: Customer,
    /// Its enrollment in the assignment.
    pub enrollment: Enrollment,
    /// The enrollment's state now, from the assignment's flow.
    pub state: State,
    /// The enrollment's segment, from the assignment's setup; `None` without one.
    pub segment: Option<Segment>,
}

/// The customer-status download: the CRM fields every row is written against, and the rows a
/// page at a time.
#[derive(Debug)]
pub struct StatusExport {
    /// Every CRM field of the assignment's data owner (`DataOwner::all_fields`), whatever the
    /// rows hold: the file's columns do not depend on which customers were chosen.
    pub fields: Vec<FieldDefinition>,
    /// The most rows the export can hold: the assignment's customers in the selection's
    /// states (from the report counters, not a read of the rows). The rows are at most
    /// this; [`StatusPages::count`] counts them exactly.
    pub at_most: usize,
    /// The customers, in import order, a page at a time.
    pub rows: StatusPages,
}

/// The rows of a [`StatusExport`], read from the store a page at a time in import order.
///
/// Each page is its own read unit (as `exports::OutcomePages`, and for its reasons: a
/// download goes at the client's pace, and a unit held that long holds a connection and
/// the store's oldest snapshot), and a long-read unit (`Store::begin_long_read`), so the
/// pages keep to the store's connection for long reads. Enrollments are not an append-only
/// log, so the pages are not one snapshot: a customer enrolled, moved or removed while the
/// file is written is written as the page that reaches it finds it (a new one is written if
/// its import-order place is still ahead). What paging by place guarantees is that every customer enrolled
/// throughout is written exactly once.
pub struct StatusPages {
    store: Arc<dyn Store>,
    assignment: AssignmentId,
    selection: Selection,
    page: u32,
    after: Option<EnrollmentCursor>,
    done: bool,
    flow: Arc<PublishedFlow>,
    segments: Vec<Segment>,
}

impl std::fmt::Debug for StatusPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPages")
            .field("assignment", &self.assignment)
            .field("after", &self.after)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl StatusPages {
    /// The next page of rows the selection keeps (a page of enrollments read, up to the
    /// Cube's export page; one the selection thins to nothing is read past), in import
    /// order; `None` after the last.
    pub async fn next_page(&mut self) -> AppResult<Option<Vec<StatusExportRow>>> {
        while !self.done {
            let mut uow = self.store.begin_long_read().await?;
            let enrollments = uow
                .enrollments_after(self.assignment, self.after, self.page)
                .await?;
            self.done = enrollments.len() < self.page as usize;
            let Some(last) = enrollments.last() else {
                break;
            };
            self.after = Some(last.cursor());
            let mut customers = crate::bulk::customers_of(uow.as_mut(), &enrollments).await?;
            drop(uow);
            let mut rows = Vec::new();
            for enrollment in enrollments {
                // A customer erased between the page's two reads went with its enrollment.
                let Some(customer) = customers.remove(&enrollment.customer()) else {
                    continue;
                };
                if self.selection.matches(&enrollment, customer.fields()) {
                    rows.push(self.row(enrollment, customer)?);
                }
            }
            if !rows.is_empty() {
                return Ok(Some(rows));
            }
        }
        Ok(None)
    }

    /// The rows there are from where these pages stand, counted by reading them (a page at
    /// a time, nothing kept); the pages themselves do not move.
    pub async fn count(&self) -> AppResult<usize> {
        let mut pages = self.again();
        let mut count = 0;
        while let Some(rows) = pages.next_page().await? {
            count += rows.len();
        }
        Ok(count)
    }

    /// The same pages from where these stand.
    fn again(&self) -> Self {
        Self {
            store: self.store.clone(),
            assignment: self.assignment,
            selection: self.selection.clone(),
            page: self.page,
            after: self.after,
            done: self.done,
            flow: self.flow.clone(),
            segments: self.segments.clone(),
        }
    }

    fn row(&self, enrollment: Enrollment, customer: Customer) -> AppResult<StatusExportRow> {
        let state = self
            .flow
            .state(enrollment.state())
            .cloned()
            .ok_or(AppError::NotFound("state"))?;
        let segment = enrollment
            .segment()
            .and_then(|s| self.segments.iter().find(|known| known.id == s))
            .cloned();
        Ok(StatusExportRow {
            customer,
            enrollment,
            state,
            segment,
        })
    }
}

impl Cube {
    /// The enrollments of `assignment` that `selection` keeps, in import order, laid out as
    /// the customer-status download: each with its customer, state now and segment, and
    /// every CRM field of the data owner; the rows read a page at a time by
    /// [`StatusPages::next_page`]. What the status download and a bulk selection's export
    /// share; the caller has checked access and the selection.
    pub(crate) async fn status_export_of(
        &self,
        uow: &mut dyn ReadUnit,
        assignment: &Assignment,
        selection: &Selection,
    ) -> AppResult<StatusExport> {
        let flow = flow_of(&self.flows, uow, assignment).await?;
        let owner = uow
            .data_owner(assignment.data_owner())
            .await?
            .ok_or(AppError::NotFound("data owner"))?;
        let at_most: u64 = uow
            .status_tally(assignment.id())
            .await?
            .iter()
            .filter(|row| {
                selection
                    .states
                    .as_ref()
                    .is_none_or(|s| s.contains(&row.state))
            })
            .map(|row| row.customers)
            .sum();
        Ok(StatusExport {
            fields: owner.all_fields().into_iter().cloned().collect(),
            at_most: usize::try_from(at_most).unwrap_or(usize::MAX),
            rows: StatusPages {
                store: self.store.clone(),
                assignment: assignment.id(),
                selection: selection.clone(),
                page: self.export_page,
                after: None,
                done: false,
                flow,
                segments: assignment.setup().segments.clone(),
            },
        })
    }
}
