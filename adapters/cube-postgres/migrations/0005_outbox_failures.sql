-- Outbox delivery that keeps its failures: a message the provider could not take waits
-- (attempts counted, due again later), a round claims the messages it sends
-- (`FOR UPDATE SKIP LOCKED` and a due time in the future, so two server processes never
-- send the same message at once), and a message refused for good is kept as failed with
-- the reason instead of looking delivered.
ALTER TABLE outbox
    ADD COLUMN attempts      integer NOT NULL DEFAULT 0, -- failed tries (provider unavailable)
    ADD COLUMN due_at        timestamptz,                -- not claimed before; NULL = due
    ADD COLUMN failed_at     timestamptz,                -- when it failed (store bookkeeping)
    ADD COLUMN failed_reason text;                       -- set once failed: never pending again
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (created_at, seq)
    WHERE delivered_at IS NULL AND failed_reason IS NULL;
CREATE INDEX outbox_failed ON outbox (created_at, seq) WHERE failed_reason IS NOT NULL;
