//! The batched import: find or create each row's customer (`ImportBatch::decide`: refused when
//! a key of it belongs to another customer; an update that changes nothing is not written),
//! then enroll it, all inside the unit of work. A failing row undoes the whole batch (a savepoint), so the unit stays as it
//! was before the call.
//!
//! Also each import's record of what it created (`record_import`, `add_to_import`,
//! `mark_import_undone`), kept whole with its id lists sorted, so an import can be undone.

use super::{LookupKey, MAX, MIN, MemoryUnit};
use async_trait::async_trait;
use cube_domain::customer::Customer;
use cube_domain::customer_import::{CustomerImport, ImportUndone};
use cube_domain::ids::{CustomerId, DataOwnerId, EnrollmentId, ImportId};
use cube_domain::import_match::{KeyHolder, RowKeys, RowMatch};
use cube_domain::ports::{
    CustomerWrites, EnrollmentRepository, EnrollmentWrites, ImportBatch, ImportCounts,
    ImportRepository, ImportedRow, OnMatch, RecordKind, RowCustomer, StoreError, UniqueRule,
};

impl MemoryUnit {
    /// The data owner's first customer (oldest) with this lookup key.
    fn first_with(&self, owner: DataOwnerId, key: LookupKey) -> Option<CustomerId> {
        let from = (owner, key.clone(), 0, CustomerId::from_uuid(MIN));
        let to = (owner, key, u64::MAX, CustomerId::from_uuid(MAX));
        self.data
            .customer_lookup
            .range(from..=to)
            .next()
            .map(|(_, _, _, id)| *id)
    }

    /// A holder of a key: the customer with its external id and dataset (`None` for a
    /// customer the index names that is not there).
    fn holder(&self, id: CustomerId) -> Option<KeyHolder> {
        let customer = self.data.customers.get(&id)?;
        Some(KeyHolder {
            customer: id,
            external_id: customer.details().external_id.clone(),
            dataset: customer.dataset(),
        })
    }

    /// Who holds a row's keys: the oldest customer with its external id, the oldest company
    /// with its organisation number, and the oldest customer with each of its phones.
    pub(super) fn row_keys(&self, owner: DataOwnerId, customer: &Customer) -> RowKeys {
        let details = customer.details();
        RowKeys {
            by_external_id: details
                .external_id
                .as_ref()
                .and_then(|id| self.first_with(owner, LookupKey::External(id.clone())))
                .and_then(|id| self.holder(id)),
            by_registry_number: customer
                .registry_key()
                .and_then(|key| self.first_with(owner, LookupKey::Registry(key)))
                .and_then(|id| self.holder(id)),
            by_phone: details
                .phones
                .iter()
                .filter_map(|p| {
                    let id = self.first_with(owner, LookupKey::Phone(p.as_str().to_owned()))?;
                    Some((p.clone(), self.holder(id)?))
                })
                .collect(),
        }
    }

    async fn import_rows(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let mut counts = ImportCounts::default();
        let mut sequence = self.next_sequence(batch.assignment).await?;
        for row in &batch.rows {
            let keys = self.row_keys(batch.data_owner, &row.customer);
            let (customer, outcome) = match batch.decide(&keys, &row.customer) {
                RowMatch::Refused(conflict) => {
                    counts.refuse(conflict);
                    continue;
                }
                RowMatch::Existing(existing) => match batch.on_match {
                    OnMatch::Skip => (existing, RowCustomer::Skipped),
                    OnMatch::Update => {
                        let current =
                            self.data.customers.get(&existing).ok_or_else(|| {
                                StoreError::Corrupt("a looked-up customer".into())
                            })?;
                        let updated = current.reimported(&row.customer);
                        if updated == *current {
                            (existing, RowCustomer::Unchanged)
                        } else {
                            self.save_customer(&updated).await?;
                            (existing, RowCustomer::Updated)
                        }
                    }
                },
                RowMatch::New => {
                    self.save_customer(&row.customer).await?;
                    (row.customer.id(), RowCustomer::Created)
                }
            };
            if self
                .data
                .enrollment_of
                .contains_key(&(batch.assignment, customer))
            {
                counts.record(ImportedRow {
                    customer,
                    outcome,
                    enrolled: false,
                });
                continue;
            }
            let enrollment = batch.enrollment(row, customer, sequence);
            self.insert_enrollment(&enrollment).await?;
            sequence += 1;
            counts.record(ImportedRow {
                customer,
                outcome,
                enrolled: true,
            });
        }
        Ok(counts)
    }
}

#[async_trait]
impl ImportRepository for MemoryUnit {
    async fn import_batch(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let savepoint = self.savepoint();
        let result = self.import_rows(batch).await;
        if result.is_err() {
            self.roll_back_to(savepoint);
        }
        result
    }

    async fn record_import(&mut self, import: &CustomerImport) -> Result<(), StoreError> {
        if self.data.customer_import_ids.contains_key(&import.id) {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::CustomerImport,
            )));
        }
        let mut import = import.clone();
        import.customers.sort_unstable();
        import.enrollments.sort_unstable();
        let n = self.bump(|d| &mut d.customer_import_counter);
        self.put(|d| &mut d.customer_import_ids, import.id, n);
        self.put(|d| &mut d.customer_imports, n, import);
        Ok(())
    }

    async fn add_to_import(
        &mut self,
        id: ImportId,
        customers: &[CustomerId],
        enrollments: &[EnrollmentId],
    ) -> Result<(), StoreError> {
        let (n, mut import) = self.import_record(id)?;
        if import.undone.is_some() {
            return Err(StoreError::Conflict(format!(
                "import {id} does not exist or was undone while it ran"
            )));
        }
        import.customers.extend_from_slice(customers);
        import.customers.sort_unstable();
        import.enrollments.extend_from_slice(enrollments);
        import.enrollments.sort_unstable();
        self.put(|d| &mut d.customer_imports, n, import);
        Ok(())
    }

    async fn mark_import_undone(
        &mut self,
        id: ImportId,
        undone: ImportUndone,
    ) -> Result<(), StoreError> {
        let (n, mut import) = self.import_record(id)?;
        if import.undone.is_some() {
            return Err(StoreError::Conflict(format!(
                "import {id} is undone already"
            )));
        }
        import.undone = Some(undone);
        self.put(|d| &mut d.customer_imports, n, import);
        Ok(())
    }
}

impl MemoryUnit {
    /// An import's record number and record; `Conflict` when there is none.
    fn import_record(&self, id: ImportId) -> Result<(u64, CustomerImport), StoreError> {
        self.data
            .customer_import_ids
            .get(&id)
            .and_then(|n| Some((*n, self.data.customer_imports.get(n)?.clone())))
            .ok_or_else(|| StoreError::Conflict(format!("import {id} does not exist")))
    }
}
