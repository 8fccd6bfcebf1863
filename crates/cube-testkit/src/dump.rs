//! `StoreDump`: everything a store holds, read back through its ports, for tests that
//! compare two stores (a copy and its source). Where an older list reads the same rows
//! (`customers`, `enrollments`, `meetings`, `time_entries`, `events`, `pending_messages`,
//! `failed_messages`) the dump reads them through it, not through the paged lists a copy
//! reads, so a list that skips rows cannot hide itself; the rest (organisations, drafts,
//! tokens, the log's keys, delivered messages) only the paged lists can read.

use cube_domain::access::{Organisation, User};
use cube_domain::assignment::Assignment;
use cube_domain::customer::{Customer, CustomerChange, CustomerFilter};
use cube_domain::customer_import::CustomerImport;
use cube_domain::data_owner::DataOwner;
use cube_domain::enrollment::Enrollment;
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::ids::{AssignmentId, UserId};
use cube_domain::meeting::{Calendar, Meeting};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{
    AccessToken, DeliveryState, FailedMessage, LoggedEvent, OutboxMessage, Page, Store, StoreError,
    StoredMessage, TokenKind,
};
use cube_domain::privacy::{DoNotContact, PrivacyRequest};
use cube_domain::product::Product;
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::time_entry::TimeEntry;
use std::fmt::Debug;
use time::OffsetDateTime;
use time::macros::datetime;

/// Every record of a store, each list in its store's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreDump {
    /// Every organisation, by id.
    pub organisations: Vec<Organisation>,
    /// Their users, by organisation, then as `users` lists them.
    pub users: Vec<User>,
    /// The users' password hashes.
    pub passwords: Vec<(UserId, String)>,
    /// The users' tokens, by user then hash.
    pub tokens: Vec<AccessToken>,
    /// Webhook endpoints, by organisation, oldest first.
    pub webhook_endpoints: Vec<cube_domain::webhooks::WebhookEndpoint>,
    /// Data owners, by organisation, then by name.
    pub data_owners: Vec<DataOwner>,
    /// Products, by data owner.
    pub products: Vec<Product>,
    /// Every published version of every flow, by data owner, flow, version.
    pub published_flows: Vec<PublishedFlow>,
    /// Flow drafts, by data owner.
    pub flow_drafts: Vec<FlowDraft>,
    /// Calendars, by data owner.
    pub calendars: Vec<Calendar>,
    /// Assignments, by organisation.
    pub assignments: Vec<Assignment>,
    /// Customers, by data owner, oldest first.
    pub customers: Vec<Customer>,
    /// Customer changes, by customer as `customers` lists them, oldest first.
    pub customer_changes: Vec<CustomerChange>,
    /// Enrollments, by assignment, in import order.
    pub enrollments: Vec<Enrollment>,
    /// Meetings, by assignment, by start.
    pub meetings: Vec<Meeting>,
    /// Time entries, by assignment, by start.
    pub time_entries: Vec<TimeEntry>,
    /// Every assignment's events, by assignment, oldest first (`events`).
    pub events: Vec<OutcomeEvent>,
    /// The whole log in append order, with keys (`events_after`).
    pub log: Vec<LoggedEvent>,
    /// Pending messages, oldest first.
    pub pending: Vec<OutboxMessage>,
    /// Failed messages of every assignment.
    pub failed: Vec<FailedMessage>,
    /// The whole outbox with delivery states (`messages_after`).
    pub outbox: Vec<StoredMessage>,
    /// Every SMS flow sent, in the order recorded (`sms_flows_after`).
    pub sms_flows: Vec<SentSmsFlow>,
    /// Every sale confirmation, in the order recorded (`sale_confirmations_after`).
    pub sale_confirmations: Vec<cube_domain::sale_confirmation::SaleConfirmation>,
    /// Every text received, in the order kept (`sms_replies_after`).
    pub sms_replies: Vec<SmsReply>,
    /// The data owners claiming each text that has any, in the texts' order
    /// (`sms_reply_owners`).
    pub sms_reply_owners: Vec<(
        cube_domain::ids::SmsReplyId,
        Vec<cube_domain::ids::DataOwnerId>,
    )>,
    /// Every data owner's privacy log, in the order recorded (`privacy_log_after`).
    pub privacy_log: Vec<PrivacyRequest>,
    /// Every data owner's do-not-contact list, by data owner then hash
    /// (`do_not_contact_after`).
    pub do_not_contact: Vec<DoNotContact>,
    /// Every customer import's record, in the order recorded (`customer_imports_after`).
    pub customer_imports: Vec<CustomerImport>,
    /// Every call sellers started, by id (`calls_after`).
    pub calls: Vec<cube_domain::call::Call>,
}

/// The widest window times are kept in (`cube_domain::time_bounds`: 1900–2199).
const FROM: OffsetDateTime = datetime!(1900-01-01 00:00 UTC);
const TO: OffsetDateTime = datetime!(2200-01-01 00:00 UTC);

/// Rows read from a paged list at a time.
const PAGE: u32 = 500;

impl StoreDump {
    /// Reads everything `store` holds, in one read unit.
    pub async fn read(store: &dyn Store) -> Result<Self, StoreError> {
        let mut unit = store.begin_read().await?;
        let mut dump = StoreDump {
            organisations: unit.organisations().await?,
            ..StoreDump::default()
        };
        let mut all_assignments: Vec<AssignmentId> = Vec::new();
        for organisation in &dump.organisations {
            for user in unit.users(organisation.id).await? {
                if let Some(hash) = unit.password_hash(user.id).await? {
                    dump.passwords.push((user.id, hash));
                }
                dump.tokens.extend(unit.tokens_of(user.id).await?);
                dump.users.push(user);
            }
            dump.webhook_endpoints
                .extend(unit.webhook_endpoints(organisation.id).await?);
            for owner in unit.data_owners(organisation.id).await? {
                let id = owner.id();
                dump.products.extend(unit.products(id).await?);
                for latest in unit.published_flows(id).await? {
                    for version in 1..=latest.version().version {
                        let version = FlowVersion {
                            flow: latest.id(),
                            version,
                        };
                        dump.published_flows
                            .extend(unit.published_flow(version).await?);
                    }
                }
                dump.flow_drafts.extend(unit.flow_drafts(id).await?);
                dump.calendars.extend(unit.calendars(id).await?);
                let everyone = Page {
                    offset: 0,
                    limit: 10_000_000,
                };
                let customers = unit
                    .customers(id, &CustomerFilter::default(), everyone)
                    .await?;
                for customer in &customers {
                    dump.customer_changes
                        .extend(unit.customer_changes(customer.id()).await?);
                }
                dump.customers.extend(customers);
                dump.data_owners.push(owner);
            }
            for assignment in unit.assignments(organisation.id).await? {
                let id = assignment.id();
                all_assignments.push(id);
                dump.enrollments.extend(unit.enrollments(id).await?);
                dump.meetings.extend(unit.meetings(&[id], FROM, TO).await?);
                dump.time_entries
                    .extend(unit.time_entries(&[id], FROM, TO).await?);
                dump.events.extend(unit.events(&[id], FROM, TO).await?);
                dump.assignments.push(assignment);
            }
        }
        dump.pending = unit.pending_messages(u32::MAX).await?;
        dump.failed = unit.failed_messages(&all_assignments, u32::MAX).await?;
        let mut after = None;
        loop {
            let page = unit.events_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.event.id());
            dump.log.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.messages_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.message.id);
            dump.outbox.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.sms_flows_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.message);
            dump.sms_flows.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.sale_confirmations_after(None, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            dump.sale_confirmations.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.sms_replies_after(None, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for reply in &page {
                let owners = unit.sms_reply_owners(reply.id).await?;
                if !owners.is_empty() {
                    dump.sms_reply_owners.push((reply.id, owners));
                }
            }
            dump.sms_replies.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.privacy_log_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            dump.privacy_log.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.do_not_contact_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.data_owner, last.phone_hash.clone()));
            dump.do_not_contact.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.customer_imports_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            dump.customer_imports.extend(page);
        }
        let mut after = None;
        loop {
            let page = unit.calls_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            dump.calls.extend(page);
        }
        Ok(dump)
    }

    /// What a copy of this store holds (`cube_app::copy`): the same, but for the sessions,
    /// which are not copied, and the claim a stopped delivery round had on a message never
    /// tried, which is let go (the message is due at once).
    pub fn as_copied(&self) -> StoreDump {
        let mut copy = self.clone();
        copy.tokens.retain(|t| t.kind == TokenKind::Api);
        for stored in &mut copy.outbox {
            if stored.attempts == 0
                && let DeliveryState::Pending { due_at } = &mut stored.state
            {
                *due_at = None;
            }
        }
        copy
    }

    /// How many of each kind, for messages: `[("users", 7), …]`.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("organisations", self.organisations.len()),
            ("users", self.users.len()),
            ("passwords", self.passwords.len()),
            ("tokens", self.tokens.len()),
            ("webhook endpoints", self.webhook_endpoints.len()),
            ("data owners", self.data_owners.len()),
            ("products", self.products.len()),
            ("published flows", self.published_flows.len()),
            ("flow drafts", self.flow_drafts.len()),
            ("calendars", self.calendars.len()),
            ("assignments", self.assignments.len()),
            ("customers", self.customers.len()),
            ("customer changes", self.customer_changes.len()),
            ("enrollments", self.enrollments.len()),
            ("meetings", self.meetings.len()),
            ("time entries", self.time_entries.len()),
            ("events", self.events.len()),
            ("log", self.log.len()),
            ("pending messages", self.pending.len()),
            ("failed messages", self.failed.len()),
            ("outbox", self.outbox.len()),
            ("SMS flows", self.sms_flows.len()),
            ("sale confirmations", self.sale_confirmations.len()),
            ("texts received", self.sms_replies.len()),
            ("privacy log entries", self.privacy_log.len()),
            ("do-not-contact entries", self.do_not_contact.len()),
            ("customer imports", self.customer_imports.len()),
            ("calls", self.calls.len()),
        ]
    }

    /// Panics naming the first kind, and the first row of it, where `other` differs from
    /// this dump (the expected one).
    pub fn assert_same(&self, other: &StoreDump) {
        fn same<T: PartialEq + Debug>(what: &str, expected: &[T], got: &[T]) {
            if let Some(at) = expected.iter().zip(got).position(|(e, g)| e != g) {
                panic!(
                    "{what} differ at row {at}:\nexpected {:#?}\n     got {:#?}",
                    expected[at], got[at]
                );
            }
            assert_eq!(
                expected.len(),
                got.len(),
                "{what}: expected {} rows, got {}",
                expected.len(),
                got.len()
            );
        }
        same("organisations", &self.organisations, &other.organisations);
        same("users", &self.users, &other.users);
        same("password hashes", &self.passwords, &other.passwords);
        same("tokens", &self.tokens, &other.tokens);
        same(
            "webhook endpoints",
            &self.webhook_endpoints,
            &other.webhook_endpoints,
        );
        same("data owners", &self.data_owners, &other.data_owners);
        same("products", &self.products, &other.products);
        same(
            "published flows",
            &self.published_flows,
            &other.published_flows,
        );
        same("flow drafts", &self.flow_drafts, &other.flow_drafts);
        same("calendars", &self.calendars, &other.calendars);
        same("assignments", &self.assignments, &other.assignments);
        same("customers", &self.customers, &other.customers);
        same(
            "customer changes",
            &self.customer_changes,
            &other.customer_changes,
        );
        same("enrollments", &self.enrollments, &other.enrollments);
        same("meetings", &self.meetings, &other.meetings);
        same("time entries", &self.time_entries, &other.time_entries);
        same("events", &self.events, &other.events);
        same("the log", &self.log, &other.log);
        same("pending messages", &self.pending, &other.pending);
        same("failed messages", &self.failed, &other.failed);
        same("outbox messages", &self.outbox, &other.outbox);
        same("SMS flows", &self.sms_flows, &other.sms_flows);
        same(
            "sale confirmations",
            &self.sale_confirmations,
            &other.sale_confirmations,
        );
        same("texts received", &self.sms_replies, &other.sms_replies);
        same("privacy log entries", &self.privacy_log, &other.privacy_log);
        same(
            "do-not-contact entries",
            &self.do_not_contact,
            &other.do_not_contact,
        );
        same(
            "customer imports",
            &self.customer_imports,
            &other.customer_imports,
        );
        same("calls", &self.calls, &other.calls);
        assert_eq!(self, other);
    }
}
