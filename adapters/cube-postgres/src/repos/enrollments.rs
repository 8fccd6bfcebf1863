//! Enrollments: the "now" of each customer in each assignment, one real column per field of
//! `EnrollmentSnapshot` (the queue, My Work, bulk work and the status report filter on
//! them). Every write bumps `row_version`; an update from a unit of work that read the row
//! checks it, so a lease taken meanwhile by `reserve_next` or another unit is a `Conflict`,
//! not a lost update.

use crate::PgUnitOfWork;
use crate::codec::{category_text, from_bigint, get, parse_category, to_bigint, u32_from_bigint};
use crate::unit::{Document, PgQuery};
use async_trait::async_trait;
use cube_domain::assignment::Assignment;
use cube_domain::enrollment::{
    Enrollment, EnrollmentCursor, EnrollmentSnapshot, FollowUp, Reservation,
};
use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId, SegmentId, StateId, UserId};
use cube_domain::ports::EnrollmentWrites;
use cube_domain::ports::{
    EnrollmentRepository, Handout, NextCustomerRequest, RecordKind, StoreError, UniqueRule,
};
use cube_domain::queue::census::{QueueCensus, Waiting};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;
use uuid::Uuid;

/// The columns [`enrollment_from_row`] reads, for `concat!` into static queries.
macro_rules! enrollment_columns {
    () => {
        "id, assignment_id, customer_id, state_id, category, segment_id, attempts, \
         last_contact, follow_up_due, follow_up_owner, no_answer_at, reserved_by, reserved_until, \
         sequence, enrolled_at, row_version"
    };
}

/// The statement `enrollment` runs: the [`enrollment_columns`] of the enrollment `$1`.
pub const ENROLLMENT_BY_ID: &str = concat!(
    "SELECT ",
    enrollment_columns!(),
    " FROM enrollments WHERE id = $1"
);

/// The statement `enrollment_and_assignment` runs: the [`enrollment_columns`] of the
/// enrollment `$1`, with its assignment's document (`data`, NULL when missing) and version
/// (`xmin`), one round trip where two reads were (issue 19).
const ENROLLMENT_AND_ASSIGNMENT: &str = concat!(
    "SELECT en.*, a.data, a.xmin::text AS xmin FROM (SELECT ",
    enrollment_columns!(),
    " FROM enrollments WHERE id = $1) en LEFT JOIN assignments a ON a.id = en.assignment_id"
);

/// `ReadUnit::enrollment_and_assignment` in one statement: both reads are noted as
/// `enrollment` and `assignment` note them (the enrollment's version, the assignment's read
/// guard), so later writes in the unit check them the same way.
pub(crate) async fn enrollment_and_assignment(
    uow: &mut PgUnitOfWork,
    id: EnrollmentId,
) -> Result<Option<(Enrollment, Option<Assignment>)>, StoreError> {
    let query = sqlx::query(ENROLLMENT_AND_ASSIGNMENT).bind(id.as_uuid());
    let Some(row) = uow.fetch_optional(query).await? else {
        return Ok(None);
    };
    let (enrollment, version) = enrollment_from_row(&row)?;
    uow.note_enrollment(&enrollment, version);
    let assignment: Option<Json<Assignment>> = get(&row, "data")?;
    let found = assignment.as_ref().map(|_| &row);
    uow.note_read(
        Document::Assignment,
        enrollment.assignment().as_uuid(),
        found,
    )?;
    Ok(Some((enrollment, assignment.map(|Json(a)| a))))
}

/// The statement `update_enrollment` runs. It binds the snapshot as an insert does (`$1`…`$15`
/// in [`enrollment_columns`] order: id, assignment, customer, state, category, segment,
/// attempts, last contact, follow-up due and owner, NoAnswer time, reserved by and until,
/// sequence, enrolment time), then `$16` the `row_version` the unit read (NULL: not read in
/// this unit), and returns the new `row_version`; no row when the version moved on or the
/// enrollment is gone.
///
/// It writes only what can change after the insert (`Enrollment` changes its state and
/// category, segment, attempts, last contact, follow-up, NoAnswer time and reservation):
/// the id, assignment, customer, import order and enrolment time are fixed, so they are
/// matched, never written. An update of an enrollment that differs in them finds no row
/// (`Conflict`), and no unique rule can be hit. The report counters' trigger
/// (`enrollments_count_changed`, migration 0003) still fires on `state_id`, `category` and
/// `attempts` and reads the rest from the row.
pub const UPDATE_ENROLLMENT: &str = "UPDATE enrollments SET state_id = $4, category = $5,
         segment_id = $6, attempts = $7, last_contact = $8, follow_up_due = $9,
         follow_up_owner = $10, no_answer_at = $11, reserved_by = $12, reserved_until = $13,
         row_version = row_version + 1
     WHERE id = $1 AND assignment_id = $2 AND customer_id = $3 AND sequence = $14
       AND enrolled_at = $15 AND ($16::bigint IS NULL OR row_version = $16)
     RETURNING row_version";

/// The statement `update_enrollments` runs: [`UPDATE_ENROLLMENT`] for many rows at once, the
/// snapshots as parallel arrays (`$1`…`$15` in [`enrollment_columns`] order, `$16` the
/// versions read, NULL where not read), returning the id and new `row_version` of each row
/// written; a row whose version moved on, or that is gone or would move, is not returned.
pub const UPDATE_ENROLLMENTS: &str = "UPDATE enrollments e SET state_id = v.state_id,
         category = v.category, segment_id = v.segment_id, attempts = v.attempts,
         last_contact = v.last_contact, follow_up_due = v.follow_up_due,
         follow_up_owner = v.follow_up_owner, no_answer_at = v.no_answer_at,
         reserved_by = v.reserved_by, reserved_until = v.reserved_until,
         row_version = e.row_version + 1
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::uuid[],
                 $7::bigint[], $8::timestamptz[], $9::timestamptz[], $10::uuid[],
                 $11::timestamptz[], $12::uuid[], $13::timestamptz[], $14::bigint[],
                 $15::timestamptz[], $16::bigint[])
          AS v(id, assignment_id, customer_id, state_id, category, segment_id, attempts,
               last_contact, follow_up_due, follow_up_owner, no_answer_at, reserved_by,
               reserved_until, sequence, enrolled_at, version)
     WHERE e.id = v.id AND e.assignment_id = v.assignment_id AND e.customer_id = v.customer_id
       AND e.sequence = v.sequence AND e.enrolled_at = v.enrolled_at
       AND (v.version IS NULL OR e.row_version = v.version)
     RETURNING e.id, e.row_version";

/// The statement `delete_enrollments` runs: the enrollments `$1` (ids) at the versions `$2`
/// (NULL: not read in the unit, removed whatever its version), returning the ids removed.
pub const DELETE_ENROLLMENTS: &str = "DELETE FROM enrollments e
     USING unnest($1::uuid[], $2::bigint[]) AS v(id, version)
     WHERE e.id = v.id AND (v.version IS NULL OR e.row_version = v.version)
     RETURNING e.id";

/// An enrollment and its `row_version` from a row with [`enrollment_columns`].
pub(crate) fn enrollment_from_row(row: &PgRow) -> Result<(Enrollment, i64), StoreError> {
    let category: String = get(row, "category")?;
    let follow_up = get::<Option<OffsetDateTime>>(row, "follow_up_due")?.map(|due| {
        get::<Option<Uuid>>(row, "follow_up_owner").map(|owner| FollowUp {
            due,
            owner: owner.map(UserId::from_uuid),
        })
    });
    let reserved_by: Option<Uuid> = get(row, "reserved_by")?;
    let reserved_until: Option<OffsetDateTime> = get(row, "reserved_until")?;
    let reservation = match (reserved_by, reserved_until) {
        (Some(seller), Some(until)) => Some(Reservation {
            seller: UserId::from_uuid(seller),
            until,
        }),
        _ => None,
    };
    let snapshot = EnrollmentSnapshot {
        id: EnrollmentId::from_uuid(get(row, "id")?),
        assignment: AssignmentId::from_uuid(get(row, "assignment_id")?),
        customer: CustomerId::from_uuid(get(row, "customer_id")?),
        state: StateId::from_uuid(get(row, "state_id")?),
        category: parse_category(&category)?,
        segment: get::<Option<Uuid>>(row, "segment_id")?.map(SegmentId::from_uuid),
        attempts: u32_from_bigint(get(row, "attempts")?, "attempts")?,
        last_contact: get(row, "last_contact")?,
        follow_up: follow_up.transpose()?,
        no_answer_at: get(row, "no_answer_at")?,
        reservation,
        sequence: from_bigint(get(row, "sequence")?, "sequence")?,
        enrolled_at: get(row, "enrolled_at")?,
    };
    Ok((Enrollment::from(snapshot), get(row, "row_version")?))
}

/// Binds the snapshot's fields after the query's earlier parameters, in the order of
/// [`enrollment_columns`] (without `row_version`).
pub(crate) fn bind_snapshot<'q>(
    query: PgQuery<'q>,
    e: &EnrollmentSnapshot,
) -> Result<PgQuery<'q>, StoreError> {
    Ok(query
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
        .bind(to_bigint(e.sequence, "sequence")?)
        .bind(e.enrolled_at))
}

/// Why an update of `e` found no row: `known` is the version this unit read it at (`None`:
/// not read in this unit).
pub(crate) fn not_updated(e: &EnrollmentSnapshot, known: Option<i64>) -> StoreError {
    StoreError::Conflict(match known {
        Some(_) => format!(
            "enrollment {} was changed or removed by someone else since it was read; read it \
             again",
            e.id
        ),
        None => format!(
            "enrollment {} does not exist (not with that assignment, customer, import order \
             and enrolment time: an update cannot move it)",
            e.id
        ),
    })
}

impl PgUnitOfWork {
    /// The version an update of `e` must find (`None`: not read in this unit, written
    /// whatever its version), or `Conflict` when this unit read it under another assignment
    /// or customer: an update never moves an enrollment.
    pub(crate) fn version_to_update(
        &self,
        e: &EnrollmentSnapshot,
    ) -> Result<Option<i64>, StoreError> {
        match self.versions.get(&e.id) {
            Some((_, assignment, customer))
                if (*assignment, *customer) != (e.assignment, e.customer) =>
            {
                Err(StoreError::Conflict(format!(
                    "enrollment {} is customer {customer} in assignment {assignment}: an \
                     update cannot move it",
                    e.id
                )))
            }
            known => Ok(known.map(|(version, _, _)| *version)),
        }
    }

    /// Reads enrollments and remembers their versions for `update_enrollment`.
    async fn read_enrollments(
        &mut self,
        query: PgQuery<'_>,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let rows = self.fetch_all(query).await?;
        let mut enrollments = Vec::with_capacity(rows.len());
        for row in &rows {
            let (enrollment, version) = enrollment_from_row(row)?;
            self.note_enrollment(&enrollment, version);
            enrollments.push(enrollment);
        }
        Ok(enrollments)
    }
}

/// The queue's census (`EnrollmentRepository::queue_census`): `$1` the assignment, `$2` the
/// seller, `$3` now, `$4` now less the retry delay (`queue::rested_since`), `$5`–`$9` the
/// contact gate and the attempt cap as `queue::GateParams` binds them (consumers may be
/// called now; the first day a register check counts from; the attempt cap; the daily cap;
/// the start of today). The `CASE` is `queue::census::reason` in its order — an enrollment
/// ready by the assignment's rules is then classified by the gate, as `ContactGate::barred`;
/// a rest ends at its NoAnswer plus the delay.
const QUEUE_CENSUS: &str = "
WITH classified AS (
    SELECT CASE
               WHEN e.category = 'excluded' THEN 'excluded'
               WHEN e.reserved_until > $3 AND e.reserved_by = $2 THEN 'ready'
               WHEN e.reserved_until > $3 THEN 'held'
               WHEN e.follow_up_due IS NOT NULL AND e.follow_up_owner IS NOT NULL
                    AND e.follow_up_owner <> $2 THEN 'others'
               WHEN e.follow_up_due IS NOT NULL AND e.follow_up_due <= $3 THEN 'ready'
               WHEN e.follow_up_due IS NOT NULL THEN 'later'
               WHEN e.category <> 'available' THEN 'concluded'
               WHEN $7::int IS NOT NULL AND e.attempts >= $7::int THEN 'attempts_used'
               WHEN e.no_answer_at IS NOT NULL AND e.no_answer_at > $4 THEN 'resting'
               ELSE 'ready'
           END AS why,
           CASE
               WHEN c.contact_block = 'do_not_call' THEN 'do_not_call'
               WHEN c.contact_block = 'reserved' AND $6::date IS NOT NULL THEN 'reserved'
               WHEN $8::int IS NOT NULL AND (SELECT count(*) FROM outcome_events ev
                        WHERE ev.customer_id = e.customer_id AND ev.occurred_at >= $9::timestamptz
                          AND ev.user_id IS NOT NULL) >= $8::int THEN 'daily_cap'
               WHEN c.dataset = 'B2c' AND NOT $5::boolean THEN 'closed'
               WHEN c.dataset = 'B2c' AND $6::date IS NOT NULL
                    AND (c.register_checked IS NULL OR c.register_checked < $6::date)
                   THEN 'not_checked'
           END AS barred,
           e.reserved_until, e.follow_up_due, e.no_answer_at
    FROM enrollments e LEFT JOIN customers c ON c.id = e.customer_id
    WHERE e.assignment_id = $1
), r AS (
    SELECT c.*, COALESCE(barred IN ('do_not_call', 'reserved'), false) AS lasting FROM classified c
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
impl EnrollmentRepository for PgUnitOfWork {
    async fn enrollment(&mut self, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError> {
        let query = sqlx::query(ENROLLMENT_BY_ID).bind(id.as_uuid());
        Ok(self.read_enrollments(query).await?.pop())
    }

    async fn held_by(
        &mut self,
        assignment: AssignmentId,
        seller: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        // One range of `enrollments_reserved` (migration 0008).
        let query = sqlx::query(concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = $1 AND reserved_by = $2 \
              AND reserved_until > $3 ORDER BY id"
        ))
        .bind(assignment.as_uuid())
        .bind(seller.as_uuid())
        .bind(now);
        self.read_enrollments(query).await
    }

    async fn enrollment_of(
        &mut self,
        assignment: AssignmentId,
        customer: CustomerId,
    ) -> Result<Option<Enrollment>, StoreError> {
        let query = sqlx::query(concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = $1 AND customer_id = $2"
        ))
        .bind(assignment.as_uuid())
        .bind(customer.as_uuid());
        Ok(self.read_enrollments(query).await?.pop())
    }

    async fn enrollments(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let query = sqlx::query(concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = $1 ORDER BY sequence, id"
        ))
        .bind(assignment.as_uuid());
        self.read_enrollments(query).await
    }

    async fn enrollments_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<EnrollmentCursor>,
        limit: u32,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let Some(after) = after else {
            let query = sqlx::query(concat!(
                "SELECT ",
                enrollment_columns!(),
                " FROM enrollments WHERE assignment_id = $1 ORDER BY sequence, id LIMIT $2"
            ))
            .bind(assignment.as_uuid())
            .bind(i64::from(limit));
            return self.read_enrollments(query).await;
        };
        // No stored sequence is past `i64::MAX` (the column's range): nothing comes after.
        let Ok(sequence) = i64::try_from(after.sequence) else {
            return Ok(Vec::new());
        };
        // The place's values, not its row (which may be gone). `sequence >= $2` alone bounds
        // the range of `enrollments_assignment_sequence`.
        let query = sqlx::query(concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE assignment_id = $1 AND sequence >= $2
                AND (sequence > $2 OR id > $3) ORDER BY sequence, id LIMIT $4"
        ))
        .bind(assignment.as_uuid())
        .bind(sequence)
        .bind(after.id.as_uuid())
        .bind(i64::from(limit));
        self.read_enrollments(query).await
    }

    async fn enrollments_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let query = sqlx::query(concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments WHERE customer_id = $1 ORDER BY id"
        ))
        .bind(customer.as_uuid());
        self.read_enrollments(query).await
    }

    async fn queue_census(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<QueueCensus, StoreError> {
        // One pass over the assignment's enrollments, each classified as
        // `queue::census::reason` does (the contract holds the two together).
        let query = sqlx::query(QUEUE_CENSUS)
            .bind(request.assignment.as_uuid())
            .bind(request.seller.as_uuid())
            .bind(request.now)
            .bind(crate::queue::rested_since(request.now, &request.setup));
        let query = crate::queue::bind_gate(
            query,
            crate::queue::gate_params(&request.gate, &request.setup),
        );
        let row = self.fetch_one(query).await?;
        let count = |column: &str| -> Result<u64, StoreError> {
            let n: i64 = get(&row, column)?;
            u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("a negative {column}")))
        };
        let resting_since: Option<OffsetDateTime> = get(&row, "resting_first")?;
        Ok(QueueCensus {
            ready: count("ready")?,
            held_by_others: Waiting {
                count: count("held")?,
                first: get(&row, "held_first")?,
            },
            resting: Waiting {
                count: count("resting")?,
                first: resting_since.map(|at| {
                    at.checked_add(request.setup.retry_delay)
                        .unwrap_or(time::PrimitiveDateTime::MAX.assume_utc())
                }),
            },
            follow_ups_later: Waiting {
                count: count("later")?,
                first: get(&row, "later_first")?,
            },
            others_follow_ups: count("others")?,
            concluded: count("concluded")?,
            excluded: count("excluded")?,
            attempts_used: count("attempts_used")?,
            do_not_call: count("do_not_call")?,
            reserved: count("reserved")?,
            consumers_closed: QueueCensus::consumers_closed(count("closed")?, &request.gate),
            not_checked: count("not_checked")?,
            daily_cap: QueueCensus::daily_capped(count("daily_cap")?, &request.gate),
        })
    }

    async fn next_sequence(&mut self, assignment: AssignmentId) -> Result<u64, StoreError> {
        let query = sqlx::query(
            "SELECT COALESCE(MAX(sequence), 0) + 1 AS next FROM enrollments WHERE assignment_id = $1",
        )
        .bind(assignment.as_uuid());
        let row = self.fetch_one(query).await?;
        from_bigint(get(&row, "next")?, "sequence")
    }

    async fn follow_ups(
        &mut self,
        assignments: &[AssignmentId],
        seller: UserId,
        until: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        let assignments: Vec<Uuid> = assignments.iter().map(AssignmentId::as_uuid).collect();
        let query = sqlx::query(concat!(
            "SELECT ",
            enrollment_columns!(),
            " FROM enrollments
              WHERE assignment_id = ANY($1) AND follow_up_due IS NOT NULL AND follow_up_due < $3
                AND (follow_up_owner = $2 OR follow_up_owner IS NULL)
              ORDER BY follow_up_due, id"
        ))
        .bind(assignments)
        .bind(seller.as_uuid())
        .bind(until);
        self.read_enrollments(query).await
    }
}

#[async_trait]
impl EnrollmentWrites for PgUnitOfWork {
    async fn insert_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let e = enrollment.snapshot();
        let query = sqlx::query(concat!(
            "INSERT INTO enrollments (",
            enrollment_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0)
             ON CONFLICT DO NOTHING"
        ));
        if self.execute(bind_snapshot(query, e)?).await? == 0 {
            // `ON CONFLICT DO NOTHING` does not say which rule the row broke: ask.
            let customer_enrolled = sqlx::query(
                "SELECT 1 FROM enrollments WHERE assignment_id = $1 AND customer_id = $2",
            )
            .bind(e.assignment.as_uuid())
            .bind(e.customer.as_uuid());
            return Err(StoreError::Duplicate(
                if self.fetch_optional(customer_enrolled).await?.is_some() {
                    UniqueRule::CustomerInAssignment
                } else {
                    UniqueRule::Id(RecordKind::Enrollment)
                },
            ));
        }
        self.versions.insert(e.id, (0, e.assignment, e.customer));
        Ok(())
    }
    async fn update_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        let e = enrollment.snapshot();
        let known = self.version_to_update(e)?;
        let query = sqlx::query(UPDATE_ENROLLMENT);
        let query = bind_snapshot(query, e)?.bind(known);
        // Nothing unique is written, so no savepoint is needed.
        match self.fetch_optional(query).await? {
            Some(row) => {
                self.note_enrollment(enrollment, get(&row, "row_version")?);
                Ok(())
            }
            None => Err(not_updated(e, known)),
        }
    }
    async fn delete_enrollment(&mut self, id: EnrollmentId) -> Result<(), StoreError> {
        // Read in this unit: only the version read is removed, as `update_enrollment` only
        // writes over it (an import's undo checked that nobody works the customer; a seller
        // who took it meanwhile wins, and the undo is told to read again).
        let known = self.versions.get(&id).map(|(version, _, _)| *version);
        let query = match known {
            Some(version) => {
                sqlx::query("DELETE FROM enrollments WHERE id = $1 AND row_version = $2")
                    .bind(id.as_uuid())
                    .bind(version)
            }
            None => sqlx::query("DELETE FROM enrollments WHERE id = $1").bind(id.as_uuid()),
        };
        let deleted = self.execute(query).await?;
        self.versions.remove(&id);
        if known.is_some() && deleted == 0 {
            return Err(StoreError::Conflict(format!(
                "enrollment {id} was changed or removed by someone else since it was read; \
                 read it again"
            )));
        }
        Ok(())
    }
    async fn update_enrollments(
        &mut self,
        enrollments: &[Enrollment],
    ) -> Result<Vec<EnrollmentId>, StoreError> {
        // An enrollment this unit knows under another assignment or customer would move:
        // refused before the statement, as `update_enrollment` refuses it.
        let (mut sent, mut moved) = (Vec::with_capacity(enrollments.len()), Vec::new());
        for enrollment in enrollments {
            let e = enrollment.snapshot();
            match self.versions.get(&e.id) {
                Some((_, assignment, customer))
                    if (*assignment, *customer) != (e.assignment, e.customer) =>
                {
                    moved.push(e.id)
                }
                known => sent.push((e, known.map(|(version, _, _)| *version))),
            }
        }
        let mut sequences = Vec::with_capacity(sent.len());
        for (e, _) in &sent {
            sequences.push(to_bigint(e.sequence, "sequence")?);
        }
        let query = sqlx::query(UPDATE_ENROLLMENTS)
            .bind(sent.iter().map(|(e, _)| e.id.as_uuid()).collect::<Vec<_>>())
            .bind(
                sent.iter()
                    .map(|(e, _)| e.assignment.as_uuid())
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|(e, _)| e.customer.as_uuid())
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|(e, _)| e.state.as_uuid())
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|(e, _)| category_text(e.category))
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|(e, _)| e.segment.map(|s| s.as_uuid()))
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|(e, _)| i64::from(e.attempts))
                    .collect::<Vec<_>>(),
            )
            .bind(sent.iter().map(|(e, _)| e.last_contact).collect::<Vec<_>>())
            .bind(
                sent.iter()
                    .map(|(e, _)| e.follow_up.map(|f| f.due))
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|(e, _)| e.follow_up.and_then(|f| f.owner).map(|o| o.as_uuid()))
                    .collect::<Vec<_>>(),
            )
            .bind(sent.iter().map(|(e, _)| e.no_answer_at).collect::<Vec<_>>())
            .bind(
                sent.iter()
                    .map(|(e, _)| e.reservation.map(|r| r.seller.as_uuid()))
                    .collect::<Vec<_>>(),
            )
            .bind(
                sent.iter()
                    .map(|(e, _)| e.reservation.map(|r| r.until))
                    .collect::<Vec<_>>(),
            )
            .bind(sequences)
            .bind(sent.iter().map(|(e, _)| e.enrolled_at).collect::<Vec<_>>())
            .bind(sent.iter().map(|(_, version)| *version).collect::<Vec<_>>());
        let rows = self.fetch_all(query).await?;
        let mut written = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = get(row, "id")?;
            let version: i64 = get(row, "row_version")?;
            written.insert(EnrollmentId::from_uuid(id), version);
        }
        let mut refused = Vec::new();
        for enrollment in enrollments {
            let e = enrollment.snapshot();
            match written.get(&e.id) {
                Some(version) => {
                    self.versions
                        .insert(e.id, (*version, e.assignment, e.customer));
                }
                None => refused.push(e.id),
            }
        }
        debug_assert!(moved.iter().all(|id| refused.contains(id)));
        Ok(refused)
    }
    async fn delete_enrollments(
        &mut self,
        ids: &[EnrollmentId],
    ) -> Result<Vec<EnrollmentId>, StoreError> {
        let known: Vec<Option<i64>> = ids
            .iter()
            .map(|id| self.versions.get(id).map(|(version, _, _)| *version))
            .collect();
        let query = sqlx::query(DELETE_ENROLLMENTS)
            .bind(ids.iter().map(|id| id.as_uuid()).collect::<Vec<_>>())
            .bind(known.clone());
        let rows = self.fetch_all(query).await?;
        let mut removed = HashSet::with_capacity(rows.len());
        for row in &rows {
            removed.insert(EnrollmentId::from_uuid(get(row, "id")?));
        }
        let mut refused = Vec::new();
        for (id, version) in ids.iter().zip(known) {
            // As `delete_enrollment`: a missing one the unit never read is no error.
            if version.is_some() && !removed.contains(id) {
                refused.push(*id);
            }
            self.versions.remove(id);
        }
        Ok(refused)
    }
    async fn reserve_next(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError> {
        crate::queue::reserve_next(self, request).await
    }
}
