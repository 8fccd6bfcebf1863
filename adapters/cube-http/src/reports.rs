//! The report endpoints of one assignment: customer status now, and activity, outcomes and
//! sales in a window `[from, to)` (RFC 3339 query parameters; today in UTC by default).
//! The bodies are this adapter's, converted from the domain's report types. Every percent of
//! every report is a [`Percent`]: a JSON string holding a decimal with exactly two places
//! (`"75.00"`, `"100.00"`, `"120.00"`), `null` when there is nothing to divide by. Money is a
//! decimal string in its currency's scale (`"1497.00"` NOK). Every report refuses a query
//! parameter it does not know (400, naming it), as the customer list does.
//!
//! This file holds the pieces every report shares ([`Percent`], [`WindowQuery`],
//! [`NoQuery`]), the four reports above, and the group's router and OpenAPI part. The
//! remaining reports live in submodules:
//! - [`performance`]: performance across every assignment the user may read, and progress
//!   towards an assignment's activity limits.
//! - [`meetings`]: the meetings booked in an assignment, in a window.
//! - [`hits`]: hit analysis — yes, no and hitrate now per value of each analysis field.
//! - [`export`]: the customer-status download, CSV or an Excel workbook.
//! - [`outcome_list`]: the concrete outcomes of an assignment, filtered and paged.
//! - [`sold_lines`]: the sales report's lines, one per sold product, paged.
//! - [`outcome_export`]: the concrete outcomes and the sold products as an Excel workbook or
//!   CSV.
//! - [`offer_export`]: the open offers now as an Excel workbook or CSV.
//!
//! Every file is written by [`crate::table`]; the meetings file lives beside its report in
//! [`meetings`].

pub mod export;
pub mod hits;
pub mod meetings;
pub mod offer_export;
pub mod outcome_export;
pub mod outcome_list;
pub mod performance;
pub mod sold_lines;

use crate::AppState;
use crate::auth::Actor;
use crate::dto::MeetingKindDto;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, Problem};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use cube_app::reports::{SalesOverview, Window};
use cube_domain::access::User;
use cube_domain::ids::AssignmentId;
use cube_domain::reports::{ActivitySummary, CustomerStatusReport, OutcomeDistribution, Ratio};
use cube_domain::time_zone::TimeZone;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The report endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/assignments/{id}/reports/status", get(status))
        .route(
            "/api/assignments/{id}/reports/status/export",
            get(export::status_export),
        )
        .route("/api/assignments/{id}/reports/activity", get(activity))
        .route("/api/assignments/{id}/reports/outcomes", get(outcomes))
        .route(
            "/api/assignments/{id}/outcome-events",
            get(outcome_list::outcome_list),
        )
        .route(
            "/api/assignments/{id}/outcome-events/export",
            get(outcome_export::outcome_export),
        )
        .route("/api/assignments/{id}/reports/sales", get(sales))
        .route(
            "/api/assignments/{id}/reports/sales/lines",
            get(sold_lines::sold_lines),
        )
        .route(
            "/api/assignments/{id}/reports/sales/lines/export",
            get(outcome_export::sales_lines_export),
        )
        .route(
            "/api/assignments/{id}/reports/sales/open-offers/export",
            get(offer_export::open_offers_export),
        )
        .route(
            "/api/assignments/{id}/reports/meetings",
            get(meetings::meetings),
        )
        .route(
            "/api/assignments/{id}/reports/meetings/export",
            get(meetings::meetings_export),
        )
        .route(
            "/api/assignments/{id}/reports/limits",
            get(performance::limits),
        )
        .route("/api/assignments/{id}/reports/hits", get(hits::hits))
        .route("/api/calendars/{id}/meetings", get(meetings::calendar))
        .route("/api/reports/performance", get(performance::performance))
}

/// The report endpoints' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        status, activity, outcomes, sales, export::status_export,
        performance::performance, performance::limits,
        meetings::meetings, meetings::calendar, hits::hits, outcome_list::outcome_list,
        sold_lines::sold_lines, outcome_export::outcome_export, outcome_export::sales_lines_export,
        offer_export::open_offers_export, meetings::meetings_export,
    ),
    components(schemas(
        Problem, Percent, MeetingKindDto,
        StateCountDto, StatusReportDto, ActivityReportDto, OutcomeShareDto, OutcomeReportDto,
        ProductSalesDto, OpenOfferDto, SalesReportDto, OutcomeNameDto, CurrencyTotalDto,
        SalesConfirmationsDto,
        crate::table::Separator,
        performance::ResultsDto, performance::RatesDto, performance::AchievementDto,
        performance::PerformanceDto, performance::UserPerformanceDto,
        performance::AssignmentPerformanceDto, performance::PerformanceReportDto,
        performance::LimitMetricDto, performance::LimitModeDto, performance::LimitProgressDto,
        meetings::MeetingRowDto, hits::ValueHitsDto, hits::FieldHitsDto,
        outcome_list::OutcomeListItemDto, outcome_list::OutcomeListDto,
        sold_lines::SalesLineDto, sold_lines::SalesLinesDto, crate::table::FileFormat,
    )),
    tags((name = "reports", description = "Reports of one assignment, and performance across assignments")),
)]
pub struct ReportsApi;

/// A percent on the wire: a JSON string holding a decimal with exactly two places —
/// `"75.00"`, `"100.00"`, `"120.00"` (achievement and limit progress may pass 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Percent(Decimal);

impl Percent {
    /// The pattern every percent matches, stated in the OpenAPI document.
    pub const PATTERN: &'static str = r"^-?[0-9]+\.[0-9]{2}$";

    /// `value` percent, with exactly two decimals.
    pub fn new(value: Decimal) -> Self {
        Self(cube_domain::reports::two_places(value))
    }
}

impl utoipa::PartialSchema for Percent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(Self::PATTERN))
            .description(Some(
                "A percent: a decimal with exactly two places, as a string (\"75.00\", \"100.00\", \"120.00\")",
            ))
            .examples(["75.00"])
            .into()
    }
}

impl ToSchema for Percent {}

/// A report that takes no query parameters: any given is refused (400, naming it), so a
/// misspelt parameter is never silently ignored.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// A report window. Each bound is an instant (RFC 3339) or a date (`YYYY-MM-DD`): a date is
/// that day's start in the organisation's time zone, so `from=2026-03-01&to=2026-04-01` is
/// March as the call centre lives it, whatever the clocks did meanwhile. `to` is exclusive,
/// but a `to` date equal to a `from` date is that one day (`from=2026-03-02&to=2026-03-02`
/// is the 2nd, as `to=2026-03-03` is): the window a user asks for most, written as a user
/// writes it.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default:
    /// today 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: an RFC 3339 time, or a date meaning its local start (the same date
    /// as `from`: that whole day); default: tomorrow 00:00 in the organisation's time zone.
    pub to: Option<String>,
}

/// A window bound as given: an instant, or a local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Instant(OffsetDateTime),
    Date(time::Date),
}

impl Bound {
    /// The instant it starts at in `zone` (a date: its first instant there).
    fn start(self, zone: &TimeZone) -> OffsetDateTime {
        match self {
            Bound::Instant(at) => at,
            Bound::Date(date) => zone.start_of(date),
        }
    }
}

/// A window bound: an RFC 3339 time, or a date (read as its first instant in the zone).
fn parse_bound(name: &str, raw: &str) -> ApiResult<Bound> {
    if let Ok(time) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(Bound::Instant(time));
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(raw, &date_format) {
        Ok(date) => Ok(Bound::Date(date)),
        Err(_) => Err(ApiError::Malformed {
            status: StatusCode::BAD_REQUEST,
            detail: format!(
                "`{name}` must be an RFC 3339 time such as 2025-03-03T00:00:00Z or a date such \
                 as 2025-03-03 (the day's start in the organisation's time zone)"
            ),
        }),
    }
}

impl WindowQuery {
    /// [`WindowQuery::window`] in `user`'s organisation's time zone, by the cube's clock.
    pub(crate) async fn window_for(&self, cube: &cube_app::Cube, user: &User) -> ApiResult<Window> {
        let zone = cube.time_zone_of(user).await?;
        self.window(cube.now(), &zone)
    }

    /// The window asked for; a missing `from` or `to` defaults to the start or end of today
    /// in the organisation's time zone by `now`, the cube's clock. A `to` date equal to a
    /// `from` date ends the window at the end of that day.
    pub(crate) fn window(&self, now: OffsetDateTime, zone: &TimeZone) -> ApiResult<Window> {
        let today = Window::today(now, zone);
        let from = self
            .from
            .as_deref()
            .map(|raw| parse_bound("from", raw))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .map(|raw| parse_bound("to", raw))
            .transpose()?;
        let to = match (from, to) {
            (Some(Bound::Date(first)), Some(Bound::Date(last))) if first == last => {
                zone.start_of(first.next_day().unwrap_or(first))
            }
            (_, Some(to)) => to.start(zone),
            (_, None) => today.to,
        };
        let from = from.map_or(today.from, |from| from.start(zone));
        if to <= from {
            return Err(ApiError::Malformed {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: "`to` must be after `from`: the report window must end after it starts \
                         (a `to` date is that day's start, not in the window; the same date as \
                         `from` is that one day)"
                    .to_owned(),
            });
        }
        Ok(Window::new(from, to)?)
    }
}

fn percent(ratio: Ratio) -> Option<Percent> {
    ratio.percent().map(Percent::new)
}

/// Customers in one state now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StateCountDto {
    /// The state.
    pub state: Uuid,
    /// Its name.
    pub name: String,
    /// Its colour, `#rrggbb`.
    pub colour: String,
    /// Customers in it.
    pub customers: u64,
}

/// Customer status now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatusReportDto {
    /// Per state, in the flow's order.
    pub per_state: Vec<StateCountDto>,
    /// All customers.
    pub total: u64,
    /// Share of customers in a Yes, No or Excluded state, in percent.
    pub utilization_percent: Option<Percent>,
    /// Customers in an available state (no progress yet: not in an open, Yes, No or
    /// excluded state) never attempted. Customers in other states are not in any of the
    /// three `attempts_*` counts, so the three add up to the available customers, not to
    /// `total`.
    pub attempts_zero: u64,
    /// Customers in an available state attempted once.
    pub attempts_one: u64,
    /// Customers in an available state attempted two or more times.
    pub attempts_two_or_more: u64,
    /// Customers reserved now: handed to a seller whose lease has not run out. A customer
    /// stuck in a reservation (a seller gone without registering or releasing) counts here
    /// until the lease ends; they are not handed to anyone else meanwhile.
    pub reserved: u64,
}

impl From<&CustomerStatusReport> for StatusReportDto {
    fn from(r: &CustomerStatusReport) -> Self {
        Self {
            per_state: r
                .per_state
                .iter()
                .map(|s| StateCountDto {
                    state: s.state.as_uuid(),
                    name: s.name.clone(),
                    colour: s.colour.to_string(),
                    customers: s.customers,
                })
                .collect(),
            total: r.total,
            utilization_percent: percent(r.utilization),
            attempts_zero: r.attempts.zero,
            attempts_one: r.attempts.one,
            attempts_two_or_more: r.attempts.two_or_more,
            reserved: r.reserved,
        }
    }
}

/// Activity in a window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityReportDto {
    /// Outcomes landing in Yes or No.
    pub conclusions: u64,
    /// Landing in Yes.
    pub yes: u64,
    /// Landing in No.
    pub no: u64,
    /// Progress outcomes.
    pub progress: u64,
    /// Attempts (no answer, call back later).
    pub attempts: u64,
    /// Yes of conclusions, in percent.
    pub hitrate_percent: Option<Percent>,
    /// Progress of all outcomes, in percent.
    pub progress_rate_percent: Option<Percent>,
    /// Meetings booked.
    pub meetings: u64,
    /// Product units sold.
    pub products_sold: u64,
    /// Value of the products sold (a plain sum over currencies), at least two decimals.
    pub sales_value: Decimal,
    /// Hours registered.
    pub hours: Decimal,
}

impl ActivityReportDto {
    fn new(a: &ActivitySummary, hours: Decimal) -> Self {
        Self {
            conclusions: a.conclusions,
            yes: a.yes,
            no: a.no,
            progress: a.progress,
            attempts: a.attempts,
            hitrate_percent: percent(a.hitrate),
            progress_rate_percent: percent(a.progress_rate),
            meetings: a.meetings,
            products_sold: a.products_sold,
            sales_value: a.sales_value,
            hours,
        }
    }
}

/// One outcome's (and option's) share.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutcomeShareDto {
    /// The outcome.
    pub outcome: Uuid,
    /// Its name.
    pub name: String,
    /// The colour of the state it leads to (`#rrggbb`); `null` for attempts.
    pub colour: Option<String>,
    /// The option, if any.
    pub option: Option<String>,
    /// How many times.
    pub events: u64,
    /// Of all outcomes, in percent.
    pub share_percent: Option<Percent>,
}

/// An outcome, named.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutcomeNameDto {
    /// The outcome.
    pub outcome: Uuid,
    /// Its name.
    pub name: String,
    /// The colour of the state it leads to (`#rrggbb`): how "Other" is drawn.
    pub colour: Option<String>,
}

/// Outcome distribution in a window. An outcome counts in the category of the state it
/// leads to (as registered, never where the customer is later); attempts lead nowhere and
/// have their own line. `yes + no + excluded + other + attempts = total`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutcomeReportDto {
    /// Per outcome and option.
    pub rows: Vec<OutcomeShareDto>,
    /// All outcomes.
    pub total: u64,
    /// Leading to a Yes state.
    pub yes: u64,
    /// Leading to a Yes state, in percent.
    pub yes_percent: Option<Percent>,
    /// Leading to a No state.
    pub no: u64,
    /// Leading to a No state, in percent.
    pub no_percent: Option<Percent>,
    /// Leading to an Excluded state.
    pub excluded: u64,
    /// Leading to an Excluded state, in percent.
    pub excluded_percent: Option<Percent>,
    /// Leading to any other state (Available or Open).
    pub other: u64,
    /// Leading to any other state, in percent.
    pub other_percent: Option<Percent>,
    /// The outcomes counted in `other`.
    pub other_outcomes: Vec<OutcomeNameDto>,
    /// Attempts (no answer, call back later), which lead nowhere.
    pub attempts: u64,
    /// Attempts, in percent.
    pub attempts_percent: Option<Percent>,
}

impl From<&OutcomeDistribution> for OutcomeReportDto {
    fn from(r: &OutcomeDistribution) -> Self {
        Self {
            rows: r
                .rows
                .iter()
                .map(|s| OutcomeShareDto {
                    outcome: s.outcome.as_uuid(),
                    name: s.name.clone(),
                    colour: s.colour.map(|c| c.to_string()),
                    option: s.option.clone(),
                    events: s.events,
                    share_percent: percent(s.share),
                })
                .collect(),
            total: r.total,
            yes: r.categories.yes.numerator(),
            yes_percent: percent(r.categories.yes),
            no: r.categories.no.numerator(),
            no_percent: percent(r.categories.no),
            excluded: r.categories.excluded.numerator(),
            excluded_percent: percent(r.categories.excluded),
            other: r.categories.other.numerator(),
            other_percent: percent(r.categories.other),
            other_outcomes: r
                .other_outcomes
                .iter()
                .map(|o| OutcomeNameDto {
                    outcome: o.outcome.as_uuid(),
                    name: o.name.clone(),
                    colour: o.colour.map(|c| c.to_string()),
                })
                .collect(),
            attempts: r.categories.attempts.numerator(),
            attempts_percent: percent(r.categories.attempts),
        }
    }
}

/// Sales of one product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductSalesDto {
    /// The product.
    pub product: Uuid,
    /// ISO 4217 currency.
    pub currency: String,
    /// Units.
    pub units: u64,
    /// Value, in the currency's scale.
    pub value: Decimal,
}

/// Units and value sold in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CurrencyTotalDto {
    /// ISO 4217 currency.
    pub currency: String,
    /// Units.
    pub units: u64,
    /// Value, in the currency's scale (`"1497.00"` NOK).
    pub value: Decimal,
}

/// An open offer now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpenOfferDto {
    /// The enrollment.
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// Who made the offer (its owner); `null` when the system registered it.
    pub seller: Option<Uuid>,
    /// Offered since (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: OffsetDateTime,
    /// Its value.
    pub value: Decimal,
}

/// Sales in a window, and open offers now.
///
/// **Written confirmation (angrerettloven § 10).** In an assignment that requires it, a sale
/// to a consumer binds only once the customer has accepted the written offer. Such a sale
/// counts in `totals`, `products` and `total_units` only once **confirmed**; while pending,
/// and when refused, expired or failed, it is counted in `confirmations` instead. Sales that
/// need no confirmation (business customers, assignments without the setting) count as
/// always. `sales` counts every sale, confirmed or not.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalesReportDto {
    /// Sales: outcomes leading to a Yes state, with or without product lines, confirmed in
    /// writing or not.
    pub sales: u64,
    /// Value of the sales' product lines per currency, by currency code: confirmed sales
    /// only, for sales that needed written confirmation.
    pub totals: Vec<CurrencyTotalDto>,
    /// Per product (the same rule as `totals`).
    pub products: Vec<ProductSalesDto>,
    /// Units in all (the same rule as `totals`).
    pub total_units: u64,
    /// The sales in the window that needed written confirmation, by where they stand.
    pub confirmations: SalesConfirmationsDto,
    /// Open offers now.
    pub open_offers: Vec<OpenOfferDto>,
}

/// The sales of a report that needed written confirmation (angrerettloven § 10).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalesConfirmationsDto {
    /// Confirmed by the customer: counted in the sold value.
    pub confirmed: u64,
    /// Waiting for the customer's answer: not counted.
    pub pending: u64,
    /// Refused by the customer: not counted.
    pub refused: u64,
    /// Not answered in the window: not counted.
    pub expired: u64,
    /// The offer could not be sent (no mobile number): not counted.
    pub failed: u64,
    /// Units of the sales not confirmed (left out of `total_units`).
    pub unconfirmed_units: u64,
    /// Value per currency of the sales not confirmed (left out of `totals`).
    pub unconfirmed_value: Vec<CurrencyTotalDto>,
}

impl From<&SalesOverview> for SalesReportDto {
    fn from(r: &SalesOverview) -> Self {
        Self {
            sales: r.sold.sales,
            totals: r
                .sold
                .totals
                .iter()
                .map(|t| CurrencyTotalDto {
                    currency: t.currency.as_str().to_owned(),
                    units: t.units,
                    value: t.value,
                })
                .collect(),
            products: r
                .sold
                .products
                .iter()
                .map(|p| ProductSalesDto {
                    product: p.product.as_uuid(),
                    currency: p.currency.as_str().to_owned(),
                    units: p.units,
                    value: p.value,
                })
                .collect(),
            total_units: r.sold.total_units,
            confirmations: {
                let c = &r.sold.confirmations;
                SalesConfirmationsDto {
                    confirmed: c.confirmed,
                    pending: c.pending,
                    refused: c.refused,
                    expired: c.expired,
                    failed: c.failed,
                    unconfirmed_units: c.unconfirmed_units,
                    unconfirmed_value: c
                        .unconfirmed_value
                        .iter()
                        .map(|t| CurrencyTotalDto {
                            currency: t.currency.as_str().to_owned(),
                            units: t.units,
                            value: t.value,
                        })
                        .collect(),
                }
            },
            open_offers: r
                .open_offers
                .iter()
                .map(|o| OpenOfferDto {
                    enrollment: o.enrollment.as_uuid(),
                    customer: o.customer.as_uuid(),
                    seller: o.seller.map(|u| u.as_uuid()),
                    since: o.since,
                    value: o.value,
                })
                .collect(),
        }
    }
}

/// Customer status of an assignment now.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/status", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "Customers per state now", body = StatusReportDto),
        (status = 400, description = "Malformed id, or a query parameter (this report takes none)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn status(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> ApiResult<Json<StatusReportDto>> {
    let r = state.cube.customer_status_report(&actor.user, id).await?;
    Ok(Json(StatusReportDto::from(&r)))
}

/// Activity of an assignment in a window.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/activity", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), WindowQuery),
    responses(
        (status = 200, description = "Activity in the window", body = ActivityReportDto),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn activity(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> ApiResult<Json<ActivityReportDto>> {
    let r = state
        .cube
        .activity_report(
            &actor.user,
            id,
            query.window_for(&state.cube, &actor.user).await?,
        )
        .await?;
    Ok(Json(ActivityReportDto::new(
        &r.activity,
        r.performance.overall.hours,
    )))
}

/// Outcome distribution of an assignment in a window.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/outcomes", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), WindowQuery),
    responses(
        (status = 200, description = "Outcomes in the window", body = OutcomeReportDto),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn outcomes(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> ApiResult<Json<OutcomeReportDto>> {
    let r = state
        .cube
        .outcome_report(
            &actor.user,
            id,
            query.window_for(&state.cube, &actor.user).await?,
        )
        .await?;
    Ok(Json(OutcomeReportDto::from(&r)))
}

/// Sales of an assignment in a window, and its open offers now. Where sales to consumers
/// need written confirmation (angrerettloven § 10), the sold value counts confirmed sales
/// only; `confirmations` tells confirmed from pending (and refused, expired, failed) sales.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/sales", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), WindowQuery),
    responses(
        (status = 200, description = "Sales in the window", body = SalesReportDto),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn sales(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> ApiResult<Json<SalesReportDto>> {
    let r = state
        .cube
        .sales_report(
            &actor.user,
            id,
            query.window_for(&state.cube, &actor.user).await?,
        )
        .await?;
    Ok(Json(SalesReportDto::from(&r)))
}
