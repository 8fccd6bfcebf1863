-- Outbox delivery that keeps its failures: a message the provider could not take waits
-- (attempts counted, due again later), a round claims the messages it sends (so a second
-- server process on the same file does not send them too), and a message refused for good
-- is kept as failed with the reason instead of looking delivered.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0; -- failed tries (provider unavailable)
ALTER TABLE outbox ADD COLUMN due_at INTEGER;                      -- unix ns: not claimed before; NULL = due
ALTER TABLE outbox ADD COLUMN failed_reason TEXT;                  -- set once failed: never pending again
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (created_at, seq) WHERE delivered = 0 AND failed_reason IS NULL;
CREATE INDEX outbox_failed ON outbox (created_at, seq) WHERE failed_reason IS NOT NULL;
