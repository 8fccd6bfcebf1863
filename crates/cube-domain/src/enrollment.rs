//! The enrollment: a customer placed in an assignment — the "now" of that customer there
//! (state, segment, attempts, follow-up, reservation). The outcome log is the history; an
//! enrollment changes only by applying an outcome event, a reservation or a segment move.

use crate::flow::StateCategory;
use crate::ids::{AssignmentId, CustomerId, EnrollmentId, SegmentId, StateId, UserId};
use crate::outcome::{OutcomeClass, OutcomeEvent};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// A time to contact the customer again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// When it is due.
    pub due: OffsetDateTime,
    /// The seller it belongs to; `None` for a shared follow-up.
    pub owner: Option<UserId>,
}

impl FollowUp {
    /// Whether nobody owns it.
    pub fn is_shared(&self) -> bool {
        self.owner.is_none()
    }
    /// Whether it is due at `now` (due and not followed up: overdue once `now` is past it).
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.due <= now
    }
}

/// A customer handed out to a seller until a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The seller holding it.
    pub seller: UserId,
    /// When the lease runs out.
    pub until: OffsetDateTime,
}

/// Why a reservation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ReservationError {
    /// Another seller holds a live lease.
    #[error(
        "the customer is being worked by another seller until {}",
        crate::instant::shown(.0)
    )]
    HeldByAnother(OffsetDateTime),
    /// The customer is excluded from the work (wrong number, do not call).
    #[error("the customer is excluded and cannot be worked")]
    Excluded,
    /// The lease would end past the last representable time (a setup out of bounds).
    #[error("the lease is too long: set the assignment's lease to at most 24 hours")]
    LeaseOutOfRange,
}

/// Everything an enrollment holds, as plain data for storage adapters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentSnapshot {
    /// The id.
    pub id: EnrollmentId,
    /// The assignment.
    pub assignment: AssignmentId,
    /// The customer.
    pub customer: CustomerId,
    /// The current state.
    pub state: StateId,
    /// The current state's category.
    pub category: StateCategory,
    /// The segment.
    pub segment: Option<SegmentId>,
    /// NoAnswer + CallBackLater so far.
    pub attempts: u32,
    /// The last registered outcome's time.
    pub last_contact: Option<OffsetDateTime>,
    /// The pending follow-up.
    pub follow_up: Option<FollowUp>,
    /// The last outcome's time when that outcome was NoAnswer: the retry delay counts from
    /// it, with the assignment's current setting (`Enrollment::retry_at`). `None` once any
    /// other outcome follows.
    pub no_answer_at: Option<OffsetDateTime>,
    /// The live or lapsed reservation.
    pub reservation: Option<Reservation>,
    /// Import order within the assignment.
    pub sequence: u64,
    /// When it was enrolled.
    pub enrolled_at: OffsetDateTime,
}

/// A place in an assignment's import order — a sequence number and an enrollment id, the
/// order's two keys — to read the enrollments after it (`enrollments_after`). It is values,
/// not a reference to a row: the enrollment it was taken from may be gone (removed while an
/// export was between two pages) and the next page still starts exactly after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnrollmentCursor {
    /// The import-order number.
    pub sequence: u64,
    /// The enrollment id (orders enrollments of one sequence number).
    pub id: EnrollmentId,
}

/// A customer in an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EnrollmentSnapshot", into = "EnrollmentSnapshot")]
pub struct Enrollment(EnrollmentSnapshot);

impl From<EnrollmentSnapshot> for Enrollment {
    fn from(snapshot: EnrollmentSnapshot) -> Self {
        Self(snapshot)
    }
}

impl From<Enrollment> for EnrollmentSnapshot {
    fn from(enrollment: Enrollment) -> Self {
        enrollment.0
    }
}

impl Enrollment {
    /// A new enrollment in the flow's initial state (which is always `Available`).
    pub fn new(
        id: EnrollmentId,
        assignment: AssignmentId,
        customer: CustomerId,
        initial_state: StateId,
        segment: Option<SegmentId>,
        sequence: u64,
        now: OffsetDateTime,
    ) -> Self {
        Self(EnrollmentSnapshot {
            id,
            assignment,
            customer,
            state: initial_state,
            category: StateCategory::Available,
            segment,
            attempts: 0,
            last_contact: None,
            follow_up: None,
            no_answer_at: None,
            reservation: None,
            sequence,
            enrolled_at: now,
        })
    }

    /// The plain data.
    pub fn snapshot(&self) -> &EnrollmentSnapshot {
        &self.0
    }
    /// The id.
    pub fn id(&self) -> EnrollmentId {
        self.0.id
    }
    /// The assignment.
    pub fn assignment(&self) -> AssignmentId {
        self.0.assignment
    }
    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.0.customer
    }
    /// The current state.
    pub fn state(&self) -> StateId {
        self.0.state
    }
    /// The current state's category.
    pub fn category(&self) -> StateCategory {
        self.0.category
    }
    /// The segment.
    pub fn segment(&self) -> Option<SegmentId> {
        self.0.segment
    }
    /// Attempts so far.
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }
    /// When the customer was last contacted.
    pub fn last_contact(&self) -> Option<OffsetDateTime> {
        self.0.last_contact
    }
    /// The pending follow-up.
    pub fn follow_up(&self) -> Option<FollowUp> {
        self.0.follow_up
    }
    /// When the last outcome was NoAnswer, its time.
    pub fn no_answer_at(&self) -> Option<OffsetDateTime> {
        self.0.no_answer_at
    }
    /// Out of the pool until then: the last NoAnswer plus `retry_delay`, the assignment's
    /// setting now (a setup change applies at once, also to customers already waiting). A
    /// time past the last representable one is that last one.
    pub fn retry_at(&self, retry_delay: Duration) -> Option<OffsetDateTime> {
        self.0.no_answer_at.map(|at| {
            at.checked_add(retry_delay)
                .unwrap_or(PrimitiveDateTime::MAX.assume_utc())
        })
    }
    /// Import order.
    pub fn sequence(&self) -> u64 {
        self.0.sequence
    }
    /// Its place in the assignment's import order, to page on from.
    pub fn cursor(&self) -> EnrollmentCursor {
        EnrollmentCursor {
            sequence: self.0.sequence,
            id: self.0.id,
        }
    }
    /// When it was enrolled.
    pub fn enrolled_at(&self) -> OffsetDateTime {
        self.0.enrolled_at
    }

    /// The seller holding a live lease at `now`, if any.
    pub fn holder(&self, now: OffsetDateTime) -> Option<UserId> {
        self.0
            .reservation
            .filter(|r| r.until > now)
            .map(|r| r.seller)
    }

    /// The reservation as stored (it may have lapsed).
    pub fn reservation(&self) -> Option<Reservation> {
        self.0.reservation
    }

    /// Reserves the customer for `seller` for `lease` from `now`. A seller may renew their
    /// own lease; a live lease of another seller refuses, and so does an excluded customer.
    pub fn reserve(
        &mut self,
        seller: UserId,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Reservation, ReservationError> {
        if let Some(reservation) = self.0.reservation
            && reservation.until > now
            && reservation.seller != seller
        {
            return Err(ReservationError::HeldByAnother(reservation.until));
        }
        // Concluded customers (Yes, No) may still be taken by hand, e.g. for a second sale
        // (seed 003); the queue never hands them out. Excluded ones are out of the work.
        if self.0.category == StateCategory::Excluded {
            return Err(ReservationError::Excluded);
        }
        let until = now
            .checked_add(lease)
            .ok_or(ReservationError::LeaseOutOfRange)?;
        let reservation = Reservation { seller, until };
        self.0.reservation = Some(reservation);
        Ok(reservation)
    }

    /// Releases `seller`'s reservation. Returns whether there was one to release.
    pub fn release(&mut self, seller: UserId) -> bool {
        if self.0.reservation.is_some_and(|r| r.seller == seller) {
            self.0.reservation = None;
            true
        } else {
            false
        }
    }

    /// Gives the pending follow-up a new time or owner (`crate::my_work::move_follow_up`
    /// checks who may, and how).
    pub(crate) fn reschedule(&mut self, follow_up: FollowUp) {
        self.0.follow_up = Some(follow_up);
    }

    /// Moves the enrollment to a segment (bulk work); `None` takes it out of any segment.
    pub fn move_to_segment(&mut self, segment: Option<SegmentId>) {
        self.0.segment = segment;
    }

    /// Moves to another flow's state when the assignment switches flows. The follow-up and
    /// attempts are kept; the history stays in the log.
    pub fn remap_state(&mut self, state: StateId, category: StateCategory) {
        self.0.state = state;
        self.0.category = category;
    }

    /// Applies one outcome event: the only way the state and attempts change, and the way a
    /// follow-up is set (`crate::my_work::move_follow_up` only moves a pending one).
    /// The new follow-up replaces the old one (a follow-up ends when a new outcome is
    /// registered), and the reservation is released.
    pub fn apply(&mut self, event: &OutcomeEvent) {
        let s = &mut self.0;
        s.state = event.to_state();
        s.category = event.to_category();
        if event.class().is_attempt() {
            s.attempts = s.attempts.saturating_add(1);
        }
        if event.class() != OutcomeClass::External {
            s.last_contact = Some(event.occurred_at());
        }
        s.follow_up = event.follow_up();
        s.no_answer_at = (event.class() == OutcomeClass::NoAnswer).then_some(event.occurred_at());
        s.reservation = None;
    }

    /// Rebuilds the current state from a fresh enrollment and its log, oldest first.
    pub fn replay<'a>(mut self, events: impl IntoIterator<Item = &'a OutcomeEvent>) -> Self {
        for event in events {
            self.apply(event);
        }
        self
    }
}
