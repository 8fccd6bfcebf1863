//! The contact policy over HTTP (issue 18): a customer on the data owner's do-not-call
//! list, an exemption from the reservation register, a data owner's rules, and the wash
//! against the register's export (the body is the file itself, as with customer files:
//! `curl --data-binary @reservasjoner.csv`).

use crate::AppState;
use crate::auth::Actor;
use crate::customers::records::CustomerRecordDto;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, Problem, invalid_field};
use crate::work::BarredDto;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_domain::contact_policy::standing::{
    ContactRules, ContactStatus, DoNotCall, Exemption, RegisterCheck, Wash,
};
use cube_domain::ids::{CustomerId, DataOwnerId};
use cube_sheets::register::RegisterFile;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The largest register export accepted: the Norwegian register (a few million numbers,
/// one per line) is well below it.
pub const REGISTER_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// A customer on the do-not-call list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DoNotCallDto {
    /// Since when (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: time::OffsetDateTime,
    /// Who put them there (absent: an SMS reply or an integration).
    pub by: Option<Uuid>,
    /// Why.
    pub reason: String,
}

/// The last check of a customer's numbers against the reservation register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterCheckDto {
    /// The day of the check (`YYYY-MM-DD`, the organisation's calendar).
    #[schema(value_type = String, format = Date)]
    pub checked_on: time::Date,
    /// Whether one of the numbers was reserved.
    pub reserved: bool,
}

/// Why a consumer reserved in the register may still be called.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExemptionDto {
    /// An existing customer relationship, for products of the same kind.
    ExistingCustomer {
        /// Since when (`YYYY-MM-DD`).
        #[schema(value_type = String, format = Date)]
        since: time::Date,
        /// The products it is about ("strøm"), at most 200 characters.
        product_area: String,
    },
    /// The person asked to be called.
    AskedToBeCalled {
        /// When they asked (RFC 3339).
        #[serde(with = "time::serde::rfc3339")]
        #[schema(value_type = String, format = DateTime)]
        at: time::OffsetDateTime,
        /// Where the request is documented, at most 200 characters.
        source: String,
    },
}

impl ExemptionDto {
    /// The exemption in the JSON's words on one line, as a workbook cell holds it (the access
    /// export's customers): its `kind`, then each field as `name: value`
    /// (`existing_customer; since: 2024-01-15; product_area: strøm`).
    pub fn words(&self) -> String {
        match self {
            ExemptionDto::ExistingCustomer {
                since,
                product_area,
            } => format!("existing_customer; since: {since}; product_area: {product_area}"),
            ExemptionDto::AskedToBeCalled { at, source } => {
                let at = at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|_| at.to_string());
                format!("asked_to_be_called; at: {at}; source: {source}")
            }
        }
    }
}

impl From<&Exemption> for ExemptionDto {
    fn from(exemption: &Exemption) -> Self {
        match exemption.clone() {
            Exemption::ExistingCustomer {
                since,
                product_area,
            } => ExemptionDto::ExistingCustomer {
                since,
                product_area,
            },
            Exemption::AskedToBeCalled { at, source } => {
                ExemptionDto::AskedToBeCalled { at, source }
            }
        }
    }
}

impl From<ExemptionDto> for Exemption {
    fn from(dto: ExemptionDto) -> Self {
        match dto {
            ExemptionDto::ExistingCustomer {
                since,
                product_area,
            } => Exemption::ExistingCustomer {
                since,
                product_area,
            },
            ExemptionDto::AskedToBeCalled { at, source } => {
                Exemption::AskedToBeCalled { at, source }
            }
        }
    }
}

/// A customer's standing with the contact policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ContactStandingDto {
    /// On the data owner's do-not-call list: never handed out.
    pub do_not_call: Option<DoNotCallDto>,
    /// The last check against the reservation register (consumers).
    pub register: Option<RegisterCheckDto>,
    /// Why a reservation does not stop calling.
    pub exemption: Option<ExemptionDto>,
}

impl From<&ContactStatus> for ContactStandingDto {
    fn from(status: &ContactStatus) -> Self {
        Self {
            do_not_call: status
                .do_not_call
                .as_ref()
                .map(|entry: &DoNotCall| DoNotCallDto {
                    since: entry.since,
                    by: entry.by.map(|u| u.as_uuid()),
                    reason: entry.reason.clone(),
                }),
            register: status
                .register
                .map(|check: RegisterCheck| RegisterCheckDto {
                    checked_on: check.checked_on,
                    reserved: check.reserved,
                }),
            exemption: status.exemption.as_ref().map(ExemptionDto::from),
        }
    }
}

/// Why the customer goes on the do-not-call list.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoNotCallRequest {
    /// In a few words ("asked on the phone"), one line of at most 200 characters.
    pub reason: String,
}

/// Puts a customer on the data owner's do-not-call list: from now on no assignment hands
/// them out. Recorded in the customer's changes.
#[utoipa::path(
    put, path = "/api/customers/{id}/do-not-call", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    request_body = DoNotCallRequest,
    responses(
        (status = 200, description = "The customer now", body = CustomerRecordDto),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A reason that is too long or spans lines", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn put_do_not_call(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(request): ApiJson<DoNotCallRequest>,
) -> ApiResult<Json<CustomerRecordDto>> {
    let customer = state
        .cube
        .set_do_not_call(&actor.user, id, Some(&request.reason))
        .await?;
    Ok(Json(CustomerRecordDto::from(&customer)))
}

/// Takes a customer off the do-not-call list.
#[utoipa::path(
    delete, path = "/api/customers/{id}/do-not-call", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    responses(
        (status = 200, description = "The customer now", body = CustomerRecordDto),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_do_not_call(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CustomerId>,
) -> ApiResult<Json<CustomerRecordDto>> {
    let customer = state.cube.set_do_not_call(&actor.user, id, None).await?;
    Ok(Json(CustomerRecordDto::from(&customer)))
}

/// Records why a consumer reserved in the register may still be called: an existing
/// customer relationship for similar products, or their own request to be called.
#[utoipa::path(
    put, path = "/api/customers/{id}/register-exemption", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    request_body = ExemptionDto,
    responses(
        (status = 200, description = "The customer now", body = CustomerRecordDto),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty, too long or multi-line product area or source", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn put_exemption(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(request): ApiJson<ExemptionDto>,
) -> ApiResult<Json<CustomerRecordDto>> {
    let customer = state
        .cube
        .set_register_exemption(&actor.user, id, Some(request.into()))
        .await?;
    Ok(Json(CustomerRecordDto::from(&customer)))
}

/// Removes a customer's exemption from the register.
#[utoipa::path(
    delete, path = "/api/customers/{id}/register-exemption", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    responses(
        (status = 200, description = "The customer now", body = CustomerRecordDto),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_exemption(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CustomerId>,
) -> ApiResult<Json<CustomerRecordDto>> {
    let customer = state
        .cube
        .set_register_exemption(&actor.user, id, None)
        .await?;
    Ok(Json(CustomerRecordDto::from(&customer)))
}

/// A wash of the data owner's consumers against the reservation register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WashDto {
    /// When it ran (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: time::OffsetDateTime,
    /// Who ran it.
    pub by: Uuid,
    /// How many reserved numbers the register's export held.
    pub register_numbers: u64,
    /// How many consumers were checked.
    pub checked: u64,
    /// How many of them were reserved.
    pub reserved: u64,
    /// How many of those an exemption lets through.
    pub exempted: u64,
}

impl From<&Wash> for WashDto {
    fn from(wash: &Wash) -> Self {
        Self {
            at: wash.at,
            by: wash.by.as_uuid(),
            register_numbers: wash.register_numbers,
            checked: wash.checked,
            reserved: wash.reserved,
            exempted: wash.exempted,
        }
    }
}

/// What a data owner's consumers are held to, and where they stand now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactPolicyDto {
    /// Consumers are called only inside the call windows (weekdays 09:00–21:00 in the
    /// organisation's time zone, not on public holidays). On unless turned off.
    pub consumer_call_windows: bool,
    /// Consumers are called only after a wash against the reservation register in the
    /// month of calling, and never when reserved without an exemption. On unless turned
    /// off.
    pub reservation_register: bool,
    /// The most calls to one customer in a day across the data owner's assignments (1 to
    /// 100; an outcome registered by a person is a call). Absent: no cap.
    #[serde(default)]
    pub max_calls_per_day: Option<u32>,
    /// The last wash (read only).
    #[serde(default)]
    pub last_wash: Option<WashDto>,
    /// Why no consumer may be called now, if so (read only).
    #[serde(default)]
    pub consumers_now: Option<BarredDto>,
}

/// The rules to set.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRulesRequest {
    /// See [`ContactPolicyDto::consumer_call_windows`].
    pub consumer_call_windows: bool,
    /// See [`ContactPolicyDto::reservation_register`].
    pub reservation_register: bool,
    /// See [`ContactPolicyDto::max_calls_per_day`].
    #[serde(default)]
    pub max_calls_per_day: Option<u32>,
}

/// A data owner's contact policy: its rules, its last wash, and whether its consumers may be
/// called now.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/contact-policy", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "The rules, the last wash and now", body = ContactPolicyDto),
        (status = 403, description = "The role may not manage the data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get_policy(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Json<ContactPolicyDto>> {
    let policy = state.cube.contact_policy(&actor.user, id).await?;
    Ok(Json(policy_dto(&policy)))
}

/// Sets what a data owner's consumers are held to.
#[utoipa::path(
    put, path = "/api/data-owners/{id}/contact-policy", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body = ContactRulesRequest,
    responses(
        (status = 200, description = "The rules, the last wash and now", body = ContactPolicyDto),
        (status = 403, description = "The role may not manage the data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A daily cap out of its range", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn put_policy(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiJson(request): ApiJson<ContactRulesRequest>,
) -> ApiResult<Json<ContactPolicyDto>> {
    let rules = ContactRules {
        consumer_call_windows: request.consumer_call_windows,
        reservation_register: request.reservation_register,
        max_calls_per_day: request.max_calls_per_day,
    };
    state.cube.set_contact_rules(&actor.user, id, rules).await?;
    let policy = state.cube.contact_policy(&actor.user, id).await?;
    Ok(Json(policy_dto(&policy)))
}

fn policy_dto(policy: &cube_app::contact::ContactPolicyView) -> ContactPolicyDto {
    ContactPolicyDto {
        consumer_call_windows: policy.rules.consumer_call_windows,
        reservation_register: policy.rules.reservation_register,
        max_calls_per_day: policy.rules.max_calls_per_day,
        last_wash: policy.last_wash.as_ref().map(WashDto::from),
        consumers_now: policy.consumers_now.map(Into::into),
    }
}

/// How long the request waits for a wash to end before answering `202` (the wash goes on).
const WASH_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// A wash that goes on after its request answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WashStartedDto {
    /// `running`.
    pub status: String,
    /// Where to see it when it is done (`GET`, its `last_wash`).
    pub location: String,
}

/// Washes the data owner's consumers against the reservation register: the body is the
/// register's export (one number per line, optionally `;` and the date of the reservation,
/// optionally a header line). Every consumer's numbers are looked up and the check recorded;
/// then the wash is recorded, and the data owner's consumers may be called this month (the
/// reserved ones only with an exemption). A file with a line that is not a phone number is
/// refused whole, naming the lines. Who may wash is checked before the file is read. A wash
/// that takes longer than 20 seconds goes on after `202` answers; `GET …/contact-policy`
/// shows it when done. One wash of a data owner at a time.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/reservation-register/wash", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body(content = crate::dto::FileBody, content_type = "text/csv", description = "The register's export, up to 256 MiB"),
    responses(
        (status = 200, description = "The wash", body = WashDto),
        (status = 202, description = "The wash goes on; `Location` shows it when done", body = WashStartedDto),
        (status = 403, description = "The role may not manage the data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A wash of this data owner is running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 256 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A form (multipart) was sent instead of the file itself", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is not text, holds no number, or has lines that are not phone numbers (nothing washed)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn wash(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    // Access first: a caller who may not manage the data owner learns nothing of the file
    // and makes the server buffer none of it.
    let owner = state.cube.data_owner(&actor.user, id).await?;
    let body = register_body(&headers, body).await?;
    let region = owner.phone_region();
    let register = tokio::task::spawn_blocking(move || RegisterFile::parse(&body, region))
        .await
        .map_err(|_| ApiError::Malformed {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            detail: "reading the register file failed; send it again".to_owned(),
        })?
        .map_err(|e| invalid_field("file", e))?;
    // The wash runs to its end even if this request is cut off (its time limit, the client
    // leaving): a half-done wash would only keep consumers blocked.
    let cube = state.cube.clone();
    let user = actor.user.clone();
    let mut done = tokio::spawn(async move { cube.wash(&user, id, &register).await });
    let location = format!("/api/data-owners/{id}/contact-policy");
    match tokio::time::timeout(WASH_WAIT, &mut done).await {
        Ok(finished) => {
            let wash = finished.map_err(|_| ApiError::Malformed {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                detail: "the wash stopped; run it again".to_owned(),
            })??;
            Ok(Json(WashDto::from(&wash)).into_response())
        }
        Err(_) => Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, location.clone())],
            Json(WashStartedDto {
                status: "running".to_owned(),
                location,
            }),
        )
            .into_response()),
    }
}

/// The register file as sent: the body itself, not a form around it, within the limit.
async fn register_body(headers: &HeaderMap, body: Body) -> ApiResult<Bytes> {
    super::files::read_body(
        headers,
        body,
        REGISTER_BODY_LIMIT,
        "reservasjoner.csv",
        "the register file is larger than 256 MiB; check that it is the register's export",
    )
    .await
}

/// The standing shown with a customer record.
pub fn standing(status: &ContactStatus) -> Option<ContactStandingDto> {
    (!status.is_empty()).then(|| ContactStandingDto::from(status))
}
