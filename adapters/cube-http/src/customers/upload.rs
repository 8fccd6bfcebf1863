//! A customer file as it arrives, written to a temporary file instead of memory: a
//! million-row CSV is a few hundred MB, and the import reads it twice from disk
//! (`cube_sheets::streamed`). The file is removed when its [`Upload`] is dropped — when the
//! request ends, or when the import job that reads it ends.
//!
//! The operator sets how large a file may be ([`FileImportConfig::upload_limit`],
//! `cube-server --import-upload-limit-mb`); a larger one is refused `413` before it is read
//! (a declared length) or as soon as it passes the limit, saying the limit and how to raise
//! it.

use crate::error::{ApiError, ApiResult};
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

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

/// The largest file taken unless the operator says otherwise: 256 MiB.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 256 * 1024 * 1024;

/// The most rows a CSV may have unless the operator says otherwise.
pub const DEFAULT_MAX_CSV_ROWS: usize = 1_000_000;

impl Default for FileImportConfig {
    fn default() -> Self {
        Self {
            upload_limit: DEFAULT_UPLOAD_LIMIT,
            max_csv_rows: DEFAULT_MAX_CSV_ROWS,
            chunk_rows: cube_app::customers::IMPORT_CHUNK_ROWS,
            request_timeout: DEFAULT_FILE_REQUEST_TIMEOUT,
        }
    }
}

/// A file received, on disk; removed when dropped.
#[derive(Debug)]
pub struct Upload {
    path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

impl Upload {
    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its first bytes (up to 8), which tell a spreadsheet from text.
    pub async fn head(&self) -> std::io::Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(&self.path).await?;
        let mut head = vec![0u8; 8];
        let mut got = 0;
        while got < head.len() {
            let n = file.read(&mut head[got..]).await?;
            if n == 0 {
                break;
            }
            got += n;
        }
        head.truncate(got);
        Ok(head)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // Nothing to do if it is gone already; the OS cleans its temporary folder otherwise.
        let _ = std::fs::remove_file(&self.path);
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
    let failed = |e: std::io::Error| ApiError::Internal(format!("writing an upload: {e}"));
    let path = std::env::temp_dir().join(format!("cube-upload-{}", uuid::Uuid::now_v7()));
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .await
        .map_err(failed)?;
    // From here the file is removed whatever happens.
    let mut upload = Upload { path, size: 0 };
    let mut file = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| ApiError::Malformed {
            status: StatusCode::BAD_REQUEST,
            detail: format!("the file could not be read: {error}"),
        })?;
        upload.size += chunk.len() as u64;
        if upload.size > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)?;
    Ok(upload)
}
