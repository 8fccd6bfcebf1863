//! A data owner's own set-up: the GDPR details (the controller and the processing purposes
//! with their legal basis — a banner on the set-up pages names what is missing) and the
//! optional CRM fields of its B2B and B2C customers. Admins also create data owners here.
//! Reading the posted rows is pure ([`gdpr_of`], [`fields_of`]) and unit tested.

use crate::WebState;
use crate::forms::{FormError, Pairs};
use crate::i18n::M;
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cube_app::AppError;
use cube_domain::data_owner::{Controller, Dataset, LegalBasis, ProcessingPurpose};
use cube_domain::fields::{FieldDefinition, FieldKey, FieldType};
use cube_domain::ids::DataOwnerId;
use cube_domain::values::{Email, Name};

const BASES: [(LegalBasis, &str, M); 6] = [
    (LegalBasis::Consent, "consent", M::BasisConsent),
    (LegalBasis::Contract, "contract", M::BasisContract),
    (
        LegalBasis::LegalObligation,
        "legal-obligation",
        M::BasisLegalObligation,
    ),
    (
        LegalBasis::VitalInterests,
        "vital-interests",
        M::BasisVitalInterests,
    ),
    (LegalBasis::PublicTask, "public-task", M::BasisPublicTask),
    (
        LegalBasis::LegitimateInterests,
        "legitimate-interests",
        M::BasisLegitimateInterests,
    ),
];

pub(crate) const TYPES: [(&str, M); 6] = [
    ("text", M::TypeText),
    ("number", M::TypeNumber),
    ("decimal", M::TypeDecimal),
    ("date", M::TypeDate),
    ("boolean", M::TypeBoolean),
    ("choice", M::TypeChoice),
];

#[derive(Template)]
#[template(path = "setup_owner.html")]
struct OwnerPage {
    page: Chrome,
    id: String,
    name: String,
    gaps: Vec<String>,
    controller: [(String, &'static str, String); 5],
    purposes: Vec<(String, String)>,
    bases: Vec<(&'static str, &'static str)>,
    types: Vec<(&'static str, &'static str)>,
    datasets: Vec<DatasetView>,
}

struct DatasetView {
    key: &'static str,
    title: &'static str,
    fields: Vec<FieldRow>,
}

/// A field definition as an editor's row shows it (CRM fields here, an outcome's own fields
/// on the assignment's set-up).
pub(crate) struct FieldRow {
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) kind: &'static str,
    pub(crate) required: bool,
    pub(crate) choices: String,
}

impl FieldRow {
    /// The row of `definition`.
    pub(crate) fn of(definition: &FieldDefinition) -> Self {
        Self {
            key: definition.key().as_str().to_owned(),
            label: definition.label().to_owned(),
            kind: kind_of(definition.field_type()),
            required: definition.required(),
            choices: match definition.field_type() {
                FieldType::Choice { choices } => choices.join(", "),
                _ => String::new(),
            },
        }
    }
}

fn kind_of(field_type: &FieldType) -> &'static str {
    match field_type {
        FieldType::Text => "text",
        FieldType::Number => "number",
        FieldType::Decimal => "decimal",
        FieldType::Date => "date",
        FieldType::Boolean => "boolean",
        FieldType::Choice { .. } => "choice",
    }
}

async fn page(state: &WebState, viewer: &Viewer, raw: &str) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let id = WebError::path_id(raw, viewer, DataOwnerId::from_uuid)?;
    let owner = state
        .cube
        .data_owner(&viewer.user, id)
        .await
        .map_err(WebError::hidden(viewer))?;
    let c = owner.controller();
    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
    let dataset = |dataset, key, title| DatasetView {
        key,
        title: lang.t(title),
        fields: owner.fields(dataset).iter().map(FieldRow::of).collect(),
    };
    let name = owner.name().to_string();
    let view = OwnerPage {
        page: Chrome::of(viewer, &name, &format!("/app/setup/owners/{raw}")),
        id: raw.to_owned(),
        gaps: owner.gdpr_gaps().iter().map(|g| format!("{g:?}")).collect(),
        controller: [
            (
                "company_name".into(),
                lang.t(M::CompanyName),
                text(c.company_name.as_ref().map(Name::as_str)),
            ),
            (
                "organisation_number".into(),
                lang.t(M::OrganisationNumber),
                text(c.organisation_number.as_deref()),
            ),
            (
                "address".into(),
                lang.t(M::FieldAddress),
                text(c.address.as_deref()),
            ),
            (
                "contact_email".into(),
                lang.t(M::ContactEmail),
                text(c.contact_email.as_ref().map(Email::as_str)),
            ),
            (
                "data_protection_contact".into(),
                lang.t(M::DataProtectionContact),
                text(c.data_protection_contact.as_deref()),
            ),
        ],
        purposes: owner
            .purposes()
            .iter()
            .map(|p| {
                let basis = BASES
                    .iter()
                    .find(|(b, _, _)| *b == p.legal_basis)
                    .map_or("consent", |(_, key, _)| key);
                (p.description.to_string(), basis.to_owned())
            })
            .collect(),
        bases: BASES.iter().map(|(_, key, m)| (*key, lang.t(*m))).collect(),
        types: TYPES.iter().map(|(key, m)| (*key, lang.t(*m))).collect(),
        datasets: vec![
            dataset(Dataset::B2b, "b2b", M::DatasetB2b),
            dataset(Dataset::B2c, "b2c", M::DatasetB2c),
        ],
        name,
    };
    Ok(html(StatusCode::OK, &view))
}

/// `/app/setup/owners/{owner}`: the data owner's GDPR details and CRM fields.
pub async fn show(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    page(&state, &viewer, &raw).await
}

/// The controller and purposes as posted; empty purpose rows are left out.
pub fn gdpr_of(pairs: &Pairs) -> Result<(Controller, Vec<ProcessingPurpose>), FormError> {
    let text = |key: &str| pairs.get(key).map(str::to_owned);
    let controller = Controller {
        company_name: text("company_name")
            .map(|n| Name::parse(&n).map_err(|e| FormError(format!("the company name: {e}"))))
            .transpose()?,
        organisation_number: text("organisation_number"),
        address: text("address"),
        contact_email: text("contact_email")
            .map(|e| Email::parse(&e).map_err(|e| FormError(format!("the contact e-mail: {e}"))))
            .transpose()?,
        data_protection_contact: text("data_protection_contact"),
    };
    let mut purposes = Vec::new();
    for i in 0.. {
        let description = format!("purpose.{i}.description");
        if !pairs.0.iter().any(|(k, _)| *k == description) {
            break;
        }
        let Some(raw) = pairs.get(&description) else {
            continue;
        };
        let basis = pairs
            .get(&format!("purpose.{i}.basis"))
            .unwrap_or("consent");
        let legal_basis = BASES
            .iter()
            .find(|(_, key, _)| *key == basis)
            .map(|(b, _, _)| *b)
            .ok_or_else(|| FormError(format!("purpose '{raw}': choose its legal basis")))?;
        purposes.push(ProcessingPurpose {
            description: Name::parse(raw)
                .map_err(|e| FormError(format!("purpose '{raw}': {e}")))?,
            legal_basis,
        });
    }
    Ok((controller, purposes))
}

/// Saves the GDPR details.
pub async fn save_gdpr(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let (controller, purposes) = gdpr_of(&Pairs(pairs)).map_err(|e| WebError::Form {
        detail: e.0,
        lang: viewer.lang,
    })?;
    state
        .cube
        .set_gdpr_details(&viewer.user, id, controller, purposes, None)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(reload(&raw))
}

/// The field rows as posted under `prefix` (`<prefix>.N.key`, `.label`, `.type`,
/// `.required`, `.choices` separated by commas); rows without a key are left out. The CRM
/// fields' form uses the prefix `field`; an outcome's fields their own.
pub fn fields_of(pairs: &Pairs, prefix: &str) -> Result<Vec<FieldDefinition>, FormError> {
    let mut fields = Vec::new();
    for i in 0.. {
        let key_name = format!("{prefix}.{i}.key");
        if !pairs.0.iter().any(|(k, _)| *k == key_name) {
            break;
        }
        let Some(key) = pairs.get(&key_name) else {
            continue;
        };
        let get = |name: &str| {
            pairs
                .get(&format!("{prefix}.{i}.{name}"))
                .unwrap_or_default()
        };
        let what = |e: &dyn std::fmt::Display| FormError(format!("field '{key}': {e}"));
        let field_type = match get("type") {
            "text" | "" => FieldType::Text,
            "number" => FieldType::Number,
            "decimal" => FieldType::Decimal,
            "date" => FieldType::Date,
            "boolean" => FieldType::Boolean,
            "choice" => FieldType::Choice {
                choices: get("choices")
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            other => return Err(FormError(format!("field '{key}': no type '{other}'"))),
        };
        let label = match get("label") {
            "" => key,
            label => label,
        };
        let definition = FieldDefinition::new(
            FieldKey::parse(key).map_err(|e| what(&e))?,
            label,
            field_type,
            !get("required").is_empty(),
        )
        .map_err(|e| what(&e))?;
        fields.push(definition);
    }
    Ok(fields)
}

/// Saves one dataset's CRM fields.
pub async fn save_fields(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((raw, dataset)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let dataset = match dataset.as_str() {
        "b2b" => Dataset::B2b,
        "b2c" => Dataset::B2c,
        _ => return Err(WebError::app(AppError::NotFound("page"), &viewer)),
    };
    let fields = fields_of(&Pairs(pairs), "field").map_err(|e| WebError::Form {
        detail: e.0,
        lang: viewer.lang,
    })?;
    state
        .cube
        .set_crm_fields(&viewer.user, id, dataset, fields, None)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(reload(&raw))
}

/// Creates a data owner (admins) and opens it.
pub async fn create(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let pairs = Pairs(pairs);
    let owner = state
        .cube
        .create_data_owner(&viewer.user, pairs.get("name").unwrap_or_default())
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(reload(&owner.id().as_uuid().to_string()))
}

fn reload(raw: &str) -> Response {
    crate::views::redirect(&format!("/app/setup/owners/{raw}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        Pairs(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_controller_and_purposes_are_read_and_an_empty_purpose_row_is_left_out() {
        let form = pairs(&[
            ("company_name", "Kraft AS"),
            ("contact_email", "personvern@kraft.example.no"),
            ("purpose.0.description", "Telefonsalg av strøm"),
            ("purpose.0.basis", "legitimate-interests"),
            ("purpose.1.description", ""),
            ("purpose.1.basis", "consent"),
        ]);
        let (controller, purposes) = gdpr_of(&form).expect("valid");
        assert_eq!(
            controller.company_name.map(|n| n.to_string()),
            Some("Kraft AS".into())
        );
        assert_eq!(purposes.len(), 1);
        assert_eq!(purposes[0].legal_basis, LegalBasis::LegitimateInterests);
        let bad = pairs(&[("contact_email", "nope")]);
        assert!(
            gdpr_of(&bad)
                .expect_err("bad e-mail")
                .0
                .starts_with("the contact e-mail")
        );
    }

    #[test]
    fn crm_fields_are_read_by_type_and_a_bad_key_is_named() {
        let form = pairs(&[
            ("field.0.key", "industry"),
            ("field.0.label", "Bransje"),
            ("field.0.type", "choice"),
            ("field.0.choices", "Retail, Energy ,"),
            ("field.0.required", "on"),
            ("field.1.key", ""),
            ("field.1.type", "text"),
            ("field.2.key", "employees"),
            ("field.2.type", "number"),
        ]);
        let fields = fields_of(&form, "field").expect("valid");
        assert_eq!(fields.len(), 2);
        assert_eq!(
            fields[0].field_type(),
            &FieldType::Choice {
                choices: vec!["Retail".into(), "Energy".into()]
            }
        );
        assert!(fields[0].required());
        assert_eq!(
            fields[1].label(),
            "employees",
            "the key when no label is given"
        );
        let bad = pairs(&[("field.0.key", "Not a key!"), ("field.0.type", "text")]);
        assert!(
            fields_of(&bad, "field")
                .expect_err("bad key")
                .0
                .starts_with("field 'Not a key!'")
        );
    }
}
