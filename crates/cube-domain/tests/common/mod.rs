//! Shared builders for the domain's integration tests: the seed-003 sales flow, the seed-000
//! meeting-booking flow, an assignment around each (`World`), people, products, calendars
//! and times. Every test file uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot};
use cube_domain::fields::{FieldKey, FieldValues};
use cube_domain::flow::{
    AttemptKind, FlowDraft, Outcome, OutcomeKind, PublishedFlow, State, StateCategory,
};
use cube_domain::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, FlowId, OrganisationId,
    OutcomeId, ProductId, StateId, UserId,
};
use cube_domain::meeting::{Calendar, Meeting, MeetingKind, MeetingRequest};
use cube_domain::outcome::{
    NewIds, RegisterOutcome, Registrar, Registration, RegistrationContext, RegistrationError,
    register,
};
use cube_domain::product::{Currency, Product};
use cube_domain::values::Name;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Any id from a small number, so tests read `id(7)`.
pub fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(n))
}

/// A name that is known to be valid.
pub fn name(raw: &str) -> Name {
    Name::parse(raw).expect("test names are valid")
}

/// A field key that is known to be valid.
pub fn key(raw: &str) -> FieldKey {
    FieldKey::parse(raw).expect("test keys are valid")
}

/// Saturday morning, the "now" most tests start from.
pub const T0: OffsetDateTime = datetime!(2026-11-28 09:00 UTC);

/// `T0` plus some minutes.
pub fn mins(minutes: i64) -> OffsetDateTime {
    T0 + Duration::minutes(minutes)
}

pub const ORG: OrganisationId = OrganisationId::from_uuid(Uuid::from_u128(1));
pub const OTHER_ORG: OrganisationId = OrganisationId::from_uuid(Uuid::from_u128(2));
pub const DATA_OWNER: DataOwnerId = DataOwnerId::from_uuid(Uuid::from_u128(10));
pub const OTHER_DATA_OWNER: DataOwnerId = DataOwnerId::from_uuid(Uuid::from_u128(11));
pub const ASSIGNMENT: AssignmentId = AssignmentId::from_uuid(Uuid::from_u128(20));

pub const SELLER: UserId = UserId::from_uuid(Uuid::from_u128(31));
pub const OTHER_SELLER: UserId = UserId::from_uuid(Uuid::from_u128(32));
pub const MANAGER: UserId = UserId::from_uuid(Uuid::from_u128(33));

/// A product offered in the assignments, 499 NOK.
pub const PRODUCT: ProductId = ProductId::from_uuid(Uuid::from_u128(41));
/// Offered but no longer sold.
pub const INACTIVE_PRODUCT: ProductId = ProductId::from_uuid(Uuid::from_u128(42));
/// In the catalogue but not offered in the assignments.
pub const UNOFFERED_PRODUCT: ProductId = ProductId::from_uuid(Uuid::from_u128(43));

/// A calendar of the assignment that refuses overlaps.
pub const CALENDAR: CalendarId = CalendarId::from_uuid(Uuid::from_u128(51));
/// A calendar of the assignment that allows overlaps.
pub const SHARED_CALENDAR: CalendarId = CalendarId::from_uuid(Uuid::from_u128(52));
/// A calendar of the data owner that the assignment does not offer.
pub const FOREIGN_CALENDAR: CalendarId = CalendarId::from_uuid(Uuid::from_u128(53));

const fn state_id(n: u128) -> StateId {
    StateId::from_uuid(Uuid::from_u128(n))
}

const fn outcome_id(n: u128) -> OutcomeId {
    OutcomeId::from_uuid(Uuid::from_u128(n))
}

pub fn state(id: StateId, raw: &str, category: StateCategory) -> State {
    State {
        id,
        name: name(raw),
        category,
    }
}

/// A plain outcome: no follow-up, products or meeting.
pub fn outcome(id: OutcomeId, raw: &str, kind: OutcomeKind, from: &[StateId]) -> Outcome {
    Outcome {
        id,
        name: name(raw),
        kind,
        from: from.iter().copied().collect::<BTreeSet<_>>(),
        schedules_follow_up: false,
        carries_products: false,
        books_meeting: false,
    }
}

pub fn progress(target: StateId) -> OutcomeKind {
    OutcomeKind::Progress { target }
}

/// The seed-003 sales flow.
pub mod sales {
    use super::*;

    pub const FLOW: FlowId = FlowId::from_uuid(Uuid::from_u128(100));

    pub mod state {
        use super::super::state_id;
        use cube_domain::ids::StateId;
        pub const TO_CALL: StateId = state_id(101);
        pub const LEAD: StateId = state_id(102);
        pub const OFFER: StateId = state_id(103);
        pub const SALE_TO_FOLLOWUP: StateId = state_id(104);
        pub const SALE: StateId = state_id(105);
        pub const NO_SALE: StateId = state_id(106);
        pub const EXCLUDED: StateId = state_id(107);
    }

    pub mod outcome {
        use super::super::outcome_id;
        use cube_domain::ids::OutcomeId;
        pub const NO_ANSWER: OutcomeId = outcome_id(201);
        pub const CALL_BACK_LATER: OutcomeId = outcome_id(202);
        pub const LEAD: OutcomeId = outcome_id(203);
        pub const OFFER: OutcomeId = outcome_id(204);
        pub const SALE_TO_FOLLOWUP: OutcomeId = outcome_id(205);
        pub const SALE: OutcomeId = outcome_id(206);
        pub const NO_SALE: OutcomeId = outcome_id(207);
        pub const EXCLUDED: OutcomeId = outcome_id(208);
    }

    /// To Call [Available, initial], Lead, Offer, Sale to followup [Open], Sale [Yes],
    /// No sale [No], Excluded [Excluded]; attempts and conclusions from every working state.
    pub fn draft() -> FlowDraft {
        use self::outcome as o;
        use self::state as s;
        let working = [s::TO_CALL, s::LEAD, s::OFFER, s::SALE_TO_FOLLOWUP];
        let mut call_back = super::outcome(
            o::CALL_BACK_LATER,
            "Call back later",
            OutcomeKind::Attempt(AttemptKind::CallBackLater),
            &working,
        );
        call_back.schedules_follow_up = true;
        let mut offer = super::outcome(
            o::OFFER,
            "Offer",
            progress(s::OFFER),
            &[s::TO_CALL, s::LEAD],
        );
        offer.carries_products = true;
        offer.schedules_follow_up = true;
        let mut sale_to_followup = super::outcome(
            o::SALE_TO_FOLLOWUP,
            "Sale to followup",
            progress(s::SALE_TO_FOLLOWUP),
            &[s::TO_CALL, s::LEAD, s::OFFER],
        );
        sale_to_followup.carries_products = true;
        sale_to_followup.schedules_follow_up = true;
        let mut sale = super::outcome(o::SALE, "Sale", progress(s::SALE), &working);
        sale.carries_products = true;
        FlowDraft {
            id: FLOW,
            data_owner: DATA_OWNER,
            version: 1,
            name: name("Sales"),
            initial: s::TO_CALL,
            states: vec![
                super::state(s::TO_CALL, "To Call", StateCategory::Available),
                super::state(s::LEAD, "Lead", StateCategory::Open),
                super::state(s::OFFER, "Offer", StateCategory::Open),
                super::state(s::SALE_TO_FOLLOWUP, "Sale to followup", StateCategory::Open),
                super::state(s::SALE, "Sale", StateCategory::Yes),
                super::state(s::NO_SALE, "No sale", StateCategory::No),
                super::state(s::EXCLUDED, "Excluded", StateCategory::Excluded),
            ],
            outcomes: vec![
                super::outcome(
                    o::NO_ANSWER,
                    "No answer",
                    OutcomeKind::Attempt(AttemptKind::NoAnswer),
                    &working,
                ),
                call_back,
                super::outcome(o::LEAD, "Lead", progress(s::LEAD), &[s::TO_CALL]),
                offer,
                sale_to_followup,
                sale,
                super::outcome(o::NO_SALE, "No sale", progress(s::NO_SALE), &working),
                super::outcome(o::EXCLUDED, "Excluded", progress(s::EXCLUDED), &working),
            ],
        }
    }

    pub fn flow() -> PublishedFlow {
        draft().publish().expect("the sales flow is valid")
    }
}

/// The seed-000 meeting-booking flow ("Møtebooking").
pub mod meetings {
    use super::*;

    pub const FLOW: FlowId = FlowId::from_uuid(Uuid::from_u128(300));

    pub mod state {
        use super::super::state_id;
        use cube_domain::ids::StateId;
        pub const TO_CALL: StateId = state_id(301);
        pub const MEETING_BOOKED: StateId = state_id(302);
        pub const NOT_INTERESTED: StateId = state_id(303);
        pub const EXCLUDED: StateId = state_id(304);
    }

    pub mod outcome {
        use super::super::outcome_id;
        use cube_domain::ids::OutcomeId;
        pub const NO_ANSWER: OutcomeId = outcome_id(401);
        pub const CALL_BACK_LATER: OutcomeId = outcome_id(402);
        pub const MEETING_BOOKED: OutcomeId = outcome_id(403);
        pub const NOT_INTERESTED: OutcomeId = outcome_id(404);
        pub const EXCLUDED: OutcomeId = outcome_id(405);
    }

    pub fn draft() -> FlowDraft {
        use self::outcome as o;
        use self::state as s;
        let mut call_back = super::outcome(
            o::CALL_BACK_LATER,
            "Call back later",
            OutcomeKind::Attempt(AttemptKind::CallBackLater),
            &[s::TO_CALL],
        );
        call_back.schedules_follow_up = true;
        let mut booked = super::outcome(
            o::MEETING_BOOKED,
            "Meeting booked",
            progress(s::MEETING_BOOKED),
            &[s::TO_CALL],
        );
        booked.books_meeting = true;
        FlowDraft {
            id: FLOW,
            data_owner: DATA_OWNER,
            version: 1,
            name: name("Møtebooking"),
            initial: s::TO_CALL,
            states: vec![
                super::state(s::TO_CALL, "To Call", StateCategory::Available),
                super::state(s::MEETING_BOOKED, "Meeting booked", StateCategory::Yes),
                super::state(s::NOT_INTERESTED, "Not interested", StateCategory::No),
                super::state(s::EXCLUDED, "Excluded", StateCategory::Excluded),
            ],
            outcomes: vec![
                super::outcome(
                    o::NO_ANSWER,
                    "No answer",
                    OutcomeKind::Attempt(AttemptKind::NoAnswer),
                    &[s::TO_CALL],
                ),
                call_back,
                booked,
                super::outcome(
                    o::NOT_INTERESTED,
                    "Not interested",
                    progress(s::NOT_INTERESTED),
                    &[s::TO_CALL],
                ),
                super::outcome(
                    o::EXCLUDED,
                    "Excluded",
                    progress(s::EXCLUDED),
                    &[s::TO_CALL],
                ),
            ],
        }
    }

    pub fn flow() -> PublishedFlow {
        draft().publish().expect("the meeting flow is valid")
    }
}

/// The catalogue: an offered product, an offered but inactive one and one not offered.
pub fn catalogue() -> Vec<Product> {
    let nok = Currency::parse("NOK").expect("NOK is a currency");
    let make = |id, raw: &str, code: &str| {
        Product::new(
            id,
            DATA_OWNER,
            name(raw),
            code,
            Decimal::from(499),
            nok.clone(),
        )
        .expect("test products are valid")
    };
    let mut inactive = make(INACTIVE_PRODUCT, "Old plan", "OLD");
    inactive.set_active(false);
    vec![
        make(PRODUCT, "Power plan", "POWER"),
        inactive,
        make(UNOFFERED_PRODUCT, "Gas plan", "GAS"),
    ]
}

pub fn calendars() -> Vec<Calendar> {
    let make = |id, raw: &str, allows_overlap| Calendar {
        id,
        data_owner: DATA_OWNER,
        name: name(raw),
        allows_overlap,
    };
    vec![
        make(CALENDAR, "Kari's calendar", false),
        make(SHARED_CALENDAR, "Meeting room", true),
        make(FOREIGN_CALENDAR, "Other team", false),
    ]
}

/// A meeting request in `calendar` from `start` for `minutes`.
pub fn meeting_request(
    calendar: CalendarId,
    start: OffsetDateTime,
    minutes: i64,
    kind: MeetingKind,
) -> MeetingRequest {
    MeetingRequest {
        calendar,
        start,
        end: start + Duration::minutes(minutes),
        kind,
        place: None,
    }
}

/// An assignment with its flow and everything registration reads.
#[derive(Debug, Clone)]
pub struct World {
    pub flow: PublishedFlow,
    pub assignment: Assignment,
    pub catalogue: Vec<Product>,
    pub calendars: Vec<Calendar>,
    /// Meetings already booked (what the store would return around the requested time).
    pub booked: Vec<Meeting>,
}

impl World {
    fn around(flow: PublishedFlow, assignment_name: &str) -> Self {
        let assignment = Assignment::new(ASSIGNMENT, ORG, DATA_OWNER, name(assignment_name), &flow)
            .expect("flow and assignment share the data owner");
        let world = Self {
            flow,
            assignment,
            catalogue: catalogue(),
            calendars: calendars(),
            booked: Vec::new(),
        };
        world.with_setup(|setup| {
            setup.products.available = [PRODUCT, INACTIVE_PRODUCT].into();
            setup.calendars = vec![CALENDAR, SHARED_CALENDAR];
        })
    }

    /// An assignment on the sales flow, selling `PRODUCT` at list price.
    pub fn sales() -> Self {
        Self::around(sales::flow(), "Power autumn campaign")
    }

    /// An assignment on the meeting-booking flow offering physical and video meetings.
    pub fn meetings() -> Self {
        Self::around(meetings::flow(), "Book meetings").with_setup(|setup| {
            setup.outcome_options.insert(
                meetings::outcome::MEETING_BOOKED,
                vec![name("Physical"), name("Video")],
            );
        })
    }

    /// Changes the setup (checked against the flow, as an admin would).
    pub fn with_setup(mut self, change: impl FnOnce(&mut AssignmentSetup)) -> Self {
        let mut setup = self.assignment.setup().clone();
        change(&mut setup);
        self.assignment
            .set_setup(setup, &self.flow)
            .expect("the test setup is valid for the flow");
        self
    }

    pub fn setup(&self) -> &AssignmentSetup {
        self.assignment.setup()
    }

    /// A fresh enrollment (in the initial state) enrolled at `T0`.
    pub fn enroll(&self, n: u128) -> Enrollment {
        Enrollment::new(
            id::<EnrollmentId>(1000 + n),
            ASSIGNMENT,
            id::<CustomerId>(2000 + n),
            self.flow.initial_state(),
            None,
            n as u64,
            T0,
        )
    }

    /// A fresh enrollment moved straight into `state` (as a flow switch would).
    pub fn enroll_in(&self, n: u128, state: StateId) -> Enrollment {
        let mut enrollment = self.enroll(n);
        enrollment.remap_state(state, self.flow.category(state));
        enrollment
    }

    /// `enrollment` reserved for `seller` at `now` with the assignment's lease.
    pub fn leased(
        &self,
        mut enrollment: Enrollment,
        seller: UserId,
        now: OffsetDateTime,
    ) -> Enrollment {
        enrollment
            .reserve(seller, now, self.setup().lease)
            .expect("the enrollment can be reserved");
        enrollment
    }

    /// Registers `command` with the context a store would load for it.
    pub fn register(
        &self,
        enrollment: &Enrollment,
        registrar: Registrar,
        command: RegisterOutcome,
        now: OffsetDateTime,
    ) -> Result<Registration, RegistrationError> {
        let calendar = command
            .meeting
            .as_ref()
            .and_then(|m| self.calendars.iter().find(|c| c.id == m.calendar));
        let ctx = RegistrationContext {
            assignment: &self.assignment,
            flow: &self.flow,
            catalogue: &self.catalogue,
            calendar,
            calendar_meetings: &self.booked,
        };
        let ids = NewIds {
            event: id(9000),
            meeting: id(9001),
        };
        register(ctx, enrollment, registrar, command, now, ids)
    }

    /// Has `seller` take a fresh lease at `now` and register `command`.
    pub fn seller_registers(
        &self,
        enrollment: &Enrollment,
        seller: UserId,
        command: RegisterOutcome,
        now: OffsetDateTime,
    ) -> Result<Registration, RegistrationError> {
        let leased = self.leased(enrollment.clone(), seller, now);
        self.register(&leased, Registrar::Seller(seller), command, now)
    }
}

/// The command for `outcome` with a follow-up time.
pub fn with_follow_up(outcome: OutcomeId, at: OffsetDateTime) -> RegisterOutcome {
    RegisterOutcome {
        follow_up_at: Some(at),
        ..RegisterOutcome::new(outcome)
    }
}

/// A plain enrollment snapshot in the sales assignment's initial state, for queue and bulk
/// tests that need attempts, segments or follow-ups set directly.
pub fn snapshot(n: u64) -> EnrollmentSnapshot {
    EnrollmentSnapshot {
        id: id(1000 + u128::from(n)),
        assignment: ASSIGNMENT,
        customer: id(2000 + u128::from(n)),
        state: sales::state::TO_CALL,
        category: StateCategory::Available,
        segment: None,
        attempts: 0,
        last_contact: None,
        follow_up: None,
        no_answer_at: None,
        reservation: None,
        sequence: n,
        enrolled_at: T0,
    }
}

/// No CRM field values.
pub fn no_fields() -> FieldValues {
    FieldValues::new()
}
