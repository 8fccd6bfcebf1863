//! The concrete outcomes of one assignment (seed 001: "hente ut de konkrete utfallene"): its
//! outcome events in a window, filtered by outcome, seller and the state they left the
//! customer in, oldest first, a page at a time — each with the customer, the field values,
//! the product lines at the price sold, the meeting, the follow-up and the note. The data
//! behind an outcome export.

use super::WindowQuery;
use crate::AppState;
use crate::auth::Actor;
use crate::dto::HistoryEntryDto;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_domain::ids::{AssignmentId, OutcomeEventId, OutcomeId, StateId, UserId};
use cube_domain::outcome::OutcomeFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Events per page when `limit` is left out.
const DEFAULT_LIMIT: u32 = 100;

/// The window, the filters and the page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutcomeListQuery {
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default:
    /// today 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: an RFC 3339 time, or a date meaning its local start (the same date as
    /// `from`: that whole day); default: tomorrow 00:00 in the organisation's time zone.
    pub to: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Uuid>,
    /// Only what this seller (user) registered.
    pub seller: Option<Uuid>,
    /// Only events that left the customer in this state.
    pub state: Option<Uuid>,
    /// `true`: only sales with products (outcomes landing in a Yes state with product
    /// lines); default `false`.
    pub sold: Option<bool>,
    /// The `next` of the previous page.
    pub after: Option<Uuid>,
    /// Events per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One registered outcome, with the customer it was registered on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutcomeListItemDto {
    /// The enrollment (the customer in this assignment).
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// The outcome, whole.
    #[serde(flatten)]
    pub entry: HistoryEntryDto,
}

/// A page of the outcome list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutcomeListDto {
    /// The events, oldest first.
    pub items: Vec<OutcomeListItemDto>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next: Option<Uuid>,
}

/// The concrete outcomes of an assignment in a window, filtered, a page at a time.
#[utoipa::path(
    get, path = "/api/assignments/{id}/outcome-events", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), OutcomeListQuery),
    responses(
        (status = 200, description = "A page of the outcomes in the window, oldest first", body = OutcomeListDto),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read the outcomes of this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts, or `limit` is out of 1 to 1000", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn outcome_list(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<OutcomeListQuery>,
) -> ApiResult<Json<OutcomeListDto>> {
    let window = WindowQuery {
        from: query.from,
        to: query.to,
    }
    .window_for(&state.cube, &actor.user)
    .await?;
    let filter = OutcomeFilter {
        outcome: query.outcome.map(OutcomeId::from_uuid),
        user: query.seller.map(UserId::from_uuid),
        to_state: query.state.map(StateId::from_uuid),
        sold: query.sold.unwrap_or(false),
    };
    let page = state
        .cube
        .outcome_list(
            &actor.user,
            id,
            window,
            filter,
            query.after.map(OutcomeEventId::from_uuid),
            query.limit.unwrap_or(DEFAULT_LIMIT),
        )
        .await?;
    Ok(Json(OutcomeListDto {
        items: page
            .events
            .iter()
            .map(|event| OutcomeListItemDto {
                enrollment: event.enrollment().as_uuid(),
                customer: event.customer().as_uuid(),
                entry: HistoryEntryDto::from(event),
            })
            .collect(),
        next: page.next.map(|id| id.as_uuid()),
    }))
}
