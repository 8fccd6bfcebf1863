//! Which existing customer an import row is, decided by one rule for every store (issue 16:
//! "Duplicates merged or skipped by external id, organisation number or phone, as chosen").
//!
//! An external id, a company's organisation number (as its key: `values::registry_key`) and
//! each phone number identify one customer in a data owner's register
//! ([`crate::customer::DuplicateCustomer`]). The import chooses which of them find a row's
//! customer ([`MatchKeys`]; all three unless told): a row is matched by its external id,
//! else by its organisation number, else by the first of its phone numbers that a customer
//! has, each only if chosen. The store finds who holds each key ([`RowKeys`],
//! `CustomerRepository::import_row_keys`); [`RowKeys::decide`] then says what the row is. A
//! row is refused ([`IdentityConflict`]) rather than merged when merging would break the rule:
//! - the customer it matched is in the other dataset: a consumer is not made a company by a
//!   list of companies, nor the other way round;
//! - its external id is given, and it matched (by organisation number or phone) a customer
//!   with **another** external id: taking the row would re-key that customer (its external
//!   id replaced, and the next import of the old file flipping it back); refused whatever
//!   the user chose for matches, since the row names a customer that is not there;
//! - the row would update the customer it matched (`OnMatch::Update`) while its external id,
//!   organisation number or one of its phone numbers belongs to another customer: the
//!   update would give one key to two customers. A row told to leave matches as they are
//!   (`OnMatch::Skip`) changes nobody and is taken;
//! - it matched nobody by the keys chosen, yet a key it has (one not chosen) belongs to a
//!   customer: creating it would give that key to two customers.
//!
//! A row without an external id that matches by organisation number or phone merges into
//! that customer (it is updated, or left, as chosen), as does a row whose external id the
//! matched customer lacks (it gets the row's external id).

use crate::customer::Customer;
use crate::data_owner::Dataset;
use crate::ids::CustomerId;
use crate::ports::OnMatch;
use crate::values::PhoneNumber;
use std::fmt;

/// A key an import row may be matched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKey {
    /// The external id (the id in the system the list came from).
    ExternalId,
    /// A company's organisation number.
    RegistryNumber,
    /// A phone number.
    Phone,
}

impl MatchKey {
    /// Every key, in the order a row is matched by them.
    pub const ALL: [MatchKey; 3] = [
        MatchKey::ExternalId,
        MatchKey::RegistryNumber,
        MatchKey::Phone,
    ];

    /// The name the API uses: `external_id`, `registry_number`, `phone`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKey::ExternalId => "external_id",
            MatchKey::RegistryNumber => "registry_number",
            MatchKey::Phone => "phone",
        }
    }

    /// A key by its API name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    /// What a message calls it.
    pub fn what(self) -> &'static str {
        match self {
            MatchKey::ExternalId => "external id",
            MatchKey::RegistryNumber => "organisation number",
            MatchKey::Phone => "phone",
        }
    }

    fn bit(self) -> u8 {
        match self {
            MatchKey::ExternalId => 1,
            MatchKey::RegistryNumber => 2,
            MatchKey::Phone => 4,
        }
    }
}

/// The keys an import matches rows by: a set of [`MatchKey`], never empty (all three unless
/// the user chose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatchKeys(u8);

/// Why a choice of keys to match by is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchKeysError {
    /// A name that is no key.
    #[error(
        "`match_by`: '{0}' is not a key to match by; use external_id, registry_number or phone"
    )]
    Unknown(String),
    /// No key at all.
    #[error(
        "`match_by`: choose at least one key to match rows by (external_id, registry_number, \
         phone)"
    )]
    Empty,
}

impl Default for MatchKeys {
    fn default() -> Self {
        Self::ALL
    }
}

impl MatchKeys {
    /// Every key.
    pub const ALL: MatchKeys = MatchKeys(7);

    /// The set of `keys`; refused when empty.
    pub fn of(keys: impl IntoIterator<Item = MatchKey>) -> Result<Self, MatchKeysError> {
        let bits = keys.into_iter().fold(0, |bits, k| bits | k.bit());
        if bits == 0 {
            return Err(MatchKeysError::Empty);
        }
        Ok(Self(bits))
    }

    /// The set named by `names` (`external_id`, `registry_number`, `phone`, each once or
    /// more); refused when a name is no key or none is given.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, MatchKeysError> {
        let keys = names
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| MatchKey::parse(n).ok_or_else(|| MatchKeysError::Unknown(n.to_owned())))
            .collect::<Result<Vec<_>, _>>()?;
        Self::of(keys)
    }

    /// Whether rows are matched by `key`.
    pub fn contains(self, key: MatchKey) -> bool {
        self.0 & key.bit() != 0
    }

    /// The keys, in the order a row is matched by them.
    pub fn keys(self) -> Vec<MatchKey> {
        MatchKey::ALL
            .into_iter()
            .filter(|k| self.contains(*k))
            .collect()
    }
}

/// A customer of the data owner holding one of an import row's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    /// The customer.
    pub customer: CustomerId,
    /// Its external id, if it has one.
    pub external_id: Option<String>,
    /// Its dataset.
    pub dataset: Dataset,
}

/// Who holds an import row's keys in the data owner's register, as the store found them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowKeys {
    /// The oldest customer with the row's external id.
    pub by_external_id: Option<KeyHolder>,
    /// For a company row with an organisation number, the oldest company with its key
    /// (`Customer::registry_key`).
    pub by_registry_number: Option<KeyHolder>,
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

/// One key of a row, with its value: what a refusal names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    /// Which key.
    pub key: MatchKey,
    /// Its value in the row (an organisation number as its key).
    pub value: String,
}

impl fmt::Display for RowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            MatchKey::ExternalId => write!(f, "external id '{}'", self.value),
            MatchKey::RegistryNumber => write!(f, "organisation number {}", self.value),
            MatchKey::Phone => write!(f, "phone {}", self.value),
        }
    }
}

/// Why an import row is refused: a key of it belongs to another customer than the one the
/// row is, or the customer it is belongs to the other dataset. The message names the key,
/// the other customer and what to change.
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
    /// No customer has the row's external id (or it is not matched by), and its organisation
    /// number belongs to a company with another external id.
    RegistryNumberOfOtherExternalId {
        /// The organisation number (its key).
        registry_number: String,
        /// The company that has it.
        holder: CustomerId,
        /// That company's external id.
        holder_external_id: String,
        /// The row's external id.
        row_external_id: String,
    },
    /// The row updates the customer it matched, and its organisation number (or, when
    /// external ids are not matched by, its external id) belongs to another customer.
    KeyOfOtherCustomer {
        /// The key.
        key: RowKey,
        /// The customer who has it.
        holder: KeyHolder,
        /// The customer the row matched.
        matched: KeyHolder,
    },
    /// The row matched nobody by the keys chosen, and a key it has that is not matched by
    /// belongs to a customer.
    NotMatchedBy {
        /// The key.
        key: RowKey,
        /// The customer who has it.
        holder: KeyHolder,
    },
    /// The customer the row matched is in the other dataset.
    OtherDataset {
        /// The key it matched by.
        key: RowKey,
        /// The customer.
        holder: KeyHolder,
        /// The dataset the row is imported into.
        row_dataset: Dataset,
    },
}

impl IdentityConflict {
    /// The customer holding the row's key.
    pub fn holder(&self) -> CustomerId {
        match self {
            IdentityConflict::PhoneOfOtherExternalId { holder, .. }
            | IdentityConflict::RegistryNumberOfOtherExternalId { holder, .. } => *holder,
            IdentityConflict::PhoneOfOtherCustomer { holder, .. }
            | IdentityConflict::KeyOfOtherCustomer { holder, .. }
            | IdentityConflict::NotMatchedBy { holder, .. }
            | IdentityConflict::OtherDataset { holder, .. } => holder.customer,
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

/// A dataset as a message names it.
pub fn dataset_name(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::B2b => "B2B dataset (companies)",
        Dataset::B2c => "B2C dataset (consumers)",
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
            IdentityConflict::RegistryNumberOfOtherExternalId {
                registry_number,
                holder_external_id,
                row_external_id,
                ..
            } => write!(
                f,
                "organisation number {registry_number} belongs to the customer with external \
                 id '{holder_external_id}', not '{row_external_id}'; give the row that external \
                 id or correct the organisation number"
            ),
            IdentityConflict::KeyOfOtherCustomer {
                key,
                holder,
                matched,
            } => write!(
                f,
                "{key} belongs to {}, while the row matches {}; one {} cannot belong to both: \
                 correct or remove it in the row, or import it with matches skipped",
                named(holder),
                named(matched),
                key.key.what(),
            ),
            IdentityConflict::NotMatchedBy { key, holder } => write!(
                f,
                "{key} belongs to {}, and this import does not match rows by {}: match by \
                 {} too ({}), or remove the {} from the row",
                named(holder),
                key.key.what(),
                key.key.what(),
                key.key.as_str(),
                key.key.what(),
            ),
            IdentityConflict::OtherDataset {
                key,
                holder,
                row_dataset,
            } => write!(
                f,
                "the customer with {key} is in the {}, not the {}; import the row into that \
                 dataset, or give it another {}",
                dataset_name(holder.dataset),
                dataset_name(*row_dataset),
                key.key.what(),
            ),
        }
    }
}

impl std::error::Error for IdentityConflict {}

impl RowKeys {
    /// What `row` is, given who holds its keys, what the import does with a match and the
    /// keys it matches by.
    pub fn decide(&self, row: &Customer, on_match: OnMatch, match_by: MatchKeys) -> RowMatch {
        let details = row.details();
        let row_external_id = details.external_id.as_deref();
        let registry = row.registry_key();
        let external_key = |id: &str| RowKey {
            key: MatchKey::ExternalId,
            value: id.to_owned(),
        };
        let registry_key = |number: &str| RowKey {
            key: MatchKey::RegistryNumber,
            value: number.to_owned(),
        };
        let phone_key = |phone: &PhoneNumber| RowKey {
            key: MatchKey::Phone,
            value: phone.as_str().to_owned(),
        };
        // Each key of the row a customer has, in matching order.
        let mut held: Vec<(RowKey, &KeyHolder)> = Vec::new();
        if let (Some(id), Some(holder)) = (row_external_id, &self.by_external_id) {
            held.push((external_key(id), holder));
        }
        if let (Some(number), Some(holder)) = (&registry, &self.by_registry_number) {
            held.push((registry_key(number), holder));
        }
        held.extend(self.by_phone.iter().map(|(p, h)| (phone_key(p), h)));

        let Some((by, matched)) = held.iter().find(|(k, _)| match_by.contains(k.key)) else {
            return match held.into_iter().next() {
                // A key not matched by is someone's: the new customer would share it.
                Some((key, holder)) => RowMatch::Refused(IdentityConflict::NotMatchedBy {
                    key,
                    holder: holder.clone(),
                }),
                None => RowMatch::New,
            };
        };
        let matched: &KeyHolder = matched;
        if matched.dataset != row.dataset() {
            return RowMatch::Refused(IdentityConflict::OtherDataset {
                key: by.clone(),
                holder: matched.clone(),
                row_dataset: row.dataset(),
            });
        }
        if let (Some(row_id), Some(holder_id)) = (row_external_id, &matched.external_id)
            && row_id != holder_id
        {
            return RowMatch::Refused(match self.phone(by) {
                Some(phone) => IdentityConflict::PhoneOfOtherExternalId {
                    phone,
                    holder: matched.customer,
                    holder_external_id: holder_id.clone(),
                    row_external_id: row_id.to_owned(),
                },
                // A row matched by its external id has its holder's: only the registry.
                None => IdentityConflict::RegistryNumberOfOtherExternalId {
                    registry_number: by.value.clone(),
                    holder: matched.customer,
                    holder_external_id: holder_id.clone(),
                    row_external_id: row_id.to_owned(),
                },
            });
        }
        if on_match == OnMatch::Update
            && let Some((key, holder)) = held
                .iter()
                .find(|(_, holder)| holder.customer != matched.customer)
        {
            let (holder, matched) = ((*holder).clone(), matched.clone());
            return RowMatch::Refused(match self.phone(key) {
                Some(phone) => IdentityConflict::PhoneOfOtherCustomer {
                    phone,
                    holder,
                    matched,
                },
                None => IdentityConflict::KeyOfOtherCustomer {
                    key: key.clone(),
                    holder,
                    matched,
                },
            });
        }
        RowMatch::Existing(matched.customer)
    }

    /// The phone number a key of the row is, if it is one.
    fn phone(&self, key: &RowKey) -> Option<PhoneNumber> {
        if key.key != MatchKey::Phone {
            return None;
        }
        self.by_phone
            .iter()
            .find(|(p, _)| p.as_str() == key.value)
            .map(|(p, _)| p.clone())
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
        row_of(Dataset::B2b, external_id, None, phones)
    }

    fn row_of(
        dataset: Dataset,
        external_id: Option<&str>,
        registry_number: Option<&str>,
        phones: &[&str],
    ) -> Customer {
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
            registry_number: registry_number.map(str::to_owned),
            external_id: external_id.map(str::to_owned),
        };
        Customer::new(id(99), &owner, dataset, details, FieldValues::new()).expect("valid")
    }

    fn holder(n: u128, external_id: Option<&str>) -> KeyHolder {
        KeyHolder {
            customer: id(n),
            external_id: external_id.map(str::to_owned),
            dataset: Dataset::B2b,
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
            by_registry_number: None,
            by_phone: by_phone
                .iter()
                .map(|(p, h)| (phone(p), h.clone()))
                .collect(),
        };
        let row = row(row_keys.0, row_keys.1);
        assert_eq!(
            (
                keys.decide(&row, OnMatch::Update, MatchKeys::ALL),
                keys.decide(&row, OnMatch::Skip, MatchKeys::ALL)
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

    /// Who holds an organisation-number row's keys, and what it is with `match_by`.
    fn decide_registry(
        row: &Customer,
        keys: &(Option<KeyHolder>, Option<KeyHolder>, &[(&str, KeyHolder)]),
        on_match: OnMatch,
        match_by: &[MatchKey],
    ) -> RowMatch {
        let keys = RowKeys {
            by_external_id: keys.0.clone(),
            by_registry_number: keys.1.clone(),
            by_phone: keys.2.iter().map(|(p, h)| (phone(p), h.clone())).collect(),
        };
        let match_by = MatchKeys::of(match_by.iter().copied()).expect("keys");
        keys.decide(row, on_match, match_by)
    }

    const BRREG: &str = "974760673";

    #[test]
    fn a_company_is_its_organisation_numbers_customer_after_its_external_ids() {
        use MatchKey::{ExternalId, Phone, RegistryNumber};
        let all = [ExternalId, RegistryNumber, Phone];
        let row = row_of(
            Dataset::B2b,
            None,
            Some("NO 974 760 673 MVA"),
            &["+4791234567"],
        );
        assert_eq!(row.registry_key().as_deref(), Some(BRREG));
        // The organisation number before the phone.
        let by_number = (
            None,
            Some(holder(1, None)),
            &[("+4791234567", holder(2, None))][..],
        );
        assert_eq!(
            decide_registry(&row, &by_number, OnMatch::Skip, &all),
            RowMatch::Existing(id(1))
        );
        // Not matched by the organisation number: the phone's customer, and an update would
        // give the number to a second customer.
        assert_eq!(
            decide_registry(&row, &by_number, OnMatch::Skip, &[ExternalId, Phone]),
            RowMatch::Existing(id(2))
        );
        let refused = decide_registry(&row, &by_number, OnMatch::Update, &all);
        let RowMatch::Refused(conflict) = refused else {
            panic!("refused, got {refused:?}")
        };
        assert_eq!(
            conflict.to_string(),
            "phone +4791234567 belongs to customer 00000000-0000-0000-0000-000000000002 (no \
             external id), while the row matches customer 00000000-0000-0000-0000-000000000001 \
             (no external id); one number cannot belong to both: remove the phone from the row, \
             or import it with matches skipped"
        );
        // The external id first: its customer, whose organisation number is another's.
        let row = row_of(Dataset::B2b, Some("X1"), Some(BRREG), &["+4790000000"]);
        let keys = (
            Some(holder(1, Some("X1"))),
            Some(holder(2, Some("X2"))),
            &[][..],
        );
        assert_eq!(
            decide_registry(&row, &keys, OnMatch::Skip, &all),
            RowMatch::Existing(id(1))
        );
        let refused = decide_registry(&row, &keys, OnMatch::Update, &all);
        let RowMatch::Refused(conflict) = refused else {
            panic!("refused, got {refused:?}")
        };
        assert_eq!(conflict.holder(), id(2));
        assert_eq!(
            conflict.to_string(),
            "organisation number 974760673 belongs to the customer with external id 'X2', \
             while the row matches the customer with external id 'X1'; one organisation number \
             cannot belong to both: correct or remove it in the row, or import it with matches \
             skipped"
        );
    }

    #[test]
    fn an_organisation_number_of_a_customer_with_another_external_id_does_not_re_key_it() {
        let row = row_of(Dataset::B2b, Some("X2"), Some(BRREG), &["+4790000000"]);
        let keys = (None, Some(holder(1, Some("X1"))), &[][..]);
        for on_match in [OnMatch::Update, OnMatch::Skip] {
            let refused = decide_registry(&row, &keys, on_match, &MatchKey::ALL);
            assert_eq!(
                refused,
                RowMatch::Refused(IdentityConflict::RegistryNumberOfOtherExternalId {
                    registry_number: BRREG.into(),
                    holder: id(1),
                    holder_external_id: "X1".into(),
                    row_external_id: "X2".into(),
                })
            );
            let RowMatch::Refused(conflict) = refused else {
                unreachable!("refused above")
            };
            assert_eq!(
                conflict.to_string(),
                "organisation number 974760673 belongs to the customer with external id 'X1', \
                 not 'X2'; give the row that external id or correct the organisation number"
            );
        }
    }

    #[test]
    fn a_key_not_matched_by_is_not_given_to_a_second_customer() {
        use MatchKey::{ExternalId, Phone};
        let row = row_of(Dataset::B2b, Some("X9"), Some(BRREG), &["+4791234567"]);
        // Only external ids match: nobody has X9, but the number is customer 1's.
        let keys = (None, Some(holder(1, None)), &[][..]);
        let refused = decide_registry(&row, &keys, OnMatch::Skip, &[ExternalId]);
        let RowMatch::Refused(conflict) = refused else {
            panic!("refused, got {refused:?}")
        };
        assert_eq!(
            conflict.to_string(),
            "organisation number 974760673 belongs to customer \
             00000000-0000-0000-0000-000000000001 (no external id), and this import does not \
             match rows by organisation number: match by organisation number too \
             (registry_number), or remove the organisation number from the row"
        );
        // Nobody has any key: new, whatever is chosen.
        for by in [&[ExternalId][..], &[Phone][..], &MatchKey::ALL[..]] {
            assert_eq!(
                decide_registry(&row, &(None, None, &[]), OnMatch::Update, by),
                RowMatch::New
            );
        }
    }

    #[test]
    fn a_row_never_moves_a_customer_to_the_other_dataset() {
        let consumer = KeyHolder {
            dataset: Dataset::B2c,
            ..holder(1, Some("K1"))
        };
        let row = row_of(Dataset::B2b, Some("K1"), None, &["+4791234567"]);
        for on_match in [OnMatch::Update, OnMatch::Skip] {
            let refused = decide_registry(
                &row,
                &(
                    Some(consumer.clone()),
                    None,
                    &[("+4791234567", consumer.clone())],
                ),
                on_match,
                &MatchKey::ALL,
            );
            let RowMatch::Refused(conflict) = refused else {
                panic!("refused, got {refused:?}")
            };
            assert_eq!(conflict.holder(), id(1));
            assert_eq!(
                conflict.to_string(),
                "the customer with external id 'K1' is in the B2C dataset (consumers), not the \
                 B2B dataset (companies); import the row into that dataset, or give it another \
                 external id"
            );
        }
        // By phone, a company into the consumers.
        let row = row_of(Dataset::B2c, None, None, &["+4791234567"]);
        let company = holder(2, None);
        let refused = decide_registry(
            &row,
            &(None, None, &[("+4791234567", company)]),
            OnMatch::Skip,
            &MatchKey::ALL,
        );
        let RowMatch::Refused(conflict) = refused else {
            panic!("refused, got {refused:?}")
        };
        assert_eq!(
            conflict.to_string(),
            "the customer with phone +4791234567 is in the B2B dataset (companies), not the \
             B2C dataset (consumers); import the row into that dataset, or give it another phone"
        );
    }

    #[test]
    fn a_person_number_is_no_import_key() {
        let row = row_of(Dataset::B2c, None, Some("01017012345"), &["+4791234567"]);
        assert_eq!(row.registry_key(), None);
    }

    #[test]
    fn the_keys_to_match_by_are_named_as_the_api_names_them() {
        assert_eq!(
            MatchKeys::parse(["phone", "external_id"]).map(MatchKeys::keys),
            Ok(vec![MatchKey::ExternalId, MatchKey::Phone])
        );
        assert_eq!(MatchKeys::default().keys(), MatchKey::ALL.to_vec());
        assert_eq!(MatchKeys::parse([]), Err(MatchKeysError::Empty));
        assert_eq!(
            MatchKeys::parse(["orgnr"]).map_err(|e| e.to_string()),
            Err(
                "`match_by`: 'orgnr' is not a key to match by; use external_id, \
                 registry_number or phone"
                    .into()
            )
        );
    }
}
