//! The organisation itself: its name and its time zone (issue 14). Every user of it may read
//! them (the zone says where their days begin); admins change them.

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
}

impl From<&Organisation> for OrganisationDto {
    fn from(organisation: &Organisation) -> Self {
        Self {
            id: organisation.id.as_uuid(),
            name: organisation.name.as_str().to_owned(),
            time_zone: organisation.time_zone.name().to_owned(),
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
