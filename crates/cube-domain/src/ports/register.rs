//! The national reservation register (Reservasjonsregisteret, run by Brønnøysundregistrene):
//! the phone numbers whose holders said no to telemarketing. A data owner loads the
//! register's export and washes its consumers against it before calling them, every month
//! calling happens (markedsføringsloven § 12); the wash use case asks this port. An adapter
//! may hold a loaded file, or ask a service.

use crate::values::PhoneNumber;

/// The reservation register as loaded: which numbers are reserved.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait ReservationRegister: Send + Sync {
    /// Whether `phone` is reserved.
    fn is_reserved(&self, phone: &PhoneNumber) -> bool;
    /// How many reserved numbers the register holds (recorded with a wash).
    fn numbers(&self) -> u64;
}
