//! `SqliteStore`: opening the database (file or memory) with the pragmas Cube relies on,
//! running the embedded migrations, and the `Store` port itself — units of work and the
//! atomic "next customer".

use crate::error::store_error;
use crate::unit::{SqliteUnit, Writer};
use async_trait::async_trait;
use cube_domain::access::User;
use cube_domain::ports::{AccessToken, ReadUnit, Store, StoreError, UnitOfWork};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Executor};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};

/// The migrations in `adapters/cube-sqlite/migrations/`, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// The statement every unit of work and every reservation begins with. `IMMEDIATE` takes the
/// write lock up front (waiting up to the busy timeout for another writer), so a unit that
/// reads and then writes never fails on a lock upgrade, and a read inside it sees the latest
/// committed data.
pub const BEGIN: &str = "BEGIN IMMEDIATE";

/// The writer connection's page cache: 64 MiB (a negative `cache_size` is KiB).
const WRITER_CACHE: &str = "-65536";

/// The statement a unit that only reads begins with (`Store::begin_read`).
const BEGIN_READ: &str = "BEGIN DEFERRED";

/// How a `SqliteStore` is opened. `Default` is what the server uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// Connections in all: one is the writer's (every unit of work runs on it); from 3 on,
    /// one is set aside for long reads (`Store::begin_long_read`: an export's pages); the
    /// others serve read units, which run beside the writer on WAL snapshots. Default 8: the
    /// writer, the long reads' and six readers. Below 3, long reads share the readers.
    pub max_connections: u32,
    /// How long a writer waits for another writer's lock before the store answers
    /// `StoreError::Unavailable`. Default 5 seconds.
    pub busy_timeout: Duration,
    /// How long a caller waits for a free connection of the pool. Default 30 seconds.
    pub acquire_timeout: Duration,
    /// Whether `connect` runs the migrations. Default true.
    pub migrate: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(30),
            migrate: true,
        }
    }
}

/// How units of work reach the one writer connection.
#[derive(Debug, Clone)]
enum WriterSide {
    /// A file store: the store owns the writer connection behind an async lock taken in
    /// arrival order; holding the lock is the writer's turn (`crate::unit::Writer`).
    Owned(Arc<Mutex<Writer>>),
    /// An in-memory store: its one pooled connection, which readers share, behind a
    /// one-permit turn.
    Pooled {
        pool: SqlitePool,
        turn: Arc<Semaphore>,
    },
}

/// The embedded Cube store: one SQLite database, in WAL mode, behind a connection pool.
/// Cloning shares the pool and the writer's turn.
///
/// SQLite lets one writer in at a time. Left to SQLite, writers that find the lock taken
/// poll for it with growing sleeps, in no order, and under load some wait out the busy
/// timeout and fail "database is locked" while others go first. So the store gives the
/// write lock out itself: `begin` waits for the writer's turn (a one-permit semaphore, first
/// come first served) before `BEGIN IMMEDIATE`, the unit holds the turn until it commits or
/// is dropped, and only a writer that has waited the whole busy timeout answers
/// `Unavailable` (503 with `Retry-After` over HTTP). Another process on the same file still
/// meets SQLite's own busy timeout.
///
/// Every unit of work runs on one connection of its own, the writer's: in WAL mode a
/// connection that begins after another connection's commit drops its whole page cache, so
/// writers rotating over a pool re-read every page they touch (the storage bench measured
/// the cycle at about half of the same SQL on one connection; on one connection, at par).
/// The store owns that connection outside any pool, behind an async lock that is also the
/// turn: a unit that commits gives both to the next writer at once (through a pool, the
/// connection went back on a spawned task while the next writer already held the turn —
/// next customer's p99 at 32 sellers, 29 ms against 10 ms for the same SQL on a bare
/// connection).
/// Read units take no turn and run on the other connections. No connection is pinged before
/// use: a local file does not go away like a socket.
///
/// Long reads (`Store::begin_long_read`: an export's pages, two read units a page, a
/// million rows) run on a connection of their own, not on the readers'. The pool hands a
/// connection back on a spawned task, so a unit begun right after another finds none idle
/// and opens (or takes) another one: an export's pages passed through all seven readers,
/// and each kept what the pages had warmed in it — SQLite's page cache (2 MB) and its
/// thread's allocator arena — some 30 of the 57 MB a 200,000-outcome export grew the
/// server by (docs/performance.md, issue 16). On a pool of its own, of one connection, every
/// page of every long read runs on that one, and short requests keep their readers. Each
/// page is still its own read unit: between two pages the connection holds no snapshot.
/// Concurrent exports take turns a page at a time. The connection closes after the pool's
/// idle timeout (ten minutes), giving its cache back.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The read units' connections (and the migrations').
    pool: SqlitePool,
    /// The long reads' connection: a pool of one, or the readers' pool itself (an
    /// in-memory store; a file store of fewer than 3 connections).
    long_reads: SqlitePool,
    /// The one connection every unit of work runs on.
    writer: WriterSide,
    busy_timeout: Duration,
    /// Held by every clone of the store; the background checkpointer stops when it is gone.
    alive: Arc<()>,
}

impl SqliteStore {
    /// Opens (creating it and its parent directory if missing) the database file at `path`
    /// with the default options, and migrates it.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        create_parent(path)?;
        let connect = SqliteConnectOptions::new().filename(path);
        Self::with_options(connect, &SqliteOptions::default()).await
    }

    /// Opens the database named by `url_or_path`: a `sqlite:` URL (`sqlite://data/cube.db`,
    /// `sqlite::memory:`) or a plain file path. A missing file and its parent directory are
    /// created. Runs the migrations unless `options.migrate` is false. An in-memory URL gets
    /// the single connection of [`SqliteStore::in_memory`], whatever `max_connections` says.
    pub async fn connect(url_or_path: &str, options: SqliteOptions) -> Result<Self, StoreError> {
        if url_or_path.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url_or_path)
                .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?;
            if is_memory(url_or_path) {
                return Self::memory(&options).await;
            }
            create_parent(connect.get_filename())?;
            Self::with_options(connect, &options).await
        } else {
            let path = Path::new(url_or_path);
            create_parent(path)?;
            Self::with_options(SqliteConnectOptions::new().filename(path), &options).await
        }
    }

    /// A fresh, migrated database that lives in memory until the store is dropped. It has
    /// a single connection (a private in-memory database is one per connection), so units
    /// of work run one after another: meant for tests and demos.
    pub async fn in_memory() -> Result<Self, StoreError> {
        Self::memory(&SqliteOptions::default()).await
    }

    /// Applies the migrations not yet applied, then fills what a migration added but only
    /// Rust can compute (customers' search text); applying them again changes nothing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if let Err(error) = MIGRATOR.run(&self.pool).await {
            let error = store_error(sqlx::Error::from(error));
            return Err(self.email_clashes().await.unwrap_or(error));
        }
        crate::repos::fill_search_text(&self.pool).await?;
        Ok(())
    }

    /// Why migration 0005 (one login per address whatever its case) cannot apply, naming
    /// the users' addresses that differ only by case; `None` when none do (or the table is
    /// not there yet), so the migration failed for another reason.
    async fn email_clashes(&self) -> Option<StoreError> {
        let clashes: Vec<String> = sqlx::query_scalar(
            "SELECT group_concat(email, ', ') FROM \
             (SELECT email, lower(email) AS login_key FROM users ORDER BY email) \
             GROUP BY login_key HAVING count(*) > 1",
        )
        .fetch_all(&self.pool)
        .await
        .ok()?;
        (!clashes.is_empty()).then(|| {
            StoreError::Unavailable(format!(
                "migrating the database failed: users whose login e-mails differ only by \
                 case: {}; give each user a distinct address, then migrate again",
                clashes.join("; ")
            ))
        })
    }

    /// The readers' connection pool, for operations (backups, `PRAGMA` checks) and tests.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The long reads' connection pool (`Store::begin_long_read`), for tests and
    /// operations: one connection set aside, or the readers' pool itself when there is none.
    pub fn long_read_pool(&self) -> &SqlitePool {
        &self.long_reads
    }

    /// Closes every connection, checkpointing the WAL into the database file.
    pub async fn close(&self) {
        match &self.writer {
            WriterSide::Owned(writer) => {
                let mut writer = writer.lock().await;
                if !writer.closed {
                    writer.closed = true;
                    let _ = writer.settle().await;
                    let _ = writer.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await;
                }
            }
            WriterSide::Pooled { pool, .. } => pool.close().await,
        }
        self.long_reads.close().await;
        self.pool.close().await;
    }

    async fn with_options(
        connect: SqliteConnectOptions,
        options: &SqliteOptions,
    ) -> Result<Self, StoreError> {
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(options.busy_timeout)
            .foreign_keys(true);
        // The writer's connection is kept for the store's life (opening it again would start
        // with a cold cache), with a page cache of its own large enough for the indexes a
        // chunk of an import or a burst of outcomes touches (SQLite's default is 2 MB).
        // Its own checkpoints are a backstop only (every 100,000 WAL pages, 400 MB, rather than
        // SQLite's 1,000): the store checkpoints in the background, off the writer's path
        // (`checkpoint_in_background`), so no seller's commit pays for copying the WAL.
        let writer_connect = connect
            .clone()
            .pragma("cache_size", WRITER_CACHE)
            .pragma("wal_autocheckpoint", "100000");
        let conn = writer_connect.connect().await.map_err(store_error)?;
        let writer = WriterSide::Owned(Arc::new(Mutex::new(Writer {
            conn,
            open: false,
            closed: false,
        })));
        // The writer's, the long reads' (from 3 connections on), and the readers'.
        let set_aside = options.max_connections >= 3;
        let readers = options
            .max_connections
            .saturating_sub(if set_aside { 2 } else { 1 })
            .max(1);
        let pool = SqlitePoolOptions::new()
            .max_connections(readers)
            .test_before_acquire(false)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect.clone())
            .await
            .map_err(store_error)?;
        // Opened on the first long read (no connection is opened up front).
        let long_reads = if set_aside {
            SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(options.acquire_timeout)
                .connect_lazy_with(connect)
        } else {
            pool.clone()
        };
        let store = Self::ready(pool, long_reads, writer, options).await?;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(checkpoint_in_background(
                store.pool.clone(),
                Arc::downgrade(&store.alive),
            ));
        }
        Ok(store)
    }

    async fn memory(options: &SqliteOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::new()
            .in_memory(true)
            .shared_cache(false)
            .foreign_keys(true);
        // The one connection must never be closed for idleness or age: the database would
        // vanish with it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(store_error)?;
        // One connection holds the database: readers and the writer share it.
        let writer = WriterSide::Pooled {
            pool: pool.clone(),
            turn: Arc::new(Semaphore::new(1)),
        };
        Self::ready(pool.clone(), pool, writer, options).await
    }

    async fn ready(
        pool: SqlitePool,
        long_reads: SqlitePool,
        writer: WriterSide,
        options: &SqliteOptions,
    ) -> Result<Self, StoreError> {
        let store = Self {
            pool,
            long_reads,
            writer,
            busy_timeout: options.busy_timeout,
            alive: Arc::new(()),
        };
        if options.migrate {
            store.migrate().await?;
        }
        Ok(store)
    }
}

/// How often a file store checkpoints its WAL in the background: often enough that the WAL
/// stays small (a second of the busiest writing is tens of megabytes), seldom enough that an
/// import's index pages, rewritten by every chunk, are copied once a second rather than once
/// a chunk.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the WAL into the database file every [`CHECKPOINT_EVERY`] on a reader's connection,
/// `PASSIVE`ly: it waits for no reader or writer, and writers keep appending meanwhile. Left
/// to the writer (SQLite's automatic checkpoint, run by whichever commit crosses the line),
/// one seller's commit in a few thousand copied thousands of pages while every other seller
/// waited behind it: next customer's p99 at 32 sellers. Stops when the store and all its
/// clones are gone or the pool is closed.
async fn checkpoint_in_background(pool: SqlitePool, alive: std::sync::Weak<()>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if alive.upgrade().is_none() || pool.is_closed() {
            return;
        }
        // A failed checkpoint (the file busy with another process's checkpoint) is tried
        // again on the next tick; the writer's own checkpoint is the backstop.
        let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await;
    }
}

fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Creates the directory a database file will live in. Blocking, but it runs once, at
/// start-up, before the store serves anything.
fn create_parent(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })
        }
        _ => Ok(()),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        let busy = || {
            StoreError::Unavailable(format!(
                "the database was busy with other writes for {} ms; try again",
                self.busy_timeout.as_millis()
            ))
        };
        match &self.writer {
            WriterSide::Owned(writer) => {
                let mut writer =
                    tokio::time::timeout(self.busy_timeout, writer.clone().lock_owned())
                        .await
                        .map_err(|_| busy())?;
                if writer.closed {
                    return Err(StoreError::Unavailable("the store is closed".into()));
                }
                writer.begin(BEGIN).await?;
                Ok(Box::new(SqliteUnit::on_writer(writer)))
            }
            WriterSide::Pooled { pool, turn } => {
                let turn = tokio::time::timeout(self.busy_timeout, turn.clone().acquire_owned())
                    .await
                    .map_err(|_| busy())?
                    .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
                let tx = pool.begin_with(BEGIN).await.map_err(store_error)?;
                Ok(Box::new(SqliteUnit::new(tx).holding(turn)))
            }
        }
    }

    /// A deferred transaction: it takes no lock until it reads, then reads its WAL snapshot
    /// while writers go on, so a report never waits for (or holds up) a seller's write.
    async fn begin_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        let tx = self
            .pool
            .begin_with(BEGIN_READ)
            .await
            .map_err(store_error)?;
        Ok(Box::new(SqliteUnit::new(tx)))
    }

    /// A read unit as `begin_read`'s, on the connection set aside for long reads (see the
    /// type): an export's pages keep to one connection.
    async fn begin_long_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        let tx = self
            .long_reads
            .begin_with(BEGIN_READ)
            .await
            .map_err(store_error)?;
        Ok(Box::new(SqliteUnit::new(tx)))
    }

    /// One statement on a reader, no transaction: authentication is one round trip.
    async fn token_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, User)>, StoreError> {
        crate::repos::token_holder(&self.pool, token_hash).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::access::Organisation;
    use cube_domain::ids::OrganisationId;
    use cube_domain::values::Name;

    /// A request cancelled while the writer's `BEGIN` or `COMMIT` ran leaves the writer's
    /// bookkeeping and SQLite disagreeing; the next unit must still begin (found by the web
    /// bench: wrk cutting 100 connections at the end of a warm-up left every later write
    /// refused with "cannot start a transaction within a transaction").
    #[tokio::test]
    async fn the_writer_recovers_from_a_cancelled_begin_or_commit() {
        let dir = std::env::temp_dir().join(format!("cube-writer-{}", uuid::Uuid::now_v7()));
        let store = SqliteStore::connect(
            dir.join("cube.db").to_str().expect("a path"),
            SqliteOptions::default(),
        )
        .await
        .expect("a store");
        let WriterSide::Owned(writer) = &store.writer else {
            panic!("a file store owns its writer")
        };
        // A BEGIN that ran though its caller went away: SQLite has a transaction open.
        {
            let mut w = writer.clone().lock_owned().await;
            w.open = true;
            w.conn.execute("BEGIN IMMEDIATE").await.expect("begin");
        }
        let uow = store.begin().await.expect("the next unit begins");
        uow.commit().await.expect("and commits");
        // A COMMIT that went through though its caller went away: nothing is open, the
        // bookkeeping says it may be.
        {
            let mut w = writer.clone().lock_owned().await;
            w.open = true;
        }
        let uow = store
            .begin()
            .await
            .expect("the next unit begins after a lost commit");
        uow.commit().await.expect("and commits");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Write units keep to the writer's connection (a warm page cache), never a reader's.
    #[tokio::test]
    async fn units_of_work_run_on_the_one_writer_connection() {
        let dir = std::env::temp_dir().join(format!("cube-writer-{}", uuid::Uuid::now_v7()));
        let path = dir.join("cube.db");
        let store = SqliteStore::connect(path.to_str().expect("a path"), SqliteOptions::default())
            .await
            .expect("a store");
        let readers = store.pool.size();
        for n in 1..=20u128 {
            let mut uow = store.begin().await.expect("a unit");
            let organisation = Organisation {
                caller_ids: Vec::new(),
                time_zone: Default::default(),
                id: OrganisationId::from_uuid(uuid::Uuid::from_u128(n)),
                name: Name::parse("Writer AS").expect("a name"),
            };
            uow.save_organisation(&organisation).await.expect("saved");
            uow.commit().await.expect("committed");
        }
        assert!(
            matches!(store.writer, WriterSide::Owned(_)),
            "a file store owns its writer connection"
        );
        assert_eq!(
            store.pool.size(),
            readers,
            "no unit of work took a reader's connection"
        );
        let mut read = store.begin_read().await.expect("a read unit");
        let found = read
            .organisation(OrganisationId::from_uuid(uuid::Uuid::from_u128(20)))
            .await
            .expect("read");
        assert!(
            found.is_some(),
            "a read unit sees what the writer committed"
        );
        drop(read);
        // A unit dropped without committing is rolled back before the next one begins.
        let mut dropped = store.begin().await.expect("a unit");
        let ghost = Organisation {
            caller_ids: Vec::new(),
            time_zone: Default::default(),
            id: OrganisationId::from_uuid(uuid::Uuid::from_u128(99)),
            name: Name::parse("Ghost AS").expect("a name"),
        };
        dropped.save_organisation(&ghost).await.expect("saved");
        drop(dropped);
        let mut next = store.begin().await.expect("the next unit begins");
        assert_eq!(next.organisation(ghost.id).await.expect("read"), None);
        next.commit().await.expect("committed");
        store.close().await;
        assert!(
            matches!(store.begin().await, Err(StoreError::Unavailable(_))),
            "a closed store begins nothing"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Migration 0017 counts what a database already holds: a file filled before the report
    /// counters existed reads, after migrating, the same tallies as the pure functions over
    /// its events and enrollments.
    #[tokio::test]
    async fn the_report_counters_migration_counts_what_is_stored() {
        use cube_domain::assignment::setup::AnalysisField;
        use cube_domain::ports::Store;
        use cube_domain::reports;
        use cube_testkit::fixtures::World;

        let options = SqliteOptions {
            migrate: false,
            ..SqliteOptions::default()
        };
        let store = SqliteStore::connect("sqlite::memory:", options)
            .await
            .expect("a store");
        MIGRATOR
            .run_to(16, &store.pool)
            .await
            .expect("migrated to 0016");
        // Today's queue statements name the resting indexes of migration 0021 (`INDEXED
        // BY`): a store at 0016 gets them by hand, so today's code can fill it.
        for index in [
            "enrollments_resting ON enrollments (assignment_id, sequence, id, no_answer_at, \
             reserved_until, segment_id)",
            "enrollments_resting_by_segment ON enrollments (assignment_id, segment_id, \
             sequence, id, no_answer_at, reserved_until)",
            "enrollments_resting_since ON enrollments (assignment_id, no_answer_at)",
        ] {
            let sql = format!(
                "CREATE INDEX {index} WHERE category = 'Available' \
                 AND follow_up_due IS NULL AND no_answer_at IS NOT NULL"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&store.pool)
                .await
                .expect("a resting index");
        }
        // The fixture records customer changes (migration 0022): their table, from the file.
        sqlx::raw_sql(include_str!("../migrations/0022_customer_changes.sql"))
            .execute(&store.pool)
            .await
            .expect("the customer changes table");
        // And writes and reads the contact columns of customers and enrollments (migration
        // 0023): added by hand for the fill and dropped again before migrating (no customer of
        // the world has a standing, so nothing is lost), as `ADD COLUMN` cannot be run twice.
        let contact_columns = [
            ("customers", "contact_block TEXT"),
            ("customers", "register_checked TEXT"),
            ("enrollments", "consumer INTEGER NOT NULL DEFAULT 0"),
            ("enrollments", "contact_block TEXT"),
            ("enrollments", "register_checked TEXT"),
        ];
        for (table, column) in contact_columns {
            let sql = format!("ALTER TABLE {table} ADD COLUMN {column}");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&store.pool)
                .await
                .expect("a contact column");
        }
        // And the SMS flows and texts (migration 0025): made from the file for the fill, and
        // dropped again before migrating (the counters do not read them).
        sqlx::raw_sql(include_str!("../migrations/0025_sms_replies.sql"))
            .execute(&store.pool)
            .await
            .expect("the SMS tables");
        // And the privacy log (migration 0027), the same way: its table and indexes from the
        // file, dropped again before migrating.
        sqlx::raw_sql(include_str!("../migrations/0027_privacy.sql"))
            .execute(&store.pool)
            .await
            .expect("the privacy log");
        sqlx::raw_sql(include_str!("../migrations/0028_do_not_contact.sql"))
            .execute(&store.pool)
            .await
            .expect("the do-not-contact list");
        sqlx::raw_sql(include_str!("../migrations/0030_customer_imports.sql"))
            .execute(&store.pool)
            .await
            .expect("the customer imports");
        sqlx::raw_sql(include_str!("../migrations/0032_webhook_endpoints.sql"))
            .execute(&store.pool)
            .await
            .expect("the webhook endpoints");
        sqlx::raw_sql(include_str!("../migrations/0033_sale_confirmations.sql"))
            .execute(&store.pool)
            .await
            .expect("the sale confirmations");
        // Their answer tokens' column (migration 0035), dropped with the table again.
        sqlx::raw_sql(include_str!(
            "../migrations/0035_sale_confirmation_tokens.sql"
        ))
        .execute(&store.pool)
        .await
        .expect("the answer tokens' column");
        sqlx::raw_sql(include_str!("../migrations/0034_calls.sql"))
            .execute(&store.pool)
            .await
            .expect("the calls");
        sqlx::raw_sql(include_str!("../migrations/0037_calls_by_assignment.sql"))
            .execute(&store.pool)
            .await
            .expect("the calls' assignment");
        // With the texts' number and time of receipt and their claims (migration 0039),
        // which they are kept by; its table and the outbox's index dropped again too.
        sqlx::raw_sql(include_str!("../migrations/0039_unmatched_texts.sql"))
            .execute(&store.pool)
            .await
            .expect("the texts' number and time");
        // The organisation numbers' import keys (migration 0041), dropped again below.
        sqlx::raw_sql(include_str!("../migrations/0041_registry_keys.sql"))
            .execute(&store.pool)
            .await
            .expect("the registry keys");
        let clock = cube_testkit::FixedClock::new(cube_testkit::fixtures::T0);
        let ids = cube_testkit::SequentialIds::new();
        let world = cube_testkit::fixtures::full_store(&store, &clock, &ids)
            .await
            .expect("filled");
        sqlx::raw_sql(
            "DROP TABLE calls; DROP TABLE sale_confirmations; DROP TABLE webhook_endpoints; \
             DROP TABLE customer_import_created; DROP TABLE customer_imports; \
             DROP TABLE do_not_contact; DROP TABLE privacy_log; DROP INDEX customers_by_email; \
             DROP INDEX meetings_by_customer; DROP INDEX outbox_by_enrollment; \
             DROP TABLE sms_flows; DROP TABLE sms_replies; DROP TABLE sms_reply_owners; \
             DROP INDEX outbox_sms_to; DROP INDEX customers_by_registry_key; \
             ALTER TABLE customers DROP COLUMN registry_key;",
        )
        .execute(&store.pool)
        .await
        .expect("the SMS tables dropped again");
        for (table, column) in contact_columns {
            let name = column.split(' ').next().unwrap_or(column);
            let sql = format!("ALTER TABLE {table} DROP COLUMN {name}");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&store.pool)
                .await
                .expect("the column dropped again");
        }
        store.migrate().await.expect("migrated");

        let a = world.assignment.id();
        let (from, to) = (
            cube_testkit::fixtures::T0 - time::Duration::days(1),
            cube_testkit::fixtures::T0 + time::Duration::days(2),
        );
        let mut read = store.begin_read().await.expect("a read unit");
        let events = read.events(&[a], from, to).await.expect("events");
        assert!(events.len() >= 16, "the fixture's calls are in the log");
        let enrollments = read.enrollments(a).await.expect("enrollments");
        assert_eq!(
            read.outcome_tally(&[a], from, to).await.expect("tally"),
            reports::tally_outcomes(&events)
        );
        assert_eq!(
            read.sold_products(&[a], from, to).await.expect("tally"),
            reports::tally_sold_products(&events).expect("sums")
        );
        assert_eq!(
            read.status_tally(a).await.expect("tally"),
            reports::tally_status(&enrollments)
        );
        let fields: Vec<_> = world
            .customers
            .iter()
            .map(|c| (c.id(), c.fields().clone()))
            .collect();
        let none = cube_domain::fields::FieldValues::new();
        let analysis = [
            AnalysisField::Crm(World::industry()),
            AnalysisField::Attempts,
        ];
        assert_eq!(
            read.hit_tally(a, &analysis).await.expect("tally"),
            reports::tally_hits(
                &analysis,
                enrollments.iter().map(|e| (
                    e,
                    fields
                        .iter()
                        .find(|(id, _)| *id == e.customer())
                        .map_or(&none, |(_, f)| f)
                ))
            )
        );
        let offers = reports::open_offers(&enrollments, &events).expect("sums");
        assert!(!offers.is_empty(), "the fixture leaves an open offer");
        assert_eq!(read.open_offers(a).await.expect("tally"), offers);
    }

    /// The store copies its WAL into the database file in the background: what units commit
    /// reaches the file without the writer checkpointing (its own checkpoint waits for 100,000
    /// pages) and without the store being closed.
    #[tokio::test]
    async fn the_wal_is_checkpointed_in_the_background() {
        let dir = std::env::temp_dir().join(format!("cube-checkpoint-{}", uuid::Uuid::now_v7()));
        let path = dir.join("cube.db");
        let store = SqliteStore::connect(path.to_str().expect("a path"), SqliteOptions::default())
            .await
            .expect("a store");
        tokio::time::sleep(CHECKPOINT_EVERY * 2).await;
        let before = std::fs::metadata(&path).expect("the file").len();
        let mut uow = store.begin().await.expect("a unit");
        for n in 1..=2_000u128 {
            let organisation = Organisation {
                caller_ids: Vec::new(),
                time_zone: Default::default(),
                id: OrganisationId::from_uuid(uuid::Uuid::from_u128(n)),
                name: Name::parse(&format!("Organisation {n} with a longer name AS"))
                    .expect("a name"),
            };
            uow.save_organisation(&organisation).await.expect("saved");
        }
        uow.commit().await.expect("committed");
        tokio::time::sleep(CHECKPOINT_EVERY * 2).await;
        let after = std::fs::metadata(&path).expect("the file").len();
        assert!(
            after > before,
            "the committed pages reached the database file ({before} → {after} bytes)"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Migration 0037 gives each call kept before it its assignment, from its document: the
    /// performance report finds it by the new column.
    #[tokio::test]
    async fn the_calls_by_assignment_migration_fills_the_column_from_the_documents() {
        use cube_domain::call::{Call, CallStatus};
        use cube_domain::ids::{AssignmentId, CallId, CustomerId, EnrollmentId, UserId};
        use cube_domain::ports::Store;
        use cube_domain::values::PhoneNumber;
        use uuid::Uuid;

        let options = SqliteOptions {
            migrate: false,
            ..SqliteOptions::default()
        };
        let store = SqliteStore::connect("sqlite::memory:", options)
            .await
            .expect("a store");
        MIGRATOR
            .run_to(36, &store.pool)
            .await
            .expect("migrated to 0036");
        let at = cube_testkit::fixtures::T0;
        let call = Call {
            id: CallId::from_uuid(Uuid::from_u128(1)),
            assignment: AssignmentId::from_uuid(Uuid::from_u128(2)),
            enrollment: EnrollmentId::from_uuid(Uuid::from_u128(3)),
            customer: CustomerId::from_uuid(Uuid::from_u128(4)),
            seller: UserId::from_uuid(Uuid::from_u128(5)),
            caller_id: PhoneNumber::parse("+4722334455").expect("valid"),
            to: PhoneNumber::parse("+4791234567").ok(),
            provider_id: Some("CA1".into()),
            status: CallStatus::Completed,
            started_at: at,
            answered_at: None,
            ended_at: None,
            duration: Some(192),
            failure: None,
        };
        // As 0034 kept it: no assignment column.
        sqlx::query(
            "INSERT INTO calls (id, enrollment_id, provider_id, started_at, doc) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(crate::codec::id_text(call.id.as_uuid()))
        .bind(crate::codec::id_text(call.enrollment.as_uuid()))
        .bind(call.provider_id.clone())
        .bind(crate::codec::time_ns(call.started_at).expect("a time"))
        .bind(crate::codec::to_doc("call", &call).expect("a document"))
        .execute(&store.pool)
        .await
        .expect("a call of before");
        store.migrate().await.expect("migrated");
        let mut read = store.begin_read().await.expect("a read unit");
        let window = (at, at + time::Duration::hours(1));
        assert_eq!(
            read.calls_in(&[call.assignment], window.0, window.1)
                .await
                .expect("calls"),
            vec![call.clone()],
            "found by the assignment its document names"
        );
        let other = AssignmentId::from_uuid(Uuid::from_u128(9));
        assert_eq!(
            read.calls_in(&[other], window.0, window.1)
                .await
                .expect("calls"),
            vec![]
        );
    }

    /// Migration 0039 gives each text kept before it its sender's number, from its
    /// document, and starts its days at the upgrade: no data owner claims an unmatched text
    /// of before, and the worker's sweep deletes it 30 days after the upgrade, not at once.
    #[tokio::test]
    async fn the_unmatched_texts_migration_fills_the_number_and_starts_the_days_at_the_upgrade() {
        use cube_domain::ids::{DataOwnerId, SmsReplyId};
        use cube_domain::ports::Store;
        use cube_domain::sms::{InboundSms, ReplyFate, SmsReply};
        use cube_domain::values::PhoneNumber;
        use time::{Duration, OffsetDateTime};
        use uuid::Uuid;

        let options = SqliteOptions {
            migrate: false,
            ..SqliteOptions::default()
        };
        let store = SqliteStore::connect("sqlite::memory:", options)
            .await
            .expect("a store");
        MIGRATOR
            .run_to(37, &store.pool)
            .await
            .expect("migrated to 0037");
        let from = PhoneNumber::parse("+4795555555").expect("valid");
        let text = SmsReply {
            id: SmsReplyId::from_uuid(Uuid::from_u128(1)),
            inbound: InboundSms::new("SM-1", from.clone(), "Hvem er dette?").expect("valid"),
            received_at: cube_testkit::fixtures::T0 - Duration::days(400),
            flow: None,
            confirmation: None,
            fate: ReplyFate::UnknownNumber,
        };
        // As 0025 kept it: no number nor time of receipt beside the document.
        sqlx::query(
            "INSERT INTO sms_replies (id, provider_id, assignment_id, flow_message_id, acted, doc) \
             VALUES (?, ?, NULL, NULL, 0, ?)",
        )
        .bind(crate::codec::id_text(text.id.as_uuid()))
        .bind(text.inbound.provider_id.clone())
        .bind(crate::codec::to_doc("received SMS", &text).expect("a document"))
        .execute(&store.pool)
        .await
        .expect("a text of before");
        store.migrate().await.expect("migrated");
        let (number,): (String,) =
            sqlx::query_as("SELECT from_phone FROM sms_replies WHERE provider_id = 'SM-1'")
                .fetch_one(&store.pool)
                .await
                .expect("the text of before");
        assert_eq!(number, from.as_str(), "the number its document names");
        let mut uow = store.begin().await.expect("a unit");
        assert_eq!(
            uow.unmatched_sms_from(
                DataOwnerId::from_uuid(Uuid::from_u128(2)),
                std::slice::from_ref(&from),
            )
            .await
            .expect("read"),
            vec![],
            "no data owner claims a text of before"
        );
        assert_eq!(
            uow.forget_unowned_sms(OffsetDateTime::now_utc() - Duration::days(1))
                .await
                .expect("swept"),
            0,
            "its days count from the upgrade"
        );
        assert_eq!(
            uow.forget_unowned_sms(OffsetDateTime::now_utc() + Duration::days(1))
                .await
                .expect("swept"),
            1
        );
    }

    /// Organisation numbers written in awkward ways, as companies kept before migration 0041
    /// may hold them.
    pub(crate) const AWKWARD_NUMBERS: [&str; 9] = [
        "NO 974 760 673 MVA",
        "923609016mva",
        "no123456789",
        "\u{a0}974\u{202f}760\u{2009}673 ",
        "NO 12 34",
        "556677-8899",
        "NOMVA",
        "NO123456789MVAX",
        "984851006",
    ];

    /// Migration 0041 gives each company kept before it the key of its organisation number,
    /// by the rule `Customer::registry_key` follows (the same key for every awkward way of
    /// writing it), and none to a person: an import finds the company by it.
    #[tokio::test]
    async fn the_registry_keys_migration_keys_the_companies_kept_before_it() {
        use cube_domain::customer::{Customer, CustomerDetails};
        use cube_domain::data_owner::{DataOwner, Dataset};
        use cube_domain::fields::FieldValues;
        use cube_domain::ids::{CustomerId, DataOwnerId, OrganisationId};
        use cube_domain::ports::Store;
        use cube_domain::values::{Name, PhoneNumber};
        use uuid::Uuid;

        let options = SqliteOptions {
            migrate: false,
            ..SqliteOptions::default()
        };
        let store = SqliteStore::connect("sqlite::memory:", options)
            .await
            .expect("a store");
        MIGRATOR
            .run_to(40, &store.pool)
            .await
            .expect("migrated to 0040");
        let owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::from_u128(1)),
            OrganisationId::from_uuid(Uuid::from_u128(2)),
            Name::parse("Eier").expect("a name"),
        );
        let customer = |n: u128, dataset: Dataset, number: &str| {
            let details = CustomerDetails {
                name: Name::parse("Firma").expect("a name"),
                phones: vec![PhoneNumber::parse("+4791234567").expect("valid")],
                email: None,
                address: None,
                registry_number: Some(number.to_owned()),
                external_id: None,
            };
            Customer::new(
                CustomerId::from_uuid(Uuid::from_u128(100 + n)),
                &owner,
                dataset,
                details,
                FieldValues::new(),
            )
            .expect("valid")
        };
        let mut kept: Vec<Customer> = AWKWARD_NUMBERS
            .iter()
            .zip(0..)
            .map(|(number, n)| customer(n, Dataset::B2b, number))
            .collect();
        kept.push(customer(50, Dataset::B2c, "974760673"));
        for c in &kept {
            // As 0040 kept it: no registry key column.
            sqlx::query(
                "INSERT INTO customers (id, data_owner_id, doc, dataset, search_text) \
                 VALUES (?, ?, ?, ?, '')",
            )
            .bind(crate::codec::id_text(c.id().as_uuid()))
            .bind(crate::codec::id_text(owner.id().as_uuid()))
            .bind(crate::codec::to_doc("customer", c).expect("a document"))
            .bind(crate::repos::customers::dataset_text(c.dataset()))
            .execute(&store.pool)
            .await
            .expect("a customer of before");
        }
        store.migrate().await.expect("migrated");
        for c in &kept {
            let stored: Option<String> =
                sqlx::query_scalar("SELECT registry_key FROM customers WHERE id = ?")
                    .bind(crate::codec::id_text(c.id().as_uuid()))
                    .fetch_one(&store.pool)
                    .await
                    .expect("a key");
            assert_eq!(
                stored,
                c.registry_key(),
                "{:?}",
                c.details().registry_number
            );
        }
        // An import row written the plain way finds the company written the awkward way.
        let row = customer(99, Dataset::B2b, "974760673");
        let mut read = store.begin_read().await.expect("a read unit");
        let keys = read
            .import_row_keys(owner.id(), &[&row])
            .await
            .expect("keys");
        assert_eq!(
            keys[0].by_registry_number.as_ref().map(|h| h.customer),
            Some(kept[0].id())
        );
    }

    /// Migration 0043 gives the companies kept with a Swedish VAT number (`SE`, ten digits,
    /// `01`) the key of the number, as `Customer::registry_key` now does: their key as 0041
    /// left it was the whole VAT form. Other keys, and a person's (none), stay.
    #[tokio::test]
    async fn the_swedish_registry_keys_migration_rekeys_the_vat_numbers_kept_before_it() {
        use cube_domain::customer::{Customer, CustomerDetails};
        use cube_domain::data_owner::{DataOwner, Dataset};
        use cube_domain::fields::FieldValues;
        use cube_domain::ids::{CustomerId, DataOwnerId};
        use cube_domain::ports::Store;
        use cube_domain::values::PhoneNumber;
        use uuid::Uuid;

        let options = SqliteOptions {
            migrate: false,
            ..SqliteOptions::default()
        };
        let store = SqliteStore::connect("sqlite::memory:", options)
            .await
            .expect("a store");
        MIGRATOR
            .run_to(40, &store.pool)
            .await
            .expect("migrated to 0040");
        let owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::from_u128(1)),
            OrganisationId::from_uuid(Uuid::from_u128(2)),
            Name::parse("Ägare").expect("a name"),
        );
        let customer = |n: u128, dataset: Dataset, number: &str| {
            let details = CustomerDetails {
                name: Name::parse("Företag AB").expect("a name"),
                phones: vec![PhoneNumber::parse("+46701234567").expect("valid")],
                email: None,
                address: None,
                registry_number: Some(number.to_owned()),
                external_id: None,
            };
            Customer::new(
                CustomerId::from_uuid(Uuid::from_u128(100 + n)),
                &owner,
                dataset,
                details,
                FieldValues::new(),
            )
            .expect("valid")
        };
        // H&M's organisation number, in its VAT form and others.
        let numbers = [
            ("SE556042722001", Some("SE556042722001")),
            ("se 556042-7220 01", Some("se556042722001")),
            ("SE5560427220", Some("SE5560427220")),
            ("SE556042722002", Some("SE556042722002")),
            ("556042-7220", Some("5560427220")),
            ("NO 974 760 673 MVA", Some("974760673")),
        ];
        let mut kept: Vec<Customer> = numbers
            .iter()
            .zip(0..)
            .map(|((number, _), n)| customer(n, Dataset::B2b, number))
            .collect();
        kept.push(customer(50, Dataset::B2c, "SE556042722001"));
        for c in &kept {
            // As 0040 kept it: no registry key column.
            sqlx::query(
                "INSERT INTO customers (id, data_owner_id, doc, dataset, search_text) \
                 VALUES (?, ?, ?, ?, '')",
            )
            .bind(crate::codec::id_text(c.id().as_uuid()))
            .bind(crate::codec::id_text(owner.id().as_uuid()))
            .bind(crate::codec::to_doc("customer", c).expect("a document"))
            .bind(crate::repos::customers::dataset_text(c.dataset()))
            .execute(&store.pool)
            .await
            .expect("a customer of before");
        }
        let key = |c: &Customer| {
            let store = &store;
            let id = crate::codec::id_text(c.id().as_uuid());
            async move {
                sqlx::query_scalar::<_, Option<String>>(
                    "SELECT registry_key FROM customers WHERE id = ?",
                )
                .bind(id)
                .fetch_one(&store.pool)
                .await
                .expect("a key")
            }
        };
        MIGRATOR
            .run_to(41, &store.pool)
            .await
            .expect("migrated to 0041");
        for (c, (number, before)) in kept.iter().zip(&numbers) {
            assert_eq!(key(c).await.as_deref(), *before, "0041's key of {number}");
        }
        store.migrate().await.expect("migrated");
        for c in &kept {
            assert_eq!(
                key(c).await,
                c.registry_key(),
                "{:?}",
                c.details().registry_number
            );
        }
        assert_eq!(kept[0].registry_key().as_deref(), Some("5560427220"));
        assert_eq!(kept[1].registry_key(), kept[4].registry_key());
        // An import row written the plain way finds the company kept in the VAT form.
        let row = customer(99, Dataset::B2b, "5560427220");
        let mut read = store.begin_read().await.expect("a read unit");
        let keys = read
            .import_row_keys(owner.id(), &[&row])
            .await
            .expect("keys");
        assert_eq!(
            keys[0].by_registry_number.as_ref().map(|h| h.customer),
            Some(kept[0].id())
        );
    }
}
