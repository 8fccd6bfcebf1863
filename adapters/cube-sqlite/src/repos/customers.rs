//! Customers: the whole `Customer` as a JSON document, plus two child tables rewritten with
//! it — `customer_phones` for the import lookup by phone, and `customer_fields` (each CRM
//! field value with its order-preserving sort key) for the `Field` priority rules of "next
//! customer" and for hit analysis. "Oldest first" is insertion order (`seq`). Searching
//! reads two more columns written with the customer: `dataset` and `search_text`
//! (`Customer::search_text`, folded in Rust), in which each searched word is an `instr`.

use super::{Query, execute, fetch_doc, fetch_docs};
use crate::codec::{id_list, id_text, parse_id, time_ns, to_doc};
use crate::error::store_error;
use crate::sort_key::sort_key;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::customer::{Customer, CustomerChange, CustomerFilter};
use cube_domain::customer_import::CustomerImport;
use cube_domain::data_owner::Dataset;
use cube_domain::ids::{CustomerId, DataOwnerId, ImportId};
use cube_domain::import_match::RowKeys;
use cube_domain::ports::CustomerWrites;
use cube_domain::ports::{CustomerKey, CustomerRepository, Page, StoreError};
use cube_domain::privacy::PersonKey;
use sqlx::SqlitePool;

/// `u64` page bounds as SQLite integers (anything larger means "all").
fn page_bound(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The `dataset` column's text: the dataset as serialised in the customer's `doc` (so the
/// migration could fill it from there).
pub(crate) fn dataset_text(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::B2b => "B2b",
        Dataset::B2c => "B2c",
    }
}

/// A dataset as [`dataset_text`] stores it.
pub(crate) fn parse_dataset(text: &str) -> Result<Dataset, StoreError> {
    match text {
        "B2b" => Ok(Dataset::B2b),
        "B2c" => Ok(Dataset::B2c),
        other => Err(StoreError::Corrupt(format!(
            "a customer's dataset '{other}'"
        ))),
    }
}

/// How many customers `fill_search_text` reads and writes at a time.
const FILL_BATCH: i64 = 500;

/// Fills `search_text` of customers stored before it existed (migration 0003), a batch per
/// transaction; customers saved since have theirs. Idempotent: run after every migration.
pub(crate) async fn fill_search_text(pool: &SqlitePool) -> Result<u64, StoreError> {
    let mut filled = 0;
    loop {
        // The write lock from the start, like every writing unit (a deferred transaction
        // could fail on upgrading it while another process writes).
        let mut tx = pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)?;
        let query = sqlx::query("SELECT doc FROM customers WHERE search_text IS NULL LIMIT ?")
            .bind(FILL_BATCH);
        let customers: Vec<Customer> = fetch_docs(&mut tx, query, "customer").await?;
        if customers.is_empty() {
            return Ok(filled);
        }
        for customer in &customers {
            let query = sqlx::query("UPDATE customers SET search_text = ? WHERE id = ?")
                .bind(customer.search_text())
                .bind(id_text(customer.id().as_uuid()));
            filled += execute(&mut tx, query).await?;
        }
        tx.commit().await.map_err(store_error)?;
    }
}

/// The customer search for `filter`: only the conditions given, so an exact external id or
/// phone uses its index. Binds as [`bind_search`].
///
/// With a phone number, the phone's index finds the few candidates and they are read by id:
/// the owner term is then written `+c.data_owner_id` (no index for it) and the phone
/// subquery names the owner itself. Left to choose, SQLite walked the owner's customers in
/// `seq` order (the index that also gives the page its order) and probed the phones for
/// each: 123 ms at 100,000 customers against 0.1 ms (`docs/performance.md`).
fn search_sql(filter: &CustomerFilter) -> String {
    let mut sql = String::from(if filter.phone.is_some() {
        "SELECT c.doc FROM customers AS c WHERE +c.data_owner_id = ?"
    } else {
        "SELECT c.doc FROM customers AS c WHERE c.data_owner_id = ?"
    });
    if filter.dataset.is_some() {
        sql.push_str(" AND c.dataset = ?");
    }
    if filter.external_id.is_some() {
        sql.push_str(" AND c.external_id = ?");
    }
    if filter.phone.is_some() {
        sql.push_str(
            " AND c.id IN (SELECT p.customer_id FROM customer_phones AS p \
             WHERE p.data_owner_id = ? AND p.phone = ?)",
        );
    }
    for _ in filter.words.words() {
        sql.push_str(" AND instr(c.search_text, ?) > 0");
    }
    sql.push_str(" ORDER BY c.seq LIMIT ? OFFSET ?");
    sql
}

/// Binds the parameters of [`search_sql`] in its order.
fn bind_search<'q>(
    query: Query<'q>,
    owner: DataOwnerId,
    filter: &CustomerFilter,
    page: Page,
) -> Query<'q> {
    let owner = id_text(owner.as_uuid());
    let mut query = query.bind(owner.clone());
    if let Some(dataset) = filter.dataset {
        query = query.bind(dataset_text(dataset));
    }
    if let Some(external_id) = &filter.external_id {
        query = query.bind(external_id.clone());
    }
    if let Some(phone) = &filter.phone {
        query = query.bind(owner).bind(phone.as_str().to_owned());
    }
    for word in filter.words.words() {
        query = query.bind(word.clone());
    }
    query
        .bind(page_bound(page.limit))
        .bind(page_bound(page.offset))
}

/// The import records of `query` (rows with a `doc`), each with what it created
/// (`customer_import_created`, by kind then id: the ids ascending).
async fn imports_with_lists(
    conn: &mut sqlx::SqliteConnection,
    query: Query<'_>,
) -> Result<Vec<CustomerImport>, StoreError> {
    let mut imports: Vec<CustomerImport> = fetch_docs(&mut *conn, query, "customer import").await?;
    for import in &mut imports {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, record_id FROM customer_import_created WHERE import_id = ? \
             ORDER BY kind, record_id",
        )
        .bind(id_text(import.id.as_uuid()))
        .fetch_all(&mut *conn)
        .await
        .map_err(store_error)?;
        for (kind, id) in rows {
            match kind.as_str() {
                "customer" => import.customers.push(parse_id(&id)?),
                "enrollment" => import.enrollments.push(parse_id(&id)?),
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "an import's created record of kind '{other}'"
                    )));
                }
            }
        }
    }
    Ok(imports)
}

#[async_trait]
impl CustomerRepository for SqliteUnit {
    async fn customer_import(
        &mut self,
        id: ImportId,
    ) -> Result<Option<CustomerImport>, StoreError> {
        let query = sqlx::query("SELECT doc FROM customer_imports WHERE id = ?")
            .bind(id_text(id.as_uuid()));
        Ok(imports_with_lists(self.conn(), query).await?.pop())
    }

    async fn customer_imports(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<CustomerImport>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM customer_imports WHERE data_owner_id = ? \
             ORDER BY imported_at DESC, id DESC",
        )
        .bind(id_text(owner.as_uuid()));
        imports_with_lists(self.conn(), query).await
    }

    async fn customer_imports_after(
        &mut self,
        after: Option<ImportId>,
        limit: u32,
    ) -> Result<Vec<CustomerImport>, StoreError> {
        // Without `after` from the first; with an unknown one, none (the subquery is NULL).
        let query = sqlx::query(
            "SELECT doc FROM customer_imports WHERE seq > \
               CASE WHEN ?1 IS NULL THEN -1 ELSE (SELECT seq FROM customer_imports WHERE id = ?1) END \
             ORDER BY seq LIMIT ?2",
        )
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(i64::from(limit));
        imports_with_lists(self.conn(), query).await
    }

    async fn customers_of_person(
        &mut self,
        owner: DataOwnerId,
        key: &PersonKey,
    ) -> Result<Vec<Customer>, StoreError> {
        let owner = id_text(owner.as_uuid());
        // Each through its index: the phones' rows, the external id, and the e-mail's
        // expression (`customers_by_email`, migration 0027: the same expression here).
        let query = match key {
            PersonKey::Phone(phone) => sqlx::query(
                "SELECT doc FROM customers WHERE id IN \
                   (SELECT customer_id FROM customer_phones WHERE data_owner_id = ?1 AND phone = ?2) \
                 ORDER BY seq",
            )
            .bind(owner)
            .bind(phone.as_str().to_owned()),
            PersonKey::Email(email) => sqlx::query(
                "SELECT doc FROM customers WHERE data_owner_id = ? \
                   AND lower(json_extract(doc, '$.details.email')) = ? ORDER BY seq",
            )
            .bind(owner)
            .bind(email.login_key()),
            PersonKey::ExternalId(external) => sqlx::query(
                "SELECT doc FROM customers WHERE data_owner_id = ? AND external_id = ? \
                 ORDER BY seq",
            )
            .bind(owner)
            .bind(external.clone()),
        };
        fetch_docs(self.conn(), query, "customer").await
    }

    async fn customers_after(
        &mut self,
        owner: DataOwnerId,
        after: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<Customer>, StoreError> {
        // From the first without `after`; after its `seq` with it, none when it is not the
        // owner's (the subquery is NULL). One range of `customers_by_owner` a page.
        let query = sqlx::query(
            "SELECT doc FROM customers WHERE data_owner_id = ?1 AND seq > \
               CASE WHEN ?2 IS NULL THEN -1 \
               ELSE (SELECT seq FROM customers WHERE id = ?2 AND data_owner_id = ?1) END \
             ORDER BY seq LIMIT ?3",
        )
        .bind(id_text(owner.as_uuid()))
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "customer").await
    }

    async fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM customers WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "customer").await
    }

    async fn customers_by_id(&mut self, ids: &[CustomerId]) -> Result<Vec<Customer>, StoreError> {
        // In the order asked for; ids with no customer drop out of the join.
        let query = sqlx::query(
            "SELECT c.doc FROM json_each(?) AS j JOIN customers AS c ON c.id = j.value \
             ORDER BY j.key",
        )
        .bind(id_list(ids.iter().map(|id| id.as_uuid())));
        fetch_docs(self.conn(), query, "customer").await
    }

    async fn find_customer(
        &mut self,
        owner: DataOwnerId,
        key: &CustomerKey,
        except: Option<CustomerId>,
    ) -> Result<Option<Customer>, StoreError> {
        let owner = id_text(owner.as_uuid());
        let except = except.map(|id| id_text(id.as_uuid()));
        let query: Query<'_> = match key {
            CustomerKey::ExternalId(external_id) => sqlx::query(
                "SELECT doc FROM customers WHERE data_owner_id = ?1 AND external_id = ?2 \
                 AND (?3 IS NULL OR id <> ?3) ORDER BY seq LIMIT 1",
            )
            .bind(owner)
            .bind(external_id.clone())
            .bind(except),
            CustomerKey::Phone(phone) => sqlx::query(
                "SELECT c.doc FROM customer_phones AS p JOIN customers AS c ON c.id = p.customer_id \
                 WHERE p.data_owner_id = ?1 AND p.phone = ?2 AND (?3 IS NULL OR c.id <> ?3) \
                 ORDER BY c.seq LIMIT 1",
            )
            .bind(owner)
            .bind(phone.as_str().to_owned())
            .bind(except),
            // NULL for a person: a person number is no key (migration 0041).
            CustomerKey::Registry(key) => sqlx::query(
                "SELECT doc FROM customers WHERE data_owner_id = ?1 AND registry_key = ?2 \
                 AND (?3 IS NULL OR id <> ?3) ORDER BY seq LIMIT 1",
            )
            .bind(owner)
            .bind(key.clone())
            .bind(except),
        };
        fetch_doc(self.conn(), query, "customer").await
    }

    async fn import_row_keys(
        &mut self,
        owner: DataOwnerId,
        rows: &[&Customer],
    ) -> Result<Vec<RowKeys>, StoreError> {
        self.row_keys(&id_text(owner.as_uuid()), rows).await
    }

    async fn customers(
        &mut self,
        owner: DataOwnerId,
        filter: &CustomerFilter,
        page: Page,
    ) -> Result<Vec<Customer>, StoreError> {
        let query = bind_search(
            sqlx::query(sqlx::AssertSqlSafe(search_sql(filter))),
            owner,
            filter,
            page,
        );
        fetch_docs(self.conn(), query, "customer").await
    }

    async fn customer_changes(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<CustomerChange>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM customer_changes WHERE customer_id = ? ORDER BY changed_at, seq",
        )
        .bind(id_text(customer.as_uuid()));
        fetch_docs(self.conn(), query, "customer change").await
    }
}

#[async_trait]
impl CustomerWrites for SqliteUnit {
    async fn record_customer_change(&mut self, change: &CustomerChange) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO customer_changes (customer_id, changed_at, doc) VALUES (?, ?, ?)",
        )
        .bind(id_text(change.customer.as_uuid()))
        .bind(time_ns(change.at)?)
        .bind(to_doc("customer change", change)?);
        execute(self.conn(), query).await?;
        Ok(())
    }

    async fn save_customer(&mut self, customer: &Customer) -> Result<(), StoreError> {
        let id = id_text(customer.id().as_uuid());
        let owner = id_text(customer.data_owner().as_uuid());
        let details = customer.details();
        // The contact columns (migration 0023), as the queue's gate reads them.
        let facts = customer.contact_facts();
        let query = sqlx::query(
            "INSERT INTO customers (id, data_owner_id, external_id, doc, dataset, search_text, \
                 contact_block, register_checked, registry_key) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (id) DO UPDATE SET data_owner_id = ?2, external_id = ?3, doc = ?4, \
                 dataset = ?5, search_text = ?6, contact_block = ?7, register_checked = ?8, \
                 registry_key = ?9",
        )
        .bind(id.clone())
        .bind(owner.clone())
        .bind(details.external_id.clone())
        .bind(to_doc("customer", customer)?)
        .bind(dataset_text(customer.dataset()))
        .bind(customer.search_text())
        .bind(facts.block.map(|b| b.as_str()))
        .bind(facts.register_checked.map(|day| day.to_string()))
        // The organisation number's import key (migration 0041).
        .bind(customer.registry_key());
        execute(self.conn(), query).await?;

        let clear =
            sqlx::query("DELETE FROM customer_phones WHERE customer_id = ?").bind(id.clone());
        execute(self.conn(), clear).await?;
        for (position, phone) in (0i64..).zip(&details.phones) {
            let query = sqlx::query(
                "INSERT INTO customer_phones (customer_id, position, data_owner_id, phone) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind(id.clone())
            .bind(position)
            .bind(owner.clone())
            .bind(phone.as_str().to_owned());
            execute(self.conn(), query).await?;
        }

        let clear =
            sqlx::query("DELETE FROM customer_fields WHERE customer_id = ?").bind(id.clone());
        execute(self.conn(), clear).await?;
        for (key, value) in customer.fields() {
            let query = sqlx::query(
                "INSERT INTO customer_fields (customer_id, field_key, value, sort_key) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind(id.clone())
            .bind(key.as_str().to_owned())
            .bind(to_doc("customer field value", value)?)
            .bind(sort_key(value));
            execute(self.conn(), query).await?;
        }
        Ok(())
    }

    async fn delete_customer(&mut self, id: CustomerId) -> Result<(), StoreError> {
        // Its phones, fields and card changes go with it (`ON DELETE CASCADE`); the hit
        // counters' triggers on `customer_fields` find no enrollment left to count.
        let query = sqlx::query(
            "DELETE FROM customers WHERE id = ?1 \
               AND NOT EXISTS (SELECT 1 FROM enrollments WHERE customer_id = ?1)",
        )
        .bind(id_text(id.as_uuid()));
        match execute(self.conn(), query).await? {
            0 => Err(StoreError::Conflict(format!(
                "customer {id} does not exist, or is still enrolled (remove its enrollments first)"
            ))),
            _ => Ok(()),
        }
    }

    async fn erase_customer_changes(&mut self, customer: CustomerId) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM customer_changes WHERE customer_id = ?")
            .bind(id_text(customer.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::{bind_search, search_sql};
    use cube_domain::customer::{CustomerFilter, SearchWords};
    use cube_domain::ids::DataOwnerId;
    use cube_domain::ports::Page;
    use cube_domain::values::PhoneNumber;
    use sqlx::Row as _;

    /// What SQLite plans for the search: the `detail` column of `EXPLAIN QUERY PLAN`.
    async fn plan(filter: &CustomerFilter) -> Vec<String> {
        let store = crate::SqliteStore::in_memory().await.expect("a store");
        let mut conn = store.pool().acquire().await.expect("a connection");
        let sql = format!("EXPLAIN QUERY PLAN {}", search_sql(filter));
        let page = Page {
            offset: 0,
            limit: 50,
        };
        let owner = DataOwnerId::from_uuid(uuid::Uuid::from_u128(1));
        let query = bind_search(sqlx::query(sqlx::AssertSqlSafe(sql)), owner, filter, page);
        let rows = query.fetch_all(&mut *conn).await.expect("a plan");
        rows.iter().map(|r| r.get::<String, _>("detail")).collect()
    }

    /// A phone search probes the phone index and reads the matches by id, whatever the
    /// register's size; it never walks the owner's customers.
    #[tokio::test]
    async fn a_phone_search_starts_from_the_phone() {
        let phone = PhoneNumber::parse("+4790000001").expect("a phone number");
        for words in ["", "storgata"] {
            let filter = CustomerFilter {
                phone: Some(phone.clone()),
                words: SearchWords::parse(words).expect("words"),
                ..CustomerFilter::default()
            };
            let plan = plan(&filter).await;
            assert!(
                plan.iter()
                    .any(|s| s.contains("customer_phones_lookup (data_owner_id=? AND phone=?)")),
                "{plan:?}"
            );
            assert!(
                !plan.iter().any(|s| s.contains("customers_by_owner")),
                "{plan:?}"
            );
        }
    }

    /// Without a phone, the owner's customers are read in page order from their index.
    #[tokio::test]
    async fn a_word_search_reads_the_owner_in_page_order() {
        let filter = CustomerFilter {
            words: SearchWords::parse("storgata").expect("words"),
            ..CustomerFilter::default()
        };
        let plan = plan(&filter).await;
        assert!(
            plan.iter().any(|s| s.contains("customers_by_owner")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|s| s.contains("TEMP B-TREE")), "{plan:?}");
    }
}
