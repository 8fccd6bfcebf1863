//! The repository traits of the storage port (and the `ReportRepository`), implemented on
//! [`crate::PgUnitOfWork`]: one file per trait, named as in the other stores
//! (`organisations`, `users`, `data_owners`, `customers`, `products`, `flows`,
//! `assignments`, `calendars`, `enrollments`, `outcome_log`, `imports`, `time_entries`,
//! `outbox`, `sms`, `credentials`, `webhooks`, `calls`, `reports`), and `registrations`: a
//! registration's two writes (`UnitOfWork::update_enrollment_with_event`) in one statement.
//! Every method is one or two statements in the unit's transaction; aggregates read and
//! written whole are `jsonb` beside their lookup columns.

mod assignments;
mod calendars;
mod calls;
mod credentials;
mod customers;
mod data_owners;
mod enrollments;
mod flows;
mod imports;
mod organisations;
mod outbox;
mod outcome_log;
mod products;
mod registrations;
mod reports;
mod request_keys;
mod sms;
mod time_entries;
mod users;
mod webhooks;

pub(crate) use credentials::token_holder;
pub use enrollments::{ENROLLMENT_BY_ID, UPDATE_ENROLLMENT};
pub(crate) use enrollments::{enrollment_and_assignment, enrollment_from_row};
pub use outcome_log::{APPEND_EVENT, OUTCOME_PAGE_AFTER, OUTCOME_PAGE_FIRST};
pub use registrations::UPDATE_ENROLLMENT_WITH_EVENT;
pub(crate) use registrations::update_enrollment_with_event;
