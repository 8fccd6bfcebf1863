//! The wire format of the work API: request and response bodies owned by this adapter,
//! converted by hand to and from the domain's types. The domain's serde derives describe
//! data at rest; these describe the public contract, so a domain refactor cannot change the
//! API by accident. Times are RFC 3339, money decimal strings, ids UUIDs.

mod outcome;

pub use outcome::{
    FieldValueDto, HistoryEntryDto, MeetingDto, MeetingKindDto, MeetingRequestDto, OutcomeEventDto,
    ProductLineDto, RegisterOutcomeRequest, RegisteredDto, SoldLineDto,
};

use cube_app::work::{MyWork, MyWorkItem, ViewEntry, WorkItem};
use cube_domain::access::{RoleKind, User};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::{FixedField, ViewField};
use cube_domain::customer::Customer;
use cube_domain::enrollment::{Enrollment, FollowUp};
use cube_domain::flow::{OutcomeKind, PublishedFlow, State, StateCategory};
use cube_domain::queue::Tier;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    /// Everything in the organisation.
    Admin,
    /// Setup and reports of their data owners.
    Manager,
    /// Works assignments.
    Seller,
    /// Reads reports of their client's assignments.
    Client,
}

impl From<RoleKind> for RoleDto {
    fn from(role: RoleKind) -> Self {
        match role {
            RoleKind::Admin => RoleDto::Admin,
            RoleKind::Manager => RoleDto::Manager,
            RoleKind::Seller => RoleDto::Seller,
            RoleKind::Client => RoleDto::Client,
        }
    }
}

impl From<RoleDto> for RoleKind {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::Admin => RoleKind::Admin,
            RoleDto::Manager => RoleKind::Manager,
            RoleDto::Seller => RoleKind::Seller,
            RoleDto::Client => RoleKind::Client,
        }
    }
}

/// A file sent as the request body itself (`curl --data-binary @file`), not a form.
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(pub Vec<u8>);

/// A user.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserDto {
    /// The id.
    pub id: Uuid,
    /// The organisation.
    pub organisation: Uuid,
    /// The name.
    pub name: String,
    /// The login e-mail.
    pub email: String,
    /// The role.
    pub role: RoleDto,
}

impl From<&User> for UserDto {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.as_uuid(),
            organisation: user.organisation.as_uuid(),
            name: user.name.to_string(),
            email: user.email.to_string(),
            role: user.role.kind().into(),
        }
    }
}

/// What a state means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CategoryDto {
    /// In the pool for "next customer".
    Available,
    /// In progress.
    Open,
    /// A positive conclusion.
    Yes,
    /// A negative conclusion.
    No,
    /// Taken out of the work.
    Excluded,
}

impl From<StateCategory> for CategoryDto {
    fn from(category: StateCategory) -> Self {
        match category {
            StateCategory::Available => CategoryDto::Available,
            StateCategory::Open => CategoryDto::Open,
            StateCategory::Yes => CategoryDto::Yes,
            StateCategory::No => CategoryDto::No,
            StateCategory::Excluded => CategoryDto::Excluded,
        }
    }
}

impl From<CategoryDto> for StateCategory {
    fn from(category: CategoryDto) -> Self {
        match category {
            CategoryDto::Available => StateCategory::Available,
            CategoryDto::Open => StateCategory::Open,
            CategoryDto::Yes => StateCategory::Yes,
            CategoryDto::No => StateCategory::No,
            CategoryDto::Excluded => StateCategory::Excluded,
        }
    }
}

/// An assignment (campaign).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignmentDto {
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
    /// The data owner.
    pub data_owner: Uuid,
    /// The commissioning client, if any.
    pub client: Option<Uuid>,
    /// The flow.
    pub flow: Uuid,
    /// The flow's version.
    pub flow_version: u32,
}

impl From<&Assignment> for AssignmentDto {
    fn from(a: &Assignment) -> Self {
        Self {
            id: a.id().as_uuid(),
            name: a.name().to_string(),
            data_owner: a.data_owner().as_uuid(),
            client: a.client().map(|c| c.as_uuid()),
            flow: a.flow().flow.as_uuid(),
            flow_version: a.flow().version,
        }
    }
}

/// A state of the flow.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StateDto {
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
    /// What it means.
    pub category: CategoryDto,
    /// The colour reports draw it in, `#rrggbb`. Always given in answers; when a flow is
    /// written, left out (or `null`) means the category's colour (grey to call, blue open,
    /// green yes, red no, brown excluded).
    #[serde(default)]
    #[schema(pattern = "^#[0-9a-fA-F]{6}$", example = "#2e7d32")]
    pub colour: Option<String>,
}

impl From<&State> for StateDto {
    fn from(s: &State) -> Self {
        Self {
            id: s.id.as_uuid(),
            name: s.name.to_string(),
            category: s.category.into(),
            colour: Some(s.colour().to_string()),
        }
    }
}

/// An outcome a seller can register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutcomeDto {
    /// The id (send it when registering).
    pub id: Uuid,
    /// The name.
    pub name: String,
    /// `progress`, `no_answer` or `call_back_later`.
    pub kind: String,
    /// The states it may be chosen from.
    pub from: Vec<Uuid>,
    /// It takes `follow_up_at`.
    pub schedules_follow_up: bool,
    /// It takes product lines.
    pub carries_products: bool,
    /// It books a meeting.
    pub books_meeting: bool,
    /// The options the assignment offers for it (one must be chosen when any are given).
    pub options: Vec<String>,
}

/// An assignment with what a seller needs to work it: the flow's states and outcomes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignmentDetailDto {
    /// The assignment.
    #[serde(flatten)]
    pub assignment: AssignmentDto,
    /// The flow's states.
    pub states: Vec<StateDto>,
    /// The flow's outcomes.
    pub outcomes: Vec<OutcomeDto>,
}

impl AssignmentDetailDto {
    /// The assignment and its flow.
    pub fn new(assignment: &Assignment, flow: &PublishedFlow) -> Self {
        let options = &assignment.setup().outcome_options;
        Self {
            assignment: assignment.into(),
            states: flow.states().iter().map(StateDto::from).collect(),
            outcomes: flow
                .outcomes()
                .iter()
                .map(|o| OutcomeDto {
                    id: o.id.as_uuid(),
                    name: o.name.to_string(),
                    kind: match o.kind {
                        OutcomeKind::Progress { .. } => "progress",
                        OutcomeKind::Attempt(cube_domain::flow::AttemptKind::NoAnswer) => {
                            "no_answer"
                        }
                        OutcomeKind::Attempt(cube_domain::flow::AttemptKind::CallBackLater) => {
                            "call_back_later"
                        }
                    }
                    .to_owned(),
                    from: o.from.iter().map(|s| s.as_uuid()).collect(),
                    schedules_follow_up: o.schedules_follow_up,
                    carries_products: o.carries_products,
                    books_meeting: o.books_meeting,
                    options: options
                        .get(&o.id)
                        .map(|names| names.iter().map(ToString::to_string).collect())
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A product an assignment sells, as a seller picks it for a product line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfferedProductDto {
    /// The product.
    pub id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The catalogue's unit price.
    pub unit_price: Decimal,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// A calendar an assignment books meetings in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BookingCalendarDto {
    /// The calendar.
    pub id: Uuid,
    /// Its name (a salesperson, a room).
    pub name: String,
    /// Whether two meetings may overlap in it.
    pub allows_overlap: bool,
}

/// An assignment with everything working it takes: the flow's states and outcomes, the
/// products it sells and the calendars it books meetings in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignmentOverviewDto {
    /// The assignment and its flow.
    #[serde(flatten)]
    pub detail: AssignmentDetailDto,
    /// The active products it sells, by name.
    pub products: Vec<OfferedProductDto>,
    /// The calendars meetings are booked in.
    pub calendars: Vec<BookingCalendarDto>,
}

impl From<&cube_app::setup::AssignmentOverview> for AssignmentOverviewDto {
    fn from(overview: &cube_app::setup::AssignmentOverview) -> Self {
        Self {
            detail: AssignmentDetailDto::new(&overview.assignment, &overview.flow),
            products: overview
                .products
                .iter()
                .map(|p| OfferedProductDto {
                    id: p.id().as_uuid(),
                    code: p.code().to_owned(),
                    name: p.name().to_string(),
                    unit_price: p.unit_price(),
                    currency: p.currency().as_str().to_owned(),
                })
                .collect(),
            calendars: overview
                .calendars
                .iter()
                .map(|c| BookingCalendarDto {
                    id: c.id.as_uuid(),
                    name: c.name.to_string(),
                    allows_overlap: c.allows_overlap,
                })
                .collect(),
        }
    }
}

/// A follow-up: when to contact the customer again, and by whom.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FollowUpDto {
    /// When (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due: OffsetDateTime,
    /// The seller whose personal follow-up it is; `null`: shared.
    pub owner: Option<Uuid>,
}

impl From<FollowUp> for FollowUpDto {
    fn from(f: FollowUp) -> Self {
        Self {
            due: f.due,
            owner: f.owner.map(|o| o.as_uuid()),
        }
    }
}

/// A customer in an assignment, now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EnrollmentDto {
    /// The id (take, release and register outcomes on it).
    pub id: Uuid,
    /// The assignment.
    pub assignment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// The state.
    pub state: Uuid,
    /// The state's category.
    pub category: CategoryDto,
    /// Contact attempts so far.
    pub attempts: u32,
    /// The follow-up, if any.
    pub follow_up: Option<FollowUpDto>,
    /// The seller holding the customer, if reserved.
    pub reserved_by: Option<Uuid>,
    /// Until when it is reserved (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reserved_until: Option<OffsetDateTime>,
}

impl From<&Enrollment> for EnrollmentDto {
    fn from(e: &Enrollment) -> Self {
        let reservation = e.reservation();
        Self {
            id: e.id().as_uuid(),
            assignment: e.assignment().as_uuid(),
            customer: e.customer().as_uuid(),
            state: e.state().as_uuid(),
            category: e.category().into(),
            attempts: e.attempts(),
            follow_up: e.follow_up().map(Into::into),
            reserved_by: reservation.map(|r| r.seller.as_uuid()),
            reserved_until: reservation.map(|r| r.until),
        }
    }
}

/// A customer's contact details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerDto {
    /// The id.
    pub id: Uuid,
    /// Company or person name.
    pub name: String,
    /// Phone numbers (E.164), main number first.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
}

impl From<&Customer> for CustomerDto {
    fn from(c: &Customer) -> Self {
        let d = c.details();
        Self {
            id: c.id().as_uuid(),
            name: d.name.to_string(),
            phones: d.phones.iter().map(ToString::to_string).collect(),
            email: d.email.as_ref().map(ToString::to_string),
            address: d.address.clone(),
        }
    }
}

/// One field of the customer view.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ViewEntryDto {
    /// `name`, `phones`, `email`, `address`, `registry_number`, `external_id`, or a CRM
    /// field key.
    pub field: String,
    /// The value as text; `null` when empty.
    pub value: Option<String>,
}

impl From<&ViewEntry> for ViewEntryDto {
    fn from(v: &ViewEntry) -> Self {
        let field = match &v.field {
            ViewField::Fixed(FixedField::Name) => "name".to_owned(),
            ViewField::Fixed(FixedField::Phones) => "phones".to_owned(),
            ViewField::Fixed(FixedField::Email) => "email".to_owned(),
            ViewField::Fixed(FixedField::Address) => "address".to_owned(),
            ViewField::Fixed(FixedField::RegistryNumber) => "registry_number".to_owned(),
            ViewField::Fixed(FixedField::ExternalId) => "external_id".to_owned(),
            ViewField::Custom(key) => key.to_string(),
        };
        Self {
            field,
            value: v.value.clone(),
        }
    }
}

/// A customer handed to a seller, reserved for them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkItemDto {
    /// The enrollment.
    pub enrollment: EnrollmentDto,
    /// Why it was handed out: `held` (the seller already held it: handed back, the lease
    /// renewed), `personal_follow_up`, `shared_follow_up` or `pool`; `null` when taken by
    /// hand.
    pub tier: Option<String>,
    /// The customer.
    pub customer: CustomerDto,
    /// The assignment's customer view.
    pub view: Vec<ViewEntryDto>,
}

impl From<&WorkItem> for WorkItemDto {
    fn from(w: &WorkItem) -> Self {
        Self {
            enrollment: (&w.enrollment).into(),
            tier: w.tier.map(|t| {
                match t {
                    Tier::Held => "held",
                    Tier::PersonalFollowUp => "personal_follow_up",
                    Tier::SharedFollowUp => "shared_follow_up",
                    Tier::Pool => "pool",
                }
                .to_owned()
            }),
            customer: (&w.customer).into(),
            view: w.view.iter().map(Into::into).collect(),
        }
    }
}

/// One line of My Work.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MyWorkItemDto {
    /// The assignment.
    pub assignment: Uuid,
    /// The enrollment (take it to work it).
    pub enrollment: Uuid,
    /// The customer.
    pub customer: Uuid,
    /// The follow-up.
    pub follow_up: FollowUpDto,
    /// Past due.
    pub overdue: bool,
}

impl From<&MyWorkItem> for MyWorkItemDto {
    fn from(i: &MyWorkItem) -> Self {
        Self {
            assignment: i.assignment.as_uuid(),
            enrollment: i.enrollment.as_uuid(),
            customer: i.customer.as_uuid(),
            follow_up: i.follow_up.into(),
            overdue: i.overdue,
        }
    }
}

/// A seller's follow-ups due by the end of today, overdue first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MyWorkDto {
    /// Personal follow-ups.
    pub personal: Vec<MyWorkItemDto>,
    /// Shared follow-ups.
    pub shared: Vec<MyWorkItemDto>,
    /// My personal follow-ups of the coming week (after today, up to seven local days).
    pub coming: Vec<MyWorkItemDto>,
}

impl From<&MyWork> for MyWorkDto {
    fn from(w: &MyWork) -> Self {
        Self {
            personal: w.personal.iter().map(Into::into).collect(),
            shared: w.shared.iter().map(Into::into).collect(),
            coming: w.coming.iter().map(Into::into).collect(),
        }
    }
}
