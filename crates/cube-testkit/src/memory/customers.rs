//! Customers: they grow with the work, so they are indexed — by data owner in insertion
//! order ("oldest first"), and by lookup key (external id, phone numbers, a company's
//! organisation number) for the import.

use super::{LookupKey, MAX, MIN, MemoryUnit, earliest, latest};
use async_trait::async_trait;
use cube_domain::customer::{Customer, CustomerChange, CustomerFilter};
use cube_domain::customer_import::CustomerImport;
use cube_domain::ids::{CustomerId, DataOwnerId, EnrollmentId, ImportId};
use cube_domain::import_match::RowKeys;
use cube_domain::ports::CustomerWrites;
use cube_domain::ports::{CustomerKey, CustomerRepository, Page, StoreError};
use cube_domain::privacy::PersonKey;
use std::ops::Bound;

/// The lookup keys a customer can be found by.
fn lookup_keys(customer: &Customer) -> Vec<LookupKey> {
    let details = customer.details();
    details
        .external_id
        .iter()
        .map(|id| LookupKey::External(id.clone()))
        .chain(
            details
                .phones
                .iter()
                .map(|p| LookupKey::Phone(p.as_str().to_owned())),
        )
        .chain(customer.registry_key().map(LookupKey::Registry))
        .collect()
}

#[async_trait]
impl CustomerRepository for MemoryUnit {
    async fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        Ok(self.data.customers.get(&id).cloned())
    }

    async fn customers_by_id(&mut self, ids: &[CustomerId]) -> Result<Vec<Customer>, StoreError> {
        Ok(ids
            .iter()
            .filter_map(|id| self.data.customers.get(id))
            .cloned()
            .collect())
    }

    async fn find_customer(
        &mut self,
        owner: DataOwnerId,
        key: &CustomerKey,
        except: Option<CustomerId>,
    ) -> Result<Option<Customer>, StoreError> {
        let key = match key {
            CustomerKey::ExternalId(id) => LookupKey::External(id.clone()),
            CustomerKey::Phone(phone) => LookupKey::Phone(phone.as_str().to_owned()),
            CustomerKey::Registry(key) => LookupKey::Registry(key.clone()),
        };
        let from = (owner, key.clone(), 0, CustomerId::from_uuid(MIN));
        let to = (owner, key, u64::MAX, CustomerId::from_uuid(MAX));
        Ok(self
            .data
            .customer_lookup
            .range(from..=to)
            .find(|(_, _, _, id)| Some(*id) != except)
            .and_then(|(_, _, _, id)| self.data.customers.get(id))
            .cloned())
    }

    async fn import_row_keys(
        &mut self,
        owner: DataOwnerId,
        rows: &[&Customer],
    ) -> Result<Vec<RowKeys>, StoreError> {
        Ok(rows.iter().map(|row| self.row_keys(owner, row)).collect())
    }

    async fn customers(
        &mut self,
        owner: DataOwnerId,
        filter: &CustomerFilter,
        page: Page,
    ) -> Result<Vec<Customer>, StoreError> {
        let from = (owner, 0, CustomerId::from_uuid(MIN));
        let to = (owner, u64::MAX, CustomerId::from_uuid(MAX));
        let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .owner_customers
            .range(from..=to)
            .filter_map(|(_, _, id)| self.data.customers.get(id))
            .filter(|customer| filter.matches(customer))
            .skip(offset)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn customers_after(
        &mut self,
        owner: DataOwnerId,
        after: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<Customer>, StoreError> {
        let from = match after {
            None => Bound::Included((owner, 0, CustomerId::from_uuid(MIN))),
            Some(id) => {
                let rank = self.data.customer_rank.get(&id).copied();
                let owned = self
                    .data
                    .customers
                    .get(&id)
                    .is_some_and(|c| c.data_owner() == owner);
                match rank {
                    Some(rank) if owned => Bound::Excluded((owner, rank, id)),
                    _ => return Ok(Vec::new()),
                }
            }
        };
        let to = Bound::Included((owner, u64::MAX, CustomerId::from_uuid(MAX)));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .owner_customers
            .range((from, to))
            .filter_map(|(_, _, id)| self.data.customers.get(id))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn customer_changes(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<CustomerChange>, StoreError> {
        let from = (customer, earliest(), 0);
        let to = (customer, latest(), u64::MAX);
        Ok(self
            .data
            .customer_changes
            .range(from..=to)
            .map(|(_, change)| change.clone())
            .collect())
    }

    async fn customer_import(
        &mut self,
        id: ImportId,
    ) -> Result<Option<CustomerImport>, StoreError> {
        Ok(self
            .data
            .customer_import_ids
            .get(&id)
            .and_then(|n| self.data.customer_imports.get(n))
            .cloned())
    }

    async fn customer_imports(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<CustomerImport>, StoreError> {
        let mut imports: Vec<CustomerImport> = self
            .data
            .customer_imports
            .values()
            .filter(|i| i.data_owner == owner)
            .cloned()
            .collect();
        imports.sort_by_key(|i| std::cmp::Reverse((i.imported_at, i.id)));
        Ok(imports)
    }

    async fn customer_imports_after(
        &mut self,
        after: Option<ImportId>,
        limit: u32,
    ) -> Result<Vec<CustomerImport>, StoreError> {
        let from = match after {
            None => Bound::Unbounded,
            Some(id) => match self.data.customer_import_ids.get(&id) {
                Some(n) => Bound::Excluded(*n),
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .customer_imports
            .range((from, Bound::Unbounded))
            .map(|(_, import)| import.clone())
            .take(limit)
            .collect())
    }

    async fn customers_of_person(
        &mut self,
        owner: DataOwnerId,
        key: &PersonKey,
    ) -> Result<Vec<Customer>, StoreError> {
        // A person is asked for rarely: the owner's customers are scanned in their order.
        let from = (owner, 0, CustomerId::from_uuid(MIN));
        let to = (owner, u64::MAX, CustomerId::from_uuid(MAX));
        Ok(self
            .data
            .owner_customers
            .range(from..=to)
            .filter_map(|(_, _, id)| self.data.customers.get(id))
            .filter(|c| key.matches(c))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl CustomerWrites for MemoryUnit {
    async fn record_customer_change(&mut self, change: &CustomerChange) -> Result<(), StoreError> {
        let n = self.bump(|d| &mut d.card_change_counter);
        self.put(
            |d| &mut d.customer_changes,
            (change.customer, change.at, n),
            change.clone(),
        );
        Ok(())
    }

    async fn save_customer(&mut self, customer: &Customer) -> Result<(), StoreError> {
        let id = customer.id();
        let rank = match self.data.customer_rank.get(&id).copied() {
            Some(rank) => {
                // An update: take the old index entries out before writing the new ones.
                if let Some(old) = self.data.customers.get(&id) {
                    let (owner, keys) = (old.data_owner(), lookup_keys(old));
                    self.take(|d| &mut d.owner_customers, (owner, rank, id));
                    for key in keys {
                        self.take(|d| &mut d.customer_lookup, (owner, key, rank, id));
                    }
                }
                rank
            }
            None => {
                let rank = self.bump(|d| &mut d.customer_counter);
                self.put(|d| &mut d.customer_rank, id, rank);
                rank
            }
        };
        let owner = customer.data_owner();
        self.put(|d| &mut d.owner_customers, (owner, rank, id), ());
        for key in lookup_keys(customer) {
            self.put(|d| &mut d.customer_lookup, (owner, key, rank, id), ());
        }
        self.put(|d| &mut d.customers, id, customer.clone());
        Ok(())
    }

    async fn delete_customer(&mut self, id: CustomerId) -> Result<(), StoreError> {
        let Some(customer) = self.data.customers.get(&id).cloned() else {
            return Err(StoreError::Conflict(format!(
                "customer {id} does not exist"
            )));
        };
        let enrolled = self
            .data
            .customer_enrollments
            .range((id, EnrollmentId::from_uuid(MIN))..=(id, EnrollmentId::from_uuid(MAX)))
            .next()
            .is_some();
        if enrolled {
            return Err(StoreError::Conflict(format!(
                "customer {id} is still enrolled; remove its enrollments first"
            )));
        }
        self.erase_customer_changes(id).await?;
        let owner = customer.data_owner();
        if let Some(rank) = self.data.customer_rank.get(&id).copied() {
            self.take(|d| &mut d.owner_customers, (owner, rank, id));
            for key in lookup_keys(&customer) {
                self.take(|d| &mut d.customer_lookup, (owner, key, rank, id));
            }
            self.take(|d| &mut d.customer_rank, id);
        }
        self.take(|d| &mut d.customers, id);
        Ok(())
    }

    async fn erase_customer_changes(&mut self, customer: CustomerId) -> Result<(), StoreError> {
        let from = (customer, earliest(), 0);
        let to = (customer, latest(), u64::MAX);
        let keys: Vec<_> = self
            .data
            .customer_changes
            .range(from..=to)
            .map(|(key, _)| *key)
            .collect();
        for key in keys {
            self.take(|d| &mut d.customer_changes, key);
        }
        Ok(())
    }
}
