//! Organisations: a small table, scanned.

use super::{MemoryUnit, sorted_by};
use async_trait::async_trait;
use cube_domain::access::Organisation;
use cube_domain::ids::OrganisationId;
use cube_domain::ports::OrganisationWrites;
use cube_domain::ports::{OrganisationRepository, StoreError};

#[async_trait]
impl OrganisationRepository for MemoryUnit {
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError> {
        Ok(self.data.organisations.get(&id).cloned())
    }

    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError> {
        let organisations = self.data.organisations.values().cloned().collect();
        Ok(sorted_by(organisations, |o: &Organisation| o.id))
    }
}

#[async_trait]
impl OrganisationWrites for MemoryUnit {
    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError> {
        self.put(
            |d| &mut d.organisations,
            organisation.id,
            organisation.clone(),
        );
        Ok(())
    }
}
