//! One customer of a data owner — created, read, updated — and a data owner's customers a
//! page at a time, all of them or those a search finds (words, dataset, phone, external id). CRM field values travel as text both ways (the form a spreadsheet cell
//! has), parsed by the use case against the data owner's field definitions, so what a `GET`
//! answers can be sent back unchanged in a `PUT`.

use crate::AppState;
use crate::auth::Actor;
use crate::error::invalid_field;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::customers::CustomerInput;
use cube_domain::customer::{Customer, CustomerFilter, SearchWords};
use cube_domain::data_owner::Dataset;
use cube_domain::ids::{CustomerId, DataOwnerId};
use cube_domain::ports::Page;
use cube_domain::values::PhoneNumber;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The most customers one page holds.
pub const MAX_PAGE: u64 = 500;
/// The page size when none is asked for.
pub const DEFAULT_PAGE: u64 = 50;

/// Which of the data owner's two CRM datasets a customer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatasetDto {
    /// Companies.
    B2b,
    /// Persons.
    B2c,
}

impl DatasetDto {
    /// The dataset as the JSON writes it (`b2b`): also the word of a workbook (the access
    /// export's customers).
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetDto::B2b => "b2b",
            DatasetDto::B2c => "b2c",
        }
    }
}

impl From<DatasetDto> for Dataset {
    fn from(dataset: DatasetDto) -> Self {
        match dataset {
            DatasetDto::B2b => Dataset::B2b,
            DatasetDto::B2c => Dataset::B2c,
        }
    }
}

impl From<Dataset> for DatasetDto {
    fn from(dataset: Dataset) -> Self {
        match dataset {
            Dataset::B2b => DatasetDto::B2b,
            Dataset::B2c => DatasetDto::B2c,
        }
    }
}

/// A customer's fixed fields and CRM values, as sent to change one (and as one import row).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRequest {
    /// Company or person name.
    pub name: String,
    /// Phone numbers (E.164, spaces allowed), main number first. A customer needs a phone
    /// number or an e-mail address.
    #[serde(default)]
    pub phones: Vec<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// Organisation number (B2B) or person number (B2C).
    #[serde(default)]
    pub registry_number: Option<String>,
    /// The id in the source system; imports match existing customers by it.
    #[serde(default)]
    pub external_id: Option<String>,
    /// CRM field values as text by field key, parsed by each field's type (`42`,
    /// `12.5`, `2025-03-03`, `yes`, a choice). An empty text leaves the field empty.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl CustomerRequest {
    /// The use cases' input.
    pub fn into_input(self) -> CustomerInput {
        CustomerInput {
            name: self.name,
            phones: self.phones,
            email: self.email,
            address: self.address,
            registry_number: self.registry_number,
            external_id: self.external_id,
            fields: self.fields,
        }
    }
}

/// A customer to add to a data owner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerRequest {
    /// Company (`b2b`) or person (`b2c`); fixed once created.
    pub dataset: DatasetDto,
    /// Company or person name.
    pub name: String,
    /// Phone numbers (E.164, spaces allowed), main number first.
    #[serde(default)]
    pub phones: Vec<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// Organisation number (B2B) or person number (B2C).
    #[serde(default)]
    pub registry_number: Option<String>,
    /// The id in the source system.
    #[serde(default)]
    pub external_id: Option<String>,
    /// CRM field values as text by field key.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl NewCustomerRequest {
    fn into_parts(self) -> (Dataset, CustomerInput) {
        let input = CustomerRequest {
            name: self.name,
            phones: self.phones,
            email: self.email,
            address: self.address,
            registry_number: self.registry_number,
            external_id: self.external_id,
            fields: self.fields,
        }
        .into_input();
        (self.dataset.into(), input)
    }
}

/// A customer as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerRecordDto {
    /// The id.
    pub id: Uuid,
    /// The data owner.
    pub data_owner: Uuid,
    /// Company or person.
    pub dataset: DatasetDto,
    /// Company or person name.
    pub name: String,
    /// Phone numbers (E.164), main number first.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Organisation or person number.
    pub registry_number: Option<String>,
    /// The id in the source system.
    pub external_id: Option<String>,
    /// CRM field values as text by field key (the form accepted on input).
    pub fields: BTreeMap<String, String>,
    /// The customer's standing with the contact policy (the do-not-call list, the register
    /// check, an exemption); absent when nothing is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<super::contact::ContactStandingDto>,
}

impl From<&Customer> for CustomerRecordDto {
    fn from(c: &Customer) -> Self {
        let d = c.details();
        Self {
            id: c.id().as_uuid(),
            data_owner: c.data_owner().as_uuid(),
            dataset: c.dataset().into(),
            name: d.name.to_string(),
            phones: d.phones.iter().map(ToString::to_string).collect(),
            email: d.email.as_ref().map(ToString::to_string),
            address: d.address.clone(),
            registry_number: d.registry_number.clone(),
            external_id: d.external_id.clone(),
            fields: c
                .fields()
                .iter()
                .map(|(key, value)| (key.to_string(), value.display()))
                .collect(),
            contact: super::contact::standing(c.contact()),
        }
    }
}

/// Which customers, and which page of them. Every search parameter given narrows the list;
/// none lists every customer.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerPageQuery {
    /// Words to find, at most 8 of at most 100 characters, separated by spaces: a customer
    /// is listed when every word occurs, in any case, somewhere in its name, phone numbers
    /// (as `+4791234567`), e-mail, address, registry number or external id — also inside a
    /// word (`berg` finds "Solberg"). Blank lists every customer.
    pub q: Option<String>,
    /// Only companies (`b2b`) or only persons (`b2c`).
    pub dataset: Option<DatasetDto>,
    /// Only customers with this phone number (E.164, spaces allowed) among their numbers.
    pub phone: Option<String>,
    /// Only the customer with this id in the source system (exact, case-sensitive).
    pub external_id: Option<String>,
    /// Matching customers to skip, oldest first; default 0 (use `next_offset` of the
    /// previous page).
    pub offset: Option<u64>,
    /// Customers to return, 1 to 500; default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

impl CustomerPageQuery {
    /// The search; a bad word list or phone number names the parameter.
    pub(crate) fn filter(&self) -> ApiResult<CustomerFilter> {
        let words = match &self.q {
            Some(q) => SearchWords::parse(q).map_err(|e| invalid_field("q", e))?,
            None => SearchWords::default(),
        };
        let phone = match self.phone.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(raw) => Some(PhoneNumber::parse(raw).map_err(|e| invalid_field("phone", e))?),
        };
        let external_id = self.external_id.clone().filter(|e| !e.is_empty());
        if external_id
            .as_deref()
            .is_some_and(|e| e.chars().any(char::is_control))
        {
            return Err(invalid_field(
                "external_id",
                "may not hold control characters",
            ));
        }
        Ok(CustomerFilter {
            words,
            dataset: self.dataset.map(Dataset::from),
            phone,
            external_id,
        })
    }

    pub(crate) fn page(&self) -> ApiResult<Page> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(invalid_field(
                "limit",
                format!("must be between 1 and {MAX_PAGE}, got {limit}"),
            ));
        }
        Ok(Page {
            offset: self.offset.unwrap_or(0),
            limit,
        })
    }
}

/// A page of a data owner's (matching) customers, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerPageDto {
    /// The customers.
    pub items: Vec<CustomerRecordDto>,
    /// Skipped before this page.
    pub offset: u64,
    /// Asked for.
    pub limit: u64,
    /// The `offset` of the next page; `null` on the last page.
    pub next_offset: Option<u64>,
}

/// Adds a customer to a data owner.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/customers", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner")),
    request_body = NewCustomerRequest,
    responses(
        (status = 201, description = "Created; `Location` names the new customer", body = CustomerRecordDto),
        (status = 403, description = "The role may not manage this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A customer with the same external id or phone exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown or bad field (name, phone, e-mail, CRM value)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiJson(request): ApiJson<NewCustomerRequest>,
) -> ApiResult<Response> {
    let (dataset, input) = request.into_parts();
    let customer = state
        .cube
        .add_customer(&actor.user, id, dataset, input)
        .await?;
    let location = format!("/api/customers/{}", customer.id());
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(CustomerRecordDto::from(&customer)),
    )
        .into_response())
}

/// One customer.
#[utoipa::path(
    get, path = "/api/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    responses(
        (status = 200, description = "The customer", body = CustomerRecordDto),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CustomerId>,
) -> ApiResult<Json<CustomerRecordDto>> {
    let customer = state.cube.customer(&actor.user, id).await?;
    Ok(Json(CustomerRecordDto::from(&customer)))
}

/// Replaces a customer's fixed fields and CRM values (its dataset stays).
#[utoipa::path(
    put, path = "/api/customers/{id}", tag = "customers",
    params(("id" = Uuid, Path, description = "The customer")),
    request_body = CustomerRequest,
    responses(
        (status = 200, description = "The customer now", body = CustomerRecordDto),
        (status = 403, description = "The role may not manage the customer's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown or bad field (name, phone, e-mail, CRM value)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(request): ApiJson<CustomerRequest>,
) -> ApiResult<Json<CustomerRecordDto>> {
    let customer = state
        .cube
        .update_customer(&actor.user, id, request.into_input())
        .await?;
    Ok(Json(CustomerRecordDto::from(&customer)))
}

/// A page of a data owner's customers, oldest first: all of them, or those the search
/// parameters find.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/customers", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner"), CustomerPageQuery),
    responses(
        (status = 200, description = "One page of the matching customers", body = CustomerPageDto),
        (status = 403, description = "The role may not manage this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range, too many or too long words in `q`, or `phone` not a phone number", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiQuery(query): ApiQuery<CustomerPageQuery>,
) -> ApiResult<Json<CustomerPageDto>> {
    let page = query.page()?;
    let filter = query.filter()?;
    let read = state
        .cube
        .customers(&actor.user, id, &filter, page.with_lookahead())
        .await?;
    let (customers, next_offset) = page.split(read);
    Ok(Json(CustomerPageDto {
        items: customers.iter().map(CustomerRecordDto::from).collect(),
        offset: page.offset,
        limit: page.limit,
        next_offset,
    }))
}
