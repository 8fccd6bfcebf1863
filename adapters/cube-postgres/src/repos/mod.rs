//! The repository traits of the storage port, implemented on [`crate::PgUnitOfWork`], one
//! file per group of aggregates. Every method is one or two statements in the unit's
//! transaction; aggregates read and written whole are `jsonb` beside their lookup columns.

mod access;
mod assignments;
mod credentials;
mod crm;
mod enrollments;
mod events;
mod flows;
mod import;
mod time_and_outbox;

pub(crate) use enrollments::enrollment_from_row;
