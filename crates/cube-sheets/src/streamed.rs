//! A CSV import that never holds the file's rows: what [`crate::prepare`] and
//! [`crate::plan`] do for a file in memory, done from a file on disk in two passes.
//!
//! [`check_csv`] lays the sheet out from its first rows (header, columns, mapping, the
//! samples and first rows a preview shows), then reads every row once and checks it as the
//! import will ([`RowChecker`]: in the file, then a chunk of good rows at a time against the
//! data owner's register), keeping only counts and the first rejected rows.
//! [`CheckedCsv::source`] then reads the file again for the writing
//! (`cube_app::Cube::write_streamed`), a chunk at a time on a blocking thread.

use crate::mapping::{Target, map_row};
use crate::read::{CsvOptions, FileError, Limits, Sheet};
use crate::stream::{CsvFile, CsvItem, CsvRows};
use crate::{
    FIRST_ROWS, FileChoices, ImportFileError, Layout, PreparedFile, SheetSummary, lay_out, samples,
    shown_input,
};
use cube_app::customers::RejectedRow;
use cube_app::streamed_imports::{ImportSource, ParsedPhones, RowChecker, SourceRow};
use cube_domain::data_owner::{DataOwner, Dataset};
use std::path::Path;

/// The rows (header included) the layout is found from: the header is among the first rows
/// of any customer file.
pub const HEAD_ROWS: usize = 1_000;

/// A CSV file laid out and every row checked.
#[derive(Debug)]
pub struct CheckedCsv {
    /// What a preview shows of it (its `rows` are left empty: they stay in the file).
    pub prepared: PreparedFile,
    /// Rows that would be written.
    pub good: usize,
    /// Rows that would be rejected.
    pub rejected_count: usize,
    /// The first of them (as many as asked), in row order.
    pub rejected: Vec<RejectedRow>,
    /// The numbers the check parsed: the writing takes them instead of parsing again
    /// (`OpenedImport::with_parsed_phones`).
    pub phones: ParsedPhones,
    file: CsvFile,
    mapped: Vec<(usize, Target)>,
    owner: DataOwner,
    dataset: Dataset,
}

/// The good rows checked against the register in one read (`RegisterCheck::refused`).
const REGISTER_CHECK_ROWS: usize = cube_app::customers::IMPORT_CHUNK_ROWS;

/// The rows checked so far: the good ones waiting for the register's check, the rejected
/// ones waiting with them (so rejected rows are listed in row order), the register's check
/// of the chunk before (asked on the runtime while this thread reads on), and the tally.
struct Tally {
    good: Vec<(usize, cube_domain::customer::Customer)>,
    waiting: Vec<RejectedRow>,
    asked: Option<Asked>,
    /// Good rows checked against the register and taken.
    checked: usize,
    rejected_count: usize,
    rejected: Vec<RejectedRow>,
    listed: usize,
}

/// A chunk of good rows the register is being asked about, with the rows rejected while
/// they were read.
struct Asked {
    answer: tokio::task::JoinHandle<cube_app::AppResult<Vec<RejectedRow>>>,
    good: usize,
    waiting: Vec<RejectedRow>,
}

impl Tally {
    fn new(listed: usize) -> Self {
        Self {
            good: Vec::with_capacity(REGISTER_CHECK_ROWS),
            waiting: Vec::new(),
            asked: None,
            checked: 0,
            rejected_count: 0,
            rejected: Vec::new(),
            listed,
        }
    }

    /// Asks the register about the waiting good rows (on the caller's runtime, `register`),
    /// after counting in the answer about the chunk before: the reading goes on while the
    /// register reads, and the rows are still counted and listed in row order.
    fn check_register(
        &mut self,
        register: &tokio::runtime::Handle,
        checker: &RowChecker,
    ) -> Result<(), ImportFileError> {
        self.settle(register)?;
        let good = std::mem::replace(&mut self.good, Vec::with_capacity(REGISTER_CHECK_ROWS));
        let check = checker.register();
        self.asked = Some(Asked {
            good: good.len(),
            answer: register.spawn(async move { check.refused(&good).await }),
            waiting: std::mem::take(&mut self.waiting),
        });
        Ok(())
    }

    /// Waits for the register's answer about the chunk asked last, if any, and counts it
    /// in with the rows rejected while it was read.
    fn settle(&mut self, register: &tokio::runtime::Handle) -> Result<(), ImportFileError> {
        let Some(Asked {
            answer,
            good,
            mut waiting,
        }) = self.asked.take()
        else {
            return Ok(());
        };
        let refused = register.block_on(answer).map_err(|_| {
            ImportFileError::File(FileError::Unreadable(
                "checking the rows against the register failed".to_owned(),
            ))
        })??;
        self.checked += good - refused.len();
        waiting.extend(refused);
        waiting.sort_by_key(|r| r.row);
        for row in waiting {
            self.rejected_count += 1;
            if self.rejected.len() < self.listed {
                self.rejected.push(row);
            }
        }
        Ok(())
    }
}

/// Lays out the CSV at `path` (called `file_name`) and checks every row with `checker` —
/// in the file, then against the data owner's register on `register` (the runtime this
/// blocking thread was started from) — listing at most `listed` rejected rows (all are
/// counted). CSV only: the caller sends a spreadsheet (a zip) to [`crate::prepare`].
#[allow(clippy::too_many_arguments)]
pub fn check_csv(
    path: &Path,
    file_name: &str,
    choices: &FileChoices,
    owner: &DataOwner,
    dataset: Dataset,
    limits: &Limits,
    checker: &mut RowChecker,
    listed: usize,
    register: &tokio::runtime::Handle,
) -> Result<CheckedCsv, ImportFileError> {
    let file = CsvFile::open(
        path,
        file_name,
        CsvOptions {
            delimiter: choices.delimiter,
        },
        limits,
    )?;
    if let Some(asked) = &choices.sheet
        && asked != file.name()
    {
        return Err(ImportFileError::NoSuchSheet {
            asked: asked.clone(),
            sheets: file.name().to_owned(),
        });
    }
    // The layout, from the first rows.
    let mut rows = file.rows()?;
    let mut head = Sheet {
        name: file.name().to_owned(),
        rows: Vec::new(),
        broken_rows: Vec::new(),
    };
    while head.rows.len() + head.broken_rows.len() < HEAD_ROWS {
        match rows.next_item()? {
            Some(CsvItem::Row(row)) => head.rows.push(row),
            Some(CsvItem::Broken(number, why)) => head.broken_rows.push((number, why)),
            None => break,
        }
    }
    drop(rows);
    if head.rows.is_empty() {
        return Err(ImportFileError::NothingInFile);
    }
    let Layout {
        header_row,
        columns,
        mapped,
    } = lay_out(&head, choices, owner, dataset)?;
    let fields = owner.fields(dataset);
    let first_rows = head
        .rows
        .iter()
        .filter(|r| r.number > header_row)
        .filter_map(|r| {
            map_row(r, &mapped, owner, fields)
                .ok()
                .map(|input| (r.number, shown_input(&input, owner)))
        })
        .take(FIRST_ROWS)
        .collect();
    let samples = samples(&head, header_row, columns.len());
    drop(head);
    // Every row, checked: in the file, then a chunk at a time against the register.
    let (mut sheet_rows, mut rows_in_file) = (0, 0);
    let mut tally = Tally::new(listed);
    let mut rows = file.rows()?;
    while let Some(item) = rows.next_item()? {
        match item {
            CsvItem::Row(row) => {
                sheet_rows += 1;
                if row.number <= header_row {
                    continue;
                }
                rows_in_file += 1;
                let checked = map_row(&row, &mapped, owner, fields)
                    .map_err(|reason| RejectedRow {
                        row: row.number,
                        reason,
                    })
                    .and_then(|input| checker.check(row.number, &input));
                match checked {
                    Ok(customer) => tally.good.push((row.number, customer)),
                    Err(row) => tally.waiting.push(row),
                }
                if tally.good.len() >= REGISTER_CHECK_ROWS {
                    tally.check_register(register, checker)?;
                }
            }
            CsvItem::Broken(number, reason) if number > header_row => {
                rows_in_file += 1;
                tally.waiting.push(RejectedRow {
                    row: number,
                    reason,
                });
            }
            CsvItem::Broken(..) => {}
        }
    }
    tally.check_register(register, checker)?;
    tally.settle(register)?;
    if rows_in_file == 0 {
        return Err(ImportFileError::NoDataRows);
    }
    let Tally {
        checked: good,
        rejected_count,
        rejected,
        ..
    } = tally;
    Ok(CheckedCsv {
        prepared: PreparedFile {
            format: crate::read::Format::Csv,
            csv: Some(file.shape()),
            sheets: vec![SheetSummary {
                name: file.name().to_owned(),
                rows: sheet_rows,
            }],
            sheet: file.name().to_owned(),
            header_row,
            columns,
            samples,
            rows: Default::default(),
            rows_in_file,
            first_rows,
        },
        good,
        rejected_count,
        rejected,
        phones: checker.take_parsed_phones(),
        file,
        mapped,
        owner: owner.clone(),
        dataset,
    })
}

/// [`check_csv`] on a thread of its own, at most [`crate::READS_AT_ONCE`] files at a time
/// (as [`crate::prepare_apart`]); the checker comes back for nothing: a new one checks the
/// rows again when they are written (taking the numbers this one parsed, `phones`).
#[allow(clippy::too_many_arguments)]
pub async fn check_csv_apart(
    path: std::path::PathBuf,
    file_name: String,
    choices: FileChoices,
    owner: DataOwner,
    dataset: Dataset,
    limits: Limits,
    mut checker: RowChecker,
    listed: usize,
) -> Result<CheckedCsv, ImportFileError> {
    let failed = |why: &str| ImportFileError::File(FileError::Unreadable(why.to_owned()));
    let turn = crate::READS
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| failed("the server is stopping"))?;
    let register = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let checked = check_csv(
            &path,
            &file_name,
            &choices,
            &owner,
            dataset,
            &limits,
            &mut checker,
            listed,
            &register,
        );
        drop(turn);
        checked
    })
    .await
    .unwrap_or_else(|_| Err(failed("the file reader failed on it")))
}

impl CheckedCsv {
    /// The file's rows read again from the start, for the writing; `keep` (the file's
    /// owner: a temporary file removed when dropped) lives as long as the source.
    pub fn source(
        &self,
        keep: Box<dyn std::any::Any + Send>,
    ) -> Result<CsvSource, ImportFileError> {
        Ok(CsvSource {
            rows: Some(self.file.rows()?),
            header_row: self.prepared.header_row,
            mapped: self.mapped.clone(),
            owner: self.owner.clone(),
            dataset: self.dataset,
            _keep: keep,
        })
    }
}

/// A CSV file's rows as an import's source ([`ImportSource`]).
pub struct CsvSource {
    /// The reader; away on the blocking thread while a chunk is read.
    rows: Option<CsvRows>,
    header_row: usize,
    mapped: Vec<(usize, Target)>,
    owner: DataOwner,
    dataset: Dataset,
    _keep: Box<dyn std::any::Any + Send>,
}

impl std::fmt::Debug for CsvSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSource")
            .field("header_row", &self.header_row)
            .finish_non_exhaustive()
    }
}

/// Up to `max` rows below the header, mapped.
fn read_rows(
    rows: &mut CsvRows,
    max: usize,
    header_row: usize,
    mapped: &[(usize, Target)],
    owner: &DataOwner,
    dataset: Dataset,
) -> Result<Vec<SourceRow>, String> {
    let fields = owner.fields(dataset);
    let mut read = Vec::with_capacity(max);
    while read.len() < max {
        let Some(item) = rows.next_item().map_err(|e| e.to_string())? else {
            break;
        };
        match item {
            CsvItem::Row(row) if row.number > header_row => {
                read.push(match map_row(&row, mapped, owner, fields) {
                    Ok(input) => SourceRow::Input {
                        row: row.number,
                        input,
                    },
                    Err(reason) => SourceRow::Refused(RejectedRow {
                        row: row.number,
                        reason,
                    }),
                });
            }
            CsvItem::Broken(number, reason) if number > header_row => {
                read.push(SourceRow::Refused(RejectedRow {
                    row: number,
                    reason,
                }));
            }
            _ => {}
        }
    }
    Ok(read)
}

#[async_trait::async_trait]
impl ImportSource for CsvSource {
    async fn next_rows(&mut self, max: usize) -> Result<Vec<SourceRow>, String> {
        let Some(mut rows) = self.rows.take() else {
            return Err("the file's reader failed".to_owned());
        };
        let (header_row, mapped, owner, dataset) = (
            self.header_row,
            self.mapped.clone(),
            self.owner.clone(),
            self.dataset,
        );
        let (rows, read) = tokio::task::spawn_blocking(move || {
            let read = read_rows(&mut rows, max, header_row, &mapped, &owner, dataset);
            (rows, read)
        })
        .await
        .map_err(|_| "the file's reader failed".to_owned())?;
        self.rows = Some(rows);
        read
    }
}
