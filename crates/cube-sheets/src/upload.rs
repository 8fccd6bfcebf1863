//! A customer file as it arrives, written to a temporary file instead of memory: a
//! million-row CSV is a few hundred MB, and the import reads it twice from disk
//! ([`crate::streamed`]). The file is removed when its [`Upload`] is dropped — when the
//! request ends, or when the import job that reads it ends.
//!
//! Both faces take files this way — the API's `…/customers/import-file` (the body is the
//! file) and the web app's import page (the file is a form's field) — under the same
//! operator's settings ([`UploadLimits`], `cube-server --import-upload-limit-mb`), so it
//! lives here, beside the readers, rather than in either adapter.

use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The largest file taken unless the operator says otherwise: 256 MiB.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 256 * 1024 * 1024;

/// The most rows a CSV may have unless the operator says otherwise.
pub const DEFAULT_MAX_CSV_ROWS: usize = 1_000_000;

/// How the server takes customer files: the operator's settings, the same for the API and
/// the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// The largest file taken, in bytes.
    pub upload_limit: u64,
    /// The most data rows a CSV file may have (a spreadsheet keeps
    /// `read::Limits::default().max_rows`: its reader holds it whole).
    pub max_csv_rows: usize,
    /// Rows written in one unit of work (`cube_app::customers::IMPORT_CHUNK_ROWS`).
    pub chunk_rows: usize,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            upload_limit: DEFAULT_UPLOAD_LIMIT,
            max_csv_rows: DEFAULT_MAX_CSV_ROWS,
            chunk_rows: cube_app::customers::IMPORT_CHUNK_ROWS,
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

    /// Whether it is text (a CSV or TXT, read from disk row by row) rather than a
    /// spreadsheet (a zip, read whole): [`crate::stream::is_text`] of its first bytes.
    pub async fn is_text(&self) -> std::io::Result<bool> {
        Ok(crate::stream::is_text(&self.head().await?))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // Nothing to do if it is gone already; the OS cleans its temporary folder otherwise.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Why a file could not be received.
#[derive(Debug)]
pub enum ReceiveError {
    /// It passed the limit (in bytes); reading stopped there.
    TooLarge(u64),
    /// The temporary file could not be written.
    Disk(std::io::Error),
}

/// A file being received: each chunk appended to a new temporary file as it arrives, at
/// most `limit` bytes in all. The temporary file is removed however receiving ends.
#[derive(Debug)]
pub struct Receiving {
    upload: Upload,
    file: tokio::io::BufWriter<tokio::fs::File>,
    limit: u64,
}

impl Receiving {
    /// A new temporary file for a file of at most `limit` bytes.
    pub async fn start(limit: u64) -> Result<Self, ReceiveError> {
        let path = std::env::temp_dir().join(format!("cube-upload-{}", uuid::Uuid::now_v7()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(ReceiveError::Disk)?;
        Ok(Self {
            // From here the file is removed whatever happens.
            upload: Upload { path, size: 0 },
            file: tokio::io::BufWriter::with_capacity(256 * 1024, file),
            limit,
        })
    }

    /// Appends `chunk`; refuses once the file passes the limit (nothing more is written).
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ReceiveError> {
        self.upload.size += chunk.len() as u64;
        if self.upload.size > self.limit {
            return Err(ReceiveError::TooLarge(self.limit));
        }
        self.file.write_all(chunk).await.map_err(ReceiveError::Disk)
    }

    /// The file, received whole.
    pub async fn finish(mut self) -> Result<Upload, ReceiveError> {
        self.file.flush().await.map_err(ReceiveError::Disk)?;
        Ok(self.upload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_is_received_to_disk_within_its_limit_and_removed_when_dropped() {
        let mut receiving = Receiving::start(10).await.expect("a temporary file");
        receiving.write(b"navn;").await.expect("written");
        receiving.write(b"tlf\n").await.expect("written");
        let upload = receiving.finish().await.expect("received");
        assert_eq!(upload.size, 9);
        let path = upload.path().to_owned();
        assert_eq!(std::fs::read(&path).expect("on disk"), b"navn;tlf\n");
        assert!(upload.is_text().await.expect("read"));
        drop(upload);
        assert!(!path.exists(), "removed when dropped");

        let mut receiving = Receiving::start(10).await.expect("a temporary file");
        receiving.write(b"0123456789").await.expect("at the limit");
        assert!(matches!(
            receiving.write(b"x").await,
            Err(ReceiveError::TooLarge(10))
        ));
        let path = receiving.upload.path().to_owned();
        drop(receiving);
        assert!(!path.exists(), "a refused file is removed too");
    }
}
