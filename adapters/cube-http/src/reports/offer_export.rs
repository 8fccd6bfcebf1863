//! The open offers as a file (seed 001's sales report: open offers, "lastes ned"): the sales
//! report's list of open offers now, every one, as an Excel workbook or CSV, for whoever may
//! read the sales report — the assignment's client too, who sees what the report shows and
//! nothing more (no phone numbers, no CRM fields).
//!
//! A row per offered product line, as the sold products file: a sales manager sums the value
//! column per currency or pivots by product, customer or seller, and a line's money is typed
//! in its own currency (an offer's lines may be in several). The offer's own columns — since
//! when, customer, customer id, seller — repeat on each of its lines, and `offer` (its
//! enrollment id) tells the lines of one offer apart from another's of the same customer.
//! Columns: since, customer, customer_id, seller, product, quantity, unit_price, value,
//! currency, offer.

use super::outcome_export::product_line_cells;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use crate::table::{Cell, FileFormat, Separator, Table, download, file, headers, pages_of, text};
use axum::extract::State;
use axum::response::Response;
use cube_app::exports::OpenOfferExport;
use cube_domain::ids::AssignmentId;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;

/// The file.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OpenOfferExportQuery {
    /// `xlsx` (default) or `csv`.
    pub format: Option<FileFormat>,
    /// For CSV: `comma` (default) or `semicolon` (what Excel expects in Norway).
    pub separator: Option<Separator>,
}

const OFFER_HEADERS: [&str; 10] = [
    "since",
    "customer",
    "customer_id",
    "seller",
    "product",
    "quantity",
    "unit_price",
    "value",
    "currency",
    "offer",
];

/// One row per offered product line, the offers in the report's order.
pub(crate) fn offer_table(export: OpenOfferExport, made: OffsetDateTime) -> Table {
    let mut rows = Vec::new();
    for row in &export.rows {
        let offer = &row.offer;
        for (line, name) in offer.lines.iter().zip(&row.products) {
            let mut cells = vec![
                Cell::Time(offer.since),
                text(&row.customer),
                text(offer.customer.to_string()),
                text(&row.seller),
            ];
            cells.extend(product_line_cells(line, name));
            cells.push(text(offer.enrollment.to_string()));
            rows.push(cells);
        }
    }
    Table {
        sheet: "Åpne tilbud",
        zone: export.zone,
        made,
        headers: headers(&OFFER_HEADERS),
        rows: pages_of(rows),
    }
}

/// The open offers of an assignment now as a file: one row per offered product line — since,
/// customer, seller, product, quantity, unit price as offered, value, currency, offer — as
/// an Excel workbook or CSV.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/sales/open-offers/export", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment"), OpenOfferExportQuery),
    responses(
        (status = 200, description = "The file: an Excel workbook (typed cells, money in its currency's format, header row, frozen panes, autofilter) or CSV (UTF-8 with a byte-order mark, every cell quoted)", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "A parameter is malformed or unknown", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read the sales of this assignment", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn open_offers_export(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(query): ApiQuery<OpenOfferExportQuery>,
) -> ApiResult<Response> {
    let export = state.cube.open_offer_export(&actor.user, id).await?;
    let file = file(
        offer_table(export, state.cube.now()),
        query.format.unwrap_or_default(),
        query.separator.unwrap_or_default(),
    );
    Ok(download(&format!("open-offers-{id}"), file))
}
