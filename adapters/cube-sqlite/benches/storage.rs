//! `cargo xtask bench storage --store sqlite`: the embedded SQLite store under load (issue 13,
//! "Measure it"). The PostgreSQL twin is `adapters/cube-postgres/benches/storage.rs`; this one
//! follows it, at the size issue 13 names for SQLite.
//!
//! In a database file of its own (`<temp dir>/cube-bench-storage-<uuid v7>/cube.db`, removed
//! at the end) opened through the adapter's own `SqliteStore` with the server's default
//! options, it builds a real organisation through the port (the testkit's `World`: data owner,
//! products, the seed 003 sales flow, an assignment on it, 32 sellers), then loads 100,000
//! customers enrolled in that assignment and 1,000,000 outcome events over 180 days. The first
//! 1,500 customers are saved through the port (`save_customer`); the rest, the enrollments and
//! the events are set-based SQL (`WITH RECURSIVE` counters, `INSERT … SELECT`, big
//! transactions) in the adapter's own row format: a loaded customer is a copy of the port's
//! customer with the same CRM values (its `doc` with `json_set`, its `customer_fields` rows with
//! their sort keys), an event's `doc` the serde JSON of an `OutcomeEvent` with `json_set`.
//! Samples of each are read back through the port and compared with what `World` (or the
//! domain) would have made. No `ANALYZE` is run: the adapter never runs one, so the planner
//! sees what a production file has.
//!
//! Then, at 1, 8 and 32 concurrent sellers:
//! - **next customer**: `Store::reserve_next` against the same statements
//!   ([`cube_sqlite::statements`]: `HELD`, `PERSONAL`, `SHARED`, `POOL_BY_SEQUENCE`,
//!   `RESERVE`, in one transaction begun with `BEGIN`) run raw through sqlx. A 1 µs lease makes
//!   every call take the whole path (no live lease to hand back, nothing due, the first ready
//!   row of the pool), and the pool front stays the same on every call;
//! - **next customer → register outcome**: `reserve_next`, then one unit of work doing what the
//!   register-outcome use case does (read the enrollment, `outcome::register` with the
//!   assignment, flow and catalogue loaded once, update the enrollment, append the event,
//!   commit), against the same statements (`ENROLLMENT_BY_ID`, `UPDATE_ENROLLMENT`,
//!   `APPEND_EVENT`, `APPEND_PRODUCT_LINE`) run raw in one sqlx transaction (the domain's
//!   `register` runs in both). Outcomes rotate: 50% NoAnswer, 20% No sale, 20% Lead with a
//!   follow-up, 10% Sale with a product line. Between slices the enrollments the bench
//!   touched are put back as loaded, so every slice starts with the same pool.
//!
//! *Raw* has what SQLite needs and no more: its own pool of **one** connection (same pragmas),
//! which is how a plain sqlx program lets one writer in at a time; *ours* is the store as the
//! server opens it (8 connections, writers taking turns through the store's semaphore).
//!
//! Each pair is measured in slices in the order ours, raw, raw, ours (so a drift of the
//! machine's load cancels), after a warm-up of each. Before them, every report tally of the
//! port (`ReportRepository`) and six customer searches, through read units as the use cases
//! read, median of several runs. After them, a 100,000-row `import_batch` of fresh customers
//! into a second assignment, alone, then another while 8 sellers run the cycle through the
//! port (their latencies during the import are reported). Results are printed as markdown on
//! stdout (each issue-13 target with "met" or "**missed**"), progress on stderr.
//!
//! Environment: `CUBE_BENCH_SCALE` (a fraction of the data, default 1, for trying the bench
//! out), `CUBE_BENCH_SLICE_SECS` (default 5), `CUBE_BENCH_IMPORT_LIMIT_SECS` (default 120: an
//! import not done by then is dropped, rolled back and reported as not done),
//! `CUBE_BENCH_KEEP=1` (keep the database file for `EXPLAIN QUERY PLAN`).

use cube_domain::access::{Role, User};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::{AnalysisField, AssignmentSetup};
use cube_domain::customer::{Customer, CustomerFilter, SearchWords};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot, FollowUp, Reservation};
use cube_domain::fields::FieldValues;
use cube_domain::flow::{PublishedFlow, StateCategory};
use cube_domain::ids::{
    AssignmentId, CustomerId, EnrollmentId, MeetingId, OutcomeEventId, OutcomeId, StateId, UserId,
};
use cube_domain::outcome::{
    self, NewIds, OutcomeClass, OutcomeEvent, ProductLine, ProductLineRequest, RegisterOutcome,
    Registrar, RegistrationContext,
};
use cube_domain::ports::{ImportBatch, ImportRow, NextCustomerRequest, OnMatch, Page, Store};
use cube_domain::product::Product;
use cube_domain::values::{Email, Name};
use cube_sqlite::statements::{
    APPEND_EVENT, APPEND_PRODUCT_LINE, BEGIN, ENROLLMENT_BY_ID, HELD, PERSONAL, POOL_BY_SEQUENCE,
    RESERVE, SHARED, UPDATE_ENROLLMENT,
};
use cube_sqlite::{SqliteOptions, SqliteStore};
use cube_testkit::fixtures::{SalesFlow, World};
use cube_testkit::{FixedClock, SequentialIds};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Arguments, AssertSqlSafe, ConnectOptions, Connection, Row};
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use tokio::task::JoinSet;
use uuid::Uuid;

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Customers (each enrolled once) at full scale.
const CUSTOMERS: f64 = 100_000.0;
/// Outcome events at full scale.
const EVENTS: f64 = 1_000_000.0;
/// Rows of each import at full scale.
const IMPORT_ROWS: f64 = 100_000.0;
/// Customers saved through the port; customer `i` of the rest copies customer `i % TEMPLATES`
/// (the same `industry`, `i % 3`, and `employees`, `i % 500`: 1,500 is their period).
const TEMPLATES: i64 = 1_500;
/// Events per loading statement (and transaction).
const EVENT_CHUNK: i64 = 250_000;
/// The events span this many days before the load.
const HISTORY_DAYS: i64 = 180;
/// Sellers created (the most that work at once).
const SELLERS: usize = 32;
/// Concurrent sellers measured.
const LEVELS: [usize; 3] = [1, 8, 32];
/// Sellers running the cycle while the second import runs.
const IMPORT_SELLERS: usize = 8;
/// Warm-up before each measured pair, per path.
const WARM_UP: Duration = Duration::from_secs(1);
/// How long the sellers work before the import starts beside them.
const IMPORT_LEAD: Duration = Duration::from_secs(1);
/// Runs of each report (after one warm-up run); the median is reported.
const REPORT_RUNS: usize = 7;
/// The targets.
const TARGET_RATIO: f64 = 0.80;
const TARGET_REPORT_MS: f64 = 100.0;
const TARGET_NEXT_P99_MS: f64 = 20.0;
const TARGET_IMPORT: Duration = Duration::from_secs(10);
/// Bench folders older than this are leftovers of a killed run and are removed.
const STALE_AFTER: Duration = Duration::from_secs(3 * 60 * 60);
/// The bench folders' name prefix in the temp directory.
const DIR_PREFIX: &str = "cube-bench-storage-";
/// Nanoseconds in a day.
const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// Id prefixes (the first 8 hex digits) of the loaded rows: `PPPPPPPP-0000-7000-8000-<index>`.
const CUSTOMER_PREFIX: u32 = 0xc000_0001;
const ENROLLMENT_PREFIX: u32 = 0xe000_0001;
const EVENT_PREFIX: u32 = 0xe7e7_0001;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("storage bench: cannot start a tokio runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("storage bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What the environment asks for.
#[derive(Debug, Clone, Copy)]
struct Config {
    scale: f64,
    slice: Duration,
    keep: bool,
    /// How long an import may take before it is dropped (and reported as such).
    import_limit: Duration,
}

fn seconds_var(name: &str, default: f64) -> BenchResult<Duration> {
    match std::env::var(name) {
        Ok(raw) => Ok(Duration::from_secs_f64(
            raw.parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0)
                .ok_or(format!("{name}={raw}: give seconds"))?,
        )),
        Err(_) => Ok(Duration::from_secs_f64(default)),
    }
}

impl Config {
    fn from_env() -> BenchResult<Self> {
        let scale = match std::env::var("CUBE_BENCH_SCALE") {
            Ok(raw) => raw
                .parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0 && *s <= 1.0)
                .ok_or(format!("CUBE_BENCH_SCALE={raw}: give a fraction in (0, 1]"))?,
            Err(_) => 1.0,
        };
        Ok(Self {
            scale,
            slice: seconds_var("CUBE_BENCH_SLICE_SECS", 5.0)?,
            keep: std::env::var("CUBE_BENCH_KEEP").is_ok_and(|v| v == "1"),
            import_limit: seconds_var("CUBE_BENCH_IMPORT_LIMIT_SECS", 120.0)?,
        })
    }

    fn count(&self, full: f64) -> i64 {
        ((full * self.scale).round() as i64).max(100)
    }
}

async fn run() -> BenchResult<()> {
    let config = Config::from_env()?;
    let temp = std::env::temp_dir();
    remove_stale_dirs(&temp);
    let dir = temp.join(format!("{DIR_PREFIX}{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the bench folder {}: {e}", dir.display()))?;
    let path = dir.join("cube.db");
    eprintln!("storage bench: database file {}", path.display());

    let result = bench(config, &path).await;

    if config.keep {
        eprintln!(
            "storage bench: kept {} (CUBE_BENCH_KEEP=1); remove the folder when done",
            path.display()
        );
    } else {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => eprintln!("storage bench: removed {}", dir.display()),
            Err(e) => eprintln!("storage bench: could not remove {}: {e}", dir.display()),
        }
    }
    result
}

/// When a `cube-bench-storage-<uuid v7>` folder was created, from its name.
fn created_at(name: &str) -> Option<SystemTime> {
    let uuid = Uuid::parse_str(name.strip_prefix(DIR_PREFIX)?).ok()?;
    let (seconds, nanos) = uuid.get_timestamp()?.to_unix();
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// Removes bench folders a killed run left behind (they hold a gigabyte or more).
fn remove_stale_dirs(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = created_at(&name)
            .and_then(|created| now.duration_since(created).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            eprintln!("storage bench: removing the leftover folder {name}");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Everything the measured paths share.
struct Shared {
    store: SqliteStore,
    /// The raw side's pool: one connection, the adapter's pragmas.
    raw: SqlitePool,
    assignment: Assignment,
    flow: PublishedFlow,
    catalogue: Vec<Product>,
    sellers: Vec<UserId>,
    /// The assignment's setup with a 1 µs lease (next customer alone).
    short_lease: AssignmentSetup,
    /// When the measurements began: enrollments contacted since are the bench's.
    since: OffsetDateTime,
}

/// The markdown report, filled as the bench goes.
#[derive(Default)]
struct Report {
    machine: Vec<(String, String)>,
    load: Vec<(String, String, Duration)>,
    paths: Vec<PathRow>,
    reports: Vec<Timed>,
    imports: Vec<(String, Imported)>,
    /// The sellers' cycles during the second import.
    beside_import: Option<Sample>,
    notes: Vec<String>,
}

/// How an import went.
enum Imported {
    /// Done: rows, time, and what it did.
    Done(usize, Duration, String),
    /// Dropped (rolled back) after the time limit.
    TimedOut(usize, Duration),
    /// Failed.
    Failed(usize, String),
}

/// A report's (or search's) timings.
struct Timed {
    name: String,
    input: String,
    median_ms: f64,
    runs_ms: Vec<f64>,
}

struct PathRow {
    work: Work,
    sellers: usize,
    ours: Sample,
    raw: Sample,
}

async fn bench(config: Config, path: &Path) -> BenchResult<()> {
    let customers = config.count(CUSTOMERS);
    let events = config.count(EVENTS);
    let import_rows = usize::try_from(config.count(IMPORT_ROWS))?;
    let mut report = Report::default();
    if config.scale < 1.0 {
        report.notes.push(format!(
            "**Reduced run** (`CUBE_BENCH_SCALE={}`): {customers} customers, {events} events, \
             {import_rows} imported rows per import.",
            config.scale
        ));
    }

    let options = SqliteOptions::default();
    let file = path
        .to_str()
        .ok_or("the temp directory's path is not UTF-8")?;
    let store = SqliteStore::connect(file, options.clone()).await?;
    report.machine = machine_facts(&store, path, &options).await?;

    // The organisation, through the port.
    let started = Instant::now();
    let load_now = now_us();
    let clock = FixedClock::new(load_now);
    let ids = SequentialIds::starting_at(1 << 40);
    let world = World::build(&store, &clock, &ids, 0).await?;
    let mut sellers: Vec<UserId> = world.sellers.iter().map(|s| s.id).collect();
    let second = {
        let mut uow = store.begin().await?;
        let domain = world.organisation.id.as_uuid().simple().to_string();
        for i in sellers.len()..SELLERS {
            let user = User {
                id: UserId::from_uuid(Uuid::now_v7()),
                organisation: world.organisation.id,
                name: Name::parse(&format!("Bench Seller {:02}", i + 1))?,
                email: Email::parse(&format!("bench-seller{}@{domain}.example.no", i + 1))?,
                role: Role::Seller,
                active: true,
            };
            uow.save_user(&user).await?;
            sellers.push(user.id);
        }
        let mut second = Assignment::new(
            AssignmentId::from_uuid(Uuid::now_v7()),
            world.organisation.id,
            world.data_owner.id(),
            Name::parse("Import target")?,
            &world.sales_flow,
        )?;
        second.set_setup(world.assignment.setup().clone(), &world.sales_flow)?;
        uow.save_assignment(&second).await?;
        uow.commit().await?;
        second
    };
    report.load.push((
        "Organisation, data owner, products, flows, 2 assignments, 32 sellers (through \
         `SqliteStore`)"
            .into(),
        "—".into(),
        started.elapsed(),
    ));

    load(
        path,
        &store,
        &world,
        &sellers,
        load_now,
        customers,
        events,
        &mut report,
    )
    .await?;

    // The reports and searches, on the freshly loaded data.
    time_reports(&store, &world, load_now, &mut report).await?;
    time_searches(&store, &world, customers, &mut report).await?;

    // The hot paths.
    let setup = world.assignment.setup().clone();
    if !plain_import_order(&setup) {
        return Err(
            "the bench's raw next-customer reads the pool in import order, but the \
                    World assignment's priority rules no longer do"
                .into(),
        );
    }
    let mut short_lease = setup.clone();
    short_lease.lease = time::Duration::microseconds(1);
    let shared = Arc::new(Shared {
        store: store.clone(),
        raw: raw_pool(path).await?,
        assignment: world.assignment.clone(),
        flow: world.sales_flow.clone(),
        catalogue: world.products.clone(),
        sellers,
        short_lease,
        since: now_us(),
    });
    for work in [Work::Reserve, Work::Cycle] {
        for sellers in LEVELS {
            let row = measure(&shared, work, sellers, config.slice).await?;
            eprintln!(
                "  {} at {sellers} sellers: ours {:.0}/s, raw {:.0}/s ({:.0}%), ours p99 {}",
                work.label(),
                row.ours.throughput(),
                row.raw.throughput(),
                100.0 * row.ours.throughput() / row.raw.throughput(),
                ms(row.ours.percentile(99.0)),
            );
            report.paths.push(row);
        }
    }

    // The imports into the second assignment: alone, then beside 8 sellers.
    let batch = import_batch(&world, &second, customers, import_rows)?;
    let alone = timed_import(&store, &batch, config.import_limit).await;
    report.imports.push(("alone".into(), alone));
    let batch = import_batch(
        &world,
        &second,
        customers + i64::try_from(import_rows)?,
        import_rows,
    )?;
    reset(&shared).await?;
    let (beside, sample) = import_beside_sellers(&shared, &batch, config.import_limit).await;
    report.imports.push((
        format!("while {IMPORT_SELLERS} sellers run the cycle"),
        beside,
    ));
    report.beside_import = Some(sample);

    let size = file_size(path);
    report.notes.push(format!(
        "Database file at the end: {:.2} GiB (with its WAL).",
        size as f64 / f64::from(1u32 << 30)
    ));
    println!("{}", report.markdown(config));
    shared.raw.close().await;
    store.close().await;
    Ok(())
}

/// The database file's size with its WAL, in bytes.
fn file_size(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [path.to_path_buf(), PathBuf::from(wal)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Whether the setup's pool is read by `POOL_BY_SEQUENCE` (the adapter's "import order" plan:
/// no segment order with segments before the first rule that orders every ready row, which is
/// import order).
fn plain_import_order(setup: &AssignmentSetup) -> bool {
    use cube_domain::assignment::setup::PriorityRule;
    for rule in &setup.priority {
        match rule {
            PriorityRule::ImportOrder => return true,
            PriorityRule::SegmentOrder if setup.segments.is_empty() => {}
            _ => return false,
        }
    }
    true
}

/// Now, truncated to the microsecond as the use cases keep it (`cube_domain::instant`).
fn now_us() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// A time as the adapter stores it: unix nanoseconds.
fn ns(time: OffsetDateTime) -> BenchResult<i64> {
    Ok(i64::try_from(time.unix_timestamp_nanos())?)
}

fn opt_ns(time: Option<OffsetDateTime>) -> BenchResult<Option<i64>> {
    time.map(ns).transpose()
}

fn from_ns(ns: i64) -> BenchResult<OffsetDateTime> {
    Ok(OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))?)
}

/// An id as the adapter stores it: hyphenated lower-case text.
fn id_text(uuid: Uuid) -> String {
    uuid.hyphenated().to_string()
}

/// The id of loaded row `index` (from 0) under `prefix`.
fn patterned_id(prefix: u32, index: i64) -> Uuid {
    let index = u128::from(index.unsigned_abs()) & 0xffff_ffff_ffff;
    Uuid::from_u128((u128::from(prefix) << 96) | (0x7000_u128 << 64) | (0x8000_u128 << 48) | index)
}

/// SQL for the text of [`patterned_id`] of the index expression `expr`.
fn id_sql(prefix: u32, expr: &str) -> String {
    format!("printf('{prefix:08x}-0000-7000-8000-%012x', {expr})")
}

/// The pseudo-random percentile (0–99) of loaded row `i`, as [`HASH_SQL`] computes it.
fn hash_percent(i: i64) -> i64 {
    (i.wrapping_mul(2_654_435_761) % 4_294_967_296) * 100 / 4_294_967_296
}

/// [`hash_percent`] in SQL, of the index expression `expr`.
fn hash_sql(expr: &str) -> String {
    format!("((({expr}) * 2654435761) % 4294967296) * 100 / 4294967296")
}

/// A state category as the adapter stores it (mirrors its `codec`).
fn category_text(category: StateCategory) -> &'static str {
    match category {
        StateCategory::Available => "Available",
        StateCategory::Open => "Open",
        StateCategory::Yes => "Yes",
        StateCategory::No => "No",
        StateCategory::Excluded => "Excluded",
    }
}

fn parse_category(text: &str) -> BenchResult<StateCategory> {
    Ok(match text {
        "Available" => StateCategory::Available,
        "Open" => StateCategory::Open,
        "Yes" => StateCategory::Yes,
        "No" => StateCategory::No,
        "Excluded" => StateCategory::Excluded,
        other => return Err(format!("unknown state category {other}").into()),
    })
}

/// An outcome class as the adapter stores it (mirrors its `codec`).
fn class_text(class: OutcomeClass) -> &'static str {
    match class {
        OutcomeClass::Progress => "Progress",
        OutcomeClass::NoAnswer => "NoAnswer",
        OutcomeClass::CallBackLater => "CallBackLater",
        OutcomeClass::External => "External",
    }
}

/// One kind of loaded event: its share of the log (in percent) and what it records.
struct EventKind {
    percent: i64,
    outcome: OutcomeId,
    class: OutcomeClass,
    from: StateId,
    to: StateId,
    sale: bool,
}

fn event_kinds() -> [EventKind; 6] {
    let kind = |percent, outcome, class, from, to, sale| EventKind {
        percent,
        outcome,
        class,
        from,
        to,
        sale,
    };
    use OutcomeClass::{NoAnswer, Progress};
    let s = SalesFlow::TO_CALL;
    [
        kind(55, SalesFlow::O_NO_ANSWER, NoAnswer, s, s, false),
        kind(12, SalesFlow::O_LEAD, Progress, s, SalesFlow::LEAD, false),
        kind(
            8,
            SalesFlow::O_OFFER,
            Progress,
            SalesFlow::LEAD,
            SalesFlow::OFFER,
            false,
        ),
        kind(
            5,
            SalesFlow::O_SALE,
            Progress,
            SalesFlow::OFFER,
            SalesFlow::SALE,
            true,
        ),
        kind(
            17,
            SalesFlow::O_NO_SALE,
            Progress,
            s,
            SalesFlow::NO_SALE,
            false,
        ),
        kind(
            3,
            SalesFlow::O_EXCLUDED,
            Progress,
            s,
            SalesFlow::EXCLUDED,
            false,
        ),
    ]
}

/// The kind (index into [`event_kinds`]) of loaded event `g`.
fn kind_of(kinds: &[EventKind], g: i64) -> usize {
    let h = hash_percent(g);
    let mut bound = 0;
    for (k, kind) in kinds.iter().enumerate() {
        bound += kind.percent;
        if h < bound {
            return k;
        }
    }
    kinds.len() - 1
}

/// Who and what a loaded event is about.
struct EventFacts {
    id: OutcomeEventId,
    enrollment: EnrollmentId,
    customer: CustomerId,
    user: Option<UserId>,
    at: OffsetDateTime,
}

/// The one place the bench builds an `OutcomeEvent` itself: a loaded event of `kind`. The
/// loading statement's templates are these with nil ids (then `json_set`), and the read-back
/// check compares with them.
fn loaded_event(world: &World, kind: &EventKind, facts: EventFacts) -> OutcomeEvent {
    let products = if kind.sale {
        let product = &world.products[0];
        vec![ProductLine {
            product: product.id(),
            quantity: 1,
            unit_price: product.unit_price(),
            currency: product.currency().clone(),
        }]
    } else {
        Vec::new()
    };
    OutcomeEvent {
        id: facts.id,
        assignment: world.assignment.id(),
        enrollment: facts.enrollment,
        customer: facts.customer,
        occurred_at: facts.at,
        user: facts.user,
        outcome: Some(kind.outcome),
        class: kind.class,
        option: None,
        from_state: kind.from,
        to_state: kind.to,
        to_category: world.sales_flow.category(kind.to),
        fields: FieldValues::new(),
        products,
        meeting: None,
        follow_up: None,
        note: None,
    }
}

/// A connection for loading: the adapter's pragmas, but no waiting for the disk and a large
/// page cache (the load is redone from scratch if the machine fails).
async fn load_connection(path: &Path) -> BenchResult<SqliteConnection> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        .busy_timeout(Duration::from_secs(60))
        .foreign_keys(true)
        .pragma("cache_size", "-1048576")
        .pragma("temp_store", "memory")
        .connect()
        .await?;
    sqlx::query("SELECT 1").execute(&mut conn).await?;
    Ok(conn)
}

/// The raw side's pool: one connection (one writer at a time, as SQLite needs), opened with
/// the adapter's pragmas (WAL, `synchronous = NORMAL`, busy timeout, foreign keys).
async fn raw_pool(path: &Path) -> BenchResult<SqlitePool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SqliteOptions::default().busy_timeout)
        .foreign_keys(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?)
}

/// Runs one loading statement in a transaction of its own.
async fn load_statement(
    conn: &mut SqliteConnection,
    sql: String,
    binds: &[i64],
    texts: &[&str],
) -> BenchResult<u64> {
    let mut args = SqliteArguments::default();
    for n in binds {
        args.add(*n)?;
    }
    for text in texts {
        args.add((*text).to_owned())?;
    }
    let mut tx = conn.begin().await?;
    let done = sqlx::query_with(AssertSqlSafe(sql), args)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

#[allow(clippy::too_many_arguments)]
async fn load(
    path: &Path,
    store: &SqliteStore,
    world: &World,
    sellers: &[UserId],
    load_now: OffsetDateTime,
    customers: i64,
    events: i64,
    report: &mut Report,
) -> BenchResult<()> {
    let mut conn = load_connection(path).await?;
    let owner = id_text(world.data_owner.id().as_uuid());
    let assignment = id_text(world.assignment.id().as_uuid());

    // The templates, through the port.
    let templates = customers.min(TEMPLATES);
    eprintln!("saving {templates} customers through the port …");
    let started = Instant::now();
    let mut uow = store.begin().await?;
    for i in 0..templates {
        let id = CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, i));
        uow.save_customer(&World::customer(id, &world.data_owner, usize::try_from(i)?))
            .await?;
    }
    uow.commit().await?;
    report.load.push((
        "Customers saved through `SqliteStore` (`save_customer`), the templates of the rest".into(),
        count_text(templates),
        started.elapsed(),
    ));

    // Lookup tables of this connection for the loading statements.
    for statement in [
        "CREATE TEMP TABLE bench_customer (n INTEGER PRIMARY KEY, doc TEXT NOT NULL,
             dataset TEXT NOT NULL)",
        "CREATE TEMP TABLE bench_field (n INTEGER NOT NULL, field_key TEXT NOT NULL,
             value TEXT NOT NULL, sort_key BLOB NOT NULL, PRIMARY KEY (n, field_key))",
        "CREATE TEMP TABLE bench_seller (n INTEGER PRIMARY KEY, id TEXT NOT NULL)",
        "CREATE TEMP TABLE bench_state (s INTEGER PRIMARY KEY, id TEXT NOT NULL,
             category TEXT NOT NULL)",
        "CREATE TEMP TABLE bench_kind (k INTEGER PRIMARY KEY, outcome_id TEXT NOT NULL,
             class TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
             to_category TEXT NOT NULL, doc TEXT NOT NULL)",
    ] {
        sqlx::query(statement).execute(&mut conn).await?;
    }
    let template_of = id_sql(CUSTOMER_PREFIX, "n");
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO bench_customer (n, doc, dataset)
             WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n + 1 < ?1)
             SELECT c.n, t.doc, t.dataset FROM c JOIN customers AS t ON t.id = {template_of}"
        ),
        &[templates],
        &[],
    )
    .await?;
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO bench_field (n, field_key, value, sort_key)
             WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n + 1 < ?1)
             SELECT c.n, f.field_key, f.value, f.sort_key
             FROM c JOIN customer_fields AS f ON f.customer_id = {template_of}"
        ),
        &[templates],
        &[],
    )
    .await?;
    for (n, seller) in sellers.iter().enumerate() {
        sqlx::query("INSERT INTO bench_seller (n, id) VALUES (?1, ?2)")
            .bind(i64::try_from(n)?)
            .bind(id_text(seller.as_uuid()))
            .execute(&mut conn)
            .await?;
    }
    let states = [
        SalesFlow::TO_CALL,
        SalesFlow::LEAD,
        SalesFlow::OFFER,
        SalesFlow::SALE_TO_FOLLOWUP,
        SalesFlow::SALE,
        SalesFlow::NO_SALE,
        SalesFlow::EXCLUDED,
    ];
    for (s, state) in (1i64..).zip(states) {
        sqlx::query("INSERT INTO bench_state (s, id, category) VALUES (?1, ?2, ?3)")
            .bind(s)
            .bind(id_text(state.as_uuid()))
            .bind(category_text(world.sales_flow.category(state)))
            .execute(&mut conn)
            .await?;
    }
    let kinds = event_kinds();
    for (k, kind) in (0i64..).zip(&kinds) {
        let nil = Uuid::nil();
        let template = loaded_event(
            world,
            kind,
            EventFacts {
                id: OutcomeEventId::from_uuid(nil),
                enrollment: EnrollmentId::from_uuid(nil),
                customer: CustomerId::from_uuid(nil),
                user: None,
                at: load_now,
            },
        );
        sqlx::query(
            "INSERT INTO bench_kind (k, outcome_id, class, from_state, to_state, to_category, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(k)
        .bind(id_text(kind.outcome.as_uuid()))
        .bind(class_text(kind.class))
        .bind(id_text(kind.from.as_uuid()))
        .bind(id_text(kind.to.as_uuid()))
        .bind(category_text(world.sales_flow.category(kind.to)))
        .bind(serde_json::to_string(&template)?)
        .execute(&mut conn)
        .await?;
    }

    // Customers `templates..customers`: `World::customer(i)` exactly, copied from template
    // `i % TEMPLATES` with the customer's own id, name, phone, address and external id.
    eprintln!("loading {customers} customers …");
    let started = Instant::now();
    let customer_id = id_sql(CUSTOMER_PREFIX, "c.i");
    let counter =
        "WITH RECURSIVE c(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?2)";
    let loaded = load_statement(
        &mut conn,
        format!(
            "INSERT INTO customers (id, data_owner_id, external_id, doc, dataset, search_text)
             {counter}
             SELECT v.id, ?4, v.ext,
                    json_set(t.doc, '$.id', v.id, '$.details.name', v.name,
                             '$.details.phones', json_array(v.phone),
                             '$.details.address', v.address, '$.details.external_id', v.ext),
                    t.dataset,
                    -- Customer::search_text: ASCII only here, so `lower` folds it exactly like
                    -- Rust (check_customers compares samples).
                    lower(v.name || char(10) || v.phone || char(10) || v.address || char(10)
                          || v.ext)
             FROM (SELECT c.i, {customer_id} AS id, printf('Customer %05d', c.i) AS name,
                          printf('+479%07d', c.i % 10000000) AS phone,
                          'Storgata ' || (c.i % 200 + 1) || ', Oslo' AS address,
                          printf('ext-%05d', c.i) AS ext
                   FROM c) AS v
             JOIN bench_customer AS t ON t.n = v.i % ?3"
        ),
        &[templates, customers, TEMPLATES],
        &[&owner],
    )
    .await?;
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO customer_phones (customer_id, position, data_owner_id, phone)
             {counter}
             SELECT {customer_id}, 0, ?3, printf('+479%07d', c.i % 10000000) FROM c"
        ),
        &[templates, customers],
        &[&owner],
    )
    .await?;
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO customer_fields (customer_id, field_key, value, sort_key)
             {counter}
             SELECT {customer_id}, f.field_key, f.value, f.sort_key
             FROM c JOIN bench_field AS f ON f.n = c.i % ?3"
        ),
        &[templates, customers, TEMPLATES],
        &[],
    )
    .await?;
    report.load.push((
        "Customers with their phones and CRM values (`INSERT … SELECT`, `WITH RECURSIVE`)".into(),
        count_text(i64::try_from(loaded)?),
        started.elapsed(),
    ));

    // Enrollments: 55% To Call (ready), 15% open with a future follow-up (half of them
    // personal), 8% Sale, 17% No sale, 5% Excluded; import order = customer order.
    eprintln!("loading {customers} enrollments …");
    let started = Instant::now();
    let enrollment_id = id_sql(ENROLLMENT_PREFIX, "e.i");
    let customer_of = id_sql(CUSTOMER_PREFIX, "e.i");
    let hash = hash_sql("c.i");
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO enrollments (id, assignment_id, customer_id, state_id, category,
                 segment_id, attempts, last_contact, follow_up_due, follow_up_owner, no_answer_at,
                 reserved_by, reserved_until, sequence, enrolled_at)
             {counter}
             SELECT {enrollment_id}, ?4, {customer_of}, st.id, st.category, NULL,
                    CASE WHEN e.s = 1 THEN e.i % 4 ELSE 1 + e.i % 3 END,
                    CASE WHEN e.s = 1 AND e.i % 4 = 0 THEN NULL
                         ELSE ?3 - (e.i % 179 + 1) * {DAY_NS} END,
                    CASE WHEN e.s IN (2, 3, 4) THEN ?3 + (1 + e.i % 30) * {DAY_NS} END,
                    CASE WHEN e.s IN (2, 3, 4) AND e.i % 2 = 0 THEN
                        (SELECT b.id FROM bench_seller AS b
                         WHERE b.n = e.i % (SELECT count(*) FROM bench_seller)) END,
                    NULL, NULL, NULL, e.i + 1, ?3 - 181 * {DAY_NS}
             FROM (SELECT c.i,
                          CASE WHEN h < 55 THEN 1 WHEN h < 62 THEN 2 WHEN h < 67 THEN 3
                               WHEN h < 70 THEN 4 WHEN h < 78 THEN 5 WHEN h < 95 THEN 6
                               ELSE 7 END AS s
                   FROM (SELECT c.i, {hash} AS h FROM c) AS c) AS e
             JOIN bench_state AS st ON st.s = e.s"
        ),
        &[0, customers, ns(load_now)?],
        &[&assignment],
    )
    .await?;
    report.load.push((
        "Enrollments (`INSERT … SELECT`, `WITH RECURSIVE`)".into(),
        count_text(customers),
        started.elapsed(),
    ));

    // Outcome events: in time order over the last 180 days (whole milliseconds), each on a
    // pseudo-random enrollment (every enrollment gets events/customers of them), by the
    // sellers in turn; the Sale events' product lines after each chunk.
    eprintln!("loading {events} outcome events …");
    let started = Instant::now();
    let mut kind_case = String::from("CASE");
    let mut bound = 0;
    for (k, kind) in kinds.iter().enumerate() {
        bound += kind.percent;
        let _ = write!(kind_case, " WHEN v.h < {bound} THEN {k}");
    }
    kind_case.push_str(" END");
    let loader = EventLoader {
        start_ms: (ns(load_now)? - HISTORY_DAYS * DAY_NS) / 1_000_000,
        span_ms: HISTORY_DAYS * DAY_NS / 1_000_000,
        events,
        customers,
        started,
    };
    let event_id = id_sql(EVENT_PREFIX, "v.g");
    let enrollment_of = id_sql(ENROLLMENT_PREFIX, "v.m");
    let customer_of = id_sql(CUSTOMER_PREFIX, "v.m");
    let hash = hash_sql("g.g");
    let statement = format!(
        "INSERT INTO outcome_events (id, assignment_id, enrollment_id, customer_id, occurred_at,
             user_id, outcome_id, class, option, from_state, to_state, to_category, meeting_id,
             request_key, request_fingerprint, doc)
         WITH RECURSIVE g(g) AS (SELECT ?1 UNION ALL SELECT g + 1 FROM g WHERE g + 1 < ?2)
         SELECT w.id, ?3, w.enrollment, w.customer, w.at_ms * 1000000, s.id, k.outcome_id,
                k.class, NULL, k.from_state, k.to_state, k.to_category, NULL, NULL, NULL,
                json_set(k.doc, '$.id', w.id, '$.enrollment', w.enrollment,
                         '$.customer', w.customer, '$.user', s.id,
                         '$.occurred_at',
                         strftime('%Y-%m-%d %H:%M:%S', w.at_ms / 1000, 'unixepoch')
                         || printf('.%03d +00:00:00', w.at_ms % 1000))
         FROM (SELECT v.g, {event_id} AS id, {enrollment_of} AS enrollment,
                      {customer_of} AS customer, v.at_ms, {kind_case} AS k,
                      v.g % (SELECT count(*) FROM bench_seller) AS seller
               FROM (SELECT g.g, (g.g * 7919) % ?4 AS m, ?5 + g.g * ?6 / ?7 AS at_ms,
                            {hash} AS h
                     FROM g) AS v) AS w
         JOIN bench_kind AS k ON k.k = w.k
         JOIN bench_seller AS s ON s.n = w.seller"
    );
    let lines = "INSERT INTO outcome_product_lines (event_id, position, product_id, quantity,
                     unit_price, currency)
                 SELECT e.id, 0, ?2, 1, ?3, ?4 FROM outcome_events AS e
                 WHERE e.seq > ?1 AND e.outcome_id = ?5";
    let product = &world.products[0];
    let mut from = 0;
    while from < events {
        let to = (from + EVENT_CHUNK).min(events);
        let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM outcome_events")
            .fetch_one(&mut conn)
            .await?;
        let mut args = SqliteArguments::default();
        args.add(from)?;
        args.add(to)?;
        args.add(assignment.clone())?;
        args.add(customers)?;
        args.add(loader.start_ms)?;
        args.add(loader.span_ms)?;
        args.add(events)?;
        let mut tx = conn.begin().await?;
        sqlx::query_with(AssertSqlSafe(statement.clone()), args)
            .execute(&mut *tx)
            .await?;
        sqlx::query(lines)
            .bind(before)
            .bind(id_text(product.id().as_uuid()))
            .bind(product.unit_price().to_string())
            .bind(product.currency().as_str().to_owned())
            .bind(id_text(SalesFlow::O_SALE.as_uuid()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        eprintln!(
            "  events to {to}: {:.1} s",
            loader.started.elapsed().as_secs_f64()
        );
        if from == 0 {
            // The first chunk read back through the adapter before loading the rest.
            check_events(store, world, sellers, &loader, to).await?;
        }
        from = to;
    }
    report.load.push((
        format!(
            "Outcome events and the Sale events' product lines (`INSERT … SELECT`, `WITH \
             RECURSIVE`, {} events per transaction)",
            count_text(EVENT_CHUNK)
        ),
        count_text(events),
        started.elapsed(),
    ));

    // The load wrote a WAL as large as the data: move it into the database file now rather
    // than during the measurements.
    let started = Instant::now();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    report.load.push((
        "`PRAGMA wal_checkpoint(TRUNCATE)` (so the measurements do not pay for it)".into(),
        "—".into(),
        started.elapsed(),
    ));
    conn.close().await?;
    report.notes.push(format!(
        "Database file after loading: {:.2} GiB.",
        file_size(path) as f64 / f64::from(1u32 << 30)
    ));
    check_customers(store, world, customers).await?;
    Ok(())
}

/// What the events' loading statement computes, for the read-back check.
struct EventLoader {
    /// The first event's time and the span of the log, in unix milliseconds.
    start_ms: i64,
    span_ms: i64,
    events: i64,
    customers: i64,
    started: Instant,
}

impl EventLoader {
    /// Loaded event `g`'s time: whole milliseconds, as the statement computes it.
    fn at(&self, g: i64) -> BenchResult<OffsetDateTime> {
        from_ns((self.start_ms + g * self.span_ms / self.events) * 1_000_000)
    }
}

/// Reads loaded customers and enrollments back through the adapter and compares them with
/// what `World` would have made.
async fn check_customers(store: &SqliteStore, world: &World, count: i64) -> BenchResult<()> {
    let mut uow = store.begin_read().await?;
    let mut samples = vec![0, 1, count / 2, count - 1];
    if count > TEMPLATES {
        samples.push(TEMPLATES);
    }
    for i in samples {
        let id = CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, i));
        let stored = uow
            .customer(id)
            .await?
            .ok_or(format!("loaded customer {i} not found"))?;
        let expected: Customer = World::customer(id, &world.data_owner, usize::try_from(i)?);
        if stored != expected {
            return Err(format!(
                "loaded customer {i} reads back as {stored:?}, expected {expected:?}"
            )
            .into());
        }
        let search_text: Option<String> =
            sqlx::query_scalar("SELECT search_text FROM customers WHERE id = ?1")
                .bind(id_text(id.as_uuid()))
                .fetch_one(store.pool())
                .await?;
        if search_text.as_deref() != Some(expected.search_text().as_str()) {
            return Err(format!(
                "loaded customer {i} has search text {search_text:?}, expected {:?}",
                expected.search_text()
            )
            .into());
        }
        let enrollment = uow
            .enrollment(EnrollmentId::from_uuid(patterned_id(ENROLLMENT_PREFIX, i)))
            .await?
            .ok_or(format!("loaded enrollment {i} not found"))?;
        if enrollment.customer() != id || enrollment.snapshot().sequence != i as u64 + 1 {
            return Err(format!("loaded enrollment {i} reads back as {enrollment:?}").into());
        }
    }
    // The port finds a loaded customer by phone and by external id, as an import would.
    let i = count - 1;
    let expected = World::customer(
        CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, i)),
        &world.data_owner,
        usize::try_from(i)?,
    );
    for key in expected.identity_keys() {
        let found = uow
            .find_customer(world.data_owner.id(), &key, None)
            .await?
            .map(|c| c.id());
        if found != Some(expected.id()) {
            return Err(format!("loaded customer {i} is not found by {key}: {found:?}").into());
        }
    }
    Ok(())
}

/// Reads a few loaded events back through the adapter and compares them with what the
/// domain would have made.
async fn check_events(
    store: &SqliteStore,
    world: &World,
    sellers: &[UserId],
    loader: &EventLoader,
    loaded: i64,
) -> BenchResult<()> {
    let kinds = event_kinds();
    let mut uow = store.begin_read().await?;
    for g in [0, 1, loaded / 2, loaded - 1] {
        let id = OutcomeEventId::from_uuid(patterned_id(EVENT_PREFIX, g));
        let stored = uow
            .event(id)
            .await?
            .ok_or(format!("loaded event {g} not found"))?;
        let m = (g * 7919) % loader.customers;
        let seller = sellers[usize::try_from(g)? % sellers.len()];
        let expected = loaded_event(
            world,
            &kinds[kind_of(&kinds, g)],
            EventFacts {
                id,
                enrollment: EnrollmentId::from_uuid(patterned_id(ENROLLMENT_PREFIX, m)),
                customer: CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, m)),
                user: Some(seller),
                at: loader.at(g)?,
            },
        );
        if stored != expected {
            return Err(format!(
                "loaded event {g} reads back as {stored:?}, expected {expected:?}"
            )
            .into());
        }
    }
    Ok(())
}

fn count_text(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Times `run` `REPORT_RUNS` times after a warm-up, each in a read unit of its own (as the
/// use cases read); returns the times in ms and the last run's row count.
async fn time_runs<F>(store: &SqliteStore, mut run: F) -> BenchResult<(Vec<f64>, usize)>
where
    F: AsyncFnMut(&mut dyn cube_domain::ports::ReadUnit) -> BenchResult<usize>,
{
    let mut times = Vec::new();
    let mut rows = 0;
    for attempt in 0..=REPORT_RUNS {
        let mut unit = store.begin_read().await?;
        let started = Instant::now();
        rows = run(unit.as_mut()).await?;
        let elapsed = started.elapsed().as_secs_f64() * 1_000.0;
        drop(unit);
        if attempt > 0 {
            times.push(elapsed);
        }
    }
    Ok((times, rows))
}

/// Every report tally of the port, over the loaded data.
async fn time_reports(
    store: &SqliteStore,
    world: &World,
    load_now: OffsetDateTime,
    report: &mut Report,
) -> BenchResult<()> {
    let assignment = world.assignment.id();
    let a = id_text(assignment.as_uuid());
    let to = load_now;
    let from = to - time::Duration::days(30);
    let scalar = async |sql: &'static str, binds: &[i64]| -> BenchResult<i64> {
        let mut query = sqlx::query_scalar(sql).bind(a.clone());
        for b in binds {
            query = query.bind(*b);
        }
        Ok(query.fetch_one(store.pool()).await?)
    };
    let window_events = scalar(
        "SELECT count(*) FROM outcome_events
         WHERE assignment_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3",
        &[ns(from)?, ns(to)?],
    )
    .await?;
    let window_sales = scalar(
        "SELECT count(*) FROM outcome_events
         WHERE assignment_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3
           AND to_category = 'Yes'",
        &[ns(from)?, ns(to)?],
    )
    .await?;
    let enrollments = scalar(
        "SELECT count(*) FROM enrollments WHERE assignment_id = ?1",
        &[],
    )
    .await?;
    let concluded = scalar(
        "SELECT count(*) FROM enrollments WHERE assignment_id = ?1 AND category IN ('Yes', 'No')",
        &[],
    )
    .await?;
    let open = scalar(
        "SELECT count(*) FROM enrollments WHERE assignment_id = ?1 AND category = 'Open'",
        &[],
    )
    .await?;
    let fields = [
        AnalysisField::Crm(World::industry()),
        AnalysisField::Attempts,
    ];
    let ids = [assignment];
    let cases: [(&str, String); 6] = [
        (
            "Customer status (`status_tally`)",
            format!("{} enrollments", count_text(enrollments)),
        ),
        (
            "Held now (`reserved_count`, the status report's \"reserved\")",
            format!("{} enrollments", count_text(enrollments)),
        ),
        (
            "30-day outcome report (`outcome_tally`, last 30 days)",
            format!("{} of the events", count_text(window_events)),
        ),
        (
            "30-day sales report (`sold_products`, last 30 days)",
            format!("{} sales of the events", count_text(window_sales)),
        ),
        (
            "Hit analysis on `industry` and attempts (`hit_tally`)",
            format!("{} concluded enrollments", count_text(concluded)),
        ),
        (
            "Open offers (`open_offers`)",
            format!("{} open enrollments", count_text(open)),
        ),
    ];
    for (which, (name, input)) in cases.into_iter().enumerate() {
        let (times, rows) = time_runs(store, async |uow| {
            Ok(match which {
                0 => uow.status_tally(assignment).await?.len(),
                1 => usize::try_from(uow.reserved_count(assignment, to).await?)?,
                2 => uow.outcome_tally(&ids, from, to).await?.len(),
                3 => uow.sold_products(&ids, from, to).await?.len(),
                4 => uow.hit_tally(assignment, &fields).await?.len(),
                _ => uow.open_offers(assignment).await?.len(),
            })
        })
        .await?;
        push_timed(report, name.into(), format!("{input} → {rows} rows"), times);
    }
    Ok(())
}

fn push_timed(report: &mut Report, name: String, input: String, mut times: Vec<f64>) {
    let median = median(&mut times);
    eprintln!("  {name}: median {median:.1} ms ({input})");
    report.reports.push(Timed {
        name,
        input,
        median_ms: median,
        runs_ms: times,
    });
}

/// Customer searches through the port (`customers` with a `CustomerFilter`, first page of
/// 50) over the loaded customers.
async fn time_searches(
    store: &SqliteStore,
    world: &World,
    customers: i64,
    report: &mut Report,
) -> BenchResult<()> {
    let owner = world.data_owner.id();
    let middle = usize::try_from(customers / 2)?;
    let fixture = World::customer(
        CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, customers / 2)),
        &world.data_owner,
        middle,
    );
    let details = fixture.details();
    let words = |text: &str| -> BenchResult<CustomerFilter> {
        Ok(CustomerFilter {
            words: SearchWords::parse(text)?,
            ..CustomerFilter::default()
        })
    };
    let cases = [
        (
            "words naming one customer",
            words(&details.name.to_string())?,
        ),
        (
            "words found in 1 of 200 customers (an address)",
            words(&format!("storgata {},", middle % 200 + 1))?,
        ),
        ("a word found nowhere", words("nobody")?),
        ("a two-letter word found nowhere", words("zq")?),
        (
            "exact phone number",
            CustomerFilter {
                phone: Some(details.phones[0].clone()),
                ..CustomerFilter::default()
            },
        ),
        (
            "exact external id",
            CustomerFilter {
                external_id: details.external_id.clone(),
                ..CustomerFilter::default()
            },
        ),
    ];
    let page = Page {
        offset: 0,
        limit: 50,
    };
    for (name, filter) in cases {
        let (times, found) = time_runs(store, async |uow| {
            Ok(uow.customers(owner, &filter, page).await?.len())
        })
        .await?;
        push_timed(
            report,
            format!("Customer search (`customers`), {name}"),
            format!("{} customers → first page: {found}", count_text(customers)),
            times,
        );
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if !n.is_multiple_of(2) => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    /// Next customer alone.
    Reserve,
    /// Next customer, then register an outcome.
    Cycle,
}

impl Work {
    fn label(self) -> &'static str {
        match self {
            Work::Reserve => "Next customer",
            Work::Cycle => "Next customer → register outcome",
        }
    }
}

/// Through the port, or the same SQL raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Raw,
}

/// Latencies of one path and how long the slices took.
#[derive(Debug, Default)]
struct Sample {
    latencies_us: Vec<u64>,
    /// How long the failed operations took before failing.
    failed_us: Vec<u64>,
    elapsed: Duration,
    first_error: Option<String>,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.latencies_us.extend(other.latencies_us);
        self.failed_us.extend(other.failed_us);
        self.elapsed += other.elapsed;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn errors(&self) -> usize {
        self.failed_us.len()
    }

    fn throughput(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`th percentile of the successful operations, in milliseconds.
    fn percentile(&self, p: f64) -> f64 {
        percentile(&self.latencies_us, p)
    }

    /// The `p`th percentile of every operation, failed ones with the time they took to fail.
    fn percentile_all(&self, p: f64) -> f64 {
        let mut all = self.latencies_us.clone();
        all.extend(&self.failed_us);
        percentile(&all, p)
    }
}

fn percentile(latencies_us: &[u64], p: f64) -> f64 {
    let mut sorted = latencies_us.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1_000.0
}

/// One level: warm-ups, then ours, raw, raw, ours.
async fn measure(
    shared: &Arc<Shared>,
    work: Work,
    sellers: usize,
    slice: Duration,
) -> BenchResult<PathRow> {
    let mut ours = Sample::default();
    let mut raw = Sample::default();
    for side in [Side::Ours, Side::Raw] {
        run_slice(shared, work, side, sellers, Until::Elapsed(WARM_UP)).await;
        reset(shared).await?;
    }
    for side in [Side::Ours, Side::Raw, Side::Raw, Side::Ours] {
        let sample = run_slice(shared, work, side, sellers, Until::Elapsed(slice)).await;
        reset(shared).await?;
        match side {
            Side::Ours => ours.merge(sample),
            Side::Raw => raw.merge(sample),
        }
    }
    for (name, sample) in [("ours", &ours), ("raw", &raw)] {
        if sample.latencies_us.is_empty() {
            return Err(format!(
                "{} at {sellers} sellers ({name}) did nothing: {}",
                work.label(),
                sample.first_error.as_deref().unwrap_or("no error")
            )
            .into());
        }
    }
    Ok(PathRow {
        work,
        sellers,
        ours,
        raw,
    })
}

/// After a slice: the enrollments the bench contacted are put back as loaded (To Call, no
/// follow-up, no resting NoAnswer, no lease), so every slice starts with the same pool.
async fn reset(shared: &Shared) -> BenchResult<()> {
    let to_call = SalesFlow::TO_CALL;
    // Between slices no seller is working, so this needs no writer's turn.
    sqlx::query(
        "UPDATE enrollments SET state_id = ?3, category = ?4, follow_up_due = NULL,
             follow_up_owner = NULL, no_answer_at = NULL, reserved_by = NULL,
             reserved_until = NULL
         WHERE assignment_id = ?1 AND last_contact >= ?2",
    )
    .bind(id_text(shared.assignment.id().as_uuid()))
    .bind(ns(shared.since)?)
    .bind(id_text(to_call.as_uuid()))
    .bind(category_text(shared.flow.category(to_call)))
    .execute(&shared.raw)
    .await?;
    Ok(())
}

/// When a slice ends.
#[derive(Clone)]
enum Until {
    /// After this long.
    Elapsed(Duration),
    /// When the flag is set.
    Stopped(Arc<AtomicBool>),
}

/// `sellers` tasks doing `work` on `side` until the slice ends; each operation's start is
/// kept (relative to the slice's start) with its latency.
async fn run_slice(
    shared: &Arc<Shared>,
    work: Work,
    side: Side,
    sellers: usize,
    until: Until,
) -> Sample {
    run_slice_timed(shared, work, side, sellers, until, None).await
}

/// [`run_slice`], keeping only the operations that overlap the window `[from, to)` given
/// through `window` when it is set at the end (used for the import beside the sellers).
async fn run_slice_timed(
    shared: &Arc<Shared>,
    work: Work,
    side: Side,
    sellers: usize,
    until: Until,
    window: Option<Arc<std::sync::Mutex<Option<(Instant, Instant)>>>>,
) -> Sample {
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for s in 0..sellers {
        let shared = Arc::clone(shared);
        let until = until.clone();
        tasks.spawn(async move {
            let seller = shared.sellers[s];
            let mut ops: Vec<(Instant, Instant, bool)> = Vec::new();
            let mut first_error = None;
            let mut errors = 0;
            let mut n = s as u64;
            loop {
                let done = match &until {
                    Until::Elapsed(length) => started.elapsed() >= *length,
                    Until::Stopped(flag) => flag.load(Ordering::Relaxed),
                };
                if done {
                    break;
                }
                let op_started = Instant::now();
                let result = match (work, side) {
                    (Work::Reserve, Side::Ours) => shared.reserve_ours(seller).await,
                    (Work::Reserve, Side::Raw) => shared.reserve_raw(seller).await,
                    (Work::Cycle, Side::Ours) => shared.cycle_ours(seller, n).await,
                    (Work::Cycle, Side::Raw) => shared.cycle_raw(seller, n).await,
                };
                let ok = result.is_ok();
                if let Err(error) = result {
                    errors += 1;
                    first_error.get_or_insert(error.to_string());
                }
                ops.push((op_started, Instant::now(), ok));
                if errors > 100 {
                    break;
                }
                n += 1;
            }
            (ops, first_error)
        });
    }
    let mut all = Vec::new();
    let mut total = Sample::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((ops, error)) => {
                all.extend(ops);
                if total.first_error.is_none() {
                    total.first_error = error;
                }
            }
            Err(error) => {
                total.first_error.get_or_insert(error.to_string());
            }
        }
    }
    let bounds = window.and_then(|w| w.lock().ok().and_then(|w| *w));
    for (op_started, op_ended, ok) in all {
        if let Some((from, to)) = bounds
            && (op_ended <= from || op_started >= to)
        {
            continue;
        }
        let us = op_ended.duration_since(op_started).as_micros() as u64;
        if ok {
            total.latencies_us.push(us);
        } else {
            total.failed_us.push(us);
        }
    }
    total.elapsed = match bounds {
        Some((from, to)) => to.duration_since(from),
        None => started.elapsed(),
    };
    total
}

/// An enrollment from a raw row (as the adapter decodes one).
fn enrollment_of_row(row: &SqliteRow) -> BenchResult<Enrollment> {
    let id = |name: &str| -> BenchResult<Uuid> { Ok(Uuid::parse_str(row.try_get(name)?)?) };
    let opt_id = |name: &str| -> BenchResult<Option<Uuid>> {
        Ok(row
            .try_get::<Option<&str>, _>(name)?
            .map(Uuid::parse_str)
            .transpose()?)
    };
    let opt_time = |name: &str| -> BenchResult<Option<OffsetDateTime>> {
        row.try_get::<Option<i64>, _>(name)?
            .map(from_ns)
            .transpose()
    };
    let snapshot = EnrollmentSnapshot {
        id: EnrollmentId::from_uuid(id("id")?),
        assignment: AssignmentId::from_uuid(id("assignment_id")?),
        customer: CustomerId::from_uuid(id("customer_id")?),
        state: StateId::from_uuid(id("state_id")?),
        category: parse_category(row.try_get("category")?)?,
        segment: opt_id("segment_id")?.map(cube_domain::ids::SegmentId::from_uuid),
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?)?,
        last_contact: opt_time("last_contact")?,
        follow_up: opt_time("follow_up_due")?
            .map(|due| -> BenchResult<FollowUp> {
                Ok(FollowUp {
                    due,
                    owner: opt_id("follow_up_owner")?.map(UserId::from_uuid),
                })
            })
            .transpose()?,
        no_answer_at: opt_time("no_answer_at")?,
        reservation: match (opt_id("reserved_by")?, opt_time("reserved_until")?) {
            (Some(seller), Some(until)) => Some(Reservation {
                seller: UserId::from_uuid(seller),
                until,
            }),
            _ => None,
        },
        sequence: u64::try_from(row.try_get::<i64, _>("sequence")?)?,
        enrolled_at: from_ns(row.try_get("enrolled_at")?)?,
    };
    Ok(Enrollment::from(snapshot))
}

/// The arguments of `UPDATE_ENROLLMENT`: `?1`…`?15`, as the adapter binds an enrollment.
fn enrollment_args(enrollment: &Enrollment) -> BenchResult<SqliteArguments> {
    let e = enrollment.snapshot();
    let mut args = SqliteArguments::default();
    args.add(id_text(e.id.as_uuid()))?;
    args.add(id_text(e.assignment.as_uuid()))?;
    args.add(id_text(e.customer.as_uuid()))?;
    args.add(id_text(e.state.as_uuid()))?;
    args.add(category_text(e.category))?;
    args.add(e.segment.map(|s| id_text(s.as_uuid())))?;
    args.add(i64::from(e.attempts))?;
    args.add(opt_ns(e.last_contact)?)?;
    args.add(opt_ns(e.follow_up.map(|f| f.due))?)?;
    args.add(
        e.follow_up
            .and_then(|f| f.owner)
            .map(|o| id_text(o.as_uuid())),
    )?;
    args.add(opt_ns(e.no_answer_at)?)?;
    args.add(e.reservation.map(|r| id_text(r.seller.as_uuid())))?;
    args.add(opt_ns(e.reservation.map(|r| r.until))?)?;
    args.add(i64::try_from(e.sequence)?)?;
    args.add(ns(e.enrolled_at)?)?;
    Ok(args)
}

/// The arguments of `APPEND_EVENT` (`?1`…`?16`, no idempotency key) and of
/// `APPEND_PRODUCT_LINE` for each product line, as the adapter binds an event.
fn event_args(event: &OutcomeEvent) -> BenchResult<(SqliteArguments, Vec<SqliteArguments>)> {
    let id = id_text(event.id.as_uuid());
    let mut args = SqliteArguments::default();
    args.add(id.clone())?;
    args.add(id_text(event.assignment.as_uuid()))?;
    args.add(id_text(event.enrollment.as_uuid()))?;
    args.add(id_text(event.customer.as_uuid()))?;
    args.add(ns(event.occurred_at)?)?;
    args.add(event.user.map(|u| id_text(u.as_uuid())))?;
    args.add(event.outcome.map(|o| id_text(o.as_uuid())))?;
    args.add(class_text(event.class))?;
    args.add(event.option.clone())?;
    args.add(id_text(event.from_state.as_uuid()))?;
    args.add(id_text(event.to_state.as_uuid()))?;
    args.add(category_text(event.to_category))?;
    args.add(event.meeting.map(|m| id_text(m.as_uuid())))?;
    args.add(None::<String>)?;
    args.add(None::<String>)?;
    args.add(serde_json::to_string(event)?)?;
    let mut lines = Vec::new();
    for (position, line) in (0i64..).zip(&event.products) {
        let mut line_args = SqliteArguments::default();
        line_args.add(id.clone())?;
        line_args.add(position)?;
        line_args.add(id_text(line.product.as_uuid()))?;
        line_args.add(i64::from(line.quantity))?;
        line_args.add(line.unit_price.to_string())?;
        line_args.add(line.currency.as_str().to_owned())?;
        lines.push(line_args);
    }
    Ok((args, lines))
}

impl Shared {
    fn request(&self, seller: UserId, setup: &AssignmentSetup) -> NextCustomerRequest {
        NextCustomerRequest {
            assignment: self.assignment.id(),
            seller,
            now: now_us(),
            setup: setup.clone(),
        }
    }

    /// The outcome of cycle number `n`: 50% NoAnswer, 20% No sale, 20% Lead with a
    /// follow-up in three days, 10% Sale of one product.
    fn command(&self, n: u64, now: OffsetDateTime) -> RegisterOutcome {
        match n % 10 {
            0..=4 => RegisterOutcome::new(SalesFlow::O_NO_ANSWER),
            5 | 6 => RegisterOutcome::new(SalesFlow::O_NO_SALE),
            7 | 8 => RegisterOutcome {
                follow_up_at: Some(now + time::Duration::days(3)),
                ..RegisterOutcome::new(SalesFlow::O_LEAD)
            },
            _ => RegisterOutcome {
                products: vec![ProductLineRequest {
                    product: self.catalogue[0].id(),
                    quantity: 1,
                    unit_price: None,
                }],
                ..RegisterOutcome::new(SalesFlow::O_SALE)
            },
        }
    }

    fn register(
        &self,
        current: &Enrollment,
        seller: UserId,
        n: u64,
    ) -> BenchResult<outcome::Registration> {
        let now = now_us();
        let context = RegistrationContext {
            assignment: &self.assignment,
            flow: &self.flow,
            catalogue: &self.catalogue,
            calendar: None,
            calendar_meetings: &[],
        };
        let ids = NewIds {
            event: OutcomeEventId::from_uuid(Uuid::now_v7()),
            meeting: MeetingId::from_uuid(Uuid::now_v7()),
        };
        Ok(outcome::register(
            context,
            current,
            Registrar::Seller(seller),
            self.command(n, now),
            now,
            ids,
        )?)
    }

    async fn reserve_ours(&self, seller: UserId) -> BenchResult<()> {
        let request = self.request(seller, &self.short_lease);
        self.store
            .reserve_next(&request)
            .await?
            .ok_or("nothing ready")?;
        Ok(())
    }

    /// The adapter's next-customer statements raw, in one transaction; returns the id of the
    /// reserved enrollment.
    async fn reserve_row(&self, seller: UserId, lease: time::Duration) -> BenchResult<String> {
        let now = now_us();
        let seller = id_text(seller.as_uuid());
        let assignment = id_text(self.assignment.id().as_uuid());
        let until = ns(now + lease)?;
        let head = || -> BenchResult<SqliteArguments> {
            let mut args = SqliteArguments::default();
            args.add(seller.clone())?;
            args.add(until)?;
            args.add(assignment.clone())?;
            args.add(ns(now)?)?;
            Ok(args)
        };
        let mut tx = self.raw.begin_with(BEGIN).await?;
        if let Some(row) = sqlx::query_with(HELD, head()?)
            .fetch_optional(&mut *tx)
            .await?
        {
            let id: String = row.try_get("id")?;
            tx.commit().await?;
            return Ok(id);
        }
        let mut chosen: Option<String> = None;
        for sql in [PERSONAL, SHARED] {
            chosen = sqlx::query_scalar_with(sql, head()?)
                .fetch_optional(&mut *tx)
                .await?;
            if chosen.is_some() {
                break;
            }
        }
        if chosen.is_none() {
            let mut args = head()?;
            let rested = now
                .checked_sub(self.assignment.setup().retry_delay)
                .map_or(Ok(i64::MIN), ns)?;
            args.add(rested)?;
            chosen = sqlx::query_scalar_with(POOL_BY_SEQUENCE, args)
                .fetch_optional(&mut *tx)
                .await?;
        }
        let chosen = chosen.ok_or("nothing ready")?;
        let row = sqlx::query(RESERVE)
            .bind(seller)
            .bind(until)
            .bind(chosen)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.try_get("id")?)
    }

    async fn reserve_raw(&self, seller: UserId) -> BenchResult<()> {
        self.reserve_row(seller, self.short_lease.lease).await?;
        Ok(())
    }

    /// Next customer, then the register-outcome unit of work, through the port.
    async fn cycle_ours(&self, seller: UserId, n: u64) -> BenchResult<()> {
        let request = self.request(seller, self.assignment.setup());
        let handout = self
            .store
            .reserve_next(&request)
            .await?
            .ok_or("nothing ready")?;
        let mut uow = self.store.begin().await?;
        let current = uow
            .enrollment(handout.enrollment.id())
            .await?
            .ok_or("the handed-out enrollment is gone")?;
        let registration = self.register(&current, seller, n)?;
        uow.update_enrollment(&registration.enrollment).await?;
        uow.append_event(&registration.event, None).await?;
        uow.commit().await?;
        Ok(())
    }

    /// The same statements in one sqlx transaction.
    async fn cycle_raw(&self, seller: UserId, n: u64) -> BenchResult<()> {
        let id = self
            .reserve_row(seller, self.assignment.setup().lease)
            .await?;
        let mut tx = self.raw.begin_with(BEGIN).await?;
        let row = sqlx::query(ENROLLMENT_BY_ID)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let current = enrollment_of_row(&row)?;
        let registration = self.register(&current, seller, n)?;
        let updated = sqlx::query_with(
            UPDATE_ENROLLMENT,
            enrollment_args(&registration.enrollment)?,
        )
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err("the enrollment changed meanwhile".into());
        }
        let (event, lines) = event_args(&registration.event)?;
        sqlx::query_with(APPEND_EVENT, event)
            .execute(&mut *tx)
            .await?;
        for line in lines {
            sqlx::query_with(APPEND_PRODUCT_LINE, line)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `rows` fresh customers (numbered from `first_index`, so their phones and external ids are
/// new) to enroll in `second`.
fn import_batch(
    world: &World,
    second: &Assignment,
    first_index: i64,
    rows: usize,
) -> BenchResult<ImportBatch> {
    let first = usize::try_from(first_index)?;
    Ok(ImportBatch {
        data_owner: world.data_owner.id(),
        assignment: second.id(),
        initial_state: world.sales_flow.initial_state(),
        segment: None,
        enrolled_at: now_us(),
        on_match: OnMatch::Update,
        rows: (0..rows)
            .map(|i| ImportRow {
                customer: World::customer(
                    CustomerId::from_uuid(Uuid::now_v7()),
                    &world.data_owner,
                    first + i,
                ),
                enrollment: EnrollmentId::from_uuid(Uuid::now_v7()),
            })
            .collect(),
    })
}

/// The batch imported in one unit of work, as the import use case does: its time and what
/// it did.
async fn import(store: &SqliteStore, batch: &ImportBatch) -> BenchResult<(Duration, String)> {
    eprintln!("importing {} customers …", batch.rows.len());
    let started = Instant::now();
    let mut uow = store.begin().await?;
    let counts = uow.import_batch(batch).await?;
    uow.commit().await?;
    let elapsed = started.elapsed();
    eprintln!(
        "  import: {:.2} s, created {}, enrolled {}",
        elapsed.as_secs_f64(),
        counts.created,
        counts.enrolled
    );
    Ok((
        elapsed,
        format!(
            "created {}, matched {}, enrolled {}, already enrolled {}",
            counts.created, counts.matched, counts.enrolled, counts.already_enrolled
        ),
    ))
}

/// [`import`] within the time limit (dropped, so rolled back, after it).
async fn timed_import(store: &SqliteStore, batch: &ImportBatch, limit: Duration) -> Imported {
    let rows = batch.rows.len();
    match tokio::time::timeout(limit, import(store, batch)).await {
        Ok(Ok((elapsed, counts))) => Imported::Done(rows, elapsed, counts),
        Ok(Err(error)) => Imported::Failed(rows, error.to_string()),
        Err(_) => {
            eprintln!(
                "  import: not done after {:.0} s; dropped",
                limit.as_secs_f64()
            );
            Imported::TimedOut(rows, limit)
        }
    }
}

/// The import while `IMPORT_SELLERS` sellers run the cycle through the port: the import, and
/// the sellers' operations that overlapped it.
async fn import_beside_sellers(
    shared: &Arc<Shared>,
    batch: &ImportBatch,
    limit: Duration,
) -> (Imported, Sample) {
    let stop = Arc::new(AtomicBool::new(false));
    let window = Arc::new(std::sync::Mutex::new(None));
    let sellers = {
        let shared = Arc::clone(shared);
        let stop = Arc::clone(&stop);
        let window = Arc::clone(&window);
        tokio::spawn(async move {
            run_slice_timed(
                &shared,
                Work::Cycle,
                Side::Ours,
                IMPORT_SELLERS,
                Until::Stopped(stop),
                Some(window),
            )
            .await
        })
    };
    tokio::time::sleep(IMPORT_LEAD).await;
    let from = Instant::now();
    let imported = timed_import(&shared.store, batch, limit).await;
    let to = Instant::now();
    if let Ok(mut w) = window.lock() {
        *w = Some((from, to));
    }
    stop.store(true, Ordering::Relaxed);
    let sample = match sellers.await {
        Ok(sample) => sample,
        Err(error) => Sample {
            first_error: Some(error.to_string()),
            ..Sample::default()
        },
    };
    eprintln!(
        "  sellers beside the import: {} cycles, {} failed, p99 {}",
        sample.latencies_us.len(),
        sample.errors(),
        ms(sample.percentile(99.0))
    );
    (imported, sample)
}

/// The machine and database the figures come from.
async fn machine_facts(
    store: &SqliteStore,
    path: &Path,
    options: &SqliteOptions,
) -> BenchResult<Vec<(String, String)>> {
    let mut facts = Vec::new();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    facts.push(("CPU cores (nproc)".into(), cores.to_string()));
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if let Some(model) = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
    {
        facts.push(("CPU".into(), model.1.trim().to_owned()));
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if let Some(kib) = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        facts.push((
            "Memory".into(),
            format!("{:.0} GiB", kib as f64 / 1_048_576.0),
        ));
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        facts.push((
            "Load average at start (shared machine)".into(),
            load.join(" "),
        ));
    }
    // The file system the database lives on: the longest mount point above it.
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    if let Some((point, fs, device)) = mounts
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let device = parts.next()?;
            let point = parts.next()?;
            let fs = parts.next()?;
            path.starts_with(point).then_some((point, fs, device))
        })
        .max_by_key(|(point, _, _)| point.len())
    {
        facts.push((
            "Database file".into(),
            format!("{} ({fs} on {device}, mounted at {point})", path.display()),
        ));
    }
    let mut conn = store.pool().acquire().await?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&mut *conn)
        .await?;
    facts.push(("SQLite".into(), format!("{version} (bundled by sqlx)")));
    let mut pragmas = Vec::new();
    for pragma in [
        "journal_mode",
        "synchronous",
        "busy_timeout",
        "cache_size",
        "page_size",
        "foreign_keys",
    ] {
        let value: String = sqlx::query(AssertSqlSafe(format!("PRAGMA {pragma}")))
            .fetch_one(&mut *conn)
            .await
            .and_then(|row| {
                row.try_get::<String, _>(0)
                    .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
            })?;
        pragmas.push(format!("{pragma}={value}"));
    }
    facts.push((
        "Store (`SqliteOptions::default()`, as the server opens it)".into(),
        format!(
            "{} connections, busy timeout {} ms; {}",
            options.max_connections,
            options.busy_timeout.as_millis(),
            pragmas.join(", ")
        ),
    ));
    facts.push((
        "Raw side".into(),
        "its own pool of 1 connection, the same pragmas".into(),
    ));
    Ok(facts)
}

fn ms(value: f64) -> String {
    if value.is_nan() {
        "—".into()
    } else if value < 10.0 {
        format!("{value:.2} ms")
    } else {
        format!("{value:.0} ms")
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

impl Report {
    fn markdown(&self, config: Config) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### Machine\n\n| | |\n|---|---|");
        for (name, value) in &self.machine {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        let _ = writeln!(
            out,
            "\n### Loading\n\n| Step | Rows | Time |\n|---|---:|---:|"
        );
        let mut total = Duration::ZERO;
        for (step, rows, time) in &self.load {
            total += *time;
            let _ = writeln!(out, "| {step} | {rows} | {:.1} s |", time.as_secs_f64());
        }
        let _ = writeln!(out, "| **Total** | | **{:.1} s** |", total.as_secs_f64());

        let _ = writeln!(
            out,
            "\n### Hot paths (ours = through `SqliteStore`; raw = the same SQL through sqlx \
             alone, one connection)\n\n\
             {:.0} s per path per level (two slices, ours–raw–raw–ours, after a {:.0} s warm-up \
             each).\n\n\
             | Path | Sellers | Ours ops/s | Raw ops/s | Ours / raw | Ours p50 | Ours p99 | Raw p50 | Raw p99 | Errors |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            2.0 * config.slice.as_secs_f64(),
            WARM_UP.as_secs_f64()
        );
        for row in &self.paths {
            let ratio = row.ours.throughput() / row.raw.throughput();
            let mark = if row.work == Work::Cycle && ratio < TARGET_RATIO {
                " (**below 80%**)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.0} | {:.0}%{mark} | {} | {} | {} | {} | {} |",
                row.work.label(),
                row.sellers,
                row.ours.throughput(),
                row.raw.throughput(),
                100.0 * ratio,
                ms(row.ours.percentile(50.0)),
                ms(row.ours.percentile(99.0)),
                ms(row.raw.percentile(50.0)),
                ms(row.raw.percentile(99.0)),
                row.ours.errors() + row.raw.errors(),
            );
        }
        for row in &self.paths {
            for (name, sample) in [("ours", &row.ours), ("raw", &row.raw)] {
                if let Some(error) = &sample.first_error {
                    let _ = writeln!(
                        out,
                        "\nErrors in {} at {} sellers ({name}): {} (first: {error})",
                        row.work.label(),
                        row.sellers,
                        sample.errors()
                    );
                }
            }
        }

        let _ = writeln!(
            out,
            "\n### Reports and customer search (through the port, read units)\n\n\
             | Operation | Input → output | Median | Runs (ms) | Target | Met |\n\
             |---|---|---:|---|---:|---|"
        );
        for timed in &self.reports {
            let runs: Vec<String> = timed.runs_ms.iter().map(|r| format!("{r:.0}")).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | < {TARGET_REPORT_MS:.0} ms | {} |",
                timed.name,
                timed.input,
                ms(timed.median_ms),
                runs.join(", "),
                if timed.median_ms < TARGET_REPORT_MS {
                    "yes"
                } else {
                    "**no**"
                }
            );
        }

        let _ = writeln!(
            out,
            "\n### Import (`import_batch` + commit in one unit of work, fresh customers, second \
             assignment)\n\n\
             | Import | Rows → result | Time | Target | Met |\n|---|---|---:|---:|---|"
        );
        for (name, imported) in &self.imports {
            let rows = |n: &usize| count_text(i64::try_from(*n).unwrap_or(i64::MAX));
            let target = format!("< {:.0} s", TARGET_IMPORT.as_secs_f64());
            let _ = match imported {
                Imported::Done(n, time, counts) => writeln!(
                    out,
                    "| {name} | {} rows → {counts} | {:.2} s | {target} | {} |",
                    rows(n),
                    time.as_secs_f64(),
                    if *time < TARGET_IMPORT {
                        "yes"
                    } else {
                        "**no**"
                    }
                ),
                Imported::TimedOut(n, limit) => writeln!(
                    out,
                    "| {name} | {} rows | **not done after {:.0} s** (rolled back) | {target} | **no** |",
                    rows(n),
                    limit.as_secs_f64()
                ),
                Imported::Failed(n, error) => writeln!(
                    out,
                    "| {name} | {} rows | **failed**: {error} | {target} | **no** |",
                    rows(n)
                ),
            };
        }
        if let Some(sample) = &self.beside_import {
            let _ = writeln!(
                out,
                "\nThe {IMPORT_SELLERS} sellers during the second import (the cycle through the \
                 port; operations overlapping the import, {:.1} s):\n\n\
                 | Cycles done | Cycles/s | p50 | p99 | Max | Failed | p99 incl. failed |\n\
                 |---:|---:|---:|---:|---:|---:|---:|\n\
                 | {} | {:.0} | {} | {} | {} | {} | {} |",
                sample.elapsed.as_secs_f64(),
                sample.latencies_us.len(),
                sample.throughput(),
                ms(sample.percentile(50.0)),
                ms(sample.percentile(99.0)),
                ms(sample.percentile(100.0)),
                sample.errors(),
                ms(sample.percentile_all(99.0)),
            );
            if let Some(error) = &sample.first_error {
                let _ = writeln!(out, "\nFirst failure: {error}");
            }
        }

        let _ = writeln!(
            out,
            "\n### Against the targets of issue 13\n\n| Target | Measured | Met |\n|---|---|---|"
        );
        if let Some(row) = self
            .paths
            .iter()
            .find(|r| r.work == Work::Reserve && r.sellers == 32)
        {
            let p99 = row.ours.percentile(99.0);
            let _ = writeln!(
                out,
                "| Next customer p99 < {TARGET_NEXT_P99_MS:.0} ms at 32 sellers | {} | {} |",
                ms(p99),
                met(p99 < TARGET_NEXT_P99_MS)
            );
        }
        for row in self.paths.iter().filter(|r| r.work == Work::Cycle) {
            let ratio = row.ours.throughput() / row.raw.throughput();
            let _ = writeln!(
                out,
                "| The cycle ≥ 80% of the raw SQL at {} sellers | {:.0}% ({:.0} / {:.0} per s) | {} |",
                row.sellers,
                100.0 * ratio,
                row.ours.throughput(),
                row.raw.throughput(),
                met(ratio >= TARGET_RATIO)
            );
        }
        for (name, imported) in &self.imports {
            let (text, ok) = match imported {
                Imported::Done(_, time, _) => (
                    format!("{:.2} s", time.as_secs_f64()),
                    *time < TARGET_IMPORT,
                ),
                Imported::TimedOut(_, limit) => (
                    format!("not done after {:.0} s", limit.as_secs_f64()),
                    false,
                ),
                Imported::Failed(_, error) => (format!("failed: {error}"), false),
            };
            let _ = writeln!(
                out,
                "| A 100,000-row import under {:.0} s, {name} | {text} | {} |",
                TARGET_IMPORT.as_secs_f64(),
                met(ok)
            );
        }
        if let Some(sample) = &self.beside_import {
            let _ = writeln!(
                out,
                "| … while {IMPORT_SELLERS} sellers keep working (their p99 stated) | p99 {} over \
                 {} cycles done, {} failed (p99 {} counting the failures) | {} |",
                ms(sample.percentile(99.0)),
                sample.latencies_us.len(),
                sample.errors(),
                ms(sample.percentile_all(99.0)),
                // "Keep working": they did some cycles during the import and none failed.
                met(!sample.latencies_us.is_empty() && sample.errors() == 0)
            );
        }
        let slow: Vec<&Timed> = self
            .reports
            .iter()
            .filter(|t| t.median_ms >= TARGET_REPORT_MS)
            .collect();
        let _ = writeln!(
            out,
            "| Every report (and search) under {TARGET_REPORT_MS:.0} ms | {} | {} |",
            if slow.is_empty() {
                format!("all {} under", self.reports.len())
            } else {
                slow.iter()
                    .map(|t| format!("{}: {}", t.name, ms(t.median_ms)))
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            met(slow.is_empty())
        );

        if !self.notes.is_empty() {
            let _ = writeln!(out);
            for note in &self.notes {
                let _ = writeln!(out, "{note}");
            }
        }
        out
    }
}
