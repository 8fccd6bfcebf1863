//! A state change pushed by an external system (an external CRM, a web shop): the customer
//! moves to the state of that name in every assignment it is enrolled in whose flow has
//! one — e.g. a customer who ordered on their own is `Excluded` from every call list at
//! once. Each move is an entry of the outcome log without an outcome.

use super::invalid_field;
use crate::AppState;
use crate::auth::Actor;
use crate::dto::CategoryDto;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_domain::ids::CustomerId;
use cube_domain::outcome::OutcomeEvent;
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

/// One move the change made.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StateChangeDto {
    /// The log entry.
    pub event: Uuid,
    /// The assignment.
    pub assignment: Uuid,
    /// The enrollment.
    pub enrollment: Uuid,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: OffsetDateTime,
    /// The state before.
    pub from_state: Uuid,
    /// The state after.
    pub to_state: Uuid,
    /// The category of the state after.
    pub category: CategoryDto,
}

impl From<&OutcomeEvent> for StateChangeDto {
    fn from(e: &OutcomeEvent) -> Self {
        Self {
            event: e.id.as_uuid(),
            assignment: e.assignment.as_uuid(),
            enrollment: e.enrollment.as_uuid(),
            occurred_at: e.occurred_at,
            from_state: e.from_state.as_uuid(),
            to_state: e.to_state.as_uuid(),
            category: e.to_category.into(),
        }
    }
}

/// Moves a customer to the named state in every assignment it is in (integrations).
#[utoipa::path(
    post, path = "/api/customers/{id}/external-state", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    request_body = ExternalStateRequest,
    responses(
        (status = 200, description = "The moves made, one per assignment that changed", body = Vec<StateChangeDto>),
        (status = 400, description = "Malformed id or JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The data changed meanwhile; nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No assignment of the customer has a state of that name to move to", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn change_state(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ExternalStateRequest>,
) -> ApiResult<Json<Vec<StateChangeDto>>> {
    let name = request.state.trim();
    if name.is_empty() || name.len() > MAX_STATE_NAME {
        return Err(invalid_field(
            "state",
            format!("give a state name of 1 to {MAX_STATE_NAME} characters"),
        ));
    }
    let events = state
        .cube
        .external_state_change(actor.user.id, CustomerId::from_uuid(id), name)
        .await?;
    Ok(Json(events.iter().map(StateChangeDto::from).collect()))
}
