-- The outcome list's pages in one index range each (issue 16: found by the 1,000,000-outcome
-- export on PostgreSQL).
--
-- The outcome list (the web app's list, the API's pages and every export of concrete outcomes)
-- reads a window in (occurred_at, seq) order, a page at a time after the last row of the page
-- before. `outcome_events_window` held (assignment_id, occurred_at) only, so the order could
-- not come from the index: every page read the rest of the window, sorted it and kept the
-- first rows. Measured on an assignment of 1,000,000 outcomes (`EXPLAIN (ANALYZE, BUFFERS)`,
-- a page of 2,000 after the 600,000th): 2.8–3.2 s a page, a 339 MB sort on disk, so an export
-- of the window took some 25 minutes of pages. With `seq` in the key the page is one range
-- of the index from the row after the last one: 7.7 ms.
--
-- The same columns are still included, so the reports' tallies stay index-only scans. The
-- index is replaced, not added: an outcome's insert keeps the same number of indexes.

DROP INDEX outcome_events_window;
CREATE INDEX outcome_events_window ON outcome_events (assignment_id, occurred_at, seq)
    INCLUDE (user_id, outcome_id, option, class, to_category, to_state, meeting_id);
