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
//! Both files are a [`Table`] of typed cells, written by the writers of [`crate::table`] a
//! page of outcomes at a time as [`OutcomePages`] reads them from the store: neither the
//! outcomes nor the file are ever held whole.

use super::WindowQuery;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use crate::table::{
    Cell, FileFormat, Page, Pages, Separator, Table, download, field_cell, file, fits, headers,
    text,
};
use axum::extract::State;
use axum::response::Response;
use cube_app::exports::{OutcomeExport, OutcomeExportRow, OutcomePages};
use cube_domain::fields::FieldKey;
use cube_domain::ids::{AssignmentId, OutcomeId, StateId, UserId};
use cube_domain::outcome::{OutcomeFilter, ProductLine};
use cube_domain::product::Currency;
use futures::{StreamExt, TryStreamExt};
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
    /// End, exclusive: as `from` (the same date as `from`: that whole day); default:
    /// tomorrow 00:00 locally.
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

/// The cells of an outcome's row: the fixed columns, then one per field of `fields`.
fn outcome_cells(row: &OutcomeExportRow, fields: &[FieldKey]) -> Vec<Cell> {
    let e = &row.event;
    let (names, units, value, currency) = products(row);
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
}

/// A product line's own cells, as the sold-products and the open-offers files both lay
/// them out: product, quantity, unit price (as sold or offered), value, currency — money
/// typed in the line's own currency.
pub(super) fn product_line_cells(line: &ProductLine, name: &str) -> [Cell; 5] {
    let currency = Some(line.currency.clone());
    [
        text(name),
        Cell::Count(u64::from(line.quantity)),
        Cell::Money(line.currency.amount(line.unit_price), currency.clone()),
        line.value().map_or(Cell::Empty, |v| {
            Cell::Money(line.currency.amount(v), currency)
        }),
        text(line.currency.as_str()),
    ]
}

/// The export's rows as pages of cells, each page laid out by `lay_out` as it is read.
fn pages(
    rows: OutcomePages,
    lay_out: impl Fn(Vec<OutcomeExportRow>) -> Page + Send + 'static,
) -> Pages {
    futures::stream::try_unfold(rows, move |mut rows| async move {
        Ok(rows.next_page().await?.map(|page| (page, rows)))
    })
    .map_ok(lay_out)
    .boxed()
}

/// One row per outcome, with a column per outcome field, a page at a time.
fn outcome_table(export: OutcomeExport, made: OffsetDateTime) -> Table {
    let OutcomeExport {
        zone, fields, rows, ..
    } = export;
    let headers = headers(&OUTCOME_HEADERS)
        .into_iter()
        .chain(fields.iter().map(|k| format!("field.{k}")))
        .collect();
    Table {
        sheet: "Utfall",
        zone,
        made,
        headers,
        rows: pages(rows, move |page| {
            page.iter().map(|row| outcome_cells(row, &fields)).collect()
        }),
    }
}

/// One row per sold product line, a page of sales at a time.
fn line_table(export: OutcomeExport, made: OffsetDateTime) -> Table {
    Table {
        sheet: "Solgte produkter",
        zone: export.zone,
        made,
        headers: headers(&LINE_HEADERS),
        rows: pages(export.rows, |page| {
            let mut rows = Vec::new();
            for row in &page {
                let e = &row.event;
                for (line, name) in e.products().iter().zip(&row.products) {
                    let mut cells = vec![
                        Cell::Time(e.occurred_at()),
                        text(&row.customer),
                        text(e.customer().to_string()),
                        text(&row.seller),
                    ];
                    cells.extend(product_line_cells(line, name));
                    rows.push(cells);
                }
            }
            rows
        }),
    }
}

/// The concrete outcomes of an assignment in a window, filtered, as an Excel workbook or a
/// CSV file: every outcome, not a page, streamed (at most 5,000,000, and a workbook at most
/// 1,048,575 rows; narrow the window beyond that).
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
        (status = 422, description = "The window ends before it starts, or the export would hold more than 5,000,000 outcomes (a workbook: more than 1,048,575)", body = Problem, content_type = "application/problem+json"),
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
    let format = query.format.unwrap_or_default();
    fits(format, export.outcomes)?;
    let file = file(
        outcome_table(export, state.cube.now()),
        format,
        query.separator.unwrap_or_default(),
    );
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
    /// End, exclusive: as `from` (the same date as `from`: that whole day); default:
    /// tomorrow 00:00 locally.
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
/// currency — as an Excel workbook (at most 1,048,575 lines) or CSV (at most 5,000,000
/// sales), streamed.
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
        (status = 422, description = "The window ends before it starts, or the export would hold more than 5,000,000 sales (a workbook: more than 1,048,575 lines)", body = Problem, content_type = "application/problem+json"),
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
    let format = query.format.unwrap_or_default();
    fits(format, export.lines)?;
    let file = file(
        line_table(export, state.cube.now()),
        format,
        query.separator.unwrap_or_default(),
    );
    Ok(download(&format!("sold-products-{id}"), file))
}
