//! Performance across assignments — hours, calls and talk time, results, results per hour and
//! achievement in percent of the expected results, per user, per assignment and overall, for every
//! assignment whose Performance report the caller may read — and an assignment's progress
//! towards its activity limits, all to date.
//!
//! Whose figures: every user's of the assignments whose Performance report the caller may
//! read; a seller's own of the assignments they work (`access::performance_figures`).

use super::{NoQuery, Percent, WindowQuery};
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiPath, ApiQuery, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use cube_domain::assignment::setup::{LimitMetric, LimitMode};
use cube_domain::ids::AssignmentId;
use cube_domain::reports::{LimitProgress, Metrics, Performance, PerformanceReport};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Counted results.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResultsDto {
    /// Meetings booked.
    pub meetings: u64,
    /// Outcomes landing in a Yes state.
    pub yes: u64,
    /// Product units sold.
    pub products_sold: u64,
    /// Outcomes landing in a Yes or No state.
    pub conclusions: u64,
}

impl From<Metrics<u64>> for ResultsDto {
    fn from(m: Metrics<u64>) -> Self {
        Self {
            meetings: m.meetings,
            yes: m.yes,
            products_sold: m.products_sold,
            conclusions: m.conclusions,
        }
    }
}

/// One decimal per result (two decimals); `null` where it cannot be computed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatesDto {
    /// Meetings booked.
    pub meetings: Option<Decimal>,
    /// Outcomes landing in a Yes state.
    pub yes: Option<Decimal>,
    /// Product units sold.
    pub products_sold: Option<Decimal>,
    /// Outcomes landing in a Yes or No state.
    pub conclusions: Option<Decimal>,
}

/// One percent per result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AchievementDto {
    /// Meetings booked.
    pub meetings: Option<Percent>,
    /// Outcomes landing in a Yes state.
    pub yes: Option<Percent>,
    /// Product units sold.
    pub products_sold: Option<Percent>,
    /// Outcomes landing in a Yes or No state.
    pub conclusions: Option<Percent>,
}

impl From<Metrics<Option<Decimal>>> for AchievementDto {
    fn from(m: Metrics<Option<Decimal>>) -> Self {
        Self {
            meetings: m.meetings.map(Percent::new),
            yes: m.yes.map(Percent::new),
            products_sold: m.products_sold.map(Percent::new),
            conclusions: m.conclusions.map(Percent::new),
        }
    }
}

impl From<Metrics<Option<Decimal>>> for RatesDto {
    fn from(m: Metrics<Option<Decimal>>) -> Self {
        Self {
            meetings: m.meetings,
            yes: m.yes,
            products_sold: m.products_sold,
            conclusions: m.conclusions,
        }
    }
}

/// Hours, results, results per hour and achievement of one scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PerformanceDto {
    /// Hours registered.
    pub hours: Decimal,
    /// What was achieved.
    pub results: ResultsDto,
    /// Results per hour; `null` without hours.
    pub per_hour: RatesDto,
    /// Percent of the expected results; `null` without hours or without a criterion.
    pub achievement_percent: AchievementDto,
    /// Calls started from the customer card in the window (however they ended).
    pub calls: u64,
    /// The talk time of the completed calls started in the window, in whole seconds.
    pub talk_seconds: u64,
}

impl From<&Performance> for PerformanceDto {
    fn from(p: &Performance) -> Self {
        Self {
            hours: p.hours,
            results: p.results.into(),
            per_hour: p.per_hour.into(),
            achievement_percent: p.achievement.into(),
            calls: p.calls,
            talk_seconds: p.talk_seconds,
        }
    }
}

/// Performance of one user on one assignment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserPerformanceDto {
    /// The assignment.
    pub assignment: Uuid,
    /// The user; `null` for results registered by SMS replies and integrations.
    pub user: Option<Uuid>,
    /// The numbers.
    pub performance: PerformanceDto,
}

/// Performance of one assignment, its users summed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssignmentPerformanceDto {
    /// The assignment.
    pub assignment: Uuid,
    /// The numbers.
    pub performance: PerformanceDto,
}

/// Performance in a window across every assignment the caller may read it for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PerformanceReportDto {
    /// Per assignment and user, by assignment, then user (`null` first).
    pub per_user: Vec<UserPerformanceDto>,
    /// Per assignment.
    pub per_assignment: Vec<AssignmentPerformanceDto>,
    /// Across every assignment.
    pub overall: PerformanceDto,
}

impl From<&PerformanceReport> for PerformanceReportDto {
    fn from(r: &PerformanceReport) -> Self {
        Self {
            per_user: r
                .per_user
                .iter()
                .map(|u| UserPerformanceDto {
                    assignment: u.assignment.as_uuid(),
                    user: u.user.map(|u| u.as_uuid()),
                    performance: (&u.performance).into(),
                })
                .collect(),
            per_assignment: r
                .per_assignment
                .iter()
                .map(|a| AssignmentPerformanceDto {
                    assignment: a.assignment.as_uuid(),
                    performance: (&a.performance).into(),
                })
                .collect(),
            overall: (&r.overall).into(),
        }
    }
}

/// What an activity limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitMetricDto {
    /// Hours registered.
    Hours,
    /// Outcomes landing in a Yes state.
    Yes,
    /// Outcomes landing in a Yes or No state.
    Conclusions,
    /// Product units sold.
    ProductsSold,
    /// Meetings booked.
    Meetings,
}

impl From<LimitMetric> for LimitMetricDto {
    fn from(m: LimitMetric) -> Self {
        match m {
            LimitMetric::Hours => LimitMetricDto::Hours,
            LimitMetric::Yes => LimitMetricDto::Yes,
            LimitMetric::Conclusions => LimitMetricDto::Conclusions,
            LimitMetric::ProductsSold => LimitMetricDto::ProductsSold,
            LimitMetric::Meetings => LimitMetricDto::Meetings,
        }
    }
}

impl From<LimitMetricDto> for LimitMetric {
    fn from(m: LimitMetricDto) -> Self {
        match m {
            LimitMetricDto::Hours => LimitMetric::Hours,
            LimitMetricDto::Yes => LimitMetric::Yes,
            LimitMetricDto::Conclusions => LimitMetric::Conclusions,
            LimitMetricDto::ProductsSold => LimitMetric::ProductsSold,
            LimitMetricDto::Meetings => LimitMetric::Meetings,
        }
    }
}

/// What happens when a limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitModeDto {
    /// Only shown in this report.
    Indicator,
    /// "Next customer" stops handing out customers of the assignment.
    HardStop,
}

impl From<LimitMode> for LimitModeDto {
    fn from(m: LimitMode) -> Self {
        match m {
            LimitMode::Indicator => LimitModeDto::Indicator,
            LimitMode::HardStop => LimitModeDto::HardStop,
        }
    }
}

impl From<LimitModeDto> for LimitMode {
    fn from(m: LimitModeDto) -> Self {
        match m {
            LimitModeDto::Indicator => LimitMode::Indicator,
            LimitModeDto::HardStop => LimitMode::HardStop,
        }
    }
}

/// Progress towards one activity limit, all to date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LimitProgressDto {
    /// What is counted.
    pub metric: LimitMetricDto,
    /// The limit.
    pub limit: Decimal,
    /// Indicator or hard stop.
    pub mode: LimitModeDto,
    /// The value to date.
    pub value: Decimal,
    /// The value in percent of the limit; `null` for a zero limit.
    pub percent: Option<Percent>,
    /// The limit is reached.
    pub reached: bool,
}

impl From<&LimitProgress> for LimitProgressDto {
    fn from(p: &LimitProgress) -> Self {
        Self {
            metric: p.metric.into(),
            limit: p.limit,
            mode: p.mode.into(),
            value: p.value,
            percent: p.percent.map(Percent::new),
            reached: p.reached,
        }
    }
}

/// Performance across every assignment whose Performance report the caller may read.
#[utoipa::path(
    get, path = "/api/reports/performance", tag = "reports",
    params(WindowQuery),
    responses(
        (status = 200, description = "Performance in the window: every user's figures of the assignments whose Performance report the caller may read, a seller's own of the assignments they work (empty when none)", body = PerformanceReportDto),
        (status = 422, description = "The window ends before it starts", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn performance(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<WindowQuery>,
) -> ApiResult<Json<PerformanceReportDto>> {
    let report = state
        .cube
        .performance_across(
            &actor.user,
            query.window_for(&state.cube, &actor.user).await?,
        )
        .await?;
    Ok(Json(PerformanceReportDto::from(&report)))
}

/// Progress towards each of an assignment's activity limits, all to date.
#[utoipa::path(
    get, path = "/api/assignments/{id}/reports/limits", tag = "reports",
    params(("id" = Uuid, Path, description = "The assignment")),
    responses(
        (status = 200, description = "One entry per limit set", body = Vec<LimitProgressDto>),
        (status = 400, description = "Malformed id, or a query parameter (this report takes none)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role may not read this report", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn limits(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<AssignmentId>,
    ApiQuery(NoQuery {}): ApiQuery<NoQuery>,
) -> ApiResult<Json<Vec<LimitProgressDto>>> {
    let progress = state.cube.limit_report(&actor.user, id).await?;
    Ok(Json(progress.iter().map(LimitProgressDto::from).collect()))
}
