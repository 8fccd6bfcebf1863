//! The stored format, pinned. The SQLite and PostgreSQL stores keep most aggregates as the
//! serde JSON of the domain type (`doc` / `data` / `event` / `message` columns, the staged
//! customers of an import, a customer's field values in `customer_fields.value` and the
//! report rollups). Round-trip tests cannot guard that format: a renamed field, a re-tagged
//! enum or a changed time format still round-trips, and every row already stored stops
//! reading. So for each stored type, `tests/golden/<shape>.json` holds the exact JSON of a
//! representative, fully populated value (every optional field set, every enum variant that
//! carries data), and the test checks both ways: today's value serializes to exactly that
//! JSON (compared as `serde_json::Value`), and that JSON reads back to the value.
//!
//! A failure here means stored rows would change shape. Change a stored shape only together
//! with a migration of the stored rows, or keep old rows readable with a serde alias or
//! default — then add the old JSON as a further case here and regenerate the files. To
//! regenerate after a deliberate change: `CUBE_BLESS=1 cargo nextest run -p cube-domain
//! --test stored_shapes` (the default run only compares, it never writes).
//!
//! `TimeEntry` and `EnrollmentSnapshot` are stored in columns, not as JSON, but they are
//! serde types too; their shapes are pinned here as well so a change to them is a decision.

use cube_domain::access::{Organisation, Role, User};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::{
    ActivityLimit, AnalysisField, AssignmentSetup, CallerId, Communication, Direction, FixedField,
    FollowUpOwnership, LimitMetric, LimitMode, PerformanceCriteria, PriorityRule, ProductSettings,
    Segment, SmsFlow, SmsReplyRule, SmsSender, Template, ViewField, Visibility,
};
use cube_domain::contact_policy::standing::{
    ContactRules, DoNotCall, Exemption, RegisterCheck, Wash,
};
use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::customer_import::CustomerImport;
use cube_domain::data_owner::{
    Controller, DataOwner, Dataset, ImportMapping, LegalBasis, ProcessingPurpose,
};
use cube_domain::enrollment::{EnrollmentSnapshot, FollowUp, Reservation};
use cube_domain::fields::{FieldDefinition, FieldKey, FieldType, FieldValue, FieldValues};
use cube_domain::flow::seeds::{MeetingFlow, SalesFlow};
use cube_domain::flow::{PublishedFlow, StateCategory};
use cube_domain::ids::{
    AssignmentId, CalendarId, ClientId, CustomerId, DataOwnerId, EnrollmentId, ImportId, MeetingId,
    OrganisationId, OutboxMessageId, OutcomeEventId, PrivacyRequestId, ProductId, SegmentId,
    TimeEntryId, UserId,
};
use cube_domain::meeting::{Calendar, Meeting, MeetingKind};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine};
use cube_domain::ports::{EmailMessage, OutboxMessage, OutboxPayload, SmsMessage};
use cube_domain::privacy::{DoNotContact, KeyKind, PersonalRight, PrivacyRequest, Salt};
use cube_domain::product::{Currency, Product};
use cube_domain::time_entry::TimeEntry;
use cube_domain::values::{Email, Name, PhoneNumber, PhoneRegion};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::PathBuf;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Compares `value` with `tests/golden/<shape>.json` both ways (or rewrites the file when
/// `CUBE_BLESS=1`).
fn golden<T>(shape: &str, value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{shape}.json"));
    let today = serde_json::to_value(value).expect("serializes");
    if blessing() {
        let mut text = serde_json::to_string_pretty(&today).expect("pretty JSON");
        text.push('\n');
        std::fs::write(&path, text).expect("golden file written");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with CUBE_BLESS=1 once the shape is decided",
            path.display()
        )
    });
    let stored: serde_json::Value = serde_json::from_str(&text).expect("golden file is JSON");
    assert_eq!(
        today,
        stored,
        "the stored shape of `{shape}` changed ({}): rows already stored would no longer \
         read. Keep the shape, or add a migration / serde alias and regenerate with CUBE_BLESS=1",
        path.display()
    );
    let read: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} no longer reads: {e}", path.display()));
    assert_eq!(
        &read,
        value,
        "{} reads back to another value",
        path.display()
    );
}

/// Whether this run rewrites the golden files (`CUBE_BLESS=1`) instead of comparing.
fn blessing() -> bool {
    std::env::var("CUBE_BLESS").as_deref() == Ok("1")
}

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(n))
}

fn name(raw: &str) -> Name {
    Name::parse(raw).expect("a valid name")
}

fn key(raw: &str) -> FieldKey {
    FieldKey::parse(raw).expect("a valid key")
}

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("a valid e-mail")
}

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse(raw).expect("a valid phone number")
}

fn decimal(raw: &str) -> Decimal {
    raw.parse().expect("a decimal")
}

fn field(raw: &str, field_type: FieldType, required: bool) -> FieldDefinition {
    FieldDefinition::new(key(raw), format!("Label of {raw}"), field_type, required)
        .expect("a valid field")
}

/// Microseconds set, as stored times carry them.
const T0: OffsetDateTime = datetime!(2026-11-28 09:00:00.123456 UTC);

const ORG: OrganisationId = OrganisationId::from_uuid(Uuid::from_u128(0x0A));
const OWNER: DataOwnerId = DataOwnerId::from_uuid(Uuid::from_u128(0xD0));
const CLIENT: ClientId = ClientId::from_uuid(Uuid::from_u128(0xC1));
const SELLER: UserId = UserId::from_uuid(Uuid::from_u128(0x51));
const MANAGER: UserId = UserId::from_uuid(Uuid::from_u128(0x52));
const ASSIGNMENT: AssignmentId = AssignmentId::from_uuid(Uuid::from_u128(0xA5));
const CUSTOMER: CustomerId = CustomerId::from_uuid(Uuid::from_u128(0xC0));
const ENROLLMENT: EnrollmentId = EnrollmentId::from_uuid(Uuid::from_u128(0xE0));
const PRODUCT: ProductId = ProductId::from_uuid(Uuid::from_u128(0x90));
const CALENDAR: CalendarId = CalendarId::from_uuid(Uuid::from_u128(0xCA));
const MEETING: MeetingId = MeetingId::from_uuid(Uuid::from_u128(0x3E));

/// Every field type: the CRM fields of `data_owner()`.
fn every_field_type() -> Vec<FieldDefinition> {
    vec![
        field("industry", FieldType::Text, true),
        field("employees", FieldType::Number, false),
        field("revenue", FieldType::Decimal, false),
        field("founded", FieldType::Date, false),
        field("customer_club", FieldType::Boolean, false),
        field(
            "zone",
            FieldType::Choice {
                choices: vec!["North".into(), "South".into()],
            },
            false,
        ),
    ]
}

/// A value of every field type, for `every_field_type`.
fn every_field_value() -> FieldValues {
    FieldValues::from([
        (key("industry"), FieldValue::Text("Energy".into())),
        (key("employees"), FieldValue::Number(42)),
        (key("revenue"), FieldValue::Decimal(decimal("1234.50"))),
        (key("founded"), FieldValue::Date(date!(1999 - 12 - 31))),
        (key("customer_club"), FieldValue::Boolean(true)),
        (key("zone"), FieldValue::Choice("North".into())),
    ])
}

fn data_owner() -> DataOwner {
    let mut owner = DataOwner::new(OWNER, ORG, name("Acme Energi"));
    owner.set_controller(Controller {
        company_name: Some(name("Acme Energi AS")),
        organisation_number: Some("987654321".into()),
        address: Some("Storgata 1\n0155 Oslo".into()),
        contact_email: Some(email("post@acme.no")),
        data_protection_contact: Some("personvern@acme.no".into()),
    });
    owner.set_purposes(vec![
        ProcessingPurpose {
            description: name("Telemarketing"),
            legal_basis: LegalBasis::LegitimateInterests,
        },
        ProcessingPurpose {
            description: name("Newsletter"),
            legal_basis: LegalBasis::Consent,
        },
    ]);
    owner
        .set_fields(Dataset::B2b, every_field_type())
        .expect("valid fields");
    owner
        .set_fields(Dataset::B2c, vec![field("age", FieldType::Number, false)])
        .expect("valid fields");
    owner.set_phone_region(PhoneRegion::parse("SE").expect("a region"));
    owner
}

#[test]
fn organisation() {
    golden(
        "organisation",
        &Organisation {
            caller_ids: Vec::new(),
            time_zone: Default::default(),
            id: ORG,
            name: name("Cube Demo AS"),
        },
    );
}

/// An organisation stored before it had a time zone reads as Europe/Oslo.
#[test]
fn an_organisation_stored_without_a_time_zone_is_in_oslo() {
    let old = serde_json::json!({"id": ORG.as_uuid(), "name": "Cube Demo AS"});
    let organisation: Organisation = serde_json::from_value(old).expect("the old shape reads");
    assert_eq!(organisation.time_zone.name(), "Europe/Oslo");
}

#[test]
fn user_of_every_role() {
    let user = |n, raw: &str, role| User {
        phone: None,
        id: id(n),
        organisation: ORG,
        name: name(raw),
        email: email(&format!("{}@cube.example", raw.to_lowercase())),
        role,
        active: true,
    };
    let mut inactive_seller = user(0x53, "Sigrid", Role::Seller);
    inactive_seller.active = false;
    let managed: std::collections::BTreeSet<DataOwnerId> = [OWNER, id(0xD1)].into_iter().collect();
    golden(
        "user",
        &vec![
            user(0x50, "Ada", Role::Admin),
            user(
                0x52,
                "Magnus",
                Role::Manager {
                    data_owners: managed,
                },
            ),
            inactive_seller,
            user(0x54, "Clara", Role::Client { client: CLIENT }),
        ],
    );
}

#[test]
fn data_owner_with_controller_purposes_and_every_field_type() {
    golden("data_owner", &data_owner());
}

#[test]
fn data_owner_with_contact_rules_and_a_wash() {
    let mut owner = data_owner();
    owner.set_contact_rules(ContactRules {
        consumer_call_windows: true,
        reservation_register: false,
        max_calls_per_day: Some(2),
    });
    owner.record_wash(Wash {
        at: T0,
        by: id(0x52),
        register_numbers: 2_400_000,
        checked: 120,
        reserved: 31,
        exempted: 2,
    });
    golden("data_owner_with_contact_rules", &owner);
}

#[test]
fn data_owner_with_saved_import_mappings() {
    let mut owner = data_owner();
    let mapping = ImportMapping {
        columns: "A=name,C=phone,J=field:industry".to_owned(),
        sheet: Some("Kunder".to_owned()),
        header_row: Some(2),
        delimiter: Some(";".to_owned()),
    };
    owner
        .save_import_mapping(Name::parse("Kunder fra Bergen").expect("a name"), mapping)
        .expect("saved");
    let bare = ImportMapping {
        columns: "A=name,B=phone".to_owned(),
        sheet: None,
        header_row: None,
        delimiter: None,
    };
    owner
        .save_import_mapping(Name::parse("Enkel").expect("a name"), bare)
        .expect("saved");
    golden("data_owner_with_import_mappings", &owner);
}

/// A data owner stored before the contact policy (issue 18) reads as held to the law: both
/// rules on, never washed.
#[test]
fn a_data_owner_stored_before_the_contact_policy_is_held_to_the_law() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/data_owner_before_contact_policy.json");
    let text = std::fs::read_to_string(path).expect("the old shape is kept");
    let read: DataOwner = serde_json::from_str(&text).expect("an old data owner reads");
    assert_eq!(read.contact_rules(), ContactRules::default());
    assert_eq!(read.last_wash(), None);
    assert_eq!(read, data_owner(), "and is otherwise the same data owner");
}

#[test]
fn customer_with_a_contact_standing() {
    let owner = data_owner();
    let mut customer = Customer::new(
        id(0xC3),
        &owner,
        Dataset::B2c,
        CustomerDetails {
            name: name("Ola Nordmann"),
            phones: vec![phone("+4791234567")],
            email: None,
            address: None,
            registry_number: None,
            external_id: None,
        },
        FieldValues::new(),
    )
    .expect("a valid customer");
    customer.set_do_not_call(Some(
        DoNotCall::new(T0, Some(id(0x52)), "asked on the phone").expect("a valid entry"),
    ));
    customer.set_register_check(RegisterCheck {
        checked_on: time::macros::date!(2026 - 11 - 02),
        reserved: true,
    });
    customer.set_exemption(Some(Exemption::ExistingCustomer {
        since: time::macros::date!(2024 - 05 - 01),
        product_area: "strøm".into(),
    }));
    let mut asked = customer.clone();
    asked.set_do_not_call(None);
    asked.set_exemption(Some(Exemption::AskedToBeCalled {
        at: T0,
        source: "web form".into(),
    }));
    golden("customer_with_contact_standing", &vec![customer, asked]);
}

#[test]
fn customer_of_each_dataset() {
    let owner = data_owner();
    let b2b = Customer::new(
        CUSTOMER,
        &owner,
        Dataset::B2b,
        CustomerDetails {
            name: name("Nordlys AS"),
            phones: vec![phone("+4791234567"), phone("+4722334455")],
            email: Some(email("post@nordlys.no")),
            address: Some("Kongens gate 2\n0153 Oslo".into()),
            registry_number: Some("912345678".into()),
            external_id: Some("CRM-0001".into()),
        },
        every_field_value(),
    )
    .expect("a valid customer");
    let b2c = Customer::new(
        id(0xC2),
        &owner,
        Dataset::B2c,
        CustomerDetails {
            name: name("Kari Nordmann"),
            phones: vec![],
            email: Some(email("kari@example.no")),
            address: None,
            registry_number: None,
            external_id: None,
        },
        FieldValues::from([(key("age"), FieldValue::Number(37))]),
    )
    .expect("a valid customer");
    golden("customer", &vec![b2b, b2c]);
}

/// A customer's field value on its own: SQLite's `customer_fields.value`, PostgreSQL's
/// `hit_counts.value` (hit analysis groups by it).
#[test]
fn field_value_of_every_type() {
    let values: Vec<FieldValue> = every_field_value().into_values().collect();
    golden("field_value", &values);
}

#[test]
fn product() {
    let mut product = Product::new(
        PRODUCT,
        OWNER,
        name("Strøm Fastpris"),
        "FAST-12",
        decimal("499.00"),
        Currency::parse("NOK").expect("a currency"),
    )
    .expect("a valid product");
    product.set_active(false);
    golden("product", &product);
}

/// Seed 003's sales flow: progress and both attempt kinds, products and follow-ups.
#[test]
fn flow_draft() {
    golden("flow_draft", &SalesFlow::draft(SalesFlow::FLOW, OWNER));
}

/// Seed 000's meeting-booking flow: an outcome that books a meeting.
#[test]
fn published_flow() {
    golden::<PublishedFlow>("published_flow", &MeetingFlow::published(OWNER));
}

/// Every setup item set: both follow-up ownerships, an SMS flow, an outcome's e-mail, outcome options and
/// fields, every view field, priority rule, analysis field and limit mode. The second
/// assignment has the other SMS sender and caller id variants.
#[test]
fn assignment_with_its_setup() {
    let flow = SalesFlow::published(OWNER);
    let setup = AssignmentSetup {
        outcome_options: BTreeMap::from([(
            SalesFlow::O_NO_SALE,
            vec![name("Price"), name("Has a supplier")],
        )]),
        outcome_fields: BTreeMap::from([(
            SalesFlow::O_SALE,
            vec![
                field("contract_start", FieldType::Date, true),
                field(
                    "payment",
                    FieldType::Choice {
                        choices: vec!["Invoice".into(), "Card".into()],
                    },
                    false,
                ),
            ],
        )]),
        follow_up_ownership: BTreeMap::from([
            (SalesFlow::O_LEAD, FollowUpOwnership::Shared),
            (SalesFlow::O_OFFER, FollowUpOwnership::Personal),
        ]),
        sms_flows: BTreeMap::from([(
            SalesFlow::O_OFFER,
            SmsFlow {
                template: "Hei {{ name }}, svar JA for å takke ja.".into(),
                reply_window: Duration::hours(48),
                replies: vec![
                    SmsReplyRule {
                        keyword: "JA".into(),
                        registers: SalesFlow::O_SALE,
                    },
                    SmsReplyRule {
                        keyword: "NEI".into(),
                        registers: SalesFlow::O_NO_SALE,
                    },
                ],
            },
        )]),
        email_on_outcome: BTreeMap::from([(SalesFlow::O_OFFER, name("Offer"))]),
        do_not_call_on: std::collections::BTreeSet::new(),
        max_attempts: None,
        sale_confirmation: None,
        products: ProductSettings {
            available: BTreeSet::from([PRODUCT, id(0x91)]),
            price_editable: true,
        },
        calendars: vec![CALENDAR],
        customer_view: vec![
            ViewField::Fixed(FixedField::Name),
            ViewField::Fixed(FixedField::Phones),
            ViewField::Fixed(FixedField::Email),
            ViewField::Fixed(FixedField::Address),
            ViewField::Fixed(FixedField::RegistryNumber),
            ViewField::Fixed(FixedField::ExternalId),
            ViewField::Custom(key("industry")),
        ],
        communication: Communication {
            sms_sender: Some(SmsSender::Text("Acme".into())),
            sms_templates: vec![Template {
                name: name("Reminder"),
                subject: String::new(),
                body: "Vi ringer deg {{ date }}.".into(),
            }],
            email_templates: vec![Template {
                name: name("Offer"),
                subject: "Tilbud fra Acme".into(),
                body: "<p>Hei {{ name }}</p>".into(),
            }],
            mail_from: Some(email("salg@acme.no")),
            mail_account: None,
            caller_id: CallerId::Shared(phone("+4722000000")),
        },
        performance: PerformanceCriteria {
            meetings_per_hour: Some(decimal("0.5")),
            yes_per_hour: Some(decimal("1.25")),
            products_per_hour: Some(decimal("2")),
            conclusions_per_hour: Some(decimal("4.0")),
        },
        activity_limits: vec![
            ActivityLimit {
                metric: LimitMetric::Hours,
                limit: decimal("100"),
                mode: LimitMode::Indicator,
            },
            ActivityLimit {
                metric: LimitMetric::Yes,
                limit: decimal("50"),
                mode: LimitMode::HardStop,
            },
            ActivityLimit {
                metric: LimitMetric::Conclusions,
                limit: decimal("200"),
                mode: LimitMode::Indicator,
            },
            ActivityLimit {
                metric: LimitMetric::ProductsSold,
                limit: decimal("75.5"),
                mode: LimitMode::Indicator,
            },
            ActivityLimit {
                metric: LimitMetric::Meetings,
                limit: decimal("10"),
                mode: LimitMode::HardStop,
            },
        ],
        analysis_fields: vec![AnalysisField::Crm(key("zone")), AnalysisField::Attempts],
        visibility: Visibility {
            users: Some(BTreeSet::from([SELLER, MANAGER])),
            from: Some(date!(2026 - 01 - 01)),
            to: Some(date!(2026 - 12 - 31)),
        },
        segments: vec![
            Segment {
                id: id(0x5E1),
                name: name("Oslo"),
            },
            Segment {
                id: SegmentId::from_uuid(Uuid::from_u128(0x5E2)),
                name: name("Bergen"),
            },
        ],
        priority: vec![
            PriorityRule::SegmentOrder,
            PriorityRule::Field(key("employees"), Direction::Descending),
            PriorityRule::Field(key("revenue"), Direction::Ascending),
            PriorityRule::FewestAttempts,
            PriorityRule::LongestSinceLastContact,
            PriorityRule::ImportOrder,
        ],
        lease: Duration::minutes(20),
        retry_delay: Duration::hours(4),
    };
    let mut full = Assignment::new(ASSIGNMENT, ORG, OWNER, name("Vinterkampanje"), &flow)
        .expect("a valid assignment");
    full.set_client(Some(CLIENT));
    full.set_setup(setup, &flow).expect("a valid setup");

    let mut other = Assignment::new(id(0xA6), ORG, OWNER, name("Sommerkampanje"), &flow)
        .expect("a valid assignment");
    let mut numbered = AssignmentSetup::default();
    numbered.communication.sms_sender = Some(SmsSender::Number(phone("+4790000000")));
    other.set_setup(numbered, &flow).expect("a valid setup");
    golden("assignment", &vec![full, other]);
}

#[test]
fn calendar() {
    golden(
        "calendar",
        &Calendar {
            id: CALENDAR,
            data_owner: OWNER,
            name: name("Salgsmøter Oslo"),
            allows_overlap: true,
            opening_hours: Vec::new(),
            active: true,
        },
    );
}

#[test]
fn calendar_with_opening_hours_closed() {
    use cube_domain::meeting::{ClockTime, OpeningPeriod};
    let period = |day, opens: (u8, u8), closes: (u8, u8)| OpeningPeriod {
        day,
        opens: ClockTime::new(opens.0, opens.1).expect("a time"),
        closes: ClockTime::new(closes.0, closes.1).expect("a time"),
    };
    golden(
        "calendar_with_opening_hours_closed",
        &Calendar {
            id: CALENDAR,
            data_owner: OWNER,
            name: name("Salgsmøter Bergen"),
            allows_overlap: false,
            opening_hours: vec![
                period(time::Weekday::Monday, (8, 0), (11, 30)),
                period(time::Weekday::Monday, (12, 15), (16, 0)),
                period(time::Weekday::Friday, (9, 0), (24, 0)),
            ],
            active: false,
        },
    );
}

#[test]
fn meeting_of_each_kind() {
    let meeting = |n, kind, place: &str| Meeting {
        id: id(n),
        calendar: CALENDAR,
        assignment: ASSIGNMENT,
        enrollment: ENROLLMENT,
        customer: CUSTOMER,
        booked_by: Some(SELLER),
        start: T0 + Duration::days(3),
        end: T0 + Duration::days(3) + Duration::minutes(45),
        kind,
        place: Some(place.into()),
    };
    let mut by_sms = meeting(0x3F, MeetingKind::Video, "https://meet.example/abc");
    by_sms.booked_by = None;
    golden(
        "meeting",
        &vec![
            meeting(
                MEETING.as_uuid().as_u128(),
                MeetingKind::Physical,
                "Storgata 1",
            ),
            by_sms,
        ],
    );
}

/// A sale with every optional part, and an external state change with none.
#[test]
fn outcome_event() {
    let sale = OutcomeEvent::from(OutcomeEventRecord {
        id: id(0xEE1),
        assignment: ASSIGNMENT,
        enrollment: ENROLLMENT,
        customer: CUSTOMER,
        occurred_at: T0,
        user: Some(SELLER),
        outcome: Some(SalesFlow::O_SALE_TO_FOLLOWUP),
        class: OutcomeClass::Progress,
        option: Some("Price".into()),
        from_state: SalesFlow::OFFER,
        to_state: SalesFlow::SALE_TO_FOLLOWUP,
        to_category: StateCategory::Open,
        fields: FieldValues::from([
            (
                key("contract_start"),
                FieldValue::Date(date!(2027 - 01 - 01)),
            ),
            (key("payment"), FieldValue::Choice("Invoice".into())),
        ]),
        products: vec![
            ProductLine {
                product: PRODUCT,
                quantity: 2,
                unit_price: decimal("499.00"),
                currency: Currency::parse("NOK").expect("a currency"),
            },
            ProductLine {
                product: id(0x91),
                quantity: 1,
                unit_price: decimal("1299.5"),
                currency: Currency::parse("EUR").expect("a currency"),
            },
        ],
        meeting: Some(MEETING),
        follow_up: Some(FollowUp {
            due: T0 + Duration::days(7),
            owner: Some(SELLER),
        }),
        note: Some("Ring etter lønning".into()),
    });
    let external = OutcomeEvent::from(OutcomeEventRecord {
        id: OutcomeEventId::from_uuid(Uuid::from_u128(0xEE2)),
        occurred_at: T0 + Duration::hours(1),
        user: None,
        outcome: None,
        class: OutcomeClass::External,
        option: None,
        from_state: SalesFlow::SALE_TO_FOLLOWUP,
        to_state: SalesFlow::SALE,
        to_category: StateCategory::Yes,
        fields: FieldValues::new(),
        products: vec![],
        meeting: None,
        follow_up: None,
        note: None,
        ..OutcomeEventRecord::from(sale.clone())
    });
    let mut classes = vec![sale, external];
    for (n, class) in [
        (0xEE3, OutcomeClass::NoAnswer),
        (0xEE4, OutcomeClass::CallBackLater),
    ] {
        classes.push(OutcomeEvent::from(OutcomeEventRecord {
            id: id(n),
            class,
            outcome: Some(SalesFlow::O_NO_ANSWER),
            from_state: SalesFlow::TO_CALL,
            to_state: SalesFlow::TO_CALL,
            to_category: StateCategory::Available,
            follow_up: Some(FollowUp {
                due: T0 + Duration::hours(2),
                owner: None,
            }),
            ..OutcomeEventRecord::from(classes[1].clone())
        }));
    }
    golden("outcome_event", &classes);
}

/// Every payload variant.
#[test]
fn outbox_message_of_every_payload() {
    let message = |n, enrollment, payload| OutboxMessage {
        id: OutboxMessageId::from_uuid(Uuid::from_u128(n)),
        assignment: ASSIGNMENT,
        enrollment,
        payload,
        created_at: T0,
    };
    golden(
        "outbox_message",
        &vec![
            message(
                0x0B1,
                Some(ENROLLMENT),
                OutboxPayload::Sms(SmsMessage {
                    from: "Acme".into(),
                    to: phone("+4791234567"),
                    body: "Hei Kari, svar JA for å takke ja.".into(),
                }),
            ),
            message(
                0x0B2,
                None,
                OutboxPayload::Email(EmailMessage {
                    from: email("salg@acme.no"),
                    to: email("kari@example.no"),
                    subject: "Tilbud".into(),
                    html: "<p>Hei Kari</p>".into(),
                    account: None,
                }),
            ),
            message(
                0x0B3,
                Some(ENROLLMENT),
                OutboxPayload::UnaddressedSms {
                    from: "Acme".into(),
                    body: "Hei Kari".into(),
                },
            ),
            message(
                0x0B4,
                Some(ENROLLMENT),
                OutboxPayload::UnaddressedEmail {
                    from: email("salg@acme.no"),
                    subject: "Tilbud".into(),
                },
            ),
            message(
                0x0B5,
                None,
                OutboxPayload::Webhook {
                    endpoint: cube_domain::ids::WebhookEndpointId::from_uuid(Uuid::from_u128(
                        0x4E1,
                    )),
                    event: cube_domain::webhooks::WebhookEvent::OutcomeRegistered,
                    body: r#"{"event":"outcome_registered"}"#.into(),
                },
            ),
        ],
    );
}

/// Stored in columns; pinned as a serde type (running and finished).
#[test]
fn time_entry() {
    let finished = TimeEntry::manual(
        TimeEntryId::from_uuid(Uuid::from_u128(0x7E1)),
        SELLER,
        ASSIGNMENT,
        T0,
        T0 + Duration::minutes(90),
    )
    .expect("a valid entry");
    let running = TimeEntry::start(id(0x7E2), SELLER, ASSIGNMENT, T0 + Duration::hours(2));
    golden("time_entry", &vec![finished, running]);
}

/// Stored in columns; pinned as a serde type.
#[test]
fn enrollment_snapshot() {
    golden(
        "enrollment",
        &EnrollmentSnapshot {
            id: ENROLLMENT,
            assignment: ASSIGNMENT,
            customer: CUSTOMER,
            state: SalesFlow::LEAD,
            category: StateCategory::Open,
            segment: Some(id(0x5E1)),
            attempts: 3,
            last_contact: Some(T0),
            follow_up: Some(FollowUp {
                due: T0 + Duration::days(1),
                owner: Some(SELLER),
            }),
            no_answer_at: Some(T0 - Duration::hours(1)),
            reservation: Some(Reservation {
                seller: SELLER,
                until: T0 + Duration::minutes(20),
            }),
            sequence: 17,
            enrolled_at: T0 - Duration::days(30),
        },
    );
}

/// The golden files are exactly the shapes above: a file left behind by a removed test is
/// reported rather than silently kept.
#[test]
fn privacy_request() {
    golden(
        "privacy_request",
        &PrivacyRequest {
            id: PrivacyRequestId::from_uuid(Uuid::from_u128(0x9e)),
            data_owner: OWNER,
            user: MANAGER,
            at: T0,
            right: PersonalRight::Access,
            found_by: KeyKind::ExternalId,
            customers: vec![CUSTOMER],
        },
    );
    golden(
        "privacy_request_erasure",
        &PrivacyRequest {
            id: PrivacyRequestId::from_uuid(Uuid::from_u128(0x9f)),
            data_owner: OWNER,
            user: MANAGER,
            at: T0,
            right: PersonalRight::Erasure,
            found_by: KeyKind::Phone,
            customers: vec![CUSTOMER],
        },
    );
}

#[test]
fn do_not_contact() {
    let salt = Salt::from_ids(Uuid::from_u128(0x5a1), Uuid::from_u128(0x5a2));
    golden(
        "do_not_contact",
        &DoNotContact {
            data_owner: OWNER,
            phone_hash: salt.hash(&PhoneNumber::parse("+4791234567").expect("valid")),
            salt,
            listed_at: T0,
        },
    );
}

/// An import's record as stored: without its id lists (kept beside it, a row an id), with
/// its undo.
#[test]
fn customer_import() {
    let mut import = CustomerImport::new(
        ImportId::from_uuid(Uuid::from_u128(0x1a)),
        OWNER,
        id(0xA5),
        MANAGER,
        T0,
    );
    import
        .undo(T0 + Duration::hours(1), MANAGER)
        .expect("not undone yet");
    golden("customer_import", &import);
}

/// A sale's written confirmation as stored (migration 0033), decided; and the setup that
/// requires it (inside the assignment's stored setup).
#[test]
fn sale_confirmation() {
    use cube_domain::sale_confirmation::{
        ConfirmationStatus, SaleConfirmation, SaleConfirmationSetup,
    };
    golden(
        "sale_confirmation",
        &SaleConfirmation {
            id: id(0x5C),
            assignment: ASSIGNMENT,
            event: id(0xEE),
            sold_at: T0,
            enrollment: ENROLLMENT,
            customer: CUSTOMER,
            state: SalesFlow::SALE,
            lines: vec![ProductLine {
                product: PRODUCT,
                quantity: 2,
                unit_price: Decimal::new(49_900, 2),
                currency: Currency::parse("NOK").expect("valid"),
            }],
            message: id(0x0B),
            channel: cube_domain::sale_confirmation::ConfirmationChannel::Sms,
            token_hash: None,
            terms_url: None,
            to: Some(PhoneNumber::parse("+4791234567").expect("valid")),
            sender: "AcmeEnergi".into(),
            sent_at: T0,
            deadline: T0 + Duration::hours(48),
            accept: vec!["JA".into()],
            refuse: vec!["NEI".into()],
            on_refusal: SalesFlow::O_NO_SALE,
            on_no_reply: SalesFlow::O_EXCLUDED,
            status: ConfirmationStatus::Confirmed,
            decided_at: Some(T0 + Duration::hours(1)),
        },
    );
    golden(
        "sale_confirmation_setup",
        &SaleConfirmationSetup::new(
            "Hei {{ name }}! {{ products }} Totalt {{ total }}. Vilkår: {{ terms_url }}",
            "https://acme.example.no/vilkar",
            Duration::hours(48),
            SalesFlow::O_NO_SALE,
            SalesFlow::O_EXCLUDED,
        ),
    );
}

#[test]
fn every_golden_file_has_its_test() {
    if blessing() {
        return; // the other tests are writing the files
    }
    let known = [
        "organisation",
        "user",
        "data_owner",
        "customer",
        "field_value",
        "product",
        "flow_draft",
        "published_flow",
        "assignment",
        "calendar",
        "calendar_with_opening_hours_closed",
        "meeting",
        "outcome_event",
        "outbox_message",
        "time_entry",
        "enrollment",
        "customer_with_contact_standing",
        "data_owner_with_contact_rules",
        "data_owner_before_contact_policy",
        "data_owner_with_import_mappings",
        "privacy_request",
        "privacy_request_erasure",
        "do_not_contact",
        "customer_import",
        "sale_confirmation",
        "sale_confirmation_setup",
    ];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("the golden directory")
        .map(|entry| {
            let path = entry.expect("an entry").path();
            path.file_stem()
                .and_then(|s| s.to_str())
                .expect("a file name")
                .to_owned()
        })
        .collect();
    files.sort();
    let mut expected: Vec<String> = known.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(files, expected);
}
