//! Every download of a report or a selection is a [`Table`] — a header and rows of typed
//! cells — written by one of two writers: [`csv_chunks`] or [`to_xlsx`]. The exports (the
//! concrete outcomes, the sold products, the open offers, the meetings, the customer status
//! and a bulk selection) only lay out cells; how a time, an amount of money or a formula-like
//! text reaches the file is decided here, once. It sits at the crate's root, not under
//! `reports`, because the bulk endpoints (`customers::bulk`) write one too; it grew out of
//! `reports::outcome_export` when the second kind of export needed the same writers.
//!
//! - The workbook (rust_xlsxwriter) types its cells: times are date-times of the local wall
//!   time in the organisation's zone, dates dates, counts and numbers numbers, money a
//!   number with its currency's format (`#,##0.00 "NOK"`, as many decimals as the currency
//!   has), yes/no booleans; a bold header row, frozen panes, an autofilter. Text is always a
//!   text cell, never a formula.
//! - The CSV is UTF-8 with a byte-order mark (so Excel reads "Ødegård" right), every cell
//!   quoted, a comma or — `separator=semicolon`, what Excel expects in Norwegian settings — a
//!   semicolon between cells, and formula cells defused (`cube_sheets::write`); it is
//!   streamed a thousand rows at a time, each row dropped once written.

use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_domain::fields::FieldValue;
use cube_domain::product::Currency;
use cube_domain::time_zone::TimeZone;
use cube_sheets::write::push_row;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::convert::Infallible;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

/// The kind of file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// An Excel workbook (`.xlsx`).
    #[default]
    Xlsx,
    /// CSV (`.csv`).
    Csv,
}

/// What separates the cells of a CSV row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Separator {
    /// `,` (RFC 4180).
    #[default]
    Comma,
    /// `;` (spreadsheets in locales where the comma is the decimal mark).
    Semicolon,
}

impl Separator {
    pub(crate) fn char(self) -> char {
        match self {
            Separator::Comma => ',',
            Separator::Semicolon => ';',
        }
    }
}

/// One cell of a file, typed: the workbook writes each kind as its own cell type, the CSV
/// as text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text.
    Text(String),
    /// An instant, shown as the local wall time in the organisation's zone.
    Time(OffsetDateTime),
    /// A calendar date.
    Date(Date),
    /// A count.
    Count(u64),
    /// A number that is no count (a CRM field's number or decimal).
    Number(Decimal),
    /// Money, in its currency when it has one (a sum over several currencies has none).
    Money(Decimal, Option<Currency>),
    /// Yes or no.
    Bool(bool),
    /// Nothing.
    Empty,
}

/// A text cell.
pub(crate) fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// A typed field value (CRM or outcome field) as its cell: numbers as numbers, dates as
/// dates, yes/no as a boolean. In CSV each reads as `FieldValue::display` does.
pub(crate) fn field_cell(value: &FieldValue) -> Cell {
    match value {
        FieldValue::Text(t) | FieldValue::Choice(t) => text(t),
        FieldValue::Number(n) => Cell::Number(Decimal::from(*n)),
        FieldValue::Decimal(d) => Cell::Number(*d),
        FieldValue::Date(d) => Cell::Date(*d),
        FieldValue::Boolean(b) => Cell::Bool(*b),
    }
}

/// A file's content: a header and rows of cells.
pub(crate) struct Table {
    /// The workbook's sheet name.
    pub sheet: &'static str,
    /// The organisation's time zone: times are written as its local wall time.
    pub zone: TimeZone,
    /// When the file was made (the cube's clock): the workbook's creation time, so the same
    /// export at the same moment is the same bytes.
    pub made: OffsetDateTime,
    /// The header row.
    pub headers: Vec<String>,
    /// The rows, each as long as the header.
    pub rows: Vec<Vec<Cell>>,
}

/// `names` as a header row.
pub(crate) fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

/// Local wall time of `at` in `zone`.
fn local(at: OffsetDateTime, zone: &TimeZone) -> time::PrimitiveDateTime {
    let local = at.to_offset(zone.offset_at(at));
    time::PrimitiveDateTime::new(local.date(), local.time())
}

/// A cell as CSV text: times as local `YYYY-MM-DD HH:MM:SS`, dates `YYYY-MM-DD`, numbers and
/// money as plain decimals (`1497.00`), yes/no as `yes`/`no`.
fn csv_text(cell: &Cell, zone: &TimeZone) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Time(at) => local(*at, zone).format(&format).unwrap_or_default(),
        Cell::Date(d) => d.to_string(),
        Cell::Count(n) => n.to_string(),
        Cell::Number(n) => n.normalize().to_string(),
        Cell::Money(m, _) => m.to_string(),
        Cell::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Cell::Empty => String::new(),
    }
}

/// Rows written into one chunk of a streamed CSV file.
const CSV_CHUNK_ROWS: usize = 1_000;

/// The table as CSV, a chunk at a time: the byte-order mark and the header first, then
/// [`CSV_CHUNK_ROWS`] rows a chunk. Each row is dropped once written, so a large download
/// never holds its rows and its whole text at once.
pub(crate) fn csv_chunks(table: Table, separator: Separator) -> impl Iterator<Item = String> {
    let Table {
        zone,
        headers,
        rows,
        ..
    } = table;
    let separator = separator.char();
    let mut head = String::from('\u{feff}');
    push_row(&mut head, separator, headers.iter().map(String::as_str));
    let mut rows = rows.into_iter();
    std::iter::once(head).chain(std::iter::from_fn(move || {
        let mut out = String::new();
        for row in rows.by_ref().take(CSV_CHUNK_ROWS) {
            let cells: Vec<String> = row.iter().map(|c| csv_text(c, &zone)).collect();
            push_row(&mut out, separator, cells.iter().map(String::as_str));
        }
        // Every row ends with CRLF: an empty chunk means no rows were left.
        (!out.is_empty()).then_some(out)
    }))
}

/// The table as one CSV text.
#[cfg(test)]
fn to_csv(table: Table, separator: Separator) -> String {
    csv_chunks(table, separator).collect()
}

/// An Excel date-time of the local wall time of `at`.
pub(crate) fn excel_time(at: OffsetDateTime, zone: &TimeZone) -> Result<ExcelDateTime, XlsxError> {
    let t = local(at, zone);
    excel_date(t.date())?.and_hms(t.hour() as u16, t.minute(), f64::from(t.second()))
}

/// An Excel date of `date`.
fn excel_date(date: Date) -> Result<ExcelDateTime, XlsxError> {
    let year =
        u16::try_from(date.year()).map_err(|_| XlsxError::DateTimeRangeError(date.to_string()))?;
    ExcelDateTime::from_ymd(year, u8::from(date.month()), date.day())
}

/// The number format of money in `currency`: grouped thousands, the currency's decimals
/// and its code (`#,##0.00 "NOK"`); two decimals and no code without one.
fn money_format(currency: Option<&Currency>) -> String {
    let decimals = currency.map_or(2, Currency::minor_units);
    let mut format = String::from("#,##0");
    if decimals > 0 {
        format.push('.');
        format.extend(std::iter::repeat_n('0', decimals as usize));
    }
    if let Some(currency) = currency {
        format.push_str(&format!(" \"{}\"", currency.as_str()));
    }
    format
}

/// The table as an Excel workbook: typed cells, a bold frozen header, an autofilter.
pub(crate) fn to_xlsx(table: &Table) -> Result<Vec<u8>, XlsxError> {
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
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let mut money: BTreeMap<String, Format> = BTreeMap::new();
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
                Cell::Date(d) => {
                    sheet.write_date_with_format(r, col, excel_date(*d)?, &day)?;
                }
                Cell::Count(n) => {
                    sheet.write_number(r, col, *n as f64)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, col, n.to_f64().unwrap_or(f64::NAN))?;
                }
                Cell::Money(m, currency) => {
                    let pattern = money_format(currency.as_ref());
                    let format = money
                        .entry(pattern)
                        .or_insert_with_key(|pattern| Format::new().set_num_format(pattern));
                    sheet.write_number_with_format(
                        r,
                        col,
                        m.to_f64().unwrap_or(f64::NAN),
                        format,
                    )?;
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(r, col, *b)?;
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

/// A file's content type, extension and body.
pub(crate) type File = (&'static str, &'static str, Body);

/// `table` as the file asked for: a CSV streamed a chunk of rows at a time, or a workbook
/// written whole (the xlsx format is a zip whose directory comes last).
pub(crate) async fn file(
    table: Table,
    format: FileFormat,
    separator: Separator,
) -> ApiResult<File> {
    Ok(match format {
        FileFormat::Csv => {
            let chunks = csv_chunks(table, separator).map(Ok::<_, Infallible>);
            (
                "text/csv; charset=utf-8",
                "csv",
                Body::from_stream(futures::stream::iter(chunks)),
            )
        }
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
                Body::from(bytes),
            )
        }
    })
}

/// The file as a download named `name` (and the file's extension).
pub(crate) fn download(
    name: &str,
    (content_type, extension, body): (&str, &str, impl Into<Body>),
) -> Response {
    let disposition = format!("attachment; filename=\"{name}.{extension}\"");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body.into(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nok() -> Currency {
        Currency::parse("NOK").expect("a currency")
    }

    fn table(rows: Vec<Vec<Cell>>) -> Table {
        Table {
            sheet: "Ark",
            zone: TimeZone::oslo(),
            made: time::macros::datetime!(2025-03-03 08:00 UTC),
            headers: headers(&["a", "b"]),
            rows,
        }
    }

    #[test]
    fn money_is_formatted_with_its_currencys_decimals_and_code() {
        assert_eq!(money_format(Some(&nok())), "#,##0.00 \"NOK\"");
        let yen = Currency::parse("JPY").expect("a currency");
        assert_eq!(money_format(Some(&yen)), "#,##0 \"JPY\"");
        assert_eq!(money_format(None), "#,##0.00");
    }

    #[test]
    fn csv_has_a_bom_the_separator_local_times_and_defused_formulas() {
        let csv = to_csv(
            table(vec![
                vec![
                    Cell::Time(time::macros::datetime!(2025-07-01 08:30 UTC)),
                    text("=HYPERLINK(\"x\")"),
                ],
                vec![
                    Cell::Money(Decimal::new(149700, 2), Some(nok())),
                    Cell::Bool(true),
                ],
                vec![Cell::Number(Decimal::new(1500, 2)), Cell::Empty],
            ]),
            Separator::Semicolon,
        );
        assert_eq!(
            csv,
            "\u{feff}\"a\";\"b\"\r\n\"2025-07-01 10:30:00\";\"'=HYPERLINK(\"\"x\"\")\"\r\n\
             \"1497.00\";\"yes\"\r\n\"15\";\"\"\r\n"
        );
    }

    #[test]
    fn a_long_csv_comes_in_chunks_of_rows_that_add_up_to_the_whole() {
        let rows = (0..2_500u64)
            .map(|n| vec![Cell::Count(n), text("Ødegård")])
            .collect::<Vec<_>>();
        let chunks: Vec<String> = csv_chunks(table(rows.clone()), Separator::Comma).collect();
        assert_eq!(chunks.len(), 4, "the header, then 1,000 + 1,000 + 500 rows");
        assert_eq!(chunks[0], "\u{feff}\"a\",\"b\"\r\n");
        assert_eq!(chunks[3].matches("\r\n").count(), 500);
        assert!(chunks[1].starts_with("\"0\",\"Ødegård\"\r\n"));
        assert!(chunks[3].ends_with("\"2499\",\"Ødegård\"\r\n"));
        assert_eq!(chunks.concat(), to_csv(table(rows), Separator::Comma));
        let empty: Vec<String> = csv_chunks(table(Vec::new()), Separator::Comma).collect();
        assert_eq!(empty, ["\u{feff}\"a\",\"b\"\r\n"], "a header alone");
    }

    #[test]
    fn a_field_value_reads_in_csv_as_its_display() {
        let zone = TimeZone::utc();
        for value in [
            FieldValue::Text("Ødegård".into()),
            FieldValue::Number(-12),
            FieldValue::Decimal(Decimal::new(2500, 3)),
            FieldValue::Date(time::macros::date!(2025 - 03 - 03)),
            FieldValue::Boolean(false),
            FieldValue::Choice("Energy".into()),
        ] {
            assert_eq!(csv_text(&field_cell(&value), &zone), value.display());
        }
    }
}
