//! A custom adapter: an `SmsGateway` that writes each message as a JSON line to a file (an
//! outbox a developer can read, or another program can pick up), checked against the test
//! kit's SMS gateway contract. A store adapter is checked the same way, with one line in a
//! test file (see the end of this file).
//!
//! Run it with `cargo run -p cube-testkit --example file_sms`; `cargo xtask test` runs it.

use async_trait::async_trait;
use cube_domain::ports::{GatewayError, SmsGateway, SmsMessage};
use cube_testkit::contract::sms::{self, SmsHarness, SmsUnderTest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    key: String,
    id: String,
    message: SmsMessage,
}

/// Writes every SMS to a file, one JSON line each. A retry with a key already in the file
/// answers that line's id instead of writing the message again.
#[derive(Debug)]
struct FileSms {
    path: PathBuf,
    /// One writer at a time: a line is read back whole, never interleaved.
    turn: Mutex<()>,
}

impl FileSms {
    fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            turn: Mutex::new(()),
        }
    }

    async fn lines(&self) -> Result<Vec<Line>, GatewayError> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(GatewayError::Unavailable(format!(
                    "{}: {e}",
                    self.path.display()
                )));
            }
        };
        text.lines()
            .map(|line| {
                serde_json::from_str(line)
                    .map_err(|e| GatewayError::Unavailable(format!("a broken line: {e}")))
            })
            .collect()
    }
}

#[async_trait]
impl SmsGateway for FileSms {
    async fn send(&self, key: &str, message: &SmsMessage) -> Result<String, GatewayError> {
        let _turn = self.turn.lock().await;
        let lines = self.lines().await?;
        if let Some(line) = lines.iter().find(|line| line.key == key) {
            return Ok(line.id.clone());
        }
        let line = Line {
            key: key.to_owned(),
            id: format!("file-{}", lines.len() + 1),
            message: message.clone(),
        };
        let mut text =
            serde_json::to_string(&line).map_err(|e| GatewayError::Rejected(e.to_string()))?;
        text.push('\n');
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|e| GatewayError::Unavailable(format!("{}: {e}", self.path.display())))?;
        file.write_all(text.as_bytes())
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        // tokio writes on a blocking thread: a line is delivered once the write has finished,
        // not when the buffer was handed over (a read right after would not see it).
        file.flush()
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        Ok(line.id)
    }
}

/// The contract's view of the gateway: what is in the file is what the provider received.
#[derive(Debug)]
struct FileHarness(FileSms);

#[async_trait]
impl SmsUnderTest for FileHarness {
    fn gateway(&self) -> &dyn SmsGateway {
        &self.0
    }

    async fn received(&self) -> Vec<(String, SmsMessage)> {
        let lines = self.0.lines().await.expect("the file reads back");
        lines
            .into_iter()
            .map(|line| (line.key, line.message))
            .collect()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = std::env::temp_dir().join(format!("cube-file-sms-{}", std::process::id()));
    tokio::fs::create_dir_all(&folder).await?;
    let fresh = |case: &str| -> SmsHarness {
        Arc::new(FileHarness(FileSms::new(
            &folder.join(format!("{case}.jsonl")),
        )))
    };
    // Each case panics with the rule it found broken.
    sms::a_message_reaches_the_provider_whole(fresh("whole")).await;
    sms::every_message_gets_its_own_provider_id(fresh("ids")).await;
    sms::a_retry_with_the_same_key_is_delivered_once(fresh("retry")).await;
    sms::messages_sent_at_once_all_arrive(fresh("at-once")).await;
    println!(
        "FileSms keeps the SMS gateway contract (files in {})",
        folder.display()
    );
    tokio::fs::remove_dir_all(&folder).await?;
    Ok(())
}

// In a test file, the same contract is one line per adapter, and so is the store contract:
// `cube_testkit::sms_gateway_contract_tests!(|| async { … as SmsHarness })` and
// `cube_testkit::store_contract_tests!(|| async { Arc::new(MyStore::fresh().await) as Arc<dyn Store> })`.
// Here they run against this file's gateway and the in-memory store under `cargo test -p
// cube-testkit --example file_sms`.
#[cfg(test)]
mod contracts {
    use super::*;
    use cube_domain::ports::Store;
    use cube_testkit::MemoryStore;

    async fn file_harness() -> SmsHarness {
        let path =
            std::env::temp_dir().join(format!("cube-file-sms-test-{}.jsonl", uuid::Uuid::now_v7()));
        Arc::new(FileHarness(FileSms::new(&path)))
    }

    cube_testkit::sms_gateway_contract_tests!(file_harness);
    cube_testkit::store_contract_tests!(|| async {
        Arc::new(MemoryStore::new()) as Arc<dyn Store>
    });
}
