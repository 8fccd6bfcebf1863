-- Cube's PostgreSQL schema, version 1. Applied migrations are never edited: change the
-- schema with a new numbered file.
--
-- Conventions:
-- * Ids are the domain's UUIDs (v7 in production, so B-tree inserts stay at the right edge).
-- * Times are `timestamptz` (UTC instants, microsecond precision: a finer `OffsetDateTime`
--   is truncated towards the past when written).
-- * Aggregates that are read and written whole (organisation settings, data owners, users,
--   flows, assignment setups, customers, calendars, meetings, outbox messages) are stored as
--   `jsonb` (serde_json of the domain type), with the columns lookups, ordering and
--   uniqueness need copied beside them. A `PublishedFlow` is validated again when read.
-- * The hot tables (enrollments, outcome events and their product lines) have a real
--   column for everything queries filter, order or group by.
-- * Categories and outcome classes are lower-case text checked against the domain's enums.
-- * Money is integer minor units with the scale beside it: value = minor / 10^scale.
-- * No foreign keys between aggregates: the ports allow saving them in any order, and the
--   outcome log keeps its history when an enrollment is removed. Rows that belong to one
--   aggregate (product lines of an event) cascade with it.

-- Tenants.
CREATE TABLE organisations (
    id   uuid PRIMARY KEY,      -- OrganisationId
    name text NOT NULL          -- Name (display only)
);

-- Users of the product; the login e-mail is unique across organisations.
CREATE TABLE users (
    id              uuid PRIMARY KEY,   -- UserId
    organisation_id uuid NOT NULL,      -- the tenant (lists per organisation)
    name            text NOT NULL,      -- for "by name" listings
    email           text NOT NULL,      -- login e-mail, as parsed by `Email`
    data            jsonb NOT NULL,     -- the whole `User`
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_organisation ON users (organisation_id, name COLLATE "C");

-- Data owners (GDPR controllers): controller, purposes and CRM field definitions.
CREATE TABLE data_owners (
    id              uuid PRIMARY KEY,   -- DataOwnerId
    organisation_id uuid NOT NULL,      -- the tenant
    name            text NOT NULL,      -- for "by name" listings
    data            jsonb NOT NULL      -- the whole `DataOwner`
);
CREATE INDEX data_owners_organisation ON data_owners (organisation_id, name COLLATE "C");

-- Customers (CRM records) of a data owner.
CREATE TABLE customers (
    id            uuid PRIMARY KEY,                         -- CustomerId
    seq           bigint GENERATED ALWAYS AS IDENTITY,      -- insertion order ("oldest first")
    data_owner_id uuid NOT NULL,                            -- the owner
    external_id   text,                                     -- id in the source system (import dedup)
    phones        text[] NOT NULL,                          -- E.164 numbers (import dedup)
    data          jsonb NOT NULL                            -- the whole `Customer`; `data->'fields'`
                                                            -- holds the CRM values the queue and
                                                            -- hit analysis read
);
CREATE INDEX customers_owner ON customers (data_owner_id, seq);
CREATE INDEX customers_external_id ON customers (data_owner_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX customers_phones ON customers USING gin (phones);

-- The product catalogue; a code is unique per data owner.
CREATE TABLE products (
    id            uuid PRIMARY KEY,   -- ProductId
    data_owner_id uuid NOT NULL,      -- the owner
    code          text NOT NULL,      -- the product code
    name          text NOT NULL,      -- for "by name" listings
    data          jsonb NOT NULL,     -- the whole `Product` (price as a decimal string)
    CONSTRAINT products_data_owner_id_code_key UNIQUE (data_owner_id, code)
);

-- At most one draft per flow.
CREATE TABLE flow_drafts (
    flow_id       uuid PRIMARY KEY,   -- FlowId
    data_owner_id uuid NOT NULL,      -- the owner
    data          jsonb NOT NULL      -- the whole `FlowDraft`
);

-- Frozen published versions of flows.
CREATE TABLE published_flows (
    flow_id       uuid NOT NULL,      -- FlowId
    version       integer NOT NULL,   -- FlowVersion::version (from 1)
    data_owner_id uuid NOT NULL,      -- the owner (lists per data owner)
    name          text NOT NULL,      -- for "by name" listings
    data          jsonb NOT NULL,     -- the `PublishedFlow` ({"draft": …}), re-validated on read
    CONSTRAINT published_flows_pkey PRIMARY KEY (flow_id, version)
);
CREATE INDEX published_flows_owner ON published_flows (data_owner_id, flow_id, version DESC);

-- Assignments (campaigns) and their whole setup.
CREATE TABLE assignments (
    id              uuid PRIMARY KEY,   -- AssignmentId
    organisation_id uuid NOT NULL,      -- the tenant
    data_owner_id   uuid NOT NULL,      -- the owner
    name            text NOT NULL,      -- for "by name" listings
    data            jsonb NOT NULL      -- the whole `Assignment` with its `AssignmentSetup`
);
CREATE INDEX assignments_organisation ON assignments (organisation_id, name COLLATE "C");

-- Calendars meetings are booked in.
CREATE TABLE calendars (
    id            uuid PRIMARY KEY,   -- CalendarId
    data_owner_id uuid NOT NULL,      -- the owner
    name          text NOT NULL,      -- for listings
    data          jsonb NOT NULL      -- the whole `Calendar`
);
CREATE INDEX calendars_owner ON calendars (data_owner_id, name COLLATE "C");

-- Booked meetings.
CREATE TABLE meetings (
    id            uuid PRIMARY KEY,                         -- MeetingId
    seq           bigint GENERATED ALWAYS AS IDENTITY,      -- booking order (ties)
    calendar_id   uuid NOT NULL,                            -- the calendar
    assignment_id uuid NOT NULL,                            -- where it was booked
    starts_at     timestamptz NOT NULL,                     -- start
    ends_at       timestamptz NOT NULL,                     -- end (after start)
    data          jsonb NOT NULL                            -- the whole `Meeting`
);
CREATE INDEX meetings_calendar ON meetings (calendar_id, starts_at);
CREATE INDEX meetings_assignment ON meetings (assignment_id, starts_at);

-- Enrollments: the "now" of a customer in an assignment. Every column the queue, My Work,
-- bulk work and the status report read is a real column. Reservations change often and are
-- not indexed, so with the free space of fillfactor 80 they are HOT updates.
CREATE TABLE enrollments (
    id              uuid PRIMARY KEY,       -- EnrollmentId
    assignment_id   uuid NOT NULL,          -- the assignment
    customer_id     uuid NOT NULL,          -- the customer
    state_id        uuid NOT NULL,          -- current state
    category        text NOT NULL           -- the current state's category
        CHECK (category IN ('available', 'open', 'yes', 'no', 'excluded')),
    segment_id      uuid,                   -- segment, if any
    attempts        bigint NOT NULL CHECK (attempts >= 0),  -- NoAnswer + CallBackLater (u32)
    last_contact    timestamptz,            -- last registered outcome
    follow_up_due   timestamptz,            -- pending follow-up: when due
    follow_up_owner uuid,                   -- pending follow-up: seller (NULL = shared)
    retry_at        timestamptz,            -- out of the pool until then (after NoAnswer)
    reserved_by     uuid,                   -- lease: seller (live or lapsed)
    reserved_until  timestamptz,            -- lease: end
    sequence        bigint NOT NULL CHECK (sequence >= 0),  -- import order (u64 ≤ i64::MAX)
    enrolled_at     timestamptz NOT NULL,   -- when enrolled
    row_version     bigint NOT NULL DEFAULT 0,  -- bumped on every write: optimistic
                                                -- concurrency for units of work
    CONSTRAINT enrollments_assignment_id_customer_id_key UNIQUE (assignment_id, customer_id),
    CONSTRAINT enrollments_follow_up_owner_needs_due
        CHECK (follow_up_owner IS NULL OR follow_up_due IS NOT NULL),
    CONSTRAINT enrollments_reservation_whole
        CHECK ((reserved_by IS NULL) = (reserved_until IS NULL))
) WITH (fillfactor = 80);
-- Import order listings and `next_sequence`.
CREATE INDEX enrollments_assignment_sequence ON enrollments (assignment_id, sequence);
-- External state changes act on every enrollment of a customer.
CREATE INDEX enrollments_customer ON enrollments (customer_id);
-- The ready pool: available and no pending follow-up (future follow-ups never sit here), in
-- import order, and per segment in import order (the default priority: segment order, then
-- import order). "Next customer" reads these from the front and stops at the first row.
CREATE INDEX enrollments_ready ON enrollments (assignment_id, sequence, id)
    WHERE category = 'available' AND follow_up_due IS NULL;
CREATE INDEX enrollments_ready_by_segment ON enrollments (assignment_id, segment_id, sequence, id)
    WHERE category = 'available' AND follow_up_due IS NULL;
-- Follow-ups: a seller's own (owner = seller) and shared ones (owner IS NULL), by due time.
CREATE INDEX enrollments_follow_ups ON enrollments (assignment_id, follow_up_owner, follow_up_due)
    WHERE follow_up_due IS NOT NULL;

-- The append-only outcome log.
CREATE TABLE outcome_events (
    id              uuid PRIMARY KEY,                       -- OutcomeEventId
    seq             bigint GENERATED ALWAYS AS IDENTITY,    -- append order (ties at one instant)
    assignment_id   uuid NOT NULL,                          -- the assignment
    enrollment_id   uuid NOT NULL,                          -- the enrollment (kept when it is removed)
    customer_id     uuid NOT NULL,                          -- the customer
    occurred_at     timestamptz NOT NULL,                   -- when registered
    user_id         uuid,                                   -- registering user (NULL: SMS, integration)
    outcome_id      uuid,                                   -- the outcome (NULL: external change)
    class           text NOT NULL                           -- OutcomeClass
        CHECK (class IN ('progress', 'no_answer', 'call_back_later', 'external')),
    option          text,                                   -- chosen outcome option
    from_state      uuid NOT NULL,                          -- state before
    to_state        uuid NOT NULL,                          -- state after
    to_category     text NOT NULL                           -- category of the state after
        CHECK (to_category IN ('available', 'open', 'yes', 'no', 'excluded')),
    meeting_id      uuid,                                   -- meeting booked, if any
    product_lines   integer NOT NULL,                       -- how many product lines (open offers)
    idempotency_key text,                                   -- client's retry key, if given
    event           jsonb NOT NULL                          -- the whole `OutcomeEvent`, exact
);
-- A retried request with the same key is recognised per assignment.
CREATE UNIQUE INDEX outcome_events_idempotency_key ON outcome_events (assignment_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- Reports over a window: covering, so the outcome tally is an index-only scan.
CREATE INDEX outcome_events_window ON outcome_events (assignment_id, occurred_at)
    INCLUDE (user_id, outcome_id, option, class, to_category, to_state, meeting_id);
-- An enrollment's history, oldest first.
CREATE INDEX outcome_events_enrollment ON outcome_events (enrollment_id, occurred_at, seq);

-- Product lines of outcome events, one row each, for the sales tallies. The event's
-- assignment, time and target category are copied here (events never change) so sold
-- products need no join.
CREATE TABLE event_product_lines (
    event_id         uuid NOT NULL REFERENCES outcome_events (id) ON DELETE CASCADE,
    line_no          integer NOT NULL,      -- position in `OutcomeEvent::products`
    assignment_id    uuid NOT NULL,         -- the event's assignment
    occurred_at      timestamptz NOT NULL,  -- the event's time
    to_category      text NOT NULL,         -- the event's target category ('yes' = sold)
    product_id       uuid NOT NULL,         -- the product
    currency         text NOT NULL,         -- ISO 4217 code
    quantity         bigint NOT NULL,       -- units (u32)
    unit_price_minor bigint NOT NULL,       -- unit price in minor units: price × 10^scale
    unit_price_scale smallint NOT NULL      -- the scale: the price's own decimal places
        CHECK (unit_price_scale BETWEEN 0 AND 28),
    PRIMARY KEY (event_id, line_no)
);
CREATE INDEX event_product_lines_sold ON event_product_lines (assignment_id, occurred_at)
    INCLUDE (product_id, currency, quantity, unit_price_minor, unit_price_scale)
    WHERE to_category = 'yes';

-- Hours per user per assignment.
CREATE TABLE time_entries (
    id            uuid PRIMARY KEY,                         -- TimeEntryId
    seq           bigint GENERATED ALWAYS AS IDENTITY,      -- insertion order (ties)
    user_id       uuid NOT NULL,                            -- the user
    assignment_id uuid NOT NULL,                            -- the assignment
    starts_at     timestamptz NOT NULL,                     -- start
    ends_at       timestamptz                               -- end; NULL while the clock runs
);
CREATE INDEX time_entries_assignment ON time_entries (assignment_id, starts_at);
CREATE INDEX time_entries_running ON time_entries (user_id) WHERE ends_at IS NULL;

-- The transactional outbox: messages written with the change that caused them.
CREATE TABLE outbox (
    id            uuid PRIMARY KEY,                         -- OutboxMessageId
    seq           bigint GENERATED ALWAYS AS IDENTITY,      -- enqueue order (ties)
    assignment_id uuid NOT NULL,                            -- the assignment
    created_at    timestamptz NOT NULL,                     -- when enqueued
    delivered_at  timestamptz,                              -- set by the store when delivered
    message       jsonb NOT NULL                            -- the whole `OutboxMessage`
);
CREATE INDEX outbox_pending ON outbox (created_at, seq) WHERE delivered_at IS NULL;
