-- The least SQL a seller's cycle needs: the limit `cargo xtask bench cycle` measures Cube's
-- cycle against (the team's reference, kept beside the bench so a clean checkout can run it).
-- A bare enrollment table and an append-only outcome log, with the indexes the cycle reads;
-- no triggers, no policy, no product lines. psql variable `rows`: the enrollments loaded.
DROP TABLE IF EXISTS outcome_event, enrollment;
CREATE TABLE enrollment (
  id bigserial PRIMARY KEY,
  assignment_id int NOT NULL,
  state smallint NOT NULL DEFAULT 0,
  available boolean NOT NULL DEFAULT true,
  priority int NOT NULL DEFAULT 0,
  attempts int NOT NULL DEFAULT 0,
  eligible_at timestamptz NOT NULL DEFAULT '-infinity',
  reserved_by int,
  reserved_until timestamptz,
  follow_up_at timestamptz,
  follow_up_owner int
);
CREATE TABLE outcome_event (
  id bigserial PRIMARY KEY,
  enrollment_id bigint NOT NULL,
  assignment_id int NOT NULL,
  user_id int NOT NULL,
  outcome smallint NOT NULL,
  progress boolean NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO enrollment (assignment_id, priority)
SELECT 1 + (g % 10), ((g::bigint * 7919) % 1000)::int FROM generate_series(1, :rows) g;
CREATE INDEX enrollment_ready ON enrollment (assignment_id, priority, id)
  WHERE available AND follow_up_at IS NULL;
CREATE INDEX enrollment_follow_up ON enrollment (assignment_id, follow_up_at)
  WHERE follow_up_at IS NOT NULL;
CREATE INDEX outcome_event_time ON outcome_event (assignment_id, occurred_at)
  INCLUDE (outcome, progress);
VACUUM ANALYZE;
