//! E-mail addresses: what SMTP can deliver to and a CRM should hold.
//!
//! Decisions: the local part is a dot-atom (RFC 5322 `atext`, plus letters and digits of any
//! script as RFC 6531 allows); quoted local parts, comments and domain literals are refused —
//! they are legal but no customer register needs them, and they are where most typing
//! mistakes hide. The domain is one or more labels of letters, digits and `-` (IDN domains
//! such as `blåbær.no` are accepted and stored in Unicode, NFC and lower-cased, not in
//! punycode; a gateway that needs the ASCII form converts on sending). A single label is a
//! domain (`test@io`), but the last label may not be all digits. Lengths are counted in UTF-8
//! bytes: at most 64 before `@`, at most 254 in all (RFC 5321).

use super::{ValueError, excerpt};
use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// Why an e-mail address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    /// No `@`, or more than one.
    At,
    /// Nothing before the `@`.
    EmptyLocal,
    /// More than 64 bytes before the `@`.
    LocalTooLong,
    /// More than 254 bytes in all.
    TooLong,
    /// A dot first, last or next to another dot before the `@`.
    Dots,
    /// A character a dot-atom does not have (a space, a quote, a parenthesis, a comma...).
    LocalCharacter(char),
    /// A control character or an invisible format character (NUL, BEL, DEL, a BOM).
    Control,
    /// The domain is not labels of letters, digits and `-` separated by single dots.
    Domain,
    /// The last label of the domain is all digits.
    NumericTopLevel,
}

impl fmt::Display for EmailProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailProblem::At => f.write_str("it needs exactly one '@' between name and domain"),
            EmailProblem::EmptyLocal => f.write_str("the name before '@' is empty"),
            EmailProblem::LocalTooLong => {
                f.write_str("the name before '@' is longer than 64 bytes")
            }
            EmailProblem::TooLong => f.write_str("the address is longer than 254 bytes"),
            EmailProblem::Dots => f.write_str(
                "a dot may not start or end the name before '@' nor follow another dot",
            ),
            EmailProblem::LocalCharacter(c) => write!(
                f,
                "the name before '@' may not hold '{}'; use letters, digits, dots and ! # $ % & ' * + - / = ? ^ _ ` {{ | }} ~",
                c.escape_debug()
            ),
            EmailProblem::Control => {
                f.write_str("it holds a control or invisible character; type it again")
            }
            EmailProblem::Domain => f.write_str(
                "the domain after '@' must be labels of letters, digits and '-' separated by single dots, e.g. example.no",
            ),
            EmailProblem::NumericTopLevel => {
                f.write_str("the domain's last label may not be all digits")
            }
        }
    }
}

/// An e-mail address: a dot-atom local part as given, `@`, a domain lower-cased. NFC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The longest address accepted, in bytes (RFC 5321).
    pub const MAX: usize = 254;
    /// The longest local part accepted, in bytes (RFC 5321).
    pub const MAX_LOCAL: usize = 64;

    /// Parses an address such as `kari@example.no` or `ola@blåbær.no`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let refuse = |problem| ValueError::Email {
            given: excerpt(raw),
            problem,
        };
        let trimmed = raw.trim();
        // Checked before normalising, so a huge input costs nothing more.
        if trimmed.len() > 4 * Self::MAX {
            return Err(refuse(EmailProblem::TooLong));
        }
        let text: String = trimmed.nfc().collect();
        if text.chars().any(invisible) {
            return Err(refuse(EmailProblem::Control));
        }
        if text.len() > Self::MAX {
            return Err(refuse(EmailProblem::TooLong));
        }
        let (local, domain) = match text.split_once('@') {
            Some((local, domain)) if !domain.contains('@') => (local, domain),
            _ => return Err(refuse(EmailProblem::At)),
        };
        check_local(local).map_err(refuse)?;
        let domain = domain.to_lowercase();
        check_domain(&domain).map_err(refuse)?;
        Ok(Self(format!("{local}@{domain}")))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Control characters and the invisible format characters that ride along with pasted text
/// (a byte-order mark, zero-width spaces, direction marks).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}')
}

fn check_local(local: &str) -> Result<(), EmailProblem> {
    if local.is_empty() {
        return Err(EmailProblem::EmptyLocal);
    }
    if local.len() > Email::MAX_LOCAL {
        return Err(EmailProblem::LocalTooLong);
    }
    if let Some(c) = local.chars().find(|&c| c != '.' && !is_atext(c)) {
        return Err(EmailProblem::LocalCharacter(c));
    }
    if local.split('.').any(str::is_empty) {
        return Err(EmailProblem::Dots);
    }
    Ok(())
}

/// RFC 5322 `atext`, widened by RFC 6531 to letters and digits of every script.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn check_domain(domain: &str) -> Result<(), EmailProblem> {
    let labels_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            (1..=63).contains(&label.chars().count())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if !labels_ok {
        return Err(EmailProblem::Domain);
    }
    let top = domain.rsplit('.').next().unwrap_or_default();
    if top.chars().all(|c| c.is_ascii_digit()) {
        return Err(EmailProblem::NumericTopLevel);
    }
    Ok(())
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

    #[test]
    fn deliverable_addresses_are_accepted_and_normalised() {
        for (raw, stored) in [
            (" Kari@Example.NO ", "Kari@example.no"),
            ("test@io", "test@io"),
            ("test@iana.org", "test@iana.org"),
            ("first.last@iana.org", "first.last@iana.org"),
            ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
            (
                "!#$%&'*+-/=?^_`{}|~@example.org",
                "!#$%&'*+-/=?^_`{}|~@example.org",
            ),
            (
                "test@xn--hxajbheg2az3al.xn--jxalpdlp",
                "test@xn--hxajbheg2az3al.xn--jxalpdlp",
            ),
            ("ola@blåbær.no", "ola@blåbær.no"),
            ("ola@BLÅBÆR.NO", "ola@blåbær.no"),
            // NFD in, NFC stored.
            ("a\u{030a}se@ba\u{030a}t.no", "åse@båt.no"),
            ("test@123.com", "test@123.com"),
            ("x@a-b.no", "x@a-b.no"),
        ] {
            let email = Email::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(email.as_str(), stored, "{raw:?}");
        }
        let longest = format!("{}@{}.no", "a".repeat(64), "b".repeat(63));
        assert!(Email::parse(&longest).is_ok());
    }

    #[test]
    fn undeliverable_or_odd_addresses_are_refused_with_the_reason() {
        use EmailProblem as P;
        let problem = |raw: &str| match Email::parse(raw) {
            Err(ValueError::Email { problem, .. }) => problem,
            other => panic!("{raw:?} should be refused, got {other:?}"),
        };
        for (raw, expected) in [
            ("", P::At),
            ("kari", P::At),
            ("kari@", P::Domain),
            ("@example.no", P::EmptyLocal),
            ("a@b@example.no", P::At),
            (".test@iana.org", P::Dots),
            ("test.@iana.org", P::Dots),
            ("te..st@iana.org", P::Dots),
            ("\"test@iana.org", P::LocalCharacter('"')),
            ("\"test\"@iana.org", P::LocalCharacter('"')),
            ("\"te\"st\"@iana.org", P::LocalCharacter('"')),
            ("(comment)test@iana.org", P::LocalCharacter('(')),
            ("test@(comment)iana.org", P::Domain),
            ("test@iana.org(comment)", P::Domain),
            ("ka ri@example.no", P::LocalCharacter(' ')),
            ("test\0@iana.org", P::Control),
            ("test\u{7}@iana.org", P::Control),
            ("test\u{7f}@iana.org", P::Control),
            ("\u{feff}test@iana.org", P::Control),
            ("test@iana.org\u{200b}", P::Control),
            ("test@iana\u{0}.org", P::Control),
            ("kari@-x.no", P::Domain),
            ("kari@x-.no", P::Domain),
            ("kari@x..no", P::Domain),
            ("kari@x.no.", P::Domain),
            ("kari@[192.168.0.1]", P::Domain),
            ("kari@1.2.3.4", P::NumericTopLevel),
            ("kari@under_score.no", P::Domain),
            ("te\r\nst@iana.org", P::Control),
        ] {
            assert_eq!(problem(raw), expected, "{raw:?}");
        }
        assert_eq!(
            problem(&format!("{}@example.no", "a".repeat(65))),
            P::LocalTooLong
        );
        assert_eq!(problem(&format!("a@{}.no", "b".repeat(64))), P::Domain);
        let label = "b".repeat(60);
        assert_eq!(
            problem(&format!("a@{label}.{label}.{label}.{label}.{label}.no")),
            P::TooLong
        );
    }

    #[test]
    fn the_error_names_the_problem_but_not_ten_kilobytes_of_input() {
        let huge = format!("{}@example.no", "x".repeat(10_000));
        let err = Email::parse(&huge).expect_err("too long");
        let text = err.to_string();
        assert!(text.len() < 300, "{text}");
        assert!(text.contains("longer than 254"), "{text}");
        let err = Email::parse("a\0b@example.no").expect_err("NUL");
        assert!(!err.to_string().contains('\0'), "{err}");
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
}
