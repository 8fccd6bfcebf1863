//! Outcome registration: a command is checked against the flow, the assignment's setup, the
//! catalogue and the calendar, and yields an immutable `OutcomeEvent` (appended to the log)
//! plus the enrollment's new "now". Nothing is changed when any check fails.

use crate::assignment::Assignment;
use crate::assignment::setup::{AssignmentSetup, FollowUpOwnership};
use crate::enrollment::{Enrollment, FollowUp};
use crate::fields::{FieldError, FieldValues, check_values};
use crate::flow::{AttemptKind, OutcomeKind, PublishedFlow, StateCategory};
use crate::ids::{
    AssignmentId, CalendarId, CustomerId, EnrollmentId, MeetingId, OutcomeEventId, OutcomeId,
    ProductId, StateId, UserId,
};
use crate::instant;
use crate::meeting::{Calendar, Meeting, MeetingRequest};
use crate::product::{Currency, MAX_QUANTITY, PriceError, Product, check_unit_price};
use crate::time_bounds::{TimeOutOfBounds, checked_time};
use crate::time_zone::TimeZone;
use crate::values::{InvalidInput, Lines, ValueError, clean_text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

/// What kind of entry an outcome event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OutcomeClass {
    /// A progress outcome (may move the customer).
    Progress,
    /// No answer.
    NoAnswer,
    /// Call back later.
    CallBackLater,
    /// A state change made by an external system through the API (no seller outcome).
    External,
}

impl OutcomeClass {
    /// NoAnswer or CallBackLater.
    pub fn is_attempt(self) -> bool {
        matches!(self, OutcomeClass::NoAnswer | OutcomeClass::CallBackLater)
    }

    fn of(kind: OutcomeKind) -> Self {
        match kind {
            OutcomeKind::Progress { .. } => OutcomeClass::Progress,
            OutcomeKind::Attempt(AttemptKind::NoAnswer) => OutcomeClass::NoAnswer,
            OutcomeKind::Attempt(AttemptKind::CallBackLater) => OutcomeClass::CallBackLater,
        }
    }
}

/// Who registers an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Registrar {
    /// A seller; must hold the enrollment's live lease.
    Seller(UserId),
    /// A manager or admin; may register on any enrollment not reserved by someone else.
    Manager(UserId),
    /// An approved SMS reply.
    SmsReply,
    /// An external system through the API.
    Integration,
    /// The written confirmation of a sale (angrerettloven § 10): the customer refused the
    /// offer, or did not answer it in time.
    SaleConfirmation,
}

impl Registrar {
    /// The user behind it, if a person.
    pub fn user(self) -> Option<UserId> {
        match self {
            Registrar::Seller(user) | Registrar::Manager(user) => Some(user),
            Registrar::SmsReply | Registrar::Integration | Registrar::SaleConfirmation => None,
        }
    }
}

/// A product line as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLineRequest {
    /// The product.
    pub product: ProductId,
    /// How many units (at least 1).
    pub quantity: u32,
    /// Another price than the catalogue's, where the assignment allows it.
    pub unit_price: Option<Decimal>,
}

/// A product line as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductLine {
    /// The product.
    pub product: ProductId,
    /// Units.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Decimal,
    /// The currency.
    pub currency: Currency,
}

impl ProductLine {
    /// Quantity × unit price; `None` if it does not fit a `Decimal` (never for a line within
    /// the bounds of [`crate::product`], which registration enforces).
    pub fn value(&self) -> Option<Decimal> {
        self.unit_price.checked_mul(Decimal::from(self.quantity))
    }
}

/// The command to register an outcome on an enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterOutcome {
    /// The outcome.
    pub outcome: OutcomeId,
    /// The chosen option, required when the assignment has options for the outcome.
    pub option: Option<String>,
    /// Outcome field values.
    pub fields: FieldValues,
    /// Product lines (outcomes that carry products).
    pub products: Vec<ProductLineRequest>,
    /// The meeting (outcomes that book a meeting).
    pub meeting: Option<MeetingRequest>,
    /// When to contact again (CallBackLater; progress outcomes that schedule follow-ups).
    pub follow_up_at: Option<OffsetDateTime>,
    /// Who a personal follow-up is for, when not the seller registering it (seed 004: a
    /// colleague on the assignment takes the customer's next call). Only for a follow-up
    /// that is personal; whether the user is a seller of the assignment is the use case's
    /// to check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_owner: Option<UserId>,
    /// A free-text note.
    pub note: Option<String>,
}

impl RegisterOutcome {
    /// The command for `outcome` with nothing else given.
    pub fn new(outcome: OutcomeId) -> Self {
        Self {
            outcome,
            option: None,
            fields: FieldValues::new(),
            products: Vec::new(),
            meeting: None,
            follow_up_at: None,
            follow_up_owner: None,
            note: None,
        }
    }

    /// The command with its times (meeting, follow-up) truncated to the domain's precision,
    /// whole microseconds ([`crate::instant`]): what the use case passes on, so the overlap
    /// check and every store see the same times.
    #[must_use]
    pub fn truncated(mut self) -> Self {
        if let Some(meeting) = &mut self.meeting {
            meeting.start = instant::truncate(meeting.start);
            meeting.end = instant::truncate(meeting.end);
        }
        self.follow_up_at = self.follow_up_at.map(instant::truncate);
        self
    }

    /// Checks every time the command carries (`follow_up_at`, `meeting.start`,
    /// `meeting.end`) lies in the accepted window; `register` does it first, and a caller
    /// that looks up meetings around the requested time does it before asking its store.
    pub fn check_times(&self) -> Result<(), TimeOutOfBounds> {
        if let Some(at) = self.follow_up_at {
            checked_time("follow_up_at", at)?;
        }
        if let Some(meeting) = &self.meeting {
            checked_time("meeting.start", meeting.start)?;
            checked_time("meeting.end", meeting.end)?;
        }
        Ok(())
    }
}

/// Everything an outcome event holds, as plain data: what a storage adapter writes and
/// reads back ([`OutcomeEvent::from`] restores the event). Only the domain's functions
/// (`register`, `external_state_change`) make a new event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeEventRecord {
    /// The id.
    pub id: OutcomeEventId,
    /// The assignment.
    pub assignment: AssignmentId,
    /// The enrollment.
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// When it was registered.
    pub occurred_at: OffsetDateTime,
    /// Who registered it, if a person.
    pub user: Option<UserId>,
    /// The outcome (`None` for an external state change).
    pub outcome: Option<OutcomeId>,
    /// Progress, attempt or external.
    pub class: OutcomeClass,
    /// The chosen option.
    pub option: Option<String>,
    /// The state before.
    pub from_state: StateId,
    /// The state after.
    pub to_state: StateId,
    /// The category of the state after (reports count conclusions from it).
    pub to_category: StateCategory,
    /// Outcome field values.
    pub fields: FieldValues,
    /// Product lines.
    pub products: Vec<ProductLine>,
    /// The meeting booked.
    pub meeting: Option<MeetingId>,
    /// The follow-up scheduled (replaces any earlier one).
    pub follow_up: Option<FollowUp>,
    /// A free-text note.
    pub note: Option<String>,
}

/// One entry of the append-only outcome log. Made only by the domain's functions
/// ([`register`], [`external_state_change`]) and read through its accessors; a store
/// restores it from its [`OutcomeEventRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OutcomeEventRecord", into = "OutcomeEventRecord")]
pub struct OutcomeEvent(OutcomeEventRecord);

impl From<OutcomeEventRecord> for OutcomeEvent {
    fn from(record: OutcomeEventRecord) -> Self {
        Self(record)
    }
}

impl From<OutcomeEvent> for OutcomeEventRecord {
    fn from(event: OutcomeEvent) -> Self {
        event.0
    }
}

impl OutcomeEvent {
    /// The event with what may hold personal data taken out (GDPR art. 17): the outcome
    /// field values and the note. Everything a report counts stays as it was — the
    /// assignment, enrollment and customer ids, the time, the user, the outcome and its
    /// option, the states, the product lines, the meeting and the follow-up — so the
    /// history still adds up once the person is erased.
    pub fn without_texts(&self) -> OutcomeEvent {
        let mut record = self.0.clone();
        record.fields = FieldValues::new();
        record.note = None;
        OutcomeEvent(record)
    }

    /// The plain data, for a storage adapter writing it.
    pub fn record(&self) -> &OutcomeEventRecord {
        &self.0
    }

    /// The plain data to shape, for the domain's own tests.
    #[cfg(test)]
    pub(crate) fn record_mut(&mut self) -> &mut OutcomeEventRecord {
        &mut self.0
    }
    /// The id.
    pub fn id(&self) -> OutcomeEventId {
        self.0.id
    }

    /// The assignment.
    pub fn assignment(&self) -> AssignmentId {
        self.0.assignment
    }

    /// The enrollment.
    pub fn enrollment(&self) -> EnrollmentId {
        self.0.enrollment
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.0.customer
    }

    /// When it was registered.
    pub fn occurred_at(&self) -> OffsetDateTime {
        self.0.occurred_at
    }

    /// Who registered it, if a person.
    pub fn user(&self) -> Option<UserId> {
        self.0.user
    }

    /// The outcome (`None` for an external state change).
    pub fn outcome(&self) -> Option<OutcomeId> {
        self.0.outcome
    }

    /// Progress, attempt or external.
    pub fn class(&self) -> OutcomeClass {
        self.0.class
    }

    /// The chosen option.
    pub fn option(&self) -> Option<&str> {
        self.0.option.as_deref()
    }

    /// The state before.
    pub fn from_state(&self) -> StateId {
        self.0.from_state
    }

    /// The state after.
    pub fn to_state(&self) -> StateId {
        self.0.to_state
    }

    /// The category of the state after (reports count conclusions from it).
    pub fn to_category(&self) -> StateCategory {
        self.0.to_category
    }

    /// Outcome field values.
    pub fn fields(&self) -> &FieldValues {
        &self.0.fields
    }

    /// Product lines.
    pub fn products(&self) -> &[ProductLine] {
        &self.0.products
    }

    /// The meeting booked.
    pub fn meeting(&self) -> Option<MeetingId> {
        self.0.meeting
    }

    /// The follow-up scheduled (replaces any earlier one).
    pub fn follow_up(&self) -> Option<FollowUp> {
        self.0.follow_up
    }

    /// A free-text note.
    pub fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

/// The longest note accepted.
pub const MAX_NOTE: usize = 4000;

/// Why a registration was refused. Each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistrationError {
    /// The enrollment is in another assignment.
    #[error("the customer is not enrolled in this assignment")]
    WrongAssignment,
    /// The flow has no such outcome.
    #[error("the assignment's flow has no outcome {0}")]
    UnknownOutcome(OutcomeId),
    /// The outcome cannot be chosen from the current state.
    #[error("outcome '{outcome}' is not allowed from state '{state}'")]
    NotAllowedFrom {
        /// The outcome's name.
        outcome: String,
        /// The current state's name.
        state: String,
    },
    /// Another seller holds the customer.
    #[error(
        "another seller is working this customer until {}",
        crate::instant::shown(.0)
    )]
    HeldByAnother(OffsetDateTime),
    /// The seller's lease ran out or was never taken.
    #[error(
        "you do not hold this customer (never taken, or your reservation ran out); take the \
         customer or ask for the next one, then register"
    )]
    LeaseNotHeld,
    /// An option must be chosen.
    #[error("outcome '{outcome}' needs one of these options: {options}")]
    OptionRequired {
        /// The outcome's name.
        outcome: String,
        /// The options, comma separated.
        options: String,
    },
    /// The option is not configured.
    #[error("outcome '{outcome}' has no option '{option}'")]
    UnknownOption {
        /// The outcome's name.
        outcome: String,
        /// The option given.
        option: String,
    },
    /// An outcome field is wrong.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// Products given to an outcome that carries none.
    #[error("outcome '{0}' does not take products")]
    ProductsNotAllowed(String),
    /// The product is not offered in this assignment (or not active).
    #[error("product {0} is not available in this assignment")]
    ProductNotAvailable(ProductId),
    /// Zero units.
    #[error("the quantity of product {0} must be at least 1")]
    ZeroQuantity(ProductId),
    /// Price changed where the assignment does not allow it.
    #[error("the price of product {0} cannot be changed in this assignment")]
    PriceNotEditable(ProductId),
    /// A unit price out of bounds (negative, above the maximum, too many decimals).
    #[error("the unit price of product {0} {1}")]
    Price(ProductId, PriceError),
    /// More units than one line may have.
    #[error("the quantity of product {product} must be at most {max}, got {got}")]
    QuantityTooLarge {
        /// The product.
        product: ProductId,
        /// The quantity given.
        got: u32,
        /// The most allowed ([`crate::product::MAX_QUANTITY`]).
        max: u32,
    },
    /// Booking outcome without a meeting.
    #[error("outcome '{0}' books a meeting: give the calendar, start and end")]
    MeetingRequired(String),
    /// A meeting given to an outcome that books none.
    #[error("outcome '{0}' does not book meetings")]
    MeetingNotAllowed(String),
    /// The calendar is not one of the assignment's.
    #[error("calendar {0} is not offered in this assignment")]
    CalendarNotAvailable(CalendarId),
    /// End not after start.
    #[error("the meeting must end after it starts")]
    MeetingEndsBeforeStart,
    /// The calendar takes no new meetings.
    #[error("calendar '{0}' is closed for new meetings; choose another calendar")]
    CalendarClosed(String),
    /// Outside the calendar's opening hours.
    #[error(
        "the meeting is outside the opening hours of calendar '{0}'; choose a time among its \
         free slots"
    )]
    MeetingOutsideOpeningHours(String),
    /// A meeting that is over before it is booked.
    #[error(
        "the meeting ends at {}, which has passed: book a meeting that ends in the future",
        crate::instant::shown(.0)
    )]
    MeetingInPast(OffsetDateTime),
    /// Overlap in a calendar that refuses it.
    #[error(
        "the meeting overlaps another meeting in the calendar from {} to {}",
        crate::instant::shown(.0),
        crate::instant::shown(.1)
    )]
    MeetingOverlaps(OffsetDateTime, OffsetDateTime),
    /// CallBackLater without a time.
    #[error("outcome '{0}' needs a time to call back")]
    FollowUpTimeRequired(String),
    /// A follow-up time not in the future.
    #[error("the follow-up time must be in the future")]
    FollowUpInPast,
    /// An owner chosen for a follow-up that is not personal (shared, or none scheduled).
    #[error(
        "outcome '{0}' schedules no personal follow-up here, so it cannot be given to \
         another seller; leave `follow_up_owner` out"
    )]
    FollowUpOwnerNotAllowed(String),
    /// A follow-up time for an outcome that schedules none.
    #[error("outcome '{0}' does not schedule a follow-up; leave the time out")]
    FollowUpNotAllowed(String),
    /// The note is too long.
    #[error("the note must be at most {MAX_NOTE} characters")]
    NoteTooLong,
    /// The note holds control characters other than line breaks.
    #[error(transparent)]
    Note(InvalidInput),
    /// A follow-up or meeting time outside the years Cube accepts.
    #[error(transparent)]
    Time(#[from] TimeOutOfBounds),
}

/// What registration reads besides the enrollment.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationContext<'a> {
    /// The assignment (its setup).
    pub assignment: &'a Assignment,
    /// The flow version the assignment uses.
    pub flow: &'a PublishedFlow,
    /// The products named by the command (others may be present).
    pub catalogue: &'a [Product],
    /// The calendar named by the command's meeting, if any.
    pub calendar: Option<&'a Calendar>,
    /// The calendar's meetings around the requested time.
    pub calendar_meetings: &'a [Meeting],
    /// The organisation's time zone: the calendar's opening hours are its local times.
    pub zone: &'a TimeZone,
}

/// Ids for what a registration creates, made by the caller's id generator.
#[derive(Debug, Clone, Copy)]
pub struct NewIds {
    /// The event's id.
    pub event: OutcomeEventId,
    /// The meeting's id, used only if a meeting is booked.
    pub meeting: MeetingId,
}

/// Which outcome events a list keeps (seed 001's "the concrete outcomes", filtered): each
/// `Some` must match, `None` keeps any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeFilter {
    /// Only this outcome.
    pub outcome: Option<OutcomeId>,
    /// Only events this user registered.
    pub user: Option<UserId>,
    /// Only events that left the customer in this state.
    pub to_state: Option<StateId>,
    /// Only sales with products: events that landed in a Yes state with at least one product
    /// line (the sold lines of the sales report).
    pub sold: bool,
}

impl OutcomeFilter {
    /// Whether `event` is kept.
    pub fn matches(&self, event: &OutcomeEvent) -> bool {
        self.outcome.is_none_or(|o| event.outcome() == Some(o))
            && self.user.is_none_or(|u| event.user() == Some(u))
            && self.to_state.is_none_or(|s| event.to_state() == s)
            && (!self.sold
                || (event.to_category() == crate::flow::StateCategory::Yes
                    && !event.products().is_empty()))
    }
}

/// The result of a registration: append `event`, store `enrollment`, and book `meeting`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The log entry.
    pub event: OutcomeEvent,
    /// The enrollment after the event.
    pub enrollment: Enrollment,
    /// The meeting booked.
    pub meeting: Option<Meeting>,
}

/// Checks `command` and, if everything holds, returns the event, the new enrollment and the
/// meeting. The enrollment given is not changed.
///
/// ```
/// use cube_domain::assignment::Assignment;
/// use cube_domain::enrollment::Enrollment;
/// use cube_domain::flow::StateCategory;
/// use cube_domain::flow::seeds::SalesFlow;
/// use cube_domain::ids::*;
/// use cube_domain::outcome::{
///     NewIds, OutcomeClass, RegisterOutcome, Registrar, RegistrationContext, register,
/// };
/// use cube_domain::time_zone::TimeZone;
/// use cube_domain::values::Name;
/// use time::macros::datetime;
/// use time::Duration;
/// use uuid::Uuid;
///
/// let id = |n: u128| Uuid::from_u128(n);
/// let owner = DataOwnerId::from_uuid(id(1));
/// let flow = SalesFlow::published(owner);
/// let name = Name::parse("Strøm vår").unwrap();
/// let assignment = Assignment::new(
///     AssignmentId::from_uuid(id(2)), OrganisationId::from_uuid(id(3)), owner, name, &flow,
/// ).unwrap();
/// let now = datetime!(2026-03-02 09:00 UTC);
/// let mut enrollment = Enrollment::new(
///     EnrollmentId::from_uuid(id(4)), assignment.id(), CustomerId::from_uuid(id(5)),
///     flow.initial_state(), None, 1, now,
/// );
/// // A seller registers on a customer they hold.
/// let seller = UserId::from_uuid(id(6));
/// enrollment.reserve(seller, now, assignment.setup().lease).unwrap();
///
/// let ctx = RegistrationContext {
///     assignment: &assignment, flow: &flow, catalogue: &[], calendar: None,
///     calendar_meetings: &[], zone: &TimeZone::oslo(),
/// };
/// let ids = NewIds { event: OutcomeEventId::from_uuid(id(7)), meeting: MeetingId::from_uuid(id(8)) };
/// let mut command = RegisterOutcome::new(SalesFlow::O_CALL_BACK_LATER);
/// command.follow_up_at = Some(now + Duration::days(1));
/// let registration = register(ctx, &enrollment, Registrar::Seller(seller), command, now, ids).unwrap();
///
/// assert_eq!(registration.event.class(), OutcomeClass::CallBackLater);
/// let after = &registration.enrollment;
/// assert_eq!((after.attempts(), after.category()), (1, StateCategory::Available));
/// assert_eq!(after.follow_up().map(|f| f.due), Some(now + Duration::days(1)));
/// assert_eq!(after.reservation(), None, "registering releases the customer");
/// ```
pub fn register(
    ctx: RegistrationContext<'_>,
    enrollment: &Enrollment,
    registrar: Registrar,
    command: RegisterOutcome,
    now: OffsetDateTime,
    ids: NewIds,
) -> Result<Registration, RegistrationError> {
    let RegistrationContext {
        assignment, flow, ..
    } = ctx;
    if enrollment.assignment() != assignment.id() {
        return Err(RegistrationError::WrongAssignment);
    }
    command.check_times()?;
    check_lease(enrollment, registrar, now)?;
    let outcome_id = command.outcome;
    let outcome = flow
        .outcome(outcome_id)
        .ok_or(RegistrationError::UnknownOutcome(outcome_id))?;
    let outcome_name = outcome.name.to_string();
    if !outcome.from.contains(&enrollment.state()) {
        let state = flow
            .state(enrollment.state())
            .map_or_else(|| enrollment.state().to_string(), |s| s.name.to_string());
        return Err(RegistrationError::NotAllowedFrom {
            outcome: outcome_name,
            state,
        });
    }
    let note = match command
        .note
        .as_deref()
        .map(|n| clean_text("note", n, MAX_NOTE, Lines::Many))
    {
        None => None,
        Some(Ok(note)) => Some(note).filter(|n| !n.is_empty()),
        Some(Err(ValueError::TooLong { .. })) => return Err(RegistrationError::NoteTooLong),
        Some(Err(error)) => return Err(RegistrationError::Note(error.at("note"))),
    };
    let setup = assignment.setup();
    let option = check_option(
        setup.outcome_options.get(&outcome_id),
        &outcome_name,
        command.option,
    )?;
    let no_fields = Vec::new();
    let field_definitions = setup.outcome_fields.get(&outcome_id).unwrap_or(&no_fields);
    check_values(field_definitions, &command.fields)?;
    let products = if outcome.carries_products {
        product_lines(ctx, &command.products)?
    } else if command.products.is_empty() {
        Vec::new()
    } else {
        return Err(RegistrationError::ProductsNotAllowed(outcome_name));
    };

    let class = OutcomeClass::of(outcome.kind);
    let (to_state, to_category) = match outcome.kind {
        OutcomeKind::Progress { target } => (target, flow.category(target)),
        OutcomeKind::Attempt(_) => (enrollment.state(), enrollment.category()),
    };
    let follow_up = follow_up(
        ctx,
        enrollment,
        registrar,
        outcome_id,
        &outcome_name,
        class,
        outcome.schedules_follow_up,
        command.follow_up_at,
        now,
    )?;
    let follow_up = match (follow_up, command.follow_up_owner) {
        (_, None) => follow_up,
        (
            Some(FollowUp {
                due,
                owner: Some(_),
            }),
            Some(chosen),
        ) => Some(FollowUp {
            due,
            owner: Some(chosen),
        }),
        (_, Some(_)) => return Err(RegistrationError::FollowUpOwnerNotAllowed(outcome_name)),
    };
    let meeting = match (outcome.books_meeting, command.meeting) {
        (true, Some(request)) => Some(book_meeting(
            ctx,
            enrollment,
            registrar,
            request,
            ids.meeting,
            now,
        )?),
        (true, None) => return Err(RegistrationError::MeetingRequired(outcome_name)),
        (false, Some(_)) => return Err(RegistrationError::MeetingNotAllowed(outcome_name)),
        (false, None) => None,
    };

    let event = OutcomeEvent(OutcomeEventRecord {
        id: ids.event,
        assignment: assignment.id(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        occurred_at: now,
        user: registrar.user(),
        outcome: Some(outcome_id),
        class,
        option,
        from_state: enrollment.state(),
        to_state,
        to_category,
        fields: command.fields,
        products,
        meeting: meeting.as_ref().map(|m| m.id),
        follow_up,
        note,
    });
    let mut enrollment = enrollment.clone();
    enrollment.apply(&event);
    Ok(Registration {
        event,
        enrollment,
        meeting,
    })
}

/// Records a state change made by an external system (e.g. a customer who ordered on their
/// own is excluded). No flow outcome is needed; the follow-up and reservation end.
pub fn external_state_change(
    enrollment: &Enrollment,
    flow: &PublishedFlow,
    to_state: StateId,
    now: OffsetDateTime,
    id: OutcomeEventId,
) -> Option<(OutcomeEvent, Enrollment)> {
    let to_category = flow.state(to_state)?.category;
    let event = OutcomeEvent(OutcomeEventRecord {
        id,
        assignment: enrollment.assignment(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        occurred_at: now,
        user: None,
        outcome: None,
        class: OutcomeClass::External,
        option: None,
        from_state: enrollment.state(),
        to_state,
        to_category,
        fields: FieldValues::new(),
        products: Vec::new(),
        meeting: None,
        follow_up: None,
        note: None,
    });
    let mut next = enrollment.clone();
    next.apply(&event);
    Some((event, next))
}

fn check_lease(
    enrollment: &Enrollment,
    registrar: Registrar,
    now: OffsetDateTime,
) -> Result<(), RegistrationError> {
    let holder = enrollment.holder(now);
    match registrar {
        Registrar::Seller(seller) => match holder {
            Some(h) if h == seller => Ok(()),
            Some(_) => Err(RegistrationError::HeldByAnother(
                enrollment.reservation().map_or(now, |r| r.until),
            )),
            None => Err(RegistrationError::LeaseNotHeld),
        },
        Registrar::Manager(user) => match holder {
            Some(h) if h != user => Err(RegistrationError::HeldByAnother(
                enrollment.reservation().map_or(now, |r| r.until),
            )),
            _ => Ok(()),
        },
        // The system acts on the customer's own word (an SMS reply) or an external system of
        // record; it is not stopped by a seller's lease, which it ends.
        Registrar::SmsReply | Registrar::Integration | Registrar::SaleConfirmation => Ok(()),
    }
}

fn check_option(
    options: Option<&Vec<crate::values::Name>>,
    outcome: &str,
    chosen: Option<String>,
) -> Result<Option<String>, RegistrationError> {
    let options = options.filter(|o| !o.is_empty());
    match (options, chosen) {
        (None, None) => Ok(None),
        (None, Some(option)) => Err(RegistrationError::UnknownOption {
            outcome: outcome.to_owned(),
            option,
        }),
        (Some(options), None) => Err(RegistrationError::OptionRequired {
            outcome: outcome.to_owned(),
            options: options
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
        (Some(options), Some(option)) => options
            .iter()
            // Full Unicode case folding, as `AssignmentSetup::check` uses for distinctness.
            .find(|o| o.as_str().to_lowercase() == option.trim().to_lowercase())
            .map(|o| Some(o.to_string()))
            .ok_or(RegistrationError::UnknownOption {
                outcome: outcome.to_owned(),
                option,
            }),
    }
}

fn product_lines(
    ctx: RegistrationContext<'_>,
    requests: &[ProductLineRequest],
) -> Result<Vec<ProductLine>, RegistrationError> {
    let settings = &ctx.assignment.setup().products;
    requests
        .iter()
        .map(|request| {
            let product = ctx
                .catalogue
                .iter()
                .find(|p| p.id() == request.product)
                .filter(|p| p.active() && settings.available.contains(&p.id()))
                .ok_or(RegistrationError::ProductNotAvailable(request.product))?;
            if request.quantity == 0 {
                return Err(RegistrationError::ZeroQuantity(request.product));
            }
            if request.quantity > MAX_QUANTITY {
                return Err(RegistrationError::QuantityTooLarge {
                    product: request.product,
                    got: request.quantity,
                    max: MAX_QUANTITY,
                });
            }
            if let Some(price) = request.unit_price {
                check_unit_price(price)
                    .map_err(|e| RegistrationError::Price(request.product, e))?;
            }
            let unit_price = match request.unit_price {
                Some(price) if price != product.unit_price() && !settings.price_editable => {
                    return Err(RegistrationError::PriceNotEditable(request.product));
                }
                Some(price) => price,
                None => product.unit_price(),
            };
            // A catalogue price stored before the bounds existed is checked as well.
            check_unit_price(unit_price)
                .map_err(|e| RegistrationError::Price(request.product, e))?;
            Ok(ProductLine {
                product: product.id(),
                quantity: request.quantity,
                unit_price,
                currency: product.currency().clone(),
            })
        })
        .collect()
}

/// Whether the follow-up an outcome of `kind` schedules from a customer in a state of
/// `from` is shared — nobody's: whoever works the assignment when it is due — rather than the
/// registering seller's own. Seed 004: a call-back from an Available state is shared, from a
/// progress state personal; a progress outcome's follow-up is as the assignment's setup says
/// (personal unless set otherwise). What registration does, and what a seller's form shows
/// before they register.
pub fn follow_up_is_shared(
    kind: impl Into<OutcomeClass>,
    outcome: OutcomeId,
    from: StateCategory,
    setup: &AssignmentSetup,
) -> bool {
    match kind.into() {
        OutcomeClass::CallBackLater => from == StateCategory::Available,
        OutcomeClass::Progress => {
            setup
                .follow_up_ownership
                .get(&outcome)
                .copied()
                .unwrap_or_default()
                == FollowUpOwnership::Shared
        }
        OutcomeClass::NoAnswer | OutcomeClass::External => false,
    }
}

impl From<OutcomeKind> for OutcomeClass {
    fn from(kind: OutcomeKind) -> Self {
        OutcomeClass::of(kind)
    }
}

#[allow(clippy::too_many_arguments)]
fn follow_up(
    ctx: RegistrationContext<'_>,
    enrollment: &Enrollment,
    registrar: Registrar,
    outcome: OutcomeId,
    outcome_name: &str,
    class: OutcomeClass,
    schedules: bool,
    at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Option<FollowUp>, RegistrationError> {
    if at.is_some_and(|at| at <= now) {
        return Err(RegistrationError::FollowUpInPast);
    }
    let not_allowed = || RegistrationError::FollowUpNotAllowed(outcome_name.to_owned());
    let due = match class {
        OutcomeClass::NoAnswer => return at.map_or(Ok(None), |_| Err(not_allowed())),
        OutcomeClass::External => return Ok(None),
        OutcomeClass::CallBackLater => {
            at.ok_or_else(|| RegistrationError::FollowUpTimeRequired(outcome_name.to_owned()))?
        }
        OutcomeClass::Progress => match at {
            None => return Ok(None),
            Some(_) if !schedules => return Err(not_allowed()),
            Some(due) => due,
        },
    };
    let shared = follow_up_is_shared(
        class,
        outcome,
        enrollment.category(),
        ctx.assignment.setup(),
    );
    let owner = if shared { None } else { registrar.user() };
    Ok(Some(FollowUp { due, owner }))
}

fn book_meeting(
    ctx: RegistrationContext<'_>,
    enrollment: &Enrollment,
    registrar: Registrar,
    request: MeetingRequest,
    id: MeetingId,
    now: OffsetDateTime,
) -> Result<Meeting, RegistrationError> {
    let setup = ctx.assignment.setup();
    let calendar = ctx
        .calendar
        .filter(|c| c.id == request.calendar && setup.calendars.contains(&c.id))
        .ok_or(RegistrationError::CalendarNotAvailable(request.calendar))?;
    if request.end <= request.start {
        return Err(RegistrationError::MeetingEndsBeforeStart);
    }
    // Issue 21: a meeting in 2020 (or 1677) was booked. One that has ended is refused; one
    // under way (started, not ended) may still be noted.
    if request.end <= now {
        return Err(RegistrationError::MeetingInPast(request.end));
    }
    if !calendar.active {
        return Err(RegistrationError::CalendarClosed(calendar.name.to_string()));
    }
    if !calendar.takes(request.start, request.end, ctx.zone) {
        return Err(RegistrationError::MeetingOutsideOpeningHours(
            calendar.name.to_string(),
        ));
    }
    if !calendar.allows_overlap
        && let Some(clash) = ctx
            .calendar_meetings
            .iter()
            .find(|m| m.calendar == calendar.id && m.overlaps(request.start, request.end))
    {
        return Err(RegistrationError::MeetingOverlaps(clash.start, clash.end));
    }
    Ok(Meeting {
        id,
        calendar: calendar.id,
        assignment: ctx.assignment.id(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        booked_by: registrar.user(),
        start: request.start,
        end: request.end,
        kind: request.kind,
        place: request.place,
    })
}
