//! The concrete outcomes as a file (seed 001: "hente ut de konkrete utfallene til Excel"):
//! the rows of `GET …/outcome-events`, all of them, as an Excel workbook or a CSV file. The
//! workbook has typed cells — times as date-times in the organisation's time zone, money as
//! numbers in its currency's format (and a currency column), quantities as numbers — a bold header
//! row, frozen panes and an autofilter. The CSV is UTF-8 with a byte-order mark, every cell
//! quoted, formula cells defused, as the status download. Columns: time, customer, customer
//! id, seller, outcome, option, state after, follow-up, follow-up owner, products, units,
//! value, currency, note, then one per outcome field any row has. The sold products (seed
//! 001: "Solgte Produkter … lastes ned") come the same way, a row per product line: time,
//! customer, customer id, seller, product, quantity, unit price as sold, value, currency.
//! Both files are a [`Table`] of typed cells, written by the writers of [`crate::table`].

use super::WindowQuery;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use crate::table::{Cell, FileFormat, Separator, Table, download, field_cell, file, headers, text};
use axum::extract::State;
use axum::response::Response;
use cube_app::exports::{OutcomeExport, OutcomeExportRow};
use cube_domain::ids::{AssignmentId, OutcomeId, StateId, UserId};
use cube_domain::outcome::OutcomeFilter;
use cube_domain::product::Currency;
use rust_decimal::Decimal;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;
use uuid::Uuid;

/// The window, the filters and the file.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutcomeExportQuery {
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default:
    /// today 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: as `from`; default: tomorrow 00:00 locally.
    pub to: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Uuid>,
    /// Only what this seller (user) registered.
    pub seller: Option<Uuid>,
    /// Only events that left the customer in this state.
    pub state: Option<Uuid>,
    /// `true`: only sales with products.
    pub sold: Option<bool>,
    /// `xlsx` (default) or `csv`.
    pub format: Option<FileFormat>,
    /// For CSV: `comma` (default) or `semicolon` (what Excel expects in Norway).
    pub separator: Option<Separator>,
}

const OUTCOME_HEADERS: [&str; 14] = [
    "time",
    "customer",
    "customer_id",
    "seller",
    "outcome",
    "option",
    "state",
    "follow_up",
    "follow_up_owner",
    "products",
    "units",
    "value",
    "currency",
    "note",
];

const LINE_HEADERS: [&str; 9] = [
    "time",
    "customer",
    "customer_id",
    "seller",
    "product",
    "quantity",
    "unit_price",
    "value",
    "currency",
];

/// The products of a row as one text (`2 × Strøm Fastpris; 1 × Strøm Spot`), its units
/// and its value, with the currency when the lines share one.
fn products(row: &OutcomeExportRow) -> (String, u64, Decimal, Option<Currency>) {
    let lines = row.event.products();
    let text = lines
        .iter()
        .zip(&row.products)
        .map(|(line, name)| format!("{} × {name}", line.quantity))
        .collect::<Vec<_>>()
        .join("; ");
    let units = lines.iter().map(|l| u64::from(l.quantity)).sum();
    let value = lines
        .iter()
        .filter_map(|l| l.value())
        .fold(Decimal::ZERO, |sum, v| sum.saturating_add(v));
    let currency = match lines.first() {
        Some(first) if lines.iter().all(|l| l.currency == first.currency) => {
            Some(first.currency.clone())
        }
        _ => None,
    };
    (text, units, value, currency)
}

/// One row per outcome, with a column per outcome field. Each outcome is dropped once laid
/// out, so the export and its table are not held whole at once.
fn outcome_table(export: OutcomeExport, made: OffsetDateTime) -> Table {
    let OutcomeExport { zone, fields, rows } = export;
    let headers = headers(&OUTCOME_HEADERS)
        .into_iter()
        .chain(fields.iter().map(|k| format!("field.{k}")))
        .collect();
    let rows = rows
        .into_iter()
        .map(|row| {
            let e = &row.event;
            let (names, units, value, currency) = products(&row);
            let sold = !e.products().is_empty();
            let mut cells = vec![
                Cell::Time(e.occurred_at()),
                text(&row.customer),
                text(e.customer().to_string()),
                text(&row.seller),
                text(&row.outcome),
                text(e.option().unwrap_or_default()),
                text(&row.state),
                e.follow_up().map_or(Cell::Empty, |f| Cell::Time(f.due)),
                text(&row.follow_up_owner),
                text(names),
                if sold {
                    Cell::Count(units)
                } else {
                    Cell::Empty
                },
                if sold {
                    Cell::Money(value, currency.clone())
                } else {
                    Cell::Empty
                },
                text(currency.as_ref().map(Currency::as_str).unwrap_or_default()),
                text(e.note().unwrap_or_default()),
            ];
            cells.extend(
                fields
                    .iter()
                    .map(|k| e.fields().get(k).map_or(Cell::Empty, field_cell)),
            );
            cells
        })
        .collect();
    Table {
        sheet: "Utfall",
        zone,
        made,
        headers,
        rows,
    }
}

/// One row per sold product line; each sale is dropped once laid out.
fn line_table(export: OutcomeExport, made: OffsetDateTime) -> Table {
    let mut rows = Vec::new();
    for row in export.rows {
        let e = &row.event;
        for (line, name) in e.products().iter().zip(&row.products) {
            rows.push(vec![
                Cell::Time(e.occurred_at()),
                text(&row.customer),
                text(e.customer().to_string()),
                text(&row.seller),
                text(name),
                Cell::Count(u64::from(line.quantity)),
                Cell::Money(
                    line.currency.amount(line.unit_price),
                    Some(line.currency.clone()),
                ),
                line.value().map_or(Cell::Empty, |v| {
                    Cell::Money(line.currency.amount(v), Some(line.currency.clone()))
                }),
                text(line.currency.as_str()),
            ]);
        }
    }
    Table {
        sheet: "Solgte produkter",
        zone: export.zone,
        made,
        headers: headers(&LINE_HEADERS),
        rows,
    }
}

/// The concrete outcomes of an assignment in a window, filtered, as an Excel workbook or a
/// CSV file: every outcome, not a page (at most 200,000; narrow the window beyond that).
#[utoipa::path(
    get, path = "/api/assignments/{id}/outcome-events/export", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), OutcomeExportQuery),
    responses(
        (status = 200, description = "The file: an Excel workbook (typed cells, header row, frozen panes, autofilter) or CSV (UTF-8 with a byte-order mark, every cell quoted)", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read the outcomes of this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts, or the export would hold more than 200,000 outcomes", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn outcome_export(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<OutcomeExportQuery>,
) -> ApiResult<Response> {
    let window = WindowQuery {
        from: query.from.clone(),
        to: query.to.clone(),
    }
    .window_for(&state.cube, &actor.user)
    .await?;
    let filter = OutcomeFilter {
        outcome: query.outcome.map(OutcomeId::from_uuid),
        user: query.seller.map(UserId::from_uuid),
        to_state: query.state.map(StateId::from_uuid),
        sold: query.sold.unwrap_or(false),
    };
    let export = state
        .cube
        .outcome_export(&actor.user, id, window, filter)
        .await?;
    let file = file(
        outcome_table(export, state.cube.now()),
        query.format.unwrap_or_default(),
        query.separator.unwrap_or_default(),
    )
    .await?;
    Ok(download(&format!("outcomes-{id}"), file))
}

/// The window, the seller and the file.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SalesLinesExportQuery {
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default:
    /// today 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: as `from`; default: tomorrow 00:00 locally.
    pub to: Option<String>,
    /// Only what this seller (user) sold.
    pub seller: Option<Uuid>,
    /// `xlsx` (default) or `csv`.
    pub format: Option<FileFormat>,
    /// For CSV: `comma` (default) or `semicolon` (what Excel expects in Norway).
    pub separator: Option<Separator>,
}

/// The sales report's lines as a file (seed 001: sold products "lastes ned"): one row per
/// sold product — time, customer, seller, product, quantity, unit price as sold, value,
/// currency — as an Excel workbook or CSV (at most 200,000 sales).
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/sales/lines/export", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), SalesLinesExportQuery),
    responses(
        (status = 200, description = "The file: an Excel workbook (typed cells, header row, frozen panes, autofilter) or CSV (UTF-8 with a byte-order mark, every cell quoted)", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read the sales of this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts, or the export would hold more than 200,000 sales", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn sales_lines_export(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<SalesLinesExportQuery>,
) -> ApiResult<Response> {
    let window = WindowQuery {
        from: query.from.clone(),
        to: query.to.clone(),
    }
    .window_for(&state.cube, &actor.user)
    .await?;
    let export = state
        .cube
        .sales_export(&actor.user, id, window, query.seller.map(UserId::from_uuid))
        .await?;
    let file = file(
        line_table(export, state.cube.now()),
        query.format.unwrap_or_default(),
        query.separator.unwrap_or_default(),
    )
    .await?;
    Ok(download(&format!("sold-products-{id}"), file))
}
