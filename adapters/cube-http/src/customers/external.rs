//! A state change pushed by an external system (an external CRM, a web shop): the customer
//! moves to the state of that name in every assignment it is enrolled in whose flow has
//! one — e.g. a customer who ordered on their own is `Excluded` from every call list at
//! once. Each move is an entry of the outcome log without an outcome. The answer lists every
//! assignment the customer is in — moved, already there, or no such state — so an
//! integration sees where the customer stays callable, and may retry safely.

use crate::AppState;
use crate::auth::ExternalTriggerActor;
use crate::dto::CategoryDto;
use crate::error::invalid_field;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_app::work::{ExternalChange, ExternalOutcome};
use cube_domain::ids::CustomerId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest state name accepted.
const MAX_STATE_NAME: usize = 200;

/// The state to move a customer to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalStateRequest {
    /// The state's name, as the assignments' flows spell it (e.g. `Excluded`).
    pub state: String,
}

/// What the change did in one assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StateChangeResult {
    /// Moved to the state (`event` names the log entry).
    Moved,
    /// Already in the state: nothing changed (a retry of the same change).
    AlreadyThere,
    /// The assignment's flow has no state of that name: the customer stays where it is, and
    /// may still be called there.
    NoSuchState,
}

/// The change in one assignment the customer is in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StateChangeDto {
    /// What happened here.
    pub result: StateChangeResult,
    /// The assignment.
    pub assignment: Uuid,
    /// The enrollment.
    pub enrollment: Uuid,
    /// The log entry; `null` unless moved.
    pub event: Option<Uuid>,
    /// When (RFC 3339); `null` unless moved.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<OffsetDateTime>,
    /// The state before; `null` unless moved.
    pub from_state: Option<Uuid>,
    /// The customer's state in the assignment now.
    pub to_state: Uuid,
    /// The category of the state after; `null` unless moved.
    pub category: Option<CategoryDto>,
}

impl From<&ExternalChange> for StateChangeDto {
    fn from(c: &ExternalChange) -> Self {
        let moved = match &c.outcome {
            ExternalOutcome::Moved(event) => Some(event.as_ref()),
            ExternalOutcome::AlreadyThere | ExternalOutcome::NoSuchState => None,
        };
        Self {
            result: match c.outcome {
                ExternalOutcome::Moved(_) => StateChangeResult::Moved,
                ExternalOutcome::AlreadyThere => StateChangeResult::AlreadyThere,
                ExternalOutcome::NoSuchState => StateChangeResult::NoSuchState,
            },
            assignment: c.assignment.as_uuid(),
            enrollment: c.enrollment.as_uuid(),
            event: moved.map(|e| e.id().as_uuid()),
            occurred_at: moved.map(|e| e.occurred_at()),
            from_state: moved.map(|e| e.from_state().as_uuid()),
            to_state: c.state.as_uuid(),
            category: moved.map(|e| e.to_category().into()),
        }
    }
}

/// Moves a customer to the named state in every assignment it is in (integrations). Any
/// working token opens it, and a token scoped to this operation alone (`"scope":
/// "external_trigger"` when issued) opens nothing else.
#[utoipa::path(
    post, path = "/api/customers/{id}/external-state", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    request_body = ExternalStateRequest,
    responses(
        (status = 200, description = "One entry per assignment the customer is in: moved, already there (a retry changes nothing), or no such state there", body = Vec<StateChangeDto>),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The data changed meanwhile; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No assignment of the customer has a state of that name to move to", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn change_state(
    State(state): State<AppState>,
    ExternalTriggerActor(actor): ExternalTriggerActor,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(request): ApiJson<ExternalStateRequest>,
) -> ApiResult<Json<Vec<StateChangeDto>>> {
    let name = request.state.trim();
    if name.is_empty() || name.len() > MAX_STATE_NAME {
        return Err(invalid_field(
            "state",
            format!("give a state name of 1 to {MAX_STATE_NAME} characters"),
        ));
    }
    let changes = state
        .cube
        .external_state_change(&actor.user, id, name)
        .await?;
    Ok(Json(changes.iter().map(StateChangeDto::from).collect()))
}
