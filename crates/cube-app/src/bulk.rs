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
use cube_domain::enrollment::Enrollment;
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

/// The assignment's enrollments `selection` matches, in import order, with their customers.
pub(crate) async fn selected(
    uow: &mut dyn ReadUnit,
    assignment: AssignmentId,
    selection: &Selection,
) -> AppResult<Vec<(Enrollment, Customer)>> {
    let enrollments = uow.enrollments(assignment).await?;
    let ids: Vec<CustomerId> = enrollments.iter().map(Enrollment::customer).collect();
    let mut customers: BTreeMap<CustomerId, Customer> = uow
        .customers_by_id(&ids)
        .await?
        .into_iter()
        .map(|c| (c.id(), c))
        .collect();
    let mut rows = Vec::new();
    for enrollment in enrollments {
        let Some(customer) = customers.remove(&enrollment.customer()) else {
            return Err(AppError::NotFound("customer"));
        };
        if selection.matches(&enrollment, customer.fields()) {
            rows.push((enrollment, customer));
        }
    }
    Ok(rows)
}

impl Cube {
    /// The selected enrollments with their customers (also the export).
    pub async fn select(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
        selection: &Selection,
    ) -> AppResult<Vec<ExportRow>> {
        // A preview reads only: a read unit (on SQLite the WAL snapshot, no write lock).
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Manage, self.now())
            .await?;
        check_selection(&self.flows, uow.as_mut(), &assignment, selection).await?;
        Ok(selected(uow.as_mut(), assignment_id, selection)
            .await?
            .into_iter()
            .map(|(enrollment, customer)| ExportRow {
                enrollment,
                customer,
            })
            .collect())
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
        let rows = selected(uow.as_mut(), assignment_id, selection).await?;
        let mut report = BulkReport {
            selected: rows.len(),
            changed: 0,
        };
        let mut failures = Vec::new();
        match action {
            BulkAction::MoveToSegment(segment) => {
                if let Some(segment) = segment
                    && !assignment.setup().has_segment(segment)
                {
                    return Err(AppError::NotFound("segment"));
                }
                for (mut enrollment, _) in rows {
                    if enrollment.segment() != segment {
                        enrollment.move_to_segment(segment);
                        uow.update_enrollment(&enrollment).await?;
                        report.changed += 1;
                    }
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
                for (enrollment, _) in rows {
                    let registrar = Registrar::Manager(user.id);
                    match self
                        .register_in(
                            uow.as_mut(),
                            &assignment,
                            &enrollment,
                            registrar,
                            (*command).clone(),
                            None,
                            now,
                        )
                        .await
                    {
                        Ok(_) => report.changed += 1,
                        Err(AppError::Store(error)) => return Err(AppError::Store(error)),
                        Err(error) => failures.push(error.to_string()),
                    }
                }
            }
            BulkAction::Remove => {
                for (enrollment, _) in rows {
                    uow.delete_enrollment(enrollment.id()).await?;
                    report.changed += 1;
                }
            }
        }
        if let Some(first) = failures.first() {
            return Err(AppError::Bulk {
                selected: report.selected,
                failed: failures.len(),
                first: first.clone(),
            });
        }
        uow.commit().await?;
        Ok(report)
    }
}
