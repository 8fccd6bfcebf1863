-- 0043: a Swedish organisation number's VAT form has the number's key (found from outside:
-- `SE556042722001` and `556042-7220` were two companies to an import). Never edit once
-- applied: add a new numbered migration.
--
-- `cube_domain::values::registry_key` now also reduces `SE` (either case), ten digits and
-- `01` to the ten digits. Keys written since are written by that rule; the companies kept
-- before get theirs here. Their key is the number without spaces, dots and hyphens
-- (migration 0041), so the VAT form is the whole key: `SE` + ten digits + `01`.
UPDATE customers
SET registry_key = substring(registry_key FROM 3 FOR 10)
WHERE registry_key ~ '^[Ss][Ee][0-9]{10}01$';
