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
    HitTallyRow, OpenOffer, OutcomeTallyRow, SoldProductRow, StatusTallyRow, merge_outcome_tallies,
    merge_status_tallies,
};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Event counts per tally key, and (in rows with a scale) sold units and minor units of
/// value per tally key and price scale.
const OUTCOME_TALLY: &str = "
SELECT assignment_id, user_id, outcome_id, option, class, to_category, to_state,
       count(*) AS events, count(meeting_id) AS meetings,
       NULL::smallint AS scale, 0::bigint AS units, 0::numeric AS minor_units
FROM outcome_events
WHERE assignment_id = ANY($1) AND occurred_at >= $2 AND occurred_at < $3
GROUP BY assignment_id, user_id, outcome_id, option, class, to_category, to_state
UNION ALL
SELECT e.assignment_id, e.user_id, e.outcome_id, e.option, e.class, e.to_category, e.to_state,
       0, 0, l.unit_price_scale, sum(l.quantity)::bigint,
       sum(l.quantity::numeric * l.unit_price_minor)
FROM event_product_lines l
JOIN outcome_events e ON e.id = l.event_id
WHERE l.assignment_id = ANY($1) AND l.occurred_at >= $2 AND l.occurred_at < $3
  AND l.to_category = 'yes'
GROUP BY e.assignment_id, e.user_id, e.outcome_id, e.option, e.class, e.to_category,
         e.to_state, l.unit_price_scale";

/// Sold units and minor units of value per assignment, product, currency and price scale.
const SOLD_PRODUCTS: &str = "
SELECT assignment_id, product_id, currency, unit_price_scale AS scale,
       sum(quantity)::bigint AS units, sum(quantity::numeric * unit_price_minor) AS minor_units
FROM event_product_lines
WHERE assignment_id = ANY($1) AND occurred_at >= $2 AND occurred_at < $3
  AND to_category = 'yes'
GROUP BY assignment_id, product_id, currency, unit_price_scale";

/// Concluded customers per analysis field (by position in `$2`; '' is the attempts count)
/// and stored value.
const HIT_TALLY: &str = "
SELECT field.n,
       CASE WHEN field.key = '' THEN e.attempts END AS attempts,
       CASE WHEN field.key <> '' THEN c.data -> 'fields' -> field.key END AS value,
       count(*) FILTER (WHERE e.category = 'yes') AS yes,
       count(*) FILTER (WHERE e.category = 'no') AS no
FROM enrollments e
LEFT JOIN customers c ON c.id = e.customer_id
CROSS JOIN unnest($2::text[]) WITH ORDINALITY AS field (key, n)
WHERE e.assignment_id = $1 AND e.category IN ('yes', 'no')
GROUP BY 1, 2, 3";

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

#[async_trait]
impl ReportRepository for PgUnitOfWork {
    async fn outcome_tally(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeTallyRow>, StoreError> {
        let query = sqlx::query(OUTCOME_TALLY)
            .bind(ids(assignments))
            .bind(from)
            .bind(to);
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
        let query = sqlx::query(SOLD_PRODUCTS)
            .bind(ids(assignments))
            .bind(from)
            .bind(to);
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
        Ok(cube_domain::reports::merge_sold_products(rows))
    }

    async fn status_tally(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<StatusTallyRow>, StoreError> {
        let query = sqlx::query(
            "SELECT state_id, category, LEAST(attempts, 2) AS bucket, count(*) AS customers
             FROM enrollments WHERE assignment_id = $1
             GROUP BY state_id, category, LEAST(attempts, 2)",
        )
        .bind(assignment.as_uuid());
        let rows = self
            .fetch_all(query)
            .await?
            .iter()
            .map(|row| {
                Ok(StatusTallyRow {
                    state: StateId::from_uuid(get(row, "state_id")?),
                    category: parse_category(&get::<String>(row, "category")?)?,
                    attempts_bucket: u8::try_from(get::<i64>(row, "bucket")?).unwrap_or(2),
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
        let keys: Vec<&str> = fields
            .iter()
            .map(|field| match field {
                AnalysisField::Attempts => "",
                AnalysisField::Crm(key) => key.as_str(),
            })
            .collect();
        let query = sqlx::query(HIT_TALLY).bind(assignment.as_uuid()).bind(keys);
        // Keyed like `tally_hits`: field, then the value as displayed (two stored values
        // may display alike, e.g. decimals 1.0 and 1.00).
        let mut groups: BTreeMap<(AnalysisField, Option<String>), (u64, u64)> = BTreeMap::new();
        for row in self.fetch_all(query).await? {
            let position = usize::try_from(get::<i64>(&row, "n")?.saturating_sub(1))
                .map_err(|e| crate::error::corrupt("field position", e))?;
            let field = fields
                .get(position)
                .ok_or_else(|| crate::error::corrupt("field position", position))?;
            let value = match field {
                AnalysisField::Attempts => get::<Option<i64>>(&row, "attempts")?
                    .map(|attempts| from_bigint(attempts, "attempts").map(|a| a.to_string()))
                    .transpose()?,
                AnalysisField::Crm(_) => get::<Option<Json<FieldValue>>>(&row, "value")?
                    .map(|Json(value)| value.display()),
            };
            let (yes, no) = groups.entry((field.clone(), value)).or_default();
            *yes = yes.saturating_add(from_bigint(get(&row, "yes")?, "yes count")?);
            *no = no.saturating_add(from_bigint(get(&row, "no")?, "no count")?);
        }
        Ok(groups
            .into_iter()
            .map(|((field, value), (yes, no))| HitTallyRow {
                field,
                value,
                yes,
                no,
            })
            .collect())
    }

    async fn open_offers(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<OpenOffer>, StoreError> {
        let query = sqlx::query(OPEN_OFFERS).bind(assignment.as_uuid());
        let mut offers = Vec::new();
        for row in self.fetch_all(query).await? {
            let Json(event) = get::<Json<OutcomeEvent>>(&row, "event")?;
            offers.push(OpenOffer {
                enrollment: event.enrollment,
                customer: event.customer,
                since: event.occurred_at,
                value: event
                    .products
                    .iter()
                    .fold(Decimal::ZERO, |v, l| v.saturating_add(l.value())),
                lines: event.products,
            });
        }
        offers.sort_by_key(|o| (o.since, o.enrollment));
        Ok(offers)
    }
}
