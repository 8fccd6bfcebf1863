//! The seller's endpoints: who am I, the assignments I see, the next customer, taking and
//! releasing a customer, registering an outcome, My Work. Each handler is a thin shell:
//! extract, convert, call one use case of `Cube`, convert back.

use crate::AppState;
use crate::auth::Actor;
use crate::customers::records::CustomerPageQuery;
use crate::dto::{
    AssignmentDto, AssignmentOverviewDto, EnrollmentDto, HistoryEntryDto, MyWorkDto,
    RegisterOutcomeRequest, RegisteredDto, UserDto, ViewEntryDto, WorkItemDto,
};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cube_domain::idempotency::{RequestKey, RequestKeyError};
use cube_domain::ids::{AssignmentId, EnrollmentId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The acting user.
#[utoipa::path(
    get, path = "/api/me", tag = "work",
    responses(
        (status = 200, description = "The logged-in user", body = UserDto),
    ),
)]
pub async fn me(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<UserDto>> {
    let user = state.cube.me(&actor.user).await?;
    Ok(Json(UserDto::from(&user)))
}

/// The assignments the user may see.
#[utoipa::path(
    get, path = "/api/assignments", tag = "work",
    responses(
        (status = 200, description = "The visible assignments", body = Vec<AssignmentDto>),
    ),
)]
pub async fn assignments(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<AssignmentDto>>> {
    let list = state.cube.assignments(&actor.user).await?;
    Ok(Json(list.iter().map(AssignmentDto::from).collect()))
}

/// One assignment with its flow's states and outcomes, its products and its calendars.
#[utoipa::path(
    get, path = "/api/assignments/{id}", tag = "work",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "The assignment with its flow, products and calendars", body = AssignmentOverviewDto),
        (status = 404, description = "No such assignment (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn assignment(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
) -> ApiResult<Json<AssignmentOverviewDto>> {
    let overview = state.cube.assignment_overview(&actor.user, id).await?;
    Ok(Json(AssignmentOverviewDto::from(&overview)))
}

/// Hands the seller the next right customer and reserves it.
#[utoipa::path(
    post, path = "/api/assignments/{id}/next", tag = "work",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "The next customer, reserved for the caller", body = WorkItemDto),
        (status = 204, description = "Nobody is ready to be called now"),
        (status = 403, description = "The role may not work this assignment, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A hard-stop activity limit is reached", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn next_customer(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
) -> ApiResult<Response> {
    let item = state.cube.next_customer(&actor.user, id).await?;
    Ok(match item {
        Some(item) => Json(WorkItemDto::from(&item)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Some customers, and the earliest instant one of them is the caller's again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WaitingDto {
    /// How many.
    pub count: u64,
    /// When the first of them comes back (RFC 3339); `null` when there are none.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first: Option<time::OffsetDateTime>,
}

impl From<cube_domain::queue::census::Waiting> for WaitingDto {
    fn from(w: cube_domain::queue::census::Waiting) -> Self {
        Self {
            count: w.count,
            first: w.first,
        }
    }
}

/// Why the caller's queue is what it is: the assignment's customers counted by why each is
/// or is not the caller's to take now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueueDto {
    /// The instant counted at (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: time::OffsetDateTime,
    /// The caller's to take now (one they hold, due follow-ups, the ready pool).
    pub ready: u64,
    /// Held by other sellers; `first`: the earliest end of their leases.
    pub held_by_others: WaitingDto,
    /// Resting after a No answer (the assignment's retry delay); `first`: the earliest end.
    pub resting: WaitingDto,
    /// Follow-ups the caller may take that are not due yet (their own and shared ones);
    /// `first`: the earliest due.
    pub follow_ups_later: WaitingDto,
    /// Other sellers' personal follow-ups.
    pub others_follow_ups: u64,
    /// In an open, yes or no state without a pending follow-up.
    pub concluded: u64,
    /// Excluded (never called).
    pub excluded: u64,
    /// Available, but they have had the assignment's most call attempts.
    pub attempts_used: u64,
    /// Otherwise the caller's, but called as often today as the data owner allows a
    /// customer in a day; `first`: when the next day starts.
    pub daily_cap: WaitingDto,
    /// Otherwise the caller's, but on the data owner's do-not-call list.
    pub do_not_call: u64,
    /// Otherwise the caller's: consumers reserved in the reservation register without an
    /// exemption.
    pub reserved: u64,
    /// Otherwise the caller's: consumers no consumer may be called now (`consumers` says
    /// why); `first`: when the call window opens.
    pub consumers_closed: WaitingDto,
    /// Otherwise the caller's: consumers not checked against the reservation register this
    /// month (imported or given a new number after the last wash).
    pub not_checked: u64,
    /// Why no consumer (B2C customer) may be called now, if so: outside the call windows,
    /// or the data owner's consumers not washed against the register this month.
    pub consumers: Option<BarredDto>,
    /// The earliest instant a customer not ready now becomes the caller's (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_at: Option<time::OffsetDateTime>,
    /// The activity limit set as a hard stop that is reached (nobody is handed out), if any.
    pub hard_stop: Option<crate::reports::performance::LimitMetricDto>,
}

/// Why the caller's queue in the assignment is empty or short: counts per reason and when
/// the waiting customers come back.
#[utoipa::path(
    get, path = "/api/assignments/{id}/queue", tag = "work",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "The assignment's customers by why each is or is not the caller's to take now", body = QueueDto),
        (status = 403, description = "The role may not work this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn queue(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
) -> ApiResult<Json<QueueDto>> {
    let why = state.cube.queue_explanation(&actor.user, id).await?;
    let c = why.census;
    Ok(Json(QueueDto {
        at: why.at,
        ready: c.ready,
        held_by_others: c.held_by_others.into(),
        resting: c.resting.into(),
        follow_ups_later: c.follow_ups_later.into(),
        others_follow_ups: c.others_follow_ups,
        concluded: c.concluded,
        excluded: c.excluded,
        attempts_used: c.attempts_used,
        daily_cap: c.daily_cap.into(),
        do_not_call: c.do_not_call,
        reserved: c.reserved,
        consumers_closed: c.consumers_closed.into(),
        not_checked: c.not_checked,
        consumers: why.consumers.map(Into::into),
        next_at: c.next_at(),
        hard_stop: why.hard_stop.map(Into::into),
    }))
}

/// Why one customer is or is not the caller's to take next.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum QueueReasonDto {
    /// The caller's to take now: `tier` is `held`, `personal_follow_up`, `shared_follow_up`
    /// or `pool`.
    Ready {
        /// Why it comes first.
        tier: String,
    },
    /// Another seller holds it until then.
    HeldByAnother {
        /// When the lease ends (RFC 3339).
        #[serde(with = "time::serde::rfc3339")]
        #[schema(value_type = String, format = DateTime)]
        until: time::OffsetDateTime,
    },
    /// It rests after a No answer until then.
    Resting {
        /// When the rest ends (RFC 3339).
        #[serde(with = "time::serde::rfc3339")]
        #[schema(value_type = String, format = DateTime)]
        until: time::OffsetDateTime,
    },
    /// A follow-up the caller may take falls due then.
    FollowUpLater {
        /// When it is due (RFC 3339).
        #[serde(with = "time::serde::rfc3339")]
        #[schema(value_type = String, format = DateTime)]
        due: time::OffsetDateTime,
    },
    /// Another seller's personal follow-up.
    AnothersFollowUp,
    /// In an open, yes or no state without a pending follow-up.
    Concluded {
        /// The state's category.
        category: crate::dto::CategoryDto,
    },
    /// Excluded: never handed out.
    Excluded,
    /// It has had the assignment's most call attempts.
    AttemptsUsed,
    /// The assignment's rules would hand it out, but the contact policy forbids calling
    /// the customer now.
    Barred {
        /// Why.
        policy: BarredDto,
    },
}

/// Why the contact policy forbids calling a customer now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BarredDto {
    /// On the data owner's do-not-call list.
    DoNotCall,
    /// A consumer reserved in the reservation register (Reservasjonsregisteret), without an
    /// exemption.
    Reserved,
    /// A consumer, outside the call windows (weekdays 09:00–21:00 in the organisation's time
    /// zone, not on public holidays).
    CallWindow {
        /// `holiday`, `weekday` (no calling on this weekday) or `outside_hours`.
        closed: String,
        /// The holiday's name in English, when `closed` is `holiday`.
        holiday: Option<String>,
        /// When calling consumers opens again (RFC 3339); none within a year when absent.
        #[serde(with = "time::serde::rfc3339::option")]
        #[schema(value_type = Option<String>, format = DateTime)]
        opens: Option<time::OffsetDateTime>,
    },
    /// A consumer of a data owner whose consumers were not washed against the register this
    /// month.
    RegisterStale {
        /// The day of the last wash, if there was one (`YYYY-MM-DD`).
        #[schema(value_type = Option<String>, format = Date)]
        last_wash: Option<time::Date>,
    },
    /// A consumer not checked against the register this month (imported, or given a new
    /// number, after the last wash).
    NotChecked,
    /// Called as often today as the data owner allows a customer in a day.
    DailyCap {
        /// The cap.
        calls: u32,
        /// When the next day starts (RFC 3339).
        #[serde(with = "time::serde::rfc3339")]
        #[schema(value_type = String, format = DateTime)]
        until: time::OffsetDateTime,
    },
}

impl From<cube_domain::contact_policy::standing::Barred> for BarredDto {
    fn from(barred: cube_domain::contact_policy::standing::Barred) -> Self {
        use cube_domain::contact_policy::Closed;
        use cube_domain::contact_policy::standing::Barred;
        match barred {
            Barred::DoNotCall => BarredDto::DoNotCall,
            Barred::Reserved => BarredDto::Reserved,
            Barred::CallWindow { closed, opens } => BarredDto::CallWindow {
                closed: match closed {
                    Closed::Holiday(_) => "holiday",
                    Closed::Weekday(_) => "weekday",
                    Closed::OutsideHours => "outside_hours",
                }
                .to_owned(),
                holiday: match closed {
                    Closed::Holiday(holiday) => Some(holiday.name_en.to_owned()),
                    _ => None,
                },
                opens,
            },
            Barred::RegisterStale { last_wash } => BarredDto::RegisterStale { last_wash },
            Barred::NotChecked => BarredDto::NotChecked,
            Barred::DailyCap { calls, until } => BarredDto::DailyCap { calls, until },
        }
    }
}

impl From<cube_domain::queue::census::Reason> for QueueReasonDto {
    fn from(reason: cube_domain::queue::census::Reason) -> Self {
        use cube_domain::queue::Tier;
        use cube_domain::queue::census::Reason;
        match reason {
            Reason::Ready(tier) => QueueReasonDto::Ready {
                tier: match tier {
                    Tier::Held => "held",
                    Tier::PersonalFollowUp => "personal_follow_up",
                    Tier::SharedFollowUp => "shared_follow_up",
                    Tier::Pool => "pool",
                }
                .to_owned(),
            },
            Reason::HeldByAnother { until } => QueueReasonDto::HeldByAnother { until },
            Reason::Resting { until } => QueueReasonDto::Resting { until },
            Reason::FollowUpLater { due } => QueueReasonDto::FollowUpLater { due },
            Reason::AnothersFollowUp => QueueReasonDto::AnothersFollowUp,
            Reason::Concluded(category) => QueueReasonDto::Concluded {
                category: category.into(),
            },
            Reason::Excluded => QueueReasonDto::Excluded,
            Reason::AttemptsUsed => QueueReasonDto::AttemptsUsed,
            Reason::Barred(barred) => QueueReasonDto::Barred {
                policy: barred.into(),
            },
        }
    }
}

/// Why one customer is or is not the caller's to take next, now.
#[utoipa::path(
    get, path = "/api/enrollments/{id}/queue-reason", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment (a customer in an assignment)")),
    responses(
        (status = 200, description = "The reason, and until when where it passes", body = QueueReasonDto),
        (status = 404, description = "No such customer in an assignment the caller works", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn queue_reason(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
) -> ApiResult<Json<QueueReasonDto>> {
    let reason = state.cube.queue_reason(&actor.user, id).await?;
    Ok(Json(reason.into()))
}

/// Takes a given customer (from My Work or a search) and reserves it.
#[utoipa::path(
    post, path = "/api/enrollments/{id}/take", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment")),
    responses(
        (status = 200, description = "The customer, reserved for the caller", body = WorkItemDto),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another seller holds the customer, or the contact policy forbids calling them now (the do-not-call list, the reservation register, a consumer outside the call windows)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Another seller's personal follow-up", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn take(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
) -> ApiResult<Json<WorkItemDto>> {
    let item = state.cube.take_customer(&actor.user, id).await?;
    Ok(Json(WorkItemDto::from(&item)))
}

/// The customer's history in the assignment: every outcome registered on them, oldest first,
/// with its field values, product lines at the price sold, meeting and follow-up. A seller
/// reads it for a customer they hold or whose personal follow-up is theirs.
#[utoipa::path(
    get, path = "/api/enrollments/{id}/history", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment")),
    responses(
        (status = 200, description = "The history, oldest first", body = Vec<HistoryEntryDto>),
        (status = 403, description = "A seller who neither holds nor follows up the customer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn history(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
) -> ApiResult<Json<Vec<HistoryEntryDto>>> {
    let events = state.cube.customer_history(&actor.user, id).await?;
    Ok(Json(events.iter().map(HistoryEntryDto::from).collect()))
}

/// A follow-up's new time, and (managers, admins) its new owner.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveFollowUpRequest {
    /// The new time (RFC 3339), in the future.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due: time::OffsetDateTime,
    /// Left out: the owner stays. `null`: shared with every seller. A seller's id: theirs
    /// (managers and admins only; the seller must work the assignment).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub owner: Option<Option<Uuid>>,
}

/// A field that is there, even as `null` (`Some(None)`), as against left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    <Option<Uuid> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Moves a customer's follow-up without a call: a seller their own personal follow-up to a
/// new time; a manager or admin any follow-up to any time and owner (a seller who is ill).
#[utoipa::path(
    put, path = "/api/enrollments/{id}/follow-up", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment")),
    request_body = MoveFollowUpRequest,
    responses(
        (status = 200, description = "The customer with the moved follow-up", body = EnrollmentDto),
        (status = 403, description = "A seller moving another's follow-up, or handing theirs on", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer, or no such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No follow-up to move, a time in the past, or an owner who does not sell in the assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn move_follow_up(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
    ApiJson(request): ApiJson<MoveFollowUpRequest>,
) -> ApiResult<Json<EnrollmentDto>> {
    let owner = request.owner.map(|o| o.map(UserId::from_uuid));
    let enrollment = state
        .cube
        .move_follow_up(&actor.user, id, request.due, owner)
        .await?;
    Ok(Json(EnrollmentDto::from(&enrollment)))
}

/// Gives a reserved customer back before the lease runs out.
#[utoipa::path(
    post, path = "/api/enrollments/{id}/release", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment")),
    responses(
        (status = 200, description = "The customer, released if the caller held it (nothing to do when nobody did)", body = EnrollmentDto),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another seller holds the customer: theirs to give back", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn release(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
) -> ApiResult<Json<EnrollmentDto>> {
    let enrollment = state.cube.release_customer(&actor.user, id).await?;
    Ok(Json(EnrollmentDto::from(&enrollment)))
}

/// Registers an outcome. With an `Idempotency-Key` header a retried request answers with
/// the first result instead of counting twice; the key is the caller's own, and the same key
/// with a different request is refused (422).
#[utoipa::path(
    post, path = "/api/enrollments/{id}/outcomes", tag = "work",
    params(
        ("id" = Uuid, Path, description = "The enrollment"),
        ("Idempotency-Key" = Option<String>, Header, description = "A client-chosen key, the caller's own; a retry with the same key and the same request is answered with the first result, the same key with a different request is refused (422)"),
    ),
    request_body = RegisterOutcomeRequest,
    responses(
        (status = 200, description = "Registered (or replayed)", body = RegisteredDto),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another seller holds the customer, the lease is lost, or the meeting overlaps", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The outcome does not fit the flow, the setup or the fields, or the Idempotency-Key was used with a different request", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn register_outcome(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<RegisterOutcomeRequest>,
) -> ApiResult<Json<RegisteredDto>> {
    let key = request_key(&headers)?;
    let command = request.into_domain()?;
    let registered = state
        .cube
        .register_outcome(&actor.user, id, command, key)
        .await?;
    Ok(Json(RegisteredDto::from(&registered)))
}

/// My Work: personal and shared follow-ups due by the end of today.
#[utoipa::path(
    get, path = "/api/my-work", tag = "work",
    responses(
        (status = 200, description = "The caller's follow-ups", body = MyWorkDto),
    ),
)]
pub async fn my_work(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<MyWorkDto>> {
    let work = state.cube.my_work(&actor.user).await?;
    Ok(Json(MyWorkDto::from(&work)))
}

/// A customer found by a seller's search.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FoundCustomerDto {
    /// The enrollment: take it with `POST /api/enrollments/{id}/take`.
    pub enrollment: EnrollmentDto,
    /// The customer's name.
    pub name: String,
    /// The fields the assignment shows, in its order.
    pub view: Vec<ViewEntryDto>,
    /// Whether taking it now would go through.
    pub may_take: bool,
    /// Why not, when it would not (held by another seller until a time, another seller's
    /// personal follow-up, taken out of the work).
    pub refused: Option<String>,
}

/// A page of a seller's search.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FoundPageDto {
    /// The customers of this page of matches that are in the assignment (a page may hold
    /// fewer than `limit`).
    pub customers: Vec<FoundCustomerDto>,
    /// The `offset` of the next page of matches; `null` on the last page.
    pub next_offset: Option<u64>,
}

/// Search and take (seed 004's other work mode): the customers of an assignment the caller
/// works that match the search, with the fields the assignment shows and whether each may be
/// taken now. Nothing is reserved; take one with `POST /api/enrollments/{id}/take`.
#[utoipa::path(
    get, path = "/api/assignments/{id}/customers", tag = "work",
    params(("id" = Uuid, Path, description = "The assignment"), CustomerPageQuery),
    responses(
        (status = 200, description = "The customers found in the assignment", body = FoundPageDto),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not work this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A search word, phone number or page size is not valid", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn search(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<CustomerPageQuery>,
) -> ApiResult<Json<FoundPageDto>> {
    let page = state
        .cube
        .search_to_take(&actor.user, id, &query.filter()?, query.page()?)
        .await?;
    Ok(Json(FoundPageDto {
        customers: page
            .found
            .iter()
            .map(|f| FoundCustomerDto {
                enrollment: (&f.enrollment).into(),
                name: f.name.clone(),
                view: f.view.iter().map(Into::into).collect(),
                may_take: f.refused.is_none(),
                refused: f.refused.clone(),
            })
            .collect(),
        next_offset: page.next_offset,
    }))
}

/// The request's `Idempotency-Key` header, checked once here (the use cases take it typed):
/// 400 when it is not 1 to 200 visible ASCII characters.
pub(crate) fn request_key(headers: &HeaderMap) -> Result<Option<RequestKey>, ApiError> {
    headers
        .get("idempotency-key")
        .map(|value| {
            value
                .to_str()
                .map_err(|_| RequestKeyError)
                .and_then(RequestKey::parse)
                .map_err(|error| ApiError::Malformed {
                    status: StatusCode::BAD_REQUEST,
                    detail: error.to_string(),
                })
        })
        .transpose()
}
