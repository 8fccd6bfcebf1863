//! The reservation register's export as a file (issue 18): a data owner downloads the
//! reserved numbers from Reservasjonsregisteret (or its provider) and uploads them to wash
//! its consumers. The file is CSV-like text: one number per line, optionally followed by
//! the date of the reservation (`+4791234567;2024-05-01`), with `,`, `;` or a tab between,
//! optionally a header line (a first line whose first field has no digit); UTF-8 (with or
//! without BOM), UTF-16 with a BOM, or Windows-1252; lines end in LF, CRLF or CR.
//!
//! Nothing is guessed and nothing dropped: a line whose first field is not a phone number
//! refuses the whole file, naming the lines, so a wash never runs against half a register.
//! A number of digits (`+4791234567`, `004791234567`, or `91234567` read in the data
//! owner's country) is taken by its digits — a few million lines take about a second; one
//! that no customer can have simply matches nobody — and anything else (spaces, a national
//! `0` prefix) is read by the phone-number library. The numbers are kept as a sorted list of
//! integers (an E.164 number has at most 15 digits): eight bytes a number.

use crate::read::{FileError, decode};
use cube_domain::ports::ReservationRegister;
use cube_domain::values::{PhoneNumber, PhoneRegion};
use std::borrow::Cow;
use thiserror::Error;

/// The most lines a register file may have (the Norwegian register is a few million).
pub const MAX_NUMBERS: usize = 20_000_000;

/// How many refused lines an error lists.
const SHOWN_LINES: usize = 20;

/// Why a register file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegisterFileError {
    /// Not text: a spreadsheet, or another binary file.
    #[error(
        "the register file must be text (.csv or .txt) with one phone number per line; a \
         spreadsheet or other binary file cannot be read — export the register as CSV"
    )]
    NotText,
    /// No number in the file.
    #[error(
        "the register file holds no phone numbers; it must have one number per line (such as \
         +4791234567 or 91234567), a header line allowed"
    )]
    Empty,
    /// More lines than [`MAX_NUMBERS`].
    #[error(
        "the register file has more than {max} lines; split it, or check that it is the \
         register's export"
    )]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Lines that are not phone numbers.
    #[error(
        "{count} line(s) of the register file are not phone numbers, so nothing was washed: {shown}"
    )]
    BadLines {
        /// How many lines were refused.
        count: usize,
        /// The first of them: "line 17: '12ab'", separated by "; ".
        shown: String,
    },
}

/// The reserved numbers of a register export.
#[derive(Debug, Clone, Default)]
pub struct RegisterFile {
    /// E.164 numbers without the `+`, sorted, each once.
    numbers: Vec<u64>,
}

/// An E.164 number as an integer: its digits (at most 15, so it fits).
fn key(phone: &PhoneNumber) -> Option<u64> {
    phone.as_str().strip_prefix('+')?.parse().ok()
}

/// The key of a number written as digits (`+4791234567`, `004791234567`, or national
/// digits not starting with `0`, given the region's calling code), or `None` when the field
/// is anything else, for the phone-number library to read.
fn digits_key(field: &str, calling_code: Option<u16>) -> Option<u64> {
    let (international, digits) = match field.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => match field.strip_prefix("00") {
            Some(rest) => (true, rest),
            None => (false, field),
        },
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let full = if international {
        Cow::Borrowed(digits)
    } else if digits.starts_with('0') {
        return None;
    } else {
        Cow::Owned(format!("{}{digits}", calling_code?))
    };
    (8..=15).contains(&full.len()).then(|| full.parse().ok())?
}

/// The file's text: UTF-8 borrowed as it is (a BOM dropped), else decoded.
fn text_of(bytes: &[u8]) -> Result<Cow<'_, str>, RegisterFileError> {
    let unmarked = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(unmarked)
        && !text.contains('\0')
    {
        return Ok(Cow::Borrowed(text));
    }
    match decode(bytes) {
        Ok((text, _)) => Ok(Cow::Owned(text)),
        Err(FileError::Empty) => Err(RegisterFileError::Empty),
        Err(_) => Err(RegisterFileError::NotText),
    }
}

impl RegisterFile {
    /// Reads an export: every non-empty line's first field is a number, read in `region`
    /// when it has no country code; a first line whose first field has no digit is a header.
    pub fn parse(bytes: &[u8], region: PhoneRegion) -> Result<Self, RegisterFileError> {
        let text = text_of(bytes)?;
        if text.contains(|c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(RegisterFileError::NotText);
        }
        let calling_code = region.calling_code();
        let mut numbers = Vec::new();
        let mut bad: Vec<String> = Vec::new();
        let mut bad_count = 0;
        let mut line_number = 0_usize;
        let mut first = true;
        // LF and CRLF end lines, and so does a lone CR (old Mac exports).
        let lines = text
            .split('\n')
            .flat_map(|line| line.strip_suffix('\r').unwrap_or(line).split('\r'));
        for line in lines {
            line_number += 1;
            if line_number > MAX_NUMBERS {
                return Err(RegisterFileError::TooLong { max: MAX_NUMBERS });
            }
            let field = line
                .split([',', ';', '\t'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .trim();
            if field.is_empty() {
                continue;
            }
            let header = first && !field.bytes().any(|b| b.is_ascii_digit());
            first = false;
            if header {
                continue;
            }
            let number = digits_key(field, calling_code).or_else(|| {
                PhoneNumber::parse_in(field, region)
                    .ok()
                    .as_ref()
                    .and_then(key)
            });
            match number {
                Some(number) => numbers.push(number),
                None => {
                    bad_count += 1;
                    if bad.len() < SHOWN_LINES {
                        let shown: String = field.chars().take(40).collect();
                        bad.push(format!("line {line_number}: '{}'", shown.escape_debug()));
                    }
                }
            }
        }
        if bad_count > 0 {
            let mut shown = bad.join("; ");
            if bad_count > bad.len() {
                shown.push_str("; …");
            }
            return Err(RegisterFileError::BadLines {
                count: bad_count,
                shown,
            });
        }
        if numbers.is_empty() {
            return Err(RegisterFileError::Empty);
        }
        numbers.sort_unstable();
        numbers.dedup();
        numbers.shrink_to_fit();
        Ok(Self { numbers })
    }
}

impl ReservationRegister for RegisterFile {
    fn is_reserved(&self, phone: &PhoneNumber) -> bool {
        key(phone).is_some_and(|number| self.numbers.binary_search(&number).is_ok())
    }

    fn numbers(&self) -> u64 {
        self.numbers.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).expect("a number")
    }

    #[test]
    fn numbers_with_and_without_country_code_dates_and_a_header_are_read() {
        let file = "Telefonnummer;Reservert dato\n\
                    +4791234567;2024-05-01\n\
                    98765432;01.02.2025\n\
                    \n\
                    \"0047 41234567\",2023-01-01\n\
                    +46701234567\n";
        let register = RegisterFile::parse(file.as_bytes(), PhoneRegion::default()).expect("read");
        assert_eq!(register.numbers(), 4);
        for reserved in ["+4791234567", "+4798765432", "+4741234567", "+46701234567"] {
            assert!(register.is_reserved(&phone(reserved)), "{reserved}");
        }
        assert!(!register.is_reserved(&phone("+4791234568")));
    }

    #[test]
    fn windows_1252_and_utf16_files_are_read() {
        let latin = b"Nummer (reservert f\xf8r)\n91234567\n";
        let register = RegisterFile::parse(latin, PhoneRegion::default()).expect("read");
        assert!(register.is_reserved(&phone("+4791234567")));
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "91234567\r\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let register = RegisterFile::parse(&utf16, PhoneRegion::default()).expect("read");
        assert_eq!(register.numbers(), 1);
    }

    #[test]
    fn a_bad_line_refuses_the_whole_file_and_names_the_lines() {
        let file = "91234567\n12ab\n98765432\nhello\n";
        let error =
            RegisterFile::parse(file.as_bytes(), PhoneRegion::default()).expect_err("refused");
        assert_eq!(
            error,
            RegisterFileError::BadLines {
                count: 2,
                shown: "line 2: '12ab'; line 4: 'hello'".into(),
            }
        );
        assert!(error.to_string().contains("nothing was washed"));
    }

    #[test]
    fn an_empty_or_binary_file_is_refused() {
        assert_eq!(
            RegisterFile::parse(b"Telefon\n\n", PhoneRegion::default()).expect_err("empty"),
            RegisterFileError::Empty
        );
        assert_eq!(
            RegisterFile::parse(&[0, 159, 146, 150, 0, 0], PhoneRegion::default())
                .expect_err("binary"),
            RegisterFileError::NotText
        );
        // An .xlsx is a zip: not text.
        let error = RegisterFile::parse(b"PK\x03\x04\x14\x00\x06\x00", PhoneRegion::default())
            .expect_err("a spreadsheet");
        assert!(
            error.to_string().contains("export the register as CSV"),
            "{error}"
        );
        // JSON is not a register either: no number in it.
        assert_eq!(
            RegisterFile::parse(br#"{"reason": "x"}"#, PhoneRegion::default()).expect_err("json"),
            RegisterFileError::Empty
        );
    }

    #[test]
    fn a_first_line_with_digits_is_a_number_not_a_header() {
        let error = RegisterFile::parse(b"41000003 mobil\n41000004\n", PhoneRegion::default())
            .expect_err("the first line is not a number");
        assert!(
            matches!(&error, RegisterFileError::BadLines { shown, .. } if shown == "line 1: '41000003 mobil'"),
            "{error:?}"
        );
    }

    #[test]
    fn lines_may_end_in_cr_alone_or_crlf_and_keep_their_numbers() {
        for file in [
            "Nummer\r41000003\r41000004\r".as_bytes(),
            "Nummer\r\n41000003\r\n41000004\r\n".as_bytes(),
        ] {
            let register = RegisterFile::parse(file, PhoneRegion::default()).expect("read");
            assert_eq!(register.numbers(), 2);
            assert!(register.is_reserved(&phone("+4741000004")));
        }
        let error = RegisterFile::parse(b"Nummer\r\n41000003\r\nabc\r\n", PhoneRegion::default())
            .expect_err("a bad line");
        assert!(error.to_string().contains("line 3: 'abc'"), "{error}");
    }

    #[test]
    fn digits_are_read_fast_and_as_the_library_reads_them() {
        // Another region: Sweden's national numbers start with a trunk 0, which only the
        // library knows to drop.
        let se = PhoneRegion::parse("SE").expect("a region");
        let register = RegisterFile::parse(b"0701234567\n+46701234568\n", se).expect("read");
        assert!(register.is_reserved(&phone("+46701234567")));
        assert!(register.is_reserved(&phone("+46701234568")));
        // A million numbers, the same one twice: kept once.
        let mut file = String::from("Telefon\n");
        for n in 0..1_000_000_u32 {
            file.push_str(&format!("+479{:07}\n", n));
        }
        file.push_str("+4790000000\n");
        let register = RegisterFile::parse(file.as_bytes(), PhoneRegion::default()).expect("read");
        assert_eq!(register.numbers(), 1_000_000);
        assert!(register.is_reserved(&phone("+4790999999")));
        assert!(!register.is_reserved(&phone("+4791000000")));
    }
}
