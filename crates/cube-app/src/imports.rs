//! A data owner's customer imports, and undoing one (issue 16). A file brought in by
//! mistake — the wrong list, or the right list into the wrong assignment — is taken out again
//! as it came in: the customers and enrollments the import CREATED are removed, in one unit
//! of work, as long as nobody has worked on any of them
//! (`cube_domain::customer_import::Traces`); otherwise nothing is removed and the refusal
//! names how many customers were worked on. Customers the import only UPDATED (matched by
//! external id or phone) keep the row's values: their old values are not kept, and they were
//! the data owner's before the import.
//!
//! Who may: whoever may import into the data owner (its managers and the organisation's
//! admins). An import of another organisation is "not found", like one that does not exist.

use crate::setup::{managed_owner, not_found_as};
use crate::{Acting, AppError, AppResult, Cube, acting};
use cube_domain::customer_import::{CustomerImport, Traces};
use cube_domain::enrollment::Enrollment;
use cube_domain::ids::{CustomerId, DataOwnerId, ImportId};
use cube_domain::ports::ReadUnit;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// What undoing an import removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoneImport {
    /// The import's record, now marked undone.
    pub import: CustomerImport,
    /// Customers removed (those it created that were still there).
    pub customers_removed: usize,
    /// Enrollments removed: those it created that were still there, and any other
    /// enrollment of a customer it created (that customer could not go otherwise).
    pub enrollments_removed: usize,
}

impl Cube {
    /// The data owner's imports with what each created, newest first.
    pub async fn customer_imports(
        &self,
        who: impl Into<Acting<'_>>,
        owner: DataOwnerId,
    ) -> AppResult<Vec<CustomerImport>> {
        let mut unit = self.begin_read().await?;
        let user = acting(unit.as_mut(), who.into()).await?;
        managed_owner(unit.as_mut(), &user, owner, self.now().date()).await?;
        Ok(unit.customer_imports(owner).await?)
    }

    /// Undoes an import in one unit of work: removes the enrollments and customers it
    /// created and marks it undone, or — when one of its customers has been worked on, or
    /// it was undone already — refuses and removes nothing.
    pub async fn undo_import(
        &self,
        who: impl Into<Acting<'_>>,
        id: ImportId,
    ) -> AppResult<UndoneImport> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut import = uow
            .customer_import(id)
            .await?
            .ok_or(AppError::NotFound("import"))?;
        managed_owner(uow.as_mut(), &user, import.data_owner, now.date())
            .await
            .map_err(|e| not_found_as(e, "import"))?;
        let undone = import.undo(now, user.id)?;
        let removal = Removal::of(uow.as_mut(), &import, now).await?;
        let worked = removal.traces.values().filter(|t| t.is_worked()).count();
        if worked > 0 {
            return Err(cube_domain::customer_import::UndoRefused::Worked {
                worked,
                customers: removal.traces.len(),
            }
            .into());
        }
        for enrollment in &removal.enrollments {
            uow.delete_enrollment(enrollment.id()).await?;
        }
        for customer in &removal.customers {
            uow.delete_customer(*customer).await?;
        }
        uow.mark_import_undone(id, undone).await?;
        uow.commit().await?;
        Ok(UndoneImport {
            import,
            customers_removed: removal.customers.len(),
            enrollments_removed: removal.enrollments.len(),
        })
    }
}

/// What an undo would remove, and the traces of work on each customer concerned.
struct Removal {
    /// The enrollments to remove.
    enrollments: Vec<Enrollment>,
    /// The created customers still there, to remove after their enrollments.
    customers: Vec<CustomerId>,
    /// Each customer concerned (created, or enrolled by the import) and what shows work on it.
    traces: BTreeMap<CustomerId, Traces>,
}

impl Removal {
    /// Reads what the import created that is still there: its enrollments, its customers
    /// with every enrollment of theirs, and the traces of work on them at `now`.
    async fn of(
        unit: &mut dyn ReadUnit,
        import: &CustomerImport,
        now: OffsetDateTime,
    ) -> AppResult<Self> {
        let mut enrollments: BTreeMap<_, Enrollment> = BTreeMap::new();
        for id in &import.enrollments {
            // One removed since (a bulk removal) is gone already.
            if let Some(enrollment) = unit.enrollment(*id).await? {
                enrollments.insert(enrollment.id(), enrollment);
            }
        }
        // The customers it created still there (one read), each with every enrollment of
        // theirs: a customer goes only with all of them.
        let customers: Vec<CustomerId> = unit
            .customers_by_id(&import.customers)
            .await?
            .iter()
            .map(|c| c.id())
            .collect();
        let mut traces: BTreeMap<CustomerId, Traces> = BTreeMap::new();
        for id in &customers {
            for enrollment in unit.enrollments_of_customer(*id).await? {
                enrollments.insert(enrollment.id(), enrollment);
            }
            let entry = traces.entry(*id).or_default();
            entry.meetings = unit.meetings_of_customer(*id).await?.len();
            entry.card_changes = unit.customer_changes(*id).await?.len();
        }
        for enrollment in enrollments.values() {
            let entry = traces.entry(enrollment.customer()).or_default();
            entry.outcome_events += unit.events_of(enrollment.id()).await?.len();
            entry.held_now |= enrollment.holder(now).is_some();
        }
        // The messages of every enrollment concerned, in one read.
        let ids: Vec<_> = enrollments.keys().copied().collect();
        for stored in unit.messages_of(&ids).await? {
            let customer = stored
                .message
                .enrollment
                .and_then(|id| enrollments.get(&id))
                .map(Enrollment::customer);
            if let Some(customer) = customer {
                traces.entry(customer).or_default().messages += 1;
            }
        }
        Ok(Self {
            enrollments: enrollments.into_values().collect(),
            customers,
            traces,
        })
    }
}
