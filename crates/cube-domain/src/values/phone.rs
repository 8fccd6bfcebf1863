//! Phone numbers, parsed with libphonenumber's data (the `phonenumber` crate): valid for
//! their country, stored in E.164. A number typed without a country code (`91234567`,
//! `004791234567`) is read in the data owner's region (`PhoneRegion`).

use super::{ValueError, excerpt};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest phone number text accepted on input, separators and all.
pub const MAX_PHONE_INPUT: usize = 40;

/// Why a phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    /// Letters or other characters a phone number does not have.
    Characters,
    /// Longer than `MAX_PHONE_INPUT` characters.
    TooLong,
    /// No country code and no region to read it in.
    NoCountry,
    /// Parsed, but no such number exists in its country (wrong length or prefix).
    NotValid,
}

impl fmt::Display for PhoneProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PhoneProblem::Characters => {
                "use digits, an optional leading '+', and spaces, dashes, dots or parentheses"
            }
            PhoneProblem::TooLong => "it is too long to be a phone number",
            PhoneProblem::NoCountry => "give the country code, e.g. +47 912 34 567",
            PhoneProblem::NotValid => {
                "no such number exists in its country; check the digits and the country code"
            }
        })
    }
}

/// The country a number without a country code is read in (an ISO 3166 code such as `NO`),
/// set per data owner. Norway unless set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhoneRegion(phonenumber::country::Id);

impl PhoneRegion {
    /// Norway.
    pub const NORWAY: Self = Self(phonenumber::country::Id::NO);

    /// Parses a two-letter region code such as `NO` or `se`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let code = raw.trim().to_ascii_uppercase();
        let id = (code.len() == 2)
            .then(|| phonenumber::country::Id::from_str(&code).ok())
            .flatten()
            .ok_or_else(|| ValueError::PhoneRegion(excerpt(raw)))?;
        Ok(Self(id))
    }

    /// The country calling code of the region (47 for Norway).
    pub fn calling_code(&self) -> Option<u16> {
        phonenumber::metadata::DATABASE
            .by_id(self.as_str())
            .map(|metadata| metadata.country_code())
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

impl Default for PhoneRegion {
    fn default() -> Self {
        Self::NORWAY
    }
}

impl fmt::Display for PhoneRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for PhoneRegion {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneRegion> for String {
    fn from(value: PhoneRegion) -> Self {
        value.as_str().to_owned()
    }
}

impl Serialize for PhoneRegion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PhoneRegion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A phone number valid in its country, in E.164 form (`+4791234567`).
///
/// `parse` and `parse_in` check the number against libphonenumber's data. Deserializing
/// (reading a stored number) checks only the E.164 form: the data changes with every release,
/// and a number stored as valid must not become unreadable when a range is withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number that carries its country code (`+47 912 34 567`).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        Self::parse_with(raw, None)
    }

    /// Parses a number, reading one without a country code (`912 34 567`, `0046 70…`) in
    /// `region`.
    pub fn parse_in(raw: &str, region: PhoneRegion) -> Result<Self, ValueError> {
        Self::parse_with(raw, Some(region))
    }

    fn parse_with(raw: &str, region: Option<PhoneRegion>) -> Result<Self, ValueError> {
        let refuse = |problem| ValueError::Phone {
            given: excerpt(raw),
            problem,
        };
        let text = raw.trim();
        if text.chars().count() > MAX_PHONE_INPUT {
            return Err(refuse(PhoneProblem::TooLong));
        }
        let allowed =
            |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')');
        let plus_signs = text.matches('+').count();
        if !text.chars().any(|c| c.is_ascii_digit()) || !text.chars().all(allowed) || plus_signs > 1
        {
            return Err(refuse(PhoneProblem::Characters));
        }
        if plus_signs == 0 && region.is_none() {
            return Err(refuse(PhoneProblem::NoCountry));
        }
        // Without `+` or `00`, a number is first read as a national number of the region:
        // a Norwegian mobile may begin with 47, the country's own calling code (`47 59 68 53`),
        // which the parser would otherwise take for the code and find too short. Only when
        // that is no valid number is it read as written (`4712345678`: code and number).
        if plus_signs == 0
            && !text.starts_with("00")
            && let Some(code) = region.and_then(|r| r.calling_code())
        {
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            if let Ok(national) = phonenumber::parse(None, format!("+{code}{digits}"))
                && national.extension().is_none()
                && phonenumber::is_valid(&national)
            {
                return Self::from_e164(&e164_of(&national))
                    .map_err(|_| refuse(PhoneProblem::NotValid));
            }
        }
        let number = phonenumber::parse(region.map(|r| r.0), text)
            .map_err(|_| refuse(PhoneProblem::NotValid))?;
        if number.extension().is_some() || !phonenumber::is_valid(&number) {
            return Err(refuse(PhoneProblem::NotValid));
        }
        Self::from_e164(&e164_of(&number)).map_err(|_| refuse(PhoneProblem::NotValid))
    }

    /// Checks the E.164 form only: `+`, a country code not starting with 0, 8 to 15 digits.
    fn from_e164(raw: &str) -> Result<Self, ValueError> {
        let digits = raw.strip_prefix('+').unwrap_or_default();
        let valid = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValueError::Phone {
                given: excerpt(raw),
                problem: PhoneProblem::NotValid,
            })
        }
    }

    /// The number as `+<digits>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number's digits as one integer (E.164 has at most 15: they fit), to keep many
    /// numbers compactly; [`PhoneNumber::from_e164_digits`] gives the number back.
    pub fn e164_digits(&self) -> Option<u64> {
        self.0.strip_prefix('+')?.parse().ok()
    }

    /// A number from [`PhoneNumber::e164_digits`]: only the E.164 form is checked (8 to 15
    /// digits, the first not 0), not the country's numbering plan — for numbers parsed and
    /// validated before, in this process.
    pub fn from_e164_digits(digits: u64) -> Result<Self, ValueError> {
        Self::from_e164(&format!("+{digits}"))
    }
}

/// A parsed number's E.164 form, `+`, the country code and the national number with any
/// leading zeros it keeps (Italy's): what `format().mode(E164)` writes, without the national
/// formatting rules it looks up first (a regex search per number, for nothing in E.164).
fn e164_of(number: &phonenumber::PhoneNumber) -> String {
    format!("+{}{}", number.code().value(), number.national())
}

impl TryFrom<String> for PhoneNumber {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_e164(&value)
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

#[cfg(test)]
mod tests {
    use super::*;

    const NO: PhoneRegion = PhoneRegion::NORWAY;

    fn region(code: &str) -> PhoneRegion {
        PhoneRegion::parse(code).expect("a region")
    }

    #[test]
    fn our_e164_is_what_the_crates_formatter_writes() {
        // Norway, Sweden, the UK, the US, and Italy's fixed lines (a leading zero kept).
        for raw in [
            "+4791234567",
            "+4722334455",
            "+46701234567",
            "+442071838750",
            "+12015550123",
            "+390612345678",
            "+39 02 1234 5678",
            "+393123456789",
        ] {
            let number = phonenumber::parse(None, raw).expect("parses");
            assert_eq!(
                e164_of(&number),
                number.format().mode(phonenumber::Mode::E164).to_string(),
                "{raw}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("+39 06 1234 5678").map(|p| p.0),
            Ok("+390612345678".into())
        );
    }

    #[test]
    fn numbers_are_parsed_per_country_and_stored_e164() {
        let se = region("SE");
        for (raw, region, expected) in [
            // Norwegian mobiles (4xx, 9xx) and landlines, with and without the country code.
            ("+47 912 34 567", NO, "+4791234567"),
            ("91234567", NO, "+4791234567"),
            ("412 34 567", NO, "+4741234567"),
            ("+47 22 12 34 56", NO, "+4722123456"),
            ("22123456", NO, "+4722123456"),
            ("(+47) 912-34-567", NO, "+4791234567"),
            // Mobiles that begin with 47, the country's own calling code (found from outside:
            // one number in sixteen was refused as "47" + six digits).
            ("47596853", NO, "+4747596853"),
            ("47 59 68 53", NO, "+4747596853"),
            ("+47 47 59 68 53", NO, "+4747596853"),
            ("004747596853", NO, "+4747596853"),
            // A number cell of code and number (Excel drops the +).
            ("4791234567", NO, "+4791234567"),
            ("4747596853", NO, "+4747596853"),
            // The international prefix 00 of the region.
            ("004791234567", NO, "+4791234567"),
            ("0046 70 123 45 67", NO, "+46701234567"),
            // A Swedish mobile: its trunk 0 is dropped when read in Sweden.
            ("+46 70 123 45 67", NO, "+46701234567"),
            ("070-123 45 67", se, "+46701234567"),
            // A data owner in Sweden reads a Norwegian number with its code as Norwegian.
            ("+47 912 34 567", se, "+4791234567"),
        ] {
            let phone = PhoneNumber::parse_in(raw, region)
                .unwrap_or_else(|e| panic!("{raw} in {region}: {e}"));
            assert_eq!(phone.as_str(), expected, "{raw} in {region}");
        }
    }

    #[test]
    fn numbers_that_do_not_exist_are_refused() {
        for raw in [
            // Norway has no trunk 0: "(0)" makes a ninth digit, a wrong number.
            "+47 (0) 12345678",
            "+47 (0) 91234567",
            // Written the Swedish way, libphonenumber's data reads the (0) as a digit too:
            // refused rather than stored as another number.
            "+46 (0)70 123 45 67",
            // 7 and 9 digits are not Norwegian numbers.
            "1234567",
            "912345678",
            "+47 1234567",
            "+47 912345678",
            "+0471234567",
            "+47abc12345",
            "+1234567890123456",
            "",
            "+",
            "ring meg",
            "91234567 ext. 12",
        ] {
            assert!(
                PhoneNumber::parse_in(raw, NO).is_err(),
                "{raw} should be refused"
            );
        }
    }

    #[test]
    fn without_a_region_the_country_code_is_needed() {
        assert_eq!(
            PhoneNumber::parse("+4791234567").expect("valid").as_str(),
            "+4791234567"
        );
        let err = PhoneNumber::parse("91234567").expect_err("no country");
        assert!(err.to_string().contains("country code"), "{err}");
    }

    #[test]
    fn the_error_says_what_to_fix_without_echoing_long_input() {
        let long = format!("+47{}", "9".repeat(10_000));
        let err = PhoneNumber::parse_in(&long, NO).expect_err("too long");
        let text = err.to_string();
        assert!(text.len() < 300, "{text}");
        assert!(text.contains("too long"), "{text}");
    }

    #[test]
    fn stored_numbers_are_read_by_their_form() {
        let stored: PhoneNumber = serde_json::from_str("\"+4791234567\"").expect("e164");
        assert_eq!(stored.as_str(), "+4791234567");
        assert!(serde_json::from_str::<PhoneNumber>("\"91234567\"").is_err());
    }

    #[test]
    fn regions_are_two_letter_codes() {
        assert_eq!(region(" se ").as_str(), "SE");
        assert_eq!(PhoneRegion::default(), NO);
        for bad in ["", "N", "NOR", "XX", "no way"] {
            assert!(PhoneRegion::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&NO).expect("json");
        assert_eq!(json, "\"NO\"");
    }
}
