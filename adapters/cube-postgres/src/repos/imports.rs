//! The batched customer import: a few set-based statements whatever the batch's size (take
//! the data owner's import lock, match, `COPY` the new customers straight into `customers`,
//! stage and upsert the matched ones a row changed, find who is enrolled already, enroll),
//! all inside a savepoint so a failure leaves the unit of work as it was before the call
//! (the staging table included).
//!
//! Matching follows `find_customer`: who holds each row's keys (its external id, a company
//! row's organisation number by its key — the `registry_key` column, migration 0041 —, each
//! of its phone numbers: the data owner's oldest customer with it) is found in three
//! statements, and `ImportBatch::decide` says what the row is — refused when a key belongs
//! to another customer than the one it is, or that customer is of the other dataset. Two rows may match the same existing customer; the first enrolls it
//! and the second counts as already enrolled. Matched customers to update are read once,
//! re-imported in row order (`Customer::reimported`), and those a row changed are staged
//! with `COPY` and written over the stored ones with one upsert; a customer no row changes is
//! not written (`unchanged`).
//!
//! Each import's record (migration 0030): `customer_imports` holds it without its id lists,
//! `customer_import_lists` (migration 0042) the customers and enrollments it created, a list
//! a kind a chunk.

use crate::PgUnitOfWork;
use crate::codec::{category_text, get, get_json, to_bigint};
use crate::search::{dataset_text, parse_dataset};
use async_trait::async_trait;
use cube_domain::customer::Customer;
use cube_domain::customer_import::{CustomerImport, ImportUndone};
use cube_domain::flow::StateCategory;
use cube_domain::ids::{CustomerId, DataOwnerId, EnrollmentId, ImportId};
use cube_domain::import_match::{IdentityConflict, KeyHolder, RowKeys, RowMatch};
use cube_domain::ports::{
    ImportBatch, ImportCounts, ImportRepository, ImportedRow, OnMatch, RecordKind, RowCustomer,
    StoreError, UniqueRule,
};
use sqlx::types::Json;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use uuid::Uuid;

/// The staging table: one row per batch row (`n` from 1), dropped again by the import.
const STAGE: &str = "
CREATE TEMPORARY TABLE cube_import_rows (
    n           bigint PRIMARY KEY,
    id          uuid NOT NULL,
    owner       uuid NOT NULL,
    external_id text,
    phones      text[] NOT NULL,
    data        jsonb NOT NULL,
    dataset     text NOT NULL,
    search_text text NOT NULL,
    contact_block text,
    register_checked date,
    registry_key text
) ON COMMIT DROP";

/// How matched customers a row changed are staged: CSV, every value quoted, an unquoted empty
/// field is NULL.
const COPY_ROWS: &str = "COPY cube_import_rows (n, id, owner, external_id, phones, data, dataset, search_text, \
     contact_block, register_checked, registry_key) FROM STDIN (FORMAT csv)";

/// How new customers are written: straight into `customers`, in row order (their insertion
/// order is "oldest first"), the same CSV as `COPY_ROWS` without the row number. A new
/// customer's id is fresh, so there is nothing to merge; staging them first and inserting
/// from the staging table cost a third of the chunk's statements again (issue 16's measure).
const COPY_NEW_CUSTOMERS: &str = "COPY customers (id, data_owner_id, external_id, phones, data, dataset, \
     search_text, contact_block, register_checked, registry_key) FROM STDIN (FORMAT csv)";

/// Per row (`$2`, each row's external id or NULL, numbered from 1), the oldest of the data
/// owner's (`$1`) customers with its external id.
///
/// Each row probes the indexes (a `LATERAL` per row): right after a large import the
/// planner's statistics still see the data owner as small, and a join it plans from them
/// reads every customer of the owner once per chunk (external ids) or once per row (phones:
/// the owner index `BitmapAnd`ed with the phone index, 3 s a chunk at 30,000 customers).
/// Given as arrays, not the staging table, so a read unit asks it too (an import's check).
const HOLDERS_BY_EXTERNAL_ID: &str = "
SELECT i.n, c.id, c.external_id, c.dataset
FROM unnest($2::text[]) WITH ORDINALITY AS i (external_id, n)
CROSS JOIN LATERAL (
    SELECT c.id, c.external_id, c.dataset FROM customers c
    WHERE c.data_owner_id = $1 AND c.external_id = i.external_id
    ORDER BY c.seq LIMIT 1
) c
WHERE i.external_id IS NOT NULL";

/// Per row (`$2`, each company row's organisation number key or NULL, numbered from 1), the
/// oldest of the data owner's (`$1`) companies with it: one probe of `customers_registry_key`
/// a row.
const HOLDERS_BY_REGISTRY_KEY: &str = "
SELECT i.n, c.id, c.external_id, c.dataset
FROM unnest($2::text[]) WITH ORDINALITY AS i (registry_key, n)
CROSS JOIN LATERAL (
    SELECT c.id, c.external_id, c.dataset FROM customers c
    WHERE c.data_owner_id = $1 AND c.registry_key = i.registry_key
    ORDER BY c.seq LIMIT 1
) c
WHERE i.registry_key IS NOT NULL";

/// Per phone number of a row (`$2` its row from 1, `$3` its place in the row from 1, `$4`
/// the number), the oldest of the data owner's (`$1`) customers with it. The probe reads the
/// phone index alone (`OFFSET 0` keeps the owner's condition out of it), then keeps the
/// owner's customers.
const HOLDERS_BY_PHONE: &str = "
SELECT p.n, p.pos, c.id, c.external_id, c.dataset
FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS p (n, pos, phone)
CROSS JOIN LATERAL (
    SELECT c.id, c.external_id, c.dataset, c.seq
    FROM (SELECT id, external_id, dataset, seq, data_owner_id FROM customers
          WHERE phones @> ARRAY[p.phone] OFFSET 0) c
    WHERE c.data_owner_id = $1
    ORDER BY c.seq LIMIT 1
) c
ORDER BY p.n, p.pos";

/// Writes the staged rows `$1` over the customers they update, in row order.
const INSERT_CUSTOMERS: &str = "
INSERT INTO customers (id, data_owner_id, external_id, phones, data, dataset, search_text,
    contact_block, register_checked, registry_key)
SELECT i.id, i.owner, i.external_id, i.phones, i.data, i.dataset, i.search_text,
    i.contact_block, i.register_checked, i.registry_key
FROM cube_import_rows i
WHERE i.n = ANY($1)
ORDER BY i.n
ON CONFLICT (id) DO UPDATE SET data_owner_id = EXCLUDED.data_owner_id,
    external_id = EXCLUDED.external_id, phones = EXCLUDED.phones, data = EXCLUDED.data,
    dataset = EXCLUDED.dataset, search_text = EXCLUDED.search_text,
    contact_block = EXCLUDED.contact_block, register_checked = EXCLUDED.register_checked,
    registry_key = EXCLUDED.registry_key";

/// A value as a quoted CSV field (quotes doubled).
fn quoted(out: &mut String, value: &str) {
    out.push('"');
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
}

/// Customers as CSV for `COPY_ROWS` (`numbered`: each row's number from 1 first) or
/// `COPY_NEW_CUSTOMERS`. Phone numbers are E.164 (`+` and digits), so they need no quoting
/// inside the array literal.
fn staged_rows<'a>(
    customers: impl Iterator<Item = &'a Customer>,
    numbered: bool,
) -> Result<Vec<u8>, StoreError> {
    let mut out = String::new();
    for (index, customer) in customers.enumerate() {
        let details = customer.details();
        let data = serde_json::to_string(customer)
            .map_err(|e| StoreError::Corrupt(format!("customer {}: {e}", customer.id())))?;
        let phones: Vec<&str> = details.phones.iter().map(|p| p.as_str()).collect();
        if numbered {
            let _ = write!(out, "{},", index + 1);
        }
        let _ = write!(out, "{},{},", customer.id(), customer.data_owner());
        if let Some(external_id) = &details.external_id {
            quoted(&mut out, external_id);
        }
        out.push(',');
        quoted(&mut out, &format!("{{{}}}", phones.join(",")));
        out.push(',');
        quoted(&mut out, &data);
        out.push(',');
        quoted(&mut out, dataset_text(customer.dataset()));
        out.push(',');
        quoted(&mut out, &customer.search_text());
        // The contact columns (migration 0023): unquoted empty fields are NULL.
        let facts = customer.contact_facts();
        out.push(',');
        if let Some(block) = facts.block {
            out.push_str(block.as_str());
        }
        out.push(',');
        if let Some(day) = facts.register_checked {
            let _ = write!(out, "{day}");
        }
        // The organisation number's import key (migration 0041): NULL when none.
        out.push(',');
        if let Some(key) = customer.registry_key() {
            quoted(&mut out, &key);
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

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
    /// Who holds the keys of each of `rows` among the data owner's customers
    /// (`CustomerRepository::import_row_keys`): three statements whatever the count.
    pub(crate) async fn row_keys(
        &mut self,
        owner: DataOwnerId,
        rows: &[&Customer],
    ) -> Result<Vec<RowKeys>, StoreError> {
        let mut keys = vec![RowKeys::default(); rows.len()];
        let index = |n: i64| -> Result<usize, StoreError> {
            usize::try_from(n - 1)
                .ok()
                .filter(|i| *i < rows.len())
                .ok_or_else(|| StoreError::Corrupt(format!("the import lookup named row {n}")))
        };
        let holder = |found: &sqlx::postgres::PgRow| -> Result<KeyHolder, StoreError> {
            Ok(KeyHolder {
                customer: CustomerId::from_uuid(get(found, "id")?),
                external_id: get(found, "external_id")?,
                dataset: parse_dataset(&get::<String>(found, "dataset")?)?,
            })
        };
        let external_ids: Vec<Option<&str>> = rows
            .iter()
            .map(|c| c.details().external_id.as_deref())
            .collect();
        if external_ids.iter().any(Option::is_some) {
            let query = sqlx::query(HOLDERS_BY_EXTERNAL_ID)
                .bind(owner.as_uuid())
                .bind(&external_ids);
            for found in self.fetch_all(query).await? {
                keys[index(get(&found, "n")?)?].by_external_id = Some(holder(&found)?);
            }
        }
        let registry_keys: Vec<Option<String>> = rows.iter().map(|c| c.registry_key()).collect();
        if registry_keys.iter().any(Option::is_some) {
            let query = sqlx::query(HOLDERS_BY_REGISTRY_KEY)
                .bind(owner.as_uuid())
                .bind(&registry_keys);
            for found in self.fetch_all(query).await? {
                keys[index(get(&found, "n")?)?].by_registry_number = Some(holder(&found)?);
            }
        }
        let (mut numbers, mut places, mut phones) = (Vec::new(), Vec::new(), Vec::new());
        for (i, row) in rows.iter().enumerate() {
            for (place, phone) in row.details().phones.iter().enumerate() {
                numbers.push(to_bigint(i as u64 + 1, "row")?);
                places.push(to_bigint(place as u64 + 1, "phone")?);
                phones.push(phone.as_str());
            }
        }
        if !phones.is_empty() {
            let query = sqlx::query(HOLDERS_BY_PHONE)
                .bind(owner.as_uuid())
                .bind(numbers)
                .bind(places)
                .bind(&phones);
            for found in self.fetch_all(query).await? {
                let row = index(get(&found, "n")?)?;
                let place: i64 = get(&found, "pos")?;
                let phone = usize::try_from(place - 1)
                    .ok()
                    .and_then(|p| rows[row].details().phones.get(p))
                    .ok_or_else(|| StoreError::Corrupt("the import lookup named a phone".into()))?;
                keys[row].by_phone.push((phone.clone(), holder(&found)?));
            }
        }
        Ok(keys)
    }

    /// Updates matched customers with their rows (`(existing id, row customer)`, in row
    /// order; one customer matched twice takes both rows in turn), through the staging
    /// table and the same upsert as new customers. Per row, whether it changed the customer:
    /// a customer no row changes is not written.
    async fn update_matched(
        &mut self,
        to_update: &[(Uuid, &Customer)],
    ) -> Result<Vec<bool>, StoreError> {
        let ids: Vec<Uuid> = to_update.iter().map(|(id, _)| *id).collect();
        let query = sqlx::query("SELECT data FROM customers WHERE id = ANY($1)").bind(&ids);
        let mut current: HashMap<Uuid, Customer> = HashMap::new();
        for row in self.fetch_all(query).await? {
            let customer: Customer = get_json(&row, "data")?;
            current.insert(customer.id().as_uuid(), customer);
        }
        let mut changed = Vec::with_capacity(to_update.len());
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        for (id, row) in to_update {
            let Some(customer) = current.get_mut(id) else {
                return Err(StoreError::Corrupt(format!("customer {id} vanished")));
            };
            let updated = customer.reimported(row);
            let differs = updated != *customer;
            changed.push(differs);
            if differs {
                *customer = updated;
                if seen.insert(*id) {
                    order.push(*id);
                }
            }
        }
        if order.is_empty() {
            return Ok(changed);
        }
        let updated = order.iter().filter_map(|id| current.get(id));
        let rows = staged_rows(updated, true)?;
        self.execute(sqlx::query(STAGE)).await?;
        let staged = self.copy_in(COPY_ROWS, &rows).await?;
        let numbers: Vec<i64> = (1..=to_bigint(staged, "row")?).collect();
        self.execute(sqlx::query(INSERT_CUSTOMERS).bind(numbers))
            .await?;
        self.execute(sqlx::query("DROP TABLE cube_import_rows"))
            .await?;
        Ok(changed)
    }

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

        let of_rows: Vec<&Customer> = batch.rows.iter().map(|r| &r.customer).collect();
        let keys = self.row_keys(batch.data_owner, &of_rows).await?;
        let mut new_rows = Vec::new();
        let mut to_update = Vec::new();
        let mut updating = Vec::new();
        // Per row: its customer and outcome, or why it was refused.
        let mut decided: Vec<Result<(Uuid, RowCustomer), IdentityConflict>> =
            Vec::with_capacity(batch.rows.len());
        for (index, (row, keys)) in batch.rows.iter().zip(&keys).enumerate() {
            match (batch.decide(keys, &row.customer), batch.on_match) {
                (RowMatch::Refused(conflict), _) => decided.push(Err(conflict)),
                (RowMatch::Existing(id), OnMatch::Skip) => {
                    decided.push(Ok((id.as_uuid(), RowCustomer::Skipped)));
                }
                (RowMatch::Existing(id), OnMatch::Update) => {
                    decided.push(Ok((id.as_uuid(), RowCustomer::Updated)));
                    to_update.push((id.as_uuid(), &row.customer));
                    updating.push(index);
                }
                (RowMatch::New, _) => {
                    decided.push(Ok((row.customer.id().as_uuid(), RowCustomer::Created)));
                    new_rows.push(&row.customer);
                }
            }
        }
        if !new_rows.is_empty() {
            let rows = staged_rows(new_rows.iter().copied(), false)?;
            let written = self.copy_in(COPY_NEW_CUSTOMERS, &rows).await?;
            if written != new_rows.len() as u64 {
                return Err(StoreError::Corrupt(format!(
                    "the import wrote {written} of {} new customers",
                    new_rows.len()
                )));
            }
        }
        if !to_update.is_empty() {
            let changed = self.update_matched(&to_update).await?;
            for (index, changed) in updating.into_iter().zip(changed) {
                if !changed && let Some(Ok((_, outcome))) = decided.get_mut(index) {
                    *outcome = RowCustomer::Unchanged;
                }
            }
        }
        // A customer created just now is in no assignment yet: only the matched ones are
        // looked up (a probe each of the enrollments' unique index).
        let customers: Vec<Uuid> = decided
            .iter()
            .filter_map(|d| match d {
                Ok((id, outcome)) if *outcome != RowCustomer::Created => Some(*id),
                _ => None,
            })
            .collect();
        let query = sqlx::query(ENROLLED)
            .bind(batch.assignment.as_uuid())
            .bind(&customers);
        let row = self.fetch_one(query).await?;
        let mut sequence: i64 = get(&row, "next")?;
        let mut enrolled: HashSet<Uuid> = get::<Vec<Uuid>>(&row, "enrolled")?.into_iter().collect();
        let mut ids = Vec::new();
        let mut enrolled_customers = Vec::new();
        let mut sequences = Vec::new();
        for (row, decided) in batch.rows.iter().zip(decided) {
            let (customer, outcome) = match decided {
                Ok(taken) => taken,
                Err(conflict) => {
                    counts.refuse(conflict);
                    continue;
                }
            };
            let imported = ImportedRow {
                customer: CustomerId::from_uuid(customer),
                outcome,
                enrolled: enrolled.insert(customer),
            };
            counts.record(imported);
            if !imported.enrolled {
                continue;
            }
            ids.push(row.enrollment.as_uuid());
            enrolled_customers.push(customer);
            sequences.push(sequence);
            sequence += 1;
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
                return Err(StoreError::Duplicate(UniqueRule::Id(
                    RecordKind::Enrollment,
                )));
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

    async fn record_import(&mut self, import: &CustomerImport) -> Result<(), StoreError> {
        // `ON CONFLICT DO NOTHING`: a unique violation would fail the whole transaction.
        let query = sqlx::query(
            "INSERT INTO customer_imports (id, data_owner_id, imported_at, data)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(import.id.as_uuid())
        .bind(import.data_owner.as_uuid())
        .bind(import.imported_at)
        .bind(Json(import));
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::CustomerImport,
            )));
        }
        self.list_created(import.id, &import.customers, &import.enrollments)
            .await
    }

    async fn add_to_import(
        &mut self,
        id: ImportId,
        customers: &[CustomerId],
        enrollments: &[EnrollmentId],
    ) -> Result<(), StoreError> {
        // An UPDATE, not a read: it takes the record's row lock, so a chunk and an undo of
        // the same import are decided one after the other, and a chunk after an undo (the
        // undo's `mark_import_undone` committed) finds the record undone and is refused.
        let query = sqlx::query(
            "UPDATE customer_imports SET data = data
             WHERE id = $1 AND COALESCE(data -> 'undone', 'null'::jsonb) = 'null'::jsonb",
        )
        .bind(id.as_uuid());
        if self.execute(query).await? == 0 {
            return Err(StoreError::Conflict(format!(
                "import {id} does not exist or was undone while it ran"
            )));
        }
        self.list_created(id, customers, enrollments).await
    }

    async fn mark_import_undone(
        &mut self,
        id: ImportId,
        undone: ImportUndone,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "UPDATE customer_imports SET data = jsonb_set(data, '{undone}', $2)
             WHERE id = $1 AND COALESCE(data -> 'undone', 'null'::jsonb) = 'null'::jsonb",
        )
        .bind(id.as_uuid())
        .bind(Json(undone));
        match self.execute(query).await? {
            0 => Err(StoreError::Conflict(format!(
                "import {id} does not exist or is undone already"
            ))),
            _ => Ok(()),
        }
    }
}

impl PgUnitOfWork {
    /// Lists what an import created: one row a kind, its ids as an array.
    async fn list_created(
        &mut self,
        id: ImportId,
        customers: &[CustomerId],
        enrollments: &[EnrollmentId],
    ) -> Result<(), StoreError> {
        let lists: [(&str, Vec<Uuid>); 2] = [
            ("customer", customers.iter().map(|c| c.as_uuid()).collect()),
            (
                "enrollment",
                enrollments.iter().map(|e| e.as_uuid()).collect(),
            ),
        ];
        for (kind, ids) in lists {
            if ids.is_empty() {
                continue;
            }
            let query = sqlx::query(
                "INSERT INTO customer_import_lists (import_id, kind, record_ids)
                 VALUES ($1, $2, $3)",
            )
            .bind(id.as_uuid())
            .bind(kind)
            .bind(ids);
            self.execute(query).await?;
        }
        Ok(())
    }
}
