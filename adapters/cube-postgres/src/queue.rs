//! "Next customer" in one statement of the caller's unit of work: `cube_domain::queue`'s
//! order (`tier`, then `compare`) written in SQL, with `FOR UPDATE SKIP LOCKED` so
//! concurrent sellers, also in other server processes, each lock a different row, and the
//! reservation written by the same statement (and undone if the unit rolls back).
//!
//! The statement has four candidate branches, one per tier, each taking at most one row: a
//! customer the seller holds a live lease on (the lease ending soonest first, from the
//! `enrollments_reserved` index; handed back with the lease renewed), the seller's due
//! personal follow-ups (by due time), then due shared follow-ups (by due time), whatever the
//! category, then the ready pool (available, no pending follow-up, the last NoAnswer at
//! least the setup's retry delay ago: `no_answer_at <= $5`, now less the delay) by the
//! setup's priority rules. A branch runs only if the ones before it found nothing (an
//! uncorrelated `NOT EXISTS` is a one-time filter), so no follow-up or pool row is locked
//! needlessly (within the pool, see below). Every
//! branch refuses excluded customers and the other branches live leases, and breaks ties by
//! import order, then by id: `select_next` keeps the first of equal candidates, and
//! candidates come in (sequence, id) order.
//!
//! # The pool, fast
//! `LockRows` sits between `LIMIT` and `ORDER BY`, so a sorted pool would be sorted whole
//! on every call. Three plans avoid that (`Plan`):
//! - import order only (or segment order without segments, which ranks all alike): the
//!   ready index is already in that order, and the first unlocked row is taken;
//! - segment order, then import order (the default setup): the segments in rank order, each
//!   read in import order from the per-segment ready index, stopping at the first unlocked
//!   row, then the customers in no (known) segment;
//!
//! and in both, the customers resting after a NoAnswer are not in the ready indexes
//! (migration 0020): half of all calls are NoAnswers, and a resting customer keeps its place
//! at the front of the import order, so walking past them made every call read one page per
//! resting customer (found by `cargo xtask load`). The first *fresh* customer comes from the
//! ready index, the first *rested* one (its delay over) from the resting index in the same
//! order — read only if any delay is over at all, one probe of the index by NoAnswer time —
//! and the better of the two is taken; the other stays locked until the unit ends (a moment:
//! another seller skips it meanwhile);
//! - any other rules: the best 64 ready rows are picked without locks (a top-N sort), and
//!   the first of them still ready and unlocked is taken. Only if all 64 were taken
//!   meanwhile does a second statement sort the whole pool.
//!
//! Field keys and segment ids are bind parameters; the only text spliced into a statement
//! is this file's own fragments.

use crate::codec::get;
use crate::error::corrupt;
use crate::repos::enrollment_from_row;
use crate::unit::PgUnitOfWork;
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule};
use cube_domain::contact_policy::standing::ContactGate;
use cube_domain::customer::Customer;
use cube_domain::ports::{Handout, NextCustomerRequest, StoreError};
use cube_domain::queue::Tier;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use std::fmt::Write;
use time::OffsetDateTime;
use uuid::Uuid;

/// The contact gate (`ContactGate::barred`, migration 0023), on the candidate row's own copy
/// of its customer's facts (kept by triggers): the customer is not on the do-not-call list,
/// not reserved while the register is used (`$7` set), and — a consumer — may be called now
/// (`$6`) and was checked against the register on or after `$7` (NULL: the register is not
/// used). With a daily cap (`$9` calls; NULL: none) the customer has had fewer outcomes
/// registered by a person since `$10` (the start of today), in any assignment
/// (`outcome_events_by_customer`): a scalar subquery, so a range of that index per candidate
/// row, and only when a cap is set.
///
/// Testing the row's own columns costs next to nothing; a probe of the customer for every
/// row the queue walks cost 12-15% (docs/performance.md), hence the copy.
macro_rules! allowed {
    () => {
        "NOT (COALESCE(e.contact_block = 'do_not_call', false)
              OR COALESCE(e.contact_block = 'reserved' AND $7::date IS NOT NULL, false)
              OR (e.consumer AND (NOT $6::boolean
                  OR ($7::date IS NOT NULL
                      AND (e.register_checked IS NULL OR e.register_checked < $7::date)))))
        AND ($9::int IS NULL OR (SELECT count(*) FROM outcome_events ev
            WHERE ev.customer_id = e.customer_id AND ev.occurred_at >= $10::timestamptz
              AND ev.user_id IS NOT NULL) < $9::int)"
    };
}

/// A pool row `e` with attempts left: fewer than the setup's `max_attempts` (`$8`; NULL:
/// no cap).
macro_rules! attempts_left {
    () => {
        "($8::int IS NULL OR e.attempts < $8::int)"
    };
}

/// [`allowed!`] as a constant, for the plans written with `format!`; public for the storage
/// benchmark, which measures the statement with and without it (what the policy costs).
pub const ALLOWED: &str = allowed!();

/// The held and follow-up branches. `$1` assignment, `$2` seller, `$3` now, `$4` the
/// lease's end, `$5` now less the retry delay, `$6`, `$7`, `$9` and `$10` the contact gate
/// ([`allowed!`]), `$8` the attempt cap ([`attempts_left!`]); later parameters belong to the
/// pool's plan.
const FOLLOW_UPS: &str = concat!(
    "
WITH held AS (
    SELECT e.id, -1 AS tier FROM enrollments e
    WHERE e.assignment_id = $1 AND e.reserved_by = $2 AND e.reserved_until > $3
      AND e.category <> 'excluded'
      AND ",
    allowed!(),
    "
    ORDER BY e.reserved_until, e.sequence, e.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), personal AS (
    SELECT e.id, 0 AS tier FROM enrollments e
    WHERE NOT EXISTS (SELECT FROM held)
      AND e.assignment_id = $1 AND e.follow_up_owner = $2
      AND e.follow_up_due IS NOT NULL AND e.follow_up_due <= $3
      AND e.category <> 'excluded'
      AND (e.reserved_until IS NULL OR e.reserved_until <= $3)
      AND ",
    allowed!(),
    "
    ORDER BY e.follow_up_due, e.sequence, e.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), shared AS (
    SELECT e.id, 1 AS tier FROM enrollments e
    WHERE NOT EXISTS (SELECT FROM held) AND NOT EXISTS (SELECT FROM personal)
      AND e.assignment_id = $1 AND e.follow_up_owner IS NULL
      AND e.follow_up_due IS NOT NULL AND e.follow_up_due <= $3
      AND e.category <> 'excluded'
      AND (e.reserved_until IS NULL OR e.reserved_until <= $3)
      AND ",
    allowed!(),
    "
    ORDER BY e.follow_up_due, e.sequence, e.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), "
);

/// Nothing was found in the follow-up branches.
const NO_FOLLOW_UP: &str = "NOT EXISTS (SELECT FROM held) AND NOT EXISTS (SELECT FROM personal) \
    AND NOT EXISTS (SELECT FROM shared)";

/// A row `e` of the ready pool (the sorted plans read it whole).
const READY: &str = concat!(
    "e.assignment_id = $1 AND e.category = 'available' AND e.follow_up_due IS NULL
      AND (e.no_answer_at IS NULL OR e.no_answer_at <= $5)
      AND (e.reserved_until IS NULL OR e.reserved_until <= $3)
      AND ",
    attempts_left!()
);

/// A fresh row `e` of the ready pool (no NoAnswer since its last outcome), spelled so the
/// ready indexes apply (migration 0020).
const FRESH: &str = concat!(
    "e.assignment_id = $1 AND e.category = 'available' AND e.follow_up_due IS NULL
      AND e.no_answer_at IS NULL
      AND (e.reserved_until IS NULL OR e.reserved_until <= $3)
      AND ",
    attempts_left!(),
    " AND ",
    allowed!()
);

/// A row `e` of the ready pool whose rest after a NoAnswer has ended, spelled so the resting
/// indexes apply. Only read when [`ANY_RESTED`] holds: walking the resting customers in
/// import order while none has rested long enough would read every one of them.
const RESTED: &str = concat!(
    "e.assignment_id = $1 AND e.category = 'available' AND e.follow_up_due IS NULL
      AND e.no_answer_at IS NOT NULL AND e.no_answer_at <= $5
      AND (e.reserved_until IS NULL OR e.reserved_until <= $3)
      AND ",
    attempts_left!(),
    " AND ",
    allowed!()
);

/// Whether any customer of the assignment has rested long enough: the earliest NoAnswer of
/// a resting customer, one probe of `enrollments_resting_since` (an uncorrelated scalar
/// subquery, evaluated once), compared with `$5`.
///
/// Written as `min()` and not as `EXISTS (… AND no_answer_at <= $5)`: on its generic plan
/// (`GENERIC_PLAN`) PostgreSQL cannot tell how many rows `<= $5` keeps and served the
/// `EXISTS` from `enrollments_resting` in import order, reading every resting customer when
/// no delay had ended — ~800 pages a call in the storage bench (`pg_stat_user_indexes`:
/// `enrollments_resting_since` never scanned). `min()` over a column the index is ordered by
/// can only be read from that index, whatever `$5` is.
const ANY_RESTED: &str = "(SELECT min(r.no_answer_at) FROM enrollments r
        WHERE r.assignment_id = $1 AND r.category = 'available' AND r.follow_up_due IS NULL
          AND r.no_answer_at IS NOT NULL) <= $5";

/// The chosen row reserved, after the `ready` branch.
const RESERVE: &str = "
chosen AS (
    SELECT id, tier FROM held
    UNION ALL SELECT id, tier FROM personal
    UNION ALL SELECT id, tier FROM shared
    UNION ALL SELECT id, tier FROM ready
)
UPDATE enrollments e
SET reserved_by = $2, reserved_until = $4, row_version = e.row_version + 1
FROM chosen
WHERE e.id = chosen.id
RETURNING e.id, e.assignment_id, e.customer_id, e.state_id, e.category, e.segment_id,
    e.attempts, e.last_contact, e.follow_up_due, e.follow_up_owner, e.no_answer_at, e.reserved_by,
    e.reserved_until, e.sequence, e.enrolled_at, e.row_version, chosen.tier,
    (SELECT c.data FROM customers c WHERE c.id = e.customer_id) AS customer_data";

/// How many of the best ready rows the general plan looks at before sorting the whole pool.
const PRESELECT: u32 = 64;

/// What the pool's rules need bound, in parameter order after `$10`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// The setup's segment ids in rank order, as `uuid[]`.
    Segments(Vec<Uuid>),
    /// A CRM field key, as `text`.
    FieldKey(String),
}

/// The sort keys of a CRM field value `v` (`{"type": …, "value": …}` as serde writes a
/// `FieldValue`) that order values as `FieldValue`'s derived `Ord` does: the variant first
/// (Text < Number < Decimal < Date < Boolean < Choice), then the value — text bytewise
/// (`COLLATE "C"`), numbers and decimals numerically, dates by (year, day of year), false
/// before true. Customers without a value come last in either direction.
fn field_terms(v: &str, direction: Direction) -> [String; 6] {
    let dir = match direction {
        Direction::Ascending => "",
        Direction::Descending => " DESC",
    };
    // serde writes a `time::Date` as [year, ordinal]; a build with time's
    // `serde-human-readable` writes "YYYY-MM-DD". Both sort by the same key.
    let date = format!(
        "CASE jsonb_typeof({v} -> 'value') \
             WHEN 'array' THEN ({v} -> 'value' ->> 0)::int * 1000 + ({v} -> 'value' ->> 1)::int \
             ELSE (extract(year FROM ({v} ->> 'value')::date) * 1000 \
                   + extract(doy FROM ({v} ->> 'value')::date))::int END"
    );
    [
        format!("({v} IS NULL)"),
        format!(
            "CASE {v} ->> 'type' WHEN 'text' THEN 0 WHEN 'number' THEN 1 WHEN 'decimal' THEN 2 \
             WHEN 'date' THEN 3 WHEN 'boolean' THEN 4 WHEN 'choice' THEN 5 END{dir}"
        ),
        format!(
            "(CASE WHEN {v} ->> 'type' IN ('text', 'choice') THEN {v} ->> 'value' END) \
             COLLATE \"C\"{dir}"
        ),
        format!(
            "CASE WHEN {v} ->> 'type' IN ('number', 'decimal') \
             THEN ({v} ->> 'value')::numeric END{dir}"
        ),
        format!("CASE WHEN {v} ->> 'type' = 'date' THEN {date} END{dir}"),
        format!("CASE WHEN {v} ->> 'type' = 'boolean' THEN ({v} ->> 'value')::boolean END{dir}"),
    ]
}

/// How the pool's `ready` branch finds its row (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// The pool in import order, straight from the ready index.
    ImportOrder,
    /// The setup's segments in rank order, each in import order, then the rest.
    SegmentLadder,
    /// Sorted by the rules: the best [`PRESELECT`] rows first, or the whole pool.
    Sorted {
        /// Whether only the best [`PRESELECT`] rows are considered.
        preselect: bool,
    },
}

/// The rules that order anything: segment order without segments ranks all alike.
fn effective_rules(setup: &AssignmentSetup) -> Vec<&PriorityRule> {
    setup
        .priority
        .iter()
        .filter(|rule| !(**rule == PriorityRule::SegmentOrder && setup.segments.is_empty()))
        .collect()
}

impl Plan {
    fn of(setup: &AssignmentSetup) -> Self {
        use PriorityRule::{ImportOrder, SegmentOrder};
        match effective_rules(setup).as_slice() {
            [] | [ImportOrder] => Plan::ImportOrder,
            [SegmentOrder] | [SegmentOrder, ImportOrder] => Plan::SegmentLadder,
            _ => Plan::Sorted { preselect: true },
        }
    }
}

/// The `ORDER BY` terms of the rules (each followed by ", "), the `LEFT JOIN` of customers
/// if a rule reads CRM fields, and the parameters the terms bind from `$11` on.
fn order_terms(setup: &AssignmentSetup) -> (String, &'static str, Vec<Param>) {
    let mut params = Vec::new();
    let mut order = String::new();
    let mut join = "";
    for rule in effective_rules(setup) {
        let terms: Vec<String> = match rule {
            PriorityRule::SegmentOrder => {
                let segments = setup.segments.iter().map(|s| s.id.as_uuid()).collect();
                params.push(Param::Segments(segments));
                // Unknown segments and none: NULL, all equal, last (`segment_rank`).
                vec![format!(
                    "array_position(${}::uuid[], e.segment_id) NULLS LAST",
                    params.len() + 10
                )]
            }
            PriorityRule::Field(key, direction) => {
                params.push(Param::FieldKey(key.as_str().to_owned()));
                join = " LEFT JOIN customers c ON c.id = e.customer_id";
                let v = format!("(c.data -> 'fields' -> ${}::text)", params.len() + 10);
                field_terms(&v, *direction).into()
            }
            PriorityRule::FewestAttempts => vec!["e.attempts".into()],
            // Never contacted first of all (`None < Some` in Rust).
            PriorityRule::LongestSinceLastContact => vec!["e.last_contact NULLS FIRST".into()],
            PriorityRule::ImportOrder => vec!["e.sequence".into()],
        };
        for term in terms {
            // Writing to a String cannot fail.
            let _ = write!(order, "{term}, ");
        }
    }
    (order, join, params)
}

/// The whole statement for a plan, and the parameters it binds from `$11` on.
fn statement(setup: &AssignmentSetup, plan: Plan) -> (String, Vec<Param>) {
    let (ready, params) = match plan {
        // The first fresh customer and the first rested one, each from its own index, and
        // the better of the two (the other stays locked until the unit ends: a moment).
        Plan::ImportOrder => (
            format!(
                "fresh AS (
    SELECT e.id, e.sequence FROM enrollments e
    WHERE {NO_FOLLOW_UP} AND {FRESH}
    ORDER BY e.sequence, e.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), rested AS (
    SELECT e.id, e.sequence FROM enrollments e
    WHERE {NO_FOLLOW_UP} AND {ANY_RESTED} AND {RESTED}
    ORDER BY e.sequence, e.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), ready AS (
    SELECT id, 2 AS tier FROM (
        SELECT id, sequence FROM fresh UNION ALL SELECT id, sequence FROM rested
    ) c
    ORDER BY sequence, id
    LIMIT 1
), "
            ),
            Vec::new(),
        ),
        // Per segment, as for import order: the first fresh and the first rested customer
        // of the segment, the better of the two. The nested loop reads the segments in
        // array order and stops at the first segment with a row, so the rank order holds
        // without a sort.
        Plan::SegmentLadder => (
            format!(
                "in_segment AS (
    SELECT CASE WHEN r.id IS NULL OR (f.id IS NOT NULL AND (f.sequence, f.id) < (r.sequence, r.id))
                THEN f.id ELSE r.id END AS id
    FROM unnest($11::uuid[]) WITH ORDINALITY AS s (id, rank)
    LEFT JOIN LATERAL (
        SELECT e.id, e.sequence FROM enrollments e
        WHERE {FRESH} AND e.segment_id = s.id
        ORDER BY e.sequence, e.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ) f ON true
    LEFT JOIN LATERAL (
        SELECT e.id, e.sequence FROM enrollments e
        WHERE {ANY_RESTED} AND {RESTED} AND e.segment_id = s.id
        ORDER BY e.sequence, e.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    ) r ON true
    WHERE {NO_FOLLOW_UP} AND (f.id IS NOT NULL OR r.id IS NOT NULL)
    LIMIT 1
), unsegmented_fresh AS (
    SELECT e.id, e.sequence FROM enrollments e
    WHERE {NO_FOLLOW_UP} AND NOT EXISTS (SELECT FROM in_segment) AND {FRESH}
      AND (e.segment_id IS NULL OR e.segment_id <> ALL($11::uuid[]))
    ORDER BY e.sequence, e.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), unsegmented_rested AS (
    SELECT e.id, e.sequence FROM enrollments e
    WHERE {NO_FOLLOW_UP} AND NOT EXISTS (SELECT FROM in_segment) AND {ANY_RESTED} AND {RESTED}
      AND (e.segment_id IS NULL OR e.segment_id <> ALL($11::uuid[]))
    ORDER BY e.sequence, e.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), ready AS (
    SELECT id, 2 AS tier FROM in_segment
    UNION ALL (
        SELECT id, 2 AS tier FROM (
            SELECT id, sequence FROM unsegmented_fresh
            UNION ALL SELECT id, sequence FROM unsegmented_rested
        ) c
        ORDER BY sequence, id
        LIMIT 1
    )
), "
            ),
            vec![Param::Segments(
                setup.segments.iter().map(|s| s.id.as_uuid()).collect(),
            )],
        ),
        Plan::Sorted { preselect: true } => {
            let (order, join, params) = order_terms(setup);
            let ready = format!(
                "preselected AS (
    SELECT e.id FROM enrollments e{join}
    WHERE {NO_FOLLOW_UP} AND {READY}
    ORDER BY {order}e.sequence, e.id
    LIMIT {PRESELECT}
), ready AS (
    SELECT e.id, 2 AS tier FROM preselected p JOIN enrollments e ON e.id = p.id{join}
    WHERE {READY} AND {ALLOWED}
    ORDER BY {order}e.sequence, e.id
    LIMIT 1
    FOR UPDATE OF e SKIP LOCKED
), "
            );
            (ready, params)
        }
        Plan::Sorted { preselect: false } => {
            let (order, join, params) = order_terms(setup);
            let ready = format!(
                "ready AS (
    SELECT e.id, 2 AS tier FROM enrollments e{join}
    WHERE {NO_FOLLOW_UP} AND {READY} AND {ALLOWED}
    ORDER BY {order}e.sequence, e.id
    LIMIT 1
    FOR UPDATE OF e SKIP LOCKED
), "
            );
            (ready, params)
        }
    };
    (format!("{FOLLOW_UPS}{ready}{RESERVE}"), params)
}

/// The statement `reserve_next` runs first for `setup` (the plan its priority rules pick),
/// and the values it binds from `$11` on. It binds `$1` the assignment, `$2` the seller, `$3`
/// now, `$4` the lease's end, `$5` now less the retry delay ([`rested_since`]), `$6`–`$10`
/// the contact gate and the attempt cap ([`gate_params`], in [`GateParams`]' order), and
/// returns the reserved enrollment's columns and its `tier` (-1 held, 0 personal follow-up,
/// 1 shared follow-up, 2 pool).
///
/// Public for the storage benchmark's raw baseline (`benches/storage.rs` runs this same SQL
/// through sqlx alone, to measure what the port costs on top of it). It is not a way to
/// reserve: use `Store::reserve_next`, which also decodes the row and, for sorted plans,
/// falls back to sorting the whole pool.
pub fn reserve_statement(setup: &AssignmentSetup) -> (String, Vec<Param>) {
    statement(setup, Plan::of(setup))
}

/// The `$5` of the statement: a customer whose last NoAnswer is at or before it has waited
/// out the setup's retry delay (the current setting). A delay reaching before the first
/// representable time (which a checked setup never has) counts from 1970: no clock gives an
/// earlier NoAnswer.
pub fn rested_since(now: OffsetDateTime, setup: &AssignmentSetup) -> OffsetDateTime {
    now.checked_sub(setup.retry_delay)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// What the contact gate and the attempt cap bind, in order (`$6`–`$10` of the reserve
/// statement; the census binds the same values from `$5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateParams {
    /// Whether consumers may be called now.
    pub consumers_open: bool,
    /// The first day a consumer's register check counts from (`None`: no register).
    pub checked_since: Option<time::Date>,
    /// The setup's attempt cap.
    pub max_attempts: Option<i32>,
    /// The data owner's daily cap on calls to a customer.
    pub daily_cap: Option<i32>,
    /// The start of today, for the daily cap.
    pub day_since: Option<OffsetDateTime>,
}

/// The values the gate and the attempt cap bind (a cap beyond `i32` cannot be set up).
pub fn gate_params(gate: &ContactGate, setup: &AssignmentSetup) -> GateParams {
    GateParams {
        consumers_open: gate.consumers.is_none(),
        checked_since: gate.checked_since,
        max_attempts: setup
            .max_attempts
            .map(|cap| i32::try_from(cap).unwrap_or(i32::MAX)),
        daily_cap: gate
            .daily_cap
            .map(|cap| i32::try_from(cap.calls).unwrap_or(i32::MAX)),
        day_since: gate.daily_cap.map(|cap| cap.since),
    }
}

/// Binds [`GateParams`] in order.
pub(crate) fn bind_gate<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    gate: GateParams,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(gate.consumers_open)
        .bind(gate.checked_since)
        .bind(gate.max_attempts)
        .bind(gate.daily_cap)
        .bind(gate.day_since)
}

/// Makes the unit's reserve statement run on its generic plan (until the unit ends).
///
/// PostgreSQL plans a prepared statement for its parameters' values ("custom") while the
/// plan it would keep for every value ("generic") is estimated dearer, and this statement's
/// generic estimate always is (the follow-up branches' "due by `$3`" is guessed at a third of
/// the table). So it was planned again on every call: 1.7 ms of the backend's CPU a cycle,
/// as much as running it (`pg_stat_statements` with `track_planning`, docs/performance.md).
/// Its generic plan reads the same indexes (each branch's index, `LIMIT 1`), so it is forced
/// here, for the unit only (`SET LOCAL`): with the unit's `BEGIN` ([`BEGIN_GENERIC_PLAN`])
/// when the reserve statement is its first statement, else on its own.
const GENERIC_PLAN: &str = "SET LOCAL plan_cache_mode = force_generic_plan";

/// `BEGIN` and [`GENERIC_PLAN`]'s `SET LOCAL` in one simple query: one round trip where a
/// unit's first statement is its reserve statement ("next customer"), instead of a `BEGIN`
/// and a `SET LOCAL` of their own (issue 19). A `SET LOCAL` ends with its transaction, so the
/// connection's other statements, back in the pool, keep the server's choice of plan.
/// Public for the storage benchmark's raw baseline and the plan test, which begin their
/// transactions as the store does.
pub const BEGIN_GENERIC_PLAN: &str = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

/// Runs one plan's statement in the unit.
async fn reserve_with(
    uow: &mut PgUnitOfWork,
    request: &NextCustomerRequest,
    until: OffsetDateTime,
    plan: Plan,
) -> Result<Option<(Handout, Option<Customer>)>, StoreError> {
    let (sql, params) = statement(&request.setup, plan);
    // Sent with the unit's `BEGIN` when the reserve statement is its first statement.
    if !uow.begin_with(BEGIN_GENERIC_PLAN).await? {
        uow.execute(sqlx::query(GENERIC_PLAN)).await?;
    }
    let query = sqlx::query(AssertSqlSafe(sql))
        .bind(request.assignment.as_uuid())
        .bind(request.seller.as_uuid())
        .bind(request.now)
        .bind(until)
        .bind(rested_since(request.now, &request.setup));
    let mut query = bind_gate(query, gate_params(&request.gate, &request.setup));
    for param in params {
        query = match param {
            Param::Segments(ids) => query.bind(ids),
            Param::FieldKey(key) => query.bind(key),
        };
    }
    let Some(row) = uow.fetch_optional(query).await? else {
        return Ok(None);
    };
    let (enrollment, version) = enrollment_from_row(&row)?;
    // The unit wrote this version: a later `update_enrollment` in it must not conflict.
    uow.note_enrollment(&enrollment, version);
    let tier = match get::<i32>(&row, "tier")? {
        -1 => Tier::Held,
        0 => Tier::PersonalFollowUp,
        1 => Tier::SharedFollowUp,
        _ => Tier::Pool,
    };
    let customer: Option<Json<Customer>> = get(&row, "customer_data")?;
    Ok(Some((
        Handout { enrollment, tier },
        customer.map(|Json(c)| c),
    )))
}

/// Picks and reserves the next enrollment for the seller in the unit; see the module doc.
pub(crate) async fn reserve_next(
    uow: &mut PgUnitOfWork,
    request: &NextCustomerRequest,
) -> Result<Option<Handout>, StoreError> {
    Ok(reserve_next_with_customer(uow, request)
        .await?
        .map(|(handout, _)| handout))
}

/// [`reserve_next`] with the handed-out enrollment's customer, which the reserve statement
/// returns beside it (`customer_data`): one round trip where two were (issue 19).
pub(crate) async fn reserve_next_with_customer(
    uow: &mut PgUnitOfWork,
    request: &NextCustomerRequest,
) -> Result<Option<(Handout, Option<Customer>)>, StoreError> {
    let until = request
        .now
        .checked_add(request.setup.lease)
        .ok_or_else(|| corrupt("lease", "the lease ends past the last representable time"))?;
    let plan = Plan::of(&request.setup);
    let handout = reserve_with(uow, request, until, plan).await?;
    if handout.is_none() && plan == (Plan::Sorted { preselect: true }) {
        // Nothing ready, or every preselected row was taken meanwhile: ask the whole pool
        // (cheap when nothing is ready, which is the usual reason).
        return reserve_with(uow, request, until, Plan::Sorted { preselect: false }).await;
    }
    Ok(handout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::assignment::setup::Segment;
    use cube_domain::fields::FieldKey;
    use cube_domain::ids::SegmentId;
    use cube_domain::values::Name;

    fn with_segments(priority: Vec<PriorityRule>) -> AssignmentSetup {
        AssignmentSetup {
            segments: vec![Segment {
                id: SegmentId::from_uuid(Uuid::nil()),
                name: Name::parse("A").expect("valid name"),
            }],
            priority,
            ..AssignmentSetup::default()
        }
    }

    #[test]
    fn the_plan_follows_the_rules_that_order_anything() {
        use PriorityRule::*;
        assert_eq!(Plan::of(&AssignmentSetup::default()), Plan::ImportOrder);
        assert_eq!(
            Plan::of(&with_segments(vec![SegmentOrder, ImportOrder])),
            Plan::SegmentLadder
        );
        assert_eq!(
            Plan::of(&with_segments(vec![SegmentOrder, FewestAttempts])),
            Plan::Sorted { preselect: true }
        );
        assert_eq!(
            Plan::of(&with_segments(vec![ImportOrder, SegmentOrder])),
            Plan::Sorted { preselect: true }
        );
    }

    #[test]
    fn rules_become_order_terms_with_bound_keys() {
        let setup = with_segments(vec![
            PriorityRule::SegmentOrder,
            PriorityRule::Field(
                FieldKey::parse("revenue").expect("valid key"),
                Direction::Descending,
            ),
            PriorityRule::LongestSinceLastContact,
        ]);
        for preselect in [true, false] {
            let (sql, params) = statement(&setup, Plan::Sorted { preselect });
            assert!(sql.contains("array_position($11::uuid[], e.segment_id) NULLS LAST"));
            assert!(sql.contains("(c.data -> 'fields' -> $12::text) IS NULL"));
            assert!(sql.contains("LEFT JOIN customers c"));
            assert!(sql.contains("e.last_contact NULLS FIRST, e.sequence, e.id"));
            assert!(!sql.contains("revenue"), "keys are bound, never spliced");
            assert_eq!(params.len(), 2);
        }
    }

    #[test]
    fn without_field_rules_customers_are_not_joined() {
        let setup = with_segments(vec![PriorityRule::SegmentOrder]);
        let (sql, params) = statement(&setup, Plan::SegmentLadder);
        assert!(!sql.contains("JOIN customers"));
        assert_eq!(params.len(), 1);
    }
}
