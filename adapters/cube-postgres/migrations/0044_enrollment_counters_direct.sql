-- The counters' row trigger on enrollments writes its two upserts directly (issue 19).
--
-- A registration that moves a counted value fires `enrollments_count_changed` for one row.
-- Until now its function built an array of two `cube_enrollment_change` rows (looking the
-- customer's fields up once per row), then called `cube_apply_enrollment_changes`, which
-- unnested the array in a `NOT EXISTS` probe and in each upsert, grouped it and sorted it:
-- measured with `pg_stat_statements` over the storage bench's cycle (docs/performance.md),
-- the trigger took 0.42 ms a registration while its two upserts took 0.18 ms.
--
-- For one row the work is known in advance: the status counts move only when the
-- (assignment, state, category, attempts bucket) key moves, -1 on the old key and +1 on the
-- new; the hit counts only when the enrollment is or was concluded, from its customer's
-- fields read once. So this function writes exactly those rows from `OLD` and `NEW`, with the
-- same keys, signs, stripes (the connection's) and lock order (keys sorted) as
-- `cube_apply_enrollment_changes`, which the statement triggers (inserts, deletes, customers'
-- field changes: many rows at once) keep using.

CREATE OR REPLACE FUNCTION cube_count_enrollment_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    connection_stripe smallint := cube_connection_stripe();
    old_concluded boolean := OLD.category IN ('yes', 'no');
    new_concluded boolean := NEW.category IN ('yes', 'no');
    old_fields jsonb := '{}';
    new_fields jsonb := '{}';
BEGIN
    -- Status counts: nothing moves when the key stays (a concluded customer's attempts
    -- beyond the 2+ bucket).
    IF (OLD.assignment_id, OLD.state_id, OLD.category, LEAST(OLD.attempts, 2))
       IS DISTINCT FROM (NEW.assignment_id, NEW.state_id, NEW.category, LEAST(NEW.attempts, 2))
    THEN
        INSERT INTO status_counts AS s (assignment_id, state_id, category, bucket, stripe,
            customers)
        SELECT d.assignment_id, d.state_id, d.category, d.bucket, connection_stripe, d.sign
        FROM (VALUES
            (OLD.assignment_id, OLD.state_id, OLD.category, LEAST(OLD.attempts, 2)::smallint, -1),
            (NEW.assignment_id, NEW.state_id, NEW.category, LEAST(NEW.attempts, 2)::smallint, 1)
        ) AS d (assignment_id, state_id, category, bucket, sign)
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (assignment_id, state_id, category, bucket, stripe) DO UPDATE
            SET customers = s.customers + EXCLUDED.customers;
    END IF;

    -- Hit counts hold concluded enrollments only.
    IF NOT (old_concluded OR new_concluded) THEN
        RETURN NULL;
    END IF;
    IF old_concluded THEN
        SELECT c.data -> 'fields' INTO old_fields FROM customers c WHERE c.id = OLD.customer_id;
    END IF;
    IF new_concluded THEN
        IF old_concluded AND NEW.customer_id = OLD.customer_id THEN
            new_fields := old_fields;
        ELSE
            SELECT c.data -> 'fields' INTO new_fields FROM customers c
            WHERE c.id = NEW.customer_id;
        END IF;
    END IF;
    -- A missing customer, or fields that are not an object, count no field values.
    IF jsonb_typeof(old_fields) IS DISTINCT FROM 'object' THEN
        old_fields := '{}';
    END IF;
    IF jsonb_typeof(new_fields) IS DISTINCT FROM 'object' THEN
        new_fields := '{}';
    END IF;
    -- The old side taken away and the new side added; what both sides hold alike (the
    -- same customer's fields, concluded the same way) cancels out and is not written.
    INSERT INTO hit_counts AS h (assignment_id, field_key, value, stripe, yes, no)
    SELECT v.assignment_id, v.field_key, v.value, connection_stripe, sum(v.yes), sum(v.no)
    FROM (
        SELECT OLD.assignment_id AS assignment_id, f.key AS field_key, f.value AS value,
               CASE WHEN OLD.category = 'yes' THEN -1 ELSE 0 END AS yes,
               CASE WHEN OLD.category = 'no' THEN -1 ELSE 0 END AS no
        FROM jsonb_each(old_fields) AS f
        WHERE old_concluded
        UNION ALL
        SELECT OLD.assignment_id, '', to_jsonb(OLD.attempts),
               CASE WHEN OLD.category = 'yes' THEN -1 ELSE 0 END,
               CASE WHEN OLD.category = 'no' THEN -1 ELSE 0 END
        WHERE old_concluded
        UNION ALL
        SELECT NEW.assignment_id, f.key, f.value,
               CASE WHEN NEW.category = 'yes' THEN 1 ELSE 0 END,
               CASE WHEN NEW.category = 'no' THEN 1 ELSE 0 END
        FROM jsonb_each(new_fields) AS f
        WHERE new_concluded
        UNION ALL
        SELECT NEW.assignment_id, '', to_jsonb(NEW.attempts),
               CASE WHEN NEW.category = 'yes' THEN 1 ELSE 0 END,
               CASE WHEN NEW.category = 'no' THEN 1 ELSE 0 END
        WHERE new_concluded
    ) AS v
    GROUP BY 1, 2, 3
    HAVING sum(v.yes) <> 0 OR sum(v.no) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (assignment_id, field_key, value, stripe) DO UPDATE
        SET yes = h.yes + EXCLUDED.yes, no = h.no + EXCLUDED.no;
    RETURN NULL;
END $$;
