//! Typed field definitions on the wire: a data owner's optional CRM fields and an
//! assignment's outcome fields are both a key, a label, a type (with choices for `choice`)
//! and whether a value is required.

use crate::error::ApiResult;
use crate::error::invalid_field;
use cube_domain::fields::{FieldDefinition, FieldKey, FieldType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The type of a CRM or outcome field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldTypeDto {
    /// Free text.
    Text,
    /// A whole number.
    Number,
    /// A decimal number.
    Decimal,
    /// A date.
    Date,
    /// Yes or no.
    Boolean,
    /// One of `choices`.
    Choice,
}

/// A typed field: an optional CRM field of a data owner, or an outcome field of an
/// assignment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDefinitionDto {
    /// 1 to 64 of `a-z`, `0-9`, `_`, starting with a letter (`industry`, `employees_2024`).
    pub key: String,
    /// The label shown to users.
    pub label: String,
    /// The type.
    #[serde(rename = "type")]
    pub field_type: FieldTypeDto,
    /// For `choice` fields: the distinct choices, in display order (one or more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Whether a value must be given.
    #[serde(default)]
    pub required: bool,
}

impl From<&FieldDefinition> for FieldDefinitionDto {
    fn from(d: &FieldDefinition) -> Self {
        let (field_type, choices) = match d.field_type() {
            FieldType::Text => (FieldTypeDto::Text, Vec::new()),
            FieldType::Number => (FieldTypeDto::Number, Vec::new()),
            FieldType::Decimal => (FieldTypeDto::Decimal, Vec::new()),
            FieldType::Date => (FieldTypeDto::Date, Vec::new()),
            FieldType::Boolean => (FieldTypeDto::Boolean, Vec::new()),
            FieldType::Choice { choices } => (FieldTypeDto::Choice, choices.clone()),
        };
        Self {
            key: d.key().to_string(),
            label: d.label().to_owned(),
            field_type,
            choices,
            required: d.required(),
        }
    }
}

impl FieldDefinitionDto {
    /// The domain's definition; errors name `at` (the field's path in the request).
    pub(crate) fn into_domain(self, at: &str) -> ApiResult<FieldDefinition> {
        let key = FieldKey::parse(&self.key).map_err(|e| invalid_field(format!("{at}.key"), e))?;
        let field_type = match self.field_type {
            FieldTypeDto::Choice => FieldType::Choice {
                choices: self.choices,
            },
            _ if !self.choices.is_empty() => {
                return Err(invalid_field(
                    format!("{at}.choices"),
                    "only a field of type `choice` has choices",
                ));
            }
            FieldTypeDto::Text => FieldType::Text,
            FieldTypeDto::Number => FieldType::Number,
            FieldTypeDto::Decimal => FieldType::Decimal,
            FieldTypeDto::Date => FieldType::Date,
            FieldTypeDto::Boolean => FieldType::Boolean,
        };
        FieldDefinition::new(key, self.label, field_type, self.required)
            .map_err(|e| invalid_field(format!("{at}.choices"), e))
    }
}

/// Converts a list of definitions; errors name `list[i]`.
pub(crate) fn definitions(
    list: &str,
    dtos: Vec<FieldDefinitionDto>,
) -> ApiResult<Vec<FieldDefinition>> {
    dtos.into_iter()
        .enumerate()
        .map(|(i, d)| d.into_domain(&format!("{list}[{i}]")))
        .collect()
}
