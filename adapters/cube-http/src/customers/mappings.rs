//! A data owner's saved customer-file mappings (issue 16: "a mapping can be saved and reused
//! per data owner"): the columns (and sheet, header row, separator) an office chose for one
//! client's file, saved by name and given again as `mapping=<name>` to the file preview and
//! import. The columns are checked by the file reader when saved, as they would be in a query.

use super::files::parse_delimiter;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem, invalid_field};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use cube_domain::data_owner::{DataOwner, Dataset, ImportMapping};
use cube_domain::ids::DataOwnerId;
use cube_domain::values::Name;
use cube_sheets::mapping::{MappingError, check_mapping, parse_columns};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A saved mapping.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportMappingDto {
    /// Its name (`mapping=<name>` on the file preview and import).
    pub name: String,
    /// The columns and what each becomes, as the file import's `columns`
    /// (`A=name,B=phone,J=field:industry`).
    pub columns: String,
    /// The sheet to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The header row's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u32>,
    /// A CSV's separator: `,` `;` or `tab`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
}

/// A mapping to save.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportMappingRequest {
    /// The columns and what each becomes, as the file import's `columns`.
    pub columns: String,
    /// The sheet to read.
    #[serde(default)]
    pub sheet: Option<String>,
    /// The header row's number (1 is the first row).
    #[serde(default)]
    pub header_row: Option<u32>,
    /// A CSV's separator: `,` `;` or `tab`.
    #[serde(default)]
    pub delimiter: Option<String>,
}

fn dtos(owner: &DataOwner) -> Vec<ImportMappingDto> {
    owner
        .import_mappings()
        .iter()
        .map(|(name, m)| ImportMappingDto {
            name: name.as_str().to_owned(),
            columns: m.columns.clone(),
            sheet: m.sheet.clone(),
            header_row: m.header_row,
            delimiter: m.delimiter.clone(),
        })
        .collect()
}

fn mapping_name(name: &str) -> ApiResult<Name> {
    Name::parse(name).map_err(|e| invalid_field("name", e))
}

/// A data owner's saved customer-file mappings, by name.
#[utoipa::path(
    get, path = "/api/data-owners/{id}/import-mappings", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner")),
    responses(
        (status = 200, description = "The saved mappings, by name", body = [ImportMappingDto]),
        (status = 403, description = "The role may not manage the data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
) -> ApiResult<Json<Vec<ImportMappingDto>>> {
    let owner = state.cube.data_owner(&actor.user, id).await?;
    Ok(Json(dtos(&owner)))
}

/// Saves a customer file's choices under a name (replacing one of that name); the columns
/// are checked as the file import checks them.
#[utoipa::path(
    put, path = "/api/data-owners/{id}/import-mappings/{name}", tag = "customers",
    params(
        ("id" = Uuid, Path, description = "The data owner"),
        ("name" = String, Path, description = "The mapping's name"),
    ),
    request_body = ImportMappingRequest,
    responses(
        (status = 200, description = "Saved; the data owner's mappings, by name", body = [ImportMappingDto]),
        (status = 403, description = "The role may not manage the data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The data owner kept changing meanwhile; send it again", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A name, columns, sheet, header row or separator that cannot be used, or too many mappings", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn save(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath((id, name)): ApiPath<(DataOwnerId, String)>,
    request: Request,
) -> ApiResult<Json<Vec<ImportMappingDto>>> {
    // Who may, before the name and the body are looked at.
    let owner = state.cube.data_owner(&actor.user, id).await?;
    let name = mapping_name(&name)?;
    let ApiJson(request) = ApiJson::<ImportMappingRequest>::from_request(request, &state).await?;
    // Checked as a file import checks them, against the data owner's fields (of either
    // dataset) and with no sheet yet: every column letter is possible.
    let columns =
        parse_columns(&request.columns).map_err(|e: MappingError| invalid_field("columns", e))?;
    check_mapping(&columns, usize::MAX, &owner, Dataset::B2b)
        .or_else(|first| {
            check_mapping(&columns, usize::MAX, &owner, Dataset::B2c).map_err(|_| first)
        })
        .map_err(|e| invalid_field("columns", e))?;
    // Kept by the name the API gives it (`,` `;` `tab`), whatever spelling came in.
    let delimiter = parse_delimiter(request.delimiter.as_deref())?.map(|d| match d {
        b'\t' => "tab".to_owned(),
        other => char::from(other).to_string(),
    });
    if request.header_row == Some(0) {
        return Err(invalid_field(
            "header_row",
            "rows are numbered from 1, as in the sheet",
        ));
    }
    let mapping = ImportMapping {
        columns: request.columns.trim().to_owned(),
        sheet: request.sheet.filter(|s| !s.trim().is_empty()),
        header_row: request.header_row,
        delimiter,
    };
    let owner = state
        .cube
        .save_import_mapping(&actor.user, id, name, mapping)
        .await?;
    Ok(Json(dtos(&owner)))
}

/// Deletes a saved mapping.
#[utoipa::path(
    delete, path = "/api/data-owners/{id}/import-mappings/{name}", tag = "customers",
    params(
        ("id" = Uuid, Path, description = "The data owner"),
        ("name" = String, Path, description = "The mapping's name"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The role may not manage the data owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner, or no mapping of that name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The data owner kept changing meanwhile; send it again", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A name that cannot be a mapping's", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath((id, name)): ApiPath<(DataOwnerId, String)>,
) -> ApiResult<StatusCode> {
    // Who may, before the name is looked at.
    state.cube.data_owner(&actor.user, id).await?;
    let name = mapping_name(&name)?;
    state
        .cube
        .delete_import_mapping(&actor.user, id, &name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
