//! Setting up an organisation: users and API tokens, data owners (controller, purposes, CRM
//! fields), products, calendars, flows (draft, check, publish, copy) and assignments with
//! their whole setup and segments. Each handler is a thin shell over one use case of `Cube`:
//! the use case decides who may do what (admins the organisation, managers their data
//! owners), and another organisation's id answers 404 exactly like an unknown one.
//!
//! The bodies here are this adapter's own, converted by hand. Conversions that can fail
//! (a state's name, a CRM field key, a date window) answer 422 with the path of the field
//! in the request (`` `states[1].name`: name must not be empty ``), so a client can point at
//! the input to fix; a body that does not parse at all is a 400 or 422 from the extractor.
//!
//! # Layout
//! - [`users`]: the organisation's users, their activation and passwords.
//! - [`tokens`]: long-lived API tokens for integrations (an admin's for another user too),
//!   and revoking tokens.
//! - [`webhooks`]: the organisation's outbound webhook endpoints (secret shown once).
//! - [`data_owners`]: data owners, GDPR details, CRM fields.
//! - [`catalogue`]: a data owner's products and calendars, listed and changed.
//! - [`field_definitions`]: typed field definitions (CRM fields and outcome fields).
//! - [`flows`]: flow drafts (read, edit, check, publish), the published flows and versions,
//!   copying.
//! - [`assignments`]: creating an assignment, reading and replacing its setup, segments,
//!   switching flows.
//! - [`assignment_setup`]: the body of an assignment's whole setup and its conversions;
//!   [`outcome_setup`] its per-outcome part.

pub mod assignment_setup;
pub mod assignments;
pub mod catalogue;
pub mod data_owners;
pub mod field_definitions;
pub mod flows;
pub mod organisation;
pub mod outcome_setup;
pub mod tokens;
pub mod users;
pub mod webhooks;

use crate::error::{ApiError, ApiResult, Problem, invalid_field};
use crate::{AppState, customers, dto, reports};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use cube_domain::values::Name;
use utoipa::OpenApi;

/// The set-up endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/organisation",
            get(organisation::get).patch(organisation::update),
        )
        .route("/api/users", get(users::list).post(users::create))
        .route(
            "/api/organisation/caller-ids",
            put(organisation::set_caller_ids),
        )
        .route("/api/users/{id}/active", put(users::set_active))
        .route("/api/users/{id}/phone", put(users::set_phone))
        .route("/api/users/{id}/role", put(users::set_role))
        .route("/api/users/{id}/password", put(users::set_password))
        .route("/api/tokens", post(tokens::issue))
        .route("/api/tokens/current", delete(tokens::revoke_current))
        .route("/api/tokens/{id}", delete(tokens::revoke))
        .route("/api/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/api/webhooks/{id}", delete(webhooks::delete))
        .route(
            "/api/data-owners",
            get(data_owners::list).post(data_owners::create),
        )
        .route("/api/data-owners/{id}", get(data_owners::get))
        .route("/api/data-owners/{id}/gdpr", put(data_owners::set_gdpr))
        .route("/api/data-owners/{id}/fields", put(data_owners::set_fields))
        .route(
            "/api/data-owners/{id}/products",
            get(catalogue::products).post(catalogue::create_product),
        )
        .route("/api/products/{id}", put(catalogue::update_product))
        .route(
            "/api/products/{id}/active",
            put(catalogue::set_product_active),
        )
        .route(
            "/api/data-owners/{id}/calendars",
            get(catalogue::calendars).post(catalogue::create_calendar),
        )
        .route(
            "/api/calendars/{id}",
            get(catalogue::calendar).put(crate::calendars::edit),
        )
        .route(
            "/api/data-owners/{id}/flows",
            get(flows::list).post(flows::create),
        )
        .route(
            "/api/flows/{id}/draft",
            get(flows::draft).put(flows::update_draft),
        )
        .route("/api/flows/{id}/versions/{version}", get(flows::version))
        .route("/api/flows/{id}/check", post(flows::check))
        .route("/api/flows/{id}/publish", post(flows::publish))
        .route("/api/flows/{id}/copy", post(flows::copy))
        .route("/api/assignments", post(assignments::create))
        .route(
            "/api/assignments/{id}/setup",
            get(assignments::setup).put(assignments::update_setup),
        )
        .route(
            "/api/assignments/{id}/segments",
            post(assignments::add_segment),
        )
        .route("/api/assignments/{id}/flow", post(assignments::switch_flow))
}

/// A 201 answer with the new resource's address in `Location` and its body.
pub(crate) fn created<T: serde::Serialize>(location: String, body: T) -> ApiResult<Response> {
    let location = HeaderValue::from_str(&location)
        .map_err(|e| ApiError::Internal(format!("a Location header from an id failed: {e}")))?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// A blank text is no text: trimmed, and `None` when nothing is left.
pub(crate) fn filled(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A name from the request; a bad one is a 422 naming the field at `at`.
pub(crate) fn name_at(at: String, raw: &str) -> ApiResult<Name> {
    Name::parse(raw).map_err(|e| invalid_field(at, e))
}

/// The set-up endpoints' part of the OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        organisation::get, organisation::update, organisation::set_caller_ids,
        users::list, users::create, users::set_active, users::set_role, users::set_password,
        users::set_phone,
        tokens::issue, tokens::revoke_current, tokens::revoke,
        webhooks::create, webhooks::list, webhooks::delete,
        data_owners::create, data_owners::list, data_owners::get, data_owners::set_gdpr,
        data_owners::set_fields, catalogue::products, catalogue::create_product,
        catalogue::set_product_active, catalogue::update_product, catalogue::calendars, catalogue::create_calendar,
        catalogue::calendar,
        flows::create, flows::list, flows::draft, flows::update_draft, flows::version,
        flows::check, flows::publish, flows::copy,
        assignments::create, assignments::setup, assignments::update_setup,
        assignments::add_segment, assignments::switch_flow,
    ),
    components(schemas(
        Problem, dto::UserDto, dto::RoleDto, dto::AssignmentDto, dto::StateDto, dto::CategoryDto,
        customers::records::DatasetDto,
        reports::performance::LimitMetricDto, reports::performance::LimitModeDto,
        organisation::OrganisationDto, organisation::OrganisationChangeRequest,
        organisation::CallerIdsRequest,
        users::UserAccountDto, users::NewUserRequest, users::ActiveRequest, users::RoleRequest,
        users::PasswordRequest, users::PhoneRequest,
        tokens::IssueTokenRequest, tokens::IssuedTokenDto, tokens::TokenScope,
        webhooks::NewWebhookRequest, webhooks::WebhookDto, webhooks::CreatedWebhookDto,
        data_owners::NewDataOwnerRequest, data_owners::DataOwnerDto, data_owners::ControllerDto,
        data_owners::LegalBasisDto, data_owners::PurposeDto, data_owners::GdprGapDto,
        data_owners::GdprRequest, field_definitions::FieldTypeDto, field_definitions::FieldDefinitionDto,
        data_owners::FieldsRequest, catalogue::NewProductRequest, catalogue::ProductDto,
        catalogue::NewCalendarRequest, catalogue::CalendarDto, catalogue::OpeningPeriodDto, catalogue::WeekdayDto,
        flows::OutcomeKindDto, flows::FlowOutcomeDto, flows::FlowContentRequest, flows::FlowDto,
        flows::FlowDraftDto, flows::FlowProblemCode, flows::FlowProblemDto, flows::FlowCheckDto,
        flows::FlowRejectionDto, flows::CopyFlowRequest,
        assignments::NewAssignmentRequest, assignments::ManagedAssignmentDto,
        assignments::SmsLengthDto, assignments::SmsKindDto,
        assignments::NewSegmentRequest, assignments::SwitchFlowRequest,
        assignments::StateMoveDto, assignments::StateMoveRequest, assignments::FlowSwitchDto,
        assignment_setup::AssignmentSetupDto, assignment_setup::SaleConfirmationSetupDto,
        assignment_setup::ConfirmationChannelDto, outcome_setup::OutcomeSetupDto,
        outcome_setup::FollowUpOwnershipDto, outcome_setup::SmsFlowDto,
        outcome_setup::SmsReplyRuleDto, assignment_setup::ProductSettingsDto,
        assignment_setup::TemplateDto, assignment_setup::CommunicationDto,
        assignment_setup::PerformanceCriteriaDto, assignment_setup::ActivityLimitDto,
        assignment_setup::VisibilityDto, assignment_setup::SegmentDto,
        assignment_setup::DirectionDto, assignment_setup::PriorityRuleDto,
    )),
    tags(
        (name = "setup", description = "Setting up the organisation: users, API tokens, data owners \
                                        (GDPR details, CRM fields), products, calendars, flows and \
                                        assignments with their setup"),
    )
)]
pub struct SetupApi;
