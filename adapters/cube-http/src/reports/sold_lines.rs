//! The sales report's lines (seed 001: "Solgte Produkter … lastes ned"): one line per sold
//! product — when, the customer, the seller, the product, quantity, the unit price and
//! currency as sold, the line's value — of the sales in a window, a page of sales at a time.
//! The totals per product stay in `GET …/reports/sales`; this is the list behind them.

use super::WindowQuery;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_domain::ids::{AssignmentId, OutcomeEventId, UserId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Sales per page when `limit` is left out.
const DEFAULT_LIMIT: u32 = 100;

/// The window, the seller and the page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SoldLinesQuery {
    /// Start, inclusive: an RFC 3339 time, or a date meaning its local start; default:
    /// today 00:00 in the organisation's time zone.
    pub from: Option<String>,
    /// End, exclusive: an RFC 3339 time, or a date meaning its local start (the same date as
    /// `from`: that whole day); default: tomorrow 00:00 in the organisation's time zone.
    pub to: Option<String>,
    /// Only what this seller (user) sold.
    pub seller: Option<Uuid>,
    /// The `next` of the previous page.
    pub after: Option<Uuid>,
    /// Sales per page, 1 to 1000 (default 100); a sale's lines are never split.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// One sold product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalesLineDto {
    /// When it was sold (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: OffsetDateTime,
    /// The sale (outcome event) the line belongs to.
    pub event: Uuid,
    /// The enrollment (the customer in this assignment).
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// Who sold it; `null` when the system registered the sale.
    pub seller: Option<Uuid>,
    /// The product.
    pub product: Uuid,
    /// The product's name now.
    pub product_name: String,
    /// The product's code now.
    pub product_code: String,
    /// Units.
    pub quantity: u32,
    /// The price of one unit when it was sold (a later price change does not touch it).
    pub unit_price: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
    /// `quantity × unit_price`, in the currency's scale.
    pub value: Decimal,
}

/// A page of sold lines.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalesLinesDto {
    /// The lines, oldest sale first, each sale's lines in the order registered.
    pub lines: Vec<SalesLineDto>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next: Option<Uuid>,
}

/// One line per sold product in a window, a page of sales at a time.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/sales/lines", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), SoldLinesQuery),
    responses(
        (status = 200, description = "A page of sold lines in the window, oldest sale first", body = SalesLinesDto),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read the sales of this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window ends before it starts, or `limit` is out of 1 to 1000", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn sold_lines(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<SoldLinesQuery>,
) -> ApiResult<Json<SalesLinesDto>> {
    let window = WindowQuery {
        from: query.from,
        to: query.to,
    }
    .window_for(&state.cube, &actor.user)
    .await?;
    let page = state
        .cube
        .sold_lines(
            &actor.user,
            id,
            window,
            query.seller.map(UserId::from_uuid),
            query.after.map(OutcomeEventId::from_uuid),
            query.limit.unwrap_or(DEFAULT_LIMIT),
        )
        .await?;
    let products: BTreeMap<_, _> = page.products.iter().map(|p| (p.id(), p)).collect();
    Ok(Json(SalesLinesDto {
        lines: page
            .lines
            .iter()
            .map(|line| {
                let product = products.get(&line.product);
                SalesLineDto {
                    occurred_at: line.occurred_at,
                    event: line.event.as_uuid(),
                    enrollment: line.enrollment.as_uuid(),
                    customer: line.customer.as_uuid(),
                    seller: line.seller.map(|u| u.as_uuid()),
                    product: line.product.as_uuid(),
                    product_name: product
                        .map_or_else(|| line.product.to_string(), |p| p.name().to_string()),
                    product_code: product.map_or_else(String::new, |p| p.code().to_string()),
                    quantity: line.quantity,
                    unit_price: line.unit_price,
                    currency: line.currency.as_str().to_owned(),
                    value: line.value,
                }
            })
            .collect(),
        next: page.next.map(|id| id.as_uuid()),
    }))
}
