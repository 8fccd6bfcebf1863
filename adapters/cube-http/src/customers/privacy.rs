//! A person's rights under the GDPR over HTTP (issue 16; seed 002: the data owner is the
//! controller): everything a data owner holds on a person, as JSON or as an Excel workbook
//! (one sheet per kind of record: customers, enrollments, outcomes, meetings, messages, SMS
//! flows, texts received, calls, card changes), erasure of the person, and the data owner's
//! privacy log that records each request.
//!
//! The person is named in a POST body, never in the URL: a phone number or an e-mail
//! address in a query string would land in access logs and proxies, the very places a
//! request about personal data must keep it out of.

use crate::AppState;
use crate::auth::Actor;
use crate::calls::CallDto;
use crate::customers::card::CustomerChangeDto;
use crate::customers::contact::ExemptionDto;
use crate::customers::records::CustomerRecordDto;
use crate::dto::{EnrollmentDto, HistoryEntryDto, MeetingDto, MeetingKindDto};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use crate::outbox::ChannelDto;
use crate::sms::SmsReplyDto;
use crate::table::{download, excel_time};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cube_app::privacy::{PersonQuery, PersonRecord, PersonalData};
use cube_domain::call::talk_time;
use cube_domain::ids::DataOwnerId;
use cube_domain::ports::{DeliveryState, OutboxPayload, StoredMessage};
use cube_domain::privacy::{KeyKind, PersonalRight, PrivacyRequest};
use cube_domain::sms::SentSmsFlow;
use cube_domain::time_zone::TimeZone;
use rust_xlsxwriter::{DocProperties, Format, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The person: exactly one of the three.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonRequest {
    /// A phone number (E.164, or national in the data owner's region).
    #[serde(default)]
    pub phone: Option<String>,
    /// An e-mail address (compared without regard to the case of its letters).
    #[serde(default)]
    pub email: Option<String>,
    /// The id in the source system, exactly.
    #[serde(default)]
    pub external_id: Option<String>,
}

impl PersonRequest {
    fn into_query(self) -> PersonQuery {
        PersonQuery {
            phone: self.phone,
            email: self.email,
            external_id: self.external_id,
        }
    }
}

/// What the answer is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessFormat {
    /// JSON (`PersonalDataDto`).
    #[default]
    Json,
    /// An Excel workbook (`.xlsx`), a sheet per kind of record.
    Xlsx,
}

/// How to answer.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    /// `json` (default) or `xlsx`.
    pub format: Option<AccessFormat>,
}

/// What kind of key found the person.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKindDto {
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// An external id.
    ExternalId,
}

impl From<KeyKind> for KeyKindDto {
    fn from(kind: KeyKind) -> Self {
        match kind {
            KeyKind::Phone => KeyKindDto::Phone,
            KeyKind::Email => KeyKindDto::Email,
            KeyKind::ExternalId => KeyKindDto::ExternalId,
        }
    }
}

/// Which right was exercised.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonalRightDto {
    /// Access: everything held was handed out.
    Access,
    /// Erasure: the personal data was removed, the outcome history kept anonymised.
    Erasure,
}

impl From<PersonalRight> for PersonalRightDto {
    fn from(right: PersonalRight) -> Self {
        match right {
            PersonalRight::Access => PersonalRightDto::Access,
            PersonalRight::Erasure => PersonalRightDto::Erasure,
        }
    }
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErasedDto {
    /// The privacy log entry recording it: the reference to quote.
    pub reference: Uuid,
    /// The customers erased.
    pub customers: Vec<Uuid>,
    /// Outcomes kept, without their notes and field values.
    pub events: usize,
    /// Meetings kept, without their place.
    pub meetings: usize,
    /// Messages kept, without their recipient and text (a pending one is never sent).
    pub messages: usize,
    /// Phone numbers kept only as salted hashes on the do-not-contact list (the person had
    /// asked not to be called).
    pub listed: usize,
    /// Texts from the person's numbers that answered no SMS flow, taken out of the data
    /// owner's reach (deleted once no other data owner that had contacted the number holds
    /// them; the count does not tell).
    pub unmatched_texts: u64,
}

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryDto {
    /// Still to be sent.
    Pending,
    /// Sent.
    Delivered,
    /// Refused or given up on (`reason` says why).
    Failed,
}

/// A message to the person, as the outbox keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonMessageDto {
    /// The outbox message id.
    pub id: Uuid,
    /// The assignment it belongs to.
    pub assignment: Uuid,
    /// The enrollment it concerns.
    pub enrollment: Option<Uuid>,
    /// SMS or e-mail.
    pub channel: ChannelDto,
    /// The recipient (E.164 or an e-mail address); `null` when the customer had none.
    pub to: Option<String>,
    /// The e-mail's subject.
    pub subject: Option<String>,
    /// The text (an SMS) or the HTML (an e-mail); `null` for an e-mail never addressed.
    pub text: Option<String>,
    /// When it was queued (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Pending, delivered or failed.
    pub delivery: DeliveryDto,
    /// Why it failed.
    pub reason: Option<String>,
}

impl From<&StoredMessage> for PersonMessageDto {
    fn from(stored: &StoredMessage) -> Self {
        let m = &stored.message;
        let (channel, to, subject, text) = match &m.payload {
            OutboxPayload::Sms(sms) => (
                ChannelDto::Sms,
                Some(sms.to.as_str().to_owned()),
                None,
                Some(sms.body.clone()),
            ),
            OutboxPayload::Email(email) => (
                ChannelDto::Email,
                Some(email.to.as_str().to_owned()),
                Some(email.subject.clone()),
                Some(email.html.clone()),
            ),
            OutboxPayload::UnaddressedSms { body, .. } => {
                (ChannelDto::Sms, None, None, Some(body.clone()))
            }
            OutboxPayload::UnaddressedEmail { subject, .. } => {
                (ChannelDto::Email, None, Some(subject.clone()), None)
            }
            OutboxPayload::Webhook { body, .. } => {
                (ChannelDto::Webhook, None, None, Some(body.clone()))
            }
        };
        let (delivery, reason) = match &stored.state {
            DeliveryState::Pending { .. } => (DeliveryDto::Pending, None),
            DeliveryState::Delivered => (DeliveryDto::Delivered, None),
            DeliveryState::Failed { reason } => (DeliveryDto::Failed, Some(reason.clone())),
        };
        Self {
            id: m.id.as_uuid(),
            assignment: m.assignment.as_uuid(),
            enrollment: m.enrollment.map(|e| e.as_uuid()),
            channel,
            to,
            subject,
            text,
            created_at: m.created_at,
            delivery,
            reason,
        }
    }
}

/// An SMS flow sent to the person (its replies are in `sms_replies`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SentSmsFlowDto {
    /// The outbox message that carried the SMS.
    pub message: Uuid,
    /// The assignment.
    pub assignment: Uuid,
    /// The enrollment.
    pub enrollment: Uuid,
    /// The number it went to (E.164).
    pub to: String,
    /// Who it was sent as.
    pub sender: String,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: OffsetDateTime,
}

impl From<&SentSmsFlow> for SentSmsFlowDto {
    fn from(flow: &SentSmsFlow) -> Self {
        Self {
            message: flow.message.as_uuid(),
            assignment: flow.assignment.as_uuid(),
            enrollment: flow.enrollment.as_uuid(),
            to: flow.to.as_str().to_owned(),
            sender: flow.sender.clone(),
            sent_at: flow.sent_at,
        }
    }
}

/// An outcome registered on the person, with its names.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonEventDto {
    /// The event, whole.
    pub event: HistoryEntryDto,
    /// The outcome's name (empty for an external state change).
    pub outcome_name: String,
    /// The name of the state it left the customer in.
    pub state_name: String,
}

/// The person in one assignment, and what was registered there.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonEnrollmentDto {
    /// The enrollment now.
    pub enrollment: EnrollmentDto,
    /// The assignment's name.
    pub assignment_name: String,
    /// The name of the state the customer is in.
    pub state_name: String,
    /// The outcomes registered, oldest first.
    pub events: Vec<PersonEventDto>,
}

/// One customer record of the person, with everything held beside it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonRecordDto {
    /// Contact and CRM data, and the contact-policy standing (do-not-call and the rest).
    pub customer: CustomerRecordDto,
    /// The changes recorded on the card, oldest first.
    pub changes: Vec<CustomerChangeDto>,
    /// The enrollments, with their outcome history.
    pub enrollments: Vec<PersonEnrollmentDto>,
    /// The meetings booked, by start.
    pub meetings: Vec<MeetingDto>,
    /// The messages to the customer, in the order queued.
    pub messages: Vec<PersonMessageDto>,
    /// The SMS flows sent to the customer.
    pub sms_flows: Vec<SentSmsFlowDto>,
    /// The texts that answered those flows.
    pub sms_replies: Vec<SmsReplyDto>,
    /// The texts from the customer's numbers that answered no SMS flow nor sale
    /// confirmation: kept with no assignment, held by the data owners whose assignments had
    /// texted or called the number before the text came.
    pub unmatched_texts: Vec<SmsReplyDto>,
    /// The calls sellers made to the customer, oldest first.
    pub calls: Vec<PersonCallDto>,
}

/// A call to the person, with the seller's name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonCallDto {
    /// The call, whole: when, the caller id shown, the number called, status, talk time.
    pub call: CallDto,
    /// The name of the seller who called (empty if the user is gone).
    pub seller_name: String,
}

impl From<&PersonRecord> for PersonRecordDto {
    fn from(record: &PersonRecord) -> Self {
        Self {
            customer: CustomerRecordDto::from(&record.customer),
            changes: record.changes.iter().map(CustomerChangeDto::from).collect(),
            enrollments: record
                .enrollments
                .iter()
                .map(|e| PersonEnrollmentDto {
                    enrollment: EnrollmentDto::from(&e.enrollment),
                    assignment_name: e.assignment.clone(),
                    state_name: e.state.clone(),
                    events: e
                        .events
                        .iter()
                        .map(|r| PersonEventDto {
                            event: HistoryEntryDto::from(&r.event),
                            outcome_name: r.outcome.clone(),
                            state_name: r.state.clone(),
                        })
                        .collect(),
                })
                .collect(),
            meetings: record.meetings.iter().map(MeetingDto::from).collect(),
            messages: record.messages.iter().map(PersonMessageDto::from).collect(),
            sms_flows: record.sms_flows.iter().map(SentSmsFlowDto::from).collect(),
            sms_replies: record.sms_replies.iter().map(SmsReplyDto::from).collect(),
            unmatched_texts: record
                .unmatched_texts
                .iter()
                .map(SmsReplyDto::from)
                .collect(),
            calls: record
                .calls
                .iter()
                .map(|r| PersonCallDto {
                    call: CallDto::from(&r.call),
                    seller_name: r.seller.clone(),
                })
                .collect(),
        }
    }
}

/// Everything the data owner holds on the person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonalDataDto {
    /// The privacy log entry recording this export: the reference to quote.
    pub reference: Uuid,
    /// When it was gathered (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The data owner (the controller).
    pub data_owner: Uuid,
    /// Its name.
    pub data_owner_name: String,
    /// What kind of key found the person.
    pub found_by: KeyKindDto,
    /// Each customer the person was found as, oldest first; empty when nothing is held.
    pub customers: Vec<PersonRecordDto>,
}

impl From<&PersonalData> for PersonalDataDto {
    fn from(data: &PersonalData) -> Self {
        Self {
            reference: data.request.as_uuid(),
            at: data.at,
            data_owner: data.data_owner.as_uuid(),
            data_owner_name: data.data_owner_name.clone(),
            found_by: data.found_by.into(),
            customers: data.customers.iter().map(PersonRecordDto::from).collect(),
        }
    }
}

/// An entry of the privacy log: no personal data, the person by customer ids.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrivacyRequestDto {
    /// The entry (the reference an export quotes).
    pub id: Uuid,
    /// The data owner.
    pub data_owner: Uuid,
    /// Who carried it out.
    pub user: Uuid,
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Which right.
    pub right: PersonalRightDto,
    /// What kind of key found the person.
    pub found_by: KeyKindDto,
    /// The customers the person was found as.
    pub customers: Vec<Uuid>,
}

impl From<&PrivacyRequest> for PrivacyRequestDto {
    fn from(r: &PrivacyRequest) -> Self {
        Self {
            id: r.id.as_uuid(),
            data_owner: r.data_owner.as_uuid(),
            user: r.user.as_uuid(),
            at: r.at,
            right: r.right.into(),
            found_by: r.found_by.into(),
            customers: r.customers.iter().map(|c| c.as_uuid()).collect(),
        }
    }
}

/// Everything the data owner holds on a person — their customer records, enrollments and
/// outcome history, meetings, messages, SMS flows and texts, contact-policy standing —
/// as JSON or an Excel workbook; recorded in the data owner's privacy log.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/privacy/access", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner"), AccessQuery),
    request_body = PersonRequest,
    responses(
        (status = 200, description = "Everything held on the person (no customer found: none), as JSON or a workbook with a sheet per kind of record", content(
            (PersonalDataDto = "application/json"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, description = "The role may not manage this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No key, more than one, or a malformed one", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn access(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiQuery(query): ApiQuery<AccessQuery>,
    ApiJson(request): ApiJson<PersonRequest>,
) -> ApiResult<Response> {
    let data = state
        .cube
        .personal_data(&actor.user, id, &request.into_query())
        .await?;
    match query.format.unwrap_or_default() {
        AccessFormat::Json => Ok(Json(PersonalDataDto::from(&data)).into_response()),
        AccessFormat::Xlsx => {
            let failed = |detail: String| ApiError::Malformed {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                detail: format!("the workbook could not be written: {detail}"),
            };
            let name = format!("personal-data-{}", data.request);
            let bytes = tokio::task::spawn_blocking(move || workbook(&data))
                .await
                .map_err(|e| failed(e.to_string()))?
                .map_err(|e| failed(e.to_string()))?;
            Ok(download(
                &name,
                (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx",
                    bytes,
                ),
            ))
        }
    }
}

/// Erases the person from the data owner: their customers' contact and CRM data, the
/// texts of their outcomes, meetings, messages and SMS, their card changes — in one unit of
/// work —, the outcome history kept anonymised so the reports still add up; a person on the
/// do-not-call list stays barred by a salted hash of each number. Recorded in the privacy log.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/privacy/erasure", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body = PersonRequest,
    responses(
        (status = 200, description = "Erased: what became of the records", body = ErasedDto),
        (status = 403, description = "The role may not manage this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner, or no customer of it has the key (nothing was erased)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No key, more than one, or a malformed one", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn erasure(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiJson(request): ApiJson<PersonRequest>,
) -> ApiResult<Json<ErasedDto>> {
    let erased = state
        .cube
        .erase_person(&actor.user, id, &request.into_query())
        .await?;
    Ok(Json(ErasedDto {
        reference: erased.request.as_uuid(),
        customers: erased.customers.iter().map(|c| c.as_uuid()).collect(),
        events: erased.events,
        meetings: erased.meetings,
        messages: erased.messages,
        listed: erased.listed,
        unmatched_texts: erased.unmatched_texts,
    }))
}

/// The data owner's privacy log, in the order recorded.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/privacy/log", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "Every request recorded, oldest first", body = Vec<PrivacyRequestDto>),
        (status = 403, description = "The role may not manage this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn log(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Json<Vec<PrivacyRequestDto>>> {
    let log = state.cube.privacy_log(&actor.user, id).await?;
    Ok(Json(log.iter().map(PrivacyRequestDto::from).collect()))
}

/// One cell of the workbook.
enum Cell {
    Text(String),
    Time(OffsetDateTime),
    Count(u64),
    Empty,
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn time_or_empty(at: Option<OffsetDateTime>) -> Cell {
    at.map_or(Cell::Empty, Cell::Time)
}

/// One sheet: its name, header and rows.
struct Sheet {
    name: &'static str,
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Sheet {
    fn new(name: &'static str, headers: &[&str]) -> Self {
        Self {
            name,
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }
}

/// The sheets of an export: the request, then one per kind of record, each row naming its
/// customer by id.
fn sheets(data: &PersonalData) -> Vec<Sheet> {
    let mut request = Sheet::new("Forespørsel", &["what", "value"]);
    request.rows = vec![
        vec![text("reference"), text(data.request.to_string())],
        vec![text("gathered_at"), Cell::Time(data.at)],
        vec![text("data_owner"), text(&data.data_owner_name)],
        vec![text("data_owner_id"), text(data.data_owner.to_string())],
        vec![text("found_by"), text(data.found_by.to_string())],
        vec![text("customers"), Cell::Count(data.customers.len() as u64)],
    ];
    let field_keys: BTreeSet<String> = data
        .customers
        .iter()
        .flat_map(|r| r.customer.fields().keys().map(|k| k.as_str().to_owned()))
        .collect();
    let mut customer_headers = vec![
        "customer_id",
        "dataset",
        "name",
        "phones",
        "email",
        "address",
        "registry_number",
        "external_id",
        "do_not_call_since",
        "do_not_call_reason",
        "register_checked_on",
        "register_reserved",
        "register_exemption",
    ];
    let field_headers: Vec<String> = field_keys.iter().map(|k| format!("field.{k}")).collect();
    customer_headers.extend(field_headers.iter().map(String::as_str));
    let mut customers = Sheet::new("Kunder", &customer_headers);
    let mut enrollments = Sheet::new(
        "Oppdrag",
        &[
            "customer_id",
            "enrollment_id",
            "assignment",
            "state",
            "attempts",
            "follow_up",
        ],
    );
    let mut outcomes = Sheet::new(
        "Utfall",
        &[
            "time",
            "customer_id",
            "assignment",
            "outcome",
            "option",
            "state",
            "follow_up",
            "products",
            "fields",
            "note",
        ],
    );
    let mut meetings = Sheet::new("Møter", &["customer_id", "start", "end", "kind", "place"]);
    let mut messages = Sheet::new(
        "Meldinger",
        &[
            "customer_id",
            "created_at",
            "channel",
            "to",
            "subject",
            "text",
            "delivery",
            "reason",
        ],
    );
    let mut flows = Sheet::new(
        "SMS-flyter",
        &["customer_id", "sent_at", "to", "sender", "assignment_id"],
    );
    let mut replies = Sheet::new(
        "SMS-svar",
        &[
            "customer_id",
            "received_at",
            "from",
            "text",
            "fate",
            "reason",
            "answered",
        ],
    );
    let mut calls = Sheet::new(
        "Samtaler",
        &[
            "customer_id",
            "started_at",
            "seller",
            "caller_id",
            "to",
            "status",
            "answered_at",
            "ended_at",
            "talk_seconds",
            "talk_time",
        ],
    );
    let mut changes = Sheet::new(
        "Endringer",
        &["customer_id", "at", "kind", "fields", "note"],
    );
    for record in &data.customers {
        let c = &record.customer;
        let id = c.id().to_string();
        let d = c.details();
        let contact = c.contact();
        let dto = CustomerRecordDto::from(c);
        let mut row = vec![
            text(&id),
            text(dto.dataset.as_str()),
            text(d.name.to_string()),
            text(
                d.phones
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            text(d.email.as_ref().map(|e| e.as_str()).unwrap_or_default()),
            text(d.address.clone().unwrap_or_default()),
            text(d.registry_number.clone().unwrap_or_default()),
            text(d.external_id.clone().unwrap_or_default()),
            time_or_empty(contact.do_not_call.as_ref().map(|n| n.since)),
            text(
                contact
                    .do_not_call
                    .as_ref()
                    .map(|n| n.reason.clone())
                    .unwrap_or_default(),
            ),
            text(
                contact
                    .register
                    .map(|r| r.checked_on.to_string())
                    .unwrap_or_default(),
            ),
            text(
                contact
                    .register
                    .map(|r| if r.reserved { "yes" } else { "no" })
                    .unwrap_or_default(),
            ),
            text(
                contact
                    .exemption
                    .as_ref()
                    .map(|e| ExemptionDto::from(e).words())
                    .unwrap_or_default(),
            ),
        ];
        row.extend(
            field_keys
                .iter()
                .map(|k| dto.fields.get(k).map_or(Cell::Empty, text)),
        );
        customers.rows.push(row);
        for e in &record.enrollments {
            let enrollment = &e.enrollment;
            enrollments.rows.push(vec![
                text(&id),
                text(enrollment.id().to_string()),
                text(&e.assignment),
                text(&e.state),
                Cell::Count(u64::from(enrollment.attempts())),
                time_or_empty(enrollment.follow_up().map(|f| f.due)),
            ]);
            for r in &e.events {
                let event = &r.event;
                outcomes.rows.push(vec![
                    Cell::Time(event.occurred_at()),
                    text(&id),
                    text(&e.assignment),
                    text(&r.outcome),
                    text(event.option().unwrap_or_default()),
                    text(&r.state),
                    time_or_empty(event.follow_up().map(|f| f.due)),
                    text(
                        event
                            .products()
                            .iter()
                            .map(|l| format!("{} × {}", l.quantity, l.product))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    text(
                        event
                            .fields()
                            .iter()
                            .map(|(k, v)| format!("{k}: {}", v.display()))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                    text(event.note().unwrap_or_default()),
                ]);
            }
        }
        for m in &record.meetings {
            meetings.rows.push(vec![
                text(&id),
                Cell::Time(m.start),
                Cell::Time(m.end),
                text(MeetingKindDto::from(m.kind).as_str()),
                text(m.place.clone().unwrap_or_default()),
            ]);
        }
        for stored in &record.messages {
            let m = PersonMessageDto::from(stored);
            messages.rows.push(vec![
                text(&id),
                Cell::Time(m.created_at),
                text(match m.channel {
                    ChannelDto::Sms => "sms",
                    ChannelDto::Email => "email",
                    ChannelDto::Webhook => "webhook",
                }),
                text(m.to.unwrap_or_default()),
                text(m.subject.unwrap_or_default()),
                text(m.text.unwrap_or_default()),
                text(match m.delivery {
                    DeliveryDto::Pending => "pending",
                    DeliveryDto::Delivered => "delivered",
                    DeliveryDto::Failed => "failed",
                }),
                text(m.reason.unwrap_or_default()),
            ]);
        }
        for f in &record.sms_flows {
            flows.rows.push(vec![
                text(&id),
                Cell::Time(f.sent_at),
                text(f.to.as_str()),
                text(&f.sender),
                text(f.assignment.to_string()),
            ]);
        }
        // The texts that answered a flow or a confirmation, then those that answered none
        // (kept with no assignment, from one of the customer's numbers).
        for r in record.sms_replies.iter().chain(&record.unmatched_texts) {
            let answered = match (&r.flow, &r.confirmation) {
                (Some(_), _) => "sms_flow",
                (None, Some(_)) => "sale_confirmation",
                (None, None) => "nothing",
            };
            // The fate and its reason in the JSON's words (`SmsReplyDto`).
            let reply = SmsReplyDto::from(r);
            replies.rows.push(vec![
                text(&id),
                Cell::Time(r.received_at),
                text(r.inbound.from.as_str()),
                text(&r.inbound.text),
                text(reply.fate.as_str()),
                text(reply.reason.unwrap_or_default()),
                text(answered),
            ]);
        }
        for r in &record.calls {
            let call = &r.call;
            calls.rows.push(vec![
                text(&id),
                Cell::Time(call.started_at),
                text(&r.seller),
                text(call.caller_id.as_str()),
                text(call.to.as_ref().map(|to| to.as_str()).unwrap_or_default()),
                text(call.status.as_str()),
                time_or_empty(call.answered_at),
                time_or_empty(call.ended_at),
                call.duration
                    .map_or(Cell::Empty, |s| Cell::Count(u64::from(s))),
                text(
                    call.duration
                        .map(|s| talk_time(u64::from(s)))
                        .unwrap_or_default(),
                ),
            ]);
        }
        for change in &record.changes {
            let dto = CustomerChangeDto::from(change);
            changes.rows.push(vec![
                text(&id),
                Cell::Time(dto.at),
                text(dto.kind),
                text(dto.fields.join(", ")),
                text(dto.note.unwrap_or_default()),
            ]);
        }
    }
    vec![
        request,
        customers,
        enrollments,
        outcomes,
        meetings,
        messages,
        flows,
        replies,
        calls,
        changes,
    ]
}

/// The export as a workbook: a sheet per kind of record, typed cells (local date-times in
/// the organisation's zone), a bold frozen header and an autofilter on each.
fn workbook(data: &PersonalData) -> Result<Vec<u8>, XlsxError> {
    let zone: &TimeZone = &data.zone;
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_author("Cube")
            .set_creation_datetime(&excel_time(data.at, &TimeZone::utc())?),
    );
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for sheet in sheets(data) {
        let ws = workbook.add_worksheet();
        ws.set_name(sheet.name)?;
        for (col, header) in (0u16..).zip(&sheet.headers) {
            ws.write_string_with_format(0, col, header, &bold)?;
        }
        for (r, row) in (1u32..).zip(&sheet.rows) {
            for (col, cell) in (0u16..).zip(row) {
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, col, t)?;
                    }
                    Cell::Time(at) => {
                        ws.write_datetime_with_format(r, col, excel_time(*at, zone)?, &when)?;
                    }
                    Cell::Count(n) => {
                        ws.write_number(r, col, *n as f64)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        let last_col = u16::try_from(sheet.headers.len().saturating_sub(1)).unwrap_or(u16::MAX);
        let last_row = u32::try_from(sheet.rows.len()).unwrap_or(u32::MAX);
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, last_row, last_col)?;
        ws.autofit();
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::{ExemptionDto, MeetingKindDto};
    use crate::customers::records::DatasetDto;
    use serde_json::Value;

    /// Found from outside: the access export's workbook wrote the dataset, a meeting's kind
    /// and an exemption as Rust's debug text (`B2b`, `Video`, `ExistingCustomer { .. }`)
    /// where the JSON says `b2b`, `video` and `existing_customer`. Each word is the JSON's.
    #[test]
    fn the_workbook_words_a_dataset_a_meeting_kind_and_an_exemption_as_the_json_does() {
        for dataset in [DatasetDto::B2b, DatasetDto::B2c] {
            assert_eq!(
                serde_json::to_value(dataset).expect("serialises"),
                Value::from(dataset.as_str())
            );
        }
        for kind in [MeetingKindDto::Physical, MeetingKindDto::Video] {
            assert_eq!(
                serde_json::to_value(kind).expect("serialises"),
                Value::from(kind.as_str())
            );
        }
        for exemption in [
            ExemptionDto::ExistingCustomer {
                since: time::macros::date!(2024 - 01 - 15),
                product_area: "strøm".into(),
            },
            ExemptionDto::AskedToBeCalled {
                at: time::macros::datetime!(2025-03-01 10:00 UTC),
                source: "e-post 1. mars".into(),
            },
        ] {
            // The JSON's object, as `kind; name: value; …` (in any order).
            let Value::Object(json) = serde_json::to_value(&exemption).expect("serialises") else {
                panic!("an object")
            };
            let words: Vec<String> = json
                .iter()
                .map(|(name, value)| {
                    let value = value.as_str().expect("a text").to_owned();
                    if name == "kind" {
                        value
                    } else {
                        format!("{name}: {value}")
                    }
                })
                .collect();
            let said = exemption.words();
            let mut said: Vec<&str> = said.split("; ").collect();
            let mut json_words: Vec<&str> = words.iter().map(String::as_str).collect();
            said.sort_unstable();
            json_words.sort_unstable();
            assert_eq!(said, json_words, "{json:?}");
        }
    }
}
