-- 0041: a company's organisation number as an import key (issue 16: "duplicates merged or
-- skipped by external id, organisation number or phone, as chosen"). Never edit once
-- applied: add a new numbered migration.
--
-- An import finds the company a row is by its organisation number (after the external id,
-- before the phones), compared by its key (`cube_domain::values::registry_key`): the number
-- without spaces (space, no-break space, thin space, narrow no-break space) and, when nine
-- digits are left around a leading `NO` and/or a trailing `MVA` (either case), those nine
-- digits: `NO 912 345 678 MVA` is `912345678`. The key is a column beside the document,
-- written with it (`save_customer`, the batched import); NULL for a person (a person number
-- is no import key) and for a company without a number. The companies kept before this
-- migration get theirs here, by the same rule written in SQL: the spaces first, then the
-- nine digits.
ALTER TABLE customers ADD COLUMN registry_key TEXT; -- Customer::registry_key: B2B only
UPDATE customers
SET registry_key = NULLIF(
    replace(replace(replace(replace(replace(replace(
        json_extract(doc, '$.details.registry_number'),
        ' ', ''), char(160), ''), char(8201), ''), char(8239), ''), '.', ''), '-', ''),
    '')
WHERE dataset = 'B2b' AND json_extract(doc, '$.details.registry_number') IS NOT NULL;
UPDATE customers
SET registry_key = CASE
    WHEN upper(substr(registry_key, 1, 2)) = 'NO' AND upper(substr(registry_key, -3)) = 'MVA'
         AND length(registry_key) = 14
         AND substr(registry_key, 3, 9) GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
        THEN substr(registry_key, 3, 9)
    WHEN upper(substr(registry_key, 1, 2)) = 'NO' AND length(registry_key) = 11
         AND substr(registry_key, 3) GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
        THEN substr(registry_key, 3)
    WHEN upper(substr(registry_key, -3)) = 'MVA' AND length(registry_key) = 12
         AND substr(registry_key, 1, 9) GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
        THEN substr(registry_key, 1, 9)
    ELSE registry_key
END
WHERE registry_key IS NOT NULL;
-- The oldest company of a data owner with a key: one probe a row.
CREATE INDEX customers_by_registry_key ON customers (data_owner_id, registry_key, seq)
    WHERE registry_key IS NOT NULL;
