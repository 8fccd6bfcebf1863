//! Calendars and meetings. Calendars are few and scanned; meetings, which grow with the
//! work, are indexed by calendar and by assignment.

use super::{MAX, MIN, MemoryUnit, distinct, earliest, latest, sorted_by};
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, CalendarId, CustomerId, DataOwnerId, MeetingId};
use cube_domain::meeting::{Calendar, Meeting};
use cube_domain::ports::CalendarWrites;
use cube_domain::ports::{CalendarRepository, StoreError};
use cube_domain::ports::{RecordKind, UniqueRule};
use std::ops::Bound;
use time::OffsetDateTime;

#[async_trait]
impl CalendarRepository for MemoryUnit {
    async fn calendar(&mut self, id: CalendarId) -> Result<Option<Calendar>, StoreError> {
        Ok(self.data.calendars.get(&id).cloned())
    }

    async fn calendars(&mut self, owner: DataOwnerId) -> Result<Vec<Calendar>, StoreError> {
        let calendars = self
            .data
            .calendars
            .values()
            .filter(|c| c.data_owner == owner)
            .cloned()
            .collect();
        Ok(sorted_by(calendars, |c| (c.name.clone(), c.id)))
    }

    async fn meetings_in_calendar(
        &mut self,
        calendar: CalendarId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        // Every meeting starting before `to`, kept if it ends after `from`.
        let lower = (calendar, earliest(), MeetingId::from_uuid(MIN));
        let upper = (calendar, to, MeetingId::from_uuid(MIN));
        Ok(self
            .data
            .calendar_meetings
            .range(lower..upper)
            .filter_map(|(_, _, id)| self.data.meetings.get(id))
            .filter(|m| m.overlaps(from, to))
            .cloned()
            .collect())
    }

    async fn meetings(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        let mut found: Vec<&Meeting> = Vec::new();
        for assignment in distinct(assignments) {
            let lower = (assignment, from, MeetingId::from_uuid(MIN));
            let upper = (assignment, to, MeetingId::from_uuid(MIN));
            found.extend(
                self.data
                    .assignment_meetings
                    .range(lower..upper)
                    .filter_map(|(_, _, id)| self.data.meetings.get(id)),
            );
        }
        found.sort_by_key(|m| (m.start, m.id));
        Ok(found.into_iter().cloned().collect())
    }

    async fn meeting(&mut self, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
        Ok(self.data.meetings.get(&id).cloned())
    }

    async fn meetings_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<MeetingId>,
        limit: u32,
    ) -> Result<Vec<Meeting>, StoreError> {
        let from = match after.map(|id| self.data.meetings.get(&id)) {
            None => Bound::Included((assignment, earliest(), MeetingId::from_uuid(MIN))),
            Some(Some(m)) if m.assignment == assignment => {
                Bound::Excluded((assignment, m.start, m.id))
            }
            Some(_) => return Ok(Vec::new()),
        };
        let to = Bound::Included((assignment, latest(), MeetingId::from_uuid(MAX)));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .assignment_meetings
            .range((from, to))
            .filter_map(|(_, _, id)| self.data.meetings.get(id))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn meetings_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Meeting>, StoreError> {
        let meetings = self
            .data
            .meetings
            .values()
            .filter(|m| m.customer == customer)
            .cloned()
            .collect();
        Ok(sorted_by(meetings, |m| (m.start, m.id)))
    }
}

#[async_trait]
impl CalendarWrites for MemoryUnit {
    async fn save_calendar(&mut self, calendar: &Calendar) -> Result<(), StoreError> {
        self.put(|d| &mut d.calendars, calendar.id, calendar.clone());
        Ok(())
    }
    async fn insert_meeting(&mut self, meeting: &Meeting) -> Result<(), StoreError> {
        if self.data.meetings.contains_key(&meeting.id) {
            return Err(StoreError::Duplicate(UniqueRule::Id(RecordKind::Meeting)));
        }
        self.put(
            |d| &mut d.calendar_meetings,
            (meeting.calendar, meeting.start, meeting.id),
            (),
        );
        self.put(
            |d| &mut d.assignment_meetings,
            (meeting.assignment, meeting.start, meeting.id),
            (),
        );
        self.put(|d| &mut d.meetings, meeting.id, meeting.clone());
        Ok(())
    }
    async fn delete_meeting(&mut self, id: MeetingId) -> Result<(), StoreError> {
        let Some(meeting) = self.data.meetings.get(&id).cloned() else {
            return Err(StoreError::Conflict(format!("no meeting {id} to delete")));
        };
        self.take(
            |d| &mut d.calendar_meetings,
            (meeting.calendar, meeting.start, meeting.id),
        );
        self.take(
            |d| &mut d.assignment_meetings,
            (meeting.assignment, meeting.start, meeting.id),
        );
        self.take(|d| &mut d.meetings, meeting.id);
        Ok(())
    }
}
