//! The storage contract of `cube-testkit`, run against `PgStore`: every case on a fresh,
//! migrated database of its own.

mod common;

cube_testkit::store_contract_tests!(|| async {
    std::sync::Arc::new(crate::common::fresh_store().await)
        as std::sync::Arc<dyn cube_domain::ports::Store>
});
