//! "Next customer" in one statement: `UPDATE enrollments SET reserved_by, reserved_until
//! WHERE id = (SELECT … ORDER BY … LIMIT 1) RETURNING …`, run inside a `BEGIN IMMEDIATE`
//! transaction, so choosing and reserving are one atomic step and two callers — through two
//! pools or two processes — never get the same enrollment: the second waits for the first
//! one's write lock and then no longer sees its choice as free.
//!
//! The `WHERE` and `ORDER BY` are `cube_domain::queue`'s `tier` and `compare`, written in SQL:
//! - first, in a statement of its own (`HELD`, on the `enrollments_reserved` index): a
//!   customer the asker holds a live lease on, the lease ending soonest first, handed back
//!   with the lease renewed;
//! - otherwise workable: not Excluded, and no live lease;
//! - tier 0: the asker's own due personal follow-ups; tier 1: due shared follow-ups; both by
//!   due time, whatever the category; another seller's personal follow-up never;
//! - tier 2, the pool: Available, no follow-up, the last NoAnswer at least the setup's retry
//!   delay ago (`no_answer_at <= now - retry_delay`), by the setup's priority rules, each
//!   wrapped in `CASE WHEN follow_up_due IS NULL` so it orders the pool only;
//! - import order (`sequence`) breaks every tie.
//!
//! A `Field` rule orders by `customer_fields.sort_key`, whose bytes compare like
//! `FieldValue`'s `Ord` (`crate::sort_key`); customers without the value come last in either
//! direction.

use crate::codec::{id_list, id_text, time_ns};
use crate::error::store_error;
use crate::repos::enrollments::{enrollment_columns, enrollment_from_row};
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule};
use cube_domain::ports::{Handout, NextCustomerRequest, StoreError};
use cube_domain::queue::Tier;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, SqliteConnection};
use std::fmt::Write as _;

/// The asker's own live reservation, renewed. Parameters as `HEAD`'s first four.
const HELD: &str = concat!(
    "UPDATE enrollments SET reserved_until = ?2 \
    WHERE id = (\
      SELECT e.id FROM enrollments AS e \
      WHERE e.assignment_id = ?3 AND e.reserved_by = ?1 AND e.reserved_until > ?4 \
        AND e.category <> 'Excluded' \
      ORDER BY e.reserved_until, e.sequence, e.id LIMIT 1) RETURNING ",
    enrollment_columns!()
);

/// The statement up to the pool's priority rules. Parameters: `?1` seller, `?2` lease end,
/// `?3` assignment, `?4` now, `?5` now less the retry delay.
const HEAD: &str = "UPDATE enrollments SET reserved_by = ?1, reserved_until = ?2 \
    WHERE id = (\
      SELECT e.id FROM enrollments AS e \
      WHERE e.assignment_id = ?3 \
        AND e.category <> 'Excluded' \
        AND (e.reserved_until IS NULL OR e.reserved_until <= ?4) \
        AND ((e.follow_up_due IS NOT NULL AND e.follow_up_due <= ?4 \
              AND (e.follow_up_owner IS NULL OR e.follow_up_owner = ?1)) \
          OR (e.follow_up_due IS NULL AND e.category = 'Available' \
              AND (e.no_answer_at IS NULL OR e.no_answer_at <= ?5))) \
      ORDER BY \
        CASE WHEN e.follow_up_due IS NULL THEN 2 WHEN e.follow_up_owner IS NULL THEN 1 ELSE 0 END, \
        e.follow_up_due";

/// After the rules: import order, then the id so the choice is deterministic.
const TAIL: &str = concat!(
    ", e.sequence, e.id LIMIT 1) RETURNING ",
    enrollment_columns!()
);

/// The first four arguments of both statements: seller, lease end, assignment, now.
fn head_args(request: &NextCustomerRequest) -> Result<SqliteArguments, StoreError> {
    let mut args = SqliteArguments::default();
    let now = time_ns(request.now)?;
    let until = request
        .now
        .checked_add(request.setup.lease)
        .ok_or_else(|| StoreError::Unrepresentable("the lease ends too late".into()))?;
    bind(&mut args, Value::Text(id_text(request.seller.as_uuid())))?;
    bind(&mut args, Value::Int(time_ns(until)?))?;
    bind(
        &mut args,
        Value::Text(id_text(request.assignment.as_uuid())),
    )?;
    bind(&mut args, Value::Int(now))?;
    Ok(args)
}

/// The statement and its arguments for a request.
fn statement(request: &NextCustomerRequest) -> Result<(String, SqliteArguments), StoreError> {
    let mut args = head_args(request)?;
    // A NoAnswer at or before this time has rested long enough; before any storable time,
    // none has.
    let rested = request
        .now
        .checked_sub(request.setup.retry_delay)
        .and_then(|at| time_ns(at).ok())
        .unwrap_or(i64::MIN);
    bind(&mut args, Value::Int(rested))?;

    let mut sql = String::from(HEAD);
    let mut next = 6;
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
        // other terms are never NULL in the pool, and NULL for follow-ups, which are ordered
        // by tier and due time before these terms.
        let _ = write!(
            sql,
            ", CASE WHEN e.follow_up_due IS NULL THEN {text} END {order} NULLS LAST"
        );
    }
    sql.push_str(TAIL);
    Ok((sql, args))
}

/// A bound value.
enum Value {
    Text(String),
    Int(i64),
}

fn bind(args: &mut SqliteArguments, value: Value) -> Result<(), StoreError> {
    match value {
        Value::Text(text) => args.add(text),
        Value::Int(n) => args.add(n),
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
    let held = sqlx::query_with(HELD, head_args(request)?)
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)?;
    if let Some(row) = held {
        let enrollment = enrollment_from_row(&row)?;
        return Ok(Some(Handout {
            enrollment,
            tier: Tier::Held,
        }));
    }
    let (sql, args) = statement(request)?;
    let row = sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_optional(conn)
        .await
        .map_err(store_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let enrollment = enrollment_from_row(&row)?;
    let tier = match enrollment.follow_up() {
        Some(follow_up) if follow_up.owner.is_some() => Tier::PersonalFollowUp,
        Some(_) => Tier::SharedFollowUp,
        None => Tier::Pool,
    };
    Ok(Some(Handout { enrollment, tier }))
}
