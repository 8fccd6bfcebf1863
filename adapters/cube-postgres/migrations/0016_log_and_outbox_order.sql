-- Reading the whole outcome log and the whole outbox in append order, a page at a time
-- (`OutcomeLog::events_after`, `OutboxRepository::messages_after`: copying a store into
-- another). `seq` is each table's append order; without an index every page would scan
-- the table. The rows are appended with an ever-growing `seq`, so each index only grows at
-- its right edge.
CREATE INDEX outcome_events_seq ON outcome_events (seq); -- the log in append order
CREATE INDEX outbox_seq ON outbox (seq);                 -- the outbox in enqueue order
