//! Any CSV a spreadsheet program could write — any separator, quoting where needed, UTF-8
//! with or without BOM or Windows-1252, CRLF or LF — either imports fully or reports every
//! bad row: read through the file path, each row gives the same customer (or the same
//! refusal) as its values typed straight into the import, under its own row number.

use cube_app::customers::{CustomerInput, parse_customer};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::ids::{CustomerId, DataOwnerId, OrganisationId};
use cube_domain::values::Name;
use cube_sheets::read::Limits;
use cube_sheets::{FileChoices, prepare};
use proptest::prelude::*;
use uuid::Uuid;

fn owner() -> DataOwner {
    DataOwner::new(
        DataOwnerId::from_uuid(Uuid::nil()),
        OrganisationId::from_uuid(Uuid::nil()),
        Name::parse("Eier AS").expect("name"),
    )
}

/// A generated row: name, phone, e-mail as typed.
#[derive(Debug, Clone)]
struct Generated {
    name: String,
    phone: String,
    email: String,
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-zæøåÆØÅé0-9 ,;\"'&.-]{1,24}",
        1 => Just(String::new()),
        1 => "[a-zæø]{1,8}\n[a-z]{1,8}",
        1 => " {1,3}",
    ]
}

fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (40_000_000u32..49_999_999).prop_map(|n| n.to_string()),
        2 => (90_000_000u32..99_999_999).prop_map(|n| format!("+47 {n}")),
        1 => (90_000_000u32..99_999_999).prop_map(|n| format!("0047{n}")),
        1 => Just("ring meg".to_owned()),
        1 => Just("12".to_owned()),
    ]
}

fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        2 => "[a-z]{1,8}@[a-z]{2,8}\\.no",
        1 => "[a-z]{1,8}",
    ]
}

fn row() -> impl Strategy<Value = Generated> {
    (name(), phone(), email()).prop_map(|(name, phone, email)| Generated { name, phone, email })
}

/// The file's bytes as a program would write them.
fn write(rows: &[Generated], delimiter: u8, crlf: bool, encoding: u8) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    writer
        .write_record(["Navn", "Telefon", "E-post"])
        .expect("header");
    for r in rows {
        writer
            .write_record([&r.name, &r.phone, &r.email])
            .expect("row");
    }
    let text = String::from_utf8(writer.into_inner().expect("flushed")).expect("utf-8");
    match encoding {
        0 => text.into_bytes(),
        1 => [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
        _ => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
            assert!(
                !unmappable,
                "the generator's characters are all in Windows-1252"
            );
            bytes.into_owned()
        }
    }
}

fn typed(r: &Generated) -> CustomerInput {
    CustomerInput {
        name: r.name.clone(),
        phones: vec![r.phone.clone()],
        email: Some(r.email.clone()),
        ..CustomerInput::default()
    }
}

fn parsed(input: &CustomerInput) -> Result<String, String> {
    parse_customer(
        CustomerId::from_uuid(Uuid::nil()),
        &owner(),
        Dataset::B2b,
        input,
    )
    .map(|c| format!("{:?}", c.details()))
    .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn every_row_is_taken_as_typed_or_reported_under_its_number(
        rows in prop::collection::vec(row(), 1..25),
        delimiter in prop::sample::select(vec![b',', b';', b'\t']),
        crlf in any::<bool>(),
        encoding in 0u8..3,
    ) {
        let bytes = write(&rows, delimiter, crlf, encoding);
        let prepared = prepare("kunder.csv", &bytes, &FileChoices::default(), &owner(), Dataset::B2b, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(prepared.csv.map(|c| c.delimiter), Some(char::from(delimiter)));
        prop_assert!(prepared.rows.refused.is_empty(), "{:?}", prepared.rows.refused);
        let expected_numbers: Vec<usize> = (2..rows.len() + 2).collect();
        prop_assert_eq!(&prepared.rows.numbers, &expected_numbers);
        for (r, input) in rows.iter().zip(&prepared.rows.inputs) {
            prop_assert_eq!(parsed(input), parsed(&typed(r)), "row {:?}", r);
        }
    }
}
