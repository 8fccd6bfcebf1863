//! Shared builders for the domain's integration tests: the seed-003 sales flow and the
//! seed-000 meeting-booking flow (from `cube_domain::flow::seeds`), an assignment around each (`World`), people, products, calendars
//! and times. Every test file uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot};
use cube_domain::fields::{FieldKey, FieldValues};
use cube_domain::flow::{Outcome, OutcomeKind, PublishedFlow, State, StateCategory};
use cube_domain::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, OrganisationId, OutcomeId,
    ProductId, StateId, UserId,
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

pub fn state(id: StateId, raw: &str, category: StateCategory) -> State {
    State {
        id,
        name: name(raw),
        category,
        colour: None,
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

/// Seed 003's sales flow (`cube_domain::flow::seeds::SalesFlow`) for `DATA_OWNER`, its ids
/// under the short names the tests use (`sales::state::LEAD`, `sales::outcome::SALE`).
pub mod sales {
    use super::DATA_OWNER;
    use cube_domain::flow::seeds::SalesFlow;
    use cube_domain::flow::{FlowDraft, PublishedFlow};
    use cube_domain::ids::FlowId;

    pub const FLOW: FlowId = SalesFlow::FLOW;

    pub mod state {
        use cube_domain::flow::seeds::SalesFlow;
        use cube_domain::ids::StateId;
        pub const TO_CALL: StateId = SalesFlow::TO_CALL;
        pub const LEAD: StateId = SalesFlow::LEAD;
        pub const OFFER: StateId = SalesFlow::OFFER;
        pub const SALE_TO_FOLLOWUP: StateId = SalesFlow::SALE_TO_FOLLOWUP;
        pub const SALE: StateId = SalesFlow::SALE;
        pub const NO_SALE: StateId = SalesFlow::NO_SALE;
        pub const EXCLUDED: StateId = SalesFlow::EXCLUDED;
    }

    pub mod outcome {
        use cube_domain::flow::seeds::SalesFlow;
        use cube_domain::ids::OutcomeId;
        pub const NO_ANSWER: OutcomeId = SalesFlow::O_NO_ANSWER;
        pub const CALL_BACK_LATER: OutcomeId = SalesFlow::O_CALL_BACK_LATER;
        pub const LEAD: OutcomeId = SalesFlow::O_LEAD;
        pub const OFFER: OutcomeId = SalesFlow::O_OFFER;
        pub const SALE_TO_FOLLOWUP: OutcomeId = SalesFlow::O_SALE_TO_FOLLOWUP;
        pub const SALE: OutcomeId = SalesFlow::O_SALE;
        pub const NO_SALE: OutcomeId = SalesFlow::O_NO_SALE;
        pub const EXCLUDED: OutcomeId = SalesFlow::O_EXCLUDED;
    }

    pub fn draft() -> FlowDraft {
        SalesFlow::draft(FLOW, DATA_OWNER)
    }

    pub fn flow() -> PublishedFlow {
        SalesFlow::published(DATA_OWNER)
    }
}

/// Seed 000's meeting-booking flow (`cube_domain::flow::seeds::MeetingFlow`) for
/// `DATA_OWNER`, its ids under the short names the tests use.
pub mod meetings {
    use super::DATA_OWNER;
    use cube_domain::flow::seeds::MeetingFlow;
    use cube_domain::flow::{FlowDraft, PublishedFlow};
    use cube_domain::ids::FlowId;

    pub const FLOW: FlowId = MeetingFlow::FLOW;

    pub mod state {
        use cube_domain::flow::seeds::MeetingFlow;
        use cube_domain::ids::StateId;
        pub const TO_CALL: StateId = MeetingFlow::TO_CALL;
        pub const MEETING_BOOKED: StateId = MeetingFlow::MEETING_BOOKED;
        pub const NOT_INTERESTED: StateId = MeetingFlow::NOT_INTERESTED;
        pub const EXCLUDED: StateId = MeetingFlow::EXCLUDED;
    }

    pub mod outcome {
        use cube_domain::flow::seeds::MeetingFlow;
        use cube_domain::ids::OutcomeId;
        pub const NO_ANSWER: OutcomeId = MeetingFlow::O_NO_ANSWER;
        pub const CALL_BACK_LATER: OutcomeId = MeetingFlow::O_CALL_BACK_LATER;
        pub const MEETING_BOOKED: OutcomeId = MeetingFlow::O_MEETING_BOOKED;
        pub const NOT_INTERESTED: OutcomeId = MeetingFlow::O_NOT_INTERESTED;
        /// "Wrong number": to Excluded.
        pub const EXCLUDED: OutcomeId = MeetingFlow::O_WRONG_NUMBER;
    }

    pub fn draft() -> FlowDraft {
        MeetingFlow::draft(FLOW, DATA_OWNER)
    }

    pub fn flow() -> PublishedFlow {
        MeetingFlow::published(DATA_OWNER)
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
        opening_hours: Vec::new(),
        active: true,
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
            zone: &cube_domain::time_zone::TimeZone::oslo(),
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
