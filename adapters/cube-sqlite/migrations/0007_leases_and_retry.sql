-- Leases, retry delays and idempotency keys (issue 11, "Idempotency and leases").
--
-- The retry delay is the assignment's current setting (a setup change applies at once), so
-- an enrollment keeps when its NoAnswer happened instead of a retry time computed with the
-- delay of that moment. A row with a retry time had NoAnswer as its last outcome, whose time
-- is `last_contact`.
ALTER TABLE enrollments RENAME COLUMN retry_at TO no_answer_at; -- unix ns of the last outcome if it was NoAnswer
UPDATE enrollments SET no_answer_at = last_contact WHERE no_answer_at IS NOT NULL;

-- "Next customer" hands a seller back the customer they hold first, and the status report
-- counts the customers held now: both read the reservations of one assignment.
CREATE INDEX enrollments_reserved ON enrollments (assignment_id, reserved_by, reserved_until)
    WHERE reserved_by IS NOT NULL;

-- An idempotency key belongs to the user who sent it (another seller's retry with the same
-- key is a request of their own), and is kept with the fingerprint of its request, so a key
-- reused for a different request is refused instead of answered with the first result. The
-- table's `UNIQUE (assignment_id, idempotency_key)` cannot be dropped without rebuilding
-- the table, so the keys move to a new column with its own unique index; `idempotency_key`
-- is no longer written.
ALTER TABLE outcome_events ADD COLUMN request_key TEXT;         -- the client's Idempotency-Key
ALTER TABLE outcome_events ADD COLUMN request_fingerprint TEXT; -- SHA-256 (hex) of its request; NULL: keyed before
UPDATE outcome_events SET request_key = idempotency_key, idempotency_key = NULL
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX outcome_events_request_key ON outcome_events (assignment_id, user_id, request_key)
    WHERE request_key IS NOT NULL;
