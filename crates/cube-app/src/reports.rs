//! Reports as use cases: each checks the report kind against the access policy (clients read
//! only their assignments' Performance, Sales, Outcomes and Customers reports), reads
//! tallies through the `ReportRepository` port, and lets the domain's pure functions do the
//! arithmetic. Historical reports take a window `[from, to)`; `today` gives the default.

use crate::error::ReportError;
use crate::flows::flow_of;
use crate::{Acting, AppResult, Cube, Need, acting};
use cube_domain::access::{self, Figures, ReportKind};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::LimitMetric;
use cube_domain::bulk::Selection;
use cube_domain::flow::{FlowVersion, PublishedFlow};
use cube_domain::ids::{
    AssignmentId, CalendarId, OutcomeEventId, OutcomeId, ProductId, StateId, UserId,
};
use cube_domain::instant;
use cube_domain::meeting::Meeting;
use cube_domain::outcome::{OutcomeEvent, OutcomeFilter};
use cube_domain::ports::ReadUnit;
use cube_domain::product::Product;
use cube_domain::reports::{
    self, ActivitySummary, CustomerStatusReport, FieldHits, LimitProgress, OpenOffer,
    OutcomeDistribution, OutcomeTallyRow, PerformanceReport, SalesReport, SoldLine,
};
use cube_domain::time_bounds::checked_time;
use cube_domain::time_entry::hours_of;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use time::{Duration, OffsetDateTime};

pub use crate::status_exports::{StatusExport, StatusExportRow};

/// A report window `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start (inclusive).
    pub from: OffsetDateTime,
    /// End (exclusive).
    pub to: OffsetDateTime,
}

impl Window {
    /// The local day containing `now` in `zone` (the organisation's) — the reports'
    /// default: 24 hours, or 23 and 25 on the days the clocks change.
    pub fn today(now: OffsetDateTime, zone: &cube_domain::time_zone::TimeZone) -> Self {
        let (from, to) = zone.today(now);
        Self { from, to }
    }

    /// Checks the window is not empty or reversed, after truncating both bounds to the
    /// domain's precision (whole microseconds, `cube_domain::instant`), so every store counts
    /// the same events; both ends must lie in the years Cube accepts
    /// (`cube_domain::time_bounds`).
    pub fn new(from: OffsetDateTime, to: OffsetDateTime) -> AppResult<Self> {
        checked_time("from", from)?;
        checked_time("to", to)?;
        let (from, to) = (instant::truncate(from), instant::truncate(to));
        if to <= from {
            return Err(ReportError::EmptyWindow.into());
        }
        Ok(Self { from, to })
    }

    /// "All to date": everything registered until `now`, inclusive. The end is a day past
    /// `now` so an event stamped at this very instant, or by a server whose clock runs a
    /// little ahead, is counted; nothing is registered in the future.
    pub fn all_to(now: OffsetDateTime) -> Self {
        Self {
            from: OffsetDateTime::UNIX_EPOCH,
            to: now + Duration::days(1),
        }
    }
}

/// How recently a seller must have registered an outcome to count as working now on the
/// wallboard.
pub const WALLBOARD_NOW: Duration = Duration::minutes(15);

/// An assignment's wallboard ([`Cube::wallboard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallboard {
    /// When it was read (the cube's clock).
    pub at: OffsetDateTime,
    /// Everyone's outcomes in the last hour.
    pub last_hour: ActivitySummary,
    /// The sellers who registered in the last hour, busiest first.
    pub sellers: Vec<WallboardSeller>,
    /// The activity limits to date (empty for a user who may not read them).
    pub limits: Vec<LimitProgress>,
}

/// One seller on the wallboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallboardSeller {
    /// The seller.
    pub user: UserId,
    /// Their name.
    pub name: String,
    /// Whether they registered an outcome in the last [`WALLBOARD_NOW`].
    pub working_now: bool,
    /// Their outcomes in the last hour.
    pub last_hour: ActivitySummary,
}

/// The Activity and Performance report of one assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityReport {
    /// Conclusions, yes, no, hitrate, progress rate, meetings, products sold.
    pub activity: ActivitySummary,
    /// Hours, calls and talk time, results per hour and achievement per user and in total.
    pub performance: PerformanceReport,
}

/// The most events a page of the outcome list holds.
pub const OUTCOME_PAGE_MAX: u32 = 1_000;

/// A page of an assignment's outcome list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomePage {
    /// The events, oldest first.
    pub events: Vec<OutcomeEvent>,
    /// The last event of a page that has more after it: ask again with it as `after` for
    /// the next page. `None`: this page is the last.
    pub next: Option<OutcomeEventId>,
}

/// A page of the sales report's sold lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoldLinesPage {
    /// The lines, oldest sale first, each sale's lines in their order.
    pub lines: Vec<SoldLine>,
    /// The products the lines name (from the data owner's catalogue).
    pub products: Vec<Product>,
    /// The last sale of a full page: ask again with it as `after` for the next page.
    /// `None`: this page is the last.
    pub next: Option<OutcomeEventId>,
}

/// Refuses a page size outside 1 to [`OUTCOME_PAGE_MAX`].
fn check_page_size(limit: u32) -> AppResult<()> {
    if (1..=OUTCOME_PAGE_MAX).contains(&limit) {
        Ok(())
    } else {
        Err(ReportError::PageSize {
            asked: limit,
            max: OUTCOME_PAGE_MAX,
        }
        .into())
    }
}

/// A page of the events of assignment `id` in `window` that `filter` keeps, after `after`.
async fn outcome_page(
    uow: &mut dyn ReadUnit,
    id: AssignmentId,
    window: Window,
    filter: &OutcomeFilter,
    after: Option<OutcomeEventId>,
    limit: u32,
) -> AppResult<OutcomePage> {
    // One event more than the page: whether it comes back tells whether a next page exists,
    // so a last page that is exactly full does not promise another.
    let mut events = uow
        .outcome_list(
            id,
            window.from,
            window.to,
            filter,
            after,
            limit.saturating_add(1),
        )
        .await?;
    let page = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = events.len() > page;
    events.truncate(page);
    let next = events.last().filter(|_| more).map(OutcomeEvent::id);
    Ok(OutcomePage { events, next })
}

/// The Sales report: sold products in the window and the open offers now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOverview {
    /// Sales (Yes outcomes) and sold products with total count and value.
    pub sold: SalesReport,
    /// Open offers now.
    pub open_offers: Vec<OpenOffer>,
}

/// Activity and hours all to date, and the hours total.
async fn to_date(
    uow: &mut dyn ReadUnit,
    assignment: AssignmentId,
    now: OffsetDateTime,
) -> AppResult<(ActivitySummary, Decimal)> {
    let all = Window::all_to(now);
    let tally = uow.outcome_tally(&[assignment], all.from, all.to).await?;
    let entries = uow.time_entries(&[assignment], all.from, all.to).await?;
    // Sum the exact times, convert to hours once (hours rounded per entry never add up).
    let worked = reports::hours_by_user(&entries, now, all.from, all.to)
        .iter()
        .fold(Duration::ZERO, |sum, h| sum.saturating_add(h.worked));
    Ok((reports::activity(&tally), hours_of(worked)))
}

/// The first hard-stop limit reached, if any ("next customer" refuses then).
pub(crate) async fn reached_hard_stop(
    uow: &mut dyn ReadUnit,
    assignment: &Assignment,
    now: OffsetDateTime,
) -> AppResult<Option<LimitMetric>> {
    if assignment.setup().hard_stops().next().is_none() {
        return Ok(None);
    }
    let (activity, hours) = to_date(uow, assignment.id(), now).await?;
    let limits: Vec<_> = assignment.setup().hard_stops().cloned().collect();
    Ok(reports::limit_progress(&limits, &activity, hours)
        .into_iter()
        .find(|p| p.reached)
        .map(|p| p.metric))
}

impl Cube {
    /// Opens the unit of work of a report of one assignment, checking the user may read
    /// that kind of report; returns the unit, the assignment and now.
    pub(crate) async fn open_report(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        kind: ReportKind,
    ) -> AppResult<(Box<dyn ReadUnit>, Assignment, OffsetDateTime)> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, id, Need::Report(kind), now)
            .await?;
        Ok((uow, assignment, now))
    }

    /// Activity and Performance of one assignment in a window.
    pub async fn activity_report(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        window: Window,
    ) -> AppResult<ActivityReport> {
        let (mut uow, assignment, now) = self
            .open_report(who.into(), id, ReportKind::Performance)
            .await?;
        let tally = uow.outcome_tally(&[id], window.from, window.to).await?;
        let entries = uow.time_entries(&[id], window.from, window.to).await?;
        let hours = reports::hours_by_user(&entries, now, window.from, window.to);
        let placed = uow.calls_in(&[id], window.from, window.to).await?;
        let calls = reports::calls_by_user(&placed, window.from, window.to);
        let performance = reports::performance_report(
            &[(id, &assignment.setup().performance)],
            &tally,
            &hours,
            &calls,
        );
        Ok(ActivityReport {
            activity: reports::activity(&tally),
            performance,
        })
    }

    /// Performance summed across every assignment whose Performance report the user may read,
    /// and, for a seller, their own figures of every assignment they work
    /// (`access::performance_figures`).
    pub async fn performance_across(
        &self,
        who: impl Into<Acting<'_>>,
        window: Window,
    ) -> AppResult<PerformanceReport> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let today = self.today_of(uow.as_mut(), user.organisation, now).await?;
        let assignments: Vec<(Assignment, Figures)> = uow
            .assignments(user.organisation)
            .await?
            .into_iter()
            .filter_map(|a| {
                let figures = access::performance_figures(&user, &a, today)?;
                Some((a, figures))
            })
            .collect();
        let ids: Vec<AssignmentId> = assignments.iter().map(|(a, _)| a.id()).collect();
        let criteria: Vec<_> = assignments
            .iter()
            .map(|(a, _)| (a.id(), &a.setup().performance))
            .collect();
        let figures_of = |id: AssignmentId| {
            assignments
                .iter()
                .find(|(a, _)| a.id() == id)
                .map(|(_, figures)| *figures)
        };
        let included = |id: AssignmentId, registrar: Option<UserId>| {
            figures_of(id).is_some_and(|figures| figures.include(registrar))
        };
        let tally: Vec<_> = uow
            .outcome_tally(&ids, window.from, window.to)
            .await?
            .into_iter()
            .filter(|row| included(row.assignment, row.user))
            .collect();
        let entries = uow.time_entries(&ids, window.from, window.to).await?;
        let hours: Vec<_> = reports::hours_by_user(&entries, now, window.from, window.to)
            .into_iter()
            .filter(|h| included(h.assignment, Some(h.user)))
            .collect();
        let placed = uow.calls_in(&ids, window.from, window.to).await?;
        let calls: Vec<_> = reports::calls_by_user(&placed, window.from, window.to)
            .into_iter()
            .filter(|c| included(c.assignment, Some(c.user)))
            .collect();
        Ok(reports::performance_report(
            &criteria, &tally, &hours, &calls,
        ))
    }

    /// Outcome counts per outcome and option, with the Yes / No / Excluded / Other split.
    pub async fn outcome_report(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        window: Window,
    ) -> AppResult<OutcomeDistribution> {
        let (mut uow, assignment, _) = self
            .open_report(who.into(), id, ReportKind::Outcomes)
            .await?;
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        let tally = uow.outcome_tally(&[id], window.from, window.to).await?;
        let earlier = earlier_flows(uow.as_mut(), &assignment, &flow, &tally).await?;
        Ok(reports::outcome_distribution_with_history(
            &flow, &earlier, &tally,
        ))
    }

    /// The concrete outcomes of an assignment (seed 001: "hente ut de konkrete utfallene"):
    /// its outcome events in the window that `filter` keeps (outcome, seller, state after),
    /// oldest first, with everything registered — field values, product lines at the price
    /// sold, meeting, follow-up, note — a page of `limit` (1 to [`OUTCOME_PAGE_MAX`]) at a
    /// time after the event `after`. Open to whoever may read the assignment's outcome
    /// report.
    pub async fn outcome_list(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        window: Window,
        filter: OutcomeFilter,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> AppResult<OutcomePage> {
        check_page_size(limit)?;
        let (mut uow, _, _) = self
            .open_report(who.into(), id, ReportKind::Outcomes)
            .await?;
        outcome_page(uow.as_mut(), id, window, &filter, after, limit).await
    }

    /// The sales report's lines (seed 001: sold products "lastes ned"): one line per sold
    /// product — time, customer, seller, product, quantity, price and currency as sold — of
    /// the sales in the window (outcomes landing in a Yes state with product lines),
    /// optionally of one seller, oldest first, `limit` sales (1 to [`OUTCOME_PAGE_MAX`]) a
    /// page after the sale `after`; a sale's lines are never split across pages. With the
    /// data owner's products the lines name. Open to whoever may read the sales report.
    pub async fn sold_lines(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        window: Window,
        seller: Option<UserId>,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> AppResult<SoldLinesPage> {
        check_page_size(limit)?;
        let (mut uow, assignment, _) = self.open_report(who.into(), id, ReportKind::Sales).await?;
        let filter = OutcomeFilter {
            user: seller,
            sold: true,
            ..OutcomeFilter::default()
        };
        let page = outcome_page(uow.as_mut(), id, window, &filter, after, limit).await?;
        let lines = reports::sold_lines(&page.events)?;
        let named: BTreeSet<ProductId> = lines.iter().map(|l| l.product).collect();
        let mut products = uow.products(assignment.data_owner()).await?;
        products.retain(|p| named.contains(&p.id()));
        Ok(SoldLinesPage {
            lines,
            products,
            next: page.next,
        })
    }

    /// Sold products in the window, and the open offers now. A sale that needed written
    /// confirmation (angrerettloven § 10) counts in the sold units and value only once
    /// confirmed; the report says how many are confirmed, pending, refused, expired or failed
    /// (`SalesReport::confirmations`).
    pub async fn sales_report(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        window: Window,
    ) -> AppResult<SalesOverview> {
        let (mut uow, _, _) = self.open_report(who.into(), id, ReportKind::Sales).await?;
        let sold = uow.sold_products(&[id], window.from, window.to).await?;
        let tally = uow.outcome_tally(&[id], window.from, window.to).await?;
        let open_offers = uow.open_offers(id).await?;
        let confirmations = uow
            .sale_confirmations_sold_between(&[id], window.from, window.to)
            .await?;
        Ok(SalesOverview {
            sold: reports::with_confirmations(
                reports::sales_report(&sold, &tally)?,
                &confirmations,
            )?,
            open_offers,
        })
    }

    /// Meetings starting in the window, searchable by place.
    pub async fn meeting_report(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        window: Window,
        search: Option<&str>,
    ) -> AppResult<Vec<Meeting>> {
        let (mut uow, _, _) = self
            .open_report(who.into(), id, ReportKind::Meetings)
            .await?;
        let meetings = uow.meetings(&[id], window.from, window.to).await?;
        Ok(
            reports::meetings_in_window(&meetings, window.from, window.to, search)
                .into_iter()
                .cloned()
                .collect(),
        )
    }

    /// The calendar view ("kalender", seed 001): one calendar's meetings overlapping the
    /// window, across every assignment that books in it, by start. Admins and the managers
    /// of the calendar's data owner may read it, and sellers who may work an assignment that
    /// offers the calendar (they book in it, so they see when it is taken); clients may not.
    /// Another organisation's calendar is not found.
    pub async fn calendar_meetings(
        &self,
        who: impl Into<Acting<'_>>,
        calendar_id: CalendarId,
        window: Window,
    ) -> AppResult<Vec<Meeting>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let calendar = self
            .calendar_to_book_in(uow.as_mut(), &user, calendar_id, self.now())
            .await?;
        Ok(uow
            .meetings_in_calendar(calendar.id, window.from, window.to)
            .await?)
    }

    /// The wallboard of an assignment at this moment: what happened in the last hour, in
    /// total and per seller (busiest first; a seller who registered in the last
    /// [`WALLBOARD_NOW`] counts as working now), and the activity limits to date. For whoever
    /// may read its Performance report; the limits only for those who may read them.
    pub async fn wallboard(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<Wallboard> {
        let who = who.into();
        let (mut uow, assignment, now) = self.open_report(who, id, ReportKind::Performance).await?;
        let hour = uow
            .outcome_tally(&[id], now - Duration::hours(1), now + Duration::seconds(1))
            .await?;
        let recent = uow
            .outcome_tally(&[id], now - WALLBOARD_NOW, now + Duration::seconds(1))
            .await?;
        let users = uow.users(assignment.organisation()).await?;
        let working: BTreeSet<UserId> = recent.iter().filter_map(|r| r.user).collect();
        let mut sellers: Vec<WallboardSeller> = reports::activity_per_user(&hour)
            .into_iter()
            .filter_map(|a| {
                let user = a.user?;
                let name = users
                    .iter()
                    .find(|u| u.id == user)
                    .map_or_else(|| user.to_string(), |u| u.name.to_string());
                Some(WallboardSeller {
                    user,
                    name,
                    working_now: working.contains(&user),
                    last_hour: a.summary,
                })
            })
            .collect();
        sellers.sort_by(|a, b| {
            let cycles = |s: &WallboardSeller| s.last_hour.progress + s.last_hour.attempts;
            cycles(b).cmp(&cycles(a)).then_with(|| a.name.cmp(&b.name))
        });
        drop(uow);
        let limits = match self.limit_report(who, id).await {
            Ok(limits) => limits,
            Err(error) if error.kind() == crate::ErrorKind::Forbidden => Vec::new(),
            Err(error) => return Err(error),
        };
        Ok(Wallboard {
            at: now,
            last_hour: reports::activity(&hour),
            sellers,
            limits,
        })
    }

    /// Progress towards each activity limit, all to date.
    pub async fn limit_report(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<Vec<LimitProgress>> {
        let (mut uow, assignment, now) = self
            .open_report(who.into(), id, ReportKind::ActivityLimits)
            .await?;
        let (activity, hours) = to_date(uow.as_mut(), id, now).await?;
        Ok(reports::limit_progress(
            &assignment.setup().activity_limits,
            &activity,
            hours,
        ))
    }

    /// Customers per state now, utilization, and the attempts distribution.
    pub async fn customer_status_report(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<CustomerStatusReport> {
        let (mut uow, assignment, now) = self
            .open_report(who.into(), id, ReportKind::Customers)
            .await?;
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        let tally = uow.status_tally(id).await?;
        let reserved = uow.reserved_count(id, now).await?;
        Ok(reports::customer_status(&flow, &tally, reserved))
    }

    /// The customer-status download ("download all or part"): the assignment's customers in
    /// import order with the state each is in now — all of them, or those in `states` — and
    /// every CRM field of the data owner, the rows a page at a time. Open to whoever may read the Customers report, the
    /// assignment's client included. A state that is not in the assignment's flow is refused
    /// by name rather than giving an empty list.
    pub async fn customer_status_export(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        states: Option<BTreeSet<StateId>>,
    ) -> AppResult<StatusExport> {
        let (mut uow, assignment, _) = self
            .open_report(who.into(), id, ReportKind::Customers)
            .await?;
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        if let Some(unknown) = states
            .iter()
            .flatten()
            .find(|state| flow.state(**state).is_none())
        {
            return Err(ReportError::StateNotInFlow(*unknown).into());
        }
        let selection = Selection {
            states,
            ..Selection::default()
        };
        self.status_export_of(uow.as_mut(), &assignment, &selection)
            .await
    }

    /// Current yes/no and hitrate per value of each analysis field.
    pub async fn hit_analysis(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<Vec<FieldHits>> {
        let (mut uow, assignment, _) = self
            .open_report(who.into(), id, ReportKind::Customers)
            .await?;
        let fields = assignment.setup().analysis_fields.clone();
        let tally = uow.hit_tally(id, &fields).await?;
        Ok(reports::hit_analysis(&fields, &tally))
    }
}

/// The flows that can name outcomes of `tally` that the assignment's current `flow` lacks
/// (events registered before a flow switch): the earlier versions of the current flow, newest
/// first, then the newest version of each other flow of the data owner. Read only when such
/// outcomes exist, and only until every one of them has a name.
async fn earlier_flows(
    uow: &mut dyn ReadUnit,
    assignment: &Assignment,
    flow: &PublishedFlow,
    tally: &[OutcomeTallyRow],
) -> AppResult<Vec<PublishedFlow>> {
    let mut unnamed: BTreeSet<OutcomeId> = tally
        .iter()
        .filter_map(|row| row.outcome)
        .filter(|outcome| flow.outcome(*outcome).is_none())
        .collect();
    let mut earlier = Vec::new();
    if unnamed.is_empty() {
        return Ok(earlier);
    }
    let mut keep = |candidate: PublishedFlow, unnamed: &mut BTreeSet<OutcomeId>| {
        let before = unnamed.len();
        unnamed.retain(|outcome| candidate.outcome(*outcome).is_none());
        if unnamed.len() < before {
            earlier.push(candidate);
        }
    };
    let current = flow.version();
    for version in (1..current.version).rev() {
        if unnamed.is_empty() {
            break;
        }
        let older = FlowVersion {
            flow: current.flow,
            version,
        };
        if let Some(candidate) = uow.published_flow(older).await? {
            keep(candidate, &mut unnamed);
        }
    }
    if !unnamed.is_empty() {
        for candidate in uow.published_flows(assignment.data_owner()).await? {
            if candidate.id() != current.flow {
                keep(candidate, &mut unnamed);
            }
        }
    }
    Ok(earlier)
}
