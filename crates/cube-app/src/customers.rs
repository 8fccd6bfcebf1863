//! Customers: added one by one or imported in batches (deduplicated by external id, then by
//! organisation number, then by phone, each as chosen; a matching row updates the customer — `unchanged` when it would change nothing —
//! or is skipped, as the caller chooses; a row whose phone belongs to another customer than
//! the one it is is rejected: `cube_domain::import_match`), and enrolled in assignments. An import checks every row, rejects the bad ones
//! with a reason each, and writes the good ones in chunks of [`IMPORT_CHUNK_ROWS`], a unit
//! of work each (all of them or none up to a chunk; a larger import that stops part-way
//! says how many rows went in, and sending the file again finishes it without duplicates).
//!
//! Each chunk also records, in its own unit of work, the customers and enrollments it
//! CREATED (`cube_domain::customer_import`), so the record names exactly what was committed
//! and the import can be undone (`crate::imports`); customers it only updated are not
//! recorded, and are not undone.

use crate::flows::flow_of;
pub use crate::rejected_rows::RejectedRow;
use crate::rejected_rows::{CustomerInputError, RejectReason};
use crate::setup::{managed_owner, not_found_as};
use crate::streamed_imports::{CHECKS_BETWEEN_YIELDS, both, yield_now};
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::customer::{
    Customer, CustomerDetails, CustomerError, CustomerFilter, DuplicateCustomer,
};
use cube_domain::customer_import::CustomerImport;
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::{FieldKey, FieldValues};
use cube_domain::ids::{AssignmentId, CustomerId, DataOwnerId, EnrollmentId, ImportId, SegmentId};
use cube_domain::import_match::MatchKeys;
use cube_domain::ports::ReadUnit;
use cube_domain::ports::{
    ImportBatch, ImportCounts, ImportRow, OnMatch, Page, RowCustomer, StoreError,
};
use cube_domain::values::{Email, Name, PhoneNumber, ValueError};
use std::collections::BTreeMap;

/// A customer as typed in or read from a spreadsheet row: text to be parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerInput {
    /// Company or person name.
    pub name: String,
    /// Phone numbers (E.164, spaces allowed).
    pub phones: Vec<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Organisation or person number.
    pub registry_number: Option<String>,
    /// The id in the source system.
    pub external_id: Option<String>,
    /// Optional CRM field values as text, by field key.
    pub fields: BTreeMap<String, String>,
}

/// What an import did with one row it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedRowReport {
    /// The row number (1 = first data row).
    pub row: usize,
    /// The customer the row is now.
    pub customer: CustomerId,
    /// Created, updated, unchanged or skipped (never refused: a refused row is rejected).
    pub outcome: RowCustomer,
    /// Enrolled now (else it was in the assignment already).
    pub enrolled: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// New customers created.
    pub created: usize,
    /// Rows that matched an existing customer (by external id or phone).
    pub matched: usize,
    /// Matched customers updated with their row (it changed something).
    pub updated: usize,
    /// Matched customers the row would not change (it says what they hold already, as when
    /// a file is sent again): nothing written.
    pub unchanged: usize,
    /// Matched customers left as they were (the caller chose to skip matches).
    pub skipped: usize,
    /// Customers newly enrolled in the assignment.
    pub enrolled: usize,
    /// Customers that were in the assignment already.
    pub already_enrolled: usize,
    /// Rows rejected, with reasons.
    pub rejected: Vec<RejectedRow>,
    /// The rows taken, in file order: what became of each.
    pub rows: Vec<ImportedRowReport>,
    /// The import's record (what it created, for an undo); `None` when no row was written.
    pub import: Option<ImportId>,
}

/// What enrolling a list of customers did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrollReport {
    /// Newly enrolled.
    pub enrolled: usize,
    /// In the assignment already.
    pub already_enrolled: usize,
}

/// Parses a customer input against the data owner's field definitions.
pub fn parse_customer(
    id: CustomerId,
    owner: &DataOwner,
    dataset: Dataset,
    input: &CustomerInput,
) -> AppResult<Customer> {
    Ok(parse_input(id, owner, dataset, input)?)
}

/// [`parse_customer`]'s refusal as it is: an import rejects the row with it
/// ([`RejectReason::Invalid`]).
fn parse_input(
    id: CustomerId,
    owner: &DataOwner,
    dataset: Dataset,
    input: &CustomerInput,
) -> Result<Customer, CustomerInputError> {
    parse_customer_with(id, owner, dataset, input, &mut |_, raw| {
        owner.parse_phone(raw)
    })
}

/// [`parse_customer`] with its phone numbers read by `phone` (the number's place in the
/// input and its text): a streamed import's second pass takes the numbers its first pass
/// parsed.
pub(crate) fn parse_customer_with(
    id: CustomerId,
    owner: &DataOwner,
    dataset: Dataset,
    input: &CustomerInput,
    phone: &mut dyn FnMut(usize, &str) -> Result<PhoneNumber, ValueError>,
) -> Result<Customer, CustomerInputError> {
    let phones = input
        .phones
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.trim().is_empty())
        .map(|(i, p)| phone(i, p).map_err(|e| e.at(format!("phones[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    let non_empty = |s: &Option<String>| {
        s.as_ref()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let email = non_empty(&input.email)
        .map(|e| Email::parse(&e))
        .transpose()
        .map_err(|e| e.at("email"))?;
    let details = CustomerDetails {
        name: Name::parse(&input.name).map_err(|e| e.at("name"))?,
        phones,
        email,
        address: non_empty(&input.address),
        registry_number: non_empty(&input.registry_number)
            .map(|n| owner.parse_registry_number(dataset, &n))
            .transpose()
            .map_err(|e| e.at("registry_number"))?,
        external_id: non_empty(&input.external_id),
    };
    let definitions = owner.fields(dataset);
    let mut fields = FieldValues::new();
    for (key, raw) in &input.fields {
        if raw.trim().is_empty() {
            continue;
        }
        let key = FieldKey::parse(key)?;
        let definition = definitions
            .iter()
            .find(|d| d.key() == &key)
            .ok_or_else(|| CustomerError::UnknownField {
                dataset,
                key: key.clone(),
            })?;
        fields.insert(key, definition.parse_text(raw)?);
    }
    Ok(Customer::new(id, owner, dataset, details, fields)?)
}

/// The do-not-call entry of a customer whose number is on the do-not-contact list.
pub(crate) fn listed_entry(
    now: time::OffsetDateTime,
) -> AppResult<cube_domain::contact_policy::standing::DoNotCall> {
    Ok(cube_domain::contact_policy::standing::DoNotCall::new(
        now,
        None,
        cube_domain::privacy::LISTED_REASON,
    )?)
}

impl Cube {
    /// Adds one customer to a data owner (on the do-not-call list when one of its numbers is
    /// on the data owner's do-not-contact list).
    pub async fn add_customer(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        dataset: Dataset,
        input: CustomerInput,
    ) -> AppResult<Customer> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        let mut customer = parse_customer(self.new_id(), &owner, dataset, &input)?;
        check_unique(uow.as_mut(), &customer).await?;
        let phones: Vec<&cube_domain::values::PhoneNumber> =
            customer.details().phones.iter().collect();
        if !crate::privacy::listed_numbers(uow.as_mut(), owner_id, &phones)
            .await?
            .is_empty()
        {
            customer.set_do_not_call(Some(listed_entry(self.now())?));
        }
        uow.save_customer(&customer).await?;
        uow.commit().await?;
        Ok(customer)
    }

    /// Changes a customer's fixed fields and CRM values.
    pub async fn update_customer(
        &self,
        who: impl Into<Acting<'_>>,
        id: CustomerId,
        input: CustomerInput,
    ) -> AppResult<Customer> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut customer = uow
            .customer(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let owner = managed_owner(
            uow.as_mut(),
            &user,
            customer.data_owner(),
            self.now().date(),
        )
        .await
        .map_err(|e| not_found_as(e, "customer"))?;
        crate::card::edit_card(
            uow.as_mut(),
            &user,
            &owner,
            &mut customer,
            &input,
            self.now(),
        )
        .await?;
        uow.commit().await?;
        Ok(customer)
    }

    /// One customer of a data owner the user manages.
    pub async fn customer(
        &self,
        who: impl Into<Acting<'_>>,
        id: CustomerId,
    ) -> AppResult<Customer> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let customer = uow
            .customer(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        managed_owner(
            uow.as_mut(),
            &user,
            customer.data_owner(),
            self.now().date(),
        )
        .await
        .map_err(|e| not_found_as(e, "customer"))?;
        Ok(customer)
    }

    /// A page of the data owner's customers that `filter` matches, oldest first (the
    /// default filter lists every customer).
    pub async fn customers(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        filter: &CustomerFilter,
        page: Page,
    ) -> AppResult<Vec<Customer>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        Ok(uow.customers(owner_id, filter, page).await?)
    }

    /// Imports rows into the assignment's data owner and enrolls them in the assignment
    /// (in `segment`, if given). Bad rows are rejected with a reason; the rest are written
    /// in chunks of [`IMPORT_CHUNK_ROWS`], each chunk one unit of work, so a large file does
    /// not hold the store's write lock while other users work. Up to a chunk, the import is
    /// all or nothing; a larger one that fails part-way answers [`AppError::ImportStopped`]
    /// with how many rows went in. A row matching an existing customer updates it with the
    /// row's values, or leaves it as it is, as `on_match` says.
    pub async fn import_customers(
        &self,
        who: impl Into<Acting<'_>>,
        command: ImportCommand,
    ) -> AppResult<ImportReport> {
        self.import_customers_with_progress(who, command, &mut |_| {})
            .await
    }

    /// [`Cube::import_customers`], telling `progress` after each chunk is committed (an
    /// import job shows it).
    pub async fn import_customers_with_progress(
        &self,
        who: impl Into<Acting<'_>>,
        command: ImportCommand,
        progress: &mut (dyn FnMut(ImportProgress) + Send),
    ) -> AppResult<ImportReport> {
        let who = who.into();
        let plan = self.plan_import(who, command).await?;
        self.write_import(who, plan, progress).await
    }

    /// Writes a checked import chunk by chunk (see [`Cube::import_customers`]), telling
    /// `progress` after each chunk is committed.
    pub async fn write_import(
        &self,
        who: impl Into<Acting<'_>>,
        plan: ImportPlan,
        progress: &mut (dyn FnMut(ImportProgress) + Send),
    ) -> AppResult<ImportReport> {
        let who = who.into();
        let total = plan.rows.len();
        let mut counts = ImportCounts::default();
        let mut rows = plan.rows.into_iter();
        loop {
            let chunk: Vec<ImportRow> = rows.by_ref().take(IMPORT_CHUNK_ROWS).collect();
            if chunk.is_empty() {
                break;
            }
            let done = counts.rows.len();
            let written = self
                .import_chunk(who, &plan.batch, &plan.record, chunk, done == 0)
                .await;
            match written {
                Ok(chunk_counts) => counts.add(chunk_counts),
                Err(error) if done == 0 => return Err(error),
                Err(error) => {
                    return Err(AppError::ImportStopped {
                        imported: done,
                        total,
                        cause: Box::new(error),
                    });
                }
            }
            progress(ImportProgress {
                rows_done: counts.rows.len(),
                rows_total: total,
            });
        }
        let written = !counts.rows.is_empty();
        let mut report = report(counts, plan.row_numbers, plan.rejected);
        report.import = written.then_some(plan.record.id);
        Ok(report)
    }

    /// Checks an import without writing: the user may manage the assignment, the segment is
    /// the assignment's; then parses and deduplicates every row. [`Cube::write_import`]
    /// writes the plan (an import job checks first, answers, then writes).
    pub async fn plan_import(
        &self,
        who: impl Into<Acting<'_>>,
        command: ImportCommand,
    ) -> AppResult<ImportPlan> {
        let who = who.into();
        let now = self.now();
        let ImportCommand {
            assignment: assignment_id,
            dataset,
            segment,
            rows,
            on_match,
            match_by,
            row_numbers: numbers_in_file,
        } = command;
        let (owner, initial_state, imported_by) = {
            let mut uow = self.begin_read().await?;
            let user = acting(uow.as_mut(), who).await?;
            let assignment = self
                .assignment_for(uow.as_mut(), &user, assignment_id, Need::Manage, now)
                .await?;
            if let Some(segment) = segment
                && !assignment.setup().has_segment(segment)
            {
                return Err(AppError::NotFound("segment"));
            }
            let owner = uow
                .data_owner(assignment.data_owner())
                .await?
                .ok_or(AppError::NotFound("data owner"))?;
            (
                owner,
                flow_of(&self.flows, uow.as_mut(), &assignment)
                    .await?
                    .initial_state(),
                user.id,
            )
        };
        let mut rejected = Vec::new();
        let mut seen = crate::import_keys::SeenKeys::new();
        let mut batch_rows = Vec::with_capacity(rows.len());
        let mut row_numbers = Vec::with_capacity(rows.len());
        // Each input goes once it is parsed: the inputs and the customers are not held
        // whole together. The good rows are asked about against the register (and the
        // do-not-contact list) a chunk at a time, each chunk while the next one is parsed:
        // the store reads while this task parses.
        let mut inputs = rows.into_iter().enumerate();
        let mut asked: Option<(Vec<ImportRow>, Vec<usize>)> = None;
        loop {
            let parse = async {
                let mut chunk = Vec::with_capacity(IMPORT_CHUNK_ROWS);
                let mut numbers = Vec::with_capacity(IMPORT_CHUNK_ROWS);
                let mut parsed = 0usize;
                while chunk.len() < IMPORT_CHUNK_ROWS {
                    let Some((index, input)) = inputs.next() else {
                        break;
                    };
                    parsed += 1;
                    if parsed.is_multiple_of(CHECKS_BETWEEN_YIELDS) {
                        yield_now().await;
                    }
                    let row = numbers_in_file.get(index).copied().unwrap_or(index + 1);
                    let customer = match parse_input(self.new_id(), &owner, dataset, &input) {
                        Ok(customer) => customer,
                        Err(error) => {
                            rejected.push(RejectedRow {
                                row,
                                reason: RejectReason::Invalid(error),
                            });
                            continue;
                        }
                    };
                    if let Err(clash) = seen.claim(&customer, row) {
                        rejected.push(RejectedRow {
                            row,
                            reason: crate::import_keys::clash_reason(clash),
                        });
                        continue;
                    }
                    chunk.push(ImportRow {
                        customer,
                        enrollment: self.new_id(),
                    });
                    numbers.push(row);
                }
                (chunk, numbers)
            };
            let ask = async {
                match asked.take() {
                    Some((chunk, numbers)) => self
                        .registered_chunk(owner.id(), on_match, match_by, chunk, numbers)
                        .await
                        .map(Some),
                    None => Ok(None),
                }
            };
            let ((chunk, numbers), answer) = both(parse, ask).await;
            if let Some((kept, kept_numbers, refused)) = answer? {
                batch_rows.extend(kept);
                row_numbers.extend(kept_numbers);
                rejected.extend(refused);
            }
            if chunk.is_empty() {
                break;
            }
            asked = Some((chunk, numbers));
        }
        rejected.sort_by_key(|r| r.row);
        Ok(ImportPlan {
            record: CustomerImport::new(self.new_id(), owner.id(), assignment_id, imported_by, now),
            batch: ImportBatch {
                data_owner: owner.id(),
                assignment: assignment_id,
                initial_state,
                segment,
                enrolled_at: now,
                rows: Vec::new(),
                on_match,
                match_by,
            },
            rows: batch_rows,
            row_numbers,
            rejected,
        })
    }

    /// One chunk of a plan's good rows checked against the data owner's register as it is
    /// now: the rows it keeps (marked do-not-call where a number is on the do-not-contact
    /// list) with their numbers, and the ones it refuses.
    async fn registered_chunk(
        &self,
        owner: DataOwnerId,
        on_match: OnMatch,
        match_by: MatchKeys,
        mut rows: Vec<ImportRow>,
        mut numbers: Vec<usize>,
    ) -> AppResult<(Vec<ImportRow>, Vec<usize>, Vec<RejectedRow>)> {
        let refused = {
            let numbered: Vec<(usize, &Customer)> = numbers
                .iter()
                .copied()
                .zip(rows.iter().map(|r| &r.customer))
                .collect();
            self.refused_by_register(owner, on_match, match_by, &numbered)
                .await?
        };
        if !refused.is_empty() {
            let refused_rows: std::collections::HashSet<usize> =
                refused.iter().map(|r| r.row).collect();
            (rows, numbers) = rows
                .into_iter()
                .zip(numbers)
                .filter(|(_, row)| !refused_rows.contains(row))
                .unzip();
        }
        self.bar_listed(owner, &mut rows).await?;
        Ok((rows, numbers, refused))
    }

    /// Marks do-not-call the rows' customers with a number on the data owner's
    /// do-not-contact list.
    pub(crate) async fn bar_listed(
        &self,
        owner: DataOwnerId,
        rows: &mut [ImportRow],
    ) -> AppResult<()> {
        let phones: Vec<&cube_domain::values::PhoneNumber> = rows
            .iter()
            .flat_map(|r| r.customer.details().phones.iter())
            .collect();
        let listed = {
            let mut uow = self.begin_read().await?;
            crate::privacy::listed_numbers(uow.as_mut(), owner, &phones).await?
        };
        if !listed.is_empty() {
            let entry = listed_entry(self.now())?;
            for row in rows {
                if row
                    .customer
                    .details()
                    .phones
                    .iter()
                    .any(|p| listed.contains(p))
                {
                    row.customer.set_do_not_call(Some(entry.clone()));
                }
            }
        }
        Ok(())
    }

    /// Writes one chunk in a unit of its own, checking again that the user may still manage
    /// the assignment (a role can be taken away while a large file goes in), and records what
    /// it created in the import's record in the same unit (the `first` chunk records the
    /// import itself).
    pub(crate) async fn import_chunk(
        &self,
        who: Acting<'_>,
        batch: &ImportBatch,
        record: &CustomerImport,
        rows: Vec<ImportRow>,
        first: bool,
    ) -> AppResult<ImportCounts> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who).await?;
        self.assignment_for(
            uow.as_mut(),
            &user,
            batch.assignment,
            Need::Manage,
            self.now(),
        )
        .await?;
        let expected = rows.len();
        let enrollment_ids: Vec<EnrollmentId> = rows.iter().map(|r| r.enrollment).collect();
        let chunk = ImportBatch {
            rows,
            ..batch.clone()
        };
        let counts = uow.import_batch(&chunk).await?;
        if counts.rows.len() != expected {
            return Err(AppError::Store(StoreError::Corrupt(format!(
                "the import reported {} of {expected} rows",
                counts.rows.len(),
            ))));
        }
        let (mut customers, mut enrollments) = (Vec::new(), Vec::new());
        for (row, enrollment) in counts.rows.iter().zip(enrollment_ids) {
            if row.outcome == RowCustomer::Created {
                customers.push(row.customer);
            }
            if row.enrolled {
                enrollments.push(enrollment);
            }
        }
        if first {
            let mut record = record.clone();
            record.customers = customers;
            record.enrollments = enrollments;
            uow.record_import(&record).await?;
        } else {
            uow.add_to_import(record.id, &customers, &enrollments)
                .await?;
        }
        self.enqueue_import_webhooks(uow.as_mut(), user.organisation, record, &counts)
            .await?;
        uow.commit().await?;
        Ok(counts)
    }

    /// Enrolls existing customers of the data owner in the assignment.
    pub async fn enroll(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
        customers: &[CustomerId],
        segment: Option<SegmentId>,
    ) -> AppResult<EnrollReport> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let now = self.now();
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Manage, now)
            .await?;
        if let Some(segment) = segment
            && !assignment.setup().has_segment(segment)
        {
            return Err(AppError::NotFound("segment"));
        }
        let initial = flow_of(&self.flows, uow.as_mut(), &assignment)
            .await?
            .initial_state();
        let mut sequence = uow.next_sequence(assignment_id).await?;
        let mut report = EnrollReport::default();
        for customer_id in customers {
            let customer = uow
                .customer(*customer_id)
                .await?
                .filter(|c| c.data_owner() == assignment.data_owner())
                .ok_or(AppError::NotFound("customer"))?;
            if uow
                .enrollment_of(assignment_id, customer.id())
                .await?
                .is_some()
            {
                report.already_enrolled += 1;
                continue;
            }
            let enrollment = Enrollment::new(
                self.new_id(),
                assignment_id,
                customer.id(),
                initial,
                segment,
                sequence,
                now,
            );
            uow.insert_enrollment(&enrollment).await?;
            sequence += 1;
            report.enrolled += 1;
        }
        uow.commit().await?;
        Ok(report)
    }
}

/// One rule for a created and an updated customer: no other customer of the data owner has
/// its external id, (a company's) organisation number or any of its phone numbers (the keys
/// an import matches by). The refusal
/// names the other customer, whom the caller (a manager of the data owner) may see.
pub(crate) async fn check_unique(uow: &mut dyn ReadUnit, customer: &Customer) -> AppResult<()> {
    for key in customer.identity_keys() {
        if let Some(other) = uow
            .find_customer(customer.data_owner(), &key, Some(customer.id()))
            .await?
        {
            return Err(DuplicateCustomer {
                other: other.id(),
                key,
            }
            .into());
        }
    }
    Ok(())
}

/// The most rows written in one unit of work by an import: a chunk holds the write lock for
/// well under a second (SQLite's single writer), so sellers keep working while a large file
/// goes in.
pub const IMPORT_CHUNK_ROWS: usize = 2_000;

/// Rows to import into an assignment's data owner and enroll in the assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportCommand {
    /// The assignment (its data owner receives the customers).
    pub assignment: AssignmentId,
    /// Companies or persons: every row's dataset.
    pub dataset: Dataset,
    /// A segment of the assignment for the new enrollments.
    pub segment: Option<SegmentId>,
    /// The rows, in file order (row 1 first).
    pub rows: Vec<CustomerInput>,
    /// What a row matching an existing customer does to it.
    pub on_match: OnMatch,
    /// The keys a row is matched to an existing customer by (all three unless chosen).
    pub match_by: MatchKeys,
    /// Each row's number as the user knows it (a spreadsheet's row, below its header), for
    /// the report; empty numbers the rows 1, 2, 3….
    pub row_numbers: Vec<usize>,
}

/// How far an import has come: rows written (committed) of the rows taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Rows committed so far.
    pub rows_done: usize,
    /// Rows to write (the rows taken: the file's rows less the rejected ones).
    pub rows_total: usize,
}

/// An import checked and parsed, ready to write ([`Cube::plan_import`]).
#[derive(Debug)]
pub struct ImportPlan {
    /// The import's record, without what it created yet.
    record: CustomerImport,
    /// Everything of the batch but its rows.
    batch: ImportBatch,
    /// The rows taken, in file order.
    rows: Vec<ImportRow>,
    /// Each taken row's number in the file.
    row_numbers: Vec<usize>,
    /// The rows not taken.
    rejected: Vec<RejectedRow>,
}

impl ImportPlan {
    /// The id the import is recorded under (with its first chunk), to undo it by.
    pub fn import(&self) -> ImportId {
        self.record.id
    }
    /// The assignment the rows go into.
    pub fn assignment(&self) -> AssignmentId {
        self.batch.assignment
    }
    /// How many rows will be written (the file's rows less the rejected ones).
    pub fn rows_to_write(&self) -> usize {
        self.rows.len()
    }
    /// The rows not taken, with reasons.
    pub fn rejected(&self) -> &[RejectedRow] {
        &self.rejected
    }
    /// Adds rows refused before the rows were parsed (a file's broken rows), so the report
    /// lists every row not taken, in row order.
    pub fn reject_also(&mut self, rows: impl IntoIterator<Item = RejectedRow>) {
        self.rejected.extend(rows);
        self.rejected.sort_by_key(|r| r.row);
    }
}

/// The report of a written import: each chunk's count of rows was checked as it was
/// written (`import_chunk`), so the rows and their numbers pair up. Rows the store refused
/// (the register changed since the check) join the rejected ones.
fn report(
    counts: ImportCounts,
    row_numbers: Vec<usize>,
    mut rejected: Vec<RejectedRow>,
) -> ImportReport {
    let mut report = counts_report(&counts);
    let (rows, refused) = taken_rows(&counts, &row_numbers);
    report.rows = rows;
    merge_rejected(&mut rejected, refused);
    report.rejected = rejected;
    report
}

/// A report with the counts of `counts` (no rows).
pub(crate) fn counts_report(counts: &ImportCounts) -> ImportReport {
    let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    ImportReport {
        created: count(counts.created),
        matched: count(counts.matched),
        updated: count(counts.updated),
        unchanged: count(counts.unchanged),
        skipped: count(counts.skipped),
        enrolled: count(counts.enrolled),
        already_enrolled: count(counts.already_enrolled),
        rejected: Vec::new(),
        rows: Vec::new(),
        import: None,
    }
}

/// The rows of a written batch (`numbers`: each row's number in the file) the store took,
/// and those it refused as rejected rows.
pub(crate) fn taken_rows(
    counts: &ImportCounts,
    numbers: &[usize],
) -> (Vec<ImportedRowReport>, Vec<RejectedRow>) {
    let refused: Vec<RejectedRow> = counts
        .refused
        .iter()
        .filter_map(|r| {
            Some(RejectedRow {
                row: *numbers.get(r.index)?,
                reason: RejectReason::Register(Box::new(r.conflict.clone())),
            })
        })
        .collect();
    let rows = numbers
        .iter()
        .zip(&counts.rows)
        .filter(|(_, imported)| imported.outcome != RowCustomer::Refused)
        .map(|(row, imported)| ImportedRowReport {
            row: *row,
            customer: imported.customer,
            outcome: imported.outcome,
            enrolled: imported.enrolled,
        })
        .collect();
    (rows, refused)
}

/// Adds `more` rejected rows to `rejected` (in row order), leaving out rows listed already.
pub(crate) fn merge_rejected(rejected: &mut Vec<RejectedRow>, more: Vec<RejectedRow>) {
    if more.is_empty() {
        return;
    }
    let listed: std::collections::HashSet<usize> = rejected.iter().map(|r| r.row).collect();
    rejected.extend(more.into_iter().filter(|r| !listed.contains(&r.row)));
    rejected.sort_by_key(|r| r.row);
}
