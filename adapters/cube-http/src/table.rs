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
//!   semicolon between cells, and formula cells defused (`cube_sheets::write`).
//!
//! A table's rows come as a stream of pages ([`Pages`]), and neither writer holds more than a
//! page: the CSV is sent a page at a time as it is written, and the workbook is written in
//! rust_xlsxwriter's constant-memory mode (each row goes to a temporary file as the next one
//! starts) on a blocking thread fed a page at a time through a channel of two, saved to an
//! unlinked temporary file, and streamed from it (the file goes when the stream ends or is
//! dropped). So a million-row export costs the server a few pages of memory, not the file.
//! The response starts when the export's head is ready — access checked, rows counted — so
//! a refusal is an ordinary problem response; a store failure after that aborts the download
//! (the client sees a broken transfer, never a short file that looks whole).

use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_domain::fields::FieldValue;
use cube_domain::product::Currency;
use cube_domain::time_zone::TimeZone;
use cube_sheets::write::push_row;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Seek, Write};
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

/// A page of rows, each as long as the header.
pub(crate) type Page = Vec<Vec<Cell>>;

/// A table's rows, a page at a time; an error ends the file (see the module doc).
pub(crate) type Pages = BoxStream<'static, ApiResult<Page>>;

/// Rows already in memory (an export bounded by what is open or booked) as pages of
/// [`CSV_CHUNK_ROWS`], each dropped once written.
pub(crate) fn pages_of(rows: Vec<Vec<Cell>>) -> Pages {
    let mut rows = rows.into_iter();
    let pages = std::iter::from_fn(move || {
        let page: Page = rows.by_ref().take(CSV_CHUNK_ROWS).collect();
        (!page.is_empty()).then_some(Ok(page))
    });
    futures::stream::iter(pages).boxed()
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
    /// The rows, a page at a time.
    pub rows: Pages,
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

/// Rows a page holds when the rows were in memory already ([`pages_of`]).
const CSV_CHUNK_ROWS: usize = 1_000;

/// The byte-order mark and the header row of a CSV file.
fn csv_head(headers: &[String], separator: char) -> String {
    let mut head = String::from('\u{feff}');
    push_row(&mut head, separator, headers.iter().map(String::as_str));
    head
}

/// A page of rows as CSV text.
fn csv_page(page: &[Vec<Cell>], separator: char, zone: &TimeZone) -> String {
    let mut out = String::new();
    for row in page {
        let cells: Vec<String> = row.iter().map(|c| csv_text(c, zone)).collect();
        push_row(&mut out, separator, cells.iter().map(String::as_str));
    }
    out
}

/// The table as CSV, a chunk at a time: the byte-order mark and the header first, then one
/// chunk a page, each page dropped once written.
pub(crate) fn csv_chunks(
    table: Table,
    separator: Separator,
) -> BoxStream<'static, ApiResult<String>> {
    let Table {
        zone,
        headers,
        rows,
        ..
    } = table;
    let separator = separator.char();
    let head = csv_head(&headers, separator);
    futures::stream::once(async move { Ok(head) })
        .chain(rows.map_ok(move |page| csv_page(&page, separator, &zone)))
        .boxed()
}

/// The table as one CSV text.
#[cfg(test)]
async fn to_csv(table: Table, separator: Separator) -> String {
    csv_chunks(table, separator)
        .try_collect::<Vec<String>>()
        .await
        .map(|chunks| chunks.concat())
        .unwrap_or_else(|e| panic!("the CSV is written: {e:?}"))
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

/// The most rows under the header a workbook's sheet holds (Excel's limit is 1,048,576
/// rows in all). A larger export is refused as a workbook; CSV has no such limit.
pub(crate) const XLSX_MAX_ROWS: usize = 1_048_575;

/// Rows whose text sets the columns' widths: what a reader sees on opening the file (the
/// constant-memory sheet keeps no rows to fit afterwards).
const FIT_ROWS: u32 = 200;

/// The widest a column is made, in characters.
const FIT_MAX: usize = 60;

/// The workbook's part that is not rows: what the header of a [`Table`] says.
struct Head {
    sheet: &'static str,
    zone: TimeZone,
    made: OffsetDateTime,
    headers: Vec<String>,
}

/// Writes a workbook a row at a time into a constant-memory sheet.
struct XlsxWriter {
    workbook: Workbook,
    zone: TimeZone,
    bold: Format,
    when: Format,
    day: Format,
    money: BTreeMap<String, Format>,
    /// The next row to write (row 0 is the header).
    row: u32,
    /// Per column, the most characters of its text among the first [`FIT_ROWS`] rows.
    widths: Vec<usize>,
}

impl XlsxWriter {
    fn new(head: &Head) -> Result<Self, XlsxError> {
        let mut workbook = Workbook::new();
        workbook.set_properties(
            &DocProperties::new()
                .set_author("Cube")
                .set_creation_datetime(&excel_time(head.made, &TimeZone::utc())?),
        );
        let mut writer = Self {
            zone: head.zone.clone(),
            bold: Format::new().set_bold(),
            when: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            day: Format::new().set_num_format("yyyy-mm-dd"),
            money: BTreeMap::new(),
            row: 1,
            // Two more for the autofilter's button.
            widths: head.headers.iter().map(|h| h.chars().count() + 2).collect(),
            workbook,
        };
        let sheet = writer.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(head.sheet)?;
        for (col, header) in (0u16..).zip(&head.headers) {
            sheet.write_string_with_format(0, col, header, &writer.bold)?;
        }
        Ok(writer)
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.workbook.worksheet_from_index(0)
    }

    /// Writes `row` below the last one.
    fn write(&mut self, row: &[Cell]) -> Result<(), XlsxError> {
        if self.row as usize > XLSX_MAX_ROWS {
            return Err(XlsxError::RowColumnLimitError);
        }
        let r = self.row;
        if r <= FIT_ROWS {
            for (width, cell) in self.widths.iter_mut().zip(row) {
                *width = (*width).max(csv_text(cell, &self.zone).chars().count());
            }
        }
        let Self {
            workbook,
            zone,
            when,
            day,
            money,
            ..
        } = self;
        let sheet = workbook.worksheet_from_index(0)?;
        for (col, cell) in (0u16..).zip(row) {
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, col, t)?;
                }
                Cell::Time(at) => {
                    sheet.write_datetime_with_format(r, col, excel_time(*at, zone)?, when)?;
                }
                Cell::Date(d) => {
                    sheet.write_date_with_format(r, col, excel_date(*d)?, day)?;
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
        self.row += 1;
        Ok(())
    }

    /// The frozen header, the autofilter over every row written and the columns' widths;
    /// then the workbook into `out`.
    fn finish<W: Write + Seek + Send>(mut self, out: W) -> Result<W, XlsxError> {
        let last_row = self.row - 1;
        let last_col = u16::try_from(self.widths.len().saturating_sub(1)).unwrap_or(u16::MAX);
        let widths = std::mem::take(&mut self.widths);
        let sheet = self.sheet()?;
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, last_row, last_col)?;
        for (col, width) in (0u16..).zip(widths) {
            // Characters to Excel's width units: about one each, and a little margin.
            sheet.set_column_width(col, width.min(FIT_MAX) as f64 + 1.0)?;
        }
        let mut out = out;
        self.workbook.save_to_writer(&mut out)?;
        Ok(out)
    }
}

/// Writes the workbook of `head` and the pages `rows` sends, on the blocking thread this
/// runs on, into an unlinked temporary file; the file, rewound.
fn xlsx_file(
    head: &Head,
    rows: std::sync::mpsc::Receiver<Page>,
) -> Result<std::fs::File, XlsxError> {
    let mut writer = XlsxWriter::new(head)?;
    for page in rows {
        for row in &page {
            writer.write(row)?;
        }
    }
    let mut file = writer.finish(tempfile::tempfile()?)?;
    file.rewind()?;
    Ok(file)
}

/// The table as an Excel workbook in an unlinked temporary file: typed cells, a bold frozen
/// header, an autofilter. The pages are read here and written on a blocking thread, at most
/// two waiting between them; a failed page, or more rows than a sheet holds, is an error and
/// no file.
async fn to_xlsx(table: Table) -> ApiResult<tokio::fs::File> {
    let Table {
        sheet,
        zone,
        made,
        headers,
        mut rows,
    } = table;
    let head = Head {
        sheet,
        zone,
        made,
        headers,
    };
    let (pages, received) = std::sync::mpsc::sync_channel::<Page>(2);
    let writer = tokio::task::spawn_blocking(move || xlsx_file(&head, received));
    while let Some(page) = rows.next().await {
        // A closed channel: the writer failed; its error is the answer.
        if pages.send(page?).is_err() {
            break;
        }
    }
    drop(pages);
    let file = writer
        .await
        .map_err(|e| xlsx_failed(&e.to_string()))?
        .map_err(|e| match e {
            XlsxError::RowColumnLimitError => too_many_rows(),
            e => xlsx_failed(&e.to_string()),
        })?;
    Ok(tokio::fs::File::from_std(file))
}

fn xlsx_failed(detail: &str) -> ApiError {
    ApiError::Malformed {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        detail: format!("the workbook could not be written: {detail}"),
    }
}

/// Bytes of the finished workbook sent in one chunk.
const FILE_CHUNK: usize = 64 * 1024;

/// `file` from where it stands to its end, a chunk at a time.
fn file_chunks(file: tokio::fs::File) -> BoxStream<'static, std::io::Result<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    futures::stream::try_unfold(file, |mut file| async move {
        let mut chunk = vec![0; FILE_CHUNK];
        let read = file.read(&mut chunk).await?;
        chunk.truncate(read);
        Ok((read > 0).then_some((chunk, file)))
    })
    .boxed()
}

/// An error of a file's stream as the body's error (it aborts the transfer; logged here,
/// as nothing else will see it).
fn body_error(error: ApiError) -> std::io::Error {
    tracing::error!(error = ?error, "an export failed while it was sent");
    std::io::Error::other("the export failed while it was sent")
}

/// A file's content type, extension and body.
pub(crate) type File = (&'static str, &'static str, Body);

/// `table` as the file asked for, streamed: a CSV a page at a time as it is written, or a
/// workbook written whole to a temporary file first (the xlsx format is a zip whose
/// directory comes last) and then sent from it. The body starts at once; the workbook's
/// writing is its first part, so a long export is not a long wait for the response's head
/// (nor the request timeout's 503). A failure while the body streams aborts it.
pub(crate) fn file(table: Table, format: FileFormat, separator: Separator) -> File {
    match format {
        FileFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            Body::from_stream(csv_chunks(table, separator).map_err(body_error)),
        ),
        FileFormat::Xlsx => {
            let bytes = futures::stream::once(to_xlsx(table))
                .map_err(body_error)
                .map_ok(file_chunks)
                .try_flatten();
            (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
                Body::from_stream(bytes),
            )
        }
    }
}

/// Refuses a workbook of more than [`XLSX_MAX_ROWS`] rows before its download starts.
pub(crate) fn fits(format: FileFormat, rows: usize) -> ApiResult<()> {
    if format == FileFormat::Xlsx && rows > XLSX_MAX_ROWS {
        return Err(too_many_rows());
    }
    Ok(())
}

fn too_many_rows() -> ApiError {
    ApiError::Malformed {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        detail: format!(
            "a workbook's sheet holds at most {XLSX_MAX_ROWS} rows; choose a shorter window, \
             filter it, or download CSV"
        ),
    }
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
        paged(vec![rows])
    }

    /// A table whose rows come as `pages`, as a store's pages would.
    fn paged(pages: Vec<Page>) -> Table {
        Table {
            sheet: "Ark",
            zone: TimeZone::oslo(),
            made: time::macros::datetime!(2025-03-03 08:00 UTC),
            headers: headers(&["a", "b"]),
            rows: futures::stream::iter(pages.into_iter().map(Ok)).boxed(),
        }
    }

    /// The workbook of `table`, as bytes.
    async fn workbook(table: Table) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut file = to_xlsx(table).await.expect("the workbook is written");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).await.expect("the file reads");
        bytes
    }

    /// The text of the part `name` of the zip `bytes`.
    fn part(bytes: &[u8], name: &str) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut text = String::new();
        zip.by_name(name)
            .expect(name)
            .read_to_string(&mut text)
            .expect("UTF-8 XML");
        text
    }

    #[test]
    fn money_is_formatted_with_its_currencys_decimals_and_code() {
        assert_eq!(money_format(Some(&nok())), "#,##0.00 \"NOK\"");
        let yen = Currency::parse("JPY").expect("a currency");
        assert_eq!(money_format(Some(&yen)), "#,##0 \"JPY\"");
        assert_eq!(money_format(None), "#,##0.00");
    }

    #[tokio::test]
    async fn csv_has_a_bom_the_separator_local_times_and_defused_formulas() {
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
        )
        .await;
        assert_eq!(
            csv,
            "\u{feff}\"a\";\"b\"\r\n\"2025-07-01 10:30:00\";\"'=HYPERLINK(\"\"x\"\")\"\r\n\
             \"1497.00\";\"yes\"\r\n\"15\";\"\"\r\n"
        );
    }

    #[tokio::test]
    async fn a_long_csv_comes_a_page_a_chunk_that_add_up_to_the_whole() {
        let rows = (0..2_500u64)
            .map(|n| vec![Cell::Count(n), text("Ødegård")])
            .collect::<Vec<_>>();
        let chunks: Vec<String> = csv_chunks(
            Table {
                rows: pages_of(rows.clone()),
                ..table(Vec::new())
            },
            Separator::Comma,
        )
        .try_collect()
        .await
        .expect("written");
        assert_eq!(chunks.len(), 4, "the header, then 1,000 + 1,000 + 500 rows");
        assert_eq!(chunks[0], "\u{feff}\"a\",\"b\"\r\n");
        assert_eq!(chunks[3].matches("\r\n").count(), 500);
        assert!(chunks[1].starts_with("\"0\",\"Ødegård\"\r\n"));
        assert!(chunks[3].ends_with("\"2499\",\"Ødegård\"\r\n"));
        assert_eq!(chunks.concat(), to_csv(table(rows), Separator::Comma).await);
        let empty: Vec<String> = csv_chunks(paged(Vec::new()), Separator::Comma)
            .try_collect()
            .await
            .expect("written");
        assert_eq!(empty, ["\u{feff}\"a\",\"b\"\r\n"], "a header alone");
    }

    #[tokio::test]
    async fn a_failed_page_fails_the_csv_after_the_pages_before_it() {
        let pages = vec![
            Ok(vec![vec![Cell::Count(1), text("x")]]),
            Err(xlsx_failed("the store went away")),
            Ok(vec![vec![Cell::Count(2), text("y")]]),
        ];
        let csv = csv_chunks(
            Table {
                rows: futures::stream::iter(pages).boxed(),
                ..table(Vec::new())
            },
            Separator::Comma,
        );
        let results: Vec<ApiResult<String>> = csv.collect().await;
        assert_eq!(results.len(), 4, "the header, a page, the error, a page");
        assert!(
            results[2].is_err(),
            "the error reaches the body, which aborts"
        );
        // And the workbook: no file at all.
        let pages = vec![
            Ok(vec![vec![Cell::Count(1), text("x")]]),
            Err(xlsx_failed("the store went away")),
        ];
        let failed = to_xlsx(Table {
            rows: futures::stream::iter(pages).boxed(),
            ..table(Vec::new())
        })
        .await;
        assert!(failed.is_err(), "a failed page is no workbook");
    }

    /// The constant-memory workbook keeps every feature of the file: every row of every page
    /// in order, typed cells (local date-times, dates, numbers, money in its currency's
    /// format, booleans, text never a formula), a bold header, frozen panes, an autofilter
    /// over every row, and columns as wide as their text.
    #[tokio::test]
    async fn a_workbook_of_many_pages_has_every_row_in_order_with_its_types_and_formats() {
        use calamine::{Data, Reader, Xlsx};
        let pages: Vec<Page> = (0..5u64)
            .map(|p| {
                (0..3u64)
                    .map(|n| {
                        vec![
                            Cell::Count(p * 3 + n),
                            text(format!("Ødegård {}", p * 3 + n)),
                        ]
                    })
                    .collect()
            })
            .collect();
        let mut typed = vec![
            vec![
                Cell::Time(time::macros::datetime!(2025-07-01 08:30 UTC)),
                text("=HYPERLINK(\"x\")"),
            ],
            vec![
                Cell::Money(Decimal::new(149700, 2), Some(nok())),
                Cell::Bool(true),
            ],
            vec![
                Cell::Date(time::macros::date!(2025 - 03 - 03)),
                Cell::Number(Decimal::new(-1250, 2)),
            ],
        ];
        let mut all = pages;
        all.push(std::mem::take(&mut typed));
        let bytes = workbook(paged(all)).await;
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("xlsx");
        let range = book.worksheet_range("Ark").expect("the sheet");
        let rows: Vec<&[Data]> = range.rows().collect();
        assert_eq!(
            rows.len(),
            1 + 15 + 3,
            "the header, 5 pages of 3, the typed page"
        );
        assert_eq!(
            rows[0],
            [Data::String("a".into()), Data::String("b".into())]
        );
        for n in 0..15 {
            assert_eq!(
                rows[1 + n],
                [Data::Float(n as f64), Data::String(format!("Ødegård {n}"))],
                "row {n} in order"
            );
        }
        let Data::DateTime(local) = &rows[16][0] else {
            panic!("a date-time cell: {:?}", rows[16][0]);
        };
        let wall = ExcelDateTime::from_ymd(2025, 7, 1)
            .and_then(|d| d.and_hms(10, 30, 0))
            .expect("a time");
        assert_eq!(local.as_f64(), wall.to_excel(), "Oslo's wall time");
        assert_eq!(
            rows[16][1],
            Data::String("=HYPERLINK(\"x\")".into()),
            "text"
        );
        assert_eq!(rows[17], [Data::Float(1497.0), Data::Bool(true)]);
        assert!(
            matches!(rows[18][0], Data::DateTime(_)),
            "{:?}",
            rows[18][0]
        );
        assert_eq!(rows[18][1], Data::Float(-12.5));

        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(
            sheet.contains(
                "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
            ),
            "frozen header: {sheet}"
        );
        assert!(sheet.contains("<autoFilter ref=\"A1:B19\"/>"), "{sheet}");
        assert!(
            sheet.contains("<col min=\"2\" max=\"2\""),
            "fitted widths: {sheet}"
        );
        assert!(!sheet.contains("<f>"), "no formulas");
        let styles = part(&bytes, "xl/styles.xml");
        for format in ["#,##0.00 &quot;NOK&quot;", "yyyy-mm-dd hh:mm", "yyyy-mm-dd"] {
            assert!(styles.contains(format), "{format}: {styles}");
        }
        assert!(styles.contains("<b/>"), "a bold header");
    }

    #[test]
    fn a_workbook_refuses_more_rows_than_a_sheet_holds_before_it_starts() {
        assert!(fits(FileFormat::Xlsx, XLSX_MAX_ROWS).is_ok());
        assert!(fits(FileFormat::Xlsx, XLSX_MAX_ROWS + 1).is_err());
        assert!(
            fits(FileFormat::Csv, XLSX_MAX_ROWS + 1).is_ok(),
            "CSV has no limit"
        );
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
