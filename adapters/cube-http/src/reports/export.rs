//! The customer-status download ("download all or part", DOMAIN.md): an assignment's
//! customers with the state each is in now, as CSV or an Excel workbook, for everyone who may
//! read the Customers report — the assignment's client too. A bulk selection's export
//! (`customers::bulk`) lays its customers out the same way ([`status_table`]).
//!
//! The rows are read a page at a time ([`StatusPages`]) as the file is written, never held
//! whole. The file is a [`Table`] written by [`crate::table`]: the CSV UTF-8 with a byte-order mark,
//! every cell quoted, a comma or a semicolon between cells, and a cell that a spreadsheet
//! would run as a formula (starting `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed
//! with `'` — unless the whole cell is whole numbers separated by single spaces, such as a
//! phone number (`+4791234567`), a customer's phone list (`+4791234567 +4722334455`) or
//! `-12`: digits and signs call no function and reach no other cell. The workbook types
//! the cells: attempts and number fields are numbers, date fields dates, yes/no fields
//! booleans.
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
use crate::table::{
    Cell, FileFormat, Separator, Table, XLSX_MAX_ROWS, download, field_cell, file, fits, text,
};
use axum::extract::State;
use axum::response::Response;
use cube_app::reports::{StatusExport, StatusExportRow};
use cube_app::status_exports::StatusPages;
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldKey;
use cube_domain::ids::{AssignmentId, StateId};
use cube_domain::time_zone::TimeZone;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use std::collections::BTreeSet;
use time::OffsetDateTime;
use utoipa::IntoParams;
use uuid::Uuid;

/// Which customers, and how the file is written.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Only customers in these states: state ids of the assignment's flow, separated by
    /// commas. Default: every customer of the assignment.
    pub states: Option<String>,
    /// `csv` (default) or `xlsx`.
    pub format: Option<FileFormat>,
    /// For CSV: `comma` (default) or `semicolon` (what Excel expects in Norway).
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

/// The cells of one customer's row: the fixed columns, then one per CRM field of `keys`.
fn status_cells(row: &StatusExportRow, keys: &[FieldKey]) -> Vec<Cell> {
    let c = &row.customer;
    let d = c.details();
    let phones: Vec<&str> = d.phones.iter().map(|p| p.as_str()).collect();
    let mut cells = vec![
        text(d.external_id.clone().unwrap_or_default()),
        text(d.name.to_string()),
        text(match c.dataset() {
            Dataset::B2b => "b2b",
            Dataset::B2c => "b2c",
        }),
        text(phones.join(" ")),
        text(
            d.email
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
        text(d.address.clone().unwrap_or_default()),
        text(d.registry_number.clone().unwrap_or_default()),
        text(row.state.name.to_string()),
        text(row.state.category.as_str()),
        Cell::Count(u64::from(row.enrollment.attempts())),
        text(
            row.segment
                .as_ref()
                .map(|s| s.name.to_string())
                .unwrap_or_default(),
        ),
    ];
    cells.extend(
        keys.iter()
            .map(|k| c.fields().get(k).map_or(Cell::Empty, field_cell)),
    );
    cells
}

/// The download as a table: a header, then one row per customer, laid out a page at a time
/// as [`StatusPages`] reads them; one column per CRM field of the data owner, whatever the
/// rows hold. It holds no times, so no zone matters: UTC.
pub(crate) fn status_table(
    export: StatusExport,
    sheet: &'static str,
    made: OffsetDateTime,
) -> Table {
    let keys: Vec<FieldKey> = export.fields.iter().map(|f| f.key().clone()).collect();
    let headers = COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(keys.iter().map(|k| field_header(k.as_str())))
        .collect();
    let rows = futures::stream::try_unfold(export.rows, |mut rows: StatusPages| async move {
        Ok(rows.next_page().await?.map(|page| (page, rows)))
    })
    .map_ok(move |page| page.iter().map(|row| status_cells(row, &keys)).collect())
    .boxed();
    Table {
        sheet,
        zone: TimeZone::utc(),
        made,
        headers,
        rows,
    }
}

/// Refuses a workbook of more rows than a sheet holds before its download starts: when the
/// counters say the export may hold more, its rows are counted (a read of every page).
pub(crate) async fn status_fits(format: FileFormat, export: &StatusExport) -> ApiResult<()> {
    if format == FileFormat::Xlsx && export.at_most > XLSX_MAX_ROWS {
        fits(format, export.rows.count().await?)?;
    }
    Ok(())
}

/// The assignment's customers and their state now, as a CSV file or an Excel workbook.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/status/export", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), ExportQuery),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark, every cell quoted) or an Excel workbook (typed cells, header row, frozen panes, autofilter): a header row — the fixed columns, then one per CRM field of the data owner whatever the rows hold (`crm.<key>` where a key is a fixed column's name) — then one row per customer in import order", content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
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
    let format = query.format.unwrap_or(FileFormat::Csv);
    status_fits(format, &export).await?;
    let file = file(
        status_table(export, "Kunder", state.cube.now()),
        format,
        query.separator.unwrap_or_default(),
    );
    Ok(download(&format!("customers-{id}"), file))
}
