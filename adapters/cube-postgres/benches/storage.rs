//! `cargo xtask bench storage`: the PostgreSQL store under load (issue 3, "Measure it").
//!
//! In a database of its own (`cube_bench_<uuid v7>`, dropped at the end) it builds a real
//! organisation through `PgStore` (the testkit's `World`: data owner, products, the seed 003
//! sales flow, an assignment on it, and 32 sellers), then loads 1,000,000 customers enrolled in
//! that assignment and 10,000,000 outcome events over 180 days with set-based SQL
//! (`INSERT … SELECT FROM generate_series`; secondary indexes dropped during the load and built
//! again from their own definitions; then `VACUUM (ANALYZE)`). The rows are in the adapter's own
//! format, so the adapter reads them back (checked on samples): customers are exactly the
//! `World::customer` ones, events carry a compact `jsonb` copy (null optional keys left out).
//!
//! Then, at 1, 8 and 32 concurrent sellers:
//! - **next customer**: `Store::reserve_next` against the same statement
//!   ([`cube_postgres::reserve_statement`]) run raw through sqlx. A 1 ms lease keeps the pool
//!   front steady (a handed-out customer is ready again at once, as when sellers conclude
//!   their customers), so every call does the same work;
//! - **next customer → register outcome**: `reserve_next`, then one unit of work doing what
//!   the register-outcome use case does (read the enrollment, `outcome::register` with the
//!   assignment, flow and catalogue loaded once, update the enrollment and append the event
//!   in one statement, commit), against the same statements ([`cube_postgres::statements`], taken from the
//!   adapter so they cannot drift from it) run raw in one sqlx transaction (the domain's
//!   `register` runs in both). Outcomes rotate: 50% NoAnswer, 20% No sale, 20% Lead with a
//!   follow-up, 10% Sale with a product line. NoAnswer customers wait out their retry delay at
//!   the front of the ready index, as they would in production; between slices their retry
//!   time is cleared so every slice starts alike.
//!
//! Each pair is measured in slices in the order ours, raw, raw, ours (so a drift of the
//! machine's load cancels), after a warm-up of each. At 8 and 32 sellers the raw cycle runs
//! again with the report counters' triggers on and off (on, off, off, on): what the counters
//! cost a cycle; and raw next customer without the contact gate, with it and with a daily
//! cap (none, law, capped, capped, law, none): what the policy costs. Then the status report, the 30-day outcome
//! report and hit analysis (on `industry`) through the port, median of several runs, and a
//! 100,000-row `import_batch` of fresh customers into a second assignment (cancelled, and
//! reported as not done, after `CUBE_BENCH_IMPORT_LIMIT_SECS`, default 120). The results are
//! printed as markdown on stdout, progress on stderr.
//!
//! Environment: `DATABASE_URL` (required; the xtask sets it), `CUBE_BENCH_SCALE` (a fraction of
//! the data, default 1, for trying the bench out), `CUBE_BENCH_SLICE_SECS` (default 5),
//! `CUBE_BENCH_KEEP=1` (keep the database for inspection instead of dropping it),
//! `CUBE_BENCH_ONLY=cycle` (the cycle and the counters' share only, at 8 and 32 sellers: what
//! `cargo xtask bench cycle` runs beside the raw cycle), `CUBE_BENCH_RECORD=<file>` (append the
//! cycle's figures to that file as `key<TAB>value` lines, for `cargo xtask bench cycle`).

use cube_domain::access::{Role, User};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::{AnalysisField, AssignmentSetup};
use cube_domain::customer::{Customer, CustomerFilter, SearchWords};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot, FollowUp, Reservation};
use cube_domain::fields::FieldValues;
use cube_domain::flow::{PublishedFlow, StateCategory};
use cube_domain::ids::{
    AssignmentId, CustomerId, EnrollmentId, MeetingId, OutcomeEventId, OutcomeId, SegmentId,
    StateId, UserId,
};
use cube_domain::outcome::{
    self, NewIds, OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine, ProductLineRequest,
    RegisterOutcome, Registrar, RegistrationContext,
};
use cube_domain::ports::{ImportBatch, ImportRow, NextCustomerRequest, OnMatch, Page, Store};
use cube_domain::product::Product;
use cube_domain::values::{Email, Name};
use cube_postgres::statements::{CONTACT_GATE, ENROLLMENT_BY_ID, UPDATE_ENROLLMENT_WITH_EVENT};
use cube_postgres::{
    BEGIN_GENERIC_PLAN, PgConfig, PgStore, ReserveParam, reserve_statement, rested_since,
};
use cube_testkit::fixtures::{SalesFlow, World};
use cube_testkit::{FixedClock, SequentialIds};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgRow};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Connection, Row};
use std::error::Error;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use tokio::task::JoinSet;
use uuid::Uuid;

type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Enrollments (and customers) at full scale.
const ENROLLMENTS: f64 = 1_000_000.0;
/// Outcome events at full scale.
const EVENTS: f64 = 10_000_000.0;
/// Rows of the import at full scale.
const IMPORT_ROWS: f64 = 100_000.0;
/// Events per loading statement.
const EVENT_CHUNK: i64 = 1_000_000;
/// The events span this many days before the load.
const HISTORY_DAYS: i64 = 180;
/// Sellers created (the most that work at once).
const SELLERS: usize = 32;
/// Concurrent sellers measured.
const LEVELS: [usize; 3] = [1, 8, 32];
/// Warm-up before each measured pair, per path.
const WARM_UP: Duration = Duration::from_secs(1);
/// Runs of each report (after one warm-up run); the median is reported.
const REPORT_RUNS: usize = 7;
/// The targets.
const TARGET_RATIO: f64 = 0.80;
const TARGET_REPORT_MS: f64 = 100.0;
/// Bench databases older than this are leftovers of a killed run and are dropped.
const STALE_AFTER: Duration = Duration::from_secs(3 * 60 * 60);

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
    /// How long the import may take before it is cancelled (and reported as such).
    import_limit: Duration,
    /// The cycle and the counters' share only (`CUBE_BENCH_ONLY=cycle`).
    only_cycle: bool,
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
        let slice = match std::env::var("CUBE_BENCH_SLICE_SECS") {
            Ok(raw) => Duration::from_secs_f64(
                raw.parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .ok_or(format!("CUBE_BENCH_SLICE_SECS={raw}: give seconds"))?,
            ),
            Err(_) => Duration::from_secs(5),
        };
        let keep = std::env::var("CUBE_BENCH_KEEP").is_ok_and(|v| v == "1");
        let import_limit = match std::env::var("CUBE_BENCH_IMPORT_LIMIT_SECS") {
            Ok(raw) => Duration::from_secs_f64(
                raw.parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .ok_or(format!("CUBE_BENCH_IMPORT_LIMIT_SECS={raw}: give seconds"))?,
            ),
            Err(_) => Duration::from_secs(120),
        };
        let only_cycle = match std::env::var("CUBE_BENCH_ONLY") {
            Ok(raw) if raw == "cycle" => true,
            Ok(raw) => {
                return Err(format!(
                    "CUBE_BENCH_ONLY={raw}: the one part that runs alone is `cycle`"
                )
                .into());
            }
            Err(_) => false,
        };
        Ok(Self {
            scale,
            slice,
            keep,
            import_limit,
            only_cycle,
        })
    }

    fn count(&self, full: f64) -> i64 {
        ((full * self.scale).round() as i64).max(100)
    }
}

async fn run() -> BenchResult<()> {
    let config = Config::from_env()?;
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            return Err(
                "DATABASE_URL is not set: the storage bench needs a PostgreSQL server. \
                 Run it through `cargo xtask bench storage` (it finds a server or starts a \
                 throwaway cluster), or set DATABASE_URL, e.g. \
                 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
                    .into(),
            );
        }
    };
    let server = PgConnectOptions::from_str(&url)
        .map_err(|e| format!("DATABASE_URL {url} is not a PostgreSQL URL: {e}"))?;
    let mut admin = PgConnection::connect_with(&server)
        .await
        .map_err(|e| format!("cannot connect to DATABASE_URL {url}: {e}"))?;
    drop_stale_databases(&mut admin).await;
    let name = format!("cube_bench_{}", Uuid::now_v7().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .map_err(|e| format!("cannot create the bench database {name}: {e}"))?;
    eprintln!("storage bench: database {name}");

    let result = bench(config, server.clone().database(&name)).await;

    if config.keep {
        eprintln!("storage bench: kept database {name} (CUBE_BENCH_KEEP=1); drop it when done");
    } else {
        let dropped = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await;
        match dropped {
            Ok(_) => eprintln!("storage bench: dropped database {name}"),
            Err(e) => eprintln!("storage bench: could not drop database {name}: {e}"),
        }
    }
    let _ = admin.close().await;
    result
}

/// When a `cube_bench_<uuid v7>` database was created, from its name.
fn created_at(name: &str) -> Option<SystemTime> {
    let uuid = Uuid::parse_str(name.strip_prefix("cube_bench_")?).ok()?;
    let (seconds, nanos) = uuid.get_timestamp()?.to_unix();
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// Drops bench databases a killed run left behind (they hold gigabytes).
async fn drop_stale_databases(admin: &mut PgConnection) {
    let Ok(rows) = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'cube_bench_%'")
        .fetch_all(&mut *admin)
        .await
    else {
        return;
    };
    let now = SystemTime::now();
    for row in rows {
        let Ok(name) = row.try_get::<String, _>("datname") else {
            continue;
        };
        let stale = created_at(&name)
            .and_then(|created| now.duration_since(created).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            eprintln!("storage bench: dropping the leftover database {name}");
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
}

/// Everything the measured paths share.
struct Shared {
    store: PgStore,
    pool: PgPool,
    assignment: Assignment,
    flow: PublishedFlow,
    catalogue: Vec<Product>,
    sellers: Vec<UserId>,
    /// The assignment's setup with a 1 ms lease (next customer alone).
    short_lease: AssignmentSetup,
    /// `reserve_statement` for the assignment's setup, and its binds after `$5`.
    reserve_sql: Arc<str>,
    reserve_params: Vec<ReserveParam>,
    /// The same statement with the contact gate taken out (every `allowed!` made `true`):
    /// what next customer cost before the policy.
    reserve_sql_no_gate: Arc<str>,
}

/// The markdown report, filled as the bench goes.
#[derive(Default)]
struct Report {
    machine: Vec<(String, String)>,
    load: Vec<(String, String, Duration)>,
    paths: Vec<PathRow>,
    /// The raw cycle with the report counters' triggers on and off, per level.
    counters: Vec<(usize, Sample, Sample)>,
    /// Raw next customer without the contact gate, with it, and with it and a daily cap,
    /// per level.
    policy: Vec<(usize, Sample, Sample, Sample)>,
    reports: Vec<Timed>,
    import: Option<Imported>,
    notes: Vec<String>,
}

/// How the import went.
enum Imported {
    /// Done: rows, time, and what it did.
    Done(usize, Duration, String),
    /// Cancelled after the time limit.
    TimedOut(usize, Duration),
    /// Failed.
    Failed(usize, String),
}

/// A report's timings.
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

async fn bench(config: Config, options: PgConnectOptions) -> BenchResult<()> {
    let enrollments = config.count(ENROLLMENTS);
    let events = config.count(EVENTS);
    let import_rows = usize::try_from(config.count(IMPORT_ROWS))?;
    let mut report = Report::default();
    if config.scale < 1.0 {
        report.notes.push(format!(
            "**Reduced run** (`CUBE_BENCH_SCALE={}`): {enrollments} enrollments, {events} \
             events, {import_rows} imported rows.",
            config.scale
        ));
    }

    let pg_config = PgConfig {
        max_connections: u32::try_from(SELLERS)? + 2,
        acquire_timeout: Duration::from_secs(60),
    };
    let store = PgStore::connect_with(options.clone(), pg_config).await?;
    store.migrate().await?;
    report.machine = machine_facts(store.pool()).await?;

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
        "Organisation, data owner, products, flows, 2 assignments, 32 sellers (through `PgStore`)"
            .into(),
        "—".into(),
        started.elapsed(),
    ));

    load(
        &options,
        &store,
        &world,
        &sellers,
        load_now,
        enrollments,
        events,
        &mut report,
    )
    .await?;

    // The reports, on the freshly loaded (and vacuumed) data.
    if !config.only_cycle {
        time_reports(&store, &world, &mut report).await?;
        time_searches(&store, &world, enrollments, &mut report).await?;
    }

    // The hot paths.
    let setup = world.assignment.setup().clone();
    let (sql, params) = reserve_statement(&setup);
    let mut short_lease = setup.clone();
    short_lease.lease = time::Duration::milliseconds(1);
    let shared = Arc::new(Shared {
        pool: store.pool().clone(),
        store: store.clone(),
        assignment: world.assignment.clone(),
        flow: world.sales_flow.clone(),
        catalogue: world.products.clone(),
        sellers,
        short_lease,
        reserve_sql_no_gate: Arc::from(sql.replace(CONTACT_GATE, "true")),
        reserve_sql: Arc::from(sql),
        reserve_params: params,
    });
    if shared.reserve_sql_no_gate.contains("contact_block")
        || !shared.reserve_sql.contains(CONTACT_GATE)
    {
        return Err("the contact gate was not found in the reserve statement".into());
    }
    let updates_before = enrollment_updates(&shared.pool).await?;
    let (works, levels): (&[Work], &[usize]) = if config.only_cycle {
        (&[Work::Cycle], &[8, 32])
    } else {
        (&[Work::Reserve, Work::Cycle], &LEVELS)
    };
    for &work in works {
        for &sellers in levels {
            let row = measure(&shared, work, sellers, config.slice).await?;
            if work == Work::Cycle {
                record(&format!("storage.ours.{sellers}"), row.ours.throughput());
                record(
                    &format!("storage.ours.{sellers}.p99_ms"),
                    row.ours.percentile(99.0),
                );
                record(&format!("storage.raw.{sellers}"), row.raw.throughput());
            }
            eprintln!(
                "  {} at {sellers} sellers: ours {:.0}/s, raw {:.0}/s ({:.0}%)",
                work.label(),
                row.ours.throughput(),
                row.raw.throughput(),
                100.0 * row.ours.throughput() / row.raw.throughput()
            );
            report.paths.push(row);
        }
    }
    // How the cycle's enrollment updates were written: a HOT update (no indexed column
    // changed, room on the page) writes no index entry; any other writes one in every index.
    tokio::time::sleep(Duration::from_secs(2)).await; // the backends' statistics are flushed
    let updates_after = enrollment_updates(&shared.pool).await?;
    let updated = (updates_after.0 - updates_before.0).max(1);
    let hot = updates_after.1 - updates_before.1;
    let indexes = updates_after.2;
    eprintln!(
        "  enrollment updates during the hot paths: {updated}, HOT {hot} ({:.0}%); {indexes} indexes on enrollments",
        100.0 * hot as f64 / updated as f64
    );
    record(
        "storage.enrollments.hot_percent",
        100.0 * hot as f64 / updated as f64,
    );
    record("storage.enrollments.indexes", indexes as f64);
    report.notes.push(format!(
        "Enrollment updates while the hot paths ran: {updated}, of which HOT (no index \
         entry written) {hot} ({:.0}%); enrollments has {indexes} indexes, each written on \
         every other update.",
        100.0 * hot as f64 / updated as f64
    ));
    for sellers in [8, 32] {
        let (with, without) = counters_share(&shared, sellers, config.slice).await?;
        eprintln!(
            "  raw cycle at {sellers} sellers: counters on {:.0}/s, off {:.0}/s",
            with.throughput(),
            without.throughput()
        );
        record(
            &format!("storage.counters_share.{sellers}"),
            100.0 * (1.0 - with.throughput() / without.throughput()),
        );
        report.counters.push((sellers, with, without));
    }
    if config.only_cycle {
        println!("{}", report.markdown(config));
        store.close().await;
        return Ok(());
    }
    for sellers in [8, 32] {
        let (none, law, capped) = policy_share(&shared, sellers, config.slice).await?;
        eprintln!(
            "  raw next customer at {sellers} sellers: no gate {:.0}/s, gate {:.0}/s, gate and daily cap {:.0}/s",
            none.throughput(),
            law.throughput(),
            capped.throughput()
        );
        report.policy.push((sellers, none, law, capped));
    }

    // The import, into the second assignment, within a time limit.
    let batch = import_batch(&world, &second, enrollments, import_rows)?;
    let imported = tokio::time::timeout(config.import_limit, import(&store, &batch)).await;
    report.import = Some(match imported {
        Ok(Ok((elapsed, counts))) => Imported::Done(import_rows, elapsed, counts),
        Ok(Err(error)) => Imported::Failed(import_rows, error.to_string()),
        Err(_) => {
            // The unit of work was dropped with its statement still running on the server.
            eprintln!(
                "  import: not done after {:.0} s; cancelling it",
                config.import_limit.as_secs_f64()
            );
            sqlx::query(
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND state = 'active'",
            )
            .execute(store.pool())
            .await?;
            Imported::TimedOut(import_rows, config.import_limit)
        }
    });

    println!("{}", report.markdown(config));
    store.close().await;
    Ok(())
}

/// Now, truncated to the microsecond as the database keeps it.
/// The enrollments table's updates so far, how many of them were HOT, and its indexes.
async fn enrollment_updates(pool: &PgPool) -> BenchResult<(i64, i64, i64)> {
    let row = sqlx::query(
        "SELECT n_tup_upd, n_tup_hot_upd,
                (SELECT count(*) FROM pg_indexes WHERE tablename = 'enrollments') AS indexes
         FROM pg_stat_user_tables WHERE relname = 'enrollments'",
    )
    .fetch_one(pool)
    .await?;
    Ok((
        row.try_get("n_tup_upd")?,
        row.try_get("n_tup_hot_upd")?,
        row.try_get("indexes")?,
    ))
}

/// Appends `key<TAB>value` to the file `CUBE_BENCH_RECORD` names, if it names one (the figures
/// `cargo xtask bench cycle` sets beside the raw cycle's).
fn record(key: &str, value: f64) {
    let Ok(path) = std::env::var("CUBE_BENCH_RECORD") else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| {
            use std::io::Write as _;
            writeln!(file, "{key}\t{value:.3}")
        });
    if let Err(error) = written {
        eprintln!("storage bench: could not record {key} in {path}: {error}");
    }
}

fn now_us() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// The id of loaded row `index` (from 0) under `prefix`.
fn patterned_id(prefix: u32, index: i64) -> Uuid {
    let index = u128::from(index.unsigned_abs()) & 0xffff_ffff_ffff;
    Uuid::from_u128((u128::from(prefix) << 96) | (0x7000_u128 << 64) | (0x8000_u128 << 48) | index)
}

/// SQL for [`patterned_id`] of the index expression `expr`.
fn id_sql(prefix: u32, expr: &str) -> String {
    format!("('{prefix:08x}-0000-7000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid")
}

/// One kind of loaded event: its share of the log (in percent) and what it records.
struct EventKind {
    percent: u32,
    outcome: OutcomeId,
    class: OutcomeClass,
    from: StateId,
    to: StateId,
    to_category: StateCategory,
    sale: bool,
}

fn event_kinds() -> [EventKind; 6] {
    let kind = |percent, outcome, class, from, to, to_category, sale| EventKind {
        percent,
        outcome,
        class,
        from,
        to,
        to_category,
        sale,
    };
    use OutcomeClass::{NoAnswer, Progress};
    use StateCategory::{Available, Excluded, No, Open, Yes};
    let s = SalesFlow::TO_CALL;
    [
        kind(55, SalesFlow::O_NO_ANSWER, NoAnswer, s, s, Available, false),
        kind(
            12,
            SalesFlow::O_LEAD,
            Progress,
            s,
            SalesFlow::LEAD,
            Open,
            false,
        ),
        kind(
            8,
            SalesFlow::O_OFFER,
            Progress,
            SalesFlow::LEAD,
            SalesFlow::OFFER,
            Open,
            false,
        ),
        kind(
            5,
            SalesFlow::O_SALE,
            Progress,
            SalesFlow::OFFER,
            SalesFlow::SALE,
            Yes,
            true,
        ),
        kind(
            17,
            SalesFlow::O_NO_SALE,
            Progress,
            s,
            SalesFlow::NO_SALE,
            No,
            false,
        ),
        kind(
            3,
            SalesFlow::O_EXCLUDED,
            Progress,
            s,
            SalesFlow::EXCLUDED,
            Excluded,
            false,
        ),
    ]
}

/// A state category as the schema stores it (mirrors the adapter's `codec`).
fn category_text(category: StateCategory) -> &'static str {
    match category {
        StateCategory::Available => "available",
        StateCategory::Open => "open",
        StateCategory::Yes => "yes",
        StateCategory::No => "no",
        StateCategory::Excluded => "excluded",
    }
}

fn parse_category(text: &str) -> BenchResult<StateCategory> {
    Ok(match text {
        "available" => StateCategory::Available,
        "open" => StateCategory::Open,
        "yes" => StateCategory::Yes,
        "no" => StateCategory::No,
        "excluded" => StateCategory::Excluded,
        other => return Err(format!("unknown state category {other}").into()),
    })
}

/// An outcome class as the schema stores it (mirrors the adapter's `codec`).
fn class_text(class: OutcomeClass) -> &'static str {
    match class {
        OutcomeClass::Progress => "progress",
        OutcomeClass::NoAnswer => "no_answer",
        OutcomeClass::CallBackLater => "call_back_later",
        OutcomeClass::External => "external",
    }
}

/// A price as integer minor units and scale (mirrors the adapter's `codec::to_minor_units`).
fn minor_units(price: Decimal) -> BenchResult<(i64, i16)> {
    let normalized = price.normalize();
    Ok((
        i64::try_from(normalized.mantissa())?,
        i16::try_from(normalized.scale())?,
    ))
}

/// A connection for loading: no wait for the WAL flush, room for index builds.
async fn load_connection(options: &PgConnectOptions) -> BenchResult<PgConnection> {
    let mut conn = PgConnection::connect_with(options).await?;
    for setting in [
        "SET synchronous_commit = off",
        "SET maintenance_work_mem = '1GB'",
        "SET work_mem = '256MB'",
    ] {
        sqlx::query(setting).execute(&mut conn).await?;
    }
    Ok(conn)
}

/// The table's indexes that back no constraint: name and definition.
async fn secondary_indexes(
    conn: &mut PgConnection,
    table: &str,
) -> BenchResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = $1::text::regclass
           AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
         ORDER BY c.relname",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("name")?, row.try_get("def")?)))
        .collect()
}

/// Runs statements on two connections at once, alternating.
async fn on_two(
    a: &mut PgConnection,
    b: &mut PgConnection,
    statements: &[String],
) -> BenchResult<()> {
    async fn each(conn: &mut PgConnection, statements: Vec<String>) -> BenchResult<()> {
        for statement in statements {
            sqlx::query(AssertSqlSafe(statement))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
    let first = statements.iter().step_by(2).cloned().collect();
    let second = statements.iter().skip(1).step_by(2).cloned().collect();
    tokio::try_join!(each(a, first), each(b, second))?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn load(
    options: &PgConnectOptions,
    store: &PgStore,
    world: &World,
    sellers: &[UserId],
    load_now: OffsetDateTime,
    enrollments: i64,
    events: i64,
    report: &mut Report,
) -> BenchResult<()> {
    let mut a = load_connection(options).await?;
    let mut b = load_connection(options).await?;
    let tables = [
        "customers",
        "enrollments",
        "outcome_events",
        "event_product_lines",
    ];
    let mut indexes = Vec::new();
    for table in tables {
        for (name, def) in secondary_indexes(&mut a, table).await? {
            sqlx::query(AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                .execute(&mut a)
                .await?;
            indexes.push(def);
        }
    }
    let seller_ids: Vec<Uuid> = sellers.iter().map(|s| s.as_uuid()).collect();
    let assignment = world.assignment.id().as_uuid();

    // Customers: `World::customer(i)` exactly, from a template of customer 0.
    eprintln!("loading {enrollments} customers …");
    let started = Instant::now();
    let template = serde_json::to_value(World::customer(
        CustomerId::from_uuid(Uuid::nil()),
        &world.data_owner,
        0,
    ))?;
    let customer_id = id_sql(CUSTOMER_PREFIX, "i");
    let statement = format!(
        "INSERT INTO customers (id, data_owner_id, external_id, phones, data, dataset,
                               search_text)
         SELECT c.id, $1, 'ext-' || c.num, ARRAY[c.phone],
                $2::jsonb || jsonb_build_object(
                    'id', c.id,
                    'details', ($2::jsonb -> 'details') || jsonb_build_object(
                        'name', 'Customer ' || c.num,
                        'phones', jsonb_build_array(c.phone),
                        'address', 'Storgata ' || (c.i % 200 + 1) || ', Oslo',
                        'external_id', 'ext-' || c.num),
                    'fields', jsonb_build_object(
                        'industry', jsonb_build_object('type', 'choice',
                            'value', ($4::text[])[c.i % 3 + 1]),
                        'employees', jsonb_build_object('type', 'number',
                            'value', c.i % 500 * 37 % 500 + 1))),
                'B2b',
                -- Customer::search_text of the fixture customer: ASCII only, so `lower`
                -- folds it exactly like Rust (check_customers compares a sample).
                lower('Customer ' || c.num || E'\n' || c.phone || E'\n' || 'Storgata '
                      || (c.i % 200 + 1) || ', Oslo' || E'\n' || 'ext-' || c.num)
         FROM (SELECT i, {customer_id} AS id,
                      lpad(i::text, greatest(5, length(i::text)), '0') AS num,
                      '+479' || lpad((i % 10000000)::text, 7, '0') AS phone
               FROM generate_series(0::bigint, $3 - 1) AS i) c"
    );
    sqlx::query(AssertSqlSafe(statement))
        .bind(world.data_owner.id().as_uuid())
        .bind(Json(&template))
        .bind(enrollments)
        .bind(World::INDUSTRIES.to_vec())
        .execute(&mut a)
        .await?;
    report.load.push((
        "Customers (`INSERT … SELECT generate_series`)".into(),
        count_text(enrollments),
        started.elapsed(),
    ));

    // Enrollments: 55% To Call (ready), 15% open with a future follow-up, 8% Sale, 17% No
    // sale, 5% Excluded; import order = customer order.
    eprintln!("loading {enrollments} enrollments …");
    let started = Instant::now();
    let enrollment_id = id_sql(ENROLLMENT_PREFIX, "i");
    let statement = format!(
        "INSERT INTO enrollments (id, assignment_id, customer_id, state_id, category, segment_id,
             attempts, last_contact, follow_up_due, follow_up_owner, no_answer_at, reserved_by,
             reserved_until, sequence, enrolled_at)
         SELECT e.id, $1, e.customer, ($2::uuid[])[e.s],
                (ARRAY['available', 'open', 'open', 'open', 'yes', 'no', 'excluded'])[e.s],
                NULL,
                CASE WHEN e.s = 1 THEN e.i % 4 ELSE 1 + e.i % 3 END,
                CASE WHEN e.s = 1 AND e.i % 4 = 0 THEN NULL
                     ELSE $5 - make_interval(days => (e.i % 179 + 1)::int) END,
                CASE WHEN e.s IN (2, 3, 4) THEN $5 + make_interval(days => (1 + e.i % 30)::int) END,
                CASE WHEN e.s IN (2, 3, 4) AND e.i % 2 = 0
                     THEN ($3::uuid[])[e.i % cardinality($3::uuid[]) + 1] END,
                NULL, NULL, NULL, e.i + 1, $5 - interval '181 days'
         FROM (SELECT i, {enrollment_id} AS id, {customer_id} AS customer,
                      CASE WHEN h < 55 THEN 1 WHEN h < 62 THEN 2 WHEN h < 67 THEN 3
                           WHEN h < 70 THEN 4 WHEN h < 78 THEN 5 WHEN h < 95 THEN 6
                           ELSE 7 END AS s
               FROM (SELECT i, (hashint8(i) % 100 + 100) % 100 AS h
                     FROM generate_series(0::bigint, $4 - 1) AS i) x) e"
    );
    let states: Vec<Uuid> = [
        SalesFlow::TO_CALL,
        SalesFlow::LEAD,
        SalesFlow::OFFER,
        SalesFlow::SALE_TO_FOLLOWUP,
        SalesFlow::SALE,
        SalesFlow::NO_SALE,
        SalesFlow::EXCLUDED,
    ]
    .iter()
    .map(|s| s.as_uuid())
    .collect();
    sqlx::query(AssertSqlSafe(statement))
        .bind(assignment)
        .bind(&states)
        .bind(&seller_ids)
        .bind(enrollments)
        .bind(load_now)
        .execute(&mut a)
        .await?;
    report.load.push((
        "Enrollments (`INSERT … SELECT generate_series`)".into(),
        count_text(enrollments),
        started.elapsed(),
    ));

    // Outcome events: in time order over the last 180 days, each on a pseudo-random
    // enrollment (every enrollment gets events/enrollments of them), by the sellers in turn.
    eprintln!("loading {events} outcome events …");
    let started = Instant::now();
    let kinds = event_kinds();
    let product = &world.products[0];
    let line = ProductLine {
        product: product.id(),
        quantity: 1,
        unit_price: product.unit_price(),
        currency: product.currency().clone(),
    };
    let mut templates = Vec::new();
    for kind in &kinds {
        let event = OutcomeEvent::from(OutcomeEventRecord {
            id: OutcomeEventId::from_uuid(Uuid::nil()),
            assignment: world.assignment.id(),
            enrollment: EnrollmentId::from_uuid(Uuid::nil()),
            customer: CustomerId::from_uuid(Uuid::nil()),
            occurred_at: load_now,
            user: None,
            outcome: Some(kind.outcome),
            class: kind.class,
            option: None,
            from_state: kind.from,
            to_state: kind.to,
            to_category: kind.to_category,
            fields: FieldValues::new(),
            products: if kind.sale {
                vec![line.clone()]
            } else {
                Vec::new()
            },
            meeting: None,
            follow_up: None,
            note: None,
        });
        let mut value = serde_json::to_value(&event)?;
        if let Value::Object(map) = &mut value {
            map.retain(|_, v| !v.is_null());
        }
        templates.push(Json(value));
    }
    let mut kind_case = String::from("CASE");
    let mut bound = 0;
    for (k, kind) in kinds.iter().enumerate() {
        bound += kind.percent;
        let _ = write!(kind_case, " WHEN h < {bound} THEN {}", k + 1);
    }
    kind_case.push_str(" END");
    let event_id = id_sql(EVENT_PREFIX, "g");
    let enrollment_of = id_sql(ENROLLMENT_PREFIX, "m");
    let customer_of = id_sql(CUSTOMER_PREFIX, "m");
    let statement = format!(
        "WITH inserted AS (
         INSERT INTO outcome_events (id, assignment_id, enrollment_id, customer_id, occurred_at,
             user_id, outcome_id, class, option, from_state, to_state, to_category, meeting_id,
             product_lines, idempotency_key, event)
         SELECT v.id, $1, v.enrollment, v.customer, v.at, v.user_id, ($7::uuid[])[v.k],
                ($8::text[])[v.k], NULL, ($9::uuid[])[v.k], ($10::uuid[])[v.k],
                ($11::text[])[v.k], NULL, ($12::int[])[v.k], NULL,
                ($13::jsonb[])[v.k] || jsonb_build_object(
                    'id', v.id, 'enrollment', v.enrollment, 'customer', v.customer,
                    'user', v.user_id,
                    'occurred_at', to_char(v.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')
                                   || ' +00:00:00')
         FROM (SELECT g, {event_id} AS id, {enrollment_of} AS enrollment,
                      {customer_of} AS customer,
                      $4::timestamptz + make_interval(secs => g * $5::float8) AS at,
                      ($6::uuid[])[g % cardinality($6::uuid[]) + 1] AS user_id,
                      {kind_case} AS k
               FROM (SELECT g, (g * 7919) % $14 AS m, (hashint8(g) % 100 + 100) % 100 AS h
                     FROM generate_series($2::bigint, $3 - 1) AS g) s) v
         RETURNING id, occurred_at, to_category, product_lines)
         INSERT INTO event_product_lines (event_id, line_no, assignment_id, occurred_at,
             to_category, product_id, currency, quantity, unit_price_minor, unit_price_scale)
         SELECT id, 0, $1, occurred_at, to_category, $15, $16, $17, $18, $19
         FROM inserted WHERE product_lines > 0"
    );
    let (minor, scale) = minor_units(line.unit_price)?;
    let start = load_now - time::Duration::days(HISTORY_DAYS);
    let loader = EventLoader {
        statement,
        assignment,
        start,
        step: (HISTORY_DAYS * 86_400) as f64 / events as f64,
        sellers: seller_ids.clone(),
        outcomes: kinds.iter().map(|k| k.outcome.as_uuid()).collect(),
        classes: kinds.iter().map(|k| class_text(k.class)).collect(),
        froms: kinds.iter().map(|k| k.from.as_uuid()).collect(),
        tos: kinds.iter().map(|k| k.to.as_uuid()).collect(),
        categories: kinds.iter().map(|k| category_text(k.to_category)).collect(),
        lines: kinds.iter().map(|k| i32::from(k.sale)).collect(),
        templates,
        enrollments,
        line: (
            line.product.as_uuid(),
            line.currency.as_str().to_owned(),
            i64::from(line.quantity),
            minor,
            scale,
        ),
        started,
    };
    let chunks: Vec<(i64, i64)> = (0..events)
        .step_by(usize::try_from(EVENT_CHUNK)?)
        .map(|from| (from, (from + EVENT_CHUNK).min(events)))
        .collect();
    // The first chunk alone, read back through the adapter before loading the rest.
    let (first, rest) = chunks.split_first().ok_or("no events to load")?;
    loader.chunks(&mut a, &[*first]).await?;
    check_events(store, world, &loader, first.1).await?;
    let left: Vec<(i64, i64)> = rest.iter().step_by(2).copied().collect();
    let right: Vec<(i64, i64)> = rest.iter().skip(1).step_by(2).copied().collect();
    tokio::try_join!(loader.chunks(&mut a, &left), loader.chunks(&mut b, &right))?;
    report.load.push((
        "Outcome events and the Sale events' product lines (`INSERT … SELECT generate_series`, \
         1M events per statement, 2 connections)"
            .into(),
        count_text(events),
        started.elapsed(),
    ));

    eprintln!("building {} secondary indexes …", indexes.len());
    let started = Instant::now();
    on_two(&mut a, &mut b, &indexes).await?;
    report.load.push((
        format!(
            "Secondary indexes built again ({}, 2 connections)",
            indexes.len()
        ),
        "—".into(),
        started.elapsed(),
    ));

    eprintln!("VACUUM (ANALYZE) …");
    let started = Instant::now();
    let vacuums: Vec<String> = [
        "outcome_events",
        "customers",
        "enrollments",
        "event_product_lines",
        // The report counters the load's triggers kept (migration 0003).
        "outcome_rollups",
        "sales_rollups",
        "status_counts",
        "hit_counts",
    ]
    .iter()
    .map(|t| format!("VACUUM (ANALYZE) {t}"))
    .collect();
    on_two(&mut a, &mut b, &vacuums).await?;
    report.load.push((
        "`VACUUM (ANALYZE)` (statistics, and the visibility map index-only scans need)".into(),
        "—".into(),
        started.elapsed(),
    ));
    // The load wrote gigabytes of WAL: finish its checkpoint now rather than during the
    // measurements.
    let started = Instant::now();
    sqlx::query("CHECKPOINT").execute(&mut a).await?;
    report.load.push((
        "`CHECKPOINT` (so the measurements do not share the disk with it)".into(),
        "—".into(),
        started.elapsed(),
    ));
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&mut a)
        .await?;
    report.notes.push(format!(
        "Database size after loading: {:.1} GiB.",
        size as f64 / f64::from(1u32 << 30)
    ));
    check_customers(store, world, enrollments).await?;
    let _ = a.close().await;
    let _ = b.close().await;
    Ok(())
}

/// Reads loaded customers and enrollments back through the adapter and compares them with
/// what `World` would have made.
async fn check_customers(store: &PgStore, world: &World, count: i64) -> BenchResult<()> {
    let mut uow = store.begin().await?;
    for i in [0, 1, count / 2, count - 1] {
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
            sqlx::query_scalar("SELECT search_text FROM customers WHERE id = $1")
                .bind(id.as_uuid())
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
    Ok(())
}

/// Reads a few loaded events back through the adapter.
async fn check_events(
    store: &PgStore,
    world: &World,
    loader: &EventLoader,
    loaded: i64,
) -> BenchResult<()> {
    let mut uow = store.begin().await?;
    for g in [0, 1, loaded / 2, loaded - 1] {
        let id = OutcomeEventId::from_uuid(patterned_id(EVENT_PREFIX, g));
        let event = uow
            .event(id)
            .await?
            .ok_or(format!("loaded event {g} not found"))?;
        let m = (g * 7919) % loader.enrollments;
        let at = loader.start + time::Duration::seconds_f64(g as f64 * loader.step);
        let off = (event.occurred_at() - at).abs();
        if event.id() != id
            || event.assignment() != world.assignment.id()
            || event.enrollment().as_uuid() != patterned_id(ENROLLMENT_PREFIX, m)
            || event.customer().as_uuid() != patterned_id(CUSTOMER_PREFIX, m)
            || off > time::Duration::milliseconds(1)
        {
            return Err(format!("loaded event {g} reads back as {event:?}").into());
        }
    }
    Ok(())
}

/// The events' loading statement and what it binds.
struct EventLoader {
    statement: String,
    assignment: Uuid,
    /// The first event's time, and the seconds between two events.
    start: OffsetDateTime,
    step: f64,
    sellers: Vec<Uuid>,
    /// The kinds' columns, by kind.
    outcomes: Vec<Uuid>,
    classes: Vec<&'static str>,
    froms: Vec<Uuid>,
    tos: Vec<Uuid>,
    categories: Vec<&'static str>,
    lines: Vec<i32>,
    templates: Vec<Json<Value>>,
    enrollments: i64,
    /// The Sale events' product line: product, currency, quantity, minor units, scale.
    line: (Uuid, String, i64, i64, i16),
    started: Instant,
}

impl EventLoader {
    /// Loads the events `[from, to)` of each chunk on `conn`.
    async fn chunks(&self, conn: &mut PgConnection, chunks: &[(i64, i64)]) -> BenchResult<()> {
        for &(from, to) in chunks {
            sqlx::query(AssertSqlSafe(self.statement.as_str()))
                .bind(self.assignment)
                .bind(from)
                .bind(to)
                .bind(self.start)
                .bind(self.step)
                .bind(&self.sellers)
                .bind(&self.outcomes)
                .bind(&self.classes)
                .bind(&self.froms)
                .bind(&self.tos)
                .bind(&self.categories)
                .bind(&self.lines)
                .bind(&self.templates)
                .bind(self.enrollments)
                .bind(self.line.0)
                .bind(self.line.1.as_str())
                .bind(self.line.2)
                .bind(self.line.3)
                .bind(self.line.4)
                .execute(&mut *conn)
                .await?;
            eprintln!(
                "  events to {to}: {:.1} s",
                self.started.elapsed().as_secs_f64()
            );
        }
        Ok(())
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

/// The three reports through the port, each timed `REPORT_RUNS` times after a warm-up.
async fn time_reports(store: &PgStore, world: &World, report: &mut Report) -> BenchResult<()> {
    let assignment = world.assignment.id();
    let to = now_us();
    let from = to - time::Duration::days(30);
    let window_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outcome_events
         WHERE assignment_id = $1 AND occurred_at >= $2 AND occurred_at < $3",
    )
    .bind(assignment.as_uuid())
    .bind(from)
    .bind(to)
    .fetch_one(store.pool())
    .await?;
    let concluded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM enrollments WHERE assignment_id = $1 AND category IN ('yes', 'no')",
    )
    .bind(assignment.as_uuid())
    .fetch_one(store.pool())
    .await?;
    let enrollments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM enrollments WHERE assignment_id = $1")
            .bind(assignment.as_uuid())
            .fetch_one(store.pool())
            .await?;
    let fields = [AnalysisField::Crm(World::industry())];
    for which in 0..3 {
        let mut times = Vec::new();
        let mut groups = 0;
        for run in 0..=REPORT_RUNS {
            let mut uow = store.begin().await?;
            let started = Instant::now();
            let rows = match which {
                0 => uow.status_tally(assignment).await?.len(),
                1 => uow.outcome_tally(&[assignment], from, to).await?.len(),
                _ => uow.hit_tally(assignment, &fields).await?.len(),
            };
            let elapsed = started.elapsed().as_secs_f64() * 1_000.0;
            drop(uow);
            groups = rows;
            if run > 0 {
                times.push(elapsed);
            }
        }
        let median = median(&mut times);
        let (name, input) = match which {
            0 => (
                "Customer status (`status_tally`)",
                format!("{} enrollments", count_text(enrollments)),
            ),
            1 => (
                "30-day outcome report (`outcome_tally`, last 30 days)",
                format!("{} of the events", count_text(window_events)),
            ),
            _ => (
                "Hit analysis on `industry` (`hit_tally`)",
                format!("{} concluded enrollments", count_text(concluded)),
            ),
        };
        eprintln!("  {name}: median {median:.1} ms ({groups} rows out)");
        report.reports.push(Timed {
            name: name.into(),
            input: format!("{input} → {groups} rows"),
            median_ms: median,
            runs_ms: times,
        });
    }
    Ok(())
}

/// Customer searches through the port (`customers` with a `CustomerFilter`, first page of
/// 50), each timed `REPORT_RUNS` times after a warm-up, over the loaded customers.
async fn time_searches(
    store: &PgStore,
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
        (
            "a two-letter word found nowhere (no trigram to use)",
            words("zq")?,
        ),
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
        let mut times = Vec::new();
        let mut found = 0;
        for run in 0..=REPORT_RUNS {
            let mut uow = store.begin().await?;
            let started = Instant::now();
            found = uow.customers(owner, &filter, page).await?.len();
            let elapsed = started.elapsed().as_secs_f64() * 1_000.0;
            drop(uow);
            if run > 0 {
                times.push(elapsed);
            }
        }
        let median = median(&mut times);
        eprintln!("  Customer search, {name}: median {median:.1} ms ({found} found)");
        report.reports.push(Timed {
            name: format!("Customer search (`customers`), {name}"),
            input: format!("{} customers → first page: {found}", count_text(customers)),
            median_ms: median,
            runs_ms: times,
        });
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
enum Path {
    Ours,
    Raw,
    /// Raw, the statement without the contact gate.
    RawNoGate,
    /// Raw, the gate with a daily cap (its count read for every candidate).
    RawCapped,
}

/// How the raw next customer applies the contact gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Not at all: the statement before the policy.
    None,
    /// As the law has it (the adapter's statement).
    Law,
    /// As the law has it, with a daily cap.
    Capped,
}

/// Latencies of one path and how long the slices took.
#[derive(Debug, Default)]
struct Sample {
    latencies_us: Vec<u64>,
    elapsed: Duration,
    errors: u64,
    first_error: Option<String>,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.latencies_us.extend(other.latencies_us);
        self.elapsed += other.elapsed;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn throughput(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`th percentile in milliseconds.
    fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1_000.0
    }
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
    for path in [Path::Ours, Path::Raw] {
        run_slice(shared, work, path, sellers, WARM_UP).await;
        reset(shared, work).await?;
    }
    for path in [Path::Ours, Path::Raw, Path::Raw, Path::Ours] {
        let sample = run_slice(shared, work, path, sellers, slice).await;
        reset(shared, work).await?;
        match path {
            Path::Ours => ours.merge(sample),
            _ => raw.merge(sample),
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

/// The report counters' triggers a cycle fires (issue 19: "if you keep triggers, show they
/// cost less than a third of the cycle").
const COUNTER_TRIGGERS: [(&str, &str); 3] = [
    ("outcome_events", "outcome_events_roll_up"),
    ("event_product_lines", "event_product_lines_roll_up"),
    ("enrollments", "enrollments_count_changed"),
];

async fn counter_triggers(shared: &Shared, enabled: bool) -> BenchResult<()> {
    let verb = if enabled { "ENABLE" } else { "DISABLE" };
    for (table, trigger) in COUNTER_TRIGGERS {
        sqlx::query(AssertSqlSafe(format!(
            "ALTER TABLE {table} {verb} TRIGGER {trigger}"
        )))
        .execute(&shared.pool)
        .await?;
    }
    Ok(())
}

/// The raw cycle at one level with the counters' triggers on and off, in the order on, off,
/// off, on (a drift of the machine's load cancels). The triggers are on again afterwards,
/// whatever happened; the counters are then behind the events of the "off" slices, which
/// nothing later in the bench reads (the reports were timed before).
async fn counters_share(
    shared: &Arc<Shared>,
    sellers: usize,
    slice: Duration,
) -> BenchResult<(Sample, Sample)> {
    let mut with = Sample::default();
    let mut without = Sample::default();
    for enabled in [true, false, false, true] {
        counter_triggers(shared, enabled).await?;
        let sample = run_slice(shared, Work::Cycle, Path::Raw, sellers, slice).await;
        reset(shared, Work::Cycle).await?;
        if enabled {
            with.merge(sample);
        } else {
            without.merge(sample);
        }
    }
    counter_triggers(shared, true).await?;
    Ok((with, without))
}

/// Raw next customer at one level without the contact gate, with it (the law: consumers may
/// be called, checked this month) and with it and a daily cap, in the order none, law,
/// capped, capped, law, none (a drift of the machine's load cancels).
async fn policy_share(
    shared: &Arc<Shared>,
    sellers: usize,
    slice: Duration,
) -> BenchResult<(Sample, Sample, Sample)> {
    let (mut none, mut law, mut capped) = (Sample::default(), Sample::default(), Sample::default());
    for path in [Path::RawNoGate, Path::Raw, Path::RawCapped] {
        run_slice(shared, Work::Reserve, path, sellers, WARM_UP).await;
    }
    for path in [
        Path::RawNoGate,
        Path::Raw,
        Path::RawCapped,
        Path::RawCapped,
        Path::Raw,
        Path::RawNoGate,
    ] {
        let sample = run_slice(shared, Work::Reserve, path, sellers, slice).await;
        match path {
            Path::RawNoGate => none.merge(sample),
            Path::RawCapped => capped.merge(sample),
            _ => law.merge(sample),
        }
    }
    Ok((none, law, capped))
}

/// After a slice of the cycle: customers who got NoAnswer are ready again, so every slice
/// starts with the same pool front.
async fn reset(shared: &Shared, work: Work) -> BenchResult<()> {
    if work == Work::Cycle {
        sqlx::query(
            "UPDATE enrollments SET no_answer_at = NULL
             WHERE assignment_id = $1 AND no_answer_at IS NOT NULL",
        )
        .bind(shared.assignment.id().as_uuid())
        .execute(&shared.pool)
        .await?;
    }
    Ok(())
}

/// `sellers` tasks doing `work` on `path` until `length` is over.
async fn run_slice(
    shared: &Arc<Shared>,
    work: Work,
    path: Path,
    sellers: usize,
    length: Duration,
) -> Sample {
    let started = Instant::now();
    let deadline = started + length;
    let mut tasks = JoinSet::new();
    for s in 0..sellers {
        let shared = Arc::clone(shared);
        tasks.spawn(async move {
            let seller = shared.sellers[s];
            let mut sample = Sample::default();
            let mut n = s as u64;
            while Instant::now() < deadline {
                let op_started = Instant::now();
                let result = match (work, path) {
                    (Work::Reserve, Path::Ours) => shared.reserve_ours(seller).await,
                    (Work::Reserve, Path::Raw) => shared.reserve_raw(seller).await,
                    (Work::Reserve, Path::RawNoGate) => {
                        shared.reserve_gated(seller, Gate::None).await
                    }
                    (Work::Reserve, Path::RawCapped) => {
                        shared.reserve_gated(seller, Gate::Capped).await
                    }
                    (Work::Cycle, Path::Ours) => shared.cycle_ours(seller, n).await,
                    (Work::Cycle, _) => shared.cycle_raw(seller, n).await,
                };
                match result {
                    Ok(()) => sample
                        .latencies_us
                        .push(op_started.elapsed().as_micros() as u64),
                    Err(error) => {
                        sample.errors += 1;
                        if sample.first_error.is_none() {
                            sample.first_error = Some(error.to_string());
                        }
                        if sample.errors > 100 {
                            break;
                        }
                    }
                }
                n += 1;
            }
            sample
        });
    }
    let mut total = Sample::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(sample) => total.merge(sample),
            Err(error) => {
                total.errors += 1;
                total.first_error.get_or_insert(error.to_string());
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// An enrollment and its version from a raw row (as the adapter decodes one).
fn enrollment_of_row(row: &PgRow) -> BenchResult<(Enrollment, i64)> {
    let due: Option<OffsetDateTime> = row.try_get("follow_up_due")?;
    let owner: Option<Uuid> = row.try_get("follow_up_owner")?;
    let reserved_by: Option<Uuid> = row.try_get("reserved_by")?;
    let reserved_until: Option<OffsetDateTime> = row.try_get("reserved_until")?;
    let snapshot = EnrollmentSnapshot {
        id: EnrollmentId::from_uuid(row.try_get("id")?),
        assignment: AssignmentId::from_uuid(row.try_get("assignment_id")?),
        customer: CustomerId::from_uuid(row.try_get("customer_id")?),
        state: StateId::from_uuid(row.try_get("state_id")?),
        category: parse_category(row.try_get("category")?)?,
        segment: row
            .try_get::<Option<Uuid>, _>("segment_id")?
            .map(SegmentId::from_uuid),
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?)?,
        last_contact: row.try_get("last_contact")?,
        follow_up: due.map(|due| FollowUp {
            due,
            owner: owner.map(UserId::from_uuid),
        }),
        no_answer_at: row.try_get("no_answer_at")?,
        reservation: match (reserved_by, reserved_until) {
            (Some(seller), Some(until)) => Some(Reservation {
                seller: UserId::from_uuid(seller),
                until,
            }),
            _ => None,
        },
        sequence: u64::try_from(row.try_get::<i64, _>("sequence")?)?,
        enrolled_at: row.try_get("enrolled_at")?,
    };
    Ok((Enrollment::from(snapshot), row.try_get("row_version")?))
}

impl Shared {
    fn request(&self, seller: UserId, setup: &AssignmentSetup) -> NextCustomerRequest {
        NextCustomerRequest {
            assignment: self.assignment.id(),
            seller,
            now: now_us(),
            setup: setup.clone(),
            gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
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
            zone: &cube_domain::time_zone::TimeZone::oslo(),
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

    /// The reserve statement raw; returns the reserved row.
    async fn reserve_row(&self, seller: UserId, lease: time::Duration) -> BenchResult<PgRow> {
        self.reserve_row_gated(seller, lease, Gate::Law).await
    }

    /// The reserve statement raw with the gate as `gate` says; returns the reserved row.
    async fn reserve_row_gated(
        &self,
        seller: UserId,
        lease: time::Duration,
        gate: Gate,
    ) -> BenchResult<PgRow> {
        let now = now_us();
        let sql = match gate {
            Gate::None => Arc::clone(&self.reserve_sql_no_gate),
            Gate::Law | Gate::Capped => Arc::clone(&self.reserve_sql),
        };
        // The contact gate and the attempt cap (`$6`–`$10`): consumers may be called and
        // were checked this month; a daily cap of 1,000 calls (never reached, always
        // counted) from eight hours ago when capped.
        let (cap, since) = match gate {
            Gate::Capped => (Some(1_000_i32), Some(now - time::Duration::hours(8))),
            Gate::None | Gate::Law => (None, None),
        };
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .bind(self.assignment.id().as_uuid())
            .bind(seller.as_uuid())
            .bind(now)
            .bind(now + lease)
            .bind(rested_since(now, self.assignment.setup()))
            .bind(true)
            .bind(Some(now.date().replace_day(1).unwrap_or(now.date())))
            .bind(None::<i32>)
            .bind(cap)
            .bind(since);
        for param in &self.reserve_params {
            query = match param {
                ReserveParam::Segments(ids) => query.bind(ids.clone()),
                ReserveParam::FieldKey(key) => query.bind(key.clone()),
            };
        }
        // As the store runs it: in a transaction begun on its generic plan.
        let mut tx = self.pool.begin_with(BEGIN_GENERIC_PLAN).await?;
        let row = query.fetch_optional(&mut *tx).await?;
        tx.commit().await?;
        Ok(row.ok_or("nothing ready")?)
    }

    async fn reserve_gated(&self, seller: UserId, gate: Gate) -> BenchResult<()> {
        self.reserve_row_gated(seller, self.short_lease.lease, gate)
            .await?;
        Ok(())
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
        uow.update_enrollment_with_event(&registration.enrollment, &registration.event, None)
            .await?;
        uow.commit().await?;
        Ok(())
    }

    /// The same statements in one sqlx transaction.
    async fn cycle_raw(&self, seller: UserId, n: u64) -> BenchResult<()> {
        let reserved = self
            .reserve_row(seller, self.assignment.setup().lease)
            .await?;
        let id: Uuid = reserved.try_get("id")?;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(ENROLLMENT_BY_ID)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let (current, version) = enrollment_of_row(&row)?;
        let registration = self.register(&current, seller, n)?;

        let e = registration.enrollment.snapshot();
        let event = &registration.event;
        let mut products = Vec::new();
        let mut currencies = Vec::new();
        let mut quantities = Vec::new();
        let mut minors = Vec::new();
        let mut scales = Vec::new();
        for line in event.products() {
            let (minor, scale) = minor_units(line.unit_price)?;
            products.push(line.product.as_uuid());
            currencies.push(line.currency.as_str().to_owned());
            quantities.push(i64::from(line.quantity));
            minors.push(minor);
            scales.push(scale);
        }
        let row = sqlx::query(UPDATE_ENROLLMENT_WITH_EVENT)
            .bind(e.id.as_uuid())
            .bind(e.assignment.as_uuid())
            .bind(e.customer.as_uuid())
            .bind(e.state.as_uuid())
            .bind(category_text(e.category))
            .bind(e.segment.map(|s| s.as_uuid()))
            .bind(i64::from(e.attempts))
            .bind(e.last_contact)
            .bind(e.follow_up.map(|f| f.due))
            .bind(e.follow_up.and_then(|f| f.owner).map(|o| o.as_uuid()))
            .bind(e.no_answer_at)
            .bind(e.reservation.map(|r| r.seller.as_uuid()))
            .bind(e.reservation.map(|r| r.until))
            .bind(i64::try_from(e.sequence)?)
            .bind(e.enrolled_at)
            .bind(Some(version))
            .bind(event.id().as_uuid())
            .bind(event.assignment().as_uuid())
            .bind(event.enrollment().as_uuid())
            .bind(event.customer().as_uuid())
            .bind(event.occurred_at())
            .bind(event.user().map(|u| u.as_uuid()))
            .bind(event.outcome().map(|o| o.as_uuid()))
            .bind(class_text(event.class()))
            .bind(event.option())
            .bind(event.from_state().as_uuid())
            .bind(event.to_state().as_uuid())
            .bind(category_text(event.to_category()))
            .bind(event.meeting().map(|m| m.as_uuid()))
            .bind(i32::try_from(event.products().len())?)
            .bind(None::<&str>)
            .bind(Json(event))
            .bind(products)
            .bind(currencies)
            .bind(quantities)
            .bind(minors)
            .bind(scales)
            .bind(None::<&str>) // no request fingerprint without an idempotency key
            .fetch_one(&mut *tx)
            .await?;
        if row.try_get::<Option<i64>, _>("row_version")?.is_none() {
            return Err("the enrollment changed meanwhile".into());
        }
        let appended: i64 = row.try_get("appended")?;
        if appended != 1 {
            return Err("the event was not appended".into());
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
        match_by: cube_domain::import_match::MatchKeys::ALL,
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

/// The batch imported in one unit of work: its time and what it did.
async fn import(store: &PgStore, batch: &ImportBatch) -> BenchResult<(Duration, String)> {
    eprintln!("importing {} customers …", batch.rows.len());
    let started = Instant::now();
    let mut uow = store.begin().await?;
    let counts = uow.import_batch(batch).await?;
    uow.commit().await?;
    let elapsed = started.elapsed();
    eprintln!("  import: {:.2} s, {counts:?}", elapsed.as_secs_f64());
    Ok((
        elapsed,
        format!(
            "created {}, matched {}, enrolled {}, already enrolled {}",
            counts.created, counts.matched, counts.enrolled, counts.already_enrolled
        ),
    ))
}

/// The machine and server the figures come from.
async fn machine_facts(pool: &PgPool) -> BenchResult<Vec<(String, String)>> {
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
    let version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(pool)
        .await?;
    facts.push((
        "PostgreSQL".into(),
        version.split(" on ").next().unwrap_or(&version).to_owned(),
    ));
    let settings: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, setting || COALESCE(unit, '') FROM pg_settings
         WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather',
                        'fsync', 'synchronous_commit', 'jit')
         ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    let settings: Vec<String> = settings
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    facts.push(("Server settings".into(), settings.join(", ")));
    facts.push((
        "Server".into(),
        "same machine, over TCP on loopback; the bench client shares the cores".into(),
    ));
    Ok(facts)
}

fn ms(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2} ms")
    } else {
        format!("{value:.0} ms")
    }
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
            "\n### Hot paths (ours = through `PgStore`; raw = the same SQL through sqlx alone)\n\n\
             {:.0} s per path per level (two slices, ours–raw–raw–ours, after a {:.0} s warm-up \
             each).\n\n\
             | Path | Sellers | Ours ops/s | Raw ops/s | Ours / raw | Ours p50 | Ours p99 | Raw p50 | Raw p99 | Errors |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            2.0 * config.slice.as_secs_f64(),
            WARM_UP.as_secs_f64()
        );
        for row in &self.paths {
            let ratio = row.ours.throughput() / row.raw.throughput();
            let mark = if ratio >= TARGET_RATIO {
                ""
            } else {
                " (below 80%)"
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
                row.ours.errors + row.raw.errors,
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
                        sample.errors
                    );
                }
            }
        }

        if !self.policy.is_empty() {
            let _ = writeln!(
                out,
                "\n### What the contact policy costs next customer (raw: without the gate, with it, with it and a daily cap)\n\n\
                 | Sellers | No gate /s | Gate /s | Gate + daily cap /s | Gate's cost | With the cap | No gate p99 | Gate p99 | Capped p99 |\n\
                 |---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for (sellers, none, law, capped) in &self.policy {
                let cost = |s: &Sample| 100.0 * (1.0 - s.throughput() / none.throughput());
                let _ = writeln!(
                    out,
                    "| {sellers} | {:.0} | {:.0} | {:.0} | {:.0}% | {:.0}% | {} | {} | {} |",
                    none.throughput(),
                    law.throughput(),
                    capped.throughput(),
                    cost(law),
                    cost(capped),
                    ms(none.percentile(99.0)),
                    ms(law.percentile(99.0)),
                    ms(capped.percentile(99.0)),
                );
            }
        }

        if !self.counters.is_empty() {
            let _ = writeln!(
                out,
                "\n### What the report counters cost the cycle (raw, their triggers on and off)\n\n\
                 | Sellers | Counters on /s | Counters off /s | Share of the cycle | On p99 | Off p99 |\n\
                 |---:|---:|---:|---:|---:|---:|"
            );
            for (sellers, with, without) in &self.counters {
                // The share of a cycle's time the counters take: 1 - on/off.
                let share = 1.0 - with.throughput() / without.throughput();
                let _ = writeln!(
                    out,
                    "| {sellers} | {:.0} | {:.0} | {:.0}% | {} | {} |",
                    with.throughput(),
                    without.throughput(),
                    100.0 * share,
                    ms(with.percentile(99.0)),
                    ms(without.percentile(99.0)),
                );
            }
        }

        if !self.reports.is_empty() || self.import.is_some() {
            let _ = writeln!(
                out,
                "\n### Reports, customer search and import (through the port)\n\n\
                 | Operation | Input → output | Median | Runs (ms) | Target | Met |\n\
                 |---|---|---:|---|---:|---|"
            );
        }
        for timed in &self.reports {
            let runs: Vec<String> = timed.runs_ms.iter().map(|r| format!("{r:.0}")).collect();
            let met = if timed.median_ms < TARGET_REPORT_MS {
                "yes"
            } else {
                "**no**"
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | < {TARGET_REPORT_MS:.0} ms | {met} |",
                timed.name,
                timed.input,
                ms(timed.median_ms),
                runs.join(", ")
            );
        }
        let rows = |n: &usize| count_text(i64::try_from(*n).unwrap_or(i64::MAX));
        let name = "Import (`import_batch` + commit, fresh customers, second assignment)";
        match &self.import {
            Some(Imported::Done(n, time, counts)) => {
                let _ = writeln!(
                    out,
                    "| {name} | {} rows → {counts} | {:.2} s | 1 | — | — |",
                    rows(n),
                    time.as_secs_f64()
                );
            }
            Some(Imported::TimedOut(n, limit)) => {
                let _ = writeln!(
                    out,
                    "| {name} | {} rows | **not done after {:.0} s** (cancelled) | 1 | — | — |",
                    rows(n),
                    limit.as_secs_f64()
                );
            }
            Some(Imported::Failed(n, error)) => {
                let _ = writeln!(
                    out,
                    "| {name} | {} rows | **failed**: {error} | 1 | — | — |",
                    rows(n)
                );
            }
            None => {}
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out);
            for note in &self.notes {
                let _ = writeln!(out, "{note}");
            }
        }
        out
    }
}
