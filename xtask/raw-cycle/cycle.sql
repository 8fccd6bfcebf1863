-- One seller's cycle, run by pgbench: claim the next ready customer of assignment 1..10 (SKIP
-- LOCKED), then in one transaction append a NoAnswer and update the enrollment.
\set seller random(1, 100000)
\set a random(1, 10)
WITH c AS (
  SELECT id FROM enrollment
  WHERE assignment_id = :a AND available AND follow_up_at IS NULL
    AND eligible_at <= now() AND (reserved_until IS NULL OR reserved_until < now())
  ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE enrollment e SET reserved_by = :seller, reserved_until = now() + interval '15 minutes'
FROM c WHERE e.id = c.id RETURNING e.id \gset claimed_
BEGIN;
INSERT INTO outcome_event (enrollment_id, assignment_id, user_id, outcome, progress)
VALUES (:claimed_id, :a, :seller, 1, false);
UPDATE enrollment SET attempts = attempts + 1, reserved_by = NULL, reserved_until = NULL,
  priority = priority + 1000, eligible_at = now() + interval '30 minutes'
WHERE id = :claimed_id AND reserved_by = :seller;
COMMIT;
