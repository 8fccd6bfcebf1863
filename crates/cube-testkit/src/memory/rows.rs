//! The enrollment table and the indexes that keep "next customer" fast on assignments of
//! 100 000 customers, without changing its answer.
//!
//! `queue::select_next` is the definition of the answer; scanning a whole assignment with it
//! costs milliseconds per call at that size, and draining the assignment would cost
//! minutes. So the table keeps, beside the rows:
//! - every reservation, live or lapsed, by (assignment, seller, end), always (a seller is
//!   handed back the customer they hold first);
//! - every pending follow-up by (assignment, due), always;
//! - per assignment, once asked for with a setup whose priority rules read no CRM field, a
//!   *pool index*: the enrollments that can be pool candidates (Available, no follow-up),
//!   sorted by exactly the key `queue::compare` orders them by, split into `ready` (free at
//!   the index's watermark time) and `waiting` (reserved or in a retry delay, by the time
//!   they become free; the retry delay is the setup's, so a new delay builds a new index).
//!
//! Every write goes through `put`/`take` (also the journal's undo steps), which move the row
//! in and out of the indexes, so they never go stale. A rule list that reads CRM fields, or a
//! setup other than the one the index was built for, falls back to (or rebuilds for) the
//! plain scan; the contract and property tests compare every answer with `select_next`.

use super::Table;
use cube_domain::assignment::setup::{AssignmentSetup, PriorityRule};
use cube_domain::contact_policy::standing::Barred;
use cube_domain::enrollment::Enrollment;
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, EnrollmentId, SegmentId, UserId};
use cube_domain::queue::{self, Candidate, Tier};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::{OffsetDateTime, PrimitiveDateTime};
use uuid::Uuid;

/// A row's place: one assignment is one contiguous range, in import order.
pub(super) type RowKey = (AssignmentId, u64, EnrollmentId);

/// The enrollments, with their follow-up and pool indexes.
#[derive(Debug, Default)]
pub(super) struct EnrollmentRows {
    rows: BTreeMap<RowKey, Enrollment>,
    /// (assignment, due, sequence, enrollment) of every pending follow-up.
    follow_ups: BTreeSet<(AssignmentId, OffsetDateTime, u64, EnrollmentId)>,
    /// (assignment, seller, lease end, sequence, enrollment) of every reservation.
    reservations: BTreeSet<(AssignmentId, UserId, OffsetDateTime, u64, EnrollmentId)>,
    pools: HashMap<AssignmentId, PoolIndex>,
}

fn earliest() -> OffsetDateTime {
    PrimitiveDateTime::MIN.assume_utc()
}

impl EnrollmentRows {
    /// One row.
    pub(super) fn get(&self, key: &RowKey) -> Option<&Enrollment> {
        self.rows.get(key)
    }

    /// The assignment's rows in import order.
    pub(super) fn of(
        &self,
        assignment: AssignmentId,
    ) -> impl DoubleEndedIterator<Item = &Enrollment> {
        let from = (assignment, 0, EnrollmentId::from_uuid(Uuid::nil()));
        let to = (assignment, u64::MAX, EnrollmentId::from_uuid(Uuid::max()));
        self.rows.range(from..=to).map(|(_, e)| e)
    }

    /// The assignment's rows after `key` (one of its rows), in import order.
    pub(super) fn after(&self, key: RowKey) -> impl Iterator<Item = &Enrollment> {
        let to = (key.0, u64::MAX, EnrollmentId::from_uuid(Uuid::max()));
        self.rows
            .range((
                std::ops::Bound::Excluded(key),
                std::ops::Bound::Included(to),
            ))
            .map(|(_, e)| e)
    }

    /// The assignment's rows with a follow-up due before `until`, by due time.
    pub(super) fn follow_ups_before(
        &self,
        assignment: AssignmentId,
        until: OffsetDateTime,
    ) -> impl Iterator<Item = &Enrollment> {
        let from = (
            assignment,
            earliest(),
            0,
            EnrollmentId::from_uuid(Uuid::nil()),
        );
        let to = (assignment, until, 0, EnrollmentId::from_uuid(Uuid::nil()));
        self.follow_ups
            .range(from..to)
            .filter_map(|(a, _, sequence, id)| self.rows.get(&(*a, *sequence, *id)))
    }

    fn index(&mut self, enrollment: &Enrollment) {
        if let Some(follow_up) = enrollment.follow_up() {
            self.follow_ups
                .insert(follow_up_key(enrollment, follow_up.due));
        }
        if let Some(key) = reservation_key(enrollment) {
            self.reservations.insert(key);
        }
        if let Some(pool) = self.pools.get_mut(&enrollment.assignment()) {
            pool.insert(enrollment);
        }
    }

    fn unindex(&mut self, enrollment: &Enrollment) {
        if let Some(follow_up) = enrollment.follow_up() {
            self.follow_ups
                .remove(&follow_up_key(enrollment, follow_up.due));
        }
        if let Some(key) = reservation_key(enrollment) {
            self.reservations.remove(&key);
        }
        if let Some(pool) = self.pools.get_mut(&enrollment.assignment()) {
            pool.remove(enrollment);
        }
    }

    /// The key of the enrollment `queue::select_next` picks for the request, read from the
    /// indexes where the setup allows and by a scan of the assignment where it does not.
    /// `fields_of` gives a row's CRM field values (only read by the scan), `barred_of` what
    /// the contact policy says of calling its customer now (every path asks it).
    pub(super) fn select<'a>(
        &mut self,
        assignment: AssignmentId,
        setup: &AssignmentSetup,
        seller: UserId,
        now: OffsetDateTime,
        fields_of: impl Fn(&Enrollment) -> &'a cube_domain::fields::FieldValues,
        barred_of: impl Fn(&Enrollment) -> Option<Barred>,
    ) -> Option<(RowKey, Tier)> {
        let Some(spec) = PoolSpec::of(setup) else {
            let candidates = self.of(assignment).map(|enrollment| Candidate {
                enrollment,
                fields: fields_of(enrollment),
                barred: barred_of(enrollment),
            });
            return queue::select_next(setup, seller, now, candidates)
                .map(|(c, tier)| (key_of(c.enrollment), tier));
        };
        // The seller's own live lease beats everything, the one ending soonest first.
        let mine = (
            assignment,
            seller,
            earliest(),
            0,
            EnrollmentId::from_uuid(Uuid::nil()),
        );
        let held = self
            .reservations
            .range(mine..)
            .take_while(|(a, s, ..)| *a == assignment && *s == seller)
            .filter_map(|(a, _, _, sequence, id)| self.rows.get(&(*a, *sequence, *id)))
            .find(|e| {
                queue::tier(setup, e, seller, now) == Some(Tier::Held) && barred_of(e).is_none()
            });
        if let Some(enrollment) = held {
            return Some((key_of(enrollment), Tier::Held));
        }
        // A follow-up tier beats the pool, so a due follow-up that may be handed out wins.
        let mut due: Vec<&Enrollment> = self
            .follow_ups_before(assignment, now + time::Duration::nanoseconds(1))
            .collect();
        due.sort_by_key(|e| (e.sequence(), e.id()));
        let none = cube_domain::fields::FieldValues::new();
        let candidates = due.into_iter().map(|enrollment| Candidate {
            enrollment,
            fields: &none,
            barred: barred_of(enrollment),
        });
        if let Some((chosen, tier)) = queue::select_next(setup, seller, now, candidates) {
            return Some((key_of(chosen.enrollment), tier));
        }
        self.pick_from_pool(assignment, setup, spec, seller, now, barred_of)
    }

    fn pick_from_pool(
        &mut self,
        assignment: AssignmentId,
        setup: &AssignmentSetup,
        spec: PoolSpec,
        seller: UserId,
        now: OffsetDateTime,
        barred_of: impl Fn(&Enrollment) -> Option<Barred>,
    ) -> Option<(RowKey, Tier)> {
        let stale = self
            .pools
            .get(&assignment)
            .is_none_or(|pool| pool.spec != spec);
        if stale {
            let mut pool = PoolIndex::new(spec, now);
            for enrollment in self.of(assignment) {
                pool.insert(enrollment);
            }
            self.pools.insert(assignment, pool);
        }
        let pool = self.pools.get_mut(&assignment)?;
        pool.advance(now);
        let rows = &self.rows;
        // Rows in `ready` are free at the watermark; a request from before the watermark may
        // still meet one that is not free yet, which `tier` turns away.
        pool.ready.iter().find_map(|(_, sequence, id)| {
            let key = (assignment, *sequence, *id);
            let enrollment = rows.get(&key)?;
            (queue::tier(setup, enrollment, seller, now) == Some(Tier::Pool)
                && barred_of(enrollment).is_none())
            .then_some((key, Tier::Pool))
        })
    }
}

fn follow_up_key(
    enrollment: &Enrollment,
    due: OffsetDateTime,
) -> (AssignmentId, OffsetDateTime, u64, EnrollmentId) {
    (
        enrollment.assignment(),
        due,
        enrollment.sequence(),
        enrollment.id(),
    )
}

fn reservation_key(
    enrollment: &Enrollment,
) -> Option<(AssignmentId, UserId, OffsetDateTime, u64, EnrollmentId)> {
    enrollment.reservation().map(|r| {
        (
            enrollment.assignment(),
            r.seller,
            r.until,
            enrollment.sequence(),
            enrollment.id(),
        )
    })
}

fn key_of(enrollment: &Enrollment) -> RowKey {
    (
        enrollment.assignment(),
        enrollment.sequence(),
        enrollment.id(),
    )
}

impl Table for EnrollmentRows {
    type Key = RowKey;
    type Value = Enrollment;

    fn put(&mut self, key: RowKey, value: Enrollment) -> Option<Enrollment> {
        let old = self.rows.remove(&key);
        if let Some(old) = &old {
            self.unindex(old);
        }
        self.index(&value);
        self.rows.insert(key, value);
        old
    }

    fn take(&mut self, key: &RowKey) -> Option<Enrollment> {
        let old = self.rows.remove(key);
        if let Some(old) = &old {
            self.unindex(old);
        }
        old
    }
}

/// What a pool index was built for: the priority rules, the segments' order and the retry
/// delay.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PoolSpec {
    rules: Vec<PriorityRule>,
    segments: Vec<SegmentId>,
    retry_delay: time::Duration,
}

impl PoolSpec {
    /// The spec of a setup, or `None` when a rule reads CRM fields (not indexed: a customer
    /// update would have to re-key every enrollment of the customer).
    fn of(setup: &AssignmentSetup) -> Option<Self> {
        let reads_fields = setup
            .priority
            .iter()
            .any(|rule| matches!(rule, PriorityRule::Field(..)));
        (!reads_fields).then(|| Self {
            rules: setup.priority.clone(),
            segments: setup.segments.iter().map(|s| s.id).collect(),
            retry_delay: setup.retry_delay,
        })
    }

    /// The sort key: one part per rule, as `queue::compare` compares them, then import order
    /// (its tie-break) and the id (the scan's order among exact ties).
    fn key(&self, enrollment: &Enrollment) -> PoolKey {
        let parts = self
            .rules
            .iter()
            .map(|rule| match rule {
                PriorityRule::SegmentOrder => Part::Rank(
                    enrollment
                        .segment()
                        .and_then(|id| self.segments.iter().position(|s| *s == id))
                        .unwrap_or(self.segments.len()),
                ),
                PriorityRule::FewestAttempts => Part::Attempts(enrollment.attempts()),
                PriorityRule::LongestSinceLastContact => {
                    Part::LastContact(enrollment.last_contact())
                }
                PriorityRule::ImportOrder | PriorityRule::Field(..) => {
                    Part::Sequence(enrollment.sequence())
                }
            })
            .collect();
        (parts, enrollment.sequence(), enrollment.id())
    }
}

/// One rule's part of a pool key. Parts at one position are always the same variant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Rank(usize),
    Attempts(u32),
    /// `None` (never contacted) sorts first, as in `queue::compare`.
    LastContact(Option<OffsetDateTime>),
    Sequence(u64),
}

type PoolKey = (Vec<Part>, u64, EnrollmentId);

/// The pool candidates of one assignment in priority order.
#[derive(Debug)]
struct PoolIndex {
    spec: PoolSpec,
    /// Every row in `waiting` becomes free after this time; every row in `ready` is free by
    /// it.
    watermark: OffsetDateTime,
    ready: BTreeSet<PoolKey>,
    /// (free from, key) of reserved rows and rows in a retry delay.
    waiting: BTreeSet<(OffsetDateTime, PoolKey)>,
}

impl PoolIndex {
    fn new(spec: PoolSpec, now: OffsetDateTime) -> Self {
        Self {
            spec,
            watermark: now,
            ready: BTreeSet::new(),
            waiting: BTreeSet::new(),
        }
    }

    /// Whether the row can ever be a pool candidate as it is: `queue::tier` gives `Pool`
    /// only to Available rows without a follow-up.
    fn member(enrollment: &Enrollment) -> bool {
        enrollment.follow_up().is_none() && enrollment.category() == StateCategory::Available
    }

    /// When the row is free: after its lease (lapsed or not) and its retry delay.
    fn free_from(&self, enrollment: &Enrollment) -> Option<OffsetDateTime> {
        let lease = enrollment.reservation().map(|r| r.until);
        lease.max(enrollment.retry_at(self.spec.retry_delay))
    }

    fn insert(&mut self, enrollment: &Enrollment) {
        if !Self::member(enrollment) {
            return;
        }
        let key = self.spec.key(enrollment);
        match self.free_from(enrollment) {
            Some(at) if at > self.watermark => {
                self.waiting.insert((at, key));
            }
            _ => {
                self.ready.insert(key);
            }
        }
    }

    fn remove(&mut self, enrollment: &Enrollment) {
        if !Self::member(enrollment) {
            return;
        }
        let key = self.spec.key(enrollment);
        if let Some(at) = self.free_from(enrollment) {
            self.waiting.remove(&(at, key.clone()));
        }
        self.ready.remove(&key);
    }

    /// Moves the rows free by `now` to `ready`.
    fn advance(&mut self, now: OffsetDateTime) {
        if now <= self.watermark {
            return;
        }
        while self.waiting.first().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, key)) = self.waiting.pop_first() {
                self.ready.insert(key);
            }
        }
        self.watermark = now;
    }
}
