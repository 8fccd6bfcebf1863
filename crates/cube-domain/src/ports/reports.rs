//! Report storage: the tallies of `crate::reports`, computed where the data lives. A SQL
//! adapter answers each method with one GROUP BY query instead of loading every event or
//! enrollment; the in-memory adapter folds with the `tally_*` functions themselves. Either
//! way the rows MUST equal what those functions return on the same data, which is what the
//! contract suite in `cube-testkit` checks (`report(tally(events)) == report(store_tally)`).
//!
//! Every method MUST return `StoreError::Unavailable` when the store cannot be reached, and
//! `StoreError::Corrupt` when stored rows cannot be read back; an unknown assignment simply
//! has no rows.

use crate::assignment::setup::AnalysisField;
use crate::ids::AssignmentId;
use crate::ports::StoreError;
use crate::reports::{HitTallyRow, OpenOffer, OutcomeTallyRow, SoldProductRow, StatusTallyRow};
use async_trait::async_trait;
use time::OffsetDateTime;

/// The aggregates reports are built from.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait ReportRepository: Send {
    /// The outcome tally of the events of `assignments` that occurred in `[from, to)`: MUST
    /// equal `reports::tally_outcomes` over exactly those events (same rows, same order;
    /// product units and value only on rows landing in a Yes state). For "all to date",
    /// callers pass `OffsetDateTime::UNIX_EPOCH` and now.
    async fn outcome_tally(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeTallyRow>, StoreError>;

    /// The sold products of the events of `assignments` that occurred in `[from, to)`: MUST
    /// equal `reports::tally_sold_products` over exactly those events.
    async fn sold_products(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SoldProductRow>, StoreError>;

    /// The status tally of the assignment's current enrollments: MUST equal
    /// `reports::tally_status` over all of them.
    async fn status_tally(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<StatusTallyRow>, StoreError>;

    /// How many of the assignment's enrollments are reserved at `now`: a live lease
    /// (`Enrollment::holder(now)` is some), whoever holds it.
    async fn reserved_count(
        &mut self,
        assignment: AssignmentId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    /// The hit tally for `fields` of the assignment's current enrollments with their
    /// customers' CRM field values: MUST equal `reports::tally_hits(fields, …)` over all of
    /// them (only enrollments in a Yes or No state count).
    async fn hit_tally(
        &mut self,
        assignment: AssignmentId,
        fields: &[AnalysisField],
    ) -> Result<Vec<HitTallyRow>, StoreError>;

    /// The assignment's open offers now: MUST equal `reports::open_offers` over all its
    /// enrollments and their events (same order: by `since`, then enrollment).
    async fn open_offers(&mut self, assignment: AssignmentId)
    -> Result<Vec<OpenOffer>, StoreError>;
}
