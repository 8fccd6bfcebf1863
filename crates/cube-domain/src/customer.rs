//! A customer: a CRM record of a data owner, a company (B2B) or a person (B2C), with fixed
//! fields and the optional CRM field values checked against the data owner's definitions.
//! Also what a customer is found by in the data owner's register: `CustomerFilter`.

use crate::contact_policy::standing::{
    ContactFacts, ContactStatus, DoNotCall, Exemption, RegisterCheck,
};
use crate::data_owner::{DataOwner, Dataset};
use crate::fields::{FieldError, FieldKey, FieldValues, check_values};
use crate::ids::{CustomerId, DataOwnerId, MeetingId, UserId};
use crate::ports::CustomerKey;
use crate::values::{Email, Lines, Name, PhoneNumber, ValueError, clean_text};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use thiserror::Error;
use time::OffsetDateTime;
use unicode_normalization::UnicodeNormalization;

/// Why an erased customer is on the do-not-call list ([`Customer::erased`]).
pub const ERASED_REASON: &str = "personal data erased";

/// Why a customer was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CustomerError {
    /// A custom field value does not fit its definition.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A value is given for a CRM field the data owner does not define for the dataset.
    #[error("the data owner has no {dataset:?} field '{key}'")]
    UnknownField {
        /// The customer's dataset.
        dataset: Dataset,
        /// The key given.
        key: FieldKey,
    },
    /// The customer belongs to another data owner.
    #[error("the customer belongs to another data owner")]
    WrongDataOwner,
    /// Nothing to call or write to.
    #[error("a customer needs at least one phone number or an e-mail address")]
    NoContact,
    /// More phone numbers than a customer may have.
    #[error("`phones`: a customer has at most {max} phone numbers, got {got}")]
    TooManyPhones {
        /// The most.
        max: usize,
        /// Given.
        got: usize,
    },
    /// A fixed field's text is refused (control characters, too long).
    #[error("`{field}`: {error}")]
    Text {
        /// The field (`address`, `registry_number`, `external_id`).
        field: &'static str,
        /// Why.
        error: ValueError,
    },
}

/// Another customer of the same data owner already has one of this customer's keys. An
/// external id, a company's organisation number and each phone number identify one customer
/// in a data owner's register (the keys imports match by), so a create and an update obey
/// the same rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "customer {other} of this data owner already has {key}; use that customer or give another {kind}",
    kind = .key.kind()
)]
pub struct DuplicateCustomer {
    /// The customer that has the key.
    pub other: CustomerId,
    /// The key both would have.
    pub key: CustomerKey,
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

impl CustomerDetails {
    /// The longest postal address, in characters (line breaks allowed).
    pub const MAX_ADDRESS: usize = 500;
    /// The most phone numbers a customer has.
    pub const MAX_PHONES: usize = 20;
    /// The longest organisation or person number, in characters.
    pub const MAX_REGISTRY_NUMBER: usize = 64;
    /// The longest external id, in characters.
    pub const MAX_EXTERNAL_ID: usize = 200;

    /// The details with every free text cleaned (`clean_text`: NFC, trimmed, no control
    /// characters, at most its maximum); a text empty after trimming becomes `None`.
    pub fn cleaned(self) -> Result<Self, CustomerError> {
        if self.phones.len() > Self::MAX_PHONES {
            return Err(CustomerError::TooManyPhones {
                max: Self::MAX_PHONES,
                got: self.phones.len(),
            });
        }
        // The same number twice is one number: the first place it is given is kept.
        let mut phones = self.phones;
        let mut seen = std::collections::BTreeSet::new();
        phones.retain(|p| seen.insert(p.clone()));
        let clean = |field, text: Option<String>, max, lines| {
            text.map(|t| clean_text(field, &t, max, lines))
                .transpose()
                .map(|t| t.filter(|t| !t.is_empty()))
                .map_err(|error| CustomerError::Text { field, error })
        };
        Ok(Self {
            address: clean("address", self.address, Self::MAX_ADDRESS, Lines::Many)?,
            registry_number: clean(
                "registry_number",
                self.registry_number,
                Self::MAX_REGISTRY_NUMBER,
                Lines::One,
            )?,
            external_id: clean(
                "external_id",
                self.external_id,
                Self::MAX_EXTERNAL_ID,
                Lines::One,
            )?,
            phones,
            ..self
        })
    }
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    id: CustomerId,
    data_owner: DataOwnerId,
    dataset: Dataset,
    details: CustomerDetails,
    fields: FieldValues,
    /// The do-not-call list, the register check and an exemption (customers stored before
    /// the contact policy read as having none).
    #[serde(default, skip_serializing_if = "ContactStatus::is_empty")]
    contact: ContactStatus,
}

impl Customer {
    /// The keys that identify the customer in its data owner's register, in the order an
    /// import matches by them: the external id, a company's organisation number (its
    /// [`Customer::registry_key`]), then each phone number.
    pub fn identity_keys(&self) -> Vec<CustomerKey> {
        let details = &self.details;
        details
            .external_id
            .iter()
            .map(|e| CustomerKey::ExternalId(e.clone()))
            .chain(self.registry_key().map(CustomerKey::Registry))
            .chain(details.phones.iter().cloned().map(CustomerKey::Phone))
            .collect()
    }

    /// The key its organisation number is compared by in an import (`values::registry_key`):
    /// a company's only (a person's number is not an import key).
    pub fn registry_key(&self) -> Option<String> {
        match self.dataset {
            Dataset::B2b => self
                .details
                .registry_number
                .as_deref()
                .map(crate::values::registry_key)
                .filter(|k| !k.is_empty()),
            Dataset::B2c => None,
        }
    }

    /// Creates a customer: the free texts cleaned (`CustomerDetails::cleaned`), the custom
    /// fields checked against the data owner's definitions.
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
        let details = details.cleaned()?;
        check_values(owner.fields(dataset), &fields)?;
        Ok(Self {
            id,
            data_owner: owner.id(),
            dataset,
            details,
            fields,
            contact: ContactStatus::default(),
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
        let mut updated = Self::new(self.id, owner, self.dataset, details, fields)?;
        updated.contact = self.contact_after(&updated.details.phones);
        *self = updated;
        Ok(())
    }

    /// This customer as a re-imported `row` (an import row that matched it) leaves it: the
    /// row's name, and every other fixed field the row gives (phones, e-mail, address,
    /// registry number, external id); the CRM values the row gives overwrite those keys. A
    /// cell the row leaves empty keeps what the customer has, so a list with fewer columns
    /// never wipes data. A row of the other dataset makes the customer that dataset, with the
    /// row's CRM values only (the old ones belong to the other dataset's fields).
    ///
    /// The row was checked against the data owner's fields when parsed, so the result is a
    /// valid customer: it has every contact the row or the customer had.
    pub fn reimported(&self, row: &Customer) -> Customer {
        let given = &row.details;
        let mut details = self.details.clone();
        details.name = given.name.clone();
        if !given.phones.is_empty() {
            details.phones = given.phones.clone();
        }
        let keep_or_take = |old: &mut Option<String>, new: &Option<String>| {
            if new.is_some() {
                old.clone_from(new);
            }
        };
        keep_or_take(&mut details.address, &given.address);
        keep_or_take(&mut details.registry_number, &given.registry_number);
        keep_or_take(&mut details.external_id, &given.external_id);
        if given.email.is_some() {
            details.email.clone_from(&given.email);
        }
        let fields = if row.dataset == self.dataset {
            let mut fields = self.fields.clone();
            fields.extend(row.fields.clone());
            fields
        } else {
            row.fields.clone()
        };
        let mut contact = self.contact_after(&details.phones);
        // A row barred by the data owner's do-not-contact list bars the customer it matches.
        if contact.do_not_call.is_none() {
            contact.do_not_call.clone_from(&row.contact.do_not_call);
        }
        Customer {
            id: self.id,
            data_owner: self.data_owner,
            dataset: row.dataset,
            details,
            fields,
            contact,
        }
    }

    /// This customer with its personal data erased (GDPR art. 17): the name is
    /// [`Name::erased`], no phone number, e-mail, address, registry number, external id or CRM
    /// field is left, nor an exemption's text or a register check of numbers that are gone.
    /// What stays is what the reports count — the id, the data owner, the dataset — and a
    /// place on the do-not-call list ("personal data erased", since `at`, or since the
    /// customer was first put there), so "next customer" never hands out a record with
    /// nothing to call.
    pub fn erased(&self, at: OffsetDateTime) -> Customer {
        let since = self.contact.do_not_call.as_ref().map_or(at, |d| d.since);
        Customer {
            id: self.id,
            data_owner: self.data_owner,
            dataset: self.dataset,
            details: CustomerDetails {
                name: Name::erased(),
                phones: Vec::new(),
                email: None,
                address: None,
                registry_number: None,
                external_id: None,
            },
            fields: FieldValues::new(),
            contact: ContactStatus {
                do_not_call: Some(DoNotCall {
                    since,
                    by: None,
                    reason: ERASED_REASON.to_owned(),
                }),
                register: None,
                exemption: None,
            },
        }
    }

    /// Whether this is a customer whose personal data was erased ([`Self::erased`]): its card
    /// is nobody's any more, so nothing may be written on it again (a seller who still had
    /// it open could otherwise type the person back in).
    pub fn is_erased(&self) -> bool {
        self.details.name == Name::erased()
            && self
                .contact
                .do_not_call
                .as_ref()
                .is_some_and(|d| d.by.is_none() && d.reason == ERASED_REASON)
    }

    /// The standing kept when the phone numbers become `phones`: all of it, except that a
    /// register check of other numbers no longer holds (a new number must be checked before
    /// it is called).
    fn contact_after(&self, phones: &[PhoneNumber]) -> ContactStatus {
        let mut contact = self.contact.clone();
        if phones != self.details.phones.as_slice() {
            contact.register = None;
        }
        contact
    }

    /// The customer's standing with the contact policy.
    pub fn contact(&self) -> &ContactStatus {
        &self.contact
    }

    /// What the contact gate decides this customer on.
    pub fn contact_facts(&self) -> ContactFacts {
        ContactFacts::of(self.dataset, &self.contact)
    }

    /// Puts the customer on the data owner's do-not-call list, or (`None`) takes them off.
    pub fn set_do_not_call(&mut self, entry: Option<DoNotCall>) {
        self.contact.do_not_call = entry;
    }

    /// Records a check of the customer's numbers against the reservation register.
    pub fn set_register_check(&mut self, check: RegisterCheck) {
        self.contact.register = Some(check);
    }

    /// Records why a reservation does not stop calling, or (`None`) removes it.
    pub fn set_exemption(&mut self, exemption: Option<Exemption>) {
        self.contact.exemption = exemption;
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

impl Customer {
    /// The text a search looks in: name, phone numbers (E.164), e-mail, address, registry
    /// number and external id, each on its own line, folded by `fold_case`. A store keeps
    /// it beside the customer so a search is a substring test it can index.
    pub fn search_text(&self) -> String {
        let d = &self.details;
        let mut text = String::new();
        text.push_str(d.name.as_str());
        for phone in &d.phones {
            let _ = write!(text, "\n{phone}");
        }
        for part in [
            d.email.as_ref().map(Email::as_str),
            d.address.as_deref(),
            d.registry_number.as_deref(),
            d.external_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            text.push('\n');
            text.push_str(part);
        }
        fold_case(&text)
    }
}

/// A change recorded in a customer's history beside the outcomes: their card edited (seed
/// 000 item 7), or a meeting booked with them cancelled or moved (seed 001 "Møter"). Who,
/// when, and what — for a card, the names of the fields that changed, not the values (the
/// card holds the current ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerChange {
    /// The customer.
    pub customer: CustomerId,
    /// Who changed it.
    pub user: UserId,
    /// When.
    pub at: OffsetDateTime,
    /// What changed.
    pub what: Change,
}

/// What a [`CustomerChange`] changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// The card was edited.
    Card {
        /// The fields that changed, contact fields first in the card's order (`name`,
        /// `phones`, `email`, `address`, `registry_number`, `external_id`), then CRM fields
        /// as `fields.<key>` in key order.
        fields: Vec<String>,
    },
    /// The customer was put on the data owner's do-not-call list (`reason`), or taken off
    /// it (`None`).
    DoNotCall {
        /// Why they were put on it; `None` when taken off.
        reason: Option<String>,
    },
    /// An exemption from the reservation register was recorded (`true`) or removed.
    RegisterExemption {
        /// Whether one is recorded now.
        recorded: bool,
    },
    /// A meeting was cancelled; it was booked for `[start, end)`.
    MeetingCancelled {
        /// The meeting.
        meeting: MeetingId,
        /// Its start.
        start: OffsetDateTime,
        /// Its end.
        end: OffsetDateTime,
    },
    /// A meeting was moved from `[from_start, from_end)` to `[to_start, to_end)`.
    MeetingMoved {
        /// The meeting.
        meeting: MeetingId,
        /// Its start before.
        from_start: OffsetDateTime,
        /// Its end before.
        from_end: OffsetDateTime,
        /// Its start now.
        to_start: OffsetDateTime,
        /// Its end now.
        to_end: OffsetDateTime,
    },
}

impl CustomerChange {
    /// The edit of the card from `before` to `after` by `user` at `at`; `None` when nothing
    /// changed.
    pub fn card_edit(
        before: &Customer,
        after: &Customer,
        user: UserId,
        at: OffsetDateTime,
    ) -> Option<Self> {
        let (b, a) = (&before.details, &after.details);
        let contact = [
            ("name", b.name != a.name),
            ("phones", b.phones != a.phones),
            ("email", b.email != a.email),
            ("address", b.address != a.address),
            ("registry_number", b.registry_number != a.registry_number),
            ("external_id", b.external_id != a.external_id),
        ];
        let mut fields: Vec<String> = contact
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(name, _)| name.to_owned())
            .collect();
        let keys: std::collections::BTreeSet<&FieldKey> =
            before.fields.keys().chain(after.fields.keys()).collect();
        fields.extend(
            keys.into_iter()
                .filter(|key| before.fields.get(*key) != after.fields.get(*key))
                .map(|key| format!("fields.{key}")),
        );
        (!fields.is_empty()).then_some(Self {
            customer: after.id,
            user,
            at,
            what: Change::Card { fields },
        })
    }
}

/// Folds text for case-insensitive search: NFC, then Unicode lower case, so "ØDEGÅRD"
/// finds "Ødegård" and "Åse" typed with a combining ring finds "Åse". Stores never fold
/// themselves (SQLite's `lower` knows ASCII only), so the customer's search text and the
/// searched words go through this one function.
pub fn fold_case(text: &str) -> String {
    text.nfc().collect::<String>().to_lowercase()
}

/// Why a search text was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SearchError {
    /// More words than a search takes.
    #[error("a search takes at most {max} words, got {got}", max = SearchWords::MAX_WORDS)]
    TooManyWords {
        /// Words given.
        got: usize,
    },
    /// The text holds a control character (a NUL, a line break): no customer has one.
    #[error("a search may not hold control characters")]
    ControlCharacter,
    /// One word is too long to be a name, number or address part.
    #[error("a search word may be at most {max} characters, '{word}…' is longer", max = SearchWords::MAX_WORD_CHARS)]
    WordTooLong {
        /// The word's start.
        word: String,
    },
}

/// The words of a free-text search, folded by `fold_case`. A customer matches when every
/// word occurs somewhere in its `search_text` (as a part of a word, too: "berg" finds
/// "Solberg", "4791" finds "+4791234567"). No words match every customer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchWords(Vec<String>);

impl SearchWords {
    /// The most words a search takes.
    pub const MAX_WORDS: usize = 8;
    /// The longest word, in characters.
    pub const MAX_WORD_CHARS: usize = 100;

    /// Splits `text` at white space and folds each word; repeated words count once.
    /// Blank text gives no words.
    pub fn parse(text: &str) -> Result<Self, SearchError> {
        if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err(SearchError::ControlCharacter);
        }
        let mut words: Vec<String> = Vec::new();
        for (count, word) in text.split_whitespace().enumerate() {
            // Checked as the words come, so a huge text costs no more than nine words.
            if words.len() > Self::MAX_WORDS || count > 4 * Self::MAX_WORDS {
                return Err(SearchError::TooManyWords {
                    got: text.split_whitespace().count(),
                });
            }
            if word.chars().count() > Self::MAX_WORD_CHARS {
                return Err(SearchError::WordTooLong {
                    word: word.chars().take(20).collect(),
                });
            }
            let word = fold_case(word);
            if !words.contains(&word) {
                words.push(word);
            }
        }
        if words.len() > Self::MAX_WORDS {
            return Err(SearchError::TooManyWords { got: words.len() });
        }
        Ok(Self(words))
    }

    /// The folded words.
    pub fn words(&self) -> &[String] {
        &self.0
    }

    /// True when there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every word occurs in `search_text` (a customer's `search_text`).
    pub fn found_in(&self, search_text: &str) -> bool {
        self.0
            .iter()
            .all(|word| search_text.contains(word.as_str()))
    }
}

/// Which of a data owner's customers to list. Every condition given narrows the list; the
/// default lists them all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerFilter {
    /// Free text: every word somewhere in the customer's `search_text`.
    pub words: SearchWords,
    /// Only companies or only persons.
    pub dataset: Option<Dataset>,
    /// Only customers with this number among their phone numbers.
    pub phone: Option<PhoneNumber>,
    /// Only the customer with this id in the source system (exact, case and all).
    pub external_id: Option<String>,
}

impl CustomerFilter {
    /// Whether `customer` is in the list. Stores MUST select exactly these customers.
    pub fn matches(&self, customer: &Customer) -> bool {
        let details = customer.details();
        self.dataset.is_none_or(|d| d == customer.dataset())
            && self
                .phone
                .as_ref()
                .is_none_or(|p| details.phones.contains(p))
            && self
                .external_id
                .as_ref()
                .is_none_or(|e| details.external_id.as_ref() == Some(e))
            && (self.words.is_empty() || self.words.found_in(&customer.search_text()))
    }
}

#[cfg(test)]
mod details_tests {
    use super::*;
    use crate::ids::OrganisationId;
    use uuid::Uuid;

    fn customer(details: CustomerDetails) -> Result<Customer, CustomerError> {
        let owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Acme").expect("valid"),
        );
        let id = CustomerId::from_uuid(Uuid::nil());
        Customer::new(id, &owner, Dataset::B2c, details, FieldValues::new())
    }

    fn details(address: &str, registry: &str, external: &str) -> CustomerDetails {
        CustomerDetails {
            name: Name::parse("Kari").expect("valid"),
            phones: vec![PhoneNumber::parse("+4791234567").expect("valid")],
            email: None,
            address: Some(address.to_owned()),
            registry_number: Some(registry.to_owned()),
            external_id: Some(external.to_owned()),
        }
    }

    #[test]
    fn free_texts_are_nfc_trimmed_and_multi_line_only_where_they_may_be() {
        let kari =
            customer(details(" Gra\u{30a}sten 1\r\n0155 Oslo ", " 123 ", "  ")).expect("valid");
        let d = kari.details();
        assert_eq!(d.address.as_deref(), Some("Gr\u{e5}sten 1\n0155 Oslo"));
        assert_eq!(d.registry_number.as_deref(), Some("123"));
        assert_eq!(d.external_id, None, "blank is absent");
    }

    #[test]
    fn control_characters_and_oversized_texts_are_refused_naming_the_field() {
        for (details, field) in [
            (details("Storgata\0 1", "1", "x"), "address"),
            (details("Storgata 1", "1\n2", "x"), "registry_number"),
            (details("Storgata 1", "1", "a\u{7}"), "external_id"),
            (details(&"x".repeat(1 << 20), "1", "x"), "address"),
            (details("a", &"1".repeat(65), "x"), "registry_number"),
            (details("a", "1", &"x".repeat(201)), "external_id"),
        ] {
            let err = customer(details).expect_err("refused");
            assert!(
                matches!(&err, CustomerError::Text { field: f, .. } if *f == field),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(text.starts_with(&format!("`{field}`:")), "{text}");
            assert!(text.len() < 200, "{text}");
        }
    }

    #[test]
    fn a_phone_number_given_twice_is_one_and_more_than_twenty_are_refused() {
        let phone = |n: u32| PhoneNumber::parse(&format!("+479{n:07}")).expect("valid");
        let mut twice = details("Storgata 1", "123", "ext-1");
        twice.phones = vec![phone(2), phone(1), phone(2)];
        let kari = customer(twice).expect("valid");
        assert_eq!(kari.details().phones, [phone(2), phone(1)]);
        let mut many = details("Storgata 1", "123", "ext-1");
        many.phones = (0..21).map(phone).collect();
        let err = customer(many).expect_err("too many");
        assert_eq!(err, CustomerError::TooManyPhones { max: 20, got: 21 });
        assert!(err.to_string().starts_with("`phones`"), "{err}");
    }

    #[test]
    fn a_card_change_names_the_fields_that_changed_and_nothing_else() {
        let user = crate::ids::UserId::from_uuid(Uuid::from_u128(7));
        let at = time::macros::datetime!(2026-12-06 10:00 UTC);
        let before = customer(details("Storgata 1", "123", "ext-1")).expect("valid");
        assert_eq!(CustomerChange::card_edit(&before, &before, user, at), None);

        let mut moved = details("Storgata 2", "123", "ext-1");
        moved.email = Some(Email::parse("kari@example.no").expect("valid"));
        let mut after = customer(moved).expect("valid");
        let key = FieldKey::parse("industry").expect("valid");
        after
            .fields
            .insert(key, crate::fields::FieldValue::Text("Fisk".into()));
        let change = CustomerChange::card_edit(&before, &after, user, at).expect("a change");
        let fields = |c: &CustomerChange| match &c.what {
            Change::Card { fields } => fields.clone(),
            other => panic!("a card edit, not {other:?}"),
        };
        assert_eq!(fields(&change), ["email", "address", "fields.industry"]);
        assert_eq!(
            (change.user, change.at, change.customer),
            (user, at, after.id())
        );

        // A value taken away is a change too.
        let back = CustomerChange::card_edit(&after, &before, user, at).expect("a change");
        assert_eq!(fields(&back), fields(&change));
    }
}

#[cfg(test)]
mod search_tests {
    use super::*;

    #[test]
    fn words_are_folded_split_and_deduplicated() {
        let words = SearchWords::parse("  Ødegård  AS\tødegård ").expect("valid");
        assert_eq!(words.words(), ["ødegård", "as"]);
        assert!(SearchWords::parse(" \t ").expect("valid").is_empty());
    }

    #[test]
    fn too_many_or_too_long_words_are_refused_with_the_limit() {
        let many = (0..=SearchWords::MAX_WORDS)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let err = SearchWords::parse(&many).expect_err("too many");
        assert_eq!(err, SearchError::TooManyWords { got: 9 });
        assert!(err.to_string().contains("at most 8 words"), "{err}");
        let long = "x".repeat(SearchWords::MAX_WORD_CHARS + 1);
        let err = SearchWords::parse(&long).expect_err("too long");
        assert!(err.to_string().contains("at most 100 characters"), "{err}");
        let just = "é".repeat(SearchWords::MAX_WORD_CHARS);
        assert!(SearchWords::parse(&just).is_ok(), "characters, not bytes");
    }

    #[test]
    fn a_search_finds_the_same_letters_however_they_were_composed() {
        let nfd_stored = fold_case("A\u{30a}se Berg");
        assert!(
            SearchWords::parse("åse")
                .expect("valid")
                .found_in(&nfd_stored)
        );
        assert!(
            SearchWords::parse("A\u{30a}SE")
                .expect("valid")
                .found_in(&fold_case("Åse"))
        );
    }

    #[test]
    fn every_word_must_occur_somewhere() {
        let text = "solberg bil as\n+4791234567\npost@solberg.no";
        let find = |q: &str| SearchWords::parse(q).expect("valid").found_in(text);
        assert!(find("BERG 4791"));
        assert!(find("solberg.no"));
        assert!(find(""));
        assert!(!find("solberg hansen"));
        assert!(!find("as+47"), "a word never spans two parts");
    }
}
