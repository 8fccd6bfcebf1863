//! Time tracking: a user's hours on an assignment, started and stopped, or entered by hand.
//! Performance per hour is measured against these.

use crate::error::TimeTrackingError;
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::ids::{AssignmentId, UserId};
use cube_domain::instant;
use cube_domain::time_entry::TimeEntry;
use time::OffsetDateTime;

impl Cube {
    /// Starts the clock on an assignment; a clock running elsewhere is stopped first.
    pub async fn start_time(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
    ) -> AppResult<TimeEntry> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        self.assignment_for(uow.as_mut(), &user, assignment_id, Need::Work, now)
            .await?;
        if let Some(mut running) = uow.running_time_entry(user.id).await? {
            if running.assignment() == assignment_id {
                return Ok(running);
            }
            running.stop(now)?;
            uow.save_time_entry(&running).await?;
        }
        let entry = TimeEntry::start(self.new_id(), user.id, assignment_id, now);
        let others = uow
            .user_time_entries_overlapping(user.id, entry.starts_at(), entry.ends_at())
            .await?;
        entry.check_no_overlap(&others)?;
        uow.save_time_entry(&entry).await?;
        uow.commit().await?;
        Ok(entry)
    }

    /// Stops the user's running clock.
    pub async fn stop_time(&self, who: impl Into<Acting<'_>>) -> AppResult<TimeEntry> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut entry = uow
            .running_time_entry(user.id)
            .await?
            .ok_or(TimeTrackingError::NoClockRunning)?;
        entry.stop(now)?;
        uow.save_time_entry(&entry).await?;
        uow.commit().await?;
        Ok(entry)
    }

    /// Registers finished hours by hand (for oneself, or for anyone as a manager).
    pub async fn add_time(
        &self,
        who: impl Into<Acting<'_>>,
        user_id: UserId,
        assignment_id: AssignmentId,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> AppResult<TimeEntry> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let permission = if user_id == user.id {
            Need::Work
        } else {
            Need::Manage
        };
        self.assignment_for(uow.as_mut(), &user, assignment_id, permission, now)
            .await?;
        let worker = uow
            .user(user_id)
            .await?
            .filter(|u| u.organisation == user.organisation)
            .ok_or(AppError::NotFound("user"))?;
        if end > now {
            return Err(TimeTrackingError::InTheFuture.into());
        }
        // The domain's precision (whole microseconds), so every store holds the same times.
        let (start, end) = (instant::truncate(start), instant::truncate(end));
        let entry = TimeEntry::manual(self.new_id(), worker.id, assignment_id, start, end)?;
        // One user's hours never overlap (issue 21: 14:05–16:05 and 14:05–15:05 counted 3
        // hours), read in this unit of work, which writes the entry.
        let others = uow
            .user_time_entries_overlapping(worker.id, entry.starts_at(), entry.ends_at())
            .await?;
        entry.check_no_overlap(&others)?;
        uow.save_time_entry(&entry).await?;
        uow.commit().await?;
        Ok(entry)
    }
}
