//! Revisions of the documents that are edited by reading them whole and sending them back
//! (an assignment's setup, a flow's draft, a data owner's GDPR details and CRM fields). Two
//! managers editing one at once would overwrite each other without a word; with a revision
//! the second write names what it was based on, and the use case refuses it
//! ([`AppError::Stale`]) when the stored document is no longer that one. The comparison is
//! made inside the write's own unit of work, against the document as that unit read it.
//!
//! A revision is computed from the document's content (the first 128 bits of the SHA-256 of
//! its JSON, hex), so it needs no stored counter: equal content, equal revision, on every
//! store and after a restart. The documents hold no hash maps, so their JSON is canonical.

use crate::{AppError, AppResult};
use cube_domain::ports::StoreError;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;

/// The revision of a document: what a reader got, and what a writer says it started from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Revision(String);

/// Feeds serialized bytes into the hash without buffering them.
struct Hashing(Sha256);

impl Write for Hashing {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Revision {
    /// The revision of a document's current content.
    pub fn of<T: Serialize + ?Sized>(document: &T) -> AppResult<Self> {
        let mut hashing = Hashing(Sha256::new());
        serde_json::to_writer(&mut hashing, document).map_err(|e| {
            AppError::Store(StoreError::Corrupt(format!(
                "a document cannot be serialised for its revision: {e}"
            )))
        })?;
        let digest = hashing.0.finalize();
        Ok(Self(
            digest[..16].iter().map(|b| format!("{b:02x}")).collect(),
        ))
    }

    /// A revision as a client sent it back (opaque: one that is no document's never matches).
    pub fn from_client(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The revision as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Refuses a write based on another revision than the document's current one; `None`: the
/// writer names no revision and replaces whatever is there.
pub(crate) fn expect_revision<T: Serialize + ?Sized>(
    expected: Option<&Revision>,
    current: &T,
    what: &'static str,
) -> AppResult<()> {
    match expected {
        Some(expected) if *expected != Revision::of(current)? => Err(AppError::Stale(what)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_content_has_equal_revisions_and_a_change_another() {
        let a = Revision::of(&vec!["a", "b"]).expect("serialises");
        assert_eq!(a, Revision::of(&vec!["a", "b"]).expect("serialises"));
        assert_ne!(a, Revision::of(&vec!["a", "c"]).expect("serialises"));
        assert_eq!(a.as_str().len(), 32);
    }

    #[test]
    fn a_stale_or_unknown_revision_is_refused_and_none_is_not_checked() {
        let current = vec![1, 2];
        let stale = Revision::of(&vec![1]).expect("serialises");
        assert_eq!(
            expect_revision(Some(&stale), &current, "setup"),
            Err(AppError::Stale("setup"))
        );
        let garbage = Revision::from_client("nonsense");
        assert!(expect_revision(Some(&garbage), &current, "setup").is_err());
        let fresh = Revision::of(&current).expect("serialises");
        assert_eq!(expect_revision(Some(&fresh), &current, "setup"), Ok(()));
        assert_eq!(expect_revision(None, &current, "setup"), Ok(()));
    }
}
