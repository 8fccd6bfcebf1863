//! Enrollments: the "now" of each customer in each assignment. Every field of the
//! `EnrollmentSnapshot` is a column of its own (no JSON), because "next customer", My Work
//! and the current reports filter and sort on them. The row codec here is shared with the
//! queue (`crate::queue`), which reads enrollments back from `UPDATE … RETURNING`.

use super::{Query, execute};
use crate::codec::{
    category_text, col, count, id_list, id_text, opt_id_text, opt_time_ns, parse_category,
    parse_id, time_from_ns, time_ns, to_i64,
};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::enrollment::{
    Enrollment, EnrollmentCursor, EnrollmentSnapshot, FollowUp, Reservation,
};
use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId, UserId};
use cube_domain::ports::EnrollmentWrites;
use cube_domain::ports::{EnrollmentRepository, Handout, NextCustomerRequest, StoreError};
use cube_domain::queue::census::{QueueCensus, Waiting};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

/// The columns of an enrollment row, in the order `bind_enrollment` binds them (`?1`…`?15`);
/// a macro so that `concat!` builds whole statements as `&'static str`.
macro_rules! enrollment_columns {
    () => {
        "id, assignment_id, customer_id, state_id, category, segment_id, attempts, \
         last_contact, follow_up_due, follow_up_owner, no_answer_at, reserved_by, \
         reserved_until, sequence, enrolled_at"
    };
}
pub(crate) use enrollment_columns;

pub(crate) const INSERT: &str = concat!(
    "INSERT INTO enrollments (",
    enrollment_columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
);

/// The statement `enrollment` runs: the enrollment columns of the enrollment `?1`.
pub const ENROLLMENT_BY_ID: &str = concat!(
    "SELECT ",
    enrollment_columns!(),
    " FROM enrollments WHERE id = ?1"
);

/// The statement `update_enrollment` runs. Binds as `INSERT` does (`bind_enrollment`: `?1`…`?15`
/// in column order: id, assignment, customer, state, category, segment, attempts, last
/// contact, follow-up due and owner, NoAnswer time, reserved by and until, sequence,
/// enrolment time) but writes only what can change after the
/// insert (state and category, segment, attempts, last contact, follow-up, NoAnswer time,
/// reservation). The id, assignment, customer, import order and enrolment time are fixed:
/// they are matched, never written, so an update of an enrollment that differs in them finds
/// no row (`Conflict`) and cannot hit the (assignment, customer) unique rule.
pub const UPDATE_ENROLLMENT: &str = "UPDATE enrollments SET state_id = ?4, category = ?5, segment_id = ?6, \
    attempts = ?7, last_contact = ?8, follow_up_due = ?9, follow_up_owner = ?10, \
    no_answer_at = ?11, reserved_by = ?12, reserved_until = ?13 \
    WHERE id = ?1 AND assignment_id = ?2 AND customer_id = ?3 AND sequence = ?14 \
    AND enrolled_at = ?15";

/// Binds every field of the enrollment as `?1`…`?15`, in `enrollment_columns!` order.
fn bind_enrollment<'q>(query: Query<'q>, enrollment: &Enrollment) -> Result<Query<'q>, StoreError> {
    let s = enrollment.snapshot();
    Ok(query
        .bind(id_text(s.id.as_uuid()))
        .bind(id_text(s.assignment.as_uuid()))
        .bind(id_text(s.customer.as_uuid()))
        .bind(id_text(s.state.as_uuid()))
        .bind(category_text(s.category))
        .bind(opt_id_text(s.segment.map(|id| id.as_uuid())))
        .bind(i64::from(s.attempts))
        .bind(opt_time_ns(s.last_contact)?)
        .bind(opt_time_ns(s.follow_up.map(|f| f.due))?)
        .bind(opt_id_text(
            s.follow_up.and_then(|f| f.owner).map(|id| id.as_uuid()),
        ))
        .bind(opt_time_ns(s.no_answer_at)?)
        .bind(opt_id_text(s.reservation.map(|r| r.seller.as_uuid())))
        .bind(opt_time_ns(s.reservation.map(|r| r.until))?)
        .bind(to_i64("sequence", s.sequence)?)
        .bind(time_ns(s.enrolled_at)?))
}

/// The columns `bind_enrollment` binds, in the same order and encoding, as a JSON array (for
/// the set-based import's `INSERT … SELECT FROM json_each`).
pub(crate) fn enrollment_json(enrollment: &Enrollment) -> Result<serde_json::Value, StoreError> {
    let s = enrollment.snapshot();
    Ok(serde_json::json!([
        id_text(s.id.as_uuid()),
        id_text(s.assignment.as_uuid()),
        id_text(s.customer.as_uuid()),
        id_text(s.state.as_uuid()),
        category_text(s.category),
        opt_id_text(s.segment.map(|id| id.as_uuid())),
        i64::from(s.attempts),
        opt_time_ns(s.last_contact)?,
        opt_time_ns(s.follow_up.map(|f| f.due))?,
        opt_id_text(s.follow_up.and_then(|f| f.owner).map(|id| id.as_uuid())),
        opt_time_ns(s.no_answer_at)?,
        opt_id_text(s.reservation.map(|r| r.seller.as_uuid())),
        opt_time_ns(s.reservation.map(|r| r.until))?,
        to_i64("sequence", s.sequence)?,
        time_ns(s.enrolled_at)?,
    ]))
}

fn opt_id<T: From<uuid::Uuid>>(row: &SqliteRow, name: &str) -> Result<Option<T>, StoreError> {
    col::<Option<String>>(row, name)?
        .as_deref()
        .map(parse_id)
        .transpose()
}

fn opt_time(row: &SqliteRow, name: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    col::<Option<i64>>(row, name)?.map(time_from_ns).transpose()
}

/// An enrollment read back from a row with the `enrollment_columns!`.
pub(crate) fn enrollment_from_row(row: &SqliteRow) -> Result<Enrollment, StoreError> {
    let id = |name| -> Result<String, StoreError> { col(row, name) };
    let follow_up = opt_time(row, "follow_up_due")?.map(|due| -> Result<_, StoreError> {
        Ok(FollowUp {
            due,
            owner: opt_id::<UserId>(row, "follow_up_owner")?,
        })
    });
    let reservation = match (
        opt_id::<UserId>(row, "reserved_by")?,
        opt_time(row, "reserved_until")?,
    ) {
        (Some(seller), Some(until)) => Some(Reservation { seller, until }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "an enrollment's reservation has a seller without an end, or an end without a seller"
                    .into(),
            ));
        }
    };
    let attempts: i64 = col(row, "attempts")?;
    let sequence: i64 = col(row, "sequence")?;
    Ok(Enrollment::from(EnrollmentSnapshot {
        id: parse_id(&id("id")?)?,
        assignment: parse_id(&id("assignment_id")?)?,
        customer: parse_id(&id("customer_id")?)?,
        state: parse_id(&id("state_id")?)?,
        category: parse_category(&id("category")?)?,
        segment: opt_id(row, "segment_id")?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::Corrupt(format!("enrollment attempts {attempts}")))?,
        last_contact: opt_time(row, "last_contact")?,
        follow_up: follow_up.transpose()?,
        no_answer_at: opt_time(row, "no_answer_at")?,
        reservation,
        sequence: u64::try_from(sequence)
            .map_err(|_| StoreError::Corrupt(format!("enrollment sequence {sequence}")))?,
        enrolled_at: time_from_ns(col(row, "enrolled_at")?)?,
    }))
}

impl SqliteUnit {
    async fn fetch_enrollments(&mut self, query: Query<'_>) -> Result<Vec<Enrollment>, StoreError> {
        let rows = query.fetch_all(self.conn()).await.map_err(store_error)?;
        rows.iter().map(enrollment_from_row).collect()
    }

    async fn fetch_enrollment(
        &mut self,
        query: Query<'_>,
    ) -> Result<Option<Enrollment>, StoreError> {
        let row = query
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        row.as_ref().map(enrollment_from_row).transpose()
    }
}

/// The queue's census (`EnrollmentRepository::queue_census`): `?1` the assignment, `?2` the
/// seller, `?3` now, `?4` now less the retry delay, `?5`–`?9` the contact gate and the
/// attempt cap (as `queue::GateArgs`: 1 when consumers may be called now; the first day a
/// register check counts from; the attempt cap; the daily cap; the start of today). The `CASE` is `queue::census::reason` in its order — an enrollment ready by
/// the assignment's rules is then classified by the gate, as `ContactGate::barred`; a rest
/// ends at its NoAnswer plus the delay.
const QUEUE_CENSUS: &str = "
WITH classified AS (
    SELECT CASE
               WHEN e.category = 'Excluded' THEN 'excluded'
               WHEN e.reserved_until > ?3 AND e.reserved_by = ?2 THEN 'ready'
               WHEN e.reserved_until > ?3 THEN 'held'
               WHEN e.follow_up_due IS NOT NULL AND e.follow_up_owner IS NOT NULL
                    AND e.follow_up_owner <> ?2 THEN 'others'
               WHEN e.follow_up_due IS NOT NULL AND e.follow_up_due <= ?3 THEN 'ready'
               WHEN e.follow_up_due IS NOT NULL THEN 'later'
               WHEN e.category <> 'Available' THEN 'concluded'
               WHEN ?7 IS NOT NULL AND e.attempts >= ?7 THEN 'attempts_used'
               WHEN e.no_answer_at IS NOT NULL AND e.no_answer_at > ?4 THEN 'resting'
               ELSE 'ready'
           END AS why,
           CASE
               WHEN c.contact_block = 'do_not_call' THEN 'do_not_call'
               WHEN c.contact_block = 'reserved' AND ?6 IS NOT NULL THEN 'reserved'
               WHEN ?8 IS NOT NULL AND (SELECT count(*) FROM outcome_events AS ev
                        WHERE ev.customer_id = e.customer_id AND ev.occurred_at >= ?9
                          AND ev.user_id IS NOT NULL) >= ?8 THEN 'daily_cap'
               WHEN c.dataset = 'B2c' AND ?5 = 0 THEN 'closed'
               WHEN c.dataset = 'B2c' AND ?6 IS NOT NULL
                    AND (c.register_checked IS NULL OR c.register_checked < ?6)
                   THEN 'not_checked'
           END AS barred,
           e.reserved_until, e.follow_up_due, e.no_answer_at
    FROM enrollments AS e LEFT JOIN customers AS c ON c.id = e.customer_id
    WHERE e.assignment_id = ?1
), r AS (
    SELECT c.*, COALESCE(barred IN ('do_not_call', 'reserved'), 0) AS lasting FROM classified AS c
)
SELECT count(*) FILTER (WHERE why = 'ready' AND barred IS NULL) AS ready,
       count(*) FILTER (WHERE why = 'held' AND NOT lasting) AS held,
       min(reserved_until) FILTER (WHERE why = 'held' AND NOT lasting) AS held_first,
       count(*) FILTER (WHERE why = 'resting' AND NOT lasting) AS resting,
       min(no_answer_at) FILTER (WHERE why = 'resting' AND NOT lasting) AS resting_first,
       count(*) FILTER (WHERE why = 'later' AND NOT lasting) AS later,
       min(follow_up_due) FILTER (WHERE why = 'later' AND NOT lasting) AS later_first,
       count(*) FILTER (WHERE why = 'others' AND NOT lasting) AS others,
       count(*) FILTER (WHERE why = 'concluded') AS concluded,
       count(*) FILTER (WHERE why = 'excluded') AS excluded,
       count(*) FILTER (WHERE why = 'attempts_used' AND NOT lasting) AS attempts_used,
       count(*) FILTER (WHERE barred = 'do_not_call'
                          AND why NOT IN ('concluded', 'excluded')) AS do_not_call,
       count(*) FILTER (WHERE barred = 'reserved'
                          AND why NOT IN ('concluded', 'excluded')) AS reserved,
       count(*) FILTER (WHERE why = 'ready' AND barred = 'daily_cap') AS daily_cap,
       count(*) FILTER (WHERE why = 'ready' AND barred = 'closed') AS closed,
       count(*) FILTER (WHERE why = 'ready' AND barred = 'not_checked') AS not_checked
FROM r";

#[async_trait]
impl EnrollmentRepository for SqliteUnit {
    async fn enrollment(&mut self, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError> {
        self.fetch_enrollment(sqlx::query(ENROLLMENT_BY_ID).bind(id_text(id.as_uuid())))
            .await
    }

    async fn held_by(
        &mut self,
        assignment: AssignmentId,
        seller: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        // One range of `enrollments_reserved` (migration 0007).
        let sql = concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = ? AND reserved_by = ? \
              AND reserved_until > ? ORDER BY id"
        );
        let query = sqlx::query(sql)
            .bind(id_text(assignment.as_uuid()))
            .bind(id_text(seller.as_uuid()))
            .bind(time_ns(now)?);
        self.fetch_enrollments(query).await
    }

    async fn enrollment_of(
        &mut self,
        assignment: AssignmentId,
        customer: CustomerId,
    ) -> Result<Option<Enrollment>, StoreError> {
        let sql = concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = ? AND customer_id = ?"
        );
        let query = sqlx::query(sql)
            .bind(id_text(assignment.as_uuid()))
            .bind(id_text(customer.as_uuid()));
        self.fetch_enrollment(query).await
    }

    async fn enrollments(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let sql = concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = ? ORDER BY sequence, id"
        );
        let query = sqlx::query(sql).bind(id_text(assignment.as_uuid()));
        self.fetch_enrollments(query).await
    }

    async fn enrollments_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<EnrollmentCursor>,
        limit: u32,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let assignment = id_text(assignment.as_uuid());
        let Some(after) = after else {
            let sql = concat!(
                "SELECT ",
                enrollment_columns!(),
                " FROM enrollments WHERE assignment_id = ? ORDER BY sequence, id LIMIT ?"
            );
            let query = sqlx::query(sql).bind(assignment).bind(i64::from(limit));
            return self.fetch_enrollments(query).await;
        };
        // No stored sequence is past `i64::MAX` (SQLite's integers): nothing comes after.
        let Ok(sequence) = i64::try_from(after.sequence) else {
            return Ok(Vec::new());
        };
        // The place's values, not its row (which may be gone). `sequence >= ?` alone bounds
        // the range of `enrollments_by_sequence`.
        let sql = concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = ?1 AND sequence >= ?2 \
              AND (sequence > ?2 OR id > ?3) ORDER BY sequence, id LIMIT ?4"
        );
        let query = sqlx::query(sql)
            .bind(assignment)
            .bind(sequence)
            .bind(id_text(after.id.as_uuid()))
            .bind(i64::from(limit));
        self.fetch_enrollments(query).await
    }

    async fn enrollments_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let sql = concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE customer_id = ? ORDER BY id"
        );
        let query = sqlx::query(sql).bind(id_text(customer.as_uuid()));
        self.fetch_enrollments(query).await
    }

    async fn queue_census(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<QueueCensus, StoreError> {
        // One pass over the assignment's enrollments, each classified as
        // `queue::census::reason` does (the contract holds the two together). A NoAnswer at
        // or before `rested` has rested long enough.
        let rested = request
            .now
            .checked_sub(request.setup.retry_delay)
            .and_then(|at| time_ns(at).ok())
            .unwrap_or(i64::MIN);
        let gate = crate::queue::gate_args(&request.gate, &request.setup)?;
        let row = sqlx::query(QUEUE_CENSUS)
            .bind(id_text(request.assignment.as_uuid()))
            .bind(id_text(request.seller.as_uuid()))
            .bind(time_ns(request.now)?)
            .bind(rested)
            .bind(gate.consumers_open)
            .bind(gate.checked_since)
            .bind(gate.max_attempts)
            .bind(gate.daily_cap)
            .bind(gate.day_since)
            .fetch_one(self.conn())
            .await
            .map_err(store_error)?;
        let time = |column: &str| -> Result<Option<OffsetDateTime>, StoreError> {
            col::<Option<i64>>(&row, column)?
                .map(time_from_ns)
                .transpose()
        };
        Ok(QueueCensus {
            ready: count(&row, "ready")?,
            held_by_others: Waiting {
                count: count(&row, "held")?,
                first: time("held_first")?,
            },
            resting: Waiting {
                count: count(&row, "resting")?,
                first: time("resting_first")?.map(|at| {
                    at.checked_add(request.setup.retry_delay)
                        .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc())
                }),
            },
            follow_ups_later: Waiting {
                count: count(&row, "later")?,
                first: time("later_first")?,
            },
            others_follow_ups: count(&row, "others")?,
            concluded: count(&row, "concluded")?,
            excluded: count(&row, "excluded")?,
            attempts_used: count(&row, "attempts_used")?,
            do_not_call: count(&row, "do_not_call")?,
            reserved: count(&row, "reserved")?,
            consumers_closed: QueueCensus::consumers_closed(count(&row, "closed")?, &request.gate),
            not_checked: count(&row, "not_checked")?,
            daily_cap: QueueCensus::daily_capped(count(&row, "daily_cap")?, &request.gate),
        })
    }

    async fn next_sequence(&mut self, assignment: AssignmentId) -> Result<u64, StoreError> {
        let highest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(sequence) FROM enrollments WHERE assignment_id = ?")
                .bind(id_text(assignment.as_uuid()))
                .fetch_one(self.conn())
                .await
                .map_err(store_error)?;
        let next = highest.map_or(Ok(1), |n| {
            n.checked_add(1)
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("enrollment sequence {n}")))
        })?;
        Ok(next)
    }

    async fn follow_ups(
        &mut self,
        assignments: &[AssignmentId],
        seller: UserId,
        until: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let sql = concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments \
              WHERE assignment_id IN (SELECT value FROM json_each(?1)) \
                AND follow_up_due IS NOT NULL AND follow_up_due < ?2 \
                AND (follow_up_owner IS NULL OR follow_up_owner = ?3) \
              ORDER BY follow_up_due, id"
        );
        let query = sqlx::query(sql)
            .bind(id_list(assignments.iter().map(|a| a.as_uuid())))
            .bind(crate::codec::bound_ns(until))
            .bind(id_text(seller.as_uuid()));
        self.fetch_enrollments(query).await
    }
}

#[async_trait]
impl EnrollmentWrites for SqliteUnit {
    async fn insert_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let query = bind_enrollment(sqlx::query(INSERT), enrollment)?;
        execute(self.conn(), query).await.map(drop)
    }
    async fn update_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let query = bind_enrollment(sqlx::query(UPDATE_ENROLLMENT), enrollment)?;
        match execute(self.conn(), query).await? {
            0 => Err(StoreError::Conflict(format!(
                "enrollment {} does not exist (it was removed meanwhile, or is not there with \
                 that assignment, customer, import order and enrolment time: an update cannot \
                 move it)",
                enrollment.id()
            ))),
            _ => Ok(()),
        }
    }
    async fn delete_enrollment(&mut self, id: EnrollmentId) -> Result<(), StoreError> {
        let query = sqlx::query("DELETE FROM enrollments WHERE id = ?").bind(id_text(id.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
    async fn reserve_next(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError> {
        crate::queue::reserve_next(self.conn(), request).await
    }
}
