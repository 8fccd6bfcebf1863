//! The unit of work: one SQLite transaction (begun `IMMEDIATE` by the store) that every
//! repository of the port reads and writes through. The repositories are implemented on
//! `SqliteUnit` in `crate::repos`, one file per concern.
//!
//! A unit runs either on a pooled connection (read units; every unit of an in-memory store)
//! as an sqlx `Transaction`, which rolls back when dropped, or on the file store's own writer
//! connection ([`Writer`]), held through the writer's lock for the whole unit: the lock *is*
//! the writer's turn, so the turn and the connection pass to the next writer together, with
//! no hand-back through a pool (the storage bench measured that hand-back as next customer's
//! tail at 32 sellers). A writer unit dropped without `commit` rolls back on a task of its own
//! that keeps the lock until it is done, so the next writer never finds a transaction open.

use crate::error::store_error;
use async_trait::async_trait;
use cube_domain::ports::{ReadUnit, StoreError, UnitOfWork};
use sqlx::{Executor, Sqlite, SqliteConnection, Transaction};
use std::fmt;
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit};

/// The file store's writer connection and whether a transaction is open on it.
pub(crate) struct Writer {
    pub(crate) conn: SqliteConnection,
    /// A unit began and has not committed or rolled back yet.
    pub(crate) open: bool,
    /// `SqliteStore::close` ran: no unit may begin.
    pub(crate) closed: bool,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("open", &self.open)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// Rolls back a transaction that may be left open (a unit dropped without committing,
    /// or a request cancelled while its `BEGIN` or `COMMIT` ran). `open` is set *before*
    /// `BEGIN` runs and cleared only after `COMMIT` succeeds, so it errs on the side of "may
    /// be open": a `ROLLBACK` that finds no transaction (the statement never ran, or the
    /// commit went through) is what settled looks like, not an error. The connection counts
    /// as settled afterwards even if the `ROLLBACK` failed otherwise: a transaction still
    /// open then makes the next `BEGIN` fail with SQLite's own error, never a silent mix of
    /// two units.
    pub(crate) async fn settle(&mut self) -> Result<(), StoreError> {
        if !self.open {
            return Ok(());
        }
        self.open = false;
        match self.conn.execute("ROLLBACK").await {
            Ok(_) => Ok(()),
            Err(error) if no_transaction(&error) => Ok(()),
            Err(error) => Err(store_error(error)),
        }
    }

    /// Begins a write transaction on the writer connection. `open` is set first: should the
    /// caller be cancelled while `BEGIN` runs, the transaction SQLite may have opened is
    /// rolled back by the next [`Writer::settle`] instead of making every later `BEGIN` fail
    /// ("cannot start a transaction within a transaction").
    pub(crate) async fn begin(&mut self, statement: &'static str) -> Result<(), StoreError> {
        self.settle().await?;
        self.open = true;
        if let Err(error) = self.conn.execute(statement).await {
            let _ = self.settle().await;
            return Err(store_error(error));
        }
        Ok(())
    }
}

/// Whether SQLite said there is no transaction to end.
fn no_transaction(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.message().contains("no transaction is active"))
}

/// Where a unit's transaction runs.
enum Held {
    /// An sqlx transaction on a pooled connection.
    Tx(Transaction<'static, Sqlite>),
    /// The writer connection, under its lock; `None` once committed.
    Writer(Option<OwnedMutexGuard<Writer>>),
}

/// One open transaction.
pub(crate) struct SqliteUnit {
    held: Held,
    /// A pooled write unit's turn as the store's one writer (`SqliteStore`), given back when
    /// the unit commits or is dropped; `None` for a read unit and a writer unit.
    _turn: Option<OwnedSemaphorePermit>,
}

impl SqliteUnit {
    /// Wraps a transaction that has begun on a pooled connection.
    pub(crate) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        Self {
            held: Held::Tx(tx),
            _turn: None,
        }
    }

    /// A unit on the writer connection, whose transaction has begun.
    pub(crate) fn on_writer(writer: OwnedMutexGuard<Writer>) -> Self {
        Self {
            held: Held::Writer(Some(writer)),
            _turn: None,
        }
    }

    /// The unit holds the writer's turn until it ends.
    pub(crate) fn holding(mut self, turn: OwnedSemaphorePermit) -> Self {
        self._turn = Some(turn);
        self
    }

    /// The transaction's connection, to run statements on.
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        match &mut self.held {
            Held::Tx(tx) => tx,
            // A writer unit holds its guard until `commit` consumes the unit.
            Held::Writer(Some(writer)) => &mut writer.conn,
            Held::Writer(None) => unreachable_after_commit(),
        }
    }
}

/// `commit` takes the unit by value, so no statement can run after it.
#[allow(clippy::panic)]
fn unreachable_after_commit() -> ! {
    panic!("a SQLite unit of work was used after it committed")
}

impl Drop for SqliteUnit {
    fn drop(&mut self) {
        let Held::Writer(Some(mut writer)) = std::mem::replace(&mut self.held, Held::Writer(None))
        else {
            return;
        };
        if !writer.open {
            return;
        }
        // Roll back on a task that keeps the writer's lock until the ROLLBACK is done; with
        // no runtime to spawn on, the next unit's `begin` rolls it back first (`settle`).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // A failure here surfaces as the next `BEGIN`'s error.
                let _ = writer.settle().await;
            });
        }
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
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        match std::mem::replace(&mut self.held, Held::Writer(None)) {
            Held::Tx(tx) => tx.commit().await.map_err(store_error),
            Held::Writer(Some(mut writer)) => {
                let committed = writer.conn.execute("COMMIT").await.map_err(store_error);
                match committed {
                    Ok(_) => {
                        writer.open = false;
                        Ok(())
                    }
                    Err(error) => {
                        // Whatever SQLite left open is rolled back before the lock passes on.
                        let _ = writer.settle().await;
                        Err(error)
                    }
                }
            }
            Held::Writer(None) => Ok(()),
        }
    }
}
