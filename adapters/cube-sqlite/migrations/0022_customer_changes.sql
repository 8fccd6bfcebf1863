-- Changes in a customer's history (issue 14: card edits, meetings cancelled or moved), as
-- PostgreSQL's migration 0022. The rowid (`seq`) breaks
-- ties of one instant in the order recorded. (`IF NOT EXISTS`: a test fills a store at an
-- older version with today's fixture, which records customer changes, and creates the table
-- from this file first.)
CREATE TABLE IF NOT EXISTS customer_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE, -- CustomerId
    changed_at  INTEGER NOT NULL,      -- unix ns
    doc         TEXT NOT NULL          -- customer::CustomerChange
);
CREATE INDEX IF NOT EXISTS customer_changes_by_customer
    ON customer_changes (customer_id, changed_at, seq);
