//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and
//! the DTOs' `ToSchema` derives, so it cannot drift from the code. Served at
//! `/api-docs/openapi.json`, with Swagger UI (vendored: works offline) at `/docs`.
//!
//! A handler documents its success and the refusals that mean something for it (404 "no such
//! assignment", 409 and what conflicts). What every operation shares is added here, by
//! [`CommonResponses`], wherever the handler did not say it itself.

use crate::error::PROBLEM_JSON;
use crate::{
    auth, calendars, calls, customers, dto, error, health, mail, ops, outbox, reports,
    sale_confirmations, setup, sms, work,
};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The whole document: the core below merged with each endpoint group's own part, then the
/// responses and security every operation shares.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(setup::SetupApi::openapi());
    doc.merge(customers::CustomersApi::openapi());
    doc.merge(reports::ReportsApi::openapi());
    doc.merge(calendars::CalendarsApi::openapi());
    CommonResponses.modify(&mut doc);
    doc
}

/// The paths anyone may call without logging in (the document and its UI are not in it).
pub const PUBLIC: [&str; 4] = ["/api/login", "/healthz", "/readyz", "/metrics"];

/// Adds to every operation the problem responses and the security it shares with the others,
/// where its handler does not document that status itself:
/// - every operation: 500 (a fault on the server's side) and 503 (the store does not answer,
///   or the request ran out of time);
/// - an operation with a path or query parameter or a request body: 400 (malformed);
/// - an operation with a JSON body: 413 (too large), 415 (not JSON) and 422 (a value that
///   does not fit the body's schema);
/// - every operation but the [`PUBLIC`] ones: the requirement of a bearer token or the
///   session cookie, 401 (not logged in) and 403 (the role may not, or a cookie without the
///   CSRF header on an unsafe method).
#[derive(Debug)]
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let public = PUBLIC.contains(&path.as_str());
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_common(operation, public);
            }
        }
    }
}

fn add_common(operation: &mut Operation, public: bool) {
    let given_in = |place: ParameterIn| {
        operation.parameters.iter().flatten().any(|p| match p {
            RefOr::T(p) => p.parameter_in == place,
            RefOr::Ref(_) => false,
        })
    };
    let mut malformed = Vec::new();
    if given_in(ParameterIn::Path) {
        malformed.push("a malformed path parameter");
    }
    if given_in(ParameterIn::Query) {
        malformed.push("an unknown or malformed query parameter");
    }
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| match body {
            RefOr::T(body) => body.content.contains_key("application/json"),
            RefOr::Ref(_) => true,
        });
    if json_body {
        malformed.push("a body that is no JSON");
    }
    let mut common: Vec<(&str, String)> = vec![
        (
            "500",
            "The server failed (a fault on its side, logged for the operators)".to_owned(),
        ),
        (
            "503",
            "The store does not answer, or the request ran out of time; see `Retry-After`"
                .to_owned(),
        ),
    ];
    if !malformed.is_empty() {
        common.push(("400", sentence(&malformed)));
    }
    if json_body {
        common.extend([
            ("413", "The body is too large".to_owned()),
            (
                "415",
                "The body is not sent as `Content-Type: application/json`".to_owned(),
            ),
            (
                "422",
                "A body value that does not fit the body's schema".to_owned(),
            ),
        ]);
    }
    if !public {
        common.extend([
            ("401", "Not logged in".to_owned()),
            (
                "403",
                "The caller's role may not do this, or a request authenticated by the session \
                 cookie uses an unsafe method without `X-Requested-With: cube`"
                    .to_owned(),
            ),
        ]);
        operation.security.get_or_insert_with(|| {
            ["bearer", "cookie"]
                .map(|scheme| SecurityRequirement::new(scheme, Vec::<String>::new()))
                .to_vec()
        });
    }
    for (status, description) in common {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description));
    }
}

/// `parts` as one sentence: "A, b or c".
fn sentence(parts: &[&str]) -> String {
    let mut text = match parts {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    if let Some(first) = text.get(..1) {
        text.replace_range(..1, &first.to_uppercase());
    }
    text
}

/// A problem+json response described by `description`.
fn problem_response(description: String) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Problem",
                ))))
                .build(),
        )
        .build()
        .into()
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
        work::me, work::assignments, work::assignment, work::next_customer, work::queue, work::queue_reason, work::take,
        work::history, work::move_follow_up,
        work::release, work::register_outcome, work::my_work, work::search,
        health::healthz, health::readyz, ops::metrics, outbox::failed, sms::inbound, sms::receipt, sms::replies, sms::send, mail::send,
        sale_confirmations::list,
        calls::start, calls::list, calls::events,
    ),
    components(schemas(
        error::Problem, auth::LoginRequest, auth::LoginResponse,
        dto::UserDto, dto::RoleDto, dto::CategoryDto, dto::AssignmentDto, dto::AssignmentDetailDto, dto::AssignmentOverviewDto, dto::OfferedProductDto, dto::BookingCalendarDto,
        dto::StateDto, dto::OutcomeDto, dto::FollowUpDto, dto::EnrollmentDto, dto::CustomerDto,
        dto::ViewEntryDto, dto::WorkItemDto, dto::FieldValueDto, dto::ProductLineDto, dto::HistoryEntryDto, dto::SoldLineDto, work::MoveFollowUpRequest, work::FoundCustomerDto, work::FoundPageDto, work::QueueDto, work::WaitingDto, work::QueueReasonDto,
        dto::MeetingKindDto, dto::MeetingRequestDto, dto::RegisterOutcomeRequest,
        dto::MeetingDto, dto::OutcomeEventDto, dto::RegisteredDto, dto::MyWorkItemDto,
        dto::MyWorkDto,
        outbox::ChannelDto, outbox::FailedMessageDto, sms::InboundSmsBody, sms::ReplyFateDto,
        sms::SmsReplyDto, sms::SendSmsRequest, sms::SentSmsDto, sms::DeliveryReceiptBody,
        sms::ReceiptStatusDto, mail::SendEmailRequest, mail::SentEmailDto,
        sale_confirmations::ConfirmationStatusDto,
        sale_confirmations::ConfirmationLineDto, sale_confirmations::SaleConfirmationDto,
        calls::CallStatusDto, calls::CallDto, calls::StartedCallDto, calls::CallEventForm,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Log in and out"),
        (name = "work", description = "A seller's work"),
        (name = "operations", description = "Health checks and metrics"),
        (name = "outbox", description = "Messages that were not delivered"),
        (name = "sms", description = "Texts customers send back to SMS flows, and sales' written confirmations"),
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
