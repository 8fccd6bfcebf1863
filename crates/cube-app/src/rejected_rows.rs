//! The rows an import does not take, and why, as values rather than sentences: a row's
//! value that does not parse, a row that is the same customer as an earlier one, a row the
//! data owner's register refuses, a row the file itself makes unreadable (a spreadsheet
//! error in a mapped cell, a CSV row with another number of fields than the header).
//!
//! Each [`RejectReason`] says itself in English (its `Display`: the text the API has always
//! given, which its tests pin); an adapter that speaks another language to its user (the web
//! app's bokmål pages) matches on the reason and writes its own sentence from the same parts.

use cube_domain::customer::CustomerError;
use cube_domain::fields::FieldError;
use cube_domain::import_match::IdentityConflict;
use cube_domain::values::InvalidInput;
use thiserror::Error;

/// A row an import did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row number (1 = first data row).
    pub row: usize,
    /// What is wrong with it.
    pub reason: RejectReason,
}

/// Why an import did not take a row.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RejectReason {
    /// The row's values are not a customer: a value that does not parse, or a customer
    /// without a phone number and an e-mail address.
    #[error(transparent)]
    Invalid(#[from] CustomerInputError),
    /// An earlier row of the file has one of the row's keys (external id, organisation
    /// number, phone number): that row.
    #[error("the same customer as row {0} (same external id, organisation number or phone number)")]
    SameAs(usize),
    /// The file is past what the in-file duplicate check holds (a row number past
    /// `u32::MAX`, more than 1 TiB of external ids).
    #[error(
        "the file is past what one import checks for duplicates (row numbers up to {max}, \
         1 TiB of external ids); split it into smaller files",
        max = u32::MAX
    )]
    PastDuplicateCheck,
    /// The data owner's register refuses the row: a key of it belongs to another customer
    /// than the one it is, or that customer is of the other dataset. Boxed: the conflict names
    /// two customers, and a row's reason stays small (a file's first pass lists thousands).
    #[error(transparent)]
    Register(Box<IdentityConflict>),
    /// A cell the mapping reads holds a spreadsheet error (`#DIV/0!`, `#REF!`).
    #[error("cell {cell} holds the spreadsheet error {error}; correct it in the file")]
    SpreadsheetError {
        /// The cell, as a spreadsheet names it (`C7`).
        cell: String,
        /// The error as the spreadsheet writes it.
        error: String,
    },
    /// A CSV row with another number of fields than the header row.
    #[error(
        "the row has {fields} fields, the header row has {header}; check the separators and \
         quotes on that row"
    )]
    FieldCount {
        /// The row's fields.
        fields: usize,
        /// The header row's fields.
        header: usize,
    },
}

/// Why a customer's input (a form, an import row) is not a customer: a fixed field's value
/// that does not parse (named by its input field), a CRM value that does not fit its field,
/// or a customer the rules refuse (no contact, too many phones, an unknown field).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CustomerInputError {
    /// A fixed field's value (`name`, `email`, `phones[0]`, `registry_number`).
    #[error(transparent)]
    Input(#[from] InvalidInput),
    /// A CRM field's key or value.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The customer as a whole.
    #[error(transparent)]
    Customer(#[from] CustomerError),
}

impl From<CustomerInputError> for crate::AppError {
    fn from(error: CustomerInputError) -> Self {
        match error {
            CustomerInputError::Input(e) => e.into(),
            CustomerInputError::Field(e) => e.into(),
            CustomerInputError::Customer(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::values::ValueError;

    #[test]
    fn each_reason_says_itself_as_the_api_always_said_it() {
        assert_eq!(
            RejectReason::SameAs(4).to_string(),
            "the same customer as row 4 (same external id, organisation number or phone number)"
        );
        assert_eq!(
            RejectReason::PastDuplicateCheck.to_string(),
            "the file is past what one import checks for duplicates (row numbers up to \
             4294967295, 1 TiB of external ids); split it into smaller files"
        );
        assert_eq!(
            RejectReason::SpreadsheetError {
                cell: "C7".into(),
                error: "#DIV/0!".into()
            }
            .to_string(),
            "cell C7 holds the spreadsheet error #DIV/0!; correct it in the file"
        );
        assert_eq!(
            RejectReason::FieldCount {
                fields: 2,
                header: 3
            }
            .to_string(),
            "the row has 2 fields, the header row has 3; check the separators and quotes on that row"
        );
        let phone = ValueError::Empty { what: "name" }.at("name");
        assert_eq!(
            RejectReason::from(CustomerInputError::from(phone.clone())).to_string(),
            phone.to_string()
        );
        assert_eq!(
            RejectReason::from(CustomerInputError::from(CustomerError::NoContact)).to_string(),
            CustomerError::NoContact.to_string()
        );
    }
}
