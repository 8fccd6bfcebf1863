//! Calendars and meetings. An outcome that books a meeting creates one in a calendar chosen
//! per assignment. Decision (DOMAIN.md): a calendar refuses overlapping meetings unless it
//! allows them.

use crate::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, MeetingId, UserId,
};
use crate::values::Name;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// The id.
    pub id: CalendarId,
    /// The data owner whose assignments may book in it.
    pub data_owner: DataOwnerId,
    /// The name (a salesperson, a room).
    pub name: Name,
    /// Whether two meetings may overlap.
    pub allows_overlap: bool,
}

/// Physical or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MeetingKind {
    /// In person, at `place`.
    Physical,
    /// On a video platform, link in `place`.
    Video,
}

/// What a seller asks for when booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRequest {
    /// The calendar.
    pub calendar: CalendarId,
    /// Start (UTC).
    pub start: OffsetDateTime,
    /// End (UTC), after start.
    pub end: OffsetDateTime,
    /// Physical or video.
    pub kind: MeetingKind,
    /// Address or video link.
    pub place: Option<String>,
}

/// A booked meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    /// The id.
    pub id: MeetingId,
    /// The calendar.
    pub calendar: CalendarId,
    /// The assignment it was booked in.
    pub assignment: AssignmentId,
    /// The enrollment it was booked for.
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// Who booked it (`None` when booked by the system).
    pub booked_by: Option<UserId>,
    /// Start (UTC).
    pub start: OffsetDateTime,
    /// End (UTC).
    pub end: OffsetDateTime,
    /// Physical or video.
    pub kind: MeetingKind,
    /// Address or video link.
    pub place: Option<String>,
}

impl Meeting {
    /// Whether two meetings share any instant (touching end to start is not an overlap).
    pub fn overlaps(&self, start: OffsetDateTime, end: OffsetDateTime) -> bool {
        self.start < end && start < self.end
    }
}
