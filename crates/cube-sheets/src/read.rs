//! Reading a file into sheets of cells, whatever an office sent: `.xlsx` and `.ods`
//! (calamine; `.xls` is refused) or a CSV/TXT export (`,` `;` or tab; UTF-8 with or
//! without BOM, UTF-16 with BOM, or Windows-1252 as Norwegian Excel writes it).
//!
//! Every size a file declares or repeats is checked before the memory it would take is
//! taken (a 2 KB workbook once made the server abort asking for 96 GB): shared strings are
//! counted, an `.xlsx` is read cell by cell, an `.ods`'s repeated rows, cells and texts are
//! counted from its XML, and columns, spanned cells, text bytes and sheets have limits
//! ([`Limits`]). The files that found each gap are fixtures (`tests/files/crafted*`).
//!
//! The format is told by the bytes, not the name (a renamed file is read for what it is). A
//! zip (`.xlsx`, `.ods`) has its directory read before anything is unpacked: too many
//! entries or too many bytes once unpacked is refused (a zip bomb, OWASP ASVS V12) before
//! calamine sees it. A CSV row with more or fewer fields than the header is reported with its
//! row number, never guessed at. Row numbers are the ones the user sees in the sheet
//! (1 = the first row), also in a CSV whose quoted fields hold line breaks.

use calamine::{Data, Ods, Reader, Xlsx};
use cube_app::rejected_rows::RejectReason;
use std::io::{Cursor, Read};
use thiserror::Error;
use time::{Date, Month, PrimitiveDateTime, Time};

/// How large a file may be, and what it may unpack to. Every limit is checked before the
/// memory it guards is taken: a small file must not make the server allocate gigabytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Data rows a sheet may hold (the header not counted).
    pub max_rows: usize,
    /// Columns a row may use (a cell beyond is refused, not read).
    pub max_columns: usize,
    /// Cells the rows of all sheets may span, empty ones between filled ones included.
    pub max_cells: u64,
    /// Bytes a spreadsheet's zip may unpack to, all entries together.
    pub max_unpacked_bytes: u64,
    /// Entries a spreadsheet's zip may hold.
    pub max_zip_entries: usize,
    /// Distinct texts an `.xlsx` may declare or hold in its shared-strings table.
    pub max_shared_strings: u64,
    /// Bytes of text all cells may hold together, each cell's text counted where it is
    /// (a shared or repeated text counts once per cell showing it).
    pub max_text_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: 200_000,
            max_columns: 1_024,
            max_cells: 4_000_000,
            max_unpacked_bytes: 256 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_shared_strings: 4_000_000,
            max_text_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The file kinds Cube reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Office Open XML workbook (Excel 2007 and later).
    Xlsx,
    /// OpenDocument spreadsheet (LibreOffice).
    Ods,
    /// Delimited text.
    Csv,
}

/// What a CSV was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CsvShape {
    /// The field separator.
    pub delimiter: char,
    /// The text encoding.
    pub encoding: &'static str,
}

/// One cell's value, typed as the file typed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing in it.
    Empty,
    /// Text (CSV fields are all text).
    Text(String),
    /// A number cell.
    Number(f64),
    /// A date cell without a time of day.
    Date(Date),
    /// A date cell with a time of day.
    DateTime(PrimitiveDateTime),
    /// A true/false cell.
    Bool(bool),
    /// A spreadsheet error (`#N/A`, `#DIV/0!`…).
    Error(String),
}

impl Cell {
    /// True if the cell holds nothing (or only blanks).
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as the text a user would type for it: whole numbers without a decimal point,
    /// dates as `YYYY-MM-DD`, times as `YYYY-MM-DD HH:MM`.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.trim().to_owned(),
            Cell::Number(n) => number_text(*n),
            Cell::Date(date) => date_text(*date),
            Cell::DateTime(at) => {
                let date = date_text(at.date());
                if at.time() == Time::MIDNIGHT {
                    date
                } else {
                    format!("{date} {:02}:{:02}", at.hour(), at.minute())
                }
            }
            Cell::Bool(b) => b.to_string(),
            Cell::Error(e) => e.clone(),
        }
    }
}

/// A whole number as digits without a decimal point; others in Rust's shortest form.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// A date as `YYYY-MM-DD`.
pub fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A row of a sheet that holds something.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its number as the user sees it (1 = the sheet's first row).
    pub number: usize,
    /// Its cells from column A on.
    pub cells: Vec<Cell>,
}

/// One sheet: its rows that hold something (empty rows are left out; the numbers of the
/// others tell where they were).
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's name (a CSV has one sheet, named after the file).
    pub name: String,
    /// Its rows holding something, in order.
    pub rows: Vec<Row>,
    /// Rows that cannot be read as they stand (a CSV row whose field count differs from the
    /// header's), by row number.
    pub broken_rows: Vec<(usize, RejectReason)>,
}

/// A file read.
#[derive(Debug, Clone, PartialEq)]
pub struct Workbook {
    /// What it was.
    pub format: Format,
    /// For a CSV, how it was read.
    pub csv: Option<CsvShape>,
    /// Its sheets, in order.
    pub sheets: Vec<Sheet>,
}

/// How to read a CSV, when the caller knows better than the sniffing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// The separator; `None` sniffs `,` `;` or tab from the first rows.
    pub delimiter: Option<u8>,
}

/// Why a file cannot be read; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FileError {
    /// Nothing in it.
    #[error("the file is empty; choose the file again")]
    Empty,
    /// A zip that does not open.
    #[error(
        "the file looks like an Excel or OpenDocument file but cannot be opened ({0}); it may be cut short: save it again and send it whole"
    )]
    BrokenZip(String),
    /// A zip that unpacks to more than allowed.
    #[error(
        "the file unpacks to more than {limit_mb} MB; it is refused as a possible zip bomb. Split the sheet into smaller files, or save it as CSV"
    )]
    TooLargeUnpacked {
        /// The limit in MB.
        limit_mb: u64,
    },
    /// A zip with too many entries.
    #[error(
        "the file holds {entries} packed entries, more than the {limit} a spreadsheet has; it is refused as a possible zip bomb"
    )]
    TooManyEntries {
        /// Entries found.
        entries: usize,
        /// The limit.
        limit: usize,
    },
    /// A zip that is neither a workbook nor a spreadsheet.
    #[error(
        "the file is a zip archive but not an Excel (.xlsx) or OpenDocument (.ods) spreadsheet"
    )]
    NotASpreadsheet,
    /// calamine could not read the workbook.
    #[error(
        "the spreadsheet cannot be read: {0}. Open it in Excel or LibreOffice and save it again"
    )]
    Unreadable(String),
    /// Binary data that is no spreadsheet.
    #[error(
        "the file is neither a spreadsheet (.xlsx, .ods) nor text (.csv, .txt); choose the customer file"
    )]
    NotText,
    /// A CSV with a quoted field that is never closed: the csv reader would take the rest
    /// of the file as that one field (`crate::quotes`).
    #[error(
        "row {row}: a quote (\") opened here is never closed, so the rest of the file was read as one field; close the quote on that row, or double it (\"\") where it is part of the text, and send the file again"
    )]
    UnclosedQuote {
        /// The row the quote opened on.
        row: usize,
    },
    /// A CSV field longer than a spreadsheet cell holds ([`MAX_CELL_CHARS`] characters):
    /// refused before it is read whole (`crate::quotes`).
    #[error(
        "row {row}, column {column}: a field holds more than {MAX_CELL_CHARS} characters, more than a spreadsheet cell can{hint}",
        hint = if *.quoted {
            "; it is quoted: if a quote (\") is missing at its end, the rows after it were read into it. Correct the quotes on that row, or shorten the text, and send the file again"
        } else {
            "; shorten it and send the file again"
        }
    )]
    FieldTooLong {
        /// The field's row.
        row: usize,
        /// The field's column, in letters.
        column: String,
        /// Whether it is a quoted field.
        quoted: bool,
    },
    /// A CSV the csv reader refuses.
    #[error("the CSV file cannot be read at row {row}: {reason}")]
    BadCsv {
        /// The row number.
        row: usize,
        /// What is wrong.
        reason: String,
    },
    /// An Excel 97–2003 workbook: not read (its reader cannot be kept within bounds).
    #[error(
        "Excel 97–2003 workbooks (.xls) are not read; open the file in Excel or LibreOffice and save it as an Excel workbook (.xlsx) or CSV"
    )]
    OldExcel,
    /// A cell beyond the columns a customer file has.
    #[error(
        "the sheet \"{sheet}\" has a value in column {column}; at most {limit} columns are read. Delete what stands far to the right, or copy the columns to keep into a new sheet"
    )]
    TooManyColumns {
        /// The sheet.
        sheet: String,
        /// The column's letters.
        column: String,
        /// The limit.
        limit: usize,
    },
    /// A file that declares more than it can hold, or spans more cells than allowed.
    #[error(
        "the spreadsheet cannot be read: {0}. Open it in Excel or LibreOffice and save it again"
    )]
    Oversized(String),
    /// More rows than allowed.
    #[error(
        "the sheet \"{sheet}\" has more than {limit} rows; split it into files of at most {limit} rows"
    )]
    TooManyRows {
        /// The sheet.
        sheet: String,
        /// The limit.
        limit: usize,
    },
}

/// Reads a file. `name` is the file's name (for the CSV's sheet name only: the format is
/// told by the bytes).
pub fn read(
    name: &str,
    bytes: &[u8],
    csv: CsvOptions,
    limits: &Limits,
) -> Result<Workbook, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_zip(bytes, limits);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // calamine's BIFF reader trusts the sizes a damaged or crafted file declares (an
        // 11-byte change made it ask for terabytes, which aborts the process): refused.
        return Err(FileError::OldExcel);
    }
    read_csv(name, bytes, csv, limits)
}

/// A spreadsheet library's panic on a malformed file, as a refusal of that file (the
/// checks keep it from allocating without bound; this keeps a bug in it from taking the
/// request down unanswered).
fn guarded<T>(read: impl FnOnce() -> Result<T, FileError>) -> Result<T, FileError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(FileError::Unreadable(
            "the spreadsheet reader failed on it".to_owned(),
        ))
    })
}

/// An `.xlsx` or `.ods`, once its directory says it is safe to unpack.
fn read_zip(bytes: &[u8], limits: &Limits) -> Result<Workbook, FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| FileError::BrokenZip(e.to_string()))?;
    if archive.len() > limits.max_zip_entries {
        return Err(FileError::TooManyEntries {
            entries: archive.len(),
            limit: limits.max_zip_entries,
        });
    }
    let mut unpacked: u64 = 0;
    let mut is_ods = false;
    let mut is_xlsx = false;
    let broken = |e: zip::result::ZipError| FileError::BrokenZip(e.to_string());
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(broken)?;
        unpacked = unpacked.saturating_add(entry.size());
        if unpacked > limits.max_unpacked_bytes {
            return Err(FileError::TooLargeUnpacked {
                limit_mb: limits.max_unpacked_bytes / (1024 * 1024),
            });
        }
        let name = entry
            .name()
            .map_err(|e| FileError::BrokenZip(e.to_string()))?
            .into_owned();
        if name.to_ascii_lowercase().ends_with(".xml") {
            check_text_runs(&mut entry)?;
            drop(entry);
            entry = archive.by_index(index).map_err(broken)?;
        }
        match name.as_str() {
            "mimetype" => {
                let mut kind = String::new();
                (&mut entry)
                    .take(200)
                    .read_to_string(&mut kind)
                    .map_err(|e| FileError::BrokenZip(e.to_string()))?;
                is_ods = kind.trim() == "application/vnd.oasis.opendocument.spreadsheet";
            }
            "xl/workbook.xml" => is_xlsx = true,
            // Whatever path calamine takes the table from (it finds names in any case).
            other if other.to_ascii_lowercase().ends_with("sharedstrings.xml") => {
                check_shared_strings(&mut entry, limits)?;
            }
            _ => {}
        }
    }
    if is_xlsx {
        guarded(|| read_xlsx(bytes, limits))
    } else if is_ods {
        check_ods(&mut archive, limits)?;
        guarded(|| {
            let workbook: Ods<_> =
                calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
            read_sheets(workbook, Format::Ods, limits)
        })
    } else {
        Err(FileError::NotASpreadsheet)
    }
}

/// The most sheets a workbook may have (a customer file has one or a few).
pub const MAX_SHEETS: usize = 16;

/// The most characters a cell holds (Excel's own limit): a longer text is a crafted file.
pub const MAX_CELL_CHARS: usize = 32_767;

/// The longest run of bytes from one `<` to the next an XML entry of a spreadsheet may hold:
/// a cell's text at its most ([`MAX_CELL_CHARS`] characters), each written with the longest
/// escape (`&#x10FFFF;`, ten bytes). No spreadsheet program writes a longer one; the XML
/// readers after this check (quick-xml's events, calamine's cells) would hold it whole — a
/// 205 KB `.xlsx` with one inline text of 200 MB grew the server by 600 MB.
const MAX_TEXT_RUN_BYTES: usize = MAX_CELL_CHARS * 10;

/// Reads an XML entry through a fixed buffer and refuses it when a text (anything between
/// two `<`) is longer than [`MAX_TEXT_RUN_BYTES`]: before any reader buffers such a text.
fn check_text_runs(entry: &mut impl Read) -> Result<(), FileError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut run = 0usize;
    let too_long = || {
        Err(FileError::Oversized(format!(
            "a cell holds more than {MAX_CELL_CHARS} characters, more than a spreadsheet cell can"
        )))
    };
    loop {
        let read = match entry.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FileError::BrokenZip(e.to_string())),
        };
        let mut pieces = buf[..read].split(|b| *b == b'<');
        // The first piece goes on with the run the last read ended in.
        if let Some(first) = pieces.next() {
            run = run.saturating_add(first.len());
        }
        for piece in pieces {
            if run > MAX_TEXT_RUN_BYTES {
                return too_long();
            }
            run = piece.len();
        }
        if run > MAX_TEXT_RUN_BYTES {
            return too_long();
        }
    }
}

/// The shared-strings table read through with quick-xml before calamine reserves room for
/// it: the declared `uniqueCount` (however quoted or escaped), the texts really there, and
/// each text's length, against the limits.
fn check_shared_strings(entry: &mut impl Read, limits: &Limits) -> Result<(), FileError> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(entry));
    let mut buf = Vec::new();
    let (mut strings, mut text, mut this) = (0u64, 0u64, 0usize);
    let too_many = |what: String| Err(FileError::Oversized(what));
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| FileError::Unreadable(e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.local_name().as_ref() {
                "sst" => {
                    let declared = e.try_get_attribute("uniqueCount").ok().flatten().map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|v| v.trim().to_owned())
                    });
                    if let Some(Ok(value)) = declared {
                        let n: u64 = value.parse().unwrap_or(u64::MAX);
                        if n > limits.max_shared_strings {
                            return too_many(format!(
                                "it declares {value} distinct texts, more than the {} a customer file may have",
                                limits.max_shared_strings
                            ));
                        }
                    }
                }
                "si" => {
                    strings += 1;
                    this = 0;
                    if strings > limits.max_shared_strings {
                        return too_many(format!(
                            "it holds more than {} distinct texts",
                            limits.max_shared_strings
                        ));
                    }
                }
                _ => {}
            },
            Event::Text(ref t) => {
                let len = t.len();
                this = this.saturating_add(len);
                text = text.saturating_add(len as u64);
                if this > MAX_CELL_CHARS * 4 || text > limits.max_text_bytes {
                    return too_many(
                        "its texts are longer than a spreadsheet's cells hold".to_owned(),
                    );
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// An `.xlsx` read cell by cell (calamine's cell reader: no grid is allocated for the
/// sheet's span), the rows, columns and cells held to the limits as they come.
fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Workbook, FileError> {
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(unreadable)?;
    let mut sheets = Vec::new();
    let mut spanned: u64 = 0;
    let mut text: u64 = 0;
    // Every cell element met, empty ones included: bounds the time (and calamine's work)
    // of a sheet of millions of `<c/>`, and of many sheets that name one worksheet file.
    let mut seen: u64 = 0;
    let names = workbook.sheet_names();
    if names.len() > MAX_SHEETS {
        return Err(FileError::Oversized(format!(
            "it has {} sheets; a customer file has at most {MAX_SHEETS}",
            names.len()
        )));
    }
    for name in names {
        let mut reader = workbook.worksheet_cells_reader(&name).map_err(unreadable)?;
        let mut rows: std::collections::BTreeMap<u32, Vec<Cell>> = Default::default();
        while let Some(found) = reader.next_cell().map_err(unreadable)? {
            seen += 1;
            if seen > limits.max_cells.saturating_mul(4) {
                return Err(FileError::Oversized(format!(
                    "it has more than {} cells, empty ones included",
                    limits.max_cells.saturating_mul(4)
                )));
            }
            let value = cell(Data::from(found.get_value().clone()));
            if value.is_blank() {
                continue;
            }
            if let Cell::Text(t) = &value {
                text = text.saturating_add(t.len() as u64);
                if text > limits.max_text_bytes {
                    return Err(FileError::Oversized(format!(
                        "its cells hold more than {} MB of text",
                        limits.max_text_bytes / (1024 * 1024)
                    )));
                }
            }
            let (row, column) = found.get_position();
            let column = column as usize;
            if column >= limits.max_columns {
                return Err(FileError::TooManyColumns {
                    sheet: name.clone(),
                    column: crate::mapping::column_letter(column),
                    limit: limits.max_columns,
                });
            }
            if !rows.contains_key(&row) && rows.len() > limits.max_rows {
                return Err(FileError::TooManyRows {
                    sheet: name.clone(),
                    limit: limits.max_rows,
                });
            }
            let cells = rows.entry(row).or_default();
            if cells.len() <= column {
                spanned += (column + 1 - cells.len()) as u64;
                if spanned > limits.max_cells {
                    return Err(FileError::Oversized(format!(
                        "its rows span more than {} cells",
                        limits.max_cells
                    )));
                }
                cells.resize(column + 1, Cell::Empty);
            }
            cells[column] = value;
        }
        sheets.push(Sheet {
            name,
            rows: rows
                .into_iter()
                .map(|(row, cells)| Row {
                    number: row as usize + 1,
                    cells,
                })
                .collect(),
            broken_rows: Vec::new(),
        });
    }
    Ok(Workbook {
        format: Format::Xlsx,
        csv: None,
        sheets,
    })
}

/// An `.ods`'s rows and cells counted from its `content.xml` before calamine unpacks them:
/// a row or cell repeated a million times is one element in the file and a million in
/// memory. Rows holding a value, the columns up to a row's last value, and the cells those
/// span are held to the limits (repeated empty rows and cells, which LibreOffice writes to
/// the sheet's end, count nothing).
fn check_ods(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    limits: &Limits,
) -> Result<(), FileError> {
    use quick_xml::events::{BytesStart, Event};
    let entry = archive
        .by_name("content.xml")
        .map_err(|e| FileError::BrokenZip(e.to_string()))?;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(entry));
    let mut buf = Vec::new();
    // A count as calamine reads it: entities decoded, then a number (1 if none or not one).
    let number = |e: &BytesStart<'_>, name: &str, default: u64| -> u64 {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.trim().to_owned())
            })
            .map_or(default, |v| v.parse::<u64>().unwrap_or(u64::MAX))
    };
    // A cell holds something when it is not an empty element, or carries any `office:`
    // value attribute (calamine reads `office:value` without a type too).
    let valued = |e: &BytesStart<'_>| {
        e.attributes()
            .with_checks(false)
            .flatten()
            .any(|a| a.key.as_ref().starts_with("office:"))
    };
    let too_much = |what: String| Err(FileError::Oversized(what));
    let (mut rows_repeated, mut column, mut last_value) = (1u64, 0u64, 0u64);
    let (mut cell_columns, mut cell_text, mut row_text) = (1u64, 0u64, 0u64);
    let (mut value_rows, mut spanned, mut text) = (0u64, 0u64, 0u64);
    let mut in_cell = false;
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| FileError::Unreadable(e.to_string()))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.local_name().as_ref() {
                "table" => value_rows = 0,
                "table-row" => {
                    rows_repeated = number(e, "table:number-rows-repeated", 1);
                    (column, last_value, row_text) = (0, 0, 0);
                }
                "table-cell" | "covered-table-cell" => {
                    cell_columns = number(e, "table:number-columns-repeated", 1);
                    column = column.saturating_add(cell_columns);
                    cell_text = e.len() as u64;
                    if valued(e) || !empty {
                        last_value = column;
                    }
                    if empty {
                        row_text = row_text.saturating_add(cell_text.saturating_mul(cell_columns));
                    } else {
                        in_cell = true;
                    }
                }
                // `<text:s text:c="N"/>`: N spaces.
                "s" if in_cell => {
                    cell_text = cell_text.saturating_add(number(e, "text:c", 1));
                }
                _ if in_cell => cell_text = cell_text.saturating_add(1),
                _ => {}
            },
            Event::Text(ref t) if in_cell => {
                cell_text = cell_text.saturating_add(t.len() as u64);
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                "table-cell" | "covered-table-cell" => {
                    in_cell = false;
                    row_text = row_text.saturating_add(cell_text.saturating_mul(cell_columns));
                }
                "table-row" if last_value > 0 => {
                    if last_value > limits.max_columns as u64 {
                        return too_much(format!(
                            "a row has values past column {}",
                            limits.max_columns
                        ));
                    }
                    value_rows = value_rows.saturating_add(rows_repeated);
                    spanned = spanned.saturating_add(rows_repeated.saturating_mul(last_value));
                    text = text.saturating_add(rows_repeated.saturating_mul(row_text));
                    if value_rows > limits.max_rows as u64 + 1
                        || spanned > limits.max_cells
                        || text > limits.max_text_bytes
                    {
                        return too_much(format!(
                            "its rows with values repeat past {} rows, {} cells or {} MB of text",
                            limits.max_rows,
                            limits.max_cells,
                            limits.max_text_bytes / (1024 * 1024)
                        ));
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// An Excel date-time value: a date (and time) cell, or the number it is when its format
/// is a duration.
fn date_time_cell(at: &calamine::ExcelDateTime) -> Cell {
    if !at.is_datetime() {
        return Cell::Number(at.as_f64());
    }
    let (y, mo, d, h, mi, s, _) = at.to_ymd_hms_milli();
    datetime_cell(i32::from(y), mo, d, h, mi, s).unwrap_or_else(|| Cell::Number(at.as_f64()))
}

fn unreadable(error: impl std::fmt::Display) -> FileError {
    FileError::Unreadable(error.to_string())
}

/// Every sheet of a workbook calamine opened, as rows of our cells.
fn read_sheets<R, W>(
    mut workbook: W,
    format: Format,
    limits: &Limits,
) -> Result<Workbook, FileError>
where
    W: Reader<R>,
    R: Read + std::io::Seek,
    W::Error: std::fmt::Display,
{
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).map_err(unreadable)?;
        let Some((first_row, first_column)) = range.start() else {
            sheets.push(Sheet {
                name,
                rows: Vec::new(),
                broken_rows: Vec::new(),
            });
            continue;
        };
        let mut rows = Vec::new();
        for (index, cells) in range.rows().enumerate() {
            let mut row: Vec<Cell> = vec![Cell::Empty; first_column as usize];
            row.extend(cells.iter().cloned().map(cell));
            while row.last().is_some_and(Cell::is_blank) {
                row.pop();
            }
            if row.is_empty() {
                continue;
            }
            if rows.len() > limits.max_rows {
                return Err(FileError::TooManyRows {
                    sheet: name,
                    limit: limits.max_rows,
                });
            }
            rows.push(Row {
                number: first_row as usize + index + 1,
                cells: row,
            });
        }
        sheets.push(Sheet {
            name,
            rows,
            broken_rows: Vec::new(),
        });
    }
    Ok(Workbook {
        format,
        csv: None,
        sheets,
    })
}

/// A calamine value as our cell.
fn cell(data: Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DurationIso(s) => Cell::Text(s),
        Data::Int(i) => Cell::Number(i as f64),
        Data::Float(f) => Cell::Number(f),
        Data::Bool(b) => Cell::Bool(b),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::DateTime(at) => date_time_cell(&at),
        Data::DateTimeIso(text) => iso_cell(&text),
    }
}

fn datetime_cell(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Option<Cell> {
    let date = Date::from_calendar_date(y, Month::try_from(mo).ok()?, d).ok()?;
    let time = Time::from_hms(h, mi, s).ok()?;
    Some(if time == Time::MIDNIGHT {
        Cell::Date(date)
    } else {
        Cell::DateTime(PrimitiveDateTime::new(date, time))
    })
}

/// An OpenDocument date (`2024-03-15` or `2024-03-15T10:30:00`).
fn iso_cell(text: &str) -> Cell {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let parts = (|| {
        let y = i32::try_from(number(0..4)?).ok()?;
        let mo = u8::try_from(number(5..7)?).ok()?;
        let d = u8::try_from(number(8..10)?).ok()?;
        let (h, mi, s) = if text.len() >= 19 {
            (
                u8::try_from(number(11..13)?).ok()?,
                u8::try_from(number(14..16)?).ok()?,
                u8::try_from(number(17..19)?).ok()?,
            )
        } else {
            (0, 0, 0)
        };
        datetime_cell(y, mo, d, h, mi, s)
    })();
    parts.unwrap_or_else(|| Cell::Text(text.to_owned()))
}

/// A delimited text file.
fn read_csv(
    name: &str,
    bytes: &[u8],
    options: CsvOptions,
    limits: &Limits,
) -> Result<Workbook, FileError> {
    let (text, encoding) = decode(bytes)?;
    let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let mut quotes = crate::quotes::QuoteScan::new(delimiter);
    quotes.feed(text.as_bytes());
    if let Some(row) = quotes.open_since() {
        return Err(FileError::UnclosedQuote { row });
    }
    // Before the csv reader copies a field longer than a cell into its record.
    if let Some(field) = quotes.too_long() {
        return Err(field.into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut broken_rows = Vec::new();
    let mut header_len: Option<usize> = None;
    let mut embedded_breaks = 0usize;
    let mut breaks_before = 0usize;
    let mut counted_to = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        let read = reader.read_record(&mut record).map_err(|e| {
            let row = e
                .position()
                .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
            FileError::BadCsv {
                row: row.saturating_sub(embedded_breaks),
                reason: e.to_string(),
            }
        })?;
        if !read {
            break;
        }
        // The csv reader's line count leaves out blank lines; count the line breaks before
        // the record's first byte instead, less those inside earlier records' quoted fields.
        let start = record
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
        // Its position can be that of the blank lines skipped before it.
        let start = start
            + text.as_bytes().get(start..).map_or(0, |rest| {
                rest.iter()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count()
            });
        breaks_before += text
            .as_bytes()
            .get(counted_to..start)
            .map_or(0, |skipped| skipped.iter().filter(|&&b| b == b'\n').count());
        counted_to = counted_to.max(start);
        let number = (breaks_before + 1).saturating_sub(embedded_breaks);
        if record.len() > limits.max_columns {
            return Err(FileError::TooManyColumns {
                sheet: name.to_owned(),
                column: crate::mapping::column_letter(record.len() - 1),
                limit: limits.max_columns,
            });
        }
        embedded_breaks += record
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>();
        let cells: Vec<Cell> = record.iter().map(|f| Cell::Text(f.to_owned())).collect();
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        match header_len {
            None => header_len = Some(cells.len()),
            Some(expected) if cells.len() != expected => {
                if rows.len() + broken_rows.len() > limits.max_rows {
                    return Err(FileError::TooManyRows {
                        sheet: name.to_owned(),
                        limit: limits.max_rows,
                    });
                }
                broken_rows.push((
                    number,
                    RejectReason::FieldCount {
                        fields: cells.len(),
                        header: expected,
                    },
                ));
                continue;
            }
            Some(_) => {}
        }
        if rows.len() > limits.max_rows {
            return Err(FileError::TooManyRows {
                sheet: name.to_owned(),
                limit: limits.max_rows,
            });
        }
        rows.push(Row { number, cells });
    }
    Ok(Workbook {
        format: Format::Csv,
        csv: Some(CsvShape {
            delimiter: char::from(delimiter),
            encoding,
        }),
        sheets: vec![Sheet {
            name: name.to_owned(),
            rows,
            broken_rows,
        }],
    })
}

/// The text of a CSV: UTF-8 (a BOM dropped), UTF-16 with a BOM, else Windows-1252, which
/// decodes any bytes (what Norwegian Excel writes as "CSV (semikolondelt)").
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), FileError> {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_with_bom_removal(bytes);
        if had_errors {
            return Err(FileError::NotText);
        }
        return Ok((text.into_owned(), encoding.name()));
    }
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), encoding_rs::WINDOWS_1252.name())
        }
    };
    // Text has no NUL bytes and few control characters; binary data has many.
    let controls = text
        .chars()
        .take(4096)
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    if controls > 0 {
        return Err(FileError::NotText);
    }
    Ok((text, encoding))
}

/// The separator of the first rows: the one of `,` `;` and tab that splits the first row into
/// the most fields while every following row (up to 50) has as many.
fn sniff_delimiter(text: &str) -> u8 {
    let sample: String = text.chars().take(64 * 1024).collect();
    let cut = sample.len() < text.len();
    sniff_delimiter_in(&sample, cut)
}

/// [`sniff_delimiter`] on the first characters of a text (`cut`: the text goes on past them).
pub(crate) fn sniff_delimiter_in(sample: &str, cut: bool) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for delimiter in [b';', b',', b'\t'] {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(sample.as_bytes());
        let counts: Vec<usize> = reader
            .records()
            .take(51)
            .map_while(Result::ok)
            .map(|r| r.len())
            .collect();
        let Some((&first, rest)) = counts.split_first() else {
            continue;
        };
        // The sample may cut the last row short: do not count it against the separator.
        let rest = if counts.len() == 51 || cut {
            &rest[..rest.len().saturating_sub(1)]
        } else {
            rest
        };
        let agreeing = rest.iter().filter(|&&n| n == first).count();
        let consistent = rest.len() == agreeing;
        let score = if first > 1 && consistent {
            first * 1_000 + agreeing
        } else if first > 1 {
            agreeing
        } else {
            0
        };
        if score > best.1 {
            best = (delimiter, score, first);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Workbook {
        read(
            "t.csv",
            text.as_bytes(),
            CsvOptions::default(),
            &Limits::default(),
        )
        .expect("reads")
    }

    fn texts(sheet: &Sheet) -> Vec<(usize, Vec<String>)> {
        sheet
            .rows
            .iter()
            .map(|r| (r.number, r.cells.iter().map(Cell::text).collect()))
            .collect()
    }

    #[test]
    fn the_separator_is_sniffed() {
        assert_eq!(csv("a;b;c\n1;2,5;3\n").csv.map(|c| c.delimiter), Some(';'));
        assert_eq!(
            csv("a,b,c\n1,\"2;5\",3\n").csv.map(|c| c.delimiter),
            Some(',')
        );
        assert_eq!(csv("a\tb\n1\t2\n").csv.map(|c| c.delimiter), Some('\t'));
        // Commas inside `;`-separated decimals do not win.
        assert_eq!(
            csv("Navn;Omsetning\nA;1234,50\nB;99,5\n")
                .csv
                .map(|c| c.delimiter),
            Some(';')
        );
    }

    #[test]
    fn row_numbers_are_the_sheet_rows_with_line_breaks_inside_quotes() {
        let book = csv("a,b\n\"x\ny\",1\n\n2,3\n");
        assert_eq!(
            texts(&book.sheets[0]),
            vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["x\ny".into(), "1".into()]),
                (4, vec!["2".into(), "3".into()]),
            ]
        );
    }

    #[test]
    fn a_ragged_row_is_reported_not_guessed() {
        let book = csv("a,b,c\n1,2,3\n1,2\n1,2,3,4\n5,6,7\n");
        let sheet = &book.sheets[0];
        assert_eq!(sheet.rows.len(), 3);
        assert_eq!(
            sheet
                .broken_rows
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert!(sheet.broken_rows[0].1.to_string().contains("2 fields"));
    }

    #[test]
    fn windows_1252_and_utf16_and_bom_decode() {
        let cp1252 = b"Navn;By\n\xd8ystein;Troms\xf8\n";
        let (text, encoding) = decode(cp1252).expect("decodes");
        assert_eq!(text, "Navn;By\nØystein;Tromsø\n");
        assert_eq!(encoding, "windows-1252");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "Navn\tBy\nÆrlig\tÅs\n".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        assert_eq!(decode(&utf16).expect("decodes").0, "Navn\tBy\nÆrlig\tÅs\n");
        let bom = [b"\xef\xbb\xbf".as_slice(), "a;æ\n".as_bytes()].concat();
        assert_eq!(
            decode(&bom).expect("decodes"),
            ("a;æ\n".to_owned(), "UTF-8")
        );
    }

    #[test]
    fn binary_is_not_text() {
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
        assert_eq!(
            read("x.csv", png, CsvOptions::default(), &Limits::default()),
            Err(FileError::NotText)
        );
        assert_eq!(
            read("x.csv", b"", CsvOptions::default(), &Limits::default()),
            Err(FileError::Empty)
        );
    }

    #[test]
    fn numbers_and_dates_read_as_a_user_types_them() {
        assert_eq!(Cell::Number(4791234569.0).text(), "4791234569");
        assert_eq!(Cell::Number(1234.5).text(), "1234.5");
        assert_eq!(iso_cell("2024-03-15").text(), "2024-03-15");
        assert_eq!(iso_cell("2024-03-15T10:30:00").text(), "2024-03-15 10:30");
        assert_eq!(iso_cell("mars").text(), "mars");
    }

    #[test]
    fn too_many_rows_are_refused() {
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        let refused = read("t.csv", b"a\n1\n2\n3\n4\n", CsvOptions::default(), &limits);
        assert!(matches!(
            refused,
            Err(FileError::TooManyRows { limit: 2, .. })
        ));
        // Rows with a wrong field count are rows too.
        let ragged = read(
            "t.csv",
            b"a,b\n1\n2\n3\n4\n",
            CsvOptions::default(),
            &limits,
        );
        assert!(matches!(
            ragged,
            Err(FileError::TooManyRows { limit: 2, .. })
        ));
    }
}
