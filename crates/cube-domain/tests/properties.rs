//! Property tests of the flow, outcome registration and the queue (CONVENTIONS.md: replaying
//! the outcome log rebuilds the current state; attempts never change state; a published flow
//! is always sound; no customer is handed to two sellers).

mod common;

use common::*;
use cube_domain::assignment::setup::{AssignmentSetup, Direction, PriorityRule, Segment};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot, FollowUp, Reservation};
use cube_domain::fields::{FieldValue, FieldValues};
use cube_domain::flow::{
    AttemptKind, FlowDraft, Outcome, OutcomeKind, PublishedFlow, State, StateCategory,
};
use cube_domain::ids::{FlowId, OutcomeId, SegmentId, StateId, UserId};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, ProductLineRequest, RegisterOutcome};
use cube_domain::queue::{Candidate, compare, select_next, tier};
use proptest::prelude::*;
use proptest::sample::Index;
use std::collections::{BTreeSet, VecDeque};
use time::{Duration, OffsetDateTime};

// --- random outcome sequences on the sales flow ----------------------------------------

/// One step of a seller's work; what it means depends on the state reached so far.
#[derive(Debug, Clone)]
struct Step {
    /// Which of the outcomes allowed from the current state (uniformly).
    pick: Index,
    /// Minutes since the previous step (times strictly increase).
    gap: i64,
    /// Minutes from now to the follow-up, when one is given.
    follow_up_in: i64,
    /// Give a follow-up time to a progress outcome that may schedule one.
    optional_follow_up: bool,
    /// Units of the product on outcomes that carry products (0: no line).
    units: u32,
    /// Which of two sellers works this step.
    other_seller: bool,
}

fn step() -> impl Strategy<Value = Step> {
    (
        any::<Index>(),
        1i64..=600,
        1i64..=20_000,
        any::<bool>(),
        0u32..3,
        any::<bool>(),
    )
        .prop_map(
            |(pick, gap, follow_up_in, optional_follow_up, units, other_seller)| Step {
                pick,
                gap,
                follow_up_in,
                optional_follow_up,
                units,
                other_seller,
            },
        )
}

/// What a run of steps produced.
struct Run {
    fresh: Enrollment,
    /// The enrollment after each event.
    after: Vec<Enrollment>,
    events: Vec<OutcomeEvent>,
}

impl Run {
    fn last(&self) -> &Enrollment {
        self.after.last().unwrap_or(&self.fresh)
    }
}

/// Registers a valid outcome for each step, each time by a seller holding a fresh lease,
/// until the customer reaches a state with no outcomes.
fn work(world: &World, steps: &[Step]) -> Result<Run, TestCaseError> {
    let fresh = world.enroll(1);
    let mut run = Run {
        fresh: fresh.clone(),
        after: Vec::new(),
        events: Vec::new(),
    };
    let mut now = T0;
    let mut enrollment = fresh;
    for step in steps {
        let allowed: Vec<&Outcome> = world
            .flow
            .outcomes()
            .iter()
            .filter(|o| o.from.contains(&enrollment.state()))
            .collect();
        if allowed.is_empty() {
            break;
        }
        let outcome = allowed[step.pick.index(allowed.len())];
        now += Duration::minutes(step.gap);
        let mut command = RegisterOutcome::new(outcome.id);
        let follow_up = match outcome.kind {
            OutcomeKind::Attempt(AttemptKind::CallBackLater) => true,
            OutcomeKind::Attempt(AttemptKind::NoAnswer) => false,
            OutcomeKind::Progress { .. } => outcome.schedules_follow_up && step.optional_follow_up,
        };
        if follow_up {
            command.follow_up_at = Some(now + Duration::minutes(step.follow_up_in));
        }
        if outcome.carries_products && step.units > 0 {
            command.products.push(ProductLineRequest {
                product: PRODUCT,
                quantity: step.units,
                unit_price: None,
            });
        }
        let seller = if step.other_seller {
            OTHER_SELLER
        } else {
            SELLER
        };
        let registration = world
            .seller_registers(&enrollment, seller, command, now)
            .map_err(|e| TestCaseError::fail(format!("a valid step was refused: {e}")))?;
        enrollment = registration.enrollment;
        run.after.push(enrollment.clone());
        run.events.push(registration.event);
    }
    Ok(run)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn replaying_the_log_rebuilds_the_enrollment(steps in prop::collection::vec(step(), 0..40)) {
        let world = World::sales();
        let run = work(&world, &steps)?;
        prop_assert_eq!(&run.fresh.clone().replay(&run.events), run.last());
        // Every prefix of the log rebuilds the enrollment as it was then.
        for (n, after) in run.after.iter().enumerate() {
            prop_assert_eq!(&run.fresh.clone().replay(&run.events[..=n]), after);
        }
    }

    #[test]
    fn attempts_never_change_the_state(steps in prop::collection::vec(step(), 0..40)) {
        let world = World::sales();
        let run = work(&world, &steps)?;
        let before = std::iter::once(&run.fresh).chain(&run.after);
        for ((event, before), after) in run.events.iter().zip(before).zip(&run.after) {
            if event.class().is_attempt() {
                prop_assert_eq!(event.from_state(), event.to_state());
                prop_assert_eq!(before.state(), after.state());
                prop_assert_eq!(before.category(), after.category());
            }
        }
    }

    #[test]
    fn attempts_count_no_answer_and_call_back_later(steps in prop::collection::vec(step(), 0..40)) {
        let world = World::sales();
        let run = work(&world, &steps)?;
        let attempts = run
            .events
            .iter()
            .filter(|e| matches!(e.class(), OutcomeClass::NoAnswer | OutcomeClass::CallBackLater))
            .count();
        prop_assert_eq!(run.last().attempts() as usize, attempts);
    }

    #[test]
    fn every_event_starts_where_the_previous_one_ended(steps in prop::collection::vec(step(), 0..40)) {
        let world = World::sales();
        let run = work(&world, &steps)?;
        let mut state = world.flow.initial_state();
        let mut last_time = None;
        for event in &run.events {
            prop_assert_eq!(event.from_state(), state);
            prop_assert_eq!(event.to_category(), world.flow.category(event.to_state()));
            prop_assert!(last_time < Some(event.occurred_at()));
            state = event.to_state();
            last_time = Some(event.occurred_at());
        }
    }
}

// --- random flow drafts ----------------------------------------------------------------

const NAMES: [&str; 6] = ["Lead", "lead", "LEAD", "Sale", "Møte", "MØTE"];

fn category() -> impl Strategy<Value = StateCategory> {
    prop_oneof![
        4 => Just(StateCategory::Available),
        2 => Just(StateCategory::Open),
        1 => Just(StateCategory::Yes),
        1 => Just(StateCategory::No),
        1 => Just(StateCategory::Excluded),
    ]
}

/// A name that usually differs from the others but sometimes collides (also across case and
/// Norwegian letters).
fn random_name(n: usize, fallback: &str) -> impl Strategy<Value = String> {
    let fallback = format!("{fallback} {n}");
    prop::option::weighted(0.1, 0..NAMES.len())
        .prop_map(move |pooled| pooled.map_or_else(|| fallback.clone(), |i| NAMES[i].to_owned()))
}

/// A state reference: usually one of the draft's states, sometimes one not in it.
fn state_ref() -> impl Strategy<Value = Option<Index>> {
    prop::option::weighted(0.95, any::<Index>())
}

/// A random outcome; `None` references stand for states not in the flow.
#[derive(Debug, Clone)]
struct RandomOutcome {
    name: String,
    kind: u8,
    target: Option<Index>,
    from: Vec<Option<Index>>,
    schedules_follow_up: bool,
    carries_products: bool,
    books_meeting: bool,
}

fn random_outcome(n: usize) -> impl Strategy<Value = RandomOutcome> {
    (
        random_name(n, "Outcome"),
        0u8..6,
        state_ref(),
        prop::collection::vec(state_ref(), 0..4),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(name, kind, target, from, schedules_follow_up, carries_products, books_meeting)| {
                RandomOutcome {
                    name,
                    kind,
                    target,
                    from,
                    schedules_follow_up,
                    carries_products,
                    books_meeting,
                }
            },
        )
}

/// States with their names and categories, and for most of them a "spine" outcome leading
/// there from an earlier state, so that a fair share of drafts is reachable throughout.
fn random_states() -> impl Strategy<Value = Vec<(String, StateCategory, Option<Index>)>> {
    (0usize..5).prop_flat_map(|len| {
        (0..len)
            .map(|n| {
                (
                    random_name(n, "State"),
                    category(),
                    prop::option::weighted(0.9, any::<Index>()),
                )
            })
            .collect::<Vec<_>>()
    })
}

fn random_outcomes() -> impl Strategy<Value = Vec<RandomOutcome>> {
    (0usize..5).prop_flat_map(|len| (0..len).map(random_outcome).collect::<Vec<_>>())
}

fn random_draft() -> impl Strategy<Value = FlowDraft> {
    (
        random_states(),
        prop::option::weighted(0.2, state_ref()),
        random_outcomes(),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(states, initial, outcomes, duplicate_id)| {
            let len = states.len();
            let state_id = |n: usize| id::<StateId>(700 + n as u128);
            // `None` (or an empty flow) points past the states: an id not in the flow.
            let resolve = |r: Option<Index>| {
                state_id(r.map_or(len, |i| if len == 0 { 0 } else { i.index(len) }))
            };
            let spine: Vec<Option<Index>> = states.iter().map(|(_, _, parent)| *parent).collect();
            let mut states: Vec<State> = states
                .into_iter()
                .enumerate()
                .map(|(n, (raw, category, _))| state(state_id(n), &raw, category))
                .collect();
            if duplicate_id && states.len() > 1 {
                let first = states[0].id;
                if let Some(last) = states.last_mut() {
                    last.id = first;
                }
            }
            let spine: Vec<(usize, usize)> = spine
                .iter()
                .enumerate()
                .skip(1)
                .filter_map(|(n, parent)| parent.map(|p| (p.index(n), n)))
                .collect();
            let mut outcomes: Vec<Outcome> = outcomes
                .into_iter()
                .enumerate()
                .map(|(n, o)| Outcome {
                    id: id::<OutcomeId>(800 + n as u128),
                    name: name(&o.name),
                    kind: match o.kind {
                        0 => OutcomeKind::Attempt(AttemptKind::NoAnswer),
                        1 => OutcomeKind::Attempt(AttemptKind::CallBackLater),
                        _ => progress(resolve(o.target)),
                    },
                    from: o.from.into_iter().map(resolve).collect(),
                    schedules_follow_up: o.schedules_follow_up,
                    carries_products: o.carries_products,
                    books_meeting: o.books_meeting,
                })
                .collect();
            outcomes.extend(spine.into_iter().map(|(from, to)| {
                outcome(
                    id(900 + to as u128),
                    &format!("Go {to}"),
                    progress(state_id(to)),
                    &[state_id(from)],
                )
            }));
            FlowDraft {
                id: id::<FlowId>(690),
                data_owner: DATA_OWNER,
                version: 1,
                name: name("Random"),
                // Usually the first state; sometimes any state or one not in the flow.
                initial: initial.map_or(state_id(0), resolve),
                states,
                outcomes,
            }
        })
}

/// The states reachable from `initial` through progress outcomes, computed independently
/// of the flow module.
fn reachable(flow: &PublishedFlow) -> BTreeSet<StateId> {
    let mut seen = BTreeSet::from([flow.initial_state()]);
    let mut queue = VecDeque::from([flow.initial_state()]);
    while let Some(from) = queue.pop_front() {
        for outcome in flow.outcomes() {
            if let OutcomeKind::Progress { target } = outcome.kind
                && outcome.from.contains(&from)
                && seen.insert(target)
            {
                queue.push_back(target);
            }
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn a_draft_publishes_exactly_when_it_has_no_problems(draft in random_draft()) {
        let problems = draft.problems();
        prop_assert_eq!(draft.publish().is_ok(), problems.is_empty(), "{:?}", problems);
    }

    #[test]
    fn a_published_flow_is_sound(draft in random_draft()) {
        let Ok(flow) = draft.publish() else {
            return Ok(());
        };
        let ids: BTreeSet<StateId> = flow.states().iter().map(|s| s.id).collect();
        prop_assert_eq!(ids.len(), flow.states().len(), "state ids are distinct");
        let names: BTreeSet<String> =
            flow.states().iter().map(|s| s.name.as_str().to_lowercase()).collect();
        prop_assert_eq!(names.len(), flow.states().len(), "state names are distinct");
        let initial = flow.state(flow.initial_state());
        prop_assert_eq!(initial.map(|s| s.category), Some(StateCategory::Available));
        for outcome in flow.outcomes() {
            prop_assert!(!outcome.from.is_empty());
            prop_assert!(outcome.from.is_subset(&ids), "{} from unknown", outcome.name);
            match outcome.kind {
                OutcomeKind::Progress { target } => prop_assert!(ids.contains(&target)),
                OutcomeKind::Attempt(kind) => {
                    prop_assert!(!outcome.carries_products && !outcome.books_meeting);
                    prop_assert!(kind != AttemptKind::NoAnswer || !outcome.schedules_follow_up);
                }
            }
        }
        prop_assert_eq!(reachable(&flow), ids, "every state is reachable");
        let json = serde_json::to_string(&flow).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: PublishedFlow =
            serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, flow);
    }
}

#[test]
fn the_random_drafts_include_publishable_ones() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = random_draft();
    let published = (0..2000)
        .filter_map(|_| strategy.new_tree(&mut runner).ok())
        .filter(|tree| tree.current().publish().is_ok())
        .count();
    assert!(
        published >= 200,
        "only {published} of 2000 drafts published"
    );
}

// --- the queue -------------------------------------------------------------------------

const SEGMENTS: [SegmentId; 2] = [
    SegmentId::from_uuid(uuid::Uuid::from_u128(61)),
    SegmentId::from_uuid(uuid::Uuid::from_u128(62)),
];

fn owner() -> impl Strategy<Value = Option<UserId>> {
    prop_oneof![Just(None), Just(Some(SELLER)), Just(Some(OTHER_SELLER))]
}

fn minutes() -> impl Strategy<Value = i64> {
    -120i64..120
}

fn random_enrollment(n: u64) -> impl Strategy<Value = (Enrollment, FieldValues)> {
    (
        category(),
        0u32..6,
        prop::option::of(0usize..3),
        prop::option::of(minutes()),
        prop::option::of((minutes(), owner())),
        prop::option::of(minutes()),
        prop::option::of((minutes(), owner())),
        prop::option::of(0i64..4),
    )
        .prop_map(
            move |(category, attempts, segment, last, follow_up, retry, reservation, size)| {
                let snapshot = EnrollmentSnapshot {
                    category,
                    attempts,
                    segment: segment.map(|s| SEGMENTS.get(s).copied().unwrap_or(id(69))),
                    last_contact: last.map(mins),
                    follow_up: follow_up.map(|(due, owner)| FollowUp {
                        due: mins(due),
                        owner,
                    }),
                    no_answer_at: retry.map(mins),
                    reservation: reservation.map(|(until, seller)| Reservation {
                        seller: seller.unwrap_or(MANAGER),
                        until: mins(until),
                    }),
                    ..snapshot(n)
                };
                let mut fields = FieldValues::new();
                if let Some(size) = size {
                    fields.insert(key("size"), FieldValue::Number(size));
                }
                (Enrollment::from(snapshot), fields)
            },
        )
}

fn random_pool() -> impl Strategy<Value = Vec<(Enrollment, FieldValues)>> {
    (0u64..12).prop_flat_map(|len| (0..len).map(random_enrollment).collect::<Vec<_>>())
}

fn random_rules() -> impl Strategy<Value = Vec<PriorityRule>> {
    let rule = prop_oneof![
        Just(PriorityRule::SegmentOrder),
        Just(PriorityRule::Field(key("size"), Direction::Ascending)),
        Just(PriorityRule::Field(key("size"), Direction::Descending)),
        Just(PriorityRule::FewestAttempts),
        Just(PriorityRule::LongestSinceLastContact),
        Just(PriorityRule::ImportOrder),
    ];
    prop::collection::vec(rule, 0..4)
}

fn queue_setup(priority: Vec<PriorityRule>) -> AssignmentSetup {
    AssignmentSetup {
        segments: SEGMENTS
            .iter()
            .enumerate()
            .map(|(n, id)| Segment {
                id: *id,
                name: name(&format!("Segment {n}")),
            })
            .collect(),
        priority,
        ..AssignmentSetup::default()
    }
}

fn candidates(pool: &[(Enrollment, FieldValues)]) -> impl Iterator<Item = Candidate<'_>> {
    pool.iter().map(|(enrollment, fields)| Candidate {
        enrollment,
        fields,
        barred: None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_next_customer_is_a_ready_one_and_comes_first(
        pool in random_pool(),
        rules in random_rules(),
        seller_is_other in any::<bool>(),
    ) {
        let setup = queue_setup(rules);
        let seller = if seller_is_other { OTHER_SELLER } else { SELLER };
        let now: OffsetDateTime = T0;
        let chosen = select_next(&setup, seller, now, candidates(&pool));
        let ready: Vec<_> = candidates(&pool)
            .filter_map(|c| tier(&setup, c.enrollment, seller, now).map(|t| (c, t)))
            .collect();
        let Some((chosen, chosen_tier)) = chosen else {
            prop_assert!(ready.is_empty());
            return Ok(());
        };
        let e = chosen.enrollment;
        prop_assert!(e.category() != StateCategory::Excluded, "never excluded");
        if let Some(holder) = e.holder(now) {
            prop_assert_eq!(holder, seller, "never another seller's");
            prop_assert_eq!(chosen_tier, cube_domain::queue::Tier::Held);
            return Ok(());
        }
        match e.follow_up() {
            Some(f) => {
                prop_assert!(f.is_due(now));
                prop_assert!(f.owner.is_none_or(|o| o == seller), "not another's");
            }
            None => {
                prop_assert_eq!(e.category(), StateCategory::Available);
                prop_assert!(e.retry_at(setup.retry_delay).is_none_or(|at| at <= now), "rested");
            }
        }
        for (other, other_tier) in &ready {
            let before = other_tier
                .cmp(&chosen_tier)
                .then_with(|| compare(&setup, *other_tier, other, &chosen));
            prop_assert!(!before.is_lt(), "{} should have come first", other.enrollment.sequence());
        }
    }

    #[test]
    fn no_customer_is_handed_to_two_sellers(pool in random_pool(), rules in random_rules()) {
        // Sellers take turns asking; each hand-out is reserved before the next question.
        let setup = queue_setup(rules);
        let mut pool = pool;
        let mut handed = std::collections::BTreeMap::new();
        let sellers = [SELLER, OTHER_SELLER, id(34)];
        for turn in 0..pool.len() + 2 {
            let seller = sellers[turn % sellers.len()];
            let now = T0 + Duration::seconds(turn as i64);
            let Some((chosen, tier)) = select_next(&setup, seller, now, candidates(&pool)) else {
                continue;
            };
            let sequence = chosen.enrollment.sequence();
            // Handed again only to the seller who holds it (resuming), never to another.
            if let Some(first) = handed.insert(sequence, seller) {
                prop_assert_eq!(first, seller, "{} handed to two sellers", sequence);
                prop_assert_eq!(tier, cube_domain::queue::Tier::Held);
            }
            let entry = pool
                .iter_mut()
                .find(|(e, _)| e.sequence() == sequence)
                .map(|(e, _)| e)
                .ok_or_else(|| TestCaseError::fail("chosen from the pool"))?;
            let reserved = entry.reserve(seller, now, setup.lease);
            prop_assert!(reserved.is_ok(), "a handed-out customer can be reserved: {:?}", reserved);
        }
    }
}
