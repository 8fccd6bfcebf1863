//! The one error type of the use cases. It keeps the domain's typed errors (their messages
//! say what to fix) and sorts them into kinds an adapter maps to its own codes (HTTP status,
//! CLI exit code) in one place.

use cube_domain::access::AccessError;
use cube_domain::assignment::AssignmentError;
use cube_domain::assignment::setup::LimitMetric;
use cube_domain::customer::CustomerError;
use cube_domain::enrollment::ReservationError;
use cube_domain::fields::FieldError;
use cube_domain::flow::FlowError;
use cube_domain::idempotency::IdempotencyError;
use cube_domain::outcome::RegistrationError;
use cube_domain::ports::StoreError;
use cube_domain::product::ProductError;
use cube_domain::time_entry::TimeEntryError;
use cube_domain::values::ValueError;
use thiserror::Error;

/// Why a use case did not happen. Nothing was written when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppError {
    /// The thing does not exist, or belongs to another organisation (never told apart).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The user's role does not allow it.
    #[error("your role does not allow this")]
    Forbidden,
    /// The acting user does not exist or is deactivated.
    #[error("unknown or deactivated user")]
    Unauthenticated,
    /// A value is malformed.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A typed field is wrong.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A customer is invalid.
    #[error(transparent)]
    Customer(#[from] CustomerError),
    /// A product is invalid.
    #[error(transparent)]
    Product(#[from] ProductError),
    /// A flow cannot be published.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// An assignment change was refused.
    #[error(transparent)]
    Assignment(#[from] AssignmentError),
    /// An outcome registration was refused.
    #[error(transparent)]
    Registration(#[from] RegistrationError),
    /// A reservation was refused.
    #[error(transparent)]
    Reservation(#[from] ReservationError),
    /// An idempotency key was reused with a different request.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// A time entry was refused.
    #[error(transparent)]
    TimeEntry(#[from] TimeEntryError),
    /// A hard-stop activity limit is reached: no more customers are handed out.
    #[error(
        "the assignment's activity limit for {0:?} is reached; no more customers are handed out"
    )]
    LimitReached(LimitMetric),
    /// Bad input that is not one of the above; the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// A bulk action failed for some enrollments; nothing was changed.
    #[error(
        "{failed} of {selected} selected customers cannot take this action (nothing was changed); first: {first}"
    )]
    Bulk {
        /// How many were selected.
        selected: usize,
        /// How many failed.
        failed: usize,
        /// The first failure's reason.
        first: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The kind of an error, for adapters to map to their own codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Missing (or another organisation's).
    NotFound,
    /// Not allowed.
    Forbidden,
    /// Not logged in.
    Unauthenticated,
    /// Bad input: fix the request.
    Invalid,
    /// A race or a state that changed: read again and retry, or choose otherwise.
    Conflict,
    /// The system failed; try later.
    Unavailable,
}

impl AppError {
    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::NotFound(_) => ErrorKind::NotFound,
            AppError::Forbidden => ErrorKind::Forbidden,
            AppError::Unauthenticated => ErrorKind::Unauthenticated,
            AppError::Registration(
                RegistrationError::HeldByAnother(_) | RegistrationError::LeaseNotHeld,
            )
            | AppError::Registration(RegistrationError::MeetingOverlaps(..))
            | AppError::Reservation(_)
            | AppError::LimitReached(_)
            | AppError::Store(StoreError::Conflict(_) | StoreError::Duplicate(_)) => {
                ErrorKind::Conflict
            }
            AppError::Store(StoreError::Unavailable(_) | StoreError::Corrupt(_)) => {
                ErrorKind::Unavailable
            }
            AppError::Value(_)
            | AppError::Field(_)
            | AppError::Customer(_)
            | AppError::Product(_)
            | AppError::Flow(_)
            | AppError::Assignment(_)
            | AppError::Registration(_)
            | AppError::Idempotency(_)
            | AppError::TimeEntry(_)
            | AppError::Invalid(_)
            | AppError::Store(StoreError::Unrepresentable(_))
            | AppError::Bulk { .. } => ErrorKind::Invalid,
        }
    }
}

impl AppError {
    /// Maps an access refusal: another organisation's resource is `NotFound(what)`.
    pub fn access(error: AccessError, what: &'static str) -> Self {
        match error {
            AccessError::NotFound => AppError::NotFound(what),
            AccessError::Forbidden => AppError::Forbidden,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_what_the_caller_can_do() {
        let kind = |e: StoreError| AppError::Store(e).kind();
        assert_eq!(kind(StoreError::Conflict("x".into())), ErrorKind::Conflict);
        assert_eq!(kind(StoreError::Duplicate("x".into())), ErrorKind::Conflict);
        // A value too large for the store is the caller's to fix, not a failure of ours.
        assert_eq!(
            kind(StoreError::Unrepresentable("x".into())),
            ErrorKind::Invalid
        );
        assert_eq!(
            kind(StoreError::Unavailable("x".into())),
            ErrorKind::Unavailable
        );
        assert_eq!(
            kind(StoreError::Corrupt("x".into())),
            ErrorKind::Unavailable
        );
    }
}
