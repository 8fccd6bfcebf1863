//! Small parsed values shared by many aggregates: names, phone numbers, e-mail addresses.
//! Parse, don't validate: the only way to get one is `parse`, so every holder of a
//! `PhoneNumber` holds a valid E.164 number.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Why a value was refused. Each message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    /// The text was empty after trimming.
    #[error("{what} must not be empty")]
    Empty {
        /// Which value was empty.
        what: &'static str,
    },
    /// The text was longer than allowed.
    #[error("{what} must be at most {max} characters, got {len}")]
    TooLong {
        /// Which value was too long.
        what: &'static str,
        /// The maximum.
        max: usize,
        /// The length given.
        len: usize,
    },
    /// Not an E.164 phone number.
    #[error(
        "phone number '{0}' is not in E.164 form: a '+', a country code and up to 15 digits in all, e.g. +4791234567"
    )]
    Phone(String),
    /// Not an e-mail address.
    #[error("e-mail address '{0}' is not valid: expected local@domain.tld")]
    Email(String),
}

/// A trimmed, non-empty name of at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    /// The longest name accepted.
    pub const MAX: usize = 200;

    /// Trims `raw` and checks it is non-empty and not too long.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty { what: "name" });
        }
        let len = trimmed.chars().count();
        if len > Self::MAX {
            return Err(ValueError::TooLong {
                what: "name",
                max: Self::MAX,
                len,
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Name> for String {
    fn from(value: Name) -> Self {
        value.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form: `+`, a country code not starting with 0, at most 15 digits.
/// Spaces, dashes, dots and parentheses are accepted on input and removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number such as `+47 912 34 567` into `+4791234567`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let Some(digits) = compact.strip_prefix('+') else {
            return Err(ValueError::Phone(raw.to_owned()));
        };
        let valid = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(compact))
        } else {
            Err(ValueError::Phone(raw.to_owned()))
        }
    }

    /// The number as `+<digits>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address: one `@`, a non-empty local part, a domain with a dot, no spaces.
/// Stored lower-cased in the domain part, as given in the local part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The longest address accepted (RFC 5321).
    pub const MAX: usize = 254;

    /// Parses an address such as `kari@example.no`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        let bad = || ValueError::Email(raw.to_owned());
        if trimmed.len() > Self::MAX || trimmed.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        let (local, domain) = trimmed.split_once('@').ok_or_else(bad)?;
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if local.is_empty() || local.len() > 64 || !domain.contains('.') || !labels_ok {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Login e-mails are compared without regard to case: `Kari@example.no` and
/// `kari@example.no` are one login, so one user. The domain part is lower-cased when
/// parsed; the key lower-cases the local part too, ASCII letters only (what SQL's `lower`
/// does the same way in every store: SQLite's built-in one, PostgreSQL's under the "C"
/// collation), so a store can index it and the three stores agree to the letter.
impl Email {
    /// The address as compared for logins and for the one-user-per-address rule.
    pub fn login_key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        let phone = PhoneNumber::parse("+47 912 34 567").expect("valid");
        assert_eq!(phone.as_str(), "+4791234567");
        for bad in [
            "91234567",
            "+0471234567",
            "+47abc12345",
            "+1234567",
            "+1234567890123456",
            "",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            Email::parse(" Kari@Example.NO ").expect("valid").as_str(),
            "Kari@example.no"
        );
        for bad in [
            "kari",
            "kari@",
            "@example.no",
            "kari@example",
            "ka ri@example.no",
            "kari@-x.no",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn login_keys_ignore_the_case_of_ascii_letters() {
        let key = |raw: &str| Email::parse(raw).expect("valid").login_key();
        assert_eq!(key("SELLER1@Demo.Example.com"), "seller1@demo.example.com");
        assert_eq!(
            key("Seller1@demo.example.com"),
            key("seller1@DEMO.example.com")
        );
        assert_ne!(key("seller1@example.no"), key("seller2@example.no"));
    }

    #[test]
    fn names_are_trimmed_and_non_empty() {
        assert_eq!(Name::parse("  Lead ").expect("valid").as_str(), "Lead");
        assert_eq!(Name::parse("   "), Err(ValueError::Empty { what: "name" }));
        assert!(Name::parse(&"x".repeat(201)).is_err());
    }

    proptest! {
        #[test]
        fn any_plus_and_digits_of_valid_length_parse(cc in 1u8..=9, rest in "[0-9]{7,14}") {
            let raw = format!("+{cc}{rest}");
            let phone = PhoneNumber::parse(&raw).expect("valid");
            prop_assert_eq!(phone.as_str(), raw.as_str());
        }

        #[test]
        fn parsing_never_panics(raw in ".*") {
            let _ = PhoneNumber::parse(&raw);
            let _ = Email::parse(&raw);
            let _ = Name::parse(&raw);
        }
    }
}
