//! Data owners: a small table, scanned.

use super::{MemoryUnit, sorted_by};
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, StoreError};

#[async_trait]
impl DataOwnerRepository for MemoryUnit {
    async fn data_owner(&mut self, id: DataOwnerId) -> Result<Option<DataOwner>, StoreError> {
        Ok(self.data.data_owners.get(&id).cloned())
    }

    async fn data_owners(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<DataOwner>, StoreError> {
        let owners = self
            .data
            .data_owners
            .values()
            .filter(|o| o.organisation() == organisation)
            .cloned()
            .collect();
        Ok(sorted_by(owners, |o| (o.name().clone(), o.id())))
    }
}

#[async_trait]
impl DataOwnerWrites for MemoryUnit {
    async fn save_data_owner(&mut self, owner: &DataOwner) -> Result<(), StoreError> {
        self.put(|d| &mut d.data_owners, owner.id(), owner.clone());
        Ok(())
    }
}
