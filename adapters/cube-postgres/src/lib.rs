//! # cube-postgres
//!
//! PostgreSQL storage for Cube: [`PgStore`] implements the domain's `Store` port (a unit of
//! work is one database transaction over every repository) and the atomic "next customer"
//! (`reserve_next`) as a single `UPDATE … FOR UPDATE SKIP LOCKED` statement, so two sellers
//! never get the same customer, also across server processes.
//!
//! Queries are built at run time (`sqlx::query` + `Row::try_get`): nothing needs a database
//! at build time. The schema lives in `migrations/` (numbered, commented column by column,
//! never edited once applied) and is embedded in the binary; [`PgStore::migrate`] applies it.
//!
//! # Layout
//! - [`PgStore`], [`PgConfig`] (here): the pool, migrations, the `Store` impl.
//! - `unit`: [`PgUnitOfWork`], the transaction, its failure guard and optimistic versions.
//! - `error`: the one place where `sqlx::Error` becomes `StoreError` (constraint names →
//!   `Duplicate`, serialization failures → `Conflict`, connection errors → `Unavailable`,
//!   decode failures → `Corrupt`).
//! - `codec`: enums as text, unsigned integers as `bigint`, money as minor units + scale,
//!   JSON columns.
//! - `repos/*`: one file per repository trait, named as in the other stores (organisations,
//!   users, data owners, customers, products, flows, assignments, calendars, enrollments,
//!   the outcome log, imports, time entries, the outbox, credentials, and `repos/reports`:
//!   the report tallies read from counters kept by triggers (migration 0003: outcome and
//!   sales rollups per hour and day, status and hit counters), merged by the domain's
//!   functions).
//! - `queue`: `reserve_next`, the next-customer order of `cube_domain::queue` in SQL
//!   ([`reserve_statement`] shows its SQL, for the storage benchmark's raw baseline).
//! - [`statements`]: the other statements of the register-outcome path, shown for the same
//!   baseline.
//! - `search`: the columns customer search reads, its `LIKE` patterns, and the fill of
//!   search texts after migration 0004.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod error;
mod queue;
mod repos;
mod search;
mod unit;

pub use queue::{
    BEGIN_GENERIC_PLAN, GateParams, Param as ReserveParam, gate_params, reserve_statement,
    rested_since,
};

pub mod statements {
    //! The statements the register-outcome unit of work runs, exactly as the adapter runs
    //! them (each constant's documentation lists what it binds). Public, like
    //! [`reserve_statement`](crate::reserve_statement), for the storage benchmark's raw
    //! baseline (`benches/storage.rs` runs them through sqlx alone), so that baseline cannot
    //! drift from the adapter. They are not a way to write: use the port, which also keeps
    //! row versions and turns results into errors. The outcome list's two page statements
    //! are here for the plan test that holds each page to one index range
    //! (`tests/outcome_pages.rs`).
    pub use crate::queue::ALLOWED as CONTACT_GATE;
    pub use crate::repos::{
        APPEND_EVENT, ENROLLMENT_BY_ID, OUTCOME_PAGE_AFTER, OUTCOME_PAGE_FIRST, UPDATE_ENROLLMENT,
        UPDATE_ENROLLMENT_WITH_EVENT,
    };
}
pub use unit::PgUnitOfWork;

use async_trait::async_trait;
use cube_domain::access::User;
use cube_domain::ports::{AccessToken, ReadUnit, Store, StoreError, UnitOfWork};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The migrations in `migrations/`, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgConfig {
    /// Connections the pool opens at most (each unit of work holds one until it ends).
    pub max_connections: u32,
    /// How long a unit of work or `reserve_next` waits for a free connection before the
    /// store answers `Unavailable`.
    pub acquire_timeout: Duration,
}

impl Default for PgConfig {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// PostgreSQL storage: a connection pool. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/database`) with the default settings.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_config(url, PgConfig::default()).await
    }

    /// Connects to `url` with the given pool settings.
    pub async fn connect_with_config(url: &str, config: PgConfig) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?;
        Self::connect_with(options, config).await
    }

    /// Connects with parsed connection options (e.g. the same server, another database).
    pub async fn connect_with(
        options: PgConnectOptions,
        config: PgConfig,
    ) -> Result<Self, StoreError> {
        // No JIT compilation: a statement whose estimated cost crosses `jit_above_cost`
        // (the reserve statement's generic plan does) spent 120 ms compiling for a 2 ms
        // execution. The store's statements are short; none gains from it.
        let options = options.options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(error::store_error)?;
        Ok(Self { pool })
    }

    /// Uses an existing pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool, for the server's health check and for tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies the migrations not applied yet (under sqlx's advisory lock, so several
    /// server processes may start at once). Fails if an applied migration was edited.
    /// Then fills what a migration added but only Rust can compute (customers' search text).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating the database failed: {e}")))?;
        search::fill_search_text(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PgStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        // The transaction begins with the unit's first statement (see `unit`).
        Ok(Box::new(PgUnitOfWork::pending(self.pool.clone())))
    }

    async fn begin_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        // No transaction: at READ COMMITTED it would give each statement its own snapshot
        // anyway (see `unit`), and a `ReadUnit` has no write method.
        let connection = self.pool.acquire().await.map_err(error::store_error)?;
        Ok(Box::new(PgUnitOfWork::reads(connection)))
    }

    /// One statement on the pool, no transaction: authentication is one round trip.
    async fn token_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, User)>, StoreError> {
        repos::token_holder(&self.pool, token_hash).await
    }
}
