//! Importing customers from a file into an assignment, as an office user does it: choose the
//! file, see what Cube makes of it (sheet, header row, which column goes where, every row
//! that would be rejected and why, the first rows as they will be stored), change the
//! mapping where the suggestion is wrong, then import — all or nothing unless the user asks
//! for the good rows — and follow the job to its report.
//!
//! The file stays in the browser's form between the preview and the import (each request
//! sends it again), so nothing is kept on the server between the two and a second server
//! process serves either. It is taken as the API takes a file: written to a temporary file
//! as it arrives, within the operator's upload limit (`--import-upload-limit-mb`, 256 MiB
//! unless set), never held in memory; a CSV is then checked row by row from disk and, once
//! imported, written by a job reading it again (`cube_sheets::streamed`), a spreadsheet read
//! whole as before. Reading and mapping the file is `cube_sheets`'s, checking the rows the
//! import use case's: this module only turns forms into choices and answers into HTML (the
//! rejected rows' reasons in the viewer's language: `crate::rejected`).

use crate::WebState;
use crate::i18n::{Lang, M};
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_app::AppError;
use cube_app::customers::{ImportPlan, ImportReport, RejectedRow};
use cube_app::import_jobs::{ImportJob, ImportJobId, ImportJobState};
use cube_app::streamed_imports::{ImportTarget, OpenedImport, RowChecker};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::ids::AssignmentId;
use cube_domain::import_match::MatchKeys;
use cube_domain::ports::OnMatch;
use cube_sheets::mapping::Target;
use cube_sheets::read::Limits;
use cube_sheets::streamed::CheckedCsv;
use cube_sheets::upload::{ReceiveError, Receiving};
use cube_sheets::{Destination, FileChoices, ImportFileError, PreparedFile};

/// The rejected rows of a CSV a job lists (all are counted), as the API's job does.
const JOB_REJECTED_LISTED: usize = 10_000;

/// The body an upload page takes: the file, up to the operator's `upload_limit`, and a
/// form's worth of other fields.
pub(crate) fn body_limit(upload_limit: u64) -> usize {
    usize::try_from(upload_limit)
        .unwrap_or(usize::MAX)
        .saturating_add(crate::FORM_LIMIT)
}

/// The refusal of a file over `limit` bytes, in `lang`, saying the limit.
pub(crate) fn file_too_large(lang: Lang, limit: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    let size = if limit >= MIB {
        format!("{} MB", limit / MIB)
    } else if lang == Lang::En {
        format!("{limit} bytes")
    } else {
        format!("{limit} byte")
    };
    lang.t(M::FileTooLarge).replace("{limit}", &size)
}

/// Rejected rows a preview lists (the count says how many more).
const REJECTED_SHOWN: usize = 200;
/// Rows a preview shows as they will be read.
const FIRST_ROWS: usize = 10;

#[derive(Template)]
#[template(path = "setup_import.html")]
struct ImportPage {
    page: Chrome,
    id: String,
    name: String,
}

/// What the preview shows.
#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewView {
    page: Chrome,
    file_key: String,
    assignment_id: String,
    sheets: Vec<(String, bool)>,
    header_row: usize,
    rows_in_file: usize,
    rows_good: usize,
    rejected_count: usize,
    columns: Vec<ColumnView>,
    rejected: Vec<(usize, String)>,
    more_rejected: usize,
    first_rows: Vec<Vec<String>>,
}

struct ColumnView {
    index: usize,
    letter: String,
    header: String,
    samples: String,
    /// `(value, label, selected)` per target.
    options: Vec<(String, String, bool)>,
}

/// A job's progress or its end.
#[derive(Template)]
#[template(path = "import_job.html")]
struct JobView {
    page: Chrome,
    id: String,
    has_rejected: bool,
    running: bool,
    rows_done: usize,
    rows_total: usize,
    report: Option<ReportView>,
    failure: Option<String>,
}

struct ReportView {
    created: usize,
    updated: usize,
    unchanged: usize,
    skipped: usize,
    enrolled: usize,
    rejected: Vec<(usize, String)>,
}

/// `/app/setup/assignments/{id}/import`.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, AssignmentId::from_uuid)?;
    let (assignment, _) = owner_of(&state, &viewer, id).await?;
    let title = format!(
        "{}: {}",
        viewer.lang.t(M::ImportCustomers),
        assignment.name()
    );
    Ok(html(
        StatusCode::OK,
        &ImportPage {
            page: Chrome::of(
                &viewer,
                &title,
                &format!("/app/setup/assignments/{raw}/import"),
            ),
            id: raw,
            name: assignment.name().to_string(),
        },
    ))
}

/// The assignment (one the viewer manages) and its data owner.
async fn owner_of(
    state: &WebState,
    viewer: &Viewer,
    id: AssignmentId,
) -> Result<(cube_domain::assignment::Assignment, DataOwner), WebError> {
    let assignment = state
        .cube
        .assignment(&viewer.user, id)
        .await
        .map_err(WebError::hidden(viewer))?;
    let owner = state
        .cube
        .data_owner(&viewer.user, assignment.data_owner())
        .await
        .map_err(WebError::hidden(viewer))?;
    Ok((assignment, owner))
}

/// The form as sent: the file (on disk) and the other fields.
struct Upload {
    file_name: String,
    /// The file, until it is read.
    file: Option<cube_sheets::upload::Upload>,
    /// The file's size.
    size: u64,
    fields: Vec<(String, String)>,
}

impl Upload {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    /// Identifies the file a preview was made for: the sheet, header row and mapping of a
    /// preview of another file are not used.
    fn file(&self) -> String {
        format!("{}:{}", self.file_name, self.size)
    }
}

/// A multipart error as the form says it: a body past the limit with the limit, in words.
fn multipart_refused(error: MultipartError, lang: Lang, limit: u64) -> WebError {
    let detail = if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        file_too_large(lang, limit)
    } else {
        error.body_text()
    };
    WebError::Form { detail, lang }
}

/// A file that could not be received: over the limit (said with it), or a disk failure (a
/// fault of ours: logged, answered 500).
fn receive_refused(error: ReceiveError, lang: Lang) -> WebError {
    match error {
        ReceiveError::TooLarge(limit) => WebError::Form {
            detail: file_too_large(lang, limit),
            lang,
        },
        ReceiveError::Disk(e) => WebError::Render(format!("writing an upload: {e}")),
    }
}

/// The file field written to a temporary file as it arrives, within `limit` bytes.
async fn receive_file(
    mut field: Field<'_>,
    lang: Lang,
    limit: u64,
) -> Result<cube_sheets::upload::Upload, WebError> {
    let mut receiving = Receiving::start(limit)
        .await
        .map_err(|e| receive_refused(e, lang))?;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| multipart_refused(e, lang, limit))?
    {
        receiving
            .write(&chunk)
            .await
            .map_err(|e| receive_refused(e, lang))?;
    }
    receiving
        .finish()
        .await
        .map_err(|e| receive_refused(e, lang))
}

/// The form: the file to a temporary file (at most `limit` bytes), the other fields as text
/// (at most a form's worth together).
async fn upload(mut multipart: Multipart, lang: Lang, limit: u64) -> Result<Upload, WebError> {
    let form_error = |detail: String| WebError::Form { detail, lang };
    let mut upload = Upload {
        file_name: String::new(),
        file: None,
        size: 0,
        fields: Vec::new(),
    };
    let mut field_bytes = 0usize;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_refused(e, lang, limit))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file_name = field.file_name().unwrap_or_default().to_owned();
            let file = receive_file(field, lang, limit).await?;
            upload.size = file.size;
            upload.file = Some(file);
        } else {
            let mut value = Vec::new();
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|e| multipart_refused(e, lang, limit))?
            {
                field_bytes += chunk.len();
                if field_bytes > crate::FORM_LIMIT {
                    return Err(form_error(format!(
                        "the form's fields are larger than {} bytes together; send the file with the fields the import page has",
                        crate::FORM_LIMIT
                    )));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value)
                .map_err(|_| form_error(format!("the field `{name}` is not UTF-8 text")))?;
            upload.fields.push((name, value));
        }
    }
    if upload.size == 0 {
        return Err(form_error(lang.t(M::ChooseFile).to_owned()));
    }
    Ok(upload)
}

/// The choices in the form: the dataset, and, once a preview of this same file has been
/// shown, the sheet, header row and mapping the user left or changed there.
fn choices(upload: &Upload, lang: Lang) -> Result<(Dataset, FileChoices), WebError> {
    let dataset = match upload.field("dataset") {
        Some("b2c") => Dataset::B2c,
        _ => Dataset::B2b,
    };
    // The form's key names the file, sheet and header row its mapping was shown for.
    let key = upload.field("file_key").unwrap_or_default();
    if !key.starts_with(&format!("{}|", upload.file())) {
        return Ok((dataset, FileChoices::default()));
    }
    let sheet = upload.field("sheet").map(str::to_owned);
    let header_row = upload
        .field("header_row")
        .and_then(|r| r.trim().parse().ok());
    let mut choices = FileChoices {
        sheet,
        header_row,
        delimiter: None,
        columns: None,
    };
    if key == preview_key(upload, choices.sheet.as_deref(), choices.header_row) {
        let mut columns = Vec::new();
        for (name, value) in &upload.fields {
            let Some(index) = name
                .strip_prefix("col.")
                .and_then(|i| i.parse::<usize>().ok())
            else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let target = Target::parse(value).map_err(|e| WebError::Form {
                detail: e.to_string(),
                lang,
            })?;
            columns.push((index, target));
        }
        choices.columns = Some(columns);
    }
    Ok((dataset, choices))
}

/// The key a preview puts in the form: the file, the sheet and the header row it shows.
fn preview_key(upload: &Upload, sheet: Option<&str>, header_row: Option<usize>) -> String {
    format!(
        "{}|{}|{}",
        upload.file(),
        sheet.unwrap_or_default(),
        header_row.map(|r| r.to_string()).unwrap_or_default()
    )
}

/// A file read and every row checked: a spreadsheet read whole and planned, or a CSV checked
/// row by row from its temporary file, which stays for the writing.
enum ReadFile {
    Planned {
        prepared: Box<PreparedFile>,
        plan: Box<ImportPlan>,
    },
    Streamed {
        checked: Box<CheckedCsv>,
        opened: Box<OpenedImport>,
        file: cube_sheets::upload::Upload,
    },
}

impl ReadFile {
    fn prepared(&self) -> &PreparedFile {
        match self {
            ReadFile::Planned { prepared, .. } => prepared,
            ReadFile::Streamed { checked, .. } => &checked.prepared,
        }
    }

    /// Rows that would be imported.
    fn good(&self) -> usize {
        match self {
            ReadFile::Planned { plan, .. } => plan.rows_to_write(),
            ReadFile::Streamed { checked, .. } => checked.good,
        }
    }

    /// Rows that would be rejected.
    fn rejected_count(&self) -> usize {
        match self {
            ReadFile::Planned { plan, .. } => plan.rejected().len(),
            ReadFile::Streamed { checked, .. } => checked.rejected_count,
        }
    }

    /// The rejected rows listed (all of a spreadsheet's; a CSV's first
    /// [`JOB_REJECTED_LISTED`]).
    fn rejected(&self) -> &[RejectedRow] {
        match self {
            ReadFile::Planned { plan, .. } => plan.rejected(),
            ReadFile::Streamed { checked, .. } => &checked.rejected,
        }
    }
}

/// Reads the file and checks every row with the import use case: a CSV from disk, row by row
/// (at most the operator's `max_csv_rows`), a spreadsheet whole.
/// The keys the form's `match_by` boxes choose. A form that shows the boxes says so
/// (`match_by_shown`): then no box ticked is refused, saying what to tick; a post without
/// them (an older page) matches by every key.
fn match_by(upload: &Upload, lang: Lang) -> Result<MatchKeys, WebError> {
    if upload.field("match_by_shown").is_none() {
        return Ok(MatchKeys::ALL);
    }
    let ticked = upload
        .fields
        .iter()
        .filter(|(name, _)| name == "match_by")
        .map(|(_, value)| value.as_str());
    MatchKeys::parse(ticked).map_err(|_| WebError::Form {
        detail: lang.t(M::MatchByNone).to_owned(),
        lang,
    })
}

async fn read_and_check(
    state: &WebState,
    viewer: &Viewer,
    id: AssignmentId,
    upload: &mut Upload,
) -> Result<(ReadFile, DataOwner, Dataset), WebError> {
    let lang = viewer.lang;
    let (_, owner) = owner_of(state, viewer, id).await?;
    let (dataset, choices) = choices(upload, lang)?;
    let on_match = match upload.field("on_match") {
        Some("skip") => OnMatch::Skip,
        _ => OnMatch::Update,
    };
    let match_by = match_by(upload, lang)?;
    let unreadable_file = |e: ImportFileError| WebError::Form {
        detail: file_error(lang, &e),
        lang,
    };
    let Some(file) = upload.file.take() else {
        return Err(WebError::Form {
            detail: lang.t(M::ChooseFile).to_owned(),
            lang,
        });
    };
    let unreadable = |e: std::io::Error| WebError::Render(format!("reading an upload: {e}"));
    if !file.is_text().await.map_err(unreadable)? {
        let bytes = tokio::fs::read(file.path()).await.map_err(unreadable)?;
        drop(file);
        let mut prepared = cube_sheets::prepare_apart(
            upload.file_name.clone(),
            bytes,
            choices,
            owner.clone(),
            dataset,
            Limits::default(),
        )
        .await
        .map_err(unreadable_file)?;
        let destination = Destination {
            assignment: id,
            dataset,
            segment: None,
            on_match,
            match_by,
        };
        let plan = cube_sheets::plan(&state.cube, &viewer.user, destination, &mut prepared)
            .await
            .map_err(|e| WebError::app(e, viewer))?;
        let read = ReadFile::Planned {
            prepared: Box::new(prepared),
            plan: Box::new(plan),
        };
        return Ok((read, owner, dataset));
    }
    let target = ImportTarget {
        assignment: id,
        dataset,
        segment: None,
        on_match,
        match_by,
    };
    let opened = state
        .cube
        .open_import(&viewer.user, target)
        .await
        .map_err(|e| WebError::app(e, viewer))?;
    let checker = RowChecker::new(&state.cube, &opened);
    let limits = Limits {
        max_rows: state.file_imports.max_csv_rows,
        ..Limits::default()
    };
    let checked = cube_sheets::streamed::check_csv_apart(
        file.path().to_owned(),
        upload.file_name.clone(),
        choices,
        owner.clone(),
        dataset,
        limits,
        checker,
        JOB_REJECTED_LISTED,
    )
    .await
    .map_err(unreadable_file)?;
    let read = ReadFile::Streamed {
        checked: Box::new(checked),
        opened: Box::new(opened),
        file,
    };
    Ok((read, owner, dataset))
}

/// `POST /app/setup/assignments/{id}/import/preview`: what the import would do.
pub async fn preview(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, AssignmentId::from_uuid)?;
    let limit = state.file_imports.upload_limit;
    let mut upload = upload(multipart, viewer.lang, limit).await?;
    let (read, owner, dataset) = read_and_check(&state, &viewer, id, &mut upload).await?;
    let prepared = read.prepared();
    let lang = viewer.lang;
    let targets = targets(&owner, dataset, lang);
    let rejected = read.rejected();
    let view = PreviewView {
        page: Chrome::of(&viewer, "", ""),
        file_key: preview_key(&upload, Some(&prepared.sheet), Some(prepared.header_row)),
        assignment_id: raw.clone(),
        sheets: prepared
            .sheets
            .iter()
            .map(|s| (s.name.clone(), s.name == prepared.sheet))
            .collect(),
        header_row: prepared.header_row,
        rows_in_file: prepared.rows_in_file,
        rows_good: read.good(),
        rejected_count: read.rejected_count(),
        columns: prepared
            .columns
            .iter()
            .map(|c| {
                let chosen = c.target.as_ref().map(Target::key).unwrap_or_default();
                ColumnView {
                    index: c.index,
                    letter: c.letter.clone(),
                    header: c.header.clone(),
                    samples: prepared
                        .samples
                        .get(c.index)
                        .map(|s| s.join(" · "))
                        .unwrap_or_default(),
                    options: std::iter::once((String::new(), lang.t(M::LeftOut).to_owned()))
                        .chain(targets.iter().cloned())
                        .map(|(value, label)| {
                            let selected = value == chosen;
                            (value, label, selected)
                        })
                        .collect(),
                }
            })
            .collect(),
        rejected: rejected
            .iter()
            .take(REJECTED_SHOWN)
            .map(|r| (r.row, crate::rejected::reason(lang, &r.reason)))
            .collect(),
        more_rejected: read
            .rejected_count()
            .saturating_sub(rejected.len().min(REJECTED_SHOWN)),
        first_rows: prepared
            .first_rows
            .iter()
            .take(FIRST_ROWS)
            .map(|(row, input)| {
                vec![
                    row.to_string(),
                    input.name.clone(),
                    input.phones.join(", "),
                    input.email.clone().unwrap_or_default(),
                    input.address.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    };
    Ok(html(StatusCode::OK, &view))
}

/// Every target a column may go to, with its label: the contact fields, then the dataset's
/// CRM fields by label.
fn targets(owner: &DataOwner, dataset: Dataset, lang: Lang) -> Vec<(String, String)> {
    let contact = [
        (Target::Name, M::TargetName),
        (Target::Phone, M::TargetPhone),
        (Target::Email, M::TargetEmail),
        (Target::Address, M::TargetAddress),
        (Target::PostalCode, M::TargetPostalCode),
        (Target::City, M::TargetCity),
        (Target::RegistryNumber, M::TargetRegistryNumber),
        (Target::ExternalId, M::TargetExternalId),
    ];
    contact
        .into_iter()
        .map(|(t, m)| (t.key(), lang.t(m).to_owned()))
        .chain(owner.fields(dataset).iter().map(|f| {
            (
                Target::Field(f.key().as_str().to_owned()).key(),
                f.label().to_owned(),
            )
        }))
        .collect()
}

/// `POST /app/setup/assignments/{id}/import`: starts the import as a job (all or nothing,
/// unless the good rows are wanted) and answers its progress.
pub async fn start(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, AssignmentId::from_uuid)?;
    let limit = state.file_imports.upload_limit;
    let mut upload = upload(multipart, viewer.lang, limit).await?;
    let (read, _, _) = read_and_check(&state, &viewer, id, &mut upload).await?;
    let lang = viewer.lang;
    let keep_good_rows = upload.field("keep_good_rows").is_some();
    if (!keep_good_rows && read.rejected_count() > 0) || read.good() == 0 {
        let detail = format!(
            "{} {} · {} {}. {}",
            read.rejected_count(),
            lang.t(M::RowsRejected),
            read.good(),
            lang.t(M::RowsGood),
            lang.t(M::AllOrNothingHint)
        );
        return Err(WebError::Form { detail, lang });
    }
    let started = match read {
        ReadFile::Planned { plan, .. } => {
            state
                .import_jobs
                .start_planned(&state.cube, &viewer.user, *plan)
        }
        ReadFile::Streamed {
            checked,
            opened,
            file,
        } => {
            // The job reads the file again, and removes it when it ends.
            let source = checked.source(Box::new(file)).map_err(|e| WebError::Form {
                detail: file_error(lang, &e),
                lang,
            })?;
            state.import_jobs.start_streamed(
                &state.cube,
                &viewer.user,
                opened.with_parsed_phones(checked.phones.clone()),
                Box::new(source),
                state.file_imports.chunk_rows,
                checked.good,
                checked.rejected_count,
                checked.rejected,
            )
        }
    };
    let (job, run) = started.map_err(|e| WebError::app(e, &viewer))?;
    tokio::spawn(async move {
        let id = run.id();
        if let ImportJobState::Failed(error) = run.run().await {
            tracing::warn!(job = %id, %error, "an import job from the web app stopped");
        }
    });
    Ok(html(StatusCode::OK, &job_view(&viewer, job)))
}

/// `/app/import-jobs/{id}`: a job's progress (polled while it runs) or its report.
pub async fn job(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let job = visible_job(&state, &viewer, &raw)?;
    Ok(html(StatusCode::OK, &job_view(&viewer, job)))
}

/// The job a path names, if the viewer may see it (its starter or an admin).
fn visible_job(state: &WebState, viewer: &Viewer, raw: &str) -> Result<ImportJob, WebError> {
    let id = WebError::path_id(raw, viewer, ImportJobId::from_uuid)?;
    state
        .import_jobs
        .job(&viewer.user, id, state.cube.now())
        .map_err(|e| WebError::app(e, viewer))
}

/// `/app/import-jobs/{id}/rejected.csv`: the rows the job did not take, as a file.
pub async fn rejected_rows(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let job = visible_job(&state, &viewer, &raw)?;
    let lang = viewer.lang;
    let body = cube_sheets::write::rejected_rows_csv(
        &job.rejected_rows,
        [lang.t(M::Row), lang.t(M::Reason)],
        |reason| crate::rejected::reason(lang, reason),
    );
    let disposition = format!(
        "attachment; filename=\"{}-{raw}.csv\"",
        lang.t(M::RejectedFileName)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

fn job_view(viewer: &Viewer, job: ImportJob) -> JobView {
    let (running, rows_done, rows_total, report, failure) = match job.state {
        ImportJobState::Running(p) => (true, p.rows_done, p.rows_total, None, None),
        ImportJobState::Done(report) => {
            // Every row written (a streamed import's report lists only the first rows).
            let rows = report.created + report.matched;
            (
                false,
                rows,
                rows,
                Some(report_view(viewer.lang, &report)),
                None,
            )
        }
        ImportJobState::Failed(error) => {
            let (done, total) = match &error {
                AppError::ImportStopped {
                    imported, total, ..
                } => (*imported, *total),
                _ => (0, 0),
            };
            (
                false,
                done,
                total,
                None,
                Some(viewer.lang.error_detail(&error)),
            )
        }
    };
    JobView {
        page: Chrome::of(viewer, "", ""),
        has_rejected: job.rejected > 0,
        id: job.id.to_string(),
        running,
        rows_done,
        rows_total,
        report,
        failure,
    }
}

fn report_view(lang: Lang, report: &ImportReport) -> ReportView {
    ReportView {
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        skipped: report.skipped,
        enrolled: report.enrolled,
        rejected: report
            .rejected
            .iter()
            .take(REJECTED_SHOWN)
            .map(|r| (r.row, crate::rejected::reason(lang, &r.reason)))
            .collect(),
    }
}

/// A file's problem as the user reads it: in bokmål for the ones an office user meets,
/// `cube_sheets`'s English otherwise.
fn file_error(lang: Lang, error: &ImportFileError) -> String {
    use cube_sheets::mapping::MappingError as Map;
    use cube_sheets::read::FileError as File;
    if lang == Lang::En {
        return error.to_string();
    }
    match error {
        ImportFileError::File(File::Empty) => "fila er tom; velg fila på nytt".to_owned(),
        ImportFileError::File(File::BrokenZip(_)) => {
            "fila ser ut som en Excel- eller OpenDocument-fil, men kan ikke åpnes; den kan være avkuttet. Lagre den på nytt og send hele fila".to_owned()
        }
        ImportFileError::File(File::TooLargeUnpacked { limit_mb }) => format!(
            "fila pakker seg ut til mer enn {limit_mb} MB og avvises som en mulig zip-bombe; del arket i mindre filer, eller lagre det som CSV"
        ),
        ImportFileError::File(File::TooManyEntries { .. }) => {
            "fila har flere pakkede deler enn et regneark har, og avvises som en mulig zip-bombe".to_owned()
        }
        ImportFileError::File(File::NotASpreadsheet | File::NotText) => {
            "fila er verken et regneark (.xlsx, .ods) eller tekst (.csv, .txt); velg kundefila".to_owned()
        }
        ImportFileError::File(File::Unreadable(why)) => {
            format!("regnearket kan ikke leses ({why}); åpne det i Excel eller LibreOffice og lagre det på nytt")
        }
        ImportFileError::File(File::OldExcel) => {
            "gamle Excel-filer (.xls) leses ikke; åpne fila i Excel eller LibreOffice og lagre den som Excel-arbeidsbok (.xlsx) eller CSV".to_owned()
        }
        ImportFileError::File(File::TooManyColumns { sheet, column, limit }) => format!(
            "arket «{sheet}» har en verdi i kolonne {column}; høyst {limit} kolonner leses. Slett det som står langt til høyre, eller kopier kolonnene du trenger til et nytt ark"
        ),
        ImportFileError::File(File::Oversized(_)) => {
            "regnearket sier at det har mer innhold enn en kundefil kan ha (det kan være skadet); åpne det i Excel eller LibreOffice og lagre det på nytt".to_owned()
        }
        ImportFileError::File(File::TooManyRows { sheet, limit }) => {
            format!("arket «{sheet}» har mer enn {limit} rader; del det i filer på høyst {limit} rader")
        }
        ImportFileError::Mapping(Map::NoName) => {
            "ingen kolonne går til navnet; velg kolonnen med kundens navn".to_owned()
        }
        ImportFileError::Mapping(Map::Twice { target, first, second }) => format!(
            "kolonnene {first} og {second} går begge til «{target}»; velg én av dem"
        ),
        ImportFileError::Mapping(Map::EmptySheet) | ImportFileError::NothingInFile => {
            "arket er tomt; velg arket med kundene".to_owned()
        }
        ImportFileError::Mapping(Map::NoSuchHeaderRow(row)) => {
            format!("rad {row} er tom; oppgi raden med kolonneoverskriftene")
        }
        ImportFileError::NoSuchSheet { asked, sheets } => {
            format!("fila har ikke noe ark som heter «{asked}»; arkene er: {sheets}")
        }
        ImportFileError::NoDataRows => {
            "arket har en overskriftsrad, men ingen rader under den".to_owned()
        }
        ImportFileError::File(File::UnclosedQuote { row }) => format!(
            "rad {row}: et anførselstegn (\") som åpnes her, lukkes aldri, så resten av fila ble lest som ett felt; lukk anførselstegnet på den raden, eller skriv det dobbelt (\"\") der det er en del av teksten, og send fila på nytt"
        ),
        ImportFileError::File(File::FieldTooLong { row, column, quoted }) => format!(
            "rad {row}, kolonne {column}: et felt har mer enn {} tegn, mer enn en celle i et regneark kan ha{}",
            cube_sheets::read::MAX_CELL_CHARS,
            if *quoted {
                "; feltet står i anførselstegn: mangler det et anførselstegn (\") på slutten, ble radene etter lest inn i det. Rett anførselstegnene på den raden, eller kort ned teksten, og send fila på nytt"
            } else {
                "; kort det ned og send fila på nytt"
            }
        ),
        other => other.to_string(),
    }
}
