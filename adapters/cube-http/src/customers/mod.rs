//! Customers and the work on them beyond the seller's queue: create, read, update and page
//! customers; import; enroll; bulk actions on a selection; time entries; external state
//! changes from integrations. Each handler is a thin shell over one use case of `Cube`.
//!
//! # Layout
//! - [`records`]: one customer (create, read, update) and a data owner's customers, paged.
//! - [`import`]: importing rows into a data owner (and an assignment), at once or as a job
//!   for a large file; enrolling customers.
//! - [`files`]: importing a spreadsheet or CSV file as it is, with a preview first.
//! - [`upload`]: a file as it arrives, into a temporary file, within the operator's limit.
//! - [`undo`]: a data owner's imports, and undoing one nobody has worked on yet.
//! - [`bulk`]: previewing a selection of an assignment's customers, exporting it, and acting
//!   on all of it.
//! - [`time`]: starting and stopping the clock, hours entered by hand.
//! - [`external`]: a state change pushed by an external system.
//! - [`card`]: the card while working (a seller reads every field and edits it, each edit
//!   recorded) and a customer's whole history across assignments.
//! - [`contact`]: the contact policy — the do-not-call list, register exemptions, a data
//!   owner's rules and the wash against the reservation register.
//! - [`privacy`]: a person's rights under the GDPR — everything a data owner holds on them
//!   (JSON or a workbook), erasure — and the data owner's privacy log.

pub mod bulk;
pub mod card;
pub mod contact;
pub mod external;
pub mod files;
pub mod import;
pub mod mappings;
pub mod privacy;
pub mod records;
pub mod time;
pub mod undo;
pub mod upload;

use crate::{AppState, dto, error};
use axum::Router;
use axum::routing::{get, post, put};
use utoipa::OpenApi;

/// The largest import body accepted: far above the API's default, because a spreadsheet of
/// tens of thousands of rows is one request.
pub const IMPORT_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The customer endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/data-owners/{id}/customers",
            post(records::create).get(records::list),
        )
        .route(
            "/api/data-owners/{id}/customers/import",
            post(import::import).layer(crate::body_limit::layer(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/api/data-owners/{id}/customers/import-jobs",
            post(import::start_job).layer(crate::body_limit::layer(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/api/data-owners/{id}/customers/import-file/preview",
            post(files::preview).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/data-owners/{id}/customers/import-file",
            post(files::import).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/data-owners/{id}/import-mappings", get(mappings::list))
        .route(
            "/api/data-owners/{id}/import-mappings/{name}",
            put(mappings::save).delete(mappings::delete),
        )
        .route("/api/import-jobs/{id}", get(import::job))
        .route("/api/import-jobs/{id}/rejected", get(import::rejected_rows))
        .route("/api/import-jobs/{id}/cancel", post(import::cancel))
        .route("/api/data-owners/{id}/imports", get(undo::list))
        .route("/api/imports/{id}/undo", post(undo::undo))
        .route(
            "/api/customers/{id}",
            get(records::get).put(records::update),
        )
        .route("/api/customers/{id}/history", get(card::history))
        .route(
            "/api/customers/{id}/do-not-call",
            put(contact::put_do_not_call).delete(contact::delete_do_not_call),
        )
        .route(
            "/api/customers/{id}/register-exemption",
            put(contact::put_exemption).delete(contact::delete_exemption),
        )
        .route(
            "/api/data-owners/{id}/contact-policy",
            get(contact::get_policy).put(contact::put_policy),
        )
        .route(
            "/api/data-owners/{id}/reservation-register/wash",
            post(contact::wash).layer(crate::body_limit::layer(contact::REGISTER_BODY_LIMIT)),
        )
        .route(
            "/api/enrollments/{id}/customer",
            get(card::get).put(card::edit),
        )
        .route(
            "/api/customers/{id}/external-state",
            post(external::change_state),
        )
        .route(
            "/api/data-owners/{id}/privacy/access",
            post(privacy::access),
        )
        .route(
            "/api/data-owners/{id}/privacy/erasure",
            post(privacy::erasure),
        )
        .route("/api/data-owners/{id}/privacy/log", get(privacy::log))
        .route("/api/assignments/{id}/enrollments", post(import::enroll))
        .route("/api/assignments/{id}/selection", post(bulk::preview))
        .route("/api/assignments/{id}/selection/export", post(bulk::export))
        .route("/api/assignments/{id}/bulk", post(bulk::apply))
        .route("/api/assignments/{id}/time", post(time::manual))
        .route("/api/assignments/{id}/time/start", post(time::start))
        .route("/api/time/stop", post(time::stop))
}

/// The customer endpoints' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        records::create, records::list, records::get, records::update,
        import::import, import::start_job, import::job, import::rejected_rows, import::cancel, import::enroll,
        files::preview, files::import,
        undo::list, undo::undo,
        mappings::list, mappings::save, mappings::delete,
        bulk::preview, bulk::export, bulk::apply,
        time::start, time::stop, time::manual,
        external::change_state,
        card::get, card::edit, card::history,
        contact::put_do_not_call, contact::delete_do_not_call,
        contact::put_exemption, contact::delete_exemption,
        contact::get_policy, contact::put_policy, contact::wash,
        privacy::access, privacy::erasure, privacy::log,
    ),
    components(schemas(
        error::Problem, dto::FieldValueDto, dto::RegisterOutcomeRequest, dto::ProductLineDto,
        dto::MeetingRequestDto, dto::MeetingKindDto, dto::CategoryDto,
        records::DatasetDto, records::CustomerRequest, records::NewCustomerRequest,
        records::CustomerRecordDto, records::CustomerPageDto,
        import::ImportRequest, import::ImportReportDto, import::RejectedRowDto,
        import::OnMatchDto, import::MatchKeyDto, import::ImportedRowDto, import::RowOutcomeDto,
        import::EnrollRequest, import::EnrollReportDto, import::ImportJobDto,
        import::ImportJobStatusDto, import::JobErrorDto,
        undo::CustomerImportDto, undo::UndoneImportDto,
        files::SheetDto, files::ColumnDto, files::PreviewRowDto, files::FilePreviewDto,
        mappings::ImportMappingDto, mappings::ImportMappingRequest,
        bulk::SelectionDto, bulk::FieldConditionDto, bulk::SelectionRequest,
        bulk::SelectedDto, bulk::SelectionPreviewDto, bulk::BulkActionDto, bulk::BulkRequest,
        bulk::BulkReportDto, bulk::SelectionExportRequest, crate::table::FileFormat,
        crate::table::Separator,
        time::TimeEntryDto, time::ManualTimeRequest,
        external::ExternalStateRequest, external::StateChangeDto, external::StateChangeResult,
        card::CustomerChangeDto, card::MeetingChangeDto, card::CardDto, card::CustomerHistoryEntryDto, card::CustomerHistoryDto,
        contact::DoNotCallDto, contact::RegisterCheckDto, contact::ExemptionDto,
        contact::ContactStandingDto, contact::DoNotCallRequest, contact::WashDto,
        contact::ContactPolicyDto, contact::ContactRulesRequest, crate::work::BarredDto,
        contact::WashStartedDto, dto::FileBody,
        privacy::PersonRequest, privacy::AccessFormat, privacy::KeyKindDto,
        privacy::PersonalRightDto, privacy::DeliveryDto, privacy::PersonMessageDto,
        privacy::SentSmsFlowDto, privacy::PersonEventDto, privacy::PersonEnrollmentDto,
        privacy::PersonRecordDto, privacy::PersonalDataDto, privacy::PrivacyRequestDto,
        privacy::ErasedDto, privacy::PersonCallDto,
        crate::sms::SmsReplyDto, crate::outbox::ChannelDto, dto::EnrollmentDto,
        dto::HistoryEntryDto, dto::MeetingDto,
    )),
    tags(
        (name = "customers", description = "Customers of a data owner: records, import, enrolling, bulk work, external state changes"),
        (name = "time", description = "Hours on an assignment"),
    )
)]
pub struct CustomersApi;
