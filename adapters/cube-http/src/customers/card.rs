//! The customer card while working (seed 000 item 7): a seller who holds the customer (or
//! whose personal follow-up it is) reads every field and edits the card, under the same
//! validation as a manager's `PUT /api/customers/{id}`; each edit is recorded with who,
//! when and which fields. And a customer's whole history across the data owner's
//! assignments, for managers.

use super::records::{CustomerRecordDto, CustomerRequest};
use crate::AppState;
use crate::auth::Actor;
use crate::dto::HistoryEntryDto;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_app::card::Card;
use cube_domain::customer::{Change, CustomerChange};
use cube_domain::ids::{CustomerId, EnrollmentId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A change in the customer's history: the card edited, or a meeting cancelled or moved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerChangeDto {
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who.
    pub user: Uuid,
    /// `card`, `meeting_cancelled`, `meeting_moved`, `do_not_call` (put on the data owner's
    /// do-not-call list, `note` the reason), `do_not_call_lifted`,
    /// `register_exemption_recorded` or `register_exemption_removed`.
    pub kind: String,
    /// For `card`: the fields changed — `name`, `phones`, `email`, `address`,
    /// `registry_number`, `external_id`, and CRM fields as `fields.<key>` (the values are on
    /// the card). Empty otherwise.
    pub fields: Vec<String>,
    /// For a meeting: which, and when it was (`from`) and, when moved, is (`to`).
    pub meeting: Option<MeetingChangeDto>,
    /// For `do_not_call`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A meeting cancelled or moved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeetingChangeDto {
    /// The meeting.
    pub id: Uuid,
    /// Its start before (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from_start: OffsetDateTime,
    /// Its end before (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from_end: OffsetDateTime,
    /// Its start now; `null` when cancelled.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to_start: Option<OffsetDateTime>,
    /// Its end now; `null` when cancelled.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub to_end: Option<OffsetDateTime>,
}

impl From<&CustomerChange> for CustomerChangeDto {
    fn from(c: &CustomerChange) -> Self {
        let note = match &c.what {
            Change::DoNotCall { reason } => reason.clone(),
            _ => None,
        };
        let (kind, fields, meeting) = match &c.what {
            Change::Card { fields } => ("card", fields.clone(), None),
            Change::DoNotCall { reason: Some(_) } => ("do_not_call", Vec::new(), None),
            Change::DoNotCall { reason: None } => ("do_not_call_lifted", Vec::new(), None),
            Change::RegisterExemption { recorded: true } => {
                ("register_exemption_recorded", Vec::new(), None)
            }
            Change::RegisterExemption { recorded: false } => {
                ("register_exemption_removed", Vec::new(), None)
            }
            Change::MeetingCancelled {
                meeting,
                start,
                end,
            } => (
                "meeting_cancelled",
                Vec::new(),
                Some(MeetingChangeDto {
                    id: meeting.as_uuid(),
                    from_start: *start,
                    from_end: *end,
                    to_start: None,
                    to_end: None,
                }),
            ),
            Change::MeetingMoved {
                meeting,
                from_start,
                from_end,
                to_start,
                to_end,
            } => (
                "meeting_moved",
                Vec::new(),
                Some(MeetingChangeDto {
                    id: meeting.as_uuid(),
                    from_start: *from_start,
                    from_end: *from_end,
                    to_start: Some(*to_start),
                    to_end: Some(*to_end),
                }),
            ),
        };
        Self {
            at: c.at,
            user: c.user.as_uuid(),
            kind: kind.to_owned(),
            fields,
            meeting,
            note,
        }
    }
}

/// The customer's card: every field, and the changes recorded on it, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardDto {
    /// The customer, every field.
    pub customer: CustomerRecordDto,
    /// Who changed which fields (and meetings), when; oldest first.
    pub changes: Vec<CustomerChangeDto>,
    /// The assignment's SMS templates this card can send (`POST /api/enrollments/{id}/sms`);
    /// none when the assignment has no SMS sender.
    pub sms_templates: Vec<String>,
    /// The assignment's e-mail templates this card can send
    /// (`POST /api/enrollments/{id}/email`); none when it has no sender address.
    pub email_templates: Vec<String>,
}

impl From<&Card> for CardDto {
    fn from(card: &Card) -> Self {
        Self {
            customer: CustomerRecordDto::from(&card.customer),
            changes: card.changes.iter().map(CustomerChangeDto::from).collect(),
            sms_templates: card.sms_templates.iter().map(ToString::to_string).collect(),
            email_templates: card
                .email_templates
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// One outcome in the customer's history across assignments.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerHistoryEntryDto {
    /// The assignment it was registered in.
    pub assignment: Uuid,
    /// The enrollment (the customer in that assignment).
    pub enrollment: Uuid,
    /// The outcome, whole.
    #[serde(flatten)]
    pub entry: HistoryEntryDto,
}

/// A customer's whole history across the data owner's assignments.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerHistoryDto {
    /// The customer, every field.
    pub customer: CustomerRecordDto,
    /// Every outcome in every assignment, oldest first.
    pub outcomes: Vec<CustomerHistoryEntryDto>,
    /// Every change of the card, oldest first.
    pub changes: Vec<CustomerChangeDto>,
    /// Every call to the customer in any assignment, oldest first.
    #[serde(default)]
    pub calls: Vec<crate::calls::CallDto>,
}

/// The card of the customer of an enrollment: every field (not only the assignment's view)
/// and its recorded changes.
#[utoipa::path(
    get, path = "/api/enrollments/{id}/customer", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment")),
    responses(
        (status = 200, description = "The card", body = CardDto),
        (status = 403, description = "A seller who neither holds nor follows up the customer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
) -> ApiResult<Json<CardDto>> {
    let card = state.cube.customer_card(&actor.user, id).await?;
    Ok(Json(CardDto::from(&card)))
}

/// Edits the card of the customer of an enrollment while working: every field is given (one
/// left out is emptied), checked as a manager's edit; the change is recorded.
#[utoipa::path(
    put, path = "/api/enrollments/{id}/customer", tag = "work",
    params(("id" = Uuid, Path, description = "The enrollment")),
    request_body = CustomerRequest,
    responses(
        (status = 200, description = "The card now", body = CardDto),
        (status = 403, description = "A seller who neither holds nor follows up the customer, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another customer of the data owner has this phone number or external id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown or bad field (name, phone, e-mail, CRM value)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn edit(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<EnrollmentId>,
    ApiJson(request): ApiJson<CustomerRequest>,
) -> ApiResult<Json<CardDto>> {
    let card = state
        .cube
        .edit_customer_card(&actor.user, id, request.into_input())
        .await?;
    Ok(Json(CardDto::from(&card)))
}

/// A customer's whole history across the data owner's assignments: every outcome, every
/// change of the card and every call. For admins and the data owner's managers.
#[utoipa::path(
    get, path = "/api/customers/{id}/history", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    responses(
        (status = 200, description = "The history", body = CustomerHistoryDto),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn history(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CustomerId>,
) -> ApiResult<Json<CustomerHistoryDto>> {
    let history = state.cube.customer_history_across(&actor.user, id).await?;
    Ok(Json(CustomerHistoryDto {
        customer: CustomerRecordDto::from(&history.customer),
        outcomes: history
            .events
            .iter()
            .map(|event| CustomerHistoryEntryDto {
                assignment: event.assignment().as_uuid(),
                enrollment: event.enrollment().as_uuid(),
                entry: HistoryEntryDto::from(event),
            })
            .collect(),
        changes: history
            .changes
            .iter()
            .map(CustomerChangeDto::from)
            .collect(),
        calls: history
            .calls
            .iter()
            .map(crate::calls::CallDto::from)
            .collect(),
    }))
}
