//! The CRM side of a data owner: products, customers, CRM fields and GDPR details, plus
//! meeting overlap.

mod common;

use common::*;
use cube_domain::customer::{Customer, CustomerDetails, CustomerError};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::fields::{FieldDefinition, FieldError, FieldType, FieldValue, FieldValues};
use cube_domain::meeting::{Meeting, MeetingKind};
use cube_domain::product::{Currency, PriceError, Product, ProductError, check_unit_price};
use cube_domain::values::{Email, PhoneNumber};
use rust_decimal::Decimal;

fn nok() -> Currency {
    Currency::parse("NOK").expect("a currency")
}

fn product(code: &str, price: i64) -> Result<Product, ProductError> {
    Product::new(
        PRODUCT,
        DATA_OWNER,
        name("Power plan"),
        code,
        Decimal::from(price),
        nok(),
    )
}

#[test]
fn currencies_are_three_capital_letters() {
    assert_eq!(
        Currency::parse(" EUR ").map(|c| c.as_str().to_owned()),
        Ok("EUR".into())
    );
    for bad in ["nok", "NO", "NOKK", "N0K", ""] {
        assert!(Currency::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_product_is_active_when_created() {
    let product = product(" POWER ", 499).expect("valid");
    assert!(product.active());
    assert_eq!(product.code(), "POWER");
    assert_eq!(product.unit_price(), Decimal::from(499));
}

#[test]
fn an_edit_changes_name_code_and_price_under_the_same_rules_and_keeps_it_stopped() {
    let mut product = product("POWER", 499).expect("valid");
    product.set_active(false);
    product
        .edit(
            name("Power plan plus"),
            " POWER-2 ",
            Decimal::from(599),
            nok(),
        )
        .expect("a valid edit");
    assert_eq!(product.code(), "POWER-2");
    assert_eq!(product.unit_price(), Decimal::from(599));
    assert_eq!(product.name().as_str(), "Power plan plus");
    assert!(!product.active(), "an edit does not resume selling");
    let before = product.clone();
    assert!(
        product
            .edit(name("x"), "", Decimal::from(1), nok())
            .is_err()
    );
    assert!(
        product
            .edit(name("x"), "OK", Decimal::from(-1), nok())
            .is_err()
    );
    assert_eq!(product, before, "a refused edit changes nothing");
}

#[test]
fn a_product_price_cannot_be_negative() {
    assert_eq!(
        product("POWER", -1),
        Err(ProductError::Price(PriceError::Negative(Decimal::from(-1))))
    );
    assert!(product("FREE", 0).is_ok());
}

#[test]
fn a_product_price_is_at_most_a_billion_with_two_decimals() {
    assert!(product("TOP", 1_000_000_000).is_ok());
    assert_eq!(
        product("OVER", 1_000_000_001),
        Err(ProductError::Price(PriceError::TooHigh(Decimal::from(
            1_000_000_001_i64
        ))))
    );
    let huge = Decimal::MAX; // about 7.9 × 10^28
    let made = Product::new(PRODUCT, DATA_OWNER, name("X"), "X", huge, nok());
    assert_eq!(made, Err(ProductError::Price(PriceError::TooHigh(huge))));
    let cents = Decimal::new(49_950, 2);
    assert_eq!(check_unit_price(cents), Ok(()));
    assert_eq!(check_unit_price(Decimal::new(4_995, 1)), Ok(()));
    assert_eq!(
        check_unit_price(Decimal::new(49_900, 3)),
        Ok(()),
        "499.900 is 499.90"
    );
    assert_eq!(
        check_unit_price(Decimal::new(49_995, 3)),
        Err(PriceError::TooPrecise(Decimal::new(49_995, 3)))
    );
}

#[test]
fn a_product_code_is_one_to_sixty_four_characters() {
    assert_eq!(product("  ", 1), Err(ProductError::Code));
    assert_eq!(product(&"x".repeat(65), 1), Err(ProductError::Code));
    assert!(product(&"ø".repeat(64), 1).is_ok());
}

#[test]
fn a_product_can_be_deactivated_and_reactivated() {
    let mut product = product("POWER", 499).expect("valid");
    product.set_active(false);
    assert!(!product.active());
    product.set_active(true);
    assert!(product.active());
}

fn owner_with_industry() -> DataOwner {
    let mut owner = DataOwner::new(DATA_OWNER, ORG, name("Acme Energi"));
    let industry = FieldDefinition::new(
        key("industry"),
        "Industry",
        FieldType::Choice {
            choices: vec!["Retail".into(), "Energy".into()],
        },
        false,
    )
    .expect("valid");
    owner
        .set_fields(Dataset::B2b, vec![industry])
        .expect("one field");
    owner
}

fn details() -> CustomerDetails {
    CustomerDetails {
        name: name("Nordlys AS"),
        phones: vec![PhoneNumber::parse("+4791234567").expect("valid")],
        email: None,
        address: None,
        registry_number: Some("987654321".into()),
        external_id: None,
    }
}

fn industry(value: &str) -> FieldValues {
    FieldValues::from([(key("industry"), FieldValue::Choice(value.into()))])
}

#[test]
fn a_customer_needs_a_phone_or_an_email() {
    let owner = owner_with_industry();
    let nothing = CustomerDetails {
        phones: vec![],
        ..details()
    };
    assert_eq!(
        Customer::new(id(2001), &owner, Dataset::B2b, nothing.clone(), no_fields()),
        Err(CustomerError::NoContact)
    );
    let email_only = CustomerDetails {
        email: Some(Email::parse("post@nordlys.no").expect("valid")),
        ..nothing
    };
    assert!(Customer::new(id(2001), &owner, Dataset::B2b, email_only, no_fields()).is_ok());
}

#[test]
fn a_customers_crm_values_are_checked_against_its_dataset() {
    let owner = owner_with_industry();
    let customer = Customer::new(
        id(2001),
        &owner,
        Dataset::B2b,
        details(),
        industry("Energy"),
    )
    .expect("a defined choice");
    assert_eq!(customer.fields(), &industry("Energy"));
    assert_eq!(customer.data_owner(), DATA_OWNER);
    assert!(matches!(
        Customer::new(
            id(2001),
            &owner,
            Dataset::B2b,
            details(),
            industry("Shipping")
        ),
        Err(CustomerError::Field(FieldError::NotAChoice { .. }))
    ));
    // The B2C dataset has no such field.
    assert_eq!(
        Customer::new(
            id(2001),
            &owner,
            Dataset::B2c,
            details(),
            industry("Energy")
        ),
        Err(CustomerError::Field(FieldError::Unknown("industry".into())))
    );
}

#[test]
fn a_customer_is_updated_only_by_its_own_data_owner() {
    let owner = owner_with_industry();
    let mut customer =
        Customer::new(id(2001), &owner, Dataset::B2b, details(), no_fields()).expect("valid");
    let other = DataOwner::new(OTHER_DATA_OWNER, ORG, name("Other"));
    assert_eq!(
        customer.update(&other, details(), no_fields()),
        Err(CustomerError::WrongDataOwner)
    );
    let renamed = CustomerDetails {
        name: name("Nordlys Energi AS"),
        ..details()
    };
    customer
        .update(&owner, renamed.clone(), industry("Retail"))
        .expect("valid update");
    assert_eq!(customer.details(), &renamed);
    assert_eq!(customer.id(), id(2001));
    assert_eq!(customer.dataset(), Dataset::B2b);
}

#[test]
fn a_refused_customer_update_changes_nothing() {
    let owner = owner_with_industry();
    let mut customer = Customer::new(
        id(2001),
        &owner,
        Dataset::B2b,
        details(),
        industry("Retail"),
    )
    .expect("valid");
    let before = customer.clone();
    assert!(
        customer
            .update(&owner, details(), industry("Shipping"))
            .is_err()
    );
    assert_eq!(customer, before);
}

#[test]
fn a_dataset_cannot_define_a_field_twice() {
    let mut owner = DataOwner::new(DATA_OWNER, ORG, name("Acme"));
    let field =
        FieldDefinition::new(key("region"), "Region", FieldType::Text, false).expect("valid");
    assert_eq!(
        owner.set_fields(Dataset::B2c, vec![field.clone(), field]),
        Err(FieldError::DuplicateKey("region".into()))
    );
    assert!(owner.fields(Dataset::B2c).is_empty());
}

#[test]
fn meetings_overlap_when_they_share_an_instant() {
    let meeting = Meeting {
        id: id(8000),
        calendar: CALENDAR,
        assignment: ASSIGNMENT,
        enrollment: id(1001),
        customer: id(2001),
        booked_by: None,
        start: mins(60),
        end: mins(120),
        kind: MeetingKind::Video,
        place: None,
    };
    assert!(meeting.overlaps(mins(90), mins(150)));
    assert!(meeting.overlaps(mins(0), mins(61)));
    assert!(meeting.overlaps(mins(70), mins(80)), "inside");
    assert!(meeting.overlaps(mins(0), mins(200)), "around");
    assert!(!meeting.overlaps(mins(120), mins(150)), "touching after");
    assert!(!meeting.overlaps(mins(0), mins(60)), "touching before");
}
