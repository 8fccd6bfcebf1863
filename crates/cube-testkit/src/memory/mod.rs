//! `MemoryStore`: the in-memory twin of the storage adapters, for use-case tests, property
//! tests and benchmarks. It passes the same contract suite as the SQL stores.
//!
//! # Transactions
//! The data sits behind one `tokio::sync::Mutex`. A unit of work takes the lock (an
//! `OwnedMutexGuard`) for its whole life, so units of work run one at a time: each sees a
//! consistent state, and nobody sees its writes before `commit`. Every write records how to
//! undo itself in a journal; dropping a unit without committing replays the journal
//! backwards. Nothing is copied per transaction except the values a write replaces.
//!
//! Because units serialize, a task that holds a unit of work and then opens another one, or
//! calls `reserve_next`, waits for itself forever. Use cases never do that: they finish (or
//! drop) one unit before the next.
//!
//! # Layout
//! - here: the store, the unit of work, the journal, `reserve_next`, and the helpers several
//!   repositories share (`sorted_by`, `distinct`, `event_positions`);
//! - one file per repository trait of `cube_domain::ports`, named as in the SQL stores:
//!   `organisations`, `users`, `data_owners`, `customers`, `products`, `flows`,
//!   `assignments`, `calendars` (calendars and meetings), `enrollments`, `outcome_log`,
//!   `imports` (the batched customer import), `time_entries`, `outbox`, `sms` (SMS flows
//!   sent and the texts received), `credentials`
//!   (password hashes and access tokens), `webhooks` (webhook endpoints), `calls` (calls sellers started), `request_keys` (card requests kept
//!   under their `Idempotency-Key`) and `reports` (the report tallies, folded with the
//!   domain's own `tally_*` functions). Small tables are scanned; customers and meetings,
//!   which grow with the work, are indexed;
//! - `rows`: the enrollment table with the follow-up and pool indexes behind
//!   `reserve_next`.

mod assignments;
mod calendars;
mod calls;
mod credentials;
mod customers;
mod data_owners;
mod enrollments;
mod flows;
mod imports;
mod organisations;
mod outbox;
mod outcome_log;
mod products;
mod reports;
mod request_keys;
mod rows;
mod sms;
mod time_entries;
mod users;
mod webhooks;

use async_trait::async_trait;
use cube_domain::access::{Organisation, User};
use cube_domain::assignment::Assignment;
use cube_domain::customer::{Customer, CustomerChange};
use cube_domain::customer_import::CustomerImport;
use cube_domain::data_owner::DataOwner;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::idempotency::{IdempotencyKey, RequestFingerprint};
use cube_domain::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, FlowId, ImportId, MeetingId,
    OrganisationId, OutboxMessageId, OutcomeEventId, PrivacyRequestId, ProductId, SmsReplyId,
    TimeEntryId, UserId, WebhookEndpointId,
};
use cube_domain::meeting::{Calendar, Meeting};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{AccessToken, OutboxMessage, ReadUnit, Store, StoreError, UnitOfWork};
use cube_domain::privacy::{DoNotContact, PrivacyRequest};
use cube_domain::product::Product;
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::time_entry::TimeEntry;
use rows::EnrollmentRows;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

/// An in-memory `Store`. Cloning it gives another handle on the same data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    data: Arc<Mutex<Data>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store as the port type the use cases take.
    pub fn shared(&self) -> Arc<dyn Store> {
        Arc::new(self.clone())
    }
}

/// A key of the customer lookup index (`find_customer`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum LookupKey {
    External(String),
    Phone(String),
    /// A company's organisation number as its key (`Customer::registry_key`).
    Registry(String),
}

/// Everything stored. Secondary indexes are ordered sets of tuples, so a range over a prefix
/// answers a query and each index is a plain table the journal can undo.
#[derive(Debug, Default)]
struct Data {
    organisations: HashMap<OrganisationId, Organisation>,
    users: HashMap<UserId, User>,
    data_owners: HashMap<DataOwnerId, DataOwner>,
    /// Every data owner's privacy log entries, by record number.
    privacy_log: BTreeMap<u64, PrivacyRequest>,
    /// The record number of each entry, by id.
    privacy_log_ids: HashMap<PrivacyRequestId, u64>,
    privacy_log_counter: u64,
    /// Every data owner's do-not-contact list, by (data owner, hash).
    do_not_contact: BTreeMap<(DataOwnerId, String), DoNotContact>,

    customers: HashMap<CustomerId, Customer>,
    /// Insertion rank of each customer ("oldest first").
    customer_rank: HashMap<CustomerId, u64>,
    customer_counter: u64,
    /// (owner, rank, customer).
    owner_customers: BTreeSet<(DataOwnerId, u64, CustomerId)>,
    /// (owner, external id or phone, rank, customer).
    customer_lookup: BTreeSet<(DataOwnerId, LookupKey, u64, CustomerId)>,
    /// Customer changes (card edits, meetings cancelled or moved) by (customer, when, record
    /// number).
    customer_changes: BTreeMap<(CustomerId, OffsetDateTime, u64), CustomerChange>,
    card_change_counter: u64,
    /// Customer imports by record number, each with what it created.
    customer_imports: BTreeMap<u64, CustomerImport>,
    /// The record number of each import, by id.
    customer_import_ids: HashMap<ImportId, u64>,
    customer_import_counter: u64,

    products: HashMap<ProductId, Product>,
    flow_drafts: HashMap<FlowId, FlowDraft>,
    published_flows: BTreeMap<FlowVersion, PublishedFlow>,
    assignments: HashMap<AssignmentId, Assignment>,
    calendars: HashMap<CalendarId, Calendar>,

    meetings: HashMap<MeetingId, Meeting>,
    /// (calendar, start, meeting).
    calendar_meetings: BTreeSet<(CalendarId, OffsetDateTime, MeetingId)>,
    /// (assignment, start, meeting).
    assignment_meetings: BTreeSet<(AssignmentId, OffsetDateTime, MeetingId)>,

    /// Enrollments by (assignment, sequence, id), with the indexes `reserve_next` reads.
    enrollments: EnrollmentRows,
    /// Where each enrollment sits in `enrollments`.
    enrollment_keys: HashMap<EnrollmentId, (AssignmentId, u64)>,
    /// The unique rule: one enrollment per customer per assignment.
    enrollment_of: HashMap<(AssignmentId, CustomerId), EnrollmentId>,
    /// (customer, enrollment).
    customer_enrollments: BTreeSet<(CustomerId, EnrollmentId)>,

    /// The outcome log in append order; an event's index is its position here.
    events: Vec<OutcomeEvent>,
    event_index: HashMap<OutcomeEventId, usize>,
    /// (assignment, occurred at, index).
    assignment_events: BTreeSet<(AssignmentId, OffsetDateTime, usize)>,
    /// (enrollment, occurred at, index).
    enrollment_events: BTreeSet<(EnrollmentId, OffsetDateTime, usize)>,
    /// Idempotency keys per assignment and user, with the request's fingerprint.
    event_keys:
        HashMap<(AssignmentId, Option<UserId>, String), (OutcomeEventId, RequestFingerprint)>,
    /// The key each keyed event was appended with (`events_after` reads it back).
    keys_of_events: HashMap<OutcomeEventId, IdempotencyKey>,

    time_entries: HashMap<TimeEntryId, TimeEntry>,

    /// Undelivered messages by (created at, enqueue number).
    outbox: BTreeMap<(OffsetDateTime, u64), OutboxMessage>,
    /// Every message ever enqueued, delivered or not, and its key in `outbox`.
    outbox_ids: HashMap<OutboxMessageId, (OffsetDateTime, u64)>,
    outbox_counter: u64,
    /// Every message ever enqueued by enqueue number, whatever became of it
    /// (`messages_after`).
    outbox_log: BTreeMap<u64, OutboxMessage>,
    /// Pending messages tried or claimed before: failed attempts, and when due again.
    outbox_retry: HashMap<OutboxMessageId, (u32, OffsetDateTime)>,
    /// Failed messages by the same key as `outbox`, with the reason.
    outbox_failed: BTreeMap<(OffsetDateTime, u64), (OutboxMessage, String)>,

    /// SMS flows sent, by record number.
    sms_flows: BTreeMap<u64, SentSmsFlow>,
    /// The record number of each flow, by its outbox message.
    sms_flow_ids: HashMap<OutboxMessageId, u64>,
    /// (number sent to, sent at, record number).
    sms_flows_to: BTreeSet<(String, OffsetDateTime, u64)>,
    sms_flow_counter: u64,
    /// Received SMS, by record number.
    sms_replies: BTreeMap<u64, SmsReply>,
    /// The record number of each received SMS, by id and by provider message id.
    sms_reply_ids: HashMap<SmsReplyId, u64>,
    sms_reply_providers: HashMap<String, u64>,
    /// Flows a reply registered the outcome of.
    sms_answered: BTreeSet<OutboxMessageId>,
    /// (received SMS, data owner): the data owners' claims on unmatched texts.
    sms_reply_owners: BTreeSet<(SmsReplyId, DataOwnerId)>,
    sms_reply_counter: u64,
    /// Sale confirmations, by record number (few: scanned).
    sale_confirmations: BTreeMap<u64, cube_domain::sale_confirmation::SaleConfirmation>,
    /// The record number of each sale confirmation, by id.
    sale_confirmation_ids: HashMap<cube_domain::ids::SaleConfirmationId, u64>,
    sale_confirmation_counter: u64,

    /// Password hashes (PHC strings) by user.
    passwords: HashMap<UserId, String>,
    /// Access tokens by the hash of the raw token.
    tokens: HashMap<String, AccessToken>,
    /// (user, token hash): a user's tokens, for revoking them all.
    user_tokens: BTreeSet<(UserId, String)>,

    /// Webhook endpoints (few per organisation: scanned).
    webhooks: HashMap<WebhookEndpointId, cube_domain::webhooks::WebhookEndpoint>,

    /// Calls sellers started (scanned for a provider id or an enrollment: a test has few).
    calls: HashMap<cube_domain::ids::CallId, cube_domain::call::Call>,

    /// Card requests kept under their users' keys.
    request_keys: HashMap<(UserId, String), cube_domain::idempotency::KeptRequest>,
}

/// The smallest and largest UUID, to bound a range over a tuple prefix.
const MIN: Uuid = Uuid::nil();
const MAX: Uuid = Uuid::max();

/// The earliest time there is, to bound a range over a time column from below.
fn earliest() -> OffsetDateTime {
    time::PrimitiveDateTime::MIN.assume_utc()
}

/// The latest time there is, to bound a range over a time column from above.
fn latest() -> OffsetDateTime {
    time::PrimitiveDateTime::MAX.assume_utc()
}

/// The field values given to candidates when no priority rule reads fields.
static NO_FIELDS: FieldValues = FieldValues::new();

impl Data {
    /// The assignment's enrollments in import order.
    fn enrollments_of(
        &self,
        assignment: AssignmentId,
    ) -> impl DoubleEndedIterator<Item = &Enrollment> {
        self.enrollments.of(assignment)
    }

    /// The CRM field values of an enrollment's customer (none if the customer is gone).
    fn fields_of(&self, enrollment: &Enrollment) -> &FieldValues {
        self.customers
            .get(&enrollment.customer())
            .map_or(&NO_FIELDS, Customer::fields)
    }
}

/// A table the journal can undo writes to.
trait Table: Send + 'static {
    type Key: Clone + Send + 'static;
    type Value: Send + 'static;
    fn put(&mut self, key: Self::Key, value: Self::Value) -> Option<Self::Value>;
    fn take(&mut self, key: &Self::Key) -> Option<Self::Value>;
}

impl<K, V> Table for HashMap<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Send + 'static,
{
    type Key = K;
    type Value = V;
    fn put(&mut self, key: K, value: V) -> Option<V> {
        self.insert(key, value)
    }
    fn take(&mut self, key: &K) -> Option<V> {
        self.remove(key)
    }
}

impl<K, V> Table for BTreeMap<K, V>
where
    K: Ord + Clone + Send + 'static,
    V: Send + 'static,
{
    type Key = K;
    type Value = V;
    fn put(&mut self, key: K, value: V) -> Option<V> {
        self.insert(key, value)
    }
    fn take(&mut self, key: &K) -> Option<V> {
        self.remove(key)
    }
}

impl<K> Table for BTreeSet<K>
where
    K: Ord + Clone + Send + 'static,
{
    type Key = K;
    type Value = ();
    fn put(&mut self, key: K, (): ()) -> Option<()> {
        (!self.insert(key)).then_some(())
    }
    fn take(&mut self, key: &K) -> Option<()> {
        self.remove(key).then_some(())
    }
}

/// Picks one table out of the data; a plain function so an undo step can keep it.
type Select<T> = fn(&mut Data) -> &mut T;

/// One step back.
type Undo = Box<dyn FnOnce(&mut Data) + Send>;

/// A unit of work: the lock on the data, and the journal of how to undo its writes.
struct MemoryUnit {
    data: OwnedMutexGuard<Data>,
    journal: Vec<Undo>,
}

impl fmt::Debug for MemoryUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryUnit")
            .field("pending_writes", &self.journal.len())
            .finish_non_exhaustive()
    }
}

impl MemoryUnit {
    /// Writes `value` under `key`, remembering what was there.
    fn put<T: Table>(&mut self, table: Select<T>, key: T::Key, value: T::Value) {
        let old = table(&mut self.data).put(key.clone(), value);
        self.journal.push(Box::new(move |data| {
            let table = table(data);
            match old {
                Some(old) => {
                    table.put(key, old);
                }
                None => {
                    table.take(&key);
                }
            }
        }));
    }

    /// Removes `key`, remembering what was there.
    fn take<T: Table>(&mut self, table: Select<T>, key: T::Key) {
        if let Some(old) = table(&mut self.data).take(&key) {
            self.journal.push(Box::new(move |data| {
                table(data).put(key, old);
            }));
        }
    }

    /// How far the journal goes now, to roll back to (a savepoint).
    fn savepoint(&self) -> usize {
        self.journal.len()
    }

    /// Undoes every write since `savepoint`, newest first.
    fn roll_back_to(&mut self, savepoint: usize) {
        while self.journal.len() > savepoint {
            if let Some(undo) = self.journal.pop() {
                undo(&mut self.data);
            }
        }
    }

    /// Adds one to a counter and returns the new value.
    fn bump(&mut self, counter: Select<u64>) -> u64 {
        let slot = counter(&mut self.data);
        let old = *slot;
        *slot += 1;
        self.journal
            .push(Box::new(move |data| *counter(data) = old));
        old + 1
    }

    /// Positions of the assignments' events in `[from, to)`, oldest first (append order
    /// breaks ties): what the outcome log and the reports read.
    fn event_positions(
        &self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Vec<usize> {
        let mut found: Vec<(OffsetDateTime, usize)> = Vec::new();
        for assignment in distinct(assignments) {
            found.extend(
                self.data
                    .assignment_events
                    .range((assignment, from, 0)..(assignment, to, 0))
                    .map(|(_, at, position)| (*at, *position)),
            );
        }
        found.sort_unstable();
        found.into_iter().map(|(_, position)| position).collect()
    }
}

impl Drop for MemoryUnit {
    fn drop(&mut self) {
        // Not committed (or committing failed half-way): undo, newest write first. The lock
        // is still held here; it is released when the guard field drops after this.
        while let Some(undo) = self.journal.pop() {
            undo(&mut self.data);
        }
    }
}

impl ReadUnit for MemoryUnit {}

#[async_trait]
impl UnitOfWork for MemoryUnit {
    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.journal.clear();
        Ok(())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        let data = Arc::clone(&self.data).lock_owned().await;
        Ok(Box::new(MemoryUnit {
            data,
            journal: Vec::new(),
        }))
    }

    /// Units run one at a time here, so a read unit is a unit.
    async fn begin_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        let unit: Box<dyn UnitOfWork> = self.begin().await?;
        Ok(unit)
    }
}

/// Sorts by a key and returns the values (lists "by name" and the like).
fn sorted_by<T, K: Ord>(mut items: Vec<T>, key: impl FnMut(&T) -> K) -> Vec<T> {
    items.sort_by_key(key);
    items
}

/// The distinct assignments of a slice, so a repeated id does not count twice.
fn distinct(assignments: &[AssignmentId]) -> BTreeSet<AssignmentId> {
    assignments.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::values::Name;

    fn organisation(n: u128, name: &str) -> Organisation {
        Organisation {
            caller_ids: Vec::new(),
            time_zone: Default::default(),
            id: OrganisationId::from_uuid(Uuid::from_u128(n)),
            name: Name::parse(name).expect("valid"),
        }
    }

    #[tokio::test]
    async fn a_dropped_unit_restores_overwritten_values() {
        let store = MemoryStore::new();
        let first = organisation(1, "First");
        let mut uow = store.begin().await.expect("begin");
        uow.save_organisation(&first).await.expect("save");
        uow.commit().await.expect("commit");

        let renamed = organisation(1, "Renamed");
        let mut uow = store.begin().await.expect("begin");
        uow.save_organisation(&renamed).await.expect("save");
        uow.save_organisation(&organisation(2, "Second"))
            .await
            .expect("save");
        assert_eq!(
            uow.organisation(first.id).await.expect("read"),
            Some(renamed)
        );
        drop(uow);

        let mut uow = store.begin().await.expect("begin");
        assert_eq!(uow.organisation(first.id).await.expect("read"), Some(first));
        assert_eq!(
            uow.organisation(OrganisationId::from_uuid(Uuid::from_u128(2)))
                .await
                .expect("read"),
            None
        );
    }
}
