//! A data owner's product catalogue and calendars: listing the catalogue, adding a product
//! and stopping or resuming its sale; listing the calendars, creating one and reading one.
//! Admins and the data owner's managers do this.

use super::created;
use super::users::ActiveRequest;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem, invalid_field};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use cube_app::setup::NewProduct;
use cube_domain::ids::{CalendarId, DataOwnerId, ProductId};
use cube_domain::meeting::{Calendar, ClockTime, OpeningPeriod};
use cube_domain::product::Product;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Weekday;
use utoipa::ToSchema;
use uuid::Uuid;

/// A product to add to the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProductRequest {
    /// The name.
    pub name: String,
    /// The product code (1 to 64 characters).
    pub code: String,
    /// The list price of one unit (a decimal string such as `"499.00"`, or a number): 0 to
    /// 1000000000 with at most two decimals.
    pub unit_price: Decimal,
    /// ISO 4217 currency (`NOK`, `EUR`).
    pub currency: String,
}

/// A product of the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductDto {
    /// The id.
    pub id: Uuid,
    /// The data owner.
    pub data_owner: Uuid,
    /// The name.
    pub name: String,
    /// The product code.
    pub code: String,
    /// The list price of one unit, as a decimal string.
    pub unit_price: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
    /// Whether it is sold.
    pub active: bool,
}

impl From<&Product> for ProductDto {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id().as_uuid(),
            data_owner: p.data_owner().as_uuid(),
            name: p.name().to_string(),
            code: p.code().to_owned(),
            unit_price: p.unit_price(),
            currency: p.currency().as_str().to_owned(),
            active: p.active(),
        }
    }
}

/// The data owner's product catalogue, by name, with the products no longer sold.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/products", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "Every product of the catalogue, by name", body = Vec<ProductDto>),
        (status = 403, description = "The role may not set up this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn products(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Json<Vec<ProductDto>>> {
    let products = state.cube.products(&actor.user, id).await?;
    Ok(Json(products.iter().map(ProductDto::from).collect()))
}

/// Adds a product to the data owner's catalogue.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/products", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body = NewProductRequest,
    responses(
        (status = 201, description = "The product, active", body = ProductDto),
        (status = 403, description = "The role may not set up this data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, code, price or currency", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_product(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiJson(request): ApiJson<NewProductRequest>,
) -> ApiResult<(StatusCode, Json<ProductDto>)> {
    let new = NewProduct {
        name: request.name,
        code: request.code,
        unit_price: request.unit_price,
        currency: request.currency,
    };
    let product = state.cube.create_product(&actor.user, id, new).await?;
    Ok((StatusCode::CREATED, Json(ProductDto::from(&product))))
}

/// Changes a product's name, code and list price. Past sales keep the price they were sold
/// at.
#[utoipa::path(
    put, path = "/api/products/{id}", tag = "setup",
    params(("id" = Uuid, Path, description = "The product")),
    request_body = NewProductRequest,
    responses(
        (status = 200, description = "The product as changed", body = ProductDto),
        (status = 403, description = "The role may not set up the product's data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another product of the data owner has the code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, code, price or currency", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update_product(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<ProductId>,
    ApiJson(request): ApiJson<NewProductRequest>,
) -> ApiResult<Json<ProductDto>> {
    let change = NewProduct {
        name: request.name,
        code: request.code,
        unit_price: request.unit_price,
        currency: request.currency,
    };
    let product = state.cube.update_product(&actor.user, id, change).await?;
    Ok(Json(ProductDto::from(&product)))
}

/// Stops or resumes selling a product.
#[utoipa::path(
    put, path = "/api/products/{id}/active", tag = "setup",
    params(("id" = Uuid, Path, description = "The product")),
    request_body = ActiveRequest,
    responses(
        (status = 200, description = "The product", body = ProductDto),
        (status = 403, description = "The role may not set up the product's data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_product_active(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<ProductId>,
    ApiJson(request): ApiJson<ActiveRequest>,
) -> ApiResult<Json<ProductDto>> {
    let product = state
        .cube
        .set_product_active(&actor.user, id, request.active)
        .await?;
    Ok(Json(ProductDto::from(&product)))
}

/// A calendar to create.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendarRequest {
    /// The name (a salesperson, a room).
    pub name: String,
    /// Whether two meetings may overlap (default: no).
    #[serde(default)]
    pub allows_overlap: bool,
}

/// A calendar meetings are booked in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CalendarDto {
    /// The id.
    pub id: Uuid,
    /// The data owner whose assignments may book in it.
    pub data_owner: Uuid,
    /// The name.
    pub name: String,
    /// Whether two meetings may overlap.
    pub allows_overlap: bool,
    /// When it takes meetings, in the organisation's time zone, by weekday and time; empty:
    /// at any time.
    pub opening_hours: Vec<OpeningPeriodDto>,
    /// Whether new meetings may be booked in it (a closed calendar keeps its meetings).
    pub active: bool,
}

impl From<&Calendar> for CalendarDto {
    fn from(c: &Calendar) -> Self {
        Self {
            id: c.id.as_uuid(),
            data_owner: c.data_owner.as_uuid(),
            name: c.name.to_string(),
            allows_overlap: c.allows_overlap,
            opening_hours: c.opening_hours.iter().map(OpeningPeriodDto::from).collect(),
            active: c.active,
        }
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeekdayDto {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl From<WeekdayDto> for Weekday {
    fn from(day: WeekdayDto) -> Self {
        match day {
            WeekdayDto::Monday => Weekday::Monday,
            WeekdayDto::Tuesday => Weekday::Tuesday,
            WeekdayDto::Wednesday => Weekday::Wednesday,
            WeekdayDto::Thursday => Weekday::Thursday,
            WeekdayDto::Friday => Weekday::Friday,
            WeekdayDto::Saturday => Weekday::Saturday,
            WeekdayDto::Sunday => Weekday::Sunday,
        }
    }
}

impl From<Weekday> for WeekdayDto {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Monday => WeekdayDto::Monday,
            Weekday::Tuesday => WeekdayDto::Tuesday,
            Weekday::Wednesday => WeekdayDto::Wednesday,
            Weekday::Thursday => WeekdayDto::Thursday,
            Weekday::Friday => WeekdayDto::Friday,
            Weekday::Saturday => WeekdayDto::Saturday,
            Weekday::Sunday => WeekdayDto::Sunday,
        }
    }
}

/// One period a calendar takes meetings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningPeriodDto {
    /// The weekday.
    pub day: WeekdayDto,
    /// Opens, local time `HH:MM`.
    #[schema(example = "08:00")]
    pub opens: String,
    /// Closes, local time `HH:MM` (up to `24:00`), after `opens`.
    #[schema(example = "16:00")]
    pub closes: String,
}

impl From<&OpeningPeriod> for OpeningPeriodDto {
    fn from(p: &OpeningPeriod) -> Self {
        Self {
            day: p.day.into(),
            opens: p.opens.to_string(),
            closes: p.closes.to_string(),
        }
    }
}

impl OpeningPeriodDto {
    /// The domain's period; a bad time names its field (`opening_hours[2].closes`).
    pub fn into_domain(self, at: usize) -> ApiResult<OpeningPeriod> {
        let time = |raw: &str, field: &str| {
            ClockTime::parse(raw)
                .map_err(|e| invalid_field(format!("opening_hours[{at}].{field}"), e))
        };
        Ok(OpeningPeriod {
            day: self.day.into(),
            opens: time(&self.opens, "opens")?,
            closes: time(&self.closes, "closes")?,
        })
    }
}

/// The data owner's calendars, by name.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/calendars", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "Every calendar of the data owner, by name", body = Vec<CalendarDto>),
        (status = 403, description = "The role may not set up this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn calendars(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Json<Vec<CalendarDto>>> {
    let calendars = state.cube.calendars(&actor.user, id).await?;
    Ok(Json(calendars.iter().map(CalendarDto::from).collect()))
}

/// Creates a calendar of the data owner.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/calendars", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body = NewCalendarRequest,
    responses(
        (status = 201, description = "The calendar; `Location` is its address", body = CalendarDto),
        (status = 403, description = "The role may not set up this data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_calendar(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiJson(request): ApiJson<NewCalendarRequest>,
) -> ApiResult<Response> {
    let calendar = state
        .cube
        .create_calendar(&actor.user, id, &request.name, request.allows_overlap)
        .await?;
    created(
        format!("/api/calendars/{}", calendar.id),
        CalendarDto::from(&calendar),
    )
}

/// One calendar of a data owner the caller may set up.
#[utoipa::path(
    get, path = "/api/calendars/{id}", tag = "setup",
    params(("id" = Uuid, Path, description = "The calendar")),
    responses(
        (status = 200, description = "The calendar", body = CalendarDto),
        (status = 403, description = "The role may not set up the calendar's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such calendar (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn calendar(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CalendarId>,
) -> ApiResult<Json<CalendarDto>> {
    let calendar = state.cube.calendar(&actor.user, id).await?;
    Ok(Json(CalendarDto::from(&calendar)))
}
