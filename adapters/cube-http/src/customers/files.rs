//! Customers from a file as the office has it: the body is the file itself (`.xlsx`,
//! `.ods`, or a `.csv`/`.txt` in UTF-8, UTF-16 or Windows-1252 with `,` `;` or tab), and
//! the choices are query parameters, so `curl --data-binary @kunder.xlsx` is the whole
//! client.
//!
//! `POST …/customers/import-file/preview` reads the file and answers what an import would do,
//! writing nothing: the sheets, the header row, each column with the field it is mapped to
//! (the header's suggestion — Navn, Telefon, Mobil, E-post, Postnr, Orgnr… — or the
//! `columns` given), the first rows as they will be read, and every row that would be
//! rejected with its row number in the sheet and the reason.
//!
//! `POST …/customers/import-file` imports with the same choices as an import job (`202`,
//! `Location: /api/import-jobs/{id}`). All or nothing: if any row would be rejected, nothing
//! is imported and the answer says which rows and why, unless `keep_good_rows=true`. Sending
//! the same file again creates nothing new (rows match by external id, then phone; a row
//! that would change nothing counts as `unchanged`). A row whose phone number belongs to
//! another customer than the one the row is (`cube_domain::import_match`) is rejected.

use super::import::{ImportJobDto, OnMatchDto, RejectedRowDto};
use super::records::DatasetDto;
use super::upload::Upload;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, Problem, invalid_field};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::{StatusCode, header};
use axum::response::Response;
use cube_app::AppError;
use cube_app::customers::{ImportPlan, RejectedRow};
use cube_app::streamed_imports::{ImportTarget, OpenedImport, RowChecker};
use cube_domain::data_owner::{DataOwner, ImportMapping};
use cube_domain::ids::{AssignmentId, DataOwnerId, SegmentId};
use cube_domain::import_match::MatchKeys;
use cube_domain::values::{Name, excerpt};
use cube_sheets::mapping::{MappingError, parse_columns};
use cube_sheets::read::{Format, Limits};
use cube_sheets::streamed::CheckedCsv;
use cube_sheets::{Destination, FileChoices, ImportFileError, PreparedFile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The rejected rows a preview lists.
const PREVIEW_REJECTED: usize = 1_000;

/// The rejected rows of a CSV a job lists (`GET /api/import-jobs/{id}/rejected`); all are
/// counted.
const JOB_REJECTED_LISTED: usize = 10_000;

/// The rejected rows an import's refusal names in its message.
const REFUSAL_ROWS_NAMED: usize = 5;

/// The choices about a file, as query parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FileImportQuery {
    /// The assignment of this data owner to enroll the customers in.
    pub assignment: Uuid,
    /// Companies (`b2b`) or persons (`b2c`).
    pub dataset: DatasetDto,
    /// The file's name, as the user knows it (a CSV's sheet is named after it).
    #[serde(default)]
    pub file_name: Option<String>,
    /// The sheet to import; the first sheet holding rows if left out.
    #[serde(default)]
    pub sheet: Option<String>,
    /// The header row's number; the first row with two or more filled cells if left out.
    #[serde(default)]
    pub header_row: Option<usize>,
    /// A CSV's separator: `,` `;` or `tab`; found from the first rows if left out.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// The mapping, as `A=name,B=phone,C=phone,J=field:<key>` (targets: name, phone, email,
    /// address, postal_code, city, registry_number, external_id, field:<key>); the
    /// headers' suggestions if left out.
    #[serde(default)]
    pub columns: Option<String>,
    /// A saved mapping of the data owner, by name (`GET …/import-mappings`): its columns,
    /// sheet, header row and separator, each where this query leaves it out.
    #[serde(default)]
    pub mapping: Option<String>,
    /// A segment of the assignment for the new enrollments.
    #[serde(default)]
    pub segment: Option<Uuid>,
    /// What a row matching an existing customer does: `update` (default) or `skip`.
    #[serde(default)]
    pub on_match: OnMatchDto,
    /// The keys a row is matched to an existing customer by, comma-separated:
    /// `external_id`, `registry_number` (a company's organisation number, as the
    /// `Orgnr`/`Organisasjonsnummer` column gives it), `phone`; tried in that order. All
    /// three if left out; at least one.
    #[serde(default)]
    #[param(example = "external_id,registry_number")]
    pub match_by: Option<String>,
    /// Import the good rows even when some are rejected (default: nothing unless every
    /// row is good).
    #[serde(default)]
    pub keep_good_rows: bool,
}

/// A sheet of the file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SheetDto {
    /// Its name.
    pub name: String,
    /// Rows holding something, the header included.
    pub rows: usize,
}

/// A column of the chosen sheet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ColumnDto {
    /// Its letters (`A`, `B`, … `AA`).
    pub column: String,
    /// The header cell's text.
    pub header: String,
    /// Where its values go (`name`, `phone`, …, `field:<key>`); `null`: left out.
    pub target: Option<String>,
    /// Up to three values from the rows below the header.
    pub samples: Vec<String>,
}

/// A row as it will be read.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreviewRowDto {
    /// Its row number in the sheet.
    pub row: usize,
    /// The name.
    pub name: String,
    /// The phone numbers, E.164 as they will be stored (as in the file where they are not
    /// valid numbers: the row is then rejected).
    pub phones: Vec<String>,
    /// The e-mail.
    pub email: Option<String>,
    /// The address (street, postal code and town joined).
    pub address: Option<String>,
    /// The organisation or person number.
    pub registry_number: Option<String>,
    /// The id in the source system.
    pub external_id: Option<String>,
    /// CRM field values, by key.
    pub fields: BTreeMap<String, String>,
}

/// What importing the file would do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FilePreviewDto {
    /// `xlsx`, `xls`, `ods` or `csv`.
    pub format: String,
    /// A CSV's separator as read.
    pub delimiter: Option<String>,
    /// A CSV's text encoding as read.
    pub encoding: Option<String>,
    /// The file's sheets.
    pub sheets: Vec<SheetDto>,
    /// The sheet read.
    pub sheet: String,
    /// The header row's number.
    pub header_row: usize,
    /// The columns and where each goes.
    pub columns: Vec<ColumnDto>,
    /// The mapping in the `columns` parameter's form, to send back with the import.
    pub columns_param: String,
    /// Data rows in the sheet (below the header).
    pub rows_in_file: usize,
    /// Rows that would be imported.
    pub rows_good: usize,
    /// Rows that would be rejected.
    pub rejected_count: usize,
    /// The first 1,000 of them, with their row numbers and reasons (an import job's
    /// `GET /api/import-jobs/{id}/rejected` lists every one; for a CSV, the first 10,000).
    pub rejected: Vec<RejectedRowDto>,
    /// The first rows as they will be read.
    pub first_rows: Vec<PreviewRowDto>,
}

/// Reads a customer file and answers what importing it would do, writing nothing.
#[utoipa::path(
    post, path = "/api/data-owners/{id}/customers/import-file/preview", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner"), FileImportQuery),
    request_body(content = crate::dto::FileBody, content_type = "application/octet-stream", description = "The file (.xlsx, .ods, .csv, .txt), up to the server's upload limit (256 MiB unless the operator set another)"),
    responses(
        (status = 200, description = "What the import would do", body = FilePreviewDto),
        (status = 400, description = "A query parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner, assignment of it, or segment", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the server's upload limit (the answer says it and how to raise it)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A form (multipart) was sent instead of the file itself", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file cannot be read, or the mapping does not fit it", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn preview(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiQuery(query): ApiQuery<FileImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<FilePreviewDto>> {
    let owner = access(&state, &actor, id, &query).await?;
    let upload = file_body(&state, &headers, body).await?;
    let dto = match read_upload(&state, &actor, owner, &query, upload).await? {
        ReadFile::Planned(read) => preview_dto(
            &read.0,
            read.1.rows_to_write(),
            read.1.rejected().len(),
            read.1.rejected(),
        ),
        ReadFile::Streamed { checked, .. } => preview_dto(
            &checked.prepared,
            checked.good,
            checked.rejected_count,
            &checked.rejected,
        ),
    };
    Ok(Json(dto))
}

/// Imports a customer file as a job: all rows or, if any would be rejected, none (unless
/// `keep_good_rows=true`).
#[utoipa::path(
    post, path = "/api/data-owners/{id}/customers/import-file", tag = "customers",
    params(("id" = Uuid, Path, description = "The data owner"), FileImportQuery),
    request_body(content = crate::dto::FileBody, content_type = "application/octet-stream", description = "The file (.xlsx, .ods, .csv, .txt), up to the server's upload limit (256 MiB unless the operator set another)"),
    responses(
        (status = 202, description = "Started; `Location` names the job to follow", body = ImportJobDto),
        (status = 400, description = "A query parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not manage the assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such data owner, assignment of it, or segment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The organisation runs two imports already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the server's upload limit (the answer says it and how to raise it)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A form (multipart) was sent instead of the file itself", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file cannot be read, the mapping does not fit it, or rows would be rejected (nothing imported)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn import(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<DataOwnerId>,
    ApiQuery(query): ApiQuery<FileImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let owner = access(&state, &actor, id, &query).await?;
    let upload = file_body(&state, &headers, body).await?;
    let (job, run) = match read_upload(&state, &actor, owner, &query, upload).await? {
        ReadFile::Planned(read) => {
            let (prepared, plan) = *read;
            let (good, rejected) = (plan.rows_to_write(), plan.rejected());
            if !query.keep_good_rows && !rejected.is_empty() {
                return Err(refusal(
                    prepared.rows_in_file,
                    rejected.len(),
                    rejected,
                    good,
                ));
            }
            if good == 0 {
                return Err(nothing_to_import());
            }
            state
                .import_jobs
                .start_planned(&state.cube, &actor.user, plan)?
        }
        ReadFile::Streamed {
            checked,
            opened,
            upload,
        } => {
            if !query.keep_good_rows && checked.rejected_count > 0 {
                return Err(refusal(
                    checked.prepared.rows_in_file,
                    checked.rejected_count,
                    &checked.rejected,
                    checked.good,
                ));
            }
            if checked.good == 0 {
                return Err(nothing_to_import());
            }
            // The job reads the file again, and removes it when it ends.
            let source = checked.source(Box::new(upload)).map_err(file_problem)?;
            state.import_jobs.start_streamed(
                &state.cube,
                &actor.user,
                opened.with_parsed_phones(checked.phones.clone()),
                Box::new(source),
                state.file_imports.chunk_rows,
                checked.good,
                checked.rejected_count,
                checked.rejected,
            )?
        }
    };
    Ok(super::import::started(job, run))
}

fn nothing_to_import() -> ApiError {
    invalid_field(
        "file",
        "no row of the file can be imported; the preview lists why",
    )
}

/// A file read: a spreadsheet (held in memory: its reader needs the whole zip) read and
/// planned, or a CSV checked row by row from its temporary file, which stays for the
/// writing.
enum ReadFile {
    Planned(Box<(PreparedFile, ImportPlan)>),
    Streamed {
        checked: Box<CheckedCsv>,
        opened: Box<OpenedImport>,
        upload: Upload,
    },
}

/// The file received read as its bytes say: a CSV/TXT from disk, row by row (at most the
/// operator's `max_csv_rows`); a spreadsheet whole, as before.
async fn read_upload(
    state: &AppState,
    actor: &Actor,
    owner: DataOwner,
    query: &FileImportQuery,
    upload: Upload,
) -> ApiResult<ReadFile> {
    let unreadable = |e: std::io::Error| ApiError::Internal(format!("reading an upload: {e}"));
    let head = upload.head().await.map_err(unreadable)?;
    if !cube_sheets::stream::is_text(&head) {
        let bytes = tokio::fs::read(upload.path()).await.map_err(unreadable)?;
        drop(upload);
        let (prepared, plan) = read_and_plan(state, actor, owner, query, bytes).await?;
        return Ok(ReadFile::Planned(Box::new((prepared, plan))));
    }
    let choices = choices(query, &owner)?;
    let dataset = query.dataset.into();
    let target = ImportTarget {
        assignment: AssignmentId::from_uuid(query.assignment),
        dataset,
        segment: query.segment.map(SegmentId::from_uuid),
        on_match: query.on_match.into(),
        match_by: match_by(query)?,
    };
    let opened = state.cube.open_import(&actor.user, target).await?;
    let checker = RowChecker::new(&state.cube, &opened);
    let limits = Limits {
        max_rows: state.file_imports.max_csv_rows,
        ..Limits::default()
    };
    let checked = cube_sheets::streamed::check_csv_apart(
        upload.path().to_owned(),
        query.file_name.as_deref().unwrap_or("file").to_owned(),
        choices,
        owner,
        dataset,
        limits,
        checker,
        JOB_REJECTED_LISTED,
    )
    .await
    .map_err(|error| file_error(query, error))?;
    Ok(ReadFile::Streamed {
        checked: Box::new(checked),
        opened: Box::new(opened),
        upload,
    })
}

/// A file that cannot be read, said with the saved mapping it was read with (a store that
/// failed while its rows were checked answers as the store's failure does).
fn file_error(query: &FileImportQuery, error: ImportFileError) -> ApiError {
    if let ImportFileError::Register(error) = error {
        return error.into();
    }
    match query.mapping.as_deref() {
        Some(name) => invalid_field(
            "file",
            format!("{error} (read with the saved mapping `{}`)", excerpt(name)),
        ),
        None => file_problem(error),
    }
}

/// Refuses a form (multipart) sent where the file itself is the body, naming an example
/// file for the `curl` that does it right.
pub(crate) fn refuse_form(headers: &HeaderMap, example: &str) -> ApiResult<()> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("multipart/"));
    if form {
        return Err(ApiError::Malformed {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            detail: format!(
                "send the file itself as the body (`curl --data-binary @{example}`), not a form (`-F`)"
            ),
        });
    }
    Ok(())
}

/// The file as sent: the body itself, not a form around it, written to a temporary file
/// within the operator's limit.
async fn file_body(state: &AppState, headers: &HeaderMap, body: Body) -> ApiResult<Upload> {
    refuse_form(headers, "kunder.xlsx")?;
    super::upload::receive(headers, body, state.file_imports.upload_limit).await
}

/// A file sent as the request's body, read only when called — after the caller's access
/// was checked, so a caller who may not send it makes the server buffer none of it: a form
/// (multipart) is refused naming `example`, a declared length over `limit` is refused before
/// reading, and reading stops at `limit` (`too_large` says what to do).
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    example: &str,
    too_large: &str,
) -> ApiResult<Bytes> {
    refuse_form(headers, example)?;
    let refusal = || ApiError::Malformed {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        detail: too_large.to_owned(),
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(refusal());
    }
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let error = error.into_inner();
        if error
            .downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            refusal()
        } else {
            ApiError::Malformed {
                status: StatusCode::BAD_REQUEST,
                detail: format!("the file could not be read: {error}"),
            }
        }
    })
}

/// Who may send the file, checked before it is read: the assignment visible to the caller
/// and the data owner's (an assignment the caller cannot see is not found (404) before a
/// role that may see but not manage it is refused (403)), and the
/// data owner managed by the caller.
async fn access(
    state: &AppState,
    actor: &Actor,
    id: DataOwnerId,
    query: &FileImportQuery,
) -> ApiResult<DataOwner> {
    let assignment_id = AssignmentId::from_uuid(query.assignment);
    let assignment = state.cube.assignment(&actor.user, assignment_id).await?;
    if assignment.data_owner() != id {
        return Err(AppError::NotFound("assignment of this data owner").into());
    }
    Ok(state.cube.data_owner(&actor.user, id).await?)
}

/// The file read and mapped, then every row checked by the import use case (access was
/// checked before the file was read: [`access`]).
async fn read_and_plan(
    state: &AppState,
    actor: &Actor,
    owner: DataOwner,
    query: &FileImportQuery,
    body: Vec<u8>,
) -> ApiResult<(PreparedFile, ImportPlan)> {
    let assignment_id = AssignmentId::from_uuid(query.assignment);
    let choices = choices(query, &owner)?;
    let dataset = query.dataset.into();
    let file_name = query.file_name.as_deref().unwrap_or("file");
    let mut prepared = cube_sheets::prepare_apart(
        file_name.to_owned(),
        body,
        choices,
        owner,
        dataset,
        Limits::default(),
    )
    .await
    .map_err(|error| file_error(query, error))?;
    let destination = Destination {
        assignment: assignment_id,
        dataset,
        segment: query.segment.map(SegmentId::from_uuid),
        on_match: query.on_match.into(),
        match_by: match_by(query)?,
    };
    let plan = cube_sheets::plan(&state.cube, &actor.user, destination, &mut prepared).await?;
    Ok((prepared, plan))
}

/// The query's `match_by` (`external_id,phone`): every key if left out.
fn match_by(query: &FileImportQuery) -> ApiResult<MatchKeys> {
    match query.match_by.as_deref() {
        None => Ok(MatchKeys::ALL),
        Some(list) => MatchKeys::parse(list.split(',')).map_err(|error| ApiError::Malformed {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: error.to_string(),
        }),
    }
}

/// The choices of the query, with a saved mapping's (`mapping=`) for those the query leaves
/// out: what the query says wins.
fn choices(query: &FileImportQuery, owner: &DataOwner) -> ApiResult<FileChoices> {
    let saved = match query.mapping.as_deref() {
        None => None,
        Some(name) => Some(saved_mapping(owner, name)?),
    };
    let delimiter = query
        .delimiter
        .as_deref()
        .or(saved.and_then(|m| m.delimiter.as_deref()));
    let columns = query
        .columns
        .as_deref()
        .or(saved.map(|m| m.columns.as_str()))
        .map(parse_columns)
        .transpose()
        .map_err(|e: MappingError| invalid_field("columns", e))?;
    Ok(FileChoices {
        sheet: query
            .sheet
            .clone()
            .or_else(|| saved.and_then(|m| m.sheet.clone())),
        header_row: query.header_row.or(saved
            .and_then(|m| m.header_row)
            .and_then(|row| usize::try_from(row).ok())),
        delimiter: parse_delimiter(delimiter)?,
        columns,
    })
}

/// The data owner's mapping called `name`, or a refusal naming those it has.
fn saved_mapping<'a>(owner: &'a DataOwner, name: &str) -> ApiResult<&'a ImportMapping> {
    let found = Name::parse(name)
        .ok()
        .and_then(|name| owner.import_mapping(&name));
    found.ok_or_else(|| {
        const NAMED: usize = 10;
        let saved = owner.import_mappings();
        let mut known: Vec<String> = saved
            .keys()
            .take(NAMED)
            .map(|n| excerpt(n.as_str()))
            .collect();
        if saved.len() > NAMED {
            known.push(format!("and {} more", saved.len() - NAMED));
        }
        let known = if known.is_empty() {
            "the data owner has none saved".to_owned()
        } else {
            format!("saved: {}", known.join(", "))
        };
        invalid_field(
            "mapping",
            format!("no saved mapping is called `{}` ({known})", excerpt(name)),
        )
    })
}

/// A CSV's separator as the API names it: `,` `;` or `tab`.
pub(crate) fn parse_delimiter(text: Option<&str>) -> ApiResult<Option<u8>> {
    // A tab itself is a separator, not blank space to trim away.
    if text == Some("\t") {
        return Ok(Some(b'\t'));
    }
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(",") => Ok(Some(b',')),
        Some(";") => Ok(Some(b';')),
        Some("tab" | "\t") => Ok(Some(b'\t')),
        Some(other) => Err(invalid_field(
            "delimiter",
            format!("`{other}` is not a separator; use `,` `;` or `tab`"),
        )),
    }
}

fn file_problem(error: ImportFileError) -> ApiError {
    invalid_field("file", error)
}

/// Nothing imported because `count` rows would be rejected (`rejected`: the first of them):
/// which, and what to do.
fn refusal(rows: usize, count: usize, rejected: &[RejectedRow], good: usize) -> ApiError {
    let named: Vec<String> = rejected
        .iter()
        .take(REFUSAL_ROWS_NAMED)
        .map(|r: &RejectedRow| format!("row {}: {}", r.row, r.reason))
        .collect();
    let more = count.saturating_sub(named.len());
    let more = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    // Offer the good rows only when there are some.
    let what_to_do = match good {
        0 => "Correct them in the file; no row can be imported as it is".to_owned(),
        1 => "Correct them in the file, or send keep_good_rows=true to import the other row"
            .to_owned(),
        _ => format!(
            "Correct them in the file, or send keep_good_rows=true to import the other {good} rows"
        ),
    };
    invalid_field(
        "file",
        format!(
            "{count} of {rows} rows cannot be imported, so nothing was imported ({}{more}). {what_to_do}; the preview lists every rejected row",
            named.join("; "),
        ),
    )
}

fn preview_dto(
    prepared: &PreparedFile,
    good: usize,
    rejected_count: usize,
    rejected: &[RejectedRow],
) -> FilePreviewDto {
    FilePreviewDto {
        format: match prepared.format {
            Format::Xlsx => "xlsx",
            Format::Ods => "ods",
            Format::Csv => "csv",
        }
        .to_owned(),
        delimiter: prepared.csv.map(|c| match c.delimiter {
            '\t' => "tab".to_owned(),
            other => other.to_string(),
        }),
        encoding: prepared.csv.map(|c| c.encoding.to_owned()),
        sheets: prepared
            .sheets
            .iter()
            .map(|s| SheetDto {
                name: s.name.clone(),
                rows: s.rows,
            })
            .collect(),
        sheet: prepared.sheet.clone(),
        header_row: prepared.header_row,
        columns: prepared
            .columns
            .iter()
            .map(|c| ColumnDto {
                column: c.letter.clone(),
                header: c.header.clone(),
                target: c.target.as_ref().map(|t| t.key()),
                samples: prepared.samples.get(c.index).cloned().unwrap_or_default(),
            })
            .collect(),
        columns_param: cube_sheets::mapping::columns_spec(&prepared.columns),
        rows_in_file: prepared.rows_in_file,
        rows_good: good,
        rejected_count,
        rejected: rejected
            .iter()
            .take(PREVIEW_REJECTED)
            .map(|r| RejectedRowDto {
                row: r.row,
                reason: r.reason.to_string(),
            })
            .collect(),
        first_rows: prepared
            .first_rows
            .iter()
            .map(|(row, input)| PreviewRowDto {
                row: *row,
                name: input.name.clone(),
                phones: input.phones.clone(),
                email: input.email.clone(),
                address: input.address.clone(),
                registry_number: input.registry_number.clone(),
                external_id: input.external_id.clone(),
                fields: input.fields.clone().into_iter().collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(error: ApiError) -> String {
        match error {
            ApiError::Malformed { detail, .. } => detail,
            other => panic!("a refusal is a malformed file: {other:?}"),
        }
    }

    /// The refusal offers `keep_good_rows` only when some rows are good, and counts them in
    /// plain words (found from outside: "import the other 0 rows").
    #[test]
    fn a_refusal_offers_the_good_rows_only_when_there_are_some() {
        let none = said(refusal(2, 2, &[], 0));
        assert!(!none.contains("keep_good_rows"), "{none}");
        assert!(none.contains("no row can be imported as it is"), "{none}");
        let one = said(refusal(3, 2, &[], 1));
        assert!(one.contains("to import the other row;"), "{one}");
        let many = said(refusal(5, 2, &[], 3));
        assert!(many.contains("to import the other 3 rows;"), "{many}");
    }
}
