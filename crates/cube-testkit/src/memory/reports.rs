//! Report tallies over the in-memory data. The domain's own `tally_*` functions do the
//! folding, so this adapter is the reference the SQL adapters' GROUP BY queries are held to.

use super::MemoryUnit;
use async_trait::async_trait;
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::ids::AssignmentId;
use cube_domain::ports::{ReportRepository, StoreError};
use cube_domain::reports::{
    self, HitTallyRow, OpenOffer, OutcomeTallyRow, SoldProductRow, StatusTallyRow,
};
use time::OffsetDateTime;

#[async_trait]
impl ReportRepository for MemoryUnit {
    async fn outcome_tally(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeTallyRow>, StoreError> {
        let positions = self.event_positions(assignments, from, to);
        Ok(reports::tally_outcomes(
            positions.iter().filter_map(|at| self.data.events.get(*at)),
        ))
    }

    async fn sold_products(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SoldProductRow>, StoreError> {
        let positions = self.event_positions(assignments, from, to);
        Ok(reports::tally_sold_products(
            positions.iter().filter_map(|at| self.data.events.get(*at)),
        )?)
    }

    async fn status_tally(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<StatusTallyRow>, StoreError> {
        Ok(reports::tally_status(self.data.enrollments_of(assignment)))
    }

    async fn reserved_count(
        &mut self,
        assignment: AssignmentId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let held = self
            .data
            .enrollments_of(assignment)
            .filter(|e| e.holder(now).is_some())
            .count();
        Ok(u64::try_from(held).unwrap_or(u64::MAX))
    }

    async fn hit_tally(
        &mut self,
        assignment: AssignmentId,
        fields: &[AnalysisField],
    ) -> Result<Vec<HitTallyRow>, StoreError> {
        let data = &*self.data;
        Ok(reports::tally_hits(
            fields,
            data.enrollments_of(assignment)
                .map(|enrollment| (enrollment, data.fields_of(enrollment))),
        ))
    }

    async fn open_offers(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<OpenOffer>, StoreError> {
        let enrollments: Vec<_> = self.data.enrollments_of(assignment).cloned().collect();
        let positions = self.event_positions(&[assignment], super::earliest(), super::latest());
        Ok(reports::open_offers(
            &enrollments,
            positions.iter().filter_map(|at| self.data.events.get(*at)),
        )?)
    }
}
