//! The customer-status download ("download all or part", DOMAIN.md): an assignment's
//! customers with the state each is in now, as CSV, for everyone who may read the Customers
//! report — the assignment's client too.
//!
//! The file is for spreadsheets: UTF-8 with a byte-order mark (so Excel reads "Ødegård"
//! right), every cell quoted (RFC 4180), a comma or — `separator=semicolon`, what Excel
//! expects in Norwegian settings — a semicolon between cells, and a cell that a spreadsheet
//! would run as a formula (starting `=`, `+`, `-`, `@`, a tab or a carriage return) is
//! prefixed with `'` — unless the whole cell is one number, such as a phone number
//! (`+4791234567`) or `-12`, which a spreadsheet reads as a number and nothing else.

use crate::AppState;
use crate::auth::Actor;
use crate::customers::invalid_field;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cube_app::reports::StatusExportRow;
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldKey;
use cube_domain::ids::{AssignmentId, StateId};
use serde::Deserialize;
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What separates the cells of a row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Separator {
    /// `,` (RFC 4180).
    #[default]
    Comma,
    /// `;` (spreadsheets in locales where the comma is the decimal mark).
    Semicolon,
}

impl Separator {
    fn char(self) -> char {
        match self {
            Separator::Comma => ',',
            Separator::Semicolon => ';',
        }
    }
}

/// Which customers, and how the file is written.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Only customers in these states: state ids of the assignment's flow, separated by
    /// commas. Default: every customer of the assignment.
    pub states: Option<String>,
    /// `comma` (default) or `semicolon`.
    pub separator: Option<Separator>,
}

impl ExportQuery {
    fn states(&self) -> ApiResult<Option<BTreeSet<StateId>>> {
        let Some(raw) = &self.states else {
            return Ok(None);
        };
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                Uuid::parse_str(s)
                    .map(StateId::from_uuid)
                    .map_err(|_| invalid_field("states", format!("'{s}' is not a state id")))
            })
            .collect::<ApiResult<BTreeSet<_>>>()
            .map(|states| (!states.is_empty()).then_some(states))
    }
}

/// The fixed columns, before one column per CRM field.
const COLUMNS: [&str; 11] = [
    "external_id",
    "name",
    "dataset",
    "phones",
    "email",
    "address",
    "registry_number",
    "state",
    "category",
    "attempts",
    "segment",
];

/// Whether a spreadsheet would take `value` for a formula: it starts with a formula
/// character and is not simply one whole number (`+4791234567`, `-12`).
fn looks_like_formula(value: &str) -> bool {
    let mut chars = value.chars();
    match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => {
            let rest = chars.as_str();
            rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Appends `value` as one quoted cell.
fn push_cell(out: &mut String, value: &str) {
    out.push('"');
    if looks_like_formula(value) {
        out.push('\'');
    }
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
}

fn push_row<'a>(out: &mut String, separator: char, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(separator);
        }
        push_cell(out, cell);
    }
    out.push_str("\r\n");
}

/// The rows as a CSV file: a header, then one line per customer; one column per CRM field
/// any of them has, in key order.
pub fn to_csv(rows: &[StatusExportRow], separator: Separator) -> String {
    let separator = separator.char();
    let keys: BTreeSet<&FieldKey> = rows
        .iter()
        .flat_map(|r| r.customer.fields().keys())
        .collect();
    let mut out = String::from('\u{feff}');
    push_row(
        &mut out,
        separator,
        COLUMNS
            .iter()
            .copied()
            .chain(keys.iter().map(|k| k.as_str())),
    );
    for row in rows {
        let c = &row.customer;
        let d = c.details();
        let phones: Vec<&str> = d.phones.iter().map(|p| p.as_str()).collect();
        let fixed = [
            d.external_id.clone().unwrap_or_default(),
            d.name.to_string(),
            match c.dataset() {
                Dataset::B2b => "b2b".to_owned(),
                Dataset::B2c => "b2c".to_owned(),
            },
            phones.join(" "),
            d.email
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            d.address.clone().unwrap_or_default(),
            d.registry_number.clone().unwrap_or_default(),
            row.state.name.to_string(),
            row.state.category.as_str().to_owned(),
            row.enrollment.attempts().to_string(),
            row.enrollment
                .segment()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ];
        let fields: Vec<String> = keys
            .iter()
            .map(|k| c.fields().get(*k).map(|v| v.display()).unwrap_or_default())
            .collect();
        push_row(
            &mut out,
            separator,
            fixed.iter().chain(&fields).map(String::as_str),
        );
    }
    out
}

/// The assignment's customers and their state now, as a CSV file.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/status/export", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), ExportQuery),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark, every cell quoted): a header row, then one row per customer in import order", body = String, content_type = "text/csv"),
        (status = 400, description = "Malformed id, or an unknown or malformed query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A state id that is malformed or not in the assignment's flow", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn status_export(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let states = query.states()?;
    let rows = state
        .cube
        .customer_status_export(actor.user.id, AssignmentId::from_uuid(id), states)
        .await?;
    let body = to_csv(&rows, query.separator.unwrap_or_default());
    let disposition = format!("attachment; filename=\"customers-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_phone_numbers_kept() {
        for formula in [
            "=SUM(A1)",
            "@cmd",
            "+cmd",
            "-cmd",
            "\tx",
            "-",
            "+",
            "-1+cmd|' /C calc'!A0",
            "+1+HYPERLINK(\"http://evil/\")",
            "+4791234567 +4722334455",
        ] {
            assert!(looks_like_formula(formula), "{formula:?}");
        }
        for plain in ["+4791234567", "-12", "Solberg", "", "a=b"] {
            assert!(!looks_like_formula(plain), "{plain:?}");
        }
        let mut out = String::new();
        push_row(
            &mut out,
            ';',
            ["=1+1", "say \"hi\"", "a;b\nc", "+4791234567"],
        );
        assert_eq!(
            out,
            "\"'=1+1\";\"say \"\"hi\"\"\";\"a;b\nc\";\"+4791234567\"\r\n"
        );
    }
}
