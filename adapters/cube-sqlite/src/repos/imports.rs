//! Batched imports: a customer list added to a data owner and enrolled in an assignment
//! inside the caller's unit of work. Each row is a handful of indexed statements on the one
//! transaction's connection (prepared once, from sqlx's statement cache), so a list of
//! thousands commits with the unit, or not at all; a batch that fails half-way is rolled
//! back to a savepoint, leaving the unit as it was before the call.

use super::execute;
use crate::codec::{id_text, parse_id};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::customer::Customer;
use cube_domain::enrollment::Enrollment;
use cube_domain::ids::CustomerId;
use cube_domain::ports::{
    CustomerRepository, CustomerWrites, EnrollmentRepository, EnrollmentWrites, ImportBatch,
    ImportCounts, ImportRepository, ImportedRow, OnMatch, RowCustomer, StoreError,
};

/// The oldest customer of owner `?1` with the first of the phone numbers `?2` (a JSON array)
/// that any customer has. `CROSS JOIN` keeps the imported phones the outer loop, so each is
/// one probe of `customer_phones_lookup` (owner, phone); left to choose, SQLite walked every
/// phone of the owner for each imported row (30,000 rows took minutes: quadratic).
const EXISTING_BY_PHONE: &str = "SELECT c.id FROM json_each(?2) AS j \
     CROSS JOIN customer_phones AS p ON p.data_owner_id = ?1 AND p.phone = j.value \
     JOIN customers AS c ON c.id = p.customer_id \
     ORDER BY j.key, c.seq LIMIT 1";

impl SqliteUnit {
    async fn import_rows(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let owner = id_text(batch.data_owner.as_uuid());
        let mut counts = ImportCounts::default();
        let mut sequence = self.next_sequence(batch.assignment).await?;
        for row in &batch.rows {
            let (customer, outcome) = match self.existing_customer(&owner, &row.customer).await? {
                Some(existing) => match batch.on_match {
                    OnMatch::Skip => (existing, RowCustomer::Skipped),
                    OnMatch::Update => {
                        let current = self.customer(existing).await?.ok_or_else(|| {
                            StoreError::Corrupt(format!("customer {existing} vanished"))
                        })?;
                        self.save_customer(&current.reimported(&row.customer))
                            .await?;
                        (existing, RowCustomer::Updated)
                    }
                },
                None => {
                    self.save_customer(&row.customer).await?;
                    (row.customer.id(), RowCustomer::Created)
                }
            };
            let enrolled: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM enrollments WHERE assignment_id = ? AND customer_id = ?",
            )
            .bind(id_text(batch.assignment.as_uuid()))
            .bind(id_text(customer.as_uuid()))
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
            if enrolled.is_some() {
                counts.record(ImportedRow {
                    customer,
                    outcome,
                    enrolled: false,
                });
                continue;
            }
            let enrollment = Enrollment::new(
                row.enrollment,
                batch.assignment,
                customer,
                batch.initial_state,
                batch.segment,
                sequence,
                batch.enrolled_at,
            );
            self.insert_enrollment(&enrollment).await?;
            sequence = sequence.saturating_add(1);
            counts.record(ImportedRow {
                customer,
                outcome,
                enrolled: true,
            });
        }
        Ok(counts)
    }

    /// The data owner's existing customer for an imported one: the oldest with its external
    /// id, else the oldest with its first phone number that any customer has.
    async fn existing_customer(
        &mut self,
        owner: &str,
        customer: &Customer,
    ) -> Result<Option<CustomerId>, StoreError> {
        let details = customer.details();
        if let Some(external_id) = &details.external_id {
            let found: Option<String> = sqlx::query_scalar(
                "SELECT id FROM customers WHERE data_owner_id = ? AND external_id = ? \
                 ORDER BY seq LIMIT 1",
            )
            .bind(owner.to_owned())
            .bind(external_id.clone())
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
            if let Some(id) = found {
                return parse_id(&id).map(Some);
            }
        }
        if details.phones.is_empty() {
            return Ok(None);
        }
        let phones: Vec<&str> = details.phones.iter().map(|p| p.as_str()).collect();
        let phones = serde_json::to_string(&phones)
            .map_err(|e| crate::error::json_error("phone numbers", &e))?;
        let found: Option<String> = sqlx::query_scalar(EXISTING_BY_PHONE)
            .bind(owner.to_owned())
            .bind(phones)
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        found.as_deref().map(parse_id).transpose()
    }
}

#[async_trait]
impl ImportRepository for SqliteUnit {
    async fn import_batch(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        // A failing row undoes the whole batch but not the rest of the unit: a savepoint.
        execute(self.conn(), sqlx::query("SAVEPOINT import_batch")).await?;
        let result = self.import_rows(batch).await;
        if result.is_err() {
            // If even this fails the connection is gone, and so is the transaction.
            let _ = execute(self.conn(), sqlx::query("ROLLBACK TO import_batch")).await;
        }
        execute(self.conn(), sqlx::query("RELEASE import_batch")).await?;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::EXISTING_BY_PHONE;
    use sqlx::Row as _;

    /// Each imported phone is one index probe by (owner, phone), whatever the register's size.
    #[tokio::test]
    async fn a_phone_is_looked_up_by_owner_and_number() {
        let store = crate::SqliteStore::in_memory().await.expect("a store");
        let mut conn = store.pool().acquire().await.expect("a connection");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {EXISTING_BY_PHONE}"
        )))
        .bind("owner")
        .bind("[\"+4712345678\"]")
        .fetch_all(&mut *conn)
        .await
        .expect("a plan");
        let plan: Vec<String> = rows.iter().map(|r| r.get::<String, _>("detail")).collect();
        assert!(
            plan.iter()
                .any(|step| step.contains("customer_phones_lookup (data_owner_id=? AND phone=?)")),
            "{plan:?}"
        );
    }
}
