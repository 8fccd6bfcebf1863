//! The repository contract: what every `UnitOfWork` must do, one case a rule. Cases are
//! grouped by the part of the store they touch; all are re-exported here, which is the path
//! the macro calls them by.

mod calendars;
mod catalogue;
mod credentials;
mod enrollments;
mod search;
mod times;
mod units;

pub use calendars::*;
pub use catalogue::*;
pub use credentials::*;
pub use enrollments::*;
pub use search::*;
pub use times::*;
pub use units::*;
