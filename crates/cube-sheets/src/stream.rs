//! A CSV/TXT file read row by row from disk, for imports of up to a million rows: the
//! server never holds the file, nor its rows, whole ([`crate::read`] reads a file held in
//! memory; a spreadsheet's zip needs that).
//!
//! It reads as [`crate::read`] reads, row for row: the same encodings (UTF-8 with or without
//! BOM, UTF-16 with BOM, else Windows-1252 — a file is UTF-8 only if all of it is, so the
//! file is read through once to tell), the same separator sniffing on the first 64 KiB, the
//! same ragged rows reported, and the same row numbers as the user sees them (blank lines
//! counted, line breaks inside quoted fields not). Row numbers come from a log of the line
//! breaks that passed through the decoder, not from the csv reader's own line count (which
//! leaves out blank lines): only the breaks the csv reader has not yet passed are kept.
//!
//! A field longer than a spreadsheet cell ([`crate::read::MAX_CELL_CHARS`] characters) is
//! the file's error, naming its row and column: the decoder stops handing the csv reader
//! text once a field is that long (the reader would grow its record to hold the field
//! whole), so a row's memory is bounded whatever the file holds.
//!
//! [`CsvFile`] is a file checked and sniffed; [`CsvFile::rows`] reads it from the start,
//! as often as asked (an import reads it twice: once to check every row, once to write).

use crate::quotes::QuoteScan;
use crate::read::{Cell, CsvOptions, CsvShape, FileError, Limits, Row};
use cube_app::rejected_rows::RejectReason;
use encoding_rs::{Decoder, Encoding};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// Bytes of text the separator is sniffed from (as [`crate::read`] sniffs).
const SNIFF_CHARS: usize = 64 * 1024;

/// Bytes read from the file at a time.
const READ_BYTES: usize = 64 * 1024;

/// Whether a file starting with `head` (its first 8 bytes) is read as CSV/TXT here: not
/// empty, not a zip (`.xlsx`, `.ods`) nor an Excel 97–2003 file (those go to
/// [`crate::read::read`], which reads or refuses them).
pub fn is_text(head: &[u8]) -> bool {
    !head.is_empty()
        && !head.starts_with(b"PK\x03\x04")
        && !head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// A CSV file on disk, its encoding and separator found.
#[derive(Debug, Clone)]
pub struct CsvFile {
    path: PathBuf,
    name: String,
    encoding: &'static Encoding,
    /// Whether the encoding was told by a byte-order mark (then bad bytes are an error).
    by_bom: bool,
    delimiter: u8,
    limits: Limits,
}

/// What reading a CSV row by row yields, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum CsvItem {
    /// A row holding something, with the header's number of fields (or the header itself).
    Row(Row),
    /// A row with another number of fields than the header: its number and why.
    Broken(usize, RejectReason),
}

impl CsvFile {
    /// The file at `path` (called `name` by the user), its encoding told and its separator
    /// sniffed (or as `options` says). Reads the file through once if it has no byte-order
    /// mark (a file is UTF-8 only if all of it is).
    pub fn open(
        path: &Path,
        name: &str,
        options: CsvOptions,
        limits: &Limits,
    ) -> Result<Self, FileError> {
        let unreadable = |e: io::Error| FileError::Unreadable(e.to_string());
        let mut file = File::open(path).map_err(unreadable)?;
        let mut head = [0u8; 3];
        let mut got = 0;
        while got < head.len() {
            let n = file.read(&mut head[got..]).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got == 0 {
            return Err(FileError::Empty);
        }
        let (encoding, by_bom) = match Encoding::for_bom(&head[..got]) {
            Some((encoding, _)) => (encoding, true),
            None if is_utf8(path).map_err(unreadable)? => (encoding_rs::UTF_8, false),
            None => (encoding_rs::WINDOWS_1252, false),
        };
        let mut file = CsvFile {
            path: path.to_owned(),
            name: name.to_owned(),
            encoding,
            by_bom,
            delimiter: b',',
            limits: *limits,
        };
        let (sample, cut) = file.sample().map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => FileError::NotText,
            _ => unreadable(e),
        })?;
        // Text has no NUL bytes and few control characters; binary data has many.
        let controls = sample
            .chars()
            .take(4096)
            .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            .count();
        if !by_bom && controls > 0 {
            return Err(FileError::NotText);
        }
        file.delimiter = options
            .delimiter
            .unwrap_or_else(|| crate::read::sniff_delimiter_in(&sample, cut));
        Ok(file)
    }

    /// How the file is read.
    pub fn shape(&self) -> CsvShape {
        CsvShape {
            delimiter: char::from(self.delimiter),
            encoding: self.encoding.name(),
        }
    }

    /// The sheet's name (the file's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The first [`SNIFF_CHARS`] characters of the text, and whether the text goes on.
    fn sample(&self) -> io::Result<(String, bool)> {
        // The sample is a bounded read of its own: no field bound (the separator is not
        // known yet), only the rows' reads have one.
        let mut decoded = self.decoded()?;
        decoded.bound_fields = false;
        let mut bytes = Vec::new();
        (&mut decoded)
            .take(4 * SNIFF_CHARS as u64 + 4)
            .read_to_end(&mut bytes)?;
        let text = String::from_utf8(bytes).unwrap_or_else(|e| {
            // Cut inside a character: keep the whole ones.
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        });
        let more = decoded.read(&mut [0u8; 4])? > 0;
        match text.char_indices().nth(SNIFF_CHARS) {
            Some((at, _)) => Ok((text[..at].to_owned(), true)),
            None => Ok((text, more)),
        }
    }

    fn decoded(&self) -> io::Result<Decoded<File>> {
        let file = File::open(&self.path)?;
        let decoder = if self.by_bom || self.encoding == encoding_rs::UTF_8 {
            self.encoding.new_decoder_with_bom_removal()
        } else {
            self.encoding.new_decoder_without_bom_handling()
        };
        Ok(Decoded::new(file, decoder, self.by_bom, self.delimiter))
    }

    /// The file's rows from its start.
    pub fn rows(&self) -> Result<CsvRows, FileError> {
        let decoded = self
            .decoded()
            .map_err(|e| FileError::Unreadable(e.to_string()))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(decoded);
        Ok(CsvRows {
            reader,
            record: csv::StringRecord::new(),
            name: self.name.clone(),
            limits: self.limits,
            header_len: None,
            embedded_breaks: 0,
            breaks_before: 0,
            rows: 0,
        })
    }
}

/// Whether the whole file is UTF-8 (read through in blocks; a character cut by a block's
/// end is carried into the next).
fn is_utf8(path: &Path) -> io::Result<bool> {
    let mut file = BufReader::new(File::open(path)?);
    let mut buf = vec![0u8; READ_BYTES + 4];
    let mut carried = 0;
    loop {
        let n = file.read(&mut buf[carried..])?;
        if n == 0 {
            return Ok(carried == 0);
        }
        let filled = carried + n;
        match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => carried = 0,
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(_) => return Ok(false),
        }
    }
}

/// A file's bytes decoded to UTF-8 as they are read, logging where each line break (`\r`,
/// `\n`) is in the decoded text, for the row numbers.
struct Decoded<R> {
    inner: R,
    decoder: Decoder,
    /// Malformed bytes are an error (a file with a byte-order mark must be what it says).
    strict: bool,
    input: Vec<u8>,
    input_at: usize,
    input_end: usize,
    input_done: bool,
    /// The decoder has taken the last input.
    finished: bool,
    output: Vec<u8>,
    output_at: usize,
    output_end: usize,
    /// Bytes of decoded text handed out so far.
    offset: u64,
    /// The line breaks handed out and not yet passed by the rows: (offset, byte).
    breaks: VecDeque<(u64, u8)>,
    /// The quoting of the text handed out (`crate::quotes`).
    quotes: QuoteScan,
    /// All the text has been handed out.
    at_end: bool,
    /// Whether a field longer than a cell ends the reading (`QuoteScan::too_long`).
    bound_fields: bool,
}

impl<R: Read> Decoded<R> {
    fn new(inner: R, decoder: Decoder, strict: bool, delimiter: u8) -> Self {
        Self {
            inner,
            decoder,
            strict,
            input: vec![0; READ_BYTES],
            input_at: 0,
            input_end: 0,
            input_done: false,
            finished: false,
            output: vec![0; READ_BYTES * 3 + 16],
            output_at: 0,
            output_end: 0,
            offset: 0,
            breaks: VecDeque::new(),
            quotes: QuoteScan::new(delimiter),
            at_end: false,
            bound_fields: true,
        }
    }

    /// The row a quote that is never closed opened on, once all the text has been handed
    /// out.
    fn unclosed_quote(&self) -> Option<usize> {
        self.quotes.open_since().filter(|_| self.at_end)
    }

    /// Decodes more text into `output`; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        if self.finished {
            return Ok(false);
        }
        loop {
            if self.input_at == self.input_end && !self.input_done {
                let n = self.inner.read(&mut self.input)?;
                self.input_at = 0;
                self.input_end = n;
                self.input_done = n == 0;
            }
            let (result, read, written, had_errors) = self.decoder.decode_to_utf8(
                &self.input[self.input_at..self.input_end],
                &mut self.output,
                self.input_done,
            );
            self.input_at += read;
            // The decoder is done once it has taken the last input (it must not be asked
            // again).
            self.finished = self.input_done && result == encoding_rs::CoderResult::InputEmpty;
            if had_errors && self.strict {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the text is not in the encoding its byte-order mark names",
                ));
            }
            if written > 0 {
                self.output_at = 0;
                self.output_end = written;
                return Ok(true);
            }
            if self.finished {
                return Ok(false);
            }
        }
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.output_at == self.output_end && !self.fill()? {
            self.at_end = true;
            return Ok(0);
        }
        let n = buf.len().min(self.output_end - self.output_at);
        let out = &self.output[self.output_at..self.output_at + n];
        buf[..n].copy_from_slice(out);
        self.quotes.feed(out);
        // A field longer than a cell: the csv reader would hold it whole, however long it
        // runs. It gets no more text; the rest is only scanned, for a quote left open
        // (that is the file's error then, as `crate::read` says), and the rows tell the
        // error from the scan (`CsvRows::next_item`).
        if self.bound_fields && self.quotes.too_long().is_some() {
            let rest = self.output_at + n..self.output_end;
            self.quotes.feed(&self.output[rest]);
            while self.fill()? {
                self.quotes.feed(&self.output[..self.output_end]);
            }
            self.at_end = true;
            return Err(io::Error::other(
                "a field is longer than a spreadsheet cell",
            ));
        }
        for (i, &b) in out.iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.breaks.push_back((self.offset + i as u64, b));
            }
        }
        self.output_at += n;
        self.offset += n as u64;
        Ok(n)
    }
}

/// A CSV file's rows, read one at a time ([`CsvFile::rows`]).
pub struct CsvRows {
    reader: csv::Reader<Decoded<File>>,
    record: csv::StringRecord,
    name: String,
    limits: Limits,
    header_len: Option<usize>,
    embedded_breaks: usize,
    breaks_before: usize,
    /// Rows holding something read so far, good and ragged, the header included.
    rows: usize,
}

impl std::fmt::Debug for CsvRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRows")
            .field("name", &self.name)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl CsvRows {
    /// The next row holding something, or a ragged row; `None` at the end. Refuses the
    /// file past [`Limits::max_rows`] rows or [`Limits::max_columns`] fields.
    pub fn next_item(&mut self) -> Result<Option<CsvItem>, FileError> {
        loop {
            let read = match self.reader.read_record(&mut self.record) {
                Ok(read) => read,
                Err(e) => {
                    let decoded = self.reader.get_ref();
                    if let Some(field) = decoded.quotes.too_long() {
                        return Err(match decoded.unclosed_quote() {
                            Some(row) => FileError::UnclosedQuote { row },
                            None => field.into(),
                        });
                    }
                    if let csv::ErrorKind::Io(io) = e.kind()
                        && io.kind() == io::ErrorKind::InvalidData
                    {
                        return Err(FileError::NotText);
                    }
                    let row = e
                        .position()
                        .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
                    return Err(FileError::BadCsv {
                        row: row.saturating_sub(self.embedded_breaks),
                        reason: e.to_string(),
                    });
                }
            };
            // A quote never closed made the csv reader read to the end for one field: the
            // rows after it are not rows, so the file is refused naming where it opened.
            if let Some(row) = self.reader.get_ref().unclosed_quote() {
                return Err(FileError::UnclosedQuote { row });
            }
            if !read {
                return Ok(None);
            }
            let start = self.record.position().map_or(0, |p| p.byte());
            // The line breaks before the record's first byte (its position can be that of
            // the blank lines skipped before it), less those inside earlier records' quoted
            // fields.
            let breaks = &mut self.reader.get_mut().breaks;
            let mut at = start;
            while let Some(&(offset, byte)) = breaks.front() {
                if offset > at {
                    break;
                }
                if offset == at {
                    at += 1;
                }
                if byte == b'\n' {
                    self.breaks_before += 1;
                }
                breaks.pop_front();
            }
            let number = (self.breaks_before + 1).saturating_sub(self.embedded_breaks);
            if self.record.len() > self.limits.max_columns {
                return Err(FileError::TooManyColumns {
                    sheet: self.name.clone(),
                    column: crate::mapping::column_letter(self.record.len() - 1),
                    limit: self.limits.max_columns,
                });
            }
            self.embedded_breaks += self
                .record
                .iter()
                .map(|f| f.matches('\n').count())
                .sum::<usize>();
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            let fields = self.record.len();
            let expected = *self.header_len.get_or_insert(fields);
            // The header and `max_rows` rows below it, as `crate::read` allows.
            self.rows += 1;
            if self.rows > self.limits.max_rows + 1 {
                return Err(FileError::TooManyRows {
                    sheet: self.name.clone(),
                    limit: self.limits.max_rows,
                });
            }
            if fields != expected {
                return Ok(Some(CsvItem::Broken(
                    number,
                    RejectReason::FieldCount {
                        fields,
                        header: expected,
                    },
                )));
            }
            let cells = self
                .record
                .iter()
                .map(|f| Cell::Text(f.to_owned()))
                .collect();
            return Ok(Some(CsvItem::Row(Row { number, cells })));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Sheet, read};

    /// A file of its own in the temporary folder, removed after the test.
    struct TempCsv(PathBuf);

    impl TempCsv {
        fn new(bytes: &[u8]) -> Self {
            let path = std::env::temp_dir().join(format!(
                "cube-sheets-stream-{}-{:?}.csv",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::write(&path, bytes).expect("written");
            Self(path)
        }
    }

    impl Drop for TempCsv {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// The file read row by row, as the in-memory reader's sheet.
    fn streamed(bytes: &[u8]) -> (Sheet, CsvShape) {
        let file = TempCsv::new(bytes);
        let csv = CsvFile::open(&file.0, "t.csv", CsvOptions::default(), &Limits::default())
            .expect("opens");
        let mut rows = csv.rows().expect("reads");
        let mut sheet = Sheet {
            name: "t.csv".into(),
            rows: Vec::new(),
            broken_rows: Vec::new(),
        };
        while let Some(item) = rows.next_item().expect("a row") {
            match item {
                CsvItem::Row(row) => sheet.rows.push(row),
                CsvItem::Broken(n, why) => sheet.broken_rows.push((n, why)),
            }
        }
        (sheet, csv.shape())
    }

    /// The same bytes read row by row from disk and whole from memory: field for field,
    /// row number for row number, the same ragged rows and the same shape.
    fn check_same(bytes: &[u8]) {
        let whole = read("t.csv", bytes, CsvOptions::default(), &Limits::default())
            .expect("reads in memory");
        let (sheet, shape) = streamed(bytes);
        assert_eq!(Some(shape), whole.csv);
        assert_eq!(sheet.broken_rows, whole.sheets[0].broken_rows);
        assert_eq!(sheet.rows.len(), whole.sheets[0].rows.len());
        for (got, want) in sheet.rows.iter().zip(&whole.sheets[0].rows) {
            assert_eq!(got, want);
        }
    }

    /// Whether byte `at` of `text` is inside a quoted field that holds a line break.
    fn inside_quoted_break(text: &str, at: usize) -> bool {
        let bytes = text.as_bytes();
        let open = bytes[..at].iter().filter(|&&b| b == b'"').count() % 2 == 1;
        let from = bytes[..at].iter().rposition(|&b| b == b'"').unwrap_or(0);
        let to = at + bytes[at..].iter().position(|&b| b == b'"').unwrap_or(0);
        open && bytes[from..to].contains(&b'\n')
    }

    #[test]
    fn quoted_line_breaks_across_the_readers_buffers_parse_field_for_field() {
        // Rows whose quoted notes hold line breaks (LF and CRLF), with blank lines and a
        // ragged row among them; padded until the csv reader's 8 KiB buffer and this
        // module's 64 KiB blocks both end inside a quoted line break.
        let mut padding = 0;
        let text = loop {
            let mut text = format!("Navn{};Telefon;Notat\r\n", "x".repeat(padding));
            for i in 0..2_000 {
                let note = format!("linje én {i}\nlinje to; «sitat» \"\"her\"\"\r\nslutt");
                text.push_str(&format!("Firma {i} AS;+47 91{i:06};\"{note}\"\r\n"));
                if i % 97 == 0 {
                    text.push_str("\r\n\n");
                }
                if i % 501 == 0 {
                    text.push_str("ragged;row\n");
                }
            }
            if [8 * 1024, READ_BYTES, 2 * READ_BYTES]
                .iter()
                .all(|&at| inside_quoted_break(&text, at))
            {
                break text;
            }
            padding += 1;
            assert!(
                padding < 400,
                "no padding puts the buffers' ends in a field"
            );
        };
        check_same(text.as_bytes());
        let (sheet, _) = streamed(text.as_bytes());
        assert_eq!(sheet.rows.len(), 2_001);
        let last = &sheet.rows[2_000];
        assert_eq!(
            last.cells[2].text(),
            "linje én 1999\nlinje to; «sitat» \"her\"\r\nslutt"
        );
        assert!(!sheet.broken_rows.is_empty());
    }

    #[test]
    fn the_encodings_read_as_the_whole_file_reader_reads_them() {
        // Windows-1252 (a byte that is no UTF-8 far into the file), UTF-16 with its BOM,
        // UTF-8 with a BOM.
        let mut cp1252 = b"Navn;By\n".to_vec();
        for _ in 0..20_000 {
            cp1252.extend_from_slice(b"Ola;Oslo\n");
        }
        cp1252.extend_from_slice(b"\xd8ystein;Troms\xf8\n");
        check_same(&cp1252);
        assert_eq!(streamed(&cp1252).1.encoding, "windows-1252");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "Navn\tBy\n\"Ærlig\nAS\"\tÅs\n".repeat(5_000).encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        check_same(&utf16);
        let bom = [b"\xef\xbb\xbf".as_slice(), "a;æ\n1;ø\n".as_bytes()].concat();
        check_same(&bom);
    }

    /// The error the streamed reader ends with, if it ends with one.
    fn streamed_error(bytes: &[u8]) -> Option<FileError> {
        let file = TempCsv::new(bytes);
        let csv = CsvFile::open(&file.0, "t.csv", CsvOptions::default(), &Limits::default())
            .expect("opens");
        let mut rows = csv.rows().expect("reads");
        std::iter::from_fn(|| rows.next_item().transpose()).find_map(Result::err)
    }

    #[test]
    fn a_quote_never_closed_is_refused_naming_its_row_not_read_as_one_field() {
        // Early in a long file (the rest runs past the readers' buffers), and in the last row.
        let mut early = b"Navn;Telefon\nKari;91234567\n\"Ola;92345678\n".to_vec();
        for n in 0..20_000 {
            early.extend_from_slice(format!("Kunde {n};4{n:07}\n").as_bytes());
        }
        let last = b"Navn;Telefon\nKari;91234567\r\n\r\nOla;\"92345678\r\n".to_vec();
        for (bytes, row) in [(early, 3), (last, 4)] {
            let expected = FileError::UnclosedQuote { row };
            assert_eq!(streamed_error(&bytes), Some(expected.clone()));
            assert_eq!(
                read("t.csv", &bytes, CsvOptions::default(), &Limits::default()).err(),
                Some(expected)
            );
        }
        assert!(
            FileError::UnclosedQuote { row: 3 }
                .to_string()
                .starts_with("row 3: a quote (\") opened here is never closed, so the rest of the file was read as one field")
        );
        // Quotes closed, doubled, or inside an unquoted field: read as before.
        let fine = b"Navn;Merknad\n\"Kari\";\"sa \"\"hei\"\"\nog gikk\"\nOla;5\" skjerm\n";
        assert_eq!(streamed_error(fine), None);
        check_same(fine);
    }

    /// Found from outside: a CSV field had no length bound, so the csv reader grew its record
    /// for as long as the field ran. A field of 4 MB, unquoted or quoted, is refused naming
    /// its row and column, after the csv reader was handed little more than a cell's worth of
    /// text; both readers agree, and a field of exactly a cell's characters is read.
    #[test]
    fn a_field_longer_than_a_cell_is_refused_naming_its_row_before_it_is_held() {
        use crate::read::MAX_CELL_CHARS;
        let long = "x".repeat(4 * 1024 * 1024);
        let unquoted = format!("Navn;Merknad\nKari;kort\n\nOla;{long}\nPer;kort\n");
        let quoted = format!("Navn;Merknad\n\"Kari\";\"to\nlinjer\"\nOla;\"{long}\"\nPer;kort\n");
        for (text, row, quoted) in [(unquoted, 4, false), (quoted, 3, true)] {
            let expected = FileError::FieldTooLong {
                row,
                column: "B".into(),
                quoted,
            };
            let file = TempCsv::new(text.as_bytes());
            let csv = CsvFile::open(&file.0, "t.csv", CsvOptions::default(), &Limits::default())
                .expect("opens");
            let mut rows = csv.rows().expect("reads");
            let error = std::iter::from_fn(|| rows.next_item().transpose()).find_map(Result::err);
            assert_eq!(error, Some(expected.clone()));
            let handed = rows.reader.get_ref().offset;
            assert!(
                handed < 64 * 1024,
                "the csv reader was handed {handed} bytes of a {} byte file",
                text.len()
            );
            drop(file);
            assert_eq!(
                read(
                    "t.csv",
                    text.as_bytes(),
                    CsvOptions::default(),
                    &Limits::default()
                )
                .err(),
                Some(expected)
            );
        }
        assert!(
            FileError::FieldTooLong {
                row: 4,
                column: "B".into(),
                quoted: false
            }
            .to_string()
            .starts_with("row 4, column B: a field holds more than 32767 characters")
        );
        // A cell's worth of two-byte characters is read; one more is not.
        let full = format!("Navn;Merknad\nOla;\"{}\"\n", "ø".repeat(MAX_CELL_CHARS));
        assert_eq!(streamed_error(full.as_bytes()), None);
        check_same(full.as_bytes());
        let over = format!("Navn;Merknad\nOla;{}\n", "ø".repeat(MAX_CELL_CHARS + 1));
        assert!(matches!(
            streamed_error(over.as_bytes()),
            Some(FileError::FieldTooLong { row: 2, .. })
        ));
        // A doubled quote is one character of the text.
        let doubled = format!("Navn;Merknad\nOla;\"{}\"\n", "\"\"".repeat(MAX_CELL_CHARS));
        assert_eq!(streamed_error(doubled.as_bytes()), None);
        // A quote left open before a long rest is still that quote's error.
        let open = format!("Navn;Merknad\nKari;kort\nOla;\"{long}\nPer;kort\n");
        assert_eq!(
            streamed_error(open.as_bytes()),
            Some(FileError::UnclosedQuote { row: 3 })
        );
    }

    #[test]
    fn too_many_rows_and_binary_are_refused() {
        let file = TempCsv::new(b"a\n1\n2\n3\n4\n");
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        let csv = CsvFile::open(&file.0, "t.csv", CsvOptions::default(), &limits).expect("opens");
        let mut rows = csv.rows().expect("reads");
        let refused = std::iter::from_fn(|| rows.next_item().transpose()).find_map(Result::err);
        assert!(matches!(
            refused,
            Some(FileError::TooManyRows { limit: 2, .. })
        ));
        drop(file);
        let file = TempCsv::new(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
        assert_eq!(
            CsvFile::open(&file.0, "x.csv", CsvOptions::default(), &Limits::default()).map(|_| ()),
            Err(FileError::NotText)
        );
    }
}
