//! The access matrix: every documented operation against every role, with the ids of the
//! first organisation in its path and body.
//!
//! The OpenAPI document is the list of operations; [`TABLE`] classifies each of them (by
//! group, with the expected answer for every caller), and the test fails when the document
//! has an operation the table does not know, or the table one the document lost. The
//! expectations come from the use cases of `cube-app` and the policy in
//! `cube_domain::access`, read against DOMAIN.md ("Users and access"):
//!
//! - **Admin** does everything in the organisation.
//! - **Manager** sets up and reports on the data owners given to them (and, by the policy,
//!   may work their assignments and register hours for others).
//! - **Seller** works the assignments visible to them; one that is hidden from them is
//!   "not found" (the *hidden seller* column: the assignment is made visible to another
//!   seller only).
//! - **Client** reads the Performance, Sales, Call outcomes and Customers reports of its
//!   client's assignments; another client's assignment is "not found" (the *other client*
//!   column: a client user of a different client).
//! - **Another organisation's** admin and manager never learn that an id of the first
//!   organisation exists: 404, never 403, never a success — and no answer they get holds an
//!   id of the first organisation.
//! - Without a token every operation but login, the health checks, the metrics and the API
//!   document answers 401.
//!
//! "Allowed" means the access check let the request through: the answer is a success, or a
//! 409 / 422 about the request itself (a lease not held, no clock running); the bodies sent
//! are valid, because handlers check a body before the use case checks access. A refusal
//! must be exactly 403 or 404 (401 without a token).
//!
//! A refused request that is not a GET must leave the first organisation's data as it was: a
//! caller's refused requests run one after another in one app, each between two looks at the
//! first organisation (reads as its admin, the release of the first enrollment to see a
//! reservation, the second seller's session to see a revoked token or a changed password).
//! Some writes cannot be seen through the API (an API token issued, a flow copy's draft, a
//! clock started at this instant), so the look is a spot check. Every request a caller is let
//! through that is not a GET runs in a fresh app of its own, since it may change what the
//! next one finds.
//!
//! The matrix is printed (`--no-capture`): each cell shows the status, prefixed `F` where a
//! 403 is expected and `N` where a 404 is, and marked `!` where it broke.

mod common;

use axum::http::{Method, StatusCode};
use common::{App, PASSWORD};
use cube_testkit::fixtures::{MeetingFlow, SalesFlow};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use tokio::task::JoinSet;

// ---- who asks ----

/// The callers of the matrix, in column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The first organisation's admin.
    Admin,
    /// The first organisation's manager of its data owner.
    Manager,
    /// A seller of the first organisation (the assignment is visible to every user).
    Seller,
    /// The client user of the assignment's client.
    Client,
    /// The same seller, after the assignment was made visible to another seller only.
    HiddenSeller,
    /// A client user of another client of the first organisation.
    OtherClient,
    /// The second organisation's admin.
    OtherAdmin,
    /// The second organisation's manager.
    OtherManager,
}

const WHO: [Who; 8] = [
    Who::Admin,
    Who::Manager,
    Who::Seller,
    Who::Client,
    Who::HiddenSeller,
    Who::OtherClient,
    Who::OtherAdmin,
    Who::OtherManager,
];

/// Column headings, in [`WHO`] order, then the caller without a token.
const HEADINGS: [&str; 9] = [
    "admin", "manager", "seller", "client", "hid.sel", "oth.cli", "2nd adm", "2nd mgr", "no tok",
];

// ---- what is expected ----

/// The expected answer of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Access granted: 2xx, or 409 / 422 about the request itself.
    Allow,
    /// 403: the caller may see the thing but not do this.
    Forbid,
    /// 404: another organisation's, or not the caller's to see at all.
    Missing,
    /// 401: no token.
    Unauthenticated,
}

const Y: Expect = Expect::Allow;
const F: Expect = Expect::Forbid;
const N: Expect = Expect::Missing;

/// Everyone who is logged in.
const ANYONE: [Expect; 8] = [Y; 8];
/// Organisation-wide administration without an id of the first organisation: its admin, and
/// the second organisation's admin in their own organisation.
const ORG_ADMIN: [Expect; 8] = [Y, F, F, F, F, F, Y, F];
/// Organisation-wide administration on a user or token of the first organisation.
const ORG_ADMIN_ON_ID: [Expect; 8] = [Y, F, F, F, F, F, N, N];
/// Set-up of the data owner (its catalogue, flows, customers): admins and its managers. The
/// policy never hides a data owner of one's own organisation, so the rest get 403.
const SETUP: [Expect; 8] = [Y, Y, F, F, F, F, N, N];
/// Set-up and bulk work on the assignment, and the internal reports: as [`SETUP`], but a seller
/// who does not see the assignment or another client's user finds nothing.
const MANAGE: [Expect; 8] = [Y, Y, F, F, N, N, N, N];
/// Working the assignment: sellers who see it, managers and admins; never clients.
const WORK: [Expect; 8] = [Y, Y, Y, F, N, N, N, N];
/// The reports open to the assignment's client (Performance, Outcomes, Sales, Customers).
const CLIENT_REPORT: [Expect; 8] = [Y, Y, F, Y, N, N, N, N];
/// The failed messages of the assignments one manages: admins and managers, each organisation
/// its own.
const OUTBOX: [Expect; 8] = [Y, Y, F, F, F, F, Y, Y];
/// Reading the assignment as one who may see it (its flow, products, calendars).
const SEE: [Expect; 8] = [Y, Y, Y, Y, N, N, N, N];

/// One classified operation (or a variant of its body or path).
#[derive(Debug)]
struct Row {
    group: &'static str,
    op: &'static str,
    variant: &'static str,
    expect: [Expect; 8],
}

const fn row(
    group: &'static str,
    op: &'static str,
    variant: &'static str,
    expect: [Expect; 8],
) -> Row {
    Row {
        group,
        op,
        variant,
        expect,
    }
}

/// Operations anyone may call without a token.
const PUBLIC: [&str; 4] = [
    "POST /api/login",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
];

/// Operations a provider calls with a shared secret of its own, not a user's token: no
/// caller of the matrix, with a token or without, ever gets through (the matrix's server has
/// no secret set: 404; with one set and not sent it is 401, see `tests/sms_api.rs`).
const PROVIDER: [&str; 3] = [
    "POST /api/sms/inbound",
    "POST /api/sms/receipts",
    "POST /api/telephony/events",
];

/// Every operation of the document but [`PUBLIC`], with the expected answer per caller (in
/// [`WHO`] order: admin, manager, seller, client, hidden seller, other client, second
/// organisation's admin and manager). A variant is another body or path of the operation.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    row("session",   "POST /api/logout",                            "",                          ANYONE),
    row("session",   "GET /api/me",                                 "",                          ANYONE),
    row("session",   "POST /api/tokens",                            "",                          ANYONE),
    row("session",   "POST /api/tokens",                            "for a seller",              ORG_ADMIN_ON_ID),
    row("session",   "DELETE /api/tokens/current",                  "",                          ANYONE),
    row("session",   "DELETE /api/tokens/{id}",                     "",                          ORG_ADMIN_ON_ID),
    row("setup",     "GET /api/webhooks",                           "",                          ORG_ADMIN),
    row("setup",     "POST /api/webhooks",                          "",                          ORG_ADMIN),
    // The second organisation's manager may not manage webhooks anywhere: 403 before any lookup.
    row("setup",     "DELETE /api/webhooks/{id}",                   "",                          [Y, F, F, F, F, F, N, F]),
    row("setup",     "GET /api/organisation",                       "",                          ANYONE),
    row("setup",     "PATCH /api/organisation",                     "",                          ORG_ADMIN),
    row("setup",     "PUT /api/organisation/caller-ids",            "",                          ORG_ADMIN),
    row("users",     "GET /api/users",                              "",                          ORG_ADMIN),
    row("users",     "POST /api/users",                             "",                          ORG_ADMIN),
    // The second admin names the first organisation's data owner in the new manager's scope:
    // not theirs to name, so "data owner not found", as for a data owner that does not exist.
    row("users",     "POST /api/users",                             "manager of the data owner", [Y, F, F, F, F, F, N, F]),
    row("users",     "PUT /api/users/{id}/active",                  "",                          ORG_ADMIN_ON_ID),
    row("users",     "PUT /api/users/{id}/role",                    "",                          ORG_ADMIN_ON_ID),
    row("users",     "PUT /api/users/{id}/phone",                   "",                          ORG_ADMIN_ON_ID),
    row("users",     "PUT /api/users/{id}/password",                "",                          ORG_ADMIN_ON_ID),
    row("users",     "PUT /api/users/{id}/password",                "own",                       ANYONE),
    // The policy lets managers work their data owners' assignments (DOMAIN.md names only
    // "setup and reports" for them; see `cube_domain::access::authorize`).
    row("work",      "GET /api/assignments",                        "",                          ANYONE),
    row("work",      "GET /api/assignments/{id}",                   "",                          SEE),
    row("work",      "POST /api/assignments/{id}/next",             "",                          WORK),
    row("work",      "GET /api/assignments/{id}/queue",             "",                          WORK),
    row("work",      "GET /api/enrollments/{id}/queue-reason",      "",                          WORK),
    row("work",      "GET /api/assignments/{id}/customers",         "",                          WORK),
    row("work",      "POST /api/enrollments/{id}/take",             "",                          WORK),
    row("work",      "POST /api/enrollments/{id}/release",          "",                          WORK),
    // A seller reads the history of a customer they hold or follow up; the first enrollment
    // is neither, so 403 (as the policy lets them see the assignment).
    row("work",      "GET /api/enrollments/{id}/history",           "",                          [Y, Y, F, F, N, N, N, N]),
    // The card while working: as the history (a seller only for a customer they hold).
    row("work",      "GET /api/enrollments/{id}/customer",          "",                          [Y, Y, F, F, N, N, N, N]),
    row("work",      "PUT /api/enrollments/{id}/customer",          "",                          [Y, Y, F, F, N, N, N, N]),
    // The first enrollment has no follow-up: admins and managers get through to a 422 ("no
    // follow-up to move"), a seller is refused (not their own), as are the others.
    row("work",      "PUT /api/enrollments/{id}/follow-up",         "",                          [Y, Y, F, F, N, N, N, N]),
    row("work",      "POST /api/enrollments/{id}/outcomes",         "",                          WORK),
    row("work",      "GET /api/my-work",                            "",                          ANYONE),
    row("time",      "POST /api/assignments/{id}/time/start",       "",                          WORK),
    row("time",      "POST /api/assignments/{id}/time",             "",                          WORK),
    row("time",      "POST /api/assignments/{id}/time",             "for a seller",              MANAGE),
    row("time",      "POST /api/time/stop",                         "",                          ANYONE),
    row("reports",   "GET /api/assignments/{id}/reports/activity",  "",                          CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/outcomes",  "",                          CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/outcome-events",    "",                          CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/outcome-events/export", "",                      CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/sales",     "",                          CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/sales/lines", "",                         CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/sales/lines/export", "",                  CLIENT_REPORT),
    // The open offers are the sales report's: its readers, the client included.
    row("reports",   "GET /api/assignments/{id}/reports/sales/open-offers/export", "",            CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/status",    "",                          CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/hits",      "",                          CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/status/export", "",                       CLIENT_REPORT),
    row("reports",   "GET /api/assignments/{id}/reports/limits",    "",                          MANAGE),
    row("reports",   "GET /api/assignments/{id}/reports/meetings",  "",                          MANAGE),
    // The meetings file is the meetings report's: not the client's.
    row("reports",   "GET /api/assignments/{id}/reports/meetings/export", "",                    MANAGE),
    // The calendar view: admins, managers of its data owner, and sellers who may work an
    // assignment that books in it (the world's assignment does); clients never.
    row("reports",   "GET /api/calendars/{id}/meetings",            "",                          [Y, Y, Y, F, F, F, N, N]),
    // A day's free slots: who may read the calendar view.
    row("work",      "GET /api/calendars/{id}/day",                 "",                          [Y, Y, Y, F, F, F, N, N]),
    // Moving and cancelling a meeting: whoever works the assignment (the seller booked it).
    row("work",      "PUT /api/meetings/{id}",                      "",                          WORK),
    row("work",      "POST /api/meetings/{id}/cancel",              "",                          WORK),
    row("reports",   "GET /api/reports/performance",                "",                          ANYONE),
    row("outbox",    "GET /api/outbox/failed",                      "",                          OUTBOX),
    row("sms",       "GET /api/assignments/{id}/sms-replies",       "",                          MANAGE),
    row("sms",       "GET /api/assignments/{id}/sale-confirmations", "",                         MANAGE),
    // From the customer card: as the card (a seller only for a customer they hold).
    row("sms",       "POST /api/enrollments/{id}/sms",              "",                          [Y, Y, F, F, N, N, N, N]),
    row("sms",       "POST /api/enrollments/{id}/email",            "",                          [Y, Y, F, F, N, N, N, N]),
    // Click-to-call from the card: as the card. The callers let through have no phone (the
    // matrix's server places `tel:` links and the assignment shows each user's own number):
    // a 422 saying what to set, past the access check.
    row("calls",     "POST /api/enrollments/{id}/call",             "",                          [Y, Y, F, F, N, N, N, N]),
    // The calls in the customer's history: as the history.
    row("calls",     "GET /api/enrollments/{id}/calls",             "",                          [Y, Y, F, F, N, N, N, N]),
    row("owners",    "GET /api/data-owners",                        "",                          ANYONE),
    row("owners",    "POST /api/data-owners",                       "",                          ORG_ADMIN),
    row("owners",    "GET /api/data-owners/{id}",                   "",                          SETUP),
    row("owners",    "PUT /api/data-owners/{id}/gdpr",              "",                          SETUP),
    row("owners",    "PUT /api/data-owners/{id}/fields",            "",                          SETUP),
    row("catalogue", "GET /api/data-owners/{id}/products",          "",                          SETUP),
    row("catalogue", "POST /api/data-owners/{id}/products",         "",                          SETUP),
    row("catalogue", "PUT /api/products/{id}",                      "",                          SETUP),
    row("catalogue", "PUT /api/products/{id}/active",               "",                          SETUP),
    row("catalogue", "GET /api/data-owners/{id}/calendars",         "",                          SETUP),
    row("catalogue", "POST /api/data-owners/{id}/calendars",        "",                          SETUP),
    row("catalogue", "GET /api/calendars/{id}",                     "",                          SETUP),
    row("catalogue", "PUT /api/calendars/{id}",                     "",                          SETUP),
    row("flows",     "GET /api/data-owners/{id}/flows",             "",                          SETUP),
    row("flows",     "POST /api/data-owners/{id}/flows",            "",                          SETUP),
    row("flows",     "GET /api/flows/{id}/draft",                   "",                          SETUP),
    row("flows",     "PUT /api/flows/{id}/draft",                   "",                          SETUP),
    row("flows",     "GET /api/flows/{id}/versions/{version}",      "",                          SETUP),
    row("flows",     "POST /api/flows/{id}/check",                  "",                          SETUP),
    row("flows",     "POST /api/flows/{id}/publish",                "",                          SETUP),
    row("flows",     "POST /api/flows/{id}/copy",                   "",                          SETUP),
    row("setup",     "POST /api/assignments",                       "",                          SETUP),
    row("setup",     "GET /api/assignments/{id}/setup",             "",                          MANAGE),
    row("setup",     "PUT /api/assignments/{id}/setup",             "",                          MANAGE),
    row("setup",     "POST /api/assignments/{id}/segments",         "",                          MANAGE),
    row("setup",     "POST /api/assignments/{id}/flow",             "",                          MANAGE),
    row("customers", "GET /api/data-owners/{id}/customers",         "",                          SETUP),
    row("customers", "POST /api/data-owners/{id}/customers",        "",                          SETUP),
    row("customers", "GET /api/customers/{id}",                     "",                          SETUP),
    row("customers", "PUT /api/customers/{id}",                     "",                          SETUP),
    row("customers", "GET /api/customers/{id}/history",             "",                          SETUP),
    row("customers", "POST /api/customers/{id}/external-state",     "",                          SETUP),
    // The contact policy: set-up of the data owner (a wash without a file gets through to a
    // 422 "no numbers").
    row("customers", "PUT /api/customers/{id}/do-not-call",         "",                          SETUP),
    row("customers", "DELETE /api/customers/{id}/do-not-call",      "",                          SETUP),
    row("customers", "PUT /api/customers/{id}/register-exemption",  "",                          SETUP),
    row("customers", "DELETE /api/customers/{id}/register-exemption", "",                        SETUP),
    row("owners",    "GET /api/data-owners/{id}/contact-policy",    "",                          SETUP),
    row("owners",    "PUT /api/data-owners/{id}/contact-policy",    "",                          SETUP),
    row("owners",    "POST /api/data-owners/{id}/reservation-register/wash", "",                 SETUP),
    row("owners",    "GET /api/data-owners/{id}/import-mappings",   "",                          SETUP),
    // A person's rights: the data owner's controller work, its admins and managers.
    row("owners",    "POST /api/data-owners/{id}/privacy/access",   "",                          SETUP),
    row("owners",    "POST /api/data-owners/{id}/privacy/erasure",  "",                          SETUP),
    row("owners",    "GET /api/data-owners/{id}/privacy/log",       "",                          SETUP),
    row("owners",    "PUT /api/data-owners/{id}/import-mappings/{name}", "",                     SETUP),
    row("owners",    "DELETE /api/data-owners/{id}/import-mappings/{name}", "",                  SETUP),
    // The import names an assignment in its body and enrolls into it: set-up of that
    // assignment. Who may manage the data owner is checked before the body is read (up to
    // 32 MiB a caller without the role makes the server buffer none of), so a seller or a
    // client is refused as at the data owner's set-up, whatever assignment the body names.
    row("customers", "POST /api/data-owners/{id}/customers/import", "",                          SETUP),
    row("customers", "POST /api/data-owners/{id}/customers/import-jobs", "",                     SETUP),
    // A file as the body, its assignment in the query: set-up of that assignment.
    row("customers", "POST /api/data-owners/{id}/customers/import-file", "",                     MANAGE),
    row("customers", "POST /api/data-owners/{id}/customers/import-file/preview", "",             MANAGE),
    // A job is seen by the one who started it (the manager here) and the organisation's admins.
    row("customers", "GET /api/import-jobs/{id}",                   "",                          [Y, Y, N, N, N, N, N, N]),
    row("customers", "GET /api/import-jobs/{id}/rejected",          "",                          [Y, Y, N, N, N, N, N, N]),
    // Cancelling: as seeing the job (it has ended here: 409 to those who may see it).
    row("customers", "POST /api/import-jobs/{id}/cancel",           "",                          [Y, Y, N, N, N, N, N, N]),
    // A data owner's imports and undoing one: as importing into the data owner, its admins
    // and managers (the import nobody has worked on is removed: 200).
    row("customers", "GET /api/data-owners/{id}/imports",           "",                          SETUP),
    row("customers", "POST /api/imports/{id}/undo",                 "",                          SETUP),
    row("customers", "POST /api/assignments/{id}/enrollments",      "",                          MANAGE),
    row("bulk",      "POST /api/assignments/{id}/selection",        "",                          MANAGE),
    // Exporting a selection is bulk work, as its preview: not the client's.
    row("bulk",      "POST /api/assignments/{id}/selection/export", "",                          MANAGE),
    row("bulk",      "POST /api/assignments/{id}/bulk",             "",                          MANAGE),
];

// ---- the first organisation's data, and requests built from it ----

/// A client id no client user of the fixture worlds has.
const STRANGE_CLIENT: &str = "00000000-0000-7000-8000-00000000c11e";
/// The password of users the test adds.
const NEW_PASSWORD: &str = "a long enough password";
/// A report window that holds everything the fixtures ever register.
const ALL_TIME: &str = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z";

/// A logged-in caller.
#[derive(Debug, Clone)]
struct Caller {
    token: String,
    id: String,
}

/// One app prepared for a cell: the first admin's token, a session of the first
/// organisation's second seller (whose token, password and activation the operations on
/// `{id}` of users and tokens aim at), and the caller.
struct Stage {
    app: App,
    admin: String,
    victim: String,
    caller: Option<Caller>,
    /// An import job the first organisation's manager ran.
    import_job: String,
    /// An import the first organisation's manager ran, nobody working it.
    import: String,
    /// A meeting the first organisation's first seller booked.
    meeting: String,
    /// A webhook endpoint the first organisation's admin registered.
    webhook: String,
}

fn email(user: &cube_domain::access::User) -> String {
    user.email.to_string()
}

/// A fresh app with `who` logged in (and, for the hidden seller and the other client, the
/// first organisation changed to make them so).
async fn stage(who: Option<Who>) -> Stage {
    let app = App::new().await;
    let admin = app.login(&email(&app.world.admin)).await;
    let victim = app.login(&email(&app.world.sellers[1])).await;
    let caller = match who {
        None => None,
        Some(who) => Some(caller(&app, &admin, who).await),
    };
    let import_job = common::managers_import_job(&app).await;
    let import = common::managers_import(&app).await;
    let meeting = common::sellers_meeting(&app).await;
    let (status, created) = app
        .call(
            Method::POST,
            "/api/webhooks",
            Some(&admin),
            Some(json!({ "url": "http://127.0.0.1:9/hook", "events": ["outcome_registered"] })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let webhook = text(&created["id"]);
    Stage {
        app,
        admin,
        victim,
        caller,
        import_job,
        import,
        meeting,
        webhook,
    }
}

async fn caller(app: &App, admin: &str, who: Who) -> Caller {
    let (w, o) = (&app.world, &app.other);
    let user = match who {
        Who::Admin => &w.admin,
        Who::Manager => &w.manager,
        Who::Seller => &w.sellers[0],
        Who::Client => &w.client_user,
        Who::OtherAdmin => &o.admin,
        Who::OtherManager => &o.manager,
        Who::HiddenSeller => {
            let uri = format!("/api/assignments/{}/setup", app.assignment());
            let (status, mut setup) = app.call(Method::GET, &uri, Some(admin), None).await;
            assert_eq!(status, StatusCode::OK, "{setup}");
            setup["visibility"]["users"] = json!([w.sellers[1].id.to_string()]);
            let (status, body) = app.call(Method::PUT, &uri, Some(admin), Some(setup)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            &w.sellers[0]
        }
        Who::OtherClient => {
            let request = json!({
                "name": "Olga Otherclient",
                "email": "olga@other-client.example.no",
                "role": "client",
                "client": STRANGE_CLIENT,
                "password": NEW_PASSWORD,
            });
            let (status, created) = app
                .call(Method::POST, "/api/users", Some(admin), Some(request))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            let (status, login) = app
                .call(
                    Method::POST,
                    "/api/login",
                    None,
                    Some(json!({ "email": "olga@other-client.example.no", "password": NEW_PASSWORD })),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{login}");
            return Caller {
                token: text(&login["token"]),
                id: text(&created["id"]),
            };
        }
    };
    Caller {
        token: app.login(&email(user)).await,
        id: user.id.to_string(),
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The first organisation's id for the path parameter after `collection`.
fn path_id(stage: &Stage, collection: &str, variant: &str) -> String {
    let w = &stage.app.world;
    if let Some(id) = common::world_id(w, collection) {
        return id;
    }
    match collection {
        "users" if variant == "own" => stage
            .caller
            .as_ref()
            .map_or_else(|| w.admin.id.to_string(), |c| c.id.clone()),
        "users" => w.sellers[1].id.to_string(),
        "tokens" => cube_http::auth::token_hash(&stage.victim),
        "import-jobs" => stage.import_job.clone(),
        "imports" => stage.import.clone(),
        "meetings" => stage.meeting.clone(),
        "webhooks" => stage.webhook.clone(),
        "import-mappings" => "Matrix".to_owned(),
        other => panic!("no id of the first organisation for `{{id}}` after `{other}`"),
    }
}

/// `path` with its parameters filled with the first organisation's ids.
fn fill(stage: &Stage, path: &str, variant: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if part.starts_with('{') {
                path_id(stage, parts[i - 1], variant)
            } else {
                (*part).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn split(op: &str) -> (Method, &str) {
    let (method, path) = op.split_once(' ').expect("`METHOD /path`");
    (
        Method::from_bytes(method.as_bytes()).expect("an HTTP method"),
        path,
    )
}

/// A small valid flow (To call → Interested or Not now).
fn small_flow() -> Value {
    let id = |n: u32| format!("00000000-0000-7000-8000-{n:012}");
    json!({
        "name": "Matrix flow",
        "initial": id(1),
        "states": [
            { "id": id(1), "name": "To call", "category": "available" },
            { "id": id(2), "name": "Interested", "category": "yes" },
            { "id": id(3), "name": "Not now", "category": "no" },
        ],
        "outcomes": [
            { "id": id(11), "name": "No answer", "kind": "no_answer", "from": [id(1)] },
            { "id": id(12), "name": "Interested", "kind": "progress", "target": id(2), "from": [id(1)] },
            { "id": id(13), "name": "Not now", "kind": "progress", "target": id(3), "from": [id(1)] },
        ],
    })
}

/// The flow's draft as the first admin reads it, as `PUT …/draft` takes it.
async fn draft_content(stage: &Stage) -> Value {
    let uri = format!("/api/flows/{}/draft", stage.app.world.sales_flow.id());
    let (status, draft) = stage
        .app
        .call(Method::GET, &uri, Some(&stage.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    json!({
        "name": draft["name"],
        "initial": draft["initial"],
        "states": draft["states"],
        "outcomes": draft["outcomes"],
    })
}

/// The request of `row` in `stage`: its URI and body, valid enough that a caller who is
/// let through gets a success (or a 409 / 422 about the request itself). Steps that make the
/// operation possible (a draft to publish) are taken here as the first admin.
async fn request(stage: &Stage, op: &str, variant: &str) -> Request {
    let (method, path) = split(op);
    let w = &stage.app.world;
    let mut uri = fill(stage, path, variant);
    // The file endpoints take their choices as query parameters (the body is the file).
    if path.contains("/customers/import-file") {
        uri = format!("{uri}?assignment={}&dataset=b2b", w.assignment.id());
    }
    let body = match (op, variant) {
        ("POST /api/login", _) => Some(json!({ "email": email(&w.admin), "password": PASSWORD })),
        ("POST /api/sms/receipts", _) => Some(
            json!({ "message": "00000000-0000-7000-8000-00000000dead", "status": "delivered" }),
        ),
        ("POST /api/enrollments/{id}/sms", _) => Some(json!({ "template": "Påminnelse" })),
        ("POST /api/enrollments/{id}/email", _) => Some(json!({ "template": "Takk" })),
        ("POST /api/sms/inbound", _) => {
            Some(json!({ "id": "SM-matrix", "from": "+4791234567", "text": "JA" }))
        }
        ("POST /api/tokens", "") => Some(json!({})),
        ("POST /api/webhooks", _) => Some(
            json!({ "url": "http://127.0.0.1:9/hook", "events": ["outcome_registered", "state_changed"] }),
        ),
        ("POST /api/tokens", _) => Some(json!({ "user": w.sellers[1].id.to_string() })),
        ("PATCH /api/organisation", "") => Some(json!({"time_zone": "Europe/Stockholm"})),
        ("PUT /api/organisation/caller-ids", _) => Some(json!({"caller_ids": ["+4722334455"]})),
        ("PUT /api/users/{id}/phone", _) => Some(json!({"phone": "+4790000001"})),
        ("PUT /api/enrollments/{id}/follow-up", "") => Some(json!({"due": "2025-03-05T09:00:00Z"})),
        ("PUT /api/calendars/{id}", _) => Some(json!({
            "name": "Salgsmøter",
            "allows_overlap": false,
            "opening_hours": [{ "day": "wednesday", "opens": "08:00", "closes": "16:00" }],
        })),
        ("PUT /api/meetings/{id}", _) => Some(json!({
            "start": "2025-03-05T09:00:00Z",
            "end": "2025-03-05T09:45:00Z",
        })),
        ("POST /api/users", "") => Some(json!({
            "name": "Mats Matrix",
            "email": "mats@matrix.example.no",
            "role": "seller",
        })),
        ("POST /api/users", _) => Some(json!({
            "name": "Mona Matrix",
            "email": "mona@matrix.example.no",
            "role": "manager",
            "data_owners": [w.data_owner.id().to_string()],
        })),
        ("PUT /api/users/{id}/active", _) => Some(json!({ "active": false })),
        ("PUT /api/users/{id}/role", _) => Some(json!({ "role": "seller" })),
        ("PUT /api/users/{id}/password", _) => Some(json!({ "password": NEW_PASSWORD })),
        ("POST /api/enrollments/{id}/outcomes", _) => {
            Some(json!({ "outcome": SalesFlow::O_NO_ANSWER.to_string() }))
        }
        ("POST /api/assignments/{id}/time", "") => Some(json!({
            "start": "2025-03-03T06:00:00Z",
            "end": "2025-03-03T07:00:00Z",
        })),
        ("POST /api/assignments/{id}/time", _) => Some(json!({
            "user": w.sellers[1].id.to_string(),
            "start": "2025-03-03T06:00:00Z",
            "end": "2025-03-03T07:00:00Z",
        })),
        ("POST /api/data-owners", _) => Some(json!({ "name": "Matrix Data AS" })),
        ("PUT /api/data-owners/{id}/gdpr", _) => Some(json!({
            "controller": {
                "company_name": "Acme Energi AS",
                "organisation_number": "987654321",
                "address": "Storgata 1, 0155 Oslo",
                "contact_email": "post@acme.example.no",
                "data_protection_contact": "personvern@acme.example.no",
            },
            "purposes": [{ "description": "Telemarketing", "legal_basis": "legitimate_interests" }],
        })),
        ("PUT /api/data-owners/{id}/fields", _) => Some(json!({
            "dataset": "b2c",
            "fields": [{ "key": "birth_year", "label": "Birth year", "type": "number" }],
        })),
        ("POST /api/data-owners/{id}/products", _) => Some(json!({
            "name": "Matrix Product",
            "code": "MATRIX",
            "unit_price": "10.00",
            "currency": "NOK",
        })),
        ("PUT /api/products/{id}/active", _) => Some(json!({ "active": false })),
        ("PUT /api/products/{id}", _) => Some(json!({
            "name": "Matrix Pro",
            "code": "MATRIX-PRO",
            "unit_price": "599.00",
            "currency": "NOK",
        })),
        ("POST /api/data-owners/{id}/calendars", _) => Some(json!({ "name": "Matrix calendar" })),
        ("POST /api/data-owners/{id}/flows", _) => Some(small_flow()),
        ("PUT /api/flows/{id}/draft", _) => {
            let mut content = draft_content(stage).await;
            content["name"] = json!("Matrix draft");
            Some(content)
        }
        ("POST /api/flows/{id}/publish", _) => {
            // Publishing needs a draft: the first admin saves one.
            let uri = format!("/api/flows/{}/draft", w.sales_flow.id());
            let content = draft_content(stage).await;
            let (status, body) = stage
                .app
                .call(Method::PUT, &uri, Some(&stage.admin), Some(content))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            None
        }
        ("POST /api/flows/{id}/copy", _) => Some(json!({ "version": 1, "name": "Matrix copy" })),
        ("POST /api/assignments", _) => Some(json!({
            "data_owner": w.data_owner.id().to_string(),
            "name": "Matrix assignment",
            "flow": w.meeting_flow.id().to_string(),
            "flow_version": 1,
            "client": w.client.to_string(),
        })),
        ("PUT /api/assignments/{id}/setup", _) => {
            let (status, setup) = stage
                .app
                .call(Method::GET, &uri, Some(&stage.admin), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{setup}");
            let mut setup = setup;
            setup["lease_seconds"] = json!(1200);
            Some(setup)
        }
        ("POST /api/assignments/{id}/segments", _) => Some(json!({ "name": "Matrix segment" })),
        // Leads and offers (Open) have no place in the booking flow: placed by hand.
        ("POST /api/assignments/{id}/flow", _) => Some(json!({
            "flow": w.meeting_flow.id().to_string(),
            "version": 1,
            "mapping": [
                { "from": SalesFlow::LEAD, "to": MeetingFlow::TO_CALL },
                { "from": SalesFlow::OFFER, "to": MeetingFlow::TO_CALL },
                { "from": SalesFlow::SALE_TO_FOLLOWUP, "to": MeetingFlow::TO_CALL },
            ],
            "confirm_category_changes": true,
        })),
        ("POST /api/data-owners/{id}/customers", _) => Some(json!({
            "dataset": "b2b",
            "name": "Matrix Customer AS",
            "phones": ["+4791234321"],
        })),
        ("PUT /api/customers/{id}" | "PUT /api/enrollments/{id}/customer", _) => Some(json!({
            "name": "Customer 00000 (renamed)",
            "phones": ["+4790000000"],
        })),
        ("POST /api/customers/{id}/external-state", _) => Some(json!({ "state": "Excluded" })),
        ("PUT /api/customers/{id}/do-not-call", _) => Some(json!({ "reason": "matrix" })),
        (
            "POST /api/data-owners/{id}/privacy/access"
            | "POST /api/data-owners/{id}/privacy/erasure",
            _,
        ) => Some(json!({ "phone": "+4790000000" })),
        ("PUT /api/customers/{id}/register-exemption", _) => Some(json!({
            "kind": "asked_to_be_called",
            "at": "2025-03-01T10:00:00Z",
            "source": "matrix",
        })),
        ("PUT /api/data-owners/{id}/contact-policy", _) => Some(json!({
            "consumer_call_windows": true,
            "reservation_register": false,
        })),
        (
            "POST /api/data-owners/{id}/customers/import"
            | "POST /api/data-owners/{id}/customers/import-jobs",
            _,
        ) => Some(json!({
            "assignment": w.assignment.id().to_string(),
            "dataset": "b2b",
            "rows": [{ "name": "Matrix Import AS", "phones": ["+4791234322"] }],
        })),
        ("POST /api/assignments/{id}/enrollments", _) => {
            // A customer of the data owner not in the assignment yet: the first admin adds one.
            let uri = format!("/api/data-owners/{}/customers", w.data_owner.id());
            let new = json!({ "dataset": "b2b", "name": "Matrix Enrollee AS", "phones": ["+4791234323"] });
            let (status, customer) = stage
                .app
                .call(Method::POST, &uri, Some(&stage.admin), Some(new))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{customer}");
            Some(json!({ "customers": [customer["id"]] }))
        }
        ("PUT /api/data-owners/{id}/import-mappings/{name}", _) => {
            Some(json!({ "columns": "A=name,B=phone" }))
        }
        ("DELETE /api/data-owners/{id}/import-mappings/{name}", _) => {
            // The mapping to delete: the first admin saves it.
            let (status, saved) = stage
                .app
                .call(
                    Method::PUT,
                    &uri,
                    Some(&stage.admin),
                    Some(json!({ "columns": "A=name,B=phone" })),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{saved}");
            None
        }
        ("POST /api/assignments/{id}/selection", _) => Some(json!({})),
        ("POST /api/assignments/{id}/selection/export", _) => Some(json!({ "format": "csv" })),
        ("POST /api/assignments/{id}/bulk", _) => Some(json!({
            "action": { "type": "remove" },
        })),
        _ => None,
    };
    (method, uri, body)
}

/// One read of the first organisation: what was read, the status, the body.
type Look = (String, u16, Value);

/// What the first organisation holds, read as its admin: compared before and after every
/// refused request that is not a GET. The release of the first enrollment is the one way to
/// see a reservation; the first admin holds none, so it changes nothing.
async fn snapshot(stage: &Stage) -> Vec<Look> {
    let w = &stage.app.world;
    let (a, d) = (w.assignment.id(), w.data_owner.id());
    let reads = [
        "/api/users".to_owned(),
        "/api/data-owners".to_owned(),
        format!("/api/data-owners/{d}"),
        format!("/api/data-owners/{d}/products"),
        format!("/api/data-owners/{d}/calendars"),
        format!("/api/data-owners/{d}/flows"),
        format!("/api/data-owners/{d}/customers?limit=500"),
        format!("/api/flows/{}/draft", w.sales_flow.id()),
        format!("/api/flows/{}/draft", w.meeting_flow.id()),
        "/api/assignments".to_owned(),
        format!("/api/assignments/{a}"),
        format!("/api/assignments/{a}/setup"),
        format!("/api/assignments/{a}/reports/status"),
        format!("/api/assignments/{a}/reports/activity?{ALL_TIME}"),
        format!("/api/assignments/{a}/reports/outcomes?{ALL_TIME}"),
        format!("/api/assignments/{a}/reports/sales?{ALL_TIME}"),
        format!("/api/assignments/{a}/reports/meetings?{ALL_TIME}"),
        format!("/api/reports/performance?{ALL_TIME}"),
    ];
    let mut seen = Vec::new();
    for uri in reads {
        let (status, body) = stage
            .app
            .call(Method::GET, &uri, Some(&stage.admin), None)
            .await;
        seen.push((uri, status.as_u16(), body));
    }
    let release = format!("/api/enrollments/{}/release", w.enrollments[0].id());
    let (status, body) = stage
        .app
        .call(Method::POST, &release, Some(&stage.admin), None)
        .await;
    seen.push((release, status.as_u16(), body));
    // The second seller's session still works: no password set, no token revoked, no user
    // deactivated.
    let (status, body) = stage
        .app
        .call(Method::GET, "/api/me", Some(&stage.victim), None)
        .await;
    seen.push((
        "/api/me as the second seller".to_owned(),
        status.as_u16(),
        body,
    ));
    seen
}

/// The ids `who` must never read in an answer.
fn secrets(app: &App, who: Who) -> Vec<String> {
    let w = &app.world;
    let mut ids: Vec<String> = w
        .customers
        .iter()
        .map(|c| c.id().to_string())
        .chain(w.enrollments.iter().map(|e| e.id().to_string()))
        .collect();
    ids.push(w.assignment.id().to_string());
    if matches!(who, Who::OtherAdmin | Who::OtherManager) {
        ids.extend(w.users().map(|u| u.id.to_string()));
        ids.extend(w.products.iter().map(|p| p.id().to_string()));
        ids.extend([
            w.organisation.id.to_string(),
            w.client.to_string(),
            w.data_owner.id().to_string(),
            w.calendar.id.to_string(),
            w.sales_flow.id().to_string(),
            w.meeting_flow.id().to_string(),
        ]);
    }
    ids
}

// ---- running the cells ----

/// The answer of one cell and what is wrong with it.
#[derive(Debug)]
struct Cell {
    row: usize,
    column: usize,
    status: u16,
    problems: Vec<String>,
}

fn label(row: &Row) -> String {
    if row.variant.is_empty() {
        row.op.to_owned()
    } else {
        format!("{} ({})", row.op, row.variant)
    }
}

fn judge(expect: Expect, status: StatusCode) -> bool {
    match expect {
        Expect::Allow => {
            status.is_success()
                || status == StatusCode::CONFLICT
                || status == StatusCode::UNPROCESSABLE_ENTITY
        }
        Expect::Forbid => status == StatusCode::FORBIDDEN,
        Expect::Missing => status == StatusCode::NOT_FOUND,
        Expect::Unauthenticated => status == StatusCode::UNAUTHORIZED,
    }
}

/// A request: method, URI and body.
type Request = (Method, String, Option<Value>);

/// Sends `row`'s request as `who` in `stage` and checks the answer (not the data).
async fn ask(stage: &Stage, index: usize, column: usize, request: Request) -> Cell {
    let row = &TABLE[index];
    let who = WHO.get(column).copied();
    let (method, uri, body) = request;
    let token = stage.caller.as_ref().map(|c| c.token.as_str());
    let (status, answer) = stage.app.call(method, &uri, token, body).await;
    let expect = expected(row, column);
    let mut problems = Vec::new();
    if !judge(expect, status) {
        problems.push(format!(
            "{} as {}: expected {expect:?}, got {status}: {answer}",
            label(row),
            HEADINGS[column]
        ));
    }
    if let Some(who) = who
        && status.is_success()
        && !matches!(who, Who::Admin | Who::Manager | Who::Seller | Who::Client)
    {
        let shown = answer.to_string();
        for id in secrets(&stage.app, who) {
            if shown.contains(&id) {
                problems.push(format!(
                    "{} as {who:?} answered {status} with {id}, not theirs to see: {shown}",
                    label(row)
                ));
            }
        }
    }
    Cell {
        row: index,
        column,
        status: status.as_u16(),
        problems,
    }
}

/// The column of the caller without a token.
const ANONYMOUS: usize = WHO.len();

fn expected(row: &Row, column: usize) -> Expect {
    row.expect
        .get(column)
        .copied()
        .unwrap_or(Expect::Unauthenticated)
}

/// Operations whose preparation writes (as the first admin), so the look before them is
/// taken after it.
const PREPARED: [&str; 2] = [
    "POST /api/flows/{id}/publish",
    "POST /api/assignments/{id}/enrollments",
];

/// Adds a problem for every read of the first organisation that differs.
fn compare(before: &[Look], after: &[Look], row: &Row, column: usize, problems: &mut Vec<String>) {
    for (old, new) in before.iter().zip(after) {
        if old != new {
            problems.push(format!(
                "{} as {} was refused but changed {}: {} {} → {} {}",
                label(row),
                HEADINGS[column],
                old.0,
                old.1,
                old.2,
                new.1,
                new.2
            ));
        }
    }
}

/// In one app, as the column's caller: every GET of the table, then every other operation
/// the caller is refused, one after another, each checked to have changed nothing.
async fn refused_cells(column: usize) -> Vec<Cell> {
    let stage = stage(WHO.get(column).copied()).await;
    let mut cells = Vec::new();
    for (index, row) in TABLE.iter().enumerate() {
        if split(row.op).0 == Method::GET {
            let request = request(&stage, row.op, row.variant).await;
            cells.push(ask(&stage, index, column, request).await);
        }
    }
    let mut look = snapshot(&stage).await;
    for (index, row) in TABLE.iter().enumerate() {
        if split(row.op).0 == Method::GET || expected(row, column) == Expect::Allow {
            continue;
        }
        let request = request(&stage, row.op, row.variant).await;
        if PREPARED.contains(&row.op) {
            look = snapshot(&stage).await;
        }
        let mut cell = ask(&stage, index, column, request).await;
        let after = snapshot(&stage).await;
        compare(&look, &after, row, column, &mut cell.problems);
        look = after;
        cells.push(cell);
    }
    cells
}

/// One operation the caller is let through that is not a GET, in a fresh app of its own (it
/// may change what the next one finds).
async fn allowed_cell(index: usize, column: usize) -> Cell {
    let stage = stage(Some(WHO[column])).await;
    let request = request(&stage, TABLE[index].op, TABLE[index].variant).await;
    ask(&stage, index, column, request).await
}

/// The operations open without a token (and the document and its UI) answer.
async fn open_cells(public: Vec<String>) -> Vec<(String, u16, Vec<String>)> {
    let stage = stage(None).await;
    let mut open = Vec::new();
    for op in public
        .iter()
        .map(String::as_str)
        .chain(["GET /api-docs/openapi.json", "GET /docs/"])
    {
        let (method, uri, body) = request(&stage, op, "").await;
        let (status, answer) = stage.app.call(method, &uri, None, body).await;
        let mut problems = Vec::new();
        if !status.is_success() {
            problems.push(format!(
                "{op} without a token: expected a success, got {status}: {answer}"
            ));
        }
        open.push((op.to_owned(), status.as_u16(), problems));
    }
    open
}

/// Every caller, with its token and without one, on the [`PROVIDER`] operations: refused,
/// never let through.
async fn provider_cells() -> Vec<String> {
    let stage = stage(None).await;
    let mut problems = Vec::new();
    for op in PROVIDER {
        let (method, uri, body) = request(&stage, op, "").await;
        for token in [None, Some(stage.admin.clone())] {
            let (status, answer) = stage
                .app
                .call(method.clone(), &uri, token.as_deref(), body.clone())
                .await;
            if status != StatusCode::NOT_FOUND && status != StatusCode::UNAUTHORIZED {
                problems.push(format!(
                    "{op} with a user's token ({}): expected 404 or 401, got {status}: {answer}",
                    token.is_some()
                ));
            }
        }
    }
    problems
}

/// The operations of the OpenAPI document, as `METHOD /path`.
async fn documented() -> BTreeSet<String> {
    let app = App::new().await;
    let (status, doc) = app
        .call(Method::GET, "/api-docs/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut ops = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().expect("the document has paths") {
        for method in operations.as_object().expect("operations by method").keys() {
            ops.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_caller_gets_exactly_its_answer_on_every_operation() {
    let mut problems = Vec::new();

    // 1. The table classifies exactly the documented operations.
    let documented = documented().await;
    let classified: BTreeSet<String> = TABLE
        .iter()
        .map(|r| r.op.to_owned())
        .chain(PUBLIC.iter().map(|p| (*p).to_owned()))
        .chain(PROVIDER.iter().map(|p| (*p).to_owned()))
        .collect();
    for op in documented.difference(&classified) {
        problems.push(format!(
            "{op} is documented but not classified: add it to TABLE (or PUBLIC) with the answer each caller should get"
        ));
    }
    for op in classified.difference(&documented) {
        problems.push(format!("{op} is classified but not documented any more"));
    }
    let public: Vec<String> = PUBLIC
        .iter()
        .filter(|p| documented.contains(**p))
        .map(|p| (*p).to_owned())
        .collect();

    // 2. Every cell, two at a time.
    let mut tasks = JoinSet::new();
    for column in 0..=ANONYMOUS {
        tasks.spawn(refused_cells(column));
    }
    for (index, row) in TABLE.iter().enumerate() {
        if split(row.op).0 == Method::GET {
            continue;
        }
        for column in 0..WHO.len() {
            if row.expect[column] == Expect::Allow {
                tasks.spawn(async move { vec![allowed_cell(index, column).await] });
            }
        }
    }
    let open = tokio::spawn(open_cells(public));
    let mut cells: BTreeMap<(usize, usize), Cell> = BTreeMap::new();
    while let Some(done) = tasks.join_next().await {
        for cell in done.expect("a cell ran to its end") {
            cells.insert((cell.row, cell.column), cell);
        }
    }
    let open = open.await.expect("the open operations were asked");
    problems.extend(provider_cells().await);

    // 3. The matrix.
    let width = TABLE.iter().map(|r| label(r).len()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = write!(out, "\n{:17} {:width$}", "group", "operation");
    for heading in HEADINGS {
        let _ = write!(out, " {heading:>7}");
    }
    out.push('\n');
    for (index, row) in TABLE.iter().enumerate() {
        let _ = write!(out, "{:17} {:width$}", row.group, label(row));
        for column in 0..=ANONYMOUS {
            let cell = &cells[&(index, column)];
            let mark = if cell.problems.is_empty() { ' ' } else { '!' };
            let expected = match row.expect.get(column) {
                Some(Expect::Allow) => "",
                Some(Expect::Forbid) => "F",
                Some(Expect::Missing) => "N",
                Some(Expect::Unauthenticated) | None => "",
            };
            let _ = write!(out, " {:>6}{mark}", format!("{expected}{}", cell.status));
            problems.extend(cell.problems.iter().cloned());
        }
        out.push('\n');
    }
    for (op, status, found) in &open {
        let mark = if found.is_empty() { ' ' } else { '!' };
        let _ = writeln!(out, "{:17} {op:width$} public: {status}{mark}", "open");
        problems.extend(found.iter().cloned());
    }
    out.push_str("(F: a 403 is expected, N: a 404; '!' marks a cell that broke)\n");
    eprintln!("{out}");

    assert!(
        problems.is_empty(),
        "{} cell(s) broke:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
