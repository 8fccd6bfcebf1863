//! The organisation itself: its name and its time zone (issue 14), and the numbers it may show
//! as caller id (issue 17). Every user of it may read them (the zone says where their days
//! begin); admins change them.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiJson, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_domain::access::Organisation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganisationDto {
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
    /// Its IANA time zone, e.g. `Europe/Oslo`: "today" (My Work, the reports' default window,
    /// the visibility dates) is this zone's local day.
    pub time_zone: String,
    /// The numbers it may show as caller id on outgoing calls (E.164): a call shows only one
    /// of these.
    #[serde(default)]
    pub caller_ids: Vec<String>,
}

impl From<&Organisation> for OrganisationDto {
    fn from(organisation: &Organisation) -> Self {
        Self {
            id: organisation.id.as_uuid(),
            name: organisation.name.as_str().to_owned(),
            time_zone: organisation.time_zone.name().to_owned(),
            caller_ids: organisation
                .caller_ids
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect(),
        }
    }
}

/// What to change; what is left out stays.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChangeRequest {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new IANA time zone, e.g. `Europe/Oslo`, `Europe/Stockholm`, `UTC`.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// The acting user's organisation.
#[utoipa::path(
    get, path = "/api/organisation", tag = "setup",
    responses(
        (status = 200, description = "The organisation", body = OrganisationDto),
    ),
)]
pub async fn get(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<OrganisationDto>> {
    let organisation = state.cube.organisation(&actor.user).await?;
    Ok(Json(OrganisationDto::from(&organisation)))
}

/// Renames the organisation and/or sets its time zone (admins).
#[utoipa::path(
    patch, path = "/api/organisation", tag = "setup",
    request_body = OrganisationChangeRequest,
    responses(
        (status = 200, description = "The organisation as changed", body = OrganisationDto),
        (status = 403, description = "Only admins change the organisation", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty name or an unknown time zone", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<OrganisationChangeRequest>,
) -> ApiResult<Json<OrganisationDto>> {
    let organisation = state
        .cube
        .update_organisation(
            &actor.user,
            request.name.as_deref(),
            request.time_zone.as_deref(),
        )
        .await?;
    Ok(Json(OrganisationDto::from(&organisation)))
}

/// The numbers the organisation may show as caller id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerIdsRequest {
    /// Every number, with its country code (`+4722334455`) or Norwegian without one; at most
    /// 100, repeats kept once. An empty list stops every call.
    pub caller_ids: Vec<String>,
}

/// Sets the numbers the organisation may show as caller id on outgoing calls (admins): an
/// assignment's shared number, or a seller's own, is shown only if it is one of these.
#[utoipa::path(
    put, path = "/api/organisation/caller-ids", tag = "setup",
    request_body = CallerIdsRequest,
    responses(
        (status = 200, description = "The organisation as changed", body = OrganisationDto),
        (status = 403, description = "Only admins change the organisation, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a phone number, or more than 100", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_caller_ids(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<CallerIdsRequest>,
) -> ApiResult<Json<OrganisationDto>> {
    let organisation = state
        .cube
        .set_caller_ids(&actor.user, &request.caller_ids)
        .await?;
    Ok(Json(OrganisationDto::from(&organisation)))
}
