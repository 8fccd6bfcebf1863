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
//!   ([`cube_sqlite::statements`]: `CHOOSE_BY_SEQUENCE` — the tiers `HELD`, `PERSONAL`,
//!   `SHARED`, `POOL_BY_SEQUENCE` as one statement — then `RESERVE`, in one transaction begun
//!   with `BEGIN`) run raw through sqlx. A 1 µs lease makes
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
//! *Raw* has what SQLite needs and no more: one connection of its own (same pragmas, no
//! pool), taken in turn through a fair mutex, which is how a plain sqlx program lets one
//! writer in at a time; *ours* is the store as the server opens it (8 connections, writers
//! taking turns through the store's semaphore).
//!
//! Each pair is measured in slices in the order ours, raw, raw, ours (so a drift of the
//! machine's load cancels), after a warm-up of each. Before them, every report tally of the
//! port (`ReportRepository`) and six customer searches, through read units as the use cases
//! read, median of several runs. After them, a 100,000-row import of fresh customers into a
//! second assignment (`import_batch`, a unit of work per 2,000 rows as the import use case
//! writes it), alone, then another while 8 sellers run the cycle through the
//! port (their latencies during the import are reported). Results are printed as markdown on
//! stdout (each issue-13 target with "met" or "**missed**"), progress on stderr.
//!
//! Environment: `CUBE_BENCH_SCALE` (a fraction of the data, default 1, for trying the bench
//! out), `CUBE_BENCH_SLICE_SECS` (default 5), `CUBE_BENCH_IMPORT_LIMIT_SECS` (default 120: an
//! import not done by then is dropped, rolled back and reported as not done),
//! `CUBE_BENCH_KEEP=1` (keep the database file for `EXPLAIN QUERY PLAN`),
//! `CUBE_BENCH_CONNECTIONS` (the store's pool size, default the server's 8: what the pool
//! costs the writers is in `docs/performance.md`).

mod imports;
mod load;
mod markdown;
mod paths;
mod reports;

use crate::imports::{import_batch, import_beside_sellers, timed_import};
use crate::load::load;
use crate::markdown::{Report, machine_facts};
use crate::paths::{Shared, Work, measure, raw_connection, reset};
use crate::reports::{time_reports, time_searches};
use cube_domain::access::{Role, User};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, UserId};
use cube_domain::outcome::OutcomeClass;
use cube_domain::ports::Store;
use cube_domain::values::{Email, Name};
use cube_sqlite::{SqliteOptions, SqliteStore};
use cube_testkit::fixtures::World;
use cube_testkit::{FixedClock, SequentialIds};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
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
    /// The store's pool size (`SqliteOptions::max_connections`).
    connections: u32,
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
            connections: match std::env::var("CUBE_BENCH_CONNECTIONS") {
                Ok(raw) => raw
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("CUBE_BENCH_CONNECTIONS={raw}: give a pool size"))?,
                Err(_) => SqliteOptions::default().max_connections,
            },
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

    let options = SqliteOptions {
        max_connections: config.connections,
        ..SqliteOptions::default()
    };
    if options != SqliteOptions::default() {
        report.notes.push(format!(
            "**Not the server's pool** (`CUBE_BENCH_CONNECTIONS={}`).",
            config.connections
        ));
    }
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
                phone: None,
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
        raw: raw_connection(path).await?,
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

/// Whether the setup's row is chosen by `CHOOSE_BY_SEQUENCE` (the adapter's "import order" plan:
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

/// `n` and the noun, plural unless `n` is 1.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
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
