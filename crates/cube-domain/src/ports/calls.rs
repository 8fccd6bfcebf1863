//! Calls through the ports: where the calls sellers start are kept (`crate::call`), so the
//! PBX's events find them, the customer's history shows them and the performance report
//! counts them.

use crate::call::Call;
use crate::ids::{AssignmentId, CallId, EnrollmentId};
use crate::ports::StoreError;
use async_trait::async_trait;
use time::OffsetDateTime;

/// The calls sellers started.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CallRepository: Send {
    /// One call.
    async fn call(&mut self, id: CallId) -> Result<Option<Call>, StoreError>;
    /// The call the PBX knows by `provider_id`, if any (its events name it so).
    async fn call_by_provider_id(&mut self, provider_id: &str) -> Result<Option<Call>, StoreError>;
    /// Every call to the customer of an enrollment, by start time then id: what the
    /// customer's history shows beside the outcomes.
    async fn calls_of(&mut self, enrollment: EnrollmentId) -> Result<Vec<Call>, StoreError>;
    /// Every call of `assignments` started in `[from, to)`, by start time then id: what the
    /// performance report counts (`reports::calls_by_user`). MUST equal the calls whose
    /// `assignment` is one of `assignments` and whose `started_at` is in the window — erased
    /// ones too (`Call::erased`), whatever became of their enrollments.
    async fn calls_in(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Call>, StoreError>;
    /// Up to `limit` calls of the whole store by id, after the call `after` (`None`: from the
    /// first): what copying a store reads.
    async fn calls_after(
        &mut self,
        after: Option<CallId>,
        limit: u32,
    ) -> Result<Vec<Call>, StoreError>;
}

/// The writes of [`CallRepository`]: only a [`UnitOfWork`](crate::ports::UnitOfWork) has them.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CallWrites: Send {
    /// Inserts a call or replaces the one with its id. MUST return
    /// `Duplicate(UniqueRule::CallProviderId)` when another call has its `provider_id` (the
    /// PBX never gives two calls one id: a second is a bug, never silently merged).
    /// An erasure saves each call `Call::erased` (no number, no PBX id): it stays for the
    /// reports, and `call_by_provider_id` finds it no more.
    async fn save_call(&mut self, call: &Call) -> Result<(), StoreError>;
}
