//! The one error type of the use cases. It keeps the domain's typed errors (their messages
//! say what to fix) and sorts them into kinds an adapter maps to its own codes (HTTP status,
//! CLI exit code) in one place. The refusals that are the use cases' own (they need the
//! store, or belong to no domain rule) are typed here too, one enum per concern, so no
//! refusal is a bare string: a caller can match the rule, and the message names the field
//! or the rule and what to do.

use cube_domain::access::AccessError;
use cube_domain::assignment::AssignmentError;
use cube_domain::assignment::setup::LimitMetric;
use cube_domain::bulk::SelectionError;
use cube_domain::customer::{CustomerError, DuplicateCustomer};
use cube_domain::enrollment::ReservationError;
use cube_domain::fields::FieldError;
use cube_domain::flow::FlowError;
use cube_domain::idempotency::IdempotencyError;
use cube_domain::ids::StateId;
use cube_domain::my_work::TakeRefused;
use cube_domain::outcome::RegistrationError;
use cube_domain::ports::StoreError;
use cube_domain::product::ProductError;
use cube_domain::reports::SumOverflow;
use cube_domain::time_bounds::TimeOutOfBounds;
use cube_domain::time_entry::TimeEntryError;
use cube_domain::values::{InvalidInput, ValueError};
use thiserror::Error;

/// Why a use case did not happen. Nothing was written when one is returned, with one
/// exception that says so: [`AppError::ImportStopped`].
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
    /// The token is scoped to one operation, and this is another.
    #[error(
        "this token opens external state changes only (`POST /api/customers/{{id}}/external-state`); \
         use a session or an API token for anything else"
    )]
    TokenScope,
    /// A value is malformed.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// A value is malformed, and the message names the input field.
    #[error(transparent)]
    Input(#[from] InvalidInput),
    /// A typed field is wrong.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A customer is invalid.
    #[error(transparent)]
    Customer(#[from] CustomerError),
    /// A person named for their rights with no key, two keys, or a malformed one.
    #[error(transparent)]
    PersonKey(#[from] cube_domain::privacy::PersonKeyError),
    /// A person's data could not be erased as asked.
    #[error(transparent)]
    Erasure(#[from] cube_domain::privacy::ErasureError),
    /// An import was not undone: some of it was worked on, or it was undone already.
    #[error(transparent)]
    UndoImport(#[from] cube_domain::customer_import::UndoRefused),
    /// A customer-file mapping that cannot be saved.
    #[error(transparent)]
    ImportMapping(#[from] cube_domain::data_owner::ImportMappingError),
    /// Another customer of the data owner has the same external id, organisation number or
    /// phone number.
    #[error(transparent)]
    DuplicateCustomer(#[from] DuplicateCustomer),
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
    /// A report's sum is too large to add up exactly (never answered as a wrong total).
    #[error(transparent)]
    Sum(#[from] SumOverflow),
    /// A bulk selection names something the assignment does not have.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// A time or date outside the years Cube accepts.
    #[error(transparent)]
    Time(#[from] TimeOutOfBounds),
    /// A time zone name the zone database does not know.
    #[error(transparent)]
    TimeZone(#[from] cube_domain::time_zone::UnknownTimeZone),
    /// A hard-stop activity limit is reached: no more customers are handed out.
    #[error(
        "the assignment's activity limit for {0:?} is reached; no more customers are handed out"
    )]
    LimitReached(LimitMetric),
    /// A wash of the data owner is already running in this process.
    #[error(
        "a wash of this data owner against the reservation register is running; wait for it to \
         finish (the data owner's contact policy shows the last wash)"
    )]
    WashRunning,
    /// The contact policy forbids calling the customer now.
    #[error("the contact policy forbids calling this customer now: {0}")]
    ContactBarred(cube_domain::contact_policy::standing::Barred),
    /// A change to users, passwords or tokens was refused.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A webhook endpoint's URL or events are refused.
    #[error(transparent)]
    Webhook(#[from] cube_domain::webhooks::WebhookError),
    /// A user's role lacks the scope it needs.
    #[error(transparent)]
    RoleScope(#[from] RoleScopeError),
    /// Clocking or registering hours was refused.
    #[error(transparent)]
    TimeTracking(#[from] TimeTrackingError),
    /// A report was asked for with a window or states it cannot have.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A customer could not be taken by hand.
    #[error(transparent)]
    Take(#[from] TakeRefused),
    /// A seller asked for the history of a customer they neither hold nor follow up.
    #[error(transparent)]
    History(#[from] cube_domain::my_work::HistoryRefused),
    /// A follow-up that cannot be moved as asked.
    #[error(transparent)]
    FollowUpMove(#[from] cube_domain::my_work::FollowUpMoveRefused),
    /// A calendar's set-up (opening hours) or a question about its day was refused.
    #[error(transparent)]
    Calendar(#[from] cube_domain::meeting::CalendarError),
    /// A meeting that cannot be cancelled or moved as asked.
    #[error(transparent)]
    MeetingChange(#[from] cube_domain::meeting::MeetingChangeRefused),
    /// A work action (an external state change, a bulk registration) was refused.
    #[error(transparent)]
    Work(#[from] WorkError),
    /// A call that cannot be started as asked (no number, an unregistered caller id).
    #[error(transparent)]
    Call(#[from] cube_domain::call::CallRefused),
    /// The PBX refused the call, or could not be reached: the call is kept as failed.
    #[error("the telephone exchange did not place the call: {0}")]
    Telephony(cube_domain::ports::GatewayError),
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
    /// The document changed since the revision the write was based on was read.
    #[error(
        "the {0} changed since it was read (the revision sent is not the current one); read it again and redo the change"
    )]
    Stale(&'static str),
    /// An import job was not started.
    #[error(transparent)]
    ImportJob(#[from] crate::import_jobs::ImportJobError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An import larger than one chunk stopped part-way: the first `imported` of the
    /// `total` rows it took are written (whole chunks, in file order), the rest are not.
    /// Sending the same file again finishes it: the rows already in match their customers
    /// (by external id or phone) and are not duplicated.
    #[error(
        "the import stopped after {imported} of {total} rows were written: {cause}; the rows written stay, and sending the same file again finishes the import without duplicates"
    )]
    ImportStopped {
        /// Rows written.
        imported: usize,
        /// Rows the import took.
        total: usize,
        /// Why the next chunk failed.
        cause: Box<AppError>,
    },
}

/// Why a change to users, passwords or tokens was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccountError {
    /// `set_initial_password` on a user who has a password.
    #[error("the user has a password already; change it as the user or an admin")]
    PasswordAlreadySet,
    /// A new user's password hash is blank.
    #[error("a password hash must not be empty")]
    EmptyPasswordHash,
    /// An API token for a deactivated user (it would not work).
    #[error("user '{name}' is deactivated; reactivate them before issuing a token")]
    UserDeactivated {
        /// The user's name.
        name: String,
    },
    /// An admin deactivating themselves (the organisation could be left without one).
    #[error("you cannot deactivate yourself")]
    DeactivateSelf,
    /// An admin changing their own role (the organisation could be left without one).
    #[error("you cannot change your own role; ask another admin")]
    ChangeOwnRole,
    /// A token's lifetime is zero or negative.
    #[error("a token's lifetime must be more than zero")]
    TokenLifetimeNotPositive,
    /// A token's lifetime ends past the times Cube can represent.
    #[error("the token's lifetime is too long")]
    TokenLifetimeTooLong,
}

/// A user's role lacks the scope it needs (checked when a user is created): the domain's
/// rule, re-exported here beside the other use-case errors.
pub use cube_domain::access::RoleScopeError;

/// Why clocking or registering hours was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TimeTrackingError {
    /// Stopping the clock when none runs.
    #[error("no clock is running")]
    NoClockRunning,
    /// Hours by hand that end after now.
    #[error("hours cannot be registered for the future")]
    InTheFuture,
}

/// Why a report cannot be made as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReportError {
    /// The window is empty or reversed.
    #[error("the report window must end after it starts")]
    EmptyWindow,
    /// A state filter names a state the assignment's flow does not have.
    #[error("state {0} is not in the assignment's flow")]
    StateNotInFlow(StateId),
    /// A page of the outcome list asked for too few or too many events.
    #[error(
        "`limit`: a page holds 1 to {max} outcomes (sales, for the sold lines); {asked} were asked for"
    )]
    PageSize {
        /// The events asked for.
        asked: u32,
        /// The most a page holds.
        max: u32,
    },
    /// An export would hold more outcomes than one file takes.
    #[error(
        "the export would hold more than {max} outcomes; choose a shorter window or filter it \
         (by outcome, seller or state)"
    )]
    ExportTooLarge {
        /// The most one export holds.
        max: usize,
    },
}

/// Why a work action was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkError {
    /// An external state change names a state none of the customer's assignments has.
    #[error("no assignment of this customer has a state named '{state}' to move to")]
    NoStateNamed {
        /// The state name asked for.
        state: String,
    },
    /// A bulk registration with product lines or a meeting (those are per customer).
    #[error("bulk registration cannot carry products or book meetings; register those one by one")]
    BulkWithProductsOrMeeting,
    /// A follow-up handed to a user who is not a seller working the assignment.
    #[error("a follow-up goes to a seller who works this assignment; '{user}' does not")]
    OwnerNotASeller {
        /// The user named.
        user: String,
    },
    /// A manual SMS names a template the assignment does not have.
    #[error(
        "the assignment has no SMS template named '{0}': add it under communication.sms_templates"
    )]
    NoSmsTemplate(String),
    /// A manual SMS from an assignment without a sender.
    #[error("the assignment has no SMS sender: set communication.sms_sender")]
    NoSmsSender,
    /// A manual SMS to a customer with no mobile number.
    #[error("the customer has no mobile number to send an SMS to")]
    NoMobileNumber,
    /// A manual SMS to a customer on the data owner's do-not-call list.
    #[error("the customer is on the do-not-call list: no SMS is sent")]
    OnDoNotCallList,
    /// A manual e-mail names a template the assignment does not have.
    #[error(
        "the assignment has no e-mail template named '{0}': add it under communication.email_templates"
    )]
    NoEmailTemplate(String),
    /// A manual e-mail from an assignment without a sender address.
    #[error("the assignment has no e-mail sender: set communication.mail_from")]
    NoMailFrom,
    /// A manual e-mail to a customer with no e-mail address.
    #[error("the customer has no e-mail address to send to: add one on the customer card")]
    NoEmailAddress,
    /// A manual message uses the meeting's merge fields and the customer has no meeting
    /// coming up in the assignment.
    #[error(
        "the template '{0}' uses the meeting's merge fields (meeting.date, meeting.time, meeting.place) and the customer has no meeting coming up in this assignment: book one first or choose another template"
    )]
    NoMeetingForTemplate(String),
    /// A manual e-mail to a customer on the data owner's do-not-call list.
    #[error("the customer is on the do-not-call list: no e-mail is sent")]
    EmailToDoNotCall,
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
    /// The write was based on a revision that is no longer the current one.
    Stale,
    /// The system could not be reached or was busy; the same request may succeed later.
    Unavailable,
    /// A fault of ours that retrying cannot mend (stored data that cannot be read back);
    /// logged for the operators.
    Internal,
}

impl AppError {
    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AppError::ImportStopped { cause, .. } => cause.kind(),
            AppError::NotFound(_)
            | AppError::Erasure(cube_domain::privacy::ErasureError::NoSuchPerson(_)) => {
                ErrorKind::NotFound
            }
            AppError::Erasure(cube_domain::privacy::ErasureError::Erased) => ErrorKind::Conflict,
            AppError::Forbidden
            | AppError::TokenScope
            | AppError::History(_)
            | AppError::FollowUpMove(
                cube_domain::my_work::FollowUpMoveRefused::NotTheirs
                | cube_domain::my_work::FollowUpMoveRefused::OwnerBySeller,
            )
            | AppError::MeetingChange(cube_domain::meeting::MeetingChangeRefused::NotTheirs) => {
                ErrorKind::Forbidden
            }
            AppError::FollowUpMove(_) => ErrorKind::Invalid,
            AppError::Unauthenticated => ErrorKind::Unauthenticated,
            AppError::Registration(
                RegistrationError::HeldByAnother(_) | RegistrationError::LeaseNotHeld,
            )
            | AppError::Registration(RegistrationError::MeetingOverlaps(..))
            | AppError::MeetingChange(cube_domain::meeting::MeetingChangeRefused::Overlaps(..))
            | AppError::TimeEntry(
                TimeEntryError::Overlaps { .. } | TimeEntryError::OverlapsRunning { .. },
            )
            | AppError::Reservation(_)
            | AppError::LimitReached(_)
            | AppError::ContactBarred(_)
            | AppError::WashRunning
            | AppError::UndoImport(_)
            | AppError::DuplicateCustomer(_)
            | AppError::ImportJob(_)
            | AppError::Store(StoreError::Conflict(_) | StoreError::Duplicate(_)) => {
                ErrorKind::Conflict
            }
            AppError::Stale(_) => ErrorKind::Stale,
            AppError::Store(StoreError::Unavailable(_))
            | AppError::Telephony(
                cube_domain::ports::GatewayError::Unavailable(_)
                | cube_domain::ports::GatewayError::Misconfigured(_),
            ) => ErrorKind::Unavailable,
            AppError::Store(StoreError::Corrupt(_)) => ErrorKind::Internal,
            AppError::Value(_)
            | AppError::Input(_)
            | AppError::Field(_)
            | AppError::Customer(_)
            | AppError::ImportMapping(_)
            | AppError::PersonKey(_)
            | AppError::Product(_)
            | AppError::Flow(_)
            | AppError::Assignment(_)
            | AppError::Registration(_)
            | AppError::Idempotency(_)
            | AppError::TimeEntry(_)
            | AppError::Selection(_)
            | AppError::Sum(_)
            | AppError::Time(_)
            | AppError::TimeZone(_)
            | AppError::Account(_)
            | AppError::Webhook(_)
            | AppError::RoleScope(_)
            | AppError::TimeTracking(_)
            | AppError::Report(_)
            | AppError::Take(_)
            | AppError::Work(_)
            | AppError::Call(_)
            | AppError::Telephony(cube_domain::ports::GatewayError::Rejected(_))
            | AppError::Calendar(_)
            | AppError::MeetingChange(_)
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
    use cube_domain::ports::UniqueRule;

    #[test]
    fn store_errors_map_to_what_the_caller_can_do() {
        let kind = |e: StoreError| AppError::Store(e).kind();
        assert_eq!(kind(StoreError::Conflict("x".into())), ErrorKind::Conflict);
        assert_eq!(
            kind(StoreError::Duplicate(UniqueRule::IdempotencyKey)),
            ErrorKind::Conflict
        );
        assert_eq!(
            kind(StoreError::Duplicate(UniqueRule::UserEmail)),
            ErrorKind::Conflict
        );
        // A value too large for the store is the caller's to fix, not a failure of ours.
        assert_eq!(
            kind(StoreError::Unrepresentable("x".into())),
            ErrorKind::Invalid
        );
        assert_eq!(
            kind(StoreError::Unavailable("x".into())),
            ErrorKind::Unavailable
        );
        // Retrying cannot help a row that cannot be read: not a 503.
        assert_eq!(kind(StoreError::Corrupt("x".into())), ErrorKind::Internal);
    }
}
