//! Imports too large to hold in memory: a file of a million rows is read twice from where
//! the server keeps it (a temporary file), never held whole. This module is the use case's
//! side of that; reading the file is the caller's (`cube-sheets`), behind [`ImportSource`].
//!
//! 1. [`Cube::open_import`] checks access once (the user may manage the assignment, the
//!    segment is the assignment's) and fixes what every chunk shares: the data owner, the
//!    flow's initial state, the import's record.
//! 2. The first pass checks every row with a [`RowChecker`] (parsed as
//!    [`Cube::plan_import`] parses it, deduplicated within the file by external id,
//!    organisation number and phone, then a chunk at a time against the register: [`RegisterCheck::refused`])
//!    and keeps only the rejected ones: the caller decides, before anything is
//!    written, whether the import may go on (all or nothing unless the good rows are
//!    wanted).
//! 3. [`Cube::write_streamed`] reads the rows again, checks them again the same way (the
//!    same rows are rejected: the check depends only on the rows before), and writes the
//!    good ones chunk by chunk as [`Cube::write_import`] does, each chunk's created
//!    customers and enrollments recorded with the import (so it can be undone, also when
//!    stopped part-way), telling how far it has come and stopping between chunks when
//!    cancelled. Each chunk is written while the next is read and checked (on this task,
//!    without a runtime of its own): the database works on one chunk while the server
//!    parses the next.
//!
//! Memory: two chunks of rows, the deduplication keys (exact, in some 15–30 bytes a key:
//! `import_keys`) and the first [`REPORT_ROWS`] rows' report.

use crate::customers::{
    CustomerInput, ImportProgress, ImportReport, RejectedRow, counts_report, merge_rejected,
    parse_customer_with, taken_rows,
};
use crate::flows::flow_of;
use crate::import_jobs::ImportJobError;
use crate::import_keys::{SeenKeys, clash_reason};
use crate::rejected_rows::RejectReason;
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::customer::Customer;
use cube_domain::customer_import::CustomerImport;
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::ids::{AssignmentId, DataOwnerId, ImportId, SegmentId};
use cube_domain::import_match::MatchKeys;
use cube_domain::ports::{ImportBatch, ImportRow, OnMatch};
use cube_domain::values::{PhoneNumber, ValueError};
use std::sync::atomic::{AtomicBool, Ordering};

/// The rows of a streamed import's report listed one by one (the counts cover every row):
/// a million rows' report would not fit an answer.
pub const REPORT_ROWS: usize = 10_000;

/// Where a streamed import's rows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportTarget {
    /// The assignment (its data owner receives the customers).
    pub assignment: AssignmentId,
    /// Companies or persons: every row's dataset.
    pub dataset: Dataset,
    /// A segment of the assignment for the new enrollments.
    pub segment: Option<SegmentId>,
    /// What a row matching an existing customer does to it.
    pub on_match: OnMatch,
    /// The keys a row is matched to an existing customer by.
    pub match_by: MatchKeys,
}

/// One row of a file as its source reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRow {
    /// A row read into a customer's fields, with its number as the user sees it.
    Input {
        /// Its row number in the file.
        row: usize,
        /// What it says.
        input: CustomerInput,
    },
    /// A row that could not be read as a customer (a ragged CSV row, a spreadsheet error).
    Refused(RejectedRow),
}

/// A file's rows, read in file order as many times as it is opened.
#[async_trait::async_trait]
pub trait ImportSource: Send {
    /// Up to `max` next rows; none at the end of the file. Fails with what went wrong
    /// reading the file (it was read whole once before, so this is the disk's fault).
    async fn next_rows(&mut self, max: usize) -> Result<Vec<SourceRow>, String>;
}

/// An import checked for access and ready to check and write rows ([`Cube::open_import`]).
#[derive(Debug, Clone)]
pub struct OpenedImport {
    owner: DataOwner,
    target: ImportTarget,
    batch: ImportBatch,
    record: CustomerImport,
    /// The numbers the first pass parsed, for the second to take (none: it parses).
    phones: Option<ParsedPhones>,
}

impl OpenedImport {
    /// The id the import is recorded under (with its first chunk), to undo it by.
    pub fn import(&self) -> ImportId {
        self.record.id
    }
    /// The assignment the rows go into.
    pub fn assignment(&self) -> AssignmentId {
        self.target.assignment
    }
    /// The data owner receiving the rows.
    pub fn owner(&self) -> &DataOwner {
        &self.owner
    }
    /// The same import, its second pass taking the numbers the first pass over the same rows
    /// parsed ([`RowChecker::take_parsed_phones`]) instead of parsing them again.
    #[must_use]
    pub fn with_parsed_phones(mut self, phones: ParsedPhones) -> Self {
        self.phones = Some(phones);
        self
    }
}

/// The phone numbers a first pass parsed, each good number as its E.164 digits with its row
/// and place in the row (16 bytes a number), in row order: the second pass over **the same
/// rows** takes them instead of parsing again (the phone library is two thirds of a row's
/// check). A place the first pass kept no number for (the number did not parse) is parsed
/// again, and refused again.
#[derive(Debug, Clone, Default)]
pub struct ParsedPhones {
    numbers: std::sync::Arc<Vec<ParsedPhone>>,
}

/// One parsed number: its row, its place among the row's numbers, its E.164 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ParsedPhone {
    row: u32,
    index: u32,
    digits: u64,
}

impl ParsedPhones {
    /// How many numbers are kept.
    pub fn len(&self) -> usize {
        self.numbers.len()
    }
    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }
}

/// How a checker reads a row's numbers: parsing them and keeping what it parsed (a first
/// pass), or taking what a first pass parsed (a second).
#[derive(Debug)]
enum Phones {
    Keep(Vec<ParsedPhone>),
    Take { parsed: ParsedPhones, next: usize },
}

impl Phones {
    /// Number `index` of row `row`, `raw` as the file has it.
    fn number(
        &mut self,
        owner: &DataOwner,
        row: usize,
        index: usize,
        raw: &str,
    ) -> Result<PhoneNumber, ValueError> {
        let place = (u32::try_from(row).ok(), u32::try_from(index).ok());
        match (self, place) {
            (Phones::Take { parsed, next }, (Some(row), Some(index))) => {
                let numbers = &parsed.numbers;
                while numbers
                    .get(*next)
                    .is_some_and(|p| (p.row, p.index) < (row, index))
                {
                    *next += 1;
                }
                match numbers.get(*next) {
                    Some(p) if (p.row, p.index) == (row, index) => {
                        PhoneNumber::from_e164_digits(p.digits)
                    }
                    _ => owner.parse_phone(raw),
                }
            }
            (Phones::Keep(kept), (Some(row), Some(index))) => {
                let number = owner.parse_phone(raw)?;
                if let Some(digits) = number.e164_digits() {
                    kept.push(ParsedPhone { row, index, digits });
                }
                Ok(number)
            }
            (_, _) => owner.parse_phone(raw),
        }
    }
}

/// Checks rows one by one as an import takes them: each parsed into a customer, and one
/// that has the external id or a phone number of an earlier row rejected.
#[derive(Debug)]
pub struct RowChecker {
    cube: Cube,
    owner: DataOwner,
    dataset: Dataset,
    on_match: OnMatch,
    match_by: MatchKeys,
    /// Each key's first row, exactly, in some 15–30 bytes a key (`import_keys`).
    seen: SeenKeys,
    /// The numbers parsed (a first pass keeps them) or taken (a second pass).
    phones: Phones,
}

impl RowChecker {
    /// A checker for the opened import's data owner and dataset. It takes the numbers the
    /// import's first pass parsed when it carries them ([`OpenedImport::with_parsed_phones`]),
    /// else it parses and keeps them ([`RowChecker::take_parsed_phones`]).
    pub fn new(cube: &Cube, opened: &OpenedImport) -> Self {
        let phones = match &opened.phones {
            Some(parsed) => Phones::Take {
                parsed: parsed.clone(),
                next: 0,
            },
            None => Phones::Keep(Vec::new()),
        };
        Self {
            cube: cube.clone(),
            owner: opened.owner.clone(),
            dataset: opened.target.dataset,
            on_match: opened.target.on_match,
            match_by: opened.target.match_by,
            seen: SeenKeys::new(),
            phones,
        }
    }

    /// The numbers this checker parsed, for the import's second pass; none for a checker
    /// that took them from a first pass, and none are kept after.
    pub fn take_parsed_phones(&mut self) -> ParsedPhones {
        match &mut self.phones {
            Phones::Keep(kept) => ParsedPhones {
                numbers: std::sync::Arc::new(std::mem::take(kept)),
            },
            Phones::Take { .. } => ParsedPhones::default(),
        }
    }

    /// The register's check of this checker's import, apart from the checker: a first pass
    /// asks it about one chunk of good rows while it reads and checks the next.
    pub fn register(&self) -> RegisterCheck {
        RegisterCheck {
            cube: self.cube.clone(),
            owner: self.owner.id(),
            on_match: self.on_match,
            match_by: self.match_by,
        }
    }

    /// The row as a customer to write, or why it is rejected.
    pub fn check(&mut self, row: usize, input: &CustomerInput) -> Result<Customer, RejectedRow> {
        let (owner, phones) = (&self.owner, &mut self.phones);
        let customer = parse_customer_with(
            self.cube.new_id(),
            owner,
            self.dataset,
            input,
            &mut |index, raw| phones.number(owner, row, index, raw),
        )
        .map_err(|error| RejectedRow {
            row,
            reason: RejectReason::Invalid(error),
        })?;
        self.seen
            .claim(&customer, row)
            .map_err(|clash| RejectedRow {
                row,
                reason: clash_reason(clash),
            })?;
        Ok(customer)
    }
}

/// Asks the data owner's register which good rows of an import it refuses
/// ([`RowChecker::register`]); owned, so the asking can run on a task of its own.
#[derive(Debug, Clone)]
pub struct RegisterCheck {
    cube: Cube,
    owner: DataOwnerId,
    on_match: OnMatch,
    match_by: MatchKeys,
}

impl RegisterCheck {
    /// The rows of `rows` (checked by [`RowChecker::check`], each with its number) that the
    /// data owner's register refuses now, in row order: a key of the row belongs to another
    /// customer than the one the row is (`cube_domain::import_match`). A first pass asks it
    /// a chunk of good rows at a time, so an all-or-nothing import refuses them before
    /// writing; the writing is held to the same rule by the store.
    pub async fn refused(&self, rows: &[(usize, Customer)]) -> AppResult<Vec<RejectedRow>> {
        let rows: Vec<(usize, &Customer)> = rows.iter().map(|(n, c)| (*n, c)).collect();
        self.cube
            .refused_by_register(self.owner, self.on_match, self.match_by, &rows)
            .await
    }
}

impl Cube {
    /// Checks that the user may import into the target (the assignment managed by them, the
    /// segment the assignment's) and fixes what every chunk of the import shares.
    pub async fn open_import(
        &self,
        who: impl Into<Acting<'_>>,
        target: ImportTarget,
    ) -> AppResult<OpenedImport> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, target.assignment, Need::Manage, now)
            .await?;
        if let Some(segment) = target.segment
            && !assignment.setup().has_segment(segment)
        {
            return Err(AppError::NotFound("segment"));
        }
        let owner = uow
            .data_owner(assignment.data_owner())
            .await?
            .ok_or(AppError::NotFound("data owner"))?;
        let initial_state = flow_of(&self.flows, uow.as_mut(), &assignment)
            .await?
            .initial_state();
        Ok(OpenedImport {
            record: CustomerImport::new(self.new_id(), owner.id(), target.assignment, user.id, now),
            batch: ImportBatch {
                data_owner: owner.id(),
                assignment: target.assignment,
                initial_state,
                segment: target.segment,
                enrolled_at: now,
                rows: Vec::new(),
                on_match: target.on_match,
                match_by: target.match_by,
            },
            owner,
            target,
            phones: None,
        })
    }

    /// Reads the rows of `source` (from its start) and writes the good ones in chunks of
    /// `chunk_rows`, telling `progress` after each committed chunk and stopping before the
    /// next chunk once `cancel` is set. `rows_total` is the good rows the first pass found
    /// (for the progress). Rejected rows are skipped (the first pass decided the import may
    /// go on); the report lists the first [`REPORT_ROWS`] rows written and counts all.
    ///
    /// An import stopped part-way (a failed chunk, a cancel) answers
    /// [`AppError::ImportStopped`] with how many rows went in; what went in is recorded with
    /// the import and can be undone.
    #[allow(clippy::too_many_arguments)]
    pub async fn write_streamed(
        &self,
        who: impl Into<Acting<'_>>,
        opened: &OpenedImport,
        source: &mut dyn ImportSource,
        chunk_rows: usize,
        rows_total: usize,
        progress: &mut (dyn FnMut(ImportProgress) + Send),
        cancel: &AtomicBool,
    ) -> AppResult<ImportReport> {
        let who = who.into();
        let chunk_rows = chunk_rows.max(1);
        let mut checker = RowChecker::new(self, opened);
        let mut report = ImportReport::default();
        let mut done = 0usize;
        let stopped = |done: usize, cause: AppError| AppError::ImportStopped {
            imported: done,
            total: rows_total,
            cause: Box::new(cause),
        };
        let mut next = self
            .next_chunk(source, &mut checker, chunk_rows)
            .await
            .map_err(|why| stopped(done, ImportJobError::SourceFailed(why).into()))?;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(stopped(done, ImportJobError::Cancelled.into()));
            }
            let (mut rows, numbers) = next;
            if rows.is_empty() {
                break;
            }
            let last = rows.len() < chunk_rows;
            // The chunk is written while the next one is read and checked: the database
            // works on its chunk while this task parses the next (the reading stops at its
            // chunk, so memory stays two chunks).
            let write = async {
                self.bar_listed(opened.owner.id(), &mut rows).await?;
                self.import_chunk(who, &opened.batch, &opened.record, rows, done == 0)
                    .await
            };
            let read = async {
                if last {
                    Ok((Vec::new(), Vec::new()))
                } else {
                    self.next_chunk(source, &mut checker, chunk_rows).await
                }
            };
            let (written, following) = both(write, read).await;
            let counts = match written {
                Ok(counts) => counts,
                Err(error) if done == 0 => return Err(error),
                Err(error) => return Err(stopped(done, error)),
            };
            let chunk = counts_report(&counts);
            report.created += chunk.created;
            report.matched += chunk.matched;
            report.updated += chunk.updated;
            report.unchanged += chunk.unchanged;
            report.skipped += chunk.skipped;
            report.enrolled += chunk.enrolled;
            report.already_enrolled += chunk.already_enrolled;
            let (rows, refused) = taken_rows(&counts, &numbers);
            let room = REPORT_ROWS.saturating_sub(report.rows.len());
            report.rows.extend(rows.into_iter().take(room));
            // Rows the register refused since the first pass: rejected too, not written.
            merge_rejected(&mut report.rejected, refused);
            done += counts.rows.len() - counts.refused.len();
            progress(ImportProgress {
                rows_done: done,
                rows_total,
            });
            next =
                following.map_err(|why| stopped(done, ImportJobError::SourceFailed(why).into()))?;
        }
        report.import = (done > 0).then_some(opened.record.id);
        Ok(report)
    }
}

impl Cube {
    /// The next chunk of a streamed import's second pass: up to `chunk_rows` good rows
    /// (rejected ones are read past) with their row numbers; none at the end of the source.
    async fn next_chunk(
        &self,
        source: &mut dyn ImportSource,
        checker: &mut RowChecker,
        chunk_rows: usize,
    ) -> Result<(Vec<ImportRow>, Vec<usize>), String> {
        let mut rows = Vec::with_capacity(chunk_rows);
        let mut numbers = Vec::with_capacity(chunk_rows);
        while rows.len() < chunk_rows {
            let read = source.next_rows(chunk_rows - rows.len()).await?;
            if read.is_empty() {
                break;
            }
            for (index, item) in read.into_iter().enumerate() {
                // Checking is this task's CPU: it lets the chunk being written go on between
                // rows (a statement's answer is taken when it comes, not after the chunk).
                if index % CHECKS_BETWEEN_YIELDS == CHECKS_BETWEEN_YIELDS - 1 {
                    yield_now().await;
                }
                let SourceRow::Input { row, input } = item else {
                    continue;
                };
                if let Ok(customer) = checker.check(row, &input) {
                    rows.push(ImportRow {
                        customer,
                        enrollment: self.new_id(),
                    });
                    numbers.push(row);
                }
            }
        }
        Ok((rows, numbers))
    }
}

/// The rows a pass checks before it lets the other half of its work (the chunk being
/// written, the register being asked) go on: some 0.2 ms of checking.
pub(crate) const CHECKS_BETWEEN_YIELDS: usize = 32;

/// Lets the other future of [`both`] (and the runtime) run once: pending once, waking itself.
pub(crate) async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

/// Runs two futures together on this task and returns both outputs once both are done (a
/// join without a runtime: cube-app has none). Each is polled when woken; neither is
/// cancelled by the other finishing first.
pub(crate) async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut first, mut second) = (None, None);
    std::future::poll_fn(move |cx| {
        if first.is_none()
            && let std::task::Poll::Ready(out) = a.as_mut().poll(cx)
        {
            first = Some(out);
        }
        if second.is_none()
            && let std::task::Poll::Ready(out) = b.as_mut().poll(cx)
        {
            second = Some(out);
        }
        match (first.take(), second.take()) {
            (Some(a), Some(b)) => std::task::Poll::Ready((a, b)),
            (a, b) => {
                (first, second) = (a, b);
                std::task::Poll::Pending
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::{ParsedPhone, ParsedPhones, Phones, both};
    use cube_domain::data_owner::DataOwner;
    use cube_domain::ids::{DataOwnerId, OrganisationId};
    use cube_domain::values::Name;

    #[test]
    fn a_second_pass_takes_a_kept_number_without_parsing_and_parses_a_place_it_lacks() {
        let owner = DataOwner::new(
            DataOwnerId::from_uuid(uuid::Uuid::nil()),
            OrganisationId::from_uuid(uuid::Uuid::nil()),
            Name::parse("Eier").expect("a name"),
        );
        // Row 2's first number was kept as another number than its text says: taking it
        // shows the text was not parsed again.
        let mut phones = Phones::Take {
            parsed: ParsedPhones {
                numbers: std::sync::Arc::new(vec![ParsedPhone {
                    row: 2,
                    index: 0,
                    digits: 4_799_999_999,
                }]),
            },
            next: 0,
        };
        let taken = phones.number(&owner, 2, 0, "912 34 567").expect("taken");
        assert_eq!(taken.as_str(), "+4799999999");
        let parsed = phones.number(&owner, 2, 1, "22 33 44 55").expect("parsed");
        assert_eq!(parsed.as_str(), "+4722334455");
        assert!(phones.number(&owner, 3, 0, "ikke et nummer").is_err());

        let mut keep = Phones::Keep(Vec::new());
        keep.number(&owner, 7, 1, "912 34 567").expect("parsed");
        let Phones::Keep(kept) = keep else {
            panic!("keeps")
        };
        assert_eq!(
            kept,
            vec![ParsedPhone {
                row: 7,
                index: 1,
                digits: 4_791_234_567
            }]
        );
    }

    #[tokio::test]
    async fn both_runs_the_two_futures_together() {
        // Each waits for what the other sends: done one after the other, neither ends.
        let (to_b, from_a) = tokio::sync::oneshot::channel::<u8>();
        let (to_a, from_b) = tokio::sync::oneshot::channel::<u8>();
        let a = async move {
            let _ = to_b.send(1);
            from_b.await.expect("b sent")
        };
        let b = async move {
            let got = from_a.await.expect("a sent");
            let _ = to_a.send(got + 1);
            got
        };
        assert_eq!(both(a, b).await, (2, 1));
    }
}
