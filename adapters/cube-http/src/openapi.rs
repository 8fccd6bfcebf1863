//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and
//! the DTOs' `ToSchema` derives, so it cannot drift from the code. Served at
//! `/api-docs/openapi.json`, with Swagger UI (vendored: works offline) at `/docs`.

use crate::{auth, customers, dto, error, health, ops, outbox, reports, setup, work};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The whole document: the core below merged with each endpoint group's own part.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(setup::SetupApi::openapi());
    doc.merge(customers::CustomersApi::openapi());
    doc.merge(reports::ReportsApi::openapi());
    doc
}

/// The core of the API's document (auth, work, operations, outbox).
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Cube API",
        description = "Outbound sales: assignments, the next customer, outcomes, follow-ups and reports. \
                       Errors are RFC 9457 `application/problem+json`. Authenticate with \
                       `Authorization: Bearer <token>` from `POST /api/login`, or with the \
                       `cube_session` cookie plus `X-Requested-With: cube` on unsafe methods."
    ),
    paths(
        auth::login, auth::logout,
        work::me, work::assignments, work::assignment, work::next_customer, work::take,
        work::release, work::register_outcome, work::my_work,
        health::healthz, health::readyz, ops::metrics, outbox::failed,
    ),
    components(schemas(
        error::Problem, auth::LoginRequest, auth::LoginResponse,
        dto::UserDto, dto::RoleDto, dto::CategoryDto, dto::AssignmentDto, dto::AssignmentDetailDto, dto::AssignmentOverviewDto, dto::OfferedProductDto, dto::BookingCalendarDto,
        dto::StateDto, dto::OutcomeDto, dto::FollowUpDto, dto::EnrollmentDto, dto::CustomerDto,
        dto::ViewEntryDto, dto::WorkItemDto, dto::FieldValueDto, dto::ProductLineDto,
        dto::MeetingKindDto, dto::MeetingRequestDto, dto::RegisterOutcomeRequest,
        dto::MeetingDto, dto::OutcomeEventDto, dto::RegisteredDto, dto::MyWorkItemDto,
        dto::MyWorkDto,
        outbox::ChannelDto, outbox::FailedMessageDto,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Log in and out"),
        (name = "work", description = "A seller's work"),
        (name = "operations", description = "Health checks and metrics"),
        (name = "outbox", description = "Messages that were not delivered"),
    )
)]
pub struct ApiDoc;

/// Adds the two ways to authenticate.
#[derive(Debug)]
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}
