//! # cube-app
//!
//! Cube's use cases (application services). Each one loads the acting user, checks the
//! access policy, does its work through the domain's rules and runs in exactly one unit of
//! work: it commits once, or writes nothing. The crate depends on `cube-domain` only; the
//! adapters arrive through the port traits held by [`Cube`].
//!
//! # Layout
//! - [`auth`]: passwords (as hashes), tokens, who is acting.
//! - [`error`]: `AppError` and its kinds.
//! - [`revision`]: revisions of the documents edited whole (setup, flow draft, data owner),
//!   so a write based on an old read is refused instead of overwriting.
//! - [`system`]: the production `Clock` and `IdGenerator` (system time, UUID v7).
//! - [`organisation`]: organisations and users.
//! - [`outbox`]: delivering enqueued SMS and e-mail through the gateways (a worker calls it).
//! - [`webhooks`]: an organisation's outbound webhook endpoints (admins manage them), and the
//!   webhooks a change enqueues in its own unit of work.
//! - [`sms_replies`]: texts customers send back, matched to their SMS flow and acted on.
//! - [`setup`]: data owners, CRM fields, products, calendars, flows, assignments, segments.
//! - [`customers`]: adding, importing and enrolling customers (`import_keys`: the
//!   within-file duplicate check, exact in little memory; `import_register`: the rows the
//!   register refuses, found before anything is written; [`rejected_rows`]: the rows an
//!   import does not take and why, as values each adapter says in its user's language).
//! - [`imports`]: a data owner's imports, and undoing one that nobody has worked on yet.
//! - [`contact`]: the contact policy applied: the gate "next customer" passes customers
//!   through, the do-not-call list, register exemptions, the wash, a data owner's rules.
//! - [`work`]: next customer, taking and releasing a customer, registering outcomes, My Work,
//!   external state changes.
//! - [`bulk`]: selections, their export, and bulk actions.
//! - [`privacy`]: a person's rights under the GDPR: everything a data owner holds on them,
//!   and the data owner's privacy log.
//! - [`copy`]: copying a whole store into another (moving from SQLite to PostgreSQL): an
//!   operator's task in units of its own, committed a chunk at a time.
//! - [`reports`]: historical and current reports, performance, activity limits.
//! - [`exports`]: the reports as files' rows, names resolved: the concrete outcomes, the sold
//!   products, the open offers and the meetings.
//! - [`status_exports`]: the customer-status download and a selection's export, a page of
//!   enrollments at a time in import order.
//! - [`time_tracking`]: time entries.
//! - [`calls`]: click-to-call: starting a call with a registered caller id, the PBX's
//!   events, the calls in the customer's history; the caller numbers and users' phones.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod bulk;
pub mod calendars;
pub mod calls;
pub mod card;
pub mod contact;
pub mod copy;
pub mod customers;
pub mod error;
pub mod exports;
pub mod flows;
pub mod import_jobs;
mod import_keys;
mod import_register;
pub mod imports;
mod kept_requests;
pub mod organisation;
pub mod outbox;
pub mod privacy;
pub mod rejected_rows;
pub mod reports;
pub mod revision;
pub mod sale_confirmations;
pub mod setup;
pub mod sms_replies;
pub mod status_exports;
pub mod streamed_imports;
pub mod system;
pub mod time_tracking;
pub mod webhooks;
pub mod work;
pub mod zones;

pub use error::{
    AccountError, AppError, ErrorKind, ReportError, RoleScopeError, TimeTrackingError, WorkError,
};
pub use revision::Revision;

use cube_domain::access::{self, Permission, ReportKind, User};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::MailAccount;
use cube_domain::ids::{AssignmentId, UserId};
use cube_domain::ports::ReadUnit;
use cube_domain::ports::{Clock, IdGenerator, Store, UnitOfWork};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// The use cases over a set of ports. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Cube {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    flows: flows::Flows,
    zones: zones::Zones,
    webhooks: webhooks::EndpointCache,
    standings: contact::OwnerStandings,
    washing: contact::Washing,
    outbox_timing: outbox::OutboxTiming,
    export_page: u32,
    mail_accounts: Arc<BTreeSet<MailAccount>>,
    /// The PBX that places calls; `None`: calls are `tel:` links for softphones.
    telephony: Option<Arc<dyn cube_domain::ports::Telephony>>,
    /// Where customers reach this server (`https://cube.example.com`): the links of an offer
    /// by e-mail lead to its answer page. `None`: no setup may send offers by e-mail.
    public_url: Option<Arc<str>>,
}

impl std::fmt::Debug for Cube {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cube").finish_non_exhaustive()
    }
}

/// The result type of every use case.
pub type AppResult<T> = Result<T, AppError>;

impl Cube {
    /// Wires the use cases to their ports.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, ids: Arc<dyn IdGenerator>) -> Self {
        Self {
            store,
            clock,
            ids,
            flows: flows::Flows::default(),
            zones: zones::Zones::default(),
            webhooks: webhooks::EndpointCache::default(),
            standings: contact::OwnerStandings::default(),
            washing: contact::Washing::default(),
            outbox_timing: outbox::OutboxTiming::default(),
            export_page: exports::EXPORT_PAGE,
            mail_accounts: Arc::default(),
            telephony: None,
            public_url: None,
        }
    }

    /// The same use cases on a server whose operator configured these outgoing mail
    /// accounts (by name; their SMTP URLs stay with the e-mail gateway): a setup may name
    /// only one of them in `communication.mail_account`. Without this, none may be named.
    #[must_use]
    pub fn with_mail_accounts(mut self, accounts: impl IntoIterator<Item = MailAccount>) -> Self {
        self.mail_accounts = Arc::new(accounts.into_iter().collect());
        self
    }

    /// The same use cases on a server customers reach at `url` (`https://…`, no closing `/`
    /// needed): the links of a sale's written offer by e-mail lead to `{url}/confirm/…`.
    /// Without it a setup sending offers by e-mail is refused (naming `CUBE_PUBLIC_URL`).
    #[must_use]
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Some(Arc::from(url.trim().trim_end_matches('/')));
        self
    }

    /// The same use cases with the outbox's claim and first retry delay set
    /// ([`outbox::OutboxTiming`]; the defaults are 5 minutes and 30 seconds).
    #[must_use]
    pub fn with_outbox_timing(mut self, timing: outbox::OutboxTiming) -> Self {
        self.outbox_timing = timing;
        self
    }

    /// The same Cube reading an export's outcomes `rows` at a time (default
    /// [`exports::EXPORT_PAGE`]): tests give a small page so a few rows span several pages.
    #[must_use]
    pub fn with_export_page(mut self, rows: std::num::NonZeroU32) -> Self {
        self.export_page = rows.get();
        self
    }

    /// The store (for adapters that need it directly, e.g. health checks).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The time by the `Clock` port — what every use case takes as "now". Adapters ask
    /// here too (a report's default window is "today" by this clock), so a server under a
    /// test clock is consistent with itself.
    pub fn now(&self) -> OffsetDateTime {
        // The domain's precision, whatever the clock gives (see `cube_domain::instant`).
        cube_domain::instant::truncate(self.clock.now())
    }

    /// The local date at `now` in the organisation's time zone (`cube_app::zones`).
    async fn today_of(
        &self,
        uow: &mut dyn ReadUnit,
        organisation: cube_domain::ids::OrganisationId,
        now: OffsetDateTime,
    ) -> AppResult<time::Date> {
        Ok(self.zones.of(uow, organisation).await?.date_of(now))
    }

    /// The organisation's time zone (cached per process for `zones::ZONE_TTL`): adapters
    /// use it for what they default to "today", e.g. a report's window.
    pub async fn time_zone_of(&self, user: &User) -> AppResult<cube_domain::time_zone::TimeZone> {
        if let Some(zone) = self.zones.fresh(user.organisation) {
            return Ok(zone);
        }
        let mut uow = self.begin_read().await?;
        self.zones.of(uow.as_mut(), user.organisation).await
    }

    fn new_id<T: From<uuid::Uuid>>(&self) -> T {
        T::from(self.ids.next_id())
    }

    async fn begin(&self) -> AppResult<Box<dyn UnitOfWork>> {
        Ok(self.store.begin().await?)
    }

    /// A unit for a use case that only reads (lists, reports): see `Store::begin_read`.
    async fn begin_read(&self) -> AppResult<Box<dyn ReadUnit>> {
        Ok(self.store.begin_read().await?)
    }
}

/// Who acts in a use case. Every use case takes `impl Into<Acting>`: a `&User` from
/// [`Cube::authenticate`] (an adapter that authenticated the request already: the user is
/// not loaded again), or a `UserId` that the use case loads in its own unit (operators'
/// commands, jobs, tests). Either way a deactivated user can do nothing.
///
/// A request authenticated just before its user was deactivated may still finish (the
/// authentication and the use case are two units); the next request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting<'a> {
    /// A user authenticated for this request.
    Authenticated(&'a User),
    /// A user by id, loaded by the use case.
    Id(UserId),
}

impl From<UserId> for Acting<'_> {
    fn from(id: UserId) -> Self {
        Acting::Id(id)
    }
}

impl<'a> From<&'a User> for Acting<'a> {
    fn from(user: &'a User) -> Self {
        Acting::Authenticated(user)
    }
}

/// The acting user: the authenticated one as given, or loaded by id in `uow`; a missing or
/// deactivated user can do nothing.
async fn acting(uow: &mut dyn ReadUnit, who: Acting<'_>) -> AppResult<User> {
    match who {
        Acting::Authenticated(user) if user.active => Ok(user.clone()),
        Acting::Authenticated(_) => Err(AppError::Unauthenticated),
        Acting::Id(id) => actor(uow, id).await,
    }
}

/// Loads the acting user; a missing or deactivated user can do nothing.
async fn actor(uow: &mut dyn ReadUnit, id: UserId) -> AppResult<User> {
    match uow.user(id).await? {
        Some(user) if user.active => Ok(user),
        _ => Err(AppError::Unauthenticated),
    }
}

/// The user `id` of `acting`'s organisation; another organisation's user is "not found",
/// like one that does not exist, so it is looked up before any role check.
async fn user_of_organisation(
    uow: &mut dyn ReadUnit,
    acting: &User,
    id: UserId,
) -> AppResult<User> {
    uow.user(id)
        .await?
        .filter(|u| u.organisation == acting.organisation)
        .ok_or(AppError::NotFound("user"))
}

/// The user `id` that `acting` acts on: themself, or, as an admin, anyone of the
/// organisation.
async fn self_or_administered(
    uow: &mut dyn ReadUnit,
    acting: &User,
    id: UserId,
    today: time::Date,
) -> AppResult<User> {
    let target = user_of_organisation(uow, acting, id).await?;
    if target.id != acting.id {
        access::authorize(acting, Permission::ManageOrganisation, today)
            .map_err(|e| AppError::access(e, "user"))?;
    }
    Ok(target)
}

/// What a use case needs to do with an assignment.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Set it up, enroll, bulk work.
    Manage,
    /// Work it as a seller.
    Work,
    /// Read one of its reports.
    Report(ReportKind),
}

impl Need {
    fn on(self, assignment: &Assignment) -> Permission<'_> {
        match self {
            Need::Manage => Permission::ManageAssignment(assignment),
            Need::Work => Permission::WorkAssignment(assignment),
            Need::Report(kind) => Permission::ViewReport(assignment, kind),
        }
    }
}

impl Cube {
    /// Loads an assignment and checks `permission` on it on the organisation's local date
    /// (the visibility window's dates are local); another organisation's assignment is "not
    /// found".
    async fn assignment_for(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        id: AssignmentId,
        need: Need,
        now: OffsetDateTime,
    ) -> AppResult<Assignment> {
        let assignment = uow
            .assignment(id)
            .await?
            .ok_or(AppError::NotFound("assignment"))?;
        self.authorize_on(uow, user, assignment, need, now).await
    }

    /// An assignment already read, if `user` may use it for `need` at `now` (as
    /// `assignment_for`).
    async fn authorize_on(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        assignment: Assignment,
        need: Need,
        now: OffsetDateTime,
    ) -> AppResult<Assignment> {
        let today = self.today_of(uow, user.organisation, now).await?;
        access::authorize(user, need.on(&assignment), today)
            .map_err(|e| AppError::access(e, "assignment"))?;
        Ok(assignment)
    }
}
