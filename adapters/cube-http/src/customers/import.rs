//! Bringing customers into work: importing rows (a spreadsheet sent as JSON) into a data
//! owner and one of its assignments, and enrolling existing customers in an assignment.
//!
//! An import checks every row; bad rows come back with their row number (1 = the first
//! row sent) and reason, and the good ones are written in chunks of 2,000 rows, a unit of
//! work each, so other users keep working while a large file goes in: up to a chunk, all of
//! them or none; a larger import that stops part-way says how many rows went in (sending the
//! file again finishes it). A row whose *shape* is wrong (an unknown key, a missing `name`)
//! is a malformed request instead, refused as a whole with the row's index in the message.
//!
//! `POST …/customers/import` answers when every row is written. For a large file,
//! `POST …/customers/import-jobs` checks the same request, answers `202 Accepted` at once
//! with the job (`Location: /api/import-jobs/{id}`), and writes in the background; `GET` the
//! job for its progress and, once done, the same report (jobs are kept in the server's
//! memory for an hour).
//!
//! A row matching an existing customer (same external id, else — a company — same
//! organisation number, else same phone; `match_by` chooses which of these keys match)
//! updates it with the row's values by default (`on_match: "update"`), or leaves it as it is
//! (`on_match: "skip"`); the answer says per row what happened.

use super::records::{CustomerRequest, DatasetDto};
use crate::AppState;
use crate::auth::Actor;
use crate::error::invalid_field;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::AppError;
use cube_app::customers::{EnrollReport, ImportCommand, ImportReport};
use cube_app::import_jobs::{ImportJob, ImportJobError, ImportJobId, ImportJobState};
use cube_domain::ids::{AssignmentId, CustomerId, DataOwnerId, SegmentId};
use cube_domain::import_match::{MatchKey, MatchKeys};
use cube_domain::ports::{OnMatch, RowCustomer};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// The most rows one import request may carry.
pub const MAX_IMPORT_ROWS: usize = 50_000;
/// The most rows one import job may carry (its body is bounded at 32 MiB as well).
pub const MAX_IMPORT_JOB_ROWS: usize = 200_000;
/// The most customers one enroll request may name.
pub const MAX_ENROLL: usize = 10_000;

/// Rows to import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The assignment of this data owner to enroll the customers in (its initial state).
    /// Required: an import always feeds an assignment.
    pub assignment: Uuid,
    /// Companies (`b2b`) or persons (`b2c`): the dataset every row belongs to.
    pub dataset: DatasetDto,
    /// A segment of the assignment to put the new enrollments in.
    #[serde(default)]
    pub segment: Option<Uuid>,
    /// The rows, 1 to 50 000. Rows matching an existing customer (same external id, else —
    /// a company — same organisation number, else same phone; as `match_by` chooses) are
    /// enrolled, not duplicated.
    pub rows: Vec<CustomerRequest>,
    /// What a row matching an existing customer does to it: `update` (the default) writes
    /// the row's name and every value the row gives (an empty cell keeps what is there);
    /// `skip` leaves the customer as it is.
    #[serde(default)]
    pub on_match: OnMatchDto,
    /// The keys a row is matched to an existing customer by, tried in this order whatever
    /// order they are listed in: `external_id`, `registry_number` (a company's organisation
    /// number; `NO 912 345 678 MVA` and `912345678` are one number), `phone`. All three if
    /// left out; at least one. A row whose key that is not matched by belongs to a customer
    /// is rejected rather than give the key to a second customer.
    #[serde(default = "all_match_keys")]
    #[schema(default = json!(["external_id", "registry_number", "phone"]))]
    pub match_by: Vec<MatchKeyDto>,
}

/// Every key, the default of `match_by`.
fn all_match_keys() -> Vec<MatchKeyDto> {
    vec![
        MatchKeyDto::ExternalId,
        MatchKeyDto::RegistryNumber,
        MatchKeyDto::Phone,
    ]
}

/// A key an import row is matched to an existing customer by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKeyDto {
    /// The external id.
    ExternalId,
    /// A company's organisation number.
    RegistryNumber,
    /// A phone number.
    Phone,
}

impl From<MatchKeyDto> for MatchKey {
    fn from(value: MatchKeyDto) -> Self {
        match value {
            MatchKeyDto::ExternalId => MatchKey::ExternalId,
            MatchKeyDto::RegistryNumber => MatchKey::RegistryNumber,
            MatchKeyDto::Phone => MatchKey::Phone,
        }
    }
}

/// A choice of keys as the use case takes it; none at all is a 422 saying what to send.
pub(crate) fn match_keys(keys: impl IntoIterator<Item = MatchKey>) -> ApiResult<MatchKeys> {
    MatchKeys::of(keys).map_err(|error| ApiError::Malformed {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        detail: error.to_string(),
    })
}

impl ImportRequest {
    /// The use case's command; refused when `match_by` names no key.
    pub fn into_command(self) -> ApiResult<ImportCommand> {
        let match_by = match_keys(self.match_by.iter().map(|k| MatchKey::from(*k)))?;
        Ok(ImportCommand {
            assignment: AssignmentId::from_uuid(self.assignment),
            dataset: self.dataset.into(),
            segment: self.segment.map(SegmentId::from_uuid),
            rows: self
                .rows
                .into_iter()
                .map(CustomerRequest::into_input)
                .collect(),
            on_match: self.on_match.into(),
            match_by,
            row_numbers: Vec::new(),
        })
    }
}

/// What a row matching an existing customer does to it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnMatchDto {
    /// Update the customer with the row's values.
    #[default]
    Update,
    /// Leave the customer as it is.
    Skip,
}

impl From<OnMatchDto> for OnMatch {
    fn from(value: OnMatchDto) -> Self {
        match value {
            OnMatchDto::Update => OnMatch::Update,
            OnMatchDto::Skip => OnMatch::Skip,
        }
    }
}

/// What became of a row's customer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcomeDto {
    /// A new customer.
    Imported,
    /// An existing customer, updated with the row (it changed something).
    Updated,
    /// An existing customer the row says nothing new about (as when a file is sent
    /// again): nothing written.
    Unchanged,
    /// An existing customer, left as it was (`on_match: "skip"`).
    Skipped,
}

impl RowOutcomeDto {
    /// A taken row's outcome; `None` for a refused row (the report lists it as rejected).
    fn of(outcome: RowCustomer) -> Option<Self> {
        match outcome {
            RowCustomer::Created => Some(RowOutcomeDto::Imported),
            RowCustomer::Updated => Some(RowOutcomeDto::Updated),
            RowCustomer::Unchanged => Some(RowOutcomeDto::Unchanged),
            RowCustomer::Skipped => Some(RowOutcomeDto::Skipped),
            RowCustomer::Refused => None,
        }
    }
}

/// A row the import took.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportedRowDto {
    /// The row number: 1 is the first row sent.
    pub row: usize,
    /// The customer the row is.
    pub customer: Uuid,
    /// Imported (new), updated, unchanged or skipped.
    pub result: RowOutcomeDto,
    /// Enrolled now; false when the customer was in the assignment already.
    pub enrolled: bool,
}

/// A row the import did not take.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RejectedRowDto {
    /// The row number: 1 is the first row sent.
    pub row: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReportDto {
    /// Rows taken: `created` + `matched`.
    pub imported: usize,
    /// New customers created.
    pub created: usize,
    /// Rows that matched an existing customer: `updated` + `unchanged` + `skipped`.
    pub matched: usize,
    /// Matched customers updated with their row (it changed something).
    pub updated: usize,
    /// Matched customers the row would not change (it says what they hold already, as
    /// when a file is sent again): nothing written.
    pub unchanged: usize,
    /// Matched customers left as they were.
    pub skipped: usize,
    /// Customers newly enrolled in the assignment.
    pub enrolled: usize,
    /// Customers that were in the assignment already.
    pub already_enrolled: usize,
    /// Rows not taken, in row order.
    pub rejected: Vec<RejectedRowDto>,
    /// Rows taken, in row order, with what became of each.
    pub rows: Vec<ImportedRowDto>,
    /// The import's record, to undo it by (`POST /api/imports/{id}/undo`); `null` when no
    /// row was written.
    pub import: Option<Uuid>,
}

impl From<ImportReport> for ImportReportDto {
    fn from(r: ImportReport) -> Self {
        Self {
            imported: r.created.saturating_add(r.matched),
            created: r.created,
            matched: r.matched,
            updated: r.updated,
            unchanged: r.unchanged,
            skipped: r.skipped,
            enrolled: r.enrolled,
            already_enrolled: r.already_enrolled,
            rejected: r
                .rejected
                .into_iter()
                .map(|r| RejectedRowDto {
                    row: r.row,
                    reason: r.reason.to_string(),
                })
                .collect(),
            rows: r
                .rows
                .into_iter()
                .filter_map(|r| {
                    Some(ImportedRowDto {
                        row: r.row,
                        customer: r.customer.as_uuid(),
                        result: RowOutcomeDto::of(r.outcome)?,
                        enrolled: r.enrolled,
                    })
                })
                .collect(),
            import: r.import.map(|id| id.as_uuid()),
        }
    }
}

/// Customers to enroll.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// Customers of the assignment's data owner, 1 to 10 000.
    pub customers: Vec<Uuid>,
    /// A segment of the assignment to put them in.
    #[serde(default)]
    pub segment: Option<Uuid>,
}

/// What enrolling did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollReportDto {
    /// Newly enrolled.
    pub enrolled: usize,
    /// In the assignment already.
    pub already_enrolled: usize,
}

impl From<EnrollReport> for EnrollReportDto {
    fn from(r: EnrollReport) -> Self {
        Self {
            enrolled: r.enrolled,
            already_enrolled: r.already_enrolled,
        }
    }
}

/// Imports customers into a data owner and enrolls them in one of its assignments.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/customers/import", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body(content = ImportRequest, description = "Up to 32 MiB of JSON"),
    responses(
        (status = 200, description = "Imported; bad rows listed with their numbers (nothing of them written)", body = ImportReportDto),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner, assignment of it, or segment", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 32 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No rows, too many rows, or a row of the wrong shape", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn import(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    request: Request,
) -> ApiResult<Json<ImportReportDto>> {
    let request = body_after_access(&state, &actor, id, request).await?;
    let command = checked_command(&state, &actor, id, request, MAX_IMPORT_ROWS).await?;
    let report = state.cube.import_customers(&actor.user, command).await?;
    Ok(Json(ImportReportDto::from(report)))
}

/// The import's JSON body, read only once the caller may manage the data owner the path
/// names: a caller who may not import makes the server buffer and parse none of the (up to
/// 32 MiB) body. Which assignment it names is checked after (it is in the body).
async fn body_after_access(
    state: &AppState,
    actor: &Actor,
    id: DataOwnerId,
    request: Request,
) -> ApiResult<ImportRequest> {
    state.cube.data_owner(&actor.user, id).await?;
    let too_large = || ApiError::Malformed {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        detail: "the import is larger than 32 MiB; send its rows in several requests, or send \
                 the spreadsheet itself to `…/customers/import-file`"
            .to_owned(),
    };
    // A declared length over the limit is refused before a byte is read.
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > super::IMPORT_BODY_LIMIT as u64) {
        return Err(too_large());
    }
    match ApiJson::<ImportRequest>::from_request(request, state).await {
        Ok(ApiJson(body)) => Ok(body),
        Err(ApiError::Malformed { status, .. }) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(too_large())
        }
        Err(error) => Err(error),
    }
}

/// The request as the use case's command, once its size is within `max_rows` and its
/// assignment is one of the data owner the path names.
async fn checked_command(
    state: &AppState,
    actor: &Actor,
    id: DataOwnerId,
    request: ImportRequest,
    max_rows: usize,
) -> ApiResult<ImportCommand> {
    if request.rows.is_empty() {
        return Err(invalid_field("rows", "send at least one row"));
    }
    if request.rows.len() > max_rows {
        return Err(invalid_field(
            "rows",
            format!(
                "at most {max_rows} rows per request, got {}; split the file",
                request.rows.len()
            ),
        ));
    }
    let assignment_id = AssignmentId::from_uuid(request.assignment);
    // The import use case is keyed by the assignment and writes into *its* data owner; this
    // read makes sure that is the data owner the path names, so a client cannot import into
    // one data owner through another's URL. Access is checked again by the import itself.
    let assignment = state.cube.assignment(&actor.user, assignment_id).await?;
    if assignment.data_owner() != id {
        return Err(AppError::NotFound("assignment of this data owner").into());
    }
    request.into_command()
}

/// Where an import job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportJobStatusDto {
    /// Writing.
    Running,
    /// Every row written; `report` says what became of each.
    Done,
    /// Stopped; `error` says why and how many rows went in.
    Failed,
    /// Cancelled by a user (`POST /api/import-jobs/{id}/cancel`) between two chunks;
    /// `rows_done` went in and stay, recorded with `import` (undo it to take them out).
    Cancelled,
}

/// Why a job stopped: the problem its request would have got.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobErrorDto {
    /// The HTTP status the same import would have answered.
    pub status: u16,
    /// What went wrong and what to do.
    pub detail: String,
}

/// An import job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportJobDto {
    /// The id (`GET /api/import-jobs/{id}`).
    pub id: Uuid,
    /// The assignment the rows go into.
    pub assignment: Uuid,
    /// The import's record, to undo it by (`POST /api/imports/{id}/undo`) once the job
    /// ended — also one that stopped part-way: what it wrote is recorded.
    pub import: Uuid,
    /// Who started it.
    pub started_by: Uuid,
    /// When it started (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    /// When it ended (RFC 3339); `null` while running.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
    /// Running, done or failed.
    pub status: ImportJobStatusDto,
    /// Rows written so far (whole chunks).
    pub rows_done: usize,
    /// Rows to write: the rows sent less the rejected ones.
    pub rows_total: usize,
    /// Rows not taken; their numbers and reasons are in the report.
    pub rejected: usize,
    /// Once done: what the import did, as `POST …/customers/import` answers it (for a CSV
    /// file, its `rows` lists the first 10,000 rows written; the counts cover all).
    pub report: Option<ImportReportDto>,
    /// Once failed: why.
    pub error: Option<JobErrorDto>,
}

impl From<ImportJob> for ImportJobDto {
    fn from(job: ImportJob) -> Self {
        let (status, rows_done, rows_total, report, error) = match job.state {
            ImportJobState::Running(p) => (
                ImportJobStatusDto::Running,
                p.rows_done,
                p.rows_total,
                None,
                None,
            ),
            ImportJobState::Done(report) => {
                // Every row written (a streamed import's report lists only the first rows).
                let rows = report.created + report.matched;
                let report = ImportReportDto::from((*report).clone());
                (ImportJobStatusDto::Done, rows, rows, Some(report), None)
            }
            ImportJobState::Failed(error) => {
                let (done, total) = match &error {
                    AppError::ImportStopped {
                        imported, total, ..
                    } => (*imported, *total),
                    _ => (0, 0),
                };
                let cancelled = matches!(
                    &error,
                    AppError::ImportStopped { cause, .. }
                        if **cause == AppError::ImportJob(ImportJobError::Cancelled)
                );
                let (status, detail) = ApiError::App(error).status_and_detail();
                let error = JobErrorDto {
                    status: status.as_u16(),
                    detail,
                };
                let status = if cancelled {
                    ImportJobStatusDto::Cancelled
                } else {
                    ImportJobStatusDto::Failed
                };
                (status, done, total, None, Some(error))
            }
        };
        Self {
            id: job.id.as_uuid(),
            assignment: job.assignment.as_uuid(),
            import: job.import.as_uuid(),
            started_by: job.started_by.as_uuid(),
            started_at: job.started_at,
            finished_at: job.finished_at,
            status,
            rows_done,
            rows_total,
            rejected: job.rejected,
            report,
            error,
        }
    }
}

/// Starts importing a large file in the background: the request is checked as
/// `POST …/customers/import` checks it (access, every row), the answer comes at once, and
/// the rows are written chunk by chunk while other users keep working.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/customers/import-jobs", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body(content = ImportRequest, description = "Up to 32 MiB of JSON, up to 200 000 rows"),
    responses(
        (status = 202, description = "Started; `Location` names the job to follow", body = ImportJobDto),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner, assignment of it, or segment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The organisation runs two imports already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 32 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No rows, too many rows, or a row of the wrong shape", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn start_job(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    request: Request,
) -> ApiResult<Response> {
    let request = body_after_access(&state, &actor, id, request).await?;
    let command = checked_command(&state, &actor, id, request, MAX_IMPORT_JOB_ROWS).await?;
    let (job, run) = state
        .import_jobs
        .start(&state.cube, &actor.user, command)
        .await?;
    Ok(started(job, run))
}

/// Runs a started job in the background and answers `202 Accepted` with the job and its
/// `Location` (the JSON import's jobs and the file import's).
pub(crate) fn started(job: ImportJob, run: cube_app::import_jobs::ImportJobRun) -> Response {
    // Not under the request's time limit: the job outlives the request.
    tokio::spawn(async move {
        let id = run.id();
        if let ImportJobState::Failed(error) = run.run().await {
            tracing::warn!(job = %id, %error, "an import job stopped");
        }
    });
    let location = format!("/api/import-jobs/{}", job.id);
    (
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(ImportJobDto::from(job)),
    )
        .into_response()
}

/// An import job: its progress, and once it ends, its report or why it stopped. Seen by
/// the user who started it and by the organisation's admins.
#[utoipa::path(
    get, path = "/api/import-jobs/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "The import job")),
    responses(
        (status = 200, description = "The job", body = ImportJobDto),
        (status = 404, description = "No such job (or another's, or older than an hour, or from before the server restarted)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn job(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ImportJobDto>> {
    let job = state
        .import_jobs
        .job(&actor.user, ImportJobId::from_uuid(id), state.cube.now())?;
    Ok(Json(ImportJobDto::from(job)))
}

/// Cancels a running import job read from a CSV file: it stops before its next chunk (a
/// chunk of 2,000 rows is written whole or not at all). The rows written stay, recorded with
/// the job's `import`: `POST /api/imports/{import}/undo` takes them out. Answers the job as it
/// is now (still `running` until the chunk being written is done; `GET` it to see it
/// `cancelled`).
#[utoipa::path(
    post, path = "/api/import-jobs/{id}/cancel", tag = "customers",
    params(("id" = Uuid, Path, description = "The import job")),
    responses(
        (status = 202, description = "Asked to stop; the job as it is now", body = ImportJobDto),
        (status = 404, description = "No such job (or another's, or older than an hour, or from before the server restarted)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The job has ended already, or it writes rows sent as JSON (those are not cancelled)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let job =
        state
            .import_jobs
            .cancel(&actor.user, ImportJobId::from_uuid(id), state.cube.now())?;
    Ok((StatusCode::ACCEPTED, Json(ImportJobDto::from(job))).into_response())
}

/// The rows an import job did not take, as a CSV file (`;`, UTF-8 with BOM, as Excel in
/// Norway opens it): each row's number as the user sees it in the file, and the reason.
#[utoipa::path(
    get, path = "/api/import-jobs/{id}/rejected", tag = "customers",
    params(("id" = Uuid, Path, description = "The import job")),
    responses(
        (status = 200, description = "CSV: a header (`row;reason`), then a line per rejected row in row order (none if every row was taken)", body = String, content_type = "text/csv"),
        (status = 404, description = "No such job (or another's, or older than an hour, or from before the server restarted)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn rejected_rows(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let job = state
        .import_jobs
        .job(&actor.user, ImportJobId::from_uuid(id), state.cube.now())?;
    let body =
        cube_sheets::write::rejected_rows_csv(&job.rejected_rows, ["row", "reason"], |reason| {
            reason.to_string()
        });
    let disposition = format!("attachment; filename=\"rejected-rows-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// Enrolls existing customers of the data owner in an assignment (its initial state).
#[utoipa::path(
    post, path = "/api/assignments/{id}/enrollments", tag = "customers",
    params(("id" = Uuid, Path, description = "The assignment")),
    request_body = EnrollRequest,
    responses(
        (status = 200, description = "Enrolled (customers already in the assignment are counted, not changed)", body = EnrollReportDto),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment, segment, or customer of its data owner (nothing enrolled)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No customers, or too many", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn enroll(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiJson(request): ApiJson<EnrollRequest>,
) -> ApiResult<Json<EnrollReportDto>> {
    if request.customers.is_empty() || request.customers.len() > MAX_ENROLL {
        return Err(invalid_field(
            "customers",
            format!(
                "name 1 to {MAX_ENROLL} customers, got {}",
                request.customers.len()
            ),
        ));
    }
    let customers: Vec<CustomerId> = request
        .customers
        .into_iter()
        .map(CustomerId::from_uuid)
        .collect();
    let report = state
        .cube
        .enroll(
            &actor.user,
            id,
            &customers,
            request.segment.map(SegmentId::from_uuid),
        )
        .await?;
    Ok(Json(EnrollReportDto::from(report)))
}
