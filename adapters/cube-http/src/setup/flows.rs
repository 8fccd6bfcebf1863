//! Flows: a data owner's state machines. A flow is created as a draft, read and edited freely
//! (a draft may be invalid), checked, and published as a frozen version that assignments can
//! use; editing a published flow starts its next draft version. Every published version can
//! be read, and copied into a new, independent draft.
//!
//! States and outcomes carry ids the client chooses (any UUID): outcomes name their states
//! by id, and the ids stay the same across versions and copies, so assignments' setups and
//! switching between versions keep pointing at the same states and outcomes.
//!
//! Publishing an invalid draft answers 422 with every problem, both in `detail` and as a
//! `problems` list (an RFC 9457 extension member) a client can show next to the inputs.

use crate::AppState;
use crate::auth::Actor;
use crate::dto::StateDto;
use crate::error::invalid_field;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, PROBLEM_JSON, Problem};
use crate::revisions::{IfMatch, Tagged, tagged};
use axum::Json;
use axum::extract::State as AxumState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::setup::FlowContent;
use cube_app::{AppError, Revision};
use cube_domain::flow::{
    AttemptKind, Colour, FlowDraft, FlowError, FlowProblem, FlowVersion, Outcome, OutcomeKind,
    PublishedFlow, State,
};
use cube_domain::ids::{DataOwnerId, FlowId, OutcomeId, StateId};
use cube_domain::values::Name;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What registering an outcome does to the customer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKindDto {
    /// Moves the customer to `target`.
    Progress,
    /// Nobody answered; the state does not change.
    NoAnswer,
    /// The customer asked to be called later; the state does not change.
    CallBackLater,
}

/// An outcome of a flow.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowOutcomeDto {
    /// The id (any UUID, chosen by the client; kept across versions).
    pub id: Uuid,
    /// The name shown to sellers.
    pub name: String,
    /// Progress or one of the two attempts.
    pub kind: OutcomeKindDto,
    /// For `progress` (required): the state the customer lands in. Attempts have none.
    #[serde(default)]
    pub target: Option<Uuid>,
    /// The states it may be chosen from.
    pub from: Vec<Uuid>,
    /// Registering it may schedule a follow-up.
    #[serde(default)]
    pub schedules_follow_up: bool,
    /// Registering it takes product lines.
    #[serde(default)]
    pub carries_products: bool,
    /// Registering it books a meeting.
    #[serde(default)]
    pub books_meeting: bool,
}

impl From<&Outcome> for FlowOutcomeDto {
    fn from(o: &Outcome) -> Self {
        let (kind, target) = match o.kind {
            OutcomeKind::Progress { target } => (OutcomeKindDto::Progress, Some(target.as_uuid())),
            OutcomeKind::Attempt(AttemptKind::NoAnswer) => (OutcomeKindDto::NoAnswer, None),
            OutcomeKind::Attempt(AttemptKind::CallBackLater) => {
                (OutcomeKindDto::CallBackLater, None)
            }
        };
        Self {
            id: o.id.as_uuid(),
            name: o.name.to_string(),
            kind,
            target,
            from: o.from.iter().map(|s| s.as_uuid()).collect(),
            schedules_follow_up: o.schedules_follow_up,
            carries_products: o.carries_products,
            books_meeting: o.books_meeting,
        }
    }
}

impl FlowOutcomeDto {
    fn into_domain(self, at: &str) -> ApiResult<Outcome> {
        let name = Name::parse(&self.name).map_err(|e| invalid_field(format!("{at}.name"), e))?;
        let kind = match (self.kind, self.target) {
            (OutcomeKindDto::Progress, Some(target)) => OutcomeKind::Progress {
                target: StateId::from_uuid(target),
            },
            (OutcomeKindDto::Progress, None) => {
                return Err(invalid_field(
                    format!("{at}.target"),
                    "a progress outcome needs the state it leads to",
                ));
            }
            (_, Some(_)) => {
                return Err(invalid_field(
                    format!("{at}.target"),
                    "attempt outcomes never move the customer, so they have no target",
                ));
            }
            (OutcomeKindDto::NoAnswer, None) => OutcomeKind::Attempt(AttemptKind::NoAnswer),
            (OutcomeKindDto::CallBackLater, None) => {
                OutcomeKind::Attempt(AttemptKind::CallBackLater)
            }
        };
        Ok(Outcome {
            id: OutcomeId::from_uuid(self.id),
            name,
            kind,
            from: self.from.into_iter().map(StateId::from_uuid).collect(),
            schedules_follow_up: self.schedules_follow_up,
            carries_products: self.carries_products,
            books_meeting: self.books_meeting,
        })
    }
}

/// A flow's content, as created or edited.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowContentRequest {
    /// The flow's name.
    pub name: String,
    /// The state new customers start in (one of `states`, of category `available`).
    pub initial: Uuid,
    /// The states (ids chosen by the client; kept across versions).
    pub states: Vec<StateDto>,
    /// The outcomes.
    #[serde(default)]
    pub outcomes: Vec<FlowOutcomeDto>,
}

impl FlowContentRequest {
    fn into_domain(self) -> ApiResult<FlowContent> {
        let states = self
            .states
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let name = Name::parse(&s.name)
                    .map_err(|e| invalid_field(format!("states[{i}].name"), e))?;
                let colour = s
                    .colour
                    .as_deref()
                    .map(Colour::parse)
                    .transpose()
                    .map_err(|e| invalid_field(format!("states[{i}].colour"), e))?;
                Ok(State {
                    id: StateId::from_uuid(s.id),
                    name,
                    category: s.category.into(),
                    colour,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let outcomes = self
            .outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.into_domain(&format!("outcomes[{i}]")))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(FlowContent {
            name: self.name,
            initial: StateId::from_uuid(self.initial),
            states,
            outcomes,
        })
    }
}

/// A flow version: published (frozen) or a draft.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlowDto {
    /// The flow (shared by all its versions).
    pub id: Uuid,
    /// The data owner whose assignments may use it.
    pub data_owner: Uuid,
    /// The version number, from 1 (a draft: the version it becomes when published).
    pub version: u32,
    /// The name.
    pub name: String,
    /// The state new customers start in.
    pub initial: Uuid,
    /// The states, in the order they were defined.
    pub states: Vec<StateDto>,
    /// The outcomes, in the order they were defined.
    pub outcomes: Vec<FlowOutcomeDto>,
}

impl From<&FlowDraft> for FlowDto {
    fn from(d: &FlowDraft) -> Self {
        Self {
            id: d.id.as_uuid(),
            data_owner: d.data_owner.as_uuid(),
            version: d.version,
            name: d.name.to_string(),
            initial: d.initial.as_uuid(),
            states: d.states.iter().map(StateDto::from).collect(),
            outcomes: d.outcomes.iter().map(Into::into).collect(),
        }
    }
}

impl From<&PublishedFlow> for FlowDto {
    fn from(f: &PublishedFlow) -> Self {
        f.as_draft().into()
    }
}

/// What kind of problem stops a draft from being published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlowProblemCode {
    /// The flow has no states.
    NoStates,
    /// The initial state is not one of the flow's states.
    UnknownInitialState,
    /// The initial state is not of category `available`.
    InitialNotAvailable,
    /// Two states share a name or an id.
    DuplicateState,
    /// Two outcomes share a name or an id.
    DuplicateOutcome,
    /// An outcome may be chosen from a state that is not in the flow.
    UnknownFromState,
    /// An outcome may not be chosen from any state.
    NoFromStates,
    /// A progress outcome leads to a state that is not in the flow.
    UnknownTarget,
    /// An attempt outcome carries products or books meetings.
    AttemptWithEffects,
    /// A no-answer outcome schedules a follow-up.
    NoAnswerWithFollowUp,
    /// A state cannot be reached from the initial state.
    Unreachable,
}

/// One problem of a flow draft.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlowProblemDto {
    /// What kind of problem.
    pub code: FlowProblemCode,
    /// The name of the state or outcome concerned, when there is one.
    pub subject: Option<String>,
    /// The problem in words, saying what to fix.
    pub message: String,
}

impl From<&FlowProblem> for FlowProblemDto {
    fn from(p: &FlowProblem) -> Self {
        let (code, subject) = match p {
            FlowProblem::NoStates => (FlowProblemCode::NoStates, None),
            FlowProblem::UnknownInitialState => (FlowProblemCode::UnknownInitialState, None),
            FlowProblem::InitialNotAvailable(s) => (FlowProblemCode::InitialNotAvailable, Some(s)),
            FlowProblem::DuplicateState(s) => (FlowProblemCode::DuplicateState, Some(s)),
            FlowProblem::DuplicateOutcome(s) => (FlowProblemCode::DuplicateOutcome, Some(s)),
            FlowProblem::UnknownFromState(s) => (FlowProblemCode::UnknownFromState, Some(s)),
            FlowProblem::NoFromStates(s) => (FlowProblemCode::NoFromStates, Some(s)),
            FlowProblem::UnknownTarget(s) => (FlowProblemCode::UnknownTarget, Some(s)),
            FlowProblem::AttemptWithEffects(s) => (FlowProblemCode::AttemptWithEffects, Some(s)),
            FlowProblem::NoAnswerWithFollowUp(s) => {
                (FlowProblemCode::NoAnswerWithFollowUp, Some(s))
            }
            FlowProblem::Unreachable(s) => (FlowProblemCode::Unreachable, Some(s)),
        };
        Self {
            code,
            subject: subject.cloned(),
            message: p.to_string(),
        }
    }
}

/// A flow draft and what still stops it from being published.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlowDraftDto {
    /// The draft.
    #[serde(flatten)]
    pub flow: FlowDto,
    /// The problems to fix before publishing; empty: it can be published.
    pub problems: Vec<FlowProblemDto>,
}

impl From<&FlowDraft> for FlowDraftDto {
    fn from(d: &FlowDraft) -> Self {
        Self {
            flow: d.into(),
            problems: d.problems().iter().map(Into::into).collect(),
        }
    }
}

/// The result of checking a draft.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlowCheckDto {
    /// No problems: publishing will succeed.
    pub publishable: bool,
    /// Every problem, in the order of the checks.
    pub problems: Vec<FlowProblemDto>,
}

/// The 422 problem document of a refused publication: a problem with every flow problem
/// listed as an extension member.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlowRejectionDto {
    /// The problem (`detail` lists every problem in words).
    #[serde(flatten)]
    pub problem: Problem,
    /// Every problem of the draft.
    pub problems: Vec<FlowProblemDto>,
}

/// The path of one published version.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct VersionPath {
    /// The flow.
    pub id: FlowId,
    /// The version number, from 1.
    pub version: u32,
}

/// A copy to make.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyFlowRequest {
    /// The published version to copy.
    pub version: u32,
    /// The copy's name.
    pub name: String,
}

/// Starts a new flow of the data owner as a draft (version 1).
#[utoipa::path(
    post, path = "/api/data-owners/{id}/flows", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body = FlowContentRequest,
    responses(
        (status = 201, description = "The draft, with what stops it from being published", body = FlowDraftDto),
        (status = 403, description = "The role may not set up this data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, or a target that does not fit the kind", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiJson(request): ApiJson<FlowContentRequest>,
) -> ApiResult<(StatusCode, Json<FlowDraftDto>)> {
    let content = request.into_domain()?;
    let draft = state.cube.create_flow(&actor.user, id, content).await?;
    Ok((StatusCode::CREATED, Json(FlowDraftDto::from(&draft))))
}

/// The newest published version of each of the data owner's flows.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/flows", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "The published flows", body = Vec<FlowDto>),
        (status = 403, description = "The role may not set up this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Json<Vec<FlowDto>>> {
    let flows = state.cube.flows(&actor.user, id).await?;
    Ok(Json(flows.iter().map(FlowDto::from).collect()))
}

/// The flow's draft, as the next edit starts from it: the saved draft, or, for a flow
/// without one, its next version made from the newest published version (saved only when it
/// is sent back). Its `name`, `initial`, `states` and `outcomes`, edited, are the body of
/// `PUT …/draft`.
#[utoipa::path(
    get, path = "/api/flows/{id}/draft", tag = "setup",
    params(("id" = Uuid, Path, description = "The flow")),
    responses(
        (status = 200, description = "The draft, with what stops it from being published", body = FlowDraftDto, headers(("ETag" = String, description = "The revision of the draft: send it back in `If-Match` to change it only if nobody changed it meanwhile"))),
        (status = 403, description = "The role may not set up the flow's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn draft(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<FlowId>,
) -> ApiResult<Tagged<FlowDraftDto>> {
    let draft = state.cube.flow_draft(&actor.user, id).await?;
    tagged(&Revision::of(&draft)?, FlowDraftDto::from(&draft))
}

/// One published (frozen) version of the flow.
#[utoipa::path(
    get, path = "/api/flows/{id}/versions/{version}", tag = "setup",
    params(
        ("id" = Uuid, Path, description = "The flow"),
        ("version" = u32, Path, description = "The published version, from 1"),
    ),
    responses(
        (status = 200, description = "The published version", body = FlowDto),
        (status = 403, description = "The role may not set up the flow's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow or published version (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn version(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<Json<FlowDto>> {
    let version = FlowVersion {
        flow: path.id,
        version: path.version,
    };
    let flow = state.cube.published_flow(&actor.user, version).await?;
    Ok(Json(FlowDto::from(&flow)))
}

/// Replaces the flow's draft (editing a published flow without a draft starts its next
/// version). The draft may be invalid until it is published.
#[utoipa::path(
    put, path = "/api/flows/{id}/draft", tag = "setup",
    params(
        ("id" = Uuid, Path, description = "The flow"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the draft was read with: the write is refused (412) if the draft changed since. Optional; without it (or with `*`) the write replaces what is there"),
    ),
    request_body = FlowContentRequest,
    responses(
        (status = 200, description = "The draft, with what stops it from being published", body = FlowDraftDto, headers(("ETag" = String, description = "The new revision of the draft"))),
        (status = 403, description = "The role may not set up the flow's data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The draft changed since the revision in `If-Match` was read; nothing was written. Read it again and redo the change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, or a target that does not fit the kind", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update_draft(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<FlowId>,
    if_match: IfMatch,
    ApiJson(request): ApiJson<FlowContentRequest>,
) -> ApiResult<Tagged<FlowDraftDto>> {
    let content = request.into_domain()?;
    let draft = state
        .cube
        .update_flow_draft(&actor.user, id, content, if_match.revision())
        .await?;
    tagged(&Revision::of(&draft)?, FlowDraftDto::from(&draft))
}

/// Checks the flow's draft (or, without one, its next version): every problem that would
/// stop publishing. Changes nothing.
#[utoipa::path(
    post, path = "/api/flows/{id}/check", tag = "setup",
    params(("id" = Uuid, Path, description = "The flow")),
    responses(
        (status = 200, description = "The problems; none: it can be published", body = FlowCheckDto),
        (status = 403, description = "The role may not set up the flow's data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such flow (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn check(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<FlowId>,
) -> ApiResult<Json<FlowCheckDto>> {
    let problems = state.cube.check_flow_draft(&actor.user, id).await?;
    Ok(Json(FlowCheckDto {
        publishable: problems.is_empty(),
        problems: problems.iter().map(Into::into).collect(),
    }))
}

/// Publishes the flow's draft as a frozen version assignments can use.
#[utoipa::path(
    post, path = "/api/flows/{id}/publish", tag = "setup",
    params(("id" = Uuid, Path, description = "The flow")),
    responses(
        (status = 200, description = "The published version", body = FlowDto),
        (status = 403, description = "The role may not set up the flow's data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The flow has no draft to publish (or is another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The draft has problems; every one is listed", body = FlowRejectionDto, content_type = "application/problem+json"),
    ),
)]
pub async fn publish(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<FlowId>,
) -> ApiResult<Response> {
    match state.cube.publish_flow(&actor.user, id).await {
        Ok(published) => Ok(Json(FlowDto::from(&published)).into_response()),
        Err(AppError::Flow(error @ FlowError::Invalid(_))) => Ok(rejection(&error)),
        Err(other) => Err(ApiError::from(other)),
    }
}

/// The 422 problem document listing every problem of a refused publication.
fn rejection(error: &FlowError) -> Response {
    let FlowError::Invalid(problems) = error;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let body = FlowRejectionDto {
        problem: Problem {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: error.to_string(),
        },
        problems: problems.iter().map(Into::into).collect(),
    };
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// Copies a published version into a new, independent draft (version 1 of a new flow), so a
/// flow shared by several assignments can be changed for one of them.
#[utoipa::path(
    post, path = "/api/flows/{id}/copy", tag = "setup",
    params(("id" = Uuid, Path, description = "The flow to copy")),
    request_body = CopyFlowRequest,
    responses(
        (status = 201, description = "The new draft", body = FlowDraftDto),
        (status = 403, description = "The role may not set up the flow's data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such published version (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn copy(
    AxumState(state): AxumState<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<FlowId>,
    ApiJson(request): ApiJson<CopyFlowRequest>,
) -> ApiResult<(StatusCode, Json<FlowDraftDto>)> {
    let version = FlowVersion {
        flow: id,
        version: request.version,
    };
    let draft = state
        .cube
        .copy_flow(&actor.user, version, &request.name)
        .await?;
    Ok((StatusCode::CREATED, Json(FlowDraftDto::from(&draft))))
}
