//! The storage contract of `cube-testkit`, run twice against `SqliteStore`: on a fresh
//! database file per case (the production setup: WAL, a pool of connections, writers
//! queueing on the busy timeout), and on a fresh in-memory database per case (one
//! connection).
#![allow(clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use common::TempDb;
use cube_domain::access::User;
use cube_domain::ports::{
    AccessToken, Handout, NextCustomerRequest, ReadUnit, Store, StoreError, UnitOfWork,
};
use cube_sqlite::SqliteStore;
use std::sync::Arc;

/// A store on a database file that is deleted when the case drops the store.
#[derive(Debug)]
struct FileStore {
    store: SqliteStore,
    _file: TempDb,
}

#[async_trait]
impl Store for FileStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        self.store.begin().await
    }

    async fn begin_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        self.store.begin_read().await
    }

    async fn begin_long_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        self.store.begin_long_read().await
    }

    async fn reserve_next(
        &self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError> {
        self.store.reserve_next(request).await
    }

    async fn token_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, User)>, StoreError> {
        self.store.token_holder(token_hash).await
    }
}

async fn file_store() -> Arc<dyn Store> {
    let file = TempDb::new("contract");
    let store = file.open().await;
    Arc::new(FileStore { store, _file: file })
}

async fn memory_store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::in_memory().await.unwrap())
}

mod file {
    cube_testkit::store_contract_tests!(crate::file_store);
}

mod memory {
    cube_testkit::store_contract_tests!(crate::memory_store);
}
