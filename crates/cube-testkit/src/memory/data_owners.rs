//! Data owners: a small table, scanned; and their privacy logs, one list in the order
//! recorded.

use super::{MemoryUnit, sorted_by};
use async_trait::async_trait;
use cube_domain::data_owner::DataOwner;
use cube_domain::ids::{DataOwnerId, OrganisationId, PrivacyRequestId};
use cube_domain::ports::DataOwnerWrites;
use cube_domain::ports::{DataOwnerRepository, RecordKind, StoreError, UniqueRule};
use cube_domain::privacy::{DoNotContact, PrivacyRequest, Salt};
use std::ops::Bound;

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

    async fn privacy_log(&mut self, owner: DataOwnerId) -> Result<Vec<PrivacyRequest>, StoreError> {
        Ok(self
            .data
            .privacy_log
            .values()
            .filter(|r| r.data_owner == owner)
            .cloned()
            .collect())
    }

    async fn privacy_log_after(
        &mut self,
        after: Option<PrivacyRequestId>,
        limit: u32,
    ) -> Result<Vec<PrivacyRequest>, StoreError> {
        let from = match after {
            None => Bound::Unbounded,
            Some(id) => match self.data.privacy_log_ids.get(&id) {
                Some(record) => Bound::Excluded(*record),
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .privacy_log
            .range((from, Bound::Unbounded))
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn do_not_contact_salt(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Option<Salt>, StoreError> {
        Ok(self
            .data
            .do_not_contact
            .range((owner, String::new())..)
            .next()
            .filter(|((o, _), _)| *o == owner)
            .map(|(_, entry)| entry.salt.clone()))
    }

    async fn do_not_contact_listed(
        &mut self,
        owner: DataOwnerId,
        hashes: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut listed: Vec<String> = hashes
            .iter()
            .filter(|h| {
                self.data
                    .do_not_contact
                    .contains_key(&(owner, (*h).clone()))
            })
            .cloned()
            .collect();
        listed.sort();
        listed.dedup();
        Ok(listed)
    }

    async fn do_not_contact_after(
        &mut self,
        after: Option<(DataOwnerId, String)>,
        limit: u32,
    ) -> Result<Vec<DoNotContact>, StoreError> {
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .do_not_contact
            .range((from, Bound::Unbounded))
            .take(limit)
            .map(|(_, entry)| entry.clone())
            .collect())
    }
}

#[async_trait]
impl DataOwnerWrites for MemoryUnit {
    async fn save_data_owner(&mut self, owner: &DataOwner) -> Result<(), StoreError> {
        self.put(|d| &mut d.data_owners, owner.id(), owner.clone());
        Ok(())
    }

    async fn log_privacy_request(&mut self, request: &PrivacyRequest) -> Result<(), StoreError> {
        if self.data.privacy_log_ids.contains_key(&request.id) {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::PrivacyRequest,
            )));
        }
        let record = self.bump(|d| &mut d.privacy_log_counter);
        self.put(|d| &mut d.privacy_log, record, request.clone());
        self.put(|d| &mut d.privacy_log_ids, request.id, record);
        Ok(())
    }

    async fn list_do_not_contact(&mut self, entry: &DoNotContact) -> Result<(), StoreError> {
        let key = (entry.data_owner, entry.phone_hash.clone());
        if !self.data.do_not_contact.contains_key(&key) {
            self.put(|d| &mut d.do_not_contact, key, entry.clone());
        }
        Ok(())
    }
}
