//! Sales' written confirmations (angrerettloven § 10, issue 17) for the managers of an
//! assignment: `GET /api/assignments/{id}/sale-confirmations`, each sale's offer with where
//! it stands (pending, confirmed, refused, expired, failed), so a manager sees which sales
//! bind the customer and which wait for an answer. The customer's answers themselves are the
//! texts of `GET /api/assignments/{id}/sms-replies`.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem, invalid_field};
use axum::Json;
use axum::extract::State;
use cube_app::sale_confirmations::MAX_CONFIRMATIONS_PAGE;
use cube_domain::ids::{AssignmentId, SaleConfirmationId};
use cube_domain::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Where a sale's written confirmation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationStatusDto {
    /// The offer was sent; no answer yet.
    Pending,
    /// The customer accepted: the sale binds them, and counts in the sales value.
    Confirmed,
    /// The customer refused; the refusal outcome was registered.
    Refused,
    /// No answer came in the window; the no-reply outcome was registered.
    Expired,
    /// The offer could not be sent (no mobile number, or by e-mail no address): the sale is
    /// not confirmed.
    Failed,
}

impl From<ConfirmationStatus> for ConfirmationStatusDto {
    fn from(status: ConfirmationStatus) -> Self {
        match status {
            ConfirmationStatus::Pending => Self::Pending,
            ConfirmationStatus::Confirmed => Self::Confirmed,
            ConfirmationStatus::Refused => Self::Refused,
            ConfirmationStatus::Expired => Self::Expired,
            ConfirmationStatus::Failed => Self::Failed,
        }
    }
}

/// One product line of the offer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConfirmationLineDto {
    /// The product.
    pub product: Uuid,
    /// Units.
    pub quantity: u32,
    /// The price of one unit.
    pub unit_price: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
}

/// A sale's written confirmation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SaleConfirmationDto {
    /// The id.
    pub id: Uuid,
    /// The sale: the outcome event.
    pub event: Uuid,
    /// When the sale was registered (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub sold_at: OffsetDateTime,
    /// The customer's enrollment.
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// How the offer went: `sms` or `email`.
    pub channel: crate::setup::assignment_setup::ConfirmationChannelDto,
    /// The number the offer went to (E.164); `null` when the customer had none, after an
    /// erasure, or when the offer went by e-mail (its address is the outbox message's).
    pub phone: Option<String>,
    /// The outbox message carrying the offer.
    pub message: Uuid,
    /// The sale's product lines.
    pub lines: Vec<ConfirmationLineDto>,
    /// When the offer was sent (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// The last instant an answer is taken (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub deadline: OffsetDateTime,
    /// Where it stands.
    pub status: ConfirmationStatusDto,
    /// When it was confirmed, refused or expired (RFC 3339); `null` while pending or failed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
}

impl From<&SaleConfirmation> for SaleConfirmationDto {
    fn from(c: &SaleConfirmation) -> Self {
        Self {
            id: c.id.as_uuid(),
            event: c.event.as_uuid(),
            sold_at: c.sold_at,
            enrollment: c.enrollment.as_uuid(),
            customer: c.customer.as_uuid(),
            channel: c.channel.into(),
            phone: c.to.as_ref().map(|p| p.as_str().to_owned()),
            message: c.message.as_uuid(),
            lines: c
                .lines
                .iter()
                .map(|l| ConfirmationLineDto {
                    product: l.product.as_uuid(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    currency: l.currency.as_str().to_owned(),
                })
                .collect(),
            sent_at: c.sent_at,
            deadline: c.deadline,
            status: c.status.into(),
            decided_at: c.decided_at,
        }
    }
}

/// A page of sale confirmations.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationsQuery {
    /// The confirmations after this one (the last of the previous page); from the first
    /// without it.
    pub after: Option<Uuid>,
    /// At most this many, 1 to 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The assignment's sale confirmations, in the order the sales were made, each with where it
/// stands: for those who manage the assignment.
#[utoipa::path(
    get, path = "/api/assignments/{id}/sale-confirmations", tag = "sms",
    params(("id" = Uuid, Path, description = "The assignment"), ConfirmationsQuery),
    responses(
        (status = 200, description = "The confirmations, oldest first", body = Vec<SaleConfirmationDto>),
        (status = 403, description = "Only those who manage the assignment read them", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<ConfirmationsQuery>,
) -> ApiResult<Json<Vec<SaleConfirmationDto>>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_CONFIRMATIONS_PAGE).contains(&limit) {
        return Err(invalid_field(
            "limit",
            format!("must be between 1 and {MAX_CONFIRMATIONS_PAGE}, got {limit}"),
        ));
    }
    let after = query.after.map(SaleConfirmationId::from_uuid);
    let confirmations = state
        .cube
        .sale_confirmations(&actor.user, id, after, limit)
        .await?;
    Ok(Json(
        confirmations
            .iter()
            .map(SaleConfirmationDto::from)
            .collect(),
    ))
}
