//! # cube-sqlite
//!
//! The embedded default store of Cube: every storage port of `cube_domain::ports` (the
//! `Store`, its `UnitOfWork` with all repositories, and the `ReportRepository`) on one
//! SQLite database through sqlx. Runtime queries only (no compile-time checked macros, no
//! `DATABASE_URL` at build time); the schema is the numbered migrations in `migrations/`,
//! embedded in the binary and run by [`SqliteStore::migrate`] (and at connect).
//!
//! ```no_run
//! # async fn demo() -> Result<(), cube_domain::ports::StoreError> {
//! use cube_sqlite::{SqliteOptions, SqliteStore};
//! let store = SqliteStore::open("data/cube.db").await?;
//! let same = SqliteStore::connect("sqlite://data/cube.db", SqliteOptions::default()).await?;
//! let scratch = SqliteStore::in_memory().await?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - `store`: opening (WAL, `synchronous = NORMAL`, busy timeout, foreign keys),
//!   migrations, and the `Store` port: units of work and `reserve_next`.
//! - `unit`: the unit of work, one transaction begun `IMMEDIATE`.
//! - `repos/`: the repositories on the unit, one file per repository trait, named as in the
//!   other stores (`repos/credentials`: password hashes and access tokens, migration 0002;
//!   `repos/reports`: the report tallies as `GROUP BY` queries).
//! - `queue`: "next customer", one tier at a time from indexes in its order, then one
//!   `UPDATE … RETURNING` of the row found; [`statements`] shows its SQL and the
//!   register-outcome unit's, for the storage benchmark's raw baseline.
//! - `codec`, `sort_key`, `error`: encodings, the field sort key, and the one mapping of
//!   sqlx errors to `StoreError`.
//!
//! # Schema decisions
//! - **Hot columns and documents.** What is filtered, ordered, grouped or unique is a real
//!   column: every field of an enrollment (it has no document), the outcome event's
//!   assignment, enrollment, customer, time, user, outcome, class, option, states, category,
//!   meeting and idempotency key, and the lookup columns of the other aggregates (user
//!   e-mail, product code, names for listing, flow id and version). Complex aggregates (data
//!   owner, customer, assignment with its setup, flow drafts and published flows, users,
//!   calendars, meetings, outbox messages, and the whole outcome event) are also kept as
//!   `doc`, the serde_json of the domain type, which is what is read back — so a read returns
//!   exactly what was saved, and a `PublishedFlow` is validated again on the way in.
//! - **Child tables** where SQL needs to look inside a document: `customer_phones` (import
//!   lookup by phone), `customer_fields` (CRM values with an order-preserving sort key for
//!   `Field` priority rules, and the JSON value for hit analysis), `outcome_product_lines`
//!   (the sales tallies).
//! - **Time** is `INTEGER` unix nanoseconds, UTC: exact to `time`'s precision, and ORDER BY
//!   and range comparisons are integer comparisons. It covers 1677–2262; a time outside is
//!   refused when written (`StoreError::Corrupt`), and a query bound outside is clamped.
//! - **Money** stays exact: a unit price is `Decimal` text (in `outcome_product_lines` and in
//!   the documents), never REAL and never scaled to minor units (a price may carry more
//!   decimals than its currency's minor unit, and a scale fixed here could not hold it). SQL
//!   sums quantities per distinct price; Rust multiplies (see `repos/reports`).
//! - **Ids** are hyphenated lower-case UUID text: readable with the `sqlite3` shell, and text
//!   order is `Uuid` order.
//! - **Uniqueness** is the schema's: `users.email`, products `(data_owner_id, code)`,
//!   enrollments `(assignment_id, customer_id)`, events `(assignment_id, idempotency_key)`,
//!   published flows `(flow_id, version)`, access tokens `token_hash`; a violation is
//!   `StoreError::Duplicate`, mapped in one place (`error`).
//! - **Concurrency.** SQLite has one writer at a time. Every unit of work and every
//!   reservation begins `BEGIN IMMEDIATE`, taking the write lock first (waiting up to the
//!   busy timeout), so no unit fails on a lock upgrade and "next customer" cannot hand one
//!   enrollment out twice, across pools and processes. WAL lets readers outside a unit work
//!   meanwhile.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod error;
mod queue;
mod repos;
mod sort_key;
mod store;
mod unit;

pub use store::{SqliteOptions, SqliteStore};

pub mod statements {
    //! The statements "next customer" and the register-outcome unit of work run, exactly as
    //! the adapter runs them (each constant's documentation lists what it binds; ids are
    //! hyphenated lower-case UUID text, times unix nanoseconds, categories and classes their
    //! variant names). Public, like `cube_postgres::statements`, for the storage benchmark's
    //! raw baseline (`benches/storage/` runs them through sqlx alone), so that baseline
    //! cannot drift from the adapter. They are not a way to write: use the port, which also
    //! takes the writer's turn and turns results into errors.
    //!
    //! "Next customer" is, in one transaction begun with [`BEGIN`], two statements: one that
    //! chooses the row — [`choose`] builds it: the branches [`HELD`], [`PERSONAL`],
    //! [`SHARED`], then the pool as the setup's priority rules read it ([`POOL_BY_SEQUENCE`]
    //! for import order, which makes [`struct@CHOOSE_BY_SEQUENCE`]; [`POOL_OF_SEGMENT`] for
    //! each segment in rank order then [`POOL_OUTSIDE_SEGMENTS`] for segment order; a branch
    //! built for the rules otherwise), the first row found — and [`RESERVE`] of its id.
    pub use crate::queue::{
        CHOOSE_BY_SEQUENCE, HELD, PERSONAL, POOL_BY_SEQUENCE, POOL_OF_SEGMENT,
        POOL_OUTSIDE_SEGMENTS, RESERVE, SHARED, choose,
    };
    pub use crate::repos::{
        APPEND_EVENT, APPEND_PRODUCT_LINE, ENROLLMENT_BY_ID, UPDATE_ENROLLMENT,
    };
    pub use crate::store::BEGIN;
}
