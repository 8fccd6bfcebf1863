//! The reservation register's export as a file (issue 18): a data owner downloads the
//! reserved numbers from Reservasjonsregisteret (or its provider) and uploads them to wash
//! its consumers. The file is CSV-like text: one number per line, optionally followed by
//! the date of the reservation (`+4791234567;2024-05-01`), with `,`, `;` or a tab between,
//! optionally a header line; UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252.
//!
//! Nothing is guessed and nothing dropped: a line that is not a number of the data owner's
//! region (or one with a country code) refuses the whole file, naming the lines, so a wash
//! never runs against half a register. The numbers are kept as integers (an E.164 number
//! has at most 15 digits), about 16 bytes each in the set: the whole Norwegian register (a
//! few million numbers) fits in well under 100 MB.

use crate::read::{FileError, decode};
use cube_domain::ports::ReservationRegister;
use cube_domain::values::{PhoneNumber, PhoneRegion};
use std::collections::HashSet;
use thiserror::Error;

/// The most lines a register file may have (the Norwegian register is a few million).
pub const MAX_NUMBERS: usize = 20_000_000;

/// How many refused lines an error lists.
const SHOWN_LINES: usize = 20;

/// Why a register file was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegisterFileError {
    /// Not text in a known encoding.
    #[error(transparent)]
    File(#[from] FileError),
    /// No number in the file.
    #[error(
        "the register file holds no phone numbers; export the reserved numbers and upload that file"
    )]
    Empty,
    /// More lines than [`MAX_NUMBERS`].
    #[error(
        "the register file has more than {max} lines; split it, or check that it is the register's export"
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
        /// The first of them: "line 17: '12ab' …", separated by "; ".
        shown: String,
    },
}

/// The reserved numbers of a register export.
#[derive(Debug, Clone, Default)]
pub struct RegisterFile {
    numbers: HashSet<u64>,
}

/// An E.164 number as an integer: its digits (at most 15, so it fits).
fn key(phone: &PhoneNumber) -> Option<u64> {
    phone.as_str().strip_prefix('+')?.parse().ok()
}

impl RegisterFile {
    /// Reads an export: every non-empty line's first field is a number, read in `region`
    /// when it has no country code; a first line that is not a number and holds a letter
    /// is a header.
    pub fn parse(bytes: &[u8], region: PhoneRegion) -> Result<Self, RegisterFileError> {
        let (text, _encoding) = decode(bytes)?;
        let mut numbers = HashSet::new();
        let mut bad: Vec<String> = Vec::new();
        let mut bad_count = 0;
        for (index, line) in text.lines().enumerate() {
            if index >= MAX_NUMBERS {
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
            match PhoneNumber::parse_in(field, region)
                .ok()
                .as_ref()
                .and_then(key)
            {
                Some(number) => {
                    numbers.insert(number);
                }
                None if index == 0 && field.chars().any(char::is_alphabetic) => {}
                None => {
                    bad_count += 1;
                    if bad.len() < SHOWN_LINES {
                        let shown: String = field.chars().take(40).collect();
                        bad.push(format!("line {}: '{}'", index + 1, shown.escape_debug()));
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
        Ok(Self { numbers })
    }
}

impl ReservationRegister for RegisterFile {
    fn is_reserved(&self, phone: &PhoneNumber) -> bool {
        key(phone).is_some_and(|number| self.numbers.contains(&number))
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
        assert!(matches!(
            RegisterFile::parse(&[0, 159, 146, 150, 0, 0], PhoneRegion::default()),
            Err(RegisterFileError::File(_))
        ));
    }
}
