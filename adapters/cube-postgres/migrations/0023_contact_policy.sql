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
