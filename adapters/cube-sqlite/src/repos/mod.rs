//! The repository traits of the `UnitOfWork` port (and the `ReportRepository`), implemented
//! on `SqliteUnit`: one file per trait, named as in the other stores (`organisations`,
//! `users`, `data_owners`, `customers`, `products`, `flows`, `assignments`, `calendars`,
//! `enrollments`, `outcome_log`, `imports`, `time_entries`, `outbox`, `sms`, `credentials`, `webhooks`, `calls`,
//! `reports`), plus the few helpers they share.

mod assignments;
mod calendars;
mod calls;
mod credentials;
pub(crate) mod customers;
mod data_owners;
pub(crate) mod enrollments;
mod flows;
mod imports;
mod organisations;
mod outbox;
mod outcome_log;
mod products;
mod reports;
mod request_keys;
mod sms;
mod time_entries;
mod users;
mod webhooks;

pub(crate) use credentials::token_holder;
pub(crate) use customers::fill_search_text;
pub use enrollments::{ENROLLMENT_BY_ID, UPDATE_ENROLLMENT};
pub use outcome_log::{APPEND_EVENT, APPEND_PRODUCT_LINE};

use crate::codec::doc_of;
use crate::error::store_error;
use cube_domain::ports::StoreError;
use serde::de::DeserializeOwned;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Sqlite, SqliteConnection};

/// A query with its bound parameters.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments>;

/// The `doc` of the one row `query` finds, decoded.
pub(crate) async fn fetch_doc<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    query: Query<'_>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    let row = query.fetch_optional(conn).await.map_err(store_error)?;
    row.map(|row| doc_of(&row, what)).transpose()
}

/// The `doc`s of every row `query` finds, decoded, in the query's order.
pub(crate) async fn fetch_docs<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    query: Query<'_>,
    what: &str,
) -> Result<Vec<T>, StoreError> {
    let rows = query.fetch_all(conn).await.map_err(store_error)?;
    rows.iter().map(|row| doc_of(row, what)).collect()
}

/// Runs a statement that writes.
pub(crate) async fn execute(
    conn: &mut SqliteConnection,
    query: Query<'_>,
) -> Result<u64, StoreError> {
    query
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(store_error)
}
