//! Hit analysis of one assignment, now: for each analysis field (a CRM field, or the
//! attempts count), the customers in a Yes and in a No state per value, and the hitrate
//! `yes / (yes + no)` in percent.

use super::{NoQuery, Percent, percent};
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::ids::AssignmentId;
use cube_domain::reports::FieldHits;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Yes, no and hitrate of one value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ValueHitsDto {
    /// The value as text; `null` for customers without one.
    pub value: Option<String>,
    /// Customers in a Yes state.
    pub yes: u64,
    /// Customers in a No state.
    pub no: u64,
    /// Yes of yes and no, in percent; `null` when both are 0.
    pub hitrate_percent: Option<Percent>,
}

/// The hit analysis of one field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldHitsDto {
    /// A CRM field key, or `attempts` for the attempts count.
    pub field: String,
    /// Its values: whole numbers first in numeric order, then text, then no value.
    pub values: Vec<ValueHitsDto>,
}

impl From<&FieldHits> for FieldHitsDto {
    fn from(h: &FieldHits) -> Self {
        Self {
            field: match &h.field {
                AnalysisField::Crm(key) => key.to_string(),
                AnalysisField::Attempts => "attempts".to_owned(),
            },
            values: h
                .values
                .iter()
                .map(|v| ValueHitsDto {
                    value: v.value.clone(),
                    yes: v.yes,
                    no: v.no,
                    hitrate_percent: percent(v.hitrate),
                })
                .collect(),
        }
    }
}

/// Hit analysis of an assignment now, per analysis field.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/hits", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "One entry per analysis field, in the assignment's order", body = Vec<FieldHitsDto>),
        (status = 400, description = "Malformed id, or a query parameter (this report takes none)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn hits(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> ApiResult<Json<Vec<FieldHitsDto>>> {
    let hits = state.cube.hit_analysis(&actor.user, id).await?;
    Ok(Json(hits.iter().map(FieldHitsDto::from).collect()))
}
