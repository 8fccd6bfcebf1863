//! Where a CSV's quoted field that is never closed was opened. The csv reader takes a quote
//! left open as a field running to the end of the file: every row after it becomes part of
//! that one field, and the file seems to have fewer rows than it has. [`QuoteScan`] follows
//! the text as the csv reader reads it — a quote opens a quoted field only at a field's
//! start, `""` inside one is a quote, a quote elsewhere is text (as `csv_core` reads) — and
//! says, at the end, on which row a field still open was opened, so the file is refused
//! naming that row ([`crate::read::FileError::UnclosedQuote`]).
//!
//! Rows are numbered as the user sees them (blank lines counted, line breaks inside quoted
//! fields not), as the readers number them.
//!
//! The scan also counts each field's characters as they pass, and keeps the first field
//! longer than a spreadsheet cell holds ([`crate::read::MAX_CELL_CHARS`]): the csv reader
//! grows its record for a field as long as the field runs, so the streamed reader stops
//! handing it text once a field is that long ([`QuoteScan::too_long`]), and the file is
//! refused naming the field's row and column before anyone holds the field
//! ([`crate::read::FileError::FieldTooLong`]).

use crate::read::MAX_CELL_CHARS;

/// Where the scan is in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At a field's start: a quote here opens a quoted field.
    FieldStart,
    /// In an unquoted field: quotes are text.
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just past a quote in a quoted field: it closes the field, or a second one makes it
    /// a quote in the text.
    QuoteInQuoted,
}

/// A field longer than a spreadsheet cell holds, where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LongField {
    /// Its row, as the user numbers rows.
    pub(crate) row: usize,
    /// Its column (0 = the first).
    pub(crate) column: usize,
    /// Whether it is a quoted field (then a quote left open is the likely cause).
    pub(crate) quoted: bool,
}

impl From<LongField> for crate::read::FileError {
    fn from(field: LongField) -> Self {
        crate::read::FileError::FieldTooLong {
            row: field.row,
            column: crate::mapping::column_letter(field.column),
            quoted: field.quoted,
        }
    }
}

/// A CSV's quoting followed byte by byte ([`QuoteScan::feed`]), in pieces as it is read.
#[derive(Debug, Clone)]
pub(crate) struct QuoteScan {
    delimiter: u8,
    state: State,
    /// The row the text has come to.
    row: usize,
    /// The row the quoted field being read opened on.
    opened_on: usize,
    /// The field of the row the text has come to (0 = the first).
    column: usize,
    /// The characters of the field being read so far (quotes around it not counted, a
    /// doubled quote inside it counted once).
    chars: usize,
    /// The first field found longer than [`MAX_CELL_CHARS`].
    too_long: Option<LongField>,
}

impl QuoteScan {
    /// A scan of a CSV separated by `delimiter`, from its first byte.
    pub(crate) fn new(delimiter: u8) -> Self {
        Self {
            delimiter,
            state: State::FieldStart,
            row: 1,
            opened_on: 1,
            column: 0,
            chars: 0,
            too_long: None,
        }
    }

    /// Follows the next piece of the text.
    pub(crate) fn feed(&mut self, text: &[u8]) {
        for &byte in text {
            // A byte that starts a character, in the field's text (not a quote around it).
            let mut counts = byte & 0xC0 != 0x80;
            self.state = match (self.state, byte) {
                (State::Quoted, b'"') => {
                    counts = false;
                    State::QuoteInQuoted
                }
                (State::Quoted, _) => State::Quoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (State::FieldStart, b'"') => {
                    counts = false;
                    self.opened_on = self.row;
                    State::Quoted
                }
                (_, b'\n') => {
                    self.row += 1;
                    self.column = 0;
                    self.chars = 0;
                    State::FieldStart
                }
                (_, b'\r') => {
                    self.column = 0;
                    self.chars = 0;
                    State::FieldStart
                }
                (_, b) if b == self.delimiter => {
                    self.column += 1;
                    self.chars = 0;
                    State::FieldStart
                }
                _ => State::Unquoted,
            };
            if self.state == State::FieldStart {
                continue;
            }
            if counts {
                self.chars += 1;
                if self.chars > MAX_CELL_CHARS && self.too_long.is_none() {
                    self.too_long = Some(LongField {
                        row: self.row,
                        column: self.column,
                        quoted: matches!(self.state, State::Quoted | State::QuoteInQuoted),
                    });
                }
            }
        }
    }

    /// The first field longer than a spreadsheet cell holds ([`MAX_CELL_CHARS`]
    /// characters), once the text has come past its last character allowed.
    pub(crate) fn too_long(&self) -> Option<LongField> {
        self.too_long
    }

    /// The row a quoted field still open opened on, if one is: at the end of the text, a
    /// quote that is never closed.
    pub(crate) fn open_since(&self) -> Option<usize> {
        (self.state == State::Quoted).then_some(self.opened_on)
    }
}

#[cfg(test)]
mod tests {
    use super::QuoteScan;

    /// Where a quote is left open at the end of `text`, fed in pieces of `piece` bytes.
    fn open_since(text: &str, piece: usize) -> Option<usize> {
        let mut scan = QuoteScan::new(b';');
        for part in text.as_bytes().chunks(piece) {
            scan.feed(part);
        }
        scan.open_since()
    }

    #[test]
    fn a_quote_left_open_is_found_on_the_row_it_opened() {
        let cases: [(&str, Option<usize>); 9] = [
            ("a;b\n1;2\n", None),
            ("a;b\n\"1;2\n3;4\n", Some(2)),
            // Closed quotes, doubled quotes, line breaks inside: none open.
            ("a;b\n\"x\";\"say \"\"hi\"\"\"\n\"two\nlines\";y\n", None),
            // A quote inside an unquoted field is text; after a closing quote too.
            ("a;b\n5\" skjerm;x\n\"q\"r;s\n", None),
            // Blank lines count, line breaks inside a quoted field do not.
            ("a;b\n\n\"two\r\nlines\";x\r\n\"open;y\r\nz;w\r\n", Some(4)),
            // Opened in the last row, and a field that is only a quote.
            ("a;b\nx;\"open", Some(2)),
            ("a;b\nx;\"", Some(2)),
            // An empty quoted field, then one left open after a separator.
            ("a;b\n\"\";\"\"\nx;\"\"\"", Some(3)),
            ("", None),
        ];
        for (text, expected) in cases {
            for piece in [1, 2, 3, 64] {
                assert_eq!(open_since(text, piece), expected, "{text:?} in {piece}s");
            }
        }
    }
}
