//! The report tallies, computed where the data lives: each method is one `GROUP BY` query
//! (or a `DISTINCT ON` for open offers) whose few rows are then passed through the domain's
//! own merge functions (`merge_outcome_tallies`, `merge_status_tallies`) or merged with the
//! same keys, so the result equals the pure `reports::tally_*` functions row for row and in
//! the same order. Nothing here loads every event or enrollment.
//!
//! Values that SQL cannot order or print the way Rust does are finished in Rust: product
//! values are summed per price scale in SQL and scaled here; hit-analysis values are
//! grouped by their stored JSON and printed with `FieldValue::display`.

use crate::PgUnitOfWork;
use crate::codec::{from_bigint, from_minor_units, get, parse_category, parse_class};
use async_trait::async_trait;
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::fields::FieldValue;
use cube_domain::ids::{AssignmentId, OutcomeId, ProductId, StateId, UserId};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{ReportRepository, StoreError};
use cube_domain::product::Currency;
use cube_domain::reports::{
    HitCounts, HitTallyRow, OpenOffer, OutcomeTallyRow, SoldProductRow, StatusTallyRow,
    merge_outcome_tallies, merge_status_tallies,
};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

/// The rollup pieces of a planned window (`cube_domain::reports::window`) as one `UNION ALL` over `table`:
/// whole days ($2, $3), then whole hours before and after them ($4–$7). Each piece is its
/// own range scan of the rollup's unique key, which starts (assignment, grain, bucket); the
/// counts come from the heap (no index holds them, so an upsert is a HOT update: migration
/// 0029). A join against a list of spans would let the planner choose a sequential scan.
fn rollup_pieces(table: &str) -> String {
    [("day", 2, 3), ("hour", 4, 5), ("hour", 6, 7)]
        .iter()
        .map(|(grain, start, stop)| {
            format!(
                "SELECT * FROM {table} WHERE assignment_id = ANY($1) AND grain = '{grain}'
                   AND bucket >= ${start} AND bucket < ${stop}"
            )
        })
        .collect::<Vec<_>>()
        .join("\n UNION ALL\n")
}

/// The raw ends of a planned window ($8–$11) as one condition on `column`.
fn raw_ends(column: &str) -> String {
    format!("(({column} >= $8 AND {column} < $9) OR ({column} >= $10 AND {column} < $11))")
}

/// The outcome tally of a planned window: event counts per tally key from the rollups and
/// the raw ends, and sold units and minor units of value per tally key and price scale from
/// the sales rollups and the raw ends' product lines. Rows with the same key come from
/// several branches; `merge_outcome_tallies` adds them up.
fn outcome_tally_sql() -> String {
    format!(
        "SELECT assignment_id, user_id, outcome_id, option, class, to_category, to_state,
                sum(events)::bigint AS events, sum(meetings)::bigint AS meetings,
                NULL::smallint AS scale, 0::bigint AS units, 0::numeric AS minor_units
         FROM ({rollups}) r
         GROUP BY 1, 2, 3, 4, 5, 6, 7
         UNION ALL
         SELECT assignment_id, user_id, outcome_id, option, class, to_category, to_state,
                count(*), count(meeting_id), NULL::smallint, 0::bigint, 0::numeric
         FROM outcome_events
         WHERE assignment_id = ANY($1) AND {raw_events}
         GROUP BY 1, 2, 3, 4, 5, 6, 7
         UNION ALL
         SELECT assignment_id, user_id, outcome_id, option, class, 'yes', to_state,
                0, 0, scale, sum(units)::bigint, sum(minor_units)
         FROM ({sales}) r
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 10
         UNION ALL
         SELECT e.assignment_id, e.user_id, e.outcome_id, e.option, e.class, e.to_category,
                e.to_state, 0, 0, l.unit_price_scale, sum(l.quantity)::bigint,
                sum(l.quantity::numeric * l.unit_price_minor)
         FROM event_product_lines l
         JOIN outcome_events e ON e.id = l.event_id
         WHERE l.assignment_id = ANY($1) AND l.to_category = 'yes' AND {raw_lines}
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 10",
        rollups = rollup_pieces("outcome_rollups"),
        sales = rollup_pieces("sales_rollups"),
        raw_events = raw_ends("occurred_at"),
        raw_lines = raw_ends("l.occurred_at"),
    )
}

/// Sold units and minor units of value per assignment, product, currency and price scale,
/// from the sales rollups and the raw ends' product lines.
fn sold_products_sql() -> String {
    format!(
        "SELECT assignment_id, product_id, currency, scale,
                sum(units)::bigint AS units, sum(minor_units) AS minor_units
         FROM ({sales}) r
         GROUP BY 1, 2, 3, 4
         UNION ALL
         SELECT assignment_id, product_id, currency, unit_price_scale,
                sum(quantity)::bigint, sum(quantity::numeric * unit_price_minor)
         FROM event_product_lines
         WHERE assignment_id = ANY($1) AND to_category = 'yes' AND {raw_lines}
         GROUP BY 1, 2, 3, 4",
        sales = rollup_pieces("sales_rollups"),
        raw_lines = raw_ends("occurred_at"),
    )
}

/// The statements, built once.
static OUTCOME_TALLY: std::sync::LazyLock<String> = std::sync::LazyLock::new(outcome_tally_sql);
static SOLD_PRODUCTS: std::sync::LazyLock<String> = std::sync::LazyLock::new(sold_products_sql);

/// Enrollments per state, category and attempts bucket, summed over the counters' stripes.
const STATUS_TALLY: &str = "
SELECT state_id, category, bucket, sum(customers)::bigint AS customers
FROM status_counts WHERE assignment_id = $1
GROUP BY state_id, category, bucket
HAVING sum(customers) <> 0";

/// Concluded enrollments per field key in `$2` and stored value, summed over the stripes.
/// Key '' is the attempts count, whose sums are every concluded enrollment.
const HIT_TALLY: &str = "
SELECT field_key, value, sum(yes)::bigint AS yes, sum(no)::bigint AS no
FROM hit_counts
WHERE assignment_id = $1 AND field_key = ANY($2)
GROUP BY field_key, value
HAVING sum(yes) <> 0 OR sum(no) <> 0";

/// For each enrollment in an Open state, its latest event with product lines (later
/// appends win ties at one instant), kept when that event landed in an Open state.
const OPEN_OFFERS: &str = "
SELECT latest.event FROM (
    SELECT DISTINCT ON (ev.enrollment_id) ev.event, ev.to_category
    FROM outcome_events ev
    JOIN enrollments en ON en.id = ev.enrollment_id
    WHERE ev.assignment_id = $1 AND en.assignment_id = $1 AND en.category = 'open'
      AND ev.product_lines > 0
    ORDER BY ev.enrollment_id, ev.occurred_at DESC, ev.seq DESC
) latest
WHERE latest.to_category = 'open'";

/// The `hit_counts` field key of the attempts count.
const ATTEMPTS_KEY: &str = "";

/// Minor units summed at one scale as a `Decimal`; zero when the row has no scale.
fn scaled_value(row: &PgRow) -> Result<Decimal, StoreError> {
    match get::<Option<i16>>(row, "scale")? {
        Some(scale) => from_minor_units(get(row, "minor_units")?, scale),
        None => Ok(Decimal::ZERO),
    }
}

fn outcome_row(row: &PgRow) -> Result<OutcomeTallyRow, StoreError> {
    Ok(OutcomeTallyRow {
        assignment: AssignmentId::from_uuid(get(row, "assignment_id")?),
        user: get::<Option<Uuid>>(row, "user_id")?.map(UserId::from_uuid),
        outcome: get::<Option<Uuid>>(row, "outcome_id")?.map(OutcomeId::from_uuid),
        option: get(row, "option")?,
        class: parse_class(&get::<String>(row, "class")?)?,
        to_category: parse_category(&get::<String>(row, "to_category")?)?,
        to_state: StateId::from_uuid(get(row, "to_state")?),
        events: from_bigint(get(row, "events")?, "event count")?,
        product_units: from_bigint(get(row, "units")?, "units")?,
        product_value: scaled_value(row)?,
        meetings: from_bigint(get(row, "meetings")?, "meeting count")?,
    })
}

fn ids(assignments: &[AssignmentId]) -> Vec<Uuid> {
    assignments.iter().map(AssignmentId::as_uuid).collect()
}

/// Binds `$1` (the assignments) and `$2`–`$11` (the pieces of the planned window).
fn window_query(
    sql: &'static str,
    assignments: &[AssignmentId],
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let plan = cube_domain::reports::window::plan(from, to);
    let spans = [
        plan.days,
        plan.hours[0],
        plan.hours[1],
        plan.raw[0],
        plan.raw[1],
    ];
    let mut query = sqlx::query(sql).bind(ids(assignments));
    for (start, end) in spans {
        query = query.bind(start).bind(end);
    }
    query
}

#[async_trait]
impl ReportRepository for PgUnitOfWork {
    async fn outcome_tally(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeTallyRow>, StoreError> {
        let query = window_query(&OUTCOME_TALLY, assignments, from, to);
        let rows = self.fetch_all(query).await?;
        let rows = rows
            .iter()
            .map(outcome_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(merge_outcome_tallies(rows))
    }

    async fn sold_products(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SoldProductRow>, StoreError> {
        let query = window_query(&SOLD_PRODUCTS, assignments, from, to);
        let mut rows = Vec::new();
        for row in self.fetch_all(query).await? {
            let code: String = get(&row, "currency")?;
            rows.push(SoldProductRow {
                assignment: AssignmentId::from_uuid(get(&row, "assignment_id")?),
                product: ProductId::from_uuid(get(&row, "product_id")?),
                currency: Currency::parse(&code)
                    .map_err(|e| crate::error::corrupt("product line currency", e))?,
                units: from_bigint(get(&row, "units")?, "units")?,
                value: scaled_value(&row)?,
            });
        }
        // One row per price scale: add them up and sort like `tally_sold_products`.
        Ok(cube_domain::reports::merge_sold_products(rows)?)
    }

    async fn reserved_count(
        &mut self,
        assignment: AssignmentId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // On the `enrollments_reserved` index (migration 0008).
        let query = sqlx::query(
            "SELECT count(*) AS held FROM enrollments
             WHERE assignment_id = $1 AND reserved_by IS NOT NULL AND reserved_until > $2",
        )
        .bind(assignment.as_uuid())
        .bind(now);
        let row = self.fetch_one(query).await?;
        from_bigint(get(&row, "held")?, "reserved count")
    }

    async fn status_tally(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<StatusTallyRow>, StoreError> {
        let query = sqlx::query(STATUS_TALLY).bind(assignment.as_uuid());
        let rows = self
            .fetch_all(query)
            .await?
            .iter()
            .map(|row| {
                Ok(StatusTallyRow {
                    state: StateId::from_uuid(get(row, "state_id")?),
                    category: parse_category(&get::<String>(row, "category")?)?,
                    attempts_bucket: u8::try_from(get::<i16>(row, "bucket")?)
                        .map_err(|e| crate::error::corrupt("attempts bucket", e))?,
                    customers: from_bigint(get(row, "customers")?, "customer count")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(merge_status_tallies(rows))
    }

    async fn hit_tally(
        &mut self,
        assignment: AssignmentId,
        fields: &[AnalysisField],
    ) -> Result<Vec<HitTallyRow>, StoreError> {
        let mut keys: Vec<&str> = vec![ATTEMPTS_KEY];
        keys.extend(fields.iter().filter_map(|field| match field {
            AnalysisField::Attempts => None,
            AnalysisField::Crm(key) => Some(key.as_str()),
        }));
        let query = sqlx::query(HIT_TALLY).bind(assignment.as_uuid()).bind(keys);
        let mut counts = HitCounts::default();
        for row in self.fetch_all(query).await? {
            let key: String = get(&row, "field_key")?;
            let Json(value) = get::<Json<serde_json::Value>>(&row, "value")?;
            let yes_no = (
                from_bigint(get(&row, "yes")?, "yes count")?,
                from_bigint(get(&row, "no")?, "no count")?,
            );
            if key == ATTEMPTS_KEY {
                let attempts = value
                    .as_u64()
                    .ok_or_else(|| crate::error::corrupt("attempts count", &value))?;
                counts.add_attempts(attempts, yes_no);
            } else {
                let value = serde_json::from_value::<FieldValue>(value)
                    .map_err(|e| crate::error::corrupt("CRM field value", e))?;
                counts.add_value(&key, value.display(), yes_no);
            }
        }
        Ok(counts.rows(fields)?)
    }

    async fn open_offers(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<OpenOffer>, StoreError> {
        let query = sqlx::query(OPEN_OFFERS).bind(assignment.as_uuid());
        let mut offers = Vec::new();
        for row in self.fetch_all(query).await? {
            let Json(event) = get::<Json<OutcomeEvent>>(&row, "event")?;
            offers.push(OpenOffer::of(&event)?);
        }
        offers.sort_by_key(|o| (o.since, o.enrollment));
        Ok(offers)
    }
}
