-- The status counters striped by connection, not by enrollment (issue 19).
--
-- Every registration moves two `status_counts` rows (its customer's state and attempts bucket
-- before and after), and the sellers of one assignment all move the same few states. Striped
-- by the enrollment's last byte (16 stripes), two of 32 sellers' registrations met on a
-- stripe most of the time, and the second waited for the first's row lock until its COMMIT:
-- the upsert's median is 0.06 ms and its mean 2.66 ms (docs/performance.md, "Where the
-- cycle's database time goes"). A connection runs one transaction at a time, so striped by
-- the server process behind the connection (its pid, 64 stripes) two registrations meet only
-- when two connections' pids share their low six bits.
--
-- Readers already sum every stripe, and a stripe's count alone means nothing (an enrollment
-- counted +1 on one stripe may be taken away on another), so rows written under the old
-- stripes stay valid as they are. `hit_counts` keep the enrollment's stripe: only concluded
-- customers move them, and their rows are per field value, so they rarely meet.

-- The stripe of the connection's current server process: 0–63.
CREATE FUNCTION cube_connection_stripe() RETURNS smallint
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    RETURN (pg_backend_pid() & 63)::smallint;

CREATE OR REPLACE FUNCTION cube_apply_enrollment_changes(
    changes cube_enrollment_change[], with_status boolean, with_attempts boolean
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF with_status THEN
        INSERT INTO status_counts AS s (assignment_id, state_id, category, bucket, stripe,
            customers)
        SELECT d.assignment_id, d.state_id, d.category, LEAST(d.attempts, 2),
               cube_connection_stripe(), sum(d.sign)
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
