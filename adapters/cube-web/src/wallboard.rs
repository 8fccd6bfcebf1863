//! The wallboard of an assignment: a screen on the call centre's wall showing who is working
//! now, the last hour's calls and conclusions per seller, and the activity limits. The
//! board refreshes itself every ten seconds (htmx polling of a partial); nothing is pushed.

use crate::WebState;
use crate::i18n::{Lang, M};
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cube_app::AppError;
use cube_app::reports::Wallboard;
use cube_domain::ids::AssignmentId;

#[derive(Template)]
#[template(path = "wallboard.html")]
struct WallboardPage {
    page: Chrome,
    id: String,
    name: String,
    board: BoardView,
}

#[derive(Template)]
#[template(path = "wallboard_board.html")]
struct BoardPartial {
    page: Chrome,
    board: BoardView,
}

struct BoardView {
    updated: String,
    calls: u64,
    conclusions: u64,
    yes: u64,
    sellers: Vec<SellerRow>,
    limits: Vec<LimitRow>,
}

struct SellerRow {
    name: String,
    working_now: bool,
    calls: u64,
    conclusions: u64,
    yes: u64,
}

struct LimitRow {
    metric: &'static str,
    value: String,
    limit: String,
    reached: bool,
}

fn view(board: &Wallboard, zone: &cube_domain::time_zone::TimeZone, lang: Lang) -> BoardView {
    let local = board.at.to_offset(zone.offset_at(board.at));
    BoardView {
        updated: format!(
            "{:02}:{:02}:{:02}",
            local.hour(),
            local.minute(),
            local.second()
        ),
        calls: board.last_hour.progress + board.last_hour.attempts,
        conclusions: board.last_hour.conclusions,
        yes: board.last_hour.yes,
        sellers: board
            .sellers
            .iter()
            .map(|s| SellerRow {
                name: s.name.clone(),
                working_now: s.working_now,
                calls: s.last_hour.progress + s.last_hour.attempts,
                conclusions: s.last_hour.conclusions,
                yes: s.last_hour.yes,
            })
            .collect(),
        limits: board
            .limits
            .iter()
            .map(|l| LimitRow {
                metric: lang.metric(l.metric),
                value: lang.number(l.value),
                limit: lang.number(l.limit),
                reached: l.reached,
            })
            .collect(),
    }
}

async fn read(
    state: &WebState,
    viewer: &Viewer,
    raw: &str,
) -> Result<(AssignmentId, Wallboard, BoardView), WebError> {
    let not_found = || WebError::app(AppError::NotFound("assignment"), viewer);
    let id = AssignmentId::from_uuid(raw.parse().map_err(|_| not_found())?);
    let fail = WebError::hidden(viewer);
    let board = state
        .cube
        .wallboard(&viewer.user, id)
        .await
        .map_err(&fail)?;
    let zone = state.cube.time_zone_of(&viewer.user).await.map_err(&fail)?;
    let view = view(&board, &zone, viewer.lang);
    Ok((id, board, view))
}

/// `/app/wallboard/{id}`: the page.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let (id, _, board) = read(&state, &viewer, &raw).await?;
    let overview = state
        .cube
        .assignment_overview(&viewer.user, id)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    let name = overview.assignment.name().to_string();
    let title = format!("{}: {name}", viewer.lang.t(M::Wallboard));
    Ok(html(
        StatusCode::OK,
        &WallboardPage {
            page: Chrome::of(&viewer, &title, &format!("/app/wallboard/{raw}")),
            id: id.as_uuid().to_string(),
            name,
            board,
        },
    ))
}

/// `/app/wallboard/{id}/board`: the board alone, for the page's polling.
pub async fn board(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let (_, _, board) = read(&state, &viewer, &raw).await?;
    Ok(html(
        StatusCode::OK,
        &BoardPartial {
            page: Chrome::of(&viewer, "", ""),
            board,
        },
    ))
}
