//! Assignments (with their whole setup): a small table, scanned.

use super::{MemoryUnit, sorted_by};
use async_trait::async_trait;
use cube_domain::assignment::Assignment;
use cube_domain::ids::{AssignmentId, OrganisationId};
use cube_domain::ports::AssignmentWrites;
use cube_domain::ports::{AssignmentRepository, StoreError};

#[async_trait]
impl AssignmentRepository for MemoryUnit {
    async fn assignment(&mut self, id: AssignmentId) -> Result<Option<Assignment>, StoreError> {
        Ok(self.data.assignments.get(&id).cloned())
    }

    async fn assignments(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Assignment>, StoreError> {
        let assignments = self
            .data
            .assignments
            .values()
            .filter(|a| a.organisation() == organisation)
            .cloned()
            .collect();
        Ok(sorted_by(assignments, |a| (a.name().clone(), a.id())))
    }
}

#[async_trait]
impl AssignmentWrites for MemoryUnit {
    async fn save_assignment(&mut self, assignment: &Assignment) -> Result<(), StoreError> {
        self.put(|d| &mut d.assignments, assignment.id(), assignment.clone());
        Ok(())
    }
}
