-- The report rollups' upserts become HOT updates (issue 19: the WAL a cycle writes).
--
-- Every outcome moves two `outcome_rollups` rows (its hour and its day), and every sold
-- product line two `sales_rollups` rows. Their window indexes carried the counts in
-- `INCLUDE` so a report read them without the heap; but an update that changes a column of
-- any index is not HOT: PostgreSQL writes a new entry into *every* index of the table. So
-- each upsert wrote four index entries and their WAL: 1,029 bytes in 8.6 WAL records an
-- outcome, a fifth of a cycle's WAL (docs/performance.md, "Planning, stripes and the WAL").
--
-- The window indexes go. The tables' unique keys start with the same three columns
-- (assignment, grain, bucket), so a report's pieces are range scans of the key index that
-- read the counts from the heap — a few hundred rows for a month of an assignment. No index
-- holds a count any more, so with room on the page (fillfactor 50: the tables are small,
-- and their rows are rewritten all day) an upsert is a HOT update and writes no index entry.
DROP INDEX outcome_rollups_window;
DROP INDEX sales_rollups_window;
ALTER TABLE outcome_rollups SET (fillfactor = 50);
ALTER TABLE sales_rollups SET (fillfactor = 50);
