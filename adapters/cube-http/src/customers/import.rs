//! Bringing customers into work: importing rows (a spreadsheet sent as JSON) into a data
//! owner and one of its assignments, and enrolling existing customers in an assignment.
//!
//! An import checks every row; bad rows come back with their row number (1 = the first
//! row sent) and reason, and the good ones are written in one unit of work: all of them or
//! none. A row whose *shape* is wrong (an unknown key, a missing `name`) is a malformed
//! request instead, refused as a whole with the row's index in the message.
//!
//! A row matching an existing customer (same external id, else same phone) updates it with
//! the row's values by default (`on_match: "update"`), or leaves it as it is
//! (`on_match: "skip"`); the answer says per row what happened.

use super::records::{CustomerRequest, DatasetDto};
use crate::AppState;
use crate::auth::Actor;
use crate::error::invalid_field;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_app::AppError;
use cube_app::customers::{EnrollReport, ImportCommand, ImportReport};
use cube_domain::ids::{AssignmentId, CustomerId, DataOwnerId, SegmentId};
use cube_domain::ports::{OnMatch, RowCustomer};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The most rows one import request may carry.
pub const MAX_IMPORT_ROWS: usize = 50_000;
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
    /// The rows, 1 to 50 000. Rows matching an existing customer (same external id, else
    /// same phone) are enrolled, not duplicated.
    pub rows: Vec<CustomerRequest>,
    /// What a row matching an existing customer does to it: `update` (the default) writes
    /// the row's name and every value the row gives (an empty cell keeps what is there);
    /// `skip` leaves the customer as it is.
    #[serde(default)]
    pub on_match: OnMatchDto,
}

impl ImportRequest {
    /// The use case's command.
    pub fn into_command(self) -> ImportCommand {
        ImportCommand {
            assignment: AssignmentId::from_uuid(self.assignment),
            dataset: self.dataset.into(),
            segment: self.segment.map(SegmentId::from_uuid),
            rows: self
                .rows
                .into_iter()
                .map(CustomerRequest::into_input)
                .collect(),
            on_match: self.on_match.into(),
        }
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
    /// An existing customer, updated with the row.
    Updated,
    /// An existing customer, left as it was (`on_match: "skip"`).
    Skipped,
}

impl From<RowCustomer> for RowOutcomeDto {
    fn from(outcome: RowCustomer) -> Self {
        match outcome {
            RowCustomer::Created => RowOutcomeDto::Imported,
            RowCustomer::Updated => RowOutcomeDto::Updated,
            RowCustomer::Skipped => RowOutcomeDto::Skipped,
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
    /// Imported (new), updated or skipped.
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
    /// Rows that matched an existing customer: `updated` + `skipped`.
    pub matched: usize,
    /// Matched customers updated with their row.
    pub updated: usize,
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
}

impl From<ImportReport> for ImportReportDto {
    fn from(r: ImportReport) -> Self {
        Self {
            imported: r.created.saturating_add(r.matched),
            created: r.created,
            matched: r.matched,
            updated: r.updated,
            skipped: r.skipped,
            enrolled: r.enrolled,
            already_enrolled: r.already_enrolled,
            rejected: r
                .rejected
                .into_iter()
                .map(|r| RejectedRowDto {
                    row: r.row,
                    reason: r.reason,
                })
                .collect(),
            rows: r
                .rows
                .into_iter()
                .map(|r| ImportedRowDto {
                    row: r.row,
                    customer: r.customer.as_uuid(),
                    result: r.outcome.into(),
                    enrolled: r.enrolled,
                })
                .collect(),
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
    ApiJson(request): ApiJson<ImportRequest>,
) -> ApiResult<Json<ImportReportDto>> {
    if request.rows.is_empty() {
        return Err(invalid_field("rows", "send at least one row"));
    }
    if request.rows.len() > MAX_IMPORT_ROWS {
        return Err(invalid_field(
            "rows",
            format!(
                "at most {MAX_IMPORT_ROWS} rows per request, got {}; split the file",
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
    let report = state
        .cube
        .import_customers(&actor.user, request.into_command())
        .await?;
    Ok(Json(ImportReportDto::from(report)))
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
