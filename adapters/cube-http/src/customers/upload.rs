//! A customer file sent as the request's body, received to a temporary file
//! ([`cube_sheets::upload`], which the web app's import page shares) instead of memory.
//!
//! The operator sets how large a file may be ([`FileImportConfig::upload_limit`],
//! `cube-server --import-upload-limit-mb`); a larger one is refused `413` before it is read
//! (a declared length) or as soon as it passes the limit, saying the limit and how to raise
//! it.

use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use cube_sheets::upload::{ReceiveError, Receiving};
use futures::StreamExt;

pub use cube_sheets::upload::{DEFAULT_MAX_CSV_ROWS, DEFAULT_UPLOAD_LIMIT, Upload};

/// How the server takes customer files; the operator's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileImportConfig {
    /// The largest file taken, in bytes.
    pub upload_limit: u64,
    /// The most data rows a CSV file may have (a spreadsheet keeps
    /// `cube_sheets::read::Limits::default().max_rows`: its reader holds it whole).
    pub max_csv_rows: usize,
    /// Rows written in one unit of work (`cube_app::customers::IMPORT_CHUNK_ROWS`).
    pub chunk_rows: usize,
    /// How long a file's upload with its preview or its check may take (the writing runs
    /// as a job after the answer): [`DEFAULT_FILE_REQUEST_TIMEOUT`].
    pub request_timeout: std::time::Duration,
}

/// How long a file request may take unless set otherwise: 10 minutes (a million-row CSV is
/// checked in well under one on a server core).
pub const DEFAULT_FILE_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

impl Default for FileImportConfig {
    fn default() -> Self {
        let limits = cube_sheets::upload::UploadLimits::default();
        Self {
            upload_limit: limits.upload_limit,
            max_csv_rows: limits.max_csv_rows,
            chunk_rows: limits.chunk_rows,
            request_timeout: DEFAULT_FILE_REQUEST_TIMEOUT,
        }
    }
}

/// The refusal of a file over `limit` bytes.
fn too_large(limit: u64) -> ApiError {
    ApiError::Malformed {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        detail: format!(
            "the file is larger than {}, the most this server takes; split it into smaller files, \
             send it as .xlsx (which is packed), or ask the operator to raise the limit \
             (`cube-server --import-upload-limit-mb`, or the environment variable \
             CUBE_IMPORT_UPLOAD_LIMIT_MB)",
            size_text(limit)
        ),
    }
}

/// A size in MiB, or in bytes under one MiB.
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The request's body written to a new temporary file, at most `limit` bytes: a declared
/// length over it is refused before a byte is read, and reading stops once past it.
pub async fn receive(headers: &HeaderMap, body: Body, limit: u64) -> ApiResult<Upload> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(too_large(limit));
    }
    let refused = |error: ReceiveError| match error {
        ReceiveError::TooLarge(limit) => too_large(limit),
        ReceiveError::Disk(e) => ApiError::Internal(format!("writing an upload: {e}")),
    };
    let mut receiving = Receiving::start(limit).await.map_err(refused)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| ApiError::Malformed {
            status: StatusCode::BAD_REQUEST,
            detail: format!("the file could not be read: {error}"),
        })?;
        receiving.write(&chunk).await.map_err(refused)?;
    }
    receiving.finish().await.map_err(refused)
}
