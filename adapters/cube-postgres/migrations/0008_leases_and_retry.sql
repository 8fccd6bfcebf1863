-- Leases, retry delays and idempotency keys (issue 11, "Idempotency and leases").
--
-- The retry delay is the assignment's current setting (a setup change applies at once), so
-- an enrollment keeps when its NoAnswer happened instead of a retry time computed with the
-- delay of that moment. A row with a retry time had NoAnswer as its last outcome, whose time
-- is `last_contact`. The ready pool's partial indexes do not read the column: "next" still
-- walks them from the front and filters `no_answer_at <= now - retry delay` as it went.
ALTER TABLE enrollments RENAME COLUMN retry_at TO no_answer_at; -- last outcome's time if it was NoAnswer
UPDATE enrollments SET no_answer_at = last_contact WHERE no_answer_at IS NOT NULL;

-- "Next customer" hands a seller back the customer they hold first, and the status report
-- counts the customers held now: both read the reservations of one assignment. Reserving
-- now changes an indexed column, so a reservation is no longer a HOT update; the price of
-- never losing a held customer, and of seeing stuck reservations.
CREATE INDEX enrollments_reserved ON enrollments (assignment_id, reserved_by, reserved_until)
    WHERE reserved_by IS NOT NULL;

-- An idempotency key belongs to the user who sent it (another seller's retry with the same
-- key is a request of their own), and is kept with the fingerprint of its request, so a key
-- reused for a different request is refused instead of answered with the first result.
ALTER TABLE outcome_events ADD COLUMN request_fingerprint text; -- SHA-256 (hex) of the keyed request; NULL: keyed before
DROP INDEX outcome_events_idempotency_key;
CREATE UNIQUE INDEX outcome_events_idempotency_key
    ON outcome_events (assignment_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
