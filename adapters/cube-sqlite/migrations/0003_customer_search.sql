-- Finding customers in a data owner's register (`CustomerRepository::customers` with a
-- `CustomerFilter`): the dataset as a column, and the customer's search text
-- (`Customer::search_text`, folded in Rust — SQLite's `lower` knows ASCII only), written
-- with the customer. Rows stored before this migration get their search text from
-- `SqliteStore::migrate`, which fills every NULL after the migrations ran.
ALTER TABLE customers ADD COLUMN dataset TEXT;       -- Dataset as serialised: 'B2b' or 'B2c'
ALTER TABLE customers ADD COLUMN search_text TEXT;   -- Customer::search_text; NULL = not yet filled
UPDATE customers SET dataset = json_extract(doc, '$.dataset');
