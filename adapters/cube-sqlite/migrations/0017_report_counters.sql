-- Report counters (issue 13): the tallies of the reports kept as the data changes, as the
-- PostgreSQL schema does (its migration 0003), so a report reads a few counter rows instead of
-- every event or enrollment. At 100,000 enrollments and 1,000,000 events the 30-day outcome
-- report took 400 ms and open offers 700 ms counting at report time (docs/performance.md).
--
-- Triggers keep every counter exact in the same transaction as the change that moves it, so
-- every write path (the register-outcome unit, imports, bulk changes, `copy-from`, hand-written
-- SQL) keeps them right and a rolled-back unit rolls its counts back with it. SQLite has one
-- writer at a time, so no counter is split in stripes as on PostgreSQL.
--
-- * `outcome_rollups` / `sales_rollups`: the outcome log (append-only) counted per UTC hour and
--   per UTC day; a report window is read as whole days, whole hours at its edges and the raw
--   events of its last partial hours (`cube_domain::reports::window`).
-- * `status_counts`: enrollments per state, category and attempts bucket (0, 1, 2+).
-- * `hit_counts`: concluded (Yes/No) enrollments per CRM field value of their customer, and per
--   attempts count (field key '').
-- * `outcome_events.product_lines` and two partial indexes: open offers find each open
--   enrollment's latest event with product lines in the index.
--
-- An absent user, outcome or option is '' in the rollups' keys (SQLite's UNIQUE treats NULLs
-- as distinct, which would defeat the upsert): ids are UUID text and an option is a non-empty
-- name, so '' is never a real value. Buckets are unix nanoseconds like `occurred_at`; the
-- hour is 3,600,000,000,000 ns and the day 86,400,000,000,000 ns (UTC days have no DST).

-- Outcome events per grain ('hour' or 'day'), bucket (its start) and tally key.
CREATE TABLE outcome_rollups (
    assignment_id TEXT NOT NULL,
    grain         TEXT NOT NULL CHECK (grain IN ('hour', 'day')),
    bucket        INTEGER NOT NULL,
    user_id       TEXT NOT NULL,
    outcome_id    TEXT NOT NULL,
    option        TEXT NOT NULL,
    class         TEXT NOT NULL,
    to_category   TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    events        INTEGER NOT NULL,
    meetings      INTEGER NOT NULL,
    PRIMARY KEY (assignment_id, grain, bucket, user_id, outcome_id, option, class, to_category,
                 to_state)
) WITHOUT ROWID;

-- Sold product lines (of events landing in a Yes state) per grain, bucket, tally key, product,
-- currency and exact unit price (decimal text): the units. Rust multiplies price by units.
CREATE TABLE sales_rollups (
    assignment_id TEXT NOT NULL,
    grain         TEXT NOT NULL CHECK (grain IN ('hour', 'day')),
    bucket        INTEGER NOT NULL,
    user_id       TEXT NOT NULL,
    outcome_id    TEXT NOT NULL,
    option        TEXT NOT NULL,
    class         TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    product_id    TEXT NOT NULL,
    currency      TEXT NOT NULL,
    unit_price    TEXT NOT NULL,
    units         INTEGER NOT NULL,
    PRIMARY KEY (assignment_id, grain, bucket, user_id, outcome_id, option, class, to_state,
                 product_id, currency, unit_price)
) WITHOUT ROWID;

-- Enrollments per state, category and attempts bucket.
CREATE TABLE status_counts (
    assignment_id TEXT NOT NULL,
    state_id      TEXT NOT NULL,
    category      TEXT NOT NULL,
    bucket        INTEGER NOT NULL, -- min(attempts, 2)
    customers     INTEGER NOT NULL,
    PRIMARY KEY (assignment_id, state_id, category, bucket)
) WITHOUT ROWID;

-- Concluded enrollments per field key and stored value (`customer_fields.value`, JSON text).
-- Key '' holds the attempts count (decimal text), so its sums are every concluded enrollment;
-- a field's "no value" count is that total minus the field's values.
CREATE TABLE hit_counts (
    assignment_id TEXT NOT NULL,
    field_key     TEXT NOT NULL,
    value         TEXT NOT NULL,
    yes           INTEGER NOT NULL,
    no            INTEGER NOT NULL,
    PRIMARY KEY (assignment_id, field_key, value)
) WITHOUT ROWID;

-- The number of product lines of an event (kept by the product-lines trigger below).
ALTER TABLE outcome_events ADD COLUMN product_lines INTEGER NOT NULL DEFAULT 0;

-- Each enrollment's events with product lines, latest first (open offers).
CREATE INDEX outcome_events_with_lines ON outcome_events (enrollment_id, occurred_at, seq)
    WHERE product_lines > 0;

-- The open enrollments of an assignment (open offers). Partial: only entering or leaving an
-- Open state writes it.
CREATE INDEX enrollments_open ON enrollments (assignment_id, id) WHERE category = 'Open';

-- The log: each event counted in its hour and its day.
CREATE TRIGGER outcome_events_roll_up AFTER INSERT ON outcome_events
BEGIN
    INSERT INTO outcome_rollups VALUES (
        NEW.assignment_id, 'hour',
        NEW.occurred_at - ((NEW.occurred_at % 3600000000000) + 3600000000000) % 3600000000000,
        ifnull(NEW.user_id, ''), ifnull(NEW.outcome_id, ''), ifnull(NEW.option, ''), NEW.class,
        NEW.to_category, NEW.to_state, 1, NEW.meeting_id IS NOT NULL)
    ON CONFLICT DO UPDATE SET events = events + 1, meetings = meetings + excluded.meetings;
    INSERT INTO outcome_rollups VALUES (
        NEW.assignment_id, 'day',
        NEW.occurred_at - ((NEW.occurred_at % 86400000000000) + 86400000000000) % 86400000000000,
        ifnull(NEW.user_id, ''), ifnull(NEW.outcome_id, ''), ifnull(NEW.option, ''), NEW.class,
        NEW.to_category, NEW.to_state, 1, NEW.meeting_id IS NOT NULL)
    ON CONFLICT DO UPDATE SET events = events + 1, meetings = meetings + excluded.meetings;
END;

-- A product line: its event's count, and the sales rollups when the event landed in Yes.
CREATE TRIGGER outcome_product_lines_roll_up AFTER INSERT ON outcome_product_lines
BEGIN
    UPDATE outcome_events SET product_lines = product_lines + 1 WHERE id = NEW.event_id;
    INSERT INTO sales_rollups
    SELECT e.assignment_id, g.grain,
           e.occurred_at - ((e.occurred_at % g.width) + g.width) % g.width,
           ifnull(e.user_id, ''), ifnull(e.outcome_id, ''), ifnull(e.option, ''), e.class,
           e.to_state, NEW.product_id, NEW.currency, NEW.unit_price, NEW.quantity
    FROM outcome_events AS e,
         (SELECT 'hour' AS grain, 3600000000000 AS width
          UNION ALL SELECT 'day', 86400000000000) AS g
    WHERE e.id = NEW.event_id AND e.to_category = 'Yes'
    ON CONFLICT DO UPDATE SET units = units + excluded.units;
END;

-- Status: an enrollment added, removed, or moved between counted values.
CREATE TRIGGER enrollments_status_added AFTER INSERT ON enrollments
BEGIN
    INSERT INTO status_counts
    VALUES (NEW.assignment_id, NEW.state_id, NEW.category, min(NEW.attempts, 2), 1)
    ON CONFLICT DO UPDATE SET customers = customers + 1;
END;

CREATE TRIGGER enrollments_status_removed AFTER DELETE ON enrollments
BEGIN
    INSERT INTO status_counts
    VALUES (OLD.assignment_id, OLD.state_id, OLD.category, min(OLD.attempts, 2), -1)
    ON CONFLICT DO UPDATE SET customers = customers - 1;
END;

CREATE TRIGGER enrollments_status_changed
AFTER UPDATE OF assignment_id, state_id, category, attempts ON enrollments
WHEN OLD.assignment_id IS NOT NEW.assignment_id OR OLD.state_id IS NOT NEW.state_id
  OR OLD.category IS NOT NEW.category OR min(OLD.attempts, 2) IS NOT min(NEW.attempts, 2)
BEGIN
    INSERT INTO status_counts
    VALUES (OLD.assignment_id, OLD.state_id, OLD.category, min(OLD.attempts, 2), -1)
    ON CONFLICT DO UPDATE SET customers = customers - 1;
    INSERT INTO status_counts
    VALUES (NEW.assignment_id, NEW.state_id, NEW.category, min(NEW.attempts, 2), 1)
    ON CONFLICT DO UPDATE SET customers = customers + 1;
END;

-- Hits: a concluded enrollment counts once per CRM value of its customer and once under its
-- attempts count (`sign` 1 or -1 below).
CREATE TRIGGER enrollments_hits_added AFTER INSERT ON enrollments
WHEN NEW.category IN ('Yes', 'No')
BEGIN
    INSERT INTO hit_counts
    SELECT NEW.assignment_id, f.field_key, f.value, NEW.category = 'Yes', NEW.category = 'No'
    FROM customer_fields AS f WHERE f.customer_id = NEW.customer_id
    UNION ALL
    SELECT NEW.assignment_id, '', CAST(NEW.attempts AS TEXT), NEW.category = 'Yes',
           NEW.category = 'No'
    WHERE true
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
END;

CREATE TRIGGER enrollments_hits_removed AFTER DELETE ON enrollments
WHEN OLD.category IN ('Yes', 'No')
BEGIN
    INSERT INTO hit_counts
    SELECT OLD.assignment_id, f.field_key, f.value, -(OLD.category = 'Yes'),
           -(OLD.category = 'No')
    FROM customer_fields AS f WHERE f.customer_id = OLD.customer_id
    UNION ALL
    SELECT OLD.assignment_id, '', CAST(OLD.attempts AS TEXT), -(OLD.category = 'Yes'),
           -(OLD.category = 'No')
    WHERE true
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
END;

CREATE TRIGGER enrollments_hits_changed
AFTER UPDATE OF assignment_id, customer_id, category, attempts ON enrollments
WHEN (OLD.category IN ('Yes', 'No') OR NEW.category IN ('Yes', 'No'))
  AND (OLD.assignment_id IS NOT NEW.assignment_id OR OLD.customer_id IS NOT NEW.customer_id
       OR OLD.category IS NOT NEW.category OR OLD.attempts IS NOT NEW.attempts)
BEGIN
    INSERT INTO hit_counts
    SELECT OLD.assignment_id, f.field_key, f.value, -(OLD.category = 'Yes'),
           -(OLD.category = 'No')
    FROM customer_fields AS f
    WHERE f.customer_id = OLD.customer_id AND OLD.category IN ('Yes', 'No')
    UNION ALL
    SELECT OLD.assignment_id, '', CAST(OLD.attempts AS TEXT), -(OLD.category = 'Yes'),
           -(OLD.category = 'No')
    WHERE OLD.category IN ('Yes', 'No')
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
    INSERT INTO hit_counts
    SELECT NEW.assignment_id, f.field_key, f.value, NEW.category = 'Yes', NEW.category = 'No'
    FROM customer_fields AS f
    WHERE f.customer_id = NEW.customer_id AND NEW.category IN ('Yes', 'No')
    UNION ALL
    SELECT NEW.assignment_id, '', CAST(NEW.attempts AS TEXT), NEW.category = 'Yes',
           NEW.category = 'No'
    WHERE NEW.category IN ('Yes', 'No')
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
END;

-- A customer's CRM value added, removed or changed: its concluded enrollments move with it.
CREATE TRIGGER customer_fields_hits_added AFTER INSERT ON customer_fields
BEGIN
    INSERT INTO hit_counts
    SELECT e.assignment_id, NEW.field_key, NEW.value, e.category = 'Yes', e.category = 'No'
    FROM enrollments AS e
    WHERE e.customer_id = NEW.customer_id AND e.category IN ('Yes', 'No')
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
END;

CREATE TRIGGER customer_fields_hits_removed AFTER DELETE ON customer_fields
BEGIN
    INSERT INTO hit_counts
    SELECT e.assignment_id, OLD.field_key, OLD.value, -(e.category = 'Yes'),
           -(e.category = 'No')
    FROM enrollments AS e
    WHERE e.customer_id = OLD.customer_id AND e.category IN ('Yes', 'No')
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
END;

CREATE TRIGGER customer_fields_hits_changed
AFTER UPDATE OF customer_id, field_key, value ON customer_fields
BEGIN
    INSERT INTO hit_counts
    SELECT e.assignment_id, OLD.field_key, OLD.value, -(e.category = 'Yes'),
           -(e.category = 'No')
    FROM enrollments AS e
    WHERE e.customer_id = OLD.customer_id AND e.category IN ('Yes', 'No')
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
    INSERT INTO hit_counts
    SELECT e.assignment_id, NEW.field_key, NEW.value, e.category = 'Yes', e.category = 'No'
    FROM enrollments AS e
    WHERE e.customer_id = NEW.customer_id AND e.category IN ('Yes', 'No')
    ON CONFLICT DO UPDATE SET yes = yes + excluded.yes, no = no + excluded.no;
END;

-- The counts of what is already stored.
UPDATE outcome_events
SET product_lines = (SELECT count(*) FROM outcome_product_lines AS l WHERE l.event_id = outcome_events.id)
WHERE id IN (SELECT event_id FROM outcome_product_lines);

INSERT INTO outcome_rollups
SELECT e.assignment_id, g.grain, e.occurred_at - ((e.occurred_at % g.width) + g.width) % g.width,
       ifnull(e.user_id, ''), ifnull(e.outcome_id, ''), ifnull(e.option, ''), e.class,
       e.to_category, e.to_state, count(*), sum(e.meeting_id IS NOT NULL)
FROM outcome_events AS e,
     (SELECT 'hour' AS grain, 3600000000000 AS width UNION ALL SELECT 'day', 86400000000000) AS g
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

INSERT INTO sales_rollups
SELECT e.assignment_id, g.grain, e.occurred_at - ((e.occurred_at % g.width) + g.width) % g.width,
       ifnull(e.user_id, ''), ifnull(e.outcome_id, ''), ifnull(e.option, ''), e.class,
       e.to_state, l.product_id, l.currency, l.unit_price, sum(l.quantity)
FROM outcome_product_lines AS l
JOIN outcome_events AS e ON e.id = l.event_id
CROSS JOIN (SELECT 'hour' AS grain, 3600000000000 AS width
            UNION ALL SELECT 'day', 86400000000000) AS g
WHERE e.to_category = 'Yes'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;

INSERT INTO status_counts
SELECT assignment_id, state_id, category, min(attempts, 2), count(*)
FROM enrollments GROUP BY 1, 2, 3, 4;

INSERT INTO hit_counts
SELECT assignment_id, field_key, value, sum(yes), sum(no) FROM (
    SELECT e.assignment_id, f.field_key, f.value, e.category = 'Yes' AS yes, e.category = 'No' AS no
    FROM enrollments AS e JOIN customer_fields AS f ON f.customer_id = e.customer_id
    WHERE e.category IN ('Yes', 'No')
    UNION ALL
    SELECT e.assignment_id, '', CAST(e.attempts AS TEXT), e.category = 'Yes', e.category = 'No'
    FROM enrollments AS e
    WHERE e.category IN ('Yes', 'No')
)
GROUP BY 1, 2, 3;
