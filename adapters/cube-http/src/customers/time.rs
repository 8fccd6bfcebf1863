//! Time tracking: a user's hours on an assignment, by starting and stopping the clock or
//! entered by hand afterwards. Performance per hour is measured against these hours.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cube_domain::ids::{AssignmentId, UserId};
use cube_domain::time_entry::TimeEntry;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// Hours of one user on one assignment: running (no end yet) or finished.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimeEntryDto {
    /// The id.
    pub id: Uuid,
    /// The user.
    pub user: Uuid,
    /// The assignment.
    pub assignment: Uuid,
    /// Start (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// End (RFC 3339); `null` while the clock runs.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end: Option<OffsetDateTime>,
    /// Hours, up to four decimals; `null` while the clock runs.
    pub hours: Option<Decimal>,
}

impl From<&TimeEntry> for TimeEntryDto {
    fn from(e: &TimeEntry) -> Self {
        Self {
            id: e.id().as_uuid(),
            user: e.user().as_uuid(),
            assignment: e.assignment().as_uuid(),
            start: e.starts_at(),
            end: e.ends_at(),
            hours: e
                .ends_at()
                .map(|end| e.hours_within(end, e.starts_at(), end).normalize()),
        }
    }
}

/// Finished hours to register by hand.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualTimeRequest {
    /// Whose hours; default the caller. Only managers may register another user's hours.
    #[serde(default)]
    pub user: Option<Uuid>,
    /// Start (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// End (RFC 3339): after `start`, at most 24 hours later, not in the future.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
}

/// Starts the caller's clock on an assignment (a clock running on another one is stopped;
/// one already running on this one is returned as it is).
#[utoipa::path(
    post, path = "/api/assignments/{id}/time/start", tag = "time",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "The running entry", body = TimeEntryDto),
        (status = 403, description = "The role may not work the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller has hours registered after now (the problem names the entry)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The clock on another assignment could not be stopped (longer than 24 hours)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn start(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
) -> ApiResult<Json<TimeEntryDto>> {
    let entry = state.cube.start_time(&actor.user, id).await?;
    Ok(Json(TimeEntryDto::from(&entry)))
}

/// Stops the caller's running clock.
#[utoipa::path(
    post, path = "/api/time/stop", tag = "time",
    responses(
        (status = 200, description = "The finished entry", body = TimeEntryDto),
        (status = 422, description = "No clock is running, or it ran too short or longer than 24 hours", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn stop(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<TimeEntryDto>> {
    let entry = state.cube.stop_time(&actor.user).await?;
    Ok(Json(TimeEntryDto::from(&entry)))
}

/// Registers finished hours on an assignment by hand. Times are kept to the microsecond; one
/// user's entries never overlap, in any assignment.
#[utoipa::path(
    post, path = "/api/assignments/{id}/time", tag = "time",
    params(("id" = Uuid, Path, description = "The assignment")),
    request_body = ManualTimeRequest,
    responses(
        (status = 201, description = "Registered", body = TimeEntryDto),
        (status = 403, description = "The role may not work the assignment, or not register another user's hours", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment or user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user has hours in that time already, or a clock running since before its end (the problem names the entry); nothing was written", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad time: end not after start, longer than 24 hours, or in the future", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn manual(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiJson(request): ApiJson<ManualTimeRequest>,
) -> ApiResult<(StatusCode, Json<TimeEntryDto>)> {
    let user = request.user.map_or(actor.user.id, UserId::from_uuid);
    let entry = state
        .cube
        .add_time(&actor.user, user, id, request.start, request.end)
        .await?;
    Ok((StatusCode::CREATED, Json(TimeEntryDto::from(&entry))))
}
