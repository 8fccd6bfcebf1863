//! The hot paths: next customer and the cycle, through the port ("ours") and as the
//! adapter's own statements through sqlx alone ("raw"), in slices of concurrent sellers.

use crate::markdown::PathRow;
use crate::{
    BenchResult, WARM_UP, category_text, class_text, from_ns, id_text, now_us, ns, opt_ns,
    parse_category,
};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot, FollowUp, Reservation};
use cube_domain::flow::PublishedFlow;
use cube_domain::ids::{
    AssignmentId, CustomerId, EnrollmentId, MeetingId, OutcomeEventId, StateId, UserId,
};
use cube_domain::outcome::{
    self, NewIds, OutcomeEvent, ProductLineRequest, RegisterOutcome, Registrar, RegistrationContext,
};
use cube_domain::ports::{NextCustomerRequest, Store};
use cube_domain::product::Product;
use cube_sqlite::statements::{
    APPEND_EVENT, APPEND_PRODUCT_LINE, BEGIN, CHOOSE_BY_SEQUENCE, ENROLLMENT_BY_ID, RESERVE,
    UPDATE_ENROLLMENT,
};
use cube_sqlite::{SqliteOptions, SqliteStore};
use cube_testkit::fixtures::SalesFlow;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Arguments, ConnectOptions, Connection, Row};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio::task::JoinSet;
use uuid::Uuid;

/// Everything the measured paths share.
pub(crate) struct Shared {
    pub(crate) store: SqliteStore,
    /// The raw side: one connection, the adapter's pragmas, taken in turn (a fair mutex).
    pub(crate) raw: Mutex<SqliteConnection>,
    pub(crate) assignment: Assignment,
    pub(crate) flow: PublishedFlow,
    pub(crate) catalogue: Vec<Product>,
    pub(crate) sellers: Vec<UserId>,
    /// The assignment's setup with a 1 µs lease (next customer alone).
    pub(crate) short_lease: AssignmentSetup,
    /// When the measurements began: enrollments contacted since are the bench's.
    pub(crate) since: OffsetDateTime,
}

/// The raw side's connection: one (one writer at a time, as SQLite needs; no pool, so
/// nothing but the SQL and sqlx's channel to the connection's thread), opened with the
/// adapter's pragmas (WAL, `synchronous = NORMAL`, busy timeout, foreign keys).
pub(crate) async fn raw_connection(path: &Path) -> BenchResult<Mutex<SqliteConnection>> {
    let conn = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SqliteOptions::default().busy_timeout)
        .foreign_keys(true)
        .connect()
        .await?;
    Ok(Mutex::new(conn))
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// Next customer alone.
    Reserve,
    /// Next customer, then register an outcome.
    Cycle,
}

impl Work {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Work::Reserve => "Next customer",
            Work::Cycle => "Next customer → register outcome",
        }
    }
}

/// Through the port, or the same SQL raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Ours,
    Raw,
}

/// Latencies of one path and how long the slices took.
#[derive(Debug, Default)]
pub(crate) struct Sample {
    pub(crate) latencies_us: Vec<u64>,
    /// How long the failed operations took before failing.
    pub(crate) failed_us: Vec<u64>,
    pub(crate) elapsed: Duration,
    pub(crate) first_error: Option<String>,
}

impl Sample {
    pub(crate) fn merge(&mut self, other: Sample) {
        self.latencies_us.extend(other.latencies_us);
        self.failed_us.extend(other.failed_us);
        self.elapsed += other.elapsed;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub(crate) fn errors(&self) -> usize {
        self.failed_us.len()
    }

    pub(crate) fn throughput(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p`th percentile of the successful operations, in milliseconds.
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        percentile(&self.latencies_us, p)
    }

    /// The `p`th percentile of every operation, failed ones with the time they took to fail.
    pub(crate) fn percentile_all(&self, p: f64) -> f64 {
        let mut all = self.latencies_us.clone();
        all.extend(&self.failed_us);
        percentile(&all, p)
    }
}

pub(crate) fn percentile(latencies_us: &[u64], p: f64) -> f64 {
    let mut sorted = latencies_us.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1_000.0
}

/// One level: warm-ups, then ours, raw, raw, ours.
pub(crate) async fn measure(
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
pub(crate) async fn reset(shared: &Shared) -> BenchResult<()> {
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
    .execute(shared.store.pool())
    .await?;
    Ok(())
}

/// When a slice ends.
#[derive(Clone)]
pub(crate) enum Until {
    /// After this long.
    Elapsed(Duration),
    /// When the flag is set.
    Stopped(Arc<AtomicBool>),
}

/// `sellers` tasks doing `work` on `side` until the slice ends; each operation's start is
/// kept (relative to the slice's start) with its latency.
pub(crate) async fn run_slice(
    shared: &Arc<Shared>,
    work: Work,
    side: Side,
    sellers: usize,
    until: Until,
) -> Sample {
    run_slice_timed(shared, work, side, sellers, until, None).await
}

/// The window `[from, to)` of a slice's operations to keep, set while the slice runs.
pub(crate) type Window = Arc<std::sync::Mutex<Option<(Instant, Instant)>>>;

/// [`run_slice`], keeping only the operations that overlap the window `[from, to)` given
/// through `window` when it is set at the end (used for the import beside the sellers).
pub(crate) async fn run_slice_timed(
    shared: &Arc<Shared>,
    work: Work,
    side: Side,
    sellers: usize,
    until: Until,
    window: Option<Window>,
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
pub(crate) fn enrollment_of_row(row: &SqliteRow) -> BenchResult<Enrollment> {
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
pub(crate) fn enrollment_args(enrollment: &Enrollment) -> BenchResult<SqliteArguments> {
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
pub(crate) fn event_args(
    event: &OutcomeEvent,
) -> BenchResult<(SqliteArguments, Vec<SqliteArguments>)> {
    let id = id_text(event.id().as_uuid());
    let mut args = SqliteArguments::default();
    args.add(id.clone())?;
    args.add(id_text(event.assignment().as_uuid()))?;
    args.add(id_text(event.enrollment().as_uuid()))?;
    args.add(id_text(event.customer().as_uuid()))?;
    args.add(ns(event.occurred_at())?)?;
    args.add(event.user().map(|u| id_text(u.as_uuid())))?;
    args.add(event.outcome().map(|o| id_text(o.as_uuid())))?;
    args.add(class_text(event.class()))?;
    args.add(event.option())?;
    args.add(id_text(event.from_state().as_uuid()))?;
    args.add(id_text(event.to_state().as_uuid()))?;
    args.add(category_text(event.to_category()))?;
    args.add(event.meeting().map(|m| id_text(m.as_uuid())))?;
    args.add(None::<String>)?;
    args.add(None::<String>)?;
    args.add(serde_json::to_string(event)?)?;
    let mut lines = Vec::new();
    for (position, line) in (0i64..).zip(event.products()) {
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
    pub(crate) fn request(&self, seller: UserId, setup: &AssignmentSetup) -> NextCustomerRequest {
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
    pub(crate) fn command(&self, n: u64, now: OffsetDateTime) -> RegisterOutcome {
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

    pub(crate) fn register(
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

    pub(crate) async fn reserve_ours(&self, seller: UserId) -> BenchResult<()> {
        let request = self.request(seller, &self.short_lease);
        self.store
            .reserve_next(&request)
            .await?
            .ok_or("nothing ready")?;
        Ok(())
    }

    /// The adapter's next-customer statements raw, in one transaction; returns the id of the
    /// reserved enrollment.
    pub(crate) async fn reserve_row(
        &self,
        seller: UserId,
        lease: time::Duration,
    ) -> BenchResult<String> {
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
        let mut args = head()?;
        let rested = now
            .checked_sub(self.assignment.setup().retry_delay)
            .map_or(Ok(i64::MIN), ns)?;
        args.add(rested)?;
        // The contact gate and the attempt cap (`?6`–`?10`): consumers may be called, no
        // register, no caps.
        args.add(1_i64)?;
        args.add(None::<String>)?;
        args.add(None::<i64>)?;
        args.add(None::<i64>)?;
        args.add(None::<i64>)?;
        let mut conn = self.raw.lock().await;
        let mut tx = conn.begin_with(BEGIN).await?;
        let chosen: Option<String> = sqlx::query_scalar_with(CHOOSE_BY_SEQUENCE.as_str(), args)
            .fetch_optional(&mut *tx)
            .await?;
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

    pub(crate) async fn reserve_raw(&self, seller: UserId) -> BenchResult<()> {
        self.reserve_row(seller, self.short_lease.lease).await?;
        Ok(())
    }

    /// Next customer, then the register-outcome unit of work, through the port.
    pub(crate) async fn cycle_ours(&self, seller: UserId, n: u64) -> BenchResult<()> {
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
    pub(crate) async fn cycle_raw(&self, seller: UserId, n: u64) -> BenchResult<()> {
        let id = self
            .reserve_row(seller, self.assignment.setup().lease)
            .await?;
        let mut conn = self.raw.lock().await;
        let mut tx = conn.begin_with(BEGIN).await?;
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
