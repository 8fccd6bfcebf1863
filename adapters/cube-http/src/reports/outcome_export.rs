//! The concrete outcomes as a file (seed 001: "hente ut de konkrete utfallene til Excel"):
//! the rows of `GET …/outcome-events`, all of them, as an Excel workbook or a CSV file. The
//! workbook has typed cells — times as date-times in the organisation's time zone, money as
//! numbers with two decimals beside its currency code, quantities as numbers — a bold header
//! row, frozen panes and an autofilter. The CSV is UTF-8 with a byte-order mark, every cell
//! quoted, formula cells defused, as the status download. Columns: time, customer, customer
//! id, seller, outcome, option, state after, follow-up, follow-up owner, products, units,
//! value, currency, note, then one per outcome field any row has. The sold products (seed
//! 001: "Solgte Produkter … lastes ned") come the same way, a row per product line: time,
//! customer, customer id, seller, product, quantity, unit price as sold, value, currency.
//! Both files are a [`Table`] of typed cells, written by one CSV writer and one workbook
//! writer.

use super::WindowQuery;
use super::export::Separator;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, Problem};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::exports::{OutcomeExport, OutcomeExportRow};
use cube_domain::ids::{AssignmentId, OutcomeId, StateId, UserId};
use cube_domain::outcome::OutcomeFilter;
use cube_domain::time_zone::TimeZone;
use cube_sheets::write::push_row;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The kind of file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// An Excel workbook (`.xlsx`).
    #[default]
    Xlsx,
    /// CSV (`.csv`).
    Csv,
}

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

/// One cell of a file, typed: the workbook writes each kind as its own cell type, the CSV
/// as text.
enum Cell {
    /// Text.
    Text(String),
    /// An instant, shown as the local wall time in the organisation's zone.
    Time(OffsetDateTime),
    /// A count.
    Count(u64),
    /// Money (in the row's currency, which a column of its own names).
    Money(Decimal),
    /// Nothing.
    Empty,
}

/// A file's content: a header and rows of cells, in the organisation's time zone.
struct Table {
    sheet: &'static str,
    zone: TimeZone,
    /// When the file was made (the cube's clock): the workbook's creation time, so the same
    /// export at the same moment is the same bytes.
    made: OffsetDateTime,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
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

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// The products of a row as one text (`2 × Strøm Fastpris; 1 × Strøm Spot`), its units
/// and its value, with the currency when the lines share one.
fn products(row: &OutcomeExportRow) -> (String, u64, Decimal, String) {
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
            first.currency.as_str().to_owned()
        }
        _ => String::new(),
    };
    (text, units, value, currency)
}

/// One row per outcome, with a column per outcome field.
fn outcome_table(export: OutcomeExport, made: OffsetDateTime) -> Table {
    let headers = OUTCOME_HEADERS
        .iter()
        .map(|h| (*h).to_owned())
        .chain(export.fields.iter().map(|k| format!("field.{k}")))
        .collect();
    let rows = export
        .rows
        .iter()
        .map(|row| {
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
                    Cell::Money(value)
                } else {
                    Cell::Empty
                },
                text(currency),
                text(e.note().unwrap_or_default()),
            ];
            cells.extend(
                export
                    .fields
                    .iter()
                    .map(|k| e.fields().get(k).map_or(Cell::Empty, |v| text(v.display()))),
            );
            cells
        })
        .collect();
    Table {
        sheet: "Utfall",
        zone: export.zone,
        made,
        headers,
        rows,
    }
}

/// One row per sold product line.
fn line_table(export: OutcomeExport, made: OffsetDateTime) -> Table {
    let mut rows = Vec::new();
    for row in &export.rows {
        let e = &row.event;
        for (line, name) in e.products().iter().zip(&row.products) {
            rows.push(vec![
                Cell::Time(e.occurred_at()),
                text(&row.customer),
                text(e.customer().to_string()),
                text(&row.seller),
                text(name),
                Cell::Count(u64::from(line.quantity)),
                Cell::Money(line.currency.amount(line.unit_price)),
                line.value()
                    .map_or(Cell::Empty, |v| Cell::Money(line.currency.amount(v))),
                text(line.currency.as_str()),
            ]);
        }
    }
    Table {
        sheet: "Solgte produkter",
        zone: export.zone,
        made,
        headers: LINE_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}

/// Local wall time of `at` in `zone`.
fn local(at: OffsetDateTime, zone: &TimeZone) -> time::PrimitiveDateTime {
    let local = at.to_offset(zone.offset_at(at));
    time::PrimitiveDateTime::new(local.date(), local.time())
}

/// The table as CSV.
fn to_csv(table: &Table, separator: Separator) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let mut out = String::from('\u{feff}');
    push_row(
        &mut out,
        separator.char(),
        table.headers.iter().map(String::as_str),
    );
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(t) => t.clone(),
                Cell::Time(at) => local(*at, &table.zone).format(&format).unwrap_or_default(),
                Cell::Count(n) => n.to_string(),
                Cell::Money(m) => m.to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        push_row(&mut out, separator.char(), cells.iter().map(String::as_str));
    }
    out
}

/// An Excel date-time of the local wall time of `at`.
pub(crate) fn excel_time(at: OffsetDateTime, zone: &TimeZone) -> Result<ExcelDateTime, XlsxError> {
    let t = local(at, zone);
    ExcelDateTime::from_ymd(t.year() as u16, u8::from(t.month()), t.day())?.and_hms(
        t.hour() as u16,
        t.minute(),
        f64::from(t.second()),
    )
}

/// The table as an Excel workbook: typed cells, a bold frozen header, an autofilter.
fn to_xlsx(table: &Table) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_author("Cube")
            .set_creation_datetime(&excel_time(table.made, &TimeZone::utc())?),
    );
    let sheet = workbook.add_worksheet();
    sheet.set_name(table.sheet)?;
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let money = Format::new().set_num_format("#,##0.00");
    for (col, header) in (0u16..).zip(&table.headers) {
        sheet.write_string_with_format(0, col, header, &bold)?;
    }
    for (r, row) in (1u32..).zip(&table.rows) {
        for (col, cell) in (0u16..).zip(row) {
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, col, t)?;
                }
                Cell::Time(at) => {
                    sheet.write_datetime_with_format(
                        r,
                        col,
                        excel_time(*at, &table.zone)?,
                        &when,
                    )?;
                }
                Cell::Count(n) => {
                    sheet.write_number(r, col, *n as f64)?;
                }
                Cell::Money(m) => {
                    sheet.write_number_with_format(
                        r,
                        col,
                        m.to_f64().unwrap_or(f64::NAN),
                        &money,
                    )?;
                }
                Cell::Empty => {}
            }
        }
    }
    let last_col = u16::try_from(table.headers.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let last_row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_col)?;
    sheet.autofit();
    workbook.save_to_buffer()
}

/// `table` as the file asked for: its content type, extension and bytes.
async fn file(
    table: Table,
    format: FileFormat,
    separator: Separator,
) -> ApiResult<(&'static str, &'static str, Vec<u8>)> {
    Ok(match format {
        FileFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            to_csv(&table, separator).into_bytes(),
        ),
        FileFormat::Xlsx => {
            let failed = |detail: String| ApiError::Malformed {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                detail: format!("the workbook could not be written: {detail}"),
            };
            // Writing a large workbook is CPU work: off the async threads.
            let bytes = tokio::task::spawn_blocking(move || to_xlsx(&table))
                .await
                .map_err(|e| failed(e.to_string()))?
                .map_err(|e| failed(e.to_string()))?;
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                bytes,
            )
        }
    })
}

/// The file as a download named `name`.
pub(crate) fn download(
    name: &str,
    (content_type, extension, body): (&str, &str, Vec<u8>),
) -> Response {
    let disposition = format!("attachment; filename=\"{name}.{extension}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
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
