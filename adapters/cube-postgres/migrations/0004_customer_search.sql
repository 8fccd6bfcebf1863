-- Finding customers in a data owner's register (`CustomerRepository::customers` with a
-- `CustomerFilter`): the dataset as a column, and the customer's search text
-- (`Customer::search_text`, folded in Rust so every store folds alike), written with the
-- customer. Rows stored before this migration get their search text from
-- `PgStore::migrate`, which fills every NULL after the migrations ran.
ALTER TABLE customers
    ADD COLUMN dataset text,       -- Dataset as serialised: 'B2b' or 'B2c'
    ADD COLUMN search_text text;   -- Customer::search_text; NULL = not yet filled
UPDATE customers SET dataset = data ->> 'dataset';

-- Each searched word is a `LIKE '%word%'`; a trigram index answers those without reading
-- every customer of the data owner. pg_trgm ships with PostgreSQL (contrib) and is a trusted
-- extension (PostgreSQL 13+): a database owner may create it. Where it is missing or may
-- not be created, search still works, reading the data owner's customers instead.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX customers_search ON customers USING gin (search_text gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'customers_search index not created (%): customer search reads every customer of the data owner', SQLERRM;
END
$$;
