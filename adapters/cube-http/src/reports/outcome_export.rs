//! The concrete outcomes as a file (seed 001: "hente ut de konkrete utfallene til Excel"):
//! the rows of `GET …/outcome-events`, all of them, as an Excel workbook or a CSV file. The
//! workbook has typed cells — times as date-times in the organisation's time zone, money as
//! numbers with two decimals beside its currency code, quantities as numbers — a bold header
//! row, frozen panes and an autofilter. The CSV is UTF-8 with a byte-order mark, every cell
//! quoted, formula cells defused, as the status download. Columns: time, customer, customer
//! id, seller, outcome, option, state after, follow-up, follow-up owner, products, units,
//! value, currency, note, then one per outcome field any row has.

use super::WindowQuery;
use super::export::{Separator, push_row};
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
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
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

const HEADERS: [&str; 14] = [
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

/// Local wall time of `at` in `zone`.
fn local(at: OffsetDateTime, zone: &TimeZone) -> time::PrimitiveDateTime {
    let local = at.to_offset(zone.offset_at(at));
    time::PrimitiveDateTime::new(local.date(), local.time())
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

fn local_text(at: OffsetDateTime, zone: &TimeZone) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    local(at, zone).format(&format).unwrap_or_default()
}

/// The export as CSV.
fn to_csv(export: &OutcomeExport, separator: Separator) -> String {
    let mut out = String::from('\u{feff}');
    let fields: Vec<String> = export.fields.iter().map(|k| format!("field.{k}")).collect();
    push_row(
        &mut out,
        separator.char(),
        HEADERS
            .iter()
            .copied()
            .chain(fields.iter().map(String::as_str)),
    );
    for row in &export.rows {
        let e = &row.event;
        let (text, units, value, currency) = products(row);
        let follow_up = e
            .follow_up()
            .map(|f| local_text(f.due, &export.zone))
            .unwrap_or_default();
        let mut cells = vec![
            local_text(e.occurred_at(), &export.zone),
            row.customer.clone(),
            e.customer().to_string(),
            row.seller.clone(),
            row.outcome.clone(),
            e.option().unwrap_or_default().to_owned(),
            row.state.clone(),
            follow_up,
            row.follow_up_owner.clone(),
            text,
            if e.products().is_empty() {
                String::new()
            } else {
                units.to_string()
            },
            if e.products().is_empty() {
                String::new()
            } else {
                value.to_string()
            },
            currency,
            e.note().unwrap_or_default().to_owned(),
        ];
        cells.extend(
            export
                .fields
                .iter()
                .map(|k| e.fields().get(k).map(|v| v.display()).unwrap_or_default()),
        );
        push_row(&mut out, separator.char(), cells.iter().map(String::as_str));
    }
    out
}

/// An Excel date-time of the local wall time of `at`.
fn excel_time(at: OffsetDateTime, zone: &TimeZone) -> Result<ExcelDateTime, XlsxError> {
    let t = local(at, zone);
    ExcelDateTime::from_ymd(t.year() as u16, u8::from(t.month()), t.day())?.and_hms(
        t.hour() as u16,
        t.minute(),
        f64::from(t.second()),
    )
}

/// The export as an Excel workbook.
fn to_xlsx(export: &OutcomeExport) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Utfall")?;
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let money = Format::new().set_num_format("#,##0.00");
    let headers: Vec<String> = HEADERS
        .iter()
        .map(|h| (*h).to_owned())
        .chain(export.fields.iter().map(|k| format!("field.{k}")))
        .collect();
    for (col, header) in (0u16..).zip(&headers) {
        sheet.write_string_with_format(0, col, header, &bold)?;
    }
    for (r, row) in (1u32..).zip(&export.rows) {
        let e = &row.event;
        let (text, units, value, currency) = products(row);
        sheet.write_datetime_with_format(
            r,
            0,
            excel_time(e.occurred_at(), &export.zone)?,
            &when,
        )?;
        sheet.write_string(r, 1, &row.customer)?;
        sheet.write_string(r, 2, e.customer().to_string())?;
        sheet.write_string(r, 3, &row.seller)?;
        sheet.write_string(r, 4, &row.outcome)?;
        sheet.write_string(r, 5, e.option().unwrap_or_default())?;
        sheet.write_string(r, 6, &row.state)?;
        if let Some(follow_up) = e.follow_up() {
            sheet.write_datetime_with_format(
                r,
                7,
                excel_time(follow_up.due, &export.zone)?,
                &when,
            )?;
        }
        sheet.write_string(r, 8, &row.follow_up_owner)?;
        sheet.write_string(r, 9, &text)?;
        if !e.products().is_empty() {
            sheet.write_number(r, 10, units as f64)?;
            sheet.write_number_with_format(r, 11, value.to_f64().unwrap_or(f64::NAN), &money)?;
        }
        sheet.write_string(r, 12, &currency)?;
        sheet.write_string(r, 13, e.note().unwrap_or_default())?;
        for (col, key) in (14u16..).zip(&export.fields) {
            if let Some(v) = e.fields().get(key) {
                sheet.write_string(r, col, v.display())?;
            }
        }
    }
    let last_col = u16::try_from(headers.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let last_row = u32::try_from(export.rows.len()).unwrap_or(u32::MAX);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_col)?;
    sheet.autofit();
    workbook.save_to_buffer()
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
    let (content_type, extension, body) = match query.format.unwrap_or_default() {
        FileFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            to_csv(&export, query.separator.unwrap_or_default()).into_bytes(),
        ),
        FileFormat::Xlsx => {
            // Writing a large workbook is CPU work: off the async threads.
            let bytes = tokio::task::spawn_blocking(move || to_xlsx(&export))
                .await
                .map_err(|e| ApiError::Malformed {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    detail: format!("the workbook could not be written: {e}"),
                })?
                .map_err(|e| ApiError::Malformed {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    detail: format!("the workbook could not be written: {e}"),
                })?;
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                bytes,
            )
        }
    };
    let disposition = format!("attachment; filename=\"outcomes-{id}.{extension}\"");
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
