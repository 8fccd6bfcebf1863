-- Cube's PostgreSQL schema, version 3: pre-aggregated report tallies.
--
-- With a million enrollments and ten million outcome events, counting rows at report time
-- takes seconds. These tables hold the counts instead, kept exact by triggers in the same
-- transaction as the change that moves them, so every write path (the register-outcome
-- unit, imports, bulk changes, hand-written SQL) keeps them right, and a rolled-back unit
-- rolls its counts back with it:
--
-- * `outcome_rollups` / `sales_rollups`: the outcome log counted per UTC hour and per UTC day
--   (grain), so a report window is answered from whole days, then whole hours at its edges,
--   then raw events for the last partial hours (see `src/reports.rs`).
-- * `status_counts`: enrollments per state, category and attempts bucket (0, 1, 2+).
-- * `hit_counts`: concluded (Yes/No) enrollments per CRM field value of their customer, and
--   per attempts count (field key '').
--
-- Counters that many sellers move at once are split over 16 stripes (the last byte of the
-- enrollment id) so two registrations rarely wait for each other's row lock; readers sum the
-- stripes. Upserts are sorted by key so concurrent ones lock rows in one order.
--
-- The outcome log is append-only: the rollups count inserts only.
-- Requires PostgreSQL 15 (`NULLS NOT DISTINCT`).

-- The stripe of an enrollment's counters.
CREATE FUNCTION cube_stripe(id uuid) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (get_byte(uuid_send(id), 15) & 15)::smallint;

-- Outcome events per grain ('hour' or 'day'), bucket (its UTC start) and tally key.
CREATE TABLE outcome_rollups (
    assignment_id uuid NOT NULL,
    grain         text NOT NULL CHECK (grain IN ('hour', 'day')),
    bucket        timestamptz NOT NULL,
    user_id       uuid,
    outcome_id    uuid,
    option        text,
    class         text NOT NULL,
    to_category   text NOT NULL,
    to_state      uuid NOT NULL,
    events        bigint NOT NULL,
    meetings      bigint NOT NULL,
    CONSTRAINT outcome_rollups_key UNIQUE NULLS NOT DISTINCT
        (assignment_id, grain, bucket, user_id, outcome_id, option, class, to_category, to_state)
);
-- Reports read a window's buckets with an index-only scan.
CREATE INDEX outcome_rollups_window ON outcome_rollups (assignment_id, grain, bucket)
    INCLUDE (user_id, outcome_id, option, class, to_category, to_state, events, meetings);

-- Sold product lines (events landing in a Yes state) per grain, bucket, tally key, product,
-- currency and price scale: units and minor units of value.
CREATE TABLE sales_rollups (
    assignment_id uuid NOT NULL,
    grain         text NOT NULL CHECK (grain IN ('hour', 'day')),
    bucket        timestamptz NOT NULL,
    user_id       uuid,
    outcome_id    uuid,
    option        text,
    class         text NOT NULL,
    to_state      uuid NOT NULL,
    product_id    uuid NOT NULL,
    currency      text NOT NULL,
    scale         smallint NOT NULL,
    units         bigint NOT NULL,
    minor_units   numeric NOT NULL,
    CONSTRAINT sales_rollups_key UNIQUE NULLS NOT DISTINCT
        (assignment_id, grain, bucket, user_id, outcome_id, option, class, to_state, product_id,
         currency, scale)
);
CREATE INDEX sales_rollups_window ON sales_rollups (assignment_id, grain, bucket)
    INCLUDE (user_id, outcome_id, option, class, to_state, product_id, currency, scale, units,
             minor_units);

-- Enrollments per state, category and attempts bucket, in stripes.
CREATE TABLE status_counts (
    assignment_id uuid NOT NULL,
    state_id      uuid NOT NULL,
    category      text NOT NULL,
    bucket        smallint NOT NULL,   -- LEAST(attempts, 2)
    stripe        smallint NOT NULL,
    customers     bigint NOT NULL,
    PRIMARY KEY (assignment_id, state_id, category, bucket, stripe)
);

-- Concluded enrollments per field and value of their customer, in stripes. Field key ''
-- holds the attempts count (a number), so its sums are every concluded enrollment; a
-- field's "no value" count is that total minus the field's values.
CREATE TABLE hit_counts (
    assignment_id uuid NOT NULL,
    field_key     text NOT NULL,
    value         jsonb NOT NULL,
    stripe        smallint NOT NULL,
    yes           bigint NOT NULL,
    no            bigint NOT NULL,
    PRIMARY KEY (assignment_id, field_key, value, stripe)
);

-- Adds outcome events (a transition table `added`) to `outcome_rollups`.
CREATE FUNCTION cube_roll_up_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outcome_rollups AS r (assignment_id, grain, bucket, user_id, outcome_id,
        option, class, to_category, to_state, events, meetings)
    SELECT e.assignment_id, g.grain, date_trunc(g.grain, e.occurred_at, 'UTC'), e.user_id,
           e.outcome_id, e.option, e.class, e.to_category, e.to_state, count(*),
           count(e.meeting_id)
    FROM added e CROSS JOIN (VALUES ('hour'), ('day')) AS g (grain)
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ON CONFLICT ON CONSTRAINT outcome_rollups_key DO UPDATE
        SET events = r.events + EXCLUDED.events, meetings = r.meetings + EXCLUDED.meetings;
    RETURN NULL;
END $$;

CREATE TRIGGER outcome_events_roll_up AFTER INSERT ON outcome_events
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION cube_roll_up_events();

-- Adds sold product lines (a transition table `added`) to `sales_rollups`.
CREATE FUNCTION cube_roll_up_sales() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sales_rollups AS r (assignment_id, grain, bucket, user_id, outcome_id, option,
        class, to_state, product_id, currency, scale, units, minor_units)
    SELECT l.assignment_id, g.grain, date_trunc(g.grain, l.occurred_at, 'UTC'), e.user_id,
           e.outcome_id, e.option, e.class, e.to_state, l.product_id, l.currency,
           l.unit_price_scale, sum(l.quantity), sum(l.quantity::numeric * l.unit_price_minor)
    FROM added l
    JOIN outcome_events e ON e.id = l.event_id
    CROSS JOIN (VALUES ('hour'), ('day')) AS g (grain)
    WHERE l.to_category = 'yes'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    ON CONFLICT ON CONSTRAINT sales_rollups_key DO UPDATE
        SET units = r.units + EXCLUDED.units, minor_units = r.minor_units + EXCLUDED.minor_units;
    RETURN NULL;
END $$;

CREATE TRIGGER event_product_lines_roll_up AFTER INSERT ON event_product_lines
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION cube_roll_up_sales();

-- One enrollment's contribution to the counters: `sign` 1 adds it, -1 takes it away.
-- `fields` is its customer's CRM field values (a JSON object; NULL when the enrollment is not
-- concluded or its customer is missing).
CREATE TYPE cube_enrollment_change AS (
    id            uuid,
    assignment_id uuid,
    state_id      uuid,
    category      text,
    attempts      bigint,
    fields        jsonb,
    sign          integer
);

-- Moves `status_counts` (when `with_status`) and `hit_counts` by `changes`; the attempts
-- rows of `hit_counts` only `with_attempts` (a customer's field change leaves them be).
CREATE FUNCTION cube_apply_enrollment_changes(
    changes cube_enrollment_change[], with_status boolean, with_attempts boolean
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF with_status THEN
        INSERT INTO status_counts AS s (assignment_id, state_id, category, bucket, stripe,
            customers)
        SELECT d.assignment_id, d.state_id, d.category, LEAST(d.attempts, 2),
               cube_stripe(d.id), sum(d.sign)
        FROM unnest(changes) AS d
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(d.sign) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (assignment_id, state_id, category, bucket, stripe) DO UPDATE
            SET customers = s.customers + EXCLUDED.customers;
    END IF;
    INSERT INTO hit_counts AS h (assignment_id, field_key, value, stripe, yes, no)
    SELECT v.assignment_id, v.field_key, v.value, v.stripe, sum(v.yes), sum(v.no)
    FROM (
        SELECT d.assignment_id, f.key AS field_key, f.value, cube_stripe(d.id) AS stripe,
               CASE WHEN d.category = 'yes' THEN d.sign ELSE 0 END AS yes,
               CASE WHEN d.category = 'no' THEN d.sign ELSE 0 END AS no
        FROM unnest(changes) AS d
        CROSS JOIN LATERAL jsonb_each(
            CASE WHEN jsonb_typeof(d.fields) = 'object' THEN d.fields
                 ELSE '{}'::jsonb END) AS f
        WHERE d.category IN ('yes', 'no')
        UNION ALL
        SELECT d.assignment_id, '', to_jsonb(d.attempts), cube_stripe(d.id),
               CASE WHEN d.category = 'yes' THEN d.sign ELSE 0 END,
               CASE WHEN d.category = 'no' THEN d.sign ELSE 0 END
        FROM unnest(changes) AS d
        WHERE with_attempts AND d.category IN ('yes', 'no')
    ) v
    GROUP BY 1, 2, 3, 4
    HAVING sum(v.yes) <> 0 OR sum(v.no) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (assignment_id, field_key, value, stripe) DO UPDATE
        SET yes = h.yes + EXCLUDED.yes, no = h.no + EXCLUDED.no;
END $$;

-- The CRM field values of a customer, for a concluded enrollment (else NULL).
CREATE FUNCTION cube_concluded_fields(customer uuid, category text) RETURNS jsonb
    LANGUAGE sql STABLE
    RETURN CASE WHEN category IN ('yes', 'no')
                THEN (SELECT c.data -> 'fields' FROM customers c WHERE c.id = customer) END;

CREATE FUNCTION cube_count_enrollments_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cube_apply_enrollment_changes(ARRAY(
        SELECT ROW(n.id, n.assignment_id, n.state_id, n.category, n.attempts,
                   cube_concluded_fields(n.customer_id, n.category), 1)::cube_enrollment_change
        FROM added n), true, true);
    RETURN NULL;
END $$;

CREATE FUNCTION cube_count_enrollments_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cube_apply_enrollment_changes(ARRAY(
        SELECT ROW(o.id, o.assignment_id, o.state_id, o.category, o.attempts,
                   cube_concluded_fields(o.customer_id, o.category), -1)::cube_enrollment_change
        FROM removed o), true, true);
    RETURN NULL;
END $$;

CREATE FUNCTION cube_count_enrollment_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cube_apply_enrollment_changes(ARRAY[
        ROW(OLD.id, OLD.assignment_id, OLD.state_id, OLD.category, OLD.attempts,
            cube_concluded_fields(OLD.customer_id, OLD.category), -1)::cube_enrollment_change,
        ROW(NEW.id, NEW.assignment_id, NEW.state_id, NEW.category, NEW.attempts,
            cube_concluded_fields(NEW.customer_id, NEW.category), 1)::cube_enrollment_change
    ], true, true);
    RETURN NULL;
END $$;

CREATE TRIGGER enrollments_count_added AFTER INSERT ON enrollments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION cube_count_enrollments_added();
CREATE TRIGGER enrollments_count_removed AFTER DELETE ON enrollments
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION cube_count_enrollments_removed();
-- Row by row, and only when a counted column really changes: taking and releasing
-- customers (the queue's updates) never reach the trigger.
CREATE TRIGGER enrollments_count_changed
    AFTER UPDATE OF assignment_id, customer_id, state_id, category, attempts ON enrollments
    FOR EACH ROW
    WHEN (OLD.assignment_id IS DISTINCT FROM NEW.assignment_id
          OR OLD.customer_id IS DISTINCT FROM NEW.customer_id
          OR OLD.state_id IS DISTINCT FROM NEW.state_id
          OR OLD.category IS DISTINCT FROM NEW.category
          OR OLD.attempts IS DISTINCT FROM NEW.attempts)
    EXECUTE FUNCTION cube_count_enrollment_changed();

-- A customer's field values moved: their concluded enrollments move between values.
CREATE FUNCTION cube_count_customers_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cube_apply_enrollment_changes(ARRAY(
        SELECT ROW(e.id, e.assignment_id, e.state_id, e.category, e.attempts,
                   c.data -> 'fields', 1)::cube_enrollment_change
        FROM added c JOIN enrollments e ON e.customer_id = c.id
        WHERE e.category IN ('yes', 'no')), false, false);
    RETURN NULL;
END $$;

CREATE FUNCTION cube_count_customers_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cube_apply_enrollment_changes(ARRAY(
        SELECT ROW(e.id, e.assignment_id, e.state_id, e.category, e.attempts,
                   c.data -> 'fields', -1)::cube_enrollment_change
        FROM removed c JOIN enrollments e ON e.customer_id = c.id
        WHERE e.category IN ('yes', 'no')), false, false);
    RETURN NULL;
END $$;

CREATE FUNCTION cube_count_customer_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM cube_apply_enrollment_changes(ARRAY(
        SELECT ROW(e.id, e.assignment_id, e.state_id, e.category, e.attempts,
                   OLD.data -> 'fields', -1)::cube_enrollment_change
        FROM enrollments e
        WHERE e.customer_id = OLD.id AND e.category IN ('yes', 'no')
        UNION ALL
        SELECT ROW(e.id, e.assignment_id, e.state_id, e.category, e.attempts,
                   NEW.data -> 'fields', 1)::cube_enrollment_change
        FROM enrollments e
        WHERE e.customer_id = NEW.id AND e.category IN ('yes', 'no')), false, false);
    RETURN NULL;
END $$;

CREATE TRIGGER customers_count_added AFTER INSERT ON customers
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT
    EXECUTE FUNCTION cube_count_customers_added();
CREATE TRIGGER customers_count_removed AFTER DELETE ON customers
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION cube_count_customers_removed();
CREATE TRIGGER customers_count_changed AFTER UPDATE OF id, data ON customers
    FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id
          OR OLD.data -> 'fields' IS DISTINCT FROM NEW.data -> 'fields')
    EXECUTE FUNCTION cube_count_customer_changed();

-- The counts of what is already stored.
INSERT INTO outcome_rollups (assignment_id, grain, bucket, user_id, outcome_id, option, class,
    to_category, to_state, events, meetings)
SELECT e.assignment_id, g.grain, date_trunc(g.grain, e.occurred_at, 'UTC'), e.user_id,
       e.outcome_id, e.option, e.class, e.to_category, e.to_state, count(*), count(e.meeting_id)
FROM outcome_events e CROSS JOIN (VALUES ('hour'), ('day')) AS g (grain)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

INSERT INTO sales_rollups (assignment_id, grain, bucket, user_id, outcome_id, option, class,
    to_state, product_id, currency, scale, units, minor_units)
SELECT l.assignment_id, g.grain, date_trunc(g.grain, l.occurred_at, 'UTC'), e.user_id,
       e.outcome_id, e.option, e.class, e.to_state, l.product_id, l.currency,
       l.unit_price_scale, sum(l.quantity), sum(l.quantity::numeric * l.unit_price_minor)
FROM event_product_lines l
JOIN outcome_events e ON e.id = l.event_id
CROSS JOIN (VALUES ('hour'), ('day')) AS g (grain)
WHERE l.to_category = 'yes'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;

SELECT cube_apply_enrollment_changes(ARRAY(
    SELECT ROW(e.id, e.assignment_id, e.state_id, e.category, e.attempts,
               cube_concluded_fields(e.customer_id, e.category), 1)::cube_enrollment_change
    FROM enrollments e), true, true);
