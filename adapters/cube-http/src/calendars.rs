//! Calendars beyond their creation (seed 000 item 6, seed 001 "Møter"): a manager edits a
//! calendar (name, overlap, opening hours, open or closed); a seller booking reads a day's
//! free slots; a meeting is cancelled or moved, which the customer's history records.
//! Each handler is a thin shell over one use case of `Cube`.

use crate::AppState;
use crate::auth::Actor;
use crate::dto::MeetingDto;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use crate::setup::catalogue::{CalendarDto, OpeningPeriodDto};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use cube_app::calendars::CalendarEdit;
use cube_domain::ids::{CalendarId, MeetingId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The calendar endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/calendars/{id}/day", get(day))
        .route("/api/meetings/{id}", put(move_meeting))
        .route("/api/meetings/{id}/cancel", post(cancel))
}

/// The calendar endpoints' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(edit, day, move_meeting, cancel),
    components(schemas(
        Problem,
        CalendarRequest,
        SpanDto,
        CalendarDayDto,
        MoveMeetingRequest,
        CancelledDto,
    ))
)]
pub struct CalendarsApi;

/// A calendar's settings, every field given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarRequest {
    /// The name (a salesperson, a room).
    pub name: String,
    /// Whether two meetings may overlap.
    pub allows_overlap: bool,
    /// When it takes meetings, in the organisation's time zone (at most 28 periods, none
    /// overlapping on a day); empty: at any time.
    #[serde(default)]
    pub opening_hours: Vec<OpeningPeriodDto>,
    /// Whether new meetings may be booked in it; default open.
    #[serde(default = "open")]
    pub active: bool,
}

fn open() -> bool {
    true
}

/// Edits a calendar: name, overlap, opening hours, open or closed. Its meetings stay: new
/// hours and a closed calendar refuse new bookings and moves only.
#[utoipa::path(
    put, path = "/api/calendars/{id}", tag = "setup",
    params(("id" = Uuid, Path, description = "The calendar")),
    request_body = CalendarRequest,
    responses(
        (status = 200, description = "The calendar now", body = CalendarDto),
        (status = 403, description = "The role may not set up the calendar's data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such calendar (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or opening period (a time, closing before opening, overlapping periods)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn edit(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CalendarId>,
    ApiJson(request): ApiJson<CalendarRequest>,
) -> ApiResult<Json<CalendarDto>> {
    let opening_hours = request
        .opening_hours
        .into_iter()
        .enumerate()
        .map(|(at, period)| period.into_domain(at))
        .collect::<ApiResult<Vec<_>>>()?;
    let calendar = state
        .cube
        .edit_calendar(
            &actor.user,
            id,
            CalendarEdit {
                name: request.name,
                allows_overlap: request.allows_overlap,
                opening_hours,
                active: request.active,
            },
        )
        .await?;
    Ok(Json(CalendarDto::from(&calendar)))
}

/// The day asked for and the shortest slot wanted.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    /// The local date, `YYYY-MM-DD`; default: today in the organisation's time zone.
    pub date: Option<String>,
    /// Only free slots at least this many minutes long (0 to 1440; default 0).
    pub minutes: Option<i64>,
}

/// A span of time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SpanDto {
    /// Start (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// End (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
}

fn spans(list: &[(OffsetDateTime, OffsetDateTime)]) -> Vec<SpanDto> {
    list.iter()
        .map(|&(start, end)| SpanDto { start, end })
        .collect()
}

/// A calendar's day for booking.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalendarDayDto {
    /// The local date.
    pub date: String,
    /// When it takes meetings (its opening hours that day; the whole day without opening
    /// hours; nothing when closed).
    pub open: Vec<SpanDto>,
    /// When meetings take it, merged.
    pub busy: Vec<SpanDto>,
    /// The free slots: open and not busy, each at least `minutes` long.
    pub free: Vec<SpanDto>,
}

/// A calendar's free slots on a day (seed 000 item 6): when it is open, when meetings take
/// it, and the free time between, for a seller booking a meeting — admins, the data owner's
/// managers and sellers who may work an assignment that books in it.
#[utoipa::path(
    get, path = "/api/calendars/{id}/day", tag = "work",
    params(("id" = Uuid, Path, description = "The calendar"), DayQuery),
    responses(
        (status = 200, description = "The day: open, busy and free spans", body = CalendarDayDto),
        (status = 400, description = "A malformed date or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not see this calendar", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such calendar (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`minutes` out of 0 to 1440", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn day(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CalendarId>,
    ApiQuery(query): ApiQuery<DayQuery>,
) -> ApiResult<Json<CalendarDayDto>> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = query
        .date
        .as_deref()
        .map(|raw| {
            time::Date::parse(raw, &format).map_err(|_| ApiError::Malformed {
                status: StatusCode::BAD_REQUEST,
                detail: "`date` must be a date such as 2026-12-07".into(),
            })
        })
        .transpose()?;
    let (date, plan) = state
        .cube
        .calendar_day(&actor.user, id, date, query.minutes.unwrap_or(0))
        .await?;
    Ok(Json(CalendarDayDto {
        date: date.format(&format).unwrap_or_default(),
        open: spans(&plan.open),
        busy: spans(&plan.busy),
        free: spans(&plan.free),
    }))
}

/// A meeting's new time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveMeetingRequest {
    /// The new start (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// The new end (RFC 3339), after the start.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
}

/// Moves a meeting that has not ended, under the rules of booking (the calendar open, inside
/// its opening hours, no overlap unless the calendar allows it, in the future): the seller who
/// booked it, or a manager or admin of its assignment. The history records the move.
#[utoipa::path(
    put, path = "/api/meetings/{id}", tag = "work",
    params(("id" = Uuid, Path, description = "The meeting")),
    request_body = MoveMeetingRequest,
    responses(
        (status = 200, description = "The meeting at its new time", body = MeetingDto),
        (status = 403, description = "A seller moving a meeting someone else booked, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such meeting", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new time overlaps another meeting", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The meeting is over, or the new time is past, outside the opening hours, in a closed calendar or ends before it starts", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn move_meeting(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<MeetingId>,
    ApiJson(request): ApiJson<MoveMeetingRequest>,
) -> ApiResult<Json<MeetingDto>> {
    let meeting = state
        .cube
        .move_meeting(&actor.user, id, request.start, request.end)
        .await?;
    Ok(Json(MeetingDto::from(&meeting)))
}

/// A cancelled meeting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CancelledDto {
    /// The meeting.
    pub meeting: Uuid,
    /// When it was cancelled (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub cancelled_at: OffsetDateTime,
}

/// Cancels a meeting that has not ended: the seller who booked it, or a manager or admin of
/// its assignment. The time is free again; the history keeps the booking and the
/// cancellation.
#[utoipa::path(
    post, path = "/api/meetings/{id}/cancel", tag = "work",
    params(("id" = Uuid, Path, description = "The meeting")),
    responses(
        (status = 200, description = "Cancelled", body = CancelledDto),
        (status = 403, description = "A seller cancelling a meeting someone else booked, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such meeting (or already cancelled)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The meeting is over", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<MeetingId>,
) -> ApiResult<Json<CancelledDto>> {
    let change = state.cube.cancel_meeting(&actor.user, id).await?;
    Ok(Json(CancelledDto {
        meeting: id.as_uuid(),
        cancelled_at: change.at,
    }))
}
