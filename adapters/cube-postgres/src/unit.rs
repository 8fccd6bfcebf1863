//! The unit of work: one PostgreSQL transaction (`READ COMMITTED`) that every repository
//! method of the port runs in, committed once or rolled back when dropped. A read unit
//! (`Store::begin_read`) is one pooled connection without a transaction: at `READ COMMITTED`
//! a transaction gives each statement a snapshot of its own anyway, so `BEGIN` and the
//! `ROLLBACK` that ends it were two round trips that bought nothing (issue 19: an
//! authenticated read went from six round trips to four). A `ReadUnit` has no write method.
//!
//! A unit of work sends `BEGIN` when it first needs its transaction, not when it is opened,
//! so that settings for the transaction can go with it in one round trip (`begin_with`:
//! "next customer" sends `BEGIN; SET LOCAL plan_cache_mode = …` as one simple query, where
//! the `SET LOCAL` was a round trip of its own — issue 19). Plain reads that lock nothing
//! (`fetch_optional_unlocked`: the assignment "next customer" reads before it reserves) run
//! before that `BEGIN`, on the connection the transaction then begins on: at `READ
//! COMMITTED` each statement reads what was committed before it, in a transaction or not, and
//! what they read is written back only under its row version (see below).
//!
//! Two guards make it behave like the port promises, not like a raw transaction:
//! - PostgreSQL refuses every statement after a failed one and turns `COMMIT` into a silent
//!   `ROLLBACK`. So a server-side failure is remembered: later calls and `commit` return it
//!   instead of pretending. Writes that may collide with a unique rule either use
//!   `ON CONFLICT DO NOTHING` or run inside a savepoint (`execute_guarded`), so a `Duplicate`
//!   leaves the unit usable, as it does in the in-memory store.
//! - Enrollments read in this unit remember their `row_version`; `update_enrollment` writes
//!   only if nobody (another unit, `reserve_next`) changed the row since, else `Conflict`.
//! - The documents edited whole (assignments, data owners, flow drafts) remember the row
//!   version (`xmin`) they were read at, or that they were missing; saving one writes only if
//!   the row is still that one, else `Conflict`. `READ COMMITTED` alone would let two units
//!   read the same setup, both check a revision against it and both write, the second over
//!   the first.

use crate::codec::get;
use crate::error::{aborts_transaction, store_error};
use async_trait::async_trait;
use cube_domain::assignment::Assignment;
use cube_domain::customer::Customer;
use cube_domain::enrollment::Enrollment;
use cube_domain::idempotency::IdempotencyKey;
use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{Handout, NextCustomerRequest, ReadUnit, StoreError, UnitOfWork};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow, Postgres};
use sqlx::{SqlSafeStr, Transaction};
use std::collections::HashMap;
use std::fmt;
use uuid::Uuid;

/// A query with its bound arguments.
pub(crate) type PgQuery<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// One transaction over every repository (or, for reads, one connection). Dropping it
/// without `commit` rolls back.
pub struct PgUnitOfWork {
    connection: Connection,
    /// The error that aborted the transaction, if one did.
    failed: Option<StoreError>,
    /// Each enrollment as this unit last read or wrote it: its `row_version`, assignment and
    /// customer.
    pub(crate) versions: HashMap<EnrollmentId, (i64, AssignmentId, CustomerId)>,
    /// Each document as this unit last read or wrote it: its row's `xmin`, or `None` when
    /// it was missing.
    documents: HashMap<(Document, Uuid), Option<String>>,
}

/// The tables whose rows are documents edited whole, written only as they were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Document {
    /// `assignments`
    Assignment,
    /// `data_owners`
    DataOwner,
    /// `flow_drafts`
    FlowDraft,
}

/// What a document's upsert is guarded by, bound as its last parameter and used as
/// `ON CONFLICT … DO UPDATE … WHERE $n::text IS NULL OR <table>.xmin::text = $n`: `NULL` when
/// this unit has not read the row (it is replaced), the `xmin` it read, or `''` (no `xmin`)
/// when it read the row missing (it must still be missing).
pub(crate) type ReadGuard = Option<String>;

impl fmt::Debug for PgUnitOfWork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgUnitOfWork")
            .field("failed", &self.failed)
            .field("enrollments_read", &self.versions.len())
            .finish_non_exhaustive()
    }
}

/// The error a unit answers with once an earlier statement aborted its transaction.
fn after_failure(error: &StoreError) -> StoreError {
    let why = |m: &str| format!("the unit of work was rolled back after an earlier error: {m}");
    match error {
        StoreError::Duplicate(rule) => StoreError::Conflict(why(&format!("{rule} already exists"))),
        StoreError::Conflict(m) => StoreError::Conflict(why(m)),
        StoreError::Unavailable(m) => StoreError::Unavailable(why(m)),
        StoreError::Corrupt(m) => StoreError::Corrupt(why(m)),
        StoreError::Unrepresentable(m) => StoreError::Unrepresentable(why(m)),
    }
}

/// What a unit's statements run on.
enum Connection {
    /// A unit of work whose transaction has not begun: it begins, on the connection of the
    /// plain reads run so far or on one from the pool, with the first statement that needs
    /// it (see the module doc).
    Pending(PgPool, Option<PoolConnection<Postgres>>),
    /// A unit of work's transaction.
    Transaction(Transaction<'static, Postgres>),
    /// A read unit's connection: each statement reads what was committed before it.
    Reads(PoolConnection<Postgres>),
}

impl PgUnitOfWork {
    /// A unit of work whose transaction begins on `pool` with its first statement.
    pub(crate) fn pending(pool: PgPool) -> Self {
        Self::on(Connection::Pending(pool, None))
    }

    /// A read unit on a pooled connection, no transaction (see the module doc).
    pub(crate) fn reads(connection: PoolConnection<Postgres>) -> Self {
        Self::on(Connection::Reads(connection))
    }

    fn on(connection: Connection) -> Self {
        Self {
            connection,
            failed: None,
            versions: HashMap::new(),
            documents: HashMap::new(),
        }
    }

    /// Notes an enrollment this unit read or wrote at `version`: a later update of it in the
    /// unit writes only if the row is still at that version.
    pub(crate) fn note_enrollment(&mut self, enrollment: &Enrollment, version: i64) {
        self.versions.insert(
            enrollment.id(),
            (version, enrollment.assignment(), enrollment.customer()),
        );
    }

    /// Begins the unit's transaction if it has not begun: with `statement` (a `BEGIN`
    /// followed by settings for the transaction, sent as one simple query: one round trip),
    /// or a plain `BEGIN`. Returns whether `statement` was sent, so a caller whose settings
    /// did not ride on the `BEGIN` sends them itself.
    pub(crate) async fn begin_with(&mut self, statement: &'static str) -> Result<bool, StoreError> {
        self.begin(Some(statement)).await
    }

    async fn begin(&mut self, statement: Option<&'static str>) -> Result<bool, StoreError> {
        self.usable()?;
        let Connection::Pending(pool, connection) = &mut self.connection else {
            return Ok(false);
        };
        let connection = match connection.take() {
            Some(connection) => connection,
            None => pool.acquire().await.map_err(store_error)?,
        };
        // What `Pool::begin_with` does, on the connection the unit's reads ran on.
        let begun = Transaction::begin(connection, statement.map(SqlSafeStr::into_sql_str)).await;
        let tx = self.note(begun)?;
        self.connection = Connection::Transaction(tx);
        Ok(statement.is_some())
    }

    /// At most one row of a plain read that locks nothing (no `FOR UPDATE`, no function that
    /// writes): in a unit whose transaction has not begun, it runs before the `BEGIN`, on
    /// the connection the transaction will begin on (see the module doc).
    pub(crate) async fn fetch_optional_unlocked(
        &mut self,
        query: PgQuery<'_>,
    ) -> Result<Option<PgRow>, StoreError> {
        self.usable()?;
        let Connection::Pending(pool, connection) = &mut self.connection else {
            return self.fetch_optional(query).await;
        };
        let connection = match connection {
            Some(connection) => connection,
            None => connection.insert(pool.acquire().await.map_err(store_error)?),
        };
        let result = query.fetch_optional(&mut **connection).await;
        self.note(result)
    }

    /// The connection the unit's statements run on, its transaction begun.
    async fn connection(&mut self) -> Result<&mut PgConnection, StoreError> {
        self.begin(None).await?;
        match &mut self.connection {
            Connection::Transaction(tx) => Ok(tx),
            Connection::Reads(connection) => Ok(connection),
            Connection::Pending(..) => Err(StoreError::Unavailable(
                "the unit of work's transaction did not begin".into(),
            )),
        }
    }

    /// Remembers the row a document was read from (a row with an `xmin` column), or that it
    /// was missing.
    pub(crate) fn note_read(
        &mut self,
        document: Document,
        id: Uuid,
        row: Option<&PgRow>,
    ) -> Result<(), StoreError> {
        let xmin = row.map(|row| get::<String>(row, "xmin")).transpose()?;
        self.documents.insert((document, id), xmin);
        Ok(())
    }

    /// The guard of a document's next write; see [`ReadGuard`].
    pub(crate) fn read_guard(&self, document: Document, id: Uuid) -> ReadGuard {
        match self.documents.get(&(document, id)) {
            None => None,
            Some(Some(xmin)) => Some(xmin.clone()),
            Some(None) => Some(String::new()),
        }
    }

    /// Runs a document's guarded upsert (`… RETURNING xmin::text AS xmin`): no row back
    /// means another unit changed (or created) it since this one read it.
    pub(crate) async fn write_document(
        &mut self,
        document: Document,
        id: Uuid,
        query: PgQuery<'_>,
    ) -> Result<(), StoreError> {
        let row = self.fetch_optional(query).await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict(format!(
                "the {document:?} {id} was changed by someone else since it was read; read it again and retry"
            )));
        };
        self.note_read(document, id, Some(&row))
    }

    /// Forgets a deleted document's row: a later write must find it missing.
    pub(crate) fn note_deleted(&mut self, document: Document, id: Uuid) {
        self.documents.insert((document, id), None);
    }

    fn usable(&self) -> Result<(), StoreError> {
        match &self.failed {
            Some(error) => Err(after_failure(error)),
            None => Ok(()),
        }
    }

    /// Converts a statement's result, remembering a failure that aborted the transaction.
    fn note<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, StoreError> {
        result.map_err(|error| {
            let aborts = aborts_transaction(&error);
            let error = store_error(error);
            if aborts {
                self.failed = Some(error.clone());
            }
            error
        })
    }

    /// Every row of a query.
    pub(crate) async fn fetch_all(&mut self, query: PgQuery<'_>) -> Result<Vec<PgRow>, StoreError> {
        let connection = self.connection().await?;
        let result = query.fetch_all(connection).await;
        self.note(result)
    }

    /// At most one row of a query.
    pub(crate) async fn fetch_optional(
        &mut self,
        query: PgQuery<'_>,
    ) -> Result<Option<PgRow>, StoreError> {
        let connection = self.connection().await?;
        let result = query.fetch_optional(connection).await;
        self.note(result)
    }

    /// Exactly one row of a query (an aggregate such as `max`).
    pub(crate) async fn fetch_one(&mut self, query: PgQuery<'_>) -> Result<PgRow, StoreError> {
        let connection = self.connection().await?;
        let result = query.fetch_one(connection).await;
        self.note(result)
    }

    /// Runs a statement; returns the rows it affected.
    pub(crate) async fn execute(&mut self, query: PgQuery<'_>) -> Result<u64, StoreError> {
        let connection = self.connection().await?;
        let result = query.execute(connection).await;
        Ok(self.note(result)?.rows_affected())
    }

    /// Streams `data` into a `COPY … FROM STDIN` statement; returns the rows copied.
    pub(crate) async fn copy_in(
        &mut self,
        statement: &str,
        data: &[u8],
    ) -> Result<u64, StoreError> {
        let connection = self.connection().await?;
        let result = async {
            let mut copy = connection.copy_in_raw(statement).await?;
            if let Err(error) = copy.send(data).await {
                // The server has the error already; ending the copy reports it.
                let _ = copy.abort(error.to_string()).await;
                return Err(error);
            }
            copy.finish().await
        }
        .await;
        self.note(result)
    }

    /// Runs a statement inside a savepoint, so that when it fails (a unique violation on a
    /// column other than the one `ON CONFLICT` names) the unit stays usable. Costs two more
    /// round trips; used only where such a failure is expected.
    pub(crate) async fn execute_guarded(&mut self, query: PgQuery<'_>) -> Result<u64, StoreError> {
        self.savepoint().await?;
        let result = self.execute(query).await;
        self.end_savepoint(result).await
    }

    /// Releases the last savepoint after a success, rolls back to it after a failure (and
    /// returns the failure).
    pub(crate) async fn end_savepoint<T>(
        &mut self,
        result: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match result {
            Ok(value) => {
                self.release_savepoint().await?;
                Ok(value)
            }
            Err(error) => {
                self.roll_back_to_savepoint().await?;
                Err(error)
            }
        }
    }

    /// Marks a point the unit can return to (`roll_back_to_savepoint`) after a failed step
    /// of several statements. Savepoints nest; each call needs a release or a rollback.
    pub(crate) async fn savepoint(&mut self) -> Result<(), StoreError> {
        self.execute(sqlx::query("SAVEPOINT cube_step")).await?;
        Ok(())
    }

    /// Keeps what was done since the last savepoint.
    pub(crate) async fn release_savepoint(&mut self) -> Result<(), StoreError> {
        self.execute(sqlx::query("RELEASE SAVEPOINT cube_step"))
            .await?;
        Ok(())
    }

    /// Undoes everything since the last savepoint, including a failure that aborted the
    /// transaction, which is then usable again.
    pub(crate) async fn roll_back_to_savepoint(&mut self) -> Result<(), StoreError> {
        let connection = match &mut self.connection {
            Connection::Transaction(tx) => &mut **tx,
            Connection::Reads(connection) => &mut **connection,
            // Nothing ran, so no savepoint was set: there is nothing to roll back to.
            Connection::Pending(..) => return Ok(()),
        };
        let result = sqlx::query("ROLLBACK TO SAVEPOINT cube_step")
            .execute(connection)
            .await;
        match result {
            Ok(_) => {
                self.failed = None;
                Ok(())
            }
            Err(error) => {
                let error = store_error(error);
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }
}

#[async_trait]
impl ReadUnit for PgUnitOfWork {
    async fn enrollment_and_assignment(
        &mut self,
        id: EnrollmentId,
    ) -> Result<Option<(Enrollment, Option<Assignment>)>, StoreError> {
        crate::repos::enrollment_and_assignment(self, id).await
    }
}

#[async_trait]
impl UnitOfWork for PgUnitOfWork {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let unit = *self;
        if let Some(error) = &unit.failed {
            // Dropping the transaction rolls it back.
            return Err(after_failure(error));
        }
        match unit.connection {
            Connection::Transaction(tx) => tx.commit().await.map_err(store_error),
            // A read unit wrote nothing, a pending unit ran nothing: nothing to commit.
            Connection::Reads(_) | Connection::Pending(..) => Ok(()),
        }
    }

    async fn reserve_next_with_customer(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<(Handout, Option<Customer>)>, StoreError> {
        crate::queue::reserve_next_with_customer(self, request).await
    }

    async fn update_enrollment_with_event(
        &mut self,
        enrollment: &Enrollment,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        crate::repos::update_enrollment_with_event(self, enrollment, event, idempotency_key).await
    }
}
