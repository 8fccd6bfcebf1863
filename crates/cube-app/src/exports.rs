//! The reports as files, with the names a spreadsheet reader needs resolved here, once, so
//! the file writers in the adapters only lay out cells:
//! - the concrete outcomes (seed 001: "hente ut de konkrete utfallene til Excel"): every
//!   outcome of an assignment in a window that a filter keeps — the rows of the outcome
//!   list, all of them — with customer, seller, outcome, state and products named; the sold
//!   products are the sales among them;
//! - the open offers now (the sales report's list) with customer, seller and products named;
//! - the meetings of a window (the meetings report) with calendar, customer and booker named.
//!
//! Each is open to exactly who may read the report it exports.
//!
//! The outcomes are the one export that grows without bound (a million a window is a busy
//! call centre's month), so they are not gathered: [`Cube::outcome_export`] checks access,
//! counts them and finds their field columns, and hands back [`OutcomePages`], which reads
//! the rows a page of [`EXPORT_PAGE`] at a time — each page its own read unit, for the
//! reasons on the type — while the adapter writes the file. Open offers and meetings are
//! bounded by what is open or booked, and are read whole.

use crate::error::ReportError;
use crate::flows::flow_of;
use crate::reports::Window;
use crate::{Acting, AppResult, Cube};
use cube_domain::access::ReportKind;
use cube_domain::fields::FieldKey;
use cube_domain::flow::PublishedFlow;
use cube_domain::ids::{CalendarId, CustomerId, OutcomeEventId, ProductId, UserId};
use cube_domain::meeting::Meeting;
use cube_domain::outcome::{OutcomeEvent, OutcomeFilter};
use cube_domain::ports::{ReadUnit, Store};
use cube_domain::reports::{self, OpenOffer};
use cube_domain::time_zone::TimeZone;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The most outcomes one export holds; a larger one is refused before anything is written,
/// naming how to narrow it. The rows stream a page at a time, so this bounds the work of one
/// request, not its memory. (A workbook holds fewer: a sheet has 1,048,576 rows.)
pub const OUTCOME_EXPORT_MAX: usize = 5_000_000;

/// Outcomes read from the store per page while an export is written, unless the Cube is
/// given another (`Cube::with_export_page`).
pub const EXPORT_PAGE: u32 = 2_000;

/// Customers whose names are read in one statement.
const ROUND: u32 = 1_000;

/// The outcomes of an export, oldest first, with their names resolved: what the file's
/// header needs, known before the first row, and the rows a page at a time.
#[derive(Debug)]
pub struct OutcomeExport {
    /// The organisation's time zone: the file shows local times.
    pub zone: TimeZone,
    /// Every outcome field key any row has a value for, sorted: one column each.
    pub fields: Vec<FieldKey>,
    /// How many outcomes the export holds.
    pub outcomes: usize,
    /// How many product lines those outcomes carry (the rows of the sold-products file).
    pub lines: usize,
    /// The rows, a page at a time.
    pub rows: OutcomePages,
}

/// One outcome of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeExportRow {
    /// The outcome event, whole.
    pub event: OutcomeEvent,
    /// The customer's name (empty if the customer is gone).
    pub customer: String,
    /// Who registered it (empty when the system did).
    pub seller: String,
    /// The outcome's name in the assignment's flow (its id when the flow has it no more).
    pub outcome: String,
    /// The name of the state it left the customer in.
    pub state: String,
    /// The follow-up's owner's name (empty for a shared one or none).
    pub follow_up_owner: String,
    /// The name of each product line's product, in line order.
    pub products: Vec<String>,
}

/// The open offers of an assignment now, as the sales report lists them, with names.
#[derive(Debug, Clone)]
pub struct OpenOfferExport {
    /// The organisation's time zone: the file shows local times.
    pub zone: TimeZone,
    /// The offers, by `since` then enrollment (the report's order).
    pub rows: Vec<OpenOfferExportRow>,
}

/// One open offer of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOfferExportRow {
    /// The offer, whole: its lines at the price offered.
    pub offer: OpenOffer,
    /// The customer's name (empty if the customer is gone).
    pub customer: String,
    /// Who made the offer (empty when the system did).
    pub seller: String,
    /// The name of each line's product, in line order.
    pub products: Vec<String>,
}

/// The meetings of an assignment starting in a window, as the meetings report lists them,
/// with names.
#[derive(Debug, Clone)]
pub struct MeetingExport {
    /// The organisation's time zone: the file shows local times.
    pub zone: TimeZone,
    /// The meetings, by start.
    pub rows: Vec<MeetingExportRow>,
}

/// One meeting of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingExportRow {
    /// The meeting, whole.
    pub meeting: Meeting,
    /// The calendar's name.
    pub calendar: String,
    /// The customer's name (empty if the customer is gone).
    pub customer: String,
    /// Who booked it (empty when the system did).
    pub booked_by: String,
}

/// The names of `ids`' customers, read a round at a time.
async fn customer_names(
    uow: &mut dyn ReadUnit,
    ids: impl IntoIterator<Item = CustomerId>,
) -> AppResult<BTreeMap<CustomerId, String>> {
    let wanted: BTreeSet<CustomerId> = ids.into_iter().collect();
    let wanted: Vec<CustomerId> = wanted.into_iter().collect();
    let mut names = BTreeMap::new();
    for chunk in wanted.chunks(ROUND as usize) {
        for customer in uow.customers_by_id(chunk).await? {
            names.insert(customer.id(), customer.details().name.to_string());
        }
    }
    Ok(names)
}

/// The names of the organisation's users.
async fn user_names(
    uow: &mut dyn ReadUnit,
    organisation: cube_domain::ids::OrganisationId,
) -> AppResult<BTreeMap<UserId, String>> {
    Ok(uow
        .users(organisation)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name.to_string()))
        .collect())
}

/// The name of `user` in `names`; empty for none (the system) or a user who is gone.
fn name_of(names: &BTreeMap<UserId, String>, user: Option<UserId>) -> String {
    user.and_then(|u| names.get(&u).cloned())
        .unwrap_or_default()
}

impl Cube {
    /// The open offers of assignment `id` now — the sales report's list, every one — with
    /// names, for a file. Open to whoever may read the sales report.
    pub async fn open_offer_export(
        &self,
        who: impl Into<Acting<'_>>,
        id: cube_domain::ids::AssignmentId,
    ) -> AppResult<OpenOfferExport> {
        let (mut uow, assignment, _) = self.open_report(who.into(), id, ReportKind::Sales).await?;
        let offers = uow.open_offers(id).await?;
        let zone = self
            .zones
            .of(uow.as_mut(), assignment.organisation())
            .await?;
        let users = user_names(uow.as_mut(), assignment.organisation()).await?;
        let products: BTreeMap<ProductId, String> = uow
            .products(assignment.data_owner())
            .await?
            .into_iter()
            .map(|p| (p.id(), p.name().to_string()))
            .collect();
        let customers = customer_names(uow.as_mut(), offers.iter().map(|o| o.customer)).await?;
        let rows = offers
            .into_iter()
            .map(|offer| OpenOfferExportRow {
                customer: customers.get(&offer.customer).cloned().unwrap_or_default(),
                seller: name_of(&users, offer.seller),
                products: offer
                    .lines
                    .iter()
                    .map(|line| {
                        products
                            .get(&line.product)
                            .cloned()
                            .unwrap_or_else(|| line.product.to_string())
                    })
                    .collect(),
                offer,
            })
            .collect();
        Ok(OpenOfferExport { zone, rows })
    }

    /// The meetings of assignment `id` starting in `window` whose place contains `search` —
    /// the meetings report's list, every one — with names, for a file. Open to whoever may
    /// read the meetings report.
    pub async fn meeting_export(
        &self,
        who: impl Into<Acting<'_>>,
        id: cube_domain::ids::AssignmentId,
        window: Window,
        search: Option<&str>,
    ) -> AppResult<MeetingExport> {
        let (mut uow, assignment, _) = self
            .open_report(who.into(), id, ReportKind::Meetings)
            .await?;
        let meetings = uow.meetings(&[id], window.from, window.to).await?;
        let meetings: Vec<Meeting> =
            reports::meetings_in_window(&meetings, window.from, window.to, search)
                .into_iter()
                .cloned()
                .collect();
        let zone = self
            .zones
            .of(uow.as_mut(), assignment.organisation())
            .await?;
        let users = user_names(uow.as_mut(), assignment.organisation()).await?;
        let calendars: BTreeMap<CalendarId, String> = uow
            .calendars(assignment.data_owner())
            .await?
            .into_iter()
            .map(|c| (c.id, c.name.to_string()))
            .collect();
        let customers = customer_names(uow.as_mut(), meetings.iter().map(|m| m.customer)).await?;
        let rows = meetings
            .into_iter()
            .map(|meeting| MeetingExportRow {
                calendar: calendars
                    .get(&meeting.calendar)
                    .cloned()
                    .unwrap_or_else(|| meeting.calendar.to_string()),
                customer: customers
                    .get(&meeting.customer)
                    .cloned()
                    .unwrap_or_default(),
                booked_by: name_of(&users, meeting.booked_by),
                meeting,
            })
            .collect();
        Ok(MeetingExport { zone, rows })
    }

    /// Every outcome of assignment `id` in `window` that `filter` keeps, oldest first, with
    /// names, for a file (at most [`OUTCOME_EXPORT_MAX`]): counted and its field columns
    /// found now, its rows read a page at a time by [`OutcomePages::next_page`]. Open to
    /// whoever may read the outcome report.
    pub async fn outcome_export(
        &self,
        who: impl Into<Acting<'_>>,
        id: cube_domain::ids::AssignmentId,
        window: Window,
        filter: OutcomeFilter,
    ) -> AppResult<OutcomeExport> {
        self.export(who.into(), id, window, filter, ReportKind::Outcomes)
            .await
    }

    /// The sales of assignment `id` in `window` that carry products (optionally one
    /// seller's), oldest first, with names, for the sold-products file (seed 001: sold
    /// products "lastes ned"): one line per product line of each row. Open to whoever may
    /// read the sales report.
    pub async fn sales_export(
        &self,
        who: impl Into<Acting<'_>>,
        id: cube_domain::ids::AssignmentId,
        window: Window,
        seller: Option<UserId>,
    ) -> AppResult<OutcomeExport> {
        let filter = OutcomeFilter {
            user: seller,
            sold: true,
            ..OutcomeFilter::default()
        };
        self.export(who.into(), id, window, filter, ReportKind::Sales)
            .await
    }

    async fn export(
        &self,
        who: Acting<'_>,
        id: cube_domain::ids::AssignmentId,
        window: Window,
        filter: OutcomeFilter,
        kind: ReportKind,
    ) -> AppResult<OutcomeExport> {
        let (mut uow, assignment, now) = self.open_report(who, id, kind).await?;
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        let zone = self
            .zones
            .of(uow.as_mut(), assignment.organisation())
            .await?;
        let users = user_names(uow.as_mut(), assignment.organisation()).await?;
        let products: BTreeMap<ProductId, String> = uow
            .products(assignment.data_owner())
            .await?
            .into_iter()
            .map(|p| (p.id(), p.name().to_string()))
            .collect();
        drop(uow);
        // Events are appended at the clock's now: ending the window just past it keeps out
        // what is registered while the file is written, so the count and the columns found
        // below hold for every page read after. A window that starts later than that is
        // empty (not one that ends before it starts: a store may refuse to read that).
        let end = now + time::Duration::microseconds(1);
        let window = Window {
            from: window.from,
            to: window.to.min(end).max(window.from),
        };
        let mut pages = OutcomePages {
            store: self.store.clone(),
            assignment: id,
            window,
            filter,
            page: self.export_page,
            after: None,
            done: false,
            flow,
            users,
            products,
        };
        let (mut outcomes, mut lines) = (0, 0);
        let mut fields: BTreeSet<FieldKey> = BTreeSet::new();
        while let Some(events) = pages.next_events().await? {
            outcomes += events.len();
            if outcomes > OUTCOME_EXPORT_MAX {
                return Err(ReportError::ExportTooLarge {
                    max: OUTCOME_EXPORT_MAX,
                }
                .into());
            }
            for event in &events {
                lines += event.products().len();
                fields.extend(event.fields().keys().cloned());
            }
        }
        pages.after = None;
        pages.done = false;
        Ok(OutcomeExport {
            zone,
            fields: fields.into_iter().collect(),
            outcomes,
            lines,
            rows: pages,
        })
    }
}

/// The rows of an [`OutcomeExport`], read from the store a page at a time.
///
/// Each page is its own read unit, not one read held for the whole export: the pages are
/// read at the pace the file is written — for a streamed CSV, the pace of the client's
/// download — and a unit held that long would hold a pooled connection, and PostgreSQL's
/// oldest snapshot (vacuum) or SQLite's WAL checkpoint, hostage to a slow client. The pages
/// still add up to one consistent list: they follow the outcome log's stable order (time,
/// then append order) by keyset from the last event of the page before, the log is only
/// appended to, and the export's window ends when it started (see `Cube::export`), so no
/// outcome is skipped or repeated and none appears that was not counted. (An outcome whose
/// registration began before the export and committed during its first pass is the one
/// exception: it is written, but its fields are in the columns only if another outcome has
/// them.)
///
/// The pages' units are long-read units (`Store::begin_long_read`): the same snapshot rules as
/// any read unit, run where the store keeps long reads, so an export's pages — both passes,
/// two units a page — keep to one connection rather than warming every connection of the
/// pool (SQLite: each reader's page cache and its thread's allocator arena; issue 16).
pub struct OutcomePages {
    store: Arc<dyn Store>,
    assignment: cube_domain::ids::AssignmentId,
    window: Window,
    filter: OutcomeFilter,
    page: u32,
    after: Option<OutcomeEventId>,
    done: bool,
    flow: Arc<PublishedFlow>,
    users: BTreeMap<UserId, String>,
    products: BTreeMap<ProductId, String>,
}

impl std::fmt::Debug for OutcomePages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutcomePages")
            .field("assignment", &self.assignment)
            .field("window", &self.window)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl OutcomePages {
    /// The next page of events in its own read unit; `None` after the last.
    async fn next_events(&mut self) -> AppResult<Option<Vec<OutcomeEvent>>> {
        if self.done {
            return Ok(None);
        }
        let mut uow = self.store.begin_long_read().await?;
        let events = uow
            .outcome_list(
                self.assignment,
                self.window.from,
                self.window.to,
                &self.filter,
                self.after,
                self.page,
            )
            .await?;
        self.done = events.len() < self.page as usize;
        self.after = events.last().map(OutcomeEvent::id).or(self.after);
        Ok((!events.is_empty()).then_some(events))
    }

    /// The next page of rows (up to the Cube's export page of outcomes, names resolved in
    /// the page's own read unit), oldest first; `None` after the last.
    pub async fn next_page(&mut self) -> AppResult<Option<Vec<OutcomeExportRow>>> {
        let Some(events) = self.next_events().await? else {
            return Ok(None);
        };
        let mut uow = self.store.begin_long_read().await?;
        let customers =
            customer_names(uow.as_mut(), events.iter().map(OutcomeEvent::customer)).await?;
        drop(uow);
        let user_name = |user: Option<UserId>| name_of(&self.users, user);
        let rows = events
            .into_iter()
            .map(|event| OutcomeExportRow {
                customer: customers
                    .get(&event.customer())
                    .cloned()
                    .unwrap_or_default(),
                seller: user_name(event.user()),
                outcome: event.outcome().map_or_else(String::new, |o| {
                    self.flow
                        .outcome(o)
                        .map_or_else(|| o.to_string(), |o| o.name.to_string())
                }),
                state: self
                    .flow
                    .state(event.to_state())
                    .map_or_else(|| event.to_state().to_string(), |s| s.name.to_string()),
                follow_up_owner: user_name(event.follow_up().and_then(|f| f.owner)),
                products: event
                    .products()
                    .iter()
                    .map(|line| {
                        self.products
                            .get(&line.product)
                            .cloned()
                            .unwrap_or_else(|| line.product.to_string())
                    })
                    .collect(),
                event,
            })
            .collect();
        Ok(Some(rows))
    }
}
