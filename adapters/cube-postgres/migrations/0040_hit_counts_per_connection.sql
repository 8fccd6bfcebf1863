-- The hit counters striped by connection too, as the status counters are since 0026
-- (issue 19).
--
-- 0026 kept `hit_counts` on the enrollment's stripe (16 stripes), expecting concluded
-- customers to meet rarely on a row per field value. They do not: every concluded customer
-- moves the attempts row of its attempts count (field key '', a handful of values) and the
-- rows of its CRM values, which a call list has few of, so two sellers concluding at once
-- met on a stripe and the second waited for the first's row lock until its COMMIT. Measured
-- with `pg_stat_statements` over the storage bench's cycle (docs/performance.md): the hit
-- counters' upsert took 1.16 ms a call for 15 pages, the status counters' beside it 0.33 ms.
-- Striped by the connection's server process, two registrations meet only when two
-- connections' pids share their low six bits.
--
-- Readers sum every stripe and a stripe's count alone means nothing, so the rows written
-- under the enrollment's stripe stay valid as they are.

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
        SELECT d.assignment_id, f.key AS field_key, f.value, cube_connection_stripe() AS stripe,
               CASE WHEN d.category = 'yes' THEN d.sign ELSE 0 END AS yes,
               CASE WHEN d.category = 'no' THEN d.sign ELSE 0 END AS no
        FROM unnest(changes) AS d
        CROSS JOIN LATERAL jsonb_each(
            CASE WHEN jsonb_typeof(d.fields) = 'object' THEN d.fields
                 ELSE '{}'::jsonb END) AS f
        WHERE d.category IN ('yes', 'no')
        UNION ALL
        SELECT d.assignment_id, '', to_jsonb(d.attempts), cube_connection_stripe(),
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
