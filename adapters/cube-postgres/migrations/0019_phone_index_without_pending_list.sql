-- An import matches every row by phone through `customers_phones` (GIN). With GIN's fast
-- update, the entries of new customers wait in a pending list that every lookup reads whole
-- until (auto)vacuum merges it: on a fresh database, the demo's import of 30,000 customers
-- took 46 s, each 2,000-row chunk's phone lookups ~1.8 ms apiece. Without it an insert
-- updates the index at once (a customer has a phone or two: a few entries) and a lookup
-- reads the index only. The trigram index of customer search keeps fast update: its
-- entries are many per customer, and search is not on an import's path.
ALTER INDEX customers_phones SET (fastupdate = off);
SELECT gin_clean_pending_list('customers_phones');
