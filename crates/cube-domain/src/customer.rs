//! A customer: a CRM record of a data owner, a company (B2B) or a person (B2C), with fixed
//! fields and the optional CRM field values checked against the data owner's definitions.

use crate::data_owner::{DataOwner, Dataset};
use crate::fields::{FieldError, FieldValues, check_values};
use crate::ids::{CustomerId, DataOwnerId};
use crate::values::{Email, Name, PhoneNumber};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a customer was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CustomerError {
    /// A custom field value does not fit its definition.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The customer belongs to another data owner.
    #[error("the customer belongs to another data owner")]
    WrongDataOwner,
    /// Nothing to call or write to.
    #[error("a customer needs at least one phone number or an e-mail address")]
    NoContact,
}

/// The fixed fields every customer has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetails {
    /// Company or person name.
    pub name: Name,
    /// Phone numbers, main number first.
    pub phones: Vec<PhoneNumber>,
    /// E-mail address.
    pub email: Option<Email>,
    /// Postal address.
    pub address: Option<String>,
    /// Organisation number (B2B) or person number (B2C).
    pub registry_number: Option<String>,
    /// The id in the system the customer was imported from; used to deduplicate imports.
    pub external_id: Option<String>,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    id: CustomerId,
    data_owner: DataOwnerId,
    dataset: Dataset,
    details: CustomerDetails,
    fields: FieldValues,
}

impl Customer {
    /// Creates a customer, checking the custom fields against the data owner's definitions.
    pub fn new(
        id: CustomerId,
        owner: &DataOwner,
        dataset: Dataset,
        details: CustomerDetails,
        fields: FieldValues,
    ) -> Result<Self, CustomerError> {
        if details.phones.is_empty() && details.email.is_none() {
            return Err(CustomerError::NoContact);
        }
        check_values(owner.fields(dataset), &fields)?;
        Ok(Self {
            id,
            data_owner: owner.id(),
            dataset,
            details,
            fields,
        })
    }

    /// Updates the fixed fields and custom values, checked as on creation.
    pub fn update(
        &mut self,
        owner: &DataOwner,
        details: CustomerDetails,
        fields: FieldValues,
    ) -> Result<(), CustomerError> {
        if owner.id() != self.data_owner {
            return Err(CustomerError::WrongDataOwner);
        }
        let updated = Self::new(self.id, owner, self.dataset, details, fields)?;
        *self = updated;
        Ok(())
    }

    /// The id.
    pub fn id(&self) -> CustomerId {
        self.id
    }
    /// The data owner.
    pub fn data_owner(&self) -> DataOwnerId {
        self.data_owner
    }
    /// Company or person.
    pub fn dataset(&self) -> Dataset {
        self.dataset
    }
    /// The fixed fields.
    pub fn details(&self) -> &CustomerDetails {
        &self.details
    }
    /// The custom field values.
    pub fn fields(&self) -> &FieldValues {
        &self.fields
    }
}
