//! The bodies of outcome registration: the command a seller sends (typed field values,
//! product lines, a meeting, a follow-up time) and what comes back (the log entry, the
//! enrollment now, the meeting). Split from the rest of the work API's bodies because the
//! command alone has as many types as everything else.

use super::EnrollmentDto;
use crate::error::{ApiError, invalid_field};
use cube_app::work::Registered;
use cube_domain::fields::{FieldKey, FieldValue, FieldValues};
use cube_domain::ids::{CalendarId, OutcomeId, ProductId, UserId};
use cube_domain::meeting::{Meeting, MeetingKind, MeetingRequest};
use cube_domain::outcome::{OutcomeEvent, ProductLineRequest, RegisterOutcome};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::macros::format_description;
use utoipa::ToSchema;
use uuid::Uuid;

/// A typed outcome field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FieldValueDto {
    /// Free text.
    Text(String),
    /// A whole number.
    Number(i64),
    /// A decimal number, as a string.
    Decimal(Decimal),
    /// A date, `YYYY-MM-DD`.
    Date(String),
    /// Yes or no.
    Boolean(bool),
    /// A chosen option.
    Choice(String),
}

/// The one reading of a typed value from the wire; the error says what is wrong with it
/// (the caller names the field).
impl TryFrom<FieldValueDto> for FieldValue {
    type Error = String;

    fn try_from(value: FieldValueDto) -> Result<Self, String> {
        Ok(match value {
            FieldValueDto::Text(s) => FieldValue::Text(s),
            FieldValueDto::Number(n) => FieldValue::Number(n),
            FieldValueDto::Decimal(d) => FieldValue::Decimal(d),
            FieldValueDto::Date(s) => {
                let date = time::Date::parse(&s, format_description!("[year]-[month]-[day]"))
                    .map_err(|_| format!("'{s}' is not a date (YYYY-MM-DD)"))?;
                FieldValue::Date(date)
            }
            FieldValueDto::Boolean(b) => FieldValue::Boolean(b),
            FieldValueDto::Choice(s) => FieldValue::Choice(s),
        })
    }
}

impl From<&FieldValue> for FieldValueDto {
    fn from(value: &FieldValue) -> Self {
        match value {
            FieldValue::Text(s) => FieldValueDto::Text(s.clone()),
            FieldValue::Number(n) => FieldValueDto::Number(*n),
            FieldValue::Decimal(d) => FieldValueDto::Decimal(*d),
            FieldValue::Date(d) => FieldValueDto::Date(d.to_string()),
            FieldValue::Boolean(b) => FieldValueDto::Boolean(*b),
            FieldValue::Choice(s) => FieldValueDto::Choice(s.clone()),
        }
    }
}

/// A product line to register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductLineDto {
    /// The product.
    pub product: Uuid,
    /// Units: 1 to 10000.
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: u32,
    /// Another unit price, where the assignment allows it: 0 to 1000000000 with at most two
    /// decimals.
    pub unit_price: Option<Decimal>,
}

/// `physical` or `video`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKindDto {
    /// In person.
    Physical,
    /// On video.
    Video,
}

impl MeetingKindDto {
    /// The kind as the JSON writes it (`video`): also the word of a workbook (the access
    /// export's meetings).
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingKindDto::Physical => "physical",
            MeetingKindDto::Video => "video",
        }
    }
}

impl From<MeetingKind> for MeetingKindDto {
    fn from(kind: MeetingKind) -> Self {
        match kind {
            MeetingKind::Physical => MeetingKindDto::Physical,
            MeetingKind::Video => MeetingKindDto::Video,
        }
    }
}

impl From<MeetingKindDto> for MeetingKind {
    fn from(kind: MeetingKindDto) -> Self {
        match kind {
            MeetingKindDto::Physical => MeetingKind::Physical,
            MeetingKindDto::Video => MeetingKind::Video,
        }
    }
}

/// A meeting to book.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeetingRequestDto {
    /// The calendar.
    pub calendar: Uuid,
    /// Start (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    /// End (RFC 3339), after start.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub end: OffsetDateTime,
    /// Physical or video.
    pub kind: MeetingKindDto,
    /// Address or video link.
    pub place: Option<String>,
}

/// An outcome to register on a customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterOutcomeRequest {
    /// The outcome (an id from the assignment's `outcomes`).
    pub outcome: Uuid,
    /// The chosen option, when the assignment offers options for the outcome.
    #[serde(default)]
    pub option: Option<String>,
    /// Outcome field values by field key.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldValueDto>,
    /// Product lines (outcomes that carry products).
    #[serde(default)]
    pub products: Vec<ProductLineDto>,
    /// The meeting (outcomes that book one).
    #[serde(default)]
    pub meeting: Option<MeetingRequestDto>,
    /// When to contact the customer again (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub follow_up_at: Option<OffsetDateTime>,
    /// Who a personal follow-up is for, when not you: another active seller of the
    /// assignment (seed 004). Left out: you. Refused when the follow-up is shared or none is
    /// scheduled.
    #[serde(default)]
    pub follow_up_owner: Option<Uuid>,
    /// A free-text note.
    #[serde(default)]
    pub note: Option<String>,
}

impl RegisterOutcomeRequest {
    /// The domain command; a bad field key or date is a 422 (a date names its field).
    pub fn into_domain(self) -> Result<RegisterOutcome, ApiError> {
        let mut fields = FieldValues::new();
        for (key, value) in self.fields {
            let key = FieldKey::parse(&key).map_err(|e| ApiError::App(e.into()))?;
            let value = FieldValue::try_from(value)
                .map_err(|detail| invalid_field(format_args!("fields.{key}"), detail))?;
            fields.insert(key, value);
        }
        Ok(RegisterOutcome {
            outcome: OutcomeId::from_uuid(self.outcome),
            option: self.option,
            fields,
            products: self
                .products
                .into_iter()
                .map(|p| ProductLineRequest {
                    product: ProductId::from_uuid(p.product),
                    quantity: p.quantity,
                    unit_price: p.unit_price,
                })
                .collect(),
            meeting: self.meeting.map(|m| MeetingRequest {
                calendar: CalendarId::from_uuid(m.calendar),
                start: m.start,
                end: m.end,
                kind: m.kind.into(),
                place: m.place,
            }),
            follow_up_at: self.follow_up_at,
            follow_up_owner: self.follow_up_owner.map(UserId::from_uuid),
            note: self.note,
        })
    }
}

/// A booked meeting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeetingDto {
    /// The id.
    pub id: Uuid,
    /// The calendar.
    pub calendar: Uuid,
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

impl From<&Meeting> for MeetingDto {
    fn from(m: &Meeting) -> Self {
        Self {
            id: m.id.as_uuid(),
            calendar: m.calendar.as_uuid(),
            start: m.start,
            end: m.end,
            kind: m.kind.into(),
            place: m.place.clone(),
        }
    }
}

/// An entry of the outcome log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutcomeEventDto {
    /// The id.
    pub id: Uuid,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: OffsetDateTime,
    /// The outcome.
    pub outcome: Option<Uuid>,
    /// The option chosen.
    pub option: Option<String>,
    /// The state before.
    pub from_state: Uuid,
    /// The state after.
    pub to_state: Uuid,
    /// The note.
    pub note: Option<String>,
}

impl From<&OutcomeEvent> for OutcomeEventDto {
    fn from(e: &OutcomeEvent) -> Self {
        Self {
            id: e.id().as_uuid(),
            occurred_at: e.occurred_at(),
            outcome: e.outcome().map(|o| o.as_uuid()),
            option: e.option().map(str::to_owned),
            from_state: e.from_state().as_uuid(),
            to_state: e.to_state().as_uuid(),
            note: e.note().map(str::to_owned),
        }
    }
}

/// A sold or offered product line as registered: the price it was sold at, whatever the
/// product costs today.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SoldLineDto {
    /// The product.
    pub product: Uuid,
    /// Units.
    pub quantity: u32,
    /// The price of one unit when registered.
    pub unit_price: Decimal,
    /// Its currency (ISO 4217).
    pub currency: String,
}

/// One entry of a customer's history: an outcome registered on them, whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntryDto {
    /// The log entry's id.
    pub id: Uuid,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: OffsetDateTime,
    /// Who registered it; `null` for an SMS reply or an integration.
    pub user: Option<Uuid>,
    /// The outcome; `null` for an external state change.
    pub outcome: Option<Uuid>,
    /// The option chosen.
    pub option: Option<String>,
    /// The state before.
    pub from_state: Uuid,
    /// The state after.
    pub to_state: Uuid,
    /// The outcome's field values, by field key.
    pub fields: BTreeMap<String, FieldValueDto>,
    /// Product lines.
    pub products: Vec<SoldLineDto>,
    /// The meeting booked.
    pub meeting: Option<Uuid>,
    /// The follow-up set, and whose it is.
    pub follow_up: Option<crate::dto::FollowUpDto>,
    /// The note.
    pub note: Option<String>,
}

impl From<&OutcomeEvent> for HistoryEntryDto {
    fn from(e: &OutcomeEvent) -> Self {
        Self {
            id: e.id().as_uuid(),
            occurred_at: e.occurred_at(),
            user: e.user().map(|u| u.as_uuid()),
            outcome: e.outcome().map(|o| o.as_uuid()),
            option: e.option().map(str::to_owned),
            from_state: e.from_state().as_uuid(),
            to_state: e.to_state().as_uuid(),
            fields: e
                .fields()
                .iter()
                .map(|(key, value)| (key.as_str().to_owned(), value.into()))
                .collect(),
            products: e
                .products()
                .iter()
                .map(|line| SoldLineDto {
                    product: line.product.as_uuid(),
                    quantity: line.quantity,
                    unit_price: line.unit_price,
                    currency: line.currency.as_str().to_owned(),
                })
                .collect(),
            meeting: e.meeting().map(|m| m.as_uuid()),
            follow_up: e.follow_up().map(Into::into),
            note: e.note().map(str::to_owned),
        }
    }
}

/// The result of registering an outcome.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredDto {
    /// The log entry.
    pub event: OutcomeEventDto,
    /// The customer in the assignment now.
    pub enrollment: EnrollmentDto,
    /// The meeting booked.
    pub meeting: Option<MeetingDto>,
    /// True when the `Idempotency-Key` matched an earlier registration (nothing new written).
    pub replayed: bool,
}

impl From<&Registered> for RegisteredDto {
    fn from(r: &Registered) -> Self {
        Self {
            event: (&r.event).into(),
            enrollment: (&r.enrollment).into(),
            meeting: r.meeting.as_ref().map(Into::into),
            replayed: r.replayed,
        }
    }
}
