//! Why an import did not take a row, in the viewer's language: the import page's list of
//! rejected rows, the job's report and its downloadable file of rejected rows.
//!
//! The use case gives each reason as a value ([`RejectReason`]); English is its own text
//! (the API's, unchanged), and bokmål is written here from the same parts, each saying what
//! to fix in the file and naming the column (by the name the import page gives it) and the
//! value as the English does. The matches have no catch-all arm where the domain's errors
//! are enums: a new refusal does not compile until it has its bokmål.

use crate::i18n::{Lang, M};
use cube_app::rejected_rows::{CustomerInputError, RejectReason};
use cube_domain::customer::CustomerError;
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldError;
use cube_domain::import_match::{IdentityConflict, KeyHolder, MatchKey, RowKey};
use cube_domain::values::{EmailProblem, InvalidInput, PhoneProblem, ValueError};

/// `reason` as the viewer reads it: the use case's English, or bokmål.
pub(crate) fn reason(lang: Lang, reason: &RejectReason) -> String {
    match lang {
        Lang::En => reason.to_string(),
        Lang::Nb => bokmal(reason),
    }
}

fn bokmal(reason: &RejectReason) -> String {
    match reason {
        RejectReason::Invalid(invalid) => invalid_customer(invalid),
        RejectReason::SameAs(first) => format!(
            "samme kunde som rad {first} (samme eksterne id, organisasjonsnummer eller \
             telefonnummer); slå sammen de to radene, eller fjern den ene"
        ),
        RejectReason::PastDuplicateCheck => format!(
            "fila er større enn det én import kan sjekke for like kunder (radnummer opp til {}, \
             1 TiB eksterne id-er); del den i mindre filer",
            u32::MAX
        ),
        RejectReason::Register(conflict) => register(conflict),
        RejectReason::SpreadsheetError { cell, error } => {
            format!("cellen {cell} inneholder regnearkfeilen {error}; rett den i fila")
        }
        RejectReason::FieldCount { fields, header } => format!(
            "raden har {fields} felt, men overskriftsraden har {header}; sjekk skilletegnene og \
             anførselstegnene på raden"
        ),
    }
}

fn invalid_customer(invalid: &CustomerInputError) -> String {
    match invalid {
        CustomerInputError::Input(InvalidInput { field, error }) => {
            format!("{}: {}", column(field), value(error))
        }
        CustomerInputError::Field(error) => crm_field(error),
        CustomerInputError::Customer(error) => customer(error),
    }
}

/// An input field as the import page names its column (`phones[1]` is the row's second
/// phone number).
fn column(field: &str) -> String {
    let label = |m| Lang::Nb.t(m).to_owned();
    match field {
        "name" => label(M::TargetName),
        "email" => label(M::TargetEmail),
        "address" => label(M::TargetAddress),
        "registry_number" => label(M::TargetRegistryNumber),
        "external_id" => label(M::TargetExternalId),
        "phones[0]" => label(M::TargetPhone),
        other => match other
            .strip_prefix("phones[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
        {
            Some(i) => format!("{} {}", Lang::Nb.t(M::TargetPhone), i + 1),
            None => format!("«{other}»"),
        },
    }
}

/// What is wrong with a value, after the column's name.
fn value(error: &ValueError) -> String {
    match error {
        ValueError::Empty { .. } => "er tom; fyll den inn i fila".to_owned(),
        ValueError::TooLong { max, len, .. } => {
            format!("har {len} tegn, men høyst {max} er lov; kort ned teksten")
        }
        ValueError::NotNow { .. } => {
            "må være et tidspunkt som har vært (ikke fram i tid, ikke før 1900)".to_owned()
        }
        ValueError::OutOfRange { min, max, got, .. } => {
            format!("må være mellom {min} og {max}, men er {got}")
        }
        ValueError::ControlCharacter { found, .. } => {
            format!("inneholder kontrolltegnet {found}; fjern det")
        }
        ValueError::Phone { given, problem } => {
            format!(
                "telefonnummeret «{given}» er ikke gyldig: {}",
                phone_problem(*problem)
            )
        }
        ValueError::PhoneRegion(code) => {
            format!("«{code}» er ikke en landkode på to bokstaver, som NO eller SE")
        }
        ValueError::OrganisationNumber { given } => format!(
            "organisasjonsnummeret «{given}» er ikke gyldig: det siste sifferet er ikke \
             kontrollsifferet for de åtte foran (modulus 11); rett nummeret, eller la cellen \
             stå tom"
        ),
        ValueError::OrganisationNumberShape { given } => format!(
            "organisasjonsnummeret «{given}» er ikke gyldig: et norsk organisasjonsnummer har ni \
             sifre (som 974 760 673 eller NO 974760673 MVA); rett nummeret, eller la cellen stå \
             tom"
        ),
        ValueError::Email { given, problem } => format!(
            "e-postadressen «{given}» er ikke gyldig: {}",
            email_problem(problem)
        ),
    }
}

fn phone_problem(problem: PhoneProblem) -> &'static str {
    match problem {
        PhoneProblem::Characters => {
            "bruk sifre, gjerne med + først, og mellomrom, bindestrek, punktum eller parenteser"
        }
        PhoneProblem::TooLong => "det er for langt til å være et telefonnummer",
        PhoneProblem::NoCountry => "skriv landkoden foran, f.eks. +47 912 34 567",
        PhoneProblem::NotValid => "nummeret finnes ikke i landet sitt; sjekk sifrene og landkoden",
    }
}

fn email_problem(problem: &EmailProblem) -> String {
    match problem {
        EmailProblem::At => "den må ha nøyaktig én @ mellom navn og domene".to_owned(),
        EmailProblem::EmptyLocal => "navnet foran @ er tomt".to_owned(),
        EmailProblem::LocalTooLong => "navnet foran @ er lengre enn 64 byte".to_owned(),
        EmailProblem::TooLong => "adressen er lengre enn 254 byte".to_owned(),
        EmailProblem::Dots => "et punktum kan ikke stå først eller sist i navnet foran @, \
                               eller rett etter et annet punktum"
            .to_owned(),
        EmailProblem::LocalCharacter(c) => format!(
            "navnet foran @ kan ikke inneholde «{}»; bruk bokstaver, sifre, punktum og \
             ! # $ % & ' * + - / = ? ^ _ ` {{ | }} ~",
            c.escape_debug()
        ),
        EmailProblem::Control => {
            "den inneholder et kontrolltegn eller et usynlig tegn; skriv den inn på nytt".to_owned()
        }
        EmailProblem::Domain => "domenet etter @ må være ord av bokstaver, sifre og - med \
                                 ett punktum mellom, f.eks. eksempel.no"
            .to_owned(),
        EmailProblem::NumericTopLevel => {
            "den siste delen av domenet kan ikke være bare sifre".to_owned()
        }
    }
}

/// A CRM field's refusal, naming the field by its key as the English does.
fn crm_field(error: &FieldError) -> String {
    match error {
        FieldError::BadKey(key) => format!(
            "feltnøkkelen «{key}» er ikke gyldig: bruk 1 til 64 små bokstaver, sifre eller _, \
             og begynn med en bokstav"
        ),
        FieldError::BadChoices(key) => {
            format!("valgfeltet «{key}» trenger ett eller flere ulike valg som ikke er tomme")
        }
        FieldError::DuplicateKey(key) => format!("feltnøkkelen «{key}» er definert to ganger"),
        FieldError::Unknown(key) => format!(
            "dataeieren har ikke noe felt «{key}»; la kolonnen stå utenfor, eller velg et annet \
             felt for den"
        ),
        FieldError::Missing(key) => format!("feltet «{key}» må fylles ut; fyll det inn i fila"),
        FieldError::WrongType { key, expected, got } => format!(
            "feltet «{key}» skal være {}, men er «{got}»; rett verdien i fila",
            expected_value(expected)
        ),
        FieldError::Text { key, error } => format!("feltet «{key}» {}", value(error)),
        FieldError::NotAChoice {
            key,
            value,
            choices,
        } => format!("feltet «{key}» har ikke valget «{value}»; velg ett av: {choices}"),
    }
}

/// The kind of value a CRM field takes, as `FieldError::WrongType` says it in English
/// (`FieldType`'s words, one for each type).
fn expected_value(expected: &str) -> &str {
    match expected {
        "text" => "tekst",
        "a whole number" => "et heltall",
        "a decimal number" => "et desimaltall",
        "a date (YYYY-MM-DD)" => "en dato (ÅÅÅÅ-MM-DD)",
        "true or false" => "ja eller nei",
        "one of its choices" => "ett av valgene sine",
        other => other,
    }
}

fn customer(error: &CustomerError) -> String {
    match error {
        CustomerError::Field(error) => crm_field(error),
        CustomerError::UnknownField { dataset, key } => format!(
            "dataeieren har ikke noe felt «{key}» for {}; la kolonnen stå utenfor, eller velg \
             et annet felt for den",
            match dataset {
                Dataset::B2b => "bedrifter",
                Dataset::B2c => "personer",
            }
        ),
        CustomerError::WrongDataOwner => "kunden hører til en annen dataeier".to_owned(),
        CustomerError::NoContact => "raden har verken telefonnummer eller e-postadresse; en \
                                     kunde trenger minst ett av dem"
            .to_owned(),
        CustomerError::TooManyPhones { max, got } => format!(
            "{}: raden har {got} telefonnumre, men en kunde kan ha høyst {max}; fjern noen av dem",
            Lang::Nb.t(M::TargetPhone)
        ),
        CustomerError::Text { field, error } => format!("{}: {}", column(field), value(error)),
    }
}

/// A key of a row in bokmål: the key with its value, the key with "another" (`en annen
/// ekstern id`), the key alone with its article (`den eksterne id-en`), and the box the
/// import page ticks to match by it.
struct Key {
    with_value: String,
    another: &'static str,
    the: &'static str,
    match_by: M,
}

fn key(key: &RowKey) -> Key {
    let value = &key.value;
    match key.key {
        MatchKey::ExternalId => Key {
            with_value: format!("den eksterne id-en «{value}»"),
            another: "en annen ekstern id",
            the: "den eksterne id-en",
            match_by: M::MatchByExternalId,
        },
        MatchKey::RegistryNumber => Key {
            with_value: format!("organisasjonsnummeret {value}"),
            another: "et annet organisasjonsnummer",
            the: "organisasjonsnummeret",
            match_by: M::MatchByRegistryNumber,
        },
        MatchKey::Phone => Key {
            with_value: format!("telefonnummeret {value}"),
            another: "et annet telefonnummer",
            the: "telefonnummeret",
            match_by: M::MatchByPhone,
        },
    }
}

/// A customer as a refusal names it: by its external id, else by its id.
fn named(customer: &KeyHolder) -> String {
    match &customer.external_id {
        Some(id) => format!("kunden med ekstern id «{id}»"),
        None => format!("kunde {} (uten ekstern id)", customer.customer),
    }
}

fn dataset(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::B2b => "B2B-datasettet (bedrifter)",
        Dataset::B2c => "B2C-datasettet (personer)",
    }
}

/// What to choose on the import page to leave the customers already there as they are.
fn skip_matches() -> String {
    format!(
        "importer med «{}» valgt under «{}»",
        Lang::Nb.t(M::OnMatchSkip),
        Lang::Nb.t(M::OnMatch)
    )
}

fn register(conflict: &IdentityConflict) -> String {
    match conflict {
        IdentityConflict::PhoneOfOtherExternalId {
            phone,
            holder_external_id,
            row_external_id,
            ..
        } => format!(
            "telefonnummeret {phone} hører til kunden med ekstern id «{holder_external_id}», \
             ikke «{row_external_id}»; gi raden den eksterne id-en, eller fjern telefonnummeret \
             fra raden"
        ),
        IdentityConflict::PhoneOfOtherCustomer {
            phone,
            holder,
            matched,
        } => format!(
            "telefonnummeret {phone} hører til {}, mens raden er {}; ett nummer kan ikke høre \
             til begge: fjern nummeret fra raden, eller {}",
            named(holder),
            named(matched),
            skip_matches()
        ),
        IdentityConflict::RegistryNumberOfOtherExternalId {
            registry_number,
            holder_external_id,
            row_external_id,
            ..
        } => format!(
            "organisasjonsnummeret {registry_number} hører til kunden med ekstern id \
             «{holder_external_id}», ikke «{row_external_id}»; gi raden den eksterne id-en, \
             eller rett organisasjonsnummeret"
        ),
        IdentityConflict::KeyOfOtherCustomer {
            key: row_key,
            holder,
            matched,
        } => {
            let k = key(row_key);
            format!(
                "{} hører til {}, mens raden er {}; to kunder kan ikke ha samme verdi: rett \
                 eller fjern {} i raden, eller {}",
                k.with_value,
                named(holder),
                named(matched),
                k.the,
                skip_matches()
            )
        }
        IdentityConflict::NotMatchedBy {
            key: row_key,
            holder,
        } => {
            let k = key(row_key);
            format!(
                "{} hører til {}, og denne importen finner ikke kunder som finnes fra før ved \
                 «{}»: kryss av for «{}» også, eller fjern {} fra raden",
                k.with_value,
                named(holder),
                Lang::Nb.t(k.match_by),
                Lang::Nb.t(k.match_by),
                k.the
            )
        }
        IdentityConflict::OtherDataset {
            key: row_key,
            holder,
            row_dataset,
        } => {
            let k = key(row_key);
            format!(
                "kunden med {} er i {}, ikke i {}; importer raden i det datasettet, eller gi \
                 den {}",
                k.with_value,
                dataset(holder.dataset),
                dataset(*row_dataset),
                k.another
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::fields::{FieldDefinition, FieldKey, FieldType};
    use cube_domain::ids::CustomerId;
    use cube_domain::values::PhoneNumber;

    /// Words of the use case's English that a bokmål reason never holds.
    const ENGLISH: [&str; 10] = [
        " is not valid",
        " the ",
        " row ",
        " belongs to ",
        " expects ",
        " must ",
        " field ",
        " customer ",
        " number ",
        " has no ",
    ];

    fn check(reason: RejectReason, bokmal: &str) {
        let said = super::reason(Lang::Nb, &reason);
        assert_eq!(said, bokmal);
        for english in ENGLISH {
            assert!(!said.contains(english), "{english:?} in {said}");
        }
        assert_eq!(super::reason(Lang::En, &reason), reason.to_string());
    }

    fn input(field: &str, error: ValueError) -> RejectReason {
        RejectReason::Invalid(error.at(field).into())
    }

    #[test]
    fn a_rows_value_is_named_by_its_column_and_says_what_to_fix() {
        check(
            input(
                "phones[1]",
                ValueError::Phone {
                    given: "ring meg".into(),
                    problem: PhoneProblem::Characters,
                },
            ),
            "Telefon 2: telefonnummeret «ring meg» er ikke gyldig: bruk sifre, gjerne med + \
             først, og mellomrom, bindestrek, punktum eller parenteser",
        );
        check(
            input("name", ValueError::Empty { what: "name" }),
            "Navn: er tom; fyll den inn i fila",
        );
        check(
            input(
                "email",
                ValueError::Email {
                    given: "ikke en adresse".into(),
                    problem: EmailProblem::At,
                },
            ),
            "E-post: e-postadressen «ikke en adresse» er ikke gyldig: den må ha nøyaktig én @ \
             mellom navn og domene",
        );
        check(
            RejectReason::Invalid(CustomerError::NoContact.into()),
            "raden har verken telefonnummer eller e-postadresse; en kunde trenger minst ett av dem",
        );
    }

    #[test]
    fn every_crm_field_type_is_said_in_bokmal() {
        let key = FieldKey::parse("ansatte").expect("a key");
        for (field_type, raw, expected) in [
            (FieldType::Number, "mange", "et heltall"),
            (FieldType::Decimal, "litt", "et desimaltall"),
            (FieldType::Date, "i går", "en dato (ÅÅÅÅ-MM-DD)"),
            (FieldType::Boolean, "kanskje", "ja eller nei"),
        ] {
            let definition =
                FieldDefinition::new(key.clone(), "Ansatte", field_type, false).expect("a field");
            let error = definition.parse_text(raw).expect_err("refused");
            check(
                RejectReason::Invalid(error.into()),
                &format!(
                    "feltet «ansatte» skal være {expected}, men er «{raw}»; rett verdien i fila"
                ),
            );
        }
        let choice = FieldDefinition::new(
            key,
            "Ansatte",
            FieldType::Choice {
                choices: vec!["Få".into(), "Mange".into()],
            },
            false,
        )
        .expect("a field");
        check(
            RejectReason::Invalid(choice.parse_text("Noen").expect_err("refused").into()),
            "feltet «ansatte» har ikke valget «Noen»; velg ett av: Få, Mange",
        );
    }

    #[test]
    fn the_register_and_the_file_say_which_row_key_or_cell() {
        let holder = KeyHolder {
            customer: CustomerId::from_uuid(uuid::Uuid::nil()),
            external_id: Some("K-1".into()),
            dataset: Dataset::B2c,
        };
        check(
            RejectReason::Register(Box::new(IdentityConflict::PhoneOfOtherExternalId {
                phone: PhoneNumber::parse("+4791234567").expect("a number"),
                holder: holder.customer,
                holder_external_id: "K-1".into(),
                row_external_id: "K-2".into(),
            })),
            "telefonnummeret +4791234567 hører til kunden med ekstern id «K-1», ikke «K-2»; gi \
             raden den eksterne id-en, eller fjern telefonnummeret fra raden",
        );
        check(
            RejectReason::Register(Box::new(IdentityConflict::OtherDataset {
                key: RowKey {
                    key: MatchKey::RegistryNumber,
                    value: "974760673".into(),
                },
                holder,
                row_dataset: Dataset::B2b,
            })),
            "kunden med organisasjonsnummeret 974760673 er i B2C-datasettet (personer), ikke i \
             B2B-datasettet (bedrifter); importer raden i det datasettet, eller gi den et annet \
             organisasjonsnummer",
        );
        check(
            RejectReason::SameAs(2),
            "samme kunde som rad 2 (samme eksterne id, organisasjonsnummer eller telefonnummer); \
             slå sammen de to radene, eller fjern den ene",
        );
        check(
            RejectReason::FieldCount {
                fields: 2,
                header: 6,
            },
            "raden har 2 felt, men overskriftsraden har 6; sjekk skilletegnene og \
             anførselstegnene på raden",
        );
        check(
            RejectReason::SpreadsheetError {
                cell: "C7".into(),
                error: "#DIV/0!".into(),
            },
            "cellen C7 inneholder regnearkfeilen #DIV/0!; rett den i fila",
        );
    }
}
