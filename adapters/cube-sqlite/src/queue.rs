//! "Next customer": `cube_domain::queue`'s order (`tier`, then `compare`) written in SQL,
//! one tier at a time, each read from an index already in its order (migration 0015), run in
//! the caller's unit (`BEGIN IMMEDIATE`), so choosing and reserving are one atomic step and
//! two callers — through two pools or two processes — never get the same enrollment: the
//! second waits for the first one's write lock and then no longer sees its choice as free.
//!
//! A call is two statements in that unit: [`choose`] the first row of the tiers below — one
//! `SELECT` whose branches are the tiers in order, each `LIMIT 1` from its index, so SQLite
//! stops at the first branch that finds a row — then [`RESERVE`] it by id. (Each statement is
//! a round trip to the connection's thread; one per tier cost a call seven instead of four.)
//!
//! The tiers, in order; the first that finds a row wins, and the row is reserved by id:
//! - `HELD` (index `enrollments_reserved`): a customer the asker holds a live lease on, the
//!   lease ending soonest first, handed back with the lease renewed;
//! - `PERSONAL` (`enrollments_personal_due`): the asker's own due follow-ups, by due time;
//! - `SHARED` (`enrollments_shared_due`): due shared follow-ups, by due time — both whatever
//!   the category but Excluded, and without another seller's live lease; another seller's
//!   personal follow-up never;
//! - the pool: Available, no follow-up, no live lease, the last NoAnswer at least the setup's
//!   retry delay ago (`no_answer_at <= now - retry_delay`), by the setup's priority rules
//!   (`Plan`):
//!   - import order (also segment order without segments, which ranks all alike): the first
//!     ready row of `enrollments_ready`;
//!   - segment order, then import order (the default setup): the segments in rank order,
//!     each the first ready row of `enrollments_ready_by_segment`, then the customers in no
//!     segment of the setup, from `enrollments_ready`;
//!   - any other rules: the ready rows sorted by the rules (a temporary B-tree over the
//!     ready pool; what that costs is in `docs/performance.md`).
//!
//!   In the first two, customers resting after a NoAnswer are not in the ready indexes
//!   (migration 0021): the first fresh customer and the first whose rest has ended (from the
//!   resting indexes, read only if any rest has ended at all) are read apart, and the one
//!   first in import order is taken — a call never steps over the resting customers, who
//!   keep their place at the front of the import order.
//! - import order (`sequence`, then the id) breaks every tie.
//!
//! A `Field` rule orders by `customer_fields.sort_key`, whose bytes compare like
//! `FieldValue`'s `Ord` (`crate::sort_key`); customers without the value come last in either
//! direction. Segment ids and field keys are bound parameters; the only text spliced into a
//! statement is this file's own fragments.

use crate::codec::{id_list, id_text, time_ns};
use crate::error::store_error;
use crate::repos::enrollments::{enrollment_columns, enrollment_from_row};
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule};
use cube_domain::contact_policy::standing::ContactGate;
use cube_domain::ports::{Handout, NextCustomerRequest, StoreError};
use cube_domain::queue::Tier;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, SqliteConnection};
use std::fmt::Write as _;
use std::sync::LazyLock;
use uuid::Uuid;

/// The contact gate (`ContactGate::barred`, migration 0023), on the candidate row's own copy
/// of its customer's facts (kept by triggers): the customer is not on the do-not-call list,
/// not reserved while the register is used (`?7` set), and — a consumer — may be called now
/// (`?6` is 1) and was checked against the register on or after `?7` (a `YYYY-MM-DD` text;
/// NULL: the register is not used); with a daily cap (`?9` calls; NULL: none), the customer
/// has had fewer outcomes registered by a person since `?10` (the start of today, unix ns),
/// in any assignment (`outcome_events_by_customer`: one range of it per candidate row, and
/// only under a cap).
macro_rules! allowed {
    () => {
        "NOT (COALESCE(e.contact_block = 'do_not_call', 0) \
              OR COALESCE(e.contact_block = 'reserved' AND ?7 IS NOT NULL, 0) \
              OR (e.consumer = 1 AND (?6 = 0 \
                  OR (?7 IS NOT NULL \
                      AND (e.register_checked IS NULL OR e.register_checked < ?7))))) \
         AND (?9 IS NULL OR (SELECT count(*) FROM outcome_events AS ev \
           WHERE ev.customer_id = e.customer_id AND ev.occurred_at >= ?10 \
             AND ev.user_id IS NOT NULL) < ?9)"
    };
}

/// A pool row `e` with attempts left: fewer than the setup's `max_attempts` (`?8`; NULL: no
/// cap).
macro_rules! attempts_left {
    () => {
        "(?8 IS NULL OR e.attempts < ?8)"
    };
}

/// The asker's own live reservation (renewed by [`RESERVE`]): `?1` the seller, `?3` the
/// assignment, `?4` now, `?6`, `?7`, `?9`, `?10` the gate ([`allowed!`]); gives the id and
/// the tier `'held'`.
pub const HELD: &str = concat!(
    "SELECT e.id, 'held' AS tier FROM enrollments AS e \
    WHERE e.assignment_id = ?3 AND e.reserved_by = ?1 AND e.reserved_until > ?4 \
      AND e.category <> 'Excluded' AND ",
    allowed!(),
    " ORDER BY e.reserved_until, e.sequence, e.id LIMIT 1"
);

/// The end of the lease a reservation gets now.
fn lease_end(request: &NextCustomerRequest) -> Result<time::OffsetDateTime, StoreError> {
    request
        .now
        .checked_add(request.setup.lease)
        .ok_or_else(|| StoreError::Unrepresentable("the lease ends too late".into()))
}

/// The arguments of `HELD`, `PERSONAL` and `SHARED`: `?1` seller, `?2` lease end, `?3`
/// assignment, `?4` now.
fn head_args(request: &NextCustomerRequest) -> Result<SqliteArguments, StoreError> {
    let mut args = SqliteArguments::default();
    bind(&mut args, Value::Text(id_text(request.seller.as_uuid())))?;
    bind(&mut args, Value::Int(time_ns(lease_end(request)?)?))?;
    bind(
        &mut args,
        Value::Text(id_text(request.assignment.as_uuid())),
    )?;
    bind(&mut args, Value::Int(time_ns(request.now)?))?;
    Ok(args)
}

/// The asker's own due personal follow-up: the id and `'personal'`, with parameters as
/// [`HELD`].
pub const PERSONAL: &str = concat!(
    "SELECT e.id, 'personal' AS tier FROM enrollments AS e INDEXED BY enrollments_personal_due \
    WHERE e.assignment_id = ?3 AND e.follow_up_owner = ?1 \
      AND e.follow_up_due IS NOT NULL AND e.follow_up_due <= ?4 \
      AND e.category <> 'Excluded' AND (e.reserved_until IS NULL OR e.reserved_until <= ?4) \
      AND ",
    allowed!(),
    " ORDER BY e.follow_up_due, e.sequence, e.id LIMIT 1"
);

/// The first due shared follow-up: the id and `'shared'`, with parameters as [`HELD`].
pub const SHARED: &str = concat!(
    "SELECT e.id, 'shared' AS tier FROM enrollments AS e INDEXED BY enrollments_shared_due \
    WHERE e.assignment_id = ?3 AND e.follow_up_owner IS NULL \
      AND e.follow_up_due IS NOT NULL AND e.follow_up_due <= ?4 \
      AND e.category <> 'Excluded' AND (e.reserved_until IS NULL OR e.reserved_until <= ?4) \
      AND ",
    allowed!(),
    " ORDER BY e.follow_up_due, e.sequence, e.id LIMIT 1"
);

/// A ready row `e` of the pool, spelled so the partial ready indexes apply. Parameters as
/// `HELD`, and `?5` now less the retry delay. A macro so the statements below are constants.
macro_rules! ready {
    () => {
        concat!(
            "e.assignment_id = ?3 AND e.category = 'Available' AND e.follow_up_due IS NULL \
             AND (e.no_answer_at IS NULL OR e.no_answer_at <= ?5) \
             AND (e.reserved_until IS NULL OR e.reserved_until <= ?4) AND ",
            attempts_left!(),
            " AND ",
            allowed!()
        )
    };
}

/// A fresh ready row `e` (no NoAnswer since its last outcome), spelled so the fresh ready
/// indexes apply (migration 0021). Parameters as [`HELD`].
macro_rules! fresh {
    () => {
        concat!(
            "e.assignment_id = ?3 AND e.category = 'Available' AND e.follow_up_due IS NULL \
             AND e.no_answer_at IS NULL \
             AND (e.reserved_until IS NULL OR e.reserved_until <= ?4) AND ",
            attempts_left!(),
            " AND ",
            allowed!()
        )
    };
}

/// A ready row `e` whose rest after a NoAnswer has ended (`?5`: now less the retry delay),
/// spelled so the resting indexes apply; only when some rest has ended at all (one probe of
/// `enrollments_resting_since`, not correlated: evaluated once), so a call never walks the
/// resting customers while all of them still rest.
macro_rules! rested {
    () => {
        concat!(
            "e.assignment_id = ?3 AND e.category = 'Available' AND e.follow_up_due IS NULL \
             AND e.no_answer_at IS NOT NULL AND e.no_answer_at <= ?5 \
             AND (e.reserved_until IS NULL OR e.reserved_until <= ?4) \
             AND EXISTS (SELECT 1 FROM enrollments AS r \
               WHERE r.assignment_id = ?3 AND r.category = 'Available' \
                 AND r.follow_up_due IS NULL AND r.no_answer_at IS NOT NULL \
                 AND r.no_answer_at <= ?5) AND ",
            attempts_left!(),
            " AND ",
            allowed!()
        )
    };
}

/// The pool's row from the first fresh (`$fresh`) and the first rested (`$rested`) candidate
/// (each `id, sequence`, at most one row): the one first in import order, as `id` and
/// `'pool'`. Two rows at most, so no sort.
macro_rules! better_of {
    ($fresh:expr, $rested:expr) => {
        concat!(
            "SELECT CASE WHEN r.id IS NULL OR (f.id IS NOT NULL AND (f.sequence < r.sequence \
               OR (f.sequence = r.sequence AND f.id < r.id))) THEN f.id ELSE r.id END AS id, \
               'pool' AS tier \
             FROM (SELECT 1) AS one LEFT JOIN (",
            $fresh,
            ") AS f ON 1 LEFT JOIN (",
            $rested,
            ") AS r ON 1 WHERE f.id IS NOT NULL OR r.id IS NOT NULL"
        )
    };
}

/// The first ready row in import order: the id and `'pool'`, with parameters as [`HELD`]
/// and `?5` now less the retry delay (`?6`–`?10` the gate and the attempt cap, as
/// everywhere).
pub const POOL_BY_SEQUENCE: &str = better_of!(
    concat!(
        "SELECT e.id, e.sequence FROM enrollments AS e INDEXED BY enrollments_ready WHERE ",
        fresh!(),
        " ORDER BY e.sequence, e.id LIMIT 1"
    ),
    concat!(
        "SELECT e.id, e.sequence FROM enrollments AS e INDEXED BY enrollments_resting WHERE ",
        rested!(),
        " ORDER BY e.sequence, e.id LIMIT 1"
    )
);

/// The first ready row of segment `?#` (a placeholder [`choose`] numbers, every occurrence
/// the same) in import order: the id and `'pool'`, with parameters as [`POOL_BY_SEQUENCE`].
pub const POOL_OF_SEGMENT: &str = better_of!(
    concat!(
        "SELECT e.id, e.sequence FROM enrollments AS e \
         INDEXED BY enrollments_ready_by_segment WHERE ",
        fresh!(),
        " AND e.segment_id = ?# ORDER BY e.sequence, e.id LIMIT 1"
    ),
    concat!(
        "SELECT e.id, e.sequence FROM enrollments AS e \
         INDEXED BY enrollments_resting_by_segment WHERE ",
        rested!(),
        " AND e.segment_id = ?# ORDER BY e.sequence, e.id LIMIT 1"
    )
);

/// The first ready row in none of the segments `?#` (a JSON array; a placeholder [`choose`]
/// numbers, every occurrence the same), in import order: the id and `'pool'`, with
/// parameters as [`POOL_BY_SEQUENCE`].
pub const POOL_OUTSIDE_SEGMENTS: &str = better_of!(
    concat!(
        "SELECT e.id, e.sequence FROM enrollments AS e INDEXED BY enrollments_ready WHERE ",
        fresh!(),
        " AND (e.segment_id IS NULL \
           OR e.segment_id NOT IN (SELECT j.value FROM json_each(?#) AS j)) \
         ORDER BY e.sequence, e.id LIMIT 1"
    ),
    concat!(
        "SELECT e.id, e.sequence FROM enrollments AS e INDEXED BY enrollments_resting WHERE ",
        rested!(),
        " AND (e.segment_id IS NULL \
           OR e.segment_id NOT IN (SELECT j.value FROM json_each(?#) AS j)) \
         ORDER BY e.sequence, e.id LIMIT 1"
    )
);

/// Reserves the chosen row (or renews the asker's lease on a held one): `?1` the seller, `?2`
/// the lease end, `?3` the enrollment's id; returns the enrollment's columns.
pub const RESERVE: &str = concat!(
    "UPDATE enrollments SET reserved_by = ?1, reserved_until = ?2 WHERE id = ?3 RETURNING ",
    enrollment_columns!()
);

/// How the pool is read for a setup's priority rules.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    /// Import order: the ready index as it is.
    Sequence,
    /// The segments in rank order (ids, first occurrence each), each in import order, then
    /// the customers in none of them.
    Segments(Vec<Uuid>),
    /// Sorted by the rules.
    Sorted,
}

/// The plan for a setup: the rules up to the first that orders every ready row differently
/// (import order does: `sequence` is unique in an assignment, so rules after it never
/// decide); a segment order without segments ranks all alike and is skipped.
fn plan(setup: &AssignmentSetup) -> Plan {
    let mut segments: Option<Vec<Uuid>> = None;
    for rule in &setup.priority {
        match rule {
            PriorityRule::ImportOrder => {
                return segments.map_or(Plan::Sequence, Plan::Segments);
            }
            PriorityRule::SegmentOrder if setup.segments.is_empty() => {}
            // A second segment order after the first ranks nothing differently.
            PriorityRule::SegmentOrder if segments.is_some() => {}
            PriorityRule::SegmentOrder => {
                let mut ids: Vec<Uuid> = Vec::new();
                for segment in &setup.segments {
                    let id = segment.id.as_uuid();
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                segments = Some(ids);
            }
            _ => return Plan::Sorted,
        }
    }
    segments.map_or(Plan::Sequence, Plan::Segments)
}

/// What the contact gate and the attempt cap bind, in order (`?6`–`?10` of the statements
/// here; the census binds the same values from `?5`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateArgs {
    /// 1 when consumers may be called now, else 0.
    pub consumers_open: i64,
    /// The first day a consumer's register check counts from, `YYYY-MM-DD` (`None`: no
    /// register).
    pub checked_since: Option<String>,
    /// The setup's attempt cap.
    pub max_attempts: Option<i64>,
    /// The data owner's daily cap on calls to a customer.
    pub daily_cap: Option<i64>,
    /// The start of today, unix ns, for the daily cap.
    pub day_since: Option<i64>,
}

/// The values the gate and the attempt cap bind. Public for the storage benchmark's raw side.
pub fn gate_args(gate: &ContactGate, setup: &AssignmentSetup) -> Result<GateArgs, StoreError> {
    Ok(GateArgs {
        consumers_open: i64::from(gate.consumers.is_none()),
        checked_since: gate.checked_since.map(|day| day.to_string()),
        max_attempts: setup.max_attempts.map(i64::from),
        daily_cap: gate.daily_cap.map(|cap| i64::from(cap.calls)),
        day_since: gate.daily_cap.map(|cap| time_ns(cap.since)).transpose()?,
    })
}

/// Binds [`GateArgs`] in order.
fn bind_gate(args: &mut SqliteArguments, gate: GateArgs) -> Result<(), StoreError> {
    bind(args, Value::Int(gate.consumers_open))?;
    bind(args, Value::Null(gate.checked_since))?;
    bind(args, Value::MaybeInt(gate.max_attempts))?;
    bind(args, Value::MaybeInt(gate.daily_cap))?;
    bind(args, Value::MaybeInt(gate.day_since))
}

/// The pool arguments: `HELD`'s four, `?5` now less the retry delay, then the gate's and the
/// attempt cap's `?6`–`?10` ([`gate_args`]).
fn pool_args(request: &NextCustomerRequest) -> Result<SqliteArguments, StoreError> {
    let mut args = head_args(request)?;
    // A NoAnswer at or before this time has rested long enough; before any storable time,
    // none has.
    let rested = request
        .now
        .checked_sub(request.setup.retry_delay)
        .and_then(|at| time_ns(at).ok())
        .unwrap_or(i64::MIN);
    bind(&mut args, Value::Int(rested))?;
    bind_gate(&mut args, gate_args(&request.gate, &request.setup)?)?;
    Ok(args)
}

/// The pool sorted by the setup's rules: the statement and its arguments.
fn sorted_pool(request: &NextCustomerRequest) -> Result<(String, SqliteArguments), StoreError> {
    let mut args = pool_args(request)?;
    let mut sql = String::from(concat!(
        "SELECT e.id, 'pool' AS tier FROM enrollments AS e WHERE ",
        ready!(),
        " ORDER BY "
    ));
    let mut next = 11;
    for (expr, direction) in rule_terms(&request.setup) {
        let mut text = expr.sql.to_owned();
        for value in expr.params {
            text = text.replacen("?#", &format!("?{next}"), 1);
            next += 1;
            bind(&mut args, value)?;
        }
        let order = match direction {
            Direction::Ascending => "ASC",
            Direction::Descending => "DESC",
        };
        // `NULLS LAST` only matters for field rules (missing values last either way); the
        // other terms are never NULL.
        let _ = write!(sql, "{text} {order} NULLS LAST, ");
    }
    sql.push_str("e.sequence, e.id LIMIT 1");
    Ok((sql, args))
}

/// The tiers as one statement: each branch (a statement above, `LIMIT 1`) in order, the
/// first row found.
fn first_of(branches: &[&str]) -> String {
    let union = branches
        .iter()
        .map(|branch| format!("SELECT * FROM ({branch})"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    format!("SELECT id, tier FROM ({union}) LIMIT 1")
}

/// The statement "next customer" chooses with under the import-order plan (the tiers, then
/// [`POOL_BY_SEQUENCE`]): `?1`–`?10` as [`POOL_BY_SEQUENCE`]; gives the id and the tier
/// (`'held'`, `'personal'`, `'shared'` or `'pool'`). The storage benchmark's raw side runs it.
pub static CHOOSE_BY_SEQUENCE: LazyLock<String> =
    LazyLock::new(|| first_of(&[HELD, PERSONAL, SHARED, POOL_BY_SEQUENCE]));

/// The statement that chooses the request's row, and its arguments: the tiers, then the
/// pool by the setup's plan. `?#` placeholders are numbered from `?11` in order.
pub fn choose(request: &NextCustomerRequest) -> Result<(String, SqliteArguments), StoreError> {
    let head = [HELD, PERSONAL, SHARED];
    match plan(&request.setup) {
        Plan::Sequence => Ok((CHOOSE_BY_SEQUENCE.clone(), pool_args(request)?)),
        Plan::Segments(segments) => {
            let mut args = pool_args(request)?;
            let mut branches: Vec<String> = head.iter().map(|b| (*b).to_owned()).collect();
            let mut next = 11;
            for segment in &segments {
                branches.push(POOL_OF_SEGMENT.replace("?#", &format!("?{next}")));
                bind(&mut args, Value::Text(id_text(*segment)))?;
                next += 1;
            }
            branches.push(POOL_OUTSIDE_SEGMENTS.replace("?#", &format!("?{next}")));
            bind(&mut args, Value::Text(id_list(segments.iter().copied())))?;
            let branches: Vec<&str> = branches.iter().map(String::as_str).collect();
            Ok((first_of(&branches), args))
        }
        Plan::Sorted => {
            let (pool, args) = sorted_pool(request)?;
            let mut branches = head.to_vec();
            branches.push(&pool);
            Ok((first_of(&branches), args))
        }
    }
}

/// The tier a chosen row was found in.
fn tier(name: &str) -> Result<Tier, StoreError> {
    match name {
        "held" => Ok(Tier::Held),
        "personal" => Ok(Tier::PersonalFollowUp),
        "shared" => Ok(Tier::SharedFollowUp),
        "pool" => Ok(Tier::Pool),
        other => Err(StoreError::Corrupt(format!("queue tier '{other}'"))),
    }
}

/// A bound value.
enum Value {
    Text(String),
    Int(i64),
    /// A text or NULL.
    Null(Option<String>),
    /// An integer or NULL.
    MaybeInt(Option<i64>),
}

fn bind(args: &mut SqliteArguments, value: Value) -> Result<(), StoreError> {
    match value {
        Value::Text(text) => args.add(text),
        Value::Int(n) => args.add(n),
        Value::Null(text) => args.add(text),
        Value::MaybeInt(n) => args.add(n),
    }
    .map_err(|e| StoreError::Unavailable(format!("binding a query argument: {e}")))
}

/// An SQL expression over the candidate `e`, with `?#` for each parameter in order.
struct Expr {
    sql: &'static str,
    params: Vec<Value>,
}

/// The ORDER BY terms of the pool's priority rules, with their directions.
fn rule_terms(setup: &AssignmentSetup) -> Vec<(Expr, Direction)> {
    setup
        .priority
        .iter()
        .map(|rule| match rule {
            PriorityRule::SegmentOrder => {
                // The segment's position in the setup (its first one), customers in no
                // segment (or a segment the setup lacks) after all: `segment_rank`.
                let segments = id_list(setup.segments.iter().map(|s| s.id.as_uuid()));
                let count = i64::try_from(setup.segments.len()).unwrap_or(i64::MAX);
                let expr = Expr {
                    sql: "COALESCE((SELECT MIN(j.key) FROM json_each(?#) AS j \
                          WHERE j.value = e.segment_id), ?#)",
                    params: vec![Value::Text(segments), Value::Int(count)],
                };
                (expr, Direction::Ascending)
            }
            PriorityRule::Field(key, direction) => {
                let expr = Expr {
                    sql: "(SELECT f.sort_key FROM customer_fields AS f \
                          WHERE f.customer_id = e.customer_id AND f.field_key = ?#)",
                    params: vec![Value::Text(key.as_str().to_owned())],
                };
                (expr, *direction)
            }
            PriorityRule::FewestAttempts => (plain("e.attempts"), Direction::Ascending),
            // Never contacted first (`Option`'s order: `None` before any time). The term is
            // sorted `NULLS LAST`, so "never" is spelled as the smallest integer instead.
            PriorityRule::LongestSinceLastContact => (
                plain("COALESCE(e.last_contact, -9223372036854775808)"),
                Direction::Ascending,
            ),
            PriorityRule::ImportOrder => (plain("e.sequence"), Direction::Ascending),
        })
        .collect()
}

fn plain(sql: &'static str) -> Expr {
    Expr {
        sql,
        params: Vec::new(),
    }
}

/// Picks and reserves the next enrollment for the request, on a connection inside a
/// transaction begun `IMMEDIATE`.
pub(crate) async fn reserve_next(
    conn: &mut SqliteConnection,
    request: &NextCustomerRequest,
) -> Result<Option<Handout>, StoreError> {
    let (sql, args) = choose(request)?;
    let chosen: Option<(String, String)> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?;
    let Some((id, found_in)) = chosen else {
        return Ok(None);
    };
    let tier = tier(&found_in)?;
    let mut args = SqliteArguments::default();
    bind(&mut args, Value::Text(id_text(request.seller.as_uuid())))?;
    bind(&mut args, Value::Int(time_ns(lease_end(request)?)?))?;
    bind(&mut args, Value::Text(id))?;
    let row = sqlx::query_with(RESERVE, args)
        .fetch_one(conn)
        .await
        .map_err(store_error)?;
    let enrollment = enrollment_from_row(&row)?;
    Ok(Some(Handout { enrollment, tier }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::assignment::setup::Segment;

    fn setup(priority: Vec<PriorityRule>, segments: usize) -> AssignmentSetup {
        let mut setup = AssignmentSetup {
            priority,
            ..AssignmentSetup::default()
        };
        setup.segments = (0..segments)
            .map(|n| Segment {
                id: cube_domain::ids::SegmentId::from_uuid(uuid::Uuid::from_u128(n as u128 + 1)),
                name: cube_domain::values::Name::parse(&format!("Segment {n}")).expect("a name"),
            })
            .collect();
        setup
    }

    #[test]
    fn plans_follow_the_first_deciding_rule() {
        use PriorityRule::*;
        assert_eq!(plan(&setup(vec![], 0)), Plan::Sequence);
        assert_eq!(
            plan(&setup(vec![ImportOrder, FewestAttempts], 2)),
            Plan::Sequence
        );
        assert_eq!(
            plan(&setup(vec![SegmentOrder, ImportOrder], 0)),
            Plan::Sequence
        );
        assert!(matches!(
            plan(&setup(vec![SegmentOrder, ImportOrder], 2)),
            Plan::Segments(ids) if ids.len() == 2
        ));
        assert!(matches!(
            plan(&setup(vec![SegmentOrder], 1)),
            Plan::Segments(_)
        ));
        assert_eq!(
            plan(&setup(vec![SegmentOrder, FewestAttempts], 2)),
            Plan::Sorted
        );
        assert_eq!(
            plan(&setup(vec![FewestAttempts, ImportOrder], 0)),
            Plan::Sorted
        );
        assert_eq!(
            plan(&setup(vec![SegmentOrder, LongestSinceLastContact], 0)),
            Plan::Sorted
        );
    }

    fn request(setup: AssignmentSetup) -> NextCustomerRequest {
        NextCustomerRequest {
            assignment: cube_domain::ids::AssignmentId::from_uuid(uuid::Uuid::from_u128(9)),
            seller: cube_domain::ids::UserId::from_uuid(uuid::Uuid::from_u128(8)),
            now: time::macros::datetime!(2026-12-05 10:00 UTC),
            setup,
            gate: cube_domain::contact_policy::standing::ContactGate::OPEN,
        }
    }

    /// What SQLite plans for a statement: the `detail` column of `EXPLAIN QUERY PLAN`.
    async fn query_plan(conn: &mut SqliteConnection, sql: &str, args: SqliteArguments) -> String {
        use sqlx::Row as _;
        let rows = sqlx::query_with(
            sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")),
            args,
        )
        .fetch_all(conn)
        .await
        .expect("a plan");
        rows.iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Each tier and each pool plan but the sorted one walks an index in its order and stops
    /// at the first row: no temporary B-tree (a sort of every candidate), whatever the size.
    #[tokio::test]
    async fn the_tiers_read_indexes_in_order_without_sorting() {
        use PriorityRule::*;
        let store = crate::SqliteStore::in_memory().await.expect("a store");
        let mut conn = store.pool().acquire().await.expect("a connection");
        let plain = request(setup(vec![ImportOrder], 0));
        let segmented = request(setup(vec![SegmentOrder, ImportOrder], 2));
        for (what, request, indexes) in [
            (
                "import order",
                plain,
                &[
                    "enrollments_personal_due",
                    "enrollments_shared_due",
                    "enrollments_ready",
                    "enrollments_resting",
                    "enrollments_resting_since",
                ][..],
            ),
            (
                "segments",
                segmented,
                &[
                    "enrollments_personal_due",
                    "enrollments_shared_due",
                    "enrollments_ready_by_segment",
                    "enrollments_resting_by_segment",
                    "enrollments_ready",
                    "enrollments_resting",
                    "enrollments_resting_since",
                ][..],
            ),
        ] {
            assert!(matches!(
                plan(&request.setup),
                Plan::Sequence | Plan::Segments(_)
            ));
            let (sql, args) = choose(&request).expect("a statement");
            let plan = query_plan(&mut conn, &sql, args).await;
            // The contact gate reads the candidate row itself and, for a daily cap, a range
            // of the customer's calls today, and nothing else; the rest of the plan is the
            // tiers' (read without that range).
            let probe = "SEARCH c USING INDEX sqlite_autoindex_customers_1 (id=?)";
            assert!(!plan.contains(probe), "{what} probes the customer: {plan}");
            // Under a daily cap, a range of the customer's calls today.
            let calls = "SEARCH ev USING INDEX outcome_events_by_customer (customer_id=? AND \
                occurred_at>?)";
            assert!(plan.contains(calls), "{what} counts by index: {plan}");
            let plan = plan
                .split("; ")
                .filter(|step| {
                    *step != probe
                        && *step != calls
                        && !step.starts_with("CORRELATED SCALAR SUBQUERY")
                })
                .collect::<Vec<_>>()
                .join("; ");
            assert!(
                !plan.contains("SEARCH c") && !plan.contains("SCAN c"),
                "{what}: {plan}"
            );
            for index in indexes {
                assert!(plan.contains(index), "{what} reads {index}: {plan}");
            }
            // Only the held tier sorts: the few rows the asker holds a live lease on.
            let held = "SEARCH e USING INDEX enrollments_reserved (assignment_id=? AND \
                reserved_by=? AND reserved_until>?); USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY";
            assert!(plan.contains(held), "{what}: {plan}");
            let rest = plan.replace(held, "");
            assert!(!rest.contains("TEMP B-TREE"), "{what} sorts: {plan}");
        }
    }
}
