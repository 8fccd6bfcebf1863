//! Calendars and the meetings in them beyond booking (seed 000 item 6, seed 001 "Møter"): a
//! manager edits a calendar (name, overlap, opening hours, open or closed); a seller
//! booking sees a day's free slots without reading the managers' meeting report; a meeting
//! is cancelled or moved, and the customer's history keeps the booking and the change.

use crate::setup::{managed_owner, not_found_as};
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::access::{self, Permission, Role, User};
use cube_domain::customer::{Change, CustomerChange};
use cube_domain::ids::{CalendarId, MeetingId};
use cube_domain::meeting::{
    self, Calendar, CalendarError, DayPlan, Meeting, OpeningPeriod, day_plan,
};
use cube_domain::ports::ReadUnit;
use cube_domain::values::Name;
use time::{Date, Duration, OffsetDateTime};

/// A calendar's settings, as a manager edits them (every field given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEdit {
    /// The name.
    pub name: String,
    /// Whether meetings may overlap.
    pub allows_overlap: bool,
    /// When it takes meetings, in the organisation's time zone; empty: at any time.
    pub opening_hours: Vec<OpeningPeriod>,
    /// Whether new meetings may be booked in it.
    pub active: bool,
}

/// The longest free slot a day plan is asked for: a working day.
pub const MAX_SLOT: Duration = Duration::hours(24);

impl Cube {
    /// Edits a calendar of a data owner the user manages. Its meetings stay as they are: a
    /// closed calendar or new opening hours refuse new bookings and moves, never old ones.
    pub async fn edit_calendar(
        &self,
        who: impl Into<Acting<'_>>,
        id: CalendarId,
        edit: CalendarEdit,
    ) -> AppResult<Calendar> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut calendar = uow
            .calendar(id)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
        managed_owner(uow.as_mut(), &user, calendar.data_owner, today)
            .await
            .map_err(|e| not_found_as(e, "calendar"))?;
        calendar.name = Name::parse(&edit.name)?;
        calendar.allows_overlap = edit.allows_overlap;
        calendar.opening_hours = meeting::check_opening_hours(edit.opening_hours)?;
        calendar.active = edit.active;
        uow.save_calendar(&calendar).await?;
        uow.commit().await?;
        Ok(calendar)
    }

    /// A calendar's local day `day` (today in the organisation's time zone when `None`) for
    /// booking: when it is open, when it is taken, and the
    /// free slots of at least `min_minutes` (0 to [`MAX_SLOT`]). For whoever may read the
    /// calendar view: admins, the data owner's managers, and sellers who may work an
    /// assignment that books in it.
    pub async fn calendar_day(
        &self,
        who: impl Into<Acting<'_>>,
        id: CalendarId,
        day: Option<Date>,
        min_minutes: i64,
    ) -> AppResult<(Date, DayPlan)> {
        if !(0..=MAX_SLOT.whole_minutes()).contains(&min_minutes) {
            return Err(CalendarError::SlotLength {
                max: MAX_SLOT.whole_minutes(),
                got: min_minutes,
            }
            .into());
        }
        let min_length = Duration::minutes(min_minutes);
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let calendar = self
            .calendar_to_book_in(uow.as_mut(), &user, id, now)
            .await?;
        let zone = self.zones.of(uow.as_mut(), user.organisation).await?;
        let day = day.unwrap_or_else(|| zone.date_of(now));
        let (start, end) = zone.day(day);
        // The years the domain keeps times in (a day in year -1 or 9999 has no meetings
        // and cannot be written as RFC 3339 everywhere).
        cube_domain::time_bounds::checked_time("date", start)?;
        cube_domain::time_bounds::checked_time("date", end)?;
        let meetings = uow.meetings_in_calendar(id, start, end).await?;
        Ok((day, day_plan(&calendar, &meetings, day, &zone, min_length)))
    }

    /// The calendar `id` if `user` may see when it is taken: admins and the managers of its
    /// data owner, and sellers who may work an assignment that offers it (they book in it);
    /// clients may not. Another organisation's calendar is not found.
    pub(crate) async fn calendar_to_book_in(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        id: CalendarId,
        now: OffsetDateTime,
    ) -> AppResult<Calendar> {
        let today = self.today_of(uow, user.organisation, now).await?;
        let calendar = uow
            .calendar(id)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        match managed_owner(uow, user, calendar.data_owner, today).await {
            Ok(_) => Ok(calendar),
            Err(AppError::Forbidden) if user.role == Role::Seller => {
                let books_in_it = uow
                    .assignments(user.organisation)
                    .await?
                    .iter()
                    .filter(|a| a.setup().calendars.contains(&calendar.id))
                    .any(|a| access::authorize(user, Permission::WorkAssignment(a), today).is_ok());
                if books_in_it {
                    Ok(calendar)
                } else {
                    Err(AppError::Forbidden)
                }
            }
            Err(error) => Err(not_found_as(error, "calendar")),
        }
    }

    /// Cancels a meeting that has not ended: the seller who booked it, or a manager or admin
    /// of its assignment. It leaves the calendar (the time is free again); the customer's
    /// history keeps the booking and records the cancellation.
    pub async fn cancel_meeting(
        &self,
        who: impl Into<Acting<'_>>,
        id: MeetingId,
    ) -> AppResult<CustomerChange> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let booked = self.meeting_to_change(uow.as_mut(), &user, id, now).await?;
        meeting::check_change(&user, &booked, now)?;
        let change = CustomerChange {
            customer: booked.customer,
            user: user.id,
            at: now,
            what: Change::MeetingCancelled {
                meeting: booked.id,
                start: booked.start,
                end: booked.end,
            },
        };
        uow.delete_meeting(booked.id).await?;
        uow.record_customer_change(&change).await?;
        uow.commit().await?;
        Ok(change)
    }

    /// Moves a meeting that has not ended to `[start, end)` under the rules of booking (the
    /// calendar open, inside its opening hours, no overlap unless allowed, in the future):
    /// the seller who booked it, or a manager or admin of its assignment. The customer's
    /// history keeps the booking and records the move.
    pub async fn move_meeting(
        &self,
        who: impl Into<Acting<'_>>,
        id: MeetingId,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> AppResult<Meeting> {
        let now = self.now();
        let start =
            cube_domain::time_bounds::checked_time("start", cube_domain::instant::truncate(start))?;
        let end =
            cube_domain::time_bounds::checked_time("end", cube_domain::instant::truncate(end))?;
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let booked = self.meeting_to_change(uow.as_mut(), &user, id, now).await?;
        let calendar = uow
            .calendar(booked.calendar)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        let others = if end > start {
            uow.meetings_in_calendar(calendar.id, start, end).await?
        } else {
            Vec::new()
        };
        let zone = self.zones.of(uow.as_mut(), user.organisation).await?;
        let moved = meeting::moved(&user, &booked, &calendar, &others, (start, end), &zone, now)?;
        if (moved.start, moved.end) == (booked.start, booked.end) {
            // Nothing moves: nothing to write or record.
            return Ok(booked);
        }
        uow.delete_meeting(booked.id).await?;
        uow.insert_meeting(&moved).await?;
        uow.record_customer_change(&CustomerChange {
            customer: booked.customer,
            user: user.id,
            at: now,
            what: Change::MeetingMoved {
                meeting: booked.id,
                from_start: booked.start,
                from_end: booked.end,
                to_start: moved.start,
                to_end: moved.end,
            },
        })
        .await?;
        uow.commit().await?;
        Ok(moved)
    }

    /// The meeting `id`, if `user` may work (or manage) the assignment it was booked in.
    async fn meeting_to_change(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        id: MeetingId,
        now: OffsetDateTime,
    ) -> AppResult<Meeting> {
        let booked = uow
            .meeting(id)
            .await?
            .ok_or(AppError::NotFound("meeting"))?;
        self.assignment_for(uow, user, booked.assignment, Need::Work, now)
            .await
            .map_err(|e| not_found_as(e, "meeting"))?;
        Ok(booked)
    }
}
