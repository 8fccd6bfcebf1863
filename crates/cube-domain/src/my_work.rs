//! My Work (seed 004, "Mitt Arbeid"): the customers a seller must work with today — their
//! own personal follow-ups and the shared ones, due by the end of the day, overdue ones
//! (due and not followed up) marked — and the side panel drawn from it. Also the rule that
//! goes with taking a customer from that list: another seller's personal follow-up is never
//! taken. Pure functions over enrollments; the use case loads the follow-ups and checks
//! which assignments the seller may work.

use crate::access::{Role, User};
use crate::enrollment::{Enrollment, FollowUp};
use crate::ids::{AssignmentId, CustomerId, EnrollmentId, UserId};
use crate::time_zone::TimeZone;
use thiserror::Error;
use time::OffsetDateTime;

/// One line of My Work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyWorkItem {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The enrollment.
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// The follow-up.
    pub follow_up: FollowUp,
    /// Past due and not followed up.
    pub overdue: bool,
}

/// A seller's list for today: personal and shared follow-ups, overdue ones first, and their
/// own personal follow-ups of the coming week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MyWork {
    /// My personal follow-ups (overdue and due later today).
    pub personal: Vec<MyWorkItem>,
    /// Shared follow-ups (overdue and due later today).
    pub shared: Vec<MyWorkItem>,
    /// My personal follow-ups after today, up to [`MyWork::COMING_DAYS`] local days ahead,
    /// by due time (to plan the week, or move one without calling).
    pub coming: Vec<MyWorkItem>,
}

impl MyWork {
    /// How many local days after today the coming list covers.
    pub const COMING_DAYS: i64 = 7;

    /// The end of what My Work lists at `now`: the end of the [`MyWork::COMING_DAYS`]th
    /// local day after today. A follow-up due at or after it is not listed.
    pub fn horizon(now: OffsetDateTime, zone: &TimeZone) -> OffsetDateTime {
        let today = zone.date_of(now);
        let last = today
            .checked_add(time::Duration::days(Self::COMING_DAYS))
            .unwrap_or(today);
        zone.days(today, last).1
    }

    /// The end of the day My Work covers at `now`: the next local midnight in the
    /// organisation's time zone (in Oslo at 00:30 it is already the new day's end). A
    /// follow-up due at or after it is not today's work.
    pub fn until(now: OffsetDateTime, zone: &TimeZone) -> OffsetDateTime {
        zone.today(now).1
    }

    /// `seller`'s My Work at `now` from `enrollments` (the follow-ups of the assignments
    /// they may work): their own personal follow-ups and every shared one due before
    /// [`MyWork::until`] in `zone`, each list by due time (ties by enrollment), overdue ones — due at
    /// or before `now` — first. Another seller's personal follow-up is never listed.
    pub fn of<'a>(
        seller: UserId,
        now: OffsetDateTime,
        zone: &TimeZone,
        enrollments: impl IntoIterator<Item = &'a Enrollment>,
    ) -> Self {
        let until = Self::until(now, zone);
        let horizon = Self::horizon(now, zone);
        let mut work = Self::default();
        for enrollment in enrollments {
            let Some(follow_up) = enrollment.follow_up() else {
                continue;
            };
            if follow_up.due >= horizon {
                continue;
            }
            let item = MyWorkItem {
                assignment: enrollment.assignment(),
                enrollment: enrollment.id(),
                customer: enrollment.customer(),
                follow_up,
                overdue: follow_up.is_due(now),
            };
            let today = follow_up.due < until;
            match follow_up.owner {
                Some(owner) if owner == seller && today => work.personal.push(item),
                Some(owner) if owner == seller => work.coming.push(item),
                Some(_) => {}
                None if today => work.shared.push(item),
                None => {}
            }
        }
        for list in [&mut work.personal, &mut work.shared, &mut work.coming] {
            list.sort_by_key(|i| (i.follow_up.due, i.enrollment));
        }
        work
    }

    /// The side panel: personal follow-ups, overdue personal and overdue shared.
    pub fn side_panel(&self) -> Vec<&MyWorkItem> {
        self.personal
            .iter()
            .chain(self.shared.iter().filter(|i| i.overdue))
            .collect()
    }
}

/// Why a customer could not be taken by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TakeRefused {
    /// The customer is another seller's personal follow-up.
    #[error("this customer is another seller's personal follow-up")]
    AnothersPersonalFollowUp,
}

/// Whether `user` may take `enrollment` by hand (from My Work or a search): another
/// seller's personal follow-up is never taken by a seller. Managers and admins may take it
/// (to cover for a seller who is away); a shared follow-up is anybody's.
pub fn check_take(user: &User, enrollment: &Enrollment) -> Result<(), TakeRefused> {
    match enrollment.follow_up().and_then(|f| f.owner) {
        Some(owner) if owner != user.id && user.role == Role::Seller => {
            Err(TakeRefused::AnothersPersonalFollowUp)
        }
        _ => Ok(()),
    }
}

/// Why a seller may not read a customer's history or card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum HistoryRefused {
    /// The seller neither holds the customer nor follows it up.
    #[error(
        "a seller reads the history of a customer they hold or whose personal follow-up is \
         theirs; take the customer first"
    )]
    NotTheirs,
    /// The seller neither holds the customer nor follows it up, and asked for the card.
    #[error(
        "a seller reads and edits the card of a customer they hold or whose personal \
         follow-up is theirs; take the customer first"
    )]
    CardNotTheirs,
}

/// Whether a seller holds `enrollment` at `now` (a live lease) or its personal follow-up
/// is theirs: the customers a seller may look into beyond the assignment's view.
fn holds_or_follows_up(user: &User, enrollment: &Enrollment, now: OffsetDateTime) -> bool {
    enrollment.holder(now) == Some(user.id)
        || enrollment.follow_up().and_then(|f| f.owner) == Some(user.id)
}

/// Whether `user` may read every field of `enrollment`'s customer and edit the card at
/// `now` (seed 000 item 7): a seller for a customer they hold or whose personal follow-up
/// is theirs — the assignment's customer view decides what is shown while working, not
/// what may be edited; managers and admins of the assignment always.
pub fn check_card(
    user: &User,
    enrollment: &Enrollment,
    now: OffsetDateTime,
) -> Result<(), HistoryRefused> {
    if user.role != Role::Seller || holds_or_follows_up(user, enrollment, now) {
        Ok(())
    } else {
        Err(HistoryRefused::CardNotTheirs)
    }
}

/// Whether `user` may read `enrollment`'s history at `now` (seed 004's side panel, seed 001's
/// outcomes): a seller only for a customer they hold (a live lease) or whose personal
/// follow-up is theirs; managers and admins of the assignment always (the access policy
/// decides who that is).
pub fn check_history(
    user: &User,
    enrollment: &Enrollment,
    now: OffsetDateTime,
) -> Result<(), HistoryRefused> {
    if user.role != Role::Seller || holds_or_follows_up(user, enrollment, now) {
        Ok(())
    } else {
        Err(HistoryRefused::NotTheirs)
    }
}

/// Why a follow-up cannot be moved as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FollowUpMoveRefused {
    /// Nothing to move.
    #[error("the customer has no follow-up to move; register an outcome with a follow-up instead")]
    NoFollowUp,
    /// A seller asked to move a follow-up that is not their own personal one.
    #[error("a seller moves only their own personal follow-ups")]
    NotTheirs,
    /// A seller asked to give their follow-up to someone else, or to share it.
    #[error("a seller cannot hand a follow-up on or share it; ask a manager to reassign it")]
    OwnerBySeller,
    /// The new time has passed.
    #[error("the new time of a follow-up must be in the future")]
    InThePast,
}

/// Moves `enrollment`'s pending follow-up to `due` and `owner` (`None`: shared) at `now`
/// without a call (seed 004): a seller their own personal follow-up, to a new time only; a
/// manager or admin any follow-up, to any time and owner (a seller who is ill). Whether the
/// new owner is a seller of the assignment is the use case's to check.
pub fn move_follow_up(
    user: &User,
    enrollment: &mut Enrollment,
    due: OffsetDateTime,
    owner: Option<UserId>,
    now: OffsetDateTime,
) -> Result<FollowUp, FollowUpMoveRefused> {
    if user.role == Role::Seller {
        if enrollment.follow_up().and_then(|f| f.owner) != Some(user.id) {
            return Err(FollowUpMoveRefused::NotTheirs);
        }
        if owner != Some(user.id) {
            return Err(FollowUpMoveRefused::OwnerBySeller);
        }
    }
    if enrollment.follow_up().is_none() {
        return Err(FollowUpMoveRefused::NoFollowUp);
    }
    if due <= now {
        return Err(FollowUpMoveRefused::InThePast);
    }
    let moved = FollowUp { due, owner };
    enrollment.reschedule(moved);
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrollment::EnrollmentSnapshot;
    use crate::flow::StateCategory;
    use crate::ids::{OrganisationId, StateId};
    use crate::values::{Email, Name};
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use time::Duration;
    use time::macros::datetime;
    use uuid::Uuid;

    const NOW: OffsetDateTime = datetime!(2026-11-28 09:00 UTC);

    fn id<T: From<Uuid>>(n: u128) -> T {
        T::from(Uuid::from_u128(n))
    }

    fn enrollment(n: u128, follow_up: Option<FollowUp>) -> Enrollment {
        Enrollment::from(EnrollmentSnapshot {
            id: id(n),
            assignment: id(1),
            customer: id(1000 + n),
            state: id::<StateId>(5),
            category: StateCategory::Open,
            segment: None,
            attempts: 0,
            last_contact: None,
            follow_up,
            no_answer_at: None,
            reservation: None,
            sequence: u64::try_from(n).unwrap_or(0),
            enrolled_at: NOW - Duration::days(1),
        })
    }

    fn follow_up(minutes: i64, owner: Option<u128>) -> Option<FollowUp> {
        Some(FollowUp {
            due: NOW + Duration::minutes(minutes),
            owner: owner.map(id),
        })
    }

    fn follow_up_at(due: OffsetDateTime, owner: Option<u128>) -> Option<FollowUp> {
        Some(FollowUp {
            due,
            owner: owner.map(id),
        })
    }

    fn user(n: u128, role: Role) -> User {
        User {
            phone: None,
            id: id(n),
            organisation: id::<OrganisationId>(1),
            name: Name::parse("Kari").expect("a name"),
            email: Email::parse("kari@example.com").expect("an e-mail"),
            role,
            active: true,
        }
    }

    fn manager() -> Role {
        Role::Manager {
            data_owners: BTreeSet::from([id(41)]),
        }
    }

    const SELLER: u128 = 31;
    const OTHER: u128 = 32;

    #[test]
    fn my_work_is_my_personal_and_the_shared_follow_ups_of_today() {
        let list = [
            enrollment(1, follow_up(30, Some(SELLER))),
            enrollment(2, follow_up(-30, Some(SELLER))),
            enrollment(3, follow_up(-60, None)),
            enrollment(4, follow_up(60, None)),
            enrollment(5, follow_up(-90, Some(OTHER))),
            enrollment(6, None),
            // Tomorrow: not today's work.
            enrollment(7, follow_up(15 * 60, Some(SELLER))),
            enrollment(8, follow_up(15 * 60, None)),
        ];
        let work = MyWork::of(id(SELLER), NOW, &TimeZone::utc(), &list);
        let ids = |items: &[MyWorkItem]| -> Vec<(EnrollmentId, bool)> {
            items.iter().map(|i| (i.enrollment, i.overdue)).collect()
        };
        assert_eq!(ids(&work.personal), [(id(2), true), (id(1), false)]);
        assert_eq!(ids(&work.shared), [(id(3), true), (id(4), false)]);
        assert_eq!(
            ids(&work.coming),
            [(id(7), false)],
            "tomorrow's own follow-up is coming; a shared one is not listed before its day"
        );
        let panel: Vec<EnrollmentId> = work.side_panel().iter().map(|i| i.enrollment).collect();
        assert_eq!(panel, [id(2), id(1), id(3)]);
    }

    #[test]
    fn the_coming_list_is_my_next_seven_local_days() {
        let utc = TimeZone::utc();
        // NOW is 09:00 on 28 November: the week runs to the end of 5 December.
        assert_eq!(MyWork::horizon(NOW, &utc), datetime!(2026-12-06 00:00 UTC));
        let list = [
            enrollment(1, follow_up(7 * 24 * 60, Some(SELLER))),
            enrollment(2, follow_up(7 * 24 * 60 + 15 * 60, Some(SELLER))),
            enrollment(3, follow_up(2 * 24 * 60, Some(OTHER))),
        ];
        let work = MyWork::of(id(SELLER), NOW, &utc, &list);
        let coming: Vec<EnrollmentId> = work.coming.iter().map(|i| i.enrollment).collect();
        assert_eq!(
            coming,
            [id(1)],
            "5 December is in, 6 December and others' are not"
        );
    }

    #[test]
    fn a_follow_up_due_now_is_overdue() {
        let list = [enrollment(1, follow_up(0, None))];
        assert!(MyWork::of(id(SELLER), NOW, &TimeZone::utc(), &list).shared[0].overdue);
    }

    #[test]
    fn the_day_ends_at_the_next_midnight() {
        let utc = TimeZone::utc();
        assert_eq!(MyWork::until(NOW, &utc), datetime!(2026-11-29 00:00 UTC));
        assert_eq!(
            MyWork::until(datetime!(2026-11-28 00:00 UTC), &utc),
            datetime!(2026-11-29 00:00 UTC)
        );
    }

    #[test]
    fn in_oslo_the_day_ends_at_oslo_midnight() {
        let oslo = TimeZone::oslo();
        // 00:30 on 5 December in Oslo (23:30 UTC on the 4th): today is the 5th.
        let after_midnight = datetime!(2026-12-04 23:30 UTC);
        assert_eq!(
            MyWork::until(after_midnight, &oslo),
            datetime!(2026-12-05 23:00 UTC)
        );
        // A follow-up due at 09:00 on the 5th (08:00 UTC) is today's work at 00:30 Oslo
        // time, and was tomorrow's by a UTC day.
        let list = [enrollment(
            1,
            follow_up_at(datetime!(2026-12-05 08:00 UTC), None),
        )];
        assert_eq!(
            MyWork::of(id(SELLER), after_midnight, &oslo, &list)
                .shared
                .len(),
            1
        );
        assert!(
            MyWork::of(id(SELLER), after_midnight, &TimeZone::utc(), &list)
                .shared
                .is_empty()
        );
        // The evening of the day the clocks go back has 25 hours: it still ends at midnight.
        assert_eq!(
            MyWork::until(datetime!(2026-10-25 21:30 UTC), &oslo),
            datetime!(2026-10-25 23:00 UTC)
        );
    }

    #[test]
    fn another_sellers_personal_follow_up_is_never_taken_by_a_seller() {
        let theirs = enrollment(1, follow_up(-5, Some(OTHER)));
        assert_eq!(
            check_take(&user(SELLER, Role::Seller), &theirs),
            Err(TakeRefused::AnothersPersonalFollowUp)
        );
        assert_eq!(check_take(&user(OTHER, Role::Seller), &theirs), Ok(()));
        assert_eq!(check_take(&user(SELLER, manager()), &theirs), Ok(()));
        assert_eq!(check_take(&user(SELLER, Role::Admin), &theirs), Ok(()));
        let shared = enrollment(2, follow_up(-5, None));
        assert_eq!(check_take(&user(SELLER, Role::Seller), &shared), Ok(()));
        let none = enrollment(3, None);
        assert_eq!(check_take(&user(SELLER, Role::Seller), &none), Ok(()));
    }

    #[test]
    fn a_seller_moves_their_own_follow_up_and_a_manager_any() {
        let seller = user(SELLER, Role::Seller);
        let later = NOW + Duration::hours(3);
        let mut mine = enrollment(1, follow_up(30, Some(SELLER)));
        assert_eq!(
            move_follow_up(&seller, &mut mine, later, Some(id(SELLER)), NOW),
            Ok(FollowUp {
                due: later,
                owner: Some(id(SELLER))
            })
        );
        assert_eq!(mine.follow_up().map(|f| f.due), Some(later));
        assert_eq!(
            move_follow_up(&seller, &mut mine, later, Some(id(OTHER)), NOW),
            Err(FollowUpMoveRefused::OwnerBySeller)
        );
        assert_eq!(
            move_follow_up(&seller, &mut mine, later, None, NOW),
            Err(FollowUpMoveRefused::OwnerBySeller)
        );
        assert_eq!(
            move_follow_up(&seller, &mut mine, NOW, Some(id(SELLER)), NOW),
            Err(FollowUpMoveRefused::InThePast)
        );
        let mut theirs = enrollment(2, follow_up(30, Some(OTHER)));
        let mut shared = enrollment(3, follow_up(30, None));
        for other in [&mut theirs, &mut shared] {
            assert_eq!(
                move_follow_up(&seller, other, later, Some(id(SELLER)), NOW),
                Err(FollowUpMoveRefused::NotTheirs)
            );
        }
        let mut none = enrollment(4, None);
        assert_eq!(
            move_follow_up(&seller, &mut none, later, Some(id(SELLER)), NOW),
            Err(FollowUpMoveRefused::NotTheirs)
        );
        // A manager hands another seller's follow-up to this seller, or shares it.
        let boss = user(40, manager());
        assert_eq!(
            move_follow_up(&boss, &mut none, later, None, NOW),
            Err(FollowUpMoveRefused::NoFollowUp)
        );
        assert_eq!(
            move_follow_up(&boss, &mut theirs, later, Some(id(SELLER)), NOW).map(|f| f.owner),
            Ok(Some(id(SELLER)))
        );
        assert_eq!(
            move_follow_up(&boss, &mut theirs, later, None, NOW).map(|f| f.owner),
            Ok(None)
        );
        assert_eq!(theirs.follow_up().and_then(|f| f.owner), None);
    }

    #[test]
    fn a_seller_reads_the_history_of_a_customer_they_hold_or_follow_up() {
        let seller = user(SELLER, Role::Seller);
        let mine = enrollment(1, follow_up(-5, Some(SELLER)));
        assert_eq!(check_history(&seller, &mine, NOW), Ok(()));
        let theirs = enrollment(2, follow_up(-5, Some(OTHER)));
        assert_eq!(
            check_history(&seller, &theirs, NOW),
            Err(HistoryRefused::NotTheirs)
        );
        let shared = enrollment(3, follow_up(-5, None));
        assert_eq!(
            check_history(&seller, &shared, NOW),
            Err(HistoryRefused::NotTheirs)
        );
        let mut held = enrollment(4, None);
        held.reserve(id(SELLER), NOW, Duration::minutes(10))
            .expect("free");
        assert_eq!(check_history(&seller, &held, NOW), Ok(()));
        assert_eq!(
            check_history(&seller, &held, NOW + Duration::minutes(11)),
            Err(HistoryRefused::NotTheirs),
            "a lapsed lease is not holding"
        );
        assert_eq!(
            check_history(&user(SELLER, manager()), &theirs, NOW),
            Ok(())
        );
        assert_eq!(
            check_history(&user(SELLER, Role::Admin), &shared, NOW),
            Ok(())
        );
    }

    proptest! {
        /// Whatever the follow-ups: every line is mine or shared and due today, overdue
        /// exactly when due, each list in due order, and the side panel holds every
        /// personal line and only overdue shared ones.
        #[test]
        fn my_work_lists_only_todays_mine_and_shared(
            follow_ups in proptest::collection::vec(
                proptest::option::of((-3_000_i64..3_000, proptest::option::of(30_u128..34))),
                0..40,
            )
        ) {
            let list: Vec<Enrollment> = follow_ups
                .iter()
                .enumerate()
                .map(|(n, f)| {
                    let n = u128::try_from(n).unwrap_or(0) + 1;
                    enrollment(n, f.and_then(|(minutes, owner)| follow_up(minutes, owner)))
                })
                .collect();
            let seller: UserId = id(SELLER);
            let work = MyWork::of(seller, NOW, &TimeZone::utc(), &list);
            let until = MyWork::until(NOW, &TimeZone::utc());
            for item in work.personal.iter().chain(&work.shared) {
                prop_assert!(item.follow_up.due < until);
                prop_assert_eq!(item.overdue, item.follow_up.due <= NOW);
            }
            prop_assert!(work.personal.iter().all(|i| i.follow_up.owner == Some(seller)));
            let horizon = MyWork::horizon(NOW, &TimeZone::utc());
            for item in &work.coming {
                prop_assert_eq!(item.follow_up.owner, Some(seller));
                prop_assert!(item.follow_up.due >= until && item.follow_up.due < horizon);
            }
            prop_assert!(work.coming.windows(2).all(|w| w[0].follow_up.due <= w[1].follow_up.due));
            prop_assert!(work.shared.iter().all(|i| i.follow_up.is_shared()));
            for list in [&work.personal, &work.shared] {
                prop_assert!(list.windows(2).all(|w| w[0].follow_up.due <= w[1].follow_up.due));
            }
            let expected = list
                .iter()
                .filter_map(Enrollment::follow_up)
                .filter(|f| f.due < until && (f.owner.is_none() || f.owner == Some(seller)))
                .count();
            prop_assert_eq!(work.personal.len() + work.shared.len(), expected);
            let panel = work.side_panel();
            let overdue_shared = work.shared.iter().filter(|i| i.overdue).count();
            prop_assert_eq!(panel.len(), work.personal.len() + overdue_shared);
        }
    }
}
