//! The customer view ("Kundebilde", setup item 7): which of a customer's fields a seller
//! sees while working the customer in an assignment, in the assignment's order, each as
//! text. A pure function of the customer and the setup's `customer_view` list.

use crate::assignment::setup::{FixedField, ViewField};
use crate::customer::Customer;

/// One field of the customer view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewEntry {
    /// Which field.
    pub field: ViewField,
    /// Its value as text (`None`: empty).
    pub value: Option<String>,
}

/// The customer view: the assignment's chosen `fields` of `customer`, in order. Phone
/// numbers are one entry, joined by ", "; a field the customer has no value for is listed
/// empty (`None`), never left out, so the seller sees what is missing.
pub fn customer_view(customer: &Customer, fields: &[ViewField]) -> Vec<ViewEntry> {
    let details = customer.details();
    fields
        .iter()
        .map(|field| {
            let value = match field {
                ViewField::Fixed(FixedField::Name) => Some(details.name.to_string()),
                ViewField::Fixed(FixedField::Phones) => (!details.phones.is_empty()).then(|| {
                    details
                        .phones
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
                ViewField::Fixed(FixedField::Email) => {
                    details.email.as_ref().map(ToString::to_string)
                }
                ViewField::Fixed(FixedField::Address) => details.address.clone(),
                ViewField::Fixed(FixedField::RegistryNumber) => details.registry_number.clone(),
                ViewField::Fixed(FixedField::ExternalId) => details.external_id.clone(),
                ViewField::Custom(key) => customer.fields().get(key).map(|v| v.display()),
            };
            ViewEntry {
                field: field.clone(),
                value,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerDetails;
    use crate::data_owner::{DataOwner, Dataset};
    use crate::fields::{FieldDefinition, FieldKey, FieldType, FieldValue, FieldValues};
    use crate::ids::{CustomerId, DataOwnerId, OrganisationId};
    use crate::values::{Name, PhoneNumber};
    use uuid::Uuid;

    fn key(raw: &str) -> FieldKey {
        FieldKey::parse(raw).expect("a key")
    }

    fn kari() -> Customer {
        let mut owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Acme").expect("a name"),
        );
        let industry = FieldDefinition::new(key("industry"), "Industry", FieldType::Text, false)
            .expect("a field");
        let employees =
            FieldDefinition::new(key("employees"), "Employees", FieldType::Number, false)
                .expect("a field");
        owner
            .set_fields(Dataset::B2b, vec![industry, employees])
            .expect("fields");
        let details = CustomerDetails {
            name: Name::parse("Kari AS").expect("a name"),
            phones: vec![
                PhoneNumber::parse("+4791234567").expect("a phone"),
                PhoneNumber::parse("+4722334455").expect("a phone"),
            ],
            email: None,
            address: Some("Storgata 1".to_owned()),
            registry_number: None,
            external_id: Some("crm-7".to_owned()),
        };
        let fields = FieldValues::from([(key("employees"), FieldValue::Number(12))]);
        Customer::new(
            CustomerId::from_uuid(Uuid::nil()),
            &owner,
            Dataset::B2b,
            details,
            fields,
        )
        .expect("a customer")
    }

    #[test]
    fn the_view_shows_the_chosen_fields_in_the_assignments_order() {
        let fields = [
            ViewField::Custom(key("employees")),
            ViewField::Fixed(FixedField::Phones),
            ViewField::Fixed(FixedField::Name),
            ViewField::Fixed(FixedField::ExternalId),
            ViewField::Fixed(FixedField::Address),
        ];
        let view = customer_view(&kari(), &fields);
        let shown: Vec<(ViewField, Option<&str>)> = view
            .iter()
            .map(|e| (e.field.clone(), e.value.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [
                (fields[0].clone(), Some("12")),
                (fields[1].clone(), Some("+4791234567, +4722334455")),
                (fields[2].clone(), Some("Kari AS")),
                (fields[3].clone(), Some("crm-7")),
                (fields[4].clone(), Some("Storgata 1")),
            ]
        );
    }

    #[test]
    fn a_field_without_a_value_is_shown_empty() {
        let fields = [
            ViewField::Fixed(FixedField::Email),
            ViewField::Fixed(FixedField::RegistryNumber),
            ViewField::Custom(key("industry")),
            ViewField::Custom(key("not_defined")),
        ];
        let view = customer_view(&kari(), &fields);
        assert_eq!(view.len(), fields.len());
        assert!(view.iter().all(|e| e.value.is_none()));
        assert_eq!(customer_view(&kari(), &[]), []);
    }
}
