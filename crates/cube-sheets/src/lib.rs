//! # cube-sheets
//!
//! Customer files in (and the CSV an office opens): what a Norwegian office has — an
//! `.xlsx` from the client, an `.ods` from LibreOffice, or a `;`-separated Windows-1252 CSV
//! that Excel wrote — read into rows, mapped column by column onto contact and CRM fields, and handed to the
//! import use case ([`cube_app::Cube::plan_import`]) with each row's number as the user sees
//! it in the sheet.
//!
//! Both HTTP faces use it (the JSON API's file import and the web app's import page), so it
//! lives here among the inner crates rather than in either adapter (the walls).
//!
//! - [`read`]: bytes → sheets of typed cells (format told by the bytes, zip checked before
//!   unpacking, CSV encoding and separator found, broken CSV rows reported).
//! - [`mapping`]: the header's suggested targets, the checked mapping, rows → inputs.
//! - [`prepare`] and [`plan`]: the two steps a preview and an import share.
//! - [`upload`]: a file as it arrives, to a temporary file within the operator's limit
//!   (both faces take files so).
//! - [`write`]: CSV as Excel opens it, formulas defused; the report of rejected rows.
//! - [`register`]: the reservation register's export (reserved phone numbers) read for a
//!   wash — the `ReservationRegister` port's file adapter.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod mapping;
mod quotes;
pub mod read;
pub mod register;
pub mod stream;
pub mod streamed;
pub mod upload;
pub mod write;

use cube_app::customers::{ImportCommand, ImportPlan, RejectedRow};
use cube_app::{Acting, AppResult, Cube};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::ids::{AssignmentId, SegmentId};
use cube_domain::ports::OnMatch;
use mapping::{Column, MappedRows, MappingError, Target};
use read::{CsvOptions, CsvShape, FileError, Format, Limits};
use thiserror::Error;

/// What the user chose about a file; everything left out is found or suggested.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChoices {
    /// The sheet to import (by name); else the first sheet that holds rows.
    pub sheet: Option<String>,
    /// The header row's number; else the first row with two or more filled cells.
    pub header_row: Option<usize>,
    /// A CSV's separator; else sniffed.
    pub delimiter: Option<u8>,
    /// The mapping, column index → target; else the header's suggestions.
    pub columns: Option<Vec<(usize, Target)>>,
}

/// Why a file cannot be imported as it stands; each says what to change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportFileError {
    /// The file cannot be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The mapping does not fit the sheet or the dataset.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// The sheet asked for is not in the file.
    #[error("the file has no sheet named \"{asked}\"; its sheets are: {sheets}")]
    NoSuchSheet {
        /// The name asked for.
        asked: String,
        /// The file's sheets, comma-separated.
        sheets: String,
    },
    /// No sheet holds any row.
    #[error("every sheet of the file is empty")]
    NothingInFile,
    /// The header is the sheet's last row.
    #[error("the sheet has a header row but no rows below it")]
    NoDataRows,
    /// The rows could not be checked against the data owner's register (the store failed).
    #[error(transparent)]
    Register(#[from] cube_app::AppError),
}

/// A sheet as the preview lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SheetSummary {
    /// Its name.
    pub name: String,
    /// Rows holding something, the header included.
    pub rows: usize,
}

/// A file read and mapped: what a preview shows and an import writes.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedFile {
    /// What the file was.
    pub format: Format,
    /// For a CSV, its separator and encoding.
    pub csv: Option<CsvShape>,
    /// Every sheet.
    pub sheets: Vec<SheetSummary>,
    /// The sheet used.
    pub sheet: String,
    /// The header row's number.
    pub header_row: usize,
    /// The header's columns with the target each one has (the choice, or the suggestion).
    pub columns: Vec<Column>,
    /// Per column, up to [`SAMPLES`] filled values from the rows below the header.
    pub samples: Vec<Vec<String>>,
    /// The rows below the header as inputs, and the rows refused while reading; [`plan`]
    /// takes the inputs (a file's rows are held once).
    pub rows: MappedRows,
    /// Rows below the header: inputs and refused ones.
    pub rows_in_file: usize,
    /// The first [`FIRST_ROWS`] inputs with their row numbers, for a preview: values cut to
    /// [`SHOWN_CHARS`], phone numbers as they will be stored (E.164) where they parse.
    pub first_rows: Vec<(usize, cube_app::customers::CustomerInput)>,
}

/// The rows a preview may show as they will be read.
pub const FIRST_ROWS: usize = 20;

/// Reads a file and maps its rows, for the data owner's `dataset`.
pub fn prepare(
    file_name: &str,
    bytes: &[u8],
    choices: &FileChoices,
    owner: &DataOwner,
    dataset: Dataset,
    limits: &Limits,
) -> Result<PreparedFile, ImportFileError> {
    let mut workbook = read::read(
        file_name,
        bytes,
        CsvOptions {
            delimiter: choices.delimiter,
        },
        limits,
    )?;
    let sheets: Vec<SheetSummary> = workbook
        .sheets
        .iter()
        .map(|s| SheetSummary {
            name: s.name.clone(),
            rows: s.rows.len(),
        })
        .collect();
    let index = match &choices.sheet {
        Some(asked) => workbook
            .sheets
            .iter()
            .position(|s| &s.name == asked)
            .ok_or_else(|| ImportFileError::NoSuchSheet {
                asked: asked.clone(),
                sheets: sheets
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
        None => workbook
            .sheets
            .iter()
            .position(|s| !s.rows.is_empty())
            .ok_or(ImportFileError::NothingInFile)?,
    };
    // The sheet taken out of the workbook (the others go now), so its rows can go one by
    // one as they are mapped: the cells and the inputs are not held whole together.
    let (format, csv) = (workbook.format, workbook.csv);
    let sheet_owned = workbook.sheets.swap_remove(index);
    drop(workbook);
    let sheet = &sheet_owned;
    let Layout {
        header_row: header_number,
        columns,
        mapped,
    } = lay_out(sheet, choices, owner, dataset)?;
    if !sheet.rows.iter().any(|r| r.number > header_number)
        && !sheet.broken_rows.iter().any(|(n, _)| *n > header_number)
    {
        return Err(ImportFileError::NoDataRows);
    }
    let samples = samples(sheet, header_number, columns.len());
    let name = sheet.name.clone();
    let rows = mapping::map_rows(sheet_owned, header_number, &mapped, owner, dataset);
    let first_rows = rows
        .numbers
        .iter()
        .copied()
        .zip(rows.inputs.iter().map(|input| shown_input(input, owner)))
        .take(FIRST_ROWS)
        .collect();
    Ok(PreparedFile {
        rows_in_file: rows.numbers.len() + rows.refused.len(),
        first_rows,
        format,
        csv,
        sheets,
        sheet: name,
        header_row: header_number,
        samples,
        columns,
        rows,
    })
}

/// How a sheet is read: its header row, its columns with their targets, and the mapping
/// (column index → target), checked against the sheet and the dataset.
pub(crate) struct Layout {
    pub(crate) header_row: usize,
    pub(crate) columns: Vec<Column>,
    pub(crate) mapped: Vec<(usize, Target)>,
}

/// The layout of `sheet` (all of it, or its first rows: a CSV's rows all have the header's
/// width) as the choices say, else as suggested.
pub(crate) fn lay_out(
    sheet: &read::Sheet,
    choices: &FileChoices,
    owner: &DataOwner,
    dataset: Dataset,
) -> Result<Layout, ImportFileError> {
    let header_number = match choices.header_row {
        Some(number) => number,
        None => mapping::header_row(sheet).ok_or(MappingError::EmptySheet)?,
    };
    let header = sheet
        .rows
        .iter()
        .find(|r| r.number == header_number)
        .ok_or(MappingError::NoSuchHeaderRow(header_number))?;
    let fields = owner.fields(dataset);
    let mut columns = mapping::suggest_columns(header, fields);
    let width = sheet.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    while columns.len() < width {
        columns.push(Column {
            index: columns.len(),
            letter: mapping::column_letter(columns.len()),
            header: String::new(),
            target: None,
        });
    }
    if let Some(chosen) = &choices.columns {
        for column in &mut columns {
            column.target = chosen
                .iter()
                .find(|(index, _)| *index == column.index)
                .map(|(_, target)| target.clone());
        }
    }
    let mapped: Vec<(usize, Target)> = match &choices.columns {
        Some(chosen) => chosen.clone(),
        None => columns
            .iter()
            .filter_map(|c| c.target.clone().map(|t| (c.index, t)))
            .collect(),
    };
    mapping::check_mapping(&mapped, width, owner, dataset)?;
    Ok(Layout {
        header_row: header_number,
        columns,
        mapped,
    })
}

/// Files read at once in this process: reading a large workbook takes a core for seconds,
/// so more requests wait their turn instead of taking the cores the sellers' requests need.
pub const READS_AT_ONCE: usize = 2;

pub(crate) static READS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(READS_AT_ONCE)));

/// Plans checked at once in this process (parsing every row's phone numbers takes a core):
/// one, so the other async worker keeps answering.
pub(crate) static PLANS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// [`prepare`] on a thread of its own, at most [`READS_AT_ONCE`] at a time: the async
/// workers keep answering other requests (a health check, a seller's next customer) while
/// a file is read, and a panic in a spreadsheet library is a refusal of the file, not a
/// request left unanswered. The turn is held by the reading thread itself, so a client that
/// goes away does not free it while its file is still being read.
pub async fn prepare_apart<B>(
    file_name: String,
    bytes: B,
    choices: FileChoices,
    owner: DataOwner,
    dataset: Dataset,
    limits: Limits,
) -> Result<PreparedFile, ImportFileError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    let failed = |why: &str| ImportFileError::File(FileError::Unreadable(why.to_owned()));
    let turn = READS
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| failed("the server is stopping"))?;
    tokio::task::spawn_blocking(move || {
        let read = prepare(
            &file_name,
            bytes.as_ref(),
            &choices,
            &owner,
            dataset,
            &limits,
        );
        drop(turn);
        read
    })
    .await
    .unwrap_or_else(|_| Err(failed("the file reader failed on it")))
}

/// The characters of a value a preview shows (a 20 MB cell is not echoed back).
pub const SHOWN_CHARS: usize = 200;

/// `text` as a preview shows it: at most [`SHOWN_CHARS`] characters, `…` where cut.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

pub(crate) fn shown_input(
    input: &cube_app::customers::CustomerInput,
    owner: &DataOwner,
) -> cube_app::customers::CustomerInput {
    let opt = |v: &Option<String>| v.as_deref().map(shown);
    // As stored where a number parses; as in the file where not (its row says why).
    let phone = |raw: &String| {
        owner
            .parse_phone(raw)
            .map_or_else(|_| shown(raw), |p| p.as_str().to_owned())
    };
    cube_app::customers::CustomerInput {
        name: shown(&input.name),
        phones: input.phones.iter().map(phone).collect(),
        email: opt(&input.email),
        address: opt(&input.address),
        registry_number: opt(&input.registry_number),
        external_id: opt(&input.external_id),
        fields: input
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), shown(v)))
            .collect(),
    }
}

/// The values per column a preview shows.
pub const SAMPLES: usize = 3;

/// Per column, the first [`SAMPLES`] filled values below the header.
pub(crate) fn samples(sheet: &read::Sheet, header: usize, width: usize) -> Vec<Vec<String>> {
    let mut samples = vec![Vec::new(); width];
    for row in sheet.rows.iter().filter(|r| r.number > header) {
        for (index, cell) in row.cells.iter().enumerate() {
            if let Some(values) = samples.get_mut(index)
                && values.len() < SAMPLES
                && !cell.is_blank()
            {
                values.push(shown(&cell.text()));
            }
        }
        if samples.iter().all(|v| v.len() >= SAMPLES) {
            break;
        }
    }
    samples
}

/// Where a file's rows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destination {
    /// The assignment (its data owner receives the customers).
    pub assignment: AssignmentId,
    /// Companies or persons.
    pub dataset: Dataset,
    /// A segment of the assignment.
    pub segment: Option<SegmentId>,
    /// What a row matching an existing customer does to it.
    pub on_match: OnMatch,
    /// The keys a row is matched to an existing customer by.
    pub match_by: cube_domain::import_match::MatchKeys,
}

/// Checks a prepared file's rows as the import use case does (access, every row parsed and
/// deduplicated), without writing; the plan's rejected rows include the rows refused while
/// reading, by their sheet row numbers. A preview shows the plan; an import writes it. The
/// rows move into the plan (`prepared.rows` is left empty; its counts and first rows stay).
pub async fn plan(
    cube: &Cube,
    who: impl Into<Acting<'_>>,
    destination: Destination,
    prepared: &mut PreparedFile,
) -> AppResult<ImportPlan> {
    let MappedRows {
        inputs,
        numbers,
        refused,
    } = std::mem::take(&mut prepared.rows);
    let command = ImportCommand {
        assignment: destination.assignment,
        dataset: destination.dataset,
        segment: destination.segment,
        rows: inputs,
        on_match: destination.on_match,
        match_by: destination.match_by,
        row_numbers: numbers,
    };
    let mut plan = {
        let _turn = PLANS.acquire().await;
        cube.plan_import(who, command).await?
    };
    plan.reject_also(
        refused
            .into_iter()
            .map(|(row, reason)| RejectedRow { row, reason }),
    );
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_shows_at_most_two_hundred_characters_of_a_value() {
        assert_eq!(shown("Bær"), "Bær");
        let long = "æ".repeat(SHOWN_CHARS + 5);
        let cut = shown(&long);
        assert_eq!(cut.chars().count(), SHOWN_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
