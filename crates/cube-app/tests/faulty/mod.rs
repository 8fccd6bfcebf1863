//! A store that fails on demand, for tests of what a failure in the middle of a unit of work
//! leaves behind. Every method of every repository is passed on to the wrapped store; only
//! storing a password hash and reading a customer can be made to fail, a data owner's save made to
//! conflict, an event's id made
//! to collide, a unit made blind to idempotency keys (the loser of a race read before the
//! winner committed), and an import batch made to fail after a number of good ones. When a port gains a method, it is passed on here too.

use async_trait::async_trait;
use cube_domain::access::{Organisation, User};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::customer::{Customer, CustomerChange, CustomerFilter};
use cube_domain::data_owner::DataOwner;
use cube_domain::enrollment::{Enrollment, EnrollmentCursor};
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::idempotency::{IdempotencyKey, KeyedEvent, RequestKey};
use cube_domain::ids::{
    AssignmentId, CalendarId, CustomerId, DataOwnerId, EnrollmentId, FlowId, MeetingId,
    OrganisationId, OutboxMessageId, OutcomeEventId, ProductId, TimeEntryId, UserId,
};
use cube_domain::meeting::{Calendar, Meeting};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{
    AccessToken, AssignmentRepository, CalendarRepository, ClaimedMessage, CredentialRepository,
    CustomerKey, CustomerRepository, DataOwnerRepository, EnrollmentRepository, FailedMessage,
    FlowRepository, Handout, ImportBatch, ImportCounts, ImportRepository, LoggedEvent,
    NextCustomerRequest, OrganisationRepository, OutboxMessage, OutboxRepository, OutcomeLog, Page,
    ProductRepository, RecordKind, ReportRepository, Store, StoreError, StoredMessage,
    TimeEntryRepository, UniqueRule, UnitOfWork, UserRepository,
};
use cube_domain::ports::{
    AssignmentWrites, CalendarWrites, CredentialWrites, CustomerWrites, DataOwnerWrites,
    EnrollmentWrites, FlowWrites, OrganisationWrites, OutboxWrites, OutcomeLogWrites,
    ProductWrites, ReadUnit, TimeEntryWrites, UserWrites,
};
use cube_domain::product::Product;
use cube_domain::reports::{
    HitTallyRow, OpenOffer, OutcomeTallyRow, SoldProductRow, StatusTallyRow,
};
use cube_domain::time_entry::TimeEntry;
use cube_domain::values::Email;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use time::OffsetDateTime;

/// The in-memory store, except that storing a password hash fails while `fail_passwords` is
/// set, and reading a customer while `fail_customer_reads` is (a database timing out, a
/// process killed): failures in the middle of a unit of work, after other writes.
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    pub fail_passwords: AtomicBool,
    pub fail_customer_reads: AtomicBool,
    /// Appending an event answers `Duplicate(Id(OutcomeEvent))`: its id is taken.
    pub duplicate_event_ids: AtomicBool,
    /// The next unit begun finds no event by its key (then the flag clears itself): a
    /// request that read before a concurrent one with the same key committed.
    pub hide_keys_once: AtomicBool,
    /// How many more import batches succeed; the one after fails as if the database went
    /// away (`usize::MAX`: never).
    pub import_batches_left: Arc<AtomicUsize>,
    /// How many more saves of a data owner answer `Conflict` (another unit changed it
    /// meanwhile) before they go through.
    pub data_owner_conflicts: Arc<AtomicUsize>,
}

impl FaultyStore {
    /// `inner`, failing nothing until told to.
    pub fn over(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            fail_passwords: AtomicBool::new(false),
            fail_customer_reads: AtomicBool::new(false),
            duplicate_event_ids: AtomicBool::new(false),
            hide_keys_once: AtomicBool::new(false),
            import_batches_left: Arc::new(AtomicUsize::new(usize::MAX)),
            data_owner_conflicts: Arc::new(AtomicUsize::new(0)),
        }
    }
}

#[async_trait]
impl Store for FaultyStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StoreError> {
        Ok(self.faulty(self.inner.begin().await?))
    }

    async fn begin_read(&self) -> Result<Box<dyn ReadUnit>, StoreError> {
        // Faults are injected into write units' reads as well, so a read unit is one.
        let unit: Box<dyn UnitOfWork> = self.faulty(self.inner.begin().await?);
        Ok(unit)
    }
}

impl FaultyStore {
    fn faulty(&self, inner: Box<dyn UnitOfWork>) -> Box<dyn UnitOfWork> {
        Box::new(Faulty {
            inner,
            fail_passwords: self.fail_passwords.load(Ordering::SeqCst),
            fail_customer_reads: self.fail_customer_reads.load(Ordering::SeqCst),
            duplicate_event_ids: self.duplicate_event_ids.load(Ordering::SeqCst),
            hide_keys: self.hide_keys_once.swap(false, Ordering::SeqCst),
            import_batches_left: self.import_batches_left.clone(),
            data_owner_conflicts: self.data_owner_conflicts.clone(),
        })
    }
}

/// A unit of work of [`FaultyStore`]: every call goes to the in-memory unit.
struct Faulty {
    inner: Box<dyn UnitOfWork>,
    fail_passwords: bool,
    fail_customer_reads: bool,
    duplicate_event_ids: bool,
    hide_keys: bool,
    import_batches_left: Arc<AtomicUsize>,
    data_owner_conflicts: Arc<AtomicUsize>,
}

impl ReadUnit for Faulty {}

#[async_trait]
impl UnitOfWork for Faulty {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.inner.commit().await
    }
    async fn update_enrollment_with_event(
        &mut self,
        enrollment: &Enrollment,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        // As `append_event` below: the event's id is taken (after the update, as the port
        // orders the two).
        if self.duplicate_event_ids {
            self.inner.update_enrollment(enrollment).await?;
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::OutcomeEvent,
            )));
        }
        self.inner
            .update_enrollment_with_event(enrollment, event, idempotency_key)
            .await
    }
}

#[async_trait]
impl OrganisationRepository for Faulty {
    async fn organisation(
        &mut self,
        id: OrganisationId,
    ) -> Result<Option<Organisation>, StoreError> {
        self.inner.organisation(id).await
    }
    async fn organisations(&mut self) -> Result<Vec<Organisation>, StoreError> {
        self.inner.organisations().await
    }
}

#[async_trait]
impl OrganisationWrites for Faulty {
    async fn save_organisation(&mut self, organisation: &Organisation) -> Result<(), StoreError> {
        self.inner.save_organisation(organisation).await
    }
}

#[async_trait]
impl UserRepository for Faulty {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        self.inner.user(id).await
    }
    async fn users_by_email(&mut self, email: &Email) -> Result<Vec<User>, StoreError> {
        self.inner.users_by_email(email).await
    }
    async fn users(&mut self, organisation: OrganisationId) -> Result<Vec<User>, StoreError> {
        self.inner.users(organisation).await
    }
}

#[async_trait]
impl UserWrites for Faulty {
    async fn save_user(&mut self, user: &User) -> Result<(), StoreError> {
        self.inner.save_user(user).await
    }
}

#[async_trait]
impl DataOwnerRepository for Faulty {
    async fn data_owner(&mut self, id: DataOwnerId) -> Result<Option<DataOwner>, StoreError> {
        self.inner.data_owner(id).await
    }
    async fn data_owners(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<DataOwner>, StoreError> {
        self.inner.data_owners(organisation).await
    }
    async fn privacy_log(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<cube_domain::privacy::PrivacyRequest>, StoreError> {
        self.inner.privacy_log(owner).await
    }
    async fn privacy_log_after(
        &mut self,
        after: Option<cube_domain::ids::PrivacyRequestId>,
        limit: u32,
    ) -> Result<Vec<cube_domain::privacy::PrivacyRequest>, StoreError> {
        self.inner.privacy_log_after(after, limit).await
    }
    async fn do_not_contact_salt(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Option<cube_domain::privacy::Salt>, StoreError> {
        self.inner.do_not_contact_salt(owner).await
    }
    async fn do_not_contact_listed(
        &mut self,
        owner: DataOwnerId,
        hashes: &[String],
    ) -> Result<Vec<String>, StoreError> {
        self.inner.do_not_contact_listed(owner, hashes).await
    }
    async fn do_not_contact_after(
        &mut self,
        after: Option<(DataOwnerId, String)>,
        limit: u32,
    ) -> Result<Vec<cube_domain::privacy::DoNotContact>, StoreError> {
        self.inner.do_not_contact_after(after, limit).await
    }
}

#[async_trait]
impl DataOwnerWrites for Faulty {
    async fn save_data_owner(&mut self, owner: &DataOwner) -> Result<(), StoreError> {
        let conflicted = self
            .data_owner_conflicts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if conflicted {
            return Err(StoreError::Conflict(
                "the data owner changed meanwhile".into(),
            ));
        }
        self.inner.save_data_owner(owner).await
    }
    async fn log_privacy_request(
        &mut self,
        request: &cube_domain::privacy::PrivacyRequest,
    ) -> Result<(), StoreError> {
        self.inner.log_privacy_request(request).await
    }
    async fn list_do_not_contact(
        &mut self,
        entry: &cube_domain::privacy::DoNotContact,
    ) -> Result<(), StoreError> {
        self.inner.list_do_not_contact(entry).await
    }
}

#[async_trait]
impl CustomerRepository for Faulty {
    async fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        if self.fail_customer_reads {
            return Err(StoreError::Unavailable(
                "reading the customer timed out (injected)".into(),
            ));
        }
        self.inner.customer(id).await
    }
    async fn customers_by_id(&mut self, ids: &[CustomerId]) -> Result<Vec<Customer>, StoreError> {
        self.inner.customers_by_id(ids).await
    }
    async fn find_customer(
        &mut self,
        owner: DataOwnerId,
        key: &CustomerKey,
        except: Option<CustomerId>,
    ) -> Result<Option<Customer>, StoreError> {
        self.inner.find_customer(owner, key, except).await
    }
    async fn import_row_keys(
        &mut self,
        owner: DataOwnerId,
        rows: &[&Customer],
    ) -> Result<Vec<cube_domain::import_match::RowKeys>, StoreError> {
        self.inner.import_row_keys(owner, rows).await
    }
    async fn customers(
        &mut self,
        owner: DataOwnerId,
        filter: &CustomerFilter,
        page: Page,
    ) -> Result<Vec<Customer>, StoreError> {
        self.inner.customers(owner, filter, page).await
    }
    async fn customers_after(
        &mut self,
        owner: DataOwnerId,
        after: Option<CustomerId>,
        limit: u32,
    ) -> Result<Vec<Customer>, StoreError> {
        self.inner.customers_after(owner, after, limit).await
    }
    async fn customer_changes(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<CustomerChange>, StoreError> {
        self.inner.customer_changes(customer).await
    }
    async fn customers_of_person(
        &mut self,
        owner: DataOwnerId,
        key: &cube_domain::privacy::PersonKey,
    ) -> Result<Vec<Customer>, StoreError> {
        self.inner.customers_of_person(owner, key).await
    }
    async fn customer_import(
        &mut self,
        id: cube_domain::ids::ImportId,
    ) -> Result<Option<cube_domain::customer_import::CustomerImport>, StoreError> {
        self.inner.customer_import(id).await
    }
    async fn customer_imports(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<cube_domain::customer_import::CustomerImport>, StoreError> {
        self.inner.customer_imports(owner).await
    }
    async fn customer_imports_after(
        &mut self,
        after: Option<cube_domain::ids::ImportId>,
        limit: u32,
    ) -> Result<Vec<cube_domain::customer_import::CustomerImport>, StoreError> {
        self.inner.customer_imports_after(after, limit).await
    }
}

#[async_trait]
impl CustomerWrites for Faulty {
    async fn save_customer(&mut self, customer: &Customer) -> Result<(), StoreError> {
        self.inner.save_customer(customer).await
    }
    async fn record_customer_change(&mut self, change: &CustomerChange) -> Result<(), StoreError> {
        self.inner.record_customer_change(change).await
    }
    async fn erase_customer_changes(&mut self, customer: CustomerId) -> Result<(), StoreError> {
        self.inner.erase_customer_changes(customer).await
    }
    async fn delete_customer(&mut self, id: CustomerId) -> Result<(), StoreError> {
        self.inner.delete_customer(id).await
    }
}

#[async_trait]
impl ProductRepository for Faulty {
    async fn product(&mut self, id: ProductId) -> Result<Option<Product>, StoreError> {
        self.inner.product(id).await
    }
    async fn products(&mut self, owner: DataOwnerId) -> Result<Vec<Product>, StoreError> {
        self.inner.products(owner).await
    }
}

#[async_trait]
impl ProductWrites for Faulty {
    async fn save_product(&mut self, product: &Product) -> Result<(), StoreError> {
        self.inner.save_product(product).await
    }
}

#[async_trait]
impl FlowRepository for Faulty {
    async fn flow_draft(&mut self, id: FlowId) -> Result<Option<FlowDraft>, StoreError> {
        self.inner.flow_draft(id).await
    }
    async fn published_flow(
        &mut self,
        version: FlowVersion,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        self.inner.published_flow(version).await
    }
    async fn latest_published_flow(
        &mut self,
        id: FlowId,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        self.inner.latest_published_flow(id).await
    }
    async fn published_flows(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<PublishedFlow>, StoreError> {
        self.inner.published_flows(owner).await
    }
    async fn flow_drafts(&mut self, owner: DataOwnerId) -> Result<Vec<FlowDraft>, StoreError> {
        self.inner.flow_drafts(owner).await
    }
}

#[async_trait]
impl FlowWrites for Faulty {
    async fn save_flow_draft(&mut self, draft: &FlowDraft) -> Result<(), StoreError> {
        self.inner.save_flow_draft(draft).await
    }
    async fn delete_flow_draft(&mut self, id: FlowId) -> Result<(), StoreError> {
        self.inner.delete_flow_draft(id).await
    }
    async fn save_published_flow(&mut self, flow: &PublishedFlow) -> Result<(), StoreError> {
        self.inner.save_published_flow(flow).await
    }
}

#[async_trait]
impl AssignmentRepository for Faulty {
    async fn assignment(&mut self, id: AssignmentId) -> Result<Option<Assignment>, StoreError> {
        self.inner.assignment(id).await
    }
    async fn assignments(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<Assignment>, StoreError> {
        self.inner.assignments(organisation).await
    }
}

#[async_trait]
impl AssignmentWrites for Faulty {
    async fn save_assignment(&mut self, assignment: &Assignment) -> Result<(), StoreError> {
        self.inner.save_assignment(assignment).await
    }
}

#[async_trait]
impl CalendarRepository for Faulty {
    async fn calendar(&mut self, id: CalendarId) -> Result<Option<Calendar>, StoreError> {
        self.inner.calendar(id).await
    }
    async fn calendars(&mut self, owner: DataOwnerId) -> Result<Vec<Calendar>, StoreError> {
        self.inner.calendars(owner).await
    }
    async fn meetings_in_calendar(
        &mut self,
        calendar: CalendarId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        self.inner.meetings_in_calendar(calendar, from, to).await
    }
    async fn meetings(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<Meeting>, StoreError> {
        self.inner.meetings(assignments, from, to).await
    }
    async fn meeting(&mut self, id: MeetingId) -> Result<Option<Meeting>, StoreError> {
        self.inner.meeting(id).await
    }
    async fn meetings_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<MeetingId>,
        limit: u32,
    ) -> Result<Vec<Meeting>, StoreError> {
        self.inner.meetings_after(assignment, after, limit).await
    }
    async fn meetings_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Meeting>, StoreError> {
        self.inner.meetings_of_customer(customer).await
    }
}

#[async_trait]
impl CalendarWrites for Faulty {
    async fn save_calendar(&mut self, calendar: &Calendar) -> Result<(), StoreError> {
        self.inner.save_calendar(calendar).await
    }
    async fn insert_meeting(&mut self, meeting: &Meeting) -> Result<(), StoreError> {
        self.inner.insert_meeting(meeting).await
    }
    async fn delete_meeting(&mut self, id: MeetingId) -> Result<(), StoreError> {
        self.inner.delete_meeting(id).await
    }
}

#[async_trait]
impl EnrollmentRepository for Faulty {
    async fn enrollment(&mut self, id: EnrollmentId) -> Result<Option<Enrollment>, StoreError> {
        self.inner.enrollment(id).await
    }
    async fn held_by(
        &mut self,
        assignment: AssignmentId,
        seller: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.inner.held_by(assignment, seller, now).await
    }
    async fn enrollment_of(
        &mut self,
        assignment: AssignmentId,
        customer: CustomerId,
    ) -> Result<Option<Enrollment>, StoreError> {
        self.inner.enrollment_of(assignment, customer).await
    }
    async fn enrollments(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.inner.enrollments(assignment).await
    }
    async fn enrollments_of_customer(
        &mut self,
        customer: CustomerId,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.inner.enrollments_of_customer(customer).await
    }
    async fn next_sequence(&mut self, assignment: AssignmentId) -> Result<u64, StoreError> {
        self.inner.next_sequence(assignment).await
    }
    async fn queue_census(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<cube_domain::queue::census::QueueCensus, StoreError> {
        self.inner.queue_census(request).await
    }
    async fn follow_ups(
        &mut self,
        assignments: &[AssignmentId],
        seller: UserId,
        until: OffsetDateTime,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.inner.follow_ups(assignments, seller, until).await
    }
    async fn enrollments_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<EnrollmentCursor>,
        limit: u32,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.inner.enrollments_after(assignment, after, limit).await
    }
}

#[async_trait]
impl EnrollmentWrites for Faulty {
    async fn insert_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        self.inner.insert_enrollment(enrollment).await
    }
    async fn update_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        self.inner.update_enrollment(enrollment).await
    }
    async fn delete_enrollment(&mut self, id: EnrollmentId) -> Result<(), StoreError> {
        self.inner.delete_enrollment(id).await
    }
    async fn reserve_next(
        &mut self,
        request: &NextCustomerRequest,
    ) -> Result<Option<Handout>, StoreError> {
        self.inner.reserve_next(request).await
    }
}

#[async_trait]
impl OutcomeLog for Faulty {
    async fn event_by_key(
        &mut self,
        assignment: AssignmentId,
        user: UserId,
        idempotency_key: &RequestKey,
    ) -> Result<Option<KeyedEvent>, StoreError> {
        if self.hide_keys {
            return Ok(None);
        }
        self.inner
            .event_by_key(assignment, user, idempotency_key)
            .await
    }
    async fn event(&mut self, id: OutcomeEventId) -> Result<Option<OutcomeEvent>, StoreError> {
        self.inner.event(id).await
    }
    async fn events_of(
        &mut self,
        enrollment: EnrollmentId,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        self.inner.events_of(enrollment).await
    }
    async fn events(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeEvent>, StoreError> {
        self.inner.events(assignments, from, to).await
    }
    async fn events_after(
        &mut self,
        after: Option<OutcomeEventId>,
        limit: u32,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        self.inner.events_after(after, limit).await
    }
}

#[async_trait]
impl OutcomeLogWrites for Faulty {
    async fn append_event(
        &mut self,
        event: &OutcomeEvent,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        if self.duplicate_event_ids {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::OutcomeEvent,
            )));
        }
        self.inner.append_event(event, idempotency_key).await
    }
    async fn erase_event_texts(&mut self, id: OutcomeEventId) -> Result<(), StoreError> {
        self.inner.erase_event_texts(id).await
    }
}

#[async_trait]
impl ImportRepository for Faulty {
    async fn import_batch(&mut self, batch: &ImportBatch) -> Result<ImportCounts, StoreError> {
        let left = self
            .import_batches_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if left.is_err() {
            return Err(StoreError::Unavailable("the database went away".into()));
        }
        self.inner.import_batch(batch).await
    }
    async fn record_import(
        &mut self,
        import: &cube_domain::customer_import::CustomerImport,
    ) -> Result<(), StoreError> {
        self.inner.record_import(import).await
    }
    async fn add_to_import(
        &mut self,
        id: cube_domain::ids::ImportId,
        customers: &[CustomerId],
        enrollments: &[EnrollmentId],
    ) -> Result<(), StoreError> {
        self.inner.add_to_import(id, customers, enrollments).await
    }
    async fn mark_import_undone(
        &mut self,
        id: cube_domain::ids::ImportId,
        undone: cube_domain::customer_import::ImportUndone,
    ) -> Result<(), StoreError> {
        self.inner.mark_import_undone(id, undone).await
    }
}

#[async_trait]
impl TimeEntryRepository for Faulty {
    async fn running_time_entry(&mut self, user: UserId) -> Result<Option<TimeEntry>, StoreError> {
        self.inner.running_time_entry(user).await
    }
    async fn time_entries(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        self.inner.time_entries(assignments, from, to).await
    }
    async fn user_time_entries_overlapping(
        &mut self,
        user: UserId,
        from: OffsetDateTime,
        to: Option<OffsetDateTime>,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        self.inner
            .user_time_entries_overlapping(user, from, to)
            .await
    }
    async fn time_entries_after(
        &mut self,
        assignment: AssignmentId,
        after: Option<TimeEntryId>,
        limit: u32,
    ) -> Result<Vec<TimeEntry>, StoreError> {
        self.inner
            .time_entries_after(assignment, after, limit)
            .await
    }
}

#[async_trait]
impl TimeEntryWrites for Faulty {
    async fn save_time_entry(&mut self, entry: &TimeEntry) -> Result<(), StoreError> {
        self.inner.save_time_entry(entry).await
    }
}

#[async_trait]
impl OutboxRepository for Faulty {
    async fn pending_messages(&mut self, limit: u32) -> Result<Vec<OutboxMessage>, StoreError> {
        self.inner.pending_messages(limit).await
    }
    async fn failed_messages(
        &mut self,
        assignments: &[AssignmentId],
        limit: u32,
    ) -> Result<Vec<FailedMessage>, StoreError> {
        self.inner.failed_messages(assignments, limit).await
    }
    async fn messages_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.inner.messages_after(after, limit).await
    }
    async fn messages_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.inner.messages_of(enrollments).await
    }
}

#[async_trait]
impl OutboxWrites for Faulty {
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError> {
        self.inner.enqueue(message).await
    }
    async fn claim_messages(
        &mut self,
        limit: u32,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        self.inner.claim_messages(limit, now, until).await
    }
    async fn mark_delivered(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        self.inner.mark_delivered(id).await
    }
    async fn defer(
        &mut self,
        id: OutboxMessageId,
        retry_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.inner.defer(id, retry_at).await
    }
    async fn mark_failed(&mut self, id: OutboxMessageId, reason: &str) -> Result<(), StoreError> {
        self.inner.mark_failed(id, reason).await
    }
    async fn record_receipt(
        &mut self,
        id: OutboxMessageId,
        receipt: &cube_domain::ports::DeliveryReceipt,
    ) -> Result<bool, StoreError> {
        self.inner.record_receipt(id, receipt).await
    }
    async fn erase_payload(&mut self, id: OutboxMessageId) -> Result<(), StoreError> {
        self.inner.erase_payload(id).await
    }
}

#[async_trait]
impl cube_domain::ports::SmsReplyRepository for Faulty {
    async fn sms_flows_to(
        &mut self,
        to: &cube_domain::values::PhoneNumber,
        limit: u32,
    ) -> Result<Vec<cube_domain::sms::SentSmsFlow>, StoreError> {
        self.inner.sms_flows_to(to, limit).await
    }
    async fn sms_reply_by_provider_id(
        &mut self,
        provider_id: &str,
    ) -> Result<Option<cube_domain::sms::SmsReply>, StoreError> {
        self.inner.sms_reply_by_provider_id(provider_id).await
    }
    async fn sms_flow_answered(&mut self, flow: OutboxMessageId) -> Result<bool, StoreError> {
        self.inner.sms_flow_answered(flow).await
    }
    async fn sms_replies_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<cube_domain::ids::SmsReplyId>,
        limit: u32,
    ) -> Result<Vec<cube_domain::sms::SmsReply>, StoreError> {
        self.inner.sms_replies_after(assignment, after, limit).await
    }
    async fn sms_flows_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<cube_domain::sms::SentSmsFlow>, StoreError> {
        self.inner.sms_flows_after(after, limit).await
    }
    async fn sms_flows_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<cube_domain::sms::SentSmsFlow>, StoreError> {
        self.inner.sms_flows_of(enrollments).await
    }
    async fn sms_replies_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<cube_domain::sms::SmsReply>, StoreError> {
        self.inner.sms_replies_of(enrollments).await
    }
    async fn data_owners_that_contacted(
        &mut self,
        phone: &cube_domain::values::PhoneNumber,
        at: OffsetDateTime,
    ) -> Result<Vec<cube_domain::ids::DataOwnerId>, StoreError> {
        self.inner.data_owners_that_contacted(phone, at).await
    }
    async fn sms_reply_owners(
        &mut self,
        reply: cube_domain::ids::SmsReplyId,
    ) -> Result<Vec<cube_domain::ids::DataOwnerId>, StoreError> {
        self.inner.sms_reply_owners(reply).await
    }
    async fn unmatched_sms_from(
        &mut self,
        owner: cube_domain::ids::DataOwnerId,
        phones: &[cube_domain::values::PhoneNumber],
    ) -> Result<Vec<cube_domain::sms::SmsReply>, StoreError> {
        self.inner.unmatched_sms_from(owner, phones).await
    }
    async fn sale_confirmation(
        &mut self,
        id: cube_domain::ids::SaleConfirmationId,
    ) -> Result<Option<cube_domain::sale_confirmation::SaleConfirmation>, StoreError> {
        self.inner.sale_confirmation(id).await
    }
    async fn sale_confirmation_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<cube_domain::sale_confirmation::SaleConfirmation>, StoreError> {
        self.inner.sale_confirmation_by_token(token_hash).await
    }
    async fn sale_confirmations_to(
        &mut self,
        to: &cube_domain::values::PhoneNumber,
        limit: u32,
    ) -> Result<Vec<cube_domain::sale_confirmation::SaleConfirmation>, StoreError> {
        self.inner.sale_confirmations_to(to, limit).await
    }
    async fn due_sale_confirmations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<cube_domain::sale_confirmation::SaleConfirmation>, StoreError> {
        self.inner.due_sale_confirmations(now, limit).await
    }
    async fn sale_confirmations_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<cube_domain::ids::SaleConfirmationId>,
        limit: u32,
    ) -> Result<Vec<cube_domain::sale_confirmation::SaleConfirmation>, StoreError> {
        self.inner
            .sale_confirmations_after(assignment, after, limit)
            .await
    }
    async fn sale_confirmations_sold_between(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<cube_domain::sale_confirmation::SaleConfirmation>, StoreError> {
        self.inner
            .sale_confirmations_sold_between(assignments, from, to)
            .await
    }
}

#[async_trait]
impl cube_domain::ports::SmsReplyWrites for Faulty {
    async fn record_sms_flow(
        &mut self,
        flow: &cube_domain::sms::SentSmsFlow,
    ) -> Result<(), StoreError> {
        self.inner.record_sms_flow(flow).await
    }
    async fn save_sms_reply(
        &mut self,
        reply: &cube_domain::sms::SmsReply,
    ) -> Result<(), StoreError> {
        self.inner.save_sms_reply(reply).await
    }
    async fn erase_sms_of(&mut self, enrollments: &[EnrollmentId]) -> Result<(), StoreError> {
        self.inner.erase_sms_of(enrollments).await
    }
    async fn claim_unmatched_sms(
        &mut self,
        reply: cube_domain::ids::SmsReplyId,
        owners: &[cube_domain::ids::DataOwnerId],
    ) -> Result<(), StoreError> {
        self.inner.claim_unmatched_sms(reply, owners).await
    }
    async fn erase_unmatched_sms_from(
        &mut self,
        owner: cube_domain::ids::DataOwnerId,
        phones: &[cube_domain::values::PhoneNumber],
    ) -> Result<u64, StoreError> {
        self.inner.erase_unmatched_sms_from(owner, phones).await
    }
    async fn forget_unowned_sms(
        &mut self,
        received_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        self.inner.forget_unowned_sms(received_before).await
    }
    async fn record_sale_confirmation(
        &mut self,
        confirmation: &cube_domain::sale_confirmation::SaleConfirmation,
    ) -> Result<(), StoreError> {
        self.inner.record_sale_confirmation(confirmation).await
    }
    async fn decide_sale_confirmation(
        &mut self,
        id: cube_domain::ids::SaleConfirmationId,
        status: cube_domain::sale_confirmation::ConfirmationStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner.decide_sale_confirmation(id, status, at).await
    }
}

#[async_trait]
impl ReportRepository for Faulty {
    async fn outcome_tally(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<OutcomeTallyRow>, StoreError> {
        self.inner.outcome_tally(assignments, from, to).await
    }
    async fn sold_products(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SoldProductRow>, StoreError> {
        self.inner.sold_products(assignments, from, to).await
    }
    async fn reserved_count(
        &mut self,
        assignment: AssignmentId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        self.inner.reserved_count(assignment, now).await
    }
    async fn status_tally(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<StatusTallyRow>, StoreError> {
        self.inner.status_tally(assignment).await
    }
    async fn hit_tally(
        &mut self,
        assignment: AssignmentId,
        fields: &[AnalysisField],
    ) -> Result<Vec<HitTallyRow>, StoreError> {
        self.inner.hit_tally(assignment, fields).await
    }
    async fn open_offers(
        &mut self,
        assignment: AssignmentId,
    ) -> Result<Vec<OpenOffer>, StoreError> {
        self.inner.open_offers(assignment).await
    }
}

#[async_trait]
impl CredentialRepository for Faulty {
    async fn password_hash(&mut self, user: UserId) -> Result<Option<String>, StoreError> {
        self.inner.password_hash(user).await
    }
    async fn token(&mut self, token_hash: &str) -> Result<Option<AccessToken>, StoreError> {
        self.inner.token(token_hash).await
    }
    async fn tokens_of(&mut self, user: UserId) -> Result<Vec<AccessToken>, StoreError> {
        self.inner.tokens_of(user).await
    }
}

#[async_trait]
impl CredentialWrites for Faulty {
    async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<(), StoreError> {
        if self.fail_passwords {
            return Err(StoreError::Unavailable("the password table is down".into()));
        }
        self.inner.set_password_hash(user, hash).await
    }
    async fn insert_token(&mut self, token: &AccessToken) -> Result<(), StoreError> {
        self.inner.insert_token(token).await
    }
    async fn delete_token(&mut self, token_hash: &str) -> Result<bool, StoreError> {
        self.inner.delete_token(token_hash).await
    }
    async fn delete_tokens_of(&mut self, user: UserId) -> Result<u64, StoreError> {
        self.inner.delete_tokens_of(user).await
    }
}

#[async_trait]
impl cube_domain::ports::WebhookRepository for Faulty {
    async fn webhook_endpoints(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<cube_domain::webhooks::WebhookEndpoint>, StoreError> {
        self.inner.webhook_endpoints(organisation).await
    }
    async fn webhook_endpoint(
        &mut self,
        id: cube_domain::ids::WebhookEndpointId,
    ) -> Result<Option<cube_domain::webhooks::WebhookEndpoint>, StoreError> {
        self.inner.webhook_endpoint(id).await
    }
}

#[async_trait]
impl cube_domain::ports::WebhookWrites for Faulty {
    async fn save_webhook_endpoint(
        &mut self,
        endpoint: &cube_domain::webhooks::WebhookEndpoint,
    ) -> Result<(), StoreError> {
        self.inner.save_webhook_endpoint(endpoint).await
    }
    async fn delete_webhook_endpoint(
        &mut self,
        id: cube_domain::ids::WebhookEndpointId,
    ) -> Result<bool, StoreError> {
        self.inner.delete_webhook_endpoint(id).await
    }
}

#[async_trait]
impl cube_domain::ports::CallRepository for Faulty {
    async fn call(
        &mut self,
        id: cube_domain::ids::CallId,
    ) -> Result<Option<cube_domain::call::Call>, StoreError> {
        self.inner.call(id).await
    }
    async fn call_by_provider_id(
        &mut self,
        provider_id: &str,
    ) -> Result<Option<cube_domain::call::Call>, StoreError> {
        self.inner.call_by_provider_id(provider_id).await
    }
    async fn calls_of(
        &mut self,
        enrollment: EnrollmentId,
    ) -> Result<Vec<cube_domain::call::Call>, StoreError> {
        self.inner.calls_of(enrollment).await
    }
    async fn calls_after(
        &mut self,
        after: Option<cube_domain::ids::CallId>,
        limit: u32,
    ) -> Result<Vec<cube_domain::call::Call>, StoreError> {
        self.inner.calls_after(after, limit).await
    }
    async fn calls_in(
        &mut self,
        assignments: &[cube_domain::ids::AssignmentId],
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<Vec<cube_domain::call::Call>, StoreError> {
        self.inner.calls_in(assignments, from, to).await
    }
}

#[async_trait]
impl cube_domain::ports::CallWrites for Faulty {
    async fn save_call(&mut self, call: &cube_domain::call::Call) -> Result<(), StoreError> {
        self.inner.save_call(call).await
    }
}

#[async_trait]
impl cube_domain::ports::RequestKeyRepository for Faulty {
    async fn kept_request(
        &mut self,
        user: UserId,
        key: &cube_domain::idempotency::RequestKey,
    ) -> Result<Option<cube_domain::idempotency::KeptRequest>, StoreError> {
        self.inner.kept_request(user, key).await
    }
}

#[async_trait]
impl cube_domain::ports::RequestKeyWrites for Faulty {
    async fn keep_request(
        &mut self,
        request: &cube_domain::idempotency::KeptRequest,
    ) -> Result<(), StoreError> {
        self.inner.keep_request(request).await
    }
    async fn forget_request(
        &mut self,
        user: UserId,
        key: &cube_domain::idempotency::RequestKey,
    ) -> Result<(), StoreError> {
        self.inner.forget_request(user, key).await
    }
    async fn forget_requests_before(
        &mut self,
        before: time::OffsetDateTime,
    ) -> Result<u64, StoreError> {
        self.inner.forget_requests_before(before).await
    }
}
