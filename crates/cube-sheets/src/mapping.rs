//! From a sheet's columns to customers: which column is which contact or CRM field (a
//! suggestion from the header's words, Norwegian and English, that the user confirms or
//! changes), and each row as the import's [`CustomerInput`], with its row number in the
//! sheet.
//!
//! The cells are turned into the text the use case parses, the way the office meant them: a
//! phone number Excel stored as a number (`4791234567`, its `00` lost) gets its `+` back
//! when that is what makes it valid in the data owner's region; a postal code stored as a
//! number gets its leading zero back; date cells, Excel serial numbers and `15.03.2024` become
//! dates; `1 234` and `1 234,50` become numbers. Validation itself (a valid phone, e-mail,
//! a CRM field's type and choices) is the use case's, so a file and the JSON import refuse a
//! row for the same reasons.

use crate::read::{Cell, Row, Sheet, date_text};
use cube_app::customers::CustomerInput;
use cube_app::rejected_rows::RejectReason;
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::fields::{FieldDefinition, FieldType};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use thiserror::Error;
use time::{Date, Duration, Month};

/// Where a column's values go.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// The name (several columns, such as first and last name, are joined with a space).
    Name,
    /// A phone number (several columns give several numbers).
    Phone,
    /// The e-mail address.
    Email,
    /// The street address.
    Address,
    /// The postal code (joined into the address).
    PostalCode,
    /// The postal town (joined into the address).
    City,
    /// The organisation or person number.
    RegistryNumber,
    /// The id in the source system.
    ExternalId,
    /// A CRM field of the dataset, by key.
    Field(String),
}

impl Target {
    /// The name the API uses: `name`, `phone`, …, `field:<key>`.
    pub fn key(&self) -> String {
        match self {
            Target::Name => "name".into(),
            Target::Phone => "phone".into(),
            Target::Email => "email".into(),
            Target::Address => "address".into(),
            Target::PostalCode => "postal_code".into(),
            Target::City => "city".into(),
            Target::RegistryNumber => "registry_number".into(),
            Target::ExternalId => "external_id".into(),
            Target::Field(key) => format!("field:{key}"),
        }
    }

    /// Reads [`Target::key`]'s form.
    pub fn parse(raw: &str) -> Result<Self, MappingError> {
        Ok(match raw.trim() {
            "name" => Target::Name,
            "phone" => Target::Phone,
            "email" => Target::Email,
            "address" => Target::Address,
            "postal_code" => Target::PostalCode,
            "city" => Target::City,
            "registry_number" => Target::RegistryNumber,
            "external_id" => Target::ExternalId,
            other => match other.strip_prefix("field:") {
                Some(key) if !key.is_empty() => Target::Field(key.to_owned()),
                _ => return Err(MappingError::UnknownTarget(other.to_owned())),
            },
        })
    }

    /// True for targets several columns may share.
    fn takes_many(&self) -> bool {
        matches!(self, Target::Name | Target::Phone)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Target::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Why a mapping cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MappingError {
    /// Not a target name.
    #[error(
        "`{0}` is not a field to import into; use name, phone, email, address, postal_code, city, registry_number, external_id or field:<key>"
    )]
    UnknownTarget(String),
    /// A CRM field the dataset does not have.
    #[error("the {dataset} fields of this data owner have no field `{key}`")]
    UnknownField {
        /// The dataset.
        dataset: &'static str,
        /// The key asked for.
        key: String,
    },
    /// No column gives the name.
    #[error("no column is mapped to the name; choose the column that holds the customer's name")]
    NoName,
    /// A column the sheet does not have.
    #[error("the sheet has no column {0}")]
    NoSuchColumn(String),
    /// A one-value target given twice.
    #[error("columns {first} and {second} are both mapped to {target}; map one of them")]
    Twice {
        /// The target.
        target: String,
        /// One column.
        first: String,
        /// The other.
        second: String,
    },
    /// The sheet holds no header row.
    #[error("the sheet is empty; choose the sheet with the customers")]
    EmptySheet,
    /// One column given two targets.
    #[error("column {0} is mapped twice; give each column one field (or none)")]
    ColumnTwice(String),
    /// A mapping entry not of the form `A=name`.
    #[error(
        "`{0}` is not a column mapping; write the column's letters, `=` and the field, as in `A=name,B=phone`"
    )]
    BadColumnSpec(String),
    /// The header row asked for is not in the sheet.
    #[error("row {0} holds nothing; give the row with the column headers")]
    NoSuchHeaderRow(usize),
}

/// A column of the sheet, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// 0 = column A.
    pub index: usize,
    /// The column's letter(s) as the spreadsheet shows them.
    pub letter: String,
    /// The header cell's text.
    pub header: String,
    /// Where its values go; `None` leaves the column out.
    pub target: Option<Target>,
}

/// The letters of a column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(char::from(b'A' + rest as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A column's index from its letters: `A` → 0, `AA` → 26 (case-insensitive).
pub fn column_index(letters: &str) -> Option<usize> {
    let letters = letters.trim();
    if letters.is_empty() || letters.len() > 3 || !letters.chars().all(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    letters
        .chars()
        .try_fold(0usize, |n, c| {
            let digit = usize::from(c.to_ascii_uppercase() as u8 - b'A') + 1;
            Some(n * 26 + digit)
        })
        .map(|n| n - 1)
}

/// A mapping written as `A=name,B=phone,J=field:bransje` (the API's query form).
pub fn parse_columns(spec: &str) -> Result<Vec<(usize, Target)>, MappingError> {
    spec.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (letters, target) = part
                .split_once('=')
                .ok_or_else(|| MappingError::BadColumnSpec(part.trim().to_owned()))?;
            let index = column_index(letters)
                .ok_or_else(|| MappingError::BadColumnSpec(part.trim().to_owned()))?;
            Ok((index, Target::parse(target)?))
        })
        .collect()
}

/// A mapping in [`parse_columns`]'s form.
pub fn columns_spec(columns: &[Column]) -> String {
    columns
        .iter()
        .filter_map(|c| c.target.as_ref().map(|t| format!("{}={t}", c.letter)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The header row: the first row with two or more filled cells (a title row above the table,
/// often a merged cell, is passed over), or the first row when no row has two.
pub fn header_row(sheet: &Sheet) -> Option<usize> {
    sheet
        .rows
        .iter()
        .find(|row| row.cells.iter().filter(|c| !c.is_blank()).count() >= 2)
        .or_else(|| sheet.rows.first())
        .map(|row| row.number)
}

/// The columns of a header row with the target each header suggests. A one-value target
/// (e-mail, address…) is suggested for its first column only.
pub fn suggest_columns(header: &Row, fields: &[FieldDefinition]) -> Vec<Column> {
    let mut taken: Vec<Target> = Vec::new();
    header
        .cells
        .iter()
        .enumerate()
        .map(|(index, cell)| {
            let text = cell.text();
            let target = suggest(&text, fields)
                .filter(|t| t.takes_many() || !taken.contains(t))
                .inspect(|t| taken.push(t.clone()));
            Column {
                index,
                letter: column_letter(index),
                header: text,
                target,
            }
        })
        .collect()
}

/// The target a header's words suggest: the dataset's CRM fields first (by key or label),
/// then the contact fields' Norwegian and English names.
pub fn suggest(header: &str, fields: &[FieldDefinition]) -> Option<Target> {
    let word = normalise(header);
    if word.is_empty() {
        return None;
    }
    if let Some(field) = fields
        .iter()
        .find(|f| normalise(f.key().as_str()) == word || normalise(f.label()) == word)
    {
        return Some(Target::Field(field.key().as_str().to_owned()));
    }
    let bare = word.trim_end_matches(|c: char| c.is_ascii_digit());
    SYNONYMS
        .iter()
        .find(|(_, words)| words.contains(&bare))
        .map(|(target, _)| target())
}

/// Lower case, letters and digits only: `E-post` → `epost`, `Org.nr.` → `orgnr`.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

type Synonyms = (fn() -> Target, &'static [&'static str]);

/// Header words per contact field, normalised ([`normalise`]).
const SYNONYMS: &[Synonyms] = &[
    (
        || Target::Name,
        &[
            "navn",
            "kundenavn",
            "firmanavn",
            "firma",
            "bedrift",
            "bedriftsnavn",
            "selskap",
            "foretak",
            "foretaksnavn",
            "fulltnavn",
            "fornavn",
            "etternavn",
            "kunde",
            "name",
            "company",
            "companyname",
            "customer",
            "customername",
            "fullname",
            "firstname",
            "lastname",
        ],
    ),
    (
        || Target::Phone,
        &[
            "telefon",
            "tlf",
            "tlfnr",
            "telefonnummer",
            "telefonnr",
            "mobil",
            "mobilnummer",
            "mobilnr",
            "mobiltelefon",
            "mobiltlf",
            "nummer",
            "phone",
            "phonenumber",
            "telephone",
            "tel",
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
            "phones",
            "telefoner",
            "telefonnumre",
            "mobilnumre",
        ],
    ),
    (
        || Target::Email,
        &[
            "epost",
            "epostadresse",
            "mail",
            "email",
            "emailaddress",
            "epostadr",
        ],
    ),
    (
        || Target::Address,
        &[
            "adresse",
            "gateadresse",
            "besøksadresse",
            "postadresse",
            "adr",
            "address",
            "street",
            "streetaddress",
        ],
    ),
    (
        || Target::PostalCode,
        &[
            "postnr",
            "postnummer",
            "pnr",
            "zip",
            "zipcode",
            "postcode",
            "postalcode",
        ],
    ),
    (
        || Target::City,
        &["poststed", "sted", "by", "postort", "city", "town"],
    ),
    (
        || Target::RegistryNumber,
        &[
            "orgnr",
            "organisasjonsnummer",
            "orgnummer",
            "foretaksnummer",
            "organisationnumber",
            "organizationnumber",
            "registrynumber",
            "companynumber",
            "vatnumber",
        ],
    ),
    (
        || Target::ExternalId,
        &[
            "kundenr",
            "kundenummer",
            "kundeid",
            "id",
            "eksternid",
            "externalid",
            "customerid",
            "customernumber",
            "ref",
            "referanse",
            "reference",
        ],
    ),
];

/// The rows of a sheet as customers to import, with their sheet row numbers, and the rows
/// refused before parsing (a spreadsheet error in a mapped cell, a broken CSV row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedRows {
    /// The rows as the import's inputs, in sheet order.
    pub inputs: Vec<CustomerInput>,
    /// Each input's row number in the sheet.
    pub numbers: Vec<usize>,
    /// Rows refused here: row number and reason.
    pub refused: Vec<(usize, RejectReason)>,
}

/// Checks a mapping against the sheet's columns and the dataset's fields.
pub fn check_mapping(
    columns: &[(usize, Target)],
    width: usize,
    owner: &DataOwner,
    dataset: Dataset,
) -> Result<(), MappingError> {
    let fields = owner.fields(dataset);
    for (index, (column, target)) in columns.iter().enumerate() {
        if *column >= width {
            return Err(MappingError::NoSuchColumn(column_letter(*column)));
        }
        if columns[..index].iter().any(|(other, _)| other == column) {
            return Err(MappingError::ColumnTwice(column_letter(*column)));
        }
        if let Target::Field(key) = target
            && !fields.iter().any(|f| f.key().as_str() == key)
        {
            return Err(MappingError::UnknownField {
                dataset: dataset_name(dataset),
                key: key.clone(),
            });
        }
        if !target.takes_many()
            && let Some((other, _)) = columns[..index].iter().find(|(_, t)| t == target)
        {
            return Err(MappingError::Twice {
                target: target.key(),
                first: column_letter(*other),
                second: column_letter(*column),
            });
        }
    }
    if !columns.iter().any(|(_, t)| *t == Target::Name) {
        return Err(MappingError::NoName);
    }
    Ok(())
}

fn dataset_name(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::B2b => "B2B",
        Dataset::B2c => "B2C",
    }
}

/// Every data row below `header` (a row number) as a customer input, by the checked
/// `columns` ([`check_mapping`]).
pub fn map_rows(
    sheet: Sheet,
    header: usize,
    columns: &[(usize, Target)],
    owner: &DataOwner,
    dataset: Dataset,
) -> MappedRows {
    let fields = owner.fields(dataset);
    let mut mapped = MappedRows {
        refused: sheet
            .broken_rows
            .into_iter()
            .filter(|(n, _)| *n > header)
            .collect(),
        ..MappedRows::default()
    };
    // Each row's cells go once it is mapped.
    for row in sheet.rows.into_iter().filter(|r| r.number > header) {
        match map_row(&row, columns, owner, fields) {
            Ok(input) => {
                mapped.inputs.push(input);
                mapped.numbers.push(row.number);
            }
            Err(reason) => mapped.refused.push((row.number, reason)),
        }
    }
    mapped.refused.sort_by_key(|(n, _)| *n);
    mapped
}

/// One row as a customer's fields, or why it cannot be one ([`map_rows`] maps a sheet).
pub(crate) fn map_row(
    row: &Row,
    columns: &[(usize, Target)],
    owner: &DataOwner,
    fields: &[FieldDefinition],
) -> Result<CustomerInput, RejectReason> {
    let mut input = CustomerInput::default();
    let mut names = Vec::new();
    let (mut street, mut postal, mut city) = (None, None, None);
    for (column, target) in columns {
        let cell = row.cells.get(*column).unwrap_or(&Cell::Empty);
        if let Cell::Error(error) = cell {
            return Err(RejectReason::SpreadsheetError {
                cell: format!("{}{}", column_letter(*column), row.number),
                error: error.clone(),
            });
        }
        if cell.is_blank() {
            continue;
        }
        match target {
            Target::Name => names.push(cell.text()),
            Target::Phone => input.phones.extend(phone_texts(cell, owner)),
            Target::Email => input.email = Some(cell.text()),
            Target::Address => street = Some(cell.text()),
            Target::PostalCode => postal = Some(postal_text(cell, owner)),
            Target::City => city = Some(cell.text()),
            Target::RegistryNumber => input.registry_number = Some(cell.text()),
            Target::ExternalId => input.external_id = Some(cell.text()),
            Target::Field(key) => {
                let text = match fields.iter().find(|f| f.key().as_str() == key) {
                    Some(field) => field_text(cell, field.field_type()),
                    None => cell.text(),
                };
                input.fields.insert(key.clone(), text);
            }
        }
    }
    input.name = names.join(" ");
    let town = [postal, city].into_iter().flatten().collect::<Vec<_>>();
    let parts: Vec<String> = street
        .into_iter()
        .chain((!town.is_empty()).then(|| town.join(" ")))
        .collect();
    if !parts.is_empty() {
        input.address = Some(parts.join(", "));
    }
    Ok(input)
}

/// A phone cell's numbers: one, or several written in one cell (`+4791234567 +4798765432`,
/// `91234567 / 98765432`, `91234567; 98765432`), as Cube's own exports and many CRMs write
/// them.
fn phone_texts(cell: &Cell, owner: &DataOwner) -> Vec<String> {
    let Cell::Text(text) = cell else {
        return vec![phone_text(cell, owner)];
    };
    text.split([',', ';', '/', '|', '\n'])
        .flat_map(|part| {
            // A second `+` starts a second number: "+47 912 34 567 +46 70 123 45 67".
            let mut numbers = Vec::new();
            let mut current = String::new();
            for c in part.chars() {
                if c == '+' && current.chars().any(|d| d.is_ascii_digit()) {
                    numbers.push(std::mem::take(&mut current));
                }
                current.push(c);
            }
            numbers.push(current);
            numbers
        })
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

/// A phone cell's text. A number cell has lost a leading `+` or `00`: when its digits are not
/// a valid number of the region but are one with `+` in front, the `+` goes back.
fn phone_text(cell: &Cell, owner: &DataOwner) -> String {
    let text = cell.text();
    if let Cell::Number(_) = cell
        && owner.parse_phone(&text).is_err()
        && owner.parse_phone(&format!("+{text}")).is_ok()
    {
        return format!("+{text}");
    }
    text
}

/// A postal code cell's text; a number cell gets the leading zeros its region's codes have
/// (Norway's and Denmark's four digits, five in Sweden, Finland and Germany).
fn postal_text(cell: &Cell, owner: &DataOwner) -> String {
    let text = cell.text();
    let digits = match owner.phone_region().as_str() {
        "NO" | "DK" => 4,
        "SE" | "FI" | "DE" => 5,
        _ => 0,
    };
    match cell {
        Cell::Number(_) if text.chars().all(|c| c.is_ascii_digit()) => {
            format!("{text:0>digits$}")
        }
        _ => text,
    }
}

/// A CRM field cell as the text its type parses.
fn field_text(cell: &Cell, field_type: &FieldType) -> String {
    match (field_type, cell) {
        (FieldType::Date, Cell::Date(date)) => date_text(*date),
        (FieldType::Date, Cell::DateTime(at)) => date_text(at.date()),
        (FieldType::Date, Cell::Number(serial)) => {
            excel_serial_date(*serial).map_or_else(|| cell.text(), date_text)
        }
        (FieldType::Date, Cell::Text(text)) => {
            norwegian_date(text.trim()).map_or_else(|| cell.text(), date_text)
        }
        (FieldType::Number | FieldType::Decimal, Cell::Text(text)) => text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
            .collect(),
        (FieldType::Boolean, Cell::Number(n)) => (*n != 0.0).to_string(),
        _ => cell.text(),
    }
}

/// An Excel serial day number (1900 date system) as a date: day 1 is 1900-01-01, and Excel
/// counts a 29 February 1900 that never was, so days from 61 on are one behind.
pub fn excel_serial_date(serial: f64) -> Option<Date> {
    if !(1.0..2_958_466.0).contains(&serial) || serial.fract() != 0.0 {
        return None;
    }
    let day = serial as i64;
    let epoch = Date::from_calendar_date(1899, Month::December, 31).ok()?;
    let shift = if day >= 61 { day - 1 } else { day };
    epoch.checked_add(Duration::days(shift))
}

/// `15.03.2024`, `15.3.2024` or `15/03/2024` (day first, as written in Norway), or
/// `2024-03-15`.
fn norwegian_date(text: &str) -> Option<Date> {
    let parts: Vec<&str> = text.split(['.', '/', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (year, month, day) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    if year.len() != 4 {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_are_the_spreadsheets() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn norwegian_and_english_headers_are_suggested() {
        let cases = [
            ("Navn", Some(Target::Name)),
            ("Telefon", Some(Target::Phone)),
            ("Mobil", Some(Target::Phone)),
            ("Telefon 2", Some(Target::Phone)),
            ("phones", Some(Target::Phone)),
            ("Telefoner", Some(Target::Phone)),
            ("E-post", Some(Target::Email)),
            ("Postnr.", Some(Target::PostalCode)),
            ("Poststed", Some(Target::City)),
            ("Org.nr", Some(Target::RegistryNumber)),
            ("Kundenr", Some(Target::ExternalId)),
            ("Company name", Some(Target::Name)),
            ("Phone number", Some(Target::Phone)),
            ("Besøksadresse", Some(Target::Address)),
            ("Kommentar", None),
            ("", None),
        ];
        for (header, expected) in cases {
            assert_eq!(suggest(header, &[]), expected, "{header}");
        }
    }

    #[test]
    fn serial_numbers_and_day_first_dates_are_dates() {
        let date = |y, m, d| Date::from_calendar_date(y, m, d).ok();
        assert_eq!(excel_serial_date(45366.0), date(2024, Month::March, 15));
        assert_eq!(excel_serial_date(1.0), date(1900, Month::January, 1));
        assert_eq!(excel_serial_date(61.0), date(1900, Month::March, 1));
        assert_eq!(excel_serial_date(0.5), None);
        assert_eq!(norwegian_date("15.03.2024"), date(2024, Month::March, 15));
        assert_eq!(norwegian_date("5.3.2024"), date(2024, Month::March, 5));
        assert_eq!(norwegian_date("2024-03-15"), date(2024, Month::March, 15));
        assert_eq!(norwegian_date("31.02.2024"), None);
        assert_eq!(norwegian_date("15.03.24"), None);
    }

    #[test]
    fn a_mapping_reads_from_its_query_form() {
        assert_eq!(column_index("A"), Some(0));
        assert_eq!(column_index("z"), Some(25));
        assert_eq!(column_index("AA"), Some(26));
        assert_eq!(column_index("ZZ"), Some(701));
        assert_eq!(column_index(""), None);
        assert_eq!(column_index("A1"), None);
        assert_eq!(column_index("ABCD"), None);
        assert_eq!(
            parse_columns("A=name, B=phone,C=phone,J=field:bransje,"),
            Ok(vec![
                (0, Target::Name),
                (1, Target::Phone),
                (2, Target::Phone),
                (9, Target::Field("bransje".into())),
            ])
        );
        assert!(matches!(
            parse_columns("A:name"),
            Err(MappingError::BadColumnSpec(_))
        ));
        assert!(matches!(
            parse_columns("1=name"),
            Err(MappingError::BadColumnSpec(_))
        ));
        assert!(matches!(
            parse_columns("A=navn"),
            Err(MappingError::UnknownTarget(_))
        ));
        assert_eq!(parse_columns(""), Ok(vec![]));
    }

    #[test]
    fn several_numbers_in_one_cell_are_several_phones() {
        let owner = DataOwner::new(
            cube_domain::ids::DataOwnerId::from_uuid(uuid::Uuid::nil()),
            cube_domain::ids::OrganisationId::from_uuid(uuid::Uuid::nil()),
            cube_domain::values::Name::parse("Eier").expect("name"),
        );
        let phones = |text: &str| phone_texts(&Cell::Text(text.into()), &owner);
        assert_eq!(
            phones("+4791234567 +4798765432"),
            ["+4791234567", "+4798765432"]
        );
        assert_eq!(phones("+47 912 34 567"), ["+47 912 34 567"]);
        assert_eq!(phones("91234567 / 98765432"), ["91234567", "98765432"]);
        assert_eq!(
            phones("91234567;98765432, 22334455"),
            ["91234567", "98765432", "22334455"]
        );
        assert_eq!(phones(" "), Vec::<String>::new());
        assert_eq!(phone_texts(&Cell::Number(91234567.0), &owner), ["91234567"]);
    }

    #[test]
    fn targets_read_back_their_keys() {
        for target in [
            Target::Name,
            Target::Phone,
            Target::Email,
            Target::Address,
            Target::PostalCode,
            Target::City,
            Target::RegistryNumber,
            Target::ExternalId,
            Target::Field("bransje".into()),
        ] {
            assert_eq!(Target::parse(&target.key()), Ok(target));
        }
        assert!(Target::parse("field:").is_err());
        assert!(Target::parse("telefon").is_err());
    }
}
