//! A registration's two writes in one statement (`UnitOfWork::update_enrollment_with_event`,
//! issue 19): the enrollment's update over the version the unit read, and the outcome
//! event's insert with its product lines only if that update found its row. One round trip
//! a registration where `update_enrollment` and `append_event` were two; each keeps its own
//! rules, because the statement is theirs joined (a test below holds it to them): the
//! version guard and "an update never moves an enrollment", the key's `ON CONFLICT DO
//! NOTHING` told apart from a taken id afterwards, and every trigger (the counters on the
//! update, the rollups on the inserts) firing as it did.

use crate::PgUnitOfWork;
use crate::codec::get;
use crate::repos::enrollments::{bind_snapshot, not_updated};
use crate::repos::outcome_log::{bind_event, not_appended};
use cube_domain::enrollment::Enrollment;
use cube_domain::idempotency::IdempotencyKey;
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::StoreError;

/// The statement `update_enrollment_with_event` runs: [`UPDATE_ENROLLMENT`] with its
/// parameters (`$1`…`$16`), then [`APPEND_EVENT`] with its parameters after them (`$17`…`$38`
/// are its `$1`…`$22`), whose row is selected from the update's: no row updated, no event.
/// It returns one row: `row_version`, the enrollment's new version (NULL when the update
/// found no row: the version moved on, or the enrollment is gone or would move), and
/// `appended`, 0 when nothing was appended (no update, or the event's id or idempotency key
/// is taken).
///
/// [`UPDATE_ENROLLMENT`]: crate::repos::UPDATE_ENROLLMENT
/// [`APPEND_EVENT`]: crate::repos::APPEND_EVENT
pub const UPDATE_ENROLLMENT_WITH_EVENT: &str = "WITH updated AS (
         UPDATE enrollments SET state_id = $4, category = $5,
         segment_id = $6, attempts = $7, last_contact = $8, follow_up_due = $9,
         follow_up_owner = $10, no_answer_at = $11, reserved_by = $12, reserved_until = $13,
         row_version = row_version + 1
         WHERE id = $1 AND assignment_id = $2 AND customer_id = $3 AND sequence = $14
           AND enrolled_at = $15 AND ($16::bigint IS NULL OR row_version = $16)
         RETURNING row_version
     ), inserted AS (
         INSERT INTO outcome_events (id, assignment_id, enrollment_id, customer_id,
             occurred_at, user_id, outcome_id, class, option, from_state, to_state,
             to_category, meeting_id, product_lines, idempotency_key, event,
             request_fingerprint)
         SELECT $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32,
             $38
         FROM updated
         ON CONFLICT DO NOTHING
         RETURNING id
     ), lines AS (
         INSERT INTO event_product_lines (event_id, line_no, assignment_id, occurred_at,
             to_category, product_id, currency, quantity, unit_price_minor,
             unit_price_scale)
         SELECT inserted.id, line.n - 1, $18, $21, $28, line.product, line.currency,
                line.quantity, line.minor, line.scale
         FROM inserted
         CROSS JOIN unnest($33::uuid[], $34::text[], $35::bigint[], $36::bigint[],
                           $37::smallint[])
             WITH ORDINALITY AS line (product, currency, quantity, minor, scale, n)
     )
     SELECT (SELECT row_version FROM updated) AS row_version,
            (SELECT count(*) FROM inserted) AS appended";

/// `update_enrollment`, then `append_event` only if the update went through, in one
/// statement; the errors those two give, in that order. A `Conflict` writes nothing and
/// leaves the unit usable; after a `Duplicate` the update stands in the unit (noted at its
/// new version, as `update_enrollment` notes it), and the use case drops the unit.
pub(crate) async fn update_enrollment_with_event(
    uow: &mut PgUnitOfWork,
    enrollment: &Enrollment,
    event: &OutcomeEvent,
    idempotency_key: Option<&IdempotencyKey>,
) -> Result<(), StoreError> {
    let e = enrollment.snapshot();
    let known = uow.version_to_update(e)?;
    let query = bind_snapshot(sqlx::query(UPDATE_ENROLLMENT_WITH_EVENT), e)?.bind(known);
    let query = bind_event(query, event, idempotency_key)?;
    let row = uow.fetch_one(query).await?;
    let Some(version) = get::<Option<i64>>(&row, "row_version")? else {
        return Err(not_updated(e, known));
    };
    uow.note_enrollment(enrollment, version);
    if get::<i64>(&row, "appended")? == 0 {
        return Err(not_appended(uow, event, idempotency_key).await);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::UPDATE_ENROLLMENT_WITH_EVENT;
    use crate::repos::{APPEND_EVENT, UPDATE_ENROLLMENT};

    /// `sql` with each parameter `$n` numbered `$n + by`.
    fn renumbered(sql: &str, by: u32) -> String {
        let mut out = String::with_capacity(sql.len());
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c != '$' {
                continue;
            }
            let mut digits = String::new();
            while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                digits.push(d);
                chars.next();
            }
            if let Ok(n) = digits.parse::<u32>() {
                out.push_str(&(n + by).to_string());
            } else {
                out.push_str(&digits);
            }
        }
        out
    }

    /// Whitespace carries no meaning in the comparison.
    fn squeezed(sql: &str) -> String {
        sql.split_whitespace().collect()
    }

    /// The combined statement is the two statements the adapter runs apart, joined: the
    /// update word for word, then the event's insert with its parameters after the update's
    /// and its row selected from the update's row. A column added to either statement and
    /// not to this one fails here.
    #[test]
    fn the_combined_statement_is_the_update_and_the_append_joined() {
        let append = renumbered(APPEND_EVENT, 16);
        let values_at = append.find("VALUES (").expect("the insert's VALUES");
        let values_end = values_at + append[values_at..].find(')').expect("closed");
        let values = &append[values_at + "VALUES (".len()..values_end];
        let append = format!(
            "{}SELECT {values} FROM updated{}",
            &append[..values_at],
            &append[values_end + 1..]
        )
        .replacen("WITH inserted AS (", "inserted AS (", 1)
        .replacen(
            "SELECT count(*) AS appended FROM inserted",
            "SELECT (SELECT row_version FROM updated) AS row_version, \
             (SELECT count(*) FROM inserted) AS appended",
            1,
        );
        let expected = format!("WITH updated AS ({UPDATE_ENROLLMENT}), {append}");
        assert_eq!(
            squeezed(UPDATE_ENROLLMENT_WITH_EVENT),
            squeezed(&expected),
            "the combined statement drifted from UPDATE_ENROLLMENT and APPEND_EVENT"
        );
    }
}
