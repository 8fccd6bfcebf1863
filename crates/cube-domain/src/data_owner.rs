//! The data owner: the GDPR controller that owns customers, products and assignments, with
//! its controller details, processing purposes and the optional CRM fields of its two
//! datasets. The product nags until the GDPR details are complete; `gdpr_gaps` says what is
//! missing.

use crate::contact_policy::standing::{ContactRules, Wash};
use crate::fields::{FieldDefinition, FieldError, check_definitions};
use crate::ids::{DataOwnerId, OrganisationId};
use crate::values::{
    Email, InvalidInput, Lines, Name, PhoneNumber, PhoneRegion, ValueError, clean_text,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// The two CRM datasets of a data owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dataset {
    /// Companies.
    B2b,
    /// Persons.
    B2c,
}

/// The controller's contact details (all optional until filled in; see `gdpr_gaps`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// Company name.
    pub company_name: Option<Name>,
    /// Organisation number.
    pub organisation_number: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Contact e-mail.
    pub contact_email: Option<Email>,
    /// Data-protection contact (name or e-mail).
    pub data_protection_contact: Option<String>,
}

impl Controller {
    /// The longest organisation number or data-protection contact, in characters.
    pub const MAX_LINE: usize = 200;
    /// The longest address, in characters (line breaks allowed).
    pub const MAX_ADDRESS: usize = 500;

    /// The details with every free text cleaned (`clean_text`: NFC, trimmed, no control
    /// characters, at most its maximum); a text empty after trimming becomes `None`. The
    /// error names the field as `controller.<field>`.
    pub fn cleaned(self) -> Result<Self, InvalidInput> {
        let clean = |field: &'static str, text: Option<String>, max, lines| {
            text.map(|t| clean_text(field, &t, max, lines))
                .transpose()
                .map(|t| t.filter(|t| !t.is_empty()))
                .map_err(|e| e.at(format!("controller.{field}")))
        };
        Ok(Self {
            organisation_number: clean(
                "organisation_number",
                self.organisation_number,
                Self::MAX_LINE,
                Lines::One,
            )?,
            address: clean("address", self.address, Self::MAX_ADDRESS, Lines::Many)?,
            data_protection_contact: clean(
                "data_protection_contact",
                self.data_protection_contact,
                Self::MAX_LINE,
                Lines::One,
            )?,
            ..self
        })
    }
}

/// The legal basis of a processing purpose (GDPR art. 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LegalBasis {
    /// Consent of the data subject.
    Consent,
    /// Performance of a contract.
    Contract,
    /// A legal obligation.
    LegalObligation,
    /// Vital interests.
    VitalInterests,
    /// A task in the public interest.
    PublicTask,
    /// Legitimate interests.
    LegitimateInterests,
}

/// A purpose for which personal data is processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingPurpose {
    /// What the data is used for.
    pub description: Name,
    /// Why that is lawful.
    pub legal_basis: LegalBasis,
}

/// A data owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataOwner {
    id: DataOwnerId,
    organisation: OrganisationId,
    name: Name,
    controller: Controller,
    purposes: Vec<ProcessingPurpose>,
    b2b_fields: Vec<FieldDefinition>,
    b2c_fields: Vec<FieldDefinition>,
    /// Where a phone number typed without a country code is read (data owners stored before
    /// it existed read Norwegian).
    #[serde(default)]
    phone_region: PhoneRegion,
    /// What its consumers are held to (data owners stored before read as the law: both on).
    #[serde(default)]
    contact_rules: ContactRules,
    /// The last wash of its consumers against the reservation register.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_wash: Option<Wash>,
    /// Customer files' column choices saved by name (data owners stored before have none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    import_mappings: BTreeMap<Name, ImportMapping>,
}

/// A customer file's choices saved under a name, to be used again for the next file from the
/// same source (issue 16: "a mapping can be saved and reused per data owner"): the columns
/// as the file import takes them (`A=name,B=phone,J=field:industry`), and the sheet, header
/// row and separator when they were chosen. Kept as written: the file reader checks them
/// when they are saved and again when a file is read with them (the file may differ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportMapping {
    /// The columns and what each becomes.
    pub columns: String,
    /// The sheet to read, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The header row's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u32>,
    /// A CSV's separator (`,` `;` or `tab`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
}

impl ImportMapping {
    /// The most characters of its columns text.
    pub const MAX_COLUMNS_CHARS: usize = 4_000;
    /// The most characters of a sheet name or separator.
    pub const MAX_NAME_CHARS: usize = 200;
}

/// Why a mapping cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportMappingError {
    /// The data owner has as many as it may keep.
    #[error("a data owner keeps at most {limit} saved mappings; delete one first")]
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// Nothing to save.
    #[error("`columns`: give the columns, as `A=name,B=phone`")]
    NoColumns,
    /// A text with control characters (a sheet name cannot hold them).
    #[error("`{field}`: may not hold control characters")]
    ControlCharacters {
        /// The field.
        field: &'static str,
    },
    /// A text too long to be a mapping.
    #[error("`{field}`: at most {limit} characters")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its limit.
        limit: usize,
    },
}

/// One missing piece of GDPR information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GdprGap {
    /// The controller's company name.
    CompanyName,
    /// The controller's organisation number.
    OrganisationNumber,
    /// The controller's address.
    Address,
    /// The controller's contact e-mail.
    ContactEmail,
    /// The data-protection contact.
    DataProtectionContact,
    /// No processing purpose.
    ProcessingPurpose,
}

impl DataOwner {
    /// A new data owner with no controller details, purposes or CRM fields yet.
    pub fn new(id: DataOwnerId, organisation: OrganisationId, name: Name) -> Self {
        Self {
            id,
            organisation,
            name,
            controller: Controller::default(),
            purposes: Vec::new(),
            b2b_fields: Vec::new(),
            b2c_fields: Vec::new(),
            phone_region: PhoneRegion::default(),
            contact_rules: ContactRules::default(),
            last_wash: None,
            import_mappings: BTreeMap::new(),
        }
    }

    /// The most mappings a data owner keeps.
    pub const MAX_IMPORT_MAPPINGS: usize = 100;

    /// Its saved customer-file mappings, by name.
    pub fn import_mappings(&self) -> &BTreeMap<Name, ImportMapping> {
        &self.import_mappings
    }

    /// The saved mapping called `name`, in any case (`Bergen` is `bergen`).
    pub fn import_mapping(&self, name: &Name) -> Option<&ImportMapping> {
        self.import_mappings.get(name).or_else(|| {
            self.import_mappings
                .iter()
                .find(|(saved, _)| saved.same_as(name))
                .map(|(_, mapping)| mapping)
        })
    }

    /// The name a mapping called `name` (in any case) is saved under.
    fn saved_name(&self, name: &Name) -> Option<Name> {
        self.import_mappings
            .keys()
            .find(|saved| saved.same_as(name))
            .cloned()
    }

    /// Saves `mapping` as `name`, replacing one of that name.
    pub fn save_import_mapping(
        &mut self,
        name: Name,
        mapping: ImportMapping,
    ) -> Result<(), ImportMappingError> {
        if mapping.columns.trim().is_empty() {
            return Err(ImportMappingError::NoColumns);
        }
        let long = |field, text: &Option<String>| {
            text.as_ref()
                .is_some_and(|t| t.chars().count() > ImportMapping::MAX_NAME_CHARS)
                .then_some(ImportMappingError::TooLong {
                    field,
                    limit: ImportMapping::MAX_NAME_CHARS,
                })
        };
        if mapping.columns.chars().count() > ImportMapping::MAX_COLUMNS_CHARS {
            return Err(ImportMappingError::TooLong {
                field: "columns",
                limit: ImportMapping::MAX_COLUMNS_CHARS,
            });
        }
        if let Some(error) = long("sheet", &mapping.sheet).or(long("delimiter", &mapping.delimiter))
        {
            return Err(error);
        }
        if mapping
            .sheet
            .as_deref()
            .is_some_and(|sheet| sheet.chars().any(char::is_control))
        {
            return Err(ImportMappingError::ControlCharacters { field: "sheet" });
        }
        // One name in any case: `bergen` replaces `Bergen`, under the spelling given last.
        let replaced = self.saved_name(&name);
        if replaced.is_none() && self.import_mappings.len() >= Self::MAX_IMPORT_MAPPINGS {
            return Err(ImportMappingError::TooMany {
                limit: Self::MAX_IMPORT_MAPPINGS,
            });
        }
        if let Some(old) = replaced {
            self.import_mappings.remove(&old);
        }
        self.import_mappings.insert(name, mapping);
        Ok(())
    }

    /// Deletes the mapping called `name` (in any case); whether there was one.
    pub fn delete_import_mapping(&mut self, name: &Name) -> bool {
        match self.saved_name(name) {
            Some(saved) => self.import_mappings.remove(&saved).is_some(),
            None => false,
        }
    }

    /// What its consumers are held to: the call windows and the reservation register (both
    /// on unless turned off).
    pub fn contact_rules(&self) -> ContactRules {
        self.contact_rules
    }

    /// Sets what its consumers are held to.
    pub fn set_contact_rules(&mut self, rules: ContactRules) {
        self.contact_rules = rules;
    }

    /// The last wash of its consumers against the reservation register.
    pub fn last_wash(&self) -> Option<&Wash> {
        self.last_wash.as_ref()
    }

    /// Records a finished wash.
    pub fn record_wash(&mut self, wash: Wash) {
        self.last_wash = Some(wash);
    }

    /// The region a phone number without a country code is read in (`91234567` is
    /// `+4791234567` for a Norwegian data owner). Norway unless set.
    pub fn phone_region(&self) -> PhoneRegion {
        self.phone_region
    }

    /// Sets the region phone numbers without a country code are read in.
    pub fn set_phone_region(&mut self, region: PhoneRegion) {
        self.phone_region = region;
    }

    /// Parses a phone number given for one of this data owner's customers: with a country
    /// code, or read in the data owner's region.
    pub fn parse_phone(&self, raw: &str) -> Result<PhoneNumber, ValueError> {
        PhoneNumber::parse_in(raw, self.phone_region)
    }

    /// Parses an organisation or person number given for one of this data owner's customers
    /// of `dataset`: a company's number in the data owner's region (the phone region: in
    /// Norway nine digits, their check digit held; `values::parse_organisation_number`),
    /// a person's as given.
    pub fn parse_registry_number(&self, dataset: Dataset, raw: &str) -> Result<String, ValueError> {
        match dataset {
            Dataset::B2b => crate::values::parse_organisation_number(raw, self.phone_region),
            Dataset::B2c => Ok(raw.to_owned()),
        }
    }

    /// The id.
    pub fn id(&self) -> DataOwnerId {
        self.id
    }
    /// The organisation it belongs to.
    pub fn organisation(&self) -> OrganisationId {
        self.organisation
    }
    /// The name.
    pub fn name(&self) -> &Name {
        &self.name
    }
    /// The controller details.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }
    /// The processing purposes.
    pub fn purposes(&self) -> &[ProcessingPurpose] {
        &self.purposes
    }
    /// The optional CRM fields of a dataset.
    pub fn fields(&self, dataset: Dataset) -> &[FieldDefinition] {
        match dataset {
            Dataset::B2b => &self.b2b_fields,
            Dataset::B2c => &self.b2c_fields,
        }
    }

    /// Every CRM field of both datasets, B2B's then B2C's in definition order, a key both
    /// define listed once (at its B2B place): the columns of a file of the owner's
    /// customers, whichever customers it holds.
    pub fn all_fields(&self) -> Vec<&FieldDefinition> {
        let mut seen = std::collections::BTreeSet::new();
        self.b2b_fields
            .iter()
            .chain(&self.b2c_fields)
            .filter(|f| seen.insert(f.key().as_str()))
            .collect()
    }

    /// Replaces the controller details.
    pub fn set_controller(&mut self, controller: Controller) {
        self.controller = controller;
    }

    /// Replaces the processing purposes.
    pub fn set_purposes(&mut self, purposes: Vec<ProcessingPurpose>) {
        self.purposes = purposes;
    }

    /// Replaces a dataset's CRM field definitions (admins may change them at any time).
    pub fn set_fields(
        &mut self,
        dataset: Dataset,
        definitions: Vec<FieldDefinition>,
    ) -> Result<(), FieldError> {
        check_definitions(&definitions)?;
        match dataset {
            Dataset::B2b => self.b2b_fields = definitions,
            Dataset::B2c => self.b2c_fields = definitions,
        }
        Ok(())
    }

    /// What is still missing of the GDPR details, in display order. Empty when complete.
    pub fn gdpr_gaps(&self) -> Vec<GdprGap> {
        let c = &self.controller;
        let mut gaps = Vec::new();
        if c.company_name.is_none() {
            gaps.push(GdprGap::CompanyName);
        }
        if c.organisation_number
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            gaps.push(GdprGap::OrganisationNumber);
        }
        if c.address.as_deref().is_none_or(|s| s.trim().is_empty()) {
            gaps.push(GdprGap::Address);
        }
        if c.contact_email.is_none() {
            gaps.push(GdprGap::ContactEmail);
        }
        if c.data_protection_contact
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            gaps.push(GdprGap::DataProtectionContact);
        }
        if self.purposes.is_empty() {
            gaps.push(GdprGap::ProcessingPurpose);
        }
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn gdpr_gaps_shrink_as_details_are_filled_in() {
        let mut owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Acme Energi").expect("valid"),
        );
        assert_eq!(owner.gdpr_gaps().len(), 6);
        owner.set_controller(Controller {
            company_name: Some(Name::parse("Acme Energi AS").expect("valid")),
            organisation_number: Some("987654321".into()),
            address: Some("Storgata 1, Oslo".into()),
            contact_email: Some(Email::parse("post@acme.no").expect("valid")),
            data_protection_contact: Some("personvern@acme.no".into()),
        });
        assert_eq!(owner.gdpr_gaps(), vec![GdprGap::ProcessingPurpose]);
        let nul = Controller {
            address: Some("Storgata\u{0} 1".into()),
            ..Controller::default()
        };
        let err = nul.cleaned().expect_err("a NUL");
        assert_eq!(err.field, "controller.address");
        owner.set_purposes(vec![ProcessingPurpose {
            description: Name::parse("Telemarketing").expect("valid"),
            legal_basis: LegalBasis::LegitimateInterests,
        }]);
        assert!(owner.gdpr_gaps().is_empty());
    }

    #[test]
    fn all_fields_lists_both_datasets_each_key_once_in_definition_order() {
        use crate::fields::{FieldKey, FieldType};
        let field = |key: &str| {
            FieldDefinition::new(
                FieldKey::parse(key).expect("valid key"),
                key,
                FieldType::Text,
                false,
            )
            .expect("valid field")
        };
        let mut owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Acme Energi").expect("valid"),
        );
        owner
            .set_fields(Dataset::B2b, vec![field("zone"), field("industry")])
            .expect("valid");
        owner
            .set_fields(Dataset::B2c, vec![field("age"), field("zone")])
            .expect("valid");
        let keys: Vec<_> = owner
            .all_fields()
            .iter()
            .map(|f| f.key().as_str())
            .collect();
        assert_eq!(keys, ["zone", "industry", "age"]);
    }

    #[test]
    fn phone_numbers_without_a_country_code_are_read_in_the_data_owners_region() {
        let mut owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Acme Energi").expect("valid"),
        );
        let phone = |owner: &DataOwner, raw| owner.parse_phone(raw).map(|p| p.to_string());
        assert_eq!(phone(&owner, "912 34 567").as_deref(), Ok("+4791234567"));
        assert_eq!(phone(&owner, "004791234567").as_deref(), Ok("+4791234567"));
        owner.set_phone_region(PhoneRegion::parse("SE").expect("a region"));
        assert_eq!(
            phone(&owner, "070-123 45 67").as_deref(),
            Ok("+46701234567")
        );
        assert_eq!(
            phone(&owner, "+47 912 34 567").as_deref(),
            Ok("+4791234567")
        );
        let mut stored = serde_json::to_value(&owner).expect("json");
        assert_eq!(stored["phone_region"], "SE");
        stored
            .as_object_mut()
            .expect("an object")
            .remove("phone_region");
        let old: DataOwner = serde_json::from_value(stored).expect("stored before regions");
        assert_eq!(old.phone_region(), PhoneRegion::NORWAY);
    }

    #[test]
    fn import_mappings_are_saved_replaced_bounded_and_deleted_by_name() {
        let mut owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::nil()),
            OrganisationId::from_uuid(Uuid::nil()),
            Name::parse("Acme Energi").expect("valid"),
        );
        let mapping = |columns: &str| ImportMapping {
            columns: columns.to_owned(),
            sheet: None,
            header_row: None,
            delimiter: None,
        };
        let name = |n: &str| Name::parse(n).expect("valid");
        owner
            .save_import_mapping(name("Bergen"), mapping("A=name"))
            .expect("saved");
        owner
            .save_import_mapping(name("Bergen"), mapping("A=name,B=phone"))
            .expect("replaced");
        assert_eq!(owner.import_mappings().len(), 1);
        assert_eq!(
            owner
                .import_mapping(&name("Bergen"))
                .map(|m| m.columns.as_str()),
            Some("A=name,B=phone")
        );
        assert_eq!(
            owner.save_import_mapping(name("Tom"), mapping("  ")),
            Err(ImportMappingError::NoColumns)
        );
        let long = ImportMapping {
            sheet: Some("x".repeat(ImportMapping::MAX_NAME_CHARS + 1)),
            ..mapping("A=name")
        };
        assert_eq!(
            owner.save_import_mapping(name("Lang"), long),
            Err(ImportMappingError::TooLong {
                field: "sheet",
                limit: ImportMapping::MAX_NAME_CHARS
            })
        );
        for n in 1..DataOwner::MAX_IMPORT_MAPPINGS {
            owner
                .save_import_mapping(name(&format!("M{n}")), mapping("A=name"))
                .expect("within the limit");
        }
        assert_eq!(
            owner.save_import_mapping(name("One too many"), mapping("A=name")),
            Err(ImportMappingError::TooMany {
                limit: DataOwner::MAX_IMPORT_MAPPINGS
            })
        );
        // Replacing one at the limit is no new one.
        owner
            .save_import_mapping(name("Bergen"), mapping("A=name"))
            .expect("replaced at the limit");
        assert!(owner.delete_import_mapping(&name("Bergen")));
        assert!(!owner.delete_import_mapping(&name("Bergen")));
        // One name in any case.
        owner
            .save_import_mapping(name("Bergen"), mapping("A=name"))
            .expect("saved");
        owner
            .save_import_mapping(name("BERGEN"), mapping("A=name,C=phone"))
            .expect("the same name");
        assert_eq!(
            owner
                .import_mapping(&name("bergen"))
                .map(|m| m.columns.as_str()),
            Some("A=name,C=phone")
        );
        assert!(owner.import_mappings().contains_key(&name("BERGEN")));
        assert!(owner.delete_import_mapping(&name("bErGeN")));
        let control = ImportMapping {
            sheet: Some("Ark\u{0}1".to_owned()),
            ..mapping("A=name")
        };
        assert_eq!(
            owner.save_import_mapping(name("Kontroll"), control),
            Err(ImportMappingError::ControlCharacters { field: "sheet" })
        );
        assert_eq!(
            owner.import_mappings().len(),
            DataOwner::MAX_IMPORT_MAPPINGS - 1
        );
    }
}
