//! The batched customer import: a few statements per batch whatever its size (take the data
//! owner's import lock, match, insert new customers, find who is enrolled already, enroll),
//! inside a savepoint so a failure leaves the unit of work as it was before the call.
//!
//! Matching follows `find_customer`: a row's external id first, then its phone numbers in
//! order, each finding the data owner's oldest customer with that key. Two rows may match
//! the same existing customer; the first enrolls it and the second counts as already
//! enrolled.

use crate::PgUnitOfWork;
use crate::codec::{category_text, get, to_bigint};
use async_trait::async_trait;
use cube_domain::flow::StateCategory;
use cube_domain::ports::{ImportBatch, ImportCounts, ImportRepository, StoreError};
use sqlx::types::Json;
use std::collections::HashSet;
use uuid::Uuid;

/// For each row (`n` from 1), the existing customer it matches, if any.
const MATCH: &str = "
WITH input AS (
    SELECT * FROM unnest($2::text[]) WITH ORDINALITY AS r (external_id, n)
), phones AS (
    SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::text[]) AS p (n, pos, phone)
), by_external AS (
    SELECT DISTINCT ON (i.n) i.n, c.id
    FROM input i
    JOIN customers c ON c.data_owner_id = $1 AND c.external_id = i.external_id
    ORDER BY i.n, c.seq
), by_phone AS (
    SELECT DISTINCT ON (p.n) p.n, c.id
    FROM phones p
    JOIN customers c ON c.data_owner_id = $1 AND c.phones @> ARRAY[p.phone]
    ORDER BY p.n, p.pos, c.seq
)
SELECT i.n, COALESCE(e.id, ph.id) AS existing
FROM input i
LEFT JOIN by_external e ON e.n = i.n
LEFT JOIN by_phone ph ON ph.n = i.n
ORDER BY i.n";

/// Inserts the new customers in row order (their insertion order is "oldest first").
const INSERT_CUSTOMERS: &str = "
WITH grouped AS (
    SELECT p.n, array_agg(p.phone ORDER BY p.position) AS phones
    FROM unnest($5::bigint[], $6::text[]) WITH ORDINALITY AS p (n, phone, position)
    GROUP BY p.n
)
INSERT INTO customers (id, data_owner_id, external_id, phones, data)
SELECT c.id, c.owner, c.external_id, COALESCE(g.phones, ARRAY[]::text[]), c.data
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $7::bigint[])
    WITH ORDINALITY AS c (id, owner, external_id, data, row_n, n)
LEFT JOIN grouped g ON g.n = c.row_n
ORDER BY c.n
ON CONFLICT (id) DO UPDATE SET data_owner_id = EXCLUDED.data_owner_id,
    external_id = EXCLUDED.external_id, phones = EXCLUDED.phones, data = EXCLUDED.data";

/// Which of the customers are in the assignment already, and its next import-order number.
const ENROLLED: &str = "
SELECT (SELECT COALESCE(MAX(sequence), 0) + 1 FROM enrollments WHERE assignment_id = $1) AS next,
       ARRAY(SELECT customer_id FROM enrollments
             WHERE assignment_id = $1 AND customer_id = ANY($2)) AS enrolled";

/// Enrolls customers, in the initial state, with consecutive import-order numbers.
const ENROLL: &str = "
INSERT INTO enrollments (id, assignment_id, customer_id, state_id, category, segment_id,
    attempts, sequence, enrolled_at)
SELECT e.id, $1, e.customer, $2, $3, $4, 0, e.sequence, $5
FROM unnest($6::uuid[], $7::uuid[], $8::bigint[]) AS e (id, customer, sequence)
ON CONFLICT DO NOTHING";

impl PgUnitOfWork {
    async fn import_rows(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let mut counts = ImportCounts::default();
        if batch.rows.is_empty() {
            return Ok(counts);
        }
        // Imports into one data owner take turns (until this unit ends), so two concurrent
        // imports of the same list cannot both miss each other's new customers.
        let lock = sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("cube import {}", batch.data_owner));
        self.execute(lock).await?;
        // Phone numbers flattened: (row number from 1, position, number).
        let mut phone_rows = Vec::new();
        let mut phone_positions = Vec::new();
        let mut phones = Vec::new();
        for (index, row) in batch.rows.iter().enumerate() {
            for (position, phone) in row.customer.details().phones.iter().enumerate() {
                phone_rows.push(to_bigint(index as u64 + 1, "row")?);
                phone_positions.push(to_bigint(position as u64, "phone position")?);
                phones.push(phone.as_str());
            }
        }
        let external_ids: Vec<Option<&str>> = batch
            .rows
            .iter()
            .map(|row| row.customer.details().external_id.as_deref())
            .collect();

        let query = sqlx::query(MATCH)
            .bind(batch.data_owner.as_uuid())
            .bind(external_ids)
            .bind(&phone_rows)
            .bind(phone_positions)
            .bind(&phones);
        let mut existing: Vec<Option<Uuid>> = Vec::with_capacity(batch.rows.len());
        for row in self.fetch_all(query).await? {
            existing.push(get(&row, "existing")?);
        }
        if existing.len() != batch.rows.len() {
            return Err(StoreError::Corrupt("the import match lost rows".into()));
        }

        let mut new_ids = Vec::new();
        let mut new_owners = Vec::new();
        let mut new_external = Vec::new();
        let mut new_data = Vec::new();
        let mut new_rows = Vec::new();
        let mut customers: Vec<Uuid> = Vec::with_capacity(batch.rows.len());
        for (index, (row, found)) in batch.rows.iter().zip(&existing).enumerate() {
            match found {
                Some(id) => {
                    counts.matched += 1;
                    customers.push(*id);
                }
                None => {
                    let customer = &row.customer;
                    counts.created += 1;
                    customers.push(customer.id().as_uuid());
                    new_ids.push(customer.id().as_uuid());
                    new_owners.push(customer.data_owner().as_uuid());
                    new_external.push(customer.details().external_id.as_deref());
                    new_data.push(Json(customer));
                    new_rows.push(to_bigint(index as u64 + 1, "row")?);
                }
            }
        }
        if !new_ids.is_empty() {
            let query = sqlx::query(INSERT_CUSTOMERS)
                .bind(new_ids)
                .bind(new_owners)
                .bind(new_external)
                .bind(new_data)
                .bind(&phone_rows)
                .bind(&phones)
                .bind(new_rows);
            self.execute(query).await?;
        }

        let query = sqlx::query(ENROLLED)
            .bind(batch.assignment.as_uuid())
            .bind(&customers);
        let row = self.fetch_one(query).await?;
        let mut sequence: i64 = get(&row, "next")?;
        let mut enrolled: HashSet<Uuid> = get::<Vec<Uuid>>(&row, "enrolled")?.into_iter().collect();
        let mut ids = Vec::new();
        let mut enrolled_customers = Vec::new();
        let mut sequences = Vec::new();
        for (row, customer) in batch.rows.iter().zip(customers) {
            if !enrolled.insert(customer) {
                counts.already_enrolled += 1;
                continue;
            }
            ids.push(row.enrollment.as_uuid());
            enrolled_customers.push(customer);
            sequences.push(sequence);
            sequence += 1;
            counts.enrolled += 1;
        }
        if !ids.is_empty() {
            let expected = ids.len() as u64;
            let query = sqlx::query(ENROLL)
                .bind(batch.assignment.as_uuid())
                .bind(batch.initial_state.as_uuid())
                .bind(category_text(StateCategory::Available))
                .bind(batch.segment.map(|s| s.as_uuid()))
                .bind(batch.enrolled_at)
                .bind(ids)
                .bind(&enrolled_customers)
                .bind(sequences);
            if self.execute(query).await? != expected {
                return Err(StoreError::Duplicate(
                    "an enrollment with one of the batch's enrollment ids".into(),
                ));
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl ImportRepository for PgUnitOfWork {
    async fn import_batch(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        self.savepoint().await?;
        let result = self.import_rows(batch).await;
        self.end_savepoint(result).await
    }
}
