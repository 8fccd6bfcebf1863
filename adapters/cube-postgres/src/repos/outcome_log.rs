//! The append-only outcome log. Each event is one row with its reportable fields in columns
//! (grouped by the report tallies through a covering index) and the whole event as `jsonb`,
//! which is what is read back (exactly as appended). Its product lines go to their own table
//! in the same statement, in integer minor units, for the sales tallies.
//!
//! An idempotency key is unique per assignment and user, and kept with its request's
//! fingerprint: appending a second event with it answers
//! `Duplicate` without aborting the transaction, also when the first one is being appended
//! by a concurrent transaction (the second waits for the first to commit or roll back).

use crate::PgUnitOfWork;
use crate::codec::{all_json, category_text, class_text, get, get_json, to_minor_units};
use crate::unit::PgQuery;
use async_trait::async_trait;
use cube_domain::idempotency::{IdempotencyKey, KeyedEvent, RequestFingerprint, RequestKey};
use cube_domain::ids::{AssignmentId, EnrollmentId, OutcomeEventId, UserId};
use cube_domain::outcome::{OutcomeEvent, OutcomeFilter};
use cube_domain::ports::OutcomeLogWrites;
use cube_domain::ports::{LoggedEvent, OutcomeLog, RecordKind, StoreError, UniqueRule};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

/// The statement `append_event` runs: the event's row and its product lines in one
/// statement. It binds `$1` the id, `$2` the assignment, `$3` the enrollment, `$4` the
/// customer, `$5` the time, `$6` the user, `$7` the outcome, `$8` the class, `$9` the option,
/// `$10` the from state, `$11` the to state, `$12` its category, `$13` the meeting, `$14` the
/// number of product lines, `$15` the idempotency key, `$16` the whole event (`jsonb`),
/// `$17`…`$21` the product lines as arrays (products, currencies, quantities, unit prices
/// in minor units and their scales) and `$22` the request fingerprint; it returns
/// `appended`, 0 when the id or the idempotency key is already taken.
pub const APPEND_EVENT: &str = "WITH inserted AS (
         INSERT INTO outcome_events (id, assignment_id, enrollment_id, customer_id,
             occurred_at, user_id, outcome_id, class, option, from_state, to_state,
             to_category, meeting_id, product_lines, idempotency_key, event,
             request_fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $22)
         ON CONFLICT DO NOTHING
         RETURNING id
     ), lines AS (
         INSERT INTO event_product_lines (event_id, line_no, assignment_id, occurred_at,
             to_category, product_id, currency, quantity, unit_price_minor,
             unit_price_scale)
         SELECT inserted.id, line.n - 1, $2, $5, $12, line.product, line.currency,
                line.quantity, line.minor, line.scale
         FROM inserted
         CROSS JOIN unnest($17::uuid[], $18::text[], $19::bigint[], $20::bigint[],
                           $21::smallint[])
             WITH ORDINALITY AS line (product, currency, quantity, minor, scale, n)
     )
     SELECT count(*) AS appended FROM inserted";

/// The outcome list's window and filters, the start of both page statements: `$1`
/// assignment, `$2`–`$3` the window, `$4` outcome, `$5` user, `$6` state after (each NULL
/// for any), `$7` only sold.
macro_rules! outcome_window {
    () => {
        "SELECT event FROM outcome_events
     WHERE assignment_id = $1 AND occurred_at >= $2 AND occurred_at < $3
       AND ($4::uuid IS NULL OR outcome_id = $4)
       AND ($5::uuid IS NULL OR user_id = $5)
       AND ($6::uuid IS NULL OR to_state = $6)
       AND (NOT $7 OR (to_category = 'yes' AND product_lines > 0))"
    };
}

/// The outcome list's first page of a window: the window's parameters, `$8` the limit.
pub const OUTCOME_PAGE_FIRST: &str = concat!(
    outcome_window!(),
    "
     ORDER BY occurred_at, seq
     LIMIT $8"
);

/// The outcome list's page after the outcome `$9`: the parameters of
/// [`OUTCOME_PAGE_FIRST`], then the outcome the page before ended with.
pub const OUTCOME_PAGE_AFTER: &str = concat!(
    outcome_window!(),
    "
       AND (occurred_at, seq) > (
           SELECT a.occurred_at, a.seq FROM outcome_events a
           WHERE a.id = $9 AND a.assignment_id = $1
             AND a.occurred_at >= $2 AND a.occurred_at < $3)
     ORDER BY occurred_at, seq
     LIMIT $8"
);

/// The product lines of an event as columns, for `unnest`.
#[derive(Default)]
struct Lines {
    products: Vec<Uuid>,
    currencies: Vec<String>,
    quantities: Vec<i64>,
    minor_units: Vec<i64>,
    scales: Vec<i16>,
}

fn lines_of(event: &OutcomeEvent) -> Result<Lines, StoreError> {
    let mut lines = Lines::default();
    for line in event.products() {
        let (minor, scale) = to_minor_units(line.unit_price)?;
        lines.products.push(line.product.as_uuid());
        lines.currencies.push(line.currency.as_str().to_owned());
        lines.quantities.push(i64::from(line.quantity));
        lines.minor_units.push(minor);
        lines.scales.push(scale);
    }
    Ok(lines)
}

#[async_trait]
impl OutcomeLog for PgUnitOfWork {
    async fn event_by_key(
        &mut self,
        assignment: AssignmentId,
        user: UserId,
        idempotency_key: &RequestKey,
    ) -> Result<Option<KeyedEvent>, StoreError> {
        let query = sqlx::query(
            "SELECT event, request_fingerprint FROM outcome_events
             WHERE assignment_id = $1 AND user_id = $2 AND idempotency_key = $3",
        )
        .bind(assignment.as_uuid())
        .bind(user.as_uuid())
        .bind(idempotency_key.as_str());
        self.fetch_optional(query)
            .await?
            .map(|row| -> Result<KeyedEvent, StoreError> {
                Ok(KeyedEvent {
                    event: get_json(&row, "event")?,
                    fingerprint: get::<Option<String>>(&row, "request_fingerprint")?
                        .map(RequestFingerprint::from_stored),
                })
            })
            .transpose()
    }

    async fn event(&mut self, id: OutcomeEventId) -> Result<Option<OutcomeEvent>, StoreError> {
        let query =
            sqlx::query("SELECT event FROM outcome_events WHERE id = $1").bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "event"))
            .transpose()
    }

    async fn events_of(
        &mut self,
        enrollment: EnrollmentId,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        let query = sqlx::query(
            "SELECT event FROM outcome_events WHERE enrollment_id = $1 ORDER BY occurred_at, seq",
        )
        .bind(enrollment.as_uuid());
        all_json(&self.fetch_all(query).await?, "event")
    }

    async fn events(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        let assignments: Vec<Uuid> = assignments.iter().map(AssignmentId::as_uuid).collect();
        let query = sqlx::query(
            "SELECT event FROM outcome_events
             WHERE assignment_id = ANY($1) AND occurred_at >= $2 AND occurred_at < $3
             ORDER BY occurred_at, seq",
        )
        .bind(assignments)
        .bind(from)
        .bind(to);
        all_json(&self.fetch_all(query).await?, "event")
    }

    async fn outcome_list(
        &mut self,
        assignment: AssignmentId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        filter: &OutcomeFilter,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        // One range of `outcome_events_window` (migration 0046: its key ends with `seq`, so
        // the order is the index's and a page stops after `limit` rows). The first page and
        // the pages after it are two statements: a cursor behind `$7 IS NULL OR …` is only a
        // filter in a generic plan, and every page would read the window from its start.
        // An `after` outside the window (or unknown) makes the row comparison NULL: no rows.
        let query = sqlx::query(match after {
            None => OUTCOME_PAGE_FIRST,
            Some(_) => OUTCOME_PAGE_AFTER,
        })
        .bind(assignment.as_uuid())
        .bind(from)
        .bind(to)
        .bind(filter.outcome.map(|o| o.as_uuid()))
        .bind(filter.user.map(|u| u.as_uuid()))
        .bind(filter.to_state.map(|s| s.as_uuid()))
        .bind(filter.sold)
        .bind(i64::from(limit));
        let query = match after {
            None => query,
            Some(after) => query.bind(after.as_uuid()),
        };
        all_json(&self.fetch_all(query).await?, "event")
    }

    async fn events_after(
        &mut self,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        // `seq` is the append order (`outcome_events_seq`, migration 0016), one range a
        // page. Without `after` from the first; with an unknown one, none (NULL subquery).
        let query = sqlx::query(
            "SELECT event, idempotency_key, request_fingerprint FROM outcome_events WHERE seq >
                 CASE WHEN $1::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM outcome_events WHERE id = $1) END
             ORDER BY seq LIMIT $2",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(i64::from(limit));
        let rows = self.fetch_all(query).await?;
        rows.iter()
            .map(|row| {
                let key: Option<String> = get(row, "idempotency_key")?;
                let fingerprint: Option<String> = get(row, "request_fingerprint")?;
                let key = match (key, fingerprint) {
                    (Some(key), Some(fingerprint)) => Some(IdempotencyKey {
                        key: RequestKey::parse(&key)
                            .map_err(|e| crate::error::corrupt("idempotency key", e))?,
                        fingerprint: RequestFingerprint::from_stored(fingerprint),
                    }),
                    _ => None,
                };
                Ok(LoggedEvent {
                    event: get_json(row, "event")?,
                    key,
                })
            })
            .collect()
    }
}

/// Binds the event's parameters after the query's earlier ones, in the order of
/// [`APPEND_EVENT`]'s `$1`…`$22`: the columns, the key, the document, the product lines and
/// the request fingerprint.
pub(crate) fn bind_event<'q>(
    query: PgQuery<'q>,
    event: &'q OutcomeEvent,
    idempotency_key: Option<&'q IdempotencyKey>,
) -> Result<PgQuery<'q>, StoreError> {
    let lines = lines_of(event)?;
    let line_count = i32::try_from(event.products().len())
        .map_err(|_| StoreError::Corrupt("too many product lines on one event".into()))?;
    Ok(query
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
        .bind(line_count)
        .bind(idempotency_key.map(|k| k.key.as_str()))
        .bind(Json(event))
        .bind(lines.products)
        .bind(lines.currencies)
        .bind(lines.quantities)
        .bind(lines.minor_units)
        .bind(lines.scales)
        .bind(idempotency_key.map(|k| k.fingerprint.as_str())))
}

/// Which rule an event's insert broke when `ON CONFLICT DO NOTHING` left it out: it does not
/// say, and a used key (a retry that raced its first request) must be told apart from a
/// taken id, so the key is looked up.
pub(crate) async fn not_appended(
    uow: &mut PgUnitOfWork,
    event: &OutcomeEvent,
    idempotency_key: Option<&IdempotencyKey>,
) -> StoreError {
    let key_used = match idempotency_key {
        Some(key) => {
            let query = sqlx::query(
                "SELECT 1 FROM outcome_events
                 WHERE assignment_id = $1 AND user_id = $2 AND idempotency_key = $3",
            )
            .bind(event.assignment().as_uuid())
            .bind(event.user().map(|u| u.as_uuid()))
            .bind(key.key.as_str());
            match uow.fetch_optional(query).await {
                Ok(found) => found.is_some(),
                Err(error) => return error,
            }
        }
        None => false,
    };
    StoreError::Duplicate(if key_used {
        UniqueRule::IdempotencyKey
    } else {
        UniqueRule::Id(RecordKind::OutcomeEvent)
    })
}

#[async_trait]
impl OutcomeLogWrites for PgUnitOfWork {
    async fn append_event(
        &mut self,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        let query = bind_event(sqlx::query(APPEND_EVENT), event, idempotency_key)?;
        let row = self.fetch_one(query).await?;
        if get::<i64>(&row, "appended")? == 0 {
            return Err(not_appended(self, event, idempotency_key).await);
        }
        Ok(())
    }

    async fn erase_event_texts(&mut self, id: OutcomeEventId) -> Result<(), StoreError> {
        // Only the document changes: the columns, product lines and rollups stay (no
        // trigger runs on an update of `event`).
        let Some(event) = self.event(id).await? else {
            return Err(StoreError::Conflict(format!("no outcome event {id}")));
        };
        let query = sqlx::query("UPDATE outcome_events SET event = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(Json(event.without_texts()));
        self.execute(query).await.map(drop)
    }
}
