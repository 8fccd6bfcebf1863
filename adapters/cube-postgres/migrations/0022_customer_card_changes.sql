-- Changes of a customer's card (issue 14, seed 000 item 7): who changed which fields, and
-- when. The customer's history lists them beside the outcomes. The values are not kept: the
-- card holds the current ones. `seq` breaks ties of one instant in the order recorded.
CREATE TABLE customer_card_changes (
    seq         bigserial PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    changed_at  timestamptz NOT NULL,
    data        jsonb NOT NULL            -- customer::CardChange
);
CREATE INDEX customer_card_changes_by_customer
    ON customer_card_changes (customer_id, changed_at, seq);
