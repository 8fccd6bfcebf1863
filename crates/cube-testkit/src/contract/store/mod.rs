//! The repository contract: what every `UnitOfWork` must do, one case a rule. Cases are
//! grouped by the part of the store they touch; all are re-exported here, which is the path
//! the macro calls them by.

mod calendars;
mod calls;
mod catalogue;
mod credentials;
mod customer_imports;
mod enrollments;
mod import_matching;
mod import_registry;
mod listings;
mod privacy;
mod request_keys;
mod search;
mod sms;
mod times;
mod units;
mod webhooks;

pub use calendars::*;
pub use calls::*;
pub use catalogue::*;
pub use credentials::*;
pub use customer_imports::*;
pub use enrollments::*;
pub use import_matching::*;
pub use import_registry::*;
pub use listings::*;
pub use privacy::*;
pub use request_keys::*;
pub use search::*;
pub use sms::*;
pub use times::*;
pub use units::*;
pub use webhooks::*;

use cube_domain::ports::{StoreError, UniqueRule};

/// Asserts that `what` was refused as a duplicate of exactly `rule`: a store naming another
/// rule would make a use case mistake, say, a duplicate meeting for an idempotency race.
fn duplicate<T: std::fmt::Debug>(result: Result<T, StoreError>, rule: UniqueRule, what: &str) {
    match result {
        Err(StoreError::Duplicate(got)) => assert_eq!(
            got, rule,
            "{what} MUST be refused with StoreError::Duplicate({rule:?}), got Duplicate({got:?})"
        ),
        other => {
            panic!("{what} MUST be refused with StoreError::Duplicate({rule:?}), got {other:?}")
        }
    }
}
