//! Calls sellers started: by id, with the provider's call ids beside them.

use super::MemoryUnit;
use async_trait::async_trait;
use cube_domain::call::Call;
use cube_domain::ids::{AssignmentId, CallId, EnrollmentId};
use cube_domain::ports::{CallRepository, CallWrites, StoreError, UniqueRule};
use time::OffsetDateTime;

#[async_trait]
impl CallRepository for MemoryUnit {
    async fn call(&mut self, id: CallId) -> Result<Option<Call>, StoreError> {
        Ok(self.data.calls.get(&id).cloned())
    }

    async fn call_by_provider_id(&mut self, provider_id: &str) -> Result<Option<Call>, StoreError> {
        Ok(self
            .data
            .calls
            .values()
            .find(|c| c.provider_id.as_deref() == Some(provider_id))
            .cloned())
    }

    async fn calls_of(&mut self, enrollment: EnrollmentId) -> Result<Vec<Call>, StoreError> {
        let mut calls: Vec<Call> = self
            .data
            .calls
            .values()
            .filter(|c| c.enrollment == enrollment)
            .cloned()
            .collect();
        calls.sort_by_key(|c| (c.started_at, c.id));
        Ok(calls)
    }

    async fn calls_in(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Call>, StoreError> {
        let mut calls: Vec<Call> = self
            .data
            .calls
            .values()
            .filter(|c| {
                assignments.contains(&c.assignment) && c.started_at >= from && c.started_at < to
            })
            .cloned()
            .collect();
        calls.sort_by_key(|c| (c.started_at, c.id));
        Ok(calls)
    }

    async fn calls_after(
        &mut self,
        after: Option<CallId>,
        limit: u32,
    ) -> Result<Vec<Call>, StoreError> {
        let mut calls: Vec<Call> = self
            .data
            .calls
            .values()
            .filter(|c| after.is_none_or(|after| c.id > after))
            .cloned()
            .collect();
        calls.sort_by_key(|c| c.id);
        calls.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(calls)
    }
}

#[async_trait]
impl CallWrites for MemoryUnit {
    async fn save_call(&mut self, call: &Call) -> Result<(), StoreError> {
        if let Some(provider_id) = call.provider_id.as_deref()
            && self
                .data
                .calls
                .values()
                .any(|c| c.id != call.id && c.provider_id.as_deref() == Some(provider_id))
        {
            return Err(StoreError::Duplicate(UniqueRule::CallProviderId));
        }
        self.put(|d| &mut d.calls, call.id, call.clone());
        Ok(())
    }
}
