//! "Next customer": which enrollment a seller is handed, as a pure function over candidates.
//! The order (DOMAIN.md, decision 0003): first a customer the seller already
//! holds (a live lease: a crashed browser resumes where it was); then the seller's own due
//! personal follow-ups, then due shared follow-ups, oldest first, whatever the state's
//! category (a due follow-up is work, also on a Yes customer); then available enrollments by
//! the assignment's priority rules. Never an excluded customer, never one reserved by
//! another seller, never one whose retry delay (counted from the last NoAnswer with the
//! assignment's current setting) has not run out, never one from the pool who has had the
//! setup's most attempts, never one the contact policy bars now
//! (`contact_policy::standing::ContactGate`: the do-not-call list, the reservation register,
//! consumers outside the call windows).
//! Storage adapters implement the same order in their own query language; the contract
//! suite checks they agree with this module. [`census`] tells why the others are not next.

pub mod census;

use crate::assignment::setup::{AssignmentSetup, Direction, PriorityRule};
use crate::contact_policy::standing::Barred;
use crate::enrollment::Enrollment;
use crate::fields::FieldValues;
use crate::flow::StateCategory;
use crate::ids::UserId;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use time::OffsetDateTime;

/// Why an enrollment is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    /// The seller already holds a live lease on it: handed back, the lease renewed.
    Held,
    /// The seller's own personal follow-up is due.
    PersonalFollowUp,
    /// A shared follow-up is due.
    SharedFollowUp,
    /// An available customer from the pool.
    Pool,
}

/// The tier of `enrollment` for `seller` at `now` under `setup`, or `None` if it must not be
/// handed out.
pub fn tier(
    setup: &AssignmentSetup,
    enrollment: &Enrollment,
    seller: UserId,
    now: OffsetDateTime,
) -> Option<Tier> {
    // An excluded customer cannot be reserved (`Enrollment::reserve` refuses it), so it is
    // never handed out, even when a follow-up was scheduled on it.
    if enrollment.category() == StateCategory::Excluded {
        return None;
    }
    match enrollment.holder(now) {
        Some(holder) if holder == seller => return Some(Tier::Held),
        Some(_) => return None,
        None => {}
    }
    match enrollment.follow_up() {
        Some(follow_up) if !follow_up.is_due(now) => None,
        Some(follow_up) => match follow_up.owner {
            Some(owner) if owner == seller => Some(Tier::PersonalFollowUp),
            Some(_) => None,
            None => Some(Tier::SharedFollowUp),
        },
        None => {
            let ready = enrollment
                .retry_at(setup.retry_delay)
                .is_none_or(|at| at <= now);
            (enrollment.category() == StateCategory::Available
                && ready
                && setup.attempts_left(enrollment.attempts()))
            .then_some(Tier::Pool)
        }
    }
}

/// A candidate: an enrollment, its customer's CRM field values (for field rules), and what
/// the contact policy says of calling its customer now (`ContactGate::barred`).
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The enrollment.
    pub enrollment: &'a Enrollment,
    /// The customer's custom field values.
    pub fields: &'a FieldValues,
    /// Why the contact policy forbids calling the customer now; `None` when it allows it.
    pub barred: Option<Barred>,
}

/// Orders two candidates of the same tier: held ones by the end of their lease (soonest
/// first), follow-ups by due time (oldest first), the pool by the priority rules; import
/// order, then the enrollment id, break every tie.
pub fn compare(
    setup: &AssignmentSetup,
    tier: Tier,
    a: &Candidate<'_>,
    b: &Candidate<'_>,
) -> Ordering {
    let by_rules = match tier {
        Tier::Held => {
            let until = |c: &Candidate<'_>| c.enrollment.reservation().map(|r| r.until);
            until(a).cmp(&until(b))
        }
        Tier::PersonalFollowUp | Tier::SharedFollowUp => {
            let due = |c: &Candidate<'_>| c.enrollment.follow_up().map(|f| f.due);
            due(a).cmp(&due(b))
        }
        Tier::Pool => setup
            .priority
            .iter()
            .map(|rule| compare_by_rule(setup, rule, a, b))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
    };
    by_rules
        .then_with(|| a.enrollment.sequence().cmp(&b.enrollment.sequence()))
        .then_with(|| a.enrollment.id().cmp(&b.enrollment.id()))
}

fn compare_by_rule(
    setup: &AssignmentSetup,
    rule: &PriorityRule,
    a: &Candidate<'_>,
    b: &Candidate<'_>,
) -> Ordering {
    let (ea, eb) = (a.enrollment, b.enrollment);
    match rule {
        PriorityRule::SegmentOrder => setup
            .segment_rank(ea.segment())
            .cmp(&setup.segment_rank(eb.segment())),
        PriorityRule::Field(key, direction) => match (a.fields.get(key), b.fields.get(key)) {
            (Some(x), Some(y)) => match direction {
                Direction::Ascending => x.cmp(y),
                Direction::Descending => y.cmp(x),
            },
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        PriorityRule::FewestAttempts => ea.attempts().cmp(&eb.attempts()),
        // `None` (never contacted) sorts before any time, which is what we want.
        PriorityRule::LongestSinceLastContact => ea.last_contact().cmp(&eb.last_contact()),
        PriorityRule::ImportOrder => ea.sequence().cmp(&eb.sequence()),
    }
}

/// The enrollment to hand `seller` next, with its tier, or `None` when nothing is ready.
/// Never a candidate the contact policy bars, in any tier (a held customer is not handed
/// back after the call window closed). One pass over the candidates; no sorting of the
/// whole pool.
///
/// ```
/// use cube_domain::assignment::setup::AssignmentSetup;
/// use cube_domain::enrollment::Enrollment;
/// use cube_domain::fields::FieldValues;
/// use cube_domain::flow::seeds::SalesFlow;
/// use cube_domain::ids::{AssignmentId, CustomerId, EnrollmentId, UserId};
/// use cube_domain::queue::{Candidate, Tier, select_next};
/// use time::macros::datetime;
/// use uuid::Uuid;
///
/// let now = datetime!(2026-03-02 09:00 UTC);
/// let assignment = AssignmentId::from_uuid(Uuid::from_u128(1));
/// let enrollment = |n: u64| {
///     let id = EnrollmentId::from_uuid(Uuid::from_u128(100 + u128::from(n)));
///     let customer = CustomerId::from_uuid(Uuid::from_u128(200 + u128::from(n)));
///     Enrollment::new(id, assignment, customer, SalesFlow::TO_CALL, None, n, now)
/// };
/// let mut enrollments = vec![enrollment(3), enrollment(1), enrollment(2)];
/// let seller = UserId::from_uuid(Uuid::from_u128(7));
/// let setup = AssignmentSetup::default();
///
/// // The pool in import order (the default rules): the customer imported first.
/// let fields = FieldValues::new();
/// let candidates = enrollments.iter().map(|enrollment| Candidate { enrollment, fields: &fields, barred: None });
/// let (next, tier) = select_next(&setup, seller, now, candidates).expect("someone is ready");
/// assert_eq!((next.enrollment.sequence(), tier), (1, Tier::Pool));
///
/// // A customer the seller holds comes back first (a crashed browser resumes).
/// enrollments[2].reserve(seller, now, setup.lease).expect("free to take");
/// let candidates = enrollments.iter().map(|enrollment| Candidate { enrollment, fields: &fields, barred: None });
/// let (next, tier) = select_next(&setup, seller, now, candidates).expect("someone is ready");
/// assert_eq!((next.enrollment.sequence(), tier), (2, Tier::Held));
/// ```
pub fn select_next<'a>(
    setup: &AssignmentSetup,
    seller: UserId,
    now: OffsetDateTime,
    candidates: impl IntoIterator<Item = Candidate<'a>>,
) -> Option<(Candidate<'a>, Tier)> {
    let mut best: Option<(Candidate<'a>, Tier)> = None;
    for candidate in candidates {
        let Some(tier) = tier(setup, candidate.enrollment, seller, now) else {
            continue;
        };
        if candidate.barred.is_some() {
            continue;
        }
        let better = match &best {
            None => true,
            Some((current, current_tier)) => tier
                .cmp(current_tier)
                .then_with(|| compare(setup, tier, &candidate, current))
                .is_lt(),
        };
        if better {
            best = Some((candidate, tier));
        }
    }
    best
}
