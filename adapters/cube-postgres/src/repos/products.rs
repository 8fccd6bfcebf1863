//! Products: a data owner's catalogue. A product's code is unique per data owner
//! (`products_data_owner_id_code_key` → `Duplicate`).

use crate::PgUnitOfWork;
use crate::codec::{all_json, get_json};
use async_trait::async_trait;
use cube_domain::ids::{DataOwnerId, ProductId};
use cube_domain::ports::ProductWrites;
use cube_domain::ports::{ProductRepository, StoreError};
use cube_domain::product::Product;
use sqlx::types::Json;

#[async_trait]
impl ProductRepository for PgUnitOfWork {
    async fn product(&mut self, id: ProductId) -> Result<Option<Product>, StoreError> {
        let query = sqlx::query("SELECT data FROM products WHERE id = $1").bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "data"))
            .transpose()
    }

    async fn products(&mut self, owner: DataOwnerId) -> Result<Vec<Product>, StoreError> {
        let query = sqlx::query(
            r#"SELECT data FROM products WHERE data_owner_id = $1 ORDER BY name COLLATE "C", id"#,
        )
        .bind(owner.as_uuid());
        all_json(&self.fetch_all(query).await?, "data")
    }
}

#[async_trait]
impl ProductWrites for PgUnitOfWork {
    async fn save_product(&mut self, product: &Product) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO products (id, data_owner_id, code, name, data) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET data_owner_id = EXCLUDED.data_owner_id,
                 code = EXCLUDED.code, name = EXCLUDED.name, data = EXCLUDED.data",
        )
        .bind(product.id().as_uuid())
        .bind(product.data_owner().as_uuid())
        .bind(product.code())
        .bind(product.name().as_str())
        .bind(Json(product));
        // Another product of the data owner may have the code: see `execute_guarded`.
        self.execute_guarded(query).await?;
        Ok(())
    }
}
