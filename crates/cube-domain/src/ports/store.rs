//! Storage. A `Store` opens a `UnitOfWork` (one transaction) that holds every repository, so
//! a use case reads and writes through one object and commits once: all or nothing. The hot
//! path "next customer" is one atomic step inside a unit (`EnrollmentRepository::
//! reserve_next`), so a SQL adapter can do it in one statement with `FOR UPDATE SKIP LOCKED`
//! and the use case reads the customer in the same unit: a failure before the commit leaves
//! no reservation behind.
//!
//! Each method's doc says when it MUST return which `StoreError`; the contract suites in
//! `cube-testkit` hold every adapter to that.

use crate::access::{Organisation, User};
use crate::assignment::Assignment;
use crate::assignment::setup::AssignmentSetup;
use crate::customer::{Customer, CustomerChange, CustomerFilter};
use crate::customer_import::{CustomerImport, ImportUndone};
use crate::data_owner::DataOwner;
use crate::enrollment::{Enrollment, EnrollmentCursor};
use crate::flow::{FlowDraft, FlowVersion, PublishedFlow};
use crate::idempotency::{IdempotencyKey, KeyedEvent, RequestKey};
use crate::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, FlowId, ImportId, MeetingId,
    OrganisationId, OutboxMessageId, OutcomeEventId, PrivacyRequestId, ProductId,
    SaleConfirmationId, SmsReplyId, TimeEntryId, UserId,
};
use crate::import_match::{IdentityConflict, MatchKeys, RowKeys, RowMatch};
use crate::meeting::{Calendar, Meeting};
use crate::outcome::{OutcomeEvent, OutcomeFilter};
use crate::ports::credentials::AccessToken;
use crate::ports::gateways::{ClaimedMessage, FailedMessage, OutboxMessage, StoredMessage};
use crate::privacy::{DoNotContact, PersonKey, PrivacyRequest, Salt};
use crate::product::Product;
use crate::queue::Tier;
use crate::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
use crate::sms::{SentSmsFlow, SmsReply};
use crate::time_entry::TimeEntry;
use crate::values::{Email, PhoneNumber};
use async_trait::async_trait;
use thiserror::Error;
use time::OffsetDateTime;

/// Why storage failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// An insert collided with a unique rule, named so a use case can tell the rules apart
    /// (an idempotency-key race is answered with the first result; a duplicate meeting is
    /// not).
    #[error("{0} already exists")]
    Duplicate(UniqueRule),
    /// A write lost a race (stale version, lease taken meanwhile): read again and retry.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store could not be reached or failed; the transaction was rolled back.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A value to be written is beyond what the store keeps (a price with more than 18
    /// significant digits, a number past `i64::MAX`): nothing was written; fix the input.
    #[error("cannot be stored: {0}")]
    Unrepresentable(String),
    /// Stored data could not be read back into the domain (a bug or a hand-edited row).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// The unique rules every store keeps: which one an insert broke. Its words name what exists
/// already ("a user with this e-mail address already exists"). Each write's doc says which
/// rule it MUST answer, and the contract suites check the rule, not only that it is a
/// `Duplicate`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
pub enum UniqueRule {
    /// Another user of the organisation has the e-mail address (by [`Email::login_key`]).
    #[error("a user with this e-mail address")]
    UserEmail,
    /// The data owner has a product with the code.
    #[error("a product with this code for the data owner")]
    ProductCode,
    /// The customer is enrolled in the assignment already.
    #[error("an enrollment of this customer in the assignment")]
    CustomerInAssignment,
    /// The user registered an outcome in the assignment with the idempotency key already:
    /// a retry raced the first request.
    #[error("an outcome registered with this idempotency key in the assignment")]
    IdempotencyKey,
    /// The flow version is published already (versions are frozen).
    #[error("this published flow version")]
    PublishedFlowVersion,
    /// An access token has the hash.
    #[error("an access token with this hash")]
    AccessTokenHash,
    /// A received SMS with the provider's message id is kept already: the provider posted
    /// the same message twice.
    #[error("a received SMS with this provider message id")]
    SmsProviderId,
    /// Another call has the PBX's call id.
    #[error("a call with this provider call id")]
    CallProviderId,
    /// The user made a request from the card under the `Idempotency-Key` already: a retry
    /// raced the first request.
    #[error("a request made with this idempotency key")]
    RequestKey,
    /// A record with the id exists (ids are made by the application, so this is a retried
    /// insert or a bug, never the user's to fix).
    #[error("{0} with this id")]
    Id(RecordKind),
    /// A rule the store knows no name for (a constraint newer than this code), in the store's
    /// own words.
    #[error("a row breaking the unique rule {0}")]
    Other(String),
}

/// The records whose id is their only unique rule, for [`UniqueRule::Id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum RecordKind {
    /// A customer.
    #[error("a customer")]
    Customer,
    /// An enrollment.
    #[error("an enrollment")]
    Enrollment,
    /// A meeting.
    #[error("a meeting")]
    Meeting,
    /// An outcome event.
    #[error("an outcome event")]
    OutcomeEvent,
    /// An outbox message.
    #[error("an outbox message")]
    OutboxMessage,
    /// An SMS flow sent (by its outbox message).
    #[error("an SMS flow")]
    SmsFlow,
    /// A received SMS.
    #[error("a received SMS")]
    SmsReply,
    /// An entry of a data owner's privacy log.
    #[error("a privacy log entry")]
    PrivacyRequest,
    /// A customer import's record.
    #[error("a customer import")]
    CustomerImport,
    /// A sale's written confirmation.
    #[error("a sale confirmation")]
    SaleConfirmation,
}

/// A page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return at most.
    pub limit: u64,
}

impl Page {
    /// The same page with one row more: whether that row comes back tells whether a next
    /// page exists, so a last page that is exactly full does not promise another.
    pub fn with_lookahead(self) -> Self {
        Self {
            limit: self.limit.saturating_add(1),
            ..self
        }
    }

    /// The rows of this page out of the rows read for [`Page::with_lookahead`], and the
    /// offset of the next page, `None` when these were the last rows.
    pub fn split<T>(self, mut rows: Vec<T>) -> (Vec<T>, Option<u64>) {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        if rows.len() > limit {
            rows.truncate(limit);
            (rows, Some(self.offset.saturating_add(self.limit)))
        } else {
            (rows, None)
        }
    }
}

/// An event of the outcome log with the idempotency key it was appended with, as
/// [`OutcomeLog::events_after`] reads the whole log back (to copy a store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The event.
    pub event: OutcomeEvent,
    /// The key and its request's fingerprint, when it was appended with one. A key stored
    /// before fingerprints were kept (no fingerprint) is left out: it cannot be appended
    /// again as it was.
    pub key: Option<IdempotencyKey>,
}

/// How an import finds a customer that already exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerKey {
    /// The id in the source system.
    ExternalId(String),
    /// A company's organisation number, as its key (`Customer::registry_key`): a person's
    /// number is no key.
    Registry(String),
    /// A phone number.
    Phone(PhoneNumber),
}

impl CustomerKey {
    /// What kind of key, in words.
    pub fn kind(&self) -> &'static str {
        match self {
            CustomerKey::ExternalId(_) => "external id",
            CustomerKey::Registry(_) => "organisation number",
            CustomerKey::Phone(_) => "phone number",
        }
    }
}

impl std::fmt::Display for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CustomerKey::ExternalId(id) => write!(f, "the external id '{id}'"),
            CustomerKey::Registry(key) => write!(f, "the organisation number {key}"),
            CustomerKey::Phone(phone) => write!(f, "the phone number {phone}"),
        }
    }
}

/// A request for the next customer of an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextCustomerRequest {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The seller asking.
    pub seller: UserId,
    /// Now.
    pub now: OffsetDateTime,
    /// The assignment's setup (priority rules, segments, lease length).
    pub setup: AssignmentSetup,
    /// The contact policy of the assignment's data owner at `now`: a customer it bars
    /// (`ContactGate::barred` on the customer's `contact_facts`) is never handed out.
    pub gate: crate::contact_policy::standing::ContactGate,
}

/// A customer handed out: the enrollment, already reserved for the seller, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handout {
    /// The enrollment with its new reservation.
    pub enrollment: Enrollment,
    /// Follow-up or pool.
    pub tier: Tier,
}

/// Opens units of work, and runs the atomic queue operations.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Store: Send + Sync {
    /// Begins a transaction.
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StoreError>;

    /// Begins a transaction the caller only reads through: it MUST see everything committed
    /// before it began, and a store may run it beside writers instead of after them (SQLite:
    /// a deferred read transaction on its WAL snapshot, where `begin` takes the write lock;
    /// PostgreSQL: statements on one pooled connection, each seeing what was committed
    /// before it, as `READ COMMITTED` would). Writing through it may fail. There is no
    /// default: a store that wraps another MUST forward it, or every read of the wrapped
    /// store would silently take the write path.
    async fn begin_read(&self) -> Result<Box<dyn ReadUnit>, StoreError>;

    /// Begins a read unit that is one page of a long read: an export reading a million rows
    /// a page at a time, each page a unit of its own, one after another. What it sees is
    /// exactly what [`Store::begin_read`] promises — everything committed before it began
    /// — and nothing is held between two such units. What differs is where it runs: a store
    /// MAY run every such unit on a connection set aside for long reads, so a long read
    /// keeps to one connection instead of passing through (and warming: page cache, buffers)
    /// every connection of its pool, and does not take the connections short requests read
    /// on (SQLite does). Long reads running at once take turns there a unit at a time, so a
    /// caller MUST end one such unit before it begins the next (holding two at once may wait
    /// for a connection until the store answers `Unavailable`). The default is `begin_read`,
    /// so a store that wraps another and forwards only `begin_read` loses the choice of
    /// connection, never a guarantee.
    async fn begin_long_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        self.begin_read().await
    }

    /// `EnrollmentRepository::reserve_next` in a unit of its own, committed at once.
    async fn reserve_next(
        &self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError> {
        let mut uow = self.begin().await?;
        let handout = uow.reserve_next(request).await?;
        uow.commit().await?;
        Ok(handout)
    }

    /// The token `token_hash` and the user it belongs to, as committed: what authentication
    /// reads on every request. Expired or not, active user or not: the caller checks. The
    /// default reads both in a read unit; a SQL store answers with one statement outside
    /// any transaction (one statement reads one snapshot), saving the unit's begin and end
    /// on every request.
    async fn token_holder(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, User)>, StoreError> {
        let mut uow = self.begin_read().await?;
        let Some(token) = uow.token(token_hash).await? else {
            return Ok(None);
        };
        Ok(uow.user(token.user).await?.map(|user| (token, user)))
    }
}

/// A transaction that only reads: every lookup, list and tally, and nothing that writes.
/// [`Store::begin_read`] opens one; a [`UnitOfWork`] is one too, so a function that only
/// reads takes `&mut dyn ReadUnit` and is handed either. A read-only use case cannot write
/// by mistake, and the compiler — not the call site — picks the lock (SQLite: no write lock).
/// Dropping it ends it. A store's unit type says it is one with an empty
/// `impl ReadUnit for MyUnit {}` once it implements every repository listed here.
#[async_trait]
pub trait ReadUnit:
    OrganisationRepository
    + UserRepository
    + DataOwnerRepository
    + CustomerRepository
    + ProductRepository
    + FlowRepository
    + AssignmentRepository
    + CalendarRepository
    + EnrollmentRepository
    + OutcomeLog
    + TimeEntryRepository
    + OutboxRepository
    + SmsReplyRepository
    + crate::ports::ReportRepository
    + crate::ports::CredentialRepository
    + crate::ports::WebhookRepository
    + crate::ports::CallRepository
    + crate::ports::RequestKeyRepository
    + Send
{
    /// One enrollment and its assignment (`None` beside the enrollment when the assignment
    /// is missing): what registering an outcome reads first. The same as `enrollment`, then
    /// `assignment` of its assignment, in this unit; a store may answer both with one round
    /// trip (PostgreSQL does), the default asks twice.
    async fn enrollment_and_assignment(
        &mut self,
        id: EnrollmentId,
    ) -> Result<Option<(Enrollment, Option<Assignment>)>, StoreError> {
        let Some(enrollment) = self.enrollment(id).await? else {
            return Ok(None);
        };
        let assignment = self.assignment(enrollment.assignment()).await?;
        Ok(Some((enrollment, assignment)))
    }
}

/// One transaction over every repository, reads and writes. Dropping it without `commit`
/// rolls back.
///
/// How to use one: after any error, drop it (PostgreSQL refuses further statements in a
/// failed transaction); never call `Store::begin` or `Store::reserve_next` while holding one
/// in the same task (the in-memory store serializes units and would wait for itself).
/// Lists said to be "by name" are in byte order of the name, ties by id.
#[async_trait]
pub trait UnitOfWork:
    ReadUnit
    + OrganisationWrites
    + UserWrites
    + DataOwnerWrites
    + CustomerWrites
    + ProductWrites
    + FlowWrites
    + AssignmentWrites
    + CalendarWrites
    + EnrollmentWrites
    + OutcomeLogWrites
    + TimeEntryWrites
    + OutboxWrites
    + SmsReplyWrites
    + ImportRepository
    + crate::ports::CredentialWrites
    + crate::ports::WebhookWrites
    + crate::ports::CallWrites
    + crate::ports::RequestKeyWrites
{
    /// Makes every write of this unit visible at once.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// `reserve_next`, then the handed-out enrollment's customer (`None` beside the handout
    /// when the customer is missing): what "next customer" shows. The same as the two calls
    /// in this unit; a store may answer both with one round trip (PostgreSQL does), the
    /// default asks twice.
    async fn reserve_next_with_customer(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<(Handout, Option<Customer>)>, StoreError> {
        let Some(handout) = self.reserve_next(request).await? else {
            return Ok(None);
        };
        let customer = self.customer(handout.enrollment.customer()).await?;
        Ok(Some((handout, customer)))
    }

    /// A registration's two writes: `update_enrollment(enrollment)`, then, only if that went
    /// through, `append_event(event, idempotency_key)`. What registering an outcome writes.
    /// The errors are theirs, in that order: `Conflict` when the update is refused (the
    /// enrollment missing, moved, or changed by another unit since this one read it) — and
    /// then neither is written and the unit goes on, as after a refused update; then
    /// `append_event`'s `Duplicate(IdempotencyKey)` or `Duplicate(Id(OutcomeEvent))`, after
    /// which the enrollment's write may stand in the unit: drop it, as after any error.
    /// The same as the two calls in this unit; a store may do both in one round trip
    /// (PostgreSQL does), the default calls them in turn.
    async fn update_enrollment_with_event(
        &mut self,
        enrollment: &Enrollment,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        self.update_enrollment(enrollment).await?;
        self.append_event(event, idempotency_key).await
    }
}

/// Organisations.
#[async_trait]
pub trait OrganisationRepository: Send {
    /// One organisation.
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError>;
    /// Every organisation of the store, by id: the tenants, few (an empty list is an empty
    /// store: copying a store into another refuses a target that has one).
    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError>;
}

/// The writes of [`OrganisationRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait OrganisationWrites: Send {
    /// Inserts or updates.
    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError>;
}

/// Users.
#[async_trait]
pub trait UserRepository: Send {
    /// One user.
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The users with this login e-mail, at most one per organisation (an address may log in
    /// to several organisations), ordered by organisation id; compared by
    /// [`Email::login_key`]: MUST find `kari@x.no` for `Kari@X.no`.
    async fn users_by_email(&mut self, email: &Email) -> Result<Vec<User>, StoreError>;
    /// The organisation's users, by name.
    async fn users(&mut self, organisation: OrganisationId) -> Result<Vec<User>, StoreError>;
}

/// The writes of [`UserRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait UserWrites: Send {
    /// Inserts or updates; MUST return `Duplicate(UserEmail)` when another user of the same
    /// organisation has the e-mail, by [`Email::login_key`] (`Kari@x.no` and `kari@x.no` are
    /// one address). A user of another organisation with the address is no conflict: telling
    /// one organisation that an address is taken elsewhere would reveal another's users.
    async fn save_user(&mut self, user: &User) -> Result<(), StoreError>;
}

/// Data owners.
#[async_trait]
pub trait DataOwnerRepository: Send {
    /// One data owner.
    async fn data_owner(&mut self, id: DataOwnerId) -> Result<Option<DataOwner>, StoreError>;
    /// The organisation's data owners, by name.
    async fn data_owners(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<DataOwner>, StoreError>;
    /// The data owner's privacy log (`crate::privacy`), in the order recorded.
    async fn privacy_log(&mut self, owner: DataOwnerId) -> Result<Vec<PrivacyRequest>, StoreError>;
    /// Up to `limit` entries of every data owner's privacy log in the order recorded,
    /// starting after the entry `after` (`None`: from the first). An unknown `after` gives
    /// no rows.
    async fn privacy_log_after(
        &mut self,
        after: Option<PrivacyRequestId>,
        limit: u32,
    ) -> Result<Vec<PrivacyRequest>, StoreError>;
    /// The salt of the data owner's do-not-contact list; `None` while nothing is listed.
    async fn do_not_contact_salt(&mut self, owner: DataOwnerId)
    -> Result<Option<Salt>, StoreError>;
    /// Which of `hashes` are on the data owner's do-not-contact list (each once, in any
    /// order).
    async fn do_not_contact_listed(
        &mut self,
        owner: DataOwnerId,
        hashes: &[String],
    ) -> Result<Vec<String>, StoreError>;
    /// Up to `limit` entries of every data owner's do-not-contact list, by data owner then
    /// hash, starting after the entry `after` (its data owner and hash; `None`: from the
    /// first).
    async fn do_not_contact_after(
        &mut self,
        after: Option<(DataOwnerId, String)>,
        limit: u32,
    ) -> Result<Vec<DoNotContact>, StoreError>;
}

/// The writes of [`DataOwnerRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait DataOwnerWrites: Send {
    /// Inserts or updates; MUST return `Conflict` if another unit changed (or
    /// created) it since this unit read it, so a write checked against what was read (a
    /// revision in `If-Match`) cannot overwrite a change made meanwhile (a store whose units
    /// run one at a time never sees this).
    async fn save_data_owner(&mut self, owner: &DataOwner) -> Result<(), StoreError>;
    /// Appends an entry to its data owner's privacy log; MUST return
    /// `Duplicate(Id(PrivacyRequest))` if the id exists.
    async fn log_privacy_request(&mut self, request: &PrivacyRequest) -> Result<(), StoreError>;
    /// Puts a hashed number on its data owner's do-not-contact list; one listed already is
    /// left as it was (listing is idempotent).
    async fn list_do_not_contact(&mut self, entry: &DoNotContact) -> Result<(), StoreError>;
}

/// Customers.
#[async_trait]
pub trait CustomerRepository: Send {
    /// One customer.
    async fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, StoreError>;
    /// Several customers; missing ids are left out.
    async fn customers_by_id(&mut self, ids: &[CustomerId]) -> Result<Vec<Customer>, StoreError>;
    /// The data owner's first customer (in creation order) with this external id, phone
    /// number or (a company's) organisation number key, leaving out `except` (the customer
    /// being updated). The lookup MUST see the keys as last saved: an update that adds or
    /// removes a phone or changes the number moves it in the lookup.
    async fn find_customer(
        &mut self,
        owner: DataOwnerId,
        key: &CustomerKey,
        except: Option<CustomerId>,
    ) -> Result<Option<Customer>, StoreError>;
    /// For each of `rows` (import rows of the data owner, in order) who holds its keys: the
    /// data owner's oldest customer with the row's external id; for a company row with an
    /// organisation number, the oldest company whose `Customer::registry_key` is the row's;
    /// and for each phone number of the row (in the row's order) that a customer has, the
    /// oldest customer with it. Each holder comes with its external id and dataset.
    /// The rows are looked up each on its own (none sees another). What
    /// `ImportRepository::import_batch` matches a row by; an import's check asks it first.
    async fn import_row_keys(
        &mut self,
        owner: DataOwnerId,
        rows: &[&Customer],
    ) -> Result<Vec<RowKeys>, StoreError>;
    /// A page of the data owner's customers that `filter` matches
    /// (`CustomerFilter::matches`, exactly), oldest first; the page counts matches only.
    async fn customers(
        &mut self,
        owner: DataOwnerId,
        filter: &CustomerFilter,
        page: Page,
    ) -> Result<Vec<Customer>, StoreError>;
    /// Up to `limit` of the data owner's customers, oldest first (creation order, as
    /// `customers`), starting after the customer `after` (the last one of the previous
    /// page; `None`: from the first). Paging by the last row instead of an offset, each
    /// page costs the same however deep it is: this reads every customer of a large owner
    /// (copying a store). An `after` that is not the data owner's customer gives no rows.
    async fn customers_after(
        &mut self,
        owner: DataOwnerId,
        after: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<Customer>, StoreError>;
    /// The changes recorded on the customer's card, oldest first (changes at the same
    /// instant in the order recorded).
    async fn customer_changes(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<CustomerChange>, StoreError>;
    /// The data owner's customers that `key` finds (`PersonKey::matches`, exactly), oldest
    /// first: every record the data owner holds on one person.
    async fn customers_of_person(
        &mut self,
        owner: DataOwnerId,
        key: &PersonKey,
    ) -> Result<Vec<Customer>, StoreError>;
    /// One import's record with the customers and enrollments it created, each list by id
    /// (ascending); `None` when there is no such import.
    async fn customer_import(&mut self, id: ImportId)
    -> Result<Option<CustomerImport>, StoreError>;
    /// The data owner's imports with what each created, newest first (by `imported_at`,
    /// then id, descending).
    async fn customer_imports(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<CustomerImport>, StoreError>;
    /// Up to `limit` imports of every data owner in the order recorded, after the import
    /// `after` (`None`: from the first; an unknown one: none), each with what it created as
    /// `customer_import` gives it: what a copy of the store reads.
    async fn customer_imports_after(
        &mut self,
        after: Option<ImportId>,
        limit: u32,
    ) -> Result<Vec<CustomerImport>, StoreError>;
}

/// The writes of [`CustomerRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait CustomerWrites: Send {
    /// Inserts or updates.
    async fn save_customer(&mut self, customer: &Customer) -> Result<(), StoreError>;
    /// Records a change of a saved customer's card (kept as long as the customer).
    async fn record_customer_change(&mut self, change: &CustomerChange) -> Result<(), StoreError>;
    /// Forgets every change recorded on the customer's card (an erasure: a do-not-call
    /// reason is free text).
    async fn erase_customer_changes(&mut self, customer: CustomerId) -> Result<(), StoreError>;
    /// Removes a customer and the changes recorded on its card (an import undone). MUST
    /// return `Conflict` when there is no such customer, or while it is still enrolled
    /// anywhere: its enrollments go first (`delete_enrollment`), so the status and hit
    /// counters follow them as for any enrollment removed.
    async fn delete_customer(&mut self, id: CustomerId) -> Result<(), StoreError>;
}

/// The product catalogue.
#[async_trait]
pub trait ProductRepository: Send {
    /// One product.
    async fn product(&mut self, id: ProductId) -> Result<Option<Product>, StoreError>;
    /// The data owner's products, by name.
    async fn products(&mut self, owner: DataOwnerId) -> Result<Vec<Product>, StoreError>;
}

/// The writes of [`ProductRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait ProductWrites: Send {
    /// Inserts or updates; MUST return `Duplicate(ProductCode)` when the data owner has the code
    /// already.
    async fn save_product(&mut self, product: &Product) -> Result<(), StoreError>;
}

/// Flows: at most one draft per flow, and its frozen published versions.
#[async_trait]
pub trait FlowRepository: Send {
    /// The flow's current draft.
    async fn flow_draft(&mut self, id: FlowId) -> Result<Option<FlowDraft>, StoreError>;
    /// One published version.
    async fn published_flow(
        &mut self,
        version: FlowVersion,
    ) -> Result<Option<PublishedFlow>, StoreError>;
    /// The newest published version of a flow.
    async fn latest_published_flow(
        &mut self,
        id: FlowId,
    ) -> Result<Option<PublishedFlow>, StoreError>;
    /// The newest published version of each of the data owner's flows, by name.
    async fn published_flows(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<PublishedFlow>, StoreError>;
    /// The data owner's flow drafts (at most one a flow), by flow id.
    async fn flow_drafts(&mut self, owner: DataOwnerId) -> Result<Vec<FlowDraft>, StoreError>;
}

/// The writes of [`FlowRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait FlowWrites: Send {
    /// Inserts or replaces the flow's draft; MUST return `Conflict` if another unit changed (or
    /// created) it since this unit read it, so a write checked against what was read (a
    /// revision in `If-Match`) cannot overwrite a change made meanwhile (a store whose units
    /// run one at a time never sees this).
    async fn save_flow_draft(&mut self, draft: &FlowDraft) -> Result<(), StoreError>;
    /// Removes the flow's draft (after publishing it).
    async fn delete_flow_draft(&mut self, id: FlowId) -> Result<(), StoreError>;
    /// Stores a published version; MUST return `Duplicate(PublishedFlowVersion)` if that
    /// version exists (versions are frozen).
    async fn save_published_flow(&mut self, flow: &PublishedFlow) -> Result<(), StoreError>;
}

/// Assignments.
#[async_trait]
pub trait AssignmentRepository: Send {
    /// One assignment.
    async fn assignment(&mut self, id: AssignmentId) -> Result<Option<Assignment>, StoreError>;
    /// The organisation's assignments, by name.
    async fn assignments(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Assignment>, StoreError>;
}

/// The writes of [`AssignmentRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait AssignmentWrites: Send {
    /// Inserts or updates; MUST return `Conflict` if another unit changed (or
    /// created) it since this unit read it, so a write checked against what was read (a
    /// revision in `If-Match`) cannot overwrite a change made meanwhile (a store whose units
    /// run one at a time never sees this).
    async fn save_assignment(&mut self, assignment: &Assignment) -> Result<(), StoreError>;
}

/// Calendars and meetings.
#[async_trait]
pub trait CalendarRepository: Send {
    /// One calendar.
    async fn calendar(&mut self, id: CalendarId) -> Result<Option<Calendar>, StoreError>;
    /// The data owner's calendars.
    async fn calendars(&mut self, owner: DataOwnerId) -> Result<Vec<Calendar>, StoreError>;
    /// The calendar's meetings that overlap `[from, to)`, by start.
    async fn meetings_in_calendar(
        &mut self,
        calendar: CalendarId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError>;
    /// The assignments' meetings starting in `[from, to)`, by start.
    async fn meetings(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError>;
    /// One meeting.
    async fn meeting(&mut self, id: MeetingId) -> Result<Option<Meeting>, StoreError>;
    /// Up to `limit` of the assignment's meetings, by start then id, starting after the
    /// meeting `after` (the last one of the previous page; `None`: from the first). An
    /// `after` that is not the assignment's meeting gives no rows.
    async fn meetings_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<MeetingId>,
        limit: u32,
    ) -> Result<Vec<Meeting>, StoreError>;
    /// The meetings booked with the customer, in any assignment, by start then id.
    async fn meetings_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Meeting>, StoreError>;
}

/// The writes of [`CalendarRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait CalendarWrites: Send {
    /// Inserts or updates.
    async fn save_calendar(&mut self, calendar: &Calendar) -> Result<(), StoreError>;
    /// Books a meeting; MUST return `Duplicate(Id(Meeting))` if the id exists.
    async fn insert_meeting(&mut self, meeting: &Meeting) -> Result<(), StoreError>;
    /// Takes a meeting out of its calendar and assignment (cancelled, or moved: deleted and
    /// inserted again with the same id in one unit); MUST return `Conflict` if there is no
    /// such meeting.
    async fn delete_meeting(&mut self, id: MeetingId) -> Result<(), StoreError>;
}

/// Enrollments: the "now" of each customer in each assignment.
#[async_trait]
pub trait EnrollmentRepository: Send {
    /// One enrollment.
    async fn enrollment(&mut self, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError>;
    /// The customer's enrollment in the assignment.
    async fn enrollment_of(
        &mut self,
        assignment: AssignmentId,
        customer: CustomerId,
    ) -> Result<Option<Enrollment>, StoreError>;
    /// All of the assignment's enrollments, in import order (bulk work, current reports).
    async fn enrollments(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<Enrollment>, StoreError>;
    /// Up to `limit` of the assignment's enrollments in import order (sequence, then id, as
    /// `enrollments`), starting strictly after the place `after` in that order (the last
    /// one of the previous page, `Enrollment::cursor`; `None`: from the first). The place is
    /// values, so it MUST work whether or not an enrollment is still there: a page's last
    /// enrollment removed before the next page is read skips nothing and repeats nothing.
    async fn enrollments_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<EnrollmentCursor>,
        limit: u32,
    ) -> Result<Vec<Enrollment>, StoreError>;
    /// Every enrollment of a customer (external state changes act on all of them).
    async fn enrollments_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Enrollment>, StoreError>;
    /// The next import-order number of the assignment: one more than the highest so far, 1
    /// for an empty assignment.
    async fn next_sequence(&mut self, assignment: AssignmentId) -> Result<u64, StoreError>;
    /// The assignment's enrollments counted by why each is or is not `request.seller`'s to
    /// take at `request.now` under `request.setup` and `request.gate`
    /// (`queue::census::QueueCensus::of`): what an empty queue is explained with.
    async fn queue_census(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<crate::queue::census::QueueCensus, StoreError>;
    /// The assignment's enrollments `seller` holds at `now` (a lease ending after `now`),
    /// by id.
    async fn held_by(
        &mut self,
        assignment: AssignmentId,
        seller: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError>;
    /// Enrollments with a follow-up due strictly before `until` in these assignments: the
    /// seller's personal ones and all shared ones (My Work), by due time then id.
    async fn follow_ups(
        &mut self,
        assignments: &[AssignmentId],
        seller: UserId,
        until: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError>;
}

/// The writes of [`EnrollmentRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait EnrollmentWrites: Send {
    /// Enrolls; MUST return `Duplicate(CustomerInAssignment)` when the customer is already in
    /// the assignment (checked before the id), `Duplicate(Id(Enrollment))` when only the id
    /// exists.
    async fn insert_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError>;
    /// Writes the enrollment's new "now"; MUST return `Conflict` if it does not exist, or
    /// if it was changed by another unit of work since this one read it (no lost updates).
    /// Its assignment, customer, sequence and enrolment time are fixed at the insert: an
    /// update never moves an enrollment, and one that differs in them is `Conflict` too.
    async fn update_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError>;
    /// Takes it out of the assignment (a missing one is no error). MUST return `Conflict`
    /// when this unit read it and another unit of work changed or removed it since (as
    /// `update_enrollment`: a seller who took the customer meanwhile is not overruled).
    async fn delete_enrollment(&mut self, id: EnrollmentId) -> Result<(), StoreError>;
    /// Writes each of `enrollments` (each id at most once) as `update_enrollment` does, one
    /// statement where the store can (bulk work writes a page at a time). The ones
    /// `update_enrollment` would refuse with `Conflict` — missing, changed by another unit
    /// since this one read them, or moved — MUST NOT be written and are returned, in the
    /// order given; the others MUST be written, and the unit goes on either way.
    async fn update_enrollments(
        &mut self,
        enrollments: &[Enrollment],
    ) -> Result<Vec<EnrollmentId>, StoreError> {
        let mut refused = Vec::new();
        for enrollment in enrollments {
            match self.update_enrollment(enrollment).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => refused.push(enrollment.id()),
                Err(error) => return Err(error),
            }
        }
        Ok(refused)
    }
    /// Takes each of `ids` (each at most once) out of its assignment as `delete_enrollment`
    /// does, one statement where the store can. The ones `delete_enrollment` would refuse
    /// with `Conflict` (this unit read them and another unit changed or removed them since)
    /// MUST NOT be removed and are returned, in the order given; the others MUST be removed
    /// (a missing one is no error), and the unit goes on either way.
    async fn delete_enrollments(
        &mut self,
        ids: &[EnrollmentId],
    ) -> Result<Vec<EnrollmentId>, StoreError> {
        let mut refused = Vec::new();
        for id in ids {
            match self.delete_enrollment(*id).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => refused.push(*id),
                Err(error) => return Err(error),
            }
        }
        Ok(refused)
    }
    /// Picks the next enrollment for the seller in `crate::queue`'s order (`select_next`
    /// over the assignment's enrollments with `request.setup`, each candidate's `barred`
    /// being `request.gate.barred` of its customer's `contact_facts`) and reserves it until
    /// `now + setup.lease`, as part of this unit: two units at the same instant, even through
    /// separate connections or processes, never get the same enrollment, and a unit dropped
    /// without commit leaves no reservation. `Ok(None)` when nothing is ready.
    async fn reserve_next(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError>;
}

/// The append-only outcome log.
#[async_trait]
pub trait OutcomeLog: Send {
    /// The event `user` recorded under an idempotency key in an assignment, with the
    /// fingerprint stored with it; never another user's.
    async fn event_by_key(
        &mut self,
        assignment: AssignmentId,
        user: UserId,
        idempotency_key: &RequestKey,
    ) -> Result<Option<KeyedEvent>, StoreError>;
    /// One event.
    async fn event(&mut self, id: OutcomeEventId) -> Result<Option<OutcomeEvent>, StoreError>;
    /// The enrollment's events, oldest first; events of the same instant in append order.
    async fn events_of(
        &mut self,
        enrollment: EnrollmentId,
    ) -> Result<Vec<OutcomeEvent>, StoreError>;
    /// The assignments' events in `[from, to)`, oldest first; same instant in append order.
    async fn events(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeEvent>, StoreError>;
    /// Up to `limit` events of the whole log (every assignment of every organisation) in
    /// append order, with the idempotency key each was appended with, starting after the
    /// event `after` (the last one of the previous page; `None`: from the first). Appending
    /// them to an empty log in this order gives a log whose every list above is the same,
    /// ties included. An unknown `after` gives no rows.
    async fn events_after(
        &mut self,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> Result<Vec<LoggedEvent>, StoreError>;

    /// A page of the assignment's events in `[from, to)` that `filter` keeps, oldest first
    /// (the same instant in append order): up to `limit` of them after the event `after`
    /// (the last of the previous page; `None`: from the first). `after` is looked up among
    /// the assignment's events in the window whatever the filter; one that is not there gives
    /// no rows. The default reads the window and filters it in memory; a SQL store filters
    /// and pages in its statement.
    async fn outcome_list(
        &mut self,
        assignment: AssignmentId,
        from: OffsetDateTime,
        to: OffsetDateTime,
        filter: &OutcomeFilter,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        let events = self.events(&[assignment], from, to).await?;
        let start = match after {
            None => 0,
            Some(id) => match events.iter().position(|e| e.id() == id) {
                Some(at) => at + 1,
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(events
            .into_iter()
            .skip(start)
            .filter(|e| filter.matches(e))
            .take(limit)
            .collect())
    }
}

/// The writes of [`OutcomeLog`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait OutcomeLogWrites: Send {
    /// Appends an event. With an idempotency key, stores its fingerprint with it, and MUST
    /// return `Duplicate(IdempotencyKey)` when an event with that key exists for the same
    /// assignment and the same user (checked before the id; `Duplicate(Id(OutcomeEvent))`
    /// when only the id exists) (`event.user`, which a keyed event always has; `event_by_key` then finds
    /// the first one). Another user's event with the same key is no collision.
    async fn append_event(
        &mut self,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError>;
    /// Replaces the stored event by `OutcomeEvent::without_texts` of it (an erasure): its
    /// place in the log, its idempotency key and everything a report counts stay. MUST
    /// return `Conflict` when there is no such event.
    async fn erase_event_texts(&mut self, id: OutcomeEventId) -> Result<(), StoreError>;
}

/// One customer of an import batch, parsed and checked, with the id its enrollment gets if
/// it is enrolled now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The customer as imported (used only if no existing customer matches).
    pub customer: Customer,
    /// The id of the new enrollment.
    pub enrollment: EnrollmentId,
}

/// A batch of customers to add to a data owner and enroll in an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportBatch {
    /// The data owner the customers belong to.
    pub data_owner: DataOwnerId,
    /// The assignment to enroll them in.
    pub assignment: AssignmentId,
    /// The flow's initial state (always of category Available).
    pub initial_state: crate::ids::StateId,
    /// The segment for new enrollments.
    pub segment: Option<crate::ids::SegmentId>,
    /// The enrollment time.
    pub enrolled_at: OffsetDateTime,
    /// The rows, in file order. The caller has removed duplicates inside the batch: no two
    /// rows share an external id, an organisation number (its key) or a phone number.
    pub rows: Vec<ImportRow>,
    /// What to do with a row that matches an existing customer.
    pub on_match: OnMatch,
    /// The keys a row is matched to an existing customer by.
    pub match_by: MatchKeys,
}

impl ImportBatch {
    /// What `row` is, given who holds its keys (`RowKeys::decide` with the batch's choices).
    pub fn decide(&self, keys: &RowKeys, row: &crate::customer::Customer) -> RowMatch {
        keys.decide(row, self.on_match, self.match_by)
    }
}

/// What an import does with a row that matches an existing customer of the data owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnMatch {
    /// Update the customer with the row (`Customer::reimported`): the default.
    #[default]
    Update,
    /// Leave the customer as it is.
    Skip,
}

/// What became of one import row's customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCustomer {
    /// No customer matched: the row's customer was created.
    Created,
    /// A customer matched and was updated with the row (it changed).
    Updated,
    /// A customer matched, and the row says what it holds already: nothing was written
    /// (`OnMatch::Update` of a row equal to the customer, as when a file is sent again).
    Unchanged,
    /// A customer matched and was left as it was (`OnMatch::Skip`).
    Skipped,
    /// The row was not taken: a key of it belongs to another customer than the one it is
    /// (`ImportCounts::refused` says which and why). Nothing was written for it.
    Refused,
}

/// What an import did with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedRow {
    /// The customer the row is now (created, or the one it matched); for a refused row,
    /// the customer holding the key that refused it.
    pub customer: CustomerId,
    /// What became of the customer.
    pub outcome: RowCustomer,
    /// Whether it was enrolled now (else it was in the assignment already, or refused).
    pub enrolled: bool,
}

/// A row of a batch that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRow {
    /// Its place in the batch (0: the first row).
    pub index: usize,
    /// Why.
    pub conflict: IdentityConflict,
}

/// What an import batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Customers created.
    pub created: u64,
    /// Rows that matched an existing customer of the data owner (updated, unchanged or
    /// skipped).
    pub matched: u64,
    /// Matched customers updated with their row.
    pub updated: u64,
    /// Matched customers the row would not change (nothing written).
    pub unchanged: u64,
    /// Matched customers left as they were.
    pub skipped: u64,
    /// Enrollments created.
    pub enrolled: u64,
    /// Customers that were in the assignment already.
    pub already_enrolled: u64,
    /// Per row of the batch, in order: what became of it.
    pub rows: Vec<ImportedRow>,
    /// The rows not taken, in order, with why.
    pub refused: Vec<RefusedRow>,
}

impl ImportBatch {
    /// The enrollment a row's customer gets: the row's enrollment id, the batch's
    /// assignment, initial state, segment and time, and import order `sequence`.
    pub fn enrollment(&self, row: &ImportRow, customer: CustomerId, sequence: u64) -> Enrollment {
        Enrollment::new(
            row.enrollment,
            self.assignment,
            customer,
            self.initial_state,
            self.segment,
            sequence,
            self.enrolled_at,
        )
    }
}

impl ImportCounts {
    /// Counts one taken row's result in (a refused row: [`ImportCounts::refuse`]).
    pub fn record(&mut self, row: ImportedRow) {
        match row.outcome {
            RowCustomer::Created => self.created += 1,
            RowCustomer::Updated => {
                self.matched += 1;
                self.updated += 1;
            }
            RowCustomer::Unchanged => {
                self.matched += 1;
                self.unchanged += 1;
            }
            RowCustomer::Skipped => {
                self.matched += 1;
                self.skipped += 1;
            }
            RowCustomer::Refused => {}
        }
        if row.outcome == RowCustomer::Refused {
            // Nothing was enrolled, and nothing was in the assignment for it.
        } else if row.enrolled {
            self.enrolled += 1;
        } else {
            self.already_enrolled += 1;
        }
        self.rows.push(row);
    }

    /// Counts in the next row as refused for `conflict`.
    pub fn refuse(&mut self, conflict: IdentityConflict) {
        let index = self.rows.len();
        self.rows.push(ImportedRow {
            customer: conflict.holder(),
            outcome: RowCustomer::Refused,
            enrolled: false,
        });
        self.refused.push(RefusedRow { index, conflict });
    }

    /// Adds a later batch's counts (its rows after these).
    pub fn add(&mut self, later: ImportCounts) {
        let mut refused = later.refused.into_iter().peekable();
        for (index, row) in later.rows.into_iter().enumerate() {
            match refused.next_if(|r| r.index == index) {
                Some(r) => self.refuse(r.conflict),
                None => self.record(row),
            }
        }
    }
}

/// Batched imports (the one storage operation for large customer lists) and the record of
/// what each import created (`CustomerRepository::customer_import` reads it back).
#[async_trait]
pub trait ImportRepository: Send {
    /// For each row in order: who holds its keys is found as `import_row_keys` finds it,
    /// and `ImportBatch::decide` (`RowKeys::decide`) says what the row is. An existing customer is updated to
    /// `existing.reimported(row)` (`OnMatch::Update`, `updated`) — or, when that equals the
    /// customer, MUST NOT be written (`unchanged`) — or left as it is (`OnMatch::Skip`,
    /// `skipped`); a new one is inserted (`created`); a refused row writes nothing and is
    /// listed in `refused` (`RowCustomer::Refused`, not enrolled). Two rows matching one
    /// customer update it in row order, the second seeing the first's keys. The customer is then enrolled in the assignment with
    /// the row's enrollment id, the next import-order number (in row order, after the
    /// assignment's highest) and the initial state (`enrolled`), unless already enrolled
    /// (`already_enrolled`). Part of the unit of work: nothing is visible before commit, and
    /// a failed batch undoes itself entirely (as a savepoint would).
    async fn import_batch(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError>;
    /// Records an import with the customers and enrollments in `import` (an import's first
    /// chunk, or a copy). MUST return `Duplicate(Id(CustomerImport))` when the id is taken.
    async fn record_import(&mut self, import: &CustomerImport) -> Result<(), StoreError>;
    /// Adds what a later chunk of the import created (ids not listed yet). MUST return
    /// `Conflict` when there is no such import.
    async fn add_to_import(
        &mut self,
        id: ImportId,
        customers: &[CustomerId],
        enrollments: &[EnrollmentId],
    ) -> Result<(), StoreError>;
    /// Marks the import undone; its lists stay, as history. MUST return `Conflict` when
    /// there is no such import or it is undone already.
    async fn mark_import_undone(
        &mut self,
        id: ImportId,
        undone: ImportUndone,
    ) -> Result<(), StoreError>;
}

/// Time entries.
#[async_trait]
pub trait TimeEntryRepository: Send {
    /// The user's running entry, if the clock runs.
    async fn running_time_entry(&mut self, user: UserId) -> Result<Option<TimeEntry>, StoreError>;
    /// The assignments' entries overlapping `[from, to)`.
    async fn time_entries(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TimeEntry>, StoreError>;
    /// The user's entries in any assignment that share an instant with `[from, to)` (`to`
    /// `None`: open-ended, a clock being started), by start then id. A running entry MUST
    /// count as running on for ever; an entry ending at `from` or starting at `to` MUST NOT
    /// be returned (touching is not overlapping). The use cases read this in the unit of
    /// work that writes the new entry.
    async fn user_time_entries_overlapping(
        &mut self,
        user: UserId,
        from: OffsetDateTime,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<TimeEntry>, StoreError>;
    /// Up to `limit` of the assignment's entries, by start then id, starting after the entry
    /// `after` (the last one of the previous page; `None`: from the first). An `after` that
    /// is not the assignment's entry gives no rows.
    async fn time_entries_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<TimeEntryId>,
        limit: u32,
    ) -> Result<Vec<TimeEntry>, StoreError>;
}

/// The writes of [`TimeEntryRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait TimeEntryWrites: Send {
    /// Inserts or updates.
    async fn save_time_entry(&mut self, entry: &TimeEntry) -> Result<(), StoreError>;
}

/// The transactional outbox.
#[async_trait]
pub trait OutboxRepository: Send {
    /// Up to `limit` messages neither delivered nor failed, by creation time then enqueue
    /// order, whether due now or waiting for a retry (what is still to be delivered).
    async fn pending_messages(&mut self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Up to `limit` failed messages of the given assignments with their reasons, by
    /// creation time then enqueue order.
    async fn failed_messages(
        &mut self,
        assignments: &[AssignmentId],
        limit: u32,
    ) -> Result<Vec<FailedMessage>, StoreError>;
    /// Up to `limit` messages of the whole outbox — pending, delivered and failed — in
    /// enqueue order, each with its delivery state, starting after the message `after` (the
    /// last one of the previous page; `None`: from the first). An unknown `after` gives no
    /// rows.
    async fn messages_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError>;
    /// Every message concerning one of the enrollments — pending, delivered and failed —
    /// in enqueue order, each with its delivery state as `messages_after` gives it.
    async fn messages_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<StoredMessage>, StoreError>;
}

/// The writes of [`OutboxRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait OutboxWrites: Send {
    /// Enqueues a message, delivered only if this unit of work commits; MUST return
    /// `Duplicate(Id(OutboxMessage))` if the id exists.
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError>;
    /// Claims up to `limit` pending messages that are due at `now` (never tried, or their
    /// retry time or earlier claim has passed), in the order of `pending_messages`, and MUST
    /// make each not due again before `until`, so another round (another server process)
    /// does not claim it meanwhile. A claim is undone with its unit of work.
    async fn claim_messages(
        &mut self,
        limit: u32,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<ClaimedMessage>, StoreError>;
    /// Marks a message delivered: it is never pending again.
    async fn mark_delivered(&mut self, id: crate::ids::OutboxMessageId) -> Result<(), StoreError>;
    /// Counts one more failed attempt of a pending message and makes it due again at
    /// `retry_at`.
    async fn defer(
        &mut self,
        id: crate::ids::OutboxMessageId,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Marks a message failed with `reason`: it is never pending again, and is listed by
    /// `failed_messages`, not taken for delivered.
    async fn mark_failed(
        &mut self,
        id: crate::ids::OutboxMessageId,
        reason: &str,
    ) -> Result<(), StoreError>;
    /// Records a provider's delivery receipt for a message; `false` if there is no such
    /// message. `Delivered` marks a pending message delivered (a receipt may come before the
    /// delivery round marks it) and leaves any other as it is; `Failed(reason)` marks a
    /// pending or delivered message failed with the reason (listed by `failed_messages`). A
    /// failed message stays as it failed first.
    async fn record_receipt(
        &mut self,
        id: crate::ids::OutboxMessageId,
        receipt: &crate::ports::gateways::DeliveryReceipt,
    ) -> Result<bool, StoreError>;
    /// Replaces a message's payload by `OutboxPayload::erased` of it (an erasure); its
    /// delivery state stays as it is. MUST return `Conflict` when there is no such message.
    async fn erase_payload(&mut self, id: crate::ids::OutboxMessageId) -> Result<(), StoreError>;
}

/// SMS flows that listen, and the texts customers send (`crate::sms`).
#[async_trait]
pub trait SmsReplyRepository: Send {
    /// Up to `limit` SMS flows sent to `to`, the latest first (by `sent_at`, ties by the
    /// order recorded, later first).
    async fn sms_flows_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError>;
    /// The received SMS kept under the provider's message id, if any.
    async fn sms_reply_by_provider_id(
        &mut self,
        provider_id: &str,
    ) -> Result<Option<SmsReply>, StoreError>;
    /// Whether a reply to the flow (by its outbox message) registered the flow's outcome.
    async fn sms_flow_answered(&mut self, flow: OutboxMessageId) -> Result<bool, StoreError>;
    /// Up to `limit` received SMS in the order kept, starting after `after` (the last one
    /// of the previous page; `None`: from the first); with `assignment`, only those matched
    /// to a flow of that assignment. An unknown `after` gives no rows.
    async fn sms_replies_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SmsReplyId>,
        limit: u32,
    ) -> Result<Vec<SmsReply>, StoreError>;
    /// Up to `limit` SMS flows in the order recorded, starting after the flow of the outbox
    /// message `after` (`None`: from the first). An unknown `after` gives no rows.
    async fn sms_flows_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError>;
    /// The SMS flows sent to one of the enrollments' customers (`SentSmsFlow::enrollment`),
    /// in the order recorded.
    async fn sms_flows_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SentSmsFlow>, StoreError>;
    /// The received SMS matched to a flow or a sale confirmation of one of the enrollments
    /// (their `enrollment`), in the order kept. A text matched to neither is no
    /// enrollment's.
    async fn sms_replies_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SmsReply>, StoreError>;
    /// The data owners whose assignments contacted `phone` at or before `at`: an SMS
    /// enqueued to it in the outbox (whatever became of it) or a call placed to it, by an
    /// assignment of the data owner (`crate::sms`, "A text no flow matched"). A record
    /// erased since (its number gone) contacted no one. Each data owner once, in no order.
    async fn data_owners_that_contacted(
        &mut self,
        phone: &PhoneNumber,
        at: OffsetDateTime,
    ) -> Result<Vec<DataOwnerId>, StoreError>;
    /// The received SMS from one of `phones` that matched neither a flow nor a sale
    /// confirmation (`SmsReply::is_unmatched`) and that `owner` holds a claim on
    /// (`SmsReplyWrites::claim_unmatched_sms`), in the order kept: what the data owner hands
    /// out in an access export (`crate::sms`, "A text no flow matched"). A text only another
    /// data owner claims is not among them, nor a text matched to a flow.
    async fn unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<Vec<SmsReply>, StoreError>;
    /// The data owners that claim the received SMS (`SmsReplyWrites::claim_unmatched_sms`),
    /// in id order; none for an unknown text. What the store copy carries with each text.
    async fn sms_reply_owners(&mut self, reply: SmsReplyId)
    -> Result<Vec<DataOwnerId>, StoreError>;

    /// One sale confirmation.
    async fn sale_confirmation(
        &mut self,
        id: SaleConfirmationId,
    ) -> Result<Option<SaleConfirmation>, StoreError>;
    /// The sale confirmation whose answer links carry the token of this hash
    /// (`SaleConfirmation::token_hash`, the e-mail channel), whatever its status.
    async fn sale_confirmation_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<SaleConfirmation>, StoreError>;
    /// Up to `limit` sale confirmations sent to `to`, whatever their status, the latest first
    /// (by `sent_at`, ties by the order recorded, later first): what a text from that number
    /// may answer (a pending one), or be kept beside (a decided one).
    async fn sale_confirmations_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError>;
    /// Up to `limit` sale confirmations due at `now` (`SaleConfirmation::is_due`: pending,
    /// deadline before `now`), by deadline, ties in the order recorded.
    async fn due_sale_confirmations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError>;
    /// Up to `limit` sale confirmations in the order recorded, starting after `after`
    /// (`None`: from the first); with `assignment`, only that assignment's. An unknown
    /// `after` gives no rows.
    async fn sale_confirmations_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SaleConfirmationId>,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError>;
    /// The sale confirmations of `assignments` whose sale was registered in `[from, to)`
    /// (`sold_at`), in the order recorded: what the sales report tells confirmed from
    /// pending sales with.
    async fn sale_confirmations_sold_between(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SaleConfirmation>, StoreError>;
}

/// The writes of [`SmsReplyRepository`]: only a [`UnitOfWork`] has them.
#[async_trait]
pub trait SmsReplyWrites: Send {
    /// Records an SMS flow sent; MUST return `Duplicate(Id(SmsFlow))` if its outbox message
    /// has one.
    async fn record_sms_flow(&mut self, flow: &SentSmsFlow) -> Result<(), StoreError>;
    /// Keeps a received SMS with its fate; MUST return `Duplicate(SmsProviderId)` if one
    /// with the same provider message id is kept (the provider posted it twice), and
    /// `Duplicate(Id(SmsReply))` if the id exists.
    async fn save_sms_reply(&mut self, reply: &SmsReply) -> Result<(), StoreError>;
    /// Forgets the SMS flows sent to the enrollments and the texts matched to them (an
    /// erasure: the numbers and the texts); `sms_flows_of` and `sms_replies_of` find none of
    /// them after, nor `sms_flows_to` their number. Their sale confirmations are kept (the
    /// reports count them) without the number: `to` reads `None` after.
    async fn erase_sms_of(&mut self, enrollments: &[EnrollmentId]) -> Result<(), StoreError>;
    /// Records that each of `owners` holds a claim on the received SMS `reply` (an unmatched
    /// one, kept in this unit or before): it is their data (`crate::sms`, "A text no flow
    /// matched"). A claim recorded before is kept once.
    async fn claim_unmatched_sms(
        &mut self,
        reply: SmsReplyId,
        owners: &[DataOwnerId],
    ) -> Result<(), StoreError>;
    /// Drops `owner`'s claims on the unmatched received SMS from one of `phones` (an
    /// erasure: `unmatched_sms_from` by `owner` finds none of them after), and deletes each
    /// of those texts that no data owner claims any more; how many claims were dropped
    /// (never whether another data owner still holds the text). Texts matched to a flow or a
    /// confirmation are left alone, whatever their number; so are the claims of other data
    /// owners.
    async fn erase_unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<u64, StoreError>;
    /// Deletes the received SMS that matched neither a flow nor a sale confirmation, were
    /// received before `received_before`, and that no data owner claims
    /// (`crate::sms::UNMATCHED_TEXT_DAYS`); how many. A claimed text is kept, however old;
    /// so is every matched text.
    async fn forget_unowned_sms(
        &mut self,
        received_before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Records a sale confirmation; MUST return `Duplicate(Id(SaleConfirmation))` if the id
    /// exists.
    async fn record_sale_confirmation(
        &mut self,
        confirmation: &SaleConfirmation,
    ) -> Result<(), StoreError>;
    /// Decides a PENDING sale confirmation: sets its `status` (never `Pending`) and
    /// `decided_at`. `false`, changing nothing, when it is not pending (decided already, by
    /// another process perhaps) or does not exist: the conditional update two expiry sweeps
    /// or a reply and a sweep meet on, so one of them decides.
    async fn decide_sale_confirmation(
        &mut self,
        id: SaleConfirmationId,
        status: ConfirmationStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn a_next_page_is_promised_only_when_a_row_is_left() {
        let page = Page {
            offset: 4,
            limit: 2,
        };
        assert_eq!(page.with_lookahead().limit, 3);
        assert_eq!(page.split(vec![1, 2, 3]), (vec![1, 2], Some(6)));
        // The last page exactly full: no next page.
        assert_eq!(page.split(vec![1, 2]), (vec![1, 2], None));
        assert_eq!(page.split(vec![1]), (vec![1], None));
        assert_eq!(page.split(Vec::<u8>::new()), (vec![], None));
    }
}
