-- 0041: a company's organisation number as an import key (issue 16: "duplicates merged or
-- skipped by external id, organisation number or phone, as chosen"). Never edit once
-- applied: add a new numbered migration.
--
-- An import finds the company a row is by its organisation number (after the external id,
-- before the phones), compared by its key (`cube_domain::values::registry_key`): the number
-- without spaces (space, no-break space, thin space, narrow no-break space), dots and
-- hyphens and, when nine
-- digits are left around a leading `NO` and/or a trailing `MVA` (either case), those nine
-- digits: `NO 912 345 678 MVA` is `912345678`. The key is a column beside the document,
-- written with it (`save_customer`, the batched import's staging table); NULL for a person
-- (a person number is no import key) and for a company without a number. The companies
-- kept before this migration get theirs here, by the same rule written in SQL: the spaces
-- first, then the nine digits.
ALTER TABLE customers ADD COLUMN registry_key text; -- Customer::registry_key: B2B only
UPDATE customers
SET registry_key = NULLIF(
    translate(data #>> '{details,registry_number}', E' \u00a0\u2009\u202f.-', ''), '')
WHERE dataset = 'B2b' AND data #>> '{details,registry_number}' IS NOT NULL;
UPDATE customers
SET registry_key = substring(registry_key FROM '[0-9]{9}')
WHERE registry_key ~ '^([Nn][Oo])?[0-9]{9}([Mm][Vv][Aa])?$' AND registry_key !~ '^[0-9]{9}$';
-- The oldest company of a data owner with a key: one probe a row.
CREATE INDEX customers_registry_key ON customers (data_owner_id, registry_key, seq)
    WHERE registry_key IS NOT NULL;
