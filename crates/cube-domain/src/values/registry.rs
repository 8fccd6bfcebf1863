//! Organisation numbers as an import matches and stores them (issue 16: duplicates merged
//! by organisation number). A company's number is written many ways — `912 345 678`,
//! `NO912345678MVA`, `NO 912 345 678 MVA` (the VAT form) — and is one number: the key a
//! number is compared by ([`registry_key`]) drops the spaces, dots and hyphens, and a
//! leading `NO` and a trailing `MVA` around nine digits. A Swedish number's VAT form is
//! reduced the same way: `SE556042722001` (`SE`, the ten digits, `01`) is `5560427220`, as
//! `556042-7220` is (migration 0043 gives the companies kept before the rule their new key).
//! A Norwegian data owner's company number is stored as its nine digits and checked: its
//! last digit is a modulus-11 check digit ([`parse_organisation_number`]).
//!
//! The SQL stores keep the key in a column (migration 0041) and fill it for customers
//! stored before with the same rule written in SQL; the characters taken for spaces are
//! therefore a fixed list ([`SPACES`]), not Unicode's whole idea of white space.

use super::{PhoneRegion, ValueError, excerpt};

/// The characters a key drops: space, no-break space, thin space, narrow no-break space, and
/// the dot and hyphen numbers are grouped with (`974.760.673`, `556016-0680`).
pub const SPACES: [char; 6] = [' ', '\u{a0}', '\u{2009}', '\u{202f}', '.', '-'];

/// The weights of a Norwegian organisation number's first eight digits (Brønnøysund).
const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

/// The key an organisation number is compared by: `raw` without [`SPACES`]; when that is
/// nine digits with a leading `NO` and/or a trailing `MVA` (either case), the nine digits;
/// when it is a Swedish VAT number — `SE` (either case), ten digits, `01` — the ten digits.
pub fn registry_key(raw: &str) -> String {
    let key: String = raw.chars().filter(|c| !SPACES.contains(c)).collect();
    let bytes = key.as_bytes();
    if bytes.len() == 14
        && bytes[..2].eq_ignore_ascii_case(b"SE")
        && bytes[2..].iter().all(u8::is_ascii_digit)
        && bytes[12..] == *b"01"
    {
        // Ten ASCII digits: valid UTF-8.
        return String::from_utf8_lossy(&bytes[2..12]).into_owned();
    }
    let mut digits = bytes;
    if digits.len() >= 2 && digits[..2].eq_ignore_ascii_case(b"NO") {
        digits = &digits[2..];
    }
    if digits.len() >= 3 && digits[digits.len() - 3..].eq_ignore_ascii_case(b"MVA") {
        digits = &digits[..digits.len() - 3];
    }
    if digits.len() == 9 && digits.iter().all(u8::is_ascii_digit) {
        // Nine ASCII digits: valid UTF-8.
        return String::from_utf8_lossy(digits).into_owned();
    }
    key
}

/// Whether nine digits end in the right modulus-11 check digit.
fn check_digit_holds(digits: &[u8]) -> bool {
    let sum: u32 = digits[..8]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    u32::from(digits[8] - b'0') == check
}

/// A company's organisation number as it is stored for a data owner in `region`: in Norway
/// it must be nine digits once written as a key ([`registry_key`]), is stored as them and
/// refused when its check digit is wrong or it is not nine digits; elsewhere as given.
pub fn parse_organisation_number(raw: &str, region: PhoneRegion) -> Result<String, ValueError> {
    if region != PhoneRegion::NORWAY {
        return Ok(raw.to_owned());
    }
    let key = registry_key(raw);
    let digits = key.as_bytes();
    if digits.len() != 9 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ValueError::OrganisationNumberShape {
            given: excerpt(raw),
        });
    }
    if !check_digit_holds(digits) {
        return Err(ValueError::OrganisationNumber {
            given: excerpt(raw),
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_written_any_way_has_one_key() {
        for raw in [
            "912345678",
            "912 345 678",
            "NO 912 345 678 MVA",
            "no912345678mva",
            "NO912345678",
            "912345678 MVA",
            "912\u{a0}345\u{202f}678",
        ] {
            assert_eq!(registry_key(raw), "912345678", "{raw}");
        }
        // Not nine digits around NO/MVA: only the spaces go.
        assert_eq!(registry_key("NO 12 345"), "NO12345");
        assert_eq!(registry_key("556677-8899"), "5566778899");
        assert_eq!(registry_key("974.760.673"), "974760673");
        assert_eq!(registry_key("974-760-673"), "974760673");
        assert_eq!(registry_key("NORGE"), "NORGE");
    }

    /// Found from outside: a Swedish data owner's VAT form of a number was not reduced to the
    /// number, so `SE556042722001` and `556042-7220` (H&M's organisation number) were two
    /// companies to an import. Only the VAT form is reduced: `SE`, ten digits, `01`.
    #[test]
    fn a_swedish_vat_number_has_the_key_of_its_organisation_number() {
        for raw in [
            "SE556042722001",
            "se556042722001",
            "SE 556042-7220 01",
            "SE\u{a0}5560 4272 2001",
            "556042-7220",
            "5560427220",
        ] {
            assert_eq!(registry_key(raw), "5560427220", "{raw}");
        }
        // Not the VAT form: only the spaces go.
        for (raw, key) in [
            ("SE5560427220", "SE5560427220"),
            ("SE556042722002", "SE556042722002"),
            ("SE55604272200101", "SE55604272200101"),
            ("SE55604272A001", "SE55604272A001"),
            ("NO556042722001", "NO556042722001"),
        ] {
            assert_eq!(registry_key(raw), key, "{raw}");
        }
        // A Swedish data owner stores the number as given; its key is the number's.
        let se = PhoneRegion::parse("SE").expect("a region");
        let stored = parse_organisation_number("SE556042722001", se).expect("kept");
        assert_eq!(registry_key(&stored), registry_key("556042-7220"));
    }

    #[test]
    fn a_norwegian_number_is_stored_as_its_digits_and_its_check_digit_held() {
        let no = PhoneRegion::NORWAY;
        // Brønnøysundregistrene's own number.
        assert_eq!(
            parse_organisation_number("NO 974 760 673 MVA", no),
            Ok("974760673".into())
        );
        let wrong = parse_organisation_number("NO 974 760 674 MVA", no);
        assert_eq!(
            wrong.map_err(|e| e.to_string()),
            Err(
                "organisation number 'NO 974 760 674 MVA' is not valid: its last digit is not \
                 the check digit of the eight before it (modulus 11); correct the number or \
                 leave it out"
                    .into()
            )
        );
        // A remainder of 1 gives check digit 10: no valid number starts so.
        assert!(parse_organisation_number("912345678", no).is_err());
        assert!(parse_organisation_number("123456785", no).is_ok());
        // Dots and hyphens group the digits too.
        assert_eq!(
            parse_organisation_number("974.760.673", no),
            Ok("974760673".into())
        );
        // Not nine digits: refused, saying how many a Norwegian number has.
        for wrong in ["12 34", "12345", "12345678", "9747606731", "NORGE"] {
            let refused = parse_organisation_number(wrong, no).map_err(|e| e.to_string());
            assert!(
                matches!(&refused, Err(why) if why.contains("nine digits")),
                "{wrong}: {refused:?}"
            );
        }
        // Elsewhere: as given, unchecked.
        let se = PhoneRegion::parse("SE").expect("a region");
        assert_eq!(
            parse_organisation_number("NO 912 345 678", se),
            Ok("NO 912 345 678".into())
        );
    }

    #[test]
    fn the_check_digit_is_the_brreg_one() {
        // Numbers whose check digit is known: Brønnøysundregistrene, Equinor, DNB.
        for number in ["974760673", "923609016", "984851006"] {
            assert!(check_digit_holds(number.as_bytes()), "{number}");
        }
        for number in ["974760672", "923609015", "984851007"] {
            assert!(!check_digit_holds(number.as_bytes()), "{number}");
        }
    }
}
