//! Products: the data owner's catalogue of things assignments sell, as JSON documents (a
//! code is unique per data owner).

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_text, to_doc};
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{DataOwnerId, ProductId};
use cube_domain::ports::ProductWrites;
use cube_domain::ports::{ProductRepository, StoreError};
use cube_domain::product::Product;

#[async_trait]
impl ProductRepository for SqliteUnit {
    async fn product(&mut self, id: ProductId) -> Result<Option<Product>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM products WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "product").await
    }

    async fn products(&mut self, owner: DataOwnerId) -> Result<Vec<Product>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM products WHERE data_owner_id = ? ORDER BY name COLLATE BINARY, id",
        )
        .bind(id_text(owner.as_uuid()));
        fetch_docs(self.conn(), query, "product").await
    }
}

#[async_trait]
impl ProductWrites for SqliteUnit {
    async fn save_product(&mut self, product: &Product) -> Result<(), StoreError> {
        // Another product's code breaks `UNIQUE (data_owner_id, code)` → `Duplicate`.
        let query = sqlx::query(
            "INSERT INTO products (id, data_owner_id, name, code, doc) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET data_owner_id = ?2, name = ?3, code = ?4, doc = ?5",
        )
        .bind(id_text(product.id().as_uuid()))
        .bind(id_text(product.data_owner().as_uuid()))
        .bind(product.name().as_str().to_owned())
        .bind(product.code().to_owned())
        .bind(to_doc("product", product)?);
        execute(self.conn(), query).await.map(drop)
    }
}
