//! The pages' templates (askama, `templates/`) and the plain values they show. A handler
//! turns what a use case answered into one of these; the template only lays it out. Every
//! word comes from the catalogue ([`crate::i18n::M`]) through [`Chrome::t`].

use crate::i18n::{Lang, M};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What every page has: its language, title and who is logged in.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The language.
    pub lang: Lang,
    /// The page's title.
    pub title: String,
    /// The logged-in user's name (`None` on the login page).
    pub user: Option<String>,
    /// The page's own path, for the language links to come back to.
    pub path: String,
    /// Whether the user works assignments (the seller's links are shown): everyone but a
    /// client user. The use cases decide what each may do; this only picks the links.
    pub works: bool,
    /// Whether the user sets things up (admins and managers): the set-up link is shown.
    pub manages: bool,
    /// Whether the user reads reports (everyone but a seller, whose figures are their own
    /// and not on these pages).
    pub reads_reports: bool,
}

impl Chrome {
    /// The chrome of a page `viewer` looks at.
    pub fn of(viewer: &crate::session::Viewer, title: &str, path: &str) -> Self {
        Chrome {
            lang: viewer.lang,
            title: title.to_owned(),
            user: Some(viewer.user.name.to_string()),
            path: path.to_owned(),
            works: !matches!(viewer.user.role, cube_domain::access::Role::Client { .. }),
            manages: matches!(
                viewer.user.role,
                cube_domain::access::Role::Admin | cube_domain::access::Role::Manager { .. }
            ),
            reads_reports: !matches!(viewer.user.role, cube_domain::access::Role::Seller),
        }
    }

    /// The message `m` in the page's language.
    pub fn t(&self, m: M) -> &'static str {
        self.lang.t(m)
    }
}

/// Renders `template` as an HTML answer with `status`.
pub fn html(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render",
            )
                .into_response()
        }
    }
}

/// The login page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub page: Chrome,
}

/// The start page: the assignments the user may work.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub page: Chrome,
    pub assignments: Vec<Link>,
}

/// A link in a list.
#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// The seller's workspace of one assignment.
#[derive(Template)]
#[template(path = "workspace.html")]
pub struct WorkspacePage {
    pub page: Chrome,
    pub assignment_id: String,
    pub name: String,
    /// Load the customer the seller holds at once (coming from My Work's "call now").
    pub resume: bool,
}

/// The customer handed out, and the outcome form for them (a partial).
#[derive(Template)]
#[template(path = "work_item.html")]
pub struct WorkItemView {
    pub page: Chrome,
    pub assignment_id: String,
    pub enrollment_id: String,
    pub customer_name: String,
    pub held: bool,
    pub state: String,
    pub fields: Vec<(String, String)>,
    pub outcomes: Vec<OutcomeChoice>,
    pub key: String,
    pub default_follow_up: String,
    pub products: Vec<Choice>,
    pub price_editable: bool,
    pub slots: Vec<Choice>,
    pub history: Vec<HistoryLine>,
}

/// An outcome the seller may choose now.
#[derive(Debug, Clone)]
pub struct OutcomeChoice {
    pub id: String,
    pub key: String,
    pub slug: String,
    pub name: String,
    pub follow_up: bool,
    pub shared: bool,
    pub products: bool,
    pub meeting: bool,
    pub options: Vec<String>,
    pub fields: Vec<FieldInput>,
}

impl OutcomeChoice {
    /// Whether it has options or fields of its own (its own part of the form).
    pub fn has_extra(&self) -> bool {
        !self.options.is_empty() || !self.fields.is_empty()
    }
}

/// An outcome field's input.
#[derive(Debug, Clone)]
pub struct FieldInput {
    pub name: String,
    pub label: String,
    pub required: bool,
    /// `text`, `number`, `date`, `checkbox` or `select`.
    pub input: &'static str,
    pub step: &'static str,
    pub choices: Vec<String>,
}

/// An `<option>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub text: String,
}

/// One outcome in the customer's history.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub when: String,
    pub outcome: String,
    pub state: String,
    pub details: String,
}

/// After a registration (a partial).
#[derive(Template)]
#[template(path = "work_done.html")]
pub struct WorkDoneView {
    pub message: String,
}

/// Nobody is ready (a partial).
#[derive(Template)]
#[template(path = "work_empty.html")]
pub struct WorkEmptyView {
    pub page: Chrome,
    /// When the next customer is ready (local time), or empty.
    pub next_at: String,
    /// `(count, why, first back at)` for each reason that counts someone.
    pub reasons: Vec<(u64, &'static str, String)>,
}

/// My Work.
#[derive(Template)]
#[template(path = "my_work.html")]
pub struct MyWorkPage {
    pub page: Chrome,
    pub sections: Vec<MyWorkSection>,
}

/// My Work's due and overdue lists, as the workspace's side panel.
#[derive(Template)]
#[template(path = "my_work_panel.html")]
pub struct MyWorkPanel {
    pub page: Chrome,
    pub sections: Vec<MyWorkSection>,
}

/// A list of My Work.
#[derive(Debug, Clone)]
pub struct MyWorkSection {
    pub id: &'static str,
    pub title: &'static str,
    pub rows: Vec<MyWorkRow>,
}

/// A follow-up in My Work.
#[derive(Debug, Clone)]
pub struct MyWorkRow {
    pub due: String,
    /// The due time as a `datetime-local` input shows it.
    pub due_input: String,
    pub overdue: bool,
    /// The viewer's own personal follow-up: they may move it.
    pub movable: bool,
    pub assignment: String,
    pub customer: String,
    pub enrollment_id: String,
}

/// A problem, as a partial (`role=alert`) for htmx.
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPartial {
    pub title: String,
    pub detail: String,
}

/// A problem, as a page.
#[derive(Template)]
#[template(path = "problem_page.html")]
pub struct ProblemPage {
    pub page: Chrome,
    pub title: String,
    pub detail: String,
}

/// The page for a path that is not there or not the user's.
#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFoundPage {
    pub page: Chrome,
}

fn bare(lang: Lang, title: &str) -> Chrome {
    Chrome {
        lang,
        title: title.to_owned(),
        user: None,
        path: "/app".to_owned(),
        works: false,
        manages: false,
        reads_reports: false,
    }
}

/// A problem answer. htmx's partial goes into the page's `#problem` slot (the form the
/// seller filled in stays as it was).
pub fn problem(status: StatusCode, lang: Lang, title: &str, detail: &str, htmx: bool) -> Response {
    if !htmx {
        let view = ProblemPage {
            page: bare(lang, title),
            title: title.to_owned(),
            detail: detail.to_owned(),
        };
        return html(status, &view);
    }
    let view = ProblemPartial {
        title: title.to_owned(),
        detail: detail.to_owned(),
    };
    let mut response = html(status, &view);
    let headers = response.headers_mut();
    headers.insert(
        "hx-retarget",
        axum::http::HeaderValue::from_static("#problem"),
    );
    headers.insert(
        "hx-reswap",
        axum::http::HeaderValue::from_static("innerHTML"),
    );
    response
}

/// `at` in the organisation's zone as a seller reads it: `07.12.2026 10:00`.
pub fn local_time(at: time::OffsetDateTime, zone: &cube_domain::time_zone::TimeZone) -> String {
    let local = at.to_offset(zone.offset_at(at));
    format!(
        "{:02}.{:02}.{} {:02}:{:02}",
        local.day(),
        u8::from(local.month()),
        local.year(),
        local.hour(),
        local.minute()
    )
}

/// Sends htmx to `path` (`HX-Redirect`): after a form that changes what the page shows.
pub fn redirect(path: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(path) {
        response.headers_mut().insert("hx-redirect", value);
    }
    response
}

/// The 404 page.
pub fn not_found(lang: Lang) -> Response {
    html(
        StatusCode::NOT_FOUND,
        &NotFoundPage {
            page: bare(lang, lang.t(M::ErrNotFound)),
        },
    )
}
