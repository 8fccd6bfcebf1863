//! Customers: the whole `Customer` as a JSON document, plus two child tables rewritten with
//! it — `customer_phones` for the import lookup by phone, and `customer_fields` (each CRM
//! field value with its order-preserving sort key) for the `Field` priority rules of "next
//! customer" and for hit analysis. "Oldest first" is insertion order (`seq`).

use super::{Query, execute, fetch_doc, fetch_docs};
use crate::codec::{id_list, id_text, to_doc};
use crate::sort_key::sort_key;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::customer::Customer;
use cube_domain::ids::{CustomerId, DataOwnerId};
use cube_domain::ports::{CustomerKey, CustomerRepository, Page, StoreError};

/// `u64` page bounds as SQLite integers (anything larger means "all").
fn page_bound(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl CustomerRepository for SqliteUnit {
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
    ) -> Result<Option<Customer>, StoreError> {
        let owner = id_text(owner.as_uuid());
        let query: Query<'_> = match key {
            CustomerKey::ExternalId(external_id) => sqlx::query(
                "SELECT doc FROM customers WHERE data_owner_id = ? AND external_id = ? \
                 ORDER BY seq LIMIT 1",
            )
            .bind(owner)
            .bind(external_id.clone()),
            CustomerKey::Phone(phone) => sqlx::query(
                "SELECT c.doc FROM customer_phones AS p JOIN customers AS c ON c.id = p.customer_id \
                 WHERE p.data_owner_id = ? AND p.phone = ? ORDER BY c.seq LIMIT 1",
            )
            .bind(owner)
            .bind(phone.as_str().to_owned()),
        };
        fetch_doc(self.conn(), query, "customer").await
    }

    async fn save_customer(&mut self, customer: &Customer) -> Result<(), StoreError> {
        let id = id_text(customer.id().as_uuid());
        let owner = id_text(customer.data_owner().as_uuid());
        let details = customer.details();
        let query = sqlx::query(
            "INSERT INTO customers (id, data_owner_id, external_id, doc) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET data_owner_id = ?2, external_id = ?3, doc = ?4",
        )
        .bind(id.clone())
        .bind(owner.clone())
        .bind(details.external_id.clone())
        .bind(to_doc("customer", customer)?);
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

    async fn customers(
        &mut self,
        owner: DataOwnerId,
        page: Page,
    ) -> Result<Vec<Customer>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM customers WHERE data_owner_id = ? ORDER BY seq LIMIT ? OFFSET ?",
        )
        .bind(id_text(owner.as_uuid()))
        .bind(page_bound(page.limit))
        .bind(page_bound(page.offset));
        fetch_docs(self.conn(), query, "customer").await
    }
}
