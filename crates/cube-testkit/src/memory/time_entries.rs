//! Time entries: hours per user per assignment.

use super::{MemoryUnit, distinct, sorted_by};
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, TimeEntryId, UserId};
use cube_domain::ports::TimeEntryWrites;
use cube_domain::ports::{StoreError, TimeEntryRepository};
use cube_domain::time_entry::TimeEntry;
use time::OffsetDateTime;

#[async_trait]
impl TimeEntryRepository for MemoryUnit {
    async fn running_time_entry(&mut self, user: UserId) -> Result<Option<TimeEntry>, StoreError> {
        Ok(self
            .data
            .time_entries
            .values()
            .filter(|e| e.user() == user && e.is_running())
            .min_by_key(|e| (e.starts_at(), e.id()))
            .cloned())
    }

    async fn time_entries(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let wanted = distinct(assignments);
        let entries = self
            .data
            .time_entries
            .values()
            .filter(|e| wanted.contains(&e.assignment()))
            .filter(|e| e.starts_at() < to && e.ends_at().is_none_or(|end| end > from))
            .cloned()
            .collect();
        Ok(sorted_by(entries, |e: &TimeEntry| (e.starts_at(), e.id())))
    }

    async fn user_time_entries_overlapping(
        &mut self,
        user: UserId,
        from: OffsetDateTime,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        let entries = self
            .data
            .time_entries
            .values()
            .filter(|e| e.user() == user && e.overlaps(from, to))
            .cloned()
            .collect();
        Ok(sorted_by(entries, |e: &TimeEntry| (e.starts_at(), e.id())))
    }

    async fn time_entries_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<TimeEntryId>,
        limit: u32,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        // A small table, scanned and sorted.
        let cursor = match after.map(|id| self.data.time_entries.get(&id)) {
            None => None,
            Some(Some(entry)) if entry.assignment() == assignment => {
                Some((entry.starts_at(), entry.id()))
            }
            Some(_) => return Ok(Vec::new()),
        };
        let entries = self
            .data
            .time_entries
            .values()
            .filter(|e| e.assignment() == assignment)
            .filter(|e| cursor.is_none_or(|cursor| (e.starts_at(), e.id()) > cursor))
            .cloned()
            .collect();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut entries = sorted_by(entries, |e: &TimeEntry| (e.starts_at(), e.id()));
        entries.truncate(limit);
        Ok(entries)
    }
}

#[async_trait]
impl TimeEntryWrites for MemoryUnit {
    async fn save_time_entry(&mut self, entry: &TimeEntry) -> Result<(), StoreError> {
        self.put(|d| &mut d.time_entries, entry.id(), entry.clone());
        Ok(())
    }
}
