//! A customer import as it is kept after it ran, so it can be undone (issue 16: "undo of a
//! finished import"). A file brought in by mistake — the wrong list, the wrong assignment —
//! should go out again as it came in, as long as nobody has worked on what it brought.
//!
//! The record names what the import CREATED: new customers and new enrollments, by id. It
//! is written in the import's own units of work, a chunk at a time, so it names exactly
//! what was committed, also for an import that stopped part-way. What an import only
//! UPDATED — an existing customer matched by external id or phone and given the row's
//! values — is not recorded and is not undone: the old values are not kept, and the
//! customer was the data owner's before the import.
//!
//! Undoing removes the created enrollments and customers, all or nothing, and only while
//! none of them has been worked ([`Traces::is_worked`]); otherwise it is refused
//! ([`UndoRefused::Worked`]) naming how many customers were worked. An import is undone
//! once ([`CustomerImport::undo`]); the record stays, marked, as history.

use crate::ids::{AssignmentId, CustomerId, DataOwnerId, EnrollmentId, ImportId, UserId};
use crate::instant::shown;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

/// A customer import and what it created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerImport {
    /// The id (an import job names it).
    pub id: ImportId,
    /// The data owner the customers went to.
    pub data_owner: DataOwnerId,
    /// The assignment the rows were enrolled in.
    pub assignment: AssignmentId,
    /// Who imported.
    pub imported_by: UserId,
    /// When the import started.
    pub imported_at: OffsetDateTime,
    /// When and by whom it was undone, if it was.
    pub undone: Option<ImportUndone>,
    /// The customers it created, by id (ascending). Kept beside the record, not in its
    /// stored document.
    #[serde(skip)]
    pub customers: Vec<CustomerId>,
    /// The enrollments it created, by id (ascending): one for each created customer, and
    /// one for each existing customer it enrolled. Kept beside the record, not in its stored
    /// document.
    #[serde(skip)]
    pub enrollments: Vec<EnrollmentId>,
}

/// When and by whom an import was undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportUndone {
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub by: UserId,
}

/// Why an import was not undone. Nothing was removed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UndoRefused {
    /// Some of what the import brought in has been worked on.
    #[error(
        "{worked} of the {customers} customers this import brought in have been worked on (an \
         outcome registered, a meeting booked, the card edited, a message sent, or held by a \
         seller now); nothing was removed"
    )]
    Worked {
        /// Customers worked on.
        worked: usize,
        /// Customers the import brought in (created, or enrolled by it).
        customers: usize,
    },
    /// The import was undone already.
    #[error("this import was undone already, at {}", shown(.at))]
    AlreadyUndone {
        /// When it was undone.
        at: OffsetDateTime,
    },
    /// The import's job is still writing rows: an undo now would miss the rows still to
    /// come (and every chunk written after an undo is refused).
    #[error(
        "this import is still running; wait until its job has ended (or cancel it), then undo it"
    )]
    StillRunning,
}

impl CustomerImport {
    /// A new record of an import that has created nothing yet.
    pub fn new(
        id: ImportId,
        data_owner: DataOwnerId,
        assignment: AssignmentId,
        imported_by: UserId,
        imported_at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            data_owner,
            assignment,
            imported_by,
            imported_at,
            undone: None,
            customers: Vec::new(),
            enrollments: Vec::new(),
        }
    }

    /// Marks it undone by `by` at `at`; refused if it was undone already.
    pub fn undo(&mut self, at: OffsetDateTime, by: UserId) -> Result<ImportUndone, UndoRefused> {
        if let Some(undone) = self.undone {
            return Err(UndoRefused::AlreadyUndone { at: undone.at });
        }
        let undone = ImportUndone { at, by };
        self.undone = Some(undone);
        Ok(undone)
    }
}

/// What the store holds that shows a customer the import brought in has been worked on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traces {
    /// Outcome events on the customer's enrollments (the import's, and for a created
    /// customer every one).
    pub outcome_events: usize,
    /// One of those enrollments is held by a seller now (a live reservation).
    pub held_now: bool,
    /// Meetings booked with the customer.
    pub meetings: usize,
    /// Changes recorded on the customer's card.
    pub card_changes: usize,
    /// Messages (SMS, e-mail) queued or sent to the customer's enrollments.
    pub messages: usize,
}

impl Traces {
    /// Worked on: anything registered on the customer, or a seller holding it now. Such a
    /// customer is not removed, and an import with one is not undone.
    pub fn is_worked(&self) -> bool {
        self.outcome_events > 0
            || self.held_now
            || self.meetings > 0
            || self.card_changes > 0
            || self.messages > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use uuid::Uuid;

    fn record() -> CustomerImport {
        CustomerImport::new(
            ImportId::from_uuid(Uuid::from_u128(1)),
            DataOwnerId::from_uuid(Uuid::from_u128(2)),
            AssignmentId::from_uuid(Uuid::from_u128(3)),
            UserId::from_uuid(Uuid::from_u128(4)),
            datetime!(2026-12-07 09:00 UTC),
        )
    }

    #[test]
    fn an_import_is_undone_once_and_the_second_refusal_says_when() {
        let mut import = record();
        let by = UserId::from_uuid(Uuid::from_u128(5));
        let at = datetime!(2026-12-07 10:30 UTC);
        assert_eq!(import.undo(at, by), Ok(ImportUndone { at, by }));
        assert_eq!(import.undone, Some(ImportUndone { at, by }));
        let again = import.undo(datetime!(2026-12-07 11:00 UTC), by);
        assert_eq!(again, Err(UndoRefused::AlreadyUndone { at }));
        assert_eq!(
            again.expect_err("refused").to_string(),
            "this import was undone already, at 2026-12-07T10:30:00Z"
        );
        assert_eq!(
            import.undone,
            Some(ImportUndone { at, by }),
            "kept the first"
        );
    }

    #[test]
    fn any_trace_is_work_and_none_is_not() {
        assert!(!Traces::default().is_worked());
        let each = [
            Traces {
                outcome_events: 1,
                ..Traces::default()
            },
            Traces {
                held_now: true,
                ..Traces::default()
            },
            Traces {
                meetings: 1,
                ..Traces::default()
            },
            Traces {
                card_changes: 1,
                ..Traces::default()
            },
            Traces {
                messages: 1,
                ..Traces::default()
            },
        ];
        for traces in each {
            assert!(traces.is_worked(), "{traces:?}");
        }
    }

    #[test]
    fn the_stored_document_leaves_the_id_lists_out() {
        let mut import = record();
        import.customers = vec![CustomerId::from_uuid(Uuid::from_u128(9))];
        let doc = serde_json::to_value(&import).expect("serialize");
        assert!(doc.get("customers").is_none(), "{doc}");
        let back: CustomerImport = serde_json::from_value(doc).expect("deserialize");
        assert!(back.customers.is_empty());
        assert_eq!(back.id, import.id);
    }
}
