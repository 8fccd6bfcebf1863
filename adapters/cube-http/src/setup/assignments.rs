//! Setting up assignments: creating one on a published flow, reading and replacing its whole
//! setup (what `GET …/setup` answers is a body `PUT …/setup` takes), adding a segment, and
//! switching it to another published flow (customers follow by state id or name, the rest go
//! to the new initial state, and the answer says which). A flow of another data owner — of
//! this organisation or another — is "not found". Reading assignments as their users see
//! them is the work API's (`GET /api/assignments`, `GET /api/assignments/{id}`).

use super::assignment_setup::{AssignmentSetupDto, SegmentDto};
use crate::AppState;
use crate::auth::Actor;
use crate::dto::AssignmentDto;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use crate::revisions::{IfMatch, Tagged, tagged};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cube_app::Revision;
use cube_domain::assignment::Assignment;
use cube_domain::flow::{FlowVersion, PublishedFlow, SwitchPlan};
use cube_domain::ids::{AssignmentId, ClientId, DataOwnerId, FlowId, StateId};
use cube_domain::sms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An assignment to create.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignmentRequest {
    /// The data owner whose customers it works.
    pub data_owner: Uuid,
    /// The name.
    pub name: String,
    /// The flow (a published flow of the same data owner).
    pub flow: Uuid,
    /// The flow's published version.
    pub flow_version: u32,
    /// The commissioning client, whose client users may read its reports.
    #[serde(default)]
    pub client: Option<Uuid>,
}

/// An assignment with its whole setup, as the one setting it up sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ManagedAssignmentDto {
    /// The assignment.
    #[serde(flatten)]
    pub assignment: AssignmentDto,
    /// Its setup.
    pub setup: AssignmentSetupDto,
    /// How long each SMS of the setup is as a phone network counts it (its SMS flows, then its
    /// SMS templates): what a send costs, before the merge fields are filled in.
    pub sms_lengths: Vec<SmsLengthDto>,
}

impl From<&Assignment> for ManagedAssignmentDto {
    fn from(a: &Assignment) -> Self {
        let setup = a.setup();
        let flows = setup.sms_flows.iter().map(|(outcome, flow)| {
            SmsLengthDto::of(
                SmsKindDto::SmsFlow,
                Some(outcome.as_uuid()),
                None,
                &flow.template,
            )
        });
        let templates = setup.communication.sms_templates.iter().map(|template| {
            SmsLengthDto::of(
                SmsKindDto::SmsTemplate,
                None,
                Some(template.name.to_string()),
                &template.body,
            )
        });
        Self {
            assignment: a.into(),
            setup: setup.into(),
            sms_lengths: flows.chain(templates).collect(),
        }
    }
}

/// Which SMS of a setup.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmsKindDto {
    /// An outcome's SMS flow (`outcome` names it).
    SmsFlow,
    /// An SMS template (`name` names it).
    SmsTemplate,
}

/// One SMS of a setup, measured.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SmsLengthDto {
    /// An SMS flow or a template.
    pub kind: SmsKindDto,
    /// The outcome of an SMS flow.
    pub outcome: Option<Uuid>,
    /// The name of a template.
    pub name: Option<String>,
    /// `gsm7` (160 characters an SMS, 153 a part; æ, ø, å included) or `ucs2` (70 and 67:
    /// any character outside the GSM alphabet, such as an emoji, makes the whole text so).
    pub encoding: String,
    /// The fixed text's size in the encoding's units (an extension character like `€`, or an
    /// emoji, counts two).
    pub units: u32,
    /// SMS sent for the fixed text alone.
    pub segments: u32,
    /// Merge fields in the text: each adds its value's length when sent.
    pub merge_fields: u32,
}

impl SmsLengthDto {
    fn of(kind: SmsKindDto, outcome: Option<Uuid>, name: Option<String>, template: &str) -> Self {
        let length = sms::length(&sms::fixed_text(template));
        let merge_fields = sms::merge_fields(template).map_or(0, |keys| keys.len());
        Self {
            kind,
            outcome,
            name,
            encoding: length.encoding.as_str().to_owned(),
            units: length.units,
            segments: length.segments,
            merge_fields: u32::try_from(merge_fields).unwrap_or(u32::MAX),
        }
    }
}

/// A segment to add.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSegmentRequest {
    /// The name (unique in the assignment, ignoring case).
    pub name: String,
}

/// The flow to switch to, and optionally where some old states' customers go.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchFlowRequest {
    /// The flow (a published flow of the assignment's data owner).
    pub flow: Uuid,
    /// Its published version.
    pub version: u32,
    /// Old state → new state, for states the automatic placement (same id, same name and
    /// category, same category) should not decide, or cannot. Each old state at most once.
    #[serde(default)]
    pub mapping: Vec<StateMoveRequest>,
    /// Allow entries of `mapping` that change the customers' category (e.g. an Open lead
    /// back to an Available state). Without it such an entry is refused with 422.
    #[serde(default)]
    pub confirm_category_changes: bool,
}

/// One old state placed by hand.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateMoveRequest {
    /// The state in the assignment's current flow.
    pub from: Uuid,
    /// The state in the new flow.
    pub to: Uuid,
}

/// Where one old state's customers went.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StateMoveDto {
    /// The state in the old flow.
    pub from: Uuid,
    /// Its name.
    pub from_name: String,
    /// The state in the new flow.
    pub to: Uuid,
    /// Its name.
    pub to_name: String,
    /// How it was placed: `explicit` (the request's mapping), `same_id` (a new version of
    /// the same flow), `same_name` (same name and category) or `same_category`.
    pub placed_by: String,
    /// How many customers the old state held.
    pub customers: usize,
}

/// The result of switching flows.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlowSwitchDto {
    /// The assignment on its new flow (setup entries of outcomes the new flow lacks are
    /// dropped).
    pub assignment: ManagedAssignmentDto,
    /// Every old state that has a place in the new flow, and where its customers went.
    pub mapping: Vec<StateMoveDto>,
    /// Names of old states with no place in the new flow; they held no customers (a switch
    /// that would strand customers is refused).
    pub unplaced: Vec<String>,
    /// How many customers changed state.
    pub moved: usize,
}

/// Creates an assignment on a published flow of the data owner, with the default setup.
#[utoipa::path(
    post, path = "/api/assignments", tag = "setup",
    request_body = NewAssignmentRequest,
    responses(
        (status = 201, description = "The assignment and its (default) setup", body = ManagedAssignmentDto),
        (status = 403, description = "The role may not set up this data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner, or no such published flow version of it (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<NewAssignmentRequest>,
) -> ApiResult<(StatusCode, Json<ManagedAssignmentDto>)> {
    let flow = FlowVersion {
        flow: FlowId::from_uuid(request.flow),
        version: request.flow_version,
    };
    let assignment = state
        .cube
        .create_assignment(
            &actor.user,
            DataOwnerId::from_uuid(request.data_owner),
            &request.name,
            flow,
            request.client.map(ClientId::from_uuid),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ManagedAssignmentDto::from(&assignment)),
    ))
}

/// The assignment's whole setup, for those who may change it: edit it and send it back with
/// `PUT …/setup`.
#[utoipa::path(
    get, path = "/api/assignments/{id}/setup", tag = "setup",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "The setup, as `PUT …/setup` takes it", body = AssignmentSetupDto, headers(("ETag" = String, description = "The revision of the setup: send it back in `If-Match` to change it only if nobody changed it meanwhile"))),
        (status = 403, description = "The role may not set up this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment (or another organisation's, or one the caller does not see)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn setup(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
) -> ApiResult<Tagged<AssignmentSetupDto>> {
    let setup = state.cube.assignment_setup(&actor.user, id).await?;
    tagged(&Revision::of(&setup)?, AssignmentSetupDto::from(&setup))
}

/// Replaces the assignment's whole setup; effective at once for everyone working it.
#[utoipa::path(
    put, path = "/api/assignments/{id}/setup", tag = "setup",
    params(
        ("id" = Uuid, Path, description = "The assignment"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the setup was read with: the write is refused (412) if the setup changed since. Optional; without it (or with `*`) the write replaces what is there"),
    ),
    request_body = AssignmentSetupDto,
    responses(
        (status = 200, description = "The assignment and its new setup", body = ManagedAssignmentDto, headers(("ETag" = String, description = "The new revision of the setup"))),
        (status = 403, description = "The role may not set up this assignment, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The setup changed since the revision in `If-Match` was read; nothing was written. Read it again and redo the change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The setup does not fit the flow or the data owner, or a value is malformed", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update_setup(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    if_match: IfMatch,
    ApiJson(request): ApiJson<AssignmentSetupDto>,
) -> ApiResult<Tagged<ManagedAssignmentDto>> {
    let setup = request.into_domain()?;
    let assignment = state
        .cube
        .update_assignment_setup(&actor.user, id, setup, if_match.revision())
        .await?;
    tagged(
        &Revision::of(assignment.setup())?,
        ManagedAssignmentDto::from(&assignment),
    )
}

/// Adds a segment, last in priority order.
#[utoipa::path(
    post, path = "/api/assignments/{id}/segments", tag = "setup",
    params(("id" = Uuid, Path, description = "The assignment")),
    request_body = NewSegmentRequest,
    responses(
        (status = 201, description = "The segment", body = SegmentDto),
        (status = 403, description = "The role may not set up this assignment, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad or taken name", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn add_segment(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiJson(request): ApiJson<NewSegmentRequest>,
) -> ApiResult<(StatusCode, Json<SegmentDto>)> {
    let segment = state
        .cube
        .add_segment(&actor.user, id, &request.name)
        .await?;
    // The use case answers the id; the name is the one it accepted (trimmed, as `Name` keeps it).
    let dto = SegmentDto {
        id: segment.as_uuid(),
        name: request.name.trim().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(dto)))
}

/// Switches the assignment to another published flow of its data owner and moves every
/// customer to the matching state.
#[utoipa::path(
    post, path = "/api/assignments/{id}/flow", tag = "setup",
    params(("id" = Uuid, Path, description = "The assignment")),
    request_body = SwitchFlowRequest,
    responses(
        (status = 200, description = "Switched; where each state's customers went", body = FlowSwitchDto),
        (status = 403, description = "The role may not set up this assignment, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment, or no such published flow version of its data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A body field of the wrong type; customers in states with no place in the new flow (the message names them: send a `mapping`); a `mapping` naming states the flows lack, one state twice, or a category change without `confirm_category_changes`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn switch_flow(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiJson(request): ApiJson<SwitchFlowRequest>,
) -> ApiResult<Json<FlowSwitchDto>> {
    let to = FlowVersion {
        flow: FlowId::from_uuid(request.flow),
        version: request.version,
    };
    let plan = SwitchPlan {
        explicit: request
            .mapping
            .iter()
            .map(|m| (StateId::from_uuid(m.from), StateId::from_uuid(m.to)))
            .collect(),
        confirm_category_changes: request.confirm_category_changes,
    };
    let switch = state.cube.switch_flow(&actor.user, id, to, &plan).await?;
    let name_in = |flow: &PublishedFlow, state: StateId| {
        flow.state(state)
            .map_or_else(|| state.to_string(), |s| s.name.to_string())
    };
    let mapping = switch
        .from
        .states()
        .iter()
        .filter_map(|old| {
            let target = switch.mapping.target(old.id)?;
            Some(StateMoveDto {
                from: old.id.as_uuid(),
                from_name: old.name.to_string(),
                to: target.as_uuid(),
                to_name: name_in(&switch.to, target),
                placed_by: switch
                    .mapping
                    .placement
                    .get(&old.id)
                    .map_or("explicit", |p| p.as_str())
                    .to_owned(),
                customers: switch.customers.get(&old.id).copied().unwrap_or(0),
            })
        })
        .collect();
    Ok(Json(FlowSwitchDto {
        assignment: (&switch.assignment).into(),
        mapping,
        unplaced: switch
            .mapping
            .unplaced
            .iter()
            .map(|state| name_in(&switch.from, *state))
            .collect(),
        moved: switch.moved,
    }))
}
