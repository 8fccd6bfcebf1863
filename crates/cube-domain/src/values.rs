//! Small parsed values shared by many aggregates: names, phone numbers, e-mail addresses,
//! and the rule every free text obeys on its way in (`clean_text`).
//! Parse, don't validate: the only way to get one is `parse`, so every holder of a
//! `PhoneNumber` holds a valid E.164 number.
//!
//! # Layout
//! - this file: `ValueError`, `clean_text` (NFC, no control characters, a maximum length)
//!   and `Name`.
//! - `phone`: `PhoneNumber` and `PhoneRegion` (libphonenumber's data).
//! - `email`: `Email`.
//! - `registry`: organisation numbers as imports match and store them (`registry_key`).

mod email;
mod phone;
mod registry;

pub use email::{Email, EmailProblem};
pub use phone::{MAX_PHONE_INPUT, PhoneNumber, PhoneProblem, PhoneRegion};
pub use registry::{SPACES as REGISTRY_KEY_SPACES, parse_organisation_number, registry_key};

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;
use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// Why a value was refused. Each message says what to fix; none repeats more than
/// [`EXCERPT_CHARS`] characters of what was given.
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
    /// A time in the future, or before 1900, where only a past time makes sense.
    #[error("{what} must be a time that has passed (not in the future, not before 1900)")]
    NotNow {
        /// Which value.
        what: &'static str,
    },
    /// A number outside its range.
    #[error("{what} must be between {min} and {max}, got {got}")]
    OutOfRange {
        /// Which value.
        what: &'static str,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
        /// What was given.
        got: u64,
    },
    /// A control character (NUL, a tab, a line break in a one-line text...).
    #[error("{what} may not hold control characters such as {found}; remove it")]
    ControlCharacter {
        /// Which value.
        what: &'static str,
        /// The first one found, escaped (`\u{0}`, `\n`).
        found: String,
    },
    /// Not a phone number.
    #[error("phone number '{given}' is not valid: {problem}")]
    Phone {
        /// The start of what was given, escaped.
        given: String,
        /// What is wrong.
        problem: PhoneProblem,
    },
    /// Not a region code.
    #[error("phone region '{0}' is not a two-letter country code such as NO or SE")]
    PhoneRegion(String),
    /// A Norwegian organisation number whose check digit is wrong.
    #[error(
        "organisation number '{given}' is not valid: its last digit is not the check digit \
         of the eight before it (modulus 11); correct the number or leave it out"
    )]
    OrganisationNumber {
        /// The start of what was given, escaped.
        given: String,
    },
    /// A Norwegian organisation number that is not nine digits once its spaces, dots,
    /// hyphens, a leading `NO` and a trailing `MVA` are taken away.
    #[error(
        "organisation number '{given}' is not valid: a Norwegian organisation number has nine \
         digits (such as 974 760 673 or NO 974760673 MVA); correct the number or leave it out"
    )]
    OrganisationNumberShape {
        /// The start of what was given, escaped.
        given: String,
    },
    /// Not an e-mail address.
    #[error("e-mail address '{given}' is not valid: {problem}")]
    Email {
        /// The start of what was given, escaped.
        given: String,
        /// What is wrong.
        problem: EmailProblem,
    },
}

impl ValueError {
    /// This refusal, naming the input field it came in (`email`, `phones[0]`).
    pub fn at(self, field: impl Into<String>) -> InvalidInput {
        InvalidInput {
            field: field.into(),
            error: self,
        }
    }
}

/// A refused value and the input field it came in: "`phones[1]`: phone number … is not
/// valid: …".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{field}`: {error}")]
pub struct InvalidInput {
    /// The field, as the caller named it (`email`, `phones[0]`, `fields.industry`).
    pub field: String,
    /// Why.
    pub error: ValueError,
}

/// The name of a customer whose personal data was erased ([`Name::erased`]).
pub const ERASED_NAME: &str = "[erased]";

/// The most characters of a refused input an error repeats.
pub const EXCERPT_CHARS: usize = 40;

/// The start of `raw` to show in an error: at most [`EXCERPT_CHARS`] characters, control
/// characters escaped, `…` when cut.
pub fn excerpt(raw: &str) -> String {
    let mut shown: String = raw
        .chars()
        .take(EXCERPT_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if raw.chars().nth(EXCERPT_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

/// Whether a text may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no line breaks (names, numbers, ids).
    One,
    /// Several lines (an address, a note): `\n` kept, `\r\n` and `\r` made `\n`.
    Many,
}

/// How every free text enters the domain: NFC-normalised (so `Åse` typed with a combining
/// ring is the same `Åse`), trimmed, without control characters (line breaks only in
/// [`Lines::Many`] texts) and at most `max` characters. Empty text is returned as empty;
/// callers that need a value say so.
pub fn clean_text(
    what: &'static str,
    raw: &str,
    max: usize,
    lines: Lines,
) -> Result<String, ValueError> {
    let too_long = |len| ValueError::TooLong { what, max, len };
    // A quick bound before any work: a character is at most 4 bytes.
    if raw.len() > 4 * max.saturating_add(64) {
        return Err(too_long(raw.chars().count()));
    }
    // Most text is NFC already (all ASCII is): the quick check says so without composing.
    let nfc = |text: &str| -> String {
        if unicode_normalization::is_nfc_quick(text.chars()) == IsNormalized::Yes {
            text.to_owned()
        } else {
            text.nfc().collect()
        }
    };
    let text: String = match lines {
        Lines::One => nfc(raw.trim()),
        Lines::Many => nfc(raw.replace("\r\n", "\n").replace('\r', "\n").trim()),
    };
    let allowed = |c: char| lines == Lines::Many && c == '\n';
    if let Some(c) = text
        .chars()
        .find(|&c| (c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) && !allowed(c))
    {
        return Err(ValueError::ControlCharacter {
            what,
            found: c.escape_debug().collect(),
        });
    }
    let len = text.chars().count();
    if len > max {
        return Err(too_long(len));
    }
    Ok(text)
}

/// A trimmed, non-empty, one-line name of at most 200 characters, NFC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    /// The longest name accepted.
    pub const MAX: usize = 200;

    /// Cleans `raw` (`clean_text`) and checks it is non-empty.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let text = clean_text("name", raw, Self::MAX, Lines::One)?;
        if text.is_empty() {
            return Err(ValueError::Empty { what: "name" });
        }
        Ok(Self(text))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name a customer keeps once their personal data is erased (GDPR art. 17): a
    /// customer has a name, and this one is nobody's.
    pub fn erased() -> Self {
        Self(ERASED_NAME.to_owned())
    }

    /// Whether two names are the same ignoring case, in every script, not ASCII only: both
    /// are NFC (see `parse`) and compared case-folded — Unicode upper case, then lower case,
    /// so "ÆRLIG" is "ærlig", "ΔΈΛΤΑ" is "δέλτα", "Straße" is "STRASSE" and a Greek final
    /// sigma is a sigma. How names that must be distinct (segments) are compared.
    pub fn same_as(&self, other: &Name) -> bool {
        let fold = |s: &str| s.to_uppercase().to_lowercase();
        self.0 == other.0 || fold(&self.0) == fold(&other.0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_non_empty() {
        assert_eq!(Name::parse("  Lead ").expect("valid").as_str(), "Lead");
        assert_eq!(Name::parse("   "), Err(ValueError::Empty { what: "name" }));
        assert!(Name::parse(&"x".repeat(201)).is_err());
        assert!(
            Name::parse(&"é".repeat(200)).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn names_are_the_same_ignoring_case_in_every_script() {
        let same = |a: &str, b: &str| {
            Name::parse(a)
                .expect("valid")
                .same_as(&Name::parse(b).expect("valid"))
        };
        assert!(same("Oslo", "OSLO"));
        assert!(same("Ærlig Østkant", "ærlig østKANT"));
        assert!(same("ΔΈΛΤΑ", "δέλτα"));
        assert!(same("Москва", "МОСКВА"));
        // NFD and NFC spellings are one name (`parse` makes both NFC).
        assert!(same("A\u{030a}SE", "åse"));
        assert!(same("Straße", "STRASSE"));
        assert!(same("ΟΔΟΣ", "οδος"));
        assert!(!same("Oslo", "Oslo 2"));
        assert!(!same("Ære", "Aere"));
    }

    proptest! {
        #[test]
        fn a_name_is_the_same_as_itself_in_any_case(raw in "[a-zA-ZæøåÆØÅα-ωΑ-Ωа-яА-Я ]{0,30}x") {
            let name = Name::parse(&raw).expect("valid");
            for other in [raw.to_lowercase(), raw.to_uppercase()] {
                let other = Name::parse(&other).expect("valid");
                prop_assert!(name.same_as(&other));
                prop_assert!(other.same_as(&name));
            }
        }
    }

    #[test]
    fn names_are_nfc_and_hold_no_control_characters() {
        let nfd = "A\u{030a}se";
        assert_eq!(Name::parse(nfd).expect("valid").as_str(), "Åse");
        for bad in [
            "Ola\0Nordmann",
            "Ola\nNordmann",
            "Ola\tNordmann",
            "Ola\u{7f}",
            "a\u{2028}b",
        ] {
            let err = Name::parse(bad).expect_err("control");
            assert!(
                matches!(err, ValueError::ControlCharacter { what: "name", .. }),
                "{bad:?}"
            );
            assert!(!err.to_string().contains('\0'), "{err}");
        }
    }

    #[test]
    fn many_line_texts_keep_line_breaks_only() {
        let text = clean_text("address", " Storgata 1\r\n0155 Oslo\r", 100, Lines::Many);
        assert_eq!(text.as_deref(), Ok("Storgata 1\n0155 Oslo"));
        assert!(clean_text("address", "Storgata\u{0}1", 100, Lines::Many).is_err());
        assert!(clean_text("address", "Storgata\n1", 100, Lines::One).is_err());
        assert_eq!(
            clean_text("address", "  ", 100, Lines::One).as_deref(),
            Ok("")
        );
    }

    #[test]
    fn a_megabyte_is_refused_with_its_length_not_its_text() {
        let huge = "x".repeat(1 << 20);
        let err = clean_text("address", &huge, 500, Lines::Many).expect_err("too long");
        assert_eq!(
            err,
            ValueError::TooLong {
                what: "address",
                max: 500,
                len: 1 << 20
            }
        );
    }

    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(excerpt("a\0b"), "a\\0b");
        assert_eq!(excerpt(&"x".repeat(41)), format!("{}…", "x".repeat(40)));
    }

    proptest! {
        #[test]
        fn any_valid_norwegian_mobile_parses(first in "[49]", rest in "[0-9]{7}") {
            let raw = format!("+47{first}{rest}");
            if let Ok(phone) = PhoneNumber::parse(&raw) {
                prop_assert_eq!(phone.as_str(), raw.as_str());
            }
        }

        #[test]
        fn parsing_never_panics(raw in ".*") {
            let _ = PhoneNumber::parse(&raw);
            let _ = PhoneNumber::parse_in(&raw, PhoneRegion::NORWAY);
            let _ = Email::parse(&raw);
            let _ = Name::parse(&raw);
            let _ = clean_text("text", &raw, 10, Lines::Many);
        }

        #[test]
        fn clean_text_is_idempotent(raw in ".{0,40}") {
            if let Ok(once) = clean_text("text", &raw, 100, Lines::Many) {
                prop_assert_eq!(clean_text("text", &once, 100, Lines::Many), Ok(once.clone()));
            }
        }
    }
}
