//! Typed fields. The same machinery serves the data owner's optional CRM fields and the
//! assignment's outcome fields: a definition (key, label, type, required) and values checked
//! against it. Values are checked once, when they enter, so stored values are always typed.

use crate::values::{Lines, ValueError, clean_text, excerpt};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;
use time::Date;
use unicode_normalization::UnicodeNormalization;

/// Why a field definition or value was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldError {
    /// Field keys are short identifiers so they can be merge fields in templates.
    #[error(
        "field key '{0}' is not valid: use 1 to 64 lower-case letters, digits or '_', starting with a letter"
    )]
    BadKey(String),
    /// A choice field needs at least one choice, and choices must be unique.
    #[error("choice field '{0}' needs one or more distinct, non-empty choices")]
    BadChoices(String),
    /// Two definitions share a key.
    #[error("field key '{0}' is defined twice")]
    DuplicateKey(String),
    /// A value was given for a field that is not defined.
    #[error("there is no field '{0}'")]
    Unknown(String),
    /// A required field was not given.
    #[error("field '{0}' is required")]
    Missing(String),
    /// A value of the wrong type.
    #[error("field '{key}' expects {expected}, got {got}")]
    WrongType {
        /// The field.
        key: String,
        /// The type the definition says.
        expected: &'static str,
        /// What was given.
        got: String,
    },
    /// A text value, label or choice with control characters or too long.
    #[error("field '{key}': {error}")]
    Text {
        /// The field.
        key: String,
        /// Why.
        error: ValueError,
    },
    /// A choice that is not on the list.
    #[error("field '{key}' has no choice '{value}'; choose one of: {choices}")]
    NotAChoice {
        /// The field.
        key: String,
        /// The value given.
        value: String,
        /// The allowed choices, comma separated.
        choices: String,
    },
}

/// A field's key: 1–64 of `[a-z0-9_]`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FieldKey(String);

impl FieldKey {
    /// Parses a key such as `industry` or `employees_2024`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok = (1..=64).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::BadKey(raw.to_owned()))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FieldKey {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FieldKey> for String {
    fn from(value: FieldKey) -> Self {
        value.0
    }
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The type of a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text,
    /// A whole number.
    Number,
    /// A decimal number (amounts, ratios).
    Decimal,
    /// A calendar date.
    Date,
    /// Yes or no.
    Boolean,
    /// One of a fixed list of choices.
    Choice {
        /// The allowed choices, in display order.
        choices: Vec<String>,
    },
}

impl FieldType {
    fn describe(&self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "a whole number",
            FieldType::Decimal => "a decimal number",
            FieldType::Date => "a date (YYYY-MM-DD)",
            FieldType::Boolean => "true or false",
            FieldType::Choice { .. } => "one of its choices",
        }
    }
}

/// A typed value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    /// Free text.
    Text(String),
    /// A whole number.
    Number(i64),
    /// A decimal number.
    Decimal(Decimal),
    /// A date.
    Date(Date),
    /// Yes or no.
    Boolean(bool),
    /// A chosen option.
    Choice(String),
}

impl FieldValue {
    /// The value as text, for analysis groups, exports and merge fields.
    pub fn display(&self) -> String {
        match self {
            FieldValue::Text(s) | FieldValue::Choice(s) => s.clone(),
            FieldValue::Number(n) => n.to_string(),
            FieldValue::Decimal(d) => d.normalize().to_string(),
            FieldValue::Date(d) => d.to_string(),
            FieldValue::Boolean(b) => if *b { "yes" } else { "no" }.to_owned(),
        }
    }
}

/// The longest text value of a text field, in characters (line breaks allowed).
pub const MAX_TEXT_VALUE: usize = 1000;
/// The longest label or choice, in characters (one line).
pub const MAX_LABEL: usize = 100;

/// A field definition: a CRM field of a data owner, or an outcome field of an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDefinition {
    key: FieldKey,
    label: String,
    field_type: FieldType,
    required: bool,
}

impl FieldDefinition {
    /// Defines a field; choice fields need at least one distinct, non-empty choice. The label
    /// and the choices are one-line texts of at most `MAX_LABEL` characters (`clean_text`).
    pub fn new(
        key: FieldKey,
        label: impl Into<String>,
        field_type: FieldType,
        required: bool,
    ) -> Result<Self, FieldError> {
        let text = |what, raw: &str| {
            clean_text(what, raw, MAX_LABEL, Lines::One).map_err(|error| FieldError::Text {
                key: key.0.clone(),
                error,
            })
        };
        let label = text("the label", &label.into())?;
        let field_type = match field_type {
            FieldType::Choice { choices } => FieldType::Choice {
                choices: choices
                    .iter()
                    .map(|c| text("a choice", c))
                    .collect::<Result<_, _>>()?,
            },
            other => other,
        };
        if let FieldType::Choice { choices } = &field_type {
            let mut seen = std::collections::BTreeSet::new();
            let distinct = choices
                .iter()
                .all(|c| !c.trim().is_empty() && seen.insert(c.as_str()));
            if choices.is_empty() || !distinct {
                return Err(FieldError::BadChoices(key.0));
            }
        }
        Ok(Self {
            key,
            label,
            field_type,
            required,
        })
    }

    /// The key.
    pub fn key(&self) -> &FieldKey {
        &self.key
    }
    /// The label shown to users.
    pub fn label(&self) -> &str {
        &self.label
    }
    /// The type.
    pub fn field_type(&self) -> &FieldType {
        &self.field_type
    }
    /// Whether a value must be given.
    pub fn required(&self) -> bool {
        self.required
    }

    /// Checks a value against this definition.
    pub fn check(&self, value: &FieldValue) -> Result<(), FieldError> {
        let matches = matches!(
            (&self.field_type, value),
            (FieldType::Text, FieldValue::Text(_))
                | (FieldType::Number, FieldValue::Number(_))
                | (FieldType::Decimal, FieldValue::Decimal(_))
                | (FieldType::Date, FieldValue::Date(_))
                | (FieldType::Boolean, FieldValue::Boolean(_))
                | (FieldType::Choice { .. }, FieldValue::Choice(_))
        );
        if !matches {
            return Err(FieldError::WrongType {
                key: self.key.0.clone(),
                expected: self.field_type.describe(),
                got: excerpt(&value.display()),
            });
        }
        if let FieldValue::Text(text) = value {
            clean_text("the text", text, MAX_TEXT_VALUE, Lines::Many).map_err(|error| {
                FieldError::Text {
                    key: self.key.0.clone(),
                    error,
                }
            })?;
        }
        if let (FieldType::Choice { choices }, FieldValue::Choice(v)) = (&self.field_type, value)
            && !choices.contains(v)
        {
            return Err(FieldError::NotAChoice {
                key: self.key.0.clone(),
                value: v.clone(),
                choices: choices.join(", "),
            });
        }
        Ok(())
    }

    /// Parses text (a spreadsheet cell, a form value) into a value of this field's type.
    /// Text values are cleaned (`clean_text`: NFC, no control characters but line breaks, at
    /// most `MAX_TEXT_VALUE` characters).
    pub fn parse_text(&self, raw: &str) -> Result<FieldValue, FieldError> {
        let raw = raw.trim();
        let wrong = || FieldError::WrongType {
            key: self.key.0.clone(),
            expected: self.field_type.describe(),
            got: excerpt(raw),
        };
        let value = match &self.field_type {
            FieldType::Text => FieldValue::Text(
                clean_text("the text", raw, MAX_TEXT_VALUE, Lines::Many).map_err(|error| {
                    FieldError::Text {
                        key: self.key.0.clone(),
                        error,
                    }
                })?,
            ),
            FieldType::Number => FieldValue::Number(raw.parse().map_err(|_| wrong())?),
            FieldType::Decimal => {
                FieldValue::Decimal(raw.replace(',', ".").parse().map_err(|_| wrong())?)
            }
            FieldType::Date => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                FieldValue::Date(Date::parse(raw, format).map_err(|_| wrong())?)
            }
            FieldType::Boolean => match raw.to_lowercase().as_str() {
                "true" | "yes" | "ja" | "1" => FieldValue::Boolean(true),
                "false" | "no" | "nei" | "0" => FieldValue::Boolean(false),
                _ => return Err(wrong()),
            },
            FieldType::Choice { .. } => FieldValue::Choice(raw.nfc().collect()),
        };
        self.check(&value)?;
        Ok(value)
    }
}

/// Values by field key.
pub type FieldValues = BTreeMap<FieldKey, FieldValue>;

/// Checks a set of definitions has no duplicate keys.
pub fn check_definitions(definitions: &[FieldDefinition]) -> Result<(), FieldError> {
    let mut seen = std::collections::BTreeSet::new();
    for definition in definitions {
        if !seen.insert(definition.key()) {
            return Err(FieldError::DuplicateKey(definition.key().0.clone()));
        }
    }
    Ok(())
}

/// Checks `values` against `definitions`: every key defined, every value of its type, every
/// required field present.
pub fn check_values(
    definitions: &[FieldDefinition],
    values: &FieldValues,
) -> Result<(), FieldError> {
    for (key, value) in values {
        let definition = definitions
            .iter()
            .find(|d| d.key() == key)
            .ok_or_else(|| FieldError::Unknown(key.0.clone()))?;
        definition.check(value)?;
    }
    if let Some(missing) = definitions
        .iter()
        .find(|d| d.required && !values.contains_key(&d.key))
    {
        return Err(FieldError::Missing(missing.key.0.clone()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> FieldKey {
        FieldKey::parse(k).expect("valid key")
    }

    fn platform() -> FieldDefinition {
        let choices = vec!["Teams".to_owned(), "Zoom".to_owned()];
        FieldDefinition::new(
            key("platform"),
            "Video platform",
            FieldType::Choice { choices },
            true,
        )
        .expect("valid")
    }

    #[test]
    fn keys_are_identifiers() {
        assert!(FieldKey::parse("employees_2024").is_ok());
        for bad in ["", "1abc", "Industry", "with space", &"a".repeat(65)] {
            assert!(FieldKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn required_choice_fields_are_checked() {
        let defs = vec![platform()];
        let mut values = FieldValues::new();
        assert_eq!(
            check_values(&defs, &values),
            Err(FieldError::Missing("platform".into()))
        );
        values.insert(key("platform"), FieldValue::Choice("Skype".into()));
        assert!(matches!(
            check_values(&defs, &values),
            Err(FieldError::NotAChoice { .. })
        ));
        values.insert(key("platform"), FieldValue::Choice("Zoom".into()));
        assert_eq!(check_values(&defs, &values), Ok(()));
        values.insert(key("other"), FieldValue::Boolean(true));
        assert_eq!(
            check_values(&defs, &values),
            Err(FieldError::Unknown("other".into()))
        );
    }

    #[test]
    fn text_is_parsed_into_the_field_type() {
        let employees =
            FieldDefinition::new(key("employees"), "Employees", FieldType::Number, false)
                .expect("ok");
        assert_eq!(employees.parse_text(" 42 "), Ok(FieldValue::Number(42)));
        assert!(employees.parse_text("many").is_err());
        let revenue =
            FieldDefinition::new(key("revenue"), "Revenue", FieldType::Decimal, false).expect("ok");
        assert_eq!(
            revenue.parse_text("12,5"),
            Ok(FieldValue::Decimal(Decimal::new(125, 1)))
        );
        let founded =
            FieldDefinition::new(key("founded"), "Founded", FieldType::Date, false).expect("ok");
        assert!(founded.parse_text("2024-02-30").is_err());
        assert!(founded.parse_text("2024-02-29").is_ok());
    }

    #[test]
    fn text_values_are_clean_and_bounded() {
        let notes =
            FieldDefinition::new(key("notes"), "Notes", FieldType::Text, false).expect("ok");
        assert_eq!(
            notes.parse_text(" Ga\u{30a}rd\r\nline two "),
            Ok(FieldValue::Text("Gård\nline two".into()))
        );
        for bad in ["nul\0", "bell\u{7}"] {
            assert!(
                matches!(notes.parse_text(bad), Err(FieldError::Text { .. })),
                "{bad:?}"
            );
            assert!(
                notes.check(&FieldValue::Text(bad.into())).is_err(),
                "{bad:?}"
            );
        }
        let long = "x".repeat(MAX_TEXT_VALUE + 1);
        assert!(notes.parse_text(&long).is_err());
        let err = notes.check(&FieldValue::Text(long)).expect_err("too long");
        assert!(err.to_string().len() < 200, "{err}");
        assert!(FieldDefinition::new(key("x"), "La\0bel", FieldType::Text, false).is_err());
        let choices = vec!["A\tB".to_owned()];
        assert!(FieldDefinition::new(key("x"), "X", FieldType::Choice { choices }, false).is_err());
    }

    #[test]
    fn choice_lists_must_be_distinct() {
        let choices = vec!["A".to_owned(), "A".to_owned()];
        assert!(FieldDefinition::new(key("x"), "X", FieldType::Choice { choices }, false).is_err());
        assert!(
            FieldDefinition::new(key("x"), "X", FieldType::Choice { choices: vec![] }, false)
                .is_err()
        );
    }
}
