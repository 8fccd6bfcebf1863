//! The unit of work: one SQLite transaction (begun `IMMEDIATE` by the store) that every
//! repository of the port reads and writes through. The repositories are implemented on
//! `SqliteUnit` in `crate::repos`, one file per concern; dropping the unit without `commit`
//! rolls the transaction back (sqlx queues the `ROLLBACK` on the connection).

use crate::error::store_error;
use async_trait::async_trait;
use cube_domain::ports::{ReadUnit, StoreError, UnitOfWork};
use sqlx::{Sqlite, SqliteConnection, Transaction};
use std::fmt;
use tokio::sync::OwnedSemaphorePermit;

/// One open transaction.
pub(crate) struct SqliteUnit {
    tx: Transaction<'static, Sqlite>,
    /// A write unit's turn as the store's one writer (`SqliteStore`), given back when the
    /// unit commits or is dropped; `None` for a read unit.
    _turn: Option<OwnedSemaphorePermit>,
}

impl SqliteUnit {
    /// Wraps a transaction that has begun.
    pub(crate) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        Self { tx, _turn: None }
    }

    /// The unit holds the writer's turn until it ends.
    pub(crate) fn holding(self, turn: OwnedSemaphorePermit) -> Self {
        Self {
            _turn: Some(turn),
            ..self
        }
    }

    /// The transaction's connection, to run statements on.
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

impl fmt::Debug for SqliteUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteUnit").finish_non_exhaustive()
    }
}

impl ReadUnit for SqliteUnit {}

#[async_trait]
impl UnitOfWork for SqliteUnit {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)
    }
}
