//! Bulk work on an assignment's customers: describe a selection (segments, states, CRM field
//! values, attempts), preview it — how many, and which — then act on all of it at once: move
//! to a segment, register one outcome, or remove from the assignment. A bulk action is all
//! or nothing: if one selected customer cannot take it, nothing changes and the problem says
//! how many failed and why. It runs while sellers work: a customer a seller holds (is
//! calling) is left as it is and counted (`held`; the preview says how many are held right
//! now), and so is one a seller's registration took out of the selection meanwhile
//! (`changed_meanwhile`); see `cube_app::bulk`. A selection is also exported (seed 001's "Kontroller"): every
//! selected customer as a row of the customer-status download, as an Excel workbook or CSV.

use crate::AppState;
use crate::auth::Actor;
use crate::dto::{CategoryDto, FieldValueDto, RegisterOutcomeRequest};
use crate::error::invalid_field;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, Problem};
use crate::reports::export::{status_fits, status_table};
use crate::table::{FileFormat, Separator, download, file};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cube_app::AppError;
use cube_app::bulk::{BulkReport, ExportRow};
use cube_domain::bulk::{BulkAction, FieldCondition, Selection};
use cube_domain::fields::{FieldKey, FieldValue};
use cube_domain::ids::{AssignmentId, SegmentId, StateId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The most selected customers a preview lists.
pub const MAX_PREVIEW: usize = 1000;
/// How many a preview lists when not told.
pub const DEFAULT_PREVIEW: usize = 100;

/// A condition on one CRM field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldConditionDto {
    /// The field key.
    pub key: String,
    /// Accepted values, typed as the field is (`{"type": "choice", "value": "Energy"}`).
    #[serde(default)]
    pub values: Vec<FieldValueDto>,
    /// Also accept customers without a value.
    #[serde(default)]
    pub missing: bool,
}

/// Which enrollments of the assignment: every condition given narrows the selection; none
/// selects everyone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionDto {
    /// Only in these segments; `null` inside the list means "in no segment".
    #[serde(default)]
    pub segments: Option<Vec<Option<Uuid>>>,
    /// Only in these states.
    #[serde(default)]
    pub states: Option<Vec<Uuid>>,
    /// Conditions on CRM fields, all of which must hold.
    #[serde(default)]
    pub fields: Vec<FieldConditionDto>,
    /// At least this many attempts.
    #[serde(default)]
    pub min_attempts: Option<u32>,
    /// At most this many attempts.
    #[serde(default)]
    pub max_attempts: Option<u32>,
}

impl SelectionDto {
    /// The domain's selection; a bad field key, date or attempts range names the field.
    pub fn into_domain(self) -> ApiResult<Selection> {
        if let (Some(min), Some(max)) = (self.min_attempts, self.max_attempts)
            && min > max
        {
            return Err(invalid_field(
                "selection.max_attempts",
                format!("must not be below `min_attempts` ({min}), got {max}"),
            ));
        }
        let mut fields = Vec::with_capacity(self.fields.len());
        for (i, condition) in self.fields.into_iter().enumerate() {
            let key = FieldKey::parse(&condition.key)
                .map_err(|e| invalid_field(format!("selection.fields[{i}].key"), e))?;
            let name = format!("selection.fields[{i}].values");
            let values = condition
                .values
                .into_iter()
                .map(|v| FieldValue::try_from(v).map_err(|e| invalid_field(&name, e)))
                .collect::<ApiResult<_>>()?;
            fields.push(FieldCondition {
                key,
                values,
                missing: condition.missing,
            });
        }
        Ok(Selection {
            segments: self
                .segments
                .map(|s| s.into_iter().map(|s| s.map(SegmentId::from_uuid)).collect()),
            states: self
                .states
                .map(|s| s.into_iter().map(StateId::from_uuid).collect()),
            fields,
            min_attempts: self.min_attempts,
            max_attempts: self.max_attempts,
        })
    }
}

/// A selection to preview.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionRequest {
    /// Which enrollments.
    #[serde(default)]
    pub selection: SelectionDto,
    /// How many of them to list, 0 to 1000 (0: only count); default 100.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A selection to export, and the file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionExportRequest {
    /// Which enrollments (all of them if empty).
    #[serde(default)]
    pub selection: SelectionDto,
    /// `xlsx` (default) or `csv`.
    #[serde(default)]
    pub format: Option<FileFormat>,
    /// For CSV: `comma` (default) or `semicolon` (what Excel expects in Norway).
    #[serde(default)]
    pub separator: Option<Separator>,
}

/// One selected customer in the assignment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SelectedDto {
    /// The enrollment.
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// The customer's name.
    pub name: String,
    /// The state.
    pub state: Uuid,
    /// The state's category.
    pub category: CategoryDto,
    /// The segment, if any.
    pub segment: Option<Uuid>,
    /// Contact attempts so far.
    pub attempts: u32,
}

impl From<&ExportRow> for SelectedDto {
    fn from(row: &ExportRow) -> Self {
        Self {
            enrollment: row.enrollment.id().as_uuid(),
            customer: row.customer.id().as_uuid(),
            name: row.customer.details().name.to_string(),
            state: row.enrollment.state().as_uuid(),
            category: row.enrollment.category().into(),
            segment: row.enrollment.segment().map(|s| s.as_uuid()),
            attempts: row.enrollment.attempts(),
        }
    }
}

/// A selection: how many, and the first of them in import order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SelectionPreviewDto {
    /// How many enrollments are selected.
    pub count: usize,
    /// How many of them a seller holds right now (is calling): a bulk action would leave
    /// them as they are.
    pub held: usize,
    /// The first `limit` of them.
    pub items: Vec<SelectedDto>,
    /// True when `items` does not list them all.
    pub truncated: bool,
}

/// What to do with every selected customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BulkActionDto {
    /// Move them to a segment (`segment: null` takes them out of any segment).
    MoveToSegment {
        /// The segment.
        #[serde(default)]
        segment: Option<Uuid>,
    },
    /// Register the same outcome on each, as the manager (no products or meetings).
    RegisterOutcome(Box<RegisterOutcomeRequest>),
    /// Take them out of the assignment (the outcome log keeps their history).
    Remove,
}

impl BulkActionDto {
    fn into_domain(self) -> ApiResult<BulkAction> {
        Ok(match self {
            BulkActionDto::MoveToSegment { segment } => {
                BulkAction::MoveToSegment(segment.map(SegmentId::from_uuid))
            }
            BulkActionDto::RegisterOutcome(request) => {
                BulkAction::RegisterOutcome(Box::new(request.into_domain()?))
            }
            BulkActionDto::Remove => BulkAction::Remove,
        })
    }
}

/// A bulk action on a selection.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// Which enrollments (all of them if empty).
    #[serde(default)]
    pub selection: SelectionDto,
    /// What to do.
    pub action: BulkActionDto,
}

/// What a bulk action did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BulkReportDto {
    /// Enrollments selected.
    pub selected: usize,
    /// Enrollments changed (moving to the segment they are in changes nothing).
    pub changed: usize,
    /// Selected customers left as they were because a seller held them (was calling them).
    pub held: usize,
    /// Selected customers left as they were because a seller changed them meanwhile so that
    /// they are no longer selected (or removed them).
    pub changed_meanwhile: usize,
}

impl From<BulkReport> for BulkReportDto {
    fn from(r: BulkReport) -> Self {
        Self {
            selected: r.selected,
            changed: r.changed,
            held: r.held,
            changed_meanwhile: r.changed_meanwhile,
        }
    }
}

/// Previews a selection of an assignment's customers: the count and the first of them.
#[utoipa::path(
    post, path = "/api/assignments/{id}/selection", tag = "customers",
    params(("id" = Uuid, Path, description = "The assignment")),
    request_body = SelectionRequest,
    responses(
        (status = 200, description = "The selection", body = SelectionPreviewDto),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field key, date, attempts range or limit", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn preview(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiJson(request): ApiJson<SelectionRequest>,
) -> ApiResult<Json<SelectionPreviewDto>> {
    let limit = request.limit.unwrap_or(DEFAULT_PREVIEW);
    if limit > MAX_PREVIEW {
        return Err(invalid_field(
            "limit",
            format!("must be between 0 and {MAX_PREVIEW}, got {limit}"),
        ));
    }
    let selection = request.selection.into_domain()?;
    let preview = state
        .cube
        .preview_selection(&actor.user, id, &selection, limit)
        .await?;
    Ok(Json(SelectionPreviewDto {
        count: preview.count,
        held: preview.held,
        items: preview.rows.iter().map(SelectedDto::from).collect(),
        truncated: preview.count > limit,
    }))
}

/// Exports a selection of an assignment's customers: every selected customer, in import
/// order, with the columns of the customer-status download — the fixed columns (external id,
/// name, dataset, phones, e-mail, address, registry number, state, category, attempts,
/// segment), then one per CRM field of the data owner — as an Excel workbook or CSV.
#[utoipa::path(
    post, path = "/api/assignments/{id}/selection/export", tag = "customers",
    params(("id" = Uuid, Path, description = "The assignment")),
    request_body(
        content = SelectionExportRequest,
        example = json!({
            "selection": { "states": ["0190f1c2-7a4e-7c3b-9a51-0d3f7e2b5a10"], "min_attempts": 5 },
            "format": "csv",
            "separator": "semicolon",
        }),
    ),
    responses(
        (status = 200, description = "The file: an Excel workbook (typed cells, header row, frozen panes, autofilter) or CSV (UTF-8 with a byte-order mark, every cell quoted)", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad field key, date, state, segment or attempts range, or a format the export does not write", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiJson(request): ApiJson<SelectionExportRequest>,
) -> ApiResult<Response> {
    let selection = request.selection.into_domain()?;
    let export = state
        .cube
        .export_selection(&actor.user, id, &selection)
        .await?;
    let format = request.format.unwrap_or_default();
    status_fits(format, &export).await?;
    let file = file(
        status_table(export, "Utvalg", state.cube.now()),
        format,
        request.separator.unwrap_or_default(),
    );
    Ok(download(&format!("selection-{id}"), file))
}

/// Applies one action to every selected customer of an assignment, all or nothing; the
/// customers sellers are calling (or changed out of the selection meanwhile) are left as they
/// are and counted.
#[utoipa::path(
    post, path = "/api/assignments/{id}/bulk", tag = "customers",
    params(("id" = Uuid, Path, description = "The assignment")),
    request_body = BulkRequest,
    responses(
        (status = 200, description = "Done for every selected customer, except those counted as held or changed meanwhile", body = BulkReportDto),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment or segment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The data changed meanwhile; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad selection, or some selected customers cannot take the action (nothing was changed)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn apply(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiJson(request): ApiJson<BulkRequest>,
) -> ApiResult<Json<BulkReportDto>> {
    let selection = request.selection.into_domain()?;
    let action = request.action.into_domain().map_err(|e| match e {
        // The registration's own checks name fields without the `action.` prefix.
        ApiError::App(AppError::Field(error)) => invalid_field("action.fields", error),
        other => other,
    })?;
    let report = state.cube.bulk(&actor.user, id, &selection, action).await?;
    Ok(Json(BulkReportDto::from(report)))
}
