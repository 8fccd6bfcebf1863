//! The customer-status download ("download all or part", DOMAIN.md): an assignment's
//! customers with the state each is in now, as CSV, for everyone who may read the Customers
//! report — the assignment's client too.
//!
//! The file is for spreadsheets: UTF-8 with a byte-order mark (so Excel reads "Ødegård"
//! right), every cell quoted (RFC 4180), a comma or — `separator=semicolon`, what Excel
//! expects in Norwegian settings — a semicolon between cells, and a cell that a spreadsheet
//! would run as a formula (starting `=`, `+`, `-`, `@`, a tab or a carriage return) is
//! prefixed with `'` — unless the whole cell is whole numbers separated by single spaces,
//! such as a phone number (`+4791234567`), a customer's phone list
//! (`+4791234567 +4722334455`) or `-12`: digits and signs call no function and reach no
//! other cell.
//!
//! The columns are the same for every download of an assignment, whichever customers it
//! holds: the fixed columns, then one per CRM field of the data owner (B2B's, then B2C's, in
//! definition order). A CRM field whose key is also a fixed column's name is headed
//! `crm.<key>` (a key never holds a dot), so no two columns share a header. The `segment`
//! column holds the segment's name.

use crate::AppState;
use crate::auth::Actor;
use crate::error::invalid_field;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cube_app::reports::StatusExport;
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldKey;
use cube_domain::ids::{AssignmentId, StateId};
use cube_sheets::write::push_row;
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
    pub(crate) fn char(self) -> char {
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

/// The header of a CRM field's column: its key, or `crm.<key>` when a fixed column has that
/// name.
fn field_header(key: &str) -> String {
    if COLUMNS.contains(&key) {
        format!("crm.{key}")
    } else {
        key.to_owned()
    }
}

/// The download as a CSV file: a header, then one line per customer; one column per CRM
/// field of the data owner, whatever the rows hold.
pub fn to_csv(export: &StatusExport, separator: Separator) -> String {
    let separator = separator.char();
    let keys: Vec<&FieldKey> = export.fields.iter().map(|f| f.key()).collect();
    let headers: Vec<String> = keys.iter().map(|k| field_header(k.as_str())).collect();
    let mut out = String::from('\u{feff}');
    push_row(
        &mut out,
        separator,
        COLUMNS
            .iter()
            .copied()
            .chain(headers.iter().map(String::as_str)),
    );
    for row in &export.rows {
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
            row.segment
                .as_ref()
                .map(|s| s.name.to_string())
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
        (status = 200, description = "CSV (UTF-8 with a byte-order mark, every cell quoted): a header row — the fixed columns, then one per CRM field of the data owner whatever the rows hold (`crm.<key>` where a key is a fixed column's name) — then one row per customer in import order", body = String, content_type = "text/csv"),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A state id that is malformed or not in the assignment's flow", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn status_export(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let states = query.states()?;
    let export = state
        .cube
        .customer_status_export(&actor.user, id, states)
        .await?;
    let body = to_csv(&export, query.separator.unwrap_or_default());
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
