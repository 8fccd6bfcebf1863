//! Bulk work on a selection of an assignment's enrollments: move to a segment, register one
//! outcome on all, export, or remove.
//!
//! # Bulk work while sellers work
//! A manager runs a bulk action on a live assignment, with sellers taking customers ("next
//! customer": a reservation) and registering outcomes on the same rows. Every write of an
//! enrollment is optimistic — it writes only over the version it read — so the action meets
//! the sellers' writes. The rules (decided for issue 16's bulk defect: on PostgreSQL a bulk
//! action over a worked assignment failed with a conflict every time, because the queue hands
//! a seller the first free customer in import order, which is the row the action is about to
//! write):
//! - **A customer a seller holds** (a live reservation) is left as it is and counted
//!   ([`BulkReport::held`]); the preview says how many are held right now
//!   ([`SelectionPreview::held`]). The action never waits for a call to end and never takes a
//!   customer from under a seller.
//! - **A row a seller changed between the read of its page and the write** (its version moved)
//!   is read again, in the same unit, and the action is decided on the row as it is now: held
//!   now → counted as held; no longer selected (a registration moved it out of the selected
//!   states or attempts) or removed → left as it is and counted
//!   ([`BulkReport::changed_meanwhile`]); still selected → the action is applied to the current
//!   row. A row is read again at most [`ROW_RETRIES`] times. So a seller's registration is
//!   never overwritten: it is either what the action starts from, or it takes the row out of
//!   the action. A bulk registration claims its row first (writes it unchanged over the
//!   version read) so its outcome event is only appended for a row it holds.
//! - **All or nothing** stays: the whole action is one unit of work. If any selected customer
//!   cannot take the action (a domain refusal, not a seller's concurrent change), nothing is
//!   changed and the error says how many and why; a crash or a lost connection changes
//!   nothing either, and the action can simply be sent again. One unit was kept over
//!   per-page units because a bulk registration is not idempotent: after a half-done
//!   per-page run, running it again would register twice on rows still selected.
//! - The rows the action has written stay locked until it commits; the queue skips locked
//!   rows (`FOR UPDATE SKIP LOCKED`), so sellers keep getting the customers the action has
//!   not reached yet. Known cost of the one unit: once it has passed the last free customer,
//!   a seller asking before it commits is told there is no customer right now (204), for
//!   the moment between the last page and the commit.
//! - **Big selections**: a move or a removal is written a page at a time
//!   (`update_enrollments` / `delete_enrollments`: one statement per page on PostgreSQL, the
//!   rows a seller changed meanwhile refused and settled one by one as above), so the action
//!   costs about one round trip per page, not per row. A registration goes row by row (each
//!   is an outcome event with its messages and webhooks).

use crate::error::WorkError;
use crate::flows::flow_of;
use crate::reports::StatusExport;
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::access::User;
use cube_domain::assignment::Assignment;
use cube_domain::bulk::{BulkAction, Selection};
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::enrollment::{Enrollment, EnrollmentCursor};
use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId};
use cube_domain::outcome::Registrar;
use cube_domain::ports::{ReadUnit, StoreError, UnitOfWork};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// How many times one row is read again when a seller changed it between the read of its
/// page and the bulk action's write, before it is left as it is.
pub const ROW_RETRIES: u32 = 3;

/// What a bulk action did. Every selected enrollment is in exactly one of `changed`,
/// `unchanged` (already so: moving to the segment it is in), `held` and `changed_meanwhile`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// How many enrollments were selected.
    pub selected: usize,
    /// How many were changed.
    pub changed: usize,
    /// How many were left as they were because a seller held them (a live reservation: the
    /// customer was being called).
    pub held: usize,
    /// How many were left as they were because a seller changed them between the read and
    /// the write so that they are no longer selected (or removed them).
    pub changed_meanwhile: usize,
}

impl BulkReport {
    /// Selected, but already as the action would leave them.
    pub fn unchanged(&self) -> usize {
        self.selected
            .saturating_sub(self.changed + self.held + self.changed_meanwhile)
    }
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

/// `enrollment` read again in `uow` after a seller changed it: the row as it is now if it is
/// still selected, `None` if it left the selection or was removed.
async fn still_selected(
    uow: &mut dyn UnitOfWork,
    selection: &Selection,
    enrollment: &Enrollment,
    customer: &Customer,
) -> AppResult<Option<Enrollment>> {
    Ok(uow
        .enrollment(enrollment.id())
        .await?
        .filter(|row| selection.matches(row, customer.fields())))
}

/// How one selected row was settled.
enum Settled {
    /// The action was applied (`false`: the row was already so).
    Changed(bool),
    /// A seller holds it: left as it is.
    Held,
    /// A seller changed it out of the selection, or removed it: left as it is.
    ChangedMeanwhile,
    /// It cannot take the action: the reason.
    Refused(String),
}

/// The rows of `rows` whose ids are in `refused`.
fn only(
    rows: Vec<(Enrollment, Customer)>,
    refused: &[EnrollmentId],
) -> Vec<(Enrollment, Customer)> {
    if refused.is_empty() {
        return Vec::new();
    }
    let refused: BTreeSet<EnrollmentId> = refused.iter().copied().collect();
    rows.into_iter()
        .filter(|(enrollment, _)| refused.contains(&enrollment.id()))
        .collect()
}

/// A selection previewed: how many it selects, and the first of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionPreview {
    /// How many enrollments the selection matches now.
    pub count: usize,
    /// How many of them a seller holds right now (a bulk action would leave them as they
    /// are).
    pub held: usize,
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
        let now = self.now();
        let mut preview = SelectionPreview {
            count: 0,
            held: 0,
            rows: Vec::new(),
        };
        let mut pages = SelectedPages::new(assignment_id, selection, self.export_page);
        while let Some(rows) = pages.next(uow.as_mut()).await? {
            preview.count += rows.len();
            preview.held += rows
                .iter()
                .filter(|(enrollment, _)| enrollment.holder(now).is_some())
                .count();
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

    /// Applies `action` to every selected enrollment in one unit of work (all or nothing),
    /// leaving out the customers a seller holds right now and those a seller changed out of
    /// the selection meanwhile; the report counts both (see the module doc).
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
            let mut free = Vec::with_capacity(rows.len());
            for (enrollment, customer) in rows {
                if enrollment.holder(now).is_some() {
                    report.held += 1;
                } else {
                    free.push((enrollment, customer));
                }
            }
            // A move or a removal is written a page at a time (one statement on
            // PostgreSQL); the rows a seller changed since the page was read are refused by
            // the store and settled one by one below. A registration goes row by row.
            let (one_by_one, read_again) = match &action {
                BulkAction::MoveToSegment(segment) => {
                    let moved: Vec<Enrollment> = free
                        .iter()
                        .filter(|(enrollment, _)| enrollment.segment() != *segment)
                        .map(|(enrollment, _)| {
                            let mut moved = enrollment.clone();
                            moved.move_to_segment(*segment);
                            moved
                        })
                        .collect();
                    let refused = uow.update_enrollments(&moved).await?;
                    report.changed += moved.len() - refused.len();
                    (only(free, &refused), true)
                }
                BulkAction::Remove => {
                    let ids: Vec<EnrollmentId> = free.iter().map(|(e, _)| e.id()).collect();
                    let refused = uow.delete_enrollments(&ids).await?;
                    report.changed += ids.len() - refused.len();
                    (only(free, &refused), true)
                }
                BulkAction::RegisterOutcome(_) => (free, false),
            };
            for (enrollment, customer) in one_by_one {
                let (current, tries) = if read_again {
                    match still_selected(uow.as_mut(), selection, &enrollment, &customer).await? {
                        Some(row) => (row, 1),
                        None => {
                            report.changed_meanwhile += 1;
                            continue;
                        }
                    }
                } else {
                    (enrollment, 0)
                };
                let settled = self
                    .bulk_row(
                        uow.as_mut(),
                        &assignment,
                        &user,
                        selection,
                        &action,
                        (current, &customer),
                        tries,
                        now,
                    )
                    .await?;
                match settled {
                    Settled::Changed(changed) => report.changed += usize::from(changed),
                    Settled::Held => report.held += 1,
                    Settled::ChangedMeanwhile => report.changed_meanwhile += 1,
                    Settled::Refused(why) => {
                        failed += 1;
                        first_failure.get_or_insert(why);
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

    /// Settles one selected row, `current` as read in `uow` after `tries` reads again: held →
    /// left; else the action, and if the row moved on meanwhile (`Conflict`), read again and
    /// decided as it is now, at most [`ROW_RETRIES`] times in all.
    #[allow(clippy::too_many_arguments)]
    async fn bulk_row(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        user: &User,
        selection: &Selection,
        action: &BulkAction,
        (mut current, customer): (Enrollment, &Customer),
        mut tries: u32,
        now: OffsetDateTime,
    ) -> AppResult<Settled> {
        loop {
            if current.holder(now).is_some() {
                return Ok(Settled::Held);
            }
            match self
                .bulk_one(uow, assignment, user, action, &current, now)
                .await
            {
                Ok(changed) => return Ok(Settled::Changed(changed)),
                // The row's version moved between its read and this write: a seller reserved
                // it or registered on it. Read it again and decide on the row as it is now,
                // never over it.
                Err(AppError::Store(StoreError::Conflict(_))) if tries < ROW_RETRIES => {
                    tries += 1;
                    match still_selected(uow, selection, &current, customer).await? {
                        Some(row) => current = row,
                        None => return Ok(Settled::ChangedMeanwhile),
                    }
                }
                Err(AppError::Store(StoreError::Conflict(_))) => {
                    return Ok(Settled::ChangedMeanwhile);
                }
                Err(AppError::Store(error)) => return Err(AppError::Store(error)),
                Err(error) => return Ok(Settled::Refused(error.to_string())),
            }
        }
    }

    /// Applies `action` to one enrollment as it was read in `uow`; whether it changed. A
    /// `Conflict` means the row moved on since that read, and nothing of this row was
    /// written: every write here checks the version read first.
    async fn bulk_one(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        user: &User,
        action: &BulkAction,
        enrollment: &Enrollment,
        now: OffsetDateTime,
    ) -> AppResult<bool> {
        match action {
            BulkAction::MoveToSegment(segment) => {
                if enrollment.segment() == *segment {
                    return Ok(false);
                }
                let mut moved = enrollment.clone();
                moved.move_to_segment(*segment);
                uow.update_enrollment(&moved).await?;
            }
            BulkAction::RegisterOutcome(command) => {
                // Claim the row first (the same values, written only over the version
                // read): after it, nobody can change the row until this unit ends, so the
                // registration's event is never appended for a row that then conflicts.
                uow.update_enrollment(enrollment).await?;
                self.register_in(
                    uow,
                    assignment,
                    enrollment,
                    Registrar::Manager(user.id),
                    (**command).clone(),
                    None,
                    now,
                )
                .await?;
            }
            BulkAction::Remove => uow.delete_enrollment(enrollment.id()).await?,
        }
        Ok(true)
    }
}
