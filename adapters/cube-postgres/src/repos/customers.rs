//! Customers of a data owner. They keep their external id and phone numbers in columns
//! (the phones as a GIN-indexed array) so imports find existing customers without a scan;
//! searching reads the columns of `crate::search`.

use crate::PgUnitOfWork;
use crate::codec::{all_json, get, get_json};
use crate::search::{contains_pattern, dataset_text};
use async_trait::async_trait;
use cube_domain::customer::{Customer, CustomerChange, CustomerFilter};
use cube_domain::customer_import::CustomerImport;
use cube_domain::ids::{CustomerId, DataOwnerId, EnrollmentId, ImportId};
use cube_domain::import_match::RowKeys;
use cube_domain::ports::CustomerWrites;
use cube_domain::ports::{CustomerKey, CustomerRepository, Page, StoreError};
use cube_domain::privacy::PersonKey;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use std::fmt::Write as _;
use uuid::Uuid;

impl PgUnitOfWork {
    /// The import records of `query` (rows with `data`), each with what it created
    /// (`customer_import_lists`, by kind then id: the ids ascending).
    async fn imports_with_lists(
        &mut self,
        query: crate::unit::PgQuery<'_>,
    ) -> Result<Vec<CustomerImport>, StoreError> {
        let mut imports: Vec<CustomerImport> = all_json(&self.fetch_all(query).await?, "data")?;
        for import in &mut imports {
            let query = sqlx::query(
                "SELECT l.kind, r.record_id
                 FROM customer_import_lists l CROSS JOIN unnest(l.record_ids) AS r (record_id)
                 WHERE l.import_id = $1
                 ORDER BY l.kind, r.record_id",
            )
            .bind(import.id.as_uuid());
            for row in self.fetch_all(query).await? {
                let id: Uuid = get(&row, "record_id")?;
                match get::<String>(&row, "kind")?.as_str() {
                    "customer" => import.customers.push(CustomerId::from_uuid(id)),
                    "enrollment" => import.enrollments.push(EnrollmentId::from_uuid(id)),
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
}

#[async_trait]
impl CustomerRepository for PgUnitOfWork {
    async fn customer_import(
        &mut self,
        id: ImportId,
    ) -> Result<Option<CustomerImport>, StoreError> {
        let query =
            sqlx::query("SELECT data FROM customer_imports WHERE id = $1").bind(id.as_uuid());
        Ok(self.imports_with_lists(query).await?.pop())
    }

    async fn customer_imports(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<CustomerImport>, StoreError> {
        let query = sqlx::query(
            "SELECT data FROM customer_imports WHERE data_owner_id = $1
             ORDER BY imported_at DESC, id DESC",
        )
        .bind(owner.as_uuid());
        self.imports_with_lists(query).await
    }

    async fn customer_imports_after(
        &mut self,
        after: Option<ImportId>,
        limit: u32,
    ) -> Result<Vec<CustomerImport>, StoreError> {
        // Without `after` from the first; with an unknown one, none (NULL subquery).
        let query = sqlx::query(
            "SELECT data FROM customer_imports WHERE seq >
                 CASE WHEN $1::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM customer_imports WHERE id = $1) END
             ORDER BY seq LIMIT $2",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(i64::from(limit));
        self.imports_with_lists(query).await
    }

    async fn customers_of_person(
        &mut self,
        owner: DataOwnerId,
        key: &PersonKey,
    ) -> Result<Vec<Customer>, StoreError> {
        // Each through its index: the phones' GIN, the external id, and the e-mail's
        // expression (`customers_email`, migration 0027: the same expression here).
        let query = match key {
            PersonKey::Phone(phone) => sqlx::query(
                "SELECT data FROM customers WHERE data_owner_id = $1 AND phones @> ARRAY[$2::text]
                 ORDER BY seq",
            )
            .bind(owner.as_uuid())
            .bind(phone.as_str().to_owned()),
            PersonKey::Email(email) => sqlx::query(
                r#"SELECT data FROM customers WHERE data_owner_id = $1
                     AND lower((data -> 'details' ->> 'email') COLLATE "C") = $2
                   ORDER BY seq"#,
            )
            .bind(owner.as_uuid())
            .bind(email.login_key()),
            PersonKey::ExternalId(external) => sqlx::query(
                "SELECT data FROM customers WHERE data_owner_id = $1 AND external_id = $2
                 ORDER BY seq",
            )
            .bind(owner.as_uuid())
            .bind(external.clone()),
        };
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn customers_after(
        &mut self,
        owner: DataOwnerId,
        after: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<Customer>, StoreError> {
        // From the first without `after`; after its `seq` with it, none when it is not the
        // owner's (the subquery is NULL). One range of `customers_owner` a page.
        let query = sqlx::query(
            "SELECT data FROM customers WHERE data_owner_id = $1 AND seq >
                 CASE WHEN $2::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM customers WHERE id = $2 AND data_owner_id = $1) END
             ORDER BY seq LIMIT $3",
        )
        .bind(owner.as_uuid())
        .bind(after.map(|id| id.as_uuid()))
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        let query = sqlx::query("SELECT data FROM customers WHERE id = $1").bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn customers_by_id(&mut self, ids: &[CustomerId]) -> Result<Vec<Customer>, StoreError> {
        let ids: Vec<Uuid> = ids.iter().map(CustomerId::as_uuid).collect();
        // In the order asked for; missing ids are left out.
        let query = sqlx::query(
            "SELECT c.data FROM unnest($1::uuid[]) WITH ORDINALITY AS wanted (id, n)
             JOIN customers c ON c.id = wanted.id
             ORDER BY wanted.n",
        )
        .bind(ids);
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn find_customer(
        &mut self,
        owner: DataOwnerId,
        key: &CustomerKey,
        except: Option<CustomerId>,
    ) -> Result<Option<Customer>, StoreError> {
        let except = except.map(|id| id.as_uuid());
        let query = match key {
            CustomerKey::ExternalId(external) => sqlx::query(
                "SELECT data FROM customers WHERE data_owner_id = $1 AND external_id = $2
                   AND ($3::uuid IS NULL OR id <> $3)
                 ORDER BY seq LIMIT 1",
            )
            .bind(owner.as_uuid())
            .bind(external.as_str())
            .bind(except),
            CustomerKey::Phone(phone) => sqlx::query(
                "SELECT data FROM customers WHERE data_owner_id = $1 AND phones @> ARRAY[$2::text]
                   AND ($3::uuid IS NULL OR id <> $3)
                 ORDER BY seq LIMIT 1",
            )
            .bind(owner.as_uuid())
            .bind(phone.as_str())
            .bind(except),
            // NULL for a person: a person number is no key (migration 0041).
            CustomerKey::Registry(key) => sqlx::query(
                "SELECT data FROM customers WHERE data_owner_id = $1 AND registry_key = $2
                   AND ($3::uuid IS NULL OR id <> $3)
                 ORDER BY seq LIMIT 1",
            )
            .bind(owner.as_uuid())
            .bind(key.as_str())
            .bind(except),
        };
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn import_row_keys(
        &mut self,
        owner: DataOwnerId,
        rows: &[&Customer],
    ) -> Result<Vec<RowKeys>, StoreError> {
        self.row_keys(owner, rows).await
    }

    async fn customers(
        &mut self,
        owner: DataOwnerId,
        filter: &CustomerFilter,
        page: Page,
    ) -> Result<Vec<Customer>, StoreError> {
        // Only the conditions given, numbered as bound, so each can use its index.
        let mut sql = String::from("SELECT data, seq FROM customers WHERE data_owner_id = $1");
        let mut n = 1;
        let mut next = || {
            n += 1;
            n
        };
        if filter.dataset.is_some() {
            let _ = write!(sql, " AND dataset = ${}", next());
        }
        if filter.external_id.is_some() {
            let _ = write!(sql, " AND external_id = ${}", next());
        }
        if filter.phone.is_some() {
            let _ = write!(sql, " AND phones @> ARRAY[${}::text]", next());
        }
        for _ in filter.words.words() {
            let _ = write!(sql, " AND search_text LIKE ${} ESCAPE '\\'", next());
        }
        // A phone number names a customer or two, but the planner estimates thousands for
        // `@>` and would walk the whole data owner in `seq` order to fill the page (320 ms
        // at 1M customers): find the matches through the phone index first, then sort them.
        if filter.phone.is_some() {
            sql = format!("WITH m AS MATERIALIZED ({sql}) SELECT data, seq FROM m");
        }
        let _ = write!(sql, " ORDER BY seq OFFSET ${} LIMIT ${}", next(), next());

        // Not a cached prepared statement: PostgreSQL would switch to a generic plan after
        // five runs, planned without the words or the number, which reads every customer
        // (780 ms at 1M customers where the plan for the actual values takes 1 ms).
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .persistent(false)
            .bind(owner.as_uuid());
        if let Some(dataset) = filter.dataset {
            query = query.bind(dataset_text(dataset));
        }
        if let Some(external_id) = &filter.external_id {
            query = query.bind(external_id.clone());
        }
        if let Some(phone) = &filter.phone {
            query = query.bind(phone.as_str().to_owned());
        }
        for word in filter.words.words() {
            query = query.bind(contains_pattern(word));
        }
        let query = query
            .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .bind(i64::try_from(page.limit).unwrap_or(i64::MAX));
        all_json(&self.fetch_all(query).await?, "data")
    }

    async fn customer_changes(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<CustomerChange>, StoreError> {
        let query = sqlx::query(
            "SELECT data FROM customer_changes WHERE customer_id = $1
             ORDER BY changed_at, seq",
        )
        .bind(customer.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl CustomerWrites for PgUnitOfWork {
    async fn record_customer_change(&mut self, change: &CustomerChange) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO customer_changes (customer_id, changed_at, data) VALUES ($1, $2, $3)",
        )
        .bind(change.customer.as_uuid())
        .bind(change.at)
        .bind(Json(change));
        self.execute(query).await?;
        Ok(())
    }

    async fn save_customer(&mut self, customer: &Customer) -> Result<(), StoreError> {
        let details = customer.details();
        let facts = customer.contact_facts();
        let phones: Vec<&str> = details.phones.iter().map(|p| p.as_str()).collect();
        let query = sqlx::query(
            "INSERT INTO customers (id, data_owner_id, external_id, phones, data, dataset,
                 search_text, contact_block, register_checked, registry_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET data_owner_id = EXCLUDED.data_owner_id,
                 external_id = EXCLUDED.external_id, phones = EXCLUDED.phones,
                 data = EXCLUDED.data, dataset = EXCLUDED.dataset,
                 search_text = EXCLUDED.search_text, contact_block = EXCLUDED.contact_block,
                 register_checked = EXCLUDED.register_checked,
                 registry_key = EXCLUDED.registry_key",
        )
        .bind(customer.id().as_uuid())
        .bind(customer.data_owner().as_uuid())
        .bind(details.external_id.as_deref())
        .bind(phones)
        .bind(Json(customer))
        .bind(dataset_text(customer.dataset()))
        .bind(customer.search_text())
        .bind(facts.block.map(|b| b.as_str()))
        .bind(facts.register_checked)
        // The organisation number's import key (migration 0041).
        .bind(customer.registry_key());
        self.execute(query).await?;
        Ok(())
    }

    async fn delete_customer(&mut self, id: CustomerId) -> Result<(), StoreError> {
        // Its card changes go with it (`ON DELETE CASCADE`); the customers' counter trigger
        // finds no enrollment left to count.
        let query = sqlx::query(
            "DELETE FROM customers WHERE id = $1
               AND NOT EXISTS (SELECT 1 FROM enrollments WHERE customer_id = $1)",
        )
        .bind(id.as_uuid());
        match self.execute(query).await? {
            0 => Err(StoreError::Conflict(format!(
                "customer {id} does not exist, or is still enrolled (remove its enrollments first)"
            ))),
            _ => Ok(()),
        }
    }

    async fn erase_customer_changes(&mut self, customer: CustomerId) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM customer_changes WHERE customer_id = $1")
            .bind(customer.as_uuid());
        self.execute(query).await.map(drop)
    }
}
