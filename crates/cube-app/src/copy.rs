//! Copying a whole store into another: how a call centre moves from the embedded SQLite to
//! PostgreSQL (or back, or out of the in-memory twin). Everything is read through the
//! source's ports and written through the target's, the way the use cases write it, so any
//! store copies into any other, and what a store derives from its writes (PostgreSQL's
//! report counters, SQLite's phone and CRM-field rows, search text) is built on the target as
//! it would have been. This is an operator's task: no acting user, no access check.
//!
//! # What is copied
//! Every organisation with its users and their password hashes (logins keep working with
//! the same password), API tokens, data owners, products, every published version of every
//! flow and the flow drafts, calendars, assignments; then, a page at a time, every data
//! owner's customers (oldest first, so "oldest first" stays true) with the changes in their history,
//! every assignment's
//! enrollments (state, attempts, follow-up, reservation and import-order number as they
//! are), meetings and time entries; then the whole outcome log in append order (so events at
//! one instant keep their order) with the idempotency key each was registered with (a
//! request retried after the move still gets its first answer), and the whole outbox in
//! enqueue order, each message pending, delivered or failed as it was, with its failed
//! attempts and retry time; then every SMS flow sent and every text received, with what
//! it did; then every data owner's privacy log and do-not-contact list, and every customer
//! import's record with what it created (so an import can be undone on the new store).
//!
//! Not copied: browser sessions (users log in again after the move; a session is a
//! short-lived login, and copying it would only keep a stolen cookie working on the new
//! server), and a delivery round's claim on a message that was never tried (the round
//! stopped with the old server; on the target the message is due at once). API tokens are
//! copied because an integration has nobody to log in again.
//!
//! # How
//! The target must be empty — no organisation, no event, no outbox message — or the copy is
//! refused before anything is written. The source is read in one read unit (stop the
//! server on it first: a copy of a store in use is a copy of some moment of it). The target
//! is written in units of `CopyOptions::chunk` rows each, committed one after another, so
//! memory stays bounded and a large store does not become one huge transaction; the
//! source is read `CopyOptions::page` rows at a time. After each commit the caller hears how
//! far the copy is. A copy that fails leaves the chunks committed so far in the target: the
//! error says what was copied and that the target must be emptied (or re-created) before
//! trying again, which the emptiness check then enforces.

use cube_domain::flow::FlowVersion;
use cube_domain::ids::{AssignmentId, DataOwnerId};
use cube_domain::meeting::Meeting;
use cube_domain::ports::{
    DeliveryState, LoggedEvent, ReadUnit, Store, StoreError, StoredMessage, TokenKind, UnitOfWork,
};
use cube_domain::time_entry::TimeEntry;
use std::fmt;
use thiserror::Error;

/// What a copy counts: the kinds of record it copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Organisations.
    Organisations,
    /// Users.
    Users,
    /// Users' password hashes.
    Passwords,
    /// API tokens (sessions are not copied).
    ApiTokens,
    /// Organisations' webhook endpoints, secrets included.
    WebhookEndpoints,
    /// Data owners.
    DataOwners,
    /// Products.
    Products,
    /// Published flow versions (every version, not only the newest).
    PublishedFlows,
    /// Flow drafts.
    FlowDrafts,
    /// Calendars.
    Calendars,
    /// Assignments.
    Assignments,
    /// Customers.
    Customers,
    /// Changes in customers' histories: card edits, meetings cancelled or moved.
    CustomerChanges,
    /// Enrollments.
    Enrollments,
    /// Meetings.
    Meetings,
    /// Time entries.
    TimeEntries,
    /// Outcome events.
    OutcomeEvents,
    /// Idempotency keys (kept with their events).
    IdempotencyKeys,
    /// Outbox messages.
    OutboxMessages,
    /// SMS flows sent (listening for replies).
    SmsFlows,
    /// Sales' written confirmations (angrerettloven § 10), with their status.
    SaleConfirmations,
    /// Texts received from customers.
    SmsReplies,
    /// Entries of the data owners' privacy logs (a person's rights exercised).
    PrivacyLog,
    /// Hashed numbers on the data owners' do-not-contact lists.
    DoNotContact,
    /// Customer imports' records (what each created, whether it was undone).
    CustomerImports,
    /// Calls sellers started, with what the PBX said of them.
    Calls,
}

impl Kind {
    /// Every kind, in the order a copy writes them.
    pub const ALL: [Kind; 26] = [
        Kind::Organisations,
        Kind::Users,
        Kind::Passwords,
        Kind::ApiTokens,
        Kind::WebhookEndpoints,
        Kind::DataOwners,
        Kind::Products,
        Kind::PublishedFlows,
        Kind::FlowDrafts,
        Kind::Calendars,
        Kind::Assignments,
        Kind::Customers,
        Kind::CustomerChanges,
        Kind::Enrollments,
        Kind::Meetings,
        Kind::TimeEntries,
        Kind::OutcomeEvents,
        Kind::IdempotencyKeys,
        Kind::OutboxMessages,
        Kind::SmsFlows,
        Kind::SaleConfirmations,
        Kind::SmsReplies,
        Kind::PrivacyLog,
        Kind::DoNotContact,
        Kind::CustomerImports,
        Kind::Calls,
    ];

    /// The kind in words, plural.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Organisations => "organisations",
            Kind::Users => "users",
            Kind::Passwords => "password hashes",
            Kind::ApiTokens => "API tokens",
            Kind::WebhookEndpoints => "webhook endpoints",
            Kind::DataOwners => "data owners",
            Kind::Products => "products",
            Kind::PublishedFlows => "published flow versions",
            Kind::FlowDrafts => "flow drafts",
            Kind::Calendars => "calendars",
            Kind::Assignments => "assignments",
            Kind::Customers => "customers",
            Kind::CustomerChanges => "customer changes",
            Kind::Enrollments => "enrollments",
            Kind::Meetings => "meetings",
            Kind::TimeEntries => "time entries",
            Kind::OutcomeEvents => "outcome events",
            Kind::IdempotencyKeys => "idempotency keys",
            Kind::OutboxMessages => "outbox messages",
            Kind::SmsFlows => "SMS flows",
            Kind::SaleConfirmations => "sale confirmations",
            Kind::SmsReplies => "texts received",
            Kind::PrivacyLog => "privacy log entries",
            Kind::DoNotContact => "do-not-contact entries",
            Kind::CustomerImports => "customer imports",
            Kind::Calls => "calls",
        }
    }

    fn index(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many records of each kind were copied, and the sessions left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyCounts {
    counts: [u64; Kind::ALL.len()],
    /// Browser sessions of the source, not copied (their users log in again).
    pub sessions_not_copied: u64,
}

impl CopyCounts {
    /// How many of `kind`.
    pub fn get(&self, kind: Kind) -> u64 {
        self.counts[kind.index()]
    }

    /// Every kind with its count, in the order a copy writes them.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, u64)> + '_ {
        Kind::ALL.iter().map(|kind| (*kind, self.get(*kind)))
    }

    fn add(&mut self, kind: Kind, n: u64) {
        self.counts[kind.index()] += n;
    }

    fn add_all(&mut self, other: &CopyCounts) {
        for (kind, n) in other.iter() {
            self.add(kind, n);
        }
        self.sessions_not_copied += other.sessions_not_copied;
    }
}

/// One line a kind: `  customers          1000`.
impl fmt::Display for CopyCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, n) in self.iter() {
            writeln!(f, "  {:<24}{n:>10}", kind.name())?;
        }
        write!(
            f,
            "  {:<24}{:>10}",
            "sessions (not copied)", self.sessions_not_copied
        )
    }
}

/// How a copy reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOptions {
    /// Rows read from the source at a time (customers, enrollments, events, …). Default
    /// 1,000.
    pub page: u32,
    /// Rows written to the target in one unit of work before it is committed. Default 5,000.
    pub chunk: u32,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            page: 1_000,
            chunk: 5_000,
        }
    }
}

/// How far a copy is, told after each commit to the target.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The kind being copied when the chunk was committed; `None` once everything is.
    pub copying: Option<Kind>,
    /// Everything committed to the target so far.
    pub committed: &'a CopyCounts,
}

/// The store a failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Reading the source failed.
    Source,
    /// Writing (or reading) the target failed.
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Source => "reading the source",
            Side::Target => "writing the target",
        })
    }
}

/// Why a copy stopped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CopyError {
    /// The target has data already: nothing was written.
    #[error(
        "the target store is not empty ({what}): copy into a new, empty database (or a new \
         SQLite file); nothing was written"
    )]
    TargetNotEmpty {
        /// What was found, in words.
        what: String,
    },
    /// A store failed part-way; the chunks committed before stay in the target.
    #[error(
        "copying failed while {side} ({kind}): {source}. Committed to the target before the \
         failure:\n{committed}\nThe target now holds part of the data: empty it (drop and \
         re-create the database, or delete the SQLite file) before trying again"
    )]
    Failed {
        /// Which store failed.
        side: Side,
        /// What was being copied.
        kind: Kind,
        /// The store's error.
        source: StoreError,
        /// What the target holds (boxed: a count per kind is most of the error's size).
        committed: Box<CopyCounts>,
    },
}

/// A failure inside a step, before it is told with what was committed.
type Step<T> = Result<T, (Side, StoreError)>;

fn source<T>(result: Result<T, StoreError>) -> Step<T> {
    result.map_err(|e| (Side::Source, e))
}

fn target<T>(result: Result<T, StoreError>) -> Step<T> {
    result.map_err(|e| (Side::Target, e))
}

/// Copies everything in `from` into `to`, which must be empty (see the module doc), telling
/// `progress` after each commit. Returns what was copied.
pub async fn copy_store(
    from: &dyn Store,
    to: &dyn Store,
    options: CopyOptions,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<CopyCounts, CopyError> {
    let failed = |side, kind, source, committed: &CopyCounts| CopyError::Failed {
        side,
        kind,
        source,
        committed: Box::new(committed.clone()),
    };
    let empty = CopyCounts::default();
    if let Some(what) = target_content(to)
        .await
        .map_err(|e| failed(Side::Target, Kind::Organisations, e, &empty))?
    {
        return Err(CopyError::TargetNotEmpty { what });
    }
    let mut reader = from
        .begin_read()
        .await
        .map_err(|e| failed(Side::Source, Kind::Organisations, e, &empty))?;
    let mut copy = Copying {
        source: reader.as_mut(),
        target: Target {
            store: to,
            unit: None,
            written: 0,
            chunk: options.chunk.max(1),
            pending: CopyCounts::default(),
            committed: CopyCounts::default(),
            copying: Kind::Organisations,
            done: false,
            progress,
        },
        page: options.page.max(1),
    };
    match copy.run().await {
        Ok(()) => Ok(copy.target.committed),
        Err((side, source)) => {
            let kind = copy.target.copying;
            Err(failed(side, kind, source, &copy.target.committed))
        }
    }
}

/// What makes `store` not empty, if anything: an organisation, an outcome event or an
/// outbox message (everything else belongs to an organisation).
async fn target_content(store: &dyn Store) -> Result<Option<String>, StoreError> {
    let mut unit = store.begin_read().await?;
    let organisations = unit.organisations().await?;
    if let Some(first) = organisations.first() {
        return Ok(Some(format!(
            "{} organisation(s), e.g. '{}'",
            organisations.len(),
            first.name
        )));
    }
    if !unit.events_after(None, 1).await?.is_empty() {
        return Ok(Some("outcome events".into()));
    }
    if !unit.messages_after(None, 1).await?.is_empty() {
        return Ok(Some("outbox messages".into()));
    }
    Ok(None)
}

/// The target's side: the unit being filled, and what is committed.
struct Target<'a> {
    store: &'a dyn Store,
    unit: Option<Box<dyn UnitOfWork>>,
    /// Rows written in `unit`.
    written: u32,
    chunk: u32,
    /// Counted in `unit`, not committed yet.
    pending: CopyCounts,
    committed: CopyCounts,
    copying: Kind,
    /// Everything is written: the next commit is the last.
    done: bool,
    progress: &'a mut (dyn FnMut(Progress<'_>) + Send),
}

impl Target<'_> {
    /// The unit to write in, begun if none is open.
    async fn unit(&mut self) -> Step<&mut dyn UnitOfWork> {
        if self.unit.is_none() {
            self.unit = Some(target(self.store.begin().await)?);
        }
        match self.unit.as_deref_mut() {
            Some(unit) => Ok(unit),
            None => Err((
                Side::Target,
                StoreError::Unavailable("no unit of work".into()),
            )),
        }
    }

    /// Counts `n` records of `kind` written in the unit, and commits it once it holds a
    /// chunk.
    async fn wrote(&mut self, kind: Kind, n: u64) -> Step<()> {
        self.pending.add(kind, n);
        self.written += 1;
        if self.written >= self.chunk {
            self.commit().await?;
        }
        Ok(())
    }

    /// Commits the open unit, if any, and tells the caller.
    async fn commit(&mut self) -> Step<()> {
        let Some(unit) = self.unit.take() else {
            return Ok(());
        };
        self.written = 0;
        target(unit.commit().await)?;
        let pending = std::mem::take(&mut self.pending);
        self.committed.add_all(&pending);
        (self.progress)(Progress {
            copying: (!self.done).then_some(self.copying),
            committed: &self.committed,
        });
        Ok(())
    }
}

/// A copy under way.
struct Copying<'a> {
    source: &'a mut dyn ReadUnit,
    target: Target<'a>,
    page: u32,
}

impl Copying<'_> {
    async fn run(&mut self) -> Step<()> {
        let (owners, assignments) = self.organisations().await?;
        self.target.copying = Kind::Customers;
        for owner in &owners {
            self.customers(*owner).await?;
        }
        self.target.copying = Kind::Enrollments;
        for assignment in &assignments {
            self.enrollments(*assignment).await?;
        }
        self.target.copying = Kind::Meetings;
        for assignment in &assignments {
            self.meetings(*assignment).await?;
        }
        self.target.copying = Kind::TimeEntries;
        for assignment in &assignments {
            self.time_entries(*assignment).await?;
        }
        self.target.copying = Kind::OutcomeEvents;
        self.events().await?;
        self.target.copying = Kind::OutboxMessages;
        self.outbox().await?;
        self.target.copying = Kind::SmsFlows;
        self.sms_flows().await?;
        self.target.copying = Kind::SaleConfirmations;
        self.sale_confirmations().await?;
        self.target.copying = Kind::SmsReplies;
        self.sms_replies().await?;
        self.target.copying = Kind::PrivacyLog;
        self.privacy_log().await?;
        self.target.copying = Kind::DoNotContact;
        self.do_not_contact().await?;
        self.target.copying = Kind::CustomerImports;
        self.customer_imports().await?;
        self.target.copying = Kind::Calls;
        self.calls().await?;
        self.target.done = true;
        self.target.commit().await
    }

    /// Every organisation with its users, data owners (products, flows, calendars) and
    /// assignments; returns the data owners and assignments whose rows follow.
    async fn organisations(&mut self) -> Step<(Vec<DataOwnerId>, Vec<AssignmentId>)> {
        let (mut owners, mut assignments) = (Vec::new(), Vec::new());
        for organisation in source(self.source.organisations().await)? {
            self.target.copying = Kind::Organisations;
            let unit = self.target.unit().await?;
            target(unit.save_organisation(&organisation).await)?;
            self.target.wrote(Kind::Organisations, 1).await?;
            self.target.copying = Kind::Users;
            for user in source(self.source.users(organisation.id).await)? {
                let hash = source(self.source.password_hash(user.id).await)?;
                let tokens = source(self.source.tokens_of(user.id).await)?;
                let (api, sessions): (Vec<_>, Vec<_>) =
                    tokens.iter().partition(|t| t.kind == TokenKind::Api);
                let unit = self.target.unit().await?;
                target(unit.save_user(&user).await)?;
                if let Some(hash) = &hash {
                    target(unit.set_password_hash(user.id, hash).await)?;
                }
                for token in &api {
                    target(unit.insert_token(token).await)?;
                }
                let pending = &mut self.target.pending;
                pending.add(Kind::Passwords, u64::from(hash.is_some()));
                pending.add(Kind::ApiTokens, api.len() as u64);
                pending.sessions_not_copied += sessions.len() as u64;
                self.target.wrote(Kind::Users, 1).await?;
            }
            self.target.copying = Kind::WebhookEndpoints;
            for endpoint in source(self.source.webhook_endpoints(organisation.id).await)? {
                let unit = self.target.unit().await?;
                target(unit.save_webhook_endpoint(&endpoint).await)?;
                self.target.wrote(Kind::WebhookEndpoints, 1).await?;
            }
            for owner in source(self.source.data_owners(organisation.id).await)? {
                self.data_owner(&owner).await?;
                owners.push(owner.id());
            }
            self.target.copying = Kind::Assignments;
            for assignment in source(self.source.assignments(organisation.id).await)? {
                let unit = self.target.unit().await?;
                target(unit.save_assignment(&assignment).await)?;
                self.target.wrote(Kind::Assignments, 1).await?;
                assignments.push(assignment.id());
            }
        }
        Ok((owners, assignments))
    }

    /// A data owner with its products, every version of its flows, its drafts and its
    /// calendars.
    async fn data_owner(&mut self, owner: &cube_domain::data_owner::DataOwner) -> Step<()> {
        let id = owner.id();
        self.target.copying = Kind::DataOwners;
        let unit = self.target.unit().await?;
        target(unit.save_data_owner(owner).await)?;
        self.target.wrote(Kind::DataOwners, 1).await?;
        self.target.copying = Kind::Products;
        for product in source(self.source.products(id).await)? {
            let unit = self.target.unit().await?;
            target(unit.save_product(&product).await)?;
            self.target.wrote(Kind::Products, 1).await?;
        }
        self.target.copying = Kind::PublishedFlows;
        for latest in source(self.source.published_flows(id).await)? {
            // Versions count from 1; every one is frozen and kept, the newest is listed.
            let newest = latest.version().version;
            for version in 1..=newest {
                let version = FlowVersion {
                    flow: latest.id(),
                    version,
                };
                let Some(flow) = source(self.source.published_flow(version).await)? else {
                    continue;
                };
                let unit = self.target.unit().await?;
                target(unit.save_published_flow(&flow).await)?;
                self.target.wrote(Kind::PublishedFlows, 1).await?;
            }
        }
        self.target.copying = Kind::FlowDrafts;
        for draft in source(self.source.flow_drafts(id).await)? {
            let unit = self.target.unit().await?;
            target(unit.save_flow_draft(&draft).await)?;
            self.target.wrote(Kind::FlowDrafts, 1).await?;
        }
        self.target.copying = Kind::Calendars;
        for calendar in source(self.source.calendars(id).await)? {
            let unit = self.target.unit().await?;
            target(unit.save_calendar(&calendar).await)?;
            self.target.wrote(Kind::Calendars, 1).await?;
        }
        Ok(())
    }

    /// The data owner's customers, oldest first.
    async fn customers(&mut self, owner: DataOwnerId) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(self.source.customers_after(owner, after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id());
            for customer in &page {
                let unit = self.target.unit().await?;
                target(unit.save_customer(customer).await)?;
                self.target.wrote(Kind::Customers, 1).await?;
                for change in source(self.source.customer_changes(customer.id()).await)? {
                    let unit = self.target.unit().await?;
                    target(unit.record_customer_change(&change).await)?;
                    self.target.wrote(Kind::CustomerChanges, 1).await?;
                }
            }
        }
    }

    /// The assignment's enrollments, as they are now.
    async fn enrollments(&mut self, assignment: AssignmentId) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(
                self.source
                    .enrollments_after(assignment, after, self.page)
                    .await,
            )?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.cursor());
            for enrollment in &page {
                let unit = self.target.unit().await?;
                target(unit.insert_enrollment(enrollment).await)?;
                self.target.wrote(Kind::Enrollments, 1).await?;
            }
        }
    }

    /// The assignment's meetings.
    async fn meetings(&mut self, assignment: AssignmentId) -> Step<()> {
        let mut after = None;
        loop {
            let page: Vec<Meeting> = source(
                self.source
                    .meetings_after(assignment, after, self.page)
                    .await,
            )?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for meeting in &page {
                let unit = self.target.unit().await?;
                target(unit.insert_meeting(meeting).await)?;
                self.target.wrote(Kind::Meetings, 1).await?;
            }
        }
    }

    /// The assignment's time entries.
    async fn time_entries(&mut self, assignment: AssignmentId) -> Step<()> {
        let mut after = None;
        loop {
            let page: Vec<TimeEntry> = source(
                self.source
                    .time_entries_after(assignment, after, self.page)
                    .await,
            )?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id());
            for entry in &page {
                let unit = self.target.unit().await?;
                target(unit.save_time_entry(entry).await)?;
                self.target.wrote(Kind::TimeEntries, 1).await?;
            }
        }
    }

    /// The whole outcome log, in append order, each event with its idempotency key.
    async fn events(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page: Vec<LoggedEvent> = source(self.source.events_after(after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.event.id());
            for logged in &page {
                let unit = self.target.unit().await?;
                target(unit.append_event(&logged.event, logged.key.as_ref()).await)?;
                self.target
                    .pending
                    .add(Kind::IdempotencyKeys, u64::from(logged.key.is_some()));
                self.target.wrote(Kind::OutcomeEvents, 1).await?;
            }
        }
    }

    /// The whole outbox in enqueue order, each message as far in its delivery as it was.
    async fn outbox(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page: Vec<StoredMessage> =
                source(self.source.messages_after(after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.message.id);
            for stored in &page {
                let unit = self.target.unit().await?;
                restore_message(unit, stored).await?;
                self.target.wrote(Kind::OutboxMessages, 1).await?;
            }
        }
    }
}

impl Copying<'_> {
    /// Every call sellers started, by id.
    async fn calls(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(self.source.calls_after(after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for call in &page {
                let unit = self.target.unit().await?;
                target(unit.save_call(call).await)?;
                self.target.wrote(Kind::Calls, 1).await?;
            }
        }
    }

    /// Every SMS flow sent, in the order recorded.
    async fn sms_flows(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(self.source.sms_flows_after(after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.message);
            for flow in &page {
                let unit = self.target.unit().await?;
                target(unit.record_sms_flow(flow).await)?;
                self.target.wrote(Kind::SmsFlows, 1).await?;
            }
        }
    }

    /// Every sale confirmation, in the order recorded, as it stands.
    async fn sale_confirmations(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(
                self.source
                    .sale_confirmations_after(None, after, self.page)
                    .await,
            )?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for confirmation in &page {
                let unit = self.target.unit().await?;
                target(unit.record_sale_confirmation(confirmation).await)?;
                self.target.wrote(Kind::SaleConfirmations, 1).await?;
            }
        }
    }

    /// Every text received, in the order kept, with what it did.
    async fn sms_replies(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(self.source.sms_replies_after(None, after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for reply in &page {
                // An unmatched text with the data owners that claim it (ADR 0008): without
                // them it would be no one's in the copy, and swept after 30 days.
                let owners = match reply.is_unmatched() {
                    true => source(self.source.sms_reply_owners(reply.id).await)?,
                    false => Vec::new(),
                };
                let unit = self.target.unit().await?;
                target(unit.save_sms_reply(reply).await)?;
                if !owners.is_empty() {
                    target(unit.claim_unmatched_sms(reply.id, &owners).await)?;
                }
                self.target.wrote(Kind::SmsReplies, 1).await?;
            }
        }
    }

    /// Every data owner's privacy log, in the order recorded.
    async fn privacy_log(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(self.source.privacy_log_after(after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for request in &page {
                let unit = self.target.unit().await?;
                target(unit.log_privacy_request(request).await)?;
                self.target.wrote(Kind::PrivacyLog, 1).await?;
            }
        }
    }

    /// Every data owner's do-not-contact list, hashes and salts as they are.
    async fn do_not_contact(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(self.source.do_not_contact_after(after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some((last.data_owner, last.phone_hash.clone()));
            for entry in &page {
                let unit = self.target.unit().await?;
                target(unit.list_do_not_contact(entry).await)?;
                self.target.wrote(Kind::DoNotContact, 1).await?;
            }
        }
    }

    /// Every customer import's record, with what it created and whether it was undone.
    async fn customer_imports(&mut self) -> Step<()> {
        let mut after = None;
        loop {
            let page = source(self.source.customer_imports_after(after, self.page).await)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for import in &page {
                let unit = self.target.unit().await?;
                target(unit.record_import(import).await)?;
                self.target.wrote(Kind::CustomerImports, 1).await?;
            }
        }
    }
}

/// Enqueues a message and brings it where it was in its delivery through the outbox's own
/// writes: each failed attempt is a `defer` (the last one to the retry time), then it is
/// marked delivered or failed. A claim on a message never tried is not copied: the round
/// that claimed it stopped with the old server, so it is due at once.
async fn restore_message(unit: &mut dyn UnitOfWork, stored: &StoredMessage) -> Step<()> {
    let message = &stored.message;
    target(unit.enqueue(message).await)?;
    let retry_at = match &stored.state {
        DeliveryState::Pending {
            due_at: Some(due_at),
        } => *due_at,
        _ => message.created_at,
    };
    for _ in 0..stored.attempts {
        target(unit.defer(message.id, retry_at).await)?;
    }
    match &stored.state {
        DeliveryState::Pending { .. } => {}
        DeliveryState::Delivered => target(unit.mark_delivered(message.id).await)?,
        DeliveryState::Failed { reason } => target(unit.mark_failed(message.id, reason).await)?,
    }
    Ok(())
}
