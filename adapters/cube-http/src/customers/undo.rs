//! A data owner's customer imports over HTTP, and undoing one (issue 16): a file brought in
//! by mistake goes out again as it came in — the customers and enrollments the import
//! created are removed — as long as nobody has worked on any of them; otherwise `409` names
//! how many customers were worked on, and nothing is removed. Customers the import only
//! updated keep the row's values. An import's id comes with its report (`import`) and with
//! its job.

use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_app::AppError;
use cube_domain::customer_import::{CustomerImport, UndoRefused};
use cube_domain::ids::{DataOwnerId, ImportId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// One import of a data owner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerImportDto {
    /// The id (`POST /api/imports/{id}/undo`).
    pub id: Uuid,
    /// The assignment the rows were enrolled in.
    pub assignment: Uuid,
    /// Who imported.
    pub imported_by: Uuid,
    /// When the import started (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub imported_at: OffsetDateTime,
    /// Customers it created (customers it only updated are not counted, and not undone).
    pub customers_created: usize,
    /// Enrollments it created.
    pub enrollments_created: usize,
    /// When it was undone (RFC 3339); `null` while it stands.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub undone_at: Option<OffsetDateTime>,
    /// Who undid it; `null` while it stands.
    pub undone_by: Option<Uuid>,
}

impl From<&CustomerImport> for CustomerImportDto {
    fn from(import: &CustomerImport) -> Self {
        Self {
            id: import.id.as_uuid(),
            assignment: import.assignment.as_uuid(),
            imported_by: import.imported_by.as_uuid(),
            imported_at: import.imported_at,
            customers_created: import.customers.len(),
            enrollments_created: import.enrollments.len(),
            undone_at: import.undone.map(|u| u.at),
            undone_by: import.undone.map(|u| u.by.as_uuid()),
        }
    }
}

/// What undoing an import removed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UndoneImportDto {
    /// The import, now undone.
    pub import: CustomerImportDto,
    /// Customers removed (those it created that were still there).
    pub customers_removed: usize,
    /// Enrollments removed (those it created that were still there, and any other enrollment
    /// of a customer it created).
    pub enrollments_removed: usize,
}

/// The data owner's customer imports, newest first, with what each created.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/imports", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "Every import recorded, newest first", body = Vec<CustomerImportDto>),
        (status = 403, description = "The role may not manage this data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Json<Vec<CustomerImportDto>>> {
    let imports = state.cube.customer_imports(&actor.user, id).await?;
    Ok(Json(imports.iter().map(CustomerImportDto::from).collect()))
}

/// Undoes an import: removes the customers and enrollments it created, in one step, if
/// nobody has worked on any of them (no outcome registered, no meeting booked, no card edit,
/// no message, nobody holding one now). Customers it only updated keep the row's values.
#[utoipa::path(
    post, path = "/api/imports/{id}/undo", tag = "customers",
    params(("id" = Uuid, Path, description = "The import")),
    responses(
        (status = 200, description = "Undone: what was removed", body = UndoneImportDto),
        (status = 403, description = "The role may not manage the import's data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Some of its customers were worked on (the detail says how many), it was undone already (the detail says when), or its job is still writing rows; nothing was removed", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn undo(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<ImportId>,
) -> ApiResult<Json<UndoneImportDto>> {
    if state.import_jobs.is_writing(id) {
        return Err(AppError::from(UndoRefused::StillRunning).into());
    }
    let undone = state.cube.undo_import(&actor.user, id).await?;
    Ok(Json(UndoneImportDto {
        import: CustomerImportDto::from(&undone.import),
        customers_removed: undone.customers_removed,
        enrollments_removed: undone.enrollments_removed,
    }))
}
