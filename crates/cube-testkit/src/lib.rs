//! # cube-testkit
//!
//! Everything a test of Cube needs besides the code under test: an in-memory twin of every
//! port, the contract suites every storage adapter must pass, the two seed flows and a whole
//! demo world as fixtures, and proptest strategies over flows. It is a dev-dependency only
//! (the walls check that): nothing here ships in the server.
//!
//! # Layout
//! - [`memory`]: `MemoryStore`, the in-memory `Store` (every repository, `reserve_next`),
//!   serializable transactions with rollback on drop.
//! - [`clock`]: `FixedClock` and `SequentialIds`, so time and ids are chosen by the test.
//! - [`gateways`]: `RecordingSms`, `RecordingEmail`, `RecordingTelephony`: record what was
//!   sent and fail on demand.
//! - [`contract`]: the storage contract, written once as `pub async fn` cases, and the
//!   [`store_contract_tests!`] macro that turns them into named tests for any adapter.
//! - [`dump`]: `StoreDump`, everything a store holds read back through its ports, to compare
//!   a copy with its source.
//! - [`fixtures`]: the seed flows (`MeetingFlow`, `SalesFlow`) with stable ids, and `World`.
//! - [`strategies`]: proptest strategies for publishable flows and walks through them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod contract;
pub mod dump;
pub mod fixtures;
pub mod gateways;
pub mod memory;
pub mod strategies;

pub use clock::{FixedClock, SequentialIds};
pub use dump::StoreDump;
pub use gateways::{
    DeliveredWebhook, RecordingEmail, RecordingSms, RecordingTelephony, RecordingWebhooks,
};
pub use memory::MemoryStore;
