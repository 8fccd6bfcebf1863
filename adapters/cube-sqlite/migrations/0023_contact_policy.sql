-- The contact policy (issue 18): what "next customer" needs of a customer beside its
-- enrollment, kept in columns so the queue's statement can test them with one probe of the
-- customer's primary key. Both are written by the adapter from the customer's `contact`
-- standing (`Customer::contact_facts`): `contact_block` is 'do_not_call' (the data owner's
-- own list) or 'reserved' (a consumer reserved in the register without an exemption), and
-- `register_checked` the day of the last check against the reservation register as
-- 'YYYY-MM-DD' text (which sorts as the days do). Customers stored before have no
-- standing: both NULL.
ALTER TABLE customers ADD COLUMN contact_block TEXT
    CHECK (contact_block IN ('do_not_call', 'reserved'));
ALTER TABLE customers ADD COLUMN register_checked TEXT;
-- A data owner may cap the calls to one customer in a day across its assignments: "next
-- customer" counts the customer's outcomes registered by a person since the start of the
-- day, a range of this index per candidate.
CREATE INDEX outcome_events_by_customer ON outcome_events (customer_id, occurred_at)
    WHERE user_id IS NOT NULL;
-- The same facts again on each of the customer's enrollments, so "next customer" tests a
-- candidate row by its own columns instead of probing the customer for every row it walks.
-- Kept by the triggers below, whichever statement writes: an enrollment takes its
-- customer's facts when inserted; a customer whose facts change hands them to its
-- enrollments. `consumer`: 1 when the customer is a person (dataset B2c).
ALTER TABLE enrollments ADD COLUMN consumer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN contact_block TEXT;
ALTER TABLE enrollments ADD COLUMN register_checked TEXT;
UPDATE enrollments SET consumer = 1
WHERE customer_id IN (SELECT id FROM customers WHERE dataset = 'B2c');

CREATE TRIGGER enrollments_contact_facts AFTER INSERT ON enrollments
BEGIN
    UPDATE enrollments
    SET consumer = COALESCE((SELECT c.dataset = 'B2c' FROM customers AS c
                             WHERE c.id = NEW.customer_id), 0),
        contact_block = (SELECT c.contact_block FROM customers AS c WHERE c.id = NEW.customer_id),
        register_checked = (SELECT c.register_checked FROM customers AS c
                            WHERE c.id = NEW.customer_id)
    WHERE id = NEW.id;
END;

CREATE TRIGGER customers_contact_facts
AFTER UPDATE OF dataset, contact_block, register_checked ON customers
WHEN OLD.dataset IS NOT NEW.dataset OR OLD.contact_block IS NOT NEW.contact_block
  OR OLD.register_checked IS NOT NEW.register_checked
BEGIN
    UPDATE enrollments
    SET consumer = (NEW.dataset = 'B2c'), contact_block = NEW.contact_block,
        register_checked = NEW.register_checked
    WHERE customer_id = NEW.id;
END;
