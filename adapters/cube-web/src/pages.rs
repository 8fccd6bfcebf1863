//! The pages' handlers: each asks the use cases (never the store), then lays the answer out
//! through [`crate::views`]. Full pages for a browser's navigation; partials for htmx's
//! requests in the seller's cycle (next customer, register, release).

use crate::WebState;
use crate::forms::{self, Pairs};
use crate::i18n::{LANG_COOKIE, Lang, M};
use crate::session::{PageLang, Viewer, WebError};
use crate::views::{
    Choice, Chrome, FieldInput, HistoryLine, HomePage, Link, LoginPage, MyWorkPage, MyWorkPanel,
    MyWorkRow, MyWorkSection, OutcomeChoice, WorkDoneView, WorkEmptyView, WorkItemView,
    WorkspacePage, html,
};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cube_app::setup::AssignmentOverview;
use cube_app::work::WorkItem;
use cube_app::{AppError, ErrorKind};
use cube_domain::assignment::setup::{FixedField, ViewField};
use cube_domain::contact_policy::standing::Barred;
use cube_domain::fields::{FieldDefinition, FieldType};
use cube_domain::idempotency::RequestKey;
use cube_domain::ids::{AssignmentId, EnrollmentId};
use cube_domain::outcome::follow_up_is_shared;
use cube_domain::queue::Tier;
use cube_domain::time_zone::TimeZone;
use serde::Deserialize;
use std::collections::BTreeMap;
use time::{Duration, OffsetDateTime};

/// How long a meeting booked from the seller's form lasts.
const MEETING_LENGTH: Duration = Duration::hours(1);
/// How many local days ahead the form offers meeting times.
const MEETING_DAYS: i64 = 7;
/// How many meeting times the form offers at most.
const MEETING_SLOTS: usize = 40;

type PageResult = Result<Response, WebError>;

fn id_of(raw: &str) -> Option<uuid::Uuid> {
    raw.parse().ok()
}

/// `/`: to the app.
pub async fn root() -> Redirect {
    Redirect::to("/app")
}

/// The login page. The form posts to the API's `/api/login` (one login, one throttle).
pub async fn login(PageLang(lang): PageLang) -> Response {
    let page = Chrome {
        lang,
        title: lang.t(M::LogIn).to_owned(),
        user: None,
        path: "/app/login".to_owned(),
        works: false,
        manages: false,
        reads_reports: false,
    };
    html(StatusCode::OK, &LoginPage { page })
}

/// Where the language link returns to.
#[derive(Debug, Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// Only a path of the app itself: never another site (an open redirect).
fn safe_back(back: Option<&str>) -> &str {
    match back {
        Some(path)
            if path.starts_with("/app")
                && !path.contains("//")
                && !path.contains('\\')
                && path.chars().all(|c| c.is_ascii_graphic()) =>
        {
            path
        }
        _ => "/app",
    }
}

/// Chooses the language (a cookie for a year) and goes back to the page.
pub async fn language(
    State(state): State<WebState>,
    Path(tag): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let Some(lang) = Lang::from_tag(&tag) else {
        return crate::views::not_found(Lang::Nb);
    };
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        lang.tag()
    );
    let mut response = Redirect::to(safe_back(back.back.as_deref())).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The start page: the assignments the user may work, by name. A client user works none:
/// their start page is the reports.
pub async fn home(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    if matches!(viewer.user.role, cube_domain::access::Role::Client { .. }) {
        return Ok(Redirect::to("/app/reports").into_response());
    }
    let mut assignments = state
        .cube
        .workable_assignments(&viewer.user)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    assignments.sort_by(|a, b| a.name().as_str().cmp(b.name().as_str()));
    let links = assignments
        .iter()
        .map(|a| Link {
            href: format!("/app/assignments/{}", a.id().as_uuid()),
            text: a.name().to_string(),
        })
        .collect();
    let page = Chrome::of(&viewer, viewer.lang.t(M::Assignments), "/app");
    Ok(html(
        StatusCode::OK,
        &HomePage {
            page,
            assignments: links,
        },
    ))
}

/// Whether the workspace loads the held customer at once.
#[derive(Debug, Deserialize)]
pub struct Resume {
    resume: Option<String>,
}

/// The seller's workspace of an assignment they may work.
pub async fn workspace(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Query(resume): Query<Resume>,
) -> PageResult {
    let Some(id) = id_of(&raw) else {
        return Ok(crate::views::not_found(viewer.lang));
    };
    let overview = state
        .cube
        .work_overview(&viewer.user, AssignmentId::from_uuid(id))
        .await
        .map_err(WebError::hidden(&viewer))?;
    let name = overview.assignment.name().to_string();
    let path = format!("/app/assignments/{id}");
    Ok(html(
        StatusCode::OK,
        &WorkspacePage {
            page: Chrome::of(&viewer, &name, &path),
            assignment_id: id.to_string(),
            name,
            resume: resume.resume.is_some(),
        },
    ))
}

/// Next customer (a partial): the customer, the outcome form and the history; or "nobody
/// is ready".
pub async fn next_customer(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> PageResult {
    let id = AssignmentId::from_uuid(id_of(&raw).ok_or_else(|| not_found(&viewer))?);
    let overview = state
        .cube
        .work_overview(&viewer.user, id)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    let item = state
        .cube
        .next_customer(&viewer.user, id)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    match item {
        Some(item) => work_item(&state, &viewer, &overview, item).await,
        None => empty_queue(&state, &viewer, id).await,
    }
}

/// Nobody ready: why, counted (who is held by others, resting, following up later, barred by
/// the contact policy), and when the next customer is ready.
async fn empty_queue(state: &WebState, viewer: &Viewer, id: AssignmentId) -> PageResult {
    let why = state
        .cube
        .queue_explanation(&viewer.user, id)
        .await
        .map_err(|e| WebError::app(e, viewer))?;
    let zone = zone_of(state, viewer).await?;
    let lang = viewer.lang;
    let when = |at: Option<time::OffsetDateTime>| {
        at.map(|at| crate::views::local_time(at, &zone))
            .unwrap_or_default()
    };
    let c = why.census;
    let reasons: Vec<(u64, &'static str, String)> = [
        (
            c.held_by_others.count,
            M::WhyHeld,
            when(c.held_by_others.first),
        ),
        (c.resting.count, M::WhyResting, when(c.resting.first)),
        (
            c.follow_ups_later.count,
            M::WhyFollowUpsLater,
            when(c.follow_ups_later.first),
        ),
        (c.others_follow_ups, M::WhyOthersFollowUps, String::new()),
        (c.concluded, M::WhyConcluded, String::new()),
        (c.excluded, M::WhyExcluded, String::new()),
        (c.do_not_call, M::WhyDoNotCall, String::new()),
        (c.reserved, M::WhyReserved, String::new()),
        (
            c.consumers_closed.count,
            match why.consumers {
                Some(Barred::RegisterStale { .. }) => M::WhyRegisterStale,
                _ => M::WhyCallWindow,
            },
            when(c.consumers_closed.first),
        ),
        (c.not_checked, M::WhyNotChecked, String::new()),
        (c.attempts_used, M::WhyAttemptsUsed, String::new()),
        (c.daily_cap.count, M::WhyDailyCap, when(c.daily_cap.first)),
    ]
    .into_iter()
    .filter(|(count, _, _)| *count > 0)
    .map(|(count, m, first)| (count, lang.t(m), first))
    .collect();
    Ok(html(
        StatusCode::OK,
        &WorkEmptyView {
            page: Chrome::of(viewer, "", ""),
            next_at: when(c.next_at()),
            reasons,
        },
    ))
}

fn not_found(viewer: &Viewer) -> WebError {
    WebError::app(AppError::NotFound("customer"), viewer)
}

fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

fn field_label(field: &ViewField, lang: Lang) -> String {
    let m = match field {
        ViewField::Fixed(FixedField::Name) => M::FieldName,
        ViewField::Fixed(FixedField::Phones) => M::FieldPhones,
        ViewField::Fixed(FixedField::Email) => M::FieldEmail,
        ViewField::Fixed(FixedField::Address) => M::FieldAddress,
        ViewField::Fixed(FixedField::RegistryNumber) => M::FieldRegistryNumber,
        ViewField::Fixed(FixedField::ExternalId) => M::FieldExternalId,
        ViewField::Custom(key) => return key.as_str().replace('_', " "),
    };
    lang.t(m).to_owned()
}

fn field_input(definition: &FieldDefinition) -> FieldInput {
    let (input, step, choices) = match definition.field_type() {
        FieldType::Text => ("text", "", Vec::new()),
        FieldType::Number => ("number", "1", Vec::new()),
        FieldType::Decimal => ("text", "", Vec::new()),
        FieldType::Date => ("date", "", Vec::new()),
        FieldType::Boolean => ("checkbox", "", Vec::new()),
        FieldType::Choice { choices } => ("select", "", choices.clone()),
    };
    FieldInput {
        name: format!("field.{}", definition.key().as_str()),
        label: definition.label().to_owned(),
        required: definition.required(),
        input,
        step,
        choices,
    }
}

async fn zone_of(state: &WebState, viewer: &Viewer) -> Result<TimeZone, WebError> {
    // Cached per organisation by the use cases: no read on the seller's hot path.
    state
        .cube
        .time_zone_of(&viewer.user)
        .await
        .map_err(|e| WebError::app(e, viewer))
}

async fn work_item(
    state: &WebState,
    viewer: &Viewer,
    overview: &AssignmentOverview,
    item: WorkItem,
) -> PageResult {
    let lang = viewer.lang;
    let zone = zone_of(state, viewer).await?;
    let flow = &overview.flow;
    let setup = overview.assignment.setup();
    let current = item.enrollment.state();
    let outcomes: Vec<OutcomeChoice> = flow
        .outcomes()
        .iter()
        .filter(|o| o.from.contains(&current))
        .enumerate()
        .map(|(index, o)| OutcomeChoice {
            id: o.id.as_uuid().to_string(),
            key: if index < 9 {
                (index + 1).to_string()
            } else {
                String::new()
            },
            slug: slug(o.name.as_str()),
            name: o.name.to_string(),
            follow_up: o.schedules_follow_up,
            shared: follow_up_is_shared(o.kind, o.id, flow.category(current), setup),
            products: o.carries_products && !overview.products.is_empty(),
            meeting: o.books_meeting,
            options: setup
                .outcome_options
                .get(&o.id)
                .map(|options| options.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
            fields: setup
                .outcome_fields
                .get(&o.id)
                .map(|fields| fields.iter().map(field_input).collect())
                .unwrap_or_default(),
        })
        .collect();
    let now = state.cube.now();
    let today = zone.date_of(now);
    let tomorrow = today.next_day().unwrap_or(today);
    let slots = if outcomes.iter().any(|o| o.meeting) {
        meeting_slots(state, viewer, overview, &zone, now).await?
    } else {
        Vec::new()
    };
    // The history is read in a unit of its own: should the customer be registered from
    // another tab in between, the seller sees the form without it (registering then says
    // plainly the customer is no longer theirs) rather than a refused page.
    let history = match state
        .cube
        .customer_history(&viewer.user, item.enrollment.id())
        .await
    {
        Ok(history) => history,
        Err(error) if matches!(error.kind(), ErrorKind::Forbidden | ErrorKind::NotFound) => {
            Vec::new()
        }
        Err(error) => return Err(WebError::app(error, viewer)),
    };
    let state_name = |id| {
        flow.state(id)
            .map_or_else(|| "?".to_owned(), |s| s.name.to_string())
    };
    let history = history
        .iter()
        .rev()
        .map(|event| {
            let outcome = event
                .outcome()
                .and_then(|o| flow.outcome(o))
                .map_or_else(|| "—".to_owned(), |o| o.name.to_string());
            let mut details = Vec::new();
            if let Some(option) = event.option() {
                details.push(option.to_owned());
            }
            for line in event.products() {
                let product = overview
                    .products
                    .iter()
                    .find(|p| p.id() == line.product)
                    .map_or_else(|| lang.t(M::Product).to_owned(), |p| p.name().to_string());
                details.push(format!(
                    "{} × {product} à {} {}",
                    line.quantity,
                    lang.number(line.unit_price),
                    line.currency.as_str()
                ));
            }
            if let Some(follow_up) = event.follow_up() {
                details.push(format!(
                    "{} {}",
                    lang.t(M::FollowUpAt),
                    crate::views::local_time(follow_up.due, &zone)
                ));
            }
            if let Some(note) = event.note() {
                details.push(note.to_owned());
            }
            HistoryLine {
                when: crate::views::local_time(event.occurred_at(), &zone),
                outcome,
                state: state_name(event.to_state()),
                details: details.join(" · "),
            }
        })
        .collect();
    let view = WorkItemView {
        page: Chrome::of(viewer, "", ""),
        assignment_id: overview.assignment.id().as_uuid().to_string(),
        enrollment_id: item.enrollment.id().as_uuid().to_string(),
        customer_name: item.customer.details().name.to_string(),
        held: item.tier == Some(Tier::Held),
        state: state_name(current),
        fields: item
            .view
            .iter()
            .filter(|entry| entry.field != ViewField::Fixed(FixedField::Name))
            .map(|entry| {
                (
                    field_label(&entry.field, lang),
                    entry.value.clone().unwrap_or_else(|| "—".to_owned()),
                )
            })
            .collect(),
        outcomes,
        key: uuid::Uuid::now_v7().to_string(),
        default_follow_up: forms::local_input(zone.at(tomorrow, 10 * 60), &zone),
        products: overview
            .products
            .iter()
            .map(|p| Choice {
                value: p.id().as_uuid().to_string(),
                text: format!(
                    "{} — {} {}",
                    p.name(),
                    lang.number(p.unit_price()),
                    p.currency().as_str()
                ),
            })
            .collect(),
        price_editable: setup.products.price_editable,
        slots,
        history,
    };
    Ok(html(StatusCode::OK, &view))
}

/// The free hour-long meeting times of the assignment's calendars in the coming days, each
/// starting on a whole or half hour after now, earliest first.
async fn meeting_slots(
    state: &WebState,
    viewer: &Viewer,
    overview: &AssignmentOverview,
    zone: &TimeZone,
    now: OffsetDateTime,
) -> Result<Vec<Choice>, WebError> {
    let mut slots = Vec::new();
    let today = zone.date_of(now);
    for calendar in overview.calendars.iter().filter(|c| c.active) {
        for offset in 0..MEETING_DAYS {
            let day = today + Duration::days(offset);
            let (_, plan) = state
                .cube
                .calendar_day(
                    &viewer.user,
                    calendar.id,
                    Some(day),
                    MEETING_LENGTH.whole_minutes(),
                )
                .await
                .map_err(|e| WebError::app(e, viewer))?;
            for (free_start, free_end) in plan.free {
                let mut start = half_hour_at_or_after(free_start.max(now));
                while start + MEETING_LENGTH <= free_end {
                    slots.push((start, calendar));
                    start += Duration::minutes(30);
                }
            }
        }
    }
    slots.sort_by_key(|(start, calendar)| (*start, calendar.name.to_string()));
    Ok(slots
        .into_iter()
        .take(MEETING_SLOTS)
        .map(|(start, calendar)| Choice {
            value: forms::slot_value(calendar.id, start, start + MEETING_LENGTH),
            text: format!(
                "{} — {}",
                crate::views::local_time(start, zone),
                calendar.name
            ),
        })
        .collect())
}

fn half_hour_at_or_after(at: OffsetDateTime) -> OffsetDateTime {
    let seconds = at.unix_timestamp();
    let step = 30 * 60;
    let rounded = seconds.div_euclid(step) * step;
    let rounded = if rounded < seconds || at.nanosecond() > 0 && rounded == seconds {
        rounded + step
    } else {
        rounded
    };
    OffsetDateTime::from_unix_timestamp(rounded).unwrap_or(at)
}

/// Registers the outcome of the form (a partial): what was registered, and "next".
pub async fn register(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let enrollment = EnrollmentId::from_uuid(id_of(&raw).ok_or_else(|| not_found(&viewer))?);
    let pairs = Pairs(pairs);
    let form_error = |e: forms::FormError| WebError::Form {
        detail: e.0,
        lang: viewer.lang,
    };
    let assignment = pairs
        .get("assignment")
        .and_then(id_of)
        .map(AssignmentId::from_uuid)
        .ok_or_else(|| {
            form_error(forms::FormError(
                "the form lost its assignment; reload the page".into(),
            ))
        })?;
    let overview = state
        .cube
        .work_overview(&viewer.user, assignment)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    let outcome_id = forms::chosen_outcome(&pairs).map_err(form_error)?;
    let outcome = overview.flow.outcome(outcome_id).ok_or_else(|| {
        form_error(forms::FormError(
            "the chosen outcome is not in this assignment's flow; reload the page".into(),
        ))
    })?;
    let fields = overview
        .assignment
        .setup()
        .outcome_fields
        .get(&outcome_id)
        .map_or(&[][..], Vec::as_slice);
    let zone = zone_of(&state, &viewer).await?;
    let command = forms::register_command(&pairs, outcome, fields, &zone).map_err(form_error)?;
    let key = pairs
        .get("key")
        .map(RequestKey::parse)
        .transpose()
        .map_err(|e| form_error(forms::FormError(e.to_string())))?;
    let done = state
        .cube
        .register_outcome(&viewer.user, enrollment, command, key)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    let to = overview
        .flow
        .state(done.enrollment.state())
        .map_or_else(|| "?".to_owned(), |s| s.name.to_string());
    let mut message = format!("{}: {} → {to}", viewer.lang.t(M::Registered), outcome.name);
    if let Some(follow_up) = done.event.follow_up() {
        message.push_str(&format!(
            " · {} {}",
            viewer.lang.t(M::FollowUpAt),
            crate::views::local_time(follow_up.due, &zone)
        ));
    }
    let mut response = html(StatusCode::OK, &WorkDoneView { message });
    // The side panel reloads: a follow-up may have been added or done.
    response
        .headers_mut()
        .insert("hx-trigger", HeaderValue::from_static("registered"));
    Ok(response)
}

/// Releases the customer (a partial).
pub async fn release(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> PageResult {
    let enrollment = EnrollmentId::from_uuid(id_of(&raw).ok_or_else(|| not_found(&viewer))?);
    state
        .cube
        .release_customer(&viewer.user, enrollment)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    Ok(html(
        StatusCode::OK,
        &WorkDoneView {
            message: viewer.lang.t(M::Released).to_owned(),
        },
    ))
}

/// Takes a customer from My Work ("call now") and opens the workspace on them.
pub async fn take(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> PageResult {
    let enrollment = EnrollmentId::from_uuid(id_of(&raw).ok_or_else(|| not_found(&viewer))?);
    let item = state
        .cube
        .take_customer(&viewer.user, enrollment)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    let target = format!(
        "/app/assignments/{}?resume=1",
        item.enrollment.assignment().as_uuid()
    );
    Ok(crate::views::redirect(&target))
}

/// My Work's lists: personal and shared follow-ups due today (overdue first) and the
/// coming week's personal ones, with the customer's name where the seller may read it.
async fn my_work_sections(
    state: &WebState,
    viewer: &Viewer,
) -> Result<Vec<MyWorkSection>, WebError> {
    let lang = viewer.lang;
    let work = state
        .cube
        .my_work(&viewer.user)
        .await
        .map_err(|e| WebError::app(e, viewer))?;
    let zone = zone_of(state, viewer).await?;
    let names: BTreeMap<AssignmentId, String> = state
        .cube
        .workable_assignments(&viewer.user)
        .await
        .map_err(|e| WebError::app(e, viewer))?
        .iter()
        .map(|a| (a.id(), a.name().to_string()))
        .collect();
    let mut sections = Vec::new();
    for (id, title, items) in [
        ("personal", M::Personal, &work.personal),
        ("shared", M::Shared, &work.shared),
        ("coming", M::Coming, &work.coming),
    ] {
        let mut rows = Vec::new();
        for item in items {
            // The card is the seller's to read for a follow-up they own; a shared one due
            // shows the customer once taken.
            let customer = match state
                .cube
                .customer_card(&viewer.user, item.enrollment)
                .await
            {
                Ok(card) => card.customer.details().name.to_string(),
                Err(_) => "—".to_owned(),
            };
            rows.push(MyWorkRow {
                due: crate::views::local_time(item.follow_up.due, &zone),
                due_input: forms::local_input(item.follow_up.due, &zone),
                overdue: item.overdue,
                movable: item.follow_up.owner == Some(viewer.user.id),
                assignment: names.get(&item.assignment).cloned().unwrap_or_default(),
                customer,
                enrollment_id: item.enrollment.as_uuid().to_string(),
            });
        }
        sections.push(MyWorkSection {
            id,
            title: lang.t(title),
            rows,
        });
    }
    Ok(sections)
}

/// My Work: personal and shared follow-ups due today (overdue first) and the coming week's;
/// a personal one can be moved to a new time without calling.
pub async fn my_work(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    let sections = my_work_sections(&state, &viewer).await?;
    Ok(html(
        StatusCode::OK,
        &MyWorkPage {
            page: Chrome::of(&viewer, viewer.lang.t(M::MyWork), "/app/my-work"),
            sections,
        },
    ))
}

/// The workspace's side panel (a partial): what is due today and overdue, refreshed after
/// every registration.
pub async fn my_work_panel(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    let mut sections = my_work_sections(&state, &viewer).await?;
    sections.retain(|s| s.id != "coming");
    Ok(html(
        StatusCode::OK,
        &MyWorkPanel {
            page: Chrome::of(&viewer, "", ""),
            sections,
        },
    ))
}

/// Moves a follow-up to the time posted (`due`, local), then shows My Work again.
pub async fn move_follow_up(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let enrollment = EnrollmentId::from_uuid(id_of(&raw).ok_or_else(|| not_found(&viewer))?);
    let pairs = Pairs(pairs);
    let zone = zone_of(&state, &viewer).await?;
    let due = forms::local_time(pairs.get("due").unwrap_or_default(), &zone).map_err(|e| {
        WebError::Form {
            detail: e.0,
            lang: viewer.lang,
        }
    })?;
    state
        .cube
        .move_follow_up(&viewer.user, enrollment, due, None)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    Ok(crate::views::redirect("/app/my-work"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn only_paths_of_the_app_are_gone_back_to() {
        assert_eq!(safe_back(Some("/app/my-work")), "/app/my-work");
        assert_eq!(safe_back(Some("https://evil.example")), "/app");
        assert_eq!(safe_back(Some("//evil.example/app")), "/app");
        assert_eq!(safe_back(Some("/app//evil.example")), "/app");
        assert_eq!(safe_back(Some("/app\\x")), "/app");
        assert_eq!(safe_back(Some("/app\r\nSet-Cookie: x")), "/app");
        assert_eq!(safe_back(None), "/app");
    }

    #[test]
    fn outcome_slugs_are_the_names_in_lower_case_with_dashes() {
        assert_eq!(slug("No answer"), "no-answer");
        assert_eq!(slug("Call back later"), "call-back-later");
        assert_eq!(slug("Møte booket!"), "møte-booket");
    }

    #[test]
    fn meeting_times_start_on_the_half_hour() {
        assert_eq!(
            half_hour_at_or_after(datetime!(2026-12-07 09:00 UTC)),
            datetime!(2026-12-07 09:00 UTC)
        );
        assert_eq!(
            half_hour_at_or_after(datetime!(2026-12-07 09:00:01 UTC)),
            datetime!(2026-12-07 09:30 UTC)
        );
        assert_eq!(
            half_hour_at_or_after(datetime!(2026-12-07 09:00:00.5 UTC)),
            datetime!(2026-12-07 09:30 UTC)
        );
        assert_eq!(
            half_hour_at_or_after(datetime!(2026-12-07 09:45 UTC)),
            datetime!(2026-12-07 10:00 UTC)
        );
    }
}
