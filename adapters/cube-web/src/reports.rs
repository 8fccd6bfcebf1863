//! The reports in the browser: the assignments a user may read reports of, and one
//! assignment's historical reports for a window of local days (activity and results,
//! outcomes with "Other" drawn in its states' colours, sales) beside its current customer
//! status, with charts drawn as SVG and the API's downloads one click away.
//!
//! Each section is one use case; a section the user's role may not read (a client is open
//! to some report kinds only) is left out, never shown empty. A client user sees exactly
//! these pages and their own assignments: the use cases decide, as they do for the API.

use crate::WebState;
use crate::charts::BarChart;
use crate::i18n::{Lang, M};
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use cube_app::reports::Window;
use cube_app::{AppError, ErrorKind};
use cube_domain::call::talk_time;
use cube_domain::ids::AssignmentId;
use cube_domain::reports::Ratio;
use serde::Deserialize;
use time::Date;

/// The days of a week, Monday first, in the catalogue.
const WEEKDAYS: [M; 7] = [
    M::Monday,
    M::Tuesday,
    M::Wednesday,
    M::Thursday,
    M::Friday,
    M::Saturday,
    M::Sunday,
];

/// The neutral colour of bars without a state colour (attempts, unknown outcomes).
const NEUTRAL: &str = "#6b7785";

/// The list of assignments to read reports of.
#[derive(Template)]
#[template(path = "reports_index.html")]
struct ReportsIndex {
    page: Chrome,
    assignments: Vec<crate::views::Link>,
}

/// One assignment's reports.
#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    page: Chrome,
    name: String,
    id: String,
    from: String,
    to: String,
    window_problem: bool,
    /// The API's window for the downloads: `from=…&to=…` (local dates, `to` exclusive).
    query: String,
    activity: Option<Vec<(String, String)>>,
    outcomes: Option<OutcomesView>,
    sales: Option<SalesView>,
    status: Option<StatusView>,
    meetings: Option<MeetingsView>,
    limits: Option<Vec<(String, String, bool)>>,
    hits: Option<Vec<HitsView>>,
}

struct MeetingsView {
    /// The window's first week, Monday to Sunday: the day's name and its meetings.
    week: Vec<(String, Vec<String>)>,
    /// Every meeting of the window: when, calendar, kind and place.
    list: Vec<(String, String, String)>,
}

struct HitsView {
    field: String,
    rows: Vec<(String, u64, u64, String)>,
}

struct OutcomesView {
    chart: BarChart,
    rows: Vec<(String, String, String)>,
    split: Vec<(String, String)>,
    total: u64,
}

struct SalesView {
    sales: u64,
    rows: Vec<(String, u64, String)>,
    totals: Vec<(u64, String)>,
    /// Sales needing written confirmation: confirmed, pending, refused, expired, failed;
    /// `None` when none in the window needed it.
    confirmations: Option<String>,
}

struct StatusView {
    chart: BarChart,
    total: u64,
    facts: Vec<(String, String)>,
}

/// A ratio as a percentage with two decimals, or a dash when there is nothing to divide.
fn percent(ratio: &Ratio, lang: Lang) -> String {
    ratio
        .percent()
        .map_or_else(|| "—".to_owned(), |p| format!("{} %", lang.number(p)))
}

/// `/app/reports`: the assignments the user may see, by name.
pub async fn index(State(state): State<WebState>, viewer: Viewer) -> Result<Response, WebError> {
    let mut assignments = state
        .cube
        .assignments(&viewer.user)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    assignments.sort_by(|a, b| a.name().as_str().cmp(b.name().as_str()));
    let links = assignments
        .iter()
        .map(|a| crate::views::Link {
            href: format!("/app/reports/{}", a.id().as_uuid()),
            text: a.name().to_string(),
        })
        .collect();
    Ok(html(
        StatusCode::OK,
        &ReportsIndex {
            page: Chrome::of(&viewer, viewer.lang.t(M::Reports), "/app/reports"),
            assignments: links,
        },
    ))
}

/// The window the page asks for, as local dates (`to` inclusive).
#[derive(Debug, Default, Deserialize)]
pub struct Dates {
    from: Option<String>,
    to: Option<String>,
}

fn date(raw: Option<&str>) -> Result<Option<Date>, ()> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => Date::parse(
            raw,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(Some)
        .map_err(|_| ()),
    }
}

/// A section's answer: `None` when the user's role may not read it; other errors stop the
/// page.
fn section<T>(answer: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.kind() == ErrorKind::Forbidden => Ok(None),
        Err(error) => Err(error),
    }
}

/// `/app/reports/{id}?from=…&to=…`: one assignment's reports.
pub async fn assignment(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Query(dates): Query<Dates>,
) -> Result<Response, WebError> {
    let lang = viewer.lang;
    let Ok(uuid) = raw.parse::<uuid::Uuid>() else {
        return Ok(crate::views::not_found(lang));
    };
    let id = AssignmentId::from_uuid(uuid);
    let fail = WebError::hidden(&viewer);
    let overview = state
        .cube
        .assignment_overview(&viewer.user, id)
        .await
        .map_err(&fail)?;
    let zone = state.cube.time_zone_of(&viewer.user).await.map_err(&fail)?;
    let today = zone.date_of(state.cube.now());
    let (from, to, window_problem) = match (date(dates.from.as_deref()), date(dates.to.as_deref()))
    {
        (Ok(from), Ok(to)) => {
            let from = from.unwrap_or(today);
            let to = to.unwrap_or(from.max(today));
            if to < from {
                (today, today, true)
            } else {
                (from, to, false)
            }
        }
        _ => (today, today, true),
    };
    let end = to.next_day().unwrap_or(to);
    let window = Window::new(zone.start_of(from), zone.start_of(end)).map_err(&fail)?;
    let cube = &state.cube;
    let who = &viewer.user;

    let activity = section(cube.activity_report(who, id, window).await)
        .map_err(&fail)?
        .map(|report| {
            let a = report.activity;
            let p = report.performance.overall;
            let rate = |value: Option<rust_decimal::Decimal>| {
                value.map_or_else(|| "—".to_owned(), |v| lang.number(v))
            };
            let achieved = |value: Option<rust_decimal::Decimal>| {
                value.map_or_else(|| "—".to_owned(), |v| format!("{} %", lang.number(v)))
            };
            vec![
                (lang.t(M::Hours).to_owned(), lang.number(p.hours)),
                (lang.t(M::CallCount).to_owned(), p.calls.to_string()),
                (lang.t(M::TalkTime).to_owned(), talk_time(p.talk_seconds)),
                (lang.t(M::YesPerHour).to_owned(), rate(p.per_hour.yes)),
                (
                    lang.t(M::ConclusionsPerHour).to_owned(),
                    rate(p.per_hour.conclusions),
                ),
                (
                    lang.t(M::AchievementYes).to_owned(),
                    achieved(p.achievement.yes),
                ),
                (lang.t(M::Conclusions).to_owned(), a.conclusions.to_string()),
                (lang.t(M::SplitYes).to_owned(), a.yes.to_string()),
                (lang.t(M::SplitNo).to_owned(), a.no.to_string()),
                (lang.t(M::Hitrate).to_owned(), percent(&a.hitrate, lang)),
                (
                    lang.t(M::ProgressRate).to_owned(),
                    percent(&a.progress_rate, lang),
                ),
                (lang.t(M::SplitAttempts).to_owned(), a.attempts.to_string()),
                (lang.t(M::Meetings).to_owned(), a.meetings.to_string()),
                (
                    lang.t(M::ProductsSold).to_owned(),
                    a.products_sold.to_string(),
                ),
                (lang.t(M::SalesValue).to_owned(), lang.number(a.sales_value)),
            ]
        });

    let outcomes = section(cube.outcome_report(who, id, window).await)
        .map_err(&fail)?
        .map(|report| {
            let name = |row: &cube_domain::reports::OutcomeShare| match &row.option {
                Some(option) => format!("{} — {option}", row.name),
                None => row.name.clone(),
            };
            let chart = BarChart::new(
                lang.t(M::Outcome),
                report
                    .rows
                    .iter()
                    .map(|row| {
                        let colour = row
                            .colour
                            .map_or_else(|| NEUTRAL.to_owned(), |c| c.to_string());
                        (name(row), row.events, colour)
                    })
                    .collect(),
            );
            let rows = report
                .rows
                .iter()
                .map(|row| (name(row), row.events.to_string(), percent(&row.share, lang)))
                .collect();
            let split = report.categories;
            OutcomesView {
                chart,
                rows,
                split: vec![
                    (lang.t(M::SplitYes).to_owned(), percent(&split.yes, lang)),
                    (lang.t(M::SplitNo).to_owned(), percent(&split.no, lang)),
                    (
                        lang.t(M::SplitExcluded).to_owned(),
                        percent(&split.excluded, lang),
                    ),
                    (
                        lang.t(M::SplitOther).to_owned(),
                        percent(&split.other, lang),
                    ),
                    (
                        lang.t(M::SplitAttempts).to_owned(),
                        percent(&split.attempts, lang),
                    ),
                ],
                total: report.total,
            }
        });

    let sales = section(cube.sales_report(who, id, window).await)
        .map_err(&fail)?
        .map(|overview_of_sales| {
            let sold = overview_of_sales.sold;
            let product_name = |product| {
                overview
                    .products
                    .iter()
                    .find(|p| p.id() == product)
                    .map_or_else(|| lang.t(M::Product).to_owned(), |p| p.name().to_string())
            };
            SalesView {
                sales: sold.sales,
                rows: sold
                    .products
                    .iter()
                    .map(|p| {
                        (
                            product_name(p.product),
                            p.units,
                            format!("{} {}", lang.number(p.value), p.currency.as_str()),
                        )
                    })
                    .collect(),
                totals: sold
                    .totals
                    .iter()
                    .map(|t| {
                        (
                            t.units,
                            format!("{} {}", lang.number(t.value), t.currency.as_str()),
                        )
                    })
                    .collect(),
                confirmations: {
                    let c = &sold.confirmations;
                    let counts = [c.confirmed, c.pending, c.refused, c.expired, c.failed];
                    (counts.iter().sum::<u64>() > 0).then(|| {
                        counts
                            .iter()
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(" / ")
                    })
                },
            }
        });

    let status = section(cube.customer_status_report(who, id).await)
        .map_err(&fail)?
        .map(|report| StatusView {
            chart: BarChart::new(
                lang.t(M::CustomerStatus),
                report
                    .per_state
                    .iter()
                    .map(|s| (s.name.clone(), s.customers, s.colour.to_string()))
                    .collect(),
            ),
            total: report.total,
            facts: vec![
                (
                    lang.t(M::Utilization).to_owned(),
                    percent(&report.utilization, lang),
                ),
                (
                    lang.t(M::AttemptsZero).to_owned(),
                    report.attempts.zero.to_string(),
                ),
                (
                    lang.t(M::AttemptsOne).to_owned(),
                    report.attempts.one.to_string(),
                ),
                (
                    lang.t(M::AttemptsMore).to_owned(),
                    report.attempts.two_or_more.to_string(),
                ),
                (
                    lang.t(M::ReservedNow).to_owned(),
                    report.reserved.to_string(),
                ),
            ],
        });

    let meetings = section(cube.meeting_report(who, id, window, None).await)
        .map_err(&fail)?
        .map(|list| {
            let calendar_name = |id| {
                overview
                    .calendars
                    .iter()
                    .find(|c| c.id == id)
                    .map_or_else(String::new, |c| c.name.to_string())
            };
            let local = |at: time::OffsetDateTime| at.to_offset(zone.offset_at(at));
            let monday =
                from - time::Duration::days(i64::from(from.weekday().number_days_from_monday()));
            let week = (0..7)
                .map(|offset| {
                    let day = monday + time::Duration::days(offset);
                    let label = format!(
                        "{} {:02}.{:02}.",
                        lang.t(WEEKDAYS[offset as usize]),
                        day.day(),
                        u8::from(day.month())
                    );
                    let items = list
                        .iter()
                        .filter(|m| zone.date_of(m.start) == day)
                        .map(|m| {
                            let (start, end) = (local(m.start), local(m.end));
                            format!(
                                "{:02}:{:02}–{:02}:{:02} {}",
                                start.hour(),
                                start.minute(),
                                end.hour(),
                                end.minute(),
                                calendar_name(m.calendar)
                            )
                        })
                        .collect();
                    (label, items)
                })
                .collect();
            let list = list
                .iter()
                .map(|m| {
                    let kind = match m.kind {
                        cube_domain::meeting::MeetingKind::Physical => lang.t(M::Physical),
                        cube_domain::meeting::MeetingKind::Video => lang.t(M::Video),
                    };
                    (
                        crate::views::local_time(m.start, &zone),
                        calendar_name(m.calendar),
                        match &m.place {
                            Some(place) => format!("{kind}: {place}"),
                            None => kind.to_owned(),
                        },
                    )
                })
                .collect();
            MeetingsView { week, list }
        });

    let limits = section(cube.limit_report(who, id).await)
        .map_err(&fail)?
        .filter(|limits| !limits.is_empty())
        .map(|limits| {
            limits
                .iter()
                .map(|l| {
                    (
                        lang.metric(l.metric).to_owned(),
                        format!("{} / {}", lang.number(l.value), lang.number(l.limit)),
                        l.reached,
                    )
                })
                .collect()
        });

    let hits = section(cube.hit_analysis(who, id).await)
        .map_err(&fail)?
        .filter(|fields| !fields.is_empty())
        .map(|fields| {
            fields
                .iter()
                .map(|f| HitsView {
                    field: match &f.field {
                        cube_domain::assignment::setup::AnalysisField::Crm(key) => {
                            key.as_str().to_owned()
                        }
                        cube_domain::assignment::setup::AnalysisField::Attempts => {
                            lang.t(M::SplitAttempts).to_owned()
                        }
                    },
                    rows: f
                        .values
                        .iter()
                        .map(|v| {
                            (
                                v.value.clone().unwrap_or_else(|| "—".to_owned()),
                                v.yes,
                                v.no,
                                percent(&v.hitrate, lang),
                            )
                        })
                        .collect(),
                })
                .collect()
        });

    let name = overview.assignment.name().to_string();
    let path = format!("/app/reports/{uuid}");
    Ok(html(
        StatusCode::OK,
        &ReportsPage {
            page: Chrome::of(&viewer, &name, &path),
            name,
            id: uuid.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            window_problem,
            query: format!("from={from}&to={end}"),
            activity,
            outcomes,
            sales,
            status,
            meetings,
            limits,
            hits,
        },
    ))
}
