//! Products: the data owner's catalogue, a small table, scanned (a code is unique per data
//! owner).

use super::{MemoryUnit, sorted_by};
use async_trait::async_trait;
use cube_domain::ids::{DataOwnerId, ProductId};
use cube_domain::ports::ProductWrites;
use cube_domain::ports::UniqueRule;
use cube_domain::ports::{ProductRepository, StoreError};
use cube_domain::product::Product;

#[async_trait]
impl ProductRepository for MemoryUnit {
    async fn product(&mut self, id: ProductId) -> Result<Option<Product>, StoreError> {
        Ok(self.data.products.get(&id).cloned())
    }

    async fn products(&mut self, owner: DataOwnerId) -> Result<Vec<Product>, StoreError> {
        let products = self
            .data
            .products
            .values()
            .filter(|p| p.data_owner() == owner)
            .cloned()
            .collect();
        Ok(sorted_by(products, |p| (p.name().clone(), p.id())))
    }
}

#[async_trait]
impl ProductWrites for MemoryUnit {
    async fn save_product(&mut self, product: &Product) -> Result<(), StoreError> {
        if self.data.products.values().any(|other| {
            other.id() != product.id()
                && other.data_owner() == product.data_owner()
                && other.code() == product.code()
        }) {
            return Err(StoreError::Duplicate(UniqueRule::ProductCode));
        }
        self.put(|d| &mut d.products, product.id(), product.clone());
        Ok(())
    }
}
