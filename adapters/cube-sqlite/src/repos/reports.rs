//! The report tallies in SQL: each is a `GROUP BY` over the outcome log, its product lines
//! or the enrollments, so a report reads a few aggregate rows, never every event. The rows
//! are then passed through the domain's own merge functions (or folded into the same sorted
//! maps), which makes them equal to the pure `reports::tally_*` functions row for row.
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
    HitTallyRow, OpenOffer, OutcomeTallyRow, SoldProductRow, StatusTallyRow, merge_outcome_tallies,
    merge_status_tallies,
};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The events of the report: `?1` assignments (JSON array), `?2` from, `?3` to.
const EVENTS_IN_WINDOW: &str = "e.assignment_id IN (SELECT value FROM json_each(?1)) \
    AND e.occurred_at >= ?2 AND e.occurred_at < ?3";

/// The outcome tally's grouping key, as columns of `e`.
const TALLY_KEY: &str =
    "e.assignment_id, e.user_id, e.outcome_id, e.option, e.class, e.to_category, e.to_state";

fn window<'q>(
    sql: String,
    assignments: &[AssignmentId],
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Query<'q> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id_list(assignments.iter().map(|a| a.as_uuid())))
        .bind(bound_ns(from))
        .bind(bound_ns(to))
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
        let events = format!(
            "SELECT {TALLY_KEY}, COUNT(*) AS events, SUM(e.meeting_id IS NOT NULL) AS meetings \
             FROM outcome_events AS e WHERE {EVENTS_IN_WINDOW} GROUP BY {TALLY_KEY}"
        );
        let sold = format!(
            "SELECT {TALLY_KEY}, l.unit_price, SUM(l.quantity) AS units \
             FROM outcome_events AS e JOIN outcome_product_lines AS l ON l.event_id = e.id \
             WHERE {EVENTS_IN_WINDOW} AND e.to_category = 'Yes' \
             GROUP BY {TALLY_KEY}, l.unit_price"
        );
        let mut rows = Vec::new();
        for row in self.rows(window(events, assignments, from, to)).await? {
            rows.push(OutcomeTallyRow {
                events: count(&row, "events")?,
                meetings: count(&row, "meetings")?,
                ..tally_key_row(&row)?
            });
        }
        // Every sold group is also an event group, so merging adds units and value to it.
        for row in self.rows(window(sold, assignments, from, to)).await? {
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
        let sql = format!(
            "SELECT e.assignment_id, l.product_id, l.currency, l.unit_price, \
                SUM(l.quantity) AS units \
             FROM outcome_events AS e JOIN outcome_product_lines AS l ON l.event_id = e.id \
             WHERE {EVENTS_IN_WINDOW} AND e.to_category = 'Yes' \
             GROUP BY e.assignment_id, l.product_id, l.currency, l.unit_price"
        );
        let mut rows = Vec::new();
        for row in self.rows(window(sql, assignments, from, to)).await? {
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
            "SELECT state_id, category, MIN(attempts, 2) AS bucket, COUNT(*) AS customers \
             FROM enrollments WHERE assignment_id = ? GROUP BY state_id, category, bucket",
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
        // Grouped by the stored value; values that display alike (1.0 and 1.00) are merged
        // below, as `tally_hits` keys by the displayed text. A field listed twice counts
        // twice, as there.
        let mut groups: BTreeMap<(AnalysisField, Option<String>), (u64, u64)> = BTreeMap::new();
        for field in fields {
            let query = match field {
                AnalysisField::Attempts => sqlx::query(
                    "SELECT CAST(e.attempts AS TEXT) AS value, \
                        SUM(e.category = 'Yes') AS yes, SUM(e.category = 'No') AS no \
                     FROM enrollments AS e \
                     WHERE e.assignment_id = ?1 AND e.category IN ('Yes', 'No') \
                     GROUP BY e.attempts",
                )
                .bind(id_text(assignment.as_uuid())),
                AnalysisField::Crm(key) => sqlx::query(
                    "SELECT f.value AS value, \
                        SUM(e.category = 'Yes') AS yes, SUM(e.category = 'No') AS no \
                     FROM enrollments AS e LEFT JOIN customer_fields AS f \
                        ON f.customer_id = e.customer_id AND f.field_key = ?2 \
                     WHERE e.assignment_id = ?1 AND e.category IN ('Yes', 'No') \
                     GROUP BY f.value",
                )
                .bind(id_text(assignment.as_uuid()))
                .bind(key.as_str().to_owned()),
            };
            for row in self.rows(query).await? {
                let stored: Option<String> = col(&row, "value")?;
                let value = match (field, stored) {
                    (_, None) => None,
                    (AnalysisField::Attempts, Some(text)) => Some(text),
                    (AnalysisField::Crm(_), Some(json)) => {
                        let value: FieldValue = crate::codec::from_doc("field value", &json)?;
                        Some(value.display())
                    }
                };
                let (yes, no) = groups.entry((field.clone(), value)).or_default();
                *yes = yes.saturating_add(count(&row, "yes")?);
                *no = no.saturating_add(count(&row, "no")?);
            }
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
        // Per enrollment in an Open state, its latest event with product lines (latest by
        // time, then append order), kept when that event landed in an Open state.
        let query = sqlx::query(
            "SELECT ev.doc FROM enrollments AS en \
             JOIN outcome_events AS ev ON ev.id = ( \
                SELECT x.id FROM outcome_events AS x \
                WHERE x.enrollment_id = en.id \
                  AND EXISTS (SELECT 1 FROM outcome_product_lines AS p WHERE p.event_id = x.id) \
                ORDER BY x.occurred_at DESC, x.seq DESC LIMIT 1) \
             WHERE en.assignment_id = ? AND en.category = 'Open' AND ev.to_category = 'Open'",
        )
        .bind(id_text(assignment.as_uuid()));
        let events: Vec<OutcomeEvent> = fetch_docs(self.conn(), query, "outcome event").await?;
        let mut offers: Vec<OpenOffer> = events
            .into_iter()
            .map(|event| OpenOffer::of(&event))
            .collect::<Result<_, _>>()?;
        offers.sort_by_key(|o| (o.since, o.enrollment));
        Ok(offers)
    }
}
