//! A data owner's calendars (salespeople, meeting rooms): create one, and set when it takes
//! meetings — opening hours per weekday in the organisation's time zone, whether meetings
//! may overlap, whether it takes new bookings at all. The seller's meeting form offers the
//! free times these make. Reading the posted hours is pure ([`hours_of`]).

use crate::WebState;
use crate::forms::{FormError, Pairs};
use crate::i18n::{Lang, M};
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cube_app::calendars::CalendarEdit;
use cube_domain::ids::{CalendarId, DataOwnerId};
use cube_domain::meeting::{ClockTime, OpeningPeriod};
use time::Weekday;

const DAYS: [(Weekday, &str, M); 7] = [
    (Weekday::Monday, "monday", M::Monday),
    (Weekday::Tuesday, "tuesday", M::Tuesday),
    (Weekday::Wednesday, "wednesday", M::Wednesday),
    (Weekday::Thursday, "thursday", M::Thursday),
    (Weekday::Friday, "friday", M::Friday),
    (Weekday::Saturday, "saturday", M::Saturday),
    (Weekday::Sunday, "sunday", M::Sunday),
];

#[derive(Template)]
#[template(path = "setup_calendars.html")]
struct CalendarsPage {
    page: Chrome,
    owner_id: String,
    owner: String,
    calendars: Vec<CalendarView>,
}

struct CalendarView {
    id: String,
    name: String,
    allows_overlap: bool,
    active: bool,
    /// `(key, day's name, opens, closes)`: empty times for a closed day.
    days: Vec<(&'static str, &'static str, String, String)>,
}

fn days_of(
    calendar: &cube_domain::meeting::Calendar,
    lang: Lang,
) -> Vec<(&'static str, &'static str, String, String)> {
    DAYS.iter()
        .map(|(day, key, m)| {
            let period = calendar.opening_hours.iter().find(|p| p.day == *day);
            (
                *key,
                lang.t(*m),
                period.map(|p| p.opens.to_string()).unwrap_or_default(),
                period.map(|p| p.closes.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

/// `/app/setup/owners/{owner}/calendars`.
pub async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let owner = state
        .cube
        .data_owner(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let calendars = state
        .cube
        .calendars(&viewer.user, owner_id)
        .await
        .map_err(WebError::hidden(&viewer))?;
    let lang = viewer.lang;
    let title = format!("{}: {}", lang.t(M::Calendars), owner.name());
    Ok(html(
        StatusCode::OK,
        &CalendarsPage {
            page: Chrome::of(
                &viewer,
                &title,
                &format!("/app/setup/owners/{raw}/calendars"),
            ),
            owner_id: raw.clone(),
            owner: owner.name().to_string(),
            calendars: calendars
                .iter()
                .map(|c| CalendarView {
                    id: c.id.as_uuid().to_string(),
                    name: c.name.to_string(),
                    allows_overlap: c.allows_overlap,
                    active: c.active,
                    days: days_of(c, lang),
                })
                .collect(),
        },
    ))
}

fn reload(owner: &str) -> Response {
    crate::views::redirect(&format!("/app/setup/owners/{owner}/calendars"))
}

/// Creates a calendar (open at any time until its hours are set).
pub async fn create(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let owner_id = WebError::path_id(&raw, &viewer, DataOwnerId::from_uuid)?;
    let pairs = Pairs(pairs);
    state
        .cube
        .create_calendar(
            &viewer.user,
            owner_id,
            pairs.get("name").unwrap_or_default(),
            pairs.get("allows_overlap").is_some(),
        )
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(reload(&raw))
}

/// The opening hours as posted: `<day>.opens` and `<day>.closes` as `HH:MM`; a day with
/// both empty is closed, a day with one of them is an error naming it.
pub fn hours_of(pairs: &Pairs) -> Result<Vec<OpeningPeriod>, FormError> {
    let mut periods = Vec::new();
    for (day, key, _) in DAYS {
        let opens = pairs.get(&format!("{key}.opens"));
        let closes = pairs.get(&format!("{key}.closes"));
        let clock = |raw: &str| ClockTime::parse(raw).map_err(|e| FormError(format!("{key}: {e}")));
        match (opens, closes) {
            (None, None) => {}
            (Some(opens), Some(closes)) => periods.push(OpeningPeriod {
                day,
                opens: clock(opens)?,
                closes: clock(closes)?,
            }),
            _ => {
                return Err(FormError(format!(
                    "{key}: give both when it opens and when it closes, or neither (closed)"
                )));
            }
        }
    }
    Ok(periods)
}

/// Saves a calendar's name, hours, overlap and whether it takes bookings.
pub async fn save(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = WebError::path_id(&raw, &viewer, CalendarId::from_uuid)?;
    let pairs = Pairs(pairs);
    let opening_hours = hours_of(&pairs).map_err(|e| WebError::Form {
        detail: e.0,
        lang: viewer.lang,
    })?;
    let edit = CalendarEdit {
        name: pairs.get("name").unwrap_or_default().to_owned(),
        allows_overlap: pairs.get("allows_overlap").is_some(),
        opening_hours,
        active: pairs.get("active").is_some(),
    };
    let calendar = state
        .cube
        .edit_calendar(&viewer.user, id, edit)
        .await
        .map_err(WebError::hidden(&viewer))?;
    Ok(reload(&calendar.data_owner.as_uuid().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_hours_per_day_and_half_a_day_is_named() {
        let pairs = Pairs(vec![
            ("monday.opens".into(), "08:00".into()),
            ("monday.closes".into(), "16:30".into()),
            ("tuesday.opens".into(), "".into()),
            ("tuesday.closes".into(), "".into()),
        ]);
        let hours = hours_of(&pairs).expect("valid");
        assert_eq!(hours.len(), 1);
        assert_eq!(hours[0].day, Weekday::Monday);
        assert_eq!(hours[0].closes.to_string(), "16:30");
        let half = Pairs(vec![("friday.opens".into(), "09:00".into())]);
        assert!(hours_of(&half).expect_err("half").0.starts_with("friday"));
        let bad = Pairs(vec![
            ("monday.opens".into(), "8".into()),
            ("monday.closes".into(), "16:00".into()),
        ]);
        assert!(hours_of(&bad).is_err());
    }
}
