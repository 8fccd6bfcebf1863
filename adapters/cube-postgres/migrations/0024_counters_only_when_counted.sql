-- The report counters move only when what they count moves (issue 19: the counters' share of
-- the seller's cycle). Every registration raises an enrollment's `attempts`, and the row
-- trigger of version 3 ran on each: two statements of `cube_apply_enrollment_changes` whose
-- result was most often nothing. What the counters hold of `attempts` is the status report's
-- bucket (0, 1, 2+) and, for concluded enrollments only, the hit analysis's attempts count;
-- SQLite's triggers (its version 17) were written that way from the start.
DROP TRIGGER enrollments_count_changed ON enrollments;
CREATE TRIGGER enrollments_count_changed
    AFTER UPDATE OF assignment_id, customer_id, state_id, category, attempts ON enrollments
    FOR EACH ROW
    WHEN (OLD.assignment_id IS DISTINCT FROM NEW.assignment_id
          OR OLD.customer_id IS DISTINCT FROM NEW.customer_id
          OR OLD.state_id IS DISTINCT FROM NEW.state_id
          OR OLD.category IS DISTINCT FROM NEW.category
          OR LEAST(OLD.attempts, 2) IS DISTINCT FROM LEAST(NEW.attempts, 2)
          OR (OLD.attempts IS DISTINCT FROM NEW.attempts
              AND (OLD.category IN ('yes', 'no') OR NEW.category IN ('yes', 'no'))))
    EXECUTE FUNCTION cube_count_enrollment_changed();

-- The hit counts hold concluded enrollments only: a change among open ones skips their
-- statement (the status counts still move).
CREATE OR REPLACE FUNCTION cube_apply_enrollment_changes(
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
    IF NOT EXISTS (SELECT 1 FROM unnest(changes) AS d WHERE d.category IN ('yes', 'no')) THEN
        RETURN;
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
