//! Files out, written the way an office opens them: CSV with a byte-order mark (Excel then
//! reads UTF-8), every cell quoted, CRLF line ends, and every cell a spreadsheet would take
//! for a formula defused with a leading `'` (OWASP's CSV injection advice) — phone numbers
//! such as `+4791234567` excepted, which are numbers, not formulas. The reports' CSV
//! downloads (`cube-http`) and the import's report of rejected rows (the API and the web
//! app) share it.

use cube_app::rejected_rows::{RejectReason, RejectedRow};

/// Whether `token` is one whole number, maybe signed (`+4791234567`, `-12`, `7`).
fn is_whole_number(token: &str) -> bool {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Whether a spreadsheet would take `value` for a formula: it starts with a formula
/// character and is not simply whole numbers separated by single spaces (`+4791234567`,
/// `+4791234567 +4722334455`, `-12`).
fn looks_like_formula(value: &str) -> bool {
    match value.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !value.split(' ').all(is_whole_number),
        _ => false,
    }
}

/// Appends `value` as one quoted cell.
fn push_cell(out: &mut String, value: &str) {
    out.push('"');
    if looks_like_formula(value) {
        out.push('\'');
    }
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
}

/// Appends one row of quoted cells, separated by `separator`, ended by CRLF.
pub fn push_row<'a>(out: &mut String, separator: char, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(separator);
        }
        push_cell(out, cell);
    }
    out.push_str("\r\n");
}

/// The rows an import rejected, as a CSV file (`;`, BOM): the row number as the user sees it
/// in the sheet and the reason as `say` words it, under the two `headers` (the reader's
/// language: the API says each reason in English, the web app in its user's language).
pub fn rejected_rows_csv(
    rows: &[RejectedRow],
    headers: [&str; 2],
    say: impl Fn(&RejectReason) -> String,
) -> String {
    let mut out = String::from('\u{feff}');
    push_row(&mut out, ';', headers);
    for row in rows {
        let number = row.row.to_string();
        let reason = say(&row.reason);
        push_row(&mut out, ';', [number.as_str(), reason.as_str()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_of_rejected_rows_opens_in_excel() {
        let rows = [
            RejectedRow {
                row: 3,
                reason: RejectReason::SameAs(1),
            },
            RejectedRow {
                row: 7,
                reason: RejectReason::SameAs(2),
            },
        ];
        let say = |reason: &RejectReason| match reason {
            RejectReason::SameAs(1) => "the phone number \"=1+1\" is not valid".to_owned(),
            _ => "=cmd".to_owned(),
        };
        assert_eq!(
            rejected_rows_csv(&rows, ["Rad", "Årsak"], say),
            "\u{feff}\"Rad\";\"Årsak\"\r\n\"3\";\"the phone number \"\"=1+1\"\" is not valid\"\r\n\"7\";\"'=cmd\"\r\n"
        );
    }

    #[test]
    fn formulas_are_defused_and_phone_numbers_kept() {
        for formula in [
            "=SUM(A1)",
            "@cmd",
            "+cmd",
            "-cmd",
            "\tx",
            "-",
            "+",
            "-1+cmd|' /C calc'!A0",
            "+1+HYPERLINK(\"http://evil/\")",
            "+4791234567  +4722334455",
            "+4791234567 +47cmd",
            "+4791234567 ",
        ] {
            assert!(looks_like_formula(formula), "{formula:?}");
        }
        for plain in [
            "+4791234567",
            "-12",
            "Solberg",
            "",
            "a=b",
            "+4791234567 +4722334455",
            "+4791234567 +4722334455 +4790000000",
        ] {
            assert!(!looks_like_formula(plain), "{plain:?}");
        }
        let mut out = String::new();
        push_row(
            &mut out,
            ';',
            ["=1+1", "say \"hi\"", "a;b\nc", "+4791234567"],
        );
        assert_eq!(
            out,
            "\"'=1+1\";\"say \"\"hi\"\"\";\"a;b\nc\";\"+4791234567\"\r\n"
        );
    }
}
