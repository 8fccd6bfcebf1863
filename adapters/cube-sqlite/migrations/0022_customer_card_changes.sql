-- Changes of a customer's card (issue 14, seed 000 item 7), as PostgreSQL's migration 0022:
-- who changed which fields, and when; the card holds the values. The rowid (`seq`) breaks
-- ties of one instant in the order recorded. (`IF NOT EXISTS`: a test fills a store at an
-- older version with today's fixture, which records card changes, and creates the table
-- from this file first.)
CREATE TABLE IF NOT EXISTS customer_card_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE, -- CustomerId
    changed_at  INTEGER NOT NULL,      -- unix ns
    doc         TEXT NOT NULL          -- customer::CardChange
);
CREATE INDEX IF NOT EXISTS customer_card_changes_by_customer
    ON customer_card_changes (customer_id, changed_at, seq);
