//! A person's rights under the GDPR (issue 16; seed 002: the data owner is the controller).
//!
//! A person asks a data owner what it holds on them. They are not a record of ours but
//! whoever the data owner's customers with their phone number, e-mail address or external
//! id are ([`PersonKey`]): one person may be several customers of a data owner (imported
//! twice from different lists, a company and a private number), never a customer of another
//! data owner (each data owner is its own controller). What is found is every record of
//! those customers; what is kept of the request itself is a [`PrivacyRequest`] in the data
//! owner's privacy log: who asked, when, which right, and the customers found by their ids
//! and how they were found (phone, e-mail or external id) — never the phone, the address or
//! anything else of the person, so the log can be kept as long as the controller must show
//! what it did.
//!
//! Erasure (art. 17) takes the person out of every record while keeping what the reports
//! count: `Customer::erased`, `OutcomeEvent::without_texts`, `OutboxPayload::erased`. A
//! person who asked not to be called stays barred: each of their phone numbers is kept only
//! as a salted hash on the data owner's do-not-contact list ([`DoNotContact`]), which bars
//! the number when it is imported or added again.

use crate::customer::{Customer, CustomerDetails};
use crate::ids::{CustomerId, DataOwnerId, PrivacyRequestId, UserId};
use crate::values::{Email, InvalidInput, Lines, PhoneNumber, PhoneRegion, ValueError, clean_text};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::fmt::Write as _;
use thiserror::Error;
use time::OffsetDateTime;

/// How a person is found among a data owner's customers: exactly one of their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonKey {
    /// Any of a customer's phone numbers.
    Phone(PhoneNumber),
    /// A customer's e-mail address, compared as logins are ([`Email::login_key`]:
    /// `Kari@X.no` finds `kari@x.no`).
    Email(Email),
    /// A customer's id in the source system, exactly.
    ExternalId(String),
}

/// Which kind of key found a person: what the privacy log keeps of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// A phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// An external id.
    ExternalId,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Phone => "phone number",
            KeyKind::Email => "e-mail address",
            KeyKind::ExternalId => "external id",
        })
    }
}

/// Why a person could not be looked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PersonKeyError {
    /// No key was given.
    #[error("give one of `phone`, `email` or `external_id` to find the person by")]
    NoKey,
    /// More than one key was given: a person is found by one, so which customers are
    /// theirs is never a guess between two keys that disagree.
    #[error("give only one of `phone`, `email` or `external_id`, not {0} of them")]
    SeveralKeys(usize),
    /// The key given is malformed.
    #[error(transparent)]
    Input(#[from] InvalidInput),
}

impl PersonKey {
    /// The one key among the three texts given (blank ones count as not given): a phone
    /// number read in `region` when typed without a country code, an e-mail address, or an
    /// external id (one line, at most [`CustomerDetails::MAX_EXTERNAL_ID`] characters).
    pub fn parse(
        phone: Option<&str>,
        email: Option<&str>,
        external_id: Option<&str>,
        region: PhoneRegion,
    ) -> Result<Self, PersonKeyError> {
        let (phone, email, external_id) = (given(phone), given(email), given(external_id));
        let count = [phone, email, external_id]
            .iter()
            .filter(|t| t.is_some())
            .count();
        if count > 1 {
            return Err(PersonKeyError::SeveralKeys(count));
        }
        if let Some(phone) = phone {
            return Ok(PersonKey::Phone(
                PhoneNumber::parse_in(phone, region).map_err(|e| e.at("phone"))?,
            ));
        }
        if let Some(email) = email {
            return Ok(PersonKey::Email(
                Email::parse(email).map_err(|e| e.at("email"))?,
            ));
        }
        if let Some(external_id) = external_id {
            let id = clean_text(
                "external_id",
                external_id,
                CustomerDetails::MAX_EXTERNAL_ID,
                Lines::One,
            )
            .map_err(|e| e.at("external_id"))?;
            if id.is_empty() {
                return Err(ValueError::Empty {
                    what: "external_id",
                }
                .at("external_id")
                .into());
            }
            return Ok(PersonKey::ExternalId(id));
        }
        Err(PersonKeyError::NoKey)
    }

    /// Which kind of key this is.
    pub fn kind(&self) -> KeyKind {
        match self {
            PersonKey::Phone(_) => KeyKind::Phone,
            PersonKey::Email(_) => KeyKind::Email,
            PersonKey::ExternalId(_) => KeyKind::ExternalId,
        }
    }

    /// Whether `customer` is (one of the records of) the person. Stores MUST find exactly
    /// the data owner's customers this keeps.
    pub fn matches(&self, customer: &Customer) -> bool {
        let details = customer.details();
        match self {
            PersonKey::Phone(phone) => details.phones.contains(phone),
            PersonKey::Email(email) => details
                .email
                .as_ref()
                .is_some_and(|e| e.login_key() == email.login_key()),
            PersonKey::ExternalId(id) => details.external_id.as_deref() == Some(id.as_str()),
        }
    }
}

/// A text given, or `None` when blank.
fn given(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

/// Which right a person exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalRight {
    /// Access (GDPR art. 15): everything held on them was handed out.
    Access,
    /// Erasure (GDPR art. 17): their personal data was removed; the outcome history kept,
    /// anonymised.
    Erasure,
}

/// Why a person's data cannot be erased as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ErasureError {
    /// No customer of the data owner has the key: nothing to erase.
    #[error("no customer of this data owner has this {0}; nothing was erased")]
    NoSuchPerson(KeyKind),
    /// The customer's personal data was erased: their card is nobody's, and is not written
    /// again (a seller who still had it open cannot type the person back in).
    #[error("this customer's personal data was erased; the card can no longer be changed")]
    Erased,
}

/// The salt of a data owner's do-not-contact list: 32 random bytes as hex, made once, when
/// the first number is listed, and kept beside the hashes (every entry of the data owner
/// carries it), so a number imported later is hashed the same way and looked up by its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Salt(String);

impl Salt {
    /// A salt from two ids of the `IdGenerator` (the domain has no random source of its own;
    /// a UUID v7 carries 74 random bits, two of them well over a hundred).
    pub fn from_ids(first: uuid::Uuid, second: uuid::Uuid) -> Self {
        let mut hex = String::with_capacity(64);
        for byte in first.as_bytes().iter().chain(second.as_bytes()) {
            let _ = write!(hex, "{byte:02x}");
        }
        Self(hex)
    }

    /// A stored salt.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash a phone number is kept as: SHA-256 over the salt, a zero byte and the number
    /// in E.164, in hex. The same number and salt give the same hash; the hash alone does not
    /// give the number back.
    pub fn hash(&self, phone: &PhoneNumber) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.0.as_bytes());
        hasher.update([0u8]);
        hasher.update(phone.as_str().as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in hasher.finalize() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

/// A phone number on a data owner's do-not-contact list, kept only as a salted hash: a
/// person whose data was erased after they asked not to be called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoNotContact {
    /// The data owner whose list it is.
    pub data_owner: DataOwnerId,
    /// The list's salt.
    pub salt: Salt,
    /// `salt.hash(phone)`.
    pub phone_hash: String,
    /// When it was listed.
    pub listed_at: OffsetDateTime,
}

/// Why a customer imported or added is on the do-not-call list.
pub const LISTED_REASON: &str = "on the data owner's do-not-contact list";

/// An entry of a data owner's privacy log: who exercised which right for a person, when,
/// and which customers the person was found as. No personal data: the customers by id, the
/// key by its kind only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyRequest {
    /// The id.
    pub id: PrivacyRequestId,
    /// The data owner (the controller) asked.
    pub data_owner: DataOwnerId,
    /// The user who carried it out.
    pub user: UserId,
    /// When.
    pub at: OffsetDateTime,
    /// Which right.
    pub right: PersonalRight,
    /// What kind of key found the person.
    pub found_by: KeyKind,
    /// The customers found, oldest first (none when the data owner holds nothing on them).
    pub customers: Vec<CustomerId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_owner::{DataOwner, Dataset};
    use crate::fields::FieldValues;
    use crate::ids::OrganisationId;
    use crate::values::Name;
    use uuid::Uuid;

    fn customer(phones: &[&str], email: Option<&str>, external: Option<&str>) -> Customer {
        let owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Acme").expect("valid"),
        );
        let details = CustomerDetails {
            name: Name::parse("Kari Nordmann").expect("valid"),
            phones: phones
                .iter()
                .map(|p| PhoneNumber::parse(p).expect("valid"))
                .collect(),
            email: email.map(|e| Email::parse(e).expect("valid")),
            address: None,
            registry_number: None,
            external_id: external.map(str::to_owned),
        };
        Customer::new(
            crate::ids::CustomerId::from_uuid(Uuid::from_u128(1)),
            &owner,
            Dataset::B2c,
            details,
            FieldValues::new(),
        )
        .expect("valid")
    }

    fn key(phone: Option<&str>, email: Option<&str>, external: Option<&str>) -> PersonKey {
        PersonKey::parse(phone, email, external, PhoneRegion::NORWAY).expect("a key")
    }

    #[test]
    fn exactly_one_key_is_taken_and_a_national_number_is_read_in_the_region() {
        assert_eq!(
            key(Some("912 34 567"), None, Some("  ")),
            PersonKey::Phone(PhoneNumber::parse("+4791234567").expect("valid"))
        );
        assert_eq!(key(None, None, Some(" CRM-1 ")).kind(), KeyKind::ExternalId);
        let none = PersonKey::parse(None, Some(" "), None, PhoneRegion::NORWAY);
        assert_eq!(none, Err(PersonKeyError::NoKey));
        let two = PersonKey::parse(
            Some("+4791234567"),
            Some("kari@example.no"),
            None,
            PhoneRegion::NORWAY,
        );
        assert_eq!(two, Err(PersonKeyError::SeveralKeys(2)));
        assert!(two.expect_err("two").to_string().contains("only one"));
    }

    #[test]
    fn a_malformed_key_is_refused_naming_its_field() {
        for (phone, email, external, field) in [
            (Some("not a number"), None, None, "phone"),
            (None, Some("kari.example.no"), None, "email"),
            (None, None, Some("a\u{7}b"), "external_id"),
        ] {
            match PersonKey::parse(phone, email, external, PhoneRegion::NORWAY) {
                Err(PersonKeyError::Input(input)) => assert_eq!(input.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let long = "x".repeat(CustomerDetails::MAX_EXTERNAL_ID + 1);
        assert!(PersonKey::parse(None, None, Some(&long), PhoneRegion::NORWAY).is_err());
    }

    #[test]
    fn a_number_is_kept_as_a_salted_hash_that_only_the_same_salt_and_number_give() {
        let salt = Salt::from_ids(Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(salt.as_str().len(), 64);
        let other = Salt::from_ids(Uuid::from_u128(1), Uuid::from_u128(3));
        let kari = PhoneNumber::parse("+4791234567").expect("valid");
        let ola = PhoneNumber::parse("+4791234568").expect("valid");
        let hash = salt.hash(&kari);
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hash, salt.hash(&kari), "the same number, the same hash");
        assert_ne!(hash, salt.hash(&ola));
        assert_ne!(hash, other.hash(&kari), "another salt, another hash");
        assert!(!hash.contains("91234567"));
    }

    #[test]
    fn an_erased_customer_keeps_nothing_of_the_person_and_stays_barred() {
        let at = time::macros::datetime!(2026-12-06 10:00 UTC);
        let kari = customer(&["+4791234567"], Some("kari@example.no"), Some("CRM-1"));
        let erased = kari.erased(at);
        assert_eq!(erased.id(), kari.id());
        assert_eq!(erased.dataset(), kari.dataset());
        let d = erased.details();
        assert_eq!(d.name.as_str(), crate::values::ERASED_NAME);
        assert!(d.phones.is_empty() && d.email.is_none() && d.external_id.is_none());
        assert!(erased.fields().is_empty());
        assert_eq!(erased.search_text(), "[erased]");
        let barred = erased.contact().do_not_call.as_ref().expect("on the list");
        assert_eq!((barred.since, barred.by), (at, None));
        assert!(erased.contact_facts().block.is_some(), "never handed out");
        for key in [
            key(Some("+4791234567"), None, None),
            key(None, Some("kari@example.no"), None),
            key(None, None, Some("CRM-1")),
        ] {
            assert!(key.matches(&kari) && !key.matches(&erased));
        }
    }

    #[test]
    fn a_key_finds_the_customers_that_have_it_and_no_other() {
        let kari = customer(
            &["+4791234567", "+4722334455"],
            Some("Kari.N@Example.no"),
            Some("CRM-1"),
        );
        assert!(key(Some("+4722334455"), None, None).matches(&kari));
        assert!(!key(Some("+4791234568"), None, None).matches(&kari));
        // E-mail addresses compare as logins: the case of the local part does not matter.
        assert!(key(None, Some("kari.n@example.no"), None).matches(&kari));
        assert!(!key(None, Some("kari@example.no"), None).matches(&kari));
        // An external id is exact.
        assert!(key(None, None, Some("CRM-1")).matches(&kari));
        assert!(!key(None, None, Some("crm-1")).matches(&kari));
        let no_email = customer(&["+4791234567"], None, None);
        assert!(!key(None, Some("kari.n@example.no"), None).matches(&no_email));
    }
}
