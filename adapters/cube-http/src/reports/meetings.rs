//! The meetings report of one assignment: the meetings starting in a window `[from, to)`,
//! sorted by start, optionally only those whose place contains a search text. And the
//! calendar view (seed 001's "kalender"): one calendar's meetings in a week or window,
//! across every assignment that books in it. Unknown query parameters are refused (a
//! `?calendar=` on the report used to be ignored silently).
//!
//! The report's list is also a file (`…/reports/meetings/export`), for the same readers: a
//! row per meeting — start, end (date-times in the organisation's time zone), calendar,
//! customer, customer id, booked by, kind, place — as an Excel workbook or CSV.

use super::WindowQuery;
use crate::AppState;
use crate::auth::Actor;
use crate::dto::MeetingKindDto;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem, invalid_field};
use crate::table::{Cell, FileFormat, Separator, Table, download, file, headers, pages_of, text};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cube_app::exports::MeetingExport;
use cube_domain::ids::{AssignmentId, CalendarId};
use cube_domain::meeting::{Meeting, MeetingKind};
use cube_domain::time_zone::TimeZone;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The longest search text accepted.
const MAX_SEARCH: usize = 200;

/// A window and a search text.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MeetingQuery {
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default: today
    /// 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: an RFC 3339 time, or a date meaning its local start (the same date as
    /// `from`: that whole day); default: tomorrow 00:00 in the organisation's time zone.
    pub to: Option<String>,
    /// Only meetings whose place (address or video link) contains this, ignoring case.
    pub q: Option<String>,
}

/// A booked meeting, with whom and by whom.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeetingRowDto {
    /// The id.
    pub id: Uuid,
    /// The calendar.
    pub calendar: Uuid,
    /// The enrollment it was booked on.
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// Who booked it; `null` when not a person.
    pub booked_by: Option<Uuid>,
    /// Start (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// End (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
    /// Physical or video.
    pub kind: MeetingKindDto,
    /// Address or video link.
    pub place: Option<String>,
}

impl From<&Meeting> for MeetingRowDto {
    fn from(m: &Meeting) -> Self {
        Self {
            id: m.id.as_uuid(),
            calendar: m.calendar.as_uuid(),
            enrollment: m.enrollment.as_uuid(),
            customer: m.customer.as_uuid(),
            booked_by: m.booked_by.map(|u| u.as_uuid()),
            start: m.start,
            end: m.end,
            kind: m.kind.into(),
            place: m.place.clone(),
        }
    }
}

/// Refuses a search text longer than [`MAX_SEARCH`].
fn check_search(q: Option<&str>) -> ApiResult<()> {
    if q.is_some_and(|q| q.chars().count() > MAX_SEARCH) {
        return Err(invalid_field(
            "q",
            format!("at most {MAX_SEARCH} characters"),
        ));
    }
    Ok(())
}

/// Meetings of an assignment starting in a window.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/meetings", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), MeetingQuery),
    responses(
        (status = 200, description = "The meetings, by start", body = Vec<MeetingRowDto>),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts, or the search text is too long", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn meetings(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<MeetingQuery>,
) -> ApiResult<Json<Vec<MeetingRowDto>>> {
    let window = WindowQuery {
        from: query.from,
        to: query.to,
    }
    .window_for(&state.cube, &actor.user)
    .await?;
    check_search(query.q.as_deref())?;
    let list = state
        .cube
        .meeting_report(&actor.user, id, window, query.q.as_deref())
        .await?;
    Ok(Json(list.iter().map(MeetingRowDto::from).collect()))
}

/// A window, a search text and the file.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MeetingExportQuery {
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default: today
    /// 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: as `from` (the same date as `from`: that whole day); default:
    /// tomorrow 00:00 locally.
    pub to: Option<String>,
    /// Only meetings whose place (address or video link) contains this, ignoring case.
    pub q: Option<String>,
    /// `xlsx` (default) or `csv`.
    pub format: Option<FileFormat>,
    /// For CSV: `comma` (default) or `semicolon` (what Excel expects in Norway).
    pub separator: Option<Separator>,
}

const MEETING_HEADERS: [&str; 8] = [
    "start",
    "end",
    "calendar",
    "customer",
    "customer_id",
    "booked_by",
    "kind",
    "place",
];

/// One row per meeting, by start.
pub(crate) fn meeting_table(export: MeetingExport, made: OffsetDateTime) -> Table {
    let rows = export
        .rows
        .iter()
        .map(|row| {
            let m = &row.meeting;
            vec![
                Cell::Time(m.start),
                Cell::Time(m.end),
                text(&row.calendar),
                text(&row.customer),
                text(m.customer.to_string()),
                text(&row.booked_by),
                text(match m.kind {
                    MeetingKind::Physical => "physical",
                    MeetingKind::Video => "video",
                }),
                text(m.place.clone().unwrap_or_default()),
            ]
        })
        .collect();
    Table {
        sheet: "Møter",
        zone: export.zone,
        made,
        headers: headers(&MEETING_HEADERS),
        rows: pages_of(rows),
    }
}

/// The meetings of an assignment starting in a window, as the report lists them, as a file:
/// one row per meeting — start and end in the organisation's local time, calendar, customer,
/// who booked it, kind, place — as an Excel workbook or CSV.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/meetings/export", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), MeetingExportQuery),
    responses(
        (status = 200, description = "The file: an Excel workbook (typed cells, header row, frozen panes, autofilter) or CSV (UTF-8 with a byte-order mark, every cell quoted)", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts, or the search text is too long", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn meetings_export(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<MeetingExportQuery>,
) -> ApiResult<Response> {
    let window = WindowQuery {
        from: query.from,
        to: query.to,
    }
    .window_for(&state.cube, &actor.user)
    .await?;
    check_search(query.q.as_deref())?;
    let export = state
        .cube
        .meeting_export(&actor.user, id, window, query.q.as_deref())
        .await?;
    let file = file(
        meeting_table(export, state.cube.now()),
        query.format.unwrap_or_default(),
        query.separator.unwrap_or_default(),
    );
    Ok(download(&format!("meetings-{id}"), file))
}

/// The calendar view's window: an ISO week, or `from` / `to`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// An ISO week, `2026-W49`: Monday 00:00 to the next Monday, the organisation's local time. Not with `from`/`to`.
    pub week: Option<String>,
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default: today
    /// 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: an RFC 3339 time, or a date meaning its local start (the same date as
    /// `from`: that whole day); default: tomorrow 00:00 in the organisation's time zone.
    pub to: Option<String>,
}

/// Parses an ISO week `YYYY-Www` into its Monday 00:00 to the next Monday, local time in
/// the organisation's zone.
fn week_window(raw: &str, zone: &TimeZone) -> Option<cube_app::reports::Window> {
    let (year, week) = raw.split_once("-W")?;
    let year: i32 = year.parse().ok()?;
    let week: u8 = week.parse().ok()?;
    let (from, to) = zone.iso_week(year, week)?;
    cube_app::reports::Window::new(from, to).ok()
}

/// One calendar's meetings overlapping a week or window, across assignments (the
/// calendar view).
#[utoipa::path(
    get, path = "/api/calendars/{id}/meetings", tag = "reports",
    params(("id" = Uuid, Path, description = "The calendar"), CalendarQuery),
    responses(
        (status = 200, description = "The meetings overlapping the window, by start", body = Vec<MeetingRowDto>),
        (status = 403, description = "Not an admin, a manager of the calendar's data owner, or a seller of an assignment that books in it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such calendar", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad week, a week given with `from`/`to`, or a window that ends before it starts", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn calendar(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CalendarId>,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<Vec<MeetingRowDto>>> {
    let zone = state.cube.time_zone_of(&actor.user).await?;
    let window = match (&query.week, &query.from, &query.to) {
        (Some(week), None, None) => week_window(week, &zone).ok_or_else(|| {
            invalid_field(
                "week",
                "give an ISO week such as 2026-W49 (weeks 1 to 52 or 53)",
            )
        })?,
        (Some(_), _, _) => {
            return Err(invalid_field(
                "week",
                "give either a week or `from`/`to`, not both",
            ));
        }
        (None, _, _) => WindowQuery {
            from: query.from,
            to: query.to,
        }
        .window(state.cube.now(), &zone)?,
    };
    let list = state
        .cube
        .calendar_meetings(&actor.user, id, window)
        .await?;
    Ok(Json(list.iter().map(MeetingRowDto::from).collect()))
}
