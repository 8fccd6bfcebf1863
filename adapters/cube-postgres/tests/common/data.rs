//! Small builders of domain values for the adapter's own tests: ids from numbers, customers
//! with typed CRM fields, enrollments and outcome events written as plain data.

use cube_domain::customer::{Customer, CustomerDetails};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot};
use cube_domain::fields::{FieldDefinition, FieldKey, FieldType, FieldValue, FieldValues};
use cube_domain::flow::StateCategory;
use cube_domain::ids::{
    AssignmentId, CustomerId, DataOwnerId, EnrollmentId, OrganisationId, OutcomeEventId, StateId,
};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord};
use cube_domain::values::{Name, PhoneNumber};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

/// The tests' "now".
pub const T0: OffsetDateTime = datetime!(2025-03-03 08:00 UTC);

/// A UUID made from a number (kinds apart by the high bits the caller picks).
pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// The data owner every test customer belongs to.
pub fn owner_id() -> DataOwnerId {
    DataOwnerId::from_uuid(uuid(0xD0))
}

/// A field key known to be valid.
pub fn key(raw: &str) -> FieldKey {
    FieldKey::parse(raw).expect("valid field key")
}

fn type_of(value: &FieldValue) -> FieldType {
    match value {
        FieldValue::Text(_) => FieldType::Text,
        FieldValue::Number(_) => FieldType::Number,
        FieldValue::Decimal(_) => FieldType::Decimal,
        FieldValue::Date(_) => FieldType::Date,
        FieldValue::Boolean(_) => FieldType::Boolean,
        FieldValue::Choice(choice) => FieldType::Choice {
            choices: vec![choice.clone()],
        },
    }
}

/// A customer of [`owner_id`] with a phone number made from `n` and these CRM values. The
/// data owner's definitions are made to fit the values (admins may change field types at
/// any time, so one key can hold values of several types across customers).
pub fn customer(n: u128, fields: FieldValues) -> Customer {
    let mut owner = DataOwner::new(
        owner_id(),
        OrganisationId::from_uuid(uuid(0x0F)),
        Name::parse("Owner").expect("valid name"),
    );
    let definitions = fields
        .iter()
        .map(|(k, v)| FieldDefinition::new(k.clone(), k.as_str(), type_of(v), false))
        .collect::<Result<Vec<_>, _>>()
        .expect("definitions fit the values");
    owner
        .set_fields(Dataset::B2b, definitions)
        .expect("distinct keys");
    let details = CustomerDetails {
        name: Name::parse(&format!("Customer {n}")).expect("valid name"),
        phones: vec![PhoneNumber::parse(&format!("+47{:08}", 40_000_000 + n)).expect("valid")],
        email: None,
        address: None,
        registry_number: None,
        external_id: Some(format!("ext-{n}")),
    };
    Customer::new(
        CustomerId::from_uuid(uuid(0xC000 + n)),
        &owner,
        Dataset::B2b,
        details,
        fields,
    )
    .expect("the customer fits its owner")
}

/// The initial state of the test enrollments.
pub fn to_call() -> StateId {
    StateId::from_uuid(uuid(0x5_0001))
}

/// A fresh enrollment of customer `customer` (as numbered for [`customer`]) in the
/// assignment, with import order `sequence`.
pub fn enrollment(assignment: AssignmentId, n: u128, customer: u128, sequence: u64) -> Enrollment {
    Enrollment::new(
        EnrollmentId::from_uuid(uuid(0xE000_0000 + n)),
        assignment,
        CustomerId::from_uuid(uuid(0xC000 + customer)),
        to_call(),
        None,
        sequence,
        T0,
    )
}

/// A copy of `enrollment` with its plain data changed.
pub fn with(enrollment: &Enrollment, change: impl FnOnce(&mut EnrollmentSnapshot)) -> Enrollment {
    let mut snapshot = enrollment.snapshot().clone();
    change(&mut snapshot);
    Enrollment::from(snapshot)
}

/// An attempt-free progress event on an enrollment, landing in `to` of `category`.
pub fn event(
    n: u128,
    enrollment: &Enrollment,
    to: StateId,
    category: StateCategory,
    at: OffsetDateTime,
) -> OutcomeEvent {
    OutcomeEvent::from(OutcomeEventRecord {
        id: OutcomeEventId::from_uuid(uuid(0xEE00_0000 + n)),
        assignment: enrollment.assignment(),
        enrollment: enrollment.id(),
        customer: enrollment.customer(),
        occurred_at: at,
        user: None,
        outcome: None,
        class: OutcomeClass::Progress,
        option: None,
        from_state: enrollment.state(),
        to_state: to,
        to_category: category,
        fields: FieldValues::new(),
        products: Vec::new(),
        meeting: None,
        follow_up: None,
        note: None,
    })
}
