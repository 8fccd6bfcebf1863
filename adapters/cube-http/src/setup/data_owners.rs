//! Data owners: creating and reading them, their GDPR controller details and processing
//! purposes, and the optional CRM fields of their two datasets. Admins create data owners;
//! admins and the data owner's managers set them up. Products and calendars are in
//! [`super::catalogue`].

use super::field_definitions::{FieldDefinitionDto, definitions};
use super::{created, filled};
use crate::AppState;
use crate::auth::Actor;
use crate::customers::records::DatasetDto;
use crate::error::invalid_field;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use crate::revisions::{IfMatch, Tagged, tagged};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cube_app::Revision;
use cube_domain::data_owner::{
    Controller, DataOwner, Dataset, GdprGap, LegalBasis, ProcessingPurpose,
};
use cube_domain::ids::DataOwnerId;
use cube_domain::values::{Email, Name, PhoneRegion};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A data owner to create.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDataOwnerRequest {
    /// The name.
    pub name: String,
    /// Where its customers' phone numbers without a country code are read: a two-letter
    /// country code such as `NO` or `SE`; default `NO`.
    #[serde(default)]
    pub phone_region: Option<String>,
}

/// The controller's contact details; each is `null` until filled in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ControllerDto {
    /// Company name.
    #[serde(default)]
    pub company_name: Option<String>,
    /// Organisation number.
    #[serde(default)]
    pub organisation_number: Option<String>,
    /// Postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// Contact e-mail.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// Data-protection contact (name or e-mail).
    #[serde(default)]
    pub data_protection_contact: Option<String>,
}

impl From<&Controller> for ControllerDto {
    fn from(c: &Controller) -> Self {
        Self {
            company_name: c.company_name.as_ref().map(ToString::to_string),
            organisation_number: c.organisation_number.clone(),
            address: c.address.clone(),
            contact_email: c.contact_email.as_ref().map(ToString::to_string),
            data_protection_contact: c.data_protection_contact.clone(),
        }
    }
}

impl ControllerDto {
    fn into_domain(self) -> ApiResult<Controller> {
        let company_name = filled(self.company_name)
            .map(|n| Name::parse(&n))
            .transpose()
            .map_err(|e| invalid_field("controller.company_name", e))?;
        let contact_email = filled(self.contact_email)
            .map(|e| Email::parse(&e))
            .transpose()
            .map_err(|e| invalid_field("controller.contact_email", e))?;
        Ok(Controller {
            company_name,
            organisation_number: filled(self.organisation_number),
            address: filled(self.address),
            contact_email,
            data_protection_contact: filled(self.data_protection_contact),
        })
    }
}

/// The legal basis of a processing purpose (GDPR art. 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasisDto {
    /// Consent of the data subject.
    Consent,
    /// Performance of a contract.
    Contract,
    /// A legal obligation.
    LegalObligation,
    /// Vital interests.
    VitalInterests,
    /// A task in the public interest.
    PublicTask,
    /// Legitimate interests.
    LegitimateInterests,
}

impl From<LegalBasis> for LegalBasisDto {
    fn from(basis: LegalBasis) -> Self {
        match basis {
            LegalBasis::Consent => LegalBasisDto::Consent,
            LegalBasis::Contract => LegalBasisDto::Contract,
            LegalBasis::LegalObligation => LegalBasisDto::LegalObligation,
            LegalBasis::VitalInterests => LegalBasisDto::VitalInterests,
            LegalBasis::PublicTask => LegalBasisDto::PublicTask,
            LegalBasis::LegitimateInterests => LegalBasisDto::LegitimateInterests,
        }
    }
}

impl From<LegalBasisDto> for LegalBasis {
    fn from(basis: LegalBasisDto) -> Self {
        match basis {
            LegalBasisDto::Consent => LegalBasis::Consent,
            LegalBasisDto::Contract => LegalBasis::Contract,
            LegalBasisDto::LegalObligation => LegalBasis::LegalObligation,
            LegalBasisDto::VitalInterests => LegalBasis::VitalInterests,
            LegalBasisDto::PublicTask => LegalBasis::PublicTask,
            LegalBasisDto::LegitimateInterests => LegalBasis::LegitimateInterests,
        }
    }
}

/// A purpose for which personal data is processed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurposeDto {
    /// What the data is used for.
    pub description: String,
    /// Why that is lawful.
    pub legal_basis: LegalBasisDto,
}

/// One missing piece of GDPR information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GdprGapDto {
    /// The controller's company name.
    CompanyName,
    /// The controller's organisation number.
    OrganisationNumber,
    /// The controller's address.
    Address,
    /// The controller's contact e-mail.
    ContactEmail,
    /// The data-protection contact.
    DataProtectionContact,
    /// No processing purpose.
    ProcessingPurpose,
}

impl From<GdprGap> for GdprGapDto {
    fn from(gap: GdprGap) -> Self {
        match gap {
            GdprGap::CompanyName => GdprGapDto::CompanyName,
            GdprGap::OrganisationNumber => GdprGapDto::OrganisationNumber,
            GdprGap::Address => GdprGapDto::Address,
            GdprGap::ContactEmail => GdprGapDto::ContactEmail,
            GdprGap::DataProtectionContact => GdprGapDto::DataProtectionContact,
            GdprGap::ProcessingPurpose => GdprGapDto::ProcessingPurpose,
        }
    }
}

/// A data owner with its GDPR details and CRM fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DataOwnerDto {
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
    /// The controller's contact details.
    pub controller: ControllerDto,
    /// The processing purposes.
    pub purposes: Vec<PurposeDto>,
    /// What is still missing of the GDPR details; empty when complete.
    pub gdpr_gaps: Vec<GdprGapDto>,
    /// The optional CRM fields of companies.
    pub b2b_fields: Vec<FieldDefinitionDto>,
    /// The optional CRM fields of persons.
    pub b2c_fields: Vec<FieldDefinitionDto>,
    /// Where its customers' phone numbers without a country code are read (`NO`, `SE`...).
    pub phone_region: String,
}

impl From<&DataOwner> for DataOwnerDto {
    fn from(o: &DataOwner) -> Self {
        let fields = |dataset| o.fields(dataset).iter().map(Into::into).collect();
        Self {
            id: o.id().as_uuid(),
            name: o.name().to_string(),
            phone_region: o.phone_region().to_string(),
            controller: o.controller().into(),
            purposes: o
                .purposes()
                .iter()
                .map(|p| PurposeDto {
                    description: p.description.to_string(),
                    legal_basis: p.legal_basis.into(),
                })
                .collect(),
            gdpr_gaps: o.gdpr_gaps().into_iter().map(Into::into).collect(),
            b2b_fields: fields(Dataset::B2b),
            b2c_fields: fields(Dataset::B2c),
        }
    }
}

/// The GDPR details to set (both replace what was there).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GdprRequest {
    /// The controller's contact details; a blank or left-out detail is cleared.
    #[serde(default)]
    pub controller: ControllerDto,
    /// The processing purposes.
    #[serde(default)]
    pub purposes: Vec<PurposeDto>,
}

/// The CRM fields of one dataset (replacing its fields).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldsRequest {
    /// Companies (`b2b`) or persons (`b2c`).
    pub dataset: DatasetDto,
    /// The fields, with distinct keys.
    pub fields: Vec<FieldDefinitionDto>,
}

/// Creates a data owner (admins).
#[utoipa::path(
    post, path = "/api/data-owners", tag = "setup",
    request_body = NewDataOwnerRequest,
    responses(
        (status = 201, description = "The data owner; its GDPR details are still to be filled in. `Location` is its address", body = DataOwnerDto),
        (status = 403, description = "Only admins create data owners, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or phone region", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<NewDataOwnerRequest>,
) -> ApiResult<Response> {
    let region = match filled(request.phone_region) {
        Some(raw) => PhoneRegion::parse(&raw).map_err(|e| invalid_field("phone_region", e))?,
        None => PhoneRegion::default(),
    };
    let owner = state
        .cube
        .create_data_owner_in(&actor.user, &request.name, region)
        .await?;
    created(
        format!("/api/data-owners/{}", owner.id()),
        DataOwnerDto::from(&owner),
    )
}

/// The data owners the caller may set up (all for admins, their own for managers, none for
/// anyone else).
#[utoipa::path(
    get, path = "/api/data-owners", tag = "setup",
    responses(
        (status = 200, description = "The data owners", body = Vec<DataOwnerDto>),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<DataOwnerDto>>> {
    let owners = state.cube.data_owners(&actor.user).await?;
    Ok(Json(owners.iter().map(DataOwnerDto::from).collect()))
}

/// One data owner the caller may set up.
#[utoipa::path(
    get, path = "/api/data-owners/{id}", tag = "setup",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "The data owner", body = DataOwnerDto, headers(("ETag" = String, description = "The revision of the data owner: send it back in `If-Match` to change it (`PUT …/gdpr`, `PUT …/fields`) only if nobody changed it meanwhile"))),
        (status = 403, description = "The role may not set up this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Tagged<DataOwnerDto>> {
    let owner = state.cube.data_owner(&actor.user, id).await?;
    tagged(&Revision::of(&owner)?, DataOwnerDto::from(&owner))
}

/// Sets the controller details and processing purposes.
#[utoipa::path(
    put, path = "/api/data-owners/{id}/gdpr", tag = "setup",
    params(
        ("id" = Uuid, Path, description = "The data owner"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the data owner was read with: the write is refused (412) if the data owner changed since. Optional; without it (or with `*`) the write replaces what is there"),
    ),
    request_body = GdprRequest,
    responses(
        (status = 200, description = "The data owner, with what is still missing in `gdpr_gaps`", body = DataOwnerDto, headers(("ETag" = String, description = "The new revision of the data owner"))),
        (status = 403, description = "The role may not set up this data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The data owner changed since the revision in `If-Match` was read; nothing was written. Read it again and redo the change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad company name, e-mail, purpose or legal basis", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_gdpr(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    if_match: IfMatch,
    ApiJson(request): ApiJson<GdprRequest>,
) -> ApiResult<Tagged<DataOwnerDto>> {
    let controller = request.controller.into_domain()?;
    let purposes = request
        .purposes
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let description = Name::parse(&p.description)
                .map_err(|e| invalid_field(format!("purposes[{i}].description"), e))?;
            Ok(ProcessingPurpose {
                description,
                legal_basis: p.legal_basis.into(),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let owner = state
        .cube
        .set_gdpr_details(&actor.user, id, controller, purposes, if_match.revision())
        .await?;
    tagged(&Revision::of(&owner)?, DataOwnerDto::from(&owner))
}

/// Replaces the optional CRM fields of one dataset (they can be changed at any time).
#[utoipa::path(
    put, path = "/api/data-owners/{id}/fields", tag = "setup",
    params(
        ("id" = Uuid, Path, description = "The data owner"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the data owner was read with: the write is refused (412) if the data owner changed since. Optional; without it (or with `*`) the write replaces what is there"),
    ),
    request_body = FieldsRequest,
    responses(
        (status = 200, description = "The data owner with its new fields", body = DataOwnerDto, headers(("ETag" = String, description = "The new revision of the data owner"))),
        (status = 403, description = "The role may not set up this data owner, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The data owner changed since the revision in `If-Match` was read; nothing was written. Read it again and redo the change", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad key, duplicate keys, or bad choices", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_fields(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    if_match: IfMatch,
    ApiJson(request): ApiJson<FieldsRequest>,
) -> ApiResult<Tagged<DataOwnerDto>> {
    let fields = definitions("fields", request.fields)?;
    let owner = state
        .cube
        .set_crm_fields(
            &actor.user,
            id,
            request.dataset.into(),
            fields,
            if_match.revision(),
        )
        .await?;
    tagged(&Revision::of(&owner)?, DataOwnerDto::from(&owner))
}
