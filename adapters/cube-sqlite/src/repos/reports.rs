//! The report tallies, read from the counters migration 0017 keeps (outcome and sales rollups
//! per UTC hour and day, status and hit counts, the events' product-line counts), so a report
//! reads a few counter rows, never every event or enrollment. The rows are then passed
//! through the domain's own merge functions (or folded into the same sorted maps), which makes
//! them equal to the pure `reports::tally_*` functions row for row.
//!
//! A report window is cut by `cube_domain::reports::window::plan`: whole days and edge hours
//! from the rollups, the partial hours at its ends from the events themselves.
//!
//! Money: product lines keep their exact `Decimal` unit price as text, so SQL cannot sum
//! values; it sums *quantities* per distinct unit price instead, and Rust multiplies each
//! price by its quantity. That is exact (no float, no assumed number of decimals) and still
//! one small row per group and price.

use super::{Query, fetch_docs};
use crate::codec::{
    bound_ns, col, count, id_list, id_text, parse_category, parse_class, parse_decimal, parse_id,
};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::fields::FieldValue;
use cube_domain::ids::AssignmentId;
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{ReportRepository, StoreError};
use cube_domain::product::Currency;
use cube_domain::reports::{
    HitCounts, HitTallyRow, OpenOffer, OutcomeTallyRow, SoldProductRow, StatusTallyRow,
    merge_outcome_tallies, merge_status_tallies,
};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use std::sync::LazyLock;
use time::OffsetDateTime;

/// The outcome tally's grouping key, as columns of `e` (an event or a rollup row; a rollup
/// writes an absent user, outcome or option as '').
const TALLY_KEY: &str = "e.assignment_id, nullif(e.user_id, '') AS user_id, \
    nullif(e.outcome_id, '') AS outcome_id, nullif(e.option, '') AS option, e.class, \
    e.to_category, e.to_state";

/// The rows of `table` (a rollup) in the planned window's whole days (`?2`–`?3`) and edge
/// hours (`?4`–`?7`), for the assignments in `?1` (a JSON array). Each piece is a range of
/// the rollup's primary key.
fn rollup_pieces(table: &str) -> String {
    [("day", 2, 3), ("hour", 4, 5), ("hour", 6, 7)]
        .iter()
        .map(|(grain, start, stop)| {
            format!(
                "SELECT * FROM {table} WHERE assignment_id IN (SELECT value FROM json_each(?1)) \
                 AND grain = '{grain}' AND bucket >= ?{start} AND bucket < ?{stop}"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The events `e` of the planned window's raw ends (`?8`–`?11`), for the assignments in `?1`,
/// with the columns `columns` (a `SELECT` list over `e`), each end its own range of the
/// `outcome_events_by_time` index: one condition with an `OR` of the two ranges reads every
/// event of the assignment instead.
fn raw_ends(columns: &str, join: &str) -> String {
    [(8, 9), (10, 11)]
        .iter()
        .map(|(start, stop)| {
            format!(
                "SELECT {columns} FROM outcome_events AS e {join} \
                 WHERE e.assignment_id IN (SELECT value FROM json_each(?1)) \
                   AND e.occurred_at >= ?{start} AND e.occurred_at < ?{stop}"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The join of an event's product lines.
const LINES: &str = "JOIN outcome_product_lines AS l ON l.event_id = e.id";

/// Events and meetings per tally key: the rollups' days and hours, then the raw ends.
static OUTCOME_EVENTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {TALLY_KEY}, SUM(e.events) AS events, SUM(e.meetings) AS meetings \
         FROM ({rollups}) AS e GROUP BY 1, 2, 3, 4, 5, 6, 7 \
         UNION ALL \
         SELECT {TALLY_KEY}, COUNT(*), SUM(e.meeting_id IS NOT NULL) \
         FROM ({raw}) AS e GROUP BY 1, 2, 3, 4, 5, 6, 7",
        rollups = rollup_pieces("outcome_rollups"),
        raw = raw_ends("e.*", ""),
    )
});

/// Sold units per tally key and unit price: the sales rollups, then the raw ends' lines.
static OUTCOME_SALES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {TALLY_KEY}, e.unit_price, SUM(e.units) AS units \
         FROM (SELECT *, 'Yes' AS to_category FROM ({rollups})) AS e \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 \
         UNION ALL \
         SELECT {TALLY_KEY}, e.unit_price, SUM(e.quantity) \
         FROM ({raw}) AS e WHERE e.to_category = 'Yes' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
        rollups = rollup_pieces("sales_rollups"),
        raw = raw_ends("e.*, l.unit_price, l.quantity", LINES),
    )
});

/// Sold units per assignment, product, currency and unit price.
static SOLD_PRODUCTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT assignment_id, product_id, currency, unit_price, SUM(units) AS units \
         FROM ({rollups}) GROUP BY 1, 2, 3, 4 \
         UNION ALL \
         SELECT e.assignment_id, e.product_id, e.currency, e.unit_price, SUM(e.quantity) \
         FROM ({raw}) AS e WHERE e.to_category = 'Yes' GROUP BY 1, 2, 3, 4",
        rollups = rollup_pieces("sales_rollups"),
        raw = raw_ends(
            "e.assignment_id, e.to_category, l.product_id, l.currency, l.unit_price, l.quantity",
            LINES
        ),
    )
});

/// Per enrollment in an Open state of assignment `?` (`enrollments_open`), its latest event
/// with product lines, latest by time, then append order (`outcome_events_with_lines`, named:
/// without it the planner may walk every event of the enrollment), kept when that event
/// landed in an Open state.
const OPEN_OFFERS: &str = "SELECT ev.doc FROM enrollments AS en \
    JOIN outcome_events AS ev ON ev.seq = ( \
       SELECT x.seq FROM outcome_events AS x INDEXED BY outcome_events_with_lines \
       WHERE x.enrollment_id = en.id AND x.product_lines > 0 \
       ORDER BY x.occurred_at DESC, x.seq DESC LIMIT 1) \
    WHERE en.assignment_id = ? AND en.category = 'Open' AND ev.to_category = 'Open'";

/// Binds `?1` (the assignments) and `?2`–`?11` (the pieces of the planned window).
fn window(
    sql: &'static str,
    assignments: &[AssignmentId],
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Query<'static> {
    let plan = cube_domain::reports::window::plan(from, to);
    let spans = [
        plan.days,
        plan.hours[0],
        plan.hours[1],
        plan.raw[0],
        plan.raw[1],
    ];
    let mut query = sqlx::query(sql).bind(id_list(assignments.iter().map(|a| a.as_uuid())));
    for (start, end) in spans {
        query = query.bind(bound_ns(start)).bind(bound_ns(end));
    }
    query
}

fn opt_id<T: From<uuid::Uuid>>(row: &SqliteRow, name: &str) -> Result<Option<T>, StoreError> {
    col::<Option<String>>(row, name)?
        .as_deref()
        .map(parse_id)
        .transpose()
}

fn id<T: From<uuid::Uuid>>(row: &SqliteRow, name: &str) -> Result<T, StoreError> {
    parse_id(&col::<String>(row, name)?)
}

/// A tally row from the `TALLY_KEY` columns, with nothing counted yet.
fn tally_key_row(row: &SqliteRow) -> Result<OutcomeTallyRow, StoreError> {
    Ok(OutcomeTallyRow {
        assignment: id(row, "assignment_id")?,
        user: opt_id(row, "user_id")?,
        outcome: opt_id(row, "outcome_id")?,
        option: col(row, "option")?,
        class: parse_class(&col::<String>(row, "class")?)?,
        to_category: parse_category(&col::<String>(row, "to_category")?)?,
        to_state: id(row, "to_state")?,
        events: 0,
        product_units: 0,
        product_value: Decimal::ZERO,
        meetings: 0,
    })
}

/// `units` at `unit_price`, from a row with those columns.
fn units_and_value(row: &SqliteRow) -> Result<(u64, Decimal), StoreError> {
    let units = count(row, "units")?;
    let price = parse_decimal(&col::<String>(row, "unit_price")?)?;
    let value = price
        .checked_mul(Decimal::from(units))
        .ok_or(cube_domain::reports::SumOverflow("value"))?;
    Ok((units, value))
}

/// The `hit_counts` field key of the attempts count.
const ATTEMPTS_KEY: &str = "";

impl SqliteUnit {
    async fn rows(&mut self, query: Query<'_>) -> Result<Vec<SqliteRow>, StoreError> {
        query.fetch_all(self.conn()).await.map_err(store_error)
    }
}

#[async_trait]
impl ReportRepository for SqliteUnit {
    async fn outcome_tally(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeTallyRow>, StoreError> {
        let mut rows = Vec::new();
        for row in self
            .rows(window(&OUTCOME_EVENTS, assignments, from, to))
            .await?
        {
            rows.push(OutcomeTallyRow {
                events: count(&row, "events")?,
                meetings: count(&row, "meetings")?,
                ..tally_key_row(&row)?
            });
        }
        // Every sold group is also an event group, so merging adds units and value to it.
        for row in self
            .rows(window(&OUTCOME_SALES, assignments, from, to))
            .await?
        {
            let (product_units, product_value) = units_and_value(&row)?;
            rows.push(OutcomeTallyRow {
                product_units,
                product_value,
                ..tally_key_row(&row)?
            });
        }
        Ok(merge_outcome_tallies(rows))
    }

    async fn sold_products(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SoldProductRow>, StoreError> {
        let mut rows = Vec::new();
        for row in self
            .rows(window(&SOLD_PRODUCTS, assignments, from, to))
            .await?
        {
            let code: String = col(&row, "currency")?;
            let (units, value) = units_and_value(&row)?;
            rows.push(SoldProductRow {
                assignment: id(&row, "assignment_id")?,
                product: id(&row, "product_id")?,
                currency: Currency::parse(&code)
                    .map_err(|e| StoreError::Corrupt(format!("stored currency: {e}")))?,
                units,
                value,
            });
        }
        // One row per distinct unit price: add them up and sort like `tally_sold_products`.
        Ok(cube_domain::reports::merge_sold_products(rows)?)
    }

    async fn reserved_count(
        &mut self,
        assignment: AssignmentId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // On the `enrollments_reserved` index.
        let query = sqlx::query(
            "SELECT COUNT(*) AS held FROM enrollments \
             WHERE assignment_id = ? AND reserved_by IS NOT NULL AND reserved_until > ?",
        )
        .bind(id_text(assignment.as_uuid()))
        .bind(crate::codec::bound_ns(now));
        let held: i64 = match self.rows(query).await?.first() {
            Some(row) => col(row, "held")?,
            None => 0,
        };
        u64::try_from(held).map_err(|_| StoreError::Corrupt(format!("reserved count {held}")))
    }

    async fn status_tally(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<StatusTallyRow>, StoreError> {
        let query = sqlx::query(
            "SELECT state_id, category, bucket, customers FROM status_counts \
             WHERE assignment_id = ? AND customers <> 0",
        )
        .bind(id_text(assignment.as_uuid()));
        let mut rows = Vec::new();
        for row in self.rows(query).await? {
            let bucket: i64 = col(&row, "bucket")?;
            rows.push(StatusTallyRow {
                state: id(&row, "state_id")?,
                category: parse_category(&col::<String>(&row, "category")?)?,
                attempts_bucket: u8::try_from(bucket)
                    .map_err(|_| StoreError::Corrupt(format!("attempts bucket {bucket}")))?,
                customers: count(&row, "customers")?,
            });
        }
        Ok(merge_status_tallies(rows))
    }

    async fn hit_tally(
        &mut self,
        assignment: AssignmentId,
        fields: &[AnalysisField],
    ) -> Result<Vec<HitTallyRow>, StoreError> {
        // The counts of the attempts (key '') and of every asked field, per stored value.
        let mut keys = vec![ATTEMPTS_KEY];
        keys.extend(fields.iter().filter_map(|field| match field {
            AnalysisField::Attempts => None,
            AnalysisField::Crm(key) => Some(key.as_str()),
        }));
        let keys = serde_json::to_string(&keys)
            .map_err(|e| StoreError::Corrupt(format!("field keys as JSON: {e}")))?;
        let query = sqlx::query(
            "SELECT field_key, value, yes, no FROM hit_counts \
             WHERE assignment_id = ?1 AND field_key IN (SELECT value FROM json_each(?2)) \
               AND (yes <> 0 OR no <> 0)",
        )
        .bind(id_text(assignment.as_uuid()))
        .bind(keys);
        let mut counts = HitCounts::default();
        for row in self.rows(query).await? {
            let key: String = col(&row, "field_key")?;
            let stored: String = col(&row, "value")?;
            let yes_no = (count(&row, "yes")?, count(&row, "no")?);
            if key == ATTEMPTS_KEY {
                let attempts = stored
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("attempts count '{stored}'")))?;
                counts.add_attempts(attempts, yes_no);
            } else {
                let value: FieldValue = crate::codec::from_doc("field value", &stored)?;
                counts.add_value(&key, value.display(), yes_no);
            }
        }
        Ok(counts.rows(fields)?)
    }

    async fn open_offers(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<OpenOffer>, StoreError> {
        let query = sqlx::query(OPEN_OFFERS).bind(id_text(assignment.as_uuid()));
        let events: Vec<OutcomeEvent> = fetch_docs(self.conn(), query, "outcome event").await?;
        let mut offers: Vec<OpenOffer> = events
            .into_iter()
            .map(|event| OpenOffer::of(&event))
            .collect::<Result<_, _>>()?;
        offers.sort_by_key(|o| (o.since, o.enrollment));
        Ok(offers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row as _;

    async fn plan_of(sql: &str) -> String {
        let store = crate::SqliteStore::in_memory().await.expect("a store");
        let mut conn = store.pool().acquire().await.expect("a connection");
        let mut query =
            sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).bind("[]");
        for n in 0..10 {
            query = query.bind(n);
        }
        let rows = query.fetch_all(&mut *conn).await.expect("a plan");
        rows.iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The window's raw ends read two ranges of the time index, the rollups ranges of their
    /// keys, and open offers one entry of the lines index per open enrollment: none reads
    /// every event of an assignment (171 ms and 285 ms at 1M events when they did).
    #[tokio::test]
    async fn reports_read_ranges_of_their_indexes() {
        let by_time =
            "outcome_events_by_time (assignment_id=? AND occurred_at>? AND occurred_at<?)";
        for sql in [&*OUTCOME_EVENTS, &*OUTCOME_SALES, &*SOLD_PRODUCTS] {
            let plan = plan_of(sql).await;
            assert_eq!(plan.matches(by_time).count(), 2, "{sql}: {plan}");
            assert!(plan.contains("bucket>? AND bucket<?"), "{sql}: {plan}");
            assert!(!plan.contains("(assignment_id=?)"), "{sql}: {plan}");
        }
        let plan = plan_of(OPEN_OFFERS).await;
        assert!(
            plan.contains("enrollments_open") && plan.contains("outcome_events_with_lines"),
            "{plan}"
        );
    }
}
