//! Which existing customer an import row is, decided by one rule for every store (issue 16:
//! "Duplicates merged or skipped by external id … or phone, as chosen").
//!
//! An external id and each phone number identify one customer in a data owner's register
//! ([`crate::customer::DuplicateCustomer`]). A row is matched by its external id, else by
//! the first of its phone numbers that a customer has. The store finds who holds each key
//! ([`RowKeys`], `CustomerRepository::import_row_keys`); [`RowKeys::decide`] then says what
//! the row is. A row is refused ([`IdentityConflict`]) rather than merged when merging would
//! break the rule:
//! - its external id is given, no customer has it, and a phone of the row belongs to a
//!   customer with **another** external id: taking the row would re-key that customer (its
//!   external id replaced, and the next import of the old file flipping it back); refused
//!   whatever the user chose for matches, since the row names a customer that is not there;
//! - the row would update the customer it matched (`OnMatch::Update`) while one of its phone
//!   numbers belongs to another customer: the update would give one number to two customers.
//!   A row told to leave matches as they are (`OnMatch::Skip`) changes nobody and is taken.
//!
//! A row without an external id that matches by phone merges into that customer (it is
//! updated, or left, as chosen), as does a row whose external id the phone's customer lacks
//! (it gets the row's external id).

use crate::customer::Customer;
use crate::ids::CustomerId;
use crate::ports::OnMatch;
use crate::values::PhoneNumber;
use std::fmt;

/// A customer of the data owner holding one of an import row's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    /// The customer.
    pub customer: CustomerId,
    /// Its external id, if it has one.
    pub external_id: Option<String>,
}

/// Who holds an import row's keys in the data owner's register, as the store found them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowKeys {
    /// The oldest customer with the row's external id.
    pub by_external_id: Option<KeyHolder>,
    /// For each phone number of the row that a customer has, in the row's order, the oldest
    /// customer with it.
    pub by_phone: Vec<(PhoneNumber, KeyHolder)>,
}

/// What an import row is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowMatch {
    /// No customer has any of its keys: a new customer.
    New,
    /// This existing customer (updated with the row, or left as it is, as chosen).
    Existing(CustomerId),
    /// Neither: taking it would break the rule that a key identifies one customer.
    Refused(IdentityConflict),
}

/// Why an import row is refused: one of its phone numbers belongs to another customer than
/// the one the row is. The message names the phone, the other customer and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityConflict {
    /// No customer has the row's external id, and its phone belongs to a customer with
    /// another external id.
    PhoneOfOtherExternalId {
        /// The phone number.
        phone: PhoneNumber,
        /// The customer who has it.
        holder: CustomerId,
        /// That customer's external id.
        holder_external_id: String,
        /// The row's external id.
        row_external_id: String,
    },
    /// The row updates the customer it matched, and its phone belongs to another customer.
    PhoneOfOtherCustomer {
        /// The phone number.
        phone: PhoneNumber,
        /// The customer who has it.
        holder: KeyHolder,
        /// The customer the row matched (by its external id, or an earlier phone).
        matched: KeyHolder,
    },
}

impl IdentityConflict {
    /// The customer holding the row's phone number.
    pub fn holder(&self) -> CustomerId {
        match self {
            IdentityConflict::PhoneOfOtherExternalId { holder, .. } => *holder,
            IdentityConflict::PhoneOfOtherCustomer { holder, .. } => holder.customer,
        }
    }
}

/// A customer as a message names it: by its external id, else by its id.
fn named(customer: &KeyHolder) -> String {
    match &customer.external_id {
        Some(id) => format!("the customer with external id '{id}'"),
        None => format!("customer {} (no external id)", customer.customer),
    }
}

impl fmt::Display for IdentityConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityConflict::PhoneOfOtherExternalId {
                phone,
                holder_external_id,
                row_external_id,
                ..
            } => write!(
                f,
                "phone {phone} belongs to the customer with external id '{holder_external_id}', \
                 not '{row_external_id}'; give the row that external id or remove the phone"
            ),
            IdentityConflict::PhoneOfOtherCustomer {
                phone,
                holder,
                matched,
            } => write!(
                f,
                "phone {phone} belongs to {}, while the row matches {}; one number cannot \
                 belong to both: remove the phone from the row, or import it with matches \
                 skipped",
                named(holder),
                named(matched),
            ),
        }
    }
}

impl std::error::Error for IdentityConflict {}

impl RowKeys {
    /// What `row` is, given who holds its keys and what the import does with a match.
    pub fn decide(&self, row: &Customer, on_match: OnMatch) -> RowMatch {
        let row_external_id = row.details().external_id.as_deref();
        let matched = match (&self.by_external_id, self.by_phone.first()) {
            (Some(holder), _) => holder,
            (None, None) => return RowMatch::New,
            (None, Some((phone, holder))) => {
                if let (Some(row_id), Some(holder_id)) = (row_external_id, &holder.external_id)
                    && row_id != holder_id
                {
                    return RowMatch::Refused(IdentityConflict::PhoneOfOtherExternalId {
                        phone: phone.clone(),
                        holder: holder.customer,
                        holder_external_id: holder_id.clone(),
                        row_external_id: row_id.to_owned(),
                    });
                }
                holder
            }
        };
        if on_match == OnMatch::Update
            && let Some((phone, holder)) = self
                .by_phone
                .iter()
                .find(|(_, holder)| holder.customer != matched.customer)
        {
            return RowMatch::Refused(IdentityConflict::PhoneOfOtherCustomer {
                phone: phone.clone(),
                holder: holder.clone(),
                matched: matched.clone(),
            });
        }
        RowMatch::Existing(matched.customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerDetails;
    use crate::data_owner::{DataOwner, Dataset};
    use crate::fields::FieldValues;
    use crate::ids::{DataOwnerId, OrganisationId};
    use crate::values::Name;
    use uuid::Uuid;

    fn id(n: u128) -> CustomerId {
        CustomerId::from_uuid(Uuid::from_u128(n))
    }

    fn phone(text: &str) -> PhoneNumber {
        PhoneNumber::parse(text).expect("a number")
    }

    fn row(external_id: Option<&str>, phones: &[&str]) -> Customer {
        let owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Eier").expect("a name"),
        );
        let details = CustomerDetails {
            name: Name::parse("Ola").expect("a name"),
            phones: phones.iter().map(|p| phone(p)).collect(),
            email: None,
            address: None,
            registry_number: None,
            external_id: external_id.map(str::to_owned),
        };
        Customer::new(id(99), &owner, Dataset::B2b, details, FieldValues::new()).expect("valid")
    }

    fn holder(n: u128, external_id: Option<&str>) -> KeyHolder {
        KeyHolder {
            customer: id(n),
            external_id: external_id.map(str::to_owned),
        }
    }

    /// `(row external id, row phones, who has the external id, who has each phone)` and
    /// what the row is, with matches updated and with them skipped.
    fn check(
        row_keys: (Option<&str>, &[&str]),
        by_external_id: Option<KeyHolder>,
        by_phone: &[(&str, KeyHolder)],
        expected: (RowMatch, RowMatch),
    ) {
        let keys = RowKeys {
            by_external_id,
            by_phone: by_phone
                .iter()
                .map(|(p, h)| (phone(p), h.clone()))
                .collect(),
        };
        let row = row(row_keys.0, row_keys.1);
        assert_eq!(
            (
                keys.decide(&row, OnMatch::Update),
                keys.decide(&row, OnMatch::Skip)
            ),
            expected
        );
    }

    #[test]
    fn a_row_is_its_external_ids_customer_else_its_first_phones() {
        use RowMatch::{Existing, New};
        check((Some("X1"), &["+4791234567"]), None, &[], (New, New));
        let x1 = holder(1, Some("X1"));
        check(
            (Some("X1"), &["+4791234567"]),
            Some(x1.clone()),
            &[("+4791234567", x1.clone())],
            (Existing(id(1)), Existing(id(1))),
        );
        // No external id: the phone's customer, whatever its external id.
        check(
            (None, &["+4791234567"]),
            None,
            &[("+4791234567", x1.clone())],
            (Existing(id(1)), Existing(id(1))),
        );
        // The phone's customer has no external id: it gets the row's.
        check(
            (Some("X2"), &["+4791234567"]),
            None,
            &[("+4791234567", holder(2, None))],
            (Existing(id(2)), Existing(id(2))),
        );
    }

    #[test]
    fn a_phone_of_a_customer_with_another_external_id_does_not_re_key_it() {
        let refused = RowMatch::Refused(IdentityConflict::PhoneOfOtherExternalId {
            phone: phone("+4791234567"),
            holder: id(1),
            holder_external_id: "X1".into(),
            row_external_id: "X2".into(),
        });
        check(
            (Some("X2"), &["+4791234567"]),
            None,
            &[("+4791234567", holder(1, Some("X1")))],
            (refused.clone(), refused.clone()),
        );
        assert_eq!(
            match refused {
                RowMatch::Refused(conflict) => conflict.to_string(),
                other => format!("{other:?}"),
            },
            "phone +4791234567 belongs to the customer with external id 'X1', not 'X2'; \
             give the row that external id or remove the phone"
        );
    }

    #[test]
    fn an_update_never_gives_one_phone_to_two_customers() {
        let x1 = holder(1, Some("X1"));
        let x2 = holder(2, Some("X2"));
        // The external id is customer 1's, the second phone customer 2's.
        let refused = RowMatch::Refused(IdentityConflict::PhoneOfOtherCustomer {
            phone: phone("+4791234568"),
            holder: x2.clone(),
            matched: x1.clone(),
        });
        check(
            (Some("X1"), &["+4791234567", "+4791234568"]),
            Some(x1.clone()),
            &[("+4791234567", x1.clone()), ("+4791234568", x2.clone())],
            (refused.clone(), RowMatch::Existing(id(1))),
        );
        // No external id, two phones of two customers.
        check(
            (None, &["+4791234567", "+4791234568"]),
            None,
            &[("+4791234567", x1.clone()), ("+4791234568", x2.clone())],
            (refused.clone(), RowMatch::Existing(id(1))),
        );
        let RowMatch::Refused(conflict) = refused else {
            unreachable!("refused above")
        };
        assert_eq!(conflict.holder(), id(2));
        assert_eq!(
            conflict.to_string(),
            "phone +4791234568 belongs to the customer with external id 'X2', while the row \
             matches the customer with external id 'X1'; one number cannot belong to both: \
             remove the phone from the row, or import it with matches skipped"
        );
    }
}
