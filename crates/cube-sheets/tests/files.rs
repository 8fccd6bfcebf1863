//! Real files, written by LibreOffice and by the shapes Norwegian Excel writes (see
//! `tests/files/README.md` for how each was made), read and mapped as the import reads them:
//! the same six customers whatever the format, every broken file a clear error, every bad
//! row a rejected row with its sheet row number.

use cube_app::customers::{CustomerInput, parse_customer};
use cube_domain::data_owner::{DataOwner, Dataset};
use cube_domain::fields::{FieldDefinition, FieldKey, FieldType};
use cube_domain::ids::{CustomerId, DataOwnerId, OrganisationId};
use cube_domain::values::Name;
use cube_sheets::mapping::Target;
use cube_sheets::read::{self, Cell, CsvOptions, FileError, Format, Limits};
use cube_sheets::{FileChoices, ImportFileError, PreparedFile, prepare};
use std::path::PathBuf;
use uuid::Uuid;

fn file(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/files")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn owner() -> DataOwner {
    let field = |key: &str, label: &str, field_type| {
        FieldDefinition::new(FieldKey::parse(key).expect("key"), label, field_type, false)
            .expect("field")
    };
    let mut owner = DataOwner::new(
        DataOwnerId::from_uuid(Uuid::nil()),
        OrganisationId::from_uuid(Uuid::nil()),
        Name::parse("Kunde AS").expect("name"),
    );
    owner
        .set_fields(
            Dataset::B2b,
            vec![
                field("bransje", "Bransje", FieldType::Text),
                field("ansatte", "Ansatte", FieldType::Number),
                field("startdato", "Startdato", FieldType::Date),
                field("omsetning", "Omsetning", FieldType::Decimal),
            ],
        )
        .expect("fields");
    owner
}

fn prepared(name: &str) -> Result<PreparedFile, ImportFileError> {
    prepare(
        name,
        &file(name),
        &FileChoices::default(),
        &owner(),
        Dataset::B2b,
        &Limits::default(),
    )
}

/// A customer as the use case parses it, in a form easy to compare.
fn parsed(input: &CustomerInput) -> Result<String, String> {
    let customer = parse_customer(
        CustomerId::from_uuid(Uuid::nil()),
        &owner(),
        Dataset::B2b,
        input,
    )
    .map_err(|e| e.to_string())?;
    let d = customer.details();
    let fields: Vec<String> = customer
        .fields()
        .iter()
        .map(|(k, v)| format!("{}={}", k.as_str(), v.display()))
        .collect();
    Ok(format!(
        "{} | {} | {} | {} | {} | {} | {}",
        d.name.as_str(),
        d.phones
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        d.email.as_ref().map_or("", |e| e.as_str()),
        d.address.as_deref().unwrap_or(""),
        d.registry_number.as_deref().unwrap_or(""),
        d.external_id.as_deref().unwrap_or(""),
        fields.join(" "),
    ))
}

fn customers(prepared: &PreparedFile) -> Vec<String> {
    prepared
        .rows
        .inputs
        .iter()
        .map(|input| parsed(input).unwrap_or_else(|e| panic!("{input:?}: {e}")))
        .collect()
}

const SIX: [&str; 6] = [
    "Bær & Sønn AS | +4791234567 +4798765432 | post@baer-sonn.no | Storgata 1, 0150 Oslo | 987654325 | K-1001 | ansatte=12 bransje=Bygg startdato=2024-03-15",
    "Østlandske Rør AS | +4791234568 | kontakt@ostlandske-ror.no | Rørleggerveien 7, 0468 Oslo | 923456783 | K-1002 | ansatte=34 bransje=Rørlegger startdato=2023-11-01",
    "Ærlige Åse ENK | +4791234569 +4741234567 | ase@aerlige-ase.no | Åsveien 3, 5003 Bergen | 812345672 | K-1003 | ansatte=1 bransje=Regnskap startdato=2025-01-02",
    "Kvalitet Bygg AS | +4791234570 |  | Kirkegata 15, 7010 Trondheim | 975312461 | K-1004 | ansatte=8 bransje=Bygg startdato=2022-06-30",
    "Blåbær Bakeri AS | +4722334455 +4745678901 | bestilling@blabaer.no | Bakkegata 22, 4006 Stavanger | 998877660 | K-1005 | ansatte=23 bransje=Bakeri startdato=2021-09-09",
    "Tromsø Isfiske AS | +4741234571 +4798765433 | firma@tromso-isfiske.no | Havnegata 5, 9008 Tromsø | 918273646 | K-1006 | ansatte=57 bransje=Fiske startdato=2020-12-31",
];

#[test]
fn the_same_six_customers_from_csv_xlsx_ods_and_xls() {
    for (name, format) in [
        ("customers.csv", Format::Csv),
        ("customers.xlsx", Format::Xlsx),
        ("customers.ods", Format::Ods),
        ("customers-bom-semicolon.csv", Format::Csv),
        ("customers-utf16-tab.txt", Format::Csv),
    ] {
        let prepared = prepared(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(prepared.format, format, "{name}");
        assert_eq!(prepared.header_row, 1, "{name}");
        assert_eq!(prepared.rows.numbers, vec![2, 3, 4, 5, 6, 7], "{name}");
        assert!(prepared.rows.refused.is_empty(), "{name}");
        assert_eq!(customers(&prepared), SIX, "{name}");
    }
}

#[test]
fn headers_suggest_the_contact_and_crm_fields() {
    let prepared = prepared("customers.xlsx").expect("reads");
    let targets: Vec<(String, Option<String>)> = prepared
        .columns
        .iter()
        .map(|c| (c.header.clone(), c.target.as_ref().map(Target::key)))
        .collect();
    let expected = [
        ("Navn", Some("name")),
        ("Telefon", Some("phone")),
        ("Mobil", Some("phone")),
        ("E-post", Some("email")),
        ("Adresse", Some("address")),
        ("Postnr", Some("postal_code")),
        ("Poststed", Some("city")),
        ("Orgnr", Some("registry_number")),
        ("Kundenr", Some("external_id")),
        ("Bransje", Some("field:bransje")),
        ("Ansatte", Some("field:ansatte")),
        ("Startdato", Some("field:startdato")),
    ]
    .map(|(h, t)| (h.to_owned(), t.map(str::to_owned)));
    assert_eq!(targets, expected);
}

#[test]
fn norwegian_excel_csv_in_windows_1252_with_quotes_and_comma_decimals() {
    let prepared = prepared("customers-semicolon-cp1252.csv").expect("reads");
    let shape = prepared.csv.expect("a CSV");
    assert_eq!((shape.delimiter, shape.encoding), (';', "windows-1252"));
    let got = customers(&prepared);
    assert!(got[0].starts_with("Bær & Sønn AS |"), "{}", got[0]);
    assert!(
        got[0].contains("Storgata 1\r\nBakgården, 0150 Oslo")
            || got[0].contains("Storgata 1\nBakgården, 0150 Oslo"),
        "{}",
        got[0]
    );
    assert!(got[0].contains("omsetning=1234.5 "), "{}", got[0]);
    assert!(got[3].starts_with("\"Kvalitet\" Bygg AS |"), "{}", got[3]);
    assert_eq!(prepared.rows.numbers, vec![2, 3, 4, 5, 6, 7]);
}

#[test]
fn empty_rows_in_the_middle_keep_the_sheet_row_numbers() {
    let prepared = prepared("empty-rows.xlsx").expect("reads");
    assert_eq!(prepared.rows.numbers, vec![2, 3, 6, 7, 8, 9]);
    assert_eq!(customers(&prepared), SIX);
}

#[test]
fn a_title_row_above_the_header_is_passed_over() {
    let prepared = prepared("merged-header.xlsx").expect("reads");
    assert_eq!(prepared.header_row, 2);
    assert_eq!(prepared.rows.numbers, vec![3, 4, 5, 6, 7, 8]);
    assert_eq!(customers(&prepared), SIX);
}

#[test]
fn wrong_cell_types_are_rejected_rows_with_their_numbers() {
    let prepared = prepared("wrong-types.xlsx").expect("reads");
    let results: Vec<(usize, Result<String, String>)> = prepared
        .rows
        .numbers
        .iter()
        .zip(&prepared.rows.inputs)
        .map(|(n, input)| (*n, parsed(input)))
        .collect();
    let good: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(good, vec![2, 7], "{results:#?}");
    let reasons: Vec<String> = results
        .into_iter()
        .filter_map(|(n, r)| r.err().map(|e| format!("{n}: {e}")))
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:#?}");
    assert!(
        reasons[0].starts_with("3: ") && reasons[0].contains("ring meg"),
        "{reasons:#?}"
    );
    assert!(
        reasons[1].starts_with("4: ") && reasons[1].contains("ikke en adresse"),
        "{reasons:#?}"
    );
    assert!(
        reasons[2].starts_with("5: ") && reasons[2].contains("mange"),
        "{reasons:#?}"
    );
    assert!(
        reasons[3].starts_with("6: ") && reasons[3].contains("name"),
        "{reasons:#?}"
    );
}

#[test]
fn the_first_sheet_is_used_and_another_can_be_chosen() {
    for name in ["two-sheets.xlsx", "two-sheets.ods"] {
        let prepared = prepared(name).expect("reads");
        let sheets: Vec<&str> = prepared.sheets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(sheets, ["Kunder", "Notater"], "{name}");
        assert_eq!(prepared.sheet, "Kunder");
        assert_eq!(customers(&prepared), SIX, "{name}");
        let notes = prepare(
            name,
            &file(name),
            &FileChoices {
                sheet: Some("Notater".into()),
                ..FileChoices::default()
            },
            &owner(),
            Dataset::B2b,
            &Limits::default(),
        );
        assert_eq!(
            notes.map(|p| p.sheet).map_err(|e| e.to_string()),
            Err(
                "no column is mapped to the name; choose the column that holds the customer's name"
                    .into()
            ),
            "{name}"
        );
        let missing = prepare(
            name,
            &file(name),
            &FileChoices {
                sheet: Some("Ark1".into()),
                ..FileChoices::default()
            },
            &owner(),
            Dataset::B2b,
            &Limits::default(),
        )
        .expect_err("no such sheet");
        assert!(missing.to_string().contains("Kunder, Notater"), "{missing}");
    }
}

#[test]
fn broken_files_are_clear_errors() {
    let error = |name: &str| {
        read::read(name, &file(name), CsvOptions::default(), &Limits::default()).expect_err(name)
    };
    assert!(
        matches!(error("truncated.xlsx"), FileError::BrokenZip(_)),
        "{}",
        error("truncated.xlsx")
    );
    assert_eq!(
        error("bomb.xlsx"),
        FileError::TooLargeUnpacked { limit_mb: 256 }
    );
    assert!(matches!(
        error("many-entries.xlsx"),
        FileError::TooManyEntries { limit: 10_000, .. }
    ));
    assert_eq!(error("not-a-sheet.xlsx"), FileError::NotText);
    for name in [
        "truncated.xlsx",
        "bomb.xlsx",
        "many-entries.xlsx",
        "not-a-sheet.xlsx",
    ] {
        let message = error(name).to_string();
        assert!(message.len() > 40, "{name}: {message}");
    }
}

#[test]
fn the_csv_edge_cases_parse_field_for_field() {
    let book = read::read(
        "edge.csv",
        &file("edge.csv"),
        CsvOptions::default(),
        &Limits::default(),
    )
    .expect("reads");
    let expected: Vec<Vec<String>> =
        serde_json::from_slice(&file("edge.expected.json")).expect("json");
    let got: Vec<Vec<String>> = book.sheets[0]
        .rows
        .iter()
        .map(|row| {
            row.cells
                .iter()
                .map(|c| match c {
                    Cell::Text(text) => text.clone(),
                    other => panic!("a CSV cell is text: {other:?}"),
                })
                .collect()
        })
        .collect();
    // A row of empty fields is an empty row: left out, as a spreadsheet shows nothing there.
    let expected: Vec<Vec<String>> = expected
        .into_iter()
        .filter(|r| r.iter().any(|f| !f.trim().is_empty()))
        .collect();
    assert_eq!(got, expected);
    assert!(book.sheets[0].broken_rows.is_empty());
}

/// The six customers' CSV with a quote opened before row 4's name and never closed: the
/// csv reader would take rows 4 to 7 as one field of row 4. Refused, naming row 4, read
/// whole or row by row from disk.
#[test]
fn a_quote_never_closed_in_the_fixture_is_refused_naming_its_row() {
    let text = String::from_utf8(file("customers.csv")).expect("utf-8");
    let broken = text.replacen("Ærlige Åse ENK", "\"Ærlige Åse ENK", 1);
    assert_ne!(broken, text);
    let expected = FileError::UnclosedQuote { row: 4 };
    assert_eq!(
        read::read(
            "kunder.csv",
            broken.as_bytes(),
            CsvOptions::default(),
            &Limits::default()
        )
        .err(),
        Some(expected.clone())
    );
    let path = std::env::temp_dir().join(format!("unclosed-quote-{}.csv", std::process::id()));
    std::fs::write(&path, &broken).expect("written");
    let csv = cube_sheets::stream::CsvFile::open(
        &path,
        "kunder.csv",
        CsvOptions::default(),
        &Limits::default(),
    )
    .expect("opens");
    let mut rows = csv.rows().expect("reads");
    let error = std::iter::from_fn(|| rows.next_item().transpose()).find_map(Result::err);
    let _ = std::fs::remove_file(&path);
    assert_eq!(error, Some(expected));
    // The file as it was reads all six rows.
    assert_eq!(
        customers(&prepared("customers.csv").expect("reads")).len(),
        6
    );
}

#[test]
fn ragged_rows_are_reported_not_guessed() {
    let prepared = prepared("ragged.csv").expect("reads");
    assert_eq!(prepared.rows.numbers, vec![2, 4, 6]);
    let refused: Vec<usize> = prepared.rows.refused.iter().map(|(n, _)| *n).collect();
    assert_eq!(refused, vec![3, 5]);
    assert!(
        prepared.rows.refused[0]
            .1
            .to_string()
            .contains("3 fields, the header row has 4")
    );
}

/// Files an outside test crafted to make the reader allocate without bound (each once
/// killed the server process): refused before the memory is taken, or read within bounds.
#[test]
fn crafted_files_are_refused_before_they_cost_memory() {
    let read =
        |name: &str| read::read(name, &file(name), CsvOptions::default(), &Limits::default());
    for name in [
        "crafted-sst-huge-count.xlsx",
        "crafted-sst-overflow-count.xlsx",
        "crafted-ods-repeat-50M.ods",
    ] {
        assert!(
            matches!(read(name), Err(FileError::Oversized(_))),
            "{name}: {:?}",
            read(name).map(|_| ())
        );
    }
    assert!(
        matches!(
            read("crafted-sparse-far.xlsx"),
            Err(FileError::TooManyColumns { .. })
        ),
        "{:?}",
        read("crafted-sparse-far.xlsx").map(|_| ())
    );
    assert_eq!(
        read("crafted-xls-killer.xls").map(|_| ()),
        Err(FileError::OldExcel)
    );
    assert_eq!(read("customers.xls").map(|_| ()), Err(FileError::OldExcel));
    assert!(read("crafted-laughs.xlsx").is_err());
    // A far but lone cell is one row, not a grid of a hundred million cells.
    let sparse = read("crafted-sparse-100M.xlsx").expect("reads");
    assert!(
        sparse.sheets[0].rows.len() <= 3,
        "{:?}",
        sparse.sheets[0].rows.len()
    );
    assert!(read("crafted-ods-ok.ods").is_ok());
}

#[test]
fn a_csv_row_wider_than_the_column_limit_is_refused() {
    let limits = Limits {
        max_columns: 4,
        ..Limits::default()
    };
    let refused = read::read(
        "t.csv",
        b"a,b,c,d,e\n1,2,3,4,5\n",
        CsvOptions::default(),
        &limits,
    );
    assert!(
        matches!(refused, Err(FileError::TooManyColumns { limit: 4, .. })),
        "{refused:?}"
    );
}

/// The second outside test's files: ways around the first checks (a decoy comment, padding,
/// single quotes, another case or folder for the shared strings; one long text shown by many
/// cells; many sheets naming one worksheet; `.ods` values without a type, escaped repeat
/// counts, a billion spaces, a long text repeated). Each is refused before it costs memory.
#[test]
fn ways_around_the_first_checks_are_refused_too() {
    let read = |name: &str| {
        read::read(name, &file(name), CsvOptions::default(), &Limits::default()).map(|_| ())
    };
    for name in [
        "crafted2-sst-comment-decoy.xlsx",
        "crafted2-sst-padded.xlsx",
        "crafted2-sst-squote.xlsx",
        "crafted2-sst-case.xlsx",
        "crafted2-sst-otherdir.xlsx",
        "crafted2-sst-amp-40MBx10.xlsx",
        "crafted2-multisheet-100MBx30.xlsx",
        "crafted2-ods-novt-20M.ods",
        "crafted2-ods-entity-20M.ods",
        "crafted2-ods-plain-20M.ods",
        "crafted2-ods-texts-1G.ods",
        "crafted2-ods-valrep-10KBx200k.ods",
        "crafted2-ods-25tables.ods",
    ] {
        assert!(
            matches!(read(name), Err(FileError::Oversized(_))),
            "{name}: {:?}",
            read(name)
        );
    }
    // `count` is every reference to a shared text, not distinct ones: not a reason to refuse.
    assert_eq!(read("crafted2-sst-count-5M.xlsx"), Ok(()));
    assert_eq!(read("crafted2-sst-control.xlsx"), Ok(()));
    assert_eq!(read("crafted2-ods-control.ods"), Ok(()));
}

/// The fixture workbook with `sheet` and `strings` rewritten by `change`, zipped again.
fn rewritten_xlsx(change: impl Fn(&str, String) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let bytes = file("customers.xlsx");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("an entry");
        let name = entry.name().expect("a name").into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("text");
        let text = change(&name, text);
        out.start_file(
            name.as_str(),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .expect("starts");
        out.write_all(text.as_bytes()).expect("writes");
    }
    out.finish().expect("zipped").into_inner()
}

/// A cell longer than a spreadsheet cell holds (Excel's 32,767 characters) is refused before
/// a reader holds it, as an inline text in the sheet (an outside test's 205 KB file of one
/// 200 MB text grew the server by 600 MB) and in the shared strings; a cell at the limit
/// reads.
#[test]
fn a_cell_longer_than_a_spreadsheet_holds_is_refused_before_it_is_read() {
    let read = |bytes: &[u8]| {
        read::read(
            "lang.xlsx",
            bytes,
            CsvOptions::default(),
            &Limits::default(),
        )
    };
    let inline = |text: &str| {
        let text = text.to_owned();
        rewritten_xlsx(move |name, xml| {
            if name != "xl/worksheets/sheet1.xml" {
                return xml;
            }
            // Before the end of the sheet's second row.
            let first = xml.find("</row>").expect("a row") + "</row>".len();
            let second = first + xml[first..].find("</row>").expect("a second row");
            let cell = format!(r#"<c r="Z2" t="inlineStr"><is><t>{text}</t></is></c>"#);
            format!("{}{cell}{}", &xml[..second], &xml[second..])
        })
    };
    let huge = "A".repeat(20_000_000);
    let crafted = inline(&huge);
    assert!(crafted.len() < 200_000, "{} bytes", crafted.len());
    let refused = read(&crafted);
    assert!(
        matches!(&refused, Err(FileError::Oversized(why)) if why.contains("32767")),
        "{:?}",
        refused.map(|_| ())
    );
    let in_strings = rewritten_xlsx(|name, xml| {
        if name == "xl/sharedStrings.xml" {
            let changed = xml.replacen(">Navn<", &format!(">Navn{}<", "B".repeat(20_000_000)), 1);
            assert_ne!(changed, xml, "the header's text is in the shared strings");
            changed
        } else {
            xml
        }
    });
    assert!(
        matches!(read(&in_strings), Err(FileError::Oversized(_))),
        "{:?}",
        read(&in_strings).map(|_| ())
    );
    // A cell at the limit is a cell a spreadsheet program writes: read.
    let at_limit = read(&inline(&"C".repeat(32_767))).expect("reads");
    assert!(
        at_limit.sheets[0].rows.iter().any(|row| row
            .cells
            .iter()
            .any(|c| matches!(c, Cell::Text(t) if t.len() == 32_767))),
        "the long cell is read"
    );
}
