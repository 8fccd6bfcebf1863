-- 0001: the whole Cube schema for the embedded SQLite store. Never edit once applied: add a
-- new numbered migration instead.
--
-- Encodings (the reasons are in src/lib.rs):
--   * ids are UUID text, hyphenated and lower case (byte order = `Uuid` order);
--   * times are INTEGER unix nanoseconds, UTC (`*_at`, `*_until`, `*_due`, `last_contact`);
--   * money is exact `rust_decimal` text (`unit_price`), never REAL;
--   * enums are their Rust variant names ('Available', 'NoAnswer', ...);
--   * `doc` holds the serde_json of a whole domain aggregate; the other columns copy what
--     lookups, uniqueness and ordering need, and are written together with `doc`.
-- Cross-aggregate references are not foreign keys: the ports promise no referential checks
-- (the use cases check existence) and the outcome log outlives deleted enrollments. Foreign
-- keys tie child rows to their own aggregate only (phones, fields, product lines).

-- Organisations (tenants).
CREATE TABLE organisations (
    id   TEXT PRIMARY KEY NOT NULL, -- OrganisationId
    name TEXT NOT NULL,             -- Name, for reading the table by hand
    doc  TEXT NOT NULL              -- access::Organisation
);

-- Users of every organisation.
CREATE TABLE users (
    id              TEXT PRIMARY KEY NOT NULL, -- UserId
    organisation_id TEXT NOT NULL,             -- OrganisationId: `users` lists by it
    name            TEXT NOT NULL,             -- Name: `users` orders by it (byte order)
    email           TEXT NOT NULL UNIQUE,      -- Email as parsed: the login, unique across organisations
    doc             TEXT NOT NULL              -- access::User
);
CREATE INDEX users_by_organisation ON users (organisation_id, name);

-- Data owners (GDPR controllers) with controller, purposes and CRM field definitions.
CREATE TABLE data_owners (
    id              TEXT PRIMARY KEY NOT NULL, -- DataOwnerId
    organisation_id TEXT NOT NULL,             -- OrganisationId: `data_owners` lists by it
    name            TEXT NOT NULL,             -- Name: `data_owners` orders by it
    doc             TEXT NOT NULL              -- data_owner::DataOwner
);
CREATE INDEX data_owners_by_organisation ON data_owners (organisation_id, name);

-- Customers (CRM records).
CREATE TABLE customers (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order: "oldest first", never reused
    id            TEXT NOT NULL UNIQUE,              -- CustomerId
    data_owner_id TEXT NOT NULL,                     -- DataOwnerId: paging and lookups are per owner
    external_id   TEXT,                              -- CustomerDetails.external_id: import lookup
    doc           TEXT NOT NULL                      -- customer::Customer
);
CREATE INDEX customers_by_owner ON customers (data_owner_id, seq);
CREATE INDEX customers_by_external_id ON customers (data_owner_id, external_id)
    WHERE external_id IS NOT NULL;

-- A customer's phone numbers, for the import lookup by phone. Rewritten with the customer.
CREATE TABLE customer_phones (
    customer_id   TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE, -- CustomerId
    position      INTEGER NOT NULL, -- index in CustomerDetails.phones
    data_owner_id TEXT NOT NULL,    -- copied from the customer so the lookup needs no join
    phone         TEXT NOT NULL,    -- PhoneNumber, E.164 as parsed
    PRIMARY KEY (customer_id, position)
);
CREATE INDEX customer_phones_lookup ON customer_phones (data_owner_id, phone);

-- A customer's optional CRM field values, one row a field, for priority rules and hit
-- analysis. Rewritten with the customer.
CREATE TABLE customer_fields (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE, -- CustomerId
    field_key   TEXT NOT NULL, -- FieldKey
    value       TEXT NOT NULL, -- serde_json of the FieldValue: hit analysis groups by it
    sort_key    BLOB NOT NULL, -- order-preserving bytes of the FieldValue (src/sort_key.rs):
                               -- `ORDER BY sort_key` (memcmp) equals `FieldValue`'s `Ord`
    PRIMARY KEY (customer_id, field_key)
) WITHOUT ROWID;

-- The product catalogue.
CREATE TABLE products (
    id            TEXT PRIMARY KEY NOT NULL, -- ProductId
    data_owner_id TEXT NOT NULL,             -- DataOwnerId
    name          TEXT NOT NULL,             -- Name: `products` orders by it
    code          TEXT NOT NULL,             -- the product code, unique per data owner
    doc           TEXT NOT NULL,             -- product::Product (the price as decimal text)
    UNIQUE (data_owner_id, code)
);
CREATE INDEX products_by_owner ON products (data_owner_id, name);

-- At most one draft per flow.
CREATE TABLE flow_drafts (
    flow_id       TEXT PRIMARY KEY NOT NULL, -- FlowId
    data_owner_id TEXT NOT NULL,             -- DataOwnerId
    doc           TEXT NOT NULL              -- flow::FlowDraft
);

-- Frozen published versions; a version is never rewritten.
CREATE TABLE published_flows (
    flow_id       TEXT NOT NULL,    -- FlowId
    version       INTEGER NOT NULL, -- FlowVersion.version, from 1
    data_owner_id TEXT NOT NULL,    -- DataOwnerId: `published_flows` lists by it
    name          TEXT NOT NULL,    -- Name: `published_flows` orders by it
    doc           TEXT NOT NULL,    -- flow::PublishedFlow (validated again when read)
    PRIMARY KEY (flow_id, version)
) WITHOUT ROWID;
CREATE INDEX published_flows_by_owner ON published_flows (data_owner_id, flow_id, version);

-- Assignments with their whole setup.
CREATE TABLE assignments (
    id              TEXT PRIMARY KEY NOT NULL, -- AssignmentId
    organisation_id TEXT NOT NULL,             -- OrganisationId: `assignments` lists by it
    data_owner_id   TEXT NOT NULL,             -- DataOwnerId
    name            TEXT NOT NULL,             -- Name: `assignments` orders by it
    doc             TEXT NOT NULL              -- assignment::Assignment (setup included)
);
CREATE INDEX assignments_by_organisation ON assignments (organisation_id, name);

-- Calendars.
CREATE TABLE calendars (
    id            TEXT PRIMARY KEY NOT NULL, -- CalendarId
    data_owner_id TEXT NOT NULL,             -- DataOwnerId
    name          TEXT NOT NULL,             -- Name: `calendars` orders by it
    doc           TEXT NOT NULL              -- meeting::Calendar
);
CREATE INDEX calendars_by_owner ON calendars (data_owner_id, name);

-- Booked meetings.
CREATE TABLE meetings (
    id            TEXT PRIMARY KEY NOT NULL, -- MeetingId
    calendar_id   TEXT NOT NULL,             -- CalendarId: overlap checks per calendar
    assignment_id TEXT NOT NULL,             -- AssignmentId: the meeting list per assignment
    enrollment_id TEXT NOT NULL,             -- EnrollmentId
    customer_id   TEXT NOT NULL,             -- CustomerId
    booked_by     TEXT,                      -- UserId; NULL when booked by an SMS reply
    start_at      INTEGER NOT NULL,          -- start, unix ns
    end_at        INTEGER NOT NULL,          -- end, unix ns (after start)
    doc           TEXT NOT NULL              -- meeting::Meeting
);
CREATE INDEX meetings_by_calendar ON meetings (calendar_id, start_at);
CREATE INDEX meetings_by_assignment ON meetings (assignment_id, start_at);

-- Enrollments: the "now" of a customer in an assignment, every field a column (no doc) so
-- "next customer" and the current reports run on indexes.
CREATE TABLE enrollments (
    id              TEXT PRIMARY KEY NOT NULL, -- EnrollmentId
    assignment_id   TEXT NOT NULL,             -- AssignmentId
    customer_id     TEXT NOT NULL,             -- CustomerId
    state_id        TEXT NOT NULL,             -- StateId: the current state
    category        TEXT NOT NULL              -- StateCategory of the current state
        CHECK (category IN ('Available', 'Open', 'Yes', 'No', 'Excluded')),
    segment_id      TEXT,                      -- SegmentId, NULL when in no segment
    attempts        INTEGER NOT NULL CHECK (attempts >= 0), -- NoAnswer + CallBackLater so far
    last_contact    INTEGER,                   -- last outcome's time, unix ns; NULL: never
    follow_up_due   INTEGER,                   -- pending follow-up's due time, unix ns
    follow_up_owner TEXT,                      -- its owner (UserId); NULL with a due: shared
    retry_at        INTEGER,                   -- out of the pool until then, unix ns
    reserved_by     TEXT,                      -- the lease holder (UserId), live or lapsed
    reserved_until  INTEGER,                   -- when the lease runs out, unix ns
    sequence        INTEGER NOT NULL,          -- import order in the assignment
    enrolled_at     INTEGER NOT NULL,          -- when enrolled, unix ns
    UNIQUE (assignment_id, customer_id),
    CHECK (follow_up_due IS NOT NULL OR follow_up_owner IS NULL),
    CHECK ((reserved_by IS NULL) = (reserved_until IS NULL))
);
CREATE INDEX enrollments_by_sequence ON enrollments (assignment_id, sequence);
CREATE INDEX enrollments_by_customer ON enrollments (customer_id);
CREATE INDEX enrollments_follow_ups ON enrollments (assignment_id, follow_up_due)
    WHERE follow_up_due IS NOT NULL;
CREATE INDEX enrollments_pool ON enrollments (assignment_id, category, sequence)
    WHERE follow_up_due IS NULL;

-- The append-only outcome log: hot columns for reports and lookups, plus the whole event.
CREATE TABLE outcome_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- append order: breaks ties of occurred_at
    id              TEXT NOT NULL UNIQUE,  -- OutcomeEventId
    assignment_id   TEXT NOT NULL,         -- AssignmentId
    enrollment_id   TEXT NOT NULL,         -- EnrollmentId
    customer_id     TEXT NOT NULL,         -- CustomerId
    occurred_at     INTEGER NOT NULL,      -- unix ns
    user_id         TEXT,                  -- UserId; NULL for SMS replies and integrations
    outcome_id      TEXT,                  -- OutcomeId; NULL for external state changes
    class           TEXT NOT NULL          -- OutcomeClass
        CHECK (class IN ('Progress', 'NoAnswer', 'CallBackLater', 'External')),
    option          TEXT,                  -- the chosen outcome option
    from_state      TEXT NOT NULL,         -- StateId before
    to_state        TEXT NOT NULL,         -- StateId after
    to_category     TEXT NOT NULL          -- StateCategory after (reports count conclusions by it)
        CHECK (to_category IN ('Available', 'Open', 'Yes', 'No', 'Excluded')),
    meeting_id      TEXT,                  -- MeetingId booked, if any
    idempotency_key TEXT,                  -- the client's retry key, unique per assignment
    doc             TEXT NOT NULL,         -- outcome::OutcomeEvent
    UNIQUE (assignment_id, idempotency_key)
);
CREATE INDEX outcome_events_by_time ON outcome_events (assignment_id, occurred_at);
CREATE INDEX outcome_events_by_enrollment ON outcome_events (enrollment_id, occurred_at);

-- Product lines of outcome events, for the sales tallies (also inside the event's doc).
CREATE TABLE outcome_product_lines (
    event_id   TEXT NOT NULL REFERENCES outcome_events (id) ON DELETE CASCADE, -- OutcomeEventId
    position   INTEGER NOT NULL,                      -- index in OutcomeEvent.products
    product_id TEXT NOT NULL,                         -- ProductId
    quantity   INTEGER NOT NULL CHECK (quantity >= 0), -- units
    unit_price TEXT NOT NULL,                         -- Decimal as exact text, e.g. '1499.50'
    currency   TEXT NOT NULL,                         -- ISO 4217 code
    PRIMARY KEY (event_id, position)
) WITHOUT ROWID;

-- Hours per user per assignment.
CREATE TABLE time_entries (
    id            TEXT PRIMARY KEY NOT NULL, -- TimeEntryId
    user_id       TEXT NOT NULL,             -- UserId
    assignment_id TEXT NOT NULL,             -- AssignmentId
    start_at      INTEGER NOT NULL,          -- unix ns
    end_at        INTEGER                    -- unix ns; NULL while the clock runs
);
CREATE INDEX time_entries_running ON time_entries (user_id, start_at) WHERE end_at IS NULL;
CREATE INDEX time_entries_by_assignment ON time_entries (assignment_id, start_at);

-- The transactional outbox.
CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT, -- enqueue order: breaks ties of created_at
    id            TEXT NOT NULL UNIQUE,              -- OutboxMessageId
    assignment_id TEXT NOT NULL,                     -- AssignmentId
    enrollment_id TEXT,                              -- EnrollmentId it concerns, if any
    created_at    INTEGER NOT NULL,                  -- unix ns
    delivered     INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)), -- 1 once delivered
    doc           TEXT NOT NULL                      -- ports::OutboxMessage
);
CREATE INDEX outbox_pending ON outbox (created_at, seq) WHERE delivered = 0;
