-- `fold_case` now NFC-normalises before lower-casing, so a search for "Åse" typed with a
-- composed Å finds a customer stored with a combining ring (and the other way round).
-- Search texts written before are folded the old way: forget them, and
-- `SqliteStore::migrate` fills every NULL again, in batches, after the migrations ran.
UPDATE customers SET search_text = NULL;   -- search_text: Customer::search_text, refilled
