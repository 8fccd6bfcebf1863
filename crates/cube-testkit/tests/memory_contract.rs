//! The storage contract run against `MemoryStore`: the in-memory twin must pass the very
//! suite the SQL adapters pass, or the use-case tests built on it prove nothing.

use cube_domain::ports::Store;
use cube_testkit::MemoryStore;
use std::sync::Arc;

cube_testkit::store_contract_tests!(|| async { Arc::new(MemoryStore::new()) as Arc<dyn Store> });
