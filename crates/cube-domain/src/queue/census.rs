//! "Why is my queue empty?": for a seller in an assignment at an instant, why each
//! enrollment is or is not theirs to take next ([`reason`], the same rules as
//! [`super::tier`]), and the assignment counted by those reasons with the earliest instant
//! each waiting group comes back ([`QueueCensus`]). A seller told "nobody now" learns that
//! twelve customers rest after a No answer until 10:15 and three follow-ups fall due from
//! 13:00, instead of a bare empty answer.

use super::{Tier, tier};
use crate::assignment::setup::AssignmentSetup;
use crate::contact_policy::standing::{Barred, ContactGate};
use crate::enrollment::Enrollment;
use crate::flow::StateCategory;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Why an enrollment is or is not the seller's to take now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Reason {
    /// Theirs to take now, in this tier.
    Ready(Tier),
    /// Theirs by the assignment's rules, but the contact policy forbids calling the
    /// customer now.
    Barred(Barred),
    /// Another seller holds it until then.
    HeldByAnother {
        /// When the other seller's lease ends.
        until: OffsetDateTime,
    },
    /// It rests after a No answer until then (the assignment's retry delay).
    Resting {
        /// When the rest ends.
        until: OffsetDateTime,
    },
    /// A follow-up the seller may take falls due then (their own, or a shared one).
    FollowUpLater {
        /// When it is due.
        due: OffsetDateTime,
    },
    /// Another seller's personal follow-up: theirs to call.
    AnothersFollowUp,
    /// It has had the assignment's most call attempts (`max_attempts`).
    AttemptsUsed,
    /// Its state is not one to call from (open, yes or no) and no follow-up is pending.
    Concluded(StateCategory),
    /// Excluded (a do-not-call state): never handed out.
    Excluded,
}

/// Why `enrollment` is or is not `seller`'s to take at `now` under `setup`, its customer
/// `barred` or not by the contact policy. Ready exactly when [`super::tier`] gives a tier and
/// the policy bars nothing; barred when the tier is given but the policy bars the customer.
/// Otherwise the assignment's own reason (held by another, resting, a follow-up later…),
/// except that a lasting bar (the do-not-call list, a reservation) is named instead of one
/// that passes with time: that customer will not be called when it does.
pub fn reason(
    setup: &AssignmentSetup,
    enrollment: &Enrollment,
    barred: Option<Barred>,
    seller: UserId,
    now: OffsetDateTime,
) -> Reason {
    if let Some(tier) = tier(setup, enrollment, seller, now) {
        return match barred {
            Some(barred) => Reason::Barred(barred),
            None => Reason::Ready(tier),
        };
    }
    if enrollment.category() == StateCategory::Excluded {
        return Reason::Excluded;
    }
    match waiting(setup, enrollment, seller, now) {
        Reason::Concluded(category) => Reason::Concluded(category),
        waiting => match barred {
            Some(lasting) if lasting.is_lasting() => Reason::Barred(lasting),
            _ => waiting,
        },
    }
}

/// Why an enrollment the assignment's rules do not hand to `seller` now waits (or is
/// concluded).
fn waiting(
    setup: &AssignmentSetup,
    enrollment: &Enrollment,
    seller: UserId,
    now: OffsetDateTime,
) -> Reason {
    if let (Some(holder), Some(lease)) = (enrollment.holder(now), enrollment.reservation())
        && holder != seller
    {
        return Reason::HeldByAnother { until: lease.until };
    }
    match enrollment.follow_up() {
        Some(follow_up) if follow_up.owner.is_some_and(|owner| owner != seller) => {
            Reason::AnothersFollowUp
        }
        Some(follow_up) => Reason::FollowUpLater { due: follow_up.due },
        None if enrollment.category() == StateCategory::Available
            && !setup.attempts_left(enrollment.attempts()) =>
        {
            Reason::AttemptsUsed
        }
        None => match enrollment.retry_at(setup.retry_delay) {
            Some(until) if until > now && enrollment.category() == StateCategory::Available => {
                Reason::Resting { until }
            }
            _ => Reason::Concluded(enrollment.category()),
        },
    }
}

/// A count, and the earliest instant one of them comes back (for the waiting groups).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// How many.
    pub count: u64,
    /// The earliest instant one of them is the seller's again.
    pub first: Option<OffsetDateTime>,
}

impl Waiting {
    fn add(&mut self, at: OffsetDateTime) {
        self.count += 1;
        self.first = Some(self.first.map_or(at, |first| first.min(at)));
    }
}

/// An assignment's enrollments counted by [`reason`] for one seller at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCensus {
    /// The seller's to take now (held, due follow-ups, the ready pool).
    pub ready: u64,
    /// Held by other sellers; `first`: the earliest lease end.
    pub held_by_others: Waiting,
    /// Resting after a No answer; `first`: the earliest end of a rest.
    pub resting: Waiting,
    /// Follow-ups the seller may take, not yet due; `first`: the earliest due.
    pub follow_ups_later: Waiting,
    /// Other sellers' personal follow-ups.
    pub others_follow_ups: u64,
    /// In an open, yes or no state without a pending follow-up.
    pub concluded: u64,
    /// Excluded.
    pub excluded: u64,
    /// Available, but they have had the assignment's most call attempts.
    pub attempts_used: u64,
    /// On the data owner's do-not-call list (and not concluded or excluded).
    pub do_not_call: u64,
    /// Consumers reserved in the register without an exemption (and not concluded or
    /// excluded).
    pub reserved: u64,
    /// Otherwise ready consumers no consumer may be called now (outside the call windows:
    /// `first` is when they open; or the register not washed this month: no `first`).
    pub consumers_closed: Waiting,
    /// Otherwise ready consumers not checked against the register this month.
    pub not_checked: u64,
    /// Otherwise ready, but called as often today as the data owner allows; `first`: when
    /// the next day starts.
    pub daily_cap: Waiting,
}

impl QueueCensus {
    /// Counts `enrollments`, each with what the contact policy says of its customer, for
    /// `seller` at `now`.
    pub fn of<'a>(
        setup: &AssignmentSetup,
        enrollments: impl IntoIterator<Item = (&'a Enrollment, Option<Barred>)>,
        seller: UserId,
        now: OffsetDateTime,
    ) -> Self {
        let mut census = QueueCensus::default();
        for (enrollment, barred) in enrollments {
            census.count(reason(setup, enrollment, barred, seller, now));
        }
        census
    }

    /// Adds one enrollment's reason.
    pub fn count(&mut self, reason: Reason) {
        match reason {
            Reason::Ready(_) => self.ready += 1,
            Reason::HeldByAnother { until } => self.held_by_others.add(until),
            Reason::Resting { until } => self.resting.add(until),
            Reason::FollowUpLater { due } => self.follow_ups_later.add(due),
            Reason::AnothersFollowUp => self.others_follow_ups += 1,
            Reason::Concluded(_) => self.concluded += 1,
            Reason::Excluded => self.excluded += 1,
            Reason::AttemptsUsed => self.attempts_used += 1,
            Reason::Barred(Barred::DoNotCall) => self.do_not_call += 1,
            Reason::Barred(Barred::Reserved) => self.reserved += 1,
            Reason::Barred(Barred::CallWindow { opens, .. }) => match opens {
                Some(opens) => self.consumers_closed.add(opens),
                None => self.consumers_closed.count += 1,
            },
            Reason::Barred(Barred::RegisterStale { .. }) => self.consumers_closed.count += 1,
            Reason::Barred(Barred::NotChecked) => self.not_checked += 1,
            Reason::Barred(Barred::DailyCap { until, .. }) => self.daily_cap.add(until),
        }
    }

    /// The `daily_cap` group a store counted in its own query language: `count` customers,
    /// coming back when the gate's day ends.
    pub fn daily_capped(count: u64, gate: &ContactGate) -> Waiting {
        Waiting {
            count,
            first: gate.daily_cap.filter(|_| count > 0).map(|cap| cap.until),
        }
    }

    /// The `consumers_closed` group a store counted in its own query language: `count`
    /// customers, coming back when `gate` says calling consumers opens.
    pub fn consumers_closed(count: u64, gate: &ContactGate) -> Waiting {
        let first = match gate.consumers {
            Some(Barred::CallWindow { opens, .. }) if count > 0 => opens,
            _ => None,
        };
        Waiting { count, first }
    }

    /// The earliest instant a customer who is not ready now becomes the seller's to take
    /// (a lease ending, a rest ending, a follow-up falling due, the call window opening),
    /// if any will.
    pub fn next_at(&self) -> Option<OffsetDateTime> {
        [
            self.held_by_others.first,
            self.resting.first,
            self.follow_ups_later.first,
            self.consumers_closed.first,
            self.daily_cap.first,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Every enrollment counted.
    pub fn total(&self) -> u64 {
        self.ready
            + self.held_by_others.count
            + self.resting.count
            + self.follow_ups_later.count
            + self.others_follow_ups
            + self.concluded
            + self.excluded
            + self.attempts_used
            + self.do_not_call
            + self.reserved
            + self.consumers_closed.count
            + self.not_checked
            + self.daily_cap.count
    }
}
