//! Bulk work on a selection of an assignment's enrollments: move to a segment, register one
//! outcome on all, export, or remove. A bulk change is one unit of work: if any selected
//! enrollment cannot take the action, nothing is changed and the error says how many and why.

use crate::error::WorkError;
use crate::flows::flow_of;
use crate::reports::StatusExport;
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::assignment::Assignment;
use cube_domain::bulk::{BulkAction, Selection};
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::enrollment::{Enrollment, EnrollmentCursor};
use cube_domain::ids::{AssignmentId, CustomerId};
use cube_domain::outcome::Registrar;
use cube_domain::ports::ReadUnit;
use std::collections::BTreeMap;

/// What a bulk action did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// How many enrollments were selected.
    pub selected: usize,
    /// How many were changed.
    pub changed: usize,
}

/// One exported row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// The enrollment.
    pub enrollment: Enrollment,
    /// Its customer.
    pub customer: Customer,
}

/// Refuses a selection that names a state, segment, CRM field or choice the assignment does
/// not have (it could only select nobody by mistake).
async fn check_selection(
    flows: &crate::flows::Flows,
    uow: &mut dyn ReadUnit,
    assignment: &Assignment,
    selection: &Selection,
) -> AppResult<()> {
    let flow = flow_of(flows, uow, assignment).await?;
    let owner = uow
        .data_owner(assignment.data_owner())
        .await?
        .ok_or(AppError::NotFound("data owner"))?;
    let crm_fields: Vec<_> = [Dataset::B2b, Dataset::B2c]
        .into_iter()
        .flat_map(|dataset| owner.fields(dataset).iter().cloned())
        .collect();
    selection.check(assignment.setup(), &flow, &crm_fields)?;
    Ok(())
}

/// The assignment's enrollments `selection` matches, with their customers, in import order,
/// read a page at a time inside the caller's unit: bulk work and the preview hold one page
/// of the assignment in memory, never all of it (an assignment may hold a million).
pub(crate) struct SelectedPages<'s> {
    assignment: AssignmentId,
    selection: &'s Selection,
    page: u32,
    after: Option<EnrollmentCursor>,
    done: bool,
}

impl<'s> SelectedPages<'s> {
    /// Pages of `page` enrollments (before the selection thins them).
    pub(crate) fn new(assignment: AssignmentId, selection: &'s Selection, page: u32) -> Self {
        Self {
            assignment,
            selection,
            page: page.max(1),
            after: None,
            done: false,
        }
    }

    /// The selected rows of the next page (possibly none), `None` after the last page. The
    /// place is the last enrollment's values, so removing or changing rows of a page read
    /// already (in the same unit) skips nothing and repeats nothing.
    pub(crate) async fn next(
        &mut self,
        uow: &mut dyn ReadUnit,
    ) -> AppResult<Option<Vec<(Enrollment, Customer)>>> {
        if self.done {
            return Ok(None);
        }
        let enrollments = uow
            .enrollments_after(self.assignment, self.after, self.page)
            .await?;
        self.done = enrollments.len() < self.page as usize;
        let Some(last) = enrollments.last() else {
            return Ok(None);
        };
        self.after = Some(last.cursor());
        let mut customers = customers_of(uow, &enrollments).await?;
        let mut rows = Vec::new();
        for enrollment in enrollments {
            let Some(customer) = customers.remove(&enrollment.customer()) else {
                return Err(AppError::NotFound("customer"));
            };
            if self.selection.matches(&enrollment, customer.fields()) {
                rows.push((enrollment, customer));
            }
        }
        Ok(Some(rows))
    }
}

/// The customers of a page of enrollments, by id, in one read.
pub(crate) async fn customers_of(
    uow: &mut dyn ReadUnit,
    enrollments: &[Enrollment],
) -> AppResult<BTreeMap<CustomerId, Customer>> {
    let ids: Vec<CustomerId> = enrollments.iter().map(Enrollment::customer).collect();
    Ok(uow
        .customers_by_id(&ids)
        .await?
        .into_iter()
        .map(|c| (c.id(), c))
        .collect())
}

/// A selection previewed: how many it selects, and the first of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionPreview {
    /// How many enrollments the selection matches now.
    pub count: usize,
    /// The first `limit` of them, in import order, with their customers.
    pub rows: Vec<ExportRow>,
}

impl Cube {
    /// Every selected enrollment with its customer, in import order. It holds the whole
    /// selection in memory: for tests and small assignments; the server previews with
    /// [`Cube::preview_selection`] and exports with [`Cube::export_selection`].
    pub async fn select(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
        selection: &Selection,
    ) -> AppResult<Vec<ExportRow>> {
        Ok(self
            .preview_selection(who, assignment_id, selection, usize::MAX)
            .await?
            .rows)
    }

    /// How many enrollments the selection matches and the first `limit` of them with their
    /// customers (seed 001's "Kontroller": see whom a bulk change would touch). Counted a
    /// page at a time: the memory is one page and the `limit` rows kept, whatever the
    /// assignment's size.
    pub async fn preview_selection(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
        selection: &Selection,
        limit: usize,
    ) -> AppResult<SelectionPreview> {
        // A preview reads only: a read unit (on SQLite the WAL snapshot, no write lock).
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Manage, self.now())
            .await?;
        check_selection(&self.flows, uow.as_mut(), &assignment, selection).await?;
        let mut preview = SelectionPreview {
            count: 0,
            rows: Vec::new(),
        };
        let mut pages = SelectedPages::new(assignment_id, selection, self.export_page);
        while let Some(rows) = pages.next(uow.as_mut()).await? {
            preview.count += rows.len();
            let room = limit.saturating_sub(preview.rows.len());
            preview
                .rows
                .extend(
                    rows.into_iter()
                        .take(room)
                        .map(|(enrollment, customer)| ExportRow {
                            enrollment,
                            customer,
                        }),
                );
        }
        Ok(preview)
    }

    /// The selected enrollments as a file's rows (seed 001's "Kontroller": export a
    /// selection): laid out as the customer-status download — customer, state now, segment
    /// and every CRM field of the data owner —, in import order, a page at a time. For whoever may do bulk
    /// work on the assignment, as the preview.
    pub async fn export_selection(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
        selection: &Selection,
    ) -> AppResult<StatusExport> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Manage, self.now())
            .await?;
        check_selection(&self.flows, uow.as_mut(), &assignment, selection).await?;
        self.status_export_of(uow.as_mut(), &assignment, selection)
            .await
    }

    /// Applies `action` to every selected enrollment, all or nothing.
    pub async fn bulk(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
        selection: &Selection,
        action: BulkAction,
    ) -> AppResult<BulkReport> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Manage, now)
            .await?;
        check_selection(&self.flows, uow.as_mut(), &assignment, selection).await?;
        // What the action needs is checked once, before any row.
        match &action {
            BulkAction::MoveToSegment(Some(segment)) => {
                if !assignment.setup().has_segment(*segment) {
                    return Err(AppError::NotFound("segment"));
                }
            }
            BulkAction::RegisterOutcome(command) => {
                if !command.products.is_empty() || command.meeting.is_some() {
                    return Err(WorkError::BulkWithProductsOrMeeting.into());
                }
                if let Some(owner) = command.follow_up_owner {
                    self.check_follow_up_owner(uow.as_mut(), &user, owner, &assignment, now)
                        .await?;
                }
            }
            BulkAction::MoveToSegment(None) | BulkAction::Remove => {}
        }
        let mut report = BulkReport::default();
        let (mut failed, mut first_failure) = (0, None);
        let mut pages = SelectedPages::new(assignment_id, selection, self.export_page);
        while let Some(rows) = pages.next(uow.as_mut()).await? {
            report.selected += rows.len();
            for (mut enrollment, _) in rows {
                match &action {
                    BulkAction::MoveToSegment(segment) => {
                        if enrollment.segment() != *segment {
                            enrollment.move_to_segment(*segment);
                            uow.update_enrollment(&enrollment).await?;
                            report.changed += 1;
                        }
                    }
                    BulkAction::RegisterOutcome(command) => {
                        let registrar = Registrar::Manager(user.id);
                        match self
                            .register_in(
                                uow.as_mut(),
                                &assignment,
                                &enrollment,
                                registrar,
                                (**command).clone(),
                                None,
                                now,
                            )
                            .await
                        {
                            Ok(_) => report.changed += 1,
                            Err(AppError::Store(error)) => return Err(AppError::Store(error)),
                            Err(error) => {
                                failed += 1;
                                first_failure.get_or_insert_with(|| error.to_string());
                            }
                        }
                    }
                    BulkAction::Remove => {
                        uow.delete_enrollment(enrollment.id()).await?;
                        report.changed += 1;
                    }
                }
            }
        }
        if let Some(first) = first_failure {
            return Err(AppError::Bulk {
                selected: report.selected,
                failed,
                first,
            });
        }
        uow.commit().await?;
        Ok(report)
    }
}
