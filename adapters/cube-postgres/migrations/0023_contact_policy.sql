-- The contact policy (issue 18): what "next customer" needs of a customer beside its
-- enrollment, kept in columns so the queue's statement can test them with one probe of the
-- customer's primary key. Both are written by the adapter from the customer's `contact`
-- standing (`Customer::contact_facts`): `contact_block` is 'do_not_call' (the data owner's
-- own list) or 'reserved' (a consumer reserved in the register without an exemption), and
-- `register_checked` the day of the last check against the reservation register.
-- Customers stored before have no standing: both NULL.
ALTER TABLE customers
    ADD COLUMN contact_block text CHECK (contact_block IN ('do_not_call', 'reserved')),
    ADD COLUMN register_checked date;
-- A data owner may cap the calls to one customer in a day across its assignments: "next
-- customer" counts the customer's outcomes registered by a person since the start of the
-- day, a range of this index per candidate.
CREATE INDEX outcome_events_by_customer ON outcome_events (customer_id, occurred_at)
    WHERE user_id IS NOT NULL;
-- The same facts again on each of the customer's enrollments, so "next customer" tests a
-- candidate row by its own columns: a probe of the customer for every row the queue walks
-- (also the rows other sellers hold, skipped after the test) cost next customer 12-15%
-- (docs/performance.md). Kept by the triggers below, whichever statement writes: an
-- enrollment takes its customer's facts when inserted; a customer whose facts change hands
-- them to its enrollments. `consumer`: the customer is a person (dataset B2c).
ALTER TABLE enrollments
    ADD COLUMN consumer boolean NOT NULL DEFAULT false,
    ADD COLUMN contact_block text,
    ADD COLUMN register_checked date;
UPDATE enrollments e SET consumer = true
FROM customers c WHERE c.id = e.customer_id AND c.dataset = 'B2c';

CREATE FUNCTION cube_enrollment_contact_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.dataset = 'B2c', c.contact_block, c.register_checked
    INTO NEW.consumer, NEW.contact_block, NEW.register_checked
    FROM customers c WHERE c.id = NEW.customer_id;
    NEW.consumer := COALESCE(NEW.consumer, false);
    RETURN NEW;
END $$;
CREATE TRIGGER enrollments_contact_facts BEFORE INSERT ON enrollments
    FOR EACH ROW EXECUTE FUNCTION cube_enrollment_contact_facts();

CREATE FUNCTION cube_customer_contact_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enrollments
    SET consumer = NEW.dataset = 'B2c', contact_block = NEW.contact_block,
        register_checked = NEW.register_checked
    WHERE customer_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER customers_contact_facts
    AFTER UPDATE OF dataset, contact_block, register_checked ON customers
    FOR EACH ROW
    WHEN (OLD.dataset IS DISTINCT FROM NEW.dataset
          OR OLD.contact_block IS DISTINCT FROM NEW.contact_block
          OR OLD.register_checked IS DISTINCT FROM NEW.register_checked)
    EXECUTE FUNCTION cube_customer_contact_facts();
