-- Changes in a customer's history beside the outcomes (issue 14): the card edited (seed 000
-- item 7: who, when, which fields; the card holds the values) and meetings cancelled or
-- moved (seed 001). `seq` breaks ties of one instant in the order recorded.
CREATE TABLE customer_changes (
    seq         bigserial PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    changed_at  timestamptz NOT NULL,
    data        jsonb NOT NULL            -- customer::CustomerChange
);
CREATE INDEX customer_changes_by_customer
    ON customer_changes (customer_id, changed_at, seq);
