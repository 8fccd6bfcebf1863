//! Customers and the work on them beyond the seller's queue: create, read, update and page
//! customers; import; enroll; bulk actions on a selection; time entries; external state
//! changes from integrations. Each handler is a thin shell over one use case of `Cube`.
//!
//! The remaining reports of one assignment (meetings, activity limits, hit analysis) and
//! performance across assignments live in [`crate::reports`], but are routed and documented
//! from here, because this group's router and OpenAPI part are merged by the crate root.
//!
//! # Layout
//! - [`records`]: one customer (create, read, update) and a data owner's customers, paged.
//! - [`import`]: importing rows into a data owner (and an assignment), enrolling customers.
//! - [`bulk`]: previewing a selection of an assignment's customers and acting on all of it.
//! - [`time`]: starting and stopping the clock, hours entered by hand.
//! - [`external`]: a state change pushed by an external system.

pub mod bulk;
pub mod external;
pub mod import;
pub mod records;
pub mod time;

use crate::error::ApiError;
use crate::{AppState, dto, error, reports};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use utoipa::OpenApi;

/// The largest import body accepted: far above the API's default, because a spreadsheet of
/// tens of thousands of rows is one request.
pub const IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The customer endpoints (and the reports routed from this group).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/data-owners/{id}/customers",
            post(records::create).get(records::list),
        )
        .route(
            "/api/data-owners/{id}/customers/import",
            post(import::import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/api/customers/{id}",
            get(records::get).put(records::update),
        )
        .route(
            "/api/customers/{id}/external-state",
            post(external::change_state),
        )
        .route("/api/assignments/{id}/enrollments", post(import::enroll))
        .route("/api/assignments/{id}/selection", post(bulk::preview))
        .route("/api/assignments/{id}/bulk", post(bulk::apply))
        .route("/api/assignments/{id}/time", post(time::manual))
        .route("/api/assignments/{id}/time/start", post(time::start))
        .route("/api/time/stop", post(time::stop))
        .route(
            "/api/reports/performance",
            get(reports::performance::performance),
        )
        .route(
            "/api/assignments/{id}/reports/meetings",
            get(reports::meetings::meetings),
        )
        .route(
            "/api/calendars/{id}/meetings",
            get(reports::meetings::calendar),
        )
        .route(
            "/api/assignments/{id}/reports/limits",
            get(reports::performance::limits),
        )
        .route(
            "/api/assignments/{id}/reports/hits",
            get(reports::hits::hits),
        )
        .route(
            "/api/assignments/{id}/reports/status/export",
            get(reports::export::status_export),
        )
}

/// A 422 problem about one named field of the request.
pub(crate) fn invalid_field(field: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::Malformed {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        detail: format!("`{field}`: {detail}"),
    }
}

/// The customer endpoints' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        records::create, records::list, records::get, records::update,
        import::import, import::enroll,
        bulk::preview, bulk::apply,
        time::start, time::stop, time::manual,
        external::change_state,
        reports::performance::performance, reports::performance::limits,
        reports::meetings::meetings, reports::meetings::calendar, reports::hits::hits,
        reports::export::status_export,
    ),
    components(schemas(
        error::Problem, dto::FieldValueDto, dto::RegisterOutcomeRequest, dto::ProductLineDto,
        dto::MeetingRequestDto, dto::MeetingKindDto, dto::CategoryDto,
        records::DatasetDto, records::CustomerRequest, records::NewCustomerRequest,
        records::CustomerRecordDto, records::CustomerPageDto,
        import::ImportRequest, import::ImportReportDto, import::RejectedRowDto,
        import::OnMatchDto, import::ImportedRowDto, import::RowOutcomeDto,
        import::EnrollRequest, import::EnrollReportDto,
        bulk::SelectionDto, bulk::FieldConditionDto, bulk::SelectionRequest,
        bulk::SelectedDto, bulk::SelectionPreviewDto, bulk::BulkActionDto, bulk::BulkRequest,
        bulk::BulkReportDto,
        time::TimeEntryDto, time::ManualTimeRequest,
        external::ExternalStateRequest, external::StateChangeDto, external::StateChangeResult,
        reports::performance::ResultsDto, reports::performance::RatesDto,
        reports::performance::AchievementDto, reports::Percent,
        reports::performance::PerformanceDto, reports::performance::UserPerformanceDto,
        reports::performance::AssignmentPerformanceDto,
        reports::performance::PerformanceReportDto, reports::performance::LimitMetricDto,
        reports::performance::LimitModeDto, reports::performance::LimitProgressDto,
        reports::meetings::MeetingRowDto,
        reports::hits::ValueHitsDto, reports::hits::FieldHitsDto, reports::export::Separator,
    )),
    tags(
        (name = "customers", description = "Customers of a data owner: records, import, enrolling, bulk work, external state changes"),
        (name = "time", description = "Hours on an assignment"),
    )
)]
pub struct CustomersApi;
