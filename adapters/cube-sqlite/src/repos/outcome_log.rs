//! The append-only outcome log. Each event is one row (hot columns for lookups and the
//! report GROUP BYs, plus the whole event as JSON) and its product lines are rows of
//! `outcome_product_lines`, so the sales tallies sum quantities in SQL. `seq` is the append
//! order: "oldest first" is `occurred_at`, then `seq`.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{
    bound_ns, category_text, class_text, col, doc_of, id_list, id_text, opt_id_text, time_ns,
    to_doc,
};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::idempotency::{IdempotencyKey, KeyedEvent, RequestFingerprint, RequestKey};
use cube_domain::ids::{AssignmentId, EnrollmentId, OutcomeEventId, UserId};
use cube_domain::outcome::{OutcomeEvent, OutcomeFilter};
use cube_domain::ports::OutcomeLogWrites;
use cube_domain::ports::{LoggedEvent, OutcomeLog, StoreError};
use time::OffsetDateTime;

/// The statement `append_event` runs for the event: `?1` id, `?2` assignment, `?3`
/// enrollment, `?4` customer, `?5` time (unix ns), `?6` user, `?7` outcome, `?8` class,
/// `?9` option, `?10` from state, `?11` to state, `?12` to category, `?13` meeting, `?14`
/// idempotency key, `?15` its request fingerprint, `?16` the whole event as JSON.
pub const APPEND_EVENT: &str = "INSERT INTO outcome_events (id, assignment_id, enrollment_id, \
        customer_id, occurred_at, user_id, outcome_id, class, option, from_state, to_state, \
        to_category, meeting_id, request_key, request_fingerprint, doc) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

/// The statement `append_event` runs for each product line: `?1` the event's id, `?2` the
/// line's position, `?3` product, `?4` quantity, `?5` unit price (exact `Decimal` text),
/// `?6` currency code.
pub const APPEND_PRODUCT_LINE: &str = "INSERT INTO outcome_product_lines \
        (event_id, position, product_id, quantity, unit_price, currency) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

#[async_trait]
impl OutcomeLog for SqliteUnit {
    async fn event_by_key(
        &mut self,
        assignment: AssignmentId,
        user: UserId,
        idempotency_key: &RequestKey,
    ) -> Result<Option<KeyedEvent>, StoreError> {
        let query = sqlx::query(
            "SELECT doc, request_fingerprint FROM outcome_events \
             WHERE assignment_id = ? AND user_id = ? AND request_key = ?",
        )
        .bind(id_text(assignment.as_uuid()))
        .bind(id_text(user.as_uuid()))
        .bind(idempotency_key.as_str().to_owned());
        let row = query
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        row.map(|row| -> Result<KeyedEvent, StoreError> {
            Ok(KeyedEvent {
                event: doc_of(&row, "outcome event")?,
                fingerprint: col::<Option<String>>(&row, "request_fingerprint")?
                    .map(RequestFingerprint::from_stored),
            })
        })
        .transpose()
    }

    async fn event(&mut self, id: OutcomeEventId) -> Result<Option<OutcomeEvent>, StoreError> {
        let query =
            sqlx::query("SELECT doc FROM outcome_events WHERE id = ?").bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "outcome event").await
    }

    async fn events_of(
        &mut self,
        enrollment: EnrollmentId,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM outcome_events WHERE enrollment_id = ? ORDER BY occurred_at, seq",
        )
        .bind(id_text(enrollment.as_uuid()));
        fetch_docs(self.conn(), query, "outcome event").await
    }

    async fn events(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM outcome_events \
             WHERE assignment_id IN (SELECT value FROM json_each(?)) \
               AND occurred_at >= ? AND occurred_at < ? \
             ORDER BY occurred_at, seq",
        )
        .bind(id_list(assignments.iter().map(|a| a.as_uuid())))
        .bind(bound_ns(from))
        .bind(bound_ns(to));
        fetch_docs(self.conn(), query, "outcome event").await
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
        // One range of `outcome_events_by_time`; an `after` outside the window (or unknown)
        // makes the row comparison NULL: no rows.
        let query = sqlx::query(
            "SELECT doc FROM outcome_events \
             WHERE assignment_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3 \
               AND (?4 IS NULL OR outcome_id = ?4) \
               AND (?5 IS NULL OR user_id = ?5) \
               AND (?6 IS NULL OR to_state = ?6) \
               AND (?9 = 0 OR (to_category = 'Yes' AND EXISTS ( \
                   SELECT 1 FROM outcome_product_lines AS l WHERE l.event_id = outcome_events.id))) \
               AND (?7 IS NULL OR (occurred_at, seq) > ( \
                   SELECT a.occurred_at, a.seq FROM outcome_events AS a \
                   WHERE a.id = ?7 AND a.assignment_id = ?1 \
                     AND a.occurred_at >= ?2 AND a.occurred_at < ?3)) \
             ORDER BY occurred_at, seq LIMIT ?8",
        )
        .bind(id_text(assignment.as_uuid()))
        .bind(bound_ns(from))
        .bind(bound_ns(to))
        .bind(filter.outcome.map(|o| id_text(o.as_uuid())))
        .bind(filter.user.map(|u| id_text(u.as_uuid())))
        .bind(filter.to_state.map(|s| id_text(s.as_uuid())))
        .bind(after.map(|a| id_text(a.as_uuid())))
        .bind(i64::from(limit))
        .bind(filter.sold);
        fetch_docs(self.conn(), query, "outcome event").await
    }

    async fn events_after(
        &mut self,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        // `seq` is the rowid: the append order, one range a page. Without `after` from the
        // first; with an unknown one, none (the subquery is NULL).
        let rows = sqlx::query(
            "SELECT doc, request_key, request_fingerprint FROM outcome_events WHERE seq > \
               CASE WHEN ?1 IS NULL THEN -1 \
               ELSE (SELECT seq FROM outcome_events WHERE id = ?1) END \
             ORDER BY seq LIMIT ?2",
        )
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(i64::from(limit))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let key: Option<String> = col(row, "request_key")?;
                let fingerprint: Option<String> = col(row, "request_fingerprint")?;
                let key = match (key, fingerprint) {
                    (Some(key), Some(fingerprint)) => Some(IdempotencyKey {
                        key: RequestKey::parse(&key).map_err(|e| {
                            StoreError::Corrupt(format!("idempotency key {key:?}: {e}"))
                        })?,
                        fingerprint: RequestFingerprint::from_stored(fingerprint),
                    }),
                    _ => None,
                };
                Ok(LoggedEvent {
                    event: doc_of(row, "outcome event")?,
                    key,
                })
            })
            .collect()
    }
}

#[async_trait]
impl OutcomeLogWrites for SqliteUnit {
    async fn append_event(
        &mut self,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        // A key the user used before in the assignment breaks the unique index
        // `outcome_events_request_key` → `Duplicate`; SQLite keeps the transaction usable
        // after it.
        let query = sqlx::query(APPEND_EVENT)
            .bind(id_text(event.id().as_uuid()))
            .bind(id_text(event.assignment().as_uuid()))
            .bind(id_text(event.enrollment().as_uuid()))
            .bind(id_text(event.customer().as_uuid()))
            .bind(time_ns(event.occurred_at())?)
            .bind(opt_id_text(event.user().map(|u| u.as_uuid())))
            .bind(opt_id_text(event.outcome().map(|o| o.as_uuid())))
            .bind(class_text(event.class()))
            .bind(event.option())
            .bind(id_text(event.from_state().as_uuid()))
            .bind(id_text(event.to_state().as_uuid()))
            .bind(category_text(event.to_category()))
            .bind(opt_id_text(event.meeting().map(|m| m.as_uuid())))
            .bind(idempotency_key.map(|k| k.key.as_str().to_owned()))
            .bind(idempotency_key.map(|k| k.fingerprint.as_str().to_owned()))
            .bind(to_doc("outcome event", event)?);
        execute(self.conn(), query).await?;
        for (position, line) in (0i64..).zip(event.products()) {
            let query = sqlx::query(APPEND_PRODUCT_LINE)
                .bind(id_text(event.id().as_uuid()))
                .bind(position)
                .bind(id_text(line.product.as_uuid()))
                .bind(i64::from(line.quantity))
                .bind(line.unit_price.to_string())
                .bind(line.currency.as_str().to_owned());
            execute(self.conn(), query).await?;
        }
        Ok(())
    }

    async fn erase_event_texts(&mut self, id: OutcomeEventId) -> Result<(), StoreError> {
        // Only the document changes: the columns the reports and their counters read stay.
        let Some(event) = self.event(id).await? else {
            return Err(StoreError::Conflict(format!("no outcome event {id}")));
        };
        let query = sqlx::query("UPDATE outcome_events SET doc = ? WHERE id = ?")
            .bind(to_doc("outcome event", &event.without_texts())?)
            .bind(id_text(id.as_uuid()));
        execute(self.conn(), query).await.map(drop)
    }
}
