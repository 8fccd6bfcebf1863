//! Batched imports: a customer list added to a data owner and enrolled in an assignment
//! inside the caller's unit of work, so a list of thousands commits with the unit, or not at
//! all; a batch that fails half-way is rolled back to a savepoint, leaving the unit as it was
//! before the call.
//!
//! Who holds each row's keys is found for the whole batch in three statements (external ids,
//! organisation numbers by their key — the `registry_key` column, migration 0041 —, phones),
//! and `ImportBatch::decide` says what each row is (refused when a key of it belongs to
//! another customer, or the customer it is belongs to the other dataset). A match whose update would change nothing is not written
//! (`unchanged`).
//!
//! A batch is written set-based when it can be: the new customers, their phones and fields, and the enrollments go in with
//! one statement each (`json_each` over the rows), about ten statements for 2,000 rows. Each
//! statement is a round trip to sqlx's SQLite worker thread (~20 µs), so row by row a first
//! import of 100,000 customers took 20 s; set-based it takes a fraction of that. The rows must
//! then not depend on each other: no two rows share an external id or a phone number (the
//! import use case rejects such rows before the store), and no row updates an existing
//! customer (`OnMatch::Update` with a match: the update may change what later rows match).
//! Any other batch is written row by row, in order, with the same result.
//!
//! Each import's record (migration 0030): `customer_imports` holds it without its id lists,
//! `customer_import_created` a row for each customer and enrollment it created, written a
//! chunk at a time with one statement a kind (`json_each`).

use super::customers::{dataset_text, parse_dataset};
use super::enrollments::{enrollment_columns, enrollment_json};
use super::execute;
use crate::codec::{col, id_list, id_text, parse_id, time_ns, to_doc};
use crate::error::store_error;
use crate::sort_key::sort_key;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::customer::Customer;
use cube_domain::customer_import::{CustomerImport, ImportUndone};
use cube_domain::ids::{CustomerId, EnrollmentId, ImportId};
use cube_domain::import_match::{KeyHolder, RowKeys, RowMatch};
use cube_domain::ports::{
    CustomerRepository, CustomerWrites, EnrollmentRepository, EnrollmentWrites, ImportBatch,
    ImportCounts, ImportRepository, ImportedRow, OnMatch, RowCustomer, StoreError,
};
use std::collections::HashSet;

/// Per row of `?2` (a JSON array of external ids, `null` for none): the customers of owner
/// `?1` with it, oldest first (one probe of `customers_by_external_id` a row).
const HOLDERS_BY_EXTERNAL_ID: &str = "SELECT j.key AS row, c.id, c.external_id, c.dataset \
     FROM json_each(?2) AS j \
     CROSS JOIN customers AS c ON c.data_owner_id = ?1 AND c.external_id = j.value \
     ORDER BY j.key, c.seq";

/// Per row of `?2` (a JSON array of each company row's organisation number key, `null` for
/// none): the companies of owner `?1` with it, oldest first (one probe of
/// `customers_by_registry_key` a row).
const HOLDERS_BY_REGISTRY_KEY: &str = "SELECT j.key AS row, c.id, c.external_id, c.dataset \
     FROM json_each(?2) AS j \
     CROSS JOIN customers AS c ON c.data_owner_id = ?1 AND c.registry_key = j.value \
     ORDER BY j.key, c.seq";

/// Per row of `?2` (a JSON array of each row's phone numbers) and per phone: the customers of
/// owner `?1` with it, oldest first. `CROSS JOIN` keeps the imported phones the outer loop,
/// so each is one probe of `customer_phones_lookup` (owner, phone); left to choose, SQLite
/// walked every phone of the owner for each imported row (30,000 rows took minutes:
/// quadratic).
const HOLDERS_BY_PHONE: &str = "SELECT j.key AS row, ph.key AS pos, c.id, c.external_id, c.dataset \
     FROM json_each(?2) AS j CROSS JOIN json_each(j.value) AS ph \
     CROSS JOIN customer_phones AS p ON p.data_owner_id = ?1 AND p.phone = ph.value \
     JOIN customers AS c ON c.id = p.customer_id \
     ORDER BY j.key, ph.key, c.seq";

/// Which of the ids `?1` (a JSON array) a customer has already (a batch reusing a customer
/// id overwrites that customer, as `save_customer` does: row by row).
const CUSTOMER_IDS_TAKEN: &str = "SELECT c.id FROM json_each(?1) AS j \
     CROSS JOIN customers AS c ON c.id = j.value LIMIT 1";

/// The customers of `?2` (a JSON array of ids) enrolled in assignment `?1`.
const ENROLLED_OF: &str = "SELECT e.customer_id FROM json_each(?2) AS j \
     CROSS JOIN enrollments AS e ON e.assignment_id = ?1 AND e.customer_id = j.value";

/// New customers from a JSON array in row order (`seq` follows it): what `save_customer`
/// writes for a customer that does not exist yet. A new customer has no contact standing,
/// so its contact columns (migration 0023) stay NULL.
const INSERT_CUSTOMERS: &str = "INSERT INTO customers \
     (id, data_owner_id, external_id, doc, dataset, search_text, registry_key) \
     SELECT json_extract(value, '$.id'), ?1, json_extract(value, '$.x'), \
            json_extract(value, '$.doc'), json_extract(value, '$.dataset'), \
            json_extract(value, '$.search'), json_extract(value, '$.r') \
     FROM json_each(?2) ORDER BY key";

/// Their phone numbers (`[customer id, position, phone]` triples).
const INSERT_PHONES: &str = "INSERT INTO customer_phones \
     (customer_id, position, data_owner_id, phone) \
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?1, \
            json_extract(value, '$[2]') \
     FROM json_each(?2)";

/// Their CRM values (`[customer id, key, value JSON, sort key as hex]`).
const INSERT_FIELDS: &str = "INSERT INTO customer_fields (customer_id, field_key, value, sort_key) \
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), \
            json_extract(value, '$[2]'), unhex(json_extract(value, '$[3]')) \
     FROM json_each(?1)";

/// New enrollments from a JSON array of their columns in [`enrollment_columns`] order, as
/// `bind_enrollment` binds them.
const INSERT_ENROLLMENTS: &str = concat!(
    "INSERT INTO enrollments (",
    enrollment_columns!(),
    ") SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), \
     json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'), \
     json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'), \
     json_extract(value, '$[8]'), json_extract(value, '$[9]'), json_extract(value, '$[10]'), \
     json_extract(value, '$[11]'), json_extract(value, '$[12]'), json_extract(value, '$[13]'), \
     json_extract(value, '$[14]') FROM json_each(?1) ORDER BY key"
);

/// Whether the rows of a batch share no external id, no organisation number and no phone
/// number (then no row can match a customer another row of the batch creates).
fn rows_independent(batch: &ImportBatch) -> bool {
    let mut external_ids = HashSet::new();
    let mut registry_keys = HashSet::new();
    let mut phones = HashSet::new();
    batch.rows.iter().all(|row| {
        let details = row.customer.details();
        let external = details
            .external_id
            .as_deref()
            .is_none_or(|id| external_ids.insert(id))
            && row
                .customer
                .registry_key()
                .is_none_or(|key| registry_keys.insert(key));
        // A row may list one number twice; only another row's matters.
        let own: HashSet<&str> = details.phones.iter().map(|p| p.as_str()).collect();
        external && own.into_iter().all(|phone| phones.insert(phone))
    })
}

impl SqliteUnit {
    /// The batch set-based, or `None` (nothing written) when its rows depend on each other
    /// or it updates a matched customer: then it must go row by row.
    async fn import_set_based(
        &mut self,
        batch: &ImportBatch,
    ) -> Result<Option<ImportCounts>, StoreError> {
        if !rows_independent(batch) {
            return Ok(None);
        }
        let owner = id_text(batch.data_owner.as_uuid());
        let customers: Vec<&Customer> = batch.rows.iter().map(|r| &r.customer).collect();
        let keys = self.row_keys(&owner, &customers).await?;
        let decided: Vec<RowMatch> = batch
            .rows
            .iter()
            .zip(&keys)
            .map(|(row, keys)| batch.decide(keys, &row.customer))
            .collect();
        if batch.on_match == OnMatch::Update
            && decided.iter().any(|d| matches!(d, RowMatch::Existing(_)))
        {
            return Ok(None);
        }
        let existing: Vec<Option<CustomerId>> = decided
            .iter()
            .map(|d| match d {
                RowMatch::Existing(id) => Some(*id),
                RowMatch::New | RowMatch::Refused(_) => None,
            })
            .collect();
        let new_ids: Vec<String> = batch
            .rows
            .iter()
            .zip(&decided)
            .filter(|(_, decided)| **decided == RowMatch::New)
            .map(|(row, _)| id_text(row.customer.id().as_uuid()))
            .collect();
        let taken: Option<String> = sqlx::query_scalar(CUSTOMER_IDS_TAKEN)
            .bind(json_text("customer ids", &new_ids)?)
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        if taken.is_some() {
            return Ok(None);
        }

        let matched: Vec<String> = existing
            .iter()
            .flatten()
            .map(|id| id_text(id.as_uuid()))
            .collect();
        let mut enrolled: HashSet<CustomerId> = HashSet::new();
        if !matched.is_empty() {
            let rows: Vec<String> = sqlx::query_scalar(ENROLLED_OF)
                .bind(id_text(batch.assignment.as_uuid()))
                .bind(json_text("customer ids", &matched)?)
                .fetch_all(self.conn())
                .await
                .map_err(store_error)?;
            for id in rows {
                enrolled.insert(parse_id(&id)?);
            }
        }

        let mut customers = Vec::new();
        let mut phones = Vec::new();
        let mut fields = Vec::new();
        let mut enrollments = Vec::new();
        let mut counts = ImportCounts::default();
        let mut sequence = self.next_sequence(batch.assignment).await?;
        for (row, decided) in batch.rows.iter().zip(decided) {
            let (customer, outcome) = match decided {
                RowMatch::Refused(conflict) => {
                    counts.refuse(conflict);
                    continue;
                }
                RowMatch::Existing(id) => (id, RowCustomer::Skipped),
                RowMatch::New => {
                    let c = &row.customer;
                    let id = id_text(c.id().as_uuid());
                    customers.push(serde_json::json!({
                        "id": id,
                        "x": c.details().external_id,
                        "doc": to_doc("customer", c)?,
                        "dataset": dataset_text(c.dataset()),
                        "search": c.search_text(),
                        "r": c.registry_key(),
                    }));
                    for (position, phone) in c.details().phones.iter().enumerate() {
                        phones.push(serde_json::json!([id, position, phone.as_str()]));
                    }
                    for (key, value) in c.fields() {
                        fields.push(serde_json::json!([
                            id,
                            key.as_str(),
                            to_doc("customer field value", value)?,
                            hex(&sort_key(value)),
                        ]));
                    }
                    (c.id(), RowCustomer::Created)
                }
            };
            if !enrolled.insert(customer) {
                counts.record(ImportedRow {
                    customer,
                    outcome,
                    enrolled: false,
                });
                continue;
            }
            let enrollment = batch.enrollment(row, customer, sequence);
            enrollments.push(enrollment_json(&enrollment)?);
            sequence = sequence.saturating_add(1);
            counts.record(ImportedRow {
                customer,
                outcome,
                enrolled: true,
            });
        }
        if !customers.is_empty() {
            let insert = sqlx::query(INSERT_CUSTOMERS)
                .bind(owner.clone())
                .bind(json_text("customers", &customers)?);
            execute(self.conn(), insert).await?;
        }
        if !phones.is_empty() {
            let insert = sqlx::query(INSERT_PHONES)
                .bind(owner)
                .bind(json_text("phone numbers", &phones)?);
            execute(self.conn(), insert).await?;
        }
        if !fields.is_empty() {
            let insert = sqlx::query(INSERT_FIELDS).bind(json_text("field values", &fields)?);
            execute(self.conn(), insert).await?;
        }
        if !enrollments.is_empty() {
            let insert =
                sqlx::query(INSERT_ENROLLMENTS).bind(json_text("enrollments", &enrollments)?);
            execute(self.conn(), insert).await?;
        }
        Ok(Some(counts))
    }

    async fn import_rows(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let owner = id_text(batch.data_owner.as_uuid());
        let mut counts = ImportCounts::default();
        let mut sequence = self.next_sequence(batch.assignment).await?;
        for row in &batch.rows {
            let keys = self.row_keys(&owner, &[&row.customer]).await?;
            let decided = keys
                .first()
                .map(|keys| batch.decide(keys, &row.customer))
                .ok_or_else(|| StoreError::Corrupt("the import lookup lost a row".into()))?;
            let (customer, outcome) = match decided {
                RowMatch::Refused(conflict) => {
                    counts.refuse(conflict);
                    continue;
                }
                RowMatch::Existing(existing) => match batch.on_match {
                    OnMatch::Skip => (existing, RowCustomer::Skipped),
                    OnMatch::Update => {
                        let current = self.customer(existing).await?.ok_or_else(|| {
                            StoreError::Corrupt(format!("customer {existing} vanished"))
                        })?;
                        let updated = current.reimported(&row.customer);
                        if updated == current {
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
            let enrollment = batch.enrollment(row, customer, sequence);
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

    /// Who holds the keys of each of `rows` among the customers of `owner` (an id as
    /// stored): `CustomerRepository::import_row_keys`, in three statements whatever the count.
    pub(super) async fn row_keys(
        &mut self,
        owner: &str,
        rows: &[&Customer],
    ) -> Result<Vec<RowKeys>, StoreError> {
        let mut keys = vec![RowKeys::default(); rows.len()];
        let holder = |found: &sqlx::sqlite::SqliteRow| -> Result<(usize, KeyHolder), StoreError> {
            let row = usize::try_from(col::<i64>(found, "row")?)
                .map_err(|_| StoreError::Corrupt("a negative import row".into()))?;
            let holder = KeyHolder {
                customer: parse_id(&col::<String>(found, "id")?)?,
                external_id: col(found, "external_id")?,
                dataset: parse_dataset(&col::<String>(found, "dataset")?)?,
            };
            Ok((row, holder))
        };
        // The keys one customer holds at most one of a row's: the external id, the
        // organisation number (each row's value or null, as JSON), and where each goes.
        type Slot = fn(&mut RowKeys) -> &mut Option<KeyHolder>;
        let external_ids: Vec<Option<&str>> = rows
            .iter()
            .map(|c| c.details().external_id.as_deref())
            .collect();
        let registry_keys: Vec<Option<String>> = rows.iter().map(|c| c.registry_key()).collect();
        let single_keys: [(&'static str, Option<String>, Slot); 2] = [
            (
                HOLDERS_BY_EXTERNAL_ID,
                external_ids
                    .iter()
                    .any(Option::is_some)
                    .then(|| json_text("external ids", &external_ids))
                    .transpose()?,
                |k| &mut k.by_external_id,
            ),
            (
                HOLDERS_BY_REGISTRY_KEY,
                registry_keys
                    .iter()
                    .any(Option::is_some)
                    .then(|| json_text("organisation numbers", &registry_keys))
                    .transpose()?,
                |k| &mut k.by_registry_number,
            ),
        ];
        for (statement, values, slot) in single_keys {
            let Some(values) = values else { continue };
            let found = sqlx::query(statement)
                .bind(owner.to_owned())
                .bind(values)
                .fetch_all(self.conn())
                .await
                .map_err(store_error)?;
            for found in &found {
                let (row, holder) = holder(found)?;
                let keys_of_row = keys
                    .get_mut(row)
                    .ok_or_else(|| StoreError::Corrupt("the import lookup added a row".into()))?;
                // Oldest first: the first found is the one.
                slot(keys_of_row).get_or_insert(holder);
            }
        }
        let phones: Vec<Vec<&str>> = rows
            .iter()
            .map(|c| c.details().phones.iter().map(|p| p.as_str()).collect())
            .collect();
        if phones.iter().any(|p| !p.is_empty()) {
            let found = sqlx::query(HOLDERS_BY_PHONE)
                .bind(owner.to_owned())
                .bind(json_text("phone numbers", &phones)?)
                .fetch_all(self.conn())
                .await
                .map_err(store_error)?;
            let mut last = None;
            for found in &found {
                let (row, holder) = holder(found)?;
                let pos = usize::try_from(col::<i64>(found, "pos")?)
                    .map_err(|_| StoreError::Corrupt("a negative phone position".into()))?;
                // Oldest first: the first found for a phone is the one.
                if last.replace((row, pos)) == Some((row, pos)) {
                    continue;
                }
                let phone = rows
                    .get(row)
                    .and_then(|c| c.details().phones.get(pos))
                    .ok_or_else(|| StoreError::Corrupt("the import lookup added a phone".into()))?;
                keys[row].by_phone.push((phone.clone(), holder));
            }
        }
        Ok(keys)
    }
}

#[async_trait]
impl ImportRepository for SqliteUnit {
    async fn import_batch(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        // A failing row undoes the whole batch but not the rest of the unit: a savepoint.
        execute(self.conn(), sqlx::query("SAVEPOINT import_batch")).await?;
        let result = match self.import_set_based(batch).await {
            Ok(Some(counts)) => Ok(counts),
            Ok(None) => self.import_rows(batch).await,
            Err(error) => Err(error),
        };
        if result.is_err() {
            // If even this fails the connection is gone, and so is the transaction.
            let _ = execute(self.conn(), sqlx::query("ROLLBACK TO import_batch")).await;
        }
        execute(self.conn(), sqlx::query("RELEASE import_batch")).await?;
        result
    }

    async fn record_import(&mut self, import: &CustomerImport) -> Result<(), StoreError> {
        // A taken id breaks `customer_imports.id`: `Duplicate` (crate::error).
        let query = sqlx::query(
            "INSERT INTO customer_imports (id, data_owner_id, imported_at, doc) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(id_text(import.id.as_uuid()))
        .bind(id_text(import.data_owner.as_uuid()))
        .bind(time_ns(import.imported_at)?)
        .bind(to_doc("customer import", import)?);
        execute(self.conn(), query).await?;
        self.list_created(import.id, &import.customers, &import.enrollments)
            .await
    }

    async fn add_to_import(
        &mut self,
        id: ImportId,
        customers: &[CustomerId],
        enrollments: &[EnrollmentId],
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "SELECT 1 FROM customer_imports WHERE id = ? AND json_extract(doc, '$.undone') IS NULL",
        )
        .bind(id_text(id.as_uuid()));
        if query
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?
            .is_none()
        {
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
            "UPDATE customer_imports SET doc = json_set(doc, '$.undone', json(?)) \
             WHERE id = ? AND json_extract(doc, '$.undone') IS NULL",
        )
        .bind(json_text("import undone", &undone)?)
        .bind(id_text(id.as_uuid()));
        match execute(self.conn(), query).await? {
            0 => Err(StoreError::Conflict(format!(
                "import {id} does not exist or is undone already"
            ))),
            _ => Ok(()),
        }
    }
}

impl SqliteUnit {
    /// Lists what an import created: one row an id, each kind in one statement.
    async fn list_created(
        &mut self,
        id: ImportId,
        customers: &[CustomerId],
        enrollments: &[EnrollmentId],
    ) -> Result<(), StoreError> {
        let lists = [
            ("customer", id_list(customers.iter().map(|c| c.as_uuid()))),
            (
                "enrollment",
                id_list(enrollments.iter().map(|e| e.as_uuid())),
            ),
        ];
        for (kind, ids) in lists {
            let query = sqlx::query(
                "INSERT INTO customer_import_created (import_id, kind, record_id) \
                 SELECT ?1, ?2, value FROM json_each(?3)",
            )
            .bind(id_text(id.as_uuid()))
            .bind(kind)
            .bind(ids);
            execute(self.conn(), query).await?;
        }
        Ok(())
    }
}

/// `value` as JSON text for a statement's `json_each`.
fn json_text<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| crate::error::json_error(what, &e))
}

/// Lower-case hex of `bytes`, for `unhex` in SQL.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{HOLDERS_BY_EXTERNAL_ID, HOLDERS_BY_PHONE, hex};
    use sqlx::Row as _;

    async fn plan(statement: &str, binds: &[&str]) -> Vec<String> {
        let store = crate::SqliteStore::in_memory().await.expect("a store");
        let mut conn = store.pool().acquire().await.expect("a connection");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {statement}"
        )));
        for bind in binds {
            query = query.bind(*bind);
        }
        let rows = query.fetch_all(&mut *conn).await.expect("a plan");
        rows.iter().map(|r| r.get::<String, _>("detail")).collect()
    }

    /// The set-based lookups probe the indexes per row (and per phone), whatever the
    /// register's size.
    #[tokio::test]
    async fn every_rows_lookup_is_index_probes() {
        let plan_external = plan(HOLDERS_BY_EXTERNAL_ID, &["owner", r#"["a", null]"#]).await;
        assert!(
            plan_external.iter().any(|step| step
                .contains("customers_by_external_id (data_owner_id=? AND external_id=?)")),
            "{plan_external:?}"
        );
        let plan_phones = plan(HOLDERS_BY_PHONE, &["owner", r#"[["+4712345678"], []]"#]).await;
        assert!(
            plan_phones
                .iter()
                .any(|step| step.contains("customer_phones_lookup (data_owner_id=? AND phone=?)")),
            "{plan_phones:?}"
        );
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }
}
